/* dlt's sql_database source: reflection into dlt column hints, pages of chunk_size rows
 * built with the value API, and dlt's incremental WHERE with bound parameters or escaped
 * literals. Identifiers are always quoted; values are never pasted into SQL unescaped.
 *
 * The database is reached through a backend table (sources/sql_backend.h): SQLite below
 * (with its declared-type mapping: SQLAlchemy's SQLite type affinity, then dlt's
 * sqla_col_to_column_schema), Postgres in sql_postgres.c. */
#include "dltc/sql_database.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/time.h"
#include "formats/json.h"
#include "sources/sql_backend.h"
#include "sources/sqlite.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_CHUNK_SIZE 50000

/* Storage class of a result value (SQLite's). */
enum { SV_NULL = 0, SV_INT, SV_FLOAT, SV_TEXT, SV_BLOB };

/* ---- SQLite ---- */

static int sq_open(void **conn, const char *target)
{
    return dltc__sqlite_open((dltc__sqlite **)conn, target, 1);
}
static void sq_close(void *conn)
{
    dltc__sqlite_close(conn);
}
static int sq_list(void *conn, const char *schema, int views, dltc__sql_table_fn fn,
                   void *payload)
{
    return dltc__sqlite_list_tables(conn, schema, views, fn, payload);
}

static void map_decl_type(const char *decl, dltc__sql_col *c);

typedef struct {
    dltc__sql_column_fn fn;
    void *payload;
} sq_reflecting;

/* A column of PRAGMA table_xinfo, its declared type mapped. */
static int sq_column(const char *name, const char *decl, int notnull, int pk, void *payload)
{
    sq_reflecting *x = payload;
    dltc__sql_col c;
    memset(&c, 0, sizeof(c));
    c.name = (char *)name;
    map_decl_type(decl, &c);
    c.tz = -1; /* SQLite has no datetime type */
    c.notnull = notnull;
    c.pk = pk;
    return x->fn(&c, x->payload);
}

static int sq_reflect(void *conn, const char *schema, const char *table, dltc__sql_column_fn fn,
                      void *payload)
{
    sq_reflecting x = {fn, payload};
    return dltc__sqlite_reflect(conn, schema, table, sq_column, &x);
}
static int sq_prepare(void **stmt, void *conn, const char *sql, const dltc__sql_col *cols,
                      size_t ncols)
{
    (void)cols;
    (void)ncols;
    return dltc__sqlite_prepare((dltc__sqlite_stmt **)stmt, conn, sql);
}
static int sq_bind_null(void *st, int i)
{
    return dltc__sqlite_bind_null(st, i);
}
static int sq_bind_int(void *st, int i, int64_t v)
{
    return dltc__sqlite_bind_int(st, i, v);
}
static int sq_bind_double(void *st, int i, double v)
{
    return dltc__sqlite_bind_double(st, i, v);
}
static int sq_bind_text(void *st, int i, const char *s, size_t len)
{
    return dltc__sqlite_bind_text(st, i, s, len);
}
static int sq_step(void *st)
{
    return dltc__sqlite_step(st);
}
static int sq_column_type(void *st, int i)
{
    switch (dltc__sqlite_column_type(st, i)) {
    case DLTC__SQLITE_INT:
        return SV_INT;
    case DLTC__SQLITE_FLOAT:
        return SV_FLOAT;
    case DLTC__SQLITE_TEXT:
        return SV_TEXT;
    case DLTC__SQLITE_BLOB:
        return SV_BLOB;
    default:
        return SV_NULL;
    }
}
static int64_t sq_column_int(void *st, int i)
{
    return dltc__sqlite_column_int(st, i);
}
static double sq_column_double(void *st, int i)
{
    return dltc__sqlite_column_double(st, i);
}
static const char *sq_column_text(void *st, int i, size_t *len)
{
    return dltc__sqlite_column_text(st, i, len);
}
static const void *sq_column_blob(void *st, int i, size_t *len)
{
    return dltc__sqlite_column_blob(st, i, len);
}
static void sq_finalize(void *st)
{
    dltc__sqlite_finalize(st);
}

/* SQLite keeps datetimes as ISO text or unix numbers: look at one stored value. */
static int sq_cursor_storage(void *conn, const char *from_sql, const char *col_sql,
                             int *numeric, char *sep)
{
    dltc_buf sql = DLTC_BUF_INIT;
    *numeric = 0;
    *sep = ' ';
    int rc = dltc__buf_printf(&sql, "SELECT typeof(%s), %s FROM %s WHERE %s IS NOT NULL LIMIT 1",
                              col_sql, col_sql, from_sql, col_sql);
    dltc__sqlite_stmt *st = NULL;
    if (!rc)
        rc = dltc__sqlite_prepare(&st, conn, sql.data);
    if (!rc && (rc = dltc__sqlite_step(st)) == 1) {
        size_t len;
        const char *t = dltc__sqlite_column_text(st, 0, &len);
        *numeric = !strcmp(t, "integer") || !strcmp(t, "real");
        const char *v = dltc__sqlite_column_text(st, 1, &len);
        if (len > 10 && v[10] == 'T')
            *sep = 'T';
        rc = 0;
    }
    dltc__sqlite_finalize(st);
    dltc__buf_free(&sql);
    return rc;
}

static const dltc__sql_backend sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .list_tables = sq_list,
    .reflect = sq_reflect,
    .prepare = sq_prepare,
    .bind_null = sq_bind_null,
    .bind_int = sq_bind_int,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .step = sq_step,
    .column_type = sq_column_type,
    .column_int = sq_column_int,
    .column_double = sq_column_double,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
    .finalize = sq_finalize,
    .cursor_storage = sq_cursor_storage,
};

