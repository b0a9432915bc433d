#include "common/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first of `rel` that is readable beside the binary that holds this code (<prefix>/bin/dlt
 * with the library linked in, or <prefix>/lib/libdltc.so), so an installed prefix works
 * without the source tree and wherever it is moved to. */
static int beside_binary(const char *const *rel, char *out, size_t cap)
{
    Dl_info info;
    if (!dladdr((void *)beside_binary, &info) || !info.dli_fname || info.dli_fname[0] != '/')
        return 0;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", info.dli_fname);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    for (; *rel; rel++) {
        if ((size_t)snprintf(out, cap, "%s%s", dir, *rel) < cap && access(out, R_OK) == 0)
            return 1;
    }
    return 0;
}

void *dltc__dynlib_open(const dltc_dynlib_spec *spec, const char *const *names,
                        void **const *slots, size_t n, char *err, size_t cap)
{
    /* $env, else an installed copy, else the default */
    char installed[4200];
    const char *path = getenv(spec->env);
    if ((!path || !*path) && spec->beside &&
        !(spec->linked && dlsym(RTLD_DEFAULT, spec->linked)) &&
        beside_binary(spec->beside, installed, sizeof(installed)))
        path = installed;
    if (!path || !*path)
        path = spec->path;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, cap, "%s not loaded: %s (%s)", spec->title ? spec->title : spec->lib,
                 dlerror(), spec->hint);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!(*slots[i] = dlsym(h, names[i]))) {
            snprintf(err, cap, "%.300s: %s function %s is missing", path, spec->lib, names[i]);
            return NULL;
        }
    return h;
}

void *dltc__dynlib_load(const char *env, const char *path, const char *lib, const char *package,
                        const char *const *names, void **const *slots, size_t n, char *err,
                        size_t cap)
{
    char hint[256];
    snprintf(hint, sizeof(hint), "install %s, or set %s", package, env);
    const dltc_dynlib_spec spec = {.env = env, .path = path, .lib = lib, .hint = hint};
    return dltc__dynlib_open(&spec, names, slots, n, err, cap);
}
