/*
 * The jsonl scanner: our writer's rows, one object per line, go from bytes to binary COPY
 * fields without a value tree: keys matched to columns through the hint cache, strings
 * unescaped straight into the COPY buffer, integers, doubles (as the reader computes them),
 * booleans, and dates and timestamps in their usual forms read in place. Other values (json
 * columns, numbers into text, …) are made into the value the reader would have made and go
 * through dltc__pg_encode_binary. A line holding anything the scanner does not take exactly
 * as the reader would (whitespace at its start, escapes in keys, duplicate keys, \u0000, a
 * refused value, malformed JSON, …) is left to the general path (load_jsonl.c), which then
 * gives the same rows and the same errors. Each line the scanner reads ends in '\n' inside
 * the buffer, followed by LINE_PAD more bytes: every scan stops at that '\n' (it is invalid
 * inside every token), and the 16-byte loads of the string scan stay inside the padding.
 */
#include "load/destinations/postgres/pg_int.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/strmap.h"
#include "common/time.h"
#include "formats/json.h"
#include "formats/json_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define LINE_PAD 64 /* >= the 16 bytes of a vector load, >= the 64 bytes of key_is */
#define LINE_MAX_BYTES (256u << 20) /* the reader's max_item_bytes */
#define DIGIT(ch) ((unsigned)((ch) - '0') < 10u)
#define SKIP_SP(p)                                          \
    do {                                                    \
        while (*(p) == ' ' || *(p) == '\t' || *(p) == '\r') \
            (p)++;                                          \
    } while (0)

enum { SCAN_OK = 0, SCAN_BAIL = 1 };

typedef struct {
    int fd;
    char *buf;            /* cap + LINE_PAD bytes */
    size_t cap, len, pos; /* buffered bytes, start of the next line */
    size_t lim;           /* just after the last '\n' buffered: whole lines in [pos, lim) */
    uint64_t base;        /* file offset of buf[0] */
    int eof;
} line_reader;

static int lines_open(line_reader *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    do
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
    while (r->fd < 0 && errno == EINTR);
    if (r->fd < 0) /* as the JSON reader says it */
        return dltc__error_set(errno == ENOENT ? DLTC_ENOTFOUND : DLTC_EIO, "%s: %s", path,
                               strerror(errno));
    r->cap = COPY_BLOCK;
    r->buf = dltc__calloc(1, r->cap + LINE_PAD);
    if (!r->buf) {
        close(r->fd);
        r->fd = -1;
        return dltc__error_oom();
    }
    return 0;
}

static void lines_close(line_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    dltc__free(r->buf);
    r->buf = NULL;
}

/* Whole lines at buf[pos..lim), each ending in '\n' (the file's last line gets one written
 * after the data): 1, 0 at the end of the file, 2 for a line longer than the JSON reader's
 * item limit or a read error (the reader then takes over and says what it finds), or
 * DLTC_ENOMEM. */
