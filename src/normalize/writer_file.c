/* The buffered output file the load-file writers share (see writer.h). */
#include "normalize/writer.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define SYNC_EVERY (4u * 1024u * 1024u)

int dltc__wfile_open(dltc_wfile *f, const char *path)
{
    f->written = f->synced = 0;
    if (!(f->path = dltc__strdup(path))) {
        f->fd = -1;
        return dltc__error_oom();
    }
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        int rc = dltc__error_set(DLTC_EIO, "%s: cannot create: %s", path, strerror(errno));
        dltc__free(f->path);
        f->path = NULL;
        return rc;
    }
    return 0;
}

int dltc__wfile_flush(dltc_wfile *f)
{
    size_t off = 0;
    while (off < f->buf.len) {
        ssize_t n = write(f->fd, f->buf.data + off, f->buf.len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return dltc__error_set(DLTC_EIO, "%s: write failed: %s", f->path, strerror(errno));
        }
        off += (size_t)n;
    }
    f->written += f->buf.len;
    dltc__buf_clear(&f->buf);
    /* start writeback without waiting for it (the disk works while we parse) */
    if (f->written - f->synced >= SYNC_EVERY) {
        sync_file_range(f->fd, (off_t)f->synced, (off_t)(f->written - f->synced),
                        SYNC_FILE_RANGE_WRITE);
        f->synced = f->written;
    }
    return 0;
}

static void release(dltc_wfile *f)
{
    f->fd = -1;
    dltc__free(f->path);
    f->path = NULL;
    dltc__buf_free(&f->buf);
}

int dltc__wfile_finish(dltc_wfile *f)
{
    int rc = dltc__wfile_flush(f);
    if (!rc && fsync(f->fd) != 0)
        rc = dltc__error_set(DLTC_EIO, "%s: fsync failed: %s", f->path, strerror(errno));
    if (close(f->fd) != 0 && !rc)
        rc = dltc__error_set(DLTC_EIO, "%s: close failed: %s", f->path, strerror(errno));
    release(f);
    return rc;
}

void dltc__wfile_abort(dltc_wfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    release(f);
}

/* ---- fixed column lists ---- */

int dltc__wcols_init(dltc_wcols *c, const dltc_table *t)
{
    memset(c, 0, sizeof(*c));
    size_t n = t->ncols ? t->ncols : 1;
    c->pos = dltc__calloc(n, sizeof(*c->pos));
    c->col = dltc__calloc(n, sizeof(*c->col));
    c->is_json = dltc__calloc(n, sizeof(*c->is_json));
    c->slot = dltc__calloc(n, sizeof(*c->slot));
    if (!c->pos || !c->col || !c->is_json || !c->slot)
        return dltc__error_oom();
    c->npos = t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        if (t->cols[i].data_type == DLTC_DT_UNSET)
            continue;
        c->col[c->nfile] = (uint32_t)i;
        c->is_json[c->nfile] = t->cols[i].data_type == DLTC_DT_JSON;
        c->pos[i] = (uint32_t)++c->nfile;
    }
    return 0;
}

int dltc__wcols_place(dltc_wcols *c, const dltc_cell *cells, size_t n)
{
    memset(c->slot, 0, c->nfile * sizeof(*c->slot));
    for (size_t i = 0; i < n; i++) {
        uint32_t k = cells[i].col;
        uint32_t p = k < c->npos ? c->pos[k] : 0;
        if (p)
            c->slot[p - 1] = &cells[i].val;
        else if (cells[i].val.type != DLTC_TYPE_NULL)
            return DLTC_WRITER_ROTATE; /* a column this file has no place for */
    }
    return 0;
}

void dltc__wcols_free(dltc_wcols *c)
{
    dltc__free(c->pos);
    dltc__free(c->col);
    dltc__free(c->is_json);
    dltc__free(c->slot);
    memset(c, 0, sizeof(*c));
}
