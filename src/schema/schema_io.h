/* dlt's stored-schema document (engine version 11): the schema model as a dltc_value tree,
 * the version hash over it, and the pieces of export/import other modules reuse.
 * The public entry points (dltc_schema_export/import/version_hash) are in dltc/schema.h;
 * dltc__schema_updates_json is declared in schema/schema.h. */
#ifndef DLTC_SCHEMA_SCHEMA_IO_H
#define DLTC_SCHEMA_SCHEMA_IO_H

#include "common/arena.h"
#include "formats/value.h"
#include "schema/schema.h"

/* Length of a version hash: base64 with padding of a SHA3-256 digest. */
#define DLTC_SCHEMA_HASH_LEN 44

/* The stored-schema document of `s` built in `a` (strings may point into `s`: use the tree
 * before changing or freeing the schema). Keys in dlt's order: version, version_hash,
 * engine_version, name, tables, settings, normalizers, previous_hashes,
 * imported_version_hash, description. `with_names` writes the table and column "name" keys
 * and imported_version_hash (dlt's to_dict without remove_defaults); root tables always get
 * write_disposition (default "append") and resource (default: the table name), as dlt's
 * apply_defaults does. Keys kept as raw JSON (*_extra_json) are merged in. */
int dltc__schema_to_dom(const dltc_schema *s, dltc_arena *a, int with_names, dltc_value **out);

/* dlt's generate_version_hash of a stored-schema document: SHA3-256 over the compact JSON
 * with keys sorted recursively of the document without version, version_hash,
 * imported_version_hash and previous_hashes, then over each table name (sorted) followed by
 * its column names in stored order; base64 with padding into `out` (NUL-terminated). */
int dltc__schema_dom_hash(const dltc_value *doc, char out[DLTC_SCHEMA_HASH_LEN + 1]);

/* Pretty JSON as dlt writes schema files (orjson OPT_INDENT_2: indent 2, "key": value,
 * empty containers {} and [], no trailing newline). Appends to `b`. */
int dltc__schema_json_pretty(dltc_buf *b, const dltc_value *v);

/* A column mapping (dlt's TColumnSchema: data_type, nullable, precision, scale, timezone,
 * boolean hints, dedup_sort, description, x- keys) into *c, named `name`. Strings in *c
 * point into `cv` (or `name`); c->extra_json is the caller's (dltc__free). Unstated fields
 * stay unset: nullable/timezone -1, precision/scale -1, hints_set without the bit. Errors
 * name the table and the column. */
int dltc__column_parse(dltc_arena *a, const char *table, const char *name,
                       const dltc_value *cv, dltc_column *c);

#endif
