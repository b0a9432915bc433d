/* SQL text: quoting of identifiers and literals, dlt's type mapping, CREATE / ALTER. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "load/sql.h"
#include "schema/schema.h"

#include "common/alloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *ident(const char *s)
{
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_ident(&b, s), 0);
    return b.data;
}

static void test_ident_quoting(void **state)
{
    (void)state;
    char *s = ident("plain");
    assert_string_equal(s, "\"plain\"");
    dltc__free(s);
    s = ident("a\"b\"\"");
    assert_string_equal(s, "\"a\"\"b\"\"\"\"\"");
    dltc__free(s);
    s = ident("zürich_日本");
    assert_string_equal(s, "\"zürich_日本\"");
    dltc__free(s);
    s = ident("x\"; DROP TABLE t; --");
    assert_string_equal(s, "\"x\"\"; DROP TABLE t; --\"");
    dltc__free(s);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_ident(&b, ""), DLTC_EINVALID);
    assert_int_equal(dltc__sql_qualified(&b, "my ds", "t\"1"), 0);
    assert_string_equal(b.data, "\"my ds\".\"t\"\"1\"");
    dltc__buf_free(&b);
}

static void test_string_literal(void **state)
{
    (void)state;
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_string(&b, "it's a \\ path", 13), 0);
    assert_string_equal(b.data, "'it''s a \\ path'");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_string(&b, "''", 2), 0);
    assert_string_equal(b.data, "''''''");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_string(&b, "", 0), 0);
    assert_string_equal(b.data, "''");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_string(&b, "a\0b", 3), DLTC_EINVALID);
    dltc__buf_free(&b);
}

static const char *map(dltc_sql_dialect d, int dt, int prec, int scale, int tz)
{
    static char out[128];
    dltc_column c;
    memset(&c, 0, sizeof(c));
    c.name = "c";
    c.data_type = (uint8_t)dt;
    c.precision = prec;
    c.scale = scale;
    c.timezone = (int8_t)tz;
    c.nullable = 1;
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__sql_column_type(&b, d, &c);
    snprintf(out, sizeof(out), "%s", rc ? "ERROR" : b.data);
    dltc__buf_free(&b);
    return out;
}

static void test_duckdb_types(void **state)
{
    (void)state;
    dltc_sql_dialect D = DLTC_SQL_DUCKDB;
    assert_string_equal(map(D, DLTC_DT_TEXT, -1, -1, -1), "VARCHAR");
    assert_string_equal(map(D, DLTC_DT_TEXT, 10, -1, -1), "VARCHAR");
    assert_string_equal(map(D, DLTC_DT_DOUBLE, -1, -1, -1), "DOUBLE");
    assert_string_equal(map(D, DLTC_DT_BOOL, -1, -1, -1), "BOOLEAN");
    assert_string_equal(map(D, DLTC_DT_TIMESTAMP, -1, -1, -1), "TIMESTAMP WITH TIME ZONE");
    assert_string_equal(map(D, DLTC_DT_TIMESTAMP, 3, -1, 1), "TIMESTAMP WITH TIME ZONE");
    assert_string_equal(map(D, DLTC_DT_TIMESTAMP, -1, -1, 0), "TIMESTAMP");
    assert_string_equal(map(D, DLTC_DT_TIMESTAMP, 0, -1, 0), "TIMESTAMP_S");
    assert_string_equal(map(D, DLTC_DT_TIMESTAMP, 3, -1, 0), "TIMESTAMP_MS");
    assert_string_equal(map(D, DLTC_DT_TIMESTAMP, 6, -1, 0), "TIMESTAMP");
    assert_string_equal(map(D, DLTC_DT_TIMESTAMP, 9, -1, 0), "TIMESTAMP_NS");
    assert_string_equal(map(D, DLTC_DT_TIMESTAMP, 10, -1, 0), "ERROR");
    assert_string_equal(map(D, DLTC_DT_BIGINT, -1, -1, -1), "BIGINT");
    assert_string_equal(map(D, DLTC_DT_BIGINT, 8, -1, -1), "TINYINT");
    assert_string_equal(map(D, DLTC_DT_BIGINT, 16, -1, -1), "SMALLINT");
    assert_string_equal(map(D, DLTC_DT_BIGINT, 32, -1, -1), "INTEGER");
    assert_string_equal(map(D, DLTC_DT_BIGINT, 64, -1, -1), "BIGINT");
    assert_string_equal(map(D, DLTC_DT_BIGINT, 128, -1, -1), "HUGEINT");
    assert_string_equal(map(D, DLTC_DT_BIGINT, 256, -1, -1), "ERROR");
    assert_string_equal(map(D, DLTC_DT_BINARY, -1, -1, -1), "BLOB");
    assert_string_equal(map(D, DLTC_DT_JSON, -1, -1, -1), "JSON");
    assert_string_equal(map(D, DLTC_DT_DECIMAL, -1, -1, -1), "DECIMAL(38,9)");
    assert_string_equal(map(D, DLTC_DT_DECIMAL, 10, 2, -1), "DECIMAL(10,2)");
    assert_string_equal(map(D, DLTC_DT_WEI, -1, -1, -1), "DECIMAL(38,0)");
    assert_string_equal(map(D, DLTC_DT_DATE, -1, -1, -1), "DATE");
    assert_string_equal(map(D, DLTC_DT_TIME, -1, -1, -1), "TIME");
    assert_string_equal(map(D, DLTC_DT_UNSET, -1, -1, -1), "ERROR");
}

static void test_postgres_types(void **state)
{
    (void)state;
    dltc_sql_dialect P = DLTC_SQL_POSTGRES;
    assert_string_equal(map(P, DLTC_DT_TEXT, -1, -1, -1), "varchar");
    assert_string_equal(map(P, DLTC_DT_TEXT, 10, -1, -1), "varchar(10)");
    assert_string_equal(map(P, DLTC_DT_DOUBLE, -1, -1, -1), "double precision");
    assert_string_equal(map(P, DLTC_DT_BOOL, -1, -1, -1), "boolean");
    assert_string_equal(map(P, DLTC_DT_TIMESTAMP, -1, -1, -1), "timestamp with time zone");
    assert_string_equal(map(P, DLTC_DT_TIMESTAMP, 3, -1, 1), "timestamp (3) with time zone");
    assert_string_equal(map(P, DLTC_DT_TIMESTAMP, -1, -1, 0), "timestamp without time zone");
    assert_string_equal(map(P, DLTC_DT_TIME, -1, -1, -1), "time without time zone");
    assert_string_equal(map(P, DLTC_DT_TIME, 3, -1, -1), "time (3) without time zone");
    assert_string_equal(map(P, DLTC_DT_BIGINT, -1, -1, -1), "bigint");
    assert_string_equal(map(P, DLTC_DT_BIGINT, 8, -1, -1), "smallint");
    assert_string_equal(map(P, DLTC_DT_BIGINT, 32, -1, -1), "integer");
    assert_string_equal(map(P, DLTC_DT_BIGINT, 128, -1, -1), "ERROR");
    assert_string_equal(map(P, DLTC_DT_BINARY, -1, -1, -1), "bytea");
    assert_string_equal(map(P, DLTC_DT_JSON, -1, -1, -1), "jsonb");
    assert_string_equal(map(P, DLTC_DT_DECIMAL, -1, -1, -1), "numeric(38,9)");
    assert_string_equal(map(P, DLTC_DT_WEI, -1, -1, -1), "numeric(156,78)");
    assert_string_equal(map(P, DLTC_DT_DATE, -1, -1, -1), "date");
    /* precisions as dlt's PostgresTypeMapper gives them */
    assert_string_equal(map(P, DLTC_DT_TIMESTAMP, 0, -1, -1), "timestamp (0) with time zone");
    assert_string_equal(map(P, DLTC_DT_TIMESTAMP, 6, -1, 1), "timestamp (6) with time zone");
    assert_string_equal(map(P, DLTC_DT_TIMESTAMP, 3, -1, 0), "timestamp (3) without time zone");
    assert_string_equal(map(P, DLTC_DT_TIMESTAMP, 7, -1, -1), "ERROR");
    assert_string_equal(map(P, DLTC_DT_TIMESTAMP, 9, -1, 0), "ERROR");
    assert_string_equal(map(P, DLTC_DT_TIME, 6, -1, -1), "time (6) without time zone");
    assert_string_equal(map(P, DLTC_DT_TIME, 7, -1, -1), "ERROR");
    assert_string_equal(map(P, DLTC_DT_BIGINT, 16, -1, -1), "smallint");
    assert_string_equal(map(P, DLTC_DT_BIGINT, 17, -1, -1), "integer");
    assert_string_equal(map(P, DLTC_DT_BIGINT, 33, -1, -1), "bigint");
    assert_string_equal(map(P, DLTC_DT_BIGINT, 64, -1, -1), "bigint");
    assert_string_equal(map(P, DLTC_DT_BIGINT, 65, -1, -1), "ERROR");
    assert_string_equal(map(P, DLTC_DT_DECIMAL, 10, 2, -1), "numeric(10,2)");
    assert_string_equal(map(P, DLTC_DT_DECIMAL, 76, 0, -1), "numeric(76,0)");
    assert_string_equal(map(P, DLTC_DT_WEI, 78, 0, -1), "numeric(78,0)");
    assert_string_equal(map(P, DLTC_DT_TEXT, 255, -1, -1), "varchar(255)");
    assert_string_equal(map(P, DLTC_DT_BINARY, 16, -1, -1), "bytea");
    assert_string_equal(map(P, DLTC_DT_UNSET, -1, -1, -1), "ERROR");
}

