/* Opening a SQL destination by type (load/destination.h). */
#include "load/destination.h"
#include "common/alloc.h"
#include "common/error.h"
#include "package/package.h"

#include <stdlib.h>
#include <string.h>

int dltc__dest_open(dltc_dest **out, const char *type, const char *location,
                    dltc_dest_purpose purpose)
{
    *out = NULL;
    if (!type || strcmp(type, "duckdb") == 0)
        return dltc__duckdb_dest_open(out, location, purpose);
    if (strcmp(type, "postgres") == 0)
        return dltc__postgres_open(out, location, purpose);
    if (strcmp(type, "motherduck") == 0)
        return dltc__motherduck_open(out, location, purpose);
    return dltc__error_set(DLTC_EINVALID, "destination '%s' is not a SQL destination", type);
}

/* MotherDuck is DuckDB with an md: database (DuckDB's motherduck extension connects).
 * DLTC_MOTHERDUCK_STANDIN names a local DuckDB file to use instead: the whole load path is
 * then tested offline (this machine cannot reach MotherDuck). */
int dltc__motherduck_open(dltc_dest **out, const char *location, dltc_dest_purpose purpose)
{
    const char *standin = getenv("DLTC_MOTHERDUCK_STANDIN");
    if (standin && *standin)
        return dltc__duckdb_dest_open(out, standin, purpose);
    int rc = dltc__duckdb_dest_open(out, location, purpose);
    if (rc)
        dltc__error_prefix("motherduck (needs DuckDB's motherduck extension and the network): ");
    return rc;
}

int dltc__dest_table_exists(dltc_dest *d, const char *dataset, const char *table, int *yes)
{
    char **names = NULL;
    size_t n = 0;
    int rc = dltc__dest_table_columns(d, dataset, table, &names, &n, yes);
    dltc__strv_free(names, n);
    return rc;
}
