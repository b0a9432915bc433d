/* A materialized query result: column names and type names, then rows of dltc_value cells
 * in one vector; strings and bytes in an arena. get_text renders a cell as the CLI prints
 * it into a per-result buffer. */
#include "load/rows.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "formats/json.h"

#include <inttypes.h>
#include <string.h>

struct dltc_rows {
    size_t ncols;
    char **names;
    char **types;
    dltc_value *cells; /* nrows * ncols */
    size_t nrows, caprows;
    dltc_arena arena;
    dltc_buf text; /* get_text */
};

int dltc__rows_new(dltc_rows **out, size_t ncols)
{
    dltc_rows *r = dltc__calloc(1, sizeof(*r));
    if (!r)
        return dltc__error_oom();
    r->ncols = ncols;
    if (ncols) {
        r->names = dltc__calloc(ncols, sizeof(char *));
        r->types = dltc__calloc(ncols, sizeof(char *));
        if (!r->names || !r->types) {
            dltc_rows_free(r);
            return dltc__error_oom();
        }
    }
    dltc__arena_init(&r->arena, 64u * 1024u);
    r->arena.limit = DLTC_ROWS_MAX_BYTES;
    *out = r;
    return 0;
}

int dltc__rows_set_column(dltc_rows *rows, size_t col, const char *name, const char *type)
{
    char *n = dltc__strdup(name ? name : "");
    char *t = dltc__strdup(type ? type : "");
    if (!n || !t) {
        dltc__free(n);
        dltc__free(t);
        return dltc__error_oom();
    }
    dltc__free(rows->names[col]);
    dltc__free(rows->types[col]);
    rows->names[col] = n;
    rows->types[col] = t;
    return 0;
}

int dltc__rows_add_row(dltc_rows *rows, dltc_value **out)
{
    size_t width = rows->ncols ? rows->ncols : 1;
    if (rows->nrows == rows->caprows) {
        size_t cap = rows->caprows ? rows->caprows * 2 : 64;
        if (cap * width * sizeof(dltc_value) + rows->arena.used > DLTC_ROWS_MAX_BYTES)
            return dltc__error_set(DLTC_ELIMIT, "query result larger than %zu bytes",
                                   (size_t)DLTC_ROWS_MAX_BYTES);
        dltc_value *c = dltc__realloc(rows->cells, cap * width * sizeof(dltc_value));
        if (!c)
            return dltc__error_oom();
        rows->cells = c;
        rows->caprows = cap;
    }
    dltc_value *row = rows->cells + rows->nrows * width;
    for (size_t i = 0; i < width; i++)
        dltc__value_set_type(&row[i], DLTC_TYPE_NULL);
    rows->nrows++;
    *out = row;
    return 0;
}

const char *dltc__rows_copy(dltc_rows *rows, const void *data, size_t len)
{
    char *p = dltc__arena_alloc(&rows->arena, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, data, len);
    p[len] = '\0';
    return p;
}

int dltc__rows_set_bytes(dltc_rows *rows, dltc_value *v, int type, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        return dltc__error_set(DLTC_ELIMIT, "value of %zu bytes in a query result", len);
    const char *p = dltc__rows_copy(rows, data, len);
    if (!p)
        return DLTC_ENOMEM;
    dltc__value_set_type(v, type);
    v->u.s = p;
    v->len = (uint32_t)len;
    return 0;
}

size_t dltc_rows_column_count(const dltc_rows *rows)
{
    return rows->ncols;
}

const char *dltc_rows_column_name(const dltc_rows *rows, size_t col)
{
    return col < rows->ncols ? rows->names[col] : NULL;
}

const char *dltc_rows_column_type(const dltc_rows *rows, size_t col)
{
    return col < rows->ncols ? rows->types[col] : NULL;
}

size_t dltc_rows_count(const dltc_rows *rows)
{
    return rows->nrows;
}

const dltc_value *dltc_rows_get(const dltc_rows *rows, size_t row, size_t col)
{
    if (row >= rows->nrows || col >= rows->ncols)
        return NULL;
    return &rows->cells[row * rows->ncols + col];
}

/* The text of one value, appended to b. Binary is rendered as base64 (as in JSON). */
static int render(dltc_buf *b, const dltc_value *v)
{
    char tmp[64];
    size_t n;
    switch ((dltc_value_type)v->type) {
    case DLTC_TYPE_NULL:
        return 0;
    case DLTC_TYPE_BOOL:
        return dltc__buf_puts(b, v->u.i ? "true" : "false");
    case DLTC_TYPE_INT:
        return dltc__buf_printf(b, "%" PRId64, v->u.i);
    case DLTC_TYPE_DOUBLE:
        n = dltc__format_double(tmp, v->u.d);
        return dltc__buf_put(b, tmp, n);
    case DLTC_TYPE_TIMESTAMP:
        n = (v->flags & DLTC_VF_TZ) ? dltc__format_timestamp(tmp, v->u.i)
                                    : dltc__format_timestamp_naive(tmp, v->u.i);
        return dltc__buf_put(b, tmp, n);
    case DLTC_TYPE_DATE:
        n = dltc__format_date(tmp, (int32_t)v->u.i);
        return dltc__buf_put(b, tmp, n);
    case DLTC_TYPE_TIME:
        n = dltc__format_time(tmp, v->u.i);
        return dltc__buf_put(b, tmp, n);
    case DLTC_TYPE_BINARY: {
        size_t need = 4 * ((v->len + 2) / 3) + 1;
        int rc = dltc__buf_reserve(b, need);
        if (rc)
            return rc;
        b->len += dltc__base64_encode((const uint8_t *)v->u.s, v->len, b->data + b->len, 1);
        return 0;
    }
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
        return dltc__buf_put(b, v->u.s, v->len);
    case DLTC_TYPE_ARRAY:
    case DLTC_TYPE_OBJECT:
        return dltc__json_write(b, v);
    }
    return 0;
}

const char *dltc_rows_get_text(dltc_rows *rows, size_t row, size_t col)
{
    const dltc_value *v = dltc_rows_get(rows, row, col);
    dltc__buf_clear(&rows->text);
    if (!v || render(&rows->text, v) != 0)
        return "";
    return rows->text.data ? rows->text.data : "";
}

void dltc_rows_free(dltc_rows *rows)
{
    if (!rows)
        return;
    for (size_t i = 0; i < rows->ncols; i++) {
        if (rows->names)
            dltc__free(rows->names[i]);
        if (rows->types)
            dltc__free(rows->types[i]);
    }
    dltc__free(rows->names);
    dltc__free(rows->types);
    dltc__free(rows->cells);
    dltc__arena_free(&rows->arena);
    dltc__buf_free(&rows->text);
    dltc__free(rows);
}
