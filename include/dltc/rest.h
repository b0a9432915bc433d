/*
 * dltc — REST client: dlt's RESTClient, paginators, data selectors and auth on top of the
 * retrying HTTP client (include/dltc/http.h). See docs/rest.md.
 *
 *   dltc_rest_client *gh;
 *   dltc_rest_client_options o = DLTC_REST_CLIENT_OPTIONS_INIT;
 *   o.base_url = "https://api.github.com";
 *   dltc_rest_client_new(&gh, &o);
 *   dltc_rest_paginate_options p = DLTC_REST_PAGINATE_OPTIONS_INIT;
 *   p.path = "/repos/dlt-hub/dlt/issues";
 *   dltc_rest_pages *pages;
 *   dltc_rest_paginate(&pages, gh, &p);
 *   const dltc_value *items;
 *   while ((rc = dltc_rest_pages_next(pages, &items)) == 0)
 *       dltc_yield_value(y, items);            // inside a resource: one page per call
 *
 * A page is handed out only when its whole body arrived and parsed: a response cut short is
 * retried as dlt retries it, and if it never arrives whole the iteration fails with one line
 * naming the URL (secrets redacted) — half a page is never yielded.
 *
 * Ownership: every *_new returns the caller's object, freed with its *_free (NULL accepted).
 * Options structs are read during the call; strings and objects they point to are copied
 * unless a field says "borrowed". Thread-safety: a client, its pages and an auth object are
 * used by one thread at a time.
 */
#ifndef DLTC_REST_H
#define DLTC_REST_H

#include "dltc/common.h"
#include "dltc/config.h"
#include "dltc/http.h"
#include "dltc/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_rest_client dltc_rest_client;
typedef struct dltc_rest_pages dltc_rest_pages;
typedef struct dltc_rest_request dltc_rest_request;
typedef struct dltc_paginator dltc_paginator;
typedef struct dltc_auth dltc_auth;

/* ---- the request a paginator changes between pages ---- */

/* Current URL (absolute) and the value of a query parameter (NULL if absent); lent. */
DLTC_EXTERN const char *dltc_rest_request_url(const dltc_rest_request *req);
DLTC_EXTERN const char *dltc_rest_request_param(const dltc_rest_request *req, const char *name);
/* Replace the URL; a relative one is resolved against the current URL (RFC 3986). */
DLTC_EXTERN int dltc_rest_request_set_url(dltc_rest_request *req, const char *url);
/* Set (replace) or, with value NULL, remove a query parameter. */
DLTC_EXTERN int dltc_rest_request_set_param(dltc_rest_request *req, const char *name,
                                            const char *value);
DLTC_EXTERN void dltc_rest_request_clear_params(dltc_rest_request *req);
/* Set a value in the JSON body at a dot-separated path ("page.cursor"), creating the body
 * and the objects on the way; `json` is the value as JSON text ("10", "\"abc\"", "null"). */
DLTC_EXTERN int dltc_rest_request_set_body(dltc_rest_request *req, const char *path,
                                           const char *json);

/* ---- paginators (reference §2.4; docs/rest.md) ---- */

/*
 * A paginator from dlt's dict config as JSON, or a bare type name:
 *   "auto" (or NULL / "" / "{}")                   detect from the first response (§2.2)
 *   "single_page"
 *   {"type":"json_link","next_url_path":"next"}     ("json_response" is an alias)
 *   {"type":"header_link","links_next_key":"next"}
 *   {"type":"offset","limit":100,"offset":0,"offset_param":"offset","limit_param":"limit",
 *    "total_path":"total","maximum_offset":null,"stop_after_empty_page":true,
 *    "has_more_path":null,"offset_body_path":null,"limit_body_path":null}
 *   {"type":"page_number","base_page":0,"page":null,"page_param":"page","total_path":"total",
 *    "maximum_page":null,"stop_after_empty_page":true,"has_more_path":null,
 *    "page_body_path":null}
 *   {"type":"cursor","cursor_path":"cursors.next","cursor_param":null,
 *    "cursor_body_path":null,"stop_after_empty_page":false,"has_more_path":null}
 *   {"type":"header_cursor","cursor_key":"next","cursor_param":"cursor"}
 * Omitted keys take dlt's defaults; an explicit null turns a default off (dlt's None: e.g.
 * "total_path":null for an API without totals). Unknown types or keys and invalid
 * combinations fail with DLTC_EINVALID naming them, as dlt's constructors do.
 */
DLTC_EXTERN int dltc_paginator_new(dltc_paginator **out, const char *config);
DLTC_EXTERN void dltc_paginator_free(dltc_paginator *p);
/* The type name ("header_link", ...; "auto" before detection) and a one-line description of
 * the paginator with its settings, as dlt's __str__ (lent). */