/* ---- handles ---- */

static const char *const kind_names[] = {NULL,   "bigint", "double",    "decimal",
                                         "text", "binary", "bool",      "timestamp",
                                         "date", "time",   "json"};

enum { LVF_MAX, LVF_MIN, LVF_CUSTOM };
enum { MISSING_RAISE, MISSING_INCLUDE, MISSING_EXCLUDE };
enum { ORDER_NONE, ORDER_ASC, ORDER_DESC };

typedef struct sqlres {
    dltc_sql_database *db;
    char *table;
    char *from_sql;   /* "schema"."table" */
    char *select_sql; /* SELECT "a", "b" FROM … */
    dltc__sql_col *cols;
    size_t ncols;
    size_t chunk;
    /* the incremental cursor, when there is one */
    char *cursor_sql; /* the quoted column */
    int cursor_idx, lvf, start_open, end_closed, missing, row_order;
    void *stmt; /* the open query of the current run */
} sqlres;

struct dltc_sql_database {
    const dltc__sql_backend *be;
    void *conn;
    char *label; /* the credentials as shown in errors (password masked) */
    sqlres **res;
    size_t nres;
};

static void sqlres_close(sqlres *r)
{
    if (r->stmt) {
        r->db->be->finalize(r->stmt);
        r->stmt = NULL;
    }
}

static void sqlres_free(sqlres *r)
{
    if (!r)
        return;
    sqlres_close(r);
    for (size_t i = 0; i < r->ncols; i++)
        dltc__free(r->cols[i].name);
    dltc__free(r->cols);
    dltc__free(r->table);
    dltc__free(r->from_sql);
    dltc__free(r->select_sql);
    dltc__free(r->cursor_sql);
    dltc__free(r);
}

/* The credentials as shown in messages: a URL's password becomes ***. The user-info ends
 * at the last '@' before the path (a password may hold '@' unencoded). */
static char *mask_credentials(const char *c)
{
    const char *s = strstr(c, "://");
    const char *at = NULL, *colon = NULL;
    if (s) {
        const char *host = s + 3, *stop = host + strcspn(host, "/?#");
        for (const char *p = host; p < stop; p++)
            if (*p == '@')
                at = p;
        colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
    }
    if (!colon)
        return dltc__strdup(c);
    dltc_buf b = DLTC_BUF_INIT;
    if (dltc__buf_put(&b, c, (size_t)(colon + 1 - c)) || dltc__buf_puts(&b, "***") ||
        dltc__buf_puts(&b, at)) {
        dltc__buf_free(&b);
        return NULL;
    }
    return dltc__buf_detach(&b);
}

/* libpq's "host=... dbname=..." form: a first word of letters and '_' followed by '='. */
static int conninfo_kv(const char *c)
{
    while (*c == ' ' || *c == '\t')
        c++;
    const char *w = c;
    while ((*c >= 'a' && *c <= 'z') || *c == '_')
        c++;
    while (*c == ' ' || *c == '\t')
        c++;
    return c > w && *c == '=';
}

/* A Postgres URL as SQLAlchemy spells it: postgresql://, postgres://, or either with a
 * driver ("postgresql+psycopg2://"). The length of the scheme up to "://", else 0. */
static size_t postgres_scheme(const char *c)
{
    size_t n = !strncmp(c, "postgresql", 10) ? 10 : !strncmp(c, "postgres", 8) ? 8 : 0;
    if (!n)
        return 0;
    if (c[n] == '+')
        n += 1 + strspn(c + n + 1, "abcdefghijklmnopqrstuvwxyz0123456789_");
    return strncmp(c + n, "://", 3) ? 0 : n;
}

int dltc_sql_database_open(dltc_sql_database **out, const char *credentials)
{
    *out = NULL;
    if (!credentials || !*credentials)
        return dltc__error_set(DLTC_EINVALID, "sql_database: credentials are needed");
    char *label = mask_credentials(credentials);
    if (!label)
        return dltc__error_oom();
    const dltc__sql_backend *be = &sqlite_backend;
    char *target = NULL;
    int rc = 0;
    if (!strncmp(credentials, "sqlite://", 9)) {
        /* SQLAlchemy's URL: sqlite:///relative, sqlite:////absolute, sqlite:// = memory */
        const char *p = credentials + 9;
        if (!*p)
            p = "/:memory:";
        if (*p != '/')
            rc = dltc__error_set(DLTC_EINVALID, "sql_database %s: a SQLite URL is "
                                 "sqlite:///path (three slashes)", label);
        else if (!strncmp(p + 1, "file:", 5))
            target = dltc__strdup(p + 1); /* a SQLite URI keeps its query */
        else
            target = dltc__strndup(p + 1, strcspn(p + 1, "?"));
    } else if (postgres_scheme(credentials)) {
        /* libpq takes the URL as it is, without the driver */
        be = &dltc__sql_postgres;
        dltc_buf t = DLTC_BUF_INIT;
        if (!dltc__buf_puts(&t, "postgresql") &&
            !dltc__buf_puts(&t, credentials + postgres_scheme(credentials)))
            target = dltc__buf_detach(&t);
        dltc__buf_free(&t);
    } else if (conninfo_kv(credentials)) {
        /* libpq's keyword/value form: never shown (its password is not masked here) */
        be = &dltc__sql_postgres;
        dltc__free(label);
        label = dltc__strdup("postgres (keyword=value connection string)");
        target = label ? dltc__strdup(credentials) : NULL;
    } else if (strstr(credentials, "://")) {
        rc = dltc__error_set(DLTC_EINVALID, "sql_database %s: not a database URL this "
                             "source reads (sqlite:///path, postgresql://…)", label);
    } else {
        target = dltc__strdup(credentials);
    }
    if (!rc && !target)
        rc = dltc__error_oom();
    dltc_sql_database *db = NULL;
    if (!rc && !(db = dltc__calloc(1, sizeof(*db))))
        rc = dltc__error_oom();
    if (!rc) {
        db->be = be;
        db->label = label;
        label = NULL;
        if ((rc = be->open(&db->conn, target)))
            dltc__error_prefix("sql_database %s: ", db->label);
    }
    dltc__free(target);
    dltc__free(label);
    if (rc) {
        dltc_sql_database_free(db);
        return rc;
    }
    *out = db;
    return 0;
}

