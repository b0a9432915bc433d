/* The read-only SQL check of the dataset API (load/sql_readonly.c): reads accepted in both
 * dialects, writes and second statements refused with one line naming the keyword and its
 * position, keywords inside strings, identifiers, dollar quotes and comments ignored,
 * data-modifying CTEs refused, unterminated input refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "load/sql_readonly.h"

#include <stdio.h>
#include <string.h>

#define DUCK DLTC_SQL_DUCKDB
#define PG DLTC_SQL_POSTGRES

static void accepted(const char *sql, int dialect)
{
    int rc = dltc__sql_readonly_check(sql, dialect);
    if (rc)
        fail_msg("refused: %s -> %s", sql, dltc_error_last()->message);
}

/* Refused with DLTC_EINVALID, the message one line holding `needle`. */
static void refused(const char *sql, int dialect, const char *needle)
{
    dltc_error_clear();
    int rc = dltc__sql_readonly_check(sql, dialect);
    if (rc != DLTC_EINVALID)
        fail_msg("accepted (rc %d): %s", rc, sql);
    const char *m = dltc_error_last()->message;
    assert_null(strchr(m, '\n'));
    assert_int_equal(strncmp(m, "read-only SQL: ", 15), 0);
    if (needle && !strstr(m, needle))
        fail_msg("%s: message '%s' lacks '%s'", sql, m, needle);
}

static void both_accepted(const char *sql)
{
    accepted(sql, DUCK);
    accepted(sql, PG);
}

static void both_refused(const char *sql, const char *needle)
{
    refused(sql, DUCK, needle);
    refused(sql, PG, needle);
}

static void test_reads_accepted(void **state)
{
    (void)state;
    both_accepted("SELECT 1");
    both_accepted("select * from items where id > 3 order by id limit 10");
    both_accepted("SELECT 1;");
    both_accepted("  SELECT 1 ;  -- done\n");
    both_accepted("WITH a AS (SELECT 1 AS x) SELECT x FROM a");
    both_accepted("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) "
                  "SELECT * FROM r");
    both_accepted("VALUES (1, 'a'), (2, 'b')");
    both_accepted("TABLE items");
    both_accepted("SHOW TABLES");
    both_accepted("EXPLAIN SELECT 1");
    both_accepted("EXPLAIN ANALYZE SELECT * FROM t");
    both_accepted("EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1");
    both_accepted("EXPLAIN (SELECT 1)");
    both_accepted("(SELECT 1) UNION ALL (SELECT 2)");
    both_accepted("((SELECT 1))");
    both_accepted("/* a comment */ SELECT 1");
    both_accepted("-- only a line comment\nSELECT 1");
    both_accepted("SELECT t.update, t.\"delete\", s.insert FROM t, s");
    both_accepted("SELECT \"update\", \"INSERT INTO x\" FROM t");
    both_accepted("SELECT 1 WHERE 'a' = ';'");
    both_accepted("SELECT count(*) FROM \"my;table\"");
    both_accepted("SELECT 2 /* nested /* DROP TABLE t; */ still comment */");
    both_accepted("SELECT deleted, updated_at, inserts, into_x FROM t");
    both_accepted("SELECT $1");
    both_accepted("SELECT 1.5e3, .5, x::int FROM t");
    accepted("DESCRIBE items", DUCK);
    accepted("DESCRIBE SELECT 1", DUCK);
    accepted("SUMMARIZE items", DUCK);
    accepted("SUMMARIZE SELECT * FROM items", DUCK);
    accepted("FROM items", DUCK);
    accepted("FROM items SELECT id WHERE id > 1", DUCK);
    accepted("PIVOT t ON k USING sum(v)", DUCK);
    accepted("SHOW ALL", PG);
    accepted("SHOW search_path", PG);
}

static void test_strings_and_quotes_skipped(void **state)
{
    (void)state;
    both_accepted("SELECT 'it''s; DROP TABLE t'");
    both_accepted("SELECT E'a\\' ; DELETE FROM t'");
    both_accepted("SELECT e'\\\\'");
    both_accepted("SELECT $$ ; INSERT INTO t VALUES (1); $$");
    both_accepted("SELECT $body$ x $$ ; DROP TABLE t $body$ AS s");
    both_accepted("SELECT $a$ $b$ ; $b$ $a$");
    both_accepted("SELECT \"a\"\"; DROP TABLE x; --\" FROM t");
    both_accepted("SELECT 'x' -- ; DROP TABLE t\n");
    both_accepted("SELECT a$b$ FROM t"); /* an identifier with '$', not a dollar quote */
    /* the standard string has no backslash escape: '\' is complete */
    both_refused("SELECT '\\'; DROP TABLE t", "a second statement (DROP)");
}

