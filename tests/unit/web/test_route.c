/* The dashboard's request checks (src/web/server.c): paths, Host, Origin, the token, strict
 * integers, the route table, and the answers of dltc__web_handle that need no pipeline. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "web/web.h"

static void paths(void **state)
{
    (void)state;
    assert_int_equal(dltc__web_path_check("/"), 0);
    assert_int_equal(dltc__web_path_check("/app.js"), 0);
    assert_int_equal(dltc__web_path_check("/api/table"), 0);
    assert_int_equal(dltc__web_path_check("/../etc/passwd"), 404);
    assert_int_equal(dltc__web_path_check("/a/../b"), 404);
    assert_int_equal(dltc__web_path_check("/a/.."), 404);
    assert_int_equal(dltc__web_path_check("/./app.js"), 404);
    assert_int_equal(dltc__web_path_check("//etc/passwd"), 404);
    assert_int_equal(dltc__web_path_check("/a//b"), 404);
    assert_int_equal(dltc__web_path_check("/..."), 0); /* just a name: not in the table */
    assert_int_equal(dltc__web_path_check("etc/passwd"), 400);
    assert_int_equal(dltc__web_path_check("http://x/etc/passwd"), 400);
    assert_int_equal(dltc__web_path_check(""), 400);
    assert_int_equal(dltc__web_path_check(NULL), 400);
    assert_int_equal(dltc__web_path_check("/%00"), 400);
    assert_int_equal(dltc__web_path_check("/a\\..\\b"), 400);
    assert_int_equal(dltc__web_path_check("/a\x01"), 400);
    assert_int_equal(dltc__web_path_check("/a\x7f"), 400);
    char longp[DLTC_WEB_PATH_MAX + 2];
    memset(longp, 'a', sizeof(longp));
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(dltc__web_path_check(longp), 400);
    longp[DLTC_WEB_PATH_MAX] = '\0';
    assert_int_equal(dltc__web_path_check(longp), 0);
}

static void routes(void **state)
{
    (void)state;
    const dltc__web_route *r = dltc__web_route_find("/");
    assert_non_null(r);
    assert_int_equal(r->kind, DLTC_WEB_R_ASSET);
    assert_string_equal(r->asset, "index.html");
    r = dltc__web_route_find("/api/query");
    assert_non_null(r);
    assert_string_equal(r->method, "POST");
    assert_string_equal(dltc__web_route_find("/api/table")->method, "GET");
    assert_null(dltc__web_route_find("/api/table/"));
    assert_null(dltc__web_route_find("/APP.JS"));
    assert_null(dltc__web_route_find("/etc/passwd"));
    assert_null(dltc__web_route_find("/assets/app.js"));
    /* every asset route has its asset embedded */
    const char *assets[] = {"index.html", "app.css", "app.js", "favicon.svg"};
    for (size_t i = 0; i < 4; i++) {
        int found = 0;
        for (size_t k = 0; k < dltc__web_asset_count; k++)
            if (!strcmp(dltc__web_assets[k].name, assets[i]) && dltc__web_assets[k].len > 0)
                found = 1;
        assert_true(found);
    }
}

static void hosts(void **state)
{
    (void)state;
    assert_true(dltc__web_host_ok("127.0.0.1:8501", 8501));
    assert_true(dltc__web_host_ok("localhost:8501", 8501));
    assert_true(dltc__web_host_ok("LocalHost:8501", 8501));
    assert_false(dltc__web_host_ok("127.0.0.1", 8501));
    assert_false(dltc__web_host_ok("127.0.0.1:85011", 8501));
    assert_false(dltc__web_host_ok("127.0.0.1:850", 8501));
    assert_false(dltc__web_host_ok("127.0.0.1:08501", 8501));
    assert_false(dltc__web_host_ok("evil.example:8501", 8501));
    assert_false(dltc__web_host_ok("localhost.evil.example:8501", 8501));
    assert_false(dltc__web_host_ok("127.0.0.1:8501 ", 8501));
    assert_false(dltc__web_host_ok("127.0.0.1:8501@evil", 8501));
    assert_false(dltc__web_host_ok("", 8501));
    assert_false(dltc__web_host_ok(NULL, 8501));
    assert_true(dltc__web_origin_ok(NULL, 8501));
    assert_true(dltc__web_origin_ok("http://127.0.0.1:8501", 8501));
    assert_true(dltc__web_origin_ok("http://localhost:8501", 8501));
    assert_false(dltc__web_origin_ok("https://127.0.0.1:8501", 8501));
    assert_false(dltc__web_origin_ok("http://evil.example", 8501));
    assert_false(dltc__web_origin_ok("null", 8501));
    assert_false(dltc__web_origin_ok("http://127.0.0.1:8501/", 8501));
}