static int lines_fill(line_reader *r)
{
    while (r->pos >= r->lim) {
        if (r->eof) {
            if (r->pos >= r->len)
                return 0;
            r->buf[r->len++] = '\n'; /* in the padding at worst */
            r->lim = r->len;
            return 1;
        }
        if (r->pos) {
            memmove(r->buf, r->buf + r->pos, r->len - r->pos);
            r->len -= r->pos;
            r->base += r->pos;
            r->pos = r->lim = 0;
        }
        if (r->len >= LINE_MAX_BYTES)
            return 2;
        if (r->len == r->cap) {
            size_t ncap = r->cap * 2;
            char *nb = dltc__realloc(r->buf, ncap + LINE_PAD);
            if (!nb)
                return dltc__error_oom();
            memset(nb + r->cap, 0, ncap + LINE_PAD - r->cap);
            r->buf = nb;
            r->cap = ncap;
        }
        ssize_t n;
        do
            n = read(r->fd, r->buf + r->len, r->cap - r->len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return 2;
        if (n == 0)
            r->eof = 1;
        char *nl = n > 0 ? memrchr(r->buf + r->len, '\n', (size_t)n) : NULL;
        r->len += (size_t)n;
        if (nl)
            r->lim = (size_t)(nl - r->buf) + 1;
    }
    return 1;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = dltc__hex_digit((char)p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 0;
}

enum { STR_ESC = 1, STR_UTF8 = 2 };

/* The string whose text starts at s: *close = its closing quote, *flags what it holds.
 * -1 for what the reader refuses (bad escapes, lone surrogates, control characters; invalid
 * UTF-8 is for the caller to check with STR_UTF8) and for \u0000, which text cannot hold. */
static int scan_str(const unsigned char *s, const unsigned char **close, int *flags)
{
    const unsigned char *p = s;
    int f = 0;
    for (;;) {
        p = dltc__json_scan_plain(p);
        unsigned ch = *p;
        if (ch == '"')
            break;
        if (ch >= 0x80) {
            f |= STR_UTF8;
            p++;
            continue;
        }
        if (ch != '\\')
            return -1; /* a control character: the line's '\n' at the latest */
        f |= STR_ESC;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            continue;
        case 'u': {
            unsigned cp = 0, lo = 0;
            if (hex4(p + 2, &cp) || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                p += 12;
            } else {
                p += 6;
            }
            continue;
        }
        default:
            return -1;
        }
    }
    if ((f & STR_UTF8) && dltc__utf8_check((const char *)s, (size_t)(p - s)) != (size_t)(p - s))
        return -1;
    *close = p;
    *flags = f;
    return 0;
}

static const double k_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The number at p as the reader makes it (parse_number of formats/json_reader.c): INT (with
 * `lex`, except for "-0"), BIGINT (u.s = the text, not NUL-terminated) or DOUBLE (the same
 * correctly rounded value, `lex` = the text). The byte after it, or NULL for what the reader
 * refuses, and for a double text of 128 bytes or more (left to the general path). */
static const unsigned char *scan_number(const unsigned char *p, dltc_value *v)
{
    const unsigned char *start = p;
    int neg = *p == '-';
    p += neg;
    uint64_t m = 0;
    int nd = 0, inexact = 0;
    long exp10 = 0;
    if (*p == '0') {
        if (DIGIT(*++p))
            return NULL;
    } else if (DIGIT(*p)) {
        do {
            unsigned d = (unsigned)(*p - '0');
            if (nd < 19) {
                m = m * 10 + d;
                nd++;
            } else {
                exp10++;
                inexact |= d != 0;
            }
            p++;
        } while (DIGIT(*p));
    } else {
        return NULL;
    }
    size_t len;
    if (*p != '.' && (*p | 0x20) != 'e') {
        len = (size_t)(p - start);
        size_t digits = len - (size_t)neg;
        if (digits <= 18 || (digits == 19 && (m <= (uint64_t)INT64_MAX ||
                                              (neg && m == (uint64_t)INT64_MAX + 1)))) {
            dltc__value_set_type(v, DLTC_TYPE_INT);
            v->u.i = neg ? (int64_t)(0 - m) : (int64_t)m;
            if (m || !neg) {
                v->lex = (const char *)start;
                v->len = (uint32_t)len;
            }
        } else {
            dltc__value_set_type(v, DLTC_TYPE_BIGINT);
            v->u.s = (const char *)start;
            v->len = (uint32_t)len;
        }
        return p;
    }
    if (*p == '.') {
        if (!DIGIT(*++p))
            return NULL;
        do {
            unsigned d = (unsigned)(*p - '0');
            if (nd < 19) {
                if (m || d) {
                    m = m * 10 + d;
                    nd++;
                }
                exp10--;
            } else {
                inexact |= d != 0;
            }
            p++;
        } while (DIGIT(*p));
    }
    if ((*p | 0x20) == 'e') {
        p++;
        int eneg = *p == '-';
        if (*p == '-' || *p == '+')
            p++;
        if (!DIGIT(*p))
            return NULL;
        long x = 0;
        do {
            if (x < 100000)
                x = x * 10 + (*p - '0');
            p++;
        } while (DIGIT(*p));
        exp10 += eneg ? -x : x;
    }
    len = (size_t)(p - start);
    double d;
#if FLT_EVAL_METHOD == 0
    if (m == 0) {
        d = 0.0;
    } else if (!inexact && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        d = exp10 < 0 ? (double)m / k_pow10[-exp10] : (double)m * k_pow10[exp10];
    } else
#endif
    {
        char tmp[128];
        if (len >= sizeof(tmp))
            return NULL;
        memcpy(tmp, start, len);
        tmp[len] = '\0';
        d = fabs(dltc__json_strtod(tmp, NULL));
    }
    if (isinf(d))
        return NULL;
    dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
    v->u.d = neg ? -d : d;
    v->lex = (const char *)start;
    v->len = (uint32_t)len;
    return p;
}

static inline int two_digits(const char *s)
{
    return DIGIT(s[0]) && DIGIT(s[1]) ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

static int month_days(int y, int m)
{
    static const int k[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : k[m - 1];
}

/* "YYYY-MM-DD" (*is_date = 1, *val = days since the Unix epoch) or
 * "YYYY-MM-DD(T| )HH:MM:SS[(.|,)digits][Z|±HH:MM]" (µs since the Unix epoch in UTC), valid
 * dates and times only: what our writer emits. dltc__iso_parse reads these forms to the
 * same values; -1 for everything else, which it then decides on. */
static int quick_iso(const char *s, size_t len, int *is_date, int64_t *val)
{
    if (len < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y1 = two_digits(s), y2 = two_digits(s + 2), mo = two_digits(s + 5),
        d = two_digits(s + 8);
    if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || y1 * 100 + y2 < 1 ||
        d > month_days(y1 * 100 + y2, mo))
        return -1;
    int64_t days = dltc__days_from_civil(y1 * 100 + y2, (unsigned)mo, (unsigned)d);
    if (len == 10) {
        *is_date = 1;
        *val = days;
        return 0;
    }
    if (len < 19 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        return -1;
    int h = two_digits(s + 11), mi = two_digits(s + 14), se = two_digits(s + 17);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
        return -1;
    size_t i = 19;
    int64_t usec = 0;
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        int k = 0;
        for (i++; i < len && DIGIT(s[i]); i++) {
            if (k < 6) { /* microseconds: further digits are dropped */
                usec = usec * 10 + (s[i] - '0');
                k++;
            }
        }
        if (k == 0)
            return -1;
        for (; k < 6; k++)
            usec *= 10;
    }
    int64_t shift = 0;
    if (i + 1 == len && s[i] == 'Z') {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = two_digits(s + i + 1), om = two_digits(s + i + 4);
        if (oh < 0 || om < 0 || oh * 60 + om >= 24 * 60)
            return -1;
        shift = (s[i] == '+' ? 1 : -1) * (int64_t)(oh * 60 + om) * 60000000LL;
        i += 6;
    }
    if (i != len)
        return -1;
    int64_t us = days * 86400000000LL + ((int64_t)h * 3600 + mi * 60 + se) * 1000000 + usec -
                 shift;
    if (us < -62135596800000000LL || us >= 253402300800000000LL) /* as dltc__iso_parse */
        return -1;
    *is_date = 0;
    *val = us;
    return 0;
}

/* Just after the object or array that starts at p (a bracket scan that knows strings), or
 * NULL when the line ends first. dltc__json_parse checks the span. */
static const unsigned char *span_end(const unsigned char *p)
{
    size_t depth = 0;
    for (;;) {
        unsigned ch = *p++;
        if (ch == '"') {
            while ((ch = *p++) != '"') {
                if (ch < 0x20)
                    return NULL;
                if (ch == '\\' && *p++ < 0x20)
                    return NULL;
            }
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0)
                return p;
        } else if (ch == '\n') {
            return NULL;
        }
    }
}

/* Does the key text at p start with kt[0..n) (a plain column name and its closing quote)?
 * Whole 8-byte words are read: n <= 64, and the padding after the line covers them. */
static inline int key_is(const unsigned char *p, const char *kt, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (size_t i = 0; i < n; i += 8) {
        uint64_t a, b;
        memcpy(&a, p + i, 8);
        memcpy(&b, kt + i, 8);
        uint64_t x = a ^ b;
        if (n - i < 8)
            x &= ~0ULL >> (64 - 8 * (n - i));
        if (x)
            return 0;
    }
    return 1;
#else
    return memcmp(p, kt, n) == 0;
#endif
}

/* A string without escapes and non-ASCII bytes (the usual) as a text field, copied 16 bytes
 * at a time while it is scanned: 0 (*close = its closing quote), 1 for any other string
 * (nothing written), or an error. */
static int put_clean_text(dltc_buf *b, const unsigned char *s, const unsigned char **close)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"');
    const __m128i bs = _mm_set1_epi8('\\');
    const __m128i sp = _mm_set1_epi8(0x20);
    for (size_t n = 0;; n += 16) {
        if (b->cap - b->len <= 4 + n + 16 && dltc__buf_reserve(b, 4 + n + 16))
            return dltc__error_oom();
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + n));
        _mm_storeu_si128((__m128i *)(void *)(b->data + b->len + 4 + n), v);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                 _mm_cmplt_epi8(v, sp));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) {
            n += (size_t)__builtin_ctz(mask);
            if (s[n] != '"')
                return 1;
            dltc__pg_put_be32(b->data + b->len, (uint32_t)n);
            b->len += 4 + n;
            *close = s + n;
            return 0;
        }
    }