void dltc_sql_database_free(dltc_sql_database *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->nres; i++)
        sqlres_free(db->res[i]);
    dltc__free(db->res);
    if (db->conn)
        db->be->close(db->conn);
    dltc__free(db->label);
    dltc__free(db);
}

/* ---- SQL text ---- */

static int put_ident(dltc_buf *b, const char *s)
{
    int rc = dltc__buf_putc(b, '"');
    for (; !rc && *s; s++)
        rc = *s == '"' ? dltc__buf_puts(b, "\"\"") : dltc__buf_putc(b, *s);
    return rc ? rc : dltc__buf_putc(b, '"');
}

static char *quoted(const char *s)
{
    dltc_buf b = DLTC_BUF_INIT;
    if (put_ident(&b, s)) {
        dltc__buf_free(&b);
        return NULL;
    }
    return dltc__buf_detach(&b);
}

/* ---- declared type -> dlt type ---- */

/* SQLAlchemy's SQLiteDialect._resolve_type_affinity: the leading name (word characters and
 * spaces, upper-cased) looked up in the dialect's type names, else SQLite's affinity rules
 * (INT -> INTEGER; CHAR, CLOB, TEXT -> TEXT; BLOB or nothing -> no type; REAL, FLOA,
 * DOUB -> REAL; anything else NUMERIC); the numbers in the parentheses are its arguments.
 * Then dlt's sqla_col_to_column_schema. */
static void map_decl_type(const char *decl, dltc__sql_col *c)
{
    char name[128];
    size_t n = 0;
    const char *p = decl;
    while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == ' ') && n + 1 < sizeof(name))
        name[n++] = (char)toupper((unsigned char)*p++);
    name[n] = '\0';
    long args[2] = {-1, -1};
    int nargs = 0;
    if (*p == '(') {
        for (const char *q = p + 1; *q && *q != ')'; q++)
            if (isdigit((unsigned char)*q)) {
                char *end;
                long v = strtol(q, &end, 10);
                if (nargs < 2)
                    args[nargs] = v > 1000000 ? 1000000 : v;
                nargs++;
                q = end - 1;
            }
    }
    c->precision = c->scale = -1;
    c->length = c->small = 0;
    static const struct {
        const char *name;
        dltc__sql_kind kind;
        int args; /* 0 none, 1 length, 2 precision/scale */
    } names[] = {
        {"BIGINT", DLTC__SQL_BIGINT, 0}, {"BLOB", DLTC__SQL_BINARY, 1},
        {"BOOL", DLTC__SQL_BOOL, 0}, {"BOOLEAN", DLTC__SQL_BOOL, 0}, {"CHAR", DLTC__SQL_TEXT, 1},
        {"DATE", DLTC__SQL_DATE, 0}, {"DATE_CHAR", DLTC__SQL_DATE, 0},
        {"DATETIME", DLTC__SQL_TIMESTAMP, 0}, {"DATETIME_CHAR", DLTC__SQL_TIMESTAMP, 0},
        {"DOUBLE", DLTC__SQL_DOUBLE, 0}, {"DECIMAL", DLTC__SQL_DECIMAL, 2},
        {"FLOAT", DLTC__SQL_DOUBLE, 0}, {"INT", DLTC__SQL_BIGINT, 0},
        {"INTEGER", DLTC__SQL_BIGINT, 0}, {"JSON", DLTC__SQL_JSON, 0},
        {"NUMERIC", DLTC__SQL_DECIMAL, 2}, {"REAL", DLTC__SQL_DOUBLE, 0},
        {"SMALLINT", DLTC__SQL_BIGINT, 0}, {"TEXT", DLTC__SQL_TEXT, 1},
        {"TIME", DLTC__SQL_TIME, 0}, {"TIME_CHAR", DLTC__SQL_TIME, 0},
        {"TIMESTAMP", DLTC__SQL_TIMESTAMP, 0}, {"VARCHAR", DLTC__SQL_TEXT, 1},
        {"NVARCHAR", DLTC__SQL_TEXT, 1}, {"NCHAR", DLTC__SQL_TEXT, 1}, {"UUID", DLTC__SQL_TEXT, 0},
        {"CLOB", DLTC__SQL_TEXT, 1},
    };
    int kargs = -1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(name, names[i].name)) {
            c->kind = names[i].kind;
            kargs = names[i].args;
            c->small = !strcmp(name, "SMALLINT");
            break;
        }
    if (kargs < 0) {
        if (strstr(name, "INT"))
            c->kind = DLTC__SQL_BIGINT, kargs = 0;
        else if (strstr(name, "CHAR") || strstr(name, "CLOB") || strstr(name, "TEXT"))
            c->kind = DLTC__SQL_TEXT, kargs = 1;
        else if (strstr(name, "BLOB") || !n)
            c->kind = DLTC__SQL_NONE, kargs = 0;
        else if (strstr(name, "REAL") || strstr(name, "FLOA") || strstr(name, "DOUB"))
            c->kind = DLTC__SQL_DOUBLE, kargs = 0;
        else
            c->kind = DLTC__SQL_DECIMAL, kargs = 2;
    }
    if (kargs == 2 && nargs >= 1) {
        c->precision = (int)args[0];
        if (nargs >= 2)
            c->scale = (int)args[1];
    } else if (kargs == 1 && nargs >= 1 && args[0] > 0) {
        c->length = (int)args[0];
    }
}

