/* The JSON writer: string escaping, shortest doubles (Python repr), every value type, deep
 * nesting, limits, and the round trip write(parse(x)) == x on the corpus and random values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"

#define DATA DLTC_TEST_DATA_DIR "/json"

static void assert_written(const dltc_value *v, const char *expected)
{
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write(&b, v), 0);
    assert_string_equal(b.data, expected);
    dltc__buf_free(&b);
}

static void assert_string_written(const char *s, size_t len, const char *expected)
{
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write_string(&b, s, len), 0);
    assert_int_equal(b.len, strlen(expected));
    assert_string_equal(b.data, expected);
    dltc__buf_free(&b);
}

/* ---- strings ---- */

static void string_escapes(void **state)
{
    (void)state;
    assert_string_written("", 0, "\"\"");
    assert_string_written("plain", 5, "\"plain\"");
    assert_string_written("q\"b\\s/", 6, "\"q\\\"b\\\\s/\"");
    assert_string_written("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    assert_string_written("\x00\x01\x1f\x7f", 4, "\"\\u0000\\u0001\\u001f\x7f\"");
    /* UTF-8 is written as is */
    assert_string_written("caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");

    /* every control character */
    for (int c = 0; c < 0x20; c++) {
        char in[1] = {(char)c}, out[16];
        const char *named = c == 8 ? "\\b" : c == 9 ? "\\t" : c == 10 ? "\\n" : c == 12 ? "\\f"
                          : c == 13 ? "\\r" : NULL;
        if (named)
            snprintf(out, sizeof(out), "\"%s\"", named);
        else
            snprintf(out, sizeof(out), "\"\\u%04x\"", c);
        assert_string_written(in, 1, out);
    }

    /* an escape at every position of strings around the 16-byte scan */
    for (size_t n = 1; n < 50; n++) {
        for (size_t k = 0; k < n; k++) {
            char in[64], expect[80];
            memset(in, 'a', n);
            in[k] = '"';
            expect[0] = '"';
            memset(expect + 1, 'a', k);
            memcpy(expect + 1 + k, "\\\"", 2);
            memset(expect + 3 + k, 'a', n - k - 1);
            memcpy(expect + 2 + n, "\"", 2);
            assert_string_written(in, n, expect);
        }
    }

    /* a long string of escapes grows the buffer as it goes */
    char *many = malloc(10000);
    memset(many, '\x01', 10000);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write_string(&b, many, 10000), 0);
    assert_int_equal(b.len, 60002);
    assert_int_equal(b.data[b.len], '\0');
    dltc__buf_free(&b);
    free(many);
}

/* ---- doubles ---- */

static void doubles_as_python(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double d;
    } cases[] = {{"0.1", 0.1},
                 {"1e-07", 1e-7},
                 {"5e-324", 5e-324},
                 {"1.7976931348623157e+308", 1.7976931348623157e308},
                 {"1.2345678901234568e+17", 123456789012345678.0},
                 {"7.0", 7.0},
                 {"-7.0", -7.0},
                 {"1e+16", 1e16},
                 {"1000000000000000.0", 1e15},
                 {"-0.0", -0.0},
                 {"0.0", 0.0},
                 {"0.0001", 0.0001},
                 {"1e-05", 0.00001},
                 {"1.5", 1.5},
                 {"100.0", 100.0},
                 {"2.5e-05", 2.5e-5},
                 {"0.3333333333333333", 1.0 / 3},
                 {"0.6666666666666666", 2.0 / 3},
                 {"0.30000000000000004", 0.30000000000000004},
                 {"1e+22", 1e22},
                 {"1e+23", 1e23},
                 {"9007199254740992.0", 9007199254740992.0},
                 {"2.2250738585072014e-308", 2.2250738585072014e-308},
                 {"1e-323", 1e-323},
                 {"-1234.5678", -1234.5678},
                 {"123456789.123", 123456789.123},
                 {"1e+100", 1e100},
                 {"-1e-100", -1e-100},
                 {"4.35", 4.35},
                 {"0.3", 0.3},
                 {"9.223372036854776e+18", 9223372036854775808.0},
                 {"1.2345678901234567e+19", 12345678901234567890.0},
                 {"1.2345e-05", 1.2345e-5},
                 {"0.00030000000000000003", 0.00030000000000000003}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[40];
        size_t n = dltc__format_double(out, cases[i].d);
        assert_int_equal(n, strlen(out));
        if (strcmp(out, cases[i].text) != 0)
            fail_msg("%.17g: got %s, expected %s", cases[i].d, out, cases[i].text);
    }
    char out[40];
    dltc__format_double(out, NAN);
    assert_string_equal(out, "nan");
    dltc__format_double(out, -INFINITY);
    assert_string_equal(out, "-inf");

    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write_double(&b, NAN), 0);
    assert_int_equal(dltc__json_write_double(&b, INFINITY), 0);
    assert_int_equal(dltc__json_write_double(&b, 2.0), 0);
    assert_string_equal(b.data, "nullnull2.0");
    dltc__buf_free(&b);
}

