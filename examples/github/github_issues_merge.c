/* dlt tutorial "Build a dlt pipeline", step 4: update issues in place. The table is merged on
 * the primary key `id`, and an incremental cursor on updated_at asks the API only for the
 * issues changed since the last run (since=<last value>, sorted by updated): a rerun fetches
 * what changed, and a changed issue replaces its row instead of adding one.
 *
 *   build/examples/github/github_issues_merge   (./github_issues_merge.duckdb)
 *
 * Base URL: the config value sources.github.base_url (default https://api.github.com).
 */
#include <dltc/dltc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPO "dlt-hub/dlt"

static const dltc_http_pair ACCEPT[] = {{"Accept", "application/vnd.github+json"}};

struct api {
    dltc_http_client *http;
    char *url;   /* the page to fetch next; NULL when done */
    int started; /* 0 until the first page was asked for */
};

/* A cursor value as query text, malloc'd: a datetime becomes its ISO string
 * ("2024-05-01T10:00:00+00:00"; the HTTP client encodes the '+'). */
static char *cursor_text(const dltc_value *v)
{
    char *json = NULL;
    size_t len = 0;
    if (!v || dltc_value_to_json(&json, &len, v))
        return NULL;
    size_t skip = len >= 2 && json[0] == '"';
    char *text = malloc(len + 1);
    if (text) {
        memcpy(text, json + skip, len - 2 * skip);
        text[len - 2 * skip] = '\0';
    }
    dltc_free(json);
    return text;
}

/* The URL of rel="next" in a Link header (RFC 8288), malloc'd; NULL when there is none. */
static char *link_next(const char *link)
{
    for (const char *p = link ? strchr(link, '<') : NULL; p; p = strchr(p, '<')) {
        const char *end = strchr(p, '>');
        if (!end)
            return NULL;
        const char *params = end + 1, *stop = strchr(params, '<');
        size_t n = stop ? (size_t)(stop - params) : strlen(params);
        for (const char *rel = params; (rel = strstr(rel, "rel=")) && rel < params + n; rel += 4) {
            const char *v = rel + 4 + (rel[4] == '"');
            if (!strncasecmp(v, "next", 4) &&
                (v[4] == '"' || v[4] == ' ' || v[4] == ';' || v[4] == ',' || v[4] == '\0')) {
                size_t len = (size_t)(end - p - 1);
                char *url = malloc(len + 1);
                if (url) {
                    memcpy(url, p + 1, len);
                    url[len] = '\0';
                }
                return url;
            }
        }
        p = end;
    }
    return NULL;
}

static int issues(dltc_yield *y, void *payload)
{
    struct api *api = payload;
    dltc_incremental *updated_at = dltc_yield_incremental(y);
    if (!api->url)
        return DLTC_ITEROVER;
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    rq.url = api->url;
    rq.headers = ACCEPT;
    rq.n_headers = 1;
    /* the first request: what changed since the last run (only open issues, to spare the
     * API's rate limit); later pages follow the Link URL, which carries the parameters */
    char *since = NULL;
    dltc_http_pair first_page[] = {{"since", NULL},
                                   {"per_page", "100"},
                                   {"sort", "updated"},
                                   {"direction", "desc"},
                                   {"state", "open"}};
    if (!api->started) {
        const dltc_value *last = dltc_incremental_last_value(updated_at); /* NULL: None */
        if (last && !(since = cursor_text(last)))
            return DLTC_ENOMEM;
        first_page[0].value = since;
        rq.params = since ? first_page : first_page + 1;
        rq.n_params = sizeof(first_page) / sizeof(first_page[0]) - !since;
        api->started = 1;
    }
    dltc_http_response *resp;
    int rc = dltc_http_client_send(&resp, api->http, &rq);
    free(since);
    if (rc)
        return rc;
    size_t len;
    const char *body = dltc_http_response_body(resp, &len);
    rc = dltc_yield_json(y, body, len);
    free(api->url);
    api->url = rc ? NULL : link_next(dltc_http_response_header(resp, "Link"));
    dltc_http_response_free(resp);
    return rc;
}

/* The config value sources.github.base_url, or GitHub's API when it is not set. */
static int base_url(const char **out, dltc_config *cfg)
{
    const char *const gh[] = {"sources", "github", NULL};
    int rc = dltc_config_get_string(out, cfg, gh, "base_url", 0);
    if (rc == DLTC_ENOTFOUND) {
        *out = "https://api.github.com";
        return 0;
    }
    return rc;
}

/* Run `src` through the pipeline and print the load info. */
static int run_pipeline(dltc_source *src)
{
    dltc_pipeline *pipeline = NULL;
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    po.destination = "duckdb";
    po.dataset_name = "github_data_merge";
    dltc_load_info *info = NULL;
    char *text = NULL;
    int rc = dltc_pipeline_open(&pipeline, "github_issues_merge", &po);
    if (!rc)
        rc = dltc_pipeline_run_source(pipeline, src, &info);
    if (!rc && !(rc = dltc_load_info_format(&text, info)))
        fputs(text, stdout);
    dltc_free(text);
    dltc_load_info_free(info);
    dltc_pipeline_free(pipeline);
    return rc;
}

int main(void)
{
    const char *base, *what = "config";
    dltc_config *cfg = NULL;
    dltc_source *src = NULL;
    dltc_resource *r = NULL;
    struct api api = {NULL, NULL, 0};
    dltc_resource_options o = DLTC_RESOURCE_OPTIONS_INIT;
    o.table_name = "issues";
    o.write_disposition = "merge";
    o.primary_key = "id";
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "updated_at";
    io.initial_value = "\"1970-01-01T00:00:00Z\"";
    size_t n;
    int rc;
    if ((rc = dltc_config_open(&cfg, NULL)) || (rc = base_url(&base, cfg)))
        goto done;
    what = "source";
    n = strlen(base) + sizeof("/repos/" REPO "/issues");
    if (!(api.url = malloc(n))) {
        rc = DLTC_ENOMEM;
        goto done;
    }
    snprintf(api.url, n, "%s/repos/" REPO "/issues", base);
    if ((rc = dltc_http_client_new(&api.http, NULL)) || (rc = dltc_source_new(&src, "github")) ||
        (rc = dltc_resource_new(&r, "get_issues", issues, &api, &o)) ||
        (rc = dltc_resource_set_incremental(r, &io)))
        goto done;
    rc = dltc_source_add(src, r); /* the source owns r now, also when this fails */
    r = NULL;
    if (rc)
        goto done;
    what = "run";
    rc = run_pipeline(src);
done:
    if (rc)
        fprintf(stderr, "github_issues_merge: %s: %s\n", what,
                rc == DLTC_ENOMEM ? "out of memory" : dltc_error_last()->message);
    dltc_resource_free(r);
    dltc_source_free(src);
    dltc_http_client_free(api.http);
    free(api.url);
    dltc_config_free(cfg);
    return rc ? 1 : 0;
}
