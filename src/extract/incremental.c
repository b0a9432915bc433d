/* Incremental cursors as dlt's Incremental and JsonIncremental (dlt/extract/incremental):
 * the same filtering, boundary deduplication, lag and state, for items in our value model.
 *
 * Per item (max; min is the mirror image; a custom comparison generalizes both):
 *   no value at the cursor        -> on_cursor_value_missing (raise / include / exclude)
 *   value after end_value         -> dropped, end_out_of_range (also == end when range_end open)
 *   value <= last_value:
 *       == start and range_start open      -> dropped, start_out_of_range
 *       <  start                           -> dropped, start_out_of_range
 *       == start and its hash in the state -> dropped, start_out_of_range (boundary dedup)
 *       == last_value                      -> kept, its hash remembered
 *   value >  last_value            -> kept; last_value moves, the hashes restart with this row
 * So the state keeps only the hashes of the rows at the final last_value: its size is bounded
 * by the rows that share one cursor value, not by the rows loaded (dlt #2580).
 *
 * Values are compared natively (strings as strings); we also compare a string with a datetime
 * or date by reading the string as ISO 8601 (dlt raises there), so an initial_value given as
 * an ISO string works for typed and for string cursors alike. */
#include "extract/incremental.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "formats/json.h"
#include "formats/jsonpath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_DAY 86400000000LL

/* ---- a scalar value with its own storage (cursor values outlive the items) ---- */

typedef struct {
    dltc_value v;
    char *buf;
    size_t cap;
    int set; /* 0: None */
} ival;

static int ival_set(ival *d, const dltc_value *src)
{
    if (!src || src->type == DLTC_TYPE_NULL) {
        d->set = 0;
        return 0;
    }
    d->v = *src;
    d->v.lex = NULL;
    d->v.cap = 0;
    if (src->type == DLTC_TYPE_STRING || src->type == DLTC_TYPE_BIGINT ||
        src->type == DLTC_TYPE_DECIMAL || src->type == DLTC_TYPE_BINARY) {
        size_t n = src->len;
        if (n + 1 > d->cap) {
            char *b = dltc__realloc(d->buf, n + 1);
            if (!b)
                return dltc__error_oom();
            d->buf = b;
            d->cap = n + 1;
        }
        if (n && src->u.s != d->buf)
            memmove(d->buf, src->u.s, n);
        d->buf[n] = '\0';
        d->v.u.s = d->buf;
    }
    d->set = 1;
    return 0;
}

static int ival_copy(ival *d, const ival *s)
{
    return ival_set(d, s->set ? &s->v : NULL);
}

static const dltc_value *ival_get(const ival *d)
{
    return d->set ? &d->v : NULL;
}

static void ival_free(ival *d)
{
    dltc__free(d->buf);
    memset(d, 0, sizeof(*d));
}

/* ---- cursor paths: the JSONPath subset of formats/jsonpath.h ---- */

static int cpath_compile(const char *path, dltc__jsonpath **out)
{
    if (!path || !*path)
        return dltc__error_set(DLTC_EINVALID, "incremental needs a cursor_path");
    int rc = dltc__jsonpath_compile(out, path, "cursor path");
    if (!rc && dltc__jsonpath_length(*out) == 0) {
        dltc__jsonpath_free(*out);
        *out = NULL;
        rc = dltc__error_set(DLTC_EINVALID, "cursor path '%s' names no field", path);
    }
    return rc;
}

int dltc__incr_find(const char *path, const dltc_value *item, const dltc_value **out)
{
    dltc__jsonpath *p;
    int rc = cpath_compile(path, &p);
    if (rc)
        return rc;
    *out = dltc__jsonpath_first(p, item);
    dltc__jsonpath_free(p);
    return 0;
}

/* ---- comparison ---- */

static const char *type_name(int t)
{
    static const char *names[] = {"null",   "bool",    "integer", "big integer", "double",
                                  "string", "array",   "object",  "timestamp",   "date",
                                  "time",   "decimal", "binary"};
    return t >= 0 && t <= DLTC_TYPE_BINARY ? names[t] : "value";
}

/* ISO parse without leaving an error behind when the string is not a date. */
static int iso_quiet(const char *s, size_t n, dltc_iso *out)
{
    if (!n || s[0] < '0' || s[0] > '9')
        return -1;
    const dltc_error *e = dltc_error_last();
    int code = e->code;
    char msg[512] = "";
    if (code)
        snprintf(msg, sizeof(msg), "%s", e->message);
    if (dltc__iso_parse(s, n, out) == 0)
        return 0;
    if (code)
        dltc__error_set(code, "%s", msg);
    else
        dltc_error_clear();
    return -1;
}

static int is_num(int t)
{
    return t == DLTC_TYPE_INT || t == DLTC_TYPE_BOOL || t == DLTC_TYPE_DOUBLE ||
           t == DLTC_TYPE_BIGINT || t == DLTC_TYPE_DECIMAL;
}

/* Decimal text of a number (INT, BIGINT, DECIMAL). */
static const char *num_text(const dltc_value *v, char *tmp, size_t *len)
{
    if (v->type == DLTC_TYPE_INT || v->type == DLTC_TYPE_BOOL) {
        *len = (size_t)snprintf(tmp, 32, "%lld", (long long)v->u.i);
        return tmp;
    }
    *len = v->len;
    return v->u.s;
}

static double num_double(const dltc_value *v)
{
    if (v->type == DLTC_TYPE_DOUBLE)
        return v->u.d;
    if (v->type == DLTC_TYPE_INT || v->type == DLTC_TYPE_BOOL)
        return (double)v->u.i;
    char tmp[64];
    size_t n = v->len < sizeof(tmp) - 1 ? v->len : sizeof(tmp) - 1;
    memcpy(tmp, v->u.s, n);
    tmp[n] = '\0';
    return dltc__json_strtod(tmp, NULL);
}

/* Exact comparison of two plain decimal texts ("-12.50", "0003"); 2 when one has an
 * exponent (the caller falls back to doubles). */
