/* The HTTP client against the in-process test server: requests, gzip, connection reuse, dlt's
 * retry rules (statuses, Retry-After, backoff), incomplete bodies, timeouts, TLS, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dltc/http.h"
#include "http/http.h"
#include "http_server.h"

static ts_http_server *srv;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
    (void)state;
    srv = ts_http_server_start();
    return srv ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ts_http_server_stop(srv);
    return 0;
}

/* a client with fast retries: waits of 10, 20, 40 ms */
static dltc_http_client *fast_client(int attempts)
{
    dltc_http_options o = DLTC_HTTP_OPTIONS_INIT;
    o.backoff_factor = 0.01;
    o.max_attempts = attempts;
    o.timeout = 5;
    dltc_http_client *c = NULL;
    assert_int_equal(dltc_http_client_new(&c, &o), 0);
    return c;
}

static dltc_http_response *get(dltc_http_client *c, const char *path, int expect_rc)
{
    char url[256];
    ts_http_server_url(srv, path, url, sizeof(url));
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    rq.url = url;
    dltc_http_response *r = NULL;
    int rc = dltc_http_client_send(&r, c, &rq);
    if (rc != expect_rc)
        print_message("unexpected rc %d: %s\n", rc, dltc_error_last()->message);
    assert_int_equal(rc, expect_rc);
    return r;
}

static void test_echo_params_headers_json(void **state)
{
    (void)state;
    dltc_http_client *c = fast_client(1);
    char url[256];
    ts_http_server_url(srv, "/echo?fixed=1", url, sizeof(url));
    dltc_http_pair params[] = {{"q", "a b&c=d/é"}, {"page", "2"}};
    dltc_http_pair headers[] = {{"X-Trace", "abc"}, {"Authorization", "Bearer s3cr3t"}};
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    rq.method = "POST";
    rq.url = url;
    rq.params = params;
    rq.n_params = 2;
    rq.headers = headers;
    rq.n_headers = 2;
    rq.json = "{\"x\": [1, 2]}";
    dltc_http_response *r = NULL;
    assert_int_equal(dltc_http_client_send(&r, c, &rq), 0);
    assert_int_equal(dltc_http_response_status(r), 200);
    const char *body = dltc_http_response_body(r, NULL);
    assert_non_null(strstr(body, "METHOD POST\n"));
    assert_non_null(strstr(body, "PATH /echo\n"));
    assert_non_null(strstr(body, "ARG fixed=1\nARG q=a b&c=d/é\nARG page=2\n"));
    assert_non_null(strstr(body, "HEADER X-Trace: abc\n"));
    assert_non_null(strstr(body, "HEADER Content-Type: application/json\n"));
    assert_non_null(strstr(body, "HEADER User-Agent: dltc/" DLTC_VERSION "\n"));
    assert_non_null(strstr(body, "BODY {\"x\": [1, 2]}"));
    assert_null(strstr(body, "Expect"));
    /* case-insensitive header lookup */
    assert_non_null(dltc_http_response_header(r, "content-length"));
    assert_true(dltc_http_response_elapsed(r) >= 0);
    assert_int_equal(dltc_http_response_attempts(r), 1);
    dltc_http_response_free(r);
    dltc_http_client_free(c);
}

static void test_url_encoding_and_redaction(void **state)
{
    (void)state;
    dltc_buf b = DLTC_BUF_INIT;
    dltc_http_pair p[] = {{"q", "a b+c"}, {"x y", "~._-"}};
    assert_int_equal(dltc__http_url_build(&b, "http://h/p#frag", p, 2), 0);
    assert_string_equal(b.data, "http://h/p?q=a+b%2Bc&x+y=~._-");
    dltc__buf_free(&b);
    char *red = NULL;
    assert_int_equal(dltc_http_url_redact(&red, "https://u:pw@h/p?page=2&api_key=K1&Token=T2"
                                                "&client_secret=S&access-token=A&limit=5"),
                     0);
    assert_string_equal(red, "https://***@h/p?page=2&api_key=***&Token=***&client_secret=***"
                             "&access-token=***&limit=5");
    dltc_free(red);
}

static void test_gzip(void **state)
{
    (void)state;
    ts_http_reply z = {.body = "{\"items\": [1, 2, 3]}", .gzip = 1, .repeat_body = 100};
    ts_http_server_script(srv, "/gz", &z, 1);
    dltc_http_client *c = fast_client(1);
    dltc_http_response *r = get(c, "/gz", 0);
    size_t len;
    const char *body = dltc_http_response_body(r, &len);
    assert_int_equal(len, 100 * strlen(z.body));
    assert_memory_equal(body, z.body, strlen(z.body));
    assert_string_equal(dltc_http_response_header(r, "Content-Encoding"), "gzip");
    dltc_http_response_free(r);
    dltc_http_client_free(c);
}

