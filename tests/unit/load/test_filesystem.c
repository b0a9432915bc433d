/* The filesystem destination: layout rendering and its errors, paths that would leave the
 * dataset, dispositions, compression and formats, the dlt files, state restore, and crash
 * safety (a child process killed at each crash point, then a rerun). Packages are built as
 * the pipeline builds them: the normalizer writes the jobs of a package in load/new, which
 * is then committed to load/normalized. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/compress.h"
#include "common/hash.h"
#include "common/time.h"
#include "dltc/dltc.h"
#include "duckdb/client.h"
#include "formats/json.h"
#include "load/destinations/filesystem/filesystem.h"
#include "package/fsutil.h"
#include "package/package.h"
#include "schema/schema.h"
#include "testutil.h"

#define OK(expr)                                                                                   \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_) fail_msg("%s: %d %s", #expr, rc_, dltc_error_last()->message);                    \
    } while (0)

typedef struct {
    char *dir;
    char wd[1024];
    char bucket[1024];
    char ds[1100];
    dltc_schema *s;
    dltc_storage *st;
    int warnings;
    char warning[512];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    snprintf(f->wd, sizeof(f->wd), "%s/wd", f->dir);
    snprintf(f->bucket, sizeof(f->bucket), "%s/bucket", f->dir);
    snprintf(f->ds, sizeof(f->ds), "%s/ds", f->bucket);
    if (dltc__storage_open(&f->st, f->wd) || dltc_schema_new(&f->s, "src")) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dltc__storage_free(f->st);
    dltc_schema_free(f->s);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void on_warning(const char *message, void *payload)
{
    fx *f = payload;
    f->warnings++;
    snprintf(f->warning, sizeof(f->warning), "%s", message);
}

static dltc_fs_options options(fx *f)
{
    dltc_fs_options o = DLTC_FS_OPTIONS_INIT;
    o.bucket_url = f->bucket;
    o.dataset = "ds";
    o.pipeline_name = "pipe";
    o.on_warning = on_warning;
    o.payload = f;
    return o;
}

/* ---- building packages ---- */

typedef struct {
    const char *table;
    const char *disposition; /* NULL: append */
    const char *json;
} feed;

/* dlt's _dlt_pipeline_state table, as extract adds it. */
static void add_state_table(dltc_schema *s)
{
    if (dltc__schema_table(s, "_dlt_pipeline_state", 19)) return;
    dltc_table *t;
    OK(dltc__schema_add_table(s, "_dlt_pipeline_state", NULL, &t));
    t->write_disposition = dltc__strdup("append");
    t->resource = dltc__strdup("_dlt_pipeline_state");
    t->file_format = dltc__strdup("preferred");
    static const struct {
        const char *name;
        int type;
    } cols[] = {{"version", DLTC_DT_BIGINT},       {"engine_version", DLTC_DT_BIGINT},
                {"pipeline_name", DLTC_DT_TEXT},   {"state", DLTC_DT_TEXT},
                {"created_at", DLTC_DT_TIMESTAMP}, {"version_hash", DLTC_DT_TEXT},
                {"_dlt_load_id", DLTC_DT_TEXT}};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
        assert_true(
            dltc__table_new_column(s, t, cols[i].name, strlen(cols[i].name), cols[i].type, 0) >= 0);
}

static void normalize_into(dltc_schema *s, const char *dir, const char *load_id, const char *format,
                           const char *table, const char *disposition, const char *json)
{
    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    o.table_name = table;
    o.out_dir = dir;
    o.file_format = format;
    o.write_disposition = disposition;
    o.load_id = load_id;
    o.file_name_layout = "{table_name}.{file_id}.0.{ext}";
    dltc_normalizer *n;
    OK(dltc_normalizer_new(&n, s, &o));
    OK(dltc_normalizer_feed_json(n, json, strlen(json), table));
    OK(dltc_normalizer_finish(n));
    dltc_normalizer_free(n);
}

/* A normalized package: the feeds, and the state row of pipeline `pipeline` with `blob`. */
static void make_package_in(dltc_storage *st, dltc_schema *s, const char *load_id,
                            const char *format, const feed *feeds, size_t nfeeds,
                            const char *pipeline, const char *blob)
{
    char *path = NULL, jobs[2048], p[2048];
    OK(dltc__package_begin_normalize(st, load_id, &path));
    snprintf(jobs, sizeof(jobs), "%s/new_jobs", path);
    for (size_t i = 0; i < nfeeds; i++)
        normalize_into(s, jobs, load_id, format, feeds[i].table, feeds[i].disposition,
                       feeds[i].json);
    if (pipeline) {
        add_state_table(s);
        char row[1024];
        snprintf(row, sizeof(row),
                 "{\"version\":3,\"engine_version\":4,\"pipeline_name\":\"%s\",\"state\":\"%s\","
                 "\"created_at\":\"2024-01-02T03:04:05.678901+00:00\",\"version_hash\":\"vh=\","
                 "\"_dlt_load_id\":\"%s\"}",
                 pipeline, blob, load_id);
        normalize_into(s, jobs, load_id, format, "_dlt_pipeline_state", NULL, row);
    }
    char *doc = NULL;
    OK(dltc_schema_export(&doc, s, DLTC_SCHEMA_JSON, 0));
    snprintf(p, sizeof(p), "%s/schema.json", path);
    assert_int_equal(tu_write_file(p, doc, strlen(doc)), 0);
    dltc_free(doc);
    /* created_at = the load id's time + 0.5 s, typed (U+F027) */
    char iso[64], state[256];
    int64_t us = (int64_t)(dltc__json_strtod(load_id, NULL) * 1e6) + 500000;
    dltc__format_timestamp(iso, us);
    snprintf(state, sizeof(state),
             "{\"_state_version\":1,\"_state_engine_version\":1,\"created_at\":\"\xef\x80\xa7%s\"}",
             iso);
    snprintf(p, sizeof(p), "%s/load_package_state.json", path);
    assert_int_equal(tu_write_file(p, state, strlen(state)), 0);
    OK(dltc__package_commit_normalize(st, load_id));
    dltc__free(path);
}

