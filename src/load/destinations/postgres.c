/*
 * The Postgres client (the only includer of libpq-fe.h): connect, statements, queries
 * materialized as dltc_rows, the columns of a table, and loading load files.
 *
 * libpq is loaded with dlopen on the first connection, as libcurl and libduckdb are: most
 * commands never speak to Postgres. $DLTC_LIBPQ_LIB overrides the library path.
 *
 * Loading:
 *   csv            COPY … FROM STDIN (FORMAT csv, HEADER true): the file goes to the server as
 *                  it is. Our csv writer's NULL (empty unquoted field) and "" are exactly
 *                  Postgres' csv NULL and empty string, so no FORCE_NULL. Binary columns
 *                  hold base64: those fields are rewritten to bytea hex on the way.
 *   jsonl          sent as binary COPY rows typed by the table's columns in the database,
 *                  our writer's lines turned into COPY fields by a scanner without a value
 *                  tree (anything it does not take exactly as our JSON reader would goes
 *                  to the reader); a table with a column type the binary encoder does not
 *                  know is sent as text COPY instead, read by the JSON reader.
 *   insert_values  our writer's literals turned into text COPY rows (Postgres parses big
 *                  VALUES lists slowly); other statements run in batches of ~256 KiB of
 *                  rows, with DuckDB's from_base64('…') rewritten to decode('…', 'base64').
 *   parquet        refused (dlt loads parquet into Postgres only through ADBC).
 *
 * 1M flat rows (dltc-gen flat + _dlt_load_id/_dlt_id: bigint, 4 varchar, double precision,
 * boolean, timestamptz), local Postgres 15 with fsync off, 2 shared cores, load only (best of
 * 5; wall / server CPU / our CPU):
 *   csv as it is, COPY csv                    1.43 s / 1.42 s / 0.03 s
 *   jsonl → binary COPY                       0.70 s / 0.70 s / 0.14 s (*)
 *   jsonl → binary COPY, DLTC_PG_JSONL=reader 0.76 s / 0.75 s / 0.36 s (*)
 *   jsonl → text COPY                         1.19 s / 1.17 s / 0.32 s
 *   insert_values → text COPY                 1.46 s / 1.25 s / 0.25 s
 *   insert_values as INSERT statements       ~30 s (the server's parse of VALUES lists)
 * (*) taken later than the other rows, on a busier machine (the reader's row was 0.83 s /
 * 0.81 s / 0.30 s with them).
 * Binary COPY spares the server the parsing of numbers and timestamps (40% less of its
 * CPU than csv) and our side runs beside it on the second core.
 */
#include "load/destination.h"
#include "load/destinations/postgres.h"
#include "common/dynlib.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/strmap.h"
#include "common/time.h"
#include "formats/json.h"
#include "formats/json_scan.h"
#include "load/rows.h"
#include "load/sql.h"
#include "common/hex.h"

#if defined(__has_include)
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#else
#include <libpq-fe.h>
#endif

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DLTC_PQ_FUNCTIONS(X) \
    X(PQconnectdbParams)     \
    X(PQconninfoParse)       \
    X(PQconninfoFree)        \
    X(PQfreemem)             \
    X(PQstatus)              \
    X(PQerrorMessage)        \
    X(PQfinish)              \
    X(PQhost)                \
    X(PQport)                \
    X(PQdb)                  \
    X(PQpass)                \
    X(PQsetNoticeProcessor)  \
    X(PQexec)                \
    X(PQsendQuery)           \
    X(PQsetSingleRowMode)    \
    X(PQgetResult)           \
    X(PQresultStatus)        \
    X(PQresultErrorField)    \
    X(PQresultErrorMessage)  \
    X(PQclear)               \
    X(PQntuples)             \
    X(PQnfields)             \
    X(PQfname)               \
    X(PQftype)               \
    X(PQfmod)                \
    X(PQgetvalue)            \
    X(PQgetlength)           \
    X(PQgetisnull)           \
    X(PQcmdTuples)           \
    X(PQputCopyData)         \
    X(PQputCopyEnd)          \
    X(PQgetCopyData)         \
    X(PQescapeLiteral)       \
    X(PQsendQueryParams)     \
    X(PQgetCancel)           \
    X(PQcancel)              \
    X(PQfreeCancel)

#define DLTC_DECLARE(name) static __typeof__(name) *p_##name;
DLTC_PQ_FUNCTIONS(DLTC_DECLARE)
#undef DLTC_DECLARE

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

static int ensure_library(void)
{
    pthread_once(&g_load_once, load_library);
    return g_load_error[0] ? dltc__error_set(DLTC_EDATABASE, "%s", g_load_error) : 0;
}

struct jsonl_job;

typedef struct {
    dltc_dest base;
    PGconn *conn;
    char *where; /* "host:port/database" for messages (never the password) */
    struct jsonl_job *open; /* a jsonl COPY kept open for more files (load_jsonl) */
    char *copy_msg;         /* the last message of a COPY TO STDOUT (copy_out_next) */
    int copy_out;           /* a COPY TO STDOUT runs */
    int read_only;          /* DLTC_DEST_READ_ONLY: read-only session, queries rolled back */
} pg_dest;

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
    OID_XML = 142,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_BPCHAR = 1042,
    OID_VARCHAR = 1043,
    OID_DATE = 1082,
    OID_TIME = 1083,
    OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184,
    OID_INTERVAL = 1186,
    OID_TIMETZ = 1266,
    OID_NUMERIC = 1700,
    OID_UUID = 2950,
    OID_JSONB = 3802
};

/* How a column's values are read and written. */
typedef enum {
    PK_OTHER = 0, /* text in, text out */
    PK_BOOL,
    PK_INT2,
    PK_INT4,
    PK_INT8,
    PK_FLOAT4,
    PK_FLOAT8,
    PK_NUMERIC,
    PK_TEXT,
    PK_JSON,
    PK_JSONB,
    PK_BYTEA,
    PK_DATE,
    PK_TIME,
    PK_TIMETZ,
    PK_TIMESTAMP,
    PK_TIMESTAMPTZ
} pkind;

static pkind kind_of(Oid oid)
{
    switch (oid) {
    case OID_BOOL: return PK_BOOL;
    case OID_INT2: return PK_INT2;
    case OID_INT4: return PK_INT4;
    case OID_INT8:
    case OID_OID: return PK_INT8;
    case OID_FLOAT4: return PK_FLOAT4;
    case OID_FLOAT8: return PK_FLOAT8;
    case OID_NUMERIC: return PK_NUMERIC;
    case OID_TEXT:
    case OID_VARCHAR:
    case OID_BPCHAR:
    case OID_NAME:
    case OID_CHAR: return PK_TEXT;
    case OID_JSON: return PK_JSON;
    case OID_JSONB: return PK_JSONB;
    case OID_BYTEA: return PK_BYTEA;
    case OID_DATE: return PK_DATE;
    case OID_TIME: return PK_TIME;
    case OID_TIMETZ: return PK_TIMETZ;
    case OID_TIMESTAMP: return PK_TIMESTAMP;
    case OID_TIMESTAMPTZ: return PK_TIMESTAMPTZ;
    default: return PK_OTHER;
    }
}

/* Postgres keeps the first 63 bytes of an identifier (NAMEDATALEN - 1), cut at a character
 * boundary: the length of `s` as the server stores it. */
#define PG_IDENT_MAX 63
static size_t ident_len(const char *s, size_t len)
{
    if (len <= PG_IDENT_MAX)
        return len;
    size_t n = PG_IDENT_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* ---- messages ---- */

/* Append msg with every run of whitespace (newlines, tabs) folded to one space, trimmed. */
static int put_oneline(dltc_buf *b, const char *msg, size_t len)
{
    int space = 0, rc = 0;
    size_t start = b->len;
    for (size_t i = 0; i < len && !rc; i++) {
        char c = msg[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = 1;
            continue;
        }
        if (space && b->len > start)
            rc = dltc__buf_putc(b, ' ');
        space = 0;
        if (!rc)
            rc = dltc__buf_putc(b, c);
    }
    return rc;
}

/* Set the last error: `prefix` + the server's primary message (+ detail, + context when
 * asked: COPY names the line and column there). A lost connection is DLTC_ENETWORK. */
static int result_error(pg_dest *d, const PGresult *r, const char *prefix, int with_context)
{
    const char *primary = r ? p_PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = r ? p_PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *context = r && with_context ? p_PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
    if (!primary || !*primary) {
        primary = r ? p_PQresultErrorMessage(r) : NULL;
        if (!primary || !*primary)
            primary = p_PQerrorMessage(d->conn);
        if (!primary || !*primary)
            primary = "unknown error";
    }
    int lost = p_PQstatus(d->conn) == CONNECTION_BAD;
    /* data exceptions (class 22) and integrity violations (23) fail the same way every time */
    const char *state = r ? p_PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    int data = !lost && state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2));
    int nul = data && !strcmp(state, "22021") && strstr(primary, "0x00");
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&b, "%s%s", prefix ? prefix : "", lost ? "connection lost: " : "");
    if (!rc)
        rc = put_oneline(&b, primary, strlen(primary));
    if (!rc && detail && *detail) {
        rc = dltc__buf_puts(&b, "; ");
        if (!rc)
            rc = put_oneline(&b, detail, strlen(detail));
    }
    if (!rc && context && *context) {
        rc = dltc__buf_puts(&b, " (");
        if (!rc)
            rc = put_oneline(&b, context, strlen(context));
        if (!rc)
            rc = dltc__buf_putc(&b, ')');
    }
    if (!rc && nul)
        rc = dltc__buf_puts(&b, ": Postgres text cannot hold the character U+0000");
    if (!rc)
        rc = dltc__error_set(lost ? DLTC_ENETWORK : data ? DLTC_EDATA : DLTC_EDATABASE, "%s",
                             b.data);
    dltc__buf_free(&b);
    return rc;
}

/* "<path>: " for a load, else "postgres at <where>: " */
static int where_prefix(dltc_buf *b, const pg_dest *d, const char *path)
{
    return path ? dltc__buf_printf(b, "%s: ", path)
                : dltc__buf_printf(b, "postgres at %s: ", d->where);
}

/* ---- connecting ---- */

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs ("… already exists, skipping", truncated identifiers) */
}

/* The span of `conninfo` that may hold a password: the user-info of a URI, the value of a
 * password= keyword. Nothing from it goes into a message. */
static void secret_span(const char *ci, const char **start, const char **end)
{
    *start = *end = NULL;
    const char *sep = strstr(ci, "://");
    if (sep) {
        const char *host = sep + 3;
        const char *slash = strpbrk(host, "/?");
        const char *stop = slash ? slash : host + strlen(host);
        const char *at = NULL;
        for (const char *p = host; p < stop; p++)
            if (*p == '@')
                at = p;
        if (at) {
            *start = host;
            *end = at;
        }
        return;
    }
    /* key=value: the value after password = (quoted with '' and \ escapes, or bare) */
    for (const char *pw = strstr(ci, "password"); pw; pw = strstr(pw + 8, "password")) {
        const char *v = pw + 8;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v != '=')
            continue;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        const char *e = v;
        if (*v == '\'') {
            for (e = v + 1; *e && *e != '\''; e++)
                if (*e == '\\' && e[1])
                    e++;
        } else {
            while (*e && *e != ' ' && *e != '\t' && *e != '\n')
                e++;
        }
        *start = v;
        *end = e;
        return;
    }
}

/* libpq's complaint about a connection string, without any quoted token that comes from
 * the part holding the password. */
static int invalid_conninfo(const char *ci, const char *err)
{
    const char *s0, *s1;
    secret_span(ci, &s0, &s1);
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&b, "postgres: invalid connection string: ");
    const char *p = err ? err : "cannot be parsed";
    while (!rc && *p) {
        const char *q = strchr(p, '"');
        const char *q2 = q ? strchr(q + 1, '"') : NULL;
        if (!q || !q2) {
            rc = put_oneline(&b, p, strlen(p));
            break;
        }
        rc = put_oneline(&b, p, (size_t)(q - p));
        if (!rc && b.len && b.data[b.len - 1] != ' ')
            rc = dltc__buf_putc(&b, ' ');
        size_t tlen = (size_t)(q2 - q - 1);
        int secret = 0;
        if (s0 && tlen) {
            for (const char *x = s0; x + tlen <= s1 && !secret; x++)
                secret = !memcmp(x, q + 1, tlen);
        }
        if (!rc)
            rc = secret ? dltc__buf_puts(&b, "\"***\"") : dltc__buf_put(&b, q, tlen + 2);
        p = q2 + 1;
    }
    rc = rc ? rc : dltc__error_set(DLTC_EINVALID, "%s", b.data);
    dltc__buf_free(&b);
    return rc;
}

/* Register the password of a connection string as a secret. 0, or DLTC_EINVALID when libpq
 * cannot parse the string. */
static int register_password(const char *conninfo)
{
    char *err = NULL;
    PQconninfoOption *opts = p_PQconninfoParse(conninfo, &err);
    if (!opts) {
        int rc = invalid_conninfo(conninfo, err);
        if (err)
            p_PQfreemem(err);
        return rc;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (!strcmp(o->keyword, "password") && o->val && *o->val)
            dltc__secret_register(o->val);
    p_PQconninfoFree(opts);
    return 0;
}

/* Did the failure happen before a server answered (DLTC_ENETWORK)? A server's FATAL
 * (authentication, unknown database) and libpq's own authentication complaints are
 * DLTC_EDATABASE. */
static int is_network_failure(const char *msg)
{
    return !strstr(msg, "FATAL") && !strstr(msg, "fe_sendauth") && !strstr(msg, "password") &&
           !strstr(msg, "SCRAM") && !strstr(msg, "SSL") && !strstr(msg, "server does not support");
}

/* libpq's connection failure message on one line, without its repetition of the address
 * ("connection to server at "h" (1.2.3.4), port 5432 failed: "). */
static int connect_error(pg_dest *d)
{
    const char *msg = p_PQerrorMessage(d->conn);
    if (!msg || !*msg)
        msg = "connection failed";
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&b, "postgres at %s: cannot connect: ", d->where);
    const char *p = msg;
    int first = 1;
    while (!rc && *p) {
        const char *line_end = strchr(p, '\n');
        size_t n = line_end ? (size_t)(line_end - p) : strlen(p);
        const char *f = NULL;
        if (n > 21 && !strncmp(p, "connection to server ", 21)) {
            for (const char *x = p; x + 8 <= p + n; x++)
                if (!strncmp(x, "failed: ", 8)) {
                    f = x + 8;
                    break;
                }
        }
        const char *s = f ? f : p;
        size_t k = (size_t)(p + n - s);
        /* a continuation line (libpq's tab-indented hint) ends the previous sentence */
        if (k && !first)
            rc = dltc__buf_puts(&b, p[0] == '\t' || p[0] == ' ' ? ". " : "; ");
        if (!rc && k)
            rc = put_oneline(&b, s, k);
        if (k)
            first = 0;
        p += n + (line_end ? 1 : 0);
    }
    if (!rc)
        rc = dltc__error_set(is_network_failure(msg) ? DLTC_ENETWORK : DLTC_EDATABASE, "%s",
                             b.data);
    dltc__buf_free(&b);
    return rc;
}

static int pg_exec(dltc_dest *dd, const char *sql);
static void pg_close(dltc_dest *dd);
static int pg_query(dltc_dest *dd, const char *sql, dltc_rows **out);
static int pg_table_columns(dltc_dest *dd, const char *dataset, const char *table, char ***names,
                            size_t *n, int *exists);
static int pg_load_file(dltc_dest *dd, const char *dataset, const dltc_table *t,
                        const char *path, const char *format, unsigned flags, uint64_t *rows);
static int finish_open(pg_dest *d);
static int job_end(struct jsonl_job *j, int failed);

static int pg_query_limited(dltc_dest *dd, const char *sql, size_t max_rows, dltc_rows **out,
                            int *truncated);

static const dltc_dest_ops pg_ops = {
    "postgres", DLTC_SQL_POSTGRES, pg_exec,  pg_query, pg_table_columns,
    pg_load_file, pg_close,        pg_query_limited,
};

/* Loads and reads get the same session; a READ_ONLY one is read-only (its transactions
 * cannot write) with a statement_timeout. */
