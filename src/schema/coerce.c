/* Inference and coercion. Facts from dlt 1.26 (reference §3, examples/variants.json):
 * - a value that does not coerce goes to a variant column (the caller's job);
 * - int → timestamp is Unix seconds; "false"/0 → bool; 7 → 7.0 in a double column;
 * - text→bigint accepts Python int() syntax and 0x hex; double→bigint only when integral.
 * Where dlt would write a value the destination then rejects (an int beyond int64 into a
 * bigint column, NaN text into double) we refuse the coercion instead, so it lands in a
 * variant column and nothing fails at load time. */
#include "schema/coerce.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "formats/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

/* 578960446186580977117854925043439539266: dlt's upper bound of wei before text */
static const char WEI_MAX[] = "578960446186580977117854925043439539266";

/* |digits| <= WEI_MAX ? (digits may start with '-') */
static int bigint_fits_wei(const char *s, size_t n)
{
    if (n && (*s == '-' || *s == '+'))
        s++, n--;
    while (n > 1 && *s == '0')
        s++, n--;
    size_t m = sizeof(WEI_MAX) - 1;
    if (n != m)
        return n < m;
    return memcmp(s, WEI_MAX, m) <= 0;
}

int dltc__py_type(const dltc_value *v)
{
    switch (v->type) {
    case DLTC_TYPE_BOOL:
        return DLTC_DT_BOOL;
    case DLTC_TYPE_INT:
        return DLTC_DT_BIGINT;
    case DLTC_TYPE_BIGINT:
        return bigint_fits_wei(v->u.s, v->len) ? DLTC_DT_WEI : DLTC_DT_TEXT;
    case DLTC_TYPE_DOUBLE:
        return DLTC_DT_DOUBLE;
    case DLTC_TYPE_STRING:
        return DLTC_DT_TEXT;
    case DLTC_TYPE_ARRAY:
    case DLTC_TYPE_OBJECT:
        return DLTC_DT_JSON;
    case DLTC_TYPE_TIMESTAMP:
        return DLTC_DT_TIMESTAMP;
    case DLTC_TYPE_DATE:
        return DLTC_DT_DATE;
    case DLTC_TYPE_TIME:
        return DLTC_DT_TIME;
    case DLTC_TYPE_DECIMAL:
        return DLTC_DT_DECIMAL;
    case DLTC_TYPE_BINARY:
        return DLTC_DT_BINARY;
    default:
        return DLTC_DT_UNSET;
    }
}

/* ±5 years around now, in seconds, as dlt's `timestamp` detection */
static int looks_like_unix_ts(double x)
{
    double now = (double)dltc__now_us() / 1e6;
    double span = 5.0 * 365.0 * 86400.0;
    return x > now - span && x < now + span;
}

int dltc__infer_data_type(const dltc_schema *s, const char *col, size_t len, const dltc_value *v,
                          int skip_preferred)
{
    int dt = DLTC_DT_UNSET;
    for (size_t i = 0; i < s->ndetections && dt == DLTC_DT_UNSET; i++) {
        const char *d = s->detections[i];
        if (v->type == DLTC_TYPE_STRING && v->len) {
            dltc_iso iso;
            if (strcmp(d, "iso_timestamp") == 0) {
                if (dltc__iso_parse(v->u.s, v->len, &iso) == 0 && iso.kind == DLTC_ISO_DATETIME)
                    dt = DLTC_DT_TIMESTAMP;
            } else if (strcmp(d, "iso_date") == 0) {
                if (dltc__iso_parse(v->u.s, v->len, &iso) == 0 && iso.kind == DLTC_ISO_DATE)
                    dt = DLTC_DT_DATE;
            }
        } else if ((v->type == DLTC_TYPE_INT || v->type == DLTC_TYPE_DOUBLE) &&
                   strcmp(d, "timestamp") == 0) {
            double x = v->type == DLTC_TYPE_INT ? (double)v->u.i : v->u.d;
            if (looks_like_unix_ts(x))
                dt = DLTC_DT_TIMESTAMP;
        } else if (v->type == DLTC_TYPE_BIGINT && strcmp(d, "wei_to_double") == 0) {
            dt = DLTC_DT_DOUBLE;
        }
    }
    if (dt == DLTC_DT_UNSET)
        dt = dltc__py_type(v);
    if (!skip_preferred) {
        int p = dltc__schema_preferred_type(s, col, len);
        if (p != DLTC_DT_UNSET)
            dt = p;
    }
    return dt;
}

