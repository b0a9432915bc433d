/* The table of destinations (registry.h) and what their entries share. */
#include "load/destinations/registry.h"
#include "common/alloc.h"
#include "common/error.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const dltc_destination *const ENTRIES[] = {
    &dltc__duckdb_destination, &dltc__postgres_destination, &dltc__motherduck_destination,
    &dltc__filesystem_destination};
#define NENTRIES (sizeof(ENTRIES) / sizeof(ENTRIES[0]))

static const char *const NAMES[] = {"duckdb", "postgres", "motherduck", "filesystem", NULL};

const dltc_destination *dltc__destination_find(const char *name)
{
    for (size_t i = 0; name && i < NENTRIES; i++)
        if (strcmp(ENTRIES[i]->name, name) == 0)
            return ENTRIES[i];
    return NULL;
}

const char *const *dltc__destination_names(void)
{
    return NAMES;
}

const char *dltc__destination_names_text(void)
{
    return "duckdb, postgres, motherduck, filesystem";
}

int dltc__destination_takes_format(const dltc_destination *d, const char *fmt)
{
    for (const char *const *f = d->formats; *f; f++)
        if (strcmp(*f, fmt) == 0)
            return 1;
    return 0;
}

int dltc__destination_open(const dltc_destination *d, const dltc_dest_target *t,
                           dltc_dest_purpose purpose, dltc_dest **out)
{
    *out = NULL;
    if (d->connect)
        return d->connect(out, t->location, purpose);
    if (purpose == DLTC_DEST_LOAD)
        return dltc__error_set(DLTC_EINVALID, "the %s destination is read through views only",
                               d->name);
    return d->open_views(out, t, purpose);
}

int dltc__destination_load_package(const dltc_destination *d, dltc_storage *st,
                                   const char *load_id, const dltc_dest_target *t,
                                   int replace_strategy, dltc__progress *pg,
                                   dltc_load_result *res)
{
    if (d->load_package)
        return d->load_package(st, load_id, t, replace_strategy, pg, res);
    return dltc__load_package(st, load_id, d->name, t->location, t->dataset, replace_strategy,
                              pg, res);
}

/* The loader (and the others with only a type and a location) connect here. */
int dltc__dest_open(dltc_dest **out, const char *type, const char *location,
                    dltc_dest_purpose purpose)
{
    *out = NULL;
    const dltc_destination *d = dltc__destination_find(type ? type : "duckdb");
    if (!d || !d->connect)
        return dltc__error_set(DLTC_EINVALID, "destination '%s' is not a SQL destination",
                               type);
    return d->connect(out, location, purpose);
}

int dltc__dest_table_exists(dltc_dest *d, const char *dataset, const char *table, int *yes)
{
    char **names = NULL;
    size_t n = 0;
    int rc = dltc__dest_table_columns(d, dataset, table, &names, &n, yes);
    dltc__strv_free(names, n);
    return rc;
}

int dltc__dest_config_credentials(const char *pipeline, const char *type,
                                  const dltc_config_field *fields, size_t n, const char *spec,
                                  dltc_config **cfg, const dltc_value **v)
{
    *v = NULL;
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.pipeline_name = pipeline;
    int rc = dltc_config_open(cfg, &co);
    const char *const sections[] = {"destination", type, NULL};
    if (!rc)
        rc = dltc_config_get_credentials(v, *cfg, sections, fields, n, spec);
    return rc;
}

char *dltc__dest_absolute_path(const char *path)
{
    if (path[0] == '/')
        return dltc__strdup(path);
    const char *local = getenv("DLT_LOCAL_DIR");
    char cwd[PATH_MAX];
    if (local && *local)
        snprintf(cwd, sizeof(cwd), "%s", local);
    else if (!getcwd(cwd, sizeof(cwd)))
        return NULL;
    dltc_buf b = DLTC_BUF_INIT;
    if (dltc__buf_printf(&b, "%s/%s", cwd, path)) {
        dltc__buf_free(&b);
        return NULL;
    }
    return dltc__buf_detach(&b);
}
