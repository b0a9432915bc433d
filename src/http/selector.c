/* Data selectors: where the records of a page are (reference §2.3 and step 4 of the paginate
 * loop), on top of formats/jsonpath.h. */
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/jsonpath.h"
#include "http/rest_int.h"

#include <string.h>

/* The last key of a list that holds records, and keys that never do (dlt's detector). */
static const char *const RECORD_KEYS[] = {"data",     "items",   "results", "entries",
                                          "records",  "rows",    "entities", "payload",
                                          "content",  "objects", "values"};
static const char *const NON_RECORD_KEYS[] = {"meta",  "metadata", "pagination",
                                              "links", "extras",   "headers"};

static int in(const char *k, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(k, set[i]) == 0)
            return 1;
    return 0;
}

#define MAX_KEYS 3 /* lists are looked for up to 3 keys deep */

typedef struct {
    const dltc_member *path[MAX_KEYS];
    size_t depth;
    const dltc_member *first[MAX_KEYS]; /* the first list met */
    size_t nfirst;
    const dltc_member *best[MAX_KEYS]; /* the first list under a record key */
    size_t nbest;
} finder;

/* Depth-first in the body's key order; stops at the first list under a record key. */
static int find_lists(finder *f, const dltc_value *obj)
{
    for (uint32_t i = 0; i < obj->len; i++) {
        const dltc_member *m = &obj->u.obj[i];
        f->path[f->depth] = m;
        if (m->val.type == DLTC_TYPE_ARRAY) {
            if (!f->nfirst) {
                memcpy(f->first, f->path, (f->depth + 1) * sizeof(f->path[0]));
                f->nfirst = f->depth + 1;
            }
            if (in(m->key, RECORD_KEYS, sizeof(RECORD_KEYS) / sizeof(RECORD_KEYS[0])) &&
                !in(m->key, NON_RECORD_KEYS, sizeof(NON_RECORD_KEYS) / sizeof(NON_RECORD_KEYS[0]))) {
                memcpy(f->best, f->path, (f->depth + 1) * sizeof(f->path[0]));
                f->nbest = f->depth + 1;
                return 1;
            }
        } else if (m->val.type == DLTC_TYPE_OBJECT && f->depth + 1 < MAX_KEYS) {
            f->depth++;
            int done = find_lists(f, &m->val);
            f->depth--;
            if (done)
                return 1;
        }
    }
    return 0;
}

/* Keys joined with "." (dlt joins them raw; we quote keys that would not compile). */
static int join(dltc_buf *b, const dltc_member *const *keys, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = dltc__jsonpath_append_key(b, keys[i]->key, keys[i]->klen);
    return rc;
}

int dltc__selector_detect(char **out, const dltc_value *body)
{
    finder f = {0};
    dltc_buf b = DLTC_BUF_INIT;
    int rc;
    if (!body || body->type != DLTC_TYPE_OBJECT) {
        rc = dltc__buf_puts(&b, "$"); /* not an object: the whole body */
    } else if (find_lists(&f, body)) {
        rc = join(&b, f.best, f.nbest);
    } else if (f.nfirst) {
        rc = join(&b, f.first, f.nfirst);
    } else {
        rc = dltc__buf_puts(&b, "$"); /* no list: the object is one record */
    }
    if (!rc && !(*out = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    return rc;
}

typedef struct {
    dltc_doc *doc;
    dltc_value *arr;
    const dltc_value *one;
    size_t n;
} collect;

static int add_match(const dltc_value *m, void *payload)
{
    collect *c = payload;
    if (++c->n == 1) {
        c->one = m;
        return 0;
    }
    int rc = 0;
    if (!c->arr) {
        if (!(c->arr = dltc_value_array(c->doc)))
            return dltc_error_last()->code;
        rc = dltc__array_append(&c->doc->arena, c->arr, c->one);
    }
    return rc ? rc : dltc__array_append(&c->doc->arena, c->arr, m);
}

int dltc__selector_apply(const dltc_value **out, dltc_doc *doc, const dltc_value *body,
                         const char *path)
{
    dltc__jsonpath *p;
    int rc = dltc__jsonpath_compile(&p, path, "data selector");
    if (rc)
        return rc;
    collect c = {doc, NULL, NULL, 0};
    if (body) /* no JSON body: nothing selected */
        rc = dltc__jsonpath_each(p, body, add_match, &c);
    dltc__jsonpath_free(p);
    if (rc)
        return rc;
    if (c.n > 1) { /* several matches: the list of them (items are lent from body) */
        *out = c.arr;
        return 0;
    }
    if (c.n == 1 && c.one->type == DLTC_TYPE_ARRAY) {
        *out = c.one;
        return 0;
    }
    /* none or None → []; one object or scalar → [it] */
    dltc_value *arr = dltc_value_array(doc);
    if (!arr)
        return dltc_error_last()->code;
    if (c.n == 1 && c.one->type != DLTC_TYPE_NULL &&
        (rc = dltc__array_append(&doc->arena, arr, c.one)))
        return rc;
    *out = arr;
    return 0;
}
