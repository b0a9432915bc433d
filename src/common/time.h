/* ISO-8601 parsing as dlt does it (pendulum's parse_iso8601 behind dlt's
 * parse_iso_like_datetime) and formatting as Python's isoformat() does it.
 * Datetimes are microseconds since the Unix epoch (UTC); dates are days since the epoch;
 * times are microseconds since midnight. */
#ifndef DLTC_COMMON_TIME_H
#define DLTC_COMMON_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DLTC_ISO_DATETIME = 1, /* a date with a time */
    DLTC_ISO_DATE = 2,     /* a date alone */
    DLTC_ISO_TIME = 3      /* a time alone */
} dltc_iso_kind;

typedef struct {
    int kind;          /* dltc_iso_kind */
    int64_t value;     /* DATETIME: µs since epoch, already shifted to UTC by the offset;
                          DATE: days since epoch; TIME: µs since midnight, also shifted to
                          UTC by the offset (modulo 24 h), as dlt's ensure_pendulum_time */
    int has_tz;        /* an offset or Z was given (naive datetimes are taken as UTC) */
    int32_t tz_offset; /* the given offset in seconds (informational) */
} dltc_iso;

/* Parse an ISO-8601 string. 0 on success; DLTC_EPARSE (last error set with a short reason)
 * when it is not a date, time or datetime dlt would accept. Pure, thread-safe. */
int dltc__iso_parse(const char *s, size_t len, dltc_iso *out);

/* Python isoformat() of an aware UTC datetime: "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00".
 * `out` needs DLTC_ISO_MAX bytes; returns the length. */
#define DLTC_ISO_MAX 48
size_t dltc__format_timestamp(char *out, int64_t us_utc);
/* Naive variant without the offset ("…T10:00:00"). */
size_t dltc__format_timestamp_naive(char *out, int64_t us);
size_t dltc__format_date(char *out, int32_t days);  /* "YYYY-MM-DD" */
size_t dltc__format_time(char *out, int64_t us);    /* "HH:MM:SS[.ffffff]" */

/* Proleptic Gregorian helpers (Howard Hinnant's algorithms). */
int64_t dltc__days_from_civil(int64_t y, unsigned m, unsigned d);
void dltc__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Current time in µs since the epoch (CLOCK_REALTIME). */
int64_t dltc__now_us(void);

/* Unicode helpers for Python compatibility, shared with schema/naming.c (they could move to
 * a common/unicode.h). Value 0..9 of a Unicode decimal digit (category Nd: what Python's
 * regex \d matches and int() reads), -1 for anything else. Pure, thread-safe. */
int dltc__unicode_digit(uint32_t cp);
/* Decode the code point at byte i (< len) of UTF-8 text; returns its byte length (>= 1).
 * An invalid or truncated sequence yields U+FFFD for one byte. */
size_t dltc__utf8_next(const char *s, size_t len, size_t i, uint32_t *cp);

#endif