static int dec_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    if (memchr(a, 'e', al) || memchr(a, 'E', al) || memchr(b, 'e', bl) || memchr(b, 'E', bl))
        return 2;
    int sa = 1, sb = 1;
    if (al && (*a == '-' || *a == '+')) {
        sa = *a == '-' ? -1 : 1;
        a++, al--;
    }
    if (bl && (*b == '-' || *b == '+')) {
        sb = *b == '-' ? -1 : 1;
        b++, bl--;
    }
    /* integer parts without leading zeros, fractions without trailing zeros */
    const char *ad = memchr(a, '.', al), *bd = memchr(b, '.', bl);
    size_t ai = ad ? (size_t)(ad - a) : al, bi = bd ? (size_t)(bd - b) : bl;
    const char *af = ad ? ad + 1 : a + al, *bf = bd ? bd + 1 : b + bl;
    size_t afl = ad ? al - ai - 1 : 0, bfl = bd ? bl - bi - 1 : 0;
    while (ai && *a == '0')
        a++, ai--;
    while (bi && *b == '0')
        b++, bi--;
    while (afl && af[afl - 1] == '0')
        afl--;
    while (bfl && bf[bfl - 1] == '0')
        bfl--;
    int zero_a = !ai && !afl, zero_b = !bi && !bfl;
    if (zero_a)
        sa = 0;
    if (zero_b)
        sb = 0;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    int mag;
    if (ai != bi) {
        mag = ai < bi ? -1 : 1;
    } else {
        int c = memcmp(a, b, ai);
        if (c) {
            mag = c < 0 ? -1 : 1;
        } else {
            size_t n = afl < bfl ? afl : bfl;
            c = memcmp(af, bf, n);
            mag = c ? (c < 0 ? -1 : 1) : (afl == bfl ? 0 : (afl < bfl ? -1 : 1));
        }
    }
    return sa * mag;
}

static int num_cmp(const dltc_value *a, const dltc_value *b)
{
    int ta = a->type, tb = b->type;
    int ia = ta == DLTC_TYPE_INT || ta == DLTC_TYPE_BOOL;
    int ib = tb == DLTC_TYPE_INT || tb == DLTC_TYPE_BOOL;
    if (ia && ib)
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    if (ta != DLTC_TYPE_DOUBLE && tb != DLTC_TYPE_DOUBLE) {
        char t1[32], t2[32];
        size_t l1, l2;
        const char *s1 = num_text(a, t1, &l1), *s2 = num_text(b, t2, &l2);
        int c = dec_cmp(s1, l1, s2, l2);
        if (c != 2)
            return c;
    }
    if (ia || ib) { /* an int64 and a double: exact in long double on x86-64 */
        long double x = ia ? (long double)a->u.i : (long double)num_double(a);
        long double y = ib ? (long double)b->u.i : (long double)num_double(b);
        return x < y ? -1 : x > y;
    }
    double x = num_double(a), y = num_double(b);
    return x < y ? -1 : x > y;
}

/* A point in time: timestamps in µs; a date is its midnight (UTC). kind: 1 timeline,
 * 2 time of day, 0 not a time. */
static int as_time(const dltc_value *v, int64_t *us, int *date_only)
{
    dltc_iso iso;
    *date_only = 0;
    switch (v->type) {
    case DLTC_TYPE_TIMESTAMP:
        *us = v->u.i;
        return 1;
    case DLTC_TYPE_DATE:
        *us = v->u.i * US_PER_DAY;
        *date_only = 1;
        return 1;
    case DLTC_TYPE_TIME:
        *us = v->u.i;
        return 2;
    case DLTC_TYPE_STRING:
        if (iso_quiet(v->u.s, v->len, &iso))
            return 0;
        if (iso.kind == DLTC_ISO_DATETIME) {
            *us = iso.value;
            return 1;
        }
        if (iso.kind == DLTC_ISO_DATE) {
            *us = iso.value * US_PER_DAY;
            *date_only = 1;
            return 1;
        }
        *us = iso.value;
        return 2;
    default:
        return 0;
    }
}

static int is_time_type(int t)
{
    return t == DLTC_TYPE_TIMESTAMP || t == DLTC_TYPE_DATE || t == DLTC_TYPE_TIME;
}

int dltc__incr_compare(const dltc_value *a, const dltc_value *b, int *out)
{
    int ta = a->type, tb = b->type;
    if (is_num(ta) && is_num(tb)) {
        *out = num_cmp(a, b);
        return 0;
    }
    if (ta == DLTC_TYPE_STRING && tb == DLTC_TYPE_STRING) {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->u.s, b->u.s, n);
        *out = c ? (c < 0 ? -1 : 1) : (a->len == b->len ? 0 : (a->len < b->len ? -1 : 1));
        return 0;
    }
    if (is_time_type(ta) || is_time_type(tb)) {
        int64_t x, y;
        int dx, dy;
        int ka = as_time(a, &x, &dx), kb = as_time(b, &y, &dy);
        if (ka && ka == kb) {
            *out = x < y ? -1 : x > y;
            return 0;
        }
    }
    if (ta == DLTC_TYPE_BINARY && tb == DLTC_TYPE_BINARY) {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->u.s, b->u.s, n) : 0;
        *out = c ? (c < 0 ? -1 : 1) : (a->len == b->len ? 0 : (a->len < b->len ? -1 : 1));
        return 0;
    }
    return dltc__error_set(DLTC_EINVALID, "cannot compare a %s with a %s", type_name(ta),
                           type_name(tb));
}

/* ---- the JSON dlt hashes: orjson with sorted keys and "Z" for UTC ---- */

/* orjson prints floats as Python's repr but without '+' or leading zeros in the exponent,
 * and switches to the exponent form below 1e-5 (repr: below 1e-4). */
