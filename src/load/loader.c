/* The loader (see loader.h) for SQL destinations (DuckDB, Postgres, MotherDuck) through the
 * dltc_dest interface; the SQL it writes takes the destination's dialect. Order inside the package's transaction: schema
 * migration, truncation (replace, truncate-and-insert), staging tables for the merge and
 * staging-replace chains, every job file (into its final table or its staging table), the
 * follow-up jobs (merge.c), _dlt_version, _dlt_loads, COMMIT. */
#include "load/loader.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/crash.h"
#include "common/error.h"
#include "common/strmap.h"
#include "common/time.h"
#include "dltc/schema.h"
#include "formats/json.h"
#include "load/destination.h"
#include "load/merge.h"
#include "load/sql.h"
#include "schema/schema_io.h"

#include <stdio.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>

void dltc__load_result_clear(dltc_load_result *r)
{
    dltc__free(r->load_id);
    for (size_t i = 0; i < r->ncounts; i++)
        dltc__free(r->counts[i].table);
    dltc__free(r->counts);
    memset(r, 0, sizeof(*r));
}

/* "<table>.<file_id>.<retry>.<format>" → table (malloc'd) */
static char *job_table(const char *file)
{
    const char *dot = strchr(file, '.');
    return dltc__strndup(file, dot ? (size_t)(dot - file) : strlen(file));
}

static const char *job_format(const char *file)
{
    const char *dot = strrchr(file, '.');
    return dot ? dot + 1 : "";
}

/* Rows of a table that a load put there (for a package found already loaded). */
static int loaded_rows(dltc_dest *db, const char *dataset, const char *table,
                       const char *load_id, uint64_t *n)
{
    dltc_buf q = DLTC_BUF_INIT;
    dltc_rows *rows = NULL;
    *n = 0;
    int rc = dltc__buf_puts(&q, "SELECT count(*) FROM ");
    if (!rc)
        rc = dltc__sql_qualified(&q, dataset, table);
    if (!rc)
        rc = dltc__buf_puts(&q, " WHERE _dlt_load_id = ");
    if (!rc)
        rc = dltc__sql_string(&q, load_id, strlen(load_id));
    if (!rc)
        rc = dltc__dest_query(db, q.data, &rows);
    if (!rc && dltc_rows_count(rows) == 1)
        *n = (uint64_t)dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    dltc_rows_free(rows);
    dltc__buf_free(&q);
    if (rc) /* replaced or dropped since: no count */
        dltc_error_clear();
    return 0;
}

static int add_count(dltc_load_result *r, const char *table, uint64_t rows)
{
    for (size_t i = 0; i < r->ncounts; i++)
        if (strcmp(r->counts[i].table, table) == 0) {
            r->counts[i].rows += rows;
            return 0;
        }
    dltc_table_count *c = dltc__realloc(r->counts, (r->ncounts + 1) * sizeof(*c));
    if (!c)
        return dltc__error_oom();
    r->counts = c;
    if (!(c[r->ncounts].table = dltc__strdup(table)))
        return dltc__error_oom();
    c[r->ncounts++].rows = rows;
    return 0;
}

static int exec_buf(dltc_dest *db, dltc_buf *b)
{
    int rc = b->len ? dltc__dest_exec(db, b->data) : 0;
    dltc__buf_clear(b);
    return rc;
}