enum { LEVEL_MINIMAL, LEVEL_FULL, LEVEL_PRECISION };

/* The hint of one column, as dlt writes it ({"nullable": …, "data_type": …, …}). */
static int put_hint(dltc_buf *b, const dltc__sql_col *c, int level)
{
    int rc = dltc__json_write_string(b, c->name, strlen(c->name));
    if (!rc)
        rc = dltc__buf_printf(b, ": {\"nullable\": %s", c->notnull || c->pk ? "false" : "true");
    if (!rc && level >= LEVEL_FULL && c->kind != DLTC__SQL_NONE) {
        rc = dltc__buf_printf(b, ", \"data_type\": \"%s\"", kind_names[c->kind]);
        if (!rc && c->kind == DLTC__SQL_DECIMAL && c->precision >= 0) {
            rc = dltc__buf_printf(b, ", \"precision\": %d", c->precision);
            if (!rc && c->scale >= 0)
                rc = dltc__buf_printf(b, ", \"scale\": %d", c->scale);
        } else if (!rc && level == LEVEL_PRECISION && c->small) {
            rc = dltc__buf_puts(b, ", \"precision\": 32");
        } else if (!rc && level == LEVEL_PRECISION && c->length > 0 &&
                   (c->kind == DLTC__SQL_TEXT || c->kind == DLTC__SQL_BINARY)) {
            rc = dltc__buf_printf(b, ", \"precision\": %d", c->length);
        } else if (!rc && level == LEVEL_PRECISION && c->kind == DLTC__SQL_TIMESTAMP &&
                   c->tz >= 0) {
            rc = dltc__buf_printf(b, ", \"timezone\": %s", c->tz ? "true" : "false");
        }
    }
    return rc ? rc : dltc__buf_putc(b, '}');
}

/* dlt's skip_nested_columns_on_minimal (the sqlalchemy backend): at minimal a JSON column
 * gets no hint at all, so its dicts are flattened and its lists become nested tables. */
static int hinted(const dltc__sql_col *c, int level)
{
    return level != LEVEL_MINIMAL || c->kind != DLTC__SQL_JSON;
}

/* ---- reading values ---- */

static int plain_decimal(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    for (; i < len && isdigit((unsigned char)s[i]); i++)
        digits++;
    if (i < len && s[i] == '.')
        for (i++; i < len && isdigit((unsigned char)s[i]); i++)
            digits++;
    return digits && i == len;
}

static dltc_value *decimal_from_double(dltc_doc *d, double v, int scale)
{
    char buf[400];
    if (!isfinite(v))
        return dltc_value_double(d, v);
    if (scale >= 0)
        snprintf(buf, sizeof(buf), "%.*f", scale > 60 ? 60 : scale, v);
    else {
        snprintf(buf, sizeof(buf), "%.15g", v);
        if (strchr(buf, 'e')) {
            snprintf(buf, sizeof(buf), "%.20f", v);
            size_t n = strlen(buf);
            while (n > 1 && buf[n - 1] == '0' && buf[n - 2] != '.')
                buf[--n] = '\0';
        }
    }
    return dltc_value_decimal(d, buf);
}

/* The value as stored (SQLite's storage class). */
static dltc_value *natural(const dltc__sql_backend *be, void *st, int i, int sv, dltc_doc *d)
{
    size_t len;
    const char *s;
    switch (sv) {
    case SV_INT:
        return dltc_value_int(d, be->column_int(st, i));
    case SV_FLOAT:
        return dltc_value_double(d, be->column_double(st, i));
    case SV_TEXT:
        s = be->column_text(st, i, &len);
        return dltc_value_string(d, s, len);
    case SV_BLOB: {
        const void *p = be->column_blob(st, i, &len);
        return dltc_value_binary(d, p, len);
    }
    default:
        return dltc_value_null(d);
    }
}

static int64_t unix_us(const dltc__sql_backend *be, void *st, int i, int sv)
{
    if (sv == SV_INT) {
        int64_t s = be->column_int(st, i);
        return s > INT64_MAX / 1000000 || s < INT64_MIN / 1000000 ? 0 : s * 1000000;
    }
    double v = be->column_double(st, i) * 1e6;
    return fabs(v) < 9.2e18 ? (int64_t)llround(v) : 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* One column of the current row as its hint's type says (SQLAlchemy's result processors
 * for SQLite); a value that does not fit stays as stored (dlt makes a variant of it). */
