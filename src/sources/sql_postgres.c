/* Postgres for the sql_database source (sources/sql_backend.h), over the libpq client of
 * load/destinations/postgres/ (pg_int.h, the only includer of libpq-fe.h).
 *
 * Reflection reads pg_catalog: the tables of a schema (plus views and materialized views
 * when asked; partitions are read through their parent), then a table's columns with
 * their types (a domain as its base type, as SQLAlchemy reflects it), NOT NULL and the
 * position in the primary key. Types map as dlt's sqla_col_to_column_schema maps what
 * SQLAlchemy's Postgres dialect reflects (docs/sql_database.md).
 *
 * Reading: one `COPY (SELECT …) TO STDOUT (FORMAT binary)` per run of a resource, parsed
 * message by message straight into the page's values: the server does no text formatting
 * of numbers, timestamps or numerics, we parse none, and libpq holds one row at a time, so
 * memory is one page. Types read natively are decoded from their binary form; every other
 * column is selected as its text, what psycopg2 would get ("c"::text; inet as abbrev("c");
 * arrays as to_json("c"), read as JSON). A double comes twice, binary and as the server's
 * shortest text, which the JSON writers then copy instead of formatting it again. COPY takes no
 * parameters: cursor values are written as literals escaped by libpq.
 *
 * Connections: a handle keeps a small pool. A COPY holds its connection until it ends, and
 * a run cut short by add_limit leaves its COPY open, so a query (or a catalog lookup) that
 * finds every connection busy opens one more. A COPY closed before its end closes its
 * connection (the server stops sending when it goes). */
#include "sources/sql_backend.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/time.h"
#include "formats/json.h"
#include "formats/value.h"
#include "load/destinations/postgres.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs of the built-in types (pg_type.dat; fixed across versions). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_CHAR = 18,
    OID_NAME = 19,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_OID = 26,
    OID_JSON = 114,
    OID_INET = 869,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_BPCHAR = 1042,
    OID_VARCHAR = 1043,
    OID_DATE = 1082,
    OID_TIME = 1083,
    OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184,
    OID_TIMETZ = 1266,
    OID_NUMERIC = 1700,
    OID_UUID = 2950,
    OID_JSONB = 3802
};

/* How a column travels in the binary COPY (dltc__sql_col.wire). */
enum {
    W_TEXT_CAST = 0, /* any other type: selected as "c"::text */
    W_JSON_CAST,     /* an array: selected as to_json("c") */
    W_INET_CAST,     /* inet: abbrev("c"), its output text (text("c") adds the /32) */
    W_BOOL,
    W_INT2,
    W_INT4,
    W_INT8,
    W_OID,
    W_FLOAT4,
    W_FLOAT8,
    W_NUMERIC,
    W_TEXT,
    W_BYTEA,
    W_DATE,
    W_TIME,
    W_TIMETZ,
    W_TIMESTAMP,
    W_TIMESTAMPTZ,
    W_JSON,
    W_JSONB,
    W_UUID
};

/* Postgres' epoch (2000-01-01) in Unix days and microseconds. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US 946684800000000LL
#define DAY_US 86400000000LL

/* ---- connections ---- */

typedef struct {
    char *conninfo;
    dltc_dest **conns; /* NULL: closed */
    unsigned char *busy;
    size_t n;
} pg_pool;

/* dltc__postgres_open's message without its "postgres at host:port/db: " (the source
 * names the database itself). */
static void drop_where_prefix(void)
{
    const dltc_error *e = dltc_error_last();
    const char *m = e->message;
    if (!m || strncmp(m, "postgres at ", 12))
        return;
    const char *sep = strstr(m + 12, ": ");
    if (!sep)
        return;
    char *rest = dltc__strdup(sep + 2);
    if (rest) {
        dltc__error_set(e->code, "%s", rest);
        dltc__free(rest);
    }
}

/* A connection that runs nothing: a free one of the pool, else a new one. */
static int pool_take(pg_pool *p, size_t *idx)
{
    size_t slot = p->n;
    for (size_t i = 0; i < p->n; i++) {
        if (p->conns[i] && !p->busy[i]) {
            p->busy[i] = 1;
            *idx = i;
            return 0;
        }
        if (!p->conns[i] && slot == p->n)
            slot = i;
    }
    if (slot == p->n) {
        dltc_dest **c = dltc__realloc(p->conns, (p->n + 1) * sizeof(*c));
        if (!c)
            return dltc__error_oom();
        p->conns = c;
        unsigned char *b = dltc__realloc(p->busy, p->n + 1);
        if (!b)
            return dltc__error_oom();
        p->busy = b;
        p->conns[p->n] = NULL;
        p->busy[p->n] = 0;
        p->n++;
    }
    int rc = dltc__postgres_open(&p->conns[slot], p->conninfo, DLTC_DEST_READ);
    if (rc) {
        drop_where_prefix();
        return rc;
    }
    p->busy[slot] = 1;
    *idx = slot;
    return 0;
}

