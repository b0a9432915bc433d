/* The Postgres client against the throwaway server of tests/support/pg_server.sh (the
 * `postgres` CTest fixture; DLTC_TEST_PG_DIR names its folder): connecting and its errors,
 * exec/query of every type, table columns, and load_file of the normalizer's csv, jsonl and
 * insert_values files. Skipped when DLTC_TEST_PG_DIR is not set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "common/time.h"
#include "load/destination.h"
#include "load/sql.h"
#include "normalize/writer.h"
#include "schema/schema.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static char g_uri[512];   /* loader (password) */
static char g_admin[512]; /* dltc (trust) */
static char g_port[16];
static char *g_dir;       /* temp folder for load files */

static int group_setup(void **state)
{
    (void)state;
    tu_pg_fixture("uri", g_uri, sizeof(g_uri));
    tu_pg_fixture("uri_admin", g_admin, sizeof(g_admin));
    tu_pg_fixture("port", g_port, sizeof(g_port));
    g_dir = tu_mkdtemp();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_rmrf(g_dir);
    free(g_dir);
    return 0;
}

#define NEED_PG()                                                                  \
    do {                                                                           \
        if (!g_uri[0]) {                                                           \
            print_message("DLTC_TEST_PG_DIR not set: no Postgres server, skipped\n"); \
            skip();                                                                \
        }                                                                          \
    } while (0)

static dltc_dest *connect_ok(const char *conninfo)
{
    dltc_dest *d = NULL;
    int rc = dltc__postgres_open(&d, conninfo, DLTC_DEST_LOAD);
    if (rc)
        fail_msg("connect: %d %s", rc, dltc_error_last()->message);
    return d;
}

static void exec_ok(dltc_dest *d, const char *sql)
{
    int rc = dltc__dest_exec(d, sql);
    if (rc)
        fail_msg("%s: %s", sql, dltc_error_last()->message);
}

/* The text of cell (0, 0) of a query (malloc'ed). */
static char *scalar(dltc_dest *d, const char *sql)
{
    dltc_rows *rows = NULL;
    int rc = dltc__dest_query(d, sql, &rows);
    if (rc)
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    assert_true(dltc_rows_count(rows) >= 1);
    char *s = strdup(dltc_rows_get_text(rows, 0, 0));
    dltc_rows_free(rows);
    return s;
}