/* CREATE the table or ADD the columns it lacks. */
static int migrate_table(dltc_dest *db, const char *dataset, const dltc_table *t)
{
    char **names = NULL;
    size_t n = 0;
    int exists = 0;
    int rc = dltc__dest_table_columns(db, dataset, t->name, &names, &n, &exists);
    if (rc)
        return rc;
    dltc_buf b = DLTC_BUF_INIT;
    if (!exists) {
        rc = dltc__sql_create_table(&b, dltc__dest_dialect(db), dataset, t);
    } else {
        for (size_t c = 0; c < t->ncols && !rc; c++) {
            if (t->cols[c].data_type == DLTC_DT_UNSET)
                continue;
            int found = 0;
            for (size_t k = 0; k < n && !found; k++)
                found = strcasecmp(names[k], t->cols[c].name) == 0;
            if (!found) {
                rc = dltc__sql_add_column(&b, dltc__dest_dialect(db), dataset, t, c);
                if (!rc)
                    rc = dltc__buf_puts(&b, ";\n");
            }
        }
    }
    if (!rc)
        rc = exec_buf(db, &b);
    dltc__buf_free(&b);
    dltc__strv_free(names, n);
    return rc;
}

/* Was this package committed already? */
static int already_loaded(dltc_dest *db, const char *dataset, const char *load_id, int *yes)
{
    int exists = 0;
    *yes = 0;
    int rc = dltc__dest_table_exists(db, dataset, "_dlt_loads", &exists);
    if (rc || !exists)
        return rc;
    dltc_buf q = DLTC_BUF_INIT;
    rc = dltc__buf_puts(&q, "SELECT count(*) FROM ");
    if (!rc)
        rc = dltc__sql_qualified(&q, dataset, "_dlt_loads");
    if (!rc)
        rc = dltc__buf_puts(&q, " WHERE load_id = ");
    if (!rc)
        rc = dltc__sql_string(&q, load_id, strlen(load_id));
    dltc_rows *rows = NULL;
    if (!rc)
        rc = dltc__dest_query(db, q.data, &rows);
    if (!rc && dltc_rows_count(rows) == 1)
        *yes = dltc_value_get_int(dltc_rows_get(rows, 0, 0)) > 0;
    dltc_rows_free(rows);
    dltc__buf_free(&q);
    return rc;
}

static int now_literal(dltc_buf *b)
{
    char iso[DLTC_ISO_MAX];
    size_t n = dltc__format_timestamp(iso, dltc__now_us());
    int rc = dltc__sql_string(b, iso, n);
    return rc ? rc : dltc__buf_puts(b, "::TIMESTAMPTZ");
}

int dltc__load_record_schema(dltc_dest *db, const char *dataset, dltc_schema *s)
{
    int exists = 0;
    int erc = dltc__dest_table_exists(db, dataset, "_dlt_version", &exists);
    if (erc || !exists)
        return erc;
    /* a row when the newest one of this schema has another hash (not merely when the hash
     * was never seen: after a drop the schema may go back to an earlier hash, and restore
     * takes the newest row) */
    const char *hash = dltc_schema_version_hash(s);
    dltc_buf q = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&q, "SELECT version_hash FROM ");
    if (!rc)
        rc = dltc__sql_qualified(&q, dataset, "_dlt_version");
    if (!rc)
        rc = dltc__buf_puts(&q, " WHERE schema_name = ");
    if (!rc)
        rc = dltc__sql_string(&q, s->name, strlen(s->name));
    if (!rc)
        rc = dltc__buf_puts(&q, " ORDER BY inserted_at DESC LIMIT 1");
    dltc_rows *rows = NULL;
    if (!rc)
        rc = dltc__dest_query(db, q.data, &rows);
    const dltc_value *newest = !rc && dltc_rows_count(rows) == 1 ? dltc_rows_get(rows, 0, 0) : NULL;
    size_t nl = 0;
    const char *nh = newest && dltc_value_type_of(newest) == DLTC_TYPE_STRING
                         ? dltc_value_get_str(newest, &nl)
                         : NULL;
    int present = nh && nl == strlen(hash) && memcmp(nh, hash, nl) == 0;
    dltc_rows_free(rows);
    dltc__buf_clear(&q);
    if (rc || present) {
        dltc__buf_free(&q);
        return rc;
    }
    char *doc = NULL;
    rc = dltc_schema_export(&doc, s, DLTC_SCHEMA_JSON, 0);
    if (!rc)
        rc = dltc__buf_puts(&q, "INSERT INTO ");
    if (!rc)
        rc = dltc__sql_qualified(&q, dataset, "_dlt_version");
    if (!rc)
        rc = dltc__buf_printf(&q, " (version, engine_version, inserted_at, schema_name, "
                                  "version_hash, schema) VALUES (%lld, %d, ",
                              (long long)dltc_schema_version(s), DLTC_SCHEMA_ENGINE_VERSION);
    if (!rc)
        rc = now_literal(&q);
    if (!rc)
        rc = dltc__buf_puts(&q, ", ");
    if (!rc)
        rc = dltc__sql_string(&q, s->name, strlen(s->name));
    if (!rc)
        rc = dltc__buf_puts(&q, ", ");
    if (!rc)
        rc = dltc__sql_string(&q, dltc_schema_version_hash(s), strlen(dltc_schema_version_hash(s)));
    if (!rc)
        rc = dltc__buf_puts(&q, ", ");
    if (!rc)
        rc = dltc__sql_string(&q, doc, strlen(doc));
    if (!rc)
        rc = dltc__buf_puts(&q, ")");
    if (!rc)
        rc = dltc__dest_exec(db, q.data);
    dltc_free(doc);
    dltc__buf_free(&q);
    return rc;
}

