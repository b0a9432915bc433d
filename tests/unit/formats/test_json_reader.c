/* The strict streaming JSON reader: the corpus under tests/data/json (valid inputs against
 * expected items, invalid inputs against expected reason and position), chunk-size
 * independence, file/pipe/stdin inputs, limits, numbers and duplicate keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"

#define DATA DLTC_TEST_DATA_DIR "/json"

/* the whole file, NUL-terminated (free()); fails the test when it cannot be read */
static char *slurp(const char *path, size_t *len)
{
    size_t n = 0;
    char *buf = tu_read_file(path, &n);
    if (!buf)
        fail_msg("%s: cannot read", path);
    if (len)
        *len = n;
    return buf;
}

/* Everything a reader produced: "<item line>\t<item as JSON>\n" per item, then the end. */
typedef struct {
    dltc_buf text;
    int rc; /* DLTC_ITEROVER or the error */
    dltc_json_error err;
    char reason[128];
    char message[1024];
    size_t items;
} run_result;

static void drain(dltc_json_reader *r, run_result *res)
{
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    memset(res, 0, sizeof(*res));
    dltc_value *v;
    int rc;
    while ((rc = dltc__json_reader_next(r, &a, &v)) == 0) {
        assert_int_equal(dltc__buf_printf(&res->text, "%llu\t",
                                          (unsigned long long)dltc__json_reader_item_line(r)),
                         0);
        assert_int_equal(dltc__json_write(&res->text, v), 0);
        assert_int_equal(dltc__buf_putc(&res->text, '\n'), 0);
        res->items++;
        dltc__arena_reset(&a);
    }
    res->rc = rc;
    if (rc != DLTC_ITEROVER) {
        res->err = *dltc__json_reader_error(r);
        snprintf(res->reason, sizeof(res->reason), "%s", res->err.reason);
        res->err.reason = res->reason;
        snprintf(res->message, sizeof(res->message), "%s", dltc_error_last()->message);
        /* errors are sticky */
        assert_int_equal(dltc__json_reader_next(r, &a, &v), rc);
        assert_string_equal(dltc_error_last()->message, res->message);
    }
    if (!res->text.data)
        dltc__buf_puts(&res->text, "");
    dltc__arena_free(&a);
}

static void run_mem(run_result *res, const char *data, size_t len, size_t chunk,
                    const dltc_json_reader_options *base)
{
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    if (base)
        o = *base;
    o.chunk_size = chunk;
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_mem(&r, data, len, "mem", &o), 0);
    drain(r, res);
    dltc__json_reader_free(r);
}

static void assert_same_run(const run_result *a, const run_result *b)
{
    assert_string_equal(a->text.data, b->text.data);
    assert_int_equal(a->rc, b->rc);
    if (a->rc != DLTC_ITEROVER) {
        assert_int_equal(a->err.code, b->err.code);
        assert_int_equal(a->err.offset, b->err.offset);
        assert_int_equal(a->err.line, b->err.line);
        assert_int_equal(a->err.column, b->err.column);
        assert_string_equal(a->err.reason, b->err.reason);
    }
}

/* Memory input with chunks of 1..7 bytes (and a few more) gives the same as one chunk. */
static void assert_chunk_independent(const char *data, size_t len, const run_result *ref,
                                     const dltc_json_reader_options *opts)
{
    static const size_t chunks[] = {1, 2, 3, 4, 5, 6, 7, 13, 64, 4096};
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        run_result r;
        run_mem(&r, data, len, chunks[i], opts);
        assert_same_run(ref, &r);
        dltc__buf_free(&r.text);
    }
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- the corpus ---- */

static void corpus_valid(void **state)
{
    (void)state;
    DIR *d = opendir(DATA "/valid");
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, ".json"))
            continue;
        char path[1024], expected_path[1024];
        snprintf(path, sizeof(path), DATA "/valid/%s", e->d_name);
        snprintf(expected_path, sizeof(expected_path), DATA "/expected/%.*s.out",
                 (int)strlen(e->d_name) - 5, e->d_name);
        size_t len, elen;
        char *data = slurp(path, &len);
        char *expected = slurp(expected_path, &elen);

        dltc_json_reader *r;
        assert_int_equal(dltc__json_reader_open_file(&r, path, NULL), 0);
        run_result ref;
        drain(r, &ref);
        dltc__json_reader_free(r);
        if (ref.rc != DLTC_ITEROVER)
            fail_msg("%s: %s", e->d_name, ref.message);
        if (strcmp(ref.text.data, expected) != 0)
            fail_msg("%s: got\n%s\nexpected\n%s", e->d_name, ref.text.data, expected);
        assert_chunk_independent(data, len, &ref, NULL);
        dltc__buf_free(&ref.text);
        free(data);
        free(expected);
        files++;
    }
    closedir(d);
    assert_true(files >= 15);
}

static const char *code_name(int code)
{
    switch (code) {
    case DLTC_EPARSE: return "DLTC_EPARSE";
    case DLTC_ELIMIT: return "DLTC_ELIMIT";
    case DLTC_EIO: return "DLTC_EIO";
    case DLTC_ENOMEM: return "DLTC_ENOMEM";
    default: return "?";
    }
}

