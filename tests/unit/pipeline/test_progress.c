/* Progress reports of a pipeline's steps (dltc/progress.h): monotonic counters per step, one
 * final report per step whose totals match the load info, the interval, the built-in
 * reporters by dlt's names and the `progress` config, and reports serialized while the
 * Postgres overlap path normalizes in a second thread and loads in the first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>

#define MAX_REPORTS 4096

typedef struct {
    dltc_progress r;
    char table[64];
    pthread_t thread;
} report;

typedef struct {
    report *reps;
    size_t n;
    atomic_int inside; /* a callback running */
    int overlapped;    /* a callback entered while another ran */
} recorder;

static void record(const dltc_progress *pr, void *payload)
{
    recorder *rec = payload;
    if (atomic_fetch_add(&rec->inside, 1) != 0)
        rec->overlapped = 1;
    if (rec->n < MAX_REPORTS) {
        report *x = &rec->reps[rec->n++];
        x->r = *pr;
        snprintf(x->table, sizeof(x->table), "%s", pr->table ? pr->table : "");
        x->r.table = NULL;
        x->thread = pthread_self();
    }
    usleep(200); /* widen the window in which a second entry would be seen */
    atomic_fetch_sub(&rec->inside, 1);
}

typedef struct {
    char *dir;
    char pd[4096];
    char db[4096];
    recorder rec;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    snprintf(f->pd, sizeof(f->pd), "%s/pipelines", f->dir);
    snprintf(f->db, sizeof(f->db), "%s/progress.duckdb", f->dir);
    f->rec.reps = calloc(MAX_REPORTS, sizeof(report));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tu_rmrf(f->dir);
    free(f->rec.reps);
    free(f->dir);
    free(f);
    return 0;
}

static dltc_pipeline *open_duckdb(fx *f, const char *name, const char *progress)
{
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = f->pd;
    o.credentials = f->db;
    o.progress = progress;
    dltc_pipeline *p = NULL;
    assert_int_equal(dltc_pipeline_open(&p, name, &o), 0);
    return p;
}

/* n rows with a nested list each (two child rows), as JSON Lines */
static char *rows_json(size_t n, size_t *len)
{
    size_t cap = n * 64 + 16, used = 0;
    char *s = malloc(cap);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(s + used, cap - used,
                                 "{\"id\":%zu,\"name\":\"row %zu\",\"tags\":[\"a\",\"b\"]}\n",
                                 i, i);
    *len = used;
    return s;
}

static uint64_t info_rows(const dltc_load_info *info)
{
    uint64_t n = 0;
    for (size_t i = 0; i < dltc_load_info_table_count(info); i++)
        n += dltc_load_info_table_rows(info, i);
    return n;
}

static size_t idx_of(const recorder *rec, const dltc_progress *r)
{
    for (size_t i = 0; i < rec->n; i++)
        if (&rec->reps[i].r == r)
            return i;
    fail();
    return 0;
}

/* Every step's counters never go down, the step's last report is its only final one. */
static void check_steps(const recorder *rec, const dltc_progress **finals)
{
    for (int s = 0; s < 3; s++) {
        finals[s] = NULL;
        uint64_t rows = 0, bytes = 0, files = 0;
        for (size_t i = 0; i < rec->n; i++) {
            const dltc_progress *r = &rec->reps[i].r;
            if ((int)r->step != s)
                continue;
            assert_int_equal(r->version, DLTC_PROGRESS_VERSION);
            assert_null(finals[s]); /* nothing after the final report */
            assert_true(r->rows >= rows);
            assert_true(r->bytes >= bytes);
            assert_true(r->files >= files);
            assert_true(r->elapsed_s >= 0);
            rows = r->rows;
            bytes = r->bytes;
            files = r->files;
            if (r->final)
                finals[s] = r;
        }
    }
}

