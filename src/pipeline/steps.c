/* The steps of a run one at a time (dlt's pipeline.extract / normalize / load), the
 * pipeline's accessors, its state as JSON, and SQL with parameters (dlt's sql_client). */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/progress.h"
#include "common/time.h"
#include "extract/resource_int.h"
#include "formats/json.h"
#include "formats/typed_json.h"
#include "load/sql.h"
#include "pipeline/trace.h"
#include "package/loadid.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *dltc_pipeline_name(const dltc_pipeline *p) { return p->name; }
const char *dltc_pipeline_dataset_name(const dltc_pipeline *p) { return p->dataset; }
const char *dltc_pipeline_destination(const dltc_pipeline *p) { return p->destination; }
const char *dltc_pipeline_working_dir(const dltc_pipeline *p) { return p->working_dir; }
const char *dltc_pipeline_pipelines_dir(const dltc_pipeline *p) { return p->pipelines_dir; }
const char *dltc_pipeline_schema_name(const dltc_pipeline *p) { return p->schema_name; }
const char *dltc_pipeline_location(const dltc_pipeline *p)
{
    return p->display.data ? p->display.data : "";
}
int dltc_pipeline_first_run(const dltc_pipeline *p) { return p->state.first_run; }

int dltc_pipeline_state_json(dltc_pipeline *p, char **out)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__state_json(&p->state, &b);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return *out ? 0 : dltc__error_oom();
}

int dltc_pipeline_state(dltc_pipeline *p, dltc_doc *doc, const dltc_value **out)
{
    char *json = NULL;
    int rc = dltc_pipeline_state_json(p, &json);
    dltc_value *v = NULL;
    if (!rc)
        rc = dltc_doc_parse_json(doc, json, strlen(json), &v);
    if (!rc)
        rc = dltc__typed_json_decode(&doc->arena, v);
    dltc_free(json);
    if (!rc)
        *out = v;
    return rc;
}

/* ---- steps ---- */

static int info_package(dltc_load_info *info, const char *load_id, const char *status)
{
    dltc_package_info *pk = dltc__realloc(info->packages, (info->npackages + 1) * sizeof(*pk));
    if (!pk)
        return dltc__error_oom();
    info->packages = pk;
    memset(&pk[info->npackages], 0, sizeof(*pk));
    pk[info->npackages].load_id = dltc__strdup(load_id);
    pk[info->npackages].status = dltc__strdup(status);
    info->npackages++;
    return pk[info->npackages - 1].load_id && pk[info->npackages - 1].status ? 0
                                                                             : dltc__error_oom();
}

/* info_package and its jobs in `stage` */
static int info_package_jobs(dltc_pipeline *p, dltc_load_info *info, const char *load_id,
                             const char *status, dltc_stage stage)
{
    int rc = info_package(info, load_id, status);
    return rc ? rc : dltc__load_info_package_jobs(p, &info->packages[info->npackages - 1], stage);
}

void dltc__package_info_clear(dltc_package_info *pk)
{
    for (size_t j = 0; j < pk->njobs; j++) {
        dltc__free(pk->jobs[j].name);
        dltc__free(pk->jobs[j].table);
    }
    dltc__free(pk->jobs);
    for (size_t k = 0; k < pk->ncounts; k++)
        dltc__free(pk->counts[k].table);
    dltc__free(pk->counts);
    dltc__free(pk->load_id);
    dltc__free(pk->status);
}

