/* The read-only dataset (dltc_dataset_*) on DuckDB and the filesystem destination: not found
 * before the first load, queries with unqualified names, the row limit and *truncated, writes
 * refused by the SQL check, writes that slip past it refused by the read-only connection, no
 * file access outside the dataset; and the DuckDB extension lock-down of every connection
 * (issue 16): autoinstall/autoload off, a SQLite file named as not a DuckDB file without any
 * extension being looked for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "common/alloc.h"
#include "load/destination.h"
#include "load/destinations/filesystem/filesystem.h"
#include "pipeline/pipeline_impl.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *dir;
    char db[4096];
    char pd[4096];
    char *home; /* $HOME before the test */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    snprintf(f->pd, sizeof(f->pd), "%s/pipelines", f->dir);
    snprintf(f->db, sizeof(f->db), "%s/ds.duckdb", f->dir);
    /* DuckDB's extension folder is under $HOME: a fresh one shows nothing was put there */
    const char *h = getenv("HOME");
    f->home = h ? strdup(h) : NULL;
    setenv("HOME", f->dir, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char ext[4200];
    snprintf(ext, sizeof(ext), "%s/.duckdb", f->dir);
    assert_int_equal(access(ext, F_OK), -1); /* no extension was installed or looked up */
    if (f->home)
        setenv("HOME", f->home, 1);
    else
        unsetenv("HOME");
    free(f->home);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static dltc_pipeline *open_pipeline(fx *f, const char *destination, const char *credentials)
{
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = f->pd;
    o.destination = destination;
    o.credentials = credentials;
    o.dataset_name = "ds_data";
    dltc_pipeline *p = NULL;
    int rc = dltc_pipeline_open(&p, "ds_test", &o);
    if (rc)
        fail_msg("pipeline: %s", dltc_error_last()->message);
    return p;
}

/* n rows {"id": i, "name": "n<i>"} into table `items` */
static void load_items(dltc_pipeline *p, int n)
{
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__buf_putc(&b, '['), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(dltc__buf_printf(&b, "%s{\"id\": %d, \"name\": \"n%d\"}",
                                          i ? "," : "", i, i), 0);
    assert_int_equal(dltc__buf_putc(&b, ']'), 0);
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    ro.table_name = "items";
    int rc = dltc_pipeline_run_json(p, b.data, b.len, &ro, NULL);
    if (rc)
        fail_msg("run: %s", dltc_error_last()->message);
    dltc__buf_free(&b);
}

static long long query_int(dltc_dataset *ds, const char *sql)
{
    dltc_rows *rows = NULL;
    int rc = dltc_dataset_query(ds, sql, 0, &rows, NULL);
    if (rc)
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    assert_int_equal(dltc_rows_count(rows), 1);
    long long v = strtoll(dltc_rows_get_text(rows, 0, 0), NULL, 10);
    dltc_rows_free(rows);
    return v;
}

static void test_not_found_before_load(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_pipeline(f, "duckdb", f->db);
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, p), DLTC_ENOTFOUND);
    assert_null(ds);
    assert_non_null(strstr(dltc_error_last()->message, "does not exist yet"));
    assert_int_equal(access(f->db, F_OK), -1); /* not created by looking */
    /* a database without the dataset's schema */
    dltc_dest *d = NULL;
    assert_int_equal(dltc__dest_open(&d, "duckdb", f->db, DLTC_DEST_LOAD), 0);
    assert_int_equal(dltc__dest_exec(d, "CREATE SCHEMA other; CREATE TABLE other.t (a INT)"), 0);
    dltc__dest_close(d);
    assert_int_equal(dltc_dataset_open(&ds, p), DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "dataset ds_data does not exist yet"));
    dltc_pipeline_free(p);
}