static int insert_load(dltc_dest *db, const char *dataset, dltc_schema *s, const char *load_id)
{
    dltc_buf q = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&q, "INSERT INTO ");
    if (!rc)
        rc = dltc__sql_qualified(&q, dataset, "_dlt_loads");
    if (!rc)
        rc = dltc__buf_puts(&q, " (load_id, schema_name, status, inserted_at, "
                                "schema_version_hash) VALUES (");
    if (!rc)
        rc = dltc__sql_string(&q, load_id, strlen(load_id));
    if (!rc)
        rc = dltc__buf_puts(&q, ", ");
    if (!rc)
        rc = dltc__sql_string(&q, s->name, strlen(s->name));
    if (!rc)
        rc = dltc__buf_puts(&q, ", 0, ");
    if (!rc)
        rc = now_literal(&q);
    if (!rc)
        rc = dltc__buf_puts(&q, ", ");
    if (!rc)
        rc = dltc__sql_string(&q, dltc_schema_version_hash(s), strlen(dltc_schema_version_hash(s)));
    if (!rc)
        rc = dltc__buf_puts(&q, ")");
    if (!rc)
        rc = dltc__dest_exec(db, q.data);
    dltc__buf_free(&q);
    return rc;
}

/* Tables replaced by this package with truncate-and-insert: every table of the schema whose
 * root has the replace disposition and a job here (the whole nested chain is truncated). */
static int truncate_replaced(dltc_dest *db, const char *dataset, dltc_schema *s, char **tables,
                             size_t ntables, int replace_strategy)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < s->ntables && !rc; i++) {
        dltc_table *t = s->tables[i];
        dltc_table *root = dltc__schema_root_table(s, t);
        if (strcmp(dltc__table_write_disposition(s, root), "replace") != 0 ||
            dltc__merge_staged(s, root, replace_strategy))
            continue;
        int has_job = 0;
        for (size_t k = 0; k < ntables && !has_job; k++) {
            dltc_table *jt = dltc__schema_table(s, tables[k], strlen(tables[k]));
            has_job = jt && dltc__schema_root_table(s, jt) == root;
        }
        if (!has_job)
            continue;
        int exists = 0;
        rc = dltc__dest_table_exists(db, dataset, t->name, &exists);
        if (rc || !exists)
            continue;
        rc = dltc__buf_puts(&b, "DELETE FROM ");
        if (!rc)
            rc = dltc__sql_qualified(&b, dataset, t->name);
        if (!rc)
            rc = dltc__buf_puts(&b, ";\n");
    }
    if (!rc)
        rc = exec_buf(db, &b);
    dltc__buf_free(&b);
    return rc;
}

/* ---- staged chains (merge, replace from staging) ---- */