static void test_postgres_json_and_literals(void **state)
{
    (void)state;
    dltc_schema *s;
    dltc_table *t;
    assert_int_equal(dltc__schema_create(&s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(s, "t", NULL, &t), 0);
    dltc_column c;
    memset(&c, 0, sizeof(c));
    c.precision = c.scale = -1;
    c.timezone = -1;
    c.nullable = 1;
    c.name = "doc";
    c.data_type = DLTC_DT_JSON;
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_create_table(&b, DLTC_SQL_POSTGRES, "ds", t), 0);
    assert_string_equal(b.data, "CREATE TABLE IF NOT EXISTS \"ds\".\"t\" (\"doc\" jsonb)");
    /* json, not jsonb, for tables loaded from parquet (dlt's ADBC path) */
    t->file_format = dltc__strdup("parquet");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_create_table(&b, DLTC_SQL_POSTGRES, "ds", t), 0);
    assert_string_equal(b.data, "CREATE TABLE IF NOT EXISTS \"ds\".\"t\" (\"doc\" json)");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_create_staging_table(&b, DLTC_SQL_POSTGRES, t), 0);
    assert_string_equal(b.data, "CREATE TEMPORARY TABLE \"t\" (\"doc\" json) ON COMMIT DROP");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_staging_table(&b, DLTC_SQL_POSTGRES, "t\"x"), 0);
    assert_string_equal(b.data, "\"pg_temp\".\"t\"\"x\"");

    /* timestamp literals: ISO text cast to the column's type */
    c.name = "ts";
    c.data_type = DLTC_DT_TIMESTAMP;
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_timestamp_literal(&b, DLTC_SQL_POSTGRES, &c, 1700000000123456LL), 0);
    assert_string_equal(b.data, "CAST('2023-11-14T22:13:20.123456+00:00' AS timestamp with time "
                                "zone)");
    c.timezone = 0;
    c.precision = 3;
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_timestamp_literal(&b, DLTC_SQL_POSTGRES, &c, -1000000), 0);
    assert_string_equal(b.data, "CAST('1969-12-31T23:59:59' AS timestamp (3) without time zone)");
    dltc__buf_free(&b);
    dltc_schema_free(s);
}