static void corpus_invalid(void **state)
{
    (void)state;
    size_t mlen;
    char *manifest = slurp(DATA "/invalid/EXPECTED", &mlen);
    int cases = 0;
    for (char *line = manifest, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char file[256], code[32], reason[256];
        unsigned long long l, c;
        if (sscanf(line, "%255[^\t]\t%31[^\t]\t%llu:%llu\t%255[^\n]", file, code, &l, &c,
                   reason) != 5)
            fail_msg("bad manifest line: %s", line);
        char path[1024];
        snprintf(path, sizeof(path), DATA "/invalid/%s", file);
        size_t len;
        char *data = slurp(path, &len);

        dltc_json_reader *r;
        assert_int_equal(dltc__json_reader_open_file(&r, path, NULL), 0);
        run_result ref;
        drain(r, &ref);
        dltc__json_reader_free(r);
        if (ref.rc == DLTC_ITEROVER)
            fail_msg("%s: accepted", file);
        if (strcmp(code_name(ref.rc), code) != 0 || ref.err.line != l || ref.err.column != c ||
            strcmp(ref.err.reason, reason) != 0)
            fail_msg("%s: got %s %llu:%llu '%s', expected %s %llu:%llu '%s'", file,
                     code_name(ref.rc), (unsigned long long)ref.err.line,
                     (unsigned long long)ref.err.column, ref.err.reason, code, l, c, reason);
        char msg[2048];
        snprintf(msg, sizeof(msg), "%s:%llu:%llu: %s", path, l, c, reason);
        /* maybe followed by where the value started, when that is another line */
        size_t ml = strlen(msg);
        if (strncmp(ref.message, msg, ml) != 0 ||
            (ref.message[ml] && strncmp(ref.message + ml, " (the value starts at ", 22) != 0))
            fail_msg("%s: message '%s', expected '%s'", file, ref.message, msg);
        assert_chunk_independent(data, len, &ref, NULL);
        dltc__buf_free(&ref.text);
        free(data);
        cases++;
    }
    free(manifest);
    assert_true(cases >= 40);

    /* every file of the folder has its line in the manifest */
    manifest = slurp(DATA "/invalid/EXPECTED", &mlen);
    DIR *d = opendir(DATA "/invalid");
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, ".json"))
            continue;
        char key[300];
        snprintf(key, sizeof(key), "\n%s\t", e->d_name);
        if (!strstr(manifest, key))
            fail_msg("%s has no line in invalid/EXPECTED", e->d_name);
        files++;
    }
    closedir(d);
    free(manifest);
    assert_int_equal(files, cases);
}

/* ---- shapes and positions ---- */

static void run_text(run_result *res, const char *text)
{
    run_mem(res, text, strlen(text), 0, NULL);
}

static void shapes(void **state)
{
    (void)state;
    run_result r;
    run_text(&r, "");
    assert_int_equal(r.rc, DLTC_ITEROVER);
    assert_int_equal(r.items, 0);
    dltc__buf_free(&r.text);

    run_text(&r, "[]");
    assert_int_equal(r.rc, DLTC_ITEROVER);
    assert_int_equal(r.items, 0);
    dltc__buf_free(&r.text);

    run_text(&r, "\n\n[\n{\"a\":1},\n\n 2 , [3]\n]\n");
    assert_int_equal(r.rc, DLTC_ITEROVER);
    assert_string_equal(r.text.data, "4\t{\"a\":1}\n6\t2\n6\t[3]\n");
    dltc__buf_free(&r.text);

    /* a JSON Lines file whose rows are arrays is a sequence, not an array stream */
    run_text(&r, "1\n[2,3]\n[4]");
    assert_int_equal(r.rc, DLTC_ITEROVER);
    assert_string_equal(r.text.data, "1\t1\n2\t[2,3]\n3\t[4]\n");
    dltc__buf_free(&r.text);

    /* a top-level string, a number at the very end */
    run_text(&r, "\"s\" 12");
    assert_string_equal(r.text.data, "1\t\"s\"\n1\t12\n");
    dltc__buf_free(&r.text);

    /* after a BOM columns count from the byte after it */
    run_text(&r, "\xef\xbb\xbf{,}");
    assert_int_equal(r.rc, DLTC_EPARSE);
    assert_int_equal(r.err.column, 2);
    assert_int_equal(r.err.offset, 4);
    dltc__buf_free(&r.text);

    /* a BOM is only skipped at the start */
    run_text(&r, " \xef\xbb\xbf{}");
    assert_int_equal(r.rc, DLTC_EPARSE);
    assert_string_equal(r.err.reason, "unexpected byte 0xef");
    dltc__buf_free(&r.text);
}

