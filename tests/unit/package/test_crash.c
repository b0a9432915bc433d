/* Crash consistency: a child runs extract-commit, normalize, job moves and completion and is
 * SIGKILLed at a random instant; reopening the storage must show every package whole in exactly
 * one stage, with no temporary leftovers. Seed: DLTC_CRASH_SEED (printed on failure). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "package/package.h"
#include "common/alloc.h"
#include "testutil.h"

#define NJOBS 24
#define NEXTRACT 8
#define ITERATIONS 50

static void job_name(char *out, size_t cap, const char *table, int i)
{
    snprintf(out, cap, "%s.%010d.0.jsonl", table, i);
}

static void job_content(char *out, size_t cap, int i)
{
    size_t n = 0;
    for (int k = 0; k < 40 && n + 32 < cap; k++)
        n += (size_t)snprintf(out + n, cap - n, "{\"job\":%d,\"row\":%d}\n", i, k);
}

static int write_plain(const char *dir, const char *name, const char *text)
{
    char p[8192];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    close(fd);
    return w == (ssize_t)len ? 0 : -1;
}

/* The state every iteration starts from: package 1.0 extracted with NJOBS jobs. */
static void prepare(const char *dir)
{
    dltc_storage *s;
    assert_int_equal(dltc__storage_open(&s, dir), 0);
    char *path;
    assert_int_equal(dltc__package_begin_extract(s, "1.0", &path), 0);
    char jd[4096], name[128], content[2048];
    snprintf(jd, sizeof(jd), "%s/new_jobs", path);
    for (int i = 0; i < NJOBS; i++) {
        job_name(name, sizeof(name), "items", i);
        job_content(content, sizeof(content), i);
        assert_int_equal(write_plain(jd, name, content), 0);
    }
    assert_int_equal(dltc__package_commit_extract(s, path, "1.0"), 0);
    dltc__free(path);
    dltc__storage_free(s);
}

/* What the child does; returns 0 when every step succeeded. */
static int workflow(const char *dir)
{
    dltc_storage *s;
    char jd[4096], name[128], content[2048], msg[64];
    if (dltc__storage_open(&s, dir))
        return 1;
    /* a second extract */
    char *path;
    if (dltc__package_begin_extract(s, "2.0", &path))
        return 2;
    snprintf(jd, sizeof(jd), "%s/new_jobs", path);
    for (int i = 0; i < NEXTRACT; i++) {
        job_name(name, sizeof(name), "other", i);
        job_content(content, sizeof(content), i);
        if (write_plain(jd, name, content))
            return 3;
    }
    if (dltc__package_commit_extract(s, path, "2.0"))
        return 4;
    dltc__free(path);
    /* normalize 1.0 */
    if (dltc__package_begin_normalize(s, "1.0", &path))
        return 5;
    snprintf(jd, sizeof(jd), "%s/new_jobs", path);
    for (int i = 0; i < NJOBS; i++) {
        job_name(name, sizeof(name), "items", i);
        job_content(content, sizeof(content), i);
        if (write_plain(jd, name, content))
            return 6;
    }
    if (write_plain(path, "schema.json", "{\"name\":\"s\"}"))
        return 7;
    dltc__free(path);
    if (dltc__package_commit_normalize(s, "1.0"))
        return 8;
    /* load: even jobs complete, odd jobs fail */
    for (int i = 0; i < NJOBS; i++) {
        job_name(name, sizeof(name), "items", i);
        if (dltc__package_job_move(s, "1.0", name, DLTC_JOB_NEW, DLTC_JOB_STARTED))
            return 9;
        snprintf(msg, sizeof(msg), "job %d failed", i);
        int rc = (i % 2) ? dltc__package_job_fail(s, "1.0", name, DLTC_JOB_STARTED, msg)
                         : dltc__package_job_move(s, "1.0", name, DLTC_JOB_STARTED,
                                                  DLTC_JOB_COMPLETED);
        if (rc)
            return 10;
    }
    if (dltc__package_complete(s, "1.0", "loaded"))
        return 11;
    dltc__storage_free(s);
    return 0;
}

static int file_is(const char *path, const char *want)
{
    char *got = tu_read_file(path, NULL);
    int ok = got && !strcmp(got, want);
    free(got);
    return ok;
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static int count_tmp(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    size_t l = strlen(path);
    int n = (l > 4 && !strcmp(path + l - 4, ".tmp")) ? 1 : 0;
    if (!S_ISDIR(st.st_mode))
        return n;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        n += count_tmp(p);
    }
    if (d)
        closedir(d);
    return n;
}

enum { ST_EXTRACTED, ST_NORMALIZED, ST_LOADED, ST_COUNT };