static void test_query_and_accessors(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_pipeline(f, "duckdb", f->db);
    load_items(p, 25);
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, p), 0);
    assert_string_equal(dltc_dataset_destination(ds), "duckdb");
    assert_string_equal(dltc_dataset_name(ds), "ds_data");
    /* unqualified names resolve inside the dataset */
    assert_int_equal(query_int(ds, "SELECT count(*) FROM items"), 25);
    assert_int_equal(query_int(ds, "SELECT max(id) FROM ds_data.items;"), 24);
    assert_int_equal(query_int(ds, "FROM items SELECT count(*) WHERE name LIKE 'n1%'"), 11);
    assert_int_equal(query_int(ds, "SELECT count(*) FROM _dlt_loads"), 1);
    dltc_rows *rows = NULL;
    assert_int_equal(dltc_dataset_query(ds, "DESCRIBE items", 0, &rows, NULL), 0);
    assert_true(dltc_rows_count(rows) >= 4); /* id, name, _dlt_load_id, _dlt_id */
    dltc_rows_free(rows);
    assert_int_equal(dltc_dataset_query(ds, "SUMMARIZE items", 0, &rows, NULL), 0);
    dltc_rows_free(rows);
    /* identifiers quoted for the dialect */
    char *q = NULL;
    assert_int_equal(dltc_dataset_quote_ident(ds, "a\"b", &q), 0);
    assert_string_equal(q, "\"a\"\"b\"");
    dltc_free(q);
    assert_int_equal(dltc_dataset_quote_ident(ds, "", &q), DLTC_EINVALID);
    assert_null(q);
    /* a database error is one line naming the dataset */
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM missing_table", 0, &rows, NULL),
                     DLTC_EDATABASE);
    assert_null(rows);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "duckdb dataset ds_data: "));
    assert_null(strchr(m, '\n'));
    /* a pipeline may load into the file again once the dataset is closed */
    dltc_dataset_free(ds);
    load_items(p, 5);
    assert_int_equal(dltc_dataset_open(&ds, p), 0);
    assert_int_equal(query_int(ds, "SELECT count(*) FROM items"), 30);
    dltc_dataset_free(ds);
    dltc_dataset_free(NULL);
    dltc_pipeline_free(p);
}

static void test_row_limit(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_pipeline(f, "duckdb", f->db);
    load_items(p, 25);
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, p), 0);
    dltc_rows *rows = NULL;
    int trunc = -1;
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM items ORDER BY id", 25, &rows, &trunc),
                     0);
    assert_int_equal(dltc_rows_count(rows), 25);
    assert_int_equal(trunc, 0);
    dltc_rows_free(rows);
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM items ORDER BY id", 24, &rows, &trunc),
                     0);
    assert_int_equal(dltc_rows_count(rows), 24);
    assert_int_equal(trunc, 1);
    assert_string_equal(dltc_rows_get_text(rows, 23, 1), "n23");
    dltc_rows_free(rows);
    /* a result far too big to materialize: only max_rows + 1 rows are fetched */
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM range(1000000000000)", 7, &rows,
                                        &trunc), 0);
    assert_int_equal(dltc_rows_count(rows), 7);
    assert_int_equal(trunc, 1);
    dltc_rows_free(rows);
    /* 0: the default */
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM range(20000)", 0, &rows, NULL), 0);
    assert_int_equal(dltc_rows_count(rows), DLTC_DATASET_DEFAULT_ROWS);
    dltc_rows_free(rows);
    /* no rows: the columns all the same */
    assert_int_equal(dltc_dataset_query(ds, "SELECT id, name FROM items WHERE false", 5, &rows,
                                        &trunc), 0);
    assert_int_equal(dltc_rows_count(rows), 0);
    assert_int_equal(dltc_rows_column_count(rows), 2);
    assert_string_equal(dltc_rows_column_name(rows, 1), "name");
    assert_int_equal(trunc, 0);
    dltc_rows_free(rows);
    dltc_dataset_free(ds);
    dltc_pipeline_free(p);
}

