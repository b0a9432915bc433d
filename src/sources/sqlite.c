/* SQLite over dlopen (the only includer of sqlite3.h): libsqlite3.so.0 is loaded the first
 * time a database is opened, so nothing else pays for it, as with libcurl and DuckDB. */
#include "sources/sqlite.h"
#include "common/dynlib.h"
#include "common/alloc.h"
#include "common/error.h"

#include <sqlite3.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DLTC_SQLITE_FUNCTIONS(X) \
    X(sqlite3_open_v2)           \
    X(sqlite3_close_v2)          \
    X(sqlite3_errmsg)            \
    X(sqlite3_errstr)            \
    X(sqlite3_exec)              \
    X(sqlite3_free)              \
    X(sqlite3_prepare_v2)        \
    X(sqlite3_bind_null)         \
    X(sqlite3_bind_int64)        \
    X(sqlite3_bind_double)       \
    X(sqlite3_bind_text)         \
    X(sqlite3_step)              \
    X(sqlite3_column_count)      \
    X(sqlite3_column_type)       \
    X(sqlite3_column_int64)      \
    X(sqlite3_column_double)     \
    X(sqlite3_column_text)       \
    X(sqlite3_column_blob)       \
    X(sqlite3_column_bytes)      \
    X(sqlite3_finalize)          \
    X(sqlite3_db_handle)

#define DLTC_DECLARE(name) static __typeof__(name) *p_##name;
DLTC_SQLITE_FUNCTIONS(DLTC_DECLARE)
#undef DLTC_DECLARE

#ifndef DLTC_SQLITE_LIB_PATH
#define DLTC_SQLITE_LIB_PATH "libsqlite3.so.0"
#endif

static pthread_once_t g_load_once = PTHREAD_ONCE_INIT;
static char g_load_error[512];

static void load_library(void)
{
    static const char *const names[] = {DLTC_SQLITE_FUNCTIONS(DLTC_DYNLIB_NAME)};
    void **const slots[] = {DLTC_SQLITE_FUNCTIONS(DLTC_DYNLIB_SLOT)};
    dltc__dynlib_load("DLTC_SQLITE_LIB", DLTC_SQLITE_LIB_PATH, "libsqlite3", "libsqlite3-0", names,
                      slots, sizeof(names) / sizeof(names[0]), g_load_error, sizeof(g_load_error));
}

static int ensure_library(void)
{
    pthread_once(&g_load_once, load_library);
    return g_load_error[0] ? dltc__error_set(DLTC_EDATABASE, "%s", g_load_error) : 0;
}

struct dltc__sqlite {
    sqlite3 *db;
};

struct dltc__sqlite_stmt {
    sqlite3_stmt *st;
    sqlite3 *db;
};

static int db_error(sqlite3 *db, int rc)
{
    const char *msg = db ? p_sqlite3_errmsg(db) : p_sqlite3_errstr(rc);
    return dltc__error_set(DLTC_EDATABASE, "%s", msg ? msg : "SQLite error");
}

int dltc__sqlite_open(dltc__sqlite **out, const char *path, int readonly)
{
    *out = NULL;
    int rc = ensure_library();
    if (rc)
        return rc;
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int src = p_sqlite3_open_v2(path, &db, flags, NULL);
    if (src != SQLITE_OK) {
        rc = dltc__error_set(src == SQLITE_CANTOPEN ? DLTC_EIO : DLTC_EDATABASE,
                             "cannot open %s: %s", path,
                             db ? p_sqlite3_errmsg(db) : p_sqlite3_errstr(src));
        p_sqlite3_close_v2(db);
        return rc;
    }
    dltc__sqlite *c = dltc__calloc(1, sizeof(*c));
    if (!c) {
        p_sqlite3_close_v2(db);
        return dltc__error_oom();
    }
    c->db = db;
    *out = c;
    return 0;
}

void dltc__sqlite_close(dltc__sqlite *db)
{
    if (!db)
        return;
    p_sqlite3_close_v2(db->db);
    dltc__free(db);
}

