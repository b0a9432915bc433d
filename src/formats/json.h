/* Our strict JSON reader (RFC 8259) and writer.
 *
 * Reader: streams items from a file, a pipe or memory in bounded memory. The input may be
 * a top-level array (each element is an item), or a sequence of values separated by
 * whitespace (JSON Lines, or one object). Each item is parsed into the caller's arena.
 * Errors: DLTC_EPARSE with "<name>:<line>:<col>: <reason>" in the last error, and the
 * position in dltc_json_error. */
#ifndef DLTC_FORMATS_JSON_H
#define DLTC_FORMATS_JSON_H

#include "common/arena.h"
#include "common/buf.h"
#include "formats/value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t max_depth;      /* nesting limit, default 512 */
    size_t max_item_bytes;   /* largest single item, default 256 MiB */
    size_t chunk_size;       /* read size, default 1 MiB */
} dltc_json_reader_options;

#define DLTC_JSON_READER_OPTIONS_INIT {512, 256u << 20, 1u << 20}

typedef struct {
    int code;          /* DLTC_EPARSE, DLTC_ELIMIT, DLTC_EIO */
    uint64_t offset;   /* byte offset from the start of the input */
    uint64_t line;     /* 1-based */
    uint64_t column;   /* 1-based, in bytes */
    const char *reason;
} dltc_json_error;

typedef struct dltc_json_reader dltc_json_reader;

/* `path` "-" reads standard input. `name` (may be NULL) is used in messages. The reader is
 * the caller's, freed with dltc__json_reader_free. */
int dltc__json_reader_open_file(dltc_json_reader **out, const char *path,
                                const dltc_json_reader_options *opts);
int dltc__json_reader_open_fd(dltc_json_reader **out, int fd, const char *name,
                              const dltc_json_reader_options *opts);
/* Memory input: `data` is lent and must outlive the reader. */
int dltc__json_reader_open_mem(dltc_json_reader **out, const char *data, size_t len,
                               const char *name, const dltc_json_reader_options *opts);
/* Next item into `arena` (strings may point into the reader's buffer: an item stays valid
 * until the next call). 0, DLTC_ITEROVER at the end, or an error. */
int dltc__json_reader_next(dltc_json_reader *r, dltc_arena *arena, dltc_value **out);
/* Position of the last error (lent). */
const dltc_json_error *dltc__json_reader_error(const dltc_json_reader *r);
/* Line number (1-based) where the last returned item started. */
uint64_t dltc__json_reader_item_line(const dltc_json_reader *r);
void dltc__json_reader_free(dltc_json_reader *r);

/* Parse one complete document from memory (trailing whitespace only). */
int dltc__json_parse(dltc_arena *arena, const char *data, size_t len, uint32_t max_depth,
                     dltc_value **out, dltc_json_error *err);

/* Writer. Appends compact JSON to `b`. Non-JSON types: TIMESTAMP/DATE/TIME as ISO strings
 * (Python isoformat), DECIMAL and BIGINT as bare numbers, BINARY as base64 string. */
int dltc__json_write(dltc_buf *b, const dltc_value *v);
int dltc__json_write_string(dltc_buf *b, const char *s, size_t len);
/* Shortest text that reads back to the same double (as Python repr; ".0" for integral
 * values). NaN/Inf are not JSON: written as null. */
int dltc__json_write_double(dltc_buf *b, double d);
int dltc__json_write_int(dltc_buf *b, int64_t i);
/* Shortest round-trip decimal text of `d` into out (>= 32 bytes); returns its length. */
size_t dltc__format_double(char *out, double d);

#endif