static void make_package(fx *f, const char *load_id, const char *format, const feed *feeds,
                         size_t nfeeds, const char *pipeline, const char *blob)
{
    make_package_in(f->st, f->s, load_id, format, feeds, nfeeds, pipeline, blob);
}

static void load_ok(fx *f, const char *load_id, const dltc_fs_options *o, dltc_load_result *r)
{
    OK(dltc__fs_load_package(f->st, load_id, o, r));
}

/* ---- looking at the bucket ---- */

static char *pj(const char *a, const char *b)
{
    static char bufs[8][4096];
    static int k;
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s/%s", a, b);
    assert_true(n > 0 && (size_t)n < sizeof(tmp));
    char *out = bufs[k++ % 8];
    memcpy(out, tmp, (size_t)n + 1);
    return out;
}

/* Regular files of a folder, sorted; *n = count (0 when missing). Free with dltc__strv_free. */
static char **files(const char *dir, size_t *n)
{
    char **names = NULL;
    *n = 0;
    if (dltc__list_dir(dir, DLTC_LIST_FILES, &names, n) != 0) {
        dltc_error_clear();
        return NULL;
    }
    return names;
}

static size_t nfiles(const char *dir)
{
    size_t n;
    char **v = files(dir, &n);
    dltc__strv_free(v, n);
    return n;
}

/* The content of a file, gunzipped when its name ends in .gz. */
static char *content(const char *path, size_t *len)
{
    size_t n = 0;
    char *raw = tu_read_file(path, &n);
    if (!raw) fail_msg("%s: cannot read", path);
    size_t pl = strlen(path);
    if (pl > 3 && !strcmp(path + pl - 3, ".gz")) {
        dltc_buf b = DLTC_BUF_INIT;
        OK(dltc__gzip_decompress(&b, raw, n, 0));
        free(raw);
        if (len) *len = b.len;
        char *out = strdup(b.data ? b.data : "");
        dltc__buf_free(&b);
        return out;
    }
    if (len) *len = n;
    return raw;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Rows (lines) in every file of a table folder whose name starts with `prefix`. */
static size_t table_rows(const char *dir, const char *prefix)
{
    size_t n, rows = 0;
    char **v = files(dir, &n);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(v[i], prefix, strlen(prefix)) != 0) continue;
        char *c = content(pj(dir, v[i]), NULL);
        rows += count_lines(c);
        free(c);
    }
    dltc__strv_free(v, n);
    return rows;
}

/* The name of the (only) job of `table` of a loaded package. */
static void job_of(fx *f, const char *load_id, const char *table, char *out, size_t cap)
{
    char d[2048];
    snprintf(d, sizeof(d), "%s/load/loaded/%s/completed_jobs", f->wd, load_id);
    size_t n;
    char **v = files(d, &n);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!strncmp(v[i], table, strlen(table)) && v[i][strlen(table)] == '.')
            assert_true((size_t)snprintf(out, cap, "%s/%s", d, v[i]) < cap);
    dltc__strv_free(v, n);
    assert_true(out[0] != '\0');
}

/* The file id of a job path ".../<table>.<file_id>.0.<fmt>". */
static void file_id_of(const char *job, char *out)
{
    const char *base = strrchr(job, '/') + 1;
    const char *a = strchr(base, '.');
    memcpy(out, a + 1, 10);
    out[10] = '\0';
}

static uint64_t count_of(const dltc_load_result *r, const char *table)
{
    for (size_t i = 0; i < r->ncounts; i++)
        if (!strcmp(r->counts[i].table, table)) return r->counts[i].rows;
    return 0;
}

/* ---- layout ---- */

static void render_expect(const char *layout, const dltc_fs_path_params *p, const char *want)
{
    dltc_buf b = DLTC_BUF_INIT;
    OK(dltc__fs_render(&b, layout, p));
    assert_string_equal(b.data, want);
    dltc__buf_free(&b);
}

static void test_render_placeholders(void **state)
{
    (void)state;
    /* Tuesday 2024-03-05 07:08:09.123456 UTC */
    int64_t us = dltc__days_from_civil(2024, 3, 5) * 86400000000LL +
                 ((7 * 60 + 8) * 60 + 9) * 1000000LL + 123456;
    int64_t pkg = us - 86400000000LL + 250000; /* a day earlier */
    const char *extra[] = {"color", "blue", "table_name", "overridden"};
    dltc_fs_path_params p = {"src", "users", "1709622489.1", "0a1b2c3d4e", "jsonl.gz", us, pkg,
                             extra, 1};
    render_expect("{schema_name}/{table_name}/{load_id}.{file_id}.{ext}", &p,
                  "src/users/1709622489.1.0a1b2c3d4e.jsonl.gz");
    render_expect("{YYYY}-{YY}-{Y}/{MMMM}-{MMM}-{MM}-{M}/{DD}-{D}/{HH}-{H}:{mm}-{m}:{ss}-{s}", &p,
                  "2024-24-2024/march-mar-03-3/05-5/07-7:08-8:09-9");
    render_expect("{SSSS}.{SSS}.{SS}.{S}/{dddd}-{ddd}-{dd}-{d}/Q{Q}", &p,
                  "1234.123.12.1/tuesday-tue-tu-2/Q1");
    char want[256];
    snprintf(want, sizeof(want), "2024-03-05/%lld/%lld/%lld/%lld", (long long)(us / 1000000),
             (long long)(us / 1000), (long long)(pkg / 1000000), (long long)(pkg / 1000));
    render_expect("{curr_date}/{timestamp}/{timestamp_ms}/{load_package_timestamp}/"
                  "{load_package_timestamp_ms}",
                  &p, want);
    /* extra placeholders: values, and they win over the job's values (not over dates) */
    render_expect("{table_name}/{color}.{ext}", &p, "users/blue.jsonl.gz");
    p.nextra = 2;
    render_expect("{table_name}/{color}.{ext}", &p, "overridden/blue.jsonl.gz");
    /* Sunday = 0 for {d}; December = Q4 */
    p.datetime_us = dltc__days_from_civil(2023, 12, 31) * 86400000000LL;
    render_expect("{d}{dddd}{dd}Q{Q}{MMMM}", &p, "0sundaysuQ4december");
    /* no {ext}: nothing appended (dlt 1.26 never appends it) */
    render_expect("{table_name}/{load_id}", &p, "overridden/1709622489.1");
}

