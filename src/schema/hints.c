/* Resource hints applied to a root table: write disposition, merge strategy, primary and
 * merge keys (hint-only columns, nullable false, first in the table as dlt adds them at
 * extract), max_table_nesting. Shared by extract and the standalone normalizer. */
#include "schema/schema.h"
#include "common/alloc.h"
#include "common/error.h"
#include "formats/json.h"
#include "schema/schema_io.h"

#include <string.h>

static int key_columns(dltc_schema *s, dltc_table *t, const char *list, uint32_t hint)
{
    if (!list)
        return 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            dltc_buf name = DLTC_BUF_INIT;
            int rc = dltc__naming_normalize_path(s->naming, p, len, &name);
            long idx = -1;
            if (!rc) {
                idx = dltc__table_column(t, name.data, name.len);
                if (idx < 0)
                    idx = dltc__table_new_column(s, t, name.data, name.len, DLTC_DT_UNSET, hint);
            }
            dltc__buf_free(&name);
            if (rc)
                return rc;
            if (idx < 0)
                return (int)idx;
            if ((t->cols[idx].hints & hint) == 0 || t->cols[idx].nullable) {
                t->cols[idx].hints |= hint;
                t->cols[idx].hints_set |= hint;
                t->cols[idx].nullable = 0;
                s->dirty = 1;
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static int set_opt(dltc_schema *s, char **dst, const char *v)
{
    if (!v || (*dst && !strcmp(*dst, v)))
        return 0;
    char *n = dltc__strdup(v);
    if (!n)
        return dltc__error_oom();
    dltc__free(*dst);
    *dst = n;
    s->dirty = 1;
    return 0;
}

/* A column hint merged into t: stated fields win, unstated ones stay. */
static int merge_column(dltc_schema *s, dltc_table *t, dltc_column *h)
{
    long idx = dltc__table_column(t, h->name, strlen(h->name));
    if (idx < 0) {
        if (h->nullable < 0)
            h->nullable = 1;
        idx = dltc__table_add_column(s, t, h);
        return idx < 0 ? (int)idx : 0;
    }
    dltc_column *c = &t->cols[idx];
    if (h->data_type != DLTC_DT_UNSET && c->data_type != h->data_type) {
        if (c->data_type != DLTC_DT_UNSET && t->seen_data)
            return dltc__error_set(DLTC_EINVALID,
                                   "table %s column %s: the hint says %s but the column is %s",
                                   t->name, c->name, dltc__data_type_name(h->data_type),
                                   dltc__data_type_name(c->data_type));
        c->data_type = h->data_type;
        s->dirty = 1;
    }
#define SET_IF(field, unset)                                                                   \
    if (h->field != (unset) && c->field != h->field) {                                         \
        c->field = h->field;                                                                   \
        s->dirty = 1;                                                                          \
    }
    SET_IF(nullable, -1)
    SET_IF(timezone, -1)
    SET_IF(precision, -1)
    SET_IF(scale, -1)
#undef SET_IF
    uint32_t hints = (c->hints & ~h->hints_set) | h->hints;
    if (hints != c->hints || (c->hints_set | h->hints_set) != c->hints_set) {
        c->hints = hints;
        c->hints_set |= h->hints_set;
        s->dirty = 1;
    }
    int rc = set_opt(s, &c->dedup_sort, h->dedup_sort);
    if (!rc)
        rc = set_opt(s, &c->description, h->description);
    if (!rc)
        rc = set_opt(s, &c->extra_json, h->extra_json);
    return rc;
}

/* dlt's `columns` resource hint: a JSON object of column name -> column schema. */
static int apply_columns(dltc_schema *s, dltc_table *t, const char *json)
{
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *doc = NULL;
    dltc_json_error err;
    int rc = dltc__json_parse(&a, json, strlen(json), 32, &doc, &err);
    if (rc)
        rc = dltc__error_set(DLTC_EINVALID, "table %s: columns hint: %d:%d: %s", t->name,
                             (int)err.line, (int)err.column, err.reason);
    else if (doc->type != DLTC_TYPE_OBJECT)
        rc = dltc__error_set(DLTC_EINVALID, "table %s: columns hint: not a JSON object", t->name);
    for (uint32_t i = 0; !rc && i < doc->len; i++) {
        const dltc_member *m = &doc->u.obj[i];
        dltc_buf name = DLTC_BUF_INIT;
        rc = dltc__naming_normalize_path(s->naming, m->key, m->klen, &name);
        dltc_column c;
        memset(&c, 0, sizeof(c));
        if (!rc)
            rc = dltc__column_parse(&a, t->name, name.data, &m->val, &c);
        if (!rc)
            rc = merge_column(s, t, &c);
        dltc__free(c.extra_json);
        dltc__buf_free(&name);
    }
    dltc__arena_free(&a);
    return rc;
}

static int set_str(dltc_schema *s, char **dst, const char *v)
{
    if (*dst && strcmp(*dst, v) == 0)
        return 0;
    char *n = dltc__strdup(v);
    if (!n)
        return dltc__error_oom();
    dltc__free(*dst);
    *dst = n;
    s->dirty = 1;
    return 0;
}

int dltc__schema_apply_hints(dltc_schema *s, const char *table_name, const dltc_table_hints *h,
                             dltc_table **out)
{
    dltc_buf name = DLTC_BUF_INIT;
    int rc = dltc__naming_normalize_path(s->naming, table_name, strlen(table_name), &name);
    if (!rc && name.len == 0)
        rc = dltc__error_set(DLTC_EINVALID, "table name '%s' normalizes to nothing", table_name);
    if (rc) {
        dltc__buf_free(&name);
        return rc;
    }
    dltc_table *t = dltc__schema_table(s, name.data, name.len);
    if (!t) {
        rc = dltc__schema_add_table(s, name.data, NULL, &t);
        if (!rc)
            rc = set_str(s, &t->resource, table_name);
    }
    dltc__buf_free(&name);
    if (rc)
        return rc;
    if (t->parent)
        return dltc__error_set(DLTC_EINVALID, "table '%s' is a nested table", t->name);
    const char *wd = h && h->write_disposition ? h->write_disposition
                     : t->write_disposition    ? t->write_disposition
                                               : "append";
    if (strcmp(wd, "append") && strcmp(wd, "replace") && strcmp(wd, "merge") && strcmp(wd, "skip"))
        return dltc__error_set(DLTC_EINVALID,
                               "unknown write disposition '%s' (append, replace, merge, skip)", wd);
    if ((rc = set_str(s, &t->write_disposition, wd)))
        return rc;
    if (strcmp(wd, "merge") == 0) {
        const char *strategy = h && h->merge_strategy ? h->merge_strategy
                               : t->merge_strategy   ? t->merge_strategy
                                                     : "delete-insert";
        if (strcmp(strategy, "delete-insert") && strcmp(strategy, "upsert") &&
            strcmp(strategy, "insert-only") && strcmp(strategy, "scd2"))
            return dltc__error_set(DLTC_EINVALID,
                                   "unknown merge strategy '%s' (delete-insert, upsert, "
                                   "insert-only, scd2)", strategy);
        if (h && h->merge_strategy && (rc = set_str(s, &t->merge_strategy, strategy)))
            return rc;
        if (strcmp(strategy, "scd2") != 0 && (rc = dltc__schema_add_propagation(s, t->name)))
            return rc;
    }
    if (h && h->max_table_nesting >= 0 && t->max_nesting != h->max_table_nesting) {
        t->max_nesting = h->max_table_nesting;
        s->dirty = 1;
    }
    if (h && h->file_format && strcmp(h->file_format, "jsonl") && strcmp(h->file_format, "csv") &&
        strcmp(h->file_format, "parquet") && strcmp(h->file_format, "insert_values") &&
        strcmp(h->file_format, "preferred"))
        return dltc__error_set(DLTC_EINVALID,
                               "table %s: unknown file format '%s' (jsonl, parquet, csv, "
                               "insert_values)", t->name, h->file_format);
    if (h && ((rc = set_opt(s, &t->file_format, h->file_format)) ||
              (h->columns && (rc = apply_columns(s, t, h->columns))) ||
              (rc = key_columns(s, t, h->primary_key, DLTC_HINT_PRIMARY_KEY)) ||
              (rc = key_columns(s, t, h->merge_key, DLTC_HINT_MERGE_KEY))))
        return rc;
    if (out)
        *out = t;
    return 0;
}
