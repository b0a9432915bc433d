/* Follow-up SQL (see merge.h), after dlt 1.26 dlt/destinations/sql_jobs.py: gen_merge_sql
 * (delete-insert), gen_upsert_sql, gen_scd2_sql, the staging replace jobs, and the
 * insert-only strategy. Differences from dlt, all deliberate:
 * - upsert, insert-only and scd2 keep one staged row per key (per row hash for scd2): dlt
 *   merges duplicates as they come, which on DuckDB inserts a new key twice;
 * - upsert does not insert a row that is flagged hard-deleted and whose key is new;
 * - incremental scd2 (merge_key) tests key presence with EXISTS instead of IN over CONCAT.
 * Every identifier is quoted; the staging tables are the connection's temporary tables. */
#include "load/merge.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/error.h"
#include "common/time.h"
#include "schema/hints.h"

#include <assert.h>
#include <stdarg.h>
#include <string.h>

/* Temporary tables of one chain's merge (dropped again before the next chain). */
#define DELETE_IDS "_dlt_merge_delete"
#define INSERT_IDS "_dlt_merge_insert"

int dltc__replace_strategy_parse(const char *name, int *out)
{
    if (!name || !*name || !strcmp(name, "truncate-and-insert"))
        *out = DLTC_REPLACE_TRUNCATE_AND_INSERT;
    else if (!strcmp(name, "insert-from-staging"))
        *out = DLTC_REPLACE_INSERT_FROM_STAGING;
    else if (!strcmp(name, "staging-optimized"))
        *out = DLTC_REPLACE_STAGING_OPTIMIZED;
    else
        return dltc__error_set(DLTC_EINVALID,
                               "unknown replace strategy '%s' (truncate-and-insert, "
                               "insert-from-staging, staging-optimized)", name);
    return 0;
}

int dltc__merge_staged(const dltc_schema *s, dltc_table *root, int replace_strategy)
{
    const char *wd = dltc__table_write_disposition(s, root);
    return !strcmp(wd, "merge") ||
           (!strcmp(wd, "replace") && replace_strategy != DLTC_REPLACE_TRUNCATE_AND_INSERT);
}

/* ---- SQL text ---- */

typedef struct {
    const dltc_merge_ctx *ctx;
    dltc_buf *b;
} gen;

/* Append SQL from a template: %F the final table "<dataset>"."<arg>", %S the staging table
 * <arg>, %I the identifier <arg>, %s <arg> as it is, %% a percent sign. */
static int emit(gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = 0;
    const char *p = fmt;
    while (!rc && *p) {
        const char *q = strchr(p, '%');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        rc = dltc__buf_put(g->b, p, n);
        if (!q || rc)
            break;
        assert(q[1]);
        const char *arg = q[1] == '%' ? NULL : va_arg(ap, const char *);
        switch (q[1]) {
        case 'F':
            rc = dltc__sql_qualified(g->b, g->ctx->dataset, arg);
            break;
        case 'S':
            rc = dltc__sql_staging_table(g->b, g->ctx->dialect, arg);
            break;
        case 'I':
            rc = dltc__sql_ident(g->b, arg);
            break;
        case 's':
            rc = dltc__buf_puts(g->b, arg);
            break;
        default:
            rc = dltc__buf_putc(g->b, '%');
        }
        p = q + 2;
    }
    va_end(ap);
    return rc;
}

/* Complete (typed) columns of t with hint bit `hint` (0: all), in table order. */
typedef struct {
    const char **v;
    size_t n;
} names;

static void names_free(names *n)
{
    dltc__free((void *)n->v);
    n->v = NULL;
    n->n = 0;
}

static int with_hint(const dltc_table *t, uint32_t hint, names *out)
{
    out->n = 0;
    out->v = dltc__calloc(t->ncols + 1, sizeof(*out->v));
    if (!out->v)
        return dltc__error_oom();
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].data_type != DLTC_DT_UNSET && (!hint || (t->cols[i].hints & hint)))
            out->v[out->n++] = t->cols[i].name;
    return 0;
}

