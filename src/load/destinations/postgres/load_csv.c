/*
 * csv files: COPY … FROM STDIN (FORMAT csv, HEADER true), the file sent to the server as it
 * is (pg_int.h says why no FORCE_NULL), except for the base64 fields of bytea columns,
 * rewritten to bytea hex on the way.
 */
#include "load/destinations/postgres/pg_int.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "load/sql.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int fd;
    const char *path;
    char *buf;
    size_t len, pos; /* bytes in buf, bytes consumed */
    int eof;
} reader;

static int reader_open(reader *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    r->buf = dltc__malloc(COPY_BLOCK);
    if (!r->buf) {
        close(r->fd);
        r->fd = -1;
        return dltc__error_oom();
    }
    return 0;
}

/* Refill the buffer (the unconsumed bytes move to its start). */
static int reader_fill(reader *r)
{
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    while (r->len < COPY_BLOCK && !r->eof) {
        ssize_t n = read(r->fd, r->buf + r->len, COPY_BLOCK - r->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return dltc__error_set(DLTC_EIO, "%s: read failed: %s", r->path, strerror(errno));
        if (n == 0)
            r->eof = 1;
        r->len += (size_t)n;
        if (n > 0)
            break;
    }
    return 0;
}

static void reader_close(reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    dltc__free(r->buf);
    r->buf = NULL;
}

/* The header of a csv file (quoted names, '"' doubled): names in order and the bytes it
 * takes (with its '\n'). Left in r's buffer: the header is not consumed. */
static int csv_header(reader *r, char ***names, size_t *n, size_t *hlen)
{
    *names = NULL;
    *n = 0;
    int rc = reader_fill(r);
    while (!rc && !r->eof && r->len < COPY_BLOCK)
        rc = reader_fill(r);
    if (rc)
        return rc;
    dltc_buf field = DLTC_BUF_INIT;
    size_t i = 0;
    int quoted = 0, done = 0;
    while (!rc && !done) {
        if (i == r->len) {
            rc = dltc__error_set(DLTC_EPARSE, r->len ? "%s:1: the header is too long or not "
                                                       "terminated"
                                                     : "%s: no header row",
                                 r->path);
            break;
        }
        char c = r->buf[i++];
        if (quoted) {
            if (c != '"') {
                rc = dltc__buf_putc(&field, c);
                continue;
            }
            if (i < r->len && r->buf[i] == '"') {
                i++;
                rc = dltc__buf_putc(&field, '"');
                continue;
            }
            quoted = 0;
            continue;
        }
        if (c == '"') {
            quoted = 1;
            continue;
        }
        if (c == ',' || c == '\n') {
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
            done = c == '\n';
            continue;
        }
        if (c != '\r')
            rc = dltc__buf_putc(&field, c);
    }
    dltc__buf_free(&field);
    if (!rc && (*n == 0 || (*n == 1 && !(*names)[0][0])))
        rc = dltc__error_set(DLTC_EPARSE, "%s: no header row", r->path);
    if (rc) {
        for (size_t k = 0; k < *n; k++)
            dltc__free((*names)[k]);
        dltc__free(*names);
        *names = NULL;
        *n = 0;
        return rc;
    }
    *hlen = i;
    return 0;
}

/* Rewrites the base64 fields of binary columns to bytea hex ("\x…", unquoted: a backslash
 * means nothing in csv) while the other bytes pass through. */
typedef enum { CS_START, CS_BARE, CS_QUOTED, CS_QUOTE } csv_state;

typedef struct {
    const unsigned char *binary; /* per field: rewrite it */
    size_t nfields;
    size_t field;
    csv_state st;
    int quoted;       /* the current field was quoted */
    dltc_buf content; /* a binary field's content */
    uint8_t *bytes;
    size_t bytes_cap;
    uint64_t line;
} csv_rewriter;

static int bin_field_end(csv_rewriter *w, dltc_buf *out, const char *path)
{
    if (!w->quoted && w->content.len == 0)
        return 0; /* NULL */
    if (w->content.len == 0)
        return dltc__buf_puts(out, "\"\"");
    size_t need = 3 * ((w->content.len + 3) / 4) + 1;
    if (need > w->bytes_cap) {
        uint8_t *nb = dltc__realloc(w->bytes, need);
        if (!nb)
            return dltc__error_oom();
        w->bytes = nb;
        w->bytes_cap = need;
    }
    long n = dltc__base64_decode(w->content.data, w->content.len, w->bytes);
    if (n < 0)
        return dltc__error_set(DLTC_EINVALID, "%s:%" PRIu64 ": field %zu is not base64", path,
                               w->line, w->field + 1);
    static const char hex[] = "0123456789abcdef";
    int rc = dltc__buf_reserve(out, 2 + 2 * (size_t)n);
    if (rc)
        return rc;
    char *o = out->data + out->len;
    *o++ = '\\';
    *o++ = 'x';
    for (long k = 0; k < n; k++) {
        *o++ = hex[w->bytes[k] >> 4];
        *o++ = hex[w->bytes[k] & 15];
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

/* Feed data[0..len) (records after the header); output appended to out. */
static int csv_rewrite(csv_rewriter *w, const char *data, size_t len, dltc_buf *out,
                       const char *path)
{
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        char c = data[i];
        int bin = w->field < w->nfields && w->binary[w->field];
        int end_field = 0;
        switch (w->st) {
        case CS_START:
            w->quoted = 0;
            dltc__buf_clear(&w->content);
            if (c == '"') {
                w->st = CS_QUOTED;
                w->quoted = 1;
                if (!bin)
                    rc = dltc__buf_putc(out, c);
                continue;
            }
            if (c == ',' || c == '\n') {
                end_field = 1;
                break;
            }
            w->st = CS_BARE;
            rc = bin ? dltc__buf_putc(&w->content, c) : dltc__buf_putc(out, c);
            continue;
        case CS_BARE:
            if (c == ',' || c == '\n') {
                end_field = 1;
                break;
            }
            rc = bin ? dltc__buf_putc(&w->content, c) : dltc__buf_putc(out, c);
            continue;
        case CS_QUOTED:
            if (c == '"') {
                w->st = CS_QUOTE;
                if (!bin)
                    rc = dltc__buf_putc(out, c);
                continue;
            }
            rc = bin ? dltc__buf_putc(&w->content, c) : dltc__buf_putc(out, c);
            continue;
        case CS_QUOTE:
            if (c == '"') { /* a doubled quote */
                w->st = CS_QUOTED;
                rc = bin ? dltc__buf_putc(&w->content, c) : dltc__buf_putc(out, c);
                continue;
            }
            if (c == ',' || c == '\n') {
                end_field = 1;
                break;
            }
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": text after a closing quote",
                                 path, w->line);
            continue;
        }
        if (!end_field)
            continue;
        if (bin)
            rc = bin_field_end(w, out, path);
        if (!rc)
            rc = dltc__buf_putc(out, c);
        w->st = CS_START;
        if (c == '\n') {
            w->field = 0;
            w->line++;
        } else {
            w->field++;
        }
    }
    return rc;
}

int dltc__pg_load_csv(pg_dest *d, const char *dataset, const dltc_table *t, const char *path,
                      uint64_t *rows)
{
    reader r;
    int rc = reader_open(&r, path);
    if (rc)
        return rc;
    char **names = NULL;
    size_t n = 0, hlen = 0;
    unsigned char *binary = NULL;
    int any_binary = 0;
    dltc_buf sql = DLTC_BUF_INIT;
    copy_stream s;
    memset(&s, 0, sizeof(s));
    csv_rewriter w;
    memset(&w, 0, sizeof(w));
    pkind *kinds = NULL;
    rc = csv_header(&r, &names, &n, &hlen);
    if (!rc)
        rc = dltc__pg_column_kinds(d, dataset, t->name, names, n, path, &kinds);
    if (!rc && !(binary = dltc__calloc(n, 1)))
        rc = dltc__error_oom();
    if (!rc)
        rc = dltc__buf_puts(&sql, "COPY ");
    if (!rc)
        rc = dltc__pg_put_target(&sql, dataset, t->name);
    if (!rc)
        rc = dltc__buf_puts(&sql, " (");
    for (size_t i = 0; !rc && i < n; i++) {
        if (kinds[i] == PK_BYTEA) /* base64 in the file */
            any_binary = binary[i] = 1;
        if (i)
            rc = dltc__buf_puts(&sql, ", ");
        if (!rc)
            rc = dltc__sql_ident(&sql, names[i]);
    }
    if (!rc)
        rc = dltc__buf_puts(&sql, ") FROM STDIN WITH (FORMAT csv, HEADER true, "
                                  "ENCODING 'UTF8')");
    if (!rc)
        rc = dltc__pg_copy_begin(&s, d, sql.data, path);
    w.binary = binary;
    w.nfields = n;
    w.line = 2;
    int failed = 0;
    /* the header as it is (HEADER true skips it: the server's line numbers are the file's) */
    if (!rc && any_binary) {
        rc = dltc__buf_put(&s.out, r.buf, hlen);
        r.pos = hlen;
    }
    while (!rc) {
        if (r.pos == r.len) {
            if (r.eof)
                break;
            if ((rc = reader_fill(&r)))
                break;
            continue;
        }
        if (any_binary) {
            rc = csv_rewrite(&w, r.buf + r.pos, r.len - r.pos, &s.out, path);
            if (!rc)
                rc = dltc__pg_copy_maybe_flush(&s);
        } else {
            rc = dltc__pg_copy_put(&s, r.buf + r.pos, r.len - r.pos);
        }
        r.pos = r.len;
    }
    if (!rc && any_binary && w.st != CS_START) { /* a last record without its '\n' */
        if (w.st == CS_QUOTED)
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": unterminated quote", path,
                                 w.line);
        else
            rc = csv_rewrite(&w, "\n", 1, &s.out, path);
    }
    failed = rc != 0;
    int erc = dltc__pg_copy_end(&s, failed, rows);
    if (!rc)
        rc = erc;
    for (size_t i = 0; i < n; i++)
        dltc__free(names[i]);
    dltc__free(names);
    dltc__free(binary);
    dltc__free(kinds);
    dltc__buf_free(&sql);
    dltc__buf_free(&w.content);
    dltc__free(w.bytes);
    reader_close(&r);
    return rc;
}
