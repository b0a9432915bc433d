/* The normalize step of one load package: every job of normalize/extracted/<id> through the
 * relational normalizer into load/new/<id>, the package's schema.json, schema_updates.json and
 * load_package_state.json beside them, then the commit to load/normalized. It knows the
 * package storage and the schema, not the pipeline: what it takes from the pipeline comes in
 * the options, and the schema it evolved goes back to the caller to save. */
#ifndef DLTC_NORMALIZE_PACKAGE_H
#define DLTC_NORMALIZE_PACKAGE_H

#include "normalize/normalizer_int.h"
#include "package/package.h"
#include "schema/schema.h"

#include <stdint.h>

struct dltc__progress;

typedef struct {
    const char *file_format; /* the loader file format of the load files ("jsonl", …) */
    uint64_t max_items;      /* rows per file (normalize.data_writer.file_max_items); 0: no
                                limit */
    dltc_file_hook hook;     /* completed files (may be NULL; normalize/normalizer_int.h) */
    void *ctx;               /* the hook's payload */
    struct dltc__progress *progress; /* counts into the meter's normalize step (common/
                                        progress.h), or NULL; the step is begun and ended by
                                        the caller */
} dltc_normalize_package_options;

#define DLTC_NORMALIZE_PACKAGE_OPTIONS_INIT {NULL, 0, NULL, NULL, NULL}

/* Normalize the extracted package `load_id` of `storage` with the schema it carries, and
 * commit it to load/normalized (the extracted copy is deleted). On success *out is that
 * schema with its updates committed, the caller's (dltc_schema_free), to be saved as the
 * pipeline's; on failure *out is NULL and what was written stays in load/new (garbage that
 * dltc__storage_open removes). The hook is called on the calling thread. */
int dltc__normalize_package(dltc_schema **out, dltc_storage *storage, const char *load_id,
                            const dltc_normalize_package_options *o);

#endif
