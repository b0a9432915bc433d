/* The interface between the sql_database source (sql_database.c: hints, pages, dlt's
 * incremental WHERE) and the databases it reads: a table of functions per backend. SQLite
 * (in sql_database.c, over sources/sqlite.c) steps rows and binds parameters; Postgres
 * (sql_postgres.c, over load/destinations/postgres/) reads whole pages from a COPY and
 * writes cursor values as escaped literals (COPY takes no parameters).
 *
 * Errors: the backend sets the last error with the database's words and no context; the
 * source prefixes the database and the table. */
#ifndef DLTC_SOURCES_SQL_BACKEND_H
#define DLTC_SOURCES_SQL_BACKEND_H

#include "common/buf.h"
#include "dltc/value.h"

#include <stddef.h>
#include <stdint.h>

/* What a column's values become: the dlt data type of its hint. */
typedef enum {
    DLTC__SQL_NONE = 0, /* no type: inferred from the data */
    DLTC__SQL_BIGINT,
    DLTC__SQL_DOUBLE,
    DLTC__SQL_DECIMAL,
    DLTC__SQL_TEXT,
    DLTC__SQL_BINARY,
    DLTC__SQL_BOOL,
    DLTC__SQL_TIMESTAMP,
    DLTC__SQL_DATE,
    DLTC__SQL_TIME,
    DLTC__SQL_JSON
} dltc__sql_kind;

/* A reflected column. */
typedef struct {
    char *name;
    dltc__sql_kind kind;
    int precision, scale; /* of a decimal; -1 = none */
    int length;           /* of text or binary (full_with_precision); 0 = none */
    int small;            /* SMALLINT: precision 32 at full_with_precision */
    int tz;               /* of a timestamp: 1 with time zone, 0 without, -1 not known
                             (the timezone hint at full_with_precision) */
    int notnull, pk;      /* pk: position in the primary key, 1-based; 0 = not in it */
    int wire;             /* the backend's own: how it reads the column */
} dltc__sql_col;

typedef int (*dltc__sql_table_fn)(const char *name, int is_view, void *payload);
/* The callback copies what it keeps of *c (the name is the backend's). */
typedef int (*dltc__sql_column_fn)(const dltc__sql_col *c, void *payload);

typedef struct {
    const char *name;
    int (*open)(void **conn, const char *target);
    void (*close)(void *conn);
    /* The tables of a schema (NULL: the default one) in name order; views too when asked. */
    int (*list_tables)(void *conn, const char *schema, int include_views, dltc__sql_table_fn fn,
                       void *payload);
    /* The columns of a table or view in order, typed as dlt maps them; DLTC_ENOTFOUND
     * ("no such table") when there is none. */
    int (*reflect)(void *conn, const char *schema, const char *table, dltc__sql_column_fn fn,
                   void *payload);
    /* How a column appears in the SELECT list (NULL: its quoted name). */
    int (*put_select)(dltc_buf *sql, const dltc__sql_col *c, const char *quoted);
    /* A cursor value written into the SQL as a literal comparable with column c (NULL: the
     * value is bound to the parameter ?N with bind_*). */
    int (*put_literal)(void *conn, dltc_buf *sql, const dltc_value *v, const dltc__sql_col *c);
    int (*prepare)(void **stmt, void *conn, const char *sql, const dltc__sql_col *cols,
                   size_t ncols);
    int (*bind_null)(void *stmt, int i);
    int (*bind_int)(void *stmt, int i, int64_t v);
    int (*bind_double)(void *stmt, int i, double v);
    int (*bind_text)(void *stmt, int i, const char *s, size_t len);
    /* Row by row: step (1 a row, 0 done, < 0 error), then the values of the row by storage
     * class (SQLite's). */
    int (*step)(void *stmt);
    int (*column_type)(void *stmt, int i);
    int64_t (*column_int)(void *stmt, int i);
    double (*column_double)(void *stmt, int i);
    const char *(*column_text)(void *stmt, int i, size_t *len);
    const void *(*column_blob)(void *stmt, int i, size_t *len);
    /* Or page by page (instead of step): up to `max` rows appended to `page` (an ARRAY of
     * d) as objects keyed by the column names (cols[i].name, which outlive d), typed as the
     * columns say; *done = 1 once the result is exhausted. */
    int (*read_rows)(void *stmt, dltc_doc *d, dltc_value *page, size_t max, int *done);
    void (*finalize)(void *stmt);
    /* How the values of a column are stored, for binding a datetime cursor value: 1 as
     * numbers (unix seconds), 0 as text with `*sep` between date and time. NULL for
     * backends with typed columns. */
    int (*cursor_storage)(void *conn, const char *from_sql, const char *col_sql, int *numeric,
                          char *sep);
} dltc__sql_backend;

/* Postgres (sql_postgres.c): target is a libpq URI or connection string. */
extern const dltc__sql_backend dltc__sql_postgres;

#endif
