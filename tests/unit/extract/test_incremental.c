/* Incremental cursors, resource/source state and checkpoints (dlt-core §6, §7), shaped like
 * dlt's tutorial: an API whose rows carry an id, a number and an ISO timestamp. Unit tests of
 * the pieces (hash text, cursor paths, comparison, the unique_hashes bound) come first, then
 * pipelines against a temporary DuckDB file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "common/buf.h"
#include "common/time.h"
#include "extract/incremental.h"
#include "extract/resource_int.h"
#include "pipeline/pipeline_impl.h"
#include "testutil.h"

/* ---------------------------------------------------------------------------------------- */
/* pieces                                                                                     */
/* ---------------------------------------------------------------------------------------- */

static dltc_value *parse(dltc_doc *d, const char *json)
{
    dltc_value *v = NULL;
    if (dltc_doc_parse_json(d, json, strlen(json), &v))
        fail_msg("parse %s: %s", json, dltc_error_last()->message);
    return v;
}

/* Expected strings computed with Python: base64(hashlib.shake_128(orjson.dumps(v,
 * option=OPT_SORT_KEYS | OPT_UTC_Z)).digest(15)), which is dlt's digest128(json.dumps(...)). */
static void unique_hash_matches_dlt(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    char h[21];
    dltc_value *row = parse(d, "{\"ts\": \"2024-01-01T00:00:00Z\", \"price\": 12.50, "
                               "\"name\": \"\\u00e9\\\"\\n\", \"id\": 1, \"s\": \"abc\", "
                               "\"k\": 7, \"j\": \"x\"}");
    assert_int_equal(dltc__incr_unique_hash(row, "id", h), 0);
    assert_string_equal(h, "669czW83KR00ut4bv/U5"); /* json.dumps(1) */
    assert_int_equal(dltc__incr_unique_hash(row, "s", h), 0);
    assert_string_equal(h, "Q7izEiCRBJq3oU2fNGTP"); /* "abc" */
    assert_int_equal(dltc__incr_unique_hash(row, "k, j", h), 0);
    assert_string_equal(h, "ToL7f/+jNLbNLwC7MqUW"); /* [7,"x"] */
    dltc_value *small = parse(d, "{\"ts\": \"2024-01-01T00:00:00Z\", \"price\": 12.50, "
                                 "\"name\": \"\\u00e9\\\"\\n\", \"id\": 1}");
    assert_int_equal(dltc__incr_unique_hash(small, NULL, h), 0);
    assert_string_equal(h, "WSgYluY6R/T4H0WeU+oR"); /* the whole row, keys sorted */

    /* typed values as orjson writes them: "Z" for UTC, dates, decimals as strings, floats
     * with orjson's exponents, nested keys sorted */
    dltc_value *o = dltc_value_object(d);
    dltc_object_set(d, o, "z", dltc_value_timestamp(d, 1714979289120000, 1));
    dltc_object_set(d, o, "a", dltc_value_date(d, 19724));
    dltc_object_set(d, o, "n", dltc_value_null(d));
    dltc_object_set(d, o, "t", dltc_value_bool(d, 1));
    dltc_object_set(d, o, "d", dltc_value_decimal(d, "10.50"));
    dltc_value *f = dltc_value_array(d);
    dltc_array_append(d, f, dltc_value_double(d, 1e-05));
    dltc_array_append(d, f, dltc_value_double(d, 1e16));
    dltc_array_append(d, f, dltc_value_double(d, 1.5e-07));
    dltc_array_append(d, f, dltc_value_double(d, 0.1));
    dltc_object_set(d, o, "f", f);
    dltc_object_set(d, o, "o", parse(d, "{\"y\": 2, \"x\": 1}"));
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__incr_hash_json(&b, o), 0);
    assert_string_equal(b.data, "{\"a\":\"2024-01-02\",\"d\":\"10.50\",\"f\":[0.00001,1e16,"
                                "1.5e-7,0.1],\"n\":null,\"o\":{\"x\":1,\"y\":2},\"t\":true,"
                                "\"z\":\"2024-05-06T07:08:09.120000Z\"}");
    assert_int_equal(dltc__incr_unique_hash(o, NULL, h), 0);
    assert_string_equal(h, "jBluF7If3nZc7S+KQHnA");
    dltc_value *naive = dltc_value_object(d);
    dltc_object_set(d, naive, "ts", dltc_value_timestamp(d, 1704103200000000, 0));
    assert_int_equal(dltc__incr_unique_hash(naive, NULL, h), 0);
    assert_string_equal(h, "gJ5Zo0huffRrGrOedBKY");
    /* a missing key is an error that names it */
    assert_int_equal(dltc__incr_unique_hash(row, "nope", h), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "'nope'"));
    dltc__buf_free(&b);
    dltc_doc_free(d);
}

