/* jsonl load files: one JSON object per row, keys in row order, values by column type
 * (timestamps as ISO strings with +00:00, decimals as strings, json columns as nested JSON).
 * Buffered: rows are appended to a memory buffer written out in 256 KiB blocks. */
#include "normalize/writer.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"

#include <string.h>

struct dltc_writer {
    dltc_wfile f;
    /* per-column pre-escaped `"name":` prefix, grown as the table gains columns */
    char **keys;
    uint32_t *keylens;
    size_t nkeys;
};

static int jsonl_open(dltc_writer **out, const char *path, const dltc_table *table)
{
    (void)table;
    dltc_writer *w = dltc__calloc(1, sizeof(*w));
    if (!w)
        return dltc__error_oom();
    int rc = dltc__wfile_open(&w->f, path);
    if (rc) {
        dltc__free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int ensure_keys(dltc_writer *w, const dltc_table *t)
{
    if (w->nkeys >= t->ncols)
        return 0;
    char **k = dltc__realloc(w->keys, t->ncols * sizeof(char *));
    if (!k)
        return dltc__error_oom();
    w->keys = k;
    uint32_t *kl = dltc__realloc(w->keylens, t->ncols * sizeof(uint32_t));
    if (!kl)
        return dltc__error_oom();
    w->keylens = kl;
    for (size_t i = w->nkeys; i < t->ncols; i++) {
        dltc_buf b = DLTC_BUF_INIT;
        int rc = dltc__json_write_string(&b, t->cols[i].name, strlen(t->cols[i].name));
        if (!rc)
            rc = dltc__buf_putc(&b, ':');
        if (rc) {
            dltc__buf_free(&b);
            return rc;
        }
        w->keylens[i] = (uint32_t)b.len;
        w->keys[i] = dltc__buf_detach(&b);
        w->nkeys = i + 1;
    }
    return 0;
}

/* Bytes a value takes when it is one of the common kinds written inline; 0 otherwise. */
static inline size_t inline_size(const dltc_value *v)
{
    switch (v->type) {
    case DLTC_TYPE_STRING:
        return (v->flags & DLTC_VF_CLEAN) ? (size_t)v->len + 2 : 0;
    case DLTC_TYPE_INT:
    case DLTC_TYPE_DOUBLE:
        return v->lex ? v->len : 0;
    case DLTC_TYPE_BOOL:
        return 5;
    default:
        return 0;
    }
}

static int jsonl_write_row(dltc_writer *w, const dltc_table *t, const dltc_cell *cells, size_t n)
{
    int rc = ensure_keys(w, t);
    if (rc)
        return rc;
    dltc_buf *b = &w->f.buf;
    /* room for the whole row when every value is of an inline kind (the usual case) */
    size_t need = n + 3;
    for (size_t i = 0; i < n; i++)
        need += w->keylens[cells[i].col] + inline_size(&cells[i].val);
    if ((rc = dltc__buf_reserve(b, need)))
        return rc;
    b->data[b->len++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            b->data[b->len++] = ',';
        uint32_t c = cells[i].col;
        const dltc_value *v = &cells[i].val;
        size_t room = inline_size(v);
        if (b->cap - b->len < (size_t)w->keylens[c] + room + 3 &&
            (rc = dltc__buf_reserve(b, (size_t)w->keylens[c] + room + 3)))
            return rc;
        memcpy(b->data + b->len, w->keys[c], w->keylens[c]);
        b->len += w->keylens[c];
        if (!room) {
            /* decimals and integers beyond int64 are strings, as dlt writes them (and so
             * DuckDB's read_json keeps every digit) */
            if (v->type == DLTC_TYPE_DECIMAL || v->type == DLTC_TYPE_BIGINT)
                rc = dltc__json_write_string(b, v->u.s, v->len);
            else
                rc = dltc__json_write(b, v);
            if (rc)
                return rc;
            continue;
        }
        char *o = b->data + b->len;
        if (v->type == DLTC_TYPE_STRING) {
            o[0] = '"';
            memcpy(o + 1, v->u.s, v->len);
            o[v->len + 1] = '"';
        } else if (v->type == DLTC_TYPE_BOOL) {
            room = v->u.i ? 4 : 5;
            memcpy(o, v->u.i ? "true" : "false", room);
        } else {
            memcpy(o, v->lex, v->len);
        }
        b->len += room;
    }
    if ((rc = dltc__buf_put(b, "}\n", 2)))
        return rc;
    return dltc__wfile_maybe_flush(&w->f);
}

static void writer_free(dltc_writer *w)
{
    for (size_t i = 0; i < w->nkeys; i++)
        dltc__free(w->keys[i]);
    dltc__free(w->keys);
    dltc__free(w->keylens);
    dltc__wfile_abort(&w->f); /* a no-op after finish */
    dltc__free(w);
}

static int jsonl_finish(dltc_writer *w)
{
    int rc = dltc__wfile_finish(&w->f);
    writer_free(w);
    return rc;
}

static void jsonl_abort(dltc_writer *w)
{
    if (!w)
        return;
    writer_free(w);
}

const dltc_writer_type dltc__writer_jsonl = {"jsonl", "jsonl", jsonl_open, jsonl_write_row,
                                             jsonl_finish, jsonl_abort};
