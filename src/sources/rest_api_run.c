/* What a rest_api resource does when it runs (dlt's paginate_resource and
 * paginate_dependent_resource): the placeholders of its endpoint filled from the incremental
 * cursor and the parent's record, the request sequence of the REST client (one page per call
 * of a top-level resource; every page per parent record for a child), response actions as a
 * response hook, include_from_parent and the processing steps on every record. An error is
 * one line naming the resource; a page is only yielded whole (the REST client's guarantee). */
#include "sources/rest_api_int.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "common/time.h"
#include "extract/incremental.h"
#include "formats/json.h"
#include "formats/jsonpath.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- templates ---- */

int dltc__ra_scan(const char *s, dltc__ra_piece_fn fn, void *payload)
{
    dltc_buf lit = DLTC_BUF_INIT;
    int rc = 0;
    size_t i = 0, n = strlen(s);
    while (!rc && i < n) {
        char c = s[i];
        if (c == '{' && i + 1 < n && s[i + 1] == '{') {
            rc = dltc__buf_putc(&lit, '{');
            i += 2;
        } else if (c == '}' && i + 1 < n && s[i + 1] == '}') {
            rc = dltc__buf_putc(&lit, '}');
            i += 2;
        } else if (c == '}') {
            rc = dltc__error_set(DLTC_EINVALID, "a single '}' (write '}}' for a brace)");
        } else if (c == '{') {
            size_t e = i + 1, depth = 0;
            while (e < n && (s[e] != '}' || depth)) {
                if (s[e] == '[')
                    depth++;
                else if (s[e] == ']' && depth)
                    depth--;
                else if (s[e] == '{' && !depth)
                    break;
                e++;
            }
            if (e >= n || s[e] != '}') {
                rc = dltc__error_set(DLTC_EINVALID, "an unclosed '{' (write '{{' for a brace)");
                break;
            }
            const char *name = s + i + 1;
            size_t len = e - i - 1;
            if (!len) {
                rc = dltc__error_set(DLTC_EINVALID, "an empty placeholder {}");
                break;
            }
            /* '!' and ':' outside brackets start a conversion or a format spec */
            size_t d = 0;
            for (size_t k = 0; k < len && !rc; k++) {
                if (name[k] == '[')
                    d++;
                else if (name[k] == ']' && d)
                    d--;
                else if (!d && (name[k] == '!' || name[k] == ':'))
                    rc = dltc__error_set(DLTC_EINVALID, "placeholder {%.*s}: conversions and "
                                         "format specs are not supported",
                                         (int)(len > 80 ? 80 : len), name);
            }
            if (!rc && lit.len)
                rc = fn(0, lit.data, lit.len, payload);
            dltc__buf_clear(&lit);
            if (!rc)
                rc = fn(1, name, len, payload);
            i = e + 1;
        } else {
            size_t k = i;
            while (k < n && s[k] != '{' && s[k] != '}')
                k++;
            rc = dltc__buf_put(&lit, s + i, k - i);
            i = k;
        }
    }
    if (!rc && lit.len)
        rc = fn(0, lit.data, lit.len, payload);
    dltc__buf_free(&lit);
    return rc;
}

typedef struct {
    int pieces;
    int single;
    const char *name;
    size_t len;
} single_probe;

static int probe_piece(int is_ph, const char *s, size_t n, void *payload)
{
    single_probe *p = payload;
    if (p->pieces++ == 0 && is_ph) {
        p->single = 1;
        p->name = s;
        p->len = n;
    } else {
        p->single = 0;
    }
    return 0;
}

int dltc__ra_is_single(const char *tmpl, const char **name, size_t *len)
{
    single_probe p = {0, 0, NULL, 0};
    const dltc_error *e = dltc_error_last();
    int had = e->code;
    char keep[512] = "";
    if (had)
        snprintf(keep, sizeof keep, "%s", e->message);
    if (dltc__ra_scan(tmpl, probe_piece, &p)) {
        if (had)
            dltc__error_set(had, "%s", keep);
        else
            dltc_error_clear();
        return 0;
    }
    if (p.single && p.pieces == 1) {
        *name = p.name;
        *len = p.len;
        return 1;
    }
    return 0;
}

