/*
 * Reading a dataset back: run SQL against the destination and iterate typed rows.
 *
 * A dltc_rows is a fully materialized result (bounded by DLTC_ROWS_MAX_BYTES unless
 * streamed); it is the caller's and freed with dltc_rows_free. Values are lent until the
 * rows are freed. Thread-safety: one thread at a time per object.
 */
#ifndef DLTC_DATASET_H
#define DLTC_DATASET_H

#include "dltc/common.h"
#include "dltc/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_rows dltc_rows;

/* Column metadata. Names and type names are lent (e.g. "BIGINT", "VARCHAR"). */
DLTC_EXTERN size_t dltc_rows_column_count(const dltc_rows *rows);
DLTC_EXTERN const char *dltc_rows_column_name(const dltc_rows *rows, size_t col);
DLTC_EXTERN const char *dltc_rows_column_type(const dltc_rows *rows, size_t col);
DLTC_EXTERN size_t dltc_rows_count(const dltc_rows *rows);
/* Value of (row, col): NULL-typed values have dltc_value_type_of == DLTC_TYPE_NULL.
 * Integers are INT (or BIGINT digits for HUGEINT/DECIMAL(38,0)), floats DOUBLE, text
 * STRING, booleans BOOL, timestamps TIMESTAMP, dates DATE, times TIME, decimals DECIMAL,
 * blobs BINARY, JSON as STRING. */
DLTC_EXTERN const dltc_value *dltc_rows_get(const dltc_rows *rows, size_t row, size_t col);
/* The value rendered as text (as the CLI prints it); lent, valid until the next call on
 * this rows object. "" for NULL. */
DLTC_EXTERN const char *dltc_rows_get_text(dltc_rows *rows, size_t row, size_t col);
DLTC_EXTERN void dltc_rows_free(dltc_rows *rows);

/*
 * A read-only view of a pipeline's dataset at its destination, for browsing it (the local
 * dashboard of `dlt pipeline NAME show`). Thread-safety: one thread at a time per dataset.
 */
struct dltc_pipeline;
typedef struct dltc_dataset dltc_dataset;

/* The rows one dltc_dataset_query keeps when max_rows is 0. */
#define DLTC_DATASET_DEFAULT_ROWS 10000

/* A read-only view of pipeline p's dataset at its destination (duckdb, motherduck, postgres
 * or filesystem). The connection itself is read-only: DuckDB opens the file with
 * access_mode READ_ONLY, without external file access, its configuration locked; Postgres
 * runs each query in a read-only transaction with a statement_timeout; a filesystem dataset
 * is an in-memory DuckDB with views over its files, file access limited to the dataset's
 * folder. *out is the caller's (dltc_dataset_free). p is lent and must outlive the dataset.
 * DLTC_ENOTFOUND when the dataset does not exist yet (no database file, schema or folder). */
DLTC_EXTERN int dltc_dataset_open(dltc_dataset **out, struct dltc_pipeline *p);
/* Run ONE read-only statement (SELECT/WITH/VALUES/TABLE/SHOW/DESCRIBE/EXPLAIN/SUMMARIZE,
 * DuckDB's FROM-first too; Postgres: SELECT/WITH/VALUES/TABLE/SHOW/EXPLAIN). Anything else
 * (INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH, COPY, SET, PRAGMA, INSTALL, LOAD, CALL,
 * CHECKPOINT, EXPORT, two statements, …) is refused with DLTC_EINVALID and a one-line message
 * naming the keyword and its position before it reaches the database, and the connection
 * would refuse it anyway. At most max_rows rows are kept (0: DLTC_DATASET_DEFAULT_ROWS);
 * fetching stops after one more, so a big result is not materialized; *truncated (may be
 * NULL) = 1 when there were more. Unqualified table names resolve inside the dataset.
 * *out is the caller's (dltc_rows_free). */
DLTC_EXTERN int dltc_dataset_query(dltc_dataset *ds, const char *sql, size_t max_rows,
                                   dltc_rows **out, int *truncated);
/* The destination type ("duckdb", "postgres", "motherduck", "filesystem"); lent. */
DLTC_EXTERN const char *dltc_dataset_destination(const dltc_dataset *ds);
/* The dataset's name (the schema, or the filesystem dataset's folder); lent. */
DLTC_EXTERN const char *dltc_dataset_name(const dltc_dataset *ds);
/* Close the connection and free the dataset (NULL accepted). */
DLTC_EXTERN void dltc_dataset_free(dltc_dataset *ds);
/* `name` as a quoted SQL identifier of this dataset's dialect ("a""b"), for building
 * queries. *out is the caller's (dltc_free). DLTC_EINVALID for an empty name. */
DLTC_EXTERN int dltc_dataset_quote_ident(const dltc_dataset *ds, const char *name, char **out);

#ifdef __cplusplus
}
#endif
#endif
