/* The filesystem source (include/dltc/filesystem_source.h): the listing's FileItems, globs,
 * pages, content, incremental by modification date across runs, and the csv / jsonl /
 * parquet readers end to end into DuckDB, streamed in chunks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "dltc/filesystem_source.h"
#include "duckdb/client.h"
#include "sources/readers.h"
#include "testutil.h"

#include <limits.h>
#include <sys/time.h>

typedef struct {
    char *dir;  /* the temp dir: pipelines/, test.duckdb, data/ */
    char data[1024];
    char real[1024]; /* data/ resolved */
    dltc_pipeline *p;
} fx;

static void write_at(const fx *f, const char *rel, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", f->data, rel);
    assert_int_equal(tu_write_file(path, text, strlen(text)), 0);
}

/* mtime of data/rel := epoch second `s` */
static void set_mtime(const fx *f, const char *rel, long s)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", f->data, rel);
    struct timeval tv[2] = {{s, 0}, {s, 0}};
    assert_int_equal(utimes(path, tv), 0);
}

static void open_pipeline(fx *f)
{
    char pd[PATH_MAX], db[PATH_MAX];
    snprintf(pd, sizeof(pd), "%s/pipelines", f->dir);
    snprintf(db, sizeof(db), "%s/test.duckdb", f->dir);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = pd;
    o.credentials = db;
    assert_int_equal(dltc_pipeline_open(&f->p, "fs", &o), 0);
}

/* data/: a.csv, b.jsonl, sub/c.csv, sub/deep/d.csv, .hidden.csv, it's here.csv, link.csv ->
 * a.csv, a folder named x.csv (not a file) */
