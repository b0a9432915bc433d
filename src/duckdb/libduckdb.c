/*
 * libduckdb, loaded with dlopen on first use (see duckdb_int.h for why). The function
 * pointers p_<name> of DLTC_DUCKDB_FUNCTIONS live here, filled once by common/dynlib.c; the
 * other files of the client call DuckDB through them.
 */
#include "duckdb/duckdb_int.h"
#include "common/dynlib.h"
#include "common/error.h"

#include <pthread.h>

#define DLTC_DEFINE(name) __typeof__(name) *p_##name;
DLTC_DUCKDB_FUNCTIONS(DLTC_DEFINE)
#undef DLTC_DEFINE

#ifndef DLTC_DUCKDB_LIB_PATH
#define DLTC_DUCKDB_LIB_PATH "libduckdb.so"
#endif

static pthread_once_t g_load_once = PTHREAD_ONCE_INIT;
static char g_load_error[512];

static void load_library(void)
{
    /* $DLTC_DUCKDB_LIB, else an installed copy (<prefix>/lib/dltc/libduckdb.so beside the
     * binary), else the build's (third_party/duckdb). A build that links libduckdb (the
     * sanitizer build) has it already: no installed copy then. */
    static const char *const beside[] = {"/../lib/dltc/libduckdb.so", "/dltc/libduckdb.so",
                                         "/../lib64/dltc/libduckdb.so", NULL};
    static const dltc_dynlib_spec spec = {
        .env = "DLTC_DUCKDB_LIB",
        .path = DLTC_DUCKDB_LIB_PATH,
        .lib = "DuckDB",
        .title = "DuckDB library",
        .hint = "run scripts/bootstrap, or set DLTC_DUCKDB_LIB to libduckdb.so",
        .beside = beside,
        .linked = "duckdb_open_ext"};
    static const char *const names[] = {DLTC_DUCKDB_FUNCTIONS(DLTC_DYNLIB_NAME)};
    void **const slots[] = {DLTC_DUCKDB_FUNCTIONS(DLTC_DYNLIB_SLOT)};
    dltc__dynlib_open(&spec, names, slots, sizeof(names) / sizeof(names[0]), g_load_error,
                      sizeof(g_load_error));
}

int dltc__duckdb_library_load(void)
{
    pthread_once(&g_load_once, load_library);
    return g_load_error[0] ? dltc__error_set(DLTC_EDATABASE, "%s", g_load_error) : 0;
}
