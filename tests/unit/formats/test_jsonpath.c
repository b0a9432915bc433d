/* The JSONPath subset (formats/jsonpath.h): names, quoted names, indices, wildcards, slices
 * and unions on one document; first match vs every match; what fails to compile and how the
 * message reads; dotted paths built back from keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dltc/dltc.h"
#include "common/buf.h"
#include "formats/jsonpath.h"

static const char *DOC =
    "{\"a\": {\"b\": 5}, \"key with space\": 6, \"it's\": 9, \"n\": null,"
    " \"items\": [{\"ts\": null, \"id\": 0}, {\"ts\": 7, \"id\": 1}, {\"ts\": 8, \"id\": 2},"
    " {\"id\": 3}, {\"id\": 4}],"
    " \"data\": [{\"items\": [1, 2]}, {\"items\": [3]}, {\"other\": 0}],"
    " \"nested\": {\"x\": {\"id\": 10}, \"y\": {\"id\": 11}}}";

static dltc_value *parse(dltc_doc *d, const char *json)
{
    dltc_value *v = NULL;
    if (dltc_doc_parse_json(d, json, strlen(json), &v))
        fail_msg("parse %s: %s", json, dltc_error_last()->message);
    return v;
}

static int collect_ints(const dltc_value *m, void *payload)
{
    dltc_buf *b = payload;
    if (b->len)
        dltc__buf_putc(b, ',');
    if (dltc_value_type_of(m) == DLTC_TYPE_INT)
        return dltc__buf_printf(b, "%lld", (long long)dltc_value_get_int(m));
    if (dltc_value_type_of(m) == DLTC_TYPE_NULL)
        return dltc__buf_puts(b, "null");
    return dltc__buf_printf(b, "<%d>", (int)dltc_value_type_of(m));
}

/* Every match of `path` as "1,2,null" (containers as <type>). */
static void expect_all(const dltc_value *doc, const char *path, const char *want)
{
    dltc__jsonpath *p = NULL;
    if (dltc__jsonpath_compile(&p, path, "path"))
        fail_msg("%s: %s", path, dltc_error_last()->message);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__buf_puts(&b, ""), 0);
    assert_int_equal(dltc__jsonpath_each(p, doc, collect_ints, &b), 0);
    if (strcmp(b.data, want) != 0)
        fail_msg("%s: got '%s', want '%s'", path, b.data, want);
    dltc__buf_free(&b);
    dltc__jsonpath_free(p);
}

static void names_and_quotes(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc_value *v = parse(d, DOC);
    expect_all(v, "a.b", "5");
    expect_all(v, "$.a.b", "5");
    expect_all(v, "['a']['b']", "5");
    expect_all(v, "$['a'].\"b\"", "5");
    expect_all(v, "$['key with space']", "6");
    expect_all(v, "\"key with space\"", "6");
    expect_all(v, "['it\\'s']", "9");
    expect_all(v, "a.c", "");
    expect_all(v, "n", "null");
    expect_all(v, "a.b.c", ""); /* a name on a scalar: no match */
    expect_all(v, "items.ts", ""); /* a name on an array: no match (as jsonpath-ng) */
    dltc_doc_free(d);
}

static void indices_wildcards_slices(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc_value *v = parse(d, DOC);
    expect_all(v, "items[1].ts", "7");
    expect_all(v, "items[-1].id", "4");
    expect_all(v, "items[5].id", "");
    expect_all(v, "items[-6].id", "");
    expect_all(v, "items[*].ts", "null,7,8");
    expect_all(v, "items.*.id", "0,1,2,3,4");
    expect_all(v, "a.*", "5");
    expect_all(v, "nested.*.id", "10,11");
    expect_all(v, "data[*].items", "<6>,<6>");
    expect_all(v, "data[*].items[*]", "1,2,3");
    expect_all(v, "$.data[0].items[ 1 ]", "2");
    /* Python slices */
    expect_all(v, "items[1:3].id", "1,2");
    expect_all(v, "items[:2].id", "0,1");
    expect_all(v, "items[3:].id", "3,4");
    expect_all(v, "items[-2:].id", "3,4");
    expect_all(v, "items[::2].id", "0,2,4");
    expect_all(v, "items[::-1].id", "4,3,2,1,0");
    expect_all(v, "items[3:0:-1].id", "3,2,1");
    expect_all(v, "items[1:100].id", "1,2,3,4");
    expect_all(v, "items[::0].id", "");
    expect_all(v, "a[0:1]", ""); /* a slice of an object: nothing */
    /* unions, in the order written */
    expect_all(v, "items[4,0,-2].id", "4,0,3");
    expect_all(v, "['it\\'s', 'a'].b", "5");
    expect_all(v, "$['key with space','it\\'s']", "6,9");
    dltc_doc_free(d);
}

