/* Resource hints applied to a root table: write disposition (a name or dlt's dict form),
 * merge strategy with the scd2 columns, primary and merge keys (hint-only columns, nullable
 * false, first in the table as dlt adds them at extract), max_table_nesting, column hints,
 * file format. Shared by extract and the standalone normalizer. Also the readers of the x-
 * hints merge needs (hints.h). */
#include "schema/hints.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/time.h"
#include "formats/json.h"
#include "schema/contract.h"
#include "schema/schema_io.h"

#include <string.h>

/* ---- x- hints kept among extra keys ---- */

int dltc__extra_get(const char *extra_json, const char *key, dltc_arena *a,
                    const dltc_value **out)
{
    *out = NULL;
    if (!extra_json || !*extra_json || !strstr(extra_json, key))
        return 0;
    dltc_value *doc = NULL;
    dltc_json_error err;
    int rc = dltc__json_parse(a, extra_json, strlen(extra_json), 64, &doc, &err);
    if (rc)
        return rc;
    if (doc->type == DLTC_TYPE_OBJECT)
        *out = dltc_object_get(doc, key);
    return 0;
}

int dltc__column_x_flag(const dltc_column *c, const char *key)
{
    if (!c->extra_json || !strstr(c->extra_json, key))
        return 0;
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    const dltc_value *v = NULL;
    int yes = dltc__extra_get(c->extra_json, key, &a, &v) == 0 && v &&
              v->type == DLTC_TYPE_BOOL && v->u.i;
    dltc__arena_free(&a);
    return yes;
}

long dltc__table_x_column(const dltc_table *t, const char *key)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (dltc__column_x_flag(&t->cols[i], key))
            return (long)i;
    return -1;
}

int dltc__table_row_id_type(const dltc_schema *s, dltc_table *root)
{
    if (!root || root->parent || strcmp(dltc__table_write_disposition(s, root), "merge") != 0)
        return DLTC_ROW_ID_RANDOM;
    const char *strategy = root->merge_strategy ? root->merge_strategy : "delete-insert";
    if (!strcmp(strategy, "upsert") || !strcmp(strategy, "insert-only"))
        return DLTC_ROW_ID_KEY_HASH;
    if (!strcmp(strategy, "scd2")) {
        long v = dltc__table_x_column(root, "x-row-version");
        if (v < 0 || !strcmp(root->cols[v].name, "_dlt_id"))
            return DLTC_ROW_ID_ROW_HASH;
    }
    return DLTC_ROW_ID_RANDOM;
}

/* ---- applying resource hints ---- */

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

/* dlt's write_disposition dict (TScd2StrategyDict, TDeleteInsertStrategyDict):
 * {"disposition": …, "strategy": …, "deduplicated": …, "validity_column_names": [from, to],
 * "active_record_timestamp": …, "boundary_timestamp": …, "row_version_column_name": …}. */
typedef struct {
    const char *disposition, *strategy;
    const dltc_value *deduplicated, *validity, *active, *boundary, *row_version;
} wd_dict;

static int is_timestamp_text(const dltc_value *v)
{
    dltc_iso iso;
    return v->type == DLTC_TYPE_STRING && dltc__iso_parse(v->u.s, v->len, &iso) == 0 &&
           (iso.kind == DLTC_ISO_DATETIME || iso.kind == DLTC_ISO_DATE);
}

static int parse_wd_dict(dltc_arena *a, const char *text, wd_dict *d)
{
    memset(d, 0, sizeof(*d));
    dltc_value *doc = NULL;
    dltc_json_error err;
    if (dltc__json_parse(a, text, strlen(text), 8, &doc, &err) || doc->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "write_disposition: not a name or a JSON object");
    for (uint32_t i = 0; i < doc->len; i++) {
        const dltc_member *m = &doc->u.obj[i];
        const dltc_value *v = &m->val;
        int nul = v->type == DLTC_TYPE_NULL, str = v->type == DLTC_TYPE_STRING, ok = 1;
        if (!strcmp(m->key, "disposition") && str)
            d->disposition = v->u.s;
        else if (!strcmp(m->key, "strategy") && (str || nul))
            d->strategy = str ? v->u.s : NULL;
        else if (!strcmp(m->key, "deduplicated"))
            ok = v->type == DLTC_TYPE_BOOL || nul, d->deduplicated = v;
        else if (!strcmp(m->key, "validity_column_names"))
            ok = nul || (v->type == DLTC_TYPE_ARRAY && v->len == 2 &&
                         v->u.arr[0].type == DLTC_TYPE_STRING &&
                         v->u.arr[1].type == DLTC_TYPE_STRING),
            d->validity = nul ? NULL : v;
        else if (!strcmp(m->key, "active_record_timestamp"))
            ok = nul || is_timestamp_text(v), d->active = v;
        else if (!strcmp(m->key, "boundary_timestamp"))
            ok = nul || is_timestamp_text(v), d->boundary = nul ? NULL : v;
        else if (!strcmp(m->key, "row_version_column_name") && str)
            d->row_version = v;
        else
            return dltc__error_set(DLTC_EINVALID, "write_disposition: unknown or invalid key '%s'",
                                   m->key);
        if (!ok)
            return dltc__error_set(DLTC_EINVALID, "write_disposition: invalid value of '%s'",
                                   m->key);
    }
    if (!d->disposition)
        return dltc__error_set(DLTC_EINVALID, "write_disposition: 'disposition' is required");
    return 0;
}

