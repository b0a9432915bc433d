/* The snake_case naming convention (dlt 1.26 snake_case.py / naming.py). Tags were computed
 * with Python: base64(shake_128(identifier.encode()).digest(4)).rstrip("=") with "/+" -> "ab",
 * lower-cased. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "schema/naming.h"

typedef struct {
    const char *in;
    const char *out; /* NULL: DLTC_EINVALID */
} name_case;

/* normalize_identifier, no length limit */
static const name_case IDENTIFIERS[] = {
    /* dlt-core.md §2.1 */
    {"DealFlow", "deal_flow"},
    {"getHTTPResponseCode", "get_http_response_code"},
    {"userID", "user_id"},
    {"User Name", "user_name"},
    {"e-mail@x", "e_mailax"},
    {"a+b", "axb"},
    {"123abc", "_123abc"},
    {"trailing_", "trailingx"},
    {"_", "x"},
    {"名前", "x"},
    {"Ünïcödé", "_n_c_dx"},
    {"$price", "_price"},
    {"CO2Emissions", "co2_emissions"},
    {"a.b", "a_b"},
    /* examples/odd_names.json keys as single identifiers */
    {"HTTPStatus", "http_status"},
    {"e-mail", "e_mail"},
    {"price $", "pricex"},
    {"1st", "_1st"},
    {"Ünicode", "_nicode"},
    {"already_snake", "already_snake"},
    {"a.b.c", "a_b_c"},
    {"CamelCaseX", "camel_case_x"},
    /* without break-path: "__" is collapsed, trailing "_" become "x" before collapsing */
    {"__private", "_private"},
    {"trailing__", "trailingxx"},
    {"column__value", "column_value"},
    {"__", "xx"},
    {"a__", "axx"},
    {"__a", "_a"},
    {"a - b", "a_b"},
    /* translation: + - * @ | -> x _ x a l */
    {"a*b|c", "axblc"},
    {"x@y-z", "xay_z"},
    /* other punctuation is a run of non-alphanumerics */
    {"a!#=:b", "a_b"},
    {"a. .b", "a_b"},
    /* camel-case breaks: the first regex's matches do not overlap */
    {"aBcDe", "a_bc_de"},
    {"ABcDe", "a_bc_de"},
    {"XAbCd", "x_ab_cd"},
    {"AbCDe", "ab_c_de"},
    {"a1B2C", "a1_b2_c"},
    {"ABC", "abc"},
    {"ABCdef", "ab_cdef"},
    {"already_Snake", "already_snake"},
    {"_Abc", "_abc"},
    {"9Lives", "_9_lives"},
    /* Python strip(): Unicode whitespace; inner whitespace is a separator */
    {"  x  ", "x"},
    {"\xc2\xa0" "a" "\xe3\x80\x80", "a"},      /* NBSP, IDEOGRAPHIC SPACE */
    {"\t\n\v\f\r\x1c\x1dz\x1e\x1f", "z"},
    {"a\xe2\x80\x8b" "b", "a_b"},              /* ZERO WIDTH SPACE is not whitespace */
    /* \d is Unicode: decimal digits of other scripts are kept, and lead to a "_" prefix */
    {"\xd9\xa3" "abc", "_\xd9\xa3" "abc"},     /* ٣abc */
    {"x\xd9\xa3Y", "x\xd9\xa3y"},              /* no camel break after a non-ASCII digit */
    {"\xd9\xa3" "Abc", "_\xd9\xa3_abc"},       /* but [^_] matches it */
    {"\xef\xbc\x91st", "_\xef\xbc\x91st"},     /* FULLWIDTH ONE */
    {"x\xc2\xb2", "xx"},                       /* SUPERSCRIPT TWO is not \d */
    /* errors */
    {"", NULL},
    {"   ", NULL},
    {"\xe3\x80\x80\t", NULL},
};

/* normalize_path (break-path mode), no length limit */
static const name_case PATHS[] = {
    /* examples/odd_names.json */
    {"userID", "user_id"},
    {"HTTPStatus", "http_status"},
    {"e-mail", "e_mail"},
    {"price $", "pricex"},
    {"1st", "_1st"},
    {"Ünicode", "_nicode"},
    {"already_snake", "already_snake"},
    {"__private", "private"},
    {"trailing__", "trailing"},
    {"a.b.c", "a_b_c"},
    {"CamelCaseX", "camel_case_x"},
    /* dlt-core.md §2.1 */
    {"column__value", "column__value"},
    {"__dunder", "dunder"},
    {"a___b", "a___b"},
    {"a____b", "a__b"},
    {"Parent__ChildName", "parent__child_name"},
    {" a__b ", "a__b"},
    {"a__ __b", "a__b"},
    {"_", "x"},
    /* no parts: "" rather than an error */
    {"", ""},
    {"__", ""},
    {"   ", ""},
    {"____", ""},
};

