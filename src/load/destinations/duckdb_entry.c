/* The DuckDB destination's entry (registry.h): where its database file is, from the options
 * or config as dlt resolves DuckDbCredentials. The connection is duckdb.c,
 * over the client in src/duckdb/. */
#include "load/destinations/registry.h"
#include "formats/value.h"
#include "common/alloc.h"
#include "common/error.h"

#include <string.h>

/* A path, a duckdb:/// URL or ":pipeline:" in destination.duckdb.credentials, or its
 * `database` field; default <pipeline>.duckdb in the current dir. */
static int resolve(dltc_dest_resolved *out, const dltc_dest_target *t, const char *given)
{
    static const dltc_config_field fields[] = {{"database", DLTC_TYPE_STRING, 0, 1}};
    dltc_config *cfg = NULL;
    const dltc_value *v = NULL;
    int rc = 0;
    if (!given) {
        rc = dltc__dest_config_credentials(t->pipeline_name, "duckdb", fields, 1,
                                           "DuckDbCredentials", &cfg, &v);
        if (rc == DLTC_ENOTFOUND) {
            dltc_error_clear();
            rc = 0;
            v = NULL;
        }
        if (!rc && v && v->type == DLTC_TYPE_OBJECT)
            v = dltc_object_get(v, "database");
        if (!rc && v && v->type == DLTC_TYPE_STRING && v->len)
            given = v->u.s;
        else if (!rc && v && v->type != DLTC_TYPE_NULL && v->type != DLTC_TYPE_OBJECT)
            rc = dltc__error_set(DLTC_EINVALID, "destination.duckdb.credentials: a path or a "
                                                "duckdb:/// URL is expected");
    }
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc) {
        if (!given)
            rc = dltc__buf_printf(&b, "%s.duckdb", t->pipeline_name);
        else if (strcmp(given, ":pipeline:") == 0)
            rc = dltc__buf_printf(&b, "%s/%s.duckdb", t->working_dir, t->pipeline_name);
        else
            rc = dltc__buf_puts(&b, strncmp(given, "duckdb:///", 10) == 0 ? given + 10 : given);
    }
    if (!rc) {
        out->location = dltc__dest_absolute_path(b.data);
        rc = out->location ? dltc__buf_printf(&out->display, "duckdb:///%s", out->location)
                           : dltc__error_oom();
    }
    dltc__buf_free(&b);
    dltc_config_free(cfg);
    return rc;
}

/* jsonl first: DuckDB reads it fastest (dlt's preferred is insert_values). */
static const char *const FORMATS[] = {"jsonl", "parquet", "csv", "insert_values", NULL};

const dltc_destination dltc__duckdb_destination = {
    .name = "duckdb",
    .formats = FORMATS,
    .caps = DLTC_DESTCAP_SQL | DLTC_DESTCAP_LOCAL_FILE,
    .resolve = resolve,
    .connect = dltc__duckdb_dest_open,
};
