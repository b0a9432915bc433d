/* The read-only dataset on Postgres (the throwaway server of tests/support/pg_server.sh, the
 * `postgres` CTest fixture; skipped without DLTC_TEST_PG_DIR): not found before the first
 * load, queries with unqualified names (search_path), the row limit (the statement cancelled
 * past it), the statement_timeout, writes refused by the SQL check, and writes sent past it
 * refused by the server's read-only transactions, also after set_config tried to lift them.
 * No message holds the password. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "load/destination.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char g_uri[512]; /* user loader, with a password */
static char g_password[128];

static int group_setup(void **state)
{
    (void)state;
    tu_pg_fixture("uri", g_uri, sizeof(g_uri));
    /* postgresql://user:password@host:port/db */
    const char *at = strrchr(g_uri, '@'), *scheme = strstr(g_uri, "://");
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && colon && colon < at)
        snprintf(g_password, sizeof(g_password), "%.*s", (int)(at - colon - 1), colon + 1);
    return 0;
}

typedef struct {
    char *dir;
    char pd[4096];
    char dataset[64];
    dltc_pipeline *p;
} fx;

static int g_seq;

static int setup(void **state)
{
    if (!g_uri[0]) {
        *state = NULL;
        return 0;
    }
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    snprintf(f->pd, sizeof(f->pd), "%s/pipelines", f->dir);
    snprintf(f->dataset, sizeof(f->dataset), "ds_ro_%ld_%d", (long)getpid(), g_seq++);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = f->pd;
    o.destination = "postgres";
    o.credentials = g_uri;
    o.dataset_name = f->dataset;
    assert_int_equal(dltc_pipeline_open(&f->p, "ds_pg", &o), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    dltc_dest *d = NULL;
    if (dltc__dest_open(&d, "postgres", g_uri, DLTC_DEST_LOAD) == 0) {
        char sql[256];
        snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS \"%s\" CASCADE", f->dataset);
        dltc__dest_exec(d, sql);
        dltc__dest_close(d);
    }
    dltc_pipeline_free(f->p);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

#define NEED_SERVER(f)                                                                         \
    do {                                                                                       \
        if (!(f)) {                                                                            \
            skip();                                                                            \
            return;                                                                            \
        }                                                                                      \
    } while (0)

static void no_password(void)
{
    const char *m = dltc_error_last()->message;
    assert_null(strchr(m, '\n'));
    if (g_password[0])
        assert_null(strstr(m, g_password));
}

static void load_items(fx *f, int n)
{
    char json[8192];
    size_t k = 0;
    json[k++] = '[';
    for (int i = 0; i < n && k + 64 < sizeof(json); i++)
        k += (size_t)snprintf(json + k, sizeof(json) - k, "%s{\"id\": %d, \"name\": \"n%d\"}",
                              i ? "," : "", i, i);
    json[k++] = ']';
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    ro.table_name = "items";
    if (dltc_pipeline_run_json(f->p, json, k, &ro, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
}

static const char *query_text(dltc_dataset *ds, const char *sql, dltc_rows **keep)
{
    int rc = dltc_dataset_query(ds, sql, 0, keep, NULL);
    if (rc)
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    assert_int_equal(dltc_rows_count(*keep), 1);
    return dltc_rows_get_text(*keep, 0, 0);
}

static void test_not_found_then_query(void **state)
{
    fx *f = *state;
    NEED_SERVER(f);
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, f->p), DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "does not exist yet"));
    no_password();
    load_items(f, 20);
    assert_int_equal(dltc_dataset_open(&ds, f->p), 0);
    assert_string_equal(dltc_dataset_destination(ds), "postgres");
    assert_string_equal(dltc_dataset_name(ds), f->dataset);
    dltc_rows *rows = NULL;
    assert_string_equal(query_text(ds, "SELECT count(*) FROM items", &rows), "20");
    dltc_rows_free(rows);
    assert_string_equal(query_text(ds, "TABLE _dlt_loads LIMIT 1", &rows)[0] ? "x" : "", "x");
    dltc_rows_free(rows);
    assert_string_equal(query_text(ds, "SHOW statement_timeout", &rows), "30s");
    dltc_rows_free(rows);
    assert_string_equal(query_text(ds, "SHOW transaction_read_only", &rows), "on");
    dltc_rows_free(rows);
    /* a server error: one line naming the server, no password */
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM missing_table", 0, &rows, NULL),
                     DLTC_EDATABASE);
    assert_non_null(strstr(dltc_error_last()->message, "postgres at "));
    no_password();
    char *q = NULL;
    assert_int_equal(dltc_dataset_quote_ident(ds, "we\"ird", &q), 0);
    assert_string_equal(q, "\"we\"\"ird\"");
    dltc_free(q);
    dltc_dataset_free(ds);
}