static void check_table(const name_case *cases, size_t n, int path)
{
    const dltc_naming *nm = dltc__naming_get("snake_case", 0);
    assert_non_null(nm);
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        dltc_buf b = DLTC_BUF_INIT;
        int rc = path ? dltc__naming_normalize_path(nm, cases[i].in, strlen(cases[i].in), &b)
                      : dltc__naming_normalize_identifier(nm, cases[i].in, strlen(cases[i].in),
                                                          &b);
        if (!cases[i].out) {
            if (rc != DLTC_EINVALID || b.len != 0) {
                print_error("\"%s\": expected DLTC_EINVALID, got %d \"%s\"\n", cases[i].in, rc,
                            b.data ? b.data : "");
                failures++;
            }
        } else if (rc != 0 || !b.data || strcmp(b.data, cases[i].out) != 0 ||
                   strlen(b.data) != b.len) {
            print_error("\"%s\": got %d \"%s\", expected \"%s\"\n", cases[i].in, rc,
                        b.data ? b.data : "(null)", cases[i].out);
            failures++;
        }
        dltc__buf_free(&b);
    }
    assert_int_equal(failures, 0);
}

static void identifiers(void **state)
{
    (void)state;
    check_table(IDENTIFIERS, sizeof(IDENTIFIERS) / sizeof(IDENTIFIERS[0]), 0);
}

static void paths(void **state)
{
    (void)state;
    check_table(PATHS, sizeof(PATHS) / sizeof(PATHS[0]), 1);
}

static void table_identifiers_match(void **state)
{
    (void)state;
    const dltc_naming *nm = dltc__naming_get("snake_case", 0);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__naming_normalize_table_identifier(nm, "MyTable", 7, &b), 0);
    assert_string_equal(b.data, "my_table");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__naming_normalize_tables_path(nm, "Users__PetNames", 15, &b), 0);
    assert_string_equal(b.data, "users__pet_names");
    dltc__buf_free(&b);
}

typedef struct {
    const char *in;
    size_t max_length;
    int path;
    const char *out;
} short_case;

static const short_case SHORTENED[] = {
    /* tag of the stripped identifier: 8sbgdq; 20 = 7 + 6 + 7 */
    {"a_very_long_identifier_name_that_exceeds_the_limit", 20, 0, "a_very_8sbgdqe_limit"},
    {"  a_very_long_identifier_name_that_exceeds_the_limit ", 20, 0, "a_very_8sbgdqe_limit"},
    {"VeryLongCamelCaseIdentifierName", 16, 0, "very_dpoqgg_name"},
    {"abcdefghijk", 7, 0, "aah6k9g"}, /* odd remainder: the extra character goes first */
    {"abcdefghijk", 6, 0, "ah6k9g"},  /* the tag alone */
    {"abcdefg", 7, 0, "abcdefg"},     /* not longer than max: unchanged */
    /* lengths are code points: the Arabic-Indic digits count one each */
    {"\xd9\xa3\xd9\xa3\xd9\xa3\xd9\xa3\xd9\xa3\xd9\xa3\xd9\xa3\xd9\xa3\xd9\xa3\xd9\xa3" "abc", 9,
     0, "_\xd9\xa3hpk90wc"},
    /* paths: the whole is shortened with a tag of the original (unstripped) path */
    {"parent_table__child_table__grand_child", 20, 1, "parent_ymfdzad_child"},
    {" parent_table__child_table__grand_child", 20, 1, "parent_ux9mfwd_child"},
    /* each part is shortened first, then the whole */
    {"very_long_component_name__x", 12, 1, "verxaindw__x"},
};

