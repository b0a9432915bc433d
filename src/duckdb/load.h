/* Loading the normalizer's load files into DuckDB tables (load.c). */
#ifndef DLTC_DUCKDB_LOAD_H
#define DLTC_DUCKDB_LOAD_H

#include "duckdb/client.h"
#include "schema/schema.h"

#include <stdint.h>

/* Settings for a loading connection: parallel inserts (no insertion order), freed memory
 * handed back to the system after each task, and the memory limit (DLTC_DUCKDB_MEMORY_LIMIT,
 * default DLTC_DUCKDB_LOAD_MEMORY; DuckDB spills beyond). */
#define DLTC_DUCKDB_LOAD_MEMORY "160MB"
int dltc__duckdb_prepare_load(dltc_duckdb *db);

/* Open (create) the database file at `path` for loading, waiting like dltc__duckdb_open_wait:
 * the settings of dltc__duckdb_prepare_load, and the file attached to an in-memory database
 * with row groups of DLTC_DUCKDB_LOAD_ROW_GROUP rows (DuckDB's default is 122,880;
 * DLTC_DUCKDB_ROW_GROUP_SIZE changes it, 0 opens the file itself), so that DuckDB
 * compresses a few MB at a time: a full row group of wide rows took 100+ MB outside the
 * memory limit. The attached file is the connection's default database (USE), under the
 * name DuckDB would give it. NULL, ":memory:" and md: paths are opened as they are. */
#define DLTC_DUCKDB_LOAD_ROW_GROUP 16384
int dltc__duckdb_open_load(dltc_duckdb **out, const char *path, double wait_s);

/* Insert the rows of a load file written by the normalizer for table `t` ("jsonl", "csv",
 * "parquet" or "insert_values") into "dataset"."<t->name>" (the table exists with at least
 * the file's columns). Text formats are typed by t's columns. *rows (may be NULL) gets the
 * number of rows inserted. dataset NULL loads into the connection's temporary table named
 * t->name (a package's staging table, see dltc__sql_staging_table). */
int dltc__duckdb_load_file(dltc_duckdb *db, const char *dataset, const dltc_table *t,
                           const char *path, const char *format, uint64_t *rows);

#endif
