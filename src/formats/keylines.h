/* Where each key of a parsed config document was written: key path -> line, so that an
 * error found later, when the tree is checked, names "file:line" (dlt's config errors only
 * name the key).
 *
 * Key paths: keys joined with '.', array items as "[i]" ("sources[0].client.base_url"); a
 * key that is not bare (A-Z a-z 0-9 _ -) is written in double quotes with '"' and '\'
 * escaped ("params.\"a.b\""). The TOML and YAML readers fill a map when asked.
 * Thread-safety: a map belongs to one thread at a time. */
#ifndef DLTC_FORMATS_KEYLINES_H
#define DLTC_FORMATS_KEYLINES_H

#include "common/buf.h"
#include "common/strmap.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    dltc_strmap map;
} dltc_keylines;

#define DLTC_KEYLINES_INIT {DLTC_STRMAP_INIT}

void dltc__keylines_free(dltc_keylines *kl);
/* Record `line` (1-based) for `path` unless the path has one already. */
int dltc__keylines_put(dltc_keylines *kl, const char *path, size_t len, uint64_t line);
/* The line of `path`, else of its nearest ancestor that has one; 0 when none. */
uint64_t dltc__keylines_find(const dltc_keylines *kl, const char *path);

/* Append one step to a key path in `b`: a key (with its '.' unless the path is empty) or an
 * array index. */
int dltc__keypath_key(dltc_buf *b, const char *key, size_t klen);
int dltc__keypath_index(dltc_buf *b, size_t i);

#endif
