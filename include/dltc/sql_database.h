/*
 * dlt's `sql_database` source (dlt.sources.sql_database): the tables of a SQL database as
 * resources, one per table, named as the table, with column hints from reflection, read in
 * pages of chunk_size rows, optionally incremental on a cursor column (the WHERE is built as
 * dlt builds it). Databases: SQLite (libsqlite3 is loaded on first use) and Postgres
 * (libpq, likewise). docs/sql_database.md.
 *
 *   dltc_sql_database *db;
 *   dltc_sql_database_open(&db, "sqlite:///shop.db");          // like an SQLAlchemy engine
 *   // or "postgresql://user:pw@host:5432/shop"
 *   dltc_source *src;
 *   dltc_sql_database_source(&src, db, "shop", NULL);          // every table
 *   dltc_pipeline_run_source(p, src, NULL);
 *   dltc_source_free(src);
 *   dltc_sql_database_free(db);
 *
 * Ownership: the database handle is the caller's (dltc_sql_database_free). The resources
 * and sources made from it are the caller's as well (dltc_resource_free / dltc_source_free,
 * or hand a resource to a source); they BORROW the handle, which keeps their reading state
 * (open queries): free the handle only after their last run. Option structs and the strings
 * they point at are copied. Thread-safety: one thread at a time per handle and everything
 * made from it.
 *
 * A resource reads its table as a generator does: one page per call of the resource
 * function, the query opened on the first call of a run with the cursor's value of that
 * run, and closed at the end (a second run of the same resource reads again). A run stopped
 * early by dltc_resource_add_limit leaves the query open: the next run of that same
 * resource object continues it; make a new resource per run when using a limit.
 *
 * Postgres: each run of a resource is one `COPY (SELECT …) TO STDOUT (FORMAT binary)`
 * whose rows are decoded straight into the page's values (libpq holds one row, the page
 * chunk_size rows). A COPY holds its connection until it ends, so the handle opens another
 * connection when a query finds every one busy (a run stopped by add_limit keeps its COPY
 * open). COPY takes no parameters: cursor values are literals escaped by libpq.
 *
 * Errors are one line naming the database and the table, e.g.
 *   sql_database sqlite:///x.db: table "users": no such table
 *   sql_database postgresql://u:***@db:5432/shop: table "t": connection lost: …
 * (a password in the credentials is never shown).
 */
#ifndef DLTC_SQL_DATABASE_H
#define DLTC_SQL_DATABASE_H

#include "dltc/common.h"
#include "dltc/resource.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_sql_database dltc_sql_database;

/* Open a database for reading. credentials: "sqlite:///relative/path.db",
 * "sqlite:////absolute/path.db", "sqlite:///file:path.db?mode=ro&..." (a SQLite URI), or a
 * plain file path; the file must exist (DLTC_EIO otherwise). Or a Postgres URL:
 * "postgresql://user:password@host:port/db?…", "postgres://…", or SQLAlchemy's
 * "postgresql+psycopg2://…" (the driver is ignored; libpq's URI parameters work), or
 * libpq's keyword/value string "host=… dbname=… user=…" (named in errors only as such, so
 * that its password never shows). Postgres
 * is connected now: a refused or unreachable server is DLTC_ENETWORK, a wrong password or
 * database DLTC_EDATABASE. Other schemes are DLTC_EINVALID. The handle is the caller's;
 * credentials are copied. */
DLTC_EXTERN int dltc_sql_database_open(dltc_sql_database **out, const char *credentials);
/* Close the database and release the reading state of every resource made from it. After
 * this those resources must not run again (freeing them is still fine). Accepts NULL. */
DLTC_EXTERN void dltc_sql_database_free(dltc_sql_database *db);

typedef struct {
    unsigned int version;          /* DLTC_SQL_TABLE_OPTIONS_VERSION */
    const char *schema;            /* the database schema (SQLite: an attached database);
                                      NULL = the default (SQLite "main"; Postgres the
                                      session's current_schema(), normally "public") */
    size_t chunk_size;             /* rows per page; 0 = 50000 */
    const char *reflection_level;  /* "minimal" (names, nullability, primary key; JSON
                                      columns no hint), "full" (default: + data types;
                                      decimals with precision and scale),
                                      "full_with_precision" (+ text/binary length, smallint
                                      precision 32, timestamp timezone) */
    const char *const *included_columns; /* read only these (NULL = all) */
    size_t n_included_columns;
    const char *const *excluded_columns; /* and not these */
    size_t n_excluded_columns;
    const char *write_disposition; /* NULL = "append" */
    const char *merge_strategy;
    const char *primary_key;       /* comma-separated; NULL = the reflected primary key,
                                      "" = none */
    const char *merge_key;
    /* An incremental cursor: cursor_path must be a column of the table. The query then gets
     * dlt's WHERE on the cursor column with the run's last value (and end_value), ORDER BY
     * when row_order is set, and the rows still pass through the cursor (dedup at the
     * boundary, state). NULL = none. Copied. */
    const dltc_incremental_options *incremental;
} dltc_sql_table_options;

#define DLTC_SQL_TABLE_OPTIONS_VERSION 1
#define DLTC_SQL_TABLE_OPTIONS_INIT                                                            \
    {DLTC_SQL_TABLE_OPTIONS_VERSION, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL}

/* A resource (named as the table) reading one table or view of `db`. The table is reflected
 * now: a missing table fails here with DLTC_ENOTFOUND. Its column hints: the data types as
 * dlt maps them (docs/sql_database.md), nullable, and the primary key. */
DLTC_EXTERN int dltc_sql_table_resource(dltc_resource **out, dltc_sql_database *db,
                                        const char *table, const dltc_sql_table_options *o);

typedef struct {
    unsigned int version;          /* DLTC_SQL_DATABASE_OPTIONS_VERSION */
    const char *schema;            /* as in dltc_sql_table_options */
    const char *const *table_names; /* only these (views allowed); NULL = every table */
    size_t n_table_names;
    int include_views;             /* with every table: the views too */
    size_t chunk_size;             /* 0 = 50000 */
    const char *reflection_level;  /* NULL = "full" */
} dltc_sql_database_options;

#define DLTC_SQL_DATABASE_OPTIONS_VERSION 1
#define DLTC_SQL_DATABASE_OPTIONS_INIT                                                         \
    {DLTC_SQL_DATABASE_OPTIONS_VERSION, NULL, NULL, 0, 0, 0, NULL}

/* A source named `source_name` (NULL: "sql_database") with one append resource per table
 * (dltc_sql_table_resource with the options above), in name order, or in the order of
 * table_names. */
DLTC_EXTERN int dltc_sql_database_source(dltc_source **out, dltc_sql_database *db,
                                         const char *source_name,
                                         const dltc_sql_database_options *o);

#ifdef __cplusplus
}
#endif
#endif
