/* Configuration and secrets: the three providers dlt starts with (environment variables,
 * secrets.toml, config.toml) and dlt's key resolution (dlt/common/configuration/resolve.py):
 * sections dropped from the right, the config section (`credentials`) kept innermost, a
 * pipeline-scoped pass over all providers before the plain one, secrets refused from
 * config.toml, coercion of found values to the wanted type, and the missing-value report.
 * Values never reach a message: traces hold provider names and keys only. */
#define _POSIX_C_SOURCE 200809L
#include "config/config.h"

#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/toml.h"
#include "formats/json.h"
#include "formats/value.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

#define ENV_NAME "Environment Variables"
#define MAX_SECTIONS 32                  /* sections of one key, pipeline name included */
#define MAX_SECRET_FILE (1u << 20)       /* /run/secrets/<name> read limit */
#define MAX_TRACES 4096                  /* lookups recorded for one failing call */
#define LEARN_MORE "Learn more: https://dlthub.com/docs/general-usage/credentials/\n"

enum { P_ENV = 0, P_SECRETS = 1, P_CONFIG = 2, P_COUNT = 3 };

typedef struct {
    const char *name;     /* as dlt names it in errors */
    int supports_secrets;
    char *paths[2];       /* <run_dir>/.dlt/<file>, <global_dir>/<file> (malloc'd) */
    int present[2];       /* the file existed and was read */
    dltc_value *doc;      /* merged document (project over global), in cfg->arena */
} toml_provider;

typedef struct {
    int provider;         /* P_* */
    const char *key;      /* in cfg->scratch */
} trace;

typedef struct {
    const char *field;    /* field name */
    size_t first, count;  /* its traces in cfg->traces */
} field_traces;

struct dltc_config {
    dltc_arena arena;     /* documents and values lent to the caller */
    dltc_arena scratch;   /* keys of the current call's traces */
    char *pipeline_name;
    char *run_secrets_dir;
    toml_provider toml[2]; /* secrets.toml, config.toml */
    trace *traces;
    size_t ntraces, cap_traces;
    char *report;         /* the last ENOTFOUND's dlt text, malloc'd */
};

