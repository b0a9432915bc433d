/* The JSON writer: compact JSON of any dltc_value, as Python's json.dumps(ensure_ascii=False)
 * with dlt's encodings of the non-JSON types (ISO strings for times, bare numbers for
 * decimals and big integers, base64 for bytes). Nesting is walked with an explicit stack. */
#include "formats/json.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The escape letter of each byte that needs one ('u' for \u00XX), 0 otherwise. */
static const char esc_tab[256] = {
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', [0x08] = 'b', [0x09] = 't', [0x0a] = 'n', [0x0b] = 'u',
    [0x0c] = 'f', [0x0d] = 'r', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"', ['\\'] = '\\'};

/* Bytes of s[0..len) before the first one that needs an escape. */
static inline size_t plain_run(const unsigned char *s, size_t len)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"');
    const __m128i bs = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1f);
    while (len - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* v <= 0x1f (unsigned) <=> max(v, 0x1f) == 0x1f */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                 _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    while (i < len && !esc_tab[s[i]])
        i++;
    return i;
}

int dltc__json_write_string(dltc_buf *b, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str, *e = s + len;
    int rc = dltc__buf_reserve(b, len + 2);
    if (rc)
        return rc;
    b->data[b->len++] = '"';
    for (;;) {
        size_t n = plain_run(s, (size_t)(e - s));
        memcpy(b->data + b->len, s, n);
        b->len += n;
        s += n;
        if (s == e)
            break;
        /* room for the longest escape and the rest of the string */
        if ((rc = dltc__buf_reserve(b, 6 + (size_t)(e - s) + 1)) != 0)
            return rc;
        char *o = b->data + b->len;
        char letter = esc_tab[*s];
        o[0] = '\\';
        if (letter == 'u') {
            static const char hex[] = "0123456789abcdef";
            o[1] = 'u';
            o[2] = '0';
            o[3] = '0';
            o[4] = hex[*s >> 4];
            o[5] = hex[*s & 15];
            b->len += 6;
        } else {
            o[1] = letter;
            b->len += 2;
        }
        s++;
    }
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return 0;
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* Decimal text of i into out (>= 21 bytes), NUL-terminated; returns its length. */
static size_t format_int(char *out, int64_t i)
{
    char tmp[24];
    char *e = tmp + sizeof(tmp), *p = e;
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * u, 2);
    } else {
        *--p = (char)('0' + u);
    }
    size_t k = 0;
    if (i < 0)
        out[k++] = '-';
    memcpy(out + k, p, (size_t)(e - p));
    k += (size_t)(e - p);
    out[k] = '\0';
    return k;
}

int dltc__json_write_int(dltc_buf *b, int64_t i)
{
    char tmp[24];
    return dltc__buf_put(b, tmp, format_int(tmp, i));
}

/* The digits (no trailing zeros) and decimal exponent of d > 0 with `prec` significant
 * digits, written "d.ddde<exp>" into clean (C locale whatever the process locale). */
static int sig_digits(double d, int prec, char *digits, int *ndigits, int *exp10, char *clean)
{
    char tmp[48];
    snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
    const char *p = tmp;
    int n = 0;
    while (*p && *p != 'e') {
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
        p++;
    }
    if (*p != 'e')
        return -1;
    int ex = 0, neg = 0;
    p++;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    while (*p >= '0' && *p <= '9')
        ex = ex * 10 + (*p++ - '0');
    ex = neg ? -ex : ex;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    *ndigits = n;
    *exp10 = ex;
    int k = 0;
    clean[k++] = digits[0];
    if (n > 1) {
        clean[k++] = '.';
        memcpy(clean + k, digits + 1, (size_t)n - 1);
        k += n - 1;
    }
    snprintf(clean + k, 16, "e%d", ex);
    return 0;
}

/* The common case without printf: d (> 0, not integral, 1e-4 <= d < 1e15) that is
 * exactly m / 10^k as strtod reads it, m < 10^15. m and 10^k are exact doubles and the
 * division rounds once, so m / 10^k == d means the text "m e-k" reads back to d; the first
 * k is the fewest digits, and with at most 15 of them the text is the only one that short
 * (DBL_DIG): what the printf path below finds. 0 when d is not like that. */
static size_t format_positional_fast(char *out, double d)
{
    static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    for (int k = 1; k <= 15; k++) {
        double x = d * p10[k];
        if (x >= 1e15)
            return 0;
        double m = nearbyint(x);
        if (m / p10[k] != d)
            continue;
        char digits[24];
        size_t n = format_int(digits, (int64_t)m), j = 0;
        if (n > (size_t)k) {
            memcpy(out, digits, n - (size_t)k);
            j = n - (size_t)k;
            out[j++] = '.';
            memcpy(out + j, digits + n - (size_t)k, (size_t)k);
            j += (size_t)k;
        } else {
            out[j++] = '0';
            out[j++] = '.';
            for (size_t z = n; z < (size_t)k; z++)
                out[j++] = '0';
            memcpy(out + j, digits, n);
            j += n;
        }
        out[j] = '\0';
        return j;
    }
    return 0;
}

