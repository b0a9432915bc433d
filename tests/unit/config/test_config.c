/* Configuration and secrets providers and key resolution against dlt's rules (dlt-io.md §1):
 * provider order, project over global files, sections dropped from the right, the pipeline
 * pass, the `credentials` section, environment names, coercion, secrets refused from
 * config.toml, and the exact missing-value texts. Each test works in its own temporary
 * project directory (chdir) with its own global directory (DLT_DATA_DIR). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "config/config.h"
#include "dltc/config.h"

typedef struct {
    char root[128];    /* temp dir */
    char project[256]; /* root/project (the cwd) */
    char global[256];  /* root/global (DLT_DATA_DIR) */
    char secrets[256]; /* root/run-secrets */
    char oldcwd[PATH_MAX];
} env_t;

static const char *const VARS[] = {"DLT_PROJECT_DIR", "DLT_CONFIG_FOLDER", "DLT_DATA_DIR",
                                   "XDG_DATA_HOME", NULL};

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm_rf(const char *path)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    env_t *e = calloc(1, sizeof *e);
    assert_non_null(getcwd(e->oldcwd, sizeof e->oldcwd));
    snprintf(e->root, sizeof e->root, "/tmp/dltc-config-XXXXXX");
    assert_non_null(mkdtemp(e->root));
    snprintf(e->project, sizeof e->project, "%s/project", e->root);
    snprintf(e->global, sizeof e->global, "%s/global", e->root);
    snprintf(e->secrets, sizeof e->secrets, "%s/run-secrets", e->root);
    char dot[PATH_MAX + 8];
    snprintf(dot, sizeof dot, "%s/.dlt", e->project);
    assert_int_equal(mkdir(e->project, 0700), 0);
    assert_int_equal(mkdir(dot, 0700), 0);
    assert_int_equal(mkdir(e->global, 0700), 0);
    assert_int_equal(mkdir(e->secrets, 0700), 0);
    assert_int_equal(chdir(e->project), 0);
    for (size_t i = 0; VARS[i]; i++)
        unsetenv(VARS[i]);
    setenv("DLT_DATA_DIR", e->global, 1);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env_t *e = *state;
    assert_int_equal(chdir(e->oldcwd), 0);
    rm_rf(e->root);
    for (size_t i = 0; VARS[i]; i++)
        unsetenv(VARS[i]);
    static const char *const used[] = {
        "SOURCES__GITHUB__ACCESS_TOKEN", "SOURCES__ACCESS_TOKEN", "ACCESS_TOKEN",
        "SOURCES__GITHUB__PAGE_SIZE", "CHESS__SOURCES__GITHUB__PAGE_SIZE",
        "DESTINATION__DUCKDB__CREDENTIALS", "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD",
        "SOURCES__X__VAL", "RUNTIME__LOG_LEVEL", "SOURCES__X__FLAG", NULL};
    for (size_t i = 0; used[i]; i++)
        unsetenv(used[i]);
    free(e);
    return 0;
}

static void project_file(env_t *e, const char *name, const char *text)
{
    char dot[PATH_MAX + 8];
    snprintf(dot, sizeof dot, "%s/.dlt", e->project);
    write_file(dot, name, text);
}

static dltc_config *open_cfg(env_t *e, const char *pipeline)
{
    dltc_config_options o = DLTC_CONFIG_OPTIONS_INIT;
    o.pipeline_name = pipeline;
    o.run_secrets_dir = e->secrets;
    dltc_config *cfg = NULL;
    int rc = dltc_config_open(&cfg, &o);
    if (rc)
        fail_msg("open: %s", dltc_error_last()->message);
    return cfg;
}

static const char *get_str(dltc_config *cfg, const char *const *sections, const char *key,
                           int secret)
{
    const char *s = NULL;
    int rc = dltc_config_get_string(&s, cfg, sections, key, secret);
    if (rc)
        fail_msg("get %s: %s", key, dltc_error_last()->message);
    return s;
}

