/* The insert_values load-file writer: exact bytes of the statement for every data type, the
 * literal escaping (one row a line whatever the strings hold), json columns, the fixed column
 * list and rotation, the no-rows refusal, and that abort and failures leave no memory behind.
 * (Loading the files into DuckDB/Postgres is covered by the loader's tests.) */
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
    return fixture_setup(state, &dltc__writer_insert_values);
}

/* ---- tests ---- */

static void test_registered(void **state)
{
    (void)state;
    assert_ptr_equal(dltc__writer_type("insert_values"), &dltc__writer_insert_values);
    assert_string_equal(dltc__writer_insert_values.format, "insert_values");
    assert_string_equal(dltc__writer_insert_values.ext, "insert_values");
    assert_null(dltc__writer_type("nope"));
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
        cell(meta, js(f, "{\"a\": \"x\\\"y'z\", \"n\": [1, 2.5, null, true]}")),
    };
    write_ok(f, w, row, 12);
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
    write_ok(f, w, NULL, 0); /* every column NULL */
    assert_int_equal(dltc__writer_insert_values.finish(w), 0);
    ASSERT_FILE(f, "INSERT INTO {}(\"id\",\"name\",\"price\",\"ok\",\"at\",\"naive\",\"day\","
                   "\"clock\",\"amount\",\"big\",\"raw\",\"meta\")\n"
                   "VALUES\n"
                   "(-42,E'hello',0.1,TRUE,'2023-11-14T22:13:20.500000+00:00',"
                   "'2023-11-14T22:13:20.500000','2024-01-01','01:00:00',-12.340,"
                   "123456789012345678901234567890,from_base64('AQL/'),"
                   "E'{\"a\":\"x\\\\\"y''z\",\"n\":[1,2.5,null,true]}'),\n"
                   "(9223372036854775807,E'plain',1.50,FALSE,'1970-01-01T00:00:00+00:00',"
                   "'1969-12-31T23:59:59.999999','1969-12-31','23:59:59.999999',0.5,"
                   "1000000000000000000,from_base64(''),E'[]'),\n"
                   "(NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);");
}

static void test_string_escapes(void **state)
{
    fixture *f = *state;
    uint32_t s = add_col(f, "s", DLTC_DT_TEXT, -1);
    dltc_writer *w = open_w(f);
#define S(x) x, sizeof(x) - 1
    static const struct {
        const char *in;
        size_t len;
    } cases[] = {
        {S("it's")},
        {S("''")},
        {S("back\\slash\\")},
        {S("line\nbreak")},
        {S("cr\r\nlf")},
        {S("tab\there")},
        {S("\b\f")},
        {S("\x01\x1f\x7f")},
        {S("\x01" "a\x0b" "F")}, /* a hex digit right after \xHH stays itself */
        {S("nul\0mid")},
        {S("\0")},
        {S("\"double\" quotes, commas; and (parens)")},
        {S("z\xc3\xbcrich \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89")},
        {S("")},
        {S("NULL")},
        {S("E'x'")},
    };
#undef S
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dltc_cell r[] = {cell(s, str(f, cases[i].in, cases[i].len))};
        write_ok(f, w, r, 1);
    }
    /* strings read from JSON without escapes take the quick path: only ' can be in them */
    const dltc_value *clean = js(f, "\"O'Brien's\"");
    assert_true(clean->flags & DLTC_VF_CLEAN);
    dltc_cell r[] = {cell(s, clean)};
    write_ok(f, w, r, 1);
    assert_int_equal(dltc__writer_insert_values.finish(w), 0);
    ASSERT_FILE(f, "INSERT INTO {}(\"s\")\nVALUES\n"
                   "(E'it''s'),\n"
                   "(E''''''),\n"
                   "(E'back\\\\slash\\\\'),\n"
                   "(E'line\\nbreak'),\n"
                   "(E'cr\\r\\nlf'),\n"
                   "(E'tab\\there'),\n"
                   "(E'\\b\\f'),\n"
                   "(E'\\x01\\x1f\\x7f'),\n"
                   "(E'\\x01a\\x0bF'),\n"
                   "(E'nul'||chr(0)||E'mid'),\n"
                   "(E''||chr(0)||E''),\n"
                   "(E'\"double\" quotes, commas; and (parens)'),\n"
                   "(E'z\xc3\xbcrich \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89'),\n"
                   "(E''),\n"
                   "(E'NULL'),\n"
                   "(E'E''x'''),\n"
                   "(E'O''Brien''s');");
}

static void test_numbers(void **state)
{
    fixture *f = *state;
    uint32_t i = add_col(f, "i", DLTC_DT_BIGINT, -1);
    uint32_t d = add_col(f, "d", DLTC_DT_DOUBLE, -1);
    dltc_writer *w = open_w(f);
    dltc_cell r1[] = {cell(i, dltc_value_int(f->d, INT64_MIN)),
                      cell(d, dltc_value_double(f->d, 1e16))};
    dltc_cell r2[] = {cell(d, dltc_value_double(f->d, 7.0)), cell(i, js(f, "12"))};
    dltc_cell r3[] = {cell(d, js(f, "-1.5E-5"))};
    dltc_cell r4[] = {cell(d, dltc_value_double(f->d, NAN))};
    dltc_cell r5[] = {cell(d, dltc_value_double(f->d, INFINITY))};
    dltc_cell r6[] = {cell(d, dltc_value_double(f->d, -INFINITY))};
    write_ok(f, w, r1, 2);
    write_ok(f, w, r2, 2);
    write_ok(f, w, r3, 1);
    write_ok(f, w, r4, 1);
    write_ok(f, w, r5, 1);
    write_ok(f, w, r6, 1);
    assert_int_equal(dltc__writer_insert_values.finish(w), 0);
    ASSERT_FILE(f, "INSERT INTO {}(\"i\",\"d\")\nVALUES\n"
                   "(-9223372036854775808,1e+16),\n"
                   "(12,7.0),\n"
                   "(NULL,-1.5E-5),\n"
                   "(NULL,'NaN'),\n"
                   "(NULL,'Infinity'),\n"
                   "(NULL,'-Infinity');");
}