/* ---- paths ---- */

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] != '/';
    char *p = dltc__malloc(la + (size_t)slash + lb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    if (slash)
        p[la] = '/';
    memcpy(p + la + (size_t)slash, b, lb + 1);
    return p;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *settings_folder(void)
{
    const char *f = getenv("DLT_CONFIG_FOLDER");
    return f ? f : ".dlt";
}

int dltc__config_global_dir(char **out, int is_root)
{
    const char *data = getenv("DLT_DATA_DIR");
    char *p;
    if (data)
        p = dltc__strdup(data);
    else if (is_root)
        p = dltc__strdup("/var/dlt");
    else {
        const char *home = getenv("HOME");
        if (!home || !is_dir(home) || access(home, W_OK) != 0) {
            const char *tmp = getenv("TMPDIR");
            p = path_join(tmp && *tmp ? tmp : "/tmp", "dlt");
        } else {
            char *dot = path_join(home, settings_folder());
            if (!dot)
                return dltc__error_oom();
            const char *xdg = getenv("XDG_DATA_HOME");
            if (xdg && !is_dir(dot)) {
                dltc__free(dot);
                p = path_join(xdg, "dlt");
            } else
                p = dot;
        }
    }
    if (!p)
        return dltc__error_oom();
    *out = p;
    return 0;
}

/* An absolute form of `dir` (relative to the current directory), as os.path.abspath. */
static char *absolute(const char *dir)
{
    if (dir[0] == '/')
        return dltc__strdup(dir);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return dltc__strdup(dir);
    if (strcmp(dir, ".") == 0)
        return dltc__strdup(cwd);
    return path_join(cwd, dir);
}

/* ---- TOML providers ---- */

/* Withhold quoted text of a secrets.toml parse error ("invalid value 'hunter2'"). */
static void redact_quotes(void)
{
    const char *m = dltc_error_last()->message;
    int code = dltc_error_last()->code;
    dltc_buf b = DLTC_BUF_INIT;
    int in = 0;
    for (const char *c = m; *c; c++) {
        if (*c == '\'') {
            if (dltc__buf_putc(&b, '\'') != 0)
                break;
            if (!in && dltc__buf_puts(&b, "...") != 0)
                break;
            in = !in;
        } else if (!in && dltc__buf_putc(&b, *c) != 0)
            break;
    }
    if (b.data)
        dltc__error_set(code, "%s", b.data);
    dltc__buf_free(&b);
}

/* A new object: `base` with `over` merged into it (nested tables merged, other values of
 * `over` replace), as dlt's update_dict_nested. Nodes are shared, not copied. */
static int merge_docs(dltc_arena *a, const dltc_value *base, const dltc_value *over,
                      dltc_value **out)
{
    dltc_value *m = dltc__arena_alloc(a, sizeof *m);
    if (!m)
        return dltc_error_last()->code;
    dltc__value_set_type(m, DLTC_TYPE_OBJECT);
    for (uint32_t i = 0; i < base->len; i++) {
        const dltc_member *bm = &base->u.obj[i];
        const dltc_value *ov = dltc_object_get(over, bm->key);
        const dltc_value *v = ov ? ov : &bm->val;
        dltc_value *merged = NULL;
        if (ov && ov->type == DLTC_TYPE_OBJECT && bm->val.type == DLTC_TYPE_OBJECT) {
            int rc = merge_docs(a, &bm->val, ov, &merged);
            if (rc)
                return rc;
            v = merged;
        }
        int rc = dltc__object_set(a, m, bm->key, bm->klen, v);
        if (rc)
            return rc;
    }
    for (uint32_t i = 0; i < over->len; i++) {
        const dltc_member *om = &over->u.obj[i];
        if (dltc_object_get(base, om->key))
            continue;
        int rc = dltc__object_set(a, m, om->key, om->klen, &om->val);
        if (rc)
            return rc;
    }
    *out = m;
    return 0;
}

static int toml_open(dltc_config *cfg, toml_provider *p, const char *file, const char *settings,
                     const char *global)
{
    p->paths[0] = path_join(settings, file);
    p->paths[1] = path_join(global, file);
    if (!p->paths[0] || !p->paths[1])
        return dltc__error_oom();
    dltc_value *docs[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (stat(p->paths[i], &st) != 0 || !S_ISREG(st.st_mode))
            continue; /* dlt reads only existing regular files */
        int rc = dltc__toml_parse_file(&cfg->arena, p->paths[i], 0, 0, &docs[i], NULL);
        if (rc) {
            if (p->supports_secrets && rc == DLTC_EPARSE)
                redact_quotes();
            return rc;
        }
        p->present[i] = 1;
    }
    if (docs[0] && docs[1])
        return merge_docs(&cfg->arena, docs[1], docs[0], &p->doc);
    p->doc = docs[0] ? docs[0] : docs[1];
    return 0;
}

static int toml_is_empty(const toml_provider *p)
{
    return !p->doc || p->doc->len == 0;
}

/* ---- open / free ---- */

int dltc_config_open(dltc_config **out, const dltc_config_options *opts)
{
    dltc_config_options defaults = DLTC_CONFIG_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    if (opts->version != DLTC_CONFIG_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "dltc_config_options version %u is not %d",
                               opts->version, DLTC_CONFIG_OPTIONS_VERSION);
    dltc_config *cfg = dltc__calloc(1, sizeof *cfg);
    if (!cfg)
        return dltc__error_oom();
    dltc__arena_init(&cfg->arena, 0);
    dltc__arena_init(&cfg->scratch, 0);
    cfg->toml[0].name = "secrets.toml";
    cfg->toml[0].supports_secrets = 1;
    cfg->toml[1].name = "config.toml";
    cfg->toml[1].supports_secrets = 0;

    int rc = 0;
    char *settings = NULL, *global = NULL, *run = NULL;
    const char *run_dir = opts->run_dir;
    if (!run_dir)
        run_dir = getenv("DLT_PROJECT_DIR");
    if (!run_dir)
        run_dir = ".";
    run = absolute(run_dir);
    if (!run) {
        rc = dltc__error_oom();
        goto done;
    }
    settings = path_join(run, settings_folder());
    if (opts->global_dir)
        global = absolute(opts->global_dir);
    else if ((rc = dltc__config_global_dir(&global, geteuid() == 0)) == 0) {
        char *abs = absolute(global);
        dltc__free(global);
        global = abs;
    }
    if (!rc && (!settings || !global))
        rc = dltc__error_oom();
    if (!rc && opts->pipeline_name && *opts->pipeline_name &&
        !(cfg->pipeline_name = dltc__strdup(opts->pipeline_name)))
        rc = dltc__error_oom();
    if (!rc && !(cfg->run_secrets_dir = dltc__strdup(opts->run_secrets_dir
                                                         ? opts->run_secrets_dir
                                                         : "/run/secrets")))
        rc = dltc__error_oom();
    if (!rc)
        rc = toml_open(cfg, &cfg->toml[0], "secrets.toml", settings, global);
    if (!rc)
        rc = toml_open(cfg, &cfg->toml[1], "config.toml", settings, global);
done:
    dltc__free(run);
    dltc__free(settings);
    dltc__free(global);
    if (rc) {
        dltc_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

void dltc_config_free(dltc_config *cfg)
{
    if (!cfg)
        return;
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < 2; i++)
            dltc__free(cfg->toml[t].paths[i]);
    dltc__free(cfg->pipeline_name);
    dltc__free(cfg->run_secrets_dir);
    dltc__free(cfg->traces);
    dltc__free(cfg->report);
    dltc__arena_free(&cfg->arena);
    dltc__arena_free(&cfg->scratch);
    dltc__free(cfg);
}

/* ---- one provider, one key ---- */

static const char *provider_name(const dltc_config *cfg, int p)
{
    return p == P_ENV ? ENV_NAME : cfg->toml[p - 1].name;
}

static int provider_is_empty(const dltc_config *cfg, int p)
{
    if (p == P_ENV)
        return !environ || !environ[0]; /* as dlt: empty only with no variable at all */
    return toml_is_empty(&cfg->toml[p - 1]);
}

/* The key as the provider names it: parts joined by "__" upper case (environment) or by "."
 * (TOML). Into cfg->scratch. */
static const char *key_name(dltc_config *cfg, int p, const char *const *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(parts[i]) + 2;
    char *s = dltc__arena_alloc(&cfg->scratch, len + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            if (p == P_ENV) {
                s[o++] = '_';
                s[o++] = '_';
            } else
                s[o++] = '.';
        }
        for (const char *c = parts[i]; *c; c++)
            s[o++] = p == P_ENV ? (char)toupper((unsigned char)*c) : *c;
    }
    s[o] = '\0';
    return s;
}

/* A Docker/Kubernetes secret file for env name `name`: <dir>/<name lower, '_' -> '-'>, or
 * <that>/<same name> when it is a directory. Read unstripped, as dlt returns it. 1 found, 0
 * not, <0 error. */
static int read_run_secret(dltc_config *cfg, const char *name, dltc_value **out)
{
    size_t n = strlen(name);
    char *lower = dltc__malloc(n + 1);
    if (!lower)
        return dltc__error_oom();
    for (size_t i = 0; i <= n; i++)
        lower[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
    char *path = path_join(cfg->run_secrets_dir, lower);
    if (path && is_dir(path)) {
        char *inner = path_join(path, lower);
        dltc__free(path);
        path = inner;
    }
    dltc__free(lower);
    if (!path)
        return dltc__error_oom();
    FILE *f = fopen(path, "rb");
    dltc__free(path);
    if (!f)
        return 0; /* dlt ignores every OSError here */
    dltc_buf b = DLTC_BUF_INIT;
    char chunk[4096];
    size_t got;
    int rc = 1;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + got > MAX_SECRET_FILE) {
            rc = dltc__error_set(DLTC_ELIMIT, "secret file for %s is larger than %u bytes", name,
                                 MAX_SECRET_FILE);
            break;
        }
        if (dltc__buf_put(&b, chunk, got) != 0) {
            rc = dltc__error_oom();
            break;
        }
    }
    if (rc == 1 && ferror(f))
        rc = 0;
    fclose(f);
    if (rc == 1) {
        dltc_value *v = dltc__arena_alloc(&cfg->arena, sizeof *v);
        char *s = v ? dltc__arena_strndup(&cfg->arena, b.data ? b.data : "", b.len) : NULL;
        if (!s)
            rc = dltc_error_last()->code;
        else {
            dltc__value_set_type(v, DLTC_TYPE_STRING);
            v->u.s = s;
            v->len = (uint32_t)b.len;
            *out = v;
        }
    }
    dltc__buf_free(&b);
    return rc;
}