static void error_positions(void **state)
{
    (void)state;
    run_result r;
    /* the offset counts from the start of the input, lines and columns are 1-based */
    run_text(&r, "{\"a\":1}\n{\"b\":\n  [1,\n   x]}\n");
    assert_int_equal(r.rc, DLTC_EPARSE);
    assert_int_equal(r.items, 1);
    assert_int_equal(r.err.line, 4);
    assert_int_equal(r.err.column, 4);
    assert_int_equal(r.err.offset, 23);
    assert_string_equal(r.err.reason, "unexpected character 'x'");
    /* far from where the value began: that place too */
    assert_string_equal(r.message, "mem:4:4: unexpected character 'x' (the value starts at 2:1)");
    dltc__buf_free(&r.text);

    /* an object never closed: found at the end, started lines before */
    run_text(&r, "{\"a\":1}\n  {\"b\": [1,\n2]\n\n");
    assert_int_equal(r.rc, DLTC_EPARSE);
    assert_int_equal(r.items, 1);
    assert_non_null(strstr(r.message, "(the value starts at 2:3)"));
    dltc__buf_free(&r.text);
    /* on its own line: no second position */
    run_text(&r, "{\"a\":1}\n{\"b\":x}\n");
    assert_string_equal(r.message, "mem:2:6: unexpected character 'x'");
    dltc__buf_free(&r.text);

    /* the name given for memory input; non-printable bytes are shown in hex */
    dltc_json_reader *rd;
    assert_int_equal(dltc__json_reader_open_mem(&rd, "[\x01]", 3, NULL, NULL), 0);
    drain(rd, &r);
    dltc__json_reader_free(rd);
    assert_string_equal(r.message, "<memory>:1:2: unexpected byte 0x01");
    dltc__buf_free(&r.text);

    /* a control character after a value in a sequence */
    run_text(&r, "1\x7f");
    assert_string_equal(r.err.reason, "unexpected byte 0x7f after value");
    dltc__buf_free(&r.text);
}

/* ---- inputs: file, fd, pipe, stdin ---- */

static void file_input(void **state)
{
    (void)state;
    char path[] = "/tmp/dltc_json_reader_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "{\"a\":1}\n{\"b\":[true,null]}\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);

    dltc_json_reader *r;
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.chunk_size = 3;
    assert_int_equal(dltc__json_reader_open_file(&r, path, &o), 0);
    run_result res;
    drain(r, &res);
    dltc__json_reader_free(r);
    assert_string_equal(res.text.data, "1\t{\"a\":1}\n2\t{\"b\":[true,null]}\n");
    dltc__buf_free(&res.text);
    unlink(path);

    assert_int_equal(dltc__json_reader_open_file(&r, "/nonexistent/x.jsonl", NULL),
                     DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "/nonexistent/x.jsonl"));
}

/* A child process writes `text` into a pipe in pieces of `piece` bytes. */
static pid_t pipe_writer(int *read_fd, const char *text, size_t len, size_t piece)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        for (size_t off = 0; off < len;) {
            size_t n = len - off < piece ? len - off : piece;
            ssize_t w = write(p[1], text + off, n);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(p[1]);
    *read_fd = p[0];
    return pid;
}

static void pipe_input(void **state)
{
    (void)state;
    const char *text = "[{\"a\":\"\xc3\xa9t\xc3\xa9\"},\n 12345678901234567890,"
                       " \"\\ud83d\\ude00\",\n {\"n\":[1.5e3]}]\n";
    run_result ref;
    run_text(&ref, text);
    assert_int_equal(ref.rc, DLTC_ITEROVER);
    assert_int_equal(ref.items, 4);
    for (size_t piece = 1; piece <= 5; piece++) {
        int fd;
        pid_t pid = pipe_writer(&fd, text, strlen(text), piece);
        dltc_json_reader *r;
        dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
        o.chunk_size = 4;
        assert_int_equal(dltc__json_reader_open_fd(&r, fd, "pipe", &o), 0);
        run_result res;
        drain(r, &res);
        dltc__json_reader_free(r);
        close(fd);
        int status;
        waitpid(pid, &status, 0);
        assert_same_run(&ref, &res);
        dltc__buf_free(&res.text);
    }
    dltc__buf_free(&ref.text);

    /* errors name the fd when no name is given */
    int fd;
    pid_t pid = pipe_writer(&fd, "{]", 2, 1);
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_fd(&r, fd, NULL, NULL), 0);
    run_result res;
    drain(r, &res);
    dltc__json_reader_free(r);
    char expect[64];
    snprintf(expect, sizeof(expect), "<fd %d>:1:2: expected object key or '}'", fd);
    assert_string_equal(res.message, expect);
    close(fd);
    waitpid(pid, NULL, 0);
    dltc__buf_free(&res.text);
}

static void stdin_input(void **state)
{
    (void)state;
    int fd;
    pid_t pid = pipe_writer(&fd, "{\"x\":1}\n{\"x\":2,}", 16, 7);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDIN_FILENO) >= 0);
    close(fd);
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_file(&r, "-", NULL), 0);
    run_result res;
    drain(r, &res);
    dltc__json_reader_free(r);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    waitpid(pid, NULL, 0);
    assert_int_equal(res.items, 1);
    assert_string_equal(res.message, "<stdin>:2:7: trailing comma");
    dltc__buf_free(&res.text);
}

/* ---- bounded memory on a large stream ---- */

typedef struct {
    size_t live, peak;
} mem_count;
static mem_count g_mem;