/* Set (val != NULL) or remove a key of a table's kept extra keys. */
static int table_extra_set(dltc_schema *s, dltc_table *t, const char *key, const dltc_value *val)
{
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *doc = NULL, fresh;
    dltc_json_error err;
    int rc = 0;
    if (t->extra_json && *t->extra_json)
        rc = dltc__json_parse(&a, t->extra_json, strlen(t->extra_json), 64, &doc, &err);
    if (!rc && (!doc || doc->type != DLTC_TYPE_OBJECT)) {
        dltc__value_set_type(&fresh, DLTC_TYPE_OBJECT);
        doc = &fresh;
    }
    const dltc_value *have = rc ? NULL : dltc_object_get(doc, key);
    if (rc || (!have && !val) || (have && val && dltc__json_equal(have, val))) {
        dltc__arena_free(&a);
        return rc;
    }
    if (val) {
        rc = dltc__object_set(&a, doc, key, strlen(key), val);
    } else { /* remove */
        uint32_t k = 0;
        for (uint32_t i = 0; i < doc->len; i++)
            if (strcmp(doc->u.obj[i].key, key) != 0)
                doc->u.obj[k++] = doc->u.obj[i];
        doc->len = k;
    }
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc && doc->len)
        rc = dltc__json_write(&b, doc);
    if (!rc) {
        dltc__free(t->extra_json);
        t->extra_json = doc->len ? dltc__buf_detach(&b) : NULL;
        s->dirty = 1;
    }
    dltc__buf_free(&b);
    dltc__arena_free(&a);
    return rc;
}

/* dlt's scd2 columns (extract/hints.py _merge_merge_disposition_dict): validity columns
 * (timestamp, nullable, x-valid-from / x-valid-to with x-active-record-timestamp) and the
 * row version column (default _dlt_id: nullable false, x-row-version, unique and row_key
 * false). Kept as they are when the table has them and the dict does not restate them. */
static int scd2_columns(dltc_schema *s, dltc_table *t, const wd_dict *d)
{
    if (!d && dltc__table_x_column(t, "x-valid-from") >= 0)
        return 0;
    dltc_buf j = DLTC_BUF_INIT;
    const char *from = "_dlt_valid_from", *to = "_dlt_valid_to", *hash = "_dlt_id";
    uint32_t fl = 15, tl = 13, hl = 7;
    if (d && d->validity) {
        from = d->validity->u.arr[0].u.s, fl = d->validity->u.arr[0].len;
        to = d->validity->u.arr[1].u.s, tl = d->validity->u.arr[1].len;
    }
    if (d && d->row_version)
        hash = d->row_version->u.s, hl = d->row_version->len;
    int rc = dltc__buf_putc(&j, '{');
    if (!rc)
        rc = dltc__json_write_string(&j, from, fl);
    if (!rc)
        rc = dltc__buf_puts(&j, ":{\"data_type\":\"timestamp\",\"nullable\":true,"
                                "\"x-valid-from\":true},");
    if (!rc)
        rc = dltc__json_write_string(&j, to, tl);
    if (!rc)
        rc = dltc__buf_puts(&j, ":{\"data_type\":\"timestamp\",\"nullable\":true,"
                                "\"x-valid-to\":true,\"x-active-record-timestamp\":");
    if (!rc)
        rc = d && d->active && d->active->type == DLTC_TYPE_STRING ? dltc__json_write(&j, d->active)
                                                                   : dltc__buf_puts(&j, "null");
    if (!rc)
        rc = dltc__buf_puts(&j, "},");
    if (!rc)
        rc = dltc__json_write_string(&j, hash, hl);
    if (!rc)
        rc = dltc__buf_puts(&j, ":{\"nullable\":false,\"x-row-version\":true,\"unique\":false,"
                                "\"row_key\":false}}");
    if (!rc)
        rc = apply_columns(s, t, j.data);
    dltc__buf_free(&j);
    return rc;
}

