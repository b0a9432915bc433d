/*
 * Auth for the REST client (reference §2.5): bearer token, API key (header, query or cookie),
 * HTTP basic and OAuth2 client credentials with token fetch and refresh. Every secret an auth
 * object holds is registered for masking, so no error message can show it.
 */
#include "http/rest_int.h"
#include "http/http.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { AUTH_BEARER, AUTH_API_KEY, AUTH_BASIC, AUTH_OAUTH2 };
enum { LOC_HEADER, LOC_QUERY, LOC_COOKIE };

struct dltc_auth {
    int kind;
    int location;        /* API key */
    char *name;          /* API key: header, parameter or cookie name */
    char *secret;        /* bearer token, API key */
    char *header_name;   /* what apply() sends */
    char *header_value;
    /* OAuth2 client credentials */
    char *token_url, *client_id, *client_secret, *extra_json;
    int64_t default_expiration;
    char *access_token;
    time_t expiry;       /* the token is refreshed when now >= expiry */
};

static const char *KIND_NAMES[] = {"bearer", "api_key", "http_basic", "oauth2_client_credentials"};

void dltc_auth_free(dltc_auth *a)
{
    if (!a)
        return;
    dltc__free(a->name);
    dltc__free(a->secret);
    dltc__free(a->header_name);
    dltc__free(a->header_value);
    dltc__free(a->token_url);
    dltc__free(a->client_id);
    dltc__free(a->client_secret);
    dltc__free(a->extra_json);
    dltc__free(a->access_token);
    dltc__free(a);
}

const char *dltc_auth_type(const dltc_auth *a)
{
    return KIND_NAMES[a->kind];
}

/* A copy of a secret, registered for masking. */
static char *secret_dup(const char *s)
{
    char *d = dltc__strdup(s);
    if (d && dltc__secret_register(d)) {
        dltc__free(d);
        return NULL;
    }
    return d;
}

static int set_header(dltc_auth *a, const char *name, const char *prefix, const char *value)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&b, prefix);
    if (!rc)
        rc = dltc__buf_puts(&b, value);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    dltc__free(a->header_name);
    dltc__free(a->header_value);
    a->header_name = dltc__strdup(name);
    a->header_value = dltc__buf_detach(&b);
    if (!a->header_name || !a->header_value)
        return dltc__error_oom();
    return dltc__secret_register(a->header_value);
}

static int no_crlf(const char *what, const char *s)
{
    if (strpbrk(s, "\r\n"))
        return dltc__error_set(DLTC_EINVALID, "auth: the %s contains a line break", what);
    return 0;
}

int dltc_auth_bearer(dltc_auth **out, const char *token)
{
    *out = NULL;
    if (!token || !*token)
        return dltc__error_set(DLTC_EINVALID, "bearer auth needs a token");
    int rc = no_crlf("token", token);
    if (rc)
        return rc;
    dltc_auth *a = dltc__calloc(1, sizeof(*a));
    if (!a)
        return dltc__error_oom();
    a->kind = AUTH_BEARER;
    if (!(a->secret = secret_dup(token)) ||
        (rc = set_header(a, "Authorization", "Bearer ", token))) {
        dltc_auth_free(a);
        return rc ? rc : dltc_error_last()->code;
    }
    *out = a;
    return 0;
}

