/*
 * Pipelines: extract → normalize → load into a destination, with durable load packages in
 * the pipeline's working directory (<pipelines_dir>/<name>).
 *
 * Thread-safety: a pipeline belongs to one thread at a time. Ownership: what comes back
 * through **out is the caller's and is freed with the matching _free (NULL accepted).
 */
#ifndef DLTC_PIPELINE_H
#define DLTC_PIPELINE_H

#include "dltc/common.h"
#include "dltc/dataset.h"
#include "dltc/progress.h"
#include "dltc/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_pipeline dltc_pipeline;
typedef struct dltc_load_info dltc_load_info;

typedef struct {
    unsigned int version;          /* DLTC_PIPELINE_OPTIONS_VERSION */
    const char *destination;       /* "duckdb" (default) */
    const char *dataset_name;      /* default "<pipeline name>_dataset" */
    const char *pipelines_dir;     /* default $DLT_DATA_DIR/pipelines, else dlt's data dir rules */
    const char *credentials;       /* duckdb: database path; default <cwd>/<pipeline name>.duckdb */
    const char *loader_file_format;/* default: the destination's preferred format */
    const char *replace_strategy;  /* dlt's destination replace_strategy: truncate-and-insert
                                      (default), insert-from-staging, staging-optimized */
    const char *progress;          /* dlt's pipeline `progress`: a reporter name of
                                      dltc_pipeline_set_progress_reporter (dltc/progress.h);
                                      NULL: config `progress` (the pipeline's section first,
                                      env PROGRESS), else off */
} dltc_pipeline_options;

#define DLTC_PIPELINE_OPTIONS_VERSION 1
#define DLTC_PIPELINE_OPTIONS_INIT                                                             \
    {DLTC_PIPELINE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL}

/* Open (create) the pipeline `name` with dlt's defaults. */
DLTC_EXTERN int dltc_pipeline_open(dltc_pipeline **out, const char *name,
                                   const dltc_pipeline_options *opts);
DLTC_EXTERN void dltc_pipeline_free(dltc_pipeline *p);

/* Hints for plain data loaded with dltc_pipeline_run_json / _run_files. */
typedef struct {
    unsigned int version;          /* DLTC_RUN_OPTIONS_VERSION */
    const char *table_name;        /* required */
    const char *write_disposition; /* append (default), replace, merge, skip */
    const char *merge_strategy;
    const char *primary_key;       /* comma-separated */
    const char *merge_key;
    int max_table_nesting;         /* < 0: default */
    const char *columns;           /* column hints (JSON object, as dltc_resource_options) */
    const char *file_format;       /* loader file format of this table (default: pipeline's) */
    const char *schema_contract;   /* as dltc_resource_options.schema_contract */
    /* An incremental cursor over the items (dlt.sources.incremental): the input is then read
     * item by item in extract (the state key is the table name), instead of copied. */
    const struct dltc_incremental_options *incremental;
} dltc_run_options;

#define DLTC_RUN_OPTIONS_VERSION 1
#define DLTC_RUN_OPTIONS_INIT {DLTC_RUN_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, -1, NULL, NULL, NULL, NULL}

/* The quick start: load JSON text (array, JSON Lines or one object) into a table, running
 * extract → normalize → load. Pending packages of an earlier run that died are finished
 * first. *info (may be NULL) describes the run. */
DLTC_EXTERN int dltc_pipeline_run_json(dltc_pipeline *p, const char *json, size_t len,
                                       const dltc_run_options *opts, dltc_load_info **info);
/* The same from files ("-" is standard input), streamed. */
DLTC_EXTERN int dltc_pipeline_run_files(dltc_pipeline *p, const char *const *paths, size_t n,
                                        const dltc_run_options *opts, dltc_load_info **info);

/* Run the selected resources of a source: extract (calling the resources) → normalize →
 * load, finishing pending packages first. In this version every table goes to the
 * pipeline's default schema (as dlt does for standalone resources). */
struct dltc_source;
DLTC_EXTERN int dltc_pipeline_run_source(dltc_pipeline *p, struct dltc_source *src,
                                         dltc_load_info **info);

/* Run SQL against the pipeline's dataset (the dataset is the default schema). */
DLTC_EXTERN int dltc_pipeline_query(dltc_pipeline *p, const char *sql, dltc_rows **out);

/* dlt's sync: take the pipeline state and schemas from the destination (the newest state
 * committed with a completed load). Every run does this by itself before it extracts, when
 * the destination's state is newer; this call does it unconditionally. Refused while packages
 * are pending. *restored (may be NULL) = 1 when the state was taken. */
DLTC_EXTERN int dltc_pipeline_sync(dltc_pipeline *p, int *restored);

