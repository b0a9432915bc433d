/* The schema model: tables, columns, default hints, preferred types, propagation. */
#include "schema/schema.h"
#include "common/alloc.h"
#include "common/error.h"
#include "formats/json.h"

#include <regex.h>
#include <string.h>

static const char *const DT_NAMES[DLTC_DT__COUNT] = {
    NULL, "text", "double", "bool", "timestamp", "bigint", "binary",
    "json", "decimal", "wei", "date", "time"};

const char *dltc__data_type_name(int dt)
{
    return (dt > 0 && dt < DLTC_DT__COUNT) ? DT_NAMES[dt] : NULL;
}

int dltc__data_type_parse(const char *s)
{
    if (!s)
        return DLTC_DT_UNSET;
    if (strcmp(s, "complex") == 0)
        return DLTC_DT_JSON;
    for (int i = 1; i < DLTC_DT__COUNT; i++)
        if (strcmp(s, DT_NAMES[i]) == 0)
            return i;
    return DLTC_DT_UNSET;
}

static const char *const HINT_NAMES[DLTC_HINT__COUNT] = {
    "partition", "cluster", "primary_key", "sort", "unique", "merge_key",
    "row_key", "parent_key", "root_key", "hard_delete", "incremental", "variant"};

const char *dltc__hint_name(unsigned i)
{
    return i < DLTC_HINT__COUNT ? HINT_NAMES[i] : NULL;
}

uint32_t dltc__hint_parse(const char *name)
{
    for (unsigned i = 0; i < DLTC_HINT__COUNT; i++)
        if (strcmp(name, HINT_NAMES[i]) == 0)
            return 1u << i;
    if (strcmp(name, "foreign_key") == 0) /* pre-1.0 name of parent_key */
        return DLTC_HINT_PARENT_KEY;
    return 0;
}

/* ---- simple regexes ---- */

/* On failure nothing is left allocated in `r`. */
static int regex_init(dltc_simple_regex *r, const char *pattern)
{
    r->pattern = NULL;
    r->regex = NULL;
    if (strncmp(pattern, "re:", 3) == 0) {
        regex_t *re = dltc__malloc(sizeof(regex_t));
        if (!re)
            return dltc__error_oom();
        if (regcomp(re, pattern + 3, REG_EXTENDED | REG_NOSUB) != 0) {
            dltc__free(re);
            return dltc__error_set(DLTC_EINVALID, "invalid regex in schema: '%s'", pattern);
        }
        r->regex = re;
    }
    r->pattern = dltc__strdup(pattern);
    if (!r->pattern) {
        if (r->regex) {
            regfree(r->regex);
            dltc__free(r->regex);
            r->regex = NULL;
        }
        return dltc__error_oom();
    }
    return 0;
}

static void regex_clear(dltc_simple_regex *r)
{
    if (r->regex) {
        regfree(r->regex);
        dltc__free(r->regex);
    }
    dltc__free(r->pattern);
}

int dltc__simple_regex_match(const dltc_simple_regex *r, const char *name, size_t len)
{
    if (!r->regex)
        return strlen(r->pattern) == len && memcmp(r->pattern, name, len) == 0;
    char tmp[512];
    if (len >= sizeof(tmp)) {
        char *heap = dltc__strndup(name, len);
        int m = heap && regexec(r->regex, heap, 0, NULL, 0) == 0;
        dltc__free(heap);
        return m;
    }
    memcpy(tmp, name, len);
    tmp[len] = '\0';
    return regexec(r->regex, tmp, 0, NULL, 0) == 0;
}

/* ---- columns ---- */

void dltc__column_clear(dltc_column *c)
{
    dltc__free(c->name);
    dltc__free(c->dedup_sort);
    dltc__free(c->description);
    dltc__free(c->extra_json);
    memset(c, 0, sizeof(*c));
}

static int dupopt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = dltc__strdup(src);
    return *dst ? 0 : dltc__error_oom();
}

int dltc__column_copy(dltc_column *dst, const dltc_column *src)
{
    *dst = *src;
    dst->name = dst->dedup_sort = dst->description = dst->extra_json = NULL;
    if (dupopt(&dst->name, src->name) || dupopt(&dst->dedup_sort, src->dedup_sort) ||
        dupopt(&dst->description, src->description) || dupopt(&dst->extra_json, src->extra_json)) {
        dltc__column_clear(dst);
        return DLTC_ENOMEM;
    }
    return 0;
}

