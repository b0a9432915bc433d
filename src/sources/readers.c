/* The filesystem source's readers (dlt's read_csv, read_csv_duckdb, read_jsonl,
 * read_parquet): each file item is read with DuckDB's own reader through a streamed query,
 * chunk_size rows at a time, and every chunk is yielded as one page of row objects. A page
 * lives in the reader's doc and DuckDB's batch until it is yielded, then both are freed, so a
 * file of any size is read in bounded memory. */
#include "dltc/filesystem_source.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "duckdb/client.h"
#include "formats/value.h"
#include "load/rows.h"
#include "load/sql.h"
#include "sources/readers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    size_t chunk;
} formats[] = {
    [DLTC_READ_CSV] = {"csv", 10000},
    [DLTC_READ_CSV_DUCKDB] = {"csv_duckdb", 5000},
    [DLTC_READ_JSONL] = {"jsonl", 1000},
    [DLTC_READ_PARQUET] = {"parquet", 1000},
};

int dltc__reader_format(const char *name, dltc__read_format *out)
{
    for (size_t i = 0; name && i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcmp(name, formats[i].name) == 0) {
            *out = (dltc__read_format)i;
            return 0;
        }
    return dltc__error_set(DLTC_EINVALID, "filesystem reader: unknown format '%s' (csv, "
                           "csv_duckdb, jsonl or parquet)", name ? name : "(null)");
}

const char *dltc__reader_format_name(dltc__read_format f)
{
    return formats[f].name;
}

size_t dltc__reader_default_chunk(dltc__read_format f)
{
    return formats[f].chunk;
}

/* SELECT * FROM <reader>('<path>' …): the path only as a quoted string literal. */
static int reader_sql(dltc_buf *b, const char *path, dltc__read_format f)
{
    static const char *const fn[] = {"read_csv_auto(", "read_csv_auto(", "read_json_auto(",
                                     "read_parquet("};
    /* jsonl: the columns of the top-level objects; nested values come as JSON text, parsed
     * back into nested values below (the normalizer then makes dlt's nested tables) */
    static const char *const args[] = {")", ")",
                                       ", format = 'newline_delimited', maximum_depth = 1)", ")"};
    int rc = dltc__buf_puts(b, "SELECT * FROM ");
    if (!rc)
        rc = dltc__buf_puts(b, fn[f]);
    if (!rc)
        rc = dltc__sql_string(b, path, strlen(path));
    return rc ? rc : dltc__buf_puts(b, args[f]);
}

/* One page: an array of objects in `doc`, one per row. The values are shallow copies of the
 * batch's (strings stay in `rows`, which outlives the page); JSON columns are parsed. */
static int build_page(dltc_doc *doc, dltc_rows *rows, const unsigned char *json_col,
                      dltc_value **out)
{
    dltc_value *page = dltc_value_array(doc);
    if (!page)
        return dltc_error_last()->code;
    size_t nrows = dltc_rows_count(rows), ncols = dltc_rows_column_count(rows);
    int rc = 0;
    for (size_t r = 0; !rc && r < nrows; r++) {
        dltc_value empty;
        dltc__value_set_type(&empty, DLTC_TYPE_OBJECT);
        if ((rc = dltc__array_append(&doc->arena, page, &empty)))
            break;
        dltc_value *obj = &page->u.arr[page->len - 1];
        for (size_t c = 0; !rc && c < ncols; c++) {
            const dltc_value *v = dltc_rows_get(rows, r, c);
            dltc_value *parsed;
            if (json_col[c] && v->type == DLTC_TYPE_STRING) {
                if ((rc = dltc_doc_parse_json(doc, v->u.s, v->len, &parsed)))
                    break;
                v = parsed;
            }
            const char *name = dltc_rows_column_name(rows, c);
            rc = dltc__object_set(&doc->arena, obj, name, strlen(name), v);
        }
    }
    *out = page;
    return rc;
}