/* Look `parts` up in provider `p`. 1 found (*out), 0 not, <0 error. */
static int provider_get(dltc_config *cfg, int p, const char *const *parts, size_t n,
                        const char *name, int is_secret, const dltc_value **out)
{
    if (p == P_ENV) {
        if (is_secret) {
            dltc_value *v = NULL;
            int rc = read_run_secret(cfg, name, &v);
            if (rc)
                *out = v;
            if (rc)
                return rc;
        }
        const char *s = getenv(name);
        if (!s)
            return 0;
        dltc_value *v = dltc__arena_alloc(&cfg->arena, sizeof *v);
        char *copy = v ? dltc__arena_strndup(&cfg->arena, s, strlen(s)) : NULL;
        if (!copy)
            return dltc_error_last()->code;
        dltc__value_set_type(v, DLTC_TYPE_STRING);
        v->u.s = copy;
        v->len = (uint32_t)strlen(s);
        *out = v;
        return 1;
    }
    const dltc_value *node = cfg->toml[p - 1].doc;
    for (size_t i = 0; i < n && node; i++)
        node = node->type == DLTC_TYPE_OBJECT ? dltc_object_get(node, parts[i]) : NULL;
    if (!node)
        return 0;
    *out = node;
    return 1;
}

static int add_trace(dltc_config *cfg, int p, const char *key)
{
    if (cfg->ntraces == MAX_TRACES)
        return 0; /* the report is shortened; the lookup itself goes on */
    if (cfg->ntraces == cfg->cap_traces) {
        size_t cap = cfg->cap_traces ? cfg->cap_traces * 2 : 32;
        trace *t = dltc__realloc(cfg->traces, cap * sizeof *t);
        if (!t)
            return dltc__error_oom();
        cfg->traces = t;
        cfg->cap_traces = cap;
    }
    cfg->traces[cfg->ntraces].provider = p;
    cfg->traces[cfg->ntraces].key = key;
    cfg->ntraces++;
    return 0;
}

