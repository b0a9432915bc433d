/*
 * Shared helpers of the benchmarks: a monotonic clock, running one measured phase in a
 * forked child (so its peak RSS and CPU time are its own), file and folder helpers.
 */
#ifndef DLTC_BENCH_UTIL_H
#define DLTC_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* What a phase reports back from its child process. */
typedef struct {
    int ok;          /* the phase succeeded */
    double seconds;  /* wall time of the measured work, taken inside the child */
    uint64_t items;  /* input items processed */
    uint64_t rows;   /* rows written (all tables) */
    uint64_t tables; /* tables written */
    uint64_t bytes;  /* bytes written or read, phase-defined */
    char error[512]; /* one line when !ok */
} bench_result;

/* What the parent measures about the child. */
typedef struct {
    double peak_rss_mb; /* ru_maxrss of the child (wait4) */
    double cpu_seconds; /* user + system time of the child */
    double base_rss_mb; /* anonymous RSS of this process when it forked: the child
                           starts with these pages counted as its own */
} bench_usage;

/* The work of a phase: fills *res (ok, seconds, counts) and returns 0, or -1 with
 * res->error set. Runs in the child. */
typedef int (*bench_phase_fn)(bench_result *res, void *payload);

/* Fork, run fn(res, payload) in the child, hand *res back through a pipe and take the
 * child's rusage with wait4. Returns 0 when the child reported success; -1 otherwise with
 * res->error set (also when the child crashed or was killed). */
int bench_run_forked(bench_result *res, bench_usage *usage, bench_phase_fn fn, void *payload);

/* Current resident set of this process in MB (/proc/self/statm), -1 if unknown. */
double bench_rss_now_mb(void);
/* Its anonymous part (RssAnon of /proc/self/status), -1 if unknown. */
double bench_rss_anon_mb(void);

/* Remove a file or a folder tree (no error when absent). 0 or -1 (errno set). */
int bench_rmtree(const char *path);

/* Size of a file in bytes, or -1. */
int64_t bench_file_size(const char *path);

/* Parse a non-negative decimal integer; "1000000", also "1M"/"100k" (×1e6 / ×1e3).
 * 0 on success, -1 when malformed. */
int bench_parse_count(uint64_t *out, const char *s);

/* snprintf into a fixed buffer that must not truncate: 0, or -1 when it would. */
int bench_path(char *out, size_t cap, const char *dir, const char *name);

#endif
