/* The sql_database source on Postgres (the throwaway server of tests/support/pg_server.sh:
 * the `postgres` CTest fixture, DLTC_TEST_PG_DIR names its folder), through a pipeline into
 * DuckDB: reflection and the type mapping of every mapped type with the values and the
 * loaded column types, reflection levels, table selection, views and partitions, the
 * schema option and the default schema, the incremental WHERE over two runs with escaped
 * literals, pages and add_limit (several COPYs open at once), NULLs, quoted names,
 * one-line errors without the password (also when the server ends a session mid-COPY),
 * and a table read in bounded memory. Skipped when
 * DLTC_TEST_PG_DIR is not set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "dltc/sql_database.h"
#include "load/destination.h"
#include "count_alloc.h"
#include "schema_testutil.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>


/* ---- the server ---- */

static char g_uri[512]; /* loader, with a password */
static char g_port[16];

static int group_setup(void **state)
{
    (void)state;
    tu_pg_fixture("uri", g_uri, sizeof(g_uri));
    tu_pg_fixture("port", g_port, sizeof(g_port));
    return 0;
}

/* ---- fixtures: a schema of our own in Postgres, a pipeline into DuckDB ---- */

typedef struct {
    char *dir;
    char schema[64]; /* the Postgres schema of the test */
    char pd[4096];
    dltc_dest *pg;   /* for making tables */
    dltc_pipeline *p;
    dltc_sql_database *sdb;
} fx;

static int g_seq;

static void pg_exec(fx *f, const char *sql)
{
    if (dltc__dest_exec(f->pg, sql))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
}

/* sql with every "S" replaced by the test's quoted schema */
static void pg_execs(fx *f, const char *sql)
{
    char out[16384];
    size_t k = 0;
    for (const char *s = sql; *s && k + 80 < sizeof(out); s++) {
        if (s[0] == '"' && s[1] == 'S' && s[2] == '"') {
            k += (size_t)snprintf(out + k, sizeof(out) - k, "\"%s\"", f->schema);
            s += 2;
        } else {
            out[k++] = *s;
        }
    }
    out[k] = '\0';
    pg_exec(f, out);
}

static void open_pipeline(fx *f, const char *name)
{
    char duck[4200];
    dltc_pipeline_free(f->p);
    snprintf(f->pd, sizeof(f->pd), "%s/pipelines_%s", f->dir, name);
    snprintf(duck, sizeof(duck), "%s/%s.duckdb", f->dir, name);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = f->pd;
    o.credentials = duck;
    assert_int_equal(dltc_pipeline_open(&f->p, name, &o), 0);
}

static int setup(void **state)
{
    if (!g_uri[0]) {
        *state = NULL;
        return 0;
    }
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    snprintf(f->schema, sizeof(f->schema), "sqlpg_%ld_%d", (long)getpid(), ++g_seq);
    if (dltc__postgres_open(&f->pg, g_uri, DLTC_DEST_LOAD))
        fail_msg("connect: %s", dltc_error_last()->message);
    pg_execs(f, "DROP SCHEMA IF EXISTS \"S\" CASCADE; CREATE SCHEMA \"S\"");
    open_pipeline(f, "sqlpg");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    dltc_pipeline_free(f->p);
    dltc_sql_database_free(f->sdb);
    pg_execs(f, "DROP SCHEMA IF EXISTS \"S\" CASCADE");
    dltc__dest_close(f->pg);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

#define NEED_PG()                                                                        \
    do {                                                                                 \
        if (!g_uri[0]) {                                                                 \
            print_message("DLTC_TEST_PG_DIR not set: no Postgres server, skipped\n");    \
            skip();                                                                      \
        }                                                                                \
    } while (0)

static dltc_sql_database *db_of(fx *f)
{
    if (!f->sdb && dltc_sql_database_open(&f->sdb, g_uri))
        fail_msg("open: %s", dltc_error_last()->message);
    return f->sdb;
}

static long long scalar(dltc_pipeline *p, const char *sql)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    const dltc_value *v = dltc_rows_get(rows, 0, 0);
    long long r = dltc_value_type_of(v) == DLTC_TYPE_NULL ? -1
                  : dltc_value_type_of(v) == DLTC_TYPE_BOOL ? dltc_value_get_bool(v)
                                                            : dltc_value_get_int(v);
    dltc_rows_free(rows);
    return r;
}

