/* Deferred arrays (defer_bytes): a big item's big arrays come unparsed and are read later
 * element by element. Expanded, every input gives what the reader gives without deferral,
 * from memory, a file and a pipe (spilled), with errors at the same place. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"

#define DATA DLTC_TEST_DATA_DIR "/json"

/* v as JSON, deferred arrays read through their own readers. */
static int expand(dltc_buf *b, const dltc_value *v, int *deferred);

typedef struct {
    dltc_buf *b;
    int *deferred;
} expanding;

static int expand_element(void *ctx, dltc_arena *arena, dltc_value *e, size_t i)
{
    (void)arena;
    expanding *x = ctx;
    int rc = i ? dltc__buf_putc(x->b, ',') : 0;
    return rc ? rc : expand(x->b, e, x->deferred);
}

static int expand_deferred(dltc_buf *b, const dltc_value *v, int *deferred)
{
    (*deferred)++;
    expanding x = {b, deferred};
    int rc = dltc__buf_putc(b, '[');
    if (!rc)
        rc = dltc__json_deferred_each(v, 0, expand_element, &x);
    return rc ? rc : dltc__buf_putc(b, ']');
}

static int expand(dltc_buf *b, const dltc_value *v, int *deferred)
{
    int rc = 0;
    if (v->type == DLTC_TYPE_ARRAY && (v->flags & DLTC_VF_DEFERRED))
        return expand_deferred(b, v, deferred);
    if (v->type == DLTC_TYPE_ARRAY && v->len) {
        rc = dltc__buf_putc(b, '[');
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            if (i)
                rc = dltc__buf_putc(b, ',');
            if (!rc)
                rc = expand(b, &v->u.arr[i], deferred);
        }
        return rc ? rc : dltc__buf_putc(b, ']');
    }
    if (v->type == DLTC_TYPE_OBJECT && v->len) {
        rc = dltc__buf_putc(b, '{');
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            if (i)
                rc = dltc__buf_putc(b, ',');
            if (!rc)
                rc = dltc__json_write_string(b, v->u.obj[i].key, v->u.obj[i].klen);
            if (!rc)
                rc = dltc__buf_putc(b, ':');
            if (!rc)
                rc = expand(b, &v->u.obj[i].val, deferred);
        }
        return rc ? rc : dltc__buf_putc(b, '}');
    }
    return dltc__json_write(b, v);
}

static size_t g_max_item; /* 0: the default */

typedef struct {
    dltc_buf text;
    int rc;
    char message[1024];
    int deferred;
} run_result;

/* Items (expanded) one per line, then the end: an error's message with its position. */
static void drain(dltc_json_reader *r, run_result *res)
{
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    memset(res, 0, sizeof(*res));
    dltc_value *v;
    int rc;
    while ((rc = dltc__json_reader_next(r, &a, &v)) == 0) {
        size_t mark = res->text.len;
        assert_int_equal(dltc__buf_printf(&res->text, "%llu\t",
                                          (unsigned long long)dltc__json_reader_item_line(r)),
                         0);
        rc = expand(&res->text, v, &res->deferred);
        if (!rc)
            rc = dltc__json_reader_check_deferred(r);
        if (rc) { /* an error in a deferred array: the item is not whole */
            res->text.len = mark;
            res->text.data[mark] = '\0';
            break;
        }
        assert_int_equal(dltc__buf_putc(&res->text, '\n'), 0);
        dltc__arena_reset(&a);
    }
    res->rc = rc;
    if (rc != DLTC_ITEROVER)
        snprintf(res->message, sizeof(res->message), "%s", dltc_error_last()->message);
    if (!res->text.data)
        dltc__buf_puts(&res->text, "");
    dltc__arena_free(&a);
}

static void run_mem(run_result *res, const char *data, size_t len, size_t chunk, size_t defer)
{
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.chunk_size = chunk;
    o.defer_bytes = defer;
    o.max_item_bytes = g_max_item;
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_mem(&r, data, len, "in", &o), 0);
    drain(r, res);
    dltc__json_reader_free(r);
}

static void run_file(run_result *res, const char *path, size_t chunk, size_t defer)
{
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.chunk_size = chunk;
    o.defer_bytes = defer;
    o.max_item_bytes = g_max_item;
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_fd(&r, fd, "in", &o), 0);
    drain(r, res);
    dltc__json_reader_free(r);
    close(fd);
}

