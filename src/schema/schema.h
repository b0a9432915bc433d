/* The schema model (dlt stored schema, engine version 11): tables with columns in order,
 * column hints, settings (detections, default hints, preferred types), normalizer config.
 * Inference/coercion is in types.c, the document format in schema_io.c. */
#ifndef DLTC_SCHEMA_SCHEMA_H
#define DLTC_SCHEMA_SCHEMA_H

#include "dltc/schema.h"
#include "common/buf.h"
#include "common/strmap.h"
#include "schema/naming.h"

#include <stdint.h>

#define DLTC_SCHEMA_ENGINE_VERSION 11

typedef enum {
    DLTC_DT_UNSET = 0,
    DLTC_DT_TEXT,
    DLTC_DT_DOUBLE,
    DLTC_DT_BOOL,
    DLTC_DT_TIMESTAMP,
    DLTC_DT_BIGINT,
    DLTC_DT_BINARY,
    DLTC_DT_JSON,
    DLTC_DT_DECIMAL,
    DLTC_DT_WEI,
    DLTC_DT_DATE,
    DLTC_DT_TIME,
    DLTC_DT__COUNT
} dltc_data_type;

/* "text", "bigint", … ; NULL for UNSET. */
const char *dltc__data_type_name(int dt);
/* Parses a dlt data type name ("complex" is the legacy name of json); UNSET if unknown. */
int dltc__data_type_parse(const char *s);

/* Boolean column hints, in the order dlt documents them. */
typedef enum {
    DLTC_HINT_PARTITION = 1u << 0,
    DLTC_HINT_CLUSTER = 1u << 1,
    DLTC_HINT_PRIMARY_KEY = 1u << 2,
    DLTC_HINT_SORT = 1u << 3,
    DLTC_HINT_UNIQUE = 1u << 4,
    DLTC_HINT_MERGE_KEY = 1u << 5,
    DLTC_HINT_ROW_KEY = 1u << 6,
    DLTC_HINT_PARENT_KEY = 1u << 7,
    DLTC_HINT_ROOT_KEY = 1u << 8,
    DLTC_HINT_HARD_DELETE = 1u << 9,
    DLTC_HINT_INCREMENTAL = 1u << 10,
    DLTC_HINT_VARIANT = 1u << 11,
    DLTC_HINT__COUNT = 12
} dltc_hint;

/* Name of hint bit i ("partition", …, "variant"). */
const char *dltc__hint_name(unsigned bit_index);
/* Bit for a hint name, 0 if it is not a boolean hint. */
uint32_t dltc__hint_parse(const char *name);

typedef struct {
    char *name;
    uint8_t data_type;  /* dltc_data_type; UNSET = incomplete (hint-only) column */
    int8_t nullable;    /* 1 (default) or 0; -1 = not stated in an imported document (nullable) */
    int8_t timezone;    /* -1 unset, 0, 1 */
    uint32_t hints;     /* dltc_hint bits that are true */
    uint32_t hints_set; /* bits present in the document (true or false) */
    int32_t precision;  /* -1 unset */
    int32_t scale;      /* -1 unset */
    char *dedup_sort;   /* "asc" / "desc" / NULL */
    char *description;
    char *extra_json;   /* other keys (x-…) as a JSON object text, NULL if none */
} dltc_column;

typedef struct {
    char *name;
    char *parent;            /* nested tables */
    char *resource;          /* root tables */
    char *write_disposition; /* root tables; NULL = inherit / append */
    char *description;
    char *merge_strategy;    /* x-merge-strategy */
    char *file_format;
    char *table_format;
    int seen_data;           /* x-normalizer.seen-data */
    int max_nesting;         /* x-normalizer.max_nesting, -1 unset */
    char *extra_json;        /* other keys (schema_contract, filters, x-…) as JSON object */
    dltc_column *cols;
    size_t ncols, capcols;
    dltc_strmap colmap;
    /* evolution tracking: what the last dltc__schema_commit_updates saw */
    size_t committed_ncols;
    int committed;           /* the table itself was already reported */
} dltc_table;

typedef struct {
    char *pattern;  /* as stored: exact name, or "re:<regex>" */
    void *regex;    /* compiled regex_t for re: patterns */
} dltc_simple_regex;

typedef struct {
    char *hint; /* "not_null" or a boolean hint name */
    dltc_simple_regex *pats;
    size_t npats;
} dltc_default_hint;

typedef struct {
    dltc_simple_regex pat;
    uint8_t data_type;
} dltc_preferred_type;

struct dltc_schema {
    char *name;
    int64_t version;
    char version_hash[48];  /* as stored: the hash of the last saved content */
    char *previous_hashes[10];
    size_t nprevious;
    char *imported_version_hash;
    char *description;

    dltc_table **tables;
    size_t ntables, captables;
    dltc_strmap tablemap;

