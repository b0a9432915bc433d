/* The "sources" part of the pipeline state while an extract runs (dlt-core §7.1):
 * sources.<source>.<user keys>, sources.<source>.resources.<resource>.<user keys> and
 * ....resources.<resource>.incremental.<cursor_path>. Read from the state's sources_json at
 * the start, changed by resources (dltc_yield_state_*) and incremental cursors, written back
 * as typed JSON only when an extract (or a checkpoint) commits. */
#ifndef DLTC_EXTRACT_SOURCE_STATE_H
#define DLTC_EXTRACT_SOURCE_STATE_H

#include "common/arena.h"
#include "common/buf.h"
#include "formats/value.h"

typedef struct {
    dltc_arena arena;
    dltc_value root;   /* the sources object */
    size_t compact_at; /* arena bytes after which replaced values are dropped */
} dltc__sstate;

/* From typed JSON text (NULL or "" = no sources yet). */
int dltc__sstate_open(dltc__sstate *ss, const char *sources_json);
void dltc__sstate_free(dltc__sstate *ss);

/* sources.<source> (resource NULL) or sources.<source>.resources.<resource>; created when
 * `create` (else *out = NULL when absent). The pointer is valid until the next change. */
int dltc__sstate_obj(dltc__sstate *ss, const char *source, const char *resource, int create,
                     dltc_value **out);
/* Member `key` of `obj` (an object of this tree); an empty object is made when `create`. */
int dltc__sstate_child(dltc__sstate *ss, dltc_value *obj, const char *key, int create,
                       dltc_value **out);
/* Set `key` of the source or resource object to a deep copy of `v`. */
int dltc__sstate_set(dltc__sstate *ss, const char *source, const char *resource, const char *key,
                     const dltc_value *v);
/* Set `key` of `obj` to `v`, which already lives in the tree's arena (no copy). */
int dltc__sstate_put(dltc__sstate *ss, dltc_value *obj, const char *key, const dltc_value *v);
int dltc__sstate_remove(dltc__sstate *ss, const char *source, const char *resource,
                        const char *key);
/* dlt's reset_resource_state: the resource's state goes (replace resources, every extract). */
int dltc__sstate_reset_resource(dltc__sstate *ss, const char *source, const char *resource);
/* The sources object as compact typed JSON (appended to out; limited to 64 MiB). */
int dltc__sstate_json(const dltc__sstate *ss, dltc_buf *out);
/* Drop values replaced since the last call when they take much memory (pointers from this
 * tree become invalid). */
int dltc__sstate_compact(dltc__sstate *ss, int force);

#endif
