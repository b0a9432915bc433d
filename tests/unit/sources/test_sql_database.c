/* The sql_database source on SQLite, through a pipeline into DuckDB: table selection, views,
 * the declared-type mapping, NULLs, primary keys, pages, the incremental WHERE across runs,
 * quoted names, one-line errors, and a 100k-row table read in bounded memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "dltc/sql_database.h"
#include "sources/sqlite.h"
#include "count_alloc.h"
#include "schema_testutil.h"
#include "testutil.h"


/* ---- fixtures ---- */

typedef struct {
    char *dir;
    char db[4096];  /* the SQLite file */
    char url[4200]; /* sqlite:////abs/path */
    dltc_pipeline *p;
    dltc_sql_database *sdb;
} fx;

static void exec_sql(fx *f, const char *sql)
{
    if (dltc__sqlite_exec_file(f->db, sql))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    char pd[4096], duck[4096];
    snprintf(pd, sizeof(pd), "%s/pipelines", f->dir);
    snprintf(duck, sizeof(duck), "%s/test.duckdb", f->dir);
    snprintf(f->db, sizeof(f->db), "%s/source.db", f->dir);
    snprintf(f->url, sizeof(f->url), "sqlite:///%s", f->db);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = pd;
    o.credentials = duck;
    assert_int_equal(dltc_pipeline_open(&f->p, "sqldb", &o), 0);
    exec_sql(f, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INT);"
                "INSERT INTO users VALUES (1, 'Alice', 30), (2, 'Bob', NULL), (3, 'Eve', 41);"
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total REAL);"
                "INSERT INTO orders VALUES (10, 1, 9.5), (11, 3, 20.25);"
                "CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dltc_pipeline_free(f->p);
    dltc_sql_database_free(f->sdb);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static dltc_sql_database *db_of(fx *f)
{
    if (!f->sdb && dltc_sql_database_open(&f->sdb, f->url))
        fail_msg("open: %s", dltc_error_last()->message);
    return f->sdb;
}

static long long scalar(dltc_pipeline *p, const char *sql)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    const dltc_value *v = dltc_rows_get(rows, 0, 0);
    long long r = dltc_value_type_of(v) == DLTC_TYPE_NULL ? -1 : dltc_value_get_int(v);
    dltc_rows_free(rows);
    return r;
}

static const char *text(dltc_pipeline *p, const char *sql, char *buf, size_t n)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    size_t len = 0;
    const char *s = dltc_rows_count(rows) ? dltc_rows_get_text(rows, 0, 0) : NULL;
    len = s ? strlen(s) : 0;
    snprintf(buf, n, "%.*s", (int)len, s ? s : "");
    dltc_rows_free(rows);
    return buf;
}

static int table_exists(dltc_pipeline *p, const char *name)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM information_schema.tables WHERE table_name = '%s'", name);
    return (int)scalar(p, sql);
}

static void run(fx *f, dltc_source *src)
{
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    dltc_source_free(src);
}