#else
    (void)b, (void)s, (void)close;
    return 1;
#endif
}

static inline int put_null(dltc_buf *b)
{
    if (dltc__pg_room(b, 4))
        return dltc__error_oom();
    dltc__pg_put_be32(b->data + b->len, 0xFFFFFFFFu);
    b->len += 4;
    return 0;
}

/* The value at *pp as column c's binary field (*pp moves past it): 0, SCAN_BAIL, or an
 * error. */
static int scan_value(jsonl_job *j, size_t c, const unsigned char **pp)
{
    encoder *e = &j->e;
    dltc_buf *b = &j->s.out;
    const unsigned char *p = *pp;
    pkind k = e->kind[c];
    dltc_value v;
    char *o;
    switch (*p) {
    case '"': {
        const unsigned char *s = p + 1, *close = s;
        int f, rc;
        if (k == PK_TEXT && (rc = put_clean_text(b, s, &close)) <= 0) {
            *pp = close + 1;
            return rc;
        }
        if (scan_str(s, &close, &f))
            return SCAN_BAIL;
        size_t raw = (size_t)(close - s), n;
        *pp = close + 1;
        if (k == PK_TEXT) {
            if (dltc__pg_room(b, 4 + raw))
                return dltc__error_oom();
            o = b->data + b->len;
            if (f & STR_ESC) {
                n = dltc__json_unescape(o + 4, s, close);
            } else {
                memcpy(o + 4, s, raw);
                n = raw;
            }
            dltc__pg_put_be32(o, (uint32_t)n);
            b->len += 4 + n;
            return 0;
        }
        int is_date;
        int64_t x;
        if (!(f & STR_ESC) && (k == PK_DATE || k == PK_TIMESTAMP || k == PK_TIMESTAMPTZ) &&
            quick_iso((const char *)s, raw, &is_date, &x) == 0 && (k != PK_DATE || is_date)) {
            if (dltc__pg_room(b, 12))
                return dltc__error_oom();
            o = b->data + b->len;
            if (k == PK_DATE) {
                dltc__pg_put_be32(o, 4);
                dltc__pg_put_be32(o + 4, (uint32_t)(int32_t)(x - PG_EPOCH_DAYS));
                b->len += 8;
            } else {
                dltc__pg_put_be32(o, 8);
                dltc__pg_put_be64(o + 4,
                                  (uint64_t)((is_date ? x * 86400000000LL : x) - PG_EPOCH_US));
                b->len += 12;
            }
            return 0;
        }
        /* other kinds: the string value the reader would have made */
        dltc__buf_clear(&j->tmp);
        if (dltc__buf_reserve(&j->tmp, raw))
            return dltc__error_oom();
        if (f & STR_ESC) {
            n = dltc__json_unescape(j->tmp.data, s, close);
        } else {
            memcpy(j->tmp.data, s, raw);
            n = raw;
        }
        j->tmp.data[n] = '\0';
        dltc__value_set_type(&v, DLTC_TYPE_STRING);
        v.u.s = j->tmp.data;
        v.len = (uint32_t)n;
        v.flags = (f & STR_ESC) ? DLTC_VF_ESCAPED : DLTC_VF_CLEAN;
        break;
    }
    case 'n':
        if (memcmp(p, "null", 4) != 0)
            return SCAN_BAIL;
        *pp = p + 4;
        return put_null(b);
    case 't':
    case 'f': {
        int yes = *p == 't';
        if (yes ? memcmp(p, "true", 4) != 0 : memcmp(p, "false", 5) != 0)
            return SCAN_BAIL;
        *pp = p + (yes ? 4 : 5);
        if (k == PK_BOOL) {
            if (dltc__pg_room(b, 5))
                return dltc__error_oom();
            o = b->data + b->len;
            dltc__pg_put_be32(o, 1);
            o[4] = (char)yes;
            b->len += 5;
            return 0;
        }
        dltc__value_set_type(&v, DLTC_TYPE_BOOL);
        v.u.i = yes;
        break;
    }
    case '{':
    case '[': {
        /* json columns: the span parsed alone (the row is one level of nesting) */
        const unsigned char *end = span_end(p);
        dltc_value *nested;
        if (!end)
            return SCAN_BAIL;
        dltc__arena_reset(&j->arena);
        if (dltc__json_parse(&j->arena, (const char *)p, (size_t)(end - p), 511, &nested, NULL))
            return SCAN_BAIL;
        *pp = end;
        v = *nested;
        break;
    }
    default: {
        const unsigned char *end = scan_number(p, &v);
        if (!end)
            return SCAN_BAIL;
        *pp = end;
        if (v.type == DLTC_TYPE_INT && (k == PK_INT2 || k == PK_INT4 || k == PK_INT8)) {
            int64_t x = v.u.i;
            if ((k == PK_INT2 && (x < INT16_MIN || x > INT16_MAX)) ||
                (k == PK_INT4 && (x < INT32_MIN || x > INT32_MAX)))
                return SCAN_BAIL;
            if (dltc__pg_room(b, 12))
                return dltc__error_oom();
            o = b->data + b->len;
            if (k == PK_INT2) {
                dltc__pg_put_be32(o, 2);
                dltc__pg_put_be16(o + 4, (uint16_t)x);
                b->len += 6;
            } else if (k == PK_INT4) {
                dltc__pg_put_be32(o, 4);
                dltc__pg_put_be32(o + 4, (uint32_t)x);
                b->len += 8;
            } else {
                dltc__pg_put_be32(o, 8);
                dltc__pg_put_be64(o + 4, (uint64_t)x);
                b->len += 12;
            }
            return 0;
        }
        if ((v.type == DLTC_TYPE_INT || v.type == DLTC_TYPE_DOUBLE) &&
            (k == PK_FLOAT4 || k == PK_FLOAT8)) {
            double x = v.type == DLTC_TYPE_DOUBLE ? v.u.d : (double)v.u.i;
            if (dltc__pg_room(b, 12))
                return dltc__error_oom();
            o = b->data + b->len;
            if (k == PK_FLOAT4) {
                float fl = (float)x;
                uint32_t u;
                memcpy(&u, &fl, 4);
                dltc__pg_put_be32(o, 4);
                dltc__pg_put_be32(o + 4, u);
                b->len += 8;
            } else {
                uint64_t u;
                memcpy(&u, &x, 8);
                dltc__pg_put_be32(o, 8);
                dltc__pg_put_be64(o + 4, u);
                b->len += 12;
            }
            return 0;
        }
        if (v.type == DLTC_TYPE_BIGINT) { /* the reader's copy is NUL-terminated */
            dltc__buf_clear(&j->tmp);
            if (dltc__buf_put(&j->tmp, v.u.s, v.len))
                return dltc__error_oom();
            v.u.s = j->tmp.data;
        }
        break;
    }
    }
    int rc = dltc__pg_encode_binary(e, b, c, &v);
    if (rc == DLTC_ENOMEM)
        return dltc__error_oom();
    return rc ? SCAN_BAIL : 0;
}

