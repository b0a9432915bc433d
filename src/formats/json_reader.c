/* The strict streaming JSON reader (RFC 8259).
 *
 * Input of every kind (file, pipe, memory) is read in chunks into one buffer that is
 * followed by PAD spare bytes and a NUL sentinel at its end. The parser never checks bounds
 * on its hot paths: a NUL is invalid everywhere in JSON text, so meeting one is either the
 * sentinel (end of the buffered data: read more, end of input, or the item size limit) or
 * an error. String scans load 16 bytes at a time; the padding makes that safe.
 *
 * Only the current item has to be in the buffer. An item that runs past the buffered data is
 * parsed again once more data is read (a cheap bracket scan first finds its end, so a large
 * item is parsed at most twice).
 *
 * The streaming reader parses in situ: a string without escapes points into the buffer, its
 * closing quote overwritten with the NUL, and number texts (`lex`) point into the buffer too.
 * Containers and decoded strings (those with escapes) go to the reader's own arena, reset for
 * every item so that the same warm memory serves again. An item therefore lives until the
 * next call, and the buffer must not move or be refilled while it does: a parse that needs
 * more data first puts the quotes back (restore_quotes), and an item whose following byte is
 * not buffered yet is parsed again as a copy (so the checks after it may read).
 * dltc__json_parse copies everything into the caller's arena, as its copy of the input is
 * freed.
 *
 * Lines are counted in whitespace only: a raw newline is invalid inside strings.
 * A UTF-8 byte order mark at the very start of the input is skipped; columns then count
 * bytes from after it. */
#include "formats/json.h"
#include "formats/json_scan.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAD 64             /* spare bytes after the data: the sentinel and 16-byte loads */
#define NEED_MORE 1        /* internal: the item runs past the buffered data */
#define SMALL_OBJECT 64    /* up to this many members, duplicates are found with a bit filter */

enum { END_MORE, END_EOF, END_LIMIT }; /* what the sentinel at `lim` stands for */

/* ---- character tables ---- */

static const uint8_t ws_tab[256] = {[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1};

/* hex digit value + 1; 0 for anything else */
static const uint8_t hex_tab[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
    ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

#define IS_DIGIT(ch) ((unsigned)((ch) - '0') < 10u)

/* ---- locale-independent strtod ---- */

static locale_t g_c_locale;
static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

double dltc__json_strtod(const char *s, char **end)
{
    pthread_once(&g_c_locale_once, c_locale_init);
    if (g_c_locale)
        return strtod_l(s, end, g_c_locale);
    return strtod(s, end);
}

/* ---- the parser ---- */

/* A deferred array of a big item (defer_bytes): where its text is, in the input and in the
 * source it is read again from. */
struct dltc_json_deferred {
    dltc_json_reader *owner;
    uint64_t start, end;               /* input offsets of its '[' and one past its ']' */
    uint64_t line, line_start;         /* at the '[' */
    uint64_t end_line, end_line_start; /* after the ']' */
    int64_t delta;                     /* source offset - input offset */
    int fd;                            /* the source: a file (or the spill file), or -1 */
    const char *mem;                   /* memory (fd -1), at source offset 0 */
    size_t cpos;                       /* its marker's position in the compact text */
    uint32_t depth;                    /* containers around its elements in the item */
    uint64_t root_line, root_col;      /* where the item it is in starts */
    int used;                          /* opened or parsed */
};
typedef struct dltc_json_deferred dltc_json_deferred;

/* In a big item's compact text a deferred array is 0x01 and its index in 8 hex digits: a
 * byte that JSON text cannot hold outside strings, checked against the recorded position. */
#define MARKER_LEN 9

typedef struct {
    uint32_t start; /* first element/member of this container on its stack */
    uint8_t is_obj;
} frame;

/* Stacks reused from item to item. */
typedef struct {
    dltc_value *vals;
    size_t nvals, cap_vals;
    dltc_member *mems;
    size_t nmems, cap_mems;
    frame *frames;
    size_t cap_frames;
    uint32_t *table; /* duplicate-key hash table of large objects */
    size_t cap_table;
} stacks;

typedef struct {
    const unsigned char *data; /* buffer start */
    const unsigned char *lim;  /* the sentinel NUL */
    const unsigned char *item; /* where the item started */
    uint64_t base;             /* input offset of data[0] */
    int lim_kind;              /* END_* */
    uint32_t max_depth;
    size_t max_item;
    uint64_t line, line_start;           /* current line, input offset of its first byte */
    uint64_t item_line, item_line_start; /* the same at the item start */
    dltc_arena *arena;
    stacks *st;
    int insitu; /* strings without escapes and number texts may point into the data */
    /* a big item's compact text: deferred arrays are markers, and input offsets are
     * base + (position in data) + shift, shift growing at each marker */
    uint64_t shift;
    uint32_t depth_base; /* a deferred array's elements: the nesting around them */
    const dltc_json_deferred *defs;
    size_t ndefs;
    size_t arena_limit; /* the caller's arena limit that `arena` stands in for, or 0 */
    /* error */
    int err_code;
    const unsigned char *err_at;
    const char *reason;
    char reason_buf[96];
} parser;

static int fail(parser *c, const unsigned char *at, int code, const char *reason)
{
    c->err_code = code;
    c->err_at = at;
    c->reason = reason;
    return code;
}

static int failf(parser *c, const unsigned char *at, int code, const char *fmt, ...)
    DLTC_PRINTF(4, 5);
static int failf(parser *c, const unsigned char *at, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason_buf, sizeof(c->reason_buf), fmt, ap);
    va_end(ap);
    return fail(c, at, code, c->reason_buf);
}

/* An arena failure: the arena's own message is kept as the reason. */
static int fail_alloc(parser *c, const unsigned char *at)
{
    const dltc_error *e = dltc_error_last();
    int code = e->code ? e->code : DLTC_ENOMEM;
    if (code == DLTC_ELIMIT && c->arena_limit) /* the limit the caller set */
        snprintf(c->reason_buf, sizeof(c->reason_buf), "arena limit of %zu bytes exceeded",
                 c->arena_limit);
    else
        snprintf(c->reason_buf, sizeof(c->reason_buf), "%s",
                 e->code ? e->message : "out of memory");
    return fail(c, at, code, c->reason_buf);
}

/* The parser met the sentinel while `what` was unfinished. */
static int at_end(parser *c, const unsigned char *at, const char *what)
{
    if (c->lim_kind == END_MORE)
        return NEED_MORE;
    if (c->lim_kind == END_LIMIT)
        return failf(c, c->item, DLTC_ELIMIT, "item larger than %zu bytes", c->max_item);
    return fail(c, at, DLTC_EPARSE, what);
}

/* A byte that cannot start or continue what is expected here. */
static int bad_char(parser *c, const unsigned char *p, const char *expected, const char *what)
{
    unsigned ch = *p;
    if (ch == 0 && p == c->lim)
        return at_end(c, p, what);
    if (ch == '/')
        return fail(c, p, DLTC_EPARSE, "comments are not allowed");
    if (ch == '\'')
        return fail(c, p, DLTC_EPARSE, "single-quoted strings are not allowed");
    if (expected)
        return fail(c, p, DLTC_EPARSE, expected);
    if (ch >= 0x20 && ch < 0x7f)
        return failf(c, p, DLTC_EPARSE, "unexpected character '%c'", (int)ch);
    return failf(c, p, DLTC_EPARSE, "unexpected byte 0x%02x", ch);
}

/* Allocation from the caller's arena: the bump of dltc__arena_alloc inlined for the common
 * case (room in the current block, no debug mode, within the limit). */
static inline void *take(parser *c, size_t n)
{
    dltc_arena *a = c->arena;
    size_t sz = (n + 15) & ~(size_t)15;
    if (!a->debug && (size_t)(a->end - a->ptr) >= sz && (!a->limit || a->used + sz <= a->limit)) {
        void *p = a->ptr;
        a->ptr += sz;
        a->used += sz;
        return p;
    }
    return dltc__arena_alloc(a, n);
}

/* The deferred array whose marker is at p, or NULL. */
static const dltc_json_deferred *marker_at(const parser *c, const unsigned char *p)
{
    size_t idx = 0;
    for (int i = 1; i < MARKER_LEN; i++) {
        unsigned h = hex_tab[p[i]];
        if (!h)
            return NULL;
        idx = idx * 16 + (h - 1);
    }
    if (idx >= c->ndefs || c->defs[idx].cpos != (size_t)(p - c->data))
        return NULL;
    return &c->defs[idx];
}

#define SKIP_WS(p)                                                                            \
    do {                                                                                      \
        while (ws_tab[*(p)]) {                                                                \
            if (*(p) == '\n') {                                                               \
                c->line++;                                                                    \
                c->line_start = c->base + (uint64_t)((p) + 1 - c->data) + c->shift;           \
            }                                                                                 \
            (p)++;                                                                            \
        }                                                                                     \
    } while (0)

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0 when invalid; *bad is
 * set to the byte that made it invalid. */
static inline int utf8_seq(const unsigned char *p, const unsigned char **bad)
{
    unsigned c0 = p[0];
    if (c0 < 0xC2 || c0 > 0xF4) {
        *bad = p;
        return 0;
    }
    if (c0 < 0xE0) {
        if ((p[1] & 0xC0) != 0x80) {
            *bad = p + 1;
            return 0;
        }
        return 2;
    }
    unsigned lo = 0x80, hi = 0xBF;
    if (c0 == 0xE0)
        lo = 0xA0;
    else if (c0 == 0xED)
        hi = 0x9F; /* no UTF-16 surrogates */
    else if (c0 == 0xF0)
        lo = 0x90;
    else if (c0 == 0xF4)
        hi = 0x8F; /* nothing above U+10FFFF */
    if (p[1] < lo || p[1] > hi) {
        *bad = p + 1;
        return 0;
    }
    if ((p[2] & 0xC0) != 0x80) {
        *bad = p + 2;
        return 0;
    }
    if (c0 < 0xF0)
        return 3;
    if ((p[3] & 0xC0) != 0x80) {
        *bad = p + 3;
        return 0;
    }
    return 4;
}

static inline int hex4(const unsigned char *p, unsigned *out, const unsigned char **bad)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned h = hex_tab[p[i]];
        if (!h) {
            *bad = p + i;
            return -1;
        }
        v = (v << 4) | (h - 1);
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t dltc__json_unescape(char *o, const unsigned char *s, const unsigned char *e)
{
    char *o0 = o;
    while (s < e) {
        const unsigned char *b = s;
        s = memchr(b, '\\', (size_t)(e - b));
        if (!s)
            s = e;
        memcpy(o, b, (size_t)(s - b));
        o += s - b;
        if (s >= e)
            break;
        unsigned ch = s[1];
        s += 2;
        switch (ch) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            const unsigned char *bad;
            unsigned cp = 0, lo = 0;
            hex4(s, &cp, &bad);
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                hex4(s + 2, &lo, &bad);
                s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += put_utf8(o, cp);
            break;
        }
        default: *o++ = (char)ch; break; /* '"', '\\', '/' */
        }
    }
    return (size_t)(o - o0);
}