/* The pipelines dir dlt would use (from $DLT_DATA_DIR etc.); *out is the caller's
 * (dltc_free). */
DLTC_EXTERN int dltc_pipelines_dir(char **out);
/* 1 when <pipelines_dir>/<name> exists (pipelines_dir NULL: the default), 0 if not. */
DLTC_EXTERN int dltc_pipeline_exists(const char *pipelines_dir, const char *name);
/* `dlt pipeline NAME info` as text: working dir, state, schemas and resources, tables with
 * row counts in the destination, packages by stage. *out is the caller's (dltc_free). */
DLTC_EXTERN int dltc_pipeline_info(dltc_pipeline *p, int verbose, char **out);
/* The pipeline's default schema document (YAML, or JSON when json != 0). */
DLTC_EXTERN int dltc_pipeline_schema_export(dltc_pipeline *p, char **out, int json);

/* `dlt pipeline NAME trace`: the last run's start, steps with their times and status, the
 * error of a failed run, and the load info. DLTC_ENOTFOUND when no run was traced. *out is
 * the caller's (dltc_free). */
DLTC_EXTERN int dltc_pipeline_trace(dltc_pipeline *p, char **out);

/* Load info in dlt's shape ("Pipeline … load step completed in …"). *out is the caller's
 * (dltc_free). */
DLTC_EXTERN int dltc_load_info_format(char **out, const dltc_load_info *info);
DLTC_EXTERN void dltc_load_info_free(dltc_load_info *info);

/* `dlt pipeline NAME load-package [LOAD_ID]` as text, in dlt's words: where the package is,
 * its state (EXTRACTED, NORMALIZED, LOADED or ABORTED), the tables it updated, and its jobs
 * with state, file type and size. load_id NULL: the newest package in any stage.
 * DLTC_ENOTFOUND when there is no such package. *out is the caller's (dltc_free). */
DLTC_EXTERN int dltc_pipeline_load_package_info(dltc_pipeline *p, const char *load_id,
                                                char **out);
/* `dlt pipeline NAME failed-jobs` as text: for each loaded and then each normalized package
 * its failed jobs (job id, table, file type, path, the error text) or "No failed jobs
 * found". *out is the caller's (dltc_free). */
DLTC_EXTERN int dltc_pipeline_failed_jobs(dltc_pipeline *p, char **out);
/* Delete the extracted and normalized packages (and the run marker of a run that died); the
 * destination, the schema and the state are not touched, as dlt. Takes the pipeline lock.
 * *count (may be NULL) is the number deleted; *out (may be NULL) lists them, one line each
 * (the caller's, dltc_free). */
DLTC_EXTERN int dltc_pipeline_drop_pending_packages(dltc_pipeline *p, size_t *count,
                                                    char **out);
/* Drop the root tables `tables` and their nested tables: with apply != 0 from the destination
 * (one transaction, children first, with a _dlt_version row for the new schema) and from the
 * pipeline schema (saved with a new version); resource state would be reset (there is none
 * yet). With apply == 0 nothing changes. *out describes the plan (and the result); it is the
 * caller's (dltc_free). DLTC_ENOTFOUND for a table not in the schema, DLTC_EINVALID for a
 * system (_dlt_*) or nested table, or (apply) when packages are pending. Takes the pipeline
 * lock when applying. */
DLTC_EXTERN int dltc_pipeline_drop_tables(dltc_pipeline *p, const char *const *tables, size_t n,
                                          int apply, char **out);

/* ---- the steps one at a time (dlt's pipeline.extract / normalize / load) ----
 * Each takes the pipeline lock and leaves the packages in the working dir for the next step;
 * dltc_pipeline_run_source does all three (and finishes what an earlier run left). *info (may
 * be NULL) lists the packages the step handled (state EXTRACTED, NORMALIZED or LOADED) and,
 * for load, the rows per table. */
DLTC_EXTERN int dltc_pipeline_extract(dltc_pipeline *p, struct dltc_source *src,
                                      dltc_load_info **info);
DLTC_EXTERN int dltc_pipeline_normalize(dltc_pipeline *p, dltc_load_info **info);
DLTC_EXTERN int dltc_pipeline_load(dltc_pipeline *p, dltc_load_info **info);

/* Accessors (lent, valid while the pipeline lives). The location is the destination as shown
 * (duckdb:////abs/path.duckdb, postgresql://loader:***@host:5432/db): never a secret. */