static const char *const GITHUB[] = {"sources", "github", NULL};

/* ---- providers ---- */

static void test_provider_order(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml", "[sources.github]\npage_size = \"config\"\n");
    project_file(e, "secrets.toml", "[sources.github]\npage_size = \"secrets\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    assert_string_equal(get_str(cfg, GITHUB, "page_size", 0), "secrets");
    setenv("SOURCES__GITHUB__PAGE_SIZE", "env", 1);
    assert_string_equal(get_str(cfg, GITHUB, "page_size", 0), "env");
    dltc_config_free(cfg);
}

static void test_config_toml_for_plain_values(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml", "[sources.github]\npage_size = 50\n");
    dltc_config *cfg = open_cfg(e, NULL);
    int64_t n = 0;
    assert_int_equal(dltc_config_get_int(&n, cfg, GITHUB, "page_size", 0), 0);
    assert_int_equal(n, 50);
    dltc_config_free(cfg);
}

static void test_project_over_global_nested_merge(void **state)
{
    env_t *e = *state;
    write_file(e->global, "secrets.toml",
               "[sources.github]\naccess_token = \"global\"\nuser = \"g\"\n");
    project_file(e, "secrets.toml", "[sources.github]\naccess_token = \"project\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 1), "project");
    assert_string_equal(get_str(cfg, GITHUB, "user", 1), "g"); /* kept from global */
    dltc_config_free(cfg);
}

static void test_project_dir_env_and_folder(void **state)
{
    env_t *e = *state;
    char other[PATH_MAX + 16];
    snprintf(other, sizeof other, "%s/other", e->root);
    assert_int_equal(mkdir(other, 0700), 0);
    char dot[PATH_MAX + 32];
    snprintf(dot, sizeof dot, "%s/settings", other);
    assert_int_equal(mkdir(dot, 0700), 0);
    write_file(dot, "config.toml", "val = \"from other\"\n");
    setenv("DLT_PROJECT_DIR", other, 1);
    setenv("DLT_CONFIG_FOLDER", "settings", 1);
    dltc_config *cfg = open_cfg(e, NULL);
    assert_string_equal(get_str(cfg, NULL, "val", 0), "from other");
    dltc_config_free(cfg);
}

/* ---- lookup ---- */

static void test_sections_dropped_from_right(void **state)
{
    env_t *e = *state;
    project_file(e, "secrets.toml", "[sources]\naccess_token = \"s\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 1), "s");
    dltc_config_free(cfg);
    project_file(e, "secrets.toml", "access_token = \"top\"\n");
    cfg = open_cfg(e, NULL);
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 1), "top");
    /* the more specific key wins over a less specific one in the same provider */
    dltc_config_free(cfg);
    project_file(e, "secrets.toml",
                 "access_token = \"top\"\n[sources.github]\naccess_token = \"specific\"\n");
    cfg = open_cfg(e, NULL);
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 1), "specific");
    dltc_config_free(cfg);
}

static void test_provider_before_section(void **state)
{
    /* dlt walks all sections of one provider before asking the next: a less specific env
     * key beats a more specific secrets.toml key */
    env_t *e = *state;
    project_file(e, "secrets.toml", "[sources.github]\naccess_token = \"toml\"\n");
    setenv("ACCESS_TOKEN", "env", 1);
    dltc_config *cfg = open_cfg(e, NULL);
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 1), "env");
    dltc_config_free(cfg);
}

