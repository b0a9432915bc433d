/*
 * dlt's declarative rest_api source (dlt.sources.rest_api, reference dlt-io.md §3): the
 * config is copied, checked as dlt checks its typed dict (every key and type, then the
 * combinations), each resource merged with resource_defaults, and compiled into one dltc
 * resource per entry — a transformer of its parent when its endpoint refers to one. What a
 * resource does when it runs is in rest_api_run.c, the expression language of processing
 * steps in rest_api_expr.c.
 *
 * Every error is one line "[file:line: ]rest_api: <key path>: <reason>". The key path names
 * where the offending value was written: a value merged in from resource_defaults is named
 * there. No value of an auth block or of a header is ever put into a message.
 */
#include "dltc/rest_api.h"
#include "sources/rest_api_int.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"
#include "formats/jsonpath.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the builder and its errors ---- */

typedef struct {
    const dltc_rest_api_options *o;
    dltc_buf path;        /* key path being checked */
    dltc_arena *a;        /* the shared doc's arena */
    dltc__ra_shared *sh;  /* what the resources share (owns the doc) */
    char where[512];
} bld;

/* A copy of the key path `p` with its last step removed ("a.b[1]" -> "a.b" -> "a"). */
static int parent_path(char *p)
{
    size_t n = strlen(p);
    if (!n)
        return 0;
    size_t i = n;
    if (p[n - 1] == ']') {
        while (i && p[i - 1] != '[')
            i--;
        if (i)
            i--;
    } else {
        while (i && p[i - 1] != '.' && p[i - 1] != ']')
            i--;
        if (i && p[i - 1] == '.')
            i--;
    }
    p[i] = '\0';
    return 1;
}

/* file:line of `path` or of the nearest parent that `locate` knows. */
static const char *locate(bld *b, const char *path)
{
    if (!b->o || !b->o->locate)
        return NULL;
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    for (;;) {
        const char *w = b->o->locate(p, b->o->locate_payload);
        if (w) {
            snprintf(b->where, sizeof b->where, "%s", w);
            return b->where;
        }
        if (!*p || !parent_path(p))
            return NULL;
    }
}

static int failv(bld *b, int code, const char *path, const char *fmt, va_list ap)
{
    char msg[900];
    vsnprintf(msg, sizeof msg, fmt, ap);
    const char *w = locate(b, path);
    const char *sep = *path ? ": " : "";
    if (w)
        return dltc__error_set(code, "%s: rest_api: %s%s%s", w, path, sep, msg);
    return dltc__error_set(code, "rest_api: %s%s%s", path, sep, msg);
}

/* An error at an explicit key path. */
static int fail_at(bld *b, const char *path, const char *fmt, ...) DLTC_PRINTF(3, 4);
static int fail_at(bld *b, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = failv(b, DLTC_EINVALID, path, fmt, ap);
    va_end(ap);
    return rc;
}

/* The key path being checked, with `key` appended (NULL: as it is). */
static const char *here(bld *b, const char *key, char *buf, size_t n)
{
    const char *p = b->path.data ? b->path.data : "";
    if (!key)
        snprintf(buf, n, "%s", p);
    else if (key[0] == '[')
        snprintf(buf, n, "%s%s", p, key);
    else
        snprintf(buf, n, "%s%s%s", p, *p ? "." : "", key);
    return buf;
}

static int fail(bld *b, const char *key, const char *fmt, ...) DLTC_PRINTF(3, 4);
static int fail(bld *b, const char *key, const char *fmt, ...)
{
    char p[512];
    va_list ap;
    va_start(ap, fmt);
    int rc = failv(b, DLTC_EINVALID, here(b, key, p, sizeof p), fmt, ap);
    va_end(ap);
    return rc;
}

static int fail_code(bld *b, int code, const char *path, const char *fmt, ...)
    DLTC_PRINTF(4, 5);
static int fail_code(bld *b, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = failv(b, code, path, fmt, ap);
    va_end(ap);
    return rc;
}

/* The last error of a lower layer, reworded as ours at `path` (its code kept). */
static int wrap_at(bld *b, const char *path, const char *what)
{
    const dltc_error *e = dltc_error_last();
    int code = e->code ? e->code : DLTC_ERROR;
    char msg[900];
    snprintf(msg, sizeof msg, "%s%s", what ? what : "", e->message);
    return fail_code(b, code, path, "%s", msg);
}

/* Check with `path` as the current key path (a path computed by origin()). */
static void set_path(bld *b, const char *path)
{
    dltc__buf_clear(&b->path);
    dltc__buf_puts(&b->path, path);
}

static size_t push(bld *b, const char *key)
{
    size_t mark = b->path.len;
    if (key[0] != '[' && b->path.len)
        dltc__buf_putc(&b->path, '.');
    dltc__buf_puts(&b->path, key);
    return mark;
}

static size_t push_i(bld *b, size_t i)
{
    char k[32];
    snprintf(k, sizeof k, "[%zu]", i);
    return push(b, k);
}

static void pop(bld *b, size_t mark)
{
    b->path.len = mark;
    if (b->path.data)
        b->path.data[mark] = '\0';
}

/* ---- kinds of values ---- */

enum {
    K_STR = 1, K_INT = 2, K_NUM = 4, K_BOOL = 8, K_OBJ = 16, K_ARR = 32, K_NULL = 64,
    K_TIME = 128, K_SCALAR = K_STR | K_INT | K_NUM | K_BOOL | K_TIME
};

static unsigned kind(const dltc_value *v)
{
    switch (v->type) {
    case DLTC_TYPE_STRING: return K_STR;
    case DLTC_TYPE_INT: case DLTC_TYPE_BIGINT: return K_INT;
    case DLTC_TYPE_DOUBLE: case DLTC_TYPE_DECIMAL: return K_NUM;
    case DLTC_TYPE_BOOL: return K_BOOL;
    case DLTC_TYPE_OBJECT: return K_OBJ;
    case DLTC_TYPE_ARRAY: return K_ARR;
    case DLTC_TYPE_NULL: return K_NULL;
    default: return K_TIME;
    }
}

static const char *kind_text(unsigned k)
{
    switch (k) {
    case K_STR: return "a string";
    case K_INT: return "an integer";
    case K_NUM: return "a number";
    case K_BOOL: return "a boolean";
    case K_OBJ: return "an object";
    case K_ARR: return "a list";
    case K_NULL: return "null";
    default: return "a date/time";
    }
}

/* key must be one of `kinds` (K_INT is accepted for K_NUM). */
static int want(bld *b, const char *key, const dltc_value *v, unsigned kinds)
{
    unsigned k = kind(v);
    if (k & kinds || (k == K_INT && (kinds & K_NUM)))
        return 0;
    char list[160] = "";
    int first = 1;
    unsigned shown = kinds & ~K_NULL;
    for (unsigned bit = 1; bit <= K_TIME; bit <<= 1)
        if (shown & bit) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", first ? "" : " or ", kind_text(bit));
            first = 0;
        }
    return fail(b, key, "must be %s, not %s", list, kind_text(k));
}

static const dltc_value *get(const dltc_value *obj, const char *key)
{
    return obj && obj->type == DLTC_TYPE_OBJECT ? dltc_object_get(obj, key) : NULL;
}