/* A string at *pp (on its opening quote) into an arena copy. */
static int parse_string(parser *c, const unsigned char **pp, const char **out_s,
                        uint32_t *out_len, int *escaped)
{
    const unsigned char *open = *pp;
    const unsigned char *s = open + 1, *p = s;
    int esc = 0;
    for (;;) {
        p = dltc__json_scan_plain(p);
        unsigned ch = *p;
        if (ch == '"')
            break;
        if (ch >= 0x80) {
            const unsigned char *bad;
            int n = utf8_seq(p, &bad);
            if (n) {
                p += n;
                continue;
            }
            if (*bad == 0 && bad == c->lim)
                return at_end(c, open, "unterminated string");
            return fail(c, p, DLTC_EPARSE, "invalid UTF-8 in string");
        }
        if (ch == '\\') {
            unsigned e = p[1];
            esc = 1;
            switch (e) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u': {
                const unsigned char *bad;
                unsigned cp = 0, lo = 0;
                if (hex4(p + 2, &cp, &bad) != 0) {
                    if (*bad == 0 && bad == c->lim)
                        return at_end(c, open, "unterminated string");
                    return fail(c, p, DLTC_EPARSE, "invalid \\u escape");
                }
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return failf(c, p, DLTC_EPARSE, "lone surrogate \\u%04x", cp);
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    /* a high surrogate must be followed by an escaped low one */
                    const unsigned char *q = p + 6;
                    for (int i = 0; i < 6; i++) {
                        unsigned b = q[i];
                        int ok = i == 0 ? b == '\\' : i == 1 ? b == 'u' : hex_tab[b] != 0;
                        if (ok)
                            continue;
                        if (b == 0 && q + i == c->lim)
                            return at_end(c, open, "unterminated string");
                        return failf(c, p, DLTC_EPARSE, "lone surrogate \\u%04x", cp);
                    }
                    hex4(q + 2, &lo, &bad);
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return failf(c, p, DLTC_EPARSE, "lone surrogate \\u%04x", cp);
                    p += 12;
                } else {
                    p += 6;
                }
                continue;
            }
            default:
                if (e == 0 && p + 1 == c->lim)
                    return at_end(c, open, "unterminated string");
                if (e >= 0x20 && e < 0x7f)
                    return failf(c, p, DLTC_EPARSE, "invalid escape '\\%c'", (int)e);
                return fail(c, p, DLTC_EPARSE, "invalid escape");
            }
        }
        /* a control character */
        if (ch == 0 && p == c->lim)
            return at_end(c, open, "unterminated string");
        return failf(c, p, DLTC_EPARSE, "control character 0x%02x in string", ch);
    }
    size_t raw = (size_t)(p - s);
    if (raw > UINT32_MAX)
        return fail(c, open, DLTC_ELIMIT, "string longer than 4 GiB");
    if (!esc && c->insitu) {
        /* in place: the closing quote becomes the NUL (see restore_quotes) */
        *(unsigned char *)p = '\0';
        *out_s = (const char *)s;
        *out_len = (uint32_t)raw;
        *escaped = 0;
        *pp = p + 1;
        return 0;
    }
    char *o = take(c, raw + 1);
    if (!o)
        return fail_alloc(c, open);
    size_t n = raw;
    if (esc)
        n = dltc__json_unescape(o, s, p);
    else
        memcpy(o, s, raw);
    o[n] = '\0';
    *out_s = o;
    *out_len = (uint32_t)n;
    *escaped = esc;
    *pp = p + 1;
    return 0;
}

/* 1 when `w` is at p, 0 when not, -1 when what is there is a prefix cut by the sentinel. */
static int word_at(const parser *c, const unsigned char *p, const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)w[i])
            return p[i] == 0 && p + i == c->lim ? -1 : 0;
    return 1;
}

/* "NaN", "Infinity" or "-Infinity" at p (`at` = where the value starts): a clear reason. */
static int non_finite(parser *c, const unsigned char *at, const unsigned char *p)
{
    const char *w = *p == 'N' ? "NaN" : "Infinity";
    int m = word_at(c, p, w, strlen(w));
    if (m == 1)
        return failf(c, at, DLTC_EPARSE, "%s is not JSON", w);
    if (m < 0 && c->lim_kind != END_EOF)
        return at_end(c, p, "");
    return at == p ? bad_char(c, p, NULL, NULL)
                   : bad_char(c, p, "expected digit after '-'", "expected digit after '-'");
}

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The number ended at p: is it really its end, or did the buffered data run out? */
static inline int number_end(parser *c, const unsigned char *p)
{
    if (*p == 0 && p == c->lim && c->lim_kind != END_EOF)
        return at_end(c, p, "unexpected end of input");
    return 0;
}

/* |value| of the number text s[0..len) (not NUL-terminated) by strtod; -1 when a copy of
 * a long text cannot be allocated. */
static double slow_strtod(parser *c, const char *s, size_t len)
{
    char tmp[128];
    char *t = tmp;
    if (len >= sizeof(tmp) && !(t = take(c, len + 1)))
        return -1;
    memcpy(t, s, len);
    t[len] = '\0';
    return fabs(dltc__json_strtod(t, NULL));
}

static int parse_number(parser *c, const unsigned char **pp, dltc_value *v)
{
    const unsigned char *start = *pp, *p = start;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    uint64_t m = 0;
    int nd = 0;      /* significant digits in m */
    long exp10 = 0;  /* value = m * 10^exp10 */
    int inexact = 0; /* nonzero digits did not fit in m */
    if (*p == '0') {
        p++;
        if (IS_DIGIT(*p))
            return fail(c, p - 1, DLTC_EPARSE, "leading zero in number");
    } else if (IS_DIGIT(*p)) {
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
        } while (IS_DIGIT(*p));
    } else {
        if (*p == 'I')
            return non_finite(c, start, p);
        return bad_char(c, p, "expected digit after '-'", "expected digit after '-'");
    }
    if (*p != '.' && (*p | 0x20) != 'e') {
        int rc = number_end(c, p);
        if (rc)
            return rc;
        size_t len = (size_t)(p - start);
        if (len > UINT32_MAX)
            return fail(c, start, DLTC_ELIMIT, "number longer than 4 GiB");
        size_t digits = len - (size_t)neg;
        if (digits <= 18 || (digits == 19 && (m <= (uint64_t)INT64_MAX ||
                                              (neg && m == (uint64_t)INT64_MAX + 1)))) {
            dltc__value_set_type(v, DLTC_TYPE_INT);
            v->u.i = neg ? (int64_t)(0 - m) : (int64_t)m;
            if (c->insitu && (m || !neg)) { /* "-0" is written back as 0 */
                v->lex = (const char *)start;
                v->len = (uint32_t)len;
            }
        } else {
            char *t = take(c, len + 1);
            if (!t)
                return fail_alloc(c, start);
            memcpy(t, start, len);
            t[len] = '\0';
            dltc__value_set_type(v, DLTC_TYPE_BIGINT);
            v->u.s = t;
            v->len = (uint32_t)len;
        }
        *pp = p;
        return 0;
    }
    if (*p == '.') {
        p++;
        if (!IS_DIGIT(*p))
            return bad_char(c, p, "expected digit after decimal point",
                            "expected digit after decimal point");
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
        } while (IS_DIGIT(*p));
    }
    if ((*p | 0x20) == 'e') {
        p++;
        int eneg = 0;
        if (*p == '-' || *p == '+') {
            eneg = *p == '-';
            p++;
        }
        if (!IS_DIGIT(*p))
            return bad_char(c, p, "expected digit in exponent", "expected digit in exponent");
        long e = 0;
        do {
            if (e < 100000)
                e = e * 10 + (*p - '0');
            p++;
        } while (IS_DIGIT(*p));
        exp10 += eneg ? -e : e;
    }
    int rc = number_end(c, p);
    if (rc)
        return rc;
    size_t len = (size_t)(p - start);
    if (len > UINT32_MAX)
        return fail(c, start, DLTC_ELIMIT, "number longer than 4 GiB");
    const char *lex = (const char *)start; /* in the data: not NUL-terminated */
    if (!c->insitu) {
        char *t = take(c, len + 1);
        if (!t)
            return fail_alloc(c, start);
        memcpy(t, start, len);
        t[len] = '\0';
        lex = t;
    }
    double d;