static void run_pipe(run_result *res, const char *data, size_t len, size_t chunk, size_t defer)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        size_t off = 0;
        while (off < len) {
            ssize_t n = write(p[1], data + off, len - off);
            if (n <= 0)
                _exit(1);
            off += (size_t)n;
        }
        _exit(0);
    }
    close(p[1]);
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.chunk_size = chunk;
    o.defer_bytes = defer;
    o.max_item_bytes = g_max_item;
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_fd(&r, p[0], "in", &o), 0);
    drain(r, res);
    dltc__json_reader_free(r);
    close(p[0]);
    waitpid(pid, NULL, 0);
}

static void assert_same(const run_result *ref, const run_result *got, const char *what)
{
    if (strcmp(ref->text.data, got->text.data) != 0)
        fail_msg("%s: items differ:\n%s\n---\n%s", what, ref->text.data, got->text.data);
    if (ref->rc != got->rc || strcmp(ref->message, got->message) != 0)
        fail_msg("%s: end differs: %d '%s' / %d '%s'", what, ref->rc, ref->message, got->rc,
                 got->message);
}

/* One input through every source, chunk size and threshold, against no deferral. */
static int check_input(const char *data, size_t len, const char *what)
{
    run_result ref;
    run_mem(&ref, data, len, 1u << 20, 0);
    char path[] = "/tmp/dltc-deferred-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    static const size_t chunks[] = {1, 3, 16, 64};
    static const size_t defers[] = {1, 4, 32};
    int deferred = 0;
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
        for (size_t j = 0; j < sizeof(defers) / sizeof(defers[0]); j++) {
            char w[300];
            run_result got;
            snprintf(w, sizeof(w), "%s (memory, chunk %zu, defer %zu)", what, chunks[i], defers[j]);
            run_mem(&got, data, len, chunks[i], defers[j]);
            assert_same(&ref, &got, w);
            deferred += got.deferred;
            dltc__buf_free(&got.text);
            snprintf(w, sizeof(w), "%s (file, chunk %zu, defer %zu)", what, chunks[i], defers[j]);
            run_file(&got, path, chunks[i], defers[j]);
            assert_same(&ref, &got, w);
            dltc__buf_free(&got.text);
            snprintf(w, sizeof(w), "%s (pipe, chunk %zu, defer %zu)", what, chunks[i], defers[j]);
            run_pipe(&got, data, len, chunks[i], defers[j]);
            assert_same(&ref, &got, w);
            dltc__buf_free(&got.text);
        }
    unlink(path);
    dltc__buf_free(&ref.text);
    return deferred;
}

static void hand_made(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "{\"id\":1,\"items\":[{\"k\":1,\"t\":[\"a\",\"b\"]},{\"k\":2,\"t\":[]},{\"k\":3}],\"z\":2}\n"
        "{\"id\":2,\"items\":[[1,2,[3,4]],[5]],\"o\":{\"deep\":[1,2,3,4,5,6,7,8,9]}}\n",
        "[{\"a\":[1,2,3,4,5,6]},\n {\"b\":[\"x\\\"]y\", \"\\u0041\",\n \"z\"]}]",
        "{\"a\":\n[\n1,\n2\n],\n\"b\":[3,4,5],\"c\":\"after\"}",
        "[[1,2,3,4],[5,6,7,8]]\n\"str\" 123456 [1,[2,[3,[4]]]]",
        /* errors inside and after deferred arrays: the same place as without deferral */
        "{\"a\":[1,2,3,4,5,6,7,8],\n\"b\":[1,2,\n3,,4]}",
        "{\"a\":[1,2,3,4,5,6,7,8],\n\"b\":tru}",
        "{\"a\":[1,2,3,4,5,\"x\ny\"]}",
        "{\"a\":[1,2,3,4,5,6]\n \x01" "00000000}",
        "{\"a\":[1,2,3,4,5,6,7,8,9,10],\"b\":[1,2,3,4,5,6,7,8,9,10]",
        "{\"a\":[{\"b\":[1,2,3,4,5,6,7,8,9,10,11,12]}, 7, [8, 9, 10, 11]], \"c\": [}",
    };
    int deferred = 0;
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char what[32];
        snprintf(what, sizeof(what), "input %zu", i);
        deferred += check_input(inputs[i], strlen(inputs[i]), what);
    }
    print_message("deferred arrays read: %d\n", deferred);
    assert_true(deferred > 30); /* the thresholds made it defer */
}

