/* dlt's relational normalizer (dlt/common/normalizers/json/relational.py, 1.26):
 * - a row's plain keys become columns; nested dicts are flattened with "__" using a LIFO
 *   stack (plain keys of a dict first, then its sub-dicts, the last one first);
 * - lists become nested tables <table>__<path>: dicts → rows, scalars → {"value": v},
 *   lists → {"list": v} rows that nest again; child rows follow their parent row;
 * - the nesting level counts down from max_nesting; at 0 (or for a column typed json)
 *   dicts and lists stay whole as json values;
 * - root rows get _dlt_load_id and a _dlt_id: random, or for merge tables dlt's
 *   deterministic ids (upsert/insert-only: the primary-key hash; scd2: the row hash, see
 *   row_hash_id); nested rows get [_dlt_root_id], _dlt_parent_id, _dlt_list_idx and
 *   _dlt_id = SHAKE-128("<parent id>_<table>_<idx>").
 *
 * Speed: every (table, dict path, raw key) gets a cached node holding the normalized
 * column name and column index, found through a "what came next last time" hint first and
 * a hash table second, so a row of known shape costs one memcmp per key. */
#include "normalize/relational.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "formats/json.h"
#include "formats/typed_json.h"
#include "schema/coerce.h"
#include "schema/contract.h"
#include "schema/hints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_BYTES 10
#define ID_CHARS 14

typedef struct tstate tstate;
typedef struct rnode rnode;

struct rnode {
    char *raw;
    uint32_t rawlen;
    uint64_t hash;
    char *path; /* unshortened "__"-joined path inside the row */
    uint32_t pathlen;
    char *col; /* shortened column name */
    uint32_t collen;
    long colidx;
    size_t neg_ncols; /* table had this many columns when `col` was last not found */
    long variant[DLTC_DT__COUNT];
    rnode **kids; /* open addressing by raw key */
    uint32_t nkids, capkids;
    rnode **names; /* one kid per normalized name, open addressing by its hash */
    uint32_t nnames, capnames;
    uint64_t phash; /* hash of path */
    rnode *first_hint;
    rnode *next_hint;
    tstate *list_table;
    int8_t is_pk; /* -1 not known yet; root tables with key-hash ids only */
    int8_t collides; /* a sibling key normalizes to the same name ("a_b" and "a-b") */
};

enum { SYS_LOAD_ID, SYS_ID, SYS_PARENT_ID, SYS_LIST_IDX, SYS_ROOT_ID, SYS__COUNT };

struct tstate {
    dltc_table *t;
    char *fullpath; /* unshortened path of the table (root: its name) */
    rnode root;
    uint32_t *stamp;
    uint32_t *pos;
    size_t nstamp;
    uint32_t seq;
    void *user;
    long sys[SYS__COUNT];
    int id_type; /* root tables: dltc_row_id_type, -1 until known */
    dltc_contract contract; /* the schema contract in force for its rows */
    int was_new;            /* no complete column when this normalizer began: columns evolve */
    int discard;            /* the current row is dropped (discard_row) */
};

/* A primary-key value of the row being flattened (key-hash ids). */
typedef struct {
    const char *col;
    uint32_t collen;
    const dltc_value *v;
} pk_value;

struct dltc_relational {
    dltc_schema *schema;
    const dltc_naming *naming;
    dltc_row_sink sink;
    void *payload;
    int default_max_nesting;
    dltc_value load_id;
    tstate **states; /* by schema table index */
    size_t nstates;
    dltc_cell *cells;
    size_t ncells, capcells;
    dltc_arena *arena; /* current item's */
    dltc_buf tmp;
    dltc_buf hashbuf;  /* the JSON a row hash is taken of */
    pk_value *pks;     /* key-hash ids: the row's primary-key values */
    size_t npks, cappks;
    int typed;         /* items are typed JSON: streamed list elements are decoded too */
};

/* ---- deferred arrays ----
 * A big item's big lists come from the reader unparsed (DLTC_VF_DEFERRED, formats/json.h).
 * A list that becomes a nested table is streamed: its elements are read one at a time, after
 * the parent row, with the same ids as when parsed whole; so one item of any size
 * normalizes in bounded memory. A list that stays JSON, or that a row hash covers, is read
 * whole. */

static int is_deferred(const dltc_value *v)
{
    return v->type == DLTC_TYPE_ARRAY && (v->flags & DLTC_VF_DEFERRED);
}

/* The whole of deferred array *v, parsed into the item's arena; *v then points to it. */
static int whole_array(dltc_relational *r, const dltc_value **v)
{
    dltc_value *w;
    int rc = dltc__json_deferred_parse(r->arena, *v, &w);
    if (!rc && r->typed)
        rc = dltc__typed_json_decode(r->arena, w);
    if (!rc)
        *v = w;
    return rc;
}

/* ---- nodes ---- */

static void node_free(rnode *n)
{
    for (uint32_t i = 0; i < n->capkids; i++)
        if (n->kids[i]) {
            node_free(n->kids[i]);
            dltc__free(n->kids[i]);
        }
    dltc__free(n->kids);
    dltc__free(n->names);
    dltc__free(n->raw);
    dltc__free(n->path);
    dltc__free(n->col);
}

static void tstate_free(tstate *ts)
{
    if (!ts)
        return;
    node_free(&ts->root);
    dltc__free(ts->fullpath);
    dltc__free(ts->stamp);
    dltc__free(ts->pos);
    dltc__free(ts);
}

/* Normalize a raw key (break-path mode; blank keys become "_empty"). Result in r->tmp. */
static int normalize_key(dltc_relational *r, const char *key, size_t klen)
{
    dltc__buf_clear(&r->tmp);
    const char *s = key;
    size_t n = klen;
    dltc__naming_strip(&s, &n);
    int rc = n ? dltc__naming_normalize_path(r->naming, key, klen, &r->tmp) : 0;
    if (!rc && r->tmp.len == 0)
        rc = dltc__buf_puts(&r->tmp, "_empty");
    return rc;
}