/* ---- text parsers with Python's int()/float() leniency ---- */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' ||
                     *p == '\v'))
        p++;
    return p;
}

/* Python int(text) or 0x-hex (dlt) into int64; 0 ok, 1 no. */
static int text_to_int64(const char *s, size_t n, int64_t *out)
{
    const char *p = skip_ws(s, s + n), *e = s + n;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    int neg = 0;
    if (p < e && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (p == e)
        return 1;
    unsigned base = 10;
    if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    uint64_t acc = 0;
    int digits = 0, last_us = 0;
    for (; p < e; p++) {
        unsigned d;
        if (*p == '_') {
            if (!digits || last_us)
                return 1;
            last_us = 1;
            continue;
        }
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            return 1;
        last_us = 0;
        if (acc > (UINT64_MAX - d) / base)
            return 1;
        acc = acc * base + d;
        digits++;
    }
    if (!digits || last_us)
        return 1;
    if (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)
        return 1;
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

/* Plain number text (Python float() without inf/nan) into a double. */
static int text_to_double(const char *s, size_t n, double *out)
{
    char tmp[128];
    const char *p = skip_ws(s, s + n), *e = s + n;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    size_t len = 0;
    int digits = 0;
    for (const char *q = p; q < e; q++) {
        char c = *q;
        if (c == '_')
            continue;
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return 1;
        digits += c >= '0' && c <= '9';
        if (len + 1 >= sizeof(tmp))
            return 1;
        tmp[len++] = c;
    }
    if (!digits)
        return 1;
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (*end || errno == ERANGE || !isfinite(d))
        return 1;
    *out = d;
    return 0;
}

/* Decimal text: sign, digits, optional fraction (exponent expanded away is not needed). */
static int text_is_decimal(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    int digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (digits && i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        int ed = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, ed++;
        if (!ed)
            return 0;
    }
    return digits && i == n;
}

/* Integral decimal text ("12", "12.000", "-3") → int64 digits check; returns 0 and the
 * integer part length when the fraction is all zeros. */
static int decimal_integral_part(const char *s, size_t n, size_t *int_len)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    *int_len = i;
    if (i < n && s[i] == '.') {
        for (size_t k = i + 1; k < n; k++)
            if (s[k] != '0')
                return 1;
        return 0;
    }
    return i == n ? 0 : 1;
}

static int str2bool(const char *s, size_t n, int *out)
{
    static const char *const yes[] = {"yes", "true", "t", "y", "1"};
    static const char *const no[] = {"no", "false", "f", "n", "0"};
    for (size_t i = 0; i < 5; i++) {
        if (strlen(yes[i]) == n && strncasecmp(yes[i], s, n) == 0)
            return *out = 1, 0;
        if (strlen(no[i]) == n && strncasecmp(no[i], s, n) == 0)
            return *out = 0, 0;
    }
    return 1;
}

static int set_string(dltc_arena *a, dltc_value *out, const char *s, size_t n)
{
    char *p = dltc__arena_strndup(a, s, n);
    if (!p)
        return dltc_error_last()->code;
    dltc__value_set_type(out, DLTC_TYPE_STRING);
    out->u.s = p;
    out->len = (uint32_t)n;
    return 0;
}

static int to_text(dltc_arena *a, const dltc_value *v, dltc_value *out)
{
    char tmp[64];
    size_t n;
    switch (v->type) {
    case DLTC_TYPE_INT:
        n = (size_t)snprintf(tmp, sizeof(tmp), "%lld", (long long)v->u.i);
        return set_string(a, out, tmp, n);
    case DLTC_TYPE_DOUBLE:
        n = dltc__format_double(tmp, v->u.d);
        return set_string(a, out, tmp, n);
    case DLTC_TYPE_BOOL:
        return set_string(a, out, v->u.i ? "True" : "False", v->u.i ? 4 : 5);
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
        return set_string(a, out, v->u.s, v->len);
    case DLTC_TYPE_TIMESTAMP:
        n = (v->flags & DLTC_VF_TZ) ? dltc__format_timestamp(tmp, v->u.i)
                                    : dltc__format_timestamp_naive(tmp, v->u.i);
        return set_string(a, out, tmp, n);
    case DLTC_TYPE_DATE:
        n = dltc__format_date(tmp, (int32_t)v->u.i);
        return set_string(a, out, tmp, n);
    case DLTC_TYPE_TIME:
        n = dltc__format_time(tmp, v->u.i);
        return set_string(a, out, tmp, n);
    case DLTC_TYPE_BINARY: {
        char *b = dltc__arena_alloc(a, 4 * ((size_t)v->len / 3 + 1) + 1);
        if (!b)
            return dltc_error_last()->code;
        n = dltc__base64_encode((const uint8_t *)v->u.s, v->len, b, 1);
        dltc__value_set_type(out, DLTC_TYPE_STRING);
        out->u.s = b;
        out->len = (uint32_t)n;
        return 0;
    }
    case DLTC_TYPE_ARRAY:
    case DLTC_TYPE_OBJECT: {
        dltc_buf b = DLTC_BUF_INIT;
        int rc = dltc__json_write(&b, v);
        if (!rc)
            rc = set_string(a, out, b.data, b.len);
        dltc__buf_free(&b);
        return rc;
    }
    default:
        return 1;
    }
}

static void set_ts(dltc_value *out, int64_t us, const dltc_column *col)
{
    dltc__value_set_type(out, DLTC_TYPE_TIMESTAMP);
    out->u.i = us;
    out->flags = col->timezone == 0 ? 0 : DLTC_VF_TZ;
}

/* Unix seconds (double) to µs within years 1..9999 */
static int unix_to_us(double secs, int64_t *out)
{
    if (!isfinite(secs) || secs < -62135596800.0 || secs > 253402300799.0)
        return 1;
    *out = (int64_t)llround(secs * 1e6);
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int dltc__coerce_value(dltc_arena *a, const dltc_column *col, const dltc_value *v,
                       dltc_value *out)
{
    int to = col->data_type;
    int from = dltc__py_type(v);
    if (to == from && !(to == DLTC_DT_TEXT && v->type != DLTC_TYPE_STRING)) {
        *out = *v;
        if (to == DLTC_DT_TIMESTAMP)
            out->flags = col->timezone == 0 ? 0 : DLTC_VF_TZ;
        return 0;
    }
    switch (to) {
    case DLTC_DT_TEXT:
        return to_text(a, v, out);
    case DLTC_DT_BIGINT: {
        int64_t i;
        if (v->type == DLTC_TYPE_STRING) {
            if (text_to_int64(v->u.s, v->len, &i))
                return 1;
        } else if (v->type == DLTC_TYPE_DOUBLE) {
            if (!isfinite(v->u.d) || v->u.d != floor(v->u.d) || fabs(v->u.d) >= 9.2e18)
                return 1;
            i = (int64_t)v->u.d;
        } else if (v->type == DLTC_TYPE_DECIMAL) {
            size_t il;
            char tmp[32];
            if (decimal_integral_part(v->u.s, v->len, &il) || il >= sizeof(tmp))
                return 1;
            memcpy(tmp, v->u.s, il);
            tmp[il] = '\0';
            if (text_to_int64(tmp, il, &i))
                return 1;
        } else {
            return 1; /* bool, wei beyond int64, temporal, json, binary */
        }
        dltc__value_set_type(out, DLTC_TYPE_INT);
        out->u.i = i;
        return 0;
    }
    case DLTC_DT_DOUBLE: {
        double d;
        if (v->type == DLTC_TYPE_INT)
            d = (double)v->u.i;
        else if (v->type == DLTC_TYPE_STRING || v->type == DLTC_TYPE_BIGINT ||
                 v->type == DLTC_TYPE_DECIMAL) {
            if (text_to_double(v->u.s, v->len, &d))
                return 1;
        } else
            return 1;
        dltc__value_set_type(out, DLTC_TYPE_DOUBLE);
        out->u.d = d;
        return 0;
    }
    case DLTC_DT_DECIMAL:
    case DLTC_DT_WEI: {
        char tmp[64];
        const char *txt;
        size_t n;
        if (v->type == DLTC_TYPE_INT) {
            n = (size_t)snprintf(tmp, sizeof(tmp), "%lld", (long long)v->u.i);
            txt = tmp;
        } else if (v->type == DLTC_TYPE_DOUBLE) {
            if (!isfinite(v->u.d))
                return 1;
            if (to == DLTC_DT_WEI && v->u.d != floor(v->u.d))
                return 1;
            n = to == DLTC_DT_WEI ? (size_t)snprintf(tmp, sizeof(tmp), "%.0f", v->u.d)
                                  : dltc__format_double(tmp, v->u.d);
            txt = tmp;
        } else if (v->type == DLTC_TYPE_STRING || v->type == DLTC_TYPE_BIGINT ||
                   v->type == DLTC_TYPE_DECIMAL) {
            txt = v->u.s;
            n = v->len;
            if (!text_is_decimal(txt, n))
                return 1;
            if (to == DLTC_DT_WEI) {
                size_t il;
                if (decimal_integral_part(txt, n, &il) || memchr(txt, 'e', n) ||
                    memchr(txt, 'E', n))
                    return 1;
                n = il;
            }
        } else
            return 1;
        char *p = dltc__arena_strndup(a, txt, n);
        if (!p)
            return dltc_error_last()->code;
        dltc__value_set_type(out, to == DLTC_DT_WEI ? DLTC_TYPE_BIGINT : DLTC_TYPE_DECIMAL);
        out->u.s = p;
        out->len = (uint32_t)n;
        return 0;
    }
    case DLTC_DT_BOOL: {
        int b;
        if (v->type == DLTC_TYPE_STRING) {
            if (str2bool(v->u.s, v->len, &b))
                return 1;
        } else if (v->type == DLTC_TYPE_INT) {
            b = v->u.i != 0;
        } else if (v->type == DLTC_TYPE_DOUBLE) {
            b = v->u.d != 0.0;
        } else if (v->type == DLTC_TYPE_DECIMAL || v->type == DLTC_TYPE_BIGINT) {
            double d;
            if (text_to_double(v->u.s, v->len, &d))
                return 1;
            b = d != 0.0;
        } else
            return 1;
        dltc__value_set_type(out, DLTC_TYPE_BOOL);
        out->u.i = b;
        return 0;
    }
    case DLTC_DT_TIMESTAMP: {
        int64_t us;
        if (v->type == DLTC_TYPE_STRING) {
            dltc_iso iso;
            if (dltc__iso_parse(v->u.s, v->len, &iso))
                return 1;
            if (iso.kind == DLTC_ISO_DATETIME)
                us = iso.value;
            else if (iso.kind == DLTC_ISO_DATE)
                us = iso.value * 86400LL * 1000000LL;
            else
                return 1;
        } else if (v->type == DLTC_TYPE_INT) {
            if (unix_to_us((double)v->u.i, &us))
                return 1;
            us = v->u.i * 1000000LL;
        } else if (v->type == DLTC_TYPE_DOUBLE) {
            if (unix_to_us(v->u.d, &us))
                return 1;
        } else if (v->type == DLTC_TYPE_DATE) {
            us = v->u.i * 86400LL * 1000000LL;
        } else
            return 1;
        set_ts(out, us, col);
        return 0;
    }
    case DLTC_DT_DATE: {
        int64_t days;
        if (v->type == DLTC_TYPE_STRING) {
            dltc_iso iso;
            if (dltc__iso_parse(v->u.s, v->len, &iso))
                return 1;
            if (iso.kind == DLTC_ISO_DATE)
                days = iso.value;
            else if (iso.kind == DLTC_ISO_DATETIME)
                days = floor_div(iso.value, 86400LL * 1000000LL);
            else
                return 1;
        } else if (v->type == DLTC_TYPE_TIMESTAMP) {
            days = floor_div(v->u.i, 86400LL * 1000000LL);
        } else if (v->type == DLTC_TYPE_INT || v->type == DLTC_TYPE_DOUBLE) {
            int64_t us;
            if (unix_to_us(v->type == DLTC_TYPE_INT ? (double)v->u.i : v->u.d, &us))
                return 1;
            days = floor_div(us, 86400LL * 1000000LL);
        } else
            return 1;
        dltc__value_set_type(out, DLTC_TYPE_DATE);
        out->u.i = days;
        return 0;
    }
    case DLTC_DT_TIME: {
        if (v->type != DLTC_TYPE_STRING)
            return 1;
        dltc_iso iso;
        if (dltc__iso_parse(v->u.s, v->len, &iso) || iso.kind != DLTC_ISO_TIME)
            return 1;
        dltc__value_set_type(out, DLTC_TYPE_TIME);
        out->u.i = iso.value;
        return 0;
    }
    case DLTC_DT_BINARY: {
        if (v->type == DLTC_TYPE_STRING) {
            const char *s = v->u.s;
            size_t n = v->len;
            uint8_t *buf = dltc__arena_alloc(a, n / 2 + n + 4);
            if (!buf)
                return dltc_error_last()->code;
            long got;
            if (n >= 2 && s[0] == '0' && s[1] == 'x') {
                if ((n - 2) % 2)
                    return 1;
                got = 0;
                for (size_t i = 2; i < n; i += 2) {
                    int hi = s[i], lo = s[i + 1], h, l;
                    h = (hi >= '0' && hi <= '9') ? hi - '0'
                        : (hi >= 'a' && hi <= 'f') ? hi - 'a' + 10
                        : (hi >= 'A' && hi <= 'F') ? hi - 'A' + 10 : -1;
                    l = (lo >= '0' && lo <= '9') ? lo - '0'
                        : (lo >= 'a' && lo <= 'f') ? lo - 'a' + 10
                        : (lo >= 'A' && lo <= 'F') ? lo - 'A' + 10 : -1;
                    if (h < 0 || l < 0)
                        return 1;
                    buf[got++] = (uint8_t)(h * 16 + l);
                }
            } else {
                if (n % 4)
                    return 1; /* strict base64 needs padding */
                got = dltc__base64_decode(s, n, buf);
                if (got < 0)
                    return 1;
            }
            dltc__value_set_type(out, DLTC_TYPE_BINARY);
            out->u.s = (const char *)buf;
            out->len = (uint32_t)got;
            return 0;
        }
        if (v->type == DLTC_TYPE_INT && v->u.i >= 0) {
            uint8_t *buf = dltc__arena_alloc(a, 8);
            if (!buf)
                return dltc_error_last()->code;
            uint64_t x = (uint64_t)v->u.i;
            uint32_t n = 0;
            while (x) {
                buf[n++] = (uint8_t)(x & 0xff);
                x >>= 8;
            }
            dltc__value_set_type(out, DLTC_TYPE_BINARY);
            out->u.s = (const char *)buf;
            out->len = n;
            return 0;
        }
        return 1;
    }
    case DLTC_DT_JSON: {
        if (v->type != DLTC_TYPE_STRING)
            return 1;
        dltc_value *parsed;
        dltc_json_error err;
        if (dltc__json_parse(a, v->u.s, v->len, 512, &parsed, &err))
            return 1;
        *out = *parsed;
        return 0;
    }
    default:
        return 1;
    }
}