DLTC_EXTERN const char *dltc_paginator_type(const dltc_paginator *p);
DLTC_EXTERN const char *dltc_paginator_describe(dltc_paginator *p);

/* A custom paginator (dlt's BasePaginator subclass). `update_state` sees every response and
 * its selected items and sets *has_next; `update_request` prepares the next request; both
 * return 0 or a DLTC_E* code. `init_request` (may be NULL) runs before the first request. */
typedef struct {
    unsigned int version; /* DLTC_PAGINATOR_CALLBACKS_VERSION */
    int (*init_request)(dltc_rest_request *req, void *payload);
    int (*update_state)(const dltc_http_response *resp, const dltc_value *items, int *has_next,
                        void *payload);
    int (*update_request)(dltc_rest_request *req, void *payload);
    void *payload; /* borrowed */
} dltc_paginator_callbacks;

#define DLTC_PAGINATOR_CALLBACKS_VERSION 1
DLTC_EXTERN int dltc_paginator_custom(dltc_paginator **out, const dltc_paginator_callbacks *cb);

/* ---- auth (reference §2.5) ---- */

DLTC_EXTERN int dltc_auth_bearer(dltc_auth **out, const char *token);
/* location: "header" (default when NULL), "query" (or "param") or "cookie". name NULL =
 * "Authorization". */
DLTC_EXTERN int dltc_auth_api_key(dltc_auth **out, const char *name, const char *api_key,
                                  const char *location);
DLTC_EXTERN int dltc_auth_basic(dltc_auth **out, const char *username, const char *password);

typedef struct {
    unsigned int version;              /* DLTC_OAUTH2_OPTIONS_VERSION */
    const char *access_token_url;
    const char *client_id;
    const char *client_secret;
    const char *access_token_request_data; /* extra form fields as a JSON object, or NULL */
    int64_t default_token_expiration;  /* seconds when the reply has no expires_in: 3600 */
    const char *access_token;          /* a token to start with (optional) */
} dltc_oauth2_options;

#define DLTC_OAUTH2_OPTIONS_VERSION 1
#define DLTC_OAUTH2_OPTIONS_INIT {DLTC_OAUTH2_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 3600, NULL}

/* OAuth2 client credentials: the token is fetched (POST, form-encoded client_id,
 * client_secret, grant_type=client_credentials and the extra data) before the first request
 * and again whenever it has expired; it is sent as a Bearer token. */
DLTC_EXTERN int dltc_auth_oauth2_client_credentials(dltc_auth **out,
                                                    const dltc_oauth2_options *o);

/*
 * An auth object from dlt's rest_api dict config (JSON): {"type":"bearer","token":...},
 * {"type":"api_key","name":...,"api_key":...,"location":...}, {"type":"http_basic",
 * "username":...,"password":...}, {"type":"oauth2_client_credentials",...}; no "type" means
 * bearer. A field that is missing is resolved from `cfg` (may be NULL) under `sections` with
 * the innermost section "credentials", as dlt injects auth specs; still missing: the
 * DLTC_ENOTFOUND report of dltc_config.
 */
DLTC_EXTERN int dltc_auth_new(dltc_auth **out, const char *config, dltc_config *cfg,
                              const char *const *sections);
DLTC_EXTERN void dltc_auth_free(dltc_auth *a);
/* "bearer", "api_key", "http_basic", "oauth2_client_credentials". */
DLTC_EXTERN const char *dltc_auth_type(const dltc_auth *a);

/* ---- the client ---- */

typedef struct {
    unsigned int version;          /* DLTC_REST_CLIENT_OPTIONS_VERSION */
    const char *base_url;          /* NULL/"": every path must be an absolute URL */
    const dltc_http_pair *headers; /* sent with every request; a request's own headers win */
    size_t n_headers;
    dltc_auth *auth;               /* borrowed: must outlive the client; NULL = none */
    dltc_paginator *paginator;     /* borrowed template, copied for every paginate(); NULL =
                                      auto-detect */
    const char *data_selector;     /* JSONPath; NULL = auto-detect */
    const dltc_http_options *http; /* NULL: dlt's defaults with the runtime.request_* values of
                                      `config` (or of the default config when that is NULL) */
    dltc_config *config;           /* borrowed; NULL = dltc_config_open(NULL) when needed */
} dltc_rest_client_options;

#define DLTC_REST_CLIENT_OPTIONS_VERSION 1
#define DLTC_REST_CLIENT_OPTIONS_INIT                                                          \
    {DLTC_REST_CLIENT_OPTIONS_VERSION, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL}