int dltc__sqlite_exec(dltc__sqlite *db, const char *sql)
{
    char *err = NULL;
    int src = p_sqlite3_exec(db->db, sql, NULL, NULL, &err);
    if (src == SQLITE_OK)
        return 0;
    int rc = dltc__error_set(DLTC_EDATABASE, "%s", err ? err : p_sqlite3_errstr(src));
    p_sqlite3_free(err);
    return rc;
}

int dltc__sqlite_exec_file(const char *path, const char *sql)
{
    dltc__sqlite *db;
    int rc = dltc__sqlite_open(&db, path, 0);
    if (rc)
        return rc;
    rc = dltc__sqlite_exec(db, sql);
    dltc__sqlite_close(db);
    return rc;
}

int dltc__sqlite_prepare(dltc__sqlite_stmt **out, dltc__sqlite *db, const char *sql)
{
    *out = NULL;
    sqlite3_stmt *st = NULL;
    int src = p_sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK) {
        int rc = db_error(db->db, src);
        p_sqlite3_finalize(st);
        return rc;
    }
    dltc__sqlite_stmt *s = dltc__calloc(1, sizeof(*s));
    if (!s) {
        p_sqlite3_finalize(st);
        return dltc__error_oom();
    }
    s->st = st;
    s->db = db->db;
    *out = s;
    return 0;
}

static int bind_rc(dltc__sqlite_stmt *st, int src)
{
    return src == SQLITE_OK ? 0 : db_error(st->db, src);
}

int dltc__sqlite_bind_null(dltc__sqlite_stmt *st, int i)
{
    return bind_rc(st, p_sqlite3_bind_null(st->st, i));
}

int dltc__sqlite_bind_int(dltc__sqlite_stmt *st, int i, int64_t v)
{
    return bind_rc(st, p_sqlite3_bind_int64(st->st, i, (sqlite3_int64)v));
}

int dltc__sqlite_bind_double(dltc__sqlite_stmt *st, int i, double v)
{
    return bind_rc(st, p_sqlite3_bind_double(st->st, i, v));
}

int dltc__sqlite_bind_text(dltc__sqlite_stmt *st, int i, const char *s, size_t len)
{
    if (len > (size_t)0x7fffffff)
        return dltc__error_set(DLTC_ELIMIT, "parameter %d: text too long", i);
    return bind_rc(st, p_sqlite3_bind_text(st->st, i, s, (int)len, SQLITE_TRANSIENT));
}

int dltc__sqlite_step(dltc__sqlite_stmt *st)
{
    int src = p_sqlite3_step(st->st);
    if (src == SQLITE_ROW)
        return 1;
    if (src == SQLITE_DONE)
        return 0;
    return db_error(st->db, src);
}

int dltc__sqlite_column_count(dltc__sqlite_stmt *st)
{
    return p_sqlite3_column_count(st->st);
}

int dltc__sqlite_column_type(dltc__sqlite_stmt *st, int i)
{
    switch (p_sqlite3_column_type(st->st, i)) {
    case SQLITE_INTEGER:
        return DLTC__SQLITE_INT;
    case SQLITE_FLOAT:
        return DLTC__SQLITE_FLOAT;
    case SQLITE_TEXT:
        return DLTC__SQLITE_TEXT;
    case SQLITE_BLOB:
        return DLTC__SQLITE_BLOB;
    default:
        return DLTC__SQLITE_NULL;
    }
}

int64_t dltc__sqlite_column_int(dltc__sqlite_stmt *st, int i)
{
    return (int64_t)p_sqlite3_column_int64(st->st, i);
}

double dltc__sqlite_column_double(dltc__sqlite_stmt *st, int i)
{
    return p_sqlite3_column_double(st->st, i);
}

const char *dltc__sqlite_column_text(dltc__sqlite_stmt *st, int i, size_t *len)
{
    const char *s = (const char *)p_sqlite3_column_text(st->st, i);
    *len = s ? (size_t)p_sqlite3_column_bytes(st->st, i) : 0;
    return s ? s : "";
}