/* Shorten `s` as one identifier into a new malloc'd string. */
static char *shorten_dup(dltc_relational *r, const char *s, size_t n, uint32_t *outlen)
{
    dltc_buf b = DLTC_BUF_INIT;
    if (dltc__naming_shorten(r->naming, s, n, &b)) {
        dltc__buf_free(&b);
        return NULL;
    }
    *outlen = (uint32_t)b.len;
    return dltc__buf_detach(&b);
}

static int node_setup(dltc_relational *r, rnode *n, const rnode *parent, const char *key,
                      size_t klen)
{
    for (int i = 0; i < DLTC_DT__COUNT; i++)
        n->variant[i] = -1;
    n->is_pk = -1;
    n->colidx = -1;
    n->neg_ncols = (size_t)-1;
    n->raw = dltc__strndup(key, klen);
    n->rawlen = (uint32_t)klen;
    if (!n->raw)
        return dltc__error_oom();
    int rc = normalize_key(r, key, klen);
    if (rc)
        return rc;
    dltc_buf p = DLTC_BUF_INIT;
    if (parent->pathlen) {
        rc = dltc__buf_put(&p, parent->path, parent->pathlen);
        if (!rc)
            rc = dltc__buf_put(&p, "__", 2);
    }
    if (!rc)
        rc = dltc__buf_put(&p, r->tmp.data, r->tmp.len);
    if (rc) {
        dltc__buf_free(&p);
        return rc;
    }
    n->pathlen = (uint32_t)p.len;
    n->path = dltc__buf_detach(&p);
    n->col = shorten_dup(r, n->path, n->pathlen, &n->collen);
    return n->col ? 0 : (dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM);
}

static int kids_grow(rnode *n)
{
    uint32_t cap = n->capkids ? n->capkids * 2 : 8;
    rnode **k = dltc__calloc(cap, sizeof(*k));
    if (!k)
        return dltc__error_oom();
    for (uint32_t i = 0; i < n->capkids; i++) {
        rnode *c = n->kids[i];
        if (!c)
            continue;
        uint32_t j = (uint32_t)c->hash & (cap - 1);
        while (k[j])
            j = (j + 1) & (cap - 1);
        k[j] = c;
    }
    dltc__free(n->kids);
    n->kids = k;
    n->capkids = cap;
    return 0;
}

/* Index a new kid by its normalized name; a sibling with the same name ("a_b" and "a-b")
 * marks both: the later value wins (emit_row). */
static int note_name(rnode *parent, rnode *kid)
{
    if ((parent->nnames + 1) * 4 > parent->capnames * 3) {
        uint32_t cap = parent->capnames ? parent->capnames * 2 : 8;
        rnode **t = dltc__calloc(cap, sizeof(*t));
        if (!t)
            return dltc__error_oom();
        for (uint32_t i = 0; i < parent->capnames; i++) {
            rnode *c = parent->names[i];
            if (!c)
                continue;
            uint32_t j = (uint32_t)c->phash & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = c;
        }
        dltc__free(parent->names);
        parent->names = t;
        parent->capnames = cap;
    }
    kid->phash = dltc__hash_bytes(kid->path, kid->pathlen);
    uint32_t mask = parent->capnames - 1, j = (uint32_t)kid->phash & mask;
    for (; parent->names[j]; j = (j + 1) & mask) {
        rnode *c = parent->names[j];
        if (c->phash == kid->phash && c->pathlen == kid->pathlen &&
            !memcmp(c->path, kid->path, c->pathlen)) {
            c->collides = kid->collides = 1;
            return 0;
        }
    }
    parent->names[j] = kid;
    parent->nnames++;
    return 0;
}

/* The child of `parent` for raw key `key`, made when new (no hints touched). */
static rnode *node_get(dltc_relational *r, rnode *parent, const char *key, uint32_t klen)
{
    uint64_t h = dltc__hash_bytes(key, klen);
    if (parent->capkids) {
        uint32_t mask = parent->capkids - 1;
        for (uint32_t j = (uint32_t)h & mask; parent->kids[j]; j = (j + 1) & mask) {
            rnode *c = parent->kids[j];
            if (c->hash == h && c->rawlen == klen && memcmp(c->raw, key, klen) == 0)
                return c;
        }
    }
    if ((parent->nkids + 1) * 4 > parent->capkids * 3 && kids_grow(parent))
        return NULL;
    rnode *found = dltc__calloc(1, sizeof(*found));
    if (!found) {
        dltc__error_oom();
        return NULL;
    }
    if (node_setup(r, found, parent, key, klen)) {
        node_free(found);
        dltc__free(found);
        return NULL;
    }
    found->hash = h;
    if (note_name(parent, found)) {
        node_free(found);
        dltc__free(found);
        return NULL;
    }
    uint32_t mask = parent->capkids - 1;
    uint32_t j = (uint32_t)h & mask;
    while (parent->kids[j])
        j = (j + 1) & mask;
    parent->kids[j] = found;
    parent->nkids++;
    return found;
}

/* The child of `parent` for raw key `key`; `prev` is the sibling matched just before (NULL
 * for the first key of an object) and is used as the shape hint. */
static rnode *node_child(dltc_relational *r, rnode *parent, rnode *prev, const char *key,
                         uint32_t klen)
{
    rnode *hint = prev ? prev->next_hint : parent->first_hint;
    if (hint && hint->rawlen == klen && memcmp(hint->raw, key, klen) == 0)
        return hint;
    rnode *found = node_get(r, parent, key, klen);
    if (!found)
        return NULL;
    if (prev)
        prev->next_hint = found;
    else
        parent->first_hint = found;
    return found;
}

/* ---- table states ---- */

