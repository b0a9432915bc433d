/* The steps one at a time (extract, normalize, load), the pipeline's accessors and state,
 * load info accessors, and SQL with %s parameters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "testutil.h"

typedef struct {
    char *dir;
    char db[4096];
    dltc_pipeline *p;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    char pd[4096];
    snprintf(pd, sizeof(pd), "%s/pipelines", f->dir);
    snprintf(f->db, sizeof(f->db), "%s/steps.duckdb", f->dir);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = pd;
    o.credentials = f->db;
    o.dataset_name = "steps_data";
    assert_int_equal(dltc_pipeline_open(&f->p, "steps", &o), 0);
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

static int rows_cb(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++)
        return DLTC_ITEROVER;
    const char *json = "[{\"id\":1,\"tags\":[\"a\",\"b\"]},{\"id\":2}]";
    return dltc_yield_json(y, json, strlen(json));
}

static dltc_source *source(int *calls)
{
    dltc_source *src;
    dltc_resource *r;
    assert_int_equal(dltc_source_new(&src, "steps"), 0);
    assert_int_equal(dltc_resource_new(&r, "items", rows_cb, calls, NULL), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    return src;
}

static void steps_one_at_a_time(void **state)
{
    fx *f = *state;
    int calls = 0;
    dltc_source *src = source(&calls);
    dltc_load_info *ex = NULL, *no = NULL, *lo = NULL;
    assert_int_equal(dltc_pipeline_extract(f->p, src, &ex), 0);
    assert_int_equal(dltc_load_info_package_count(ex), 1);
    assert_string_equal(dltc_load_info_package_state(ex, 0), "EXTRACTED");
    const char *id = dltc_load_info_package_id(ex, 0);
    assert_int_equal(dltc_pipeline_first_run(f->p), 1);

    assert_int_equal(dltc_pipeline_normalize(f->p, &no), 0);
    assert_int_equal(dltc_load_info_package_count(no), 1);
    assert_string_equal(dltc_load_info_package_id(no, 0), id);
    assert_string_equal(dltc_load_info_package_state(no, 0), "NORMALIZED");

    assert_int_equal(dltc_pipeline_load(f->p, &lo), 0);
    assert_int_equal(dltc_load_info_package_count(lo), 1);
    assert_string_equal(dltc_load_info_package_id(lo, 0), id);
    assert_string_equal(dltc_load_info_package_state(lo, 0), "LOADED");
    assert_int_equal(dltc_load_info_package_failed_jobs(lo, 0), 0);
    int seen_items = 0, seen_tags = 0;
    for (size_t i = 0; i < dltc_load_info_table_count(lo); i++) {
        if (!strcmp(dltc_load_info_table_name(lo, i), "items"))
            seen_items = (int)dltc_load_info_table_rows(lo, i);
        if (!strcmp(dltc_load_info_table_name(lo, i), "items__tags"))
            seen_tags = (int)dltc_load_info_table_rows(lo, i);
    }
    assert_int_equal(seen_items, 2);
    assert_int_equal(seen_tags, 2);
    /* jobs and rows per package, without parsing the text */
    size_t nnew = 0;
    for (size_t j = 0; j < dltc_load_info_job_count(no, 0); j++)
        nnew += !strcmp(dltc_load_info_job_state(no, 0, j), "new_jobs");
    assert_true(nnew >= 2); /* items, items__tags (and the state) */
    int job_items = 0, job_tags = 0;
    for (size_t j = 0; j < dltc_load_info_job_count(lo, 0); j++) {
        assert_string_equal(dltc_load_info_job_state(lo, 0, j), "completed_jobs");
        const char *t = dltc_load_info_job_table(lo, 0, j), *n = dltc_load_info_job_name(lo, 0, j);
        assert_true(!strncmp(n, t, strlen(t)) && n[strlen(t)] == '.');
        job_items += !strcmp(t, "items");
        job_tags += !strcmp(t, "items__tags");
    }
    assert_int_equal(job_items, 1);
    assert_int_equal(job_tags, 1);
    assert_null(dltc_load_info_job_name(lo, 0, 99));
    assert_null(dltc_load_info_job_name(lo, 5, 0));
    assert_int_equal(dltc_load_info_package_table_count(lo, 0), dltc_load_info_table_count(lo));
    for (size_t k = 0; k < dltc_load_info_package_table_count(lo, 0); k++)
        if (!strcmp(dltc_load_info_package_table_name(lo, 0, k), "items__tags"))
            assert_int_equal(dltc_load_info_package_table_rows(lo, 0, k), 2);
    assert_int_equal(dltc_load_info_package_table_count(ex, 0), 0);
    assert_string_equal(dltc_load_info_dataset_name(lo), "steps_data");
    assert_string_equal(dltc_load_info_destination_name(lo), "duckdb");
    assert_string_equal(dltc_load_info_destination_type(lo), "dlt.destinations.duckdb");
    assert_non_null(strstr(dltc_load_info_location(lo), "steps.duckdb"));
    assert_true(dltc_load_info_elapsed(lo) >= 0);
    assert_int_equal(dltc_pipeline_first_run(f->p), 0);
    dltc_load_info_free(ex);
    dltc_load_info_free(no);
    dltc_load_info_free(lo);
    /* nothing left: the steps do nothing */
    assert_int_equal(dltc_pipeline_load(f->p, &lo), 0);
    assert_int_equal(dltc_load_info_package_count(lo), 0);
    dltc_load_info_free(lo);
    dltc_source_free(src);
}

