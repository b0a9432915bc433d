/* dlt's x- hints that merge and replace read back from the schema (hints.c): the scd2
 * columns (x-valid-from, x-valid-to with x-active-record-timestamp, x-row-version) and table
 * hints kept among a table's extra keys (x-boundary-timestamp, x-stage-data-deduplicated).
 * They are stored in the schema document exactly where dlt stores them. */
#ifndef DLTC_SCHEMA_HINTS_H
#define DLTC_SCHEMA_HINTS_H

#include "common/arena.h"
#include "formats/value.h"
#include "schema/schema.h"

/* The value of key `key` in a kept-keys JSON object text (a column's or table's
 * extra_json): *out is NULL when the key is absent (or the text is NULL), else a value in
 * `a`. */
int dltc__extra_get(const char *extra_json, const char *key, dltc_arena *a,
                    const dltc_value **out);
/* 1 when the kept key `key` of column c is JSON true. */
int dltc__column_x_flag(const dltc_column *c, const char *key);
/* Index of the first column of t whose kept key `key` is true; -1 if none. */
long dltc__table_x_column(const dltc_table *t, const char *key);

/* Root-row _dlt_id of a table (dlt's get_root_row_id_type): random, the primary-key hash
 * (merge strategies upsert and insert-only) or the row hash (scd2 whose row version column
 * is _dlt_id). */
typedef enum { DLTC_ROW_ID_RANDOM = 0, DLTC_ROW_ID_KEY_HASH, DLTC_ROW_ID_ROW_HASH } dltc_row_id_type;
int dltc__table_row_id_type(const dltc_schema *s, dltc_table *root);

#endif