int dltc__postgres_open(dltc_dest **out, const char *conninfo, dltc_dest_purpose purpose)
{
    *out = NULL;
    int rc = ensure_library();
    if (rc)
        return rc;
    if (!conninfo)
        conninfo = "";
    if ((rc = register_password(conninfo)))
        return rc;
    pg_dest *d = dltc__calloc(1, sizeof(*d));
    if (!d)
        return dltc__error_oom();
    d->base.ops = &pg_ops;
    /* later keywords win: the caller's string may set connect_timeout and application_name
     * (fallback_application_name yields to it); the encoding is ours */
    static const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                                       "client_encoding", NULL};
    const char *vals[] = {"15", "dltc", conninfo, "UTF8", NULL};
    d->conn = p_PQconnectdbParams(keys, vals, 1);
    if (!d->conn) {
        dltc__free(d);
        return dltc__error_oom();
    }
    const char *pw = p_PQpass(d->conn); /* also one from PGPASSWORD or ~/.pgpass */
    if (pw && *pw)
        dltc__secret_register(pw);
    const char *host = p_PQhost(d->conn), *port = p_PQport(d->conn), *db = p_PQdb(d->conn);
    dltc_buf w = DLTC_BUF_INIT;
    rc = dltc__buf_printf(&w, "%s:%s/%s", host && *host ? host : "localhost",
                          port && *port ? port : "5432", db ? db : "");
    d->where = rc ? NULL : dltc__buf_detach(&w);
    dltc__buf_free(&w);
    if (!d->where) {
        pg_close(&d->base);
        return dltc__error_oom();
    }
    if (p_PQstatus(d->conn) != CONNECTION_OK) {
        rc = connect_error(d);
        pg_close(&d->base);
        return rc;
    }
    p_PQsetNoticeProcessor(d->conn, quiet_notices, NULL);
    /* the session's settings our reading of text values relies on */
    rc = pg_exec(&d->base, "SET TIME ZONE 'UTC'; SET datestyle = 'ISO, YMD'; "
                           "SET bytea_output = 'hex'; SET extra_float_digits = 3");
    if (!rc && purpose == DLTC_DEST_READ_ONLY) {
        char ro[160];
        snprintf(ro, sizeof(ro), "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY; "
                                 "SET statement_timeout = %d", DLTC_DEST_READ_ONLY_TIMEOUT_MS);
        rc = pg_exec(&d->base, ro);
        d->read_only = 1;
    }
    if (rc) {
        dltc__error_prefix("postgres at %s: ", d->where);
        pg_close(&d->base);
        return rc;
    }
    *out = &d->base;
    return 0;
}

static void pg_close(dltc_dest *dd)
{
    pg_dest *d = (pg_dest *)dd;
    if (!d)
        return;
    if (d->open) /* closed without commit: the transaction goes, so does the COPY */
        job_end(d->open, 1);
    if (d->copy_msg)
        p_PQfreemem(d->copy_msg);
    if (d->conn)
        p_PQfinish(d->conn);
    dltc__free(d->where);
    dltc__free(d);
}

/* ---- statements ---- */

/* Leave the COPY state a statement put the session in (exec and query do not run COPY). */
static void leave_copy(pg_dest *d, ExecStatusType st)
{
    if (st == PGRES_COPY_IN) {
        p_PQputCopyEnd(d->conn, "COPY is not run through exec or query");
    } else if (st == PGRES_COPY_OUT) {
        char *buf = NULL;
        while (p_PQgetCopyData(d->conn, &buf, 0) > 0) {
            p_PQfreemem(buf);
            buf = NULL;
        }
    }
}

/* 0 when r is a successful result (a COPY is ended and refused; the remaining results are
 * read). */
static int check_result(pg_dest *d, PGresult *r, const char *prefix)
{
    ExecStatusType st = r ? p_PQresultStatus(r) : PGRES_FATAL_ERROR;
    switch (st) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        return 0;
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH: {
        leave_copy(d, st);
        PGresult *x;
        while ((x = p_PQgetResult(d->conn))) {
            leave_copy(d, p_PQresultStatus(x));
            p_PQclear(x);
        }
        return dltc__error_set(DLTC_EINVALID, "%sCOPY statements are not run through exec",
                               prefix ? prefix : "");
    }
    default:
        return result_error(d, r, prefix, 0);
    }
}

static int pg_exec(dltc_dest *dd, const char *sql)
{
    pg_dest *d = (pg_dest *)dd;
    if (d->open && strncasecmp(sql, "ROLLBACK", 8) == 0) { /* its rows go: abort the COPY */
        job_end(d->open, 1);
        d->open = NULL;
    }
    int frc = finish_open(d);
    if (frc)
        return frc;
    PGresult *r = p_PQexec(d->conn, sql);
    int rc = check_result(d, r, NULL);
    p_PQclear(r);
    return rc;
}

/* ---- query results ---- */

/* The SQL name of a type (format_type's spelling); NULL when not a built-in one. */
static int type_name(dltc_buf *b, Oid oid, int mod)
{
    switch (oid) {
    case OID_BOOL: return dltc__buf_puts(b, "boolean");
    case OID_BYTEA: return dltc__buf_puts(b, "bytea");
    case OID_CHAR: return dltc__buf_puts(b, "\"char\"");
    case OID_NAME: return dltc__buf_puts(b, "name");
    case OID_INT8: return dltc__buf_puts(b, "bigint");
    case OID_INT2: return dltc__buf_puts(b, "smallint");
    case OID_INT4: return dltc__buf_puts(b, "integer");
    case OID_TEXT: return dltc__buf_puts(b, "text");
    case OID_OID: return dltc__buf_puts(b, "oid");
    case OID_JSON: return dltc__buf_puts(b, "json");
    case OID_XML: return dltc__buf_puts(b, "xml");
    case OID_FLOAT4: return dltc__buf_puts(b, "real");
    case OID_FLOAT8: return dltc__buf_puts(b, "double precision");
    case OID_UUID: return dltc__buf_puts(b, "uuid");
    case OID_JSONB: return dltc__buf_puts(b, "jsonb");
    case OID_DATE: return dltc__buf_puts(b, "date");
    case OID_INTERVAL: return dltc__buf_puts(b, "interval");
    case OID_BPCHAR:
        return mod >= 4 ? dltc__buf_printf(b, "character(%d)", mod - 4)
                        : dltc__buf_puts(b, "character");
    case OID_VARCHAR:
        return mod >= 4 ? dltc__buf_printf(b, "character varying(%d)", mod - 4)
                        : dltc__buf_puts(b, "character varying");
    case OID_NUMERIC:
        return mod >= 4 ? dltc__buf_printf(b, "numeric(%d,%d)", ((mod - 4) >> 16) & 0xffff,
                                           (int)(int16_t)((mod - 4) & 0xffff))
                        : dltc__buf_puts(b, "numeric");
    case OID_TIME:
    case OID_TIMETZ:
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ: {
        const char *base = oid == OID_TIME || oid == OID_TIMETZ ? "time" : "timestamp";
        const char *tz = oid == OID_TIMETZ || oid == OID_TIMESTAMPTZ ? "with" : "without";
        return mod >= 0 ? dltc__buf_printf(b, "%s(%d) %s time zone", base, mod, tz)
                        : dltc__buf_printf(b, "%s %s time zone", base, tz);
    }
    default:
        return 1;
    }
}

/* Digits of s[*i..] (min..max of them) as a number; -1 when fewer than min. */
static int64_t take_digits(const char *s, size_t len, size_t *i, int min, int max)
{
    int64_t v = 0;
    int n = 0;
    while (*i < len && n < max && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    return n < min ? -1 : v;
}

/* "YYYY-MM-DD" (4+ digit year) at s[*i..]: days since the epoch (year still AD). */
static int pg_date_part(const char *s, size_t len, size_t *i, int64_t *y, unsigned *m,
                        unsigned *dd)
{
    int64_t yy = take_digits(s, len, i, 4, 9);
    if (yy < 0 || *i >= len || s[(*i)++] != '-')
        return -1;
    int64_t mm = take_digits(s, len, i, 2, 2);
    if (mm < 1 || mm > 12 || *i >= len || s[(*i)++] != '-')
        return -1;
    int64_t d = take_digits(s, len, i, 2, 2);
    if (d < 1 || d > 31)
        return -1;
    *y = yy;
    *m = (unsigned)mm;
    *dd = (unsigned)d;
    return 0;
}

/* "HH:MM:SS[.ffffff]" at s[*i..]: µs since midnight. */
static int pg_time_part(const char *s, size_t len, size_t *i, int64_t *us)
{
    int64_t h = take_digits(s, len, i, 2, 2);
    if (h < 0 || h > 24 || *i >= len || s[(*i)++] != ':')
        return -1;
    int64_t mi = take_digits(s, len, i, 2, 2);
    if (mi < 0 || mi > 59 || *i >= len || s[(*i)++] != ':')
        return -1;
    int64_t sec = take_digits(s, len, i, 2, 2);
    if (sec < 0 || sec > 60)
        return -1;
    int64_t frac = 0;
    if (*i < len && s[*i] == '.') {
        (*i)++;
        size_t st = *i;
        frac = take_digits(s, len, i, 1, 6);
        if (frac < 0)
            return -1;
        for (size_t k = *i - st; k < 6; k++)
            frac *= 10;
    }
    *us = ((h * 60 + mi) * 60 + sec) * 1000000 + frac;
    return 0;
}

/* "+HH[:MM[:SS]]" at s[*i..]: the offset in seconds. */
static int pg_offset_part(const char *s, size_t len, size_t *i, int64_t *off)
{
    if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
        return -1;
    int neg = s[(*i)++] == '-';
    int64_t h = take_digits(s, len, i, 2, 2), m = 0, sec = 0;
    if (h < 0)
        return -1;
    if (*i < len && s[*i] == ':') {
        (*i)++;
        if ((m = take_digits(s, len, i, 2, 2)) < 0)
            return -1;
        if (*i < len && s[*i] == ':') {
            (*i)++;
            if ((sec = take_digits(s, len, i, 2, 2)) < 0)
                return -1;
        }
    }
    *off = (neg ? -1 : 1) * (h * 3600 + m * 60 + sec);
    return 0;
}

/* " BC" at the end: the astronomical year (1 BC is year 0). */
static int pg_era(const char *s, size_t len, size_t *i, int64_t *y)
{
    if (*i + 3 == len && !memcmp(s + *i, " BC", 3)) {
        *y = 1 - *y;
        *i = len;
    }
    return *i == len ? 0 : -1;
}

/* Postgres' ISO output of a date / timestamp[tz] (with TimeZone UTC): 0 and the value. */
static int parse_pg_date(const char *s, size_t len, int64_t *days)
{
    size_t i = 0;
    int64_t y;
    unsigned m, d;
    if (pg_date_part(s, len, &i, &y, &m, &d) || pg_era(s, len, &i, &y))
        return -1;
    *days = dltc__days_from_civil(y, m, d);
    return 0;
}

static int parse_pg_timestamp(const char *s, size_t len, int with_tz, int64_t *us)
{
    size_t i = 0;
    int64_t y, t, off = 0;
    unsigned m, d;
    if (pg_date_part(s, len, &i, &y, &m, &d) || i >= len || s[i++] != ' ' ||
        pg_time_part(s, len, &i, &t) || (with_tz && pg_offset_part(s, len, &i, &off)) ||
        pg_era(s, len, &i, &y))
        return -1;
    *us = dltc__days_from_civil(y, m, d) * 86400000000LL + t - off * 1000000;
    return 0;
}

/* time / timetz: µs since midnight (timetz shifted to UTC, modulo a day). */
static int parse_pg_time(const char *s, size_t len, int with_tz, int64_t *us)
{
    size_t i = 0;
    int64_t t, off = 0;
    if (pg_time_part(s, len, &i, &t) || (with_tz && pg_offset_part(s, len, &i, &off)) || i != len)
        return -1;
    if (with_tz) {
        const int64_t day = 86400000000LL;
        t = ((t - off * 1000000) % day + day) % day;
    }
    *us = t;
    return 0;
}

/* An integer text: INT when it fits int64, else BIGINT digits. 1 when s is not one. */
static int set_integer(dltc_rows *rows, dltc_value *v, const char *s, size_t len)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == len)
        return 1;
    uint64_t u = 0;
    int overflow = 0;
    for (size_t k = i; k < len; k++) {
        if (s[k] < '0' || s[k] > '9')
            return 1;
        unsigned dgt = (unsigned)(s[k] - '0');
        if (u > (UINT64_MAX - dgt) / 10)
            overflow = 1;
        else
            u = u * 10 + dgt;
    }
    if (!overflow && (neg ? u <= (uint64_t)INT64_MAX + 1 : u <= (uint64_t)INT64_MAX)) {
        dltc__value_set_type(v, DLTC_TYPE_INT);
        v->u.i = neg ? (int64_t)(0 - u) : (int64_t)u;
        return 0;
    }
    return dltc__rows_set_bytes(rows, v, DLTC_TYPE_BIGINT, s, len);
}

typedef struct {
    pkind kind;
    int scale; /* numeric: the typmod's scale, -1 without one */
} qcol;

/* Convert the text of one cell into v by the column's kind; text that does not parse (BC
 * dates beyond our range, 'infinity') is kept as a string. */
static int convert_cell(dltc_rows *rows, dltc_value *v, const qcol *c, const char *s,
                        size_t len)
{
    int64_t x;
    switch (c->kind) {
    case PK_BOOL:
        dltc__value_set_type(v, DLTC_TYPE_BOOL);
        v->u.i = len && s[0] == 't';
        return 0;
    case PK_INT2:
    case PK_INT4:
    case PK_INT8:
        if (set_integer(rows, v, s, len) == 0)
            return 0;
        break;
    case PK_FLOAT4:
    case PK_FLOAT8: {
        char *end = NULL;
        double dv = dltc__json_strtod(s, &end);
        if (end != s + len)
            break;
        dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
        v->u.d = dv;
        return 0;
    }
    case PK_NUMERIC: {
        if (len && (s[len - 1] == 'N' || s[len - 1] == 'y')) { /* NaN, ±Infinity */
            dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
            v->u.d = s[len - 1] == 'N' ? NAN : (s[0] == '-' ? -INFINITY : INFINITY);
            return 0;
        }
        if (c->scale == 0 && set_integer(rows, v, s, len) == 0)
            return 0;
        return dltc__rows_set_bytes(rows, v, DLTC_TYPE_DECIMAL, s, len);
    }
    case PK_DATE:
        if (parse_pg_date(s, len, &x) == 0) {
            dltc__value_set_type(v, DLTC_TYPE_DATE);
            v->u.i = x;
            return 0;
        }
        break;
    case PK_TIME:
    case PK_TIMETZ:
        if (parse_pg_time(s, len, c->kind == PK_TIMETZ, &x) == 0) {
            dltc__value_set_type(v, DLTC_TYPE_TIME);
            v->u.i = x;
            return 0;
        }
        break;
    case PK_TIMESTAMP:
    case PK_TIMESTAMPTZ:
        if (parse_pg_timestamp(s, len, c->kind == PK_TIMESTAMPTZ, &x) == 0) {
            dltc__value_set_type(v, DLTC_TYPE_TIMESTAMP);
            v->u.i = x;
            if (c->kind == PK_TIMESTAMPTZ)
                v->flags = DLTC_VF_TZ;
            return 0;
        }
        break;
    case PK_BYTEA:
        if (len >= 2 && s[0] == '\\' && s[1] == 'x' && len % 2 == 0) {
            size_t n = (len - 2) / 2;
            /* room for n bytes (copied from the text, which is longer), then decoded */
            char *p = (char *)dltc__rows_copy(rows, s + 2, n);
            if (!p)
                return DLTC_ENOMEM;
            for (size_t k = 0; k < n; k++) {
                int hi = dltc__hex_digit(s[2 + 2 * k]), lo = dltc__hex_digit(s[3 + 2 * k]);
                if (hi < 0 || lo < 0)
                    return dltc__error_set(DLTC_EPARSE, "invalid bytea text from the server");
                p[k] = (char)(hi << 4 | lo);
            }
            dltc__value_set_type(v, DLTC_TYPE_BINARY);
            v->u.s = p;
            v->len = (uint32_t)n;
            return 0;
        }
        break;
    default:
        break;
    }
    return dltc__rows_set_bytes(rows, v, DLTC_TYPE_STRING, s, len);
}

/* The names and types of r's columns into a new rows object. */
static int start_rows(pg_dest *d, const PGresult *r, dltc_rows **out, qcol **cols)
{
    (void)d;
    int n = p_PQnfields(r);
    dltc_rows *rows = NULL;
    qcol *c = dltc__calloc((size_t)n + 1, sizeof(*c));
    int rc = c ? dltc__rows_new(&rows, (size_t)n) : dltc__error_oom();
    dltc_buf tn = DLTC_BUF_INIT;
    for (int i = 0; !rc && i < n; i++) {
        Oid oid = p_PQftype(r, i);
        int mod = p_PQfmod(r, i);
        c[i].kind = kind_of(oid);
        c[i].scale = oid == OID_NUMERIC && mod >= 4 ? (int)(int16_t)((mod - 4) & 0xffff) : -1;
        dltc__buf_clear(&tn);
        int known = type_name(&tn, oid, mod);
        if (known == 1) /* filled in after the query (format_type) */
            rc = dltc__buf_printf(&tn, "oid:%u:%d", (unsigned)oid, mod);
        else
            rc = known;
        if (!rc)
            rc = dltc__rows_set_column(rows, (size_t)i, p_PQfname(r, i), tn.data);
    }
    dltc__buf_free(&tn);
    if (rc) {
        dltc_rows_free(rows);
        dltc__free(c);
        return rc;
    }
    *out = rows;
    *cols = c;
    return 0;
}

