/* Package storage: the layout dlt uses, stage transitions, job moves, names that could escape
 * the storage, and the clean-up of every leftover a killed run can produce. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "package/package.h"
#include "common/alloc.h"
#include "dltc/common.h"
#include "testutil.h"

typedef struct {
    char *dir;
    dltc_storage *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    assert_int_equal(dltc__storage_open(&f->s, f->dir), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dltc__storage_free(f->s);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static char *pj(fixture *f, const char *rel)
{
    static char buf[4][4096];
    static int slot;
    char *b = buf[slot++ & 3];
    snprintf(b, sizeof(buf[0]), "%s/%s", f->dir, rel);
    return b;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static void reopen(fixture *f)
{
    dltc__storage_free(f->s);
    f->s = NULL;
    assert_int_equal(dltc__storage_open(&f->s, f->dir), 0);
}

static void put(const char *dir, const char *name, const char *text)
{
    char p[8192];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_int_equal(tu_write_file(p, text, strlen(text)), 0);
}

/* An extracted package with one job in new_jobs. */
static void make_extracted(fixture *f, const char *id)
{
    char *path;
    assert_int_equal(dltc__package_begin_extract(f->s, id, &path), 0);
    char jobs[4096];
    snprintf(jobs, sizeof(jobs), "%s/new_jobs", path);
    put(jobs, "items.abcdef0123.0.typed-jsonl", "[{\"a\":1}]\n");
    assert_int_equal(dltc__package_commit_extract(f->s, path, id), 0);
    dltc__free(path);
}

/* A normalized package with the given job files in new_jobs. */
static void make_normalized(fixture *f, const char *id, const char **jobs, size_t n)
{
    make_extracted(f, id);
    char *path;
    assert_int_equal(dltc__package_begin_normalize(f->s, id, &path), 0);
    char jd[4096];
    snprintf(jd, sizeof(jd), "%s/new_jobs", path);
    for (size_t i = 0; i < n; i++)
        put(jd, jobs[i], "{\"a\":1}\n");
    put(path, "schema.json", "{}");
    assert_int_equal(dltc__package_commit_normalize(f->s, id), 0);
    dltc__free(path);
}

static void layout_after_open(void **state)
{
    fixture *f = *state;
    assert_true(is_dir(pj(f, "normalize/extracted")));
    assert_true(is_dir(pj(f, "load/new")));
    assert_true(is_dir(pj(f, "load/normalized")));
    assert_true(is_dir(pj(f, "load/loaded")));
    char *v = tu_read_file(pj(f, "normalize/.version"), NULL);
    assert_string_equal(v, "1.0.1");
    free(v);
    v = tu_read_file(pj(f, "load/.version"), NULL);
    assert_string_equal(v, "1.0.0");
    free(v);
    assert_int_equal(tu_count_entries(pj(f, "normalize")), 2);
    assert_int_equal(tu_count_entries(pj(f, "load")), 4);
    assert_string_equal(dltc__storage_dir(f->s), f->dir);
    /* opening again keeps everything */
    reopen(f);
    assert_int_equal(tu_count_entries(pj(f, "normalize")), 2);
}

static void version_mismatch_rejected(void **state)
{
    fixture *f = *state;
    assert_int_equal(tu_write_file(pj(f, "load/.version"), "9.9.9", 5), 0);
    dltc_storage *s = NULL;
    assert_int_equal(dltc__storage_open(&s, f->dir), DLTC_EINVALID);
    assert_null(s);
    assert_non_null(strstr(dltc_error_last()->message, "load/.version"));
    /* normalize 1.0.0 (before extracted/ existed) is upgraded */
    assert_int_equal(tu_write_file(pj(f, "load/.version"), "1.0.0", 5), 0);
    assert_int_equal(tu_write_file(pj(f, "normalize/.version"), "1.0.0", 5), 0);
    reopen(f);
    char *v = tu_read_file(pj(f, "normalize/.version"), NULL);
    assert_string_equal(v, "1.0.1");
    free(v);
}

