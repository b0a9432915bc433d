/*
 * Progress of a pipeline's steps (dlt's `progress` collectors): how far extract, normalize
 * and load are on a long run, as reports to a callback or as one of the built-in reporters
 * named as dlt names its collectors ("log", "tqdm", "enlighten", "alive_progress").
 *
 * A report is a value: it is lent for the call only. Reports of one pipeline are serialized
 * (the callback is never entered twice at once, also when the Postgres overlap path
 * normalizes in a second thread while loading); they may come from that second thread.
 */
#ifndef DLTC_PROGRESS_H
#define DLTC_PROGRESS_H

#include "dltc/common.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dltc_pipeline;

typedef enum {
    DLTC_PROGRESS_EXTRACT = 0,
    DLTC_PROGRESS_NORMALIZE = 1,
    DLTC_PROGRESS_LOAD = 2
} dltc_progress_step;

#define DLTC_PROGRESS_VERSION 1

/* One report. Counters are totals of the step so far (they only grow between the first and
 * the final report of a step); MB are 10^6 bytes. */
typedef struct {
    unsigned int version;    /* DLTC_PROGRESS_VERSION */
    dltc_progress_step step;
    const char *step_name;   /* "extract", "normalize", "load" */
    const char *table;       /* the table (extract: resource or table) last worked on, or
                                NULL when not known */
    uint64_t rows;           /* extract: items written (0 for plain files, which are copied
                                unread); normalize: rows written (nested tables included);
                                load: rows loaded */
    uint64_t files;          /* extract: input files copied; normalize: extracted job files
                                done; load: load files loaded */
    uint64_t bytes;          /* extract: bytes written; normalize: bytes of the extracted
                                files consumed; load: bytes of the load files loaded */
    uint64_t total_bytes;    /* what `bytes` goes to, 0 when not known (extract of plain
                                files and normalize/load: the file sizes) */
    double elapsed_s;        /* since the step began */
    double rows_per_s;
    double mb_per_s;
    int final;               /* the step's last report */
    int failed;              /* (final only) the step ended with an error: the counters are
                                what was done until then, the error is the step's result */
} dltc_progress;

/* Called at most every interval_ms per step (plus the final report of each step). */
typedef void (*dltc_progress_cb)(const dltc_progress *pr, void *payload);

/* Report the progress of p's runs and steps to `cb` (NULL: off) at most every `interval_ms`
 * milliseconds per step (0: at every check point: every 1024 rows, and per file), and once
 * with `final` set when a step ends. Replaces a reporter set before. The hot loops only count
 * rows and look at the clock every 1024 rows, so with progress off they pay nothing
 * measurable (docs/pipeline.md, "Progress"). Thread-safety: not while p runs. */
DLTC_EXTERN int dltc_pipeline_set_progress(struct dltc_pipeline *p, dltc_progress_cb cb,
                                           void *payload, unsigned interval_ms);

/* A built-in reporter, to stderr (never stdout), by dlt's collector names:
 *   "log"                               one line per interval and a final line per step:
 *                                       "extract: 120,000 rows, 34.1 MB, 51,200 rows/s, 14.5 MB/s"
 *   "tqdm", "enlighten", "alive_progress"
 *                                       a one-line bar redrawn with \r, ended with a newline
 *                                       at the step's end
 *   "none", "" or NULL                  off
 * interval_ms 0: the reporter's default (log: 10 s; the bars: 200 ms). An unknown name is
 * DLTC_EINVALID (the message lists the valid names) and leaves p as it was. */
DLTC_EXTERN int dltc_pipeline_set_progress_reporter(struct dltc_pipeline *p, const char *name,
                                                    unsigned interval_ms);

/* 0 when `name` is a reporter name of dltc_pipeline_set_progress_reporter, else
 * DLTC_EINVALID with the message naming the valid ones. */
DLTC_EXTERN int dltc_progress_check_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
