/* The pipeline: working dir and defaults as dlt has them, and run = (finish what an earlier
 * run left pending) → extract → normalize → load. */
#include "pipeline/pipeline_impl.h"
#include "dltc/config.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/progress.h"
#include "common/time.h"
#include "load/pending.h"
#include "normalize/package.h"
#include "dltc/schema.h"
#include "schema/naming.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dupf(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = dltc__malloc(n);
    if (s)
        snprintf(s, n, fmt, a, b ? b : "");
    return s;
}

/* dlt's data dir: $DLT_DATA_DIR, /var/dlt as root, $XDG_DATA_HOME/dlt when ~/.dlt does not
 * exist, else ~/.dlt. */
char *dltc__data_dir(void)
{
    const char *e = getenv("DLT_DATA_DIR");
    if (e && *e)
        return dltc__strdup(e);
    if (geteuid() == 0)
        return dltc__strdup("/var/dlt");
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : "/tmp";
    }
    char *user = dupf("%s/.dlt%s", home, NULL);
    const char *xdg = getenv("XDG_DATA_HOME");
    struct stat st;
    if (user && xdg && *xdg && stat(user, &st) != 0) {
        dltc__free(user);
        return dupf("%s/dlt%s", xdg, NULL);
    }
    return user;
}

static int valid_pipeline_name(const char *n)
{
    if (!*n || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
        return 0;
    for (const char *p = n; *p; p++)
        if (*p == '/' || *p == '.' || *p == '%' || *p == '{' || *p == '}' || *p == '\\' ||
            (unsigned char)*p < 0x20)
            return 0;
    return 1;
}

void dltc_pipeline_free(dltc_pipeline *p)
{
    if (!p)
        return;
    dltc__pipeline_unlock(p);
    dltc__pipeline_progress_free(p);
    dltc__storage_free(p->storage);
    dltc__state_clear(&p->state);
    dltc__free(p->name);
    dltc__free(p->pipelines_dir);
    dltc__free(p->working_dir);
    dltc__free(p->dataset);
    dltc__pipeline_destination_free(p);
    dltc__free(p->destination);
    dltc__free(p->file_format);
    dltc__free(p->schema_name);
    dltc__free(p->state_path);
    dltc__free(p);
}

static int normalized_name(const char *in, size_t max, char **out)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__naming_normalize_table_identifier(dltc__naming_get("snake_case", max), in,
                                                     strlen(in), &b);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return 0;
}

/* The loader file format: given, else the destination's preferred one (the first of its
 * formats, load/destinations/registry.h). */
static int set_file_format(dltc_pipeline *p, const char *given)
{
    const char *fmt = given ? given : p->dest->formats[0];
    if (!dltc__destination_takes_format(p->dest, fmt)) {
        dltc_buf b = DLTC_BUF_INIT;
        for (const char *const *f = p->dest->formats; *f; f++)
            if (dltc__buf_printf(&b, "%s%s", b.len ? ", " : "", *f))
                break;
        int rc = dltc__error_set(DLTC_EINVALID,
                                 "loader file format '%s' is not supported by %s (%s)", fmt,
                                 p->destination, b.data ? b.data : "");
        dltc__buf_free(&b);
        return rc;
    }
    return (p->file_format = dltc__strdup(fmt)) ? 0 : dltc__error_oom();
}

/* normalize.data_writer.file_max_items: rows per load file before a new one starts (dlt's
 * setting; unset = no limit). */
static int writer_settings(dltc_pipeline *p)
{
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.pipeline_name = p->name;
    dltc_config *cfg = NULL;
    int rc = dltc_config_open(&cfg, &co);
    static const char *const dw[] = {"normalize", "data_writer", NULL};
    int64_t max = 0;
    if (!rc && dltc_config_get_int(&max, cfg, dw, "file_max_items", 0) == DLTC_EINVALID)
        rc = DLTC_EINVALID;
    else if (!rc && max < 0)
        rc = dltc__error_set(DLTC_EINVALID,
                             "normalize.data_writer.file_max_items: %lld is not a row count",
                             (long long)max);
    if (!rc) {
        dltc_error_clear();
        p->file_max_items = (uint64_t)max;
    }
    dltc_config_free(cfg);
    return rc;
}

