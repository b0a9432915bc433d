/* The filesystem destination's entry (registry.h): its settings from config, and its ops
 * over filesystem.c (the loader) and views.c (reading back). It has no SQL client: state,
 * schemas and drops are files. */
#include "load/destinations/registry.h"
#include "load/destinations/filesystem/filesystem.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "package/fsutil.h"

#include <string.h>

typedef struct {
    char *layout;        /* destination.filesystem.layout (NULL: dlt's default) */
    int compression;     /* !normalize.data_writer.disable_compression */
    int max_state_files; /* destination.filesystem.max_state_files */
} fs_settings;

static void free_settings(void *settings)
{
    fs_settings *s = settings;
    if (s) {
        dltc__free(s->layout);
        dltc__free(s);
    }
}

static void fs_warning(const char *message, void *payload)
{
    (void)payload;
    dltc__log(DLTC_LOG_WARNING, "%s", message);
}

void dltc__fs_target_options(const dltc_dest_target *t, dltc_fs_options *o)
{
    dltc_fs_options d = DLTC_FS_OPTIONS_INIT;
    const fs_settings *s = t->settings;
    *o = d;
    o->bucket_url = t->location;
    o->dataset = t->dataset;
    o->pipeline_name = t->pipeline_name;
    if (s) {
        o->layout = s->layout;
        o->compression = s->compression;
        o->max_state_files = s->max_state_files;
    }
    o->on_warning = fs_warning;
}

/* bucket_url (the option, else destination.filesystem.bucket_url), layout,
 * max_state_files, normalize.data_writer.disable_compression. A local path is made absolute
 * and shown as a file:// URL, as dlt shows bucket_url. */
static int resolve(dltc_dest_resolved *out, const dltc_dest_target *t, const char *given)
{
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.pipeline_name = t->pipeline_name;
    dltc_config *cfg = NULL;
    fs_settings *s = dltc__calloc(1, sizeof(*s));
    int rc = s ? dltc_config_open(&cfg, &co) : dltc__error_oom();
    out->settings = s;
    static const char *const fs[] = {"destination", "filesystem", NULL};
    static const char *const dw[] = {"normalize", "data_writer", NULL};
    const char *v = NULL;
    if (!rc && !given && !(rc = dltc_config_get_string(&v, cfg, fs, "bucket_url", 0)))
        given = v;
    if (!rc && dltc_config_get_string(&v, cfg, fs, "layout", 0) == 0 &&
        !(s->layout = dltc__strdup(v)))
        rc = dltc__error_oom();
    int64_t max = DLTC_FS_MAX_STATE_FILES;
    int off = 0;
    if (!rc && dltc_config_get_int(&max, cfg, fs, "max_state_files", 0) == DLTC_EINVALID)
        rc = DLTC_EINVALID;
    if (!rc && dltc_config_get_bool(&off, cfg, dw, "disable_compression", 0) == DLTC_EINVALID)
        rc = DLTC_EINVALID;
    if (!rc) {
        dltc_error_clear();
        s->max_state_files = (int)max;
        s->compression = !off;
        const char *path = strncmp(given, "file://", 7) == 0 ? given + 7 : given;
        out->location = strstr(given, "://") && path == given ? dltc__strdup(given)
                                                              : dltc__dest_absolute_path(path);
        rc = out->location ? 0 : dltc__error_oom();
        if (!rc)
            rc = strstr(out->location, "://")
                     ? dltc__buf_puts(&out->display, out->location)
                     : dltc__buf_printf(&out->display, "file://%s", out->location);
    }
    if (!rc) { /* bucket scheme, dataset and layout checked now, not at the first load */
        dltc_dest_target rt = *t;
        rt.location = out->location;
        rt.settings = s;
        dltc_fs_options o;
        dltc__fs_target_options(&rt, &o);
        rc = dltc__fs_check_options(&o);
    }
    dltc_config_free(cfg);
    return rc;
}

/* READ_ONLY (the dataset API): the dataset must exist, and the views may then read only
 * under its folder. */
static int open_views(dltc_dest **out, const dltc_dest_target *t, dltc_dest_purpose purpose)
{
    dltc_fs_options o;
    dltc__fs_target_options(t, &o);
    if (purpose != DLTC_DEST_READ_ONLY)
        return dltc__fs_views_open(out, &o);
    char *root = NULL;
    int rc = dltc__fs_dataset_path(&root, &o);
    if (!rc) {
        int exists = dltc__path_exists(root);
        rc = exists < 0 ? exists
             : exists   ? 0
                        : dltc__error_set(DLTC_ENOTFOUND, "pipeline %s: the filesystem dataset "
                                                          "%s does not exist yet",
                                          t->pipeline_name, root);
    }
    if (!rc)
        rc = dltc__fs_views_open(out, &o);
    if (!rc)
        rc = dltc__duckdb_dest_lock_down(*out, root);
    if (rc) {
        dltc__dest_close(*out);
        *out = NULL;
    }
    dltc__free(root);
    return rc;
}

/* Into the meter at once, per package: its rows and the bytes of its files (now in
 * completed_jobs); the files themselves are written by filesystem.c. */
static void package_progress(dltc_storage *st, const char *load_id, const dltc_load_result *r,
                             dltc__progress *pg)
{
    uint64_t rows = 0;
    for (size_t i = 0; i < r->ncounts; i++)
        rows += r->counts[i].rows;
    size_t nj = 0;
    uint64_t bytes = 0;
    dltc__package_jobs_total(st, DLTC_STAGE_LOADED, load_id, DLTC_JOB_COMPLETED, &nj, &bytes);
    dltc__progress_add(pg, DLTC_PROGRESS_LOAD, NULL, rows, nj, bytes);
}

static int load_package(dltc_storage *st, const char *load_id, const dltc_dest_target *t,
                        int replace_strategy, dltc__progress *pg, dltc_load_result *res)
{
    (void)replace_strategy; /* replace deletes the table's files: there is one strategy */
    dltc_fs_options o;
    dltc__fs_target_options(t, &o);
    int rc = dltc__fs_load_package(st, load_id, &o, res);
    if (!rc && pg)
        package_progress(st, load_id, res, pg);
    return rc;
}

static int check_table(const dltc_dest_target *t, const char *table)
{
    dltc_fs_options o;
    dltc__fs_target_options(t, &o);
    return dltc__fs_check_table(&o, t->schema_name, table);
}

static int remote_state(char **blob, const dltc_dest_target *t)
{
    dltc_fs_options o;
    dltc__fs_target_options(t, &o);
    return dltc__fs_remote_state(blob, &o);
}

static int remote_schema(dltc_schema **out, const dltc_dest_target *t, const char *name)
{
    dltc_fs_options o;
    dltc__fs_target_options(t, &o);
    return dltc__fs_remote_schema(out, &o, name);
}

static int drop_tables(const dltc_dest_target *t, dltc_schema *s, const char *const *tables,
                       size_t n)
{
    dltc_fs_options o;
    dltc__fs_target_options(t, &o);
    return dltc__fs_drop_tables(&o, s, tables, n);
}

static const char *const FORMATS[] = {"jsonl", "parquet", "csv", "insert_values", NULL};

const dltc_destination dltc__filesystem_destination = {
    .name = "filesystem",
    .formats = FORMATS,
    .caps = 0,
    .resolve = resolve,
    .free_settings = free_settings,
    .open_views = open_views,
    .load_package = load_package,
    .check_table = check_table,
    .remote_state = remote_state,
    .remote_schema = remote_schema,
    .drop_tables = drop_tables,
};