/* Hand a connection back; `broken`: close it (a COPY left unfinished, a lost server). */
static void pool_give(pg_pool *p, size_t i, int broken)
{
    if (broken) {
        dltc__dest_close(p->conns[i]);
        p->conns[i] = NULL;
    }
    p->busy[i] = 0;
}

static void pg_close(void *conn)
{
    pg_pool *p = conn;
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        dltc__dest_close(p->conns[i]);
    dltc__free(p->conns);
    dltc__free(p->busy);
    dltc__free(p->conninfo);
    dltc__free(p);
}

static int pg_open(void **conn, const char *target)
{
    *conn = NULL;
    pg_pool *p = dltc__calloc(1, sizeof(*p));
    if (!p || !(p->conninfo = dltc__strdup(target))) {
        dltc__free(p);
        return dltc__error_oom();
    }
    size_t i;
    int rc = pool_take(p, &i); /* connect now: a wrong password fails the open */
    if (rc) {
        pg_close(p);
        return rc;
    }
    pool_give(p, i, 0);
    *conn = p;
    return 0;
}

/* A catalog query on a free connection. */
static int catalog_query(pg_pool *p, const char *sql, dltc_rows **out)
{
    size_t i;
    int rc = pool_take(p, &i);
    if (rc)
        return rc;
    rc = dltc__dest_query(p->conns[i], sql, out);
    pool_give(p, i, rc == DLTC_ENETWORK);
    return rc;
}

/* `s` as a literal of the pool's sessions (any connection knows their settings). */
static int put_literal_text(pg_pool *p, dltc_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->conns[i])
            return dltc__postgres_put_literal(p->conns[i], b, s, len);
    size_t i;
    int rc = pool_take(p, &i);
    if (rc)
        return rc;
    rc = dltc__postgres_put_literal(p->conns[i], b, s, len);
    pool_give(p, i, 0);
    return rc;
}

/* "n.nspname = <schema>" (NULL: the session's current schema, SQLAlchemy's default). */
static int put_schema_cond(pg_pool *p, dltc_buf *sql, const char *schema)
{
    int rc = dltc__buf_puts(sql, "n.nspname = ");
    if (rc)
        return rc;
    if (!schema || !*schema)
        return dltc__buf_puts(sql, "current_schema()");
    return put_literal_text(p, sql, schema, strlen(schema));
}

/* ---- reflection ---- */

static int64_t int_at(dltc_rows *rows, size_t r, size_t c, int64_t dflt)
{
    const dltc_value *v = dltc_rows_get(rows, r, c);
    if (!v)
        return dflt;
    switch (dltc_value_type_of(v)) {
    case DLTC_TYPE_INT:
        return dltc_value_get_int(v);
    case DLTC_TYPE_BOOL:
        return dltc_value_get_bool(v);
    default:
        return dflt;
    }
}

static const char *text_at(dltc_rows *rows, size_t r, size_t c)
{
    const dltc_value *v = dltc_rows_get(rows, r, c);
    return v && dltc_value_type_of(v) == DLTC_TYPE_STRING ? dltc_value_get_str(v, NULL) : NULL;
}

/* SQLAlchemy's get_table_names (kinds r, p; partitions not: their parent has the rows)
 * and, with views, get_view_names (v, m). */
static int pg_list(void *conn, const char *schema, int views, dltc__sql_table_fn fn,
                   void *payload)
{
    pg_pool *p = conn;
    dltc_buf sql = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&sql, "SELECT c.relname::text, c.relkind IN ('v', 'm') "
                                  "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                                  "ON n.oid = c.relnamespace WHERE ");
    if (!rc)
        rc = put_schema_cond(p, &sql, schema);
    if (!rc)
        rc = dltc__buf_printf(&sql, " AND c.relkind IN ('r', 'p'%s) AND NOT c.relispartition "
                                    "ORDER BY c.relname",
                              views ? ", 'v', 'm'" : "");
    dltc_rows *rows = NULL;
    if (!rc)
        rc = catalog_query(p, sql.data, &rows);
    dltc__buf_free(&sql);
    for (size_t i = 0; !rc && i < dltc_rows_count(rows); i++) {
        const char *name = text_at(rows, i, 0);
        if (name)
            rc = fn(name, (int)int_at(rows, i, 1, 0), payload);
    }
    dltc_rows_free(rows);
    return rc;
}

/* The dlt type of a column from its (base) type, as SQLAlchemy's Postgres dialect
 * reflects it and dlt's sqla_col_to_column_schema maps it; and how it is read. */
