/* The csv load-file writer: exact bytes for every data type, NULL vs the empty string,
 * quoting, json columns, the fixed column list and rotation, large files, and that abort and
 * failures leave no memory behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "formats/value.h"
#include "normalize/writer.h"
#include "schema/schema.h"
#include "writer_testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    return fixture_setup(state, &dltc__writer_csv);
}

/* ---- tests ---- */

static void test_registered(void **state)
{
    (void)state;
    assert_ptr_equal(dltc__writer_type("csv"), &dltc__writer_csv);
    assert_string_equal(dltc__writer_csv.format, "csv");
    assert_string_equal(dltc__writer_csv.ext, "csv");
}

static void test_every_type(void **state)
{
    fixture *f = *state;
    uint32_t id = add_col(f, "id", DLTC_DT_BIGINT, -1);
    uint32_t name = add_col(f, "name", DLTC_DT_TEXT, -1);
    uint32_t price = add_col(f, "price", DLTC_DT_DOUBLE, -1);
    uint32_t ok = add_col(f, "ok", DLTC_DT_BOOL, -1);
    uint32_t at = add_col(f, "at", DLTC_DT_TIMESTAMP, -1);
    uint32_t naive = add_col(f, "naive", DLTC_DT_TIMESTAMP, 0);
    uint32_t day = add_col(f, "day", DLTC_DT_DATE, -1);
    uint32_t clock = add_col(f, "clock", DLTC_DT_TIME, -1);
    uint32_t amount = add_col(f, "amount", DLTC_DT_DECIMAL, -1);
    uint32_t big = add_col(f, "big", DLTC_DT_WEI, -1);
    uint32_t raw = add_col(f, "raw", DLTC_DT_BINARY, -1);
    uint32_t meta = add_col(f, "meta", DLTC_DT_JSON, -1);
    add_col(f, "hint_only", DLTC_DT_UNSET, -1);

    dltc_writer *w = open_w(f);
    dltc_cell row[12] = {
        cell(id, dltc_value_int(f->d, -42)),
        cell(name, str(f, "hello", 5)),
        cell(price, dltc_value_double(f->d, 0.1)),
        cell(ok, dltc_value_bool(f->d, 1)),
        cell(at, dltc_value_timestamp(f->d, 1700000000500000LL, 1)),
        cell(naive, dltc_value_timestamp(f->d, 1700000000500000LL, 0)),
        cell(day, dltc_value_date(f->d, 19723)),
        cell(clock, dltc_value_time(f->d, 3600000000LL)),
        cell(amount, dltc_value_decimal(f->d, "-12.340")),
        cell(big, js(f, "123456789012345678901234567890")),
        cell(raw, dltc_value_binary(f->d, "\x01\x02\xff", 3)),
        cell(meta, js(f, "{\"a\": \"x\\\"y\", \"n\": [1, 2.5, null, true]}")),
    };
    write_ok(f, w, row, 12);
    /* the second row: other values of the same columns, all present */
    dltc_cell row2[12] = {
        cell(id, js(f, "9223372036854775807")),
        cell(name, js(f, "\"plain\"")),
        cell(price, js(f, "1.50")),
        cell(ok, dltc_value_bool(f->d, 0)),
        cell(at, dltc_value_timestamp(f->d, 0, 1)),
        cell(naive, dltc_value_timestamp(f->d, -1, 0)),
        cell(day, dltc_value_date(f->d, -1)),
        cell(clock, dltc_value_time(f->d, 86399999999LL)),
        cell(amount, dltc_value_decimal(f->d, "0.5")),
        cell(big, dltc_value_decimal(f->d, "1000000000000000000")),
        cell(raw, dltc_value_binary(f->d, "", 0)),
        cell(meta, js(f, "[]")),
    };
    write_ok(f, w, row2, 12);
    assert_int_equal(dltc__writer_csv.finish(w), 0);
    ASSERT_FILE(f, "\"id\",\"name\",\"price\",\"ok\",\"at\",\"naive\",\"day\",\"clock\",\"amount\","
                   "\"big\",\"raw\",\"meta\"\n"
                   "-42,\"hello\",0.1,true,\"2023-11-14T22:13:20.500000+00:00\","
                   "\"2023-11-14T22:13:20.500000\",\"2024-01-01\",\"01:00:00\",-12.340,"
                   "123456789012345678901234567890,\"AQL/\","
                   "\"{\"\"a\"\":\"\"x\\\"\"y\"\",\"\"n\"\":[1,2.5,null,true]}\"\n"
                   "9223372036854775807,\"plain\",1.50,false,\"1970-01-01T00:00:00+00:00\","
                   "\"1969-12-31T23:59:59.999999\",\"1969-12-31\",\"23:59:59.999999\",0.5,"
                   "1000000000000000000,\"\",\"[]\"\n");
}

