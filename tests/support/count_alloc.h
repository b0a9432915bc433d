/* A counting allocator for libdltc (dltc_allocator_set before any dltc call): the bytes it
 * holds now (tu_live) and their highest mark (tu_peak), for tests of memory bounds. */
#ifndef DLTC_TEST_COUNT_ALLOC_H
#define DLTC_TEST_COUNT_ALLOC_H

#include "dltc/dltc.h"

#include <stdlib.h>
#include <string.h>

static size_t tu_live, tu_peak;

static inline void *tu_count_malloc(size_t n, void *payload)
{
    (void)payload;
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    p[0] = n;
    size_t live = __atomic_add_fetch(&tu_live, n, __ATOMIC_RELAXED);
    if (live > __atomic_load_n(&tu_peak, __ATOMIC_RELAXED))
        __atomic_store_n(&tu_peak, live, __ATOMIC_RELAXED);
    return (char *)p + 16;
}

static inline void tu_count_free(void *ptr, void *payload)
{
    (void)payload;
    if (!ptr)
        return;
    size_t *p = (size_t *)((char *)ptr - 16);
    __atomic_sub_fetch(&tu_live, p[0], __ATOMIC_RELAXED);
    free(p);
}

static inline void *tu_count_realloc(void *ptr, size_t n, void *payload)
{
    if (!ptr)
        return tu_count_malloc(n, payload);
    size_t old = ((size_t *)((char *)ptr - 16))[0];
    void *q = tu_count_malloc(n, payload);
    if (!q)
        return NULL;
    memcpy(q, ptr, old < n ? old : n);
    tu_count_free(ptr, payload);
    return q;
}

/* Install it (once, first thing in main). */
static inline void tu_count_alloc_install(void)
{
    static dltc_allocator a = {tu_count_malloc, tu_count_realloc, tu_count_free, NULL};
    dltc_allocator_set(&a);
}

#endif
