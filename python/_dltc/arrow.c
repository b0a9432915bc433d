/*
 * Query rows as an Arrow C stream (the Arrow C data and C stream interfaces), handed to
 * Python in a PyCapsule "arrow_array_stream" (the Arrow PyCapsule interface), so pyarrow,
 * polars, DuckDB… can read dataset results without a copy through Python objects.
 *
 * The stream owns the materialized dltc_rows. Each column gets one Arrow type, chosen at
 * creation: from the column's SQL type when all its values fit that type, else from the
 * values themselves, else utf8 (values as their JSON text). Record batches of up to
 * BATCH_ROWS rows are built on demand by get_next.
 *
 * The stream callbacks never touch Python objects: a consumer may call them without the
 * GIL, from any thread (one at a time, as the interface requires).
 */
#include "dltcpy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the ABI-fixed structs of the Arrow C data / C stream interfaces ---- */

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
#endif

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};
#endif

#define BATCH_ROWS 65536
#define ALIGN 64 /* Arrow's recommended buffer alignment (cache line, SIMD) */

/* ---- column plans ---- */

typedef enum {
    K_NONE = 0, /* the SQL type says nothing: decided from the values */
    K_BOOL,     /* "b" */
    K_INT64,    /* "l" */
    K_UINT64,   /* "L" */
    K_DOUBLE,   /* "g" */
    K_UTF8,     /* "u" */
    K_BINARY,   /* "z" */
    K_TS,       /* "tsu:" or "tsu:UTC" */
    K_DATE,     /* "tdD" */
    K_TIME,     /* "ttu" */
    K_DEC       /* "d:p,s" (decimal128) */
} kind;

typedef struct {
    kind k;
    int tz;          /* K_TS: aware (UTC) */
    int prec, scale; /* K_DEC */
    char format[16];
} colplan;

