/* Resources through a pipeline: map, per-item table names, an unselected parent feeding a
 * transformer, and a failing resource that loads nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "testutil.h"

typedef struct {
    char *dir;
    dltc_pipeline *p;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    char pd[4096], db[4096];
    snprintf(pd, sizeof(pd), "%s/pipelines", f->dir);
    snprintf(db, sizeof(db), "%s/test.duckdb", f->dir);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = pd;
    o.credentials = db;
    assert_int_equal(dltc_pipeline_open(&f->p, "res", &o), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dltc_pipeline_free(f->p);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static long long scalar(dltc_pipeline *p, const char *sql)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    long long v = dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    dltc_rows_free(rows);
    return v;
}

static int events(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++)
        return DLTC_ITEROVER;
    const char *json = "{\"kind\":\"click\",\"n\":1}\n{\"kind\":\"view\",\"n\":2}\n"
                       "{\"kind\":\"click\",\"n\":3}";
    return dltc_yield_json(y, json, strlen(json));
}

static const char *by_kind(const dltc_value *item, void *payload)
{
    (void)payload;
    return dltc_value_get_str(dltc_object_get(item, "kind"), NULL);
}

static const dltc_value *double_n(const dltc_value *item, dltc_doc *doc, void *payload)
{
    (void)payload;
    dltc_value *o = dltc_value_object(doc);
    dltc_object_set(doc, o, "kind",
                    dltc_value_cstring(doc, dltc_value_get_str(dltc_object_get(item, "kind"), NULL)));
    dltc_object_set(doc, o, "n", dltc_value_int(doc, 2 * dltc_value_get_int(dltc_object_get(item, "n"))));
    return o;
}

static void map_and_dynamic_tables(void **state)
{
    fx *f = *state;
    int calls = 0;
    dltc_source *src;
    dltc_resource *r;
    dltc_resource_options o = DLTC_RESOURCE_OPTIONS_INIT;
    o.table_name_fn = by_kind;
    assert_int_equal(dltc_source_new(&src, "res"), 0);
    assert_int_equal(dltc_resource_new(&r, "events", events, &calls, &o), 0);
    assert_int_equal(dltc_resource_add_map(r, double_n, NULL), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    assert_int_equal(scalar(f->p, "SELECT sum(n) FROM click"), 8);
    assert_int_equal(scalar(f->p, "SELECT sum(n) FROM view"), 4);
    dltc_source_free(src);
}

static int numbers(dltc_yield *y, void *payload)
{
    int *i = payload;
    if (*i >= 5)
        return DLTC_ITEROVER;
    dltc_doc *d = dltc_yield_doc(y);
    dltc_value *o = dltc_value_object(d);
    dltc_object_set(d, o, "i", dltc_value_int(d, (*i)++));
    return dltc_yield_value(y, o);
}

static int squares(const dltc_value *item, dltc_yield *y, void *payload)
{
    (void)payload;
    int64_t i = dltc_value_get_int(dltc_object_get(item, "i"));
    dltc_doc *d = dltc_yield_doc(y);
    dltc_value *o = dltc_value_object(d);
    dltc_object_set(d, o, "sq", dltc_value_int(d, i * i));
    return dltc_yield_value(y, o);
}

static void unselected_parent_feeds_transformer(void **state)
{
    fx *f = *state;
    int i = 0;
    dltc_source *src;
    dltc_resource *parent, *t;
    dltc_resource_options po = DLTC_RESOURCE_OPTIONS_INIT;
    po.selected = 0;
    assert_int_equal(dltc_source_new(&src, "res"), 0);
    assert_int_equal(dltc_resource_new(&parent, "numbers", numbers, &i, &po), 0);
    assert_int_equal(dltc_source_add(src, parent), 0);
    assert_int_equal(dltc_resource_add_limit(parent, 3), 0);
    assert_int_equal(dltc_transformer_new(&t, "squares", parent, squares, NULL, NULL), 0);
    assert_int_equal(dltc_source_add(src, t), 0);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM squares"), 3); /* limit: 3 pages */
    assert_int_equal(scalar(f->p, "SELECT sum(sq) FROM squares"), 0 + 1 + 4);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_name = 'numbers'"), 0);
    dltc_source_free(src);
}

static int broken(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++ == 0) {
        const char *json = "{\"a\": 1}";
        return dltc_yield_json(y, json, strlen(json));
    }
    return DLTC_ENETWORK; /* e.g. the API went away mid-way */
}

static void failing_resource_loads_nothing(void **state)
{
    fx *f = *state;
    int calls = 0;
    dltc_source *src;
    dltc_resource *r;
    assert_int_equal(dltc_source_new(&src, "res"), 0);
    assert_int_equal(dltc_resource_new(&r, "broken", broken, &calls, NULL), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), DLTC_ENETWORK);
    assert_non_null(strstr(dltc_error_last()->message, "broken"));
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_name = 'broken'"), 0);
    dltc_source_free(src);
}