static void *count_malloc(size_t size, void *payload)
{
    (void)payload;
    size_t *p = malloc(size + 16);
    if (!p)
        return NULL;
    p[0] = size;
    g_mem.live += size;
    if (g_mem.live > g_mem.peak)
        g_mem.peak = g_mem.live;
    return (char *)p + 16;
}
static void count_free(void *ptr, void *payload)
{
    (void)payload;
    if (!ptr)
        return;
    size_t *p = (size_t *)(void *)((char *)ptr - 16);
    g_mem.live -= p[0];
    free(p);
}
static void *count_realloc(void *ptr, size_t size, void *payload)
{
    void *n = count_malloc(size, payload);
    if (n && ptr) {
        size_t old = ((size_t *)(void *)((char *)ptr - 16))[0];
        memcpy(n, ptr, old < size ? old : size);
        count_free(ptr, payload);
    }
    return n;
}

static void large_stream_bounded(void **state)
{
    (void)state;
    /* ~50 MB of JSON Lines, generated in a child and streamed through a pipe */
    int p[2];
    assert_int_equal(pipe(p), 0);
    const uint64_t rows = 330000;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        FILE *f = fdopen(p[1], "w");
        for (uint64_t i = 0; i < rows; i++)
            fprintf(f,
                    "{\"id\":%llu,\"name\":\"row %llu with some text \\u00e9\",\"score\":%llu.25,"
                    "\"tags\":[\"a\",\"b\",{\"deep\":[1,2,3]}],\"body\":\"%080llu\"}\n",
                    (unsigned long long)i, (unsigned long long)i, (unsigned long long)(i % 977),
                    (unsigned long long)i);
        fclose(f);
        _exit(0);
    }
    close(p[1]);

    dltc_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    memset(&g_mem, 0, sizeof(g_mem));
    dltc_allocator_set(&counting);
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.chunk_size = 16 * 1024;
    o.max_item_bytes = 1024;
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_fd(&r, p[0], "gen", &o), 0);
    dltc_arena a;
    dltc__arena_init(&a, 8192);
    dltc_value *v;
    int rc;
    uint64_t n = 0, bytes_seen = 0;
    while ((rc = dltc__json_reader_next(r, &a, &v)) == 0) {
        assert_int_equal(v->type, DLTC_TYPE_OBJECT);
        assert_int_equal(v->u.obj[0].val.u.i, (int64_t)n);
        assert_int_equal(dltc__json_reader_item_line(r), n + 1);
        n++;
        dltc__arena_reset(&a);
    }
    bytes_seen = dltc__json_reader_error(r)->offset;
    (void)bytes_seen;
    assert_int_equal(rc, DLTC_ITEROVER);
    assert_int_equal(n, rows);
    dltc__json_reader_free(r);
    dltc__arena_free(&a);
    dltc_allocator_set(NULL);
    close(p[0]);
    waitpid(pid, NULL, 0);
    /* buffer (~2 chunks) + stacks + one item in the arena: far below 1 MiB for 50 MB read.
     * (With DLTC_ARENA_DEBUG each arena allocation is its own malloc: still one item.) */
    print_message("peak live bytes: %zu\n", g_mem.peak);
    assert_true(g_mem.peak < 256 * 1024);
    assert_int_equal(g_mem.live, 0);
}

/* Items much larger than a chunk: found by the end scan, then parsed once. */
static void large_items(void **state)
{
    (void)state;
    dltc_buf b = DLTC_BUF_INIT;
    dltc__buf_puts(&b, "{\"s\":\"");
    for (int i = 0; i < 200000; i++)
        dltc__buf_puts(&b, "0123456789");
    dltc__buf_puts(&b, "\\n\",\"a\":[");
    for (int i = 0; i < 100000; i++)
        dltc__buf_printf(&b, "%s{\"k\":[%d,\"]}\"]}", i ? "," : "", i);
    dltc__buf_puts(&b, "]}\n\"");
    for (int i = 0; i < 100000; i++)
        dltc__buf_puts(&b, "\\\"");
    dltc__buf_puts(&b, "\"\n12345678901234567890123 7");
    int fd;
    pid_t pid = pipe_writer(&fd, b.data, b.len, 65536);
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.chunk_size = 4096;
    dltc_json_reader *r;
    assert_int_equal(dltc__json_reader_open_fd(&r, fd, "big", &o), 0);
    dltc_arena a;
    dltc__arena_init(&a, 1 << 20);
    dltc_value *v;
    assert_int_equal(dltc__json_reader_next(r, &a, &v), 0);
    assert_int_equal(v->type, DLTC_TYPE_OBJECT);
    assert_int_equal(v->u.obj[0].val.len, 2000001);
    assert_int_equal(v->u.obj[1].val.len, 100000);
    assert_int_equal(v->u.obj[1].val.u.arr[99999].u.obj[0].val.u.arr[0].u.i, 99999);
    dltc__arena_reset(&a);
    assert_int_equal(dltc__json_reader_next(r, &a, &v), 0);
    assert_int_equal(v->len, 100000);
    assert_int_equal(dltc__json_reader_item_line(r), 2);
    assert_int_equal(dltc__json_reader_next(r, &a, &v), 0);
    assert_int_equal(v->type, DLTC_TYPE_BIGINT);
    assert_int_equal(dltc__json_reader_next(r, &a, &v), 0);
    assert_int_equal(v->u.i, 7);
    assert_int_equal(dltc__json_reader_next(r, &a, &v), DLTC_ITEROVER);
    dltc__json_reader_free(r);
    dltc__arena_free(&a);
    close(fd);
    waitpid(pid, NULL, 0);
    dltc__buf_free(&b);
}

