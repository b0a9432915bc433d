/* Sources from a declarative config tree (from_config.h, docs/pipeline_file.md). The keys
 * are checked as dlt checks its typed configs: an unknown key or a wrong type is an error
 * naming the key path and where it was written, before anything runs. */
#include "sources/from_config.h"

#include "common/alloc.h"
#include "common/error.h"
#include "dltc/filesystem_source.h"
#include "dltc/rest_api.h"
#include "dltc/sql_database.h"
#include "formats/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- what the sources keep ---- */

void dltc__cfg_keep_init(dltc__cfg_keep *k)
{
    memset(k, 0, sizeof(*k));
    dltc__arena_init(&k->arena, 4096);
}

int dltc__cfg_keep_on_free(dltc__cfg_keep *k, void (*fn)(void *), void *p)
{
    if (k->ncleanups == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        struct dltc__cfg_cleanup *c = dltc__realloc(k->cleanups, cap * sizeof(*c));
        if (!c)
            return dltc__error_oom();
        k->cleanups = c;
        k->cap = cap;
    }
    k->cleanups[k->ncleanups].fn = fn;
    k->cleanups[k->ncleanups++].p = p;
    return 0;
}

void dltc__cfg_keep_free(dltc__cfg_keep *k)
{
    if (!k)
        return;
    while (k->ncleanups--)
        k->cleanups[k->ncleanups].fn(k->cleanups[k->ncleanups].p);
    dltc__free(k->cleanups);
    dltc__arena_free(&k->arena);
    memset(k, 0, sizeof(*k));
}

static const char *keep_str(dltc__cfg_check *c, const char *s, size_t n)
{
    return dltc__arena_strndup(&c->keep->arena, s, n);
}

/* ---- the checker ---- */

size_t dltc__cfg_push(dltc__cfg_check *c, const char *key)
{
    size_t mark = c->path.len;
    if (dltc__keypath_key(&c->path, key, strlen(key)))
        c->path.len = mark;
    return mark;
}

size_t dltc__cfg_push_index(dltc__cfg_check *c, size_t i)
{
    size_t mark = c->path.len;
    if (dltc__keypath_index(&c->path, i))
        c->path.len = mark;
    return mark;
}

void dltc__cfg_pop(dltc__cfg_check *c, size_t mark)
{
    c->path.len = mark;
    if (c->path.data)
        c->path.data[mark] = '\0';
}

int dltc__cfg_fail(dltc__cfg_check *c, const char *key, const char *fmt, ...)
{
    size_t mark = key ? dltc__cfg_push(c, key) : c->path.len;
    if (dltc__buf_putc(&c->path, '\0') == 0)
        c->path.len--;
    const char *path = c->path.data ? c->path.data : "";
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    uint64_t line = dltc__keylines_find(c->origin->lines, path);
    const char *file = c->origin->file ? c->origin->file : "config";
    int rc;
    if (line)
        rc = dltc__error_set(DLTC_EINVALID, "%s:%llu: %s%s%s", file, (unsigned long long)line,
                             path, *path ? ": " : "", msg);
    else
        rc = dltc__error_set(DLTC_EINVALID, "%s: %s%s%s", file, path, *path ? ": " : "", msg);
    dltc__cfg_pop(c, mark);
    return rc;
}

static const char *type_word(const dltc_value *v)
{
    switch (v->type) {
    case DLTC_TYPE_NULL: return "null";
    case DLTC_TYPE_BOOL: return "a boolean";
    case DLTC_TYPE_INT:
    case DLTC_TYPE_BIGINT: return "an integer";
    case DLTC_TYPE_DOUBLE:
    case DLTC_TYPE_DECIMAL: return "a number";
    case DLTC_TYPE_STRING: return "a string";
    case DLTC_TYPE_ARRAY: return "a list";
    case DLTC_TYPE_OBJECT: return "a table";
    default: return "a date/time";
    }
}

static const dltc_value *member(const dltc_value *obj, const char *key)
{
    if (!obj || obj->type != DLTC_TYPE_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < obj->len; i++)
        if (obj->u.obj[i].klen == n && memcmp(obj->u.obj[i].key, key, n) == 0)
            return &obj->u.obj[i].val;
    return NULL;
}

/* "a, b, c" of a NULL-terminated list, cut at cap. */
static const char *join_names(char *out, size_t cap, const char *const *names)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *const *a = names; *a && n < cap; a++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", a == names ? "" : ", ", *a);
    return out;
}

int dltc__cfg_known_keys(dltc__cfg_check *c, const dltc_value *obj, const char *const *allowed)
{
    if (!obj || obj->type != DLTC_TYPE_OBJECT)
        return 0;
    for (uint32_t i = 0; i < obj->len; i++) {
        const char *k = obj->u.obj[i].key;
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, k) == 0;
        if (ok)
            continue;
        char list[512];
        return dltc__cfg_fail(c, k, "unknown key (expected one of: %s)",
                              join_names(list, sizeof(list), allowed));
    }
    return 0;
}

