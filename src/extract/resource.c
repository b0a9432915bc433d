/* Resources, transformers and sources from C, and their extract: every item a selected
 * resource yields (after its map/filter steps and its incremental cursor) is written as dlt's
 * typed JSON into the extract package, one job file per table; transformers get each item of
 * their parent. An extract may be cut into several packages at checkpoints, each committed
 * with the state (cursors, resource and source state) as of that point. */
#include "dltc/resource.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/progress.h"
#include "extract/extract.h"
#include "extract/incremental.h"
#include "extract/resource_int.h"
#include "extract/source_state.h"
#include "formats/json.h"
#include "formats/typed_json.h"
#include "schema/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

enum { STEP_MAP, STEP_FILTER, STEP_CHECKED };

typedef struct {
    int kind;
    dltc_map_fn map;
    dltc_filter_fn filter;
    void *payload;
    dltc_step_fn checked;
} step;

struct dltc_resource {
    char *name;
    dltc_resource_fn fn;
    dltc_transformer_fn tfn;
    void *payload;
    dltc_resource *parent;
    dltc_resource_options o; /* strings owned below */
    char *table_name, *table_name_field, *write_disposition, *merge_strategy, *primary_key,
        *merge_key, *columns, *file_format, *schema_contract;
    step *steps;
    size_t nsteps;
    size_t limit; /* 0 = none */
    int owned;    /* added to a source */
    size_t idx;   /* position in its source */
    dltc__incr_def *incr;
    void (*payload_free)(void *); /* built-in resources own their payload */
};

struct dltc_source {
    char *name;
    dltc_resource **res;
    size_t n;
    dltc_checkpoint_options cp;
    struct {
        void (*fn)(void *);
        void *payload;
    } *on_free; /* run after the resources are freed, last first */
    size_t n_on_free;
};

/* ---- objects ---- */

static int dupopt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    return (*dst = dltc__strdup(src)) ? 0 : dltc__error_oom();
}

static int make(dltc_resource **out, const char *name, const dltc_resource_options *opts)
{
    if (!name || !*name)
        return dltc__error_set(DLTC_EINVALID, "a resource needs a name");
    dltc_resource_options def = DLTC_RESOURCE_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    if (opts->version != DLTC_RESOURCE_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "resource options: version mismatch");
    dltc_resource *r = dltc__calloc(1, sizeof(*r));
    if (!r)
        return dltc__error_oom();
    r->o = *opts;
    if (dupopt(&r->name, name) || dupopt(&r->table_name, opts->table_name ? opts->table_name : name) ||
        dupopt(&r->table_name_field, opts->table_name_field) ||
        dupopt(&r->write_disposition, opts->write_disposition) ||
        dupopt(&r->merge_strategy, opts->merge_strategy) || dupopt(&r->primary_key, opts->primary_key) ||
        dupopt(&r->merge_key, opts->merge_key) || dupopt(&r->columns, opts->columns) ||
        dupopt(&r->file_format, opts->file_format) ||
        dupopt(&r->schema_contract, opts->schema_contract)) {
        dltc_resource_free(r);
        return DLTC_ENOMEM;
    }
    *out = r;
    return 0;
}

int dltc_resource_new(dltc_resource **out, const char *name, dltc_resource_fn fn, void *payload,
                      const dltc_resource_options *opts)
{
    if (!fn)
        return dltc__error_set(DLTC_EINVALID, "resource '%s' needs a function", name ? name : "");
    int rc = make(out, name, opts);
    if (!rc) {
        (*out)->fn = fn;
        (*out)->payload = payload;
    }
    return rc;
}

int dltc_transformer_new(dltc_resource **out, const char *name, dltc_resource *parent,
                         dltc_transformer_fn fn, void *payload, const dltc_resource_options *opts)
{
    if (!fn || !parent)
        return dltc__error_set(DLTC_EINVALID, "transformer '%s' needs a function and a parent",
                               name ? name : "");
    int rc = make(out, name, opts);
    if (!rc) {
        (*out)->tfn = fn;
        (*out)->payload = payload;
        (*out)->parent = parent;
    }
    return rc;
}

void dltc_resource_free(dltc_resource *r)
{
    if (!r || r->owned)
        return;
    dltc__free(r->name);
    dltc__free(r->table_name);
    dltc__free(r->table_name_field);
    dltc__free(r->write_disposition);
    dltc__free(r->merge_strategy);
    dltc__free(r->primary_key);
    dltc__free(r->merge_key);
    dltc__free(r->columns);
    dltc__free(r->file_format);
    dltc__free(r->schema_contract);
    dltc__free(r->steps);
    dltc__incr_def_free(r->incr);
    if (r->payload_free)
        r->payload_free(r->payload);
    dltc__free(r);
}