/* Replace the "oid:<oid>:<mod>" type names of non-built-in types by format_type's text. */
static int name_other_types(pg_dest *d, dltc_rows *rows)
{
    int rc = 0;
    dltc_buf sql = DLTC_BUF_INIT;
    for (size_t i = 0; !rc && i < dltc_rows_column_count(rows); i++) {
        const char *t = dltc_rows_column_type(rows, i);
        unsigned oid;
        int mod;
        if (strncmp(t, "oid:", 4) || sscanf(t, "oid:%u:%d", &oid, &mod) != 2)
            continue;
        dltc__buf_clear(&sql);
        rc = dltc__buf_printf(&sql, "SELECT pg_catalog.format_type(%u, %d)", oid, mod);
        PGresult *r = rc ? NULL : p_PQexec(d->conn, sql.data);
        if (!rc && p_PQresultStatus(r) == PGRES_TUPLES_OK && p_PQntuples(r) == 1)
            rc = dltc__rows_set_column(rows, i, dltc_rows_column_name(rows, i),
                                       p_PQgetvalue(r, 0, 0));
        p_PQclear(r);
    }
    dltc__buf_free(&sql);
    return rc;
}

/* Append the rows of result `r` to `rows`, up to `max` rows in all; *full = 1 when a row
 * did not fit. */
static int add_rows(dltc_rows *rows, qcol *cols, PGresult *r, size_t max, int *full)
{
    int rc = 0, nf = p_PQnfields(r);
    for (int row = 0; !rc && row < p_PQntuples(r); row++) {
        if (dltc_rows_count(rows) >= max) {
            *full = 1;
            break;
        }
        dltc_value *vals;
        rc = dltc__rows_add_row(rows, &vals);
        for (int c = 0; !rc && c < nf; c++) {
            if (p_PQgetisnull(r, row, c))
                continue;
            rc = convert_cell(rows, &vals[c], &cols[c], p_PQgetvalue(r, row, c),
                              (size_t)p_PQgetlength(r, row, c));
        }
    }
    return rc;
}

/* Rows come one at a time (single-row mode): the result is held once, in dltc_rows. With
 * several statements the last one's result is returned. */
static int pg_query(dltc_dest *dd, const char *sql, dltc_rows **out)
{
    pg_dest *d = (pg_dest *)dd;
    *out = NULL;
    int frc = finish_open(d);
    if (frc)
        return frc;
    if (!p_PQsendQuery(d->conn, sql))
        return result_error(d, NULL, NULL, 0);
    p_PQsetSingleRowMode(d->conn);
    dltc_rows *rows = NULL;
    qcol *cols = NULL;
    int rc = 0, fresh = 1;
    PGresult *r;
    while ((r = p_PQgetResult(d->conn))) {
        ExecStatusType st = p_PQresultStatus(r);
        if (rc) { /* drain after an error */
            leave_copy(d, st);
            p_PQclear(r);
            continue;
        }
        if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ||
            st == PGRES_EMPTY_QUERY) {
            if (fresh) { /* a new statement's result replaces the previous one */
                dltc_rows_free(rows);
                dltc__free(cols);
                rows = NULL;
                cols = NULL;
                rc = start_rows(d, r, &rows, &cols);
                fresh = 0;
            }
            int full = 0;
            if (!rc)
                rc = add_rows(rows, cols, r, SIZE_MAX, &full);
            if (st != PGRES_SINGLE_TUPLE)
                fresh = 1;
        } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            rc = dltc__error_set(DLTC_EINVALID, "COPY statements are not run through query");
            leave_copy(d, st);
        } else {
            rc = result_error(d, r, NULL, 0);
        }
        p_PQclear(r);
    }
    dltc__free(cols);
    if (!rc && !rows)
        rc = dltc__rows_new(&rows, 0);
    if (!rc)
        rc = name_other_types(d, rows);
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

/* Ask the server to stop the running statement (its rows are not wanted); a failure to
 * ask only means the rest is read and dropped. */
static void cancel_statement(pg_dest *d)
{
    PGcancel *c = p_PQgetCancel(d->conn);
    char err[256];
    if (c) {
        p_PQcancel(c, err, (int)sizeof(err));
        p_PQfreeCancel(c);
    }
}

/* One statement (the extended protocol takes no second one) in single-row mode; rows past
 * max_rows are not kept, and the statement is cancelled at the first of them. */
static int fetch_limited(pg_dest *d, const char *sql, size_t max_rows, dltc_rows **out,
                         int *truncated)
{
    if (!p_PQsendQueryParams(d->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
        return result_error(d, NULL, NULL, 0);
    p_PQsetSingleRowMode(d->conn);
    dltc_rows *rows = NULL;
    qcol *cols = NULL;
    int rc = 0, cancelled = 0;
    PGresult *r;
    while ((r = p_PQgetResult(d->conn))) {
        ExecStatusType st = p_PQresultStatus(r);
        const char *state = p_PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (rc) {
            leave_copy(d, st);
        } else if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ||
                   st == PGRES_EMPTY_QUERY) {
            if (!rows)
                rc = start_rows(d, r, &rows, &cols);
            int full = 0;
            if (!rc)
                rc = add_rows(rows, cols, r, max_rows, &full);
            if (full) {
                *truncated = 1;
                if (!cancelled)
                    cancel_statement(d);
                cancelled = 1;
            }
        } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            rc = dltc__error_set(DLTC_EINVALID, "postgres at %s: COPY statements are not run "
                                                "through a query", d->where);
            leave_copy(d, st);
        } else if (!(cancelled && state && strcmp(state, "57014") == 0)) {
            /* (57014 query_canceled: the cancel asked for above) */
            dltc_buf pre = DLTC_BUF_INIT;
            rc = where_prefix(&pre, d, NULL);
            rc = rc ? rc : result_error(d, r, pre.data, 0);
            dltc__buf_free(&pre);
        }
        p_PQclear(r);
    }
    dltc__free(cols);
    if (!rc && !rows)
        rc = dltc__rows_new(&rows, 0);
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

/* On a read-only session the statement runs in a read-only transaction that is rolled back
 * after: whatever it changed in the session (set_config) goes with it. Type names are looked
 * up after the rollback (a cancelled statement aborts its transaction). */
static int pg_query_limited(dltc_dest *dd, const char *sql, size_t max_rows, dltc_rows **out,
                            int *truncated)
{
    pg_dest *d = (pg_dest *)dd;
    int trunc = 0;
    *out = NULL;
    int rc = finish_open(d);
    if (rc)
        return rc;
    if (d->read_only && (rc = pg_exec(dd, "BEGIN TRANSACTION READ ONLY"))) {
        dltc__error_prefix("postgres at %s: ", d->where);
        return rc;
    }
    dltc_rows *rows = NULL;
    rc = fetch_limited(d, sql, max_rows, &rows, &trunc);
    if (d->read_only) {
        PGresult *r = p_PQexec(d->conn, "ROLLBACK");
        int rrc = check_result(d, r, NULL);
        p_PQclear(r);
        if (!rc && rrc) {
            dltc__error_prefix("postgres at %s: ROLLBACK: ", d->where);
            rc = rrc;
        }
    }
    if (!rc)
        rc = name_other_types(d, rows);
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    if (truncated)
        *truncated = trunc;
    *out = rows;
    return 0;
}

/* ---- table columns ---- */

typedef struct {
    char *name;
    Oid oid;
    int mod;
} dbcol;

static void dbcols_free(dbcol *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        dltc__free(c[i].name);
    dltc__free(c);
}

/* The columns of "dataset"."table" (dataset NULL: the session's temporary table) with their
 * types, in order. *exists = 0 when there is no such table (a table without columns
 * exists). Names are compared as the server stores them (63 bytes). */
static int table_info(pg_dest *d, const char *dataset, const char *table, dbcol **out,
                      size_t *n, int *exists)
{
    *out = NULL;
    *n = 0;
    *exists = 0;
    dltc_buf sql = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&sql, "SELECT a.attname, a.atttypid, a.atttypmod "
                                  "FROM pg_catalog.pg_class c "
                                  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                  "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
                                  "AND a.attnum > 0 AND NOT a.attisdropped "
                                  "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ");
    if (!rc && dataset) {
        rc = dltc__buf_puts(&sql, "n.nspname = ");
        if (!rc)
            rc = dltc__sql_string(&sql, dataset, ident_len(dataset, strlen(dataset)));
    } else if (!rc) {
        rc = dltc__buf_puts(&sql, "n.oid = pg_catalog.pg_my_temp_schema()");
    }
    if (!rc)
        rc = dltc__buf_puts(&sql, " AND c.relname = ");
    if (!rc)
        rc = dltc__sql_string(&sql, table, ident_len(table, strlen(table)));
    if (!rc)
        rc = dltc__buf_puts(&sql, " ORDER BY a.attnum");
    PGresult *r = rc ? NULL : p_PQexec(d->conn, sql.data);
    dltc__buf_free(&sql);
    if (rc)
        return rc;
    if (p_PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = result_error(d, r, NULL, 0);
        p_PQclear(r);
        return rc;
    }
    int nt = p_PQntuples(r);
    dbcol *c = dltc__calloc((size_t)nt + 1, sizeof(*c));
    size_t k = 0;
    if (!c)
        rc = dltc__error_oom();
    for (int i = 0; !rc && i < nt; i++) {
        if (p_PQgetisnull(r, i, 0))
            continue; /* the table has no columns */
        c[k].name = dltc__strdup(p_PQgetvalue(r, i, 0));
        c[k].oid = (Oid)strtoul(p_PQgetvalue(r, i, 1), NULL, 10);
        c[k].mod = (int)strtol(p_PQgetvalue(r, i, 2), NULL, 10);
        if (!c[k++].name)
            rc = dltc__error_oom();
    }
    p_PQclear(r);
    if (rc) {
        dbcols_free(c, k);
        return rc;
    }
    *out = c;
    *n = k;
    *exists = nt > 0;
    return 0;
}

static int pg_table_columns(dltc_dest *dd, const char *dataset, const char *table, char ***names,
                            size_t *n, int *exists)
{
    pg_dest *d = (pg_dest *)dd;
    int frc = finish_open(d);
    if (frc)
        return frc;
    dbcol *c = NULL;
    size_t k = 0;
    *names = NULL;
    *n = 0;
    int rc = table_info(d, dataset, table, &c, &k, exists);
    if (rc)
        return rc;
    char **v = dltc__calloc(k + 1, sizeof(char *));
    if (!v) {
        dbcols_free(c, k);
        return dltc__error_oom();
    }
    for (size_t i = 0; i < k; i++) {
        v[i] = c[i].name; /* moved */
        c[i].name = NULL;
    }
    dbcols_free(c, k);
    if (k == 0) {
        dltc__free(v);
        v = NULL;
    }
    *names = v;
    *n = k;
    return 0;
}

/* ---- COPY ---- */

#define COPY_BLOCK (256u << 10)

typedef struct {
    pg_dest *d;
    const char *path;
    dltc_buf out; /* bytes not yet sent */
    int active;   /* in COPY IN state */
} copy_stream;

static int copy_begin(copy_stream *s, pg_dest *d, const char *sql, const char *path)
{
    memset(s, 0, sizeof(*s));
    s->d = d;
    s->path = path;
    PGresult *r = p_PQexec(d->conn, sql);
    ExecStatusType st = r ? p_PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (st == PGRES_COPY_IN) {
        s->active = 1;
    } else {
        dltc_buf pre = DLTC_BUF_INIT;
        where_prefix(&pre, d, path);
        rc = st == PGRES_COMMAND_OK
                 ? dltc__error_set(DLTC_EDATABASE, "%sthe server did not start the COPY",
                                   pre.data ? pre.data : "")
                 : result_error(d, r, pre.data, 0);
        dltc__buf_free(&pre);
    }
    p_PQclear(r);
    return rc;
}

