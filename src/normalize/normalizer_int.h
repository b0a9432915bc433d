/* Internal entry points of the public normalizer used by the pipeline. */
#ifndef DLTC_NORMALIZE_NORMALIZER_INT_H
#define DLTC_NORMALIZE_NORMALIZER_INT_H

#include "dltc/normalize.h"

/* dltc_normalizer_feed_file, naming the input `name` in error messages (the file a package
 * job was copied from). */
int dltc__normalizer_feed_file_named(dltc_normalizer *n, const char *path, const char *name);

/* The input is dlt's typed JSON: prefixed strings become typed values. */
void dltc__normalizer_set_typed(dltc_normalizer *n, int typed);

#endif