int dltc_resource_set_payload_free(dltc_resource *r, void (*fn)(void *payload))
{
    if (!r)
        return dltc__error_set(DLTC_EINVALID, "dltc_resource_set_payload_free: no resource");
    r->payload_free = fn;
    return 0;
}

static int add_step(dltc_resource *r, step s)
{
    step *n = dltc__realloc(r->steps, (r->nsteps + 1) * sizeof(*n));
    if (!n)
        return dltc__error_oom();
    r->steps = n;
    n[r->nsteps++] = s;
    return 0;
}

int dltc_resource_add_map(dltc_resource *r, dltc_map_fn fn, void *payload)
{
    return add_step(r, (step){STEP_MAP, fn, NULL, payload, NULL});
}

int dltc_resource_add_filter(dltc_resource *r, dltc_filter_fn fn, void *payload)
{
    return add_step(r, (step){STEP_FILTER, NULL, fn, payload, NULL});
}

int dltc_resource_add_step(dltc_resource *r, dltc_step_fn fn, void *payload)
{
    if (!r || !fn)
        return dltc__error_set(DLTC_EINVALID, "dltc_resource_add_step: no resource or function");
    return add_step(r, (step){STEP_CHECKED, NULL, NULL, payload, fn});
}

int dltc_resource_set_selected(dltc_resource *r, int selected)
{
    if (!r)
        return dltc__error_set(DLTC_EINVALID, "dltc_resource_set_selected: no resource");
    r->o.selected = selected ? 1 : 0;
    return 0;
}

int dltc_resource_selected(const dltc_resource *r)
{
    return r ? r->o.selected : 0;
}

int dltc_resource_add_limit(dltc_resource *r, size_t max_pages)
{
    r->limit = max_pages;
    return 0;
}

int dltc_resource_set_incremental(dltc_resource *r, const dltc_incremental_options *o)
{
    dltc__incr_def *d;
    int rc = dltc__incr_def_new(&d, o);
    if (rc) {
        dltc__error_prefix("resource '%s': ", r->name);
        return rc;
    }
    dltc__incr_def_free(r->incr);
    r->incr = d;
    return 0;
}

int dltc_source_new(dltc_source **out, const char *name)
{
    dltc_source *s = dltc__calloc(1, sizeof(*s));
    if (!s || !(s->name = dltc__strdup(name ? name : "source"))) {
        dltc__free(s);
        return dltc__error_oom();
    }
    *out = s;
    return 0;
}

int dltc_source_add(dltc_source *src, dltc_resource *r)
{
    if (!r)
        return dltc__error_set(DLTC_EINVALID, "no resource to add");
    dltc_resource **n = dltc__realloc(src->res, (src->n + 1) * sizeof(*n));
    if (!n) {
        dltc_resource_free(r);
        return dltc__error_oom();
    }
    src->res = n;
    r->idx = src->n;
    n[src->n++] = r;
    r->owned = 1;
    return 0;
}

dltc_resource *dltc_source_resource(dltc_source *src, const char *name)
{
    for (size_t i = 0; src && name && i < src->n; i++)
        if (strcmp(src->res[i]->name, name) == 0)
            return src->res[i];
    return NULL;
}

size_t dltc_source_resource_count(const dltc_source *src)
{
    return src ? src->n : 0;
}

dltc_resource *dltc_source_resource_at(dltc_source *src, size_t i)
{
    return src && i < src->n ? src->res[i] : NULL;
}

const char *dltc_resource_name(const dltc_resource *r)
{
    return r->name;
}

int dltc_source_set_checkpoints(dltc_source *src, const dltc_checkpoint_options *o)
{
    if (!o || o->version != DLTC_CHECKPOINT_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "checkpoint options: version mismatch");
    src->cp = *o;
    return 0;
}

void dltc_source_free(dltc_source *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->n; i++) {
        src->res[i]->owned = 0;
        dltc_resource_free(src->res[i]);
    }
    dltc__free(src->res);
    while (src->n_on_free--)
        src->on_free[src->n_on_free].fn(src->on_free[src->n_on_free].payload);
    dltc__free(src->on_free);
    dltc__free(src->name);
    dltc__free(src);
}

