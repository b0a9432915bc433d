/*
 * libpq, the Postgres client library, loaded with dlopen on the first connection, as libcurl
 * and libduckdb are: most commands never speak to Postgres. $DLTC_LIBPQ_LIB overrides the
 * library path. The function pointers p_<name> of DLTC_PQ_FUNCTIONS (pg_int.h) live here,
 * filled once by common/dynlib.c; the other files of the client call libpq through them.
 */
#include "load/destinations/postgres/pg_int.h"
#include "common/dynlib.h"
#include "common/error.h"

#include <pthread.h>

#define DLTC_DEFINE(name) __typeof__(name) *p_##name;
DLTC_PQ_FUNCTIONS(DLTC_DEFINE)
#undef DLTC_DEFINE

#ifndef DLTC_LIBPQ_LIB_PATH
#define DLTC_LIBPQ_LIB_PATH "libpq.so.5"
#endif

static pthread_once_t g_load_once = PTHREAD_ONCE_INIT;
static char g_load_error[512];

static void load_library(void)
{
    static const char *const names[] = {DLTC_PQ_FUNCTIONS(DLTC_DYNLIB_NAME)};
    void **const slots[] = {DLTC_PQ_FUNCTIONS(DLTC_DYNLIB_SLOT)};
    dltc__dynlib_load("DLTC_LIBPQ_LIB", DLTC_LIBPQ_LIB_PATH, "libpq", "libpq5", names, slots,
                      sizeof(names) / sizeof(names[0]), g_load_error, sizeof(g_load_error));
}

int dltc__pg_libpq_load(void)
{
    pthread_once(&g_load_once, load_library);
    return g_load_error[0] ? dltc__error_set(DLTC_EDATABASE, "%s", g_load_error) : 0;
}
