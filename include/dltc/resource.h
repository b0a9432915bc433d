/*
 * Resources and sources: C callbacks that yield items, with dlt's hints, steps and
 * transformers. A source groups resources (its name is the schema name).
 *
 * A resource's function is called again and again until it returns DLTC_ITEROVER; each call
 * yields any number of items (a "page") with dltc_yield_json / dltc_yield_value. Any other
 * non-zero return fails the run (nothing of the run is loaded).
 *
 * Ownership: dltc_resource_new/dltc_source_new return the caller's objects; dltc_source_add
 * takes ownership of the resource. Thread-safety: one thread at a time.
 */
#ifndef DLTC_RESOURCE_H
#define DLTC_RESOURCE_H

#include "dltc/common.h"
#include "dltc/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_resource dltc_resource;
typedef struct dltc_source dltc_source;
typedef struct dltc_yield dltc_yield;

/* Yield JSON text: an array of items, JSON Lines, or one object. */
DLTC_EXTERN int dltc_yield_json(dltc_yield *y, const char *json, size_t len);
/* Yield one item built with the value API (typed values keep their types); an ARRAY yields
 * each of its elements as an item (a page, as a list yielded in dlt). */
DLTC_EXTERN int dltc_yield_value(dltc_yield *y, const dltc_value *item);
/* A scratch doc for building items, cleared after every call of the resource function. */
DLTC_EXTERN dltc_doc *dltc_yield_doc(dltc_yield *y);

typedef int (*dltc_resource_fn)(dltc_yield *y, void *payload);
/* A transformer gets each item of its parent and yields its own. */
typedef int (*dltc_transformer_fn)(const dltc_value *item, dltc_yield *y, void *payload);
/* add_map: return the item to keep (the same one, or one built in `doc`); NULL drops it. */
typedef const dltc_value *(*dltc_map_fn)(const dltc_value *item, dltc_doc *doc, void *payload);
/* add_filter: 1 keeps the item, 0 drops it. */
typedef int (*dltc_filter_fn)(const dltc_value *item, void *payload);
/* Per-item table name (dlt's callable table_name): a name lent until the next call. */
typedef const char *(*dltc_table_name_fn)(const dltc_value *item, void *payload);

typedef struct {
    unsigned int version;          /* DLTC_RESOURCE_OPTIONS_VERSION */
    const char *table_name;        /* default: the resource name */
    const char *table_name_field;  /* take the table name from this field of each item */
    dltc_table_name_fn table_name_fn;
    void *table_name_payload;
    const char *write_disposition; /* append (default), replace, merge, skip */
    const char *merge_strategy;
    const char *primary_key;       /* comma-separated */
    const char *merge_key;
    int max_table_nesting;         /* < 0: default */
    int selected;                  /* 1 (default); 0 = runs only to feed transformers */
    const char *columns;           /* column hints: a JSON object of name -> dlt column schema,
                                      e.g. {"id": {"data_type": "bigint", "nullable": false}} */
    const char *file_format;       /* loader file format of its tables (default: pipeline's) */
    const char *schema_contract;   /* "evolve", "freeze", "discard_row", "discard_value", or
                                      {"tables": …, "columns": …, "data_type": …} */
} dltc_resource_options;

#define DLTC_RESOURCE_OPTIONS_VERSION 1
#define DLTC_RESOURCE_OPTIONS_INIT                                                             \
    {DLTC_RESOURCE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, 1, NULL,   \
     NULL, NULL}

DLTC_EXTERN int dltc_resource_new(dltc_resource **out, const char *name, dltc_resource_fn fn,
                                  void *payload, const dltc_resource_options *opts);
/* A resource that reads JSON files (a JSON array, JSON Lines or one object each; "-" is
 * standard input), streaming, in bounded memory; one page per file. Errors name the file and
 * the line. With an incremental cursor this is `dlt load --incremental`. */
DLTC_EXTERN int dltc_resource_from_files(dltc_resource **out, const char *name,
                                         const char *const *paths, size_t n,
                                         const dltc_resource_options *opts);
/* A transformer fed by `parent` (which must be added to the same source). */
DLTC_EXTERN int dltc_transformer_new(dltc_resource **out, const char *name,
                                     dltc_resource *parent, dltc_transformer_fn fn,
                                     void *payload, const dltc_resource_options *opts);
DLTC_EXTERN void dltc_resource_free(dltc_resource *r);
/* Hand the payload to the resource: `fn` is called with it once, when the resource is freed
 * (by dltc_resource_free, or by the source that owns it). NULL: the payload stays lent. */
