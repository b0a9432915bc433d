/* The DuckDB client: open/lock errors, exec errors, query conversion of every type dlt's
 * mapping produces, and the normalize → CREATE TABLE → load_file → query round trip with
 * both loaders. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "duckdb/client.h"
#include "duckdb/load.h"
#include "load/sql.h"
#include "schema/schema.h"
#include "testutil.h"

#include <string.h>
#include <sys/wait.h>

typedef struct {
    char *dir;
    char db_path[1024];
    dltc_duckdb *db;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    snprintf(f->db_path, sizeof(f->db_path), "%s/test.duckdb", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dltc__duckdb_close(f->db);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    unsetenv("DLTC_DUCKDB_LOADER");
    return 0;
}

static void open_db(fixture *f)
{
    assert_int_equal(dltc__duckdb_open(&f->db, f->db_path), 0);
}

static void assert_one_line(const char *contains)
{
    const dltc_error *e = dltc_error_last();
    assert_non_null(e->message);
    assert_null(strchr(e->message, '\n'));
    if (!strstr(e->message, contains))
        fail_msg("message '%s' lacks '%s'", e->message, contains);
}

static void test_exec_error_is_one_line(void **state)
{
    fixture *f = *state;
    open_db(f);
    assert_int_equal(dltc__duckdb_exec(f->db, "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1)"), 0);
    assert_int_equal(dltc__duckdb_exec(f->db, "SELEC 1"), DLTC_EDATABASE);
    assert_one_line("syntax error");
    dltc_rows *rows = NULL;
    assert_int_equal(dltc__duckdb_query(f->db, "SELECT * FROM missing_table", &rows), DLTC_EDATABASE);
    assert_null(rows);
    assert_one_line("missing_table");
}

static void test_open_error(void **state)
{
    fixture *f = *state;
    char p[1200];
    snprintf(p, sizeof(p), "%s/no/such/dir/x.duckdb", f->dir);
    assert_int_equal(dltc__duckdb_open(&f->db, p), DLTC_EDATABASE);
    assert_null(f->db);
    assert_one_line(p);
}

static void test_locked_by_other_process(void **state)
{
    fixture *f = *state;
    int go[2], res[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(res), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the child starts without DuckDB: it waits until the parent holds the file */
        char c;
        close(go[1]);
        close(res[0]);
        if (read(go[0], &c, 1) != 1)
            _exit(3);
        dltc_duckdb *db = NULL;
        int rc = dltc__duckdb_open(&db, f->db_path);
        const char *m = rc ? dltc_error_last()->message : "opened";
        if (write(res[1], m, strlen(m)) < 0)
            _exit(4);
        dltc__duckdb_close(db);
        _exit(rc == DLTC_EDATABASE ? 0 : 1);
    }
    close(go[0]);
    close(res[1]);
    open_db(f);
    assert_int_equal(write(go[1], "x", 1), 1);
    char msg[2048];
    size_t n = 0;
    ssize_t k;
    while (n < sizeof(msg) - 1 && (k = read(res[0], msg + n, sizeof(msg) - 1 - n)) > 0)
        n += (size_t)k;
    msg[n] = '\0';
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(go[1]);
    close(res[0]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char want[1200];
    snprintf(want, sizeof(want), "%s: database is locked by another process: ", f->db_path);
    if (strncmp(msg, want, strlen(want)) != 0)
        fail_msg("unexpected message: %s", msg);
    assert_null(strchr(msg, '\n'));
    assert_true(strlen(msg) > strlen(want)); /* DuckDB's reason follows */
}

static const dltc_value *cell(dltc_rows *r, size_t col)
{
    const dltc_value *v = dltc_rows_get(r, 0, col);
    assert_non_null(v);
    return v;
}