int dltc__load_info_package_jobs(dltc_pipeline *p, dltc_package_info *pk, dltc_stage stage)
{
    static const struct {
        dltc_job_state st;
        const char *name;
    } states[] = {{DLTC_JOB_NEW, "new_jobs"},
                  {DLTC_JOB_COMPLETED, "completed_jobs"},
                  {DLTC_JOB_FAILED, "failed_jobs"}};
    int rc = 0;
    for (size_t s = 0; s < sizeof(states) / sizeof(states[0]) && !rc; s++) {
        char **files = NULL;
        size_t n = 0;
        rc = dltc__package_jobs(p->storage, stage, pk->load_id, states[s].st, &files, &n);
        if (rc == DLTC_ENOTFOUND) {
            dltc_error_clear();
            rc = 0;
        }
        dltc_job_info *v = n ? dltc__realloc(pk->jobs, (pk->njobs + n) * sizeof(*v)) : pk->jobs;
        if (!rc && n && !v)
            rc = dltc__error_oom();
        if (!rc)
            pk->jobs = v;
        for (size_t i = 0; i < n && !rc; i++) {
            if (strstr(files[i], ".exception"))
                continue;
            const char *dot = strchr(files[i], '.');
            dltc_job_info *j = &pk->jobs[pk->njobs];
            j->state = states[s].name;
            j->name = dltc__strdup(files[i]);
            j->table = dltc__strndup(files[i], dot ? (size_t)(dot - files[i]) : strlen(files[i]));
            pk->njobs++;
            if (!j->name || !j->table)
                rc = dltc__error_oom();
        }
        dltc__strv_free(files, n);
    }
    return rc;
}

static int list_into(dltc_pipeline *p, dltc_stage stage, dltc_load_info *info,
                     const char *status, char **skip, size_t nskip)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = dltc__storage_list(p->storage, stage, &ids, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        int old = 0;
        for (size_t k = 0; k < nskip && !old; k++)
            old = strcmp(skip[k], ids[i]) == 0;
        if (!old)
            rc = info_package_jobs(p, info, ids[i], status, stage);
    }
    dltc__strv_free(ids, n);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Hand *info over or free it. */
static int step_end(dltc_pipeline *p, int rc, dltc_load_info *info, double t0,
                    dltc_load_info **out)
{
    if (info)
        info->elapsed_s = now_s() - t0;
    dltc__pipeline_unlock(p);
    if (rc || !out)
        dltc_load_info_free(info);
    else
        *out = info;
    return rc;
}

int dltc_pipeline_extract(dltc_pipeline *p, struct dltc_source *src, dltc_load_info **out)
{
    if (out)
        *out = NULL;
    if (!src)
        return dltc__error_set(DLTC_EINVALID, "no source to extract");
    double t0 = now_s();
    int rc = dltc__pipeline_lock(p);
    if (rc)
        return rc;
    dltc_load_info *info = dltc__load_info_new(p);
    if (!info)
        rc = dltc__error_oom();
    /* the destination's newer state first, unless packages wait (they carry the state) */
    char **pending = NULL;
    size_t npending = 0;
    if (!rc)
        rc = dltc__storage_list(p->storage, DLTC_STAGE_EXTRACTED, &pending, &npending);
    if (!rc && !npending) {
        char **norm = NULL;
        size_t nn = 0;
        rc = dltc__storage_list(p->storage, DLTC_STAGE_NORMALIZED, &norm, &nn);
        dltc__strv_free(norm, nn);
        if (!rc && !nn)
            rc = dltc__pipeline_sync(p, 0, &info->restored);
    }
    dltc__extract_run *xr = NULL;
    dltc_schema *s = NULL;
    if (!rc)
        rc = dltc__extract_run_new(&xr, src);
    if (!rc)
        dltc__extract_run_set_progress(xr, p->progress);
    for (int more = !rc; more;) {
        char load_id[40];
        dltc__load_id_new(load_id);
        dltc_schema_free(s);
        s = NULL;
        rc = dltc__pipeline_schema(p, &s);
        if (!rc) {
            dltc__progress_begin(p->progress, DLTC_PROGRESS_EXTRACT);
            rc = dltc__extract_run_step(xr, p->storage, s, &p->state, load_id);
            dltc__progress_end(p->progress, DLTC_PROGRESS_EXTRACT, rc < 0);
            more = rc == 1;
            if (more)
                rc = 0;
        }
        if (!rc)
            rc = dltc__state_save(&p->state, p->state_path);
        if (!rc)
            rc = dltc__pipeline_save_schema(p, s);
        if (rc)
            more = 0;
    }
    dltc__extract_run_free(xr);
    dltc_schema_free(s);
    if (!rc)
        rc = list_into(p, DLTC_STAGE_EXTRACTED, info, "EXTRACTED", pending, npending);
    dltc__strv_free(pending, npending);
    return step_end(p, rc, info, t0, out);
}

