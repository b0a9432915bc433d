/* run = finish what an earlier run left pending, then extract → normalize → load the new
 * data, in the same call (dlt drops the new data with a warning in that case; we do not). */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/crash.h"
#include "common/error.h"
#include "common/progress.h"
#include "common/time.h"
#include "dltc/schema.h"
#include "extract/extract.h"
#include "extract/resource_int.h"
#include "pipeline/trace.h"
#include "formats/json.h"
#include "load/sql.h"
#include "package/loadid.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void dltc_load_info_free(dltc_load_info *info)
{
    if (!info)
        return;
    for (size_t i = 0; i < info->npackages; i++)
        dltc__package_info_clear(&info->packages[i]);
    dltc__free(info->packages);
    for (size_t i = 0; i < info->ncounts; i++)
        dltc__free(info->counts[i].table);
    dltc__free(info->counts);
    dltc__free(info->pipeline_name);
    dltc__free(info->destination_name);
    dltc__free(info->destination_type);
    dltc__free(info->dataset_name);
    dltc__free(info->location);
    dltc__free(info);
}

/* The run marker <wd>/.run: {"fingerprint": …, "load_id": …} written before the extract of
 * a run commits and removed when the run ends. A run that finds a marker of the same input
 * is the retry of a run that died: if the marker's package exists (pending or loaded) the
 * input is not extracted again, so a crash at any point never loads data twice, while a
 * deliberate second run of the same input (no marker) appends again as dlt does. */
static char *marker_path(dltc_pipeline *p)
{
    size_t n = strlen(p->working_dir) + 8;
    char *s = dltc__malloc(n);
    if (s)
        snprintf(s, n, "%s/.run", p->working_dir);
    return s;
}

static int marker_write(dltc_pipeline *p, const char *fp, const char *load_id)
{
    char *path = marker_path(p);
    dltc_buf b = DLTC_BUF_INIT;
    int rc = path ? 0 : dltc__error_oom();
    if (!rc)
        rc = dltc__buf_puts(&b, "{\"fingerprint\":");
    if (!rc)
        rc = dltc__json_write_string(&b, fp, strlen(fp));
    if (!rc)
        rc = dltc__buf_puts(&b, ",\"load_id\":");
    if (!rc)
        rc = dltc__json_write_string(&b, load_id, strlen(load_id));
    if (!rc)
        rc = dltc__buf_puts(&b, "}");
    if (!rc)
        rc = dltc__write_file_atomic(path, b.data, b.len);
    dltc__buf_free(&b);
    dltc__free(path);
    return rc;
}

static void marker_remove(dltc_pipeline *p)
{
    char *path = marker_path(p);
    if (path && unlink(path) == 0)
        dltc__fsync_dir(p->working_dir);
    dltc__free(path);
}

/* 1 when the marker names this input and its package exists in some stage. */
static int marker_covers(dltc_pipeline *p, const char *fp)
{
    char *path = marker_path(p), *text = NULL;
    size_t len = 0;
    int covered = 0;
    if (path && dltc__read_file(path, &text, &len) == 0) {
        dltc_arena a;
        dltc__arena_init(&a, 4096);
        dltc_value *doc;
        dltc_json_error err;
        if (dltc__json_parse(&a, text, len, 8, &doc, &err) == 0 && doc->type == DLTC_TYPE_OBJECT) {
            const dltc_value *f = dltc_object_get(doc, "fingerprint");
            const dltc_value *id = dltc_object_get(doc, "load_id");
            if (f && id && f->type == DLTC_TYPE_STRING && id->type == DLTC_TYPE_STRING &&
                strcmp(f->u.s, fp) == 0) {
                static const dltc_stage stages[] = {DLTC_STAGE_EXTRACTED, DLTC_STAGE_NORMALIZED,
                                                    DLTC_STAGE_LOADED};
                for (size_t i = 0; i < 3 && !covered; i++) {
                    char *dir = dltc__package_path(p->storage, stages[i], id->u.s);
                    struct stat st;
                    covered = dir && stat(dir, &st) == 0;
                    dltc__free(dir);
                }
            }
        }
        dltc__arena_free(&a);
    }
    dltc_error_clear();
    dltc__free(text);
    dltc__free(path);
    return covered;
}