static void test_null_and_empty_string(void **state)
{
    fixture *f = *state;
    uint32_t a = add_col(f, "a", DLTC_DT_TEXT, -1);
    uint32_t b = add_col(f, "b", DLTC_DT_TEXT, -1);
    uint32_t c = add_col(f, "c", DLTC_DT_BIGINT, -1);
    dltc_writer *w = open_w(f);
    dltc_cell r1[] = {cell(a, str(f, "", 0)), cell(c, dltc_value_int(f->d, 1))};
    write_ok(f, w, r1, 2);                    /* b missing: NULL */
    dltc_cell r2[] = {cell(b, js(f, "\"\""))}; /* a CLEAN empty string */
    write_ok(f, w, r2, 1);
    write_ok(f, w, NULL, 0); /* all NULL */
    dltc_cell r4[] = {cell(a, dltc_value_null(f->d))}; /* an explicit null cell */
    write_ok(f, w, r4, 1);
    assert_int_equal(dltc__writer_csv.finish(w), 0);
    ASSERT_FILE(f, "\"a\",\"b\",\"c\"\n"
                   "\"\",,1\n"
                   ",\"\",\n"
                   ",,\n"
                   ",,\n");
}

static void test_quoting(void **state)
{
    fixture *f = *state;
    uint32_t s = add_col(f, "s", DLTC_DT_TEXT, -1);
    dltc_writer *w = open_w(f);
#define S(x) x, sizeof(x) - 1
    static const struct {
        const char *in;
        size_t len;
        const char *out;
        size_t olen;
    } cases[] = {
        {S("a\"b"), S("\"a\"\"b\"")},
        {S("\""), S("\"\"\"\"")},
        {S("\"\"x\""), S("\"\"\"\"\"x\"\"\"")},
        {S("a,b"), S("\"a,b\"")},
        {S("line\nbreak"), S("\"line\nbreak\"")},
        {S("cr\r\n"), S("\"cr\r\n\"")},
        {S(" lead and trail "), S("\" lead and trail \"")},
        {S("back\\slash"), S("\"back\\slash\"")},
        {S("z\xc3\xbcrich \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89"),
         S("\"z\xc3\xbcrich \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89\"")},
        {S("ctl\x01\x1f\x7f\t"), S("\"ctl\x01\x1f\x7f\t\"")},
        {S("nul\0mid"), S("\"nul\0mid\"")},
        {S("NULL"), S("\"NULL\"")},
        {S("12"), S("\"12\"")},
    };
#undef S
    char expected[1024] = "\"s\"\n";
    size_t elen = strlen(expected);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dltc_cell r[] = {cell(s, str(f, cases[i].in, cases[i].len))};
        write_ok(f, w, r, 1);
        memcpy(expected + elen, cases[i].out, cases[i].olen);
        elen += cases[i].olen;
        expected[elen++] = '\n';
    }
    assert_int_equal(dltc__writer_csv.finish(w), 0);
    size_t len;
    char *got = tu_read_file(f->path, &len);
    assert_int_equal(len, elen);
    assert_memory_equal(got, expected, elen);
    free(got);
}