int dltc_pipeline_normalize(dltc_pipeline *p, dltc_load_info **out)
{
    if (out)
        *out = NULL;
    double t0 = now_s();
    int rc = dltc__pipeline_lock(p);
    if (rc)
        return rc;
    dltc_load_info *info = dltc__load_info_new(p);
    char **ids = NULL;
    size_t n = 0;
    rc = info ? dltc__storage_list(p->storage, DLTC_STAGE_EXTRACTED, &ids, &n)
              : dltc__error_oom();
    if (!rc)
        rc = dltc__pipeline_normalize_pending(p, NULL);
    for (size_t i = 0; i < n && !rc; i++)
        rc = info_package_jobs(p, info, ids[i], "NORMALIZED", DLTC_STAGE_NORMALIZED);
    dltc__strv_free(ids, n);
    return step_end(p, rc, info, t0, out);
}

int dltc_pipeline_load(dltc_pipeline *p, dltc_load_info **out)
{
    if (out)
        *out = NULL;
    double t0 = now_s();
    int rc = dltc__pipeline_lock(p);
    if (rc)
        return rc;
    dltc_load_info *info = dltc__load_info_new(p);
    rc = info ? dltc__pipeline_load_pending(p, info, NULL) : dltc__error_oom();
    if (!rc && p->state.first_run && info->npackages) {
        p->state.first_run = 0;
        rc = dltc__state_save(&p->state, p->state_path);
    }
    return step_end(p, rc, info, t0, out);
}

/* ---- load info ---- */

const char *dltc_load_info_pipeline_name(const dltc_load_info *i) { return i->pipeline_name; }
const char *dltc_load_info_dataset_name(const dltc_load_info *i) { return i->dataset_name; }
const char *dltc_load_info_destination_name(const dltc_load_info *i)
{
    return i->destination_name;
}
const char *dltc_load_info_destination_type(const dltc_load_info *i)
{
    return i->destination_type;
}
const char *dltc_load_info_location(const dltc_load_info *i) { return i->location; }
double dltc_load_info_elapsed(const dltc_load_info *i) { return i->elapsed_s; }
size_t dltc_load_info_package_count(const dltc_load_info *i) { return i->npackages; }
const char *dltc_load_info_package_id(const dltc_load_info *i, size_t k)
{
    return k < i->npackages ? i->packages[k].load_id : NULL;
}
const char *dltc_load_info_package_state(const dltc_load_info *i, size_t k)
{
    return k < i->npackages ? i->packages[k].status : NULL;
}
size_t dltc_load_info_package_failed_jobs(const dltc_load_info *i, size_t k)
{
    return k < i->npackages ? i->packages[k].failed_jobs : 0;
}
size_t dltc_load_info_table_count(const dltc_load_info *i) { return i->ncounts; }
const char *dltc_load_info_table_name(const dltc_load_info *i, size_t k)
{
    return k < i->ncounts ? i->counts[k].table : NULL;
}
uint64_t dltc_load_info_table_rows(const dltc_load_info *i, size_t k)
{
    return k < i->ncounts ? i->counts[k].rows : 0;
}

/* ---- SQL with parameters ---- */

