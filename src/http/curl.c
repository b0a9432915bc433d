/*
 * The HTTP transport over libcurl (the only includer of curl/curl.h) and dlt's retry loop.
 *
 * libcurl is loaded with dlopen on the first client, not linked: Debian's libcurl pulls in
 * ~30 shared libraries (GnuTLS, nghttp2, LDAP, Kerberos, …) whose loading took `dlt --version`
 * from ~4 ms to ~29 ms in a measurement, and most commands never speak HTTP.
 *
 * One easy handle per client: curl_easy_reset between requests keeps its connection cache, so
 * consecutive requests to a host reuse the open connection (keep-alive, TLS session).
 */
#include "http/http.h"
#include "common/dynlib.h"
#include "common/alloc.h"
#include "common/compress.h"
#include "common/error.h"

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define DLTC_CURL_FUNCTIONS(X) \
    X(curl_global_init)        \
    X(curl_easy_init)          \
    X(curl_easy_cleanup)       \
    X(curl_easy_reset)         \
    X(curl_easy_setopt)        \
    X(curl_easy_perform)       \
    X(curl_easy_getinfo)       \
    X(curl_easy_strerror)      \
    X(curl_slist_append)       \
    X(curl_slist_free_all)

#define DLTC_DECLARE(name) static __typeof__(name) *p_##name;
DLTC_CURL_FUNCTIONS(DLTC_DECLARE)
#undef DLTC_DECLARE

#ifndef DLTC_CURL_LIB_PATH
#define DLTC_CURL_LIB_PATH "libcurl.so.4"
#endif

static pthread_once_t g_load_once = PTHREAD_ONCE_INIT;
static char g_load_error[512];

static void load_library(void)
{
    static const char *const names[] = {DLTC_CURL_FUNCTIONS(DLTC_DYNLIB_NAME)};
    void **const slots[] = {DLTC_CURL_FUNCTIONS(DLTC_DYNLIB_SLOT)};
    void *h =
        dltc__dynlib_load("DLTC_CURL_LIB", DLTC_CURL_LIB_PATH, "libcurl", "libcurl4", names, slots,
                          sizeof(names) / sizeof(names[0]), g_load_error, sizeof(g_load_error));
    if (h && p_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        snprintf(g_load_error, sizeof(g_load_error), "libcurl global initialisation failed");
}

static int ensure_library(void)
{
    pthread_once(&g_load_once, load_library);
    return g_load_error[0] ? dltc__error_set(DLTC_ENETWORK, "%s", g_load_error) : 0;
}

/* Typed setters: curl_easy_setopt is variadic, so the argument type must be exact. */
static CURLcode set_long(CURL *h, CURLoption o, long v)
{
    return p_curl_easy_setopt(h, o, v);
}
static CURLcode set_ptr(CURL *h, CURLoption o, const void *v)
{
    return p_curl_easy_setopt(h, o, v);
}
static CURLcode set_off(CURL *h, CURLoption o, curl_off_t v)
{
    return p_curl_easy_setopt(h, o, v);
}

struct dltc_http_client {
    CURL *curl;
    dltc_http_options o;
    char *ca_file;
    char *user_agent;
    char errbuf[CURL_ERROR_SIZE];
};

int dltc_http_client_new(dltc_http_client **out, const dltc_http_options *options)
{
    static const dltc_http_options defaults = DLTC_HTTP_OPTIONS_INIT;
    *out = NULL;
    if (options && options->version != DLTC_HTTP_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "http client: options version %u not supported",
                               options->version);
    const dltc_http_options *o = options ? options : &defaults;
    if (o->max_attempts < 1 || !(o->timeout > 0) || o->backoff_factor < 0 ||
        o->max_retry_delay < 0 || o->connect_timeout < 0 || o->total_timeout < 0)
        return dltc__error_set(DLTC_EINVALID,
                               "http client: max_attempts must be >= 1, timeout > 0 and the "
                               "delays >= 0");
    if (o->ca_file && access(o->ca_file, R_OK) != 0)
        return dltc__error_set(DLTC_EINVALID, "http client: CA file %s: %s", o->ca_file,
                               strerror(errno));
    int rc = ensure_library();
    if (rc)
        return rc;
    dltc_http_client *c = dltc__calloc(1, sizeof(*c));
    if (!c)
        return dltc__error_oom();
    c->o = *o;
    if (!c->o.max_response_size)
        c->o.max_response_size = (size_t)256 << 20;
    char ua[64];
    snprintf(ua, sizeof(ua), "dltc/%s", dltc_version());
    c->user_agent = dltc__strdup(o->user_agent ? o->user_agent : ua);
    c->ca_file = o->ca_file ? dltc__strdup(o->ca_file) : NULL;
    c->curl = p_curl_easy_init();
    if (!c->user_agent || (o->ca_file && !c->ca_file) || !c->curl) {
        int no_curl = !c->curl;
        dltc_http_client_free(c);
        return no_curl ? dltc__error_set(DLTC_ENETWORK, "curl_easy_init failed")
                       : dltc__error_oom();
    }
    c->o.ca_file = c->ca_file;
    c->o.user_agent = c->user_agent;
    *out = c;
    return 0;
}

void dltc_http_client_free(dltc_http_client *c)
{
    if (!c)
        return;
    if (c->curl)
        p_curl_easy_cleanup(c->curl);
    dltc__free(c->ca_file);
    dltc__free(c->user_agent);
    dltc__free(c);
}

/* ---- one attempt ---- */

typedef struct {
    dltc_http_response *r;
    int too_big;
    int oom;
} attempt_ctx;

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
    attempt_ctx *a = payload;
    int rc = dltc__buf_put(&a->r->body, data, size * n);
    if (rc == DLTC_ELIMIT)
        a->too_big = 1;
    else if (rc)
        a->oom = 1;
    return rc ? 0 : size * n;
}

