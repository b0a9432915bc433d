/* Internal allocation entry points; every allocation of the library goes through these so
 * that tests can fail the N-th allocation (see dltc_allocator_set). */
#ifndef DLTC_COMMON_ALLOC_H
#define DLTC_COMMON_ALLOC_H

#include <stddef.h>

void *dltc__malloc(size_t size);
void *dltc__calloc(size_t n, size_t size);
void *dltc__realloc(void *ptr, size_t size);
void dltc__free(void *ptr);
char *dltc__strndup(const char *s, size_t n);
char *dltc__strdup(const char *s);

#endif
