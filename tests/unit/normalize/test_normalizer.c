/* The normalizer's API: built values, typed values, non-object items, errors that name what
 * and where, and that a failed run leaves nothing behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "testutil.h"
#include "common/buf.h"
#include "formats/json.h"

#include <sys/stat.h>

typedef struct {
    char *dir;
    dltc_schema *schema;
    dltc_normalizer *n;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dltc_normalizer_free(f->n);
    dltc_schema_free(f->schema);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void open_n(fixture *f, const char *table)
{
    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    o.table_name = table;
    o.out_dir = f->dir;
    assert_int_equal(dltc_schema_new(&f->schema, table), 0);
    assert_int_equal(dltc_normalizer_new(&f->n, f->schema, &o), 0);
}

static const char *coltype(dltc_schema *s, const char *table, const char *col)
{
    for (size_t t = 0; t < dltc_schema_table_count(s); t++) {
        if (strcmp(dltc_schema_table_name(s, t), table))
            continue;
        for (size_t c = 0; c < dltc_schema_column_count(s, t); c++)
            if (!strcmp(dltc_schema_column_name(s, t, c), col))
                return dltc_schema_column_type(s, t, c);
    }
    return NULL;
}

static char *table_file(fixture *f, const char *table)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s.jsonl", f->dir, table);
    return tu_read_file(p, NULL);
}

static void typed_values(void **state)
{
    fixture *f = *state;
    open_n(f, "events");
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc_value *o = dltc_value_object(d);
    assert_int_equal(dltc_object_set(d, o, "At", dltc_value_timestamp(d, 1700000000500000, 1)), 0);
    assert_int_equal(dltc_object_set(d, o, "day", dltc_value_date(d, 19723)), 0);
    assert_int_equal(dltc_object_set(d, o, "clock", dltc_value_time(d, 3600000000LL)), 0);
    assert_int_equal(dltc_object_set(d, o, "amount", dltc_value_decimal(d, "12.340")), 0);
    assert_int_equal(dltc_object_set(d, o, "raw", dltc_value_binary(d, "\x01\x02", 2)), 0);
    assert_int_equal(dltc_object_set(d, o, "n", dltc_value_int(d, 5)), 0);
    dltc_value *tags = dltc_value_array(d);
    assert_int_equal(dltc_array_append(d, tags, dltc_value_cstring(d, "x")), 0);
    assert_int_equal(dltc_object_set(d, o, "tags", tags), 0);
    assert_int_equal(dltc_normalizer_feed_value(f->n, o), 0);
    dltc_doc_free(d);
    assert_int_equal(dltc_normalizer_finish(f->n), 0);
    assert_string_equal(coltype(f->schema, "events", "at"), "timestamp");
    assert_string_equal(coltype(f->schema, "events", "day"), "date");
    assert_string_equal(coltype(f->schema, "events", "clock"), "time");
    assert_string_equal(coltype(f->schema, "events", "amount"), "decimal");
    assert_string_equal(coltype(f->schema, "events", "raw"), "binary");
    assert_string_equal(coltype(f->schema, "events__tags", "value"), "text");
    char *rows = table_file(f, "events");
    assert_non_null(strstr(rows, "\"at\":\"2023-11-14T22:13:20.500000+00:00\""));
    assert_non_null(strstr(rows, "\"day\":\"2024-01-01\""));
    assert_non_null(strstr(rows, "\"clock\":\"01:00:00\""));
    assert_non_null(strstr(rows, "\"amount\":\"12.340\""));
    assert_non_null(strstr(rows, "\"raw\":\"AQI=\""));
    free(rows);
}

static void built_equals_json(void **state)
{
    fixture *f = *state;
    open_n(f, "t");
    const char *json = "{\"a\":1,\"b\":{\"c\":\"x\"},\"l\":[true,null]}";
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc_value *o = dltc_value_object(d), *b = dltc_value_object(d), *l = dltc_value_array(d);
    dltc_object_set(d, b, "c", dltc_value_cstring(d, "x"));
    dltc_array_append(d, l, dltc_value_bool(d, 1));
    dltc_array_append(d, l, dltc_value_null(d));
    dltc_object_set(d, o, "a", dltc_value_int(d, 1));
    dltc_object_set(d, o, "b", b);
    dltc_object_set(d, o, "l", l);
    assert_int_equal(dltc_normalizer_feed_value(f->n, o), 0);
    assert_int_equal(dltc_normalizer_feed_json(f->n, json, strlen(json), "inline"), 0);
    dltc_doc_free(d);
    assert_int_equal(dltc_normalizer_finish(f->n), 0);
    char *rows = table_file(f, "t");
    /* both rows: same keys in the same order, only ids differ */
    char *second = strchr(rows, '\n') + 1;
    assert_int_equal(strncmp(rows, "{\"a\":1,\"b__c\":\"x\",\"_dlt_load_id\":", 33), 0);
    assert_int_equal(strncmp(second, "{\"a\":1,\"b__c\":\"x\",\"_dlt_load_id\":", 33), 0);
    free(rows);
    char *l_rows = table_file(f, "t__l");
    /* [true, null] twice: the null element is a row without a value */
    int lines = 0;
    for (char *p = l_rows; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 4);
    free(l_rows);
}