DLTC_EXTERN int dltc_resource_set_payload_free(dltc_resource *r, void (*fn)(void *payload));
/* Steps, applied in the order added. */
DLTC_EXTERN int dltc_resource_add_map(dltc_resource *r, dltc_map_fn fn, void *payload);
DLTC_EXTERN int dltc_resource_add_filter(dltc_resource *r, dltc_filter_fn fn, void *payload);
/* A step that may fail the run (a callback of another language): set *out to the item to
 * keep (`item` itself, or one built in `doc`) or to NULL to drop it, and return 0; or return
 * a DLTC_E* code, which fails the run. Applied in order with the maps and filters. */
typedef int (*dltc_step_fn)(const dltc_value *item, dltc_doc *doc, const dltc_value **out,
                            void *payload);
DLTC_EXTERN int dltc_resource_add_step(dltc_resource *r, dltc_step_fn fn, void *payload);
/* Select or deselect a resource (dlt's `selected`, with_resources): a deselected one runs
 * only to feed its transformers. */
DLTC_EXTERN int dltc_resource_set_selected(dltc_resource *r, int selected);
DLTC_EXTERN int dltc_resource_selected(const dltc_resource *r);
/* Stop after `max_pages` calls of the function that yielded something (dlt counts yields).
 * No effect on transformers, as in dlt. */
DLTC_EXTERN int dltc_resource_add_limit(dltc_resource *r, size_t max_pages);

/* ---- incremental loading (dlt.sources.incremental; docs/incremental.md) ---- */

/* A custom last_value_func: >0 when `a` comes after `b` (a would become the last value),
 * 0 when they are equal, <0 when before; a negative DLTC_E* return is not allowed: return
 * the order only. "max" is the natural order, "min" its reverse. */
typedef int (*dltc_cursor_cmp_fn)(const dltc_value *a, const dltc_value *b, void *payload);

typedef struct dltc_incremental_options {
    unsigned int version;          /* DLTC_INCREMENTAL_OPTIONS_VERSION */
    const char *cursor_path;       /* required: a field name or a JSONPath into the raw item:
                                      "updated_at", "$.a.b", "a.b", "items[0].ts",
                                      "['key with space']", "a[*].ts" (first match) */
    const char *initial_value;     /* JSON text, or NULL (None): "0", "\"2024-01-01T00:00:00Z\""
                                      (an ISO datetime or date string becomes a typed value) */
    const char *end_value;         /* JSON text, or NULL; needs initial_value; makes the
                                      cursor stateless (nothing is persisted, no dedup) */
    const char *last_value_func;   /* "max" (default) or "min" */
    dltc_cursor_cmp_fn last_value_cmp; /* instead of last_value_func (no lag then) */
    void *last_value_payload;
    const char *row_order;         /* NULL (unknown), "asc" or "desc": stop calling the
                                      resource once its items leave the range */
    const char *primary_key;       /* boundary dedup key, comma-separated; NULL = the
                                      resource's primary_key, else the whole row; "" = off */
    double lag;                    /* 0 = none; seconds (datetimes), days (dates), units
                                      (numbers); needs max or min */
    const char *on_cursor_value_missing; /* "raise" (default), "include", "exclude" */
    const char *range_start;       /* "closed" (default) or "open" */
    const char *range_end;         /* "open" (default) or "closed" */
} dltc_incremental_options;

#define DLTC_INCREMENTAL_OPTIONS_VERSION 1
#define DLTC_INCREMENTAL_OPTIONS_INIT                                                          \
    {DLTC_INCREMENTAL_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.0,     \
     NULL, NULL, NULL}

/* Give `r` (a resource or a transformer) an incremental cursor; replaces an earlier one. The
 * options are validated and copied (DLTC_EINVALID / DLTC_EPARSE with a message). */
DLTC_EXTERN int dltc_resource_set_incremental(dltc_resource *r, const dltc_incremental_options *o);

/* While the resource function runs: its cursor (NULL when it has none). Lent for the call. */
typedef struct dltc_incremental dltc_incremental;
DLTC_EXTERN dltc_incremental *dltc_yield_incremental(dltc_yield *y);
/* The cursor's values, as dlt's attributes of the same names; NULL stands for None. Lent until
 * the next yield or the end of the call. last_value: the state's value with the lag applied
 * (the initial value while end_value is set); start_value: the lower bound of this run. */