dltc_load_info *dltc__load_info_new(dltc_pipeline *p)
{
    dltc_load_info *info = dltc__calloc(1, sizeof(*info));
    if (!info)
        return NULL;
    info->pipeline_name = dltc__strdup(p->name);
    info->destination_name = dltc__strdup(p->destination);
    size_t n = strlen(p->destination) + 32;
    info->destination_type = dltc__malloc(n);
    if (info->destination_type)
        snprintf(info->destination_type, n, "dlt.destinations.%s", p->destination);
    info->dataset_name = dltc__strdup(p->dataset);
    info->location = dltc__strdup(p->display.data ? p->display.data : "");
    if (!info->pipeline_name || !info->destination_name || !info->destination_type ||
        !info->dataset_name || !info->location) {
        dltc_load_info_free(info);
        return NULL;
    }
    return info;
}

/* What a run extracts: plain data (with a fingerprint) or a source's resources. */
typedef struct {
    const dltc_extract_input *in; /* plain data, or NULL */
    dltc_table_hints hints;
    dltc_source *src; /* resources, or NULL */
} run_input;

/* A package an earlier run left failed again: the message says how to get past it. */
static int pending_failed(const dltc_pipeline *p, int rc)
{
    if (rc == DLTC_ENOMEM)
        return rc;
    char msg[1024];
    snprintf(msg, sizeof(msg), "%s", dltc_error_last()->message);
    return dltc__error_set(rc, "%s (a package left by an earlier run; if it can never load, "
                           "`dlt pipeline %s drop-pending-packages` deletes it)", msg, p->name);
}

static int run(dltc_pipeline *p, const run_input *ri, dltc_load_info **info_out)
{
    if (info_out)
        *info_out = NULL;
    double t0 = mono_s();
    int rc = dltc__pipeline_lock(p);
    if (rc)
        return rc;
    dltc_load_info *info = dltc__load_info_new(p);
    dltc_schema *s = NULL;
    dltc_trace tr;
    dltc__trace_init(&tr);
    if (!info)
        rc = dltc__error_oom();
    dltc__crash_point("run:start");
    /* 1. what an earlier run left */
    if (!rc) {
        dltc__trace_step(&tr, DLTC_STEP_NORMALIZE);
        rc = dltc__pipeline_normalize_pending(p, NULL);
        if (rc)
            rc = pending_failed(p, rc);
        dltc__trace_end_step(&tr, rc);
    }
    if (!rc) {
        dltc__trace_step(&tr, DLTC_STEP_LOAD);
        rc = dltc__pipeline_load_pending(p, info, NULL);
        if (rc)
            rc = pending_failed(p, rc);
        dltc__trace_end_step(&tr, rc);
    }
    if (!rc)
        info->pending_completed = info->npackages;
    /* 2. state and schemas from the destination when it has newer ones (a fresh machine) */
    if (!rc)
        rc = dltc__pipeline_sync(p, 0, &info->restored);
    dltc__crash_point("run:after-sync");
    /* 3. the new data, unless the interrupted run had already extracted this very input */
    char fp[48];
    int has_fp = 0;
    if (!rc && ri->in) {
        int fr = dltc__extract_fingerprint(ri->in, &ri->hints, fp);
        has_fp = fr == 0;
        if (fr < 0)
            rc = fr;
    }
    if (!rc && has_fp && marker_covers(p, fp))
        info->skipped_reextract = 1;
    /* a source with checkpoints extracts in several packages, each normalized and loaded
     * with its state before the next one starts */
    dltc__extract_run *xr = NULL;
    if (!rc && !info->skipped_reextract && !ri->in)
        rc = dltc__extract_run_new(&xr, ri->src);
    if (xr)
        dltc__extract_run_set_progress(xr, p->progress);
    for (int more = !rc && !info->skipped_reextract; more;) {
        more = 0;
        char load_id[40];
        dltc__load_id_new(load_id);
        dltc_schema_free(s); /* normalizing the last package evolved it */
        s = NULL;
        rc = dltc__pipeline_schema(p, &s);
        if (!rc && has_fp)
            rc = marker_write(p, fp, load_id);
        dltc__trace_step(&tr, DLTC_STEP_EXTRACT);
        if (!rc)
            dltc__progress_begin(p->progress, DLTC_PROGRESS_EXTRACT);
        if (!rc && ri->in) {
            dltc_extract_input in = *ri->in;
            in.progress = p->progress;
            rc = dltc__extract_plain(p->storage, s, &p->state, &in, &ri->hints,
                                     has_fp ? fp : NULL, load_id);
        } else if (!rc) {
            rc = dltc__extract_run_step(xr, p->storage, s, &p->state, load_id);
            more = rc == 1;
            if (more)
                rc = 0;
        }
        dltc__progress_end(p->progress, DLTC_PROGRESS_EXTRACT, rc < 0);
        dltc__crash_point("run:after-extract");
        if (!rc)
            rc = dltc__state_save(&p->state, p->state_path);
        dltc__trace_end_step(&tr, rc);
        if (!rc)
            dltc__trace_step(&tr, DLTC_STEP_NORMALIZE);
        dltc__crash_point("run:after-state-save");
        dltc_load_early *early = NULL; /* the package's transaction, when loading began */
        if (!rc) {
            rc = dltc__pipeline_normalize_overlapped(p, &early);
            if (rc == DLTC_EPARSE || rc == DLTC_EINVALID || rc == DLTC_ELIMIT) {
                /* bad input: this run's package goes, so the pipeline is not stuck on it;
                 * nothing loaded before is touched */
                dltc_error err = *dltc_error_last();
                char msg[1024];
                snprintf(msg, sizeof(msg), "%s", err.message);
                dltc__package_delete(p->storage, DLTC_STAGE_EXTRACTED, load_id);
                marker_remove(p);
                dltc__error_set(rc, "%s", msg);
            }
        }
        dltc__trace_end_step(&tr, rc);
        dltc__crash_point("run:after-normalize");
        if (!rc) {
            dltc__trace_step(&tr, DLTC_STEP_LOAD);
            rc = dltc__pipeline_load_pending(p, info, early);
            early = NULL;
            dltc__trace_end_step(&tr, rc);
        }
        dltc__load_early_free(early);
        if (rc)
            more = 0;
    }
    dltc__extract_run_free(xr);
    dltc__crash_point("run:after-load");
    if (!rc && p->state.first_run) {
        p->state.first_run = 0;
        rc = dltc__state_save(&p->state, p->state_path);
    }
    if (!rc)
        marker_remove(p);
    if (info)
        info->elapsed_s = mono_s() - t0;
    /* the trace of this run; its failure must not hide the run's own error */
    if (rc) {
        dltc_error keep = *dltc_error_last();
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", keep.message);
        dltc__trace_save(p, &tr, rc, NULL);
        dltc__error_set(keep.code, "%s", msg);
    } else {
        rc = dltc__trace_save(p, &tr, 0, info);
    }
    dltc_schema_free(s);
    dltc__pipeline_unlock(p);
    if (rc || !info_out)
        dltc_load_info_free(info);
    else
        *info_out = info;
    return rc;
}