static void cursor_paths(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc_value *item = parse(d, "{\"a\": {\"b\": 5}, \"key with space\": 6, \"items\": "
                                "[{\"ts\": null}, {\"ts\": 7}, {\"ts\": 8}], \"it's\": 9}");
    const dltc_value *v;
    struct {
        const char *path;
        int64_t want; /* -1: no match; -2: null */
    } cases[] = {{"a.b", 5},
                 {"$.a.b", 5},
                 {"['a']['b']", 5},
                 {"$['key with space']", 6},
                 {"\"key with space\"", 6},
                 {"items[1].ts", 7},
                 {"items[-1].ts", 8},
                 {"items[*].ts", -2},
                 {"$.items[5].ts", -1},
                 {"a.c", -1},
                 {"['it\\'s']", 9},
                 {"a.*", 5}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (dltc__incr_find(cases[i].path, item, &v))
            fail_msg("%s: %s", cases[i].path, dltc_error_last()->message);
        if (cases[i].want == -1)
            assert_null(v);
        else if (cases[i].want == -2)
            assert_int_equal(dltc_value_type_of(v), DLTC_TYPE_NULL);
        else
            assert_int_equal(dltc_value_get_int(v), cases[i].want);
    }
    const char *bad[] = {"", "$", "a..b", "a[", "a['x", "a b", "[x]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dltc__incr_find(bad[i], item, &v), DLTC_EINVALID);
    dltc_doc_free(d);
}

static void comparisons(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    int c;
    /* numbers across representations */
    assert_int_equal(dltc__incr_compare(dltc_value_int(d, 2), dltc_value_double(d, 1.5), &c), 0);
    assert_int_equal(c, 1);
    assert_int_equal(
        dltc__incr_compare(dltc_value_decimal(d, "10.50"), dltc_value_decimal(d, "10.5"), &c), 0);
    assert_int_equal(c, 0);
    assert_int_equal(dltc__incr_compare(dltc_value_decimal(d, "-2.1"), dltc_value_int(d, -2), &c),
                     0);
    assert_int_equal(c, -1);
    assert_int_equal(
        dltc__incr_compare(parse(d, "123456789012345678901234"), dltc_value_int(d, INT64_MAX), &c),
        0);
    assert_int_equal(c, 1);
    /* strings as strings (code points) */
    assert_int_equal(
        dltc__incr_compare(dltc_value_cstring(d, "b"), dltc_value_cstring(d, "ab"), &c), 0);
    assert_int_equal(c, 1);
    /* a string and a datetime: the string is read as ISO 8601 */
    dltc_value *ts = dltc_value_timestamp(d, 1704067200000000, 1); /* 2024-01-01T00:00:00Z */
    assert_int_equal(dltc__incr_compare(dltc_value_cstring(d, "2024-01-01T01:00:00+01:00"), ts, &c),
                     0);
    assert_int_equal(c, 0);
    assert_int_equal(dltc__incr_compare(dltc_value_date(d, 19723), ts, &c), 0); /* midnight */
    assert_int_equal(c, 0);
    assert_int_equal(dltc__incr_compare(dltc_value_cstring(d, "soon"), ts, &c), DLTC_EINVALID);
    assert_int_equal(dltc__incr_compare(dltc_value_int(d, 1), dltc_value_cstring(d, "1"), &c),
                     DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "cannot compare"));
    dltc_doc_free(d);
}

static void options_are_validated(void **state)
{
    (void)state;
    dltc__incr_def *def = NULL;
    dltc_incremental_options o = DLTC_INCREMENTAL_OPTIONS_INIT;
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EINVALID); /* no cursor */
    o.cursor_path = "ts";
    o.end_value = "10";
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "initial_value is required"));
    o.initial_value = "11";
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "higher than end_value"));
    o.last_value_func = "min";
    assert_int_equal(dltc__incr_def_new(&def, &o), 0);
    assert_int_equal(dltc__incr_def_stateless(def), 1);
    dltc__incr_def_free(def);
    o = (dltc_incremental_options)DLTC_INCREMENTAL_OPTIONS_INIT;
    o.cursor_path = "ts";
    o.row_order = "sideways";
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EINVALID);
    o.row_order = NULL;
    o.initial_value = "{\"a\": 1}";
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EINVALID);
    o.initial_value = "[1";
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EPARSE);
    o.initial_value = NULL;
    o.lag = -1;
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EINVALID);
    o.lag = 0;
    o.cursor_path = "a..b";
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EINVALID);
    o.cursor_path = "ts";
    o.on_cursor_value_missing = "ignore";
    assert_int_equal(dltc__incr_def_new(&def, &o), DLTC_EINVALID);
}

/* 1M rows with an increasing cursor: the state remembers only the rows at the maximum. */
static void unique_hashes_stay_bounded(void **state)
{
    (void)state;
    dltc__incr_def *def;
    dltc_incremental *inc;
    dltc_incremental_options o = DLTC_INCREMENTAL_OPTIONS_INIT;
    o.cursor_path = "ts";
    assert_int_equal(dltc__incr_def_new(&def, &o), 0);
    assert_int_equal(dltc__incr_bind(&inc, def, "big", NULL, NULL, 1), 0); /* whole-row hash */
    const int n = 1000000;
    dltc_member m[2] = {{"id", 2, {0}}, {"ts", 2, {0}}}; /* rows built in place */
    dltc_value row;
    dltc__value_set_type(&row, DLTC_TYPE_OBJECT);
    row.u.obj = m;
    row.len = row.cap = 2;
    dltc__value_set_type(&m[0].val, DLTC_TYPE_INT);
    dltc__value_set_type(&m[1].val, DLTC_TYPE_INT);
    for (int i = 0; i < n + 3; i++) {
        m[0].val.u.i = i;
        m[1].val.u.i = i < n ? i : n - 1; /* 4 rows at the max */
        int keep;
        assert_int_equal(dltc__incr_filter(inc, &row, &keep), 0);
        assert_int_equal(keep, 1);
    }
    assert_int_equal(dltc__incr_hash_count(inc), 4);
    assert_int_equal(dltc_value_get_int(dltc_incremental_last_value(inc)), n - 1);
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value st;
    assert_int_equal(dltc__incr_state(inc, &a, NULL, &st), 0);
    assert_int_equal(dltc_value_size(dltc_object_get(&st, "unique_hashes")), 4);
    assert_int_equal(dltc_value_type_of(dltc_object_get(&st, "initial_value")), DLTC_TYPE_NULL);
    assert_int_equal(dltc_value_type_of(dltc_object_get(&st, "start_value")), DLTC_TYPE_NULL);
    dltc__arena_free(&a);
    dltc__incr_free(inc);
    dltc__incr_def_free(def);
}

static int by_length(const dltc_value *a, const dltc_value *b, void *payload)
{
    (void)payload;
    size_t la = 0, lb = 0;
    dltc_value_get_str(a, &la);
    dltc_value_get_str(b, &lb);
    return la < lb ? -1 : la > lb;
}

/* A custom last_value_func (the longest string wins) and a min cursor with boundary hashes
 * taken from an existing state object. */
