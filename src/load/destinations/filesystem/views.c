/* Reading a filesystem dataset back, as dlt's dataset access does it (reference §8): an
 * in-memory DuckDB with one view per table over the table's data files (jsonl, csv, parquet,
 * gzipped or not), in a schema named after the dataset. `dlt pipeline NAME query`, info and
 * sync-free reads of a filesystem pipeline go through it. */
#include "load/destinations/filesystem/filesystem.h"
#include "load/destination.h"
#include "load/sql.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "package/fsutil.h"
#include "package/package.h"

#include <string.h>

typedef struct {
    char *table;
    dltc_buf json, csv, parquet; /* SQL lists of quoted file paths */
} view;

/* The table a data file belongs to: its first path component, or for a flat layout the
 * part before the first '.'. */
static int table_of(const char *rel, const char **t, size_t *n)
{
    size_t slash = strcspn(rel, "/");
    *t = rel;
    *n = rel[slash] ? slash : strcspn(rel, ".");
    return *n > 0 && rel[0] != '.';
}

static int add_file(view **v, size_t *nv, const char *rel, const char *path)
{
    const char *t;
    size_t tl;
    if (!table_of(rel, &t, &tl))
        return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    dltc_buf *list = NULL;
    size_t i = 0;
    for (; i < *nv; i++)
        if (strlen((*v)[i].table) == tl && strncmp((*v)[i].table, t, tl) == 0)
            break;
    if (i == *nv) {
        view *nvv = dltc__realloc(*v, (*nv + 1) * sizeof(**v));
        if (!nvv)
            return dltc__error_oom();
        *v = nvv;
        memset(&nvv[i], 0, sizeof(nvv[i]));
        if (!(nvv[i].table = dltc__strndup(t, tl)))
            return dltc__error_oom();
        (*nv)++;
    }
    if (strstr(base, ".jsonl"))
        list = &(*v)[i].json;
    else if (strstr(base, ".csv"))
        list = &(*v)[i].csv;
    else if (strstr(base, ".parquet"))
        list = &(*v)[i].parquet;
    if (!list) /* insert_values files are SQL for another database: not readable here */
        return 0;
    int rc = dltc__buf_puts(list, list->len ? ", " : "[");
    return rc ? rc : dltc__sql_string(list, path, strlen(path));
}

/* Every regular file under dir (relative names from `rel`); names starting with '.' (the
 * temp folder) are skipped by the listing. */
static int walk(view **v, size_t *nv, const char *dir, const char *rel, int depth)
{
    if (depth > 16)
        return 0;
    int rc = 0;
    for (int kind = 0; kind < 2 && !rc; kind++) {
        char **names = NULL;
        size_t n = 0;
        rc = dltc__list_dir(dir, kind ? DLTC_LIST_FILES : DLTC_LIST_DIRS, &names, &n);
        for (size_t i = 0; i < n && !rc; i++) {
            if (!*rel && strcmp(names[i], "init") == 0)
                continue;
            dltc_buf p = DLTC_BUF_INIT, r = DLTC_BUF_INIT;
            rc = dltc__buf_printf(&p, "%s/%s", dir, names[i]);
            if (!rc)
                rc = dltc__buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "", names[i]);
            if (!rc)
                rc = kind ? add_file(v, nv, r.data, p.data) : walk(v, nv, p.data, r.data, depth + 1);
            dltc__buf_free(&p);
            dltc__buf_free(&r);
        }
        dltc__strv_free(names, n);
    }
    return rc;
}

static int put_reads(dltc_buf *b, const view *v)
{
    int rc = 0, parts = 0;
    if (v->json.len) {
        rc = dltc__buf_printf(b, "SELECT * FROM read_json(%s], format = 'newline_delimited', "
                                 "union_by_name = true)",
                              v->json.data);
        parts++;
    }
    if (!rc && v->csv.len) {
        rc = dltc__buf_printf(b, "%sSELECT * FROM read_csv(%s], header = true, "
                                 "union_by_name = true)",
                              parts ? " UNION ALL BY NAME " : "", v->csv.data);
        parts++;
    }
    if (!rc && v->parquet.len)
        rc = dltc__buf_printf(b, "%sSELECT * FROM read_parquet(%s], union_by_name = true)",
                              parts ? " UNION ALL BY NAME " : "", v->parquet.data);
    return rc;
}

int dltc__fs_views_open(dltc_dest **out, const dltc_fs_options *o)
{
    *out = NULL;
    char *root = NULL;
    int rc = dltc__fs_dataset_path(&root, o);
    if (rc)
        return rc;
    view *v = NULL;
    size_t nv = 0;
    rc = dltc__path_exists(root);
    rc = rc == 1 ? walk(&v, &nv, root, "", 0) : rc;
    dltc_dest *db = NULL;
    if (!rc)
        rc = dltc__duckdb_dest_open(&db, NULL, DLTC_DEST_READ);
    dltc_buf sql = DLTC_BUF_INIT;
    if (!rc) {
        rc = dltc__buf_puts(&sql, "CREATE SCHEMA ");
        if (!rc)
            rc = dltc__sql_ident(&sql, o->dataset);
        if (!rc)
            rc = dltc__buf_puts(&sql, ";\n");
    }
    for (size_t i = 0; i < nv && !rc; i++) {
        if (!v[i].json.len && !v[i].csv.len && !v[i].parquet.len)
            continue;
        rc = dltc__buf_puts(&sql, "CREATE VIEW ");
        if (!rc)
            rc = dltc__sql_qualified(&sql, o->dataset, v[i].table);
        if (!rc)
            rc = dltc__buf_puts(&sql, " AS ");
        if (!rc)
            rc = put_reads(&sql, &v[i]);
        if (!rc)
            rc = dltc__buf_puts(&sql, ";\n");
    }
    if (!rc && sql.len)
        rc = dltc__dest_exec(db, sql.data);
    if (rc)
        dltc__error_prefix("reading the filesystem dataset %s: ", root);
    for (size_t i = 0; i < nv; i++) {
        dltc__free(v[i].table);
        dltc__buf_free(&v[i].json);
        dltc__buf_free(&v[i].csv);
        dltc__buf_free(&v[i].parquet);
    }
    dltc__free(v);
    dltc__buf_free(&sql);
    dltc__free(root);
    if (rc) {
        dltc__dest_close(db);
        return rc;
    }
    *out = db;
    return 0;
}