static void test_pipeline_pass_first(void **state)
{
    env_t *e = *state;
    project_file(e, "secrets.toml", "[chess.sources.github]\npage_size = \"pipeline toml\"\n");
    setenv("SOURCES__GITHUB__PAGE_SIZE", "plain env", 1);
    dltc_config *cfg = open_cfg(e, "chess");
    assert_string_equal(get_str(cfg, GITHUB, "page_size", 0), "pipeline toml");
    setenv("CHESS__SOURCES__GITHUB__PAGE_SIZE", "pipeline env", 1);
    assert_string_equal(get_str(cfg, GITHUB, "page_size", 0), "pipeline env");
    dltc_config_free(cfg);
    cfg = open_cfg(e, NULL); /* no pipeline: the scoped values are not seen */
    assert_string_equal(get_str(cfg, GITHUB, "page_size", 0), "plain env");
    dltc_config_free(cfg);
}

static void test_env_names(void **state)
{
    env_t *e = *state;
    setenv("SOURCES__X__VAL", "v", 1);
    dltc_config *cfg = open_cfg(e, NULL);
    const char *const secs[] = {"Sources", "", "x", NULL}; /* upper-cased, empty dropped */
    assert_string_equal(get_str(cfg, secs, "val", 0), "v");
    setenv("RUNTIME__LOG_LEVEL", "INFO", 1);
    const char *const rt[] = {"runtime", NULL};
    assert_string_equal(get_str(cfg, rt, "log_level", 0), "INFO");
    dltc_config_free(cfg);
}

static void test_run_secrets_file(void **state)
{
    env_t *e = *state;
    write_file(e->secrets, "sources--github--access-token", "from file\n");
    dltc_config *cfg = open_cfg(e, NULL);
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 1), "from file\n");
    /* only secrets look there */
    const char *s;
    assert_int_equal(dltc_config_get_string(&s, cfg, GITHUB, "access_token", 0), DLTC_ENOTFOUND);
    dltc_config_free(cfg);
}

/* ---- credentials ---- */

static void test_credentials_native_from_env(void **state)
{
    env_t *e = *state;
    setenv("DESTINATION__DUCKDB__CREDENTIALS", "data/my.duckdb", 1);
    dltc_config *cfg = open_cfg(e, NULL);
    const char *const secs[] = {"destination", "duckdb", NULL};
    const dltc_config_field f[] = {{"database", DLTC_TYPE_STRING, 0, 0}};
    const dltc_value *v = NULL;
    assert_int_equal(dltc_config_get_credentials(&v, cfg, secs, f, 1, "DuckDbCredentials"), 0);
    assert_int_equal(dltc_value_type_of(v), DLTC_TYPE_STRING);
    assert_string_equal(dltc_value_get_str(v, NULL), "data/my.duckdb");
    dltc_config_free(cfg);
}