static void custom_order_and_existing_state(void **state)
{
    (void)state;
    dltc_doc *d;
    assert_int_equal(dltc_doc_new(&d), 0);
    dltc__incr_def *def;
    dltc_incremental *inc;
    dltc_incremental_options o = DLTC_INCREMENTAL_OPTIONS_INIT;
    o.cursor_path = "s";
    o.last_value_cmp = by_length;
    assert_int_equal(dltc__incr_def_new(&def, &o), 0);
    dltc_value *st = parse(d, "{\"initial_value\": null, \"last_value\": \"abc\", "
                              "\"unique_hashes\": [], \"x-mine\": 1}");
    assert_int_equal(dltc__incr_bind(&inc, def, "r", NULL, st, 1), 0);
    const char *rows[] = {"{\"s\": \"zz\"}", "{\"s\": \"xyz\"}", "{\"s\": \"abcd\"}"};
    int want[] = {0, 1, 1};
    for (int i = 0; i < 3; i++) {
        int keep;
        assert_int_equal(dltc__incr_filter(inc, parse(d, rows[i]), &keep), 0);
        assert_int_equal(keep, want[i]);
    }
    assert_string_equal(dltc_value_get_str(dltc_incremental_last_value(inc), NULL), "abcd");
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value out;
    assert_int_equal(dltc__incr_state(inc, &a, st, &out), 0);
    assert_int_equal(dltc_value_get_int(dltc_object_get(&out, "x-mine")), 1); /* kept */
    dltc__arena_free(&a);
    dltc__incr_free(inc);
    dltc__incr_def_free(def);

    /* min with hashes of the boundary rows from the last run */
    o = (dltc_incremental_options)DLTC_INCREMENTAL_OPTIONS_INIT;
    o.cursor_path = "n";
    o.last_value_func = "min";
    o.primary_key = "id";
    assert_int_equal(dltc__incr_def_new(&def, &o), 0);
    st = parse(d, "{\"initial_value\": 100, \"last_value\": 3, "
                  "\"unique_hashes\": [\"Cn/dwi436vBbdERZ9hKf\"]}"); /* hash of id 3 */
    assert_int_equal(dltc__incr_bind(&inc, def, "r", NULL, st, 1), 0);
    const char *rows2[] = {"{\"id\": 3, \"n\": 3}", "{\"id\": 4, \"n\": 3}",
                           "{\"id\": 5, \"n\": 9}", "{\"id\": 6, \"n\": 1}"};
    int want2[] = {0, 1, 0, 1};
    for (int i = 0; i < 4; i++) {
        int keep;
        assert_int_equal(dltc__incr_filter(inc, parse(d, rows2[i]), &keep), 0);
        assert_int_equal(keep, want2[i]);
    }
    assert_int_equal(dltc_value_get_int(dltc_incremental_last_value(inc)), 1);
    assert_int_equal(dltc__incr_hash_count(inc), 1);
    dltc__incr_free(inc);
    dltc__incr_def_free(def);
    dltc_doc_free(d);
}

/* ---------------------------------------------------------------------------------------- */
/* pipelines                                                                                  */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    char *dir;
    char pd[2048], db[2048], state_path[4096];
    dltc_pipeline *p;
    dltc_doc *sdoc;
} fx;