/* A member that is set: present and not null (dlt's `.get(key) is not None`). */
static const dltc_value *get_set(const dltc_value *obj, const char *key)
{
    const dltc_value *v = get(obj, key);
    return v && v->type != DLTC_TYPE_NULL ? v : NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

typedef struct {
    const char *key;
    const char *why;
} unsupported_key;

/* Every key of `obj` must be in `keys`; `unsup` are dlt's keys that dltc refuses (why). */
static int known(bld *b, const dltc_value *obj, const char *const *keys,
                 const unsupported_key *unsup)
{
    for (uint32_t i = 0; i < obj->len; i++) {
        const char *k = obj->u.obj[i].key;
        int ok = 0;
        for (size_t j = 0; keys[j] && !ok; j++)
            ok = !strcmp(keys[j], k);
        if (ok)
            continue;
        char shown[80];
        snprintf(shown, sizeof shown, "%s", k);
        for (size_t j = 0; unsup && unsup[j].key; j++)
            if (!strcmp(unsup[j].key, k))
                return fail(b, shown, "not supported by dltc: %s", unsup[j].why);
        const char *best = NULL;
        size_t bd = 3;
        for (size_t j = 0; keys[j]; j++) {
            size_t d = edit_distance(k, keys[j]);
            if (d < bd) {
                bd = d;
                best = keys[j];
            }
        }
        char p[512];
        here(b, NULL, p, sizeof p);
        if (best)
            return fail_at(b, *p ? p : "config", "unknown key \"%s\" (did you mean \"%s\"?)",
                           shown, best);
        return fail_at(b, *p ? p : "config", "unknown key \"%s\"", shown);
    }
    return 0;
}

/* A string member that must be one of `names` (NULL-terminated). */
static int one_of(bld *b, const char *key, const dltc_value *v, const char *const *names)
{
    int rc = want(b, key, v, K_STR);
    if (rc)
        return rc;
    char list[200] = "";
    for (size_t i = 0; names[i]; i++) {
        if (!strcmp(names[i], v->u.s))
            return 0;
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", names[i]);
    }
    return fail(b, key, "unknown value \"%.60s\" (%s)", v->u.s, list);
}

/* ---- copying the config into the source's doc ---- */

static int copy_value(dltc_arena *a, const dltc_value *s, dltc_value *d, int depth)
{
    if (depth > 64)
        return dltc__error_set(DLTC_ELIMIT, "rest_api: the config nests more than 64 levels");
    *d = *s;
    d->cap = 0;
    switch (s->type) {
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
    case DLTC_TYPE_BINARY:
        d->u.s = dltc__arena_strndup(a, s->u.s ? s->u.s : "", s->len);
        return d->u.s ? 0 : dltc_error_last()->code;
    case DLTC_TYPE_INT:
    case DLTC_TYPE_DOUBLE:
        if (s->lex && !(d->lex = dltc__arena_strndup(a, s->lex, s->len)))
            return dltc_error_last()->code;
        return 0;
    case DLTC_TYPE_ARRAY:
        d->u.arr = s->len ? dltc__arena_alloc(a, s->len * sizeof(dltc_value)) : NULL;
        if (s->len && !d->u.arr)
            return dltc_error_last()->code;
        d->cap = s->len;
        for (uint32_t i = 0; i < s->len; i++) {
            int rc = copy_value(a, &s->u.arr[i], &d->u.arr[i], depth + 1);
            if (rc)
                return rc;
        }
        return 0;
    case DLTC_TYPE_OBJECT:
        d->u.obj = s->len ? dltc__arena_alloc(a, s->len * sizeof(dltc_member)) : NULL;
        if (s->len && !d->u.obj)
            return dltc_error_last()->code;
        d->cap = s->len;
        for (uint32_t i = 0; i < s->len; i++) {
            dltc_member *m = &d->u.obj[i];
            m->klen = s->u.obj[i].klen;
            if (!(m->key = dltc__arena_strndup(a, s->u.obj[i].key, m->klen)))
                return dltc_error_last()->code;
            int rc = copy_value(a, &s->u.obj[i].val, &m->val, depth + 1);
            if (rc)
                return rc;
        }
        return 0;
    default:
        return 0;
    }
}

/* A fresh object value (members appended with obj_set). */
static dltc_value *new_obj(dltc_arena *a)
{
    dltc_value *v = dltc__arena_alloc(a, sizeof(*v));
    if (v)
        dltc__value_set_type(v, DLTC_TYPE_OBJECT);
    return v;
}

static int obj_set(dltc_arena *a, dltc_value *o, const char *key, const dltc_value *v)
{
    return dltc__object_set(a, o, key, strlen(key), v);
}

/* ---- checks of the pieces ---- */

static const char *const PAGINATOR_TYPES[] = {"json_link", "json_response", "header_link",
                                              "auto", "single_page", "cursor", "offset",
                                              "page_number", "header_cursor", NULL};

/* A paginator config (a type name or an object): the type, then dlt's constructor checks. */
static int check_paginator(bld *b, const char *key, const dltc_value *v, dltc_paginator **out)
{
    if (out)
        *out = NULL;
    if (v->type == DLTC_TYPE_NULL)
        return 0;
    int rc = want(b, key, v, K_STR | K_OBJ);
    if (rc)
        return rc;
    size_t mark = push(b, key);
    const dltc_value *t = v->type == DLTC_TYPE_STRING ? v : get(v, "type");
    if (t) {
        const char *tk = v->type == DLTC_TYPE_STRING ? NULL : "type";
        if ((rc = want(b, tk, t, K_STR)))
            return pop(b, mark), rc;
        int found = 0;
        for (size_t i = 0; PAGINATOR_TYPES[i] && !found; i++)
            found = !strcmp(PAGINATOR_TYPES[i], t->u.s);
        if (!found) { /* named at the paginator, as the type is what it is */
            rc = fail(b, NULL, "unknown paginator type \"%.60s\" (json_link, header_link, auto, "
                      "single_page, cursor, offset, page_number, header_cursor)", t->u.s);
            return pop(b, mark), rc;
        }
    }
    dltc_buf j = DLTC_BUF_INIT;
    if (v->type == DLTC_TYPE_STRING)
        rc = dltc__buf_puts(&j, v->u.s);
    else
        rc = dltc__json_write(&j, v);
    dltc_paginator *p = NULL;
    if (!rc && (rc = dltc_paginator_new(&p, j.data))) {
        char path[512];
        rc = wrap_at(b, here(b, NULL, path, sizeof path), NULL);
    }
    dltc__buf_free(&j);
    pop(b, mark);
    if (!rc && out)
        *out = p;
    else
        dltc_paginator_free(p);
    return rc;
}

static const char *const AUTH_TYPES[] = {"bearer", "api_key", "http_basic",
                                         "oauth2_client_credentials", NULL};

/* An auth config: its type and keys (values are never shown: they are secrets). */
static int check_auth(bld *b, const char *key, const dltc_value *v)
{
    if (v->type == DLTC_TYPE_NULL)
        return 0;
    int rc = want(b, key, v, K_STR | K_OBJ);
    if (rc)
        return rc;
    size_t mark = push(b, key);
    const dltc_value *t = v->type == DLTC_TYPE_STRING ? v : get(v, "type");
    const char *type = "bearer";
    if (t) {
        const char *tk = v->type == DLTC_TYPE_STRING ? NULL : "type";
        if (!(rc = want(b, tk, t, K_STR))) {
            int found = 0;
            for (size_t i = 0; AUTH_TYPES[i] && !found; i++)
                found = !strcmp(AUTH_TYPES[i], t->u.s);
            if (found)
                type = t->u.s;
            else
                rc = fail(b, NULL, "unknown auth type \"%.60s\" (bearer, api_key, http_basic, "
                          "oauth2_client_credentials)", t->u.s);
        }
    }
    if (!rc && v->type == DLTC_TYPE_OBJECT) {
        static const char *const bearer[] = {"type", "token", NULL};
        static const char *const api_key[] = {"type", "name", "api_key", "location", NULL};
        static const char *const basic[] = {"type", "username", "password", NULL};
        static const char *const oauth2[] = {"type", "access_token_url", "client_id",
                                             "client_secret", "access_token_request_data",
                                             "default_token_expiration", "access_token", NULL};
        static const unsupported_key unsup[] = {
            {"session", "a requests.Session cannot be written in a config"}, {NULL, NULL}};
        const char *const *keys = !strcmp(type, "api_key")      ? api_key
                                  : !strcmp(type, "http_basic") ? basic
                                  : !strcmp(type, "bearer")     ? bearer
                                                                : oauth2;
        rc = known(b, v, keys, unsup);
        for (uint32_t i = 0; !rc && i < v->len; i++) {
            const char *k = v->u.obj[i].key;
            const dltc_value *f = &v->u.obj[i].val;
            if (!strcmp(k, "access_token_request_data"))
                rc = want(b, k, f, K_OBJ | K_NULL);
            else if (!strcmp(k, "default_token_expiration"))
                rc = want(b, k, f, K_INT | K_NULL);
            else
                rc = want(b, k, f, K_STR | K_NULL);
        }
        const dltc_value *loc = get_set(v, "location");
        static const char *const locs[] = {"header", "query", "param", "cookie", NULL};
        if (!rc && loc)
            rc = one_of(b, "location", loc, locs);
    }
    pop(b, mark);
    return rc;
}

static int check_string_map(bld *b, const char *key, const dltc_value *v)
{
    int rc = want(b, key, v, K_OBJ);
    if (rc)
        return rc;
    size_t mark = push(b, key);
    for (uint32_t i = 0; i < v->len && !rc; i++)
        rc = want(b, v->u.obj[i].key, &v->u.obj[i].val, K_STR);
    pop(b, mark);
    return rc;
}

static int check_client(bld *b, const dltc_value *c)
{
    static const char *const keys[] = {"base_url", "headers", "auth", "paginator", NULL};
    static const unsupported_key unsup[] = {
        {"session", "a requests.Session cannot be written in a config (the HTTP settings are "
                    "runtime.request_* in the config)"},
        {NULL, NULL}};
    size_t mark = push(b, "client");
    int rc = want(b, NULL, c, K_OBJ);
    if (!rc)
        rc = known(b, c, keys, unsup);
    const dltc_value *v;
    if (!rc) {
        if (!(v = get(c, "base_url")))
            rc = fail(b, "base_url", "is required");
        else if (!(rc = want(b, "base_url", v, K_STR)) && strncasecmp(v->u.s, "http://", 7) &&
                 strncasecmp(v->u.s, "https://", 8))
            rc = fail(b, "base_url", "must start with http:// or https://");
    }
    if (!rc && (v = get(c, "headers")))
        rc = check_string_map(b, "headers", v);
    if (!rc && (v = get(c, "auth")))
        rc = check_auth(b, "auth", v);
    if (!rc && (v = get(c, "paginator")))
        rc = check_paginator(b, "paginator", v, NULL);
    pop(b, mark);
    return rc;
}

/* A string or a list of strings (primary_key, merge_key). */
static int check_columns_names(bld *b, const char *key, const dltc_value *v)
{
    int rc = want(b, key, v, K_STR | K_ARR);
    if (rc || v->type == DLTC_TYPE_STRING)
        return rc;
    size_t mark = push(b, key);
    for (uint32_t i = 0; i < v->len && !rc; i++) {
        char k[32];
        snprintf(k, sizeof k, "[%u]", i);
        rc = want(b, k, &v->u.arr[i], K_STR);
    }
    pop(b, mark);
    return rc;
}

static const char *const DISPOSITIONS[] = {"append", "replace", "merge", "skip", NULL};

static int check_write_disposition(bld *b, const dltc_value *v)
{
    int rc = want(b, "write_disposition", v, K_STR | K_OBJ);
    if (rc)
        return rc;
    if (v->type == DLTC_TYPE_STRING)
        return one_of(b, "write_disposition", v, DISPOSITIONS);
    size_t mark = push(b, "write_disposition");
    static const char *const keys[] = {"disposition", "strategy", "deduplicated",
                                       "validity_column_names", "active_record_timestamp",
                                       "boundary_timestamp", "row_version_column_name",
                                       "retire_absent_rows", "natural_key", NULL};
    rc = known(b, v, keys, NULL);
    const dltc_value *d = get(v, "disposition");
    if (!rc && !d)
        rc = fail(b, "disposition", "is required");
    if (!rc)
        rc = one_of(b, "disposition", d, DISPOSITIONS);
    const dltc_value *s = get_set(v, "strategy");
    if (!rc && s && !strcmp(d->u.s, "merge")) {
        static const char *const strategies[] = {"delete-insert", "upsert", "insert-only",
                                                 "scd2", NULL};
        rc = one_of(b, "strategy", s, strategies);
    } else if (!rc && s) {
        rc = want(b, "strategy", s, K_STR);
    }
    const dltc_value *x;
    if (!rc && (x = get(v, "retire_absent_rows")))
        rc = fail(b, "retire_absent_rows", "not supported by dltc yet");
    if (!rc && (x = get(v, "natural_key")))
        rc = fail(b, "natural_key", "not supported by dltc yet");
    pop(b, mark);
    return rc;
}

static int check_columns(bld *b, const dltc_value *v)
{
    int rc = want(b, "columns", v, K_OBJ | K_ARR);
    if (rc)
        return rc;
    size_t mark = push(b, "columns");
    if (v->type == DLTC_TYPE_OBJECT) {
        for (uint32_t i = 0; i < v->len && !rc; i++)
            rc = want(b, v->u.obj[i].key, &v->u.obj[i].val, K_OBJ);
    } else {
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            size_t m2 = push_i(b, i);
            const dltc_value *n;
            if (!(rc = want(b, NULL, &v->u.arr[i], K_OBJ))) {
                if (!(n = get(&v->u.arr[i], "name")))
                    rc = fail(b, "name", "is required in a list of columns");
                else
                    rc = want(b, "name", n, K_STR);
            }
            pop(b, m2);
        }
    }
    pop(b, mark);
    return rc;
}

static int check_expr(bld *b, const char *key, const dltc_value *v, dltc__ra_expr **out)
{
    *out = NULL;
    int rc = want(b, key, v, K_STR);
    if (rc)
        return rc;
    if ((rc = dltc__ra_expr_compile(out, v->u.s, v->len))) {
        char p[512];
        size_t n = v->len;
        char what[140];
        snprintf(what, sizeof what, "\"%.*s%s\": ", (int)(n > 80 ? 80 : n), v->u.s,
                 n > 80 ? "..." : "");
        return wrap_at(b, here(b, key, p, sizeof p), what);
    }
    return 0;
}

