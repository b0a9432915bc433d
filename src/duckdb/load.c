/*
 * Loading load files into DuckDB (load.h): jsonl, csv, parquet and insert_values.
 *
 * Loading jsonl — bench-load-duckdb, 1M flat rows (generator's flat table + _dlt_load_id/
 * _dlt_id), 2 shared cores, on-disk database, load only (CREATE TABLE + load + close):
 *   (a) INSERT INTO t (cols) SELECT … FROM read_json(<file>, columns={schema types}) with
 *       preserve_insertion_order=false: DuckDB parses and writes with both cores, ~1.1 s;
 *   (b) our JSON reader + the Appender with 2048-row data chunks: one thread, ~1.6–2.4 s.
 * (a) is the default; (b) takes files with a row over 64 MB (read_json would need buffers
 * of twice that per thread) and DLTC_DUCKDB_LOADER=appender. Decimals are strings in our
 * jsonl (as in dlt's), so read_json keeps them exact. bench/RESULTS.md has the figures of
 * every format.
 */
#include "duckdb/duckdb_int.h"
#include "duckdb/load.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/strmap.h"
#include "common/time.h"
#include "formats/json.h"
#include "load/sql.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dltc__duckdb_fd_path_open(fd_path *f, const char *path)
{
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
    return 0;
}