static int hash_double(dltc_buf *b, double d)
{
    if (!isfinite(d))
        return dltc__buf_puts(b, "null");
    char r[40];
    size_t n = dltc__format_double(r, d);
    char *e = memchr(r, 'e', n);
    if (!e)
        return dltc__buf_put(b, r, n);
    int exp = (int)strtol(e + 1, NULL, 10);
    if (exp == -5) { /* 1.5e-05 -> 0.000015 */
        int rc = 0;
        const char *m = r;
        if (*m == '-') {
            rc = dltc__buf_putc(b, '-');
            m++;
        }
        if (!rc)
            rc = dltc__buf_puts(b, "0.0000");
        for (const char *p = m; p < e && !rc; p++)
            if (*p != '.')
                rc = dltc__buf_putc(b, *p);
        return rc;
    }
    int rc = dltc__buf_put(b, r, (size_t)(e - r));
    if (!rc)
        rc = dltc__buf_printf(b, "e%s%d", exp < 0 ? "-" : "", abs(exp));
    return rc;
}

static int hash_string_raw(dltc_buf *b, const char *s, size_t n)
{
    return dltc__json_write_string(b, s, n);
}

static int cmp_member_ptr(const void *x, const void *y)
{
    const dltc_member *a = *(const dltc_member *const *)x, *b = *(const dltc_member *const *)y;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (a->klen < b->klen ? -1 : a->klen > b->klen);
}

int dltc__incr_hash_json(dltc_buf *b, const dltc_value *v)
{
    char tmp[DLTC_ISO_MAX];
    size_t n;
    int rc;
    switch (v->type) {
    case DLTC_TYPE_NULL:
        return dltc__buf_puts(b, "null");
    case DLTC_TYPE_BOOL:
        return dltc__buf_puts(b, v->u.i ? "true" : "false");
    case DLTC_TYPE_INT:
        return dltc__json_write_int(b, v->u.i);
    case DLTC_TYPE_BIGINT:
        return dltc__buf_put(b, v->u.s, v->len);
    case DLTC_TYPE_DOUBLE:
        return hash_double(b, v->u.d);
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_DECIMAL: /* str(Decimal) */
        return hash_string_raw(b, v->u.s, v->len);
    case DLTC_TYPE_TIMESTAMP:
        if (v->flags & DLTC_VF_TZ) {
            n = dltc__format_timestamp(tmp, v->u.i);
            if (n >= 6 && memcmp(tmp + n - 6, "+00:00", 6) == 0) {
                tmp[n - 6] = 'Z';
                n -= 5;
            }
        } else {
            n = dltc__format_timestamp_naive(tmp, v->u.i);
        }
        return hash_string_raw(b, tmp, n);
    case DLTC_TYPE_DATE:
        return hash_string_raw(b, tmp, dltc__format_date(tmp, (int32_t)v->u.i));
    case DLTC_TYPE_TIME:
        return hash_string_raw(b, tmp, dltc__format_time(tmp, v->u.i));
    case DLTC_TYPE_BINARY: {
        char *enc = dltc__malloc(4 * ((size_t)v->len / 3 + 1) + 1);
        if (!enc)
            return dltc__error_oom();
        n = dltc__base64_encode((const uint8_t *)v->u.s, v->len, enc, 1);
        rc = hash_string_raw(b, enc, n);
        dltc__free(enc);
        return rc;
    }
    case DLTC_TYPE_ARRAY:
        if ((rc = dltc__buf_putc(b, '[')))
            return rc;
        for (uint32_t i = 0; i < v->len; i++)
            if ((i && (rc = dltc__buf_putc(b, ','))) ||
                (rc = dltc__incr_hash_json(b, &v->u.arr[i])))
                return rc;
        return dltc__buf_putc(b, ']');
    case DLTC_TYPE_OBJECT: {
        const dltc_member *local[16], **m = local;
        if (v->len > 16 && !(m = dltc__malloc(v->len * sizeof(*m))))
            return dltc__error_oom();
        for (uint32_t i = 0; i < v->len; i++)
            m[i] = &v->u.obj[i];
        qsort(m, v->len, sizeof(*m), cmp_member_ptr);
        rc = dltc__buf_putc(b, '{');
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            if (i)
                rc = dltc__buf_putc(b, ',');
            if (!rc)
                rc = hash_string_raw(b, m[i]->key, m[i]->klen);
            if (!rc)
                rc = dltc__buf_putc(b, ':');
            if (!rc)
                rc = dltc__incr_hash_json(b, &m[i]->val);
        }
        if (m != local)
            dltc__free(m);
        return rc ? rc : dltc__buf_putc(b, '}');
    }
    default:
        return dltc__error_set(DLTC_EINVALID, "cannot hash a value of type %d", v->type);
    }
}

/* Primary key columns: comma-separated, spaces around names ignored. */
typedef struct {
    char **k;
    size_t n;
} keylist;

static void keys_free(keylist *l)
{
    for (size_t i = 0; i < l->n; i++)
        dltc__free(l->k[i]);
    dltc__free(l->k);
    l->k = NULL;
    l->n = 0;
}

static int keys_parse(keylist *l, const char *spec)
{
    memset(l, 0, sizeof(*l));
    for (const char *p = spec; p && *p;) {
        const char *c = strchr(p, ',');
        const char *e = c ? c : p + strlen(p);
        const char *s = p;
        while (s < e && *s == ' ')
            s++;
        const char *t = e;
        while (t > s && t[-1] == ' ')
            t--;
        if (t > s) {
            char **n = dltc__realloc(l->k, (l->n + 1) * sizeof(*n));
            if (!n || !(n[l->n] = dltc__strndup(s, (size_t)(t - s)))) {
                if (n)
                    l->k = n;
                keys_free(l);
                return dltc__error_oom();
            }
            l->k = n;
            l->n++;
        }
        p = c ? c + 1 : e;
    }
    return 0;
}

static const dltc_value *member(const dltc_value *o, const char *k)
{
    if (!o || o->type != DLTC_TYPE_OBJECT)
        return NULL;
    size_t n = strlen(k);
    for (uint32_t i = 0; i < o->len; i++)
        if (o->u.obj[i].klen == n && memcmp(o->u.obj[i].key, k, n) == 0)
            return &o->u.obj[i].val;
    return NULL;
}