/* A root table whose rows this package stages, with its nested tables (parents first) that
 * have rows here or exist in the destination: all of them take part in the follow-up job. */
typedef struct {
    dltc_table **tables;
    size_t n;
} chain;

static void chains_free(chain *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dltc__free(c[i].tables);
    dltc__free(c);
}

static int has_job(char **tables, size_t ntables, const char *name)
{
    for (size_t k = 0; k < ntables; k++)
        if (strcmp(tables[k], name) == 0)
            return 1;
    return 0;
}

static int table_exists(dltc_dest *db, const char *dataset, const char *table, int *exists)
{
    char **names = NULL;
    size_t n = 0;
    int rc = dltc__dest_table_columns(db, dataset, table, &names, &n, exists);
    dltc__strv_free(names, n);
    return rc;
}

static int staged_chains(dltc_dest *db, const char *dataset, dltc_schema *s, char **tables,
                         size_t ntables, int replace_strategy, chain **out, size_t *nout)
{
    chain *c = NULL;
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < s->ntables && !rc; i++) {
        dltc_table *root = s->tables[i];
        if (root->parent || !dltc__merge_staged(s, root, replace_strategy))
            continue;
        int any = 0;
        for (size_t k = 0; k < ntables && !any; k++) {
            dltc_table *jt = dltc__schema_table(s, tables[k], strlen(tables[k]));
            any = jt && dltc__schema_root_table(s, jt) == root;
        }
        if (!any)
            continue;
        chain *nc = dltc__realloc(c, (n + 1) * sizeof(*c));
        if (!nc) {
            rc = dltc__error_oom();
            break;
        }
        c = nc;
        chain *ch = &c[n++];
        ch->n = 0;
        ch->tables = dltc__calloc(s->ntables, sizeof(*ch->tables));
        if (!ch->tables) {
            rc = dltc__error_oom();
            break;
        }
        for (size_t k = i; k < s->ntables && !rc; k++) {
            dltc_table *t = s->tables[k];
            if (dltc__schema_root_table(s, t) != root)
                continue;
            int job = has_job(tables, ntables, t->name), exists = job;
            if (!job)
                rc = table_exists(db, dataset, t->name, &exists);
            /* a table without rows here still gets the schema's columns: the follow-up
             * SQL names them all */
            if (!rc && exists && !job)
                rc = migrate_table(db, dataset, t);
            if (!rc && exists)
                ch->tables[ch->n++] = t;
            else if (!rc && t == root)
                rc = dltc__error_set(DLTC_EINVALID, "table %s: nested rows but no root table",
                                     root->name);
        }
    }
    if (rc) {
        chains_free(c, n);
        return rc;
    }
    *out = c;
    *nout = n;
    return 0;
}

static int staged(const chain *c, size_t n, const dltc_table *t)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c[i].n; k++)
            if (c[i].tables[k] == t)
                return 1;
    return 0;
}

/* CREATE (create = 1) or DROP the chains' staging tables. */
static int staging_tables(dltc_dest *db, const chain *c, size_t n, int create)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        for (size_t k = 0; k < c[i].n && !rc; k++) {
            if (create) {
                rc = dltc__sql_create_staging_table(&b, dltc__dest_dialect(db), c[i].tables[k]);
            } else {
                rc = dltc__buf_puts(&b, "DROP TABLE ");
                if (!rc)
                    rc = dltc__sql_staging_table(&b, dltc__dest_dialect(db), c[i].tables[k]->name);
            }
            if (!rc)
                rc = dltc__buf_puts(&b, ";\n");
        }
    if (!rc)
        rc = exec_buf(db, &b);
    dltc__buf_free(&b);
    return rc;
}