/* The item size limit counts the text outside deferred arrays; without any it is the same. */
static void item_size_limit(void **state)
{
    (void)state;
    g_max_item = 16;
    check_input("{\"a\":\"01234567\"}\n{\"a\":\"012345678\"}\n", 35, "limit");
    check_input("1234567890123456 12345678901234567 1", 36, "number limit");
    check_input("[\"0123456789012345678901234567890", 33, "open limit");
    g_max_item = 0;
    /* a deferred array does not count */
    const char *text = "{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14]}";
    run_result got;
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.chunk_size = 4;
    o.defer_bytes = 4;
    o.max_item_bytes = 16;
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_mem(&r, text, strlen(text), "in", &o), 0);
    drain(r, &got);
    dltc__json_reader_free(r);
    assert_int_equal(got.rc, DLTC_ITEROVER);
    assert_string_equal(got.text.data, "1\t{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14]}\n");
    dltc__buf_free(&got.text);
}

/* Every corpus file (valid and invalid) gives the same with deferral. */
static void corpus(void **state)
{
    (void)state;
    static const char *const dirs[] = {DATA "/valid", DATA "/invalid"};
    int files = 0;
    for (size_t k = 0; k < 2; k++) {
        DIR *d = opendir(dirs[k]);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 6 || (strcmp(e->d_name + n - 5, ".json") && strcmp(e->d_name + n - 6, ".jsonl")))
                continue;
            char path[1024];
            snprintf(path, sizeof(path), "%s/%s", dirs[k], e->d_name);
            size_t len = 0;
            char *data = tu_read_file(path, &len);
            assert_non_null(data);
            check_input(data, len, e->d_name);
            free(data);
            files++;
        }
        closedir(d);
    }
    assert_true(files >= 40);
}

/* A big item: its one big list is deferred, the rest parsed; the item's memory stays small. */
static void big_item(void **state)
{
    (void)state;
    dltc_buf in = DLTC_BUF_INIT;
    assert_int_equal(dltc__buf_puts(&in, "{\"id\":7,\"list\":["), 0);
    for (int i = 0; i < 200000; i++)
        assert_int_equal(dltc__buf_printf(&in, "%s{\"k\":%d,\"tags\":[\"a\",\"b\"]}", i ? "," : "", i), 0);
    assert_int_equal(dltc__buf_puts(&in, "],\"tail\":\"end\"}"), 0);
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.defer_bytes = DLTC_JSON_DEFER_BYTES;
    o.max_item_bytes = 1u << 20; /* smaller than the item: deferred text does not count */
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_mem(&r, in.data, in.len, "big", &o), 0);
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v;
    assert_int_equal(dltc__json_reader_next(r, &a, &v), 0);
    assert_int_equal(v->type, DLTC_TYPE_OBJECT);
    assert_int_equal(v->len, 3);
    assert_string_equal(v->u.obj[2].key, "tail");
    const dltc_value *list = &v->u.obj[1].val;
    assert_true(list->flags & DLTC_VF_DEFERRED);
    dltc_json_reader *sub;
    assert_int_equal(dltc__json_deferred_open(&sub, list), 0);
    dltc_value *e;
    int count = 0, rc;
    dltc_arena ea;
    dltc__arena_init(&ea, 4096);
    while ((rc = dltc__json_reader_next(sub, &ea, &e)) == 0) {
        assert_int_equal(e->u.obj[0].val.u.i, count);
        count++;
    }
    assert_int_equal(rc, DLTC_ITEROVER);
    assert_int_equal(count, 200000);
    dltc__json_reader_free(sub);
    /* parsed whole, for a JSON column */
    dltc_value *whole;
    assert_int_equal(dltc__json_deferred_parse(&ea, list, &whole), 0);
    assert_int_equal(whole->len, 200000);
    dltc__arena_free(&ea);
    /* written as JSON it is refused, never written as [] */
    dltc_buf out = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write(&out, v), DLTC_EINVALID);
    assert_int_equal(dltc__json_reader_next(r, &a, &v), DLTC_ITEROVER);
    dltc__json_reader_free(r);
    dltc__arena_free(&a);
    dltc__buf_free(&out);
    dltc__buf_free(&in);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_made),
        cmocka_unit_test(corpus),
        cmocka_unit_test(item_size_limit),
        cmocka_unit_test(big_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