static dltc_value *read_value(const dltc__sql_backend *be, void *st, int i,
                              const dltc__sql_col *c, dltc_doc *d)
{
    int sv = be->column_type(st, i);
    if (sv == SV_NULL)
        return dltc_value_null(d);
    size_t len;
    const char *s;
    dltc_iso iso;
    switch (c->kind) {
    case DLTC__SQL_BIGINT:
        if (sv == SV_FLOAT) {
            double v = be->column_double(st, i);
            if (v == floor(v) && fabs(v) < 9.2e18)
                return dltc_value_int(d, (int64_t)v);
        }
        break;
    case DLTC__SQL_DOUBLE:
        if (sv == SV_INT || sv == SV_FLOAT)
            return dltc_value_double(d, be->column_double(st, i));
        break;
    case DLTC__SQL_DECIMAL:
        if (sv == SV_INT) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%lld", (long long)be->column_int(st, i));
            return dltc_value_decimal(d, buf);
        }
        if (sv == SV_FLOAT)
            return decimal_from_double(d, be->column_double(st, i), c->scale);
        if (sv == SV_TEXT) {
            s = be->column_text(st, i, &len);
            if (plain_decimal(s, len)) {
                char *t = dltc__strndup(s, len);
                dltc_value *v = t ? dltc_value_decimal(d, t) : NULL;
                dltc__free(t);
                return v;
            }
        }
        break;
    case DLTC__SQL_BOOL:
        if (sv == SV_INT || sv == SV_FLOAT)
            return dltc_value_bool(d, be->column_double(st, i) != 0);
        break;
    case DLTC__SQL_TIMESTAMP:
    case DLTC__SQL_DATE:
    case DLTC__SQL_TIME:
        if (sv == SV_INT || sv == SV_FLOAT) {
            int64_t us = unix_us(be, st, i, sv);
            if (c->kind == DLTC__SQL_TIMESTAMP)
                return dltc_value_timestamp(d, us, 1);
            if (c->kind == DLTC__SQL_DATE)
                return dltc_value_date(d, (int32_t)floor_div(us, 86400000000LL));
            break;
        }
        if (sv != SV_TEXT)
            break;
        s = be->column_text(st, i, &len);
        if (dltc__iso_parse(s, len, &iso)) {
            dltc_error_clear(); /* not an ISO value: kept as text */
            break;
        }
        if (c->kind == DLTC__SQL_TIMESTAMP && iso.kind == DLTC_ISO_DATETIME)
            return dltc_value_timestamp(d, iso.value, iso.has_tz);
        if (c->kind == DLTC__SQL_TIMESTAMP && iso.kind == DLTC_ISO_DATE)
            return dltc_value_timestamp(d, iso.value * 86400000000LL, 0);
        if (c->kind == DLTC__SQL_DATE && iso.kind == DLTC_ISO_DATE)
            return dltc_value_date(d, (int32_t)iso.value);
        if (c->kind == DLTC__SQL_DATE && iso.kind == DLTC_ISO_DATETIME)
            return dltc_value_date(d, (int32_t)floor_div(iso.value, 86400000000LL));
        if (c->kind == DLTC__SQL_TIME && iso.kind == DLTC_ISO_TIME)
            return dltc_value_time(d, iso.value);
        break;
    case DLTC__SQL_JSON:
        if (sv == SV_TEXT) {
            dltc_value *v = NULL;
            s = be->column_text(st, i, &len);
            if (!dltc_doc_parse_json(d, s, len, &v))
                return v;
            dltc_error_clear(); /* not JSON: kept as text */
        }
        break;
    default:
        break;
    }
    return natural(be, st, i, sv, d);
}

/* ---- the incremental WHERE ---- */

/* Bind a cursor value as the column stores it. */
static int bind_cursor(sqlres *r, void *st, int i, const dltc_value *v)
{
    const dltc__sql_backend *be = r->db->be;
    char buf[DLTC_ISO_MAX];
    size_t len;
    const char *s;
    switch (dltc_value_type_of(v)) {
    case DLTC_TYPE_NULL:
        return be->bind_null(st, i);
    case DLTC_TYPE_BOOL:
        return be->bind_int(st, i, dltc_value_get_bool(v));
    case DLTC_TYPE_INT:
        return be->bind_int(st, i, dltc_value_get_int(v));
    case DLTC_TYPE_DOUBLE:
        return be->bind_double(st, i, dltc_value_get_double(v));
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
        s = dltc_value_get_str(v, &len);
        return be->bind_text(st, i, s, len);
    case DLTC_TYPE_TIME:
        len = dltc__format_time(buf, dltc_value_get_int(v));
        return be->bind_text(st, i, buf, len);
    case DLTC_TYPE_TIMESTAMP:
    case DLTC_TYPE_DATE: {
        int numeric = 0, rc;
        char sep = ' ';
        if (be->cursor_storage &&
            (rc = be->cursor_storage(r->db->conn, r->from_sql, r->cursor_sql, &numeric, &sep)))
            return rc;
        int64_t us = dltc_value_type_of(v) == DLTC_TYPE_DATE
                         ? dltc_value_get_int(v) * 86400000000LL
                         : dltc_value_get_int(v);
        if (numeric) {
            if (us % 1000000 == 0)
                return be->bind_int(st, i, us / 1000000);
            return be->bind_double(st, i, (double)us / 1e6);
        }
        if (dltc_value_type_of(v) == DLTC_TYPE_DATE)
            len = dltc__format_date(buf, (int32_t)dltc_value_get_int(v));
        else {
            len = dltc__format_timestamp_naive(buf, us);
            if (len > 10)
                buf[10] = sep;
        }
        return be->bind_text(st, i, buf, len);
    }
    default:
        return dltc__error_set(DLTC_EINVALID, "cursor value of type %d cannot be compared "
                               "in SQL", (int)dltc_value_type_of(v));
    }
}

