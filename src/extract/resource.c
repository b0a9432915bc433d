/* Resources, transformers and sources from C, and their extract: every item a selected
 * resource yields (after its map/filter steps) is written as dlt's typed JSON into the
 * extract package, one job file per table; transformers get each item of their parent. */
#include "dltc/resource.h"
#include "common/alloc.h"
#include "common/error.h"
#include "extract/extract.h"
#include "extract/resource_int.h"
#include "formats/json.h"
#include "formats/typed_json.h"
#include "schema/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

enum { STEP_MAP, STEP_FILTER };

typedef struct {
    int kind;
    dltc_map_fn map;
    dltc_filter_fn filter;
    void *payload;
} step;

struct dltc_resource {
    char *name;
    dltc_resource_fn fn;
    dltc_transformer_fn tfn;
    void *payload;
    dltc_resource *parent;
    dltc_resource_options o; /* strings owned below */
    char *table_name, *table_name_field, *write_disposition, *merge_strategy, *primary_key,
        *merge_key, *columns, *file_format;
    step *steps;
    size_t nsteps;
    size_t limit; /* 0 = none */
    int owned;    /* added to a source */
};

struct dltc_source {
    char *name;
    dltc_resource **res;
    size_t n;
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
        dupopt(&r->file_format, opts->file_format)) {
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
    dltc__free(r->steps);
    dltc__free(r);
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
    return add_step(r, (step){STEP_MAP, fn, NULL, payload});
}

int dltc_resource_add_filter(dltc_resource *r, dltc_filter_fn fn, void *payload)
{
    return add_step(r, (step){STEP_FILTER, NULL, fn, payload});
}

int dltc_resource_add_limit(dltc_resource *r, size_t max_pages)
{
    r->limit = max_pages;
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
    n[src->n++] = r;
    r->owned = 1;
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
    dltc__free(src->name);
    dltc__free(src);
}

/* ---- extract ---- */

typedef struct {
    char *table; /* as given (normalized by the schema) */
    int fd;
    dltc_buf buf;
} job_out;

typedef struct {
    dltc_source *src;
    dltc_schema *schema;
    const char *pkg;
    job_out *jobs;
    size_t njobs;
    dltc_arena arena;
} xctx;

struct dltc_yield {
    xctx *x;
    dltc_resource *r;
    dltc_doc *doc;
    size_t items;
};

static int deliver(xctx *x, dltc_resource *r, const dltc_value *item, dltc_doc *doc);

static int flush_job(job_out *j)
{
    size_t off = 0;
    while (off < j->buf.len) {
        ssize_t n = write(j->fd, j->buf.data + off, j->buf.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return dltc__error_set(DLTC_EIO, "extract job %s: write failed: %s", j->table,
                                   strerror(errno));
        off += (size_t)n;
    }
    dltc__buf_clear(&j->buf);
    return 0;
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
                              r->file_format};
        dltc_table *t;
        if ((rc = dltc__schema_apply_hints(x->schema, tname, &h, &t)))
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
        dltc__buf_free(&path);
        if (rc)
            return rc;
    }
    if ((rc = dltc__typed_json_write(&j->buf, item)) || (rc = dltc__buf_putc(&j->buf, '\n')))
        return rc;
    return j->buf.len >= (256u << 10) ? flush_job(j) : 0;
}

static int feeds_selected(xctx *x, dltc_resource *r)
{
    for (size_t i = 0; i < x->src->n; i++) {
        dltc_resource *c = x->src->res[i];
        if (c->parent == r && (c->o.selected || feeds_selected(x, c)))
            return 1;
    }
    return 0;
}