static void tokens(void **state)
{
    (void)state;
    const char *t = "0123456789abcdef0123456789abcdef";
    assert_true(dltc__web_token_ok(t, 8501, t, NULL));
    assert_false(dltc__web_token_ok(t, 8501, "0123456789abcdef0123456789abcdee", NULL));
    assert_false(dltc__web_token_ok(t, 8501, "0123456789abcdef", NULL));
    assert_false(dltc__web_token_ok(t, 8501, "", NULL));
    assert_false(dltc__web_token_ok(t, 8501, NULL, NULL));
    assert_false(dltc__web_token_ok("", 8501, "", NULL));
    assert_true(dltc__web_token_ok(t, 8501, NULL, "dltc_token_8501=0123456789abcdef0123456789abcdef"));
    assert_true(dltc__web_token_ok(t, 8501, NULL,
                                   "a=1; dltc_token_8501=0123456789abcdef0123456789abcdef; b=2"));
    assert_false(dltc__web_token_ok(t, 8501, NULL, "dltc_token_8502=0123456789abcdef0123456789abcdef"));
    assert_false(dltc__web_token_ok(t, 8501, NULL, "xdltc_token_8501=0123456789abcdef0123456789abcdef"));
    assert_false(dltc__web_token_ok(t, 8501, NULL, "dltc_token_8501=0123456789abcdef0123456789abcdefX"));
    assert_false(dltc__web_token_ok(t, 8501, NULL, "dltc_token_8501="));
    assert_false(dltc__web_token_ok(t, 8501, "wrong", "dltc_token_8501=wrong"));
}