static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
    char p[PATH_MAX];
    mkdir(f->data, 0755);
    snprintf(p, sizeof(p), "%s/sub", f->data);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/sub/deep", f->data);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/x.csv", f->data);
    mkdir(p, 0755);
    write_at(f, "a.csv", "id,name\n1,alice\n2,bob\n");
    write_at(f, "b.jsonl", "{\"id\": 1}\n");
    write_at(f, "sub/c.csv", "id,name\n3,carol\n");
    write_at(f, "sub/deep/d.csv", "id,name\n4,dave\n5,erin\n");
    write_at(f, ".hidden.csv", "id,name\n9,hidden\n");
    write_at(f, "it's here.csv", "id,name\n6,frank\n");
    snprintf(p, sizeof(p), "%s/link.csv", f->data);
    assert_int_equal(symlink("a.csv", p), 0);
    char *real = realpath(f->data, NULL);
    assert_non_null(real);
    assert_true(strlen(real) < sizeof(f->real));
    memcpy(f->real, real, strlen(real) + 1);
    free(real);
    set_mtime(f, "a.csv", 1700000000);
    set_mtime(f, "b.jsonl", 1700000001);
    set_mtime(f, "sub/c.csv", 1700000002);
    set_mtime(f, "sub/deep/d.csv", 1700000003);
    set_mtime(f, "it's here.csv", 1700000004);
    open_pipeline(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dltc_pipeline_free(f->p);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* ---- collecting what the listing yields ---- */

#define MAX_ITEMS 64

typedef struct {
    char *json[MAX_ITEMS]; /* each item as JSON */
    char *rel[MAX_ITEMS];
    size_t n;
    size_t pages[MAX_ITEMS]; /* items per page */
    size_t npages;
} collected;

static int collect(const dltc_value *page, void *payload)
{
    collected *c = payload;
    c->pages[c->npages++] = dltc_value_size(page);
    for (size_t i = 0; i < dltc_value_size(page); i++) {
        const dltc_value *it = dltc_array_get(page, i);
        size_t len;
        assert_int_equal(dltc_value_to_json(&c->json[c->n], &len, it), 0);
        c->rel[c->n] = strdup(dltc_value_get_str(dltc_object_get(it, "relative_path"), NULL));
        c->n++;
    }
    return 0;
}

static void collected_free(collected *c)
{
    for (size_t i = 0; i < c->n; i++) {
        dltc_free(c->json[i]);
        free(c->rel[i]);
    }
    memset(c, 0, sizeof(*c));
}

static void list(const dltc_filesystem_options *o, collected *c)
{
    memset(c, 0, sizeof(*c));
    if (dltc__filesystem_list(o, collect, c))
        fail_msg("list: %s", dltc_error_last()->message);
}

static void listing_fields(void **state)
{
    fx *f = *state;
    dltc_filesystem_options o = DLTC_FILESYSTEM_OPTIONS_INIT;
    o.bucket_url = f->data;
    collected c;
    list(&o, &c);
    /* "*": regular files (and the symlink) directly in the folder, sorted; no hidden file,
     * no folder */
    assert_int_equal(c.n, 4);
    assert_string_equal(c.rel[0], "a.csv");
    assert_string_equal(c.rel[1], "b.jsonl");
    assert_string_equal(c.rel[2], "it's here.csv");
    assert_string_equal(c.rel[3], "link.csv");

    char want[2 * PATH_MAX];
    struct stat st;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/a.csv", f->data);
    assert_int_equal(stat(path, &st), 0);
    snprintf(want, sizeof(want),
             "{\"file_url\":\"file://%s/a.csv\",\"file_name\":\"a.csv\",\"relative_path\":"
             "\"a.csv\",\"mime_type\":\"text/csv\",\"encoding\":null,\"modification_date\":"
             "\"2023-11-14T22:13:20+00:00\",\"size_in_bytes\":%lld}",
             f->real, (long long)st.st_size);
    assert_int_equal(st.st_mtime, 1700000000);
    assert_string_equal(c.json[0], want);
    /* jsonl: not in Python's mimetypes, dlt's fallback application/<ext> */
    assert_non_null(strstr(c.json[1], "\"mime_type\":\"application/jsonl\""));
    /* quote and space: percent-encoded as pathlib's as_uri */
    snprintf(want, sizeof(want), "\"file_url\":\"file://%s/it%%27s%%20here.csv\"", f->real);
    assert_non_null(strstr(c.json[2], want));
    assert_non_null(strstr(c.json[2], "\"file_name\":\"it's here.csv\""));
    /* the symlink: its own name and relative path, the target's URL, size and date (dlt
     * resolves file_url; fsspec's info follows the link) */
    snprintf(want, sizeof(want), "\"file_url\":\"file://%s/a.csv\",\"file_name\":\"link.csv\","
             "\"relative_path\":\"link.csv\"", f->real);
    assert_non_null(strstr(c.json[3], want));
    assert_non_null(strstr(c.json[3], "\"modification_date\":\"2023-11-14T22:13:20+00:00\""));
    collected_free(&c);

    /* a file:// URL and a relative path name the same bucket */
    char url[PATH_MAX + 16];
    snprintf(url, sizeof(url), "file://%s", f->real);
    o.bucket_url = url;
    list(&o, &c);
    assert_int_equal(c.n, 4);
    collected_free(&c);
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(f->dir), 0);
    o.bucket_url = "./data/";
    list(&o, &c);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(c.n, 4);
    collected_free(&c);
}