/* The row's fields into column order, NULL for the missing columns. */
static int finish_row(jsonl_job *j, size_t row, int inorder, size_t next)
{
    encoder *e = &j->e;
    dltc_buf *b = &j->s.out;
    if (inorder) { /* the usual case: only a tail of columns may be missing */
        for (size_t c = next; c < e->ncols; c++)
            if (put_null(b))
                return DLTC_ENOMEM;
        return 0;
    }
    size_t body = row + 2;
    dltc__buf_clear(&j->reord);
    if (dltc__buf_put(&j->reord, b->data + body, b->len - body) ||
        dltc__pg_room(b, j->reord.len + 4 * e->ncols))
        return dltc__error_oom();
    b->len = body;
    for (size_t c = 0; c < e->ncols; c++) {
        if (j->seen[c] != j->stamp) {
            dltc__pg_put_be32(b->data + b->len, 0xFFFFFFFFu);
            b->len += 4;
        } else {
            memcpy(b->data + b->len, j->reord.data + j->off[c] - 2, j->flen[c]);
            b->len += j->flen[c];
        }
    }
    return 0;
}

/* One line that starts with '{' straight into a binary COPY row: SCAN_OK (*end = the line's
 * '\n'), SCAN_BAIL (nothing written; the general path reads the line), or an error. */