static const char *text(dltc_pipeline *p, const char *sql, char *buf, size_t n)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    const char *s = dltc_rows_count(rows) ? dltc_rows_get_text(rows, 0, 0) : NULL;
    snprintf(buf, n, "%s", s ? s : "");
    dltc_rows_free(rows);
    return buf;
}

static void assert_text(dltc_pipeline *p, const char *sql, const char *want)
{
    char buf[512];
    text(p, sql, buf, sizeof(buf));
    if (strcmp(buf, want))
        fail_msg("%s: got '%s', want '%s'", sql, buf, want);
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
    assert_int_equal(dltc_source_new(&src, "sqlpg"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    run(f, src);
}

static dltc_resource *table_of(fx *f, const char *table, dltc_sql_table_options *to)
{
    dltc_sql_table_options dflt = DLTC_SQL_TABLE_OPTIONS_INIT;
    if (!to)
        to = &dflt;
    to->schema = f->schema;
    dltc_resource *r;
    if (dltc_sql_table_resource(&r, db_of(f), table, to))
        fail_msg("sql_table %s: %s", table, dltc_error_last()->message);
    return r;
}

static void assert_prop(fx *f, const char *table, const char *col, const char *prop,
                        const char *want)
{
    char buf[256];
    tu_col_prop(f->p, table, col, prop, buf, sizeof(buf));
    if (strcmp(buf, want))
        fail_msg("%s.%s %s: '%s', expected '%s'", table, col, prop, buf, want);
}

static void assert_one_line(const char *contains, const char *lacks)
{
    const dltc_error *e = dltc_error_last();
    assert_non_null(e->message);
    if (strchr(e->message, '\n') || strchr(e->message, '\r'))
        fail_msg("message spans lines: '%s'", e->message);
    if (contains && !strstr(e->message, contains))
        fail_msg("message '%s' lacks '%s'", e->message, contains);
    if (lacks && strstr(e->message, lacks))
        fail_msg("message '%s' shows '%s'", e->message, lacks);
}

/* ---- types ---- */

static const char *const TYPES_SQL =
    "CREATE TYPE \"S\".mood AS ENUM ('ok', 'happy', 'sad');"
    "CREATE DOMAIN \"S\".posint AS integer NOT NULL CHECK (VALUE > 0);"
    "CREATE TABLE \"S\".types (id integer PRIMARY KEY, si smallint, i integer NOT NULL, "
    "bi bigint, n numeric(10, 2), nn numeric, r real, d double precision, t text, "
    "vc varchar(20), c char(3), u uuid, e \"S\".mood, b bytea, ts timestamp, tstz timestamptz, "
    "da date, ti time, titz timetz, j json, jb jsonb, ia integer[], ta text[], bo boolean, "
    "iv interval, ip inet, dom \"S\".posint);"
    "INSERT INTO \"S\".types VALUES (1, 7, 42, 9007199254740993, 12.5, "
    "123456789012345678901234.5678, 0.1, 2.25, 'it''s', 'vc', 'ab', "
    "'6f1e2f9c-8a6b-4c1d-9e2f-0a1b2c3d4e5f', 'happy', '\\x00ff', '2024-05-01 10:20:30.123456', "
    "'2024-05-01 12:20:30+02', '2024-05-01', '10:20:30.5', '10:20:30+02', '{\"k\": [1, 2]}', "
    "'{\"a\": {\"b\": true}}', '{1,2,3}', '{x,\"y z\"}', true, '1 day 02:00:00', '10.0.0.1', 5);"
    "INSERT INTO \"S\".types (id, i, dom) VALUES (2, 0, 1);"
    "INSERT INTO \"S\".types (id, i, n, d, ts, da, dom) VALUES (3, -1, -0.05, 'NaN', "
    "'-infinity', 'infinity', 2)";

static void types_and_values(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, TYPES_SQL);
    run_table(f, table_of(f, "types", NULL));
    static const struct {
        const char *col, *type;
    } want[] = {{"id", "bigint"},      {"si", "bigint"},    {"i", "bigint"},   {"bi", "bigint"},
                {"n", "decimal"},      {"nn", "decimal"},   {"r", "double"},   {"d", "double"},
                {"t", "text"},         {"vc", "text"},      {"c", "text"},     {"u", "text"},
                {"e", "text"},         {"b", "binary"},     {"ts", "timestamp"},
                {"tstz", "timestamp"}, {"da", "date"},      {"ti", "time"},    {"titz", "time"},
                {"j", "json"},         {"jb", "json"},      {"ia", "json"},    {"ta", "json"},
                {"bo", "bool"},        {"iv", "text"},      {"ip", "text"},    {"dom", "bigint"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_prop(f, "types", want[i].col, "data_type", want[i].type);
    assert_prop(f, "types", "n", "precision", "10");
    assert_prop(f, "types", "n", "scale", "2");
    assert_prop(f, "types", "nn", "precision", "");
    assert_prop(f, "types", "vc", "precision", "");   /* only at full_with_precision */
    assert_prop(f, "types", "tstz", "timezone", "");  /* likewise */
    assert_prop(f, "types", "id", "nullable", "false");
    assert_prop(f, "types", "id", "primary_key", "true");
    assert_prop(f, "types", "i", "nullable", "false");
    assert_prop(f, "types", "dom", "nullable", "false"); /* the domain's NOT NULL */
    assert_prop(f, "types", "t", "nullable", "true");

    /* the columns DuckDB got */
    static const struct {
        const char *col, *type;
    } duck[] = {{"bi", "BIGINT"}, {"n", "DECIMAL(10,2)"}, {"d", "DOUBLE"}, {"t", "VARCHAR"},
                {"b", "BLOB"},    {"tstz", "TIMESTAMP WITH TIME ZONE"},   {"da", "DATE"},
                {"ti", "TIME"},   {"j", "JSON"},           {"ia", "JSON"},  {"bo", "BOOLEAN"},
                {"iv", "VARCHAR"}};
    for (size_t i = 0; i < sizeof(duck) / sizeof(duck[0]); i++) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT data_type FROM information_schema.columns WHERE "
                 "table_name = 'types' AND column_name = '%s'", duck[i].col);
        assert_text(f->p, sql, duck[i].type);
    }

    /* the values, typed */
    assert_int_equal(scalar(f->p, "SELECT bi FROM types WHERE id = 1"), 9007199254740993LL);
    assert_int_equal(scalar(f->p, "SELECT si + i FROM types WHERE id = 1"), 49);
    assert_text(f->p, "SELECT n::VARCHAR FROM types WHERE id = 1", "12.50");
    assert_text(f->p, "SELECT n::VARCHAR FROM types WHERE id = 3", "-0.05");
    assert_text(f->p, "SELECT nn::VARCHAR FROM types WHERE id = 1",
                "123456789012345678901234.567800000");
    assert_int_equal(scalar(f->p, "SELECT r = 0.1::DOUBLE FROM types WHERE id = 1"), 1);
    assert_int_equal(scalar(f->p, "SELECT d = 2.25 FROM types WHERE id = 1"), 1);
    /* NaN has no JSON number: NULL, as the writers make any non-finite double */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM types WHERE id = 3 AND d IS NULL"), 1);
    assert_text(f->p, "SELECT t FROM types WHERE id = 1", "it's");
    assert_text(f->p, "SELECT c FROM types WHERE id = 1", "ab ");
    assert_text(f->p, "SELECT u FROM types WHERE id = 1", "6f1e2f9c-8a6b-4c1d-9e2f-0a1b2c3d4e5f");
    assert_text(f->p, "SELECT e FROM types WHERE id = 1", "happy");
    assert_text(f->p, "SELECT hex(b) FROM types WHERE id = 1", "00FF");
    /* a naive timestamp goes to UTC (no timezone hint at full), timestamptz is UTC */
    assert_int_equal(scalar(f->p, "SELECT epoch_us(ts) FROM types WHERE id = 1"),
                     1714558830123456LL);
    assert_int_equal(scalar(f->p, "SELECT epoch(tstz)::BIGINT FROM types WHERE id = 1"),
                     1714558830LL);
    assert_text(f->p, "SELECT da::VARCHAR FROM types WHERE id = 1", "2024-05-01");
    assert_text(f->p, "SELECT ti::VARCHAR FROM types WHERE id = 1", "10:20:30.5");
    assert_text(f->p, "SELECT titz::VARCHAR FROM types WHERE id = 1", "08:20:30");
    assert_int_equal(scalar(f->p, "SELECT json_extract(j, '$.k[1]')::INT FROM types WHERE id = 1"),
                     2);
    assert_text(f->p, "SELECT json_extract(jb, '$.a.b')::VARCHAR FROM types WHERE id = 1", "true");
    assert_text(f->p, "SELECT ia::VARCHAR FROM types WHERE id = 1", "[1,2,3]");
    assert_text(f->p, "SELECT json_extract_string(ta, '$[1]') FROM types WHERE id = 1", "y z");
    assert_int_equal(scalar(f->p, "SELECT bo FROM types WHERE id = 1"), 1);
    assert_text(f->p, "SELECT iv FROM types WHERE id = 1", "1 day 02:00:00");
    assert_text(f->p, "SELECT ip FROM types WHERE id = 1", "10.0.0.1");
    assert_int_equal(scalar(f->p, "SELECT dom FROM types WHERE id = 1"), 5);
    /* NULLs: the second row has nothing but id, i and dom */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM types WHERE id = 2 AND si IS NULL AND "
                                  "bi IS NULL AND n IS NULL AND r IS NULL AND d IS NULL AND t IS "
                                  "NULL AND u IS NULL AND e IS NULL AND b IS NULL AND ts IS NULL "
                                  "AND tstz IS NULL AND da IS NULL AND ti IS NULL AND j IS NULL "
                                  "AND jb IS NULL AND ia IS NULL AND bo IS NULL AND iv IS NULL"),
                     1);
    /* ±infinity has no datetime: the text goes to a variant column */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM types WHERE ts__v_text = '-infinity' "
                                  "AND da__v_text = 'infinity'"), 1);
}

