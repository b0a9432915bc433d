/* Bump arena for per-batch data (one item, one batch of rows). Reset between batches.
 * With DLTC_ARENA_DEBUG compiled in, or env DLTC_ARENA_MALLOC=1, every allocation is a real
 * malloc freed on reset, so ASan/valgrind see each object. */
#ifndef DLTC_COMMON_ARENA_H
#define DLTC_COMMON_ARENA_H

#include <stddef.h>

typedef struct dltc_arena_block dltc_arena_block;

typedef struct {
    dltc_arena_block *head; /* current block; older blocks chained behind */
    char *ptr;
    char *end;
    size_t block_size; /* default size of a new block */
    size_t used;       /* bytes handed out since the last reset */
    size_t limit;      /* 0 = unlimited; else allocation fails past it (DLTC_ELIMIT) */
    int debug;         /* each allocation is its own malloc */
    void **dbg;        /* debug mode: the allocations to free */
    size_t dbg_len, dbg_cap;
} dltc_arena;

void dltc__arena_init(dltc_arena *a, size_t block_size);
/* 16-byte aligned; NULL with the last error set on failure. */
void *dltc__arena_alloc(dltc_arena *a, size_t size);
/* Grow the latest allocation in place when possible, else copy. */
void *dltc__arena_grow(dltc_arena *a, void *old, size_t old_size, size_t new_size);
char *dltc__arena_strndup(dltc_arena *a, const char *s, size_t n);
/* Forget every allocation; keeps one block for reuse. */
void dltc__arena_reset(dltc_arena *a);
void dltc__arena_free(dltc_arena *a);

#endif
