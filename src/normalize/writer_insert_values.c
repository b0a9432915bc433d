/* insert_values load files as dlt 1.26 writes them (InsertValuesWriter with the duckdb/postgres
 * literal escaping): one statement
 *
 *     INSERT INTO {}("a","b")\nVALUES\n(<row>),\n(<row>);
 *
 * where `{}` stays as it is (the loader puts the table name there), names are double-quoted
 * with '"' doubled, and each row is exactly one line (the loader splits at row lines; no
 * newline after the final ';'). Literals, by value:
 *   NULL (also for the file's columns a row leaves out), TRUE / FALSE, ints and doubles as
 *   their JSON text (else Python's repr; NaN and the infinities as 'NaN', 'Infinity',
 *   '-Infinity'), decimals and big integers as bare numbers, strings as E'…' (' doubled;
 *   \ \n \r \t \b \f escaped with a backslash, other control characters as \xHH, NUL as
 *   '||chr(0)||E' since no escape gives it), timestamps/dates/times as '<ISO>' (the jsonl
 *   text), binary as from_base64('…'), json columns as the E'…' string of their JSON text.
 *
 * The column list is fixed when the file is opened: the table's columns that have a data
 * type, in table order. A row with another column is refused with DLTC_WRITER_ROTATE before
 * anything is written. A file without rows cannot be a statement: finish fails on it.
 * Rows are buffered and written out in 256 KiB blocks. */
#include "normalize/writer.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "formats/json.h"

#include <math.h>
#include <string.h>

struct dltc_writer {
    dltc_wfile f;
    dltc_buf json; /* scratch: the JSON text of a json cell */
    uint64_t rows;
    dltc_wcols cols; /* the file's columns, fixed at open */
};

/* How a byte is written inside E'…': 0 as itself; 'q' doubled ('');
 * 'x' as \xHH; 'z' (NUL) by leaving the literal; any other letter as backslash + letter. */
static const char esc_tab[256] = {
    [0x00] = 'z', [0x01] = 'x', [0x02] = 'x', [0x03] = 'x', [0x04] = 'x', [0x05] = 'x',
    [0x06] = 'x', [0x07] = 'x', [0x08] = 'b', [0x09] = 't', [0x0a] = 'n', [0x0b] = 'x',
    [0x0c] = 'f', [0x0d] = 'r', [0x0e] = 'x', [0x0f] = 'x', [0x10] = 'x', [0x11] = 'x',
    [0x12] = 'x', [0x13] = 'x', [0x14] = 'x', [0x15] = 'x', [0x16] = 'x', [0x17] = 'x',
    [0x18] = 'x', [0x19] = 'x', [0x1a] = 'x', [0x1b] = 'x', [0x1c] = 'x', [0x1d] = 'x',
    [0x1e] = 'x', [0x1f] = 'x', ['\''] = 'q', ['\\'] = '\\', [0x7f] = 'x'};

#define NUL_TEXT "'||chr(0)||E'"
#define NUL_LEN (sizeof(NUL_TEXT) - 1)

/* Bytes added by the escape of each byte (from esc_tab). */
static const uint8_t extra_tab[256] = {
    [0x00] = NUL_LEN - 1, [0x01] = 3, [0x02] = 3, [0x03] = 3, [0x04] = 3, [0x05] = 3,
    [0x06] = 3, [0x07] = 3, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 3,
    [0x0c] = 1, [0x0d] = 1, [0x0e] = 3, [0x0f] = 3, [0x10] = 3, [0x11] = 3,
    [0x12] = 3, [0x13] = 3, [0x14] = 3, [0x15] = 3, [0x16] = 3, [0x17] = 3,
    [0x18] = 3, [0x19] = 3, [0x1a] = 3, [0x1b] = 3, [0x1c] = 3, [0x1d] = 3,
    [0x1e] = 3, [0x1f] = 3, ['\''] = 1, ['\\'] = 1, [0x7f] = 3};

/* Room for n more bytes (and the NUL). */
static inline int room(dltc_buf *b, size_t n)
{
    return b->cap - b->len > n ? 0 : dltc__buf_reserve(b, n);
}

