/* The pipeline's use of its destination: which entry of the registry
 * (load/destinations/registry.h), its location and settings resolved once at open, the
 * display (never with a password), and opening it. What differs between destinations is in
 * their entries, not here. */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/error.h"

#include <string.h>
#include <unistd.h>

void dltc__pipeline_dest_target(const dltc_pipeline *p, dltc_dest_target *t)
{
    memset(t, 0, sizeof(*t));
    t->pipeline_name = p->name;
    t->working_dir = p->working_dir;
    t->dataset = p->dataset;
    t->schema_name = p->schema_name;
    t->location = p->location;
    t->settings = p->dest_settings;
}

static int check_table(const char *name, void *payload)
{
    dltc_pipeline *p = payload;
    dltc_dest_target t;
    dltc__pipeline_dest_target(p, &t);
    return p->dest->check_table(&t, name);
}

void dltc__pipeline_schema_checks(dltc_pipeline *p, dltc_schema *s)
{
    if (p->dest->check_table) {
        s->check_table = check_table;
        s->check_table_payload = p;
    }
}

int dltc__pipeline_resolve_destination(dltc_pipeline *p, const char *credentials)
{
    dltc_dest_target t;
    dltc__pipeline_dest_target(p, &t);
    t.location = NULL;
    t.settings = NULL;
    dltc_dest_resolved r = {NULL, DLTC_BUF_INIT, NULL};
    int rc = p->dest->resolve(&r, &t, credentials);
    p->location = r.location;
    p->display = r.display;
    p->dest_settings = r.settings;
    if (rc)
        dltc__error_prefix("pipeline %s: destination %s: ", p->name, p->destination);
    if (rc == DLTC_ENOTFOUND) {
        /* credentials not configured: as in dlt, only what needs the destination fails
         * (trace, info, drop-pending-packages work without them) */
        if (!(p->dest_error = dltc__strdup(dltc_error_last()->message)))
            return dltc__error_oom();
        p->dest_error_code = rc;
        dltc_error_clear();
        dltc__free(p->location);
        p->location = NULL;
        return 0;
    }
    return rc;
}

void dltc__pipeline_destination_free(dltc_pipeline *p)
{
    if (p->dest && p->dest->free_settings)
        p->dest->free_settings(p->dest_settings);
    p->dest_settings = NULL;
    dltc__free(p->location);
    p->location = NULL;
    dltc__buf_free(&p->display);
    dltc__free(p->dest_error);
    p->dest_error = NULL;
}

int dltc__pipeline_destination_ready(dltc_pipeline *p)
{
    return p->dest_error ? dltc__error_set(p->dest_error_code, "%s", p->dest_error) : 0;
}

int dltc__pipeline_dest_exists(dltc_pipeline *p)
{
    return !(p->dest->caps & DLTC_DESTCAP_LOCAL_FILE) || access(p->location, F_OK) == 0;
}

int dltc__pipeline_dest_connect(dltc_pipeline *p, dltc_dest_purpose purpose, dltc_dest **out)
{
    *out = NULL;
    int rc = dltc__pipeline_destination_ready(p);
    if (rc)
        return rc;
    dltc_dest_target t;
    dltc__pipeline_dest_target(p, &t);
    return dltc__destination_open(p->dest, &t, purpose, out);
}

int dltc__pipeline_dest_open(dltc_pipeline *p, dltc_dest_purpose purpose, dltc_dest **out)
{
    *out = NULL;
    int rc = dltc__pipeline_destination_ready(p);
    if (rc)
        return rc;
    /* never create a database file just to look into it */
    if (purpose == DLTC_DEST_READ && !dltc__pipeline_dest_exists(p))
        return 0;
    return dltc__pipeline_dest_connect(p, purpose, out);
}