static void test_clean_strings_from_json(void **state)
{
    fixture *f = *state;
    uint32_t s = add_col(f, "s", DLTC_DT_TEXT, -1);
    dltc_writer *w = open_w(f);
    const dltc_value *clean = js(f, "\"a, b and c\"");
    assert_true(clean->flags & DLTC_VF_CLEAN);
    const dltc_value *esc = js(f, "\"say \\\"hi\\\"\\n\"");
    assert_false(esc->flags & DLTC_VF_CLEAN);
    dltc_cell r1[] = {cell(s, clean)};
    dltc_cell r2[] = {cell(s, esc)};
    write_ok(f, w, r1, 1);
    write_ok(f, w, r2, 1);
    assert_int_equal(dltc__writer_csv.finish(w), 0);
    ASSERT_FILE(f, "\"s\"\n\"a, b and c\"\n\"say \"\"hi\"\"\n\"\n");
}

static void test_numbers(void **state)
{
    fixture *f = *state;
    uint32_t i = add_col(f, "i", DLTC_DT_BIGINT, -1);
    uint32_t d = add_col(f, "d", DLTC_DT_DOUBLE, -1);
    dltc_writer *w = open_w(f);
    dltc_cell r1[] = {cell(i, dltc_value_int(f->d, INT64_MIN)),
                      cell(d, dltc_value_double(f->d, 1e16))};
    dltc_cell r2[] = {cell(i, js(f, "-0")), cell(d, dltc_value_double(f->d, 7.0))};
    dltc_cell r3[] = {cell(i, dltc_value_int(f->d, 0)), cell(d, js(f, "1E5"))};
    dltc_cell r4[] = {cell(d, dltc_value_double(f->d, 5e-324))};
    dltc_cell r5[] = {cell(d, dltc_value_double(f->d, 0.1 + 0.2))};
    dltc_cell r6[] = {cell(d, dltc_value_double(f->d, -INFINITY))};
    write_ok(f, w, r1, 2);
    write_ok(f, w, r2, 2);
    write_ok(f, w, r3, 2);
    write_ok(f, w, r4, 1);
    write_ok(f, w, r5, 1);
    write_ok(f, w, r6, 1);
    assert_int_equal(dltc__writer_csv.finish(w), 0);
    ASSERT_FILE(f, "\"i\",\"d\"\n"
                   "-9223372036854775808,1e+16\n"
                   "0,7.0\n" /* JSON -0 is the integer 0 */
                   "0,1E5\n"
                   ",5e-324\n"
                   ",0.30000000000000004\n"
                   ",-inf\n");
}

static void test_json_column(void **state)
{
    fixture *f = *state;
    uint32_t j = add_col(f, "j", DLTC_DT_JSON, -1);
    dltc_writer *w = open_w(f);
    /* any value of a json column is its JSON text, as dlt's json.dumps */
    const char *in[] = {"{\"k\":\"v,w\\n\",\"u\":\"\\u00e9\\u0001\"}", "[1,[2,{}]]", "\"abc\"",
                        "17", "false", "{}"};
    for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
        dltc_cell r[] = {cell(j, js(f, in[k]))};
        write_ok(f, w, r, 1);
    }
    assert_int_equal(dltc__writer_csv.finish(w), 0);
    ASSERT_FILE(f, "\"j\"\n"
                   "\"{\"\"k\"\":\"\"v,w\\n\"\",\"\"u\"\":\"\"\xc3\xa9\\u0001\"\"}\"\n"
                   "\"[1,[2,{}]]\"\n"
                   "\"\"\"abc\"\"\"\n"
                   "\"17\"\n"
                   "\"false\"\n"
                   "\"{}\"\n");
}