static tstate *state_for(dltc_relational *r, dltc_table *t, const char *fullpath, size_t fplen)
{
    size_t idx;
    if (!dltc__strmap_get(&r->schema->tablemap, t->name, strlen(t->name), &idx))
        return NULL;
    if (idx >= r->nstates) {
        size_t n = r->schema->captables > idx + 1 ? r->schema->captables : idx + 1;
        tstate **s = dltc__realloc(r->states, n * sizeof(*s));
        if (!s) {
            dltc__error_oom();
            return NULL;
        }
        memset(s + r->nstates, 0, (n - r->nstates) * sizeof(*s));
        r->states = s;
        r->nstates = n;
    }
    if (r->states[idx])
        return r->states[idx];
    tstate *ts = dltc__calloc(1, sizeof(*ts));
    if (!ts) {
        dltc__error_oom();
        return NULL;
    }
    ts->t = t;
    ts->id_type = -1;
    ts->root.colidx = -1;
    for (int i = 0; i < SYS__COUNT; i++)
        ts->sys[i] = -1;
    ts->fullpath = fullpath ? dltc__strndup(fullpath, fplen) : dltc__strdup(t->name);
    if (!ts->fullpath) {
        dltc__free(ts);
        dltc__error_oom();
        return NULL;
    }
    ts->was_new = dltc__contract_table_is_new(t);
    if (dltc__contract_resolve(r->schema, t, NULL, &ts->contract)) {
        dltc__free(ts->fullpath);
        dltc__free(ts);
        return NULL;
    }
    r->states[idx] = ts;
    return ts;
}

void *dltc__relational_user(dltc_relational *r, const dltc_table *t)
{
    size_t idx;
    if (!dltc__strmap_get(&r->schema->tablemap, t->name, strlen(t->name), &idx) ||
        idx >= r->nstates || !r->states[idx])
        return NULL;
    return r->states[idx]->user;
}

static int ensure_stamps(tstate *ts)
{
    size_t n = ts->t->ncols;
    if (n <= ts->nstamp)
        return 0;
    size_t cap = n < 16 ? 16 : n * 2;
    uint32_t *s = dltc__realloc(ts->stamp, cap * sizeof(*s));
    if (!s)
        return dltc__error_oom();
    ts->stamp = s;
    uint32_t *p = dltc__realloc(ts->pos, cap * sizeof(*p));
    if (!p)
        return dltc__error_oom();
    ts->pos = p;
    memset(ts->stamp + ts->nstamp, 0, (cap - ts->nstamp) * sizeof(*s));
    ts->nstamp = cap;
    return 0;
}

/* ---- cells ---- */

static int push_cell(dltc_relational *r, tstate *ts, long col, const dltc_value *v)
{
    if ((size_t)col >= ts->nstamp && ensure_stamps(ts))
        return DLTC_ENOMEM;
    if (ts->stamp[col] == ts->seq) { /* two keys, one column: the later value wins */
        r->cells[ts->pos[col]].val = *v;
        return 0;
    }
    if (r->ncells == r->capcells) {
        size_t cap = r->capcells ? r->capcells * 2 : 256;
        dltc_cell *c = dltc__realloc(r->cells, cap * sizeof(*c));
        if (!c)
            return dltc__error_oom();
        r->cells = c;
        r->capcells = cap;
    }
    ts->stamp[col] = ts->seq;
    ts->pos[col] = (uint32_t)r->ncells;
    r->cells[r->ncells].col = (uint32_t)col;
    r->cells[r->ncells].val = *v;
    r->ncells++;
    return 0;
}

static int is_system(const char *name, size_t len)
{
    return len >= 5 && memcmp(name, "_dlt_", 5) == 0;
}

static int coerce_error(dltc_relational *r, tstate *ts, const char *col, const dltc_value *v,
                        int to)
{
    (void)r;
    return dltc__error_set(DLTC_EINVALID,
                           "cannot coerce a value of type %s into variant column '%s' (%s) of "
                           "table '%s'",
                           dltc__data_type_name(dltc__py_type(v)), col, dltc__data_type_name(to),
                           ts->t->name);
}

/* A schema change the contract may refuse: a new column (DLTC_CONTRACT_COLUMNS) or a value
 * that does not fit a complete column (DLTC_CONTRACT_DATA_TYPE). 0: go ahead; 1: leave the
 * value out (discard_value, or the row is discarded); < 0: freeze. */
static int contract_check(tstate *ts, int entity, const char *name, uint32_t nlen,
                          const dltc_value *v, int have_type)
{
    if (is_system(name, nlen))
        return 0; /* dlt's system columns are always allowed */
    int mode = entity == DLTC_CONTRACT_COLUMNS ? (ts->was_new ? DLTC_CONTRACT_EVOLVE
                                                              : ts->contract.columns)
                                               : ts->contract.data_type;
    if (mode == DLTC_CONTRACT_EVOLVE)
        return 0;
    if (mode == DLTC_CONTRACT_DISCARD_ROW)
        ts->discard = 1;
    if (mode != DLTC_CONTRACT_FREEZE)
        return 1;
    const char *vt = dltc__data_type_name(dltc__py_type(v));
    if (entity == DLTC_CONTRACT_COLUMNS)
        return dltc__error_set(DLTC_EINVALID,
                               "schema contract violated: table '%s' has no column '%.*s' for a "
                               "%s value (columns: freeze)",
                               ts->t->name, (int)nlen, name, vt);
    return dltc__error_set(DLTC_EINVALID,
                           "schema contract violated: column '%.*s' of table '%s' is %s and a "
                           "%s value does not fit (data_type: freeze)",
                           (int)nlen, name, ts->t->name, dltc__data_type_name(have_type), vt);
}

/* Find or create the column for a value and add the coerced cell (dlt's
 * _coerce_non_null_value). */