static void assert_scalar(dltc_dest *d, const char *sql, const char *want)
{
    char *got = scalar(d, sql);
    if (strcmp(got, want))
        fail_msg("%s: got '%s', want '%s'", sql, got, want);
    free(got);
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

/* ---- connecting ---- */

static void test_connect_uri_and_keyvalue(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    assert_string_equal(d->ops->type, "postgres");
    assert_int_equal(dltc__dest_dialect(d), DLTC_SQL_POSTGRES);
    assert_scalar(d, "SELECT current_user", "loader");
    assert_scalar(d, "SELECT current_setting('application_name')", "dltc");
    assert_scalar(d, "SELECT current_setting('TimeZone')", "UTC");
    assert_scalar(d, "SELECT current_setting('client_encoding')", "UTF8");
    dltc__dest_close(d);

    char kv[512];
    snprintf(kv, sizeof(kv),
             "host=127.0.0.1 port=%s dbname=dltc user=loader password='loader-pw-123' "
             "application_name=mine",
             g_port);
    d = connect_ok(kv);
    assert_scalar(d, "SELECT current_user", "loader");
    assert_scalar(d, "SELECT current_setting('application_name')", "mine");
    dltc__dest_close(d);

    /* postgres:// and the trust user without a password */
    char uri[600];
    snprintf(uri, sizeof(uri), "postgres://dltc@127.0.0.1:%s/dltc", g_port);
    d = connect_ok(uri);
    assert_scalar(d, "SELECT current_user", "dltc");
    dltc__dest_close(d);
    dltc__dest_close(NULL);
}

static void test_wrong_password(void **state)
{
    (void)state;
    NEED_PG();
    char uri[600], where[64];
    snprintf(uri, sizeof(uri), "postgresql://loader:Wrong-Pass-4711@127.0.0.1:%s/dltc", g_port);
    snprintf(where, sizeof(where), "127.0.0.1:%s/dltc", g_port);
    dltc_dest *d = NULL;
    assert_int_equal(dltc__postgres_open(&d, uri, DLTC_DEST_LOAD), DLTC_EDATABASE);
    assert_null(d);
    assert_one_line("password authentication failed", "Wrong-Pass-4711");
    assert_one_line(where, "postgresql://");

    char kv[512];
    snprintf(kv, sizeof(kv), "host=127.0.0.1 port=%s dbname=dltc user=loader password=Other-Pw-0815",
             g_port);
    assert_int_equal(dltc__postgres_open(&d, kv, DLTC_DEST_READ), DLTC_EDATABASE);
    assert_one_line("password authentication failed", "Other-Pw-0815");

    /* no password at all for the scram user */
    snprintf(kv, sizeof(kv), "host=127.0.0.1 port=%s dbname=dltc user=loader", g_port);
    setenv("PGPASSFILE", "/nonexistent", 1);
    assert_int_equal(dltc__postgres_open(&d, kv, DLTC_DEST_READ), DLTC_EDATABASE);
    assert_one_line("password", NULL);
    unsetenv("PGPASSFILE");

    /* an unknown database: the server's words */
    snprintf(uri, sizeof(uri), "postgresql://loader:loader-pw-123@127.0.0.1:%s/nodb", g_port);
    assert_int_equal(dltc__postgres_open(&d, uri, DLTC_DEST_READ), DLTC_EDATABASE);
    assert_one_line("database \"nodb\" does not exist", "loader-pw-123");
}

/* A port nothing listens on. */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_dead_port(void **state)
{
    (void)state;
    NEED_PG();
    char uri[600], where[64];
    int port = dead_port();
    snprintf(uri, sizeof(uri), "postgresql://loader:Secret-Pw-9999@127.0.0.1:%d/dltc?connect_timeout=3",
             port);
    snprintf(where, sizeof(where), "127.0.0.1:%d/dltc", port);
    dltc_dest *d = NULL;
    assert_int_equal(dltc__postgres_open(&d, uri, DLTC_DEST_LOAD), DLTC_ENETWORK);
    assert_null(d);
    assert_one_line(where, "Secret-Pw-9999");
    assert_one_line("Connection refused", "connection to server at");
}

static void test_invalid_conninfo(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = NULL;
    assert_int_equal(dltc__postgres_open(&d, "postgresql://loader:Hidden-Pw-1234@127.0.0.1/dltc?"
                                             "bogus_option=1",
                                         DLTC_DEST_LOAD),
                     DLTC_EINVALID);
    assert_one_line("bogus_option", "Hidden-Pw-1234");
    assert_int_equal(dltc__postgres_open(&d, "host=x password=Hidden-Pw-5678 bogus=1",
                                         DLTC_DEST_LOAD),
                     DLTC_EINVALID);
    assert_one_line("bogus", "Hidden-Pw-5678");
    /* libpq quotes the broken token: here it is the password */
    assert_int_equal(dltc__postgres_open(&d, "postgresql://loader:Bad%zzSecret@127.0.0.1/dltc",
                                         DLTC_DEST_LOAD),
                     DLTC_EINVALID);
    assert_one_line("invalid connection string", "Bad%zzSecret");
    assert_null(d);
}

/* ---- exec and query ---- */

static void test_exec_errors(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    assert_int_equal(dltc__dest_exec(d, "SELECT * FROM no_such_table"), DLTC_EDATABASE);
    assert_one_line("relation \"no_such_table\" does not exist", NULL);
    exec_ok(d, "CREATE TEMP TABLE pk (id int PRIMARY KEY); INSERT INTO pk VALUES (1), (2)");
    assert_int_equal(dltc__dest_exec(d, "INSERT INTO pk VALUES (1)"), DLTC_EDATA);
    assert_one_line("duplicate key value violates unique constraint", "\n");
    assert_one_line("Key (id)=(1) already exists", NULL);
    /* the session goes on; NOTICEs are not printed */
    exec_ok(d, "DROP TABLE IF EXISTS never_there");
    exec_ok(d, "");
    assert_scalar(d, "SELECT count(*) FROM pk", "2");
    /* COPY is not for exec */
    assert_int_equal(dltc__dest_exec(d, "COPY pk FROM STDIN"), DLTC_EINVALID);
    assert_scalar(d, "SELECT count(*) FROM pk", "2");
    assert_int_equal(dltc__dest_exec(d, "COPY pk TO STDOUT; SELECT 1"), DLTC_EINVALID);
    dltc_rows *q = NULL;
    assert_int_equal(dltc__dest_query(d, "COPY pk TO STDOUT", &q), DLTC_EINVALID);
    assert_null(q);
    assert_int_equal(dltc__dest_query(d, "COPY pk FROM STDIN", &q), DLTC_EINVALID);
    assert_scalar(d, "SELECT count(*) FROM pk", "2");

    /* the server ends the session: a network error on one line */
    char *pid = scalar(d, "SELECT pg_backend_pid()");
    dltc_dest *admin = connect_ok(g_admin);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", pid);
    assert_scalar(admin, sql, "true");
    free(pid);
    dltc__dest_close(admin);
    assert_int_equal(dltc__dest_exec(d, "SELECT 1"), DLTC_ENETWORK);
    assert_one_line("connection lost", NULL);
    dltc_rows *r = NULL;
    assert_int_equal(dltc__dest_query(d, "SELECT 1", &r), DLTC_ENETWORK);
    assert_null(r);
    dltc__dest_close(d);
}

static const dltc_value *cell(dltc_rows *r, size_t row, size_t col, dltc_value_type want)
{
    const dltc_value *v = dltc_rows_get(r, row, col);
    assert_non_null(v);
    if (dltc_value_type_of(v) != want)
        fail_msg("column %s: type %d, want %d", dltc_rows_column_name(r, col),
                 (int)dltc_value_type_of(v), (int)want);
    return v;
}

static void test_query_types(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_rows *r = NULL;
    int rc = dltc__dest_query(
        d,
        "SELECT 1::int2 AS i2, -2::int4 AS i4, 9223372036854775807::int8 AS i8, "
        "1.5::float8 AS f8, 'NaN'::float8 AS fnan, 0.25::float4 AS f4, true AS b, "
        "12345678901234567890.123456789::numeric(38,9) AS dec, "
        "123456789012345678901234567890::numeric(38,0) AS bigdec, 5::numeric(10,0) AS smalldec, "
        "'zürich ✓ \"q\" ''s'::text AS t, 'x'::varchar(5) AS vc, "
        "'2024-02-29 10:11:12.345678+02'::timestamptz AS tstz, "
        "'2024-02-29 10:11:12'::timestamp(3) AS ts, '2024-02-29'::date AS d, "
        "'23:59:59.5'::time AS tm, '\\x00ff10'::bytea AS by, '{\"a\": [1, 2]}'::jsonb AS jb, "
        "'{\"a\":1}'::json AS js, NULL::int AS n, '1969-12-31 23:59:59.999999+00'::timestamptz "
        "AS pre1970, '0044-03-15 BC'::date AS bc, 'infinity'::date AS inf, "
        "'00000000-0000-0000-0000-000000000001'::uuid AS u, interval '1 day' AS iv, "
        "'10:00:00+02'::timetz AS ttz, ''::text AS empty, ''::bytea AS noby, "
        "-0.000000001::numeric AS tiny",
        &r);
    if (rc)
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(dltc_rows_count(r), 1);
    assert_int_equal(dltc_rows_column_count(r), 29);
    assert_string_equal(dltc_rows_column_name(r, 0), "i2");
    assert_string_equal(dltc_rows_column_type(r, 0), "smallint");
    assert_string_equal(dltc_rows_column_type(r, 1), "integer");
    assert_string_equal(dltc_rows_column_type(r, 2), "bigint");
    assert_string_equal(dltc_rows_column_type(r, 3), "double precision");
    assert_string_equal(dltc_rows_column_type(r, 7), "numeric(38,9)");
    assert_string_equal(dltc_rows_column_type(r, 11), "character varying(5)");
    assert_string_equal(dltc_rows_column_type(r, 12), "timestamp with time zone");
    assert_string_equal(dltc_rows_column_type(r, 13), "timestamp(3) without time zone");
    assert_string_equal(dltc_rows_column_type(r, 17), "jsonb");
    assert_string_equal(dltc_rows_column_type(r, 23), "uuid");
    assert_string_equal(dltc_rows_column_type(r, 24), "interval");

    assert_int_equal(dltc_value_get_int(cell(r, 0, 0, DLTC_TYPE_INT)), 1);
    assert_int_equal(dltc_value_get_int(cell(r, 0, 1, DLTC_TYPE_INT)), -2);
    assert_true(dltc_value_get_int(cell(r, 0, 2, DLTC_TYPE_INT)) == INT64_MAX);
    assert_true(dltc_value_get_double(cell(r, 0, 3, DLTC_TYPE_DOUBLE)) == 1.5);
    assert_true(isnan(dltc_value_get_double(cell(r, 0, 4, DLTC_TYPE_DOUBLE))));
    assert_true(dltc_value_get_double(cell(r, 0, 5, DLTC_TYPE_DOUBLE)) == 0.25);
    assert_int_equal(dltc_value_get_bool(cell(r, 0, 6, DLTC_TYPE_BOOL)), 1);
    assert_string_equal(dltc_value_get_str(cell(r, 0, 7, DLTC_TYPE_DECIMAL), NULL),
                        "12345678901234567890.123456789");
    assert_string_equal(dltc_value_get_str(cell(r, 0, 8, DLTC_TYPE_BIGINT), NULL),
                        "123456789012345678901234567890");
    assert_int_equal(dltc_value_get_int(cell(r, 0, 9, DLTC_TYPE_INT)), 5);
    assert_string_equal(dltc_value_get_str(cell(r, 0, 10, DLTC_TYPE_STRING), NULL),
                        "zürich ✓ \"q\" 's");
    assert_string_equal(dltc_rows_get_text(r, 0, 12), "2024-02-29T08:11:12.345678+00:00");
    assert_true(cell(r, 0, 12, DLTC_TYPE_TIMESTAMP) != NULL);
    assert_string_equal(dltc_rows_get_text(r, 0, 13), "2024-02-29T10:11:12");
    assert_int_equal(dltc_value_get_int(cell(r, 0, 14, DLTC_TYPE_DATE)),
                     dltc__days_from_civil(2024, 2, 29));
    assert_int_equal(dltc_value_get_int(cell(r, 0, 15, DLTC_TYPE_TIME)), 86399500000LL);
    size_t len = 0;
    const char *by = dltc_value_get_str(cell(r, 0, 16, DLTC_TYPE_BINARY), &len);
    assert_int_equal(len, 3);
    assert_memory_equal(by, "\x00\xff\x10", 3);
    assert_string_equal(dltc_value_get_str(cell(r, 0, 17, DLTC_TYPE_STRING), NULL),
                        "{\"a\": [1, 2]}");
    assert_string_equal(dltc_value_get_str(cell(r, 0, 18, DLTC_TYPE_STRING), NULL), "{\"a\":1}");
    cell(r, 0, 19, DLTC_TYPE_NULL);
    assert_true(dltc_value_get_int(cell(r, 0, 20, DLTC_TYPE_TIMESTAMP)) == -1);
    assert_int_equal(dltc_value_get_int(cell(r, 0, 21, DLTC_TYPE_DATE)),
                     dltc__days_from_civil(-43, 3, 15));
    assert_string_equal(dltc_value_get_str(cell(r, 0, 22, DLTC_TYPE_STRING), NULL), "infinity");
    assert_string_equal(dltc_value_get_str(cell(r, 0, 23, DLTC_TYPE_STRING), NULL),
                        "00000000-0000-0000-0000-000000000001");
    assert_int_equal(dltc_value_get_int(cell(r, 0, 25, DLTC_TYPE_TIME)), 8LL * 3600 * 1000000);
    assert_string_equal(dltc_value_get_str(cell(r, 0, 26, DLTC_TYPE_STRING), NULL), "");
    dltc_value_get_str(cell(r, 0, 27, DLTC_TYPE_BINARY), &len);
    assert_int_equal(len, 0);
    assert_string_equal(dltc_value_get_str(cell(r, 0, 28, DLTC_TYPE_DECIMAL), NULL),
                        "-0.000000001");
    dltc_rows_free(r);

    /* several statements: the last one's result; empty results keep their columns */
    assert_int_equal(dltc__dest_query(d, "SELECT 1; SELECT 2 AS two, 'x' AS s", &r), 0);
    assert_int_equal(dltc_rows_column_count(r), 2);
    assert_string_equal(dltc_rows_column_name(r, 0), "two");
    assert_string_equal(dltc_rows_get_text(r, 0, 1), "x");
    dltc_rows_free(r);
    assert_int_equal(dltc__dest_query(d, "SELECT 1::int4 AS x WHERE false", &r), 0);
    assert_int_equal(dltc_rows_count(r), 0);
    assert_int_equal(dltc_rows_column_count(r), 1);
    assert_string_equal(dltc_rows_column_type(r, 0), "integer");
    dltc_rows_free(r);
    assert_int_equal(dltc__dest_query(d, "CREATE TEMP TABLE qq (x int)", &r), 0);
    assert_int_equal(dltc_rows_column_count(r), 0);
    dltc_rows_free(r);
    /* many rows, one at a time */
    assert_int_equal(dltc__dest_query(d, "SELECT g, g::text FROM generate_series(1, 20000) g", &r),
                     0);
    assert_int_equal(dltc_rows_count(r), 20000);
    assert_int_equal(dltc_value_get_int(dltc_rows_get(r, 19999, 0)), 20000);
    dltc_rows_free(r);
    /* a type of our own is named by the server */
    exec_ok(d, "DROP SCHEMA IF EXISTS test_q CASCADE; CREATE SCHEMA test_q; "
               "CREATE TYPE test_q.mood AS ENUM ('ok', 'sad')");
    assert_int_equal(dltc__dest_query(d, "SELECT 'sad'::test_q.mood AS m", &r), 0);
    assert_string_equal(dltc_rows_column_type(r, 0), "test_q.mood");
    assert_string_equal(dltc_rows_get_text(r, 0, 0), "sad");
    dltc_rows_free(r);
    /* errors, also in the middle of a result */
    assert_int_equal(dltc__dest_query(d, "SELECT nope", &r), DLTC_EDATABASE);
    assert_one_line("column \"nope\" does not exist", NULL);
    assert_null(r);
    assert_int_equal(dltc__dest_query(d, "SELECT 1 / (g - 5000) FROM generate_series(1, 9000) g",
                                      &r),
                     DLTC_EDATA);
    assert_one_line("division by zero", NULL);
    assert_null(r);
    assert_scalar(d, "SELECT 40 + 2", "42");
    exec_ok(d, "DROP SCHEMA test_q CASCADE");
    dltc__dest_close(d);
}

/* ---- table columns ---- */

static void expect_columns(dltc_dest *d, const char *ds, const char *table, int exists,
                           const char *const *want, size_t nwant)
{
    char **names = NULL;
    size_t n = 99;
    int ex = -1;
    int rc = dltc__dest_table_columns(d, ds, table, &names, &n, &ex);
    if (rc)
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(ex, exists);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(names[i], want[i]);
        free(names[i]);
    }
    free(names);
}