static void globs(void **state)
{
    fx *f = *state;
    dltc_filesystem_options o = DLTC_FILESYSTEM_OPTIONS_INIT;
    o.bucket_url = f->data;
    collected c;
    o.file_glob = "**/*.csv";
    list(&o, &c);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.rel[0], "a.csv");
    assert_string_equal(c.rel[1], "it's here.csv");
    assert_string_equal(c.rel[2], "link.csv");
    assert_string_equal(c.rel[3], "sub/c.csv");
    assert_string_equal(c.rel[4], "sub/deep/d.csv");
    collected_free(&c);

    o.file_glob = "sub/*";
    list(&o, &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.rel[0], "sub/c.csv");
    collected_free(&c);

    o.file_glob = "[ab].*";
    list(&o, &c);
    assert_int_equal(c.n, 2);
    collected_free(&c);

    o.file_glob = ".*";
    list(&o, &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.rel[0], ".hidden.csv");
    collected_free(&c);

    /* a single file: glob "", relative_path "." as in dlt */
    char file[PATH_MAX];
    snprintf(file, sizeof(file), "%s/sub/c.csv", f->data);
    o.bucket_url = file;
    o.file_glob = "";
    list(&o, &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.rel[0], ".");
    assert_non_null(strstr(c.json[0], "\"file_name\":\"c.csv\""));
    collected_free(&c);

    /* a bucket that is not there, a remote one */
    o.bucket_url = "/nonexistent/dltc/bucket";
    assert_int_equal(dltc__filesystem_list(&o, collect, &c), DLTC_ENOTFOUND);
    dltc_resource *r = NULL;
    o.bucket_url = "s3://bucket/path";
    assert_int_equal(dltc_filesystem_resource(&r, "files", &o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "remote"));
}

static void pages_and_content(void **state)
{
    fx *f = *state;
    dltc_filesystem_options o = DLTC_FILESYSTEM_OPTIONS_INIT;
    o.bucket_url = f->data;
    o.file_glob = "**/*.csv";
    o.files_per_page = 2;
    collected c;
    list(&o, &c);
    assert_int_equal(c.npages, 3);
    assert_int_equal(c.pages[0], 2);
    assert_int_equal(c.pages[1], 2);
    assert_int_equal(c.pages[2], 1);
    collected_free(&c);

    /* through a pipeline: a table of FileItems, content as binary */
    o.extract_content = 1;
    dltc_source *src;
    dltc_resource *r;
    assert_int_equal(dltc_source_new(&src, "fs"), 0);
    assert_int_equal(dltc_filesystem_resource(&r, "files", &o), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    dltc_source_free(src);
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(f->p, "SELECT relative_path, file_content, size_in_bytes, "
                            "typeof(modification_date), typeof(file_content) FROM files "
                            "ORDER BY relative_path", &rows))
        fail_msg("query: %s", dltc_error_last()->message);
    assert_int_equal(dltc_rows_count(rows), 5);
    assert_string_equal(dltc_value_get_str(dltc_rows_get(rows, 3, 0), NULL), "sub/c.csv");
    size_t len;
    const char *bytes = dltc_value_get_str(dltc_rows_get(rows, 3, 1), &len);
    assert_int_equal(len, strlen("id,name\n3,carol\n"));
    assert_memory_equal(bytes, "id,name\n3,carol\n", len);
    assert_int_equal(dltc_value_get_int(dltc_rows_get(rows, 3, 2)), (int64_t)len);
    assert_string_equal(dltc_value_get_str(dltc_rows_get(rows, 0, 3), NULL),
                        "TIMESTAMP WITH TIME ZONE");
    assert_string_equal(dltc_value_get_str(dltc_rows_get(rows, 0, 4), NULL), "BLOB");
    dltc_rows_free(rows);
}

static long long scalar(dltc_pipeline *p, const char *sql)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    long long v = dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    dltc_rows_free(rows);
    return v;
}