static const dltc_column *first_with_hint(const dltc_table *t, uint32_t hint)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].data_type != DLTC_DT_UNSET && (t->cols[i].hints & hint))
            return &t->cols[i];
    return NULL;
}

/* dlt's get_row_key_col: row_key, else unique, else the single primary key column. */
static int row_key(const dltc_table *t, const char **out)
{
    const dltc_column *c = first_with_hint(t, DLTC_HINT_ROW_KEY);
    if (!c)
        c = first_with_hint(t, DLTC_HINT_UNIQUE);
    if (!c) {
        names pk;
        int rc = with_hint(t, DLTC_HINT_PRIMARY_KEY, &pk);
        if (rc)
            return rc;
        *out = pk.n == 1 ? pk.v[0] : NULL;
        names_free(&pk);
        if (*out)
            return 0;
        return dltc__error_set(DLTC_EINVALID,
                               "table %s: no row_key, unique or single primary key column (e.g. "
                               "_dlt_id) to merge on", t->name);
    }
    *out = c->name;
    return 0;
}

/* dlt's get_root_key_col: root_key, else parent_key for a direct child of the root. */
static int root_key(const dltc_table *root, const dltc_table *t, const char **out)
{
    const dltc_column *c = first_with_hint(t, DLTC_HINT_ROOT_KEY);
    if (!c && t->parent && !strcmp(t->parent, root->name))
        c = first_with_hint(t, DLTC_HINT_PARENT_KEY);
    if (!c)
        return dltc__error_set(DLTC_EINVALID,
                               "table %s: no root_key column (e.g. _dlt_root_id) to merge the "
                               "nested rows of %s", t->name, root->name);
    *out = c->name;
    return 0;
}

/* `<alias>."c"` (alias NULL: `"c"`) */
static int col_ref(gen *g, const char *alias, const char *col)
{
    return alias ? emit(g, "%s.%I", alias, col) : emit(g, "%I", col);
}

/* The complete columns of t as `a."c1", a."c2"` (alias NULL: unqualified), or with `set` as
 * `"c1" = s."c1", …`; columns named skip1/skip2 left out. */
static int column_list(gen *g, const dltc_table *t, const char *alias, int set,
                       const char *skip1, const char *skip2)
{
    int rc = 0, first = 1;
    for (size_t i = 0; i < t->ncols && !rc; i++) {
        const dltc_column *c = &t->cols[i];
        if (c->data_type == DLTC_DT_UNSET || (skip1 && !strcmp(c->name, skip1)) ||
            (skip2 && !strcmp(c->name, skip2)))
            continue;
        if (!first)
            rc = dltc__buf_puts(g->b, ", ");
        first = 0;
        if (!rc && set)
            rc = emit(g, "%I = ", c->name);
        if (!rc)
            rc = col_ref(g, alias, c->name);
    }
    return rc;
}

/* d."k1" = s."k1" AND … */
static int key_conj(gen *g, const names *keys)
{
    int rc = 0;
    for (size_t i = 0; i < keys->n && !rc; i++)
        rc = emit(g, i ? " AND d.%I = s.%I" : "d.%I = s.%I", keys->v[i], keys->v[i]);
    return rc;
}

/* (pk conjunction) OR (merge key conjunction): dlt's _gen_key_table_clauses */
static int key_clause(gen *g, const names *pk, const names *mk)
{
    int rc = 0;
    if (pk->n) {
        rc = dltc__buf_putc(g->b, '(');
        if (!rc)
            rc = key_conj(g, pk);
        if (!rc)
            rc = dltc__buf_putc(g->b, ')');
    }
    if (!rc && mk->n) {
        rc = dltc__buf_puts(g->b, pk->n ? " OR (" : "(");
        if (!rc)
            rc = key_conj(g, mk);
        if (!rc)
            rc = dltc__buf_putc(g->b, ')');
    }
    return rc;
}

/* The hard_delete condition (dlt's _get_hard_delete_col_and_cond): a bool column deletes
 * when TRUE, any other type when not NULL; `deleted` 0 gives the rows that stay. */
