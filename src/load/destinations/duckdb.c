/* The DuckDB client (src/duckdb/) as a destination connection (load/destination.h): the
 * dltc_dest ops over a dltc_duckdb, opened to load, to read, or read-only and locked down. */
#include "load/destination.h"
#include "duckdb/client.h"
#include "duckdb/load.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "load/sql.h"

#include <string.h>

typedef struct {
    dltc_dest base; /* first: a duckdb_dest is a dltc_dest */
    dltc_duckdb *db;
} duckdb_dest;

#define DB(d) (((duckdb_dest *)(d))->db)

static int op_exec(dltc_dest *d, const char *sql)
{
    return dltc__duckdb_exec(DB(d), sql);
}

static int op_query(dltc_dest *d, const char *sql, dltc_rows **out)
{
    return dltc__duckdb_query(DB(d), sql, out);
}

static int op_table_columns(dltc_dest *d, const char *dataset, const char *table, char ***names,
                            size_t *n, int *exists)
{
    return dltc__duckdb_table_columns(DB(d), dataset, table, names, n, exists);
}

static int op_load_file(dltc_dest *d, const char *dataset, const dltc_table *t, const char *path,
                        const char *format, unsigned flags, uint64_t *rows)
{
    (void)flags; /* each file is one INSERT … SELECT */
    return dltc__duckdb_load_file(DB(d), dataset, t, path, format, rows);
}

static void op_close(dltc_dest *d)
{
    dltc__duckdb_close(DB(d));
    dltc__free(d);
}

static int op_query_limited(dltc_dest *d, const char *sql, size_t max_rows, dltc_rows **out,
                            int *truncated)
{
    return dltc__duckdb_query_limited(DB(d), sql, max_rows, out, truncated);
}

static const dltc_dest_ops duckdb_ops = {"duckdb",         DLTC_SQL_DUCKDB, op_exec,
                                         op_query,         op_table_columns, op_load_file,
                                         op_close,         op_query_limited};

int dltc__duckdb_dest_lock_down(dltc_dest *dd, const char *allowed_dir)
{
    dltc_duckdb *d = DB(dd);
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    if (allowed_dir) { /* a prefix: with its '/', a sibling "<dir>2" is not allowed */
        size_t n = strlen(allowed_dir);
        rc = dltc__buf_puts(&b, "SET allowed_directories = [");
        dltc_buf dir = DLTC_BUF_INIT;
        if (!rc)
            rc = dltc__buf_printf(&dir, "%s%s", allowed_dir,
                                  n && allowed_dir[n - 1] == '/' ? "" : "/");
        if (!rc)
            rc = dltc__sql_string(&b, dir.data, dir.len);
        dltc__buf_free(&dir);
        if (!rc)
            rc = dltc__buf_puts(&b, "]; ");
    }
    if (!rc)
        rc = dltc__buf_puts(&b, "SET enable_external_access = false; "
                                "SET lock_configuration = true");
    if (!rc)
        rc = dltc__duckdb_exec(d, b.data);
    if (rc)
        dltc__error_prefix("duckdb: %s: locking the read-only connection: ",
                            dltc__duckdb_path(d));
    dltc__buf_free(&b);
    return rc;
}

int dltc__duckdb_dest_open(dltc_dest **out, const char *path, dltc_dest_purpose purpose)
{
    duckdb_dest *dd = dltc__calloc(1, sizeof(*dd));
    if (!dd)
        return dltc__error_oom();
    dd->base.ops = &duckdb_ops;
    dltc_duckdb *d = NULL;
    int rc = purpose == DLTC_DEST_LOAD ? dltc__duckdb_open_load(&d, path, dltc__duckdb_lock_timeout())
             : purpose == DLTC_DEST_READ_ONLY ? dltc__duckdb_open_read_only(&d, path)
                                              : dltc__duckdb_open(&d, path);
    dd->db = d;
    /* MotherDuck is reached over the network: its external access stays on (it is still
     * opened READ_ONLY and its configuration locked) */
    if (!rc && purpose == DLTC_DEST_READ_ONLY && path && strncmp(path, "md:", 3) == 0)
        rc = dltc__duckdb_exec(d, "SET lock_configuration = true");
    else if (!rc && purpose == DLTC_DEST_READ_ONLY)
        rc = dltc__duckdb_dest_lock_down(&dd->base, NULL);
    if (rc) {
        op_close(&dd->base);
        return rc;
    }
    *out = &dd->base;
    return 0;
}
