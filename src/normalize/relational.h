/* dlt's relational normalizer: one item → rows of the root table and its nested tables.
 * Flattening, column/variant resolution and row ids; rows go to per-table sinks. */
#ifndef DLTC_NORMALIZE_RELATIONAL_H
#define DLTC_NORMALIZE_RELATIONAL_H

#include "common/arena.h"
#include "formats/value.h"
#include "normalize/writer.h"
#include "schema/schema.h"

typedef struct dltc_relational dltc_relational;

/* Receives every finished row: the table, a per-table pointer the sink owns (NULL the
 * first time; the sink may store its writer there), and the cells. */
typedef int (*dltc_row_sink)(void *payload, dltc_table *table, void **user,
                             const dltc_cell *cells, size_t n);

typedef struct {
    const char *load_id;
    int max_nesting; /* default for tables without x-normalizer.max_nesting */
} dltc_relational_options;

int dltc__relational_new(dltc_relational **out, dltc_schema *schema,
                         const dltc_relational_options *opts, dltc_row_sink sink, void *payload);
void dltc__relational_free(dltc_relational *r);

/* Normalize one item into `root_table` (a normalized table name; created if missing, with
 * the given write disposition when new). Per-item memory comes from `arena`. */
int dltc__relational_item(dltc_relational *r, dltc_table *root_table, const dltc_value *item,
                          dltc_arena *arena);

/* Items are dlt's typed JSON (decoded by the caller; streamed list elements are decoded
 * here). */
void dltc__relational_set_typed(dltc_relational *r, int typed);

/* The sink's per-table pointer for `t` (NULL if the table got no rows). */
void *dltc__relational_user(dltc_relational *r, const dltc_table *t);

#endif
