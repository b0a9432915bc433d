/* dlt's stored-schema document: export (JSON/YAML), import, version hash and bump, and the
 * schema_updates.json of a load package.
 *
 * The document is built as a dltc_value tree in an arena, in dlt's key order (new_table,
 * new_column, to_dict). Keys the model has no field for are kept as raw JSON in the
 * *_extra_json fields and deep-merged back at export, so export(import(x)) keeps them. */
#include "schema/schema_io.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "formats/json.h"
#include "formats/yaml.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOC_MAX_DEPTH 512
#define MAX_PREVIOUS_HASHES 10
#define LEGACY_SNAKE_CASE "dlt.common.normalizers.names.snake_case"

/* ---- value helpers (strings are lent, not copied) ---- */

static dltc_value v_str(const char *s)
{
    dltc_value v;
    dltc__value_set_type(&v, DLTC_TYPE_STRING);
    v.u.s = s;
    v.len = (uint32_t)strlen(s);
    return v;
}

static dltc_value v_int(int64_t i)
{
    dltc_value v;
    dltc__value_set_type(&v, DLTC_TYPE_INT);
    v.u.i = i;
    return v;
}

static dltc_value v_bool(int b)
{
    dltc_value v;
    dltc__value_set_type(&v, DLTC_TYPE_BOOL);
    v.u.i = b ? 1 : 0;
    return v;
}

static dltc_value v_new(int type)
{
    dltc_value v;
    dltc__value_set_type(&v, type);
    return v;
}

static int put(dltc_arena *a, dltc_value *obj, const char *key, dltc_value v)
{
    return dltc__object_set(a, obj, key, strlen(key), &v);
}

static int push(dltc_arena *a, dltc_value *arr, dltc_value v)
{
    return dltc__array_append(a, arr, &v);
}

static const dltc_value *get(const dltc_value *obj, const char *key)
{
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < obj->len; i++)
        if (obj->u.obj[i].klen == klen && memcmp(obj->u.obj[i].key, key, klen) == 0)
            return &obj->u.obj[i].val;
    return NULL;
}

static int is_str(const dltc_value *v)
{
    return v && v->type == DLTC_TYPE_STRING;
}

/* Merge `src` into `dst` (both objects): new keys are appended, objects under the same key
 * are merged recursively, for any other clash the value already in `dst` wins. */