int dltc_source_on_free(dltc_source *src, void (*fn)(void *payload), void *payload)
{
    if (!src || !fn)
        return dltc__error_set(DLTC_EINVALID, "dltc_source_on_free: no source or function");
    void *n = dltc__realloc(src->on_free, (src->n_on_free + 1) * sizeof(*src->on_free));
    if (!n)
        return dltc__error_oom();
    src->on_free = n;
    src->on_free[src->n_on_free].fn = fn;
    src->on_free[src->n_on_free++].payload = payload;
    return 0;
}


/* ---- extract ---- */

typedef struct {
    char *table; /* as given (normalized by the schema) */
    char *path;  /* the job file, for errors */
    int fd;
    dltc_buf buf;
    uint64_t written; /* bytes flushed to fd */
} job_out;

/* One resource during an extract run. */
typedef struct {
    dltc_resource *r;
    int active;            /* selected, or feeds a selected transformer */
    int done;
    size_t pages;          /* calls that yielded something (add_limit) */
    dltc_doc *doc;         /* the function's scratch doc */
    dltc_incremental *inc; /* its cursor, or NULL */
} res_run;

struct dltc__extract_run {
    dltc_source *src;
    res_run *rr;
    size_t cur;            /* the top-level resource being extracted */
    int started;
    int checkpoints;       /* honour the source's checkpoint options */
    dltc__sstate ss;       /* the sources state as the run changes it */
    /* the package being written */
    dltc_schema *schema;
    const char *pkg;
    job_out *jobs;
    size_t njobs;
    dltc_arena arena;
    size_t items, pages;   /* since the package began */
    dltc__progress *pg;    /* progress reports, or NULL */
    uint64_t pg_items, pg_bytes; /* counted since the last report */
};

typedef dltc__extract_run xctx;

struct dltc_yield {
    xctx *x;
    res_run *rr;
    dltc_doc *doc;
    size_t items;
};

static int deliver(xctx *x, res_run *rr, const dltc_value *item, dltc_doc *doc);

