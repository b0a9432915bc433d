/* jsonl load files: one JSON object per row, keys in row order, values by column type
 * (timestamps as ISO strings with +00:00, decimals as strings, json columns as nested JSON). Buffered: rows are
 * appended to a memory buffer written out in 256 KiB blocks. */
#include "normalize/writer.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define FLUSH_AT (256u * 1024u)
#define SYNC_EVERY (4u * 1024u * 1024u)

struct dltc_writer {
    int fd;
    char *path;
    dltc_buf buf;
    uint64_t written; /* bytes handed to the kernel */
    uint64_t synced;  /* bytes whose writeback was started */
    /* per-column pre-escaped `"name":` prefix, grown as the table gains columns */
    char **keys;
    uint32_t *keylens;
    size_t nkeys;
};

static int write_all(dltc_writer *w)
{
    size_t off = 0;
    while (off < w->buf.len) {
        ssize_t n = write(w->fd, w->buf.data + off, w->buf.len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return dltc__error_set(DLTC_EIO, "%s: write failed: %s", w->path, strerror(errno));
        }
        off += (size_t)n;
    }
    w->written += w->buf.len;
    dltc__buf_clear(&w->buf);
    /* start writeback of what is written so far without waiting for it, so the fsync at
     * the end finds little left to do (the disk works while we parse) */
    if (w->written - w->synced >= SYNC_EVERY) {
        sync_file_range(w->fd, (off_t)w->synced, (off_t)(w->written - w->synced),
                        SYNC_FILE_RANGE_WRITE);
        w->synced = w->written;
    }
    return 0;
}

static int jsonl_open(dltc_writer **out, const char *path, const dltc_table *table)
{
    (void)table;
    dltc_writer *w = dltc__calloc(1, sizeof(*w));
    if (!w)
        return dltc__error_oom();
    w->path = dltc__strdup(path);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0 || !w->path) {
        int rc = dltc__error_set(DLTC_EIO, "%s: cannot create: %s", path, strerror(errno));
        dltc__free(w->path);
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
    dltc_buf *b = &w->buf;
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
    return b->len >= FLUSH_AT ? write_all(w) : 0;
}

static void writer_free(dltc_writer *w)
{
    for (size_t i = 0; i < w->nkeys; i++)
        dltc__free(w->keys[i]);
    dltc__free(w->keys);
    dltc__free(w->keylens);
    dltc__buf_free(&w->buf);
    dltc__free(w->path);
    dltc__free(w);
}

static int jsonl_finish(dltc_writer *w)
{
    int rc = write_all(w);
    if (!rc && fsync(w->fd) != 0)
        rc = dltc__error_set(DLTC_EIO, "%s: fsync failed: %s", w->path, strerror(errno));
    if (close(w->fd) != 0 && !rc)
        rc = dltc__error_set(DLTC_EIO, "%s: close failed: %s", w->path, strerror(errno));
    writer_free(w);
    return rc;
}

static void jsonl_abort(dltc_writer *w)
{
    if (!w)
        return;
    close(w->fd);
    writer_free(w);
}

const dltc_writer_type dltc__writer_jsonl = {"jsonl", "jsonl", jsonl_open, jsonl_write_row,
                                             jsonl_finish, jsonl_abort};