static size_t on_header(char *line, size_t size, size_t n, void *payload)
{
    attempt_ctx *a = payload;
    size_t len = size * n;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
        /* a status line starts a new response (redirects, 1xx) */
        dltc__http_response_reset(a->r);
        const char *sp = memchr(line, ' ', len);
        if (sp) {
            a->r->status = (int)strtol(sp + 1, NULL, 10);
            const char *sp2 = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - line));
            if (sp2 && !(a->r->reason = dltc__strndup(sp2 + 1, len - (size_t)(sp2 + 1 - line))))
                a->oom = 1;
        }
        return a->oom ? 0 : size * n;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon || line[0] == ' ' || line[0] == '\t')
        return size * n; /* blank line, obsolete folding */
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (dltc__http_response_add_header(a->r, line, nlen, v, (size_t)(end - v))) {
        a->oom = 1;
        return 0;
    }
    return size * n;
}

static int header_ok(const char *s)
{
    return !strpbrk(s, "\r\n");
}

/* The header list of a request: defaults, then the caller's (which win over curl's own). */
static int build_headers(struct curl_slist **out, const dltc_http_request *req)
{
    struct curl_slist *list = NULL, *t;
    int has_ct = 0;
    dltc_buf line = DLTC_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; !rc && i < req->n_headers; i++) {
        const char *name = req->headers[i].name, *value = req->headers[i].value;
        if (!name || !*name || !header_ok(name) || strchr(name, ':') || (value && !header_ok(value))) {
            rc = dltc__error_set(DLTC_EINVALID, "http request: header %zu has an invalid name or "
                                 "a line break", i);
            break;
        }
        if (!strcasecmp(name, "Content-Type"))
            has_ct = 1;
        dltc__buf_clear(&line);
        /* "Name;" sends an empty header; "Name:" would remove it */
        rc = value && *value ? dltc__buf_printf(&line, "%s: %s", name, value)
                             : dltc__buf_printf(&line, "%s;", name);
        if (!rc && !(t = p_curl_slist_append(list, line.data)))
            rc = DLTC_ENOMEM;
        else if (!rc)
            list = t;
    }
    if (!rc && req->json && !has_ct) {
        if (!(t = p_curl_slist_append(list, "Content-Type: application/json")))
            rc = DLTC_ENOMEM;
        else
            list = t;
    }
    /* no "Expect: 100-continue" round trip for bodies */
    if (!rc) {
        if (!(t = p_curl_slist_append(list, "Expect:")))
            rc = DLTC_ENOMEM;
        else
            list = t;
    }
    dltc__buf_free(&line);
    if (rc) {
        p_curl_slist_free_all(list);
        return rc == DLTC_ENOMEM ? dltc__error_oom() : rc;
    }
    *out = list;
    return 0;
}