static dltc_table *make_table(dltc_schema **out)
{
    dltc_schema *s;
    dltc_table *t;
    assert_int_equal(dltc__schema_create(&s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(s, "my \"t\"", NULL, &t), 0);
    dltc_column c;
    memset(&c, 0, sizeof(c));
    c.precision = c.scale = -1;
    c.timezone = -1;
    c.nullable = 0;
    c.name = "id";
    c.data_type = DLTC_DT_BIGINT;
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    c.nullable = 1;
    c.name = "hint_only";
    c.data_type = DLTC_DT_UNSET;
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    c.name = "Naïve \"ts\"";
    c.data_type = DLTC_DT_TIMESTAMP;
    c.timezone = 0;
    assert_true(dltc__table_add_column(s, t, &c) >= 0);
    *out = s;
    return t;
}

static void test_create_and_alter(void **state)
{
    (void)state;
    dltc_schema *s;
    dltc_table *t = make_table(&s);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_create_table(&b, DLTC_SQL_DUCKDB, "ds", t), 0);
    assert_string_equal(b.data, "CREATE TABLE IF NOT EXISTS \"ds\".\"my \"\"t\"\"\" (\"id\" BIGINT "
                                "NOT NULL, \"Naïve \"\"ts\"\"\" TIMESTAMP)");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_create_table(&b, DLTC_SQL_POSTGRES, "ds", t), 0);
    assert_string_equal(b.data, "CREATE TABLE IF NOT EXISTS \"ds\".\"my \"\"t\"\"\" (\"id\" bigint "
                                "NOT NULL, \"Naïve \"\"ts\"\"\" timestamp without time zone)");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_add_column(&b, DLTC_SQL_DUCKDB, "ds", t, 2), 0);
    assert_string_equal(b.data, "ALTER TABLE \"ds\".\"my \"\"t\"\"\" ADD COLUMN \"Naïve \"\"ts\"\"\" TIMESTAMP");
    dltc__buf_clear(&b);
    /* not null is not added to a column of a table that may hold rows */
    assert_int_equal(dltc__sql_add_column(&b, DLTC_SQL_DUCKDB, "ds", t, 0), 0);
    assert_string_equal(b.data, "ALTER TABLE \"ds\".\"my \"\"t\"\"\" ADD COLUMN \"id\" BIGINT");
    dltc__buf_clear(&b);
    assert_int_equal(dltc__sql_add_column(&b, DLTC_SQL_DUCKDB, "ds", t, 1), DLTC_EINVALID);
    assert_int_equal(dltc__sql_add_column(&b, DLTC_SQL_DUCKDB, "ds", t, 9), DLTC_EINVALID);
    assert_int_equal((int)b.len, 0);
    dltc__buf_free(&b);
    dltc_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ident_quoting),   cmocka_unit_test(test_string_literal),
        cmocka_unit_test(test_duckdb_types),    cmocka_unit_test(test_postgres_types),
        cmocka_unit_test(test_create_and_alter), cmocka_unit_test(test_postgres_json_and_literals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
