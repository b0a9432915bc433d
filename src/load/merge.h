/* Follow-up jobs (dlt's sql_jobs.py): the SQL that moves a table chain's staged rows into
 * the final tables for the merge strategies (delete-insert, upsert, insert-only, scd2) and
 * the staging replace strategies (insert-from-staging, staging-optimized).
 *
 * Staging is per load, not per dataset: the loader puts a package's rows of a staged chain
 * into temporary tables of its own connection named like the final tables
 * (dltc__sql_staging_table), inside the package's transaction, and runs this SQL in the same
 * transaction before the _dlt_loads row. dlt's shared "<dataset>_staging" tables let two
 * pipelines delete each other's staged rows (dlt issue #4297) and outlive a crash; these
 * cannot. The SQL is standard (quoted identifiers, MERGE, CREATE TEMPORARY TABLE … AS) so the
 * Postgres destination can run it too. */
#ifndef DLTC_LOAD_MERGE_H
#define DLTC_LOAD_MERGE_H

#include "common/buf.h"
#include "load/sql.h"
#include "schema/schema.h"

#include <stdint.h>

/* dlt's destination setting replace_strategy. staging-optimized means DROP + CREATE … CLONE
 * where the destination can clone tables (Snowflake, BigQuery); DuckDB and Postgres cannot,
 * so there it is insert-from-staging, as in dlt. */
typedef enum {
    DLTC_REPLACE_TRUNCATE_AND_INSERT = 0, /* dlt's default: truncate, then load directly */
    DLTC_REPLACE_INSERT_FROM_STAGING,
    DLTC_REPLACE_STAGING_OPTIMIZED
} dltc_replace_strategy;

/* NULL or "" is truncate-and-insert. DLTC_EINVALID for an unknown name. */
int dltc__replace_strategy_parse(const char *name, int *out);

/* 1 when the rows of root table `root` go to staging tables and a follow-up job moves them:
 * write disposition merge, or replace with a staging replace strategy. */
int dltc__merge_staged(const dltc_schema *s, dltc_table *root, int replace_strategy);

typedef struct {
    dltc_sql_dialect dialect;
    const char *dataset;
    int replace_strategy;
    int64_t boundary_us; /* the package's created time: scd2's boundary unless the table has
                            x-boundary-timestamp */
} dltc_merge_ctx;

/* Append the follow-up SQL of a chain to `b`, one statement per line, each ending in ";".
 * chain[0] is the root table, then its nested tables, parents before children; every table
 * exists in the destination and has a staging table (empty when the package has no rows for
 * it). DLTC_EINVALID when the chain cannot be merged (e.g. upsert without a primary key), with
 * a message naming the table. */
int dltc__merge_sql(dltc_buf *b, const dltc_merge_ctx *ctx, dltc_schema *s,
                    dltc_table *const *chain, size_t n);

#endif
