/* The load step of a pipeline: every normalized package, oldest first, into its destination
 * through the registry (destinations/registry.h). */
#ifndef DLTC_LOAD_PENDING_H
#define DLTC_LOAD_PENDING_H

#include "common/progress.h"
#include "load/destinations/registry.h"
#include "load/loader.h"
#include "package/package.h"

typedef struct {
    dltc_storage *storage;
    const dltc_destination *dest;
    const dltc_dest_target *target;
    int replace_strategy;     /* dltc_replace_strategy (merge.h) */
    dltc__progress *progress; /* NULL: off */
    /* 0 when the destination can be used (credentials configured); asked only when there is
     * a package to load. NULL: always. */
    int (*ready)(void *ctx);
    /* Each package loaded (may be NULL). */
    int (*on_loaded)(const dltc_load_result *r, void *ctx);
    void *ctx;
} dltc_load_pending_options;

/* Load the packages in load/normalized. `early` (consumed; may be NULL) carries one package's
 * open transaction from the overlapped normalize (pipeline/overlap.c). An error names the
 * package. */
int dltc__load_pending(const dltc_load_pending_options *o, dltc_load_early *early);

#endif