static void run_table(fx *f, dltc_resource *r)
{
    dltc_source *src;
    assert_int_equal(dltc_source_new(&src, "sqldb"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    run(f, src);
}

/* ---- selection ---- */

static void all_tables_without_views(void **state)
{
    fx *f = *state;
    dltc_source *src;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqldb", NULL), 0);
    run(f, src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM orders"), 2);
    assert_int_equal(table_exists(f->p, "adults"), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users WHERE age IS NULL"), 1);
}

static void table_names_and_views(void **state)
{
    fx *f = *state;
    const char *names[] = {"adults", "orders"};
    dltc_sql_database_options o = DLTC_SQL_DATABASE_OPTIONS_INIT;
    o.table_names = names;
    o.n_table_names = 2;
    dltc_source *src;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqldb", &o), 0);
    run(f, src);
    assert_int_equal(table_exists(f->p, "users"), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM adults"), 2); /* a named view */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM orders"), 2);

    dltc_sql_database_options all = DLTC_SQL_DATABASE_OPTIONS_INIT;
    all.include_views = 1;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqldb", &all), 0);
    run(f, src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM adults"), 4); /* appended */
}

/* ---- types ---- */

static void type_mapping(void **state)
{
    fx *f = *state;
    exec_sql(f, "CREATE TABLE types (i INTEGER NOT NULL, bi BIGINT, si SMALLINT, ubi UNSIGNED BIG "
                "INT, r REAL, d DOUBLE PRECISION, fl FLOAT, n NUMERIC(10, 2), dec DECIMAL(12), "
                "num NUMERIC, t TEXT, vc VARCHAR(20), c CHAR(3), cl CLOB, u UUID, b BLOB, "
                "bo BOOLEAN, dt DATETIME, ts TIMESTAMP, da DATE, ti TIME, j JSON, e, w STRING);"
                "INSERT INTO types VALUES (1, 9007199254740993, 7, 5, 1.5, 2.25, 3.0, 12.5, 42, "
                "7, 'x', 'vc', 'abc', 'clob', '6f1e…', x'00ff', 1, '2024-05-01 10:20:30', "
                "1714558830, '2024-05-01', '10:20:30.5', '{\"k\": [1, 2]}', 'any', '3.5');"
                "INSERT INTO types (i) VALUES (2);");
    dltc_sql_database_options o = DLTC_SQL_DATABASE_OPTIONS_INIT;
    const char *names[] = {"types"};
    o.table_names = names;
    o.n_table_names = 1;
    dltc_source *src;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqldb", &o), 0);
    run(f, src);
    static const struct {
        const char *col, *type;
    } want[] = {{"i", "bigint"},  {"bi", "bigint"}, {"si", "bigint"},    {"ubi", "bigint"},
                {"r", "double"},  {"d", "double"},  {"fl", "double"},    {"n", "decimal"},
                {"dec", "decimal"}, {"num", "decimal"}, {"t", "text"},   {"vc", "text"},
                {"c", "text"},    {"cl", "text"},   {"u", "text"},       {"b", "binary"},
                {"bo", "bool"},   {"dt", "timestamp"}, {"ts", "timestamp"}, {"da", "date"},
                {"ti", "time"},   {"j", "json"},    {"e", "text"},       {"w", "decimal"}};
    char buf[256];
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        tu_col_prop(f->p, "types", want[i].col, "data_type", buf, sizeof(buf));
        if (strcmp(buf, want[i].type))
            fail_msg("column %s: %s, expected %s", want[i].col, buf, want[i].type);
    }
    assert_string_equal(tu_col_prop(f->p, "types", "n", "precision", buf, sizeof(buf)), "10");
    assert_string_equal(tu_col_prop(f->p, "types", "n", "scale", buf, sizeof(buf)), "2");
    assert_string_equal(tu_col_prop(f->p, "types", "dec", "precision", buf, sizeof(buf)), "12");
    assert_string_equal(tu_col_prop(f->p, "types", "num", "precision", buf, sizeof(buf)), "");
    assert_string_equal(tu_col_prop(f->p, "types", "vc", "precision", buf, sizeof(buf)), "");
    assert_string_equal(tu_col_prop(f->p, "types", "i", "nullable", buf, sizeof(buf)), "false");
    assert_string_equal(tu_col_prop(f->p, "types", "t", "nullable", buf, sizeof(buf)), "true");
    /* the values, typed */
    assert_int_equal(scalar(f->p, "SELECT bi FROM types WHERE i = 1"), 9007199254740993LL);
    assert_string_equal(text(f->p, "SELECT n::VARCHAR FROM types WHERE i = 1", buf, sizeof(buf)),
                        "12.50");
    assert_int_equal(scalar(f->p, "SELECT CAST(bo AS INT) FROM types WHERE i = 1"), 1);
    assert_int_equal(scalar(f->p, "SELECT CAST(epoch(dt) AS BIGINT) FROM types WHERE i = 1"), 1714558830);
    assert_int_equal(scalar(f->p, "SELECT CAST(epoch(ts) AS BIGINT) FROM types WHERE i = 1"), 1714558830);
    assert_string_equal(text(f->p, "SELECT da::VARCHAR FROM types WHERE i = 1", buf, sizeof(buf)),
                        "2024-05-01");
    assert_string_equal(text(f->p, "SELECT ti::VARCHAR FROM types WHERE i = 1", buf, sizeof(buf)),
                        "10:20:30.5");
    assert_int_equal(scalar(f->p, "SELECT octet_length(b) FROM types WHERE i = 1"), 2);
    assert_int_equal(scalar(f->p, "SELECT json_extract(j, '$.k[1]')::INT FROM types WHERE i = 1"), 2);
    assert_string_equal(text(f->p, "SELECT data_type FROM information_schema.columns WHERE "
                                   "table_name = 'types' AND column_name = 'n'", buf, sizeof(buf)),
                        "DECIMAL(10,2)");
    /* NULLs: the second row has nothing but i */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM types WHERE i = 2 AND bi IS NULL AND t IS "
                                  "NULL AND dt IS NULL AND j IS NULL AND b IS NULL"), 1);

    /* minimal: no types; full_with_precision: lengths and smallint precision */
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.reflection_level = "full_with_precision";
    dltc_resource *r;
    dltc_sql_database_free(f->sdb);
    f->sdb = NULL;
    dltc_pipeline_free(f->p);
    char pd[4096], duck[4096];
    snprintf(pd, sizeof(pd), "%s/pipelines2", f->dir);
    snprintf(duck, sizeof(duck), "%s/test2.duckdb", f->dir);
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    po.pipelines_dir = pd;
    po.credentials = duck;
    assert_int_equal(dltc_pipeline_open(&f->p, "sqldb2", &po), 0);
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "types", &to), 0);
    run_table(f, r);
    assert_string_equal(tu_col_prop(f->p, "types", "vc", "precision", buf, sizeof(buf)), "20");
    assert_string_equal(tu_col_prop(f->p, "types", "si", "precision", buf, sizeof(buf)), "32");
    to.reflection_level = "minimal";
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "users", &to), 0);
    run_table(f, r);
    assert_string_equal(tu_col_prop(f->p, "users", "age", "data_type", buf, sizeof(buf)), "bigint");
    assert_string_equal(tu_col_prop(f->p, "users", "name", "nullable", buf, sizeof(buf)), "false");
    to.reflection_level = "most";
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "users", &to), DLTC_EINVALID);
}