#if FLT_EVAL_METHOD == 0
    if (m == 0) {
        d = 0.0;
    } else if (!inexact && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        /* Clinger's fast path: both operands exact, one correctly rounded operation */
        d = exp10 < 0 ? (double)m / pow10_tab[-exp10] : (double)m * pow10_tab[exp10];
    } else
#endif
    {
        d = slow_strtod(c, lex, len);
        if (d < 0)
            return fail_alloc(c, start);
    }
    if (isinf(d))
        return fail(c, start, DLTC_EPARSE, "number out of range");
    dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
    v->u.d = neg ? -d : d;
    v->lex = lex;
    v->len = (uint32_t)len;
    *pp = p;
    return 0;
}

static int parse_literal(parser *c, const unsigned char **pp, const char *word, size_t n)
{
    const unsigned char *p = *pp;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (unsigned char)word[i]) {
            if (p[i] == 0 && p + i == c->lim)
                return at_end(c, p, "invalid literal");
            return fail(c, p, DLTC_EPARSE, "invalid literal");
        }
    }
    *pp = p + n;
    return 0;
}

static int grow(void **arr, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    void *n = dltc__realloc(*arr, ncap * elem);
    if (!n)
        return dltc__error_oom();
    *arr = n;
    *cap = ncap;
    return 0;
}

/* 8 bits from a key's length and its first, middle and last bytes. */
static inline unsigned key_tag(const dltc_member *m)
{
    const unsigned char *k = (const unsigned char *)m->key;
    uint32_t n = m->klen, h = n * 0x9E3779B1u;
    if (n)
        h ^= ((uint32_t)k[0] | (uint32_t)k[n - 1] << 8 | (uint32_t)k[n >> 1] << 16) * 0x85EBCA77u;
    return (h ^ h >> 15) >> 24 & 255;
}

/* Keep the first position and the last value of each key (as Python's json does). Returns
 * the number of members kept at the front of m. */
static size_t dedup_members(parser *c, dltc_member *m, size_t n)
{
    size_t w = 1;
    if (n <= SMALL_OBJECT) {
        /* a 256-bit filter of key tags: only a key whose tag was seen is searched for */
        uint64_t seen[4] = {0, 0, 0, 0};
        w = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned t = key_tag(&m[i]);
            uint64_t bit = (uint64_t)1 << (t & 63);
            if (seen[t >> 6] & bit) {
                size_t j = 0;
                while (j < w && !(m[j].klen == m[i].klen &&
                                  memcmp(m[j].key, m[i].key, m[i].klen) == 0))
                    j++;
                if (j < w) {
                    m[j].val = m[i].val;
                    continue;
                }
            }
            seen[t >> 6] |= bit;
            if (w != i)
                m[w] = m[i];
            w++;
        }
        return w;
    }
    stacks *st = c->st;
    size_t tsize = 32;
    while (tsize < 2 * n)
        tsize *= 2;
    if (tsize > st->cap_table) {
        uint32_t *t = dltc__realloc(st->table, tsize * sizeof(uint32_t));
        if (!t) {
            dltc__error_oom();
            return 0;
        }
        st->table = t;
        st->cap_table = tsize;
    }
    uint32_t *t = st->table;
    memset(t, 0xff, tsize * sizeof(uint32_t));
    w = 0;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)dltc__hash_bytes(m[i].key, m[i].klen) & (tsize - 1);
        for (;;) {
            uint32_t j = t[h];
            if (j == UINT32_MAX) {
                t[h] = (uint32_t)w;
                m[w++] = m[i];
                break;
            }
            if (m[j].klen == m[i].klen && memcmp(m[j].key, m[i].key, m[i].klen) == 0) {
                m[j].val = m[i].val;
                break;
            }
            h = (h + 1) & (tsize - 1);
        }
    }
    return w;
}

/* Parse one value starting at *pp (whitespace allowed before it). Iterative: the nesting
 * lives on c->st, not the C stack. 0 (value in *out, *pp after it), NEED_MORE, or an error
 * code with the error recorded in c. */
static int parse_item(parser *c, const unsigned char **pp, dltc_value *out)
{
    stacks *st = c->st;
    const unsigned char *p = *pp;
    uint32_t depth = 0;
    dltc_value v;
    int rc;
    st->nvals = st->nmems = 0;

value:
    SKIP_WS(p);
    switch (*p) {
    case '"': {
        const char *s;
        uint32_t len;
        int esc;
        rc = parse_string(c, &p, &s, &len, &esc);
        if (rc)
            return rc;
        dltc__value_set_type(&v, DLTC_TYPE_STRING);
        v.u.s = s;
        v.len = len;
        v.flags = esc ? DLTC_VF_ESCAPED : DLTC_VF_CLEAN;
        break;
    }
    case '{':
    case '[': {
        if (depth + c->depth_base >= c->max_depth)
            return failf(c, p, DLTC_ELIMIT, "nesting deeper than %u", c->max_depth);
        if (depth == st->cap_frames && grow((void **)&st->frames, &st->cap_frames, sizeof(frame)))
            return fail_alloc(c, p);
        int is_obj = *p == '{';
        frame *f = &st->frames[depth++];
        f->is_obj = (uint8_t)is_obj;
        f->start = (uint32_t)(is_obj ? st->nmems : st->nvals);
        p++;
        SKIP_WS(p);
        if (is_obj) {
            if (*p == '"')
                goto key;
            if (*p == '}') {
                p++;
                depth--;
                dltc__value_set_type(&v, DLTC_TYPE_OBJECT);
                break;
            }
            return bad_char(c, p, "expected object key or '}'", "unterminated object");
        }
        if (*p == ']') {
            p++;
            depth--;
            dltc__value_set_type(&v, DLTC_TYPE_ARRAY);
            break;
        }
        goto value;
    }
    case 't':
        if ((rc = parse_literal(c, &p, "true", 4)) != 0)
            return rc;
        dltc__value_set_type(&v, DLTC_TYPE_BOOL);
        v.u.i = 1;
        break;
    case 'f':
        if ((rc = parse_literal(c, &p, "false", 5)) != 0)
            return rc;
        dltc__value_set_type(&v, DLTC_TYPE_BOOL);
        break;
    case 'n':
        if ((rc = parse_literal(c, &p, "null", 4)) != 0)
            return rc;
        dltc__value_set_type(&v, DLTC_TYPE_NULL);
        break;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        if ((rc = parse_number(c, &p, &v)) != 0)
            return rc;
        break;
    case 'N':
    case 'I':
        return non_finite(c, p, p);
    default: {
        const dltc_json_deferred *d;
        if (*p == 0x01 && c->ndefs && (d = marker_at(c, p)) != NULL) {
            dltc__value_set_type(&v, DLTC_TYPE_ARRAY);
            v.flags = DLTC_VF_DEFERRED;
            v.u.deferred = d;
            c->shift += d->end - d->start - MARKER_LEN;
            if (d->end_line != d->line) {
                c->line += d->end_line - d->line;
                c->line_start = d->end_line_start;
            }
            p += MARKER_LEN;
            break;
        }
    }
        if (depth == 0)
            return bad_char(c, p, NULL, "unexpected end of input");
        return bad_char(c, p, NULL,
                        st->frames[depth - 1].is_obj ? "unterminated object"
                                                     : "unterminated array");
    }

after_value:
    if (depth == 0) {
        *out = v;
        *pp = p;
        return 0;
    }
    {
        frame *f = &st->frames[depth - 1];
        if (f->is_obj) {
            st->mems[st->nmems - 1].val = v;
            SKIP_WS(p);
            if (*p == ',') {
                const unsigned char *comma = p++;
                SKIP_WS(p);
                if (*p == '"')
                    goto key;
                if (*p == '}')
                    return fail(c, comma, DLTC_EPARSE, "trailing comma");
                return bad_char(c, p, "expected object key", "unterminated object");
            }
            if (*p != '}')
                return bad_char(c, p, "expected ',' or '}'", "unterminated object");
            p++;
            size_t n = st->nmems - f->start;
            dltc_member *src = st->mems + f->start;
            if (n > 1) {
                n = dedup_members(c, src, n);
                if (n == 0)
                    return fail_alloc(c, p);
            }
            dltc_member *dst = take(c, n * sizeof(dltc_member));
            if (!dst)
                return fail_alloc(c, p);
            memcpy(dst, src, n * sizeof(dltc_member));
            st->nmems = f->start;
            dltc__value_set_type(&v, DLTC_TYPE_OBJECT);
            v.u.obj = dst;
            v.len = v.cap = (uint32_t)n;
        } else {
            if (st->nvals == st->cap_vals &&
                grow((void **)&st->vals, &st->cap_vals, sizeof(dltc_value)))
                return fail_alloc(c, p);
            st->vals[st->nvals++] = v;
            SKIP_WS(p);
            if (*p == ',') {
                const unsigned char *comma = p++;
                SKIP_WS(p);
                if (*p == ']')
                    return fail(c, comma, DLTC_EPARSE, "trailing comma");
                goto value;
            }
            if (*p != ']')
                return bad_char(c, p, "expected ',' or ']'", "unterminated array");
            p++;
            size_t n = st->nvals - f->start;
            if (n > UINT32_MAX)
                return fail(c, p, DLTC_ELIMIT, "array too long");
            dltc_value *dst = take(c, n * sizeof(dltc_value));
            if (!dst)
                return fail_alloc(c, p);
            memcpy(dst, st->vals + f->start, n * sizeof(dltc_value));
            st->nvals = f->start;
            dltc__value_set_type(&v, DLTC_TYPE_ARRAY);
            v.u.arr = dst;
            v.len = v.cap = (uint32_t)n;
        }
        depth--;
        goto after_value;
    }

key: {
    /* *p == '"': a member key, then ':' */
    if (st->nmems == st->cap_mems && grow((void **)&st->mems, &st->cap_mems, sizeof(dltc_member)))
        return fail_alloc(c, p);
    if (st->nmems - st->frames[depth - 1].start >= UINT32_MAX)
        return fail(c, p, DLTC_ELIMIT, "object too large");
    dltc_member *m = &st->mems[st->nmems];
    int esc;
    rc = parse_string(c, &p, &m->key, &m->klen, &esc);
    if (rc)
        return rc;
    st->nmems++;
    SKIP_WS(p);
    if (*p != ':')
        return bad_char(c, p, "expected ':' after object key", "unterminated object");
    p++;
    goto value;
}
}