static void test_query_every_type(void **state)
{
    fixture *f = *state;
    open_db(f);
    dltc_rows *r = NULL;
    assert_int_equal(
        dltc__duckdb_query(f->db,
                           "SELECT true AS b, 7::TINYINT AS ti, -300::SMALLINT AS si, 70000::INTEGER AS i,"
                           " 9007199254740993::BIGINT AS bi,"
                           " 170141183460469231731687303715884105727::HUGEINT AS hi, 42::HUGEINT AS hs,"
                           " 0.1::DOUBLE AS d, 1.5::FLOAT AS fl, 'héllo' AS s, '{\"a\": [1, 2]}'::JSON AS j,"
                           " from_base64('AAEC/w==') AS bl, DATE '2024-02-29' AS dt,"
                           " TIME '10:11:12.345678' AS tm, TIMESTAMP '2024-01-02 03:04:05.5' AS ts,"
                           " '2024-01-02 03:04:05.123456+00'::TIMESTAMPTZ AS tstz,"
                           " 12345678901234567890123456789.123456789::DECIMAL(38,9) AS dec,"
                           " -12.50::DECIMAL(10,2) AS dsmall, 0.05::DECIMAL(4,2) AS dfrac,"
                           " 123456789012345678901234567890::DECIMAL(38,0) AS wei,"
                           " NULL::BIGINT AS n, 'x'::VARCHAR AS last",
                           &r),
        0);
    assert_int_equal(dltc_rows_count(r), 1);
    assert_int_equal(dltc_rows_column_count(r), 22);
    static const char *types[] = {"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                  "HUGEINT", "DOUBLE", "FLOAT", "VARCHAR", "JSON", "BLOB", "DATE",
                                  "TIME", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DECIMAL(38,9)",
                                  "DECIMAL(10,2)", "DECIMAL(4,2)", "DECIMAL(38,0)", "BIGINT", "VARCHAR"};
    static const char *texts[] = {"true", "7", "-300", "70000", "9007199254740993",
                                  "170141183460469231731687303715884105727", "42", "0.1", "1.5",
                                  "héllo", "{\"a\": [1, 2]}", "AAEC/w==", "2024-02-29",
                                  "10:11:12.345678", "2024-01-02T03:04:05.500000",
                                  "2024-01-02T03:04:05.123456+00:00",
                                  "12345678901234567890123456789.123456789", "-12.50", "0.05",
                                  "123456789012345678901234567890", "", "x"};
    for (size_t c = 0; c < 22; c++) {
        assert_string_equal(dltc_rows_column_type(r, c), types[c]);
        assert_string_equal(dltc_rows_get_text(r, 0, c), texts[c]);
    }
    assert_string_equal(dltc_rows_column_name(r, 0), "b");
    assert_int_equal(dltc_value_type_of(cell(r, 0)), DLTC_TYPE_BOOL);
    assert_int_equal(dltc_value_type_of(cell(r, 1)), DLTC_TYPE_INT);
    assert_int_equal(dltc_value_get_int(cell(r, 4)), 9007199254740993LL);
    assert_int_equal(dltc_value_type_of(cell(r, 5)), DLTC_TYPE_BIGINT);
    assert_int_equal(dltc_value_type_of(cell(r, 6)), DLTC_TYPE_INT);
    assert_int_equal(dltc_value_type_of(cell(r, 7)), DLTC_TYPE_DOUBLE);
    assert_int_equal(dltc_value_type_of(cell(r, 10)), DLTC_TYPE_STRING);
    size_t len;
    assert_int_equal(dltc_value_type_of(cell(r, 11)), DLTC_TYPE_BINARY);
    assert_memory_equal(dltc_value_get_str(cell(r, 11), &len), "\x00\x01\x02\xff", 4);
    assert_int_equal(len, 4);
    assert_int_equal(dltc_value_type_of(cell(r, 12)), DLTC_TYPE_DATE);
    assert_int_equal(dltc_value_type_of(cell(r, 13)), DLTC_TYPE_TIME);
    assert_int_equal(dltc_value_type_of(cell(r, 14)), DLTC_TYPE_TIMESTAMP);
    assert_int_equal(dltc_value_get_int(cell(r, 15)), 1704164645123456LL);
    assert_int_equal(dltc_value_type_of(cell(r, 16)), DLTC_TYPE_DECIMAL);
    assert_int_equal(dltc_value_type_of(cell(r, 19)), DLTC_TYPE_BIGINT);
    assert_int_equal(dltc_value_type_of(cell(r, 20)), DLTC_TYPE_NULL);
    dltc_rows_free(r);

    /* many rows over several chunks, with NULLs */
    assert_int_equal(dltc__duckdb_query(f->db,
                                        "SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE i::VARCHAR END"
                                        " AS s FROM range(5000) t(i) ORDER BY i",
                                        &r),
                     0);
    assert_int_equal(dltc_rows_count(r), 5000);
    assert_int_equal(dltc_value_get_int(dltc_rows_get(r, 4999, 0)), 4999);
    assert_string_equal(dltc_rows_get_text(r, 4998, 1), "");
    assert_string_equal(dltc_rows_get_text(r, 4999, 1), "4999");
    dltc_rows_free(r);

    /* a type outside the mapping is a clear error */
    assert_int_equal(dltc__duckdb_query(f->db, "SELECT [1, 2] AS l", &r), DLTC_EINVALID);
    assert_one_line("column l: DuckDB type LIST");
}

