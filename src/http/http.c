/*
 * The transport-free half of the HTTP client: building and redacting URLs, dlt's retry
 * arithmetic (which statuses retry, exponential backoff, Retry-After) and the response value.
 */
#include "http/http.h"
#include "common/alloc.h"
#include "common/error.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- URLs ---- */

static int put_form_encoded(dltc_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc;
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            rc = dltc__buf_putc(b, (char)*p);
        } else if (*p == ' ') {
            rc = dltc__buf_putc(b, '+');
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = dltc__buf_put(b, e, 3);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int dltc__http_url_build(dltc_buf *out, const char *url, const dltc_http_pair *params,
                         size_t n_params)
{
    size_t ulen = strcspn(url, "#");
    int rc = dltc__buf_put(out, url, ulen);
    const char *q = memchr(url, '?', ulen);
    /* a bare trailing '?' or '&' needs no extra separator */
    char last = ulen ? url[ulen - 1] : '\0';
    int need_sep = !(q && (last == '?' || last == '&'));
    for (size_t i = 0; !rc && i < n_params; i++) {
        if (!params[i].name)
            continue;
        if (need_sep)
            rc = dltc__buf_putc(out, q ? '&' : '?');
        need_sep = 1;
        q = url; /* from now on, '&' */
        if (!rc)
            rc = put_form_encoded(out, params[i].name);
        if (!rc)
            rc = dltc__buf_putc(out, '=');
        if (!rc && params[i].value)
            rc = put_form_encoded(out, params[i].value);
    }
    return rc;
}

int dltc__http_param_is_secret(const char *name, size_t n)
{
    /* dlt's exact list (rest_client utils), then name fragments that look like secrets */
    static const char *exact[] = {"api_key", "token", "key", "access_token", "apikey",
                                  "api-key", "access-token", "secret", "password", "pwd",
                                  "client_secret", "username", "client_id"};
    static const char *parts[] = {"token", "secret", "passw", "auth", "key", "signature",
                                  "credential", "session"};
    char low[128];
    if (n >= sizeof(low))
        return 1; /* an absurdly long name: play safe */
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof(exact) / sizeof(*exact); i++)
        if (!strcmp(low, exact[i]))
            return 1;
    for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++)
        if (strstr(low, parts[i]))
            return 1;
    return 0;
}

int dltc__http_url_redact(dltc_buf *out, const char *url)
{
    size_t ulen = strcspn(url, "#");
    const char *q = memchr(url, '?', ulen);
    /* user:password@ in the authority is a secret too */
    const char *scheme_end = strstr(url, "://");
    size_t start = 0;
    if (scheme_end && (!q || scheme_end < q)) {
        const char *auth = scheme_end + 3;
        size_t alen = strcspn(auth, "/?#");
        const char *at = memchr(auth, '@', alen);
        if (at) {
            int rc = dltc__buf_put(out, url, (size_t)(auth - url));
            if (!rc)
                rc = dltc__buf_puts(out, "***@");
            if (rc)
                return rc;
            start = (size_t)(at + 1 - url);
        }
    }
    if (!q)
        return dltc__buf_put(out, url + start, ulen - start);
    int rc = dltc__buf_put(out, url + start, (size_t)(q + 1 - url) - start);
    const char *p = q + 1, *end = url + ulen;
    while (!rc && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq && dltc__http_param_is_secret(p, (size_t)(eq - p))) {
            rc = dltc__buf_put(out, p, (size_t)(eq + 1 - p));
            if (!rc)
                rc = dltc__buf_puts(out, "***");
        } else {
            rc = dltc__buf_put(out, p, (size_t)(stop - p));
        }
        if (!rc && amp)
            rc = dltc__buf_putc(out, '&');
        p = amp ? amp + 1 : end;
    }
    return rc;
}

int dltc_http_url_redact(char **out, const char *url)
{
    dltc_buf b = DLTC_BUF_INIT;
    *out = NULL;
    int rc = dltc__http_url_redact(&b, url);
    if (!rc)
        rc = dltc__buf_putc(&b, '\0');
    if (rc) {
        dltc__buf_free(&b);
        return rc == DLTC_ENOMEM ? dltc__error_oom() : rc;
    }
    *out = dltc__buf_detach(&b);
    return 0;
}


