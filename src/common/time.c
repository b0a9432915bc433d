/*
 * ISO-8601 parsing exactly as dlt 1.26 does it, and Python isoformat() output.
 *
 * What dlt does (dlt/common/time.py, parse_iso_like_datetime):
 *     try:    v = pendulum.parsing.parse_iso8601(s)          # step 1
 *     except ValueError:
 *             v = pendulum.parsing._parse_common(s, day_first=False, ...)   # step 2
 *     datetime -> DATETIME, date -> DATE, time -> TIME, anything else (Duration) -> error
 * dlt's `iso_timestamp` detection (dlt/common/schema/detections.py) types a new column as
 * timestamp only when the result is a datetime; coercion of text into timestamp/date/time
 * columns goes through the same function.
 *
 * STEP 1 — pendulum 3.2 `parse_iso8601`, the Rust extension (rust/src/parsing.rs and
 * rust/src/python/parsing.rs of sdispater/pendulum; ordinal-day fix of PR #918, released in
 * 3.2.0). Byte-exact grammar, no whitespace anywhere, ASCII digits only, 'T' 'W' 'Z' 'P'
 * upper case only:
 *
 *   input    := 'P' …                          a duration/interval: never a date (fails)
 *             | 'T' time                       time only (extended = no)
 *             | DD ':' time-rest               time only "hh:…" (extended = yes)
 *             | date [ ('T' | ' ') time ]      must consume everything (no intervals)
 *   date     := YYYY '-' 'W' ww [ '-' d ]      ISO week, extended   (day 1 when absent)
 *             | YYYY '-' MM [ '-' DD ]         extended; "YYYY-MM" alone is day 1
 *             | YYYY '-' DDD                   ordinal, extended (MM + one digit)
 *             | YYYY 'W' ww [ d ]              ISO week, basic
 *             | YYYY MM DD | YYYY DDD          basic (DDD when the 7th digit ends the date)
 *   time     := hh [ ':' mm [ ':' ss [frac] ] | mm [ ss [frac] ] ] [ tz ]
 *               after 'T'/' ' the hour is read first; the minute/second part is skipped when
 *               the next byte is end, 'Z', '+' or '-'.
 *               "hh:mm:ss" needs an extended date (or none after "hh:"); "hhmm[ss]" needs a
 *               basic date. So "T10:00:00" and "20240101T10:00:00" fail, "20240101T10:00"
 *               is accepted.
 *   frac     := ('.' | ',') digit+             first 6 digits kept, the rest truncated
 *   tz       := 'Z' | ('+'|'-') hh [':'] [mm]  minutes optional (also "+05:"), not
 *                                              range-checked (+05:75 = 6h15); > +24:00 fails
 *   ISO week: week <= 52, or 53 in long years; day 0..7; ordinal spills into the adjacent
 *   year (2020-W53-7 is 2021-01-03). Ordinal days must be 1..365/366.
 *   Then Python builds date/time/datetime: year 1..9999, month 1..12, valid day, hour
 *   0..23 (24:00 fails), minute/second 0..59 (leap second 60 fails). A failure here is a
 *   ValueError too, so it falls back to step 2.
 *
 * STEP 2 — pendulum `_parse_common` (src/pendulum/parsing/__init__.py), the regex COMMON:
 *     ^ ( \d{4} ( [/:]? \d{2} [/:]? \d{2} )? )?
 *       ( \x20? \d{1,2} : \d{1,2}? ( : \d{1,2} )? ( [.|,] \d{1,9} )? )? $
 *   with Python `re` semantics: \d is any Unicode decimal digit (int() reads them), `$`
 *   also matches before one trailing "\n", first match in backtracking order wins. Then:
 *   no date -> year 0, month/day default 1; no time -> date(y, m, d) (so "" fails: year
 *   0); absent minute -> TypeError (fails); fraction truncated to 6 digits; with a date ->
 *   naive datetime, else naive time. Hence "2024" is a date, "2024/01/15" a date,
 *   "2024 10:00" a datetime (Jan 1), "20240101 10:00:00" a datetime, "1:30" a time,
 *   "10:00:00|5" a time, " 10:00" a time.
 *
 * Facts (checked against those sources): "2016-W05-5", "2016W055", "2016-036", "2016036"
 * and "2024-01" are dates; "2024" and "1234" are dates (year only, via step 2); "2024-01-01T10"
 * is a datetime; "+05" and "+0530" offsets are accepted; ",5" fractions work; "24:00:00",
 * ":60", lowercase 't'/'z', surrounding whitespace (except the step 2 cases above), "" and
 * bare numbers of 5+ digits fail.
 *
 * Where we knowingly differ from the Python objects: offsets of 24h or more and datetimes
 * whose UTC value leaves years 1..9999 are rejected here; Python builds them but fails as
 * soon as dlt converts them to UTC.
 */