DLTC_EXTERN int dltc_rest_client_new(dltc_rest_client **out, const dltc_rest_client_options *o);
DLTC_EXTERN void dltc_rest_client_free(dltc_rest_client *c);
/* The client's HTTP options as resolved (lent). */
DLTC_EXTERN const dltc_http_options *dltc_rest_client_http_options(const dltc_rest_client *c);

/* dlt's runtime section into `o`: request_timeout, request_max_attempts,
 * request_backoff_factor, request_max_retry_delay, http_show_error_body,
 * http_max_error_body_length. Keys not configured keep their values in `o`. */
DLTC_EXTERN int dltc_http_options_from_config(dltc_http_options *o, dltc_config *cfg);

/* What a response hook decides. */
typedef enum {
    DLTC_REST_HOOK_CONTINUE = 0, /* use the response */
    DLTC_REST_HOOK_IGNORE = 1    /* stop paginating without yielding it (IgnoreResponseException) */
} dltc_rest_hook_result;

typedef struct {
    unsigned int version;           /* DLTC_REST_PAGINATE_OPTIONS_VERSION */
    const char *path;               /* joined to base_url; an http(s):// URL is used as is */
    const char *method;             /* NULL = "GET" */
    const dltc_http_pair *params;   /* query parameters of the first request */
    size_t n_params;
    const dltc_http_pair *headers;
    size_t n_headers;
    const char *json;               /* JSON body (POST searches) or NULL */
    dltc_auth *auth;                /* borrowed; NULL = the client's */
    dltc_paginator *paginator;      /* borrowed template; NULL = the client's */
    const char *data_selector;      /* NULL = the client's */
    /* Called with every response before anything else; returns a dltc_rest_hook_result or a
     * DLTC_E* code. With a hook, statuses >= 400 are the hook's to judge (as dlt's hooks). */
    int (*response_hook)(const dltc_http_response *resp, void *payload);
    void *hook_payload;
    const char *data;               /* raw body (requests' `data`: a form-encoded string, or any
                                       bytes), exclusive with json; sent as is (no Content-Type
                                       is added: give one in `headers`) */
    size_t data_len;
} dltc_rest_paginate_options;

#define DLTC_REST_PAGINATE_OPTIONS_VERSION 1
#define DLTC_REST_PAGINATE_OPTIONS_INIT                                                        \
    {DLTC_REST_PAGINATE_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, \
     NULL, NULL, NULL, 0}

/* Start paginating (nothing is sent before the first dltc_rest_pages_next). The options are
 * copied. `client` (borrowed) must outlive the pages. */
DLTC_EXTERN int dltc_rest_paginate(dltc_rest_pages **out, dltc_rest_client *client,
                                   const dltc_rest_paginate_options *o);
/* dlt's module-level paginate(url, ...): a client of its own with base_url = `url`
 * (o->path must be NULL), owned by the pages. */
DLTC_EXTERN int dltc_paginate(dltc_rest_pages **out, const char *url,
                              const dltc_rest_paginate_options *o);
/*
 * The next page: *items is an ARRAY of the selected items (lent until the next call or the
 * free). 0, DLTC_ITEROVER after the last page, or an error (the pages are then finished).
 */
DLTC_EXTERN int dltc_rest_pages_next(dltc_rest_pages *pages, const dltc_value **items);
/* The response of the current page and its parsed body (NULL if not JSON); lent. */
DLTC_EXTERN const dltc_http_response *dltc_rest_pages_response(const dltc_rest_pages *pages);
DLTC_EXTERN const dltc_value *dltc_rest_pages_body(const dltc_rest_pages *pages);
/* The paginator in use (detected after the first page) and the data selector (NULL before
 * the first page when auto-detected); lent. */
DLTC_EXTERN dltc_paginator *dltc_rest_pages_paginator(dltc_rest_pages *pages);
DLTC_EXTERN const char *dltc_rest_pages_data_selector(const dltc_rest_pages *pages);
/* Pages yielded so far. */
DLTC_EXTERN size_t dltc_rest_pages_count(const dltc_rest_pages *pages);
DLTC_EXTERN void dltc_rest_pages_free(dltc_rest_pages *pages);

/* One request (RESTClient.request/get/post): path joined as above, auth applied; statuses
 * >= 400 fail with dlt's HTTPError text. *out is the caller's (dltc_http_response_free). */
DLTC_EXTERN int dltc_rest_request_send(dltc_http_response **out, dltc_rest_client *client,
                                       const dltc_rest_paginate_options *o);

#ifdef __cplusplus
}
#endif
#endif
