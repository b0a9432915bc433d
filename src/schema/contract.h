/* Schema contracts (dlt's schema_contract): what normalize may do when data would create a
 * table, add a column to a table, or need a variant / another type in a complete column. */
#ifndef DLTC_SCHEMA_CONTRACT_H
#define DLTC_SCHEMA_CONTRACT_H

#include "formats/value.h"
#include "schema/schema.h"

typedef enum {
    DLTC_CONTRACT_EVOLVE = 0,
    DLTC_CONTRACT_FREEZE,
    DLTC_CONTRACT_DISCARD_ROW,
    DLTC_CONTRACT_DISCARD_VALUE
} dltc_contract_mode;

/* Entities, and the bits of a partial contract that are set. */
enum { DLTC_CONTRACT_TABLES = 1, DLTC_CONTRACT_COLUMNS = 2, DLTC_CONTRACT_DATA_TYPE = 4 };

typedef struct {
    uint8_t tables, columns, data_type; /* dltc_contract_mode */
    uint8_t set;                        /* DLTC_CONTRACT_* bits given */
} dltc_contract;

/* "evolve" etc. for all three, or an object {"tables": …, "columns": …, "data_type": …}
 * (any subset). Errors name `where`. */
int dltc__contract_from_value(const dltc_value *v, const char *where, dltc_contract *out);
/* The same from text: a bare mode name, or JSON. */
int dltc__contract_parse(const char *text, const char *where, dltc_contract *out);
/* `hi` over `lo` for each entity `hi` sets. */
void dltc__contract_merge(dltc_contract *lo, const dltc_contract *hi);
/* The contract in force for rows of table `t`: the run's override, then the root table's
 * schema_contract, then the schema's settings, then evolve. */
int dltc__contract_resolve(const dltc_schema *s, dltc_table *t, const dltc_contract *run,
                           dltc_contract *out);
/* Store `c` as the root table's schema_contract (dlt's table hint). */
int dltc__contract_set_table(dltc_schema *s, dltc_table *t, const dltc_contract *c);
/* A table is new (its columns may still evolve) while it has no complete column. */
int dltc__contract_table_is_new(const dltc_table *t);
const char *dltc__contract_mode_name(int mode);

#endif