/* The files resource (unselected, with a modification_date cursor) and a csv reader. */
static void run_incremental(fx *f, const dltc_filesystem_options *o)
{
    dltc_resource_options hidden = DLTC_RESOURCE_OPTIONS_INIT;
    hidden.selected = 0;
    dltc_filesystem_options fo = *o;
    fo.resource = &hidden;
    dltc_source *src;
    dltc_resource *files, *reader;
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    io.cursor_path = "modification_date";
    dltc_resource_options rro = DLTC_RESOURCE_OPTIONS_INIT;
    rro.table_name = "people";
    dltc_reader_options ro = DLTC_READER_OPTIONS_INIT;
    ro.resource = &rro;
    assert_int_equal(dltc_source_new(&src, "fs"), 0);
    assert_int_equal(dltc_filesystem_resource(&files, "files", &fo), 0);
    assert_int_equal(dltc_resource_set_incremental(files, &io), 0);
    assert_int_equal(dltc_source_add(src, files), 0);
    assert_int_equal(dltc_filesystem_reader(&reader, "read_csv", files, "csv", &ro), 0);
    assert_int_equal(dltc_source_add(src, reader), 0);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    dltc_source_free(src);
}

static void incremental_by_modification_date(void **state)
{
    fx *f = *state;
    dltc_filesystem_options o = DLTC_FILESYSTEM_OPTIONS_INIT;
    o.bucket_url = f->data;
    o.file_glob = "sub/**/*.csv";
    /* c.csv at ...02, d.csv at ...03 */
    run_incremental(f, &o);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM people"), 3);
    /* nothing changed: d.csv (at the last max) is seen again and deduplicated by file_url */
    run_incremental(f, &o);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM people"), 3);
    /* c.csv touched newer: only it is read again */
    set_mtime(f, "sub/c.csv", 1700000100);
    run_incremental(f, &o);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM people"), 4);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM people WHERE id = 3"), 2);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM people WHERE id = 4"), 1);
    /* and once more: nothing doubled */
    run_incremental(f, &o);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM people"), 4);
}

/* ---- readers end to end ---- */

static void run_source(fx *f, const char *glob, const char *format, size_t chunk)
{
    dltc_filesystem_options o = DLTC_FILESYSTEM_OPTIONS_INIT;
    o.bucket_url = f->data;
    o.file_glob = glob;
    dltc_reader_options ro = DLTC_READER_OPTIONS_INIT;
    ro.chunk_size = chunk;
    dltc_source *src;
    assert_int_equal(dltc_filesystem_source(&src, "fs", &o, format, &ro), 0);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    dltc_source_free(src);
}

/* "name:TYPE,…" of the table's columns without dlt's own */
static char *columns_of(fx *f, const char *table)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY "
             "ordinal_position) FROM information_schema.columns WHERE table_name = '%s' AND "
             "column_name NOT LIKE '\\_dlt%%' ESCAPE '\\'", table);
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(f->p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    char *s = strdup(dltc_value_get_str(dltc_rows_get(rows, 0, 0), NULL));
    dltc_rows_free(rows);
    return s;
}

static void read_csv_typed(void **state)
{
    fx *f = *state;
    write_at(f, "typed.csv", "id,price,name,ok,day,ts\n"
                             "1,1.5,alice,true,2024-01-02,2024-01-02 03:04:05\n"
                             "2,2.25,bob,false,2024-02-03,2024-02-03 04:05:06\n"
                             "3,,\"c, d\",true,2024-03-04,2024-03-04 05:06:07\n");
    run_source(f, "typed.csv", "csv", 2);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_csv"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_csv WHERE name = 'c, d' AND "
                                  "price IS NULL AND ok"), 1);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_csv WHERE day = DATE '2024-02-03'"
                                  " AND ts = TIMESTAMPTZ '2024-02-03 04:05:06+00'"), 1);
    char *cols = columns_of(f, "read_csv");
    assert_string_equal(cols, "id:BIGINT,price:DOUBLE,name:VARCHAR,ok:BOOLEAN,day:DATE,"
                              "ts:TIMESTAMP WITH TIME ZONE");
    free(cols);
    /* the file with a quote and a space in its name */
    run_source(f, "it's here.csv", "csv_duckdb", 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_csv_duckdb WHERE name = 'frank'"),
                     1);
}