void dltc__duckdb_fd_path_close(fd_path *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

int dltc__duckdb_longest_record(const char *path, int csv, uint64_t *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    static __thread char buf[1 << 16];
    uint64_t cur = 0, best = 0;
    int quoted = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return dltc__error_set(DLTC_EIO, "%s: read failed: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        const char *p = buf, *e = buf + n;
        while (p < e) {
            if (csv) {
                for (; p < e && (*p != '\n' || quoted); p++, cur++)
                    quoted ^= *p == '"';
            } else {
                const char *nl = memchr(p, '\n', (size_t)(e - p));
                size_t k = nl ? (size_t)(nl - p) : (size_t)(e - p);
                cur += k;
                p += k;
            }
            if (p < e) { /* at a record's newline */
                if (cur > best)
                    best = cur;
                cur = 0;
                p++;
            }
        }
    }
    close(fd);
    *out = cur > best ? cur : best;
    return 0;
}

int dltc__duckdb_run_insert(dltc_duckdb *d, const char *sql, const char *path, uint64_t *rows)
{
    duckdb_result r;
    int rc = 0;
    if (duckdb_query(d->con, sql, &r) == DuckDBError) {
        dltc_buf pre = DLTC_BUF_INIT;
        dltc__buf_printf(&pre, "%s: ", path);
        rc = dltc__duckdb_error(DLTC_EDATABASE, pre.data, duckdb_result_error(&r));
        dltc__buf_free(&pre);
    } else if (rows) {
        *rows += duckdb_rows_changed(&r);
    }
    duckdb_destroy_result(&r);
    return rc;
}

int dltc__duckdb_put_column(dltc_buf *ins, dltc_buf *sel, dltc_buf *types, const dltc_column *c,
                            int first)
{
    int rc = 0;
    if (!first) {
        rc = dltc__buf_puts(ins, ", ");
        if (!rc)
            rc = dltc__buf_puts(sel, ", ");
        if (!rc)
            rc = dltc__buf_puts(types, ", ");
    }
    if (!rc)
        rc = dltc__sql_ident(ins, c->name);
    if (!rc && c->data_type == DLTC_DT_BINARY) {
        rc = dltc__buf_puts(sel, "from_base64(");
        if (!rc)
            rc = dltc__sql_ident(sel, c->name);
        if (!rc)
            rc = dltc__buf_putc(sel, ')');
    } else if (!rc) {
        rc = dltc__sql_ident(sel, c->name);
    }
    if (!rc)
        rc = dltc__sql_string(types, c->name, strlen(c->name));
    if (!rc)
        rc = dltc__buf_puts(types, ": '");
    if (!rc)
        rc = c->data_type == DLTC_DT_BINARY ? dltc__buf_puts(types, "VARCHAR")
                                            : dltc__sql_column_type(types, DLTC_SQL_DUCKDB, c);
    if (!rc)
        rc = dltc__buf_putc(types, '\'');
    return rc;
}

/* "dataset"."t", or the temporary table "temp"."main"."t" when dataset is NULL */
static int put_target(dltc_buf *b, const char *dataset, const char *table)
{
    return dataset ? dltc__sql_qualified(b, dataset, table)
                   : dltc__sql_staging_table(b, DLTC_SQL_DUCKDB, table);
}

/* INSERT INTO "dataset"."t" (<ins>) SELECT <sel> FROM <reader>(<fd>, <opts>, columns={<types>}) */
static int reader_insert(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                         const char *path, const char *reader, const char *opts,
                         const dltc_buf *ins, const dltc_buf *sel, const dltc_buf *types,
                         uint64_t *rows)
{
    fd_path f = {-1, ""};
    dltc_buf sql = DLTC_BUF_INIT;
    int rc = dltc__duckdb_fd_path_open(&f, path);
    if (!rc)
        rc = dltc__buf_puts(&sql, "INSERT INTO ");
    if (!rc)
        rc = put_target(&sql, dataset, t->name);
    if (!rc)
        rc = dltc__buf_printf(&sql, " (%s) SELECT %s FROM %s('%s', %s, columns={%s})", ins->data,
                              sel->data, reader, f.path, opts, types->data);
    if (!rc)
        rc = dltc__duckdb_run_insert(d, sql.data, path, rows);
    dltc__duckdb_fd_path_close(&f);
    dltc__buf_free(&sql);
    return rc;
}

/* jsonl: DuckDB's parallel JSON reader with the columns typed by the schema (decimals are
 * strings in the file, so they stay exact). */
static int load_read_json(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                          const char *path, const unsigned char *present, uint64_t longest,
                          uint64_t *rows)
{
    dltc_buf ins = DLTC_BUF_INIT, sel = DLTC_BUF_INIT, types = DLTC_BUF_INIT, opts = DLTC_BUF_INIT;
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < t->ncols && !rc; i++)
        if (present[i])
            rc = dltc__duckdb_put_column(&ins, &sel, &types, &t->cols[i], k++ == 0);
    /* its buffers are twice maximum_object_size per thread */
    uint64_t maxobj = 16u << 20;
    while (maxobj <= longest)
        maxobj *= 2;
    if (!rc)
        rc = dltc__buf_printf(&opts, "format='newline_delimited', records=true, "
                                     "maximum_object_size=%" PRIu64, maxobj);
    if (!rc)
        rc = reader_insert(d, dataset, t, path, "read_json", opts.data, &ins, &sel, &types, rows);
    dltc__buf_free(&ins);
    dltc__buf_free(&sel);
    dltc__buf_free(&types);
    dltc__buf_free(&opts);
    return rc;
}

/* The header of a csv file written by the normalizer: its column names. */
static int csv_header(const char *path, char ***names, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    dltc_buf field = DLTC_BUF_INIT;
    int rc = 0, quoted = 0, c, any = 0;
    *names = NULL;
    *n = 0;
    for (;;) {
        c = fgetc(f);
        if (c == EOF && !any)
            break;
        any = 1;
        if (quoted) {
            if (c == EOF) {
                rc = dltc__error_set(DLTC_EPARSE, "%s:1: unterminated quote in the header", path);
                break;
            }
            if (c == '"') {
                int nx = fgetc(f);
                if (nx == '"') {
                    rc = dltc__buf_putc(&field, '"');
                    if (rc)
                        break;
                    continue;
                }
                quoted = 0;
                c = nx;
            } else {
                if ((rc = dltc__buf_putc(&field, (char)c)))
                    break;
                continue;
            }
        }
        if (c == '"' && field.len == 0) {
            quoted = 1;
            continue;
        }
        if (c == ',' || c == '\n' || c == EOF) {
            char **nn = dltc__realloc(*names, (*n + 1) * sizeof(char *));
            if (!nn) {
                rc = dltc__error_oom();
                break;
            }
            *names = nn;
            if (!(nn[*n] = dltc__strndup(field.data ? field.data : "", field.len))) {
                rc = dltc__error_oom();
                break;
            }
            (*n)++;
            dltc__buf_clear(&field);
            if (c != ',')
                break;
            continue;
        }
        if (c != '\r' && (rc = dltc__buf_putc(&field, (char)c)))
            break;
    }
    fclose(f);
    dltc__buf_free(&field);
    if (!rc && *n == 0)
        rc = dltc__error_set(DLTC_EPARSE, "%s: no header row", path);
    return rc;
}

