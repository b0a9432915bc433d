/*
 * The DuckDB client (client.h): open/close, statements, queries materialized as dltc_rows or
 * streamed in batches (through the data-chunk API), the columns of a table, and DuckDB's
 * messages on one line.
 */
#include "duckdb/duckdb_int.h"
#include "duckdb/load.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "load/rows.h"
#include "load/sql.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* DuckDB messages may span lines (hints, LINE 1: with a caret): append them as one line. */
static int put_oneline(dltc_buf *b, const char *msg)
{
    int space = 0, rc = 0;
    if (!msg || !*msg)
        msg = "unknown DuckDB error";
    for (const char *p = msg; *p && !rc; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
            space = 1;
            continue;
        }
        if (space && b->len)
            rc = dltc__buf_putc(b, ' ');
        space = 0;
        if (!rc)
            rc = dltc__buf_putc(b, *p);
    }
    return rc;
}

/* Set the last error to prefix + DuckDB's message on one line. */
int dltc__duckdb_error(int code, const char *prefix, const char *msg)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&b, prefix ? prefix : "");
    if (!rc)
        rc = put_oneline(&b, msg);
    rc = rc ? rc : dltc__error_set(code, "%s", b.data);
    dltc__buf_free(&b);
    return rc;
}

double dltc__duckdb_lock_timeout(void)
{
    const char *e = getenv("DLTC_DUCKDB_LOCK_TIMEOUT");
    char *end = NULL;
    double s = e && *e ? strtod(e, &end) : DLTC_DUCKDB_LOCK_TIMEOUT_S;
    return e && *e && (*end || s < 0) ? DLTC_DUCKDB_LOCK_TIMEOUT_S : s;
}

int dltc__duckdb_open(dltc_duckdb **out, const char *path)
{
    return dltc__duckdb_open_wait(out, path, 0);
}

/* The first bytes of a SQLite database file. */
static const char SQLITE_MAGIC[16] = "SQLite format 3";

/* A file at `path` that is a SQLite database: DuckDB would hand it to its sqlite extension
 * (and, with autoinstall on, download that); it fails here instead, naming the file. */
static int refuse_sqlite_file(const char *path)
{
    if (!path || !*path || strcmp(path, ":memory:") == 0 || strncmp(path, "md:", 3) == 0)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* DuckDB creates it, or says why it cannot */
    char head[16];
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    if (n == (ssize_t)sizeof(head) && memcmp(head, SQLITE_MAGIC, sizeof(head)) == 0)
        return dltc__error_set(DLTC_EINVALID, "duckdb: %s: not a DuckDB database file (it is a "
                                              "SQLite database)", path);
    return 0;
}

/* The settings every database gets before it opens: no extension is installed or loaded
 * behind our back (json, parquet and icu are built into our libduckdb; a SQLite file or a
 * URL would otherwise download an extension). An md: database keeps autoload for the
 * motherduck extension when it is installed (nothing is downloaded: autoinstall is off).
 * `read_only`: access_mode READ_ONLY (files only; an in-memory database cannot be). */
static int configure(duckdb_config cfg, const char *path, int read_only)
{
    int md = path && strncmp(path, "md:", 3) == 0;
    int file = path && *path && strcmp(path, ":memory:") != 0 && !md;
    if (duckdb_set_config(cfg, "autoinstall_known_extensions", "false") == DuckDBError ||
        duckdb_set_config(cfg, "autoload_known_extensions", md ? "true" : "false") == DuckDBError)
        return dltc__error_set(DLTC_EDATABASE, "duckdb: %s: cannot turn off extension "
                                               "autoloading", path ? path : ":memory:");
    if (read_only && (file || md) &&
        duckdb_set_config(cfg, "access_mode", "READ_ONLY") == DuckDBError)
        return dltc__error_set(DLTC_EDATABASE, "duckdb: %s: cannot set access_mode READ_ONLY",
                               path);
    return 0;
}

/* DuckDB's open failure for a file that is not a DuckDB database (a SQLite file it tried to
 * hand to the sqlite extension, or any other file) as "duckdb: <path>: not a DuckDB database
 * file (…)". */
static int not_duckdb_file(const char *path, const char *m)
{
    if (!strstr(m, "not a valid DuckDB database file") && !strstr(m, "sqlite_scanner") &&
        !strstr(m, "Extension \"sqlite\""))
        return 0;
    dltc_buf pre = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&pre, "duckdb: %s: not a DuckDB database file (", path);
    rc = rc ? rc : put_oneline(&pre, m);
    rc = rc ? rc : dltc__buf_putc(&pre, ')');
    rc = rc ? rc : dltc__error_set(DLTC_EINVALID, "%s", pre.data);
    dltc__buf_free(&pre);
    return rc;
}