/* ---- the walk (resolve.py: _resolve_single_value / resolve_single_provider_value) ---- */

typedef struct {
    const char *const *sections; /* non-empty sections */
    size_t nsections;
    const char *config_section;  /* kept innermost ("credentials") or NULL */
    const char *key;
    int is_secret;
    int tables_ok; /* a table under a secret key in config.toml is not refused (native
                      credentials lookup: the table's fields are resolved one by one) */
    const char *compact; /* a source's name tried as sources.<name> (see walk_provider) */
} lookup;

typedef struct {
    const dltc_value *value;
    int provider;
    const char *key; /* provider's name of the key */
} found;

/* One key path in one provider. 1 found, 0 not, <0 error. */
static int try_path(dltc_config *cfg, int p, const lookup *l, const char **parts, size_t n,
                    found *f)
{
    int cant_hold = p == P_CONFIG && l->is_secret;
    const char *name = key_name(cfg, p, parts, n);
    if (!name)
        return dltc_error_last()->code;
    const dltc_value *v = NULL;
    int rc = provider_get(cfg, p, parts, n, name, l->is_secret, &v);
    if (rc < 0)
        return rc;
    if (rc == 1 && cant_hold && !(l->tables_ok && v->type == DLTC_TYPE_OBJECT))
        return dltc__error_set(DLTC_EINVALID,
                               "Provider `%s` cannot hold secret values but key `%s` with "
                               "secret value is present",
                               provider_name(cfg, p), name);
    if (!cant_hold && (rc = add_trace(cfg, p, name)) != 0)
        return rc;
    if (!v)
        return 0;
    f->value = v;
    f->provider = p;
    f->key = name;
    return 1;
}

/* One provider over the sections, most specific first. 1 found, 0 not, <0 error. */
static int walk_provider(dltc_config *cfg, int p, const lookup *l, const char *pipeline,
                         found *f)
{
    const char *parts[MAX_SECTIONS + 3];
    for (size_t ns = l->nsections;; ns--) {
        size_t n = 0;
        if (pipeline)
            parts[n++] = pipeline;
        for (size_t i = 0; i < ns; i++)
            parts[n++] = l->sections[i];
        if (l->config_section)
            parts[n++] = l->config_section;
        parts[n++] = l->key;
        int rc = try_path(cfg, p, l, parts, n, f);
        if (rc)
            return rc;
        if (ns == 2 && l->compact) {
            /* dlt's compact layout: sources.<name>.<key> after sources.<section>.<key> */
            n = 0;
            if (pipeline)
                parts[n++] = pipeline;
            parts[n++] = l->sections[0];
            parts[n++] = l->compact;
            parts[n++] = l->key;
            if ((rc = try_path(cfg, p, l, parts, n, f)))
                return rc;
        }
        if (ns == 0)
            return 0;
    }
}

/* Every provider, with the pipeline pass first; the first value found ends the search.
 * 1 found, 0 not, <0 error. */
