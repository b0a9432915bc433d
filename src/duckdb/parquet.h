/* Parquet files through DuckDB's writer (parquet.c), for the normalizer's parquet writer. */
#ifndef DLTC_DUCKDB_PARQUET_H
#define DLTC_DUCKDB_PARQUET_H

#include "schema/schema.h"

/* Write `parquet` (created or truncated, fsynced) with the rows of the jsonl load file
 * `jsonl`, every typed column of `t` with its schema type, through DuckDB's parquet writer
 * (an in-memory database; timestamps UTC-adjusted µs, decimals as parquet decimals). */
int dltc__duckdb_jsonl_to_parquet(const char *jsonl, const char *parquet, const dltc_table *t);

#endif