static int open_db(dltc_duckdb **out, const char *path, double wait_s, int read_only);

int dltc__duckdb_open_wait(dltc_duckdb **out, const char *path, double wait_s)
{
    return open_db(out, path, wait_s, 0);
}

int dltc__duckdb_open_read_only(dltc_duckdb **out, const char *path)
{
    return open_db(out, path, 0, 1);
}

/* One try at opening a database file: 0, or -1 with DuckDB's message in *err (left empty
 * when out of memory). */
typedef int (*open_try)(dltc_duckdb *d, const char *path, void *arg, dltc_buf *err);

static int try_open_ext(dltc_duckdb *d, const char *path, void *cfg, dltc_buf *err)
{
    char *m = NULL;
    if (duckdb_open_ext(path, &d->db, (duckdb_config)cfg, &m) != DuckDBError) {
        duckdb_free(m);
        return 0;
    }
    d->db = NULL;
    dltc__buf_clear(err);
    if (dltc__buf_puts(err, m ? m : "cannot open"))
        dltc__buf_clear(err); /* out of memory */
    duckdb_free(m);
    return -1;
}

/* Run `attempt` until it succeeds or fails for another reason than the file being locked.
 * A file held by another process (DuckDB: one writer process at a time) is waited for up to
 * `wait_s` seconds: two pipelines loading into one file then take turns instead of failing.
 * A failure is DLTC_EDATABASE (DLTC_EINVALID: not a DuckDB file) naming the path. */
static int open_waiting(dltc_duckdb *d, const char *path, double wait_s, open_try attempt,
                        void *arg)
{
    dltc_buf err = DLTC_BUF_INIT;
    double waited = 0, pause = 0.05;
    int failed;
    for (;;) {
        failed = attempt(d, path, arg, &err);
        if (failed && !err.len) {
            dltc__buf_free(&err);
            return dltc__error_oom();
        }
        const char *m = failed ? err.data : "";
        int locked = strstr(m, "lock") != NULL || strstr(m, "Conflicting") != NULL;
        /* shorter than DuckDB's headers (3 x 4 KiB) and just written: another process is
         * creating it */
        struct stat fst;
        if (!locked && strstr(m, "not a valid DuckDB database file") && path &&
            stat(path, &fst) == 0 && fst.st_size < 3 * 4096 && time(NULL) - fst.st_mtime < 5)
            locked = 1;
        if (!failed || !locked || waited >= wait_s)
            break;
        if (pause > wait_s - waited)
            pause = wait_s - waited;
        struct timespec ts = {(time_t)pause, (long)((pause - (double)(time_t)pause) * 1e9)};
        nanosleep(&ts, NULL);
        waited += pause;
        pause = pause * 2 > 1.0 ? 1.0 : pause * 2;
    }
    if (!failed) {
        dltc__buf_free(&err);
        return 0;
    }
    const char *m = err.data;
    dltc_buf pre = DLTC_BUF_INIT;
    int locked = strstr(m, "lock") != NULL || strstr(m, "Conflicting") != NULL;
    int rc = not_duckdb_file(path, m);
    if (!rc)
        rc = locked && waited > 0
                 ? dltc__buf_printf(&pre, "%s: database is locked by another process (waited "
                                          "%.0f s): ", path, waited)
                 : dltc__buf_printf(&pre, locked ? "%s: database is locked by another process: "
                                                 : "%s: cannot open the database: ",
                                    path);
    rc = rc ? rc : dltc__duckdb_error(DLTC_EDATABASE, pre.data, m);
    dltc__buf_free(&pre);
    dltc__buf_free(&err);
    return rc;
}

static int open_db(dltc_duckdb **out, const char *path, double wait_s, int read_only)
{
    int lrc = dltc__duckdb_library_load();
    if (lrc)
        return lrc;
    dltc_duckdb *d = dltc__calloc(1, sizeof(*d));
    if (!d)
        return dltc__error_oom();
    d->path = dltc__strdup(path ? path : ":memory:");
    if (!d->path) {
        dltc__free(d);
        return dltc__error_oom();
    }
    duckdb_config cfg = NULL;
    if (duckdb_create_config(&cfg) == DuckDBError) {
        dltc__duckdb_close(d);
        return dltc__error_set(DLTC_EDATABASE, "%s: cannot create a DuckDB configuration", path);
    }
    lrc = refuse_sqlite_file(path);
    if (!lrc)
        lrc = configure(cfg, path, read_only);
    if (!lrc)
        lrc = open_waiting(d, d->path, wait_s, try_open_ext, cfg);
    duckdb_destroy_config(&cfg);
    if (lrc) {
        dltc__duckdb_close(d);
        return lrc;
    }
    if (duckdb_connect(d->db, &d->con) == DuckDBError) {
        dltc__duckdb_close(d);
        return dltc__error_set(DLTC_EDATABASE, "%s: cannot connect to the database", path);
    }
    *out = d;
    return 0;
}