/* csv: DuckDB's csv reader, columns from the file's header typed by the schema. NULL is an
 * empty unquoted field; "" is the empty string. */
static int load_read_csv(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                         const char *path, uint64_t longest, uint64_t *rows)
{
    char **names = NULL;
    size_t n = 0;
    int rc = csv_header(path, &names, &n);
    dltc_buf ins = DLTC_BUF_INIT, sel = DLTC_BUF_INIT, types = DLTC_BUF_INIT, opts = DLTC_BUF_INIT;
    for (size_t i = 0; i < n && !rc; i++) {
        long c = dltc__table_column(t, names[i], strlen(names[i]));
        if (c < 0 || t->cols[c].data_type == DLTC_DT_UNSET)
            rc = dltc__error_set(DLTC_EINVALID, "%s: column %s is not in table %s", path,
                                 names[i], t->name);
        else
            rc = dltc__duckdb_put_column(&ins, &sel, &types, &t->cols[c], i == 0);
    }
    uint64_t line = 2u << 20; /* DuckDB's default max_line_size */
    while (line <= longest + 1)
        line *= 2;
    if (!rc)
        rc = dltc__buf_printf(&opts, "header=true, auto_detect=false, delim=',', quote='\"', "
                                     "escape='\"', nullstr='', allow_quoted_nulls=false, "
                                     "max_line_size=%" PRIu64 ", buffer_size=%" PRIu64,
                              line, line * 16);
    if (!rc)
        rc = reader_insert(d, dataset, t, path, "read_csv", opts.data, &ins, &sel, &types, rows);
    dltc__duckdb_free_names(names, n);
    dltc__buf_free(&ins);
    dltc__buf_free(&sel);
    dltc__buf_free(&types);
    dltc__buf_free(&opts);
    return rc;
}

/* parquet: the file's columns by name; the types are in the file. */
static int load_read_parquet(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                             const char *path, uint64_t *rows)
{
    fd_path f = {-1, ""};
    dltc_buf sql = DLTC_BUF_INIT;
    int rc = dltc__duckdb_fd_path_open(&f, path);
    if (!rc)
        rc = dltc__buf_puts(&sql, "INSERT INTO ");
    if (!rc)
        rc = put_target(&sql, dataset, t->name);
    if (!rc)
        rc = dltc__buf_printf(&sql, " BY NAME SELECT * FROM read_parquet('%s')", f.path);
    if (!rc)
        rc = dltc__duckdb_run_insert(d, sql.data, path, rows);
    dltc__duckdb_fd_path_close(&f);
    dltc__buf_free(&sql);
    return rc;
}

/* insert_values: "INSERT INTO {}(<cols>)\nVALUES\n(<row>),\n…(<row>);" with one row a line.
 * Run as statements of about 256 KB each: DuckDB parses VALUES lists slowly (~20k rows/s) and
 * a bigger statement only costs memory. */
#define INSERT_BATCH (256u << 10)

