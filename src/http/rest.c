/*
 * The REST client (dlt's RESTClient, reference §2.1): URL joining, header merging, auth, and
 * the paginate loop — send, judge the status, parse the whole body, select the items, detect
 * the paginator, move to the next page. A page is handed out only after all of that
 * succeeded, so a response that never arrives whole can never yield half a page.
 */
#include "http/rest_int.h"
#include "http/http.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "formats/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- owned copies of header lists ---- */

static void pairs_free(dltc_http_pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dltc__free((char *)p[i].name);
        dltc__free((char *)p[i].value);
    }
    dltc__free(p);
}

static int pairs_copy(dltc_http_pair **out, size_t *nout, const dltc_http_pair *src, size_t n)
{
    *out = NULL;
    *nout = 0;
    if (!n)
        return 0;
    dltc_http_pair *p = dltc__calloc(n, sizeof(*p));
    if (!p)
        return dltc__error_oom();
    for (size_t i = 0; i < n; i++) {
        p[i].name = dltc__strdup(src[i].name ? src[i].name : "");
        p[i].value = dltc__strdup(src[i].value ? src[i].value : "");
        if (!p[i].name || !p[i].value) {
            pairs_free(p, i + 1);
            return dltc__error_oom();
        }
    }
    *out = p;
    *nout = n;
    return 0;
}

/* ---- the client ---- */

struct dltc_rest_client {
    char *base_url;
    dltc_http_pair *headers; /* owned copies */
    size_t n_headers;
    dltc_auth *auth;
    dltc_paginator *paginator;
    char *data_selector;
    dltc_http_options http;
    dltc_http_client *conn;
};

static const dltc_config_field RUNTIME_FIELDS[] = {
    {"request_timeout", DLTC_TYPE_DOUBLE, 0, 1},
    {"request_max_attempts", DLTC_TYPE_INT, 0, 1},
    {"request_backoff_factor", DLTC_TYPE_DOUBLE, 0, 1},
    {"request_max_retry_delay", DLTC_TYPE_DOUBLE, 0, 1},
    {"http_show_error_body", DLTC_TYPE_BOOL, 0, 1},
    {"http_max_error_body_length", DLTC_TYPE_INT, 0, 1},
};

int dltc_http_options_from_config(dltc_http_options *o, dltc_config *cfg)
{
    static const char *const sections[] = {"runtime", NULL};
    const dltc_value *v;
    int rc = dltc_config_resolve(&v, cfg, sections, RUNTIME_FIELDS,
                                 sizeof RUNTIME_FIELDS / sizeof RUNTIME_FIELDS[0],
                                 "RuntimeConfiguration");
    if (rc)
        return rc;
    const dltc_value *f;
    if ((f = dltc_object_get(v, "request_timeout"))) {
        if (!(f->u.d > 0))
            return dltc__error_set(DLTC_EINVALID, "runtime.request_timeout must be > 0");
        o->timeout = f->u.d;
    }
    if ((f = dltc_object_get(v, "request_max_attempts"))) {
        if (f->u.i < 1 || f->u.i > 1000)
            return dltc__error_set(DLTC_EINVALID,
                                   "runtime.request_max_attempts must be 1..1000, not %lld",
                                   (long long)f->u.i);
        o->max_attempts = (int)f->u.i;
    }
    if ((f = dltc_object_get(v, "request_backoff_factor"))) {
        if (f->u.d < 0)
            return dltc__error_set(DLTC_EINVALID, "runtime.request_backoff_factor must be >= 0");
        o->backoff_factor = f->u.d;
    }
    if ((f = dltc_object_get(v, "request_max_retry_delay"))) {
        if (f->u.d < 0)
            return dltc__error_set(DLTC_EINVALID, "runtime.request_max_retry_delay must be >= 0");
        o->max_retry_delay = f->u.d;
    }
    if ((f = dltc_object_get(v, "http_show_error_body")))
        o->show_error_body = f->u.i != 0;
    if ((f = dltc_object_get(v, "http_max_error_body_length"))) {
        if (f->u.i < 0)
            return dltc__error_set(DLTC_EINVALID,
                                   "runtime.http_max_error_body_length must be >= 0");
        o->max_error_body_length = (size_t)f->u.i;
    }
    return 0;
}

