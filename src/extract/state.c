/* Pipeline state. The version hash is dlt's: base64(SHA3-256(typed JSON with sorted keys of
 * the state without _local, _state_version, _state_engine_version, _version_hash)). */
#include "extract/state.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/compress.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "extract/source_state.h"
#include "formats/json.h"
#include "formats/typed_json.h"
#include "package/package.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dltc__state_init(dltc_state *st)
{
    memset(st, 0, sizeof(*st));
    st->first_run = 1;
}

void dltc__state_clear(dltc_state *st)
{
    dltc__free(st->pipeline_name);
    dltc__free(st->dataset_name);
    dltc__free(st->default_schema_name);
    for (size_t i = 0; i < st->nschema_names; i++)
        dltc__free(st->schema_names[i]);
    dltc__free(st->schema_names);
    dltc__free(st->destination_type);
    dltc__free(st->destination_name);
    dltc__free(st->sources_json);
    dltc__free(st->initial_cwd);
    dltc__free(st->last_extracted_hash);
    dltc__state_init(st);
}

/* "key": with a leading comma unless first */
static int put_key(dltc_buf *b, const char *k, int first)
{
    int rc = first ? 0 : dltc__buf_putc(b, ',');
    if (!rc)
        rc = dltc__json_write_string(b, k, strlen(k));
    if (!rc)
        rc = dltc__buf_putc(b, ':');
    return rc;
}

/* "key":<raw JSON text> */
static int put_raw(dltc_buf *b, const char *k, int first, const char *raw)
{
    int rc = put_key(b, k, first);
    return rc ? rc : dltc__buf_puts(b, raw);
}

/* "key":"string" or null */
static int put_str(dltc_buf *b, const char *k, int first, const char *s)
{
    int rc = put_key(b, k, first);
    if (rc)
        return rc;
    return s ? dltc__json_write_string(b, s, strlen(s)) : dltc__buf_puts(b, "null");
}

/* Write a value with object keys sorted (for the hash). */
static int cmp_members(const void *a, const void *b)
{
    const dltc_member *x = *(const dltc_member *const *)a, *y = *(const dltc_member *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->klen < y->klen ? -1 : x->klen > y->klen);
}

static int write_sorted(dltc_buf *b, const dltc_value *v)
{
    int rc;
    if (v->type == DLTC_TYPE_ARRAY) {
        if ((rc = dltc__buf_putc(b, '[')))
            return rc;
        for (uint32_t i = 0; i < v->len; i++) {
            if (i && (rc = dltc__buf_putc(b, ',')))
                return rc;
            if ((rc = write_sorted(b, &v->u.arr[i])))
                return rc;
        }
        return dltc__buf_putc(b, ']');
    }
    if (v->type != DLTC_TYPE_OBJECT)
        return dltc__json_write(b, v);
    const dltc_member **m = dltc__malloc((v->len ? v->len : 1) * sizeof(*m));
    if (!m)
        return dltc__error_oom();
    for (uint32_t i = 0; i < v->len; i++)
        m[i] = &v->u.obj[i];
    qsort(m, v->len, sizeof(*m), cmp_members);
    rc = dltc__buf_putc(b, '{');
    for (uint32_t i = 0; i < v->len && !rc; i++) {
        if (i)
            rc = dltc__buf_putc(b, ',');
        if (!rc)
            rc = dltc__json_write_string(b, m[i]->key, m[i]->klen);
        if (!rc)
            rc = dltc__buf_putc(b, ':');
        if (!rc)
            rc = write_sorted(b, &m[i]->val);
    }
    dltc__free(m);
    return rc ? rc : dltc__buf_putc(b, '}');
}

