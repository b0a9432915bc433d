/* A destination's client connection, as the loader, sync, info and drop use it: DuckDB (and
 * MotherDuck through DuckDB) in destinations/duckdb.c over the client in src/duckdb/,
 * Postgres in destinations/postgres/, the filesystem's read-only views in
 * destinations/filesystem/views.c. Each client is the only includer of its library's
 * header. Which destinations exist, and how each is resolved, opened and loaded, is the
 * registry (destinations/registry.h). */
#ifndef DLTC_LOAD_DESTINATION_H
#define DLTC_LOAD_DESTINATION_H

#include "dltc/dataset.h"
#include "common/error.h"
#include "load/sql.h"
#include "schema/schema.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dltc_dest dltc_dest;

typedef struct {
    const char *type;          /* "duckdb", "postgres", "motherduck" */
    dltc_sql_dialect dialect;
    /* Run one or more statements; DLTC_EDATABASE with the server's message (one line). */
    int (*exec)(dltc_dest *d, const char *sql);
    /* Run a query and materialize the rows (the caller frees them with dltc_rows_free). */
    int (*query)(dltc_dest *d, const char *sql, dltc_rows **out);
    /* Column names of "dataset"."table" (dataset NULL: the connection's temporary table), as
     * they exist; *exists = 0 and no names when there is no such table. *names is the
     * caller's (dltc__strv_free). */
    int (*table_columns)(dltc_dest *d, const char *dataset, const char *table, char ***names,
                         size_t *n, int *exists);
    /* Insert the rows of a load file of table t (format "jsonl", "csv", "parquet",
     * "insert_values") into "dataset"."<t->name>" (dataset NULL: the temporary staging table
     * of that name). The table exists with at least the file's columns. DLTC_EINVALID when
     * the destination does not take that format. *rows (may be NULL) = rows inserted.
     * DLTC_LOAD_MORE in `flags`: the next call is likely a file of the same table, and the
     * destination may keep its bulk insert open for it (Postgres: one COPY for many jsonl
     * files); any other call on the destination completes it first. */
    int (*load_file)(dltc_dest *d, const char *dataset, const dltc_table *t, const char *path,
                     const char *format, unsigned flags, uint64_t *rows);
    void (*close)(dltc_dest *d);
    /* Run one query and keep at most max_rows rows: fetching stops after max_rows + 1, so a
     * big result is never materialized; *truncated = 1 when there were more. NULL: not
     * supported (dltc__dest_query_limited fails). On a DLTC_DEST_READ_ONLY Postgres
     * connection each query is its own read-only transaction, rolled back after. */
    int (*query_limited)(dltc_dest *d, const char *sql, size_t max_rows, dltc_rows **out,
                         int *truncated);
} dltc_dest_ops;

/* Every implementation's handle starts with this. */
struct dltc_dest {
    const dltc_dest_ops *ops;
};

/* What the connection is for: loads get the load settings (and wait for a locked DuckDB
 * file), reads do not. READ_ONLY (the dataset API, pipeline/dataset.c) cannot write: DuckDB
 * opens the file with access_mode READ_ONLY, without external file access and with its
 * configuration locked; Postgres sessions are read-only (SET SESSION CHARACTERISTICS) with a
 * statement_timeout of DLTC_DEST_READ_ONLY_TIMEOUT_MS. Every DuckDB connection, whatever its
 * purpose, has autoinstall_known_extensions and autoload_known_extensions off. */
typedef enum { DLTC_DEST_READ = 0, DLTC_DEST_LOAD = 1, DLTC_DEST_READ_ONLY = 2 } dltc_dest_purpose;
#define DLTC_DEST_READ_ONLY_TIMEOUT_MS 30000

/* Connect to SQL destination `type` (NULL: duckdb) at `location` (DuckDB: a file path;
 * Postgres: a libpq connection string or postgresql:// URI; MotherDuck: an md: URL), through
 * its registry entry (destinations/registry.c). */
int dltc__dest_open(dltc_dest **out, const char *type, const char *location,
                    dltc_dest_purpose purpose);

static inline int dltc__dest_exec(dltc_dest *d, const char *sql)
{
    return d->ops->exec(d, sql);
}
static inline int dltc__dest_query(dltc_dest *d, const char *sql, dltc_rows **out)
{
    return d->ops->query(d, sql, out);
}
static inline int dltc__dest_table_columns(dltc_dest *d, const char *dataset, const char *table,
                                           char ***names, size_t *n, int *exists)
{
    return d->ops->table_columns(d, dataset, table, names, n, exists);
}
#define DLTC_LOAD_MORE 1u

static inline int dltc__dest_load_file(dltc_dest *d, const char *dataset, const dltc_table *t,
                                       const char *path, const char *format, unsigned flags,
                                       uint64_t *rows)
{
    return d->ops->load_file(d, dataset, t, path, format, flags, rows);
}
static inline int dltc__dest_query_limited(dltc_dest *d, const char *sql, size_t max_rows,
                                           dltc_rows **out, int *truncated)
{
    *out = NULL;
    if (!d->ops->query_limited)
        return dltc__error_set(DLTC_EINVALID, "%s: limited queries are not supported",
                               d->ops->type);
    return d->ops->query_limited(d, sql, max_rows, out, truncated);
}
static inline void dltc__dest_close(dltc_dest *d)
{
    if (d)
        d->ops->close(d);
}
static inline dltc_sql_dialect dltc__dest_dialect(const dltc_dest *d)
{
    return d->ops->dialect;
}
/* *yes = 1 when "dataset"."table" exists (destinations/registry.c). */
int dltc__dest_table_exists(dltc_dest *d, const char *dataset, const char *table, int *yes);

/* The Postgres client (destinations/postgres/conn.c): libpq, loaded on first use. */
int dltc__postgres_open(dltc_dest **out, const char *conninfo, dltc_dest_purpose purpose);
/* The DuckDB client (src/duckdb/) as a destination (destinations/duckdb.c). */
int dltc__duckdb_dest_open(dltc_dest **out, const char *path, dltc_dest_purpose purpose);
/* Lock down a DuckDB connection for reading (the filesystem dataset's in-memory views, built
 * before): external file access off except under `allowed_dir` (NULL: none; DuckDB's
 * allowed_directories, which would let a COPY … TO write there too: the dataset API's SQL
 * check refuses COPY), then the configuration locked. */
int dltc__duckdb_dest_lock_down(dltc_dest *d, const char *allowed_dir);

#endif
