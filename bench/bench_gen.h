/*
 * The benchmark data generator: seeded, deterministic JSON Lines for the normalizer and
 * loader benchmarks. The same (dataset, rows, seed) always gives byte-identical output.
 *
 *   flat    6 scalar fields per row (id, name, score, active, created_at, category)
 *   github  GitHub-issue-like rows: nested `user` and `reactions` objects, 0-4 `labels`,
 *           ~300 characters of `body` with escapes and non-ASCII text, nullable closed_at
 *   one     one JSON object whose `issues` list holds the rows of `github` (an export):
 *           a single item of any size, for the normalizer's bounded memory
 *
 * Thread-safety: every call works on its own state; safe from any thread.
 */
#ifndef DLTC_BENCH_GEN_H
#define DLTC_BENCH_GEN_H

#include <stdint.h>
#include <stdio.h>

typedef enum { BENCH_DATASET_FLAT = 0, BENCH_DATASET_GITHUB = 1, BENCH_DATASET_ONE = 2 } bench_dataset;

#define BENCH_GEN_DEFAULT_SEED 42

/* "flat" / "github" / "one". Static string. */
const char *bench_dataset_name(bench_dataset d);
/* 0 and *out set when `name` names a dataset, -1 otherwise. */
int bench_dataset_parse(bench_dataset *out, const char *name);

/* Write `rows` rows of dataset `d` to `f` (not closed, but flushed). *out_bytes (may be
 * NULL) gets the number of bytes written. 0 on success, -1 on a write error (errno set). */
int bench_gen_write(uint64_t *out_bytes, FILE *f, bench_dataset d, uint64_t rows, uint64_t seed);

/* The same into a new file at `path` (truncated if it exists). */
int bench_gen_file(uint64_t *out_bytes, const char *path, bench_dataset d, uint64_t rows,
                   uint64_t seed);

#endif