/* The follow-up jobs: each chain's staged rows into its final tables. */
static int follow_up(dltc_dest *db, const dltc_merge_ctx *ctx, dltc_schema *s,
                     const chain *c, size_t n)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = dltc__merge_sql(&b, ctx, s, c[i].tables, c[i].n);
        if (!rc)
            rc = exec_buf(db, &b);
        if (rc)
            dltc__error_prefix("table %s: %s: ", c[i].tables[0]->name,
                               strcmp(dltc__table_write_disposition(s, c[i].tables[0]), "merge")
                                   ? "replace"
                                   : "merge");
    }
    dltc__buf_free(&b);
    return rc;
}

static int create_dataset(dltc_dest *db, const char *dataset)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&b, "CREATE SCHEMA IF NOT EXISTS ");
    if (!rc)
        rc = dltc__sql_ident(&b, dataset);
    if (!rc)
        rc = exec_buf(db, &b);
    dltc__buf_free(&b);
    return rc;
}

/* ---- loading while normalizing ---- */

struct dltc_load_early {
    dltc_dest *db;
    char *dataset;
    char *load_id;
    int in_tx;        /* BEGIN sent, neither COMMIT nor ROLLBACK yet */
    char **done;      /* names of the job files loaded */
    size_t ndone, capdone;
    dltc_load_result counts; /* rows per table */
    dltc_strmap widths;      /* table -> columns it was migrated to (skips the catalog) */
    dltc__progress *pg;      /* progress reports of the files loaded, or NULL */
};

/* A load file done: its rows and size into the meter (DuckDB and Postgres load a file in one
 * statement, so the load step reports per file). */
static void file_progress(dltc__progress *pg, const char *table, uint64_t rows,
                          const char *path)
{
    struct stat st;
    if (pg)
        dltc__progress_add(pg, DLTC_PROGRESS_LOAD, table, rows, 1,
                           stat(path, &st) == 0 ? (uint64_t)st.st_size : 0);
}

void dltc__load_early_set_progress(dltc_load_early *e, dltc__progress *pg)
{
    e->pg = pg;
}

static int early_done(const dltc_load_early *e, const char *job)
{
    for (size_t i = 0; e && i < e->ndone; i++)
        if (strcmp(e->done[i], job) == 0)
            return 1;
    return 0;
}