static void test_table_columns(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    exec_ok(d, "DROP SCHEMA IF EXISTS \"test TC\" CASCADE; CREATE SCHEMA \"test TC\"; "
               "CREATE TABLE \"test TC\".\"T one\" (b int, \"A\" text, \"c\"\"q\" text, z int); "
               "ALTER TABLE \"test TC\".\"T one\" DROP COLUMN b; "
               "CREATE TABLE \"test TC\".empty (); "
               "CREATE TABLE \"test TC\".tmp1 (other int)");
    static const char *const one[] = {"A", "c\"q", "z"};
    expect_columns(d, "test TC", "T one", 1, one, 3);
    expect_columns(d, "test TC", "t one", 0, NULL, 0); /* case-sensitive */
    expect_columns(d, "test TC", "missing", 0, NULL, 0);
    expect_columns(d, "no such schema", "T one", 0, NULL, 0);
    expect_columns(d, "test TC", "empty", 1, NULL, 0);
    int yes = -1;
    assert_int_equal(dltc__dest_table_exists(d, "test TC", "empty", &yes), 0);
    assert_int_equal(yes, 1);
    assert_int_equal(dltc__dest_table_exists(d, "test TC", "nope", &yes), 0);
    assert_int_equal(yes, 0);

    /* the temporary table (dataset NULL), not the regular one of the same name */
    expect_columns(d, NULL, "tmp1", 0, NULL, 0);
    exec_ok(d, "CREATE TEMP TABLE tmp1 (x int, \"Y y\" text)");
    static const char *const tmp[] = {"x", "Y y"};
    expect_columns(d, NULL, "tmp1", 1, tmp, 2);
    exec_ok(d, "SET search_path = \"test TC\"");
    expect_columns(d, NULL, "tmp1", 1, tmp, 2);
    static const char *const other[] = {"other"};
    expect_columns(d, "test TC", "tmp1", 1, other, 1);

    /* names over 63 bytes: Postgres keeps 63 bytes, cut at a character */
    char longname[128], col[128];
    memset(longname, 'a', 70);
    longname[70] = '\0';
    for (int i = 0; i < 40; i++)
        memcpy(col + 2 * i, "é", 2);
    col[80] = '\0';
    char sql[512];
    snprintf(sql, sizeof(sql), "CREATE TABLE \"test TC\".\"%s\" (\"%s\" int)", longname, col);
    exec_ok(d, sql);
    col[62] = '\0'; /* 31 × é */
    const char *cut[] = {col};
    expect_columns(d, "test TC", longname, 1, cut, 1);
    exec_ok(d, "DROP SCHEMA \"test TC\" CASCADE");
    dltc__dest_close(d);
}

/* ---- load files ---- */

static dltc_column column(const char *name, int dt)
{
    dltc_column c;
    memset(&c, 0, sizeof(c));
    c.name = (char *)name;
    c.data_type = (uint8_t)dt;
    c.nullable = 1;
    c.precision = c.scale = -1;
    c.timezone = -1;
    return c;
}

/* A table of every dlt type (a schema the caller frees). */
static dltc_table *all_types_table(dltc_schema **out, const char *name)
{
    dltc_schema *s;
    dltc_table *t;
    assert_int_equal(dltc__schema_create(&s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(s, name, NULL, &t), 0);
    dltc_column c = column("id", DLTC_DT_BIGINT);
    c.nullable = 0;
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    static const struct {
        const char *name;
        int dt;
    } cols[] = {{"txt", DLTC_DT_TEXT},     {"dbl", DLTC_DT_DOUBLE},      {"flag", DLTC_DT_BOOL},
                {"ts", DLTC_DT_TIMESTAMP}, {"ts_naive", DLTC_DT_TIMESTAMP}, {"d", DLTC_DT_DATE},
                {"tm", DLTC_DT_TIME},      {"bin", DLTC_DT_BINARY},      {"js", DLTC_DT_JSON},
                {"dec", DLTC_DT_DECIMAL},  {"wei", DLTC_DT_WEI},         {"small", DLTC_DT_BIGINT},
                {"hint_only", DLTC_DT_UNSET}};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        c = column(cols[i].name, cols[i].dt);
        if (!strcmp(cols[i].name, "ts_naive"))
            c.timezone = 0;
        if (!strcmp(cols[i].name, "small"))
            c.precision = 16;
        assert_true(dltc__table_add_column(s, t, &c) >= 0);
    }
    *out = s;
    return t;
}

typedef struct {
    dltc_cell cells[16];
    size_t n;
} row_cells;

static void put(row_cells *r, const dltc_table *t, const char *col, const dltc_value *v)
{
    long i = dltc__table_column(t, col, strlen(col));
    assert_true(i >= 0);
    r->cells[r->n].col = (uint32_t)i;
    r->cells[r->n].val = *v;
    r->n++;
}

static int64_t ts_of(const char *iso)
{
    dltc_iso x;
    assert_int_equal(dltc__iso_parse(iso, strlen(iso), &x), 0);
    return x.value;
}

/* Rows exercising the edge cases; written with the writer of `format` to `path`. */
static void write_edge_rows(const char *format, const char *path, const dltc_table *t)
{
    const dltc_writer_type *wt = dltc__writer_type(format);
    assert_non_null(wt);
    dltc_doc *doc;
    assert_int_equal(dltc_doc_new(&doc), 0);
    dltc_writer *w = NULL;
    assert_int_equal(wt->open(&w, path, t), 0);

    /* 1: everything set, awkward text */
    row_cells r = {.n = 0};
    static const char txt[] = "quote \" and ' and \\ backslash, comma, tab\t, newline\n, CRLF\r\n, "
                              "zürich 日本 🎉, from_base64('QQ==') and E'x' and \\N";
    put(&r, t, "id", dltc_value_int(doc, 1));
    put(&r, t, "txt", dltc_value_string(doc, txt, strlen(txt)));
    put(&r, t, "dbl", dltc_value_double(doc, 1.5));
    put(&r, t, "flag", dltc_value_bool(doc, 1));
    put(&r, t, "ts", dltc_value_timestamp(doc, ts_of("2024-02-29T10:11:12.345678+02:00"), 1));
    put(&r, t, "ts_naive", dltc_value_timestamp(doc, ts_of("2024-02-29T10:11:12"), 0));
    put(&r, t, "d", dltc_value_date(doc, (int32_t)dltc__days_from_civil(2024, 2, 29)));
    put(&r, t, "tm", dltc_value_time(doc, 86399999999LL));
    put(&r, t, "bin", dltc_value_binary(doc, "\x00\x01\xff\n,\"'\\", 8));
    dltc_value *obj = dltc_value_object(doc), *arr = dltc_value_array(doc);
    dltc_array_append(doc, arr, dltc_value_int(doc, 1));
    dltc_array_append(doc, arr, dltc_value_cstring(doc, "x\"y\n"));
    dltc_array_append(doc, arr, dltc_value_null(doc));
    dltc_object_set(doc, obj, "a", arr);
    dltc_object_set(doc, obj, "ü", dltc_value_bool(doc, 0));
    put(&r, t, "js", obj);
    put(&r, t, "dec", dltc_value_decimal(doc, "12345678901234567890.123456789"));
    put(&r, t, "wei", dltc_value_decimal(doc, "123456789012345678901234567890123456789012345678901"
                                              "234567890123456789012345678.5"));
    put(&r, t, "small", dltc_value_int(doc, -32768));
    assert_int_equal(wt->write_row(w, t, r.cells, r.n), 0);

    /* 2: the empty string; everything else NULL */
    r.n = 0;
    put(&r, t, "id", dltc_value_int(doc, 2));
    put(&r, t, "txt", dltc_value_string(doc, "", 0));
    assert_int_equal(wt->write_row(w, t, r.cells, r.n), 0);

    /* 3: NULL text, other values */
    r.n = 0;
    put(&r, t, "id", dltc_value_int(doc, 3));
    put(&r, t, "dbl", dltc_value_double(doc, -1e-300));
    put(&r, t, "flag", dltc_value_bool(doc, 0));
    put(&r, t, "ts", dltc_value_timestamp(doc, ts_of("1969-07-20T20:17:40Z"), 1));
    put(&r, t, "d", dltc_value_date(doc, (int32_t)dltc__days_from_civil(1, 1, 1)));
    put(&r, t, "tm", dltc_value_time(doc, 0));
    put(&r, t, "bin", dltc_value_binary(doc, "", 0));
    put(&r, t, "js", dltc_value_cstring(doc, "just a string"));
    put(&r, t, "dec", dltc_value_decimal(doc, "-0.000000001"));
    put(&r, t, "wei", dltc_value_decimal(doc, "0"));
    put(&r, t, "small", dltc_value_int(doc, 32767));
    assert_int_equal(wt->write_row(w, t, r.cells, r.n), 0);
    assert_int_equal(wt->finish(w), 0);
    dltc_doc_free(doc);
}

static const char *const k_expected[3] = {
    "1|quote \" and ' and \\ backslash, comma, tab\t, newline\n, CRLF\r\n, zürich 日本 🎉, "
    "from_base64('QQ==') and E'x' and \\N|1.5|t|2024-02-29 08:11:12.345678+00|"
    "2024-02-29 10:11:12|2024-02-29|23:59:59.999999|0001ff0a2c22275c|"
    "{\"a\": [1, \"x\\\"y\\n\", null], \"ü\": false}|12345678901234567890.123456789|"
    "123456789012345678901234567890123456789012345678901234567890123456789012345678.5000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000|-32768",
    "2||||||||||||",
    "3||-1e-300|f|1969-07-20 20:17:40+00||0001-01-01|00:00:00||\"just a string\"|"
    "-0.000000001|0.000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000|32767",
};

/* The table's rows as text, one per line: "id|txt|…" (NULL and '' both empty: checked
 * apart by the caller). */