    /* settings */
    char **detections;
    size_t ndetections;
    dltc_default_hint *default_hints;
    size_t ndefault_hints;
    dltc_preferred_type *preferred_types;
    size_t npreferred_types;
    char *settings_extra_json; /* schema_contract and unknown settings keys */

    /* normalizers */
    char *naming_name;          /* "snake_case" */
    char *json_module;          /* dlt.common.normalizers.json.relational */
    int max_nesting;            /* normalizers.json.config.max_nesting, -1 unset */
    int root_key_propagation;   /* -1 unset, 0, 1 */
    char **propagation_roots;   /* tables with {_dlt_id: _dlt_root_id} propagation */
    size_t npropagation_roots;
    int use_break_path;         /* normalizers.use_break_path_on_normalize, -1 unset */
    char *normalizers_extra_json;

    const dltc_naming *naming;
    int dirty; /* content changed since the hash was computed */
    char current_hash[48];

    /* Not stored: the destination's check of a new root table's name, run before the table
     * is added by dltc__schema_apply_data_hints (the pipeline sets it; NULL: none). */
    int (*check_table)(const char *name, void *payload);
    void *check_table_payload;
};

/* A schema with dlt's defaults. `name` is used as given (normalize before). */
int dltc__schema_create(dltc_schema **out, const char *name, int with_defaults);

dltc_table *dltc__schema_table(const dltc_schema *s, const char *name, size_t len);
/* Add a table (parent NULL for a root table); the table is the schema's. */
int dltc__schema_add_table(dltc_schema *s, const char *name, const char *parent,
                           dltc_table **out);
/* A deep copy of a table, in no schema (free with dltc__table_free). */
int dltc__table_clone(const dltc_table *src, dltc_table **out);
/* Free a table that is no longer in a schema (accepts NULL). */
void dltc__table_free(dltc_table *t);
/* Root table of a (nested) table. */
dltc_table *dltc__schema_root_table(const dltc_schema *s, dltc_table *t);

/* Column index or -1. */
static inline long dltc__table_column(const dltc_table *t, const char *name, size_t len)
{
    size_t v;
    return dltc__strmap_get(&t->colmap, name, len, &v) ? (long)v : -1;
}
/* Append a column (copied; strings duplicated). Returns its index or a negative error. */
long dltc__table_add_column(dltc_schema *s, dltc_table *t, const dltc_column *col);
/* A new column named `name` with dlt's default hints applied (nullable, row_key, …). */
long dltc__table_new_column(dltc_schema *s, dltc_table *t, const char *name, size_t len,
                            int data_type, uint32_t extra_hints);

/* Does the simple regex match `name`? */
int dltc__simple_regex_match(const dltc_simple_regex *r, const char *name, size_t len);
/* Preferred type for a column name, UNSET if none. */
int dltc__schema_preferred_type(const dltc_schema *s, const char *name, size_t len);
int dltc__schema_has_detection(const dltc_schema *s, const char *detection);
/* Effective write disposition of a table (inherits from its root). Lent. */
const char *dltc__table_write_disposition(const dltc_schema *s, dltc_table *t);

void dltc__column_clear(dltc_column *c);
int dltc__column_copy(dltc_column *dst, const dltc_column *src);

/* Mark the root table for _dlt_root_id propagation (merge tables). */
int dltc__schema_add_propagation(dltc_schema *s, const char *root_table);
int dltc__schema_propagates(const dltc_schema *s, const char *root_table);

/* Schema updates since the last commit as dlt's schema_updates.json object
 * {table: partial table} (a new table whole, else its name and the new columns); appended
 * to b. */
int dltc__schema_updates_json(const dltc_schema *s, dltc_buf *b);
int dltc__schema_has_updates(const dltc_schema *s);
void dltc__schema_commit_updates(dltc_schema *s);



/* Resource hints for a root table. NULL fields keep what the table has. */
typedef struct {
    const char *write_disposition;
    const char *merge_strategy;
    const char *primary_key; /* comma-separated source names */
    const char *merge_key;
    int max_table_nesting;   /* < 0: keep */
    const char *columns;     /* JSON object: column name -> dlt column schema, or NULL */
    const char *file_format; /* loader file format of the table's files, or NULL */
    const char *schema_contract; /* a mode or a JSON object of entities, or NULL */
} dltc_table_hints;

/* The same for a table that data is extracted into: names starting with _dlt (dlt's own
 * tables) are refused, and a new table must pass the schema's check_table. */
int dltc__schema_apply_data_hints(dltc_schema *s, const char *table_name,
                                  const dltc_table_hints *h, dltc_table **out);
/* Create (or update) the root table `table_name` (normalized here) with the hints. */
int dltc__schema_apply_hints(dltc_schema *s, const char *table_name, const dltc_table_hints *h,
                             dltc_table **out);

/* Settings mutators (used by import and by resource hints). */
int dltc__schema_add_preferred_type(dltc_schema *s, const char *pattern, int data_type);
int dltc__schema_add_default_hint(dltc_schema *s, const char *hint, const char *pattern);
#endif