/* processing_steps: [{"filter": EXPR, "map": {field: EXPR | constant | null},
 * "drop": [field, ...], "select": [field, ...]}, ...]: each step one or more of them,
 * applied in that order (as dlt adds a step's filter before its map). */
static int check_steps(bld *b, const dltc_value *v)
{
    int rc = want(b, "processing_steps", v, K_ARR);
    if (rc)
        return rc;
    static const char *const keys[] = {"filter", "map", "drop", "select", NULL};
    static const unsupported_key unsup[] = {
        {"yield_map", "it needs a Python function (add a C step to the resource instead: "
                      "dltc_source_resource)"},
        {NULL, NULL}};
    size_t mark = push(b, "processing_steps");
    for (uint32_t i = 0; i < v->len && !rc; i++) {
        size_t m2 = push_i(b, i);
        const dltc_value *s = &v->u.arr[i], *x;
        dltc__ra_expr *e = NULL;
        if ((rc = want(b, NULL, s, K_OBJ)) || (rc = known(b, s, keys, unsup))) {
        } else if (!s->len) {
            rc = fail(b, NULL, "an empty step (filter, map, drop or select)");
        }
        if (!rc && (x = get(s, "filter"))) {
            rc = check_expr(b, "filter", x, &e);
            dltc__ra_expr_free(e);
        }
        if (!rc && (x = get(s, "map"))) {
            if (!(rc = want(b, "map", x, K_OBJ)) && !x->len)
                rc = fail(b, "map", "sets no field");
            size_t m3 = push(b, "map");
            for (uint32_t j = 0; !rc && j < x->len; j++) {
                const dltc_value *f = &x->u.obj[j].val;
                if (!x->u.obj[j].klen)
                    rc = fail(b, NULL, "a field name is empty");
                else if (f->type == DLTC_TYPE_STRING) {
                    rc = check_expr(b, x->u.obj[j].key, f, &e);
                    dltc__ra_expr_free(e);
                } else {
                    rc = want(b, x->u.obj[j].key, f, K_NULL | K_INT | K_NUM | K_BOOL);
                }
            }
            pop(b, m3);
        }
        static const char *const lists[] = {"drop", "select"};
        for (int l = 0; l < 2 && !rc; l++) {
            if (!(x = get(s, lists[l])))
                continue;
            if (!(rc = want(b, lists[l], x, K_ARR)) && !x->len)
                rc = fail(b, lists[l], "names no field");
            size_t m3 = push(b, lists[l]);
            for (uint32_t j = 0; !rc && j < x->len; j++) {
                char k[32];
                snprintf(k, sizeof k, "[%u]", j);
                if (!(rc = want(b, k, &x->u.arr[j], K_STR)) && !x->u.arr[j].len)
                    rc = fail(b, k, "is empty");
            }
            pop(b, m3);
        }
        pop(b, m2);
    }
    pop(b, mark);
    return rc;
}

static int check_action(bld *b, const dltc_value *a)
{
    int rc = want(b, NULL, a, K_OBJ);
    if (rc) {
        if (a->type == DLTC_TYPE_STRING)
            return fail(b, NULL, "a response action is an object {\"status_code\": ..., "
                        "\"content\": ..., \"action\": \"ignore\"} (callables cannot be written "
                        "in a config)");
        return rc;
    }
    static const char *const keys[] = {"status_code", "content", "action", NULL};
    if ((rc = known(b, a, keys, NULL)))
        return rc;
    const dltc_value *s = get_set(a, "status_code"), *c = get_set(a, "content"),
                     *act = get(a, "action");
    if (s && !(rc = want(b, "status_code", s, K_INT | K_STR))) {
        int64_t code = 0;
        if (s->type == DLTC_TYPE_STRING) {
            char *end;
            code = strtoll(s->u.s, &end, 10);
            if (!s->len || *end)
                code = 0;
        } else if (s->type == DLTC_TYPE_INT) {
            code = s->u.i;
        }
        if (code < 100 || code > 599)
            rc = fail(b, "status_code", "is not an HTTP status (100 to 599)");
    }
    if (!rc && c)
        rc = want(b, "content", c, K_STR);
    if (!rc && !s && !c)
        rc = fail(b, NULL, "needs status_code or content");
    if (!rc && !act)
        rc = fail(b, "action", "is required (\"ignore\")");
    if (!rc && act->type != DLTC_TYPE_STRING)
        rc = fail(b, "action", "must be \"ignore\" (callables cannot be written in a config)");
    if (!rc && strcmp(act->u.s, "ignore"))
        rc = fail(b, "action", "unknown action \"%.40s\" (ignore)", act->u.s);
    return rc;
}

static const char *const INCR_ARGS[] = {"cursor_path", "initial_value", "end_value",
                                        "last_value_func", "row_order", "lag",
                                        "on_cursor_value_missing", "range_start", "range_end",
                                        "primary_key", "convert", "transform",
                                        "allow_external_schedulers", NULL};

/* The arguments of an Incremental (endpoint.incremental or a {"type": "incremental"} param). */
static int check_incremental_args(bld *b, const dltc_value *v, int param_form)
{
    int rc = 0;
    const dltc_value *x;
    if (!(x = get(v, "cursor_path")))
        return fail(b, "cursor_path", "is required");
    if ((rc = want(b, "cursor_path", x, K_STR)))
        return rc;
    if (!x->len)
        return fail(b, "cursor_path", "is empty");
    dltc__jsonpath *jp;
    char p[512];
    if ((rc = dltc__jsonpath_compile(&jp, x->u.s, "cursor_path")))
        return wrap_at(b, here(b, "cursor_path", p, sizeof p), NULL);
    dltc__jsonpath_free(jp);
    static const char *const funcs[] = {"max", "min", NULL};
    static const char *const orders[] = {"asc", "desc", NULL};
    static const char *const missing[] = {"raise", "include", "exclude", NULL};
    static const char *const ranges[] = {"open", "closed", NULL};
    if ((x = get(v, "initial_value")))
        rc = want(b, "initial_value", x, K_SCALAR | K_NULL);
    if (!rc && (x = get(v, "end_value")))
        rc = want(b, "end_value", x, K_SCALAR | K_NULL);
    if (!rc && param_form && (get_set(v, "end_value") || get_set(v, "end_param")))
        rc = fail(b, get_set(v, "end_value") ? "end_value" : "end_param",
                  "only cursor_path and initial_value are allowed in a param of type "
                  "incremental: set end_value in endpoint.incremental");
    if (!rc && get_set(v, "end_value") && !get_set(v, "initial_value"))
        rc = fail(b, "end_value", "needs initial_value");
    if (!rc && (x = get_set(v, "last_value_func"))) {
        if (x->type != DLTC_TYPE_STRING)
            rc = fail(b, "last_value_func", "must be \"max\" or \"min\" (callables cannot be "
                      "written in a config)");
        else
            rc = one_of(b, "last_value_func", x, funcs);
    }
    if (!rc && (x = get_set(v, "row_order")))
        rc = one_of(b, "row_order", x, orders);
    if (!rc && (x = get_set(v, "on_cursor_value_missing")))
        rc = one_of(b, "on_cursor_value_missing", x, missing);
    if (!rc && (x = get_set(v, "range_start")))
        rc = one_of(b, "range_start", x, ranges);
    if (!rc && (x = get_set(v, "range_end")))
        rc = one_of(b, "range_end", x, ranges);
    if (!rc && (x = get_set(v, "lag")) && !(rc = want(b, "lag", x, K_NUM)) &&
        (x->type == DLTC_TYPE_INT ? x->u.i < 0 : x->type == DLTC_TYPE_DOUBLE && x->u.d < 0))
        rc = fail(b, "lag", "must not be negative");
    if (!rc && (x = get_set(v, "primary_key")))
        rc = check_columns_names(b, "primary_key", x);
    if (!rc && (x = get_set(v, "allow_external_schedulers")) &&
        !(rc = want(b, "allow_external_schedulers", x, K_BOOL)) && x->u.i)
        rc = fail(b, "allow_external_schedulers", "not supported by dltc");
    if (!rc && get_set(v, "convert") && get_set(v, "transform"))
        rc = fail(b, "transform", "is the old name of convert: give one of them");
    const char *ck = get_set(v, "convert") ? "convert" : "transform";
    if (!rc && (x = get_set(v, ck))) {
        dltc__ra_expr *e;
        if (!(rc = check_expr(b, ck, x, &e)))
            dltc__ra_expr_free(e);
    }
    return rc;
}

static int check_incremental(bld *b, const dltc_value *v)
{
    int rc = want(b, "incremental", v, K_OBJ);
    if (rc)
        return rc;
    size_t mark = push(b, "incremental");
    const char *keys[32];
    size_t n = 0;
    for (size_t i = 0; INCR_ARGS[i]; i++)
        keys[n++] = INCR_ARGS[i];
    keys[n++] = "start_param";
    keys[n++] = "end_param";
    keys[n] = NULL;
    rc = known(b, v, keys, NULL);
    if (!rc)
        rc = check_incremental_args(b, v, 0);
    const dltc_value *x;
    if (!rc && (x = get_set(v, "start_param")))
        rc = want(b, "start_param", x, K_STR);
    if (!rc && (x = get_set(v, "end_param")))
        rc = want(b, "end_param", x, K_STR);
    if (!rc && get_set(v, "end_param") && !get_set(v, "end_value"))
        rc = fail(b, "end_param", "needs end_value");
    pop(b, mark);
    return rc;
}

static int check_params(bld *b, const dltc_value *v)
{
    int rc = want(b, "params", v, K_OBJ);
    if (rc)
        return rc;
    size_t mark = push(b, "params");
    for (uint32_t i = 0; i < v->len && !rc; i++) {
        const char *k = v->u.obj[i].key;
        const dltc_value *x = &v->u.obj[i].val;
        if (x->type == DLTC_TYPE_ARRAY) {
            rc = fail(b, k, "a list as a query parameter is not supported");
            continue;
        }
        if ((rc = want(b, k, x, K_SCALAR | K_NULL | K_OBJ)) || x->type != DLTC_TYPE_OBJECT)
            continue;
        size_t m2 = push(b, k);
        const dltc_value *t = get(x, "type");
        if (!t || t->type != DLTC_TYPE_STRING ||
            (strcmp(t->u.s, "resolve") && strcmp(t->u.s, "incremental"))) {
            rc = t && t->type == DLTC_TYPE_STRING
                     ? fail(b, "type", "invalid param type \"%.40s\" (resolve, incremental)",
                            t->u.s)
                     : fail(b, "type", "a param that is an object needs \"type\": resolve or "
                            "incremental");
        } else if (!strcmp(t->u.s, "resolve")) {
            static const char *const keys[] = {"type", "resource", "field", NULL};
            if (!(rc = known(b, x, keys, NULL))) {
                const dltc_value *r = get(x, "resource"), *f = get(x, "field");
                if (!r)
                    rc = fail(b, "resource", "is required");
                else if (!f)
                    rc = fail(b, "field", "is required");
                else if (!(rc = want(b, "resource", r, K_STR)))
                    rc = want(b, "field", f, K_STR);
                dltc__jsonpath *jp;
                char p[512];
                if (!rc && (rc = dltc__jsonpath_compile(&jp, f->u.s, "field")))
                    rc = wrap_at(b, here(b, "field", p, sizeof p), NULL);
                else if (!rc)
                    dltc__jsonpath_free(jp);
            }
        } else {
            const char *keys[32];
            size_t n = 0;
            keys[n++] = "type";
            for (size_t j = 0; INCR_ARGS[j]; j++)
                keys[n++] = INCR_ARGS[j];
            keys[n++] = "end_param";
            keys[n] = NULL;
            if (!(rc = known(b, x, keys, NULL)))
                rc = check_incremental_args(b, x, 1);
        }
        pop(b, m2);
    }
    pop(b, mark);
    return rc;
}