static void map_type(dltc__sql_col *c, int64_t oid, int64_t mod, const char *typtype,
                     const char *category, const char *typname, int64_t enum_len)
{
    c->precision = c->scale = -1;
    c->length = c->small = 0;
    c->tz = -1;
    c->kind = DLTC__SQL_NONE;
    c->wire = W_TEXT_CAST;
    switch (oid) {
    case OID_BOOL:
        c->kind = DLTC__SQL_BOOL, c->wire = W_BOOL;
        return;
    case OID_INT2:
        c->kind = DLTC__SQL_BIGINT, c->wire = W_INT2, c->small = 1;
        return;
    case OID_INT4:
        c->kind = DLTC__SQL_BIGINT, c->wire = W_INT4;
        return;
    case OID_INT8:
        c->kind = DLTC__SQL_BIGINT, c->wire = W_INT8;
        return;
    case OID_OID: /* SQLAlchemy's OID: no dlt type; the values are integers */
        c->wire = W_OID;
        return;
    case OID_NUMERIC:
        c->kind = DLTC__SQL_DECIMAL, c->wire = W_NUMERIC;
        if (mod >= 4) {
            c->precision = (int)(((mod - 4) >> 16) & 0xffff);
            c->scale = (int)(int16_t)((mod - 4) & 0xffff);
        }
        return;
    case OID_FLOAT4:
        c->kind = DLTC__SQL_DOUBLE, c->wire = W_FLOAT4;
        return;
    case OID_FLOAT8:
        c->kind = DLTC__SQL_DOUBLE, c->wire = W_FLOAT8;
        return;
    case OID_TEXT:
    case OID_NAME:
        c->kind = DLTC__SQL_TEXT, c->wire = W_TEXT;
        return;
    case OID_VARCHAR:
    case OID_BPCHAR:
        c->kind = DLTC__SQL_TEXT, c->wire = W_TEXT;
        c->length = mod >= 4 ? (int)(mod - 4) : 0;
        return;
    case OID_CHAR: /* "char": one byte in binary; its text is what SQLAlchemy returns */
        c->kind = DLTC__SQL_TEXT;
        return;
    case OID_UUID:
        c->kind = DLTC__SQL_TEXT, c->wire = W_UUID;
        return;
    case OID_BYTEA:
        c->kind = DLTC__SQL_BINARY, c->wire = W_BYTEA;
        return;
    case OID_DATE:
        c->kind = DLTC__SQL_DATE, c->wire = W_DATE;
        return;
    case OID_TIME:
        c->kind = DLTC__SQL_TIME, c->wire = W_TIME;
        return;
    case OID_TIMETZ:
        c->kind = DLTC__SQL_TIME, c->wire = W_TIMETZ;
        return;
    case OID_TIMESTAMP:
        c->kind = DLTC__SQL_TIMESTAMP, c->wire = W_TIMESTAMP, c->tz = 0;
        return;
    case OID_TIMESTAMPTZ:
        c->kind = DLTC__SQL_TIMESTAMP, c->wire = W_TIMESTAMPTZ, c->tz = 1;
        return;
    case OID_JSON:
        c->kind = DLTC__SQL_JSON, c->wire = W_JSON;
        return;
    case OID_JSONB:
        c->kind = DLTC__SQL_JSON, c->wire = W_JSONB;
        return;
    case OID_INET:
        c->wire = W_INET_CAST;
        return;
    default:
        break;
    }
    if (typtype && !strcmp(typtype, "e")) { /* ENUM is a String of its longest label */
        c->kind = DLTC__SQL_TEXT;
        c->length = enum_len > 0 ? (int)enum_len : 0;
    } else if (category && !strcmp(category, "A")) {
        c->kind = DLTC__SQL_JSON, c->wire = W_JSON_CAST;
    } else if (typname && !strcmp(typname, "citext")) {
        c->kind = DLTC__SQL_TEXT;
    }
    /* anything else (interval, money, inet, xml, ranges, …): no type, read as its text */
}

