/* Fuzz target of the JSON reader and writer.
 *
 * The input is streamed twice from memory: once in one chunk, once in chunks of 1..8 bytes
 * (chosen from the input). Both must give the same items and the same final error. Every
 * item is written and parsed back, and must equal itself. The whole input is also parsed as
 * one document. Any mismatch aborts; leaks are reported by the sanitizer. */
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 48
#define MAX_ITEM 1000

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_json: %s\n", what);
        abort();
    }
}

static void roundtrip(const dltc_value *v)
{
    dltc_buf b = DLTC_BUF_INIT;
    check(dltc__json_write(&b, v) == 0, "write failed");
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *back = NULL;
    dltc_json_error err;
    int rc = dltc__json_parse(&a, b.data, b.len, MAX_DEPTH, &back, &err);
    if (rc != 0)
        fprintf(stderr, "written: %.200s\nerror: %s\n", b.data, dltc_error_last()->message);
    check(rc == 0, "written JSON does not parse");
    check(dltc__json_equal(v, back), "written JSON reads back different");
    dltc__arena_free(&a);
    dltc__buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    dltc_json_reader_options big = DLTC_JSON_READER_OPTIONS_INIT, small;
    big.max_depth = MAX_DEPTH;
    big.max_item_bytes = MAX_ITEM;
    small = big;
    small.chunk_size = 1 + (size ? data[size - 1] % 8 : 0);

    dltc_json_reader *ra, *rb;
    check(dltc__json_reader_open_mem(&ra, text, size, "a", &big) == 0, "open");
    check(dltc__json_reader_open_mem(&rb, text, size, "b", &small) == 0, "open");
    dltc_arena aa, ab;
    dltc__arena_init(&aa, 4096);
    dltc__arena_init(&ab, 4096);
    for (;;) {
        dltc_value *va = NULL, *vb = NULL;
        int rca = dltc__json_reader_next(ra, &aa, &va);
        int rcb = dltc__json_reader_next(rb, &ab, &vb);
        check(rca == rcb, "chunked reading gives a different result");
        if (rca != 0) {
            if (rca != DLTC_ITEROVER) {
                const dltc_json_error *ea = dltc__json_reader_error(ra);
                const dltc_json_error *eb = dltc__json_reader_error(rb);
                check(ea->code == eb->code && ea->offset == eb->offset &&
                          ea->line == eb->line && ea->column == eb->column &&
                          strcmp(ea->reason, eb->reason) == 0,
                      "chunked reading reports a different error");
                check(ea->offset <= size, "error offset past the input");
                /* sticky */
                check(dltc__json_reader_next(ra, &aa, &va) == rca, "error is not sticky");
            }
            break;
        }
        check(dltc__json_reader_item_line(ra) == dltc__json_reader_item_line(rb),
              "chunked reading gives a different item line");
        check(dltc__json_equal(va, vb), "chunked reading gives a different item");
        roundtrip(va);
        dltc__arena_reset(&aa);
        dltc__arena_reset(&ab);
    }
    dltc__arena_free(&aa);
    dltc__arena_free(&ab);
    dltc__json_reader_free(ra);
    dltc__json_reader_free(rb);

    /* the whole input as one document */
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v;
    dltc_json_error err;
    if (dltc__json_parse(&a, text, size, MAX_DEPTH, &v, &err) == 0)
        roundtrip(v);
    else
        check(err.offset <= size && err.line >= 1 && err.column >= 1 && err.reason,
              "bad error position");
    dltc__arena_free(&a);
    return 0;
}
