/*
 * dltc — dlt's declarative `rest_api` source (dlt.sources.rest_api): a source described by a
 * config (client, resource_defaults, resources) instead of code. The whole config is checked
 * when the source is made; the REST client of include/dltc/rest.h does the requests when the
 * source runs. docs/rest_api.md has the config reference and the expression language of
 * processing_steps.
 *
 *   const char *cfg =
 *       "{\"client\": {\"base_url\": \"https://api.example.com/v1/\"},"
 *       " \"resources\": [\"posts\","
 *       "   {\"name\": \"comments\","
 *       "    \"endpoint\": \"posts/{resources.posts.id}/comments\"}]}";
 *   dltc_source *src;
 *   if (dltc_rest_api_source_json(&src, cfg, strlen(cfg), NULL))
 *       puts(dltc_error_last()->message);      // one line: "rest_api: resources[1]...: ..."
 *   dltc_pipeline_run_source(p, src, NULL);
 *   dltc_source_free(src);
 *
 * Every validation error is one line: "[<file>:<line>: ]rest_api: <key path>: <reason>",
 * the key path relative to the config ("resources[1].endpoint.paginator.type"), the file and
 * line when `locate` knows them. Secret values (auth fields, header values) never appear in a
 * message. Errors while the source runs are one line too, naming the resource and the URL
 * with its secrets redacted; a page that did not arrive whole is never yielded.
 *
 * Ownership: the source is the caller's (dltc_source_free); it owns a copy of everything it
 * needs (the config is copied, secrets resolved now), so `config`, `json` and the options may
 * be freed after the call. Its resources can be looked up with dltc_source_resource() to add
 * C steps (dltc_resource_add_map / _add_filter, run after the config's processing_steps) or
 * a limit. Thread-safety: one thread at a time per source, as every source.
 *
 * A resource reads its endpoint as a generator does: one page per call of the resource
 * function, the request sequence started on the first call of a run. A run stopped early
 * (dltc_resource_add_limit, an incremental row_order) leaves the sequence where it stopped
 * and the next run of the same source object continues it: make a new source per run (as the
 * CLI does) when that matters.
 */
#ifndef DLTC_REST_API_H
#define DLTC_REST_API_H

#include "dltc/common.h"
#include "dltc/config.h"
#include "dltc/resource.h"
#include "dltc/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a key of the config came from, for errors: e.g. "pipeline.toml:12" (lent until the
 * next call) or NULL when unknown. key_path is relative to the rest_api config, e.g.
 * "resources[1].endpoint.paginator.type"; when it gives NULL the parent paths are asked
 * ("resources[1].endpoint.paginator", ...). */
typedef const char *(*dltc_config_locate_fn)(const char *key_path, void *payload);

typedef struct {
    unsigned int version;  /* DLTC_REST_API_OPTIONS_VERSION */
    const char *name;      /* source name (schema and state key); NULL = "rest_api" */
    dltc_config *config;   /* borrowed, read during the call only: auth fields missing from
                              the config (sources.<section>[.<name>].credentials.<field>, as
                              dltc_auth_new) and the runtime.request_* HTTP settings. NULL:
                              the default providers (dltc_config_open(NULL)) */
    const char *section;   /* config section; NULL = "rest_api" (sources.<section>...) */
    int max_table_nesting; /* < 0: default; else for every resource that sets none */
    dltc_config_locate_fn locate; /* may be NULL; only used during the call */
    void *locate_payload;
} dltc_rest_api_options;

#define DLTC_REST_API_OPTIONS_VERSION 1
#define DLTC_REST_API_OPTIONS_INIT {DLTC_REST_API_OPTIONS_VERSION, NULL, NULL, NULL, -1, NULL, NULL}

/*
 * A source from a rest_api config: an OBJECT {"client": …, "resource_defaults": …,
 * "resources": […]} as dlt's RESTAPIConfig (docs/rest_api.md). One resource per entry, in
 * the config's order; a resource whose endpoint uses {resources.<parent>.<field>} (or a
 * legacy "resolve" param) is a transformer of <parent>. `o` may be NULL (the defaults).
 * 0 and *out, or DLTC_EINVALID (the config is wrong), DLTC_ENOTFOUND (a secret is missing
 * from the config: the one-line message names the keys tried), DLTC_EPARSE, DLTC_ENOMEM.
 */
DLTC_EXTERN int dltc_rest_api_source(dltc_source **out, const dltc_value *config,
                                     const dltc_rest_api_options *o);
/* The same from JSON text. */
DLTC_EXTERN int dltc_rest_api_source_json(dltc_source **out, const char *json, size_t len,
                                          const dltc_rest_api_options *o);

#ifdef __cplusplus
}
#endif
#endif