static int literal(dltc_buf *b, const dltc_value *v, dltc_sql_dialect d)
{
    char tmp[64];
    switch (v->type) {
    case DLTC_TYPE_NULL:
        return dltc__buf_puts(b, "NULL");
    case DLTC_TYPE_BOOL:
        return dltc__buf_puts(b, v->u.i ? "TRUE" : "FALSE");
    case DLTC_TYPE_INT:
        return dltc__buf_printf(b, "%lld", (long long)v->u.i);
    case DLTC_TYPE_DOUBLE:
        if (!isfinite(v->u.d))
            return dltc__buf_puts(b, isnan(v->u.d) ? "'NaN'::DOUBLE PRECISION"
                                  : v->u.d > 0 ? "'Infinity'::DOUBLE PRECISION"
                                               : "'-Infinity'::DOUBLE PRECISION");
        return dltc__buf_printf(b, "%.17g", v->u.d);
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL: /* validated digits */
        return dltc__buf_put(b, v->u.s, v->len);
    case DLTC_TYPE_STRING:
        return dltc__sql_string(b, v->u.s, v->len);
    case DLTC_TYPE_TIMESTAMP:
    case DLTC_TYPE_DATE:
    case DLTC_TYPE_TIME: {
        char *j = NULL;
        size_t n = 0;
        int rc = dltc_value_to_json(&j, &n, v); /* "ISO text" */
        if (!rc && n >= 2)
            rc = dltc__sql_string(b, j + 1, n - 2);
        dltc_free(j);
        if (rc)
            return rc;
        const char *cast = v->type == DLTC_TYPE_DATE ? "DATE"
                           : v->type == DLTC_TYPE_TIME ? "TIME"
                           : (v->flags & DLTC_VF_TZ) ? "TIMESTAMPTZ" : "TIMESTAMP";
        return dltc__buf_printf(b, "::%s", cast);
    }
    case DLTC_TYPE_BINARY: {
        int rc = dltc__buf_puts(b, d == DLTC_SQL_POSTGRES ? "'\\x" : "from_hex('");
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            snprintf(tmp, sizeof(tmp), "%02x", (unsigned char)v->u.s[i]);
            rc = dltc__buf_puts(b, tmp);
        }
        return rc ? rc : dltc__buf_puts(b, d == DLTC_SQL_POSTGRES ? "'::bytea" : "')");
    }
    case DLTC_TYPE_ARRAY:
    case DLTC_TYPE_OBJECT: {
        char *j = NULL;
        size_t n = 0;
        int rc = dltc_value_to_json(&j, &n, v);
        if (!rc)
            rc = dltc__sql_string(b, j, n);
        dltc_free(j);
        return rc;
    }
    }
    return dltc__error_set(DLTC_EINVALID, "SQL parameter of unknown type");
}

/* %s placeholders (DB-API pyformat, as dlt's sql clients take them) outside quotes and
 * comments become the parameters as escaped literals; %% is a % (also inside quotes). */
static int bind_params(dltc_buf *b, const char *sql, const dltc_value *params,
                       dltc_sql_dialect d)
{
    size_t np = params ? params->len : 0, used = 0;
    if (params && params->type != DLTC_TYPE_ARRAY)
        return dltc__error_set(DLTC_EINVALID, "SQL parameters must be an array");
    int rc = 0;
    for (const char *s = sql; *s && !rc;) {
        if (*s == '\'' || *s == '"') { /* a literal or quoted identifier, as it is */
            char q = *s;
            const char *e = s + 1;
            while (*e && !(*e == q && e[1] != q))
                e += (*e == q && e[1] == q) ? 2 : 1;
            if (*e)
                e++;
            /* %% is a % everywhere (as psycopg2 reads it); a %s inside stays as written */
            for (; s < e && !rc; s++) {
                rc = dltc__buf_putc(b, *s);
                if (params && s[0] == '%' && s + 1 < e && s[1] == '%')
                    s++;
            }
        } else if (s[0] == '-' && s[1] == '-') {
            const char *e = strchr(s, '\n');
            e = e ? e : s + strlen(s);
            rc = dltc__buf_put(b, s, (size_t)(e - s));
            s = e;
        } else if (s[0] == '%' && s[1] == 's' && params) {
            if (used >= np)
                return dltc__error_set(DLTC_EINVALID, "SQL has more %%s placeholders than the "
                                       "%zu parameter(s) given", np);
            rc = literal(b, &params->u.arr[used++], d);
            s += 2;
        } else if (s[0] == '%' && s[1] == '%' && params) {
            rc = dltc__buf_putc(b, '%');
            s += 2;
        } else {
            rc = dltc__buf_putc(b, *s++);
        }
    }
    if (!rc && used != np)
        return dltc__error_set(DLTC_EINVALID, "SQL has %zu %%s placeholder(s) for %zu "
                               "parameter(s)", used, np);
    return rc;
}

