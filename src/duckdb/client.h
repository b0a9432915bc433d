/* The DuckDB client (src/duckdb/): open/close, statements, queries materialized as dltc_rows
 * or streamed in batches, the columns of a table. libduckdb is loaded on first use;
 * duckdb_int.h, the one includer of duckdb.h, says how. Loading load files: load.h; parquet
 * files for the normalizer: parquet.h; the client as a destination connection:
 * load/destinations/duckdb.c. */
#ifndef DLTC_DUCKDB_CLIENT_H
#define DLTC_DUCKDB_CLIENT_H

#include "dltc/dataset.h"

#include <stddef.h>

typedef struct dltc_duckdb dltc_duckdb;

/* Open (create) the database file at `path` (NULL: an in-memory database). A file held by another process fails with
 * DLTC_EDATABASE and a message naming the path and saying it is locked. */
int dltc__duckdb_open(dltc_duckdb **out, const char *path);
/* The same, waiting up to `wait_s` seconds while another process holds the file. */
int dltc__duckdb_open_wait(dltc_duckdb **out, const char *path, double wait_s);
/* The same with access_mode READ_ONLY (files and md: databases; an in-memory database
 * cannot be), not waiting. */
int dltc__duckdb_open_read_only(dltc_duckdb **out, const char *path);
/* How long loads wait for a locked file: DLTC_DUCKDB_LOCK_TIMEOUT (seconds), default 30. */
#define DLTC_DUCKDB_LOCK_TIMEOUT_S 30.0
double dltc__duckdb_lock_timeout(void);
void dltc__duckdb_close(dltc_duckdb *db);
/* The path it was opened with (":memory:" for NULL); lent, valid until the close. */
const char *dltc__duckdb_path(const dltc_duckdb *db);

/* Run one or more statements; DLTC_EDATABASE with DuckDB's message on failure. */
int dltc__duckdb_exec(dltc_duckdb *db, const char *sql);
/* Run a query and materialize the rows (the caller frees them with dltc_rows_free). */
int dltc__duckdb_query(dltc_duckdb *db, const char *sql, dltc_rows **out);
/* One statement, streamed: at most max_rows rows (0: the columns only) into *out, the
 * caller's; *truncated (may be NULL) = 1 when the result had more. */
int dltc__duckdb_query_limited(dltc_duckdb *db, const char *sql, size_t max_rows,
                               dltc_rows **out, int *truncated);

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

#endif