static const char *const METHODS[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                      "OPTIONS", NULL};

static int check_endpoint(bld *b, const dltc_value *v, int defaults)
{
    if (v->type == DLTC_TYPE_STRING && !defaults)
        return 0;
    int rc = want(b, "endpoint", v, defaults ? K_OBJ : K_OBJ | K_STR);
    if (rc)
        return rc;
    static const char *const keys[] = {"path", "method", "params", "json", "data",
                                       "headers", "paginator", "data_selector",
                                       "response_actions", "incremental", "auth", NULL};
    size_t mark = push(b, "endpoint");
    rc = known(b, v, keys, NULL);
    const dltc_value *x;
    if (!rc && (x = get(v, "path")))
        rc = want(b, "path", x, K_STR);
    if (!rc && (x = get_set(v, "method")) && !(rc = want(b, "method", x, K_STR))) {
        int ok = 0;
        for (size_t i = 0; METHODS[i] && !ok; i++)
            ok = !strcasecmp(METHODS[i], x->u.s);
        if (!ok)
            rc = fail(b, "method", "unknown HTTP method \"%.20s\" (GET, POST, PUT, PATCH, "
                      "DELETE, HEAD, OPTIONS)", x->u.s);
    }
    if (!rc && (x = get_set(v, "params")))
        rc = check_params(b, x);
    if (!rc && (x = get_set(v, "data")) && !(rc = want(b, "data", x, K_OBJ | K_STR)) &&
        x->type == DLTC_TYPE_OBJECT) {
        size_t m2 = push(b, "data");
        for (uint32_t i = 0; i < x->len && !rc; i++)
            rc = want(b, x->u.obj[i].key, &x->u.obj[i].val, K_SCALAR | K_NULL);
        pop(b, m2);
    }
    if (!rc && get_set(v, "json") && get_set(v, "data"))
        rc = fail(b, "data", "json and data cannot be given together");
    if (!rc && (x = get_set(v, "headers")))
        rc = check_string_map(b, "headers", x);
    if (!rc && (x = get(v, "paginator")))
        rc = check_paginator(b, "paginator", x, NULL);
    if (!rc && (x = get_set(v, "data_selector")) && !(rc = want(b, "data_selector", x, K_STR))) {
        dltc__jsonpath *jp;
        char p[512];
        if ((rc = dltc__jsonpath_compile(&jp, x->u.s, "data_selector")))
            rc = wrap_at(b, here(b, "data_selector", p, sizeof p), NULL);
        else
            dltc__jsonpath_free(jp);
    }
    if (!rc && (x = get_set(v, "response_actions")) &&
        !(rc = want(b, "response_actions", x, K_ARR))) {
        size_t m2 = push(b, "response_actions");
        for (uint32_t i = 0; i < x->len && !rc; i++) {
            size_t m3 = push_i(b, i);
            rc = check_action(b, &x->u.arr[i]);
            pop(b, m3);
        }
        pop(b, m2);
    }
    if (!rc && (x = get_set(v, "incremental")))
        rc = check_incremental(b, x);
    if (!rc && (x = get(v, "auth")))
        rc = check_auth(b, "auth", x);
    pop(b, mark);
    return rc;
}

/* The keys of a resource (or of resource_defaults). */
static int check_resource(bld *b, const dltc_value *v, int defaults)
{
    if (!defaults && v->type == DLTC_TYPE_STRING)
        return v->len ? 0 : fail(b, NULL, "a resource name is empty");
    int rc = want(b, NULL, v, defaults ? K_OBJ : K_OBJ | K_STR);
    if (rc)
        return rc;
    static const char *const keys[] = {"name", "endpoint", "write_disposition", "primary_key",
                                       "merge_key", "table_name", "columns", "schema_contract",
                                       "table_format", "file_format", "max_table_nesting",
                                       "selected", "parallelized", "include_from_parent",
                                       "processing_steps", NULL};
    static const unsupported_key unsup[] = {
        {"references", "table references are not kept in dltc schemas yet"},
        {"nested_hints", "hints of nested tables are not supported yet"},
        {"parent_table_name", "parent_table_name is not supported"},
        {"parent", "parent is not supported"},
        {NULL, NULL}};
    if ((rc = known(b, v, keys, unsup)))
        return rc;
    const dltc_value *x;
    if (defaults && get(v, "name"))
        return fail(b, "name", "a name in resource_defaults would name every resource");
    if (!defaults) {
        if (!(x = get(v, "name")))
            return fail(b, "name", "is required");
        if ((rc = want(b, "name", x, K_STR)))
            return rc;
        if (!x->len)
            return fail(b, "name", "is empty");
    }
    if ((x = get(v, "endpoint")) && (rc = check_endpoint(b, x, defaults)))
        return rc;
    if ((x = get_set(v, "write_disposition")) && (rc = check_write_disposition(b, x)))
        return rc;
    if ((x = get_set(v, "primary_key")) && (rc = check_columns_names(b, "primary_key", x)))
        return rc;
    if ((x = get_set(v, "merge_key")) && (rc = check_columns_names(b, "merge_key", x)))
        return rc;
    if ((x = get_set(v, "table_name")) && (rc = want(b, "table_name", x, K_STR)))
        return rc;
    if ((x = get_set(v, "columns")) && (rc = check_columns(b, x)))
        return rc;
    if ((x = get_set(v, "schema_contract")) && (rc = want(b, "schema_contract", x, K_STR | K_OBJ)))
        return rc;
    if ((x = get_set(v, "table_format")) && !(rc = want(b, "table_format", x, K_STR)) &&
        strcmp(x->u.s, "native"))
        return fail(b, "table_format", "\"%.20s\" is not supported by dltc (native only)",
                    x->u.s);
    if (rc)
        return rc;
    if ((x = get_set(v, "file_format"))) {
        static const char *const formats[] = {"jsonl", "parquet", "csv", "insert_values",
                                              "preferred", NULL};
        if ((rc = one_of(b, "file_format", x, formats)))
            return rc;
    }
    if ((x = get_set(v, "max_table_nesting")) &&
        ((rc = want(b, "max_table_nesting", x, K_INT)) ||
         (x->type == DLTC_TYPE_INT && (x->u.i < 0 || x->u.i > 1000) &&
          (rc = fail(b, "max_table_nesting", "must be from 0 to 1000")))))
        return rc;
    if ((x = get_set(v, "selected")) && (rc = want(b, "selected", x, K_BOOL)))
        return rc;
    if ((x = get_set(v, "parallelized")) && (rc = want(b, "parallelized", x, K_BOOL)))
        return rc;
    if ((x = get_set(v, "include_from_parent"))) {
        if ((rc = want(b, "include_from_parent", x, K_ARR)))
            return rc;
        size_t mark = push(b, "include_from_parent");
        for (uint32_t i = 0; i < x->len && !rc; i++) {
            char k[32];
            snprintf(k, sizeof k, "[%u]", i);
            if (!(rc = want(b, k, &x->u.arr[i], K_STR)) && !x->u.arr[i].len)
                rc = fail(b, k, "is empty");
        }
        pop(b, mark);
        if (rc)
            return rc;
    }
    if ((x = get_set(v, "processing_steps")) && (rc = check_steps(b, x)))
        return rc;
    return 0;
}

/* ---- merging a resource with resource_defaults (dlt's _merge_resource_endpoints) ---- */

typedef struct {
    const dltc_value *raw;  /* as written: a string or an object */
    char at[64];            /* "resources[3]" */
    dltc_value *merged;     /* the effective resource */
    const dltc_value *ep;   /* merged->endpoint */
    const dltc_value *raw_ep; /* the resource's own endpoint object (NULL: none or string) */
    const char *name;
} res_in;

/* Where a value of the merged resource was written: key k1 of the resource, k2 of that
 * (endpoint keys), k3 below (a param): in the resource, or in resource_defaults. */
static const char *origin(const res_in *r, const dltc_value *defaults, const char *k1,
                          const char *k2, const char *k3, char *buf, size_t n)
{
    const dltc_value *d1 = get(defaults, k1), *d2 = k2 ? get(d1, k2) : NULL,
                     *d3 = k3 ? get(d2, k3) : NULL;
    const dltc_value *in_defaults = k3 ? d3 : k2 ? d2 : d1;
    const char *at = r->at;
    if (r->raw->type == DLTC_TYPE_STRING) { /* "posts": its name and path */
        int own = !strcmp(k1, "name") || (!strcmp(k1, "endpoint") && k2 && !strcmp(k2, "path"));
        if (own || !in_defaults)
            snprintf(buf, n, "%s", at);
        else
            snprintf(buf, n, "resource_defaults.%s%s%s%s%s", k1, k2 ? "." : "", k2 ? k2 : "",
                     k3 ? "." : "", k3 ? k3 : "");
        return buf;
    }
    const dltc_value *o1 = get(r->raw, k1);
    int own;
    if (strcmp(k1, "endpoint") || !k2) {
        own = o1 != NULL;
    } else if (o1 && o1->type == DLTC_TYPE_STRING) {
        if (!strcmp(k2, "path")) {
            snprintf(buf, n, "%s.endpoint", at);
            return buf;
        }
        own = 0;
    } else {
        const dltc_value *o2 = get(o1, k2);
        if (!o2 && !strcmp(k2, "path")) { /* the path defaults to the name */
            snprintf(buf, n, "%s.name", at);
            return buf;
        }
        own = k3 ? get(o2, k3) != NULL : o2 != NULL;
    }
    if (!own && !in_defaults)
        own = 1;
    snprintf(buf, n, "%s.%s%s%s%s%s", own ? at : "resource_defaults", k1, k2 ? "." : "",
             k2 ? k2 : "", k3 ? "." : "", k3 ? k3 : "");
    return buf;
}

