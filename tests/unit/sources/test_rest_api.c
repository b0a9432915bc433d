/* The declarative rest_api source (include/dltc/rest_api.h) against the in-process HTTP
 * server, through a pipeline into DuckDB: resource_defaults merge, every paginator explicit
 * and detected, parent/child with include_from_parent and placeholders in path, params, json
 * and headers, the legacy resolve params, static path params, single entities, incremental
 * across two runs (the second request carries the stored value) with its legacy forms,
 * response actions, processing steps (the expression language) and C steps, auth from
 * config secrets, form bodies, a failure mid-way, and the validation errors (one line each,
 * key path, file:line, no secret). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dltc/dltc.h"
#include "dltc/rest_api.h"
#include "http_server.h"
#include "sources/rest_api_expr.h"
#include "testutil.h"

/* ---- fixtures: a server and a pipeline per test ---- */

typedef struct {
    char *dir;
    dltc_pipeline *p;
    ts_http_server *srv;
    char base[128];
} fx;

static void quiet_log(int level, const char *message, void *payload)
{
    (void)level;
    (void)message;
    (void)payload;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    f->srv = ts_http_server_start();
    if (!f->srv || !f->dir)
        return -1;
    ts_http_server_url(f->srv, "", f->base, sizeof f->base);
    char pd[1024], duck[1024];
    snprintf(pd, sizeof pd, "%s/pipelines", f->dir);
    snprintf(duck, sizeof duck, "%s/test.duckdb", f->dir);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = pd;
    o.credentials = duck;
    if (dltc_pipeline_open(&f->p, "restapi", &o))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dltc_pipeline_free(f->p);
    ts_http_server_stop(f->srv);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The config `fmt` with every %s the server's base URL. */
static char *config_text(const fx *f, const char *fmt)
{
    size_t n = strlen(fmt) + 16 * strlen(f->base) + 1;
    char *out = malloc(n);
    size_t w = 0;
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            w += (size_t)snprintf(out + w, n - w, "%s", f->base);
            p++;
        } else {
            out[w++] = *p;
        }
    }
    out[w] = '\0';
    return out;
}

static dltc_source *source_with(fx *f, const char *fmt, const dltc_rest_api_options *o)
{
    char *json = config_text(f, fmt);
    dltc_source *src = NULL;
    if (dltc_rest_api_source_json(&src, json, strlen(json), o))
        fail_msg("source: %s", dltc_error_last()->message);
    free(json);
    return src;
}

static dltc_source *source(fx *f, const char *fmt)
{
    return source_with(f, fmt, NULL);
}

static void run(fx *f, dltc_source *src)
{
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    dltc_source_free(src);
}

static long long scalar(fx *f, const char *sql)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(f->p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    const dltc_value *v = dltc_rows_get(rows, 0, 0);
    long long r = dltc_value_type_of(v) == DLTC_TYPE_NULL ? -1 : dltc_value_get_int(v);
    dltc_rows_free(rows);
    return r;
}

static const char *text(fx *f, const char *sql, char *buf, size_t n)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(f->p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    const char *s = dltc_rows_count(rows) ? dltc_rows_get_text(rows, 0, 0) : NULL;
    snprintf(buf, n, "%s", s ? s : "");
    dltc_rows_free(rows);
    return buf;
}

static int table_exists(fx *f, const char *name)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM information_schema.tables WHERE table_name = '%s'", name);
    return (int)scalar(f, sql);
}

static void script1(fx *f, const char *path, int status, const char *body, const char *headers)
{
    ts_http_reply r = {status, body, headers, 0, 0, 0, 0, 0};
    ts_http_server_script(f->srv, path, &r, 1);
}

static const char *request(fx *f, const char *path, unsigned k)
{
    static char buf[4][512];
    static int slot;
    slot = (slot + 1) % 4;
    ts_http_server_request(f->srv, path, k, buf[slot], sizeof buf[slot]);
    return buf[slot];
}

static const char *header(fx *f, const char *path, unsigned k, const char *name)
{
    static char buf[4][512];
    static int slot;
    slot = (slot + 1) % 4;
    ts_http_server_request_header(f->srv, path, k, name, buf[slot], sizeof buf[slot]);
    return buf[slot];
}

/* ---- resource_defaults ---- */

static void defaults_merge(void **state)
{
    fx *f = *state;
    script1(f, "/things", 0, "[{\"id\":1,\"v\":\"a\"},{\"id\":2,\"v\":\"b\"}]", NULL);
    script1(f, "/stuff", 0, "[{\"id\":1},{\"id\":1}]", NULL);
    const char *cfg =
        "{\"client\": {\"base_url\": \"%s\", \"headers\": {\"X-Client\": \"c\"}},"
        " \"resource_defaults\": {\"primary_key\": \"id\", \"write_disposition\": \"merge\","
        "   \"endpoint\": {\"params\": {\"per_page\": 2, \"fixed\": \"d\"},"
        "                 \"paginator\": \"single_page\", \"headers\": {\"X-Def\": \"d\"}}},"
        " \"resources\": [\"things\","
        "   {\"name\": \"others\", \"table_name\": \"other_things\", \"write_disposition\": \"append\","
        "    \"endpoint\": {\"path\": \"stuff\", \"params\": {\"per_page\": 5, \"q\": \"x y\"},"
        "                  \"headers\": {\"X-Own\": \"o\"}}}]}";
    run(f, source(f, cfg));
    run(f, source(f, cfg));
    assert_string_equal(request(f, "/things", 0), "per_page=2&fixed=d");
    assert_string_equal(request(f, "/stuff", 0), "per_page=5&fixed=d&q=x y");
    assert_string_equal(header(f, "/things", 0, "X-Def"), "d");
    assert_string_equal(header(f, "/things", 0, "X-Client"), "c");
    assert_string_equal(header(f, "/stuff", 0, "X-Own"), "o");
    assert_string_equal(header(f, "/stuff", 0, "X-Def"), ""); /* headers are replaced */
    assert_string_equal(header(f, "/stuff", 0, "X-Client"), "c");
    assert_int_equal(scalar(f, "SELECT count(*) FROM things"), 2); /* merged on id */
    assert_int_equal(scalar(f, "SELECT count(*) FROM other_things"), 4); /* appended */
    assert_int_equal(ts_http_server_hits(f->srv, "/things"), 2); /* single_page */
}

/* ---- paginators ---- */