int dltc__ra_escape(dltc_buf *out, const char *s, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = dltc__buf_putc(out, s[i]);
        if (!rc && (s[i] == '{' || s[i] == '}'))
            rc = dltc__buf_putc(out, s[i]);
    }
    return rc;
}

/* ---- formatting values as dlt's str.format does ---- */

/* The incremental's initial or end value, when `v` is it: the text as written. */
static const char *as_written(const dltc_value *v, const dltc__ra_res *r, size_t *len)
{
    const dltc_value *raws[2] = {r ? r->raw_initial : NULL, r ? r->raw_end : NULL};
    for (int k = 0; k < 2; k++) {
        const dltc_value *w = raws[k];
        if (!w || w->type != DLTC_TYPE_STRING)
            continue;
        const dltc_error *e = dltc_error_last();
        int had = e->code;
        char keep[512] = "";
        if (had)
            snprintf(keep, sizeof keep, "%s", e->message);
        int c = 1;
        int rc = dltc__incr_compare(v, w, &c);
        if (rc) {
            if (had)
                dltc__error_set(had, "%s", keep);
            else
                dltc_error_clear();
            continue;
        }
        if (c == 0) {
            *len = w->len;
            return w->u.s;
        }
    }
    return NULL;
}

int dltc__ra_format(dltc_buf *out, const dltc_value *v, const dltc__ra_res *r)
{
    char tmp[DLTC_ISO_MAX + 40];
    size_t n;
    const char *w;
    if (!v)
        return 0;
    switch (v->type) {
    case DLTC_TYPE_NULL:
        return 0;
    case DLTC_TYPE_BOOL:
        return dltc__buf_puts(out, v->u.i ? "True" : "False");
    case DLTC_TYPE_INT:
        return dltc__json_write_int(out, v->u.i);
    case DLTC_TYPE_DOUBLE:
        n = dltc__format_double(tmp, v->u.d);
        return dltc__buf_put(out, tmp, n);
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
        return dltc__buf_put(out, v->u.s, v->len);
    case DLTC_TYPE_TIMESTAMP:
    case DLTC_TYPE_DATE:
        if ((w = as_written(v, r, &n)))
            return dltc__buf_put(out, w, n);
        if (v->type == DLTC_TYPE_DATE)
            n = dltc__format_date(tmp, (int32_t)v->u.i);
        else if (v->flags & DLTC_VF_TZ)
            n = dltc__format_timestamp(tmp, v->u.i);
        else
            n = dltc__format_timestamp_naive(tmp, v->u.i);
        return dltc__buf_put(out, tmp, n);
    case DLTC_TYPE_TIME:
        n = dltc__format_time(tmp, v->u.i);
        return dltc__buf_put(out, tmp, n);
    default:
        return dltc__json_write(out, v);
    }
}

/* ---- placeholders at run time ---- */

typedef struct {
    dltc__ra_res *r;
    const dltc_value *parent; /* the parent's record (a child), or NULL */
    dltc_incremental *inc;
    dltc_arena *a;            /* converted values */
} runctx;

/* convert(value) of the incremental (the value itself without a convert). */
static int convert(runctx *c, const dltc_value *v, const dltc_value **out)
{
    *out = v;
    if (!c->r->convert || !v)
        return 0;
    dltc_value rec, res;
    dltc__value_set_type(&rec, DLTC_TYPE_OBJECT);
    int rc = dltc__object_set(c->a, &rec, "value", 5, v);
    if (!rc)
        rc = dltc__ra_expr_eval(c->r->convert, &rec, c->a, &res);
    if (rc) {
        dltc__error_prefix("endpoint.incremental.convert: ");
        return rc;
    }
    dltc_value *keep = dltc__arena_alloc(c->a, sizeof(*keep));
    if (!keep)
        return dltc_error_last()->code;
    *keep = res;
    *out = keep->type == DLTC_TYPE_NULL ? NULL : keep;
    return 0;
}