static int copy_put(copy_stream *s, const char *data, size_t len)
{
    while (len) {
        int n = len > (1u << 30) ? 1 << 30 : (int)len;
        if (p_PQputCopyData(s->d->conn, data, n) != 1) {
            dltc_buf pre = DLTC_BUF_INIT;
            where_prefix(&pre, s->d, s->path);
            int rc = result_error(s->d, NULL, pre.data, 0);
            dltc__buf_free(&pre);
            return rc;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Send the buffer once it holds a block. */
static inline int copy_maybe_flush(copy_stream *s)
{
    if (s->out.len < COPY_BLOCK)
        return 0;
    int rc = copy_put(s, s->out.data, s->out.len);
    dltc__buf_clear(&s->out);
    return rc;
}

/* End the COPY: with `failed` set (the last error says why) the server is told to abort
 * and its answer is dropped; else the rows it inserted go to *rows. */
static int copy_end(copy_stream *s, int failed, uint64_t *rows)
{
    int rc = 0;
    if (!s->active) {
        dltc__buf_free(&s->out);
        return 0;
    }
    if (!failed && s->out.len)
        rc = copy_put(s, s->out.data, s->out.len);
    dltc__buf_free(&s->out);
    failed = failed || rc;
    if (p_PQputCopyEnd(s->d->conn, failed ? "aborted by the client" : NULL) != 1 && !failed) {
        dltc_buf pre = DLTC_BUF_INIT;
        where_prefix(&pre, s->d, s->path);
        rc = result_error(s->d, NULL, pre.data, 0);
        dltc__buf_free(&pre);
        failed = 1;
    }
    s->active = 0;
    PGresult *r;
    while ((r = p_PQgetResult(s->d->conn))) {
        ExecStatusType st = p_PQresultStatus(r);
        if (!failed && st == PGRES_COMMAND_OK) {
            const char *n = p_PQcmdTuples(r);
            if (rows && n && *n)
                *rows += strtoull(n, NULL, 10);
        } else if (!failed) {
            dltc_buf pre = DLTC_BUF_INIT;
            where_prefix(&pre, s->d, s->path);
            rc = result_error(s->d, r, pre.data, 1);
            dltc__buf_free(&pre);
            failed = 1;
        }
        if (st == PGRES_COPY_IN) /* not expected: leave the state */
            p_PQputCopyEnd(s->d->conn, "unexpected");
        p_PQclear(r);
    }
    return rc;
}

/* ---- COPY TO STDOUT and literals, for readers (load/destinations/postgres.h) ---- */

int dltc__postgres_copy_out_begin(dltc_dest *dd, const char *sql)
{
    pg_dest *d = (pg_dest *)dd;
    assert(!d->copy_out);
    int rc = finish_open(d);
    if (rc)
        return rc;
    PGresult *r = p_PQexec(d->conn, sql);
    ExecStatusType st = r ? p_PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COPY_OUT)
        d->copy_out = 1;
    else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        rc = dltc__error_set(DLTC_EINVALID, "the statement is not a COPY TO STDOUT");
    else
        rc = check_result(d, r, NULL);
    p_PQclear(r);
    return rc;
}

int dltc__postgres_copy_out_next(dltc_dest *dd, const char **data, size_t *len)
{
    pg_dest *d = (pg_dest *)dd;
    assert(d->copy_out);
    if (d->copy_msg) {
        p_PQfreemem(d->copy_msg);
        d->copy_msg = NULL;
    }
    int n = p_PQgetCopyData(d->conn, &d->copy_msg, 0);
    if (n > 0) {
        *data = d->copy_msg;
        *len = (size_t)n;
        return 1;
    }
    /* -1: the COPY is over, its result says how; -2: libpq failed (connection lost) */
    d->copy_out = 0;
    int rc = n == -2 ? result_error(d, NULL, NULL, 0) : 0;
    PGresult *r;
    while ((r = p_PQgetResult(d->conn))) {
        ExecStatusType st = p_PQresultStatus(r);
        if (!rc && st != PGRES_COMMAND_OK)
            rc = result_error(d, r, NULL, 0);
        leave_copy(d, st);
        p_PQclear(r);
    }
    return rc;
}

int dltc__postgres_put_literal(dltc_dest *dd, dltc_buf *b, const char *s, size_t len)
{
    pg_dest *d = (pg_dest *)dd;
    char *lit = p_PQescapeLiteral(d->conn, s, len);
    if (!lit)
        return result_error(d, NULL, "cannot quote a literal: ", 0);
    int rc = dltc__buf_puts(b, lit);
    p_PQfreemem(lit);
    return rc;
}

/* "dataset"."t", or the temporary table pg_temp."t" */
static int put_target(dltc_buf *b, const char *dataset, const char *table)
{
    return dataset ? dltc__sql_qualified(b, dataset, table)
                   : dltc__sql_staging_table(b, DLTC_SQL_POSTGRES, table);
}

/* The kind of each of the n named columns in the database table (PK_OTHER for a name it
 * lacks: the server then names the problem); DLTC_ENOTFOUND without the table. *out is
 * the caller's. */
static int column_kinds(pg_dest *d, const char *dataset, const char *table, char *const *names,
                        size_t n, const char *path, pkind **out)
{
    dbcol *dbc = NULL;
    size_t ndb = 0;
    int exists = 0;
    *out = NULL;
    int rc = table_info(d, dataset, table, &dbc, &ndb, &exists);
    if (!rc && !exists)
        rc = dltc__error_set(DLTC_ENOTFOUND, "%s: table %s%s%s does not exist", path,
                             dataset ? dataset : "", dataset ? "." : "", table);
    pkind *k = rc ? NULL : dltc__calloc(n + 1, sizeof(*k));
    if (!rc && !k)
        rc = dltc__error_oom();
    for (size_t i = 0; !rc && i < n; i++) {
        size_t nl = ident_len(names[i], strlen(names[i]));
        for (size_t j = 0; j < ndb; j++)
            if (strlen(dbc[j].name) == nl && !memcmp(dbc[j].name, names[i], nl))
                k[i] = kind_of(dbc[j].oid);
    }
    dbcols_free(dbc, ndb);
    if (rc)
        dltc__free(k);
    else
        *out = k;
    return rc;
}

/* ---- csv files ---- */

typedef struct {
    int fd;
    const char *path;
    char *buf;
    size_t len, pos; /* bytes in buf, bytes consumed */
    int eof;
} reader;

static int reader_open(reader *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    r->buf = dltc__malloc(COPY_BLOCK);
    if (!r->buf) {
        close(r->fd);
        r->fd = -1;
        return dltc__error_oom();
    }
    return 0;
}

/* Refill the buffer (the unconsumed bytes move to its start). */
static int reader_fill(reader *r)
{
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    while (r->len < COPY_BLOCK && !r->eof) {
        ssize_t n = read(r->fd, r->buf + r->len, COPY_BLOCK - r->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return dltc__error_set(DLTC_EIO, "%s: read failed: %s", r->path, strerror(errno));
        if (n == 0)
            r->eof = 1;
        r->len += (size_t)n;
        if (n > 0)
            break;
    }
    return 0;
}

static void reader_close(reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    dltc__free(r->buf);
    r->buf = NULL;
}

/* The header of a csv file (quoted names, '"' doubled): names in order and the bytes it
 * takes (with its '\n'). Left in r's buffer: the header is not consumed. */
static int csv_header(reader *r, char ***names, size_t *n, size_t *hlen)
{
    *names = NULL;
    *n = 0;
    int rc = reader_fill(r);
    while (!rc && !r->eof && r->len < COPY_BLOCK)
        rc = reader_fill(r);
    if (rc)
        return rc;
    dltc_buf field = DLTC_BUF_INIT;
    size_t i = 0;
    int quoted = 0, done = 0;
    while (!rc && !done) {
        if (i == r->len) {
            rc = dltc__error_set(DLTC_EPARSE, r->len ? "%s:1: the header is too long or not "
                                                       "terminated"
                                                     : "%s: no header row",
                                 r->path);
            break;
        }
        char c = r->buf[i++];
        if (quoted) {
            if (c != '"') {
                rc = dltc__buf_putc(&field, c);
                continue;
            }
            if (i < r->len && r->buf[i] == '"') {
                i++;
                rc = dltc__buf_putc(&field, '"');
                continue;
            }
            quoted = 0;
            continue;
        }
        if (c == '"') {
            quoted = 1;
            continue;
        }
        if (c == ',' || c == '\n') {
            char **nn = dltc__realloc(*names, (*n + 1) * sizeof(char *));
            if (!nn) {
                rc = dltc__error_oom();
                break;
            }
            *names = nn;
            if (!(nn[*n] = dltc__strndup(field.data ? field.data : "", field.len))) {
                rc = dltc__error_oom();
                break;
            }
            (*n)++;
            dltc__buf_clear(&field);
            done = c == '\n';
            continue;
        }
        if (c != '\r')
            rc = dltc__buf_putc(&field, c);
    }
    dltc__buf_free(&field);
    if (!rc && (*n == 0 || (*n == 1 && !(*names)[0][0])))
        rc = dltc__error_set(DLTC_EPARSE, "%s: no header row", r->path);
    if (rc) {
        for (size_t k = 0; k < *n; k++)
            dltc__free((*names)[k]);
        dltc__free(*names);
        *names = NULL;
        *n = 0;
        return rc;
    }
    *hlen = i;
    return 0;
}

/* Rewrites the base64 fields of binary columns to bytea hex ("\x…", unquoted: a backslash
 * means nothing in csv) while the other bytes pass through. */
typedef enum { CS_START, CS_BARE, CS_QUOTED, CS_QUOTE } csv_state;

typedef struct {
    const unsigned char *binary; /* per field: rewrite it */
    size_t nfields;
    size_t field;
    csv_state st;
    int quoted;       /* the current field was quoted */
    dltc_buf content; /* a binary field's content */
    uint8_t *bytes;
    size_t bytes_cap;
    uint64_t line;
} csv_rewriter;

static int bin_field_end(csv_rewriter *w, dltc_buf *out, const char *path)
{
    if (!w->quoted && w->content.len == 0)
        return 0; /* NULL */
    if (w->content.len == 0)
        return dltc__buf_puts(out, "\"\"");
    size_t need = 3 * ((w->content.len + 3) / 4) + 1;
    if (need > w->bytes_cap) {
        uint8_t *nb = dltc__realloc(w->bytes, need);
        if (!nb)
            return dltc__error_oom();
        w->bytes = nb;
        w->bytes_cap = need;
    }
    long n = dltc__base64_decode(w->content.data, w->content.len, w->bytes);
    if (n < 0)
        return dltc__error_set(DLTC_EINVALID, "%s:%" PRIu64 ": field %zu is not base64", path,
                               w->line, w->field + 1);
    static const char hex[] = "0123456789abcdef";
    int rc = dltc__buf_reserve(out, 2 + 2 * (size_t)n);
    if (rc)
        return rc;
    char *o = out->data + out->len;
    *o++ = '\\';
    *o++ = 'x';
    for (long k = 0; k < n; k++) {
        *o++ = hex[w->bytes[k] >> 4];
        *o++ = hex[w->bytes[k] & 15];
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

/* Feed data[0..len) (records after the header); output appended to out. */
static int csv_rewrite(csv_rewriter *w, const char *data, size_t len, dltc_buf *out,
                       const char *path)
{
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        char c = data[i];
        int bin = w->field < w->nfields && w->binary[w->field];
        int end_field = 0;
        switch (w->st) {
        case CS_START:
            w->quoted = 0;
            dltc__buf_clear(&w->content);
            if (c == '"') {
                w->st = CS_QUOTED;
                w->quoted = 1;
                if (!bin)
                    rc = dltc__buf_putc(out, c);
                continue;
            }
            if (c == ',' || c == '\n') {
                end_field = 1;
                break;
            }
            w->st = CS_BARE;
            rc = bin ? dltc__buf_putc(&w->content, c) : dltc__buf_putc(out, c);
            continue;
        case CS_BARE:
            if (c == ',' || c == '\n') {
                end_field = 1;
                break;
            }
            rc = bin ? dltc__buf_putc(&w->content, c) : dltc__buf_putc(out, c);
            continue;
        case CS_QUOTED:
            if (c == '"') {
                w->st = CS_QUOTE;
                if (!bin)
                    rc = dltc__buf_putc(out, c);
                continue;
            }
            rc = bin ? dltc__buf_putc(&w->content, c) : dltc__buf_putc(out, c);
            continue;
        case CS_QUOTE:
            if (c == '"') { /* a doubled quote */
                w->st = CS_QUOTED;
                rc = bin ? dltc__buf_putc(&w->content, c) : dltc__buf_putc(out, c);
                continue;
            }
            if (c == ',' || c == '\n') {
                end_field = 1;
                break;
            }
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": text after a closing quote",
                                 path, w->line);
            continue;
        }
        if (!end_field)
            continue;
        if (bin)
            rc = bin_field_end(w, out, path);
        if (!rc)
            rc = dltc__buf_putc(out, c);
        w->st = CS_START;
        if (c == '\n') {
            w->field = 0;
            w->line++;
        } else {
            w->field++;
        }
    }
    return rc;
}

static int load_csv(pg_dest *d, const char *dataset, const dltc_table *t, const char *path,
                    uint64_t *rows)
{
    reader r;
    int rc = reader_open(&r, path);
    if (rc)
        return rc;
    char **names = NULL;
    size_t n = 0, hlen = 0;
    unsigned char *binary = NULL;
    int any_binary = 0;
    dltc_buf sql = DLTC_BUF_INIT;
    copy_stream s;
    memset(&s, 0, sizeof(s));
    csv_rewriter w;
    memset(&w, 0, sizeof(w));
    pkind *kinds = NULL;
    rc = csv_header(&r, &names, &n, &hlen);
    if (!rc)
        rc = column_kinds(d, dataset, t->name, names, n, path, &kinds);
    if (!rc && !(binary = dltc__calloc(n, 1)))
        rc = dltc__error_oom();
    if (!rc)
        rc = dltc__buf_puts(&sql, "COPY ");
    if (!rc)
        rc = put_target(&sql, dataset, t->name);
    if (!rc)
        rc = dltc__buf_puts(&sql, " (");
    for (size_t i = 0; !rc && i < n; i++) {
        if (kinds[i] == PK_BYTEA) /* base64 in the file */
            any_binary = binary[i] = 1;
        if (i)
            rc = dltc__buf_puts(&sql, ", ");
        if (!rc)
            rc = dltc__sql_ident(&sql, names[i]);
    }
    if (!rc)
        rc = dltc__buf_puts(&sql, ") FROM STDIN WITH (FORMAT csv, HEADER true, "
                                  "ENCODING 'UTF8')");
    if (!rc)
        rc = copy_begin(&s, d, sql.data, path);
    w.binary = binary;
    w.nfields = n;
    w.line = 2;
    int failed = 0;
    /* the header as it is (HEADER true skips it: the server's line numbers are the file's) */
    if (!rc && any_binary) {
        rc = dltc__buf_put(&s.out, r.buf, hlen);
        r.pos = hlen;
    }
    while (!rc) {
        if (r.pos == r.len) {
            if (r.eof)
                break;
            if ((rc = reader_fill(&r)))
                break;
            continue;
        }
        if (any_binary) {
            rc = csv_rewrite(&w, r.buf + r.pos, r.len - r.pos, &s.out, path);
            if (!rc)
                rc = copy_maybe_flush(&s);
        } else {
            rc = copy_put(&s, r.buf + r.pos, r.len - r.pos);
        }
        r.pos = r.len;
    }
    if (!rc && any_binary && w.st != CS_START) { /* a last record without its '\n' */
        if (w.st == CS_QUOTED)
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": unterminated quote", path,
                                 w.line);
        else
            rc = csv_rewrite(&w, "\n", 1, &s.out, path);
    }
    failed = rc != 0;
    int erc = copy_end(&s, failed, rows);
    if (!rc)
        rc = erc;
    for (size_t i = 0; i < n; i++)
        dltc__free(names[i]);
    dltc__free(names);
    dltc__free(binary);
    dltc__free(kinds);
    dltc__buf_free(&sql);
    dltc__buf_free(&w.content);
    dltc__free(w.bytes);
    reader_close(&r);
    return rc;
}

/* ---- jsonl files ---- */

static int value_mismatch(const char *path, uint64_t line, const char *col, const char *want)
{
    return dltc__error_set(DLTC_EINVALID, "%s:%" PRIu64 ": column %s: value is not a valid %s",
                           path, line, col, want);
}

/* One jsonl row's cells, encoded for COPY (binary or text format). */
typedef struct {
    int binary;
    size_t ncols;
    pkind *kind;
    const char **name;
    size_t *nlen; /* name length as the server keeps it (63 bytes) */
    dltc_buf scratch;
    uint8_t *bytes;
    size_t bytes_cap;
    const char *path;
    uint64_t line;
} encoder;

static inline int room(dltc_buf *b, size_t n)
{
    return b->cap - b->len > n ? 0 : dltc__buf_reserve(b, n);
}

static inline void put_be16(char *o, uint16_t v)
{
    o[0] = (char)(v >> 8);
    o[1] = (char)v;
}
static inline void put_be32(char *o, uint32_t v)
{
    o[0] = (char)(v >> 24);
    o[1] = (char)(v >> 16);
    o[2] = (char)(v >> 8);
    o[3] = (char)v;
}
static inline void put_be64(char *o, uint64_t v)
{
    put_be32(o, (uint32_t)(v >> 32));
    put_be32(o + 4, (uint32_t)v);
}

/* Base64 text into e->bytes; the byte count, or -1. */
static long decode_base64(encoder *e, const char *s, size_t len)
{
    size_t need = 3 * ((len + 3) / 4) + 1;
    if (need > e->bytes_cap) {
        uint8_t *nb = dltc__realloc(e->bytes, need);
        if (!nb)
            return -2;
        e->bytes = nb;
        e->bytes_cap = need;
    }
    return dltc__base64_decode(s, len, e->bytes);
}

/* The text of a number value (INT, BIGINT, DECIMAL, DOUBLE) into e->scratch; NULL if v is
 * not one. Non-finite doubles as Postgres spells them. */
static const char *number_text(encoder *e, const dltc_value *v, size_t *len)
{
    dltc__buf_clear(&e->scratch);
    switch (v->type) {
    case DLTC_TYPE_INT:
        if (v->lex) {
            *len = v->len;
            return v->lex;
        }
        if (dltc__json_write_int(&e->scratch, v->u.i))
            return NULL;
        break;
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
        *len = v->len;
        return v->u.s;
    case DLTC_TYPE_DOUBLE:
        if (v->lex) {
            *len = v->len;
            return v->lex;
        }
        if (isnan(v->u.d))
            dltc__buf_puts(&e->scratch, "NaN");
        else if (isinf(v->u.d))
            dltc__buf_puts(&e->scratch, v->u.d > 0 ? "Infinity" : "-Infinity");
        else if (dltc__buf_reserve(&e->scratch, 40) == 0)
            e->scratch.len = dltc__format_double(e->scratch.data, v->u.d);
        break;
    default:
        return NULL;
    }
    *len = e->scratch.len;
    return e->scratch.data;
}

/* numeric in binary: base-10000 digits from decimal text ("-12.50", "1e+16"). -1 when the
 * text is not a number or is out of numeric's range. */
static int numeric_binary(dltc_buf *b, const char *s, size_t len)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (len - i == 3 && (!memcmp(s + i, "NaN", 3) || !memcmp(s + i, "nan", 3))) {
        if (room(b, 12))
            return -2;
        char *o = b->data + b->len;
        put_be32(o, 8);
        put_be16(o + 4, 0);
        put_be16(o + 6, 0);
        put_be16(o + 8, 0xC000);
        put_be16(o + 10, 0);
        b->len += 12;
        return 0;
    }
    const char *digs = s + i;
    size_t nint = 0, nfrac = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, nint++;
    const char *frac = NULL;
    if (i < len && s[i] == '.') {
        frac = s + ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, nfrac++;
    }
    if (nint + nfrac == 0)
        return -1;
    long exp10 = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        size_t st = i;
        while (i < len && s[i] >= '0' && s[i] <= '9' && exp10 < 1000000)
            exp10 = exp10 * 10 + (s[i++] - '0');
        if (i == st)
            return -1;
        if (eneg)
            exp10 = -exp10;
    }
    if (i != len)
        return -1;
    /* digit k of the mantissa (all n = nint + nfrac digits) stands for 10^(point - 1 - k) */
    size_t n = nint + nfrac;
    long point = (long)nint + exp10;
    long dscale = (long)nfrac - exp10;
    if (dscale < 0)
        dscale = 0;
#define DIG(k) ((k) < nint ? digs[k] : frac[(k) - nint])
    size_t first = 0, last = n; /* without leading and trailing zeros */
    while (first < n && DIG(first) == '0')
        first++;
    while (last > first && DIG(last - 1) == '0')
        last--;
    if (dscale > 16383 || (first < last && (point - (long)first > 131072 + 4 ||
                                            point - (long)last < -16383 - 8)))
        return -1;
    long weight = 0, ndig = 0;
    long pfirst = 0;
    if (first < last) {
        pfirst = point - 1 - (long)first; /* power of the first significant digit */
        long plast = point - (long)last;
        /* floor division by 4 */
        long gfirst = pfirst >= 0 ? pfirst / 4 : -((-pfirst + 3) / 4);
        long glast = plast >= 0 ? plast / 4 : -((-plast + 3) / 4);
        weight = gfirst;
        ndig = gfirst - glast + 1;
    }
    if (room(b, 12 + 2 * (size_t)ndig))
        return -2;
    char *o = b->data + b->len;
    put_be32(o, (uint32_t)(8 + 2 * ndig));
    put_be16(o + 4, (uint16_t)ndig);
    put_be16(o + 6, (uint16_t)(int16_t)weight);
    put_be16(o + 8, neg && ndig ? 0x4000 : 0);
    put_be16(o + 10, (uint16_t)dscale);
    o += 12;
    for (long g = 0; g < ndig; g++) {
        long group = weight - g; /* powers 4*group .. 4*group+3 */
        int val = 0;
        for (long p = 4 * group + 3; p >= 4 * group; p--) {
            long k = point - 1 - p; /* mantissa index of power p */
            int dg = k >= (long)first && k < (long)last ? DIG((size_t)k) - '0' : 0;
            val = val * 10 + dg;
        }
        put_be16(o, (uint16_t)val);
        o += 2;
    }
#undef DIG
    b->len = (size_t)(o - b->data);
    return 0;
}

