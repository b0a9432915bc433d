/* dlt tutorial "Resource grouping and secrets", step 8: step 7 with a secret. The source
 * declares `access_token` as a secret (dlt.secrets.value): it is resolved as dlt resolves it,
 * from SOURCES__GITHUB__ACCESS_TOKEN / ACCESS_TOKEN or .dlt/secrets.toml
 *
 *   [sources]
 *   access_token = "ghp_..."
 *
 * and sent with bearer auth on every request, so traffic/clones loads too. A missing token
 * fails with the keys that were tried; the token itself is never printed.
 *
 *   build/examples/github/github_secrets [ENDPOINT...]   (./github_with_source_secrets.duckdb)
 *
 * The clones have no `id`: that resource is merged on `timestamp` (one row per day). Base
 * URL: the config value sources.github.base_url (default https://api.github.com).
 */
#include <dltc/dltc.h>
#include <dltc/rest.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPO "dlt-hub/dlt"
#define MAX_ENDPOINTS 16

static const char *const DEFAULT_ENDPOINTS[] = {"issues", "comments", "traffic/clones"};

/* One endpoint being read: its URL, the auth to send and, once started, its pages. */
struct endpoint {
    char *url;
    dltc_auth *auth; /* borrowed */
    dltc_rest_pages *pages;
};

/* dlt's fetch_github_data(endpoint, params, access_token): the resource function of every
 * endpoint. */
static int fetch_github_data(dltc_yield *y, void *payload)
{
    static const dltc_http_pair params[] = {{"per_page", "100"}};
    struct endpoint *e = payload;
    int rc;
    if (!e->pages) {
        dltc_rest_paginate_options o = DLTC_REST_PAGINATE_OPTIONS_INIT;
        o.params = params;
        o.n_params = 1;
        o.auth = e->auth;
        if ((rc = dltc_paginate(&e->pages, e->url, &o)))
            return rc;
    }
    const dltc_value *items;
    rc = dltc_rest_pages_next(e->pages, &items);
    return rc ? rc : dltc_yield_value(y, items); /* a page: its items */
}

/* dlt's @dlt.source: for endpoint in [...]: yield dlt.resource(fetch_github_data(endpoint),
 * name=endpoint, write_disposition="merge", primary_key="id") */
static int github_source(dltc_source **out, const char *const *names, struct endpoint *e, int n)
{
    dltc_source *src = NULL;
    int rc = dltc_source_new(&src, "github_source");
    for (int i = 0; !rc && i < n; i++) {
        dltc_resource_options o = DLTC_RESOURCE_OPTIONS_INIT;
        o.write_disposition = "merge";
        o.primary_key = strcmp(names[i], "traffic/clones") ? "id" : "timestamp";
        dltc_resource *r;
        if (!(rc = dltc_resource_new(&r, names[i], fetch_github_data, &e[i], &o)))
            rc = dltc_source_add(src, r);
    }
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
    int rc = dltc_pipeline_open(&pipeline, "github_with_source_secrets", &po);
    if (!rc)
        rc = dltc_pipeline_run_source(pipeline, src, &info);
    if (!rc && !(rc = dltc_load_info_format(&text, info)))
        fputs(text, stdout);
    dltc_free(text);
    dltc_load_info_free(info);
    dltc_pipeline_free(pipeline);
    return rc;
}

int main(int argc, char **argv)
{
    const char *const *names = argc > 1 ? (const char *const *)argv + 1 : DEFAULT_ENDPOINTS;
    int n = argc > 1 ? argc - 1 : (int)(sizeof(DEFAULT_ENDPOINTS) / sizeof(*DEFAULT_ENDPOINTS));
    if (n > MAX_ENDPOINTS) {
        fprintf(stderr, "github_secrets: at most %d endpoints\n", MAX_ENDPOINTS);
        return 2;
    }
    const char *base, *what = "config";
    dltc_config *cfg = NULL;
    dltc_source *src = NULL;
    dltc_auth *auth = NULL;
    struct endpoint e[MAX_ENDPOINTS] = {{0}};
    /* def github_source(access_token: str = dlt.secrets.value) */
    const dltc_config_field spec[] = {{"access_token", DLTC_TYPE_STRING, 1, 0}};
    const dltc_value *args;
    int rc;
    if ((rc = dltc_config_open(&cfg, NULL)) || (rc = base_url(&base, cfg)) ||
        (rc = dltc_config_resolve_source(&args, cfg, "github", "github_source", spec, 1)))
        goto done;
    what = "auth";
    if ((rc = dltc_auth_bearer(&auth,
                               dltc_value_get_str(dltc_object_get(args, "access_token"), NULL))))
        goto done;
    what = "source";
    for (int i = 0; i < n; i++) {
        size_t len = strlen(base) + strlen(REPO) + strlen(names[i]) + sizeof("/repos//");
        if (!(e[i].url = malloc(len))) {
            rc = DLTC_ENOMEM;
            goto done;
        }
        snprintf(e[i].url, len, "%s/repos/%s/%s", base, REPO, names[i]);
        e[i].auth = auth;
    }
    if ((rc = github_source(&src, names, e, n)))
        goto done;
    what = "run";
    rc = run_pipeline(src);
done:
    if (rc)
        fprintf(stderr, "github_secrets: %s: %s\n", what,
                rc == DLTC_ENOMEM ? "out of memory" : dltc_error_last()->message);
    dltc_source_free(src);
    for (int i = 0; i < n; i++) {
        dltc_rest_pages_free(e[i].pages);
        free(e[i].url);
    }
    dltc_auth_free(auth);
    dltc_config_free(cfg);
    return rc ? 1 : 0;
}