/* ASCII upper-case copy of a type name, trimmed; "" when too long to be one we know. */
static void type_upper(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    if (!s)
        s = "";
    while (*s == ' ')
        s++;
    for (; *s && n + 1 < cap; s++)
        dst[n++] = (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s;
    if (*s) /* truncated: not a name of ours */
        n = 0;
    while (n && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

static int in_list(const char *t, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(t, *names) == 0)
            return 1;
    return 0;
}

static int starts(const char *t, const char *prefix)
{
    return strncmp(t, prefix, strlen(prefix)) == 0;
}

/* "(p,s)" or "(p)" after a DECIMAL/NUMERIC: 0 when a decimal128 can hold it. */
static int parse_prec(const char *s, int *prec, int *scale)
{
    int p = 0, sc = 0, nd = 0;
    if (*s++ != '(')
        return -1;
    while (*s == ' ')
        s++;
    for (; *s >= '0' && *s <= '9' && nd < 4; s++, nd++)
        p = p * 10 + (*s - '0');
    if (!nd)
        return -1;
    while (*s == ' ')
        s++;
    if (*s == ',') {
        s++;
        while (*s == ' ')
            s++;
        nd = 0;
        for (; *s >= '0' && *s <= '9' && nd < 4; s++, nd++)
            sc = sc * 10 + (*s - '0');
        if (!nd)
            return -1;
        while (*s == ' ')
            s++;
    }
    if (strcmp(s, ")") || p < 1 || p > 38 || sc > p)
        return -1;
    *prec = p;
    *scale = sc;
    return 0;
}

/* The plan the SQL type name (DuckDB's or Postgres' spelling) asks for; K_NONE if unknown. */
static colplan plan_of_type(const char *type)
{
    static const char *const ints[] = {"BIGINT", "INTEGER", "INT", "SMALLINT", "TINYINT",
                                       "UTINYINT", "USMALLINT", "UINTEGER", "INT1", "INT2",
                                       "INT4", "INT8", "LONG", "SHORT", "SIGNED", "OID", NULL};
    static const char *const huge[] = {"HUGEINT", "UHUGEINT", "INT128", "UINT128", NULL};
    static const char *const dbls[] = {"DOUBLE", "FLOAT", "REAL", "FLOAT4", "FLOAT8",
                                       "DOUBLE PRECISION", NULL};
    static const char *const bools[] = {"BOOLEAN", "BOOL", "LOGICAL", NULL};
    static const char *const texts[] = {"VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR",
                                        "\"CHAR\"", "CHARACTER", "CHARACTER VARYING", "JSON",
                                        "JSONB", "UUID", "ENUM", "NAME", "XML", NULL};
    static const char *const bins[] = {"BLOB", "BYTEA", "BINARY", "VARBINARY", NULL};
    colplan pl = {0};
    char t[64];
    type_upper(t, sizeof t, type);
    if (in_list(t, ints))
        pl.k = K_INT64;
    else if (strcmp(t, "UBIGINT") == 0 || strcmp(t, "UINT64") == 0)
        pl.k = K_UINT64;
    else if (in_list(t, huge)) {
        pl.k = K_DEC;
        pl.prec = 38;
    } else if (in_list(t, dbls))
        pl.k = K_DOUBLE;
    else if (in_list(t, bools))
        pl.k = K_BOOL;
    else if (in_list(t, texts) || starts(t, "VARCHAR(") || starts(t, "CHAR(") ||
             starts(t, "CHARACTER(") || starts(t, "CHARACTER VARYING("))
        pl.k = K_UTF8;
    else if (in_list(t, bins))
        pl.k = K_BINARY;
    else if (strcmp(t, "DATE") == 0)
        pl.k = K_DATE;
    else if (starts(t, "TIMESTAMP") || strcmp(t, "DATETIME") == 0) {
        pl.k = K_TS;
        pl.tz = strcmp(t, "TIMESTAMPTZ") == 0 ||
                (strstr(t, " WITH TIME ZONE") != NULL && strstr(t, "WITHOUT") == NULL);
    } else if (strcmp(t, "TIME") == 0 || strcmp(t, "TIMETZ") == 0 || starts(t, "TIME(") ||
               starts(t, "TIME WITH"))
        pl.k = K_TIME; /* Postgres' timetz arrives as µs since midnight too */
    else if ((starts(t, "DECIMAL") || starts(t, "NUMERIC")) &&
             parse_prec(t + 7, &pl.prec, &pl.scale) == 0)
        pl.k = K_DEC;
    return pl;
}

/* ---- decimals ---- */

typedef unsigned __int128 u128;

static u128 pow10_u128(int n)
{
    u128 x = 1;
    while (n-- > 0)
        x *= 10;
    return x;
}

/* Plain decimal text ("-12.3400", "7") as an integer scaled to `scale` with |x| < 10^prec
 * (prec <= 38): 0, or -1 when it is not such a number or does not fit (digits would be
 * lost). */
static int dec_parse(const char *s, size_t len, int prec, int scale, __int128 *out)
{
    const u128 max = pow10_u128(prec) - 1; /* <= 10^38 - 1: x*10 + 9 cannot overflow */
    size_t i = 0;
    int neg = 0, digits = 0, frac = 0;
    u128 x = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        x = x * 10 + (u128)(s[i] - '0');
        if (x > max)
            return -1;
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (frac == scale) { /* beyond the scale: only zeros may follow */
                if (s[i] != '0')
                    return -1;
                continue;
            }
            x = x * 10 + (u128)(s[i] - '0');
            frac++;
            if (x > max)
                return -1;
        }
    }
    if (i != len || !digits)
        return -1;
    for (; frac < scale; frac++) {
        x *= 10;
        if (x > max)
            return -1;
    }
    *out = neg ? -(__int128)x : (__int128)x;
    return 0;
}