/* A datetime string into µs since 2000-01-01 (Postgres' epoch) / days / µs of the day. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US (10957LL * 86400000000LL)

/* One cell in binary: int32 length, then the value. */
static int encode_binary(encoder *e, dltc_buf *b, size_t col, const dltc_value *v)
{
    const char *name = e->name[col];
    const char *s;
    size_t len;
    char *o;
    dltc_iso iso;
    switch (e->kind[col]) {
    case PK_BOOL:
        if (v->type != DLTC_TYPE_BOOL)
            return value_mismatch(e->path, e->line, name, "boolean");
        if (room(b, 5))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        put_be32(o, 1);
        o[4] = v->u.i ? 1 : 0;
        b->len += 5;
        return 0;
    case PK_INT2:
    case PK_INT4:
    case PK_INT8: {
        int64_t x;
        if (v->type == DLTC_TYPE_INT)
            x = v->u.i;
        else if (v->type == DLTC_TYPE_DOUBLE && v->u.d >= -9.2e18 && v->u.d <= 9.2e18 &&
                 v->u.d == (double)(int64_t)v->u.d)
            x = (int64_t)v->u.d;
        else
            return value_mismatch(e->path, e->line, name, "integer");
        pkind k = e->kind[col];
        if ((k == PK_INT2 && (x < INT16_MIN || x > INT16_MAX)) ||
            (k == PK_INT4 && (x < INT32_MIN || x > INT32_MAX)))
            return dltc__error_set(DLTC_EINVALID,
                                   "%s:%" PRIu64 ": column %s: %" PRId64 " is out of range",
                                   e->path, e->line, name, x);
        size_t w = k == PK_INT2 ? 2 : k == PK_INT4 ? 4 : 8;
        if (room(b, 4 + w))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        put_be32(o, (uint32_t)w);
        if (w == 2)
            put_be16(o + 4, (uint16_t)x);
        else if (w == 4)
            put_be32(o + 4, (uint32_t)x);
        else
            put_be64(o + 4, (uint64_t)x);
        b->len += 4 + w;
        return 0;
    }
    case PK_FLOAT4:
    case PK_FLOAT8: {
        double x;
        if (v->type == DLTC_TYPE_DOUBLE)
            x = v->u.d;
        else if (v->type == DLTC_TYPE_INT)
            x = (double)v->u.i;
        else if (v->type == DLTC_TYPE_BIGINT || v->type == DLTC_TYPE_DECIMAL)
            x = dltc__json_strtod(v->u.s, NULL);
        else
            return value_mismatch(e->path, e->line, name, "number");
        if (room(b, 12))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        if (e->kind[col] == PK_FLOAT4) {
            float f = (float)x;
            uint32_t u;
            memcpy(&u, &f, 4);
            put_be32(o, 4);
            put_be32(o + 4, u);
            b->len += 8;
        } else {
            uint64_t u;
            memcpy(&u, &x, 8);
            put_be32(o, 8);
            put_be64(o + 4, u);
            b->len += 12;
        }
        return 0;
    }
    case PK_NUMERIC: {
        if (v->type == DLTC_TYPE_STRING) {
            s = v->u.s;
            len = v->len;
        } else if (!(s = number_text(e, v, &len))) {
            return value_mismatch(e->path, e->line, name, "decimal");
        }
        int r = numeric_binary(b, s, len);
        if (r == -2)
            return DLTC_ENOMEM;
        return r ? value_mismatch(e->path, e->line, name, "decimal") : 0;
    }
    case PK_BYTEA: {
        if (v->type != DLTC_TYPE_STRING)
            return value_mismatch(e->path, e->line, name, "base64 string");
        long n = decode_base64(e, v->u.s, v->len);
        if (n == -2)
            return dltc__error_oom();
        if (n < 0 || n > INT32_MAX)
            return value_mismatch(e->path, e->line, name, "base64 string");
        if (room(b, 4 + (size_t)n))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        put_be32(o, (uint32_t)n);
        memcpy(o + 4, e->bytes, (size_t)n);
        b->len += 4 + (size_t)n;
        return 0;
    }
    case PK_DATE:
    case PK_TIME:
    case PK_TIMESTAMP:
    case PK_TIMESTAMPTZ: {
        if (v->type != DLTC_TYPE_STRING || dltc__iso_parse(v->u.s, v->len, &iso) != 0)
            return value_mismatch(e->path, e->line, name, "ISO date/time");
        pkind k = e->kind[col];
        int64_t x;
        if ((k == PK_TIMESTAMP || k == PK_TIMESTAMPTZ) && iso.kind == DLTC_ISO_DATETIME)
            x = iso.value - PG_EPOCH_US;
        else if ((k == PK_TIMESTAMP || k == PK_TIMESTAMPTZ) && iso.kind == DLTC_ISO_DATE)
            x = iso.value * 86400000000LL - PG_EPOCH_US;
        else if (k == PK_TIME && iso.kind == DLTC_ISO_TIME)
            x = iso.value;
        else if (k == PK_DATE && iso.kind == DLTC_ISO_DATE)
            x = iso.value - PG_EPOCH_DAYS;
        else
            return value_mismatch(e->path, e->line, name, "ISO date/time");
        if (room(b, 12))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        if (k == PK_DATE) {
            put_be32(o, 4);
            put_be32(o + 4, (uint32_t)(int32_t)x);
            b->len += 8;
        } else {
            put_be32(o, 8);
            put_be64(o + 4, (uint64_t)x);
            b->len += 12;
        }
        return 0;
    }
    default: { /* text, json, jsonb */
        int jsonb = e->kind[col] == PK_JSONB;
        int as_json = jsonb || e->kind[col] == PK_JSON;
        if (!as_json && v->type == DLTC_TYPE_STRING) {
            s = v->u.s;
            len = v->len;
        } else if (!as_json && (s = number_text(e, v, &len))) {
            /* numbers as their text */
        } else {
            dltc__buf_clear(&e->scratch);
            if (dltc__json_write(&e->scratch, v))
                return DLTC_ENOMEM;
            s = e->scratch.data;
            len = e->scratch.len;
        }
        if (len > INT32_MAX - 1)
            return dltc__error_set(DLTC_ELIMIT, "%s:%" PRIu64 ": column %s: value too long",
                                   e->path, e->line, name);
        if (room(b, 5 + len))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        put_be32(o, (uint32_t)(len + (size_t)jsonb));
        o += 4;
        if (jsonb)
            *o++ = 1; /* jsonb's binary format version */
        memcpy(o, s, len);
        b->len += 4 + (size_t)jsonb + len;
        return 0;
    }
    }
}

/* s escaped for COPY's text format (backslash, tab, newline, carriage return). */
static int put_copy_text(dltc_buf *b, const char *s, size_t len)
{
    size_t extra = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        extra += c == '\\' || c == '\t' || c == '\n' || c == '\r';
    }
    if (room(b, len + extra))
        return DLTC_ENOMEM;
    char *o = b->data + b->len;
    if (!extra) {
        memcpy(o, s, len);
        b->len += len;
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            *o++ = '\\';
            *o++ = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        } else {
            *o++ = c;
        }
    }
    b->len = (size_t)(o - b->data);
    return 0;
}

/* One cell in COPY's text format (the caller writes the tab before it). */
static int encode_text(encoder *e, dltc_buf *b, size_t col, const dltc_value *v)
{
    const char *name = e->name[col];
    const char *s;
    size_t len;
    switch (e->kind[col]) {
    case PK_BOOL:
        if (v->type != DLTC_TYPE_BOOL)
            return value_mismatch(e->path, e->line, name, "boolean");
        return dltc__buf_putc(b, v->u.i ? 't' : 'f');
    case PK_INT2:
    case PK_INT4:
    case PK_INT8:
        if (v->type == DLTC_TYPE_DOUBLE && v->u.d >= -9.2e18 && v->u.d <= 9.2e18 &&
            v->u.d == (double)(int64_t)v->u.d)
            return dltc__json_write_int(b, (int64_t)v->u.d);
        if (v->type != DLTC_TYPE_INT && v->type != DLTC_TYPE_BIGINT)
            return value_mismatch(e->path, e->line, name, "integer");
        s = number_text(e, v, &len);
        return dltc__buf_put(b, s, len);
    case PK_FLOAT4:
    case PK_FLOAT8:
    case PK_NUMERIC:
        if (v->type == DLTC_TYPE_STRING && e->kind[col] == PK_NUMERIC)
            return put_copy_text(b, v->u.s, v->len);
        if (!(s = number_text(e, v, &len)))
            return value_mismatch(e->path, e->line, name, "number");
        return dltc__buf_put(b, s, len);
    case PK_BYTEA: {
        if (v->type != DLTC_TYPE_STRING)
            return value_mismatch(e->path, e->line, name, "base64 string");
        long n = decode_base64(e, v->u.s, v->len);
        if (n == -2)
            return dltc__error_oom();
        if (n < 0)
            return value_mismatch(e->path, e->line, name, "base64 string");
        if (room(b, 3 + 2 * (size_t)n))
            return DLTC_ENOMEM;
        static const char hex[] = "0123456789abcdef";
        char *o = b->data + b->len;
        *o++ = '\\';
        *o++ = '\\';
        *o++ = 'x';
        for (long k = 0; k < n; k++) {
            *o++ = hex[e->bytes[k] >> 4];
            *o++ = hex[e->bytes[k] & 15];
        }
        b->len = (size_t)(o - b->data);
        return 0;
    }
    case PK_JSON:
    case PK_JSONB:
        dltc__buf_clear(&e->scratch);
        if (dltc__json_write(&e->scratch, v))
            return DLTC_ENOMEM;
        return put_copy_text(b, e->scratch.data, e->scratch.len);
    default: /* text, dates and times (the server parses the ISO text), other types */
        if (v->type == DLTC_TYPE_STRING)
            return put_copy_text(b, v->u.s, v->len);
        if ((s = number_text(e, v, &len)))
            return dltc__buf_put(b, s, len);
        dltc__buf_clear(&e->scratch);
        if (dltc__json_write(&e->scratch, v))
            return DLTC_ENOMEM;
        return put_copy_text(b, e->scratch.data, e->scratch.len);
    }
}

/* One row (slot[i] NULL: a NULL cell). */
static int encode_row(encoder *e, dltc_buf *b, const dltc_value *const *slot)
{
    size_t start = b->len;
    int rc = 0;
    if (e->binary) {
        if (room(b, 2))
            return DLTC_ENOMEM;
        put_be16(b->data + b->len, (uint16_t)e->ncols);
        b->len += 2;
        for (size_t i = 0; !rc && i < e->ncols; i++) {
            if (!slot[i] || slot[i]->type == DLTC_TYPE_NULL) {
                if (!(rc = room(b, 4))) {
                    put_be32(b->data + b->len, 0xFFFFFFFFu);
                    b->len += 4;
                }
            } else {
                rc = encode_binary(e, b, i, slot[i]);
            }
        }
    } else {
        for (size_t i = 0; !rc && i < e->ncols; i++) {
            if (i)
                rc = dltc__buf_putc(b, '\t');
            if (rc)
                break;
            if (!slot[i] || slot[i]->type == DLTC_TYPE_NULL)
                rc = dltc__buf_put(b, "\\N", 2);
            else
                rc = encode_text(e, b, i, slot[i]);
        }
        if (!rc)
            rc = dltc__buf_putc(b, '\n');
    }
    if (rc == DLTC_ENOMEM)
        rc = dltc__error_oom();
    if (rc) {
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
    }
    return rc;
}

/* Kinds the binary encoder writes. */
static int binary_kind(pkind k)
{
    return k != PK_OTHER && k != PK_TIMETZ;
}

/* One jsonl load: the COPY columns and stream, the key → column map with its per-position
 * hint cache, and the scanner's per-row bookkeeping. */
typedef struct jsonl_job {
    encoder e;
    const dltc_table *t;
    const char *path;
    dltc_strmap bykey;       /* column name (63 bytes) -> copy position */
    const dltc_value **slot; /* the general path: each column's value in the row */
    size_t *hint, nhint;     /* member position -> copy position, as last seen */
    dltc_arena arena;
    copy_stream s;
    /* the scanner */
    uint8_t *plain;        /* column c's name needs no escaping and has 63 bytes at most, */
    char *kt;              /* so a key is compared with kt[c * KEY_SLOT]: name, '"', zeros */
    uint64_t *seen, stamp; /* seen[c] == stamp once column c has its field in the row */
    size_t *off, *flen;    /* column c's field: offset from the row start, length */
    dltc_buf tmp, reord;
    uint64_t sent;     /* rows put in the COPY */
    dltc_table *own;   /* the job's copy of its table (t) */
    char *dataset;     /* its target's dataset (NULL: the temporary staging table) */
} jsonl_job;

static int grow_hint(jsonl_job *j, size_t n)
{
    if (n <= j->nhint)
        return 0;
    size_t cap = j->nhint * 2 > n ? j->nhint * 2 : n;
    size_t *nh = dltc__realloc(j->hint, cap * sizeof(size_t));
    if (!nh)
        return dltc__error_oom();
    for (size_t k = j->nhint; k < cap; k++)
        nh[k] = SIZE_MAX;
    j->hint = nh;
    j->nhint = cap;
    return 0;
}

/* One row parsed by our JSON reader: its members mapped to the COPY columns, then encoded.
 * A key the table lacks is an error unless its value is null. */
static int map_item(jsonl_job *j, const dltc_value *item)
{
    encoder *e = &j->e;
    int rc = 0;
    if (item->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": a row is not a JSON object", j->path,
                               e->line);
    if ((rc = grow_hint(j, item->len)) != 0)
        return rc;
    for (uint32_t m = 0; !rc && m < item->len; m++) {
        const dltc_member *mem = &item->u.obj[m];
        size_t c = j->hint[m];
        size_t klen = ident_len(mem->key, mem->klen);
        if (c == SIZE_MAX || e->nlen[c] != klen || memcmp(e->name[c], mem->key, klen) != 0) {
            if (!dltc__strmap_get(&j->bykey, mem->key, klen, &c)) {
                if (mem->val.type == DLTC_TYPE_NULL)
                    continue;
                rc = dltc__error_set(DLTC_EINVALID, "%s:%" PRIu64 ": column %s is not in table %s",
                                     j->path, e->line, mem->key, j->t->name);
                break;
            }
            j->hint[m] = c;
        }
        j->slot[c] = &mem->val;
    }
    if (!rc)
        rc = encode_row(e, &j->s.out, j->slot);
    if (!rc)
        j->sent++;
    memset(j->slot, 0, e->ncols * sizeof(*j->slot));
    if (!rc)
        rc = copy_maybe_flush(&j->s);
    return rc;
}

/* The file through our JSON reader, rows from line `from` on (those before it were sent
 * already). */
static int load_items(jsonl_job *j, dltc_json_reader *rd, uint64_t from)
{
    int rc = 0;
    while (!rc) {
        dltc_value *item;
        if (j->arena.used > (8u << 20))
            dltc__arena_reset(&j->arena);
        rc = dltc__json_reader_next(rd, &j->arena, &item);
        if (rc == DLTC_ITEROVER)
            return 0;
        if (rc)
            break;
        j->e.line = dltc__json_reader_item_line(rd);
        if (j->e.line >= from)
            rc = map_item(j, item);
    }
    return rc;
}

/* ---- the jsonl scanner ----
 *
 * Our writer's rows, one object per line, go from bytes to binary COPY fields without a
 * value tree: keys matched to columns through the hint cache, strings unescaped straight
 * into the COPY buffer, integers, doubles (as the reader computes them), booleans, and
 * dates and timestamps in their usual forms read in place. Other values (json columns,
 * numbers into text, …) are made into the value the reader would have made and go through
 * encode_binary. A line holding anything the scanner does not take exactly as the reader
 * would (whitespace at its start, escapes in keys, duplicate keys, \u0000, a refused value,
 * malformed JSON, …) is left to the general path, which then gives the same rows and the
 * same errors. Each line the scanner reads ends in '\n' inside the buffer, followed by
 * LINE_PAD more bytes: every scan stops at that '\n' (it is invalid inside every token),
 * and the 16-byte loads of the string scan stay inside the padding. */

#define LINE_PAD 64 /* >= the 16 bytes of a vector load, >= the 64 bytes of key_is */
#define KEY_SLOT 64
#define LINE_MAX_BYTES (256u << 20) /* the reader's max_item_bytes */
#define DIGIT(ch) ((unsigned)((ch) - '0') < 10u)
#define SKIP_SP(p)                                          \
    do {                                                    \
        while (*(p) == ' ' || *(p) == '\t' || *(p) == '\r') \
            (p)++;                                          \
    } while (0)

enum { SCAN_OK = 0, SCAN_BAIL = 1 };

typedef struct {
    int fd;
    char *buf;            /* cap + LINE_PAD bytes */
    size_t cap, len, pos; /* buffered bytes, start of the next line */
    size_t lim;           /* just after the last '\n' buffered: whole lines in [pos, lim) */
    uint64_t base;        /* file offset of buf[0] */
    int eof;
} line_reader;

static int lines_open(line_reader *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    do
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
    while (r->fd < 0 && errno == EINTR);
    if (r->fd < 0) /* as the JSON reader says it */
        return dltc__error_set(errno == ENOENT ? DLTC_ENOTFOUND : DLTC_EIO, "%s: %s", path,
                               strerror(errno));
    r->cap = COPY_BLOCK;
    r->buf = dltc__calloc(1, r->cap + LINE_PAD);
    if (!r->buf) {
        close(r->fd);
        r->fd = -1;
        return dltc__error_oom();
    }
    return 0;
}

