/* The normalize step of one load package (normalize/package.h). The crash points
 * (common/crash.h) mark where the crash-safety tests kill the process: their names and their
 * order are part of those tests. */
#include "normalize/package.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/crash.h"
#include "common/error.h"
#include "common/progress.h"
#include "dltc/normalize.h"
#include "dltc/schema.h"
#include "formats/json.h"

#include <string.h>

/* The "job_sources" object of the extracted package's load_package_state.json (the inputs
 * the jobs were copied from, for error messages), parsed into `a` from *text (the file,
 * malloc'd: the caller frees it after `a`). NULL when there is none; never fails. */
static const dltc_value *read_job_sources(const char *src, dltc_arena *a, char **text)
{
    dltc_buf pp = DLTC_BUF_INIT;
    size_t len = 0;
    dltc_value *doc;
    dltc_json_error jerr;
    const dltc_value *sources = NULL;
    if (dltc__buf_printf(&pp, "%s/load_package_state.json", src) == 0 &&
        dltc__read_file(pp.data, text, &len) == 0 &&
        dltc__json_parse(a, *text, len, 16, &doc, &jerr) == 0 && doc->type == DLTC_TYPE_OBJECT)
        sources = dltc_object_get(doc, "job_sources");
    dltc_error_clear();
    dltc__buf_free(&pp);
    return sources;
}

/* The input job file `job` was copied from, or NULL. */
static const char *job_source(const dltc_value *sources, const char *job)
{
    const dltc_value *from =
        sources && sources->type == DLTC_TYPE_OBJECT ? dltc_object_get(sources, job) : NULL;
    return from && from->type == DLTC_TYPE_STRING ? from->u.s : NULL;
}

/* Normalize the job file `job` of the extracted package folder `src` into <dst>/new_jobs;
 * `from` (may be NULL) names its input in error messages. */
static int normalize_job(dltc_schema *s, const char *src, const char *dst, const char *load_id,
                         const char *job, const char *from,
                         const dltc_normalize_package_options *o)
{
    const char *dot = strchr(job, '.');
    char *table = dltc__strndup(job, dot ? (size_t)(dot - job) : strlen(job));
    dltc_buf out = DLTC_BUF_INIT, in = DLTC_BUF_INIT;
    dltc_normalizer *n = NULL;
    dltc_normalize_options no = DLTC_NORMALIZE_OPTIONS_INIT;
    int rc = table ? 0 : dltc__error_oom();
    if (!rc)
        rc = dltc__buf_printf(&out, "%s/new_jobs", dst);
    if (!rc)
        rc = dltc__buf_printf(&in, "%s/new_jobs/%s", src, job);
    if (!rc) {
        no.table_name = table;
        no.out_dir = out.data;
        no.load_id = load_id;
        no.file_format = o->file_format;
        no.file_name_layout = "{table_name}.{file_id}.0.{ext}";
        rc = dltc_normalizer_new(&n, s, &no);
    }
    if (!rc) {
        const char *ext = strrchr(job, '.');
        dltc__normalizer_set_typed(n, ext && strcmp(ext, ".typed-jsonl") == 0);
        dltc__normalizer_set_rotation(n, o->max_items, o->hook, o->ctx);
        dltc__normalizer_set_progress(n, o->progress);
    }
    if (!rc)
        rc = dltc__normalizer_feed_file_named(n, in.data, from);
    if (!rc)
        rc = dltc_normalizer_finish(n);
    if (!rc)
        dltc__progress_add(o->progress, DLTC_PROGRESS_NORMALIZE, NULL, 0, 1, 0);
    dltc_normalizer_free(n);
    dltc__free(table);
    dltc__buf_free(&out);
    dltc__buf_free(&in);
    return rc;
}

/* The normalized package `dst` carries its schema and what changed in it, and the package
 * state of the extracted package `src` travels with it (when there is one). */