static int pg_reflect(void *conn, const char *schema, const char *table, dltc__sql_column_fn fn,
                      void *payload)
{
    pg_pool *p = conn;
    dltc_buf sql = DLTC_BUF_INIT;
    /* one row per column (a table without columns: one row of NULLs); a domain is its
     * base type, its NOT NULL counts */
    int rc = dltc__buf_puts(
        &sql,
        "SELECT a.attname::text, t.oid::int8, "
        "CASE WHEN t0.typtype = 'd' THEN t0.typtypmod ELSE a.atttypmod END::int8, "
        "a.attnotnull OR (t0.typtype = 'd' AND t0.typnotnull), "
        "(SELECT k.n FROM unnest(i.indkey) WITH ORDINALITY k(att, n) WHERE k.att = a.attnum), "
        "t.typtype::text, t.typcategory::text, t.typname::text, "
        "CASE WHEN t.typtype = 'e' THEN (SELECT max(char_length(e.enumlabel)) "
        "FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) END::int8 "
        "FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
        "AND NOT a.attisdropped "
        "LEFT JOIN pg_catalog.pg_type t0 ON t0.oid = a.atttypid "
        "LEFT JOIN pg_catalog.pg_type t ON t.oid = CASE WHEN t0.typtype = 'd' "
        "THEN t0.typbasetype ELSE t0.oid END "
        "LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = ");
    if (!rc)
        rc = put_literal_text(p, &sql, table, strlen(table));
    if (!rc)
        rc = dltc__buf_puts(&sql, " AND ");
    if (!rc)
        rc = put_schema_cond(p, &sql, schema);
    if (!rc)
        rc = dltc__buf_puts(&sql, " ORDER BY a.attnum");
    dltc_rows *rows = NULL;
    if (!rc)
        rc = catalog_query(p, sql.data, &rows);
    dltc__buf_free(&sql);
    if (!rc && !dltc_rows_count(rows))
        rc = dltc__error_set(DLTC_ENOTFOUND, "no such table");
    for (size_t r = 0; !rc && r < dltc_rows_count(rows); r++) {
        const char *name = text_at(rows, r, 0);
        if (!name)
            continue; /* no columns */
        dltc__sql_col c;
        memset(&c, 0, sizeof(c));
        c.name = (char *)name;
        map_type(&c, int_at(rows, r, 1, 0), int_at(rows, r, 2, -1), text_at(rows, r, 5),
                 text_at(rows, r, 6), text_at(rows, r, 7), int_at(rows, r, 8, 0));
        c.notnull = int_at(rows, r, 3, 0) != 0;
        c.pk = (int)int_at(rows, r, 4, 0);
        rc = fn(&c, payload);
    }
    dltc_rows_free(rows);
    return rc;
}

/* ---- the query ---- */

static int pg_put_select(dltc_buf *sql, const dltc__sql_col *c, const char *quoted)
{
    if (c->wire == W_TEXT_CAST || c->wire == W_FLOAT4)
        return dltc__buf_printf(sql, "%s::text", quoted);
    if (c->wire == W_FLOAT8) /* the double, and the server's shortest text of it */
        return dltc__buf_printf(sql, "%s, %s::text", quoted, quoted);
    if (c->wire == W_JSON_CAST)
        return dltc__buf_printf(sql, "to_json(%s)", quoted);
    if (c->wire == W_INET_CAST)
        return dltc__buf_printf(sql, "abbrev(%s)", quoted);
    return dltc__buf_puts(sql, quoted);
}

/* A cursor value as a literal the server compares with the column: numbers bare, the rest
 * quoted by libpq and left untyped, so the server reads it as the column's type. */
static int pg_put_literal(void *conn, dltc_buf *sql, const dltc_value *v, const dltc__sql_col *c)
{
    (void)c;
    pg_pool *p = conn;
    char buf[DLTC_ISO_MAX + 8];
    size_t len;
    const char *s;
    switch (dltc_value_type_of(v)) {
    case DLTC_TYPE_NULL:
        return dltc__buf_puts(sql, "NULL");
    case DLTC_TYPE_BOOL:
        return dltc__buf_puts(sql, dltc_value_get_bool(v) ? "TRUE" : "FALSE");
    case DLTC_TYPE_INT:
        return dltc__buf_printf(sql, "%lld", (long long)dltc_value_get_int(v));
    case DLTC_TYPE_DOUBLE: {
        double d = dltc_value_get_double(v);
        if (isnan(d))
            return dltc__buf_puts(sql, "'NaN'::float8");
        if (isinf(d))
            return dltc__buf_puts(sql, d > 0 ? "'Infinity'::float8" : "'-Infinity'::float8");
        return dltc__buf_printf(sql, "%.17g", d);
    }
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL: /* digits, a sign and a point only (the value API checks) */
        s = dltc_value_get_str(v, &len);
        return dltc__buf_put(sql, s, len);
    case DLTC_TYPE_STRING:
        s = dltc_value_get_str(v, &len);
        return put_literal_text(p, sql, s, len);
    case DLTC_TYPE_TIMESTAMP:
        len = dltc_value_get_tz(v) ? dltc__format_timestamp(buf, dltc_value_get_int(v))
                                   : dltc__format_timestamp_naive(buf, dltc_value_get_int(v));
        return put_literal_text(p, sql, buf, len);
    case DLTC_TYPE_DATE:
        len = dltc__format_date(buf, (int32_t)dltc_value_get_int(v));
        return put_literal_text(p, sql, buf, len);
    case DLTC_TYPE_TIME:
        len = dltc__format_time(buf, dltc_value_get_int(v));
        return put_literal_text(p, sql, buf, len);
    case DLTC_TYPE_BINARY: {
        static const char hex[] = "0123456789abcdef";
        s = dltc_value_get_str(v, &len);
        dltc_buf h = DLTC_BUF_INIT;
        int rc = dltc__buf_puts(&h, "\\x");
        for (size_t i = 0; !rc && i < len; i++) {
            char two[2] = {hex[(unsigned char)s[i] >> 4], hex[(unsigned char)s[i] & 15]};
            rc = dltc__buf_put(&h, two, 2);
        }
        if (!rc)
            rc = put_literal_text(p, sql, h.data, h.len);
        dltc__buf_free(&h);
        return rc;
    }
    default:
        return dltc__error_set(DLTC_EINVALID, "cursor value of type %d cannot be compared "
                               "in SQL", (int)dltc_value_type_of(v));
    }
}