/* "the record has: id, title, ..." */
static void list_keys(dltc_buf *b, const dltc_value *rec)
{
    if (!rec || rec->type != DLTC_TYPE_OBJECT) {
        dltc__buf_puts(b, rec ? "it is not an object" : "there is no record");
        return;
    }
    dltc__buf_puts(b, "available fields: ");
    for (uint32_t i = 0; i < rec->len; i++) {
        if (b->len > 300) {
            dltc__buf_puts(b, ", ...");
            break;
        }
        if (i)
            dltc__buf_puts(b, ", ");
        dltc__buf_put(b, rec->u.obj[i].key, rec->u.obj[i].klen);
    }
    if (!rec->len)
        dltc__buf_puts(b, "none");
}

static int parent_field(runctx *c, const char *field, const char *shown, const dltc_value **out)
{
    dltc__jsonpath *p;
    int rc = dltc__jsonpath_compile(&p, field, "parent field");
    if (rc)
        return rc;
    *out = c->parent ? dltc__jsonpath_first(p, c->parent) : NULL;
    dltc__jsonpath_free(p);
    if (*out)
        return 0;
    dltc_buf keys = DLTC_BUF_INIT;
    list_keys(&keys, c->parent);
    rc = dltc__error_set(DLTC_EINVALID, "the field '%s' is not in the record of the parent "
                         "resource '%s' (for {%s}); %s", field, c->r->parent, shown,
                         keys.data ? keys.data : "");
    dltc__buf_free(&keys);
    return rc;
}

/* The value of placeholder `name` (NULL for None). */
static int ph_value(runctx *c, const char *name, size_t len, const dltc_value **out)
{
    char key[512];
    if (len >= sizeof key)
        return dltc__error_set(DLTC_ELIMIT, "a placeholder of more than %zu bytes",
                               sizeof key - 1);
    memcpy(key, name, len);
    key[len] = '\0';
    *out = NULL;
    if (strncmp(key, "resources.", 10) == 0) {
        const char *dot = strchr(key + 10, '.');
        return parent_field(c, dot ? dot + 1 : "", key, out);
    }
    if (strncmp(key, "incremental.", 12) == 0) {
        const char *attr = key + 12;
        dltc_incremental *inc = c->inc;
        if (!inc)
            return dltc__error_set(DLTC_EINVALID, "{%s}: the resource has no incremental", key);
        if (!strcmp(attr, "start_value"))
            return c->r->convert ? convert(c, dltc_incremental_last_value(inc), out)
                                 : (*out = dltc_incremental_start_value(inc), 0);
        if (!strcmp(attr, "end_value"))
            return convert(c, dltc_incremental_end_value(inc), out);
        if (!strcmp(attr, "last_value"))
            return (*out = dltc_incremental_last_value(inc)), 0;
        if (!strcmp(attr, "initial_value"))
            return (*out = dltc_incremental_initial_value(inc)), 0;
        return dltc__error_set(DLTC_EINVALID, "{%s}: unknown incremental value", key);
    }
    for (size_t i = 0; i < c->r->nresolves; i++)
        if (!strcmp(c->r->resolves[i].name, key))
            return parent_field(c, c->r->resolves[i].field, key, out);
    return dltc__error_set(DLTC_EINVALID, "{%s}: unknown placeholder", key);
}

typedef struct {
    runctx *c;
    dltc_buf *out;
} expand_ctx;

static int expand_piece(int is_ph, const char *s, size_t n, void *payload)
{
    expand_ctx *e = payload;
    if (!is_ph)
        return dltc__buf_put(e->out, s, n);
    const dltc_value *v;
    int rc = ph_value(e->c, s, n, &v);
    return rc ? rc : dltc__ra_format(e->out, v, e->c->r);
}

/* The template with its placeholders filled (a literal is copied). */
static int expand(runctx *c, const char *tmpl, int literal, dltc_buf *out)
{
    dltc__buf_clear(out);
    if (literal)
        return dltc__buf_puts(out, tmpl);
    expand_ctx e = {c, out};
    int rc = dltc__ra_scan(tmpl, expand_piece, &e);
    if (!rc && !out->data)
        rc = dltc__buf_puts(out, "");
    return rc;
}