static int deep_merge(dltc_arena *a, dltc_value *dst, const dltc_value *src)
{
    for (uint32_t i = 0; i < src->len; i++) {
        const dltc_member *m = &src->u.obj[i];
        dltc_value *have = NULL;
        for (uint32_t k = 0; k < dst->len; k++)
            if (dst->u.obj[k].klen == m->klen && memcmp(dst->u.obj[k].key, m->key, m->klen) == 0)
                have = &dst->u.obj[k].val;
        if (!have) {
            int rc = dltc__object_set(a, dst, m->key, m->klen, &m->val);
            if (rc) return rc;
        } else if (have->type == DLTC_TYPE_OBJECT && m->val.type == DLTC_TYPE_OBJECT) {
            int rc = deep_merge(a, have, &m->val);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Merge the raw JSON object text kept for keys the model does not know. */
static int merge_extra(dltc_arena *a, dltc_value *obj, const char *extra, const char *where)
{
    if (!extra || !*extra) return 0;
    dltc_value *ev;
    dltc_json_error err;
    int rc = dltc__json_parse(a, extra, strlen(extra), DOC_MAX_DEPTH, &ev, &err);
    if (rc) {
        dltc__error_prefix("extra keys of %s: ", where);
        return rc;
    }
    if (ev->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "extra keys of %s are not a JSON object", where);
    return deep_merge(a, obj, ev);
}

/* ---- schema -> document ---- */

static int column_dom(dltc_arena *a, const dltc_column *c, int with_name, dltc_value *out)
{
    dltc_value o = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    if (with_name) rc = put(a, &o, "name", v_str(c->name));
    if (!rc && c->data_type != DLTC_DT_UNSET)
        rc = put(a, &o, "data_type", v_str(dltc__data_type_name(c->data_type)));
    if (!rc && c->nullable >= 0) rc = put(a, &o, "nullable", v_bool(c->nullable));
    if (!rc && c->precision >= 0) rc = put(a, &o, "precision", v_int(c->precision));
    if (!rc && c->scale >= 0) rc = put(a, &o, "scale", v_int(c->scale));
    if (!rc && c->timezone >= 0) rc = put(a, &o, "timezone", v_bool(c->timezone));
    for (unsigned i = 0; !rc && i < DLTC_HINT__COUNT; i++)
        if (c->hints_set & (1u << i))
            rc = put(a, &o, dltc__hint_name(i), v_bool(c->hints & (1u << i)));
    if (!rc && c->dedup_sort) rc = put(a, &o, "dedup_sort", v_str(c->dedup_sort));
    if (!rc && c->description) rc = put(a, &o, "description", v_str(c->description));
    if (!rc) rc = merge_extra(a, &o, c->extra_json, "a column");
    *out = o;
    return rc;
}

/* A table with its columns from index `from` on. */
static int table_dom(dltc_arena *a, const dltc_table *t, int with_name, size_t from,
                     dltc_value *out)
{
    dltc_value o = v_new(DLTC_TYPE_OBJECT), cols = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    for (size_t i = from; !rc && i < t->ncols; i++) {
        dltc_value c;
        if (!(rc = column_dom(a, &t->cols[i], with_name, &c)))
            rc = put(a, &cols, t->cols[i].name, c);
    }
    if (!rc && with_name) rc = put(a, &o, "name", v_str(t->name));
    if (!rc) rc = put(a, &o, "columns", cols);
    /* dlt's new_table + apply_defaults: root tables always have both */
    if (!rc && (t->write_disposition || !t->parent))
        rc = put(a, &o, "write_disposition",
                 v_str(t->write_disposition ? t->write_disposition : "append"));
    if (!rc && (t->resource || !t->parent))
        rc = put(a, &o, "resource", v_str(t->resource ? t->resource : t->name));
    if (!rc && t->parent) rc = put(a, &o, "parent", v_str(t->parent));
    if (!rc && t->table_format) rc = put(a, &o, "table_format", v_str(t->table_format));
    if (!rc && t->file_format) rc = put(a, &o, "file_format", v_str(t->file_format));
    if (!rc && t->description) rc = put(a, &o, "description", v_str(t->description));
    if (!rc && t->merge_strategy) rc = put(a, &o, "x-merge-strategy", v_str(t->merge_strategy));
    if (!rc && (t->max_nesting >= 0 || t->seen_data)) {
        dltc_value xn = v_new(DLTC_TYPE_OBJECT);
        if (t->max_nesting >= 0) rc = put(a, &xn, "max_nesting", v_int(t->max_nesting));
        if (!rc && t->seen_data) rc = put(a, &xn, "seen-data", v_bool(1));
        if (!rc) rc = put(a, &o, "x-normalizer", xn);
    }
    if (!rc) {
        char where[300];
        snprintf(where, sizeof(where), "table '%.256s'", t->name);
        rc = merge_extra(a, &o, t->extra_json, where);
    }
    *out = o;
    return rc;
}

static int settings_dom(dltc_arena *a, const dltc_schema *s, dltc_value *out)
{
    dltc_value o = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    if (s->ndetections) {
        dltc_value d = v_new(DLTC_TYPE_ARRAY);
        for (size_t i = 0; !rc && i < s->ndetections; i++)
            rc = push(a, &d, v_str(s->detections[i]));
        if (!rc) rc = put(a, &o, "detections", d);
    }
    if (!rc && s->ndefault_hints) {
        dltc_value h = v_new(DLTC_TYPE_OBJECT);
        for (size_t i = 0; !rc && i < s->ndefault_hints; i++) {
            const dltc_default_hint *dh = &s->default_hints[i];
            dltc_value pats = v_new(DLTC_TYPE_ARRAY);
            for (size_t k = 0; !rc && k < dh->npats; k++)
                rc = push(a, &pats, v_str(dh->pats[k].pattern));
            if (!rc) rc = put(a, &h, dh->hint, pats);
        }
        if (!rc) rc = put(a, &o, "default_hints", h);
    }
    if (!rc && s->npreferred_types) {
        dltc_value p = v_new(DLTC_TYPE_OBJECT);
        for (size_t i = 0; !rc && i < s->npreferred_types; i++)
            rc = put(a, &p, s->preferred_types[i].pat.pattern,
                     v_str(dltc__data_type_name(s->preferred_types[i].data_type)));
        if (!rc) rc = put(a, &o, "preferred_types", p);
    }
    if (!rc) rc = merge_extra(a, &o, s->settings_extra_json, "settings");
    *out = o;
    return rc;
}

static int normalizers_dom(dltc_arena *a, const dltc_schema *s, dltc_value *out)
{
    dltc_value o = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    if (s->naming_name) rc = put(a, &o, "names", v_str(s->naming_name));
    if (!rc && s->json_module) {
        dltc_value j = v_new(DLTC_TYPE_OBJECT);
        rc = put(a, &j, "module", v_str(s->json_module));
        if (!rc && (s->max_nesting >= 0 || s->npropagation_roots || s->root_key_propagation >= 0)) {
            dltc_value cfg = v_new(DLTC_TYPE_OBJECT);
            if (s->max_nesting >= 0) rc = put(a, &cfg, "max_nesting", v_int(s->max_nesting));
            if (!rc && s->npropagation_roots) {
                dltc_value tables = v_new(DLTC_TYPE_OBJECT), prop = v_new(DLTC_TYPE_OBJECT);
                for (size_t i = 0; !rc && i < s->npropagation_roots; i++) {
                    dltc_value m = v_new(DLTC_TYPE_OBJECT);
                    if (!(rc = put(a, &m, "_dlt_id", v_str("_dlt_root_id"))))
                        rc = put(a, &tables, s->propagation_roots[i], m);
                }
                if (!rc) rc = put(a, &prop, "tables", tables);
                if (!rc) rc = put(a, &cfg, "propagation", prop);
            }
            if (!rc && s->root_key_propagation >= 0)
                rc = put(a, &cfg, "root_key_propagation", v_bool(s->root_key_propagation));
            if (!rc) rc = put(a, &j, "config", cfg);
        }
        if (!rc) rc = put(a, &o, "json", j);
    }
    if (!rc && s->use_break_path >= 0)
        rc = put(a, &o, "use_break_path_on_normalize", v_bool(s->use_break_path));
    if (!rc) rc = merge_extra(a, &o, s->normalizers_extra_json, "normalizers");
    *out = o;
    return rc;
}

int dltc__schema_to_dom(const dltc_schema *s, dltc_arena *a, int with_names, dltc_value **out)
{
    dltc_value *doc = dltc__arena_alloc(a, sizeof(*doc));
    if (!doc) return DLTC_ENOMEM;
    *doc = v_new(DLTC_TYPE_OBJECT);
    dltc_value tables = v_new(DLTC_TYPE_OBJECT), settings, norm;
    dltc_value prev = v_new(DLTC_TYPE_ARRAY);
    int rc = put(a, doc, "version", v_int(s->version));
    if (!rc) rc = put(a, doc, "version_hash", v_str(s->version_hash));
    if (!rc) rc = put(a, doc, "engine_version", v_int(DLTC_SCHEMA_ENGINE_VERSION));
    if (!rc) rc = put(a, doc, "name", v_str(s->name));
    for (size_t i = 0; !rc && i < s->ntables; i++) {
        dltc_value t;
        if (!(rc = table_dom(a, s->tables[i], with_names, 0, &t)))
            rc = put(a, &tables, s->tables[i]->name, t);
    }
    if (!rc) rc = put(a, doc, "tables", tables);
    if (!rc && !(rc = settings_dom(a, s, &settings))) rc = put(a, doc, "settings", settings);
    if (!rc && !(rc = normalizers_dom(a, s, &norm))) rc = put(a, doc, "normalizers", norm);
    for (size_t i = 0; !rc && i < s->nprevious; i++)
        rc = push(a, &prev, v_str(s->previous_hashes[i]));
    if (!rc) rc = put(a, doc, "previous_hashes", prev);
    if (!rc && with_names && s->imported_version_hash)
        rc = put(a, doc, "imported_version_hash", v_str(s->imported_version_hash));
    if (!rc && s->description) rc = put(a, doc, "description", v_str(s->description));
    if (rc) return rc;
    *out = doc;
    return 0;
}

/* ---- version hash ---- */

static int member_cmp(const void *x, const void *y)
{
    const dltc_member *a = *(const dltc_member *const *)x, *b = *(const dltc_member *const *)y;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    if (c) return c;
    return a->klen < b->klen ? -1 : a->klen > b->klen;
}

/* Members of an object sorted by key (UTF-8 bytes order = code point order); the caller
 * frees the array. */
static int sorted_members(const dltc_value *obj, const dltc_member ***out)
{
    const dltc_member **m = dltc__malloc((obj->len ? obj->len : 1) * sizeof(*m));
    if (!m) return dltc__error_oom();
    for (uint32_t i = 0; i < obj->len; i++)
        m[i] = &obj->u.obj[i];
    qsort(m, obj->len, sizeof(*m), member_cmp);
    *out = m;
    return 0;
}

static int write_leaf(dltc_buf *b, const dltc_value *v)
{
    if (v->type == DLTC_TYPE_DOUBLE) /* reformatted like Python, not the source text */
        return dltc__json_write_double(b, v->u.d);
    return dltc__json_write(b, v);
}

static int is_hash_excluded(const dltc_member *m)
{
    static const char *const skip[] = {"version", "version_hash", "imported_version_hash",
                                       "previous_hashes"};
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (m->klen == strlen(skip[i]) && memcmp(m->key, skip[i], m->klen) == 0) return 1;
    return 0;
}

/* Compact JSON with keys sorted at every level (orjson OPT_SORT_KEYS). */
static int write_sorted(dltc_buf *b, const dltc_value *v, int top, int depth)
{
    int rc;
    if (depth > DOC_MAX_DEPTH * 2)
        return dltc__error_set(DLTC_ELIMIT, "schema document nested too deeply");
    if (v->type == DLTC_TYPE_ARRAY) {
        if ((rc = dltc__buf_putc(b, '['))) return rc;
        for (uint32_t i = 0; i < v->len; i++) {
            if ((i && (rc = dltc__buf_putc(b, ','))) ||
                (rc = write_sorted(b, &v->u.arr[i], 0, depth + 1)))
                return rc;
        }
        return dltc__buf_putc(b, ']');
    }
    if (v->type != DLTC_TYPE_OBJECT) return write_leaf(b, v);
    const dltc_member **m = NULL;
    if ((rc = sorted_members(v, &m))) return rc;
    rc = dltc__buf_putc(b, '{');
    int first = 1;
    for (uint32_t i = 0; !rc && i < v->len; i++) {
        if (top && is_hash_excluded(m[i])) continue;
        if (!first) rc = dltc__buf_putc(b, ',');
        first = 0;
        if (!rc) rc = dltc__json_write_string(b, m[i]->key, m[i]->klen);
        if (!rc) rc = dltc__buf_putc(b, ':');
        if (!rc) rc = write_sorted(b, &m[i]->val, 0, depth + 1);
    }
    dltc__free(m);
    return rc ? rc : dltc__buf_putc(b, '}');
}

int dltc__schema_dom_hash(const dltc_value *doc, char out[DLTC_SCHEMA_HASH_LEN + 1])
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = write_sorted(&b, doc, 1, 0);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    dltc_sha3 *h = dltc__sha3_new();
    if (!h) {
        dltc__buf_free(&b);
        return dltc__error_oom();
    }
    dltc__sha3_update(h, b.data, b.len);
    dltc__buf_free(&b);
    /* then table names (sorted) each followed by its column names in stored order */
    const dltc_value *tables = get(doc, "tables");
    if (tables && tables->type == DLTC_TYPE_OBJECT) {
        const dltc_member **m = NULL;
        if ((rc = sorted_members(tables, &m))) {
            uint8_t discard[32];
            dltc__sha3_final(h, discard);
            return rc;
        }
        for (uint32_t i = 0; i < tables->len; i++) {
            dltc__sha3_update(h, m[i]->key, m[i]->klen);
            const dltc_value *cols =
                m[i]->val.type == DLTC_TYPE_OBJECT ? get(&m[i]->val, "columns") : NULL;
            if (cols && cols->type == DLTC_TYPE_OBJECT)
                for (uint32_t k = 0; k < cols->len; k++)
                    dltc__sha3_update(h, cols->u.obj[k].key, cols->u.obj[k].klen);
        }
        dltc__free(m);
    }
    uint8_t digest[32];
    dltc__sha3_final(h, digest);
    dltc__base64_encode(digest, sizeof(digest), out, 1);
    return 0;
}

/* Hash of the current content (dlt's to_dict() without remove_defaults). */
static int content_hash(const dltc_schema *s, char out[DLTC_SCHEMA_HASH_LEN + 1])
{
    dltc_arena a;
    dltc__arena_init(&a, 64 * 1024);
    dltc_value *doc;
    int rc = dltc__schema_to_dom(s, &a, 1, &doc);
    if (!rc) rc = dltc__schema_dom_hash(doc, out);
    dltc__arena_free(&a);
    return rc;
}

const char *dltc_schema_version_hash(dltc_schema *s)
{
    if (s->dirty || !s->current_hash[0]) {
        char h[DLTC_SCHEMA_HASH_LEN + 1];
        if (content_hash(s, h)) return NULL;
        memcpy(s->current_hash, h, sizeof(h));
        s->dirty = 0;
    }
    return s->current_hash;
}

/* dlt's bump_version_if_modified, decided without touching the schema: a schema never
 * saved keeps its version (1 when unset); a changed one gets version + 1 and the old hash in
 * front of previous_hashes (max 10, not repeated). */
typedef struct {
    int64_t version;
    char *push; /* old hash to put in front of previous_hashes (owned), NULL = none */
} bump_plan;

static int plan_bump(const dltc_schema *s, const char *hash, bump_plan *p)
{
    p->version = s->version;
    p->push = NULL;
    if (!s->version_hash[0]) {
        if (p->version <= 0) p->version = 1;
        return 0;
    }
    if (strcmp(hash, s->version_hash) == 0) return 0;
    p->version++;
    for (size_t i = 0; i < s->nprevious; i++)
        if (strcmp(s->previous_hashes[i], s->version_hash) == 0) return 0;
    p->push = dltc__strdup(s->version_hash);
    return p->push ? 0 : dltc__error_oom();
}

static void apply_bump(dltc_schema *s, const char *hash, bump_plan *p)
{
    if (p->push) {
        if (s->nprevious == MAX_PREVIOUS_HASHES) dltc__free(s->previous_hashes[--s->nprevious]);
        memmove(s->previous_hashes + 1, s->previous_hashes,
                s->nprevious * sizeof(s->previous_hashes[0]));
        s->previous_hashes[0] = p->push;
        s->nprevious++;
        p->push = NULL;
    }
    s->version = p->version;
    memcpy(s->version_hash, hash, strlen(hash) + 1);
}

/* Write the planned version, hash and previous hashes into a document built before. */
static int patch_versions(dltc_arena *a, dltc_value *doc, const dltc_schema *s, const char *hash,
                          const bump_plan *p)
{
    dltc_value prev = v_new(DLTC_TYPE_ARRAY);
    int rc = 0;
    if (p->push) rc = push(a, &prev, v_str(p->push));
    for (size_t i = 0; !rc && i < s->nprevious && prev.len < MAX_PREVIOUS_HASHES; i++)
        rc = push(a, &prev, v_str(s->previous_hashes[i]));
    if (!rc) rc = put(a, doc, "version", v_int(p->version));
    if (!rc) rc = put(a, doc, "version_hash", v_str(hash));
    if (!rc) rc = put(a, doc, "previous_hashes", prev);
    return rc;
}

/* ---- pretty JSON (orjson OPT_INDENT_2) ---- */

static int indent(dltc_buf *b, int n)
{
    int rc = dltc__buf_reserve(b, (size_t)n + 1);
    if (rc) return rc;
    memset(b->data + b->len, ' ', (size_t)n);
    b->len += (size_t)n;
    b->data[b->len] = '\0';
    return 0;
}

static int write_pretty(dltc_buf *b, const dltc_value *v, int level)
{
    int rc;
    if (level > DOC_MAX_DEPTH * 2)
        return dltc__error_set(DLTC_ELIMIT, "schema document nested too deeply");
    if ((v->type != DLTC_TYPE_ARRAY && v->type != DLTC_TYPE_OBJECT) || v->len == 0)
        return write_leaf(b, v);
    int is_obj = v->type == DLTC_TYPE_OBJECT;
    if ((rc = dltc__buf_puts(b, is_obj ? "{\n" : "[\n"))) return rc;
    for (uint32_t i = 0; i < v->len; i++) {
        if ((rc = indent(b, 2 * (level + 1)))) return rc;
        if (is_obj) {
            const dltc_member *m = &v->u.obj[i];
            if ((rc = dltc__json_write_string(b, m->key, m->klen)) ||
                (rc = dltc__buf_put(b, ": ", 2)) || (rc = write_pretty(b, &m->val, level + 1)))
                return rc;
        } else if ((rc = write_pretty(b, &v->u.arr[i], level + 1))) {
            return rc;
        }
        if ((rc = dltc__buf_puts(b, i + 1 < v->len ? ",\n" : "\n"))) return rc;
    }
    if ((rc = indent(b, 2 * level))) return rc;
    return dltc__buf_putc(b, is_obj ? '}' : ']');
}

int dltc__schema_json_pretty(dltc_buf *b, const dltc_value *v)
{
    return write_pretty(b, v, 0);
}

/* ---- export ---- */

int dltc_schema_export(char **out, dltc_schema *s, dltc_schema_format format, int remove_defaults)
{
    if (format != DLTC_SCHEMA_JSON && format != DLTC_SCHEMA_YAML)
        return dltc__error_set(DLTC_EINVALID, "unknown schema format %d", (int)format);
    char h[DLTC_SCHEMA_HASH_LEN + 1];
    int rc = content_hash(s, h);
    if (rc) return rc;
    bump_plan plan;
    if ((rc = plan_bump(s, h, &plan))) return rc;

    /* the schema changes only once the text exists */
    dltc_arena a;
    dltc__arena_init(&a, 64 * 1024);
    dltc_buf b = DLTC_BUF_INIT;
    dltc_value *doc;
    rc = dltc__schema_to_dom(s, &a, !remove_defaults, &doc);
    if (!rc) rc = patch_versions(&a, doc, s, h, &plan);
    if (!rc) rc = format == DLTC_SCHEMA_JSON ? write_pretty(&b, doc, 0) : dltc__yaml_emit(&b, doc);
    dltc__arena_free(&a);
    if (!rc && !b.data) rc = dltc__buf_reserve(&b, 1);
    if (rc) {
        dltc__free(plan.push);
        dltc__buf_free(&b);
        return rc;
    }
    apply_bump(s, h, &plan);
    memcpy(s->current_hash, h, sizeof(h));
    s->dirty = 0;
    *out = dltc__buf_detach(&b);
    return 0;
}

/* ---- schema_updates.json ---- */

int dltc__schema_updates_json(const dltc_schema *s, dltc_buf *b)
{
    dltc_arena a;
    dltc__arena_init(&a, 16 * 1024);
    dltc_value root = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    for (size_t i = 0; !rc && i < s->ntables; i++) {
        const dltc_table *t = s->tables[i];
        dltc_value part;
        if (!t->committed) {
            /* a new table goes whole (dlt stores the partial it created the table from) */
            rc = table_dom(&a, t, 1, 0, &part);
        } else if (t->committed_ncols < t->ncols) {
            /* dlt's diff_table of an existing table: the name and the new columns */
            dltc_value cols = v_new(DLTC_TYPE_OBJECT);
            part = v_new(DLTC_TYPE_OBJECT);
            for (size_t k = t->committed_ncols; !rc && k < t->ncols; k++) {
                dltc_value c;
                if (!(rc = column_dom(&a, &t->cols[k], 1, &c)))
                    rc = put(&a, &cols, t->cols[k].name, c);
            }
            if (!rc) rc = put(&a, &part, "name", v_str(t->name));
            if (!rc) rc = put(&a, &part, "columns", cols);
        } else {
            continue;
        }
        if (!rc) rc = put(&a, &root, t->name, part);
    }
    if (!rc) rc = dltc__json_write(b, &root);
    dltc__arena_free(&a);
    return rc;
}

/* ---- import ---- */

typedef struct {
    dltc_arena *a;
    dltc_schema *s;
} importer;

/* Text of an object of kept keys, NULL when it is empty. */
static int extra_text(const dltc_value *obj, char **out)
{
    *out = NULL;
    if (obj->len == 0) return 0;
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__json_write(&b, obj);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return 0;
}

static int keep(importer *im, dltc_value *extra, const dltc_member *m)
{
    return dltc__object_set(im->a, extra, m->key, m->klen, &m->val);
}

static int key_is(const dltc_member *m, const char *k)
{
    return m->klen == strlen(k) && memcmp(m->key, k, m->klen) == 0;
}

static int dup_field(char **dst, const dltc_value *v)
{
    dltc__free(*dst);
    *dst = dltc__strndup(v->u.s, v->len);
    return *dst ? 0 : dltc__error_oom();
}

/* dlt's simple_regex_validator: "re:" + a regex, or a plain name that does not start like
 * a regex. (re: patterns are compiled when added.) */
static int check_simple_regex(const char *p, const char *where)
{
    if (strncmp(p, "re:", 3) == 0 || !*p) return 0;
    char c = p[0];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
        return 0;
    return dltc__error_set(DLTC_EINVALID,
                           "%s: '%s' looks like a regex, please prefix it with re:", where, p);
}

int dltc__column_parse(dltc_arena *a, const char *table, const char *name,
                       const dltc_value *cv, dltc_column *c)
{
    if (cv->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "table '%s' column '%s': not a mapping", table, name);
    memset(c, 0, sizeof(*c));
    c->name = (char *)name;
    c->nullable = -1; /* not stated: written back only if it was in the document */
    c->timezone = -1;
    c->precision = c->scale = -1;
    importer im = {a, NULL};
    dltc_value extra = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    for (uint32_t i = 0; !rc && i < cv->len; i++) {
        const dltc_member *m = &cv->u.obj[i];
        const dltc_value *v = &m->val;
        uint32_t bit = 0;
        for (unsigned h = 0; h < DLTC_HINT__COUNT && !bit; h++)
            if (key_is(m, dltc__hint_name(h))) bit = 1u << h;
        if (key_is(m, "name")) {
            continue; /* the mapping key is the name (dlt's apply_defaults) */
        } else if (key_is(m, "data_type") && v->type == DLTC_TYPE_STRING) {
            int dt = dltc__data_type_parse(v->u.s);
            if (dt == DLTC_DT_UNSET)
                rc = dltc__error_set(DLTC_EINVALID,
                                     "table '%s' column '%s': unknown data type '%s'", table,
                                     name, v->u.s);
            c->data_type = (uint8_t)dt;
        } else if (key_is(m, "nullable") && v->type == DLTC_TYPE_BOOL) {
            c->nullable = (int8_t)v->u.i;
        } else if (key_is(m, "timezone") && v->type == DLTC_TYPE_BOOL) {
            c->timezone = (int8_t)v->u.i;
        } else if ((key_is(m, "precision") || key_is(m, "scale")) && v->type == DLTC_TYPE_INT &&
                   v->u.i >= 0 && v->u.i <= INT32_MAX) {
            *(key_is(m, "scale") ? &c->scale : &c->precision) = (int32_t)v->u.i;
        } else if (bit && v->type == DLTC_TYPE_BOOL) {
            c->hints_set |= bit;
            if (v->u.i) c->hints |= bit;
        } else if (key_is(m, "dedup_sort") && is_str(v) &&
                   (strcmp(v->u.s, "asc") == 0 || strcmp(v->u.s, "desc") == 0)) {
            c->dedup_sort = (char *)v->u.s;
        } else if (key_is(m, "description") && is_str(v)) {
            c->description = (char *)v->u.s;
        } else if (v->type != DLTC_TYPE_NULL &&
                   (bit || key_is(m, "data_type") || key_is(m, "nullable") ||
                    key_is(m, "timezone") || key_is(m, "precision") || key_is(m, "scale") ||
                    key_is(m, "dedup_sort") || key_is(m, "description"))) {
            rc = dltc__error_set(DLTC_EINVALID, "table '%s' column '%s': invalid value of '%s'",
                                 table, name, m->key);
        } else {
            rc = keep(&im, &extra, m); /* x- hints and unknown keys */
        }
    }
    if (!rc) rc = extra_text(&extra, &c->extra_json);
    return rc;
}

static int import_column(importer *im, dltc_table *t, const dltc_member *cm)
{
    dltc_column c;
    int rc = dltc__column_parse(im->a, t->name, cm->key, &cm->val, &c);
    if (!rc) {
        long idx = dltc__table_add_column(im->s, t, &c);
        if (idx < 0) rc = (int)idx;
    }
    dltc__free(c.extra_json);
    return rc;
}

static int import_x_normalizer(importer *im, dltc_table *t, const dltc_member *xm,
                               dltc_value *extra)
{
    const dltc_value *v = &xm->val;
    if (v->type != DLTC_TYPE_OBJECT || v->len == 0) return keep(im, extra, xm);
    dltc_value rest = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    for (uint32_t i = 0; !rc && i < v->len; i++) {
        const dltc_member *m = &v->u.obj[i];
        if (key_is(m, "seen-data") && m->val.type == DLTC_TYPE_BOOL && m->val.u.i)
            t->seen_data = 1;
        else if (key_is(m, "max_nesting") && m->val.type == DLTC_TYPE_INT && m->val.u.i >= 0 &&
                 m->val.u.i <= INT32_MAX)
            t->max_nesting = (int)m->val.u.i;
        else
            rc = keep(im, &rest, m);
    }
    if (!rc && rest.len) rc = put(im->a, extra, "x-normalizer", rest);
    return rc;
}

static int import_table(importer *im, const dltc_member *tm)
{
    const dltc_value *tv = &tm->val;
    if (tv->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "table '%s': not a mapping", tm->key);
    const dltc_value *parent = get(tv, "parent");
    if (parent && parent->type != DLTC_TYPE_STRING && parent->type != DLTC_TYPE_NULL)
        return dltc__error_set(DLTC_EINVALID, "table '%s': parent must be a string", tm->key);
    dltc_table *t;
    int rc = dltc__schema_add_table(im->s, tm->key, is_str(parent) ? parent->u.s : NULL, &t);
    if (rc) return rc;
    dltc_value extra = v_new(DLTC_TYPE_OBJECT);
    for (uint32_t i = 0; !rc && i < tv->len; i++) {
        const dltc_member *m = &tv->u.obj[i];
        const dltc_value *v = &m->val;
        char **field = NULL;
        if (key_is(m, "resource"))
            field = &t->resource;
        else if (key_is(m, "write_disposition"))
            field = &t->write_disposition;
        else if (key_is(m, "description"))
            field = &t->description;
        else if (key_is(m, "x-merge-strategy"))
            field = &t->merge_strategy;
        else if (key_is(m, "file_format"))
            field = &t->file_format;
        else if (key_is(m, "table_format"))
            field = &t->table_format;

        if (key_is(m, "name") || (key_is(m, "parent") && is_str(v))) {
            continue;
        } else if (key_is(m, "columns")) {
            if (v->type == DLTC_TYPE_NULL) continue;
            if (v->type != DLTC_TYPE_OBJECT)
                return dltc__error_set(DLTC_EINVALID, "table '%s': columns must be a mapping",
                                       tm->key);
            for (uint32_t k = 0; !rc && k < v->len; k++)
                rc = import_column(im, t, &v->u.obj[k]);
        } else if (field && is_str(v)) {
            if (field == &t->write_disposition && strcmp(v->u.s, "append") != 0 &&
                strcmp(v->u.s, "replace") != 0 && strcmp(v->u.s, "merge") != 0 &&
                strcmp(v->u.s, "skip") != 0)
                return dltc__error_set(DLTC_EINVALID, "table '%s': invalid write_disposition '%s'",
                                       tm->key, v->u.s);
            rc = dup_field(field, v);
        } else if (field && v->type != DLTC_TYPE_NULL) {
            return dltc__error_set(DLTC_EINVALID, "table '%s': %s must be a string", tm->key,
                                   m->key);
        } else if (key_is(m, "x-normalizer")) {
            rc = import_x_normalizer(im, t, m, &extra);
        } else {
            rc = keep(im, &extra, m);
        }
    }
    if (!rc) rc = extra_text(&extra, &t->extra_json);
    return rc;
}

/* An entry with no patterns for `hint`, so the document's order is kept even for []. */
static int ensure_default_hint(dltc_schema *s, const char *hint)
{
    for (size_t i = 0; i < s->ndefault_hints; i++)
        if (strcmp(s->default_hints[i].hint, hint) == 0) return 0;
    dltc_default_hint *h = dltc__realloc(s->default_hints, (s->ndefault_hints + 1) * sizeof(*h));
    if (!h) return dltc__error_oom();
    s->default_hints = h;
    dltc_default_hint *d = &h[s->ndefault_hints];
    memset(d, 0, sizeof(*d));
    if (!(d->hint = dltc__strdup(hint))) return dltc__error_oom();
    s->ndefault_hints++;
    return 0;
}

static int import_settings(importer *im, const dltc_value *v)
{
    dltc_schema *s = im->s;
    if (!v || v->type == DLTC_TYPE_NULL) return 0;
    if (v->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "settings must be a mapping");
    dltc_value extra = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    for (uint32_t i = 0; !rc && i < v->len; i++) {
        const dltc_member *m = &v->u.obj[i];
        const dltc_value *x = &m->val;
        if (key_is(m, "detections") && x->type == DLTC_TYPE_ARRAY && x->len) {
            s->detections = dltc__calloc(x->len, sizeof(char *));
            if (!s->detections) return dltc__error_oom();
            for (uint32_t k = 0; k < x->len; k++) {
                if (!is_str(&x->u.arr[k]))
                    return dltc__error_set(DLTC_EINVALID, "settings.detections: not a string");
                if (!(s->detections[k] = dltc__strndup(x->u.arr[k].u.s, x->u.arr[k].len)))
                    return dltc__error_oom();
                s->ndetections++;
            }
        } else if (key_is(m, "default_hints") && x->type == DLTC_TYPE_OBJECT && x->len) {
            for (uint32_t k = 0; !rc && k < x->len; k++) {
                const dltc_member *h = &x->u.obj[k];
                if (h->val.type != DLTC_TYPE_ARRAY)
                    return dltc__error_set(DLTC_EINVALID,
                                           "settings.default_hints.%s must be a list", h->key);
                rc = ensure_default_hint(s, h->key);
                for (uint32_t p = 0; !rc && p < h->val.len; p++) {
                    const dltc_value *pv = &h->val.u.arr[p];
                    if (!is_str(pv))
                        return dltc__error_set(DLTC_EINVALID,
                                               "settings.default_hints.%s: not a string", h->key);
                    if (!(rc = check_simple_regex(pv->u.s, "settings.default_hints")))
                        rc = dltc__schema_add_default_hint(s, h->key, pv->u.s);
                }
            }
        } else if (key_is(m, "preferred_types") && x->type == DLTC_TYPE_OBJECT && x->len) {
            for (uint32_t k = 0; !rc && k < x->len; k++) {
                const dltc_member *p = &x->u.obj[k];
                int dt = is_str(&p->val) ? dltc__data_type_parse(p->val.u.s) : DLTC_DT_UNSET;
                if (dt == DLTC_DT_UNSET)
                    return dltc__error_set(
                        DLTC_EINVALID, "settings.preferred_types.%s: unknown data type", p->key);
                if (!(rc = check_simple_regex(p->key, "settings.preferred_types")))
                    rc = dltc__schema_add_preferred_type(s, p->key, dt);
            }
        } else if ((key_is(m, "detections") && x->type != DLTC_TYPE_ARRAY) ||
                   ((key_is(m, "default_hints") || key_is(m, "preferred_types")) &&
                    x->type != DLTC_TYPE_OBJECT)) {
            if (x->type != DLTC_TYPE_NULL)
                return dltc__error_set(DLTC_EINVALID, "settings.%s has an invalid type", m->key);
            rc = keep(im, &extra, m);
        } else {
            rc = keep(im, &extra, m); /* schema_contract, empty collections, unknown keys */
        }
    }
    return rc ? rc : extra_text(&extra, &s->settings_extra_json);
}

/* normalizers.json.config.propagation: the tables with {_dlt_id: _dlt_root_id} become
 * propagation roots; any other mapping is kept as it is. */
static int import_propagation(importer *im, const dltc_value *v, dltc_value *rest)
{
    int rc = 0;
    for (uint32_t i = 0; !rc && i < v->len; i++) {
        const dltc_member *m = &v->u.obj[i];
        if (!key_is(m, "tables") || m->val.type != DLTC_TYPE_OBJECT || m->val.len == 0) {
            rc = keep(im, rest, m);
            continue;
        }
        dltc_value trest = v_new(DLTC_TYPE_OBJECT);
        for (uint32_t k = 0; !rc && k < m->val.len; k++) {
            const dltc_member *tm = &m->val.u.obj[k];
            const dltc_value *id =
                tm->val.type == DLTC_TYPE_OBJECT ? get(&tm->val, "_dlt_id") : NULL;
            if (!is_str(id) || strcmp(id->u.s, "_dlt_root_id") != 0) {
                rc = keep(im, &trest, tm);
                continue;
            }
            char *name = dltc__strndup(tm->key, tm->klen);
            if (!name) return dltc__error_oom();
            rc = dltc__schema_add_propagation(im->s, name);
            dltc__free(name);
            dltc_value other = v_new(DLTC_TYPE_OBJECT);
            for (uint32_t j = 0; !rc && j < tm->val.len; j++)
                if (!key_is(&tm->val.u.obj[j], "_dlt_id")) rc = keep(im, &other, &tm->val.u.obj[j]);
            if (!rc && other.len) rc = dltc__object_set(im->a, &trest, tm->key, tm->klen, &other);
        }
        if (!rc && trest.len) rc = dltc__object_set(im->a, rest, m->key, m->klen, &trest);
    }
    return rc;
}

static int import_json_config(importer *im, const dltc_value *v, dltc_value *rest)
{
    dltc_schema *s = im->s;
    int rc = 0;
    for (uint32_t i = 0; !rc && i < v->len; i++) {
        const dltc_member *m = &v->u.obj[i];
        const dltc_value *x = &m->val;
        if (key_is(m, "max_nesting") && x->type == DLTC_TYPE_INT && x->u.i >= 0 &&
            x->u.i <= INT32_MAX) {
            s->max_nesting = (int)x->u.i;
        } else if (key_is(m, "root_key_propagation") && x->type == DLTC_TYPE_BOOL) {
            s->root_key_propagation = (int)x->u.i;
        } else if (key_is(m, "propagation") && x->type == DLTC_TYPE_OBJECT && x->len) {
            dltc_value prest = v_new(DLTC_TYPE_OBJECT);
            rc = import_propagation(im, x, &prest);
            if (!rc && prest.len) rc = dltc__object_set(im->a, rest, m->key, m->klen, &prest);
        } else {
            rc = keep(im, rest, m);
        }
    }
    return rc;
}

static int import_normalizers(importer *im, const dltc_value *v)
{
    dltc_schema *s = im->s;
    if (!v || v->type == DLTC_TYPE_NULL) return 0;
    if (v->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "normalizers must be a mapping");
    dltc_value extra = v_new(DLTC_TYPE_OBJECT);
    int rc = 0;
    for (uint32_t i = 0; !rc && i < v->len; i++) {
        const dltc_member *m = &v->u.obj[i];
        const dltc_value *x = &m->val;
        if (key_is(m, "names") && is_str(x)) {
            const dltc_naming *n = dltc__naming_get(x->u.s, 0);
            if (!n && strcmp(x->u.s, LEGACY_SNAKE_CASE) == 0) n = dltc__naming_get("snake_case", 0);
            if (!n) {
                dltc__error_prefix("normalizers.names: ");
                return dltc_error_last()->code;
            }
            s->naming = n;
            rc = dup_field(&s->naming_name, x);
        } else if (key_is(m, "use_break_path_on_normalize") && x->type == DLTC_TYPE_BOOL) {
            s->use_break_path = (int)x->u.i;
        } else if (key_is(m, "json") && x->type == DLTC_TYPE_OBJECT && x->len) {
            dltc_value jrest = v_new(DLTC_TYPE_OBJECT);
            for (uint32_t k = 0; !rc && k < x->len; k++) {
                const dltc_member *jm = &x->u.obj[k];
                if (key_is(jm, "module") && is_str(&jm->val)) {
                    rc = dup_field(&s->json_module, &jm->val);
                } else if (key_is(jm, "config") && jm->val.type == DLTC_TYPE_OBJECT &&
                           jm->val.len) {
                    dltc_value crest = v_new(DLTC_TYPE_OBJECT);
                    rc = import_json_config(im, &jm->val, &crest);
                    if (!rc && crest.len)
                        rc = dltc__object_set(im->a, &jrest, jm->key, jm->klen, &crest);
                } else {
                    rc = keep(im, &jrest, jm);
                }
            }
            if (!rc && jrest.len) rc = dltc__object_set(im->a, &extra, m->key, m->klen, &jrest);
        } else {
            rc = keep(im, &extra, m);
        }
    }
    return rc ? rc : extra_text(&extra, &s->normalizers_extra_json);
}

/* dlt's is_valid_schema_name: a Python identifier of at most 64 characters. */
static int valid_schema_name(const char *s, size_t len)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok) return 0;
        chars += (c & 0xC0) != 0x80;
    }
    return len > 0 && chars <= 64;
}