static int walk(dltc_config *cfg, const lookup *l, found *f)
{
    for (int pass = cfg->pipeline_name ? 0 : 1; pass < 2; pass++) {
        const char *pipeline = pass == 0 ? cfg->pipeline_name : NULL;
        for (int p = 0; p < P_COUNT; p++) {
            if (provider_is_empty(cfg, p))
                continue; /* not asked, not in the trace */
            int rc = walk_provider(cfg, p, l, pipeline, f);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- coercion (dlt's deserialize_value / coerce_value) ---- */

static const char *type_name(dltc_value_type t)
{
    switch (t) {
    case DLTC_TYPE_STRING: return "str";
    case DLTC_TYPE_INT: return "int";
    case DLTC_TYPE_DOUBLE: return "float";
    case DLTC_TYPE_BOOL: return "bool";
    case DLTC_TYPE_OBJECT: return "dict";
    case DLTC_TYPE_ARRAY: return "list";
    case DLTC_TYPE_TIMESTAMP: return "datetime";
    case DLTC_TYPE_DATE: return "date";
    case DLTC_TYPE_TIME: return "time";
    case DLTC_TYPE_DECIMAL: return "Decimal";
    case DLTC_TYPE_BINARY: return "bytes";
    default: return "Any";
    }
}

static dltc_value *new_value(dltc_config *cfg, int type)
{
    dltc_value *v = dltc__arena_alloc(&cfg->arena, sizeof *v);
    if (v)
        dltc__value_set_type(v, type);
    return v;
}

/* Python's str.strip() of ASCII whitespace, into [*b, *e). */
static void strip(const char *s, size_t len, const char **b, const char **e)
{
    const char *x = s, *y = s + len;
    while (x < y && isspace((unsigned char)*x))
        x++;
    while (y > x && isspace((unsigned char)y[-1]))
        y--;
    *b = x;
    *e = y;
}

/* int(text) after strip, or int(text[2:], 16) after "0x". 0 ok, -1 not an integer. */
static int text_to_int(const char *s, size_t len, int64_t *out)
{
    const char *b, *e;
    strip(s, len, &b, &e);
    int base = 10;
    if (e - b > 2 && b[0] == '0' && b[1] == 'x') {
        b += 2;
        base = 16;
    }
    if (b == e || (size_t)(e - b) > 64)
        return -1;
    char tmp[72];
    memcpy(tmp, b, (size_t)(e - b));
    tmp[e - b] = '\0';
    if (!isxdigit((unsigned char)tmp[tmp[0] == '-' || tmp[0] == '+' ? 1 : 0]))
        return -1;
    if (base == 16 && (tmp[0] == '-' || tmp[0] == '+'))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, base);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int text_to_double(const char *s, size_t len, double *out)
{
    const char *b, *e;
    strip(s, len, &b, &e);
    int64_t i;
    if (e - b > 2 && b[0] == '0' && b[1] == 'x') {
        if (text_to_int(b, (size_t)(e - b), &i) != 0)
            return -1;
        *out = (double)i;
        return 0;
    }
    if (b == e || (size_t)(e - b) > 64)
        return -1;
    char tmp[72];
    memcpy(tmp, b, (size_t)(e - b));
    tmp[e - b] = '\0';
    const char *t = tmp + (tmp[0] == '-' || tmp[0] == '+');
    double sign = tmp[0] == '-' ? -1.0 : 1.0;
    if (strcasecmp(t, "inf") == 0 || strcasecmp(t, "infinity") == 0) {
        *out = sign * INFINITY;
        return 0;
    }
    if (strcasecmp(t, "nan") == 0) {
        *out = NAN;
        return 0;
    }
    if (!isdigit((unsigned char)t[0]) && t[0] != '.')
        return -1;
    char *end;
    double d = dltc__json_strtod(tmp, &end);
    if (*end)
        return -1;
    *out = d;
    return 0;
}

/* dlt's str2bool. */
static int text_to_bool(const char *s, int *out)
{
    static const char *const yes[] = {"yes", "true", "t", "y", "1"};
    static const char *const no[] = {"no", "false", "f", "n", "0"};
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* `v` as type `t`. 0 ok, -1 cannot be coerced, other <0 errors. */
static int coerce(dltc_config *cfg, const dltc_value *v, dltc_value_type t,
                  const dltc_value **out)
{
    if (t == DLTC_TYPE_NULL || v->type == t) {
        *out = v;
        return 0;
    }
    dltc_value *r;
    switch (t) {
    case DLTC_TYPE_STRING: {
        dltc_buf b = DLTC_BUF_INIT;
        int rc;
        if (v->type == DLTC_TYPE_BOOL)
            rc = dltc__buf_puts(&b, v->u.i ? "True" : "False");
        else
            rc = dltc__json_write(&b, v);
        if (rc || !(r = new_value(cfg, DLTC_TYPE_STRING))) {
            dltc__buf_free(&b);
            return rc ? rc : dltc_error_last()->code;
        }
        const char *s = b.data;
        size_t n = b.len;
        if (v->type != DLTC_TYPE_OBJECT && v->type != DLTC_TYPE_ARRAY && n >= 2 && s[0] == '"') {
            s++; /* ISO dates and times: the text without the JSON quotes */
            n -= 2;
        }
        r->u.s = dltc__arena_strndup(&cfg->arena, s, n);
        r->len = (uint32_t)n;
        dltc__buf_free(&b);
        if (!r->u.s)
            return dltc_error_last()->code;
        break;
    }
    case DLTC_TYPE_INT: {
        int64_t i;
        if (v->type == DLTC_TYPE_STRING) {
            if (text_to_int(v->u.s, v->len, &i) != 0)
                return -1;
        } else if (v->type == DLTC_TYPE_DOUBLE) {
            if (!isfinite(v->u.d) || v->u.d != floor(v->u.d) || fabs(v->u.d) >= 9.2e18)
                return -1;
            i = (int64_t)v->u.d;
        } else
            return -1;
        if (!(r = new_value(cfg, DLTC_TYPE_INT)))
            return dltc_error_last()->code;
        r->u.i = i;
        break;
    }
    case DLTC_TYPE_DOUBLE: {
        double d;
        if (v->type == DLTC_TYPE_STRING) {
            if (text_to_double(v->u.s, v->len, &d) != 0)
                return -1;
        } else if (v->type == DLTC_TYPE_INT)
            d = (double)v->u.i;
        else
            return -1;
        if (!(r = new_value(cfg, DLTC_TYPE_DOUBLE)))
            return dltc_error_last()->code;
        r->u.d = d;
        break;
    }
    case DLTC_TYPE_BOOL: {
        int b;
        if (v->type == DLTC_TYPE_STRING) {
            if (text_to_bool(v->u.s, &b) != 0)
                return -1;
        } else if (v->type == DLTC_TYPE_INT)
            b = v->u.i != 0;
        else if (v->type == DLTC_TYPE_DOUBLE)
            b = v->u.d != 0;
        else
            return -1;
        if (!(r = new_value(cfg, DLTC_TYPE_BOOL)))
            return dltc_error_last()->code;
        r->u.i = b;
        break;
    }
    case DLTC_TYPE_OBJECT:
    case DLTC_TYPE_ARRAY: {
        if (v->type != DLTC_TYPE_STRING)
            return -1;
        dltc_value *parsed;
        if (dltc__json_parse(&cfg->arena, v->u.s, v->len, 0, &parsed, NULL) != 0) {
            dltc_error_clear(); /* the JSON reader's message may quote the value */
            return -1;
        }
        if (parsed->type != t)
            return -1;
        r = parsed;
        break;
    }
    default:
        return -1; /* dates, times, decimals, bytes from other types: not yet */
    }
    *out = r;
    return 0;
}

/* ---- messages ---- */

/* "A, B in Environment Variables; a, b in secrets.toml" for traces [first, first+count). */
static int put_tried(dltc_buf *b, const dltc_config *cfg, size_t first, size_t count)
{
    int rc = 0;
    for (size_t i = first; i < first + count && !rc; i++) {
        const trace *t = &cfg->traces[i];
        int same_as_prev = i > first && cfg->traces[i - 1].provider == t->provider;
        if (i > first)
            rc = dltc__buf_puts(b, same_as_prev ? ", " : "; ");
        if (!rc)
            rc = dltc__buf_puts(b, t->key);
        if (!rc && (i + 1 == first + count || cfg->traces[i + 1].provider != t->provider))
            rc = dltc__buf_printf(b, " in %s", provider_name(cfg, t->provider));
    }
    if (!rc && count == 0)
        rc = dltc__buf_puts(b, "nothing (all providers are empty)");
    return rc;
}

static const char *dotted(dltc_config *cfg, const lookup *l, const char *field)
{
    const char *parts[MAX_SECTIONS + 2];
    size_t n = 0;
    for (size_t i = 0; i < l->nsections; i++)
        parts[n++] = l->sections[i];
    if (l->config_section)
        parts[n++] = l->config_section;
    parts[n++] = field;
    return key_name(cfg, P_SECRETS, parts, n);
}

/* Record the dlt-shaped report and set the one-line error; returns DLTC_ENOTFOUND. */
static int fail_missing(dltc_config *cfg, const lookup *l, const char *spec,
                        const field_traces *missing, size_t nmissing,
                        const char *const *resolved, size_t nresolved)
{
    dltc_buf r = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&r, "Missing %zu field(s) in configuration `%s`: ", nmissing, spec);
    for (size_t i = 0; i < nmissing && !rc; i++)
        rc = dltc__buf_printf(&r, "%s`%s`", i ? ", " : "", missing[i].field);
    if (!rc)
        rc = dltc__buf_putc(&r, '\n');
    for (size_t i = 0; i < nmissing && !rc; i++) {
        rc = dltc__buf_printf(&r,
                              "for field `%s` the following (config provider, key) were tried "
                              "in order:\n",
                              missing[i].field);
        for (size_t k = missing[i].first; k < missing[i].first + missing[i].count && !rc; k++)
            rc = dltc__buf_printf(&r, "  (%s, %s)\n", provider_name(cfg, cfg->traces[k].provider),
                                  cfg->traces[k].key);
    }
    if (!rc && nresolved) {
        rc = dltc__buf_printf(&r, "NOTE: following fields in `%s` got resolved: ", spec);
        for (size_t i = 0; i < nresolved && !rc; i++)
            rc = dltc__buf_printf(&r, "%s`%s`", i ? ", " : "", resolved[i]);
        if (!rc)
            rc = dltc__buf_putc(&r, '\n');
    }
    for (int t = 0; t < 2 && !rc; t++) {
        const toml_provider *p = &cfg->toml[t];
        for (int want = 1; want >= 0 && !rc; want--) {
            int any = 0;
            for (int i = 0; i < 2 && !rc; i++) {
                if (p->present[i] != want)
                    continue;
                if (!any)
                    rc = want ? dltc__buf_printf(&r, "Provider `%s` loaded values from locations:\n",
                                                 p->name)
                              : dltc__buf_printf(&r,
                                                 "Provider `%s` probed but not found the "
                                                 "following locations:\n",
                                                 p->name);
                any = 1;
                if (!rc)
                    rc = dltc__buf_printf(&r, "\t- %s\n", p->paths[i]);
            }
        }
        if (!rc && toml_is_empty(p))
            rc = dltc__buf_printf(&r,
                                  "WARNING: provider `%s` is empty. Locations (i.e., files) are "
                                  "missing or empty.\n",
                                  p->name);
    }
    if (!rc)
        rc = dltc__buf_puts(&r, LEARN_MORE);
    if (rc) {
        dltc__buf_free(&r);
        return rc;
    }
    dltc__free(cfg->report);
    cfg->report = dltc__buf_detach(&r);

    dltc_buf m = DLTC_BUF_INIT;
    rc = dltc__buf_puts(&m, nmissing == 1 ? "missing config value " : "missing config values ");
    for (size_t i = 0; i < nmissing && !rc; i++) {
        const char *name = dotted(cfg, l, missing[i].field);
        rc = name ? dltc__buf_printf(&m, "%s%s: tried ", i ? "; " : "", name)
                  : dltc_error_last()->code;
        if (!rc)
            rc = put_tried(&m, cfg, missing[i].first, missing[i].count);
    }
    if (!rc)
        rc = dltc__error_set(DLTC_ENOTFOUND, "%s", m.data);
    dltc__buf_free(&m);
    return rc;
}

/* ---- public lookups ---- */

static int begin(dltc_config *cfg, const char *const *sections, const char **buf, lookup *l)
{
    dltc__arena_reset(&cfg->scratch);
    cfg->ntraces = 0;
    dltc__free(cfg->report);
    cfg->report = NULL;
    size_t n = 0;
    for (size_t i = 0; sections && sections[i]; i++) {
        if (!*sections[i])
            continue; /* empty sections are dropped, as dlt does when joining */
        if (n == MAX_SECTIONS - 1)
            return dltc__error_set(DLTC_ELIMIT, "more than %d config sections", MAX_SECTIONS - 1);
        buf[n++] = sections[i];
    }
    l->sections = buf;
    l->nsections = n;
    return 0;
}

/* Resolve one field; traces appended to cfg->traces. 1 found, 0 missing, <0 error. */
static int resolve_field(dltc_config *cfg, const lookup *l, dltc_value_type type,
                         const dltc_value **out)
{
    found f;
    int rc = walk(cfg, l, &f);
    if (rc <= 0)
        return rc;
    rc = coerce(cfg, f.value, type, out);
    if (rc >= 0 && l->is_secret && (*out)->type == DLTC_TYPE_STRING &&
        dltc__secret_register((*out)->u.s))
        return dltc_error_last()->code;
    if (rc == -1)
        return dltc__error_set(DLTC_EINVALID,
                               "Configured value for field `%s` cannot be coerced into type `%s` "
                               "(key %s in %s)",
                               l->key, type_name(type), f.key, provider_name(cfg, f.provider));
    return rc < 0 ? rc : 1;
}

int dltc_config_get(const dltc_value **out, dltc_config *cfg, const char *const *sections,
                    const char *key, int is_secret, dltc_value_type type)
{
    if (!cfg || !key || !*key)
        return dltc__error_set(DLTC_EINVALID, "dltc_config_get needs a config and a key");
    const char *buf[MAX_SECTIONS];
    lookup l = {NULL, 0, NULL, key, is_secret, 0, NULL};
    int rc = begin(cfg, sections, buf, &l);
    if (rc)
        return rc;
    rc = resolve_field(cfg, &l, type, out);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char spec[256];
    const char *sname = dotted(cfg, &l, key);
    size_t cut = 0;
    if (sname) {
        const char *dot = strrchr(sname, '.');
        cut = dot ? (size_t)(dot - sname) : 0;
    }
    snprintf(spec, sizeof spec, "%.*s", (int)cut, sname ? sname : "");
    field_traces ft = {key, 0, cfg->ntraces};
    return fail_missing(cfg, &l, cut ? spec : "config", &ft, 1, NULL, 0);
}

int dltc_config_get_string(const char **out, dltc_config *cfg, const char *const *sections,
                           const char *key, int is_secret)
{
    const dltc_value *v;
    int rc = dltc_config_get(&v, cfg, sections, key, is_secret, DLTC_TYPE_STRING);
    if (rc == 0)
        *out = v->u.s;
    return rc;
}

int dltc_config_get_int(int64_t *out, dltc_config *cfg, const char *const *sections,
                        const char *key, int is_secret)
{
    const dltc_value *v;
    int rc = dltc_config_get(&v, cfg, sections, key, is_secret, DLTC_TYPE_INT);
    if (rc == 0)
        *out = v->u.i;
    return rc;
}

int dltc_config_get_bool(int *out, dltc_config *cfg, const char *const *sections,
                         const char *key, int is_secret)
{
    const dltc_value *v;
    int rc = dltc_config_get(&v, cfg, sections, key, is_secret, DLTC_TYPE_BOOL);
    if (rc == 0)
        *out = v->u.i != 0;
    return rc;
}

/* Resolve `fields` one by one under `l` into a new OBJECT; all missing required fields are
 * reported together. */
static int resolve_fields(const dltc_value **out, dltc_config *cfg, lookup *l,
                          const dltc_config_field *fields, size_t nfields, const char *spec_name)
{
    int rc = 0;
    dltc_value *obj = new_value(cfg, DLTC_TYPE_OBJECT);
    field_traces *missing = dltc__calloc(nfields ? nfields : 1, sizeof *missing);
    const char **resolved = dltc__calloc(nfields ? nfields : 1, sizeof *resolved);
    if (!obj || !missing || !resolved) {
        rc = obj ? dltc__error_oom() : dltc_error_last()->code;
        goto done;
    }
    size_t nmissing = 0, nresolved = 0;
    for (size_t i = 0; i < nfields && rc >= 0; i++) {
        l->key = fields[i].name;
        l->is_secret = fields[i].is_secret;
        size_t first = cfg->ntraces;
        const dltc_value *v = NULL;
        rc = resolve_field(cfg, l, fields[i].type, &v);
        if (rc == 1) {
            rc = dltc__object_set(&cfg->arena, obj, fields[i].name, strlen(fields[i].name), v);
            resolved[nresolved++] = fields[i].name;
        } else if (rc == 0 && !fields[i].is_optional) {
            missing[nmissing].field = fields[i].name;
            missing[nmissing].first = first;
            missing[nmissing].count = cfg->ntraces - first;
            nmissing++;
        }
    }
    if (rc >= 0) {
        rc = 0;
        if (nmissing)
            rc = fail_missing(cfg, l, spec_name, missing, nmissing, resolved, nresolved);
        else
            *out = obj;
    }
done:
    dltc__free(missing);
    dltc__free(resolved);
    return rc;
}

/* The password of a connection string (scheme://user:password@host/...) is a secret to mask
 * in messages; the rest (a DuckDB path, a host name) is not. */
static int register_url_password(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return 0;
    p += 3;
    size_t auth = strcspn(p, "/?#");
    const char *at = memchr(p, '@', auth);
    const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
    if (!colon || colon + 1 == at)
        return 0;
    char pw[512];
    size_t n = (size_t)(at - colon - 1);
    if (n >= sizeof pw)
        n = sizeof pw - 1;
    memcpy(pw, colon + 1, n);
    pw[n] = '\0';
    return dltc__secret_register(pw);
}

int dltc_config_get_credentials(const dltc_value **out, dltc_config *cfg,
                                const char *const *sections, const dltc_config_field *fields,
                                size_t nfields, const char *spec_name)
{
    if (!cfg || (nfields && !fields))
        return dltc__error_set(DLTC_EINVALID, "dltc_config_get_credentials needs a config");
    const char *buf[MAX_SECTIONS];
    lookup l = {NULL, 0, NULL, "credentials", 1, 1, NULL};
    int rc = begin(cfg, sections, buf, &l);
    if (rc)
        return rc;
    /* 1. the native value: key `credentials` looked up as a secret */
    found f;
    rc = walk(cfg, &l, &f);
    if (rc < 0)
        return rc;
    if (rc == 1 && f.value->type != DLTC_TYPE_OBJECT) {
        if (f.value->type == DLTC_TYPE_STRING && (rc = register_url_password(f.value->u.s)))
            return rc;
        *out = f.value;
        return 0;
    }
    /* 2. field by field, `credentials` kept as the innermost section */
    cfg->ntraces = 0; /* the native lookup is not part of the fields' traces */
    l.config_section = "credentials";
    l.tables_ok = 0;
    return resolve_fields(out, cfg, &l, fields, nfields, spec_name ? spec_name : "credentials");
}

int dltc_config_resolve(const dltc_value **out, dltc_config *cfg, const char *const *sections,
                        const dltc_config_field *fields, size_t nfields, const char *spec_name)
{
    if (!cfg || (nfields && !fields))
        return dltc__error_set(DLTC_EINVALID, "dltc_config_resolve needs a config");
    const char *buf[MAX_SECTIONS];
    lookup l = {NULL, 0, NULL, NULL, 0, 0, NULL};
    int rc = begin(cfg, sections, buf, &l);
    return rc ? rc : resolve_fields(out, cfg, &l, fields, nfields, spec_name ? spec_name : "config");
}

int dltc_config_resolve_source(const dltc_value **out, dltc_config *cfg, const char *section,
                               const char *name, const dltc_config_field *fields,
                               size_t nfields)
{
    if (!cfg || !name || !*name || (nfields && !fields))
        return dltc__error_set(DLTC_EINVALID, "dltc_config_resolve_source needs a config and a "
                                              "source name");
    if (!section || !*section)
        section = name;
    const char *sections[] = {"sources", section, name, NULL};
    const char *buf[MAX_SECTIONS];
    lookup l = {NULL, 0, NULL, NULL, 0, 0, NULL};
    int rc = begin(cfg, sections, buf, &l);
    if (rc)
        return rc;
    if (strcmp(section, name) != 0)
        l.compact = name;
    return resolve_fields(out, cfg, &l, fields, nfields, name);
}

int dltc_config_missing_report(char **out, const dltc_config *cfg)
{
    if (!cfg || !cfg->report)
        return dltc__error_set(DLTC_ENOTFOUND, "the last config lookup did not miss a value");
    char *s = dltc__strdup(cfg->report);
    if (!s)
        return dltc__error_oom();
    *out = s;
    return 0;
}
