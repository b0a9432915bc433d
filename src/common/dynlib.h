/* Outside libraries loaded on first use (dlopen), not linked: the wrappers (curl.c,
 * postgres/libpq.c, sqlite.c, mhd.c) list their functions once in an X-macro and load them here. Commands that
 * never need a library do not pay its relocations, and libdltc has no hard dependency on it. */
#ifndef DLTC_COMMON_DYNLIB_H
#define DLTC_COMMON_DYNLIB_H

#include <stddef.h>

/* For a wrapper's X-macro list: the names, and the addresses of its p_<name> pointers. */
#define DLTC_DYNLIB_NAME(name) #name,
#define DLTC_DYNLIB_SLOT(name) (void **)&p_##name,

/* Open `path` ($env names another file when set) and resolve names[i] into *slots[i]. On
 * failure `err` (cap bytes) holds one line — "<lib> not loaded: <why> (install <package>, or
 * set <env>)" or "<path>: <lib> function <name> is missing" — and NULL is returned. Call it
 * once (pthread_once in the wrapper). */
void *dltc__dynlib_load(const char *env, const char *path, const char *lib, const char *package,
                        const char *const *names, void **const *slots, size_t n, char *err,
                        size_t cap);

#endif
