/*
 * The DuckDB reference of the benchmarks: DuckDB's own JSON (or CSV) reader loading the
 * same rows into a table of a fresh on-disk database. The only bench file that includes
 * duckdb.h.
 */
#ifndef DLTC_BENCH_DUCKDB_H
#define DLTC_BENCH_DUCKDB_H

#include "bench_util.h"

/* `CREATE TABLE <table> AS SELECT * FROM read_json('<jsonl>', format='newline_delimited')`
 * into a new database file `db_path` (removed first if it exists). Times open + create +
 * close (the checkpoint to disk); the row count is read afterwards, outside the timing.
 * Fills res->seconds, items, rows, tables (1) and bytes (database file size). 0 or -1 with
 * res->error set. */
int bench_duckdb_ctas(bench_result *res, const char *jsonl_path, const char *db_path,
                      const char *table);

/* The same for a file holding one JSON object of any size (maximum_object_size = the file's
 * size): one row. */
int bench_duckdb_one_ctas(bench_result *res, const char *json_path, const char *db_path,
                          const char *table);

/* The same with DuckDB's CSV reader: `… AS SELECT * FROM read_csv('<csv>', header=true)`
 * (types sniffed by DuckDB). */
int bench_duckdb_csv_ctas(bench_result *res, const char *csv_path, const char *db_path,
                          const char *table);

/* DuckDB's library version (static string). */
const char *bench_duckdb_version(void);

#endif