static char *arena_str(dltc_arena *a, const dltc_buf *b)
{
    return dltc__arena_strndup(a, b->data ? b->data : "", b->len);
}

/* A JSON body template, filled: strings are templates; a string that is exactly one
 * placeholder takes the value with its type. */
static int expand_json(runctx *c, const dltc_value *t, dltc_value *out, dltc_buf *tmp)
{
    int rc = 0;
    const char *name;
    size_t len;
    switch (t->type) {
    case DLTC_TYPE_STRING:
        if (dltc__ra_is_single(t->u.s, &name, &len)) {
            const dltc_value *v;
            if ((rc = ph_value(c, name, len, &v)))
                return rc;
            if (v)
                *out = *v;
            else
                dltc__value_set_type(out, DLTC_TYPE_NULL);
            return 0;
        }
        if ((rc = expand(c, t->u.s, 0, tmp)))
            return rc;
        dltc__value_set_type(out, DLTC_TYPE_STRING);
        if (!(out->u.s = arena_str(c->a, tmp)))
            return dltc_error_last()->code;
        out->len = (uint32_t)tmp->len;
        return 0;
    case DLTC_TYPE_ARRAY:
        dltc__value_set_type(out, DLTC_TYPE_ARRAY);
        for (uint32_t i = 0; i < t->len && !rc; i++) {
            dltc_value item;
            if (!(rc = expand_json(c, &t->u.arr[i], &item, tmp)))
                rc = dltc__array_append(c->a, out, &item);
        }
        return rc;
    case DLTC_TYPE_OBJECT:
        dltc__value_set_type(out, DLTC_TYPE_OBJECT);
        for (uint32_t i = 0; i < t->len && !rc; i++) {
            dltc_value item;
            if ((rc = expand(c, t->u.obj[i].key, 0, tmp)))
                break;
            char *k = arena_str(c->a, tmp);
            if (!k)
                return dltc_error_last()->code;
            size_t klen = tmp->len;
            if (!(rc = expand_json(c, &t->u.obj[i].val, &item, tmp)))
                rc = dltc__object_set(c->a, out, k, klen, &item);
        }
        return rc;
    default:
        *out = *t;
        return 0;
    }
}

/* application/x-www-form-urlencoded, as requests encodes a dict: unreserved kept, ' ' as
 * '+', the rest %XX. */
static int form_put(dltc_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            rc = dltc__buf_putc(b, (char)ch);
        else if (ch == ' ')
            rc = dltc__buf_putc(b, '+');
        else if (!(rc = dltc__buf_putc(b, '%')) && !(rc = dltc__buf_putc(b, hex[ch >> 4])))
            rc = dltc__buf_putc(b, hex[ch & 15]);
    }
    return rc;
}

/* ---- the request ---- */

typedef struct {
    dltc_arena a;
    dltc_http_pair *params, *headers;
    size_t np, nh;
    dltc_buf json, data, tmp, tmp2;
} reqbuf;

static void reqbuf_free(reqbuf *q)
{
    dltc__arena_free(&q->a);
    dltc__free(q->params);
    dltc__free(q->headers);
    dltc__buf_free(&q->json);
    dltc__buf_free(&q->data);
    dltc__buf_free(&q->tmp);
    dltc__buf_free(&q->tmp2);
}

static int add_pair(reqbuf *q, dltc_http_pair *list, size_t *n, const dltc_buf *name,
                    const dltc_buf *value)
{
    list[*n].name = arena_str(&q->a, name);
    list[*n].value = arena_str(&q->a, value);
    if (!list[*n].name || !list[*n].value)
        return dltc_error_last()->code;
    (*n)++;
    return 0;
}

/* A parameter value: a template; exactly one placeholder that is None leaves it out. */
static int param_value(runctx *c, const dltc__ra_pair *p, dltc_buf *out, int *omit)
{
    const char *name;
    size_t len;
    *omit = 0;
    if (!p->literal && dltc__ra_is_single(p->value, &name, &len)) {
        const dltc_value *v;
        int rc = ph_value(c, name, len, &v);
        if (rc)
            return rc;
        if (!v || v->type == DLTC_TYPE_NULL) {
            *omit = 1;
            return 0;
        }
        dltc__buf_clear(out);
        rc = dltc__ra_format(out, v, c->r);
        if (!rc && !out->data)
            rc = dltc__buf_puts(out, "");
        return rc;
    }
    return expand(c, p->value, p->literal, out);
}

