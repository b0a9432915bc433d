/* Fuzz target of the read-only SQL check of the dataset API (load/sql_readonly.c). The
 * first byte picks the dialect (even: DuckDB, odd: Postgres), the rest up to a NUL is the
 * SQL. Whatever the input: no crash, no leak, an answer of 0 or DLTC_EINVALID, a refusal one
 * line starting "read-only SQL: " whose byte offset lies inside the input. And an accepted
 * text never hides a second statement: with "\n; DROP TABLE x" appended it is refused. */
#include "common/alloc.h"
#include "common/error.h"
#include "load/sql_readonly.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_sql_readonly: %s\n", what);
        abort();
    }
}

static void check_refusal(int rc, size_t len)
{
    check(rc == DLTC_EINVALID, "a refusal is not DLTC_EINVALID");
    const char *m = dltc_error_last()->message;
    check(strncmp(m, "read-only SQL: ", 15) == 0, "message does not start with read-only SQL");
    check(strchr(m, '\n') == NULL && strchr(m, '\r') == NULL, "message is not one line");
    /* the last "(byte N)": the token the message quotes may hold the same words */
    const char *b = NULL;
    for (const char *x = strstr(m, "(byte "); x; x = strstr(x + 1, "(byte "))
        b = x;
    if (b) {
        unsigned long long at = strtoull(b + 6, NULL, 10);
        check(at <= len, "byte offset past the input");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int dialect = data[0] & 1 ? DLTC_SQL_POSTGRES : DLTC_SQL_DUCKDB;
    const char *text = (const char *)data + 1;
    size_t len = strnlen(text, size - 1);
    static const char tail[] = "\n; DROP TABLE x";
    char *sql = malloc(len + sizeof(tail));
    check(sql != NULL, "malloc");
    memcpy(sql, text, len);
    sql[len] = '\0';
    dltc_error_clear();
    int rc = dltc__sql_readonly_check(sql, dialect);
    if (rc) {
        check_refusal(rc, len);
    } else {
        memcpy(sql + len, tail, sizeof(tail));
        rc = dltc__sql_readonly_check(sql, dialect);
        check(rc != 0, "a second statement after an accepted one was accepted");
        check_refusal(rc, len + sizeof(tail) - 1);
    }
    free(sql);
    return 0;
}