static int try_attach(dltc_duckdb *d, const char *path, void *sql, dltc_buf *err)
{
    (void)path;
    duckdb_result r;
    if (duckdb_query(d->con, (const char *)sql, &r) != DuckDBError) {
        duckdb_destroy_result(&r);
        return 0;
    }
    const char *m = duckdb_result_error(&r);
    dltc__buf_clear(err);
    if (dltc__buf_puts(err, m ? m : "cannot attach"))
        dltc__buf_clear(err); /* out of memory */
    duckdb_destroy_result(&r);
    return -1;
}

/* The name DuckDB gives a database file it opens (the file name up to its first dot), or
 * that name + "_db" when DuckDB uses it already (our in-memory database is "memory"). */
static int put_alias(dltc_buf *b, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    static const char *const taken[] = {"memory", "temp", "system", "main"};
    int clash = n == 0;
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]) && !clash; i++)
        clash = strlen(taken[i]) == n && strncasecmp(base, taken[i], n) == 0;
    dltc_buf name = DLTC_BUF_INIT;
    int rc = dltc__buf_put(&name, base, n);
    if (!rc && clash)
        rc = dltc__buf_puts(&name, n ? "_db" : "db");
    if (!rc)
        rc = dltc__sql_ident(b, name.data);
    dltc__buf_free(&name);
    return rc;
}

/* The file attached to the in-memory database d with row groups of `rows` rows and made the
 * default database, waiting like open_db while another process holds it. DuckDB spills to
 * <file>.tmp, as it does for a file it opens. */
static int attach_file(dltc_duckdb *d, const char *path, double wait_s, unsigned long rows)
{
    char *p = dltc__strdup(path);
    if (!p)
        return dltc__error_oom();
    dltc__free(d->path);
    d->path = p;
    dltc_buf sql = DLTC_BUF_INIT, tmp = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&tmp, "%s.tmp", path);
    if (!rc)
        rc = dltc__buf_puts(&sql, "SET temp_directory = ");
    if (!rc)
        rc = dltc__sql_string(&sql, tmp.data, tmp.len);
    if (!rc)
        rc = dltc__duckdb_exec(d, sql.data);
    dltc__buf_clear(&sql);
    if (!rc)
        rc = dltc__buf_puts(&sql, "ATTACH ");
    if (!rc)
        rc = dltc__sql_string(&sql, path, strlen(path));
    if (!rc)
        rc = dltc__buf_puts(&sql, " AS ");
    if (!rc)
        rc = put_alias(&sql, path);
    if (!rc)
        rc = dltc__buf_printf(&sql, " (ROW_GROUP_SIZE %lu)", rows);
    if (!rc)
        rc = open_waiting(d, path, wait_s, try_attach, sql.data);
    dltc__buf_clear(&tmp);
    if (!rc)
        rc = dltc__buf_puts(&tmp, "USE ");
    if (!rc)
        rc = put_alias(&tmp, path);
    if (!rc)
        rc = dltc__duckdb_exec(d, tmp.data);
    dltc__buf_free(&sql);
    dltc__buf_free(&tmp);
    return rc;
}

int dltc__duckdb_open_load(dltc_duckdb **out, const char *path, double wait_s)
{
    *out = NULL;
    /* DLTC_DUCKDB_ROW_GROUP_SIZE: another size; 0 opens the file itself (DuckDB's size) */
    unsigned long rows = DLTC_DUCKDB_LOAD_ROW_GROUP;
    const char *e = getenv("DLTC_DUCKDB_ROW_GROUP_SIZE");
    char *end = NULL;
    if (e && *e) {
        unsigned long v = strtoul(e, &end, 10);
        if (!*end && v <= (1ul << 30))
            rows = v;
    }
    int file = rows && path && *path && strcmp(path, ":memory:") != 0 &&
               strncmp(path, "md:", 3) != 0;
    dltc_duckdb *d = NULL;
    int rc = file ? refuse_sqlite_file(path) : 0;
    if (!rc)
        rc = open_db(&d, file ? NULL : path, wait_s, 0);
    if (!rc)
        rc = dltc__duckdb_prepare_load(d);
    if (!rc && file)
        rc = attach_file(d, path, wait_s, rows);
    if (rc) {
        dltc__duckdb_close(d);
        return rc;
    }
    *out = d;
    return 0;
}

void dltc__duckdb_close(dltc_duckdb *d)
{
    if (!d)
        return;
    if (d->con)
        duckdb_disconnect(&d->con);
    if (d->db)
        duckdb_close(&d->db);
    dltc__free(d->path);
    dltc__free(d);
}