/* An INT, BIGINT-digits or DECIMAL value as decimal128(prec, scale): 0 or -1. */
static int dec_value(const dltc_value *v, int prec, int scale, __int128 *out)
{
    dltc_value_type t = dltc_value_type_of(v);
    if (t == DLTC_TYPE_INT) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%lld", (long long)dltc_value_get_int(v));
        return dec_parse(buf, (size_t)n, prec, scale, out);
    }
    if (t == DLTC_TYPE_BIGINT || t == DLTC_TYPE_DECIMAL) {
        size_t len = 0;
        const char *s = dltc_value_get_str(v, &len);
        return dec_parse(s, len, prec, scale, out);
    }
    return -1;
}

/* BIGINT digits (or an INT) as uint64: 0 or -1. */
static int u64_value(const dltc_value *v, uint64_t *out)
{
    dltc_value_type t = dltc_value_type_of(v);
    if (t == DLTC_TYPE_INT) {
        int64_t i = dltc_value_get_int(v);
        *out = (uint64_t)i;
        return i < 0 ? -1 : 0;
    }
    if (t != DLTC_TYPE_BIGINT)
        return -1;
    size_t len = 0;
    const char *s = dltc_value_get_str(v, &len);
    uint64_t x = 0;
    if (!len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

/* ---- choosing a column's type ---- */

static const dltc_value *cell(dltc_rows *rows, size_t r, size_t c)
{
    const dltc_value *v = dltc_rows_get(rows, r, c);
    return v && dltc_value_type_of(v) != DLTC_TYPE_NULL ? v : NULL;
}

/* Whether the non-null value v can be stored under plan pl. */
static int fits(const colplan *pl, const dltc_value *v)
{
    dltc_value_type t = dltc_value_type_of(v);
    __int128 d;
    uint64_t u;
    switch (pl->k) {
    case K_BOOL: return t == DLTC_TYPE_BOOL;
    case K_INT64: return t == DLTC_TYPE_INT;
    case K_UINT64: return u64_value(v, &u) == 0;
    case K_DOUBLE: return t == DLTC_TYPE_DOUBLE || t == DLTC_TYPE_INT;
    case K_UTF8: return 1;
    case K_BINARY: return t == DLTC_TYPE_BINARY;
    case K_TS: return t == DLTC_TYPE_TIMESTAMP;
    case K_DATE: return t == DLTC_TYPE_DATE;
    case K_TIME: return t == DLTC_TYPE_TIME;
    case K_DEC: return dec_value(v, pl->prec, pl->scale, &d) == 0;
    default: return 0;
    }
}

/* The plan from the values of an untyped (or mistyped) column. */
static colplan plan_of_values(dltc_rows *rows, size_t c, size_t nrows)
{
    colplan pl = {0};
    unsigned seen = 0;
    int aware = 0, naive = 0, bigfit = 1;
    for (size_t r = 0; r < nrows; r++) {
        const dltc_value *v = cell(rows, r, c);
        if (!v)
            continue;
        dltc_value_type t = dltc_value_type_of(v);
        seen |= 1u << t;
        if (t == DLTC_TYPE_TIMESTAMP) {
            if (dltc_value_get_tz(v))
                aware = 1;
            else
                naive = 1;
        } else if (t == DLTC_TYPE_BIGINT && bigfit) {
            __int128 d;
            bigfit = dec_value(v, 38, 0, &d) == 0;
        }
    }
#define B(t) (1u << DLTC_TYPE_##t)
    pl.k = K_UTF8; /* nothing seen, a mix, decimal text: the values' text */
    if (seen == B(BOOL))
        pl.k = K_BOOL;
    else if (seen == B(INT))
        pl.k = K_INT64;
    else if ((seen & B(DOUBLE)) && (seen & ~(B(INT) | B(DOUBLE))) == 0)
        pl.k = K_DOUBLE;
    else if (seen == B(BINARY))
        pl.k = K_BINARY;
    else if (seen == B(TIMESTAMP) && !(aware && naive)) {
        pl.k = K_TS;
        pl.tz = aware;
    } else if (seen == B(DATE))
        pl.k = K_DATE;
    else if (seen == B(TIME))
        pl.k = K_TIME;
    else if ((seen & B(BIGINT)) && (seen & ~(B(INT) | B(BIGINT))) == 0 && bigfit) {
        pl.k = K_DEC;
        pl.prec = 38;
    }
#undef B
    return pl;
}

static colplan plan_column(dltc_rows *rows, size_t c, size_t nrows)
{
    colplan pl = plan_of_type(dltc_rows_column_type(rows, c));
    for (size_t r = 0; pl.k != K_NONE && r < nrows; r++) {
        const dltc_value *v = cell(rows, r, c);
        if (v && !fits(&pl, v))
            pl.k = K_NONE;
    }
    if (pl.k == K_NONE)
        pl = plan_of_values(rows, c, nrows);
    switch (pl.k) {
    case K_BOOL: strcpy(pl.format, "b"); break;
    case K_INT64: strcpy(pl.format, "l"); break;
    case K_UINT64: strcpy(pl.format, "L"); break;
    case K_DOUBLE: strcpy(pl.format, "g"); break;
    case K_BINARY: strcpy(pl.format, "z"); break;
    case K_TS: strcpy(pl.format, pl.tz ? "tsu:UTC" : "tsu:"); break;
    case K_DATE: strcpy(pl.format, "tdD"); break;
    case K_TIME: strcpy(pl.format, "ttu"); break;
    case K_DEC: snprintf(pl.format, sizeof pl.format, "d:%d,%d", pl.prec, pl.scale); break;
    default: strcpy(pl.format, "u"); break;
    }
    return pl;
}

/* ---- the stream's state ---- */

typedef struct {
    dltc_rows *rows;
    size_t ncols, nrows, next;
    colplan *cols;
    char error[512];
    int failed;
} stream_state;

static int fail(stream_state *st, int code, const char *msg)
{
    snprintf(st->error, sizeof st->error, "%s", msg);
    st->failed = 1;
    return code;
}

/* ---- schema ---- */

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "");
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s ? s : "", n + 1);
    return d;
}