static void reflection_levels(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, TYPES_SQL);
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.reflection_level = "full_with_precision";
    run_table(f, table_of(f, "types", &to));
    assert_prop(f, "types", "vc", "precision", "20");
    assert_prop(f, "types", "c", "precision", "3");
    assert_prop(f, "types", "t", "precision", "");
    assert_prop(f, "types", "e", "precision", "5"); /* an enum: its longest label */
    assert_prop(f, "types", "si", "precision", "32");
    assert_prop(f, "types", "n", "precision", "10");
    assert_prop(f, "types", "ts", "timezone", "false");
    assert_prop(f, "types", "tstz", "timezone", "true");
    assert_text(f->p, "SELECT data_type FROM information_schema.columns WHERE table_name = "
                      "'types' AND column_name = 'ts'", "TIMESTAMP");
    assert_int_equal(scalar(f->p, "SELECT epoch_us(ts) FROM types WHERE id = 1"),
                     1714558830123456LL);

    /* minimal: names and nullability; JSON columns get no hint, so objects are flattened
     * and lists become nested tables */
    open_pipeline(f, "minimal");
    to.reflection_level = "minimal";
    run_table(f, table_of(f, "types", &to));
    assert_prop(f, "types", "i", "nullable", "false");
    assert_prop(f, "types", "si", "data_type", "bigint"); /* inferred */
    assert_prop(f, "types", "jb__a__b", "data_type", "bool");
    assert_int_equal(table_exists(f->p, "types__ia"), 1);
    assert_int_equal(table_exists(f->p, "types__j__k"), 1);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM types__ia"), 3);

    to.reflection_level = "most";
    dltc_resource *r;
    to.schema = f->schema;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "types", &to), DLTC_EINVALID);
}