static int incr_param(runctx *c, reqbuf *q, const char *param, const dltc_value *v)
{
    const dltc_value *cv;
    int rc = convert(c, v, &cv);
    if (rc || !cv || cv->type == DLTC_TYPE_NULL)
        return rc;
    dltc__buf_clear(&q->tmp);
    dltc__buf_clear(&q->tmp2);
    if ((rc = dltc__buf_puts(&q->tmp, param)) || (rc = dltc__ra_format(&q->tmp2, cv, c->r)))
        return rc;
    /* the incremental parameter replaces one of the same name */
    for (size_t i = 0; i < q->np; i++)
        if (!strcmp(q->params[i].name, param)) {
            q->params[i].value = arena_str(&q->a, &q->tmp2);
            return q->params[i].value ? 0 : dltc_error_last()->code;
        }
    return add_pair(q, q->params, &q->np, &q->tmp, &q->tmp2);
}

static int on_response(const dltc_http_response *resp, void *payload);

static int build_request(runctx *c, reqbuf *q, dltc_rest_paginate_options *po, dltc_buf *path)
{
    dltc__ra_res *r = c->r;
    int rc = expand(c, r->path, 0, path);
    q->params = dltc__calloc(r->nparams + 2 + 1, sizeof(*q->params));
    q->headers = dltc__calloc(r->nheaders + 2, sizeof(*q->headers));
    if (!rc && (!q->params || !q->headers))
        rc = dltc__error_oom();
    for (size_t i = 0; i < r->nparams && !rc; i++) {
        const dltc__ra_pair *p = &r->params[i];
        int omit = 0;
        if (!p->value)
            continue;
        if ((rc = expand(c, p->name, p->literal, &q->tmp)) ||
            (rc = param_value(c, p, &q->tmp2, &omit)))
            break;
        if (!omit)
            rc = add_pair(q, q->params, &q->np, &q->tmp, &q->tmp2);
    }
    if (!rc && r->start_param && c->inc)
        rc = incr_param(c, q, r->start_param, dltc_incremental_last_value(c->inc));
    if (!rc && r->end_param && c->inc)
        rc = incr_param(c, q, r->end_param, dltc_incremental_end_value(c->inc));
    int has_ct = 0;
    for (size_t i = 0; i < r->nheaders && !rc; i++) {
        const dltc__ra_pair *p = &r->headers[i];
        if ((rc = expand(c, p->name, 0, &q->tmp)) || (rc = expand(c, p->value, 0, &q->tmp2)))
            break;
        has_ct |= strcasecmp(q->tmp.data, "Content-Type") == 0;
        rc = add_pair(q, q->headers, &q->nh, &q->tmp, &q->tmp2);
    }
    if (!rc && r->json) {
        dltc_value body;
        if (!(rc = expand_json(c, r->json, &body, &q->tmp)))
            rc = dltc__json_write(&q->json, &body);
        po->json = q->json.data;
    }
    if (!rc && r->has_form) {
        for (size_t i = 0; i < r->nform && !rc; i++) {
            const dltc__ra_pair *p = &r->form[i];
            int omit = 0;
            if (!p->value)
                continue;
            if ((rc = expand(c, p->name, 0, &q->tmp)) || (rc = param_value(c, p, &q->tmp2, &omit)))
                break;
            if (omit)
                continue;
            if (q->data.len)
                rc = dltc__buf_putc(&q->data, '&');
            if (!rc && !(rc = form_put(&q->data, q->tmp.data, q->tmp.len)) &&
                !(rc = dltc__buf_putc(&q->data, '=')))
                rc = form_put(&q->data, q->tmp2.data, q->tmp2.len);
        }
        if (!rc && !q->data.data)
            rc = dltc__buf_puts(&q->data, "");
        if (!rc && !has_ct) {
            q->headers[q->nh].name = "Content-Type";
            q->headers[q->nh].value = "application/x-www-form-urlencoded";
            q->nh++;
        }
        po->data = q->data.data;
        po->data_len = q->data.len;
    } else if (!rc && r->raw_data) {
        if (!(rc = expand(c, r->raw_data, 0, &q->data))) {
            po->data = q->data.data;
            po->data_len = q->data.len;
        }
    }
    if (rc)
        return rc;
    po->path = path->data;
    po->method = r->method;
    po->params = q->params;
    po->n_params = q->np;
    po->headers = q->headers;
    po->n_headers = q->nh;
    po->auth = r->auth;
    po->paginator = r->paginator;
    po->data_selector = r->data_selector;
    if (r->has_actions) {
        po->response_hook = on_response;
        po->hook_payload = r;
    }
    return 0;
}