/* {**a, **b} of two objects (a may be NULL). */
static int merge_shallow(dltc_arena *a, const dltc_value *base, const dltc_value *over,
                         dltc_value **out)
{
    dltc_value *o = new_obj(a);
    if (!o)
        return dltc_error_last()->code;
    int rc = 0;
    for (uint32_t i = 0; base && base->type == DLTC_TYPE_OBJECT && i < base->len && !rc; i++)
        rc = dltc__object_set(a, o, base->u.obj[i].key, base->u.obj[i].klen, &base->u.obj[i].val);
    for (uint32_t i = 0; over && over->type == DLTC_TYPE_OBJECT && i < over->len && !rc; i++)
        rc = dltc__object_set(a, o, over->u.obj[i].key, over->u.obj[i].klen, &over->u.obj[i].val);
    *out = o;
    return rc;
}

/* Columns as an object name -> hints (a list of column objects keyed by their name). */
static int columns_object(dltc_arena *a, const dltc_value *c, dltc_value **out)
{
    if (c->type == DLTC_TYPE_OBJECT) {
        *out = (dltc_value *)c;
        return 0;
    }
    dltc_value *o = new_obj(a);
    if (!o)
        return dltc_error_last()->code;
    int rc = 0;
    for (uint32_t i = 0; i < c->len && !rc; i++) {
        const dltc_value *n = get(&c->u.arr[i], "name");
        rc = dltc__object_set(a, o, n->u.s, n->len, &c->u.arr[i]);
    }
    *out = o;
    return rc;
}

static int merge_resource(bld *b, const dltc_value *defaults, res_in *r)
{
    dltc_arena *a = b->a;
    dltc_value *own = NULL;
    int rc = 0;
    /* the resource in its object form with an endpoint object that has a path */
    if (r->raw->type == DLTC_TYPE_STRING) {
        if (!(own = new_obj(a)))
            return dltc_error_last()->code;
        dltc_value *ep = new_obj(a);
        if (!ep || (rc = obj_set(a, own, "name", r->raw)) || (rc = obj_set(a, ep, "path", r->raw)) ||
            (rc = obj_set(a, own, "endpoint", ep)))
            return rc ? rc : dltc_error_last()->code;
    } else {
        if ((rc = merge_shallow(a, NULL, r->raw, &own)))
            return rc;
        const dltc_value *e = get(own, "endpoint");
        dltc_value *ep;
        if (e && e->type == DLTC_TYPE_STRING) {
            if (!(ep = new_obj(a)) || (rc = obj_set(a, ep, "path", e)))
                return rc ? rc : dltc_error_last()->code;
        } else if ((rc = merge_shallow(a, NULL, e, &ep))) {
            return rc;
        }
        if (e && e->type == DLTC_TYPE_OBJECT)
            r->raw_ep = e;
        if (!get(ep, "path") && (rc = obj_set(a, ep, "path", get(own, "name"))))
            return rc;
        if ((rc = obj_set(a, own, "endpoint", ep)))
            return rc;
    }
    r->name = get(own, "name")->u.s;
    const dltc_value *oep = get(own, "endpoint"), *dep = get(defaults, "endpoint");
    /* endpoint: {**defaults.endpoint, **endpoint}, params and json key by key */
    dltc_value *ep;
    if ((rc = merge_shallow(a, dep, oep, &ep)))
        return rc;
    static const char *const deep[] = {"params", "json"};
    for (int k = 0; k < 2; k++) {
        const dltc_value *ov = get(oep, deep[k]), *dv = get(dep, deep[k]);
        if (ov && dv && ov->type == DLTC_TYPE_OBJECT && dv->type == DLTC_TYPE_OBJECT) {
            dltc_value *m;
            if ((rc = merge_shallow(a, dv, ov, &m)) || (rc = obj_set(a, ep, deep[k], m)))
                return rc;
        }
    }
    /* columns: deep by column */
    const dltc_value *oc = get_set(own, "columns"), *dc = get_set(defaults, "columns");
    dltc_value *merged;
    if ((rc = merge_shallow(a, defaults, own, &merged)))
        return rc;
    if (oc && dc && (oc->len || dc->len)) {
        dltc_value *co, *cd, *m;
        if ((rc = columns_object(a, oc, &co)) || (rc = columns_object(a, dc, &cd)) ||
            (rc = merge_shallow(a, cd, NULL, &m)))
            return rc;
        for (uint32_t i = 0; i < co->len && !rc; i++) {
            const dltc_member *c = &co->u.obj[i];
            const dltc_value *d = get(cd, c->key);
            dltc_value *col;
            if ((rc = merge_shallow(a, d, &c->val, &col)))
                break;
            rc = dltc__object_set(a, m, c->key, c->klen, col);
        }
        if (!rc)
            rc = obj_set(a, merged, "columns", m);
        if (rc)
            return rc;
    }
    if ((rc = obj_set(a, merged, "endpoint", ep)))
        return rc;
    r->merged = merged;
    r->ep = get(merged, "endpoint");
    return 0;
}

/* ---- placeholders: which are there, and what they refer to ---- */

typedef struct {
    bld *b;
    const char *where;      /* key path of the template */
    int in_path;
    int has_incremental;
    const dltc_value *params; /* merged endpoint params (static and resolve params) */
    const char *parent;     /* the parent found so far */
    const char *parent_at;  /* where it was named */
    char parent_buf[256];
    char at_buf[512];
    dltc_buf *path_out;     /* the path rewritten (static params bound), or NULL */
    const char **used;      /* params bound in the path */
    size_t nused;
} ph_check;

static int note_parent(ph_check *c, const char *res, size_t n)
{
    if (!c->parent) {
        snprintf(c->parent_buf, sizeof c->parent_buf, "%.*s", (int)n, res);
        snprintf(c->at_buf, sizeof c->at_buf, "%s", c->where);
        c->parent = c->parent_buf;
        c->parent_at = c->at_buf;
        return 0;
    }
    if (strlen(c->parent) == n && !memcmp(c->parent, res, n))
        return 0;
    return fail_at(c->b, c->where, "refers to the parent resources \"%s\" and \"%.*s\": a "
                   "resource may have only one parent", c->parent, (int)n, res);
}

static int check_piece(int is_ph, const char *s, size_t n, void *payload)
{
    ph_check *c = payload;
    bld *b = c->b;
    if (!is_ph)
        return c->path_out ? dltc__ra_escape(c->path_out, s, n) : 0;
    char name[300];
    if (n >= sizeof name)
        return fail_at(b, c->where, "a placeholder of more than %zu bytes", sizeof name - 1);
    memcpy(name, s, n);
    name[n] = '\0';
    if (!strncmp(name, "resources.", 10)) {
        const char *res = name + 10, *dot = strchr(res, '.');
        if (!dot || dot == res || !dot[1])
            return fail_at(b, c->where, "placeholder {%s}: expected "
                           "{resources.<resource>.<field>}", name);
        dltc__jsonpath *jp;
        if (dltc__jsonpath_compile(&jp, dot + 1, "field"))
            return wrap_at(b, c->where, NULL);
        dltc__jsonpath_free(jp);
        int rc = note_parent(c, res, (size_t)(dot - res));
        if (!rc && c->path_out)
            rc = dltc__buf_printf(c->path_out, "{%s}", name);
        return rc;
    }
    if (!strncmp(name, "incremental.", 12)) {
        const char *attr = name + 12;
        if (!c->has_incremental)
            return fail_at(b, c->where, "placeholder {%s} needs endpoint.incremental", name);
        if (strcmp(attr, "start_value") && strcmp(attr, "last_value") &&
            strcmp(attr, "initial_value") && strcmp(attr, "end_value"))
            return fail_at(b, c->where, "placeholder {%s}: unknown incremental value "
                           "(start_value, last_value, initial_value, end_value)", name);
        return c->path_out ? dltc__buf_printf(c->path_out, "{%s}", name) : 0;
    }
    if (!c->in_path)
        return fail_at(b, c->where, "placeholder {%s} is not valid: placeholders are "
                       "{resources.<resource>.<field>}%s", name,
                       c->has_incremental ? " and {incremental.<value>}" : "");
    /* a {name} of the path: a static or a resolve param */
    const dltc_value *p = strchr(name, '.') ? NULL : get(c->params, name);
    if (!p) {
        if (strchr(name, '.'))
            return fail_at(b, c->where, "placeholder {%s} is not valid: valid names start with "
                           "resources.%s", name, c->has_incremental ? " or incremental." : "");
        return fail_at(b, c->where, "needs a param named \"%s\" in endpoint.params", name);
    }
    if (p->type == DLTC_TYPE_OBJECT) {
        const dltc_value *t = get(p, "type");
        if (!t || t->type != DLTC_TYPE_STRING || strcmp(t->u.s, "resolve"))
            return fail_at(b, c->where, "{%s}: a path can only bind params of type resolve",
                           name);
        const dltc_value *res = get(p, "resource");
        int rc = note_parent(c, res->u.s, res->len);
        if (!rc)
            rc = dltc__buf_printf(c->path_out, "{%s}", name);
        if (rc)
            return rc;
    } else {
        dltc_buf v = DLTC_BUF_INIT;
        int rc = dltc__ra_format(&v, p, NULL);
        if (!rc && v.data)
            rc = dltc__ra_escape(c->path_out, v.data, v.len);
        dltc__buf_free(&v);
        if (rc)
            return rc;
    }
    /* the params bound in the path (a stable copy: `name` is on the stack) */
    const char **u = dltc__realloc(c->used, (c->nused + 1) * sizeof(*u));
    if (!u)
        return dltc__error_oom();
    c->used = u;
    if (!(c->used[c->nused] = dltc__arena_strndup(b->a, name, n)))
        return dltc_error_last()->code;
    c->nused++;
    return 0;
}

static int scan_at(ph_check *c, const char *where, const char *tmpl)
{
    c->where = where;
    int rc = dltc__ra_scan(tmpl, check_piece, c);
    if (rc && !strstr(dltc_error_last()->message, "rest_api: "))
        rc = wrap_at(c->b, where, NULL);
    return rc;
}

/* Every string of a JSON body (keys too). */
static int scan_json(ph_check *c, const char *where, const dltc_value *v, int depth)
{
    int rc = 0;
    char p[512];
    if (v->type == DLTC_TYPE_STRING)
        return scan_at(c, where, v->u.s);
    if (v->type == DLTC_TYPE_ARRAY)
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            snprintf(p, sizeof p, "%s[%u]", where, i);
            rc = scan_json(c, p, &v->u.arr[i], depth + 1);
        }
    if (v->type == DLTC_TYPE_OBJECT)
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            snprintf(p, sizeof p, "%s.%s", where, v->u.obj[i].key);
            if (!(rc = scan_at(c, p, v->u.obj[i].key)))
                rc = scan_json(c, p, &v->u.obj[i].val, depth + 1);
        }
    return rc;
}

/* ---- compiling a resource ---- */

static char *dup_arena(bld *b, const char *s)
{
    return s ? dltc__arena_strndup(b->a, s, strlen(s)) : NULL;
}