static int import_doc(dltc_schema **out, const dltc_value *doc, dltc_arena *a)
{
    static const char *const known[] = {"version",     "version_hash",    "engine_version",
                                        "name",        "tables",          "settings",
                                        "normalizers", "previous_hashes", "imported_version_hash",
                                        "description"};
    if (doc->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "schema document must be a mapping");
    const dltc_value *ev = get(doc, "engine_version");
    if (!ev || ev->type != DLTC_TYPE_INT)
        return dltc__error_set(DLTC_EINVALID, "schema document has no integer engine_version");
    if (ev->u.i != DLTC_SCHEMA_ENGINE_VERSION)
        return dltc__error_set(
            DLTC_EINVALID,
            "schema engine version %" PRId64 " is not supported: dltc reads engine version %d "
            "(dlt 1.x)%s",
            ev->u.i, DLTC_SCHEMA_ENGINE_VERSION,
            ev->u.i < DLTC_SCHEMA_ENGINE_VERSION ? "; load and save it once with dlt to upgrade it"
                                                 : "");
    const dltc_value *name = get(doc, "name");
    if (!is_str(name) || !valid_schema_name(name->u.s, name->len))
        return dltc__error_set(DLTC_EINVALID,
                               "schema name must be an identifier of at most 64 characters");
    for (uint32_t i = 0; i < doc->len; i++) {
        int ok = 0;
        for (size_t k = 0; k < sizeof(known) / sizeof(known[0]) && !ok; k++)
            ok = key_is(&doc->u.obj[i], known[k]);
        if (!ok)
            return dltc__error_set(DLTC_EINVALID, "schema '%s': unexpected key '%s'", name->u.s,
                                   doc->u.obj[i].key);
    }
    const dltc_value *tables = get(doc, "tables");
    if (!tables || tables->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "schema '%s': tables must be a mapping", name->u.s);

    dltc_schema *s;
    int rc = dltc__schema_create(&s, name->u.s, 0);
    if (rc) return rc;
    importer im = {a, s};
    const dltc_value *v;
    if ((v = get(doc, "version")) && v->type != DLTC_TYPE_NULL) {
        if (v->type != DLTC_TYPE_INT)
            rc = dltc__error_set(DLTC_EINVALID, "version must be an integer");
        s->version = v->u.i;
    }
    if (!rc && (v = get(doc, "version_hash")) && v->type != DLTC_TYPE_NULL) {
        if (!is_str(v) || v->len >= sizeof(s->version_hash))
            rc = dltc__error_set(DLTC_EINVALID, "version_hash must be a version hash string");
        else
            memcpy(s->version_hash, v->u.s, v->len + 1);
    }
    if (!rc && (v = get(doc, "previous_hashes")) && v->type != DLTC_TYPE_NULL) {
        if (v->type != DLTC_TYPE_ARRAY)
            rc = dltc__error_set(DLTC_EINVALID, "previous_hashes must be a list");
        for (uint32_t i = 0; !rc && i < v->len && s->nprevious < MAX_PREVIOUS_HASHES; i++) {
            if (!is_str(&v->u.arr[i]))
                rc = dltc__error_set(DLTC_EINVALID, "previous_hashes: not a string");
            else if (!(s->previous_hashes[s->nprevious] = dltc__strdup(v->u.arr[i].u.s)))
                rc = dltc__error_oom();
            else
                s->nprevious++;
        }
    }
    if (!rc && (v = get(doc, "imported_version_hash")) && is_str(v))
        rc = dup_field(&s->imported_version_hash, v);
    if (!rc && (v = get(doc, "description")) && is_str(v)) rc = dup_field(&s->description, v);
    if (!rc) rc = import_settings(&im, get(doc, "settings"));
    if (!rc) rc = import_normalizers(&im, get(doc, "normalizers"));
    for (uint32_t i = 0; !rc && i < tables->len; i++)
        rc = import_table(&im, &tables->u.obj[i]);
    for (size_t i = 0; !rc && i < s->ntables; i++) {
        const char *p = s->tables[i]->parent;
        if (p && !dltc__schema_table(s, p, strlen(p)))
            rc = dltc__error_set(DLTC_EINVALID, "schema '%s': table '%s' has unknown parent '%s'",
                                 s->name, s->tables[i]->name, p);
    }
    if (!rc &&
        (!dltc__schema_table(s, "_dlt_version", 12) || !dltc__schema_table(s, "_dlt_loads", 10)))
        rc = dltc__error_set(DLTC_EINVALID,
                             "schema '%s' is corrupted: it must contain tables _dlt_version and "
                             "_dlt_loads",
                             s->name);
    if (rc) {
        dltc_schema_free(s);
        return rc;
    }
    dltc__schema_commit_updates(s);
    s->dirty = 1;
    s->current_hash[0] = '\0';
    *out = s;
    return 0;
}

