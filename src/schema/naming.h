/* Naming conventions: how dlt turns source keys and resource names into table and column
 * identifiers (dlt.common.normalizers.naming). A convention is a static table of functions;
 * a `dltc_naming` pairs it with the destination's maximum identifier length.
 *
 * Output: every function that produces text APPENDS it to the caller's `out` buffer
 * (NUL-terminated after success) and works only on what it appended, so a caller can build
 * compound names in one buffer. On failure `out` is left as it was. Inputs must not point
 * into `out`. Lengths given to and counted by these functions are like Python's len(): code
 * points, not bytes (max_length, shortening).
 *
 * Thread-safety: everything here is pure except dltc__naming_get, which is thread-safe. */
#ifndef DLTC_SCHEMA_NAMING_H
#define DLTC_SCHEMA_NAMING_H

#include "common/buf.h"

#include <stddef.h>

/* Length of the tag that shortening inserts (base64 of 4 SHAKE-128 bytes, '=' stripped). */
#define DLTC_NAMING_TAG_LEN 6

/* A piece of text, not NUL-terminated. */
typedef struct {
    const char *s;
    size_t len;
} dltc_naming_frag;

/* One naming convention (one static instance per convention). */
typedef struct {
    const char *name;           /* "snake_case": dlt's `naming` setting */
    const char *path_separator; /* joins nested names: "__" */
    size_t path_separator_len;
    int case_sensitive;         /* produces case-sensitive identifiers */
    /* One identifier, already stripped and not empty, without shortening; appended. */
    int (*normalize)(const char *s, size_t len, dltc_buf *out);
    /* The same for table, dataset and schema names; NULL = `normalize`. */
    int (*normalize_table)(const char *s, size_t len, dltc_buf *out);
} dltc_naming_convention;

typedef struct dltc_naming {
    const dltc_naming_convention *conv;
    size_t max_length; /* maximum identifier length in code points; 0 = unlimited */
} dltc_naming;

/* The convention `name` ("snake_case" or dlt's module path
 * "dlt.common.normalizers.naming.snake_case") with `max_length` (0 = none). Returns an
 * interned, immutable object that lives until the process ends (never freed: the same
 * pointer for the same arguments), or NULL with the last error set: DLTC_ENOTFOUND for an
 * unknown convention, DLTC_ELIMIT when more than 64 distinct (convention, max_length)
 * pairs were asked for. Thread-safe. */
const dltc_naming *dltc__naming_get(const char *name, size_t max_length);
/* The static convention called `name`, or NULL (no error set). */
const dltc_naming_convention *dltc__naming_convention_find(const char *name);

/* normalize_identifier: strip surrounding whitespace (Python str.strip()), normalize,
 * shorten to max_length (tag from the stripped identifier). DLTC_EINVALID when nothing is
 * left after stripping. */
int dltc__naming_normalize_identifier(const dltc_naming *n, const char *s, size_t len,
                                      dltc_buf *out);
/* normalize_table_identifier: the same for table, dataset and schema names. */
int dltc__naming_normalize_table_identifier(const dltc_naming *n, const char *s, size_t len,
                                            dltc_buf *out);

/* normalize_path (dlt's break-path mode): split on the separator, drop whitespace-only
 * parts, normalize (and shorten) each part, join with the separator, shorten the whole with
 * a tag from the original `path`. A path with no parts ("", "__", "  ") gives "" (no
 * error). "column__value" stays, "__dunder" -> "dunder", "a___b" -> "a___b". */
int dltc__naming_normalize_path(const dltc_naming *n, const char *path, size_t len,
                                dltc_buf *out);
/* normalize_tables_path: the same with normalize_table_identifier on each part. */
int dltc__naming_normalize_tables_path(const dltc_naming *n, const char *path, size_t len,
                                       dltc_buf *out);

/* make_path: join the fragments that are not whitespace-only with the separator; neither
 * normalizes nor shortens. */
int dltc__naming_make_path(const dltc_naming *n, const dltc_naming_frag *frags, size_t nfrags,
                           dltc_buf *out);
/* break_path: the parts of `path` between separators that are not whitespace-only (not
 * stripped), pointing into `path`. Writes at most `cap` of them to `parts` and returns how
 * many there are (call again with more room if the result exceeds cap). */
size_t dltc__naming_break_path(const dltc_naming *n, const char *path, size_t len,
                               dltc_naming_frag *parts, size_t cap);
/* shorten_fragments: make_path of already normalized fragments, then shorten the whole with
 * a tag computed from the joined path itself. No fragments appends nothing (dlt: None). */
int dltc__naming_shorten_fragments(const dltc_naming *n, const dltc_naming_frag *frags,
                                   size_t nfrags, dltc_buf *out);

/* shorten_identifier: append `normalized`; when max_length > 0 and it is longer than
 * max_length code points, replace its middle by the tag of `identifier` so that it is
 * exactly max_length long: first ceil((max-6)/2) + tag + last floor((max-6)/2) code points.
 * DLTC_EINVALID when shortening is needed and max_length < 6. */
int dltc__naming_shorten_identifier(const char *normalized, size_t nlen, const char *identifier,
                                    size_t ilen, size_t max_length, dltc_buf *out);
/* Shorten an already joined, normalized name as one identifier: the tag is computed from
 * `s` itself (shorten_fragments of one fragment). Appends to `out`. */
int dltc__naming_shorten(const dltc_naming *n, const char *s, size_t len, dltc_buf *out);
/* The 6-character tag dlt derives from `identifier`; writes 7 bytes (NUL included). */
void dltc__naming_tag(const char *identifier, size_t len, char out[DLTC_NAMING_TAG_LEN + 1]);

static inline int dltc__naming_is_case_sensitive(const dltc_naming *n)
{
    return n->conv->case_sensitive;
}

/* Python str.strip(): narrow [*s, *s + *len) to exclude surrounding Unicode whitespace. */
void dltc__naming_strip(const char **s, size_t *len);

#endif
