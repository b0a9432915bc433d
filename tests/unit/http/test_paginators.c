/* dlt's paginators (reference §2.4), their auto-detection (§2.2) and data selectors (§2.3),
 * driven with fake responses: config parsing and validation, every paginator's state
 * machine and stop rules, the order of detection, selector detection and extraction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltc/dltc.h"
#include "dltc/rest.h"
#include "common/alloc.h"
#include "http/http.h"
#include "http/rest_int.h"

/* ---- fixtures ---- */

typedef struct {
    dltc_doc *doc;
    dltc_rest_request req;
    dltc_http_response *resp;
    dltc_value *body;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    if (!f || dltc_doc_new(&f->doc) ||
        dltc__rest_request_init(&f->req, "GET", "https://api.example.com/v1/items"))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dltc_http_response_free(f->resp);
    dltc__rest_request_free(&f->req);
    dltc_doc_free(f->doc);
    free(f);
    return 0;
}

/* A new first request (each paginator starts from one). */
static void fresh_request(fx *f)
{
    dltc__rest_request_free(&f->req);
    assert_int_equal(dltc__rest_request_init(&f->req, "GET", "https://api.example.com/v1/items"),
                     0);
}

static dltc_value *parse(dltc_doc *d, const char *json)
{
    dltc_value *v = NULL;
    if (dltc_doc_parse_json(d, json, strlen(json), &v))
        fail_msg("parse %s: %s", json, dltc_error_last()->message);
    return v;
}

/* A response with `json` as body (NULL: not JSON) and NULL-terminated header name/value
 * pairs; f->body is the parsed body. */
