/* The value builder API and the arena-side vector growth shared with the parser. */
#include "formats/value.h"
#include "common/alloc.h"
#include "common/error.h"

#include <string.h>

size_t dltc__utf8_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + n >= len)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

int dltc__array_append(dltc_arena *a, dltc_value *arr, const dltc_value *val)
{
    if (arr->len == arr->cap) {
        uint32_t cap = arr->cap ? arr->cap * 2 : 4;
        dltc_value *n = dltc__arena_grow(a, arr->u.arr, (size_t)arr->cap * sizeof(dltc_value),
                                         (size_t)cap * sizeof(dltc_value));
        if (!n)
            return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
        arr->u.arr = n;
        arr->cap = cap;
    }
    arr->u.arr[arr->len++] = *val;
    return 0;
}

int dltc__object_set(dltc_arena *a, dltc_value *obj, const char *key, size_t klen,
                     const dltc_value *val)
{
    for (uint32_t i = 0; i < obj->len; i++) {
        dltc_member *m = &obj->u.obj[i];
        if (m->klen == klen && memcmp(m->key, key, klen) == 0) {
            m->val = *val;
            return 0;
        }
    }
    if (obj->len == obj->cap) {
        uint32_t cap = obj->cap ? obj->cap * 2 : 4;
        dltc_member *n = dltc__arena_grow(a, obj->u.obj, (size_t)obj->cap * sizeof(dltc_member),
                                          (size_t)cap * sizeof(dltc_member));
        if (!n)
            return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
        obj->u.obj = n;
        obj->cap = cap;
    }
    dltc_member *m = &obj->u.obj[obj->len++];
    m->key = key;
    m->klen = (uint32_t)klen;
    m->val = *val;
    return 0;
}

/* ---- public API ---- */

int dltc_doc_new(dltc_doc **out)
{
    dltc_doc *d = dltc__calloc(1, sizeof(*d));
    if (!d)
        return dltc__error_oom();
    dltc__arena_init(&d->arena, 64 * 1024);
    *out = d;
    return 0;
}

void dltc_doc_clear(dltc_doc *doc)
{
    dltc__arena_reset(&doc->arena);
}

void dltc_doc_free(dltc_doc *doc)
{
    if (!doc)
        return;
    dltc__arena_free(&doc->arena);
    dltc__free(doc);
}

static dltc_value *newval(dltc_doc *doc, int type)
{
    dltc_value *v = dltc__arena_alloc(&doc->arena, sizeof(*v));
    if (v)
        dltc__value_set_type(v, type);
    return v;
}

dltc_value *dltc_value_null(dltc_doc *doc)
{
    return newval(doc, DLTC_TYPE_NULL);
}

dltc_value *dltc_value_bool(dltc_doc *doc, int b)
{
    dltc_value *v = newval(doc, DLTC_TYPE_BOOL);
    if (v)
        v->u.i = b ? 1 : 0;
    return v;
}

dltc_value *dltc_value_int(dltc_doc *doc, int64_t i)
{
    dltc_value *v = newval(doc, DLTC_TYPE_INT);
    if (v)
        v->u.i = i;
    return v;
}

dltc_value *dltc_value_double(dltc_doc *doc, double d)
{
    dltc_value *v = newval(doc, DLTC_TYPE_DOUBLE);
    if (v)
        v->u.d = d;
    return v;
}

static dltc_value *bytes_value(dltc_doc *doc, int type, const char *s, size_t len)
{
    if (len > UINT32_MAX) {
        dltc__error_set(DLTC_ELIMIT, "value of %zu bytes is too large", len);
        return NULL;
    }
    dltc_value *v = newval(doc, type);
    if (!v)
        return NULL;
    char *copy = dltc__arena_strndup(&doc->arena, s ? s : "", len);
    if (!copy)
        return NULL;
    v->u.s = copy;
    v->len = (uint32_t)len;
    return v;
}

dltc_value *dltc_value_string(dltc_doc *doc, const char *s, size_t len)
{
    size_t bad = dltc__utf8_check(s, len);
    if (bad != len) {
        dltc__error_set(DLTC_EINVALID, "string is not valid UTF-8 at byte %zu", bad);
        return NULL;
    }
    return bytes_value(doc, DLTC_TYPE_STRING, s, len);
}

dltc_value *dltc_value_cstring(dltc_doc *doc, const char *s)
{
    return dltc_value_string(doc, s, strlen(s));
}

dltc_value *dltc_value_timestamp(dltc_doc *doc, int64_t unix_us, int has_tz)
{
    dltc_value *v = newval(doc, DLTC_TYPE_TIMESTAMP);
    if (v) {
        v->u.i = unix_us;
        v->flags = has_tz ? DLTC_VF_TZ : 0;
    }
    return v;
}