static void stacks_free(stacks *st)
{
    dltc__free(st->vals);
    dltc__free(st->mems);
    dltc__free(st->frames);
    dltc__free(st->table);
    memset(st, 0, sizeof(*st));
}

/* Line and column of a position inside the current item (error reporting only). */
static void locate(const parser *c, const unsigned char *at, uint64_t *line, uint64_t *col)
{
    uint64_t off = c->base + (uint64_t)(at - c->data) + c->shift;
    if (!c->ndefs && off >= c->line_start) { /* (with markers the shift at `at` may be less) */
        *line = c->line;
        *col = off - c->line_start + 1;
        return;
    }
    /* before the current line (a trailing comma, an unterminated string): count back */
    uint64_t l = c->item_line, ls = c->item_line_start, shift = 0;
    off = c->base + (uint64_t)(at - c->data);
    for (const unsigned char *q = c->item; q < at; q++) {
        const dltc_json_deferred *d;
        if (*q == '\n') {
            l++;
            ls = c->base + (uint64_t)(q + 1 - c->data) + shift;
        } else if (*q == 0x01 && (d = marker_at(c, q)) != NULL) {
            shift += d->end - d->start - MARKER_LEN;
            if (d->end_line != d->line) {
                l += d->end_line - d->line;
                ls = d->end_line_start;
            }
        }
    }
    *line = l;
    *col = off + shift - ls + 1;
}

static int is_bom(const unsigned char *p)
{
    return p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
}

/* ---- one document from memory ---- */

static _Thread_local char tl_reason[96];

int dltc__json_parse(dltc_arena *arena, const char *data, size_t len, uint32_t max_depth,
                     dltc_value **out, dltc_json_error *err)
{
    dltc_json_error dummy;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof(*err));
    unsigned char *buf = dltc__malloc(len + PAD);
    if (!buf)
        return dltc__error_oom();
    if (len)
        memcpy(buf, data, len);
    memset(buf + len, 0, PAD);
    stacks st = {0};
    parser cp = {0}, *c = &cp;
    c->data = buf;
    c->lim = buf + len;
    c->lim_kind = END_EOF;
    c->max_depth = max_depth ? max_depth : 512;
    c->max_item = SIZE_MAX;
    c->line = c->item_line = 1;
    c->arena = arena;
    c->st = &st;
    const unsigned char *p = buf;
    if (len >= 3 && is_bom(p)) {
        p += 3;
        c->line_start = c->item_line_start = 3;
    }
    SKIP_WS(p);
    c->item = p;
    c->item_line = c->line;
    c->item_line_start = c->line_start;
    dltc_value v;
    int rc = parse_item(c, &p, &v);
    if (rc == 0) {
        SKIP_WS(p);
        if (p != c->lim) {
            if (*p >= 0x20 && *p < 0x7f)
                rc = failf(c, p, DLTC_EPARSE, "unexpected character '%c' after value", *p);
            else
                rc = failf(c, p, DLTC_EPARSE, "unexpected byte 0x%02x after value", *p);
        }
    }
    if (rc == 0) {
        dltc_value *o = dltc__arena_alloc(arena, sizeof(*o));
        if (!o)
            rc = fail_alloc(c, p);
        else {
            *o = v;
            *out = o;
        }
    }
    if (rc) {
        uint64_t line, col;
        locate(c, c->err_at, &line, &col);
        snprintf(tl_reason, sizeof(tl_reason), "%s", c->reason);
        err->code = rc;
        err->offset = (uint64_t)(c->err_at - buf);
        err->line = line;
        err->column = col;
        err->reason = tl_reason;
        dltc__error_set(rc, "%llu:%llu: %s", (unsigned long long)line,
                        (unsigned long long)col, tl_reason);
    }
    stacks_free(&st);
    dltc__free(buf);
    return rc;
}

/* ---- the streaming reader ---- */

enum {
    ST_START,     /* nothing read yet */
    ST_SEQ,       /* values separated by whitespace */
    ST_ARR_FIRST, /* after the top-level '[' */
    ST_ARR_NEXT,  /* after a ',' of the top-level array */
    ST_ARR_DONE,  /* after the top-level ']' */
    ST_END,       /* all items returned */
    ST_FAILED
};

struct dltc_json_reader {
    int fd; /* -1: memory */
    int own_fd;
    const char *mem;
    size_t mem_len, mem_pos;
    char *name;
    uint32_t max_depth;
    size_t max_item, chunk;
    unsigned char *buf; /* buf[len] == 0; cap >= len + PAD */
    size_t cap, len, pos;
    uint64_t base; /* input offset of buf[0] */
    int eof;
    int state;
    uint64_t line, line_start;
    uint64_t item_line;
    uint64_t comma_off, comma_line, comma_col; /* the last ',' of the top-level array */
    stacks st;
    dltc_arena items; /* the containers and copied strings of the current item */
    /* deferral (defer_bytes) */
    size_t defer;
    uint32_t depth_base; /* a deferred array's reader: containers around its elements */
    int has_root;        /* a deferred array's reader: errors say where the item starts */
    uint64_t root_line, root_col;
    uint64_t cur_item_col; /* column where the big item being scanned starts */
    int seekable;        /* input offsets map to source offsets (file, memory, a range) */
    int64_t delta;       /* source offset - input offset */
    int pread_mode;      /* a deferred array's reader: pread from src_pos up to src_end */
    uint64_t src_pos, src_end;
    int spill_fd;        /* a pipe's deferred arrays, -1 until the first */
    uint64_t spill_len;
    unsigned char *cbuf; /* the compact text of a big item */
    size_t clen, ccap;
    dltc_json_deferred *defs; /* of the current item */
    size_t ndefs, capdefs;
    struct scan_frame *frames;
    size_t capframes;
    dltc_json_error err;
    char reason[96];
    char msg[1024];
};

static int reader_fail(dltc_json_reader *r, int code, uint64_t off, uint64_t line,
                       uint64_t col, const char *reason)
{
    snprintf(r->reason, sizeof(r->reason), "%s", reason);
    r->err.code = code;
    r->err.offset = off;
    r->err.line = line;
    r->err.column = col;
    r->err.reason = r->reason;
    snprintf(r->msg, sizeof(r->msg), "%s:%llu:%llu: %s", r->name, (unsigned long long)line,
             (unsigned long long)col, r->reason);
    if (r->has_root && r->root_line != line) {
        size_t n = strlen(r->msg);
        snprintf(r->msg + n, sizeof(r->msg) - n, " (the value starts at %llu:%llu)",
                 (unsigned long long)r->root_line, (unsigned long long)r->root_col);
    }
    r->state = ST_FAILED;
    return dltc__error_set(code, "%s", r->msg);
}

/* An error at the current position (between items). */
static int fail_here(dltc_json_reader *r, int code, const char *reason)
{
    uint64_t off = r->base + r->pos;
    return reader_fail(r, code, off, r->line, off - r->line_start + 1, reason);
}