/* ---- limits ---- */

static void depth_limit(void **state)
{
    (void)state;
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.max_depth = 3;
    run_result r;
    const char *ok = "{\"a\":[{\"b\":1}]}\n[[[]]]";
    run_mem(&r, ok, strlen(ok), 0, &o);
    assert_int_equal(r.rc, DLTC_ITEROVER);
    assert_int_equal(r.items, 2);
    dltc__buf_free(&r.text);

    const char *deep = "{\"a\":[[[1]]]}";
    run_mem(&r, deep, strlen(deep), 0, &o);
    assert_int_equal(r.rc, DLTC_ELIMIT);
    assert_int_equal(r.err.column, 8);
    assert_string_equal(r.err.reason, "nesting deeper than 3");
    assert_chunk_independent(deep, strlen(deep), &r, &o);
    dltc__buf_free(&r.text);

    /* in an array stream the outer array does not count */
    const char *stream = "[[[[1]]], [[[[2]]]]]";
    run_mem(&r, stream, strlen(stream), 0, &o);
    assert_int_equal(r.rc, DLTC_ELIMIT);
    assert_int_equal(r.items, 1);
    assert_int_equal(r.err.column, 14);
    dltc__buf_free(&r.text);

    /* the default limit: 512 */
    char *big = malloc(2000);
    memset(big, '[', 512);
    memset(big + 512, ']', 512);
    run_mem(&r, big, 1024, 0, NULL);
    assert_int_equal(r.rc, DLTC_ITEROVER);
    dltc__buf_free(&r.text);
    free(big);
}

static void item_size_limit(void **state)
{
    (void)state;
    dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
    o.max_item_bytes = 16;
    run_result r;
    /* 16 bytes exactly pass; 17 do not (reported at the item start) */
    const char *text = "{\"a\":\"01234567\"}\n{\"a\":\"012345678\"}\n";
    run_mem(&r, text, strlen(text), 0, &o);
    assert_int_equal(r.rc, DLTC_ELIMIT);
    assert_int_equal(r.items, 1);
    assert_int_equal(r.err.line, 2);
    assert_int_equal(r.err.column, 1);
    assert_string_equal(r.err.reason, "item larger than 16 bytes");
    assert_chunk_independent(text, strlen(text), &r, &o);
    dltc__buf_free(&r.text);

    /* a number of exactly the limit, followed by more input */
    const char *nums = "1234567890123456 12345678901234567 1";
    run_mem(&r, nums, strlen(nums), 0, &o);
    assert_int_equal(r.rc, DLTC_ELIMIT);
    assert_int_equal(r.items, 1);
    assert_int_equal(r.err.column, 18);
    assert_chunk_independent(nums, strlen(nums), &r, &o);
    dltc__buf_free(&r.text);

    /* an unterminated item longer than the limit: the limit is reported */
    const char *open = "[\"0123456789012345678901234567890";
    run_mem(&r, open, strlen(open), 0, &o);
    assert_int_equal(r.rc, DLTC_ELIMIT);
    assert_chunk_independent(open, strlen(open), &r, &o);
    dltc__buf_free(&r.text);

    /* an error before the limit is reported as such */
    const char *bad = "{\"a\":x,\"0123456789012345678901234567890\":1}";
    run_mem(&r, bad, strlen(bad), 0, &o);
    assert_int_equal(r.rc, DLTC_EPARSE);
    assert_chunk_independent(bad, strlen(bad), &r, &o);
    dltc__buf_free(&r.text);
}

static void arena_limit(void **state)
{
    (void)state;
    dltc_json_reader *r;
    const char *text = "{\"a\":\"a long enough string to pass the arena limit, surely\"}";
    assert_int_equal(dltc__json_reader_open_mem(&r, text, strlen(text), "m", NULL), 0);
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    a.limit = 32;
    dltc_value *v;
    int rc = dltc__json_reader_next(r, &a, &v);
    assert_int_equal(rc, DLTC_ELIMIT);
    assert_non_null(strstr(dltc_error_last()->message, "m:1:"));
    assert_non_null(strstr(dltc_error_last()->message, "arena limit"));
    dltc__arena_free(&a);
    dltc__json_reader_free(r);
}

/* ---- numbers ---- */

static dltc_value *parse1(dltc_arena *a, const char *text)
{
    dltc_value *v = NULL;
    dltc_json_error err;
    int rc = dltc__json_parse(a, text, strlen(text), 0, &v, &err);
    if (rc)
        fail_msg("'%s': %s", text, dltc_error_last()->message);
    return v;
}

