/* Fuzz target of the JSON reader and writer.
 *
 * The input is streamed twice from memory: once in one chunk, once in chunks of 1..8 bytes
 * (chosen from the input). Both must give the same items and the same final error. Every
 * item is written and parsed back, and must equal itself. A third reader defers arrays
 * (defer_bytes, chunks and threshold chosen from the input): its items, expanded through
 * their deferred readers, must be written the same, and it must end the same way.
 * The whole input is also parsed as one document. Any mismatch aborts; leaks are reported
 * by the sanitizer. */
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

static int expand(dltc_buf *b, const dltc_value *v);

static int expand_element(void *ctx, dltc_arena *arena, dltc_value *e, size_t i)
{
    (void)arena;
    int rc = i ? dltc__buf_putc(ctx, ',') : 0;
    return rc ? rc : expand(ctx, e);
}

/* v as JSON text, deferred arrays read element by element; 0 or the error. */
static int expand(dltc_buf *b, const dltc_value *v)
{
    int rc = 0;
    if (v->type == DLTC_TYPE_ARRAY && (v->flags & DLTC_VF_DEFERRED)) {
        rc = dltc__buf_putc(b, '[');
        if (!rc)
            rc = dltc__json_deferred_each(v, 0, expand_element, b);
        return rc ? rc : dltc__buf_putc(b, ']');
    }
    if ((v->type == DLTC_TYPE_ARRAY || v->type == DLTC_TYPE_OBJECT) && v->len) {
        int obj = v->type == DLTC_TYPE_OBJECT;
        rc = dltc__buf_putc(b, obj ? '{' : '[');
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            if (i)
                rc = dltc__buf_putc(b, ',');
            if (!rc && obj)
                rc = dltc__json_write_string(b, v->u.obj[i].key, v->u.obj[i].klen);
            if (!rc && obj)
                rc = dltc__buf_putc(b, ':');
            if (!rc)
                rc = expand(b, obj ? &v->u.obj[i].val : &v->u.arr[i]);
        }
        return rc ? rc : dltc__buf_putc(b, obj ? '}' : ']');
    }
    return dltc__json_write(b, v);
}

static void deferred_matches(const uint8_t *data, size_t size, const dltc_json_reader_options *o)
{
    dltc_json_reader_options d = *o;
    d.chunk_size = 1 + (size ? data[0] % 8 : 0);
    d.defer_bytes = 1 + (size ? data[size / 2] % 16 : 0);
    dltc_json_reader *ra, *rd;
    check(dltc__json_reader_open_mem(&ra, (const char *)data, size, "x", o) == 0, "open");
    check(dltc__json_reader_open_mem(&rd, (const char *)data, size, "x", &d) == 0, "open");
    dltc_arena aa, ad;
    dltc__arena_init(&aa, 4096);
    dltc__arena_init(&ad, 4096);
    dltc_buf ta = DLTC_BUF_INIT, td = DLTC_BUF_INIT;
    char msg[1100];
    for (;;) {
        dltc_value *va = NULL, *vd = NULL;
        int rca = dltc__json_reader_next(ra, &aa, &va);
        snprintf(msg, sizeof(msg), "%s", rca && rca != DLTC_ITEROVER ? dltc_error_last()->message : "");
        if (rca == DLTC_ELIMIT) /* deferred text does not count: the two part here */
            break;
        int rcd = dltc__json_reader_next(rd, &ad, &vd);
        dltc__buf_clear(&ta);
        dltc__buf_clear(&td);
        if (rcd == 0) {
            rcd = expand(&td, vd);
            if (!rcd)
                rcd = dltc__json_reader_check_deferred(rd);
        }
        if (rca == 0 && rcd == 0) {
            check(dltc__json_write(&ta, va) == 0, "write failed");
            check(ta.len == td.len && memcmp(ta.data, td.data, ta.len) == 0,
                  "deferred reading gives a different item");
        } else {
            if (rca != rcd)
                fprintf(stderr, "without: %d %s\nwith:    %d %s\n", rca, msg, rcd,
                        rcd == DLTC_ITEROVER ? "" : dltc_error_last()->message);
            /* the same end; an error may be another one of the item's (a deferred array is
             * read after the item, a duplicate key's dropped one last of all) */
            check(rca == rcd, "deferred reading ends differently");
            check(rca == DLTC_ITEROVER || strncmp(dltc_error_last()->message, "x:", 2) == 0,
                  "deferred reading's error does not name the input");
            break;
        }
        dltc__arena_reset(&aa);
        dltc__arena_reset(&ad);
    }
    dltc__buf_free(&ta);
    dltc__buf_free(&td);
    dltc__arena_free(&aa);
    dltc__arena_free(&ad);
    dltc__json_reader_free(ra);
    dltc__json_reader_free(rd);
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
    deferred_matches(data, size, &big);

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