static int fail_unexpected(dltc_json_reader *r, const char *after)
{
    char reason[80];
    unsigned ch = r->buf[r->pos];
    if (ch >= 0x20 && ch < 0x7f)
        snprintf(reason, sizeof(reason), "unexpected character '%c' after %s", (int)ch, after);
    else
        snprintf(reason, sizeof(reason), "unexpected byte 0x%02x after %s", ch, after);
    return fail_here(r, DLTC_EPARSE, reason);
}

/* Read one chunk, keeping the bytes from input offset `keep` on. 0 or an error (EOF is not
 * an error: r->eof is set). */
static int read_more(dltc_json_reader *r, uint64_t keep)
{
    size_t k = (size_t)(keep - r->base);
    if (k > 0) {
        memmove(r->buf, r->buf + k, r->len - k);
        r->len -= k;
        r->pos -= k;
        r->base += k;
    }
    size_t want = r->chunk;
    if (r->fd < 0 && r->mem_len - r->mem_pos < want)
        want = r->mem_len - r->mem_pos; /* memory input: no bigger than what is left */
    if (r->pread_mode && r->src_end - r->src_pos < want)
        want = (size_t)(r->src_end - r->src_pos);
    if (r->cap < r->len + want + PAD) {
        size_t ncap = r->cap * 2;
        if (ncap < r->len + want + PAD)
            ncap = r->len + want + PAD;
        unsigned char *nb = dltc__realloc(r->buf, ncap);
        if (!nb) {
            dltc__error_oom();
            return fail_here(r, DLTC_ENOMEM, "out of memory");
        }
        memset(nb + r->len, 0, ncap - r->len);
        r->buf = nb;
        r->cap = ncap;
    }
    size_t got;
    if (r->fd < 0) {
        got = want;
        if (got)
            memcpy(r->buf + r->len, r->mem + r->mem_pos, got);
        r->mem_pos += got;
    } else {
        ssize_t n = 0;
        if (r->pread_mode) {
            do
                n = want ? pread(r->fd, r->buf + r->len, want, (off_t)r->src_pos) : 0;
            while (n < 0 && errno == EINTR);
            if (n > 0)
                r->src_pos += (uint64_t)n;
        } else {
            do
                n = read(r->fd, r->buf + r->len, want);
            while (n < 0 && errno == EINTR);
        }
        if (n < 0) {
            char reason[96];
            snprintf(reason, sizeof(reason), "read error: %s", strerror(errno));
            return fail_here(r, DLTC_EIO, reason);
        }
        got = (size_t)n;
    }
    if (got == 0)
        r->eof = 1;
    r->len += got;
    r->buf[r->len] = 0;
    return 0;
}

/* Skip whitespace between items, reading as needed. The next byte, or -1 at the end of the
 * input, or an error (< -1). */
static int skip_ws(dltc_json_reader *r)
{
    for (;;) {
        const unsigned char *p = r->buf + r->pos;
        while (ws_tab[*p]) {
            if (*p == '\n') {
                r->line++;
                r->line_start = r->base + (uint64_t)(p + 1 - r->buf);
            }
            p++;
        }
        r->pos = (size_t)(p - r->buf);
        if (r->pos < r->len)
            return *p;
        if (r->eof)
            return -1;
        int rc = read_more(r, r->base + r->pos);
        if (rc)
            return rc < -1 ? rc : DLTC_ERROR;
    }
}

/* Bytes buffered from input offset `from` on, reading until there are at least `want` or
 * the input ends. */
static int fill(dltc_json_reader *r, uint64_t from, size_t want)
{
    while (!r->eof && r->base + r->len - from < want) {
        int rc = read_more(r, from);
        if (rc)
            return rc;
    }
    return 0;
}

/* After a failed parse of an item that runs past the buffered data: find its end with a
 * bracket scan (reading more as needed) so that the next parse completes. Malformed input
 * only makes it stop early or late; the parse that follows reports the problem. */