static inline int put_raw(dltc_buf *b, const char *s, size_t n)
{
    int rc = room(b, n);
    if (!rc) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    }
    return rc;
}

/* E'…' of s. `clean`: s holds no '\\' and no control character (only ' may need work). */
static int put_estring(dltc_buf *b, const char *str, size_t len, int clean)
{
    const unsigned char *s = (const unsigned char *)str, *e = s + len, *p;
    size_t extra = 0;
    if (clean)
        for (p = s; (p = memchr(p, '\'', (size_t)(e - p))); p++)
            extra++;
    else
        for (p = s; p < e; p++)
            extra += extra_tab[*p];
    int rc = room(b, len + extra + 3);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    *o++ = 'E';
    *o++ = '\'';
    if (!extra) {
        memcpy(o, s, len);
        o += len;
    } else {
        static const char hex[] = "0123456789abcdef";
        for (p = s; p < e; p++) {
            char c = esc_tab[*p];
            if (!c) {
                *o++ = (char)*p;
            } else if (c == 'q') {
                *o++ = '\'';
                *o++ = '\'';
            } else if (c == 'z') {
                memcpy(o, NUL_TEXT, NUL_LEN);
                o += NUL_LEN;
            } else {
                *o++ = '\\';
                *o++ = c;
                if (c == 'x') {
                    *o++ = hex[*p >> 4];
                    *o++ = hex[*p & 15];
                }
            }
        }
    }
    *o++ = '\'';
    b->len = (size_t)(o - b->data);
    return 0;
}

/* A double without its JSON text: Python's repr, or a string SQL casts for NaN/Inf. */
static int put_double(dltc_buf *b, double d)
{
    if (isnan(d))
        return put_raw(b, "'NaN'", 5);
    if (isinf(d))
        return d > 0 ? put_raw(b, "'Infinity'", 10) : put_raw(b, "'-Infinity'", 11);
    char tmp[40];
    return put_raw(b, tmp, dltc__format_double(tmp, d));
}

static int put_iso(dltc_buf *b, const dltc_value *v)
{
    int rc = room(b, DLTC_ISO_MAX + 2);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    size_t n;
    if (v->type == DLTC_TYPE_TIMESTAMP)
        n = (v->flags & DLTC_VF_TZ) ? dltc__format_timestamp(o + 1, v->u.i)
                                    : dltc__format_timestamp_naive(o + 1, v->u.i);
    else if (v->type == DLTC_TYPE_DATE)
        n = dltc__format_date(o + 1, (int32_t)v->u.i);
    else
        n = dltc__format_time(o + 1, v->u.i);
    o[0] = '\'';
    o[n + 1] = '\'';
    b->len += n + 2;
    return 0;
}

static int put_base64(dltc_buf *b, const dltc_value *v)
{
    static const char pre[] = "from_base64('";
    size_t np = sizeof(pre) - 1;
    size_t n = 4 * (((size_t)v->len + 2) / 3);
    int rc = room(b, np + n + 2);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    memcpy(o, pre, np);
    n = dltc__base64_encode((const uint8_t *)v->u.s, v->len, o + np, 1);
    o[np + n] = '\'';
    o[np + n + 1] = ')';
    b->len += np + n + 2;
    return 0;
}

/* One literal (the caller wrote the ',' before it). */
static int put_literal(dltc_writer *w, const dltc_value *v, int json)
{
    dltc_buf *b = &w->f.buf;
    int rc;
    if (v->type == DLTC_TYPE_NULL)
        return put_raw(b, "NULL", 4);
    if (json || v->type == DLTC_TYPE_ARRAY || v->type == DLTC_TYPE_OBJECT) {
        /* JSON text: no control characters (escaped by the JSON writer) */
        dltc__buf_clear(&w->json);
        if ((rc = dltc__json_write(&w->json, v)))
            return rc;
        return put_estring(b, w->json.data, w->json.len, 0);
    }
    switch (v->type) {
    case DLTC_TYPE_BOOL:
        return v->u.i ? put_raw(b, "TRUE", 4) : put_raw(b, "FALSE", 5);
    case DLTC_TYPE_INT:
        return v->lex ? put_raw(b, v->lex, v->len) : dltc__json_write_int(b, v->u.i);
    case DLTC_TYPE_DOUBLE:
        return v->lex ? put_raw(b, v->lex, v->len) : put_double(b, v->u.d);
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
        return dltc__json_write(b, v); /* bare number text, as in jsonl */
    case DLTC_TYPE_STRING:
        return put_estring(b, v->u.s, v->len, v->flags & DLTC_VF_CLEAN);
    case DLTC_TYPE_TIMESTAMP:
    case DLTC_TYPE_DATE:
    case DLTC_TYPE_TIME:
        return put_iso(b, v);
    case DLTC_TYPE_BINARY:
        return put_base64(b, v);
    default:
        return dltc__error_set(DLTC_EINVALID,
                               "%s: cannot write a value of type %d to insert_values", w->f.path,
                               (int)v->type);
    }
}

