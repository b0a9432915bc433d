/* The progress meter of a pipeline: the steps' counters, the interval, and the one lock that
 * serializes reports (the normalizer may count in a second thread while the loader counts in
 * the first, pipeline/overlap.c). Every function accepts a NULL meter (progress off) and then
 * does nothing; the hot loops call dltc__progress_add only every DLTC__PROGRESS_EVERY rows. */
#ifndef DLTC_COMMON_PROGRESS_H
#define DLTC_COMMON_PROGRESS_H

#include "dltc/progress.h"

#include <stdint.h>

/* rows between two calls from a hot loop (a power of two: a mask test) */
#define DLTC__PROGRESS_EVERY 1024u

typedef struct dltc__progress dltc__progress;

/* A meter reporting to cb (not NULL); the caller's (dltc__progress_free). NULL: no memory. */
dltc__progress *dltc__progress_new(dltc_progress_cb cb, void *payload, unsigned interval_ms);
void dltc__progress_free(dltc__progress *pg);

/* Start `step` (its counters from zero) unless it is running; a running step goes on (the
 * overlap path starts load while normalize runs, and the load step continues it). */
void dltc__progress_begin(dltc__progress *pg, dltc_progress_step step);
/* Add to the step's known total of bytes. */
void dltc__progress_add_total(dltc__progress *pg, dltc_progress_step step, uint64_t bytes);
/* Count rows, files and bytes done (table: what was worked on, NULL keeps the last) and
 * report when the interval is due. */
void dltc__progress_add(dltc__progress *pg, dltc_progress_step step, const char *table,
                        uint64_t rows, uint64_t files, uint64_t bytes);
/* The step's final report (with `failed` set when it ended with an error), when it was
 * begun; then it is idle. */
void dltc__progress_end(dltc__progress *pg, dltc_progress_step step, int failed);
/* The step idle without a final report (what it counted was undone). */
void dltc__progress_cancel(dltc__progress *pg, dltc_progress_step step);

#endif