static int load_insert_values(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                              const char *path, uint64_t *rows)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    dltc_buf head = DLTC_BUF_INIT, stmt = DLTC_BUF_INIT;
    int rc = 0;
    uint64_t lineno = 0, nrows = 0;
    /* header: INSERT INTO {}(…) then VALUES */
    len = getline(&line, &cap, f);
    lineno++;
    if (len < 15 || memcmp(line, "INSERT INTO {}(", 15) != 0)
        rc = dltc__error_set(DLTC_EPARSE, "%s:1: not an insert_values file", path);
    if (!rc)
        rc = dltc__buf_puts(&head, "INSERT INTO ");
    if (!rc)
        rc = put_target(&head, dataset, t->name);
    if (!rc)
        rc = dltc__buf_put(&head, line + 14, (size_t)len - 14);
    if (!rc) {
        len = getline(&line, &cap, f);
        lineno++;
        if (len < 6 || memcmp(line, "VALUES", 6) != 0)
            rc = dltc__error_set(DLTC_EPARSE, "%s:2: VALUES expected", path);
        else
            rc = dltc__buf_puts(&head, "VALUES\n");
    }
    int ended = 0;
    while (!rc && !ended && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        char last = line[len - 1];
        if (line[0] != '(' || (last != ',' && last != ';')) {
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": a row line must be (…), or (…);",
                                 path, lineno);
            break;
        }
        ended = last == ';';
        if (!stmt.len)
            rc = dltc__buf_put(&stmt, head.data, head.len);
        else
            rc = dltc__buf_puts(&stmt, ",\n");
        if (!rc)
            rc = dltc__buf_put(&stmt, line, (size_t)len - 1);
        nrows++;
        if (!rc && (stmt.len >= INSERT_BATCH || ended)) {
            rc = dltc__duckdb_run_insert(d, stmt.data, path, rows);
            dltc__buf_clear(&stmt);
        }
    }
    if (!rc && !ended)
        rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": the file ends before the final ';'",
                             path, lineno);
    (void)nrows;
    free(line);
    fclose(f);
    dltc__buf_free(&head);
    dltc__buf_free(&stmt);
    return rc;
}

/* (b) Our reader + the Appender with data chunks. The chunk holds every column of the
 * database table in its order; values are written in a native type where one fits and as
 * text otherwise (DuckDB casts: decimals stay exact). */
typedef enum { AK_BOOL, AK_BIGINT, AK_DOUBLE, AK_TEXT, AK_BLOB, AK_TS, AK_DATE, AK_TIME } akind;

typedef struct {
    duckdb_appender app;
    duckdb_data_chunk chunk;
    size_t ncols;
    akind *kind;
    void **data;
    uint64_t **valid;
    idx_t *last_row; /* row index + 1 that last got a value */
    dltc_strmap map; /* column name -> table column */
    dltc_buf scratch;
    uint8_t *bytes;
    size_t bytes_cap;
} appender_state;

static akind kind_of(duckdb_type id, int is_json)
{
    if (is_json)
        return AK_TEXT;
    switch (id) {
    case DUCKDB_TYPE_BOOLEAN: return AK_BOOL;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT: return AK_BIGINT;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE: return AK_DOUBLE;
    case DUCKDB_TYPE_BLOB: return AK_BLOB;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS: return AK_TS;
    case DUCKDB_TYPE_DATE: return AK_DATE;
    case DUCKDB_TYPE_TIME: return AK_TIME;
    default: return AK_TEXT;
    }
}

static duckdb_type chunk_type(akind k, duckdb_type id)
{
    switch (k) {
    case AK_BOOL: return DUCKDB_TYPE_BOOLEAN;
    case AK_BIGINT: return DUCKDB_TYPE_BIGINT;
    case AK_DOUBLE: return DUCKDB_TYPE_DOUBLE;
    case AK_BLOB: return DUCKDB_TYPE_BLOB;
    case AK_TS: return id == DUCKDB_TYPE_TIMESTAMP_TZ ? DUCKDB_TYPE_TIMESTAMP_TZ : DUCKDB_TYPE_TIMESTAMP;
    case AK_DATE: return DUCKDB_TYPE_DATE;
    case AK_TIME: return DUCKDB_TYPE_TIME;
    default: return DUCKDB_TYPE_VARCHAR;
    }
}