static int add_value(dltc_relational *r, tstate *ts, const char *name, uint32_t nlen,
                     long *cache, const dltc_value *v, int is_variant)
{
    dltc_schema *s = r->schema;
    dltc_table *t = ts->t;
    long idx = *cache;
    if (idx < 0) {
        idx = dltc__table_column(t, name, nlen);
        if (idx >= 0)
            *cache = idx;
    }
    dltc_value out;
    int rc;
    if (idx >= 0 && t->cols[idx].data_type != DLTC_DT_UNSET) {
        rc = dltc__coerce_value(r->arena, &t->cols[idx], v, &out);
        if (rc == 0)
            return push_cell(r, ts, idx, &out);
        if (rc < 0)
            return rc;
        if (is_variant)
            return coerce_error(r, ts, name, v, t->cols[idx].data_type);
    } else {
        int dt = is_system(name, nlen) ? dltc__py_type(v)
                                        : dltc__infer_data_type(s, name, nlen, v, is_variant);
        dltc_column tmp;
        memset(&tmp, 0, sizeof(tmp));
        tmp.data_type = (uint8_t)dt;
        tmp.timezone = idx >= 0 ? t->cols[idx].timezone : -1;
        rc = dltc__coerce_value(r->arena, &tmp, v, &out);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            /* a variant column is the data_type's business, checked before it is made */
            int cc = is_variant ? 0 : contract_check(ts, DLTC_CONTRACT_COLUMNS, name, nlen, v, dt);
            if (cc)
                return cc < 0 ? cc : 0;
            if (idx >= 0) { /* complete a hint-only column */
                t->cols[idx].data_type = (uint8_t)dt;
                t->committed_ncols = t->committed_ncols > (size_t)idx ? (size_t)idx
                                                                      : t->committed_ncols;
                s->dirty = 1;
            } else {
                idx = dltc__table_new_column(s, t, name, nlen, dt,
                                             is_variant ? DLTC_HINT_VARIANT : 0);
                if (idx < 0)
                    return (int)idx;
                *cache = idx;
            }
            return push_cell(r, ts, idx, &out);
        }
        if (is_variant)
            return coerce_error(r, ts, name, v, dt);
    }
    /* does not coerce: the variant column <col>__v_<python type> */
    if (idx >= 0 && t->cols[idx].data_type != DLTC_DT_UNSET) {
        int cc = contract_check(ts, DLTC_CONTRACT_DATA_TYPE, name, nlen, v,
                                t->cols[idx].data_type);
        if (cc)
            return cc < 0 ? cc : 0;
    }
    int pt = dltc__py_type(v);
    dltc_buf vb = DLTC_BUF_INIT;
    const char *tn = dltc__data_type_name(pt);
    rc = dltc__buf_put(&vb, name, nlen);
    if (!rc)
        rc = dltc__buf_puts(&vb, "__v_");
    if (!rc)
        rc = dltc__buf_puts(&vb, tn);
    dltc_buf shortened = DLTC_BUF_INIT;
    if (!rc)
        rc = dltc__naming_shorten(r->naming, vb.data, vb.len, &shortened);
    dltc__buf_free(&vb);
    if (rc) {
        dltc__buf_free(&shortened);
        return rc;
    }
    long vcache = -1;
    rc = add_value(r, ts, shortened.data, (uint32_t)shortened.len, &vcache, v, 1);
    dltc__buf_free(&shortened);
    return rc;
}

static int node_value(dltc_relational *r, tstate *ts, rnode *n, const dltc_value *v)
{
    if (v->type == DLTC_TYPE_NULL) {
        long idx = n->colidx >= 0 ? n->colidx : dltc__table_column(ts->t, n->col, n->collen);
        if (idx >= 0 && !ts->t->cols[idx].nullable)
            return dltc__error_set(DLTC_EINVALID,
                                   "null value in non-nullable column '%s' of table '%s'",
                                   n->col, ts->t->name);
        return 0;
    }
    /* fast path: a known column whose type is the value's own */
    static const uint8_t natural[] = {
        [DLTC_TYPE_BOOL] = DLTC_DT_BOOL, [DLTC_TYPE_INT] = DLTC_DT_BIGINT,
        [DLTC_TYPE_DOUBLE] = DLTC_DT_DOUBLE, [DLTC_TYPE_STRING] = DLTC_DT_TEXT};
    if (n->colidx >= 0 && v->type <= DLTC_TYPE_STRING && natural[v->type] &&
        ts->t->cols[n->colidx].data_type == natural[v->type])
        return push_cell(r, ts, n->colidx, v);
    int pt = dltc__py_type(v);
    long *cache = &n->colidx;
    /* a value of a type that already went to a variant: its column first (a string that
     * coerces, as dlt's coerce_row), else straight to the variant */
    if (pt > 0 && n->variant[pt] >= 0) {
        dltc_value out;
        long main = n->colidx;
        if (main >= 0 && ts->t->cols[main].data_type != DLTC_DT_UNSET) {
            int rc = dltc__coerce_value(r->arena, &ts->t->cols[main], v, &out);
            if (rc == 0)
                return push_cell(r, ts, main, &out);
            if (rc < 0)
                return rc;
        }
        int rc = dltc__coerce_value(r->arena, &ts->t->cols[n->variant[pt]], v, &out);
        if (rc == 0)
            return push_cell(r, ts, n->variant[pt], &out);
    }
    size_t before = r->ncells;
    int rc = add_value(r, ts, n->col, n->collen, cache, v, 0);
    if (!rc && pt > 0 && r->ncells > before) {
        uint32_t col = r->cells[r->ncells - 1].col;
        if ((long)col != n->colidx)
            n->variant[pt] = col;
    }
    return rc;
}

static int sys_value(dltc_relational *r, tstate *ts, int which, const char *name,
                     const dltc_value *v)
{
    return add_value(r, ts, name, (uint32_t)strlen(name), &ts->sys[which], v, 0);
}

/* ---- json-or-flatten decision (dlt's _is_nested_type) ---- */

static int stays_json(dltc_relational *r, tstate *ts, rnode *n, int level)
{
    if (level <= 0)
        return 1;
    long idx = n->colidx;
    if (idx < 0 && n->neg_ncols != ts->t->ncols) {
        idx = dltc__table_column(ts->t, n->col, n->collen);
        if (idx < 0)
            n->neg_ncols = ts->t->ncols;
        else
            n->colidx = idx;
    }
    if (idx >= 0)
        return ts->t->cols[idx].data_type == DLTC_DT_JSON;
    return r->schema->npreferred_types &&
           dltc__schema_preferred_type(r->schema, n->col, n->collen) == DLTC_DT_JSON;
}

/* ---- rows ---- */

typedef struct {
    rnode *node;
    const dltc_value *arr;
} pending_list;

typedef struct {
    rnode *node;
    const dltc_value *obj;
    int level;
} flat_frame;

static void make_id(char out[ID_CHARS + 2], const uint8_t *bytes)
{
    dltc__base64_encode(bytes, ID_BYTES, out, 0);
}

static int random_id(char out[ID_CHARS + 2])
{
    uint8_t b[ID_BYTES];
    int rc = dltc__random_bytes(b, sizeof(b));
    if (!rc)
        make_id(out, b);
    return rc;
}

