/* Internal parts of the dashboard (`dlt pipeline NAME show`), shared by its files:
 *   mhd.c     libmicrohttpd (the only includer of microhttpd.h): the daemon and its loop
 *   server.c  the app: request checks (Host, Origin, token, paths) and the route table
 *   api.c     the JSON answers (overview, schema, table rows, query, loads, trace)
 *   redact.c  secrets out of JSON documents and free text
 *   the embedded page: web_assets.c, generated at build time from src/web/assets/ by
 *   cmake/embed_assets.cmake (setup.py writes the same file)
 * Nothing here reads the filesystem from a request path: assets come from the fixed table. */
#ifndef DLTC_WEB_WEB_H
#define DLTC_WEB_WEB_H

#include "common/buf.h"
#include "formats/value.h"

#include <stddef.h>
#include <stdint.h>

struct dltc_pipeline;

/* ---- embedded assets (web_assets.c) ---- */
typedef struct {
    const char *name; /* "index.html", "app.css", "app.js", "favicon.svg" */
    const unsigned char *data;
    size_t len;
} dltc__web_asset;

extern const dltc__web_asset dltc__web_assets[];
extern const size_t dltc__web_asset_count;

/* ---- the app (server.c) ---- */
#define DLTC_WEB_PATH_MAX 256      /* longer request paths: 400 */
#define DLTC_WEB_BODY_MAX (64 << 10) /* largest POST body (the SQL text): 413 past it */
#define DLTC_WEB_TOKEN_LEN 32      /* hex characters */
#define DLTC_WEB_LIMIT_MAX 1000    /* most rows per table page */

typedef struct {
    struct dltc_pipeline *p;
    unsigned int port;
    size_t max_query_rows;
    char token[DLTC_WEB_TOKEN_LEN + 1];
} dltc__web_app;

/* A request as the app sees it, independent of the HTTP library. Strings may be NULL when
 * the header is absent. `arg` looks up a decoded query argument (NULL when absent). */
typedef struct {
    const char *method;
    const char *path; /* decoded path without the query */
    const char *host;
    const char *origin;
    const char *token;  /* X-Dltc-Token */
    const char *cookie; /* Cookie */
    const char *query_token; /* ?token= (the first page load) */
    const char *(*arg)(void *ctx, const char *name);
    void *arg_ctx;
    const char *body;
    size_t body_len;
    int body_too_large;
} dltc__web_request;

typedef struct {
    int status;
    const char *content_type;
    const unsigned char *data; /* lent (an asset) or body.data */
    size_t len;
    dltc_buf body;             /* owned answer text (dltc__web_response_free) */
    int api;                   /* 1: Cache-Control no-store */
    const char *allow;         /* the Allow header of a 405 */
    char cookie[96];           /* Set-Cookie value, "" for none */
} dltc__web_response;

/* The security headers of every answer (name, value pairs, NULL-terminated). */
extern const char *const dltc__web_headers[];

/* A fresh random token into app->token. 0 or DLTC_EIO. */
int dltc__web_app_init(dltc__web_app *app, struct dltc_pipeline *p, unsigned int port,
                       size_t max_query_rows);
/* Answer one request. Never fails: errors are answers (status + JSON {"error": …}). */
void dltc__web_handle(dltc__web_app *app, const dltc__web_request *rq, dltc__web_response *rs);
void dltc__web_response_free(dltc__web_response *rs);

/* Checks, exposed for the unit tests. */
/* 0 when the path may be looked up; 400 (NUL/control/backslash/'%' or too long, or not
 * starting with '/') or 404 (a "." or ".." segment, "//"). */
int dltc__web_path_check(const char *path);
/* 1 when `host` is exactly 127.0.0.1:PORT or localhost:PORT (case-insensitive name). */
int dltc__web_host_ok(const char *host, unsigned int port);
/* 1 when origin is NULL or http://127.0.0.1:PORT / http://localhost:PORT. */
int dltc__web_origin_ok(const char *origin, unsigned int port);
/* 1 when the header token, or the cookie dltc_token_PORT, equals `expected` (constant time). */
int dltc__web_token_ok(const char *expected, unsigned int port, const char *header,
                       const char *cookie);
/* Strict decimal: digits only, no sign or spaces, at most `max`. 0 or -1. */
int dltc__web_parse_uint(const char *s, uint64_t max, uint64_t *out);

typedef enum {
    DLTC_WEB_R_ASSET,
    DLTC_WEB_R_OVERVIEW,
    DLTC_WEB_R_SCHEMA,
    DLTC_WEB_R_TABLE,
    DLTC_WEB_R_QUERY,
    DLTC_WEB_R_LOADS,
    DLTC_WEB_R_TRACE
} dltc__web_route_kind;

typedef struct {
    const char *path;
    dltc__web_route_kind kind;
    const char *method; /* "GET" or "POST" */
    const char *asset;  /* DLTC_WEB_R_ASSET: the asset's name */
    const char *content_type;
} dltc__web_route;

/* The route of an exact path, or NULL. */
const dltc__web_route *dltc__web_route_find(const char *path);

/* ---- the JSON answers (api.c): each writes a JSON document into `out` and returns the HTTP
 * status (200, or 400/404/500 with {"error": "…"}) ---- */
int dltc__web_api_overview(dltc__web_app *app, dltc_buf *out);
int dltc__web_api_schema(dltc__web_app *app, dltc_buf *out);
/* sort may be NULL; desc 0/1 */
int dltc__web_api_table(dltc__web_app *app, const char *name, uint64_t offset, uint64_t limit,
                        const char *sort, int desc, dltc_buf *out);
int dltc__web_api_query(dltc__web_app *app, const char *sql, size_t len, dltc_buf *out);
int dltc__web_api_loads(dltc__web_app *app, dltc_buf *out);
int dltc__web_api_trace(dltc__web_app *app, dltc_buf *out);
/* {"error": msg} with secrets redacted. Returns `status`. */
int dltc__web_api_error(dltc_buf *out, int status, const char *msg);

/* ---- redaction (redact.c) ---- */
/* 1 when a key names a secret: password, passwd, pwd, secret, token, api_key, apikey,
 * credentials, private_key, access_key, authorization, … (case and separators ignored). */
int dltc__web_secret_key(const char *key, size_t len);
/* Append `s` with secrets replaced by "***": the password of URLs (scheme://user:pw@host),
 * secret query values (?token=…), and `key=value` / `key: value` pairs with a secret key. */
int dltc__web_redact_text(dltc_buf *out, const char *s, size_t len);
/* Redact a value tree in place (new strings in `arena`): members with a secret key become
 * "***", strings are redacted as text. Depth is bounded by the parser's limit. */
int dltc__web_redact_value(dltc_arena *arena, dltc_value *v);
/* Parse a JSON document, redact it and append it compactly to `out`. DLTC_EPARSE for bad
 * JSON (nothing appended). */
int dltc__web_redact_json(dltc_buf *out, const char *json, size_t len);

#endif