/* "a,b" of a string or a list of strings. */
static char *names_csv(bld *b, const dltc_value *v)
{
    if (!v)
        return NULL;
    if (v->type == DLTC_TYPE_STRING)
        return dup_arena(b, v->u.s);
    dltc_buf s = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&s, "");
    for (uint32_t i = 0; i < v->len && !rc; i++) {
        if (i)
            rc = dltc__buf_putc(&s, ',');
        if (!rc)
            rc = dltc__buf_put(&s, v->u.arr[i].u.s, v->u.arr[i].len);
    }
    char *out = rc ? NULL : dup_arena(b, s.data);
    dltc__buf_free(&s);
    return out;
}

static char *json_text(bld *b, const dltc_value *v)
{
    dltc_buf s = DLTC_BUF_INIT;
    char *out = dltc__json_write(&s, v) ? NULL : dup_arena(b, s.data);
    dltc__buf_free(&s);
    return out;
}

/* JSON text of a scalar (an incremental's initial/end value; TOML datetimes as ISO). */
static char *scalar_json(bld *b, const dltc_value *v)
{
    return v && v->type != DLTC_TYPE_NULL ? json_text(b, v) : NULL;
}

static void steps_free(dltc__ra_step *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dltc__ra_expr_free(s[i].filter);
        for (size_t k = 0; k < s[i].n; k++)
            dltc__ra_expr_free(s[i].exprs[k]);
        dltc__free(s[i].exprs);
        dltc__free(s[i].ops);
        dltc__free(s[i].keys);
        dltc__free(s[i].consts);
    }
    dltc__free(s);
}

void dltc__ra_shared_release(dltc__ra_shared *sh)
{
    if (!sh || --sh->refs > 0)
        return;
    dltc_rest_client_free(sh->client);
    dltc_auth_free(sh->auth);
    dltc__free(sh->headers);
    dltc_doc_free(sh->doc);
    dltc__free(sh);
}

void dltc__ra_res_free(void *payload)
{
    dltc__ra_res *r = payload;
    if (!r)
        return;
    dltc_rest_pages_free(r->pages);
    dltc_paginator_free(r->paginator);
    if (r->own_auth)
        dltc_auth_free(r->auth);
    steps_free(r->steps, r->nsteps);
    dltc__ra_expr_free(r->convert);
    dltc__free(r->params);
    dltc__free(r->headers);
    dltc__free(r->form);
    dltc__free(r->resolves);
    dltc__free(r->actions);
    dltc__free(r->include);
    dltc_doc_free(r->scratch);
    dltc__arena_free(&r->tmp);
    dltc__ra_shared_release(r->sh);
    dltc__free(r);
}

/* Pairs of an object (params without their special entries, headers, form data): values
 * are templates when strings, formatted literals otherwise, NULL for null. */