static void scalar_items_are_wrapped(void **state)
{
    fixture *f = *state;
    open_n(f, "numbers");
    const char *json = "[1, 2, 3]";
    assert_int_equal(dltc_normalizer_feed_json(f->n, json, strlen(json), NULL), 0);
    assert_int_equal(dltc_normalizer_finish(f->n), 0);
    assert_string_equal(coltype(f->schema, "numbers", "value"), "bigint");
    assert_int_equal(dltc_normalizer_table_rows(f->n, 0), 3);
}

static void nested_ids_are_deterministic(void **state)
{
    fixture *f = *state;
    open_n(f, "p");
    const char *json = "{\"_dlt_id\":\"abc\",\"tags\":[\"a\",\"b\",\"c\"]}";
    assert_int_equal(dltc_normalizer_feed_json(f->n, json, strlen(json), NULL), 0);
    assert_int_equal(dltc_normalizer_finish(f->n), 0);
    char *rows = table_file(f, "p__tags");
    /* base64(shake128("abc_p__tags_<idx>")[:10]) from Python's hashlib; the normalizer
     * hashes ids 0 and 1 together and 2 alone */
    assert_non_null(strstr(rows, "\"_dlt_parent_id\":\"abc\""));
    assert_non_null(strstr(rows, "\"_dlt_id\":\"" "XOxiRnqTePNbuA" "\""));
    assert_non_null(strstr(rows, "\"_dlt_id\":\"" "ydS7ATiz05rCSQ" "\""));
    assert_non_null(strstr(rows, "\"_dlt_id\":\"" "9vaBBsUNLN1QTg" "\""));
    free(rows);
}

static void clash_names_table_and_column_and_cleans_up(void **state)
{
    fixture *f = *state;
    open_n(f, "t");
    /* x is bigint; an ISO string makes the variant x__v_text typed timestamp (dlt's detection
     * runs on variants); plain text then fits neither */
    const char *json = "{\"x\":1}\n{\"x\":\"2024-01-01T00:00:00Z\"}\n{\"x\":\"hello\"}\n";
    assert_int_equal(dltc_normalizer_feed_json(f->n, json, strlen(json), "in.jsonl"), DLTC_EINVALID);
    const char *msg = dltc_error_last()->message;
    assert_non_null(strstr(msg, "in.jsonl:3"));
    assert_non_null(strstr(msg, "x__v_text"));
    assert_non_null(strstr(msg, "'t'"));
    assert_int_equal(dltc_normalizer_finish(f->n), DLTC_EINVALID);
    dltc_normalizer_free(f->n);
    f->n = NULL;
    assert_int_equal(tu_count_entries(f->dir), 0);
}

/* dlt's coerce_row: a value goes into its column when it coerces, also once a variant of its
 * type exists ("42" into bigint after "x" made c__v_text) */
static void coercible_value_after_variant_goes_to_column(void **state)
{
    fixture *f = *state;
    open_n(f, "t");
    const char *json = "{\"c\":1}\n{\"c\":\"x\"}\n{\"c\":\"42\"}\n{\"c\":\"y\"}\n";
    assert_int_equal(dltc_normalizer_feed_json(f->n, json, strlen(json), NULL), 0);
    assert_int_equal(dltc_normalizer_finish(f->n), 0);
    assert_string_equal(coltype(f->schema, "t", "c"), "bigint");
    assert_string_equal(coltype(f->schema, "t", "c__v_text"), "text");
    char *rows = table_file(f, "t");
    assert_non_null(strstr(rows, "\"c\":42"));
    assert_null(strstr(rows, "\"c__v_text\":\"42\""));
    assert_non_null(strstr(rows, "\"c__v_text\":\"y\""));
    free(rows);
}

/* two keys with one normalized name: the later value only, as dlt's flattened dict keeps it
 * (no column of the earlier value's type, no variant) */