static int write_package_files(dltc_schema *s, const char *src, const char *dst)
{
    dltc_buf path = DLTC_BUF_INIT;
    char *doc = NULL;
    int rc = dltc_schema_export(&doc, s, DLTC_SCHEMA_JSON, 0);
    if (!rc)
        rc = dltc__buf_printf(&path, "%s/schema.json", dst);
    if (!rc)
        rc = dltc__write_file_atomic(path.data, doc, strlen(doc));
    dltc_free(doc);
    if (!rc) {
        dltc_buf upd = DLTC_BUF_INIT;
        rc = dltc__schema_updates_json(s, &upd);
        dltc__buf_clear(&path);
        if (!rc)
            rc = dltc__buf_printf(&path, "%s/schema_updates.json", dst);
        if (!rc)
            rc = dltc__write_file_atomic(path.data, upd.data ? upd.data : "{}",
                                         upd.data ? upd.len : 2);
        dltc__buf_free(&upd);
    }
    if (!rc) {
        char *st = NULL;
        size_t sl = 0;
        dltc__buf_clear(&path);
        rc = dltc__buf_printf(&path, "%s/load_package_state.json", src);
        if (!rc && dltc__read_file(path.data, &st, &sl) == 0) {
            dltc__buf_clear(&path);
            rc = dltc__buf_printf(&path, "%s/load_package_state.json", dst);
            if (!rc)
                rc = dltc__write_file_atomic(path.data, st, sl);
        }
        dltc__free(st);
    }
    dltc__buf_free(&path);
    return rc;
}

int dltc__normalize_package(dltc_schema **out, dltc_storage *storage, const char *load_id,
                            const dltc_normalize_package_options *o)
{
    *out = NULL;
    char *src = dltc__package_path(storage, DLTC_STAGE_EXTRACTED, load_id);
    char *dst = NULL, *text = NULL, *pstate = NULL;
    char **jobs = NULL;
    size_t njobs = 0, len = 0;
    dltc_schema *s = NULL;
    dltc_buf path = DLTC_BUF_INIT;
    dltc_arena psa;
    dltc__arena_init(&psa, 4096);
    const dltc_value *sources = NULL;
    int rc = src ? 0 : dltc__error_oom();
    if (!rc)
        rc = dltc__package_begin_normalize(storage, load_id, &dst);
    if (!rc)
        rc = dltc__buf_printf(&path, "%s/schema.json", src);
    if (!rc)
        rc = dltc__read_file(path.data, &text, &len);
    if (!rc)
        rc = dltc_schema_import(&s, text, len);
    if (!rc)
        rc = dltc__package_jobs(storage, DLTC_STAGE_EXTRACTED, load_id, DLTC_JOB_NEW, &jobs,
                                &njobs);
    if (!rc)
        sources = read_job_sources(src, &psa, &pstate);
    if (!rc && o->progress)
        dltc__progress_add_total(o->progress, DLTC_PROGRESS_NORMALIZE,
                                 dltc__package_jobs_bytes(src, DLTC_JOB_NEW, jobs, njobs));
    dltc__crash_point("normalize:start");
    for (size_t i = 0; i < njobs && !rc; i++) {
        rc = normalize_job(s, src, dst, load_id, jobs[i], job_source(sources, jobs[i]), o);
        if (i == 0)
            dltc__crash_point("normalize:after-first-job");
    }
    if (!rc)
        rc = write_package_files(s, src, dst);
    dltc__crash_point("normalize:after-package-files");
    dltc__crash_point("normalize:before-commit");
    if (!rc)
        rc = dltc__package_commit_normalize(storage, load_id);
    dltc__crash_point("normalize:after-commit");
    if (!rc) {
        dltc__schema_commit_updates(s);
        *out = s;
        s = NULL;
    }
    dltc_schema_free(s);
    dltc__strv_free(jobs, njobs);
    dltc__arena_free(&psa);
    dltc__free(pstate);
    dltc__free(text);
    dltc__free(src);
    dltc__free(dst);
    dltc__buf_free(&path);
    return rc;
}
