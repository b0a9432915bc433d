/* The single allocator hook of the library. */
#include "common/alloc.h"
#include "dltc/common.h"

#include <stdlib.h>
#include <string.h>

static void *std_malloc(size_t size, void *payload)
{
    (void)payload;
    return malloc(size);
}
static void *std_realloc(void *ptr, size_t size, void *payload)
{
    (void)payload;
    return realloc(ptr, size);
}
static void std_free(void *ptr, void *payload)
{
    (void)payload;
    free(ptr);
}

static dltc_allocator g_alloc = {std_malloc, std_realloc, std_free, NULL};

void dltc_allocator_set(const dltc_allocator *allocator)
{
    if (allocator)
        g_alloc = *allocator;
    else
        g_alloc = (dltc_allocator){std_malloc, std_realloc, std_free, NULL};
}

void *dltc__malloc(size_t size)
{
    return g_alloc.malloc_fn(size ? size : 1, g_alloc.payload);
}

void *dltc__calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = dltc__malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *dltc__realloc(void *ptr, size_t size)
{
    return g_alloc.realloc_fn(ptr, size ? size : 1, g_alloc.payload);
}

void dltc__free(void *ptr)
{
    if (ptr)
        g_alloc.free_fn(ptr, g_alloc.payload);
}

char *dltc__strndup(const char *s, size_t n)
{
    char *p = dltc__malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *dltc__strdup(const char *s)
{
    return dltc__strndup(s, strlen(s));
}

void dltc_free(void *ptr)
{
    dltc__free(ptr);
}
