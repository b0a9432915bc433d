/*
 * dltc — HTTP client: a retrying HTTP/1.1 (and HTTP/2) client over libcurl, the foundation of
 * the REST client. It behaves like dlt's `dlt.sources.helpers.requests` Client: retries on 429
 * and 5xx, connection errors, timeouts and bodies that never arrive whole, with exponential
 * backoff and Retry-After; see docs/http.md.
 *
 * Thread-safety: a client is used by one thread at a time (as dlt keeps one session per
 * thread); distinct clients may be used concurrently. Responses are plain values once returned.
 */
#ifndef DLTC_HTTP_H
#define DLTC_HTTP_H

#include "dltc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_http_client dltc_http_client;
typedef struct dltc_http_response dltc_http_response;

/* Client options. Defaults are dlt's `runtime.request_*` defaults. */
typedef struct {
    unsigned int version;      /* DLTC_HTTP_OPTIONS_VERSION */
    double timeout;            /* runtime.request_timeout = 60 s: connect timeout and the
                                * longest wait for the next bytes (requests' semantics) */
    double connect_timeout;    /* seconds; 0 = `timeout` */
    double total_timeout;      /* seconds for a whole attempt; 0 = no limit */
    int max_attempts;          /* runtime.request_max_attempts = 5, total, first included */
    double backoff_factor;     /* runtime.request_backoff_factor = 1: waits f*2^(n-1) s */
    double max_retry_delay;    /* runtime.request_max_retry_delay = 300 s: caps every wait */
    int respect_retry_after;   /* 1: a retried response's Retry-After replaces the wait */
    int raise_for_status;      /* 1: a final status >= 400 fails with dlt's HTTPError text */
    size_t max_response_size;  /* decoded body limit in bytes; 0 = 256 MiB */
    const char *ca_file;       /* PEM bundle to verify servers with; NULL = system store.
                                * TLS peer and host verification cannot be turned off. */
    const char *user_agent;    /* NULL = "dltc/<version>" */
    int show_error_body;       /* runtime.http_show_error_body = 0: HTTPError texts end with
                                * " Response: <body>" (one line, secrets masked) */
    size_t max_error_body_length; /* runtime.http_max_error_body_length = 8192 characters,
                                * then "… (truncated)" */
} dltc_http_options;

#define DLTC_HTTP_OPTIONS_VERSION 1
#define DLTC_HTTP_OPTIONS_INIT \
    {DLTC_HTTP_OPTIONS_VERSION, 60.0, 0.0, 0.0, 5, 1.0, 300.0, 1, 1, 0, NULL, NULL, 0, 8192}

/* A name/value pair for query parameters and headers (both strings borrowed). */
typedef struct {
    const char *name;
    const char *value;
} dltc_http_pair;

/* One logical request (retries resend it as is). All pointers are borrowed for the call. */
typedef struct {
    unsigned int version;          /* DLTC_HTTP_REQUEST_VERSION */
    const char *method;            /* NULL = "GET" */
    const char *url;               /* absolute http:// or https:// URL, may carry a query */
    const dltc_http_pair *params;  /* appended to the query, form-encoded (space = '+') */
    size_t n_params;
    const dltc_http_pair *headers; /* request headers; they win over the defaults */
    size_t n_headers;
    const char *json;              /* JSON body, sent with Content-Type: application/json */
    size_t json_len;               /* 0 = strlen(json) */
    const char *data;              /* raw body (exclusive with json) */
    size_t data_len;
} dltc_http_request;

#define DLTC_HTTP_REQUEST_VERSION 1
#define DLTC_HTTP_REQUEST_INIT {DLTC_HTTP_REQUEST_VERSION, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, 0}

/*
 * A new client keeping its connections open between requests. `options` may be NULL (the
 * defaults) and is copied (ca_file and user_agent too). libcurl is loaded on the first call
 * ($DLTC_CURL_LIB or libcurl.so.4). *out is the caller's; free with dltc_http_client_free.
 */
DLTC_EXTERN int dltc_http_client_new(dltc_http_client **out, const dltc_http_options *options);
DLTC_EXTERN void dltc_http_client_free(dltc_http_client *client);

/*
 * Send `request`, retrying as dlt does. 0 and *out (the caller's, free with
 * dltc_http_response_free) when a whole response arrived: with raise_for_status off that
 * includes a final 4xx/5xx. Fails with DLTC_ENETWORK (connection, TLS, timeout, partial body,
 * or a status >= 400 with raise_for_status), DLTC_ELIMIT (body over max_response_size) or
 * DLTC_EINVALID (bad request); the one-line message names the method and the URL with secret
 * query values replaced by "***" and never shows header values.
 */
DLTC_EXTERN int dltc_http_client_send(dltc_http_response **out, dltc_http_client *client,
                                      const dltc_http_request *request);

DLTC_EXTERN void dltc_http_response_free(dltc_http_response *response);
/* The status code (e.g. 200). */
DLTC_EXTERN int dltc_http_response_status(const dltc_http_response *response);
/* The decoded body (NUL-terminated, lent); *len receives its size when len is not NULL. */
DLTC_EXTERN const char *dltc_http_response_body(const dltc_http_response *response, size_t *len);
/* A header by case-insensitive name (repeated headers joined with ", "), lent; NULL if absent. */
DLTC_EXTERN const char *dltc_http_response_header(const dltc_http_response *response,
                                                  const char *name);
/* Number of distinct headers, and the i-th (lent). */
DLTC_EXTERN size_t dltc_http_response_header_count(const dltc_http_response *response);
DLTC_EXTERN void dltc_http_response_header_at(const dltc_http_response *response, size_t i,
                                              const char **name, const char **value);
/* The final URL after redirects (lent). */
DLTC_EXTERN const char *dltc_http_response_url(const dltc_http_response *response);
/* Seconds the last attempt took, and how many attempts were made. */
DLTC_EXTERN double dltc_http_response_elapsed(const dltc_http_response *response);
DLTC_EXTERN int dltc_http_response_attempts(const dltc_http_response *response);

/*
 * dlt's raise_for_status: 0 for a status < 400, else DLTC_ENETWORK with
 * "<code> Client Error: <reason> for url: <redacted url>" ("Server Error" for >= 500).
 */
DLTC_EXTERN int dltc_http_response_check(const dltc_http_response *response);
/* The same, with the response body appended when `options->show_error_body` is on. */
DLTC_EXTERN int dltc_http_response_check_with(const dltc_http_response *response,
                                              const dltc_http_options *options);

/*
 * `url` with the values of secret-looking query parameters replaced by "***" (dlt's list:
 * api_key, token, key, access_token, apikey, api-key, access-token, secret, password, pwd,
 * client_secret, username, client_id; plus any name containing token, secret, passw, auth,
 * key, signature, credential or session) and "user:password@" by "***@". *out is the
 * caller's (dltc_free). Thread-safe.
 */
DLTC_EXTERN int dltc_http_url_redact(char **out, const char *url);

#ifdef __cplusplus
}
#endif
#endif