/* The synced part of the state as JSON (without the closing brace), keys in dlt's order. */
static int synced_json(const dltc_state *st, dltc_buf *b, int with_versions)
{
    char num[32];
    int rc = dltc__buf_putc(b, '{');
    int first = 1;
    if (!rc && with_versions) {
        snprintf(num, sizeof(num), "%lld", (long long)st->version);
        rc = put_raw(b, "_state_version", 1, num);
        snprintf(num, sizeof(num), "%d", DLTC_STATE_ENGINE_VERSION);
        if (!rc)
            rc = put_raw(b, "_state_engine_version", 0, num);
        if (!rc)
            rc = put_str(b, "_version_hash", 0, st->version_hash);
        first = 0;
    }
    if (!rc)
        rc = put_str(b, "pipeline_name", first, st->pipeline_name);
    if (!rc)
        rc = put_str(b, "dataset_name", 0, st->dataset_name);
    if (!rc)
        rc = put_str(b, "default_schema_name", 0, st->default_schema_name);
    if (!rc)
        rc = put_raw(b, "schema_names", 0, "[");
    for (size_t i = 0; i < st->nschema_names && !rc; i++) {
        if (i)
            rc = dltc__buf_putc(b, ',');
        if (!rc)
            rc = dltc__json_write_string(b, st->schema_names[i], strlen(st->schema_names[i]));
    }
    if (!rc)
        rc = dltc__buf_putc(b, ']');
    if (!rc)
        rc = put_str(b, "destination_type", 0, st->destination_type);
    if (!rc)
        rc = put_str(b, "destination_name", 0, st->destination_name);
    if (!rc)
        rc = put_raw(b, "staging_type", 0, "null");
    if (!rc)
        rc = put_raw(b, "staging_name", 0, "null");
    if (!rc)
        rc = put_raw(b, "sources", 0, st->sources_json ? st->sources_json : "{}");
    return rc;
}

int dltc__state_json(const dltc_state *st, dltc_buf *out)
{
    int rc = synced_json(st, out, 1);
    return rc ? rc : dltc__buf_putc(out, '}');
}

int dltc__state_update_hash(dltc_state *st)
{
    dltc_buf raw = DLTC_BUF_INIT, sorted = DLTC_BUF_INIT;
    int rc = synced_json(st, &raw, 0);
    if (!rc)
        rc = dltc__buf_putc(&raw, '}');
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *doc = NULL;
    dltc_json_error err;
    if (!rc)
        rc = dltc__json_parse(&a, raw.data, raw.len, 512, &doc, &err);
    if (!rc)
        rc = write_sorted(&sorted, doc);
    int changed = 0;
    if (!rc) {
        uint8_t h[32];
        char hash[48];
        dltc__sha3_256(sorted.data, sorted.len, h);
        dltc__base64_encode(h, sizeof(h), hash, 1);
        if (strcmp(hash, st->version_hash) != 0) {
            changed = 1;
            st->version++;
            memcpy(st->version_hash, hash, sizeof(hash));
        }
    }
    dltc__arena_free(&a);
    dltc__buf_free(&raw);
    dltc__buf_free(&sorted);
    return rc ? rc : changed;
}

int dltc__state_add_schema_name(dltc_state *st, const char *name)
{
    size_t pos = 0;
    for (; pos < st->nschema_names; pos++) {
        int c = strcmp(st->schema_names[pos], name);
        if (c == 0)
            return 0;
        if (c > 0)
            break;
    }
    char **n = dltc__realloc(st->schema_names, (st->nschema_names + 1) * sizeof(*n));
    if (!n)
        return dltc__error_oom();
    st->schema_names = n;
    memmove(n + pos + 1, n + pos, (st->nschema_names - pos) * sizeof(*n));
    if (!(n[pos] = dltc__strdup(name)))
        return dltc__error_oom();
    st->nschema_names++;
    return 0;
}

