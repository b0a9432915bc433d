/*
 * The dashboard app: which requests are answered, and how.
 *
 * Order of the checks, each failing closed: the Host header (DNS rebinding: a page of another
 * site that resolves its name to 127.0.0.1 gets 421), the path's shape (400/404), the route
 * table (404: there is no other way to reach anything), the method (405), the Origin header
 * (403: a cross-site form post), then for the API the session token (403). The assets are
 * the page itself and hold no data; every API answer needs the token.
 */
#include "web/web.h"
#include "common/error.h"
#include "common/hash.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const dltc__web_headers[] = {
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options", "nosniff",
    "X-Frame-Options", "DENY",
    "Referrer-Policy", "no-referrer",
    "Cross-Origin-Opener-Policy", "same-origin",
    "Cross-Origin-Resource-Policy", "same-origin",
    NULL};

static const dltc__web_route ROUTES[] = {
    {"/", DLTC_WEB_R_ASSET, "GET", "index.html", "text/html; charset=utf-8"},
    {"/index.html", DLTC_WEB_R_ASSET, "GET", "index.html", "text/html; charset=utf-8"},
    {"/app.css", DLTC_WEB_R_ASSET, "GET", "app.css", "text/css; charset=utf-8"},
    {"/app.js", DLTC_WEB_R_ASSET, "GET", "app.js", "text/javascript; charset=utf-8"},
    {"/favicon.svg", DLTC_WEB_R_ASSET, "GET", "favicon.svg", "image/svg+xml"},
    {"/favicon.ico", DLTC_WEB_R_ASSET, "GET", "favicon.svg", "image/svg+xml"},
    {"/api/overview", DLTC_WEB_R_OVERVIEW, "GET", NULL, NULL},
    {"/api/schema", DLTC_WEB_R_SCHEMA, "GET", NULL, NULL},
    {"/api/table", DLTC_WEB_R_TABLE, "GET", NULL, NULL},
    {"/api/query", DLTC_WEB_R_QUERY, "POST", NULL, NULL},
    {"/api/loads", DLTC_WEB_R_LOADS, "GET", NULL, NULL},
    {"/api/trace", DLTC_WEB_R_TRACE, "GET", NULL, NULL},
};

const dltc__web_route *dltc__web_route_find(const char *path)
{
    for (size_t i = 0; i < sizeof(ROUTES) / sizeof(ROUTES[0]); i++)
        if (!strcmp(ROUTES[i].path, path))
            return &ROUTES[i];
    return NULL;
}

int dltc__web_path_check(const char *path)
{
    if (!path || path[0] != '/')
        return 400;
    size_t n = strnlen(path, DLTC_WEB_PATH_MAX + 1);
    if (n > DLTC_WEB_PATH_MAX)
        return 400;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        /* '%': an escape the decoder kept (%00, malformed): never a path of ours */
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '%')
            return 400;
    }
    /* segments: no ".", "..", or empty ones inside ("//") */
    const char *s = path + 1;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
            return 404;
        if (len == 0 && e)
            return 404;
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

static int name_port_ok(const char *s, size_t len, unsigned int port)
{
    char want[16];
    int n = snprintf(want, sizeof(want), "%u", port);
    return n > 0 && (size_t)n == len && !memcmp(s, want, len);
}

int dltc__web_host_ok(const char *host, unsigned int port)
{
    if (!host)
        return 0;
    static const char *const names[] = {"127.0.0.1:", "localhost:"};
    for (size_t i = 0; i < 2; i++) {
        size_t l = strlen(names[i]);
        if (!strncasecmp(host, names[i], l) && name_port_ok(host + l, strlen(host + l), port))
            return 1;
    }
    return 0;
}

int dltc__web_origin_ok(const char *origin, unsigned int port)
{
    if (!origin)
        return 1;
    if (strncasecmp(origin, "http://", 7))
        return 0;
    return dltc__web_host_ok(origin + 7, port);
}

/* a[0..alen) == b[0..blen), in a time that does not depend on where they differ */
static int const_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    unsigned char d = 0;
    for (size_t i = 0; i < blen; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int dltc__web_token_ok(const char *expected, unsigned int port, const char *header,
                       const char *cookie)
{
    size_t elen = strlen(expected);
    if (!elen)
        return 0;
    if (header && const_eq(header, strlen(header), expected, elen))
        return 1;
    if (!cookie)
        return 0;
    char name[32];
    int nl = snprintf(name, sizeof(name), "dltc_token_%u=", port);
    /* Cookie: a=1; dltc_token_8501=…; b=2 */
    const char *c = cookie;
    while (*c) {
        while (*c == ' ' || *c == ';')
            c++;
        const char *end = strchr(c, ';');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if (nl > 0 && len > (size_t)nl && !strncmp(c, name, (size_t)nl) &&
            const_eq(c + nl, len - (size_t)nl, expected, elen))
            return 1;
        if (!end)
            break;
        c = end;
    }
    return 0;
}

int dltc__web_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || strlen(s) > 19)
        return -1;
    uint64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int dltc__web_app_init(dltc__web_app *app, struct dltc_pipeline *p, unsigned int port,
                       size_t max_query_rows)
{
    memset(app, 0, sizeof(*app));
    app->p = p;
    app->port = port;
    app->max_query_rows = max_query_rows ? max_query_rows : 1000;
    unsigned char raw[DLTC_WEB_TOKEN_LEN / 2];
    int rc = dltc__random_bytes(raw, sizeof(raw));
    if (rc)
        return rc;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(raw); i++) {
        app->token[2 * i] = hex[raw[i] >> 4];
        app->token[2 * i + 1] = hex[raw[i] & 15];
    }
    app->token[DLTC_WEB_TOKEN_LEN] = '\0';
    return 0;
}