static void respond(fx *f, const char *json, ...)
{
    dltc_http_response_free(f->resp);
    f->resp = dltc__http_response_new(0);
    assert_non_null(f->resp);
    f->resp->status = 200;
    assert_int_equal(dltc__buf_puts(&f->resp->body, json ? json : "<html>"), 0);
    va_list ap;
    va_start(ap, json);
    const char *n;
    while ((n = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        assert_int_equal(dltc__http_response_add_header(f->resp, n, strlen(n), v, strlen(v)), 0);
    }
    va_end(ap);
    f->body = json ? parse(f->doc, json) : NULL;
}

/* An array of n items. */
static const dltc_value *items(fx *f, int n)
{
    dltc_value *a = dltc_value_array(f->doc);
    for (int i = 0; i < n; i++)
        assert_int_equal(dltc_array_append(f->doc, a, dltc_value_int(f->doc, i)), 0);
    return a;
}

static dltc_paginator *make(const char *config)
{
    dltc_paginator *p = NULL;
    if (dltc_paginator_new(&p, config))
        fail_msg("%s: %s", config, dltc_error_last()->message);
    return p;
}

static void expect_config_error(const char *config, const char *message_part)
{
    dltc_paginator *p = NULL;
    int rc = dltc_paginator_new(&p, config);
    if (rc != DLTC_EINVALID && rc != DLTC_EPARSE)
        fail_msg("%s: rc %d", config ? config : "(null)", rc);
    assert_null(p);
    if (!strstr(dltc_error_last()->message, message_part))
        fail_msg("%s: '%s' lacks '%s'", config, dltc_error_last()->message, message_part);
}

/* One page through the loop: update_state, then update_request when there is a next page.
 * Returns has_next. */
static int page(fx *f, dltc_paginator *p, int n_items)
{
    int rc = dltc__paginator_update_state(p, f->resp, f->body, items(f, n_items));
    if (rc)
        fail_msg("update_state: %s", dltc_error_last()->message);
    int more = dltc__paginator_has_next(p);
    if (more && dltc__paginator_update_request(p, &f->req))
        fail_msg("update_request: %s", dltc_error_last()->message);
    return more;
}

static void expect_param(fx *f, const char *name, const char *want)
{
    const char *got = dltc_rest_request_param(&f->req, name);
    if (!want) {
        if (got)
            fail_msg("param %s: got '%s', want none", name, got);
        return;
    }
    if (!got || strcmp(got, want) != 0)
        fail_msg("param %s: got '%s', want '%s'", name, got ? got : "(none)", want);
}

static void expect_body(fx *f, const char *want)
{
    char *j = NULL;
    size_t n;
    assert_non_null(f->req.json);
    assert_int_equal(dltc_value_to_json(&j, &n, f->req.json), 0);
    if (strcmp(j, want) != 0)
        fail_msg("body: got %s, want %s", j, want);
    dltc_free(j);
}

static void expect_error(int rc, const char *message_part)
{
    if (rc == 0)
        fail_msg("no error, expected '%s'", message_part);
    if (!strstr(dltc_error_last()->message, message_part))
        fail_msg("'%s' lacks '%s'", dltc_error_last()->message, message_part);
}

/* ---- configuration ---- */

static void config_types_and_defaults(void **state)
{
    (void)state;
    struct {
        const char *config, *type, *describe;
    } cases[] = {
        {NULL, "auto", "auto"},
        {"", "auto", "auto"},
        {" auto ", "auto", "auto"},
        {"{}", "auto", "auto"},
        {"{\"type\":\"auto\",\"whatever\":1}", "auto", "auto"},
        {"single_page", "single_page", "SinglePagePaginator at "},
        {"\"single_page\"", "single_page", "SinglePagePaginator at "},
        {"json_link", "json_link", ": next_url_path: next"},
        {"{\"type\":\"json_response\",\"next_url_path\":\"links.next\"}", "json_link",
         "JSONLinkPaginator at "},
        {"header_link", "header_link", ": links_next_key: next"},
        {"{\"type\":\"offset\",\"limit\":100}", "offset",
         ": current offset: 0 offset_param: offset limit: 100 limit_param: limit total_path: "
         "total maximum_value: None has_more_path: None"},
        {"page_number", "page_number",
         ": current page: 0 page_param: page total_path: total maximum_value: None "
         "has_more_path: None"},
        {"{\"type\":\"page_number\",\"base_page\":1,\"page_body_path\":\"page\","
         "\"total_path\":null,\"maximum_page\":5}",
         "page_number",
         ": current page: 1 page_body_path: page total_path: None maximum_value: 5 "
         "has_more_path: None"},
        {"cursor", "cursor", ": cursor_path: cursors.next cursor_param: cursor"},
        {"{\"type\":\"cursor\",\"cursor_body_path\":\"next\"}", "cursor",
         ": cursor_path: cursors.next cursor_body_path: next"},
        {"header_cursor", "header_cursor", ": cursor_value: None cursor_param: cursor"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dltc_paginator *p = make(cases[i].config);
        assert_string_equal(dltc_paginator_type(p), cases[i].type);
        assert_int_equal(dltc__paginator_is_auto(p), strcmp(cases[i].type, "auto") == 0);
        if (!strstr(dltc_paginator_describe(p), cases[i].describe))
            fail_msg("%s: '%s' lacks '%s'", cases[i].config, dltc_paginator_describe(p),
                     cases[i].describe);
        dltc_paginator_free(p);
    }
    dltc_paginator_free(NULL);
}

static void config_errors(void **state)
{
    (void)state;
    expect_config_error("nope", "Invalid paginator: nope. Available options: json_link, "
                                "json_response, header_link, auto, single_page, cursor, "
                                "offset, page_number, header_cursor.");
    expect_config_error("{\"type\":\"pages\"}", "Invalid paginator: pages.");
    expect_config_error("{\"type\":5}", "'type' must be a string");
    expect_config_error("offset", "Paginator offset requires arguments");
    expect_config_error("{\"type\":\"offset\"}", "missing 1 required argument: 'limit'");
    expect_config_error("{\"type\":\"json_link\",\"foo\":1}",
                        "JSONLinkPaginator got an unexpected keyword argument 'foo'");
    /* a key of another paginator is unknown too */
    expect_config_error("{\"type\":\"page_number\",\"limit\":1}", "argument 'limit'");
    expect_config_error("{\"type\":\"offset\",\"limit\":10,\"offset_param\":\"o\","
                        "\"offset_body_path\":\"o\"}",
                        "Either 'offset_param' or 'offset_body_path' must be provided, not "
                        "both.");
    expect_config_error("{\"type\":\"offset\",\"limit\":10,\"limit_param\":\"l\","
                        "\"limit_body_path\":\"l\"}",
                        "Either 'limit_param' or 'limit_body_path'");
    expect_config_error("{\"type\":\"page_number\",\"page_param\":\"p\","
                        "\"page_body_path\":\"p\"}",
                        "Either 'page_param' or 'page_body_path'");
    expect_config_error("{\"type\":\"cursor\",\"cursor_param\":\"c\","
                        "\"cursor_body_path\":\"c\"}",
                        "Either 'cursor_param' or 'cursor_body_path'");
    expect_config_error("{\"type\":\"offset\",\"limit\":10,\"total_path\":null,"
                        "\"stop_after_empty_page\":false}",
                        "One of `total_path`, `maximum_offset`, `has_more_path`, or "
                        "`stop_after_empty_page` must be provided.");
    expect_config_error("{\"type\":\"page_number\",\"total_path\":null,"
                        "\"stop_after_empty_page\":false}",
                        "One of `total_path`, `maximum_page`, `has_more_path`");
    expect_config_error("{\"type\":\"offset\",\"limit\":\"10\"}", "'limit' must be an integer");
    expect_config_error("{\"type\":\"offset\",\"limit\":true}", "'limit' must be an integer");
    expect_config_error("{\"type\":\"offset\",\"limit\":10,\"stop_after_empty_page\":\"yes\"}",
                        "'stop_after_empty_page' must be true or false");
    expect_config_error("{\"type\":\"page_number\",\"total_path\":5}",
                        "'total_path' must be a string or null");
    expect_config_error("{\"type\":\"json_link\",\"next_url_path\":null}",
                        "'next_url_path' must be a string");
    expect_config_error("{\"type\":\"header_cursor\",\"cursor_param\":null}",
                        "'cursor_param' must be a string");
    expect_config_error("{\"type\":\"page_number\",\"total_path\":\"a..b\"}",
                        "total_path 'a..b': recursive descent");
    expect_config_error("{\"type\":\"cursor\",\"cursor_path\":\"a[\"}", "cursor_path 'a['");
    expect_config_error("{\"type\":", "paginator config: ");
    expect_config_error("[1]", "expected a type name or a JSON object");

    /* valid combinations: every stop condition alone suffices */
    const char *ok[] = {
        "{\"type\":\"offset\",\"limit\":10,\"total_path\":null}",
        "{\"type\":\"offset\",\"limit\":10,\"total_path\":null,\"stop_after_empty_page\":false,"
        "\"maximum_offset\":100}",
        "{\"type\":\"page_number\",\"total_path\":null,\"stop_after_empty_page\":false,"
        "\"has_more_path\":\"more\"}",
        "{\"type\":\"offset\",\"limit\":10,\"total_path\":\"\",\"stop_after_empty_page\":null}",
        "{\"type\":\"offset\",\"limit\":10,\"offset_param\":null,\"offset_body_path\":\"o\"}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        dltc_paginator_free(make(ok[i]));
}

/* ---- paginators ---- */

static void single_page_stops_after_one(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("single_page");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    assert_int_equal(dltc__paginator_has_next(p), 1);
    respond(f, "{\"next\":\"https://api.example.com/2\"}", NULL);
    assert_int_equal(page(f, p, 3), 0);
    dltc_paginator_free(p);
}

static void offset_with_total(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("{\"type\":\"offset\",\"limit\":10}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    expect_param(f, "offset", "0");
    expect_param(f, "limit", "10");
    respond(f, "{\"items\":[1],\"total\":25}", NULL);
    assert_int_equal(page(f, p, 10), 1);
    expect_param(f, "offset", "10");
    expect_param(f, "limit", "10");
    respond(f, "{\"total\":\"25\"}", NULL); /* int("25") */
    assert_int_equal(page(f, p, 10), 1);
    expect_param(f, "offset", "20");
    respond(f, "{\"total\":25.9}", NULL); /* int(25.9) == 25 */
    assert_int_equal(page(f, p, 5), 0);
    assert_non_null(strstr(dltc_paginator_describe(p), "current offset: 30"));
    /* a fresh start resets the state */
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    assert_int_equal(dltc__paginator_has_next(p), 1);
    expect_param(f, "offset", "0");
    dltc_paginator_free(p);
}

static void offset_start_maximum_and_nested_total(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("{\"type\":\"offset\",\"limit\":5,\"offset\":5,\"offset_param\":"
                             "\"skip\",\"limit_param\":\"take\",\"total_path\":\"meta.total\","
                             "\"maximum_offset\":15}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    expect_param(f, "skip", "5");
    expect_param(f, "take", "5");
    respond(f, "{\"meta\":{\"total\":100}}", NULL);
    assert_int_equal(page(f, p, 5), 1);
    expect_param(f, "skip", "10");
    assert_int_equal(page(f, p, 5), 0); /* 15 >= maximum_offset */
    dltc_paginator_free(p);
}

static void offset_stops_on_empty_page_before_reading_total(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("{\"type\":\"offset\",\"limit\":10}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    respond(f, "{\"items\":[]}", NULL); /* no total: not read */
    assert_int_equal(page(f, p, 0), 0);
    dltc_paginator_free(p);

    /* without the empty-page rule, the total is required even then */
    p = make("{\"type\":\"offset\",\"limit\":10,\"stop_after_empty_page\":false}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 0)),
                 "Total `items` not found in the response in `OffsetPaginator` .Expected a "
                 "response with a `total` key, got `{\"items\":[]}`.");
    dltc_paginator_free(p);

    /* total_path null: pages until an empty one */
    p = make("{\"type\":\"offset\",\"limit\":2,\"total_path\":null}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    assert_int_equal(page(f, p, 2), 1);
    assert_int_equal(page(f, p, 2), 1);
    expect_param(f, "offset", "4");
    assert_int_equal(page(f, p, 0), 0);
    dltc_paginator_free(p);
}

static void offset_total_errors(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("{\"type\":\"offset\",\"limit\":10}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    respond(f, "{\"total\":\"many\"}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "'total' is not an `int` in the response in `OffsetPaginator`. Expected an "
                 "integer, got `many`");
    respond(f, "{\"total\":[1]}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "got `[1]`");
    respond(f, "{\"total\":null}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "Total `items` not found");
    respond(f, NULL, NULL);
    assert_int_equal(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                     DLTC_EPARSE);
    dltc_paginator_free(p);
}

static void has_more_overrides_range_stops(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("{\"type\":\"offset\",\"limit\":10,\"total_path\":null,"
                             "\"maximum_offset\":10,\"has_more_path\":\"page.has_more\"}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    /* offset 10 reaches maximum_offset, but has_more=true overrides (dlt 1.26) */
    respond(f, "{\"page\":{\"has_more\":true}}", NULL);
    assert_int_equal(page(f, p, 10), 1);
    respond(f, "{\"page\":{\"has_more\":\"Yes\"}}", NULL);
    assert_int_equal(page(f, p, 10), 1);
    respond(f, "{\"page\":{\"has_more\":\"f\"}}", NULL);
    assert_int_equal(page(f, p, 10), 0);
    respond(f, "{\"page\":{\"has_more\":1}}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "'page.has_more' is not a `bool` in the response in `OffsetPaginator`. "
                 "Expected a boolean, got `1`");
    respond(f, "{\"page\":{\"has_more\":\"maybe\"}}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "got `maybe`");
    respond(f, "{\"page\":{}}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "Has more value not found in the response in `OffsetPaginator`.Expected a "
                 "response with a `page.has_more` key, got `{\"page\":{}}`.");
    /* an empty page stops before has_more is read */
    respond(f, "{}", NULL);
    assert_int_equal(page(f, p, 0), 0);
    dltc_paginator_free(p);
}

static void offset_in_the_body(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("{\"type\":\"offset\",\"limit\":50,\"offset_body_path\":"
                             "\"paging.offset\",\"limit_body_path\":\"paging.limit\","
                             "\"total_path\":\"total\"}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    expect_body(f, "{\"paging\":{\"offset\":0,\"limit\":50}}");
    expect_param(f, "offset", NULL);
    expect_param(f, "limit", NULL);
    respond(f, "{\"total\":120}", NULL);
    assert_int_equal(page(f, p, 50), 1);
    expect_body(f, "{\"paging\":{\"offset\":50,\"limit\":50}}");
    assert_int_equal(page(f, p, 50), 1);
    assert_int_equal(page(f, p, 20), 0);
    assert_non_null(strstr(dltc_paginator_describe(p),
                           "offset_body_path: paging.offset limit: 50 limit_body_path: "
                           "paging.limit total_path: total"));
    dltc_paginator_free(p);
}

static void page_number_with_total_pages(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("{\"type\":\"page_number\",\"base_page\":1,"
                             "\"total_path\":\"total_pages\"}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    expect_param(f, "page", "1");
    respond(f, "{\"total_pages\":3}", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "page", "2");
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "page", "3");
    assert_int_equal(page(f, p, 1), 0); /* 4 >= 3 + base_page */
    respond(f, "{}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "Total `pages` not found in the response in `PageNumberPaginator` .Expected a "
                 "response with a `total_pages` key");
    dltc_paginator_free(p);

    /* first page given, maximum_page, page in the body */
    fresh_request(f);
    p = make("{\"type\":\"page_number\",\"base_page\":1,\"page\":3,\"total_path\":null,"
             "\"maximum_page\":5,\"page_body_path\":\"query.page\"}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    expect_body(f, "{\"query\":{\"page\":3}}");
    expect_param(f, "page", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_body(f, "{\"query\":{\"page\":4}}");
    assert_int_equal(page(f, p, 1), 0);
    dltc_paginator_free(p);

    /* stop_after_empty_page off: an empty page does not stop before the total */
    p = make("{\"type\":\"page_number\",\"stop_after_empty_page\":false}");
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    respond(f, "{\"total\":2}", NULL);
    assert_int_equal(page(f, p, 0), 1);
    assert_int_equal(page(f, p, 0), 0);
    dltc_paginator_free(p);
}

static void json_link_follows_urls(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("{\"type\":\"json_link\",\"next_url_path\":\"pagination.next\"}");
    assert_int_equal(dltc_rest_request_set_param(&f->req, "per_page", "2"), 0);
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    respond(f, "{\"pagination\":{\"next\":\"https://api.example.com/v1/items?page=2\"}}", NULL);
    assert_int_equal(page(f, p, 2), 1);
    assert_string_equal(dltc_rest_request_url(&f->req),
                        "https://api.example.com/v1/items?page=2");
    expect_param(f, "per_page", NULL); /* the next URL carries the query */
    respond(f, "{\"pagination\":{\"next\":\"/v1/items?page=3\"}}", NULL);
    assert_int_equal(page(f, p, 2), 1);
    assert_string_equal(dltc_rest_request_url(&f->req),
                        "https://api.example.com/v1/items?page=3");
    respond(f, "{\"pagination\":{\"next\":\"?page=4\"}}", NULL);
    assert_int_equal(page(f, p, 2), 1);
    assert_string_equal(dltc_rest_request_url(&f->req),
                        "https://api.example.com/v1/items?page=4");
    respond(f, "{\"pagination\":{\"next\":null}}", NULL);
    assert_int_equal(page(f, p, 2), 0);
    respond(f, "{\"pagination\":{}}", NULL);
    assert_int_equal(page(f, p, 2), 0);
    respond(f, "{\"pagination\":{\"next\":5}}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "JSONLinkPaginator: the value at 'pagination.next' is not a URL: 5");
    respond(f, "{\"pagination\":{\"next\":\"\"}}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "next page URL is empty");
    respond(f, NULL, NULL);
    assert_int_equal(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                     DLTC_EPARSE);
    dltc_paginator_free(p);
}

static void header_link_parses_rfc8288(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("header_link");
    struct {
        const char *link, *want; /* want NULL: no next page */
    } cases[] = {
        {"<https://api.example.com/v1/items?page=2>; rel=\"next\", "
         "<https://api.example.com/v1/items?page=9>; rel=\"last\"",
         "https://api.example.com/v1/items?page=2"},
        {"<https://x.test/a?page=1>; rel=\"prev\", <https://x.test/a?page=3>; rel=\"next last\"",
         "https://x.test/a?page=3"},
        {"<https://x.test/4>; rel=next", "https://x.test/4"},
        {"<https://x.test/5> ; REL = \"Next\"", "https://x.test/5"},
        {"<https://x.test/6>; title=\"a, b; rel=next\"; rel=\"prev\", <https://x.test/7>;"
         " rel=\"next\"",
         "https://x.test/7"},
        {"</v1/items?page=8>; rel=\"next\"", "https://api.example.com/v1/items?page=8"},
        {"<https://x.test/9>; rel=\"prev\"; rel=\"next\"", NULL}, /* only the first rel */
        {"<https://x.test/10>; rel=\"nextpage\"", NULL},
        {"garbage, <https://x.test/11>; rel=\"next\"", "https://x.test/11"},
        {"<https://x.test/12>; rel=\"next\", <https://x.test/13>; rel=\"next\"",
         "https://x.test/13"}, /* the last one, as requests' dict of links */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(dltc_rest_request_set_url(&f->req, "https://api.example.com/v1/items"),
                         0);
        respond(f, "[]", "Link", cases[i].link, NULL);
        int more = page(f, p, 1);
        if (more != (cases[i].want != NULL))
            fail_msg("%s: has_next %d", cases[i].link, more);
        if (cases[i].want && strcmp(dltc_rest_request_url(&f->req), cases[i].want) != 0)
            fail_msg("%s: url %s", cases[i].link, dltc_rest_request_url(&f->req));
    }
    respond(f, "[]", NULL); /* no Link header */
    assert_int_equal(page(f, p, 1), 0);
    respond(f, "[]", "Link", "<>; rel=\"next\"", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "HeaderLinkPaginator: the next page URL is empty");
    dltc_paginator_free(p);

    /* another relation; a non-JSON body does not matter */
    p = make("{\"type\":\"header_link\",\"links_next_key\":\"forward\"}");
    respond(f, NULL, "link", "<https://x.test/f>; rel=\"forward\"", NULL);
    assert_int_equal(page(f, p, 0), 1);
    assert_string_equal(dltc_rest_request_url(&f->req), "https://x.test/f");
    dltc_paginator_free(p);
}

static void cursor_in_params_and_body(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("cursor");
    respond(f, "{\"cursors\":{\"next\":\"abc\"}}", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "cursor", "abc");
    respond(f, "{\"cursors\":{\"next\":17}}", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "cursor", "17");
    /* falsy cursors stop: "", 0, false, null, missing */
    const char *falsy[] = {"{\"cursors\":{\"next\":\"\"}}", "{\"cursors\":{\"next\":0}}",
                           "{\"cursors\":{\"next\":false}}", "{\"cursors\":{\"next\":null}}",
                           "{\"cursors\":{}}"};
    for (size_t i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++) {
        respond(f, falsy[i], NULL);
        if (page(f, p, 1))
            fail_msg("%s: has_next", falsy[i]);
    }
    dltc_paginator_free(p);

    p = make("{\"type\":\"cursor\",\"cursor_path\":\"meta.next_token\",\"cursor_param\":"
             "\"after\"}");
    respond(f, "{\"meta\":{\"next_token\":\"t1\"}}", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "after", "t1");
    assert_non_null(strstr(dltc_paginator_describe(p),
                           ": cursor_path: meta.next_token cursor_param: after"));
    dltc_paginator_free(p);

    fresh_request(f);
    p = make("{\"type\":\"cursor\",\"cursor_path\":\"nextPageToken\",\"cursor_body_path\":"
             "\"page.token\"}");
    respond(f, "{\"nextPageToken\":\"xyz\"}", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_body(f, "{\"page\":{\"token\":\"xyz\"}}");
    expect_param(f, "cursor", NULL);
    respond(f, "{\"nextPageToken\":42}", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_body(f, "{\"page\":{\"token\":42}}");
    dltc_paginator_free(p);
}

static void cursor_stop_rules(void **state)
{
    fx *f = *state;
    /* stop_after_empty_page: a cursor on an empty page is not followed */
    dltc_paginator *p = make("{\"type\":\"cursor\",\"stop_after_empty_page\":true}");
    respond(f, "{\"cursors\":{\"next\":\"abc\"}}", NULL);
    assert_int_equal(page(f, p, 0), 0);
    dltc_paginator_free(p);

    /* has_more overrides the cursor and the empty page (dlt 1.26) */
    p = make("{\"type\":\"cursor\",\"cursor_path\":\"next\",\"has_more_path\":\"has_more\","
             "\"stop_after_empty_page\":true}");
    respond(f, "{\"next\":\"abc\",\"has_more\":false}", NULL);
    assert_int_equal(page(f, p, 5), 0);
    respond(f, "{\"next\":\"abc\",\"has_more\":true}", NULL);
    assert_int_equal(page(f, p, 0), 1);
    expect_param(f, "cursor", "abc");
    respond(f, "{\"next\":null,\"has_more\":\"true\"}", NULL);
    assert_int_equal(page(f, p, 5), 1);
    expect_param(f, "cursor", NULL); /* None is dropped from the query, as requests does */
    respond(f, "{\"next\":\"abc\"}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "Has more value not found in the response in `JSONResponseCursorPaginator`");
    respond(f, "{\"next\":\"abc\",\"has_more\":\"sure\"}", NULL);
    expect_error(dltc__paginator_update_state(p, f->resp, f->body, items(f, 1)),
                 "'has_more' is not a `bool`");
    dltc_paginator_free(p);
}

static void header_cursor_reads_a_header(void **state)
{
    fx *f = *state;
    dltc_paginator *p = make("header_cursor");
    respond(f, "[]", "next", "tok1", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "cursor", "tok1");
    assert_non_null(strstr(dltc_paginator_describe(p), ": cursor_value: tok1 cursor_param: "
                                                        "cursor"));
    respond(f, "[]", NULL);
    assert_int_equal(page(f, p, 1), 0);
    dltc_paginator_free(p);

    p = make("{\"type\":\"header_cursor\",\"cursor_key\":\"X-Next-Page\",\"cursor_param\":"
             "\"page_token\"}");
    respond(f, "[]", "x-next-page", "p2", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "page_token", "p2");
    dltc_paginator_free(p);
}

typedef struct {
    int init, states, requests;
} custom_state;

static int c_init(dltc_rest_request *req, void *payload)
{
    ((custom_state *)payload)->init++;
    return dltc_rest_request_set_param(req, "page", "1");
}

static int c_state(const dltc_http_response *resp, const dltc_value *items, int *has_next,
                   void *payload)
{
    (void)resp;
    custom_state *s = payload;
    *has_next = ++s->states < 3 && dltc_value_size(items) > 0;
    return 0;
}

static int c_request(dltc_rest_request *req, void *payload)
{
    custom_state *s = payload;
    char n[16];
    snprintf(n, sizeof n, "%d", ++s->requests + 1);
    return dltc_rest_request_set_param(req, "page", n);
}

static void custom_callbacks(void **state)
{
    fx *f = *state;
    custom_state s = {0};
    dltc_paginator_callbacks cb = {DLTC_PAGINATOR_CALLBACKS_VERSION, c_init, c_state, c_request,
                                   &s};
    dltc_paginator *tmpl = NULL, *p = NULL;
    assert_int_equal(dltc_paginator_custom(&tmpl, &cb), 0);
    assert_string_equal(dltc_paginator_type(tmpl), "custom");
    assert_int_equal(dltc__paginator_clone(&p, tmpl), 0);
    assert_int_equal(dltc__paginator_init_request(p, &f->req), 0);
    expect_param(f, "page", "1");
    respond(f, "[]", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "page", "2");
    assert_int_equal(page(f, p, 1), 1);
    assert_int_equal(page(f, p, 1), 0);
    assert_int_equal(s.init, 1);
    assert_int_equal(s.states, 3);
    assert_int_equal(s.requests, 2);
    dltc_paginator_free(p);
    dltc_paginator_free(tmpl);

    cb.version = 99;
    assert_int_equal(dltc_paginator_custom(&p, &cb), DLTC_EINVALID);
    cb.version = DLTC_PAGINATOR_CALLBACKS_VERSION;
    cb.update_state = NULL;
    assert_int_equal(dltc_paginator_custom(&p, &cb), DLTC_EINVALID);
}

static void clone_starts_fresh(void **state)
{
    fx *f = *state;
    dltc_paginator *tmpl = make("{\"type\":\"page_number\",\"base_page\":1,\"total_path\":"
                                "\"pages\"}");
    assert_int_equal(dltc__paginator_init_request(tmpl, &f->req), 0);
    respond(f, "{\"pages\":2}", NULL);
    assert_int_equal(page(f, tmpl, 1), 1);
    assert_int_equal(page(f, tmpl, 1), 0);
    dltc_paginator *p = NULL;
    assert_int_equal(dltc__paginator_clone(&p, tmpl), 0);
    assert_int_equal(dltc__paginator_has_next(p), 1);
    assert_non_null(strstr(dltc_paginator_describe(p), "current page: 1 page_param: page "
                                                        "total_path: pages"));
    dltc_paginator_free(p);
    dltc_paginator_free(tmpl);

    tmpl = make("cursor");
    respond(f, "{\"cursors\":{\"next\":\"abc\"}}", NULL);
    assert_int_equal(page(f, tmpl, 1), 1);
    assert_int_equal(dltc__paginator_clone(&p, tmpl), 0);
    assert_int_equal(dltc__paginator_has_next(p), 1);
    respond(f, "{\"cursors\":{\"next\":\"def\"}}", NULL);
    assert_int_equal(page(f, p, 1), 1);
    expect_param(f, "cursor", "def");
    dltc_paginator_free(p);
    dltc_paginator_free(tmpl);
}

/* ---- auto-detection ---- */

static void expect_detect(fx *f, const char *type, double score, const char *describe)
{
    dltc_paginator *p = NULL;
    double s = -1;
    if (dltc__paginator_detect(&p, &s, f->resp, f->body))
        fail_msg("detect: %s", dltc_error_last()->message);
    if (strcmp(dltc_paginator_type(p), type) != 0 || s != score)
        fail_msg("detected %s (%.1f), want %s (%.1f): %s", dltc_paginator_type(p), s, type, score,
                 dltc_paginator_describe(p));
    if (describe && !strstr(dltc_paginator_describe(p), describe))
        fail_msg("'%s' lacks '%s'", dltc_paginator_describe(p), describe);
    dltc_paginator_free(p);
}

static void detection_order(void **state)
{
    fx *f = *state;
    /* 1. a Link header with rel=next wins over everything in the body */
    respond(f, "{\"next\":\"https://api.example.com/2\",\"total_pages\":3}", "Link",
            "<https://api.example.com/v1/items?page=2>; rel=\"next\"", NULL);
    expect_detect(f, "header_link", 1.0, ": links_next_key: next");
    /* a Link header without next does not count */
    respond(f, "{\"next\":\"https://api.example.com/2\"}", "Link",
            "<https://api.example.com/v1/items?page=1>; rel=\"prev\"", NULL);
    expect_detect(f, "json_link", 1.0, ": next_url_path: next");
    /* 2. a next* key with an http or / URL, depth first in key order */
    respond(f, "{\"data\":[],\"links\":{\"self\":\"/a\",\"next\":\"/v1/items?page=2\"}}", NULL);
    expect_detect(f, "json_link", 1.0, ": next_url_path: links.next");
    respond(f, "{\"next\":{\"rel\":\"x\",\"href\":\"https://x.test/2\"}}", NULL);
    expect_detect(f, "json_link", 1.0, ": next_url_path: next.href");
    respond(f, "{\"paging\":{\"nextPage\":{\"url_full\":\"/p/2\"}}}", NULL);
    expect_detect(f, "json_link", 1.0, ": next_url_path: paging.nextPage.url_full");
    respond(f, "{\"a\":{\"next\":\"/p2\"},\"next_x\":\"https://x.test\"}", NULL);
    expect_detect(f, "json_link", 1.0, ": next_url_path: a.next");
    respond(f, "{\"next\":{\"count\":1,\"next\":\"https://x.test/2\"}}", NULL);
    expect_detect(f, "json_link", 1.0, ": next_url_path: next.next");
    respond(f, "{\"meta data\":{\"next\":\"/p2\"}}", NULL);
    expect_detect(f, "json_link", 1.0, ": next_url_path: 'meta data'.next");
    /* 3. total pages beats a non-URL next */
    respond(f, "{\"next_page\":2,\"total_pages\":5}", NULL);
    expect_detect(f, "page_number", 0.5, "current page: 0 page_param: page total_path: "
                                         "total_pages");
    respond(f, "{\"meta\":{\"TotalPages\":\" 7 \"}}", NULL);
    expect_detect(f, "page_number", 0.5, "total_path: meta.TotalPages");
    respond(f, "{\"pages\":true}", NULL); /* int(True) works in Python */
    expect_detect(f, "page_number", 0.5, "total_path: pages");
    /* 4. a next* key that is not a URL: a cursor */
    respond(f, "{\"pages\":\"many\",\"next_cursor\":\"abc\"}", NULL);
    expect_detect(f, "cursor", 0.5, ": cursor_path: next_cursor cursor_param: cursor");
    respond(f, "{\"nextToken\":\"ftp://x.test\"}", NULL);
    expect_detect(f, "cursor", 0.5, ": cursor_path: nextToken");
    respond(f, "{\"next\":\"HTTPS://X.TEST\"}", NULL); /* startswith("http") is case-sensitive */
    expect_detect(f, "cursor", 0.5, ": cursor_path: next");
    respond(f, "{\"next_x\":\"tok\",\"a\":{\"next\":\"/p\"}}", NULL); /* the first next* only */
    expect_detect(f, "cursor", 0.5, ": cursor_path: next_x");
    /* 5. nothing: a single page */
    respond(f, "{\"next\":null,\"items\":[1]}", NULL);
    expect_detect(f, "single_page", 0.0, "SinglePagePaginator at ");
    respond(f, "{\"nxt\":\"/p\",\"next\":[1]}", NULL);
    expect_detect(f, "single_page", 0.0, NULL);
    respond(f, "[{\"next\":\"/p\"}]", NULL); /* not an object */
    expect_detect(f, "single_page", 0.0, NULL);
    respond(f, NULL, NULL); /* not JSON */
    expect_detect(f, "single_page", 0.0, NULL);
}

static void detected_paginators_work(void **state)
{
    fx *f = *state;
    respond(f, "{\"items\":[1],\"total_pages\":2}", NULL);
    dltc_paginator *p = NULL;
    double score;
    assert_int_equal(dltc__paginator_detect(&p, &score, f->resp, f->body), 0);
    assert_int_equal(page(f, p, 1), 1); /* detected after the first page: no init_request */
    expect_param(f, "page", "1");
    assert_int_equal(page(f, p, 1), 0);
    dltc_paginator_free(p);

    respond(f, "{\"meta data\":{\"next\":\"/v1/items?page=2\"}}", NULL);
    assert_int_equal(dltc__paginator_detect(&p, &score, f->resp, f->body), 0);
    assert_int_equal(page(f, p, 1), 1);
    assert_string_equal(dltc_rest_request_url(&f->req), "https://api.example.com/v1/items?page=2");
    dltc_paginator_free(p);
}

/* ---- data selectors ---- */

static void expect_selector(fx *f, const char *json, const char *want)
{
    char *sel = NULL;
    respond(f, json, NULL);
    assert_int_equal(dltc__selector_detect(&sel, f->body), 0);
    if (strcmp(sel, want) != 0)
        fail_msg("%s: detected '%s', want '%s'", json, sel, want);
    dltc__free(sel);
}

static void selector_detection(void **state)
{
    fx *f = *state;
    expect_selector(f, "[1,2]", "$");
    expect_selector(f, "\"x\"", "$");
    expect_selector(f, "null", "$");
    expect_selector(f, "{\"id\":1,\"meta\":{\"a\":1}}", "$");
    expect_selector(f, "{\"data\":[1]}", "data");
    expect_selector(f, "{\"links\":[],\"results\":{\"posts\":[1]}}", "links"); /* first list */
    expect_selector(f, "{\"links\":[],\"response\":{\"items\":[1]}}", "response.items");
    expect_selector(f, "{\"meta\":{\"items\":[]},\"results\":[1]}", "meta.items"); /* last key */
    expect_selector(f, "{\"a\":{\"b\":{\"data\":[1]}}}", "a.b.data");
    expect_selector(f, "{\"a\":{\"b\":{\"c\":{\"data\":[1]}}}}", "$"); /* deeper than 3 keys */
    expect_selector(f, "{\"Data\":[1],\"rows\":[2]}", "rows"); /* names are case-sensitive */
    expect_selector(f, "{\"values\":[1]}", "values");
    expect_selector(f, "{\"the list\":{\"items\":[1]}}", "'the list'.items");
    char *sel = NULL;
    assert_int_equal(dltc__selector_detect(&sel, NULL), 0); /* not JSON */
    assert_string_equal(sel, "$");
    dltc__free(sel);
}

static void expect_selected(fx *f, const char *json, const char *path, const char *want)
{
    respond(f, json, NULL);
    const dltc_value *out = NULL;
    if (dltc__selector_apply(&out, f->doc, f->body, path))
        fail_msg("%s: %s", path, dltc_error_last()->message);
    assert_int_equal(dltc_value_type_of(out), DLTC_TYPE_ARRAY);
    char *j = NULL;
    size_t n;
    assert_int_equal(dltc_value_to_json(&j, &n, out), 0);
    if (strcmp(j, want) != 0)
        fail_msg("%s on %s: got %s, want %s", path, json, j, want);
    dltc_free(j);
}

static void selector_extraction(void **state)
{
    fx *f = *state;
    expect_selected(f, "[1,2]", "$", "[1,2]");
    expect_selected(f, "{\"data\":[{\"id\":1}]}", "data", "[{\"id\":1}]");
    expect_selected(f, "{\"id\":1}", "$", "[{\"id\":1}]");            /* one object: wrapped */
    expect_selected(f, "{\"data\":{\"id\":1}}", "data", "[{\"id\":1}]");
    expect_selected(f, "{\"count\":3}", "count", "[3]");
    expect_selected(f, "{\"data\":[]}", "missing", "[]");             /* no match */
    expect_selected(f, "{\"data\":null}", "data", "[]");              /* None */
    expect_selected(f, "{\"data\":[{\"id\":1},{\"id\":2}]}", "data[*].id", "[1,2]");
    expect_selected(f, "{\"data\":[{\"items\":[1,2]},{\"items\":[3]}]}", "data[*].items",
                    "[[1,2],[3]]"); /* several matches: the list of them */
    expect_selected(f, "{\"data\":[{\"items\":[1,2]},{\"other\":1}]}", "data[*].items",
                    "[1,2]"); /* one match that is a list: that list */
    expect_selected(f, "{\"r\":{\"posts\":[1]}}", "$.r.posts", "[1]");
    /* a lent list is the body's own */
    respond(f, "{\"data\":[1]}", NULL);
    const dltc_value *out = NULL;
    assert_int_equal(dltc__selector_apply(&out, f->doc, f->body, "data"), 0);
    assert_ptr_equal(out, dltc_object_get(f->body, "data"));
    expect_error(dltc__selector_apply(&out, f->doc, f->body, "data[?(@.id)]"),
                 "data selector 'data[?(@.id)]': filter expressions are not supported");
}

/* ---- allocation failures ---- */

static int g_fail_at, g_allocs;

static void *fail_malloc(size_t n, void *payload)
{
    (void)payload;
    return ++g_allocs == g_fail_at ? NULL : malloc(n);
}

static void *fail_realloc(void *q, size_t n, void *payload)
{
    (void)payload;
    return ++g_allocs == g_fail_at ? NULL : realloc(q, n);
}

static void plain_free(void *q, void *payload)
{
    (void)payload;
    free(q);
}

/* What one page does with paginators and selectors; 0 or the first error. */
static int one_page(fx *f, const dltc_http_response *plain, const dltc_value *its)
{
    dltc_paginator *p = NULL, *c = NULL, *d = NULL, *e = NULL;
    char *sel = NULL;
    const dltc_value *out;
    double score;
    int rc = dltc_paginator_new(&p, "{\"type\":\"cursor\",\"cursor_path\":\"meta.next\","
                                    "\"has_more_path\":\"meta.more\"}");
    if (!rc)
        rc = dltc__paginator_clone(&c, p);
    if (!rc)
        rc = dltc__paginator_update_state(c, f->resp, f->body, its);
    if (!rc)
        rc = dltc__paginator_update_request(c, &f->req);
    if (!rc && !dltc_paginator_describe(c))
        rc = -1;
    if (!rc)
        rc = dltc__paginator_detect(&d, &score, f->resp, f->body);
    dltc_paginator_free(d);
    d = NULL;
    if (!rc)
        rc = dltc__paginator_detect(&d, &score, plain, f->body);
    if (!rc)
        rc = dltc__selector_detect(&sel, f->body);
    if (!rc)
        rc = dltc__selector_apply(&out, f->doc, f->body, sel);
    /* an error message quoting the body */
    if (!rc)
        rc = dltc_paginator_new(&e, "{\"type\":\"offset\",\"limit\":1,\"total_path\":\"nope\"}");
    if (!rc) {
        rc = dltc__paginator_update_state(e, f->resp, f->body, its);
        rc = rc == DLTC_EINVALID ? 0 : rc ? rc : -1;
    }
    dltc_paginator_free(p);
    dltc_paginator_free(c);
    dltc_paginator_free(d);
    dltc_paginator_free(e);
    dltc__free(sel);
    return rc;
}

static void allocation_failures(void **state)
{
    fx *f = *state;
    respond(f, "{\"meta\":{\"next\":\"tok\",\"more\":true,\"total_pages\":3},"
               "\"data\":[{\"id\":1},{\"id\":2}]}",
            "Link", "<https://x.test/2>; rel=\"next\"", NULL);
    dltc_http_response *plain = dltc__http_response_new(0);
    assert_non_null(plain);
    const dltc_value *its = items(f, 2);
    dltc_allocator failing = {fail_malloc, fail_realloc, plain_free, NULL};
    int rc = -1;
    for (g_fail_at = 1; rc; g_fail_at++) {
        g_allocs = 0;
        dltc_allocator_set(&failing);
        rc = one_page(f, plain, its);
        dltc_allocator_set(NULL);
        if (rc && rc != DLTC_ENOMEM)
            fail_msg("allocation %d: rc %d: %s", g_fail_at, rc, dltc_error_last()->message);
        assert_true(g_fail_at < 10000);
    }
    assert_true(g_fail_at > 10);
    dltc_http_response_free(plain);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_types_and_defaults),
        cmocka_unit_test(config_errors),
        T(single_page_stops_after_one),
        T(offset_with_total),
        T(offset_start_maximum_and_nested_total),
        T(offset_stops_on_empty_page_before_reading_total),
        T(offset_total_errors),
        T(has_more_overrides_range_stops),
        T(offset_in_the_body),
        T(page_number_with_total_pages),
        T(json_link_follows_urls),
        T(header_link_parses_rfc8288),
        T(cursor_in_params_and_body),
        T(cursor_stop_rules),
        T(header_cursor_reads_a_header),
        T(custom_callbacks),
        T(clone_starts_fresh),
        T(detection_order),
        T(detected_paginators_work),
        T(selector_detection),
        T(selector_extraction),
        T(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