int dltc_pipeline_execute(dltc_pipeline *p, const char *sql, const dltc_value *params,
                          dltc_rows **out)
{
    if (out)
        *out = NULL;
    int is_sql = p->dest->caps & DLTC_DESTCAP_SQL;
    if (!is_sql && !out)
        return dltc__error_set(DLTC_EINVALID, "the %s destination is read through views: "
                               "statements are not persisted", p->destination);
    int rc = dltc__pipeline_destination_ready(p);
    dltc_dest *db = NULL;
    if (!rc)
        rc = dltc__pipeline_dest_connect(p, is_sql ? DLTC_DEST_LOAD : DLTC_DEST_READ, &db);
    if (!rc && !db)
        rc = dltc__error_set(DLTC_ENOTFOUND, "pipeline %s has no destination database yet",
                             p->name);
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc) {
        /* the dataset is the default schema; created on first use, as dlt's sql_client */
        if (is_sql) {
            rc = dltc__buf_puts(&b, "CREATE SCHEMA IF NOT EXISTS ");
            if (!rc)
                rc = dltc__sql_ident(&b, p->dataset);
            if (!rc)
                rc = dltc__dest_exec(db, b.data);
            dltc__buf_clear(&b);
        }
        if (!rc)
            rc = dltc__buf_puts(&b, "SET search_path = ");
        if (!rc)
            rc = dltc__sql_string(&b, p->dataset, strlen(p->dataset));
        if (!rc && dltc__dest_exec(db, b.data) != 0)
            dltc_error_clear();
        dltc__buf_clear(&b);
    }
    if (!rc)
        rc = bind_params(&b, sql, params, dltc__dest_dialect(db));
    dltc_rows *rows = NULL;
    if (!rc)
        rc = dltc__dest_query(db, b.data, &rows);
    if (!rc && out)
        *out = rows;
    else
        dltc_rows_free(rows);
    dltc__buf_free(&b);
    dltc__dest_close(db);
    return rc;
}

static const dltc_job_info *job_at(const dltc_load_info *i, size_t k, size_t j)
{
    return i && k < i->npackages && j < i->packages[k].njobs ? &i->packages[k].jobs[j] : NULL;
}
size_t dltc_load_info_job_count(const dltc_load_info *i, size_t k)
{
    return i && k < i->npackages ? i->packages[k].njobs : 0;
}
const char *dltc_load_info_job_name(const dltc_load_info *i, size_t k, size_t j)
{
    const dltc_job_info *x = job_at(i, k, j);
    return x ? x->name : NULL;
}
const char *dltc_load_info_job_table(const dltc_load_info *i, size_t k, size_t j)
{
    const dltc_job_info *x = job_at(i, k, j);
    return x ? x->table : NULL;
}
const char *dltc_load_info_job_state(const dltc_load_info *i, size_t k, size_t j)
{
    const dltc_job_info *x = job_at(i, k, j);
    return x ? x->state : NULL;
}
size_t dltc_load_info_package_table_count(const dltc_load_info *i, size_t k)
{
    return i && k < i->npackages ? i->packages[k].ncounts : 0;
}
const char *dltc_load_info_package_table_name(const dltc_load_info *i, size_t k, size_t t)
{
    return t < dltc_load_info_package_table_count(i, k) ? i->packages[k].counts[t].table : NULL;
}
uint64_t dltc_load_info_package_table_rows(const dltc_load_info *i, size_t k, size_t t)
{
    return t < dltc_load_info_package_table_count(i, k) ? i->packages[k].counts[t].rows : 0;
}
