/* Incremental cursors (dlt-core §6, dlt.sources.incremental): the options of a resource's
 * cursor (a definition, parsed once), and its runtime during one extract (struct
 * dltc_incremental, the handle the resource function sees): the filter applied to every item
 * after the resource's map/filter steps, boundary deduplication, lag, and the state object
 * sources.<source>.resources.<resource>.incremental.<cursor_path>. */
#ifndef DLTC_EXTRACT_INCREMENTAL_H
#define DLTC_EXTRACT_INCREMENTAL_H

#include "common/arena.h"
#include "common/buf.h"
#include "dltc/resource.h"
#include "formats/value.h"

typedef struct dltc__incr_def dltc__incr_def;

/* Validate and copy the options. The definition is the caller's (dltc__incr_def_free). */
int dltc__incr_def_new(dltc__incr_def **out, const dltc_incremental_options *o);
void dltc__incr_def_free(dltc__incr_def *d);
/* The cursor path as given: the key of its state object. */
const char *dltc__incr_def_cursor_path(const dltc__incr_def *d);
/* 1 when end_value is set: nothing is read from or written to the state. */
int dltc__incr_def_stateless(const dltc__incr_def *d);

/* The runtime for one extract of `resource`. `resource_pk` is the resource's primary key
 * (comma-separated, or NULL), used for dedup when the options name none. `state` is the
 * existing state object of this cursor (or NULL). `may_close`: row_order may stop the
 * resource (not for transformers, as dlt). Lent strings must outlive the runtime. */
int dltc__incr_bind(dltc_incremental **out, const dltc__incr_def *d, const char *resource,
                    const char *resource_pk, const dltc_value *state, int may_close);
void dltc__incr_free(dltc_incremental *inc);

/* One item: *keep = 1 passes it on, 0 drops it. Fails (DLTC_EINVALID) for a missing cursor
 * with on_cursor_value_missing=raise, a missing primary key, or values that cannot be
 * compared. */
int dltc__incr_filter(dltc_incremental *inc, const dltc_value *item, int *keep);
/* 1 once row_order says no more items can be in range: the resource is not called again. */
int dltc__incr_closed(const dltc_incremental *inc);
/* The state object ({"initial_value", "last_value", "unique_hashes", ["start_value"]}) into
 * `a`. `prev` is the object as it was (keys this cursor does not manage are kept). */
int dltc__incr_state(dltc_incremental *inc, dltc_arena *a, const dltc_value *prev, dltc_value *out);
/* The end of a batch (one yield): the rows still at the boundary are hashed now (dlt hashes
 * its last_rows per batch too; hashing every row that moves the cursor would cost a Keccak
 * permutation per row). */
int dltc__incr_flush(dltc_incremental *inc);
/* Number of remembered boundary hashes (tests). */
size_t dltc__incr_hash_count(dltc_incremental *inc);

/* dlt's unique hash of a row: base64(SHAKE-128/15 bytes) of the compact, key-sorted JSON
 * (orjson's text) of the primary key value (one key), the list of values (several keys,
 * comma-separated), or the whole row (pk NULL). out: 21 bytes. */
int dltc__incr_unique_hash(const dltc_value *row, const char *pk, char out[21]);
/* The JSON text dlt hashes: orjson.dumps(v, OPT_SORT_KEYS | OPT_UTC_Z). */
int dltc__incr_hash_json(dltc_buf *b, const dltc_value *v);
/* Order of two cursor values: numbers numerically, strings by code point, datetimes and dates
 * in time (a string compared with a datetime or date is read as ISO 8601). DLTC_EINVALID when
 * they cannot be compared. */
int dltc__incr_compare(const dltc_value *a, const dltc_value *b, int *out);
/* The first value at a cursor path in `item` (NULL: no match). DLTC_EINVALID for a path
 * outside the supported JSONPath subset. */
int dltc__incr_find(const char *path, const dltc_value *item, const dltc_value **out);

#endif