static void chunk_bind(appender_state *s)
{
    for (size_t c = 0; c < s->ncols; c++) {
        duckdb_vector v = duckdb_data_chunk_get_vector(s->chunk, c);
        duckdb_vector_ensure_validity_writable(v);
        s->data[c] = duckdb_vector_get_data(v);
        s->valid[c] = duckdb_vector_get_validity(v);
        s->last_row[c] = 0;
    }
}

static int appender_flush(appender_state *s, idx_t n, const char *path)
{
    if (!n)
        return 0;
    duckdb_data_chunk_set_size(s->chunk, n);
    if (duckdb_append_data_chunk(s->app, s->chunk) == DuckDBError) {
        dltc_buf pre = DLTC_BUF_INIT;
        dltc__buf_printf(&pre, "%s: ", path);
        int rc = dltc__duckdb_error(DLTC_EDATABASE, pre.data, duckdb_appender_error(s->app));
        dltc__buf_free(&pre);
        return rc;
    }
    duckdb_data_chunk_reset(s->chunk);
    chunk_bind(s);
    return 0;
}

static int value_mismatch(const char *path, uint64_t line, const char *col, const char *want)
{
    return dltc__error_set(DLTC_EINVALID, "%s:%" PRIu64 ": column %s: value is not a valid %s",
                           path, line, col, want);
}

/* Put v into row r of column c. */
static int put_value(appender_state *s, size_t c, idx_t r, const dltc_value *v, const char *path,
                     uint64_t line, const char *col)
{
    duckdb_vector vec;
    int rc;
    dltc_iso iso;
    switch (s->kind[c]) {
    case AK_BOOL:
        if (v->type != DLTC_TYPE_BOOL)
            return value_mismatch(path, line, col, "boolean");
        ((bool *)s->data[c])[r] = v->u.i != 0;
        return 0;
    case AK_BIGINT:
        if (v->type == DLTC_TYPE_INT)
            ((int64_t *)s->data[c])[r] = v->u.i;
        else if (v->type == DLTC_TYPE_DOUBLE && v->u.d == (double)(int64_t)v->u.d)
            ((int64_t *)s->data[c])[r] = (int64_t)v->u.d;
        else
            return value_mismatch(path, line, col, "integer");
        return 0;
    case AK_DOUBLE:
        if (v->type == DLTC_TYPE_DOUBLE)
            ((double *)s->data[c])[r] = v->u.d;
        else if (v->type == DLTC_TYPE_INT)
            ((double *)s->data[c])[r] = (double)v->u.i;
        else if (v->type == DLTC_TYPE_BIGINT)
            ((double *)s->data[c])[r] = dltc__json_strtod(v->u.s, NULL);
        else
            return value_mismatch(path, line, col, "number");
        return 0;
    case AK_TS:
    case AK_DATE:
    case AK_TIME:
        if (v->type != DLTC_TYPE_STRING || dltc__iso_parse(v->u.s, v->len, &iso) != 0)
            return value_mismatch(path, line, col, "ISO date/time");
        if (s->kind[c] == AK_TS && iso.kind == DLTC_ISO_DATETIME)
            ((int64_t *)s->data[c])[r] = iso.value;
        else if (s->kind[c] == AK_TS && iso.kind == DLTC_ISO_DATE)
            ((int64_t *)s->data[c])[r] = iso.value * 86400000000LL;
        else if (s->kind[c] == AK_DATE && iso.kind == DLTC_ISO_DATE)
            ((int32_t *)s->data[c])[r] = (int32_t)iso.value;
        else if (s->kind[c] == AK_TIME && iso.kind == DLTC_ISO_TIME)
            ((int64_t *)s->data[c])[r] = iso.value;
        else
            return value_mismatch(path, line, col, "ISO date/time");
        return 0;
    case AK_BLOB: {
        if (v->type != DLTC_TYPE_STRING)
            return value_mismatch(path, line, col, "base64 string");
        size_t need = 3 * ((v->len + 3) / 4) + 1;
        if (need > s->bytes_cap) {
            uint8_t *nb = dltc__realloc(s->bytes, need);
            if (!nb)
                return dltc__error_oom();
            s->bytes = nb;
            s->bytes_cap = need;
        }
        long n = dltc__base64_decode(v->u.s, v->len, s->bytes);
        if (n < 0)
            return value_mismatch(path, line, col, "base64 string");
        vec = duckdb_data_chunk_get_vector(s->chunk, c);
        duckdb_vector_assign_string_element_len(vec, r, (const char *)s->bytes, (idx_t)n);
        return 0;
    }
    case AK_TEXT:
        vec = duckdb_data_chunk_get_vector(s->chunk, c);
        if (v->type == DLTC_TYPE_STRING || v->type == DLTC_TYPE_BIGINT ||
            v->type == DLTC_TYPE_DECIMAL) {
            duckdb_vector_assign_string_element_len(vec, r, v->u.s, v->len);
            return 0;
        }
        if (v->type == DLTC_TYPE_DOUBLE && v->lex) {
            duckdb_vector_assign_string_element_len(vec, r, v->lex, v->len);
            return 0;
        }
        /* nested JSON, numbers, booleans: their JSON text */
        dltc__buf_clear(&s->scratch);
        rc = dltc__json_write(&s->scratch, v);
        if (rc)
            return rc;
        duckdb_vector_assign_string_element_len(vec, r, s->scratch.data, s->scratch.len);
        return 0;
    }
    return 0;
}

