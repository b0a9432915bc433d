#include "common/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void *dltc__dynlib_load(const char *env, const char *path, const char *lib, const char *package,
                        const char *const *names, void **const *slots, size_t n, char *err,
                        size_t cap)
{
    const char *e = getenv(env);
    if (e && *e) path = e;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, cap, "%s not loaded: %s (install %s, or set %s)", lib, dlerror(), package,
                 env);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!(*slots[i] = dlsym(h, names[i]))) {
            snprintf(err, cap, "%s: %s function %s is missing", path, lib, names[i]);
            return NULL;
        }
    return h;
}
