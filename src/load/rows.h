/* Builders of dltc_rows (include/dltc/dataset.h) for the destinations: a result is made
 * column by column (names, type names), then row by row; strings and bytes go into the
 * result's arena. */
#ifndef DLTC_LOAD_ROWS_H
#define DLTC_LOAD_ROWS_H

#include "dltc/dataset.h"
#include "formats/value.h"

#include <stddef.h>

/* Upper bound of one materialized result (cells + strings). */
#define DLTC_ROWS_MAX_BYTES ((size_t)1 << 30)

/* A new empty result with `ncols` columns (names and types still NULL). */
int dltc__rows_new(dltc_rows **out, size_t ncols);
/* Name and type name of column `col` (copied). */
int dltc__rows_set_column(dltc_rows *rows, size_t col, const char *name, const char *type);
/* Append a row: *out points at its ncols values, all NULL-typed; valid until the next append.
 * DLTC_ELIMIT past DLTC_ROWS_MAX_BYTES. */
int dltc__rows_add_row(dltc_rows *rows, dltc_value **out);
/* Copy `len` bytes (NUL added) into the result's arena; NULL with the last error set. */
const char *dltc__rows_copy(dltc_rows *rows, const void *data, size_t len);

/* Set v to a copied string / big integer digits / decimal text / bytes (type is a
 * DLTC_TYPE_*). 0 or an error. */
int dltc__rows_set_bytes(dltc_rows *rows, dltc_value *v, int type, const void *data, size_t len);

#endif