typedef struct {
    pg_pool *pool;
    size_t slot;
    dltc_dest *conn;
    const dltc__sql_col *cols;
    size_t ncols;
    uint32_t *klen;  /* strlen of the column names */
    size_t nfields;  /* fields per row: a double comes with its text */
    int running;     /* the COPY streams */
    int header;      /* its header was read */
    int trailer;     /* its trailer was read */
    dltc_buf carry;  /* the start of a row split across messages */
} pg_stmt;

/* A row is at most the server's 1 GB message. */
#define CARRY_LIMIT ((size_t)1 << 30)

static void pg_finalize(void *stmt)
{
    pg_stmt *st = stmt;
    if (!st)
        return;
    if (st->conn)
        pool_give(st->pool, st->slot, st->running);
    dltc__buf_free(&st->carry);
    dltc__free(st->klen);
    dltc__free(st);
}

static int pg_prepare(void **stmt, void *conn, const char *sql, const dltc__sql_col *cols,
                      size_t ncols)
{
    *stmt = NULL;
    pg_pool *p = conn;
    pg_stmt *st = dltc__calloc(1, sizeof(*st));
    if (!st || !(st->klen = dltc__malloc(ncols * sizeof(*st->klen) + 1))) {
        dltc__free(st);
        return dltc__error_oom();
    }
    st->pool = p;
    st->carry.limit = CARRY_LIMIT;
    st->cols = cols;
    st->ncols = ncols;
    st->nfields = ncols;
    for (size_t i = 0; i < ncols; i++) {
        st->klen[i] = (uint32_t)strlen(cols[i].name);
        st->nfields += cols[i].wire == W_FLOAT8;
    }
    dltc_buf copy = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&copy, "COPY (%s) TO STDOUT (FORMAT binary)", sql);
    if (!rc && !(rc = pool_take(p, &st->slot))) {
        st->conn = p->conns[st->slot];
        rc = dltc__postgres_copy_out_begin(st->conn, copy.data);
        if (!rc)
            st->running = 1;
        else if (rc == DLTC_ENETWORK)
            st->running = 1; /* closed with it */
    }
    dltc__buf_free(&copy);
    if (rc) {
        pg_finalize(st);
        return rc;
    }
    *stmt = st;
    return 0;
}

/* ---- the binary COPY format ---- */

static inline uint16_t be16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t be32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
static inline uint64_t be64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static int bad_data(const char *what)
{
    return dltc__error_set(DLTC_EPARSE, "unexpected COPY data from the server: %s", what);
}

/* Bytes of valid UTF-8 at the start of s: ASCII eight bytes at a time, the rest by the
 * value module's check. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (x & 0x8080808080808080ULL)
            break;
        i += 8;
    }
    return i + dltc__utf8_check((const char *)s + i, n - i);
}

/* A copy of the bytes in the doc, NUL-terminated. */
static const char *arena_copy(dltc_doc *d, const unsigned char *s, size_t n)
{
    char *o = dltc__arena_alloc(&d->arena, n + 1);
    if (o) {
        memcpy(o, s, n);
        o[n] = '\0';
    }
    return o;
}

static int set_bytes(dltc_doc *d, dltc_value *v, int type, const unsigned char *s, size_t n)
{
    if (n > UINT32_MAX)
        return dltc__error_set(DLTC_ELIMIT, "value of %zu bytes is too large", n);
    const char *o = arena_copy(d, s, n);
    if (!o)
        return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
    dltc__value_set_type(v, type);
    v->u.s = o;
    v->len = (uint32_t)n;
    return 0;
}

static int set_text(dltc_doc *d, dltc_value *v, const unsigned char *s, size_t n)
{
    size_t ok = utf8_valid(s, n);
    if (ok != n)
        return dltc__error_set(DLTC_EINVALID, "text is not valid UTF-8 at byte %zu", ok);
    return set_bytes(d, v, DLTC_TYPE_STRING, s, n);
}

