/* SQLite for the sql_database source: the only file that includes sqlite3.h is sqlite.c,
 * which loads libsqlite3.so.0 with dlopen on first use ($DLTC_SQLITE_LIB overrides the
 * path). Connections, table listing and reflection, prepared statements.
 *
 * Errors set the per-thread last error with SQLite's own words (no database or table
 * name: the caller prefixes its context) and return DLTC_EIO (cannot open),
 * DLTC_ENOTFOUND (no such table) or DLTC_EDATABASE. Thread-safety: a connection and its
 * statements belong to one thread at a time. */
#ifndef DLTC_SOURCES_SQLITE_H
#define DLTC_SOURCES_SQLITE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dltc__sqlite dltc__sqlite;
typedef struct dltc__sqlite_stmt dltc__sqlite_stmt;

/* Storage classes of a value in a result row. */
enum {
    DLTC__SQLITE_NULL = 0,
    DLTC__SQLITE_INT,
    DLTC__SQLITE_FLOAT,
    DLTC__SQLITE_TEXT,
    DLTC__SQLITE_BLOB
};

/* Open a database file (a filename, or a file: URI). readonly: SQLITE_OPEN_READONLY (the
 * file must exist), else read-write, created when missing. The handle is the caller's. */
int dltc__sqlite_open(dltc__sqlite **out, const char *path, int readonly);
void dltc__sqlite_close(dltc__sqlite *db); /* accepts NULL; finalizes nothing: close
                                              the statements first */

/* Run one or more SQL statements without results (fixtures in tests, pragmas). */
int dltc__sqlite_exec(dltc__sqlite *db, const char *sql);
/* Open `path` read-write (created when missing), run `sql`, close: for test fixtures. */
int dltc__sqlite_exec_file(const char *path, const char *sql);

/* The tables of `schema` (NULL: "main") in name order, without SQLite's own sqlite_*
 * tables; views too when include_views. A callback returning non-zero stops the listing with
 * that code. */
typedef int (*dltc__sqlite_table_fn)(const char *name, int is_view, void *payload);
int dltc__sqlite_list_tables(dltc__sqlite *db, const char *schema, int include_views,
                             dltc__sqlite_table_fn fn, void *payload);

/* The columns of a table or view (PRAGMA table_xinfo: hidden columns of virtual tables
 * skipped) in declaration order: name, declared type ("" when none), NOT NULL, position in
 * the primary key (1-based, 0 = not in it). DLTC_ENOTFOUND "no such table" when it has none. */
typedef int (*dltc__sqlite_column_fn)(const char *name, const char *decl_type, int notnull,
                                      int pk, void *payload);
int dltc__sqlite_reflect(dltc__sqlite *db, const char *schema, const char *table,
                         dltc__sqlite_column_fn fn, void *payload);

/* One SELECT. Parameters are 1-based; text is copied by SQLite. */
int dltc__sqlite_prepare(dltc__sqlite_stmt **out, dltc__sqlite *db, const char *sql);
int dltc__sqlite_bind_null(dltc__sqlite_stmt *st, int i);
int dltc__sqlite_bind_int(dltc__sqlite_stmt *st, int i, int64_t v);
int dltc__sqlite_bind_double(dltc__sqlite_stmt *st, int i, double v);
int dltc__sqlite_bind_text(dltc__sqlite_stmt *st, int i, const char *s, size_t len);
/* 1: a row is there, 0: done, < 0: error. */
int dltc__sqlite_step(dltc__sqlite_stmt *st);
int dltc__sqlite_column_count(dltc__sqlite_stmt *st);
int dltc__sqlite_column_type(dltc__sqlite_stmt *st, int i); /* DLTC__SQLITE_* */
int64_t dltc__sqlite_column_int(dltc__sqlite_stmt *st, int i);
double dltc__sqlite_column_double(dltc__sqlite_stmt *st, int i);
/* Text or bytes of the current row, lent until the next step; *len set. */
const char *dltc__sqlite_column_text(dltc__sqlite_stmt *st, int i, size_t *len);
const void *dltc__sqlite_column_blob(dltc__sqlite_stmt *st, int i, size_t *len);
void dltc__sqlite_finalize(dltc__sqlite_stmt *st); /* accepts NULL */

#endif