static void open_pipeline(fx *f)
{
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = f->pd;
    o.credentials = f->db;
    if (dltc_pipeline_open(&f->p, "incr", &o))
        fail_msg("open: %s", dltc_error_last()->message);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    snprintf(f->pd, sizeof(f->pd), "%s/pipelines", f->dir);
    snprintf(f->db, sizeof(f->db), "%s/test.duckdb", f->dir);
    snprintf(f->state_path, sizeof(f->state_path), "%s/incr/state.json", f->pd);
    open_pipeline(f);
    dltc_doc_new(&f->sdoc);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dltc_pipeline_free(f->p);
    dltc_doc_free(f->sdoc);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void reopen(fx *f)
{
    dltc_pipeline_free(f->p);
    open_pipeline(f);
}

static long long scalar(fx *f, const char *sql)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(f->p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    long long v = dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    dltc_rows_free(rows);
    return v;
}

static long long count(fx *f, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    return scalar(f, sql);
}

/* sources.<src>.resources.<res>[.incremental.<cursor>] from state.json (NULL when absent). */
static const dltc_value *saved_state(fx *f, const char *src, const char *res, const char *cursor)
{
    dltc_doc_clear(f->sdoc);
    size_t len;
    char *text = tu_read_file(f->state_path, &len);
    assert_non_null(text);
    dltc_value *doc = parse(f->sdoc, text);
    free(text);
    const dltc_value *v = dltc_object_get(doc, "sources");
    v = v ? dltc_object_get(v, src) : NULL;
    if (v && res) {
        v = dltc_object_get(v, "resources");
        v = v ? dltc_object_get(v, res) : NULL;
    }
    if (v && cursor) {
        v = dltc_object_get(v, "incremental");
        v = v ? dltc_object_get(v, cursor) : NULL;
    }
    return v;
}

static const char *str_of(const dltc_value *v)
{
    return v && dltc_value_type_of(v) == DLTC_TYPE_STRING ? dltc_value_get_str(v, NULL) : "";
}

/* A paging API: rows id = first..last with n = id and ts = 2024-01-01 + id hours. */
typedef struct {
    int first, last;
    int page;          /* rows per call */
    int desc;          /* newest first */
    int since;         /* start at the cursor's start_value (n) like an API's `since` */
    int fail_at;       /* this call fails (1-based; 0 never) */
    const char *extra; /* more members for every row, e.g. ",\"x\": 1" */
    int probe_close;   /* after an out-of-range page, check that more yields are refused */
    /* what happened */
    int calls;
    int pos, started;
    int saw_start_oor;
    char start_json[128], last_json[128];
    int yields_after_close;
} feed;

static void feed_reset(feed *fd)
{
    fd->calls = fd->started = fd->saw_start_oor = 0;
    fd->start_json[0] = fd->last_json[0] = '\0';
}

static void value_text(const dltc_value *v, char *out, size_t n)
{
    char *s = NULL;
    if (!v) {
        snprintf(out, n, "None");
        return;
    }
    dltc_value_to_json(&s, NULL, v);
    snprintf(out, n, "%s", s ? s : "?");
    dltc_free(s);
}

static int feed_fn(dltc_yield *y, void *payload)
{
    feed *fd = payload;
    dltc_incremental *inc = dltc_yield_incremental(y);
    if (fd->calls++ == 0 && inc) {
        value_text(dltc_incremental_start_value(inc), fd->start_json, sizeof(fd->start_json));
        value_text(dltc_incremental_last_value(inc), fd->last_json, sizeof(fd->last_json));
    }
    if (fd->fail_at && fd->calls == fd->fail_at)
        return DLTC_ENETWORK;
    if (!fd->started) {
        fd->started = 1;
        fd->pos = fd->desc ? fd->last : fd->first;
        const dltc_value *s = inc ? dltc_incremental_start_value(inc) : NULL;
        if (fd->since && s && dltc_value_type_of(s) == DLTC_TYPE_INT)
            fd->pos = (int)dltc_value_get_int(s);
    }
    if (fd->desc ? fd->pos < fd->first : fd->pos > fd->last)
        return DLTC_ITEROVER;
    char buf[8192];
    size_t len = 0;
    for (int k = 0; k < fd->page; k++) {
        if (fd->desc ? fd->pos < fd->first : fd->pos > fd->last)
            break;
        int i = fd->pos;
        len += (size_t)snprintf(buf + len, sizeof(buf) - len,
                                "{\"id\": %d, \"n\": %d, \"ts\": \"2024-01-%02dT%02d:00:00Z\"%s}\n",
                                i, i, 1 + i / 24, i % 24, fd->extra ? fd->extra : "");
        fd->pos += fd->desc ? -1 : 1;
    }
    int rc = dltc_yield_json(y, buf, len);
    if (inc && dltc_incremental_start_out_of_range(inc))
        fd->saw_start_oor = 1;
    if (rc == 0 && fd->probe_close && fd->saw_start_oor &&
        dltc_yield_json(y, "{\"id\": -1}", 10) == DLTC_ITEROVER)
        fd->yields_after_close++; /* closed: further yields are refused */
    return rc;
}

static dltc_source *one_resource(const char *name, feed *fd, const dltc_resource_options *ro,
                                 const dltc_incremental_options *io)
{
    dltc_source *src;
    dltc_resource *r;
    assert_int_equal(dltc_source_new(&src, "incr"), 0);
    assert_int_equal(dltc_resource_new(&r, name, feed_fn, fd, ro), 0);
    if (io && dltc_resource_set_incremental(r, io))
        fail_msg("set_incremental: %s", dltc_error_last()->message);
    assert_int_equal(dltc_source_add(src, r), 0);
    return src;
}

static void run_ok(fx *f, dltc_source *src)
{
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
}

/* The tutorial: append with a timestamp cursor loads nothing on a rerun and only the new rows
 * after the data grows; the function sees start_value; the state has dlt's layout. */
static void append_loads_only_new_rows(void **state)
{
    fx *f = *state;
    feed fd = {.first = 1, .last = 10, .page = 4};
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    ro.primary_key = "id";
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "ts";
    io.initial_value = "\"2024-01-01T00:00:00Z\"";
    dltc_source *src = one_resource("issues", &fd, &ro, &io);
    run_ok(f, src);
    assert_int_equal(count(f, "issues"), 10);
    assert_string_equal(fd.start_json, "\"2024-01-01T00:00:00+00:00\""); /* typed */

    feed_reset(&fd);
    run_ok(f, src); /* the API returns the same rows again */
    assert_int_equal(count(f, "issues"), 10);
    assert_string_equal(fd.start_json, "\"2024-01-01T10:00:00Z\""); /* the rows' own value */

    feed_reset(&fd);
    fd.last = 15;
    run_ok(f, src);
    assert_int_equal(count(f, "issues"), 15);
    assert_int_equal(scalar(f, "SELECT count(DISTINCT id) FROM issues"), 15);

    const dltc_value *cs = saved_state(f, "incr", "issues", "ts");
    assert_non_null(cs);
    assert_string_equal(str_of(dltc_object_get(cs, "initial_value")), "\xef\x80\xa7"
                                                                      "2024-01-01T00:00:00+00:00");
    assert_string_equal(str_of(dltc_object_get(cs, "last_value")), "2024-01-01T15:00:00Z");
    assert_string_equal(str_of(dltc_object_get(cs, "start_value")), "2024-01-01T10:00:00Z");
    const dltc_value *uh = dltc_object_get(cs, "unique_hashes");
    assert_int_equal(dltc_value_size(uh), 1);
    assert_string_equal(str_of(dltc_array_get(uh, 0)), "isUFqmEnpG3C4DJh5zB/"); /* id 15 */
    /* the state went to the destination with the package */
    assert_true(scalar(f, "SELECT count(*) FROM _dlt_pipeline_state") >= 2);
    dltc_source_free(src);
}

static void max_and_min(void **state)
{
    fx *f = *state;
    feed fd = {.first = 1, .last = 10, .page = 3, .desc = 1};
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "n";
    io.initial_value = "8";
    io.last_value_func = "min";
    dltc_source *src = one_resource("down", &fd, NULL, &io);
    run_ok(f, src);
    assert_int_equal(count(f, "down"), 8); /* 8 .. 1 */
    assert_int_equal(scalar(f, "SELECT max(n) FROM down"), 8);
    feed_reset(&fd);
    fd.first = 0;
    fd.extra = NULL;
    run_ok(f, src); /* 1 is the boundary (deduplicated by the whole row), 0 is new */
    assert_int_equal(count(f, "down"), 9);
    assert_int_equal(scalar(f, "SELECT min(n) FROM down"), 0);
    assert_int_equal(
        dltc_value_get_int(dltc_object_get(saved_state(f, "incr", "down", "n"), "last_value")), 0);
    dltc_source_free(src);

    feed up = {.first = 5, .last = 9, .page = 10};
    io.initial_value = NULL;
    io.last_value_func = "max";
    src = one_resource("up", &up, NULL, &io);
    run_ok(f, src);
    feed_reset(&up);
    up.first = 1;
    up.last = 12;
    run_ok(f, src);
    assert_int_equal(count(f, "up"), 5 + 3);
    assert_int_equal(
        dltc_value_get_int(dltc_object_get(saved_state(f, "incr", "up", "n"), "last_value")), 12);
    dltc_source_free(src);
}

static void end_value_and_ranges(void **state)
{
    fx *f = *state;
    struct {
        const char *name, *range_start, *range_end;
        long long rows, lo, hi;
    } cases[] = {{"range_half_open", NULL, NULL, 10, 10, 19},
                 {"range_closed", NULL, "closed", 11, 10, 20},
                 {"range_open", "open", NULL, 9, 11, 19}};
    for (size_t i = 0; i < 3; i++) {
        feed fd = {.first = 0, .last = 30, .page = 7};
        dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
        io.cursor_path = "n";
        io.initial_value = "10";
        io.end_value = "20";
        io.range_start = cases[i].range_start;
        io.range_end = cases[i].range_end;
        dltc_source *src = one_resource(cases[i].name, &fd, NULL, &io);
        run_ok(f, src);
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT count(*) * 1000000 + min(n) * 1000 + max(n) FROM %s",
                 cases[i].name);
        assert_int_equal(scalar(f, sql),
                         cases[i].rows * 1000000 + cases[i].lo * 1000 + cases[i].hi);
        assert_string_equal(fd.last_json, "10"); /* with end_value, last_value is initial */
        /* stateless: a second run loads the same range again, nothing is persisted */
        feed_reset(&fd);
        run_ok(f, src);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", cases[i].name);
        assert_int_equal(scalar(f, sql), 2 * cases[i].rows);
        assert_null(saved_state(f, "incr", cases[i].name, "n"));
        dltc_source_free(src);
    }
}