static void test_row_order_and_names(void **state)
{
    fixture *f = *state;
    uint32_t a = add_col(f, "first", DLTC_DT_BIGINT, -1);
    add_col(f, "skipped", DLTC_DT_UNSET, -1);
    uint32_t b = add_col(f, "we\"ird, name", DLTC_DT_TEXT, -1);
    uint32_t c = add_col(f, "third", DLTC_DT_BOOL, -1);
    dltc_writer *w = open_w(f);
    /* cells come in the row's order, not the table's */
    dltc_cell r[] = {cell(c, dltc_value_bool(f->d, 1)), cell(a, dltc_value_int(f->d, 3)),
                     cell(b, str(f, "x", 1))};
    write_ok(f, w, r, 3);
    dltc_cell r2[] = {cell(c, dltc_value_bool(f->d, 0)), cell(b, str(f, "y", 1))};
    write_ok(f, w, r2, 2);
    assert_int_equal(dltc__writer_csv.finish(w), 0);
    ASSERT_FILE(f, "\"first\",\"we\"\"ird, name\",\"third\"\n3,\"x\",true\n,\"y\",false\n");
}

static void test_rotation(void **state)
{
    check_rotation(*state, "\"a\"\n\"one\"\n\"four\"\n",
                   "\"a\",\"h\",\"b\"\n\"two\",,2\n\"three\",\"x\",\n");
}

static void test_many_rows(void **state)
{
    fixture *f = *state;
    uint32_t id = add_col(f, "id", DLTC_DT_BIGINT, -1);
    uint32_t s = add_col(f, "s", DLTC_DT_TEXT, -1);
    dltc_writer *w = open_w(f);
    const int rows = 200000; /* several 256 KiB blocks */
    for (int i = 0; i < rows; i++) {
        char text[32];
        int n = snprintf(text, sizeof(text), "r\"%d", i);
        dltc_value iv, sv;
        dltc__value_set_type(&iv, DLTC_TYPE_INT);
        iv.u.i = i;
        dltc__value_set_type(&sv, DLTC_TYPE_STRING);
        sv.u.s = text;
        sv.len = (uint32_t)n;
        dltc_cell r[] = {cell(id, &iv), cell(s, &sv)};
        write_ok(f, w, r, 2);
    }
    assert_int_equal(dltc__writer_csv.finish(w), 0);
    size_t len;
    char *got = tu_read_file(f->path, &len);
    assert_non_null(got);
    char *p = got;
    assert_int_equal(strncmp(p, "\"id\",\"s\"\n", 9), 0);
    p += 9;
    for (int i = 0; i < rows; i++) {
        char line[64];
        int n = snprintf(line, sizeof(line), "%d,\"r\"\"%d\"\n", i, i);
        assert_true((size_t)(p - got) + (size_t)n <= len);
        assert_memory_equal(p, line, (size_t)n);
        p += n;
    }
    assert_int_equal((size_t)(p - got), len);
    free(got);
}

static void test_allocation_failures(void **state)
{
    fixture *f = *state;
    uint32_t s = add_col(f, "s", DLTC_DT_TEXT, -1);
    uint32_t j = add_col(f, "j", DLTC_DT_JSON, -1);
    uint32_t b = add_col(f, "b", DLTC_DT_BINARY, -1);
    dltc_cell r[] = {cell(s, str(f, "q\"uote", 6)), cell(j, js(f, "{\"a\":\"b\"}")),
                     cell(b, dltc_value_binary(f->d, "xyz", 3))};
    write_under_failing_allocations(f, r, 3, 0);
    ASSERT_FILE(f, "\"s\",\"j\",\"b\"\n"
                   "\"q\"\"uote\",\"{\"\"a\"\":\"\"b\"\"}\",\"eHl6\"\n"
                   "\"q\"\"uote\",\"{\"\"a\"\":\"\"b\"\"}\",\"eHl6\"\n"
                   "\"q\"\"uote\",\"{\"\"a\"\":\"\"b\"\"}\",\"eHl6\"\n");
}

int main(void)
{
    /* test_abort_frees_everything and test_open_failure are in writer_testutil.h */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test_setup_teardown(test_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_and_empty_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_strings_from_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_order_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_frees_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