static void test_connection_reuse(void **state)
{
    (void)state;
    dltc_http_client *c = fast_client(1);
    unsigned before = ts_http_server_connections(srv);
    for (int i = 0; i < 5; i++)
        dltc_http_response_free(get(c, "/reuse", 0));
    assert_int_equal(ts_http_server_connections(srv) - before, 1);
    assert_int_equal(ts_http_server_hits(srv, "/reuse"), 5);
    dltc_http_client_free(c);
}

static void test_retry_after_seconds(void **state)
{
    (void)state;
    ts_http_reply seq[] = {{.status = 429, .headers = "Retry-After: 1"}, {.body = "ok"}};
    ts_http_server_script(srv, "/ra", seq, 2);
    dltc_http_client *c = fast_client(5);
    double t0 = now_s();
    dltc_http_response *r = get(c, "/ra", 0);
    double dt = now_s() - t0;
    assert_int_equal(dltc_http_response_status(r), 200);
    assert_int_equal(dltc_http_response_attempts(r), 2);
    assert_string_equal(dltc_http_response_body(r, NULL), "ok");
    /* the header (1 s) replaced the 10 ms backoff */
    assert_true(dt >= 0.95 && dt < 2.0);
    dltc_http_response_free(r);
    dltc_http_client_free(c);
}