/* A cursor value in the WHERE: a parameter ?i bound after prepare, or (a backend without
 * parameters) the value as a literal. */
static int put_param(sqlres *r, dltc_buf *sql, int i, const dltc_value *v)
{
    const dltc__sql_backend *be = r->db->be;
    if (be->put_literal)
        return be->put_literal(r->db->conn, sql, v, &r->cols[r->cursor_idx]);
    return dltc__buf_printf(sql, "?%d", i);
}

/* The query of one run: dlt's TableLoader._make_query. */
static int open_query(sqlres *r, dltc_yield *y)
{
    const dltc__sql_backend *be = r->db->be;
    dltc_incremental *inc = r->cursor_sql ? dltc_yield_incremental(y) : NULL;
    const dltc_value *last = NULL, *end = NULL;
    dltc_buf sql = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&sql, r->select_sql);
    if (inc && r->lvf != LVF_CUSTOM) {
        last = dltc_incremental_last_value(inc);
        end = dltc_incremental_end_value(inc);
        if (last && dltc_value_type_of(last) == DLTC_TYPE_NULL)
            last = NULL;
        if (end && dltc_value_type_of(end) == DLTC_TYPE_NULL)
            end = NULL;
        if (!last)
            end = NULL;
        const char *op, *op_end;
        if (r->lvf == LVF_MAX) {
            op = r->start_open ? ">" : ">=";
            op_end = r->end_closed ? "<=" : "<";
        } else {
            op = r->start_open ? "<" : "<=";
            op_end = r->end_closed ? ">=" : ">";
        }
        const char *c = r->cursor_sql;
        if (!rc && last) {
            rc = dltc__buf_printf(&sql, " WHERE ((%s %s ", c, op);
            if (!rc)
                rc = put_param(r, &sql, 1, last);
            if (!rc && end) {
                rc = dltc__buf_printf(&sql, " AND %s %s ", c, op_end);
                if (!rc)
                    rc = put_param(r, &sql, 2, end);
            }
            if (!rc)
                rc = dltc__buf_puts(&sql, ")");
            if (!rc && r->missing == MISSING_INCLUDE)
                rc = dltc__buf_printf(&sql, " OR %s IS NULL", c);
            if (!rc && r->missing == MISSING_EXCLUDE)
                rc = dltc__buf_printf(&sql, " AND %s IS NOT NULL", c);
            if (!rc)
                rc = dltc__buf_puts(&sql, ")");
        }
        if (!rc && r->row_order != ORDER_NONE)
            rc = dltc__buf_printf(&sql, " ORDER BY %s %s", c,
                                  (r->row_order == ORDER_ASC) == (r->lvf == LVF_MAX) ? "ASC"
                                                                                     : "DESC");
    }
    if (!rc)
        rc = be->prepare(&r->stmt, r->db->conn, sql.data, r->cols, r->ncols);
    if (!rc && last && !be->put_literal)
        rc = bind_cursor(r, r->stmt, 1, last);
    if (!rc && end && !be->put_literal)
        rc = bind_cursor(r, r->stmt, 2, end);
    dltc__buf_free(&sql);
    if (rc)
        sqlres_close(r);
    return rc;
}

/* Up to `max` rows stepped one by one into page, each value converted by read_value. */
static int step_rows(sqlres *r, dltc_doc *d, dltc_value *page, size_t max, int *done)
{
    const dltc__sql_backend *be = r->db->be;
    for (size_t n = 0; n < max; n++) {
        int rc = be->step(r->stmt);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            *done = 1;
            return 0;
        }
        dltc_value *row = dltc_value_object(d);
        if (!row)
            return DLTC_ENOMEM;
        for (size_t i = 0; i < r->ncols; i++) {
            dltc_value *v = read_value(be, r->stmt, (int)i, &r->cols[i], d);
            rc = 0;
            if (!v || (rc = dltc_object_set(d, row, r->cols[i].name, v))) {
                rc = rc ? rc : dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
                dltc__error_prefix("column \"%s\": ", r->cols[i].name);
                return rc;
            }
        }
        if ((rc = dltc_array_append(d, page, row)))
            return rc;
    }
    return 0;
}

/* The resource function: one page of chunk_size rows per call. */
static int read_page(dltc_yield *y, void *payload)
{
    sqlres *r = payload;
    const dltc__sql_backend *be = r->db->be;
    int rc = 0;
    if (!r->stmt && (rc = open_query(r, y)))
        goto fail;
    dltc_doc *d = dltc_yield_doc(y);
    dltc_value *page = dltc_value_array(d);
    if (!page) {
        rc = DLTC_ENOMEM;
        goto fail;
    }
    int done = 0;
    rc = be->read_rows ? be->read_rows(r->stmt, d, page, r->chunk, &done)
                       : step_rows(r, d, page, r->chunk, &done);
    if (rc)
        goto fail;
    size_t n = dltc_value_size(page);
    if (n) {
        rc = dltc_yield_value(y, page);
        if (rc == DLTC_ITEROVER)
            done = 1; /* the cursor's row_order says nothing more is in range */
        else if (rc) {
            sqlres_close(r);
            return rc;
        }
    }
    if (done || !n) {
        sqlres_close(r);
        return DLTC_ITEROVER;
    }
    return 0;
fail:
    sqlres_close(r);
    dltc__error_prefix("sql_database %s: table \"%s\": ", r->db->label, r->table);
    return rc;
}

