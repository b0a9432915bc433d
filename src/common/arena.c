#include "common/arena.h"
#include "common/alloc.h"
#include "common/error.h"

#include <stdlib.h>
#include <string.h>

struct dltc_arena_block {
    dltc_arena_block *next;
    size_t size;
    /* data follows, 16-aligned */
};

#define HDR ((sizeof(dltc_arena_block) + 15) & ~(size_t)15)

static int arena_debug_default(void)
{
#ifdef DLTC_ARENA_DEBUG
    return 1;
#else
    const char *e = getenv("DLTC_ARENA_MALLOC");
    return e && e[0] == '1';
#endif
}

void dltc__arena_init(dltc_arena *a, size_t block_size)
{
    memset(a, 0, sizeof(*a));
    a->block_size = block_size ? block_size : 64 * 1024;
    a->debug = arena_debug_default();
}

static void *debug_alloc(dltc_arena *a, size_t size)
{
    if (a->dbg_len == a->dbg_cap) {
        size_t cap = a->dbg_cap ? a->dbg_cap * 2 : 64;
        void **d = dltc__realloc(a->dbg, cap * sizeof(void *));
        if (!d)
            return NULL;
        a->dbg = d;
        a->dbg_cap = cap;
    }
    void *p = dltc__malloc(size);
    if (!p)
        return NULL;
    a->dbg[a->dbg_len++] = p;
    return p;
}

void *dltc__arena_alloc(dltc_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (a->limit && a->used + size > a->limit) {
        dltc__error_set(DLTC_ELIMIT, "arena limit of %zu bytes exceeded", a->limit);
        return NULL;
    }
    void *p;
    if (a->debug) {
        p = debug_alloc(a, size);
    } else {
        if ((size_t)(a->end - a->ptr) < size) {
            size_t bsize = size > a->block_size ? size : a->block_size;
            dltc_arena_block *b = dltc__malloc(HDR + bsize);
            if (!b) {
                dltc__error_oom();
                return NULL;
            }
            b->size = bsize;
            b->next = a->head;
            a->head = b;
            a->ptr = (char *)b + HDR;
            a->end = a->ptr + bsize;
        }
        p = a->ptr;
        a->ptr += size;
    }
    if (!p) {
        dltc__error_oom();
        return NULL;
    }
    a->used += size;
    return p;
}

void *dltc__arena_grow(dltc_arena *a, void *old, size_t old_size, size_t new_size)
{
    size_t olda = (old_size + 15) & ~(size_t)15;
    size_t newa = (new_size + 15) & ~(size_t)15;
    if (old && !a->debug && (char *)old + olda == a->ptr && (size_t)(a->end - (char *)old) >= newa) {
        if (a->limit && a->used - olda + newa > a->limit) {
            dltc__error_set(DLTC_ELIMIT, "arena limit of %zu bytes exceeded", a->limit);
            return NULL;
        }
        a->ptr = (char *)old + newa;
        a->used += newa - olda;
        return old;
    }
    void *p = dltc__arena_alloc(a, new_size);
    if (p && old)
        memcpy(p, old, old_size < new_size ? old_size : new_size);
    return p;
}

char *dltc__arena_strndup(dltc_arena *a, const char *s, size_t n)
{
    char *p = dltc__arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void dltc__arena_reset(dltc_arena *a)
{
    if (a->debug) {
        for (size_t i = 0; i < a->dbg_len; i++)
            dltc__free(a->dbg[i]);
        a->dbg_len = 0;
    } else if (a->head) {
        /* keep the newest block (usually the largest), free the rest */
        dltc_arena_block *b = a->head->next;
        while (b) {
            dltc_arena_block *n = b->next;
            dltc__free(b);
            b = n;
        }
        a->head->next = NULL;
        a->ptr = (char *)a->head + HDR;
        a->end = a->ptr + a->head->size;
    }
    a->used = 0;
}

void dltc__arena_free(dltc_arena *a)
{
    dltc__arena_reset(a);
    dltc__free(a->head);
    dltc__free(a->dbg);
    a->head = NULL;
    a->dbg = NULL;
    a->ptr = a->end = NULL;
    a->dbg_cap = 0;
}