static void shortening(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(SHORTENED) / sizeof(SHORTENED[0]); i++) {
        const short_case *c = &SHORTENED[i];
        const dltc_naming *nm = dltc__naming_get("snake_case", c->max_length);
        assert_non_null(nm);
        dltc_buf b = DLTC_BUF_INIT;
        int rc = c->path ? dltc__naming_normalize_path(nm, c->in, strlen(c->in), &b)
                         : dltc__naming_normalize_identifier(nm, c->in, strlen(c->in), &b);
        if (rc || strcmp(b.data, c->out) != 0) {
            print_error("\"%s\" (max %zu): got %d \"%s\", expected \"%s\"\n", c->in,
                        c->max_length, rc, b.data ? b.data : "", c->out);
            failures++;
        }
        dltc__buf_free(&b);
    }
    assert_int_equal(failures, 0);
}

static void tags(void **state)
{
    (void)state;
    char t[DLTC_NAMING_TAG_LEN + 1];
    dltc__naming_tag("x", 1, t);
    assert_string_equal(t, "5hlf4w");
    dltc__naming_tag("", 0, t);
    assert_string_equal(t, "f5wrpa");
    dltc__naming_tag("名前", strlen("名前"), t);
    assert_string_equal(t, "1rfq7q");
    dltc__naming_tag("ORIGINAL", 8, t);
    assert_string_equal(t, "x0y2og");
}

static void shorten_identifier_direct(void **state)
{
    (void)state;
    dltc_buf b = DLTC_BUF_INIT;
    /* the tag comes from the second argument */
    assert_int_equal(dltc__naming_shorten_identifier("abcdefghijklmnop", 16, "ORIGINAL", 8, 10,
                                                     &b),
                     0);
    assert_string_equal(b.data, "abx0y2ogop");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__naming_shorten_identifier("abc", 3, "abc", 3, 0, &b), 0);
    assert_string_equal(b.data, "abc");
    dltc__buf_clear(&b);
    /* a tag does not fit: dlt asserts, we refuse */
    assert_int_equal(dltc__naming_shorten_identifier("abcdefgh", 8, "x", 1, 5, &b),
                     DLTC_EINVALID);
    assert_int_equal(b.len, 0);
    /* dltc__naming_shorten: tag of the text itself */
    const dltc_naming *nm = dltc__naming_get("snake_case", 20);
    assert_int_equal(dltc__naming_shorten(nm, "users__very_long_component_name__more", 37, &b),
                     0);
    assert_string_equal(b.data, "users__6sjqtae__more");
    dltc__buf_free(&b);
}

static void fragments(void **state)
{
    (void)state;
    const dltc_naming *nm = dltc__naming_get("snake_case", 20);
    dltc_buf b = DLTC_BUF_INIT;
    const dltc_naming_frag f1[] = {{"users", 5}, {"very_long_component_name", 24}, {"more", 4}};
    assert_int_equal(dltc__naming_shorten_fragments(nm, f1, 3, &b), 0);
    assert_string_equal(b.data, "users__6sjqtae__more");
    dltc__buf_clear(&b);
    /* whitespace-only fragments are dropped */
    const dltc_naming_frag f2[] = {{"a", 1}, {" ", 1}, {"", 0}, {"b", 1}};
    assert_int_equal(dltc__naming_make_path(nm, f2, 4, &b), 0);
    assert_string_equal(b.data, "a__b");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__naming_shorten_fragments(nm, f2, 4, &b), 0);
    assert_string_equal(b.data, "a__b");
    dltc__buf_clear(&b);
    /* make_path neither normalizes nor shortens */
    const dltc_naming_frag f3[] = {{"Not Normal", 10}, {"very_long_component_name", 24}};
    assert_int_equal(dltc__naming_make_path(nm, f3, 2, &b), 0);
    assert_string_equal(b.data, "Not Normal__very_long_component_name");
    dltc__buf_clear(&b);
    /* no fragments: nothing (dlt returns None) */
    assert_int_equal(dltc__naming_shorten_fragments(nm, NULL, 0, &b), 0);
    assert_int_equal(b.len, 0);
    dltc__buf_free(&b);
}

static void break_path(void **state)
{
    (void)state;
    const dltc_naming *nm = dltc__naming_get("snake_case", 0);
    dltc_naming_frag parts[4];
    const char *p = "a___b__ __c__";
    size_t n = dltc__naming_break_path(nm, p, strlen(p), parts, 4);
    assert_int_equal(n, 3);
    assert_int_equal(parts[0].len, 1);
    assert_memory_equal(parts[0].s, "a", 1);
    assert_int_equal(parts[1].len, 2); /* "_b": Python's split is left to right */
    assert_memory_equal(parts[1].s, "_b", 2);
    assert_int_equal(parts[2].len, 1);
    assert_memory_equal(parts[2].s, "c", 1);
    /* counting without room */
    assert_int_equal(dltc__naming_break_path(nm, p, strlen(p), NULL, 0), 3);
    assert_int_equal(dltc__naming_break_path(nm, "", 0, parts, 4), 0);
    assert_int_equal(dltc__naming_break_path(nm, " x ", 3, parts, 4), 1);
    assert_int_equal(parts[0].len, 3); /* parts are not stripped */
}