static void test_layout_errors(void **state)
{
    fx *f = *state;
    dltc_fs_path_params p = {"src", "users", "1.0", "0a1b2c3d4e", "jsonl", 0, 0, NULL, 0};
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__fs_render(&b, "{table_name}/{nope}.{ext}", &p), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "{nope}"));
    assert_int_equal(dltc__fs_render(&b, "{table_name/x", &p), DLTC_EINVALID);
    assert_int_equal(dltc__fs_render(&b, "{table_name}}x", &p), DLTC_EINVALID);
    dltc__buf_free(&b);

    dltc_fs_options o = options(f);
    OK(dltc__fs_check_options(&o));
    o.layout = "{table_name}/{load_id}.{unknown_thing}";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "{unknown_thing}"));
    /* what dlt's table prefix requires */
    o.layout = "{load_id}/{file_id}.{ext}";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "{table_name}"));
    o.layout = "{load_id}/{table_name}/{file_id}.{ext}";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "{load_id}"));
    o.layout = "{table_name}{load_id}.{ext}";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "separator"));
    o.layout = "{schema_name}/{table_name}.{load_id}.{file_id}.{ext}";
    OK(dltc__fs_check_options(&o));
    /* extra placeholders make names known */
    const char *extra[] = {"region", "eu"};
    o.layout = "{table_name}/{region}/{load_id}.{file_id}.{ext}";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    o.extra_placeholders = extra;
    o.nextra_placeholders = 1;
    OK(dltc__fs_check_options(&o));

    /* buckets */
    o = options(f);
    o.bucket_url = "s3://key:secret@bucket/path";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    assert_non_null(
        strstr(dltc_error_last()->message, "only local buckets (file://) are supported"));
    assert_null(strstr(dltc_error_last()->message, "secret"));
    o.bucket_url = "file://relative/path";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    o.bucket_url = "file:///tmp/a%20b/";
    char *ds = NULL;
    OK(dltc__fs_dataset_path(&ds, &o));
    assert_string_equal(ds, "/tmp/a b/ds");
    dltc__free(ds);
    o.bucket_url = "file://localhost/tmp/x";
    OK(dltc__fs_dataset_path(&ds, &o));
    assert_string_equal(ds, "/tmp/x/ds");
    dltc__free(ds);
    o.bucket_url = f->bucket;
    o.dataset = "../up";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    o.dataset = "a/b";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
    o.dataset = "";
    assert_int_equal(dltc__fs_check_options(&o), DLTC_EINVALID);
}

static void expect_escape(const char *layout, const char *table)
{
    dltc_fs_path_params p = {"src", table, "1.0", "0a1b2c3d4e", "jsonl", 0, 0, NULL, 0};
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__fs_render(&b, layout, &p);
    if (rc != DLTC_EINVALID)
        fail_msg("layout %s with table '%s' rendered '%s' (rc %d)", layout, table,
                 b.data ? b.data : "", rc);
    const char *m = dltc_error_last()->message;
    assert_true(strstr(m, "inside the dataset folder") || strstr(m, "collides with the dataset's init file"));
    dltc__buf_free(&b);
}

static void test_path_escape(void **state)
{
    fx *f = *state;
    expect_escape("{table_name}/{load_id}.{ext}", "..");
    expect_escape("{table_name}/{load_id}.{ext}", "../../etc");
    expect_escape("{table_name}/{load_id}.{ext}", "a/../../b");
    expect_escape("{table_name}", "/etc/passwd");
    expect_escape("{table_name}/x", "/abs");
    expect_escape("{table_name}", "x/..");
    expect_escape("{table_name}", "");
    expect_escape("{table_name}", "init");
    expect_escape("{table_name}/{load_id}.{file_id}.{ext}", "init"); /* a folder in the init file */
    expect_escape("{table_name}/x", ".dltc-tmp");
    /* inside is fine, even with odd names */
    dltc_fs_path_params p = {"src", "a/b..c/...", "1.0", "f", "jsonl", 0, 0, NULL, 0};
    render_expect("{table_name}/{load_id}", &p, "a/b..c/.../1.0");

    /* through the loader: an extra placeholder value and a nested table from a hostile
     * schema never reach outside the dataset */
    char outside[2048];
    snprintf(outside, sizeof(outside), "%s/outside", f->dir);
    OK(dltc__mkdirs(outside));
    assert_int_equal(tu_write_file(pj(outside, "keep.txt"), "x", 1), 0);
    feed fd[] = {{"users", "replace", "{\"id\":1}"}};
    make_package(f, "10.1", "jsonl", fd, 1, NULL, NULL);
    dltc_fs_options o = options(f);
    const char *extra[] = {"where", "../../outside"};
    o.layout = "{table_name}/{where}/{load_id}.{file_id}.{ext}";
    o.extra_placeholders = extra;
    o.nextra_placeholders = 1;
    dltc_load_result r;
    assert_int_equal(dltc__fs_load_package(f->st, "10.1", &o, &r), DLTC_EINVALID);
    dltc__load_result_clear(&r);
    assert_int_equal(nfiles(pj(f->ds, "_dlt_loads")), 0);
    assert_int_equal(nfiles(outside), 1);

    dltc_table *t;
    OK(dltc__schema_add_table(f->s, "users__x/../../../outside", "users", &t));
    feed fd2[] = {{"users", "replace", "{\"id\":2}"}};
    make_package(f, "11.1", "jsonl", fd2, 1, NULL, NULL);
    o = options(f);
    assert_int_equal(dltc__fs_load_package(f->st, "11.1", &o, &r), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "'..'"));
    dltc__load_result_clear(&r);
    assert_int_equal(nfiles(outside), 1);
    assert_int_equal(nfiles(pj(f->ds, "_dlt_loads")), 0);
}

