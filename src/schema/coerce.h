/* Data type inference for new columns and coercion into existing ones, as dlt 1.26 does it
 * (dlt/common/schema/schema.py coerce_row, detections.py, data_types/type_helpers.py). */
#ifndef DLTC_SCHEMA_COERCE_H
#define DLTC_SCHEMA_COERCE_H

#include "common/arena.h"
#include "formats/value.h"
#include "schema/schema.h"

/* dlt's "python type" of a value as a data type name index: STRING→text, INT→bigint,
 * DOUBLE→double, BOOL→bool, ARRAY/OBJECT→json, … An integer beyond int64 is a `wei` when it
 * fits wei's range, else `text` (dlt's large_integer detection, applied always: dlt itself
 * fails on such values). */
int dltc__py_type(const dltc_value *v);

/* Data type of a new column for value `v` (not NULL): detections, then the python type,
 * then the preferred type of the column name (unless skip_preferred, as for variants). */
int dltc__infer_data_type(const dltc_schema *s, const char *col, size_t len, const dltc_value *v,
                          int skip_preferred);

/* Coerce `v` into `col`'s type. 0 and *out on success (out may share storage with v; extra
 * storage comes from `a`); 1 when the value does not coerce (the caller makes a variant);
 * negative on an error (out of memory). */
int dltc__coerce_value(dltc_arena *a, const dltc_column *col, const dltc_value *v,
                       dltc_value *out);

#endif