/* "<parent id>_<table>_<idx>" into buf; 0 when it does not fit. */
static size_t nested_msg(char *buf, size_t cap, const char *parent_id, const char *table,
                         long idx)
{
    size_t pl = strlen(parent_id), tl = strlen(table);
    if (pl + tl + 24 >= cap)
        return 0;
    char *p = buf;
    memcpy(p, parent_id, pl);
    p += pl;
    *p++ = '_';
    memcpy(p, table, tl);
    p += tl;
    *p++ = '_';
    char digits[24];
    int nd = 0;
    unsigned long u = (unsigned long)idx;
    do {
        digits[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (nd)
        *p++ = digits[--nd];
    return (size_t)(p - buf);
}

/* SHAKE-128 of "<parent id>_<table>_<idx>" (dlt's _get_nested_row_hash) */
static void nested_id(char out[ID_CHARS + 2], const char *parent_id, const char *table, long idx)
{
    char buf[1024];
    uint8_t h[ID_BYTES];
    size_t n = nested_msg(buf, sizeof(buf), parent_id, table, idx);
    if (n) {
        dltc__shake128_fast(buf, n, h, sizeof(h));
    } else {
        size_t len = strlen(parent_id) + strlen(table) + 32;
        char *big = dltc__malloc(len);
        if (!big) {
            memset(h, 0, sizeof(h));
        } else {
            int k = snprintf(big, len, "%s_%s_%ld", parent_id, table, idx);
            dltc__shake128_fast(big, (size_t)k, h, sizeof(h));
            dltc__free(big);
        }
    }
    make_id(out, h);
}

/* The ids of nested rows idx and idx + 1, hashed together (two permutations at once). */
static void nested_id_pair(char out0[ID_CHARS + 2], char out1[ID_CHARS + 2],
                           const char *parent_id, const char *table, long idx)
{
    char m0[512], m1[512];
    size_t n0 = nested_msg(m0, sizeof(m0), parent_id, table, idx);
    size_t n1 = nested_msg(m1, sizeof(m1), parent_id, table, idx + 1);
    if (!n0 || !n1) {
        nested_id(out0, parent_id, table, idx);
        nested_id(out1, parent_id, table, idx + 1);
        return;
    }
    uint8_t h0[ID_BYTES], h1[ID_BYTES];
    dltc__shake128_x2(m0, n0, m1, n1, h0, h1, ID_BYTES);
    make_id(out0, h0);
    make_id(out1, h1);
}

/* ---- deterministic root ids (dlt's get_row_hash) ---- */

static int member_cmp(const void *a, const void *b)
{
    const dltc_member *x = *(const dltc_member *const *)a, *y = *(const dltc_member *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* Compact JSON with the keys of every object sorted (by code point: UTF-8 byte order), as
 * dlt's json.dumpb(row, sort_keys=True). Values are written as dlt reads them from the
 * intermediate typed JSONL: dates, times, decimals and bytes as their prefixed strings.
 * Top-level keys starting with "_dlt" are left out when `skip_dlt`. */
static int sorted_json(dltc_relational *r, dltc_buf *b, const dltc_value *v, int skip_dlt)
{
    int rc = 0;
    switch (v->type) {
    case DLTC_TYPE_INT:
        return dltc__json_write_int(b, v->u.i);
    case DLTC_TYPE_DOUBLE:
        return dltc__json_write_double(b, v->u.d);
    case DLTC_TYPE_TIMESTAMP:
    case DLTC_TYPE_DATE:
    case DLTC_TYPE_TIME:
    case DLTC_TYPE_DECIMAL:
    case DLTC_TYPE_BINARY:
        return dltc__typed_json_write(b, v);
    case DLTC_TYPE_ARRAY:
        if (is_deferred(v) && (rc = whole_array(r, &v)) != 0)
            return rc;
        rc = dltc__buf_putc(b, '[');
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            if (i)
                rc = dltc__buf_putc(b, ',');
            if (!rc)
                rc = sorted_json(r, b, &v->u.arr[i], 0);
        }
        return rc ? rc : dltc__buf_putc(b, ']');
    case DLTC_TYPE_OBJECT: {
        const dltc_member **m = v->len ? dltc__malloc(v->len * sizeof(*m)) : NULL;
        if (v->len && !m)
            return dltc__error_oom();
        uint32_t n = 0;
        for (uint32_t i = 0; i < v->len; i++)
            if (!skip_dlt || v->u.obj[i].klen < 4 || memcmp(v->u.obj[i].key, "_dlt", 4) != 0)
                m[n++] = &v->u.obj[i];
        if (n > 1)
            qsort(m, n, sizeof(*m), member_cmp);
        rc = dltc__buf_putc(b, '{');
        for (uint32_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = dltc__buf_putc(b, ',');
            if (!rc)
                rc = dltc__json_write_string(b, m[i]->key, m[i]->klen);
            if (!rc)
                rc = dltc__buf_putc(b, ':');
            if (!rc)
                rc = sorted_json(r, b, &m[i]->val, 0);
        }
        dltc__free((void *)m);
        return rc ? rc : dltc__buf_putc(b, '}');
    }
    default:
        return dltc__json_write(b, v);
    }
}

static void hash_id(char out[ID_CHARS + 2], const dltc_buf *b)
{
    uint8_t h[ID_BYTES];
    dltc__shake128_fast(b->data, b->len, h, sizeof(h));
    make_id(out, h);
}

/* The row hash: the whole source item (nested data included) without its top-level _dlt
 * keys. */
static int row_hash_id(dltc_relational *r, const dltc_value *obj, char out[ID_CHARS + 2])
{
    dltc__buf_clear(&r->hashbuf);
    int rc = sorted_json(r, &r->hashbuf, obj, 1);
    if (!rc)
        hash_id(out, &r->hashbuf);
    return rc;
}

/* Remember a primary-key value of the root row being flattened (the later of two keys that
 * normalize to one column wins, as for the cells). */
static int note_pk(dltc_relational *r, tstate *ts, rnode *n, const dltc_value *v)
{
    if (n->is_pk < 0) {
        long idx = dltc__table_column(ts->t, n->col, n->collen);
        n->is_pk = idx >= 0 && (ts->t->cols[idx].hints & DLTC_HINT_PRIMARY_KEY);
    }
    if (!n->is_pk)
        return 0;
    for (size_t i = 0; i < r->npks; i++)
        if (r->pks[i].collen == n->collen && memcmp(r->pks[i].col, n->col, n->collen) == 0) {
            r->pks[i].v = v;
            return 0;
        }
    if (r->npks == r->cappks) {
        size_t cap = r->cappks ? r->cappks * 2 : 4;
        pk_value *p = dltc__realloc(r->pks, cap * sizeof(*p));
        if (!p)
            return dltc__error_oom();
        r->pks = p;
        r->cappks = cap;
    }
    r->pks[r->npks++] = (pk_value){n->col, n->collen, v};
    return 0;
}

static int pk_cmp(const void *a, const void *b)
{
    const pk_value *x = a, *y = b;
    size_t n = x->collen < y->collen ? x->collen : y->collen;
    int c = memcmp(x->col, y->col, n);
    return c ? c : (x->collen > y->collen) - (x->collen < y->collen);
}

/* The key hash: {pk column: value} of the normalized primary-key columns (all must be in
 * the row), as the row hash. */
static int key_hash_id(dltc_relational *r, tstate *ts, char out[ID_CHARS + 2])
{
    const dltc_table *t = ts->t;
    size_t npk = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        if (!(t->cols[c].hints & DLTC_HINT_PRIMARY_KEY))
            continue;
        npk++;
        int found = 0;
        for (size_t i = 0; i < r->npks && !found; i++)
            found = r->pks[i].collen == strlen(t->cols[c].name) &&
                    memcmp(r->pks[i].col, t->cols[c].name, r->pks[i].collen) == 0;
        if (!found)
            return dltc__error_set(DLTC_EINVALID,
                                   "table '%s': a row has no value for the primary key column "
                                   "'%s' (merge strategy %s hashes the key into _dlt_id)",
                                   t->name, t->cols[c].name, t->merge_strategy);
    }
    if (npk == 0)
        return dltc__error_set(DLTC_EINVALID,
                               "table '%s': merge strategy %s needs a primary key", t->name,
                               t->merge_strategy);
    qsort(r->pks, r->npks, sizeof(*r->pks), pk_cmp);
    dltc_buf *b = &r->hashbuf;
    dltc__buf_clear(b);
    int rc = dltc__buf_putc(b, '{');
    for (size_t i = 0; i < r->npks && !rc; i++) {
        if (i)
            rc = dltc__buf_putc(b, ',');
        if (!rc)
            rc = dltc__json_write_string(b, r->pks[i].col, r->pks[i].collen);
        if (!rc)
            rc = dltc__buf_putc(b, ':');
        if (!rc)
            rc = sorted_json(r, b, r->pks[i].v, 0);
    }
    if (!rc)
        rc = dltc__buf_putc(b, '}');
    if (!rc)
        hash_id(out, b);
    return rc;
}

static void string_value(dltc_value *v, const char *s, size_t n)
{
    dltc__value_set_type(v, DLTC_TYPE_STRING);
    v->u.s = s;
    v->len = (uint32_t)n;
}

static int process_lists(dltc_relational *r, tstate *ts, pending_list *lists, size_t nlists,
                         const char *row_id, const char *root_id, int level);

static int table_nesting(dltc_relational *r, dltc_table *root)
{
    if (root->max_nesting >= 0)
        return root->max_nesting;
    if (r->schema->max_nesting >= 0)
        return r->schema->max_nesting;
    return r->default_max_nesting;
}

/* One row of table `ts` from object `obj` (or a scalar `scalar` for lists of scalars).
 * parent_id NULL = a root row. */
/* What a member becomes: 0 a value (a column), 1 a flattened dict, 2 a nested table. */
static int member_kind(dltc_relational *r, tstate *ts, rnode *n, const dltc_value *v,
                       int level)
{
    if ((v->type != DLTC_TYPE_OBJECT && v->type != DLTC_TYPE_ARRAY) || stays_json(r, ts, n, level))
        return 0;
    return v->type == DLTC_TYPE_OBJECT ? 1 : 2;
}

/* Member i, whose name a sibling key shares, gives way to a later member of the same object
 * with that name and kind: dlt flattens into a dict, where the later key wins (dicts merge
 * leaf by leaf, so a flattened dict never gives way). */
static int overwritten(dltc_relational *r, tstate *ts, rnode *parent, const dltc_value *obj,
                       uint32_t i, rnode *n, int level)
{
    int kind = member_kind(r, ts, n, &obj->u.obj[i].val, level);
    if (kind == 1)
        return 0;
    for (uint32_t j = i + 1; j < obj->len; j++) {
        const dltc_member *m = &obj->u.obj[j];
        rnode *o = node_get(r, parent, m->key, m->klen);
        if (!o)
            return 0;
        if (o != n && o->pathlen == n->pathlen && !memcmp(o->path, n->path, n->pathlen) &&
            member_kind(r, ts, o, &m->val, level) == kind)
            return 1;
    }
    return 0;
}

static int emit_row(dltc_relational *r, tstate *ts, const dltc_value *obj,
                    const dltc_value *scalar, int level, const char *parent_id, long idx,
                    const char *nested, const char *root_id_in, int propagate)
{
    int rc;
    size_t base = r->ncells;
    if (ts->was_new && ts->contract.tables != DLTC_CONTRACT_EVOLVE) {
        if (ts->contract.tables == DLTC_CONTRACT_FREEZE)
            return dltc__error_set(DLTC_EINVALID,
                                   "schema contract violated: table '%s' is new (tables: freeze)",
                                   ts->t->name);
        return 0; /* discard_row / discard_value: the new table gets no rows */
    }
    ts->discard = 0;
    if (++ts->seq == 0) { /* stamp wrap-around: reset */
        memset(ts->stamp, 0, ts->nstamp * sizeof(uint32_t));
        ts->seq = 1;
    }
    if (ts->t->ncols > ts->nstamp && (rc = ensure_stamps(ts)))
        return rc;

    pending_list *lists = NULL;
    size_t nlists = 0, caplists = 0;
    int want_pks = !parent_id && ts->id_type == DLTC_ROW_ID_KEY_HASH;
    if (want_pks)
        r->npks = 0;

    if (scalar) {
        rnode *vn = node_child(r, &ts->root, NULL, "value", 5);
        if (!vn)
            return dltc_error_last()->code;
        if ((rc = node_value(r, ts, vn, scalar)))
            return rc;
    } else if (obj) {
        /* flatten with a LIFO stack of dicts */
        flat_frame stack_local[16];
        flat_frame *stack = stack_local;
        size_t sp = 0, cap = 16;
        stack[sp++] = (flat_frame){&ts->root, obj, level};
        while (sp) {
            flat_frame f = stack[--sp];
            rnode *prev = NULL;
            for (uint32_t i = 0; i < f.obj->len; i++) {
                const dltc_member *m = &f.obj->u.obj[i];
                uint32_t known = f.node->nkids;
                rnode *n = node_child(r, f.node, prev, m->key, m->klen);
                if (!n)
                    return dltc_error_last()->code;
                prev = n;
                /* a key seen the first time: its later siblings too, so that two keys
                 * with one name are known before the first is written */
                for (uint32_t j = i + 1; f.node->nkids > known && j < f.obj->len; j++)
                    if (!node_get(r, f.node, f.obj->u.obj[j].key, f.obj->u.obj[j].klen))
                        return dltc_error_last()->code;
                const dltc_value *v = &m->val;
                if (n->collides && overwritten(r, ts, f.node, f.obj, i, n, f.level))
                    continue;
                if (is_deferred(v) && stays_json(r, ts, n, f.level) && (rc = whole_array(r, &v)))
                    return rc;
                if ((v->type == DLTC_TYPE_OBJECT || v->type == DLTC_TYPE_ARRAY) &&
                    !stays_json(r, ts, n, f.level)) {
                    if (v->type == DLTC_TYPE_OBJECT) {
                        if (sp == cap) {
                            flat_frame *ns = dltc__arena_alloc(r->arena, cap * 2 * sizeof(*ns));
                            if (!ns)
                                return dltc_error_last()->code;
                            memcpy(ns, stack, sp * sizeof(*ns));
                            stack = ns;
                            cap *= 2;
                        }
                        stack[sp++] = (flat_frame){n, v, f.level - 1};
                    } else {
                        if (nlists == caplists) {
                            size_t nc = caplists ? caplists * 2 : 4;
                            pending_list *nl = dltc__arena_grow(r->arena, lists,
                                                                caplists * sizeof(*nl),
                                                                nc * sizeof(*nl));
                            if (!nl)
                                return dltc_error_last()->code;
                            lists = nl;
                            caplists = nc;
                        }
                        lists[nlists++] = (pending_list){n, v};
                    }
                    continue;
                }
                if (want_pks && (rc = note_pk(r, ts, n, v)))
                    return rc;
                if ((rc = node_value(r, ts, n, v)))
                    return rc;
            }
        }
    }

    /* row id: kept if the data has one, else random (root) or derived (nested) */
    char row_id[64];
    long id_col = ts->sys[SYS_ID] >= 0 ? ts->sys[SYS_ID]
                                        : dltc__table_column(ts->t, "_dlt_id", 7);
    if (id_col >= 0 && (size_t)id_col < ts->nstamp && ts->stamp[id_col] == ts->seq &&
        r->cells[ts->pos[id_col]].val.type == DLTC_TYPE_STRING &&
        r->cells[ts->pos[id_col]].val.len < sizeof(row_id)) {
        const dltc_value *iv = &r->cells[ts->pos[id_col]].val;
        memcpy(row_id, iv->u.s, iv->len);
        row_id[iv->len] = '\0';
    } else if (nested) {
        memcpy(row_id, nested, ID_CHARS + 1);
    } else if (parent_id) {
        nested_id(row_id, parent_id, ts->t->name, idx);
    } else if (ts->id_type == DLTC_ROW_ID_KEY_HASH) {
        if ((rc = key_hash_id(r, ts, row_id)))
            return rc;
    } else if (ts->id_type == DLTC_ROW_ID_ROW_HASH && obj) {
        if ((rc = row_hash_id(r, obj, row_id)))
            return rc;
    } else if ((rc = random_id(row_id))) {
        return rc;
    }

    dltc_value v;
    if (parent_id) {
        if (root_id_in) {
            string_value(&v, root_id_in, strlen(root_id_in));
            if ((rc = sys_value(r, ts, SYS_ROOT_ID, "_dlt_root_id", &v)))
                return rc;
        }
        string_value(&v, parent_id, strlen(parent_id));
        if ((rc = sys_value(r, ts, SYS_PARENT_ID, "_dlt_parent_id", &v)))
            return rc;
        dltc__value_set_type(&v, DLTC_TYPE_INT);
        v.u.i = idx;
        if ((rc = sys_value(r, ts, SYS_LIST_IDX, "_dlt_list_idx", &v)))
            return rc;
    } else {
        if ((rc = sys_value(r, ts, SYS_LOAD_ID, "_dlt_load_id", &r->load_id)))
            return rc;
    }
    string_value(&v, row_id, strlen(row_id));
    if ((rc = sys_value(r, ts, SYS_ID, "_dlt_id", &v)))
        return rc;

    if (ts->discard) { /* discard_row: the row goes, and its nested rows with it */
        ts->discard = 0;
        r->ncells = base;
        return 0;
    }
    rc = r->sink(r->payload, ts->t, &ts->user, r->cells + base, r->ncells - base);
    r->ncells = base;
    if (rc)
        return rc;

    const char *root_id = root_id_in;
    if (!parent_id && propagate)
        root_id = row_id;
    return process_lists(r, ts, lists, nlists, row_id, root_id, level);
}

static tstate *list_table(dltc_relational *r, tstate *ts, rnode *n)
{
    if (n->list_table)
        return n->list_table;
    dltc_buf fp = DLTC_BUF_INIT;
    dltc_buf name = DLTC_BUF_INIT;
    tstate *child = NULL;
    if (dltc__buf_puts(&fp, ts->fullpath) || dltc__buf_put(&fp, "__", 2) ||
        dltc__buf_put(&fp, n->path, n->pathlen) ||
        dltc__naming_shorten(r->naming, fp.data, fp.len, &name))
        goto out;
    dltc_table *t = dltc__schema_table(r->schema, name.data, name.len);
    if (!t && dltc__schema_add_table(r->schema, name.data, ts->t->name, &t))
        goto out;
    child = state_for(r, t, fp.data, fp.len);
    n->list_table = child;
out:
    dltc__buf_free(&fp);
    dltc__buf_free(&name);
    return child;
}

/* Element i of a list, the row of `child` with id `nid`. */
static int list_element(dltc_relational *r, tstate *child, const dltc_value *e, long i,
                        const char *nid, const char *row_id, const char *root_id, int level)
{
    if (e->type == DLTC_TYPE_OBJECT)
        return emit_row(r, child, e, NULL, level - 1, row_id, i, nid, root_id, 0);
    if (e->type == DLTC_TYPE_ARRAY) {
        /* list of lists: a {"list": [...]} row one level deeper */
        dltc_member m;
        m.key = "list";
        m.klen = 4;
        m.val = *e;
        dltc_value mock;
        dltc__value_set_type(&mock, DLTC_TYPE_OBJECT);
        mock.u.obj = &m;
        mock.len = 1;
        return emit_row(r, child, &mock, NULL, level - 2, row_id, i, nid, root_id, 0);
    }
    return emit_row(r, child, NULL, e, level - 1, row_id, i, nid, root_id, 0);
}

typedef struct {
    dltc_relational *r;
    tstate *child;
    const char *row_id, *root_id;
    int level;
} streamed;

static int streamed_element(void *ctx, dltc_arena *arena, dltc_value *e, size_t i)
{
    streamed *s = ctx;
    dltc_relational *r = s->r;
    r->arena = arena; /* the element's memory, reset for the next */
    int rc = r->typed ? dltc__typed_json_decode(arena, e) : 0;
    char nid[ID_CHARS + 2];
    nested_id(nid, s->row_id, s->child->t->name, (long)i);
    return rc ? rc : list_element(r, s->child, e, (long)i, nid, s->row_id, s->root_id, s->level);
}

/* A deferred list's elements, one at a time, each in its own arena. */
static int stream_list(dltc_relational *r, tstate *child, const dltc_value *arr,
                       const char *row_id, const char *root_id, int level)
{
    dltc_arena *item_arena = r->arena;
    streamed s = {r, child, row_id, root_id, level};
    int rc = dltc__json_deferred_each(arr, item_arena->limit, streamed_element, &s);
    r->arena = item_arena;
    return rc;
}

static int process_lists(dltc_relational *r, tstate *ts, pending_list *lists, size_t nlists,
                         const char *row_id, const char *root_id, int level)
{
    for (size_t li = 0; li < nlists; li++) {
        tstate *child = list_table(r, ts, lists[li].node);
        if (!child)
            return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
        const dltc_value *arr = lists[li].arr;
        int rc;
        if (is_deferred(arr)) {
            if ((rc = stream_list(r, child, arr, row_id, root_id, level)) != 0)
                return rc;
            continue;
        }
        char ids[2][ID_CHARS + 2];
        for (uint32_t i = 0; i < arr->len; i++) {
            /* ids are hashed two at a time */
            if (i % 2 == 0) {
                if (i + 1 < arr->len)
                    nested_id_pair(ids[0], ids[1], row_id, child->t->name, (long)i);
                else
                    nested_id(ids[0], row_id, child->t->name, (long)i);
            }
            if ((rc = list_element(r, child, &arr->u.arr[i], (long)i, ids[i % 2], row_id,
                                   root_id, level)) != 0)
                return rc;
        }
    }
    return 0;
}

int dltc__relational_item(dltc_relational *r, dltc_table *root, const dltc_value *item,
                          dltc_arena *arena)
{
    r->arena = arena;
    tstate *ts = state_for(r, root, NULL, 0);
    if (!ts)
        return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
    int level = table_nesting(r, root);
    int propagate = dltc__schema_propagates(r->schema, root->name);
    if (ts->id_type < 0)
        ts->id_type = dltc__table_row_id_type(r->schema, root);
    if (item->type == DLTC_TYPE_OBJECT)
        return emit_row(r, ts, item, NULL, level, NULL, 0, NULL, NULL, propagate);
    /* non-dict items are wrapped as {"value": item} */
    dltc_member m;
    m.key = "value";
    m.klen = 5;
    m.val = *item;
    dltc_value wrapped;
    dltc__value_set_type(&wrapped, DLTC_TYPE_OBJECT);
    wrapped.u.obj = &m;
    wrapped.len = 1;
    return emit_row(r, ts, &wrapped, NULL, level, NULL, 0, NULL, NULL, propagate);
}

int dltc__relational_new(dltc_relational **out, dltc_schema *schema,
                         const dltc_relational_options *opts, dltc_row_sink sink, void *payload)
{
    dltc_relational *r = dltc__calloc(1, sizeof(*r));
    if (!r)
        return dltc__error_oom();
    r->schema = schema;
    r->naming = schema->naming;
    r->sink = sink;
    r->payload = payload;
    r->default_max_nesting = opts && opts->max_nesting >= 0 ? opts->max_nesting : 1000;
    const char *lid = opts && opts->load_id ? opts->load_id : "";
    char *copy = dltc__strdup(lid);
    if (!copy) {
        dltc__free(r);
        return dltc__error_oom();
    }
    string_value(&r->load_id, copy, strlen(copy));
    *out = r;
    return 0;
}

void dltc__relational_set_typed(dltc_relational *r, int typed)
{
    r->typed = typed;
}

void dltc__relational_free(dltc_relational *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nstates; i++)
        tstate_free(r->states[i]);
    dltc__free(r->states);
    dltc__free(r->cells);
    dltc__free((void *)r->load_id.u.s);
    dltc__buf_free(&r->tmp);
    dltc__buf_free(&r->hashbuf);
    dltc__free(r->pks);
    dltc__free(r);
}
