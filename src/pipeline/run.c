/* run = finish what an earlier run left pending, then extract → normalize → load the new
 * data, in the same call (dlt drops the new data with a warning in that case; we do not). */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/time.h"
#include "dltc/schema.h"
#include "extract/extract.h"
#include "formats/json.h"
#include "load/destinations/duckdb.h"
#include "load/sql.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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
    for (size_t i = 0; i < info->npackages; i++) {
        dltc__free(info->packages[i].load_id);
        dltc__free(info->packages[i].status);
    }
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

/* Fingerprints of packages still pending (extracted or normalized). */
static int pending_fingerprints(dltc_pipeline *p, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    static const dltc_stage stages[] = {DLTC_STAGE_EXTRACTED, DLTC_STAGE_NORMALIZED};
    int rc = 0;
    for (size_t s = 0; s < 2 && !rc; s++) {
        char **ids = NULL;
        size_t nids = 0;
        rc = dltc__storage_list(p->storage, stages[s], &ids, &nids);
        for (size_t i = 0; i < nids && !rc; i++) {
            char *dir = dltc__package_path(p->storage, stages[s], ids[i]);
            dltc_buf path = DLTC_BUF_INIT;
            char *text = NULL;
            size_t len = 0;
            if (dir && dltc__buf_printf(&path, "%s/load_package_state.json", dir) == 0 &&
                dltc__read_file(path.data, &text, &len) == 0) {
                const char *k = strstr(text, "\"extract_fingerprint\":\"");
                if (k) {
                    k += 23;
                    const char *e = strchr(k, '"');
                    char **v = dltc__realloc(*out, (*n + 1) * sizeof(char *));
                    if (v && e) {
                        *out = v;
                        v[*n] = dltc__strndup(k, (size_t)(e - k));
                        if (v[*n])
                            (*n)++;
                    }
                }
            }
            dltc_error_clear();
            dltc__free(text);
            dltc__buf_free(&path);
            dltc__free(dir);
        }
        dltc__strv_free(ids, nids);
    }
    return rc;
}

static dltc_load_info *new_info(dltc_pipeline *p)
{
    dltc_load_info *info = dltc__calloc(1, sizeof(*info));
    if (!info)
        return NULL;
    info->pipeline_name = dltc__strdup(p->name);
    info->destination_name = dltc__strdup(p->destination);
    info->destination_type = dltc__strdup("dlt.destinations.duckdb");
    info->dataset_name = dltc__strdup(p->dataset);
    size_t n = strlen(p->db_path) + 16;
    info->location = dltc__malloc(n);
    if (info->location)
        snprintf(info->location, n, "duckdb:///%s", p->db_path);
    if (!info->pipeline_name || !info->destination_name || !info->destination_type ||
        !info->dataset_name || !info->location) {
        dltc_load_info_free(info);
        return NULL;
    }
    return info;
}

static int run(dltc_pipeline *p, const dltc_extract_input *in, const dltc_run_options *o,
               dltc_load_info **info_out)
{
    if (info_out)
        *info_out = NULL;
    if (!o || o->version != DLTC_RUN_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "run options: version mismatch");
    if (!o->table_name || !*o->table_name)
        return dltc__error_set(DLTC_EINVALID, "run options: table_name is required");
    double t0 = mono_s();
    int rc = dltc__pipeline_lock(p);
    if (rc)
        return rc;
    dltc_load_info *info = new_info(p);
    char **fps = NULL;
    size_t nfps = 0;
    dltc_schema *s = NULL;
    if (!info)
        rc = dltc__error_oom();
    /* 1. what an earlier run left */
    if (!rc)
        rc = pending_fingerprints(p, &fps, &nfps);
    if (!rc)
        rc = dltc__pipeline_normalize_pending(p, NULL);
    if (!rc)
        rc = dltc__pipeline_load_pending(p, info);
    if (!rc)
        info->pending_completed = info->npackages;
    /* 2. the new data, unless the interrupted run had already extracted this very input */
    dltc_table_hints h = {o->write_disposition, o->merge_strategy, o->primary_key, o->merge_key,
                          o->max_table_nesting};
    char fp[48];
    int has_fp = 0;
    if (!rc) {
        int fr = dltc__extract_fingerprint(in, &h, fp);
        has_fp = fr == 0;
        if (fr < 0)
            rc = fr;
    }
    for (size_t i = 0; i < nfps && has_fp && !rc; i++)
        if (strcmp(fps[i], fp) == 0)
            info->skipped_reextract = 1;
    if (!rc && !info->skipped_reextract) {
        char load_id[40];
        rc = dltc__pipeline_schema(p, &s);
        if (!rc)
            rc = dltc__extract_plain(p->storage, s, &p->state, in, &h, has_fp ? fp : NULL, load_id);
        if (!rc)
            rc = dltc__state_save(&p->state, p->state_path);
        if (!rc)
            rc = dltc__pipeline_normalize_pending(p, NULL);
        if (!rc)
            rc = dltc__pipeline_load_pending(p, info);
    }
    if (!rc && p->state.first_run) {
        p->state.first_run = 0;
        rc = dltc__state_save(&p->state, p->state_path);
    }
    if (info)
        info->elapsed_s = mono_s() - t0;
    dltc__strv_free(fps, nfps);
    dltc_schema_free(s);
    dltc__pipeline_unlock(p);
    if (rc || !info_out)
        dltc_load_info_free(info);
    else
        *info_out = info;
    return rc;
}

int dltc_pipeline_run_json(dltc_pipeline *p, const char *json, size_t len,
                           const dltc_run_options *opts, dltc_load_info **info)
{
    dltc_extract_input in = {opts ? opts->table_name : NULL, json ? json : "", len, NULL, 0};
    return run(p, &in, opts, info);
}

int dltc_pipeline_run_files(dltc_pipeline *p, const char *const *paths, size_t n,
                            const dltc_run_options *opts, dltc_load_info **info)
{
    if (!n)
        return dltc__error_set(DLTC_EINVALID, "no input files");
    dltc_extract_input in = {opts ? opts->table_name : NULL, NULL, 0, paths, n};
    return run(p, &in, opts, info);
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
    dltc_duckdb *db = NULL;
    int rc = dltc__duckdb_open(&db, p->db_path);
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc) {
        /* the dataset is the default schema (when it exists) */
        rc = dltc__buf_puts(&b, "SET search_path = ");
        if (!rc)
            rc = dltc__sql_string(&b, p->dataset, strlen(p->dataset));
        if (!rc && dltc__duckdb_exec(db, b.data) != 0)
            dltc_error_clear(); /* no dataset yet: plain search path */
    }
    if (!rc)
        rc = dltc__duckdb_query(db, sql, out);
    dltc__buf_free(&b);
    dltc__duckdb_close(db);
    return rc;
}
