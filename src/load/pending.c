/* The load step over the normalized packages (pending.h). */
#include "load/pending.h"
#include "common/alloc.h"
#include "common/error.h"

#include <string.h>

int dltc__load_pending(const dltc_load_pending_options *o, dltc_load_early *early)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = dltc__storage_list(o->storage, DLTC_STAGE_NORMALIZED, &ids, &n);
    if (!rc && n && o->ready)
        rc = o->ready(o->ctx);
    if (!rc && n && o->progress) { /* the overlap path may have begun it */
        dltc__progress_begin(o->progress, DLTC_PROGRESS_LOAD);
        for (size_t i = 0; i < n; i++) {
            size_t nj = 0;
            uint64_t bytes = 0;
            dltc__package_jobs_total(o->storage, DLTC_STAGE_NORMALIZED, ids[i], DLTC_JOB_NEW,
                                     &nj, &bytes);
            dltc__progress_add_total(o->progress, DLTC_PROGRESS_LOAD, bytes);
        }
    }
    for (size_t i = 0; i < n && !rc; i++) {
        dltc_load_result r;
        if (early && strcmp(ids[i], dltc__load_early_load_id(early)) == 0) {
            rc = dltc__load_package_early(o->storage, ids[i], o->target->dataset,
                                          o->replace_strategy, early, o->progress, &r);
            early = NULL;
        } else {
            rc = dltc__destination_load_package(o->dest, o->storage, ids[i], o->target,
                                                o->replace_strategy, o->progress, &r);
        }
        if (!rc && o->on_loaded)
            rc = o->on_loaded(&r, o->ctx);
        dltc__load_result_clear(&r);
        if (rc)
            dltc__error_prefix("load of package %s: ", ids[i]);
    }
    if (n)
        dltc__progress_end(o->progress, DLTC_PROGRESS_LOAD, rc != 0);
    dltc__strv_free(ids, n);
    dltc__load_early_free(early); /* not consumed: its package is gone, nothing of it stays */
    return rc;
}