#include "common/time.h"
#include "common/error.h"

#include <time.h>

typedef struct {
    int year, month, day;
    int hour, minute, second, usec;
    int has_date, has_time, has_offset;
    int offset_min; /* signed minutes */
} iso_fields;

/* ------------------------------------------------------------------------------------ */
/* Calendar helpers                                                                     */
/* ------------------------------------------------------------------------------------ */

int64_t dltc__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void dltc__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int64_t dltc__now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------------------------ */
/* Unicode decimal digits (Python's \d and int()); Unicode 15.1 = Python 3.12/3.13.      */
/* Every Nd block is ten consecutive code points starting with digit zero.              */
/* ------------------------------------------------------------------------------------ */

static const uint32_t ND_ZEROS[] = {
    0x30,    0x660,   0x6f0,   0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,   0xb66,   0xbe6,
    0xc66,   0xce6,   0xd66,   0xde6,   0xe50,   0xed0,   0xf20,   0x1040,  0x1090,  0x17e0,
    0x1810,  0x1946,  0x19d0,  0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,
    0xa8d0,  0xa900,  0xa9d0,  0xa9f0,  0xaa50,  0xabf0,  0xff10,  0x104a0, 0x10d30, 0x11066,
    0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0,
    0x11950, 0x11c50, 0x11d50, 0x11da0, 0x11f50, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8,
    0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e4f0, 0x1e950, 0x1fbf0};