static CURLcode setup(dltc_http_client *c, const char *method, const char *url,
                      struct curl_slist *headers, const char *body, size_t body_len,
                      attempt_ctx *a)
{
    CURL *h = c->curl;
    const dltc_http_options *o = &c->o;
    CURLcode e = CURLE_OK;
    p_curl_easy_reset(h);
    c->errbuf[0] = '\0';
#define SET(call)                  \
    if (e == CURLE_OK)             \
        e = (call);
    SET(set_ptr(h, CURLOPT_ERRORBUFFER, c->errbuf));
    SET(set_ptr(h, CURLOPT_URL, url));
    SET(set_long(h, CURLOPT_NOSIGNAL, 1L));
    SET(set_ptr(h, CURLOPT_HTTPHEADER, headers));
    SET(set_ptr(h, CURLOPT_USERAGENT, c->user_agent));
    /* gzip is decoded here, not by libcurl, which accepts a gzip stream that stops early */
    SET(set_ptr(h, CURLOPT_ACCEPT_ENCODING, "gzip, deflate"));
    SET(set_long(h, CURLOPT_HTTP_CONTENT_DECODING, 0L));
    SET(set_long(h, CURLOPT_FOLLOWLOCATION, 1L));
    SET(set_long(h, CURLOPT_MAXREDIRS, 30L)); /* requests' limit */
    SET(set_ptr(h, CURLOPT_PROTOCOLS_STR, "http,https"));
    SET(set_ptr(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
    SET(set_long(h, CURLOPT_SSL_VERIFYPEER, 1L));
    SET(set_long(h, CURLOPT_SSL_VERIFYHOST, 2L));
    if (c->ca_file)
        SET(set_ptr(h, CURLOPT_CAINFO, c->ca_file));
    double ct = o->connect_timeout > 0 ? o->connect_timeout : o->timeout;
    SET(set_long(h, CURLOPT_CONNECTTIMEOUT_MS, (long)ceil(ct * 1000)));
    /* requests' read timeout: fail when no byte arrived for `timeout` seconds */
    SET(set_long(h, CURLOPT_LOW_SPEED_LIMIT, 1L));
    SET(set_long(h, CURLOPT_LOW_SPEED_TIME, (long)ceil(o->timeout)));
    if (o->total_timeout > 0)
        SET(set_long(h, CURLOPT_TIMEOUT_MS, (long)ceil(o->total_timeout * 1000)));
    SET(set_off(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_response_size));
    SET(set_ptr(h, CURLOPT_WRITEFUNCTION, (void *)on_body));
    SET(set_ptr(h, CURLOPT_WRITEDATA, a));
    SET(set_ptr(h, CURLOPT_HEADERFUNCTION, (void *)on_header));
    SET(set_ptr(h, CURLOPT_HEADERDATA, a));
    if (!strcmp(method, "HEAD")) {
        SET(set_long(h, CURLOPT_NOBODY, 1L));
    } else if (body) {
        SET(set_off(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len));
        SET(set_ptr(h, CURLOPT_POSTFIELDS, body));
        if (strcmp(method, "POST"))
            SET(set_ptr(h, CURLOPT_CUSTOMREQUEST, method));
    } else if (strcmp(method, "GET")) {
        SET(set_ptr(h, CURLOPT_CUSTOMREQUEST, method));
    }
#undef SET
    return e;
}

/* dlt retries requests.ConnectionError (TLS errors included), Timeout and
 * ChunkedEncodingError; these are libcurl's equivalents. */
static int transport_retryable(CURLcode e)
{
    switch (e) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static const char *transport_kind(CURLcode e)
{
    switch (e) {
    case CURLE_OPERATION_TIMEDOUT:
        return "timed out";
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2_STREAM:
        return "response incomplete (connection dropped or body truncated)";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        return "TLS error";
    default:
        return "connection failed";
    }
}

/* Decode a gzip/deflate body in place. 0, DLTC_EPARSE (truncated or corrupt: retried like a
 * dropped connection), DLTC_ELIMIT or DLTC_ENOMEM. */
static int decode_body(dltc_http_response *r, size_t limit)
{
    const char *enc = dltc_http_response_header(r, "Content-Encoding");
    if (!enc || !*enc || !strcasecmp(enc, "identity") || !r->body.len)
        return 0;
    if (strcasecmp(enc, "gzip") && strcasecmp(enc, "x-gzip") && strcasecmp(enc, "deflate"))
        return DLTC_EINVALID;
    dltc_buf plain = DLTC_BUF_INIT;
    int rc = dltc__gzip_decompress(&plain, r->body.data, r->body.len, limit);
    if (!rc && plain.len > limit)
        rc = DLTC_ELIMIT;
    if (!rc && !plain.data)
        rc = dltc__buf_reserve(&plain, 0);
    if (rc) {
        dltc__buf_free(&plain);
        return rc;
    }
    dltc__buf_free(&r->body);
    r->body = plain;
    r->body.limit = limit;
    return 0;
}

static void sleep_seconds(double s)
{
    if (!(s > 0))
        return;
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The failure message of a transport error: method, redacted URL, what and curl's words. */
static int transport_error(dltc_http_client *c, int code, const char *method, const char *url,
                           CURLcode e, int attempts)
{
    dltc_buf u = DLTC_BUF_INIT;
    if (dltc__http_url_redact(&u, url)) {
        dltc__buf_free(&u);
        return dltc__error_oom();
    }
    const char *detail = c->errbuf[0] ? c->errbuf : p_curl_easy_strerror(e);
    /* never echo a raw query string that curl might have quoted */
    const char *q = strchr(url, '?');
    if (q && q[1] && strstr(detail, q + 1))
        detail = p_curl_easy_strerror(e);
    char tail[48] = "";
    if (attempts > 1)
        snprintf(tail, sizeof(tail), " after %d attempts", attempts);
    int rc = dltc__error_set(code, "%s %s: %s (%s)%s", method, u.data ? u.data : "",
                             transport_kind(e), detail, tail);
    dltc__buf_free(&u);
    return rc;
}

static int limit_error(dltc_http_client *c, const char *method, const char *url)
{
    dltc_buf u = DLTC_BUF_INIT;
    int rc = dltc__http_url_redact(&u, url)
                 ? dltc__error_oom()
                 : dltc__error_set(DLTC_ELIMIT, "%s %s: response body over the limit of %zu bytes",
                                   method, u.data, c->o.max_response_size);
    dltc__buf_free(&u);
    return rc;
}

int dltc_http_client_send(dltc_http_response **out, dltc_http_client *c,
                          const dltc_http_request *req)
{
    *out = NULL;
    if (req->version != DLTC_HTTP_REQUEST_VERSION)
        return dltc__error_set(DLTC_EINVALID, "http request: version %u not supported",
                               req->version);
    if (!req->url || !*req->url)
        return dltc__error_set(DLTC_EINVALID, "http request: no URL");
    if (req->json && req->data)
        return dltc__error_set(DLTC_EINVALID, "http request: json and data bodies are exclusive");
    const char *method = req->method && *req->method ? req->method : "GET";
    if (!header_ok(method) || strchr(method, ' '))
        return dltc__error_set(DLTC_EINVALID, "http request: invalid method");
    const char *body = req->json ? req->json : req->data;
    size_t body_len = req->json ? (req->json_len ? req->json_len : strlen(req->json))
                                : req->data_len;

    dltc_buf url = DLTC_BUF_INIT;
    if (dltc__http_url_build(&url, req->url, req->params, req->n_params)) {
        dltc__buf_free(&url);
        return dltc__error_oom();
    }
    struct curl_slist *headers = NULL;
    int rc = build_headers(&headers, req);
    if (rc) {
        dltc__buf_free(&url);
        return rc;
    }
    dltc_http_response *r = dltc__http_response_new(c->o.max_response_size);
    if (!r) {
        rc = dltc__error_oom();
        goto done;
    }
    for (int attempt = 1;; attempt++) {
        attempt_ctx a = {r, 0, 0};
        dltc__http_response_reset(r);
        CURLcode e = setup(c, method, url.data, headers, body, body_len, &a);
        if (e != CURLE_OK) {
            rc = transport_error(c, DLTC_EINVALID, method, url.data, e, 1);
            break;
        }
        e = p_curl_easy_perform(c->curl);
        r->attempts = attempt;
        curl_off_t us = 0;
        if (p_curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK)
            r->elapsed = (double)us / 1e6;
        if (a.oom) {
            rc = dltc__error_oom();
            break;
        }
        if (a.too_big || e == CURLE_FILESIZE_EXCEEDED) {
            rc = limit_error(c, method, url.data);
            break;
        }
        int more = attempt < c->o.max_attempts;
        if (e != CURLE_OK) {
            if (transport_retryable(e) && more) {
                sleep_seconds(dltc__http_backoff(&c->o, attempt));
                continue;
            }
            int code = e == CURLE_URL_MALFORMAT || e == CURLE_UNSUPPORTED_PROTOCOL
                           ? DLTC_EINVALID
                           : DLTC_ENETWORK;
            rc = transport_error(c, code, method, url.data, e, attempt);
            break;
        }
        int drc = decode_body(r, c->o.max_response_size);
        if (drc == DLTC_ELIMIT) {
            rc = limit_error(c, method, url.data);
            break;
        }
        if (drc == DLTC_ENOMEM) {
            rc = dltc__error_oom();
            break;
        }
        if (drc == DLTC_EINVALID) {
            dltc_buf u = DLTC_BUF_INIT;
            rc = dltc__http_url_redact(&u, url.data)
                     ? dltc__error_oom()
                     : dltc__error_set(DLTC_ENETWORK, "%s %s: unsupported Content-Encoding",
                                       method, u.data);
            dltc__buf_free(&u);
            break;
        }
        if (drc) {
            e = CURLE_BAD_CONTENT_ENCODING;
            snprintf(c->errbuf, sizeof(c->errbuf), "gzip body truncated or corrupt");
            if (more) {
                sleep_seconds(dltc__http_backoff(&c->o, attempt));
                continue;
            }
            rc = transport_error(c, DLTC_ENETWORK, method, url.data, e, attempt);
            break;
        }
        long status = 0;
        p_curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        r->status = (int)status;
        if (dltc__http_status_retryable(r->status) && more) {
            sleep_seconds(dltc__http_retry_wait(&c->o, attempt,
                                                dltc_http_response_header(r, "Retry-After"),
                                                time(NULL)));
            continue;
        }
        char *eff = NULL;
        p_curl_easy_getinfo(c->curl, CURLINFO_EFFECTIVE_URL, &eff);
        r->url = dltc__strdup(eff ? eff : url.data);
        r->method = dltc__strdup(method);
        if (!r->url || !r->method) {
            rc = dltc__error_oom();
            break;
        }
        if (c->o.raise_for_status && (rc = dltc_http_response_check_with(r, &c->o)))
            break;
        *out = r;
        r = NULL;
        rc = 0;
        break;
    }
done:
    dltc_http_response_free(r);
    p_curl_slist_free_all(headers);
    dltc__buf_free(&url);
    return rc;
}