/* Response actions (dlt's response hooks): the first that matches ignores the response;
 * otherwise a status >= 400 fails with dlt's HTTPError text (the raise_for_status dlt
 * appends as the last hook). */
static int on_response(const dltc_http_response *resp, void *payload)
{
    dltc__ra_res *r = payload;
    int status = dltc_http_response_status(resp);
    size_t blen;
    const char *body = dltc_http_response_body(resp, &blen);
    for (size_t i = 0; i < r->nactions; i++) {
        const dltc__ra_action *a = &r->actions[i];
        if (a->status && a->status != status)
            continue;
        if (a->content && !memmem(body, blen, a->content, strlen(a->content)))
            continue;
        dltc__log(DLTC_LOG_INFO, "rest_api resource '%s': ignoring the response with status "
                  "%d", r->name, status);
        return DLTC_REST_HOOK_IGNORE;
    }
    int rc = dltc_http_response_check_with(resp, dltc_rest_client_http_options(r->sh->client));
    return rc ? rc : DLTC_REST_HOOK_CONTINUE;
}

static int ensure_client(dltc__ra_shared *sh)
{
    if (sh->client)
        return 0;
    dltc_rest_client_options co = DLTC_REST_CLIENT_OPTIONS_INIT;
    co.base_url = sh->base_url;
    co.headers = sh->headers;
    co.n_headers = sh->nheaders;
    co.http = &sh->http;
    return dltc_rest_client_new(&sh->client, &co);
}

/* A new request sequence for one run of a top-level resource or one parent record. */
static int start(dltc__ra_res *r, dltc_yield *y, const dltc_value *parent, dltc_rest_pages **out)
{
    *out = NULL;
    int rc = ensure_client(r->sh);
    if (rc)
        return rc;
    reqbuf q;
    memset(&q, 0, sizeof q);
    dltc__arena_init(&q.a, 4096);
    q.json.limit = q.data.limit = 64u << 20;
    q.tmp.limit = q.tmp2.limit = 64u << 20;
    runctx c = {r, parent, dltc_yield_incremental(y), &q.a};
    dltc_rest_paginate_options po = DLTC_REST_PAGINATE_OPTIONS_INIT;
    dltc_buf path = DLTC_BUF_INIT;
    rc = build_request(&c, &q, &po, &path);
    if (!rc)
        rc = dltc_rest_paginate(out, r->sh->client, &po);
    dltc__buf_free(&path);
    reqbuf_free(&q);
    return rc;
}

/* ---- records: include_from_parent, processing steps ---- */