DLTC_EXTERN const dltc_value *dltc_incremental_last_value(dltc_incremental *inc);
DLTC_EXTERN const dltc_value *dltc_incremental_start_value(dltc_incremental *inc);
DLTC_EXTERN const dltc_value *dltc_incremental_initial_value(dltc_incremental *inc);
DLTC_EXTERN const dltc_value *dltc_incremental_end_value(dltc_incremental *inc);
/* 1 when the last item that reached the cursor was below start_value (dropped) or at/after
 * end_value, as dlt's start_out_of_range / end_out_of_range. */
DLTC_EXTERN int dltc_incremental_start_out_of_range(dltc_incremental *inc);
DLTC_EXTERN int dltc_incremental_end_out_of_range(dltc_incremental *inc);

/* ---- resource and source state (dlt.current.resource_state() / source_state()) ---- */

typedef enum {
    DLTC_STATE_RESOURCE = 0, /* sources.<source>.resources.<resource> */
    DLTC_STATE_SOURCE = 1    /* sources.<source> */
} dltc_state_scope;

/* A key of the state (key NULL: the whole object). Lent until the next state change; NULL when
 * absent. Typed values (timestamps, decimals...) come back typed. */
DLTC_EXTERN const dltc_value *dltc_yield_state_get(dltc_yield *y, dltc_state_scope scope,
                                                   const char *key);
/* Set a key to a copy of `value` (any JSON shape; typed values are kept as dlt's typed JSON).
 * The resource key "incremental" and the source key "resources" are dltc's own. The state is
 * persisted (state.json and the package's _dlt_pipeline_state row) only when the extract
 * succeeds; replace resources start every extract with an empty resource state. */
DLTC_EXTERN int dltc_yield_state_set(dltc_yield *y, dltc_state_scope scope, const char *key,
                                     const dltc_value *value);
DLTC_EXTERN int dltc_yield_state_set_json(dltc_yield *y, dltc_state_scope scope,
                                          const char *key, const char *json, size_t len);
/* Remove a key (0 also when it was not there). */
DLTC_EXTERN int dltc_yield_state_remove(dltc_yield *y, dltc_state_scope scope, const char *key);

/* A source named `name` (the schema name; normalized). */
DLTC_EXTERN int dltc_source_new(dltc_source **out, const char *name);
/* Add a resource; the source owns it from now on (also on failure). */
DLTC_EXTERN int dltc_source_add(dltc_source *src, dltc_resource *r);
DLTC_EXTERN void dltc_source_free(dltc_source *src);
/* Hand the source something to release when it is freed, after its resources (a database
 * handle or options they borrow); several run last first. */
DLTC_EXTERN int dltc_source_on_free(dltc_source *src, void (*fn)(void *payload), void *payload);
/* The resources of a source, in the order added (lent: the source owns them): by name
 * (NULL when there is none; dlt's source.resources["name"]) or by position. A lent resource
 * may get steps, a limit or an incremental cursor before the source runs. */
DLTC_EXTERN dltc_resource *dltc_source_resource(dltc_source *src, const char *name);
DLTC_EXTERN size_t dltc_source_resource_count(const dltc_source *src);
DLTC_EXTERN dltc_resource *dltc_source_resource_at(dltc_source *src, size_t i);
/* The name of a resource (lent, as long as the resource lives). */
DLTC_EXTERN const char *dltc_resource_name(const dltc_resource *r);

/* Checkpoints: commit a long extraction in several load packages, each with the state as of
 * that point (incremental last values, resource state), so a run that dies late resumes from
 * the last checkpoint instead of the start (dlt issue #215). A checkpoint is taken between two
 * calls of a resource function, once `every_items` items were written or `every_pages` calls
 * yielded something since the last one (0 = not by that measure); never inside a replace
 * resource (each package would truncate its table): then at its end. Off by default. */
typedef struct {
    unsigned int version; /* DLTC_CHECKPOINT_OPTIONS_VERSION */
    size_t every_items;
    size_t every_pages;
} dltc_checkpoint_options;

#define DLTC_CHECKPOINT_OPTIONS_VERSION 1
#define DLTC_CHECKPOINT_OPTIONS_INIT {DLTC_CHECKPOINT_OPTIONS_VERSION, 0, 0}

DLTC_EXTERN int dltc_source_set_checkpoints(dltc_source *src, const dltc_checkpoint_options *o);

#ifdef __cplusplus
}
#endif
#endif
