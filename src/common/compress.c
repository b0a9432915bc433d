#include "common/compress.h"
#include "common/error.h"

#include <zlib.h>

int dltc__zlib_compress(dltc_buf *out, const void *data, size_t len, int level)
{
    uLong bound = compressBound((uLong)len);
    int rc = dltc__buf_reserve(out, bound);
    if (rc)
        return rc;
    uLongf dest = bound;
    if (compress2((Bytef *)out->data + out->len, &dest, data, (uLong)len, level) != Z_OK)
        return dltc__error_set(DLTC_ERROR, "zlib compression failed");
    out->len += dest;
    out->data[out->len] = '\0';
    return 0;
}

/* windowBits 15: zlib stream; 15 + 32: zlib or gzip, detected from the header */
static int inflate_all(dltc_buf *out, const void *data, size_t len, size_t limit, int window_bits)
{
    if (!limit)
        limit = 256u << 20;
    z_stream zs = {0};
    if (inflateInit2(&zs, window_bits) != Z_OK)
        return dltc__error_set(DLTC_ERROR, "zlib: cannot initialise");
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    size_t start = out->len;
    int zr;
    do {
        if (out->len - start >= limit) {
            inflateEnd(&zs);
            return dltc__error_set(DLTC_ELIMIT, "zlib: data inflates beyond %zu bytes", limit);
        }
        int rc = dltc__buf_reserve(out, 64 * 1024);
        if (rc) {
            inflateEnd(&zs);
            return rc;
        }
        zs.next_out = (Bytef *)out->data + out->len;
        zs.avail_out = (uInt)(out->cap - out->len - 1);
        zr = inflate(&zs, Z_NO_FLUSH);
        out->len = (size_t)((char *)zs.next_out - out->data);
        if (zr != Z_OK && zr != Z_STREAM_END) {
            inflateEnd(&zs);
            return dltc__error_set(DLTC_EPARSE, "zlib: corrupt data");
        }
    } while (zr != Z_STREAM_END);
    inflateEnd(&zs);
    out->data[out->len] = '\0';
    return 0;
}

int dltc__zlib_decompress(dltc_buf *out, const void *data, size_t len, size_t limit)
{
    return inflate_all(out, data, len, limit, 15);
}

int dltc__gzip_decompress(dltc_buf *out, const void *data, size_t len, size_t limit)
{
    return inflate_all(out, data, len, limit, 15 + 32);
}