static void lag_rereads_a_window(void **state)
{
    fx *f = *state;
    feed fd = {.first = 1, .last = 20, .page = 8};
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "n";
    io.initial_value = "0";
    io.lag = 5;
    dltc_source *src = one_resource("lagged", &fd, NULL, &io);
    run_ok(f, src);
    assert_int_equal(count(f, "lagged"), 20);
    feed_reset(&fd);
    fd.last = 25;
    run_ok(f, src);
    assert_string_equal(fd.start_json, "15");
    assert_string_equal(fd.last_json, "15");       /* the state's 20 with the lag */
    assert_int_equal(count(f, "lagged"), 20 + 11); /* 15..25 again: no dedup with lag */
    const dltc_value *cs = saved_state(f, "incr", "lagged", "n");
    assert_int_equal(dltc_value_get_int(dltc_object_get(cs, "last_value")), 25);
    assert_int_equal(dltc_value_get_int(dltc_object_get(cs, "start_value")), 15);
    dltc_source_free(src);

    /* a datetime cursor lags in seconds; the lag never goes before initial_value */
    feed ts = {.first = 1, .last = 3, .page = 8};
    io.cursor_path = "ts";
    io.initial_value = "\"2024-01-01T02:00:00Z\"";
    io.lag = 7200;
    src = one_resource("lagged_ts", &ts, NULL, &io);
    run_ok(f, src);
    assert_int_equal(count(f, "lagged_ts"), 2); /* 02:00 and 03:00 */
    feed_reset(&ts);
    ts.last = 6;
    run_ok(f, src); /* start 03:00 - 2 h = 01:00 -> initial 02:00 */
    assert_string_equal(ts.start_json, "\"2024-01-01T02:00:00+00:00\"");
    assert_int_equal(count(f, "lagged_ts"), 2 + 5);
    feed_reset(&ts);
    run_ok(f, src); /* start 06:00 - 2 h */
    assert_string_equal(ts.start_json, "\"2024-01-01T04:00:00+00:00\"");
    dltc_source_free(src);
}

/* row_order: once an item is out of range the resource is not called again. */
static void row_order_stops_paging(void **state)
{
    fx *f = *state;
    feed fd = {.first = 1, .last = 30, .page = 5, .desc = 1, .probe_close = 1};
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    ro.primary_key = "id";
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "n";
    io.row_order = "desc";
    dltc_source *src = one_resource("newest_first", &fd, &ro, &io);
    run_ok(f, src);
    assert_int_equal(count(f, "newest_first"), 30);
    assert_int_equal(fd.calls, 7); /* 6 pages and the end */
    feed_reset(&fd);
    fd.last = 33;
    run_ok(f, src);
    assert_int_equal(count(f, "newest_first"), 33);
    assert_int_equal(fd.calls, 1); /* 33..29: 30 is the boundary, 29 below: closed */
    assert_int_equal(fd.saw_start_oor, 1);
    assert_int_equal(fd.yields_after_close, 1);
    dltc_source_free(src);

    feed up = {.first = 1, .last = 40, .page = 4};
    io.row_order = "asc";
    io.initial_value = "1";
    io.end_value = "10";
    src = one_resource("oldest_first", &up, NULL, &io);
    run_ok(f, src);
    assert_int_equal(count(f, "oldest_first"), 9);
    assert_int_equal(up.calls, 3); /* 1-4, 5-8, 9-12 crosses the end */
    dltc_source_free(src);
}

static int gappy(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++)
        return DLTC_ITEROVER;
    const char *json = "{\"id\": 1, \"n\": 1}\n{\"id\": 2}\n{\"id\": 3, \"n\": null}\n"
                       "{\"id\": 4, \"n\": 4}";
    return dltc_yield_json(y, json, strlen(json));
}

static void missing_cursor_values(void **state)
{
    fx *f = *state;
    const char *modes[] = {"raise", "include", "exclude"};
    long long want[] = {-1, 4, 2};
    for (int i = 0; i < 3; i++) {
        int calls = 0;
        dltc_source *src;
        dltc_resource *r;
        char name[32];
        snprintf(name, sizeof(name), "gaps_%s", modes[i]);
        dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
        io.cursor_path = "n";
        io.on_cursor_value_missing = i ? modes[i] : NULL;
        assert_int_equal(dltc_source_new(&src, "incr"), 0);
        assert_int_equal(dltc_resource_new(&r, name, gappy, &calls, NULL), 0);
        assert_int_equal(dltc_resource_set_incremental(r, &io), 0);
        assert_int_equal(dltc_source_add(src, r), 0);
        if (want[i] < 0) {
            assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), DLTC_EINVALID);
            assert_non_null(strstr(dltc_error_last()->message, "cursor path 'n' is missing"));
        } else {
            run_ok(f, src);
            assert_int_equal(count(f, name), want[i]);
        }
        dltc_source_free(src);
    }
}