static void steps_report_and_totals_match(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_duckdb(f, "progress_totals", NULL);
    assert_int_equal(dltc_pipeline_set_progress(p, record, &f->rec, 0), 0);
    size_t len;
    char *json = rows_json(5000, &len);
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    ro.table_name = "events";
    dltc_load_info *info = NULL;
    assert_int_equal(dltc_pipeline_run_json(p, json, len, &ro, &info), 0);
    const dltc_progress *fin[3];
    check_steps(&f->rec, fin);
    assert_non_null(fin[0]);
    assert_non_null(fin[1]);
    assert_non_null(fin[2]);
    assert_string_equal(fin[0]->step_name, "extract");
    assert_string_equal(fin[1]->step_name, "normalize");
    assert_string_equal(fin[2]->step_name, "load");
    /* extract copies plain data unread: its bytes, no rows */
    assert_int_equal(fin[0]->bytes, len);
    /* normalize read every byte of the extracted files and wrote the rows that loaded */
    assert_int_equal(fin[1]->bytes, fin[1]->total_bytes);
    assert_true(fin[1]->bytes >= len);
    uint64_t loaded = info_rows(info);
    assert_true(loaded >= 15000); /* 5000 rows + 10000 nested rows (+ the state row) */
    assert_int_equal(fin[1]->rows, loaded);
    assert_int_equal(fin[2]->rows, loaded);
    assert_int_equal(fin[2]->bytes, fin[2]->total_bytes);
    assert_true(fin[2]->files >= 2);
    /* with interval 0 normalize reported every 1024 items on the way */
    size_t nnorm = 0;
    for (size_t i = 0; i < f->rec.n; i++)
        nnorm += f->rec.reps[i].r.step == DLTC_PROGRESS_NORMALIZE;
    assert_true(nnorm >= 5);
    /* the steps come in order: every extract report before the first normalize one */
    size_t last_extract = 0, first_norm = f->rec.n;
    for (size_t i = 0; i < f->rec.n; i++) {
        if (f->rec.reps[i].r.step == DLTC_PROGRESS_EXTRACT)
            last_extract = i;
        if (f->rec.reps[i].r.step == DLTC_PROGRESS_NORMALIZE && first_norm == f->rec.n)
            first_norm = i;
    }
    assert_true(last_extract < first_norm);
    dltc_load_info_free(info);
    free(json);
    dltc_pipeline_free(p);
}

/* A resource of `pages` pages of 2000 items, sleeping `sleep_ms` before each page. */
typedef struct {
    int pages, done, sleep_ms;
} paged;

static int paged_fn(dltc_yield *y, void *payload)
{
    paged *pg = payload;
    if (pg->done == pg->pages)
        return DLTC_ITEROVER;
    if (pg->sleep_ms)
        usleep((useconds_t)pg->sleep_ms * 1000);
    char *buf = malloc(2000 * 40 + 4);
    size_t used = 0;
    buf[used++] = '[';
    for (int i = 0; i < 2000; i++)
        used += (size_t)snprintf(buf + used, 2000 * 40 + 4 - used, "%s{\"id\":%d}",
                                 i ? "," : "", pg->done * 2000 + i);
    buf[used++] = ']';
    int rc = dltc_yield_json(y, buf, used);
    free(buf);
    pg->done++;
    return rc;
}