long dltc__table_add_column(dltc_schema *s, dltc_table *t, const dltc_column *col)
{
    if (t->ncols == t->capcols) {
        size_t cap = t->capcols ? t->capcols * 2 : 8;
        dltc_column *c = dltc__realloc(t->cols, cap * sizeof(*c));
        if (!c)
            return dltc__error_oom();
        t->cols = c;
        t->capcols = cap;
    }
    dltc_column *c = &t->cols[t->ncols];
    int rc = dltc__column_copy(c, col);
    if (rc)
        return rc;
    rc = dltc__strmap_put(&t->colmap, c->name, strlen(c->name), t->ncols);
    if (rc) {
        dltc__column_clear(c);
        return rc;
    }
    s->dirty = 1;
    return (long)t->ncols++;
}

long dltc__table_new_column(dltc_schema *s, dltc_table *t, const char *name, size_t len,
                            int data_type, uint32_t extra_hints)
{
    dltc_column c;
    memset(&c, 0, sizeof(c));
    char stackname[256];
    char *nm = len < sizeof(stackname) ? stackname : dltc__malloc(len + 1);
    if (!nm)
        return dltc__error_oom();
    memcpy(nm, name, len);
    nm[len] = '\0';
    c.name = nm;
    c.data_type = (uint8_t)data_type;
    c.nullable = 1;
    c.timezone = -1;
    c.precision = c.scale = -1;
    c.hints = extra_hints;
    c.hints_set = extra_hints;
    for (size_t i = 0; i < s->ndefault_hints; i++) {
        dltc_default_hint *h = &s->default_hints[i];
        int match = 0;
        for (size_t k = 0; k < h->npats && !match; k++)
            match = dltc__simple_regex_match(&h->pats[k], name, len);
        if (!match)
            continue;
        if (strcmp(h->hint, "not_null") == 0) {
            c.nullable = 0;
        } else {
            uint32_t bit = dltc__hint_parse(h->hint);
            c.hints |= bit;
            c.hints_set |= bit;
        }
    }
    long idx = dltc__table_add_column(s, t, &c);
    if (nm != stackname)
        dltc__free(nm);
    return idx;
}

/* ---- tables ---- */

void dltc__table_free(dltc_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        dltc__column_clear(&t->cols[i]);
    dltc__free(t->cols);
    dltc__strmap_free(&t->colmap);
    dltc__free(t->name);
    dltc__free(t->parent);
    dltc__free(t->resource);
    dltc__free(t->write_disposition);
    dltc__free(t->description);
    dltc__free(t->merge_strategy);
    dltc__free(t->file_format);
    dltc__free(t->table_format);
    dltc__free(t->extra_json);
    dltc__free(t);
}