static int hard_delete_cond(gen *g, const dltc_column *hd, const char *alias, int deleted)
{
    int is_bool = hd->data_type == DLTC_DT_BOOL;
    int rc = dltc__buf_putc(g->b, '(');
    if (!rc)
        rc = col_ref(g, alias, hd->name);
    if (!rc)
        rc = dltc__buf_puts(g->b, deleted ? (is_bool ? " = TRUE" : " IS NOT NULL") : " IS NULL");
    if (!rc && !deleted && is_bool) {
        rc = dltc__buf_puts(g->b, " OR ");
        if (!rc)
            rc = col_ref(g, alias, hd->name);
        if (!rc)
            rc = dltc__buf_puts(g->b, " = FALSE");
    }
    return rc ? rc : dltc__buf_putc(g->b, ')');
}

static int skip_dedup(const dltc_table *t)
{
    dltc_arena a;
    dltc__arena_init(&a, 512);
    const dltc_value *v = NULL;
    int yes = dltc__extra_get(t->extra_json, "x-stage-data-deduplicated", &a, &v) == 0 && v &&
              v->type == DLTC_TYPE_BOOL && v->u.i;
    dltc__arena_free(&a);
    return yes;
}

/* The staged rows of t, one per `partition` value (dlt's gen_select_from_dedup_sql; the
 * dedup_sort column picks the survivor), aliased s and followed by "WHERE 1 = 1" so callers
 * add " AND …". `dedup` 0: every staged row. */
static int staged_rows(gen *g, const dltc_table *t, const names *partition, int dedup)
{
    if (!dedup || !partition->n)
        return emit(g, "FROM %S AS s WHERE 1 = 1", t->name);
    int rc = emit(g, "FROM (SELECT * FROM (SELECT ROW_NUMBER() OVER (PARTITION BY ");
    for (size_t i = 0; i < partition->n && !rc; i++)
        rc = emit(g, i ? ", %I" : "%I", partition->v[i]);
    if (!rc)
        rc = dltc__buf_puts(g->b, " ORDER BY ");
    const dltc_column *sort = NULL;
    for (size_t i = 0; i < t->ncols && !sort; i++)
        if (t->cols[i].data_type != DLTC_DT_UNSET && t->cols[i].dedup_sort)
            sort = &t->cols[i];
    if (!rc)
        rc = sort ? emit(g, "%I %s", sort->name, strcmp(sort->dedup_sort, "desc") ? "ASC" : "DESC")
                  : dltc__buf_puts(g->b, "(SELECT NULL)");
    if (!rc)
        rc = emit(g, ") AS \"_dlt_dedup_rn\", n.* FROM %S AS n) AS n WHERE n.\"_dlt_dedup_rn\" = 1) "
                     "AS s WHERE 1 = 1", t->name);
    return rc;
}

static int one_name(names *n, const char **store, const char *name)
{
    store[0] = name;
    n->v = store;
    n->n = 1;
    return 0;
}

/* INSERT INTO final (cols) SELECT s.cols <staged rows>  — the caller ends the statement */
static int insert_head(gen *g, const dltc_table *t)
{
    int rc = emit(g, "INSERT INTO %F (", t->name);
    if (!rc)
        rc = column_list(g, t, NULL, 0, NULL, NULL);
    if (!rc)
        rc = dltc__buf_puts(g->b, ") SELECT ");
    if (!rc)
        rc = column_list(g, t, "s", 0, NULL, NULL);
    return rc ? rc : dltc__buf_putc(g->b, ' ');
}

/* ---- replace from staging ---- */

static int gen_replace(gen *g, dltc_table *const *chain, size_t n)
{
    int rc = 0;
    names none = {NULL, 0};
    for (size_t i = 0; i < n && !rc; i++) {
        rc = emit(g, "DELETE FROM %F;\n", chain[i]->name);
        if (!rc)
            rc = insert_head(g, chain[i]);
        if (!rc)
            rc = staged_rows(g, chain[i], &none, 0);
        if (!rc)
            rc = dltc__buf_puts(g->b, ";\n");
    }
    return rc;
}

/* ---- delete-insert ---- */