static void lines_close(line_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    dltc__free(r->buf);
    r->buf = NULL;
}

/* Whole lines at buf[pos..lim), each ending in '\n' (the file's last line gets one written
 * after the data): 1, 0 at the end of the file, 2 for a line longer than the JSON reader's
 * item limit or a read error (the reader then takes over and says what it finds), or
 * DLTC_ENOMEM. */
static int lines_fill(line_reader *r)
{
    while (r->pos >= r->lim) {
        if (r->eof) {
            if (r->pos >= r->len)
                return 0;
            r->buf[r->len++] = '\n'; /* in the padding at worst */
            r->lim = r->len;
            return 1;
        }
        if (r->pos) {
            memmove(r->buf, r->buf + r->pos, r->len - r->pos);
            r->len -= r->pos;
            r->base += r->pos;
            r->pos = r->lim = 0;
        }
        if (r->len >= LINE_MAX_BYTES)
            return 2;
        if (r->len == r->cap) {
            size_t ncap = r->cap * 2;
            char *nb = dltc__realloc(r->buf, ncap + LINE_PAD);
            if (!nb)
                return dltc__error_oom();
            memset(nb + r->cap, 0, ncap + LINE_PAD - r->cap);
            r->buf = nb;
            r->cap = ncap;
        }
        ssize_t n;
        do
            n = read(r->fd, r->buf + r->len, r->cap - r->len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return 2;
        if (n == 0)
            r->eof = 1;
        char *nl = n > 0 ? memrchr(r->buf + r->len, '\n', (size_t)n) : NULL;
        r->len += (size_t)n;
        if (nl)
            r->lim = (size_t)(nl - r->buf) + 1;
    }
    return 1;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = dltc__hex_digit((char)p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 0;
}

enum { STR_ESC = 1, STR_UTF8 = 2 };

/* The string whose text starts at s: *close = its closing quote, *flags what it holds.
 * -1 for what the reader refuses (bad escapes, lone surrogates, control characters; invalid
 * UTF-8 is for the caller to check with STR_UTF8) and for \u0000, which text cannot hold. */
static int scan_str(const unsigned char *s, const unsigned char **close, int *flags)
{
    const unsigned char *p = s;
    int f = 0;
    for (;;) {
        p = dltc__json_scan_plain(p);
        unsigned ch = *p;
        if (ch == '"')
            break;
        if (ch >= 0x80) {
            f |= STR_UTF8;
            p++;
            continue;
        }
        if (ch != '\\')
            return -1; /* a control character: the line's '\n' at the latest */
        f |= STR_ESC;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            continue;
        case 'u': {
            unsigned cp = 0, lo = 0;
            if (hex4(p + 2, &cp) || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                p += 12;
            } else {
                p += 6;
            }
            continue;
        }
        default:
            return -1;
        }
    }
    if ((f & STR_UTF8) && dltc__utf8_check((const char *)s, (size_t)(p - s)) != (size_t)(p - s))
        return -1;
    *close = p;
    *flags = f;
    return 0;
}

static const double k_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The number at p as the reader makes it (parse_number of formats/json_reader.c): INT (with
 * `lex`, except for "-0"), BIGINT (u.s = the text, not NUL-terminated) or DOUBLE (the same
 * correctly rounded value, `lex` = the text). The byte after it, or NULL for what the reader
 * refuses, and for a double text of 128 bytes or more (left to the general path). */
static const unsigned char *scan_number(const unsigned char *p, dltc_value *v)
{
    const unsigned char *start = p;
    int neg = *p == '-';
    p += neg;
    uint64_t m = 0;
    int nd = 0, inexact = 0;
    long exp10 = 0;
    if (*p == '0') {
        if (DIGIT(*++p))
            return NULL;
    } else if (DIGIT(*p)) {
        do {
            unsigned d = (unsigned)(*p - '0');
            if (nd < 19) {
                m = m * 10 + d;
                nd++;
            } else {
                exp10++;
                inexact |= d != 0;
            }
            p++;
        } while (DIGIT(*p));
    } else {
        return NULL;
    }
    size_t len;
    if (*p != '.' && (*p | 0x20) != 'e') {
        len = (size_t)(p - start);
        size_t digits = len - (size_t)neg;
        if (digits <= 18 || (digits == 19 && (m <= (uint64_t)INT64_MAX ||
                                              (neg && m == (uint64_t)INT64_MAX + 1)))) {
            dltc__value_set_type(v, DLTC_TYPE_INT);
            v->u.i = neg ? (int64_t)(0 - m) : (int64_t)m;
            if (m || !neg) {
                v->lex = (const char *)start;
                v->len = (uint32_t)len;
            }
        } else {
            dltc__value_set_type(v, DLTC_TYPE_BIGINT);
            v->u.s = (const char *)start;
            v->len = (uint32_t)len;
        }
        return p;
    }
    if (*p == '.') {
        if (!DIGIT(*++p))
            return NULL;
        do {
            unsigned d = (unsigned)(*p - '0');
            if (nd < 19) {
                if (m || d) {
                    m = m * 10 + d;
                    nd++;
                }
                exp10--;
            } else {
                inexact |= d != 0;
            }
            p++;
        } while (DIGIT(*p));
    }
    if ((*p | 0x20) == 'e') {
        p++;
        int eneg = *p == '-';
        if (*p == '-' || *p == '+')
            p++;
        if (!DIGIT(*p))
            return NULL;
        long x = 0;
        do {
            if (x < 100000)
                x = x * 10 + (*p - '0');
            p++;
        } while (DIGIT(*p));
        exp10 += eneg ? -x : x;
    }
    len = (size_t)(p - start);
    double d;
#if FLT_EVAL_METHOD == 0
    if (m == 0) {
        d = 0.0;
    } else if (!inexact && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        d = exp10 < 0 ? (double)m / k_pow10[-exp10] : (double)m * k_pow10[exp10];
    } else
#endif
    {
        char tmp[128];
        if (len >= sizeof(tmp))
            return NULL;
        memcpy(tmp, start, len);
        tmp[len] = '\0';
        d = fabs(dltc__json_strtod(tmp, NULL));
    }
    if (isinf(d))
        return NULL;
    dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
    v->u.d = neg ? -d : d;
    v->lex = (const char *)start;
    v->len = (uint32_t)len;
    return p;
}

static inline int two_digits(const char *s)
{
    return DIGIT(s[0]) && DIGIT(s[1]) ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

static int month_days(int y, int m)
{
    static const int k[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : k[m - 1];
}

/* "YYYY-MM-DD" (*is_date = 1, *val = days since the Unix epoch) or
 * "YYYY-MM-DD(T| )HH:MM:SS[(.|,)digits][Z|±HH:MM]" (µs since the Unix epoch in UTC), valid
 * dates and times only: what our writer emits. dltc__iso_parse reads these forms to the
 * same values; -1 for everything else, which it then decides on. */
static int quick_iso(const char *s, size_t len, int *is_date, int64_t *val)
{
    if (len < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y1 = two_digits(s), y2 = two_digits(s + 2), mo = two_digits(s + 5),
        d = two_digits(s + 8);
    if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || y1 * 100 + y2 < 1 ||
        d > month_days(y1 * 100 + y2, mo))
        return -1;
    int64_t days = dltc__days_from_civil(y1 * 100 + y2, (unsigned)mo, (unsigned)d);
    if (len == 10) {
        *is_date = 1;
        *val = days;
        return 0;
    }
    if (len < 19 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        return -1;
    int h = two_digits(s + 11), mi = two_digits(s + 14), se = two_digits(s + 17);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
        return -1;
    size_t i = 19;
    int64_t usec = 0;
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        int k = 0;
        for (i++; i < len && DIGIT(s[i]); i++) {
            if (k < 6) { /* microseconds: further digits are dropped */
                usec = usec * 10 + (s[i] - '0');
                k++;
            }
        }
        if (k == 0)
            return -1;
        for (; k < 6; k++)
            usec *= 10;
    }
    int64_t shift = 0;
    if (i + 1 == len && s[i] == 'Z') {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = two_digits(s + i + 1), om = two_digits(s + i + 4);
        if (oh < 0 || om < 0 || oh * 60 + om >= 24 * 60)
            return -1;
        shift = (s[i] == '+' ? 1 : -1) * (int64_t)(oh * 60 + om) * 60000000LL;
        i += 6;
    }
    if (i != len)
        return -1;
    int64_t us = days * 86400000000LL + ((int64_t)h * 3600 + mi * 60 + se) * 1000000 + usec -
                 shift;
    if (us < -62135596800000000LL || us >= 253402300800000000LL) /* as dltc__iso_parse */
        return -1;
    *is_date = 0;
    *val = us;
    return 0;
}

/* Just after the object or array that starts at p (a bracket scan that knows strings), or
 * NULL when the line ends first. dltc__json_parse checks the span. */
static const unsigned char *span_end(const unsigned char *p)
{
    size_t depth = 0;
    for (;;) {
        unsigned ch = *p++;
        if (ch == '"') {
            while ((ch = *p++) != '"') {
                if (ch < 0x20)
                    return NULL;
                if (ch == '\\' && *p++ < 0x20)
                    return NULL;
            }
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0)
                return p;
        } else if (ch == '\n') {
            return NULL;
        }
    }
}

/* Does the key text at p start with kt[0..n) (a plain column name and its closing quote)?
 * Whole 8-byte words are read: n <= 64, and the padding after the line covers them. */
static inline int key_is(const unsigned char *p, const char *kt, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (size_t i = 0; i < n; i += 8) {
        uint64_t a, b;
        memcpy(&a, p + i, 8);
        memcpy(&b, kt + i, 8);
        uint64_t x = a ^ b;
        if (n - i < 8)
            x &= ~0ULL >> (64 - 8 * (n - i));
        if (x)
            return 0;
    }
    return 1;
#else
    return memcmp(p, kt, n) == 0;
#endif
}

/* A string without escapes and non-ASCII bytes (the usual) as a text field, copied 16 bytes
 * at a time while it is scanned: 0 (*close = its closing quote), 1 for any other string
 * (nothing written), or an error. */
static int put_clean_text(dltc_buf *b, const unsigned char *s, const unsigned char **close)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"');
    const __m128i bs = _mm_set1_epi8('\\');
    const __m128i sp = _mm_set1_epi8(0x20);
    for (size_t n = 0;; n += 16) {
        if (b->cap - b->len <= 4 + n + 16 && dltc__buf_reserve(b, 4 + n + 16))
            return dltc__error_oom();
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + n));
        _mm_storeu_si128((__m128i *)(void *)(b->data + b->len + 4 + n), v);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                 _mm_cmplt_epi8(v, sp));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) {
            n += (size_t)__builtin_ctz(mask);
            if (s[n] != '"')
                return 1;
            put_be32(b->data + b->len, (uint32_t)n);
            b->len += 4 + n;
            *close = s + n;
            return 0;
        }
    }
#else
    (void)b, (void)s, (void)close;
    return 1;
#endif
}

static inline int put_null(dltc_buf *b)
{
    if (room(b, 4))
        return dltc__error_oom();
    put_be32(b->data + b->len, 0xFFFFFFFFu);
    b->len += 4;
    return 0;
}

/* The value at *pp as column c's binary field (*pp moves past it): 0, SCAN_BAIL, or an
 * error. */
static int scan_value(jsonl_job *j, size_t c, const unsigned char **pp)
{
    encoder *e = &j->e;
    dltc_buf *b = &j->s.out;
    const unsigned char *p = *pp;
    pkind k = e->kind[c];
    dltc_value v;
    char *o;
    switch (*p) {
    case '"': {
        const unsigned char *s = p + 1, *close = s;
        int f, rc;
        if (k == PK_TEXT && (rc = put_clean_text(b, s, &close)) <= 0) {
            *pp = close + 1;
            return rc;
        }
        if (scan_str(s, &close, &f))
            return SCAN_BAIL;
        size_t raw = (size_t)(close - s), n;
        *pp = close + 1;
        if (k == PK_TEXT) {
            if (room(b, 4 + raw))
                return dltc__error_oom();
            o = b->data + b->len;
            if (f & STR_ESC) {
                n = dltc__json_unescape(o + 4, s, close);
            } else {
                memcpy(o + 4, s, raw);
                n = raw;
            }
            put_be32(o, (uint32_t)n);
            b->len += 4 + n;
            return 0;
        }
        int is_date;
        int64_t x;
        if (!(f & STR_ESC) && (k == PK_DATE || k == PK_TIMESTAMP || k == PK_TIMESTAMPTZ) &&
            quick_iso((const char *)s, raw, &is_date, &x) == 0 && (k != PK_DATE || is_date)) {
            if (room(b, 12))
                return dltc__error_oom();
            o = b->data + b->len;
            if (k == PK_DATE) {
                put_be32(o, 4);
                put_be32(o + 4, (uint32_t)(int32_t)(x - PG_EPOCH_DAYS));
                b->len += 8;
            } else {
                put_be32(o, 8);
                put_be64(o + 4, (uint64_t)((is_date ? x * 86400000000LL : x) - PG_EPOCH_US));
                b->len += 12;
            }
            return 0;
        }
        /* other kinds: the string value the reader would have made */
        dltc__buf_clear(&j->tmp);
        if (dltc__buf_reserve(&j->tmp, raw))
            return dltc__error_oom();
        if (f & STR_ESC) {
            n = dltc__json_unescape(j->tmp.data, s, close);
        } else {
            memcpy(j->tmp.data, s, raw);
            n = raw;
        }
        j->tmp.data[n] = '\0';
        dltc__value_set_type(&v, DLTC_TYPE_STRING);
        v.u.s = j->tmp.data;
        v.len = (uint32_t)n;
        v.flags = (f & STR_ESC) ? DLTC_VF_ESCAPED : DLTC_VF_CLEAN;
        break;
    }
    case 'n':
        if (memcmp(p, "null", 4) != 0)
            return SCAN_BAIL;
        *pp = p + 4;
        return put_null(b);
    case 't':
    case 'f': {
        int yes = *p == 't';
        if (yes ? memcmp(p, "true", 4) != 0 : memcmp(p, "false", 5) != 0)
            return SCAN_BAIL;
        *pp = p + (yes ? 4 : 5);
        if (k == PK_BOOL) {
            if (room(b, 5))
                return dltc__error_oom();
            o = b->data + b->len;
            put_be32(o, 1);
            o[4] = (char)yes;
            b->len += 5;
            return 0;
        }
        dltc__value_set_type(&v, DLTC_TYPE_BOOL);
        v.u.i = yes;
        break;
    }
    case '{':
    case '[': {
        /* json columns: the span parsed alone (the row is one level of nesting) */
        const unsigned char *end = span_end(p);
        dltc_value *nested;
        if (!end)
            return SCAN_BAIL;
        dltc__arena_reset(&j->arena);
        if (dltc__json_parse(&j->arena, (const char *)p, (size_t)(end - p), 511, &nested, NULL))
            return SCAN_BAIL;
        *pp = end;
        v = *nested;
        break;
    }
    default: {
        const unsigned char *end = scan_number(p, &v);
        if (!end)
            return SCAN_BAIL;
        *pp = end;
        if (v.type == DLTC_TYPE_INT && (k == PK_INT2 || k == PK_INT4 || k == PK_INT8)) {
            int64_t x = v.u.i;
            if ((k == PK_INT2 && (x < INT16_MIN || x > INT16_MAX)) ||
                (k == PK_INT4 && (x < INT32_MIN || x > INT32_MAX)))
                return SCAN_BAIL;
            if (room(b, 12))
                return dltc__error_oom();
            o = b->data + b->len;
            if (k == PK_INT2) {
                put_be32(o, 2);
                put_be16(o + 4, (uint16_t)x);
                b->len += 6;
            } else if (k == PK_INT4) {
                put_be32(o, 4);
                put_be32(o + 4, (uint32_t)x);
                b->len += 8;
            } else {
                put_be32(o, 8);
                put_be64(o + 4, (uint64_t)x);
                b->len += 12;
            }
            return 0;
        }
        if ((v.type == DLTC_TYPE_INT || v.type == DLTC_TYPE_DOUBLE) &&
            (k == PK_FLOAT4 || k == PK_FLOAT8)) {
            double x = v.type == DLTC_TYPE_DOUBLE ? v.u.d : (double)v.u.i;
            if (room(b, 12))
                return dltc__error_oom();
            o = b->data + b->len;
            if (k == PK_FLOAT4) {
                float fl = (float)x;
                uint32_t u;
                memcpy(&u, &fl, 4);
                put_be32(o, 4);
                put_be32(o + 4, u);
                b->len += 8;
            } else {
                uint64_t u;
                memcpy(&u, &x, 8);
                put_be32(o, 8);
                put_be64(o + 4, u);
                b->len += 12;
            }
            return 0;
        }
        if (v.type == DLTC_TYPE_BIGINT) { /* the reader's copy is NUL-terminated */
            dltc__buf_clear(&j->tmp);
            if (dltc__buf_put(&j->tmp, v.u.s, v.len))
                return dltc__error_oom();
            v.u.s = j->tmp.data;
        }
        break;
    }
    }
    int rc = encode_binary(e, b, c, &v);
    if (rc == DLTC_ENOMEM)
        return dltc__error_oom();
    return rc ? SCAN_BAIL : 0;
}

