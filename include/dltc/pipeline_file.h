/*
 * Pipelines without code: a pipeline file (TOML, YAML or JSON) names the pipeline, its
 * destination and dataset, and one or more sources (rest_api, sql_database, filesystem) with
 * dlt's config structure. `dlt run FILE` is this API; docs/pipeline_file.md has the format.
 *
 *   dltc_pipeline_file *f;
 *   dltc_pipeline_file_open(&f, "github_repo_stats.toml");   // parsed and checked
 *   dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
 *   dltc_pipeline_file_options(f, &po);
 *   dltc_pipeline *p;
 *   dltc_pipeline_open(&p, dltc_pipeline_file_name(f), &po);
 *   for (size_t i = 0; i < dltc_pipeline_file_source_count(f); i++) {
 *       dltc_load_info *info;
 *       dltc_pipeline_file_run_source(f, p, i, &info);
 *       ...
 *   }
 *   dltc_pipeline_free(p);
 *   dltc_pipeline_file_free(f);
 *
 * Errors in the file are found when it is opened (the whole structure) or when a source is
 * built (what needs the config providers or a connection), and read as one line naming the
 * file, the line and the key: "repo.toml:5: sources[0].chunk_size: expected an integer, found
 * a string" (a rest_api source names keys in its config: "repo.toml:14: rest_api:
 * resources[1].endpoint.paginator: unknown paginator type ..."). Secrets never appear.
 *
 * Ownership: the file handle is the caller's (dltc_pipeline_file_free); strings it lends
 * live as long as it does. Sources built from it borrow it (and the config they resolve
 * secrets from): free them first. Thread-safety: one thread at a time per handle.
 */
#ifndef DLTC_PIPELINE_FILE_H
#define DLTC_PIPELINE_FILE_H

#include "dltc/common.h"
#include "dltc/config.h"
#include "dltc/pipeline.h"
#include "dltc/resource.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_pipeline_file dltc_pipeline_file;

/* Read and check `path`; the format follows the extension: .toml, .yaml/.yml, .json.
 * DLTC_ENOTFOUND when the file is missing, DLTC_EPARSE (with line:column) when it is not
 * valid TOML/YAML/JSON, DLTC_EINVALID when its structure is wrong. */
DLTC_EXTERN int dltc_pipeline_file_open(dltc_pipeline_file **out, const char *path);
/* The same from text; `format` "toml", "yaml" or "json"; `name` is the file name used in
 * messages (NULL: "pipeline"). */
DLTC_EXTERN int dltc_pipeline_file_parse(dltc_pipeline_file **out, const char *text, size_t len,
                                         const char *format, const char *name);
DLTC_EXTERN void dltc_pipeline_file_free(dltc_pipeline_file *f);

/* [pipeline] name (required). */
DLTC_EXTERN const char *dltc_pipeline_file_name(const dltc_pipeline_file *f);
/* Fill the pipeline options the file sets (destination, dataset_name, pipelines_dir,
 * credentials, loader_file_format, replace_strategy); fields it does not set keep their
 * values in `po`. Strings are lent by `f`. */
DLTC_EXTERN void dltc_pipeline_file_options(const dltc_pipeline_file *f,
                                            dltc_pipeline_options *po);
DLTC_EXTERN size_t dltc_pipeline_file_source_count(const dltc_pipeline_file *f);
/* The source's name ("name", else its type). */
DLTC_EXTERN const char *dltc_pipeline_file_source_name(const dltc_pipeline_file *f, size_t i);
/* "rest_api", "sql_database" or "filesystem". */
DLTC_EXTERN const char *dltc_pipeline_file_source_type(const dltc_pipeline_file *f, size_t i);

/* Build source `i`. Secrets the file leaves out (tokens, credentials) are resolved from
 * `cfg` (NULL: the providers of the current directory with the file's pipeline name, opened
 * once and kept by `f`). The source is the caller's (dltc_source_free) and borrows `f`. */
DLTC_EXTERN int dltc_pipeline_file_source(dltc_source **out, dltc_pipeline_file *f, size_t i,
                                          dltc_config *cfg);
/* Build source `i` and run it in `p` (dltc_pipeline_run_source); *info may be NULL. */
DLTC_EXTERN int dltc_pipeline_file_run_source(dltc_pipeline_file *f, dltc_pipeline *p,
                                              size_t i, dltc_load_info **info);

/* One source from a [[sources]] entry given as JSON text (an object with "type": rest_api,
 * sql_database or filesystem, and that source's keys), checked as in a file: for code that
 * holds the config itself (the Python front's rest_api_source, sql_database, filesystem).
 * Errors name `origin` (NULL: "config") and the key path. Secrets the entry leaves out come
 * from `cfg`, which must then outlive the source; NULL: the default providers of the current
 * directory, opened now and kept by the source. The source owns everything else. */
DLTC_EXTERN int dltc_source_from_config_json(dltc_source **out, const char *json, size_t len,
                                             dltc_config *cfg, const char *origin);

#ifdef __cplusplus
}
#endif
#endif