/* Plain data with an incremental cursor: read item by item through a resource. */
typedef struct {
    const char *json;
    size_t len;
    int done;
} json_once;

static int yield_once(dltc_yield *y, void *payload)
{
    json_once *j = payload;
    if (j->done++)
        return DLTC_ITEROVER;
    return dltc_yield_json(y, j->json, j->len);
}

static int plain_incremental(dltc_pipeline *p, const dltc_extract_input *in,
                             const dltc_run_options *o, dltc_load_info **info)
{
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    ro.write_disposition = o->write_disposition;
    ro.merge_strategy = o->merge_strategy;
    ro.primary_key = o->primary_key;
    ro.merge_key = o->merge_key;
    ro.max_table_nesting = o->max_table_nesting;
    ro.columns = o->columns;
    ro.file_format = o->file_format;
    ro.schema_contract = o->schema_contract;
    dltc_source *src = NULL;
    dltc_resource *r = NULL;
    json_once once = {in->json, in->json_len, 0};
    int rc = dltc_source_new(&src, p->schema_name);
    if (!rc)
        rc = in->npaths ? dltc_resource_from_files(&r, o->table_name, in->paths, in->npaths, &ro)
                        : dltc_resource_new(&r, o->table_name, yield_once, &once, &ro);
    if (!rc)
        rc = dltc_resource_set_incremental(r, o->incremental);
    if (!rc) {
        rc = dltc_source_add(src, r);
        if (!rc)
            r = NULL;
    }
    if (!rc)
        rc = dltc_pipeline_run_source(p, src, info);
    dltc_resource_free(r);
    dltc_source_free(src);
    return rc;
}

static int plain_run(dltc_pipeline *p, const dltc_extract_input *in,
                     const dltc_run_options *o, dltc_load_info **info)
{
    if (info)
        *info = NULL;
    if (!o || o->version != DLTC_RUN_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "run options: version mismatch");
    if (!o->table_name || !*o->table_name)
        return dltc__error_set(DLTC_EINVALID, "run options: table_name is required");
    if (o->incremental)
        return plain_incremental(p, in, o, info);
    run_input ri = {in,
                    {o->write_disposition, o->merge_strategy, o->primary_key, o->merge_key,
                     o->max_table_nesting, o->columns, o->file_format, o->schema_contract},
                    NULL};
    return run(p, &ri, info);
}

int dltc_pipeline_run_json(dltc_pipeline *p, const char *json, size_t len,
                           const dltc_run_options *opts, dltc_load_info **info)
{
    dltc_extract_input in = {opts ? opts->table_name : NULL, json ? json : "", len, NULL, 0,
                             NULL};
    return plain_run(p, &in, opts, info);
}

