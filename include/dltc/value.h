/*
 * Building items without JSON text. A dltc_doc owns every value made in it (an arena):
 * values are lent pointers valid until dltc_doc_clear/dltc_doc_free. A C resource can hand
 * the normalizer either JSON text or a value built here; both end in the same normalizer.
 *
 * Thread-safety: a doc and its values belong to one thread at a time.
 */
#ifndef DLTC_VALUE_H
#define DLTC_VALUE_H

#include "dltc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dltc_doc dltc_doc;
typedef struct dltc_value dltc_value;

typedef enum {
    DLTC_TYPE_NULL = 0,
    DLTC_TYPE_BOOL,
    DLTC_TYPE_INT,       /* int64 */
    DLTC_TYPE_BIGINT,    /* an integer beyond int64, kept exactly as decimal digits */
    DLTC_TYPE_DOUBLE,
    DLTC_TYPE_STRING,    /* UTF-8 */
    DLTC_TYPE_ARRAY,
    DLTC_TYPE_OBJECT,
    DLTC_TYPE_TIMESTAMP, /* µs since epoch, UTC (aware) or naive */
    DLTC_TYPE_DATE,      /* days since epoch */
    DLTC_TYPE_TIME,      /* µs since midnight */
    DLTC_TYPE_DECIMAL,   /* exact decimal text, e.g. "-12.3400" */
    DLTC_TYPE_BINARY     /* bytes */
} dltc_value_type;

/* A new empty document; free with dltc_doc_free. */
DLTC_EXTERN int dltc_doc_new(dltc_doc **out);
/* Release every value of the document (keeps the memory for reuse). */
DLTC_EXTERN void dltc_doc_clear(dltc_doc *doc);
/* Free the document and all its values. Accepts NULL. */
DLTC_EXTERN void dltc_doc_free(dltc_doc *doc);

/* Constructors: NULL on failure (last error set). Strings and bytes are copied; a string
 * must be valid UTF-8, a decimal a plain decimal number ("-12.50", no exponent). */
DLTC_EXTERN dltc_value *dltc_value_null(dltc_doc *doc);
DLTC_EXTERN dltc_value *dltc_value_bool(dltc_doc *doc, int b);
DLTC_EXTERN dltc_value *dltc_value_int(dltc_doc *doc, int64_t i);
DLTC_EXTERN dltc_value *dltc_value_double(dltc_doc *doc, double d);
DLTC_EXTERN dltc_value *dltc_value_string(dltc_doc *doc, const char *s, size_t len);
DLTC_EXTERN dltc_value *dltc_value_cstring(dltc_doc *doc, const char *s);
DLTC_EXTERN dltc_value *dltc_value_timestamp(dltc_doc *doc, int64_t unix_us, int has_tz);
DLTC_EXTERN dltc_value *dltc_value_date(dltc_doc *doc, int32_t days_since_epoch);
DLTC_EXTERN dltc_value *dltc_value_time(dltc_doc *doc, int64_t us_since_midnight);
DLTC_EXTERN dltc_value *dltc_value_decimal(dltc_doc *doc, const char *text);
DLTC_EXTERN dltc_value *dltc_value_binary(dltc_doc *doc, const void *data, size_t len);
DLTC_EXTERN dltc_value *dltc_value_object(dltc_doc *doc);
DLTC_EXTERN dltc_value *dltc_value_array(dltc_doc *doc);

/* Add `value` (made in the same doc) under `key` (copied, UTF-8). A repeated key replaces the
 * earlier value in place, as a JSON object read by dlt would. */
DLTC_EXTERN int dltc_object_set(dltc_doc *doc, dltc_value *object, const char *key,
                                dltc_value *value);
DLTC_EXTERN int dltc_array_append(dltc_doc *doc, dltc_value *array, dltc_value *value);

/* Parse one JSON document (RFC 8259, strict) into the doc. On error DLTC_EPARSE with
 * "line:col: reason" in the last error. */
DLTC_EXTERN int dltc_doc_parse_json(dltc_doc *doc, const char *json, size_t len,
                                    dltc_value **out);

/* Serialize as JSON into a new malloc'd NUL-terminated string, freed by the caller with
 * dltc_free. Timestamps, dates and times become ISO strings, decimals and big integers
 * numbers, binary base64. */
DLTC_EXTERN int dltc_value_to_json(char **out, size_t *out_len, const dltc_value *value);

/* Read access (lends; never NULL-safe for wrong types: check dltc_value_type_of first). */
DLTC_EXTERN dltc_value_type dltc_value_type_of(const dltc_value *v);
DLTC_EXTERN int dltc_value_get_bool(const dltc_value *v);
DLTC_EXTERN int64_t dltc_value_get_int(const dltc_value *v);
DLTC_EXTERN double dltc_value_get_double(const dltc_value *v);
/* TIMESTAMP: 1 when aware (UTC), 0 when naive. */
DLTC_EXTERN int dltc_value_get_tz(const dltc_value *v);
/* String, big integer digits, decimal text or binary bytes; *len set when not NULL. */
DLTC_EXTERN const char *dltc_value_get_str(const dltc_value *v, size_t *len);
DLTC_EXTERN size_t dltc_value_size(const dltc_value *v); /* array items or object members */
DLTC_EXTERN const dltc_value *dltc_array_get(const dltc_value *array, size_t i);
DLTC_EXTERN const char *dltc_object_key(const dltc_value *object, size_t i, size_t *len);
DLTC_EXTERN const dltc_value *dltc_object_value(const dltc_value *object, size_t i);
DLTC_EXTERN const dltc_value *dltc_object_get(const dltc_value *object, const char *key);

#ifdef __cplusplus
}
#endif
#endif