static int gen_delete_insert(gen *g, dltc_table *const *chain, size_t n)
{
    const dltc_table *root = chain[0];
    names pk = {NULL, 0}, mk = {NULL, 0}, none = {NULL, 0};
    const dltc_column *hd = first_with_hint(root, DLTC_HINT_HARD_DELETE);
    int dedup = !skip_dedup(root);
    const char *rk = NULL, *rootk = NULL;
    int rc = with_hint(root, DLTC_HINT_PRIMARY_KEY, &pk);
    if (!rc)
        rc = with_hint(root, DLTC_HINT_MERGE_KEY, &mk);
    /* no keys: dlt's append fallback (insert only) */
    if (!rc && (pk.n || mk.n)) {
        if (n == 1) {
            rc = emit(g, "DELETE FROM %F AS d WHERE EXISTS (SELECT 1 FROM %S AS s WHERE ",
                      root->name, root->name);
            if (!rc)
                rc = key_clause(g, &pk, &mk);
            if (!rc)
                rc = dltc__buf_puts(g->b, ");\n");
        } else {
            /* the row keys of the root rows to replace, then their nested rows, then them */
            rc = row_key(root, &rk);
            if (!rc)
                rc = emit(g, "CREATE TEMPORARY TABLE %I AS SELECT d.%I FROM %F AS d WHERE EXISTS "
                             "(SELECT 1 FROM %S AS s WHERE ",
                          DELETE_IDS, rk, root->name, root->name);
            if (!rc)
                rc = key_clause(g, &pk, &mk);
            if (!rc)
                rc = dltc__buf_puts(g->b, ");\n");
            for (size_t i = 1; i < n && !rc; i++) {
                rc = root_key(root, chain[i], &rootk);
                if (!rc)
                    rc = emit(g, "DELETE FROM %F WHERE %I IN (SELECT * FROM %S);\n",
                              chain[i]->name, rootk, DELETE_IDS);
            }
            if (!rc)
                rc = emit(g, "DELETE FROM %F WHERE %I IN (SELECT * FROM %S);\nDROP TABLE %S;\n",
                          root->name, rk, DELETE_IDS, DELETE_IDS);
        }
    }
    /* with nested tables: the row keys of the root rows to insert (deduplicated, not
     * hard-deleted) select the nested rows too */
    int use_ids = n > 1 && (pk.n || hd);
    if (!rc && use_ids) {
        if (!rk)
            rc = row_key(root, &rk);
        if (!rc)
            rc = emit(g, "CREATE TEMPORARY TABLE %I AS SELECT s.%I ", INSERT_IDS, rk);
        if (!rc)
            rc = staged_rows(g, root, &pk, dedup);
        if (!rc && hd) {
            rc = dltc__buf_puts(g->b, " AND ");
            if (!rc)
                rc = hard_delete_cond(g, hd, "s", 0);
        }
        if (!rc)
            rc = dltc__buf_puts(g->b, ";\n");
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const dltc_table *t = chain[i];
        rc = insert_head(g, t);
        if (rc)
            break;
        if (use_ids) {
            const char *key = rk;
            if (i)
                rc = root_key(root, t, &key);
            if (!rc)
                rc = staged_rows(g, t, &none, 0);
            if (!rc)
                rc = emit(g, " AND s.%I IN (SELECT * FROM %S)", key, INSERT_IDS);
        } else {
            rc = staged_rows(g, t, i == 0 ? &pk : &none, dedup);
            if (!rc && i == 0 && hd) {
                rc = dltc__buf_puts(g->b, " AND ");
                if (!rc)
                    rc = hard_delete_cond(g, hd, "s", 0);
            }
        }
        if (!rc)
            rc = dltc__buf_puts(g->b, ";\n");
    }
    if (!rc && use_ids)
        rc = emit(g, "DROP TABLE %S;\n", INSERT_IDS);
    names_free(&pk);
    names_free(&mk);
    return rc;
}

/* ---- upsert and insert-only ---- */

static int need_pk(const dltc_table *root, names *pk)
{
    int rc = with_hint(root, DLTC_HINT_PRIMARY_KEY, pk);
    if (!rc && pk->n == 0)
        rc = dltc__error_set(DLTC_EINVALID, "table %s: merge strategy %s needs a primary key",
                             root->name, root->merge_strategy);
    return rc;
}