/* "name" with '"' doubled. */
static int put_ident(dltc_buf *b, const char *s)
{
    size_t len = strlen(s), quotes = 0;
    for (size_t i = 0; i < len; i++)
        quotes += s[i] == '"';
    int rc = room(b, len + quotes + 2);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        *o++ = s[i];
        if (s[i] == '"')
            *o++ = '"';
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}

static void writer_free(dltc_writer *w)
{
    dltc__wfile_abort(&w->f); /* a no-op after finish */
    dltc__buf_free(&w->json);
    dltc__wcols_free(&w->cols);
    dltc__free(w);
}

/* The file's columns and the statement head (into the buffer). */
static int columns_init(dltc_writer *w, const dltc_table *t)
{
    int rc = dltc__wcols_init(&w->cols, t);
    if (!rc)
        rc = dltc__buf_puts(&w->f.buf, "INSERT INTO {}(");
    for (size_t k = 0; k < w->cols.nfile && !rc; k++) {
        if (k)
            rc = dltc__buf_putc(&w->f.buf, ',');
        if (!rc)
            rc = put_ident(&w->f.buf, t->cols[w->cols.col[k]].name);
    }
    if (!rc)
        rc = dltc__buf_puts(&w->f.buf, ")\nVALUES\n");
    return rc;
}

static int iv_open(dltc_writer **out, const char *path, const dltc_table *table)
{
    dltc_writer *w = dltc__calloc(1, sizeof(*w));
    if (!w)
        return dltc__error_oom();
    w->f.fd = -1;
    int rc = columns_init(w, table); /* the head goes into the buffer first */
    if (!rc)
        rc = dltc__wfile_open(&w->f, path);
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int iv_write_row(dltc_writer *w, const dltc_table *t, const dltc_cell *cells, size_t n)
{
    (void)t;
    int placed = dltc__wcols_place(&w->cols, cells, n);
    if (placed)
        return placed;
    const dltc_value **slot = w->cols.slot;
    dltc_buf *b = &w->f.buf;
    size_t start = b->len;
    int rc = w->rows ? put_raw(b, ",\n(", 3) : put_raw(b, "(", 1);
    for (size_t i = 0; i < w->cols.nfile && !rc; i++) {
        if (i && !(rc = room(b, 1)))
            b->data[b->len++] = ',';
        if (!rc)
            rc = slot[i] ? put_literal(w, slot[i], w->cols.is_json[i]) : put_raw(b, "NULL", 4);
    }
    if (!rc)
        rc = dltc__buf_putc(b, ')');
    if (rc) { /* no partial row stays in the buffer */
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
        return rc;
    }
    w->rows++;
    return dltc__wfile_maybe_flush(&w->f);
}

static int iv_finish(dltc_writer *w)
{
    int rc = 0;
    if (!w->rows)
        rc = dltc__error_set(DLTC_EINVALID, "%s: an insert_values file needs at least one row",
                             w->f.path);
    if (!rc)
        rc = dltc__buf_putc(&w->f.buf, ';');
    if (!rc)
        rc = dltc__wfile_finish(&w->f);
    writer_free(w); /* closes the file if finish was not reached */
    return rc;
}

static void iv_abort(dltc_writer *w)
{
    if (!w)
        return;
    writer_free(w);
}

const dltc_writer_type dltc__writer_insert_values = {
    "insert_values", "insert_values", iv_open, iv_write_row, iv_finish, iv_abort};