/* ---- resources ---- */

typedef struct {
    dltc__sql_col *cols;
    size_t n, cap;
} col_list;

static int on_column(const dltc__sql_col *col, void *payload)
{
    col_list *l = payload;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        dltc__sql_col *c = dltc__realloc(l->cols, cap * sizeof(*c));
        if (!c)
            return dltc__error_oom();
        l->cols = c;
        l->cap = cap;
    }
    dltc__sql_col *c = &l->cols[l->n];
    *c = *col;
    if (!(c->name = dltc__strdup(col->name)))
        return dltc__error_oom();
    l->n++;
    return 0;
}

static int listed(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && !strcmp(names[i], name))
            return 1;
    return 0;
}

static int parse_level(const char *s, int *out)
{
    if (!s || !strcmp(s, "full"))
        *out = LEVEL_FULL;
    else if (!strcmp(s, "minimal"))
        *out = LEVEL_MINIMAL;
    else if (!strcmp(s, "full_with_precision"))
        *out = LEVEL_PRECISION;
    else
        return dltc__error_set(DLTC_EINVALID, "reflection_level must be minimal, full or "
                               "full_with_precision, not '%s'", s);
    return 0;
}

/* Build the statements, hints and cursor of a reflected table. */
static int prepare_table(sqlres *r, col_list *l, const dltc_sql_table_options *o, int level,
                         dltc_buf *hints, dltc_buf *pk)
{
    /* the selected columns: included (NULL = all) minus excluded */
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        dltc__sql_col c = l->cols[i];
        if ((o->included_columns && !listed(c.name, o->included_columns, o->n_included_columns)) ||
            (o->excluded_columns && listed(c.name, o->excluded_columns, o->n_excluded_columns))) {
            dltc__free(c.name);
            continue;
        }
        l->cols[k++] = c;
    }
    l->n = k;
    if (!k)
        return dltc__error_set(DLTC_EINVALID, "no columns left to read");
    r->cols = l->cols;
    r->ncols = l->n;
    l->cols = NULL;
    l->n = 0;

    const dltc__sql_backend *be = r->db->be;
    dltc_buf sel = DLTC_BUF_INIT, q = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&sel, "SELECT ");
    for (size_t i = 0; i < r->ncols && !rc; i++) {
        if (i)
            rc = dltc__buf_puts(&sel, ", ");
        dltc__buf_clear(&q);
        if (!rc)
            rc = put_ident(&q, r->cols[i].name);
        if (!rc)
            rc = be->put_select ? be->put_select(&sel, &r->cols[i], q.data)
                                : dltc__buf_puts(&sel, q.data);
    }
    dltc__buf_free(&q);
    if (!rc)
        rc = dltc__buf_printf(&sel, " FROM %s", r->from_sql);
    if (rc) {
        dltc__buf_free(&sel);
        return rc;
    }
    r->select_sql = dltc__buf_detach(&sel);

    /* hints in column order; the primary key in key order */
    rc = dltc__buf_putc(hints, '{');
    for (size_t i = 0, n = 0; i < r->ncols && !rc; i++) {
        if (!hinted(&r->cols[i], level))
            continue;
        if (n++)
            rc = dltc__buf_puts(hints, ", ");
        if (!rc)
            rc = put_hint(hints, &r->cols[i], level);
    }
    if (!rc)
        rc = dltc__buf_putc(hints, '}');
    for (int pos = 1; !rc && pos <= (int)r->ncols; pos++)
        for (size_t i = 0; i < r->ncols && !rc; i++)
            if (r->cols[i].pk == pos)
                rc = (pk->len && dltc__buf_putc(pk, ',')) || dltc__buf_puts(pk, r->cols[i].name)
                         ? DLTC_ENOMEM
                         : 0;
    if (rc)
        return rc;

    /* the cursor: a plain column name */
    const dltc_incremental_options *inc = o->incremental;
    if (!inc)
        return 0;
    if (!inc->cursor_path)
        return dltc__error_set(DLTC_EINVALID, "incremental: a cursor column is needed");
    r->cursor_idx = -1;
    for (size_t i = 0; i < r->ncols; i++)
        if (!strcmp(r->cols[i].name, inc->cursor_path))
            r->cursor_idx = (int)i;
    if (r->cursor_idx < 0)
        return dltc__error_set(DLTC_EINVALID, "cursor column \"%s\" is not a column read from "
                               "the table", inc->cursor_path);
    if (!(r->cursor_sql = quoted(inc->cursor_path)))
        return dltc__error_oom();
    r->lvf = inc->last_value_cmp ? LVF_CUSTOM
             : inc->last_value_func && !strcmp(inc->last_value_func, "min") ? LVF_MIN
                                                                             : LVF_MAX;
    r->start_open = inc->range_start && !strcmp(inc->range_start, "open");
    r->end_closed = inc->range_end && !strcmp(inc->range_end, "closed");
    r->missing = !inc->on_cursor_value_missing ? MISSING_RAISE
                 : !strcmp(inc->on_cursor_value_missing, "include") ? MISSING_INCLUDE
                 : !strcmp(inc->on_cursor_value_missing, "exclude") ? MISSING_EXCLUDE
                                                                    : MISSING_RAISE;
    r->row_order = !inc->row_order ? ORDER_NONE
                   : !strcmp(inc->row_order, "asc") ? ORDER_ASC
                   : !strcmp(inc->row_order, "desc") ? ORDER_DESC
                                                     : ORDER_NONE;
    return 0;
}