int dltc_auth_api_key(dltc_auth **out, const char *name, const char *api_key,
                      const char *location)
{
    *out = NULL;
    if (!api_key || !*api_key)
        return dltc__error_set(DLTC_EINVALID, "api_key auth needs an api_key");
    if (!name || !*name)
        name = "Authorization";
    int loc;
    if (!location || !*location || strcmp(location, "header") == 0)
        loc = LOC_HEADER;
    else if (strcmp(location, "query") == 0 || strcmp(location, "param") == 0)
        loc = LOC_QUERY;
    else if (strcmp(location, "cookie") == 0)
        loc = LOC_COOKIE;
    else
        return dltc__error_set(DLTC_EINVALID,
                               "api_key auth: location '%s' is not header, query or cookie",
                               location);
    int rc = no_crlf("api key", api_key);
    if (!rc)
        rc = no_crlf("api key name", name);
    if (!rc && loc == LOC_COOKIE && strpbrk(name, "=; "))
        rc = dltc__error_set(DLTC_EINVALID, "api_key auth: '%s' is not a cookie name", name);
    if (rc)
        return rc;
    dltc_auth *a = dltc__calloc(1, sizeof(*a));
    if (!a)
        return dltc__error_oom();
    a->kind = AUTH_API_KEY;
    a->location = loc;
    a->name = dltc__strdup(name);
    a->secret = secret_dup(api_key);
    if (!a->name || !a->secret) {
        rc = a->name ? dltc_error_last()->code : dltc__error_oom();
        dltc_auth_free(a);
        return rc;
    }
    if (loc == LOC_HEADER)
        rc = set_header(a, name, "", api_key);
    else if (loc == LOC_COOKIE) {
        char prefix[300];
        snprintf(prefix, sizeof prefix, "%s=", name);
        rc = set_header(a, "Cookie", prefix, api_key);
    }
    if (rc) {
        dltc_auth_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

int dltc_auth_basic(dltc_auth **out, const char *username, const char *password)
{
    *out = NULL;
    if (!username || !password)
        return dltc__error_set(DLTC_EINVALID, "http_basic auth needs a username and a password");
    dltc_buf up = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&up, "%s:%s", username, password);
    if (rc)
        return rc;
    size_t n = up.len;
    char *b64 = dltc__malloc(4 * ((n + 2) / 3) + 1);
    dltc_auth *a = dltc__calloc(1, sizeof(*a));
    if (!b64 || !a) {
        rc = dltc__error_oom();
        goto done;
    }
    b64[dltc__base64_encode((const uint8_t *)up.data, n, b64, 1)] = '\0';
    a->kind = AUTH_BASIC;
    if (!(a->secret = secret_dup(password)) && *password) {
        rc = dltc_error_last()->code;
        goto done;
    }
    if ((rc = set_header(a, "Authorization", "Basic ", b64)))
        goto done;
    *out = a;
    a = NULL;
done:
    dltc__buf_free(&up);
    dltc__free(b64);
    dltc_auth_free(a);
    return rc;
}

int dltc_auth_oauth2_client_credentials(dltc_auth **out, const dltc_oauth2_options *o)
{
    *out = NULL;
    if (!o || o->version != DLTC_OAUTH2_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "oauth2 options: missing or wrong version");
    if (!o->access_token_url || !*o->access_token_url || !o->client_id || !o->client_secret)
        return dltc__error_set(DLTC_EINVALID, "oauth2_client_credentials auth needs "
                                              "access_token_url, client_id and client_secret");
    dltc_auth *a = dltc__calloc(1, sizeof(*a));
    if (!a)
        return dltc__error_oom();
    a->kind = AUTH_OAUTH2;
    a->default_expiration = o->default_token_expiration > 0 ? o->default_token_expiration : 3600;
    a->token_url = dltc__strdup(o->access_token_url);
    a->client_id = dltc__strdup(o->client_id);
    a->client_secret = secret_dup(o->client_secret);
    a->extra_json = o->access_token_request_data ? dltc__strdup(o->access_token_request_data)
                                                 : NULL;
    int rc = 0;
    if (!a->token_url || !a->client_id || !a->client_secret ||
        (o->access_token_request_data && !a->extra_json))
        rc = dltc__error_oom();
    if (!rc && o->access_token && *o->access_token) {
        /* a token handed in is used until the default expiration, as dlt does */
        if (!(a->access_token = secret_dup(o->access_token)))
            rc = dltc_error_last()->code;
        else if (!(rc = set_header(a, "Authorization", "Bearer ", a->access_token)))
            a->expiry = time(NULL) + (time_t)a->default_expiration;
    }
    if (!rc && a->extra_json) { /* validate now, not at the first request */
        dltc_doc *d = NULL;
        dltc_value *v;
        if (!(rc = dltc_doc_new(&d)) &&
            !(rc = dltc_doc_parse_json(d, a->extra_json, strlen(a->extra_json), &v)) &&
            v->type != DLTC_TYPE_OBJECT)
            rc = dltc__error_set(DLTC_EINVALID,
                                 "oauth2 access_token_request_data must be a JSON object");
        dltc_doc_free(d);
    }
    if (rc) {
        dltc_auth_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

/* ---- OAuth2 token requests ---- */

static int put_form(dltc_buf *b, const char *name, const char *value)
{
    dltc_http_pair p = {name, value};
    dltc_buf one = DLTC_BUF_INIT;
    /* url_build gives "?name=value": reuse its form encoding */
    int rc = dltc__http_url_build(&one, "", &p, 1);
    if (!rc)
        rc = dltc__buf_puts(b, b->len ? "&" : "");
    if (!rc)
        rc = dltc__buf_put(b, one.data + 1, one.len - 1);
    dltc__buf_free(&one);
    return rc;
}

static int token_form(dltc_auth *a, dltc_buf *b)
{
    int rc = put_form(b, "client_id", a->client_id);
    if (!rc)
        rc = put_form(b, "client_secret", a->client_secret);
    if (!rc)
        rc = put_form(b, "grant_type", "client_credentials");
    if (rc || !a->extra_json)
        return rc;
    dltc_doc *d = NULL;
    dltc_value *v;
    if ((rc = dltc_doc_new(&d)) ||
        (rc = dltc_doc_parse_json(d, a->extra_json, strlen(a->extra_json), &v))) {
        dltc_doc_free(d);
        return rc;
    }
    for (size_t i = 0; i < dltc_value_size(v) && !rc; i++) {
        const dltc_value *x = dltc_object_value(v, i);
        char *text = NULL;
        if (dltc_value_type_of(x) == DLTC_TYPE_STRING) {
            rc = put_form(b, dltc_object_key(v, i, NULL), dltc_value_get_str(x, NULL));
        } else if (!(rc = dltc_value_to_json(&text, NULL, x))) {
            rc = put_form(b, dltc_object_key(v, i, NULL), text);
        }
        dltc_free(text);
    }
    dltc_doc_free(d);
    return rc;
}

static int oauth2_refresh(dltc_auth *a, dltc_http_client *http)
{
    dltc_buf form = DLTC_BUF_INIT;
    int rc = token_form(a, &form);
    if (rc) {
        dltc__buf_free(&form);
        return rc;
    }
    dltc_http_pair h[] = {{"Content-Type", "application/x-www-form-urlencoded"},
                          {"Accept", "application/json"}};
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    rq.method = "POST";
    rq.url = a->token_url;
    rq.headers = h;
    rq.n_headers = 2;
    rq.data = form.data;
    rq.data_len = form.len;
    dltc_http_response *r = NULL;
    rc = dltc_http_client_send(&r, http, &rq);
    dltc__buf_free(&form);
    if (!rc)
        rc = dltc_http_response_check(r);
    dltc_doc *d = NULL;
    dltc_value *body = NULL;
    if (!rc && !(rc = dltc_doc_new(&d))) {
        size_t len;
        const char *text = dltc_http_response_body(r, &len);
        if (dltc_doc_parse_json(d, text, len, &body) || body->type != DLTC_TYPE_OBJECT)
            rc = dltc__error_set(DLTC_EPARSE, "the token response is not a JSON object");
    }
    const dltc_value *tok = body ? dltc_object_get(body, "access_token") : NULL;
    if (!rc && (!tok || tok->type != DLTC_TYPE_STRING || !tok->len))
        rc = dltc__error_set(DLTC_EPARSE, "the token response has no access_token");
    if (!rc) {
        int64_t exp = a->default_expiration;
        const dltc_value *e = dltc_object_get(body, "expires_in");
        if (e && e->type == DLTC_TYPE_INT)
            exp = e->u.i;
        else if (e && e->type == DLTC_TYPE_DOUBLE)
            exp = (int64_t)e->u.d;
        else if (e && e->type == DLTC_TYPE_STRING && isdigit((unsigned char)e->u.s[0]))
            exp = strtoll(e->u.s, NULL, 10);
        char *t = secret_dup(tok->u.s);
        if (!t) {
            rc = dltc_error_last()->code;
        } else {
            dltc__free(a->access_token);
            a->access_token = t;
            a->expiry = time(NULL) + (time_t)exp;
            rc = set_header(a, "Authorization", "Bearer ", t);
        }
    }
    if (rc)
        dltc__error_prefix("oauth2 token request to %s: ", a->token_url);
    dltc_doc_free(d);
    dltc_http_response_free(r);
    return rc;
}

int dltc__auth_apply(dltc_auth *a, dltc_http_client *http, dltc_rest_request *req,
                     dltc_http_pair *headers, size_t *n_headers)
{
    int rc;
    if (a->kind == AUTH_OAUTH2 && (!a->access_token || time(NULL) >= a->expiry) &&
        (rc = oauth2_refresh(a, http)))
        return rc;
    if (a->kind == AUTH_API_KEY && a->location == LOC_QUERY)
        return dltc_rest_request_set_param(req, a->name, a->secret);
    headers[*n_headers].name = a->header_name;
    headers[*n_headers].value = a->header_value;
    (*n_headers)++;
    return 0;
}

/* ---- dlt's dict config ---- */

typedef struct {
    const char *name;
    int secret;
    int optional;
} field_def;

/* The string value of `key` in `cfgv`, else resolved from `cfg`; NULL when missing. */
static int fields_resolve(const dltc_value *cfgv, const field_def *defs, size_t n,
                          const char **vals, dltc_config *cfg, const char *const *sections,
                          const char *spec)
{
    dltc_config_field need[8];
    size_t nn = 0;
    for (size_t i = 0; i < n; i++) {
        const dltc_value *v = cfgv ? dltc_object_get(cfgv, defs[i].name) : NULL;
        if (v && v->type == DLTC_TYPE_STRING) {
            vals[i] = v->u.s;
            if (defs[i].secret && dltc__secret_register(v->u.s))
                return dltc_error_last()->code;
        } else if (v && v->type != DLTC_TYPE_NULL && v->type != DLTC_TYPE_OBJECT) {
            return dltc__error_set(DLTC_EINVALID, "auth %s: field `%s` must be a string", spec,
                                   defs[i].name);
        } else {
            vals[i] = NULL;
            need[nn].name = defs[i].name;
            need[nn].type = DLTC_TYPE_STRING;
            need[nn].is_secret = defs[i].secret;
            need[nn].is_optional = defs[i].optional;
            nn++;
        }
    }
    int required_missing = 0;
    for (size_t i = 0; i < nn; i++)
        required_missing |= !need[i].is_optional;
    if (!nn || (!cfg && !required_missing))
        return 0;
    if (!cfg) {
        for (size_t i = 0; i < nn; i++)
            if (!need[i].is_optional)
                return dltc__error_set(DLTC_ENOTFOUND, "auth %s: field `%s` is missing", spec,
                                       need[i].name);
    }
    /* dlt injects auth specs like credentials: under the source's sections + "credentials" */
    const char *secs[16];
    size_t ns = 0;
    for (size_t i = 0; sections && sections[i] && ns < 14; i++)
        secs[ns++] = sections[i];
    secs[ns++] = "credentials";
    secs[ns] = NULL;
    const dltc_value *got;
    int rc = dltc_config_resolve(&got, cfg, secs, need, nn, spec);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (vals[i])
            continue;
        const dltc_value *v = dltc_object_get(got, defs[i].name);
        vals[i] = v ? v->u.s : NULL;
    }
    return 0;
}

int dltc_auth_new(dltc_auth **out, const char *config, dltc_config *cfg,
                  const char *const *sections)
{
    *out = NULL;
    dltc_doc *d = NULL;
    dltc_value *v = NULL;
    int rc = dltc_doc_new(&d);
    if (!rc && config && *config && (rc = dltc_doc_parse_json(d, config, strlen(config), &v)))
        dltc__error_prefix("auth config: ");
    if (!rc && v && v->type != DLTC_TYPE_OBJECT)
        rc = dltc__error_set(DLTC_EINVALID, "auth config must be a JSON object");
    const dltc_value *t = v ? dltc_object_get(v, "type") : NULL;
    const char *type = t && t->type == DLTC_TYPE_STRING ? t->u.s : "bearer";
    const char *vals[8] = {0};
    if (rc) {
    } else if (strcmp(type, "bearer") == 0) {
        static const field_def f[] = {{"token", 1, 0}};
        if (!(rc = fields_resolve(v, f, 1, vals, cfg, sections, "BearerTokenAuth")))
            rc = dltc_auth_bearer(out, vals[0]);
    } else if (strcmp(type, "api_key") == 0) {
        static const field_def f[] = {{"api_key", 1, 0}, {"name", 0, 1}, {"location", 0, 1}};
        if (!(rc = fields_resolve(v, f, 3, vals, cfg, sections, "APIKeyAuth")))
            rc = dltc_auth_api_key(out, vals[1], vals[0], vals[2]);
    } else if (strcmp(type, "http_basic") == 0) {
        static const field_def f[] = {{"username", 0, 0}, {"password", 1, 0}};
        if (!(rc = fields_resolve(v, f, 2, vals, cfg, sections, "HttpBasicAuth")))
            rc = dltc_auth_basic(out, vals[0], vals[1]);
    } else if (strcmp(type, "oauth2_client_credentials") == 0) {
        static const field_def f[] = {{"access_token_url", 0, 0},
                                      {"client_id", 0, 0},
                                      {"client_secret", 1, 0}};
        if (!(rc = fields_resolve(v, f, 3, vals, cfg, sections, "OAuth2ClientCredentials"))) {
            dltc_oauth2_options o = DLTC_OAUTH2_OPTIONS_INIT;
            o.access_token_url = vals[0];
            o.client_id = vals[1];
            o.client_secret = vals[2];
            const dltc_value *x = dltc_object_get(v, "access_token_request_data");
            char *extra = NULL;
            if (x && x->type == DLTC_TYPE_OBJECT)
                rc = dltc_value_to_json(&extra, NULL, x);
            o.access_token_request_data = extra;
            const dltc_value *e = dltc_object_get(v, "default_token_expiration");
            if (e && e->type == DLTC_TYPE_INT)
                o.default_token_expiration = e->u.i;
            const dltc_value *at = dltc_object_get(v, "access_token");
            if (at && at->type == DLTC_TYPE_STRING)
                o.access_token = at->u.s;
            if (!rc)
                rc = dltc_auth_oauth2_client_credentials(out, &o);
            dltc_free(extra);
        }
    } else {
        rc = dltc__error_set(DLTC_EINVALID,
                             "auth type '%s' is not bearer, api_key, http_basic or "
                             "oauth2_client_credentials",
                             type);
    }
    dltc_doc_free(d);
    return rc;
}