/* Check package 1.0 wherever it is; returns its stage. */
static int check_package_1(const char *dir)
{
    char ext[4096], norm[4096], done[4096], p[8192], name[128], content[2048], msg[64];
    snprintf(ext, sizeof(ext), "%s/normalize/extracted/1.0", dir);
    snprintf(norm, sizeof(norm), "%s/load/normalized/1.0", dir);
    snprintf(done, sizeof(done), "%s/load/loaded/1.0", dir);
    int in = exists(ext) + exists(norm) + exists(done);
    assert_int_equal(in, 1);
    if (exists(ext)) {
        assert_int_equal(tu_count_entries(ext), 4);
        for (int i = 0; i < NJOBS; i++) {
            job_name(name, sizeof(name), "items", i);
            job_content(content, sizeof(content), i);
            snprintf(p, sizeof(p), "%s/new_jobs/%s", ext, name);
            assert_true(file_is(p, content));
        }
        return ST_EXTRACTED;
    }
    const char *pkg = exists(norm) ? norm : done;
    snprintf(p, sizeof(p), "%s/schema.json", pkg);
    assert_true(file_is(p, "{\"name\":\"s\"}"));
    snprintf(p, sizeof(p), "%s/package_completed.json", pkg);
    if (pkg == done)
        assert_true(file_is(p, "loaded"));
    else
        assert_false(exists(p));
    static const char *const folders[] = {"new_jobs", "started_jobs", "completed_jobs",
                                          "failed_jobs"};
    int failed_files = 0;
    for (int i = 0; i < NJOBS; i++) {
        job_name(name, sizeof(name), "items", i);
        job_content(content, sizeof(content), i);
        int where = -1, copies = 0;
        for (int k = 0; k < 4; k++) {
            snprintf(p, sizeof(p), "%s/%s/%s", pkg, folders[k], name);
            if (exists(p)) {
                copies++;
                where = k;
                assert_true(file_is(p, content));
            }
        }
        assert_int_equal(copies, 1);
        snprintf(p, sizeof(p), "%s/failed_jobs/%s.exception", pkg, name);
        if (where == 3) {
            snprintf(msg, sizeof(msg), "job %d failed", i);
            assert_true(file_is(p, msg));
            failed_files += 2;
        } else {
            assert_false(exists(p)); /* no orphan message */
        }
        if (pkg == done)
            assert_int_equal(where, (i % 2) ? 3 : 2);
    }
    snprintf(p, sizeof(p), "%s/failed_jobs", pkg);
    assert_int_equal(tu_count_entries(p), failed_files);
    return pkg == done ? ST_LOADED : ST_NORMALIZED;
}

/* Package 2.0 is absent or whole. */
static void check_package_2(const char *dir)
{
    char ext[4096], p[8192], name[128], content[2048];
    snprintf(ext, sizeof(ext), "%s/normalize/extracted/2.0", dir);
    if (!exists(ext))
        return;
    snprintf(p, sizeof(p), "%s/new_jobs", ext);
    assert_int_equal(tu_count_entries(p), NEXTRACT);
    for (int i = 0; i < NEXTRACT; i++) {
        job_name(name, sizeof(name), "other", i);
        job_content(content, sizeof(content), i);
        snprintf(p, sizeof(p), "%s/new_jobs/%s", ext, name);
        assert_true(file_is(p, content));
    }
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Run the workflow in a child, killed after delay_us (< 0: not killed). Returns the elapsed
 * time. */
static double run_child(const char *dir, long delay_us)
{
    double t0 = now_us();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(workflow(dir));
    if (delay_us >= 0) {
        struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        kill(pid, SIGKILL);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    double el = now_us() - t0;
    if (WIFEXITED(status))
        assert_int_equal(WEXITSTATUS(status), 0); /* every step succeeded */
    else
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    return el;
}

static void verify(const char *dir, int *seen)
{
    dltc_storage *s;
    assert_int_equal(dltc__storage_open(&s, dir), 0);
    char p[4096];
    snprintf(p, sizeof(p), "%s/normalize", dir);
    assert_int_equal(tu_count_entries(p), 2); /* .version + extracted */
    snprintf(p, sizeof(p), "%s/load/new", dir);
    assert_int_equal(tu_count_entries(p), 0);
    assert_int_equal(count_tmp(dir), 0);
    seen[check_package_1(dir)]++;
    check_package_2(dir);
    dltc__storage_free(s);
}

static void killed_at_random_instants(void **state)
{
    (void)state;
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("DLTC_CRASH_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    print_message("seed %u\n", seed);
    char *dir = tu_mkdtemp();
    char wd[4096];
    snprintf(wd, sizeof(wd), "%s/pipe", dir);

    /* calibrate: the whole workflow uninterrupted */
    prepare(wd);
    double total = run_child(wd, -1);
    int seen[ST_COUNT] = {0};
    verify(wd, seen);
    assert_int_equal(seen[ST_LOADED], 1);
    tu_rmrf(wd);

    int dist[ST_COUNT] = {0};
    for (int it = 0; it < ITERATIONS; it++) {
        prepare(wd);
        long delay = (long)((double)rand_r(&seed) / RAND_MAX * total * 1.1);
        run_child(wd, delay);
        verify(wd, dist);
        tu_rmrf(wd);
    }
    print_message("workflow %.0f us; after kill: extracted %d, normalized %d, loaded %d\n", total,
                  dist[ST_EXTRACTED], dist[ST_NORMALIZED], dist[ST_LOADED]);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(killed_at_random_instants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
