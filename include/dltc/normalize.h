/*
 * The relational normalizer: items (JSON text or built values) in, one load file per table
 * out, with an inferred, evolving schema (dlt's `relational` normalizer and snake_case
 * naming). Output files appear only when dltc_normalizer_finish succeeds: until then they
 * are written under a hidden temporary folder inside out_dir, removed on failure.
 *
 * Thread-safety: a normalizer belongs to one thread at a time.
 */
#ifndef DLTC_NORMALIZE_H
#define DLTC_NORMALIZE_H

#include "dltc/common.h"
#include "dltc/value.h"
#include "dltc/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_normalizer dltc_normalizer;

typedef struct {
    unsigned int version;          /* DLTC_NORMALIZE_OPTIONS_VERSION */
    const char *table_name;        /* root table of the items (required; normalized) */
    const char *out_dir;           /* where the per-table files go (required) */
    const char *file_format;       /* "jsonl" (default), "csv", "insert_values", "parquet";
                                      a root table's file_format hint wins */
    int max_table_nesting;         /* < 0: schema/default (1000) */
    const char *write_disposition; /* "append" (default), "replace", "merge", "skip" */
    const char *merge_strategy;    /* "delete-insert" (default), "upsert", "insert-only", "scd2" */
    const char *primary_key;       /* comma-separated column names, or NULL */
    const char *merge_key;         /* comma-separated column names, or NULL */
    const char *load_id;           /* NULL: a new load id (Unix time) */
    const char *file_name_layout;  /* "{table_name}.{ext}" (default) or e.g.
                                      "{table_name}.{file_id}.0.{ext}" for load packages */
} dltc_normalize_options;

#define DLTC_NORMALIZE_OPTIONS_VERSION 1
#define DLTC_NORMALIZE_OPTIONS_INIT                                                            \
    {DLTC_NORMALIZE_OPTIONS_VERSION, NULL, NULL, NULL, -1, NULL, NULL, NULL, NULL, NULL, NULL}

/* A new normalizer writing into `schema` (lent: it must outlive the normalizer; the
 * normalizer adds tables and columns to it). The normalizer is the caller's. */
DLTC_EXTERN int dltc_normalizer_new(dltc_normalizer **out, dltc_schema *schema,
                                    const dltc_normalize_options *opts);

/* Feed JSON text: a JSON array of items, JSON Lines, or one object. Errors carry
 * "<name>:<line>:<col>: <reason>"; `name` (may be NULL) names the input. */
DLTC_EXTERN int dltc_normalizer_feed_json(dltc_normalizer *n, const char *json, size_t len,
                                          const char *name);
/* Feed a file ("-" is standard input), streamed in bounded memory. */
DLTC_EXTERN int dltc_normalizer_feed_file(dltc_normalizer *n, const char *path);
/* Feed one item built with the value API (a non-object item becomes {"value": item}). */
DLTC_EXTERN int dltc_normalizer_feed_value(dltc_normalizer *n, const dltc_value *item);

/* Flush and publish the output files. After a failure of any call, finish refuses and
 * dltc_normalizer_free removes what was written. */
DLTC_EXTERN int dltc_normalizer_finish(dltc_normalizer *n);

/* Results (valid after finish). Names are lent. */
DLTC_EXTERN size_t dltc_normalizer_table_count(const dltc_normalizer *n);
DLTC_EXTERN const char *dltc_normalizer_table_name(const dltc_normalizer *n, size_t i);
DLTC_EXTERN uint64_t dltc_normalizer_table_rows(const dltc_normalizer *n, size_t i);
/* Path of the (first) file written for table i (lent), NULL when it got no rows. */
DLTC_EXTERN const char *dltc_normalizer_table_file(const dltc_normalizer *n, size_t i);
/* Files of table i: csv and insert_values have a fixed column list, so a table whose rows
 * gain a column gets a new file from that row on (jsonl and parquet keep one file). */
DLTC_EXTERN size_t dltc_normalizer_table_file_count(const dltc_normalizer *n, size_t i);
DLTC_EXTERN const char *dltc_normalizer_table_file_at(const dltc_normalizer *n, size_t i,
                                                      size_t k);
DLTC_EXTERN const char *dltc_normalizer_load_id(const dltc_normalizer *n);
/* Total items fed. */
DLTC_EXTERN uint64_t dltc_normalizer_items(const dltc_normalizer *n);

/* Free; discards unpublished output. Accepts NULL. */
DLTC_EXTERN void dltc_normalizer_free(dltc_normalizer *n);

#ifdef __cplusplus
}
#endif
#endif
