/* The JSONPath subset dlt users write (jsonpath-ng syntax) for cursor paths, data selectors
 * and paginator paths, compiled once and evaluated on our values:
 *
 *   $              the whole value            $.a.b  a.b  $['a b']  "a b".c   names
 *   a[0]  a[-1]    an array item              a[*]  a.*  $[*]                 every item /
 *   a[1:3] a[::2]  a Python slice                                             member value
 *   a[0,2]  ['a','b']  several indices or names, in the order written
 *
 * Not supported (compile fails with DLTC_EINVALID): recursive descent (..), filters [?()],
 * `this`/`@`, unions with `|`, arithmetic. */
#ifndef DLTC_FORMATS_JSONPATH_H
#define DLTC_FORMATS_JSONPATH_H

#include "common/buf.h"
#include "formats/value.h"

#include <stddef.h>

typedef struct dltc__jsonpath dltc__jsonpath;

/* Compile `path`. `what` names the path in error messages ("cursor path", "data selector"):
 * "<what> '<path>': <reason> at offset N". *out is the caller's (dltc__jsonpath_free). */
int dltc__jsonpath_compile(dltc__jsonpath **out, const char *path, const char *what);
void dltc__jsonpath_free(dltc__jsonpath *p);
/* Number of steps after the root: 0 for "$". */
size_t dltc__jsonpath_length(const dltc__jsonpath *p);
/* The path as given (lent). */
const char *dltc__jsonpath_text(const dltc__jsonpath *p);

/* The first match (a null value is a match), or NULL. Lends a value inside `v`. */
const dltc_value *dltc__jsonpath_first(const dltc__jsonpath *p, const dltc_value *v);
/* Call fn for every match, in document order for wildcards and slices and in the written
 * order for unions. A non-zero return from fn stops the walk and is returned. */
int dltc__jsonpath_each(const dltc__jsonpath *p, const dltc_value *v,
                        int (*fn)(const dltc_value *m, void *payload), void *payload);
/* Append `key` to the dotted path in `b` ("a" then ".b"); a key that is not a plain name is
 * quoted ('a b', with \\ before ' and \\) so the path compiles back to the same key. */
int dltc__jsonpath_append_key(dltc_buf *b, const char *key, size_t len);
/* Number of matches. */
size_t dltc__jsonpath_count(const dltc__jsonpath *p, const dltc_value *v);

#endif