static void test_credentials_native_from_less_specific(void **state)
{
    env_t *e = *state;
    project_file(e, "secrets.toml", "[destination]\ncredentials = \"shared.duckdb\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const char *const secs[] = {"destination", "duckdb", NULL};
    const dltc_value *v = NULL;
    assert_int_equal(dltc_config_get_credentials(&v, cfg, secs, NULL, 0, NULL), 0);
    assert_string_equal(dltc_value_get_str(v, NULL), "shared.duckdb");
    dltc_config_free(cfg);
}

static const dltc_config_field PG[] = {
    {"database", DLTC_TYPE_STRING, 0, 0}, {"password", DLTC_TYPE_STRING, 1, 0},
    {"username", DLTC_TYPE_STRING, 0, 0}, {"host", DLTC_TYPE_STRING, 0, 0},
    {"port", DLTC_TYPE_INT, 0, 1}};
static const char *const PGSEC[] = {"destination", "postgres", NULL};

static void test_credentials_fields(void **state)
{
    env_t *e = *state;
    /* non-secret fields may live in config.toml, the password comes from secrets.toml at a
     * less specific path: `credentials` is never dropped */
    project_file(e, "config.toml",
                 "[destination.postgres.credentials]\ndatabase = \"dlt_data\"\n"
                 "username = \"loader\"\nhost = \"localhost\"\nport = \"5433\"\n");
    project_file(e, "secrets.toml", "[credentials]\npassword = \"pw\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const dltc_value *v = NULL;
    int rc = dltc_config_get_credentials(&v, cfg, PGSEC, PG, 5, "PostgresCredentials");
    if (rc)
        fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(dltc_value_type_of(v), DLTC_TYPE_OBJECT);
    assert_string_equal(dltc_value_get_str(dltc_object_get(v, "database"), NULL), "dlt_data");
    assert_string_equal(dltc_value_get_str(dltc_object_get(v, "password"), NULL), "pw");
    assert_int_equal(dltc_value_get_int(dltc_object_get(v, "port")), 5433);
    dltc_config_free(cfg);
}

static void test_credentials_section_never_dropped(void **state)
{
    env_t *e = *state;
    project_file(e, "secrets.toml", "password = \"top\"\n[destination.postgres]\npassword = \"x\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const dltc_value *v = NULL;
    assert_int_equal(dltc_config_get_credentials(&v, cfg, PGSEC, PG + 1, 1, "PostgresCredentials"),
                     DLTC_ENOTFOUND);
    assert_string_equal(dltc_error_last()->message,
                        "missing config value destination.postgres.credentials.password: tried "
                        "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD, "
                        "DESTINATION__CREDENTIALS__PASSWORD, CREDENTIALS__PASSWORD in "
                        "Environment Variables; destination.postgres.credentials.password, "
                        "destination.credentials.password, credentials.password in secrets.toml");
    dltc_config_free(cfg);
}

static void test_credentials_native_in_config_toml_refused(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml",
                 "[destination.postgres]\ncredentials = \"postgresql://u:pw@h/db\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const dltc_value *v = NULL;
    assert_int_equal(dltc_config_get_credentials(&v, cfg, PGSEC, PG, 5, NULL), DLTC_EINVALID);
    assert_string_equal(dltc_error_last()->message,
                        "Provider `config.toml` cannot hold secret values but key "
                        "`destination.postgres.credentials` with secret value is present");
    assert_null(strstr(dltc_error_last()->message, "pw@"));
    dltc_config_free(cfg);
}

/* ---- coercion ---- */

static void test_coercion_from_env(void **state)
{
    env_t *e = *state;
    dltc_config *cfg = open_cfg(e, NULL);
    const char *const x[] = {"sources", "x", NULL};
    int64_t i = 0;
    setenv("SOURCES__X__VAL", " 42 ", 1);
    assert_int_equal(dltc_config_get_int(&i, cfg, x, "val", 0), 0);
    assert_int_equal(i, 42);
    setenv("SOURCES__X__VAL", "0x1f", 1);
    assert_int_equal(dltc_config_get_int(&i, cfg, x, "val", 0), 0);
    assert_int_equal(i, 31);
    int b = -1;
    static const char *const yes[] = {"true", "True", "YES", "y", "t", "1"};
    static const char *const no[] = {"false", "No", "n", "f", "0"};
    for (size_t k = 0; k < 6; k++) {
        setenv("SOURCES__X__FLAG", yes[k], 1);
        assert_int_equal(dltc_config_get_bool(&b, cfg, x, "flag", 0), 0);
        assert_int_equal(b, 1);
    }
    for (size_t k = 0; k < 5; k++) {
        setenv("SOURCES__X__FLAG", no[k], 1);
        assert_int_equal(dltc_config_get_bool(&b, cfg, x, "flag", 0), 0);
        assert_int_equal(b, 0);
    }
    const dltc_value *v;
    setenv("SOURCES__X__VAL", "{\"a\": [1, 2]}", 1);
    assert_int_equal(dltc_config_get(&v, cfg, x, "val", 0, DLTC_TYPE_OBJECT), 0);
    assert_int_equal(dltc_value_size(v), 1);
    setenv("SOURCES__X__VAL", "[\"a\",\"b\"]", 1);
    assert_int_equal(dltc_config_get(&v, cfg, x, "val", 0, DLTC_TYPE_ARRAY), 0);
    assert_int_equal(dltc_value_size(v), 2);
    assert_int_equal(dltc_config_get(&v, cfg, x, "val", 0, DLTC_TYPE_OBJECT), DLTC_EINVALID);
    setenv("SOURCES__X__VAL", "2.5", 1);
    assert_int_equal(dltc_config_get(&v, cfg, x, "val", 0, DLTC_TYPE_DOUBLE), 0);
    assert_true(dltc_value_get_double(v) == 2.5);
    /* env values stay strings when the type is not given */
    assert_int_equal(dltc_config_get(&v, cfg, x, "val", 0, DLTC_TYPE_NULL), 0);
    assert_int_equal(dltc_value_type_of(v), DLTC_TYPE_STRING);
    dltc_config_free(cfg);
}

static void test_coercion_error_hides_value(void **state)
{
    env_t *e = *state;
    setenv("SOURCES__X__VAL", "hunter2", 1);
    dltc_config *cfg = open_cfg(e, NULL);
    const char *const x[] = {"sources", "x", NULL};
    int64_t i;
    assert_int_equal(dltc_config_get_int(&i, cfg, x, "val", 1), DLTC_EINVALID);
    assert_string_equal(dltc_error_last()->message,
                        "Configured value for field `val` cannot be coerced into type `int` "
                        "(key SOURCES__X__VAL in Environment Variables)");
    dltc_config_free(cfg);
}

static void test_toml_types_kept_and_coerced(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml",
                 "[sources.x]\nn = 5\nf = true\nd = 1979-05-27\nl = [1, 2]\nt = { a = 1 }\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const char *const x[] = {"sources", "x", NULL};
    const dltc_value *v;
    assert_int_equal(dltc_config_get(&v, cfg, x, "n", 0, DLTC_TYPE_NULL), 0);
    assert_int_equal(dltc_value_type_of(v), DLTC_TYPE_INT);
    assert_string_equal(get_str(cfg, x, "n", 0), "5");
    assert_string_equal(get_str(cfg, x, "f", 0), "True");
    assert_string_equal(get_str(cfg, x, "d", 0), "1979-05-27");
    assert_string_equal(get_str(cfg, x, "l", 0), "[1,2]");
    assert_int_equal(dltc_config_get(&v, cfg, x, "t", 0, DLTC_TYPE_OBJECT), 0);
    assert_int_equal(dltc_config_get(&v, cfg, x, "d", 0, DLTC_TYPE_DATE), 0);
    dltc_config_free(cfg);
}

/* ---- secrets and config.toml ---- */

static void test_secret_in_config_toml_refused(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml", "[sources]\naccess_token = \"hunter2\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const char *s;
    assert_int_equal(dltc_config_get_string(&s, cfg, GITHUB, "access_token", 1), DLTC_EINVALID);
    assert_string_equal(dltc_error_last()->message,
                        "Provider `config.toml` cannot hold secret values but key "
                        "`sources.access_token` with secret value is present");
    /* as a plain value it is fine */
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 0), "hunter2");
    /* found earlier in a secret provider: config.toml is never reached */
    setenv("SOURCES__GITHUB__ACCESS_TOKEN", "ok", 1);
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 1), "ok");
    dltc_config_free(cfg);
}