size_t dltc__format_double(char *out, double d)
{
    if (isnan(d)) {
        memcpy(out, "nan", 4);
        return 3;
    }
    if (isinf(d)) {
        const char *t = d < 0 ? "-inf" : "inf";
        size_t n = strlen(t);
        memcpy(out, t, n + 1);
        return n;
    }
    size_t k = 0;
    if (signbit(d)) {
        out[k++] = '-';
        d = -d;
    }
    if (d == 0) {
        memcpy(out + k, "0.0", 4);
        return k + 3;
    }
    if (d < 1e16 && d == floor(d)) {
        /* integral: exact as an int64, Python writes it with ".0" */
        k += format_int(out + k, (int64_t)d);
        memcpy(out + k, ".0", 3);
        return k + 2;
    }
    if (d >= 1e-4 && d < 1e15) {
        size_t n = format_positional_fast(out + k, d);
        if (n)
            return k + n;
    }
    /* shortest digits that read back to d: 15 digits always round-trip a normal double when
     * any shorter string does (DBL_DIG), subnormals have fewer digits of precision */
    char digits[24], clean[48];
    int n = 0, ex = 0;
    int first = d < DBL_MIN ? 1 : 15;
    for (int prec = first; prec <= 17; prec++) {
        if (sig_digits(d, prec, digits, &n, &ex, clean) != 0)
            break;
        if (prec == 17 || dltc__json_strtod(clean, NULL) == d)
            break;
    }
    /* Python repr layout: positional for 1e-4 <= d < 1e16, else scientific */
    if (ex >= -4 && ex < 16) {
        if (ex >= 0) {
            for (int i = 0; i <= ex; i++)
                out[k++] = i < n ? digits[i] : '0';
            out[k++] = '.';
            if (n > ex + 1) {
                memcpy(out + k, digits + ex + 1, (size_t)(n - ex - 1));
                k += (size_t)(n - ex - 1);
            } else {
                out[k++] = '0';
            }
        } else {
            out[k++] = '0';
            out[k++] = '.';
            for (int i = 0; i < -ex - 1; i++)
                out[k++] = '0';
            memcpy(out + k, digits, (size_t)n);
            k += (size_t)n;
        }
        out[k] = '\0';
        return k;
    }
    out[k++] = digits[0];
    if (n > 1) {
        out[k++] = '.';
        memcpy(out + k, digits + 1, (size_t)n - 1);
        k += (size_t)n - 1;
    }
    out[k++] = 'e';
    out[k++] = ex < 0 ? '-' : '+';
    int ae = ex < 0 ? -ex : ex;
    if (ae >= 100)
        out[k++] = (char)('0' + ae / 100);
    out[k++] = (char)('0' + ae / 10 % 10);
    out[k++] = (char)('0' + ae % 10);
    out[k] = '\0';
    return k;
}

int dltc__json_write_double(dltc_buf *b, double d)
{
    if (!isfinite(d))
        return dltc__buf_put(b, "null", 4);
    char tmp[40];
    return dltc__buf_put(b, tmp, dltc__format_double(tmp, d));
}