/* An item of resource r: steps, then to its table (if selected) and to its transformers. */
static int deliver(xctx *x, dltc_resource *r, const dltc_value *item, dltc_doc *doc)
{
    for (size_t i = 0; i < r->nsteps; i++) {
        step *s = &r->steps[i];
        if (s->kind == STEP_FILTER) {
            if (!s->filter(item, s->payload))
                return 0;
        } else {
            item = s->map(item, doc, s->payload);
            if (!item)
                return 0;
        }
    }
    int rc = 0;
    if (r->o.selected)
        rc = write_item(x, r, item);
    for (size_t i = 0; i < x->src->n && !rc; i++) {
        dltc_resource *c = x->src->res[i];
        if (c->parent != r || !(c->o.selected || feeds_selected(x, c)))
            continue;
        dltc_doc *cdoc = NULL;
        if ((rc = dltc_doc_new(&cdoc)))
            break;
        dltc_yield y = {x, c, cdoc, 0};
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

int dltc_yield_value(dltc_yield *y, const dltc_value *item)
{
    if (!item)
        return dltc__error_set(DLTC_EINVALID, "resource '%s' yielded NULL", y->r->name);
    y->items++;
    return deliver(y->x, y->r, item, y->doc);
}

int dltc_yield_json(dltc_yield *y, const char *json, size_t len)
{
    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    dltc_json_reader *rd;
    char name[160];
    snprintf(name, sizeof(name), "resource %s", y->r->name);
    int rc = dltc__json_reader_open_mem(&rd, json, len, name, &ro);
    if (rc)
        return rc;
    dltc_value *item;
    while ((rc = dltc__json_reader_next(rd, &y->x->arena, &item)) == 0) {
        y->items++;
        if ((rc = deliver(y->x, y->r, item, y->doc)))
            break;
    }
    dltc__json_reader_free(rd);
    dltc__arena_reset(&y->x->arena);
    return rc == DLTC_ITEROVER ? 0 : rc;
}

static int run_resource(xctx *x, dltc_resource *r)
{
    dltc_doc *doc = NULL;
    int rc = dltc_doc_new(&doc);
    size_t pages = 0;
    while (!rc) {
        if (r->limit && pages >= r->limit)
            break;
        dltc_yield y = {x, r, doc, 0};
        rc = r->fn(&y, r->payload);
        if (y.items)
            pages++;
        dltc_doc_clear(doc);
        if (rc == DLTC_ITEROVER) {
            rc = 0;
            break;
        }
        if (rc && !dltc_error_last()->code)
            rc = dltc__error_set(rc, "resource '%s' failed (%d)", r->name, rc);
    }
    dltc_doc_free(doc);
    return rc;
}

int dltc__extract_source(dltc_storage *storage, dltc_schema *s, dltc_state *st,
                         dltc_source *src, const char *load_id)
{
    char *pkg = NULL;
    int rc = dltc__extract_begin(storage, load_id, &pkg);
    if (rc)
        return rc;
    xctx x;
    memset(&x, 0, sizeof(x));
    x.src = src;
    x.schema = s;
    x.pkg = pkg;
    dltc__arena_init(&x.arena, 64 * 1024);
    for (size_t i = 0; i < src->n && !rc; i++) {
        dltc_resource *r = src->res[i];
        if (r->parent)
            continue; /* transformers run from their parent's items */
        if (!r->o.selected && !feeds_selected(&x, r))
            continue;
        rc = run_resource(&x, r);
    }
    for (size_t i = 0; i < x.njobs; i++) {
        job_out *j = &x.jobs[i];
        if (!rc)
            rc = flush_job(j);
        if (!rc && j->fd >= 0 && fsync(j->fd) != 0)
            rc = dltc__error_set(DLTC_EIO, "extract job %s: fsync: %s", j->table, strerror(errno));
        if (j->fd >= 0)
            close(j->fd);
        dltc__buf_free(&j->buf);
        dltc__free(j->table);
    }
    dltc__free(x.jobs);
    dltc__arena_free(&x.arena);
    int frc = dltc__extract_finish(storage, s, st, pkg, load_id, NULL, NULL, rc == 0);
    dltc__free(pkg);
    return rc ? rc : frc;
}