void dltc_rest_client_free(dltc_rest_client *c)
{
    if (!c)
        return;
    dltc__free(c->base_url);
    pairs_free(c->headers, c->n_headers);
    dltc__free(c->data_selector);
    dltc_http_client_free(c->conn);
    dltc__free(c);
}

int dltc_rest_client_new(dltc_rest_client **out, const dltc_rest_client_options *o)
{
    *out = NULL;
    dltc_rest_client_options defaults = DLTC_REST_CLIENT_OPTIONS_INIT;
    if (!o)
        o = &defaults;
    if (o->version != DLTC_REST_CLIENT_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "rest client options: version %u not supported",
                               o->version);
    dltc_rest_client *c = dltc__calloc(1, sizeof(*c));
    if (!c)
        return dltc__error_oom();
    int rc = 0;
    if (o->base_url && *o->base_url && !dltc__rest_url_is_absolute(o->base_url)) {
        rc = dltc__error_set(DLTC_EINVALID, "rest client: base_url must start with http:// or "
                                            "https://");
        goto fail;
    }
    c->base_url = dltc__strdup(o->base_url ? o->base_url : "");
    c->data_selector = o->data_selector ? dltc__strdup(o->data_selector) : NULL;
    if (!c->base_url || (o->data_selector && !c->data_selector))
        goto oom;
    if ((rc = pairs_copy(&c->headers, &c->n_headers, o->headers, o->n_headers)))
        goto fail;
    c->auth = o->auth;
    c->paginator = o->paginator;
    if (o->http) {
        c->http = *o->http;
    } else {
        dltc_http_options d = DLTC_HTTP_OPTIONS_INIT;
        c->http = d;
        dltc_config *cfg = o->config;
        if (!cfg && (rc = dltc_config_open(&cfg, NULL)))
            goto fail;
        rc = dltc_http_options_from_config(&c->http, cfg);
        if (!o->config)
            dltc_config_free(cfg);
        if (rc)
            goto fail;
    }
    /* statuses are judged here (hooks, error bodies), not by the transport */
    dltc_http_options conn = c->http;
    conn.raise_for_status = 0;
    if ((rc = dltc_http_client_new(&c->conn, &conn)))
        goto fail;
    *out = c;
    return 0;
oom:
    rc = dltc__error_oom();
fail:
    dltc_rest_client_free(c);
    return rc;
}

const dltc_http_options *dltc_rest_client_http_options(const dltc_rest_client *c)
{
    return &c->http;
}

/* Send `req` once (with the HTTP client's retries): client headers, then the request's own
 * (they win), then auth. */
static int send_request(dltc_http_response **out, dltc_rest_client *c, dltc_auth *auth,
                        dltc_rest_request *req, const dltc_http_pair *headers, size_t n_headers)
{
    size_t cap = c->n_headers + n_headers + 4;
    dltc_http_pair *hs = dltc__calloc(cap, sizeof(*hs));
    if (!hs)
        return dltc__error_oom();
    size_t n = 0;
    for (size_t i = 0; i < c->n_headers; i++) {
        int overridden = 0;
        for (size_t k = 0; k < n_headers; k++)
            if (headers[k].name && strcasecmp(headers[k].name, c->headers[i].name) == 0)
                overridden = 1;
        if (!overridden)
            hs[n++] = c->headers[i];
    }
    for (size_t k = 0; k < n_headers; k++)
        hs[n++] = headers[k];
    char *json = NULL;
    int rc = 0;
    if (auth && (rc = dltc__auth_apply(auth, c->conn, req, hs, &n)))
        goto done;
    if (req->json && (rc = dltc_value_to_json(&json, NULL, req->json)))
        goto done;
    dltc_http_pair *params = req->n ? dltc__calloc(req->n, sizeof(*params)) : NULL;
    if (req->n && !params) {
        rc = dltc__error_oom();
        goto done;
    }
    for (size_t i = 0; i < req->n; i++) {
        params[i].name = req->names[i];
        params[i].value = req->values[i];
    }
    dltc_http_request hr = DLTC_HTTP_REQUEST_INIT;
    hr.method = req->method;
    hr.url = req->url;
    hr.params = params;
    hr.n_params = req->n;
    hr.headers = hs;
    hr.n_headers = n;
    hr.json = json;
    hr.data = req->data;
    hr.data_len = req->data_len;
    rc = dltc_http_client_send(out, c->conn, &hr);
    dltc__free(params);
done:
    dltc_free(json);
    dltc__free(hs);
    return rc;
}