static int with_parent(dltc__ra_res *r, const dltc_value *rec, const dltc_value *parent,
                       dltc_arena *a, dltc_value *out)
{
    if (rec->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "include_from_parent: a record of the resource "
                               "is a %s, not an object",
                               rec->type == DLTC_TYPE_ARRAY ? "list" : "scalar");
    *out = *rec;
    out->cap = rec->len + (uint32_t)r->ninclude;
    out->u.obj = dltc__arena_alloc(a, (size_t)out->cap * sizeof(dltc_member) + 1);
    if (!out->u.obj)
        return dltc_error_last()->code;
    if (rec->len)
        memcpy(out->u.obj, rec->u.obj, rec->len * sizeof(dltc_member));
    dltc_buf key = DLTC_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < r->ninclude && !rc; i++) {
        const dltc_value *v = parent && parent->type == DLTC_TYPE_OBJECT
                                  ? dltc_object_get(parent, r->include[i])
                                  : NULL;
        if (!v) {
            dltc_buf keys = DLTC_BUF_INIT;
            list_keys(&keys, parent);
            rc = dltc__error_set(DLTC_EINVALID, "include_from_parent: the field '%s' is not in "
                                 "the record of the parent resource '%s'; %s", r->include[i],
                                 r->parent, keys.data ? keys.data : "");
            dltc__buf_free(&keys);
            break;
        }
        dltc__buf_clear(&key);
        if ((rc = dltc__buf_printf(&key, "_%s_%s", r->parent, r->include[i])))
            break;
        char *k = arena_str(a, &key);
        /* the parent's value wins, as dict.update */
        rc = k ? dltc__object_set(a, out, k, key.len, v) : dltc_error_last()->code;
    }
    dltc__buf_free(&key);
    return rc;
}

static int step_error(const dltc__ra_step *s, const dltc__ra_expr *e)
{
    const char *t = e ? dltc__ra_expr_text(e) : "";
    size_t n = strlen(t);
    dltc__error_prefix("%s: ", s->where);
    if (e) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s (in \"%.*s%s\")", dltc_error_last()->message,
                 (int)(n > 80 ? 80 : n), t, n > 80 ? "..." : "");
        return dltc__error_set(dltc_error_last()->code, "%s", msg);
    }
    return dltc_error_last()->code;
}

static int apply_map(const dltc__ra_step *s, const dltc_value *rec, dltc_arena *a,
                     dltc_value *out)
{
    if (rec->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "%s: map needs records that are objects, not "
                               "a %s", s->where, rec->type == DLTC_TYPE_ARRAY ? "list" : "scalar");
    /* every expression sees the record as it came in */
    dltc_value *vals = dltc__arena_alloc(a, (s->n + 1) * sizeof(dltc_value));
    if (!vals)
        return dltc_error_last()->code;
    for (size_t i = 0; i < s->n; i++) {
        int rc = 0;
        if (s->ops[i] == DLTC_RA_SET_EXPR)
            rc = dltc__ra_expr_eval(s->exprs[i], rec, a, &vals[i]);
        else if (s->ops[i] == DLTC_RA_SET_CONST)
            vals[i] = s->consts[i];
        if (rc)
            return step_error(s, s->exprs[i]);
    }
    *out = *rec;
    out->cap = rec->len + (uint32_t)s->n;
    out->u.obj = dltc__arena_alloc(a, (size_t)out->cap * sizeof(dltc_member) + 1);
    if (!out->u.obj)
        return dltc_error_last()->code;
    if (rec->len)
        memcpy(out->u.obj, rec->u.obj, rec->len * sizeof(dltc_member));
    for (size_t i = 0; i < s->n; i++) {
        size_t klen = strlen(s->keys[i]);
        if (s->ops[i] != DLTC_RA_SET_DROP) {
            int rc = dltc__object_set(a, out, s->keys[i], klen, &vals[i]);
            if (rc)
                return rc;
            continue;
        }
        uint32_t k = 0;
        for (uint32_t j = 0; j < out->len; j++)
            if (!(out->u.obj[j].klen == klen && memcmp(out->u.obj[j].key, s->keys[i], klen) == 0))
                out->u.obj[k++] = out->u.obj[j];
        out->len = k;
    }
    return 0;
}

/* Keep only the named fields, in the order named (absent ones are left out). */
static int apply_select(const dltc__ra_step *s, const dltc_value *rec, dltc_arena *a,
                        dltc_value *out)
{
    if (rec->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "%s: select needs records that are objects, "
                               "not a %s", s->where,
                               rec->type == DLTC_TYPE_ARRAY ? "list" : "scalar");
    *out = *rec;
    out->len = 0;
    out->cap = (uint32_t)s->n;
    out->u.obj = dltc__arena_alloc(a, (s->n + 1) * sizeof(dltc_member));
    if (!out->u.obj)
        return dltc_error_last()->code;
    for (size_t i = 0; i < s->n; i++) {
        size_t klen = strlen(s->keys[i]);
        for (uint32_t j = 0; j < rec->len; j++)
            if (rec->u.obj[j].klen == klen && !memcmp(rec->u.obj[j].key, s->keys[i], klen)) {
                out->u.obj[out->len++] = rec->u.obj[j];
                break;
            }
    }
    return 0;
}

