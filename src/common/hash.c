#include "common/hash.h"
#include "common/error.h"

#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>
#include <errno.h>

struct dltc_sha3 {
    EVP_MD_CTX *ctx;
};

void dltc__shake128(const void *data, size_t len, uint8_t *out, size_t outlen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_shake128(), NULL);
    EVP_DigestUpdate(ctx, data, len);
    EVP_DigestFinalXOF(ctx, out, outlen);
    EVP_MD_CTX_free(ctx);
}

void dltc__sha3_256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha3_256(), NULL);
}

dltc_sha3 *dltc__sha3_new(void)
{
    static _Thread_local dltc_sha3 h; /* one at a time per thread is all we need */
    h.ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h.ctx, EVP_sha3_256(), NULL);
    return &h;
}

void dltc__sha3_update(dltc_sha3 *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void dltc__sha3_final(dltc_sha3 *h, uint8_t out[32])
{
    unsigned int n = 32;
    EVP_DigestFinal_ex(h->ctx, out, &n);
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t dltc__base64_encode(const uint8_t *d, size_t len, char *out, int pad)
{
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)d[i] << 16;
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long dltc__base64_decode(const char *in, size_t len, uint8_t *out)
{
    while (len && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* leftover bits must be zero (strict, like Python's validate=True) */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}

int dltc__random_bytes(void *out, size_t len)
{
    static _Thread_local uint8_t pool[4096];
    static _Thread_local size_t avail = 0;
    uint8_t *o = out;
    while (len) {
        if (!avail) {
            size_t got = 0;
            while (got < sizeof(pool)) {
                ssize_t r = getrandom(pool + got, sizeof(pool) - got, 0);
                if (r < 0) {
                    if (errno == EINTR)
                        continue;
                    return dltc__error_set(DLTC_ERROR, "getrandom failed: %s", strerror(errno));
                }
                got += (size_t)r;
            }
            avail = sizeof(pool);
        }
        size_t n = len < avail ? len : avail;
        memcpy(o, pool + sizeof(pool) - avail, n);
        avail -= n;
        o += n;
        len -= n;
    }
    return 0;
}