const char *dltc__duckdb_path(const dltc_duckdb *d)
{
    return d->path;
}

int dltc__duckdb_exec(dltc_duckdb *d, const char *sql)
{
    duckdb_result r;
    if (duckdb_query(d->con, sql, &r) == DuckDBError) {
        int rc = dltc__duckdb_error(DLTC_EDATABASE, "", duckdb_result_error(&r));
        duckdb_destroy_result(&r);
        return rc;
    }
    duckdb_destroy_result(&r);
    return 0;
}

/* ---- query results ---- */

/* Name of a DuckDB type as SQL spells it ("JSON" for the alias). */
static int type_name(dltc_buf *b, duckdb_logical_type lt)
{
    char *alias = duckdb_logical_type_get_alias(lt);
    if (alias) {
        int rc = dltc__buf_puts(b, alias);
        duckdb_free(alias);
        return rc;
    }
    switch (duckdb_get_type_id(lt)) {
    case DUCKDB_TYPE_BOOLEAN: return dltc__buf_puts(b, "BOOLEAN");
    case DUCKDB_TYPE_TINYINT: return dltc__buf_puts(b, "TINYINT");
    case DUCKDB_TYPE_SMALLINT: return dltc__buf_puts(b, "SMALLINT");
    case DUCKDB_TYPE_INTEGER: return dltc__buf_puts(b, "INTEGER");
    case DUCKDB_TYPE_BIGINT: return dltc__buf_puts(b, "BIGINT");
    case DUCKDB_TYPE_UTINYINT: return dltc__buf_puts(b, "UTINYINT");
    case DUCKDB_TYPE_USMALLINT: return dltc__buf_puts(b, "USMALLINT");
    case DUCKDB_TYPE_UINTEGER: return dltc__buf_puts(b, "UINTEGER");
    case DUCKDB_TYPE_UBIGINT: return dltc__buf_puts(b, "UBIGINT");
    case DUCKDB_TYPE_HUGEINT: return dltc__buf_puts(b, "HUGEINT");
    case DUCKDB_TYPE_UHUGEINT: return dltc__buf_puts(b, "UHUGEINT");
    case DUCKDB_TYPE_FLOAT: return dltc__buf_puts(b, "FLOAT");
    case DUCKDB_TYPE_DOUBLE: return dltc__buf_puts(b, "DOUBLE");
    case DUCKDB_TYPE_VARCHAR: return dltc__buf_puts(b, "VARCHAR");
    case DUCKDB_TYPE_BLOB: return dltc__buf_puts(b, "BLOB");
    case DUCKDB_TYPE_DATE: return dltc__buf_puts(b, "DATE");
    case DUCKDB_TYPE_TIME: return dltc__buf_puts(b, "TIME");
    case DUCKDB_TYPE_TIMESTAMP: return dltc__buf_puts(b, "TIMESTAMP");
    case DUCKDB_TYPE_TIMESTAMP_TZ: return dltc__buf_puts(b, "TIMESTAMP WITH TIME ZONE");
    case DUCKDB_TYPE_TIMESTAMP_S: return dltc__buf_puts(b, "TIMESTAMP_S");
    case DUCKDB_TYPE_TIMESTAMP_MS: return dltc__buf_puts(b, "TIMESTAMP_MS");
    case DUCKDB_TYPE_TIMESTAMP_NS: return dltc__buf_puts(b, "TIMESTAMP_NS");
    case DUCKDB_TYPE_DECIMAL:
        return dltc__buf_printf(b, "DECIMAL(%u,%u)", (unsigned)duckdb_decimal_width(lt),
                                (unsigned)duckdb_decimal_scale(lt));
    case DUCKDB_TYPE_ENUM: return dltc__buf_puts(b, "ENUM");
    case DUCKDB_TYPE_UUID: return dltc__buf_puts(b, "UUID");
    case DUCKDB_TYPE_INTERVAL: return dltc__buf_puts(b, "INTERVAL");
    case DUCKDB_TYPE_LIST: return dltc__buf_puts(b, "LIST");
    case DUCKDB_TYPE_STRUCT: return dltc__buf_puts(b, "STRUCT");
    case DUCKDB_TYPE_MAP: return dltc__buf_puts(b, "MAP");
    case DUCKDB_TYPE_TIME_TZ: return dltc__buf_puts(b, "TIME WITH TIME ZONE");
    default: return dltc__buf_printf(b, "TYPE%d", (int)duckdb_get_type_id(lt));
    }
}

/* Decimal digits of a signed 128-bit integer, with `scale` digits after a point. */
static size_t i128_text(char *out, __int128 v, unsigned scale)
{
    char tmp[64];
    size_t n = 0;
    int neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale && scale)
        tmp[n++] = '0';
    size_t len = 0;
    if (neg)
        out[len++] = '-';
    for (size_t i = n; i-- > 0;) {
        out[len++] = tmp[i];
        if (scale && i == scale)
            out[len++] = '.';
    }
    out[len] = '\0';
    return len;
}