/* The row's fields into column order, NULL for the missing columns. */
static int finish_row(jsonl_job *j, size_t row, int inorder, size_t next)
{
    encoder *e = &j->e;
    dltc_buf *b = &j->s.out;
    if (inorder) { /* the usual case: only a tail of columns may be missing */
        for (size_t c = next; c < e->ncols; c++)
            if (put_null(b))
                return DLTC_ENOMEM;
        return 0;
    }
    size_t body = row + 2;
    dltc__buf_clear(&j->reord);
    if (dltc__buf_put(&j->reord, b->data + body, b->len - body) ||
        room(b, j->reord.len + 4 * e->ncols))
        return dltc__error_oom();
    b->len = body;
    for (size_t c = 0; c < e->ncols; c++) {
        if (j->seen[c] != j->stamp) {
            put_be32(b->data + b->len, 0xFFFFFFFFu);
            b->len += 4;
        } else {
            memcpy(b->data + b->len, j->reord.data + j->off[c] - 2, j->flen[c]);
            b->len += j->flen[c];
        }
    }
    return 0;
}

/* One line that starts with '{' straight into a binary COPY row: SCAN_OK (*end = the line's
 * '\n'), SCAN_BAIL (nothing written; the general path reads the line), or an error. */
static int scan_row(jsonl_job *j, const unsigned char *p, const unsigned char **end)
{
    encoder *e = &j->e;
    dltc_buf *b = &j->s.out;
    size_t row = b->len, m = 0, next = 0;
    int inorder = 1, rc;
    j->stamp++;
    if (room(b, 2))
        return dltc__error_oom();
    put_be16(b->data + row, (uint16_t)e->ncols);
    b->len += 2;
    p++;
    SKIP_SP(p);
    if (*p != '}') {
        for (;; m++) {
            if (*p != '"')
                goto bail;
            const unsigned char *key = p + 1, *kend;
            size_t c = m < j->nhint ? j->hint[m] : SIZE_MAX;
            if (c != SIZE_MAX && j->plain[c] && key_is(key, j->kt + c * KEY_SLOT, e->nlen[c] + 1)) {
                kend = key + e->nlen[c]; /* the column of the hint */
            } else {
                int f;
                if (scan_str(key, &kend, &f) || (f & STR_ESC))
                    goto bail;
                size_t klen = ident_len((const char *)key, (size_t)(kend - key));
                if ((rc = grow_hint(j, m + 1)) != 0)
                    return rc;
                c = j->hint[m];
                if (c == SIZE_MAX || e->nlen[c] != klen || memcmp(e->name[c], key, klen) != 0) {
                    if (!dltc__strmap_get(&j->bykey, (const char *)key, klen, &c))
                        c = SIZE_MAX;
                    else
                        j->hint[m] = c;
                }
            }
            p = kend + 1;
            SKIP_SP(p);
            if (*p++ != ':')
                goto bail;
            SKIP_SP(p);
            if (c == SIZE_MAX) { /* a key the table lacks: only null is fine */
                if (memcmp(p, "null", 4) != 0)
                    goto bail;
                p += 4;
                goto member_end;
            }
            if (j->seen[c] == j->stamp) /* a duplicate key */
                goto bail;
            j->seen[c] = j->stamp;
            inorder &= c == next;
            next = c + 1;
            j->off[c] = b->len - row;
            if ((rc = scan_value(j, c, &p)) != 0) {
                if (rc < 0)
                    return rc;
                goto bail;
            }
            j->flen[c] = b->len - row - j->off[c];
        member_end:
            SKIP_SP(p);
            if (*p == '}')
                break;
            if (*p++ != ',')
                goto bail;
            SKIP_SP(p);
        }
    }
    p++;
    SKIP_SP(p);
    if (*p != '\n')
        goto bail;
    *end = p;
    return finish_row(j, row, inorder, next);
bail:
    b->len = row;
    return SCAN_BAIL;
}

/* The file line by line: the scanner, else our JSON reader for that line (dltc__json_parse
 * gives the item the streaming reader would). What a line alone cannot tell (a line that does
 * not parse may be part of an item over several lines; a top-level array; a byte order mark
 * past the start; an overlong line) hands the rest of the file to the streaming reader,
 * which then reads it as it always did: the same rows and errors as without the scanner. */
static int load_lines(jsonl_job *j, line_reader *r)
{
    uint64_t line = 0;
    int rc = 0, started = 0;
    for (;;) {
        int got = lines_fill(r);
        if (got <= 0)
            return got;
        line++;
        if (got == 2)
            break;
        const unsigned char *p = (const unsigned char *)r->buf + r->pos, *end = p;
        uint64_t off = r->base + r->pos;
        j->e.line = line;
        if (*p == '{') {
            rc = scan_row(j, p, &end);
            if (rc == SCAN_OK) {
                j->sent++;
                r->pos = (size_t)(end - (const unsigned char *)r->buf) + 1;
                if ((rc = copy_maybe_flush(&j->s)) != 0)
                    return rc;
                started = 1;
                continue;
            }
            if (rc < 0)
                return rc;
        }
        end = memchr(p, '\n', r->lim - r->pos);
        size_t len = (size_t)(end - p);
        r->pos += len + 1;
        size_t i = off == 0 && len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i == len)
            continue;
        if ((!started && p[i] == '[') || (off != 0 && p[0] == 0xEF))
            break;
        started = 1;
        dltc_value *item;
        dltc__arena_reset(&j->arena);
        rc = dltc__json_parse(&j->arena, (const char *)p, len, 0, &item, NULL);
        if (rc == DLTC_EPARSE || rc == DLTC_ELIMIT)
            break;
        if (!rc)
            rc = map_item(j, item);
        if (rc)
            return rc;
    }
    /* the streaming reader from this line on */
    lines_close(r);
    dltc_json_reader *rd = NULL;
    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    rc = dltc__json_reader_open_file(&rd, j->path, &ro);
    if (!rc)
        rc = load_items(j, rd, line);
    dltc__json_reader_free(rd);
    return rc;
}

/* jsonl → COPY: binary (the figures at the top of the file), or text when the table has a
 * column type the binary encoder does not write, or with DLTC_PG_COPY=text. Keys map to the
 * table's columns as the server names them (63 bytes); a key the table lacks is an error
 * unless its value is null. Binary rows are read by the scanner above (DLTC_PG_JSONL=reader:
 * all by our JSON reader, so tests can compare the two). */
/* Free a job (its COPY already ended). */
static void job_free(jsonl_job *j)
{
    if (!j)
        return;
    dltc__free(j->hint);
    dltc__arena_free(&j->arena);
    dltc__buf_free(&j->tmp);
    dltc__buf_free(&j->reord);
    dltc__buf_free(&j->e.scratch);
    dltc__buf_free(&j->s.out);
    dltc__free(j->e.bytes);
    dltc__free(j->e.kind);
    dltc__free(j->e.name);
    dltc__free(j->e.nlen);
    dltc__free(j->slot);
    dltc__free(j->plain);
    dltc__free(j->kt);
    dltc__free(j->seen);
    dltc__free(j->off);
    dltc__free(j->flen);
    dltc__strmap_free(&j->bykey);
    dltc__table_free(j->own);
    dltc__free(j->dataset);
    dltc__free(j);
}

/* A job for table t (copied into the job: it may outlive the caller's) and its COPY begun. */
static int job_start(pg_dest *d, const char *dataset, const dltc_table *src, const char *path,
                     jsonl_job **out)
{
    *out = NULL;
    dbcol *dbc = NULL;
    size_t ndb = 0;
    int exists = 0;
    int rc = table_info(d, dataset, src->name, &dbc, &ndb, &exists);
    if (rc)
        return rc;
    if (!exists) {
        dbcols_free(dbc, ndb);
        return dltc__error_set(DLTC_ENOTFOUND, "%s: table %s%s%s does not exist", path,
                               dataset ? dataset : "", dataset ? "." : "", src->name);
    }
    jsonl_job *j = dltc__calloc(1, sizeof(*j));
    if (!j) {
        dbcols_free(dbc, ndb);
        return dltc__error_oom();
    }
    encoder *e = &j->e;
    e->path = j->path = path;
    dltc__arena_init(&j->arena, 64u * 1024u);
    rc = dltc__table_clone(src, &j->own);
    if (!rc && dataset && !(j->dataset = dltc__strdup(dataset)))
        rc = dltc__error_oom();
    const dltc_table *t = j->t = j->own;
    dltc_strmap dbmap = DLTC_STRMAP_INIT; /* database column name -> index */
    dltc_buf sql = DLTC_BUF_INIT;
    size_t nc = rc ? 0 : t->ncols + 1;
    if (!rc) {
        e->kind = dltc__calloc(nc, sizeof(*e->kind));
        e->name = dltc__calloc(nc, sizeof(*e->name));
        e->nlen = dltc__calloc(nc, sizeof(*e->nlen));
        j->slot = dltc__calloc(nc, sizeof(*j->slot));
        j->plain = dltc__calloc(nc, sizeof(*j->plain));
        j->kt = dltc__calloc(nc, KEY_SLOT);
        j->seen = dltc__calloc(nc, sizeof(*j->seen));
        j->off = dltc__calloc(nc, sizeof(*j->off));
        j->flen = dltc__calloc(nc, sizeof(*j->flen));
        if (!e->kind || !e->name || !e->nlen || !j->slot || !j->plain || !j->kt || !j->seen ||
            !j->off || !j->flen)
            rc = dltc__error_oom();
    }
    for (size_t i = 0; !rc && i < ndb; i++)
        rc = dltc__strmap_put(&dbmap, dbc[i].name, strlen(dbc[i].name), i);
    /* the COPY columns: the complete columns of t that the database table has */
    const char *force = getenv("DLTC_PG_COPY");
    e->binary = !(force && !strcmp(force, "text"));
    for (size_t i = 0; !rc && i < t->ncols; i++) {
        const dltc_column *c = &t->cols[i];
        size_t k, nlen = ident_len(c->name, strlen(c->name));
        if (c->data_type == DLTC_DT_UNSET || !dltc__strmap_get(&dbmap, c->name, nlen, &k))
            continue;
        e->kind[e->ncols] = kind_of(dbc[k].oid);
        e->name[e->ncols] = c->name;
        e->nlen[e->ncols] = nlen;
        j->plain[e->ncols] = nlen == strlen(c->name) && dltc__utf8_check(c->name, nlen) == nlen;
        for (size_t b = 0; b < nlen; b++)
            if ((unsigned char)c->name[b] < 0x20 || c->name[b] == '"' || c->name[b] == '\\')
                j->plain[e->ncols] = 0;
        if (j->plain[e->ncols]) {
            memcpy(j->kt + e->ncols * KEY_SLOT, c->name, nlen);
            j->kt[e->ncols * KEY_SLOT + nlen] = '"';
        }
        if (!binary_kind(e->kind[e->ncols]))
            e->binary = 0;
        rc = dltc__strmap_put(&j->bykey, c->name, nlen, e->ncols);
        if (!rc)
            rc = dltc__buf_puts(&sql, e->ncols ? ", " : "");
        if (!rc)
            rc = dltc__sql_ident(&sql, c->name);
        e->ncols++;
    }
    if (!rc && e->ncols == 0)
        rc = dltc__error_set(DLTC_EINVALID, "%s: table %s has no columns to load", path, t->name);
    if (!rc) {
        dltc_buf head = DLTC_BUF_INIT;
        rc = dltc__buf_puts(&head, "COPY ");
        if (!rc)
            rc = put_target(&head, dataset, t->name);
        if (!rc)
            rc = dltc__buf_printf(&head, " (%s) FROM STDIN WITH (FORMAT %s)", sql.data,
                                  e->binary ? "binary" : "text");
        if (!rc)
            rc = copy_begin(&j->s, d, head.data, path);
        dltc__buf_free(&head);
    }
    if (!rc && e->binary) {
        static const char sig[] = "PGCOPY\n\377\r\n";
        rc = dltc__buf_put(&j->s.out, sig, 11);
        if (!rc)
            rc = dltc__buf_put(&j->s.out, "\0\0\0\0\0\0\0\0", 8); /* flags, extension length */
    }
    dltc__buf_free(&sql);
    dltc__strmap_free(&dbmap);
    dbcols_free(dbc, ndb);
    if (rc) {
        copy_end(&j->s, 1, NULL);
        job_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

/* The rows of one file into the job's COPY. */
static int job_file(jsonl_job *j, const char *path)
{
    j->path = j->e.path = j->s.path = path;
    const char *how = getenv("DLTC_PG_JSONL");
    int rc = 0;
    if (j->e.binary && !(how && !strcmp(how, "reader"))) {
        line_reader lr = {.fd = -1};
        rc = lines_open(&lr, path);
        if (!rc)
            rc = load_lines(j, &lr);
        lines_close(&lr);
    } else {
        dltc_json_reader *rd = NULL;
        dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
        rc = dltc__json_reader_open_file(&rd, path, &ro);
        if (!rc)
            rc = load_items(j, rd, 0);
        dltc__json_reader_free(rd);
    }
    return rc;
}

/* End the job's COPY (aborted when `failed`: the last error says why) and free it. */
static int job_end(jsonl_job *j, int failed)
{
    int rc = 0;
    if (!failed && j->e.binary)
        rc = dltc__buf_put(&j->s.out, "\377\377", 2); /* trailer */
    uint64_t n = 0;
    int erc = copy_end(&j->s, failed || rc, &n);
    if (!rc)
        rc = erc;
    if (!rc && !failed && n != j->sent)
        rc = dltc__error_set(DLTC_EDATABASE, "%s: the server took %" PRIu64 " rows of %" PRIu64,
                             j->path, n, j->sent);
    job_free(j);
    return rc;
}

/* Complete the COPY a load left open for more files (before any other statement). */
static int finish_open(pg_dest *d)
{
    jsonl_job *j = d->open;
    d->open = NULL;
    return j ? job_end(j, 0) : 0;
}

/* Another file for the open COPY: the same target and the same columns. */
static int continues(const jsonl_job *j, const char *dataset, const dltc_table *t)
{
    const dltc_table *o = j->own;
    if ((!dataset) != (!j->dataset) || (dataset && strcmp(dataset, j->dataset)) ||
        strcmp(o->name, t->name) || o->ncols != t->ncols)
        return 0;
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(o->cols[i].name, t->cols[i].name) ||
            o->cols[i].data_type != t->cols[i].data_type)
            return 0;
    return 1;
}

/* jsonl → COPY: binary (the figures at the top of the file), or text when the table has a
 * column type the binary encoder does not write, or with DLTC_PG_COPY=text. Keys map to the
 * table's columns as the server names them (63 bytes); a key the table lacks is an error
 * unless its value is null. Binary rows are read by the scanner above (DLTC_PG_JSONL=reader:
 * all by our JSON reader, so tests can compare the two). With `more` the COPY stays open
 * for the next file of the same table and columns: PG 15 takes 1M rows as one COPY in
 * 0.75 s of server time, as 16 COPYs of 64K rows in 1.06 s (its bulk-insert buffer ring
 * starts over with every statement). */
static int load_jsonl(pg_dest *d, const char *dataset, const dltc_table *t, const char *path,
                      int more, uint64_t *rows)
{
    jsonl_job *j = d->open;
    d->open = NULL;
    int rc = 0;
    if (j && !continues(j, dataset, t)) {
        rc = job_end(j, 0);
        j = NULL;
    }
    if (!rc && !j)
        rc = job_start(d, dataset, t, path, &j);
    if (rc)
        return rc;
    uint64_t before = j->sent;
    rc = job_file(j, path);
    if (rc) {
        job_end(j, 1);
        return rc;
    }
    *rows += j->sent - before;
    if (more) {
        d->open = j;
        return 0;
    }
    return job_end(j, 0);
}

/* ---- insert_values files ----
 *
 * Postgres takes multi-row INSERT … VALUES slowly: 1M flat rows in batches of 256 KiB took
 * ~30 s (≈30 µs a row in the server's parse/analyze), COPY of the same rows ~1.5 s. So our
 * writer's literals are turned into COPY text rows on the client: NULL, TRUE/FALSE, bare
 * numbers, '…' and E'…' strings, from_base64('…'). A file whose first row holds anything
 * else (not written by our writer) runs as INSERT statements instead, rewritten for
 * Postgres; so does every file with DLTC_PG_INSERT=sql. */

/* One row line of an insert_values file for Postgres: from_base64('…') (DuckDB) becomes
 * decode('…', 'base64'); everything else is Postgres SQL already (E'…' strings, bare
 * numbers, '<ISO>' literals the INSERT casts to the column types). */
static int rewrite_row(dltc_buf *b, const char *s, size_t len)
{
    static const char fb[] = "from_base64('";
    const size_t fblen = sizeof(fb) - 1;
    size_t i = 0, run = 0;
    int rc = 0;
    while (!rc && i < len) {
        char c = s[i];
        if (c == '\'' || (c == 'E' && i + 1 < len && s[i + 1] == '\'')) {
            /* a string literal: E'…' has backslash escapes; '' is a quote in both */
            int e = c == 'E';
            i += e ? 2 : 1;
            while (i < len) {
                if (e && s[i] == '\\' && i + 1 < len) {
                    i += 2;
                } else if (s[i] == '\'') {
                    if (i + 1 < len && s[i + 1] == '\'')
                        i += 2;
                    else
                        break;
                } else {
                    i++;
                }
            }
            i++; /* the closing quote */
            continue;
        }
        if (c == 'f' && len - i >= fblen && !memcmp(s + i, fb, fblen)) {
            rc = dltc__buf_put(b, s + run, i - run);
            size_t j = i + fblen;
            const char *q = memchr(s + j, '\'', len - j); /* base64 holds no quote */
            if (!q || (size_t)(q - s) + 1 >= len || q[1] != ')')
                return dltc__error_set(DLTC_EPARSE, "from_base64( without its closing ')");
            if (!rc)
                rc = dltc__buf_puts(b, "decode('");
            if (!rc)
                rc = dltc__buf_put(b, s + j, (size_t)(q - (s + j)));
            if (!rc)
                rc = dltc__buf_puts(b, "', 'base64')");
            i = (size_t)(q - s) + 2;
            run = i;
            continue;
        }
        i++;
    }
    if (!rc && run < len)
        rc = dltc__buf_put(b, s + run, len - run);
    return rc;
}

#define INSERT_BATCH (256u << 10)

static int run_insert(pg_dest *d, const char *sql, const char *path, uint64_t *rows)
{
    PGresult *r = p_PQexec(d->conn, sql);
    int rc = 0;
    if (r && p_PQresultStatus(r) == PGRES_COMMAND_OK) {
        const char *n = p_PQcmdTuples(r);
        if (rows && n && *n)
            *rows += strtoull(n, NULL, 10);
    } else {
        dltc_buf pre = DLTC_BUF_INIT;
        where_prefix(&pre, d, path);
        rc = check_result(d, r, pre.data);
        if (!rc)
            rc = dltc__error_set(DLTC_EDATABASE, "%sthe INSERT did not run", pre.data);
        dltc__buf_free(&pre);
    }
    p_PQclear(r);
    return rc;
}

static int insert_statements(pg_dest *d, const char *dataset, const dltc_table *t,
                             const char *path, uint64_t *rows)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    dltc_buf head = DLTC_BUF_INIT, stmt = DLTC_BUF_INIT;
    int rc = 0, ended = 0;
    uint64_t lineno = 1;
    len = getline(&line, &cap, f);
    if (len < 15 || memcmp(line, "INSERT INTO {}(", 15) != 0)
        rc = dltc__error_set(DLTC_EPARSE, "%s:1: not an insert_values file", path);
    if (!rc)
        rc = dltc__buf_puts(&head, "INSERT INTO ");
    if (!rc)
        rc = put_target(&head, dataset, t->name);
    if (!rc)
        rc = dltc__buf_put(&head, line + 14, (size_t)len - 14);
    if (!rc) {
        len = getline(&line, &cap, f);
        lineno++;
        if (len < 6 || memcmp(line, "VALUES", 6) != 0)
            rc = dltc__error_set(DLTC_EPARSE, "%s:2: VALUES expected", path);
        else
            rc = dltc__buf_puts(&head, "VALUES\n");
    }
    while (!rc && !ended && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        char last = line[len - 1];
        if (line[0] != '(' || (last != ',' && last != ';')) {
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": a row line must be (…), or (…);",
                                 path, lineno);
            break;
        }
        ended = last == ';';
        rc = stmt.len ? dltc__buf_puts(&stmt, ",\n") : dltc__buf_put(&stmt, head.data, head.len);
        if (!rc && (rc = rewrite_row(&stmt, line, (size_t)len - 1)))
            dltc__error_prefix("%s:%" PRIu64 ": ", path, lineno);
        if (!rc && (stmt.len >= INSERT_BATCH || ended)) {
            rc = run_insert(d, stmt.data, path, rows);
            dltc__buf_clear(&stmt);
        }
    }
    if (!rc && ferror(f))
        rc = dltc__error_set(DLTC_EIO, "%s: read failed", path);
    if (!rc && !ended)
        rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": the file ends before the final ';'",
                             path, lineno);
    free(line);
    fclose(f);
    dltc__buf_free(&head);
    dltc__buf_free(&stmt);
    return rc;
}

