/* The load step: one normalized package into the destination, exactly once. All data of the
 * package, the _dlt_version row (new schema hash), the _dlt_pipeline_state row (a job like
 * any other) and the _dlt_loads row are written in ONE transaction; the package is marked
 * loaded on disk after the commit. A package found committed in _dlt_loads (the process died
 * between the commit and the disk update) is only marked loaded, never loaded twice. */
#ifndef DLTC_LOAD_LOADER_H
#define DLTC_LOAD_LOADER_H

#include "common/progress.h"
#include "load/destination.h"
#include "load/merge.h"
#include "package/package.h"
#include "schema/schema.h"

#include <stdint.h>

typedef struct {
    char *table;
    uint64_t rows;
} dltc_table_count;

typedef struct {
    char *load_id;
    int already_loaded;   /* found in _dlt_loads: only the disk state was completed */
    size_t failed_jobs;
    dltc_table_count *counts; /* rows loaded per table (from the job files) */
    size_t ncounts;
} dltc_load_result;

void dltc__load_result_clear(dltc_load_result *r);

/* Insert the _dlt_version row of schema `s` when the newest row of that schema has another
 * hash (db inside the caller's transaction). */
int dltc__load_record_schema(dltc_dest *db, const char *dataset, dltc_schema *s);

/* Load package `load_id` (in load/normalized) into the SQL destination `dest_type` at
 * `location` (load/destination.h), dataset `dataset`, replacing tables with
 * `replace_strategy` (dltc_replace_strategy), counting each file loaded into the progress
 * meter `pg` (NULL: off; the step is begun and ended by the caller). Merge and
 * staging-replace tables are staged in temporary tables and merged by follow-up SQL inside
 * the package's transaction (merge.h). On success the package is in load/loaded. */
int dltc__load_package(dltc_storage *st, const char *load_id, const char *dest_type,
                       const char *location, const char *dataset, int replace_strategy,
                       dltc__progress *pg, dltc_load_result *res);

/* Loading a package while it is still being normalized (pipeline/overlap.c): the package's
 * transaction is opened first and its completed append files are loaded into it as they
 * come; dltc__load_package_early then loads the rest of the normalized package into that
 * same transaction and commits. Nothing is committed before the package is normalized, so
 * a failure or a crash at any point leaves only what a sequential load would. */
typedef struct dltc_load_early dltc_load_early;

/* Open the destination, BEGIN, create the dataset: for package `load_id`. */
int dltc__load_early_begin(dltc_load_early **out, const char *load_id, const char *dest_type,
                           const char *location, const char *dataset);
/* The package it is for (lent). */
const char *dltc__load_early_load_id(const dltc_load_early *e);
/* Create or widen table `t` (a snapshot of the table when the file was complete) and load
 * the file at `path` into it; the file's name is remembered as loaded. */
int dltc__load_early_file(dltc_load_early *e, const dltc_table *t, const char *path);
/* Count each file loaded early into the progress meter `pg` (NULL: off). */
void dltc__load_early_set_progress(dltc_load_early *e, dltc__progress *pg);
/* Files loaded so far. */
size_t dltc__load_early_count(const dltc_load_early *e);
/* Roll back (when not committed) and close. Accepts NULL. */
void dltc__load_early_free(dltc_load_early *e);
/* dltc__load_package continuing the transaction of `e` (which it consumes, committed or
 * rolled back): the files loaded early are skipped, their rows counted. */
int dltc__load_package_early(dltc_storage *st, const char *load_id, const char *dataset,
                             int replace_strategy, dltc_load_early *e, dltc__progress *pg,
                             dltc_load_result *res);

#endif
