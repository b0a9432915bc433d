/*
 * DuckDB reference load (see bench_duckdb.h).
 */
#include "bench_duckdb.h"

#include <duckdb.h>
#include <stdio.h>
#include <string.h>

/* Append `s` to out[*len] as the body of a SQL string literal (quotes doubled). */
static int sql_quote(char *out, size_t cap, size_t *len, const char *s)
{
    for (; *s; s++) {
        if (*len + 3 >= cap) return -1;
        if (*s == '\'') out[(*len)++] = '\'';
        out[(*len)++] = *s;
    }
    out[*len] = '\0';
    return 0;
}

static int run_sql(bench_result *res, duckdb_connection con, const char *sql)
{
    duckdb_result r;
    if (duckdb_query(con, sql, &r) == DuckDBError) {
        const char *msg = duckdb_result_error(&r);
        snprintf(res->error, sizeof(res->error), "duckdb: %s", msg ? msg : "query failed");
        duckdb_destroy_result(&r);
        return -1;
    }
    duckdb_destroy_result(&r);
    return 0;
}

static int count_rows(bench_result *res, const char *db_path, const char *table)
{
    duckdb_database db = NULL;
    duckdb_connection con = NULL;
    duckdb_result r;
    char sql[256];
    int rc = -1;
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", table);
    if (duckdb_open(db_path, &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) {
        snprintf(res->error, sizeof(res->error), "duckdb: cannot reopen %s", db_path);
        goto done;
    }
    if (duckdb_query(con, sql, &r) == DuckDBError) {
        snprintf(res->error, sizeof(res->error), "duckdb: %s", duckdb_result_error(&r));
    } else {
        res->rows = (uint64_t)duckdb_value_int64(&r, 0, 0);
        rc = 0;
    }
    duckdb_destroy_result(&r);
done:
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}

/* CREATE TABLE "<table>" AS SELECT * FROM <reader>('<path>'<options>) into a fresh db_path. */
static int ctas(bench_result *res, const char *reader, const char *path, const char *options,
                const char *db_path, const char *table)
{
    char sql[8192];
    size_t len = 0;
    int n = snprintf(sql, sizeof(sql), "CREATE TABLE \"%s\" AS SELECT * FROM %s('", table,
                     reader);
    if (n < 0 || (size_t)n >= sizeof(sql)) goto too_long;
    len = (size_t)n;
    if (sql_quote(sql, sizeof(sql), &len, path) != 0) goto too_long;
    n = snprintf(sql + len, sizeof(sql) - len, "'%s)", options);
    if (n < 0 || (size_t)n >= sizeof(sql) - len) goto too_long;

    char wal[4096];
    snprintf(wal, sizeof(wal), "%s.wal", db_path);
    if (bench_rmtree(db_path) != 0 || bench_rmtree(wal) != 0) {
        snprintf(res->error, sizeof(res->error), "cannot remove old %s", db_path);
        return -1;
    }

    duckdb_database db = NULL;
    duckdb_connection con = NULL;
    double t0 = bench_now();
    if (duckdb_open(db_path, &db) == DuckDBError) {
        snprintf(res->error, sizeof(res->error), "duckdb: cannot open %s", db_path);
        return -1;
    }
    if (duckdb_connect(db, &con) == DuckDBError) {
        snprintf(res->error, sizeof(res->error), "duckdb: cannot connect to %s", db_path);
        duckdb_close(&db);
        return -1;
    }
    int rc = run_sql(res, con, sql);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    res->seconds = bench_now() - t0;
    if (rc != 0) return -1;

    if (count_rows(res, db_path, table) != 0) return -1;
    res->items = res->rows;
    res->tables = 1;
    int64_t size = bench_file_size(db_path);
    res->bytes = size > 0 ? (uint64_t)size : 0;
    return 0;

too_long:
    snprintf(res->error, sizeof(res->error), "path too long: %s", path);
    return -1;
}

int bench_duckdb_ctas(bench_result *res, const char *jsonl_path, const char *db_path,
                      const char *table)
{
    return ctas(res, "read_json", jsonl_path, ", format='newline_delimited'", db_path, table);
}

int bench_duckdb_one_ctas(bench_result *res, const char *json_path, const char *db_path,
                          const char *table)
{
    char opts[96];
    int64_t size = bench_file_size(json_path);
    snprintf(opts, sizeof(opts), ", format='auto', maximum_object_size=%lld",
             (long long)(size > 0 ? size + 1 : 1));
    return ctas(res, "read_json", json_path, opts, db_path, table);
}

int bench_duckdb_csv_ctas(bench_result *res, const char *csv_path, const char *db_path,
                          const char *table)
{
    return ctas(res, "read_csv", csv_path, ", header=true", db_path, table);
}

const char *bench_duckdb_version(void)
{
    return duckdb_library_version();
}