static void set_double(dltc_value *v, double x)
{
    dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
    v->u.d = x;
}

/* numeric's binary form: ndigits, weight, sign, dscale (16 bits each), then ndigits
 * base-10000 digits, most significant first: value = sum digit[i] * 10000^(weight - i).
 * Written as get_str_from_var writes it, with dscale decimals. NaN and ±Infinity are
 * doubles (as the destination client reads them). */
static int set_numeric(dltc_doc *d, dltc_value *v, const unsigned char *p, size_t len)
{
    if (len < 8)
        return bad_data("numeric");
    int nd = (int16_t)be16(p), weight = (int16_t)be16(p + 2);
    unsigned sign = be16(p + 4), dscale = be16(p + 6) & 0x3fff;
    if (nd < 0 || len != 8 + 2 * (size_t)nd)
        return bad_data("numeric");
    if (sign == 0xC000 || sign == 0xD000 || sign == 0xF000) {
        set_double(v, sign == 0xC000 ? NAN : sign == 0xD000 ? INFINITY : -INFINITY);
        return 0;
    }
    const unsigned char *dig = p + 8;
    size_t cap = 3 + (weight >= 0 ? 4 * ((size_t)weight + 1) : 1) + dscale;
    char *o = dltc__arena_alloc(&d->arena, cap), *q = o;
    if (!o)
        return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
    if (sign == 0x4000)
        *q++ = '-';
    if (weight < 0) {
        *q++ = '0';
    } else {
        for (int i = 0; i <= weight; i++) {
            unsigned g = i < nd ? be16(dig + 2 * i) : 0;
            char four[4] = {(char)('0' + g / 1000), (char)('0' + g / 100 % 10),
                            (char)('0' + g / 10 % 10), (char)('0' + g % 10)};
            if (i == 0) { /* the first group without its leading zeros */
                int k = g >= 1000 ? 0 : g >= 100 ? 1 : g >= 10 ? 2 : 3;
                memcpy(q, four + k, (size_t)(4 - k));
                q += 4 - k;
            } else {
                memcpy(q, four, 4);
                q += 4;
            }
        }
    }
    if (dscale) {
        *q++ = '.';
        for (int i = weight + 1, left = (int)dscale; left > 0; i++) {
            unsigned g = i >= 0 && i < nd ? be16(dig + 2 * i) : 0;
            char four[4] = {(char)('0' + g / 1000), (char)('0' + g / 100 % 10),
                            (char)('0' + g / 10 % 10), (char)('0' + g % 10)};
            int k = left < 4 ? left : 4;
            memcpy(q, four, (size_t)k);
            q += k;
            left -= k;
        }
    }
    *q = '\0';
    dltc__value_set_type(v, DLTC_TYPE_DECIMAL);
    v->u.s = o;
    v->len = (uint32_t)(q - o);
    return 0;
}

/* The server's text of a double (float8out: the shortest digits that read back, e.g.
 * "0.14285714285714285", "1e+20") as the value's number text, which the writers copy
 * instead of formatting the double again. Integral values keep none (written "3.0"). */
static int set_lex(dltc_doc *d, dltc_value *v, const unsigned char *s, size_t n)
{
    if (!n || n > 40 || !isfinite(v->u.d))
        return 0;
    int dot = 0, exp = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (ch == '.')
            dot = 1;
        else if (ch == 'e')
            exp = 1;
        else if (!(ch >= '0' && ch <= '9') && ch != '-' && ch != '+')
            return 0; /* NaN, Infinity */
    }
    if (!dot && !exp)
        return 0;
    const char *o = arena_copy(d, s, n);
    if (!o)
        return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
    v->lex = o;
    v->len = (uint32_t)n;
    return 0;
}

/* A real from its text: as psycopg2 reads it, the shortest decimal that is the float
 * (0.1, not 0.10000000149011612), as a double. */
static int set_float_text(dltc_doc *d, dltc_value *v, const unsigned char *s, size_t n)
{
    char buf[48];
    if (n >= sizeof(buf))
        return bad_data("real");
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end = NULL;
    double x = dltc__json_strtod(buf, &end);
    if (end != buf + n)
        return bad_data("real");
    set_double(v, x);
    return set_lex(d, v, s, n);
}

static int set_uuid(dltc_doc *d, dltc_value *v, const unsigned char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (len != 16)
        return bad_data("uuid");
    unsigned char s[36];
    size_t k = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            s[k++] = '-';
        s[k++] = (unsigned char)hex[p[i] >> 4];
        s[k++] = (unsigned char)hex[p[i] & 15];
    }
    return set_bytes(d, v, DLTC_TYPE_STRING, s, 36);
}

