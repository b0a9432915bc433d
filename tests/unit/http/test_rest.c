/* The REST client against the in-process test server: URL joining, header merging, paginate
 * with explicit and detected paginators, data selectors, every auth type (OAuth2 with a token
 * refresh), runtime.request_* from config, error bodies, secrets masked, and fault injection
 * (429, 500, dropped and truncated bodies, a slow server) — with a pipeline run that fails
 * whole and loads nothing of a page that never arrived, then a rerun that loads each row once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dltc/dltc.h"
#include "dltc/rest.h"
#include "http_server.h"
#include "testutil.h"

static ts_http_server *srv;
static char base[128];

static int setup(void **state)
{
    (void)state;
    srv = ts_http_server_start();
    if (!srv)
        return -1;
    ts_http_server_url(srv, "", base, sizeof base);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_http_server_stop(srv);
    return 0;
}

/* fast retries (10, 20, 40 ms), short timeout */
static dltc_rest_client *client(dltc_auth *auth, dltc_paginator *pag, int attempts)
{
    dltc_http_options h = DLTC_HTTP_OPTIONS_INIT;
    h.backoff_factor = 0.01;
    h.max_attempts = attempts;
    h.timeout = 1;
    static const dltc_http_pair hs[] = {{"X-Client", "c"}, {"Accept", "text/plain"}};
    dltc_rest_client_options o = DLTC_REST_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    o.headers = hs;
    o.n_headers = 2;
    o.auth = auth;
    o.paginator = pag;
    o.http = &h;
    dltc_rest_client *c = NULL;
    if (dltc_rest_client_new(&c, &o))
        fail_msg("client: %s", dltc_error_last()->message);
    return c;
}

/* All items of a paginate run as one JSON text; rc of the last next(). */
static int collect(dltc_rest_pages *pg, char *out, size_t size, size_t *pages)
{
    size_t used = 0;
    out[0] = '\0';
    const dltc_value *items;
    int rc;
    while ((rc = dltc_rest_pages_next(pg, &items)) == 0) {
        char *j = NULL;
        assert_int_equal(dltc_value_to_json(&j, NULL, items), 0);
        used += (size_t)snprintf(out + used, size - used, "%s", j);
        dltc_free(j);
    }
    if (pages)
        *pages = dltc_rest_pages_count(pg);
    return rc;
}

static void test_join_headers_and_echo(void **state)
{
    (void)state;
    dltc_rest_client *c = client(NULL, NULL, 1);
    dltc_http_pair params[] = {{"q", "a b"}};
    dltc_http_pair hs[] = {{"accept", "application/json"}};
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = "/echo";
    o.params = params;
    o.n_params = 1;
    o.headers = hs;
    o.n_headers = 1;
    dltc_http_response *r;
    assert_int_equal(dltc_rest_request_send(&r, c, &o), 0);
    const char *b = dltc_http_response_body(r, NULL);
    assert_non_null(strstr(b, "PATH /echo\n"));
    assert_non_null(strstr(b, "ARG q=a b\n"));
    assert_non_null(strstr(b, "HEADER X-Client: c\n"));
    assert_non_null(strstr(b, "HEADER accept: application/json\n"));
    assert_null(strstr(b, "text/plain")); /* the request's header wins */
    assert_non_null(strstr(b, "User-Agent: dltc/"));
    dltc_http_response_free(r);
    dltc_rest_client_free(c);
}