static void test_writes_refused_by_check(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_pipeline(f, "duckdb", f->db);
    load_items(p, 3);
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, p), 0);
    static const char *const writes[] = {
        "INSERT INTO items (id) VALUES (99)",
        "DELETE FROM items",
        "UPDATE items SET id = 0",
        "DROP TABLE items",
        "CREATE TABLE x AS SELECT 1",
        "ATTACH 'other.duckdb'",
        "COPY items TO 'out.csv'",
        "SET enable_external_access = true",
        "PRAGMA enable_profiling",
        "INSTALL sqlite",
        "LOAD sqlite",
        "CALL pragma_version()",
        "CHECKPOINT",
        "EXPORT DATABASE 'exp'",
        "SELECT 1; DELETE FROM items",
        "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d",
    };
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        dltc_rows *rows = NULL;
        int rc = dltc_dataset_query(ds, writes[i], 0, &rows, NULL);
        if (rc != DLTC_EINVALID)
            fail_msg("%s: rc %d", writes[i], rc);
        assert_null(rows);
        const char *m = dltc_error_last()->message;
        assert_int_equal(strncmp(m, "read-only SQL: ", 15), 0);
        assert_null(strchr(m, '\n'));
    }
    assert_int_equal(query_int(ds, "SELECT count(*) FROM items"), 3);
    dltc_dataset_free(ds);
    dltc_pipeline_free(p);
}

/* What the check would stop, sent to a READ_ONLY connection directly: DuckDB refuses it. */
static void test_writes_refused_by_connection(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_pipeline(f, "duckdb", f->db);
    load_items(p, 3);
    dltc_dest *d = NULL;
    assert_int_equal(dltc__dest_open(&d, "duckdb", f->db, DLTC_DEST_READ_ONLY), 0);
    static const char *const writes[] = {
        "INSERT INTO ds_data.items (id) VALUES (99)",
        "DELETE FROM ds_data.items",
        "CREATE TABLE ds_data.x AS SELECT 1",
        "DROP TABLE ds_data.items",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "SET autoinstall_known_extensions = true",
        "COPY (SELECT 1) TO 'out.csv'",
        "ATTACH 'other.duckdb' AS o",
        "SELECT * FROM read_csv('/etc/hostname')",
        "INSTALL sqlite",
        "LOAD sqlite",
    };
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        int rc = dltc__dest_exec(d, writes[i]);
        if (rc != DLTC_EDATABASE)
            fail_msg("%s: rc %d", writes[i], rc);
        assert_null(strchr(dltc_error_last()->message, '\n'));
    }
    dltc_rows *rows = NULL;
    int trunc = 0;
    /* the limited query is a prepared statement: one statement only */
    assert_int_equal(dltc__dest_query_limited(d, "SELECT 1; SELECT 2", 5, &rows, &trunc),
                     DLTC_EDATABASE);
    assert_int_equal(dltc__dest_query_limited(d, "SELECT count(*) FROM ds_data.items", 5, &rows,
                                              &trunc), 0);
    assert_string_equal(dltc_rows_get_text(rows, 0, 0), "3");
    dltc_rows_free(rows);
    assert_int_equal(dltc__dest_query_limited(
                         d, "SELECT current_setting('access_mode'), "
                            "current_setting('enable_external_access')::VARCHAR, "
                            "current_setting('lock_configuration')::VARCHAR",
                         5, &rows, &trunc), 0);
    assert_string_equal(dltc_rows_get_text(rows, 0, 0), "read_only");
    assert_string_equal(dltc_rows_get_text(rows, 0, 1), "false");
    assert_string_equal(dltc_rows_get_text(rows, 0, 2), "true");
    dltc_rows_free(rows);
    dltc__dest_close(d);
    char out[4200];
    snprintf(out, sizeof(out), "%s/out.csv", f->dir);
    assert_int_equal(access(out, F_OK), -1);
    dltc_pipeline_free(p);
}