static void read_jsonl_nested(void **state)
{
    fx *f = *state;
    write_at(f, "events.jsonl",
             "{\"id\": 1, \"kind\": \"a\", \"meta\": {\"x\": 1, \"y\": \"p\"}, \"tags\": [\"t1\", \"t2\"]}\n"
             "{\"id\": 2, \"kind\": \"b\", \"meta\": {\"x\": 2, \"y\": \"q\"}, \"tags\": []}\n"
             "{\"id\": 3, \"kind\": null, \"meta\": null, \"tags\": [\"t3\"], \"v\": 1.5}\n");
    run_source(f, "*.jsonl", "jsonl", 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_jsonl"), 4); /* with b.jsonl */
    assert_int_equal(scalar(f->p, "SELECT sum(meta__x) FROM read_jsonl"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_jsonl__tags"), 3);
    char *cols = columns_of(f, "read_jsonl");
    assert_string_equal(cols, "id:BIGINT,kind:VARCHAR,meta__x:BIGINT,meta__y:VARCHAR,v:DOUBLE");
    free(cols);
}

static void read_parquet_typed(void **state)
{
    fx *f = *state;
    char path[PATH_MAX], sql[2 * PATH_MAX];
    snprintf(path, sizeof(path), "%s/t.parquet", f->data);
    dltc_duckdb *db;
    assert_int_equal(dltc__duckdb_open(&db, NULL), 0);
    snprintf(sql, sizeof(sql),
             "COPY (SELECT i::BIGINT AS id, i / 4 AS d, 'n' || i AS name, i %% 2 = 0 AS even, "
             "TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND AS ts, DATE '2024-01-01' + "
             "i::INTEGER AS day, (i / 100)::DECIMAL(10,2) AS amount FROM range(2500) t(i)) TO "
             "'%s' (FORMAT parquet)", path);
    if (dltc__duckdb_exec(db, sql))
        fail_msg("%s", dltc_error_last()->message);
    dltc__duckdb_close(db);
    run_source(f, "*.parquet", "parquet", 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_parquet"), 2500);
    assert_int_equal(scalar(f->p, "SELECT sum(id) FROM read_parquet"), 2500 * 2499 / 2);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_parquet WHERE even"), 1250);
    assert_int_equal(scalar(f->p, "SELECT (sum(amount) * 100)::BIGINT FROM read_parquet"),
                     (2500 * 2499 / 2));
    char *cols = columns_of(f, "read_parquet");
    assert_non_null(strstr(cols, "id:BIGINT,d:DOUBLE,name:VARCHAR,even:BOOLEAN,ts:TIMESTAMP"));
    assert_non_null(strstr(cols, ",day:DATE,amount:DECIMAL("));
    free(cols);
}

typedef struct {
    size_t pages, rows, max_page;
    int64_t last_id;
} counter;

static int count_page(const dltc_value *page, void *payload)
{
    counter *c = payload;
    size_t n = dltc_value_size(page);
    c->pages++;
    c->rows += n;
    if (n > c->max_page)
        c->max_page = n;
    c->last_id = dltc_value_get_int(dltc_object_get(dltc_array_get(page, n - 1), "id"));
    return 0;
}

static void malformed_csv_names_the_file(void **state)
{
    fx *f = *state;
    /* DuckDB's sniffer takes an odd row inside its sample as a one-column file: the bad row
     * comes after the sample, and is met while the file is streamed */
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/bad.csv", f->data);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fprintf(out, "a,b\n");
    for (int i = 0; i < 25000; i++)
        fprintf(out, "%d,%d\n", i, i);
    fprintf(out, "3,4,5,6\n7,8\n");
    fclose(out);
    dltc_filesystem_options o = DLTC_FILESYSTEM_OPTIONS_INIT;
    o.bucket_url = f->data;
    o.file_glob = "bad.csv";
    dltc_source *src;
    assert_int_equal(dltc_filesystem_source(&src, "fs", &o, "csv", NULL), 0);
    int rc = dltc_pipeline_run_source(f->p, src, NULL);
    dltc_source_free(src);
    assert_int_equal(rc, DLTC_EDATABASE);
    const char *m = dltc_error_last()->message;
    char want[PATH_MAX + 8];
    snprintf(want, sizeof(want), "%s/bad.csv: ", f->real);
    assert_non_null(strstr(m, want));
    assert_null(strchr(m, '\n'));
    /* and nothing of the run was loaded */
    int yes = 1;
    dltc_rows *rows = NULL;
    yes = dltc_pipeline_query(f->p, "SELECT count(*) FROM read_csv", &rows) == 0;
    dltc_rows_free(rows);
    assert_false(yes);
    /* not UTF-8 */
    write_at(f, "latin1.csv", "a,b\n1,2\n\xe9t\xe9,4\n");
    snprintf(path, sizeof(path), "%s/latin1.csv", f->data);
    counter c = {0, 0, 0, -1};
    assert_int_equal(dltc__reader_read_file(path, DLTC_READ_CSV, 10, count_page, &c),
                     DLTC_EDATABASE);
    snprintf(want, sizeof(want), "%s: ", path);
    assert_ptr_equal(strstr(dltc_error_last()->message, want), dltc_error_last()->message);
    assert_null(strchr(dltc_error_last()->message, '\n'));
}

static void large_jsonl_in_chunks(void **state)
{
    fx *f = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/big.jsonl", f->data);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    for (int i = 0; i < 200000; i++)
        fprintf(out, "{\"id\": %d, \"name\": \"user %d\", \"score\": %d.5}\n", i, i, i % 100);
    fclose(out);
    counter c = {0, 0, 0, -1};
    if (dltc__reader_read_file(path, DLTC_READ_JSONL, 1000, count_page, &c))
        fail_msg("read: %s", dltc_error_last()->message);
    assert_int_equal(c.rows, 200000);
    assert_int_equal(c.pages, 200);
    assert_int_equal(c.max_page, 1000);
    assert_int_equal(c.last_id, 199999); /* in file order */
    /* chunks that span DuckDB's vectors (2048 rows) */
    memset(&c, 0, sizeof(c));
    assert_int_equal(dltc__reader_read_file(path, DLTC_READ_JSONL, 3000, count_page, &c), 0);
    assert_int_equal(c.pages, 67);
    assert_int_equal(c.max_page, 3000);
    /* through a pipeline */
    run_source(f, "big.jsonl", "jsonl", 0);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM read_jsonl"), 200000);
    assert_int_equal(scalar(f->p, "SELECT count(DISTINCT id) FROM read_jsonl"), 200000);
}

static void reader_rejects_bad_input(void **state)
{
    fx *f = *state;
    dltc_resource *r = NULL;
    dltc_filesystem_options o = DLTC_FILESYSTEM_OPTIONS_INIT;
    o.bucket_url = f->data;
    assert_int_equal(dltc_filesystem_resource(&r, "files", &o), 0);
    dltc_resource *t = NULL;
    assert_int_equal(dltc_filesystem_reader(&t, "x", r, "xml", NULL), DLTC_EINVALID);
    assert_null(t);
    dltc_resource_free(r);
    /* a path DuckDB would take as a glob is read through a descriptor */
    write_at(f, "star*[1].csv", "id\n7\n");
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/star*[1].csv", f->data);
    counter c = {0, 0, 0, -1};
    assert_int_equal(dltc__reader_read_file(path, DLTC_READ_CSV, 10, count_page, &c), 0);
    assert_int_equal(c.rows, 1);
    assert_int_equal(c.last_id, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(listing_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(globs, setup, teardown),
        cmocka_unit_test_setup_teardown(pages_and_content, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_by_modification_date, setup, teardown),
        cmocka_unit_test_setup_teardown(read_csv_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(read_jsonl_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(read_parquet_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_csv_names_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(large_jsonl_in_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(reader_rejects_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
