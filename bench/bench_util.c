/*
 * Benchmark helpers (see bench_util.h).
 *
 * Peak RSS: each measured phase runs in its own forked child and the parent reads
 * ru_maxrss from wait4. A forked child starts with the parent's resident pages (Linux
 * copies the page tables of its anonymous memory, counts them as the child's and starts
 * the child's high-water mark there; file-backed pages such as libduckdb's code are not
 * copied), so the parent keeps itself small: it never generates, normalizes or loads data
 * itself, and bench_usage.base_rss_mb reports the anonymous memory the child inherited.
 */
#include "bench_util.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_rss_now_mb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f) return -1;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2) return -1;
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

double bench_rss_anon_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double mb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "RssAnon:", 8) == 0) {
            mb = strtod(line + 8, NULL) / 1024.0; /* kB */
            break;
        }
    }
    fclose(f);
    return mb;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Bytes read until len or end of file; -1 on a read error. */
static ssize_t read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, p + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int bench_run_forked(bench_result *res, bench_usage *usage, bench_phase_fn fn, void *payload)
{
    int fds[2];
    memset(res, 0, sizeof(*res));
    memset(usage, 0, sizeof(*usage));
    if (pipe(fds) != 0) {
        snprintf(res->error, sizeof(res->error), "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL); /* or the child's exit would repeat buffered output */
    usage->base_rss_mb = bench_rss_anon_mb();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(res->error, sizeof(res->error), "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        bench_result child;
        memset(&child, 0, sizeof(child));
        int rc = fn(&child, payload);
        child.ok = rc == 0;
        if (rc != 0 && !child.error[0]) snprintf(child.error, sizeof(child.error), "phase failed");
        int wrc = write_all(fds[1], &child, sizeof(child));
        close(fds[1]);
        _exit(rc == 0 && wrc == 0 ? 0 : 1);
    }
    close(fds[1]);
    bench_result got;
    memset(&got, 0, sizeof(got));
    ssize_t n = read_all(fds[0], &got, sizeof(got));
    close(fds[0]);

    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    pid_t w;
    do {
        w = wait4(pid, &status, 0, &ru);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        snprintf(res->error, sizeof(res->error), "wait4: %s", strerror(errno));
        return -1;
    }
    usage->peak_rss_mb = (double)ru.ru_maxrss / 1024.0; /* KiB on Linux */
    usage->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
                         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;

    if (n == (ssize_t)sizeof(got)) {
        *res = got;
        res->error[sizeof(res->error) - 1] = '\0';
    }
    if (WIFSIGNALED(status)) {
        res->ok = 0;
        snprintf(res->error, sizeof(res->error), "child killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        return -1;
    }
    if (n != (ssize_t)sizeof(got)) {
        res->ok = 0;
        snprintf(res->error, sizeof(res->error), "child exited with %d without a result",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    if (!res->ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        res->ok = 0;
        if (!res->error[0]) snprintf(res->error, sizeof(res->error), "child failed");
        return -1;
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP) return rmdir(path);
    return unlink(path);
}

int bench_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int64_t bench_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (int64_t)st.st_size;
}

int bench_parse_count(uint64_t *out, const char *s)
{
    char *end = NULL;
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0) return -1;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1000, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1000000, end++;
    if (*end != '\0' || (mul > 1 && v > UINT64_MAX / mul)) return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

int bench_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