/* ---- selection ---- */

static void selection_schema_and_views(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, "CREATE TABLE \"S\".users (id int PRIMARY KEY, name text NOT NULL, age int);"
                "INSERT INTO \"S\".users VALUES (1, 'Alice', 30), (2, 'Bob', NULL), (3, 'Eve', 41);"
                "CREATE TABLE \"S\".orders (id int PRIMARY KEY, user_id int, total numeric(8,2));"
                "INSERT INTO \"S\".orders VALUES (10, 1, 9.5), (11, 3, 20.25);"
                "CREATE VIEW \"S\".adults AS SELECT id, name FROM \"S\".users WHERE age >= 18;"
                "CREATE MATERIALIZED VIEW \"S\".names AS SELECT name FROM \"S\".users;"
                "CREATE TABLE \"S\".parts (id int, k int) PARTITION BY RANGE (k);"
                "CREATE TABLE \"S\".parts_a PARTITION OF \"S\".parts FOR VALUES FROM (0) TO (10);"
                "CREATE TABLE \"S\".parts_b PARTITION OF \"S\".parts FOR VALUES FROM (10) TO (20);"
                "INSERT INTO \"S\".parts VALUES (1, 1), (2, 15);");
    /* the schema option: its tables, no views, partitions through their parent */
    dltc_sql_database_options o = DLTC_SQL_DATABASE_OPTIONS_INIT;
    o.schema = f->schema;
    dltc_source *src;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqlpg", &o), 0);
    run(f, src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM orders"), 2);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM parts"), 2);
    assert_int_equal(table_exists(f->p, "adults"), 0);
    assert_int_equal(table_exists(f->p, "names"), 0);
    assert_int_equal(table_exists(f->p, "parts_a"), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users WHERE age IS NULL"), 1);

    /* table_names: only those, views allowed */
    open_pipeline(f, "named");
    const char *names[] = {"adults", "orders"};
    o.table_names = names;
    o.n_table_names = 2;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqlpg", &o), 0);
    run(f, src);
    assert_int_equal(table_exists(f->p, "users"), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM adults"), 2);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM orders"), 2);

    /* include_views: views and materialized views too */
    open_pipeline(f, "views");
    dltc_sql_database_options v = DLTC_SQL_DATABASE_OPTIONS_INIT;
    v.schema = f->schema;
    v.include_views = 1;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqlpg", &v), 0);
    run(f, src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM adults"), 2);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM names"), 3);

    /* no schema: the session's current schema (here set by the URL's search_path), and a
     * driver in the scheme is ignored */
    open_pipeline(f, "current");
    char url[1024];
    snprintf(url, sizeof(url), "postgresql+psycopg2://%s%soptions=-csearch_path%%3D%s",
             g_uri + strlen("postgresql://"), strchr(g_uri, '?') ? "&" : "?", f->schema);
    dltc_sql_database *db2;
    if (dltc_sql_database_open(&db2, url))
        fail_msg("open %s: %s", url, dltc_error_last()->message);
    assert_int_equal(dltc_sql_database_source(&src, db2, "sqlpg", NULL), 0);
    run(f, src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM parts"), 2);
    dltc_resource *r;
    assert_int_equal(dltc_sql_table_resource(&r, db2, "orders", NULL), 0);
    run_table(f, r);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM orders"), 4);
    dltc_sql_database_free(db2);

    /* included / excluded columns, the reflected primary key */
    open_pipeline(f, "columns");
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    const char *excluded[] = {"age"};
    to.excluded_columns = excluded;
    to.n_excluded_columns = 1;
    to.write_disposition = "merge";
    run_table(f, table_of(f, "users", &to));
    pg_execs(f, "UPDATE \"S\".users SET name = 'Bobby' WHERE id = 2");
    run_table(f, table_of(f, "users", &to));
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users WHERE name = 'Bobby'"), 1);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.columns WHERE "
                                  "table_name = 'users' AND column_name = 'age'"), 0);
}