int dltc__table_clone(const dltc_table *src, dltc_table **out)
{
    *out = NULL;
    dltc_table *t = dltc__calloc(1, sizeof(*t));
    if (!t)
        return dltc__error_oom();
    t->seen_data = src->seen_data;
    t->max_nesting = src->max_nesting;
    int rc = dupopt(&t->name, src->name) || dupopt(&t->parent, src->parent) ||
                     dupopt(&t->resource, src->resource) ||
                     dupopt(&t->write_disposition, src->write_disposition) ||
                     dupopt(&t->description, src->description) ||
                     dupopt(&t->merge_strategy, src->merge_strategy) ||
                     dupopt(&t->file_format, src->file_format) ||
                     dupopt(&t->table_format, src->table_format) ||
                     dupopt(&t->extra_json, src->extra_json)
                 ? dltc__error_oom()
                 : 0;
    if (!rc && src->ncols && !(t->cols = dltc__calloc(src->ncols, sizeof(*t->cols))))
        rc = dltc__error_oom();
    if (!rc)
        t->capcols = src->ncols;
    for (size_t i = 0; i < src->ncols && !rc; i++) {
        if (dltc__column_copy(&t->cols[i], &src->cols[i]))
            rc = dltc__error_oom();
        else
            t->ncols++;
        if (!rc)
            rc = dltc__strmap_put(&t->colmap, t->cols[i].name, strlen(t->cols[i].name), i);
    }
    if (rc) {
        dltc__table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

dltc_table *dltc__schema_table(const dltc_schema *s, const char *name, size_t len)
{
    size_t v;
    return dltc__strmap_get(&s->tablemap, name, len, &v) ? s->tables[v] : NULL;
}

int dltc__schema_add_table(dltc_schema *s, const char *name, const char *parent,
                           dltc_table **out)
{
    if (dltc__schema_table(s, name, strlen(name)))
        return dltc__error_set(DLTC_EINVALID, "table '%s' already exists", name);
    if (s->ntables == s->captables) {
        size_t cap = s->captables ? s->captables * 2 : 8;
        dltc_table **n = dltc__realloc(s->tables, cap * sizeof(*n));
        if (!n)
            return dltc__error_oom();
        s->tables = n;
        s->captables = cap;
    }
    dltc_table *t = dltc__calloc(1, sizeof(*t));
    if (!t)
        return dltc__error_oom();
    t->max_nesting = -1;
    if (dupopt(&t->name, name) || dupopt(&t->parent, parent) ||
        dltc__strmap_put(&s->tablemap, name, strlen(name), s->ntables)) {
        dltc__table_free(t);
        return DLTC_ENOMEM;
    }
    s->tables[s->ntables++] = t;
    s->dirty = 1;
    *out = t;
    return 0;
}

dltc_table *dltc__schema_root_table(const dltc_schema *s, dltc_table *t)
{
    while (t && t->parent) {
        dltc_table *p = dltc__schema_table(s, t->parent, strlen(t->parent));
        if (!p)
            break;
        t = p;
    }
    return t;
}

const char *dltc__table_write_disposition(const dltc_schema *s, dltc_table *t)
{
    for (dltc_table *x = t; x;) {
        if (x->write_disposition)
            return x->write_disposition;
        if (!x->parent)
            break;
        x = dltc__schema_table(s, x->parent, strlen(x->parent));
    }
    return "append";
}

int dltc__schema_preferred_type(const dltc_schema *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->npreferred_types; i++)
        if (dltc__simple_regex_match(&s->preferred_types[i].pat, name, len))
            return s->preferred_types[i].data_type;
    return DLTC_DT_UNSET;
}

int dltc__schema_has_detection(const dltc_schema *s, const char *detection)
{
    for (size_t i = 0; i < s->ndetections; i++)
        if (strcmp(s->detections[i], detection) == 0)
            return 1;
    return 0;
}

int dltc__schema_add_propagation(dltc_schema *s, const char *root_table)
{
    if (dltc__schema_propagates(s, root_table))
        return 0;
    char **n = dltc__realloc(s->propagation_roots, (s->npropagation_roots + 1) * sizeof(*n));
    if (!n)
        return dltc__error_oom();
    s->propagation_roots = n;
    if (!(n[s->npropagation_roots] = dltc__strdup(root_table)))
        return dltc__error_oom();
    s->npropagation_roots++;
    s->dirty = 1;
    return 0;
}

int dltc__schema_propagates(const dltc_schema *s, const char *root_table)
{
    if (s->root_key_propagation == 1)
        return 1;
    for (size_t i = 0; i < s->npropagation_roots; i++)
        if (strcmp(s->propagation_roots[i], root_table) == 0)
            return 1;
    return 0;
}

/* ---- defaults ---- */

static int add_default_hint(dltc_schema *s, const char *hint, const char *const *pats, size_t n)
{
    dltc_default_hint *h =
        dltc__realloc(s->default_hints, (s->ndefault_hints + 1) * sizeof(*h));
    if (!h)
        return dltc__error_oom();
    s->default_hints = h;
    dltc_default_hint *d = &h[s->ndefault_hints];
    memset(d, 0, sizeof(*d));
    d->hint = dltc__strdup(hint);
    d->pats = dltc__calloc(n, sizeof(dltc_simple_regex));
    if (!d->hint || !d->pats) {
        dltc__free(d->hint);
        dltc__free(d->pats);
        return dltc__error_oom();
    }
    s->ndefault_hints++;
    for (size_t i = 0; i < n; i++) {
        int rc = regex_init(&d->pats[i], pats[i]);
        if (rc)
            return rc;
        d->npats++;
    }
    return 0;
}

static int add_sys_column(dltc_schema *s, dltc_table *t, const char *name, int dt, int nullable,
                          int precision)
{
    dltc_column c;
    memset(&c, 0, sizeof(c));
    c.name = (char *)name;
    c.data_type = (uint8_t)dt;
    c.nullable = (int8_t)nullable;
    c.timezone = -1;
    c.precision = precision;
    c.scale = -1;
    long rc = dltc__table_add_column(s, t, &c);
    return rc < 0 ? (int)rc : 0;
}

static int add_system_tables(dltc_schema *s)
{
    dltc_table *t;
    int rc = dltc__schema_add_table(s, "_dlt_version", NULL, &t);
    if (rc)
        return rc;
    if (dupopt(&t->write_disposition, "skip") || dupopt(&t->resource, "_dlt_version") ||
        dupopt(&t->description, "Created by DLT. Tracks schema updates"))
        return DLTC_ENOMEM;
    if ((rc = add_sys_column(s, t, "version", DLTC_DT_BIGINT, 0, -1)) ||
        (rc = add_sys_column(s, t, "engine_version", DLTC_DT_BIGINT, 0, -1)) ||
        (rc = add_sys_column(s, t, "inserted_at", DLTC_DT_TIMESTAMP, 0, -1)) ||
        (rc = add_sys_column(s, t, "schema_name", DLTC_DT_TEXT, 0, -1)) ||
        (rc = add_sys_column(s, t, "version_hash", DLTC_DT_TEXT, 0, -1)) ||
        (rc = add_sys_column(s, t, "schema", DLTC_DT_TEXT, 0, -1)))
        return rc;
    rc = dltc__schema_add_table(s, "_dlt_loads", NULL, &t);
    if (rc)
        return rc;
    if (dupopt(&t->write_disposition, "skip") || dupopt(&t->resource, "_dlt_loads") ||
        dupopt(&t->description, "Created by DLT. Tracks completed loads"))
        return DLTC_ENOMEM;
    if ((rc = add_sys_column(s, t, "load_id", DLTC_DT_TEXT, 0, 64)) ||
        (rc = add_sys_column(s, t, "schema_name", DLTC_DT_TEXT, 1, -1)) ||
        (rc = add_sys_column(s, t, "status", DLTC_DT_BIGINT, 0, -1)) ||
        (rc = add_sys_column(s, t, "inserted_at", DLTC_DT_TIMESTAMP, 0, -1)) ||
        (rc = add_sys_column(s, t, "schema_version_hash", DLTC_DT_TEXT, 1, -1)))
        return rc;
    for (size_t i = 0; i < s->ntables; i++) {
        s->tables[i]->committed = 1;
        s->tables[i]->committed_ncols = s->tables[i]->ncols;
    }
    return 0;
}

int dltc__schema_create(dltc_schema **out, const char *name, int with_defaults)
{
    dltc_schema *s = dltc__calloc(1, sizeof(*s));
    if (!s)
        return dltc__error_oom();
    s->version = 1;
    s->max_nesting = -1;
    s->root_key_propagation = -1;
    s->use_break_path = -1;
    s->naming = dltc__naming_get("snake_case", 0);
    int rc = 0;
    if (dupopt(&s->name, name) || dupopt(&s->naming_name, "snake_case") ||
        dupopt(&s->json_module, "dlt.common.normalizers.json.relational"))
        rc = DLTC_ENOMEM;
    if (!rc && with_defaults) {
        static const char *const not_null[] = {"_dlt_id", "_dlt_root_id", "_dlt_parent_id",
                                               "_dlt_list_idx", "_dlt_load_id"};
        static const char *const parent_key[] = {"_dlt_parent_id"};
        static const char *const root_key[] = {"_dlt_root_id"};
        static const char *const row_key[] = {"_dlt_id"};
        static const char *const unique[] = {"_dlt_id"};
        s->detections = dltc__calloc(1, sizeof(char *));
        if (!s->detections || !(s->detections[0] = dltc__strdup("iso_timestamp")))
            rc = DLTC_ENOMEM;
        else
            s->ndetections = 1;
        if (!rc)
            rc = add_default_hint(s, "not_null", not_null, 5);
        if (!rc)
            rc = add_default_hint(s, "parent_key", parent_key, 1);
        if (!rc)
            rc = add_default_hint(s, "root_key", root_key, 1);
        if (!rc)
            rc = add_default_hint(s, "unique", unique, 1);
        if (!rc)
            rc = add_default_hint(s, "row_key", row_key, 1);
        if (!rc)
            rc = add_system_tables(s);
    }
    if (rc) {
        dltc_schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void dltc_schema_free(dltc_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ntables; i++)
        dltc__table_free(s->tables[i]);
    dltc__free(s->tables);
    dltc__strmap_free(&s->tablemap);
    for (size_t i = 0; i < s->ndetections; i++)
        dltc__free(s->detections[i]);
    dltc__free(s->detections);
    for (size_t i = 0; i < s->ndefault_hints; i++) {
        for (size_t k = 0; k < s->default_hints[i].npats; k++)
            regex_clear(&s->default_hints[i].pats[k]);
        dltc__free(s->default_hints[i].pats);
        dltc__free(s->default_hints[i].hint);
    }
    dltc__free(s->default_hints);
    for (size_t i = 0; i < s->npreferred_types; i++)
        regex_clear(&s->preferred_types[i].pat);
    dltc__free(s->preferred_types);
    for (size_t i = 0; i < s->npropagation_roots; i++)
        dltc__free(s->propagation_roots[i]);
    dltc__free(s->propagation_roots);
    for (size_t i = 0; i < s->nprevious; i++)
        dltc__free(s->previous_hashes[i]);
    dltc__free(s->imported_version_hash);
    dltc__free(s->description);
    dltc__free(s->settings_extra_json);
    dltc__free(s->normalizers_extra_json);
    dltc__free(s->naming_name);
    dltc__free(s->json_module);
    dltc__free(s->name);
    dltc__free(s);
}

int dltc__schema_add_preferred_type(dltc_schema *s, const char *pattern, int data_type)
{
    dltc_preferred_type *p =
        dltc__realloc(s->preferred_types, (s->npreferred_types + 1) * sizeof(*p));
    if (!p)
        return dltc__error_oom();
    s->preferred_types = p;
    int rc = regex_init(&p[s->npreferred_types].pat, pattern);
    if (rc)
        return rc;
    p[s->npreferred_types++].data_type = (uint8_t)data_type;
    s->dirty = 1;
    return 0;
}

int dltc__schema_add_default_hint(dltc_schema *s, const char *hint, const char *pattern)
{
    for (size_t i = 0; i < s->ndefault_hints; i++) {
        dltc_default_hint *h = &s->default_hints[i];
        if (strcmp(h->hint, hint) != 0)
            continue;
        dltc_simple_regex *p = dltc__realloc(h->pats, (h->npats + 1) * sizeof(*p));
        if (!p)
            return dltc__error_oom();
        h->pats = p;
        int rc = regex_init(&p[h->npats], pattern);
        if (!rc)
            h->npats++;
        s->dirty = 1;
        return rc;
    }
    const char *one[] = {pattern};
    s->dirty = 1;
    return add_default_hint(s, hint, one, 1);
}

/* ---- evolution ---- */

int dltc__schema_has_updates(const dltc_schema *s)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (!s->tables[i]->committed || s->tables[i]->committed_ncols != s->tables[i]->ncols)
            return 1;
    return 0;
}

void dltc__schema_commit_updates(dltc_schema *s)
{
    for (size_t i = 0; i < s->ntables; i++) {
        s->tables[i]->committed = 1;
        s->tables[i]->committed_ncols = s->tables[i]->ncols;
    }
}

/* ---- public accessors ---- */

int dltc_schema_new(dltc_schema **out, const char *name)
{
    if (!name || !*name)
        return dltc__error_set(DLTC_EINVALID, "schema name must not be empty");
    dltc_buf b = DLTC_BUF_INIT;
    const dltc_naming *n = dltc__naming_get("snake_case", 64);
    int rc = dltc__naming_normalize_identifier(n, name, strlen(name), &b);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    rc = dltc__schema_create(out, b.data, 1);
    dltc__buf_free(&b);
    return rc;
}

const char *dltc_schema_name(const dltc_schema *s)
{
    return s->name;
}

int64_t dltc_schema_version(const dltc_schema *s)
{
    return s->version;
}

size_t dltc_schema_table_count(const dltc_schema *s)
{
    return s->ntables;
}

const char *dltc_schema_table_name(const dltc_schema *s, size_t i)
{
    return i < s->ntables ? s->tables[i]->name : NULL;
}

const char *dltc_schema_table_parent(const dltc_schema *s, size_t i)
{
    return i < s->ntables ? s->tables[i]->parent : NULL;
}

size_t dltc_schema_column_count(const dltc_schema *s, size_t t)
{
    return t < s->ntables ? s->tables[t]->ncols : 0;
}

const char *dltc_schema_column_name(const dltc_schema *s, size_t t, size_t c)
{
    return (t < s->ntables && c < s->tables[t]->ncols) ? s->tables[t]->cols[c].name : NULL;
}

const char *dltc_schema_column_type(const dltc_schema *s, size_t t, size_t c)
{
    return (t < s->ntables && c < s->tables[t]->ncols)
               ? dltc__data_type_name(s->tables[t]->cols[c].data_type)
               : NULL;
}

int dltc_schema_column_nullable(const dltc_schema *s, size_t t, size_t c)
{
    /* -1: not stated in an imported document, which means nullable */
    return (t < s->ntables && c < s->tables[t]->ncols) ? s->tables[t]->cols[c].nullable != 0 : 1;
}