const void *dltc__sqlite_column_blob(dltc__sqlite_stmt *st, int i, size_t *len)
{
    const void *p = p_sqlite3_column_blob(st->st, i);
    *len = p ? (size_t)p_sqlite3_column_bytes(st->st, i) : 0;
    return p ? p : "";
}

void dltc__sqlite_finalize(dltc__sqlite_stmt *st)
{
    if (!st)
        return;
    p_sqlite3_finalize(st->st);
    dltc__free(st);
}

/* ---- catalog ---- */

/* "schema" quoted as an identifier into buf ("" doubled); 0 or DLTC_ELIMIT. */
static int quote_ident(char *buf, size_t n, const char *s)
{
    size_t j = 0;
    if (j + 1 >= n)
        return DLTC_ELIMIT;
    buf[j++] = '"';
    for (; *s; s++) {
        if (j + 3 >= n)
            return dltc__error_set(DLTC_ELIMIT, "schema name too long");
        if (*s == '"')
            buf[j++] = '"';
        buf[j++] = *s;
    }
    buf[j++] = '"';
    buf[j] = '\0';
    return 0;
}

int dltc__sqlite_list_tables(dltc__sqlite *db, const char *schema, int include_views,
                             dltc__sqlite_table_fn fn, void *payload)
{
    char qs[600], sql[1024];
    int rc = quote_ident(qs, sizeof(qs), schema && *schema ? schema : "main");
    if (rc)
        return rc;
    /* SQLAlchemy's get_table_names / get_view_names for SQLite */
    snprintf(sql, sizeof(sql),
             "SELECT name, type = 'view' FROM %s.sqlite_master WHERE type IN ('table'%s) "
             "AND name NOT LIKE 'sqlite~_%%' ESCAPE '~' ORDER BY name",
             qs, include_views ? ", 'view'" : "");
    dltc__sqlite_stmt *st;
    if ((rc = dltc__sqlite_prepare(&st, db, sql)))
        return rc;
    while ((rc = dltc__sqlite_step(st)) == 1) {
        size_t len;
        const char *name = dltc__sqlite_column_text(st, 0, &len);
        if ((rc = fn(name, (int)dltc__sqlite_column_int(st, 1), payload)))
            break;
    }
    dltc__sqlite_finalize(st);
    return rc;
}

int dltc__sqlite_reflect(dltc__sqlite *db, const char *schema, const char *table,
                         dltc__sqlite_column_fn fn, void *payload)
{
    dltc__sqlite_stmt *st;
    /* the table-valued pragma takes the names as parameters: nothing is pasted into SQL */
    int rc = dltc__sqlite_prepare(&st, db,
                                  "SELECT name, type, \"notnull\", pk, hidden "
                                  "FROM pragma_table_xinfo(?1, ?2) ORDER BY cid");
    if (!rc)
        rc = dltc__sqlite_bind_text(st, 1, table, strlen(table));
    if (!rc)
        rc = dltc__sqlite_bind_text(st, 2, schema && *schema ? schema : "main",
                                    strlen(schema && *schema ? schema : "main"));
    size_t n = 0;
    while (!rc && (rc = dltc__sqlite_step(st)) == 1) {
        rc = 0;
        if (dltc__sqlite_column_int(st, 4) == 1)
            continue; /* a hidden column of a virtual table */
        size_t len;
        char *name = dltc__strdup(dltc__sqlite_column_text(st, 0, &len));
        char *type = dltc__strdup(dltc__sqlite_column_text(st, 1, &len));
        if (!name || !type)
            rc = dltc__error_oom();
        else
            rc = fn(name, type, dltc__sqlite_column_int(st, 2) != 0,
                    (int)dltc__sqlite_column_int(st, 3), payload);
        dltc__free(name);
        dltc__free(type);
        n++;
    }
    dltc__sqlite_finalize(st);
    if (!rc && !n)
        rc = dltc__error_set(DLTC_ENOTFOUND, "no such table");
    return rc;
}
