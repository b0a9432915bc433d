/* The expression language of the rest_api source's processing_steps (filter, map) and of an
 * incremental's convert: small, safe (no loops, no I/O, bounded depth and sizes), evaluated
 * on one record. The grammar, types and functions are in docs/rest_api.md. */
#ifndef DLTC_SOURCES_REST_API_EXPR_H
#define DLTC_SOURCES_REST_API_EXPR_H

#include "common/arena.h"
#include "formats/value.h"

#include <stddef.h>

/* Longest expression text, deepest nesting of the parse, highest tree (operator chains
 * included), longest string a result may hold. */
#define DLTC_RA_EXPR_MAX_LEN 8192
#define DLTC_RA_EXPR_MAX_DEPTH 64
#define DLTC_RA_EXPR_MAX_HEIGHT 256
#define DLTC_RA_EXPR_MAX_STRING ((size_t)16 << 20)
/* Most bytes one evaluation may build in its arena (strings, lists, arguments). */
#define DLTC_RA_EXPR_MAX_BUILD ((size_t)64 << 20)

typedef struct dltc__ra_expr dltc__ra_expr;

/* Compile `text` (len bytes, UTF-8). DLTC_EINVALID with "at <column>: <reason>" (column
 * 1-based, in bytes) when it is not an expression. *out is the caller's. */
int dltc__ra_expr_compile(dltc__ra_expr **out, const char *text, size_t len);
void dltc__ra_expr_free(dltc__ra_expr *e);
/* The text as compiled (NUL-terminated, lent). */
const char *dltc__ra_expr_text(const dltc__ra_expr *e);

/* Evaluate on `record` (any value; field names look into it when it is an object). *out may
 * lend parts of `record`; what the evaluation builds (strings, lists) lives in `a`. A field
 * that does not exist evaluates to null. Errors (a type mismatch, a division by zero, a
 * result over the limits): DLTC_EINVALID / DLTC_ELIMIT with "at <column>: <reason>". */
int dltc__ra_expr_eval(const dltc__ra_expr *e, const dltc_value *record, dltc_arena *a,
                       dltc_value *out);

/* Python's truthiness: null, false, 0, 0.0, "", [] and {} are false. */
int dltc__ra_truthy(const dltc_value *v);

#endif
