/* Our strict TOML 1.0.0 reader: one whole document (config.toml, secrets.toml) into a
 * dltc_value tree.
 *
 * The root is an OBJECT; tables (standard, inline, dotted) are OBJECTs, arrays and arrays of
 * tables ARRAYs. Keys keep the order in which they were first written. Scalars: STRING,
 * INT (int64), DOUBLE (also inf/nan; `lex` is NULL), BOOL, offset date-time -> TIMESTAMP
 * aware (DLTC_VF_TZ, shifted to UTC), local date-time -> TIMESTAMP naive, local date ->
 * DATE, local time -> TIME. Fractional seconds keep microseconds; further digits are
 * truncated.
 *
 * Strict: every rule of the specification is enforced (keys and tables defined once, dotted
 * keys and inline tables not extended later, static arrays not appended to, escapes, number
 * and date grammar, control characters, UTF-8 of the whole input). Differences from the
 * letter of the specification, all deliberate (docs/config.md):
 * - a UTF-8 byte order mark at the very start is skipped (columns on line 1 count from after
 *   it), as our JSON reader does;
 * - CRLF inside multi-line strings becomes LF;
 * - dates must lie in years 0001..9999 (after applying the offset), seconds in 00..59 (no
 *   leap second), as Python's datetime that dlt uses; floats that overflow a double fail.
 *
 * Errors: DLTC_EPARSE for malformed input; DLTC_ELIMIT when containers nest deeper than
 * max_depth or the arena's limit is hit; DLTC_ENOMEM. The position goes to dltc_toml_error
 * and the per-thread last error reads "<name>:<line>:<col>: <reason>" ("<line>:<col>:
 * <reason>" when name is NULL); line and column are 1-based, the column in bytes.
 *
 * Cost: time and memory are linear in the input (keys are found through one hash table over
 * the whole document, see toml.c); the nesting of containers is bounded by max_depth.
 * Thread-safety: reentrant; the reason string is kept per thread. */
#ifndef DLTC_CONFIG_TOML_H
#define DLTC_CONFIG_TOML_H

#include "common/arena.h"
#include "formats/keylines.h"
#include "formats/value.h"

#include <stddef.h>
#include <stdint.h>

#define DLTC_TOML_MAX_DEPTH 128 /* default nesting limit of tables and arrays */

typedef struct {
    int code;          /* DLTC_EPARSE, DLTC_ELIMIT, DLTC_ENOMEM (DLTC_EIO/ENOTFOUND: file) */
    uint64_t offset;   /* byte offset from the start of the input */
    uint64_t line;     /* 1-based */
    uint64_t column;   /* 1-based, in bytes */
    const char *reason; /* kept per thread until the next failing parse */
} dltc_toml_error;

/* Parse the document `data` (`len` bytes, need not be NUL-terminated) into `arena`: the tree,
 * its keys and strings all live there (nothing points into `data`). `name` (may be NULL) is
 * used in the message only. `max_depth` 0 means DLTC_TOML_MAX_DEPTH: the number of tables
 * and arrays that may nest below the root. `err` may be NULL. On failure `*out` is not set
 * and what was allocated in `arena` stays there until the caller resets it. */
int dltc__toml_parse(dltc_arena *arena, const char *data, size_t len, const char *name,
                     uint32_t max_depth, dltc_value **out, dltc_toml_error *err);

/* The same, also recording in `lines` (may be NULL) the line where each key and array item
 * was written (formats/keylines.h). */
int dltc__toml_parse_lines(dltc_arena *arena, const char *data, size_t len, const char *name,
                           uint32_t max_depth, dltc_value **out, dltc_toml_error *err,
                           dltc_keylines *lines);

/* Read the file at `path` (at most `max_bytes`, 0 = 16 MiB) and parse it, with the path as
 * the name in messages. DLTC_ENOTFOUND when the file does not exist, DLTC_EIO when it cannot
 * be read, DLTC_ELIMIT when it is larger than max_bytes, else as dltc__toml_parse (`err`
 * filled only for parse errors). */
int dltc__toml_parse_file(dltc_arena *arena, const char *path, size_t max_bytes,
                          uint32_t max_depth, dltc_value **out, dltc_toml_error *err);

#endif
