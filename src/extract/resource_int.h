/* Extract of a source's resources into a new package. */
#ifndef DLTC_EXTRACT_RESOURCE_INT_H
#define DLTC_EXTRACT_RESOURCE_INT_H

#include "dltc/resource.h"
#include "package/package.h"
#include "pipeline/state.h"
#include "schema/schema.h"

int dltc__extract_source(dltc_storage *storage, dltc_schema *s, dltc_state *st,
                         dltc_source *src, const char *load_id);

#endif