static void composite_primary_key_and_columns(void **state)
{
    fx *f = *state;
    exec_sql(f, "CREATE TABLE lines (order_id INTEGER, line INTEGER, sku TEXT, secret TEXT, "
                "PRIMARY KEY (line, order_id));"
                "INSERT INTO lines VALUES (1, 1, 'a', 's'), (1, 2, 'b', 's'), (2, 1, 'c', 's');");
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    const char *excluded[] = {"secret"};
    to.excluded_columns = excluded;
    to.n_excluded_columns = 1;
    to.write_disposition = "merge";
    dltc_resource *r;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "lines", &to), 0);
    run_table(f, r);
    char buf[64];
    assert_string_equal(tu_col_prop(f->p, "lines", "order_id", "primary_key", buf, sizeof(buf)), "true");
    assert_string_equal(tu_col_prop(f->p, "lines", "line", "primary_key", buf, sizeof(buf)), "true");
    assert_string_equal(tu_col_prop(f->p, "lines", "order_id", "nullable", buf, sizeof(buf)), "false");
    assert_string_equal(tu_col_prop(f->p, "lines", "sku", "primary_key", buf, sizeof(buf)), "");
    assert_string_equal(tu_col_prop(f->p, "lines", "secret", "data_type", buf, sizeof(buf)), "");
    /* merge on the composite key: a changed row replaces its old version */
    exec_sql(f, "UPDATE lines SET sku = 'B' WHERE order_id = 1 AND line = 2;");
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "lines", &to), 0);
    run_table(f, r);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM lines"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM lines WHERE sku = 'B'"), 1);

    const char *included[] = {"id", "total"};
    dltc_sql_table_options t2 = DLTC_SQL_TABLE_OPTIONS_INIT;
    t2.included_columns = included;
    t2.n_included_columns = 2;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "orders", &t2), 0);
    run_table(f, r);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.columns WHERE "
                                  "table_name = 'orders' AND column_name = 'user_id'"), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM orders"), 2);
}