/* The hashed text of a row for keys `l` (n == 0: the whole row). */
static int unique_text(dltc_buf *b, const dltc_value *row, const keylist *l, const char *res)
{
    if (l->n == 0)
        return dltc__incr_hash_json(b, row);
    int rc = l->n > 1 ? dltc__buf_putc(b, '[') : 0;
    for (size_t i = 0; i < l->n && !rc; i++) {
        const dltc_value *v = member(row, l->k[i]);
        if (!v)
            return dltc__error_set(DLTC_EINVALID,
                                   "resource '%s': primary key '%s' is missing in an item "
                                   "(incremental deduplication)",
                                   res ? res : "", l->k[i]);
        if (i)
            rc = dltc__buf_putc(b, ',');
        if (!rc)
            rc = dltc__incr_hash_json(b, v);
    }
    return rc ? rc : (l->n > 1 ? dltc__buf_putc(b, ']') : 0);
}

static void digest(const dltc_buf *b, char out[21])
{
    uint8_t h[15];
    dltc__shake128_fast(b->data, b->len, h, sizeof(h));
    dltc__base64_encode(h, sizeof(h), out, 0);
}

int dltc__incr_unique_hash(const dltc_value *row, const char *pk, char out[21])
{
    keylist l;
    int rc = keys_parse(&l, pk);
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc)
        rc = unique_text(&b, row, &l, NULL);
    if (!rc)
        digest(&b, out);
    dltc__buf_free(&b);
    keys_free(&l);
    return rc;
}

/* ---- ordered set of 20-character hashes ---- */

typedef struct {
    char (*v)[20];
    size_t n, cap;
    uint32_t *tab; /* index + 1, 0 = empty */
    size_t tcap;   /* power of two */
} hset;

static size_t hslot(const char h[20], size_t tcap)
{
    return (size_t)dltc__hash_bytes(h, 20) & (tcap - 1);
}

static int hset_has(const hset *s, const char h[20])
{
    if (!s->tcap)
        return 0;
    for (size_t i = hslot(h, s->tcap);; i = (i + 1) & (s->tcap - 1)) {
        uint32_t e = s->tab[i];
        if (!e)
            return 0;
        if (memcmp(s->v[e - 1], h, 20) == 0)
            return 1;
    }
}

static int hset_rehash(hset *s, size_t tcap)
{
    uint32_t *t = dltc__calloc(tcap, sizeof(*t));
    if (!t)
        return dltc__error_oom();
    for (size_t k = 0; k < s->n; k++) {
        size_t i = hslot(s->v[k], tcap);
        while (t[i])
            i = (i + 1) & (tcap - 1);
        t[i] = (uint32_t)(k + 1);
    }
    dltc__free(s->tab);
    s->tab = t;
    s->tcap = tcap;
    return 0;
}

static int hset_add(hset *s, const char h[20])
{
    if (hset_has(s, h))
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char(*v)[20] = dltc__realloc(s->v, cap * sizeof(*v));
        if (!v)
            return dltc__error_oom();
        s->v = v;
        s->cap = cap;
    }
    memcpy(s->v[s->n++], h, 20);
    if (2 * s->n > s->tcap)
        return hset_rehash(s, s->tcap ? 2 * s->tcap : 16);
    size_t i = hslot(h, s->tcap);
    while (s->tab[i])
        i = (i + 1) & (s->tcap - 1);
    s->tab[i] = (uint32_t)s->n;
    return 0;
}

static void hset_clear(hset *s)
{
    s->n = 0;
    if (s->tcap > 64) { /* do not keep a large table around for a few entries */
        dltc__free(s->tab);
        dltc__free(s->v);
        s->tab = NULL;
        s->v = NULL;
        s->tcap = s->cap = 0;
    } else if (s->tcap) {
        memset(s->tab, 0, s->tcap * sizeof(*s->tab));
    }
}

