/* Internal parts of the rest_api source shared by rest_api.c (the config: checks, merge with
 * resource_defaults, the compiled resources) and rest_api_run.c (what a resource does when it
 * runs: placeholders, requests, response actions, processing steps). */
#ifndef DLTC_SOURCES_REST_API_INT_H
#define DLTC_SOURCES_REST_API_INT_H

#include "dltc/rest.h"
#include "dltc/rest_api.h"
#include "common/arena.h"
#include "common/buf.h"
#include "formats/value.h"
#include "sources/rest_api_expr.h"

/* A name/value pair of the endpoint (params, headers, form data); both are templates with
 * {placeholders} unless `literal` (a value formatted from a number or a boolean). */
typedef struct {
    char *name;
    char *value; /* NULL: the parameter is left out (a null in the config) */
    int literal;
} dltc__ra_pair;

/* A legacy {"type": "resolve", "resource": ..., "field": ...} path parameter. */
typedef struct {
    char *name;  /* the {name} in the path */
    char *field; /* JSONPath into the parent record */
} dltc__ra_resolve;

/* A response action: ignore a response with this status and/or body substring. */
typedef struct {
    int status;    /* 0: any */
    char *content; /* NULL: any */
} dltc__ra_action;

enum { DLTC_RA_STEP_FILTER = 1, DLTC_RA_STEP_MAP = 2, DLTC_RA_STEP_SELECT = 3 };
enum { DLTC_RA_SET_EXPR = 0, DLTC_RA_SET_CONST = 1, DLTC_RA_SET_DROP = 2 };

/* One processing step. */
typedef struct {
    int kind;
    char *where;           /* "resources[0].processing_steps[1].filter", for messages */
    dltc__ra_expr *filter;
    /* map: fields set (in order) from expressions or constants, or dropped; select: the
     * fields kept, in this order */
    size_t n;
    char **keys;
    int *ops;
    dltc__ra_expr **exprs;
    dltc_value *consts;    /* in the shared doc */
} dltc__ra_step;

/* What every resource of a source shares: the client and the copy of the config. */
typedef struct {
    int refs;
    char *base_url;
    dltc_http_pair *headers; /* the client's static headers, owned */
    size_t nheaders;
    dltc_auth *auth;         /* client.auth, or NULL */
    dltc_http_options http;  /* runtime.request_* as resolved when the source was made */
    dltc_rest_client *client; /* made on the first request */
    dltc_doc *doc;           /* the copy of the config and what is built from it */
} dltc__ra_shared;

/* One resource of the source, the payload of its dltc_resource. */
typedef struct {
    dltc__ra_shared *sh;
    char *name;
    char *parent;          /* the parent resource (a transformer), or NULL */
    char *path;            /* template */
    char *method;
    dltc__ra_pair *params;
    size_t nparams;
    dltc__ra_pair *headers;
    size_t nheaders;
    dltc__ra_resolve *resolves;
    size_t nresolves;
    const dltc_value *json;  /* template (in the shared doc) or NULL */
    dltc__ra_pair *form;     /* data as an object: form-encoded */
    size_t nform;
    int has_form;
    char *raw_data;          /* data as a string (template) or NULL */
    dltc_paginator *paginator; /* NULL: detected */
    char *data_selector;       /* NULL: detected */
    dltc__ra_action *actions;
    size_t nactions;
    int has_actions;
    dltc_auth *auth;         /* the endpoint's or the client's (see own_auth), or NULL */
    int own_auth;
    char **include;          /* include_from_parent */
    size_t ninclude;
    dltc__ra_step *steps;
    size_t nsteps;
    /* incremental */
    int has_incremental;     /* endpoint.incremental: the {incremental.*} context */
    char *start_param, *end_param;
    dltc__ra_expr *convert;
    const dltc_value *raw_initial, *raw_end; /* as written (shared doc), or NULL */
    /* the running request sequence of a top-level resource and scratch memory */
    dltc_rest_pages *pages;
    dltc_doc *scratch;
    dltc_arena tmp;
} dltc__ra_res;

void dltc__ra_shared_release(dltc__ra_shared *sh);
void dltc__ra_res_free(void *payload);

/* The functions of the dltc resources (rest_api_run.c). */
int dltc__ra_top_next(dltc_yield *y, void *payload);
int dltc__ra_child_items(const dltc_value *parent, dltc_yield *y, void *payload);

/* str() of a placeholder value as dlt formats it (strings as they are, numbers as Python,
 * True/False, datetimes in ISO 8601; null as ""; lists and objects as JSON). `r` (may be
 * NULL) gives the incremental's initial and end values as written, so they are sent exactly
 * as the config spells them. */
int dltc__ra_format(dltc_buf *out, const dltc_value *v, const dltc__ra_res *r);

/* Placeholders of a template: literal text (braces unescaped) and {names}, in order.
 * DLTC_EINVALID (reason in the last error) for a single '}', an unclosed '{', an empty
 * placeholder, or a conversion / format spec ({x!r}, {x:>10}), which dltc does not support. */
typedef int (*dltc__ra_piece_fn)(int is_placeholder, const char *s, size_t n, void *payload);
int dltc__ra_scan(const char *tmpl, dltc__ra_piece_fn fn, void *payload);
/* 1 when the whole template is exactly one placeholder. */
int dltc__ra_is_single(const char *tmpl, const char **name, size_t *len);
/* Append `s` with its braces doubled (a literal inside a template). */
int dltc__ra_escape(dltc_buf *out, const char *s, size_t n);

#endif
