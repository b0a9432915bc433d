/* Internal parts of the REST client shared by rest.c (the client and the paginate loop),
 * paginator.c (paginators and their detection), selector.c (data selectors) and auth.c. */
#ifndef DLTC_REST_INT_H
#define DLTC_REST_INT_H

#include "dltc/rest.h"
#include "common/buf.h"
#include "formats/value.h"

/* The one logical request the paginate loop sends and the paginator changes between pages. */
struct dltc_rest_request {
    char *method;
    char *url;        /* absolute; may carry a query of its own (link paginators) */
    char **names;     /* query parameters, in order, owned */
    char **values;
    size_t n, cap;
    dltc_doc *doc;    /* owns the JSON body */
    dltc_value *json; /* JSON body or NULL */
    char *data;       /* raw body or NULL (exclusive with json), owned */
    size_t data_len;
};

/* URLs (request.c): absolute (has a scheme); base + path joined as dlt's join_url. */
int dltc__rest_url_is_absolute(const char *u);
int dltc__rest_url_join(dltc_buf *out, const char *base, const char *path);
/* Replace the body with the JSON text `json` (parsed; DLTC_EPARSE when it is not JSON). */
int dltc__rest_request_set_json(dltc_rest_request *req, const char *json);
int dltc__rest_request_init(dltc_rest_request *req, const char *method, const char *url);
void dltc__rest_request_free(dltc_rest_request *req);

/* ---- paginators (paginator.c) ---- */

/* A fresh copy of `p` with its state reset (has_next_page = 1), as dlt deep-copies the
 * client's paginator for every paginate(). */
int dltc__paginator_clone(dltc_paginator **out, const dltc_paginator *p);
/* 1 for the "auto" paginator (detection pending). */
int dltc__paginator_is_auto(const dltc_paginator *p);
int dltc__paginator_init_request(dltc_paginator *p, dltc_rest_request *req);
/* After every response: `body` is the parsed JSON body (NULL when not JSON), `items` the
 * selected ARRAY. */
int dltc__paginator_update_state(dltc_paginator *p, const dltc_http_response *resp,
                                 const dltc_value *body, const dltc_value *items);
int dltc__paginator_update_request(dltc_paginator *p, dltc_rest_request *req);
int dltc__paginator_has_next(const dltc_paginator *p);
/* dlt's auto-detection (§2.2) from the first response: *out is a new paginator, *score 1.0,
 * 0.5 or 0.0 (single page fallback). */
int dltc__paginator_detect(dltc_paginator **out, double *score, const dltc_http_response *resp,
                           const dltc_value *body);

/* ---- data selectors (selector.c) ---- */

/* dlt's auto-detection (§2.3): "$" or a dotted path such as "results.posts"; *out is the
 * caller's (dltc__free). */
int dltc__selector_detect(char **out, const dltc_value *body);
/* Evaluate the JSONPath `path` on `body`: exactly one match is unwrapped, none gives [],
 * a non-array result is wrapped into a one-item array. *out is an ARRAY made in `doc` (or
 * lent from `body`). DLTC_EINVALID for a malformed path. */
int dltc__selector_apply(const dltc_value **out, dltc_doc *doc, const dltc_value *body,
                         const char *path);

/* ---- auth (auth.c) ---- */

/* Apply `a` to the outgoing request: headers are appended to `headers` (an array of
 * 4 spare slots the caller provides, *n_headers updated; strings live in `a`), query
 * parameters set on `req`. OAuth2 fetches/refreshes its token through `http` first. */
int dltc__auth_apply(dltc_auth *a, dltc_http_client *http, dltc_rest_request *req,
                     dltc_http_pair *headers, size_t *n_headers);

#endif