/* ---- paginate ---- */

struct dltc_rest_pages {
    dltc_rest_client *client;
    dltc_rest_client *own_client; /* dltc_paginate's */
    dltc_auth *auth;
    dltc_paginator *template;     /* borrowed; NULL = auto */
    dltc_paginator *paginator;    /* ours, after the first page */
    char *data_selector;
    dltc_http_pair *headers;
    size_t n_headers;
    int (*hook)(const dltc_http_response *, void *);
    void *hook_payload;
    dltc_rest_request req;
    int started, finished;
    size_t count;
    dltc_http_response *resp;
    dltc_doc *doc;
    dltc_value *body;
    const dltc_value *items;
};

void dltc_rest_pages_free(dltc_rest_pages *pg)
{
    if (!pg)
        return;
    dltc__rest_request_free(&pg->req);
    dltc_paginator_free(pg->paginator);
    dltc__free(pg->data_selector);
    pairs_free(pg->headers, pg->n_headers);
    dltc_http_response_free(pg->resp);
    dltc_doc_free(pg->doc);
    dltc_rest_client_free(pg->own_client);
    dltc__free(pg);
}

/* Copy the request parts of `o` into `req` (URL joined to the client's base). */
static int request_from_options(dltc_rest_request *req, const dltc_rest_client *c,
                                const dltc_rest_paginate_options *o)
{
    memset(req, 0, sizeof(*req));
    dltc_buf url = DLTC_BUF_INIT;
    int rc = dltc__rest_url_join(&url, c->base_url, o->path);
    if (!rc && !url.len)
        rc = dltc__error_set(DLTC_EINVALID, "rest client: no URL (neither base_url nor path)");
    if (!rc && !dltc__rest_url_is_absolute(url.data))
        rc = dltc__error_set(DLTC_EINVALID, "rest client: '%s' is not an http(s) URL",
                             url.data);
    if (!rc)
        rc = dltc__rest_request_init(req, o->method, url.data);
    dltc__buf_free(&url);
    for (size_t i = 0; i < o->n_params && !rc; i++)
        if (o->params[i].name)
            rc = dltc_rest_request_set_param(req, o->params[i].name,
                                             o->params[i].value ? o->params[i].value : "");
    if (!rc && o->json && o->data)
        rc = dltc__error_set(DLTC_EINVALID, "rest client: json and data bodies are exclusive");
    if (!rc && o->json)
        rc = dltc__rest_request_set_json(req, o->json);
    if (!rc && o->data) {
        req->data = dltc__malloc(o->data_len + 1);
        if (!req->data) {
            rc = dltc__error_oom();
        } else {
            memcpy(req->data, o->data, o->data_len);
            req->data[o->data_len] = '\0';
            req->data_len = o->data_len;
        }
    }
    return rc;
}