static void test_secrets_toml_parse_error_redacted(void **state)
{
    env_t *e = *state;
    project_file(e, "secrets.toml", "password = hunter2\n");
    dltc_config_options o = DLTC_CONFIG_OPTIONS_INIT;
    dltc_config *cfg = NULL;
    assert_int_equal(dltc_config_open(&cfg, &o), DLTC_EPARSE);
    assert_null(strstr(dltc_error_last()->message, "hunter2"));
    assert_non_null(strstr(dltc_error_last()->message, "secrets.toml:1:"));
}

/* ---- missing values ---- */

static void test_missing_one_line_and_report(void **state)
{
    env_t *e = *state;
    project_file(e, "secrets.toml", "[other]\nx = 1\n");
    dltc_config *cfg = open_cfg(e, "gh");
    const char *s;
    assert_int_equal(dltc_config_get_string(&s, cfg, GITHUB, "access_token", 1), DLTC_ENOTFOUND);
    assert_string_equal(
        dltc_error_last()->message,
        "missing config value sources.github.access_token: tried "
        "GH__SOURCES__GITHUB__ACCESS_TOKEN, GH__SOURCES__ACCESS_TOKEN, GH__ACCESS_TOKEN in "
        "Environment Variables; gh.sources.github.access_token, gh.sources.access_token, "
        "gh.access_token in secrets.toml; SOURCES__GITHUB__ACCESS_TOKEN, "
        "SOURCES__ACCESS_TOKEN, ACCESS_TOKEN in Environment Variables; "
        "sources.github.access_token, sources.access_token, access_token in secrets.toml");
    char *report = NULL;
    assert_int_equal(dltc_config_missing_report(&report, cfg), 0);
    char expected[8192];
    snprintf(expected, sizeof expected,
             "Missing 1 field(s) in configuration `sources.github`: `access_token`\n"
             "for field `access_token` the following (config provider, key) were tried in "
             "order:\n"
             "  (Environment Variables, GH__SOURCES__GITHUB__ACCESS_TOKEN)\n"
             "  (Environment Variables, GH__SOURCES__ACCESS_TOKEN)\n"
             "  (Environment Variables, GH__ACCESS_TOKEN)\n"
             "  (secrets.toml, gh.sources.github.access_token)\n"
             "  (secrets.toml, gh.sources.access_token)\n"
             "  (secrets.toml, gh.access_token)\n"
             "  (Environment Variables, SOURCES__GITHUB__ACCESS_TOKEN)\n"
             "  (Environment Variables, SOURCES__ACCESS_TOKEN)\n"
             "  (Environment Variables, ACCESS_TOKEN)\n"
             "  (secrets.toml, sources.github.access_token)\n"
             "  (secrets.toml, sources.access_token)\n"
             "  (secrets.toml, access_token)\n"
             "Provider `secrets.toml` loaded values from locations:\n"
             "\t- %s/.dlt/secrets.toml\n"
             "Provider `secrets.toml` probed but not found the following locations:\n"
             "\t- %s/secrets.toml\n"
             "Provider `config.toml` probed but not found the following locations:\n"
             "\t- %s/.dlt/config.toml\n"
             "\t- %s/config.toml\n"
             "WARNING: provider `config.toml` is empty. Locations (i.e., files) are missing or "
             "empty.\n"
             "Learn more: https://dlthub.com/docs/general-usage/credentials/\n",
             e->project, e->global, e->project, e->global);
    assert_string_equal(report, expected);
    dltc_free(report);
    /* a later success forgets the report */
    setenv("ACCESS_TOKEN", "x", 1);
    assert_string_equal(get_str(cfg, GITHUB, "access_token", 1), "x");
    assert_int_equal(dltc_config_missing_report(&report, cfg), DLTC_ENOTFOUND);
    dltc_config_free(cfg);
}