static void integers(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    static const struct {
        const char *text;
        int64_t value;
    } ints[] = {{"0", 0},
                {"-0", 0},
                {"7", 7},
                {"-7", -7},
                {"999999999999999999", 999999999999999999LL},
                {"9223372036854775807", INT64_MAX},
                {"-9223372036854775807", -INT64_MAX},
                {"-9223372036854775808", INT64_MIN},
                {"1000000000000000000", 1000000000000000000LL}};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        dltc_value *v = parse1(&a, ints[i].text);
        assert_int_equal(v->type, DLTC_TYPE_INT);
        assert_true(v->u.i == ints[i].value);
    }
    static const char *const bigs[] = {"9223372036854775808", "-9223372036854775809",
                                       "18446744073709551616", "99999999999999999999",
                                       "-123456789012345678901234567890123456789"};
    for (size_t i = 0; i < sizeof(bigs) / sizeof(bigs[0]); i++) {
        dltc_value *v = parse1(&a, bigs[i]);
        assert_int_equal(v->type, DLTC_TYPE_BIGINT);
        assert_int_equal(v->len, strlen(bigs[i]));
        assert_string_equal(v->u.s, bigs[i]);
    }
    dltc__arena_free(&a);
}

static void doubles(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    static const struct {
        const char *text;
        double value;
    } ds[] = {{"0.1", 0.1},
              {"1e-7", 1e-7},
              {"5e-324", 5e-324},
              {"4.9406564584124654e-324", 4.9406564584124654e-324},
              {"2.2250738585072014e-308", 2.2250738585072014e-308},
              {"2.2250738585072011e-308", 2.2250738585072011e-308},
              {"1.7976931348623157e308", 1.7976931348623157e308},
              {"123456789012345678.0", 123456789012345678.0},
              {"1E2", 100.0},
              {"1e+2", 100.0},
              {"-0.0", -0.0},
              {"0e0", 0.0},
              {"0.30000000000000004", 0.30000000000000004},
              {"9007199254740993.0", 9007199254740993.0},
              {"1.00000000000000011102230246251565404236316680908203125", 1.0}, /* tie: even */
              {"1.00000000000000011102230246251565404236316680908203126", 1.0000000000000002},
              {"3.14159265358979323846264338327950288", 3.14159265358979323846},
              {"1e22", 1e22},
              {"1e23", 1e23},
              {"-1.5e-300", -1.5e-300},
              {"1e-400", 0.0},
              {"0.000000000000000000000000000001", 1e-30},
              {"12345.6789e-3", 12.3456789}};
    for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
        dltc_value *v = parse1(&a, ds[i].text);
        assert_int_equal(v->type, DLTC_TYPE_DOUBLE);
        if (memcmp(&v->u.d, &ds[i].value, sizeof(double)) != 0)
            fail_msg("'%s': got %.17g, expected %.17g", ds[i].text, v->u.d, ds[i].value);
        assert_non_null(v->lex);
        assert_string_equal(v->lex, ds[i].text);
        assert_int_equal(v->len, strlen(ds[i].text));
    }
    /* out of range: a parse error (JSON has no infinity) */
    dltc_value *v;
    dltc_json_error err;
    assert_int_equal(dltc__json_parse(&a, "[1e400]", 7, 0, &v, &err), DLTC_EPARSE);
    assert_string_equal(err.reason, "number out of range");
    assert_int_equal(dltc__json_parse(&a, "-1.8e308", 8, 0, &v, &err), DLTC_EPARSE);
    dltc__arena_free(&a);
}

/* Every parsed double equals strtod of the same text (fast path and slow path). */
static void doubles_match_strtod(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 1 << 16);
    uint64_t x = 88172645463325252ULL;
    char text[64];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        switch (i % 4) {
        case 0: { /* any finite double, shortest-ish and full precision */
            double d;
            uint64_t bits = x;
            memcpy(&d, &bits, 8);
            if (!isfinite(d))
                continue;
            snprintf(text, sizeof(text), (i & 8) ? "%.17g" : "%.15g", d);
            if (!strpbrk(text, ".e"))
                memcpy(text + strlen(text), ".0", 3);
            break;
        }
        case 1: /* short decimals: the fast path */
            snprintf(text, sizeof(text), "%llu.%03llue%d", (unsigned long long)(x % 1000000),
                     (unsigned long long)((x >> 20) % 1000), (int)((x >> 40) % 45) - 22);
            break;
        case 2: /* long mantissas */
            snprintf(text, sizeof(text), "0.%llu%llu", (unsigned long long)x,
                     (unsigned long long)(x >> 3));
            break;
        default: /* exponents near the edges */
            snprintf(text, sizeof(text), "%llu.%llue%d", (unsigned long long)(x % 10),
                     (unsigned long long)(x >> 30), (int)((x >> 50) % 640) - 330);
            break;
        }
        double want = strtod(text, NULL);
        if (!isfinite(want))
            continue;
        dltc_value *v = parse1(&a, text);
        assert_int_equal(v->type, DLTC_TYPE_DOUBLE);
        if (memcmp(&v->u.d, &want, sizeof(double)) != 0)
            fail_msg("'%s': got %.17g, expected %.17g", text, v->u.d, want);
        dltc__arena_reset(&a);
    }
    dltc__arena_free(&a);
}

/* ---- strings and objects ---- */