/* dlt's apply_defaults on a loaded document: names from the mapping keys, root tables get
 * write_disposition "append" and resource = table name when missing. */
static int dom_apply_defaults(dltc_arena *a, dltc_value *doc)
{
    dltc_value *tables = (dltc_value *)get(doc, "tables");
    int rc = 0;
    for (uint32_t i = 0; !rc && tables && i < tables->len; i++) {
        dltc_member *tm = &tables->u.obj[i];
        dltc_value *t = &tm->val, name;
        if (t->type != DLTC_TYPE_OBJECT) continue;
        dltc__value_set_type(&name, DLTC_TYPE_STRING);
        name.u.s = tm->key;
        name.len = tm->klen;
        rc = dltc__object_set(a, t, "name", 4, &name);
        dltc_value *cols = (dltc_value *)get(t, "columns");
        for (uint32_t k = 0; !rc && cols && cols->type == DLTC_TYPE_OBJECT && k < cols->len; k++) {
            dltc_member *cm = &cols->u.obj[k];
            if (cm->val.type != DLTC_TYPE_OBJECT) continue;
            dltc_value cname;
            dltc__value_set_type(&cname, DLTC_TYPE_STRING);
            cname.u.s = cm->key;
            cname.len = cm->klen;
            rc = dltc__object_set(a, &cm->val, "name", 4, &cname);
        }
        const dltc_value *parent = get(t, "parent");
        if (rc || (is_str(parent) && parent->len) ||
            (parent && parent->type != DLTC_TYPE_STRING && parent->type != DLTC_TYPE_NULL))
            continue;
        const dltc_value *wd = get(t, "write_disposition"), *res = get(t, "resource");
        if (!wd || wd->type == DLTC_TYPE_NULL) rc = put(a, t, "write_disposition", v_str("append"));
        if (!rc && (!res || res->type == DLTC_TYPE_NULL))
            rc = dltc__object_set(a, t, "resource", 8, &name);
    }
    return rc;
}

