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
/* Yield one item built with the value API (typed values keep their types). */
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
} dltc_resource_options;

#define DLTC_RESOURCE_OPTIONS_VERSION 1
#define DLTC_RESOURCE_OPTIONS_INIT                                                             \
    {DLTC_RESOURCE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, 1, NULL, NULL}

DLTC_EXTERN int dltc_resource_new(dltc_resource **out, const char *name, dltc_resource_fn fn,
                                  void *payload, const dltc_resource_options *opts);
/* A transformer fed by `parent` (which must be added to the same source). */
DLTC_EXTERN int dltc_transformer_new(dltc_resource **out, const char *name,
                                     dltc_resource *parent, dltc_transformer_fn fn,
                                     void *payload, const dltc_resource_options *opts);
DLTC_EXTERN void dltc_resource_free(dltc_resource *r);
/* Steps, applied in the order added. */
DLTC_EXTERN int dltc_resource_add_map(dltc_resource *r, dltc_map_fn fn, void *payload);
DLTC_EXTERN int dltc_resource_add_filter(dltc_resource *r, dltc_filter_fn fn, void *payload);
/* Stop after `max_pages` calls of the function that yielded something (dlt counts yields).
 * No effect on transformers, as in dlt. */
DLTC_EXTERN int dltc_resource_add_limit(dltc_resource *r, size_t max_pages);

/* A source named `name` (the schema name; normalized). */
DLTC_EXTERN int dltc_source_new(dltc_source **out, const char *name);
/* Add a resource; the source owns it from now on (also on failure). */
DLTC_EXTERN int dltc_source_add(dltc_source *src, dltc_resource *r);
DLTC_EXTERN void dltc_source_free(dltc_source *src);

#ifdef __cplusplus
}
#endif
#endif