int dltc__state_blob(const dltc_state *st, dltc_buf *out)
{
    dltc_buf json = DLTC_BUF_INIT, z = DLTC_BUF_INIT;
    int rc = dltc__state_json(st, &json);
    if (!rc)
        rc = dltc__zlib_compress(&z, json.data, json.len, 9);
    if (!rc)
        rc = dltc__buf_reserve(out, 4 * (z.len / 3 + 1) + 1);
    if (!rc)
        out->len += dltc__base64_encode((const uint8_t *)z.data, z.len, out->data + out->len, 1);
    dltc__buf_free(&json);
    dltc__buf_free(&z);
    return rc;
}

/* ---- reading ---- */

static const dltc_value *member(const dltc_value *o, const char *k)
{
    if (!o || o->type != DLTC_TYPE_OBJECT)
        return NULL;
    size_t kl = strlen(k);
    for (uint32_t i = 0; i < o->len; i++)
        if (o->u.obj[i].klen == kl && memcmp(o->u.obj[i].key, k, kl) == 0)
            return &o->u.obj[i].val;
    return NULL;
}

static int take_str(char **dst, const dltc_value *v)
{
    dltc__free(*dst);
    *dst = NULL;
    if (!v || v->type != DLTC_TYPE_STRING)
        return 0;
    *dst = dltc__strndup(v->u.s, v->len);
    return *dst ? 0 : dltc__error_oom();
}

static int from_dom(dltc_state *st, const dltc_value *doc)
{
    if (!doc || doc->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EPARSE, "pipeline state is not a JSON object");
    const dltc_value *v;
    if ((v = member(doc, "_state_version")) && v->type == DLTC_TYPE_INT)
        st->version = v->u.i;
    if ((v = member(doc, "_version_hash")) && v->type == DLTC_TYPE_STRING && v->len < 48) {
        memcpy(st->version_hash, v->u.s, v->len);
        st->version_hash[v->len] = '\0';
    }
    int rc = take_str(&st->pipeline_name, member(doc, "pipeline_name"));
    if (!rc)
        rc = take_str(&st->dataset_name, member(doc, "dataset_name"));
    if (!rc)
        rc = take_str(&st->default_schema_name, member(doc, "default_schema_name"));
    if (!rc)
        rc = take_str(&st->destination_type, member(doc, "destination_type"));
    if (!rc)
        rc = take_str(&st->destination_name, member(doc, "destination_name"));
    if (!rc && (v = member(doc, "schema_names")) && v->type == DLTC_TYPE_ARRAY)
        for (uint32_t i = 0; i < v->len && !rc; i++)
            if (v->u.arr[i].type == DLTC_TYPE_STRING)
                rc = dltc__state_add_schema_name(st, v->u.arr[i].u.s);
    if (!rc && (v = member(doc, "sources"))) {
        dltc_buf b = DLTC_BUF_INIT;
        rc = dltc__json_write(&b, v);
        dltc__free(st->sources_json);
        st->sources_json = rc ? NULL : dltc__buf_detach(&b);
        dltc__buf_free(&b);
    }
    const dltc_value *local = member(doc, "_local");
    if (!rc && local) {
        if ((v = member(local, "first_run")) && v->type == DLTC_TYPE_BOOL)
            st->first_run = (int)v->u.i;
        rc = take_str(&st->initial_cwd, member(local, "initial_cwd"));
        if (!rc)
            rc = take_str(&st->last_extracted_hash, member(local, "_last_extracted_hash"));
        if (!rc && (v = member(local, "_last_extracted_at")) && v->type == DLTC_TYPE_STRING) {
            /* typed JSON datetime: U+F027 (3 bytes in UTF-8) + isoformat */
            dltc_iso iso;
            if (v->len > 3 && dltc__iso_parse(v->u.s + 3, v->len - 3, &iso) == 0)
                st->last_extracted_at_us = iso.value;
        }
    }
    return rc;
}

