/* The DuckDB client: the only code that includes duckdb.h (besides bench/). */
#ifndef DLTC_LOAD_DUCKDB_H
#define DLTC_LOAD_DUCKDB_H

#include "dltc/dataset.h"
#include "schema/schema.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dltc_duckdb dltc_duckdb;

/* Open (create) the database file at `path` (NULL: an in-memory database). A file held by another process fails with
 * DLTC_EDATABASE and a message naming the path and saying it is locked. */
int dltc__duckdb_open(dltc_duckdb **out, const char *path);
/* The same, waiting up to `wait_s` seconds while another process holds the file. */
int dltc__duckdb_open_wait(dltc_duckdb **out, const char *path, double wait_s);
/* How long loads wait for a locked file: DLTC_DUCKDB_LOCK_TIMEOUT (seconds), default 30. */
#define DLTC_DUCKDB_LOCK_TIMEOUT_S 30.0
double dltc__duckdb_lock_timeout(void);
void dltc__duckdb_close(dltc_duckdb *db);

/* Run one or more statements; DLTC_EDATABASE with DuckDB's message on failure. */
int dltc__duckdb_exec(dltc_duckdb *db, const char *sql);
/* Run a query and materialize the rows (the caller frees them with dltc_rows_free). */
int dltc__duckdb_query(dltc_duckdb *db, const char *sql, dltc_rows **out);

/* A query whose rows are fetched in batches from DuckDB's streaming result: DuckDB computes
 * the next data chunks on demand, so memory stays bounded for any result size. The stream is
 * the caller's (dltc__duckdb_stream_close); `db` must outlive it and run nothing else
 * meanwhile. Errors (also those met while fetching) are DLTC_EDATABASE with DuckDB's message
 * on one line. */
typedef struct dltc_duckdb_stream dltc_duckdb_stream;
int dltc__duckdb_stream_open(dltc_duckdb_stream **out, dltc_duckdb *db, const char *sql);
size_t dltc__duckdb_stream_columns(const dltc_duckdb_stream *s);
/* The next 1..max_rows rows (typed as dltc__duckdb_query's) as a new dltc_rows, the caller's;
 * DLTC_ITEROVER once the result is exhausted. */
int dltc__duckdb_stream_next(dltc_duckdb_stream *s, size_t max_rows, dltc_rows **out);
void dltc__duckdb_stream_close(dltc_duckdb_stream *s);

/* Names of the columns of "dataset"."table" (dataset NULL: the connection's temporary table
 * `table`) as they exist in the database; *exists = 0 and
 * no names when the table does not exist. *names is the caller's: free each and the array
 * with dltc__free. */
/* *yes = 1 when "dataset"."table" exists. */
int dltc__duckdb_table_exists(dltc_duckdb *db, const char *dataset, const char *table, int *yes);
int dltc__duckdb_table_columns(dltc_duckdb *db, const char *dataset, const char *table,
                               char ***names, size_t *n, int *exists);

/* Settings for a loading connection: parallel inserts (no insertion order) and the memory
 * limit (DLTC_DUCKDB_MEMORY_LIMIT, default DLTC_DUCKDB_LOAD_MEMORY; DuckDB spills beyond). */
#define DLTC_DUCKDB_LOAD_MEMORY "256MB"
int dltc__duckdb_prepare_load(dltc_duckdb *db);

/* Insert the rows of a load file written by the normalizer for table `t` ("jsonl", "csv",
 * "parquet" or "insert_values") into "dataset"."<t->name>" (the table exists with at least
 * the file's columns). Text formats are typed by t's columns. *rows (may be NULL) gets the
 * number of rows inserted. dataset NULL loads into the connection's temporary table named
 * t->name (a package's staging table, see dltc__sql_staging_table). */
int dltc__duckdb_load_file(dltc_duckdb *db, const char *dataset, const dltc_table *t,
                           const char *path, const char *format, uint64_t *rows);

/* Write `parquet` (created or truncated, fsynced) with the rows of the jsonl load file
 * `jsonl`, every typed column of `t` with its schema type, through DuckDB's parquet writer
 * (an in-memory database; timestamps UTC-adjusted µs, decimals as parquet decimals). */
int dltc__duckdb_jsonl_to_parquet(const char *jsonl, const char *parquet, const dltc_table *t);

#endif