/* ---- dispositions ---- */

static void test_append_twice(void **state)
{
    fx *f = *state;
    feed a[] = {{"users", NULL, "{\"id\":1}\n{\"id\":2}"}};
    feed b[] = {{"users", NULL, "{\"id\":3}"}};
    dltc_fs_options o = options(f);
    dltc_load_result r;
    make_package(f, "100.5", "jsonl", a, 1, NULL, NULL);
    load_ok(f, "100.5", &o, &r);
    assert_int_equal(count_of(&r, "users"), 2);
    assert_false(r.already_loaded);
    dltc__load_result_clear(&r);
    make_package(f, "101.5", "jsonl", b, 1, NULL, NULL);
    load_ok(f, "101.5", &o, &r);
    assert_int_equal(count_of(&r, "users"), 1);
    dltc__load_result_clear(&r);
    assert_int_equal(nfiles(pj(f->ds, "users")), 2);
    assert_int_equal(table_rows(pj(f->ds, "users"), "100.5."), 2);
    assert_int_equal(table_rows(pj(f->ds, "users"), "101.5."), 1);
    assert_int_equal(nfiles(pj(f->ds, "_dlt_loads")), 2);
    /* the packages are loaded; the temporary folder is gone */
    char **ids;
    size_t n;
    OK(dltc__storage_list(f->st, DLTC_STAGE_LOADED, &ids, &n));
    assert_int_equal(n, 2);
    dltc__strv_free(ids, n);
    assert_false(dltc__path_exists(pj(f->ds, ".dltc-tmp")));
    /* loading a loaded package again: not found in load/normalized */
    assert_int_not_equal(dltc__fs_load_package(f->st, "101.5", &o, &r), 0);
    dltc__load_result_clear(&r);
    assert_int_equal(f->warnings, 0);
}

static void test_replace(void **state)
{
    fx *f = *state;
    feed a[] = {{"users", "replace", "{\"id\":1,\"items\":[1,2]}\n{\"id\":2,\"items\":[3]}"},
                {"users_x", NULL, "{\"v\":1}"}};
    feed b[] = {{"users", "replace", "{\"id\":9}"}};
    dltc_fs_options o = options(f);
    dltc_load_result r;
    make_package(f, "200.1", "jsonl", a, 2, NULL, NULL);
    load_ok(f, "200.1", &o, &r);
    assert_int_equal(count_of(&r, "users__items"), 3);
    dltc__load_result_clear(&r);
    make_package(f, "201.1", "jsonl", b, 1, NULL, NULL);
    load_ok(f, "201.1", &o, &r);
    dltc__load_result_clear(&r);
    /* only the new files: the nested table (no rows in this package) is emptied too */
    assert_int_equal(nfiles(pj(f->ds, "users")), 1);
    assert_int_equal(table_rows(pj(f->ds, "users"), "201.1."), 1);
    assert_int_equal(nfiles(pj(f->ds, "users__items")), 0);
    assert_int_equal(nfiles(pj(f->ds, "users_x")), 1);

    /* a flat layout: the prefix "users." keeps users_x. and users__items. apart */
    o.layout = "{table_name}.{load_id}.{file_id}.{ext}";
    o.dataset = "flat";
    char flat[1200];
    snprintf(flat, sizeof(flat), "%s/flat", f->bucket);
    feed c[] = {{"users", "replace", "{\"id\":1,\"items\":[1]}"}, {"users_x", NULL, "{\"v\":2}"}};
    make_package(f, "202.1", "jsonl", c, 2, NULL, NULL);
    load_ok(f, "202.1", &o, &r);
    dltc__load_result_clear(&r);
    feed d[] = {{"users", "replace", "{\"id\":2}"}};
    make_package(f, "203.1", "jsonl", d, 1, NULL, NULL);
    load_ok(f, "203.1", &o, &r);
    dltc__load_result_clear(&r);
    size_t n;
    char **v = files(flat, &n);
    int users = 0, users_x = 0, items = 0;
    for (size_t i = 0; i < n; i++) {
        users += !strncmp(v[i], "users.203.1.", 12);
        assert_false(!strncmp(v[i], "users.202.1.", 12));
        users_x += !strncmp(v[i], "users_x.", 8);
        items += !strncmp(v[i], "users__items.", 13);
    }
    dltc__strv_free(v, n);
    assert_int_equal(users, 1);
    assert_int_equal(users_x, 1);
    assert_int_equal(items, 0);
    assert_true(dltc__path_exists(pj(flat, "init")) > 0);
}

