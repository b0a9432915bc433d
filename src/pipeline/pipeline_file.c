/* A pipeline file (include/dltc/pipeline_file.h): parsed with the lines of its keys kept, its
 * [pipeline] table checked at once, its sources built on demand (sources/from_config.c). */
#include "dltc/pipeline_file.h"

#include "common/alloc.h"
#include "common/arena.h"
#include "common/error.h"
#include "formats/toml.h"
#include "load/destinations/registry.h"
#include "formats/json.h"
#include "formats/yaml.h"
#include "package/package.h"
#include "sources/from_config.h"

#include <stdio.h>
#include <string.h>

struct dltc_pipeline_file {
    dltc_arena arena; /* the tree */
    char *file;       /* name in messages */
    dltc_keylines lines;
    dltc__cfg_origin origin;
    dltc__cfg_keep keep;
    const dltc_value *root;
    const char *name, *destination, *dataset, *pipelines_dir, *credentials, *format, *replace;
    const char *progress;
    const dltc_value **sources;
    const char **source_names, **source_types;
    size_t nsources;
    dltc_config *cfg; /* opened on first need */
};

static const char *const TOP_KEYS[] = {"pipeline", "sources", "source", NULL};
static const char *const PIPELINE_KEYS[] = {"name", "destination", "dataset_name",
                                            "pipelines_dir", "credentials",
                                            "loader_file_format", "replace_strategy",
                                            "progress", NULL};

static int check_tree(dltc_pipeline_file *f)
{
    dltc__cfg_check c = {&f->origin, DLTC_BUF_INIT, &f->keep};
    const dltc_value *root = f->root, *pl = NULL, *one = NULL;
    int rc = 0;
    if (!root || root->type != DLTC_TYPE_OBJECT)
        rc = dltc__cfg_fail(&c, NULL, "a pipeline file is a table with [pipeline] and "
                                      "[[sources]]");
    if (!rc) rc = dltc__cfg_known_keys(&c, root, TOP_KEYS);
    if (!rc) rc = dltc__cfg_table(&c, root, "pipeline", &pl);
    if (!rc && !pl)
        rc = dltc__cfg_fail(&c, "pipeline", "missing: the file needs a [pipeline] table with "
                                            "a name");
    size_t mark = dltc__cfg_push(&c, "pipeline");
    if (!rc) rc = dltc__cfg_known_keys(&c, pl, PIPELINE_KEYS);
    if (!rc) rc = dltc__cfg_str(&c, pl, "name", &f->name);
    if (!rc && (!f->name || !*f->name))
        rc = dltc__cfg_fail(&c, "name", "missing: the pipeline needs a name");
    if (!rc && !(rc = dltc__cfg_str(&c, pl, "destination", &f->destination)))
        rc = dltc__cfg_one_of(&c, "destination", f->destination,
                              dltc__destination_names());
    if (!rc) rc = dltc__cfg_str(&c, pl, "dataset_name", &f->dataset);
    if (!rc) rc = dltc__cfg_str(&c, pl, "pipelines_dir", &f->pipelines_dir);
    if (!rc) rc = dltc__cfg_str(&c, pl, "credentials", &f->credentials);
    static const char *const formats[] = {"jsonl", "parquet", "csv", "insert_values", NULL};
    if (!rc && !(rc = dltc__cfg_str(&c, pl, "loader_file_format", &f->format)))
        rc = dltc__cfg_one_of(&c, "loader_file_format", f->format, formats);
    static const char *const replace[] = {"truncate-and-insert", "insert-from-staging",
                                          "staging-optimized", NULL};
    if (!rc && !(rc = dltc__cfg_str(&c, pl, "replace_strategy", &f->replace)))
        rc = dltc__cfg_one_of(&c, "replace_strategy", f->replace, replace);
    static const char *const reporters[] = {"log", "tqdm", "enlighten", "alive_progress", "none",
                                            NULL};
    if (!rc && !(rc = dltc__cfg_str(&c, pl, "progress", &f->progress)))
        rc = dltc__cfg_one_of(&c, "progress", f->progress, reporters);
    dltc__cfg_pop(&c, mark);

    /* [[sources]] (a list) or one [source] */
    const dltc_value *list = rc ? NULL : dltc_object_get(root, "sources");
    if (!rc) rc = dltc__cfg_table(&c, root, "source", &one);
    if (!rc && list && one)
        rc = dltc__cfg_fail(&c, "source", "give either [source] or [[sources]], not both");
    if (!rc && list && list->type != DLTC_TYPE_ARRAY)
        rc = dltc__cfg_fail(&c, "sources", "expected a list of tables ([[sources]])");
    if (!rc && !list && !one)
        rc = dltc__cfg_fail(&c, NULL, "no sources: add a [[sources]] table");
    if (!rc && list && !list->len)
        rc = dltc__cfg_fail(&c, "sources", "is empty");
    size_t n = rc ? 0 : list ? list->len : 1;
    if (n) {
        f->sources = dltc__arena_alloc(&f->arena, n * sizeof(*f->sources));
        f->source_names = dltc__arena_alloc(&f->arena, n * sizeof(*f->source_names));
        f->source_types = dltc__arena_alloc(&f->arena, n * sizeof(*f->source_types));
        if (!f->sources || !f->source_names || !f->source_types)
            rc = dltc__error_oom();
    }
    for (size_t i = 0; !rc && i < n; i++) {
        const dltc_value *e = list ? &list->u.arr[i] : one;
        size_t m = list ? dltc__cfg_push(&c, "sources") : dltc__cfg_push(&c, "source");
        if (list)
            dltc__cfg_push_index(&c, i);
        const char *type = NULL, *name = NULL;
        if (e->type != DLTC_TYPE_OBJECT)
            rc = dltc__cfg_fail(&c, NULL, "expected a table");
        if (!rc) rc = dltc__cfg_str(&c, e, "type", &type);
        if (!rc) rc = dltc__cfg_str(&c, e, "name", &name);
        if (!rc && !type)
            rc = dltc__cfg_fail(&c, NULL, "needs \"type\": rest_api, sql_database or "
                                          "filesystem");
        static const char *const types[] = {"rest_api", "sql_database", "filesystem", NULL};
        if (!rc)
            rc = dltc__cfg_one_of(&c, "type", type, types);
        for (size_t j = 0; !rc && j < i; j++)
            if (!strcmp(f->source_names[j], name ? name : type))
                rc = dltc__cfg_fail(&c, name ? "name" : "type",
                                    "a second source named \"%s\": give each its own name",
                                    name ? name : type);
        f->sources[i] = e;
        f->source_names[i] = name ? name : type;
        f->source_types[i] = type;
        dltc__cfg_pop(&c, m);
    }
    f->nsources = rc ? 0 : n;
    dltc__buf_free(&c.path);
    return rc;
}