static void strings(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v = parse1(&a, "\"a\\u0000b\\ud83d\\ude00\\n\"");
    assert_int_equal(v->type, DLTC_TYPE_STRING);
    assert_int_equal(v->len, 8);
    assert_memory_equal(v->u.s, "a\0b\xf0\x9f\x98\x80\n", 9);
    assert_true(v->flags & DLTC_VF_ESCAPED);
    v = parse1(&a, "\"plain \xe4\xb8\xad\"");
    assert_int_equal(v->len, 9);
    assert_false(v->flags & DLTC_VF_ESCAPED);
    assert_int_equal(v->u.s[v->len], '\0');

    /* strings of every length around the 16-byte scan, with a special byte at each place */
    char text[80], expect[80];
    for (int n = 0; n < 40; n++) {
        for (int k = 0; k < n; k++) {
            memset(expect, 'x', (size_t)n);
            expect[k] = '\t';
            text[0] = '"';
            memcpy(text + 1, expect, (size_t)k);
            memcpy(text + 1 + k, "\\t", 2);
            memcpy(text + 3 + k, expect + k + 1, (size_t)(n - k - 1));
            text[n + 2] = '"';
            text[n + 3] = '\0';
            v = parse1(&a, text);
            assert_int_equal(v->len, n);
            assert_memory_equal(v->u.s, expect, (size_t)n);
            /* the same with a raw tab is an error at its column */
            text[1 + k] = '\t';
            memmove(text + 2 + k, text + 3 + k, strlen(text + 3 + k) + 1);
            dltc_json_error err;
            assert_int_equal(dltc__json_parse(&a, text, strlen(text), 0, &v, &err),
                             DLTC_EPARSE);
            assert_int_equal(err.column, (uint64_t)k + 2);
        }
    }
    dltc__arena_free(&a);
}

/* The streaming reader parses in situ (strings and number texts point into its buffer, the
 * closing quotes overwritten). Whatever the chunk size, so wherever the buffer ends, every
 * item reads back as the same text, numbers keep their digits, "-0" is written as 0, and
 * an item stays intact while the reader looks past it (separator checks, array commas). */
static void insitu_items(void **state)
{
    (void)state;
    const char *seq = "{\"a\":\"x\",\"b\":\"y\\n\\u00e9\",\"n\":-0,\"i\":-1234567890123,"
                      "\"d\":1.50,\"e\":2E+3,\"u\":\"\xc3\xa9\",\"a\":\"z\"}\n"
                      "\"s\"  \"t\"\n[\"q\",\"r\\\"\",12,-0.0]  17 \"\"";
    const char *want = "1\t{\"a\":\"z\",\"b\":\"y\\n\xc3\xa9\",\"n\":0,\"i\":-1234567890123,"
                       "\"d\":1.50,\"e\":2E+3,\"u\":\"\xc3\xa9\"}\n"
                       "2\t\"s\"\n2\t\"t\"\n3\t[\"q\",\"r\\\"\",12,-0.0]\n3\t17\n3\t\"\"\n";
    run_result r;
    run_mem(&r, seq, strlen(seq), 0, NULL);
    assert_int_equal(r.rc, DLTC_ITEROVER);
    assert_string_equal(r.text.data, want);
    assert_chunk_independent(seq, strlen(seq), &r, NULL);
    dltc__buf_free(&r.text);

    /* a top-level array, with an object large enough for the hashed duplicate check */
    dltc_buf b = DLTC_BUF_INIT;
    dltc__buf_puts(&b, "[ \"k\" , {");
    for (int i = 0; i < 80; i++)
        dltc__buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i % 70, i);
    dltc__buf_puts(&b, "} ,\n 5 ]");
    run_mem(&r, b.data, b.len, 0, NULL);
    assert_int_equal(r.rc, DLTC_ITEROVER);
    assert_int_equal(r.items, 3);
    assert_non_null(strstr(r.text.data, "\"k0\":70,"));
    assert_non_null(strstr(r.text.data, "\"k69\":69}"));
    assert_chunk_independent(b.data, b.len, &r, NULL);
    dltc__buf_free(&r.text);
    dltc__buf_free(&b);

    /* errors right after an in-situ item keep their position */
    const char *bad = "{\"a\":\"b\"}\"c\"";
    run_mem(&r, bad, strlen(bad), 0, NULL);
    assert_int_equal(r.rc, DLTC_EPARSE);
    assert_int_equal(r.err.column, 10);
    assert_chunk_independent(bad, strlen(bad), &r, NULL);
    dltc__buf_free(&r.text);
}

static void duplicate_keys(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v = parse1(&a, "{\"a\":1,\"b\":2,\"a\":3,\"c\":4,\"b\":5}");
    assert_int_equal(v->len, 3);
    assert_string_equal(v->u.obj[0].key, "a");
    assert_int_equal(v->u.obj[0].val.u.i, 3);
    assert_string_equal(v->u.obj[1].key, "b");
    assert_int_equal(v->u.obj[1].val.u.i, 5);
    assert_string_equal(v->u.obj[2].key, "c");
    assert_int_equal(v->cap, v->len);

    /* a large object takes the hash path */
    dltc_buf b = DLTC_BUF_INIT;
    dltc__buf_putc(&b, '{');
    for (int i = 0; i < 300; i++)
        dltc__buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i % 100, i);
    dltc__buf_putc(&b, '}');
    v = parse1(&a, b.data);
    assert_int_equal(v->len, 100);
    for (int i = 0; i < 100; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        assert_string_equal(v->u.obj[i].key, key);
        assert_int_equal(v->u.obj[i].val.u.i, 200 + i);
    }
    dltc__buf_free(&b);
    dltc__arena_free(&a);
}