static void test_json_column(void **state)
{
    fixture *f = *state;
    uint32_t j = add_col(f, "j", DLTC_DT_JSON, -1);
    dltc_writer *w = open_w(f);
    /* any value of a json column is the string of its JSON text */
    const char *in[] = {"{\"k\":\"it's\\n\\\\\",\"u\":\"\\u00e9\\u0001\"}", "[1,[2,{}]]",
                        "\"abc\"", "17", "false"};
    for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
        dltc_cell r[] = {cell(j, js(f, in[k]))};
        write_ok(f, w, r, 1);
    }
    assert_int_equal(dltc__writer_insert_values.finish(w), 0);
    ASSERT_FILE(f, "INSERT INTO {}(\"j\")\nVALUES\n"
                   "(E'{\"k\":\"it''s\\\\n\\\\\\\\\",\"u\":\"\xc3\xa9\\\\u0001\"}'),\n"
                   "(E'[1,[2,{}]]'),\n"
                   "(E'\"abc\"'),\n"
                   "(E'17'),\n"
                   "(E'false');");
}

static void test_names_and_row_order(void **state)
{
    fixture *f = *state;
    uint32_t a = add_col(f, "first", DLTC_DT_BIGINT, -1);
    add_col(f, "skipped", DLTC_DT_UNSET, -1);
    uint32_t b = add_col(f, "we\"ird \\ name", DLTC_DT_TEXT, -1);
    uint32_t c = add_col(f, "third", DLTC_DT_BOOL, -1);
    dltc_writer *w = open_w(f);
    dltc_cell r[] = {cell(c, dltc_value_bool(f->d, 1)), cell(a, dltc_value_int(f->d, 3)),
                     cell(b, str(f, "x", 1))};
    write_ok(f, w, r, 3);
    dltc_cell r2[] = {cell(c, dltc_value_bool(f->d, 0)), cell(b, str(f, "y", 1))};
    write_ok(f, w, r2, 2);
    assert_int_equal(dltc__writer_insert_values.finish(w), 0);
    ASSERT_FILE(f, "INSERT INTO {}(\"first\",\"we\"\"ird \\ name\",\"third\")\nVALUES\n"
                   "(3,E'x',TRUE),\n"
                   "(NULL,E'y',FALSE);");
}

static void test_rotation(void **state)
{
    check_rotation(*state, "INSERT INTO {}(\"a\")\nVALUES\n(E'one'),\n(E'four');",
                   "INSERT INTO {}(\"a\",\"h\",\"b\")\nVALUES\n"
                   "(E'two',NULL,2),\n(E'three',E'x',NULL);");
}

static void test_no_rows_is_refused(void **state)
{
    fixture *f = *state;
    add_col(f, "a", DLTC_DT_TEXT, -1);
    counting_on(0);
    dltc_writer *w = NULL;
    assert_int_equal(dltc__writer_insert_values.open(&w, f->path, f->t), 0);
    assert_int_equal(dltc__writer_insert_values.finish(w), DLTC_EINVALID);
    assert_int_equal(g_mem.live, 0);
    dltc_allocator_set(NULL);
    assert_non_null(strstr(dltc_error_last()->message, "at least one row"));
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
        int n = snprintf(text, sizeof(text), "r'%d\n", i);
        dltc_value iv, sv;
        dltc__value_set_type(&iv, DLTC_TYPE_INT);
        iv.u.i = i;
        dltc__value_set_type(&sv, DLTC_TYPE_STRING);
        sv.u.s = text;
        sv.len = (uint32_t)n;
        dltc_cell r[] = {cell(s, &sv), cell(id, &iv)};
        write_ok(f, w, r, 2);
    }
    assert_int_equal(dltc__writer_insert_values.finish(w), 0);
    size_t len;
    char *got = tu_read_file(f->path, &len);
    assert_non_null(got);
    static const char head[] = "INSERT INTO {}(\"id\",\"s\")\nVALUES\n";
    char *p = got;
    assert_memory_equal(p, head, sizeof(head) - 1);
    p += sizeof(head) - 1;
    for (int i = 0; i < rows; i++) {
        char line[64];
        int n = snprintf(line, sizeof(line), "(%d,E'r''%d\\n')%s", i, i,
                         i + 1 < rows ? ",\n" : ";");
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
    dltc_cell r[] = {cell(s, str(f, "q'uote\n", 7)), cell(j, js(f, "{\"a\":\"b\"}")),
                     cell(b, dltc_value_binary(f->d, "xyz", 3))};
    /* finish adds the closing ';' to the buffer: it may fail too */
    write_under_failing_allocations(f, r, 3, 1);
    ASSERT_FILE(f, "INSERT INTO {}(\"s\",\"j\",\"b\")\nVALUES\n"
                   "(E'q''uote\\n',E'{\"a\":\"b\"}',from_base64('eHl6')),\n"
                   "(E'q''uote\\n',E'{\"a\":\"b\"}',from_base64('eHl6')),\n"
                   "(E'q''uote\\n',E'{\"a\":\"b\"}',from_base64('eHl6'));");
}

int main(void)
{
    /* test_abort_frees_everything and test_open_failure are in writer_testutil.h */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test_setup_teardown(test_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_and_row_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_rows_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_frees_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