static void colliding_keys_keep_the_later_value(void **state)
{
    fixture *f = *state;
    open_n(f, "t");
    const char *json = "{\"a_b\":3,\"a-b\":\"str\",\"n\":{\"x\":1},\"N\":{\"y\":2},"
                       "\"l\":[1],\"L\":[2,3]}\n";
    assert_int_equal(dltc_normalizer_feed_json(f->n, json, strlen(json), NULL), 0);
    assert_int_equal(dltc_normalizer_finish(f->n), 0);
    assert_string_equal(coltype(f->schema, "t", "a_b"), "text");
    assert_null(coltype(f->schema, "t", "a_b__v_text"));
    char *rows = table_file(f, "t");
    assert_non_null(strstr(rows, "\"a_b\":\"str\""));
    free(rows);
    /* nested dicts merge into one flattened dict: both leaves stay */
    assert_string_equal(coltype(f->schema, "t", "n__x"), "bigint");
    assert_string_equal(coltype(f->schema, "t", "n__y"), "bigint");
    /* lists: the later one is the nested table's rows */
    assert_int_equal(dltc_normalizer_table_rows(f->n, 1), 2);
}

static void malformed_json_reports_position(void **state)
{
    fixture *f = *state;
    open_n(f, "t");
    const char *json = "{\"a\":1}\n{\"a\":01}\n";
    assert_int_equal(dltc_normalizer_feed_json(f->n, json, strlen(json), "x.jsonl"), DLTC_EPARSE);
    assert_non_null(strstr(dltc_error_last()->message, "x.jsonl:2:"));
    dltc_normalizer_free(f->n);
    f->n = NULL;
    assert_int_equal(tu_count_entries(f->dir), 0);
}

static void bad_options(void **state)
{
    fixture *f = *state;
    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    assert_int_equal(dltc_schema_new(&f->schema, "t"), 0);
    assert_int_equal(dltc_normalizer_new(&f->n, f->schema, &o), DLTC_EINVALID);
    o.table_name = "t";
    o.out_dir = f->dir;
    o.write_disposition = "upsert";
    assert_int_equal(dltc_normalizer_new(&f->n, f->schema, &o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "upsert"));
    o.write_disposition = NULL;
    o.file_format = "xml";
    assert_int_equal(dltc_normalizer_new(&f->n, f->schema, &o), DLTC_EINVALID);
    assert_null(f->n);
}

static void primary_key_hint_and_merge_propagation(void **state)
{
    fixture *f = *state;
    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    o.table_name = "m";
    o.out_dir = f->dir;
    o.write_disposition = "merge";
    o.primary_key = "ID";
    assert_int_equal(dltc_schema_new(&f->schema, "m"), 0);
    assert_int_equal(dltc_normalizer_new(&f->n, f->schema, &o), 0);
    const char *json = "{\"ID\":1,\"kids\":[{\"k\":[1]}]}";
    assert_int_equal(dltc_normalizer_feed_json(f->n, json, strlen(json), NULL), 0);
    assert_int_equal(dltc_normalizer_finish(f->n), 0);
    assert_string_equal(coltype(f->schema, "m", "id"), "bigint");
    assert_string_equal(coltype(f->schema, "m__kids", "_dlt_root_id"), "text");
    assert_string_equal(coltype(f->schema, "m__kids__k", "_dlt_root_id"), "text");
    char *root = table_file(f, "m"), *kk = table_file(f, "m__kids__k");
    char *id = strstr(root, "\"_dlt_id\":\"") + 11;
    char want[64];
    snprintf(want, sizeof(want), "\"_dlt_root_id\":\"%.14s\"", id);
    assert_non_null(strstr(kk, want));
    free(root);
    free(kk);
}


/* Normalize `json` with the schema `yaml` into `dir`, as JSON text (mem) or as a value. */
static void normalize_into(const char *dir, const char *yaml, const char *json, size_t len,
                           int as_value)
{
    dltc_schema *s;
    if (dltc_schema_import(&s, yaml, strlen(yaml)))
        fail_msg("import: %s", dltc_error_last()->message);
    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    o.table_name = "big";
    o.out_dir = dir;
    o.load_id = "1700000000.1";
    dltc_normalizer *n;
    assert_int_equal(dltc_normalizer_new(&n, s, &o), 0);
    if (as_value) {
        dltc_doc *doc;
        dltc_value *v;
        assert_int_equal(dltc_doc_new(&doc), 0);
        assert_int_equal(dltc_doc_parse_json(doc, json, len, &v), 0);
        assert_int_equal(dltc_normalizer_feed_value(n, v), 0);
        dltc_doc_free(doc);
    } else {
        if (dltc_normalizer_feed_json(n, json, len, "big.json"))
            fail_msg("%s", dltc_error_last()->message);
    }
    assert_int_equal(dltc_normalizer_finish(n), 0);
    dltc_normalizer_free(n);
    dltc_schema_free(s);
}

