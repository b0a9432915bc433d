/* dlt's typed JSON (reference dlt-core §7.3): values JSON has no type for are strings with a
 * Private-Use-Area prefix — U+F026 decimal, U+F027 datetime, U+F028 date, U+F02B bytes
 * (base64), U+F02D time. Used for the items a resource yields into an extract package, so
 * typed values reach the normalizer with their types. */
#ifndef DLTC_FORMATS_TYPED_JSON_H
#define DLTC_FORMATS_TYPED_JSON_H

#include "common/arena.h"
#include "common/buf.h"
#include "formats/value.h"

int dltc__typed_json_write(dltc_buf *b, const dltc_value *v);
/* The same; deferred arrays (formats/json.h) are read element by element, and `flush` (may be
 * NULL) is called whenever b holds more than `every` bytes, so that an item of any size is
 * written in bounded memory. */
int dltc__typed_json_write_stream(dltc_buf *b, const dltc_value *v, size_t every,
                                  int (*flush)(void *ctx, dltc_buf *b), void *ctx);
/* Turn prefixed strings back into typed values, in place (new storage from `a`). */
int dltc__typed_json_decode(dltc_arena *a, dltc_value *v);

#endif