static void test_writes_refused(void **state)
{
    (void)state;
    both_refused("INSERT INTO t VALUES (1)", "INSERT at line 1, column 1 (byte 0)");
    both_refused("update t set a = 1", "UPDATE at line 1");
    both_refused("DELETE FROM t", "DELETE");
    both_refused("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "MERGE");
    both_refused("CREATE TABLE x AS SELECT 1", "CREATE");
    both_refused("DROP TABLE t", "DROP");
    both_refused("ALTER TABLE t ADD COLUMN c INT", "ALTER");
    both_refused("ATTACH '/tmp/x.db' AS x", "ATTACH");
    both_refused("DETACH x", "DETACH");
    both_refused("COPY t TO '/tmp/out.csv'", "COPY");
    both_refused("SET search_path = 'public'", "SET");
    both_refused("RESET ALL", "RESET");
    both_refused("PRAGMA enable_profiling", "PRAGMA");
    both_refused("INSTALL sqlite", "INSTALL");
    both_refused("LOAD sqlite", "LOAD");
    both_refused("CALL pragma_version()", "CALL");
    both_refused("CHECKPOINT", "CHECKPOINT");
    both_refused("EXPORT DATABASE '/tmp/x'", "EXPORT");
    both_refused("IMPORT DATABASE '/tmp/x'", "IMPORT");
    both_refused("TRUNCATE t", "TRUNCATE");
    both_refused("VACUUM", "VACUUM");
    both_refused("BEGIN", "BEGIN");
    both_refused("COMMIT", "COMMIT");
    both_refused("USE other", "USE");
    both_refused("GRANT SELECT ON t TO u", "GRANT");
    both_refused("DO $$ BEGIN END $$", "DO");
    both_refused("PREPARE p AS SELECT 1", "PREPARE");
    both_refused("-- hidden\n  /* also */ drop table t", "DROP at line 2, column 14 (byte 23)");
    both_refused("(INSERT INTO t VALUES (1))", "INSERT");
    /* FROM-first, DESCRIBE, SUMMARIZE and PIVOT are DuckDB's */
    refused("FROM t", PG, "FROM");
    refused("SUMMARIZE INSERT INTO t VALUES (1)", DUCK, "INSERT");
    refused("DESCRIBE CREATE TABLE x (a INT)", DUCK, "CREATE");
    /* the message names what is allowed */
    refused("LOAD x", DUCK, "only SELECT, WITH");
}

static void test_second_statement_refused(void **state)
{
    (void)state;
    both_refused("SELECT 1; SELECT 2", "a second statement (SELECT) at line 1, column 11 "
                                       "(byte 10)");
    both_refused("SELECT 1; DROP TABLE t", "a second statement (DROP)");
    both_refused("SELECT 1;;", "a second statement");
    both_refused("SELECT 1; -- c\n DELETE FROM t", "line 2, column 2");
    both_refused("SELECT (1; DROP TABLE t", "a second statement (DROP)");
}

static void test_with_data_modifying_refused(void **state)
{
    (void)state;
    both_refused("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
                 "DELETE at line 1, column 12 (byte 11): a data-modifying statement");
    both_refused("WITH a AS (SELECT 1), b AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1",
                 "INSERT");
    both_refused("WITH a AS MATERIALIZED (UPDATE t SET x = 1 RETURNING x) SELECT * FROM a",
                 "UPDATE");
    both_refused("WITH a AS NOT MATERIALIZED ( /* c */ MERGE INTO t USING s ON true WHEN "
                 "MATCHED THEN DELETE) SELECT 1",
                 "MERGE");
    both_refused("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "INSERT");
    both_refused("WITH a AS (SELECT 1) DELETE FROM t", "DELETE");
    both_refused("WITH a(x) AS (SELECT 1) UPDATE t SET y = 1", "UPDATE");
    both_refused("SELECT * FROM t FOR UPDATE", "row locks");
    both_refused("SELECT * INTO new_table FROM t", "INTO");
    both_refused("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", "INSERT");
    both_refused("EXPLAIN (ANALYZE) DELETE FROM t", "DELETE");
    both_refused("EXPLAIN CREATE TABLE x AS SELECT 1", "CREATE");
    both_refused("EXPLAIN EXPLAIN DROP TABLE x", "DROP");
    /* a CTE that only mentions the words in strings or names is a read */
    both_accepted("WITH d AS (SELECT 'DELETE' AS \"insert\") SELECT * FROM d");
}

static void test_no_statement_and_unterminated(void **state)
{
    (void)state;
    both_refused("", "no statement");
    both_refused("   ", "no statement");
    both_refused("-- nothing", "no statement");
    both_refused(";", "no statement");
    both_refused("()", "only SELECT");
    both_refused("'SELECT'", "only SELECT");
    both_refused("42", "only SELECT");
    both_refused("SELECT 'open", "a string starting at line 1, column 8 (byte 7) is not "
                                 "terminated");
    both_refused("SELECT E'open\\'", "a string");
    both_refused("SELECT \"open", "a quoted identifier");
    both_refused("SELECT 1 /* open /* nested */", "a comment starting at line 1, column 10");
    both_refused("SELECT $x$ open $y$", "a dollar-quoted string");
    both_refused("EXPLAIN (ANALYZE", "EXPLAIN options are not closed");
    refused(NULL, DUCK, "no statement");
    /* non-printable bytes never reach the message */
    refused("\x01\x02", DUCK, "only SELECT");
    refused("DROP\ttable", DUCK, "DROP");
}

static void test_long_words_shortened(void **state)
{
    (void)state;
    char sql[200];
    memset(sql, 'x', 100);
    sql[100] = '\0';
    refused(sql, DUCK, "XXXXXXXXXXXXXXXXXXXXXXXX... at line 1");
    assert_true(strlen(dltc_error_last()->message) < 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_accepted),
        cmocka_unit_test(test_strings_and_quotes_skipped),
        cmocka_unit_test(test_writes_refused),
        cmocka_unit_test(test_second_statement_refused),
        cmocka_unit_test(test_with_data_modifying_refused),
        cmocka_unit_test(test_no_statement_and_unterminated),
        cmocka_unit_test(test_long_words_shortened),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