static int load_appender(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                         const char *path, char **dbcols, size_t ndbcols, uint64_t *rows)
{
    appender_state s;
    memset(&s, 0, sizeof(s));
    dltc_json_reader *rd = NULL;
    dltc_arena arena;
    dltc__arena_init(&arena, 64u * 1024u);
    duckdb_logical_type *types = NULL;
    int rc = 0;

    if (duckdb_appender_create_ext(d->con, dataset ? NULL : "temp",
                                   dataset ? dataset : "main", t->name, &s.app) == DuckDBError) {
        rc = dltc__duckdb_error(DLTC_EDATABASE, "", duckdb_appender_error(s.app));
        goto done;
    }
    s.ncols = duckdb_appender_column_count(s.app);
    s.kind = dltc__calloc(s.ncols + 1, sizeof(*s.kind));
    s.data = dltc__calloc(s.ncols + 1, sizeof(*s.data));
    s.valid = dltc__calloc(s.ncols + 1, sizeof(*s.valid));
    s.last_row = dltc__calloc(s.ncols + 1, sizeof(*s.last_row));
    types = dltc__calloc(s.ncols + 1, sizeof(*types));
    if (!s.kind || !s.data || !s.valid || !s.last_row || !types) {
        rc = dltc__error_oom();
        goto done;
    }
    for (size_t c = 0; c < s.ncols; c++) {
        duckdb_logical_type lt = duckdb_appender_column_type(s.app, c);
        char *alias = duckdb_logical_type_get_alias(lt);
        duckdb_type id = duckdb_get_type_id(lt);
        s.kind[c] = kind_of(id, alias && !strcmp(alias, "JSON"));
        duckdb_free(alias);
        duckdb_destroy_logical_type(&lt);
        types[c] = duckdb_create_logical_type(chunk_type(s.kind[c], id));
        if (c < ndbcols && (rc = dltc__strmap_put(&s.map, dbcols[c], strlen(dbcols[c]), c)))
            goto done;
    }
    s.chunk = duckdb_create_data_chunk(types, s.ncols);
    chunk_bind(&s);

    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    if ((rc = dltc__json_reader_open_file(&rd, path, &ro)))
        goto done;
    idx_t cap = duckdb_vector_size(), r = 0;
    size_t *hint = NULL; /* member position -> column, from the previous row */
    size_t nhint = 0;
    for (;;) {
        dltc_value *item;
        if (arena.used > (8u << 20))
            dltc__arena_reset(&arena);
        rc = dltc__json_reader_next(rd, &arena, &item);
        if (rc == DLTC_ITEROVER) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        uint64_t line = dltc__json_reader_item_line(rd);
        if (item->type != DLTC_TYPE_OBJECT) {
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": a row is not a JSON object",
                                 path, line);
            break;
        }
        if (item->len > nhint) {
            size_t *nh = dltc__realloc(hint, item->len * sizeof(size_t));
            if (!nh) {
                rc = dltc__error_oom();
                break;
            }
            for (size_t k = nhint; k < item->len; k++)
                nh[k] = SIZE_MAX;
            hint = nh;
            nhint = item->len;
        }
        for (uint32_t m = 0; !rc && m < item->len; m++) {
            const dltc_member *mem = &item->u.obj[m];
            size_t c = hint[m];
            if (c == SIZE_MAX || c >= ndbcols || strlen(dbcols[c]) != mem->klen ||
                memcmp(dbcols[c], mem->key, mem->klen) != 0) {
                if (!dltc__strmap_get(&s.map, mem->key, mem->klen, &c)) {
                    rc = dltc__error_set(DLTC_EINVALID,
                                         "%s:%" PRIu64 ": column %s is not in table %s", path,
                                         line, mem->key, t->name);
                    break;
                }
                hint[m] = c;
            }
            if (mem->val.type == DLTC_TYPE_NULL)
                continue;
            rc = put_value(&s, c, r, &mem->val, path, line, mem->key);
            if (!rc)
                s.last_row[c] = r + 1;
        }
        if (rc)
            break;
        for (size_t c = 0; c < s.ncols; c++)
            duckdb_validity_set_row_validity(s.valid[c], r, s.last_row[c] == r + 1);
        if (++r == cap) {
            if ((rc = appender_flush(&s, r, path)))
                break;
            *rows += r;
            r = 0;
        }
    }
    dltc__free(hint);
    if (!rc)
        rc = appender_flush(&s, r, path);
    if (!rc)
        *rows += r;
    if (!rc && duckdb_appender_close(s.app) == DuckDBError) {
        dltc_buf pre = DLTC_BUF_INIT;
        dltc__buf_printf(&pre, "%s: ", path);
        rc = dltc__duckdb_error(DLTC_EDATABASE, pre.data, duckdb_appender_error(s.app));
        dltc__buf_free(&pre);
    }
