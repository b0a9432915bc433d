/* State that survives a new machine (dlt's sync_destination): the newest pipeline state
 * committed with a completed load, and the newest schema versions, are read back from the
 * destination. Runs at the start of every run (after pending packages are loaded, before
 * extract), and on demand as `dlt pipeline NAME sync`. */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/compress.h"
#include "common/error.h"
#include "common/hash.h"
#include "dltc/schema.h"
#include "load/sql.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The newest state row of this pipeline that belongs to a completed load: its blob, or
 * *blob = NULL. */
static int remote_state(dltc_pipeline *p, dltc_dest *db, char **blob)
{
    *blob = NULL;
    int has_state = 0, has_loads = 0;
    int rc = dltc__dest_table_exists(db, p->dataset, "_dlt_pipeline_state", &has_state);
    if (!rc)
        rc = dltc__dest_table_exists(db, p->dataset, "_dlt_loads", &has_loads);
    if (rc || !has_state || !has_loads)
        return rc;
    dltc_buf q = DLTC_BUF_INIT;
    rc = dltc__buf_puts(&q, "SELECT s.state FROM ");
    if (!rc)
        rc = dltc__sql_qualified(&q, p->dataset, "_dlt_pipeline_state");
    if (!rc)
        rc = dltc__buf_puts(&q, " AS s JOIN ");
    if (!rc)
        rc = dltc__sql_qualified(&q, p->dataset, "_dlt_loads");
    if (!rc)
        rc = dltc__buf_puts(&q, " AS l ON l.load_id = s._dlt_load_id WHERE s.pipeline_name = ");
    if (!rc)
        rc = dltc__sql_string(&q, p->name, strlen(p->name));
    if (!rc)
        rc = dltc__buf_puts(&q, " AND l.status = 0 ORDER BY l.load_id DESC LIMIT 1");
    dltc_rows *rows = NULL;
    if (!rc)
        rc = dltc__dest_query(db, q.data, &rows);
    if (!rc && dltc_rows_count(rows) == 1) {
        size_t len = 0;
        const char *s = dltc_value_get_str(dltc_rows_get(rows, 0, 0), &len);
        if (s && !(*blob = dltc__strndup(s, len)))
            rc = dltc__error_oom();
    }
    dltc_rows_free(rows);
    dltc__buf_free(&q);
    return rc;
}

/* The newest stored schema `name` from _dlt_version (plain JSON, or dlt's base64 of zlib
 * when it was too long for the destination), imported; NULL when there is none. */
static int remote_schema(dltc_pipeline *p, dltc_dest *db, const char *name, dltc_schema **out)
{
    *out = NULL;
    int has = 0;
    int rc = dltc__dest_table_exists(db, p->dataset, "_dlt_version", &has);
    if (rc || !has)
        return rc;
    dltc_buf q = DLTC_BUF_INIT;
    rc = dltc__buf_puts(&q, "SELECT schema FROM ");
    if (!rc)
        rc = dltc__sql_qualified(&q, p->dataset, "_dlt_version");
    if (!rc)
        rc = dltc__buf_puts(&q, " WHERE schema_name = ");
    if (!rc)
        rc = dltc__sql_string(&q, name, strlen(name));
    if (!rc)
        rc = dltc__buf_puts(&q, " ORDER BY inserted_at DESC LIMIT 1");
    dltc_rows *rows = NULL;
    if (!rc)
        rc = dltc__dest_query(db, q.data, &rows);
    size_t len = 0;
    const char *text = !rc && dltc_rows_count(rows) == 1
                           ? dltc_value_get_str(dltc_rows_get(rows, 0, 0), &len)
                           : NULL;
    if (text && len && text[0] != '{') {
        uint8_t *raw = dltc__malloc(len + 4);
        long n = raw ? dltc__base64_decode(text, len, raw) : -1;
        dltc_buf json = DLTC_BUF_INIT;
        rc = raw ? (n < 0 ? dltc__error_set(DLTC_EPARSE, "not JSON nor base64")
                          : dltc__zlib_decompress(&json, raw, (size_t)n, 0))
                 : dltc__error_oom();
        if (!rc)
            rc = dltc_schema_import(out, json.data, json.len);
        dltc__buf_free(&json);
        dltc__free(raw);
    } else if (text) {
        rc = dltc_schema_import(out, text, len);
    }
    if (rc)
        dltc__error_prefix("schema %s in %s._dlt_version: ", name, p->dataset);
    dltc_rows_free(rows);
    dltc__buf_free(&q);
    return rc;
}

static int local_schema_exists(dltc_pipeline *p, const char *name)
{
    dltc_buf b = DLTC_BUF_INIT;
    int yes = dltc__buf_printf(&b, "%s/schemas/%s.schema.json", p->working_dir, name) == 0 &&
              access(b.data, F_OK) == 0;
    dltc__buf_free(&b);
    return yes;
}

/* Replace the synced part of the local state by `remote`, keeping _local and the dataset;
 * the state counts as extracted (it came from the destination). */