int dltc_pipeline_run_files(dltc_pipeline *p, const char *const *paths, size_t n,
                            const dltc_run_options *opts, dltc_load_info **info)
{
    if (!n)
        return dltc__error_set(DLTC_EINVALID, "no input files");
    dltc_extract_input in = {opts ? opts->table_name : NULL, NULL, 0, paths, n, NULL};
    return plain_run(p, &in, opts, info);
}

int dltc_pipeline_run_source(dltc_pipeline *p, struct dltc_source *src, dltc_load_info **info)
{
    if (info)
        *info = NULL;
    if (!src)
        return dltc__error_set(DLTC_EINVALID, "no source to run");
    run_input ri = {NULL, {NULL, NULL, NULL, NULL, -1, NULL, NULL, NULL}, src};
    return run(p, &ri, info);
}

/* ---- load info ---- */

/* humanize.precisedelta with seconds as the smallest unit and "%0.2f" */
static int elapsed(dltc_buf *b, double s)
{
    if (s < 60)
        return dltc__buf_printf(b, "%.2f seconds", s);
    long m = (long)(s / 60);
    double rest = s - (double)m * 60;
    if (m < 60)
        return dltc__buf_printf(b, "%ld minute%s and %.2f seconds", m, m == 1 ? "" : "s", rest);
    return dltc__buf_printf(b, "%ld hour%s, %ld minute%s and %.2f seconds", m / 60,
                            m / 60 == 1 ? "" : "s", m % 60, m % 60 == 1 ? "" : "s", rest);
}

int dltc_load_info_format(char **out, const dltc_load_info *info)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&b, "Pipeline %s load step completed in ", info->pipeline_name);
    if (!rc)
        rc = elapsed(&b, info->elapsed_s);
    if (!rc)
        rc = dltc__buf_printf(&b,
                              "\n%zu load package(s) were loaded to destination %s and into "
                              "dataset %s\nThe %s destination used %s location to store data\n",
                              info->npackages, info->destination_name, info->dataset_name,
                              info->destination_name, info->location);
    for (size_t i = 0; i < info->npackages && !rc; i++) {
        const dltc_package_info *pk = &info->packages[i];
        rc = dltc__buf_printf(&b, "Load package %s is %s and ", pk->load_id, pk->status);
        if (!rc)
            rc = pk->failed_jobs ? dltc__buf_printf(&b, "contains %zu FAILED job(s)!\n",
                                                    pk->failed_jobs)
                                 : dltc__buf_puts(&b, "contains no failed jobs\n");
    }
    if (!rc && info->pending_completed)
        rc = dltc__buf_printf(&b,
                              "%zu of these package(s) were left pending by an earlier run that "
                              "did not finish; they were completed before the new data.\n",
                              info->pending_completed);
    if (!rc && info->restored == 1)
        rc = dltc__buf_puts(&b, "The pipeline state and schema were restored from the "
                                "destination before the extract.\n");
    if (!rc && info->skipped_reextract)
        rc = dltc__buf_puts(&b, "The input had already been extracted by the run that did not "
                                "finish; it was loaded from that package and not extracted "
                                "again.\n");
    if (!rc && info->ncounts) {
        rc = dltc__buf_puts(&b, "Loaded rows:\n");
        for (size_t i = 0; i < info->ncounts && !rc; i++)
            rc = dltc__buf_printf(&b, "- %s: %llu row(s)\n", info->counts[i].table,
                                  (unsigned long long)info->counts[i].rows);
    }
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return *out ? 0 : dltc__error_oom();
}

/* ---- query ---- */

int dltc_pipeline_query(dltc_pipeline *p, const char *sql, dltc_rows **out)
{
    dltc_dest *db = NULL;
    /* a filesystem dataset is read through views; a DuckDB file is created if absent */
    int rc = dltc__pipeline_destination_ready(p);
    if (rc)
        return rc;
    rc = dltc__pipeline_dest_connect(p, DLTC_DEST_READ, &db);
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc) {
        /* the dataset is the default schema (when it exists) */
        rc = dltc__buf_puts(&b, "SET search_path = ");
        if (!rc)
            rc = dltc__sql_string(&b, p->dataset, strlen(p->dataset));
        if (!rc && dltc__dest_exec(db, b.data) != 0)
            dltc_error_clear(); /* no dataset yet: plain search path */
    }
    if (!rc)
        rc = dltc__dest_query(db, sql, out);
    dltc__buf_free(&b);
    dltc__dest_close(db);
    return rc;
}