static void extract_begin_commit(void **state)
{
    fixture *f = *state;
    char *path;
    assert_int_equal(dltc__package_begin_extract(f->s, "1712345678.123456", &path), 0);
    /* normalize/<16 hex>/<id> with the four job folders */
    const char *rest = path + strlen(f->dir) + strlen("/normalize/");
    const char *slash = strchr(rest, '/');
    assert_non_null(slash);
    assert_int_equal(slash - rest, 16);
    for (const char *c = rest; c < slash; c++)
        assert_true((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'));
    assert_string_equal(slash + 1, "1712345678.123456");
    const char *folders[] = {"new_jobs", "started_jobs", "completed_jobs", "failed_jobs"};
    char p[4096];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s/%s", path, folders[i]);
        assert_true(is_dir(p));
    }
    char **ids;
    size_t n;
    assert_int_equal(dltc__storage_list(f->s, DLTC_STAGE_EXTRACTED, &ids, &n), 0);
    assert_int_equal(n, 0); /* not visible before the commit */
    dltc__strv_free(ids, n);

    snprintf(p, sizeof(p), "%s/new_jobs", path);
    put(p, "items.abcdef0123.0.typed-jsonl", "x");
    assert_int_equal(dltc__package_commit_extract(f->s, path, "1712345678.123456"), 0);
    assert_false(exists(path));
    assert_int_equal(tu_count_entries(pj(f, "normalize")), 2); /* temp folder gone */
    assert_true(exists(pj(f, "normalize/extracted/1712345678.123456/new_jobs/"
                             "items.abcdef0123.0.typed-jsonl")));
    assert_int_equal(dltc__storage_list(f->s, DLTC_STAGE_EXTRACTED, &ids, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "1712345678.123456");
    dltc__strv_free(ids, n);
    dltc__free(path);
}

static void extract_abort_and_bad_commit(void **state)
{
    fixture *f = *state;
    char *path;
    assert_int_equal(dltc__package_begin_extract(f->s, "1.5", &path), 0);
    /* a path that is not an extract folder of that id is refused */
    assert_int_equal(dltc__package_commit_extract(f->s, path, "1.6"), DLTC_EINVALID);
    assert_int_equal(dltc__package_commit_extract(f->s, pj(f, "load/new/1.5"), "1.5"),
                     DLTC_EINVALID);
    assert_int_equal(dltc__package_commit_extract(f->s, pj(f, "normalize/extracted/1.5"), "1.5"),
                     DLTC_EINVALID);
    dltc__package_abort_extract(f->s, path);
    assert_false(exists(path));
    assert_int_equal(tu_count_entries(pj(f, "normalize")), 2);
    dltc__free(path);
    /* committing twice the same id */
    make_extracted(f, "1.7");
    assert_int_equal(dltc__package_begin_extract(f->s, "1.7", &path), 0);
    assert_int_equal(dltc__package_commit_extract(f->s, path, "1.7"), DLTC_EINVALID);
    dltc__package_abort_extract(f->s, path);
    dltc__free(path);
}

static void normalize_begin_commit(void **state)
{
    fixture *f = *state;
    make_extracted(f, "100.1");
    char *path;
    assert_int_equal(dltc__package_begin_normalize(f->s, "100.1", &path), 0);
    assert_string_equal(path, pj(f, "load/new/100.1"));
    char jd[4096];
    snprintf(jd, sizeof(jd), "%s/new_jobs", path);
    put(jd, "stale.0000000000.0.jsonl", "x");
    dltc__free(path);
    /* begin again: emptied */
    assert_int_equal(dltc__package_begin_normalize(f->s, "100.1", &path), 0);
    assert_int_equal(tu_count_entries(jd), 0);
    put(jd, "items.0123456789.0.jsonl", "{}\n");
    put(path, "schema.json", "{}");
    assert_int_equal(dltc__package_commit_normalize(f->s, "100.1"), 0);
    assert_false(exists(path));
    assert_false(exists(pj(f, "normalize/extracted/100.1")));
    assert_int_equal(tu_count_entries(pj(f, "normalize")), 2); /* trash removed */
    assert_true(exists(pj(f, "load/normalized/100.1/new_jobs/items.0123456789.0.jsonl")));
    assert_true(exists(pj(f, "load/normalized/100.1/schema.json")));
    dltc__free(path);
    /* nothing in load/new to commit */
    assert_int_equal(dltc__package_commit_normalize(f->s, "100.2"), DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "load/new/100.2"));
}

static void job_moves(void **state)
{
    fixture *f = *state;
    const char *jobs[] = {"b.0000000002.0.jsonl", "a.0000000001.0.jsonl", "c.0000000003.0.jsonl"};
    make_normalized(f, "5.5", jobs, 3);
    char **v;
    size_t n;
    assert_int_equal(dltc__package_jobs(f->s, DLTC_STAGE_NORMALIZED, "5.5", DLTC_JOB_NEW, &v, &n),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0], "a.0000000001.0.jsonl");
    assert_string_equal(v[2], "c.0000000003.0.jsonl");
    dltc__strv_free(v, n);

    assert_int_equal(dltc__package_job_move(f->s, "5.5", "a.0000000001.0.jsonl", DLTC_JOB_NEW,
                                            DLTC_JOB_STARTED),
                     0);
    assert_int_equal(dltc__package_job_move(f->s, "5.5", "a.0000000001.0.jsonl",
                                            DLTC_JOB_STARTED, DLTC_JOB_COMPLETED),
                     0);
    assert_true(exists(pj(f, "load/normalized/5.5/completed_jobs/a.0000000001.0.jsonl")));
    assert_false(exists(pj(f, "load/normalized/5.5/started_jobs/a.0000000001.0.jsonl")));

    assert_int_equal(dltc__package_job_move(f->s, "5.5", "b.0000000002.0.jsonl", DLTC_JOB_NEW,
                                            DLTC_JOB_STARTED),
                     0);
    assert_int_equal(dltc__package_job_fail(f->s, "5.5", "b.0000000002.0.jsonl",
                                            DLTC_JOB_STARTED, "relation \"b\" does not exist"),
                     0);
    char *msg = tu_read_file(pj(f, "load/normalized/5.5/failed_jobs/b.0000000002.0.jsonl.exception"),
                             NULL);
    assert_string_equal(msg, "relation \"b\" does not exist");
    free(msg);
    assert_int_equal(
        dltc__package_jobs(f->s, DLTC_STAGE_NORMALIZED, "5.5", DLTC_JOB_FAILED, &v, &n), 0);
    assert_int_equal(n, 1); /* the .exception is not a job */
    assert_string_equal(v[0], "b.0000000002.0.jsonl");
    dltc__strv_free(v, n);

    /* missing job, missing package, same state, target exists */
    assert_int_equal(dltc__package_job_move(f->s, "5.5", "zz.0000000009.0.jsonl", DLTC_JOB_NEW,
                                            DLTC_JOB_STARTED),
                     DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "new_jobs/zz.0000000009.0.jsonl"));
    assert_int_equal(dltc__package_job_move(f->s, "6.6", "c.0000000003.0.jsonl", DLTC_JOB_NEW,
                                            DLTC_JOB_STARTED),
                     DLTC_ENOTFOUND);
    assert_int_equal(dltc__package_job_move(f->s, "5.5", "c.0000000003.0.jsonl", DLTC_JOB_NEW,
                                            DLTC_JOB_NEW),
                     DLTC_EINVALID);
    assert_int_equal(dltc__package_jobs(f->s, DLTC_STAGE_LOADED, "5.5", DLTC_JOB_NEW, &v, &n),
                     DLTC_ENOTFOUND);
    put(pj(f, "load/normalized/5.5/started_jobs"), "c.0000000003.0.jsonl", "dup");
    assert_int_equal(dltc__package_job_move(f->s, "5.5", "c.0000000003.0.jsonl", DLTC_JOB_NEW,
                                            DLTC_JOB_STARTED),
                     DLTC_EINVALID);
    /* empty message: no exception file, as dlt */
    assert_int_equal(dltc__package_job_fail(f->s, "5.5", "c.0000000003.0.jsonl",
                                            DLTC_JOB_STARTED, ""),
                     0);
    assert_false(exists(pj(f, "load/normalized/5.5/failed_jobs/c.0000000003.0.jsonl.exception")));
}

