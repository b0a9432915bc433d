/* Internal parts of the HTTP client shared by http.c (URLs, redaction, retry arithmetic,
 * responses) and curl.c (the libcurl transport, the only includer of curl/curl.h). */
#ifndef DLTC_HTTP_INT_H
#define DLTC_HTTP_INT_H

#include "dltc/http.h"
#include "common/buf.h"

#include <time.h>

typedef struct {
    char *name;
    char *value;
} dltc__http_header;

struct dltc_http_response {
    int status;
    char *reason;          /* from the status line; "" for HTTP/2 */
    dltc_buf body;
    dltc__http_header *headers;
    size_t n_headers, cap_headers;
    char *url;             /* final URL (unredacted: the caller built it) */
    char *method;
    double elapsed;
    int attempts;
};

/* url + params (form-encoded: unreserved kept, ' ' -> '+', the rest %XX), joined with '?' or
 * '&'. The fragment, if any, is dropped. */
int dltc__http_url_build(dltc_buf *out, const char *url, const dltc_http_pair *params,
                         size_t n_params);
/* Append `url` with secret query values replaced by "***" (see dltc_http_url_redact). */
int dltc__http_url_redact(dltc_buf *out, const char *url);
/* 1 if a query parameter called `name` (length n) holds a secret. */
int dltc__http_param_is_secret(const char *name, size_t n);

/* dlt's retry status list: 429 and 500..599. */
int dltc__http_status_retryable(int status);
/* Wait before retry n (n = 1 after the first failure): min(factor * 2^(n-1), max_delay). */
double dltc__http_backoff(const dltc_http_options *o, int n);
/* Seconds a Retry-After value asks for (integer seconds or an HTTP date minus `now`), clamped
 * to [0, max_delay]; -1 when the value is not understood. */
double dltc__http_retry_after(const char *value, time_t now, double max_delay);
/* The wait before retry n, given the retried response's Retry-After (may be NULL). */
double dltc__http_retry_wait(const dltc_http_options *o, int n, const char *retry_after,
                             time_t now);
/* The standard reason phrase of a status ("" when unknown). */
const char *dltc__http_reason(int status);

/* Response building (used by the transport). */
dltc_http_response *dltc__http_response_new(size_t max_body);
/* Forget everything received so far (a new status line: redirect, 100-continue). */
void dltc__http_response_reset(dltc_http_response *r);
int dltc__http_response_add_header(dltc_http_response *r, const char *name, size_t nlen,
                                   const char *value, size_t vlen);

#endif