static const char *text(dltc_pipeline *p, const char *sql, char *buf, size_t n)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    size_t len = 0;
    const char *s = dltc_value_get_str(dltc_rows_get(rows, 0, 0), &len);
    snprintf(buf, n, "%.*s", (int)len, s ? s : "");
    dltc_rows_free(rows);
    return buf;
}

static int priced(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++)
        return DLTC_ITEROVER;
    const char *json = "{\"Id\": 7, \"price\": 12.5, \"code\": 42}";
    return dltc_yield_json(y, json, strlen(json));
}

/* dlt's `columns` hint: types, precision, nullability and a typed column that gets no data
 * (created: it is complete); names are normalized like data; file_format per resource. */
static void column_hints_and_file_format(void **state)
{
    fx *f = *state;
    int calls = 0;
    dltc_source *src;
    dltc_resource *r;
    dltc_resource_options o = DLTC_RESOURCE_OPTIONS_INIT;
    o.columns = "{\"Id\": {\"nullable\": false}, \"price\": {\"data_type\": \"decimal\", "
                "\"precision\": 10, \"scale\": 2}, \"code\": {\"data_type\": \"text\"}, "
                "\"note\": {\"data_type\": \"text\"}, \"hint_only\": {\"unique\": true}}";
    o.file_format = "csv";
    assert_int_equal(dltc_source_new(&src, "res"), 0);
    assert_int_equal(dltc_resource_new(&r, "priced", priced, &calls, &o), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    char buf[256];
    assert_string_equal(text(f->p, "SELECT data_type FROM information_schema.columns WHERE "
                                   "table_name = 'priced' AND column_name = 'price'",
                             buf, sizeof(buf)),
                        "DECIMAL(10,2)");
    assert_string_equal(text(f->p, "SELECT is_nullable FROM information_schema.columns WHERE "
                                   "table_name = 'priced' AND column_name = 'id'",
                             buf, sizeof(buf)),
                        "NO");
    assert_string_equal(text(f->p, "SELECT code FROM priced", buf, sizeof(buf)), "42");
    assert_string_equal(text(f->p, "SELECT price::VARCHAR FROM priced", buf, sizeof(buf)), "12.50");
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.columns WHERE "
                                  "table_name = 'priced' AND column_name = 'note'"), 1);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.columns WHERE "
                                  "table_name = 'priced' AND column_name = 'hint_only'"), 0);
    char *schema = NULL;
    assert_int_equal(dltc_pipeline_schema_export(f->p, &schema, 1), 0);
    assert_non_null(strstr(schema, "\"file_format\": \"csv\""));
    dltc_free(schema);
    dltc_source_free(src);

    /* a hint that contradicts loaded data, and a bad hint, fail clearly */
    calls = 0;
    o.columns = "{\"code\": {\"data_type\": \"bigint\"}}";
    o.file_format = NULL;
    assert_int_equal(dltc_source_new(&src, "res"), 0);
    assert_int_equal(dltc_resource_new(&r, "priced", priced, &calls, &o), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    assert_int_not_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_non_null(strstr(dltc_error_last()->message, "column code: the hint says bigint"));
    dltc_source_free(src);
    o.columns = "{\"x\": {\"data_type\": \"integer\"}}";
    calls = 0;
    assert_int_equal(dltc_source_new(&src, "res"), 0);
    assert_int_equal(dltc_resource_new(&r, "other", priced, &calls, &o), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    assert_int_not_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_non_null(strstr(dltc_error_last()->message, "unknown data type 'integer'"));
    dltc_source_free(src);
}

static int drifting(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++)
        return DLTC_ITEROVER;
    const char *json = "{\"id\": 1, \"name\": \"a\"}\n{\"id\": 2, \"name\": \"b\", \"new_col\": 1}\n"
                       "{\"id\": \"three\", \"name\": \"c\"}";
    return dltc_yield_json(y, json, strlen(json));
}

/* A contract on a resource: the first run makes the table (new tables take all their
 * columns), later runs are held to it. */
