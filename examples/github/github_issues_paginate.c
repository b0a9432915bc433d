/* dlt tutorial "Build a dlt pipeline", step 5: step 4 with the `paginate` helper of the REST
 * client. dltc_paginate finds GitHub's pagination by itself (the Link header) and hands out
 * one page of items at a time; the resource yields them. Merge on `id`, incremental on
 * updated_at with since=<last value>, as in step 4.
 *
 *   build/examples/github/github_issues_paginate   (./github_issues_paginate.duckdb)
 *
 * Base URL: the config value sources.github.base_url (default https://api.github.com).
 */
#include <dltc/dltc.h>
#include <dltc/rest.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPO "dlt-hub/dlt"

struct api {
    char *url;              /* .../repos/dlt-hub/dlt/issues */
    dltc_rest_pages *pages; /* NULL until the first call */
};

/* A cursor value as query text, malloc'd: a datetime becomes its ISO string. */
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

/* Yield the items of one page (an array) one by one. */
static int yield_page(dltc_yield *y, const dltc_value *items)
{
    for (size_t i = 0; i < dltc_value_size(items); i++) {
        int rc = dltc_yield_value(y, dltc_array_get(items, i));
        if (rc)
            return rc;
    }
    return 0;
}

static int get_issues(dltc_yield *y, void *payload)
{
    struct api *api = payload;
    if (!api->pages) {
        dltc_incremental *updated_at = dltc_yield_incremental(y);
        char *since = NULL;
        const dltc_value *last = dltc_incremental_last_value(updated_at);
        if (last && !(since = cursor_text(last)))
            return DLTC_ENOMEM;
        dltc_http_pair params[] = {{"since", since},
                                   {"per_page", "100"},
                                   {"sort", "updated"},
                                   {"direction", "desc"},
                                   {"state", "open"}};
        dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
        o.params = since ? params : params + 1;
        o.n_params = sizeof(params) / sizeof(params[0]) - !since;
        int rc = dltc_paginate(&api->pages, api->url, &o); /* the options are copied */
        free(since);
        if (rc)
            return rc;
    }
    const dltc_value *items;
    int rc = dltc_rest_pages_next(api->pages, &items); /* DLTC_ITEROVER after the last page */
    return rc ? rc : yield_page(y, items);
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
    int rc = dltc_pipeline_open(&pipeline, "github_issues_paginate", &po);
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
    struct api api = {NULL, NULL};
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
    if ((rc = dltc_source_new(&src, "github")) ||
        (rc = dltc_resource_new(&r, "get_issues", get_issues, &api, &o)) ||
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
        fprintf(stderr, "github_issues_paginate: %s: %s\n", what,
                rc == DLTC_ENOMEM ? "out of memory" : dltc_error_last()->message);
    dltc_resource_free(r);
    dltc_source_free(src);
    dltc_rest_pages_free(api.pages);
    free(api.url);
    dltc_config_free(cfg);
    return rc ? 1 : 0;
}
