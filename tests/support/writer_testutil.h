/* What the load-file writer tests share (header-only, like testutil.h): an allocator that
 * counts live blocks and can fail the N-th allocation, a fixture with a one-table schema, a
 * doc for values and a file path, and helpers to build columns, cells and values, open a
 * writer, write rows and compare the file's bytes. Include after nothing but the system
 * headers: it brings in cmocka itself. */
#ifndef DLTC_WRITER_TESTUTIL_H
#define DLTC_WRITER_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "formats/value.h"
#include "normalize/writer.h"
#include "schema/schema.h"
#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an allocator that counts live blocks and can fail the N-th allocation ---- */

static struct {
    long live;
    long allocs;
    long fail_at; /* 0: never */
} g_mem;

static inline void *cnt_malloc(size_t size, void *payload)
{
    (void)payload;
    if (g_mem.fail_at && ++g_mem.allocs == g_mem.fail_at)
        return NULL;
    size_t *p = malloc(size + 16);
    if (!p)
        return NULL;
    p[0] = size;
    g_mem.live++;
    return (char *)p + 16;
}

static inline void cnt_free(void *ptr, void *payload)
{
    (void)payload;
    if (!ptr)
        return;
    g_mem.live--;
    free((char *)ptr - 16);
}

static inline void *cnt_realloc(void *ptr, size_t size, void *payload)
{
    void *n = cnt_malloc(size, payload);
    if (n && ptr) {
        size_t old = *(size_t *)(void *)((char *)ptr - 16);
        memcpy(n, ptr, old < size ? old : size);
        cnt_free(ptr, payload);
    }
    return n;
}

static inline void counting_on(long fail_at)
{
    static const dltc_allocator a = {cnt_malloc, cnt_realloc, cnt_free, NULL};
    memset(&g_mem, 0, sizeof(g_mem));
    g_mem.fail_at = fail_at;
    dltc_allocator_set(&a);
}

/* ---- fixture: a schema with one table, a doc for values, a file path ---- */

typedef struct {
    const dltc_writer_type *wt; /* the writer under test */
    char *dir;
    char path[4096]; /* <dir>/t.<ext> */
    dltc_schema *s;
    dltc_table *t;
    dltc_doc *d;
} fixture;