static dltc_source *paged_source(paged *pg)
{
    dltc_source *src;
    dltc_resource *r;
    assert_int_equal(dltc_source_new(&src, "progress"), 0);
    assert_int_equal(dltc_resource_new(&r, "pages", paged_fn, pg, NULL), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    return src;
}

static void extract_counts_items_and_interval_is_kept(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_duckdb(f, "progress_interval", NULL);
    assert_int_equal(dltc_pipeline_set_progress(p, record, &f->rec, 40), 0);
    paged pg = {12, 0, 15};
    dltc_source *src = paged_source(&pg);
    dltc_load_info *info = NULL;
    assert_int_equal(dltc_pipeline_run_source(p, src, &info), 0);
    const dltc_progress *fin[3];
    check_steps(&f->rec, fin);
    assert_non_null(fin[0]);
    assert_int_equal(fin[0]->rows, 24000);
    assert_string_equal(f->rec.reps[idx_of(&f->rec, fin[0])].table, "pages");
    assert_true(fin[0]->bytes > 0);
    assert_int_equal(fin[2]->rows, info_rows(info));
    /* >= 180 ms of extract at one report per 40 ms at most: a few, never closer than 40 ms */
    double last = -1;
    size_t nmid = 0;
    for (size_t i = 0; i < f->rec.n; i++) {
        const dltc_progress *r = &f->rec.reps[i].r;
        if (r->step != DLTC_PROGRESS_EXTRACT || r->final)
            continue;
        nmid++;
        if (last >= 0)
            assert_true(r->elapsed_s - last >= 0.039);
        else
            assert_true(r->elapsed_s >= 0.039);
        last = r->elapsed_s;
    }
    assert_true(nmid >= 2);
    assert_true((double)nmid <= fin[0]->elapsed_s / 0.040 + 1e-9);
    dltc_load_info_free(info);
    dltc_source_free(src);
    dltc_pipeline_free(p);
}

static void steps_one_at_a_time_report(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_duckdb(f, "progress_steps", NULL);
    assert_int_equal(dltc_pipeline_set_progress(p, record, &f->rec, 0), 0);
    paged pg = {2, 0, 0};
    dltc_source *src = paged_source(&pg);
    dltc_load_info *info = NULL;
    assert_int_equal(dltc_pipeline_extract(p, src, NULL), 0);
    assert_int_equal(dltc_pipeline_normalize(p, NULL), 0);
    assert_int_equal(dltc_pipeline_load(p, &info), 0);
    const dltc_progress *fin[3];
    check_steps(&f->rec, fin);
    assert_int_equal(fin[0]->rows, 4000);
    assert_int_equal(fin[1]->rows, info_rows(info));
    assert_int_equal(fin[2]->rows, info_rows(info));
    /* nothing pending: a second load reports nothing */
    size_t n = f->rec.n;
    dltc_load_info_free(info);
    assert_int_equal(dltc_pipeline_load(p, &info), 0);
    assert_int_equal(f->rec.n, n);
    /* off: nothing */
    assert_int_equal(dltc_pipeline_set_progress(p, NULL, NULL, 0), 0);
    pg.done = 0;
    assert_int_equal(dltc_pipeline_run_source(p, src, NULL), 0);
    assert_int_equal(f->rec.n, n);
    dltc_load_info_free(info);
    dltc_source_free(src);
    dltc_pipeline_free(p);
}

static void unknown_reporter_refused(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_duckdb(f, "progress_names", NULL);
    assert_int_equal(dltc_pipeline_set_progress_reporter(p, "bogus", 0), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "bogus"));
    assert_non_null(strstr(dltc_error_last()->message,
                           "log, tqdm, enlighten, alive_progress, none"));
    assert_null(strchr(dltc_error_last()->message, '\n'));
    static const char *const ok[] = {"log", "tqdm", "enlighten", "alive_progress", "none", ""};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(dltc_progress_check_name(ok[i]), 0);
        assert_int_equal(dltc_pipeline_set_progress_reporter(p, ok[i], 0), 0);
    }
    assert_int_equal(dltc_pipeline_set_progress_reporter(p, NULL, 0), 0);
    dltc_pipeline_free(p);
    /* as the pipeline option */
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = f->pd;
    o.credentials = f->db;
    o.progress = "bars";
    p = NULL;
    assert_int_equal(dltc_pipeline_open(&p, "progress_names", &o), DLTC_EINVALID);
    assert_null(p);
    assert_non_null(strstr(dltc_error_last()->message, "progress"));
}

/* Runs `p` over 3000 rows with stderr going to a file; the text written there (malloc'd). */
static char *run_capturing_stderr(fx *f, dltc_pipeline *p)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/stderr.txt", f->dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    size_t len;
    char *json = rows_json(3000, &len);
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    ro.table_name = "events";
    int rc = dltc_pipeline_run_json(p, json, len, &ro, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    free(json);
    assert_int_equal(rc, 0);
    return tu_read_file(path, NULL);
}

static void log_reporter_writes_lines(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_duckdb(f, "progress_log", "log");
    char *text = run_capturing_stderr(f, p);
    assert_non_null(strstr(text, "extract done: 0.1 MB, in "));
    assert_non_null(strstr(text, "normalize done: 9,001 rows, "));
    assert_non_null(strstr(text, "load done: 9,001 rows, "));
    assert_non_null(strstr(text, " rows/s, "));
    assert_non_null(strstr(text, " MB/s\n"));
    assert_null(strchr(text, '\r'));
    free(text);
    dltc_pipeline_free(p);
}

static void bar_reporter_redraws(void **state)
{
    fx *f = *state;
    dltc_pipeline *p = open_duckdb(f, "progress_bar", NULL);
    assert_int_equal(dltc_pipeline_set_progress_reporter(p, "tqdm", 1), 0);
    char *text = run_capturing_stderr(f, p);
    assert_non_null(strstr(text, "\rnormalize ["));
    assert_non_null(strstr(text, "] 100% "));
    assert_non_null(strstr(text, "\rload ["));
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);
    dltc_pipeline_free(p);
}

