/*
 * The Postgres connection as a dltc_dest (load/destination.h): dltc__postgres_open and the
 * ops table, the server's messages on one line, statements, queries materialized as
 * dltc_rows, the columns of a table, and load_file, which hands a load file to the loader of
 * its format (load_csv.c, load_jsonl.c, load_insert_values.c).
 */
#include "load/destinations/postgres/pg_int.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/time.h"
#include "formats/json.h"
#include "load/rows.h"
#include "load/sql.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

pkind dltc__pg_kind_of(Oid oid)
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
int dltc__pg_result_error(pg_dest *d, const PGresult *r, const char *prefix, int with_context)
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
int dltc__pg_where_prefix(dltc_buf *b, const pg_dest *d, const char *path)
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
    int rc = dltc__pg_libpq_load();
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
        dltc__pg_jsonl_end(d->open, 1);
    if (d->copy_msg)
        p_PQfreemem(d->copy_msg);
    if (d->conn)
        p_PQfinish(d->conn);
    dltc__free(d->where);
    dltc__free(d);
}

/* ---- statements ---- */

/* Leave the COPY state a statement put the session in (exec and query do not run COPY). */
void dltc__pg_leave_copy(pg_dest *d, ExecStatusType st)
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
int dltc__pg_check_result(pg_dest *d, PGresult *r, const char *prefix)
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
        dltc__pg_leave_copy(d, st);
        PGresult *x;
        while ((x = p_PQgetResult(d->conn))) {
            dltc__pg_leave_copy(d, p_PQresultStatus(x));
            p_PQclear(x);
        }
        return dltc__error_set(DLTC_EINVALID, "%sCOPY statements are not run through exec",
                               prefix ? prefix : "");
    }
    default:
        return dltc__pg_result_error(d, r, prefix, 0);
    }
}

static int pg_exec(dltc_dest *dd, const char *sql)
{
    pg_dest *d = (pg_dest *)dd;
    if (d->open && strncasecmp(sql, "ROLLBACK", 8) == 0) { /* its rows go: abort the COPY */
        dltc__pg_jsonl_end(d->open, 1);
        d->open = NULL;
    }
    int frc = dltc__pg_finish_open(d);
    if (frc)
        return frc;
    PGresult *r = p_PQexec(d->conn, sql);
    int rc = dltc__pg_check_result(d, r, NULL);
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
        c[i].kind = dltc__pg_kind_of(oid);
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
    int frc = dltc__pg_finish_open(d);
    if (frc)
        return frc;
    if (!p_PQsendQuery(d->conn, sql))
        return dltc__pg_result_error(d, NULL, NULL, 0);
    p_PQsetSingleRowMode(d->conn);
    dltc_rows *rows = NULL;
    qcol *cols = NULL;
    int rc = 0, fresh = 1;
    PGresult *r;
    while ((r = p_PQgetResult(d->conn))) {
        ExecStatusType st = p_PQresultStatus(r);
        if (rc) { /* drain after an error */
            dltc__pg_leave_copy(d, st);
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
            dltc__pg_leave_copy(d, st);
        } else {
            rc = dltc__pg_result_error(d, r, NULL, 0);
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
        return dltc__pg_result_error(d, NULL, NULL, 0);
    p_PQsetSingleRowMode(d->conn);
    dltc_rows *rows = NULL;
    qcol *cols = NULL;
    int rc = 0, cancelled = 0;
    PGresult *r;
    while ((r = p_PQgetResult(d->conn))) {
        ExecStatusType st = p_PQresultStatus(r);
        const char *state = p_PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (rc) {
            dltc__pg_leave_copy(d, st);
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
            dltc__pg_leave_copy(d, st);
        } else if (!(cancelled && state && strcmp(state, "57014") == 0)) {
            /* (57014 query_canceled: the cancel asked for above) */
            dltc_buf pre = DLTC_BUF_INIT;
            rc = dltc__pg_where_prefix(&pre, d, NULL);
            rc = rc ? rc : dltc__pg_result_error(d, r, pre.data, 0);
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
    int rc = dltc__pg_finish_open(d);
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
        int rrc = dltc__pg_check_result(d, r, NULL);
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

void dltc__pg_dbcols_free(dbcol *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        dltc__free(c[i].name);
    dltc__free(c);
}

/* The columns of "dataset"."table" (dataset NULL: the session's temporary table) with their
 * types, in order. *exists = 0 when there is no such table (a table without columns
 * exists). Names are compared as the server stores them (63 bytes). */
int dltc__pg_table_info(pg_dest *d, const char *dataset, const char *table, dbcol **out,
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
            rc = dltc__sql_string(&sql, dataset, dltc__pg_ident_len(dataset, strlen(dataset)));
    } else if (!rc) {
        rc = dltc__buf_puts(&sql, "n.oid = pg_catalog.pg_my_temp_schema()");
    }
    if (!rc)
        rc = dltc__buf_puts(&sql, " AND c.relname = ");
    if (!rc)
        rc = dltc__sql_string(&sql, table, dltc__pg_ident_len(table, strlen(table)));
    if (!rc)
        rc = dltc__buf_puts(&sql, " ORDER BY a.attnum");
    PGresult *r = rc ? NULL : p_PQexec(d->conn, sql.data);
    dltc__buf_free(&sql);
    if (rc)
        return rc;
    if (p_PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = dltc__pg_result_error(d, r, NULL, 0);
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
        dltc__pg_dbcols_free(c, k);
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
    int frc = dltc__pg_finish_open(d);
    if (frc)
        return frc;
    dbcol *c = NULL;
    size_t k = 0;
    *names = NULL;
    *n = 0;
    int rc = dltc__pg_table_info(d, dataset, table, &c, &k, exists);
    if (rc)
        return rc;
    char **v = dltc__calloc(k + 1, sizeof(char *));
    if (!v) {
        dltc__pg_dbcols_free(c, k);
        return dltc__error_oom();
    }
    for (size_t i = 0; i < k; i++) {
        v[i] = c[i].name; /* moved */
        c[i].name = NULL;
    }
    dltc__pg_dbcols_free(c, k);
    if (k == 0) {
        dltc__free(v);
        v = NULL;
    }
    *names = v;
    *n = k;
    return 0;
}

/* ---- load files ---- */

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
        return dltc__pg_load_jsonl(d, dataset, t, path, (flags & DLTC_LOAD_MORE) != 0, rows);
    int rc = dltc__pg_finish_open(d);
    if (rc)
        return rc;
    if (!strcmp(format, "csv"))
        return dltc__pg_load_csv(d, dataset, t, path, rows);
    if (!strcmp(format, "insert_values"))
        return dltc__pg_load_insert_values(d, dataset, t, path, rows);
    if (!strcmp(format, "parquet"))
        return dltc__error_set(DLTC_EINVALID, "%s: postgres does not load parquet files", path);
    return dltc__error_set(DLTC_EINVALID, "%s: file format '%s' is not supported by postgres",
                           path, format);
}