/* One record through include_from_parent and the steps: *keep 0 when a filter dropped it. */
static int process(dltc__ra_res *r, const dltc_value *rec, const dltc_value *parent,
                   dltc_arena *a, dltc_value *out, int *keep)
{
    *keep = 1;
    *out = *rec;
    int rc = 0;
    if (r->ninclude && (rc = with_parent(r, rec, parent, a, out)))
        return rc;
    for (size_t i = 0; i < r->nsteps && !rc; i++) {
        const dltc__ra_step *s = &r->steps[i];
        if (s->kind == DLTC_RA_STEP_FILTER) {
            dltc_value res;
            dltc__arena_reset(&r->tmp);
            if ((rc = dltc__ra_expr_eval(s->filter, out, &r->tmp, &res)))
                return step_error(s, s->filter);
            if (!dltc__ra_truthy(&res)) {
                *keep = 0;
                return 0;
            }
        } else {
            dltc_value m;
            rc = s->kind == DLTC_RA_STEP_SELECT ? apply_select(s, out, a, &m)
                                                : apply_map(s, out, a, &m);
            if (!rc)
                *out = m;
        }
    }
    return rc;
}

/* Errors of the run name the resource (lower layers already named the URL). */
static int run_error(const dltc__ra_res *r, int rc)
{
    if (rc == DLTC_ITEROVER)
        return rc;
    if (!dltc_error_last()->code)
        return dltc__error_set(rc, "rest_api resource '%s' failed (%d)", r->name, rc);
    dltc__error_prefix("rest_api resource '%s': ", r->name);
    return rc;
}

/* Yield one page of the endpoint (an ARRAY of records). */
static int yield_page(dltc__ra_res *r, dltc_yield *y, const dltc_value *items,
                      const dltc_value *parent)
{
    if (!r->ninclude && !r->nsteps)
        return dltc_yield_value(y, items);
    dltc_arena *a = &r->scratch->arena;
    dltc_value page;
    dltc__value_set_type(&page, DLTC_TYPE_ARRAY);
    int rc = 0;
    for (uint32_t i = 0; i < items->len && !rc; i++) {
        dltc_value rec;
        int keep;
        if (!(rc = process(r, &items->u.arr[i], parent, a, &rec, &keep)) && keep)
            rc = dltc__array_append(a, &page, &rec);
    }
    if (rc)
        rc = run_error(r, rc);
    else if (page.len) /* the extract's errors name the resource themselves */
        rc = dltc_yield_value(y, &page);
    dltc_doc_clear(r->scratch);
    return rc;
}

int dltc__ra_top_next(dltc_yield *y, void *payload)
{
    dltc__ra_res *r = payload;
    int rc = 0;
    if (!r->pages && (rc = start(r, y, NULL, &r->pages)))
        return run_error(r, rc);
    const dltc_value *items;
    rc = dltc_rest_pages_next(r->pages, &items);
    if (rc)
        rc = run_error(r, rc);
    else
        rc = yield_page(r, y, items, NULL);
    if (rc) { /* the end, an error, or row_order closed the cursor */
        dltc_rest_pages_free(r->pages);
        r->pages = NULL;
    }
    return rc;
}

int dltc__ra_child_items(const dltc_value *parent, dltc_yield *y, void *payload)
{
    dltc__ra_res *r = payload;
    dltc_rest_pages *pages;
    int rc = start(r, y, parent, &pages);
    if (rc)
        return run_error(r, rc);
    const dltc_value *items;
    while ((rc = dltc_rest_pages_next(pages, &items)) == 0) {
        if ((rc = yield_page(r, y, items, parent))) {
            dltc_rest_pages_free(pages);
            return rc;
        }
    }
    dltc_rest_pages_free(pages);
    return rc == DLTC_ITEROVER ? 0 : run_error(r, rc);
}