static void test_merge_appends(void **state)
{
    fx *f = *state;
    feed a[] = {{"users", "merge", "{\"id\":1}"}};
    dltc_fs_options o = options(f);
    dltc_load_result r;
    make_package(f, "300.1", "jsonl", a, 1, NULL, NULL);
    load_ok(f, "300.1", &o, &r);
    dltc__load_result_clear(&r);
    make_package(f, "301.1", "jsonl", a, 1, NULL, NULL);
    load_ok(f, "301.1", &o, &r);
    dltc__load_result_clear(&r);
    assert_int_equal(nfiles(pj(f->ds, "users")), 2);
    assert_int_equal(f->warnings, 2);
    assert_string_equal(f->warning, "table 'users': " DLTC_FS_MERGE_WARNING);
}

/* ---- formats ---- */

static void test_compression(void **state)
{
    fx *f = *state;
    feed a[] = {{"users", NULL, "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}"}};
    dltc_fs_options o = options(f);
    dltc_load_result r;
    char job[2048], fid[16], want[256];
    static const char *const formats[] = {"jsonl", "csv", "insert_values"};
    for (int compress = 1; compress >= 0; compress--)
        for (int k = 0; k < 3; k++) {
            char id[32];
            snprintf(id, sizeof(id), "%d.%d", 400 + k, compress);
            o.compression = compress;
            make_package(f, id, formats[k], a, 1, NULL, NULL);
            load_ok(f, id, &o, &r);
            assert_int_equal(count_of(&r, "users"), 2);
            dltc__load_result_clear(&r);
            job_of(f, id, "users", job, sizeof(job));
            file_id_of(job, fid);
            snprintf(want, sizeof(want), "users/%s.%s.%s%s", id, fid, formats[k],
                     compress ? ".gz" : "");
            char *path = pj(f->ds, want);
            assert_true(dltc__path_exists(path) > 0);
            size_t n1, n2;
            char *got = content(path, &n1), *orig = tu_read_file(job, &n2);
            assert_int_equal(n1, n2);
            assert_memory_equal(got, orig, n1);
            if (compress) { /* really gzip: the magic bytes */
                char *raw = tu_read_file(path, NULL);
                assert_int_equal((unsigned char)raw[0], 0x1f);
                assert_int_equal((unsigned char)raw[1], 0x8b);
                free(raw);
            }
            free(got);
            free(orig);
        }
}

/* A dataset created before dlt 1.15 (empty init): compressed files keep names without .gz
 * and the init file is migrated. */
static void test_v1_names(void **state)
{
    fx *f = *state;
    OK(dltc__mkdirs(f->ds));
    assert_int_equal(tu_write_file(pj(f->ds, "init"), "", 0), 0);
    feed a[] = {{"users", NULL, "{\"id\":1}"}};
    dltc_fs_options o = options(f);
    dltc_load_result r;
    make_package(f, "450.1", "jsonl", a, 1, NULL, NULL);
    load_ok(f, "450.1", &o, &r);
    dltc__load_result_clear(&r);
    char job[2048], fid[16], want[256];
    job_of(f, "450.1", "users", job, sizeof(job));
    file_id_of(job, fid);
    snprintf(want, sizeof(want), "users/450.1.%s.jsonl", fid);
    char *raw = tu_read_file(pj(f->ds, want), NULL);
    assert_non_null(raw);
    assert_int_equal((unsigned char)raw[0], 0x1f); /* still gzipped */
    free(raw);
    char *init = tu_read_file(pj(f->ds, "init"), NULL);
    assert_string_equal(init, "{\"initial_version\":1,\"current_version\":2}");
    free(init);
}

static void test_gzip_members(void **state)
{
    fx *f = *state;
    char src[2048], dst[2048];
    snprintf(src, sizeof(src), "%s/rows.jsonl", f->dir);
    snprintf(dst, sizeof(dst), "%s/rows.jsonl.gz", f->dir);
    dltc_buf b = DLTC_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        OK(dltc__buf_printf(&b, "{\"i\":%d,\"pad\":\"%040d\"}\n", i, i));
    assert_int_equal(tu_write_file(src, b.data, b.len), 0);
    OK(dltc__fs_gzip_file(src, dst, 4096)); /* many members */
    /* DuckDB reads the members as one file */
    dltc_duckdb *db;
    OK(dltc__duckdb_open(&db, NULL));
    dltc_buf q = DLTC_BUF_INIT;
    OK(dltc__buf_printf(
        &q, "SELECT count(*), sum(i) FROM read_json('%s', format='newline_delimited')", dst));
    dltc_rows *rows = NULL;
    OK(dltc__duckdb_query(db, q.data, &rows));
    assert_int_equal(dltc_value_get_int(dltc_rows_get(rows, 0, 0)), 1000);
    assert_int_equal(dltc_value_get_int(dltc_rows_get(rows, 0, 1)), 999 * 1000 / 2);
    dltc_rows_free(rows);
    dltc__duckdb_close(db);
    dltc__buf_free(&q);
    dltc__buf_free(&b);
}