static void job_retry(void **state)
{
    fixture *f = *state;
    const char *jobs[] = {"t.0a0b0c0d0e.4.insert_values", "u.0000000001.0.jsonl.gz",
                          "bad.name.jsonl"};
    make_normalized(f, "7.0", jobs, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            dltc__package_job_move(f->s, "7.0", jobs[i], DLTC_JOB_NEW, DLTC_JOB_STARTED), 0);
    char *nf;
    assert_int_equal(dltc__package_job_retry(f->s, "7.0", jobs[0], &nf), 0);
    assert_string_equal(nf, "t.0a0b0c0d0e.5.insert_values");
    dltc__free(nf);
    assert_true(exists(pj(f, "load/normalized/7.0/new_jobs/t.0a0b0c0d0e.5.insert_values")));
    assert_int_equal(dltc__package_job_retry(f->s, "7.0", jobs[1], &nf), 0);
    assert_string_equal(nf, "u.0000000001.1.jsonl.gz");
    dltc__free(nf);
    assert_int_equal(dltc__package_job_retry(f->s, "7.0", jobs[2], NULL), DLTC_EINVALID);
}

static void complete_loaded_and_aborted(void **state)
{
    fixture *f = *state;
    const char *jobs[] = {"a.0000000001.0.jsonl"};
    make_normalized(f, "1.1", jobs, 1);
    make_normalized(f, "1.2", jobs, 1);
    assert_int_equal(dltc__package_complete(f->s, "1.1", "loaded"), 0);
    assert_int_equal(dltc__package_complete(f->s, "1.2", "aborted"), 0);
    assert_int_equal(dltc__package_complete(f->s, "1.2", "aborted"), DLTC_ENOTFOUND);
    assert_false(exists(pj(f, "load/normalized/1.1")));
    char *m = tu_read_file(pj(f, "load/loaded/1.1/package_completed.json"), NULL);
    assert_string_equal(m, "loaded");
    free(m);
    m = tu_read_file(pj(f, "load/loaded/1.2/package_completed.json"), NULL);
    assert_string_equal(m, "aborted");
    free(m);
    assert_true(exists(pj(f, "load/loaded/1.1/new_jobs/a.0000000001.0.jsonl")));
    make_normalized(f, "1.3", jobs, 1);
    assert_int_equal(dltc__package_complete(f->s, "1.3", "done"), DLTC_EINVALID);
    assert_true(exists(pj(f, "load/normalized/1.3")));
    char **ids;
    size_t n;
    assert_int_equal(dltc__storage_list(f->s, DLTC_STAGE_LOADED, &ids, &n), 0);
    assert_int_equal(n, 2);
    dltc__strv_free(ids, n);
}