static void test_missing_plain_value_tries_config_toml(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml", "[a]\nb = 1\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const char *const rt[] = {"runtime", NULL};
    const char *s;
    assert_int_equal(dltc_config_get_string(&s, cfg, rt, "log_level", 0), DLTC_ENOTFOUND);
    /* secrets.toml is empty: not asked, not in the trace */
    assert_string_equal(dltc_error_last()->message,
                        "missing config value runtime.log_level: tried RUNTIME__LOG_LEVEL, "
                        "LOG_LEVEL in Environment Variables; runtime.log_level, log_level in "
                        "config.toml");
    dltc_config_free(cfg);
}

static void test_missing_credentials_report(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml", "[destination.postgres.credentials]\nhost = \"h\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const dltc_value *v;
    assert_int_equal(dltc_config_get_credentials(&v, cfg, PGSEC, PG, 5, "PostgresCredentials"),
                     DLTC_ENOTFOUND);
    char *report = NULL;
    assert_int_equal(dltc_config_missing_report(&report, cfg), 0);
    assert_non_null(strstr(report, "Missing 3 field(s) in configuration `PostgresCredentials`: "
                                   "`database`, `password`, `username`\n"));
    /* the secret field skips config.toml, the others try it */
    assert_non_null(strstr(report, "for field `password` the following (config provider, key) "
                                   "were tried in order:\n"
                                   "  (Environment Variables, "
                                   "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD)\n"
                                   "  (Environment Variables, DESTINATION__CREDENTIALS__PASSWORD)\n"
                                   "  (Environment Variables, CREDENTIALS__PASSWORD)\n"
                                   "for field `username`"));
    assert_non_null(strstr(report, "  (config.toml, credentials.username)\n"));
    assert_non_null(strstr(report, "NOTE: following fields in `PostgresCredentials` got "
                                   "resolved: `host`\n"));
    assert_non_null(strstr(report, "WARNING: provider `secrets.toml` is empty."));
    dltc_free(report);
    dltc_config_free(cfg);
}