static void assert_extensions_off(dltc_dest *d)
{
    dltc_rows *rows = NULL;
    assert_int_equal(dltc__dest_query(d, "SELECT current_setting('autoinstall_known_extensions')"
                                         "::VARCHAR, current_setting('autoload_known_extensions')"
                                         "::VARCHAR", &rows), 0);
    assert_string_equal(dltc_rows_get_text(rows, 0, 0), "false");
    assert_string_equal(dltc_rows_get_text(rows, 0, 1), "false");
    dltc_rows_free(rows);
}

/* issue 16: no DuckDB connection installs or loads an extension by itself */
static void test_extension_autoloading_off(void **state)
{
    fx *f = *state;
    dltc_dest *d = NULL;
    static const dltc_dest_purpose purposes[] = {DLTC_DEST_LOAD, DLTC_DEST_READ,
                                                 DLTC_DEST_READ_ONLY};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(dltc__dest_open(&d, "duckdb", f->db, purposes[i]), 0);
        assert_extensions_off(d);
        dltc__dest_close(d);
    }
    assert_int_equal(dltc__duckdb_dest_open(&d, NULL, DLTC_DEST_READ), 0); /* in memory */
    assert_extensions_off(d);
    /* json, parquet and icu are built in: they work without loading anything */
    dltc_rows *rows = NULL;
    assert_int_equal(dltc__dest_query(d, "SELECT '{\"a\": 1}'::JSON ->> 'a', "
                                         "strftime(TIMESTAMPTZ '2024-01-02 03:04:05+00', '%Y')",
                                      &rows), 0);
    assert_string_equal(dltc_rows_get_text(rows, 0, 0), "1");
    assert_string_equal(dltc_rows_get_text(rows, 0, 1), "2024");
    dltc_rows_free(rows);
    assert_int_equal(dltc__dest_exec(d, "LOAD sqlite"), DLTC_EDATABASE);
    dltc__dest_close(d);
}

/* A SQLite database as the DuckDB credentials: one line naming the file; DuckDB would
 * otherwise hand it to its sqlite extension, and install that from the network first. */
static void test_sqlite_file_is_not_duckdb(void **state)
{
    fx *f = *state;
    char path[4200];
    snprintf(path, sizeof(path), "%s/app.sqlite", f->dir);
    char page[4096];
    memset(page, 0, sizeof(page));
    memcpy(page, "SQLite format 3", 16); /* with its NUL: the 16-byte header string */
    page[16] = 0x10;                     /* page size 4096 */
    assert_int_equal(tu_write_file(path, page, sizeof(page)), 0);
    char want[4400];
    snprintf(want, sizeof(want), "duckdb: %s: not a DuckDB database file", path);
    dltc_dest *d = NULL;
    static const dltc_dest_purpose purposes[] = {DLTC_DEST_LOAD, DLTC_DEST_READ,
                                                 DLTC_DEST_READ_ONLY};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(dltc__dest_open(&d, "duckdb", path, purposes[i]), DLTC_EINVALID);
        assert_null(d);
        const char *m = dltc_error_last()->message;
        if (!strstr(m, want))
            fail_msg("message: %s", m);
        assert_null(strstr(m, "INSTALL"));
        assert_null(strchr(m, '\n'));
    }
    /* through a pipeline: its run and its dataset */
    dltc_pipeline *p = open_pipeline(f, "duckdb", path);
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    ro.table_name = "items";
    assert_int_not_equal(dltc_pipeline_run_json(p, "[{\"id\": 1}]", 11, &ro, NULL), 0);
    assert_non_null(strstr(dltc_error_last()->message, want));
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, p), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, want));
    dltc_pipeline_free(p);
    /* any other file that is not a DuckDB database */
    snprintf(path, sizeof(path), "%s/notes.txt", f->dir);
    char text[8192];
    memset(text, 'x', sizeof(text));
    assert_int_equal(tu_write_file(path, text, sizeof(text)), 0);
    snprintf(want, sizeof(want), "duckdb: %s: not a DuckDB database file (", path);
    assert_int_equal(dltc__dest_open(&d, "duckdb", path, DLTC_DEST_READ), DLTC_EINVALID);
    if (!strstr(dltc_error_last()->message, want))
        fail_msg("message: %s", dltc_error_last()->message);
}