static void listing_sorted(void **state)
{
    fixture *f = *state;
    const char *ids_in[] = {"1712345679.5", "1712345678.999999", "1712345678.1", "1712345680.0"};
    for (int i = 0; i < 4; i++)
        make_extracted(f, ids_in[i]);
    /* files and hidden entries are not packages */
    put(pj(f, "normalize/extracted"), "stray-file", "x");
    assert_int_equal(mkdir(pj(f, "normalize/extracted/.hidden"), 0755), 0);
    char **ids;
    size_t n;
    assert_int_equal(dltc__storage_list(f->s, DLTC_STAGE_EXTRACTED, &ids, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(ids[0], "1712345678.1");
    assert_string_equal(ids[1], "1712345678.999999");
    assert_string_equal(ids[2], "1712345679.5");
    assert_string_equal(ids[3], "1712345680.0");
    dltc__strv_free(ids, n);
    assert_int_equal(dltc__storage_list(f->s, DLTC_STAGE_NORMALIZED, &ids, &n), 0);
    assert_int_equal(n, 0);
    assert_null(ids);
}

static void delete_packages(void **state)
{
    fixture *f = *state;
    const char *jobs[] = {"a.0000000001.0.jsonl"};
    make_extracted(f, "2.1");
    make_normalized(f, "2.2", jobs, 1);
    assert_int_equal(dltc__package_delete(f->s, DLTC_STAGE_EXTRACTED, "2.1"), 0);
    assert_int_equal(dltc__package_delete(f->s, DLTC_STAGE_NORMALIZED, "2.2"), 0);
    assert_int_equal(dltc__package_delete(f->s, DLTC_STAGE_NORMALIZED, "2.2"), DLTC_ENOTFOUND);
    assert_non_null(strstr(dltc_error_last()->message, "load/normalized/2.2"));
    assert_int_equal(tu_count_entries(pj(f, "normalize/extracted")), 0);
    assert_int_equal(tu_count_entries(pj(f, "load/normalized")), 0);
    assert_int_equal(tu_count_entries(pj(f, "normalize")), 2);
}

static void invalid_names_rejected(void **state)
{
    fixture *f = *state;
    const char *bad[] = {"", ".", "..", ".hidden", "a/b", "../x", "/abs"};
    char *path = (char *)1;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dltc__package_begin_extract(f->s, bad[i], &path), DLTC_EINVALID);
        assert_null(path);
        assert_int_equal(dltc__package_begin_normalize(f->s, bad[i], &path), DLTC_EINVALID);
        assert_int_equal(dltc__package_commit_normalize(f->s, bad[i]), DLTC_EINVALID);
        assert_int_equal(dltc__package_delete(f->s, DLTC_STAGE_LOADED, bad[i]), DLTC_EINVALID);
        assert_int_equal(dltc__package_complete(f->s, bad[i], "loaded"), DLTC_EINVALID);
        assert_null(dltc__package_path(f->s, DLTC_STAGE_NORMALIZED, bad[i]));
    }
    assert_int_equal(dltc__package_begin_extract(f->s, NULL, &path), DLTC_EINVALID);
    const char *jobs[] = {"a.0000000001.0.jsonl"};
    make_normalized(f, "3.3", jobs, 1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            dltc__package_job_move(f->s, "3.3", bad[i], DLTC_JOB_NEW, DLTC_JOB_STARTED),
            DLTC_EINVALID);
        assert_int_equal(dltc__package_job_fail(f->s, "3.3", bad[i], DLTC_JOB_NEW, "x"),
                         DLTC_EINVALID);
        assert_int_equal(dltc__package_job_move(f->s, bad[i], "a.0000000001.0.jsonl",
                                                DLTC_JOB_NEW, DLTC_JOB_STARTED),
                         DLTC_EINVALID);
    }
    /* nothing escaped into the working dir */
    assert_int_equal(tu_count_entries(f->dir), 2);
    char *p = dltc__package_path(f->s, DLTC_STAGE_NORMALIZED, "3.3");
    assert_string_equal(p, pj(f, "load/normalized/3.3"));
    dltc__free(p);
}

