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

#endif