int dltc__state_load(dltc_state *st, const char *path)
{
    char *data;
    size_t len;
    int rc = dltc__read_file(path, &data, &len);
    if (rc)
        return rc;
    dltc_arena a;
    dltc__arena_init(&a, 16384);
    dltc_value *doc;
    dltc_json_error err;
    rc = dltc__json_parse(&a, data, len, 512, &doc, &err);
    if (rc)
        dltc__error_prefix("%s: ", path);
    else
        rc = from_dom(st, doc);
    dltc__arena_free(&a);
    dltc__free(data);
    return rc;
}

int dltc__state_from_blob(dltc_state *st, const char *blob, size_t len)
{
    dltc_buf json = DLTC_BUF_INIT;
    uint8_t *raw = dltc__malloc(len + 4);
    if (!raw)
        return dltc__error_oom();
    long n = dltc__base64_decode(blob, len, raw);
    int rc;
    if (n < 0) /* dlt's decoder falls back to plain typed JSON */
        rc = dltc__buf_put(&json, blob, len);
    else
        rc = dltc__zlib_decompress(&json, raw, (size_t)n, 0);
    dltc__free(raw);
    dltc_arena a;
    dltc__arena_init(&a, 16384);
    dltc_value *doc;
    dltc_json_error err;
    if (!rc)
        rc = dltc__json_parse(&a, json.data, json.len, 512, &doc, &err);
    if (!rc)
        rc = from_dom(st, doc);
    dltc__arena_free(&a);
    dltc__buf_free(&json);
    return rc;
}

int dltc__state_save(const dltc_state *st, const char *path)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = synced_json(st, &b, 1);
    if (!rc)
        rc = put_raw(&b, "_local", 0, "{");
    if (!rc)
        rc = put_raw(&b, "first_run", 1, st->first_run ? "true" : "false");
    if (!rc)
        rc = put_raw(&b, "_dev_mode", 0, "false");
    if (!rc)
        rc = put_str(&b, "initial_cwd", 0, st->initial_cwd);
    if (!rc && st->last_extracted_at_us) {
        char iso[DLTC_ISO_MAX + 4] = "\xef\x80\xa7"; /* U+F027: typed datetime */
        dltc__format_timestamp(iso + 3, st->last_extracted_at_us);
        rc = put_str(&b, "_last_extracted_at", 0, iso);
    }
    if (!rc && st->last_extracted_hash)
        rc = put_str(&b, "_last_extracted_hash", 0, st->last_extracted_hash);
    if (!rc)
        rc = dltc__buf_puts(&b, "}}");
    if (!rc)
        rc = dltc__write_file_atomic(path, b.data, b.len);
    dltc__buf_free(&b);
    return rc;
}

/* ---- the sources part ---- */

int dltc__state_sources(const dltc_state *st, dltc_arena *a, dltc_value **out)
{
    const char *text = st->sources_json && *st->sources_json ? st->sources_json : "{}";
    dltc_json_error err;
    int rc = dltc__json_parse(a, text, strlen(text), 512, out, &err);
    if (!rc)
        rc = dltc__typed_json_decode(a, *out);
    return rc;
}

int dltc__state_reset_resource(dltc_state *st, const char *source, const char *resource,
                               int *removed)
{
    if (removed)
        *removed = 0;
    dltc__sstate ss;
    int rc = dltc__sstate_open(&ss, st->sources_json);
    if (rc)
        return rc;
    dltc_value *res = NULL;
    rc = dltc__sstate_obj(&ss, source, resource, 0, &res);
    if (!rc && res) {
        rc = dltc__sstate_reset_resource(&ss, source, resource);
        dltc_buf b = DLTC_BUF_INIT;
        if (!rc)
            rc = dltc__sstate_json(&ss, &b);
        if (!rc) {
            char *text = dltc__buf_detach(&b);
            if (!text) {
                rc = dltc__error_oom();
            } else {
                dltc__free(st->sources_json);
                st->sources_json = text;
                if (removed)
                    *removed = 1;
            }
        }
        dltc__buf_free(&b);
    }
    dltc__sstate_free(&ss);
    return rc;
}