static void write_and_read_atomic(void **state)
{
    fixture *f = *state;
    const char *p = pj(f, "state.json");
    assert_int_equal(dltc__write_file_atomic(p, "{\"a\":1}", 7), 0);
    assert_int_equal(dltc__write_file_atomic(p, "{\"b\":22}", 8), 0); /* replaces */
    char *data;
    size_t len;
    assert_int_equal(dltc__read_file(p, &data, &len), 0);
    assert_int_equal(len, 8);
    assert_string_equal(data, "{\"b\":22}");
    dltc__free(data);
    assert_false(exists(pj(f, "state.json.tmp")));
    assert_int_equal(tu_count_entries(f->dir), 3);
    /* empty and large files */
    assert_int_equal(dltc__write_file_atomic(p, "", 0), 0);
    assert_int_equal(dltc__read_file(p, &data, &len), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    dltc__free(data);
    size_t big = 300000;
    char *blob = malloc(big);
    for (size_t i = 0; i < big; i++)
        blob[i] = (char)('a' + i % 26);
    assert_int_equal(dltc__write_file_atomic(p, blob, big), 0);
    assert_int_equal(dltc__read_file(p, &data, &len), 0);
    assert_int_equal(len, big);
    assert_memory_equal(data, blob, big);
    dltc__free(data);
    free(blob);
    assert_int_equal(dltc__read_file(pj(f, "nope.json"), &data, &len), DLTC_ENOTFOUND);
    assert_null(data);
    /* a folder that does not exist: EIO naming the path */
    assert_int_equal(dltc__write_file_atomic(pj(f, "no/such/x.json"), "x", 1), DLTC_EIO);
    assert_non_null(strstr(dltc_error_last()->message, "no/such/x.json.tmp"));
    assert_non_null(strstr(dltc_error_last()->message, "No such file"));
}

static void mkdirs_rmtree(void **state)
{
    fixture *f = *state;
    assert_int_equal(dltc__mkdirs(pj(f, "x/y/z/")), 0);
    assert_int_equal(dltc__mkdirs(pj(f, "x/y/z")), 0);
    assert_true(is_dir(pj(f, "x/y/z")));
    put(pj(f, "x/y"), "f", "1");
    assert_int_equal(symlink(f->dir, pj(f, "x/link")), 0);
    assert_int_equal(dltc__mkdirs(pj(f, "x/y/f/g")), DLTC_EIO);
    assert_int_equal(dltc__rmtree(pj(f, "x")), 0);
    assert_false(exists(pj(f, "x")));
    assert_true(is_dir(pj(f, "load"))); /* symlink not followed */
    assert_int_equal(dltc__rmtree(pj(f, "x")), 0);
    assert_int_equal(dltc__fsync_dir(pj(f, "load")), 0);
    assert_int_equal(dltc__fsync_dir(pj(f, "nope")), DLTC_EIO);
}

/* ---- recovery of leftovers (each state built by hand, as a killed run leaves it) ---- */

static void recover_tmp_extract_folder(void **state)
{
    fixture *f = *state;
    char *path;
    assert_int_equal(dltc__package_begin_extract(f->s, "9.1", &path), 0);
    put(pj(f, "normalize"), ".version.tmp", "1.0");
    assert_int_equal(mkdir(pj(f, "normalize/0123abcd"), 0755), 0); /* another name length */
    reopen(f);
    assert_false(exists(path));
    assert_int_equal(tu_count_entries(pj(f, "normalize")), 2);
    assert_false(exists(pj(f, "normalize/.version.tmp")));
    dltc__free(path);
}

static void recover_load_new(void **state)
{
    fixture *f = *state;
    make_extracted(f, "9.2");
    char *path;
    assert_int_equal(dltc__package_begin_normalize(f->s, "9.2", &path), 0);
    put(path, "schema.json", "{}");
    reopen(f);
    assert_int_equal(tu_count_entries(pj(f, "load/new")), 0);
    /* the extracted package is kept: normalize is redone from it */
    assert_true(exists(pj(f, "normalize/extracted/9.2/new_jobs/items.abcdef0123.0.typed-jsonl")));
    dltc__free(path);
}

static void recover_extracted_after_normalize_rename(void **state)
{
    fixture *f = *state;
    const char *jobs[] = {"a.0000000001.0.jsonl"};
    make_normalized(f, "9.3", jobs, 1);
    /* killed after the rename, before (or in the middle of) deleting the extracted package */
    assert_int_equal(mkdir(pj(f, "normalize/extracted/9.3"), 0755), 0);
    assert_int_equal(mkdir(pj(f, "normalize/extracted/9.3/new_jobs"), 0755), 0);
    make_extracted(f, "9.4"); /* unrelated: kept */
    reopen(f);
    assert_false(exists(pj(f, "normalize/extracted/9.3")));
    assert_true(exists(pj(f, "normalize/extracted/9.4")));
    assert_true(exists(pj(f, "load/normalized/9.3/new_jobs/a.0000000001.0.jsonl")));
}

static void recover_tmp_files_and_markers(void **state)
{
    fixture *f = *state;
    const char *jobs[] = {"a.0000000001.0.jsonl", "b.0000000002.0.jsonl"};
    make_normalized(f, "9.5", jobs, 2);
    make_extracted(f, "9.6");
    /* a real failed job keeps its message */
    assert_int_equal(dltc__package_job_fail(f->s, "9.5", "a.0000000001.0.jsonl", DLTC_JOB_NEW,
                                            "bad data"),
                     0);
    /* interrupted atomic writes */
    put(pj(f, "load/normalized/9.5"), "load_package_state.json.tmp", "{");
    put(pj(f, "load/normalized/9.5/failed_jobs"), "a.0000000001.0.jsonl.exception.tmp", "x");
    put(pj(f, "normalize/extracted/9.6"), "schema.json.tmp", "{");
    put(pj(f, "load"), ".version.tmp", "1");
    /* job_fail killed between the message and the move */
    put(pj(f, "load/normalized/9.5/failed_jobs"), "b.0000000002.0.jsonl.exception", "boom");
    /* complete killed between the marker and the rename */
    put(pj(f, "load/normalized/9.5"), "package_completed.json", "loaded");
    reopen(f);
    assert_false(exists(pj(f, "load/normalized/9.5/load_package_state.json.tmp")));
    assert_false(exists(pj(f, "load/normalized/9.5/failed_jobs/a.0000000001.0.jsonl.exception.tmp")));
    assert_false(exists(pj(f, "normalize/extracted/9.6/schema.json.tmp")));
    assert_false(exists(pj(f, "load/.version.tmp")));
    assert_false(exists(pj(f, "load/normalized/9.5/failed_jobs/b.0000000002.0.jsonl.exception")));
    assert_false(exists(pj(f, "load/normalized/9.5/package_completed.json")));
    assert_true(exists(pj(f, "load/normalized/9.5/new_jobs/b.0000000002.0.jsonl")));
    assert_true(exists(pj(f, "load/normalized/9.5/failed_jobs/a.0000000001.0.jsonl.exception")));
    assert_true(exists(pj(f, "load/normalized/9.5/schema.json")));
    /* the package is whole again: it can be completed */
    assert_int_equal(dltc__package_complete(f->s, "9.5", "loaded"), 0);
}

static void recover_interrupted_delete(void **state)
{
    fixture *f = *state;
    /* delete moves the package into normalize/<random>/ first: that is all that can remain */
    assert_int_equal(mkdir(pj(f, "normalize/00112233445566ff"), 0755), 0);
    assert_int_equal(mkdir(pj(f, "normalize/00112233445566ff/4.4"), 0755), 0);
    assert_int_equal(mkdir(pj(f, "normalize/00112233445566ff/4.4/new_jobs"), 0755), 0);
    reopen(f);
    assert_int_equal(tu_count_entries(pj(f, "normalize")), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(layout_after_open, setup, teardown),
        cmocka_unit_test_setup_teardown(version_mismatch_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(extract_begin_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(extract_abort_and_bad_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(normalize_begin_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(job_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(job_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(complete_loaded_and_aborted, setup, teardown),
        cmocka_unit_test_setup_teardown(listing_sorted, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_packages, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_names_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(write_and_read_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(mkdirs_rmtree, setup, teardown),
        cmocka_unit_test_setup_teardown(recover_tmp_extract_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(recover_load_new, setup, teardown),
        cmocka_unit_test_setup_teardown(recover_extracted_after_normalize_rename, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(recover_tmp_files_and_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(recover_interrupted_delete, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
