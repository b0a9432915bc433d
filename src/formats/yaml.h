/* YAML as dlt reads and writes it (PyYAML, YAML 1.1), on top of libyaml. The only file that
 * includes <yaml.h> is yaml.c.
 *
 * Reader: one document into a dltc_value tree in the caller's arena, typed as PyYAML's
 * safe_load types it. Plain scalars are resolved with YAML 1.1's implicit rules: null ("",
 * "~", null/Null/NULL), bool (true/false, yes/no, on/off in three casings), int (decimal,
 * 0b binary, 0 octal, 0x hex, base 60 "1:30", '_' separators; beyond int64 a decimal is a
 * BIGINT), float ("1.5", ".5", "1.", "1.0e+3", ".inf", ".nan", base 60); everything else,
 * and every quoted scalar, is a string. Timestamps ("2024-01-01") stay strings (PyYAML would
 * make them dates). Explicit tags: !!str !!int !!float !!bool !!null and the non-specific
 * "!"; any other tag is an error. Anchors and aliases are supported (an alias shares the
 * anchored tree); merge keys ("<<") are ordinary keys. Mapping keys that are not strings are
 * written as text ("1", "true", "null"). Duplicate keys: the first position keeps the last
 * value. Errors: DLTC_EPARSE with "<line>:<col>: <problem>" (1-based) in the last error;
 * DLTC_ELIMIT past max_depth nested containers or when aliases expand beyond 16M nodes.
 *
 * Writer: block style as PyYAML's yaml.dump(default_flow_style=False, sort_keys=False,
 * allow_unicode=True) writes it: keys in stored order, indent 2, sequences inside mappings
 * not indented, empty containers as {} and [], width 80. A string is written plain when
 * YAML 1.1 would read the plain text back as that same string, otherwise libyaml quotes it
 * (so "true", "null", "1.0", "", "2024-01-01" come back as strings). Integers, booleans
 * ("true"/"false"), null ("null") and floats (Python repr, ".inf", ".nan") are plain.
 * Timestamps, dates and times are written as ISO strings, decimals as text, bytes as base64.
 *
 * Thread-safety: pure functions, no shared state. */
#ifndef DLTC_FORMATS_YAML_H
#define DLTC_FORMATS_YAML_H

#include "common/arena.h"
#include "common/buf.h"
#include "formats/keylines.h"
#include "formats/value.h"

#include <stddef.h>
#include <stdint.h>

/* Parse one YAML document from memory into `arena`. An empty stream gives a NULL value.
 * More than one document is an error. `max_depth` 0 means 512. */
int dltc__yaml_parse(dltc_arena *arena, const char *data, size_t len, uint32_t max_depth,
                     dltc_value **out);

/* The same, also recording in `lines` (may be NULL) the line of each key and sequence item
 * (formats/keylines.h). */
int dltc__yaml_parse_lines(dltc_arena *arena, const char *data, size_t len, uint32_t max_depth,
                           dltc_value **out, dltc_keylines *lines);

/* Append the YAML text of `v` (one document, ending with a newline) to `b`. */
int dltc__yaml_emit(dltc_buf *b, const dltc_value *v);

/* 1 when the plain scalar `s` reads back as a string under YAML 1.1 (PyYAML's implicit
 * resolvers), 0 when it would become null, bool, int, float, timestamp, merge or value. */
int dltc__yaml_plain_is_str(const char *s, size_t len);

#endif