int dltc_pipeline_open(dltc_pipeline **out, const char *name, const dltc_pipeline_options *opts)
{
    dltc_pipeline_options defaults = DLTC_PIPELINE_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    if (opts->version != DLTC_PIPELINE_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "pipeline options: version mismatch");
    if (!name || !valid_pipeline_name(name))
        return dltc__error_set(DLTC_EINVALID,
                               "invalid pipeline name '%s': it must be a file name without "
                               "'.', '%%', '{', '}' or '/'", name ? name : "");
    if (opts->destination && !dltc__destination_find(opts->destination))
        return dltc__error_set(DLTC_EINVALID, "unknown destination '%s' (available: %s)",
                               opts->destination, dltc__destination_names_text());
    int replace_strategy = 0;
    if (dltc__replace_strategy_parse(opts->replace_strategy, &replace_strategy))
        return dltc_error_last()->code;
    dltc_pipeline *p = dltc__calloc(1, sizeof(*p));
    if (!p)
        return dltc__error_oom();
    p->lock_fd = -1;
    p->replace_strategy = replace_strategy;
    dltc__state_init(&p->state);
    int rc = 0;
    p->name = dltc__strdup(name);
    if (opts->pipelines_dir) {
        p->pipelines_dir = dltc__strdup(opts->pipelines_dir);
    } else {
        char *dd = dltc__data_dir();
        p->pipelines_dir = dd ? dupf("%s/pipelines%s", dd, NULL) : NULL;
        dltc__free(dd);
    }
    if (!p->name || !p->pipelines_dir)
        rc = dltc__error_oom();
    if (!rc && !(p->working_dir = dupf("%s/%s", p->pipelines_dir, name)))
        rc = dltc__error_oom();
    if (!rc)
        rc = normalized_name(opts->dataset_name ? opts->dataset_name : "", 0, &p->dataset);
    if (rc && !opts->dataset_name) { /* default: <name>_dataset */
        char *d = dupf("%s_dataset%s", name, NULL);
        dltc__free(p->dataset);
        p->dataset = NULL;
        rc = d ? normalized_name(d, 0, &p->dataset) : dltc__error_oom();
        dltc__free(d);
    }
    if (!rc) { /* schema name: pipeline name without a trailing _pipeline */
        size_t n = strlen(name);
        char *base = dltc__strndup(name, n > 9 && strcmp(name + n - 9, "_pipeline") == 0 ? n - 9 : n);
        rc = base ? normalized_name(base, 64, &p->schema_name) : dltc__error_oom();
        dltc__free(base);
    }
    if (!rc && dltc__mkdirs(p->working_dir) != 0) {
        rc = dltc_error_last()->code ? dltc_error_last()->code : DLTC_EIO;
        dltc__error_prefix("pipeline working dir: ");
    }
    if (!rc && !(p->state_path = dupf("%s/state.json%s", p->working_dir, NULL)))
        rc = dltc__error_oom();
    if (!rc) {
        int lr = dltc__state_load(&p->state, p->state_path);
        if (lr == DLTC_ENOTFOUND) {
            char cwd[PATH_MAX];
            p->state.initial_cwd = dltc__strdup(getcwd(cwd, sizeof(cwd)) ? cwd : "");
        } else if (lr) {
            rc = lr;
        }
    }
    if (!rc) {
        dltc_state *st = &p->state;
        if (!st->pipeline_name)
            st->pipeline_name = dltc__strdup(name);
        if (!opts->dataset_name && st->dataset_name && *st->dataset_name) {
            /* an existing pipeline keeps its dataset unless one is given, as dlt restores
             * dataset_name from the state (dlt pipeline NAME query/info find the data) */
            char *d = dltc__strdup(st->dataset_name);
            if (d) {
                dltc__free(p->dataset);
                p->dataset = d;
            } else {
                rc = dltc__error_oom();
            }
        } else {
            dltc__free(st->dataset_name);
            st->dataset_name = dltc__strdup(p->dataset);
        }
        if (!st->default_schema_name)
            st->default_schema_name = dltc__strdup(p->schema_name);
        /* the destination: given, else the one of the state (dlt pipeline NAME … on a
         * postgres pipeline), else duckdb */
        const char *dest = opts->destination ? opts->destination : "duckdb";
        if (!opts->destination && dltc__destination_find(st->destination_name))
            dest = st->destination_name;
        p->dest = dltc__destination_find(dest);
        if (!(p->destination = dltc__strdup(dest)))
            rc = dltc__error_oom();
        if (!rc)
            rc = set_file_format(p, opts->loader_file_format);
        if (!rc)
            rc = writer_settings(p);
        if (!rc)
            rc = dltc__pipeline_progress_setup(p, opts->progress);
        if (!rc)
            rc = dltc__pipeline_resolve_destination(p, opts->credentials);
        dltc__free(st->destination_type);
        st->destination_type = dupf("dlt.destinations.%s%s", p->destination, NULL);
        dltc__free(st->destination_name);
        st->destination_name = dltc__strdup(p->destination);
        if (!st->pipeline_name || !st->dataset_name || !st->default_schema_name ||
            !st->destination_type || !st->destination_name)
            rc = dltc__error_oom();
    }
    if (!rc)
        rc = dltc__storage_open(&p->storage, p->working_dir);
    if (rc) {
        dltc_pipeline_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* ---- lock: one process runs a pipeline at a time ---- */

int dltc__pipeline_lock(dltc_pipeline *p)
{
    if (p->lock_fd >= 0)
        return 0;
    char *path = dupf("%s/.lock%s", p->working_dir, NULL);
    if (!path)
        return dltc__error_oom();
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
        dltc__free(path);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        int rc = dltc__error_set(DLTC_EINVALID,
                                 "pipeline '%s' is being run by another process (%s is locked)",
                                 p->name, path);
        dltc__free(path);
        return rc;
    }
    dltc__free(path);
    p->lock_fd = fd;
    return 0;
}

void dltc__pipeline_unlock(dltc_pipeline *p)
{
    if (p->lock_fd >= 0) {
        close(p->lock_fd);
        p->lock_fd = -1;
    }
}

/* ---- schema ---- */

int dltc__pipeline_schema(dltc_pipeline *p, dltc_schema **out)
{
    char *path = NULL;
    size_t n = strlen(p->working_dir) + strlen(p->schema_name) + 32;
    if (!(path = dltc__malloc(n)))
        return dltc__error_oom();
    snprintf(path, n, "%s/schemas/%s.schema.json", p->working_dir, p->schema_name);
    char *text = NULL;
    size_t len = 0;
    int rc = dltc__read_file(path, &text, &len);
    if (rc == DLTC_ENOTFOUND) {
        dltc_error_clear();
        rc = dltc_schema_new(out, p->schema_name);
    } else if (!rc) {
        rc = dltc_schema_import(out, text, len);
        if (rc)
            dltc__error_prefix("%s: ", path);
    }
    if (!rc)
        dltc__pipeline_schema_checks(p, *out);
    dltc__free(text);
    dltc__free(path);
    return rc;
}

int dltc__pipeline_save_schema(dltc_pipeline *p, dltc_schema *s)
{
    char *doc = NULL;
    int rc = dltc_schema_export(&doc, s, DLTC_SCHEMA_JSON, 0);
    if (rc)
        return rc;
    size_t n = strlen(p->working_dir) + strlen(s->name) + 32;
    char *path = dltc__malloc(n);
    if (!path) {
        dltc_free(doc);
        return dltc__error_oom();
    }
    snprintf(path, n, "%s/schemas", p->working_dir);
    rc = dltc__mkdirs(path);
    if (!rc) {
        snprintf(path, n, "%s/schemas/%s.schema.json", p->working_dir, s->name);
        rc = dltc__write_file_atomic(path, doc, strlen(doc));
    }
    dltc__free(path);
    dltc_free(doc);
    return rc;
}

/* ---- normalize ---- */

int dltc__pipeline_normalize_one(dltc_pipeline *p, const char *load_id, uint64_t max_items,
                                 dltc_file_hook hook, void *ctx)
{
    dltc_normalize_package_options o = DLTC_NORMALIZE_PACKAGE_OPTIONS_INIT;
    o.file_format = p->file_format;
    o.max_items = max_items;
    o.hook = hook;
    o.ctx = ctx;
    o.progress = p->progress;
    dltc_schema *s = NULL;
    int rc = dltc__normalize_package(&s, p->storage, load_id, &o);
    if (!rc)
        rc = dltc__pipeline_save_schema(p, s);
    dltc_schema_free(s);
    return rc;
}

int dltc__pipeline_normalize_pending(dltc_pipeline *p, size_t *count)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = dltc__storage_list(p->storage, DLTC_STAGE_EXTRACTED, &ids, &n);
    if (n)
        dltc__progress_begin(p->progress, DLTC_PROGRESS_NORMALIZE);
    for (size_t i = 0; i < n && !rc; i++)
        rc = dltc__pipeline_normalize_one(p, ids[i], p->file_max_items, NULL, NULL);
    if (n)
        dltc__progress_end(p->progress, DLTC_PROGRESS_NORMALIZE, rc != 0);
    if (count)
        *count = n;
    dltc__strv_free(ids, n);
    return rc;
}