/* A decimal as a JSON number: no '+', no leading zeros, a digit on both sides of '.'. */
static int write_decimal(dltc_buf *b, const char *s, size_t len)
{
    const char *e = s + len;
    int rc = dltc__buf_reserve(b, len + 2);
    if (rc)
        return rc;
    if (s < e && (*s == '-' || *s == '+')) {
        if (*s == '-')
            b->data[b->len++] = '-';
        s++;
    }
    while (s + 1 < e && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
        s++;
    const char *dot = memchr(s, '.', (size_t)(e - s));
    const char *int_end = dot ? dot : e;
    if (int_end == s)
        b->data[b->len++] = '0';
    memcpy(b->data + b->len, s, (size_t)(int_end - s));
    b->len += (size_t)(int_end - s);
    if (dot && dot + 1 < e) {
        memcpy(b->data + b->len, dot, (size_t)(e - dot));
        b->len += (size_t)(e - dot);
    }
    b->data[b->len] = '\0';
    return 0;
}

static int write_base64(dltc_buf *b, const char *data, size_t len)
{
    size_t n = 4 * ((len + 2) / 3);
    int rc = dltc__buf_reserve(b, n + 2);
    if (rc)
        return rc;
    b->data[b->len++] = '"';
    b->len += dltc__base64_encode((const uint8_t *)data, len, b->data + b->len, 1);
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return 0;
}

static int write_iso(dltc_buf *b, const char *s, size_t n)
{
    int rc = dltc__buf_reserve(b, n + 2);
    if (rc)
        return rc;
    b->data[b->len++] = '"';
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return 0;
}

/* Anything but a non-empty array or object. */
static int write_scalar(dltc_buf *b, const dltc_value *v)
{
    char tmp[DLTC_ISO_MAX > 40 ? DLTC_ISO_MAX : 40];
    switch (v->type) {
    case DLTC_TYPE_NULL:
        return dltc__buf_put(b, "null", 4);
    case DLTC_TYPE_BOOL:
        return v->u.i ? dltc__buf_put(b, "true", 4) : dltc__buf_put(b, "false", 5);
    case DLTC_TYPE_INT:
        if (v->lex) /* the reader's text: canonical digits */
            return dltc__buf_put(b, v->lex, v->len);
        return dltc__json_write_int(b, v->u.i);
    case DLTC_TYPE_DOUBLE:
        if (v->lex)
            return dltc__buf_put(b, v->lex, v->len);
        return dltc__json_write_double(b, v->u.d);
    case DLTC_TYPE_STRING:
        if (v->flags & DLTC_VF_CLEAN) { /* nothing to escape: copy between quotes */
            int rc = dltc__buf_reserve(b, (size_t)v->len + 2);
            if (rc)
                return rc;
            char *o = b->data + b->len;
            o[0] = '"';
            memcpy(o + 1, v->u.s, v->len);
            o[v->len + 1] = '"';
            b->len += (size_t)v->len + 2;
            b->data[b->len] = '\0';
            return 0;
        }
        return dltc__json_write_string(b, v->u.s, v->len);
    case DLTC_TYPE_BIGINT:
        return dltc__buf_put(b, v->u.s, v->len);
    case DLTC_TYPE_DECIMAL:
        return write_decimal(b, v->u.s, v->len);
    case DLTC_TYPE_BINARY:
        return write_base64(b, v->u.s, v->len);
    case DLTC_TYPE_TIMESTAMP: {
        size_t n = (v->flags & DLTC_VF_TZ) ? dltc__format_timestamp(tmp, v->u.i)
                                           : dltc__format_timestamp_naive(tmp, v->u.i);
        return write_iso(b, tmp, n);
    }
    case DLTC_TYPE_DATE:
        return write_iso(b, tmp, dltc__format_date(tmp, (int32_t)v->u.i));
    case DLTC_TYPE_TIME:
        return write_iso(b, tmp, dltc__format_time(tmp, v->u.i));
    case DLTC_TYPE_ARRAY:
        if (v->flags & DLTC_VF_DEFERRED) /* its text is still in the input: never write [] */
            return dltc__error_set(DLTC_EINVALID, "a deferred array cannot be written as JSON");
        return dltc__buf_put(b, "[]", 2);
    case DLTC_TYPE_OBJECT:
        return dltc__buf_put(b, "{}", 2);
    default:
        return dltc__error_set(DLTC_EINVALID, "cannot write a value of type %d as JSON",
                               (int)v->type);
    }
}

typedef struct {
    const dltc_value *v;
    uint32_t i; /* next item or member */
} wframe;

int dltc__json_write(dltc_buf *b, const dltc_value *v)
{
    if ((v->type != DLTC_TYPE_ARRAY && v->type != DLTC_TYPE_OBJECT) || v->len == 0)
        return write_scalar(b, v); /* most calls: one cell of a row */
    wframe local[32], *stk = local;
    size_t cap = 32, n = 0;
    int rc = 0;
    const dltc_value *cur = v;
    for (;;) {
        int container = cur->type == DLTC_TYPE_ARRAY || cur->type == DLTC_TYPE_OBJECT;
        if (container && cur->len > 0) {
            if (n == cap) {
                wframe *ns = dltc__malloc(2 * cap * sizeof(wframe));
                if (!ns) {
                    rc = dltc__error_oom();
                    break;
                }
                memcpy(ns, stk, n * sizeof(wframe));
                if (stk != local)
                    dltc__free(stk);
                stk = ns;
                cap *= 2;
            }
            stk[n].v = cur;
            stk[n].i = 0;
            n++;
            rc = dltc__buf_putc(b, cur->type == DLTC_TYPE_ARRAY ? '[' : '{');
        } else {
            rc = write_scalar(b, cur);
        }
        if (rc)
            break;
        /* the next value to write, closing finished containers */
        cur = NULL;
        while (n > 0 && !cur) {
            wframe *f = &stk[n - 1];
            int is_obj = f->v->type == DLTC_TYPE_OBJECT;
            if (f->i == f->v->len) {
                if ((rc = dltc__buf_putc(b, is_obj ? '}' : ']')) != 0)
                    break;
                n--;
                continue;
            }
            if (f->i > 0 && (rc = dltc__buf_putc(b, ',')) != 0)
                break;
            if (is_obj) {
                const dltc_member *m = &f->v->u.obj[f->i];
                if ((rc = dltc__json_write_string(b, m->key, m->klen)) != 0 ||
                    (rc = dltc__buf_putc(b, ':')) != 0)
                    break;
                cur = &m->val;
            } else {
                cur = &f->v->u.arr[f->i];
            }
            f->i++;
        }
        if (rc || !cur)
            break;
    }
    if (stk != local)
        dltc__free(stk);
    return rc;
}

/* the public entry point (dltc/value.h) */
int dltc_value_to_json(char **out, size_t *out_len, const dltc_value *value)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__json_write(&b, value);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    if (out_len)
        *out_len = b.len;
    *out = dltc__buf_detach(&b);
    return *out ? 0 : dltc__error_oom();
}