static int pairs_of(bld *b, const dltc_value *obj, dltc__ra_pair **out, size_t *n,
                    const char *const *skip, size_t nskip)
{
    *out = NULL;
    *n = 0;
    if (!obj || !obj->len)
        return 0;
    dltc__ra_pair *p = dltc__calloc(obj->len, sizeof(*p));
    if (!p)
        return dltc__error_oom();
    int rc = 0;
    for (uint32_t i = 0; i < obj->len && !rc; i++) {
        const dltc_member *m = &obj->u.obj[i];
        int skipped = m->val.type == DLTC_TYPE_OBJECT;
        for (size_t k = 0; k < nskip && !skipped; k++)
            skipped = !strcmp(skip[k], m->key);
        if (skipped)
            continue;
        dltc__ra_pair *q = &p[*n];
        q->name = dup_arena(b, m->key);
        if (m->val.type == DLTC_TYPE_STRING) {
            q->value = dup_arena(b, m->val.u.s);
        } else if (m->val.type != DLTC_TYPE_NULL) {
            dltc_buf s = DLTC_BUF_INIT;
            rc = dltc__ra_format(&s, &m->val, NULL);
            q->value = rc ? NULL : dup_arena(b, s.data ? s.data : "");
            q->literal = 1;
            dltc__buf_free(&s);
        }
        if (!rc && (!q->name || (m->val.type != DLTC_TYPE_NULL && !q->value)))
            rc = dltc_error_last()->code;
        (*n)++;
    }
    if (rc) {
        dltc__free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* A map step setting or dropping fields: `set` an object (field -> EXPR | constant | null),
 * or `drop` a list of names; or a select step (`select`: the names to keep). */
static int compile_map(const dltc_value *set, const dltc_value *drop, const dltc_value *select,
                       dltc__ra_step *s)
{
    if (select)
        drop = select;
    size_t n = set ? set->len : drop->len;
    s->kind = select ? DLTC_RA_STEP_SELECT : DLTC_RA_STEP_MAP;
    s->keys = dltc__calloc(n, sizeof(char *));
    s->ops = dltc__calloc(n, sizeof(int));
    s->exprs = dltc__calloc(n, sizeof(dltc__ra_expr *));
    s->consts = dltc__calloc(n, sizeof(dltc_value));
    if (!s->keys || !s->ops || !s->exprs || !s->consts)
        return dltc__error_oom();
    s->n = n;
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        /* names and constants stay in the shared doc, which outlives the resource */
        if (drop) {
            s->keys[k] = (char *)drop->u.arr[k].u.s;
            s->ops[k] = DLTC_RA_SET_DROP;
            continue;
        }
        const dltc_member *f = &set->u.obj[k];
        s->keys[k] = (char *)f->key;
        if (f->val.type == DLTC_TYPE_NULL) {
            s->ops[k] = DLTC_RA_SET_DROP;
        } else if (f->val.type == DLTC_TYPE_STRING) {
            s->ops[k] = DLTC_RA_SET_EXPR;
            rc = dltc__ra_expr_compile(&s->exprs[k], f->val.u.s, f->val.len);
        } else {
            s->ops[k] = DLTC_RA_SET_CONST;
            s->consts[k] = f->val;
        }
    }
    return rc;
}

static int compile_steps(bld *b, const dltc_value *steps, const char *at, dltc__ra_res *r)
{
    if (!steps || !steps->len)
        return 0;
    r->steps = dltc__calloc((size_t)steps->len * 4, sizeof(*r->steps));
    if (!r->steps)
        return dltc__error_oom();
    int rc = 0;
    static const char *const kinds[] = {"filter", "map", "drop", "select"};
    for (uint32_t i = 0; i < steps->len && !rc; i++) {
        for (int k = 0; k < 4 && !rc; k++) {
            const dltc_value *x = get(&steps->u.arr[i], kinds[k]);
            if (!x)
                continue;
            dltc__ra_step *s = &r->steps[r->nsteps++];
            char where[512];
            snprintf(where, sizeof where, "%s[%u].%s", at, i, kinds[k]);
            if (!(s->where = dup_arena(b, where)))
                return dltc_error_last()->code;
            if (k == 0) {
                s->kind = DLTC_RA_STEP_FILTER;
                rc = dltc__ra_expr_compile(&s->filter, x->u.s, x->len);
            } else {
                rc = compile_map(k == 1 ? x : NULL, k == 2 ? x : NULL, k == 3 ? x : NULL, s);
            }
        }
    }
    return rc;
}

/* The auth of an endpoint (or of the client): made now, secrets resolved from the config. */
static int make_auth(bld *b, const dltc_value *v, const char *at, dltc_config *cfg,
                     const char *const *sections, dltc_auth **out)
{
    *out = NULL;
    dltc_buf j = DLTC_BUF_INIT;
    int rc;
    if (v->type == DLTC_TYPE_STRING)
        rc = dltc__buf_printf(&j, "{\"type\":\"%s\"}", v->u.s); /* a known type name */
    else
        rc = dltc__json_write(&j, v);
    if (!rc && (rc = dltc_auth_new(out, j.data, cfg, sections)))
        rc = wrap_at(b, at, NULL);
    /* the JSON text held secrets: wipe it */
    if (j.data)
        memset(j.data, 0, j.len);
    dltc__buf_free(&j);
    return rc;
}

typedef struct {
    dltc_config *cfg;
    const char *sections[4];
    dltc__ra_shared *sh;
    const dltc_value *client;
    const dltc_value *defaults;
    res_in *res;
    size_t nres;
} plan;

/* auth: the endpoint's (null: none), else the client's; secrets resolved now. */
static int resolve_auth(bld *b, plan *pl, size_t i, dltc__ra_res *r)
{
    char at[512];
    const dltc_value *x = get(pl->res[i].ep, "auth");
    if (!x) {
        r->auth = pl->sh->auth;
        return 0;
    }
    if (x->type == DLTC_TYPE_NULL)
        return 0;
    r->own_auth = 1;
    return make_auth(b, x, origin(&pl->res[i], pl->defaults, "endpoint", "auth", NULL, at,
                                  sizeof at),
                     pl->cfg, pl->sections, &r->auth);
}

/* Everything about resource `i` that depends on its merged config. */
static int compile_resource(bld *b, plan *pl, size_t i, dltc__ra_res **out)
{
    res_in *ri = &pl->res[i];
    const dltc_value *m = ri->merged, *ep = ri->ep, *d = pl->defaults;
    char at[512], at2[1100];
    *out = NULL;
    dltc__ra_res *r = dltc__calloc(1, sizeof(*r));
    if (!r)
        return dltc__error_oom();
    r->sh = pl->sh;
    pl->sh->refs++;
    dltc__arena_init(&r->tmp, 4096);
    int rc = dltc_doc_new(&r->scratch);
    r->name = (char *)ri->name;
    const dltc_value *x;
    const dltc_value *params = get_set(ep, "params");
    const dltc_value *incr = get_set(ep, "incremental");
    r->has_incremental = incr != NULL;
    ph_check pc;
    memset(&pc, 0, sizeof pc);
    pc.b = b;
    pc.has_incremental = r->has_incremental;
    pc.params = params;
    /* the path: static params bound, resolve params kept */
    const char *path = get(ep, "path")->u.s;
    dltc_buf newpath = DLTC_BUF_INIT;
    if (!rc) {
        pc.in_path = 1;
        pc.path_out = &newpath;
        rc = scan_at(&pc, origin(ri, d, "endpoint", "path", NULL, at, sizeof at), path);
        pc.in_path = 0;
        pc.path_out = NULL;
    }
    if (!rc && !(r->path = dup_arena(b, newpath.data ? newpath.data : "")))
        rc = dltc_error_last()->code;
    dltc__buf_free(&newpath);
    /* params: templates; resolve params must be bound in the path; one incremental param */
    const char *incr_param = NULL;
    for (uint32_t k = 0; !rc && params && k < params->len; k++) {
        const dltc_member *p = &params->u.obj[k];
        origin(ri, d, "endpoint", "params", p->key, at, sizeof at);
        if (p->val.type == DLTC_TYPE_OBJECT) {
            const char *t = get(&p->val, "type")->u.s;
            int bound = 0;
            for (size_t u = 0; u < pc.nused && !bound; u++)
                bound = !strcmp(pc.used[u], p->key);
            if (!strcmp(t, "resolve") && !bound)
                rc = fail_at(b, at, "a resolve param must be bound in the path as {%s} (to "
                             "use a parent's field in a query parameter write "
                             "{resources.<parent>.<field>})", p->key);
            if (!rc && !strcmp(t, "incremental")) {
                if (incr_param)
                    rc = fail_at(b, at, "only one incremental param per endpoint (also "
                                 "\"%s\")", incr_param);
                else if (incr)
                    rc = fail_at(b, at, "an incremental param and endpoint.incremental cannot "
                                 "be given together");
                incr_param = p->key;
            }
            if (!rc && !strcmp(t, "resolve")) {
                dltc__ra_resolve *rv = dltc__realloc(r->resolves,
                                                     (r->nresolves + 1) * sizeof(*rv));
                if (!rv) {
                    rc = dltc__error_oom();
                    break;
                }
                r->resolves = rv;
                rv[r->nresolves].name = (char *)p->key;
                rv[r->nresolves].field = (char *)get(&p->val, "field")->u.s;
                r->nresolves++;
            }
            continue;
        }
        int bound = 0;
        for (size_t u = 0; u < pc.nused && !bound; u++)
            bound = !strcmp(pc.used[u], p->key);
        if (bound) /* a static param of the path: not sent as a query parameter */
            continue;
        if ((rc = scan_at(&pc, at, p->key)))
            break;
        if (p->val.type == DLTC_TYPE_STRING)
            rc = scan_at(&pc, at, p->val.u.s);
    }
    if (!rc)
        rc = pairs_of(b, params, &r->params, &r->nparams, pc.used, pc.nused);
    /* json, data, headers */
    if (!rc && (x = get_set(ep, "json"))) {
        r->json = x;
        rc = scan_json(&pc, origin(ri, d, "endpoint", "json", NULL, at, sizeof at), x, 0);
    }
    if (!rc && (x = get_set(ep, "data"))) {
        origin(ri, d, "endpoint", "data", NULL, at, sizeof at);
        if (x->type == DLTC_TYPE_STRING) {
            if (!(rc = scan_at(&pc, at, x->u.s)) && !(r->raw_data = dup_arena(b, x->u.s)))
                rc = dltc_error_last()->code;
        } else {
            for (uint32_t k = 0; k < x->len && !rc; k++) {
                snprintf(at2, sizeof at2, "%s.%s", at, x->u.obj[k].key);
                if (!(rc = scan_at(&pc, at2, x->u.obj[k].key)) &&
                    x->u.obj[k].val.type == DLTC_TYPE_STRING)
                    rc = scan_at(&pc, at2, x->u.obj[k].val.u.s);
            }
            r->has_form = 1;
            if (!rc)
                rc = pairs_of(b, x, &r->form, &r->nform, NULL, 0);
        }
    }
    if (!rc && (x = get_set(ep, "headers"))) {
        origin(ri, d, "endpoint", "headers", NULL, at, sizeof at);
        for (uint32_t k = 0; k < x->len && !rc; k++) {
            snprintf(at2, sizeof at2, "%s.%s", at, x->u.obj[k].key);
            if (!(rc = scan_at(&pc, at2, x->u.obj[k].key)))
                rc = scan_at(&pc, at2, x->u.obj[k].val.u.s);
        }
        if (!rc)
            rc = pairs_of(b, x, &r->headers, &r->nheaders, NULL, 0);
    }
    dltc__free(pc.used);
    /* the parent */
    if (!rc && pc.parent) {
        size_t found = pl->nres;
        for (size_t k = 0; k < pl->nres; k++)
            if (!strcmp(pl->res[k].name, pc.parent))
                found = k;
        if (found == pl->nres)
            rc = fail_at(b, pc.parent_at, "the parent resource \"%s\" is not defined",
                         pc.parent);
        else if (found == i)
            rc = fail_at(b, pc.parent_at, "resource \"%s\" refers to itself", pc.parent);
        else if (!(r->parent = dup_arena(b, pc.parent)))
            rc = dltc_error_last()->code;
    }
    if (!rc && (x = get_set(m, "include_from_parent")) && x->len) {
        if (!r->parent)
            rc = fail_at(b, origin(ri, d, "include_from_parent", NULL, NULL, at, sizeof at),
                         "the resource has no parent (its endpoint refers to no "
                         "{resources.<parent>.<field>})");
        else if (!(r->include = dltc__calloc(x->len, sizeof(char *))))
            rc = dltc__error_oom();
        for (uint32_t k = 0; !rc && k < x->len; k++)
            r->include[r->ninclude++] = (char *)x->u.arr[k].u.s;
    }
    /* method, data selector, paginator: single entity paths get "$" and single_page */
    if (!rc) {
        x = get_set(ep, "method");
        char meth[16] = "GET";
        if (x) {
            snprintf(meth, sizeof meth, "%s", x->u.s);
            for (char *c = meth; *c; c++)
                if (*c >= 'a' && *c <= 'z')
                    *c = (char)(*c - 'a' + 'A');
        }
        if (!(r->method = dup_arena(b, meth)))
            rc = dltc_error_last()->code;
    }
    int single = 0;
    if (!rc) {
        size_t n = strlen(path);
        while (n && path[n - 1] == '/')
            n--;
        size_t s = n;
        while (s && path[s - 1] != '/')
            s--;
        for (size_t k = s; k < n && !single; k++) {
            if (path[k] != '{')
                continue;
            size_t e = k + 1;
            while (e < n && ((path[e] >= 'a' && path[e] <= 'z') || (path[e] >= 'A' && path[e] <= 'Z') ||
                             (path[e] >= '0' && path[e] <= '9') || path[e] == '.' ||
                             path[e] == '-' || path[e] == '_'))
                e++;
            single = e > k + 1 && e < n && path[e] == '}';
        }
    }
    if (!rc && (x = get_set(ep, "data_selector")))
        r->data_selector = dup_arena(b, x->u.s);
    else if (!rc && single)
        r->data_selector = dup_arena(b, "$");
    /* paginator priority: endpoint > resource_defaults.endpoint > (single entity) > client */
    const dltc_value *pv = get_set(ep, "paginator"), *cp = get_set(pl->client, "paginator");
    if (!rc && pv) {
        origin(ri, d, "endpoint", "paginator", NULL, at, sizeof at);
        parent_path(at); /* check_paginator appends the key */
        set_path(b, at);
        rc = check_paginator(b, "paginator", pv, &r->paginator);
        set_path(b, "");
    } else if (!rc && single) {
        rc = dltc_paginator_new(&r->paginator, "single_page");
    } else if (!rc && cp) {
        set_path(b, "client");
        rc = check_paginator(b, "paginator", cp, &r->paginator);
        set_path(b, "");
    }
    /* response actions */
    if (!rc && (x = get_set(ep, "response_actions")) && x->len) {
        r->has_actions = 1;
        if (!(r->actions = dltc__calloc(x->len, sizeof(*r->actions))))
            rc = dltc__error_oom();
        for (uint32_t k = 0; !rc && k < x->len; k++) {
            const dltc_value *a = &x->u.arr[k], *s = get_set(a, "status_code"),
                             *c = get_set(a, "content");
            dltc__ra_action *act = &r->actions[r->nactions++];
            act->status = !s ? 0 : s->type == DLTC_TYPE_INT ? (int)s->u.i
                                                            : (int)strtol(s->u.s, NULL, 10);
            act->content = c ? (char *)c->u.s : NULL;
        }
    }
    /* processing steps */
    if (!rc && (x = get_set(m, "processing_steps")))
        rc = compile_steps(b, x, origin(ri, d, "processing_steps", NULL, NULL, at, sizeof at), r);
    if (rc) {
        dltc__ra_res_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* The incremental options of a resource (endpoint.incremental or an incremental param). */
static int incremental_of(bld *b, const res_in *ri, const dltc_value *d, dltc__ra_res *r,
                          dltc_incremental_options *io, const dltc_value **args,
                          const char **where, char *at, size_t atn)
{
    *args = NULL;
    const dltc_value *ep = ri->ep, *params = get_set(ep, "params"), *v;
    if ((v = get_set(ep, "incremental"))) {
        *args = v;
        *where = origin(ri, d, "endpoint", "incremental", NULL, at, atn);
        const dltc_value *sp = get_set(v, "start_param"), *e = get_set(v, "end_param");
        r->start_param = sp ? (char *)sp->u.s : NULL;
        r->end_param = e ? (char *)e->u.s : NULL;
    }
    for (uint32_t k = 0; !*args && params && k < params->len; k++) {
        const dltc_value *p = &params->u.obj[k].val;
        const dltc_value *t = get(p, "type");
        if (p->type == DLTC_TYPE_OBJECT && t && !strcmp(t->u.s, "incremental")) {
            *args = p;
            *where = origin(ri, d, "endpoint", "params", params->u.obj[k].key, at, atn);
            r->start_param = (char *)params->u.obj[k].key;
        }
    }
    if (!*args)
        return 0;
    v = *args;
    const dltc_value *x;
    io->cursor_path = get(v, "cursor_path")->u.s;
    r->raw_initial = get_set(v, "initial_value");
    r->raw_end = get_set(v, "end_value");
    io->initial_value = scalar_json(b, r->raw_initial);
    io->end_value = scalar_json(b, r->raw_end);
    if ((r->raw_initial && !io->initial_value) || (r->raw_end && !io->end_value))
        return dltc_error_last()->code;
    if ((x = get_set(v, "last_value_func")))
        io->last_value_func = x->u.s;
    if ((x = get_set(v, "row_order")))
        io->row_order = x->u.s;
    if ((x = get_set(v, "on_cursor_value_missing")))
        io->on_cursor_value_missing = x->u.s;
    if ((x = get_set(v, "range_start")))
        io->range_start = x->u.s;
    if ((x = get_set(v, "range_end")))
        io->range_end = x->u.s;
    if ((x = get_set(v, "lag")))
        io->lag = x->type == DLTC_TYPE_INT ? (double)x->u.i : x->u.d;
    if ((x = get(v, "primary_key")) && x->type != DLTC_TYPE_NULL)
        io->primary_key = names_csv(b, x);
    const dltc_value *cv = get_set(v, "convert") ? get_set(v, "convert") : get_set(v, "transform");
    if (cv) {
        int rc = dltc__ra_expr_compile(&r->convert, cv->u.s, cv->len);
        if (rc)
            return rc;
    }
    return 0;
}

/* The hints of a resource (strings lent from the shared doc). */
static int resource_options(bld *b, const dltc_value *m, int max_nesting,
                            dltc_resource_options *out)
{
    const dltc_value *x;
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    if ((x = get_set(m, "table_name")))
        ro.table_name = x->u.s;
    if ((x = get_set(m, "write_disposition"))) {
        if (x->type == DLTC_TYPE_STRING) {
            ro.write_disposition = x->u.s;
        } else {
            ro.write_disposition = json_text(b, x);
            if (!ro.write_disposition)
                return dltc_error_last()->code;
        }
    }
    ro.primary_key = names_csv(b, get_set(m, "primary_key"));
    ro.merge_key = names_csv(b, get_set(m, "merge_key"));
    if ((get_set(m, "primary_key") && !ro.primary_key) ||
        (get_set(m, "merge_key") && !ro.merge_key))
        return dltc__error_oom();
    if ((x = get_set(m, "max_table_nesting")))
        ro.max_table_nesting = (int)x->u.i;
    else if (max_nesting >= 0)
        ro.max_table_nesting = max_nesting;
    if ((x = get_set(m, "selected")))
        ro.selected = (int)x->u.i;
    if ((x = get_set(m, "columns")) && x->len) {
        dltc_value *co;
        int rc = columns_object(b->a, x, &co);
        if (rc || !(ro.columns = json_text(b, co)))
            return rc ? rc : dltc_error_last()->code;
    }
    if ((x = get_set(m, "file_format")) && strcmp(x->u.s, "preferred"))
        ro.file_format = x->u.s;
    if ((x = get_set(m, "schema_contract")) &&
        !(ro.schema_contract = x->type == DLTC_TYPE_STRING ? x->u.s : json_text(b, x)))
        return dltc__error_oom();
    *out = ro;
    return 0;
}

/* The dltc resource of a compiled one, which it takes (also on failure). */
static int make_resource(bld *b, plan *pl, size_t i, dltc__ra_res *r, dltc_resource *parent,
                         int max_nesting, dltc_resource **out)
{
    res_in *ri = &pl->res[i];
    char at[512];
    dltc_resource_options ro;
    int rc = resource_options(b, ri->merged, max_nesting, &ro);
    if (rc) {
        dltc__ra_res_free(r);
        return rc;
    }
    dltc_resource *res = NULL;
    rc = parent ? dltc_transformer_new(&res, ri->name, parent, dltc__ra_child_items, r, &ro)
                    : dltc_resource_new(&res, ri->name, dltc__ra_top_next, r, &ro);
    if (rc) {
        dltc__ra_res_free(r);
        return wrap_at(b, ri->at, NULL);
    }
    dltc_resource_set_payload_free(res, dltc__ra_res_free);
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    const dltc_value *args;
    const char *where = ri->at;
    rc = incremental_of(b, ri, pl->defaults, r, &io, &args, &where, at, sizeof at);
    if (!rc && args && (rc = dltc_resource_set_incremental(res, &io)))
        rc = wrap_at(b, where, NULL);
    if (rc) {
        dltc_resource_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* ---- the source ---- */

static int build(bld *b, dltc_source **out, const dltc_value *config)
{
    const dltc_rest_api_options *o = b->o;
    int rc = 0;
    if (config->type != DLTC_TYPE_OBJECT)
        return fail_at(b, "", "the config must be an object with client and resources");
    static const char *const keys[] = {"client", "resource_defaults", "resources", NULL};
    if ((rc = known(b, config, keys, NULL)))
        return rc;
    const dltc_value *client = get(config, "client"), *resources = get(config, "resources"),
                     *defaults = get_set(config, "resource_defaults");
    if (!client)
        return fail_at(b, "client", "is required");
    if ((rc = check_client(b, client)))
        return rc;
    if (!resources)
        return fail_at(b, "resources", "is required");
    pop(b, 0);
    if ((rc = want(b, "resources", resources, K_ARR)))
        return rc;
    if (!resources->len)
        return fail_at(b, "resources", "is empty: a source needs at least one resource");
    if (defaults) {
        size_t mark = push(b, "resource_defaults");
        rc = check_resource(b, defaults, 1);
        pop(b, mark);
        if (rc)
            return rc;
    }
    plan pl;
    memset(&pl, 0, sizeof pl);
    pl.defaults = defaults;
    pl.nres = resources->len;
    pl.res = dltc__calloc(pl.nres, sizeof(*pl.res));
    if (!pl.res)
        return dltc__error_oom();
    for (size_t i = 0; i < pl.nres && !rc; i++) {
        size_t mark = push(b, "resources");
        push_i(b, i);
        res_in *ri = &pl.res[i];
        ri->raw = &resources->u.arr[i];
        snprintf(ri->at, sizeof ri->at, "resources[%zu]", i);
        rc = check_resource(b, ri->raw, 0);
        pop(b, mark);
        if (!rc)
            rc = merge_resource(b, defaults, ri);
        for (size_t k = 0; !rc && k < i; k++)
            if (!strcmp(pl.res[k].name, ri->name)) {
                char at[96];
                snprintf(at, sizeof at, "%s%s", ri->at,
                         ri->raw->type == DLTC_TYPE_STRING ? "" : ".name");
                rc = fail_at(b, at, "resource \"%s\" is defined twice (also resources[%zu])",
                             ri->name, k);
            }
    }
    /* every resource compiled (pure checks first), then the HTTP settings and the secrets */
    dltc_config *own_cfg = NULL;
    dltc__ra_shared *sh = b->sh;
    dltc_source *src = NULL;
    dltc__ra_res **compiled = NULL;
    dltc_resource **made = NULL;
    pl.sh = sh;
    pl.client = client;
    sh->base_url = (char *)get(client, "base_url")->u.s;
    if (!rc && (!(compiled = dltc__calloc(pl.nres, sizeof(*compiled))) ||
                !(made = dltc__calloc(pl.nres, sizeof(*made)))))
        rc = dltc__error_oom();
    for (size_t i = 0; i < pl.nres && !rc; i++)
        rc = compile_resource(b, &pl, i, &compiled[i]);
    if (!rc) {
        pl.cfg = o->config;
        if (!pl.cfg && (rc = dltc_config_open(&own_cfg, NULL)))
            rc = wrap_at(b, "", "the config providers: ");
        if (!pl.cfg)
            pl.cfg = own_cfg;
    }
    const char *section = o->section && *o->section ? o->section : "rest_api";
    const char *name = o->name && *o->name ? o->name : "rest_api";
    pl.sections[0] = "sources";
    pl.sections[1] = section;
    pl.sections[2] = strcmp(name, section) ? name : NULL;
    pl.sections[3] = NULL;
    if (!rc) {
        dltc_http_options h = DLTC_HTTP_OPTIONS_INIT;
        sh->http = h;
        if ((rc = dltc_http_options_from_config(&sh->http, pl.cfg)))
            rc = wrap_at(b, "", "runtime settings: ");
    }
    const dltc_value *ch = get_set(client, "headers");
    if (!rc && ch && ch->len) {
        if (!(sh->headers = dltc__calloc(ch->len, sizeof(*sh->headers))))
            rc = dltc__error_oom();
        for (uint32_t i = 0; !rc && i < ch->len; i++) {
            sh->headers[i].name = ch->u.obj[i].key;
            sh->headers[i].value = ch->u.obj[i].val.u.s;
        }
        sh->nheaders = rc ? 0 : ch->len;
    }
    const dltc_value *ca = get_set(client, "auth");
    if (!rc && ca)
        rc = make_auth(b, ca, "client.auth", pl.cfg, pl.sections, &sh->auth);
    for (size_t i = 0; i < pl.nres && !rc; i++)
        rc = resolve_auth(b, &pl, i, compiled[i]);
    for (size_t pass = 0; !rc && pass <= pl.nres; pass++) {
        size_t progress = 0, left = 0;
        for (size_t i = 0; i < pl.nres && !rc; i++) {
            if (made[i])
                continue;
            dltc_resource *parent = NULL;
            if (compiled[i]->parent) {
                size_t k = 0;
                while (strcmp(pl.res[k].name, compiled[i]->parent))
                    k++;
                if (!(parent = made[k])) {
                    left++;
                    continue;
                }
            }
            rc = make_resource(b, &pl, i, compiled[i], parent, o->max_table_nesting, &made[i]);
            compiled[i] = NULL; /* the resource (or the failure) took it */
            progress++;
        }
        if (!rc && !left)
            break;
        if (!rc && !progress) {
            size_t k = 0;
            while (made[k])
                k++;
            rc = fail_at(b, pl.res[k].at, "the parents of \"%s\" form a cycle", pl.res[k].name);
        }
    }
    if (!rc && (rc = dltc_source_new(&src, name)) == 0) {
        for (size_t i = 0; i < pl.nres; i++) {
            int arc = rc ? (dltc_resource_free(made[i]), rc) : dltc_source_add(src, made[i]);
            made[i] = NULL;
            rc = rc ? rc : arc;
        }
    }
    for (size_t i = 0; compiled && i < pl.nres; i++)
        dltc__ra_res_free(compiled[i]);
    for (size_t i = 0; made && i < pl.nres; i++)
        dltc_resource_free(made[i]);
    dltc__free(compiled);
    dltc__free(made);
    dltc__free(pl.res);
    dltc_config_free(own_cfg);
    if (rc) {
        dltc_source_free(src);
        return rc;
    }
    *out = src;
    return 0;
}

int dltc_rest_api_source(dltc_source **out, const dltc_value *config,
                         const dltc_rest_api_options *o)
{
    *out = NULL;
    dltc_rest_api_options defaults = DLTC_REST_API_OPTIONS_INIT;
    if (!o)
        o = &defaults;
    if (o->version != DLTC_REST_API_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "rest_api options: version %u not supported",
                               o->version);
    if (!config)
        return dltc__error_set(DLTC_EINVALID, "rest_api: no config");
    /* the copy of the config, owned by what the resources share */
    dltc__ra_shared *sh = dltc__calloc(1, sizeof(*sh));
    if (!sh)
        return dltc__error_oom();
    sh->refs = 1;
    int rc = dltc_doc_new(&sh->doc);
    dltc_value *copy = NULL;
    if (!rc && !(copy = dltc__arena_alloc(&sh->doc->arena, sizeof(*copy))))
        rc = dltc_error_last()->code;
    if (!rc)
        rc = copy_value(&sh->doc->arena, config, copy, 0);
    bld b;
    memset(&b, 0, sizeof b);
    b.o = o;
    b.a = sh->doc ? &sh->doc->arena : NULL;
    b.sh = sh;
    dltc_source *src = NULL;
    if (!rc)
        rc = build(&b, &src, copy);
    dltc__buf_free(&b.path);
    dltc__ra_shared_release(sh); /* the resources hold their references */
    if (rc)
        return rc;
    *out = src;
    return 0;
}

int dltc_rest_api_source_json(dltc_source **out, const char *json, size_t len,
                              const dltc_rest_api_options *o)
{
    *out = NULL;
    dltc_doc *doc;
    int rc = dltc_doc_new(&doc);
    if (rc)
        return rc;
    dltc_value *v;
    if ((rc = dltc_doc_parse_json(doc, json ? json : "", json ? len : 0, &v)))
        dltc__error_prefix("rest_api: the config is not JSON: ");
    else
        rc = dltc_rest_api_source(out, v, o);
    dltc_doc_free(doc);
    return rc;
}