/* write_disposition (a name or dlt's dict), merge strategy and what they imply. */
static int apply_disposition(dltc_schema *s, dltc_table *t, const dltc_table_hints *h,
                             dltc_arena *a, wd_dict *dict, wd_dict **dout)
{
    wd_dict *d = NULL;
    const char *given = h ? h->write_disposition : NULL;
    int rc = 0;
    if (given && given[0] == '{') {
        if ((rc = parse_wd_dict(a, given, dict)))
            return rc;
        d = *dout = dict;
        given = dict->disposition;
    }
    const char *wd = given ? given : t->write_disposition ? t->write_disposition : "append";
    if (strcmp(wd, "append") && strcmp(wd, "replace") && strcmp(wd, "merge") && strcmp(wd, "skip"))
        return dltc__error_set(DLTC_EINVALID,
                               "unknown write disposition '%s' (append, replace, merge, skip)", wd);
    if ((rc = set_str(s, &t->write_disposition, wd)))
        return rc;
    const char *hinted = d && d->strategy ? d->strategy : h ? h->merge_strategy : NULL;
    if (strcmp(wd, "merge") != 0)
        return 0;
    const char *strategy = hinted ? hinted : t->merge_strategy ? t->merge_strategy : "delete-insert";
    if (strcmp(strategy, "delete-insert") && strcmp(strategy, "upsert") &&
        strcmp(strategy, "insert-only") && strcmp(strategy, "scd2"))
        return dltc__error_set(DLTC_EINVALID,
                               "unknown merge strategy '%s' (delete-insert, upsert, insert-only, "
                               "scd2)", strategy);
    if (hinted && (rc = set_str(s, &t->merge_strategy, strategy)))
        return rc;
    if (given) { /* the run's dict is the truth for these (absent: removed) */
        const dltc_value *dedup = d && d->deduplicated && d->deduplicated->type == DLTC_TYPE_BOOL &&
                                          d->deduplicated->u.i
                                      ? d->deduplicated
                                      : NULL;
        rc = table_extra_set(s, t, "x-stage-data-deduplicated", dedup);
        if (!rc)
            rc = table_extra_set(s, t, "x-boundary-timestamp", d ? d->boundary : NULL);
        if (rc)
            return rc;
    }
    /* scd2 columns come after the column and key hints (apply_hints) */
    return strcmp(strategy, "scd2") == 0 ? 0 : dltc__schema_add_propagation(s, t->name);
}

static int apply_hints(dltc_schema *s, const char *table_name, const dltc_table_hints *h,
                       dltc_table **out, int data)
{
    dltc_buf name = DLTC_BUF_INIT;
    int rc = dltc__naming_normalize_path(s->naming, table_name, strlen(table_name), &name);
    if (!rc && name.len == 0)
        rc = dltc__error_set(DLTC_EINVALID, "table name '%s' normalizes to nothing", table_name);
    if (rc) {
        dltc__buf_free(&name);
        return rc;
    }
    /* data never goes into dlt's own tables: a package for one could never load */
    if (data && name.len >= 4 && memcmp(name.data, "_dlt", 4) == 0)
        rc = dltc__error_set(DLTC_EINVALID,
                             "table name '%s': names starting with _dlt are dlt's own tables "
                             "(_dlt_loads, _dlt_version, _dlt_pipeline_state)",
                             name.data);
    dltc_table *t = rc ? NULL : dltc__schema_table(s, name.data, name.len);
    if (!rc && !t && data && s->check_table)
        rc = s->check_table(name.data, s->check_table_payload);
    if (!rc && !t) {
        rc = dltc__schema_add_table(s, name.data, NULL, &t);
        if (!rc)
            rc = set_str(s, &t->resource, table_name);
    }
    dltc__buf_free(&name);
    if (rc)
        return rc;
    if (t->parent)
        return dltc__error_set(DLTC_EINVALID, "table '%s' is a nested table", t->name);
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    wd_dict dict, *d = NULL;
    rc = apply_disposition(s, t, h, &a, &dict, &d);
    if (!rc && h && h->max_table_nesting >= 0 && t->max_nesting != h->max_table_nesting) {
        t->max_nesting = h->max_table_nesting;
        s->dirty = 1;
    }
    if (!rc && h && h->file_format && strcmp(h->file_format, "jsonl") &&
        strcmp(h->file_format, "csv") && strcmp(h->file_format, "parquet") &&
        strcmp(h->file_format, "insert_values") && strcmp(h->file_format, "preferred"))
        rc = dltc__error_set(DLTC_EINVALID,
                             "table %s: unknown file format '%s' (jsonl, parquet, csv, "
                             "insert_values)", t->name, h->file_format);
    if (!rc && h)
        rc = set_opt(s, &t->file_format, h->file_format);
    if (!rc && h && h->columns)
        rc = apply_columns(s, t, h->columns);
    if (!rc && h && h->schema_contract) {
        dltc_contract c;
        rc = dltc__contract_parse(h->schema_contract, t->name, &c);
        if (!rc)
            rc = dltc__contract_set_table(s, t, &c);
    }
    if (!rc && h)
        rc = key_columns(s, t, h->primary_key, DLTC_HINT_PRIMARY_KEY);
    if (!rc && h)
        rc = key_columns(s, t, h->merge_key, DLTC_HINT_MERGE_KEY);
    if (!rc && !strcmp(t->write_disposition, "merge") && t->merge_strategy &&
        !strcmp(t->merge_strategy, "scd2"))
        rc = scd2_columns(s, t, d);
    dltc__arena_free(&a);
    if (!rc && out)
        *out = t;
    return rc;
}

int dltc__schema_apply_hints(dltc_schema *s, const char *table_name, const dltc_table_hints *h,
                             dltc_table **out)
{
    return apply_hints(s, table_name, h, out, 0);
}

int dltc__schema_apply_data_hints(dltc_schema *s, const char *table_name,
                                  const dltc_table_hints *h, dltc_table **out)
{
    return apply_hints(s, table_name, h, out, 1);
}