int dltc_rest_paginate(dltc_rest_pages **out, dltc_rest_client *client,
                       const dltc_rest_paginate_options *o)
{
    *out = NULL;
    dltc_rest_paginate_options defaults = DLTC_REST_PAGINATE_OPTIONS_INIT;
    if (!o)
        o = &defaults;
    if (o->version != DLTC_REST_PAGINATE_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "paginate options: version %u not supported",
                               o->version);
    if (!client)
        return dltc__error_set(DLTC_EINVALID, "paginate needs a client");
    dltc_rest_pages *pg = dltc__calloc(1, sizeof(*pg));
    if (!pg)
        return dltc__error_oom();
    pg->client = client;
    pg->auth = o->auth ? o->auth : client->auth;
    pg->template = o->paginator ? o->paginator : client->paginator;
    pg->hook = o->response_hook;
    pg->hook_payload = o->hook_payload;
    const char *sel = o->data_selector ? o->data_selector : client->data_selector;
    int rc = 0;
    if (sel && !(pg->data_selector = dltc__strdup(sel)))
        rc = dltc__error_oom();
    if (!rc)
        rc = pairs_copy(&pg->headers, &pg->n_headers, o->headers, o->n_headers);
    if (!rc)
        rc = request_from_options(&pg->req, client, o);
    if (!rc)
        rc = dltc_doc_new(&pg->doc);
    if (rc) {
        dltc_rest_pages_free(pg);
        return rc;
    }
    *out = pg;
    return 0;
}

int dltc_paginate(dltc_rest_pages **out, const char *url, const dltc_rest_paginate_options *o)
{
    *out = NULL;
    if (o && o->path)
        return dltc__error_set(DLTC_EINVALID, "dltc_paginate takes the URL, not a path");
    dltc_rest_client_options co = DLTC_REST_CLIENT_OPTIONS_INIT;
    co.base_url = url;
    dltc_rest_client *c;
    int rc = dltc_rest_client_new(&c, &co);
    if (rc)
        return rc;
    if ((rc = dltc_rest_paginate(out, c, o))) {
        dltc_rest_client_free(c);
        return rc;
    }
    (*out)->own_client = c;
    return 0;
}

/* The status, unless a hook judges it: dlt's HTTPError text. */
static int judge(dltc_rest_pages *pg, const dltc_http_response *r)
{
    if (pg->hook) {
        int h = pg->hook(r, pg->hook_payload);
        if (h < 0 && !dltc_error_last()->code)
            dltc__error_set(h, "response hook failed (%d)", h);
        return h;
    }
    return dltc_http_response_check_with(r, &pg->client->http);
}

/* Parse the whole body as JSON (an empty body is no JSON: NULL). */
static int parse_body(dltc_rest_pages *pg)
{
    size_t len;
    const char *b = dltc_http_response_body(pg->resp, &len);
    size_t i = 0;
    while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        i++;
    pg->body = NULL;
    if (i == len)
        return 0;
    int rc = dltc_doc_parse_json(pg->doc, b, len, &pg->body);
    if (rc) {
        dltc_buf u = DLTC_BUF_INIT;
        char why[256];
        snprintf(why, sizeof why, "%s", dltc_error_last()->message);
        rc = dltc__http_url_redact(&u, dltc_http_response_url(pg->resp))
                 ? dltc__error_oom()
                 : dltc__error_set(DLTC_EPARSE, "%s %s: the response is not JSON: %s",
                                   pg->req.method, u.data, why);
        dltc__buf_free(&u);
    }
    return rc;
}