static void test_table_columns(void **state)
{
    fixture *f = *state;
    open_db(f);
    assert_int_equal(dltc__duckdb_exec(f->db, "CREATE SCHEMA \"d's\"; CREATE TABLE \"d's\".\"t\"\"x\""
                                              " (z INTEGER, \"a b\" VARCHAR, m DOUBLE)"),
                     0);
    char **names;
    size_t n;
    int exists;
    assert_int_equal(dltc__duckdb_table_columns(f->db, "d's", "t\"x", &names, &n, &exists), 0);
    assert_int_equal(exists, 1);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "z");
    assert_string_equal(names[1], "a b");
    assert_string_equal(names[2], "m");
    for (size_t i = 0; i < n; i++)
        dltc_free(names[i]);
    dltc_free(names);
    assert_int_equal(dltc__duckdb_table_columns(f->db, "d's", "nope", &names, &n, &exists), 0);
    assert_int_equal(exists, 0);
    assert_int_equal(n, 0);
}

/* ---- the round trip ---- */

static const char *ITEMS =
    "{\"id\": 1, \"name\": \"it's \\\"quoted\\\" ✓\", \"score\": 0.1, \"ok\": true,"
    " \"at\": \"2024-01-02T03:04:05.123456+02:00\", \"big\": 9007199254740993,"
    " \"wei\": 123456789012345678901234567890, \"doc\": {\"k\": [1, \"two\", null], \"n\": 2.5}}\n"
    "{\"id\": 2, \"name\": null, \"score\": -1e300, \"ok\": false, \"at\": \"1970-01-01T00:00:00Z\"}\n";