static int scan_row(jsonl_job *j, const unsigned char *p, const unsigned char **end)
{
    encoder *e = &j->e;
    dltc_buf *b = &j->s.out;
    size_t row = b->len, m = 0, next = 0;
    int inorder = 1, rc;
    j->stamp++;
    if (dltc__pg_room(b, 2))
        return dltc__error_oom();
    dltc__pg_put_be16(b->data + row, (uint16_t)e->ncols);
    b->len += 2;
    p++;
    SKIP_SP(p);
    if (*p != '}') {
        for (;; m++) {
            if (*p != '"')
                goto bail;
            const unsigned char *key = p + 1, *kend;
            size_t c = m < j->nhint ? j->hint[m] : SIZE_MAX;
            if (c != SIZE_MAX && j->plain[c] && key_is(key, j->kt + c * KEY_SLOT, e->nlen[c] + 1)) {
                kend = key + e->nlen[c]; /* the column of the hint */
            } else {
                int f;
                if (scan_str(key, &kend, &f) || (f & STR_ESC))
                    goto bail;
                size_t klen = dltc__pg_ident_len((const char *)key, (size_t)(kend - key));
                if ((rc = dltc__pg_jsonl_grow_hint(j, m + 1)) != 0)
                    return rc;
                c = j->hint[m];
                if (c == SIZE_MAX || e->nlen[c] != klen || memcmp(e->name[c], key, klen) != 0) {
                    if (!dltc__strmap_get(&j->bykey, (const char *)key, klen, &c))
                        c = SIZE_MAX;
                    else
                        j->hint[m] = c;
                }
            }
            p = kend + 1;
            SKIP_SP(p);
            if (*p++ != ':')
                goto bail;
            SKIP_SP(p);
            if (c == SIZE_MAX) { /* a key the table lacks: only null is fine */
                if (memcmp(p, "null", 4) != 0)
                    goto bail;
                p += 4;
                goto member_end;
            }
            if (j->seen[c] == j->stamp) /* a duplicate key */
                goto bail;
            j->seen[c] = j->stamp;
            inorder &= c == next;
            next = c + 1;
            j->off[c] = b->len - row;
            if ((rc = scan_value(j, c, &p)) != 0) {
                if (rc < 0)
                    return rc;
                goto bail;
            }
            j->flen[c] = b->len - row - j->off[c];
        member_end:
            SKIP_SP(p);
            if (*p == '}')
                break;
            if (*p++ != ',')
                goto bail;
            SKIP_SP(p);
        }
    }
    p++;
    SKIP_SP(p);
    if (*p != '\n')
        goto bail;
    *end = p;
    return finish_row(j, row, inorder, next);
bail:
    b->len = row;
    return SCAN_BAIL;
}

