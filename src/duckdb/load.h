/* Loading the normalizer's load files into DuckDB tables (load.c). */
#ifndef DLTC_DUCKDB_LOAD_H
#define DLTC_DUCKDB_LOAD_H

#include "duckdb/client.h"
#include "schema/schema.h"

#include <stdint.h>

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

#endif
