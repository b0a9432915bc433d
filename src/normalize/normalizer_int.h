/* Internal entry points of the public normalizer used by the pipeline. */
#ifndef DLTC_NORMALIZE_NORMALIZER_INT_H
#define DLTC_NORMALIZE_NORMALIZER_INT_H

#include "dltc/normalize.h"
#include "schema/schema.h"

#include <stdint.h>

/* dltc_normalizer_feed_file, naming the input `name` in error messages (the file a package
 * job was copied from). */
int dltc__normalizer_feed_file_named(dltc_normalizer *n, const char *path, const char *name);

/* The input is dlt's typed JSON: prefixed strings become typed values. */
void dltc__normalizer_set_typed(dltc_normalizer *n, int typed);

/* Called on the normalizer's thread when a table's file is complete before finish (it was
 * rotated after `max_items` rows) with the table and the file's path, and once more with
 * table and path NULL just before finish publishes the files (moves them): after that call
 * returns, the paths given before are gone. A non-zero return fails the normalizer. */
typedef int (*dltc_file_hook)(void *ctx, const dltc_schema *s, const dltc_table *t,
                              const char *path);

/* Start a new file for a table every `max_items` rows (0: never; dlt's
 * normalize.data_writer.file_max_items) and report completed files to `hook` (may be NULL). */
void dltc__normalizer_set_rotation(dltc_normalizer *n, uint64_t max_items, dltc_file_hook hook,
                                   void *ctx);

/* Count rows written and input bytes read into the progress meter `pg` (common/progress.h;
 * NULL: off) every DLTC__PROGRESS_EVERY items and at the end of each input. The step is
 * begun and ended by the caller. */
struct dltc__progress;
void dltc__normalizer_set_progress(dltc_normalizer *n, struct dltc__progress *pg);

#endif
