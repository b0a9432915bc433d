/* csv load files as dlt 1.26 writes them from Python objects (CsvWriter: the csv module with
 * the unix dialect, quoting="quote_needed" = csv.QUOTE_NONNUMERIC, "\n" line ends): a header
 * row of the column names, then one record per row, ',' between fields.
 *
 * Quoted with '"', a '"' inside doubled: the header names and every non-numeric value
 * (strings, ISO timestamps/dates/times, base64 binary, the JSON text of json columns).
 * Bare: ints and doubles (their JSON text, else Python's repr), decimals, true/false.
 * NULL is an empty unquoted field; the empty string is "". (dlt writes "" for both and makes
 * Postgres read "" as NULL with FORCE_NULL; we keep them apart: our loaders read an empty
 * unquoted field as NULL and "" as the empty string.) Text matches the jsonl writer's.
 *
 * The column list is fixed when the file is opened: the table's columns that have a data
 * type, in table order. A row with another column is refused with DLTC_WRITER_ROTATE before
 * anything is written. Rows are buffered and written out in 256 KiB blocks. */
#include "normalize/writer.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "formats/json.h"

#include <string.h>

struct dltc_writer {
    dltc_wfile f;
    dltc_buf json; /* scratch: the JSON text of a json cell */
    dltc_wcols cols; /* the file's columns, fixed at open */
};

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

/* "s" with each '"' doubled. `clean`: s is known to hold no '"'. */
static int put_quoted(dltc_buf *b, const char *s, size_t len, int clean)
{
    const char *e = s + len, *p;
    size_t quotes = 0;
    if (!clean)
        for (p = s; (p = memchr(p, '"', (size_t)(e - p))); p++)
            quotes++;
    int rc = room(b, len + quotes + 2);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    *o++ = '"';
    if (!quotes) {
        memcpy(o, s, len);
        o += len;
    } else {
        while ((p = memchr(s, '"', (size_t)(e - s)))) {
            size_t k = (size_t)(p - s) + 1; /* the run and its quote */
            memcpy(o, s, k);
            o += k;
            *o++ = '"';
            s = p + 1;
        }
        memcpy(o, s, (size_t)(e - s));
        o += e - s;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
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
    o[0] = '"';
    o[n + 1] = '"';
    b->len += n + 2;
    return 0;
}

static int put_base64(dltc_buf *b, const dltc_value *v)
{
    size_t n = 4 * (((size_t)v->len + 2) / 3);
    int rc = room(b, n + 2);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    o[0] = '"';
    n = dltc__base64_encode((const uint8_t *)v->u.s, v->len, o + 1, 1);
    o[n + 1] = '"';
    b->len += n + 2;
    return 0;
}

/* One field (the caller wrote the ',' before it). */
static int put_field(dltc_writer *w, const dltc_value *v, int json)
{
    dltc_buf *b = &w->f.buf;
    int rc;
    if (json || v->type == DLTC_TYPE_ARRAY || v->type == DLTC_TYPE_OBJECT) {
        /* json columns hold the JSON text of any value, as dlt's json.dumps */
        dltc__buf_clear(&w->json);
        if ((rc = dltc__json_write(&w->json, v)))
            return rc;
        return put_quoted(b, w->json.data, w->json.len, 0);
    }
    switch (v->type) {
    case DLTC_TYPE_NULL:
        return 0;
    case DLTC_TYPE_BOOL:
        return v->u.i ? put_raw(b, "true", 4) : put_raw(b, "false", 5);
    case DLTC_TYPE_INT:
        return v->lex ? put_raw(b, v->lex, v->len) : dltc__json_write_int(b, v->u.i);
    case DLTC_TYPE_DOUBLE: {
        if (v->lex)
            return put_raw(b, v->lex, v->len);
        char tmp[40]; /* Python's repr: "0.1", "1e+16", "nan", "inf" */
        return put_raw(b, tmp, dltc__format_double(tmp, v->u.d));
    }
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
        return dltc__json_write(b, v); /* bare number text, as in jsonl */
    case DLTC_TYPE_STRING:
        return put_quoted(b, v->u.s, v->len, v->flags & DLTC_VF_CLEAN);
    case DLTC_TYPE_TIMESTAMP:
    case DLTC_TYPE_DATE:
    case DLTC_TYPE_TIME:
        return put_iso(b, v);
    case DLTC_TYPE_BINARY:
        return put_base64(b, v);
    default:
        return dltc__error_set(DLTC_EINVALID, "%s: cannot write a value of type %d to csv",
                               w->f.path, (int)v->type);
    }
}

static void writer_free(dltc_writer *w)
{
    dltc__wfile_abort(&w->f); /* a no-op after finish */
    dltc__buf_free(&w->json);
    dltc__wcols_free(&w->cols);
    dltc__free(w);
}

/* The file's columns and the header row (into the buffer). */
static int columns_init(dltc_writer *w, const dltc_table *t)
{
    int rc = dltc__wcols_init(&w->cols, t);
    for (size_t k = 0; k < w->cols.nfile && !rc; k++) {
        const char *name = t->cols[w->cols.col[k]].name;
        if (k)
            rc = dltc__buf_putc(&w->f.buf, ',');
        if (!rc)
            rc = put_quoted(&w->f.buf, name, strlen(name), 0);
    }
    if (!rc)
        rc = dltc__buf_putc(&w->f.buf, '\n');
    return rc;
}

static int csv_open(dltc_writer **out, const char *path, const dltc_table *table)
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

static int csv_write_row(dltc_writer *w, const dltc_table *t, const dltc_cell *cells, size_t n)
{
    (void)t;
    int placed = dltc__wcols_place(&w->cols, cells, n);
    if (placed)
        return placed;
    const dltc_value **slot = w->cols.slot;
    dltc_buf *b = &w->f.buf;
    size_t start = b->len;
    int rc = 0;
    for (size_t i = 0; i < w->cols.nfile && !rc; i++) {
        if (i && !(rc = room(b, 1)))
            b->data[b->len++] = ',';
        if (!rc && slot[i])
            rc = put_field(w, slot[i], w->cols.is_json[i]);
    }
    if (!rc)
        rc = dltc__buf_putc(b, '\n');
    if (rc) { /* no partial row stays in the buffer */
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
        return rc;
    }
    return dltc__wfile_maybe_flush(&w->f);
}

static int csv_finish(dltc_writer *w)
{
    int rc = dltc__wfile_finish(&w->f);
    writer_free(w);
    return rc;
}

static void csv_abort(dltc_writer *w)
{
    if (!w)
        return;
    writer_free(w);
}

const dltc_writer_type dltc__writer_csv = {"csv", "csv", csv_open, csv_write_row, csv_finish,
                                           csv_abort};