/* An integer: INT when it fits int64, else its digits as BIGINT. */
static int set_i128(dltc_rows *rows, dltc_value *v, __int128 x)
{
    if (x >= INT64_MIN && x <= INT64_MAX) {
        dltc__value_set_type(v, DLTC_TYPE_INT);
        v->u.i = (int64_t)x;
        return 0;
    }
    char text[64];
    size_t n = i128_text(text, x, 0);
    return dltc__rows_set_bytes(rows, v, DLTC_TYPE_BIGINT, text, n);
}

typedef struct {
    duckdb_type id;
    duckdb_type internal; /* DECIMAL storage, ENUM index type */
    unsigned scale;
    duckdb_logical_type lt;
} col_info;

static __int128 hugeint_of(const duckdb_hugeint *h)
{
    return (__int128)(((unsigned __int128)(uint64_t)h->upper << 64) | h->lower);
}

/* Convert cell `i` of vector data `data` of column type `c` into v. */
static int convert_cell(dltc_rows *rows, dltc_value *v, const col_info *c, void *data, idx_t i,
                        const char *colname)
{
    switch (c->id) {
    case DUCKDB_TYPE_BOOLEAN:
        dltc__value_set_type(v, DLTC_TYPE_BOOL);
        v->u.i = ((bool *)data)[i] ? 1 : 0;
        return 0;
    case DUCKDB_TYPE_TINYINT: return set_i128(rows, v, ((int8_t *)data)[i]);
    case DUCKDB_TYPE_SMALLINT: return set_i128(rows, v, ((int16_t *)data)[i]);
    case DUCKDB_TYPE_INTEGER: return set_i128(rows, v, ((int32_t *)data)[i]);
    case DUCKDB_TYPE_BIGINT: return set_i128(rows, v, ((int64_t *)data)[i]);
    case DUCKDB_TYPE_UTINYINT: return set_i128(rows, v, ((uint8_t *)data)[i]);
    case DUCKDB_TYPE_USMALLINT: return set_i128(rows, v, ((uint16_t *)data)[i]);
    case DUCKDB_TYPE_UINTEGER: return set_i128(rows, v, ((uint32_t *)data)[i]);
    case DUCKDB_TYPE_UBIGINT: return set_i128(rows, v, ((uint64_t *)data)[i]);
    case DUCKDB_TYPE_HUGEINT: return set_i128(rows, v, hugeint_of(&((duckdb_hugeint *)data)[i]));
    case DUCKDB_TYPE_UHUGEINT: {
        const duckdb_uhugeint *h = &((duckdb_uhugeint *)data)[i];
        unsigned __int128 u = ((unsigned __int128)h->upper << 64) | h->lower;
        if (u <= (unsigned __int128)INT64_MAX)
            return set_i128(rows, v, (__int128)u);
        char text[64];
        size_t n = 0;
        char tmp[64];
        do {
            tmp[n++] = (char)('0' + (int)(u % 10));
            u /= 10;
        } while (u);
        for (size_t k = 0; k < n; k++)
            text[k] = tmp[n - 1 - k];
        return dltc__rows_set_bytes(rows, v, DLTC_TYPE_BIGINT, text, n);
    }
    case DUCKDB_TYPE_FLOAT:
        dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
        v->u.d = ((float *)data)[i];
        return 0;
    case DUCKDB_TYPE_DOUBLE:
        dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
        v->u.d = ((double *)data)[i];
        return 0;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB: {
        duckdb_string_t *s = &((duckdb_string_t *)data)[i];
        return dltc__rows_set_bytes(rows, v,
                                    c->id == DUCKDB_TYPE_BLOB ? DLTC_TYPE_BINARY : DLTC_TYPE_STRING,
                                    duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    case DUCKDB_TYPE_DATE:
        dltc__value_set_type(v, DLTC_TYPE_DATE);
        v->u.i = ((duckdb_date *)data)[i].days;
        return 0;
    case DUCKDB_TYPE_TIME:
        dltc__value_set_type(v, DLTC_TYPE_TIME);
        v->u.i = ((duckdb_time *)data)[i].micros;
        return 0;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS: {
        int64_t x = ((int64_t *)data)[i];
        if (c->id == DUCKDB_TYPE_TIMESTAMP_S)
            x *= 1000000;
        else if (c->id == DUCKDB_TYPE_TIMESTAMP_MS)
            x *= 1000;
        else if (c->id == DUCKDB_TYPE_TIMESTAMP_NS)
            x = x >= 0 ? x / 1000 : -((-x + 999) / 1000);
        dltc__value_set_type(v, DLTC_TYPE_TIMESTAMP);
        v->u.i = x;
        if (c->id == DUCKDB_TYPE_TIMESTAMP_TZ)
            v->flags = DLTC_VF_TZ;
        return 0;
    }
    case DUCKDB_TYPE_DECIMAL: {
        __int128 x;
        switch (c->internal) {
        case DUCKDB_TYPE_SMALLINT: x = ((int16_t *)data)[i]; break;
        case DUCKDB_TYPE_INTEGER: x = ((int32_t *)data)[i]; break;
        case DUCKDB_TYPE_BIGINT: x = ((int64_t *)data)[i]; break;
        default: x = hugeint_of(&((duckdb_hugeint *)data)[i]); break;
        }
        if (c->scale == 0)
            return set_i128(rows, v, x);
        char text[64];
        size_t n = i128_text(text, x, c->scale);
        return dltc__rows_set_bytes(rows, v, DLTC_TYPE_DECIMAL, text, n);
    }
    case DUCKDB_TYPE_ENUM: {
        idx_t k;
        switch (c->internal) {
        case DUCKDB_TYPE_UTINYINT: k = ((uint8_t *)data)[i]; break;
        case DUCKDB_TYPE_USMALLINT: k = ((uint16_t *)data)[i]; break;
        default: k = ((uint32_t *)data)[i]; break;
        }
        char *s = duckdb_enum_dictionary_value(c->lt, k);
        int rc = s ? dltc__rows_set_bytes(rows, v, DLTC_TYPE_STRING, s, strlen(s))
                   : dltc__error_oom();
        duckdb_free(s);
        return rc;
    }
    case DUCKDB_TYPE_UUID: {
        const duckdb_hugeint *h = &((duckdb_hugeint *)data)[i];
        uint64_t hi = (uint64_t)h->upper ^ ((uint64_t)1 << 63), lo = h->lower;
        char text[40];
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;
        for (int k = 0; k < 32; k++) {
            uint64_t w = k < 16 ? hi : lo;
            int shift = 60 - 4 * (k % 16);
            if (k == 8 || k == 12 || k == 16 || k == 20)
                text[n++] = '-';
            text[n++] = hex[(w >> shift) & 15];
        }
        return dltc__rows_set_bytes(rows, v, DLTC_TYPE_STRING, text, n);
    }
    default: {
        dltc_buf b = DLTC_BUF_INIT;
        type_name(&b, c->lt);
        int rc = dltc__error_set(DLTC_EINVALID,
                                 "column %s: DuckDB type %s is not supported in query results "
                                 "(cast it to VARCHAR)",
                                 colname, b.data ? b.data : "?");
        dltc__buf_free(&b);
        return rc;
    }
    }
}

/* The columns of a result: their conversion info (cols[ncols]) and, in `rows`, their names
 * and type names. */
static int columns_init(duckdb_result *res, col_info **out, dltc_rows **rows_out)
{
    idx_t ncols = duckdb_column_count(res);
    dltc_rows *rows = NULL;
    col_info *cols = dltc__calloc(ncols ? ncols : 1, sizeof(*cols));
    dltc_buf tn = DLTC_BUF_INIT;
    int rc = cols ? dltc__rows_new(&rows, ncols) : dltc__error_oom();
    for (idx_t c = 0; !rc && c < ncols; c++) {
        cols[c].lt = duckdb_column_logical_type(res, c);
        cols[c].id = duckdb_get_type_id(cols[c].lt);
        if (cols[c].id == DUCKDB_TYPE_DECIMAL) {
            cols[c].internal = duckdb_decimal_internal_type(cols[c].lt);
            cols[c].scale = duckdb_decimal_scale(cols[c].lt);
        } else if (cols[c].id == DUCKDB_TYPE_ENUM) {
            cols[c].internal = duckdb_enum_internal_type(cols[c].lt);
        }
        dltc__buf_clear(&tn);
        rc = type_name(&tn, cols[c].lt);
        if (!rc)
            rc = dltc__rows_set_column(rows, c, duckdb_column_name(res, c), tn.data);
    }
    dltc__buf_free(&tn);
    *out = cols;
    *rows_out = rows;
    return rc;
}

static void columns_free(col_info *cols, idx_t ncols)
{
    for (idx_t c = 0; cols && c < ncols; c++)
        if (cols[c].lt)
            duckdb_destroy_logical_type(&cols[c].lt);
    dltc__free(cols);
}

/* Append rows [from, to) of `chunk` to `rows`. */
static int append_chunk(dltc_rows *rows, const col_info *cols, duckdb_data_chunk chunk,
                        idx_t from, idx_t to)
{
    size_t ncols = dltc_rows_column_count(rows);
    size_t first = dltc_rows_count(rows);
    int rc = 0;
    for (idx_t r = from; !rc && r < to; r++) {
        dltc_value *row;
        rc = dltc__rows_add_row(rows, &row);
    }
    /* column by column over the chunk; cells are addressed through the public getter */
    for (idx_t c = 0; !rc && c < ncols; c++) {
        duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, c);
        void *data = duckdb_vector_get_data(vec);
        uint64_t *valid = duckdb_vector_get_validity(vec);
        const char *name = dltc_rows_column_name(rows, c);
        for (idx_t r = from; !rc && r < to; r++) {
            if (valid && !duckdb_validity_row_is_valid(valid, r))
                continue;
            dltc_value *v = (dltc_value *)dltc_rows_get(rows, first + (r - from), c);
            rc = convert_cell(rows, v, &cols[c], data, r, name);
        }
    }
    return rc;
}

static int materialize(duckdb_result *res, dltc_rows **out)
{
    idx_t ncols = duckdb_column_count(res);
    col_info *cols = NULL;
    dltc_rows *rows = NULL;
    int rc = columns_init(res, &cols, &rows);
    duckdb_data_chunk chunk;
    while (!rc && (chunk = duckdb_fetch_chunk(*res)) != NULL) {
        rc = append_chunk(rows, cols, chunk, 0, duckdb_data_chunk_get_size(chunk));
        duckdb_destroy_data_chunk(&chunk);
    }
    columns_free(cols, ncols);
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

/* ---- streamed queries ---- */

struct dltc_duckdb_stream {
    duckdb_prepared_statement stmt;
    duckdb_pending_result pending;
    duckdb_result res;
    int has_res;
    col_info *cols;
    idx_t ncols;
    dltc_rows *header;       /* column names and types only: copied into every batch */
    duckdb_data_chunk chunk; /* the chunk being handed out, from row `pos` */
    idx_t pos;
    int done;
};

int dltc__duckdb_stream_open(dltc_duckdb_stream **out, dltc_duckdb *d, const char *sql)
{
    dltc_duckdb_stream *s = dltc__calloc(1, sizeof(*s));
    if (!s)
        return dltc__error_oom();
    int rc = 0;
    if (duckdb_prepare(d->con, sql, &s->stmt) == DuckDBError)
        rc = dltc__duckdb_error(DLTC_EDATABASE, "", duckdb_prepare_error(s->stmt));
    else if (duckdb_pending_prepared_streaming(s->stmt, &s->pending) == DuckDBError)
        rc = dltc__duckdb_error(DLTC_EDATABASE, "", duckdb_pending_error(s->pending));
    else if (duckdb_execute_pending(s->pending, &s->res) == DuckDBError) {
        s->has_res = 1;
        rc = dltc__duckdb_error(DLTC_EDATABASE, "", duckdb_result_error(&s->res));
    } else {
        s->has_res = 1;
        s->ncols = duckdb_column_count(&s->res);
        rc = columns_init(&s->res, &s->cols, &s->header);
    }
    if (rc) {
        dltc__duckdb_stream_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

size_t dltc__duckdb_stream_columns(const dltc_duckdb_stream *s)
{
    return (size_t)s->ncols;
}

int dltc__duckdb_stream_next(dltc_duckdb_stream *s, size_t max_rows, dltc_rows **out)
{
    dltc_rows *rows = NULL;
    int rc = dltc__rows_new(&rows, s->ncols);
    for (idx_t c = 0; !rc && c < s->ncols; c++)
        rc = dltc__rows_set_column(rows, c, dltc_rows_column_name(s->header, c),
                                   dltc_rows_column_type(s->header, c));
    while (!rc && !s->done && dltc_rows_count(rows) < max_rows) {
        if (!s->chunk) {
            s->chunk = duckdb_fetch_chunk(s->res);
            s->pos = 0;
            if (!s->chunk) {
                const char *err = duckdb_result_error(&s->res);
                s->done = 1;
                if (err && *err)
                    rc = dltc__duckdb_error(DLTC_EDATABASE, "", err);
                break;
            }
        }
        idx_t n = duckdb_data_chunk_get_size(s->chunk);
        idx_t take = n - s->pos;
        if (take > max_rows - dltc_rows_count(rows))
            take = (idx_t)(max_rows - dltc_rows_count(rows));
        rc = append_chunk(rows, s->cols, s->chunk, s->pos, s->pos + take);
        s->pos += take;
        if (s->pos >= n)
            duckdb_destroy_data_chunk(&s->chunk); /* sets it to NULL */
    }
    if (!rc && !dltc_rows_count(rows) && s->done)
        rc = DLTC_ITEROVER;
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

void dltc__duckdb_stream_close(dltc_duckdb_stream *s)
{
    if (!s)
        return;
    if (s->chunk)
        duckdb_destroy_data_chunk(&s->chunk);
    columns_free(s->cols, s->ncols);
    dltc_rows_free(s->header);
    if (s->has_res)
        duckdb_destroy_result(&s->res);
    if (s->pending)
        duckdb_destroy_pending(&s->pending);
    if (s->stmt)
        duckdb_destroy_prepare(&s->stmt);
    dltc__free(s);
}

int dltc__duckdb_query(dltc_duckdb *d, const char *sql, dltc_rows **out)
{
    duckdb_result r;
    if (duckdb_query(d->con, sql, &r) == DuckDBError) {
        int rc = dltc__duckdb_error(DLTC_EDATABASE, "", duckdb_result_error(&r));
        duckdb_destroy_result(&r);
        return rc;
    }
    int rc = materialize(&r, out);
    duckdb_destroy_result(&r);
    return rc;
}

int dltc__duckdb_table_columns(dltc_duckdb *d, const char *dataset, const char *table,
                               char ***names, size_t *n, int *exists)
{
    dltc_buf sql = DLTC_BUF_INIT;
    dltc_rows *rows = NULL;
    *names = NULL;
    *n = 0;
    *exists = 0;
    /* dataset NULL: the connection's temporary (staging) table */
    int rc = dltc__buf_puts(&sql, dataset ? "SELECT column_name FROM information_schema.columns "
                                            "WHERE table_catalog = current_database() AND "
                                            "table_schema = "
                                          : "SELECT column_name FROM information_schema.columns "
                                            "WHERE table_catalog = 'temp' AND table_schema = "
                                            "'main'");
    if (!rc && dataset)
        rc = dltc__sql_string(&sql, dataset, strlen(dataset));
    if (!rc)
        rc = dltc__buf_puts(&sql, " AND table_name = ");
    if (!rc)
        rc = dltc__sql_string(&sql, table, strlen(table));
    if (!rc)
        rc = dltc__buf_puts(&sql, " ORDER BY ordinal_position");
    if (!rc)
        rc = dltc__duckdb_query(d, sql.data, &rows);
    dltc__buf_free(&sql);
    if (rc)
        return rc;
    size_t count = dltc_rows_count(rows);
    char **v = count ? dltc__calloc(count, sizeof(char *)) : NULL;
    if (count && !v)
        rc = dltc__error_oom();
    for (size_t i = 0; !rc && i < count; i++) {
        size_t len;
        const char *s = dltc_value_get_str(dltc_rows_get(rows, i, 0), &len);
        v[i] = dltc__strndup(s, len);
        if (!v[i])
            rc = dltc__error_oom();
    }
    dltc_rows_free(rows);
    if (rc) {
        for (size_t i = 0; v && i < count; i++)
            dltc__free(v[i]);
        dltc__free(v);
        return rc;
    }
    *names = v;
    *n = count;
    *exists = count > 0;
    return 0;
}

void dltc__duckdb_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dltc__free(names[i]);
    dltc__free(names);
}

int dltc__duckdb_table_exists(dltc_duckdb *d, const char *dataset, const char *table, int *yes)
{
    char **names = NULL;
    size_t n = 0;
    int rc = dltc__duckdb_table_columns(d, dataset, table, &names, &n, yes);
    dltc__duckdb_free_names(names, n);
    return rc;
}

/* A streamed query (DuckDB computes chunks on demand) read up to max_rows rows, then one
 * more to know whether there were more. Prepared: one statement only. */
int dltc__duckdb_query_limited(dltc_duckdb *d, const char *sql, size_t max_rows,
                               dltc_rows **out, int *truncated)
{
    dltc_duckdb_stream *s = NULL;
    dltc_rows *rows = NULL, *more = NULL;
    int trunc = 0;
    *out = NULL;
    int rc = dltc__duckdb_stream_open(&s, d, sql);
    if (!rc)
        rc = max_rows ? dltc__duckdb_stream_next(s, max_rows, &rows) : DLTC_ITEROVER;
    if (rc == DLTC_ITEROVER) { /* no rows (or none asked for): the columns only */
        rc = dltc__rows_new(&rows, s->ncols);
        for (idx_t c = 0; !rc && c < s->ncols; c++)
            rc = dltc__rows_set_column(rows, c, dltc_rows_column_name(s->header, c),
                                       dltc_rows_column_type(s->header, c));
    }
    if (!rc) {
        rc = dltc__duckdb_stream_next(s, 1, &more);
        trunc = rc == 0;
        rc = rc == DLTC_ITEROVER ? 0 : rc;
    }
    dltc_rows_free(more);
    dltc__duckdb_stream_close(s);
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    if (truncated)
        *truncated = trunc;
    *out = rows;
    return 0;
}