static void test_retry_after_clamped_and_date(void **state)
{
    (void)state;
    dltc_http_options o = DLTC_HTTP_OPTIONS_INIT;
    /* clamped to max_retry_delay, past dates to 0, garbage falls back to the backoff */
    assert_true(dltc__http_retry_after("100", 0, 0.2) == 0.2);
    assert_true(dltc__http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", time(NULL), 300) == 0);
    assert_true(dltc__http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 5, 300) == 5);
    assert_true(dltc__http_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", 784111777 - 7, 300) == 7);
    assert_true(dltc__http_retry_after("soon", 0, 300) < 0);
    assert_true(dltc__http_retry_wait(&o, 3, "soon", 0) == 4);
    o.respect_retry_after = 0;
    assert_true(dltc__http_retry_wait(&o, 1, "30", 0) == 1);

    ts_http_reply seq[] = {{.status = 503, .headers = "Retry-After: 100"}, {.body = "ok"}};
    ts_http_server_script(srv, "/ra2", seq, 2);
    o = (dltc_http_options)DLTC_HTTP_OPTIONS_INIT;
    o.max_retry_delay = 0.2;
    dltc_http_client *c = NULL;
    assert_int_equal(dltc_http_client_new(&c, &o), 0);
    double t0 = now_s();
    dltc_http_response *r = get(c, "/ra2", 0);
    assert_true(now_s() - t0 < 1.0);
    assert_int_equal(dltc_http_response_status(r), 200);
    dltc_http_response_free(r);
    dltc_http_client_free(c);
}

static void test_backoff_defaults(void **state)
{
    (void)state;
    dltc_http_options o = DLTC_HTTP_OPTIONS_INIT;
    assert_true(o.timeout == 60 && o.max_attempts == 5 && o.backoff_factor == 1 &&
                o.max_retry_delay == 300 && o.respect_retry_after == 1);
    assert_true(dltc__http_backoff(&o, 1) == 1);
    assert_true(dltc__http_backoff(&o, 2) == 2);
    assert_true(dltc__http_backoff(&o, 3) == 4);
    assert_true(dltc__http_backoff(&o, 4) == 8);
    assert_true(dltc__http_backoff(&o, 20) == 300);
    for (int s = 100; s < 600; s++)
        assert_int_equal(dltc__http_status_retryable(s), s == 429 || s >= 500);
}

static void test_500_then_200(void **state)
{
    (void)state;
    ts_http_reply seq[] = {{.status = 500}, {.status = 502}, {.body = "fine"}};
    ts_http_server_script(srv, "/flaky", seq, 3);
    dltc_http_client *c = fast_client(5);
    dltc_http_response *r = get(c, "/flaky", 0);
    assert_int_equal(dltc_http_response_status(r), 200);
    assert_int_equal(dltc_http_response_attempts(r), 3);
    assert_int_equal(ts_http_server_hits(srv, "/flaky"), 3);
    dltc_http_response_free(r);
    dltc_http_client_free(c);
}

static void test_exhausted_names_url_without_secrets(void **state)
{
    (void)state;
    ts_http_reply down = {.status = 503};
    ts_http_server_script(srv, "/down", &down, 1);
    dltc_http_client *c = fast_client(3);
    char url[256];
    ts_http_server_url(srv, "/down?token=SECRET1&page=2", url, sizeof(url));
    dltc_http_pair params[] = {{"api_key", "SECRET2"}};
    dltc_http_pair headers[] = {{"Authorization", "Bearer SECRET3"}};
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    rq.url = url;
    rq.params = params;
    rq.n_params = 1;
    rq.headers = headers;
    rq.n_headers = 1;
    dltc_http_response *r = NULL;
    assert_int_equal(dltc_http_client_send(&r, c, &rq), DLTC_ENETWORK);
    assert_null(r);
    const char *m = dltc_error_last()->message;
    char want[256];
    snprintf(want, sizeof(want),
             "503 Server Error: Service Unavailable for url: http://127.0.0.1:%u/down?token=***"
             "&page=2&api_key=*** (after 3 attempts)",
             (unsigned)ts_http_server_port(srv));
    assert_string_equal(m, want);
    assert_null(strstr(m, "SECRET"));
    assert_int_equal(ts_http_server_hits(srv, "/down"), 3);
    dltc_http_client_free(c);
}

static void test_4xx_not_retried(void **state)
{
    (void)state;
    ts_http_reply nf = {.status = 404, .body = "nope"};
    ts_http_server_script(srv, "/missing", &nf, 1);
    dltc_http_client *c = fast_client(5);
    assert_null(get(c, "/missing", DLTC_ENETWORK));
    assert_non_null(strstr(dltc_error_last()->message, "404 Client Error: Not Found for url: http"));
    assert_int_equal(ts_http_server_hits(srv, "/missing"), 1);
    dltc_http_client_free(c);

    /* without raise_for_status the final response is handed back */
    dltc_http_options o = DLTC_HTTP_OPTIONS_INIT;
    o.raise_for_status = 0;
    assert_int_equal(dltc_http_client_new(&c, &o), 0);
    dltc_http_response *r = get(c, "/missing", 0);
    assert_int_equal(dltc_http_response_status(r), 404);
    assert_string_equal(dltc_http_response_body(r, NULL), "nope");
    assert_int_equal(dltc_http_response_check(r), DLTC_ENETWORK);
    dltc_http_response_free(r);
    dltc_http_client_free(c);
}

static void test_dropped_connection(void **state)
{
    (void)state;
    ts_http_reply seq[] = {{.body = "0123456789", .repeat_body = 1000, .fault = TS_FAULT_DROP},
                           {.body = "whole"}};
    ts_http_server_script(srv, "/drop", seq, 2);
    dltc_http_client *c = fast_client(3);
    dltc_http_response *r = get(c, "/drop", 0);
    assert_string_equal(dltc_http_response_body(r, NULL), "whole");
    assert_int_equal(dltc_http_response_attempts(r), 2);
    dltc_http_response_free(r);

    ts_http_reply always = {.body = "0123456789", .repeat_body = 1000, .fault = TS_FAULT_DROP};
    ts_http_server_script(srv, "/drop", &always, 1);
    assert_null(get(c, "/drop", DLTC_ENETWORK));
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "GET http://127.0.0.1:"));
    assert_non_null(strstr(m, "/drop: response incomplete"));
    assert_non_null(strstr(m, "after 3 attempts"));
    dltc_http_client_free(c);
}

static void test_truncated_gzip(void **state)
{
    (void)state;
    ts_http_reply seq[] = {
        {.body = "abcdefghij", .repeat_body = 2000, .fault = TS_FAULT_GZIP_TRUNCATED},
        {.body = "ok", .gzip = 1}};
    ts_http_server_script(srv, "/tgz", seq, 2);
    dltc_http_client *c = fast_client(3);
    dltc_http_response *r = get(c, "/tgz", 0);
    assert_string_equal(dltc_http_response_body(r, NULL), "ok");
    assert_int_equal(dltc_http_response_attempts(r), 2);
    dltc_http_response_free(r);
    dltc_http_client_free(c);
}