static dltc_table *normalize(fixture *f, dltc_schema **schema, char *file, size_t cap)
{
    dltc_normalizer *n = NULL;
    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    char out[1100];
    snprintf(out, sizeof(out), "%s/out dir'x", f->dir);
    mkdir(out, 0777);
    o.table_name = "items";
    o.out_dir = out;
    o.max_table_nesting = 0; /* doc stays a json column */
    assert_int_equal(dltc_schema_new(schema, "rt"), 0);
    assert_int_equal(dltc_normalizer_new(&n, *schema, &o), 0);
    assert_int_equal(dltc_normalizer_feed_json(n, ITEMS, strlen(ITEMS), "items"), 0);
    /* types JSON cannot express: through the value API */
    dltc_doc *doc;
    assert_int_equal(dltc_doc_new(&doc), 0);
    dltc_value *o3 = dltc_value_object(doc);
    dltc_object_set(doc, o3, "id", dltc_value_int(doc, 3));
    dltc_object_set(doc, o3, "day", dltc_value_date(doc, 19782));
    dltc_object_set(doc, o3, "clock", dltc_value_time(doc, 36672500000LL));
    dltc_object_set(doc, o3, "amount", dltc_value_decimal(doc, "12345678901234567890123456789.123456789"));
    dltc_object_set(doc, o3, "raw", dltc_value_binary(doc, "\x00\x01\xfe", 3));
    dltc_object_set(doc, o3, "naive", dltc_value_timestamp(doc, 1000000, 0));
    assert_int_equal(dltc_normalizer_feed_value(n, o3), 0);
    dltc_doc_free(doc);
    assert_int_equal(dltc_normalizer_finish(n), 0);
    size_t i;
    for (i = 0; i < dltc_normalizer_table_count(n); i++)
        if (!strcmp(dltc_normalizer_table_name(n, i), "items"))
            break;
    assert_true(i < dltc_normalizer_table_count(n));
    snprintf(file, cap, "%s", dltc_normalizer_table_file(n, i));
    dltc_normalizer_free(n);
    dltc_table *t = dltc__schema_table(*schema, "items", 5);
    assert_non_null(t);
    return t;
}

static const char *text_of(fixture *f, const char *sql, const char **type)
{
    static char out[4096];
    static char ty[128];
    dltc_rows *r = NULL;
    if (dltc__duckdb_query(f->db, sql, &r) != 0)
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    assert_int_equal(dltc_rows_count(r), 1);
    snprintf(out, sizeof(out), "%s", dltc_rows_get_text(r, 0, 0));
    snprintf(ty, sizeof(ty), "%s", dltc_rows_column_type(r, 0));
    if (type)
        *type = ty;
    dltc_rows_free(r);
    return out;
}

static void expect(fixture *f, const char *col, int id, const char *want_type, const char *want)
{
    char sql[512];
    const char *type;
    snprintf(sql, sizeof(sql), "SELECT \"%s\" FROM ds.items WHERE id = %d", col, id);
    const char *got = text_of(f, sql, &type);
    if (strcmp(got, want) || strcmp(type, want_type))
        fail_msg("%s (row %d): got %s '%s', want %s '%s'", col, id, type, got, want_type, want);
}

static void round_trip(fixture *f, const char *loader)
{
    dltc_schema *schema;
    char file[2048];
    dltc_table *t = normalize(f, &schema, file, sizeof(file));
    /* a timezone=false hint on the naive column: TIMESTAMP without zone */
    long naive = dltc__table_column(t, "naive", 5);
    assert_true(naive >= 0);
    t->cols[naive].timezone = 0;
    setenv("DLTC_DUCKDB_LOADER", loader, 1);
    open_db(f);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__duckdb_exec(f->db, "CREATE SCHEMA ds"), 0);
    assert_int_equal(dltc__sql_create_table(&b, DLTC_SQL_DUCKDB, "ds", t), 0);
    assert_int_equal(dltc__duckdb_exec(f->db, b.data), 0);
    dltc__buf_free(&b);
    if (dltc__duckdb_load_file(f->db, "ds", t, file, "jsonl", NULL) != 0)
        fail_msg("load (%s): %s", loader, dltc_error_last()->message);

    assert_string_equal(text_of(f, "SELECT count(*) FROM ds.items", NULL), "3");
    expect(f, "name", 1, "VARCHAR", "it's \"quoted\" ✓");
    expect(f, "name", 2, "VARCHAR", "");
    expect(f, "score", 1, "DOUBLE", "0.1");
    expect(f, "score", 2, "DOUBLE", "-1e+300");
    expect(f, "ok", 1, "BOOLEAN", "true");
    expect(f, "ok", 2, "BOOLEAN", "false");
    expect(f, "at", 1, "TIMESTAMP WITH TIME ZONE", "2024-01-02T01:04:05.123456+00:00");
    expect(f, "at", 2, "TIMESTAMP WITH TIME ZONE", "1970-01-01T00:00:00+00:00");
    expect(f, "big", 1, "BIGINT", "9007199254740993");
    expect(f, "doc", 1, "JSON", "{\"k\":[1,\"two\",null],\"n\":2.5}");
    expect(f, "day", 3, "DATE", "2024-02-29");
    expect(f, "clock", 3, "TIME", "10:11:12.500000");
    expect(f, "naive", 3, "TIMESTAMP", "1970-01-01T00:00:01");
    /* decimals are strings in the file: exact with either loader */
    expect(f, "amount", 3, "DECIMAL(38,9)", "12345678901234567890123456789.123456789");
    expect(f, "raw", 3, "BLOB", "AAH+");
    expect(f, "raw", 1, "BLOB", "");
    /* wei is inferred from a big integer: its column type follows the schema */
    const char *wt;
    text_of(f, "SELECT wei FROM ds.items WHERE id = 1", &wt);
    if (strstr(wt, "DECIMAL"))
        expect(f, "wei", 1, "DECIMAL(38,0)", "123456789012345678901234567890");
    assert_string_equal(text_of(f, "SELECT count(*) FROM ds.items WHERE _dlt_id IS NULL "
                                   "OR _dlt_load_id IS NULL",
                                NULL),
                        "0");
    dltc_schema_free(schema);
}