done:
    dltc__json_reader_free(rd);
    dltc__arena_free(&arena);
    if (s.chunk)
        duckdb_destroy_data_chunk(&s.chunk);
    for (size_t c = 0; types && c < s.ncols; c++)
        if (types[c])
            duckdb_destroy_logical_type(&types[c]);
    dltc__free(types);
    if (s.app)
        duckdb_appender_destroy(&s.app);
    dltc__free(s.kind);
    dltc__free(s.data);
    dltc__free(s.valid);
    dltc__free(s.last_row);
    dltc__strmap_free(&s.map);
    dltc__buf_free(&s.scratch);
    dltc__free(s.bytes);
    return rc;
}


int dltc__duckdb_prepare_load(dltc_duckdb *d)
{
    /* Row order in a table means nothing in SQL; without it DuckDB inserts with all
     * threads (1M flat rows: 1.6 s → 1.1 s). The memory limit bounds DuckDB's buffer pool
     * (it spills to <file>.tmp beyond it). The allocator settings make DuckDB hand freed
     * memory back to the system after each task instead of keeping up to 128 MB of it: a
     * load frees and allocates hundreds of MB a second, which stayed resident on top of the
     * limit (100k GitHub issues: 335 → 268 MB). */
    const char *limit = getenv("DLTC_DUCKDB_MEMORY_LIMIT");
    if (!limit || !*limit)
        limit = DLTC_DUCKDB_LOAD_MEMORY;
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&b, "SET preserve_insertion_order = false; "
                                "SET allocator_flush_threshold = '1MB'; "
                                "SET allocator_bulk_deallocation_flush_threshold = '1MB'; "
                                "SET allocator_background_threads = true; "
                                "SET memory_limit = ");
    if (!rc)
        rc = dltc__sql_string(&b, limit, strlen(limit));
    if (!rc)
        rc = dltc__duckdb_exec(d, b.data);
    dltc__buf_free(&b);
    return rc;
}

