/* zlib, behind one file (the only includer of zlib.h). */
#ifndef DLTC_COMMON_COMPRESS_H
#define DLTC_COMMON_COMPRESS_H

#include "common/buf.h"

/* zlib stream (RFC 1950) at `level` (dlt's state blob uses 9), appended to out. */
int dltc__zlib_compress(dltc_buf *out, const void *data, size_t len, int level);
/* Inflate a zlib stream, appended to out (at most `limit` bytes; 0 = 256 MiB). */
int dltc__zlib_decompress(dltc_buf *out, const void *data, size_t len, size_t limit);
/* Inflate a whole gzip (RFC 1952) or zlib stream, appended to out (at most `limit` bytes; 0 =
 * 256 MiB). A stream that ends early (truncated body) is DLTC_EPARSE. */
int dltc__gzip_decompress(dltc_buf *out, const void *data, size_t len, size_t limit);

#endif