static void test_round_trip_read_json(void **state)
{
    round_trip(*state, "read_json");
}

static void test_round_trip_appender(void **state)
{
    round_trip(*state, "appender");
}

static void test_round_trip_auto(void **state)
{
    round_trip(*state, "auto");
}

static void test_load_errors_are_one_line(void **state)
{
    fixture *f = *state;
    dltc_schema *schema;
    char file[2048];
    dltc_table *t = normalize(f, &schema, file, sizeof(file));
    open_db(f);
    assert_int_equal(dltc__duckdb_load_file(f->db, "ds", t, file, "jsonl", NULL), DLTC_ENOTFOUND);
    assert_one_line("\"ds\".\"items\" does not exist");
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__duckdb_exec(f->db, "CREATE SCHEMA ds"), 0);
    assert_int_equal(dltc__sql_create_table(&b, DLTC_SQL_DUCKDB, "ds", t), 0);
    assert_int_equal(dltc__duckdb_exec(f->db, b.data), 0);
    dltc__buf_free(&b);
    char missing[2100];
    snprintf(missing, sizeof(missing), "%s/nope.jsonl", f->dir);
    setenv("DLTC_DUCKDB_LOADER", "read_json", 1);
    assert_int_equal(dltc__duckdb_load_file(f->db, "ds", t, missing, "jsonl", NULL), DLTC_EIO);
    assert_one_line(missing);
    setenv("DLTC_DUCKDB_LOADER", "appender", 1);
    assert_int_not_equal(dltc__duckdb_load_file(f->db, "ds", t, missing, "jsonl", NULL), 0);
    assert_one_line(missing);
    /* a bad value names the file */
    char bad[2100];
    snprintf(bad, sizeof(bad), "%s/bad.jsonl", f->dir);
    tu_write_file(bad, "{\"id\": \"x\"}\n", 12);
    for (int k = 0; k < 2; k++) {
        setenv("DLTC_DUCKDB_LOADER", k ? "appender" : "read_json", 1);
        assert_int_not_equal(dltc__duckdb_load_file(f->db, "ds", t, bad, "jsonl", NULL), 0);
        assert_one_line(bad);
    }
    assert_string_equal(text_of(f, "SELECT count(*) FROM ds.items", NULL), "0");
    dltc_schema_free(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exec_error_is_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_by_other_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_read_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_appender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_auto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_errors_are_one_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
