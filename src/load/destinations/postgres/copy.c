/*
 * COPY on a connection. For the loaders: COPY … FROM STDIN sent in blocks, its target, and
 * the kinds of the columns it names as the database table has them. For readers
 * (load/destinations/postgres.h): COPY … TO STDOUT message by message, and string literals
 * escaped by libpq.
 */
#include "load/destinations/postgres/pg_int.h"
#include "load/destinations/postgres.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "load/sql.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- COPY … FROM STDIN, for the loaders ---- */

int dltc__pg_copy_begin(copy_stream *s, pg_dest *d, const char *sql, const char *path)
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
        dltc__pg_where_prefix(&pre, d, path);
        rc = st == PGRES_COMMAND_OK
                 ? dltc__error_set(DLTC_EDATABASE, "%sthe server did not start the COPY",
                                   pre.data ? pre.data : "")
                 : dltc__pg_result_error(d, r, pre.data, 0);
        dltc__buf_free(&pre);
    }
    p_PQclear(r);
    return rc;
}

int dltc__pg_copy_put(copy_stream *s, const char *data, size_t len)
{
    while (len) {
        int n = len > (1u << 30) ? 1 << 30 : (int)len;
        if (p_PQputCopyData(s->d->conn, data, n) != 1) {
            dltc_buf pre = DLTC_BUF_INIT;
            dltc__pg_where_prefix(&pre, s->d, s->path);
            int rc = dltc__pg_result_error(s->d, NULL, pre.data, 0);
            dltc__buf_free(&pre);
            return rc;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* End the COPY: with `failed` set (the last error says why) the server is told to abort
 * and its answer is dropped; else the rows it inserted go to *rows. */
int dltc__pg_copy_end(copy_stream *s, int failed, uint64_t *rows)
{
    int rc = 0;
    if (!s->active) {
        dltc__buf_free(&s->out);
        return 0;
    }
    if (!failed && s->out.len)
        rc = dltc__pg_copy_put(s, s->out.data, s->out.len);
    dltc__buf_free(&s->out);
    failed = failed || rc;
    if (p_PQputCopyEnd(s->d->conn, failed ? "aborted by the client" : NULL) != 1 && !failed) {
        dltc_buf pre = DLTC_BUF_INIT;
        dltc__pg_where_prefix(&pre, s->d, s->path);
        rc = dltc__pg_result_error(s->d, NULL, pre.data, 0);
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
            dltc__pg_where_prefix(&pre, s->d, s->path);
            rc = dltc__pg_result_error(s->d, r, pre.data, 1);
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
    int rc = dltc__pg_finish_open(d);
    if (rc)
        return rc;
    PGresult *r = p_PQexec(d->conn, sql);
    ExecStatusType st = r ? p_PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COPY_OUT)
        d->copy_out = 1;
    else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        rc = dltc__error_set(DLTC_EINVALID, "the statement is not a COPY TO STDOUT");
    else
        rc = dltc__pg_check_result(d, r, NULL);
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
    int rc = n == -2 ? dltc__pg_result_error(d, NULL, NULL, 0) : 0;
    PGresult *r;
    while ((r = p_PQgetResult(d->conn))) {
        ExecStatusType st = p_PQresultStatus(r);
        if (!rc && st != PGRES_COMMAND_OK)
            rc = dltc__pg_result_error(d, r, NULL, 0);
        dltc__pg_leave_copy(d, st);
        p_PQclear(r);
    }
    return rc;
}

int dltc__postgres_put_literal(dltc_dest *dd, dltc_buf *b, const char *s, size_t len)
{
    pg_dest *d = (pg_dest *)dd;
    char *lit = p_PQescapeLiteral(d->conn, s, len);
    if (!lit)
        return dltc__pg_result_error(d, NULL, "cannot quote a literal: ", 0);
    int rc = dltc__buf_puts(b, lit);
    p_PQfreemem(lit);
    return rc;
}

/* ---- the target of a loader's COPY ---- */

/* "dataset"."t", or the temporary table pg_temp."t" */
int dltc__pg_put_target(dltc_buf *b, const char *dataset, const char *table)
{
    return dataset ? dltc__sql_qualified(b, dataset, table)
                   : dltc__sql_staging_table(b, DLTC_SQL_POSTGRES, table);
}

/* The kind of each of the n named columns in the database table (PK_OTHER for a name it
 * lacks: the server then names the problem); DLTC_ENOTFOUND without the table. *out is
 * the caller's. */
int dltc__pg_column_kinds(pg_dest *d, const char *dataset, const char *table, char *const *names,
                          size_t n, const char *path, pkind **out)
{
    dbcol *dbc = NULL;
    size_t ndb = 0;
    int exists = 0;
    *out = NULL;
    int rc = dltc__pg_table_info(d, dataset, table, &dbc, &ndb, &exists);
    if (!rc && !exists)
        rc = dltc__error_set(DLTC_ENOTFOUND, "%s: table %s%s%s does not exist", path,
                             dataset ? dataset : "", dataset ? "." : "", table);
    pkind *k = rc ? NULL : dltc__calloc(n + 1, sizeof(*k));
    if (!rc && !k)
        rc = dltc__error_oom();
    for (size_t i = 0; !rc && i < n; i++) {
        size_t nl = dltc__pg_ident_len(names[i], strlen(names[i]));
        for (size_t j = 0; j < ndb; j++)
            if (strlen(dbc[j].name) == nl && !memcmp(dbc[j].name, names[i], nl))
                k[i] = dltc__pg_kind_of(dbc[j].oid);
    }
    dltc__pg_dbcols_free(dbc, ndb);
    if (rc)
        dltc__free(k);
    else
        *out = k;
    return rc;
}
