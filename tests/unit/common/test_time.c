/* ISO-8601 parsing (dlt's parse_iso_like_datetime = pendulum 3.2 parse_iso8601, then
 * pendulum's COMMON regex) and Python isoformat() output. Expected values follow the grammar
 * documented at the top of src/common/time.c. "3.0: no" marks inputs that pendulum 3.0 (before
 * the Rust parser changes of 3.1/3.2) rejected; dlt 1.26 gets pendulum 3.2. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/time.h"
#include "dltc/common.h"

typedef struct {
    const char *in;
    int kind;           /* 0 = must fail */
    int has_tz;
    const char *expect; /* formatted: aware datetimes with "+00:00", naive without */
} iso_case;

static const iso_case CASES[] = {
    /* examples/timestamps.json, variants.json and dlt-core.md §3.2 */
    {"2024-01-01T10:00:00Z", DLTC_ISO_DATETIME, 1, "2024-01-01T10:00:00+00:00"},
    {"2024-01-01 10:00:00", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    {"2024-01-01T10:00:00+05:30", DLTC_ISO_DATETIME, 1, "2024-01-01T04:30:00+00:00"},
    {"2024-01-01T10:00:00.5Z", DLTC_ISO_DATETIME, 1, "2024-01-01T10:00:00.500000+00:00"},
    {"20240101T100000Z", DLTC_ISO_DATETIME, 1, "2024-01-01T10:00:00+00:00"},
    {"2021-07-24 10:51", DLTC_ISO_DATETIME, 0, "2021-07-24T10:51:00"},
    {"2024-01-01", DLTC_ISO_DATE, 0, "2024-01-01"},
    {"10:00:00", DLTC_ISO_TIME, 0, "10:00:00"},
    {"yesterday", 0, 0, NULL},
    {"2024-03-01T00:00:00Z", DLTC_ISO_DATETIME, 1, "2024-03-01T00:00:00+00:00"},
    {"1975-05-21", DLTC_ISO_DATE, 0, "1975-05-21"},
    /* step 1 dates: extended/basic, ISO week (spills into the adjacent year), ordinal,
       year-month */
    {"2016-W05-5", DLTC_ISO_DATE, 0, "2016-02-05"},
    {"2016-W05", DLTC_ISO_DATE, 0, "2016-02-01"},
    {"2016W055", DLTC_ISO_DATE, 0, "2016-02-05"},
    {"2016W05", DLTC_ISO_DATE, 0, "2016-02-01"},
    {"2016-036", DLTC_ISO_DATE, 0, "2016-02-05"},
    {"2016036", DLTC_ISO_DATE, 0, "2016-02-05"},
    {"2024-01", DLTC_ISO_DATE, 0, "2024-01-01"},
    {"2024-01-31", DLTC_ISO_DATE, 0, "2024-01-31"},
    {"2024-02-29", DLTC_ISO_DATE, 0, "2024-02-29"},
    {"2023-02-29", 0, 0, NULL},
    {"2024-13-01", 0, 0, NULL},
    {"2024-00-10", 0, 0, NULL},
    {"2024-1-01", 0, 0, NULL},
    {"2020-W53-7", DLTC_ISO_DATE, 0, "2021-01-03"},
    {"2021-W53", 0, 0, NULL},
    {"2026-W36-1", DLTC_ISO_DATE, 0, "2026-08-31"}, /* last day of a month: pendulum < 3.2 failed */
    {"2024-W13-7", DLTC_ISO_DATE, 0, "2024-03-31"},
    {"2016-W00-1", DLTC_ISO_DATE, 0, "2015-12-28"},
    {"2016-W05-0", DLTC_ISO_DATE, 0, "2016-01-31"},
    {"2016-W05-8", 0, 0, NULL},
    {"2016-366", DLTC_ISO_DATE, 0, "2016-12-31"},
    {"2015-366", 0, 0, NULL},
    {"2016-000", 0, 0, NULL},
    {"0000-01-01", 0, 0, NULL},
    {"9999-12-31", DLTC_ISO_DATE, 0, "9999-12-31"},
    {"0001-01-01", DLTC_ISO_DATE, 0, "0001-01-01"},
    /* step 2 (pendulum COMMON regex): year only, '/' and ':' separators, space before the
       time, '|' fraction, trailing newline */
    {"2024", DLTC_ISO_DATE, 0, "2024-01-01"},
    {"1234", DLTC_ISO_DATE, 0, "1234-01-01"},
    {"1000", DLTC_ISO_DATE, 0, "1000-01-01"},
    {"2024/01/15", DLTC_ISO_DATE, 0, "2024-01-15"},
    {"2024:01:15", DLTC_ISO_DATE, 0, "2024-01-15"},
    {"2024/0115", DLTC_ISO_DATE, 0, "2024-01-15"},
    {"2024 10:00", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    {"20240101 10:00:00", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    {"2024/01/15 10:00:00.123", DLTC_ISO_DATETIME, 0, "2024-01-15T10:00:00.123000"},
    {"2024/01/15\n", DLTC_ISO_DATE, 0, "2024-01-15"},
    {"2024/01/15T10:00", 0, 0, NULL},
    {"1:30", DLTC_ISO_TIME, 0, "01:30:00"},
    {"10:00:00|5", DLTC_ISO_TIME, 0, "10:00:00.500000"},
    {"10:00.5", DLTC_ISO_TIME, 0, "10:00:00.500000"},
    {" 10:00", DLTC_ISO_TIME, 0, "10:00:00"},
    {"10:", 0, 0, NULL},
    {"10::30", 0, 0, NULL},
    {"202410:00", 0, 0, NULL},
    {"\n", 0, 0, NULL},
    /* step 1 datetimes: precision, basic vs extended time, fractions (truncated to µs) */
    {"2024-01-01T10", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    {"2024-01-01T1000", 0, 0, NULL},
    {"2024-01-01T10:00", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    {"20240101T10:00", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    {"20240101T10:00:00", 0, 0, NULL}, /* basic date, extended time with seconds */
    {"20240101T1000", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    {"20240101 10", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    {"2024-01-01T10:00:00,5", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00.500000"},
    {"2024-01-01T10:00:00.1234567", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00.123456"},
    {"2024-01-01T10:00:00.9999999", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00.999999"},
    {"2024-01-01T10:00:00.", 0, 0, NULL},
    {"2024-01-01T10:00:00.000001Z", DLTC_ISO_DATETIME, 1, "2024-01-01T10:00:00.000001+00:00"},
    {"2016-W05-5T10:00:00", DLTC_ISO_DATETIME, 0, "2016-02-05T10:00:00"},
    {"2016036T1000", DLTC_ISO_DATETIME, 0, "2016-02-05T10:00:00"},
    {"2024-01T10:00:00", DLTC_ISO_DATETIME, 0, "2024-01-01T10:00:00"},
    /* offsets: hours only, no colon, trailing colon, minutes not range-checked, < 24 h */
    {"2024-01-01T10:00+05", DLTC_ISO_DATETIME, 1, "2024-01-01T05:00:00+00:00"},
    {"2024-01-01T10:00+0530", DLTC_ISO_DATETIME, 1, "2024-01-01T04:30:00+00:00"},
    {"2024-01-01T10:00:00-08:00", DLTC_ISO_DATETIME, 1, "2024-01-01T18:00:00+00:00"},
    {"2024-01-01T10:00:00+05:", DLTC_ISO_DATETIME, 1, "2024-01-01T05:00:00+00:00"}, /* 3.0: no */
    {"2024-01-01T10:00:00+05:75", DLTC_ISO_DATETIME, 1, "2024-01-01T03:45:00+00:00"}, /* 3.0: no */
    {"2024-01-01T10:00:00+5", 0, 0, NULL},
    {"2024-01-01T10:00:00+05:3", 0, 0, NULL},
    {"2024-01-01T10:00:00+24:00", 0, 0, NULL}, /* Python tzinfo limit */
    {"2024-01-01T10:00:00+23:59", DLTC_ISO_DATETIME, 1, "2023-12-31T10:01:00+00:00"},
    {"2024-01-01T10:00:00-23:59", DLTC_ISO_DATETIME, 1, "2024-01-02T09:59:00+00:00"},
    {"2024-01-01T00:00:00+01:00", DLTC_ISO_DATETIME, 1, "2023-12-31T23:00:00+00:00"},
    {"0001-01-01T00:00:00+01:00", 0, 0, NULL}, /* UTC before year 1 */
    {"0001-01-01T00:00:00-01:00", DLTC_ISO_DATETIME, 1, "0001-01-01T01:00:00+00:00"},
    {"9999-12-31T23:00:00-01:00", 0, 0, NULL},
    {"2024-01-01T10:00:00+05:30:00", 0, 0, NULL},
    {"2024-01-01T10:00:00Z+01:00", 0, 0, NULL},
    {"2024-01-01T10Z", DLTC_ISO_DATETIME, 1, "2024-01-01T10:00:00+00:00"},
    /* times (aware ones shifted to UTC modulo 24 h) */
    {"T10:00", DLTC_ISO_TIME, 0, "10:00:00"},
    {"T1000", DLTC_ISO_TIME, 0, "10:00:00"},
    {"T100000", DLTC_ISO_TIME, 0, "10:00:00"},
    {"T10", DLTC_ISO_TIME, 0, "10:00:00"},
    {"T10:00:00", 0, 0, NULL}, /* no date counts as basic */
    {"10:00", DLTC_ISO_TIME, 0, "10:00:00"},
    {"10:00:00.5", DLTC_ISO_TIME, 0, "10:00:00.500000"},
    {"10:00:00Z", DLTC_ISO_TIME, 1, "10:00:00"},
    {"10:00:00+05:00", DLTC_ISO_TIME, 1, "05:00:00"},
    {"01:00:00+05:00", DLTC_ISO_TIME, 1, "20:00:00"},
    {"23:00:00-02:00", DLTC_ISO_TIME, 1, "01:00:00"},
    {"10:00:00,25", DLTC_ISO_TIME, 0, "10:00:00.250000"},
    {"25:00", 0, 0, NULL},
    {"10:60", 0, 0, NULL},
    /* failures: 24:00, leap second, lower case t/z, whitespace, bare numbers, durations,
       intervals */
    {"", 0, 0, NULL},
    {"24:00:00", 0, 0, NULL},
    {"2024-01-01T24:00:00", 0, 0, NULL},
    {"2024-01-01 24:00", 0, 0, NULL},
    {"20240101 24:00", 0, 0, NULL},
    {"2024-01-01T23:59:60", 0, 0, NULL},
    {"2024-01-01t10:00:00", 0, 0, NULL},
    {"2024-01-01T10:00:00z", 0, 0, NULL},
    {" 2024-01-01", 0, 0, NULL},
    {"2024-01-01 ", 0, 0, NULL},
    {"2024-01-01T10:00:00Z ", 0, 0, NULL},
    {"12", 0, 0, NULL},
    {"12345", 0, 0, NULL},
    {"123456", 0, 0, NULL},
    {"1234567", 0, 0, NULL},
    {"12345678", 0, 0, NULL},
    {"P1D", 0, 0, NULL},
    {"PT0S", 0, 0, NULL},
    {"2024-01-01/2024-02-01", 0, 0, NULL},
    {"2024-01-01T10:00/P1D", 0, 0, NULL},
    {"2024-01-01Z", 0, 0, NULL},
    {"now", 0, 0, NULL},
    /* Unicode digits: only step 2 reads them (Python \d and int()) */
    {"２０２４-01-01", 0, 0, NULL},
    {"２０２４", DLTC_ISO_DATE, 0, "2024-01-01"},
    {"٢٠٢٤/٠١/١٥", DLTC_ISO_DATE, 0, "2024-01-15"},
    {"１:３０", DLTC_ISO_TIME, 0, "01:30:00"},
};

static void format_result(const dltc_iso *r, char *out)
{
    if (r->kind == DLTC_ISO_DATETIME && r->has_tz)
        dltc__format_timestamp(out, r->value);
    else if (r->kind == DLTC_ISO_DATETIME)
        dltc__format_timestamp_naive(out, r->value);
    else if (r->kind == DLTC_ISO_DATE)
        dltc__format_date(out, (int32_t)r->value);
    else
        dltc__format_time(out, r->value);
}

static void parse_table(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        const iso_case *c = &CASES[i];
        dltc_iso r;
        memset(&r, 0, sizeof(r));
        int rc = dltc__iso_parse(c->in, strlen(c->in), &r);
        char got[DLTC_ISO_MAX] = "";
        if (!c->kind) {
            if (rc != DLTC_EPARSE) {
                format_result(&r, got);
                print_error("\"%s\": expected failure, got kind %d %s\n", c->in, r.kind, got);
                failures++;
            } else if (dltc_error_last()->code != DLTC_EPARSE) {
                print_error("\"%s\": last error not set\n", c->in);
                failures++;
            }
            continue;
        }
        if (rc != 0) {
            print_error("\"%s\": failed: %s\n", c->in, dltc_error_last()->message);
            failures++;
            continue;
        }
        format_result(&r, got);
        if (r.kind != c->kind || r.has_tz != c->has_tz || strcmp(got, c->expect) != 0) {
            print_error("\"%s\": got kind %d tz %d \"%s\", expected kind %d tz %d \"%s\"\n",
                        c->in, r.kind, r.has_tz, got, c->kind, c->has_tz, c->expect);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void values_and_offsets(void **state)
{
    (void)state;
    dltc_iso r;
    assert_int_equal(dltc__iso_parse("1970-01-01T00:00:00Z", 20, &r), 0);
    assert_int_equal(r.value, 0);
    assert_int_equal(dltc__iso_parse("2024-01-01T10:00:00+05:30", 25, &r), 0);
    assert_int_equal(r.value, 1704083400000000LL); /* 2024-01-01T04:30:00Z */
    assert_int_equal(r.tz_offset, 19800);
    assert_int_equal(dltc__iso_parse("2024-01-01T10:00:00-08:00", 25, &r), 0);
    assert_int_equal(r.tz_offset, -28800);
    assert_int_equal(dltc__iso_parse("1969-12-31T23:59:59.999999", 26, &r), 0);
    assert_int_equal(r.value, -1);
    assert_int_equal(r.has_tz, 0);
    assert_int_equal(dltc__iso_parse("2024-01-01", 10, &r), 0);
    assert_int_equal(r.value, 19723);
    assert_int_equal(dltc__iso_parse("1969-12-31", 10, &r), 0);
    assert_int_equal(r.value, -1);
    assert_int_equal(dltc__iso_parse("10:00:00.5", 10, &r), 0);
    assert_int_equal(r.value, 36000500000LL);
    assert_int_equal(dltc__iso_parse("01:00:00+05:00", 14, &r), 0);
    assert_int_equal(r.value, 72000000000LL); /* 20:00 UTC */
    assert_int_equal(r.tz_offset, 18000);
    assert_int_equal(r.has_tz, 1);
}

static void length_is_respected(void **state)
{
    (void)state;
    dltc_iso r;
    /* only the first 10 bytes are the input */
    assert_int_equal(dltc__iso_parse("2024-01-01T10:00:00Z", 10, &r), 0);
    assert_int_equal(r.kind, DLTC_ISO_DATE);
    /* an embedded NUL is a character like any other */
    assert_int_equal(dltc__iso_parse("2024-01-01\0", 11, &r), DLTC_EPARSE);
    assert_int_equal(dltc__iso_parse("10:00\0", 6, &r), DLTC_EPARSE);
    assert_int_equal(dltc__iso_parse(NULL, 0, &r), DLTC_EPARSE);
}

static void format_timestamp(void **state)
{
    (void)state;
    char b[DLTC_ISO_MAX];
    assert_int_equal(dltc__format_timestamp(b, 0), 25);
    assert_string_equal(b, "1970-01-01T00:00:00+00:00");
    dltc__format_timestamp(b, 1683007200123456LL);
    assert_string_equal(b, "2023-05-02T06:00:00.123456+00:00");
    dltc__format_timestamp(b, 1683007200000001LL);
    assert_string_equal(b, "2023-05-02T06:00:00.000001+00:00");
    dltc__format_timestamp(b, -1);
    assert_string_equal(b, "1969-12-31T23:59:59.999999+00:00");
    dltc__format_timestamp(b, -62135596800000000LL);
    assert_string_equal(b, "0001-01-01T00:00:00+00:00");
    dltc__format_timestamp(b, 253402300799999999LL);
    assert_string_equal(b, "9999-12-31T23:59:59.999999+00:00");
    assert_int_equal(dltc__format_timestamp_naive(b, 1704103200500000LL), 26);
    assert_string_equal(b, "2024-01-01T10:00:00.500000");
    dltc__format_timestamp_naive(b, 951782400000000LL);
    assert_string_equal(b, "2000-02-29T00:00:00");
    /* far outside Python's range: still bounded */
    assert_true(dltc__format_timestamp(b, INT64_MIN) < DLTC_ISO_MAX);
    assert_true(dltc__format_timestamp(b, INT64_MAX) < DLTC_ISO_MAX);
}

static void format_date_time(void **state)
{
    (void)state;
    char b[DLTC_ISO_MAX];
    assert_int_equal(dltc__format_date(b, 0), 10);
    assert_string_equal(b, "1970-01-01");
    dltc__format_date(b, 19723);
    assert_string_equal(b, "2024-01-01");
    dltc__format_date(b, -719162);
    assert_string_equal(b, "0001-01-01");
    dltc__format_date(b, 2932896);
    assert_string_equal(b, "9999-12-31");
    dltc__format_date(b, -1);
    assert_string_equal(b, "1969-12-31");
    assert_int_equal(dltc__format_time(b, 0), 8);
    assert_string_equal(b, "00:00:00");
    dltc__format_time(b, 36000500000LL);
    assert_string_equal(b, "10:00:00.500000");
    dltc__format_time(b, 86399999999LL);
    assert_string_equal(b, "23:59:59.999999");
}

static void civil_round_trip(void **state)
{
    (void)state;
    assert_int_equal(dltc__days_from_civil(1970, 1, 1), 0);
    assert_int_equal(dltc__days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(dltc__days_from_civil(1, 1, 1), -719162);
    assert_int_equal(dltc__days_from_civil(9999, 12, 31), 2932896);
    for (int64_t z = -719162; z <= 2932896; z += 7) {
        int64_t y;
        unsigned m, d;
        dltc__civil_from_days(z, &y, &m, &d);
        if (dltc__days_from_civil(y, m, d) != z)
            fail_msg("day %lld does not round-trip", (long long)z);
    }
    int64_t y;
    unsigned m, d;
    dltc__civil_from_days(11016, &y, &m, &d);
    assert_int_equal(y, 2000);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
}

static void now_is_recent(void **state)
{
    (void)state;
    int64_t now = dltc__now_us();
    assert_true(now > 1704067200000000LL);  /* after 2024-01-01 */
    assert_true(now < 4102444800000000LL);  /* before 2100-01-01 */
}

static void unicode_digits(void **state)
{
    (void)state;
    assert_int_equal(dltc__unicode_digit('0'), 0);
    assert_int_equal(dltc__unicode_digit('9'), 9);
    assert_int_equal(dltc__unicode_digit('a'), -1);
    assert_int_equal(dltc__unicode_digit(0x663), 3);   /* ARABIC-INDIC DIGIT THREE */
    assert_int_equal(dltc__unicode_digit(0xff11), 1);  /* FULLWIDTH DIGIT ONE */
    assert_int_equal(dltc__unicode_digit(0x1d7ff), 9); /* MATHEMATICAL MONOSPACE DIGIT NINE */
    assert_int_equal(dltc__unicode_digit(0x1fbf9), 9);
    assert_int_equal(dltc__unicode_digit(0xb2), -1);   /* SUPERSCRIPT TWO is not Nd */
    assert_int_equal(dltc__unicode_digit(0x2167), -1); /* ROMAN NUMERAL EIGHT */
    assert_int_equal(dltc__unicode_digit(0x670), -1);
    assert_int_equal(dltc__unicode_digit(0x10ffff), -1);
    uint32_t cp;
    assert_int_equal(dltc__utf8_next("\xd9\xa3", 2, 0, &cp), 2);
    assert_int_equal(cp, 0x663);
    assert_int_equal(dltc__utf8_next("\xd9", 1, 0, &cp), 1); /* truncated */
    assert_int_equal(cp, 0xfffd);
    assert_int_equal(dltc__utf8_next("\xc0\x80", 2, 0, &cp), 1); /* overlong */
    assert_int_equal(cp, 0xfffd);
    assert_int_equal(dltc__utf8_next("\xed\xa0\x80", 3, 0, &cp), 1); /* surrogate */
    assert_int_equal(cp, 0xfffd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_table),      cmocka_unit_test(values_and_offsets),
        cmocka_unit_test(length_is_respected), cmocka_unit_test(format_timestamp),
        cmocka_unit_test(format_date_time), cmocka_unit_test(civil_round_trip),
        cmocka_unit_test(now_is_recent),    cmocka_unit_test(unicode_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