int dltc__cfg_str(dltc__cfg_check *c, const dltc_value *obj, const char *key, const char **out)
{
    const dltc_value *v = member(obj, key);
    if (!v)
        return 0;
    if (v->type != DLTC_TYPE_STRING)
        return dltc__cfg_fail(c, key, "expected a string, found %s", type_word(v));
    *out = v->u.s;
    return 0;
}

int dltc__cfg_int(dltc__cfg_check *c, const dltc_value *obj, const char *key, int64_t *out)
{
    const dltc_value *v = member(obj, key);
    if (!v)
        return 0;
    if (v->type != DLTC_TYPE_INT)
        return dltc__cfg_fail(c, key, "expected an integer, found %s", type_word(v));
    *out = v->u.i;
    return 0;
}

int dltc__cfg_bool(dltc__cfg_check *c, const dltc_value *obj, const char *key, int *out)
{
    const dltc_value *v = member(obj, key);
    if (!v)
        return 0;
    if (v->type != DLTC_TYPE_BOOL)
        return dltc__cfg_fail(c, key, "expected true or false, found %s", type_word(v));
    *out = (int)v->u.i;
    return 0;
}

int dltc__cfg_table(dltc__cfg_check *c, const dltc_value *obj, const char *key,
                    const dltc_value **out)
{
    const dltc_value *v = member(obj, key);
    if (!v)
        return 0;
    if (v->type != DLTC_TYPE_OBJECT)
        return dltc__cfg_fail(c, key, "expected a table, found %s", type_word(v));
    *out = v;
    return 0;
}

int dltc__cfg_str_list(dltc__cfg_check *c, const dltc_value *obj, const char *key,
                       const char *const **out, size_t *n)
{
    const dltc_value *v = member(obj, key);
    if (!v)
        return 0;
    size_t cnt = v->type == DLTC_TYPE_ARRAY ? v->len : 1;
    if (v->type != DLTC_TYPE_ARRAY && v->type != DLTC_TYPE_STRING)
        return dltc__cfg_fail(c, key, "expected a list of strings, found %s", type_word(v));
    const char **list = dltc__arena_alloc(&c->keep->arena, (cnt + 1) * sizeof(*list));
    if (!list)
        return dltc__error_oom();
    for (size_t i = 0; i < cnt; i++) {
        const dltc_value *it = v->type == DLTC_TYPE_ARRAY ? &v->u.arr[i] : v;
        if (it->type != DLTC_TYPE_STRING) {
            size_t mark = dltc__cfg_push(c, key);
            int rc = dltc__cfg_fail(c, NULL, "item %zu: expected a string, found %s", i,
                                    type_word(it));
            dltc__cfg_pop(c, mark);
            return rc;
        }
        list[i] = it->u.s;
    }
    list[cnt] = NULL;
    *out = list;
    *n = cnt;
    return 0;
}