static void test_row_limit(void **state)
{
    fx *f = *state;
    NEED_SERVER(f);
    load_items(f, 20);
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, f->p), 0);
    dltc_rows *rows = NULL;
    int trunc = -1;
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM items ORDER BY id", 20, &rows, &trunc),
                     0);
    assert_int_equal(dltc_rows_count(rows), 20);
    assert_int_equal(trunc, 0);
    dltc_rows_free(rows);
    assert_int_equal(dltc_dataset_query(ds, "SELECT id FROM items ORDER BY id", 3, &rows, &trunc),
                     0);
    assert_int_equal(dltc_rows_count(rows), 3);
    assert_int_equal(trunc, 1);
    assert_string_equal(dltc_rows_get_text(rows, 2, 0), "2");
    dltc_rows_free(rows);
    /* a huge result: the statement is cancelled past the limit, well before its end */
    time_t t0 = time(NULL);
    assert_int_equal(dltc_dataset_query(ds, "SELECT generate_series(1, 2000000000) AS g", 4,
                                        &rows, &trunc), 0);
    assert_true(time(NULL) - t0 < 20);
    assert_int_equal(dltc_rows_count(rows), 4);
    assert_int_equal(trunc, 1);
    dltc_rows_free(rows);
    /* the session is usable after the cancel */
    assert_string_equal(query_text(ds, "SELECT count(*) FROM items", &rows), "20");
    dltc_rows_free(rows);
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM items WHERE false", 0, &rows, &trunc),
                     0);
    assert_int_equal(dltc_rows_count(rows), 0);
    assert_true(dltc_rows_column_count(rows) >= 2);
    assert_int_equal(trunc, 0);
    dltc_rows_free(rows);
    dltc_dataset_free(ds);
}

static void test_writes_refused(void **state)
{
    fx *f = *state;
    NEED_SERVER(f);
    load_items(f, 2);
    dltc_dest *d = NULL;
    char sql[512];
    assert_int_equal(dltc__dest_open(&d, "postgres", g_uri, DLTC_DEST_LOAD), 0);
    snprintf(sql, sizeof(sql), "CREATE SEQUENCE \"%s\".seq", f->dataset);
    assert_int_equal(dltc__dest_exec(d, sql), 0);
    dltc__dest_close(d);
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, f->p), 0);
    dltc_rows *rows = NULL;
    static const char *const writes[] = {
        "INSERT INTO items (id) VALUES (9)", "DELETE FROM items", "DROP TABLE items",
        "SET default_transaction_read_only = off", "COPY items TO STDOUT",
        "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d",
        "SELECT 1; DELETE FROM items", "BEGIN READ WRITE", "SELECT * FROM items FOR UPDATE",
    };
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        if (dltc_dataset_query(ds, writes[i], 0, &rows, NULL) != DLTC_EINVALID)
            fail_msg("not refused: %s", writes[i]);
        no_password();
    }
    /* a write that slips past the check (a function that writes) meets the server's
     * read-only transaction; set_config's change goes with the rolled-back transaction */
    assert_int_equal(dltc_dataset_query(ds, "SELECT set_config('default_transaction_read_only', "
                                            "'off', false)", 0, &rows, NULL), 0);
    dltc_rows_free(rows);
    assert_int_equal(dltc_dataset_query(ds, "SELECT nextval('seq')", 0, &rows, NULL),
                     DLTC_EDATABASE);
    assert_non_null(strstr(dltc_error_last()->message, "read-only transaction"));
    dltc_rows *ro = NULL;
    assert_string_equal(query_text(ds, "SHOW default_transaction_read_only", &ro), "on");
    dltc_rows_free(ro);
    dltc_dataset_free(ds);

    /* the connection itself, written to directly */
    assert_int_equal(dltc__dest_open(&d, "postgres", g_uri, DLTC_DEST_READ_ONLY), 0);
    snprintf(sql, sizeof(sql), "INSERT INTO \"%s\".items (id) VALUES (9)", f->dataset);
    assert_int_equal(dltc__dest_exec(d, sql), DLTC_EDATABASE);
    assert_non_null(strstr(dltc_error_last()->message, "read-only transaction"));
    no_password();
    assert_int_equal(dltc__dest_query_limited(d, sql, 10, &rows, NULL), DLTC_EDATABASE);
    assert_non_null(strstr(dltc_error_last()->message, "read-only transaction"));
    no_password();
    snprintf(sql, sizeof(sql), "CREATE TABLE \"%s\".x (a int)", f->dataset);
    assert_int_equal(dltc__dest_exec(d, sql), DLTC_EDATABASE);
    /* one statement per limited query (the extended protocol) */
    snprintf(sql, sizeof(sql), "SELECT 1; DELETE FROM \"%s\".items", f->dataset);
    assert_int_equal(dltc__dest_query_limited(d, sql, 10, &rows, NULL), DLTC_EDATABASE);
    /* set_config inside the read-only transaction does not outlive it */
    assert_int_equal(dltc__dest_query_limited(d, "SELECT set_config("
                                                 "'default_transaction_read_only', 'off', false)",
                                              10, &rows, NULL), 0);
    dltc_rows_free(rows);
    snprintf(sql, sizeof(sql), "DELETE FROM \"%s\".items", f->dataset);
    assert_int_equal(dltc__dest_exec(d, sql), DLTC_EDATABASE);
    dltc__dest_close(d);

    assert_int_equal(dltc_dataset_open(&ds, f->p), 0);
    assert_string_equal(query_text(ds, "SELECT count(*) FROM items", &rows), "2");
    dltc_rows_free(rows);
    dltc_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_found_then_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