/* MERGE INTO final AS d USING (<staged rows>) AS s ON <on> [WHEN MATCHED AND deleted THEN
 * DELETE] WHEN MATCHED THEN UPDATE … WHEN NOT MATCHED [AND not deleted] THEN INSERT … */
static int merge_stmt(gen *g, const dltc_table *t, const names *on, const dltc_column *hd)
{
    int rc = emit(g, "MERGE INTO %F AS d USING (SELECT s.* ", t->name);
    if (!rc)
        rc = staged_rows(g, t, on, 1);
    if (!rc)
        rc = dltc__buf_puts(g->b, ") AS s ON ");
    if (!rc)
        rc = key_conj(g, on);
    if (!rc && hd) {
        rc = dltc__buf_puts(g->b, " WHEN MATCHED AND ");
        if (!rc)
            rc = hard_delete_cond(g, hd, "s", 1);
        if (!rc)
            rc = dltc__buf_puts(g->b, " THEN DELETE");
    }
    if (!rc)
        rc = dltc__buf_puts(g->b, " WHEN MATCHED THEN UPDATE SET ");
    if (!rc)
        rc = column_list(g, t, "s", 1, NULL, NULL);
    if (!rc)
        rc = dltc__buf_puts(g->b, " WHEN NOT MATCHED");
    if (!rc && hd) {
        rc = dltc__buf_puts(g->b, " AND ");
        if (!rc)
            rc = hard_delete_cond(g, hd, "s", 0);
    }
    if (!rc)
        rc = dltc__buf_puts(g->b, " THEN INSERT (");
    if (!rc)
        rc = column_list(g, t, NULL, 0, NULL, NULL);
    if (!rc)
        rc = dltc__buf_puts(g->b, ") VALUES (");
    if (!rc)
        rc = column_list(g, t, "s", 0, NULL, NULL);
    return rc ? rc : dltc__buf_puts(g->b, ");\n");
}

static int gen_upsert(gen *g, dltc_table *const *chain, size_t n)
{
    const dltc_table *root = chain[0];
    names pk = {NULL, 0}, on;
    const char *store[1], *rk = NULL, *nrk = NULL, *rootk = NULL;
    const dltc_column *hd = first_with_hint(root, DLTC_HINT_HARD_DELETE);
    int rc = need_pk(root, &pk);
    if (!rc)
        rc = merge_stmt(g, root, &pk, hd);
    if (!rc && n > 1)
        rc = row_key(root, &rk);
    for (size_t i = 1; i < n && !rc; i++) {
        const dltc_table *t = chain[i];
        rc = row_key(t, &nrk);
        if (!rc)
            rc = root_key(root, t, &rootk);
        /* elements no longer in the lists of the staged roots */
        if (!rc)
            rc = emit(g, "DELETE FROM %F WHERE %I IN (SELECT %I FROM %S) AND %I NOT IN (SELECT %I "
                         "FROM %S);\n",
                      t->name, rootk, rk, root->name, nrk, nrk, t->name);
        if (!rc)
            rc = one_name(&on, store, nrk);
        if (!rc)
            rc = merge_stmt(g, t, &on, NULL);
        if (!rc && hd) {
            rc = emit(g, "DELETE FROM %F WHERE %I IN (SELECT s.%I FROM %S AS s WHERE ", t->name,
                      rootk, rk, root->name);
            if (!rc)
                rc = hard_delete_cond(g, hd, "s", 1);
            if (!rc)
                rc = dltc__buf_puts(g->b, ");\n");
        }
    }
    names_free(&pk);
    return rc;
}