static int flush_job(job_out *j)
{
    size_t off = 0;
    while (off < j->buf.len) {
        ssize_t n = write(j->fd, j->buf.data + off, j->buf.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return dltc__error_set(DLTC_EIO, "%s: write failed: %s", j->path, strerror(errno));
        off += (size_t)n;
    }
    j->written += j->buf.len;
    dltc__buf_clear(&j->buf);
    return 0;
}

static int flush_job_cb(void *ctx, dltc_buf *b)
{
    (void)b;
    return flush_job(ctx);
}

static int table_of(dltc_resource *r, const dltc_value *item, const char **out)
{
    *out = r->table_name;
    if (r->o.table_name_fn) {
        const char *t = r->o.table_name_fn(item, r->o.table_name_payload);
        if (!t || !*t)
            return dltc__error_set(DLTC_EINVALID, "resource '%s': the table name function gave "
                                   "no name", r->name);
        *out = t;
    } else if (r->table_name_field) {
        const dltc_value *v =
            item->type == DLTC_TYPE_OBJECT ? dltc_object_get(item, r->table_name_field) : NULL;
        if (!v || v->type != DLTC_TYPE_STRING || !v->len)
            return dltc__error_set(DLTC_EINVALID, "resource '%s': item has no string field '%s' "
                                   "for its table name", r->name, r->table_name_field);
        *out = v->u.s;
    }
    return 0;
}

/* The items and bytes written since the last report into the meter. */
static void progress_count(xctx *x, const char *resource)
{
    dltc__progress_add(x->pg, DLTC_PROGRESS_EXTRACT, resource, x->pg_items, 0, x->pg_bytes);
    x->pg_items = x->pg_bytes = 0;
}

void dltc__extract_run_set_progress(dltc__extract_run *x, dltc__progress *pg)
{
    x->pg = pg;
}

static int write_item(xctx *x, dltc_resource *r, const dltc_value *item)
{
    const char *tname;
    int rc = table_of(r, item, &tname);
    if (rc)
        return rc;
    job_out *j = NULL;
    for (size_t i = 0; i < x->njobs; i++)
        if (strcmp(x->jobs[i].table, tname) == 0)
            j = &x->jobs[i];
    if (!j) {
        dltc_table_hints h = {r->write_disposition, r->merge_strategy, r->primary_key,
                              r->merge_key,         r->o.max_table_nesting, r->columns,
                              r->file_format, r->schema_contract};
        dltc_table *t;
        if ((rc = dltc__schema_apply_data_hints(x->schema, tname, &h, &t)))
            return rc;
        if (!t->resource || strcmp(t->resource, r->name)) {
            dltc__free(t->resource);
            if (!(t->resource = dltc__strdup(r->name)))
                return dltc__error_oom();
        }
        job_out *n = dltc__realloc(x->jobs, (x->njobs + 1) * sizeof(*n));
        if (!n)
            return dltc__error_oom();
        x->jobs = n;
        j = &n[x->njobs];
        memset(j, 0, sizeof(*j));
        j->fd = -1;
        if (!(j->table = dltc__strdup(tname)))
            return dltc__error_oom();
        x->njobs++;
        dltc_buf path = DLTC_BUF_INIT;
        rc = dltc__extract_job_path(&path, x->pkg, t->name, "typed-jsonl");
        if (!rc) {
            j->fd = open(path.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (j->fd < 0)
                rc = dltc__error_set(DLTC_EIO, "%s: cannot create: %s", path.data, strerror(errno));
        }
        if (!rc)
            j->path = dltc__buf_detach(&path);
        dltc__buf_free(&path);
        if (rc)
            return rc;
    }
    x->items++;
    uint64_t at0 = j->written + j->buf.len;
    /* an item's deferred lists (yield_file) are written as they are read, flushed on the way */
    if ((rc = dltc__typed_json_write_stream(&j->buf, item, 256u << 10, flush_job_cb, j)) ||
        (rc = dltc__buf_putc(&j->buf, '\n')))
        return rc;
    if (x->pg) {
        x->pg_bytes += j->written + j->buf.len - at0;
        if (++x->pg_items >= DLTC__PROGRESS_EVERY)
            progress_count(x, r->name);
    }
    return j->buf.len >= (256u << 10) ? flush_job(j) : 0;
}

static int is_replace(const dltc_resource *r)
{
    return r->write_disposition && strcmp(r->write_disposition, "replace") == 0;
}

static int feeds_selected(dltc_source *src, dltc_resource *r)
{
    for (size_t i = 0; i < src->n; i++) {
        dltc_resource *c = src->res[i];
        if (c->parent == r && (c->o.selected || feeds_selected(src, c)))
            return 1;
    }
    return 0;
}

/* An item of a resource: its steps, its cursor, then its table (if selected) and its
 * transformers (dlt places the incremental step after map and filter steps). */
static int deliver(xctx *x, res_run *rr, const dltc_value *item, dltc_doc *doc)
{
    dltc_resource *r = rr->r;
    for (size_t i = 0; i < r->nsteps; i++) {
        step *s = &r->steps[i];
        if (s->kind == STEP_FILTER) {
            if (!s->filter(item, s->payload))
                return 0;
        } else if (s->kind == STEP_CHECKED) {
            const dltc_value *kept = NULL;
            int rc = s->checked(item, doc, &kept, s->payload);
            if (rc)
                return rc < 0 ? rc : DLTC_EINVALID;
            if (!kept)
                return 0;
            item = kept;
        } else {
            item = s->map(item, doc, s->payload);
            if (!item)
                return 0;
        }
    }
    int rc = 0;
    if (rr->inc) {
        int keep;
        if ((rc = dltc__incr_filter(rr->inc, item, &keep)) || !keep)
            return rc;
    }
    if (r->o.selected)
        rc = write_item(x, r, item);
    for (size_t i = 0; i < x->src->n && !rc; i++) {
        res_run *crr = &x->rr[i];
        dltc_resource *c = crr->r;
        if (c->parent != r || !crr->active)
            continue;
        dltc_doc *cdoc = NULL;
        if ((rc = dltc_doc_new(&cdoc)))
            break;
        dltc_yield y = {x, crr, cdoc, 0};
        rc = c->tfn(item, &y, c->payload);
        if (rc == DLTC_ITEROVER)
            rc = 0;
        else if (rc && !dltc_error_last()->code)
            rc = dltc__error_set(rc, "transformer '%s' failed (%d)", c->name, rc);
        dltc_doc_free(cdoc);
    }
    return rc;
}

dltc_doc *dltc_yield_doc(dltc_yield *y)
{
    return y->doc;
}

/* After row_order closed the cursor, further yields of the resource are dropped: dlt closes
 * the generator (the page that crossed the bound is still processed). */
static int yield_closed(dltc_yield *y)
{
    return y->rr->inc && !y->rr->r->parent && dltc__incr_closed(y->rr->inc);
}

int dltc_yield_value(dltc_yield *y, const dltc_value *item)
{
    if (!item)
        return dltc__error_set(DLTC_EINVALID, "resource '%s' yielded NULL", y->rr->r->name);
    if (yield_closed(y))
        return DLTC_ITEROVER;
    /* a yielded list is a page of items, as in dlt */
    size_t n = item->type == DLTC_TYPE_ARRAY ? item->len : 1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        y->items++;
        rc = deliver(y->x, y->rr, item->type == DLTC_TYPE_ARRAY ? &item->u.arr[i] : item,
                     y->doc);
    }
    if (!rc && y->rr->inc)
        rc = dltc__incr_flush(y->rr->inc);
    return rc;
}

int dltc_yield_json(dltc_yield *y, const char *json, size_t len)
{
    if (yield_closed(y))
        return DLTC_ITEROVER;
    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    dltc_json_reader *rd;
    char name[160];
    snprintf(name, sizeof(name), "resource %s", y->rr->r->name);
    int rc = dltc__json_reader_open_mem(&rd, json, len, name, &ro);
    if (rc)
        return rc;
    dltc_value *item;
    while ((rc = dltc__json_reader_next(rd, &y->x->arena, &item)) == 0) {
        y->items++;
        if ((rc = deliver(y->x, y->rr, item, y->doc)))
            break;
    }
    dltc__json_reader_free(rd);
    dltc__arena_reset(&y->x->arena);
    if (rc == DLTC_ITEROVER && y->rr->inc)
        rc = dltc__incr_flush(y->rr->inc);
    return rc == DLTC_ITEROVER ? 0 : rc;
}

/* ---- files as a resource ---- */

typedef struct {
    char **paths;
    size_t n, next;
} file_list;

static void file_list_free(void *p)
{
    file_list *f = p;
    for (size_t i = 0; f && i < f->n; i++)
        dltc__free(f->paths[i]);
    if (f)
        dltc__free(f->paths);
    dltc__free(f);
}

/* Items are delivered from the streaming reader in batches: the arena (and the incremental
 * boundary rows that point into it) is flushed every few thousand items, so a file of any
 * size is read in bounded memory. */
#define FILE_BATCH_ITEMS 4096

/* Nothing but the package file sees the resource's items whole: no map or filter step, cursor,
 * table-name function or transformer. Then a big item's big lists need not be parsed with
 * it (formats/json.h, defer_bytes): they are copied into the package as they are read. */
static int items_only_written(const xctx *x, const res_run *rr)
{
    const dltc_resource *r = rr->r;
    if (r->nsteps || rr->inc || r->o.table_name_fn)
        return 0;
    for (size_t i = 0; i < x->src->n; i++)
        if (x->rr[i].r->parent == r && x->rr[i].active)
            return 0;
    return 1;
}

static int yield_file(dltc_yield *y, const char *path)
{
    if (yield_closed(y))
        return 0;
    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    if (items_only_written(y->x, y->rr))
        ro.defer_bytes = DLTC_JSON_DEFER_BYTES;
    dltc_json_reader *rd;
    int rc = dltc__json_reader_open_file(&rd, path, &ro);
    if (rc)
        return rc;
    dltc_value *item;
    size_t batch = 0;
    int ours = 0; /* the error is not the reader's (which names file, line and column) */
    while ((rc = dltc__json_reader_next(rd, &y->x->arena, &item)) == 0) {
        y->items++;
        ours = 1;
        if ((rc = deliver(y->x, y->rr, item, y->doc)))
            break;
        ours = 0;
        if ((rc = dltc__json_reader_check_deferred(rd))) /* names file, line and column */
            break;
        if (++batch == FILE_BATCH_ITEMS) {
            if (y->rr->inc && (rc = dltc__incr_flush(y->rr->inc)))
                break;
            dltc__arena_reset(&y->x->arena);
            batch = 0;
            if (yield_closed(y)) {
                rc = DLTC_ITEROVER;
                break;
            }
        }
    }
    if (ours && rc && rc != DLTC_ITEROVER &&
        strncmp(dltc_error_last()->message, dltc__json_reader_name(rd),
                strlen(dltc__json_reader_name(rd))) == 0)
        ours = 0; /* from a deferred list: the reader named the place */
    if (rc && rc != DLTC_ITEROVER && ours)
        dltc__error_prefix("%s:%llu: ", strcmp(path, "-") ? path : "<stdin>",
                           (unsigned long long)dltc__json_reader_item_line(rd));
    dltc__json_reader_free(rd);
    if ((rc == DLTC_ITEROVER || !rc) && y->rr->inc)
        rc = dltc__incr_flush(y->rr->inc);
    dltc__arena_reset(&y->x->arena);
    return rc == DLTC_ITEROVER ? 0 : rc;
}

static int next_file(dltc_yield *y, void *payload)
{
    file_list *f = payload;
    if (f->next == f->n)
        return DLTC_ITEROVER;
    return yield_file(y, f->paths[f->next++]);
}

int dltc_resource_from_files(dltc_resource **out, const char *name, const char *const *paths,
                             size_t n, const dltc_resource_options *opts)
{
    *out = NULL;
    if (!n)
        return dltc__error_set(DLTC_EINVALID, "resource %s: no input files", name);
    file_list *f = dltc__calloc(1, sizeof(*f));
    if (!f || !(f->paths = dltc__calloc(n, sizeof(char *)))) {
        dltc__free(f);
        return dltc__error_oom();
    }
    f->n = n;
    for (size_t i = 0; i < n; i++)
        if (!(f->paths[i] = dltc__strdup(paths[i]))) {
            file_list_free(f);
            return dltc__error_oom();
        }
    int rc = dltc_resource_new(out, name, next_file, f, opts);
    if (rc) {
        file_list_free(f);
        return rc;
    }
    (*out)->payload_free = file_list_free;
    return 0;
}

dltc_incremental *dltc_yield_incremental(dltc_yield *y)
{
    return y->rr->inc;
}

/* ---- resource and source state ---- */

static int state_target(dltc_yield *y, dltc_state_scope scope, const char **res)
{
    *res = NULL;
    if (scope != DLTC_STATE_RESOURCE && scope != DLTC_STATE_SOURCE)
        return dltc__error_set(DLTC_EINVALID, "unknown state scope %d", (int)scope);
    *res = scope == DLTC_STATE_RESOURCE ? y->rr->r->name : NULL;
    return 0;
}

static int state_key_ok(dltc_yield *y, dltc_state_scope scope, const char *key)
{
    if (!key || !*key)
        return dltc__error_set(DLTC_EINVALID, "resource '%s': a state key is needed",
                               y->rr->r->name);
    const char *own = scope == DLTC_STATE_RESOURCE ? "incremental" : "resources";
    if (strcmp(key, own) == 0)
        return dltc__error_set(DLTC_EINVALID, "resource '%s': the %s state key '%s' is kept by "
                               "dltc", y->rr->r->name,
                               scope == DLTC_STATE_RESOURCE ? "resource" : "source", own);
    return 0;
}

const dltc_value *dltc_yield_state_get(dltc_yield *y, dltc_state_scope scope, const char *key)
{
    const char *res;
    dltc_value *obj;
    if (state_target(y, scope, &res) ||
        dltc__sstate_obj(&y->x->ss, y->x->src->name, res, 0, &obj) || !obj)
        return NULL;
    return key ? dltc_object_get(obj, key) : obj;
}

int dltc_yield_state_set(dltc_yield *y, dltc_state_scope scope, const char *key,
                         const dltc_value *value)
{
    const char *res;
    int rc = state_target(y, scope, &res);
    if (!rc)
        rc = state_key_ok(y, scope, key);
    if (!rc && !value)
        rc = dltc__error_set(DLTC_EINVALID, "resource '%s': no value for state key '%s'",
                             y->rr->r->name, key);
    if (!rc)
        rc = dltc__sstate_set(&y->x->ss, y->x->src->name, res, key, value);
    return rc;
}

int dltc_yield_state_set_json(dltc_yield *y, dltc_state_scope scope, const char *key,
                              const char *json, size_t len)
{
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *v;
    dltc_json_error err;
    int rc = dltc__json_parse(&a, json ? json : "", json ? len : 0, 512, &v, &err);
    if (rc)
        dltc__error_prefix("resource '%s': state key '%s': ", y->rr->r->name, key ? key : "");
    else
        rc = dltc_yield_state_set(y, scope, key, v);
    dltc__arena_free(&a);
    return rc;
}

int dltc_yield_state_remove(dltc_yield *y, dltc_state_scope scope, const char *key)
{
    const char *res;
    int rc = state_target(y, scope, &res);
    if (!rc)
        rc = state_key_ok(y, scope, key);
    if (!rc)
        rc = dltc__sstate_remove(&y->x->ss, y->x->src->name, res, key);
    return rc;
}

/* ---- the run: resumable over several packages ---- */

void dltc__extract_run_free(dltc__extract_run *x)
{
    if (!x)
        return;
    for (size_t i = 0; x->rr && i < x->src->n; i++) {
        dltc__incr_free(x->rr[i].inc);
        dltc_doc_free(x->rr[i].doc);
    }
    dltc__free(x->rr);
    if (x->started)
        dltc__sstate_free(&x->ss);
    dltc__arena_free(&x->arena);
    dltc__free(x);
}

int dltc__extract_run_new(dltc__extract_run **out, dltc_source *src)
{
    xctx *x = dltc__calloc(1, sizeof(*x));
    if (!x)
        return dltc__error_oom();
    x->src = src;
    x->checkpoints = 1;
    dltc__arena_init(&x->arena, 64 * 1024);
    if (src->n && !(x->rr = dltc__calloc(src->n, sizeof(*x->rr)))) {
        dltc__free(x);
        return dltc__error_oom();
    }
    for (size_t i = 0; i < src->n; i++)
        x->rr[i].r = src->res[i];
    *out = x;
    return 0;
}

/* The state of a cursor: ....resources.<resource>.incremental.<cursor_path>. */
static int cursor_state(xctx *x, res_run *rr, int create, dltc_value **inc_obj, dltc_value **cur)
{
    dltc_value *res = NULL;
    *inc_obj = *cur = NULL;
    int rc = dltc__sstate_obj(&x->ss, x->src->name, rr->r->name, create, &res);
    if (!rc && res)
        rc = dltc__sstate_child(&x->ss, res, "incremental", create, inc_obj);
    if (!rc && *inc_obj)
        rc = dltc__sstate_child(&x->ss, *inc_obj, dltc__incr_def_cursor_path(rr->r->incr), 0, cur);
    return rc;
}

/* The start of the extract: state read, replace resources reset (dlt resets the resource
 * state of every extracted replace resource), cursors bound. */
static int run_start(xctx *x, const dltc_state *st)
{
    int rc = dltc__sstate_open(&x->ss, st->sources_json);
    if (rc)
        return rc;
    x->started = 1;
    for (size_t i = 0; i < x->src->n && !rc; i++) {
        res_run *rr = &x->rr[i];
        dltc_resource *r = rr->r;
        rr->active = r->o.selected || feeds_selected(x->src, r);
        if (!rr->active)
            continue;
        if (is_replace(r))
            rc = dltc__sstate_reset_resource(&x->ss, x->src->name, r->name);
        if (!rc && !r->parent)
            rc = dltc_doc_new(&rr->doc);
        if (!rc && r->incr) {
            dltc_value *inc_obj, *cur = NULL;
            if (!dltc__incr_def_stateless(r->incr))
                rc = cursor_state(x, rr, 0, &inc_obj, &cur);
            if (!rc)
                rc = dltc__incr_bind(&rr->inc, r->incr, r->name, r->primary_key, cur, !r->parent);
        }
    }
    return rc;
}

/* One call of a top-level resource's function. */
static int call_once(xctx *x, res_run *rr)
{
    dltc_resource *r = rr->r;
    if ((r->limit && rr->pages >= r->limit) || (rr->inc && dltc__incr_closed(rr->inc))) {
        rr->done = 1;
        return 0;
    }
    dltc_yield y = {x, rr, rr->doc, 0};
    int rc = r->fn(&y, r->payload);
    if (y.items) {
        rr->pages++;
        x->pages++;
    }
    dltc_doc_clear(rr->doc);
    if (rc == DLTC_ITEROVER) {
        rr->done = 1;
        return 0;
    }
    if (rc && !dltc_error_last()->code)
        rc = dltc__error_set(rc, "resource '%s' failed (%d)", r->name, rc);
    return rc;
}

/* A replace resource (or transformer of it) writes into one package: every package with a
 * replace table truncates it when it loads. */
static int replace_below(const xctx *x, const dltc_resource *r)
{
    if (is_replace(r) && x->rr[r->idx].active)
        return 1;
    for (size_t i = 0; i < x->src->n; i++)
        if (x->src->res[i]->parent == r && replace_below(x, x->src->res[i]))
            return 1;
    return 0;
}

static int checkpoint_due(const xctx *x)
{
    const dltc_checkpoint_options *cp = &x->src->cp;
    return x->checkpoints &&
           ((cp->every_items && x->items >= cp->every_items) ||
            (cp->every_pages && x->pages >= cp->every_pages)) &&
           !replace_below(x, x->rr[x->cur].r);
}

static int close_jobs(xctx *x, int rc)
{
    for (size_t i = 0; i < x->njobs; i++) {
        job_out *j = &x->jobs[i];
        if (!rc)
            rc = flush_job(j);
        if (!rc && j->fd >= 0 && fsync(j->fd) != 0)
            rc = dltc__error_set(DLTC_EIO, "%s: fsync: %s", j->path, strerror(errno));
        if (j->fd >= 0)
            close(j->fd);
        dltc__buf_free(&j->buf);
        dltc__free(j->table);
        dltc__free(j->path);
    }
    dltc__free(x->jobs);
    x->jobs = NULL;
    x->njobs = 0;
    return rc;
}

/* What the state was before a commit, to put back when the commit fails. */
typedef struct {
    char *sources_json;
    int64_t version;
    char version_hash[48];
} state_undo;

/* The cursors into the tree, the tree into the state (the old text kept in `undo`). */
static int state_into(xctx *x, dltc_state *st, state_undo *undo)
{
    int rc = 0;
    for (size_t i = 0; i < x->src->n && !rc; i++) {
        res_run *rr = &x->rr[i];
        if (!rr->inc || dltc__incr_def_stateless(rr->r->incr))
            continue;
        dltc_value *inc_obj, *cur, fresh;
        rc = cursor_state(x, rr, 1, &inc_obj, &cur);
        if (!rc)
            rc = dltc__incr_state(rr->inc, &x->ss.arena, cur, &fresh);
        if (!rc)
            rc = dltc__sstate_put(&x->ss, inc_obj, dltc__incr_def_cursor_path(rr->r->incr), &fresh);
    }
    /* replaced values are dropped between packages so a long run stays small */
    if (!rc)
        rc = dltc__sstate_compact(&x->ss, 0);
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc)
        rc = dltc__sstate_json(&x->ss, &b);
    if (!rc) {
        undo->sources_json = st->sources_json;
        undo->version = st->version;
        memcpy(undo->version_hash, st->version_hash, sizeof(undo->version_hash));
        st->sources_json = dltc__buf_detach(&b);
        if (!st->sources_json) {
            st->sources_json = undo->sources_json;
            rc = dltc__error_oom();
        }
    }
    dltc__buf_free(&b);
    return rc;
}