/* ---- pages ---- */

static void chunks_and_limit(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, "CREATE TABLE \"S\".five (n int);"
                "INSERT INTO \"S\".five SELECT generate_series(1, 5);"
                "CREATE TABLE \"S\".seven (m int);"
                "INSERT INTO \"S\".seven SELECT generate_series(1, 7);");
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.chunk_size = 2;
    /* add_limit(2) with chunk_size 2: dlt's LIMIT 2*2, for two tables whose COPYs both stay
     * open after the run */
    dltc_resource *a = table_of(f, "five", &to), *b = table_of(f, "seven", &to);
    assert_int_equal(dltc_resource_add_limit(a, 2), 0);
    assert_int_equal(dltc_resource_add_limit(b, 2), 0);
    dltc_source *src;
    assert_int_equal(dltc_source_new(&src, "sqlpg"), 0);
    assert_int_equal(dltc_source_add(src, a), 0);
    assert_int_equal(dltc_source_add(src, b), 0);
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM five"), 4);
    assert_int_equal(scalar(f->p, "SELECT max(n) FROM five"), 4);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM seven"), 4);
    /* meanwhile another table reads (a third connection) */
    run_table(f, table_of(f, "five", &to));
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM five"), 9);
    /* the limited resources continue where they stopped */
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM five"), 10);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM seven"), 7);
    assert_int_equal(scalar(f->p, "SELECT count(DISTINCT m) FROM seven"), 7);
    /* and, having ended, read again from the start */
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM five"), 14);
    dltc_source_free(src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM seven"), 11);
    /* a limited resource freed with its COPY open */
    dltc_resource *c = table_of(f, "seven", &to);
    assert_int_equal(dltc_resource_add_limit(c, 1), 0);
    run_table(f, c);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM seven"), 13);
    run_table(f, table_of(f, "seven", NULL));
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM seven"), 20);
}