/* As dlt's Schema.from_dict: the loaded document (with defaults applied) is hashed and the
 * version bumped when the stored hash does not match (a hand-edited file). */
static int bump_on_load(dltc_schema *s, dltc_arena *a, dltc_value *doc)
{
    char h[DLTC_SCHEMA_HASH_LEN + 1];
    bump_plan plan;
    int rc = dom_apply_defaults(a, doc);
    if (!rc) rc = dltc__schema_dom_hash(doc, h);
    if (!rc) rc = plan_bump(s, h, &plan);
    if (!rc) apply_bump(s, h, &plan);
    return rc;
}

int dltc_schema_import(dltc_schema **out, const char *text, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    dltc_arena a;
    dltc__arena_init(&a, 64 * 1024);
    dltc_value *doc;
    dltc_schema *s = NULL;
    int rc;
    if (i < len && text[i] == '{') {
        dltc_json_error err;
        rc = dltc__json_parse(&a, text, len, DOC_MAX_DEPTH, &doc, &err);
        if (rc) dltc__error_prefix("schema JSON: ");
    } else {
        rc = dltc__yaml_parse(&a, text, len, DOC_MAX_DEPTH, &doc);
        if (rc) dltc__error_prefix("schema YAML: ");
    }
    if (!rc) rc = import_doc(&s, doc, &a);
    if (!rc && (rc = bump_on_load(s, &a, doc)) != 0) dltc_schema_free(s);
    dltc__arena_free(&a);
    if (!rc) *out = s;
    return rc;
}