static void progress_from_config(void **state)
{
    fx *f = *state;
    setenv("PROGRESS", "log", 1);
    dltc_pipeline *p = open_duckdb(f, "progress_cfg", NULL);
    char *text = run_capturing_stderr(f, p);
    assert_non_null(strstr(text, "load done: "));
    free(text);
    dltc_pipeline_free(p);
    /* the pipeline's own section first */
    setenv("PROGRESS_CFG__PROGRESS", "none", 1);
    p = open_duckdb(f, "progress_cfg", NULL);
    text = run_capturing_stderr(f, p);
    assert_null(strstr(text, "load done: "));
    free(text);
    dltc_pipeline_free(p);
    /* the option wins over config; a bad config value is an error naming the key */
    setenv("PROGRESS_CFG__PROGRESS", "bogus", 1);
    p = open_duckdb(f, "progress_cfg", "none");
    dltc_pipeline_free(p);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = f->pd;
    o.credentials = f->db;
    p = NULL;
    assert_int_equal(dltc_pipeline_open(&p, "progress_cfg", &o), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "config progress: "));
    unsetenv("PROGRESS_CFG__PROGRESS");
    unsetenv("PROGRESS");
}

/* Postgres: the overlap path normalizes in a second thread while this one loads; reports of
 * both come serialized, from both threads, and the totals still match. */
static void overlap_reports_are_serialized(void **state)
{
    fx *f = *state;
    char uri[512];
    tu_pg_fixture("uri", uri, sizeof(uri));
    if (!uri[0]) {
        print_message("DLTC_TEST_PG_DIR not set: no Postgres server, skipped\n");
        skip();
    }
    setenv("NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS", "500", 1);
    unsetenv("DLTC_NO_OVERLAP");
    char dataset[64];
    snprintf(dataset, sizeof(dataset), "progress_%d", (int)getpid());
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = f->pd;
    o.destination = "postgres";
    o.credentials = uri;
    o.dataset_name = dataset;
    dltc_pipeline *p = NULL;
    assert_int_equal(dltc_pipeline_open(&p, "progress_pg", &o), 0);
    unsetenv("NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS");
    assert_int_equal(dltc_pipeline_set_progress(p, record, &f->rec, 0), 0);
    size_t len;
    char *json = rows_json(20000, &len);
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    ro.table_name = "events";
    dltc_load_info *info = NULL;
    assert_int_equal(dltc_pipeline_run_json(p, json, len, &ro, &info), 0);
    assert_int_equal(f->rec.overlapped, 0);
    const dltc_progress *fin[3];
    check_steps(&f->rec, fin);
    assert_non_null(fin[1]);
    assert_non_null(fin[2]);
    uint64_t loaded = info_rows(info);
    assert_true(loaded >= 60000);
    assert_int_equal(fin[1]->rows, loaded);
    assert_int_equal(fin[2]->rows, loaded);
    /* load reported while normalize still ran (a load report before normalize's final),
     * and normalize reported from its own thread */
    size_t norm_final = idx_of(&f->rec, fin[1]);
    int early_load = 0, other_thread = 0;
    pthread_t me = pthread_self();
    for (size_t i = 0; i < norm_final; i++) {
        early_load |= f->rec.reps[i].r.step == DLTC_PROGRESS_LOAD;
        other_thread |= f->rec.reps[i].r.step == DLTC_PROGRESS_NORMALIZE &&
                        !pthread_equal(f->rec.reps[i].thread, me);
    }
    assert_true(other_thread);
    assert_true(early_load);
    dltc_load_info_free(info);
    /* drop the dataset */
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", dataset);
    assert_int_equal(dltc_pipeline_execute(p, sql, NULL, NULL), 0);
    free(json);
    dltc_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(steps_report_and_totals_match, setup, teardown),
        cmocka_unit_test_setup_teardown(extract_counts_items_and_interval_is_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(steps_one_at_a_time_report, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_reporter_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(log_reporter_writes_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(bar_reporter_redraws, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_from_config, setup, teardown),
        cmocka_unit_test_setup_teardown(overlap_reports_are_serialized, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