static void test_parquet_passthrough(void **state)
{
    fx *f = *state;
    feed a[] = {{"users", NULL, "{\"id\":1,\"items\":[1,2]}\n{\"id\":2}\n{\"id\":3}"}};
    dltc_fs_options o = options(f);
    dltc_load_result r;
    make_package(f, "500.1", "parquet", a, 1, "pipe", "blobpq");
    load_ok(f, "500.1", &o, &r);
    assert_int_equal(count_of(&r, "users"), 3);
    assert_int_equal(count_of(&r, "users__items"), 2);
    assert_int_equal(count_of(&r, "_dlt_pipeline_state"), 1);
    dltc__load_result_clear(&r);
    char job[2048], fid[16], want[256];
    job_of(f, "500.1", "users", job, sizeof(job));
    file_id_of(job, fid);
    snprintf(want, sizeof(want), "users/500.1.%s.parquet", fid);
    size_t n1, n2;
    char *got = tu_read_file(pj(f->ds, want), &n1), *orig = tu_read_file(job, &n2);
    assert_non_null(got);
    assert_int_equal(n1, n2);
    assert_memory_equal(got, orig, n1);
    assert_memory_equal(got, "PAR1", 4);
    free(got);
    free(orig);
    /* the state row was parquet too; the state file is jsonl */
    char *blob = NULL;
    OK(dltc__fs_remote_state(&blob, &o));
    assert_string_equal(blob, "blobpq");
    dltc__free(blob);
}

/* ---- the dlt files ---- */

static const dltc_value *get(const dltc_value *obj, const char *key)
{
    const dltc_value *v = dltc_object_get(obj, key);
    if (!v) fail_msg("no key %s", key);
    return v;
}

static void test_system_files(void **state)
{
    fx *f = *state;
    feed a[] = {{"users", NULL, "{\"id\":1}"}};
    dltc_fs_options o = options(f);
    o.max_state_files = 2;
    dltc_load_result r;
    make_package(f, "600.1", "jsonl", a, 1, "pipe", "blob1");
    load_ok(f, "600.1", &o, &r);
    dltc__load_result_clear(&r);

    char *init = tu_read_file(pj(f->ds, "init"), NULL);
    assert_string_equal(init, "{\"initial_version\":2,\"current_version\":2}");
    free(init);

    /* names: the schema hash as hex */
    const char *hash = dltc_schema_version_hash(f->s);
    uint8_t raw[64];
    long hn = dltc__base64_decode(hash, strlen(hash), raw);
    assert_int_equal(hn, 32);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    char name[512];
    dltc_arena a2;
    dltc__arena_init(&a2, 65536);
    dltc_value *v;

    snprintf(name, sizeof(name), "_dlt_version/src__600.1__%s.jsonl", hex);
    char *text = tu_read_file(pj(f->ds, name), NULL);
    assert_non_null(text);
    assert_null(strchr(text, '\n')); /* json.dumps: one line, no newline */
    assert_true(!strncmp(text, "{\"version_hash\":\"", 17));
    OK(dltc__json_parse(&a2, text, strlen(text), 0, &v, NULL));
    assert_string_equal(get(v, "version_hash")->u.s, hash);
    assert_string_equal(get(v, "schema_name")->u.s, "src");
    assert_int_equal(get(v, "version")->u.i, dltc_schema_version(f->s));
    assert_int_equal(get(v, "engine_version")->u.i, 11);
    const dltc_value *at = get(v, "inserted_at");
    assert_int_equal(at->u.s[at->len - 1], 'Z');
    dltc_schema *back = NULL;
    OK(dltc_schema_import(&back, get(v, "schema")->u.s, get(v, "schema")->len));
    assert_string_equal(dltc_schema_version_hash(back), hash);
    dltc_schema_free(back);
    free(text);

    snprintf(name, sizeof(name), "_dlt_pipeline_state/pipe__600.1__%s.jsonl", hex);
    text = tu_read_file(pj(f->ds, name), NULL);
    assert_non_null(text);
    assert_string_equal(text, "{\"version\":3,\"engine_version\":4,\"pipeline_name\":\"pipe\","
                              "\"state\":\"blob1\",\"created_at\":\"2024-01-02T03:04:05.678901Z\","
                              "\"version_hash\":\"vh=\",\"_dlt_load_id\":\"600.1\"}");
    free(text);

    text = tu_read_file(pj(f->ds, "_dlt_loads/src__600.1.jsonl"), NULL);
    assert_non_null(text);
    static const char head[] = "{\"load_id\":\"600.1\",\"schema_name\":\"src\",\"status\":0,"
                               "\"inserted_at\":\"";
    assert_true(!strncmp(text, head, strlen(head)));
    OK(dltc__json_parse(&a2, text, strlen(text), 0, &v, NULL));
    at = get(v, "inserted_at");
    assert_non_null(strstr(at->u.s, "+00:00")); /* pendulum isoformat() */
    assert_string_equal(get(v, "schema_version_hash")->u.s, hash);
    free(text);
    dltc__arena_free(&a2);
    /* no data file for the state table */
    assert_false(dltc__path_exists(pj(f->ds, "_dlt_pipeline_state/600.1")) > 0);
    assert_int_equal(nfiles(pj(f->ds, "_dlt_pipeline_state")), 1);
    /* folders of every table of the new schema version */
    assert_true(dltc__path_exists(pj(f->ds, "users")) > 0);

    /* same schema: no new version file; three states with max 2: the oldest goes */
    make_package(f, "601.1", "jsonl", a, 1, "pipe", "blob2");
    load_ok(f, "601.1", &o, &r);
    dltc__load_result_clear(&r);
    assert_int_equal(nfiles(pj(f->ds, "_dlt_version")), 1);
    make_package(f, "602.1", "jsonl", a, 1, "pipe", "blob3");
    load_ok(f, "602.1", &o, &r);
    dltc__load_result_clear(&r);
    size_t n;
    char **st = files(pj(f->ds, "_dlt_pipeline_state"), &n);
    assert_int_equal(n, 2);
    assert_true(!strncmp(st[0], "pipe__601.1__", 13));
    assert_true(!strncmp(st[1], "pipe__602.1__", 13));
    dltc__strv_free(st, n);
    /* a new column: a new version file */
    feed b[] = {{"users", NULL, "{\"id\":1,\"extra\":true}"}};
    make_package(f, "603.1", "jsonl", b, 1, NULL, NULL);
    load_ok(f, "603.1", &o, &r);
    dltc__load_result_clear(&r);
    assert_int_equal(nfiles(pj(f->ds, "_dlt_version")), 2);
}