/* Frees what schema_new made: strings, children (unless moved out: release NULL). */
static void schema_release(struct ArrowSchema *s)
{
    for (int64_t i = 0; i < s->n_children; i++) {
        struct ArrowSchema *c = s->children[i];
        if (c && c->release)
            c->release(c);
        free(c);
    }
    free(s->children);
    free((void *)s->format);
    free((void *)s->name);
    s->release = NULL;
}

static int schema_init(struct ArrowSchema *s, const char *format, const char *name,
                       int64_t flags)
{
    memset(s, 0, sizeof *s);
    s->format = dup_str(format);
    s->name = dup_str(name);
    s->flags = flags;
    s->release = schema_release;
    return s->format && s->name ? 0 : -1;
}

static int get_schema(struct ArrowArrayStream *stream, struct ArrowSchema *out)
{
    stream_state *st = stream->private_data;
    st->failed = 0;
    struct ArrowSchema s;
    if (schema_init(&s, "+s", "", 0) < 0)
        goto oom;
    s.children = calloc(st->ncols ? st->ncols : 1, sizeof *s.children);
    if (!s.children)
        goto oom;
    for (size_t c = 0; c < st->ncols; c++) {
        struct ArrowSchema *ch = malloc(sizeof *ch);
        if (!ch)
            goto oom;
        s.children[c] = ch;
        s.n_children = (int64_t)c + 1;
        if (schema_init(ch, st->cols[c].format, dltc_rows_column_name(st->rows, c),
                        ARROW_FLAG_NULLABLE) < 0)
            goto oom;
    }
    *out = s;
    return 0;
oom:
    if (s.release)
        schema_release(&s);
    return fail(st, ENOMEM, "out of memory building the Arrow schema");
}

/* ---- arrays ---- */

typedef struct {
    const void *bufs[3];
} array_priv;