/* JSON text parsed into the doc; text that does not parse stays a string. */
static int set_json(dltc_doc *d, dltc_value *v, const unsigned char *s, size_t n)
{
    dltc_value *parsed = NULL;
    if (!dltc_doc_parse_json(d, (const char *)s, n, &parsed)) {
        *v = *parsed;
        return 0;
    }
    dltc_error_clear();
    return set_text(d, v, s, n);
}

static int set_string(dltc_doc *d, dltc_value *v, const char *s)
{
    return set_bytes(d, v, DLTC_TYPE_STRING, (const unsigned char *)s, strlen(s));
}

/* One field of a row into v by its column's wire type. */
static int decode(dltc_doc *d, dltc_value *v, int wire, const unsigned char *p, size_t len)
{
    int64_t x;
    switch (wire) {
    case W_BOOL:
        if (len != 1)
            return bad_data("boolean");
        dltc__value_set_type(v, DLTC_TYPE_BOOL);
        v->u.i = p[0] != 0;
        return 0;
    case W_INT2:
    case W_INT4:
    case W_INT8:
    case W_OID:
        if (len != (wire == W_INT2 ? 2u : wire == W_INT8 ? 8u : 4u))
            return bad_data("integer");
        dltc__value_set_type(v, DLTC_TYPE_INT);
        v->u.i = wire == W_INT2   ? (int16_t)be16(p)
                 : wire == W_INT4 ? (int32_t)be32(p)
                 : wire == W_OID  ? (int64_t)be32(p)
                                  : (int64_t)be64(p);
        return 0;
    case W_FLOAT4:
        return set_float_text(d, v, p, len);
    case W_FLOAT8: {
        if (len != 8)
            return bad_data("double precision");
        uint64_t bits = be64(p);
        double f;
        memcpy(&f, &bits, 8);
        set_double(v, f);
        return 0;
    }
    case W_NUMERIC:
        return set_numeric(d, v, p, len);
    case W_BYTEA:
        return set_bytes(d, v, DLTC_TYPE_BINARY, p, len);
    case W_DATE: {
        if (len != 4)
            return bad_data("date");
        int32_t days = (int32_t)be32(p);
        if (days == INT32_MAX || days == INT32_MIN) /* no date for ±infinity: its text */
            return set_string(d, v, days > 0 ? "infinity" : "-infinity");
        dltc__value_set_type(v, DLTC_TYPE_DATE);
        v->u.i = (int64_t)days + PG_EPOCH_DAYS;
        return 0;
    }
    case W_TIME:
    case W_TIMETZ:
        if (len != (wire == W_TIME ? 8u : 12u))
            return bad_data("time");
        x = (int64_t)be64(p);
        if (wire == W_TIMETZ) /* the zone is in seconds west of UTC */
            x = ((x + (int64_t)(int32_t)be32(p + 8) * 1000000) % DAY_US + DAY_US) % DAY_US;
        if (x < 0 || x >= DAY_US) /* 24:00:00 */
            return set_string(d, v, "24:00:00");
        dltc__value_set_type(v, DLTC_TYPE_TIME);
        v->u.i = x;
        return 0;
    case W_TIMESTAMP:
    case W_TIMESTAMPTZ:
        if (len != 8)
            return bad_data("timestamp");
        x = (int64_t)be64(p);
        if (x == INT64_MAX || x == INT64_MIN)
            return set_string(d, v, x > 0 ? "infinity" : "-infinity");
        dltc__value_set_type(v, DLTC_TYPE_TIMESTAMP);
        v->u.i = x + PG_EPOCH_US;
        if (wire == W_TIMESTAMPTZ)
            v->flags = DLTC_VF_TZ;
        return 0;
    case W_JSON:
    case W_JSON_CAST:
        return set_json(d, v, p, len);
    case W_JSONB:
        if (len < 1 || p[0] != 1)
            return bad_data("jsonb version");
        return set_json(d, v, p + 1, len - 1);
    case W_UUID:
        return set_uuid(d, v, p, len);
    default: /* text, and every type selected as text */
        return set_text(d, v, p, len);
    }
}

/* The size of the tuple at p (a field count, then per field a length and its bytes):
 * 0 and *size when it is all there, 1 when it continues in the next message. */
static int tuple_size(const pg_stmt *st, const unsigned char *p, size_t len, size_t *size)
{
    if (len < 2)
        return 1;
    size_t off = 2;
    for (size_t i = 0; i < st->nfields; i++) {
        if (len - off < 4)
            return 1;
        int32_t n = (int32_t)be32(p + off);
        off += 4;
        if (n > 0) {
            if (len - off < (size_t)n)
                return 1;
            off += (size_t)n;
        }
    }
    *size = off;
    return 0;
}