static int gen_insert_only(gen *g, dltc_table *const *chain, size_t n)
{
    const dltc_table *root = chain[0];
    names pk = {NULL, 0}, by;
    const char *store[1], *rk = NULL, *nrk = NULL, *rootk = NULL;
    const dltc_column *hd = first_with_hint(root, DLTC_HINT_HARD_DELETE);
    int rc = need_pk(root, &pk);
    /* staged root rows whose key is new (one per key, not hard-deleted) */
    if (!rc && n > 1) {
        rc = row_key(root, &rk);
        if (!rc)
            rc = emit(g, "CREATE TEMPORARY TABLE %I AS SELECT s.%I ", INSERT_IDS, rk);
    } else if (!rc) {
        rc = insert_head(g, root);
    }
    if (!rc)
        rc = staged_rows(g, root, &pk, 1);
    if (!rc && hd) {
        rc = dltc__buf_puts(g->b, " AND ");
        if (!rc)
            rc = hard_delete_cond(g, hd, "s", 0);
    }
    if (!rc)
        rc = emit(g, " AND NOT EXISTS (SELECT 1 FROM %F AS d WHERE ", root->name);
    if (!rc)
        rc = key_conj(g, &pk);
    if (!rc)
        rc = dltc__buf_puts(g->b, ");\n");
    /* with nested tables: those roots and their nested rows, each row once */
    for (size_t i = 0; i < n && n > 1 && !rc; i++) {
        const dltc_table *t = chain[i];
        const char *key = rk;
        rc = row_key(t, &nrk);
        if (!rc && i)
            rc = root_key(root, t, &key);
        if (!rc)
            rc = insert_head(g, t);
        if (!rc)
            rc = one_name(&by, store, nrk);
        if (!rc)
            rc = staged_rows(g, t, &by, 1);
        if (!rc)
            rc = emit(g, " AND s.%I IN (SELECT * FROM %S);\n", key, INSERT_IDS);
    }
    if (!rc && n > 1)
        rc = emit(g, "DROP TABLE %S;\n", INSERT_IDS);
    (void)rootk;
    names_free(&pk);
    return rc;
}

/* ---- scd2 ---- */

/* A timestamp kept as text among extra keys (x-boundary-timestamp, x-active-record-timestamp):
 * a datetime (naive = UTC) or a date (its midnight UTC). *found 0 when absent or null. */
static int extra_timestamp(const char *extra, const char *key, const char *table, int *found,
                           int64_t *us)
{
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    const dltc_value *v = NULL;
    int rc = dltc__extra_get(extra, key, &a, &v);
    *found = 0;
    if (!rc && v && v->type != DLTC_TYPE_NULL) {
        dltc_iso iso;
        if (v->type != DLTC_TYPE_STRING || dltc__iso_parse(v->u.s, v->len, &iso) ||
            (iso.kind != DLTC_ISO_DATETIME && iso.kind != DLTC_ISO_DATE)) {
            rc = dltc__error_set(DLTC_EINVALID, "table %s: %s is not a date or datetime", table,
                                 key);
        } else {
            *found = 1;
            *us = iso.kind == DLTC_ISO_DATE ? iso.value * 86400LL * 1000000LL : iso.value;
        }
    }
    dltc__arena_free(&a);
    return rc;
}

static const dltc_column *x_column(const dltc_table *t, const char *key)
{
    long i = dltc__table_x_column(t, key);
    return i >= 0 && t->cols[i].data_type != DLTC_DT_UNSET ? &t->cols[i] : NULL;
}