static void appends_to_buffer(void **state)
{
    (void)state;
    const dltc_naming *nm = dltc__naming_get("snake_case", 10);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__buf_puts(&b, "prefix:"), 0);
    assert_int_equal(dltc__naming_normalize_identifier(nm, "HelloWorld", 10, &b), 0);
    assert_string_equal(b.data, "prefix:hekc1z0qld"); /* only the appended part is shortened */
    /* a failure leaves the buffer as it was */
    assert_int_equal(dltc__naming_normalize_identifier(nm, " ", 1, &b), DLTC_EINVALID);
    assert_string_equal(b.data, "prefix:hekc1z0qld");
    dltc__buf_free(&b);
}

static void buffer_limit(void **state)
{
    (void)state;
    const dltc_naming *nm = dltc__naming_get("snake_case", 0);
    dltc_buf b = DLTC_BUF_INIT;
    b.limit = 8;
    assert_int_equal(dltc__buf_puts(&b, "ab"), 0);
    assert_int_equal(dltc__naming_normalize_path(nm, "abcdef__ghijkl", 14, &b), DLTC_ELIMIT);
    assert_string_equal(b.data, "ab");
    dltc__buf_free(&b);
}

static void long_identifiers(void **state)
{
    (void)state;
    /* longer than the stack scratch buffer */
    char in[601];
    for (int i = 0; i < 600; i += 2) {
        in[i] = 'A';
        in[i + 1] = 'b';
    }
    in[600] = '\0';
    const dltc_naming *nm = dltc__naming_get("snake_case", 0);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__naming_normalize_identifier(nm, in, 600, &b), 0);
    assert_int_equal(b.len, 899);
    assert_memory_equal(b.data, "ab_ab_ab_ab_", 12);
    dltc__buf_clear(&b);
    nm = dltc__naming_get("snake_case", 63);
    assert_int_equal(dltc__naming_normalize_identifier(nm, in, 600, &b), 0);
    assert_string_equal(b.data, "ab_ab_ab_ab_ab_ab_ab_ab_ab_abtt5emab_ab_ab_ab_ab_ab_ab_ab_ab_ab");
    dltc__buf_free(&b);
}

static void registry(void **state)
{
    (void)state;
    const dltc_naming *a = dltc__naming_get("snake_case", 64);
    const dltc_naming *b = dltc__naming_get("dlt.common.normalizers.naming.snake_case", 64);
    const dltc_naming *c = dltc__naming_get("snake_case", 63);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    assert_int_equal(a->max_length, 64);
    assert_string_equal(a->conv->name, "snake_case");
    assert_string_equal(a->conv->path_separator, "__");
    assert_false(dltc__naming_is_case_sensitive(a));
    assert_null(dltc__naming_get("no_such_convention", 0));
    assert_int_equal(dltc_error_last()->code, DLTC_ENOTFOUND);
    assert_null(dltc__naming_convention_find("sql_cs_v1"));
}

static void strip(void **state)
{
    (void)state;
    const char *s = "\xe2\x80\xa8 \xc2\x85x y\xe2\x80\xaf\r\n";
    size_t len = strlen(s);
    dltc__naming_strip(&s, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x y", 3);
    /* a stray continuation byte at the end is not whitespace */
    s = "a\x80";
    len = 2;
    dltc__naming_strip(&s, &len);
    assert_int_equal(len, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identifiers),
        cmocka_unit_test(paths),
        cmocka_unit_test(table_identifiers_match),
        cmocka_unit_test(shortening),
        cmocka_unit_test(tags),
        cmocka_unit_test(shorten_identifier_direct),
        cmocka_unit_test(fragments),
        cmocka_unit_test(break_path),
        cmocka_unit_test(appends_to_buffer),
        cmocka_unit_test(buffer_limit),
        cmocka_unit_test(long_identifiers),
        cmocka_unit_test(registry),
        cmocka_unit_test(strip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
