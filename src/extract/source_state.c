/* The sources state tree of an extract. Values live in one arena; a replaced value stays in
 * it until the tree is compacted (re-read from its own JSON), which happens when the arena
 * has grown well past the size of the live tree. */
#include "extract/source_state.h"
#include "common/alloc.h"
#include "common/error.h"
#include "formats/json.h"
#include "formats/typed_json.h"

#include <string.h>

#define STATE_MAX_BYTES (64u << 20)

static int parse_into(dltc__sstate *ss, const char *json, size_t len)
{
    dltc__value_set_type(&ss->root, DLTC_TYPE_OBJECT);
    if (!json || !len)
        return 0;
    dltc_value *v;
    dltc_json_error err;
    int rc = dltc__json_parse(&ss->arena, json, len, 512, &v, &err);
    if (rc) {
        dltc__error_prefix("pipeline state (sources): ");
        return rc;
    }
    if (v->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EPARSE, "pipeline state: \"sources\" is not an object");
    if ((rc = dltc__typed_json_decode(&ss->arena, v)))
        return rc;
    ss->root = *v;
    return 0;
}

int dltc__sstate_open(dltc__sstate *ss, const char *sources_json)
{
    memset(ss, 0, sizeof(*ss));
    dltc__arena_init(&ss->arena, 16 * 1024);
    size_t len = sources_json ? strlen(sources_json) : 0;
    ss->compact_at = 4 * len + (1u << 20);
    int rc = parse_into(ss, sources_json, len);
    if (rc)
        dltc__arena_free(&ss->arena);
    return rc;
}

void dltc__sstate_free(dltc__sstate *ss)
{
    if (ss)
        dltc__arena_free(&ss->arena);
}

static dltc_value *find(dltc_value *obj, const char *key)
{
    if (!obj || obj->type != DLTC_TYPE_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < obj->len; i++)
        if (obj->u.obj[i].klen == n && memcmp(obj->u.obj[i].key, key, n) == 0)
            return &obj->u.obj[i].val;
    return NULL;
}

int dltc__sstate_put(dltc__sstate *ss, dltc_value *obj, const char *key, const dltc_value *v)
{
    size_t n = strlen(key);
    char *k = dltc__arena_strndup(&ss->arena, key, n);
    if (!k)
        return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
    return dltc__object_set(&ss->arena, obj, k, n, v);
}

int dltc__sstate_child(dltc__sstate *ss, dltc_value *obj, const char *key, int create,
                       dltc_value **out)
{
    dltc_value *c = find(obj, key);
    if (c && c->type != DLTC_TYPE_OBJECT) {
        if (!create) {
            *out = NULL;
            return 0;
        }
        c = NULL; /* not an object: replaced by one */
    }
    if (!c && create) {
        dltc_value empty;
        dltc__value_set_type(&empty, DLTC_TYPE_OBJECT);
        int rc = dltc__sstate_put(ss, obj, key, &empty);
        if (rc)
            return rc;
        c = find(obj, key);
    }
    *out = c;
    return 0;
}

int dltc__sstate_obj(dltc__sstate *ss, const char *source, const char *resource, int create,
                     dltc_value **out)
{
    dltc_value *s, *r;
    *out = NULL;
    int rc = dltc__sstate_child(ss, &ss->root, source, create, &s);
    if (rc || !s || !resource) {
        *out = s;
        return rc;
    }
    if ((rc = dltc__sstate_child(ss, s, "resources", create, &r)) || !r)
        return rc;
    return dltc__sstate_child(ss, r, resource, create, out);
}

int dltc__sstate_set(dltc__sstate *ss, const char *source, const char *resource, const char *key,
                     const dltc_value *v)
{
    /* a deep copy through typed JSON: typed values keep their types */
    dltc_buf b = DLTC_BUF_INIT;
    b.limit = STATE_MAX_BYTES;
    int rc = dltc__typed_json_write(&b, v);
    dltc_value *copy = NULL, *obj;
    dltc_json_error err;
    if (!rc)
        rc = dltc__json_parse(&ss->arena, b.data, b.len, 512, &copy, &err);
    if (!rc)
        rc = dltc__typed_json_decode(&ss->arena, copy);
    if (!rc)
        rc = dltc__sstate_obj(ss, source, resource, 1, &obj);
    if (!rc)
        rc = dltc__sstate_put(ss, obj, key, copy);
    dltc__buf_free(&b);
    if (!rc)
        rc = dltc__sstate_compact(ss, 0);
    return rc;
}

static void remove_member(dltc_value *obj, const char *key)
{
    dltc_value *v = find(obj, key);
    if (!v)
        return;
    dltc_member *m = (dltc_member *)((char *)v - offsetof(dltc_member, val));
    size_t i = (size_t)(m - obj->u.obj);
    memmove(&obj->u.obj[i], &obj->u.obj[i + 1], (obj->len - i - 1) * sizeof(dltc_member));
    obj->len--;
}

int dltc__sstate_remove(dltc__sstate *ss, const char *source, const char *resource, const char *key)
{
    dltc_value *obj;
    int rc = dltc__sstate_obj(ss, source, resource, 0, &obj);
    if (!rc && obj)
        remove_member(obj, key);
    return rc;
}

int dltc__sstate_reset_resource(dltc__sstate *ss, const char *source, const char *resource)
{
    dltc_value *s, *r;
    int rc = dltc__sstate_child(ss, &ss->root, source, 0, &s);
    if (!rc && s)
        rc = dltc__sstate_child(ss, s, "resources", 0, &r);
    else
        r = NULL;
    if (!rc && r)
        remove_member(r, resource);
    return rc;
}

int dltc__sstate_json(const dltc__sstate *ss, dltc_buf *out)
{
    size_t keep = out->limit;
    out->limit = out->len + STATE_MAX_BYTES;
    int rc = dltc__typed_json_write(out, &ss->root);
    out->limit = keep;
    if (rc == DLTC_ELIMIT)
        dltc__error_set(rc, "the sources state is larger than %u MiB", STATE_MAX_BYTES >> 20);
    return rc;
}

int dltc__sstate_compact(dltc__sstate *ss, int force)
{
    if (!force && ss->arena.used < ss->compact_at)
        return 0;
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__sstate_json(ss, &b);
    dltc__sstate fresh;
    if (!rc)
        rc = dltc__sstate_open(&fresh, b.data);
    if (!rc) {
        dltc__arena_free(&ss->arena);
        *ss = fresh;
    }
    dltc__buf_free(&b);
    return rc;
}
