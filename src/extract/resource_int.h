/* Extract of a source's resources into load packages. */
#ifndef DLTC_EXTRACT_RESOURCE_INT_H
#define DLTC_EXTRACT_RESOURCE_INT_H

#include "dltc/resource.h"
#include "extract/state.h"
#include "package/package.h"
#include "schema/schema.h"

/* Extract every selected resource of `src` into the one package `load_id` (checkpoints are
 * ignored). The state (cursors, resource and source state) changes only when the package
 * commits. */
int dltc__extract_source(dltc_storage *storage, dltc_schema *s, dltc_state *st,
                         dltc_source *src, const char *load_id);

/* The same, cut at the source's checkpoints (dltc_source_set_checkpoints) into several
 * packages. A run is the caller's (dltc__extract_run_free); `src` must outlive it.
 *
 *   dltc__extract_run_new(&x, src);
 *   do { new load id; rc = dltc__extract_run_step(x, storage, schema, state, load_id);
 *        if (rc < 0) break; save state.json; normalize and load the package; }
 *   while (rc == 1);
 *
 * A step extracts into the new package `load_id` until the source is exhausted (returns 0)
 * or a checkpoint is due (returns 1: call again with a new load id). Either way the package
 * is committed with the state as of that point, written into `st` (sources_json, version).
 * On an error (< 0) the package is dropped and `st` is as the previous step left it; the run
 * cannot go on. Thread-safety: one thread at a time per run. */
typedef struct dltc__extract_run dltc__extract_run;
int dltc__extract_run_new(dltc__extract_run **out, dltc_source *src);
int dltc__extract_run_step(dltc__extract_run *x, dltc_storage *storage, dltc_schema *s,
                           dltc_state *st, const char *load_id);
void dltc__extract_run_free(dltc__extract_run *x);
/* Count the items and bytes written into the progress meter `pg` (common/progress.h; NULL:
 * off) every DLTC__PROGRESS_EVERY items and at the end of each step; the caller begins and
 * ends the extract step. */
struct dltc__progress;
void dltc__extract_run_set_progress(dltc__extract_run *x, struct dltc__progress *pg);

#endif