static int next_page(dltc_rest_pages *pg, const dltc_value **items)
{
    int rc;
    if (!pg->started) {
        pg->started = 1;
        if (pg->template && !dltc__paginator_is_auto(pg->template)) {
            if ((rc = dltc__paginator_clone(&pg->paginator, pg->template)) ||
                (rc = dltc__paginator_init_request(pg->paginator, &pg->req)))
                return rc;
        }
    }
    dltc_http_response_free(pg->resp);
    pg->resp = NULL;
    dltc_doc_clear(pg->doc);
    pg->body = NULL;
    pg->items = NULL;
    if ((rc = send_request(&pg->resp, pg->client, pg->auth, &pg->req, pg->headers,
                           pg->n_headers)))
        return rc;
    rc = judge(pg, pg->resp);
    if (rc == DLTC_REST_HOOK_IGNORE)
        return DLTC_ITEROVER;
    if (rc)
        return rc;
    if ((rc = parse_body(pg)))
        return rc;
    if (!pg->data_selector && (rc = dltc__selector_detect(&pg->data_selector, pg->body)))
        return rc;
    if (pg->body) {
        if ((rc = dltc__selector_apply(&pg->items, pg->doc, pg->body, pg->data_selector)))
            return rc;
    } else {
        dltc_value *empty = dltc_value_array(pg->doc);
        if (!empty)
            return dltc_error_last()->code;
        pg->items = empty;
    }
    if (!pg->paginator) {
        double score;
        if ((rc = dltc__paginator_detect(&pg->paginator, &score, pg->resp, pg->body)))
            return rc;
        /* dlt warns about guesses: a half-sure one, or one page of a list */
        int half = score > 0 && score < 1;
        if (half || (score == 0 && pg->body && pg->body->type == DLTC_TYPE_ARRAY)) {
            dltc_buf u = DLTC_BUF_INIT;
            if (dltc__http_url_redact(&u, pg->req.url) == 0 && half)
                dltc__log(DLTC_LOG_WARNING, "paginator %s detected for %s: check that it fits "
                                            "the API, or set one explicitly",
                          dltc_paginator_type(pg->paginator), u.data);
            else if (u.data)
                dltc__log(DLTC_LOG_WARNING, "no paginator detected for %s: it is read as a "
                                            "single page; set a paginator if the API pages its "
                                            "lists",
                          u.data);
            dltc__buf_free(&u);
        }
    }
    if ((rc = dltc__paginator_update_state(pg->paginator, pg->resp, pg->body, pg->items)))
        return rc;
    if (dltc__paginator_has_next(pg->paginator)) {
        if ((rc = dltc__paginator_update_request(pg->paginator, &pg->req)))
            return rc;
    } else {
        pg->finished = 1;
    }
    pg->count++;
    *items = pg->items;
    return 0;
}

int dltc_rest_pages_next(dltc_rest_pages *pg, const dltc_value **items)
{
    *items = NULL;
    if (pg->finished)
        return DLTC_ITEROVER;
    int rc = next_page(pg, items);
    if (rc) {
        pg->finished = 1;
        *items = NULL;
    }
    return rc;
}

const dltc_http_response *dltc_rest_pages_response(const dltc_rest_pages *pg)
{
    return pg->resp;
}

const dltc_value *dltc_rest_pages_body(const dltc_rest_pages *pg)
{
    return pg->body;
}

dltc_paginator *dltc_rest_pages_paginator(dltc_rest_pages *pg)
{
    return pg->paginator ? pg->paginator : pg->template;
}

const char *dltc_rest_pages_data_selector(const dltc_rest_pages *pg)
{
    return pg->data_selector;
}

size_t dltc_rest_pages_count(const dltc_rest_pages *pg)
{
    return pg->count;
}

int dltc_rest_request_send(dltc_http_response **out, dltc_rest_client *c,
                           const dltc_rest_paginate_options *o)
{
    *out = NULL;
    dltc_rest_paginate_options defaults = DLTC_REST_PAGINATE_OPTIONS_INIT;
    if (!o)
        o = &defaults;
    dltc_rest_request req;
    int rc = request_from_options(&req, c, o);
    dltc_http_response *r = NULL;
    if (!rc)
        rc = send_request(&r, c, o->auth ? o->auth : c->auth, &req, o->headers, o->n_headers);
    if (!rc) {
        if (o->response_hook) {
            int h = o->response_hook(r, o->hook_payload);
            rc = h < 0 ? h : 0;
        } else {
            rc = dltc_http_response_check_with(r, &c->http);
        }
    }
    dltc__rest_request_free(&req);
    if (rc) {
        dltc_http_response_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