static int table_resource(dltc_resource **out, dltc_sql_database *db, const char *table,
                          const dltc_sql_table_options *o)
{
    int level = 1;
    int rc = parse_level(o->reflection_level, &level);
    if (rc)
        return rc;
    sqlres *r = dltc__calloc(1, sizeof(*r));
    if (!r)
        return dltc__error_oom();
    r->db = db;
    r->chunk = o->chunk_size ? o->chunk_size : DEFAULT_CHUNK_SIZE;
    col_list l = {0};
    dltc_buf hints = DLTC_BUF_INIT, pk = DLTC_BUF_INIT, from = DLTC_BUF_INIT;
    if (!(r->table = dltc__strdup(table)))
        rc = dltc__error_oom();
    if (!rc && o->schema && *o->schema)
        rc = put_ident(&from, o->schema) || dltc__buf_putc(&from, '.') ? DLTC_ENOMEM : 0;
    if (!rc)
        rc = put_ident(&from, table);
    if (!rc)
        r->from_sql = dltc__buf_detach(&from);
    if (!rc)
        rc = db->be->reflect(db->conn, o->schema, table, on_column, &l);
    if (!rc)
        rc = prepare_table(r, &l, o, level, &hints, &pk);
    for (size_t i = 0; i < l.n; i++)
        dltc__free(l.cols[i].name);
    dltc__free(l.cols);

    sqlres **grown = NULL;
    if (!rc && !(grown = dltc__realloc(db->res, (db->nres + 1) * sizeof(*grown))))
        rc = dltc__error_oom();
    if (!rc)
        db->res = grown;
    if (!rc) {
        dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
        ro.write_disposition = o->write_disposition ? o->write_disposition : "append";
        ro.merge_strategy = o->merge_strategy;
        ro.primary_key = o->primary_key ? (*o->primary_key ? o->primary_key : NULL)
                                        : (pk.len ? pk.data : NULL);
        ro.merge_key = o->merge_key;
        ro.columns = hints.data;
        rc = dltc_resource_new(out, table, read_page, r, &ro);
        if (!rc && o->incremental && (rc = dltc_resource_set_incremental(*out, o->incremental))) {
            dltc_resource_free(*out);
            *out = NULL;
        }
    }
    dltc__buf_free(&hints);
    dltc__buf_free(&pk);
    dltc__buf_free(&from);
    if (rc) {
        sqlres_free(r);
        dltc__error_prefix("sql_database %s: table \"%s\": ", db->label, table);
        return rc;
    }
    db->res[db->nres++] = r; /* the handle owns the reading state */
    return 0;
}

int dltc_sql_table_resource(dltc_resource **out, dltc_sql_database *db, const char *table,
                            const dltc_sql_table_options *o)
{
    static const dltc_sql_table_options defaults = DLTC_SQL_TABLE_OPTIONS_INIT;
    *out = NULL;
    if (!o)
        o = &defaults;
    if (o->version != DLTC_SQL_TABLE_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "sql_table options: version %u not supported",
                               o->version);
    if (!db || !table || !*table)
        return dltc__error_set(DLTC_EINVALID, "sql_table: a database and a table are needed");
    return table_resource(out, db, table, o);
}

/* ---- the source ---- */

typedef struct {
    char **names;
    size_t n, cap;
} name_list;

static int on_table(const char *name, int is_view, void *payload)
{
    (void)is_view;
    name_list *l = payload;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **g = dltc__realloc(l->names, cap * sizeof(*g));
        if (!g)
            return dltc__error_oom();
        l->names = g;
        l->cap = cap;
    }
    if (!(l->names[l->n] = dltc__strdup(name)))
        return dltc__error_oom();
    l->n++;
    return 0;
}

int dltc_sql_database_source(dltc_source **out, dltc_sql_database *db, const char *source_name,
                             const dltc_sql_database_options *o)
{
    static const dltc_sql_database_options defaults = DLTC_SQL_DATABASE_OPTIONS_INIT;
    *out = NULL;
    if (!o)
        o = &defaults;
    if (o->version != DLTC_SQL_DATABASE_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "sql_database options: version %u not supported",
                               o->version);
    if (!db)
        return dltc__error_set(DLTC_EINVALID, "sql_database: a database is needed");
    int level = 1;
    int rc = parse_level(o->reflection_level, &level);
    if (rc)
        return rc;
    name_list l = {0};
    if (o->table_names) {
        for (size_t i = 0; i < o->n_table_names && !rc; i++)
            rc = on_table(o->table_names[i], 0, &l);
    } else if ((rc = db->be->list_tables(db->conn, o->schema, o->include_views, on_table, &l))) {
        dltc__error_prefix("sql_database %s: ", db->label);
    }
    dltc_source *src = NULL;
    if (!rc)
        rc = dltc_source_new(&src, source_name ? source_name : "sql_database");
    for (size_t i = 0; i < l.n && !rc; i++) {
        dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
        to.schema = o->schema;
        to.chunk_size = o->chunk_size;
        to.reflection_level = o->reflection_level;
        dltc_resource *r;
        if (!(rc = table_resource(&r, db, l.names[i], &to)))
            rc = dltc_source_add(src, r);
    }
    for (size_t i = 0; i < l.n; i++)
        dltc__free(l.names[i]);
    dltc__free(l.names);
    if (rc) {
        dltc_source_free(src);
        return rc;
    }
    *out = src;
    return 0;
}
