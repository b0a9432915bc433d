/* Pipeline state (dlt-core §7): state.json in the working dir, its version hash, and the
 * compressed blob committed to the destination's _dlt_pipeline_state table. */
#ifndef DLTC_EXTRACT_STATE_H
#define DLTC_EXTRACT_STATE_H

#include "common/arena.h"
#include "common/buf.h"
#include "formats/value.h"

#include <stdint.h>

#define DLTC_STATE_ENGINE_VERSION 4

typedef struct {
    int64_t version;         /* _state_version */
    char version_hash[48];   /* _version_hash */
    char *pipeline_name;
    char *dataset_name;
    char *default_schema_name;
    char **schema_names;     /* sorted */
    size_t nschema_names;
    char *destination_type;  /* "dlt.destinations.duckdb" */
    char *destination_name;  /* "duckdb" */
    char *sources_json;      /* the "sources" object as compact JSON text, "{}" at first */
    /* _local (never synced) */
    int first_run;
    char *initial_cwd;
    char *last_extracted_hash;
    int64_t last_extracted_at_us; /* 0 = never */
} dltc_state;

void dltc__state_init(dltc_state *st);
void dltc__state_clear(dltc_state *st);
/* Read state.json; DLTC_ENOTFOUND when there is none. */
int dltc__state_load(dltc_state *st, const char *path);
/* Write state.json atomically. */
int dltc__state_save(const dltc_state *st, const char *path);
/* Recompute the version hash; bumps `version` when it changed. Returns 1 if it changed. */
int dltc__state_update_hash(dltc_state *st);
int dltc__state_add_schema_name(dltc_state *st, const char *name);
/* Typed JSON of the state without _local (the content of the destination blob). */
int dltc__state_json(const dltc_state *st, dltc_buf *out);
/* base64(zlib level 9(typed JSON without _local)), as dlt stores it. */
int dltc__state_blob(const dltc_state *st, dltc_buf *out);
/* Decode a blob (or plain typed JSON) into a state. */
int dltc__state_from_blob(dltc_state *st, const char *blob, size_t len);

/* The "sources" object, parsed into `a` with typed values decoded (resource state,
 * incremental cursors: docs/incremental.md). */
int dltc__state_sources(const dltc_state *st, dltc_arena *a, dltc_value **out);
/* dlt's reset_resource_state: remove sources.<source>.resources.<resource> (what `dlt
 * pipeline drop` does for the resources of dropped tables). *removed (may be NULL) = 1 when
 * there was state. The version hash is not updated here. */
int dltc__state_reset_resource(dltc_state *st, const char *source, const char *resource,
                               int *removed);

#endif