DLTC_EXTERN const char *dltc_pipeline_name(const dltc_pipeline *p);
DLTC_EXTERN const char *dltc_pipeline_dataset_name(const dltc_pipeline *p);
DLTC_EXTERN const char *dltc_pipeline_destination(const dltc_pipeline *p);
DLTC_EXTERN const char *dltc_pipeline_location(const dltc_pipeline *p);
DLTC_EXTERN const char *dltc_pipeline_working_dir(const dltc_pipeline *p);
DLTC_EXTERN const char *dltc_pipeline_pipelines_dir(const dltc_pipeline *p);
DLTC_EXTERN const char *dltc_pipeline_schema_name(const dltc_pipeline *p);
/* 1 until the pipeline's first load completed. */
DLTC_EXTERN int dltc_pipeline_first_run(const dltc_pipeline *p);
/* The pipeline state as dlt's typed JSON without `_local` (what pipeline.state shows). *out
 * is the caller's (dltc_free). */
DLTC_EXTERN int dltc_pipeline_state_json(dltc_pipeline *p, char **out);
/* The same as values made in `doc`: typed JSON decoded (datetimes, dates, times, decimals,
 * bytes come back typed). *out is lent until the doc is cleared or freed. */
DLTC_EXTERN int dltc_pipeline_state(dltc_pipeline *p, dltc_doc *doc, const dltc_value **out);

/* A run ledger: append one row (run_at TIMESTAMPTZ = now, pipeline_name, dataset_name,
 * load_info = dltc_load_info_format's text) to `table` in the dataset, created when missing.
 * DuckDB, MotherDuck and Postgres; the filesystem destination has no SQL writes
 * (DLTC_EINVALID). `table` is quoted, never pasted. */
DLTC_EXTERN int dltc_pipeline_ledger_append(dltc_pipeline *p, const char *table,
                                            const dltc_load_info *info);

/* dlt's sql_client().execute_sql: run one statement in the dataset (the default schema,
 * created when missing) with `params` (an ARRAY, or NULL for none) for its %s placeholders
 * (%% is a %), bound as escaped literals, never pasted. Writes are kept (DuckDB, Postgres);
 * the filesystem destination is read through views. *out (may be NULL) gets the rows. */
DLTC_EXTERN int dltc_pipeline_execute(dltc_pipeline *p, const char *sql,
                                      const dltc_value *params, dltc_rows **out);

/* Load info accessors (lent, valid until dltc_load_info_free). */
DLTC_EXTERN const char *dltc_load_info_pipeline_name(const dltc_load_info *info);
DLTC_EXTERN const char *dltc_load_info_dataset_name(const dltc_load_info *info);
DLTC_EXTERN const char *dltc_load_info_destination_name(const dltc_load_info *info);
DLTC_EXTERN const char *dltc_load_info_destination_type(const dltc_load_info *info);
DLTC_EXTERN const char *dltc_load_info_location(const dltc_load_info *info);
DLTC_EXTERN double dltc_load_info_elapsed(const dltc_load_info *info);
DLTC_EXTERN size_t dltc_load_info_package_count(const dltc_load_info *info);
DLTC_EXTERN const char *dltc_load_info_package_id(const dltc_load_info *info, size_t i);
/* "LOADED", "EXTRACTED", "NORMALIZED" */
DLTC_EXTERN const char *dltc_load_info_package_state(const dltc_load_info *info, size_t i);
DLTC_EXTERN size_t dltc_load_info_package_failed_jobs(const dltc_load_info *info, size_t i);
/* Rows loaded per table (nested tables included), in the order first seen. */
DLTC_EXTERN size_t dltc_load_info_table_count(const dltc_load_info *info);
DLTC_EXTERN const char *dltc_load_info_table_name(const dltc_load_info *info, size_t i);
DLTC_EXTERN uint64_t dltc_load_info_table_rows(const dltc_load_info *info, size_t i);
/* The jobs (load files) of package i: the file name ("users.1a2b3c4d5e.0.jsonl"), its table
 * and its state ("new_jobs" before the load, "completed_jobs", "failed_jobs"). Out of range:
 * 0 / NULL. */
DLTC_EXTERN size_t dltc_load_info_job_count(const dltc_load_info *info, size_t package);
DLTC_EXTERN const char *dltc_load_info_job_name(const dltc_load_info *info, size_t package,
                                                size_t job);
DLTC_EXTERN const char *dltc_load_info_job_table(const dltc_load_info *info, size_t package,
                                                 size_t job);
DLTC_EXTERN const char *dltc_load_info_job_state(const dltc_load_info *info, size_t package,
                                                 size_t job);
/* Rows loaded per table by package i alone (loaded packages; 0 tables otherwise). */
DLTC_EXTERN size_t dltc_load_info_package_table_count(const dltc_load_info *info,
                                                      size_t package);
DLTC_EXTERN const char *dltc_load_info_package_table_name(const dltc_load_info *info,
                                                          size_t package, size_t k);
DLTC_EXTERN uint64_t dltc_load_info_package_table_rows(const dltc_load_info *info,
                                                       size_t package, size_t k);

#ifdef __cplusplus
}
#endif
#endif
