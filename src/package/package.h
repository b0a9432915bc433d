/* Load packages on disk, laid out as dlt lays them out (reference dlt-core §1.2):
 *
 *   <wd>/normalize/.version                 "1.0.1"
 *   <wd>/normalize/<random>/<id>/           an extract in progress (garbage after a crash);
 *                                           <random> is 16 lowercase hex chars, as dlt's
 *                                           uniq_id(8) = secrets.token_hex(8)
 *   <wd>/normalize/extracted/<id>/          committed extracts, oldest id first
 *   <wd>/load/.version                      "1.0.0"
 *   <wd>/load/new/<id>/                     a package being normalized (garbage after a crash)
 *   <wd>/load/normalized/<id>/              ready to load / partially loaded
 *   <wd>/load/loaded/<id>/                  completed (package_completed.json: loaded|aborted)
 *
 * Each package folder has new_jobs/, started_jobs/, completed_jobs/, failed_jobs/,
 * load_package_state.json and, after normalize, schema.json and schema_updates.json.
 * Every transition is atomic on disk: files are written to a temporary name, fsync'ed,
 * renamed, and the folder fsync'ed; a stage change is one rename of the package folder. */
#ifndef DLTC_PACKAGE_H
#define DLTC_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dltc_storage dltc_storage;

typedef enum {
    DLTC_STAGE_EXTRACTED = 1, /* normalize/extracted */
    DLTC_STAGE_NORMALIZED,    /* load/normalized */
    DLTC_STAGE_LOADED         /* load/loaded */
} dltc_stage;

typedef enum {
    DLTC_JOB_NEW = 1,   /* new_jobs */
    DLTC_JOB_STARTED,   /* started_jobs */
    DLTC_JOB_COMPLETED, /* completed_jobs */
    DLTC_JOB_FAILED     /* failed_jobs */
} dltc_job_state;

/* Open the package storage of a working dir, creating the layout. Removes what crashed runs
 * left in temporary places (normalize/<random>/, load/new/), the extracted copy of a package
 * that reached load/normalized, *.tmp files of interrupted writes in pending packages,
 * "<file>.exception" files without their failed job, and package_completed.json in
 * load/normalized (a completion that did not reach its rename). Not thread-safe; one process
 * per working dir. */
int dltc__storage_open(dltc_storage **out, const char *working_dir);
void dltc__storage_free(dltc_storage *s);
const char *dltc__storage_dir(const dltc_storage *s);

/* Package ids in a stage, sorted ascending (oldest first). *ids is the caller's: free with
 * dltc__strv_free. */
int dltc__storage_list(dltc_storage *s, dltc_stage stage, char ***ids, size_t *n);
void dltc__strv_free(char **v, size_t n);
/* Folder of a package in a stage (malloc'd; dltc__free). */
char *dltc__package_path(const dltc_storage *s, dltc_stage stage, const char *load_id);

/* Extract: a new package folder in a temporary place (*path malloc'd), committed later with
 * one rename into normalize/extracted/. */
int dltc__package_begin_extract(dltc_storage *s, const char *load_id, char **path);
int dltc__package_commit_extract(dltc_storage *s, const char *path, const char *load_id);
/* Drop an uncommitted extract folder. */
void dltc__package_abort_extract(dltc_storage *s, const char *path);

/* Normalize: load/new/<id> (emptied if it exists); commit renames it to load/normalized and
 * deletes the extracted package. */
int dltc__package_begin_normalize(dltc_storage *s, const char *load_id, char **path);
int dltc__package_commit_normalize(dltc_storage *s, const char *load_id);

/* Jobs of a package in a stage: file names (not paths) in a job state, sorted. The
 * "<file>.exception" messages in failed_jobs are not jobs and are left out. */
int dltc__package_jobs(dltc_storage *s, dltc_stage stage, const char *load_id,
                       dltc_job_state state, char ***files, size_t *n);
/* The bytes of the job files `files` (names, as dltc__package_jobs gives them) in job state
 * `state` of the package folder `pkg`: the totals of progress reports. A file that cannot be
 * stat'ed counts 0; never fails. */
uint64_t dltc__package_jobs_bytes(const char *pkg, dltc_job_state state, char *const *files,
                                  size_t n);
/* How many jobs package `load_id` has in `stage` and job state `state`, and their bytes (the
 * totals of progress reports); 0 and 0 when they cannot be listed. Never fails. */
void dltc__package_jobs_total(dltc_storage *s, dltc_stage stage, const char *load_id,
                              dltc_job_state state, size_t *njobs, uint64_t *bytes);
/* Move a job file of a normalized package between job states (atomic rename, folder fsync).
 * DLTC_ENOTFOUND if the package or the job is missing, DLTC_EINVALID if the target exists. */
int dltc__package_job_move(dltc_storage *s, const char *load_id, const char *file,
                           dltc_job_state from, dltc_job_state to);
/* Move a job to failed_jobs and write <file>.exception with the message (none when the
 * message is NULL or empty, as dlt). */
int dltc__package_job_fail(dltc_storage *s, const char *load_id, const char *file,
                           dltc_job_state from, const char *message);
/* Retry a started job: move started_jobs/<table>.<id>.<n>.<fmt>[.gz] to
 * new_jobs/<table>.<id>.<n+1>.<fmt>[.gz]. *new_file (may be NULL) receives the new name
 * (malloc'd; dltc__free). DLTC_EINVALID if the name does not parse. */
int dltc__package_job_retry(dltc_storage *s, const char *load_id, const char *file,
                            char **new_file);
/* Complete a normalized package: write package_completed.json ("loaded" or "aborted") and
 * move it to load/loaded. */
int dltc__package_complete(dltc_storage *s, const char *load_id, const char *status);
/* Delete a package in any stage (drop-pending-packages). */
int dltc__package_delete(dltc_storage *s, dltc_stage stage, const char *load_id);

/* Write a file atomically: <path>.tmp, fsync, rename, fsync the folder. */
int dltc__write_file_atomic(const char *path, const void *data, size_t len);
/* Read a whole file (malloc'd, NUL-terminated; dltc__free). DLTC_ENOTFOUND if missing. */
int dltc__read_file(const char *path, char **data, size_t *len);
/* mkdir -p; rm -rf. */
int dltc__mkdirs(const char *path);
int dltc__rmtree(const char *path);
/* fsync a folder. */
int dltc__fsync_dir(const char *path);

/* The package's created time in µs (load_package_state.json created_at, else the load id's
 * time), `pkg` being the package folder: the boundary of scd2 validity and the filesystem's
 * load_package_timestamp. Never fails. */
int64_t dltc__package_created_us(const char *pkg, const char *load_id);

#endif
