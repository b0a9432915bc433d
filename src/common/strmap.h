/* Open-addressing hash map from byte strings to a size_t (an index into the owner's
 * vector). Keys are copied. Used for table/column lookup by name. */
#ifndef DLTC_COMMON_STRMAP_H
#define DLTC_COMMON_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *key;
    uint32_t klen;
    uint64_t hash;
    size_t value;
} dltc_strmap_slot;

typedef struct {
    dltc_strmap_slot *slots;
    size_t cap; /* power of two */
    size_t len;
} dltc_strmap;

#define DLTC_STRMAP_INIT {NULL, 0, 0}

/* 1 and *value when found, 0 when not. */
int dltc__strmap_get(const dltc_strmap *m, const char *key, size_t klen, size_t *value);
/* Insert or replace. 0 or DLTC_ENOMEM. */
int dltc__strmap_put(dltc_strmap *m, const char *key, size_t klen, size_t value);
void dltc__strmap_free(dltc_strmap *m);

#endif