int dltc__unicode_digit(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9' ? (int)(cp - '0') : -1;
    if (cp < 0x660)
        return -1;
    size_t lo = 0, hi = sizeof(ND_ZEROS) / sizeof(ND_ZEROS[0]);
    while (hi - lo > 1) { /* last zero <= cp */
        size_t mid = (lo + hi) / 2;
        if (ND_ZEROS[mid] <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return cp - ND_ZEROS[lo] < 10 ? (int)(cp - ND_ZEROS[lo]) : -1;
}

size_t dltc__utf8_next(const char *str, size_t len, size_t i, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xfffd;
        return 1;
    }
    if (len - i < n) {
        *cp = 0xfffd;
        return 1;
    }
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = v << 6 | (s[i + k] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = v;
    return n;
}

/* ------------------------------------------------------------------------------------ */
/* Step 1: pendulum's Rust parse_iso8601                                                 */
/* ------------------------------------------------------------------------------------ */

typedef struct {
    const unsigned char *s;
    size_t len;
    size_t i;
} cursor;

static inline int cur(const cursor *c)
{
    return c->i < c->len ? c->s[c->i] : 0;
}

static inline int at_end(const cursor *c)
{
    return c->i >= c->len;
}

static inline int is_tz_start(int ch)
{
    return ch == 'Z' || ch == '+' || ch == '-';
}

/* Exactly n ASCII digits. */
static int read_int(cursor *c, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        int ch = cur(c);
        if (at_end(c) || ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
        c->i++;
    }
    *out = v;
    return 0;
}

/* After '.' or ',': one digit at least, six kept, the rest dropped. */
static int read_fraction(cursor *c, int *usec)
{
    c->i++;
    int v = 0, k = 0;
    for (; k < 6; k++) {
        int ch = cur(c);
        if (ch < '0' || ch > '9')
            break;
        v = v * 10 + (ch - '0');
        c->i++;
    }
    if (k == 0)
        return -1;
    while (cur(c) >= '0' && cur(c) <= '9')
        c->i++;
    for (; k < 6; k++)
        v *= 10;
    *usec = v;
    return 0;
}

static int rust_parse_time(cursor *c, iso_fields *f, int skip_hour, int extended)
{
    if (!skip_hour && cur(c) != 'T' && cur(c) != ' ')
        return -1;
    f->has_time = 1;
    if (!skip_hour) {
        c->i++;
        if (read_int(c, 2, &f->hour))
            return -1;
    }
    if (!at_end(c) && !is_tz_start(cur(c))) {
        if (cur(c) == ':') {
            c->i++;
            if (read_int(c, 2, &f->minute))
                return -1;
            if (!at_end(c) && !is_tz_start(cur(c))) {
                if (cur(c) != ':')
                    return -1;
                c->i++;
                if (read_int(c, 2, &f->second))
                    return -1;
                if ((cur(c) == '.' || cur(c) == ',') && read_fraction(c, &f->usec))
                    return -1;
                if (!extended) /* basic date with extended time */
                    return -1;
            }
        } else {
            if (read_int(c, 2, &f->minute))
                return -1;
            if (!at_end(c) && !is_tz_start(cur(c))) {
                if (read_int(c, 2, &f->second))
                    return -1;
                if ((cur(c) == '.' || cur(c) == ',') && read_fraction(c, &f->usec))
                    return -1;
            }
            if (extended) /* extended date with basic time */
                return -1;
        }
    }
    if (cur(c) == 'Z') {
        f->has_offset = 1;
        f->offset_min = 0;
        c->i++;
    } else if (cur(c) == '+' || cur(c) == '-') {
        int sign = cur(c) == '+' ? 1 : -1, h, m = 0;
        c->i++;
        if (read_int(c, 2, &h))
            return -1;
        if (cur(c) == ':')
            c->i++;
        if (!at_end(c) && read_int(c, 2, &m))
            return -1;
        int total = (m + h * 60) * sign;
        if (total > 24 * 60)
            return -1;
        f->has_offset = 1;
        f->offset_min = total;
    }
    return 0;
}

static int p_year(int y)
{
    return y + y / 4 - y / 100 + y / 400;
}

static int is_long_year(int y)
{
    return p_year(y) % 7 == 4 || p_year(y - 1) % 7 == 3;
}

/* ISO weekday (1 = Monday … 7 = Sunday), Sakamoto as pendulum writes it. */
static int week_day(int y, int m, int d)
{
    static const int t[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    y -= m < 3;
    int w = (p_year(y) + t[m - 1] + d) % 7;
    return w == 0 ? 7 : (w < 0 ? -w : w);
}

static int days_in_year(int y)
{
    return is_leap(y) ? 366 : 365;
}

static int ordinal_to_ymd(iso_fields *f, int year, int ord, int allow_out_of_bounds)
{
    int y = year;
    if (ord < 1) {
        if (!allow_out_of_bounds)
            return -1;
        ord += days_in_year(year - 1);
        y--;
    }
    if (ord > days_in_year(y)) {
        if (!allow_out_of_bounds)
            return -1;
        ord -= days_in_year(y);
        y++;
    }
    int m = 1;
    while (ord > days_in_month(y, m)) {
        ord -= days_in_month(y, m);
        m++;
    }
    f->year = y;
    f->month = m;
    f->day = ord;
    return 0;
}

static int iso_week_to_ymd(iso_fields *f, int year, int week, int wday)
{
    if (week > 53 || (week > 52 && !is_long_year(year)))
        return -1;
    if (wday > 7)
        return -1;
    int ord = week * 7 + wday - (week_day(year, 1, 4) + 3);
    return ordinal_to_ymd(f, year, ord, 1);
}

static int rust_parse(const char *s, size_t len, iso_fields *f)
{
    cursor c = {(const unsigned char *)s, len, 0};
    int v;
    if (cur(&c) == 'P') /* duration or interval: parses, but is no date/time */
        return -1;
    if (cur(&c) == 'T') {
        if (rust_parse_time(&c, f, 0, 0))
            return -1;
        return at_end(&c) ? 0 : -1;
    }
    if (read_int(&c, 2, &v))
        return -1;
    if (cur(&c) == ':') { /* "hh:…" time in extended format */
        f->hour = v;
        if (rust_parse_time(&c, f, 1, 1))
            return -1;
        return at_end(&c) ? 0 : -1;
    }
    int lo, extended = 0;
    if (read_int(&c, 2, &lo))
        return -1;
    f->has_date = 1;
    int year = v * 100 + lo;
    f->year = year;
    if (cur(&c) == '-') {
        c.i++;
        extended = 1;
        if (cur(&c) == 'W') {
            int week, wday = 1;
            c.i++;
            if (read_int(&c, 2, &week))
                return -1;
            if (!at_end(&c) && cur(&c) != ' ' && cur(&c) != 'T') {
                if (cur(&c) != '-')
                    return -1;
                c.i++;
                if (read_int(&c, 1, &wday))
                    return -1;
            }
            if (iso_week_to_ymd(f, year, week, wday))
                return -1;
        } else {
            if (read_int(&c, 2, &f->month))
                return -1;
            if (!at_end(&c) && cur(&c) != ' ' && cur(&c) != 'T') {
                if (cur(&c) == '-') {
                    c.i++;
                    if (read_int(&c, 2, &f->day))
                        return -1;
                } else {
                    int d;
                    if (read_int(&c, 1, &d) || ordinal_to_ymd(f, year, f->month * 10 + d, 0))
                        return -1;
                }
            } else {
                f->day = 1;
            }
        }
    } else if (cur(&c) == 'W') {
        int week, wday = 1;
        c.i++;
        if (read_int(&c, 2, &week))
            return -1;
        if (!at_end(&c) && cur(&c) != ' ' && cur(&c) != 'T' && read_int(&c, 1, &wday))
            return -1;
        if (iso_week_to_ymd(f, year, week, wday))
            return -1;
    } else {
        int d1, d2;
        if (read_int(&c, 2, &f->month) || read_int(&c, 1, &d1))
            return -1;
        if (at_end(&c) || cur(&c) == ' ' || cur(&c) == 'T') {
            if (ordinal_to_ymd(f, year, f->month * 10 + d1, 0))
                return -1;
        } else {
            if (read_int(&c, 1, &d2))
                return -1;
            f->day = d1 * 10 + d2;
        }
    }
    if (!at_end(&c) && rust_parse_time(&c, f, 0, extended))
        return -1;
    return at_end(&c) ? 0 : -1; /* intervals ("…/…") are not dates either */
}

/* ------------------------------------------------------------------------------------ */
/* Step 2: pendulum's COMMON regex, with Python re backtracking order                    */
/* ------------------------------------------------------------------------------------ */

typedef struct {
    const char *s;
    size_t len;
} text;

/* A \d at byte i: its value and the byte after it; -1 if none. */
static inline int udigit(const text *t, size_t i, size_t *next)
{
    if (i >= t->len)
        return -1;
    unsigned char b = (unsigned char)t->s[i];
    if (b < 0x80) {
        *next = i + 1;
        return b >= '0' && b <= '9' ? b - '0' : -1;
    }
    uint32_t cp;
    size_t n = dltc__utf8_next(t->s, t->len, i, &cp);
    *next = i + n;
    return dltc__unicode_digit(cp);
}

/* Up to `max` digits from i: sets ends[k] = byte after k+1 digits, vals[k] = value of the
 * first k+1 digits. Returns how many digits are there (<= max). */
static int digit_run(const text *t, size_t i, int max, size_t *ends, int *vals)
{
    int k = 0, v = 0;
    while (k < max) {
        size_t nx;
        int d = udigit(t, i, &nx);
        if (d < 0)
            break;
        v = v * 10 + d;
        ends[k] = nx;
        vals[k] = v;
        i = nx;
        k++;
    }
    return k;
}

static inline int at_dollar(const text *t, size_t i)
{
    return i == t->len || (i + 1 == t->len && t->s[i] == '\n');
}

/* The optional time group followed by `$`, tried in regex order. */
static int common_time(const text *t, size_t p, iso_fields *f)
{
    size_t he[2], me[2], se[2], fe[9];
    int hv[2], mv[2], sv[2], fv[9];
    for (int sep = (p < t->len && t->s[p] == ' ') ? 1 : 0; sep >= 0; sep--) {
        size_t q = p + (size_t)sep;
        int nh = digit_run(t, q, 2, he, hv);
        for (int h = nh; h >= 1; h--) {
            size_t r = he[h - 1];
            if (r >= t->len || t->s[r] != ':')
                continue;
            r++;
            int nm = digit_run(t, r, 2, me, mv);
            for (int m = nm; m >= 0; m--) {
                size_t u = m ? me[m - 1] : r;
                /* optional ":ss" */
                int ns = 0;
                if (u < t->len && t->s[u] == ':')
                    ns = digit_run(t, u + 1, 2, se, sv);
                for (int sx = ns; sx >= 0; sx--) { /* sx = 0: group absent */
                    size_t w = sx ? se[sx - 1] : u;
                    /* optional [.|,] \d{1,9} */
                    int nf = 0;
                    if (w < t->len && (t->s[w] == '.' || t->s[w] == '|' || t->s[w] == ','))
                        nf = digit_run(t, w + 1, 9, fe, fv);
                    for (int fx = nf; fx >= 0; fx--) {
                        size_t end = fx ? fe[fx - 1] : w;
                        if (!at_dollar(t, end))
                            continue;
                        if (m == 0) /* int(None): TypeError */
                            return -1;
                        f->has_time = 1;
                        f->hour = hv[h - 1];
                        f->minute = mv[m - 1];
                        f->second = sx ? sv[sx - 1] : 0;
                        f->usec = 0;
                        if (fx) { /* first six digits, right-padded */
                            int k = fx < 6 ? fx : 6, us = fv[k - 1];
                            for (; k < 6; k++)
                                us *= 10;
                            f->usec = us;
                        }
                        return 0;
                    }
                }
            }
        }
    }
    if (at_dollar(t, p)) /* time group absent */
        return 0;
    return 1; /* no match from here: backtrack */
}

static int common_parse(const char *s, size_t len, iso_fields *f)
{
    text t = {s, len};
    size_t ye[4], e2[2];
    int yv[4], v2[2];
    int rc;
    if (digit_run(&t, 0, 4, ye, yv) == 4) {
        size_t p = ye[3];
        /* month/day: [/:]? \d{2} [/:]? \d{2}; separators are greedy but never digits */
        size_t q = p;
        if (q < len && (s[q] == '/' || s[q] == ':'))
            q++;
        if (digit_run(&t, q, 2, e2, v2) == 2) {
            int month = v2[1];
            q = e2[1];
            if (q < len && (s[q] == '/' || s[q] == ':'))
                q++;
            if (digit_run(&t, q, 2, e2, v2) == 2) {
                iso_fields g = *f;
                rc = common_time(&t, e2[1], &g);
                if (rc <= 0) {
                    if (rc < 0)
                        return -1;
                    *f = g;
                    f->has_date = 1;
                    f->year = yv[3];
                    f->month = month;
                    f->day = v2[1];
                    return 0;
                }
            }
        }
        iso_fields g = *f; /* year only */
        rc = common_time(&t, p, &g);
        if (rc <= 0) {
            if (rc < 0)
                return -1;
            *f = g;
            f->has_date = 1;
            f->year = yv[3];
            f->month = 1;
            f->day = 1;
            return 0;
        }
    }
    rc = common_time(&t, 0, f); /* no date */
    if (rc)
        return -1;
    if (!f->has_time) /* date(0, 1, 1) */
        return -1;
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Building the value as Python's constructors would                                     */
/* ------------------------------------------------------------------------------------ */

#define US_PER_DAY 86400000000LL

static int build(const iso_fields *f, dltc_iso *out)
{
    if (f->has_date) {
        if (f->year < 1 || f->year > 9999 || f->month < 1 || f->month > 12 || f->day < 1 ||
            f->day > days_in_month(f->year, f->month))
            return -1;
    }
    int64_t tod = 0;
    if (f->has_time) {
        if (f->hour > 23 || f->minute > 59 || f->second > 59)
            return -1;
        if (f->has_offset && (f->offset_min >= 24 * 60 || f->offset_min <= -24 * 60))
            return -1;
        tod = ((int64_t)f->hour * 3600 + f->minute * 60 + f->second) * 1000000 + f->usec;
    }
    int64_t shift = f->has_offset ? (int64_t)f->offset_min * 60000000 : 0;
    out->has_tz = f->has_offset;
    out->tz_offset = f->has_offset ? f->offset_min * 60 : 0;
    if (f->has_date && f->has_time) {
        int64_t days = dltc__days_from_civil(f->year, (unsigned)f->month, (unsigned)f->day);
        int64_t us = days * US_PER_DAY + tod - shift;
        /* 0001-01-01 .. 9999-12-31 in UTC, as Python's astimezone requires */
        if (us < -62135596800000000LL || us >= 253402300800000000LL)
            return -1;
        out->kind = DLTC_ISO_DATETIME;
        out->value = us;
    } else if (f->has_date) {
        out->kind = DLTC_ISO_DATE;
        out->value = dltc__days_from_civil(f->year, (unsigned)f->month, (unsigned)f->day);
    } else {
        int64_t us = (tod - shift) % US_PER_DAY;
        out->kind = DLTC_ISO_TIME;
        out->value = us < 0 ? us + US_PER_DAY : us;
    }
    return 0;
}

int dltc__iso_parse(const char *s, size_t len, dltc_iso *out)
{
    iso_fields f = {0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    if (rust_parse(s, len, &f) == 0 && build(&f, out) == 0)
        return 0;
    iso_fields g = {0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    if (common_parse(s, len, &g) == 0 && build(&g, out) == 0)
        return 0;
    return dltc__error_set(DLTC_EPARSE, "not an ISO 8601 date, time or datetime: \"%.*s\"",
                           len > 64 ? 64 : (int)len, s ? s : "");
}

/* ------------------------------------------------------------------------------------ */
/* Formatting (Python isoformat)                                                         */
/* ------------------------------------------------------------------------------------ */

static char *put_num(char *p, int64_t v, int width)
{
    if (width == 2 && v >= 0 && v < 100) { /* the fields of a date and a time */
        p[0] = (char)('0' + v / 10);
        p[1] = (char)('0' + v % 10);
        return p + 2;
    }
    if (width == 4 && v >= 0 && v < 10000) {
        p[0] = (char)('0' + v / 1000);
        p[1] = (char)('0' + v / 100 % 10);
        p[2] = (char)('0' + v / 10 % 10);
        p[3] = (char)('0' + v % 10);
        return p + 4;
    }
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (int k = n; k < width; k++)
        *p++ = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_date(char *p, int64_t days)
{
    int64_t y;
    unsigned m, d;
    dltc__civil_from_days(days, &y, &m, &d);
    p = put_num(p, y, 4);
    *p++ = '-';
    p = put_num(p, m, 2);
    *p++ = '-';
    return put_num(p, d, 2);
}

static char *put_time(char *p, int64_t us)
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    p = put_num(p, secs / 3600, 2);
    *p++ = ':';
    p = put_num(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_num(p, secs % 60, 2);
    if (frac) {
        *p++ = '.';
        p = put_num(p, frac, 6);
    }
    return p;
}

static size_t format_datetime(char *out, int64_t us, int aware)
{
    int64_t days = us / US_PER_DAY, tod = us % US_PER_DAY;
    if (tod < 0) {
        tod += US_PER_DAY;
        days--;
    }
    char *p = put_date(out, days);
    *p++ = 'T';
    p = put_time(p, tod);
    if (aware) {
        static const char utc[] = "+00:00";
        for (size_t k = 0; k < sizeof(utc) - 1; k++)
            *p++ = utc[k];
    }
    *p = '\0';
    return (size_t)(p - out);
}

size_t dltc__format_timestamp(char *out, int64_t us_utc)
{
    return format_datetime(out, us_utc, 1);
}

size_t dltc__format_timestamp_naive(char *out, int64_t us)
{
    return format_datetime(out, us, 0);
}

size_t dltc__format_date(char *out, int32_t days)
{
    char *p = put_date(out, days);
    *p = '\0';
    return (size_t)(p - out);
}

size_t dltc__format_time(char *out, int64_t us)
{
    us %= US_PER_DAY;
    if (us < 0)
        us += US_PER_DAY;
    char *p = put_time(out, us);
    *p = '\0';
    return (size_t)(p - out);
}