static void boundary_dedup(void **state)
{
    fx *f = *state;
    /* every row shares one cursor value */
    struct {
        const char *name, *res_pk, *incr_pk, *extra2;
        long long second;
    } cases[] = {
        {"by_resource_pk", "id", NULL, ",\"x\": 2", 2}, /* ids 3, 4 are new */
        {"by_incr_pk", NULL, "id", ",\"x\": 2", 2},
        {"by_whole_row", NULL, NULL, ",\"x\": 1", 2}, /* same rows: hashes match */
        {"row_changed", NULL, NULL, ",\"x\": 2", 4},  /* every row differs now */
        {"dedup_off", "id", "", ",\"x\": 1", 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        feed fd = {.first = 1, .last = 2, .page = 10, .extra = ",\"x\": 1"};
        dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
        ro.primary_key = cases[i].res_pk;
        dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
        io.cursor_path = "c";
        io.primary_key = cases[i].incr_pk;
        char extra[64];
        snprintf(extra, sizeof(extra), ",\"c\": 5%s", fd.extra);
        fd.extra = extra;
        dltc_source *src = one_resource(cases[i].name, &fd, &ro, &io);
        run_ok(f, src);
        assert_int_equal(count(f, cases[i].name), 2);
        const dltc_value *cs = saved_state(f, "incr", cases[i].name, "c");
        assert_int_equal(dltc_value_size(dltc_object_get(cs, "unique_hashes")),
                         !cases[i].incr_pk || *cases[i].incr_pk ? 2 : 0);
        feed_reset(&fd);
        fd.last = 4;
        snprintf(extra, sizeof(extra), ",\"c\": 5%s", cases[i].extra2);
        run_ok(f, src);
        assert_int_equal(count(f, cases[i].name), 2 + cases[i].second);
        dltc_source_free(src);
    }
}

static int typed_rows(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if (*calls >= 3)
        return DLTC_ITEROVER;
    dltc_incremental *inc = dltc_yield_incremental(y);
    const dltc_value *start = dltc_incremental_start_value(inc);
    assert_int_equal(dltc_value_type_of(start), DLTC_TYPE_TIMESTAMP);
    dltc_doc *d = dltc_yield_doc(y);
    dltc_value *o = dltc_value_object(d);
    int i = (*calls)++;
    dltc_object_set(d, o, "id", dltc_value_int(d, i));
    dltc_object_set(d, o, "at", dltc_value_timestamp(d, 1704067200000000 + i * 3600000000LL, 1));
    dltc_object_set(d, o, "amount", dltc_value_decimal(d, "1.50"));
    return dltc_yield_value(y, o);
}

/* Typed cursors are stored as dlt's typed JSON and come back typed after a re-open. */
static void typed_cursor_state(void **state)
{
    fx *f = *state;
    int calls = 0;
    dltc_source *src;
    dltc_resource *r;
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "at";
    io.initial_value = "\"2024-01-01T00:00:00\""; /* naive: UTC, as pendulum */
    assert_int_equal(dltc_source_new(&src, "incr"), 0);
    assert_int_equal(dltc_resource_new(&r, "payments", typed_rows, &calls, NULL), 0);
    assert_int_equal(dltc_resource_set_incremental(r, &io), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    run_ok(f, src);
    assert_int_equal(count(f, "payments"), 3);
    const dltc_value *cs = saved_state(f, "incr", "payments", "at");
    assert_string_equal(str_of(dltc_object_get(cs, "last_value")), "\xef\x80\xa7"
                                                                   "2024-01-01T02:00:00+00:00");
    assert_string_equal(str_of(dltc_object_get(cs, "initial_value")), "\xef\x80\xa7"
                                                                      "2024-01-01T00:00:00+00:00");
    reopen(f);
    calls = 0;
    run_ok(f, src);
    assert_int_equal(count(f, "payments"), 3); /* 02:00 is the boundary, the rest older */
    calls = 1;
    run_ok(f, src);
    assert_int_equal(count(f, "payments"), 3);
    dltc_source_free(src);
}

static int stateful(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++)
        return DLTC_ITEROVER;
    const dltc_value *runs = dltc_yield_state_get(y, DLTC_STATE_SOURCE, "runs");
    int64_t n = runs ? dltc_value_get_int(runs) : 0;
    dltc_doc *d = dltc_yield_doc(y);
    int rc = dltc_yield_state_set(y, DLTC_STATE_SOURCE, "runs", dltc_value_int(d, n + 1));
    const dltc_value *tok = dltc_yield_state_get(y, DLTC_STATE_RESOURCE, "token");
    char json[128];
    snprintf(json, sizeof(json), "{\"run\": %lld, \"token\": \"%s\"}", (long long)n + 1,
             tok ? dltc_value_get_str(tok, NULL) : "none");
    if (!rc)
        rc = dltc_yield_state_set_json(y, DLTC_STATE_RESOURCE, "token", "\"next-page\"", 11);
    if (!rc)
        rc = dltc_yield_state_set(y, DLTC_STATE_RESOURCE, "seen_at",
                                  dltc_value_timestamp(d, 1704067200000000, 1));
    if (!rc)
        rc = dltc_yield_state_set_json(y, DLTC_STATE_RESOURCE, "scratch", "[1, {\"a\": 2}]", 13);
    if (!rc)
        rc = dltc_yield_state_remove(y, DLTC_STATE_RESOURCE, "scratch");
    const dltc_value *seen = dltc_yield_state_get(y, DLTC_STATE_RESOURCE, "seen_at");
    if (!seen || dltc_value_type_of(seen) != DLTC_TYPE_TIMESTAMP)
        return DLTC_ERROR;
    /* dltc's own keys are refused */
    if (dltc_yield_state_set(y, DLTC_STATE_RESOURCE, "incremental", dltc_value_int(d, 1)) !=
            DLTC_EINVALID ||
        dltc_yield_state_set(y, DLTC_STATE_SOURCE, "resources", dltc_value_int(d, 1)) !=
            DLTC_EINVALID)
        return DLTC_ERROR;
    dltc_error_clear();
    return rc ? rc : dltc_yield_json(y, json, strlen(json));
}

static void resource_and_source_state(void **state)
{
    fx *f = *state;
    int calls = 0, rcalls = 0;
    dltc_source *src;
    dltc_resource *r, *rep;
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    ro.write_disposition = "replace";
    assert_int_equal(dltc_source_new(&src, "incr"), 0);
    assert_int_equal(dltc_resource_new(&r, "tokens", stateful, &calls, NULL), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    assert_int_equal(dltc_resource_new(&rep, "snapshot", stateful, &rcalls, &ro), 0);
    assert_int_equal(dltc_source_add(src, rep), 0);
    run_ok(f, src);
    assert_int_equal(scalar(f, "SELECT count(*) FROM tokens WHERE token = 'none'"), 1);
    calls = rcalls = 0;
    run_ok(f, src);
    assert_int_equal(scalar(f, "SELECT count(*) FROM tokens WHERE token = 'next-page'"), 1);
    /* a replace resource starts every extract with an empty resource state */
    assert_int_equal(scalar(f, "SELECT count(*) FROM snapshot WHERE token = 'none'"), 1);
    const dltc_value *s = saved_state(f, "incr", NULL, NULL);
    assert_int_equal(dltc_value_get_int(dltc_object_get(s, "runs")), 4); /* 2 resources x 2 */
    const dltc_value *rs = saved_state(f, "incr", "tokens", NULL);
    assert_string_equal(str_of(dltc_object_get(rs, "token")), "next-page");
    assert_string_equal(str_of(dltc_object_get(rs, "seen_at")), "\xef\x80\xa7"
                                                                "2024-01-01T00:00:00+00:00");
    assert_null(dltc_object_get(rs, "scratch"));
    /* and after the pipeline is opened again */
    reopen(f);
    calls = rcalls = 0;
    run_ok(f, src);
    assert_int_equal(scalar(f, "SELECT max(run) FROM tokens"), 5);
    /* the helpers `dlt pipeline drop` and `info` can use */
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *sources;
    assert_int_equal(dltc__state_sources(&f->p->state, &a, &sources), 0);
    const dltc_value *seen = dltc_object_get(
        dltc_object_get(dltc_object_get(dltc_object_get(sources, "incr"), "resources"), "tokens"),
        "seen_at");
    assert_int_equal(dltc_value_type_of(seen), DLTC_TYPE_TIMESTAMP);
    dltc__arena_free(&a);
    int removed;
    assert_int_equal(dltc__state_reset_resource(&f->p->state, "incr", "tokens", &removed), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(dltc__state_reset_resource(&f->p->state, "incr", "tokens", &removed), 0);
    assert_int_equal(removed, 0);
    calls = rcalls = 0;
    run_ok(f, src);
    assert_int_equal(scalar(f, "SELECT count(*) FROM tokens WHERE token = 'none'"), 2);
    dltc_source_free(src);
}

/* A run that fails after yielding rows keeps the cursor (and loads nothing of that run). */
static void failing_resource_keeps_cursor(void **state)
{
    fx *f = *state;
    feed fd = {.first = 1, .last = 10, .page = 5, .since = 1};
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "n";
    dltc_source *src = one_resource("flaky", &fd, NULL, &io);
    run_ok(f, src);
    feed_reset(&fd);
    fd.last = 20;
    fd.fail_at = 3; /* after two pages */
    assert_int_equal(dltc_pipeline_run_source(f->p, src, NULL), DLTC_ENETWORK);
    assert_int_equal(
        dltc_value_get_int(dltc_object_get(saved_state(f, "incr", "flaky", "n"), "last_value")),
        10);
    assert_int_equal(count(f, "flaky"), 10);
    feed_reset(&fd);
    fd.fail_at = 0;
    run_ok(f, src);
    assert_string_equal(fd.start_json, "10");
    assert_int_equal(count(f, "flaky"), 20);
    assert_int_equal(scalar(f, "SELECT count(DISTINCT n) FROM flaky"), 20);
    dltc_source_free(src);
}

/* The checkpoint wiring run.c uses: extract steps, each package saved, normalized and loaded
 * before the next. Returns the first error. */
/* dltc_pipeline_run_source; *packages = the packages it loaded (_dlt_loads rows added) */
static int run_with_checkpoints(fx *f, dltc_source *src, int *packages)
{
    long long before = scalar(f, "SELECT count(*) FROM information_schema.tables WHERE "
                                 "table_name = '_dlt_loads'")
                           ? scalar(f, "SELECT count(*) FROM _dlt_loads")
                           : 0;
    int rc = dltc_pipeline_run_source(f->p, src, NULL);
    int keep = rc;
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", dltc_error_last()->message);
    *packages = (int)(scalar(f, "SELECT count(*) FROM _dlt_loads") - before);
    if (keep)
        dltc__error_set(keep, "%s", msg);
    return keep;
}

/* A long extraction committed in several packages; when it dies, the next run resumes from
 * the last checkpoint (dlt issue #215) and nothing is loaded twice. */
static void checkpoints_resume(void **state)
{
    fx *f = *state;
    feed fd = {.first = 1, .last = 30, .page = 3, .since = 1, .fail_at = 8};
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    ro.primary_key = "id";
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "n";
    io.initial_value = "1";
    dltc_source *src = one_resource("long_job", &fd, &ro, &io);
    dltc_checkpoint_options cp = DLTC_CHECKPOINT_OPTIONS_INIT;
    cp.every_pages = 2;
    assert_int_equal(dltc_source_set_checkpoints(src, &cp), 0);
    int packages;
    /* pages 1-2, 3-4, 5-6 commit; the call for page 8 fails */
    assert_int_equal(run_with_checkpoints(f, src, &packages), DLTC_ENETWORK);
    assert_int_equal(packages, 3);
    assert_int_equal(count(f, "long_job"), 18);
    assert_int_equal(
        dltc_value_get_int(dltc_object_get(saved_state(f, "incr", "long_job", "n"), "last_value")),
        18);
    assert_int_equal(scalar(f, "SELECT count(*) FROM _dlt_pipeline_state"), 3);
    /* the next run starts at 18 (deduplicated) and finishes */
    reopen(f);
    feed_reset(&fd);
    fd.fail_at = 0;
    assert_int_equal(run_with_checkpoints(f, src, &packages), 0);
    assert_string_equal(fd.start_json, "18");
    assert_int_equal(packages, 3); /* 18-23, 24-29, 30 and the end */
    assert_int_equal(count(f, "long_job"), 30);
    assert_int_equal(scalar(f, "SELECT count(DISTINCT id) FROM long_job"), 30);
    /* by items, across two resources; the plain extract ignores checkpoints */
    feed a = {.first = 1, .last = 10, .page = 4}, b = {.first = 1, .last = 3, .page = 1};
    dltc_source *two = one_resource("by_items_a", &a, NULL, NULL);
    dltc_resource *r;
    assert_int_equal(dltc_resource_new(&r, "by_items_b", feed_fn, &b, NULL), 0);
    assert_int_equal(dltc_source_add(two, r), 0);
    cp.every_pages = 0;
    cp.every_items = 5;
    assert_int_equal(dltc_source_set_checkpoints(two, &cp), 0);
    assert_int_equal(run_with_checkpoints(f, two, &packages), 0);
    assert_int_equal(packages, 3); /* a: 8 items | a: 2, b: 3 | the end */
    assert_int_equal(count(f, "by_items_a") + count(f, "by_items_b"), 13);
    feed_reset(&a);
    feed_reset(&b);
    run_ok(f, two);
    assert_int_equal(count(f, "by_items_a") + count(f, "by_items_b"), 26);
    dltc_source_free(two);
    dltc_source_free(src);

    /* a replace resource is never split: every package with its table would truncate it */
    feed snap = {.first = 1, .last = 10, .page = 2}, tail = {.first = 1, .last = 4, .page = 1};
    dltc_resource_options rep = DLTC_RESOURCE_OPTIONS_INIT;
    rep.write_disposition = "replace";
    dltc_source *mixed = one_resource("snap", &snap, &rep, NULL);
    assert_int_equal(dltc_resource_new(&r, "tail", feed_fn, &tail, NULL), 0);
    assert_int_equal(dltc_source_add(mixed, r), 0);
    cp.every_items = 0;
    cp.every_pages = 1;
    assert_int_equal(dltc_source_set_checkpoints(mixed, &cp), 0);
    assert_int_equal(run_with_checkpoints(f, mixed, &packages), 0);
    assert_int_equal(count(f, "snap"), 10);
    assert_int_equal(count(f, "tail"), 4);
    assert_int_equal(packages, 6); /* snap | one per tail page | the end */
    dltc_source_free(mixed);
}

/* A transformer can have its own cursor (no early stop for transformers, as dlt). */
static int details(const dltc_value *item, dltc_yield *y, void *payload)
{
    (void)payload;
    dltc_doc *d = dltc_yield_doc(y);
    dltc_value *o = dltc_value_object(d);
    dltc_object_set(d, o, "id", dltc_value_int(d, dltc_value_get_int(dltc_object_get(item, "id"))));
    dltc_object_set(d, o, "v",
                    dltc_value_int(d, 2 * dltc_value_get_int(dltc_object_get(item, "n"))));
    return dltc_yield_value(y, o);
}

static void transformer_cursor(void **state)
{
    fx *f = *state;
    feed fd = {.first = 1, .last = 5, .page = 5};
    dltc_resource_options po = DLTC_RESOURCE_OPTIONS_INIT;
    po.selected = 0;
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "v";
    io.row_order = "asc";
    dltc_source *src;
    dltc_resource *p, *t;
    assert_int_equal(dltc_transformer_new(&t, "details", NULL, details, NULL, NULL), DLTC_EINVALID);
    assert_int_equal(dltc_source_new(&src, "incr"), 0);
    assert_int_equal(dltc_resource_new(&p, "parent", feed_fn, &fd, &po), 0);
    assert_int_equal(dltc_source_add(src, p), 0);
    assert_int_equal(dltc_transformer_new(&t, "details", p, details, NULL, NULL), 0);
    assert_int_equal(dltc_resource_set_incremental(t, &io), 0);
    assert_int_equal(dltc_source_add(src, t), 0);
    run_ok(f, src);
    assert_int_equal(count(f, "details"), 5);
    feed_reset(&fd);
    fd.last = 8;
    run_ok(f, src);
    assert_int_equal(count(f, "details"), 8);
    assert_int_equal(
        dltc_value_get_int(dltc_object_get(saved_state(f, "incr", "details", "v"), "last_value")),
        16);
    dltc_source_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unique_hash_matches_dlt),
        cmocka_unit_test(cursor_paths),
        cmocka_unit_test(comparisons),
        cmocka_unit_test(options_are_validated),
        cmocka_unit_test(unique_hashes_stay_bounded),
        cmocka_unit_test(custom_order_and_existing_state),
        cmocka_unit_test_setup_teardown(append_loads_only_new_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(max_and_min, setup, teardown),
        cmocka_unit_test_setup_teardown(end_value_and_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(lag_rereads_a_window, setup, teardown),
        cmocka_unit_test_setup_teardown(row_order_stops_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_cursor_values, setup, teardown),
        cmocka_unit_test_setup_teardown(boundary_dedup, setup, teardown),
        cmocka_unit_test_setup_teardown(typed_cursor_state, setup, teardown),
        cmocka_unit_test_setup_teardown(resource_and_source_state, setup, teardown),
        cmocka_unit_test_setup_teardown(failing_resource_keeps_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(checkpoints_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(transformer_cursor, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