static int gen_scd2(gen *g, dltc_table *const *chain, size_t n)
{
    const dltc_table *root = chain[0];
    const dltc_column *from = x_column(root, "x-valid-from"), *to = x_column(root, "x-valid-to");
    const dltc_column *hash = x_column(root, "x-row-version");
    if (!from || !to || !hash)
        return dltc__error_set(DLTC_EINVALID,
                               "table %s: merge strategy scd2 needs its validity columns "
                               "(x-valid-from, x-valid-to) and row version column "
                               "(x-row-version)", root->name);
    int64_t boundary = g->ctx->boundary_us, active_us = 0;
    int has_boundary = 0, has_active = 0;
    int rc = extra_timestamp(root->extra_json, "x-boundary-timestamp", root->name, &has_boundary,
                             &boundary);
    if (!rc && !has_boundary)
        boundary = g->ctx->boundary_us;
    if (!rc)
        rc = extra_timestamp(to->extra_json, "x-active-record-timestamp", root->name, &has_active,
                             &active_us);
    dltc_buf is_active = DLTC_BUF_INIT, active = DLTC_BUF_INIT;
    if (!rc)
        rc = emit(&(gen){g->ctx, &is_active}, "d.%I", to->name);
    if (!rc && has_active)
        rc = dltc__sql_timestamp_literal(&active, g->ctx->dialect, to, active_us);
    else if (!rc)
        rc = dltc__buf_puts(&active, "NULL");
    if (!rc && has_active)
        rc = emit(&(gen){g->ctx, &is_active}, " = %s", active.data);
    else if (!rc)
        rc = dltc__buf_puts(&is_active, " IS NULL");

    /* 1. retire active rows whose version is not staged (with a merge key: only for keys
     *    that are staged — incremental scd2) */
    names mk = {NULL, 0}, by;
    const char *store[1], *nrk = NULL;
    if (!rc)
        rc = emit(g, "UPDATE %F AS d SET %I = ", root->name, to->name);
    if (!rc)
        rc = dltc__sql_timestamp_literal(g->b, g->ctx->dialect, to, boundary);
    if (!rc)
        rc = emit(g, " WHERE %s AND d.%I NOT IN (SELECT %I FROM %S)", is_active.data, hash->name,
                  hash->name, root->name);
    if (!rc)
        rc = with_hint(root, DLTC_HINT_MERGE_KEY, &mk);
    if (!rc && mk.n) {
        rc = emit(g, " AND EXISTS (SELECT 1 FROM %S AS s WHERE ", root->name);
        if (!rc)
            rc = key_conj(g, &mk);
        if (!rc)
            rc = dltc__buf_putc(g->b, ')');
    }
    if (!rc)
        rc = dltc__buf_puts(g->b, ";\n");
    /* 2. insert staged versions that are not active, valid from the boundary */
    if (!rc)
        rc = emit(g, "INSERT INTO %F (", root->name);
    if (!rc)
        rc = column_list(g, root, NULL, 0, from->name, to->name);
    if (!rc)
        rc = emit(g, ", %I, %I) SELECT ", from->name, to->name);
    if (!rc)
        rc = column_list(g, root, "s", 0, from->name, to->name);
    if (!rc)
        rc = dltc__buf_puts(g->b, ", ");
    if (!rc)
        rc = dltc__sql_timestamp_literal(g->b, g->ctx->dialect, from, boundary);
    if (!rc)
        rc = emit(g, ", %s ", active.data);
    if (!rc)
        rc = one_name(&by, store, hash->name);
    if (!rc)
        rc = staged_rows(g, root, &by, 1);
    if (!rc)
        rc = emit(g, " AND s.%I NOT IN (SELECT d.%I FROM %F AS d WHERE %s);\n", hash->name,
                  hash->name, root->name, is_active.data);
    /* 3. nested tables: insert-only by row key */
    for (size_t i = 1; i < n && !rc; i++) {
        const dltc_table *t = chain[i];
        rc = row_key(t, &nrk);
        if (!rc)
            rc = insert_head(g, t);
        if (!rc)
            rc = one_name(&by, store, nrk);
        if (!rc)
            rc = staged_rows(g, t, &by, 1);
        if (!rc)
            rc = emit(g, " AND s.%I NOT IN (SELECT %I FROM %F);\n", nrk, nrk, t->name);
    }
    names_free(&mk);
    dltc__buf_free(&is_active);
    dltc__buf_free(&active);
    return rc;
}

int dltc__merge_sql(dltc_buf *b, const dltc_merge_ctx *ctx, dltc_schema *s,
                    dltc_table *const *chain, size_t n)
{
    assert(n > 0 && !chain[0]->parent);
    gen g = {ctx, b};
    const char *wd = dltc__table_write_disposition(s, chain[0]);
    if (!strcmp(wd, "replace"))
        return gen_replace(&g, chain, n);
    const char *strategy = chain[0]->merge_strategy ? chain[0]->merge_strategy : "delete-insert";
    if (!strcmp(strategy, "upsert"))
        return gen_upsert(&g, chain, n);
    if (!strcmp(strategy, "insert-only"))
        return gen_insert_only(&g, chain, n);
    if (!strcmp(strategy, "scd2"))
        return gen_scd2(&g, chain, n);
    return gen_delete_insert(&g, chain, n);
}