static void integers(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(dltc__web_parse_uint("0", 1000, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(dltc__web_parse_uint("1000", 1000, &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(dltc__web_parse_uint("1001", 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint("-1", 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint("+1", 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint(" 1", 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint("1 ", 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint("1e3", 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint("0x10", 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint("", 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint(NULL, 1000, &v), -1);
    assert_int_equal(dltc__web_parse_uint("99999999999999999999", UINT64_MAX, &v), -1);
    assert_int_equal(dltc__web_parse_uint("1000000000000000000", UINT64_MAX, &v), 0);
    assert_int_equal(v, 1000000000000000000ull);
}

/* Answers that are decided before any pipeline is touched. */
static int answer(dltc__web_app *app, const char *method, const char *path, const char *host,
                  const char *origin, const char *token, dltc__web_response *rs)
{
    dltc__web_request rq = {0};
    rq.method = method;
    rq.path = path;
    rq.host = host;
    rq.origin = origin;
    rq.token = token;
    dltc__web_handle(app, &rq, rs);
    return rs->status;
}

static void handle(void **state)
{
    (void)state;
    dltc__web_app app;
    assert_int_equal(dltc__web_app_init(&app, NULL, 8501, 0), 0);
    assert_int_equal(strlen(app.token), DLTC_WEB_TOKEN_LEN);
    assert_int_equal(strspn(app.token, "0123456789abcdef"), DLTC_WEB_TOKEN_LEN);
    dltc__web_app other;
    assert_int_equal(dltc__web_app_init(&other, NULL, 8501, 0), 0);
    assert_string_not_equal(app.token, other.token);
    assert_int_equal(app.max_query_rows, 1000);
    const char *h = "127.0.0.1:8501";
    dltc__web_response rs;
    struct {
        const char *method, *path, *host, *origin;
        int token, status;
    } cases[] = {
        {"GET", "/", h, NULL, 0, 200},
        {"GET", "/app.js", "localhost:8501", NULL, 0, 200},
        {"GET", "/", "evil.example:8501", NULL, 1, 421},
        {"GET", "/api/overview", "evil.example", NULL, 1, 421},
        {"GET", "/api/overview", NULL, NULL, 1, 421},
        {"GET", "/api/overview", h, NULL, 0, 403},
        {"GET", "/../etc/passwd", h, NULL, 1, 404},
        {"GET", "/etc/passwd", h, NULL, 1, 404},
        {"GET", "/%00", h, NULL, 1, 400},
        {"POST", "/api/overview", h, NULL, 1, 405},
        {"PUT", "/api/query", h, NULL, 1, 405},
        {"GET", "/api/query", h, NULL, 1, 405},
        {"HEAD", "/", h, NULL, 0, 405},
        {"POST", "/api/query", h, "http://evil.example", 1, 403},
        {"GET", "/api/table", h, NULL, 1, 400}, /* no name */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int st = answer(&app, cases[i].method, cases[i].path, cases[i].host, cases[i].origin,
                        cases[i].token ? app.token : NULL, &rs);
        if (st != cases[i].status)
            fail_msg("%s %s (Host %s): %d, expected %d", cases[i].method, cases[i].path,
                     cases[i].host ? cases[i].host : "-", st, cases[i].status);
        if (st >= 400) {
            assert_non_null(strstr((const char *)rs.data, "\"error\""));
            assert_true(rs.api);
        }
        if (st == 405)
            assert_non_null(rs.allow);
        dltc__web_response_free(&rs);
    }
    /* the first page load with the token sets the strict cookie, a wrong token does not */
    dltc__web_request rq = {0};
    rq.method = "GET";
    rq.path = "/";
    rq.host = h;
    rq.query_token = app.token;
    dltc__web_handle(&app, &rq, &rs);
    assert_non_null(strstr(rs.cookie, "HttpOnly"));
    assert_non_null(strstr(rs.cookie, "SameSite=Strict"));
    assert_non_null(strstr(rs.cookie, app.token));
    dltc__web_response_free(&rs);
    rq.query_token = other.token;
    dltc__web_handle(&app, &rq, &rs);
    assert_string_equal(rs.cookie, "");
    dltc__web_response_free(&rs);
    /* a body over the limit */
    rq.method = "POST";
    rq.path = "/api/query";
    rq.token = app.token;
    rq.body_too_large = 1;
    dltc__web_handle(&app, &rq, &rs);
    assert_int_equal(rs.status, 413);
    dltc__web_response_free(&rs);
}

static void headers(void **state)
{
    (void)state;
    int csp = 0, nosniff = 0;
    for (size_t i = 0; dltc__web_headers[i]; i += 2) {
        if (!strcmp(dltc__web_headers[i], "Content-Security-Policy")) {
            csp = 1;
            assert_non_null(strstr(dltc__web_headers[i + 1], "default-src 'self'"));
            assert_null(strstr(dltc__web_headers[i + 1], "unsafe-inline"));
            assert_null(strstr(dltc__web_headers[i + 1], "unsafe-eval"));
        }
        if (!strcmp(dltc__web_headers[i], "X-Content-Type-Options"))
            nosniff = !strcmp(dltc__web_headers[i + 1], "nosniff");
    }
    assert_true(csp);
    assert_true(nosniff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths),   cmocka_unit_test(routes), cmocka_unit_test(hosts),
        cmocka_unit_test(tokens),  cmocka_unit_test(integers), cmocka_unit_test(handle),
        cmocka_unit_test(headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