/* The JSON text of a member (kept), or NULL when absent. */
static int member_json(dltc__cfg_check *c, const dltc_value *obj, const char *key,
                       const char **out)
{
    const dltc_value *v = member(obj, key);
    if (!v)
        return 0;
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__json_write(&b, v);
    if (!rc && !(*out = keep_str(c, b.data, b.len)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    return rc;
}

/* A column list as dlt takes it: "a" or ["a", "b"] -> "a,b". */
static int member_columns(dltc__cfg_check *c, const dltc_value *obj, const char *key,
                          const char **out)
{
    const char *const *list = NULL;
    size_t n = 0;
    int rc = dltc__cfg_str_list(c, obj, key, &list, &n);
    if (rc || !list)
        return rc;
    dltc_buf b = DLTC_BUF_INIT;
    for (size_t i = 0; i < n && !rc; i++) {
        if (strchr(list[i], ','))
            rc = dltc__cfg_fail(c, key, "a column name holds a comma: \"%s\"", list[i]);
        else if ((i && (rc = dltc__buf_putc(&b, ',')) != 0) || (rc = dltc__buf_puts(&b, list[i])))
            break;
    }
    if (!rc && !(*out = keep_str(c, b.data ? b.data : "", b.len)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    return rc;
}

int dltc__cfg_one_of(dltc__cfg_check *c, const char *key, const char *v,
                     const char *const *allowed)
{
    if (!v)
        return 0;
    for (const char *const *a = allowed; *a; a++)
        if (strcmp(*a, v) == 0)
            return 0;
    char list[256];
    return dltc__cfg_fail(c, key, "unknown value \"%s\" (%s)", v,
                          join_names(list, sizeof(list), allowed));
}

/* ---- resource hints shared by the sources ---- */

static const char *const DISPOSITIONS[] = {"append", "replace", "merge", "skip", NULL};
static const char *const STRATEGIES[] = {"delete-insert", "upsert", "insert-only", "scd2", NULL};

/* write_disposition = "merge" or {disposition = "merge", strategy = "scd2"} */
static int hint_disposition(dltc__cfg_check *c, const dltc_value *obj, dltc_resource_options *ro)
{
    const dltc_value *v = member(obj, "write_disposition");
    if (!v)
        return 0;
    if (v->type == DLTC_TYPE_STRING) {
        ro->write_disposition = v->u.s;
        return dltc__cfg_one_of(c, "write_disposition", v->u.s, DISPOSITIONS);
    }
    if (v->type != DLTC_TYPE_OBJECT)
        return dltc__cfg_fail(c, "write_disposition", "expected a string or a table, found %s",
                              type_word(v));
    size_t mark = dltc__cfg_push(c, "write_disposition");
    static const char *const keys[] = {"disposition", "strategy", NULL};
    int rc = dltc__cfg_known_keys(c, v, keys);
    if (!rc)
        rc = dltc__cfg_str(c, v, "disposition", &ro->write_disposition);
    if (!rc)
        rc = dltc__cfg_str(c, v, "strategy", &ro->merge_strategy);
    if (!rc && !ro->write_disposition)
        rc = dltc__cfg_fail(c, NULL, "needs \"disposition\"");
    if (!rc)
        rc = dltc__cfg_one_of(c, "disposition", ro->write_disposition, DISPOSITIONS);
    if (!rc)
        rc = dltc__cfg_one_of(c, "strategy", ro->merge_strategy, STRATEGIES);
    dltc__cfg_pop(c, mark);
    return rc;
}

/* The hint keys every source entry and table entry accepts. */
#define HINT_KEYS                                                                             \
    "table_name", "write_disposition", "primary_key", "merge_key", "max_table_nesting",       \
        "columns", "schema_contract", "file_format"

static int hints(dltc__cfg_check *c, const dltc_value *obj, dltc_resource_options *ro)
{
    int64_t nesting = -1;
    int rc = dltc__cfg_str(c, obj, "table_name", &ro->table_name);
    if (!rc)
        rc = hint_disposition(c, obj, ro);
    if (!rc)
        rc = member_columns(c, obj, "primary_key", &ro->primary_key);
    if (!rc)
        rc = member_columns(c, obj, "merge_key", &ro->merge_key);
    if (!rc && (rc = dltc__cfg_int(c, obj, "max_table_nesting", &nesting)) == 0 &&
        member(obj, "max_table_nesting")) {
        if (nesting < 0 || nesting > 1000)
            rc = dltc__cfg_fail(c, "max_table_nesting", "expected 0..1000");
        ro->max_table_nesting = (int)nesting;
    }
    const dltc_value *cols = NULL;
    if (!rc && (rc = dltc__cfg_table(c, obj, "columns", &cols)) == 0 && cols)
        rc = member_json(c, obj, "columns", &ro->columns);
    const dltc_value *sc = member(obj, "schema_contract");
    if (!rc && sc) {
        if (sc->type == DLTC_TYPE_STRING)
            ro->schema_contract = sc->u.s;
        else if (sc->type == DLTC_TYPE_OBJECT)
            rc = member_json(c, obj, "schema_contract", &ro->schema_contract);
        else
            rc = dltc__cfg_fail(c, "schema_contract", "expected a string or a table, found %s",
                                type_word(sc));
    }
    static const char *const formats[] = {"jsonl", "parquet", "csv", "insert_values", NULL};
    if (!rc && (rc = dltc__cfg_str(c, obj, "file_format", &ro->file_format)) == 0)
        rc = dltc__cfg_one_of(c, "file_format", ro->file_format, formats);
    return rc;
}

/* incremental = {cursor_path = "updated_at", initial_value = 2024-01-01T00:00:00Z, ...}
 * (dlt.sources.incremental's arguments; values as written, dates stay dates). With
 * `fixed_cursor` the cursor is given by the source and may be left out. */
static int incremental(dltc__cfg_check *c, const dltc_value *v, const char *fixed_cursor,
                       dltc_incremental_options **out)
{
    static const char *const keys[] = {"cursor_path", "initial_value", "end_value",
                                       "last_value_func", "row_order", "primary_key", "lag",
                                       "on_cursor_value_missing", "range_start", "range_end",
                                       NULL};
    dltc_incremental_options *io = dltc__arena_alloc(&c->keep->arena, sizeof(*io));
    if (!io)
        return dltc__error_oom();
    dltc_incremental_options init = DLTC_INCREMENTAL_OPTIONS_INIT;
    *io = init;
    int rc = dltc__cfg_known_keys(c, v, keys);
    if (!rc)
        rc = dltc__cfg_str(c, v, "cursor_path", &io->cursor_path);
    if (!rc && fixed_cursor) {
        if (io->cursor_path && strcmp(io->cursor_path, fixed_cursor) != 0)
            return dltc__cfg_fail(c, "cursor_path", "this source's cursor is \"%s\"",
                                  fixed_cursor);
        io->cursor_path = fixed_cursor;
    }
    if (!rc && !io->cursor_path)
        return dltc__cfg_fail(c, NULL, "needs \"cursor_path\"");
    if (!rc)
        rc = member_json(c, v, "initial_value", &io->initial_value);
    if (!rc)
        rc = member_json(c, v, "end_value", &io->end_value);
    if (!rc && io->end_value && !io->initial_value)
        return dltc__cfg_fail(c, "end_value", "needs initial_value as well");
    static const char *const lvf[] = {"max", "min", NULL};
    static const char *const order[] = {"asc", "desc", NULL};
    static const char *const missing[] = {"raise", "include", "exclude", NULL};
    static const char *const range[] = {"open", "closed", NULL};
    if (!rc && !(rc = dltc__cfg_str(c, v, "last_value_func", &io->last_value_func)))
        rc = dltc__cfg_one_of(c, "last_value_func", io->last_value_func, lvf);
    if (!rc && !(rc = dltc__cfg_str(c, v, "row_order", &io->row_order)))
        rc = dltc__cfg_one_of(c, "row_order", io->row_order, order);
    if (!rc)
        rc = member_columns(c, v, "primary_key", &io->primary_key);
    const dltc_value *lag = member(v, "lag");
    if (!rc && lag) {
        if (lag->type == DLTC_TYPE_INT)
            io->lag = (double)lag->u.i;
        else if (lag->type == DLTC_TYPE_DOUBLE)
            io->lag = lag->u.d;
        else
            rc = dltc__cfg_fail(c, "lag", "expected a number, found %s", type_word(lag));
    }
    if (!rc && !(rc = dltc__cfg_str(c, v, "on_cursor_value_missing",
                                    &io->on_cursor_value_missing)))
        rc = dltc__cfg_one_of(c, "on_cursor_value_missing", io->on_cursor_value_missing, missing);
    if (!rc && !(rc = dltc__cfg_str(c, v, "range_start", &io->range_start)))
        rc = dltc__cfg_one_of(c, "range_start", io->range_start, range);
    if (!rc && !(rc = dltc__cfg_str(c, v, "range_end", &io->range_end)))
        rc = dltc__cfg_one_of(c, "range_end", io->range_end, range);
    if (!rc)
        *out = io;
    return rc;
}

/* ---- secrets that the entry may leave to the config providers ---- */

/* A value of the entry, else sources.<section>.<name>.<key> and the rest of dlt's walk. */
static int resolve(const dltc_value *entry, dltc_config *cfg, const char *section,
                   const char *name, const char *key, int secret, const dltc_value **out)
{
    const dltc_value *v = member(entry, key);
    if (v) {
        *out = v;
        return 0;
    }
    *out = NULL;
    if (!cfg)
        return 0;
    dltc_config_field f = {key, DLTC_TYPE_NULL, secret, 1};
    const dltc_value *got = NULL;
    int rc = dltc_config_resolve_source(&got, cfg, section, name, &f, 1);
    if (rc)
        return rc == DLTC_ENOTFOUND ? 0 : rc;
    *out = dltc_object_get(got, key);
    return 0;
}

/* Percent-encode the userinfo part of a URL. */
static int put_escaped(dltc_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            rc = dltc__buf_putc(b, (char)*p);
        else
            rc = dltc__buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
    return rc;
}

/* credentials: a connection string, or dlt's dict form {drivername, username, password, host,
 * port, database, query}. */
static int credentials_url(dltc__cfg_check *c, const dltc_value *v, const char **out)
{
    if (v->type == DLTC_TYPE_STRING) {
        *out = v->u.s;
        return 0;
    }
    if (v->type != DLTC_TYPE_OBJECT)
        return dltc__cfg_fail(c, "credentials", "expected a connection string or a table");
    size_t mark = dltc__cfg_push(c, "credentials");
    static const char *const keys[] = {"drivername", "username", "password", "host", "port",
                                       "database", "query", NULL};
    const char *driver = "postgresql", *user = NULL, *pw = NULL, *host = NULL, *db = NULL;
    int64_t port = 0;
    const dltc_value *query = NULL;
    int rc = dltc__cfg_known_keys(c, v, keys);
    if (!rc) rc = dltc__cfg_str(c, v, "drivername", &driver);
    if (!rc) rc = dltc__cfg_str(c, v, "username", &user);
    if (!rc) rc = dltc__cfg_str(c, v, "password", &pw);
    if (!rc) rc = dltc__cfg_str(c, v, "host", &host);
    if (!rc) rc = dltc__cfg_int(c, v, "port", &port);
    if (!rc) rc = dltc__cfg_str(c, v, "database", &db);
    if (!rc) rc = dltc__cfg_table(c, v, "query", &query);
    if (!rc && !db)
        rc = dltc__cfg_fail(c, NULL, "needs \"database\"");
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc && !strncmp(driver, "sqlite", 6)) {
        rc = dltc__buf_printf(&b, "sqlite:///%s", db);
    } else if (!rc) {
        rc = dltc__buf_printf(&b, "%s://", driver);
        if (!rc && user) {
            rc = put_escaped(&b, user);
            if (!rc && pw && !(rc = dltc__buf_putc(&b, ':')))
                rc = put_escaped(&b, pw);
            if (!rc)
                rc = dltc__buf_putc(&b, '@');
        }
        if (!rc)
            rc = dltc__buf_puts(&b, host ? host : "localhost");
        if (!rc && port)
            rc = dltc__buf_printf(&b, ":%lld", (long long)port);
        if (!rc && !(rc = dltc__buf_putc(&b, '/')))
            rc = put_escaped(&b, db);
        for (uint32_t i = 0; !rc && query && i < query->len; i++) {
            const dltc_value *q = &query->u.obj[i].val;
            if (q->type != DLTC_TYPE_STRING) {
                rc = dltc__cfg_fail(c, query->u.obj[i].key, "expected a string");
                break;
            }
            if (!(rc = dltc__buf_putc(&b, i ? '&' : '?')) &&
                !(rc = put_escaped(&b, query->u.obj[i].key)) && !(rc = dltc__buf_putc(&b, '=')))
                rc = put_escaped(&b, q->u.s);
        }
    }
    if (!rc && !(*out = keep_str(c, b.data, b.len)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    dltc__cfg_pop(c, mark);
    return rc;
}

/* ---- sql_database ---- */

static void free_db(void *p)
{
    dltc_sql_database_free(p);
}

static int sql_table_entry(dltc__cfg_check *c, const dltc_value *t, dltc_sql_table_options *to)
{
    static const char *const keys[] = {HINT_KEYS, "incremental", "included_columns",
                                       "excluded_columns", "chunk_size", "reflection_level",
                                       NULL};
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    int rc = dltc__cfg_known_keys(c, t, keys);
    if (!rc)
        rc = hints(c, t, &ro);
    if (!rc && (ro.table_name || ro.columns || ro.schema_contract || ro.file_format ||
                ro.max_table_nesting >= 0))
        rc = dltc__cfg_fail(c, NULL, "a sql table takes write_disposition, primary_key and "
                                     "merge_key as hints; table_name, columns, schema_contract, "
                                     "file_format and max_table_nesting are not supported here");
    to->write_disposition = ro.write_disposition;
    to->merge_strategy = ro.merge_strategy;
    if (ro.primary_key)
        to->primary_key = ro.primary_key;
    to->merge_key = ro.merge_key;
    if (!rc)
        rc = dltc__cfg_str_list(c, t, "included_columns", &to->included_columns,
                                &to->n_included_columns);
    if (!rc)
        rc = dltc__cfg_str_list(c, t, "excluded_columns", &to->excluded_columns,
                                &to->n_excluded_columns);
    int64_t chunk = 0;
    if (!rc && !(rc = dltc__cfg_int(c, t, "chunk_size", &chunk)) && member(t, "chunk_size")) {
        if (chunk <= 0)
            rc = dltc__cfg_fail(c, "chunk_size", "expected a positive integer");
        to->chunk_size = (size_t)chunk;
    }
    if (!rc)
        rc = dltc__cfg_str(c, t, "reflection_level", &to->reflection_level);
    const dltc_value *inc = NULL;
    if (!rc && !(rc = dltc__cfg_table(c, t, "incremental", &inc)) && inc) {
        size_t mark = dltc__cfg_push(c, "incremental");
        dltc_incremental_options *io = NULL;
        rc = incremental(c, inc, NULL, &io);
        to->incremental = io;
        dltc__cfg_pop(c, mark);
    }
    return rc;
}

static int sql_database_source(dltc_source **out, dltc__cfg_check *c, const dltc_value *e,
                               const char *name, dltc_config *cfg)
{
    static const char *const keys[] = {"type", "name", "credentials", "schema", "table_names",
                                       "include_views", "chunk_size", "reflection_level",
                                       "backend", "tables", NULL};
    static const char *const levels[] = {"minimal", "full", "full_with_precision", NULL};
    static const char *const backends[] = {"sqlalchemy", "pyarrow", "pandas", "connectorx",
                                           NULL};
    int rc = dltc__cfg_known_keys(c, e, keys);
    const dltc_value *cred = NULL, *tables = NULL;
    const char *url = NULL, *schema = NULL, *level = NULL, *backend = NULL;
    const char *const *names = NULL;
    size_t nnames = 0;
    int views = 0;
    int64_t chunk = 0;
    if (!rc) rc = dltc__cfg_str(c, e, "schema", &schema);
    if (!rc) rc = dltc__cfg_str_list(c, e, "table_names", &names, &nnames);
    if (!rc) rc = dltc__cfg_bool(c, e, "include_views", &views);
    if (!rc && !(rc = dltc__cfg_int(c, e, "chunk_size", &chunk)) && member(e, "chunk_size") &&
        chunk <= 0)
        rc = dltc__cfg_fail(c, "chunk_size", "expected a positive integer");
    if (!rc && !(rc = dltc__cfg_str(c, e, "reflection_level", &level)))
        rc = dltc__cfg_one_of(c, "reflection_level", level, levels);
    /* every backend reads the same way here (typed values, straight to load files) */
    if (!rc && !(rc = dltc__cfg_str(c, e, "backend", &backend)))
        rc = dltc__cfg_one_of(c, "backend", backend, backends);
    if (!rc)
        rc = dltc__cfg_table(c, e, "tables", &tables);
    /* check every table entry before connecting */
    dltc_sql_table_options *topts = NULL;
    size_t ntables = tables ? tables->len : 0;
    if (!rc && ntables &&
        !(topts = dltc__arena_alloc(&c->keep->arena, ntables * sizeof(*topts))))
        rc = dltc__error_oom();
    size_t tmark = dltc__cfg_push(c, "tables");
    for (size_t i = 0; !rc && i < ntables; i++) {
        const dltc_member *m = &tables->u.obj[i];
        dltc_sql_table_options init = DLTC_SQL_TABLE_OPTIONS_INIT;
        topts[i] = init;
        topts[i].schema = schema;
        topts[i].chunk_size = (size_t)chunk;
        topts[i].reflection_level = level;
        if (m->val.type != DLTC_TYPE_OBJECT) {
            rc = dltc__cfg_fail(c, m->key, "expected a table, found %s", type_word(&m->val));
            break;
        }
        size_t mark = dltc__cfg_push(c, m->key);
        rc = sql_table_entry(c, &m->val, &topts[i]);
        dltc__cfg_pop(c, mark);
    }
    for (size_t i = 0; !rc && names && i < ntables; i++) {
        int listed = 0;
        for (size_t j = 0; j < nnames && !listed; j++)
            listed = strcmp(names[j], tables->u.obj[i].key) == 0;
        if (!listed)
            rc = dltc__cfg_fail(c, tables->u.obj[i].key, "not in table_names");
    }
    dltc__cfg_pop(c, tmark);
    /* the secret last: a wrong key is reported before a missing secret */
    if (!rc)
        rc = resolve(e, cfg, "sql_database", name, "credentials", 1, &cred);
    if (!rc && !cred)
        rc = dltc__cfg_fail(c, "credentials",
                            "missing: give it here or as a secret (sources.sql_database.%s."
                            "credentials in .dlt/secrets.toml or SOURCES__SQL_DATABASE__"
                            "CREDENTIALS)", name);
    if (!rc)
        rc = credentials_url(c, cred, &url);
    if (rc)
        return rc;

    dltc_sql_database *db = NULL;
    if ((rc = dltc_sql_database_open(&db, url)) != 0) {
        dltc__error_prefix("%s: %s: ", c->origin->file ? c->origin->file : "config",
                           c->path.data ? c->path.data : "");
        return rc;
    }
    if ((rc = dltc__cfg_keep_on_free(c->keep, free_db, db)) != 0) {
        dltc_sql_database_free(db);
        return rc;
    }
    if (!ntables) {
        dltc_sql_database_options so = DLTC_SQL_DATABASE_OPTIONS_INIT;
        so.schema = schema;
        so.table_names = names;
        so.n_table_names = nnames;
        so.include_views = views;
        so.chunk_size = (size_t)chunk;
        so.reflection_level = level;
        return dltc_sql_database_source(out, db, name, &so);
    }
    /* per-table hints: the tables named (table_names, else the keys of `tables`), each with
     * its entry's options when it has one */
    if (!names) {
        const char **list = dltc__arena_alloc(&c->keep->arena, ntables * sizeof(*list));
        if (!list)
            return dltc__error_oom();
        for (size_t i = 0; i < ntables; i++)
            list[i] = tables->u.obj[i].key;
        names = list;
        nnames = ntables;
    }
    dltc_source *src = NULL;
    if ((rc = dltc_source_new(&src, name)) != 0)
        return rc;
    for (size_t j = 0; j < nnames && !rc; j++) {
        dltc_sql_table_options plain = DLTC_SQL_TABLE_OPTIONS_INIT, *to = &plain;
        plain.schema = schema;
        plain.chunk_size = (size_t)chunk;
        plain.reflection_level = level;
        for (size_t i = 0; i < ntables; i++)
            if (strcmp(names[j], tables->u.obj[i].key) == 0)
                to = &topts[i];
        dltc_resource *r = NULL;
        if ((rc = dltc_sql_table_resource(&r, db, names[j], to)) == 0)
            rc = dltc_source_add(src, r);
    }
    if (rc) {
        dltc_source_free(src);
        return rc;
    }
    *out = src;
    return 0;
}

/* ---- filesystem ---- */

static int filesystem_source(dltc_source **out, dltc__cfg_check *c, const dltc_value *e,
                             const char *name, dltc_config *cfg)
{
    static const char *const keys[] = {"type", "name", "bucket_url", "file_glob",
                                       "files_per_page", "extract_content", "format",
                                       "chunk_size", "incremental", HINT_KEYS, NULL};
    static const char *const formats[] = {"csv", "csv_duckdb", "jsonl", "parquet", NULL};
    int rc = dltc__cfg_known_keys(c, e, keys);
    dltc_filesystem_options *fo = dltc__arena_alloc(&c->keep->arena, sizeof(*fo));
    dltc_resource_options *ro = dltc__arena_alloc(&c->keep->arena, sizeof(*ro));
    if (!fo || !ro)
        return dltc__error_oom();
    dltc_filesystem_options fi = DLTC_FILESYSTEM_OPTIONS_INIT;
    dltc_resource_options ri = DLTC_RESOURCE_OPTIONS_INIT;
    *fo = fi;
    *ro = ri;
    const dltc_value *bucket = NULL, *inc = NULL;
    const char *format = NULL;
    int64_t n = 0;
    if (!rc)
        rc = resolve(e, cfg, "filesystem", name, "bucket_url", 0, &bucket);
    if (!rc && (!bucket || bucket->type != DLTC_TYPE_STRING))
        rc = dltc__cfg_fail(c, "bucket_url",
                            bucket ? "expected a string"
                                   : "missing: give it here or in config "
                                     "(sources.filesystem.bucket_url)");
    if (!rc)
        fo->bucket_url = bucket->u.s;
    if (!rc) rc = dltc__cfg_str(c, e, "file_glob", &fo->file_glob);
    if (!rc && !(rc = dltc__cfg_int(c, e, "files_per_page", &n)) && member(e, "files_per_page")) {
        if (n <= 0)
            rc = dltc__cfg_fail(c, "files_per_page", "expected a positive integer");
        fo->files_per_page = (size_t)n;
    }
    if (!rc) rc = dltc__cfg_bool(c, e, "extract_content", &fo->extract_content);
    if (!rc && !(rc = dltc__cfg_str(c, e, "format", &format)))
        rc = dltc__cfg_one_of(c, "format", format, formats);
    int64_t chunk = 0;
    if (!rc && !(rc = dltc__cfg_int(c, e, "chunk_size", &chunk)) && member(e, "chunk_size")) {
        if (chunk <= 0)
            rc = dltc__cfg_fail(c, "chunk_size", "expected a positive integer");
        else if (!format)
            rc = dltc__cfg_fail(c, "chunk_size", "needs \"format\" (it sizes the reader's pages)");
    }
    if (!rc)
        rc = hints(c, e, ro);
    /* incremental = true (every new or changed file) or {initial_value = ...} */
    dltc_incremental_options *io = NULL;
    const dltc_value *iv = member(e, "incremental");
    if (!rc && iv) {
        size_t mark = dltc__cfg_push(c, "incremental");
        if (iv->type == DLTC_TYPE_BOOL) {
            if (iv->u.i) {
                if (!(io = dltc__arena_alloc(&c->keep->arena, sizeof(*io))))
                    rc = dltc__error_oom();
                else {
                    dltc_incremental_options ii = DLTC_INCREMENTAL_OPTIONS_INIT;
                    *io = ii;
                    io->cursor_path = "modification_date";
                }
            }
        } else if (iv->type == DLTC_TYPE_OBJECT) {
            inc = iv;
            rc = incremental(c, inc, "modification_date", &io);
        } else {
            rc = dltc__cfg_fail(c, NULL, "expected true/false or a table, found %s",
                                type_word(iv));
        }
        dltc__cfg_pop(c, mark);
    }
    if (rc)
        return rc;

    /* the listing feeds the reader (hints go to the reader), or is the data itself */
    dltc_resource_options *lo = ro;
    if (format) {
        if (!(lo = dltc__arena_alloc(&c->keep->arena, sizeof(*lo))))
            return dltc__error_oom();
        *lo = ri;
        lo->selected = 0;
    }
    fo->resource = lo;
    dltc_source *src = NULL;
    dltc_resource *files = NULL, *reader = NULL;
    if ((rc = dltc_source_new(&src, name)) != 0)
        return rc;
    rc = dltc_filesystem_resource(&files, "filesystem", fo);
    if (!rc && io)
        rc = dltc_resource_set_incremental(files, io);
    if (!rc)
        rc = dltc_source_add(src, files);
    else
        dltc_resource_free(files);
    if (!rc && format) {
        dltc_reader_options rdo = DLTC_READER_OPTIONS_INIT;
        rdo.chunk_size = (size_t)chunk;
        rdo.resource = ro;
        char rname[32];
        snprintf(rname, sizeof(rname), "read_%s", format);
        if ((rc = dltc_filesystem_reader(&reader, rname, files, format, &rdo)) == 0)
            rc = dltc_source_add(src, reader);
    }
    if (rc) {
        dltc_source_free(src);
        return rc;
    }
    *out = src;
    return 0;
}

/* ---- rest_api ---- */

typedef struct {
    dltc__cfg_check *c;
    char where[512];
} locator;

/* The rest_api source names keys relative to its config: prefix the entry's path. */
static const char *locate(const char *key_path, void *payload)
{
    locator *l = payload;
    dltc__cfg_check *c = l->c;
    size_t mark = c->path.len;
    int rc = 0;
    if (key_path && *key_path)
        rc = (key_path[0] == '[' || !c->path.len ? 0 : dltc__buf_putc(&c->path, '.')) ||
             dltc__buf_puts(&c->path, key_path);
    if (!rc && dltc__buf_putc(&c->path, '\0') == 0)
        c->path.len--;
    uint64_t line = rc ? 0 : dltc__keylines_find(c->origin->lines, c->path.data);
    dltc__cfg_pop(c, mark);
    if (!line)
        return NULL;
    snprintf(l->where, sizeof(l->where), "%s:%llu",
             c->origin->file ? c->origin->file : "config", (unsigned long long)line);
    return l->where;
}

static int rest_api_source(dltc_source **out, dltc__cfg_check *c, const dltc_value *e,
                           const char *name, dltc_config *cfg)
{
    static const char *const keys[] = {"type", "name", "section", "max_table_nesting",
                                       "client", "resource_defaults", "resources", NULL};
    int rc = dltc__cfg_known_keys(c, e, keys);
    const char *section = NULL;
    int64_t nesting = -1;
    if (!rc) rc = dltc__cfg_str(c, e, "section", &section);
    if (!rc) rc = dltc__cfg_int(c, e, "max_table_nesting", &nesting);
    if (rc)
        return rc;
    /* the rest_api config proper: client, resource_defaults, resources */
    dltc_value cfgv;
    dltc__value_set_type(&cfgv, DLTC_TYPE_OBJECT);
    for (uint32_t i = 0; i < e->len; i++) {
        const dltc_member *m = &e->u.obj[i];
        if (strcmp(m->key, "client") && strcmp(m->key, "resource_defaults") &&
            strcmp(m->key, "resources"))
            continue;
        if ((rc = dltc__object_set(&c->keep->arena, &cfgv, m->key, m->klen, &m->val)) != 0)
            return rc;
    }
    locator l = {c, {0}};
    dltc_rest_api_options o = DLTC_REST_API_OPTIONS_INIT;
    o.name = name;
    o.config = cfg;
    o.section = section;
    o.max_table_nesting = (int)nesting;
    o.locate = locate;
    o.locate_payload = &l;
    return dltc_rest_api_source(out, &cfgv, &o);
}

/* ---- the entry ---- */

int dltc__source_from_config(dltc_source **out, dltc__cfg_check *c, const dltc_value *entry,
                             dltc_config *cfg)
{
    *out = NULL;
    if (!entry || entry->type != DLTC_TYPE_OBJECT)
        return dltc__cfg_fail(c, NULL, "expected a table, found %s",
                              entry ? type_word(entry) : "nothing");
    const char *type = NULL, *name = NULL;
    int rc = dltc__cfg_str(c, entry, "type", &type);
    if (!rc)
        rc = dltc__cfg_str(c, entry, "name", &name);
    if (rc)
        return rc;
    if (!type)
        return dltc__cfg_fail(c, NULL,
                              "needs \"type\": rest_api, sql_database or filesystem");
    if (!name)
        name = type;
    if (!strcmp(type, "rest_api"))
        return rest_api_source(out, c, entry, name, cfg);
    if (!strcmp(type, "sql_database"))
        return sql_database_source(out, c, entry, name, cfg);
    if (!strcmp(type, "filesystem"))
        return filesystem_source(out, c, entry, name, cfg);
    return dltc__cfg_fail(c, "type", "unknown source type \"%s\" (rest_api, sql_database, "
                                     "filesystem)", type);
}