/* ---- pages ---- */

static size_t g_items; /* items the resource handed on (before the cursor) */

static int count_items(const dltc_value *item, void *payload)
{
    (void)item;
    (void)payload;
    g_items++;
    return 1;
}

static void chunks_and_limit(void **state)
{
    fx *f = *state;
    exec_sql(f, "CREATE TABLE five (n INTEGER);"
                "INSERT INTO five VALUES (1), (2), (3), (4), (5);");
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.chunk_size = 2;
    dltc_resource *r;
    /* add_limit(2) with chunk_size 2: dlt's LIMIT 2*2 */
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "five", &to), 0);
    assert_int_equal(dltc_resource_add_limit(r, 2), 0);
    run_table(f, r);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM five"), 4);
    assert_int_equal(scalar(f->p, "SELECT max(n) FROM five"), 4);
    /* three pages (2, 2, 1) without a limit */
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "five", &to), 0);
    assert_int_equal(dltc_resource_add_limit(r, 3), 0);
    run_table(f, r);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM five"), 9);
    /* a resource object that ran to its end reads again */
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "five", &to), 0);
    dltc_source *src;
    assert_int_equal(dltc_source_new(&src, "sqldb"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    dltc_source_free(src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM five"), 19);
}

/* ---- incremental ---- */

static dltc_resource *incremental_table(fx *f, const char *table,
                                        const dltc_incremental_options *io)
{
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.incremental = io;
    to.chunk_size = 2;
    dltc_resource *r;
    if (dltc_sql_table_resource(&r, db_of(f), table, &to))
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(dltc_resource_add_filter(r, count_items, NULL), 0);
    g_items = 0;
    return r;
}

static void incremental_integer(void **state)
{
    fx *f = *state;
    exec_sql(f, "CREATE TABLE ev (id INTEGER PRIMARY KEY, v INTEGER, k INTEGER);"
                "INSERT INTO ev VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3);");
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "v";
    io.initial_value = "2";
    run_table(f, incremental_table(f, "ev", &io));
    assert_int_equal(g_items, 2); /* WHERE v >= 2 */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM ev"), 2);

    exec_sql(f, "INSERT INTO ev VALUES (4, 3, 4), (5, 4, 5), (6, 0, 6);");
    run_table(f, incremental_table(f, "ev", &io));
    assert_int_equal(g_items, 3); /* v >= 3: the boundary row again, deduplicated */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM ev"), 4);
    assert_int_equal(scalar(f->p, "SELECT count(DISTINCT id) FROM ev"), 4);

    /* range_start open: v > 4 */
    io.range_start = "open";
    exec_sql(f, "INSERT INTO ev VALUES (7, 4, 7), (8, 5, 8);");
    run_table(f, incremental_table(f, "ev", &io));
    assert_int_equal(g_items, 1);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM ev"), 5);

    /* end_value (stateless): v >= 1 AND v < 3, and closed: v <= 3 */
    io.range_start = NULL;
    io.cursor_path = "k";
    io.initial_value = "2";
    io.end_value = "5";
    run_table(f, incremental_table(f, "ev", &io));
    assert_int_equal(g_items, 3); /* k in 2, 3, 4 */
    io.range_end = "closed";
    run_table(f, incremental_table(f, "ev", &io));
    assert_int_equal(g_items, 4);

    /* min: k <= 3 */
    io.range_end = NULL;
    io.end_value = NULL;
    io.initial_value = "3";
    io.last_value_func = "min";
    dltc_resource *r = incremental_table(f, "ev", &io);
    dltc_source *src;
    assert_int_equal(dltc_source_new(&src, "minsrc"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    run(f, src);
    assert_int_equal(g_items, 3);
}

static int cmp_reverse(const dltc_value *a, const dltc_value *b, void *payload)
{
    (void)payload;
    int64_t x = dltc_value_get_int(a), y = dltc_value_get_int(b);
    return x < y ? 1 : x > y ? -1 : 0;
}

static void incremental_nulls_order_and_custom(void **state)
{
    fx *f = *state;
    exec_sql(f, "CREATE TABLE nn (id INTEGER PRIMARY KEY, c INTEGER);"
                "INSERT INTO nn VALUES (1, 1), (2, NULL), (3, 3), (4, 4), (5, NULL);");
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "c";
    io.initial_value = "3";
    io.on_cursor_value_missing = "include";
    run_table(f, incremental_table(f, "nn", &io));
    assert_int_equal(g_items, 4); /* c >= 3 OR c IS NULL */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM nn"), 4);

    io.on_cursor_value_missing = "exclude";
    io.initial_value = "1";
    io.row_order = "desc";
    dltc_resource *r = incremental_table(f, "nn", &io);
    dltc_source *src;
    assert_int_equal(dltc_source_new(&src, "excl"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    run(f, src);
    assert_int_equal(g_items, 3); /* c >= 1 AND c IS NOT NULL, ORDER BY c DESC */

    /* a custom comparison: no WHERE, every row goes to the cursor */
    dltc_incremental_options cu = DLTC_INCREMENTAL_OPTIONS_INIT;
    cu.cursor_path = "id";
    cu.initial_value = "3";
    cu.last_value_cmp = cmp_reverse;
    r = incremental_table(f, "nn", &cu);
    assert_int_equal(dltc_source_new(&src, "custom"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    run(f, src);
    assert_int_equal(g_items, 5);

    /* the cursor must be a column that is read */
    dltc_incremental_options bad = DLTC_INCREMENTAL_OPTIONS_INIT;
    bad.cursor_path = "nope";
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.incremental = &bad;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "nn", &to), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "cursor column \"nope\""));
}

static void incremental_timestamp(void **state)
{
    fx *f = *state;
    exec_sql(f, "CREATE TABLE up (id INTEGER PRIMARY KEY, updated_at DATETIME NOT NULL);"
                "INSERT INTO up VALUES (1, '2024-01-01 10:00:00'), (2, '2024-01-02 10:00:00'),"
                "(3, '2024-01-03 10:00:00');"
                "CREATE TABLE upn (id INTEGER PRIMARY KEY, ts TIMESTAMP);"
                "INSERT INTO upn VALUES (1, 1704103200), (2, 1704189600), (3, 1704276000);");
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "updated_at";
    run_table(f, incremental_table(f, "up", &io)); /* no initial value: the whole table */
    assert_int_equal(g_items, 3);
    exec_sql(f, "INSERT INTO up VALUES (4, '2024-01-03 10:00:00'), (5, '2024-01-04 09:00:00'),"
                "(6, '2023-12-31 00:00:00');");
    run_table(f, incremental_table(f, "up", &io));
    assert_int_equal(g_items, 3); /* >= '2024-01-03 10:00:00': rows 3 (dedup), 4, 5 */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM up"), 5);
    assert_int_equal(scalar(f->p, "SELECT count(DISTINCT id) FROM up"), 5);

    /* unix seconds in a TIMESTAMP column; initial value as ISO text */
    dltc_incremental_options in = DLTC_INCREMENTAL_OPTIONS_INIT;
    in.cursor_path = "ts";
    in.initial_value = "\"2024-01-02T10:00:00Z\"";
    run_table(f, incremental_table(f, "upn", &in));
    assert_int_equal(g_items, 2);
    exec_sql(f, "INSERT INTO upn VALUES (4, 1704362400);");
    run_table(f, incremental_table(f, "upn", &in));
    assert_int_equal(g_items, 2); /* the boundary row and the new one */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM upn"), 3);
}

/* ---- names and errors ---- */

static void quoted_names(void **state)
{
    fx *f = *state;
    exec_sql(f, "CREATE TABLE \"it\"\"s\" (\"we\"\"ird\" INTEGER, \"a b\" TEXT);"
                "INSERT INTO \"it\"\"s\" VALUES (1, 'x'), (2, 'y');");
    const char *names[] = {"it\"s"};
    dltc_sql_database_options o = DLTC_SQL_DATABASE_OPTIONS_INIT;
    o.table_names = names;
    o.n_table_names = 1;
    dltc_source *src;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqldb", &o), 0);
    run(f, src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.tables WHERE "
                                  "table_name LIKE 'it%s'"), 1);
    char buf[64];
    text(f->p, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'it%s'",
         buf, sizeof(buf));
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT sum(we_ird) FROM \"%s\"", buf);
    assert_int_equal(scalar(f->p, sql), 3);
    /* a table name that is SQL: quoted, not run */
    dltc_resource *r;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "users\"; DROP TABLE users; --", NULL),
                     DLTC_ENOTFOUND);
    exec_sql(f, "SELECT count(*) FROM users;");
}

static void one_line_errors(void **state)
{
    fx *f = *state;
    dltc_resource *r;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "nope", NULL), DLTC_ENOTFOUND);
    char want[4400];
    snprintf(want, sizeof(want), "sql_database %s: table \"nope\": no such table", f->url);
    assert_string_equal(dltc_error_last()->message, want);
    assert_null(r);

    const char *names[] = {"users", "missing"};
    dltc_sql_database_options o = DLTC_SQL_DATABASE_OPTIONS_INIT;
    o.table_names = names;
    o.n_table_names = 2;
    dltc_source *src;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqldb", &o), DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "table \"missing\": no such table"));

    dltc_sql_database *db = NULL;
    char url[4300];
    snprintf(url, sizeof(url), "sqlite:///%s/absent.db", f->dir);
    assert_int_equal(dltc_sql_database_open(&db, url), DLTC_EIO);
    assert_null(db);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "absent.db"));
    assert_non_null(strstr(m, "sql_database sqlite:///"));
    assert_null(strchr(m, '\n'));

    assert_int_equal(dltc_sql_database_open(&db, "mysql://loader:s3cretpassw0rd@host/db"),
                     DLTC_EINVALID);
    assert_null(strstr(dltc_error_last()->message, "s3cretpassw0rd"));
    assert_non_null(strstr(dltc_error_last()->message, "loader:***@host"));

    /* a plain path works as well */
    assert_int_equal(dltc_sql_database_open(&db, f->db), 0);
    assert_int_equal(dltc_sql_table_resource(&r, db, "users", NULL), 0);
    dltc_resource_free(r);
    dltc_sql_database_free(db);
}