/* ---- load ---- */

static int info_add_package(dltc_pipeline *p, dltc_load_info *info, const dltc_load_result *r)
{
    dltc_package_info *pk = dltc__realloc(info->packages, (info->npackages + 1) * sizeof(*pk));
    if (!pk)
        return dltc__error_oom();
    info->packages = pk;
    dltc_package_info *x = &pk[info->npackages];
    memset(x, 0, sizeof(*x));
    x->load_id = dltc__strdup(r->load_id);
    x->status = dltc__strdup("LOADED");
    x->already_loaded = r->already_loaded;
    x->failed_jobs = r->failed_jobs;
    info->npackages++;
    if (!x->load_id || !x->status)
        return dltc__error_oom();
    if (r->ncounts && !(x->counts = dltc__calloc(r->ncounts, sizeof(*x->counts))))
        return dltc__error_oom();
    for (size_t i = 0; i < r->ncounts; i++, x->ncounts++) {
        x->counts[i].rows = r->counts[i].rows;
        if (!(x->counts[i].table = dltc__strdup(r->counts[i].table)))
            return dltc__error_oom();
    }
    int rc = dltc__load_info_package_jobs(p, x, DLTC_STAGE_LOADED);
    if (rc)
        return rc;
    for (size_t i = 0; i < r->ncounts; i++) {
        size_t k = 0;
        for (; k < info->ncounts; k++)
            if (strcmp(info->counts[k].table, r->counts[i].table) == 0)
                break;
        if (k == info->ncounts) {
            dltc_table_count *c = dltc__realloc(info->counts, (info->ncounts + 1) * sizeof(*c));
            if (!c)
                return dltc__error_oom();
            info->counts = c;
            if (!(c[k].table = dltc__strdup(r->counts[i].table)))
                return dltc__error_oom();
            c[k].rows = 0;
            info->ncounts++;
        }
        info->counts[k].rows += r->counts[i].rows;
    }
    return 0;
}

static int loaded(const dltc_load_result *r, void *ctx)
{
    dltc_pipeline *p = ((void **)ctx)[0];
    dltc_load_info *info = ((void **)ctx)[1];
    return info ? info_add_package(p, info, r) : 0;
}

static int ready(void *ctx)
{
    return dltc__pipeline_destination_ready(((void **)ctx)[0]);
}

int dltc__pipeline_load_pending(dltc_pipeline *p, dltc_load_info *info, dltc_load_early *early)
{
    dltc_dest_target t;
    dltc__pipeline_dest_target(p, &t);
    void *ctx[2] = {p, info};
    dltc_load_pending_options o = {p->storage, p->dest,  &t,     p->replace_strategy,
                                   p->progress, ready,   loaded, ctx};
    return dltc__load_pending(&o, early);
}
