/* Our strict JSON reader (RFC 8259) and writer.
 *
 * Reader: streams items from a file, a pipe or memory in bounded memory. The input may be
 * a top-level array (each element is an item), or a sequence of values separated by
 * whitespace (JSON Lines, or one object). Each item is parsed into the caller's arena.
 * Errors: DLTC_EPARSE with "<name>:<line>:<col>: <reason>" in the last error, and the
 * position in dltc_json_error.
 *
 * Details of the reader:
 * - The top-level shape is decided by the first non-whitespace byte: '[' streams the
 *   elements of that array (then only whitespace may follow); anything else starts a
 *   sequence of values that must be separated by whitespace. Empty input and `[]` give no
 *   items. A UTF-8 byte order mark at the very start is skipped (columns count from after it).
 * - Depth: max_depth containers may nest inside one item (the streamed top-level array does
 *   not count). Deeper: DLTC_ELIMIT. An item longer than max_item_bytes: DLTC_ELIMIT at the
 *   item start. Memory: the read buffer holds about chunk_size plus the current item.
 * - Options set to 0 take the defaults of DLTC_JSON_READER_OPTIONS_INIT.
 * - Numbers: integers in int64 are INT; longer integers BIGINT (the text, sign included);
 *   anything with a fraction or exponent DOUBLE with `lex` = the text. Out of double range
 *   ("1e400") is a parse error; underflow gives 0.
 * - Duplicate keys: the first position keeps the last value.
 * - An item from dltc__json_reader_next is valid until the next call only: its strings,
 *   number texts (`lex`, also on INT) and containers live in the reader's buffer and
 *   memory. dltc__json_parse puts everything into the caller's arena. */
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
    size_t defer_bytes;      /* 0: off (the default). Else, in an item larger than one chunk,
                                an array nested in it (not the item itself) whose text passes
                                this many bytes, or that is open when the item's own text
                                passes 16 times as many, is not parsed: it comes as a
                                DLTC_VF_DEFERRED array whose elements are read later, one at a
                                time, with dltc__json_deferred_open. The item's memory stays
                                bounded whatever its size; deferred arrays do not count
                                against max_item_bytes. */
} dltc_json_reader_options;

#define DLTC_JSON_READER_OPTIONS_INIT {512, 256u << 20, 1u << 20, 0}
/* The normalizer's defer_bytes. */
#define DLTC_JSON_DEFER_BYTES (1u << 20)

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
 * until the next call). 0, DLTC_ITEROVER at the end, or an error.
 * The item's memory is the reader's own, reused for the next item (warm in the cache); it
 * counts against `arena`'s limit as if allocated there, but `arena` itself is not used. */
int dltc__json_reader_next(dltc_json_reader *r, dltc_arena *arena, dltc_value **out);
/* Position of the last error (lent). */
const dltc_json_error *dltc__json_reader_error(const dltc_json_reader *r);
/* Line number (1-based) where the last returned item started. */
uint64_t dltc__json_reader_item_line(const dltc_json_reader *r);
/* Bytes of the input read so far (after the last returned item; progress reports). */
uint64_t dltc__json_reader_offset(const dltc_json_reader *r);
void dltc__json_reader_free(dltc_json_reader *r);

/* Deferred arrays (defer_bytes). Their text is read again from the input file (by offset),
 * from memory input, or, for a pipe, from an unlinked spill file the reader writes while it
 * skips them. Each is valid while its item is.
 * - dltc__json_deferred_open: a reader of the array's elements, each an item (deferring in
 *   turn), errors positioned in the whole input; the caller frees it before the next item.
 * - dltc__json_deferred_parse: the whole array, copied into `arena` (no deferral): for
 *   values that must be whole (a JSON column); memory grows with the array.
 * - dltc__json_reader_check_deferred: parse every deferred array of the current item that
 *   neither of the two looked at, so that invalid text in it is reported all the same. */
int dltc__json_deferred_open(dltc_json_reader **out, const dltc_value *arr);
/* Each element of deferred array `arr` in order through its reader: fn(ctx, arena, element,
 * index) with `arena` reset for every element (its limit `arena_limit`, 0 none); after fn the
 * element's deferred arrays fn left unread are checked. fn may be NULL (only read). 0, fn's
 * nonzero return, or the reader's error. */
typedef int (*dltc_json_element_fn)(void *ctx, dltc_arena *arena, dltc_value *e, size_t i);
int dltc__json_deferred_each(const dltc_value *arr, size_t arena_limit, dltc_json_element_fn fn,
                             void *ctx);
int dltc__json_deferred_parse(dltc_arena *arena, const dltc_value *arr, dltc_value **out);
int dltc__json_reader_check_deferred(dltc_json_reader *r);
/* The name given at open (messages start with it). */
const char *dltc__json_reader_name(const dltc_json_reader *r);

/* Parse one complete document from memory (trailing whitespace only; a top-level array is
 * one value here). max_depth 0 means 512. `err` may be NULL; its reason is kept per thread
 * until the next failing parse. The message is "<line>:<col>: <reason>". */
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
/* Shortest round-trip decimal text of `d` into out (>= 32 bytes); returns its length.
 * Python repr style: "0.1", "7.0", "1e+16", "5e-324"; non-finite values give "nan", "inf",
 * "-inf" (the JSON writer writes null for those). Independent of the C locale. */
size_t dltc__format_double(char *out, double d);

/* strtod in the "C" locale whatever the process locale is. Thread-safe. */
double dltc__json_strtod(const char *s, char **end);

/* Deep equality of two values: same types, same scalars (doubles bit for bit), strings and
 * bytes by content, arrays item by item, objects member by member in order (the reader keeps
 * members in first-seen order). 1 when equal, 0 otherwise. */
int dltc__json_equal(const dltc_value *a, const dltc_value *b);

#endif
