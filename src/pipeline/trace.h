/* The trace of the last run: <working dir>/trace.json (dlt keeps a pickle; the content is
 * the same: when the run started and ended, each step's time and status, the error, the
 * load info). */
#ifndef DLTC_PIPELINE_TRACE_H
#define DLTC_PIPELINE_TRACE_H

#include "dltc/pipeline.h"

#include <stdint.h>

enum { DLTC_STEP_EXTRACT, DLTC_STEP_NORMALIZE, DLTC_STEP_LOAD, DLTC_STEP__COUNT };

typedef struct {
    int64_t started_us;
    int64_t step_started[DLTC_STEP__COUNT]; /* 0 = the step did not run */
    int64_t step_finished[DLTC_STEP__COUNT];
    double step_elapsed[DLTC_STEP__COUNT];
    int step_failed[DLTC_STEP__COUNT];
    int current;          /* the step running now, -1 none */
    int64_t current_since;
} dltc_trace;

void dltc__trace_init(dltc_trace *t);
void dltc__trace_step(dltc_trace *t, int step);     /* enter a step */
void dltc__trace_end_step(dltc_trace *t, int rc);   /* leave it (rc != 0: failed) */
/* Write trace.json (rc/the last error when the run failed; info may be NULL). */
int dltc__trace_save(dltc_pipeline *p, const dltc_trace *t, int rc, const dltc_load_info *info);

#endif