/* ---- a source's declared values (dlt.config.value / dlt.secrets.value arguments) ---- */

static const dltc_config_field GH[] = {
    {"repo_name", DLTC_TYPE_STRING, 0, 0},
    {"access_token", DLTC_TYPE_STRING, 1, 0},
    {"per_page", DLTC_TYPE_INT, 0, 1},
};

static void test_source_values_and_compact_layout(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml", "[sources]\nrepo_name = \"dlt-hub/dlt\"\n"
                                   "[sources.gh_module]\nper_page = 50\n");
    project_file(e, "secrets.toml", "[sources.github]\naccess_token = \"ghp_s3cr3t_value\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const dltc_value *v;
    /* section gh_module, name github: sources.github.access_token is the compact layout */
    assert_int_equal(dltc_config_resolve_source(&v, cfg, "gh_module", "github", GH, 3), 0);
    assert_string_equal(dltc_value_get_str(dltc_object_get(v, "repo_name"), NULL), "dlt-hub/dlt");
    assert_string_equal(dltc_value_get_str(dltc_object_get(v, "access_token"), NULL),
                        "ghp_s3cr3t_value");
    assert_int_equal(dltc_value_get_int(dltc_object_get(v, "per_page")), 50);
    /* a resolved secret is masked in every later message */
    dltc__error_set(DLTC_EINVALID, "GET https://x/?t=ghp_s3cr3t_value failed");
    assert_string_equal(dltc_error_last()->message, "GET https://x/?t=*** failed");
    dltc_config_free(cfg);
}