/* Three pages linked with Link headers, detected (header_link), items at the top level. */
static void test_paginate_detects_header_link(void **state)
{
    (void)state;
    char l1[512], l2[512];
    snprintf(l1, sizeof l1, "Link: <%s/issues?page=2>; rel=\"next\", <%s/issues?page=3>; "
                            "rel=\"last\"", base, base);
    snprintf(l2, sizeof l2, "Link: </issues?page=3>; rel=\"next\"");
    ts_http_reply r[] = {{0, "[{\"id\":1},{\"id\":2}]", l1, 0, 0, 0, 0, 0},
                         {0, "[{\"id\":3}]", l2, 0, 0, 0, 0, 0},
                         {0, "[{\"id\":4}]", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/issues", r, 3);
    dltc_rest_client *c = client(NULL, NULL, 1);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = "issues";
    dltc_rest_pages *pg;
    assert_int_equal(dltc_rest_paginate(&pg, c, &o), 0);
    char out[512];
    size_t pages;
    assert_int_equal(collect(pg, out, sizeof out, &pages), DLTC_ITEROVER);
    assert_string_equal(out, "[{\"id\":1},{\"id\":2}][{\"id\":3}][{\"id\":4}]");
    assert_int_equal(pages, 3);
    assert_string_equal(dltc_paginator_type(dltc_rest_pages_paginator(pg)), "header_link");
    assert_string_equal(dltc_rest_pages_data_selector(pg), "$");
    assert_int_equal(ts_http_server_hits(srv, "/issues"), 3);
    dltc_rest_pages_free(pg);
    dltc_rest_client_free(c);
}

/* A JSON next link and a data selector found by detection. */
static void test_paginate_detects_json_link_and_selector(void **state)
{
    (void)state;
    char p1[512];
    snprintf(p1, sizeof p1,
             "{\"meta\":{\"n\":[1]},\"data\":[{\"id\":1}],\"links\":{\"next\":\"%s/posts?p=2\"}}",
             base);
    ts_http_reply r[] = {{0, p1, NULL, 0, 0, 0, 0, 0},
                         {0, "{\"data\":[{\"id\":2}],\"links\":{\"next\":null}}", NULL, 0, 0, 0,
                          0, 0}};
    ts_http_server_script(srv, "/posts", r, 2);
    dltc_rest_client *c = client(NULL, NULL, 1);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = "/posts";
    dltc_rest_pages *pg;
    assert_int_equal(dltc_rest_paginate(&pg, c, &o), 0);
    char out[512];
    assert_int_equal(collect(pg, out, sizeof out, NULL), DLTC_ITEROVER);
    assert_string_equal(out, "[{\"id\":1}][{\"id\":2}]");
    assert_string_equal(dltc_paginator_type(dltc_rest_pages_paginator(pg)), "json_link");
    assert_string_equal(dltc_rest_pages_data_selector(pg), "data");
    dltc_rest_pages_free(pg);
    dltc_rest_client_free(c);
}

/* An explicit offset paginator sends offset/limit and stops at the total. */
static void test_paginate_offset_explicit(void **state)
{
    (void)state;
    ts_http_reply r[] = {{0, "{\"items\":[{\"i\":0},{\"i\":1}],\"total\":5}", NULL, 0, 0, 0, 1, 0}};
    ts_http_server_script(srv, "/off", r, 1);
    dltc_paginator *p;
    assert_int_equal(dltc_paginator_new(&p, "{\"type\":\"offset\",\"limit\":2}"), 0);
    dltc_rest_client *c = client(NULL, p, 1);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = "/off";
    o.data_selector = "$"; /* the echo body is not JSON: check the requests instead */
    dltc_rest_pages *pg;
    assert_int_equal(dltc_rest_paginate(&pg, c, &o), 0);
    const dltc_value *items;
    /* echo replies are not JSON: the page fails clearly, naming the URL */
    assert_int_equal(dltc_rest_pages_next(pg, &items), DLTC_EPARSE);
    assert_non_null(strstr(dltc_error_last()->message, "/off?offset=0&limit=2: the response "
                                                        "is not JSON"));
    assert_int_equal(dltc_rest_pages_next(pg, &items), DLTC_ITEROVER);
    dltc_rest_pages_free(pg);
    /* now real pages */
    ts_http_reply r2[] = {{0, "{\"items\":[{\"i\":0},{\"i\":1}],\"total\":5}", NULL, 0, 0, 0, 0, 0},
                          {0, "{\"items\":[{\"i\":2},{\"i\":3}],\"total\":5}", NULL, 0, 0, 0, 0, 0},
                          {0, "{\"items\":[{\"i\":4}],\"total\":5}", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/off", r2, 3);
    o.data_selector = NULL;
    assert_int_equal(dltc_rest_paginate(&pg, c, &o), 0);
    char out[512];
    size_t pages;
    assert_int_equal(collect(pg, out, sizeof out, &pages), DLTC_ITEROVER);
    assert_string_equal(out, "[{\"i\":0},{\"i\":1}][{\"i\":2},{\"i\":3}][{\"i\":4}]");
    assert_int_equal(pages, 3);
    dltc_rest_pages_free(pg);
    dltc_rest_client_free(c);
    dltc_paginator_free(p);
}

/* ---- every paginator and every detection step, end to end ---- */

typedef struct {
    const char *name;
    const char *paginator; /* NULL = auto */
    const char *method, *json;
    const char *bodies[5];   /* page replies, NULL-terminated */
    const char *headers[5];  /* per reply */
    const char *items;       /* all pages' items, concatenated */
    const char *requests[5]; /* what the server saw, per request */
    const char *type;        /* the paginator in use at the end */
} pcase;

static const pcase PCASES[] = {
    {"single_page", "single_page", NULL, NULL,
     {"[{\"a\":1}]"}, {"Link: </x?page=2>; rel=\"next\""},
     "[{\"a\":1}]", {"q=1"}, "single_page"},
    {"json_link", "{\"type\":\"json_link\",\"next_url_path\":\"paging.next\"}", NULL, NULL,
     {"{\"data\":[1],\"paging\":{\"next\":\"?page=2&q=1\"}}", "{\"data\":[2],\"paging\":{}}"}, {0},
     "[1][2]", {"q=1", "page=2&q=1"}, "json_link"},
    {"header_link", "{\"type\":\"header_link\",\"links_next_key\":\"more\"}", NULL, NULL,
     {"[1]", "[2]"}, {"Link: <header_link?z=9>; rel=\"more\", <p9>; rel=\"last\""},
     "[1][2]", {"q=1", "z=9"}, "header_link"},
    {"offset_empty_page", "{\"type\":\"offset\",\"limit\":2,\"total_path\":null}", NULL, NULL,
     {"[1,2]", "[3]", "[]"}, {0},
     "[1,2][3][]", {"q=1&offset=0&limit=2", "q=1&offset=2&limit=2", "q=1&offset=4&limit=2"},
     "offset"},
    {"offset_total", "{\"type\":\"offset\",\"limit\":2,\"offset_param\":\"o\",\"limit_param\":\"l\"}",
     NULL, NULL, {"{\"total\":3,\"r\":[1,2]}", "{\"total\":3,\"r\":[3]}"}, {0},
     "[1,2][3]", {"q=1&o=0&l=2", "q=1&o=2&l=2"}, "offset"},
    {"offset_has_more", "{\"type\":\"offset\",\"limit\":1,\"total_path\":null,"
                        "\"stop_after_empty_page\":false,\"has_more_path\":\"more\"}",
     NULL, NULL, {"{\"more\":true,\"r\":[1]}", "{\"more\":\"false\",\"r\":[2]}"}, {0},
     "[1][2]", {"q=1&offset=0&limit=1", "q=1&offset=1&limit=1"}, "offset"},
    {"page_number", "{\"type\":\"page_number\",\"base_page\":1,\"total_path\":\"meta.pages\"}",
     NULL, NULL, {"{\"meta\":{\"pages\":2},\"results\":[1]}", "{\"meta\":{\"pages\":2},\"results\":[2]}"},
     {0}, "[1][2]", {"q=1&page=1", "q=1&page=2"}, "page_number"},
    {"page_number_maximum", "{\"type\":\"page_number\",\"page_param\":\"p\",\"total_path\":null,"
                            "\"maximum_page\":2}",
     NULL, NULL, {"[1]", "[2]", "[3]"}, {0}, "[1][2]", {"q=1&p=0", "q=1&p=1"}, "page_number"},
    {"cursor", "{\"type\":\"cursor\",\"cursor_path\":\"next_cursor\",\"cursor_param\":\"after\"}",
     NULL, NULL, {"{\"items\":[1],\"next_cursor\":\"c2\"}", "{\"items\":[2],\"next_cursor\":null}"},
     {0}, "[1][2]", {"q=1", "q=1&after=c2"}, "cursor"},
    {"cursor_body", "{\"type\":\"cursor\",\"cursor_path\":\"next\",\"cursor_body_path\":\"page.cursor\"}",
     "POST", "{\"query\":\"x\"}",
     {"{\"items\":[1],\"next\":\"c2\"}", "{\"items\":[2]}"}, {0}, "[1][2]",
     {"q=1 BODY {\"query\":\"x\"}", "q=1 BODY {\"query\":\"x\",\"page\":{\"cursor\":\"c2\"}}"},
     "cursor"},
    {"header_cursor", "{\"type\":\"header_cursor\",\"cursor_key\":\"X-Next\",\"cursor_param\":\"c\"}",
     NULL, NULL, {"[1]", "[2]"}, {"X-Next: tok2"}, "[1][2]", {"q=1", "q=1&c=tok2"},
     "header_cursor"},
    {"auto_page_number", NULL, NULL, NULL,
     {"{\"total_pages\":2,\"items\":[1]}", "{\"total_pages\":2,\"items\":[2]}"}, {0},
     "[1][2]", {"q=1", "q=1&page=1"}, "page_number"},
    {"auto_cursor", NULL, NULL, NULL,
     {"{\"data\":[1],\"next_cursor\":\"c2\"}", "{\"data\":[2],\"next_cursor\":null}"}, {0},
     "[1][2]", {"q=1", "q=1&cursor=c2"}, "cursor"},
    {"auto_single_page", NULL, NULL, NULL, {"{\"data\":[1,2],\"count\":2}"}, {0}, "[1,2]",
     {"q=1"}, "single_page"},
};

static void test_every_paginator_against_server(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof PCASES / sizeof PCASES[0]; c++) {
        const pcase *pc = &PCASES[c];
        char path[64];
        snprintf(path, sizeof path, "/pag/%s", pc->name);
        ts_http_reply r[5];
        size_t n = 0;
        for (; n < 5 && pc->bodies[n]; n++) {
            ts_http_reply one = {0, pc->bodies[n], pc->headers[n], 0, 0, 0, 0, 0};
            r[n] = one;
        }
        ts_http_server_script(srv, path, r, n);
        dltc_paginator *p = NULL;
        if (pc->paginator && dltc_paginator_new(&p, pc->paginator))
            fail_msg("%s: %s", pc->name, dltc_error_last()->message);
        dltc_rest_client *cl = client(NULL, p, 1);
        dltc_http_pair params[] = {{"q", "1"}};
        dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
        o.path = path;
        o.params = params;
        o.n_params = 1;
        o.method = pc->method;
        o.json = pc->json;
        dltc_rest_pages *pg;
        assert_int_equal(dltc_rest_paginate(&pg, cl, &o), 0);
        char out[512];
        int rc = collect(pg, out, sizeof out, NULL);
        if (rc != DLTC_ITEROVER)
            fail_msg("%s: %s", pc->name, dltc_error_last()->message);
        if (strcmp(out, pc->items))
            fail_msg("%s: items %s, expected %s", pc->name, out, pc->items);
        size_t want = 0;
        while (want < 5 && pc->requests[want])
            want++;
        if (ts_http_server_hits(srv, path) != want)
            fail_msg("%s: %u requests, expected %zu", pc->name, ts_http_server_hits(srv, path),
                     want);
        for (unsigned k = 0; k < want; k++) {
            char seen[512];
            ts_http_server_request(srv, path, k, seen, sizeof seen);
            if (strcmp(seen, pc->requests[k]))
                fail_msg("%s: request %u was '%s', expected '%s'", pc->name, k, seen,
                         pc->requests[k]);
        }
        assert_string_equal(dltc_paginator_type(dltc_rest_pages_paginator(pg)), pc->type);
        dltc_rest_pages_free(pg);
        dltc_rest_client_free(cl);
        dltc_paginator_free(p);
    }
}

/* A hook that ignores a 404 ends the pages quietly (dlt's IgnoreResponseException). */
static int ignore_404(const dltc_http_response *r, void *payload)
{
    (void)payload;
    return dltc_http_response_status(r) == 404 ? DLTC_REST_HOOK_IGNORE : DLTC_REST_HOOK_CONTINUE;
}

static void test_hook_and_module_paginate(void **state)
{
    (void)state;
    ts_http_reply r[] = {{404, "{}", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/gone", r, 1);
    char url[256];
    snprintf(url, sizeof url, "%s/gone", base);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.response_hook = ignore_404;
    dltc_rest_pages *pg;
    assert_int_equal(dltc_paginate(&pg, url, &o), 0);
    const dltc_value *items;
    assert_int_equal(dltc_rest_pages_next(pg, &items), DLTC_ITEROVER);
    assert_int_equal(dltc_rest_pages_count(pg), 0);
    dltc_rest_pages_free(pg);
    /* without the hook: dlt's HTTPError */
    o.response_hook = NULL;
    assert_int_equal(dltc_paginate(&pg, url, &o), 0);
    assert_int_equal(dltc_rest_pages_next(pg, &items), DLTC_ENETWORK);
    assert_non_null(strstr(dltc_error_last()->message, "404 Client Error: Not Found for url: "));
    dltc_rest_pages_free(pg);
    /* a path with the module-level paginate is a mistake */
    o.path = "x";
    assert_int_equal(dltc_paginate(&pg, url, &o), DLTC_EINVALID);
}

/* dlt's warnings about guessed paginators reach the log handler */
static char last_log[1024];
static int nlogs;

static void capture(int level, const char *message, void *payload)
{
    (void)payload;
    if (level >= DLTC_LOG_WARNING) {
        snprintf(last_log, sizeof last_log, "%s", message);
        nlogs++;
    }
}

static void test_detection_warnings_logged(void **state)
{
    (void)state;
    dltc_log_set_handler(capture, NULL, DLTC_LOG_WARNING);
    ts_http_reply r[] = {{0, "[{\"a\":1}]", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/plain", r, 1);
    dltc_rest_client *c = client(NULL, NULL, 1);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = "/plain?api_key=abc";
    dltc_rest_pages *pg;
    assert_int_equal(dltc_rest_paginate(&pg, c, &o), 0);
    char out[128];
    nlogs = 0;
    assert_int_equal(collect(pg, out, sizeof out, NULL), DLTC_ITEROVER);
    assert_int_equal(nlogs, 1);
    assert_non_null(strstr(last_log, "no paginator detected for "));
    assert_non_null(strstr(last_log, "/plain?api_key=***: it is read as a single page"));
    dltc_rest_pages_free(pg);
    /* a page number guessed from total_pages: half sure */
    ts_http_reply r2[] = {{0, "{\"total_pages\":1,\"items\":[1]}", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/guess", r2, 1);
    o.path = "/guess";
    assert_int_equal(dltc_rest_paginate(&pg, c, &o), 0);
    nlogs = 0;
    assert_int_equal(collect(pg, out, sizeof out, NULL), DLTC_ITEROVER);
    assert_int_equal(nlogs, 1);
    assert_non_null(strstr(last_log, "detected for "));
    assert_non_null(strstr(last_log, "check that it fits the API"));
    dltc_rest_pages_free(pg);
    dltc_rest_client_free(c);
    dltc_log_set_handler(NULL, NULL, DLTC_LOG_WARNING);
}

/* ---- auth ---- */

static char *echo_with(dltc_auth *a, const char *path)
{
    dltc_rest_client *c = client(a, NULL, 1);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = path;
    dltc_http_response *r;
    if (dltc_rest_request_send(&r, c, &o))
        fail_msg("%s", dltc_error_last()->message);
    char *b = strdup(dltc_http_response_body(r, NULL));
    dltc_http_response_free(r);
    dltc_rest_client_free(c);
    return b;
}

static void test_auth_types(void **state)
{
    (void)state;
    dltc_auth *a;
    assert_int_equal(dltc_auth_bearer(&a, "tok-bearer-1"), 0);
    char *b = echo_with(a, "/e1");
    assert_non_null(strstr(b, "HEADER Authorization: Bearer tok-bearer-1\n"));
    free(b);
    dltc_auth_free(a);

    assert_int_equal(dltc_auth_api_key(&a, "X-API-Key", "key-in-header", NULL), 0);
    b = echo_with(a, "/e2");
    assert_non_null(strstr(b, "HEADER X-API-Key: key-in-header\n"));
    free(b);
    dltc_auth_free(a);

    assert_int_equal(dltc_auth_api_key(&a, "k", "key-in-query", "query"), 0);
    b = echo_with(a, "/e3");
    assert_non_null(strstr(b, "ARG k=key-in-query\n"));
    free(b);
    dltc_auth_free(a);

    assert_int_equal(dltc_auth_api_key(&a, "session", "key-in-cookie", "cookie"), 0);
    b = echo_with(a, "/e4");
    assert_non_null(strstr(b, "HEADER Cookie: session=key-in-cookie\n"));
    free(b);
    dltc_auth_free(a);

    assert_int_equal(dltc_auth_basic(&a, "user", "pass"), 0);
    b = echo_with(a, "/e5");
    assert_non_null(strstr(b, "HEADER Authorization: Basic dXNlcjpwYXNz\n"));
    free(b);
    dltc_auth_free(a);

    /* dlt's dict config; no type = bearer */
    assert_int_equal(dltc_auth_new(&a, "{\"token\":\"tok-dict-2\"}", NULL, NULL), 0);
    assert_string_equal(dltc_auth_type(a), "bearer");
    dltc_auth_free(a);
    assert_int_equal(dltc_auth_new(&a, "{\"type\":\"api_key\",\"location\":\"nowhere\","
                                       "\"api_key\":\"abcd\"}", NULL, NULL),
                     DLTC_EINVALID);
    assert_int_equal(dltc_auth_new(&a, "{\"type\":\"http_basic\",\"username\":\"u\"}", NULL,
                                   NULL),
                     DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "password"));
}

static void test_auth_from_config(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char dot[4200], path[4300];
    snprintf(dot, sizeof dot, "%s/.dlt", dir);
    mkdir(dot, 0700);
    snprintf(path, sizeof path, "%s/secrets.toml", dot);
    const char *toml = "[sources.api.credentials]\ntoken = \"from-secrets-toml\"\n";
    assert_int_equal(tu_write_file(path, toml, strlen(toml)), 0);
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.run_dir = dir;
    co.global_dir = dir;
    dltc_config *cfg;
    assert_int_equal(dltc_config_open(&cfg, &co), 0);
    const char *secs[] = {"sources", "api", NULL};
    dltc_auth *a;
    assert_int_equal(dltc_auth_new(&a, "{\"type\":\"bearer\"}", cfg, secs), 0);
    char *b = echo_with(a, "/e6");
    assert_non_null(strstr(b, "HEADER Authorization: Bearer from-secrets-toml\n"));
    free(b);
    dltc_auth_free(a);
    dltc_config_free(cfg);
    tu_rmrf(dir);
    free(dir);
}

/* OAuth2 client credentials: the token is fetched before the first request, sent as Bearer,
 * and fetched again once expired. */
static void test_oauth2_fetch_and_refresh(void **state)
{
    (void)state;
    ts_http_reply tok[] = {
        {0, "{\"access_token\":\"oauth-tok-1\",\"expires_in\":1}", NULL, 0, 0, 0, 0, 0},
        {0, "{\"access_token\":\"oauth-tok-2\",\"expires_in\":3600}", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/token", tok, 2);
    char url[256];
    snprintf(url, sizeof url, "%s/token", base);
    dltc_oauth2_options o = DLTC_OAUTH2_OPTIONS_INIT;
    o.access_token_url = url;
    o.client_id = "cid";
    o.client_secret = "client-s3cret";
    o.access_token_request_data = "{\"scope\":\"read all\",\"n\":1}";
    dltc_auth *a;
    assert_int_equal(dltc_auth_oauth2_client_credentials(&a, &o), 0);
    char *b = echo_with(a, "/o1");
    assert_non_null(strstr(b, "HEADER Authorization: Bearer oauth-tok-1\n"));
    free(b);
    b = echo_with(a, "/o1");
    assert_non_null(strstr(b, "Bearer oauth-tok-1\n")); /* still valid */
    free(b);
    assert_int_equal(ts_http_server_hits(srv, "/token"), 1);
    sleep(1);
    b = echo_with(a, "/o1");
    assert_non_null(strstr(b, "HEADER Authorization: Bearer oauth-tok-2\n"));
    free(b);
    assert_int_equal(ts_http_server_hits(srv, "/token"), 2);
    dltc_auth_free(a);

    /* the token request's form, seen through an echo */
    snprintf(url, sizeof url, "%s/token-echo", base);
    o.access_token_url = url;
    assert_int_equal(dltc_auth_oauth2_client_credentials(&a, &o), 0);
    dltc_rest_client *c = client(a, NULL, 1);
    dltc_rest_paginate_options po = DLTC_REST_PAGINATE_OPTIONS_INIT;
    po.path = "/o2";
    dltc_http_response *r;
    assert_int_not_equal(dltc_rest_request_send(&r, c, &po), 0); /* the echo is no JSON */
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "oauth2 token request to "));
    assert_null(strstr(m, "client-s3cret"));
    dltc_rest_client_free(c);
    dltc_auth_free(a);
}

/* ---- config, errors, secrets ---- */

static void test_runtime_config(void **state)
{
    (void)state;
    setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2", 1);
    setenv("RUNTIME__REQUEST_TIMEOUT", "3.5", 1);
    setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0", 1);
    setenv("RUNTIME__HTTP_SHOW_ERROR_BODY", "true", 1);
    dltc_rest_client_options o = DLTC_REST_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    dltc_rest_client *c;
    assert_int_equal(dltc_rest_client_new(&c, &o), 0);
    const dltc_http_options *h = dltc_rest_client_http_options(c);
    assert_int_equal(h->max_attempts, 2);
    assert_true(h->timeout == 3.5);
    assert_true(h->backoff_factor == 0);
    assert_int_equal(h->show_error_body, 1);
    assert_int_equal(h->max_error_body_length, 8192);
    /* a 500 is retried twice, then fails with dlt's text and the body */
    ts_http_reply r[] = {{500, "{\"message\":\"boom\"}", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/fail", r, 1);
    dltc_rest_paginate_options po = DLTC_REST_PAGINATE_OPTIONS_INIT;
    po.path = "/fail";
    dltc_rest_pages *pg;
    assert_int_equal(dltc_rest_paginate(&pg, c, &po), 0);
    const dltc_value *items;
    assert_int_equal(dltc_rest_pages_next(pg, &items), DLTC_ENETWORK);
    assert_non_null(strstr(dltc_error_last()->message, "500 Server Error: Internal Server Error "
                                                        "for url: "));
    assert_non_null(strstr(dltc_error_last()->message, "/fail (after 2 attempts) Response: "
                                                        "{\"message\":\"boom\"}"));
    assert_int_equal(ts_http_server_hits(srv, "/fail"), 2);
    dltc_rest_pages_free(pg);
    dltc_rest_client_free(c);
    unsetenv("RUNTIME__REQUEST_MAX_ATTEMPTS");
    unsetenv("RUNTIME__REQUEST_TIMEOUT");
    unsetenv("RUNTIME__REQUEST_BACKOFF_FACTOR");
    unsetenv("RUNTIME__HTTP_SHOW_ERROR_BODY");
}

static void test_secrets_never_in_errors(void **state)
{
    (void)state;
    ts_http_reply r[] = {{404, "not here", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/missing", r, 1);
    dltc_auth *a;
    /* a query key under a name no redaction list knows */
    assert_int_equal(dltc_auth_api_key(&a, "q1", "zz-very-secret-zz", "query"), 0);
    dltc_rest_client *c = client(a, NULL, 1);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = "/missing";
    dltc_http_response *resp;
    assert_int_equal(dltc_rest_request_send(&resp, c, &o), DLTC_ENETWORK);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "404 Client Error: Not Found for url: "));
    assert_non_null(strstr(m, "/missing?q1=***"));
    assert_null(strstr(m, "zz-very-secret-zz"));
    dltc_rest_client_free(c);
    dltc_auth_free(a);
}

/* ---- faults ---- */

static void test_faults_retried(void **state)
{
    (void)state;
    char l1[512];
    snprintf(l1, sizeof l1, "Link: <%s/f?page=2>; rel=\"next\"", base);
    /* page 1: 429 with Retry-After 0, then fine; page 2: a dropped body, a truncated gzip
     * stream, a 503, then fine */
    ts_http_reply r[] = {{429, "slow down", "Retry-After: 0", 0, 0, 0, 0, 0},
                         {0, "[{\"id\":1}]", l1, 0, 0, 0, 0, 0},
                         {0, "[{\"id\":2},{\"id\":3}]", NULL, TS_FAULT_DROP, 0, 0, 0, 0},
                         {0, "[{\"id\":2},{\"id\":3}]", NULL, TS_FAULT_GZIP_TRUNCATED, 0, 0, 0, 0},
                         {503, "", NULL, 0, 0, 0, 0, 0},
                         {0, "[{\"id\":2},{\"id\":3}]", NULL, 0, 0, 1, 0, 0}};
    ts_http_server_script(srv, "/f", r, 6);
    dltc_rest_client *c = client(NULL, NULL, 5);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = "/f";
    dltc_rest_pages *pg;
    assert_int_equal(dltc_rest_paginate(&pg, c, &o), 0);
    char out[256];
    assert_int_equal(collect(pg, out, sizeof out, NULL), DLTC_ITEROVER);
    assert_string_equal(out, "[{\"id\":1}][{\"id\":2},{\"id\":3}]");
    assert_int_equal(ts_http_server_hits(srv, "/f"), 6);
    dltc_rest_pages_free(pg);
    dltc_rest_client_free(c);
}

static void test_slow_server_times_out(void **state)
{
    (void)state;
    ts_http_reply r[] = {{0, "[]", NULL, 0, 2500, 0, 0, 0}};
    ts_http_server_script(srv, "/slow", r, 1);
    dltc_rest_client *c = client(NULL, NULL, 2);
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.path = "/slow";
    dltc_rest_pages *pg;
    assert_int_equal(dltc_rest_paginate(&pg, c, &o), 0);
    const dltc_value *items;
    assert_int_equal(dltc_rest_pages_next(pg, &items), DLTC_ENETWORK);
    assert_non_null(strstr(dltc_error_last()->message, "/slow: timed out"));
    assert_non_null(strstr(dltc_error_last()->message, "after 2 attempts"));
    dltc_rest_pages_free(pg);
    dltc_rest_client_free(c);
}

/* ---- a pipeline over a paginated API: all or nothing per run ---- */

typedef struct {
    dltc_rest_client *c;
    dltc_rest_pages *pg;
} api_state;

static int api_items(dltc_yield *y, void *payload)
{
    api_state *s = payload;
    if (!s->pg) {
        dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
        o.path = "/rows";
        int rc = dltc_rest_paginate(&s->pg, s->c, &o);
        if (rc)
            return rc;
    }
    const dltc_value *items;
    int rc = dltc_rest_pages_next(s->pg, &items);
    return rc ? rc : dltc_yield_value(y, items);
}

static int run_api(dltc_pipeline *p, dltc_rest_client *c)
{
    api_state s = {c, NULL};
    dltc_source *src;
    dltc_resource *r;
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    ro.primary_key = "id";
    ro.write_disposition = "merge";
    assert_int_equal(dltc_source_new(&src, "api"), 0);
    assert_int_equal(dltc_resource_new(&r, "rows", api_items, &s, &ro), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    int rc = dltc_pipeline_run_source(p, src, NULL);
    dltc_source_free(src);
    dltc_rest_pages_free(s.pg);
    return rc;
}

static long long count_rows(dltc_pipeline *p, const char *sql)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        return -1;
    long long v = dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    dltc_rows_free(rows);
    return v;
}

static void test_pipeline_never_half_a_page(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char pd[4200], db[4200];
    snprintf(pd, sizeof pd, "%s/pipelines", dir);
    snprintf(db, sizeof db, "%s/api.duckdb", dir);
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    po.pipelines_dir = pd;
    po.credentials = db;
    dltc_pipeline *p;
    assert_int_equal(dltc_pipeline_open(&p, "api_pipe", &po), 0);
    char l1[512];
    snprintf(l1, sizeof l1, "Link: <%s/rows?page=2>; rel=\"next\"", base);
    /* page 2 never arrives whole */
    ts_http_reply bad[] = {{0, "[{\"id\":1},{\"id\":2}]", l1, 0, 0, 0, 0, 0},
                           {0, "[{\"id\":3},{\"id\":4}]", NULL, TS_FAULT_DROP, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/rows", bad, 2);
    dltc_rest_client *c = client(NULL, NULL, 3);
    assert_int_not_equal(run_api(p, c), 0);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "/rows?page=2"));
    assert_non_null(strstr(m, "after 3 attempts"));
    /* nothing of the run was loaded: no table, or no rows */
    long long n = count_rows(p, "SELECT count(*) FROM api_pipe_dataset.rows");
    assert_true(n <= 0);
    /* the server recovers: the rerun loads every row once */
    ts_http_reply good[] = {{0, "[{\"id\":1},{\"id\":2}]", l1, 0, 0, 0, 0, 0},
                            {0, "[{\"id\":3},{\"id\":4}]", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(srv, "/rows", good, 2);
    assert_int_equal(run_api(p, c), 0);
    assert_int_equal(count_rows(p, "SELECT count(*) FROM api_pipe_dataset.rows"), 4);
    ts_http_server_script(srv, "/rows", good, 2);
    assert_int_equal(run_api(p, c), 0);
    assert_int_equal(count_rows(p, "SELECT count(DISTINCT id) FROM api_pipe_dataset.rows"), 4);
    assert_int_equal(count_rows(p, "SELECT count(*) FROM api_pipe_dataset.rows"), 4);
    dltc_rest_client_free(c);
    dltc_pipeline_free(p);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_headers_and_echo),
        cmocka_unit_test(test_paginate_detects_header_link),
        cmocka_unit_test(test_paginate_detects_json_link_and_selector),
        cmocka_unit_test(test_paginate_offset_explicit),
        cmocka_unit_test(test_every_paginator_against_server),
        cmocka_unit_test(test_hook_and_module_paginate),
        cmocka_unit_test(test_detection_warnings_logged),
        cmocka_unit_test(test_auth_types),
        cmocka_unit_test(test_auth_from_config),
        cmocka_unit_test(test_oauth2_fetch_and_refresh),
        cmocka_unit_test(test_runtime_config),
        cmocka_unit_test(test_secrets_never_in_errors),
        cmocka_unit_test(test_faults_retried),
        cmocka_unit_test(test_slow_server_times_out),
        cmocka_unit_test(test_pipeline_never_half_a_page),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