/* One item far bigger than the reader's chunk: its big lists are streamed after the parent
 * row (formats/json.h, defer_bytes), and the files are the same as when it is parsed whole:
 * rows, ids, a list of lists, and a big list that stays JSON. */
static void big_item_streams_its_lists(void **state)
{
    fixture *f = *state;
    dltc_buf in = DLTC_BUF_INIT;
    assert_int_equal(dltc__buf_puts(&in, "{\"_dlt_id\":\"root1\",\"name\":\"export\",\"items\":["), 0);
    for (int i = 0; i < 40000; i++)
        assert_int_equal(dltc__buf_printf(&in, "%s{\"k\":%d,\"tags\":[\"a\",\"b\"],\"m\":{\"x\":%d.5},"
                                               "\"ll\":[[%d,2],[3]]}", i ? "," : "", i, i, i), 0);
    assert_int_equal(dltc__buf_puts(&in, "],\"blob\":["), 0);
    for (int i = 0; i < 300000; i++)
        assert_int_equal(dltc__buf_printf(&in, "%s%d", i ? "," : "", i), 0);
    assert_int_equal(dltc__buf_puts(&in, "],\"tail\":true}\n{\"name\":\"small\",\"items\":[{\"k\":1}]}"), 0);
    assert_true(in.len > 3u * DLTC_JSON_DEFER_BYTES);
    const char *yaml = "engine_version: 11\nname: big\ntables:\n  _dlt_version:\n    columns: {}\n"
                       "  _dlt_loads:\n    columns: {}\n  big:\n    columns:\n      blob:\n"
                       "        data_type: json\n";
    char a[4096], b[4096];
    snprintf(a, sizeof(a), "%s/streamed", f->dir);
    snprintf(b, sizeof(b), "%s/whole", f->dir);
    assert_int_equal(mkdir(a, 0700), 0);
    assert_int_equal(mkdir(b, 0700), 0);
    normalize_into(a, yaml, in.data, in.len, 0);
    /* parsed whole: the first item, then the second */
    const char *second = strstr(in.data, "\n{\"name\":\"small\"");
    assert_non_null(second);
    normalize_into(b, yaml, in.data, (size_t)(second - in.data), 1);
    static const char *const files[] = {"big.jsonl", "big__items.jsonl", "big__items__tags.jsonl",
                                        "big__items__ll.jsonl", "big__items__ll__list.jsonl"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char pa[4200], pb[4200];
        snprintf(pa, sizeof(pa), "%s/%s", a, files[i]);
        snprintf(pb, sizeof(pb), "%s/%s", b, files[i]);
        size_t la, lb;
        char *da = tu_read_file(pa, &la), *db = tu_read_file(pb, &lb);
        assert_non_null(da);
        assert_non_null(db);
        if (i == 0 || i == 1) { /* the second item's rows come after the first's */
            const char *cut = strstr(da, i == 0 ? "{\"name\":\"small\"" : "{\"k\":1,\"_dlt_parent_id\"");
            assert_non_null(cut);
            la = (size_t)(cut - da);
        }
        if (la != lb || memcmp(da, db, la) != 0)
            fail_msg("%s differs", files[i]);
        free(da);
        free(db);
    }
    dltc__buf_free(&in);
}

/* An error inside a streamed list names the file, line and column, once. */
static void big_item_error_in_a_streamed_list(void **state)
{
    fixture *f = *state;
    open_n(f, "big");
    dltc_buf in = DLTC_BUF_INIT;
    assert_int_equal(dltc__buf_puts(&in, "{\"id\":1,\n\"items\":["), 0);
    for (int i = 0; i < 300000; i++)
        assert_int_equal(dltc__buf_printf(&in, "%s{\"k\":%d}", i ? "," : "", i), 0);
    assert_int_equal(dltc__buf_puts(&in, ",\n{\"k\":tru}]}"), 0);
    assert_int_not_equal(dltc_normalizer_feed_json(f->n, in.data, in.len, "big.json"), 0);
    assert_string_equal(dltc_error_last()->message,
                        "big.json:3:6: invalid literal (the value starts at 1:1)");
    dltc__buf_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(typed_values, setup, teardown),
        cmocka_unit_test_setup_teardown(built_equals_json, setup, teardown),
        cmocka_unit_test_setup_teardown(scalar_items_are_wrapped, setup, teardown),
        cmocka_unit_test_setup_teardown(nested_ids_are_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(clash_names_table_and_column_and_cleans_up, setup, teardown),
        cmocka_unit_test_setup_teardown(coercible_value_after_variant_goes_to_column, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(colliding_keys_keep_the_later_value, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_json_reports_position, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(primary_key_hint_and_merge_propagation, setup, teardown),
        cmocka_unit_test_setup_teardown(big_item_streams_its_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(big_item_error_in_a_streamed_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