int dltc__reader_read_file(const char *path, dltc__read_format f, size_t chunk_size,
                           dltc__reader_page_fn fn, void *payload)
{
    /* DuckDB takes a path with * ? [ as a glob: such a file is read through a descriptor */
    int fd = -1;
    char fd_path[40];
    const char *src = path;
    if (strpbrk(path, "*?[")) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
        snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
        src = fd_path;
    }
    dltc_buf sql = DLTC_BUF_INIT;
    dltc_duckdb *db = NULL;
    dltc_duckdb_stream *s = NULL;
    dltc_doc *doc = NULL;
    unsigned char *json_col = NULL;
    int ours = 1; /* a failure of DuckDB (named by the file), not of fn */
    int rc = reader_sql(&sql, src, f);
    if (!rc)
        rc = dltc_doc_new(&doc);
    if (!rc)
        rc = dltc__duckdb_open(&db, NULL);
    if (!rc)
        rc = dltc__duckdb_stream_open(&s, db, sql.data);
    size_t ncols = s ? dltc__duckdb_stream_columns(s) : 0;
    if (!rc && !(json_col = dltc__calloc(ncols ? ncols : 1, 1)))
        rc = dltc__error_oom();
    int typed = 0;
    while (!rc) {
        dltc_rows *rows = NULL;
        if ((rc = dltc__duckdb_stream_next(s, chunk_size, &rows)))
            break;
        if (!typed) {
            for (size_t c = 0; c < ncols; c++)
                json_col[c] = strcmp(dltc_rows_column_type(rows, c), "JSON") == 0;
            typed = 1;
        }
        dltc_value *page = NULL;
        rc = build_page(doc, rows, json_col, &page);
        if (!rc) {
            ours = 0;
            rc = fn(page, payload);
            ours = rc == 0;
        }
        dltc_rows_free(rows);
        dltc_doc_clear(doc);
    }
    if (rc == DLTC_ITEROVER)
        rc = 0;
    if (rc && ours)
        dltc__error_prefix("%s: ", path);
    dltc__free(json_col);
    dltc__duckdb_stream_close(s);
    dltc__duckdb_close(db);
    dltc_doc_free(doc);
    dltc__buf_free(&sql);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ---- the transformer ---- */

/* The reader's settings fit in its payload word (format in the low 2 bits, chunk size
 * above), so the resource owns no memory of ours that it would have to free. */
#define PACK(f, chunk) ((void *)(((uintptr_t)(chunk) << 2) | (uintptr_t)(f)))
#define MAX_CHUNK (SIZE_MAX >> 2)

static int yield_page(const dltc_value *page, void *payload)
{
    return dltc_yield_value(payload, page);
}

static int read_item(const dltc_value *item, dltc_yield *y, void *payload)
{
    uintptr_t w = (uintptr_t)payload;
    dltc__read_format f = (dltc__read_format)(w & 3);
    size_t chunk = (size_t)(w >> 2);
    const dltc_value *url =
        dltc_value_type_of(item) == DLTC_TYPE_OBJECT ? dltc_object_get(item, "file_url") : NULL;
    if (!url || dltc_value_type_of(url) != DLTC_TYPE_STRING)
        return dltc__error_set(DLTC_EINVALID, "read_%s: the item has no string file_url (feed "
                               "the reader from a filesystem resource)", formats[f].name);
    char *path = NULL;
    int rc = dltc__filesystem_url_path(dltc_value_get_str(url, NULL), &path);
    if (!rc)
        rc = dltc__reader_read_file(path, f, chunk, yield_page, y);
    dltc__free(path);
    return rc;
}

int dltc_filesystem_reader(dltc_resource **out, const char *name, dltc_resource *files,
                           const char *format, const dltc_reader_options *o)
{
    dltc_reader_options def = DLTC_READER_OPTIONS_INIT;
    if (!o)
        o = &def;
    if (o->version != DLTC_READER_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "reader options: version mismatch");
    dltc__read_format f = (dltc__read_format)0;
    int rc = dltc__reader_format(format, &f);
    if (rc)
        return rc;
    size_t chunk = o->chunk_size ? o->chunk_size : formats[f].chunk;
    if (chunk > MAX_CHUNK || chunk > UINT32_MAX)
        return dltc__error_set(DLTC_EINVALID, "reader %s: chunk_size %zu is too large",
                               name ? name : "", chunk);
    return dltc_transformer_new(out, name, files, read_item, PACK(f, chunk), o->resource);
}