int dltc__load_early_begin(dltc_load_early **out, const char *load_id, const char *dest_type,
                           const char *location, const char *dataset)
{
    *out = NULL;
    dltc_load_early *e = dltc__calloc(1, sizeof(*e));
    if (!e)
        return dltc__error_oom();
    e->dataset = dltc__strdup(dataset);
    e->load_id = dltc__strdup(load_id);
    if (!e->dataset || !e->load_id) {
        dltc__load_early_free(e);
        return dltc__error_oom();
    }
    int rc = dltc__dest_open(&e->db, dest_type, location, DLTC_DEST_LOAD);
    if (!rc)
        rc = dltc__dest_exec(e->db, "BEGIN TRANSACTION");
    if (!rc)
        e->in_tx = 1;
    if (!rc)
        rc = create_dataset(e->db, dataset);
    if (rc) {
        dltc__load_early_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

int dltc__load_early_file(dltc_load_early *e, const dltc_table *t, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (e->ndone == e->capdone) {
        size_t cap = e->capdone ? e->capdone * 2 : 16;
        char **d = dltc__realloc(e->done, cap * sizeof(*d));
        if (!d)
            return dltc__error_oom();
        e->done = d;
        e->capdone = cap;
    }
    uint64_t n = 0;
    size_t width = 0;
    int rc = 0;
    if (!dltc__strmap_get(&e->widths, t->name, strlen(t->name), &width) || width != t->ncols) {
        rc = migrate_table(e->db, e->dataset, t);
        if (!rc)
            rc = dltc__strmap_put(&e->widths, t->name, strlen(t->name), t->ncols);
    }
    if (!rc)
        rc = dltc__dest_load_file(e->db, e->dataset, t, path, job_format(name), DLTC_LOAD_MORE,
                                  &n);
    if (!rc)
        rc = add_count(&e->counts, t->name, n);
    if (!rc)
        file_progress(e->pg, t->name, n, path);
    if (!rc && !(e->done[e->ndone] = dltc__strdup(name)))
        rc = dltc__error_oom();
    if (!rc)
        e->ndone++;
    dltc__crash_point("load:after-early-file");
    return rc;
}

const char *dltc__load_early_load_id(const dltc_load_early *e)
{
    return e->load_id;
}

size_t dltc__load_early_count(const dltc_load_early *e)
{
    return e ? e->ndone : 0;
}

void dltc__load_early_free(dltc_load_early *e)
{
    if (!e)
        return;
    if (e->in_tx) {
        int code = dltc_error_last()->code; /* the rollback must not hide the cause */
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", code ? dltc_error_last()->message : "");
        dltc__dest_exec(e->db, "ROLLBACK");
        if (code)
            dltc__error_set(code, "%s", msg);
        else
            dltc_error_clear();
    }
    dltc__dest_close(e->db);
    dltc__strv_free(e->done, e->ndone);
    dltc__load_result_clear(&e->counts);
    dltc__strmap_free(&e->widths);
    dltc__free(e->dataset);
    dltc__free(e->load_id);
    dltc__free(e);
}

static int load_in_transaction(dltc_dest *db, dltc_storage *st, const char *pkg,
                               const char *load_id, const char *dataset, dltc_schema *s,
                               char **jobs, size_t njobs, char **tables,
                               const dltc_merge_ctx *ctx, const dltc_load_early *early,
                               dltc__progress *pg, dltc_load_result *res)
{
    int rc = create_dataset(db, dataset);
    /* system tables first, then every table with a job (parents before children: schema
     * order already has them so) */
    static const char *const sys[] = {"_dlt_version", "_dlt_loads"};
    for (size_t i = 0; i < 2 && !rc; i++) {
        dltc_table *t = dltc__schema_table(s, sys[i], strlen(sys[i]));
        if (t)
            rc = migrate_table(db, dataset, t);
    }
    for (size_t i = 0; i < s->ntables && !rc; i++) {
        dltc_table *t = s->tables[i];
        int has_job = 0;
        for (size_t k = 0; k < njobs && !has_job; k++)
            has_job = strcmp(tables[k], t->name) == 0;
        if (has_job)
            rc = migrate_table(db, dataset, t);
    }
    dltc__crash_point("load:after-migrate");
    chain *chains = NULL;
    size_t nchains = 0;
    if (!rc)
        rc = truncate_replaced(db, dataset, s, tables, njobs, ctx->replace_strategy);
    if (!rc)
        rc = staged_chains(db, dataset, s, tables, njobs, ctx->replace_strategy, &chains,
                           &nchains);
    if (!rc)
        rc = staging_tables(db, chains, nchains, 1);
    dltc__crash_point("load:after-truncate");
    size_t loaded = 0; /* jobs loaded here (not early) */
    for (size_t k = 0; k < njobs && !rc; k++) {
        if (early_done(early, jobs[k]))
            continue;
        dltc_table *t = dltc__schema_table(s, tables[k], strlen(tables[k]));
        if (!t) {
            rc = dltc__error_set(DLTC_EINVALID, "package %s: job %s has no table in the schema",
                                 load_id, jobs[k]);
            break;
        }
        size_t plen = strlen(pkg) + strlen(jobs[k]) + 16;
        char *path = dltc__malloc(plen);
        if (!path) {
            rc = dltc__error_oom();
            break;
        }
        snprintf(path, plen, "%s/new_jobs/%s", pkg, jobs[k]);
        uint64_t n = 0;
        /* staged tables load into the connection's temporary table of that name */
        /* the next job of the same table may continue this one's bulk insert */
        unsigned more = 0;
        for (size_t x = k + 1; x < njobs && !more; x++)
            if (!early_done(early, jobs[x])) {
                more = strcmp(tables[x], tables[k]) == 0 ? DLTC_LOAD_MORE : 0;
                break;
            }
        rc = dltc__dest_load_file(db, staged(chains, nchains, t) ? NULL : dataset, t, path,
                                  job_format(jobs[k]), more, &n);
        if (!rc)
            rc = add_count(res, t->name, n);
        if (!rc)
            file_progress(pg, t->name, n, path);
        dltc__free(path);
        if (loaded++ == 0)
            dltc__crash_point("load:after-first-job");
    }
    dltc__crash_point("load:after-data");
    if (!rc)
        rc = follow_up(db, ctx, s, chains, nchains);
    if (!rc)
        rc = staging_tables(db, chains, nchains, 0);
    chains_free(chains, nchains);
    dltc__crash_point("load:after-merge");
    if (!rc)
        rc = dltc__load_record_schema(db, dataset, s);
    dltc__crash_point("load:after-version");
    if (!rc)
        rc = insert_load(db, dataset, s, load_id);
    dltc__crash_point("load:before-commit");
    (void)st;
    return rc;
}

/* A job the destination refuses for good (DLTC_EDATA, the transaction rolled back): as dlt
 * with raise_on_failed_jobs, the job goes to failed_jobs with its message and the package
 * is completed as aborted, so it does not block every later load. The job is the one the
 * message names (a bulk insert may report a file at a later call), else the first. */
static int abort_package(dltc_storage *st, const char *load_id, char **jobs, size_t njobs)
{
    char msg[1024];
    snprintf(msg, sizeof(msg), "%s", dltc_error_last()->message);
    size_t k = 0;
    for (size_t i = 0; i < njobs; i++)
        if (strstr(msg, jobs[i])) {
            k = i;
            break;
        }
    int rc = dltc__package_job_fail(st, load_id, jobs[k], DLTC_JOB_NEW, msg);
    if (!rc)
        rc = dltc__package_complete(st, load_id, "aborted");
    if (rc)
        return rc;
    return dltc__error_set(DLTC_EDATA,
                           "%s (a retry cannot help: job %s is failed and package %s is "
                           "aborted, none of it loaded)",
                           msg, jobs[k], load_id);
}

static int load_package(dltc_storage *st, const char *load_id, const char *dest_type,
                        const char *location, const char *dataset, int replace_strategy,
                        dltc_load_early *early, dltc__progress *pg, dltc_load_result *res)
{
    memset(res, 0, sizeof(*res));
    res->load_id = dltc__strdup(load_id);
    char *pkg = dltc__package_path(st, DLTC_STAGE_NORMALIZED, load_id);
    if (!pkg || !res->load_id) {
        dltc__free(pkg);
        dltc__load_early_free(early);
        return dltc__error_oom();
    }
    char *schema_path = NULL, *text = NULL;
    size_t len = 0;
    dltc_schema *s = NULL;
    dltc_dest *db = NULL;
    char **jobs = NULL, **tables = NULL;
    size_t njobs = 0;
    dltc_buf p = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&p, "%s/schema.json", pkg);
    if (!rc)
        rc = dltc__read_file(p.data, &text, &len);
    if (!rc)
        rc = dltc_schema_import(&s, text, len);
    if (rc)
        dltc__error_prefix("package %s: schema: ", load_id);
    /* jobs left in started_jobs by a run that died go back to new: the transaction that
     * loaded them (if any) was rolled back or is recorded in _dlt_loads */
    char **started = NULL;
    size_t nstarted = 0;
    if (!rc)
        rc = dltc__package_jobs(st, DLTC_STAGE_NORMALIZED, load_id, DLTC_JOB_STARTED, &started,
                                &nstarted);
    for (size_t i = 0; i < nstarted && !rc; i++)
        rc = dltc__package_job_move(st, load_id, started[i], DLTC_JOB_STARTED, DLTC_JOB_NEW);
    dltc__strv_free(started, nstarted);
    if (!rc)
        rc = dltc__package_jobs(st, DLTC_STAGE_NORMALIZED, load_id, DLTC_JOB_NEW, &jobs, &njobs);
    if (!rc && njobs) {
        tables = dltc__calloc(njobs, sizeof(char *));
        if (!tables)
            rc = dltc__error_oom();
        for (size_t i = 0; i < njobs && !rc; i++)
            if (!(tables[i] = job_table(jobs[i])))
                rc = dltc__error_oom();
    }
    dltc__crash_point("load:start");
    int done = 0;
    if (early) { /* the package's transaction is open and holds the files loaded early */
        db = early->db;
        dltc__crash_point("load:after-open");
        for (size_t i = 0; i < early->counts.ncounts && !rc; i++)
            rc = add_count(res, early->counts.counts[i].table, early->counts.counts[i].rows);
    } else {
        if (!rc)
            rc = dltc__dest_open(&db, dest_type, location, DLTC_DEST_LOAD);
        dltc__crash_point("load:after-open");
        if (!rc)
            rc = already_loaded(db, dataset, load_id, &done);
        if (!rc && !done)
            rc = dltc__dest_exec(db, "BEGIN TRANSACTION");
    }
    if (!rc && !done) {
        dltc_merge_ctx ctx = {dltc__dest_dialect(db), dataset, replace_strategy,
                              dltc__package_created_us(pkg, load_id)};
        rc = load_in_transaction(db, st, pkg, load_id, dataset, s, jobs, njobs, tables, &ctx,
                                 early, pg, res);
        if (early)
            early->in_tx = 0;
        if (rc) {
            int keep = rc;
            dltc__dest_exec(db, "ROLLBACK");
            rc = keep;
        } else {
            rc = dltc__dest_exec(db, "COMMIT");
        }
    } else if (early) {
        /* fails before the transaction's work: dltc__load_early_free rolls back */
    } else if (!rc) {
        res->already_loaded = 1;
        for (size_t k = 0; k < njobs && !rc; k++) {
            int seen = 0; /* one count per table, not per file */
            for (size_t j = 0; j < k && !seen; j++)
                seen = strcmp(tables[j], tables[k]) == 0;
            uint64_t n = 0;
            if (!seen)
                rc = loaded_rows(db, dataset, tables[k], load_id, &n);
            if (!rc && !seen)
                rc = add_count(res, tables[k], n);
        }
    }
    if (rc == DLTC_EDATA && njobs)
        rc = abort_package(st, load_id, jobs, njobs);
    dltc__crash_point("load:after-commit");
    for (size_t k = 0; k < njobs && !rc; k++) {
        rc = dltc__package_job_move(st, load_id, jobs[k], DLTC_JOB_NEW, DLTC_JOB_COMPLETED);
        if (k == 0)
            dltc__crash_point("load:after-first-job-moved");
    }
    dltc__crash_point("load:after-jobs-completed");
    if (!rc)
        rc = dltc__package_complete(st, load_id, "loaded");
    if (early)
        dltc__load_early_free(early);
    else
        dltc__dest_close(db);
    dltc__strv_free(jobs, njobs);
    dltc__strv_free(tables, njobs);
    dltc_schema_free(s);
    dltc__free(text);
    dltc__free(schema_path);
    dltc__buf_free(&p);
    dltc__free(pkg);
    return rc;
}

int dltc__load_package(dltc_storage *st, const char *load_id, const char *dest_type,
                       const char *location, const char *dataset, int replace_strategy,
                       dltc__progress *pg, dltc_load_result *res)
{
    return load_package(st, load_id, dest_type, location, dataset, replace_strategy, NULL, pg,
                        res);
}

int dltc__load_package_early(dltc_storage *st, const char *load_id, const char *dataset,
                             int replace_strategy, dltc_load_early *e, dltc__progress *pg,
                             dltc_load_result *res)
{
    return load_package(st, load_id, NULL, NULL, dataset, replace_strategy, e, pg, res);
}