static int suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

int dltc_pipeline_file_parse(dltc_pipeline_file **out, const char *text, size_t len,
                             const char *format, const char *name)
{
    if (!out || (!text && len))
        return dltc__error_set(DLTC_EINVALID, "dltc_pipeline_file_parse: no output or text");
    *out = NULL;
    if (!format)
        format = "toml";
    dltc_pipeline_file *f = dltc__calloc(1, sizeof(*f));
    if (!f)
        return dltc__error_oom();
    dltc__arena_init(&f->arena, 16 * 1024);
    dltc__cfg_keep_init(&f->keep);
    f->file = dltc__strdup(name ? name : "pipeline");
    f->origin.file = f->file;
    f->origin.lines = &f->lines;
    dltc_value *root = NULL;
    int rc = f->file ? 0 : dltc__error_oom();
    if (rc) {
    } else if (!strcmp(format, "toml")) {
        rc = dltc__toml_parse_lines(&f->arena, text ? text : "", len, f->file, 0, &root, NULL,
                                    &f->lines);
    } else if (!strcmp(format, "yaml")) {
        rc = dltc__yaml_parse_lines(&f->arena, text ? text : "", len, 0, &root, &f->lines);
        if (rc)
            dltc__error_prefix("%s:", f->file);
    } else if (!strcmp(format, "json")) {
        rc = dltc__json_parse(&f->arena, text ? text : "", len, 0, &root, NULL);
        if (rc)
            dltc__error_prefix("%s: ", f->file);
    } else {
        rc = dltc__error_set(DLTC_EINVALID, "%s: unknown format \"%s\" (toml, yaml, json)",
                             f->file, format);
    }
    if (!rc) {
        f->root = root;
        rc = check_tree(f);
    }
    if (rc) {
        dltc_pipeline_file_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int dltc_pipeline_file_open(dltc_pipeline_file **out, const char *path)
{
    if (!out || !path)
        return dltc__error_set(DLTC_EINVALID, "dltc_pipeline_file_open: no output or path");
    *out = NULL;
    const char *format = suffix(path, ".toml")                              ? "toml"
                         : suffix(path, ".yaml") || suffix(path, ".yml")   ? "yaml"
                         : suffix(path, ".json")                            ? "json"
                                                                            : NULL;
    if (!format)
        return dltc__error_set(DLTC_EINVALID,
                               "%s: a pipeline file ends in .toml, .yaml, .yml or .json", path);
    char *text = NULL;
    size_t len = 0;
    int rc = dltc__read_file(path, &text, &len);
    if (rc) {
        if (rc == DLTC_ENOTFOUND)
            return dltc__error_set(rc, "%s: no such pipeline file", path);
        return rc;
    }
    rc = dltc_pipeline_file_parse(out, text, len, format, path);
    dltc__free(text);
    return rc;
}

void dltc_pipeline_file_free(dltc_pipeline_file *f)
{
    if (!f)
        return;
    dltc__cfg_keep_free(&f->keep);
    dltc_config_free(f->cfg);
    dltc__keylines_free(&f->lines);
    dltc__arena_free(&f->arena);
    dltc__free(f->file);
    dltc__free(f);
}

const char *dltc_pipeline_file_name(const dltc_pipeline_file *f)
{
    return f ? f->name : NULL;
}

void dltc_pipeline_file_options(const dltc_pipeline_file *f, dltc_pipeline_options *po)
{
    if (!f || !po)
        return;
    if (f->destination) po->destination = f->destination;
    if (f->dataset) po->dataset_name = f->dataset;
    if (f->pipelines_dir) po->pipelines_dir = f->pipelines_dir;
    if (f->credentials) po->credentials = f->credentials;
    if (f->format) po->loader_file_format = f->format;
    if (f->replace) po->replace_strategy = f->replace;
    if (f->progress) po->progress = f->progress;
}

size_t dltc_pipeline_file_source_count(const dltc_pipeline_file *f)
{
    return f ? f->nsources : 0;
}

const char *dltc_pipeline_file_source_name(const dltc_pipeline_file *f, size_t i)
{
    return f && i < f->nsources ? f->source_names[i] : NULL;
}

const char *dltc_pipeline_file_source_type(const dltc_pipeline_file *f, size_t i)
{
    return f && i < f->nsources ? f->source_types[i] : NULL;
}

int dltc_pipeline_file_source(dltc_source **out, dltc_pipeline_file *f, size_t i,
                              dltc_config *cfg)
{
    if (!out || !f || i >= f->nsources)
        return dltc__error_set(DLTC_EINVALID, "dltc_pipeline_file_source: no source %zu", i);
    *out = NULL;
    if (!cfg) {
        if (!f->cfg) {
            dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
            co.pipeline_name = f->name;
            int rc = dltc_config_open(&f->cfg, &co);
            if (rc)
                return rc;
        }
        cfg = f->cfg;
    }
    dltc__cfg_check c = {&f->origin, DLTC_BUF_INIT, &f->keep};
    if (dltc_object_get(f->root, "source")) {
        dltc__cfg_push(&c, "source");
    } else {
        dltc__cfg_push(&c, "sources");
        dltc__cfg_push_index(&c, i);
    }
    int rc = dltc__source_from_config(out, &c, f->sources[i], cfg);
    dltc__buf_free(&c.path);
    return rc;
}

int dltc_pipeline_file_run_source(dltc_pipeline_file *f, dltc_pipeline *p, size_t i,
                                  dltc_load_info **info)
{
    if (info)
        *info = NULL;
    dltc_source *src = NULL;
    int rc = dltc_pipeline_file_source(&src, f, i, NULL);
    if (!rc)
        rc = dltc_pipeline_run_source(p, src, info);
    dltc_source_free(src);
    return rc;
}

/* ---- a source from one entry, standing alone ---- */

typedef struct {
    dltc__cfg_keep keep;
    dltc_arena tree;
    dltc_config *cfg; /* opened here, or NULL */
} standalone;

static void standalone_free(void *p)
{
    standalone *h = p;
    dltc__cfg_keep_free(&h->keep);
    dltc_config_free(h->cfg);
    dltc__arena_free(&h->tree);
    dltc__free(h);
}

int dltc_source_from_config_json(dltc_source **out, const char *json, size_t len,
                                 dltc_config *cfg, const char *origin)
{
    if (!out || !json)
        return dltc__error_set(DLTC_EINVALID, "dltc_source_from_config_json: no output or text");
    *out = NULL;
    standalone *h = dltc__calloc(1, sizeof(*h));
    if (!h)
        return dltc__error_oom();
    dltc__cfg_keep_init(&h->keep);
    dltc__arena_init(&h->tree, 4096);
    dltc_value *root = NULL;
    const char *name = origin ? origin : "config";
    int rc = dltc__json_parse(&h->tree, json, len, 0, &root, NULL);
    if (rc)
        dltc__error_prefix("%s: ", name);
    if (!rc && !cfg) {
        if (!(rc = dltc_config_open(&h->cfg, NULL)))
            cfg = h->cfg;
    }
    if (!rc) {
        dltc__cfg_origin o = {name, NULL};
        dltc__cfg_check c = {&o, DLTC_BUF_INIT, &h->keep};
        rc = dltc__source_from_config(out, &c, root, cfg);
        dltc__buf_free(&c.path);
    }
    if (!rc && (rc = dltc_source_on_free(*out, standalone_free, h)) != 0) {
        dltc_source_free(*out);
        *out = NULL;
    }
    if (rc)
        standalone_free(h);
    return rc;
}