/* The header "INSERT INTO {}("a","b")": its column names. 1 when it is not one. */
static int iv_header(const char *line, size_t len, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    size_t i = 15;
    if (len < 15 || memcmp(line, "INSERT INTO {}(", 15) != 0)
        return 1;
    dltc_buf name = DLTC_BUF_INIT;
    int rc = 0;
    for (;;) {
        if (i >= len || line[i] != '"') {
            rc = 1;
            break;
        }
        dltc__buf_clear(&name);
        for (i++; !rc; i++) {
            if (i >= len) {
                rc = 1;
            } else if (line[i] == '"' && i + 1 < len && line[i + 1] == '"') {
                rc = dltc__buf_putc(&name, '"');
                i++;
            } else if (line[i] == '"') {
                break;
            } else {
                rc = dltc__buf_putc(&name, line[i]);
            }
        }
        if (rc)
            break;
        char **nn = dltc__realloc(*names, (*n + 1) * sizeof(char *));
        if (!nn || !(nn[*n] = dltc__strndup(name.data ? name.data : "", name.len))) {
            if (nn)
                *names = nn;
            rc = dltc__error_oom();
            break;
        }
        *names = nn;
        (*n)++;
        i++; /* the closing quote */
        if (i < len && line[i] == ',') {
            i++;
            continue;
        }
        while (len > i && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (i + 1 != len || line[i] != ')')
            rc = 1;
        break;
    }
    dltc__buf_free(&name);
    if (rc) {
        for (size_t k = 0; k < *n; k++)
            dltc__free((*names)[k]);
        dltc__free(*names);
        *names = NULL;
        *n = 0;
    }
    return rc;
}

/* A byte of a string value in COPY text form. */
static inline int copy_byte(dltc_buf *b, char c)
{
    switch (c) {
    case '\\': return dltc__buf_put(b, "\\\\", 2);
    case '\n': return dltc__buf_put(b, "\\n", 2);
    case '\r': return dltc__buf_put(b, "\\r", 2);
    case '\t': return dltc__buf_put(b, "\\t", 2);
    default: return dltc__buf_putc(b, c);
    }
}

/* One row line "(lit,…)" (without its ',' or ';') as a COPY text line. 1 when the line
 * holds something our writer does not write (nothing is appended then); errors < 0. */
static int iv_row_to_copy(dltc_buf *out, const char *s, size_t len, const pkind *kinds,
                          size_t ncols, dltc_buf *bytes)
{
    static const char fb[] = "from_base64('";
    const size_t fblen = sizeof(fb) - 1;
    size_t start = out->len, i = 1, col = 0;
    int rc = 0;
    if (len < 2 || s[0] != '(' || s[len - 1] != ')')
        return 1;
    len--; /* the closing parenthesis */
    while (!rc) {
        if (col >= ncols) {
            rc = 1;
            break;
        }
        if (col)
            rc = dltc__buf_putc(out, '\t');
        const char *p = s + i;
        size_t left = len - i;
        if (rc) {
        } else if (left >= 4 && !memcmp(p, "NULL", 4)) {
            rc = dltc__buf_put(out, "\\N", 2);
            i += 4;
        } else if (left >= 4 && !memcmp(p, "TRUE", 4)) {
            rc = dltc__buf_put(out, "true", 4);
            i += 4;
        } else if (left >= 5 && !memcmp(p, "FALSE", 5)) {
            rc = dltc__buf_put(out, "false", 5);
            i += 5;
        } else if (left && (*p == '-' || (*p >= '0' && *p <= '9'))) {
            size_t k = 0;
            int integral = 1;
            while (k < left && p[k] != ',') {
                char c = p[k];
                if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
                      c == 'E')) {
                    rc = 1;
                    break;
                }
                integral &= (c >= '0' && c <= '9') || (k == 0 && c == '-');
                k++;
            }
            pkind kd = kinds ? kinds[col] : PK_OTHER;
            if (!rc && !integral && (kd == PK_INT2 || kd == PK_INT4 || kd == PK_INT8)) {
                /* "1.0" or "1e3" into an integer column: INSERT casts, COPY would not */
                char tmp[64];
                snprintf(tmp, sizeof(tmp), "%.*s", (int)(k < 63 ? k : 63), p);
                double x = dltc__json_strtod(tmp, NULL);
                if (x >= -9.2e18 && x <= 9.2e18 && x == (double)(int64_t)x)
                    rc = dltc__json_write_int(out, (int64_t)x);
                else
                    rc = dltc__buf_put(out, p, k);
            } else if (!rc) {
                rc = dltc__buf_put(out, p, k);
            }
            i += k;
        } else if (left >= fblen && !memcmp(p, fb, fblen)) {
            const char *q = memchr(p + fblen, '\'', left - fblen);
            if (!q || (size_t)(q - p) + 1 >= left || q[1] != ')') {
                rc = 1;
                break;
            }
            size_t n64 = (size_t)(q - (p + fblen));
            dltc__buf_clear(bytes);
            rc = dltc__buf_reserve(bytes, 3 * ((n64 + 3) / 4) + 1);
            long n = rc ? 0 : dltc__base64_decode(p + fblen, n64, (uint8_t *)bytes->data);
            if (!rc && n < 0)
                rc = 1;
            if (!rc)
                rc = dltc__buf_reserve(out, 3 + 2 * (size_t)n);
            if (!rc) {
                static const char hex[] = "0123456789abcdef";
                char *o = out->data + out->len;
                *o++ = '\\';
                *o++ = '\\';
                *o++ = 'x';
                for (long k = 0; k < n; k++) {
                    unsigned char c = (unsigned char)bytes->data[k];
                    *o++ = hex[c >> 4];
                    *o++ = hex[c & 15];
                }
                out->len = (size_t)(o - out->data);
                out->data[out->len] = '\0';
            }
            i = (size_t)(q - s) + 2;
        } else if (left >= 2 && (*p == '\'' || (*p == 'E' && p[1] == '\''))) {
            /* '…' (quotes doubled) or E'…' (and backslash escapes) */
            int e = *p == 'E';
            i += e ? 2 : 1;
            for (;;) {
                if (i >= len) {
                    rc = 1;
                    break;
                }
                char c = s[i];
                if (c == '\'') {
                    if (i + 1 < len && s[i + 1] == '\'') {
                        rc = dltc__buf_putc(out, '\'');
                        i += 2;
                        if (rc)
                            break;
                        continue;
                    }
                    i++;
                    break;
                }
                if (e && c == '\\' && i + 1 < len) {
                    char x = s[i + 1];
                    i += 2;
                    switch (x) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'f': c = '\f'; break;
                    case 'x': {
                        int h1 = i < len ? dltc__hex_digit(s[i]) : -1;
                        if (h1 < 0) {
                            c = 'x';
                            break;
                        }
                        int v = h1;
                        i++;
                        int h2 = i < len ? dltc__hex_digit(s[i]) : -1;
                        if (h2 >= 0) {
                            v = v * 16 + h2;
                            i++;
                        }
                        if (v == 0)
                            rc = dltc__error_set(DLTC_EINVALID,
                                                 "a NUL character cannot be stored in text");
                        c = (char)v;
                        break;
                    }
                    default:
                        if (x >= '0' && x <= '7') { /* octal: not written by our writer */
                            rc = 1;
                            break;
                        }
                        c = x;
                        break;
                    }
                    if (rc)
                        break;
                } else {
                    i++;
                }
                if ((rc = copy_byte(out, c)))
                    break;
            }
            if (!rc && i + 12 <= len && !memcmp(s + i, "||chr(0)||E'", 12))
                rc = dltc__error_set(DLTC_EINVALID, "a NUL character cannot be stored in text");
        } else {
            rc = 1;
        }
        if (rc)
            break;
        col++;
        if (i == len)
            break;
        if (s[i] != ',') {
            rc = 1;
            break;
        }
        i++;
    }
    if (!rc && col != ncols)
        rc = 1;
    if (!rc)
        rc = dltc__buf_putc(out, '\n');
    if (rc) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

/* 1 (nothing loaded) when the file is not our writer's: the caller runs the statements. */
static int copy_insert_values(pg_dest *d, const char *dataset, const dltc_table *t,
                              const char *path, uint64_t *rows)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, ncols = 0;
    ssize_t len;
    char **names = NULL;
    pkind *kinds = NULL;
    dltc_buf sql = DLTC_BUF_INIT, bytes = DLTC_BUF_INIT;
    copy_stream s;
    memset(&s, 0, sizeof(s));
    int rc = 0, ended = 0;
    uint64_t lineno = 1;
    len = getline(&line, &cap, f);
    rc = len > 0 ? iv_header(line, (size_t)len, &names, &ncols) : 1;
    if (!rc) {
        len = getline(&line, &cap, f);
        lineno++;
        if (len < 6 || memcmp(line, "VALUES", 6) != 0)
            rc = 1;
    }
    /* the column types: numbers for integer columns may need a cast */
    if (!rc)
        rc = column_kinds(d, dataset, t->name, names, ncols, path, &kinds);
    if (!rc)
        rc = dltc__buf_puts(&sql, "COPY ");
    if (!rc)
        rc = put_target(&sql, dataset, t->name);
    for (size_t i = 0; !rc && i < ncols; i++) {
        rc = dltc__buf_puts(&sql, i ? ", " : " (");
        if (!rc)
            rc = dltc__sql_ident(&sql, names[i]);
    }
    if (!rc)
        rc = dltc__buf_puts(&sql, ") FROM STDIN WITH (FORMAT text)");
    int first = 1;
    while (!rc && !ended && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        char last = line[len - 1];
        if (last != ',' && last != ';') {
            rc = first ? 1 : dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": a row line must be "
                                                          "(…), or (…);", path, lineno);
            break;
        }
        ended = last == ';';
        rc = iv_row_to_copy(&s.out, line, (size_t)len - 1, kinds, ncols, &bytes);
        if (rc == 1 && !first)
            rc = dltc__error_set(DLTC_EPARSE,
                                 "%s:%" PRIu64 ": a row with literals our writer does not write",
                                 path, lineno);
        else if (rc < 0)
            dltc__error_prefix("%s:%" PRIu64 ": ", path, lineno);
        if (!rc && first) {
            dltc_buf row = s.out; /* the converted first row moves behind the COPY start */
            memset(&s.out, 0, sizeof(s.out));
            rc = copy_begin(&s, d, sql.data, path);
            dltc__buf_free(&s.out);
            s.out = row;
            if (rc)
                break;
            first = 0;
        }
        if (!rc)
            rc = copy_maybe_flush(&s);
    }
    if (!rc && ferror(f))
        rc = dltc__error_set(DLTC_EIO, "%s: read failed", path);
    if (!rc && !ended)
        rc = first ? 1
                   : dltc__error_set(DLTC_EPARSE,
                                     "%s:%" PRIu64 ": the file ends before the final ';'", path,
                                     lineno);
    if (rc == 1 || !s.active)
        dltc__buf_free(&s.out);
    int erc = copy_end(&s, rc != 0, rows);
    if (!rc)
        rc = erc;
    free(line);
    fclose(f);
    for (size_t i = 0; i < ncols; i++)
        dltc__free(names[i]);
    dltc__free(names);
    dltc__free(kinds);
    dltc__buf_free(&sql);
    dltc__buf_free(&bytes);
    return rc;
}

static int load_insert_values(pg_dest *d, const char *dataset, const dltc_table *t,
                              const char *path, uint64_t *rows)
{
    const char *force = getenv("DLTC_PG_INSERT");
    if (!force || strcmp(force, "sql") != 0) {
        int rc = copy_insert_values(d, dataset, t, path, rows);
        if (rc != 1)
            return rc;
    }
    return insert_statements(d, dataset, t, path, rows);
}

static int pg_load_file(dltc_dest *dd, const char *dataset, const dltc_table *t,
                        const char *path, const char *format, unsigned flags, uint64_t *rows)
{
    pg_dest *d = (pg_dest *)dd;
    uint64_t dummy = 0;
    if (!rows)
        rows = &dummy;
    *rows = 0;
    if (!format)
        format = "";
    if (!strcmp(format, "jsonl"))
        return load_jsonl(d, dataset, t, path, (flags & DLTC_LOAD_MORE) != 0, rows);
    int rc = finish_open(d);
    if (rc)
        return rc;
    if (!strcmp(format, "csv"))
        return load_csv(d, dataset, t, path, rows);
    if (!strcmp(format, "insert_values"))
        return load_insert_values(d, dataset, t, path, rows);
    if (!strcmp(format, "parquet"))
        return dltc__error_set(DLTC_EINVALID, "%s: postgres does not load parquet files", path);
    return dltc__error_set(DLTC_EINVALID, "%s: file format '%s' is not supported by postgres",
                           path, format);
}