static int adopt(dltc_state *local, dltc_state *remote)
{
    dltc_state keep = *local;
    dltc_state *r = remote;
    dltc_state merged = *r;
    merged.dataset_name = keep.dataset_name;
    merged.destination_type = keep.destination_type;
    merged.destination_name = keep.destination_name;
    merged.first_run = keep.first_run;
    merged.initial_cwd = keep.initial_cwd;
    merged.last_extracted_at_us = keep.last_extracted_at_us;
    merged.last_extracted_hash = dltc__strdup(r->version_hash);
    if (!merged.last_extracted_hash)
        return dltc__error_oom();
    /* free what neither side keeps */
    dltc__free(keep.pipeline_name);
    dltc__free(keep.default_schema_name);
    for (size_t i = 0; i < keep.nschema_names; i++)
        dltc__free(keep.schema_names[i]);
    dltc__free(keep.schema_names);
    dltc__free(keep.sources_json);
    dltc__free(keep.last_extracted_hash);
    dltc__free(r->dataset_name);
    dltc__free(r->destination_type);
    dltc__free(r->destination_name);
    dltc__free(r->initial_cwd);
    dltc__free(r->last_extracted_hash);
    *local = merged;
    dltc__state_init(remote);
    return 0;
}

int dltc__pipeline_sync(dltc_pipeline *p, int force, int *restored)
{
    if (restored)
        *restored = 0;
    int rrc = dltc__pipeline_destination_ready(p);
    if (rrc)
        return rrc;
    /* never create a DuckDB file just to look */
    if (!dltc__pipeline_dest_exists(p))
        return force ? dltc__error_set(DLTC_ENOTFOUND, "%s: no such database", p->display.data)
                     : 0;
    dltc_dest *db = NULL;
    /* destinations without SQL (the filesystem) read their state and schema files
     * themselves */
    int files = p->dest->remote_state != NULL;
    dltc_dest_target t;
    dltc__pipeline_dest_target(p, &t);
    /* a load connection: a DuckDB file another process loads into is waited for */
    int rc = files ? 0 : dltc__pipeline_dest_connect(p, DLTC_DEST_LOAD, &db);
    if (rc)
        return rc;
    char *blob = NULL;
    dltc_state remote;
    dltc__state_init(&remote);
    if (!rc) {
        rc = files ? p->dest->remote_state(&blob, &t) : remote_state(p, db, &blob);
        if (!rc && blob)
            rc = dltc__state_from_blob(&remote, blob, strlen(blob));
        if (rc)
            dltc__error_prefix("restoring the pipeline state from %s: ", p->display.data);
    }
    int take = 0;
    if (!rc && blob) {
        /* dlt: the remote state wins when it is not older and differs */
        take = force || (remote.version >= p->state.version &&
                         strcmp(remote.version_hash, p->state.version_hash) != 0);
    } else if (!rc && force) {
        rc = dltc__error_set(DLTC_ENOTFOUND,
                             "no state of pipeline '%s' in dataset %s of %s (nothing was loaded "
                             "there yet)",
                             p->name, p->dataset, p->display.data);
    }
    if (!rc && take)
        rc = adopt(&p->state, &remote);
    if (!rc && take)
        rc = dltc__state_save(&p->state, p->state_path);
    /* schemas: all of them when the state came from the destination, else the missing ones */
    for (size_t i = 0; !rc && i <= p->state.nschema_names; i++) {
        const char *name = i < p->state.nschema_names ? p->state.schema_names[i] : p->schema_name;
        if (i == p->state.nschema_names) {
            int listed = 0;
            for (size_t k = 0; k < p->state.nschema_names; k++)
                listed |= !strcmp(p->state.schema_names[k], name);
            if (listed)
                break;
        }
        if (!take && local_schema_exists(p, name))
            continue;
        dltc_schema *s = NULL;
        rc = files ? p->dest->remote_schema(&s, &t, name) : remote_schema(p, db, name, &s);
        if (!rc && s)
            rc = dltc__pipeline_save_schema(p, s);
        if (!rc && s)
            take = take ? take : 2;
        dltc_schema_free(s);
    }
    if (!rc && restored)
        *restored = take;
    dltc__state_clear(&remote);
    dltc__free(blob);
    dltc__dest_close(db);
    return rc;
}

int dltc_pipeline_sync(dltc_pipeline *p, int *restored)
{
    int rc = dltc__pipeline_lock(p);
    if (rc)
        return rc;
    size_t pending = 0;
    static const dltc_stage stages[] = {DLTC_STAGE_EXTRACTED, DLTC_STAGE_NORMALIZED};
    for (size_t s = 0; s < 2 && !rc; s++) {
        char **ids = NULL;
        size_t n = 0;
        rc = dltc__storage_list(p->storage, stages[s], &ids, &n);
        pending += n;
        dltc__strv_free(ids, n);
    }
    if (!rc && pending)
        rc = dltc__error_set(DLTC_EINVALID,
                             "pipeline '%s' has %zu pending package(s): load them (dlt load / "
                             "run) or drop them (drop-pending-packages) before a sync",
                             p->name, pending);
    if (!rc)
        rc = dltc__pipeline_sync(p, 1, restored);
    dltc__pipeline_unlock(p);
    return rc;
}