/* ---- retries (dlt.sources.helpers.requests.retry) ---- */

int dltc__http_status_retryable(int status)
{
    return status == 429 || (status >= 500 && status <= 599);
}

double dltc__http_backoff(const dltc_http_options *o, int n)
{
    double d = o->backoff_factor * ldexp(1.0, n - 1);
    if (d > o->max_retry_delay)
        d = o->max_retry_delay;
    return d < 0 ? 0 : d;
}

double dltc__http_retry_after(const char *value, time_t now, double max_delay)
{
    while (*value == ' ' || *value == '\t')
        value++;
    double secs;
    if (isdigit((unsigned char)*value)) {
        char *end;
        secs = strtod(value, &end);
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end)
            return -1;
    } else {
        /* IMF-fixdate, then the obsolete RFC 850 and asctime forms (RFC 9110 §5.6.7) */
        static const char *formats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                        "%a %b %e %H:%M:%S %Y"};
        struct tm tm;
        const char *end = NULL;
        for (size_t i = 0; i < sizeof(formats) / sizeof(*formats) && !end; i++) {
            memset(&tm, 0, sizeof(tm));
            end = strptime(value, formats[i], &tm);
            if (end && *end && *end != ' ')
                end = NULL;
        }
        if (!end)
            return -1;
        secs = difftime(timegm(&tm), now);
    }
    if (!(secs >= 0)) /* also NaN */
        secs = 0;
    if (secs > max_delay)
        secs = max_delay;
    return secs;
}

double dltc__http_retry_wait(const dltc_http_options *o, int n, const char *retry_after,
                             time_t now)
{
    if (retry_after && o->respect_retry_after) {
        double d = dltc__http_retry_after(retry_after, now, o->max_retry_delay);
        if (d >= 0)
            return d;
    }
    return dltc__http_backoff(o, n);
}

const char *dltc__http_reason(int status)
{
    static const struct {
        int code;
        const char *text;
    } reasons[] = {{400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"},
                   {404, "Not Found"}, {405, "Method Not Allowed"}, {408, "Request Timeout"},
                   {409, "Conflict"}, {410, "Gone"}, {413, "Payload Too Large"},
                   {422, "Unprocessable Entity"}, {429, "Too Many Requests"},
                   {500, "Internal Server Error"}, {501, "Not Implemented"},
                   {502, "Bad Gateway"}, {503, "Service Unavailable"},
                   {504, "Gateway Timeout"}};
    for (size_t i = 0; i < sizeof(reasons) / sizeof(*reasons); i++)
        if (reasons[i].code == status)
            return reasons[i].text;
    return "";
}

/* ---- responses ---- */

dltc_http_response *dltc__http_response_new(size_t max_body)
{
    dltc_http_response *r = dltc__calloc(1, sizeof(*r));
    if (r)
        r->body.limit = max_body;
    return r;
}

void dltc__http_response_reset(dltc_http_response *r)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        dltc__free(r->headers[i].name);
        dltc__free(r->headers[i].value);
    }
    r->n_headers = 0;
    dltc__free(r->reason);
    r->reason = NULL;
    r->status = 0;
    dltc__buf_clear(&r->body);
}

int dltc__http_response_add_header(dltc_http_response *r, const char *name, size_t nlen,
                                   const char *value, size_t vlen)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        dltc__http_header *h = &r->headers[i];
        if (strlen(h->name) == nlen && !strncasecmp(h->name, name, nlen)) {
            size_t old = strlen(h->value);
            char *v = dltc__realloc(h->value, old + 2 + vlen + 1);
            if (!v)
                return DLTC_ENOMEM;
            memcpy(v + old, ", ", 2);
            memcpy(v + old + 2, value, vlen);
            v[old + 2 + vlen] = '\0';
            h->value = v;
            return 0;
        }
    }
    if (r->n_headers == r->cap_headers) {
        size_t cap = r->cap_headers ? r->cap_headers * 2 : 16;
        dltc__http_header *hs = dltc__realloc(r->headers, cap * sizeof(*hs));
        if (!hs)
            return DLTC_ENOMEM;
        r->headers = hs;
        r->cap_headers = cap;
    }
    char *n = dltc__strndup(name, nlen), *v = dltc__strndup(value, vlen);
    if (!n || !v) {
        dltc__free(n);
        dltc__free(v);
        return DLTC_ENOMEM;
    }
    r->headers[r->n_headers].name = n;
    r->headers[r->n_headers].value = v;
    r->n_headers++;
    return 0;
}

