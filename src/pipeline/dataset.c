/* The read-only dataset of a pipeline (include/dltc/dataset.h): a DLTC_DEST_READ_ONLY
 * connection to the destination (a filesystem dataset: the views of
 * load/destinations/filesystem/views.c, locked down), the dataset as the default schema,
 * and every query checked by load/sql_readonly.c before it is sent. Two locks, either enough alone: the check refuses
 * what is not a read, the connection cannot write. */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "load/destination.h"
#include "load/destinations/postgres.h"
#include "load/sql.h"
#include "load/sql_readonly.h"
#include "package/fsutil.h"

#include <string.h>
#include <unistd.h>

struct dltc_dataset {
    dltc_pipeline *p; /* lent */
    dltc_dest *db;
    dltc_sql_dialect dialect;
};

static const char *shown(const dltc_pipeline *p)
{
    return p->display.data && *p->display.data ? p->display.data : p->destination;
}

static int open_connection(dltc_pipeline *p, dltc_dest **db)
{
    int rc = dltc__pipeline_destination_ready(p);
    if (rc)
        return rc;
    /* never create a database file just to look into it */
    if (!dltc__pipeline_dest_exists(p))
        return dltc__error_set(DLTC_ENOTFOUND, "pipeline %s: the database %s does not exist "
                                               "yet", p->name, p->location);
    return dltc__pipeline_dest_connect(p, DLTC_DEST_READ_ONLY, db);
}

static int put_literal(dltc_dataset *ds, dltc_buf *b, const char *s)
{
    return ds->dialect == DLTC_SQL_POSTGRES ? dltc__postgres_put_literal(ds->db, b, s, strlen(s))
                                            : dltc__sql_string(b, s, strlen(s));
}

/* DLTC_ENOTFOUND unless the dataset's schema exists; then it becomes the default schema. */
static int use_dataset(dltc_dataset *ds)
{
    dltc_pipeline *p = ds->p;
    dltc_buf sql = DLTC_BUF_INIT;
    dltc_rows *rows = NULL;
    int rc = dltc__buf_puts(&sql, "SELECT 1 FROM information_schema.schemata WHERE "
                                  "schema_name = ");
    if (!rc)
        rc = put_literal(ds, &sql, p->dataset);
    if (!rc)
        rc = dltc__dest_query_limited(ds->db, sql.data, 1, &rows, NULL);
    if (!rc && dltc_rows_count(rows) == 0)
        rc = dltc__error_set(DLTC_ENOTFOUND, "pipeline %s: dataset %s does not exist yet at %s",
                             p->name, p->dataset, shown(p));
    dltc_rows_free(rows);
    dltc__buf_clear(&sql);
    if (!rc)
        rc = dltc__buf_puts(&sql, "SET search_path = ");
    if (!rc)
        rc = put_literal(ds, &sql, p->dataset);
    if (!rc)
        rc = dltc__dest_exec(ds->db, sql.data);
    dltc__buf_free(&sql);
    return rc;
}

int dltc_dataset_open(dltc_dataset **out, struct dltc_pipeline *p)
{
    *out = NULL;
    dltc_dataset *ds = dltc__calloc(1, sizeof(*ds));
    if (!ds)
        return dltc__error_oom();
    ds->p = p;
    int rc = open_connection(p, &ds->db);
    if (!rc) {
        ds->dialect = dltc__dest_dialect(ds->db);
        rc = use_dataset(ds);
    }
    if (rc) {
        if (rc != DLTC_ENOTFOUND)
            dltc__error_prefix("pipeline %s: dataset %s: ", p->name, p->dataset);
        dltc_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return 0;
}

int dltc_dataset_query(dltc_dataset *ds, const char *sql, size_t max_rows, dltc_rows **out,
                       int *truncated)
{
    *out = NULL;
    if (truncated)
        *truncated = 0;
    if (!sql)
        return dltc__error_set(DLTC_EINVALID, "read-only SQL: no statement");
    int rc = dltc__sql_readonly_check(sql, ds->dialect);
    if (rc)
        return rc;
    rc = dltc__dest_query_limited(ds->db, sql, max_rows ? max_rows : DLTC_DATASET_DEFAULT_ROWS,
                                  out, truncated);
    /* Postgres names its server in its messages already */
    if (rc && ds->dialect != DLTC_SQL_POSTGRES)
        dltc__error_prefix("%s dataset %s: ", ds->p->destination, ds->p->dataset);
    return rc;
}

const char *dltc_dataset_destination(const dltc_dataset *ds)
{
    return ds->p->destination;
}

const char *dltc_dataset_name(const dltc_dataset *ds)
{
    return ds->p->dataset;
}

void dltc_dataset_free(dltc_dataset *ds)
{
    if (!ds)
        return;
    dltc__dest_close(ds->db);
    dltc__free(ds);
}

int dltc_dataset_quote_ident(const dltc_dataset *ds, const char *name, char **out)
{
    (void)ds; /* "…" with quotes doubled in both dialects */
    *out = NULL;
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__sql_ident(&b, name);
    if (!rc && !(*out = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    return rc;
}