static void resource_schema_contract(void **state)
{
    fx *f = *state;
    static const struct {
        const char *contract;
        int fails;
        long long rows, ids_null;
        int has_new_col;
    } cases[] = {
        {"{\"columns\": \"freeze\"}", 1, 0, 0, 0},
        {"{\"columns\": \"discard_row\", \"data_type\": \"discard_row\"}", 0, 1, 0, 0},
        {"{\"columns\": \"discard_value\", \"data_type\": \"discard_value\"}", 0, 3, 1, 0},
        {"evolve", 0, 3, 0, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char table[32];
        snprintf(table, sizeof(table), "drift_%zu", i);
        /* first run: one row makes the table */
        char buf[256];
        snprintf(buf, sizeof(buf), "{\"id\": 0, \"name\": \"z\"}");
        dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
        ro.table_name = table;
        assert_int_equal(dltc_pipeline_run_json(f->p, buf, strlen(buf), &ro, NULL), 0);
        int calls = 0;
        dltc_source *src;
        dltc_resource *r;
        dltc_resource_options o = DLTC_RESOURCE_OPTIONS_INIT;
        o.table_name = table;
        o.schema_contract = cases[i].contract;
        assert_int_equal(dltc_source_new(&src, "res"), 0);
        assert_int_equal(dltc_resource_new(&r, table, drifting, &calls, &o), 0);
        assert_int_equal(dltc_source_add(src, r), 0);
        int rc = dltc_pipeline_run_source(f->p, src, NULL);
        dltc_source_free(src);
        char sql[256];
        if (cases[i].fails) {
            assert_int_not_equal(rc, 0);
            assert_non_null(strstr(dltc_error_last()->message, "columns: freeze"));
        } else if (rc) {
            fail_msg("%s: %s", cases[i].contract, dltc_error_last()->message);
        }
        snprintf(sql, sizeof(sql), "SELECT count(*) - 1 FROM %s", table);
        assert_int_equal(scalar(f->p, sql), cases[i].rows);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE id IS NULL", table);
        if (!cases[i].has_new_col)
            assert_int_equal(scalar(f->p, sql), cases[i].ids_null);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM information_schema.columns WHERE "
                                   "table_name = '%s' AND column_name = 'new_col'", table);
        assert_int_equal(scalar(f->p, sql), cases[i].has_new_col);
    }
}

/* checked steps: keep, replace, drop, and fail the run; selection; what a source releases */
static int step_fn(const dltc_value *item, dltc_doc *doc, const dltc_value **out, void *payload)
{
    (void)payload;
    int64_t n = dltc_value_get_int(dltc_object_get(item, "n"));
    if (n == 99)
        return DLTC_EINVALID;
    if (n == 2) {
        *out = NULL;
        return 0;
    }
    dltc_value *o = dltc_value_object(doc);
    dltc_object_set(doc, o, "n", dltc_value_int(doc, n * 10));
    *out = o;
    return 0;
}

static int bad_rows(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++)
        return DLTC_ITEROVER;
    const char *json = "{\"n\":1}\n{\"n\":99}";
    return dltc_yield_json(y, json, strlen(json));
}

static int released;
static void release(void *p)
{
    released += *(int *)p;
}

static void checked_steps_selection_on_free(void **state)
{
    fx *f = *state;
    int calls = 0, one = 1, two = 2;
    dltc_source *src;
    dltc_resource *r, *other;
    assert_int_equal(dltc_source_new(&src, "steps"), 0);
    assert_int_equal(dltc_resource_new(&r, "ev", events, &calls, NULL), 0);
    assert_int_equal(dltc_resource_add_step(r, step_fn, NULL), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    int calls2 = 0;
    assert_int_equal(dltc_resource_new(&other, "other", events, &calls2, NULL), 0);
    assert_int_equal(dltc_source_add(src, other), 0);
    assert_int_equal(dltc_resource_selected(other), 1);
    assert_int_equal(dltc_resource_set_selected(other, 0), 0);
    assert_int_equal(dltc_resource_selected(other), 0);
    assert_int_equal(dltc_source_on_free(src, release, &one), 0);
    assert_int_equal(dltc_source_on_free(src, release, &two), 0);
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM ev"), 2);
    assert_int_equal(scalar(f->p, "SELECT sum(n) FROM ev"), 40);
    assert_int_not_equal(scalar(f->p, "SELECT count(*) FROM information_schema.tables WHERE "
                                      "table_name = 'other'"), 1);
    released = 0;
    dltc_source_free(src);
    assert_int_equal(released, 3);
    /* a step that fails fails the run, and nothing is loaded */
    calls = 0;
    assert_int_equal(dltc_source_new(&src, "steps"), 0);
    assert_int_equal(dltc_resource_new(&r, "bad", bad_rows, &calls, NULL), 0);
    assert_int_equal(dltc_resource_add_step(r, step_fn, NULL), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), DLTC_EINVALID);
    dltc_source_free(src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.tables WHERE "
                                  "table_name = 'bad'"), 0);
    assert_int_equal(dltc_resource_add_step(NULL, step_fn, NULL), DLTC_EINVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(map_and_dynamic_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(unselected_parent_feeds_transformer, setup, teardown),
        cmocka_unit_test_setup_teardown(failing_resource_loads_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(column_hints_and_file_format, setup, teardown),
        cmocka_unit_test_setup_teardown(resource_schema_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(checked_steps_selection_on_free, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