static void accessors_and_state(void **state)
{
    fx *f = *state;
    assert_string_equal(dltc_pipeline_name(f->p), "steps");
    assert_string_equal(dltc_pipeline_dataset_name(f->p), "steps_data");
    assert_string_equal(dltc_pipeline_destination(f->p), "duckdb");
    assert_string_equal(dltc_pipeline_schema_name(f->p), "steps");
    assert_non_null(strstr(dltc_pipeline_working_dir(f->p), "/pipelines/steps"));
    assert_non_null(strstr(dltc_pipeline_pipelines_dir(f->p), "/pipelines"));
    assert_non_null(strstr(dltc_pipeline_location(f->p), "duckdb:///"));
    char *st = NULL;
    assert_int_equal(dltc_pipeline_state_json(f->p, &st), 0);
    assert_non_null(strstr(st, "\"pipeline_name\":\"steps\""));
    assert_null(strstr(st, "_local"));
    dltc_free(st);
    dltc_doc *doc;
    const dltc_value *v;
    assert_int_equal(dltc_doc_new(&doc), 0);
    assert_int_equal(dltc_pipeline_state(f->p, doc, &v), 0);
    assert_string_equal(dltc_value_get_str(dltc_object_get(v, "pipeline_name"), NULL), "steps");
    dltc_doc_free(doc);
}

static dltc_rows *exec(fx *f, const char *sql, const dltc_value *params)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_execute(f->p, sql, params, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    return rows;
}

static void execute_with_parameters(void **state)
{
    fx *f = *state;
    dltc_doc *doc;
    assert_int_equal(dltc_doc_new(&doc), 0);
    dltc_rows_free(exec(f, "CREATE TABLE ledger (n BIGINT, s TEXT, t TIMESTAMPTZ, b BLOB, "
                          "d DOUBLE, ok BOOLEAN)", NULL));
    dltc_value *p = dltc_value_array(doc);
    dltc_array_append(doc, p, dltc_value_int(doc, -7));
    dltc_array_append(doc, p, dltc_value_cstring(doc, "it's %s -- '; DROP TABLE ledger; --"));
    dltc_array_append(doc, p, dltc_value_timestamp(doc, 1704067200000000LL, 1));
    dltc_array_append(doc, p, dltc_value_binary(doc, "\x00\xff", 2));
    dltc_array_append(doc, p, dltc_value_double(doc, 0.5));
    dltc_array_append(doc, p, dltc_value_bool(doc, 1));
    dltc_rows_free(exec(f, "INSERT INTO ledger VALUES (%s, %s, %s, %s, %s, %s)", p));
    dltc_rows *rows = exec(f, "SELECT n, s, epoch(t), octet_length(b), d, ok, '100%%' "
                              "FROM ledger WHERE s <> '%s'", dltc_value_array(doc));
    assert_int_equal(dltc_rows_count(rows), 1);
    assert_int_equal(dltc_value_get_int(dltc_rows_get(rows, 0, 0)), -7);
    assert_string_equal(dltc_value_get_str(dltc_rows_get(rows, 0, 1), NULL),
                        "it's %s -- '; DROP TABLE ledger; --");
    assert_true(dltc_value_get_double(dltc_rows_get(rows, 0, 2)) == 1704067200.0);
    assert_int_equal(dltc_value_get_int(dltc_rows_get(rows, 0, 3)), 2);
    assert_true(dltc_value_get_double(dltc_rows_get(rows, 0, 4)) == 0.5);
    assert_int_equal(dltc_value_get_bool(dltc_rows_get(rows, 0, 5)), 1);
    assert_string_equal(dltc_value_get_str(dltc_rows_get(rows, 0, 6), NULL), "100%");
    dltc_rows_free(rows);
    /* placeholders and parameters must match */
    dltc_value *one = dltc_value_array(doc);
    dltc_array_append(doc, one, dltc_value_int(doc, 1));
    assert_int_equal(dltc_pipeline_execute(f->p, "SELECT %s, %s", one, NULL), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "placeholders"));
    assert_int_equal(dltc_pipeline_execute(f->p, "SELECT 1", one, NULL), DLTC_EINVALID);
    /* without parameters the text is as written (a % stays) */
    rows = exec(f, "SELECT '5%s'", NULL);
    assert_string_equal(dltc_value_get_str(dltc_rows_get(rows, 0, 0), NULL), "5%s");
    dltc_rows_free(rows);
    /* the dataset is the default schema */
    rows = exec(f, "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                   "'steps_data' AND table_name = 'ledger'", NULL);
    assert_int_equal(dltc_value_get_int(dltc_rows_get(rows, 0, 0)), 1);
    dltc_rows_free(rows);
    dltc_doc_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(steps_one_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(accessors_and_state, setup, teardown),
        cmocka_unit_test_setup_teardown(execute_with_parameters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
