/* Sources built from a declarative config tree (a `[[sources]]` entry of a pipeline file,
 * docs/pipeline_file.md): rest_api, sql_database and filesystem, with every key checked and
 * every error on one line naming the file:line and the key path. */
#ifndef DLTC_SOURCES_FROM_CONFIG_H
#define DLTC_SOURCES_FROM_CONFIG_H

#include "common/arena.h"
#include "common/buf.h"
#include "dltc/config.h"
#include "dltc/resource.h"
#include "formats/keylines.h"
#include "formats/value.h"

/* Where a tree came from, for messages. */
typedef struct {
    const char *file;            /* "pipeline.toml" */
    const dltc_keylines *lines;  /* may be NULL */
} dltc__cfg_origin;

/* What the sources built from a tree borrow: strings and option structs (arena) and handles
 * closed when the owner is done with the sources (cleanups, run last-in first-out). */
typedef struct {
    dltc_arena arena;
    struct dltc__cfg_cleanup {
        void (*fn)(void *);
        void *p;
    } *cleanups;
    size_t ncleanups, cap;
} dltc__cfg_keep;

void dltc__cfg_keep_init(dltc__cfg_keep *k);
int dltc__cfg_keep_on_free(dltc__cfg_keep *k, void (*fn)(void *), void *p);
void dltc__cfg_keep_free(dltc__cfg_keep *k);

/* A checker walking a config tree: it keeps the key path of what it looks at. */
typedef struct {
    const dltc__cfg_origin *origin;
    dltc_buf path;
    dltc__cfg_keep *keep;
} dltc__cfg_check;

/* DLTC_EINVALID with "<file>:<line>: <path>[.<key>]: <message>" (no line when unknown). */
int dltc__cfg_fail(dltc__cfg_check *c, const char *key, const char *fmt, ...) DLTC_PRINTF(3, 4);
/* Fails naming the first key of `obj` not in the NULL-terminated `allowed`. */
int dltc__cfg_known_keys(dltc__cfg_check *c, const dltc_value *obj, const char *const *allowed);
/* Fails unless `v` (NULL: fine) is one of the NULL-terminated `allowed`, listing them. */
int dltc__cfg_one_of(dltc__cfg_check *c, const char *key, const char *v,
                     const char *const *allowed);
/* Optional members of a given type (absent: *out untouched, 0). Strings are lent from the
 * tree; a string list also accepts one string. */
int dltc__cfg_str(dltc__cfg_check *c, const dltc_value *obj, const char *key, const char **out);
int dltc__cfg_int(dltc__cfg_check *c, const dltc_value *obj, const char *key, int64_t *out);
int dltc__cfg_bool(dltc__cfg_check *c, const dltc_value *obj, const char *key, int *out);
int dltc__cfg_table(dltc__cfg_check *c, const dltc_value *obj, const char *key,
                    const dltc_value **out);
int dltc__cfg_str_list(dltc__cfg_check *c, const dltc_value *obj, const char *key,
                       const char *const **out, size_t *n);
/* A key path step pushed for nested checks; pop restores the length. */
size_t dltc__cfg_push(dltc__cfg_check *c, const char *key);
size_t dltc__cfg_push_index(dltc__cfg_check *c, size_t i);
void dltc__cfg_pop(dltc__cfg_check *c, size_t mark);

/* The source of one entry (an OBJECT with "type"); `cfg` resolves secrets that the entry does
 * not hold (credentials, tokens) and must outlive the source. Options the source borrows are
 * kept in c->keep, which must outlive the source. */
int dltc__source_from_config(dltc_source **out, dltc__cfg_check *c, const dltc_value *entry,
                             dltc_config *cfg);

#endif