/* Random doubles: the text reads back to the same bits and no shorter one would. */
static void doubles_shortest_roundtrip(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        if (i % 3 == 0) {
            memcpy(&d, &x, 8);
            if (!isfinite(d))
                continue;
        } else if (i % 3 == 1) {
            d = (double)(x % 100000000) / 1000.0;
        } else {
            d = ldexp((double)(x >> 11), (int)(x % 200) - 150);
        }
        char out[40];
        size_t n = dltc__format_double(out, d);
        double back = strtod(out, NULL);
        if (memcmp(&back, &d, 8) != 0)
            fail_msg("%.17g written as %s", d, out);
        /* the digits are as few as possible */
        int digits = 0;
        for (size_t k = 0; k < n && out[k] != 'e'; k++)
            digits += out[k] >= '0' && out[k] <= '9';
        char shorter[48];
        for (int prec = 1; prec < 17; prec++) {
            snprintf(shorter, sizeof(shorter), "%.*e", prec - 1, d);
            if (strtod(shorter, NULL) == d) {
                /* positional output may carry zeros ("100.0"); compare significant digits */
                const char *p = out;
                while (*p == '-' || *p == '0' || *p == '.')
                    p++;
                int sig = 0, zeros = 0;
                for (; *p && *p != 'e'; p++) {
                    if (*p == '.')
                        continue;
                    if (*p == '0') {
                        zeros++;
                    } else {
                        sig += zeros + 1;
                        zeros = 0;
                    }
                }
                if (sig > prec)
                    fail_msg("%.17g written as %s but %s is shorter", d, out, shorter);
                break;
            }
        }
        (void)digits;
    }
}

/* ---- every type ---- */

static void value_types(void **state)
{
    (void)state;
    dltc_doc *doc;
    assert_int_equal(dltc_doc_new(&doc), 0);
    assert_written(dltc_value_null(doc), "null");
    assert_written(dltc_value_bool(doc, 1), "true");
    assert_written(dltc_value_bool(doc, 0), "false");
    assert_written(dltc_value_int(doc, 0), "0");
    assert_written(dltc_value_int(doc, INT64_MAX), "9223372036854775807");
    assert_written(dltc_value_int(doc, INT64_MIN), "-9223372036854775808");
    assert_written(dltc_value_double(doc, 3.0), "3.0");
    assert_written(dltc_value_double(doc, NAN), "null");
    assert_written(dltc_value_cstring(doc, "a\"b"), "\"a\\\"b\"");
    assert_written(dltc_value_decimal(doc, "-12.3400"), "-12.3400");
    assert_written(dltc_value_decimal(doc, "+1.50"), "1.50");
    assert_written(dltc_value_decimal(doc, ".5"), "0.5");
    assert_written(dltc_value_decimal(doc, "-.5"), "-0.5");
    assert_written(dltc_value_decimal(doc, "007"), "7");
    assert_written(dltc_value_decimal(doc, "00.10"), "0.10");
    assert_written(dltc_value_decimal(doc, "5."), "5");
    assert_written(dltc_value_binary(doc, "", 0), "\"\"");
    assert_written(dltc_value_binary(doc, "f", 1), "\"Zg==\"");
    assert_written(dltc_value_binary(doc, "fo", 2), "\"Zm8=\"");
    assert_written(dltc_value_binary(doc, "foobar", 6), "\"Zm9vYmFy\"");
    assert_written(dltc_value_binary(doc, "\x00\xff", 2), "\"AP8=\"");
    assert_written(dltc_value_array(doc), "[]");
    assert_written(dltc_value_object(doc), "{}");

    /* a parsed double keeps its text; a parsed big integer its digits */
    dltc_value *v;
    assert_int_equal(dltc_doc_parse_json(doc, "[1E2,-0.0,1e-400,123456789012345678901]", 39, &v),
                     0);
    assert_written(v, "[1E2,-0.0,1e-400,123456789012345678901]");

    /* nested values built with the API */
    dltc_value *o = dltc_value_object(doc), *a = dltc_value_array(doc);
    assert_int_equal(dltc_array_append(doc, a, dltc_value_int(doc, 1)), 0);
    assert_int_equal(dltc_array_append(doc, a, dltc_value_object(doc)), 0);
    assert_int_equal(dltc_array_append(doc, a, dltc_value_array(doc)), 0);
    assert_int_equal(dltc_object_set(doc, o, "k\n", a), 0);
    assert_int_equal(dltc_object_set(doc, o, "z", dltc_value_null(doc)), 0);
    assert_written(o, "{\"k\\n\":[1,{},[]],\"z\":null}");

    char *json;
    size_t len;
    assert_int_equal(dltc_value_to_json(&json, &len, o), 0);
    assert_string_equal(json, "{\"k\\n\":[1,{},[]],\"z\":null}");
    assert_int_equal(len, strlen(json));
    dltc_free(json);

    /* an unknown type is refused */
    dltc_value bad;
    dltc__value_set_type(&bad, 99);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write(&b, &bad), DLTC_EINVALID);
    dltc__buf_free(&b);
    dltc_doc_free(doc);
}