/* JSON lines longer than this go through the Appender (no buffer of their size). */
#define READ_JSON_MAX_RECORD (64u << 20)

int dltc__duckdb_load_file(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                           const char *path, const char *format, uint64_t *rows)
{
    uint64_t dummy = 0;
    if (!rows)
        rows = &dummy;
    *rows = 0;
    if (!format || (strcmp(format, "jsonl") && strcmp(format, "csv") &&
                    strcmp(format, "parquet") && strcmp(format, "insert_values")))
        return dltc__error_set(DLTC_EINVALID, "%s: file format '%s' is not supported by duckdb",
                               path, format ? format : "");
    char **dbcols = NULL;
    size_t ndbcols = 0;
    int exists = 0;
    int rc = dltc__duckdb_table_columns(d, dataset, t->name, &dbcols, &ndbcols, &exists);
    if (rc)
        return rc;
    if (!exists) {
        dltc__duckdb_free_names(dbcols, ndbcols);
        return dltc__error_set(DLTC_ENOTFOUND, "%s: table \"%s\".\"%s\" does not exist", path,
                               dataset ? dataset : "temp", t->name);
    }
    /* the complete columns of t that the database table has */
    unsigned char *present = dltc__calloc(t->ncols + 1, 1);
    if (!present) {
        dltc__duckdb_free_names(dbcols, ndbcols);
        return dltc__error_oom();
    }
    size_t npresent = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const dltc_column *c = &t->cols[i];
        if (c->data_type == DLTC_DT_UNSET)
            continue;
        for (size_t k = 0; k < ndbcols; k++)
            if (!strcmp(dbcols[k], c->name)) {
                present[i] = 1;
                npresent++;
                break;
            }
    }
    uint64_t longest = 0;
    if (npresent == 0) {
        rc = dltc__error_set(DLTC_EINVALID, "%s: table %s has no columns to load", path, t->name);
    } else if (!strcmp(format, "jsonl")) {
        const char *force = getenv("DLTC_DUCKDB_LOADER");
        int appender = force && !strcmp(force, "appender");
        if (!appender) {
            rc = dltc__duckdb_longest_record(path, 0, &longest);
            appender = longest > READ_JSON_MAX_RECORD;
        }
        /* The Appender is not atomic by itself: outside a transaction it commits at each
         * of its internal flushes. The caller wraps a package's loads in a transaction (a
         * probing BEGIN here would abort the caller's transaction when one is open). */
        if (!rc)
            rc = appender ? load_appender(d, dataset, t, path, dbcols, ndbcols, rows)
                          : load_read_json(d, dataset, t, path, present, longest, rows);
    } else if (!strcmp(format, "csv")) {
        rc = dltc__duckdb_longest_record(path, 1, &longest);
        if (!rc)
            rc = load_read_csv(d, dataset, t, path, longest, rows);
    } else if (!strcmp(format, "parquet")) {
        rc = load_read_parquet(d, dataset, t, path, rows);
    } else {
        rc = load_insert_values(d, dataset, t, path, rows);
    }
    dltc__free(present);
    dltc__duckdb_free_names(dbcols, ndbcols);
    return rc;
}
