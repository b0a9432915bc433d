/* Outside libraries loaded on first use (dlopen), not linked: the wrappers (duckdb/libduckdb.c,
 * curl.c, postgres/libpq.c, sqlite.c, mhd.c) list their functions once in an X-macro and load
 * them here. Commands that never need a library do not pay its relocations, and libdltc has no
 * hard dependency on it. */
#ifndef DLTC_COMMON_DYNLIB_H
#define DLTC_COMMON_DYNLIB_H

#include <stddef.h>

/* For a wrapper's X-macro list: the names, and the addresses of its p_<name> pointers. */
#define DLTC_DYNLIB_NAME(name) #name,
#define DLTC_DYNLIB_SLOT(name) (void **)&p_##name,

/* Which file to open and how the messages name it. */
typedef struct {
    const char *env;   /* $env, when set, names the file */
    const char *path;  /* else this one (a bare name: dlopen's search) */
    const char *lib;   /* "<path>: <lib> function <name> is missing" */
    const char *title; /* "<title> not loaded: <why> (<hint>)"; NULL: lib */
    const char *hint;  /* e.g. "install libcurl4, or set DLTC_CURL_LIB" */
    /* An installed copy, tried before `path` when $env is unset: NULL, or NULL-terminated
     * paths relative to the folder of the binary that holds libdltc ("/../lib/dltc/x.so"),
     * the first readable one taken; skipped when the process already has the function
     * `linked` (the library is linked in, and a second copy would run its global
     * destructors twice). */
    const char *const *beside;
    const char *linked;
} dltc_dynlib_spec;

/* Open the library of `spec` and resolve names[i] into *slots[i]. On failure `err` (cap
 * bytes) holds one line, "<title> not loaded: <why> (<hint>)" or "<path>: <lib> function
 * <name> is missing", and NULL is returned. Call it once (pthread_once in the wrapper). */
void *dltc__dynlib_open(const dltc_dynlib_spec *spec, const char *const *names,
                        void **const *slots, size_t n, char *err, size_t cap);
/* The common case: dltc__dynlib_open with {env, path, lib} and the hint "install <package>,
 * or set <env>". */
void *dltc__dynlib_load(const char *env, const char *path, const char *lib, const char *package,
                        const char *const *names, void **const *slots, size_t n, char *err,
                        size_t cap);

#endif