static void test_filesystem_dataset(void **state)
{
    fx *f = *state;
    char bucket[4200];
    snprintf(bucket, sizeof(bucket), "%s/bucket", f->dir);
    dltc_pipeline *p = open_pipeline(f, "filesystem", bucket);
    dltc_dataset *ds = NULL;
    assert_int_equal(dltc_dataset_open(&ds, p), DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "filesystem dataset"));
    load_items(p, 12);
    assert_int_equal(dltc_dataset_open(&ds, p), 0);
    assert_string_equal(dltc_dataset_destination(ds), "filesystem");
    assert_string_equal(dltc_dataset_name(ds), "ds_data");
    assert_int_equal(query_int(ds, "SELECT count(*) FROM items"), 12);
    assert_int_equal(query_int(ds, "SELECT count(*) FROM ds_data._dlt_loads"), 1);
    dltc_rows *rows = NULL;
    int trunc = 0;
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM items ORDER BY id", 5, &rows, &trunc),
                     0);
    assert_int_equal(dltc_rows_count(rows), 5);
    assert_int_equal(trunc, 1);
    dltc_rows_free(rows);
    /* writes: the check */
    assert_int_equal(dltc_dataset_query(ds, "COPY (SELECT 1) TO 'x.csv'", 0, &rows, NULL),
                     DLTC_EINVALID);
    assert_int_equal(dltc_dataset_query(ds, "CREATE TABLE t AS SELECT 1", 0, &rows, NULL),
                     DLTC_EINVALID);
    /* files outside the dataset's folder are not read */
    assert_int_equal(dltc_dataset_query(ds, "SELECT * FROM read_csv('/etc/hostname')", 0, &rows,
                                        NULL), DLTC_EDATABASE);
    assert_non_null(strstr(dltc_error_last()->message, "filesystem dataset ds_data: "));
    /* a sibling folder whose name starts like the dataset's is outside it too */
    char sib[4400];
    snprintf(sib, sizeof(sib), "%s/ds_data2", bucket);
    assert_int_equal(mkdir(sib, 0700), 0);
    snprintf(sib, sizeof(sib), "%s/ds_data2/x.csv", bucket);
    assert_int_equal(tu_write_file(sib, "a\n1\n", 4), 0);
    char sql[4600];
    snprintf(sql, sizeof(sql), "SELECT * FROM read_csv('%s')", sib);
    assert_int_equal(dltc_dataset_query(ds, sql, 0, &rows, NULL), DLTC_EDATABASE);
    dltc_dataset_free(ds);
    /* the locked connection itself, past the check */
    dltc_fs_options o;
    dltc_dest_target t;
    dltc__pipeline_dest_target(p, &t);
    dltc__fs_target_options(&t, &o);
    char *root = NULL;
    assert_int_equal(dltc__fs_dataset_path(&root, &o), 0);
    dltc_dest *d = NULL;
    assert_int_equal(dltc__fs_views_open(&d, &o), 0);
    assert_int_equal(dltc__duckdb_dest_lock_down(d, root), 0);
    char out[4400];
    snprintf(out, sizeof(out), "COPY (SELECT 1) TO '%s/out.csv'", f->dir);
    assert_int_equal(dltc__dest_exec(d, out), DLTC_EDATABASE);
    assert_int_equal(dltc__dest_exec(d, "SET enable_external_access = true"), DLTC_EDATABASE);
    assert_int_equal(dltc__dest_exec(d, "SET allowed_directories = ['/']"), DLTC_EDATABASE);
    dltc__dest_close(d);
    dltc__free(root);
    snprintf(out, sizeof(out), "%s/out.csv", f->dir);
    assert_int_equal(access(out, F_OK), -1);
    dltc_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_found_before_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_and_accessors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_refused_by_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_refused_by_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extension_autoloading_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_file_is_not_duckdb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filesystem_dataset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