static void answer_error(dltc__web_response *rs, int status, const char *msg)
{
    dltc__buf_clear(&rs->body);
    rs->status = dltc__web_api_error(&rs->body, status, msg);
    rs->content_type = "application/json; charset=utf-8";
    rs->api = 1;
    rs->data = (const unsigned char *)(rs->body.data ? rs->body.data : "");
    rs->len = rs->body.len;
}

static const dltc__web_asset *asset_named(const char *name)
{
    for (size_t i = 0; i < dltc__web_asset_count; i++)
        if (!strcmp(dltc__web_assets[i].name, name))
            return &dltc__web_assets[i];
    return NULL;
}

static void answer_table(dltc__web_app *app, const dltc__web_request *rq,
                         dltc__web_response *rs)
{
    const char *name = rq->arg ? rq->arg(rq->arg_ctx, "name") : NULL;
    const char *off = rq->arg ? rq->arg(rq->arg_ctx, "offset") : NULL;
    const char *lim = rq->arg ? rq->arg(rq->arg_ctx, "limit") : NULL;
    const char *sort = rq->arg ? rq->arg(rq->arg_ctx, "sort") : NULL;
    const char *dir = rq->arg ? rq->arg(rq->arg_ctx, "dir") : NULL;
    uint64_t offset = 0, limit = 50;
    if (!name || !*name)
        return answer_error(rs, 400, "table: the parameter name is required");
    if (off && dltc__web_parse_uint(off, (uint64_t)1 << 48, &offset))
        return answer_error(rs, 400, "table: offset must be a non-negative integer");
    if (lim && (dltc__web_parse_uint(lim, DLTC_WEB_LIMIT_MAX, &limit) || limit == 0))
        return answer_error(rs, 400, "table: limit must be an integer from 1 to 1000");
    if (dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
        return answer_error(rs, 400, "table: dir must be asc or desc");
    if (sort && !*sort)
        sort = NULL;
    rs->status = dltc__web_api_table(app, name, offset, limit, sort, dir && !strcmp(dir, "desc"),
                                     &rs->body);
}

void dltc__web_handle(dltc__web_app *app, const dltc__web_request *rq, dltc__web_response *rs)
{
    memset(rs, 0, sizeof(*rs));
    if (!dltc__web_host_ok(rq->host, app->port))
        return answer_error(rs, 421, "the Host header must be 127.0.0.1 or localhost with the "
                                     "dashboard's port");
    int bad = dltc__web_path_check(rq->path);
    if (bad)
        return answer_error(rs, bad, bad == 404 ? "not found" : "bad request path");
    const dltc__web_route *r = dltc__web_route_find(rq->path);
    if (!r)
        return answer_error(rs, 404, "not found");
    if (!rq->method || strcmp(rq->method, r->method)) {
        answer_error(rs, 405, "method not allowed");
        rs->allow = r->method;
        return;
    }
    if (!dltc__web_origin_ok(rq->origin, app->port))
        return answer_error(rs, 403, "cross-origin request refused");
    if (rq->body_too_large)
        return answer_error(rs, 413, "request body too large");
    if (r->kind == DLTC_WEB_R_ASSET) {
        const dltc__web_asset *a = asset_named(r->asset);
        if (!a)
            return answer_error(rs, 404, "not found");
        rs->status = 200;
        rs->content_type = r->content_type;
        rs->data = a->data;
        rs->len = a->len;
        /* the first page load carries the token: remember it in a strict cookie */
        if (rq->query_token && dltc__web_token_ok(app->token, app->port, rq->query_token, NULL))
            snprintf(rs->cookie, sizeof(rs->cookie),
                     "dltc_token_%u=%s; Path=/; HttpOnly; SameSite=Strict", app->port,
                     app->token);
        return;
    }
    if (!dltc__web_token_ok(app->token, app->port, rq->token, rq->cookie))
        return answer_error(rs, 403, "missing or wrong session token (open the URL that "
                                     "`dlt pipeline NAME show` printed)");
    rs->api = 1;
    rs->content_type = "application/json; charset=utf-8";
    switch (r->kind) {
    case DLTC_WEB_R_OVERVIEW: rs->status = dltc__web_api_overview(app, &rs->body); break;
    case DLTC_WEB_R_SCHEMA: rs->status = dltc__web_api_schema(app, &rs->body); break;
    case DLTC_WEB_R_TABLE: answer_table(app, rq, rs); break;
    case DLTC_WEB_R_QUERY:
        rs->status = dltc__web_api_query(app, rq->body ? rq->body : "", rq->body_len, &rs->body);
        break;
    case DLTC_WEB_R_LOADS: rs->status = dltc__web_api_loads(app, &rs->body); break;
    case DLTC_WEB_R_TRACE: rs->status = dltc__web_api_trace(app, &rs->body); break;
    default: answer_error(rs, 404, "not found"); break;
    }
    if (!rs->body.data) {
        answer_error(rs, 500, "out of memory");
        return;
    }
    /* the last line of defence: every secret the process resolved */
    dltc__secret_scrub(rs->body.data);
    rs->body.len = strlen(rs->body.data);
    rs->data = (const unsigned char *)rs->body.data;
    rs->len = rs->body.len;
}

void dltc__web_response_free(dltc__web_response *rs)
{
    dltc__buf_free(&rs->body);
}