/* The file line by line: the scanner, else our JSON reader for that line (dltc__json_parse
 * gives the item the streaming reader would). What a line alone cannot tell (a line that does
 * not parse may be part of an item over several lines; a top-level array; a byte order mark
 * past the start; an overlong line) hands the rest of the file to the streaming reader,
 * which then reads it as it always did: the same rows and errors as without the scanner. */
static int load_lines(jsonl_job *j, line_reader *r)
{
    uint64_t line = 0;
    int rc = 0, started = 0;
    for (;;) {
        int got = lines_fill(r);
        if (got <= 0)
            return got;
        line++;
        if (got == 2)
            break;
        const unsigned char *p = (const unsigned char *)r->buf + r->pos, *end = p;
        uint64_t off = r->base + r->pos;
        j->e.line = line;
        if (*p == '{') {
            rc = scan_row(j, p, &end);
            if (rc == SCAN_OK) {
                j->sent++;
                r->pos = (size_t)(end - (const unsigned char *)r->buf) + 1;
                if ((rc = dltc__pg_copy_maybe_flush(&j->s)) != 0)
                    return rc;
                started = 1;
                continue;
            }
            if (rc < 0)
                return rc;
        }
        end = memchr(p, '\n', r->lim - r->pos);
        size_t len = (size_t)(end - p);
        r->pos += len + 1;
        size_t i = off == 0 && len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i == len)
            continue;
        if ((!started && p[i] == '[') || (off != 0 && p[0] == 0xEF))
            break;
        started = 1;
        dltc_value *item;
        dltc__arena_reset(&j->arena);
        rc = dltc__json_parse(&j->arena, (const char *)p, len, 0, &item, NULL);
        if (rc == DLTC_EPARSE || rc == DLTC_ELIMIT)
            break;
        if (!rc)
            rc = dltc__pg_jsonl_map_item(j, item);
        if (rc)
            return rc;
    }
    /* the streaming reader from this line on */
    lines_close(r);
    dltc_json_reader *rd = NULL;
    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    rc = dltc__json_reader_open_file(&rd, j->path, &ro);
    if (!rc)
        rc = dltc__pg_jsonl_load_items(j, rd, line);
    dltc__json_reader_free(rd);
    return rc;
}

/* The rows of jsonl file `path` into j's binary COPY: the scanner line by line, our JSON
 * reader from where it hands over. */
int dltc__pg_jsonl_scan_file(jsonl_job *j, const char *path)
{
    line_reader lr = {.fd = -1};
    int rc = lines_open(&lr, path);
    if (!rc)
        rc = load_lines(j, &lr);
    lines_close(&lr);
    return rc;
}
