/*
 * insert_values files. Postgres takes multi-row INSERT … VALUES slowly: 1M flat rows in
 * batches of 256 KiB took ~30 s (≈30 µs a row in the server's parse/analyze), COPY of the
 * same rows ~1.5 s. So our writer's literals are turned into COPY text rows on the client:
 * NULL, TRUE/FALSE, bare numbers, '…' and E'…' strings, from_base64('…'). A file whose first
 * row holds anything else (not written by our writer) runs as INSERT statements instead,
 * rewritten for Postgres; so does every file with DLTC_PG_INSERT=sql.
 */
#include "load/destinations/postgres/pg_int.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/hex.h"
#include "formats/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        dltc__pg_where_prefix(&pre, d, path);
        rc = dltc__pg_check_result(d, r, pre.data);
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
        rc = dltc__pg_put_target(&head, dataset, t->name);
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
        rc = dltc__pg_column_kinds(d, dataset, t->name, names, ncols, path, &kinds);
    if (!rc)
        rc = dltc__buf_puts(&sql, "COPY ");
    if (!rc)
        rc = dltc__pg_put_target(&sql, dataset, t->name);
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
            rc = dltc__pg_copy_begin(&s, d, sql.data, path);
            dltc__buf_free(&s.out);
            s.out = row;
            if (rc)
                break;
            first = 0;
        }
        if (!rc)
            rc = dltc__pg_copy_maybe_flush(&s);
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
    int erc = dltc__pg_copy_end(&s, rc != 0, rows);
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

int dltc__pg_load_insert_values(pg_dest *d, const char *dataset, const dltc_table *t,
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