static void paginators_explicit(void **state)
{
    fx *f = *state;
    char b1[512], l1[512];
    snprintf(b1, sizeof b1, "{\"data\":[{\"id\":1}],\"next\":\"%s/jl?page=2\"}", f->base);
    ts_http_reply jl[] = {{0, b1, NULL, 0, 0, 0, 0, 0},
                          {0, "{\"data\":[{\"id\":2}],\"next\":null}", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/jl", jl, 2);
    snprintf(l1, sizeof l1, "Link: <%s/hl?p=2>; rel=\"next\"", f->base);
    ts_http_reply hl[] = {{0, "[{\"id\":1}]", l1, 0, 0, 0, 0, 0},
                          {0, "[{\"id\":2},{\"id\":3}]", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/hl", hl, 2);
    ts_http_reply off[] = {{0, "{\"items\":[{\"id\":1},{\"id\":2}],\"total\":3}", 0, 0, 0, 0, 0, 0},
                           {0, "{\"items\":[{\"id\":3}],\"total\":3}", 0, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/off", off, 2);
    ts_http_reply pn[] = {{0, "{\"items\":[{\"id\":1}],\"total_pages\":2}", 0, 0, 0, 0, 0, 0},
                          {0, "{\"items\":[{\"id\":2}],\"total_pages\":2}", 0, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/pn", pn, 2);
    ts_http_reply cur[] = {{0, "{\"items\":[{\"id\":1}],\"next_cursor\":\"abc\"}", 0, 0, 0, 0, 0, 0},
                           {0, "{\"items\":[{\"id\":2}],\"next_cursor\":null}", 0, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/cur", cur, 2);
    ts_http_reply hc[] = {{0, "[{\"id\":1}]", "X-Next: t2", 0, 0, 0, 0, 0},
                          {0, "[{\"id\":2}]", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/hc", hc, 2);
    char sp[512];
    snprintf(sp, sizeof sp, "{\"data\":[{\"id\":1}],\"next\":\"%s/sp?page=2\"}", f->base);
    script1(f, "/sp", 0, sp, NULL);
    run(f, source(f,
        "{\"client\": {\"base_url\": \"%s\"}, \"resources\": ["
        " {\"name\": \"jl\", \"endpoint\": {\"paginator\": {\"type\": \"json_link\","
        "   \"next_url_path\": \"next\"}, \"data_selector\": \"data\"}},"
        " {\"name\": \"hl\", \"endpoint\": {\"paginator\": \"header_link\"}},"
        " {\"name\": \"off\", \"endpoint\": {\"paginator\": {\"type\": \"offset\", \"limit\": 2,"
        "   \"total_path\": \"total\"}, \"data_selector\": \"items\"}},"
        " {\"name\": \"pn\", \"endpoint\": {\"paginator\": {\"type\": \"page_number\","
        "   \"base_page\": 1, \"total_path\": \"total_pages\"}}},"
        " {\"name\": \"cur\", \"endpoint\": {\"paginator\": {\"type\": \"cursor\","
        "   \"cursor_path\": \"next_cursor\", \"cursor_param\": \"after\"}}},"
        " {\"name\": \"hc\", \"endpoint\": {\"paginator\": {\"type\": \"header_cursor\","
        "   \"cursor_key\": \"X-Next\"}}},"
        " {\"name\": \"sp\", \"endpoint\": {\"paginator\": \"single_page\","
        "   \"data_selector\": \"data\"}}]}"));
    assert_int_equal(scalar(f, "SELECT count(*) FROM jl"), 2);
    assert_string_equal(request(f, "/jl", 1), "page=2");
    assert_int_equal(scalar(f, "SELECT count(*) FROM hl"), 3);
    assert_string_equal(request(f, "/hl", 1), "p=2");
    assert_int_equal(scalar(f, "SELECT count(*) FROM off"), 3);
    assert_string_equal(request(f, "/off", 0), "offset=0&limit=2");
    assert_string_equal(request(f, "/off", 1), "offset=2&limit=2");
    assert_int_equal(scalar(f, "SELECT count(*) FROM pn"), 2);
    assert_string_equal(request(f, "/pn", 0), "page=1");
    assert_string_equal(request(f, "/pn", 1), "page=2");
    assert_int_equal(scalar(f, "SELECT count(*) FROM cur"), 2);
    assert_string_equal(request(f, "/cur", 1), "after=abc");
    assert_int_equal(scalar(f, "SELECT count(*) FROM hc"), 2);
    assert_string_equal(request(f, "/hc", 1), "cursor=t2");
    assert_int_equal(scalar(f, "SELECT count(*) FROM sp"), 1);
    assert_int_equal(ts_http_server_hits(f->srv, "/sp"), 1);
}

static void paginators_detected(void **state)
{
    fx *f = *state;
    dltc_log_set_handler(quiet_log, NULL, DLTC_LOG_WARNING);
    char l1[512], j1[512];
    snprintf(l1, sizeof l1, "Link: <%s/a_hl?p=2>; rel=\"next\"", f->base);
    ts_http_reply hl[] = {{0, "[{\"id\":1}]", l1, 0, 0, 0, 0, 0},
                          {0, "[{\"id\":2}]", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/a_hl", hl, 2);
    snprintf(j1, sizeof j1, "{\"results\":[{\"id\":1}],\"next\":\"%s/a_jl?p=2\"}", f->base);
    ts_http_reply jl[] = {{0, j1, NULL, 0, 0, 0, 0, 0},
                          {0, "{\"results\":[{\"id\":2}],\"next\":null}", NULL, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/a_jl", jl, 2);
    ts_http_reply pn[] = {{0, "{\"data\":[{\"id\":1}],\"total_pages\":2}", 0, 0, 0, 0, 0, 0},
                          {0, "{\"data\":[{\"id\":2}],\"total_pages\":2}", 0, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/a_pn", pn, 2);
    ts_http_reply cur[] = {{0, "{\"items\":[{\"id\":1}],\"next_token\":\"xyz\"}", 0, 0, 0, 0, 0, 0},
                           {0, "{\"items\":[{\"id\":2}],\"next_token\":null}", 0, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/a_cur", cur, 2);
    script1(f, "/a_one", 0, "{\"id\":1,\"name\":\"only\"}", NULL);
    run(f, source(f, "{\"client\": {\"base_url\": \"%s\"}, \"resources\": [\"a_hl\", \"a_jl\","
                     " \"a_pn\", \"a_cur\", \"a_one\"]}"));
    dltc_log_set_handler(NULL, NULL, DLTC_LOG_WARNING);
    assert_int_equal(scalar(f, "SELECT count(*) FROM a_hl"), 2);
    assert_int_equal(scalar(f, "SELECT count(*) FROM a_jl"), 2);
    assert_string_equal(request(f, "/a_jl", 1), "p=2");
    assert_int_equal(scalar(f, "SELECT count(*) FROM a_pn"), 2);
    assert_string_equal(request(f, "/a_pn", 1), "page=1");
    assert_int_equal(scalar(f, "SELECT count(*) FROM a_cur"), 2);
    assert_string_equal(request(f, "/a_cur", 1), "cursor=xyz");
    assert_int_equal(scalar(f, "SELECT count(*) FROM a_one"), 1); /* an object: one record */
}

/* ---- parent and child ---- */

static void parent_child(void **state)
{
    fx *f = *state;
    script1(f, "/posts", 0,
            "[{\"id\":1,\"title\":\"a\",\"meta\":{\"lang\":\"en\"}},"
            " {\"id\":2,\"title\":\"b\",\"meta\":{\"lang\":\"de\"}}]", NULL);
    script1(f, "/posts/1/comments", 0, "[{\"cid\":10,\"id\":100}]", NULL);
    script1(f, "/posts/2/comments", 0, "[{\"cid\":20},{\"cid\":21,\"title\":\"own\"}]", NULL);
    script1(f, "/search", 0, "{\"hits\":[{\"h\":1}]}", NULL);
    run(f, source(f,
        "{\"client\": {\"base_url\": \"%s\"},"
        " \"resource_defaults\": {\"endpoint\": {\"paginator\": \"single_page\"}},"
        " \"resources\": ["
        "  {\"name\": \"posts\", \"selected\": false},"
        "  {\"name\": \"comments\", \"include_from_parent\": [\"title\", \"id\"],"
        "   \"endpoint\": {\"path\": \"posts/{resources.posts.id}/comments\","
        "     \"params\": {\"lang\": \"{resources.posts.meta.lang}\"},"
        "     \"headers\": {\"X-Post\": \"p{resources.posts.id}\"}}},"
        "  {\"name\": \"search\", \"endpoint\": {\"path\": \"search\", \"method\": \"post\","
        "     \"json\": {\"post_id\": \"{resources.posts.id}\", \"q\": \"title:{resources.posts.title}\","
        "              \"lit\": \"{{x}}\", \"nested\": [\"{resources.posts.meta}\"]},"
        "     \"data_selector\": \"hits\"}}]}"));
    assert_int_equal(table_exists(f, "posts"), 0); /* not selected: it only feeds */
    assert_int_equal(scalar(f, "SELECT count(*) FROM comments"), 3);
    char buf[256];
    assert_string_equal(text(f, "SELECT string_agg(_posts_title, ',' ORDER BY cid) FROM comments",
                             buf, sizeof buf), "a,b,b");
    assert_int_equal(scalar(f, "SELECT _posts_id FROM comments WHERE cid = 10"), 1);
    assert_int_equal(scalar(f, "SELECT id FROM comments WHERE cid = 10"), 100);
    assert_string_equal(text(f, "SELECT title FROM comments WHERE cid = 21", buf, sizeof buf),
                        "own");
    assert_string_equal(request(f, "/posts/1/comments", 0), "lang=en");
    assert_string_equal(request(f, "/posts/2/comments", 0), "lang=de");
    assert_string_equal(header(f, "/posts/2/comments", 0, "X-Post"), "p2");
    assert_int_equal(ts_http_server_hits(f->srv, "/search"), 2);
    assert_string_equal(request(f, "/search", 0),
                        " BODY {\"post_id\":1,\"q\":\"title:a\",\"lit\":\"{x}\","
                        "\"nested\":[{\"lang\":\"en\"}]}");
    assert_int_equal(scalar(f, "SELECT count(*) FROM search"), 2);
}

static void legacy_resolve_static_and_single_entity(void **state)
{
    fx *f = *state;
    char u7[512];
    snprintf(u7, sizeof u7, "{\"id\":7,\"name\":\"ann\",\"next\":\"%s/users/7?again=1\"}", f->base);
    script1(f, "/v2/posts", 0, "[{\"id\":1,\"user\":{\"id\":7}},{\"id\":2,\"user\":{\"id\":8}}]",
            NULL);
    script1(f, "/users/7", 0, u7, NULL);
    script1(f, "/users/8", 0, "{\"id\":8,\"name\":\"bob\"}", NULL);
    script1(f, "/posts/1/likes", 0, "[{\"n\":1}]", NULL);
    script1(f, "/posts/2/likes", 0, "[]", NULL);
    run(f, source(f,
        "{\"client\": {\"base_url\": \"%s\", \"paginator\": {\"type\": \"json_link\"}},"
        " \"resources\": ["
        "  {\"name\": \"posts\", \"endpoint\": {\"path\": \"v{version}/posts\","
        "     \"params\": {\"version\": 2}, \"paginator\": \"single_page\"}},"
        "  {\"name\": \"author\", \"endpoint\": {\"path\": \"users/{uid}\","
        "     \"params\": {\"uid\": {\"type\": \"resolve\", \"resource\": \"posts\","
        "                          \"field\": \"user.id\"}}}},"
        "  {\"name\": \"likes\", \"endpoint\": {\"path\": \"posts/{pid}/likes\","
        "     \"params\": {\"pid\": {\"type\": \"resolve\", \"resource\": \"posts\", \"field\": \"id\"}},"
        "     \"paginator\": \"single_page\"}}]}"));
    assert_string_equal(request(f, "/v2/posts", 0), ""); /* bound in the path, not sent */
    assert_int_equal(scalar(f, "SELECT count(*) FROM posts"), 2);
    /* users/{uid}: a single entity, not paginated although the client has a paginator */
    assert_int_equal(scalar(f, "SELECT count(*) FROM author"), 2);
    assert_int_equal(ts_http_server_hits(f->srv, "/users/7"), 1);
    char buf[64];
    assert_string_equal(text(f, "SELECT name FROM author WHERE id = 7", buf, sizeof buf), "ann");
    assert_int_equal(scalar(f, "SELECT count(*) FROM likes"), 1);
}

/* ---- incremental ---- */

static void incremental_two_runs(void **state)
{
    fx *f = *state;
    ts_http_reply r[] = {
        {0, "[{\"id\":1,\"updated_at\":\"2024-02-01T00:00:00Z\"},"
            "{\"id\":2,\"updated_at\":\"2024-03-01T00:00:00Z\"}]", 0, 0, 0, 0, 0, 0},
        {0, "[{\"id\":2,\"updated_at\":\"2024-03-01T00:00:00Z\"},"
            "{\"id\":3,\"updated_at\":\"2024-04-01T00:00:00Z\"}]", 0, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/events", r, 2);
    ts_http_reply l[] = {{0, "[{\"seq\":11},{\"seq\":12}]", 0, 0, 0, 0, 0, 0},
                         {0, "[{\"seq\":13}]", 0, 0, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/logs", l, 2);
    const char *cfg =
        "{\"client\": {\"base_url\": \"%s\"},"
        " \"resource_defaults\": {\"endpoint\": {\"paginator\": \"single_page\"}},"
        " \"resources\": ["
        "  {\"name\": \"events\", \"primary_key\": \"id\","
        "   \"endpoint\": {\"path\": \"events\","
        "     \"params\": {\"since\": \"{incremental.start_value}\","
        "                \"upto\": \"{incremental.end_value}\"},"
        "     \"incremental\": {\"cursor_path\": \"updated_at\","
        "                     \"initial_value\": \"2024-01-01T00:00:00Z\"}}},"
        "  {\"name\": \"logs\", \"endpoint\": {\"path\": \"logs\","
        "     \"params\": {\"after\": {\"type\": \"incremental\", \"cursor_path\": \"seq\","
        "                            \"initial_value\": 10}}}}]}";
    run(f, source(f, cfg));
    /* the initial value exactly as written; a None end value leaves its parameter out */
    assert_string_equal(request(f, "/events", 0), "since=2024-01-01T00:00:00Z");
    assert_string_equal(request(f, "/logs", 0), "after=10");
    assert_int_equal(scalar(f, "SELECT count(*) FROM events"), 2);
    run(f, source(f, cfg));
    /* the second run asks from the stored last value and drops the boundary row it had */
    assert_string_equal(request(f, "/events", 1), "since=2024-03-01T00:00:00Z");
    assert_string_equal(request(f, "/logs", 1), "after=12");
    assert_int_equal(scalar(f, "SELECT count(*) FROM events"), 3);
    assert_int_equal(scalar(f, "SELECT count(*) FROM logs"), 3);
}

static void incremental_start_end_params_and_convert(void **state)
{
    fx *f = *state;
    script1(f, "/audits", 0, "[{\"ts\":150},{\"ts\":2000}]", NULL);
    script1(f, "/days/1714521600", 0, "{\"day\":\"2024-05-02\"}", NULL);
    run(f, source(f,
        "{\"client\": {\"base_url\": \"%s\"},"
        " \"resources\": ["
        "  {\"name\": \"audits\", \"endpoint\": {\"path\": \"audits\", \"paginator\": \"single_page\","
        "     \"incremental\": {\"cursor_path\": \"ts\", \"initial_value\": 100,"
        "        \"end_value\": 1000, \"start_param\": \"from\", \"end_param\": \"to\","
        "        \"convert\": \"value * 1000\"}}},"
        "  {\"name\": \"days\", \"endpoint\": {\"path\": \"days/{incremental.start_value}\","
        "     \"paginator\": \"single_page\", \"data_selector\": \"$\","
        "     \"params\": {\"epoch\": \"{incremental.last_value}\"},"
        "     \"incremental\": {\"cursor_path\": \"day\", \"initial_value\": \"2024-05-01\","
        "        \"convert\": \"epoch(value)\"}}}]}"));
    assert_string_equal(request(f, "/audits", 0), "from=100000&to=1000000");
    assert_int_equal(scalar(f, "SELECT count(*) FROM audits"), 1); /* 2000 is past end_value */
    /* convert applies to start_value (and end_value); last_value stays as it is */
    assert_int_equal(ts_http_server_hits(f->srv, "/days/1714521600"), 1);
    assert_string_equal(request(f, "/days/1714521600", 0), "epoch=2024-05-01");
}

/* ---- response actions, failures ---- */

static void response_actions_ignore(void **state)
{
    fx *f = *state;
    script1(f, "/posts", 0, "[{\"id\":1},{\"id\":2},{\"id\":3}]", NULL);
    script1(f, "/details/1", 0, "{\"id\":1,\"d\":\"x\"}", NULL);
    script1(f, "/details/2", 404, "not found", NULL);
    script1(f, "/details/3", 403, "{\"error\": \"quota exceeded\"}", NULL);
    const char *cfg =
        "{\"client\": {\"base_url\": \"%s\"},"
        " \"resources\": ["
        "  {\"name\": \"posts\", \"selected\": false, \"endpoint\": {\"paginator\": \"single_page\"}},"
        "  {\"name\": \"details\", \"endpoint\": {\"path\": \"details/{resources.posts.id}\","
        "     \"params\": {\"api_key\": \"k-123456789\"},"
        "     \"response_actions\": [{\"status_code\": 404, \"action\": \"ignore\"},"
        "        {\"status_code\": 403, \"content\": \"quota exceeded\", \"action\": \"ignore\"}]}}]}";
    run(f, source(f, cfg));
    assert_int_equal(scalar(f, "SELECT count(*) FROM details"), 1);
    /* a 403 whose body does not match fails with dlt's HTTPError, the key redacted */
    script1(f, "/details/3", 403, "{\"error\": \"forbidden\"}", NULL);
    dltc_source *src = source(f, cfg);
    assert_int_not_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    dltc_source_free(src);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "rest_api resource 'details': 403 Client Error: Forbidden for url: "));
    assert_non_null(strstr(m, "/details/3?api_key=***"));
    assert_null(strstr(m, "k-123456789"));
    assert_null(strchr(m, '\n'));
    assert_int_equal(scalar(f, "SELECT count(*) FROM details"), 1); /* nothing of that run */
}

static void failure_mid_way_loads_nothing(void **state)
{
    fx *f = *state;
    char l1[512];
    snprintf(l1, sizeof l1, "Link: <%s/pages?p=2&token=abcdefghijk>; rel=\"next\"", f->base);
    ts_http_reply r[] = {{0, "[{\"id\":1},{\"id\":2}]", l1, 0, 0, 0, 0, 0},
                         {0, "[{\"id\":3},{\"id\":4}]", NULL, TS_FAULT_DROP, 0, 0, 0, 0}};
    ts_http_server_script(f->srv, "/pages", r, 2);
    dltc_source *src = source(f, "{\"client\": {\"base_url\": \"%s\"}, \"resources\": ["
                                 "{\"name\": \"pages\", \"endpoint\": {\"paginator\": \"header_link\"}}]}");
    assert_int_not_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    dltc_source_free(src);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "rest_api resource 'pages': GET http://127.0.0.1:"));
    assert_non_null(strstr(m, "token=***"));
    assert_null(strstr(m, "abcdefghijk"));
    assert_null(strchr(m, '\n'));
    assert_int_equal(table_exists(f, "pages"), 0); /* not even the first page */
}

/* ---- processing steps ---- */

static int c_filter_calls;

static int c_filter(const dltc_value *item, void *payload)
{
    (void)payload;
    c_filter_calls++;
    const dltc_value *id = dltc_object_get(item, "id");
    return !id || dltc_value_get_int(id) != 5;
}

static void processing_steps(void **state)
{
    fx *f = *state;
    script1(f, "/orders", 0,
            "[{\"id\":1,\"name\":\"a\",\"qty\":2,\"price\":5.5,\"status\":\"open\",\"secret\":\"x\"},"
            " {\"id\":2,\"name\":\"b\",\"qty\":0,\"price\":9,\"status\":\"open\"},"
            " {\"id\":3,\"name\":\"c\",\"qty\":1,\"price\":3,\"status\":\"open\"},"
            " {\"id\":4,\"name\":\"d\",\"qty\":5,\"price\":4,\"status\":\"cancelled\"},"
            " {\"id\":5,\"name\":\"e\",\"qty\":9,\"price\":9,\"status\":\"done\"}]", NULL);
    dltc_source *src = source(f,
        "{\"client\": {\"base_url\": \"%s\"},"
        " \"resources\": [{\"name\": \"orders\", \"endpoint\": {\"paginator\": \"single_page\"},"
        "   \"processing_steps\": ["
        "     {\"filter\": \"qty > 0 and status in ['open', 'done']\"},"
        "     {\"map\": {\"total\": \"qty * price\", \"label\": \"upper(name) + '-' + str(id)\","
        "                \"secret\": null, \"source\": \"'api'\", \"version\": 2}},"
        "     {\"filter\": \"total >= 10\"},"
        "     {\"drop\": [\"tmp\", \"status\"], \"map\": {\"tmp\": \"1\", \"was\": \"status\"}},"
        "     {\"select\": [\"was\", \"id\", \"label\", \"total\", \"source\", \"version\", \"nope\"]}]}]}");
    dltc_resource *r = dltc_source_resource(src, "orders");
    assert_non_null(r);
    assert_string_equal(dltc_resource_name(r), "orders");
    assert_null(dltc_source_resource(src, "nope"));
    assert_int_equal(dltc_source_resource_count(src), 1);
    assert_ptr_equal(dltc_source_resource_at(src, 0), r);
    /* a C step runs after the config's steps */
    assert_int_equal(dltc_resource_add_filter(r, c_filter, NULL), 0);
    run(f, src);
    assert_int_equal(c_filter_calls, 2); /* ids 1 and 5 reached it */
    assert_int_equal(scalar(f, "SELECT count(*) FROM orders"), 1);
    char buf[64];
    assert_string_equal(text(f, "SELECT label FROM orders", buf, sizeof buf), "A-1");
    assert_string_equal(text(f, "SELECT total FROM orders", buf, sizeof buf), "11.0");
    assert_string_equal(text(f, "SELECT source FROM orders", buf, sizeof buf), "api");
    assert_int_equal(scalar(f, "SELECT version FROM orders"), 2);
    assert_string_equal(text(f, "SELECT was FROM orders", buf, sizeof buf), "open");
    assert_int_equal(scalar(f, "SELECT count(*) FROM information_schema.columns WHERE "
                               "table_name = 'orders' AND column_name IN ('secret', 'tmp', "
                               "'status', 'name', 'qty', 'price', 'nope')"), 0);
    /* select keeps its order */
    assert_string_equal(text(f, "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) "
                                "FROM information_schema.columns WHERE table_name = 'orders' "
                                "AND column_name NOT LIKE '\\_dlt%' ESCAPE '\\'", buf, sizeof buf),
                        "was,id,label,total,source,version");
}

static void processing_step_error_fails_the_run(void **state)
{
    fx *f = *state;
    script1(f, "/rows", 0, "[{\"id\":1,\"v\":\"text\"}]", NULL);
    dltc_source *src = source(f,
        "{\"client\": {\"base_url\": \"%s\"},"
        " \"resource_defaults\": {\"processing_steps\": [{\"filter\": \"v > 3\"}]},"
        " \"resources\": [{\"name\": \"rows\", \"endpoint\": {\"paginator\": \"single_page\"}}]}");
    assert_int_not_equal(dltc_pipeline_run_source(f->p, src, NULL), 0);
    dltc_source_free(src);
    assert_string_equal(dltc_error_last()->message,
                        "rest_api resource 'rows': resource_defaults.processing_steps[0].filter: "
                        "at 3: cannot compare a string with an integer (in \"v > 3\")");
}

/* ---- auth, bodies ---- */

static void auth_from_config_secrets(void **state)
{
    fx *f = *state;
    char dlt[1024], path[1100];
    snprintf(dlt, sizeof dlt, "%s/.dlt", f->dir);
    mkdir(dlt, 0700);
    snprintf(path, sizeof path, "%s/secrets.toml", dlt);
    const char *secrets = "[sources.shop.credentials]\ntoken = \"s3cr3t-token-abcdef\"\n";
    assert_int_equal(tu_write_file(path, secrets, strlen(secrets)), 0);
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.run_dir = f->dir;
    co.global_dir = f->dir;
    dltc_config *cfg;
    assert_int_equal(dltc_config_open(&cfg, &co), 0);
    script1(f, "/me", 0, "[{\"id\":1}]", NULL);
    script1(f, "/keyed", 0, "[{\"id\":2}]", NULL);
    script1(f, "/open", 0, "[{\"id\":3}]", NULL);
    dltc_rest_api_options o = DLTC_REST_API_OPTIONS_INIT;
    o.config = cfg;
    o.section = "shop";
    o.name = "shop";
    const char *conf =
        "{\"client\": {\"base_url\": \"%s\", \"auth\": {\"type\": \"bearer\"}},"
        " \"resource_defaults\": {\"endpoint\": {\"paginator\": \"single_page\"}},"
        " \"resources\": [\"me\","
        "  {\"name\": \"keyed\", \"endpoint\": {\"auth\": {\"type\": \"api_key\", \"name\": \"X-Key\","
        "       \"api_key\": \"key-abcdefgh123\"}}},"
        "  {\"name\": \"open\", \"endpoint\": {\"auth\": null}}]}";
    run(f, source_with(f, conf, &o));
    assert_string_equal(header(f, "/me", 0, "Authorization"), "Bearer s3cr3t-token-abcdef");
    assert_string_equal(header(f, "/keyed", 0, "X-Key"), "key-abcdefgh123");
    assert_string_equal(header(f, "/keyed", 0, "Authorization"), "");
    assert_string_equal(header(f, "/open", 0, "Authorization"), "");
    assert_int_equal(scalar(f, "SELECT count(*) FROM me"), 1);
    /* without the secret: one line naming what was looked for */
    o.section = "other";
    o.name = "other";
    char *json = config_text(f, conf);
    dltc_source *src = NULL;
    int rc = dltc_rest_api_source_json(&src, json, strlen(json), &o);
    free(json);
    assert_int_equal(rc, DLTC_ENOTFOUND);
    assert_null(src);
    const char *m = dltc_error_last()->message;
    assert_non_null(strstr(m, "rest_api: client.auth: "));
    assert_non_null(strstr(m, "token"));
    assert_null(strchr(m, '\n'));
    dltc_config_free(cfg);
}

static void form_and_raw_bodies(void **state)
{
    fx *f = *state;
    script1(f, "/form", 0, "[{\"id\":1}]", NULL);
    script1(f, "/raw", 0, "[{\"id\":2}]", NULL);
    run(f, source(f,
        "{\"client\": {\"base_url\": \"%s\"},"
        " \"resource_defaults\": {\"endpoint\": {\"paginator\": \"single_page\", \"method\": \"POST\"}},"
        " \"resources\": ["
        "  {\"name\": \"form\", \"endpoint\": {\"data\": {\"q\": \"a b&c\", \"n\": 5, \"flag\": true,"
        "                                              \"gone\": null}}},"
        "  {\"name\": \"raw\", \"endpoint\": {\"data\": \"<x>{{raw}}</x>\","
        "     \"headers\": {\"Content-Type\": \"text/xml\"}}}]}"));
    assert_string_equal(request(f, "/form", 0), " BODY q=a+b%26c&n=5&flag=True");
    assert_string_equal(header(f, "/form", 0, "Content-Type"), "application/x-www-form-urlencoded");
    assert_string_equal(request(f, "/raw", 0), " BODY <x>{raw}</x>");
    assert_string_equal(header(f, "/raw", 0, "Content-Type"), "text/xml");
}

/* ---- validation ---- */

static const struct {
    const char *path;
    int line;
} LINES[] = {{"client", 2},
             {"client.auth", 3},
             {"resource_defaults", 5},
             {"resource_defaults.endpoint.params", 6},
             {"resources[0]", 10},
             {"resources[0].endpoint", 11},
             {"resources[1]", 13},
             {"resources[1].endpoint.paginator", 14}};

static const char *locate(const char *key_path, void *payload)
{
    static char buf[64];
    (*(int *)payload)++;
    for (size_t i = 0; i < sizeof LINES / sizeof LINES[0]; i++)
        if (!strcmp(LINES[i].path, key_path)) {
            snprintf(buf, sizeof buf, "pipeline.toml:%d", LINES[i].line);
            return buf;
        }
    return NULL;
}

#define CLIENT "\"client\": {\"base_url\": \"http://127.0.0.1:1/\"}"

static const struct {
    const char *json;
    const char *want; /* the whole message */
} BAD[] = {
    {"{" CLIENT ", \"resources\": [\"a\", {\"name\": \"b\", \"endpoint\": {\"paginator\": "
     "{\"type\": \"foo\"}}}]}",
     "pipeline.toml:14: rest_api: resources[1].endpoint.paginator: unknown paginator type "
     "\"foo\" (json_link, header_link, auto, single_page, cursor, offset, page_number, "
     "header_cursor)"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"endpoint\": {\"paginatr\": \"auto\"}}]}",
     "pipeline.toml:11: rest_api: resources[0].endpoint: unknown key \"paginatr\" (did you mean "
     "\"paginator\"?)"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"selected\": \"yes\"}]}",
     "pipeline.toml:10: rest_api: resources[0].selected: must be a boolean, not a string"},
    {"{" CLIENT ", \"resources\": [\"a\", {\"name\": \"b\", \"endpoint\": \"a/{resources.x.id}\"}]}",
     "pipeline.toml:13: rest_api: resources[1].endpoint: the parent resource \"x\" is not "
     "defined"},
    {"{" CLIENT ", \"resources\": [\"p\", \"q\", {\"name\": \"c\", \"endpoint\": {\"path\": "
     "\"a/{resources.p.id}\", \"params\": {\"x\": \"{resources.q.id}\"}}}]}",
     "rest_api: resources[2].endpoint.params.x: refers to the parent resources \"p\" and \"q\": "
     "a resource may have only one parent"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"endpoint\": \"users/{uid}\"}]}",
     "pipeline.toml:11: rest_api: resources[0].endpoint: needs a param named \"uid\" in "
     "endpoint.params"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"endpoint\": {\"params\": {\"s\": "
     "\"{incremental.start_value}\"}}}]}",
     "pipeline.toml:11: rest_api: resources[0].endpoint.params.s: placeholder "
     "{incremental.start_value} needs endpoint.incremental"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"include_from_parent\": [\"id\"]}]}",
     "pipeline.toml:10: rest_api: resources[0].include_from_parent: the resource has no parent "
     "(its endpoint refers to no {resources.<parent>.<field>})"},
    {"{\"client\": {\"base_url\": \"http://x/\", \"auth\": {\"type\": \"bearr\", \"token\": "
     "\"supersecret-XYZ-123\"}}, \"resources\": [\"a\"]}",
     "pipeline.toml:3: rest_api: client.auth: unknown auth type \"bearr\" (bearer, api_key, "
     "http_basic, oauth2_client_credentials)"},
    {"{\"client\": {\"base_url\": \"http://x/\", \"auth\": {\"type\": \"bearer\", \"tokn\": "
     "\"supersecret-XYZ-123\"}}, \"resources\": [\"a\"]}",
     "pipeline.toml:3: rest_api: client.auth: unknown key \"tokn\" (did you mean \"token\"?)"},
    {"{\"client\": {\"base_url\": \"http://x/\", \"auth\": {\"token\": 12345678901}}, "
     "\"resources\": [\"a\"]}",
     "pipeline.toml:3: rest_api: client.auth.token: must be a string, not an integer"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"processing_steps\": [{\"filter\": "
     "\"qty > \"}]}]}",
     "pipeline.toml:10: rest_api: resources[0].processing_steps[0].filter: \"qty > \": at 7: "
     "expected a value, found the end"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"processing_steps\": [{\"map\": {\"x\": "
     "\"foo(1)\"}}]}]}",
     "pipeline.toml:10: rest_api: resources[0].processing_steps[0].map.x: \"foo(1)\": at 1: "
     "unknown function 'foo'"},
    {"{\"client\": {\"headers\": {}}, \"resources\": [\"a\"]}",
     "pipeline.toml:2: rest_api: client.base_url: is required"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"endpoint\": {\"response_actions\": "
     "[{\"status_code\": 404, \"action\": \"retry\"}]}}]}",
     "pipeline.toml:11: rest_api: resources[0].endpoint.response_actions[0].action: unknown "
     "action \"retry\" (ignore)"},
    {"{" CLIENT ", \"resources\": [\"p\", {\"name\": \"a\", \"endpoint\": {\"path\": \"x\", "
     "\"params\": {\"id\": {\"type\": \"resolve\", \"resource\": \"p\", \"field\": \"id\"}}}}]}",
     "pipeline.toml:13: rest_api: resources[1].endpoint.params.id: a resolve param must be "
     "bound in the path as {id} (to use a parent's field in a query parameter write "
     "{resources.<parent>.<field>})"},
    {"{" CLIENT ", \"resources\": [\"a\", {\"name\": \"b\", \"endpoint\": {\"paginator\": "
     "{\"type\": \"offset\"}}}]}",
     "pipeline.toml:14: rest_api: resources[1].endpoint.paginator: paginator 'offset': "
     "OffsetPaginator missing 1 required argument: 'limit'"},
    {"{" CLIENT ", \"resource_defaults\": {\"endpoint\": {\"params\": {\"x\": "
     "\"{resources.nope.id}\"}}}, \"resources\": [\"a\"]}",
     "pipeline.toml:6: rest_api: resource_defaults.endpoint.params.x: the parent resource "
     "\"nope\" is not defined"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"endpoint\": \"a}b\"}]}",
     "pipeline.toml:11: rest_api: resources[0].endpoint: a single '}' (write '}}' for a brace)"},
    {"{" CLIENT ", \"resources\": [\"a\", {\"name\": \"a\"}]}",
     "pipeline.toml:13: rest_api: resources[1].name: resource \"a\" is defined twice (also "
     "resources[0])"},
    {"{" CLIENT ", \"resources\": [\"a\", \"b\"], \"resource\": 1}",
     "rest_api: config: unknown key \"resource\" (did you mean \"resources\"?)"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"endpoint\": {\"json\": {}, \"data\": "
     "{\"x\": 1}}}]}",
     "pipeline.toml:11: rest_api: resources[0].endpoint.data: json and data cannot be given "
     "together"},
    {"{" CLIENT ", \"resources\": [\"p\", {\"name\": \"a\", \"endpoint\": \"a/{resources.a.id}\"}]}",
     "pipeline.toml:13: rest_api: resources[1].endpoint: resource \"a\" refers to itself"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"endpoint\": {\"incremental\": "
     "{\"cursor_path\": \"t\", \"last_value_func\": \"median\"}}}]}",
     "pipeline.toml:11: rest_api: resources[0].endpoint.incremental.last_value_func: unknown "
     "value \"median\" (max, min)"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"write_disposition\": \"upsert\"}]}",
     "pipeline.toml:10: rest_api: resources[0].write_disposition: unknown value \"upsert\" "
     "(append, replace, merge, skip)"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"endpoint\": \"a/{resources.b.id}\"}, "
     "{\"name\": \"b\", \"endpoint\": \"b/{resources.a.id}\"}]}",
     "pipeline.toml:10: rest_api: resources[0]: the parents of \"a\" form a cycle"},
    {"{" CLIENT ", \"resources\": []}",
     "rest_api: resources: is empty: a source needs at least one resource"},
    {"[1]", "rest_api: the config must be an object with client and resources"},
    {"{" CLIENT ", \"resources\": [{\"name\": \"a\", \"processing_steps\": [{\"yield_map\": "
     "\"x\"}]}]}",
     "pipeline.toml:10: rest_api: resources[0].processing_steps[0].yield_map: not supported by "
     "dltc: it needs a Python function (add a C step to the resource instead: "
     "dltc_source_resource)"},
};

static void validation_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        int calls = 0;
        dltc_rest_api_options o = DLTC_REST_API_OPTIONS_INIT;
        o.locate = locate;
        o.locate_payload = &calls;
        dltc_source *src = NULL;
        int rc = dltc_rest_api_source_json(&src, BAD[i].json, strlen(BAD[i].json), &o);
        if (rc != DLTC_EINVALID || strcmp(dltc_error_last()->message, BAD[i].want))
            fail_msg("case %zu: rc %d\n got: %s\nwant: %s", i, rc, dltc_error_last()->message,
                     BAD[i].want);
        assert_null(src);
        assert_null(strchr(dltc_error_last()->message, '\n'));
        assert_null(strstr(dltc_error_last()->message, "supersecret"));
    }
    /* not JSON at all */
    dltc_source *src = NULL;
    assert_int_equal(dltc_rest_api_source_json(&src, "{", 1, NULL), DLTC_EPARSE);
    assert_non_null(strstr(dltc_error_last()->message, "rest_api: the config is not JSON: "));
}

/* ---- the expression language ---- */

static const char *RECORD =
    "{\"a\": 1, \"b\": 2.5, \"s\": \"Hello\", \"n\": null, \"list\": [1, 2, 3],"
    " \"o\": {\"x\": {\"y\": \"deep\"}}, \"t\": \"2024-01-02T03:04:05Z\", \"weird key\": 7,"
    " \"u\": \"h\\u00e9llo\"}";

static const struct {
    const char *expr, *want;
} GOOD[] = {
    {"a + 1", "2"},
    {"a + b", "3.5"},
    {"s + ' world'", "\"Hello world\""},
    {"a == 1.0", "true"},
    {"s == 'Hello' and not n", "true"},
    {"n == null", "true"},
    {"missing == None", "true"},
    {"exists(missing)", "false"},
    {"exists(n)", "true"},
    {"is_null(missing) and is_null(n) and not is_null(a)", "true"},
    {"a < 2 and b >= 2.5", "true"},
    {"n > 1", "false"},
    {"2 in list", "true"},
    {"'ell' in s", "true"},
    {"'x' in o", "true"},
    {"5 not in list", "true"},
    {"o.x.y", "\"deep\""},
    {"o['x'].y", "\"deep\""},
    {"list[-1]", "3"},
    {"list[10]", "null"},
    {"`weird key` * 2", "14"},
    {"lower(s) + upper(s)", "\"helloHELLO\""},
    {"len(s) + len(list) + len(u)", "13"},
    {"coalesce(n, missing, 'z')", "\"z\""},
    {"starts_with(s, 'He') and ends_with(s, 'lo') and contains(list, 3)", "true"},
    {"replace(s, 'l', 'L')", "\"HeLLo\""},
    {"substr(s, 1, 3)", "\"ell\""},
    {"substr(s, -2)", "\"lo\""},
    {"substr(u, 1, 2)", "\"\xc3\xa9l\""},
    {"split('a,b,,c', ',')", "[\"a\",\"b\",\"\",\"c\"]"},
    {"join(list, '-')", "\"1-2-3\""},
    {"str(a) + str(b) + str(list)", "\"12.5[1,2,3]\""},
    {"str(n)", "null"},
    {"int('42') + int(b) + int(' 7 ')", "51"},
    {"float(a)", "1.0"},
    {"round(2.5)", "2"},
    {"round(3.5)", "4"},
    {"round(3.14159, 2)", "3.14"},
    {"abs(-3) + abs(-1.5)", "4.5"},
    {"min(3, 1, 2)", "1"},
    {"max(list)", "3"},
    {"max('b', 'a')", "\"b\""},
    {"if(a > 0, 'pos', 'neg')", "\"pos\""},
    {"if(true, 1, 1 / 0)", "1"},
    {"epoch(t)", "1704164645"},
    {"date(t)", "\"2024-01-02\""},
    {"7 % 3", "1"},
    {"-7 % 3", "2"},
    {"7 / 2", "3.5"},
    {"9223372036854775807 + 1", "9.223372036854776e+18"},
    {"n + 1", "null"},
    {"a or 'x'", "1"},
    {"n or 'x'", "\"x\""},
    {"t > '2024-01-01'", "true"},
    {"$.a", "1"},
    {"[a, s, missing]", "[1,\"Hello\",null]"},
    {"[1] + [2]", "[1,2]"},
    {"True and None == null", "true"},
    {"not not a", "true"},
    {"'it\\'s' + \"\\u0041\"", "\"it'sA\""},
    {"1e3 + .5e1", "x"},
};

static const struct {
    const char *expr, *want;
} WRONG[] = {
    {"a >", "at 4: expected a value, found the end"},
    {"a = 1", "at 3: '=' is not an operator (compare with '==')"},
    {"foo(1)", "at 1: unknown function 'foo'"},
    {"'abc", "at 1: a string is not closed"},
    {"a < b < c", "at 7: comparisons do not chain: use 'and' (a < b and b < c)"},
    {"len()", "at 1: len() takes 1 argument"},
    {"a &", "at 3: '&' is not an operator (use 'and' / 'or')"},
    {"a b", "at 3: unexpected a name after the expression"},
    {"x not y", "at 7: expected 'in' after 'not'"},
    {"", "an empty expression"},
    {"s > 1", "at 3: cannot compare a string with an integer"},
    {"a / 0", "at 3: division by zero"},
    {"s - 1", "at 3: cannot subtract a string and an integer"},
    {"len(a)", "at 1: len() needs a string, a list or an object, not an integer"},
    {"int('x')", "at 1: int() cannot read a number from this string"},
};

static void expression_language(void **state)
{
    (void)state;
    dltc_doc *doc;
    dltc_value *rec;
    assert_int_equal(dltc_doc_new(&doc), 0);
    assert_int_equal(dltc_doc_parse_json(doc, RECORD, strlen(RECORD), &rec), 0);
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++) {
        dltc__ra_expr *e;
        dltc_value out;
        if (strcmp(GOOD[i].want, "x") == 0) { /* ".5" is not a number */
            assert_int_not_equal(dltc__ra_expr_compile(&e, GOOD[i].expr, strlen(GOOD[i].expr)), 0);
            continue;
        }
        if (dltc__ra_expr_compile(&e, GOOD[i].expr, strlen(GOOD[i].expr)))
            fail_msg("%s: %s", GOOD[i].expr, dltc_error_last()->message);
        if (dltc__ra_expr_eval(e, rec, &a, &out))
            fail_msg("%s: %s", GOOD[i].expr, dltc_error_last()->message);
        char *j = NULL;
        assert_int_equal(dltc_value_to_json(&j, NULL, &out), 0);
        if (strcmp(j, GOOD[i].want))
            fail_msg("%s: got %s, want %s", GOOD[i].expr, j, GOOD[i].want);
        dltc_free(j);
        dltc__ra_expr_free(e);
        dltc__arena_reset(&a);
    }
    for (size_t i = 0; i < sizeof WRONG / sizeof WRONG[0]; i++) {
        dltc__ra_expr *e = NULL;
        dltc_value out;
        int rc = dltc__ra_expr_compile(&e, WRONG[i].expr, strlen(WRONG[i].expr));
        if (!rc) {
            rc = dltc__ra_expr_eval(e, rec, &a, &out);
            dltc__ra_expr_free(e);
        }
        if (!rc || strcmp(dltc_error_last()->message, WRONG[i].want))
            fail_msg("%s: rc %d, got \"%s\", want \"%s\"", WRONG[i].expr, rc,
                     dltc_error_last()->message, WRONG[i].want);
    }
    /* nesting is bounded, in the parse and in the tree */
    char deep[400], chain[6000];
    memset(deep, '(', 300);
    deep[300] = '1';
    memset(deep + 301, ')', 98);
    deep[399] = '\0';
    dltc__ra_expr *e = NULL;
    assert_int_not_equal(dltc__ra_expr_compile(&e, deep, strlen(deep)), 0);
    assert_non_null(strstr(dltc_error_last()->message, "nests too deep"));
    size_t w = 0;
    for (int i = 0; i < 1000; i++)
        w += (size_t)snprintf(chain + w, sizeof chain - w, "%s1", i ? "+" : "");
    assert_int_not_equal(dltc__ra_expr_compile(&e, chain, w), 0);
    assert_non_null(strstr(dltc_error_last()->message, "nests too deep"));
    dltc__arena_free(&a);
    dltc_doc_free(doc);
}

/* ---- out of memory while the source is made: a clean failure, nothing leaked ---- */

static long oom_countdown = -1;

static void *oom_malloc(size_t n, void *payload)
{
    (void)payload;
    if (oom_countdown == 0)
        return NULL;
    if (oom_countdown > 0)
        oom_countdown--;
    return malloc(n);
}

static void *oom_realloc(void *p, size_t n, void *payload)
{
    (void)payload;
    if (oom_countdown == 0)
        return NULL;
    if (oom_countdown > 0)
        oom_countdown--;
    return realloc(p, n);
}

static void oom_free(void *p, void *payload)
{
    (void)payload;
    free(p);
}

static void out_of_memory(void **state)
{
    (void)state;
    const char *cfg =
        "{\"client\": {\"base_url\": \"http://127.0.0.1:1/\", \"headers\": {\"A\": \"b\"},"
        "   \"auth\": {\"token\": \"tok-abcdefghijkl\"}, \"paginator\": \"header_link\"},"
        " \"resource_defaults\": {\"primary_key\": [\"id\"], \"columns\": {\"id\": {\"nullable\": false}},"
        "   \"endpoint\": {\"params\": {\"per_page\": 10}},"
        "   \"processing_steps\": [{\"filter\": \"id > 0\", \"map\": {\"x\": \"upper(s)\"}}]},"
        " \"resources\": [\"posts\","
        "  {\"name\": \"comments\", \"include_from_parent\": [\"id\"],"
        "   \"columns\": [{\"name\": \"cid\", \"data_type\": \"bigint\"}],"
        "   \"write_disposition\": {\"disposition\": \"merge\", \"strategy\": \"upsert\"},"
        "   \"endpoint\": {\"path\": \"posts/{resources.posts.id}/c\", \"json\": {\"a\": \"{resources.posts.id}\"},"
        "     \"method\": \"POST\", \"response_actions\": [{\"status_code\": 404, \"action\": \"ignore\"}],"
        "     \"incremental\": {\"cursor_path\": \"t\", \"initial_value\": 1, \"convert\": \"value + 1\"}}},"
        "  {\"name\": \"one\", \"endpoint\": {\"path\": \"u/{uid}\", \"headers\": {\"H\": \"{resources.posts.x}\"},"
        "     \"params\": {\"uid\": {\"type\": \"resolve\", \"resource\": \"posts\", \"field\": \"u\"}},"
        "     \"auth\": {\"type\": \"api_key\", \"api_key\": \"key-abcdefghijk\", \"location\": \"query\"}}}]}";
    dltc_config *conf;
    assert_int_equal(dltc_config_open(&conf, NULL), 0);
    dltc_rest_api_options o = DLTC_REST_API_OPTIONS_INIT;
    o.config = conf;
    dltc_allocator al = {oom_malloc, oom_realloc, oom_free, NULL};
    int ok = 0;
    for (long n = 0; n < 20000 && !ok; n++) {
        dltc_allocator_set(&al);
        oom_countdown = n;
        dltc_source *src = NULL;
        int rc = dltc_rest_api_source_json(&src, cfg, strlen(cfg), &o);
        oom_countdown = -1;
        if (rc == 0) {
            assert_non_null(src);
            assert_int_equal(dltc_source_resource_count(src), 3);
            ok = 1;
        } else {
            assert_null(src);
        }
        dltc_source_free(src);
        dltc_allocator_set(NULL);
    }
    assert_true(ok);
    dltc_config_free(conf);
}

int main(void)
{
    /* fast retries for the failure cases */
    setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2", 1);
    setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.01", 1);
    setenv("RUNTIME__REQUEST_TIMEOUT", "5", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(paginators_explicit, setup, teardown),
        cmocka_unit_test_setup_teardown(paginators_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(parent_child, setup, teardown),
        cmocka_unit_test_setup_teardown(legacy_resolve_static_and_single_entity, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_two_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_start_end_params_and_convert, setup, teardown),
        cmocka_unit_test_setup_teardown(response_actions_ignore, setup, teardown),
        cmocka_unit_test_setup_teardown(failure_mid_way_loads_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(processing_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(processing_step_error_fails_the_run, setup, teardown),
        cmocka_unit_test_setup_teardown(auth_from_config_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(form_and_raw_bodies, setup, teardown),
        cmocka_unit_test(validation_errors),
        cmocka_unit_test(expression_language),
        cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
