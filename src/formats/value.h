/* The in-memory item model shared by the JSON reader, the value builder and the normalizer.
 * Values live in an arena; arrays and objects are contiguous vectors (grown in the arena by
 * the builder, sized exactly by the parser). */
#ifndef DLTC_FORMATS_VALUE_H
#define DLTC_FORMATS_VALUE_H

#include "dltc/value.h"
#include "common/arena.h"

#include <stdint.h>

enum {
    DLTC_VF_TZ = 1,      /* TIMESTAMP: aware (UTC); otherwise naive */
    DLTC_VF_ESCAPED = 2, /* STRING: the JSON text had escapes (informational) */
    DLTC_VF_CLEAN = 4,   /* STRING: read from JSON without escapes, so it holds no '"', '\\'
                            or control character and is written back as is */
    DLTC_VF_DEFERRED = 8 /* ARRAY: not parsed; its text stays in the input (u.deferred, see
                            formats/json.h); len is 0 */
};

struct dltc_json_deferred;

typedef struct dltc_member dltc_member;

struct dltc_value {
    uint8_t type;  /* dltc_value_type */
    uint8_t flags; /* DLTC_VF_* */
    uint16_t reserved;
    uint32_t len;  /* STRING/BIGINT/DECIMAL/BINARY: bytes; ARRAY/OBJECT: count;
                      DOUBLE/INT: length of `lex` when lex != NULL */
    union {
        int64_t i;  /* BOOL (0/1), INT, TIMESTAMP, DATE, TIME */
        double d;   /* DOUBLE */
        const char *s;     /* STRING (NUL-terminated), BIGINT digits, DECIMAL text, BINARY */
        dltc_value *arr;   /* ARRAY items */
        dltc_member *obj;  /* OBJECT members */
        const struct dltc_json_deferred *deferred; /* ARRAY with DLTC_VF_DEFERRED */
    } u;
    const char *lex; /* DOUBLE/INT: the JSON number text (`len` bytes, not necessarily
                        NUL-terminated), written back unchanged; else NULL */
    uint32_t cap;    /* ARRAY/OBJECT capacity while building */
};

struct dltc_member {
    const char *key; /* UTF-8, NUL-terminated */
    uint32_t klen;
    dltc_value val;
};

struct dltc_doc {
    dltc_arena arena;
};

/* Initialise a value in place (no allocation). */
static inline void dltc__value_set_type(dltc_value *v, int type)
{
    v->type = (uint8_t)type;
    v->flags = 0;
    v->reserved = 0;
    v->len = 0;
    v->u.i = 0;
    v->lex = NULL;
    v->cap = 0;
}

/* Validate UTF-8 (RFC 3629: no overlongs, no surrogates, max U+10FFFF). Returns the byte
 * offset of the first invalid sequence, or len when all is valid. */
size_t dltc__utf8_check(const char *s, size_t len);

/* Arena-side builders used by the parser and the public API. */
int dltc__object_set(dltc_arena *a, dltc_value *obj, const char *key, size_t klen,
                     const dltc_value *val);
int dltc__array_append(dltc_arena *a, dltc_value *arr, const dltc_value *val);

#endif