dltc_value *dltc_value_date(dltc_doc *doc, int32_t days)
{
    dltc_value *v = newval(doc, DLTC_TYPE_DATE);
    if (v)
        v->u.i = days;
    return v;
}

dltc_value *dltc_value_time(dltc_doc *doc, int64_t us)
{
    if (us < 0 || us >= 86400LL * 1000000) {
        dltc__error_set(DLTC_EINVALID, "time of day out of range: %lld us", (long long)us);
        return NULL;
    }
    dltc_value *v = newval(doc, DLTC_TYPE_TIME);
    if (v)
        v->u.i = us;
    return v;
}

/* plain decimal: -?digits[.digits] */
static int decimal_valid(const char *t)
{
    const char *p = t;
    if (*p == '-' || *p == '+')
        p++;
    int digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    return digits > 0 && *p == '\0';
}

dltc_value *dltc_value_decimal(dltc_doc *doc, const char *text)
{
    if (!decimal_valid(text)) {
        dltc__error_set(DLTC_EINVALID, "not a plain decimal number: '%.40s'", text);
        return NULL;
    }
    return bytes_value(doc, DLTC_TYPE_DECIMAL, text, strlen(text));
}

dltc_value *dltc_value_binary(dltc_doc *doc, const void *data, size_t len)
{
    return bytes_value(doc, DLTC_TYPE_BINARY, data, len);
}

dltc_value *dltc_value_object(dltc_doc *doc)
{
    return newval(doc, DLTC_TYPE_OBJECT);
}

dltc_value *dltc_value_array(dltc_doc *doc)
{
    return newval(doc, DLTC_TYPE_ARRAY);
}

int dltc_object_set(dltc_doc *doc, dltc_value *object, const char *key, dltc_value *value)
{
    if (!object || object->type != DLTC_TYPE_OBJECT || !value || !key)
        return dltc__error_set(DLTC_EINVALID, "dltc_object_set needs an object, a key and a value");
    size_t klen = strlen(key);
    if (dltc__utf8_check(key, klen) != klen)
        return dltc__error_set(DLTC_EINVALID, "object key is not valid UTF-8");
    char *k = dltc__arena_strndup(&doc->arena, key, klen);
    if (!k)
        return dltc_error_last()->code;
    return dltc__object_set(&doc->arena, object, k, klen, value);
}

int dltc_array_append(dltc_doc *doc, dltc_value *array, dltc_value *value)
{
    if (!array || array->type != DLTC_TYPE_ARRAY || !value)
        return dltc__error_set(DLTC_EINVALID, "dltc_array_append needs an array and a value");
    return dltc__array_append(&doc->arena, array, value);
}

dltc_value_type dltc_value_type_of(const dltc_value *v)
{
    return (dltc_value_type)v->type;
}

int dltc_value_get_bool(const dltc_value *v)
{
    return v->u.i != 0;
}

int64_t dltc_value_get_int(const dltc_value *v)
{
    return v->u.i;
}

double dltc_value_get_double(const dltc_value *v)
{
    return v->type == DLTC_TYPE_INT ? (double)v->u.i : v->u.d;
}

int dltc_value_get_tz(const dltc_value *v)
{
    return v->type == DLTC_TYPE_TIMESTAMP && (v->flags & DLTC_VF_TZ) != 0;
}

const char *dltc_value_get_str(const dltc_value *v, size_t *len)
{
    if (len)
        *len = v->len;
    return v->u.s;
}

size_t dltc_value_size(const dltc_value *v)
{
    return (v->type == DLTC_TYPE_ARRAY || v->type == DLTC_TYPE_OBJECT) ? v->len : 0;
}

const dltc_value *dltc_array_get(const dltc_value *array, size_t i)
{
    return i < array->len ? &array->u.arr[i] : NULL;
}

const char *dltc_object_key(const dltc_value *object, size_t i, size_t *len)
{
    if (i >= object->len)
        return NULL;
    if (len)
        *len = object->u.obj[i].klen;
    return object->u.obj[i].key;
}

const dltc_value *dltc_object_value(const dltc_value *object, size_t i)
{
    return i < object->len ? &object->u.obj[i].val : NULL;
}

const dltc_value *dltc_object_get(const dltc_value *object, const char *key)
{
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < object->len; i++)
        if (object->u.obj[i].klen == klen && memcmp(object->u.obj[i].key, key, klen) == 0)
            return &object->u.obj[i].val;
    return NULL;
}