void dltc_http_response_free(dltc_http_response *r)
{
    if (!r)
        return;
    dltc__http_response_reset(r);
    dltc__free(r->headers);
    dltc__buf_free(&r->body);
    dltc__free(r->url);
    dltc__free(r->method);
    dltc__free(r);
}

int dltc_http_response_status(const dltc_http_response *r)
{
    return r->status;
}

const char *dltc_http_response_body(const dltc_http_response *r, size_t *len)
{
    if (len)
        *len = r->body.len;
    return r->body.data ? r->body.data : "";
}

const char *dltc_http_response_header(const dltc_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

size_t dltc_http_response_header_count(const dltc_http_response *r)
{
    return r->n_headers;
}

void dltc_http_response_header_at(const dltc_http_response *r, size_t i, const char **name,
                                  const char **value)
{
    *name = r->headers[i].name;
    *value = r->headers[i].value;
}

const char *dltc_http_response_url(const dltc_http_response *r)
{
    return r->url ? r->url : "";
}

double dltc_http_response_elapsed(const dltc_http_response *r)
{
    return r->elapsed;
}

int dltc_http_response_attempts(const dltc_http_response *r)
{
    return r->attempts;
}

int dltc_http_response_check(const dltc_http_response *r)
{
    return dltc_http_response_check_with(r, NULL);
}

/* dlt's "\nResponse: <body>" suffix, kept on one line: control characters become spaces, at
 * most `max` characters (UTF-8 sequences kept whole), then "… (truncated)". */
static int put_error_body(dltc_buf *b, const dltc_http_response *r, size_t max)
{
    int rc = dltc__buf_puts(b, " Response: ");
    const unsigned char *s = (const unsigned char *)(r->body.data ? r->body.data : "");
    size_t n = r->body.len, chars = 0, i = 0;
    for (; i < n && chars < max && !rc; chars++) {
        size_t k = 1;
        if (s[i] >= 0xC0)
            while (i + k < n && (s[i + k] & 0xC0) == 0x80)
                k++;
        if (k == 1 && (s[i] < 0x20 || s[i] == 0x7F))
            rc = dltc__buf_putc(b, ' ');
        else
            rc = dltc__buf_put(b, (const char *)s + i, k);
        i += k;
    }
    if (!rc && i < n)
        rc = dltc__buf_puts(b, "\xe2\x80\xa6 (truncated)");
    return rc;
}

int dltc_http_response_check_with(const dltc_http_response *r, const dltc_http_options *o)
{
    if (r->status < 400)
        return 0;
    dltc_buf u = DLTC_BUF_INIT;
    const char *reason = r->reason && *r->reason ? r->reason : dltc__http_reason(r->status);
    if (dltc__http_url_redact(&u, r->url ? r->url : "")) {
        dltc__buf_free(&u);
        return dltc__error_oom();
    }
    char attempts[48] = "";
    if (r->attempts > 1)
        snprintf(attempts, sizeof(attempts), " (after %d attempts)", r->attempts);
    dltc_buf body = DLTC_BUF_INIT;
    if (o && o->show_error_body && put_error_body(&body, r, o->max_error_body_length)) {
        dltc__buf_free(&u);
        dltc__buf_free(&body);
        return dltc__error_oom();
    }
    int rc = dltc__error_set(DLTC_ENETWORK, "%d %s Error: %s for url: %s%s%s", r->status,
                             r->status >= 500 ? "Server" : "Client", reason, u.data ? u.data : "",
                             attempts, body.data ? body.data : "");
    dltc__buf_free(&u);
    dltc__buf_free(&body);
    return rc;
}