static void test_source_missing_report_order(void **state)
{
    env_t *e = *state;
    project_file(e, "config.toml", "[sources]\nrepo_name = \"dlt-hub/dlt\"\n");
    dltc_config *cfg = open_cfg(e, NULL);
    const dltc_value *v;
    assert_int_equal(dltc_config_resolve_source(&v, cfg, "gh_module", "github", GH, 3),
                     DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "access_token"));
    char *report = NULL;
    assert_int_equal(dltc_config_missing_report(&report, cfg), 0);
    assert_non_null(strstr(report, "Missing 1 field(s) in configuration `github`: "
                                   "`access_token`\n"
                                   "for field `access_token` the following (config provider, key) "
                                   "were tried in order:\n"
                                   "  (Environment Variables, "
                                   "SOURCES__GH_MODULE__GITHUB__ACCESS_TOKEN)\n"
                                   "  (Environment Variables, SOURCES__GH_MODULE__ACCESS_TOKEN)\n"
                                   "  (Environment Variables, SOURCES__GITHUB__ACCESS_TOKEN)\n"
                                   "  (Environment Variables, SOURCES__ACCESS_TOKEN)\n"
                                   "  (Environment Variables, ACCESS_TOKEN)\n"));
    assert_non_null(strstr(report, "NOTE: following fields in `github` got resolved: "
                                   "`repo_name`\n"));
    dltc_free(report);
    /* section == name: no compact path */
    assert_int_equal(dltc_config_resolve_source(&v, cfg, NULL, "github", GH, 3), DLTC_ENOTFOUND);
    assert_int_equal(dltc_config_missing_report(&report, cfg), 0);
    assert_non_null(strstr(report, "(Environment Variables, SOURCES__GITHUB__GITHUB__ACCESS_TOKEN)\n"
                                   "  (Environment Variables, SOURCES__GITHUB__ACCESS_TOKEN)\n"
                                   "  (Environment Variables, SOURCES__ACCESS_TOKEN)\n"));
    dltc_free(report);
    dltc_config_free(cfg);
}

static void test_resolve_spec_fields(void **state)
{
    env_t *e = *state;
    setenv("RUNTIME__REQUEST_TIMEOUT", "7.5", 1);
    dltc_config *cfg = open_cfg(e, NULL);
    static const dltc_config_field RT[] = {{"request_timeout", DLTC_TYPE_DOUBLE, 0, 1},
                                           {"request_max_attempts", DLTC_TYPE_INT, 0, 1}};
    const char *sec[] = {"runtime", NULL};
    const dltc_value *v;
    assert_int_equal(dltc_config_resolve(&v, cfg, sec, RT, 2, "RuntimeConfiguration"), 0);
    assert_true(dltc_value_get_double(dltc_object_get(v, "request_timeout")) == 7.5);
    assert_null(dltc_object_get(v, "request_max_attempts"));
    unsetenv("RUNTIME__REQUEST_TIMEOUT");
    dltc_config_free(cfg);
}

/* ---- global dir ---- */

static void test_global_dir_rules(void **state)
{
    env_t *e = *state;
    char *d = NULL;
    assert_int_equal(dltc__config_global_dir(&d, 1), 0);
    assert_string_equal(d, e->global); /* DLT_DATA_DIR first */
    dltc_free(d);
    unsetenv("DLT_DATA_DIR");
    assert_int_equal(dltc__config_global_dir(&d, 1), 0);
    assert_string_equal(d, "/var/dlt");
    dltc_free(d);
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", e->root, 1);
    char want[PATH_MAX + 16];
    snprintf(want, sizeof want, "%s/.dlt", e->root);
    assert_int_equal(dltc__config_global_dir(&d, 0), 0);
    assert_string_equal(d, want);
    dltc_free(d);
    setenv("XDG_DATA_HOME", "/xdg", 1); /* used while ~/.dlt does not exist */
    assert_int_equal(dltc__config_global_dir(&d, 0), 0);
    assert_string_equal(d, "/xdg/dlt");
    dltc_free(d);
    assert_int_equal(mkdir(want, 0700), 0);
    assert_int_equal(dltc__config_global_dir(&d, 0), 0);
    assert_string_equal(d, want);
    dltc_free(d);
    if (home)
        setenv("HOME", home, 1);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_provider_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_toml_for_plain_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_over_global_nested_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_dir_env_and_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sections_dropped_from_right, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provider_before_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_pass_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_secrets_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_native_from_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_native_from_less_specific, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_credentials_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_section_never_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_native_in_config_toml_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_coercion_from_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coercion_error_hides_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_toml_types_kept_and_coerced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_in_config_toml_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_toml_parse_error_redacted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_one_line_and_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_plain_value_tries_config_toml, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_credentials_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global_dir_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_values_and_compact_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_missing_report_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_spec_fields, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
