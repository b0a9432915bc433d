#include "common/strmap.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"

#include <string.h>

static dltc_strmap_slot *find(const dltc_strmap *m, const char *key, size_t klen, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        dltc_strmap_slot *s = &m->slots[i];
        if (!s->key)
            return s;
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return s;
    }
}

int dltc__strmap_get(const dltc_strmap *m, const char *key, size_t klen, size_t *value)
{
    if (!m->cap)
        return 0;
    dltc_strmap_slot *s = find(m, key, klen, dltc__hash_bytes(key, klen));
    if (!s->key)
        return 0;
    if (value)
        *value = s->value;
    return 1;
}

static int grow(dltc_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    dltc_strmap_slot *slots = dltc__calloc(cap, sizeof(*slots));
    if (!slots)
        return dltc__error_oom();
    dltc_strmap old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key)
            *find(m, old.slots[i].key, old.slots[i].klen, old.slots[i].hash) = old.slots[i];
    dltc__free(old.slots);
    return 0;
}

int dltc__strmap_put(dltc_strmap *m, const char *key, size_t klen, size_t value)
{
    if ((m->len + 1) * 4 > m->cap * 3) {
        int rc = grow(m);
        if (rc)
            return rc;
    }
    uint64_t h = dltc__hash_bytes(key, klen);
    dltc_strmap_slot *s = find(m, key, klen, h);
    if (!s->key) {
        s->key = dltc__strndup(key, klen);
        if (!s->key)
            return dltc__error_oom();
        s->klen = (uint32_t)klen;
        s->hash = h;
        m->len++;
    }
    s->value = value;
    return 0;
}

void dltc__strmap_free(dltc_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        dltc__free(m->slots[i].key);
    dltc__free(m->slots);
    m->slots = NULL;
    m->cap = m->len = 0;
}