/* ---- incremental ---- */

static size_t g_items; /* items the resource handed on (before the cursor) */

static int count_items(const dltc_value *item, void *payload)
{
    (void)item;
    (void)payload;
    g_items++;
    return 1;
}

static dltc_resource *incremental_table(fx *f, const char *table,
                                        const dltc_incremental_options *io)
{
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.incremental = io;
    to.chunk_size = 2;
    dltc_resource *r = table_of(f, table, &to);
    assert_int_equal(dltc_resource_add_filter(r, count_items, NULL), 0);
    g_items = 0;
    return r;
}

static void incremental_timestamp_two_runs(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, "CREATE TABLE \"S\".up (id int PRIMARY KEY, updated_at timestamptz NOT NULL);"
                "INSERT INTO \"S\".up VALUES (1, '2024-01-01 10:00+00'), "
                "(2, '2024-01-02 10:00+00'), (3, '2024-01-03 10:00+00')");
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "updated_at";
    io.initial_value = "\"2024-01-02T00:00:00Z\"";
    run_table(f, incremental_table(f, "up", &io));
    assert_int_equal(g_items, 2); /* WHERE updated_at >= '2024-01-02…' */
    pg_execs(f, "INSERT INTO \"S\".up VALUES (4, '2024-01-03 10:00+00'), "
                "(5, '2024-01-04 09:00+00'), (6, '2023-12-31 00:00+00')");
    run_table(f, incremental_table(f, "up", &io));
    assert_int_equal(g_items, 3); /* >= the last value: rows 3 (deduplicated), 4, 5 */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM up"), 4);
    assert_int_equal(scalar(f->p, "SELECT count(DISTINCT id) FROM up"), 4);
    /* a third run: only the boundary rows, nothing new */
    run_table(f, incremental_table(f, "up", &io));
    assert_int_equal(g_items, 1);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM up"), 4);
}

static void incremental_integer_and_text(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, "CREATE TABLE \"S\".ev (id int PRIMARY KEY, v bigint, k int, s text, "
                "x numeric(6,2));"
                "INSERT INTO \"S\".ev VALUES (1, 1, 1, 'a', 1.5), (2, 2, 2, 'b''c', 2.5), "
                "(3, 3, NULL, 'b''d', 3.5), (4, 4, 4, 'c', NULL), "
                "(5, -7, 5, 'x'' OR ''1''=''1', 0)");
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "v";
    io.initial_value = "2";
    run_table(f, incremental_table(f, "ev", &io));
    assert_int_equal(g_items, 3); /* v >= 2 */
    /* end_value, closed/open: k >= 2 AND k < 5 (NULL k excluded by the comparison) */
    dltc_incremental_options ie = DLTC_INCREMENTAL_OPTIONS_INIT;
    ie.cursor_path = "k";
    ie.initial_value = "2";
    ie.end_value = "5";
    run_table(f, incremental_table(f, "ev", &ie));
    assert_int_equal(g_items, 2);
    ie.on_cursor_value_missing = "include";
    run_table(f, incremental_table(f, "ev", &ie));
    assert_int_equal(g_items, 3); /* … OR k IS NULL */
    /* min with a negative bound (a new pipeline: the state of cursor "v" says 4) */
    open_pipeline(f, "min");
    dltc_incremental_options im = DLTC_INCREMENTAL_OPTIONS_INIT;
    im.cursor_path = "v";
    im.initial_value = "-7";
    im.last_value_func = "min";
    im.primary_key = "";
    run_table(f, incremental_table(f, "ev", &im));
    assert_int_equal(g_items, 1); /* v <= -7 */
    /* a text cursor: the value is an escaped literal, never SQL */
    dltc_incremental_options it = DLTC_INCREMENTAL_OPTIONS_INIT;
    it.cursor_path = "s";
    it.initial_value = "\"b'c\"";
    it.end_value = "\"x' OR '1'='1\"";
    run_table(f, incremental_table(f, "ev", &it));
    assert_int_equal(g_items, 3); /* b'c, b'd, c */
    /* a decimal cursor */
    dltc_incremental_options ix = DLTC_INCREMENTAL_OPTIONS_INIT;
    ix.cursor_path = "x";
    ix.initial_value = "2.5";
    ix.on_cursor_value_missing = "exclude";
    ix.row_order = "asc";
    run_table(f, incremental_table(f, "ev", &ix));
    assert_int_equal(g_items, 2); /* 2.5, 3.5 */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM ev WHERE s = 'x'' OR ''1''=''1'"), 1);
}

