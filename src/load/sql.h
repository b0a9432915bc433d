/* SQL text shared by SQL destinations: identifier and literal quoting, dlt's type mapping,
 * CREATE TABLE / ALTER TABLE from the schema model. Identifiers from data are always quoted
 * here; nothing from data is ever pasted into SQL any other way. */
#ifndef DLTC_LOAD_SQL_H
#define DLTC_LOAD_SQL_H

#include "common/buf.h"
#include "schema/schema.h"

typedef enum { DLTC_SQL_DUCKDB = 1, DLTC_SQL_POSTGRES = 2 } dltc_sql_dialect;

/* "name" with embedded quotes doubled. */
int dltc__sql_ident(dltc_buf *b, const char *name);
/* "dataset"."table" */
int dltc__sql_qualified(dltc_buf *b, const char *dataset, const char *table);
/* 'text' with quotes doubled (standard SQL string literal, no backslash escapes). */
int dltc__sql_string(dltc_buf *b, const char *s, size_t len);
/* The destination type of a column (dlt's mapping for the dialect). */
int dltc__sql_column_type(dltc_buf *b, dltc_sql_dialect d, const dltc_column *c);
/* CREATE TABLE IF NOT EXISTS "ds"."t" ("c" TYPE [NOT NULL], …) for the complete columns. */
int dltc__sql_create_table(dltc_buf *b, dltc_sql_dialect d, const char *dataset,
                           const dltc_table *t);
/* ALTER TABLE "ds"."t" ADD COLUMN "c" TYPE for column `col` of t (nullable: dlt adds
 * columns to tables that may hold rows). */
int dltc__sql_add_column(dltc_buf *b, dltc_sql_dialect d, const char *dataset,
                         const dltc_table *t, size_t col);

/* Staging (follow-up jobs): a package's staged rows live in temporary tables of the loading
 * connection named like the final table, so they belong to one load and vanish with the
 * connection or the rolled-back transaction (not dlt's shared "<dataset>_staging").
 * The qualified name of the temporary table `table`: "temp"."main"."t" (DuckDB),
 * "pg_temp"."t" (Postgres). */
int dltc__sql_staging_table(dltc_buf *b, dltc_sql_dialect d, const char *table);
/* CREATE TEMPORARY TABLE "t" (…) with the complete columns of t and their destination types,
 * all nullable (the validity columns of scd2 are filled at merge); Postgres adds ON COMMIT
 * DROP. */
int dltc__sql_create_staging_table(dltc_buf *b, dltc_sql_dialect d, const dltc_table *t);
/* CAST('<ISO-8601 UTC>' AS <type of column c>) for a timestamp in µs since the epoch. */
int dltc__sql_timestamp_literal(dltc_buf *b, dltc_sql_dialect d, const dltc_column *c,
                                int64_t us);

#endif