/* One complete tuple into an object appended to page; its members point at the column
 * names. */
static int decode_tuple(pg_stmt *st, dltc_doc *d, dltc_value *page, const unsigned char *p)
{
    dltc_member *m = dltc__arena_alloc(&d->arena, st->ncols * sizeof(*m));
    if (!m)
        return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
    p += 2;
    for (size_t i = 0; i < st->ncols; i++) {
        int32_t n = (int32_t)be32(p);
        p += 4;
        m[i].key = st->cols[i].name;
        m[i].klen = st->klen[i];
        if (n < 0) {
            dltc__value_set_type(&m[i].val, DLTC_TYPE_NULL);
            if (st->cols[i].wire == W_FLOAT8) { /* and its text, NULL as well */
                int32_t t = (int32_t)be32(p);
                p += 4 + (t > 0 ? t : 0);
            }
            continue;
        }
        int rc = decode(d, &m[i].val, st->cols[i].wire, p, (size_t)n);
        p += n;
        if (!rc && st->cols[i].wire == W_FLOAT8) { /* its text follows */
            n = (int32_t)be32(p);
            p += 4;
            if (n > 0) {
                rc = set_lex(d, &m[i].val, p, (size_t)n);
                p += n;
            }
        }
        if (rc) {
            dltc__error_prefix("column \"%s\": ", st->cols[i].name);
            return rc;
        }
    }
    dltc_value row;
    dltc__value_set_type(&row, DLTC_TYPE_OBJECT);
    row.u.obj = m;
    row.len = row.cap = (uint32_t)st->ncols;
    return dltc__array_append(&d->arena, page, &row);
}

/* The tuples of one message (after the header, when it comes first); an incomplete one at
 * the end is kept in st->carry for the next message. */
static int parse_message(pg_stmt *st, dltc_doc *d, dltc_value *page, const unsigned char *p,
                         size_t len)
{
    static const unsigned char sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
    size_t off = 0;
    if (!st->header) {
        if (len < 19) /* a header alone in a short message is not what servers send */
            return bad_data("short header");
        if (memcmp(p, sig, 11))
            return bad_data("not a binary COPY");
        uint32_t ext = be32(p + 15);
        if (ext > len - 19)
            return bad_data("header extension");
        off = 19 + ext;
        st->header = 1;
    }
    while (off < len) {
        if (st->trailer)
            return bad_data("data after the trailer");
        if (len - off >= 2 && be16(p + off) == 0xffff) {
            st->trailer = 1;
            off += 2;
            continue;
        }
        if (len - off >= 2 && be16(p + off) != st->nfields)
            return bad_data("field count");
        size_t size;
        if (tuple_size(st, p + off, len - off, &size))
            return dltc__buf_put(&st->carry, p + off, len - off);
        int rc = decode_tuple(st, d, page, p + off);
        if (rc)
            return rc;
        off += size;
    }
    return 0;
}

static int pg_read_rows(void *stmt, dltc_doc *d, dltc_value *page, size_t max, int *done)
{
    pg_stmt *st = stmt;
    if (!page->cap && max) { /* the page's row vector at once, up to 64K rows */
        size_t cap = max < 65536 ? max : 65536;
        if (!(page->u.arr = dltc__arena_alloc(&d->arena, cap * sizeof(dltc_value))))
            return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
        page->cap = (uint32_t)cap;
    }
    while (dltc_value_size(page) < max) {
        if (!st->running) {
            *done = 1;
            return 0;
        }
        const char *data;
        size_t len;
        int rc = dltc__postgres_copy_out_next(st->conn, &data, &len);
        if (rc <= 0) {
            st->running = rc == DLTC_ENETWORK; /* a lost connection is closed with it */
            if (!rc && (!st->trailer || st->carry.len))
                rc = bad_data("the COPY ended early");
            if (!rc)
                *done = 1;
            return rc;
        }
        const unsigned char *p = (const unsigned char *)data;
        if (st->carry.len) { /* the rest of a split row first */
            if ((rc = dltc__buf_put(&st->carry, p, len)))
                return rc;
            dltc_buf joined = st->carry;
            st->carry = (dltc_buf)DLTC_BUF_INIT;
            st->carry.limit = CARRY_LIMIT;
            rc = parse_message(st, d, page, (const unsigned char *)joined.data, joined.len);
            dltc__buf_free(&joined);
        } else {
            rc = parse_message(st, d, page, p, len);
        }
        if (rc)
            return rc;
    }
    return 0;
}

const dltc__sql_backend dltc__sql_postgres = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .list_tables = pg_list,
    .reflect = pg_reflect,
    .put_select = pg_put_select,
    .put_literal = pg_put_literal,
    .prepare = pg_prepare,
    .read_rows = pg_read_rows,
    .finalize = pg_finalize,
};
