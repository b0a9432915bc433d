/* The destinations dltc loads into, one entry each (registry.c): what the pipeline needs to
 * resolve, open and load one without knowing which it is. Knowledge of a destination lives
 * in its entry and its files here (duckdb*, postgres*, motherduck.c, filesystem/), not in
 * string compares elsewhere. */
#ifndef DLTC_LOAD_DESTINATIONS_REGISTRY_H
#define DLTC_LOAD_DESTINATIONS_REGISTRY_H

#include "dltc/config.h"
#include "common/buf.h"
#include "common/progress.h"
#include "load/destination.h"
#include "load/loader.h"
#include "package/package.h"
#include "schema/schema.h"

#include <stddef.h>

/* What a destination is told about the pipeline that uses it (strings lent). */
typedef struct {
    const char *pipeline_name; /* config sections, the filesystem's state files */
    const char *working_dir;   /* DuckDB's ":pipeline:" database lives there */
    const char *dataset;
    const char *schema_name;
    const char *location;      /* resolved: what the destination opens (may hold a secret) */
    const void *settings;      /* resolved: the destination's own settings, or NULL */
} dltc_dest_target;

/* What resolve() hands back. */
typedef struct {
    char *location;   /* malloc'd (dltc__free) */
    dltc_buf display; /* the location as dlt shows it, never with a secret */
    void *settings;   /* the entry's own (free_settings), or NULL */
} dltc_dest_resolved;

/* Capabilities. */
#define DLTC_DESTCAP_SQL 1u        /* a SQL client: statements, the _dlt tables, merge */
#define DLTC_DESTCAP_LOCAL_FILE 2u /* location is a local database file, created by the first
                                      connection: never open it just to look */
#define DLTC_DESTCAP_OVERLAP 4u    /* a package's append files may load while it normalizes
                                      (pipeline/overlap.c) */

typedef struct dltc_destination {
    const char *name;        /* "duckdb": the destination option, dlt's destination_name */
    const char *const *formats; /* loader file formats it takes, NULL-terminated; the first is
                                   the preferred one (measured, bench/RESULTS.md) */
    unsigned caps;           /* DLTC_DESTCAP_* */
    /* Location, display and settings from `given` (the credentials option; NULL: config and
     * secrets, as dlt resolves destination.<name>.credentials). t->location is NULL here.
     * DLTC_ENOTFOUND when credentials are needed and not configured. */
    int (*resolve)(dltc_dest_resolved *out, const dltc_dest_target *t, const char *given);
    void (*free_settings)(void *settings); /* NULL: no settings */
    /* SQL destinations: a connection to `location` (load/destination.h). NULL otherwise. */
    int (*connect)(dltc_dest **out, const char *location, dltc_dest_purpose purpose);
    /* Destinations without SQL: a connection reading the dataset (the filesystem's views),
     * DLTC_DEST_READ or DLTC_DEST_READ_ONLY (locked down to the dataset). */
    int (*open_views)(dltc_dest **out, const dltc_dest_target *t, dltc_dest_purpose purpose);
    /* Load package `load_id` (in load/normalized), counting into `pg` (NULL: off). NULL:
     * the SQL loader (load/loader.c) over connect(). */
    int (*load_package)(dltc_storage *st, const char *load_id, const dltc_dest_target *t,
                        int replace_strategy, dltc__progress *pg, dltc_load_result *res);
    /* Optional. Refuse a new root table name before extract (the filesystem's "init"). */
    int (*check_table)(const dltc_dest_target *t, const char *table);
    /* Optional, for destinations without SQL: the newest state blob (*blob NULL: none),
     * the newest stored schema, and dropping tables (s: the schema without them). */
    int (*remote_state)(char **blob, const dltc_dest_target *t);
    int (*remote_schema)(dltc_schema **out, const dltc_dest_target *t, const char *name);
    int (*drop_tables)(const dltc_dest_target *t, dltc_schema *s, const char *const *tables,
                       size_t n);
} dltc_destination;

/* The entry named `name`, or NULL. */
const dltc_destination *dltc__destination_find(const char *name);
/* The names, NULL-terminated, in the order shown ("duckdb", "postgres", …). */
const char *const *dltc__destination_names(void);
/* "duckdb, postgres, motherduck, filesystem" (static). */
const char *dltc__destination_names_text(void);
/* Whether the entry takes loader file format `fmt`. */
int dltc__destination_takes_format(const dltc_destination *d, const char *fmt);

/* ---- the entries (one per destination file) ---- */
extern const dltc_destination dltc__duckdb_destination;
extern const dltc_destination dltc__postgres_destination;
extern const dltc_destination dltc__motherduck_destination;
extern const dltc_destination dltc__filesystem_destination;

/* ---- shared by the entries' resolvers (registry.c) ---- */

/* destination.<type>.credentials from config and secrets: *v (in *cfg, which the caller
 * frees with dltc_config_free) or DLTC_ENOTFOUND. */
int dltc__dest_config_credentials(const char *pipeline, const char *type,
                                  const dltc_config_field *fields, size_t n, const char *spec,
                                  dltc_config **cfg, const dltc_value **v);
/* `path` made absolute against $DLT_LOCAL_DIR, else the current directory (malloc'd). */
char *dltc__dest_absolute_path(const char *path);
/* ---- used by the pipeline ---- */

/* d->connect(t->location) or d->open_views(t). */
int dltc__destination_open(const dltc_destination *d, const dltc_dest_target *t,
                           dltc_dest_purpose purpose, dltc_dest **out);
/* d->load_package, or the SQL loader. */
int dltc__destination_load_package(const dltc_destination *d, dltc_storage *st,
                                   const char *load_id, const dltc_dest_target *t,
                                   int replace_strategy, dltc__progress *pg,
                                   dltc_load_result *res);

#endif