/* The body of a cmocka setup for writer type `wt`. */
static inline int fixture_setup(void **state, const dltc_writer_type *wt)
{
    fixture *f = calloc(1, sizeof(*f));
    f->wt = wt;
    f->dir = tu_mkdtemp();
    snprintf(f->path, sizeof(f->path), "%s/t.%s", f->dir, wt->ext);
    assert_int_equal(dltc__schema_create(&f->s, "s", 0), 0);
    assert_int_equal(dltc__schema_add_table(f->s, "t", NULL, &f->t), 0);
    assert_int_equal(dltc_doc_new(&f->d), 0);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    dltc_allocator_set(NULL);
    dltc_doc_free(f->d);
    dltc_schema_free(f->s);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static inline uint32_t add_col(fixture *f, const char *name, int dt, int tz)
{
    dltc_column c;
    memset(&c, 0, sizeof(c));
    c.precision = c.scale = -1;
    c.nullable = 1;
    c.timezone = (int8_t)tz;
    c.name = (char *)name;
    c.data_type = (uint8_t)dt;
    long i = dltc__table_add_column(f->s, f->t, &c);
    assert_true(i >= 0);
    return (uint32_t)i;
}

static inline dltc_cell cell(uint32_t col, const dltc_value *v)
{
    dltc_cell c;
    c.col = col;
    c.val = *v;
    return c;
}

/* A value parsed from JSON text (strings without escapes come out CLEAN, numbers with lex). */
static inline const dltc_value *js(fixture *f, const char *json)
{
    dltc_value *v;
    assert_int_equal(dltc_doc_parse_json(f->d, json, strlen(json), &v), 0);
    return v;
}

static inline const dltc_value *str(fixture *f, const char *s, size_t len)
{
    const dltc_value *v = dltc_value_string(f->d, s, len);
    assert_non_null(v);
    return v;
}

static inline dltc_writer *open_w(fixture *f)
{
    dltc_writer *w = NULL;
    assert_int_equal(f->wt->open(&w, f->path, f->t), 0);
    assert_non_null(w);
    return w;
}

static inline void write_ok(fixture *f, dltc_writer *w, const dltc_cell *cells, size_t n)
{
    assert_int_equal(f->wt->write_row(w, f->t, cells, n), 0);
}

/* The file at f->path holds exactly these elen bytes (both shown when not). */
static inline void assert_file(fixture *f, const char *expected, size_t elen)
{
    size_t len;
    char *got = tu_read_file(f->path, &len);
    assert_non_null(got);
    if (len != elen || memcmp(got, expected, len))
        print_error("got:\n%s\nexpected:\n%s\n", got, expected);
    assert_int_equal(len, elen);
    assert_memory_equal(got, expected, len);
    free(got);
}

#define ASSERT_FILE(f, lit) assert_file(f, lit, sizeof(lit) - 1)

/* ---- what every fixed-column writer is checked for the same way ---- */

/* Rotation: the file keeps the columns it was opened with. Writes "one"; refuses, writing
 * nothing, a row with a column added after open and one with a column typed after open; writes
 * "four" with a null of the new column; then a second file (t2.<ext>) takes both refused rows.
 * `first` and `second` are the two files' bytes. */
static inline void check_rotation(fixture *f, const char *first, const char *second)
{
    uint32_t a = add_col(f, "a", DLTC_DT_TEXT, -1);
    uint32_t h = add_col(f, "h", DLTC_DT_UNSET, -1);
    dltc_writer *w = open_w(f);
    dltc_cell r1[] = {cell(a, str(f, "one", 3))};
    write_ok(f, w, r1, 1);

    /* a column added to the table after open */
    uint32_t b = add_col(f, "b", DLTC_DT_BIGINT, -1);
    dltc_cell r2[] = {cell(a, str(f, "two", 3)), cell(b, dltc_value_int(f->d, 2))};
    assert_int_equal(f->wt->write_row(w, f->t, r2, 2), DLTC_WRITER_ROTATE);
    /* a hint-only column that got its type after open */
    f->t->cols[h].data_type = DLTC_DT_TEXT;
    dltc_cell r3[] = {cell(h, str(f, "x", 1)), cell(a, str(f, "three", 5))};
    assert_int_equal(f->wt->write_row(w, f->t, r3, 2), DLTC_WRITER_ROTATE);
    /* a null of such a column is no reason to rotate */
    dltc_cell r4[] = {cell(a, str(f, "four", 4)), cell(b, dltc_value_null(f->d))};
    write_ok(f, w, r4, 2);
    assert_int_equal(f->wt->finish(w), 0);
    /* nothing of the refused rows */
    assert_file(f, first, strlen(first));

    /* the next file has the new columns, in table order */
    snprintf(f->path, sizeof(f->path), "%s/t2.%s", f->dir, f->wt->ext);
    w = open_w(f);
    write_ok(f, w, r2, 2);
    write_ok(f, w, r3, 2);
    assert_int_equal(f->wt->finish(w), 0);
    assert_file(f, second, strlen(second));
}

/* abort, after enough rows for a flush, frees everything; abort(NULL) does nothing. */
static inline void test_abort_frees_everything(void **state)
{
    fixture *f = *state;
    uint32_t s = add_col(f, "s", DLTC_DT_TEXT, -1);
    uint32_t j = add_col(f, "j", DLTC_DT_JSON, -1);
    const dltc_value *sv = str(f, "some text that takes room", 25);
    const dltc_value *jv = js(f, "{\"a\":[1,2,3]}");
    counting_on(0);
    dltc_writer *w = NULL;
    assert_int_equal(f->wt->open(&w, f->path, f->t), 0);
    dltc_cell r[] = {cell(s, sv), cell(j, jv)};
    for (int i = 0; i < 20000; i++) /* past a flush */
        assert_int_equal(f->wt->write_row(w, f->t, r, 2), 0);
    assert_true(g_mem.live > 0);
    f->wt->abort(w);
    assert_int_equal(g_mem.live, 0);
    f->wt->abort(NULL);
    dltc_allocator_set(NULL);
}

/* A file that cannot be created: DLTC_EIO, "cannot create", nothing left allocated. */
static inline void test_open_failure(void **state)
{
    fixture *f = *state;
    add_col(f, "s", DLTC_DT_TEXT, -1);
    snprintf(f->path, sizeof(f->path), "%s/no/such/dir/t.%s", f->dir, f->wt->ext);
    counting_on(0);
    dltc_writer *w = NULL;
    assert_int_equal(f->wt->open(&w, f->path, f->t), DLTC_EIO);
    assert_null(w);
    assert_int_equal(g_mem.live, 0);
    dltc_allocator_set(NULL);
    assert_non_null(strstr(dltc_error_last()->message, "cannot create"));
}

/* Opens f->path, writes `row` three times and finishes, failing the 1st, 2nd, ...
 * allocation until a run has none: every failure is DLTC_ENOMEM and leaves nothing
 * allocated. `finish_allocates`: finish may fail too (else it must succeed). */
static inline void write_under_failing_allocations(fixture *f, const dltc_cell *row, size_t n,
                                                   int finish_allocates)
{
    int done = 0;
    for (long k = 1; !done; k++) {
        counting_on(k);
        dltc_writer *w = NULL;
        int rc = f->wt->open(&w, f->path, f->t);
        if (rc) {
            assert_int_equal(rc, DLTC_ENOMEM);
            assert_int_equal(g_mem.live, 0);
            continue;
        }
        for (int i = 0; i < 3 && !rc; i++)
            rc = f->wt->write_row(w, f->t, row, n);
        if (rc) {
            assert_int_equal(rc, DLTC_ENOMEM);
            f->wt->abort(w);
        } else if (finish_allocates) {
            rc = f->wt->finish(w);
            assert_true(rc == 0 || rc == DLTC_ENOMEM);
            done = rc == 0;
        } else {
            assert_int_equal(f->wt->finish(w), 0);
            done = 1;
        }
        assert_int_equal(g_mem.live, 0);
    }
    dltc_allocator_set(NULL);
}

#endif
