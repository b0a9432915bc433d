/*
 * The dlt schema (engine version 11): tables, columns, hints, settings; inference and
 * evolution happen in the normalizer. Export/import of dlt's schema document as JSON or
 * YAML.
 *
 * Thread-safety: a schema belongs to one thread at a time.
 */
#ifndef DLTC_SCHEMA_H
#define DLTC_SCHEMA_H

#include "dltc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_schema dltc_schema;

/* A new schema named `name` (normalized with snake_case, max 64) with dlt's defaults:
 * _dlt_version and _dlt_loads tables, detections [iso_timestamp], default hints. */
DLTC_EXTERN int dltc_schema_new(dltc_schema **out, const char *name);
DLTC_EXTERN void dltc_schema_free(dltc_schema *schema);

DLTC_EXTERN const char *dltc_schema_name(const dltc_schema *schema);
DLTC_EXTERN int64_t dltc_schema_version(const dltc_schema *schema);
/* Recomputes the hash if the schema changed since the last call (lent string). */
DLTC_EXTERN const char *dltc_schema_version_hash(dltc_schema *schema);

typedef enum { DLTC_SCHEMA_JSON = 0, DLTC_SCHEMA_YAML = 1 } dltc_schema_format;

/* Export dlt's stored-schema document (bumping version if the content changed). `*out` is
 * the caller's (dltc_free). remove_defaults drops default-valued keys as dlt's export does. */
DLTC_EXTERN int dltc_schema_export(char **out, dltc_schema *schema, dltc_schema_format format,
                                   int remove_defaults);
/* Import a stored-schema document (JSON or YAML, engine version 11). */
DLTC_EXTERN int dltc_schema_import(dltc_schema **out, const char *text, size_t len);

/* Tables in schema order (system tables included). Names lent. */
DLTC_EXTERN size_t dltc_schema_table_count(const dltc_schema *schema);
DLTC_EXTERN const char *dltc_schema_table_name(const dltc_schema *schema, size_t i);
DLTC_EXTERN const char *dltc_schema_table_parent(const dltc_schema *schema, size_t i);
DLTC_EXTERN size_t dltc_schema_column_count(const dltc_schema *schema, size_t table);
DLTC_EXTERN const char *dltc_schema_column_name(const dltc_schema *schema, size_t table,
                                                size_t col);
DLTC_EXTERN const char *dltc_schema_column_type(const dltc_schema *schema, size_t table,
                                                size_t col);
DLTC_EXTERN int dltc_schema_column_nullable(const dltc_schema *schema, size_t table,
                                            size_t col);

#ifdef __cplusplus
}
#endif
#endif
