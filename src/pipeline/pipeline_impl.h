/* The pipeline object, shared by the pipeline's files (run, info, query). */
#ifndef DLTC_PIPELINE_IMPL_H
#define DLTC_PIPELINE_IMPL_H

#include "dltc/pipeline.h"
#include "common/buf.h"
#include "extract/state.h"
#include "load/destination.h"
#include "load/destinations/registry.h"
#include "load/loader.h"
#include "normalize/normalizer_int.h"
#include "package/package.h"
#include "schema/schema.h"

#include <stdint.h>

struct dltc_pipeline {
    char *name;
    char *pipelines_dir;
    char *working_dir;
    char *dataset;
    char *destination;  /* its name: "duckdb", "postgres", … */
    const dltc_destination *dest; /* its entry (load/destinations/registry.h) */
    void *dest_settings;          /* the entry's resolved settings (NULL: none) */
    char *location;     /* what the destination opens: DuckDB's absolute path, a libpq
                           connection string (may hold a password: never shown) */
    dltc_buf display;   /* the location as shown: duckdb:///path, postgresql://u:***@h/db */
    char *dest_error;   /* credentials not configured: the error, raised only when the
                           destination is needed (local commands work without them) */
    int dest_error_code;
    char *file_format;  /* loader file format */
    uint64_t file_max_items; /* normalize.data_writer.file_max_items; 0 = no limit */
    int replace_strategy; /* dltc_replace_strategy (load/merge.h) */
    char *schema_name;  /* default schema: pipeline name without "_pipeline" */
    char *state_path;
    dltc_storage *storage;
    dltc_state state;
    int lock_fd;
    struct dltc__progress *progress; /* the progress meter, NULL when off (progress.c) */
    struct dltc__reporter *reporter; /* a built-in reporter's state, or NULL */
};

typedef struct {
    char *name;  /* the job file: "<table>.<file id>.<retry>.<format>" */
    char *table;
    const char *state; /* "new_jobs", "completed_jobs", "failed_jobs" (static) */
} dltc_job_info;

typedef struct {
    char *load_id;
    char *status; /* "LOADED" */
    int already_loaded;
    size_t failed_jobs;
    dltc_job_info *jobs;
    size_t njobs;
    dltc_table_count *counts; /* rows loaded per table by this package */
    size_t ncounts;
} dltc_package_info;

/* The jobs of package pk->load_id in `stage` (new ones before load, completed and failed
 * after) into pk->jobs. */
int dltc__load_info_package_jobs(dltc_pipeline *p, dltc_package_info *pk, dltc_stage stage);
/* Free what a package info holds (not pk itself). */
void dltc__package_info_clear(dltc_package_info *pk);

struct dltc_load_info {
    char *pipeline_name;
    char *destination_name;
    char *destination_type;
    char *dataset_name;
    char *location;      /* duckdb:////abs/path.duckdb */
    double elapsed_s;
    size_t pending_completed; /* packages of an earlier run finished first */
    int skipped_reextract;    /* the input was already extracted by the interrupted run */
    int restored;             /* state/schemas came from the destination (fresh working dir) */
    dltc_package_info *packages;
    size_t npackages;
    dltc_table_count *counts;
    size_t ncounts;
};

/* An empty load info of the pipeline (its names and location), or NULL (out of memory). */
dltc_load_info *dltc__load_info_new(dltc_pipeline *p);

/* dlt's data dir (malloc'd): $DLT_DATA_DIR, /var/dlt as root, $XDG_DATA_HOME/dlt when ~/.dlt
 * does not exist, else ~/.dlt. */
char *dltc__data_dir(void);

/* The destination's location and display from `credentials` (the option; NULL: config and
 * secrets, then the default). */
int dltc__pipeline_resolve_destination(dltc_pipeline *p, const char *credentials);
/* 0 when the destination is configured; else its deferred error (missing credentials). */
int dltc__pipeline_destination_ready(dltc_pipeline *p);
/* Free what resolve set (location, display, settings, the deferred error). */
void dltc__pipeline_destination_free(dltc_pipeline *p);
/* What the destination's entry is told about this pipeline (strings lent from p). */
void dltc__pipeline_dest_target(const dltc_pipeline *p, dltc_dest_target *t);
/* 0 when the destination is a local database file that does not exist yet. */
int dltc__pipeline_dest_exists(dltc_pipeline *p);
/* Open the destination for `purpose`, creating a DuckDB file that does not exist. */
int dltc__pipeline_dest_connect(dltc_pipeline *p, dltc_dest_purpose purpose, dltc_dest **out);
/* The destination's checks of new table names, set on a schema the pipeline extracts into. */
void dltc__pipeline_schema_checks(dltc_pipeline *p, dltc_schema *s);
/* Open the destination; *out = NULL (and 0) when reading a DuckDB file that does not exist.
 * A filesystem dataset opens for reading only (views over its files). */
int dltc__pipeline_dest_open(dltc_pipeline *p, dltc_dest_purpose purpose, dltc_dest **out);

/* 1 when a trace of a last run exists. */
int dltc__pipeline_has_trace(dltc_pipeline *p);

/* Steps (each also runs alone). */
int dltc__pipeline_normalize_pending(dltc_pipeline *p, size_t *count);
/* Normalize one extracted package (normalize/package.h), `max_items` rows per file (0: no
 * limit), reporting completed files to `hook` (may be NULL; normalize/normalizer_int.h), and
 * save its schema as the pipeline's. */
int dltc__pipeline_normalize_one(dltc_pipeline *p, const char *load_id, uint64_t max_items,
                                 dltc_file_hook hook, void *ctx);
/* dltc__pipeline_normalize_pending that, when it can (overlap.c), loads the package's
 * completed append files while it normalizes, into the package's open transaction: *early
 * (NULL when nothing was started), for dltc__pipeline_load_pending to finish. */
int dltc__pipeline_normalize_overlapped(dltc_pipeline *p, dltc_load_early **early);
/* Load the normalized packages; `early` (consumed; may be NULL) carries one package's
 * transaction opened by dltc__pipeline_normalize_overlapped. */
int dltc__pipeline_load_pending(dltc_pipeline *p, dltc_load_info *info, dltc_load_early *early);
/* Progress (progress.c): the `progress` setting (the option, else config `progress`, under
 * the pipeline's section first), and the release of the meter and reporter. */
int dltc__pipeline_progress_setup(dltc_pipeline *p, const char *option);
void dltc__pipeline_progress_free(dltc_pipeline *p);
int dltc__pipeline_lock(dltc_pipeline *p);
void dltc__pipeline_unlock(dltc_pipeline *p);
/* Load the pipeline schema from schemas/<name>.schema.json, or a new one. */
int dltc__pipeline_schema(dltc_pipeline *p, dltc_schema **out);
int dltc__pipeline_save_schema(dltc_pipeline *p, dltc_schema *s);
/* Restore state and schemas from the destination (sync.c): the remote state when it is not
 * older than the local one and differs (always with `force`), and every schema that is
 * missing locally (all of them when the state was taken). *restored: 1 state taken, 2 only
 * schemas, 0 nothing. Without a database file it does nothing (force: an error). */
int dltc__pipeline_sync(dltc_pipeline *p, int force, int *restored);

#endif