static void state_restore(dltc_state *st, state_undo *undo)
{
    dltc__free(st->sources_json);
    st->sources_json = undo->sources_json;
    st->version = undo->version;
    memcpy(st->version_hash, undo->version_hash, sizeof(st->version_hash));
}

int dltc__extract_run_step(dltc__extract_run *x, dltc_storage *storage, dltc_schema *s,
                           dltc_state *st, const char *load_id)
{
    int rc = x->started ? 0 : run_start(x, st);
    char *pkg = NULL;
    if (!rc)
        rc = dltc__extract_begin(storage, load_id, &pkg);
    if (rc)
        return rc;
    x->schema = s;
    x->pkg = pkg;
    x->items = x->pages = 0;
    int more = 0, called = 0;
    for (;;) {
        while (x->cur < x->src->n) {
            res_run *rr = &x->rr[x->cur];
            if (rr->active && !rr->r->parent && !rr->done)
                break;
            x->cur++;
        }
        if (x->cur >= x->src->n)
            break;
        if (called && checkpoint_due(x)) {
            more = 1;
            break;
        }
        if ((rc = call_once(x, &x->rr[x->cur])))
            break;
        called = 1;
    }
    rc = close_jobs(x, rc);
    if (x->pg && x->pg_items)
        progress_count(x, NULL);
    state_undo undo = {NULL, 0, ""};
    int swapped = 0;
    if (!rc) {
        rc = state_into(x, st, &undo);
        swapped = rc == 0;
    }
    int frc = dltc__extract_finish(storage, s, st, pkg, load_id, NULL, NULL, rc == 0);
    if (swapped && frc)
        state_restore(st, &undo);
    else if (swapped)
        dltc__free(undo.sources_json);
    dltc__free(pkg);
    x->pkg = NULL;
    rc = rc ? rc : frc;
    return rc ? rc : more;
}

int dltc__extract_source(dltc_storage *storage, dltc_schema *s, dltc_state *st,
                         dltc_source *src, const char *load_id)
{
    dltc__extract_run *x;
    int rc = dltc__extract_run_new(&x, src);
    if (rc)
        return rc;
    x->checkpoints = 0; /* one package */
    rc = dltc__extract_run_step(x, storage, s, st, load_id);
    dltc__extract_run_free(x);
    return rc;
}