/* Frees an array made here: its buffers and children (unless moved out). */
static void array_release(struct ArrowArray *a)
{
    for (int64_t i = 0; i < a->n_children; i++) {
        struct ArrowArray *c = a->children[i];
        if (c && c->release)
            c->release(c);
        free(c);
    }
    free(a->children);
    array_priv *p = a->private_data;
    if (p) {
        for (int i = 0; i < 3; i++)
            free((void *)p->bufs[i]);
        free(p);
    }
    a->release = NULL;
}

/* A zeroed buffer of at least `size` bytes (never NULL for size 0), 64-byte aligned and
 * padded to a multiple of 64 as Arrow recommends. */
static void *abuf(size_t size)
{
    size_t n = size ? (size + ALIGN - 1) / ALIGN * ALIGN : ALIGN;
    if (n < size)
        return NULL;
    void *p = aligned_alloc(ALIGN, n);
    if (p)
        memset(p, 0, n);
    return p;
}

static void set_bit(uint8_t *bits, size_t i)
{
    bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* A column value's text for a utf8 column: strings as they are, anything else as its
 * JSON, with the quotes of JSON strings (timestamps, dates, times, base64) dropped. */
typedef struct {
    char *s; /* dltc_free'd; NULL when the value's own string is used */
    size_t len;
} text_item;

static int value_text(const dltc_value *v, text_item *out)
{
    char *s = NULL;
    size_t len = 0;
    if (dltc_value_to_json(&s, &len, v))
        return -1;
    if (dltc_value_type_of(v) != DLTC_TYPE_STRING && len >= 2 && s[0] == '"' &&
        s[len - 1] == '"' && !memchr(s + 1, '\\', len - 2)) {
        memmove(s, s + 1, len - 2);
        len -= 2;
        s[len] = '\0';
    }
    out->s = s;
    out->len = len;
    return 0;
}

/* utf8 / binary buffers of rows [start, start+n) of column c into p->bufs[1..2]. */
static int build_var(stream_state *st, size_t c, size_t start, size_t n, array_priv *p)
{
    const colplan *pl = &st->cols[c];
    text_item *texts = NULL; /* only when some value needs converting */
    size_t total = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const dltc_value *v = cell(st->rows, start + i, c);
        if (!v)
            continue;
        dltc_value_type t = dltc_value_type_of(v);
        size_t len = 0;
        if (t == DLTC_TYPE_STRING || (pl->k == K_BINARY && t == DLTC_TYPE_BINARY)) {
            dltc_value_get_str(v, &len);
        } else {
            if (!texts && !(texts = calloc(n, sizeof *texts))) {
                rc = fail(st, ENOMEM, "out of memory building an Arrow batch");
                goto done;
            }
            if (value_text(v, &texts[i]) < 0) {
                const dltc_error *e = dltc_error_last();
                rc = fail(st, e->code == DLTC_ENOMEM ? ENOMEM : EINVAL,
                          e->message && *e->message ? e->message : "a value has no text form");
                goto done;
            }
            len = texts[i].len;
        }
        total += len;
        if (total > INT32_MAX) { /* int32 offsets: the caller makes the batch smaller */
            rc = EOVERFLOW;
            goto done;
        }
    }
    int32_t *offsets = abuf((n + 1) * sizeof(int32_t));
    char *data = abuf(total);
    p->bufs[1] = offsets;
    p->bufs[2] = data;
    if (!offsets || !data) {
        rc = fail(st, ENOMEM, "out of memory building an Arrow batch");
        goto done;
    }
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        offsets[i] = (int32_t)pos;
        const dltc_value *v = cell(st->rows, start + i, c);
        if (!v)
            continue;
        size_t len = 0;
        const char *s;
        if (texts && texts[i].s) {
            s = texts[i].s;
            len = texts[i].len;
        } else {
            s = dltc_value_get_str(v, &len);
        }
        if (len)
            memcpy(data + pos, s, len);
        pos += len;
    }
    offsets[n] = (int32_t)pos;