/* ---- names ---- */

static void quoted_names(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, "CREATE TABLE \"S\".\"it\"\"s\" (\"we\"\"ird\" int, \"a b\" text);"
                "INSERT INTO \"S\".\"it\"\"s\" VALUES (1, 'x'), (2, 'y')");
    run_table(f, table_of(f, "it\"s", NULL));
    char buf[64], sql[256];
    text(f->p, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'it%s'",
         buf, sizeof(buf));
    snprintf(sql, sizeof(sql), "SELECT sum(we_ird) FROM \"%s\"", buf);
    assert_int_equal(scalar(f->p, sql), 3);
    dltc_resource *r;
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.schema = f->schema;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "x' OR '1'='1", &to), DLTC_ENOTFOUND);
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "it\"s", NULL), DLTC_ENOTFOUND);
}

/* ---- errors ---- */

static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void one_line_errors(void **state)
{
    NEED_PG();
    fx *f = *state;
    /* a missing table */
    dltc_resource *r = NULL;
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.schema = f->schema;
    assert_int_equal(dltc_sql_table_resource(&r, db_of(f), "nope", &to), DLTC_ENOTFOUND);
    assert_null(r);
    char want[1024];
    snprintf(want, sizeof(want),
             "sql_database postgresql://loader:***@127.0.0.1:%s/dltc: table \"nope\": no such "
             "table", g_port);
    assert_string_equal(dltc_error_last()->message, want);
    const char *names[] = {"missing"};
    dltc_sql_database_options o = DLTC_SQL_DATABASE_OPTIONS_INIT;
    o.schema = f->schema;
    o.table_names = names;
    o.n_table_names = 1;
    dltc_source *src;
    assert_int_equal(dltc_sql_database_source(&src, db_of(f), "sqlpg", &o), DLTC_ENOTFOUND);
    assert_one_line("table \"missing\": no such table", "loader-pw");

    /* a table that goes away between reflection and the run */
    pg_execs(f, "CREATE TABLE \"S\".gone (a int)");
    r = table_of(f, "gone", NULL);
    pg_execs(f, "DROP TABLE \"S\".gone");
    assert_int_equal(dltc_source_new(&src, "sqlpg"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    assert_int_not_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_one_line("table \"gone\": ", "loader-pw");
    assert_one_line("does not exist", NULL);
    dltc_source_free(src);
    /* the handle still reads */
    pg_execs(f, "CREATE TABLE \"S\".back (a int); INSERT INTO \"S\".back VALUES (1)");
    run_table(f, table_of(f, "back", NULL));
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM back"), 1);

    /* a wrong password */
    dltc_sql_database *db = NULL;
    char url[600];
    snprintf(url, sizeof(url), "postgresql://loader:Wrong-Pass-4711@127.0.0.1:%s/dltc", g_port);
    assert_int_equal(dltc_sql_database_open(&db, url), DLTC_EDATABASE);
    assert_null(db);
    assert_one_line("sql_database postgresql://loader:***@127.0.0.1:", "Wrong-Pass-4711");
    assert_one_line("password authentication failed", "postgres at");

    /* no server */
    snprintf(url, sizeof(url),
             "postgresql://loader:Secret-Pw-9999@127.0.0.1:%d/dltc?connect_timeout=3",
             closed_port());
    assert_int_equal(dltc_sql_database_open(&db, url), DLTC_ENETWORK);
    assert_null(db);
    assert_one_line("sql_database postgresql://loader:***@127.0.0.1:", "Secret-Pw-9999");
    print_message("%s\n", dltc_error_last()->message);

    /* libpq's keyword/value form: it reads, and a wrong password never shows */
    snprintf(url, sizeof(url), "host=127.0.0.1 port=%s dbname=dltc user=loader password=Kv-Wrong-77",
             g_port);
    assert_int_equal(dltc_sql_database_open(&db, url), DLTC_EDATABASE);
    assert_one_line("keyword=value connection string", "Kv-Wrong-77");
    snprintf(url, sizeof(url), "host=127.0.0.1 port=%s dbname=dltc user=loader password=loader-pw-123",
             g_port);
    assert_int_equal(dltc_sql_database_open(&db, url), 0);
    dltc_sql_database_free(db);
    db = NULL;

    /* not a database this source reads */
    assert_int_equal(dltc_sql_database_open(&db, "mysql://u:s3cretpassw0rd@host/db"),
                     DLTC_EINVALID);
    assert_one_line("mysql://u:***@host/db", "s3cretpassw0rd");
}

/* The server ends the session of a COPY that add_limit left open: the next run fails with
 * one line naming the table, and the handle reads again on a new connection. */
static void server_gone_mid_copy(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, "CREATE TABLE \"S\".wide (id int, pad text);"
                "INSERT INTO \"S\".wide SELECT g, repeat('x', 200) "
                "FROM generate_series(1, 200000) g");
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.chunk_size = 10;
    dltc_resource *r = table_of(f, "wide", &to);
    assert_int_equal(dltc_resource_add_limit(r, 1), 0);
    dltc_source *src;
    assert_int_equal(dltc_source_new(&src, "sqlpg"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM wide"), 10);
    pg_exec(f, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE query LIKE 'COPY (SELECT %wide%' AND pid <> pg_backend_pid()");
    dltc_resource_add_limit(r, 0);
    int rc = dltc_pipeline_run_source(f->p, src, NULL);
    assert_true(rc == DLTC_ENETWORK || rc == DLTC_EDATABASE);
    assert_one_line("table \"wide\": ", "loader-pw");
    print_message("%s\n", dltc_error_last()->message);
    dltc_source_free(src);
    run_table(f, table_of(f, "wide", NULL));
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM wide"), 200010);
}

/* ---- memory ---- */

static size_t load_big(fx *f, size_t chunk)
{
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.chunk_size = chunk;
    to.write_disposition = "replace";
    dltc_resource *r = table_of(f, "big", &to);
    dltc_source *src;
    assert_int_equal(dltc_source_new(&src, "sqlpg"), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    size_t base = __atomic_load_n(&tu_live, __ATOMIC_RELAXED);
    __atomic_store_n(&tu_peak, base, __ATOMIC_RELAXED);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    size_t peak = __atomic_load_n(&tu_peak, __ATOMIC_RELAXED) - base;
    dltc_source_free(src);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM big"), 100000);
    assert_int_equal(scalar(f->p, "SELECT sum(id) FROM big"), 5000050000LL);
    assert_text(f->p, "SELECT sum(amount)::VARCHAR FROM big", "50000500.00");
    return peak;
}

static void big_table_bounded_memory(void **state)
{
    NEED_PG();
    fx *f = *state;
    pg_execs(f, "CREATE TABLE \"S\".big (id bigint PRIMARY KEY, name text, score double precision, "
                "amount numeric(12,2), at timestamptz);"
                "INSERT INTO \"S\".big SELECT g, 'name number ' || g || ' with some padding "
                "text to make the row wider than a few bytes', g / 7.0, g / 100.0, "
                "'2024-01-01'::timestamptz + g * interval '1 minute' "
                "FROM generate_series(1, 100000) g");
    size_t paged = load_big(f, 1000);
    size_t whole = load_big(f, 100000);
    print_message("peak library memory: %zu KB in pages of 1000, %zu KB in one page\n",
                  paged >> 10, whole >> 10);
    assert_true(paged < ((size_t)16 << 20));
    assert_true(paged * 4 < whole);
    /* the doubles carry the server's shortest text */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM big WHERE score = id / 7.0"), 100000);
}

int main(void)
{
    tu_count_alloc_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(types_and_values, setup, teardown),
        cmocka_unit_test_setup_teardown(reflection_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(selection_schema_and_views, setup, teardown),
        cmocka_unit_test_setup_teardown(chunks_and_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_timestamp_two_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_integer_and_text, setup, teardown),
        cmocka_unit_test_setup_teardown(quoted_names, setup, teardown),
        cmocka_unit_test_setup_teardown(one_line_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(server_gone_mid_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(big_table_bounded_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
