/* Hashes dlt uses (SHAKE-128 for row ids and name tags, SHA3-256 for version hashes),
 * base64, and random bytes. The only file that includes OpenSSL is hash.c. */
#ifndef DLTC_COMMON_HASH_H
#define DLTC_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

void dltc__shake128(const void *data, size_t len, uint8_t *out, size_t outlen);
/* The same, computed in-process (no OpenSSL): for the hot path of nested row ids. */
void dltc__shake128_fast(const void *data, size_t len, uint8_t *out, size_t outlen);
/* Two short messages at once (SSE2 where available); the results equal two calls of
 * dltc__shake128_fast. */
void dltc__shake128_x2(const void *m0, size_t l0, const void *m1, size_t l1, uint8_t *o0,
                       uint8_t *o1, size_t outlen);
void dltc__sha3_256(const void *data, size_t len, uint8_t out[32]);

/* Incremental SHA3-256 (schema version_hash is fed table and column names after the body). */
typedef struct dltc_sha3 dltc_sha3;
dltc_sha3 *dltc__sha3_new(void);
void dltc__sha3_update(dltc_sha3 *h, const void *data, size_t len);
void dltc__sha3_final(dltc_sha3 *h, uint8_t out[32]); /* also frees h */

/* Standard alphabet. `pad` adds '='. Writes a NUL; returns the length (without NUL).
 * `out` needs 4*ceil(len/3)+1 bytes. */
size_t dltc__base64_encode(const uint8_t *data, size_t len, char *out, int pad);
/* Strict decode (standard alphabet, padding optional); -1 on invalid input. `out` needs
 * 3*ceil(len/4) bytes. */
long dltc__base64_decode(const char *in, size_t len, uint8_t *out);

/* Cryptographically random bytes, served from a per-thread buffer refilled by getrandom(). */
int dltc__random_bytes(void *out, size_t len);

/* 64-bit non-cryptographic hash for hash tables (FNV-1a mixed). */
static inline uint64_t dltc__hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 29;
    return h;
}

#endif