done:
    if (texts) {
        for (size_t i = 0; i < n; i++)
            dltc_free(texts[i].s);
        free(texts);
    }
    return rc;
}

/* Column c over rows [start, start+n) into *out: 0, or an errno code (EOVERFLOW: too much
 * text for one batch, error not recorded) with nothing left allocated. */
static int build_column(stream_state *st, size_t c, size_t start, size_t n,
                        struct ArrowArray *out)
{
    const colplan *pl = &st->cols[c];
    array_priv *p = calloc(1, sizeof *p);
    if (!p)
        return fail(st, ENOMEM, "out of memory building an Arrow batch");
    size_t nulls = 0;
    for (size_t i = 0; i < n; i++)
        nulls += cell(st->rows, start + i, c) == NULL;
    int rc = 0;
    if (nulls) {
        uint8_t *valid = abuf((n + 7) / 8);
        if (!valid)
            goto oom;
        p->bufs[0] = valid;
        for (size_t i = 0; i < n; i++)
            if (cell(st->rows, start + i, c))
                set_bit(valid, i);
    }
    int64_t nbuf = 2;
    size_t width = 8;
    switch (pl->k) {
    case K_UTF8:
    case K_BINARY:
        nbuf = 3;
        rc = build_var(st, c, start, n, p);
        if (rc)
            goto failed;
        break;
    case K_BOOL: {
        uint8_t *bits = abuf((n + 7) / 8);
        if (!bits)
            goto oom;
        p->bufs[1] = bits;
        for (size_t i = 0; i < n; i++) {
            const dltc_value *v = cell(st->rows, start + i, c);
            if (v && dltc_value_get_bool(v))
                set_bit(bits, i);
        }
        break;
    }
    case K_DATE: width = 4; /* fall through */
    case K_INT64:
    case K_UINT64:
    case K_DOUBLE:
    case K_TS:
    case K_TIME:
    case K_DEC: {
        if (pl->k == K_DEC)
            width = 16;
        unsigned char *data = abuf(n * width);
        if (!data)
            goto oom;
        p->bufs[1] = data;
        for (size_t i = 0; i < n; i++) {
            const dltc_value *v = cell(st->rows, start + i, c);
            if (!v)
                continue; /* null slots stay 0 */
            unsigned char *at = data + i * width;
            if (pl->k == K_DATE) {
                int32_t d = (int32_t)dltc_value_get_int(v);
                memcpy(at, &d, 4);
            } else if (pl->k == K_DOUBLE) {
                double d = dltc_value_get_double(v);
                memcpy(at, &d, 8);
            } else if (pl->k == K_UINT64) {
                uint64_t u = 0;
                u64_value(v, &u); /* checked when planned */
                memcpy(at, &u, 8);
            } else if (pl->k == K_DEC) {
                __int128 d = 0; /* native (little-endian) two's complement, as Arrow's */
                dec_value(v, pl->prec, pl->scale, &d);
                memcpy(at, &d, 16);
            } else {
                int64_t x = dltc_value_get_int(v);
                memcpy(at, &x, 8);
            }
        }
        break;
    }
    default:
        goto oom; /* not reached: every plan has a kind */
    }
    memset(out, 0, sizeof *out);
    out->length = (int64_t)n;
    out->null_count = (int64_t)nulls;
    out->n_buffers = nbuf;
    out->buffers = p->bufs;
    out->release = array_release;
    out->private_data = p;
    return 0;
oom:
    rc = fail(st, ENOMEM, "out of memory building an Arrow batch");
failed:
    for (int i = 0; i < 3; i++)
        free((void *)p->bufs[i]);
    free(p);
    return rc;
}