static void test_timeout(void **state)
{
    (void)state;
    ts_http_reply slow = {.body = "late", .delay_ms = 3000};
    ts_http_server_script(srv, "/slow", &slow, 1);
    dltc_http_options o = DLTC_HTTP_OPTIONS_INIT;
    o.total_timeout = 0.3;
    o.backoff_factor = 0.01;
    o.max_attempts = 2;
    dltc_http_client *c = NULL;
    assert_int_equal(dltc_http_client_new(&c, &o), 0);
    double t0 = now_s();
    assert_null(get(c, "/slow", DLTC_ENETWORK));
    double dt = now_s() - t0;
    assert_true(dt >= 0.55 && dt < 2.0);
    assert_non_null(strstr(dltc_error_last()->message, "/slow: timed out"));
    assert_int_equal(ts_http_server_hits(srv, "/slow"), 2);
    dltc_http_client_free(c);
}

static void test_tls_verified_by_default(void **state)
{
    (void)state;
    dltc_http_client *c = fast_client(2);
    char url[256];
    /* the plain-HTTP test server cannot complete a TLS handshake */
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/secure?token=T", (unsigned)ts_http_server_port(srv));
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    rq.url = url;
    dltc_http_response *r = NULL;
    assert_int_equal(dltc_http_client_send(&r, c, &rq), DLTC_ENETWORK);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "TLS error"));
    assert_non_null(strstr(m, "?token=***"));
    dltc_http_client_free(c);

    dltc_http_options o = DLTC_HTTP_OPTIONS_INIT;
    o.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(dltc_http_client_new(&c, &o), DLTC_EINVALID);
    assert_null(c);
}

static void test_connection_refused(void **state)
{
    (void)state;
    dltc_http_client *c = fast_client(2);
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    rq.url = "http://127.0.0.1:1/x?password=P";
    dltc_http_response *r = NULL;
    assert_int_equal(dltc_http_client_send(&r, c, &rq), DLTC_ENETWORK);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "GET http://127.0.0.1:1/x?password=***: connection failed"));
    assert_non_null(strstr(m, "after 2 attempts"));
    rq.url = "ftp://127.0.0.1/x";
    assert_int_equal(dltc_http_client_send(&r, c, &rq), DLTC_EINVALID);
    dltc_http_client_free(c);
}

static void test_max_response_size(void **state)
{
    (void)state;
    ts_http_reply big = {.body = "0123456789", .repeat_body = 10000};
    ts_http_server_script(srv, "/big", &big, 1);
    dltc_http_options o = DLTC_HTTP_OPTIONS_INIT;
    o.max_response_size = 50000;
    dltc_http_client *c = NULL;
    assert_int_equal(dltc_http_client_new(&c, &o), 0);
    assert_null(get(c, "/big", DLTC_ELIMIT));
    assert_non_null(strstr(dltc_error_last()->message, "over the limit of 50000 bytes"));
    assert_int_equal(ts_http_server_hits(srv, "/big"), 1);
    /* the same limit on the decoded size of a gzip body */
    ts_http_reply bigz = {.body = "0000000000", .repeat_body = 10000, .gzip = 1};
    ts_http_server_script(srv, "/bigz", &bigz, 1);
    assert_null(get(c, "/bigz", DLTC_ELIMIT));
    dltc_http_client_free(c);
}

static void test_invalid_requests(void **state)
{
    (void)state;
    dltc_http_client *c = fast_client(1);
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    dltc_http_response *r = NULL;
    rq.url = "http://127.0.0.1:1/";
    rq.json = "{}";
    rq.data = "x";
    assert_int_equal(dltc_http_client_send(&r, c, &rq), DLTC_EINVALID);
    rq.data = NULL;
    dltc_http_pair evil[] = {{"X-A", "v\r\nInjected: 1"}};
    rq.headers = evil;
    rq.n_headers = 1;
    assert_int_equal(dltc_http_client_send(&r, c, &rq), DLTC_EINVALID);
    assert_null(strstr(dltc_error_last()->message, "Injected"));
    dltc_http_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_encoding_and_redaction),
        cmocka_unit_test(test_backoff_defaults),
        cmocka_unit_test(test_echo_params_headers_json),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_connection_reuse),
        cmocka_unit_test(test_retry_after_seconds),
        cmocka_unit_test(test_retry_after_clamped_and_date),
        cmocka_unit_test(test_500_then_200),
        cmocka_unit_test(test_exhausted_names_url_without_secrets),
        cmocka_unit_test(test_4xx_not_retried),
        cmocka_unit_test(test_dropped_connection),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_tls_verified_by_default),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_max_response_size),
        cmocka_unit_test(test_invalid_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