static void hset_free(hset *s)
{
    dltc__free(s->tab);
    dltc__free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---- definition ---- */

enum { MISSING_RAISE, MISSING_INCLUDE, MISSING_EXCLUDE };
enum { ORDER_NONE, ORDER_ASC, ORDER_DESC };

struct dltc__incr_def {
    char *cursor_path;
    dltc__jsonpath *path;
    dltc_arena arena;    /* initial and end values */
    dltc_value *initial; /* NULL: None */
    dltc_value *end;     /* NULL: None */
    int initial_is_date_string;
    int min; /* last_value_func "min" */
    dltc_cursor_cmp_fn cmp;
    void *cmp_payload;
    int row_order;
    int pk_given;      /* primary_key set in the options */
    char *primary_key; /* "" disables dedup */
    double lag;
    int missing;
    int range_start_open;
    int range_end_closed;
};

/* func-order of a and b: >0 when a comes after b under last_value_func. */
static int fcmp(const dltc__incr_def *d, const dltc_value *a, const dltc_value *b, int *out)
{
    if (d->cmp) {
        int c = d->cmp(a, b, d->cmp_payload);
        *out = c > 0 ? 1 : c < 0 ? -1 : 0;
        return 0;
    }
    int c, rc = dltc__incr_compare(a, b, &c);
    if (rc)
        return rc;
    *out = d->min ? -c : c;
    return 0;
}

/* An option value: JSON text; an ISO datetime or date string becomes typed (pendulum: a
 * naive datetime is UTC). */
static int option_value(dltc__incr_def *d, const char *what, const char *json, dltc_value **out,
                        int *date_string)
{
    *out = NULL;
    if (!json)
        return 0;
    dltc_json_error err;
    dltc_value *v;
    int rc = dltc__json_parse(&d->arena, json, strlen(json), 8, &v, &err);
    if (rc) {
        dltc__error_prefix("incremental %s: ", what);
        return rc;
    }
    if (v->type == DLTC_TYPE_ARRAY || v->type == DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "incremental %s must be a single value, not %s", what,
                               json);
    if (v->type == DLTC_TYPE_NULL)
        return 0;
    dltc_iso iso;
    if (v->type == DLTC_TYPE_STRING && iso_quiet(v->u.s, v->len, &iso) == 0) {
        if (iso.kind == DLTC_ISO_DATETIME) {
            dltc__value_set_type(v, DLTC_TYPE_TIMESTAMP);
            v->u.i = iso.value;
            v->flags = DLTC_VF_TZ;
        } else if (iso.kind == DLTC_ISO_DATE) {
            dltc__value_set_type(v, DLTC_TYPE_DATE);
            v->u.i = iso.value;
            if (date_string)
                *date_string = 1;
        }
    }
    *out = v;
    return 0;
}

static int one_of(const char *what, const char *v, const char *const *names, int n, int *out)
{
    if (!v) {
        *out = 0;
        return 0;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return dltc__error_set(DLTC_EINVALID, "incremental %s: unknown value '%s'", what, v);
}

void dltc__incr_def_free(dltc__incr_def *d)
{
    if (!d)
        return;
    dltc__free(d->cursor_path);
    dltc__free(d->primary_key);
    dltc__jsonpath_free(d->path);
    dltc__arena_free(&d->arena);
    dltc__free(d);
}

int dltc__incr_def_new(dltc__incr_def **out, const dltc_incremental_options *o)
{
    if (!o || o->version != DLTC_INCREMENTAL_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "incremental options: version mismatch");
    if (!o->cursor_path || !*o->cursor_path)
        return dltc__error_set(DLTC_EINVALID, "incremental needs a cursor_path");
    dltc__incr_def *d = dltc__calloc(1, sizeof(*d));
    if (!d)
        return dltc__error_oom();
    dltc__arena_init(&d->arena, 1024);
    static const char *const funcs[] = {"max", "min"};
    static const char *const orders[] = {"", "asc", "desc"};
    static const char *const missing[] = {"raise", "include", "exclude"};
    static const char *const starts[] = {"closed", "open"};
    static const char *const ends[] = {"open", "closed"};
    int rc = cpath_compile(o->cursor_path, &d->path);
    if (!rc && !(d->cursor_path = dltc__strdup(o->cursor_path)))
        rc = dltc__error_oom();
    if (!rc && !o->last_value_cmp)
        rc = one_of("last_value_func", o->last_value_func, funcs, 2, &d->min);
    if (!rc)
        rc = one_of("row_order", o->row_order && *o->row_order ? o->row_order : NULL, orders, 3,
                    &d->row_order);
    if (!rc)
        rc = one_of("on_cursor_value_missing", o->on_cursor_value_missing, missing, 3, &d->missing);
    if (!rc)
        rc = one_of("range_start", o->range_start, starts, 2, &d->range_start_open);
    if (!rc)
        rc = one_of("range_end", o->range_end, ends, 2, &d->range_end_closed);
    d->cmp = o->last_value_cmp;
    d->cmp_payload = o->last_value_payload;
    d->lag = o->lag;
    if (!rc && (isnan(o->lag) || o->lag < 0 || o->lag > 1e12))
        rc = dltc__error_set(DLTC_EINVALID, "incremental lag must be a number from 0 to 1e12");
    if (!rc && o->lag > 0 && o->last_value_cmp)
        rc = dltc__error_set(DLTC_EINVALID, "incremental lag needs last_value_func max or min");
    if (!rc && o->primary_key) {
        d->pk_given = 1;
        if (!(d->primary_key = dltc__strdup(o->primary_key)))
            rc = dltc__error_oom();
    }
    if (!rc)
        rc = option_value(d, "initial_value", o->initial_value, &d->initial,
                          &d->initial_is_date_string);
    if (!rc)
        rc = option_value(d, "end_value", o->end_value, &d->end, NULL);
    if (!rc && d->end && !d->initial)
        rc = dltc__error_set(DLTC_EINVALID, "incremental end_value was given without "
                                            "initial_value: initial_value is required with "
                                            "end_value");
    if (!rc && d->end) {
        int c;
        rc = fcmp(d, d->initial, d->end, &c);
        if (rc)
            dltc__error_prefix("incremental initial_value and end_value: ");
        else if (c > 0)
            rc = dltc__error_set(DLTC_EINVALID,
                                 "incremental initial_value (%s) is %s than end_value (%s)",
                                 o->initial_value, d->min ? "lower" : "higher", o->end_value);
    }
    if (rc) {
        dltc__incr_def_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

const char *dltc__incr_def_cursor_path(const dltc__incr_def *d)
{
    return d->cursor_path;
}

int dltc__incr_def_stateless(const dltc__incr_def *d)
{
    return d->end != NULL;
}

/* ---- runtime ---- */

struct dltc_incremental {
    const dltc__incr_def *d;
    const char *resource;
    keylist pk;
    int dedup_off; /* primary_key "" */
    int stateless; /* end_value: mock state */
    int lag_on;
    int dedup; /* boundary deduplication */
    int may_close;
    ival initial;      /* the state's initial_value */
    ival stored_last;  /* the state's last_value at bind */
    ival start;        /* start_value: lower bound of this run (lag applied) */
    ival last;         /* last_value as items move it */
    ival view;         /* scratch for the last_value getter */
    hset start_hashes; /* the state's hashes at bind */
    hset hashes;       /* hashes of the rows at `last` */
    dltc_arena pend;   /* rows at `last` not hashed yet: copies of what is hashed */
    dltc_value *pv;
    size_t npend, cappend;
    int seen_data;
    int start_oor, end_oor;
    int closed;
    dltc_buf text; /* hashed JSON */
};

/* lag in days: floor of the signed number of days (Python date + timedelta(days=x)) */
static int64_t lag_days(double lag, int min)
{
    return (int64_t)floor(min ? lag : -lag);
}

/* A datetime lagged by seconds, or by days when initial_value is a date string (then the
 * start of the day for max, its end for min, as dlt's _apply_lag_in_days in UTC). */
static void lag_timestamp(const dltc__incr_def *d, int64_t us, dltc_value *r)
{
    if (d->initial_is_date_string) {
        int64_t day = us >= 0 ? us / US_PER_DAY : -((-us + US_PER_DAY - 1) / US_PER_DAY);
        day += lag_days(d->lag, d->min);
        r->u.i = day * US_PER_DAY + (d->min ? US_PER_DAY - 1 : 0);
    } else {
        r->u.i = us + (int64_t)nearbyint((d->min ? d->lag : -d->lag) * 1e6);
    }
}

/* dlt's _apply_lag_to_value: seconds for datetimes, days for dates, units for numbers; the
 * result never crosses initial_value. A string cursor is lagged as the datetime or date it
 * reads as (the result is typed; dlt formats it back into the string's format). */
static int apply_lag(const dltc_incremental *inc, const dltc_value *v, ival *out)
{
    const dltc__incr_def *d = inc->d;
    double lag = d->lag;
    dltc_value r;
    dltc_iso iso;
    dltc__value_set_type(&r, v->type);
    switch (v->type) {
    case DLTC_TYPE_INT: {
        double x = trunc((double)v->u.i + (d->min ? lag : -lag));
        if (!(x > -9.2e18 && x < 9.2e18))
            return dltc__error_set(DLTC_EINVALID,
                                   "resource '%s': the lag takes the cursor "
                                   "out of the integer range",
                                   inc->resource);
        r.u.i = (int64_t)x;
        break;
    }
    case DLTC_TYPE_DOUBLE:
        r.u.d = v->u.d + (d->min ? lag : -lag);
        break;
    case DLTC_TYPE_TIMESTAMP:
        r.flags = v->flags;
        lag_timestamp(d, v->u.i, &r);
        break;
    case DLTC_TYPE_DATE:
        r.u.i = v->u.i + lag_days(lag, d->min);
        break;
    case DLTC_TYPE_STRING:
        if (iso_quiet(v->u.s, v->len, &iso) == 0 && iso.kind == DLTC_ISO_DATE) {
            dltc__value_set_type(&r, DLTC_TYPE_DATE);
            r.u.i = iso.value + lag_days(lag, d->min);
            break;
        }
        if (iso_quiet(v->u.s, v->len, &iso) == 0 && iso.kind == DLTC_ISO_DATETIME) {
            dltc__value_set_type(&r, DLTC_TYPE_TIMESTAMP);
            r.flags = DLTC_VF_TZ;
            lag_timestamp(d, iso.value, &r);
            break;
        }
        return dltc__error_set(DLTC_EINVALID,
                               "resource '%s': lag needs a datetime, date or number cursor; "
                               "'%s' is none",
                               inc->resource, v->u.s);
    default:
        return dltc__error_set(DLTC_EINVALID,
                               "resource '%s': lag is not supported for a %s cursor value",
                               inc->resource, type_name(v->type));
    }
    if (inc->initial.set) {
        int c;
        int rc = fcmp(d, &inc->initial.v, &r, &c);
        if (rc)
            return rc;
        if (c >= 0) /* do not cross initial_value */
            return ival_copy(out, &inc->initial);
    }
    return ival_set(out, &r);
}

static int hashes_from_state(hset *s, const dltc_value *arr)
{
    if (!arr || arr->type != DLTC_TYPE_ARRAY)
        return 0;
    for (uint32_t i = 0; i < arr->len; i++) {
        const dltc_value *h = &arr->u.arr[i];
        if (h->type != DLTC_TYPE_STRING || h->len != 20)
            continue; /* not a hash we make */
        int rc = hset_add(s, h->u.s);
        if (rc)
            return rc;
    }
    return 0;
}

void dltc__incr_free(dltc_incremental *inc)
{
    if (!inc)
        return;
    keys_free(&inc->pk);
    ival_free(&inc->initial);
    ival_free(&inc->stored_last);
    ival_free(&inc->start);
    ival_free(&inc->last);
    ival_free(&inc->view);
    hset_free(&inc->start_hashes);
    hset_free(&inc->hashes);
    dltc__arena_free(&inc->pend);
    dltc__free(inc->pv);
    dltc__buf_free(&inc->text);
    dltc__free(inc);
}

int dltc__incr_bind(dltc_incremental **out, const dltc__incr_def *d, const char *resource,
                    const char *resource_pk, const dltc_value *state, int may_close)
{
    dltc_incremental *inc = dltc__calloc(1, sizeof(*inc));
    if (!inc)
        return dltc__error_oom();
    inc->d = d;
    inc->resource = resource;
    inc->may_close = may_close;
    inc->stateless = d->end != NULL;
    inc->text.limit = 64u << 20;
    dltc__arena_init(&inc->pend, 4096);
    int rc = 0;
    const char *pk = d->pk_given ? d->primary_key : resource_pk;
    if (d->pk_given && !*d->primary_key)
        inc->dedup_off = 1;
    else
        rc = keys_parse(&inc->pk, pk);
    int has_state = !inc->stateless && state && state->type == DLTC_TYPE_OBJECT && state->len;
    if (!rc && has_state) {
        rc = ival_set(&inc->initial, member(state, "initial_value"));
        if (!rc)
            rc = ival_set(&inc->stored_last, member(state, "last_value"));
        if (!rc)
            rc = hashes_from_state(&inc->hashes, member(state, "unique_hashes"));
        if (!rc)
            rc = hashes_from_state(&inc->start_hashes, member(state, "unique_hashes"));
    } else if (!rc) {
        rc = ival_set(&inc->initial, d->initial);
        if (!rc)
            rc = ival_set(&inc->stored_last, d->initial);
    }
    inc->lag_on = d->lag > 0 && !d->cmp && !inc->stateless;
    if (!rc && inc->lag_on && inc->stored_last.set)
        rc = apply_lag(inc, &inc->stored_last.v, &inc->start);
    else if (!rc)
        rc = ival_copy(&inc->start, &inc->stored_last);
    if (!rc)
        rc = ival_copy(&inc->last, &inc->start);
    inc->dedup = !d->range_start_open && !inc->stateless && !inc->lag_on && !inc->dedup_off;
    if (rc) {
        dltc__incr_free(inc);
        return rc;
    }
    *out = inc;
    return 0;
}

/* A deep copy into `a` (what the hash of a row at the boundary needs after the item is gone). */
static int deep_copy(dltc_arena *a, const dltc_value *s, dltc_value *d)
{
    *d = *s;
    d->lex = NULL;
    switch (s->type) {
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
    case DLTC_TYPE_BINARY:
        if (!(d->u.s = dltc__arena_strndup(a, s->u.s, s->len)))
            return dltc_error_last()->code;
        return 0;
    case DLTC_TYPE_ARRAY:
        d->cap = s->len;
        if (!s->len)
            return 0;
        if (!(d->u.arr = dltc__arena_alloc(a, s->len * sizeof(dltc_value))))
            return dltc_error_last()->code;
        for (uint32_t i = 0; i < s->len; i++) {
            int rc = deep_copy(a, &s->u.arr[i], &d->u.arr[i]);
            if (rc)
                return rc;
        }
        return 0;
    case DLTC_TYPE_OBJECT:
        d->cap = s->len;
        if (!s->len)
            return 0;
        if (!(d->u.obj = dltc__arena_alloc(a, s->len * sizeof(dltc_member))))
            return dltc_error_last()->code;
        for (uint32_t i = 0; i < s->len; i++) {
            dltc_member *m = &d->u.obj[i];
            m->klen = s->u.obj[i].klen;
            if (!(m->key = dltc__arena_strndup(a, s->u.obj[i].key, m->klen)))
                return dltc_error_last()->code;
            int rc = deep_copy(a, &s->u.obj[i].val, &m->val);
            if (rc)
                return rc;
        }
        return 0;
    default:
        return 0;
    }
}

/* Remember a row at the boundary: a copy of its key value(s), or of the whole row. */
static int pend_push(dltc_incremental *inc, const dltc_value *row)
{
    if (inc->npend == inc->cappend) {
        size_t cap = inc->cappend ? 2 * inc->cappend : 8;
        dltc_value *n = dltc__realloc(inc->pv, cap * sizeof(*n));
        if (!n)
            return dltc__error_oom();
        inc->pv = n;
        inc->cappend = cap;
    }
    dltc_value *slot = &inc->pv[inc->npend];
    const keylist *l = &inc->pk;
    int rc = 0;
    if (l->n == 0)
        rc = deep_copy(&inc->pend, row, slot);
    else if (l->n > 1)
        dltc__value_set_type(slot, DLTC_TYPE_ARRAY);
    for (size_t i = 0; i < l->n && !rc; i++) {
        const dltc_value *v = member(row, l->k[i]);
        if (!v)
            return dltc__error_set(DLTC_EINVALID,
                                   "resource '%s': primary key '%s' is missing in an item "
                                   "(incremental deduplication)",
                                   inc->resource, l->k[i]);
        if (l->n == 1) {
            rc = deep_copy(&inc->pend, v, slot);
        } else {
            dltc_value c;
            if (!(rc = deep_copy(&inc->pend, v, &c)))
                rc = dltc__array_append(&inc->pend, slot, &c);
        }
    }
    if (!rc)
        inc->npend++;
    return rc;
}

static void pend_drop(dltc_incremental *inc)
{
    inc->npend = 0;
    dltc__arena_reset(&inc->pend);
}

int dltc__incr_flush(dltc_incremental *inc)
{
    int rc = 0;
    for (size_t i = 0; i < inc->npend && !rc; i++) {
        char h[21];
        dltc__buf_clear(&inc->text);
        rc = dltc__incr_hash_json(&inc->text, &inc->pv[i]);
        if (!rc) {
            digest(&inc->text, h);
            rc = hset_add(&inc->hashes, h);
        }
    }
    pend_drop(inc);
    return rc;
}

static int row_hash(dltc_incremental *inc, const dltc_value *row, char out[21])
{
    dltc__buf_clear(&inc->text);
    int rc = unique_text(&inc->text, row, &inc->pk, inc->resource);
    if (!rc)
        digest(&inc->text, out);
    return rc;
}

static int cmp_err(dltc_incremental *inc, const char *what)
{
    dltc__error_prefix("resource '%s': cursor '%s' and %s: ", inc->resource, inc->d->cursor_path,
                       what);
    return dltc_error_last()->code;
}

int dltc__incr_filter(dltc_incremental *inc, const dltc_value *item, int *keep)
{
    const dltc__incr_def *d = inc->d;
    *keep = 0;
    const dltc_value *v = dltc__jsonpath_first(d->path, item);
    if (!v || v->type == DLTC_TYPE_NULL) {
        inc->start_oor = inc->end_oor = 0;
        if (d->missing == MISSING_RAISE)
            return dltc__error_set(DLTC_EINVALID,
                                   v ? "resource '%s': the cursor '%s' is None in an item "
                                       "(on_cursor_value_missing='include' or 'exclude' "
                                       "accepts such items)"
                                     : "resource '%s': cursor path '%s' is missing in an item "
                                       "(on_cursor_value_missing='include' or 'exclude' "
                                       "accepts such items)",
                                   inc->resource, d->cursor_path);
        *keep = d->missing == MISSING_INCLUDE;
        return 0;
    }
    if (v->type == DLTC_TYPE_ARRAY || v->type == DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID,
                               "resource '%s': the cursor '%s' is an %s, not a "
                               "single value",
                               inc->resource, d->cursor_path, type_name(v->type));
    int c, rc;
    inc->start_oor = inc->end_oor = 0;
    if (d->end) {
        if ((rc = fcmp(d, v, d->end, &c)))
            return cmp_err(inc, "end_value");
        if (c > 0 || (c == 0 && !d->range_end_closed)) {
            inc->end_oor = 1;
            if (inc->may_close && d->row_order == ORDER_ASC)
                inc->closed = 1;
            return 0;
        }
    }
    inc->seen_data = 1;
    int vs_last = 1;
    if (inc->last.set && (rc = fcmp(d, v, &inc->last.v, &vs_last)))
        return cmp_err(inc, "last_value");
    char h[21];
    int hashed = 0;
    if (vs_last <= 0) {
        int vs_start = 1;
        if (inc->start.set && (rc = fcmp(d, v, &inc->start.v, &vs_start)))
            return cmp_err(inc, "start_value");
        if (inc->start.set && vs_start <= 0) {
            int drop = vs_start < 0 || d->range_start_open;
            if (!drop && inc->dedup) {
                if ((rc = row_hash(inc, item, h)))
                    return rc;
                hashed = 1;
                drop = hset_has(&inc->start_hashes, h);
            }
            if (drop) {
                inc->start_oor = 1;
                if (inc->may_close && d->row_order == ORDER_DESC)
                    inc->closed = 1;
                return 0;
            }
        }
        if (vs_last == 0 && inc->dedup &&
            (rc = hashed ? hset_add(&inc->hashes, h) : pend_push(inc, item)))
            return rc;
    } else {
        if ((rc = ival_set(&inc->last, v)))
            return rc;
        if (inc->dedup) { /* hashed when the batch ends, if still at the boundary then */
            hset_clear(&inc->hashes);
            pend_drop(inc);
            if ((rc = pend_push(inc, item)))
                return rc;
        }
    }
    *keep = 1;
    return 0;
}

int dltc__incr_closed(const dltc_incremental *inc)
{
    return inc->closed;
}

size_t dltc__incr_hash_count(dltc_incremental *inc)
{
    return dltc__incr_flush(inc) ? 0 : inc->hashes.n;
}

/* The last value the state records: with lag the run re-reads a window behind the stored
 * value, so the stored value only moves forward. */
static const ival *state_last(dltc_incremental *inc)
{
    if (!inc->lag_on || !inc->stored_last.set)
        return &inc->last;
    if (!inc->last.set)
        return &inc->stored_last;
    int c;
    if (fcmp(inc->d, &inc->stored_last.v, &inc->last.v, &c) == 0 && c > 0)
        return &inc->stored_last;
    return &inc->last;
}

static int arena_value(dltc_arena *a, const ival *src, dltc_value *dst)
{
    if (!src->set) {
        dltc__value_set_type(dst, DLTC_TYPE_NULL);
        return 0;
    }
    *dst = src->v;
    if (src->buf && src->v.u.s == src->buf) {
        char *s = dltc__arena_strndup(a, src->buf, src->v.len);
        if (!s)
            return dltc_error_last()->code;
        dst->u.s = s;
    }
    return 0;
}

static int put(dltc_arena *a, dltc_value *obj, const char *key, const dltc_value *v)
{
    return dltc__object_set(a, obj, key, strlen(key), v);
}

int dltc__incr_state(dltc_incremental *inc, dltc_arena *a, const dltc_value *prev, dltc_value *out)
{
    dltc__value_set_type(out, DLTC_TYPE_OBJECT);
    dltc_value v;
    int rc = dltc__incr_flush(inc);
    if (rc)
        return rc;
    /* keys in dlt's order, then whatever else was there */
    if ((rc = arena_value(a, &inc->initial, &v)) || (rc = put(a, out, "initial_value", &v)))
        return rc;
    if ((rc = arena_value(a, state_last(inc), &v)) || (rc = put(a, out, "last_value", &v)))
        return rc;
    const dltc_value *ph = member(prev, "unique_hashes");
    if (inc->dedup || !ph) {
        dltc__value_set_type(&v, DLTC_TYPE_ARRAY);
        const hset *hs = inc->dedup ? &inc->hashes : NULL;
        for (size_t i = 0; hs && i < hs->n && !rc; i++) {
            dltc_value s;
            dltc__value_set_type(&s, DLTC_TYPE_STRING);
            char *t = dltc__arena_strndup(a, hs->v[i], 20);
            if (!t)
                return dltc_error_last()->code;
            s.u.s = t;
            s.len = 20;
            rc = dltc__array_append(a, &v, &s);
        }
        if (!rc)
            rc = put(a, out, "unique_hashes", &v);
    } else {
        rc = put(a, out, "unique_hashes", ph);
    }
    if (rc)
        return rc;
    if (inc->seen_data) {
        if ((rc = arena_value(a, &inc->start, &v)) || (rc = put(a, out, "start_value", &v)))
            return rc;
    } else if (member(prev, "start_value")) {
        rc = put(a, out, "start_value", member(prev, "start_value"));
    }
    for (uint32_t i = 0; prev && prev->type == DLTC_TYPE_OBJECT && i < prev->len && !rc; i++) {
        const dltc_member *m = &prev->u.obj[i];
        if (!member(out, m->key))
            rc = dltc__object_set(a, out, m->key, m->klen, &m->val);
    }
    return rc;
}

/* ---- what the resource function sees ---- */

const dltc_value *dltc_incremental_last_value(dltc_incremental *inc)
{
    if (!inc)
        return NULL;
    if (inc->stateless)
        return ival_get(&inc->initial);
    const ival *l = state_last(inc);
    if (!inc->lag_on || !l->set)
        return ival_get(l);
    if (apply_lag(inc, &l->v, &inc->view)) {
        dltc_error_clear();
        return ival_get(l);
    }
    return ival_get(&inc->view);
}

const dltc_value *dltc_incremental_start_value(dltc_incremental *inc)
{
    return inc ? ival_get(&inc->start) : NULL;
}

const dltc_value *dltc_incremental_initial_value(dltc_incremental *inc)
{
    return inc ? ival_get(&inc->initial) : NULL;
}

const dltc_value *dltc_incremental_end_value(dltc_incremental *inc)
{
    return inc ? inc->d->end : NULL;
}

int dltc_incremental_start_out_of_range(dltc_incremental *inc)
{
    return inc ? inc->start_oor : 0;
}

int dltc_incremental_end_out_of_range(dltc_incremental *inc)
{
    return inc ? inc->end_oor : 0;
}