/* A state row written as csv or insert_values: the state file is the same jsonl. */
static void test_state_other_formats(void **state)
{
    fx *f = *state;
    static const char *const formats[] = {"csv", "insert_values"};
    dltc_fs_options o = options(f);
    dltc_load_result r;
    for (int k = 0; k < 2; k++) {
        feed a[] = {{"users", NULL, "{\"id\":1}"}};
        char id[16], blob[16];
        snprintf(id, sizeof(id), "%d.1", 700 + k);
        snprintf(blob, sizeof(blob), "blob-%s", formats[k]);
        make_package(f, id, formats[k], a, 1, "pipe", blob);
        load_ok(f, id, &o, &r);
        assert_int_equal(count_of(&r, "_dlt_pipeline_state"), 1);
        dltc__load_result_clear(&r);
        char *got = NULL;
        OK(dltc__fs_remote_state(&got, &o));
        assert_string_equal(got, blob);
        dltc__free(got);
    }
    size_t n;
    char **st = files(pj(f->ds, "_dlt_pipeline_state"), &n);
    assert_int_equal(n, 2);
    char *text = tu_read_file(pj(pj(f->ds, "_dlt_pipeline_state"), st[1]), NULL);
    assert_non_null(strstr(text, "\"created_at\":\"2024-01-02T03:04:05.678901Z\""));
    assert_non_null(strstr(text, "\"version\":3,\"engine_version\":4,"));
    free(text);
    dltc__strv_free(st, n);
}

static void test_remote_state_and_schema(void **state)
{
    fx *f = *state;
    dltc_fs_options o = options(f);
    char *blob = NULL;
    dltc_schema *s = NULL;
    /* nothing there: nothing found, nothing created */
    OK(dltc__fs_remote_state(&blob, &o));
    assert_null(blob);
    OK(dltc__fs_remote_schema(&s, &o, "src"));
    assert_null(s);
    assert_false(dltc__path_exists(f->bucket) > 0);

    feed a[] = {{"users", NULL, "{\"id\":1}"}};
    dltc_load_result r;
    make_package(f, "800.1", "jsonl", a, 1, "pipe", "old");
    load_ok(f, "800.1", &o, &r);
    dltc__load_result_clear(&r);
    make_package(f, "801.1", "jsonl", a, 1, "pipe", "new");
    load_ok(f, "801.1", &o, &r);
    dltc__load_result_clear(&r);
    /* another pipeline in the same dataset */
    o.pipeline_name = "other";
    make_package(f, "802.1", "jsonl", a, 1, "other", "theirs");
    load_ok(f, "802.1", &o, &r);
    dltc__load_result_clear(&r);
    /* a newer state whose load has no marker (the package died): not restored */
    size_t n;
    char **st = files(pj(f->ds, "_dlt_pipeline_state"), &n);
    char stray[512];
    const char *hexp = strrchr(st[0], '_') + 1;
    snprintf(stray, sizeof(stray), "_dlt_pipeline_state/pipe__900.1__%s", hexp);
    static const char dead[] = "{\"version\":9,\"pipeline_name\":\"pipe\",\"state\":\"dead\"}";
    assert_int_equal(tu_write_file(pj(f->ds, stray), dead, strlen(dead)), 0);
    dltc__strv_free(st, n);

    o.pipeline_name = "pipe";
    OK(dltc__fs_remote_state(&blob, &o));
    assert_string_equal(blob, "new");
    dltc__free(blob);
    o.pipeline_name = "other";
    OK(dltc__fs_remote_state(&blob, &o));
    assert_string_equal(blob, "theirs");
    dltc__free(blob);
    o.pipeline_name = "nobody";
    OK(dltc__fs_remote_state(&blob, &o));
    assert_null(blob);

    OK(dltc__fs_remote_schema(&s, &o, "src"));
    assert_non_null(s);
    assert_string_equal(dltc_schema_name(s), "src");
    assert_string_equal(dltc_schema_version_hash(s), dltc_schema_version_hash(f->s));
    dltc_schema_free(s);
    OK(dltc__fs_remote_schema(&s, &o, "unknown"));
    assert_null(s);
}

/* A package loaded by another storage with the marker in place: only completed on disk. */
static void test_marker_found(void **state)
{
    fx *f = *state;
    feed a[] = {{"users", NULL, "{\"id\":1}\n{\"id\":2}"}};
    dltc_fs_options o = options(f);
    dltc_load_result r;
    make_package(f, "850.1", "jsonl", a, 1, NULL, NULL);
    OK(dltc__mkdirs(pj(f->ds, "_dlt_loads")));
    assert_int_equal(tu_write_file(pj(f->ds, "_dlt_loads/src__850.1.jsonl"), "{}", 2), 0);
    load_ok(f, "850.1", &o, &r);
    assert_true(r.already_loaded);
    assert_int_equal(count_of(&r, "users"), 2);
    dltc__load_result_clear(&r);
    assert_false(dltc__path_exists(pj(f->ds, "users")) > 0);
    char **ids;
    size_t n;
    OK(dltc__storage_list(f->st, DLTC_STAGE_LOADED, &ids, &n));
    assert_int_equal(n, 1);
    dltc__strv_free(ids, n);
}