static void root_and_arrays_at_the_top(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc_value *v = parse(d, "[{\"id\": 1}, {\"id\": 2}]");
    expect_all(v, "$", "<6>");
    expect_all(v, "$[*].id", "1,2");
    expect_all(v, "[*].id", "1,2");
    expect_all(v, "$[1].id", "2");
    dltc__jsonpath *p;
    assert_int_equal(dltc__jsonpath_compile(&p, "$", "data selector"), 0);
    assert_int_equal(dltc__jsonpath_length(p), 0);
    assert_ptr_equal(dltc__jsonpath_first(p, v), v);
    assert_string_equal(dltc__jsonpath_text(p), "$");
    dltc__jsonpath_free(p);
    dltc_doc_free(d);
}

static int stop_at_second(const dltc_value *m, void *payload)
{
    (void)m;
    return ++*(int *)payload == 2 ? 42 : 0;
}

static void first_count_and_early_stop(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc_value *v = parse(d, DOC);
    dltc__jsonpath *p;
    assert_int_equal(dltc__jsonpath_compile(&p, "items[*].ts", "path"), 0);
    const dltc_value *m = dltc__jsonpath_first(p, v);
    assert_non_null(m); /* a null value is a match */
    assert_int_equal(dltc_value_type_of(m), DLTC_TYPE_NULL);
    assert_int_equal(dltc__jsonpath_count(p, v), 3);
    int seen = 0;
    assert_int_equal(dltc__jsonpath_each(p, v, stop_at_second, &seen), 42);
    assert_int_equal(seen, 2);
    assert_int_equal(dltc__jsonpath_length(p), 3);
    dltc__jsonpath_free(p);
    assert_int_equal(dltc__jsonpath_compile(&p, "nope.x", "path"), 0);
    assert_null(dltc__jsonpath_first(p, v));
    assert_int_equal(dltc__jsonpath_count(p, v), 0);
    dltc__jsonpath_free(p);
    dltc_doc_free(d);
}

static void malformed_paths(void **state)
{
    (void)state;
    const char *bad[] = {"",     "a..b",  "$..id", "a[",     "a['x",  "a b",  "[x]",
                         "a.",   "a[0",   "a[?(@.id)]", "$a",   "a[1:x]", "a[0,]",
                         "a['x',]", "a]",  "a[99999999999999999999]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dltc__jsonpath *p = NULL;
        if (dltc__jsonpath_compile(&p, bad[i], "data selector") != DLTC_EINVALID)
            fail_msg("'%s' compiled", bad[i]);
        assert_null(p);
    }
    dltc__jsonpath *p = NULL;
    assert_int_equal(dltc__jsonpath_compile(&p, "a..b", "data selector"), DLTC_EINVALID);
    assert_string_equal(dltc_error_last()->message,
                        "data selector 'a..b': recursive descent (..) is not supported at "
                        "offset 2");
    assert_int_equal(dltc__jsonpath_compile(&p, "", "cursor path"), DLTC_EINVALID);
    assert_string_equal(dltc_error_last()->message, "cursor path is empty");
}

static void keys_build_paths_that_compile_back(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc_value *v = parse(d, "{\"meta data\": {\"it's\": {\"a\\\\b\": 1}}, \"plain_1\": 2}");
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__jsonpath_append_key(&b, "meta data", 9), 0);
    assert_int_equal(dltc__jsonpath_append_key(&b, "it's", 4), 0);
    assert_int_equal(dltc__jsonpath_append_key(&b, "a\\b", 3), 0);
    assert_string_equal(b.data, "'meta data'.'it\\'s'.'a\\\\b'");
    expect_all(v, b.data, "1");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__jsonpath_append_key(&b, "plain_1", 7), 0);
    assert_string_equal(b.data, "plain_1");
    expect_all(v, b.data, "2");
    dltc__buf_free(&b);
    dltc_doc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_quotes),
        cmocka_unit_test(indices_wildcards_slices),
        cmocka_unit_test(root_and_arrays_at_the_top),
        cmocka_unit_test(first_count_and_early_stop),
        cmocka_unit_test(malformed_paths),
        cmocka_unit_test(keys_build_paths_that_compile_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