/* ---- memory ---- */

static size_t load_big(fx *f, size_t chunk)
{
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.chunk_size = chunk;
    to.write_disposition = "replace";
    dltc_resource *r;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "big", &to), 0);
    dltc_source *src;
    assert_int_equal(dltc_source_new(&src, "sqldb"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    size_t base = __atomic_load_n(&tu_live, __ATOMIC_RELAXED);
    __atomic_store_n(&tu_peak, base, __ATOMIC_RELAXED);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    size_t peak = __atomic_load_n(&tu_peak, __ATOMIC_RELAXED) - base;
    dltc_source_free(src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM big"), 100000);
    assert_int_equal(scalar(f->p, "SELECT sum(id) FROM big"), 5000050000LL);
    return peak;
}

static void big_table_bounded_memory(void **state)
{
    fx *f = *state;
    exec_sql(f, "CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, score REAL);"
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)"
                " INSERT INTO big SELECT x, printf('name number %d with some padding text to make"
                " the row wider than a few bytes', x), x / 7.0 FROM c;");
    size_t paged = load_big(f, 1000);
    size_t whole = load_big(f, 100000);
    print_message("peak library memory: %zu KB in pages of 1000, %zu KB in one page\n",
                  paged >> 10, whole >> 10);
    assert_true(paged < ((size_t)16 << 20));
    assert_true(paged * 4 < whole);
}

int main(void)
{
    tu_count_alloc_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(all_tables_without_views, setup, teardown),
        cmocka_unit_test_setup_teardown(table_names_and_views, setup, teardown),
        cmocka_unit_test_setup_teardown(type_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(composite_primary_key_and_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(chunks_and_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_integer, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_nulls_order_and_custom, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_timestamp, setup, teardown),
        cmocka_unit_test_setup_teardown(quoted_names, setup, teardown),
        cmocka_unit_test_setup_teardown(one_line_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(big_table_bounded_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