/* A struct array of all columns over rows [start, start+n) into *out. */
static int build_batch(stream_state *st, size_t start, size_t n, struct ArrowArray *out)
{
    struct ArrowArray a;
    memset(&a, 0, sizeof a);
    a.length = (int64_t)n;
    a.n_buffers = 1; /* the struct's validity: none, every row is there */
    a.release = array_release;
    array_priv *p = calloc(1, sizeof *p);
    a.children = calloc(st->ncols ? st->ncols : 1, sizeof *a.children);
    a.private_data = p;
    if (!p || !a.children) {
        array_release(&a);
        return fail(st, ENOMEM, "out of memory building an Arrow batch");
    }
    a.buffers = p->bufs;
    for (size_t c = 0; c < st->ncols; c++) {
        struct ArrowArray *ch = malloc(sizeof *ch);
        if (!ch) {
            array_release(&a);
            return fail(st, ENOMEM, "out of memory building an Arrow batch");
        }
        a.children[c] = ch;
        ch->release = NULL;
        a.n_children = (int64_t)c + 1;
        int rc = build_column(st, c, start, n, ch);
        if (rc) {
            array_release(&a);
            return rc;
        }
    }
    *out = a;
    return 0;
}

static int get_next(struct ArrowArrayStream *stream, struct ArrowArray *out)
{
    stream_state *st = stream->private_data;
    st->failed = 0;
    memset(out, 0, sizeof *out);
    if (st->next >= st->nrows)
        return 0; /* end of stream: out->release == NULL */
    size_t n = st->nrows - st->next;
    if (n > BATCH_ROWS)
        n = BATCH_ROWS;
    for (;;) {
        int rc = build_batch(st, st->next, n, out);
        if (rc == EOVERFLOW && n > 1) { /* over 2 GiB of text: fewer rows per batch */
            n /= 2;
            continue;
        }
        if (rc == EOVERFLOW)
            return fail(st, EOVERFLOW, "a value is too large for an Arrow utf8/binary array");
        if (rc) {
            memset(out, 0, sizeof *out);
            return rc;
        }
        st->next += n;
        return 0;
    }
}

static const char *get_last_error(struct ArrowArrayStream *stream)
{
    stream_state *st = stream->private_data;
    return st && st->failed ? st->error : NULL;
}

static void stream_release(struct ArrowArrayStream *stream)
{
    stream_state *st = stream->private_data;
    if (st) {
        dltc_rows_free(st->rows);
        free(st->cols);
        free(st);
    }
    stream->private_data = NULL;
    stream->release = NULL;
}

/* ---- the capsule ---- */

static void capsule_free(PyObject *capsule)
{
    struct ArrowArrayStream *s = PyCapsule_GetPointer(capsule, "arrow_array_stream");
    if (!s) {
        PyErr_WriteUnraisable(capsule);
        return;
    }
    if (s->release) /* not moved out by a consumer */
        s->release(s);
    free(s);
}

PyObject *dltcpy_rows_arrow_stream(dltc_rows *rows)
{
    stream_state *st = calloc(1, sizeof *st);
    struct ArrowArrayStream *s = calloc(1, sizeof *s);
    if (st) {
        st->rows = rows;
        st->ncols = dltc_rows_column_count(rows);
        st->nrows = dltc_rows_count(rows);
        st->cols = calloc(st->ncols ? st->ncols : 1, sizeof *st->cols);
    }
    if (!st || !s || !st->cols) {
        if (st)
            free(st->cols);
        free(st);
        free(s);
        dltc_rows_free(rows);
        return PyErr_NoMemory();
    }
    /* a pass over every value: without the GIL, it touches no Python object */
    Py_BEGIN_ALLOW_THREADS
    for (size_t c = 0; c < st->ncols; c++)
        st->cols[c] = plan_column(rows, c, st->nrows);
    Py_END_ALLOW_THREADS
    s->get_schema = get_schema;
    s->get_next = get_next;
    s->get_last_error = get_last_error;
    s->release = stream_release;
    s->private_data = st;
    PyObject *cap = PyCapsule_New(s, "arrow_array_stream", capsule_free);
    if (!cap) {
        stream_release(s);
        free(s);
    }
    return cap;
}

int dltcpy_arrow_init(PyObject *m)
{
    return 0;
}