static void time_types(void **state)
{
    (void)state;
    dltc_doc *doc;
    assert_int_equal(dltc_doc_new(&doc), 0);
    /* 2024-01-02T03:04:05.123456 UTC = 1704164645123456 us */
    assert_written(dltc_value_timestamp(doc, 1704164645123456LL, 1),
                   "\"2024-01-02T03:04:05.123456+00:00\"");
    assert_written(dltc_value_timestamp(doc, 1704164645000000LL, 0), "\"2024-01-02T03:04:05\"");
    assert_written(dltc_value_date(doc, 19724), "\"2024-01-02\"");
    assert_written(dltc_value_time(doc, 3600LL * 1000000 + 500), "\"01:00:00.000500\"");
    dltc_doc_free(doc);
}

/* ---- structure ---- */

static void deep_nesting(void **state)
{
    (void)state;
    /* 100000 levels: the writer does not recurse */
    const uint32_t depth = 100000;
    dltc_value *vals = calloc(depth + 1, sizeof(dltc_value));
    for (uint32_t i = 0; i < depth; i++) {
        dltc__value_set_type(&vals[i], DLTC_TYPE_ARRAY);
        vals[i].u.arr = &vals[i + 1];
        vals[i].len = vals[i].cap = 1;
    }
    dltc__value_set_type(&vals[depth], DLTC_TYPE_INT);
    vals[depth].u.i = 42;
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write(&b, vals), 0);
    assert_int_equal(b.len, 2 * depth + 2);
    assert_memory_equal(b.data + depth - 1, "[42]", 4);

    /* and it reads back with a high enough depth limit */
    dltc_arena a;
    dltc__arena_init(&a, 1 << 16);
    dltc_value *v;
    dltc_json_error err;
    assert_int_equal(dltc__json_parse(&a, b.data, b.len, depth, &v, &err), 0);
    assert_true(dltc__json_equal(v, vals));
    assert_int_equal(dltc__json_parse(&a, b.data, b.len, depth - 1, &v, &err), DLTC_ELIMIT);
    dltc__arena_free(&a);
    dltc__buf_free(&b);
    free(vals);
}

static void buffer_limit(void **state)
{
    (void)state;
    dltc_doc *doc;
    assert_int_equal(dltc_doc_new(&doc), 0);
    dltc_value *a = dltc_value_array(doc);
    for (int i = 0; i < 100; i++)
        dltc_array_append(doc, a, dltc_value_cstring(doc, "0123456789"));
    dltc_buf b = DLTC_BUF_INIT;
    b.limit = 100;
    assert_int_equal(dltc__json_write(&b, a), DLTC_ELIMIT);
    dltc__buf_free(&b);
    dltc_doc_free(doc);
}

/* ---- round trip ---- */

static void roundtrip_value(dltc_arena *a, const dltc_value *v, const char *where)
{
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write(&b, v), 0);
    dltc_value *back;
    dltc_json_error err;
    if (dltc__json_parse(a, b.data, b.len, 1 << 20, &back, &err) != 0)
        fail_msg("%s: %s does not parse: %s", where, b.data, dltc_error_last()->message);
    if (!dltc__json_equal(v, back))
        fail_msg("%s: %s reads back different", where, b.data);
    dltc__buf_free(&b);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void roundtrip_corpus(void **state)
{
    (void)state;
    DIR *d = opendir(DATA "/valid");
    assert_non_null(d);
    struct dirent *e;
    int items = 0;
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, ".json"))
            continue;
        char path[1024];
        snprintf(path, sizeof(path), DATA "/valid/%s", e->d_name);
        dltc_json_reader *r;
        assert_int_equal(dltc__json_reader_open_file(&r, path, NULL), 0);
        dltc_arena a, a2;
        dltc__arena_init(&a, 4096);
        dltc__arena_init(&a2, 4096);
        dltc_value *v;
        int rc;
        while ((rc = dltc__json_reader_next(r, &a, &v)) == 0) {
            roundtrip_value(&a2, v, e->d_name);
            items++;
        }
        assert_int_equal(rc, DLTC_ITEROVER);
        dltc__json_reader_free(r);
        dltc__arena_free(&a);
        dltc__arena_free(&a2);
    }
    closedir(d);
    assert_true(items > 50);
}

