/* dlt tutorial "Resource grouping and secrets", step 6: a source with two resources, issues and
 * comments, run together into one load package. Both are merged on `id` and read
 * incrementally on updated_at (since=<last value>), with the `paginate` helper.
 *
 *   build/examples/github/github_source   (./github_with_source.duckdb)
 *
 * Base URL: the config value sources.github.base_url (default https://api.github.com).
 */
#include <dltc/dltc.h>
#include <dltc/rest.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPO "dlt-hub/dlt"

/* One endpoint being read: its URL and, once started, its pages. */
struct endpoint {
    char *url;
    dltc_rest_pages *pages;
};

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

/* Start paginating `e` with `params` plus since=<the cursor's last value>. */
static int start(struct endpoint *e, dltc_yield *y, const dltc_http_pair *params, size_t n)
{
    dltc_http_pair all[8];
    char *since = NULL;
    const dltc_value *last = dltc_incremental_last_value(dltc_yield_incremental(y));
    if (last && !(since = cursor_text(last)))
        return DLTC_ENOMEM;
    size_t k = 0;
    if (since)
        all[k++] = (dltc_http_pair){"since", since};
    for (size_t i = 0; i < n && k < sizeof(all) / sizeof(all[0]); i++)
        all[k++] = params[i];
    dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
    o.params = all;
    o.n_params = k;
    int rc = dltc_paginate(&e->pages, e->url, &o);
    free(since);
    return rc;
}

/* The next page of `e`, its items yielded one by one. */
static int next_page(struct endpoint *e, dltc_yield *y)
{
    const dltc_value *items;
    int rc = dltc_rest_pages_next(e->pages, &items);
    for (size_t i = 0; !rc && i < dltc_value_size(items); i++)
        rc = dltc_yield_value(y, dltc_array_get(items, i));
    return rc;
}

static int get_issues(dltc_yield *y, void *payload)
{
    static const dltc_http_pair params[] = {
        {"per_page", "100"}, {"sort", "updated"}, {"direction", "desc"}, {"state", "open"}};
    struct endpoint *e = payload;
    int rc = e->pages ? 0 : start(e, y, params, sizeof(params) / sizeof(params[0]));
    return rc ? rc : next_page(e, y);
}

static int get_comments(dltc_yield *y, void *payload)
{
    static const dltc_http_pair params[] = {{"per_page", "100"}};
    struct endpoint *e = payload;
    int rc = e->pages ? 0 : start(e, y, params, sizeof(params) / sizeof(params[0]));
    return rc ? rc : next_page(e, y);
}

/* base + "/repos/" REPO "/" + path, malloc'd */
static char *repo_url(const char *base, const char *path)
{
    size_t n = strlen(base) + strlen(path) + sizeof("/repos/" REPO "/");
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "%s/repos/" REPO "/%s", base, path);
    return url;
}

/* One resource of the source: merged on id, incremental on updated_at. */
static int add_resource(dltc_source *src, const char *name, const char *table, dltc_resource_fn fn,
                        struct endpoint *e)
{
    dltc_resource_options o = DLTC_RESOURCE_OPTIONS_INIT;
    o.table_name = table;
    o.write_disposition = "merge";
    o.primary_key = "id";
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "updated_at";
    io.initial_value = "\"1970-01-01T00:00:00Z\"";
    dltc_resource *r;
    int rc = dltc_resource_new(&r, name, fn, e, &o);
    if (rc)
        return rc;
    if ((rc = dltc_resource_set_incremental(r, &io))) {
        dltc_resource_free(r);
        return rc;
    }
    return dltc_source_add(src, r); /* the source owns r now, also when this fails */
}

/* dlt's @dlt.source def github_source(): return [get_issues, get_comments] */
static int github_source(dltc_source **out, struct endpoint *issues, struct endpoint *comments)
{
    dltc_source *src = NULL;
    int rc = dltc_source_new(&src, "github_source");
    if (!rc)
        rc = add_resource(src, "get_issues", "issues", get_issues, issues);
    if (!rc)
        rc = add_resource(src, "get_comments", "comments", get_comments, comments);
    if (rc) {
        dltc_source_free(src);
        return rc;
    }
    *out = src;
    return 0;
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
    po.dataset_name = "github_data";
    dltc_load_info *info = NULL;
    char *text = NULL;
    int rc = dltc_pipeline_open(&pipeline, "github_with_source", &po);
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
    struct endpoint issues = {NULL, NULL}, comments = {NULL, NULL};
    int rc;
    if ((rc = dltc_config_open(&cfg, NULL)) || (rc = base_url(&base, cfg)))
        goto done;
    what = "source";
    if (!(issues.url = repo_url(base, "issues")) || !(comments.url = repo_url(base, "comments"))) {
        rc = DLTC_ENOMEM;
        goto done;
    }
    if ((rc = github_source(&src, &issues, &comments)))
        goto done;
    what = "run";
    rc = run_pipeline(src);
done:
    if (rc)
        fprintf(stderr, "github_source: %s: %s\n", what,
                rc == DLTC_ENOMEM ? "out of memory" : dltc_error_last()->message);
    dltc_source_free(src);
    dltc_rest_pages_free(issues.pages);
    dltc_rest_pages_free(comments.pages);
    free(issues.url);
    free(comments.url);
    dltc_config_free(cfg);
    return rc ? 1 : 0;
}
