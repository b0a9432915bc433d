/* The filesystem destination (dlt-io §6.4) for local buckets: a normalized load package is
 * laid out under <bucket>/<dataset>/ as dlt 1.26 lays it out:
 *
 *   init                                         {"initial_version":2,"current_version":2}
 *   <layout>                                     the data files, by default
 *                                                <table>/<load_id>.<file_id>.<ext>
 *   _dlt_version/<schema>__<load_id>__<hex>.jsonl          schema version row (new hash)
 *   _dlt_pipeline_state/<pipeline>__<load_id>__<hex>.jsonl the package's state row
 *   _dlt_loads/<schema>__<load_id>.jsonl                   completion marker, written last
 *
 * (<hex>: the schema version hash, base64-decoded, as hex.) Exactly once: every file is
 * written under .dltc-tmp/ in the dataset folder, fsynced and renamed into place; file names
 * depend only on the package, so a rerun of a package that died before its marker
 * overwrites what the dead run wrote; a package whose marker exists is only completed on
 * disk. Not thread-safe per package; packages of different load ids may load at once. */
#ifndef DLTC_LOAD_DESTINATIONS_FILESYSTEM_H
#define DLTC_LOAD_DESTINATIONS_FILESYSTEM_H

#include "common/buf.h"
#include "load/destinations/registry.h"
#include "load/loader.h"
#include "package/package.h"
#include "schema/schema.h"

#include <stddef.h>
#include <stdint.h>

#define DLTC_FS_DEFAULT_LAYOUT "{table_name}/{load_id}.{file_id}.{ext}"
#define DLTC_FS_MAX_STATE_FILES 100

typedef struct {
    unsigned int version;        /* DLTC_FS_OPTIONS_VERSION */
    const char *bucket_url;      /* a local path or file:///abs/path; other schemes fail */
    const char *dataset;         /* the folder under the bucket (one path component) */
    const char *layout;          /* NULL: DLTC_FS_DEFAULT_LAYOUT */
    int compression;             /* 1: gzip jsonl, csv, insert_values (*.jsonl.gz); 0: as is
                                    (normalize.data_writer.disable_compression=true) */
    const char *pipeline_name;   /* the state files dltc__fs_remote_state reads */
    int max_state_files;         /* newest state files kept per pipeline; <= 0 keeps all */
    int64_t current_datetime_us; /* dlt's current_datetime for the date placeholders; 0:
                                    the package's created_at (a fixed value keeps the
                                    names of a rerun the same) */
    const char *const *extra_placeholders; /* dlt's extra_placeholders: name, value pairs */
    size_t nextra_placeholders;            /* pairs */
    /* Called with a one-line warning (merge falling back to append); may be NULL. */
    void (*on_warning)(const char *message, void *payload);
    void *payload;
} dltc_fs_options;

#define DLTC_FS_OPTIONS_VERSION 1
#define DLTC_FS_OPTIONS_INIT                                                                       \
    {                                                                                              \
        DLTC_FS_OPTIONS_VERSION, NULL, NULL, NULL, 1, NULL, DLTC_FS_MAX_STATE_FILES, 0, NULL, 0,   \
            NULL, NULL                                                                             \
    }

/* The warning text for a merge table (prefixed by "table '<name>': "). */
#define DLTC_FS_MERGE_WARNING "merge is not supported by the filesystem destination: appended"

/* Validate the options without touching the disk: bucket_url (DLTC_EINVALID "only local
 * buckets (file://) are supported" for other schemes), dataset, layout placeholders (unknown
 * ones are named) and the table prefix dlt requires ({table_name} present, only
 * {schema_name} before it, a separator after it). */
int dltc__fs_check_options(const dltc_fs_options *o);

/* Whether a new root table `table` can have files in the dataset: its rendered folder must
 * stay inside it and not collide with the `init` file (a table named "init" under the
 * default layout). Checked before extract, so no package is made that could never load. */
int dltc__fs_check_table(const dltc_fs_options *o, const char *schema_name, const char *table);

/* `dlt pipeline NAME drop` on the filesystem: `s` is the schema without the dropped tables
 * (stored as a new _dlt_version file first), then every file of each table in `tables`
 * (root and nested) is deleted, without following links. */
int dltc__fs_drop_tables(const dltc_fs_options *o, dltc_schema *s,
                         const char *const *tables, size_t n);

/* "<bucket path>/<dataset>" (malloc'd; dltc__free). */
int dltc__fs_dataset_path(char **out, const dltc_fs_options *o);

/* Load package `load_id` (in load/normalized) into the bucket. append adds files, replace
 * first deletes every file under the table prefix of the root table and its nested tables
 * (tables of chains with a job here), merge is appended (o->on_warning gets
 * DLTC_FS_MERGE_WARNING per table). The _dlt_pipeline_state job becomes the state file, not
 * a data file. On success the package is in load/loaded and res holds the rows per table
 * (counted from the job files; res->already_loaded when the marker was there). res is the
 * caller's (dltc__load_result_clear). */
int dltc__fs_load_package(dltc_storage *st, const char *load_id, const dltc_fs_options *o,
                          dltc_load_result *res);

/* What sync restores (read only; never creates anything): the `state` blob of the newest
 * state file of o->pipeline_name whose load has a _dlt_loads marker (*blob malloc'd, NULL
 * when there is none), and the newest stored schema `schema_name` from _dlt_version
 * (*out NULL when there is none; dltc_schema_free). */
int dltc__fs_remote_state(char **blob, const dltc_fs_options *o);
int dltc__fs_remote_schema(dltc_schema **out, const dltc_fs_options *o, const char *schema_name);

/* The dataset read back (views.c): an in-memory DuckDB with a view per table over
 * its jsonl/csv/parquet files (gzipped or not) in schema "<dataset>"; insert_values files are
 * not readable. dltc__dest_close frees it. */
struct dltc_dest;
int dltc__fs_views_open(struct dltc_dest **out, const dltc_fs_options *o);

/* The options of a pipeline's filesystem destination (entry.c; strings lent from t). */
void dltc__fs_target_options(const dltc_dest_target *t, dltc_fs_options *o);

/* ---- exposed for the tests ---- */

/* Values of the layout placeholders of one file. */
typedef struct {
    const char *schema_name, *table_name, *load_id, *file_id, *ext; /* NULL: no value */
    int64_t datetime_us;      /* current_datetime: date tokens, timestamp(_ms), curr_date */
    int64_t package_us;       /* load_package_timestamp(_ms) */
    const char *const *extra; /* name, value pairs */
    size_t nextra;
} dltc_fs_path_params;

/* Render `layout` appended to out, then check the result stays inside the dataset folder
 * (not empty, not absolute, no ".." segment, no NUL, not the init file or .dltc-tmp).
 * DLTC_EINVALID naming an unknown placeholder or the offending path. */
int dltc__fs_render(dltc_buf *out, const char *layout, const dltc_fs_path_params *p);

/* gzip `src` into `dst` (created or truncated, not fsynced), one gzip member per `chunk`
 * input bytes (0: 8 MiB), so memory stays bounded. */
int dltc__fs_gzip_file(const char *src, const char *dst, size_t chunk);

#endif
