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

#ifdef __cplusplus
}
#endif
#endif