/* ---- crash safety ---- */

static const char *const g_points[] = {"load:fs-start",
                                       "load:fs-after-init",
                                       "load:fs-after-truncate",
                                       "load:fs-after-version",
                                       "load:fs-after-first-tmp",
                                       "load:fs-after-first-job",
                                       "load:fs-after-data",
                                       "load:fs-after-state",
                                       "load:fs-after-marker",
                                       "load:fs-after-first-job-moved",
                                       "load:fs-after-jobs-completed"};

static int crash_child(const char *wd, const char *load_id, const char *bucket)
{
    dltc_storage *st;
    if (dltc__storage_open(&st, wd)) return 2;
    dltc_fs_options o = DLTC_FS_OPTIONS_INIT;
    o.bucket_url = bucket;
    o.dataset = "ds";
    o.pipeline_name = "pipe";
    dltc_load_result r;
    int rc = dltc__fs_load_package(st, load_id, &o, &r);
    dltc__load_result_clear(&r);
    dltc__storage_free(st);
    return rc ? 3 : 0;
}

static void test_crash_points(void **state)
{
    fx *f = *state;
    for (size_t k = 0; k < sizeof(g_points) / sizeof(g_points[0]); k++) {
        for (int replace = 0; replace < 2; replace++) {
            char root[1200], wd[1300], bucket[1300], ds[1400];
            snprintf(root, sizeof(root), "%s/c%zu_%d", f->dir, k, replace);
            snprintf(wd, sizeof(wd), "%s/wd", root);
            snprintf(bucket, sizeof(bucket), "%s/bucket", root);
            snprintf(ds, sizeof(ds), "%s/ds", bucket);
            dltc_storage *st;
            dltc_schema *s;
            OK(dltc__storage_open(&st, wd));
            OK(dltc_schema_new(&s, "src"));
            const char *disp = replace ? "replace" : NULL;
            feed a[] = {{"users", disp, "{\"id\":1}\n{\"id\":2}\n{\"id\":3}"}};
            feed b[] = {{"users", disp, "{\"id\":4,\"items\":[1,2]}\n{\"id\":5}"},
                        {"orders", NULL, "{\"o\":1}\n{\"o\":2}"}};
            make_package_in(st, s, "100.1", "jsonl", a, 1, "pipe", "b1");
            dltc_fs_options o = DLTC_FS_OPTIONS_INIT;
            o.bucket_url = bucket;
            o.dataset = "ds";
            o.pipeline_name = "pipe";
            dltc_load_result r;
            OK(dltc__fs_load_package(st, "100.1", &o, &r));
            dltc__load_result_clear(&r);
            make_package_in(st, s, "200.1", "jsonl", b, 2, "pipe", "b2");
            dltc__storage_free(st);

            pid_t pid = fork();
            assert_true(pid >= 0);
            if (pid == 0) {
                setenv("DLTC_CRASH_AT", g_points[k], 1);
                execl("/proc/self/exe", "test_filesystem", "--crash-child", wd, "200.1", bucket,
                      (char *)NULL);
                _exit(127);
            }
            int status = 0;
            assert_int_equal(waitpid(pid, &status, 0), pid);
            if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
                fail_msg("%s: the child was not killed there (status %d)", g_points[k], status);

            /* the rerun completes the package */
            OK(dltc__storage_open(&st, wd));
            OK(dltc__fs_load_package(st, "200.1", &o, &r));
            int after_marker = k >= 8;
            if (r.already_loaded != after_marker)
                fail_msg("%s: already_loaded %d", g_points[k], r.already_loaded);
            assert_int_equal(count_of(&r, "users"), 2);
            assert_int_equal(count_of(&r, "orders"), 2);
            dltc__load_result_clear(&r);
            char **ids;
            size_t n;
            OK(dltc__storage_list(st, DLTC_STAGE_NORMALIZED, &ids, &n));
            assert_int_equal(n, 0);
            dltc__strv_free(ids, n);
            OK(dltc__storage_list(st, DLTC_STAGE_LOADED, &ids, &n));
            assert_int_equal(n, 2);
            dltc__strv_free(ids, n);
            dltc__storage_free(st);
            dltc_schema_free(s);

            /* no duplicates, nothing left over */
            size_t users_files = nfiles(pj(ds, "users"));
            if (users_files != (replace ? 1u : 2u))
                fail_msg("%s (%s): %zu users files", g_points[k], replace ? "replace" : "append",
                         users_files);
            assert_int_equal(table_rows(pj(ds, "users"), "200.1."), 2);
            assert_int_equal(table_rows(pj(ds, "users"), ""), replace ? 2 : 5);
            assert_int_equal(nfiles(pj(ds, "users__items")), 1);
            assert_int_equal(table_rows(pj(ds, "users__items"), ""), 2);
            assert_int_equal(nfiles(pj(ds, "orders")), 1);
            assert_int_equal(nfiles(pj(ds, "_dlt_loads")), 2);
            assert_int_equal(nfiles(pj(ds, "_dlt_pipeline_state")), 2);
            assert_int_equal(nfiles(pj(ds, "_dlt_version")), 2);
            assert_false(dltc__path_exists(pj(ds, ".dltc-tmp")) > 0);
            char *blob = NULL;
            OK(dltc__fs_remote_state(&blob, &o));
            assert_string_equal(blob, "b2");
            dltc__free(blob);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--crash-child"))
        return crash_child(argv[2], argv[3], argv[4]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_placeholders),
        cmocka_unit_test_setup_teardown(test_layout_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compression, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parquet_passthrough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_other_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remote_state_and_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marker_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_points, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