/* ---- one document ---- */

static void parse_document(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v;
    dltc_json_error err;
    assert_int_equal(dltc__json_parse(&a, " [1, [2]] \n", 11, 0, &v, &err), 0);
    assert_int_equal(v->type, DLTC_TYPE_ARRAY);
    assert_int_equal(v->len, 2);

    assert_int_equal(dltc__json_parse(&a, "{} {}", 5, 0, &v, &err), DLTC_EPARSE);
    assert_string_equal(dltc_error_last()->message, "1:4: unexpected character '{' after value");
    assert_int_equal(err.offset, 3);
    assert_int_equal(dltc__json_parse(&a, "", 0, 0, &v, &err), DLTC_EPARSE);
    assert_string_equal(err.reason, "unexpected end of input");
    assert_int_equal(dltc__json_parse(&a, "\n\n  ", 4, 0, &v, &err), DLTC_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 3);
    assert_int_equal(dltc__json_parse(&a, "[[1]]", 5, 1, &v, &err), DLTC_ELIMIT);
    /* not NUL-terminated input */
    assert_int_equal(dltc__json_parse(&a, "123456", 3, 0, &v, &err), 0);
    assert_int_equal(v->u.i, 123);

    /* the public wrapper */
    dltc_doc *doc;
    assert_int_equal(dltc_doc_new(&doc), 0);
    assert_int_equal(dltc_doc_parse_json(doc, "{\"k\":[1,2]}", 11, &v), 0);
    assert_int_equal(dltc_value_size(dltc_object_get(v, "k")), 2);
    assert_int_equal(dltc_doc_parse_json(doc, "{\"k\":}", 6, &v), DLTC_EPARSE);
    assert_string_equal(dltc_error_last()->message, "1:6: unexpected character '}'");
    dltc_doc_free(doc);
    dltc__arena_free(&a);
}

/* ---- allocation failures: every one is reported, nothing leaks ---- */

static long g_fail_at, g_allocs;
static void *fail_malloc(size_t size, void *payload)
{
    (void)payload;
    if (++g_allocs == g_fail_at)
        return NULL;
    return malloc(size);
}
static void *fail_realloc(void *ptr, size_t size, void *payload)
{
    (void)payload;
    if (++g_allocs == g_fail_at)
        return NULL;
    return realloc(ptr, size);
}
static void plain_free(void *ptr, void *payload)
{
    (void)payload;
    free(ptr);
}

static void allocation_failures(void **state)
{
    (void)state;
    dltc_allocator failing = {fail_malloc, fail_realloc, plain_free, NULL};
    char text[2048];
    int n = snprintf(text, sizeof(text), "[{\"a\":[1,2,{\"b\":\"x\\n\"}],\"c\":1.5}");
    for (int i = 0; i < 40; i++)
        n += snprintf(text + n, sizeof(text) - (size_t)n, ",{\"k%d\":[%d,\"%d\"]}", i, i, i);
    snprintf(text + n, sizeof(text) - (size_t)n, "]");
    int succeeded = 0;
    for (g_fail_at = 1; !succeeded; g_fail_at++) {
        g_allocs = 0;
        dltc_allocator_set(&failing);
        dltc_json_reader_options o = DLTC_JSON_READER_OPTIONS_INIT;
        o.chunk_size = 7;
        dltc_json_reader *r;
        int rc = dltc__json_reader_open_mem(&r, text, strlen(text), "m", &o);
        if (rc == 0) {
            dltc_arena a;
            dltc__arena_init(&a, 256);
            dltc_value *v;
            size_t items = 0;
            while ((rc = dltc__json_reader_next(r, &a, &v)) == 0)
                items++;
            if (rc == DLTC_ITEROVER) {
                assert_int_equal(items, 41);
                succeeded = 1;
            } else {
                assert_int_equal(rc, DLTC_ENOMEM);
            }
            dltc__arena_free(&a);
            dltc__json_reader_free(r);
        } else {
            assert_int_equal(rc, DLTC_ENOMEM);
        }
        dltc_allocator_set(NULL);
        assert_true(g_fail_at < 100000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_valid),
        cmocka_unit_test(corpus_invalid),
        cmocka_unit_test(shapes),
        cmocka_unit_test(error_positions),
        cmocka_unit_test(file_input),
        cmocka_unit_test(pipe_input),
        cmocka_unit_test(stdin_input),
        cmocka_unit_test(large_stream_bounded),
        cmocka_unit_test(large_items),
        cmocka_unit_test(depth_limit),
        cmocka_unit_test(item_size_limit),
        cmocka_unit_test(arena_limit),
        cmocka_unit_test(integers),
        cmocka_unit_test(doubles),
        cmocka_unit_test(doubles_match_strtod),
        cmocka_unit_test(strings),
        cmocka_unit_test(duplicate_keys),
        cmocka_unit_test(insitu_items),
        cmocka_unit_test(parse_document),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
