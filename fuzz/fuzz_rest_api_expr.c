/* Fuzz target of the rest_api source's two little languages: the expressions of processing
 * steps (compiled, then evaluated on a fixed record) and the {placeholder} templates of
 * endpoints. The first byte picks one. Whatever the input: no crash, no leak, no unbounded
 * recursion; a failure is DLTC_EINVALID / DLTC_ELIMIT with a one-line message. */
#include "common/arena.h"
#include "common/error.h"
#include "formats/json.h"
#include "sources/rest_api_expr.h"
#include "sources/rest_api_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char RECORD[] =
    "{\"a\": 1, \"b\": 2.5, \"s\": \"Hello\", \"n\": null, \"list\": [1, \"x\", [2]],"
    " \"o\": {\"x\": {\"y\": \"deep\"}}, \"t\": \"2024-01-02T03:04:05Z\"}";

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_rest_api_expr: %s\n", what);
        abort();
    }
}

static void check_error(int rc)
{
    const dltc_error *e = dltc_error_last();
    check(rc == DLTC_EINVALID || rc == DLTC_ELIMIT || rc == DLTC_ENOMEM, "unexpected code");
    check(e->code == rc, "error code not recorded");
    check(e->message && *e->message && !strchr(e->message, '\n'), "not a one-line message");
}

static int piece(int is_ph, const char *s, size_t n, void *payload)
{
    (void)is_ph;
    size_t *total = payload;
    check(n == 0 || s != NULL, "piece without text");
    *total += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1) {
        char *t = malloc(len + 1);
        memcpy(t, text, len);
        t[len] = '\0';
        size_t total = 0;
        int rc = dltc__ra_scan(t, piece, &total);
        if (rc)
            check_error(rc);
        else
            check(total <= len, "pieces longer than the template");
        free(t);
        dltc_error_clear();
        return 0;
    }
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *rec;
    dltc_json_error jerr;
    check(dltc__json_parse(&a, RECORD, strlen(RECORD), 0, &rec, &jerr) == 0, "record");
    dltc__ra_expr *e = NULL;
    int rc = dltc__ra_expr_compile(&e, text, len);
    if (rc) {
        check_error(rc);
    } else {
        dltc_value out;
        rc = dltc__ra_expr_eval(e, rec, &a, &out);
        if (rc) {
            check_error(rc);
        } else {
            dltc_buf b = DLTC_BUF_INIT;
            check(dltc__json_write(&b, &out) == 0, "result not writable");
            dltc__buf_free(&b);
            (void)dltc__ra_truthy(&out);
        }
        dltc__ra_expr_free(e);
    }
    dltc__arena_free(&a);
    dltc_error_clear();
    return 0;
}