/* Random values (no `lex` on doubles, so the shortest-double writer is exercised). */
typedef struct {
    uint64_t s;
} rng;
static uint64_t next(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static void random_string(dltc_arena *a, rng *r, dltc_value *v)
{
    static const char *const pieces[] = {"a",  "Z",        "\"",           "\\",
                                         "/",  "\n",       "\x01",         "\x7f",
                                         " ",  "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
                                         "0",  "\t",       "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"};
    size_t n = next(r) % 40, len = 0;
    char *s = dltc__arena_alloc(a, n * 4 + 1);
    for (size_t i = 0; i < n; i++) {
        const char *p = pieces[next(r) % 16];
        size_t k = strlen(p);
        memcpy(s + len, p, k);
        len += k;
    }
    s[len] = '\0';
    dltc__value_set_type(v, DLTC_TYPE_STRING);
    v->u.s = s;
    v->len = (uint32_t)len;
}

static void random_value(dltc_arena *a, rng *r, dltc_value *v, int depth)
{
    unsigned kind = (unsigned)(next(r) % (depth > 4 ? 6 : 8));
    switch (kind) {
    case 0:
        dltc__value_set_type(v, DLTC_TYPE_NULL);
        break;
    case 1:
        dltc__value_set_type(v, DLTC_TYPE_BOOL);
        v->u.i = (int64_t)(next(r) & 1);
        break;
    case 2:
        dltc__value_set_type(v, DLTC_TYPE_INT);
        v->u.i = (int64_t)next(r) >> (next(r) % 64);
        break;
    case 3: {
        dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
        uint64_t bits = next(r);
        double d;
        memcpy(&d, &bits, 8);
        if (!isfinite(d))
            d = (double)(bits % 1000) / 8;
        v->u.d = d;
        break;
    }
    case 4:
    case 5:
        random_string(a, r, v);
        break;
    case 6: {
        uint32_t n = (uint32_t)(next(r) % 6);
        dltc__value_set_type(v, DLTC_TYPE_ARRAY);
        v->u.arr = n ? dltc__arena_alloc(a, n * sizeof(dltc_value)) : NULL;
        v->len = v->cap = n;
        for (uint32_t i = 0; i < n; i++)
            random_value(a, r, &v->u.arr[i], depth + 1);
        break;
    }
    default: {
        uint32_t n = (uint32_t)(next(r) % 6);
        dltc__value_set_type(v, DLTC_TYPE_OBJECT);
        v->u.obj = n ? dltc__arena_alloc(a, n * sizeof(dltc_member)) : NULL;
        v->len = v->cap = n;
        for (uint32_t i = 0; i < n; i++) {
            /* distinct keys: the reader merges duplicates */
            char *k = dltc__arena_alloc(a, 24);
            dltc_value key;
            random_string(a, r, &key);
            int kl = snprintf(k, 24, "%u%.10s", i, key.u.s);
            while (kl > 0 && ((unsigned char)k[kl - 1] & 0xC0) == 0x80)
                kl--; /* do not cut a UTF-8 sequence */
            while (kl > 0 && (unsigned char)k[kl - 1] >= 0xC0)
                kl--;
            k[kl] = '\0';
            v->u.obj[i].key = k;
            v->u.obj[i].klen = (uint32_t)kl;
            random_value(a, r, &v->u.obj[i].val, depth + 1);
        }
        break;
    }
    }
}

static void roundtrip_random(void **state)
{
    (void)state;
    rng r = {0x123456789ABCDEFULL};
    dltc_arena a, a2;
    dltc__arena_init(&a, 1 << 16);
    dltc__arena_init(&a2, 1 << 16);
    for (int i = 0; i < 20000; i++) {
        dltc_value v;
        random_value(&a, &r, &v, 0);
        roundtrip_value(&a2, &v, "random");
        dltc__arena_reset(&a);
        dltc__arena_reset(&a2);
    }
    dltc__arena_free(&a);
    dltc__arena_free(&a2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(string_escapes),
        cmocka_unit_test(doubles_as_python),
        cmocka_unit_test(doubles_shortest_roundtrip),
        cmocka_unit_test(value_types),
        cmocka_unit_test(deep_nesting),
        cmocka_unit_test(buffer_limit),
        cmocka_unit_test(roundtrip_corpus),
        cmocka_unit_test(roundtrip_random),
        cmocka_unit_test(time_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