static int scan_item_end(dltc_json_reader *r, uint64_t item)
{
    size_t off = 0; /* relative to the item start */
    uint64_t depth = 0;
    int in_str = 0, scalar = 0;
    for (;;) {
        size_t avail = (size_t)(r->base + r->len - item);
        const unsigned char *s = r->buf + (item - r->base);
        while (off < avail) {
            unsigned ch = s[off];
            if (off == 0) {
                if (ch == '"')
                    in_str = 1;
                else if (ch == '[' || ch == '{')
                    depth = 1;
                else
                    scalar = 1;
                off++;
                continue;
            }
            if (scalar) {
                if (!(IS_DIGIT(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '.' ||
                      ch == '+' || ch == '-'))
                    return 0;
            } else if (in_str) {
                if (ch == '\\')
                    off++;
                else if (ch == '"') {
                    in_str = 0;
                    if (depth == 0)
                        return 0;
                }
            } else if (ch == '"') {
                in_str = 1;
            } else if (ch == '[' || ch == '{') {
                depth++;
            } else if (ch == ']' || ch == '}') {
                if (--depth == 0)
                    return 0;
            }
            off++;
        }
        if (r->eof || avail > r->max_item + 1)
            return 0;
        int rc = read_more(r, item);
        if (rc)
            return rc;
    }
}

/* Undo an in-situ parse of [from, to): the only bytes it writes are NULs over the closing
 * quotes of strings without escapes, and a NUL cannot be anywhere else in text the parser
 * went over (it is invalid everywhere in JSON: the parse would have failed on it). */
static void restore_quotes(unsigned char *from, const unsigned char *to)
{
    unsigned char *z;
    while (from < to && (z = memchr(from, 0, (size_t)(to - from))) != NULL) {
        *z = '"';
        from = z + 1;
    }
}

/* After an item that ends at `end`: is what the caller looks at next already buffered, so
 * that no read moves the buffer while the item (which may point into it) is live? In a
 * sequence that is one byte (the separator check), in the top-level array the next
 * non-whitespace byte. */
static int next_buffered(const dltc_json_reader *r, const unsigned char *end)
{
    const unsigned char *lim = r->buf + r->len;
    if (r->eof)
        return 1;
    if (r->state != ST_SEQ)
        while (end < lim && ws_tab[*end])
            end++;
    return end < lim;
}

/* ---- big items (defer_bytes) ----
 *
 * An item that runs past one chunk is scanned once, streaming: its text is copied into a
 * compact buffer, except that the outermost array open under the item is cut out once its
 * text passes defer_bytes (or the compact text passes 16 times that): the array's text is
 * skipped (bracket scan) and a marker takes its place. The compact text is then parsed as
 * usual, the marker becoming a DLTC_VF_DEFERRED array that remembers where its text is.
 * Buffer, compact text and parsed item therefore stay bounded whatever the array's size. */

struct scan_frame {
    size_t cpos;                /* the bracket's position in the compact text */
    uint64_t start, line, line_start;
    uint8_t is_arr;
};

static int cbuf_put(dltc_json_reader *r, const unsigned char *s, size_t n)
{
    if (r->clen + n + PAD > r->ccap) {
        size_t nc = r->ccap ? r->ccap * 2 : 64 * 1024;
        while (nc < r->clen + n + PAD)
            nc *= 2;
        unsigned char *nb = dltc__realloc(r->cbuf, nc);
        if (!nb) {
            dltc__error_oom();
            return fail_here(r, DLTC_ENOMEM, "out of memory");
        }
        r->cbuf = nb;
        r->ccap = nc;
    }
    memcpy(r->cbuf + r->clen, s, n);
    r->clen += n;
    return 0;
}

/* A pipe cannot be read again: its deferred arrays go to an unlinked temporary file. */
static int spill(dltc_json_reader *r, const unsigned char *s, size_t n)
{
    if (r->spill_fd < 0) {
        const char *dir = getenv("TMPDIR");
        char path[4096];
        snprintf(path, sizeof(path), "%s/dltc-spill-XXXXXX", dir && *dir ? dir : "/tmp");
        r->spill_fd = mkstemp(path);
        if (r->spill_fd < 0) {
            char reason[96];
            snprintf(reason, sizeof(reason), "spill file: %s", strerror(errno));
            return fail_here(r, DLTC_EIO, reason);
        }
        unlink(path);
    }
    while (n) {
        ssize_t w = pwrite(r->spill_fd, s, n, (off_t)r->spill_len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            char reason[96];
            snprintf(reason, sizeof(reason), "spill file: %s", w < 0 ? strerror(errno) : "short write");
            return fail_here(r, DLTC_EIO, reason);
        }
        s += w;
        n -= (size_t)w;
        r->spill_len += (uint64_t)w;
    }
    return 0;
}

/* Cut the array of frame `f` out of the compact text (its text so far ends at the compact
 * text's end) and put a marker in its place. */
static int defer_array(dltc_json_reader *r, const struct scan_frame *f)
{
    if (r->ndefs == r->capdefs) {
        size_t nc = r->capdefs ? r->capdefs * 2 : 16;
        dltc_json_deferred *nd = dltc__realloc(r->defs, nc * sizeof(*nd));
        if (!nd) {
            dltc__error_oom();
            return fail_here(r, DLTC_ENOMEM, "out of memory");
        }
        r->defs = nd;
        r->capdefs = nc;
    }
    dltc_json_deferred *d = &r->defs[r->ndefs];
    memset(d, 0, sizeof(*d));
    d->owner = r;
    d->start = f->start;
    d->line = f->line;
    d->line_start = f->line_start;
    d->cpos = f->cpos;
    d->depth = (uint32_t)(f - r->frames) + 1;
    d->root_line = r->has_root ? r->root_line : r->line;
    d->root_col = r->has_root ? r->root_col : r->cur_item_col;
    d->fd = r->fd;
    d->mem = r->mem;
    d->delta = r->delta;
    if (!r->seekable) {
        d->fd = r->spill_fd; /* set by the first spill below */
        d->delta = (int64_t)r->spill_len - (int64_t)d->start;
        int rc = spill(r, r->cbuf + f->cpos, r->clen - f->cpos);
        if (rc)
            return rc;
        d->fd = r->spill_fd;
    }
    r->clen = f->cpos;
    char marker[MARKER_LEN + 1];
    snprintf(marker, sizeof(marker), "\x01%08zx", r->ndefs);
    r->ndefs++;
    return cbuf_put(r, (const unsigned char *)marker, MARKER_LEN);
}

/* Scan the item at input offset `item` into the compact text; *end is where it ends (or
 * where the scan stopped: the end of the input, or nesting past max_depth). */
static int scan_big(dltc_json_reader *r, uint64_t item, uint64_t *end, uint64_t *line_out,
                    uint64_t *ls_out)
{
    uint64_t line = r->line, ls = r->line_start;
    size_t depth = 0, oa = SIZE_MAX, skip_at = SIZE_MAX; /* skip_at: depth of a deferred array */
    int in_str = 0, esc = 0, scalar = 0, started = 0, done = 0, rc;
    size_t arr_limit = r->defer, item_limit = r->defer * 16;
    uint64_t pos = item;
    r->clen = 0;
    r->ndefs = 0;
    while (!done) {
        if (pos == r->base + r->len) {
            if (r->eof)
                break;
            r->pos = (size_t)(pos - r->base);
            if ((rc = read_more(r, pos)) != 0)
                return rc;
            continue;
        }
        const unsigned char *s = r->buf + (pos - r->base), *e = r->buf + r->len, *run = s;
        for (; s < e; s++) {
            unsigned ch = *s;
            if (!started) {
                started = 1;
                if (ch == '"') {
                    in_str = 1;
                } else if (ch == '[' || ch == '{') {
                    depth = 1;
                } else {
                    scalar = 1;
                }
                continue;
            }
            if (scalar) {
                if (!(IS_DIGIT(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '.' ||
                      ch == '+' || ch == '-')) {
                    done = 1;
                    break;
                }
                continue;
            }
            if (in_str) {
                if (esc) {
                    esc = 0;
                    continue;
                }
                /* the bulk of the text: 16 bytes at a time (the data ends in a NUL) */
                const unsigned char *q = dltc__json_scan_plain(s);
                if (q >= e) {
                    s = e - 1;
                    continue;
                }
                s = q;
                ch = *s;
                if (ch == '\\')
                    esc = 1;
                else if (ch == '"') {
                    in_str = 0;
                    if (depth == 0) {
                        s++;
                        done = 1;
                        break;
                    }
                }
                continue;
            }
            if (ch == '"') {
                in_str = 1;
            } else if (ch == '\n') {
                line++;
                ls = r->base + (uint64_t)(s + 1 - r->buf);
            } else if (ch == '[' || ch == '{') {
                if (skip_at == SIZE_MAX) {
                    if (depth + r->depth_base >= r->max_depth) { /* the parse reports it */
                        s++;
                        done = 1;
                        break;
                    }
                    if (depth >= r->capframes) {
                        size_t nc = r->capframes ? r->capframes * 2 : 64;
                        struct scan_frame *nf = dltc__realloc(r->frames, nc * sizeof(*nf));
                        if (!nf) {
                            dltc__error_oom();
                            return fail_here(r, DLTC_ENOMEM, "out of memory");
                        }
                        r->frames = nf;
                        r->capframes = nc;
                    }
                    struct scan_frame *f = &r->frames[depth];
                    f->cpos = r->clen + (size_t)(s - run);
                    f->start = r->base + (uint64_t)(s - r->buf);
                    f->line = line;
                    f->line_start = ls;
                    f->is_arr = ch == '[';
                    if (f->is_arr && oa == SIZE_MAX)
                        oa = depth;
                }
                depth++;
            } else if (ch == ']' || ch == '}') {
                if (depth == 0) { /* malformed: the parse reports it */
                    done = 1;
                    break;
                }
                depth--;
                if (depth == skip_at) { /* the deferred array ends here */
                    dltc_json_deferred *d = &r->defs[r->ndefs - 1];
                    d->end = r->base + (uint64_t)(s + 1 - r->buf);
                    d->end_line = line;
                    d->end_line_start = ls;
                    if (!r->seekable && (rc = spill(r, run, (size_t)(s + 1 - run))) != 0)
                        return rc;
                    run = s + 1;
                    skip_at = oa = SIZE_MAX;
                } else if (depth == oa) {
                    oa = SIZE_MAX;
                }
                if (depth == 0) {
                    s++;
                    done = 1;
                    break;
                }
                continue;
            } else if (ch != ',') {
                continue;
            }
            /* a ',' or an opening bracket in the outermost array: is it big now? */
            if (skip_at == SIZE_MAX && oa != SIZE_MAX) {
                size_t cl = r->clen + (size_t)(s + 1 - run), so_far = cl - r->frames[oa].cpos;
                /* (never for less text than the marker: the compact text never grows) */
                if (so_far > MARKER_LEN && (so_far > arr_limit || cl > item_limit)) {
                    if ((rc = cbuf_put(r, run, (size_t)(s + 1 - run))) != 0 ||
                        (rc = defer_array(r, &r->frames[oa])) != 0)
                        return rc;
                    run = s + 1;
                    skip_at = oa;
                }
            }
        }
        if (skip_at == SIZE_MAX)
            rc = cbuf_put(r, run, (size_t)(s - run));
        else
            rc = r->seekable ? 0 : spill(r, run, (size_t)(s - run));
        if (rc)
            return rc;
        pos = r->base + (uint64_t)(s - r->buf);
        if (r->clen > r->max_item) /* the parse reports the limit */
            break;
    }
    *end = pos;
    *line_out = line;
    *ls_out = ls;
    return 0;
}

static int drain_into(dltc_json_reader *r, dltc_json_deferred *d);

/* Read the big item at input offset `item` (read_item met the end of the buffered data). */
static int read_big_item(dltc_json_reader *r, uint64_t item, dltc_arena *arena, dltc_value **out)
{
    uint64_t end = item, line = r->line, ls = r->line_start;
    uint64_t item_line = r->line, item_ls = r->line_start;
    if (r->spill_fd >= 0 && r->spill_len) { /* the previous item's arrays are dead */
        if (ftruncate(r->spill_fd, 0) == 0)
            r->spill_len = 0;
    }
    r->cur_item_col = item - item_ls + 1;
    int rc = scan_big(r, item, &end, &line, &ls);
    if (rc)
        return rc;
    if (r->ndefs && !r->defs[r->ndefs - 1].end) { /* the input ended inside it */
        dltc_json_deferred *d = &r->defs[r->ndefs - 1];
        d->end = end;
        d->end_line = line;
        d->end_line_start = ls;
    }
    if (r->ccap < r->clen + PAD && (rc = cbuf_put(r, (const unsigned char *)"", 0)) != 0)
        return rc;
    memset(r->cbuf + r->clen, 0, PAD);
    dltc__arena_reset(&r->items);
    r->items.limit = 0;
    if (arena->limit)
        r->items.limit = arena->limit > arena->used ? arena->limit - arena->used : 1;
    parser c = {0};
    c.insitu = 1; /* the compact text stays until the next item */
    c.data = c.item = r->cbuf;
    c.lim = r->cbuf + r->clen;
    c.lim_kind = END_EOF;
    if (r->clen > r->max_item) {
        c.lim = r->cbuf + r->max_item + 1;
        c.lim_kind = END_LIMIT;
    }
    c.base = item;
    c.max_depth = r->max_depth;
    c.max_item = r->max_item;
    c.line = c.item_line = item_line;
    c.line_start = c.item_line_start = item_ls;
    c.arena = &r->items;
    c.arena_limit = arena->limit;
    c.st = &r->st;
    c.defs = r->defs;
    c.ndefs = r->ndefs;
    c.depth_base = r->depth_base;
    unsigned char saved = *c.lim;
    *(unsigned char *)c.lim = 0;
    const unsigned char *p = c.item;
    dltc_value v;
    rc = parse_item(&c, &p, &v);
    *(unsigned char *)c.lim = saved;
    if (rc == 0 && (size_t)(p - c.item) > r->max_item)
        rc = failf(&c, c.item, DLTC_ELIMIT, "item larger than %zu bytes", r->max_item);
    if (rc == 0) {
        dltc_value *o = take(&c, sizeof(*o));
        /* where the parse ended: the scan's end for a container */
        uint64_t pend = c.base + (uint64_t)(p - c.data) + c.shift;
        if (o && pend >= r->base && pend <= end) {
            *o = v;
            *out = o;
            r->pos = (size_t)(pend - r->base);
            r->line = line;
            r->line_start = ls;
            return 0;
        }
        rc = o ? failf(&c, p, DLTC_EPARSE, "unexpected end of the value") : fail_alloc(&c, p);
    }
    uint64_t eline, ecol;
    locate(&c, c.err_at, &eline, &ecol);
    uint64_t eoff = c.base + (uint64_t)(c.err_at - c.data) + c.shift;
    /* an error in a deferred array before this one comes first, as without deferral */
    /* (the item limit is reported at the item's start but met at its end) */
    uint64_t upto = rc == DLTC_ELIMIT && c.err_at == c.item ? UINT64_MAX : eoff;
    for (size_t i = 0; i < r->ndefs && r->defs[i].start < upto; i++)
        if (drain_into(r, &r->defs[i]))
            return dltc__error_set(r->err.code, "%s", r->msg);
    rc = reader_fail(r, rc, eoff, eline, ecol, c.reason);
    if (!r->has_root && item_line != eline) {
        size_t n = strlen(r->msg);
        snprintf(r->msg + n, sizeof(r->msg) - n, " (the value starts at %llu:%llu)",
                 (unsigned long long)item_line, (unsigned long long)(item - item_ls + 1));
        dltc__error_set(rc, "%s", r->msg);
    }
    return rc;
}

/* Parse the item at r->pos into r->items (within the limit of `arena`). The parse is in situ
 * (strings without escapes and number texts point into the buffer) unless the item has to be
 * kept while more is read: then the buffer is restored and the item parsed again as a copy. */
static int read_item(dltc_json_reader *r, dltc_arena *arena, dltc_value **out)
{
    uint64_t item = r->base + r->pos;
    int scanned = 0, copy = 0;
    r->ndefs = 0;
    for (;;) {
        /* the previous item (or attempt) is dead: the same memory serves again, warm. The
         * item counts against the limit of the caller's arena as if it were allocated there. */
        dltc__arena_reset(&r->items);
        r->items.limit = 0;
        if (arena->limit)
            r->items.limit = arena->limit > arena->used ? arena->limit - arena->used : 1;
        parser c = {0};
        c.insitu = !copy;
        size_t start = (size_t)(item - r->base);
        size_t avail = r->len - start;
        size_t lim = r->len;
        c.lim_kind = r->eof ? END_EOF : END_MORE;
        if (avail > r->max_item) {
            lim = start + r->max_item + 1;
            c.lim_kind = END_LIMIT;
        }
        c.data = r->buf;
        c.lim = r->buf + lim;
        c.item = r->buf + start;
        c.base = r->base;
        c.max_depth = r->max_depth;
        c.max_item = r->max_item;
        c.line = c.item_line = r->line;
        c.line_start = c.item_line_start = r->line_start;
        c.arena = &r->items;
        c.arena_limit = arena->limit;
        c.st = &r->st;
        c.depth_base = r->depth_base;
        unsigned char saved = r->buf[lim];
        r->buf[lim] = 0;
        const unsigned char *p = c.item;
        dltc_value v;
        int rc = parse_item(&c, &p, &v);
        r->buf[lim] = saved;
        if (rc == 0 && (size_t)(p - c.item) > r->max_item)
            rc = failf(&c, c.item, DLTC_ELIMIT, "item larger than %zu bytes", r->max_item);
        if (rc == 0 && c.insitu && !next_buffered(r, p)) {
            restore_quotes(r->buf + start, p);
            copy = 1;
            continue;
        }
        if (rc == NEED_MORE && c.insitu)
            restore_quotes(r->buf + start, c.lim);
        if (rc == 0) {
            dltc_value *o = take(&c, sizeof(*o));
            if (!o) {
                rc = fail_alloc(&c, p);
            } else {
                *o = v;
                *out = o;
                r->pos = (size_t)(p - r->buf);
                r->line = c.line;
                r->line_start = c.line_start;
                return 0;
            }
        }
        if (rc != NEED_MORE) {
            uint64_t line, col;
            locate(&c, c.err_at, &line, &col);
            rc = reader_fail(r, rc, c.base + (uint64_t)(c.err_at - c.data), line, col,
                             c.reason);
            /* far from where the value began (an unterminated object): say where that was */
            uint64_t sline = r->line, scol = r->base + start - r->line_start + 1;
            if (!r->has_root && sline != line) {
                size_t n = strlen(r->msg);
                snprintf(r->msg + n, sizeof(r->msg) - n, " (the value starts at %llu:%llu)",
                         (unsigned long long)sline, (unsigned long long)scol);
                dltc__error_set(rc, "%s", r->msg);
            }
            return rc;
        }
        unsigned first = r->buf[item - r->base];
        if (r->defer && (first == '[' || first == '{')) /* scalars hold no arrays */
            return read_big_item(r, item, arena, out);
        if (!scanned) {
            scanned = 1;
            rc = scan_item_end(r, item);
        } else {
            rc = fill(r, item, avail * 2);
        }
        if (rc)
            return rc;
    }
}

static int reader_new(dltc_json_reader **out, int fd, int own_fd, const char *name,
                      const dltc_json_reader_options *opts)
{
    dltc_json_reader_options def = DLTC_JSON_READER_OPTIONS_INIT;
    dltc_json_reader *r = dltc__calloc(1, sizeof(*r));
    if (!r)
        return dltc__error_oom();
    r->fd = fd;
    r->own_fd = own_fd;
    r->max_depth = opts && opts->max_depth ? opts->max_depth : def.max_depth;
    r->max_item = opts && opts->max_item_bytes ? opts->max_item_bytes : def.max_item_bytes;
    r->chunk = opts && opts->chunk_size ? opts->chunk_size : def.chunk_size;
    r->defer = opts ? opts->defer_bytes : 0;
    r->spill_fd = -1;
    struct stat sb;
    off_t at;
    if (fd < 0) {
        r->seekable = 1;
    } else if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (at = lseek(fd, 0, SEEK_CUR)) >= 0) {
        r->seekable = 1;
        r->delta = (int64_t)at;
    }
    r->name = dltc__strdup(name);
    r->cap = PAD; /* grown by the first read */
    r->buf = dltc__calloc(1, r->cap);
    if (!r->name || !r->buf) {
        dltc__free(r->name);
        dltc__free(r->buf);
        dltc__free(r);
        return dltc__error_oom();
    }
    dltc__arena_init(&r->items, 64 * 1024);
    r->line = 1;
    r->state = ST_START;
    *out = r;
    return 0;
}

int dltc__json_reader_open_fd(dltc_json_reader **out, int fd, const char *name,
                              const dltc_json_reader_options *opts)
{
    char def[32];
    if (!name) {
        snprintf(def, sizeof(def), "<fd %d>", fd);
        name = def;
    }
    return reader_new(out, fd, 0, name, opts);
}

int dltc__json_reader_open_file(dltc_json_reader **out, const char *path,
                                const dltc_json_reader_options *opts)
{
    if (strcmp(path, "-") == 0)
        return reader_new(out, STDIN_FILENO, 0, "<stdin>", opts);
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return dltc__error_set(errno == ENOENT ? DLTC_ENOTFOUND : DLTC_EIO, "%s: %s", path,
                               strerror(errno));
    int rc = reader_new(out, fd, 1, path, opts);
    if (rc)
        close(fd);
    return rc;
}

int dltc__json_reader_open_mem(dltc_json_reader **out, const char *data, size_t len,
                               const char *name, const dltc_json_reader_options *opts)
{
    int rc = reader_new(out, -1, 0, name ? name : "<memory>", opts);
    if (rc == 0) {
        (*out)->mem = data;
        (*out)->mem_len = data ? len : 0;
    }
    return rc;
}

static int drain_into(dltc_json_reader *r, dltc_json_deferred *d);

/* After a big item, before an error found after it: an error inside one of its deferred
 * arrays comes first, as without deferral (1: it is r's error now). */
static int earlier_error(dltc_json_reader *r)
{
    for (size_t i = 0; i < r->ndefs; i++)
        if (drain_into(r, &r->defs[i]))
            return 1;
    return 0;
}

int dltc__json_reader_next(dltc_json_reader *r, dltc_arena *arena, dltc_value **out)
{
    int ch, rc;
    switch (r->state) {
    case ST_FAILED:
        return dltc__error_set(r->err.code, "%s", r->msg);
    case ST_END:
        return DLTC_ITEROVER;
    case ST_START:
        if ((rc = fill(r, r->base, 3)) != 0)
            return rc;
        if (r->len >= 3 && is_bom(r->buf)) {
            r->pos = 3;
            r->line_start = 3;
        }
        ch = skip_ws(r);
        if (ch < -1)
            return ch;
        if (ch == -1) {
            r->state = ST_END;
            return DLTC_ITEROVER;
        }
        if (ch == '[') {
            r->pos++;
            r->state = ST_ARR_FIRST;
        } else {
            r->state = ST_SEQ;
        }
        return dltc__json_reader_next(r, arena, out);
    case ST_SEQ:
        ch = skip_ws(r);
        if (ch < -1)
            return ch;
        if (ch == -1) {
            r->state = ST_END;
            return DLTC_ITEROVER;
        }
        r->item_line = r->line;
        if ((rc = read_item(r, arena, out)) != 0)
            return rc;
        /* values must be separated by whitespace */
        if (r->pos == r->len && !r->eof && (rc = read_more(r, r->base + r->pos)) != 0)
            return rc;
        if (r->pos < r->len && !ws_tab[r->buf[r->pos]])
            return earlier_error(r) ? dltc__error_set(r->err.code, "%s", r->msg) : fail_unexpected(r, "value");
        return 0;
    case ST_ARR_FIRST:
    case ST_ARR_NEXT:
        ch = skip_ws(r);
        if (ch < -1)
            return ch;
        if (ch == -1)
            return fail_here(r, DLTC_EPARSE, "unterminated array");
        if (ch == ']') {
            if (r->state == ST_ARR_NEXT)
                return reader_fail(r, DLTC_EPARSE, r->comma_off, r->comma_line, r->comma_col,
                                   "trailing comma");
            r->pos++;
            r->state = ST_ARR_DONE;
            return dltc__json_reader_next(r, arena, out);
        }
        r->item_line = r->line;
        if ((rc = read_item(r, arena, out)) != 0)
            return rc;
        ch = skip_ws(r);
        if (ch < -1)
            return ch;
        if (ch == -1)
            return earlier_error(r) ? dltc__error_set(r->err.code, "%s", r->msg) : fail_here(r, DLTC_EPARSE, "unterminated array");
        if (ch == ',') {
            r->comma_off = r->base + r->pos;
            r->comma_line = r->line;
            r->comma_col = r->comma_off - r->line_start + 1;
            r->pos++;
            r->state = ST_ARR_NEXT;
        } else if (ch == ']') {
            r->pos++;
            r->state = ST_ARR_DONE;
        } else {
            if (earlier_error(r))
                return dltc__error_set(r->err.code, "%s", r->msg);
            /* a deferred array's reader words it as the parser does inside an array */
            return fail_here(r, DLTC_EPARSE,
                             r->has_root && ch == '/'    ? "comments are not allowed"
                             : r->has_root && ch == '\'' ? "single-quoted strings are not allowed"
                                                         : "expected ',' or ']'");
        }
        return 0;
    case ST_ARR_DONE:
        ch = skip_ws(r);
        if (ch < -1)
            return ch;
        if (ch == -1) {
            r->state = ST_END;
            return DLTC_ITEROVER;
        }
        return fail_unexpected(r, "top-level array");
    }
    return DLTC_ERROR;
}

const dltc_json_error *dltc__json_reader_error(const dltc_json_reader *r)
{
    return &r->err;
}

uint64_t dltc__json_reader_item_line(const dltc_json_reader *r)
{
    return r->item_line;
}

uint64_t dltc__json_reader_offset(const dltc_json_reader *r)
{
    return r->base + r->pos;
}

const char *dltc__json_reader_name(const dltc_json_reader *r)
{
    return r->name;
}

/* ---- deferred arrays ---- */

int dltc__json_deferred_open(dltc_json_reader **out, const dltc_value *arr)
{
    dltc_json_deferred *d = (dltc_json_deferred *)arr->u.deferred;
    const dltc_json_reader *o = d->owner;
    dltc_json_reader_options opts = {o->max_depth, o->max_item, o->chunk, o->defer};
    dltc_json_reader *r = NULL;
    int rc = reader_new(&r, d->fd, 0, o->name, &opts);
    if (rc)
        return rc;
    r->seekable = 1;
    r->delta = d->delta;
    r->depth_base = o->depth_base + d->depth;
    r->has_root = 1;
    r->root_line = d->root_line;
    r->root_col = d->root_col;
    if (d->fd < 0) {
        r->mem = d->mem;
        r->mem_pos = (size_t)((int64_t)d->start + d->delta);
        r->mem_len = (size_t)((int64_t)d->end + d->delta);
    } else {
        r->pread_mode = 1;
        r->src_pos = (uint64_t)((int64_t)d->start + d->delta);
        r->src_end = (uint64_t)((int64_t)d->end + d->delta);
    }
    r->base = d->start;
    r->line = d->line;
    r->line_start = d->line_start;
    r->state = ST_START;
    d->used = 1;
    *out = r;
    return 0;
}

int dltc__json_deferred_parse(dltc_arena *arena, const dltc_value *arr, dltc_value **out)
{
    dltc_json_deferred *d = (dltc_json_deferred *)arr->u.deferred;
    const dltc_json_reader *o = d->owner;
    size_t len = (size_t)(d->end - d->start);
    uint64_t src = (uint64_t)((int64_t)d->start + d->delta);
    char *copy = NULL;
    const char *text;
    if (d->fd < 0) {
        text = d->mem + src;
    } else {
        copy = dltc__malloc(len ? len : 1);
        if (!copy)
            return dltc__error_oom();
        size_t got = 0;
        while (got < len) {
            ssize_t n = pread(d->fd, copy + got, len - got, (off_t)(src + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                int e = n < 0 ? errno : EIO;
                dltc__free(copy);
                return dltc__error_set(DLTC_EIO, "%s: read error: %s", o->name, strerror(e));
            }
            got += (size_t)n;
        }
        text = copy;
    }
    dltc_json_error err;
    uint32_t around = o->depth_base + d->depth - 1; /* containers around the array */
    int rc = dltc__json_parse(arena, text, len, o->max_depth > around ? o->max_depth - around : 1,
                              out, &err);
    dltc__free(copy);
    d->used = 1;
    if (rc) { /* positions in the whole input */
        uint64_t line = d->line + err.line - 1;
        uint64_t col = err.line == 1 ? d->start - d->line_start + err.column : err.column;
        return dltc__error_set(rc, "%s:%llu:%llu: %s", o->name, (unsigned long long)line,
                               (unsigned long long)col, err.reason);
    }
    return 0;
}

/* Read every element of a deferred array (and of the arrays deferred in them). */
int dltc__json_deferred_each(const dltc_value *arr, size_t arena_limit, dltc_json_element_fn fn,
                             void *ctx)
{
    dltc_json_reader *sub;
    int rc = dltc__json_deferred_open(&sub, arr);
    if (rc)
        return rc;
    dltc_arena a;
    dltc__arena_init(&a, 64 * 1024);
    a.limit = arena_limit;
    dltc_value *e;
    for (size_t i = 0;; i++) {
        dltc__arena_reset(&a);
        if ((rc = dltc__json_reader_next(sub, &a, &e)) != 0 || (fn && (rc = fn(ctx, &a, e, i)) != 0) ||
            (rc = dltc__json_reader_check_deferred(sub)) != 0)
            break;
    }
    dltc__arena_free(&a);
    dltc__json_reader_free(sub);
    return rc == DLTC_ITEROVER ? 0 : rc;
}

/* Drain deferred array d of r's item; its error, if any, becomes r's (1). */
static int drain_into(dltc_json_reader *r, dltc_json_deferred *d)
{
    dltc_value v;
    dltc__value_set_type(&v, DLTC_TYPE_ARRAY);
    v.flags = DLTC_VF_DEFERRED;
    v.u.deferred = d;
    dltc_json_reader *sub;
    if (dltc__json_deferred_open(&sub, &v))
        return 0;
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *e;
    int rc, failed = 0;
    while ((rc = dltc__json_reader_next(sub, &a, &e)) == 0) {
        for (size_t i = 0; i < sub->ndefs && !failed; i++)
            failed = drain_into(sub, &sub->defs[i]);
        if (failed)
            break;
        dltc__arena_reset(&a);
    }
    if (sub->state == ST_FAILED) {
        failed = 1;
        r->err = sub->err;
        snprintf(r->reason, sizeof(r->reason), "%s", sub->reason);
        r->err.reason = r->reason;
        snprintf(r->msg, sizeof(r->msg), "%s", sub->msg);
        r->state = ST_FAILED;
    }
    dltc__arena_free(&a);
    dltc__json_reader_free(sub);
    return failed;
}

int dltc__json_reader_check_deferred(dltc_json_reader *r)
{
    for (size_t i = 0; i < r->ndefs; i++) {
        if (r->defs[i].used)
            continue;
        dltc_value v;
        dltc__value_set_type(&v, DLTC_TYPE_ARRAY);
        v.flags = DLTC_VF_DEFERRED;
        v.u.deferred = &r->defs[i];
        int rc = dltc__json_deferred_each(&v, 0, NULL, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

void dltc__json_reader_free(dltc_json_reader *r)
{
    if (!r)
        return;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    stacks_free(&r->st);
    dltc__arena_free(&r->items);
    if (r->spill_fd >= 0)
        close(r->spill_fd);
    dltc__free(r->cbuf);
    dltc__free(r->defs);
    dltc__free(r->frames);
    dltc__free(r->buf);
    dltc__free(r->name);
    dltc__free(r);
}

/* the public entry point (dltc/value.h) */
int dltc_doc_parse_json(dltc_doc *doc, const char *json, size_t len, dltc_value **out)
{
    dltc_json_error err;
    return dltc__json_parse(&doc->arena, json, len, 512, out, &err);
}