static void check_rows(dltc_dest *d, const char *qualified)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT concat_ws('|', id, txt, dbl, flag, ts, ts_naive, d, tm, encode(bin, 'hex'), "
             "js, dec, wei, small) FROM %s ORDER BY id",
             qualified);
    dltc_rows *r = NULL;
    if (dltc__dest_query(d, sql, &r))
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(dltc_rows_count(r), 3);
    for (size_t i = 0; i < 3; i++) {
        const char *got = dltc_rows_get_text(r, i, 0);
        /* concat_ws skips NULLs: rebuild the expected line without them */
        if (i == 0) {
            if (strcmp(got, k_expected[0]))
                fail_msg("row 1:\n got  %s\n want %s", got, k_expected[0]);
        } else if (i == 1) {
            assert_string_equal(got, "2|");
        } else {
            assert_string_equal(got, "3|-1e-300|f|1969-07-20 20:17:40+00|0001-01-01|00:00:00|"
                                     "|\"just a string\"|-0.000000001|"
                                     "0.00000000000000000000000000000000000000000000000000000000"
                                     "0000000000000000000000|32767");
        }
    }
    dltc_rows_free(r);
    snprintf(sql, sizeof(sql),
             "SELECT concat_ws(',', count(*) FILTER (WHERE txt IS NULL), "
             "count(*) FILTER (WHERE txt = ''), count(*) FILTER (WHERE bin = ''::bytea), "
             "count(*) FILTER (WHERE js IS NULL), count(*) FILTER (WHERE ts_naive IS NULL)) "
             "FROM %s",
             qualified);
    assert_scalar(d, sql, "1,1,1,1,2");
}

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static void test_load_formats(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t = all_types_table(&s, "all types");
    dltc_buf sql = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_create_table(&sql, DLTC_SQL_POSTGRES, "test_load", t), 0);
    exec_ok(d, "DROP SCHEMA IF EXISTS test_load CASCADE; CREATE SCHEMA test_load");
    exec_ok(d, sql.data);
    dltc__buf_free(&sql);
    static const char *const formats[] = {"csv", "jsonl", "insert_values"};
    /* each way: binary COPY (jsonl), text COPY, INSERT statements (insert_values) */
    static const char *const modes[][2] = {{NULL, NULL}, {"DLTC_PG_COPY", "text"},
                                           {"DLTC_PG_INSERT", "sql"}};
    for (size_t m = 0; m < 3; m++) {
        if (modes[m][0])
            setenv(modes[m][0], modes[m][1], 1);
        for (size_t f = 0; f < 3; f++) {
            char path[1024], name[64];
            snprintf(name, sizeof(name), "edge.%s", formats[f]);
            path_in(path, sizeof(path), name);
            write_edge_rows(formats[f], path, t);
            exec_ok(d, "TRUNCATE test_load.\"all types\"");
            uint64_t rows = 99;
            int rc = dltc__dest_load_file(d, "test_load", t, path, formats[f], 0, &rows);
            if (rc)
                fail_msg("%s: %s", formats[f], dltc_error_last()->message);
            assert_int_equal(rows, 3);
            check_rows(d, "test_load.\"all types\"");
        }
        if (modes[m][0])
            unsetenv(modes[m][0]);
    }

    /* parquet is refused, unknown formats too */
    uint64_t rows = 5;
    assert_int_equal(dltc__dest_load_file(d, "test_load", t, "/x.parquet", "parquet", 0, &rows),
                     DLTC_EINVALID);
    assert_one_line("postgres does not load parquet files", NULL);
    assert_int_equal(rows, 0);
    assert_int_equal(dltc__dest_load_file(d, "test_load", t, "/x.xml", "xml", 0, NULL),
                     DLTC_EINVALID);

    /* into the temporary staging table (ON COMMIT DROP: inside a transaction) */
    dltc_buf st = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_create_staging_table(&st, DLTC_SQL_POSTGRES, t), 0);
    exec_ok(d, "BEGIN");
    exec_ok(d, st.data);
    dltc__buf_free(&st);
    for (size_t f = 0; f < 3; f++) {
        char path[1024], name[64];
        snprintf(name, sizeof(name), "edge.%s", formats[f]);
        path_in(path, sizeof(path), name);
        exec_ok(d, "DELETE FROM pg_temp.\"all types\"");
        if (dltc__dest_load_file(d, NULL, t, path, formats[f], 0, &rows))
            fail_msg("%s: %s", formats[f], dltc_error_last()->message);
        assert_int_equal(rows, 3);
        check_rows(d, "pg_temp.\"all types\"");
    }
    exec_ok(d, "COMMIT");
    /* a missing table */
    char path[1024];
    path_in(path, sizeof(path), "edge.jsonl");
    assert_int_equal(dltc__dest_load_file(d, NULL, t, path, "jsonl", 0, &rows), DLTC_ENOTFOUND);
    path_in(path, sizeof(path), "edge.csv");
    assert_int_equal(dltc__dest_load_file(d, NULL, t, path, "csv", 0, &rows), DLTC_ENOTFOUND);
    assert_one_line("does not exist", NULL);
    path_in(path, sizeof(path), "edge.insert_values");
    assert_int_equal(dltc__dest_load_file(d, NULL, t, path, "insert_values", 0, &rows),
                     DLTC_ENOTFOUND);
    exec_ok(d, "DROP SCHEMA test_load CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* A small table (id bigint, name text, flag bool) in schema test_fail. */
static dltc_table *small_table(dltc_schema **out)
{
    dltc_schema *s;
    dltc_table *t;
    assert_int_equal(dltc__schema_create(&s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(s, "t", NULL, &t), 0);
    dltc_column c = column("id", DLTC_DT_BIGINT);
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    c = column("name", DLTC_DT_TEXT);
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    c = column("flag", DLTC_DT_BOOL);
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    *out = s;
    return t;
}

static void write_text(const char *name, const char *text, char *path, size_t cap)
{
    path_in(path, cap, name);
    assert_int_equal(tu_write_file(path, text, strlen(text)), 0);
}

static void test_failed_load_leaves_nothing(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t = small_table(&s);
    exec_ok(d, "DROP SCHEMA IF EXISTS test_fail CASCADE; CREATE SCHEMA test_fail; "
               "CREATE TABLE test_fail.t (id bigint, name varchar, flag boolean)");
    char good[1024], bad[1024], badj[1024], badiv[1024], hdr[1024];
    write_text("good.csv", "\"id\",\"name\",\"flag\"\n1,\"a\",true\n2,,false\n3,\"\",\n", good,
               sizeof(good));
    write_text("bad.csv", "\"id\",\"name\",\"flag\"\n1,\"a\",true\nabc,\"b\",false\n", bad,
               sizeof(bad));
    write_text("bad.jsonl", "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"flag\":\"yes\"}\n", badj,
               sizeof(badj));
    write_text("bad.insert_values",
               "INSERT INTO {}(\"id\",\"name\")\nVALUES\n(1,E'a'),\n('x',E'b');", badiv,
               sizeof(badiv));
    write_text("header.csv", "\"id\",\"name\"\n", hdr, sizeof(hdr));

    uint64_t rows = 0;
    exec_ok(d, "BEGIN");
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, good, "csv", 0, &rows), 0);
    assert_int_equal(rows, 3);
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, bad, "csv", 0, &rows), DLTC_EDATA);
    assert_one_line("invalid input syntax for type bigint: \"abc\"", NULL);
    assert_one_line("line 3", "\n");
    assert_one_line("bad.csv", NULL);
    exec_ok(d, "ROLLBACK");
    assert_scalar(d, "SELECT count(*) FROM test_fail.t", "0");

    /* outside a transaction a COPY is all or nothing by itself */
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, bad, "csv", 0, &rows), DLTC_EDATA);
    assert_scalar(d, "SELECT count(*) FROM test_fail.t", "0");
    /* a jsonl value the encoder refuses: the COPY is aborted, the session goes on */
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, badj, "jsonl", 0, &rows), DLTC_EINVALID);
    assert_one_line("bad.jsonl:2: column flag", NULL);
    assert_scalar(d, "SELECT count(*) FROM test_fail.t", "0");
    setenv("DLTC_PG_COPY", "text", 1);
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, badj, "jsonl", 0, &rows), DLTC_EINVALID);
    unsetenv("DLTC_PG_COPY");
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, badiv, "insert_values", 0, &rows),
                     DLTC_EDATA);
    assert_one_line("invalid input syntax for type bigint", NULL);
    assert_scalar(d, "SELECT count(*) FROM test_fail.t", "0");
    /* a header without rows */
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, hdr, "csv", 0, &rows), 0);
    assert_int_equal(rows, 0);
    /* NULL and "" stay apart in csv */
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, good, "csv", 0, &rows), 0);
    assert_scalar(d, "SELECT concat_ws(',', count(*) FILTER (WHERE name IS NULL), "
                     "count(*) FILTER (WHERE name = ''), count(*) FILTER (WHERE flag IS NULL)) "
                     "FROM test_fail.t",
                  "1,1,1");
    /* a missing file */
    assert_int_equal(dltc__dest_load_file(d, "test_fail", t, "/nonexistent.csv", "csv", 0, &rows),
                     DLTC_EIO);
    exec_ok(d, "DROP SCHEMA test_fail CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* DLTC_LOAD_MORE: files of the same table and columns go into one COPY, which any other
 * call on the destination completes first; rows are counted per file. */
static void test_jsonl_more_files_one_copy(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t = small_table(&s);
    exec_ok(d, "DROP SCHEMA IF EXISTS test_more CASCADE; CREATE SCHEMA test_more; "
               "CREATE TABLE test_more.t (id bigint, name varchar, flag boolean)");
    char a[1024], b[1024], c[1024], bad[1024];
    write_text("more_a.jsonl", "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"flag\":true}\n", a,
               sizeof(a));
    write_text("more_b.jsonl", "{\"name\":\"b\",\"id\":3}\n", b, sizeof(b));
    write_text("more_c.jsonl", "{\"id\":4,\"name\":\"c\",\"flag\":false}\n{\"id\":5}\n", c,
               sizeof(c));
    write_text("more_bad.jsonl", "{\"id\":6}\n{\"id\":\"x\"}\n", bad, sizeof(bad));

    uint64_t rows = 0;
    exec_ok(d, "BEGIN");
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, a, "jsonl", DLTC_LOAD_MORE, &rows), 0);
    assert_int_equal(rows, 2);
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, b, "jsonl", DLTC_LOAD_MORE, &rows), 0);
    assert_int_equal(rows, 1);
    /* a query completes the open COPY and sees its rows */
    assert_scalar(d, "SELECT count(*) FROM test_more.t", "3");
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, c, "jsonl", DLTC_LOAD_MORE, &rows), 0);
    assert_int_equal(rows, 2);
    /* a table with another column list: the open COPY ends, a new one starts */
    dltc_column x = column("extra", DLTC_DT_TEXT);
    assert_true(dltc__table_add_column(s, t, &x) >= 0);
    exec_ok(d, "ALTER TABLE test_more.t ADD COLUMN extra varchar");
    char e[1024];
    write_text("more_e.jsonl", "{\"id\":7,\"extra\":\"e\"}\n", e, sizeof(e));
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, e, "jsonl", DLTC_LOAD_MORE, &rows), 0);
    /* the last file without MORE ends it */
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, b, "jsonl", 0, &rows), 0);
    exec_ok(d, "COMMIT");
    assert_scalar(d,
                  "SELECT string_agg(concat_ws(':', id, name, flag, extra), ',' ORDER BY id) "
                  "FROM test_more.t",
                  "1:a,2:t,3:b,3:b,4:c:f,5,7:e");
    /* a bad file inside an open COPY aborts that COPY with the error of the file */
    exec_ok(d, "BEGIN");
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, a, "jsonl", DLTC_LOAD_MORE, &rows), 0);
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, bad, "jsonl", DLTC_LOAD_MORE, &rows),
                     DLTC_EINVALID);
    assert_one_line("more_bad.jsonl:2", NULL);
    exec_ok(d, "ROLLBACK");
    assert_scalar(d, "SELECT count(*) FROM test_more.t", "7");
    /* a ROLLBACK with an open COPY: nothing of it stays */
    exec_ok(d, "BEGIN");
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, a, "jsonl", DLTC_LOAD_MORE, &rows), 0);
    exec_ok(d, "ROLLBACK");
    assert_scalar(d, "SELECT count(*) FROM test_more.t", "7");
    /* closing with an open COPY leaves nothing of it */
    dltc__dest_close(d);
    d = connect_ok(g_uri);
    assert_int_equal(dltc__dest_load_file(d, "test_more", t, a, "jsonl", DLTC_LOAD_MORE, &rows), 0);
    dltc__dest_close(d);
    d = connect_ok(g_uri);
    assert_scalar(d, "SELECT count(*) FROM test_more.t", "7");
    exec_ok(d, "DROP SCHEMA test_more CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* Files our writers did not write, and column types the binary COPY does not write. */
static void test_foreign_files_and_types(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t = small_table(&s);
    exec_ok(d, "DROP SCHEMA IF EXISTS test_other CASCADE; CREATE SCHEMA test_other; "
               "CREATE TABLE test_other.t (id bigint, name varchar, flag boolean, "
               "u uuid, iv interval, small int2)");
    char path[1024];
    uint64_t rows = 0;
    /* insert_values with SQL our writer never writes: run as statements */
    write_text("foreign.insert_values",
               "INSERT INTO {}(\"id\",\"name\")\nVALUES\n(1,upper('a')),\n(2,E'b\\n''c');",
               path, sizeof(path));
    if (dltc__dest_load_file(d, "test_other", t, path, "insert_values", 0, &rows))
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(rows, 2);
    assert_scalar(d, "SELECT string_agg(name, '|' ORDER BY id) FROM test_other.t", "A|b\n'c");
    /* our writer's NUL splice: text cannot hold it (as the server would say) */
    write_text("nul.insert_values",
               "INSERT INTO {}(\"id\",\"name\")\nVALUES\n(3,E'a'||chr(0)||E'b');", path,
               sizeof(path));
    assert_int_equal(dltc__dest_load_file(d, "test_other", t, path, "insert_values", 0, &rows),
                     DLTC_EINVALID);
    assert_one_line("NUL", NULL);
    /* a number with a fraction into an integer column, as the INSERT would cast it */
    write_text("num.insert_values",
               "INSERT INTO {}(\"id\",\"flag\")\nVALUES\n(4.0,TRUE),\n(5e0,NULL);", path,
               sizeof(path));
    if (dltc__dest_load_file(d, "test_other", t, path, "insert_values", 0, &rows))
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(rows, 2);
    assert_scalar(d, "SELECT string_agg(id || ':' || coalesce(flag::text, '-'), ',' ORDER BY id) "
                     "FROM test_other.t WHERE id > 3",
                  "4:true,5:-");

    /* jsonl into uuid/interval columns: text COPY */
    dltc_column c = column("u", DLTC_DT_TEXT);
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    c = column("iv", DLTC_DT_TEXT);
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    c = column("small", DLTC_DT_BIGINT);
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    write_text("other.jsonl",
               "{\"id\":6,\"u\":\"00000000-0000-0000-0000-00000000000f\",\"iv\":\"1 day\","
               "\"unknown\":null}\n"
               "{\"id\":7,\"name\":\"tab\\there\",\"small\":7.0}\n",
               path, sizeof(path));
    if (dltc__dest_load_file(d, "test_other", t, path, "jsonl", 0, &rows))
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(rows, 2);
    assert_scalar(d, "SELECT concat_ws('|', u, iv, name, small) FROM test_other.t WHERE id = 6",
                  "00000000-0000-0000-0000-00000000000f|1 day");
    assert_scalar(d, "SELECT concat_ws('|', u, iv, name, small) FROM test_other.t WHERE id = 7",
                  "tab\there|7");
    /* out of range for int2 (binary), a key the table lacks */
    exec_ok(d, "ALTER TABLE test_other.t DROP COLUMN u, DROP COLUMN iv");
    write_text("range.jsonl", "{\"id\":8,\"small\":70000}\n", path, sizeof(path));
    assert_int_equal(dltc__dest_load_file(d, "test_other", t, path, "jsonl", 0, &rows),
                     DLTC_EINVALID);
    assert_one_line("range.jsonl:1: column small: 70000 is out of range", NULL);
    write_text("extra.jsonl", "{\"id\":8,\"nope\":1}\n", path, sizeof(path));
    assert_int_equal(dltc__dest_load_file(d, "test_other", t, path, "jsonl", 0, &rows),
                     DLTC_EINVALID);
    assert_one_line("column nope is not in table t", NULL);
    assert_scalar(d, "SELECT count(*) FROM test_other.t", "6");
    exec_ok(d, "DROP SCHEMA test_other CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* Decimal text into numeric columns through binary COPY: the same values (and display
 * scale) as the server's own parsing of the text. */
static void test_numeric_binary(void **state)
{
    (void)state;
    NEED_PG();
    static const char *const nums[] = {
        "0",        "-0",         "0.0",   "1e+16",  "1.5E-7",   "12345678901234567890123456789",
        "12.50",    "0.1",        "-1e-5", "99999.9999", "10000", "-10000.0001",
        "1e-20",    "123.456e3",  "5e-1",  "-987654321.123456789", "0.000100", "1E3"};
    const size_t n = sizeof(nums) / sizeof(nums[0]);
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t;
    assert_int_equal(dltc__schema_create(&s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(s, "n", NULL, &t), 0);
    static const char *const cols[] = {"id", "v", "w"};
    for (size_t i = 0; i < 3; i++) {
        dltc_column c = column(cols[i], i ? DLTC_DT_DECIMAL : DLTC_DT_BIGINT);
        assert_true(dltc__table_add_column(s, t, &c) >= 0);
    }
    exec_ok(d, "DROP SCHEMA IF EXISTS test_num CASCADE; CREATE SCHEMA test_num; "
               "CREATE TABLE test_num.n (id bigint, v numeric, w numeric(38,9))");
    dltc_buf file = DLTC_BUF_INIT, expect = DLTC_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        /* as a JSON number and as a string */
        dltc__buf_printf(&file, "{\"id\":%zu,\"v\":%s,\"w\":%s}\n", 2 * i, nums[i], nums[i]);
        dltc__buf_printf(&file, "{\"id\":%zu,\"v\":\"%s\",\"w\":\"%s\"}\n", 2 * i + 1,
                         nums[i], nums[i]);
        dltc__buf_printf(&expect, "%s(%zu, '%s'), (%zu, '%s')", i ? ", " : "", 2 * i, nums[i],
                         2 * i + 1, nums[i]);
    }
    char path[1024], sql[4096];
    write_text("num.jsonl", file.data, path, sizeof(path));
    uint64_t rows = 0;
    if (dltc__dest_load_file(d, "test_num", t, path, "jsonl", 0, &rows))
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(rows, 2 * n);
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(string_agg(e.id || ':' || e.x || '->' || coalesce(t.v::text, 'NULL') "
             "|| '/' || coalesce(t.w::text, 'NULL'), ' '), 'same') FROM (VALUES %s) e(id, x) "
             "LEFT JOIN test_num.n t ON t.id = e.id WHERE t.v IS NULL OR t.v::text <> "
             "e.x::numeric::text OR t.w::text <> e.x::numeric(38,9)::text",
             expect.data);
    assert_scalar(d, sql, "same");
    dltc__buf_free(&file);
    dltc__buf_free(&expect);
    exec_ok(d, "DROP SCHEMA test_num CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* Names over 63 bytes: the server keeps 63; the loader maps the file's full names to them. */
static void test_long_identifiers(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    char tname[80], cname[80];
    memset(tname, 't', 70);
    tname[70] = '\0';
    memset(cname, 'c', 70);
    cname[70] = '\0';
    dltc_schema *s;
    dltc_table *t;
    assert_int_equal(dltc__schema_create(&s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(s, tname, NULL, &t), 0);
    dltc_column c = column("id", DLTC_DT_BIGINT);
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    c = column(cname, DLTC_DT_TEXT);
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    dltc_buf sql = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_create_table(&sql, DLTC_SQL_POSTGRES, "test_long", t), 0);
    exec_ok(d, "DROP SCHEMA IF EXISTS test_long CASCADE; CREATE SCHEMA test_long");
    exec_ok(d, sql.data);
    dltc__buf_free(&sql);
    char text[512], path[1024];
    snprintf(text, sizeof(text), "{\"id\":1,\"%s\":\"x\"}\n", cname);
    write_text("long.jsonl", text, path, sizeof(path));
    uint64_t rows = 0;
    if (dltc__dest_load_file(d, "test_long", t, path, "jsonl", 0, &rows))
        fail_msg("%s", dltc_error_last()->message);
    snprintf(text, sizeof(text), "\"id\",\"%s\"\n2,\"y\"\n", cname);
    write_text("long.csv", text, path, sizeof(path));
    if (dltc__dest_load_file(d, "test_long", t, path, "csv", 0, &rows))
        fail_msg("%s", dltc_error_last()->message);
    snprintf(text, sizeof(text), "INSERT INTO {}(\"id\",\"%s\")\nVALUES\n(3,E'z');", cname);
    write_text("long.insert_values", text, path, sizeof(path));
    if (dltc__dest_load_file(d, "test_long", t, path, "insert_values", 0, &rows))
        fail_msg("%s", dltc_error_last()->message);
    char q[512];
    snprintf(q, sizeof(q), "SELECT string_agg(\"%s\", ',' ORDER BY id) FROM test_long.\"%s\"",
             cname, tname);
    assert_scalar(d, q, "x,y,z");
    exec_ok(d, "DROP SCHEMA test_long CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* ---- the jsonl scanner: the same rows and errors as our JSON reader ---- */

/* test_scan.t with a column of every type the binary COPY writes (the kinds come from the
 * database; the dlt types only make the columns complete). */
static dltc_table *scan_table(dltc_dest *d, dltc_schema **out)
{
    static const char *const cols[][2] = {
        {"id", "bigint"},  {"txt", "text"},           {"vc", "varchar"},   {"i2", "int2"},
        {"i4", "int4"},    {"f4", "real"},            {"f8", "float8"},    {"num", "numeric"},
        {"flag", "bool"},  {"d", "date"},             {"tm", "time"},      {"ts", "timestamp"},
        {"tstz", "timestamptz"}, {"js", "json"},      {"jsb", "jsonb"},    {"bin", "bytea"}};
    dltc_schema *s;
    dltc_table *t;
    assert_int_equal(dltc__schema_create(&s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(s, "t", NULL, &t), 0);
    dltc_buf sql = DLTC_BUF_INIT;
    dltc__buf_puts(&sql, "DROP SCHEMA IF EXISTS test_scan CASCADE; CREATE SCHEMA test_scan; "
                         "CREATE TABLE test_scan.t (");
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        dltc_column c = column(cols[i][0], DLTC_DT_TEXT);
        assert_true(dltc__table_add_column(s, t, &c) >= 0);
        dltc__buf_printf(&sql, "%s%s %s", i ? ", " : "", cols[i][0], cols[i][1]);
    }
    dltc__buf_puts(&sql, ")");
    exec_ok(d, sql.data);
    dltc__buf_free(&sql);
    *out = s;
    return t;
}

/* Load `path` into the emptied test_scan.t with env[0]=env[1] set (NULL: the defaults):
 * 0 and "<rows>:<the table as text>" in *out, or the error code and its message (malloc'd). */
static int load_as(dltc_dest *d, const dltc_table *t, const char *path, const char *env,
                   const char *val, char **out)
{
    exec_ok(d, "TRUNCATE test_scan.t");
    if (env)
        setenv(env, val, 1);
    uint64_t rows = 0;
    int rc = dltc__dest_load_file(d, "test_scan", t, path, "jsonl", 0, &rows);
    if (env)
        unsetenv(env);
    if (rc) {
        *out = strdup(dltc_error_last()->message);
        return rc;
    }
    char *tab = scalar(d, "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY id), '') "
                          "FROM test_scan.t t");
    size_t n = strlen(tab) + 32;
    *out = malloc(n);
    snprintf(*out, n, "%" PRIu64 ":%s", rows, tab);
    free(tab);
    return 0;
}

/* The scanner and the reader (DLTC_PG_JSONL=reader) give the same table or the same error;
 * what they gave (malloc'd), the code in *rc. */
static char *both_ways(dltc_dest *d, const dltc_table *t, const char *path, int *rc)
{
    char *a, *b;
    int ra = load_as(d, t, path, NULL, NULL, &a);
    int rb = load_as(d, t, path, "DLTC_PG_JSONL", "reader", &b);
    if (ra != rb || strcmp(a, b))
        fail_msg("%s:\n scanner %d: %s\n reader  %d: %s", path, ra, a, rb, b);
    free(b);
    *rc = ra;
    return a;
}

static const char *const k_scan_rows[] = {
    /* 1: every escape, \u with a surrogate pair, raw UTF-8 */
    "{\"id\":1,\"txt\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t end\","
    "\"vc\":\"\\u00e9\\u4E2d\\ud83c\\udf89 z\xc3\xbcrich \xe6\x97\xa5\xe6\x9c\xac "
    "\xf0\x9f\x8e\x89\",\"flag\":true}",
    /* 2: integers at the edges, numbers into text and floats */
    "{\"i2\":-32768,\"i4\":2147483647,\"id\":2,\"num\":-12345678901234567890123,\"txt\":-0,"
    "\"vc\":1.50,\"f8\":-9223372036854775808,\"f4\":-1,\"bin\":\"AAH/\"}",
    /* 6: timestamps, dates, times as our writer and others write them */
    "{\"id\":6,\"ts\":\"2017-12-25T16:27:59+00:00\",\"tstz\":\"2017-12-25T16:27:59.5+05:30\","
    "\"d\":\"2024-02-29\",\"tm\":\"23:59:59.999999\"}",
    "{\"id\":8,\"ts\":\"2024-02-29\",\"tstz\":\"1969-07-20T20:17:40.000001-08:00\","
    "\"d\":\"9999-12-31\",\"tm\":\"00:00:00\"}",
    /* 10: nulls everywhere, a key the table lacks with null */
    "{\"id\":10,\"txt\":null,\"vc\":null,\"i2\":null,\"i4\":null,\"f4\":null,\"f8\":null,"
    "\"num\":null,\"flag\":null,\"d\":null,\"tm\":null,\"ts\":null,\"tstz\":null,\"js\":null,"
    "\"jsb\":null,\"bin\":null,\"nope\":null}",
    /* 11: json columns, and objects into text */
    "{\"id\":11,\"js\":{\"a\":[1,\"x\\\"y\\n\",null,{\"b\":true}],\"\xc3\xbc\":false},"
    "\"jsb\":[1,2.50,{\"k\":\"v\"}],\"txt\":{\"o\":1},\"vc\":[1,2]}",
    "{\"id\":12,\"js\":\"just a string\",\"jsb\":12.5,\"num\":\"1e3\",\"i4\":2.0,\"vc\":false}",
    /* 13: another key order, columns missing */
    "{\"tstz\":\"2000-01-01T00:00:00+00:00\",\"flag\":true,\"id\":13}",
    /* 14: whitespace around everything, a CR before the newline */
    "{ \"id\" : 14 ,\t\"txt\" : \"spaced\" , \"flag\" : false } \r",
    "   {\"id\":15,\"txt\":\"leading blanks\"}",
    "",
    " \t ",
    /* 16: duplicate keys: the first position, the last value */
    "{\"id\":16,\"txt\":\"first\",\"txt\":\"second\",\"i2\":1,\"i2\":null}",
    /* 17: an escaped key */
    "{\"id\":17,\"t\\u0078t\":\"escaped key\",\"empty\":null,\"vc\":\"\"}",
};

/* Rows that text COPY would read differently (the server rounds fractions of seconds and
 * reads real and ISO forms its own way): compared between scanner and reader only. */
static const char *const k_scan_binary_rows[] = {
    "{\"id\":3,\"id\":9223372036854775807,\"f8\":1.5e300,\"f4\":3.4028234e38,"
    "\"num\":-0.000123e-5,\"txt\":1E10}",
    "{\"id\":4,\"f8\":5e-324,\"num\":1.5,\"txt\":6.02214076e23,\"f4\":0.1,\"i2\":32767}",
    "{\"id\":5,\"f8\":-0.0,\"num\":\"12.50\",\"txt\":123456789012345678901234,"
    "\"f4\":123456789012345678901234,\"i4\":-2147483648}",
    "{\"id\":7,\"ts\":\"2024-02-29 10:11:12.123456789\",\"tstz\":\"2017-12-25T16:27:59Z\","
    "\"d\":\"0001-01-01\",\"tm\":\"10:11:12+02:00\"}",
    /* forms the scanner leaves to dltc__iso_parse */
    "{\"id\":9,\"ts\":\"20240229T101112Z\",\"tstz\":\"2024-02-29T10:11\",\"d\":\"2024-060\"}",
    "{\"id\":18,\"f8\":123456789012345678901234567890,\"f4\":1e-50,\"num\":1e-3}",
    "{\"id\":19,\"txt\":\"the last line has no newline\"}",
};

static void join_lines(dltc_buf *b, const char *const *rows, size_t n, int last_newline)
{
    for (size_t i = 0; i < n; i++) {
        dltc__buf_puts(b, rows[i]);
        if (i + 1 < n || last_newline)
            dltc__buf_putc(b, '\n');
    }
}

static void test_jsonl_scan_values(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t = scan_table(d, &s);
    dltc_buf file = DLTC_BUF_INIT;
    join_lines(&file, k_scan_rows, sizeof(k_scan_rows) / sizeof(k_scan_rows[0]), 1);
    char path[1024];
    write_text("scan_text.jsonl", file.data, path, sizeof(path));
    /* the scanner, the reader and text COPY agree */
    int rc;
    char *got = both_ways(d, t, path, &rc);
    assert_int_equal(rc, 0);
    char *text;
    assert_int_equal(load_as(d, t, path, "DLTC_PG_COPY", "text", &text), 0);
    if (strcmp(got, text))
        fail_msg("binary:\n%s\ntext:\n%s", got, text);
    free(text);
    free(got);
    join_lines(&file, k_scan_binary_rows,
               sizeof(k_scan_binary_rows) / sizeof(k_scan_binary_rows[0]), 0);
    write_text("scan_all.jsonl", file.data, path, sizeof(path));
    got = both_ways(d, t, path, &rc);
    assert_int_equal(rc, 0);
    free(got);
    /* and what they agree on is right */
    assert_scalar(d, "SELECT count(*) FROM test_scan.t", "19");
    assert_scalar(d, "SELECT txt || '|' || vc FROM test_scan.t WHERE id = 1",
                  "q\" b\\ s/ \b\f\n\r\t end|\xc3\xa9\xe4\xb8\xad\xf0\x9f\x8e\x89 z\xc3\xbcrich "
                  "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89");
    assert_scalar(d, "SELECT concat_ws('|', i2, i4, num, txt, vc, f8, f4, encode(bin, 'hex')) "
                     "FROM test_scan.t WHERE id = 2",
                  "-32768|2147483647|-12345678901234567890123|0|1.50|-9.223372036854776e+18|-1|"
                  "0001ff");
    assert_scalar(d, "SELECT concat_ws('|', f8, f4, num, txt) FROM test_scan.t "
                     "WHERE id = 9223372036854775807",
                  "1.5e+300|3.4028235e+38|-0.00000000123|1E10");
    assert_scalar(d, "SELECT concat_ws('|', f8, num, txt, f4, i2) FROM test_scan.t WHERE id = 4",
                  "5e-324|1.5|6.02214076e23|0.1|32767");
    assert_scalar(d, "SELECT concat_ws('|', f8, num, txt, f4, i4) FROM test_scan.t WHERE id = 5",
                  "-0|12.50|123456789012345678901234|1.2345679e+23|-2147483648");
    assert_scalar(d, "SELECT concat_ws('|', ts, tstz, d, tm) FROM test_scan.t WHERE id = 6",
                  "2017-12-25 16:27:59|2017-12-25 10:57:59.5+00|2024-02-29|23:59:59.999999");
    assert_scalar(d, "SELECT concat_ws('|', ts, tstz, d, tm) FROM test_scan.t WHERE id = 7",
                  "2024-02-29 10:11:12.123456|2017-12-25 16:27:59+00|0001-01-01|08:11:12");
    assert_scalar(d, "SELECT concat_ws('|', ts, tstz, d, tm) FROM test_scan.t WHERE id = 8",
                  "2024-02-29 00:00:00|1969-07-21 04:17:40.000001+00|9999-12-31|00:00:00");
    assert_scalar(d, "SELECT concat_ws('|', ts, tstz, d) FROM test_scan.t WHERE id = 9",
                  "2024-02-29 10:11:12|2024-02-29 10:11:00+00|2024-02-29");
    assert_scalar(d, "SELECT count(*) FROM test_scan.t WHERE id = 10 AND "
                     "num_nonnulls(txt, vc, i2, i4, f4, f8, num, flag, d, tm, ts, tstz, js, jsb, "
                     "bin) = 0",
                  "1");
    assert_scalar(d, "SELECT concat_ws('|', js, jsb, txt, vc) FROM test_scan.t WHERE id = 11",
                  "{\"a\":[1,\"x\\\"y\\n\",null,{\"b\":true}],\"\xc3\xbc\":false}|"
                  "[1, 2.50, {\"k\": \"v\"}]|{\"o\":1}|[1,2]");
    assert_scalar(d, "SELECT concat_ws('|', js, jsb, num, i4, vc) FROM test_scan.t WHERE id = 12",
                  "\"just a string\"|12.5|1000|2|false");
    assert_scalar(d, "SELECT concat_ws('|', tstz, flag, txt IS NULL) FROM test_scan.t "
                     "WHERE id = 13",
                  "2000-01-01 00:00:00+00|t|t");
    assert_scalar(d, "SELECT string_agg(concat_ws(':', id, txt, flag, i2, vc), ',' ORDER BY id) "
                     "FROM test_scan.t WHERE id BETWEEN 14 AND 19",
                  "14:spaced:f,15:leading blanks,16:second,17:escaped key:,18,"
                  "19:the last line has no newline");
    assert_scalar(d, "SELECT concat_ws('|', f8, f4, num) FROM test_scan.t WHERE id = 18",
                  "1.2345678901234568e+29|0|0.001");
    dltc__buf_free(&file);
    exec_ok(d, "DROP SCHEMA test_scan CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* Strings longer than the read block, lines that grow the buffer, a line cut at the end. */
static void test_jsonl_scan_long_lines(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t = scan_table(d, &s);
    dltc_buf file = DLTC_BUF_INIT, piece = DLTC_BUF_INIT;
    /* ~300 KiB with an escape and a UTF-8 character every 97 bytes */
    for (int i = 0; i < 3200; i++)
        dltc__buf_printf(&piece, "%090d\\n\xc3\xa9\\u00e9", i);
    for (int i = 1; i <= 40; i++) {
        if (i % 10 == 0) /* 1.2 MB in one line: the buffer grows to hold it */
            dltc__buf_printf(&file, "{\"id\":%d,\"txt\":\"%s%s%s%s\",\"flag\":true}\n", i,
                             piece.data, piece.data, piece.data, piece.data);
        else
            dltc__buf_printf(&file, "{\"id\":%d,\"txt\":\"%s\",\"vc\":\"x%d\"}\n", i,
                             i % 3 ? "short" : piece.data, i);
    }
    char path[1024];
    write_text("scan_long.jsonl", file.data, path, sizeof(path));
    int rc;
    char *got = both_ways(d, t, path, &rc);
    assert_int_equal(rc, 0);
    free(got);
    assert_scalar(d, "SELECT concat_ws(',', count(*), sum(length(txt)), count(flag), count(vc)) "
                     "FROM test_scan.t",
                  "40,8332920,4,36");
    assert_scalar(d, "SELECT count(*) FROM test_scan.t WHERE length(txt) > 1000 AND "
                     "txt NOT LIKE '%000000003199' || E'\\n' || '\xc3\xa9\xc3\xa9'",
                  "0");
    /* the same cut in the middle of the long line 20 */
    char *cut = file.data;
    for (int i = 1; i < 20; i++)
        cut = strchr(cut, '\n') + 1;
    cut[700000] = '\0';
    write_text("scan_cut.jsonl", file.data, path, sizeof(path));
    got = both_ways(d, t, path, &rc);
    assert_int_equal(rc, DLTC_EPARSE);
    if (!strstr(got, "scan_cut.jsonl:20:") || !strstr(got, "unterminated string"))
        fail_msg("%s", got);
    free(got);
    dltc__buf_free(&file);
    dltc__buf_free(&piece);
    exec_ok(d, "DROP SCHEMA test_scan CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* Files that are not one object a line, and rows that fail: what the reader says, to the
 * byte. */
static void test_jsonl_scan_errors_and_shapes(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t = scan_table(d, &s);
    static const struct {
        const char *text;
        int rc;
        const char *want; /* in the message, or the row count before ':' */
    } cases[] = {
        {"{\"id\":1}\n{\"id\":2,\"nope\":1}\n", DLTC_EINVALID, ":2: column nope is not in table t"},
        {"{\"id\":1}\n{\"id\":2,\"flag\":\"yes\"}\n", DLTC_EINVALID,
         ":2: column flag: value is not a valid boolean"},
        {"{\"id\":1}\n{\"id\":2,\"i2\":70000}\n", DLTC_EINVALID,
         ":2: column i2: 70000 is out of range"},
        {"{\"id\":1,\"d\":\"2024-02-30\"}\n", DLTC_EINVALID,
         ":1: column d: value is not a valid ISO"},
        {"{\"id\":1,\"d\":\"2024-02-29T10:00:00\"}\n", DLTC_EINVALID,
         "column d: value is not a valid"},
        {"{\"id\":1,\"i4\":\"1\"}\n", DLTC_EINVALID, "column i4: value is not a valid integer"},
        {"{\"id\":1,\"bin\":\"@@\"}\n", DLTC_EINVALID, "column bin: value is not a valid base64"},
        {"{\"id\":1}\n\n[1,2]\n", DLTC_EPARSE, ":3: a row is not a JSON object"},
        {"{\"id\":1}\n\"x\"\n", DLTC_EPARSE, ":2: a row is not a JSON object"},
        {"{\"id\":1}\n{\"id\":2,\"txt\":\"a\"\n", DLTC_EPARSE, ":3:1: unterminated object"},
        {"{\"id\":1}\n{\"id\":2,\"txt\":\"abc", DLTC_EPARSE, "unterminated string"},
        {"{\"id\":1}\n{\"id\":2,}\n", DLTC_EPARSE, ":2:8: trailing comma"},
        {"{\"id\":1,\"txt\":\"\\x\"}\n", DLTC_EPARSE, "invalid escape '\\x'"},
        {"{\"id\":1,\"txt\":\"\\ud800 \"}\n", DLTC_EPARSE, "lone surrogate \\ud800"},
        {"{\"id\":1,\"txt\":\"\\udc00\"}\n", DLTC_EPARSE, "lone surrogate \\udc00"},
        {"{\"id\":1,\"txt\":\"\xff\"}\n", DLTC_EPARSE, "invalid UTF-8"},
        {"{\"id\":1,\"txt\":\"\xed\xa0\x80\"}\n", DLTC_EPARSE, "invalid UTF-8"},
        {"{\"id\":1,\"txt\":\"\xc0\xaf\"}\n", DLTC_EPARSE, "invalid UTF-8"},
        {"{\"id\":1,\"txt\":\"tab\there\"}\n", DLTC_EPARSE, "control character 0x09"},
        {"{\"id\":1,\"f8\":1e400}\n", DLTC_EPARSE, "number out of range"},
        {"{\"id\":01}\n", DLTC_EPARSE, "leading zero"},
        {"{\"id\":1,\"f8\":NaN}\n", DLTC_EPARSE, "NaN is not JSON"},
        {"{\"id\":1,\"f8\":1.}\n", DLTC_EPARSE, "expected digit after decimal point"},
        {"{\"id\":1,\"flag\":tru}\n", DLTC_EPARSE, "invalid literal"},
        {"{\"id\":1}{\"id\":2}\n", DLTC_EPARSE, ":1:9: unexpected character '{' after value"},
        {"{\"id\":1} {\"id\":2} x\n", DLTC_EPARSE, ":1:19: unexpected character 'x'"},
        {"{\"id\":1}\n\xef\xbb\xbf{\"id\":2}\n", DLTC_EPARSE, ":2:1: unexpected byte 0xef"},
        {"{\"id\":1,\"txt\":\"a\\u0000b\"}\n", DLTC_EDATA, "0x00"},
        {"{\"id\":1}\n{\"id\" 2}\n", DLTC_EPARSE, ":2:7: expected ':' after object key"},
        {"{'id':1}\n", DLTC_EPARSE, "single-quoted strings are not allowed"},
        /* shapes the scanner hands to the reader */
        {"{\n  \"id\": 1,\n  \"txt\": \"pretty\"\n}\n{\"id\":2}\n", 0, "2"},
        {"[{\"id\":1},\n {\"id\":2}]\n", 0, "2"},
        {"\n  [\n{\"id\":1}]", 0, "1"},
        {"\xef\xbb\xbf{\"id\":1}\n{\"id\":2}\n", 0, "2"},
        {"{\"id\":1} {\"id\":2}\n{\"id\":3}", 0, "3"},
        {"{\"id\":1}\n{\"id\":2,\n\"txt\":\"two lines\"}\n{\"id\":3}\n", 0, "3"},
        {"", 0, "0"},
        {"\n\n \t\r\n", 0, "0"},
        {"{}\n{\"id\":null}\n", 0, "2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[1024], name[64];
        snprintf(name, sizeof(name), "shape%zu.jsonl", i);
        write_text(name, cases[i].text, path, sizeof(path));
        int rc;
        char *got = both_ways(d, t, path, &rc);
        if (rc != cases[i].rc)
            fail_msg("case %zu: %d %s", i, rc, got);
        if (rc == 0) {
            size_t n = strlen(cases[i].want);
            if (strncmp(got, cases[i].want, n) || got[n] != ':')
                fail_msg("case %zu: %s", i, got);
        } else if (!strstr(got, cases[i].want) || !strstr(got, name) || strchr(got, '\n')) {
            fail_msg("case %zu: '%s' lacks '%s'", i, got, cases[i].want);
        }
        free(got);
    }
    /* nesting: 512 containers in a row at most, as the reader counts them */
    for (int depth = 510; depth <= 512; depth++) {
        dltc_buf b = DLTC_BUF_INIT;
        dltc__buf_puts(&b, "{\"id\":1,\"js\":");
        for (int k = 0; k < depth; k++)
            dltc__buf_putc(&b, '[');
        for (int k = 0; k < depth; k++)
            dltc__buf_putc(&b, ']');
        dltc__buf_puts(&b, "}\n");
        char path[1024];
        write_text("deep.jsonl", b.data, path, sizeof(path));
        int rc;
        char *got = both_ways(d, t, path, &rc);
        assert_int_equal(rc, depth < 512 ? 0 : DLTC_ELIMIT);
        free(got);
        dltc__buf_free(&b);
    }
    exec_ok(d, "DROP SCHEMA test_scan CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* Lines with one byte changed, dropped or cut: scanner and reader agree on every one. */
static void test_jsonl_scan_mutations(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t = scan_table(d, &s);
    static const char bytes[] = "\"\\{}[],: \t\r\n0189-+.eEuxtfnl\x80\xbf\xc3\xe6\xf0\xff";
    const size_t nrows = sizeof(k_scan_rows) / sizeof(k_scan_rows[0]);
    uint64_t x = 0x9E3779B97F4A7C15ULL; /* xorshift: the same cases every run */
    int ok = 0, failed = 0;
    for (int i = 0; i < 300; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const char *row = k_scan_rows[x % nrows];
        size_t len = strlen(row);
        if (len == 0)
            continue;
        char line[2048];
        memcpy(line, row, len + 1);
        size_t at = (size_t)(x >> 20) % len;
        switch ((x >> 40) % 3) {
        case 0: line[at] = bytes[(x >> 48) % (sizeof(bytes) - 1)]; break;
        case 1: memmove(line + at, line + at + 1, len - at); break;
        default: line[at] = '\0'; break;
        }
        dltc_buf b = DLTC_BUF_INIT;
        dltc__buf_printf(&b, "%s\n%s\n%s\n", k_scan_rows[0], line, k_scan_rows[2]);
        char path[1024];
        write_text("mutant.jsonl", b.data, path, sizeof(path));
        int rc;
        char *got = both_ways(d, t, path, &rc);
        rc ? failed++ : ok++;
        free(got);
        dltc__buf_free(&b);
    }
    print_message("mutants: %d loaded, %d failed the same way\n", ok, failed);
    assert_true(ok > 20 && failed > 20);
    exec_ok(d, "DROP SCHEMA test_scan CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

/* 100k rows through each format: counts and sums. */
static void test_load_100k(void **state)
{
    (void)state;
    NEED_PG();
    dltc_dest *d = connect_ok(g_uri);
    dltc_schema *s;
    dltc_table *t;
    assert_int_equal(dltc__schema_create(&s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(s, "big", NULL, &t), 0);
    static const struct {
        const char *name;
        int dt;
    } cols[] = {{"id", DLTC_DT_BIGINT}, {"name", DLTC_DT_TEXT},   {"score", DLTC_DT_DOUBLE},
                {"active", DLTC_DT_BOOL}, {"created_at", DLTC_DT_TIMESTAMP},
                {"amount", DLTC_DT_DECIMAL}};
    for (size_t i = 0; i < 6; i++) {
        dltc_column c = column(cols[i].name, cols[i].dt);
        assert_true(dltc__table_add_column(s, t, &c) >= 0);
    }
    dltc_buf sql = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_create_table(&sql, DLTC_SQL_POSTGRES, "test_big", t), 0);
    exec_ok(d, "DROP SCHEMA IF EXISTS test_big CASCADE; CREATE SCHEMA test_big");
    exec_ok(d, sql.data);
    dltc__buf_free(&sql);
    static const char *const formats[] = {"jsonl", "csv", "insert_values"};
    const int n = 100000;
    for (size_t f = 0; f < 3; f++) {
        char path[1024], name[64];
        snprintf(name, sizeof(name), "big.%s", formats[f]);
        path_in(path, sizeof(path), name);
        const dltc_writer_type *wt = dltc__writer_type(formats[f]);
        dltc_writer *w = NULL;
        dltc_doc *doc;
        assert_int_equal(dltc_doc_new(&doc), 0);
        assert_int_equal(wt->open(&w, path, t), 0);
        for (int i = 1; i <= n; i++) {
            row_cells r = {.n = 0};
            char nm[32], amt[32];
            snprintf(nm, sizeof(nm), "name %d", i);
            snprintf(amt, sizeof(amt), "%d.%03d", i, i % 1000);
            put(&r, t, "id", dltc_value_int(doc, i));
            put(&r, t, "name", dltc_value_cstring(doc, nm));
            put(&r, t, "score", dltc_value_double(doc, i * 0.5));
            put(&r, t, "active", dltc_value_bool(doc, i % 2));
            put(&r, t, "created_at",
                dltc_value_timestamp(doc, 1700000000000000LL + (int64_t)i * 1000000, 1));
            put(&r, t, "amount", dltc_value_decimal(doc, amt));
            assert_int_equal(wt->write_row(w, t, r.cells, r.n), 0);
            if (i % 1000 == 0)
                dltc_doc_clear(doc);
        }
        assert_int_equal(wt->finish(w), 0);
        dltc_doc_free(doc);
        exec_ok(d, "TRUNCATE test_big.big");
        uint64_t rows = 0;
        if (dltc__dest_load_file(d, "test_big", t, path, formats[f], 0, &rows))
            fail_msg("%s: %s", formats[f], dltc_error_last()->message);
        assert_int_equal(rows, n);
        assert_scalar(d,
                      "SELECT concat_ws(',', count(*), sum(id), sum(score), "
                      "count(*) FILTER (WHERE active), sum(amount), max(created_at), "
                      "count(DISTINCT name)) FROM test_big.big",
                      "100000,5000050000,2500025000,50000,5000099950.000000000,"
                      "2023-11-16 02:00:00+00,100000");
    }
    exec_ok(d, "DROP SCHEMA test_big CASCADE");
    dltc_schema_free(s);
    dltc__dest_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_uri_and_keyvalue),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_dead_port),
        cmocka_unit_test(test_invalid_conninfo),
        cmocka_unit_test(test_exec_errors),
        cmocka_unit_test(test_query_types),
        cmocka_unit_test(test_table_columns),
        cmocka_unit_test(test_load_formats),
        cmocka_unit_test(test_failed_load_leaves_nothing),
        cmocka_unit_test(test_jsonl_more_files_one_copy),
        cmocka_unit_test(test_foreign_files_and_types),
        cmocka_unit_test(test_numeric_binary),
        cmocka_unit_test(test_long_identifiers),
        cmocka_unit_test(test_jsonl_scan_values),
        cmocka_unit_test(test_jsonl_scan_long_lines),
        cmocka_unit_test(test_jsonl_scan_errors_and_shapes),
        cmocka_unit_test(test_jsonl_scan_mutations),
        cmocka_unit_test(test_load_100k),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
