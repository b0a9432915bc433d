/*
 * Configuration and secrets, resolved as dlt resolves them (docs/config.md).
 *
 * Providers, asked in this order; the first that has the key wins:
 *   1. "Environment Variables": SECTIONS__KEY upper case; secrets also /run/secrets/<name>
 *   2. "secrets.toml": <run_dir>/.dlt/secrets.toml merged over <global_dir>/secrets.toml
 *   3. "config.toml":  <run_dir>/.dlt/config.toml merged over <global_dir>/config.toml;
 *      it cannot hold secrets: a secret found there is an error (DLTC_EINVALID)
 * A lookup tries the sections most specific first and drops them from the right; with a
 * pipeline name the whole walk over all providers is done first with the pipeline name as
 * the top section, then again without it.
 *
 * Secret values never appear in any message: errors and the missing-value report name keys
 * and providers only.
 *
 * Thread-safety: a dltc_config belongs to one thread at a time. Values it lends stay valid
 * until dltc_config_free.
 */
#ifndef DLTC_CONFIG_H
#define DLTC_CONFIG_H

#include "dltc/common.h"
#include "dltc/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_config dltc_config;

#define DLTC_CONFIG_OPTIONS_VERSION 1

typedef struct {
    unsigned int version;      /* DLTC_CONFIG_OPTIONS_VERSION */
    const char *pipeline_name; /* NULL or "": no pipeline-scoped pass */
    const char *run_dir;       /* NULL: $DLT_PROJECT_DIR, else the current directory */
    const char *global_dir;    /* NULL: dlt's global dir ($DLT_DATA_DIR, /var/dlt for root,
                                  $XDG_DATA_HOME/dlt, ~/.dlt) */
    const char *run_secrets_dir; /* NULL: "/run/secrets" (Docker/Kubernetes secret files) */
} dltc_config_options;

#define DLTC_CONFIG_OPTIONS_INIT {DLTC_CONFIG_OPTIONS_VERSION, NULL, NULL, NULL, NULL}

/* Open the providers: reads both secrets.toml and both config.toml files now (missing files
 * are fine: the provider is empty). `opts` may be NULL. The handle is the caller's, freed
 * with dltc_config_free. DLTC_EPARSE when a TOML file is malformed (for secrets.toml the
 * quoted parts of the reason are withheld), DLTC_EIO/DLTC_ELIMIT when it cannot be read. */
DLTC_EXTERN int dltc_config_open(dltc_config **out, const dltc_config_options *opts);
/* Free the handle and every value it lent. Accepts NULL. */
DLTC_EXTERN void dltc_config_free(dltc_config *cfg);

/* Resolve `key` under `sections` (a NULL-terminated array, or NULL for none; empty strings
 * are skipped), e.g. sections {"sources", "github", NULL} and key "access_token".
 * `type` is the wanted type: DLTC_TYPE_NULL keeps the value as found; STRING, INT, DOUBLE,
 * BOOL, OBJECT and ARRAY coerce with dlt's rules (environment values are strings; objects and
 * arrays are read from them as JSON). `is_secret` marks dlt.secrets.value: config.toml is
 * not searched for it, and a value found there is refused.
 * Returns 0 and lends *out; DLTC_ENOTFOUND when no provider has it (the one-line message
 * lists what was tried; dltc_config_missing_report gives dlt's full text); DLTC_EINVALID
 * when the value cannot be coerced or is a secret in config.toml. */
DLTC_EXTERN int dltc_config_get(const dltc_value **out, dltc_config *cfg,
                                const char *const *sections, const char *key, int is_secret,
                                dltc_value_type type);

/* Shorthands of dltc_config_get. The string is lent (valid until dltc_config_free). */
DLTC_EXTERN int dltc_config_get_string(const char **out, dltc_config *cfg,
                                       const char *const *sections, const char *key,
                                       int is_secret);
DLTC_EXTERN int dltc_config_get_int(int64_t *out, dltc_config *cfg, const char *const *sections,
                                    const char *key, int is_secret);
DLTC_EXTERN int dltc_config_get_bool(int *out, dltc_config *cfg, const char *const *sections,
                                     const char *key, int is_secret);

/* One field of a configuration spec (e.g. of credentials). */
typedef struct {
    const char *name;     /* "password" */
    dltc_value_type type; /* as in dltc_config_get */
    int is_secret;
    int is_optional; /* not an error when missing */
} dltc_config_field;

/* Resolve credentials under `sections` (e.g. {"destination", "duckdb", NULL}), as dlt does:
 * first the whole value `credentials` is looked up as a secret (sections dropped from the
 * right: destination.duckdb.credentials, destination.credentials, credentials); a non-table
 * value found there (a path, a connection string) is returned as is in *out for the
 * destination to parse. Otherwise every field is resolved with `credentials` kept as the
 * innermost section (destination.duckdb.credentials.password, destination.credentials.
 * password, credentials.password) and *out is an OBJECT of the fields found. Missing
 * required fields: DLTC_ENOTFOUND, all of them in one report. `spec_name` (e.g.
 * "PostgresCredentials") names the spec in the report; NULL uses "credentials". */
DLTC_EXTERN int dltc_config_get_credentials(const dltc_value **out, dltc_config *cfg,
                                            const char *const *sections,
                                            const dltc_config_field *fields, size_t nfields,
                                            const char *spec_name);

/* Resolve a spec of several fields at once (dlt's injection of a function's config and
 * secret arguments): each field under `sections`, dropped from the right. *out is an OBJECT
 * of the fields found (optional ones may be absent), lent until dltc_config_free. Missing
 * required fields: DLTC_ENOTFOUND naming all of them, and one report (`spec_name` names the
 * spec, NULL = "config"). */
DLTC_EXTERN int dltc_config_resolve(const dltc_value **out, dltc_config *cfg,
                                    const char *const *sections,
                                    const dltc_config_field *fields, size_t nfields,
                                    const char *spec_name);

/* The config values and secrets a source declares (dlt.config.value / dlt.secrets.value
 * arguments of a @dlt.source function), resolved as dlt resolves them: for source `name` in
 * section `section` (dlt: the module name; NULL = `name`) the keys tried are
 * sources.<section>.<name>.<key>, sources.<section>.<key>, then sources.<name>.<key> when
 * section and name differ, sources.<key> and <key>. The report names the spec `name`. */
DLTC_EXTERN int dltc_config_resolve_source(const dltc_value **out, dltc_config *cfg,
                                           const char *section, const char *name,
                                           const dltc_config_field *fields, size_t nfields);

/* dlt's multi-line ConfigFieldMissingException text for the last lookup of `cfg` that failed
 * with DLTC_ENOTFOUND, into a new NUL-terminated string freed with dltc_free. DLTC_ENOTFOUND
 * when the last lookup did not fail that way. Holds keys and file paths, never values. */
DLTC_EXTERN int dltc_config_missing_report(char **out, const dltc_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
