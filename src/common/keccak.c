/* SHAKE-128 for short messages without OpenSSL's per-call overhead (EVP context setup and
 * provider locks cost more than the permutation itself). Used for nested row ids, which
 * the normalizer computes for every nested row. Checked against OpenSSL in the tests. */
#include "common/hash.h"

#include <string.h>

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

static inline uint64_t rol(uint64_t x, unsigned s)
{
    return (x << s) | (x >> (64 - s));
}

/* Keccak-f[1600], one round fully unrolled over 25 lanes (generated from the round
 * definition: theta, rho+pi, chi, iota). */
static void keccak_f(uint64_t st[25])
{
    uint64_t a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24;
    uint64_t b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20, b21, b22, b23, b24;
    uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    a0 = st[0];
    a1 = st[1];
    a2 = st[2];
    a3 = st[3];
    a4 = st[4];
    a5 = st[5];
    a6 = st[6];
    a7 = st[7];
    a8 = st[8];
    a9 = st[9];
    a10 = st[10];
    a11 = st[11];
    a12 = st[12];
    a13 = st[13];
    a14 = st[14];
    a15 = st[15];
    a16 = st[16];
    a17 = st[17];
    a18 = st[18];
    a19 = st[19];
    a20 = st[20];
    a21 = st[21];
    a22 = st[22];
    a23 = st[23];
    a24 = st[24];
    for (int round = 0; round < 24; round++) {
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
        d0 = c4 ^ rol(c1, 1);
        d1 = c0 ^ rol(c2, 1);
        d2 = c1 ^ rol(c3, 1);
        d3 = c2 ^ rol(c4, 1);
        d4 = c3 ^ rol(c0, 1);
        b0 = a0 ^ d0;
        b16 = rol(a5 ^ d0, 36);
        b7 = rol(a10 ^ d0, 3);
        b23 = rol(a15 ^ d0, 41);
        b14 = rol(a20 ^ d0, 18);
        b10 = rol(a1 ^ d1, 1);
        b1 = rol(a6 ^ d1, 44);
        b17 = rol(a11 ^ d1, 10);
        b8 = rol(a16 ^ d1, 45);
        b24 = rol(a21 ^ d1, 2);
        b20 = rol(a2 ^ d2, 62);
        b11 = rol(a7 ^ d2, 6);
        b2 = rol(a12 ^ d2, 43);
        b18 = rol(a17 ^ d2, 15);
        b9 = rol(a22 ^ d2, 61);
        b5 = rol(a3 ^ d3, 28);
        b21 = rol(a8 ^ d3, 55);
        b12 = rol(a13 ^ d3, 25);
        b3 = rol(a18 ^ d3, 21);
        b19 = rol(a23 ^ d3, 56);
        b15 = rol(a4 ^ d4, 27);
        b6 = rol(a9 ^ d4, 20);
        b22 = rol(a14 ^ d4, 39);
        b13 = rol(a19 ^ d4, 8);
        b4 = rol(a24 ^ d4, 14);
        a0 = b0 ^ (~b1 & b2);
        a1 = b1 ^ (~b2 & b3);
        a2 = b2 ^ (~b3 & b4);
        a3 = b3 ^ (~b4 & b0);
        a4 = b4 ^ (~b0 & b1);
        a5 = b5 ^ (~b6 & b7);
        a6 = b6 ^ (~b7 & b8);
        a7 = b7 ^ (~b8 & b9);
        a8 = b8 ^ (~b9 & b5);
        a9 = b9 ^ (~b5 & b6);
        a10 = b10 ^ (~b11 & b12);
        a11 = b11 ^ (~b12 & b13);
        a12 = b12 ^ (~b13 & b14);
        a13 = b13 ^ (~b14 & b10);
        a14 = b14 ^ (~b10 & b11);
        a15 = b15 ^ (~b16 & b17);
        a16 = b16 ^ (~b17 & b18);
        a17 = b17 ^ (~b18 & b19);
        a18 = b18 ^ (~b19 & b15);
        a19 = b19 ^ (~b15 & b16);
        a20 = b20 ^ (~b21 & b22);
        a21 = b21 ^ (~b22 & b23);
        a22 = b22 ^ (~b23 & b24);
        a23 = b23 ^ (~b24 & b20);
        a24 = b24 ^ (~b20 & b21);
        a0 ^= RC[round];
    }
    st[0] = a0;
    st[1] = a1;
    st[2] = a2;
    st[3] = a3;
    st[4] = a4;
    st[5] = a5;
    st[6] = a6;
    st[7] = a7;
    st[8] = a8;
    st[9] = a9;
    st[10] = a10;
    st[11] = a11;
    st[12] = a12;
    st[13] = a13;
    st[14] = a14;
    st[15] = a15;
    st[16] = a16;
    st[17] = a17;
    st[18] = a18;
    st[19] = a19;
    st[20] = a20;
    st[21] = a21;
    st[22] = a22;
    st[23] = a23;
    st[24] = a24;
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void dltc__shake128_fast(const void *data, size_t len, uint8_t *out, size_t outlen)
{
    enum { RATE = 168 };
    uint64_t st[25];
    memset(st, 0, sizeof(st));
    const uint8_t *p = data;
    while (len >= RATE) {
        for (int i = 0; i < RATE / 8; i++)
            st[i] ^= load64(p + 8 * i);
        keccak_f(st);
        p += RATE;
        len -= RATE;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* lanes are little-endian: the last block XORs straight into the state's bytes
     * (row ids are one short block, so this is the whole absorb) */
    uint8_t *sb = (uint8_t *)st;
    for (size_t i = 0; i < len; i++)
        sb[i] ^= p[i];
    sb[len] ^= 0x1F;
    sb[RATE - 1] ^= 0x80;
    keccak_f(st);
    while (outlen) {
        size_t n = outlen < RATE ? outlen : RATE;
        memcpy(out, sb, n);
        out += n;
        outlen -= n;
        if (outlen)
            keccak_f(st);
    }
#else
    uint8_t block[RATE];
    memset(block, 0, sizeof(block));
    memcpy(block, p, len);
    block[len] ^= 0x1F; /* SHAKE domain separation + pad10*1 start */
    block[RATE - 1] ^= 0x80;
    for (int i = 0; i < RATE / 8; i++)
        st[i] ^= load64(block + 8 * i);
    keccak_f(st);
    while (outlen) {
        size_t n = outlen < RATE ? outlen : RATE;
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(st[i / 8] >> (8 * (i % 8)));
        out += n;
        outlen -= n;
        if (outlen)
            keccak_f(st);
    }
#endif
}

#if defined(__SSE2__)
#include <emmintrin.h>

#define ROLV(x, s) _mm_or_si128(_mm_slli_epi64((x), (s)), _mm_srli_epi64((x), 64 - (s)))

/* Two Keccak-f[1600] permutations at once, one per 64-bit half of each SSE2 register:
 * the same round as keccak_f, for the nested row ids of a list taken two at a time. */
static void keccak_f_x2(__m128i st[25])
{
    __m128i a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24;
    __m128i b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20, b21, b22, b23, b24;
    __m128i c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    a0 = st[0];
    a1 = st[1];
    a2 = st[2];
    a3 = st[3];
    a4 = st[4];
    a5 = st[5];
    a6 = st[6];
    a7 = st[7];
    a8 = st[8];
    a9 = st[9];
    a10 = st[10];
    a11 = st[11];
    a12 = st[12];
    a13 = st[13];
    a14 = st[14];
    a15 = st[15];
    a16 = st[16];
    a17 = st[17];
    a18 = st[18];
    a19 = st[19];
    a20 = st[20];
    a21 = st[21];
    a22 = st[22];
    a23 = st[23];
    a24 = st[24];
    for (int round = 0; round < 24; round++) {
        c0 = _mm_xor_si128(_mm_xor_si128(_mm_xor_si128(a0, a5), _mm_xor_si128(a10, a15)), a20);
        c1 = _mm_xor_si128(_mm_xor_si128(_mm_xor_si128(a1, a6), _mm_xor_si128(a11, a16)), a21);
        c2 = _mm_xor_si128(_mm_xor_si128(_mm_xor_si128(a2, a7), _mm_xor_si128(a12, a17)), a22);
        c3 = _mm_xor_si128(_mm_xor_si128(_mm_xor_si128(a3, a8), _mm_xor_si128(a13, a18)), a23);
        c4 = _mm_xor_si128(_mm_xor_si128(_mm_xor_si128(a4, a9), _mm_xor_si128(a14, a19)), a24);
        d0 = _mm_xor_si128(c4, ROLV(c1, 1));
        d1 = _mm_xor_si128(c0, ROLV(c2, 1));
        d2 = _mm_xor_si128(c1, ROLV(c3, 1));
        d3 = _mm_xor_si128(c2, ROLV(c4, 1));
        d4 = _mm_xor_si128(c3, ROLV(c0, 1));
        b0 = _mm_xor_si128(a0, d0);
        b16 = ROLV(_mm_xor_si128(a5, d0), 36);
        b7 = ROLV(_mm_xor_si128(a10, d0), 3);
        b23 = ROLV(_mm_xor_si128(a15, d0), 41);
        b14 = ROLV(_mm_xor_si128(a20, d0), 18);
        b10 = ROLV(_mm_xor_si128(a1, d1), 1);
        b1 = ROLV(_mm_xor_si128(a6, d1), 44);
        b17 = ROLV(_mm_xor_si128(a11, d1), 10);
        b8 = ROLV(_mm_xor_si128(a16, d1), 45);
        b24 = ROLV(_mm_xor_si128(a21, d1), 2);
        b20 = ROLV(_mm_xor_si128(a2, d2), 62);
        b11 = ROLV(_mm_xor_si128(a7, d2), 6);
        b2 = ROLV(_mm_xor_si128(a12, d2), 43);
        b18 = ROLV(_mm_xor_si128(a17, d2), 15);
        b9 = ROLV(_mm_xor_si128(a22, d2), 61);
        b5 = ROLV(_mm_xor_si128(a3, d3), 28);
        b21 = ROLV(_mm_xor_si128(a8, d3), 55);
        b12 = ROLV(_mm_xor_si128(a13, d3), 25);
        b3 = ROLV(_mm_xor_si128(a18, d3), 21);
        b19 = ROLV(_mm_xor_si128(a23, d3), 56);
        b15 = ROLV(_mm_xor_si128(a4, d4), 27);
        b6 = ROLV(_mm_xor_si128(a9, d4), 20);
        b22 = ROLV(_mm_xor_si128(a14, d4), 39);
        b13 = ROLV(_mm_xor_si128(a19, d4), 8);
        b4 = ROLV(_mm_xor_si128(a24, d4), 14);
        a0 = _mm_xor_si128(b0, _mm_andnot_si128(b1, b2));
        a1 = _mm_xor_si128(b1, _mm_andnot_si128(b2, b3));
        a2 = _mm_xor_si128(b2, _mm_andnot_si128(b3, b4));
        a3 = _mm_xor_si128(b3, _mm_andnot_si128(b4, b0));
        a4 = _mm_xor_si128(b4, _mm_andnot_si128(b0, b1));
        a5 = _mm_xor_si128(b5, _mm_andnot_si128(b6, b7));
        a6 = _mm_xor_si128(b6, _mm_andnot_si128(b7, b8));
        a7 = _mm_xor_si128(b7, _mm_andnot_si128(b8, b9));
        a8 = _mm_xor_si128(b8, _mm_andnot_si128(b9, b5));
        a9 = _mm_xor_si128(b9, _mm_andnot_si128(b5, b6));
        a10 = _mm_xor_si128(b10, _mm_andnot_si128(b11, b12));
        a11 = _mm_xor_si128(b11, _mm_andnot_si128(b12, b13));
        a12 = _mm_xor_si128(b12, _mm_andnot_si128(b13, b14));
        a13 = _mm_xor_si128(b13, _mm_andnot_si128(b14, b10));
        a14 = _mm_xor_si128(b14, _mm_andnot_si128(b10, b11));
        a15 = _mm_xor_si128(b15, _mm_andnot_si128(b16, b17));
        a16 = _mm_xor_si128(b16, _mm_andnot_si128(b17, b18));
        a17 = _mm_xor_si128(b17, _mm_andnot_si128(b18, b19));
        a18 = _mm_xor_si128(b18, _mm_andnot_si128(b19, b15));
        a19 = _mm_xor_si128(b19, _mm_andnot_si128(b15, b16));
        a20 = _mm_xor_si128(b20, _mm_andnot_si128(b21, b22));
        a21 = _mm_xor_si128(b21, _mm_andnot_si128(b22, b23));
        a22 = _mm_xor_si128(b22, _mm_andnot_si128(b23, b24));
        a23 = _mm_xor_si128(b23, _mm_andnot_si128(b24, b20));
        a24 = _mm_xor_si128(b24, _mm_andnot_si128(b20, b21));
        a0 = _mm_xor_si128(a0, _mm_set1_epi64x((long long)RC[round]));
    }
    st[0] = a0;
    st[1] = a1;
    st[2] = a2;
    st[3] = a3;
    st[4] = a4;
    st[5] = a5;
    st[6] = a6;
    st[7] = a7;
    st[8] = a8;
    st[9] = a9;
    st[10] = a10;
    st[11] = a11;
    st[12] = a12;
    st[13] = a13;
    st[14] = a14;
    st[15] = a15;
    st[16] = a16;
    st[17] = a17;
    st[18] = a18;
    st[19] = a19;
    st[20] = a20;
    st[21] = a21;
    st[22] = a22;
    st[23] = a23;
    st[24] = a24;
}

void dltc__shake128_x2(const void *m0, size_t l0, const void *m1, size_t l1, uint8_t *o0,
                       uint8_t *o1, size_t outlen)
{
    enum { RATE = 168 };
    if (l0 >= RATE || l1 >= RATE || outlen > RATE) {
        dltc__shake128_fast(m0, l0, o0, outlen);
        dltc__shake128_fast(m1, l1, o1, outlen);
        return;
    }
    uint64_t s0[25], s1[25];
    memset(s0, 0, sizeof(s0));
    memset(s1, 0, sizeof(s1));
    uint8_t *b0 = (uint8_t *)s0, *b1 = (uint8_t *)s1;
    memcpy(b0, m0, l0);
    memcpy(b1, m1, l1);
    b0[l0] ^= 0x1F;
    b1[l1] ^= 0x1F;
    b0[RATE - 1] ^= 0x80;
    b1[RATE - 1] ^= 0x80;
    __m128i st[25];
    for (int i = 0; i < 25; i++)
        st[i] = _mm_set_epi64x((long long)s1[i], (long long)s0[i]);
    keccak_f_x2(st);
    for (int i = 0; i < 25; i++) {
        _mm_storel_epi64((__m128i *)&s0[i], st[i]);
        _mm_storel_epi64((__m128i *)&s1[i], _mm_unpackhi_epi64(st[i], st[i]));
    }
    memcpy(o0, b0, outlen);
    memcpy(o1, b1, outlen);
}
#else
void dltc__shake128_x2(const void *m0, size_t l0, const void *m1, size_t l1, uint8_t *o0,
                       uint8_t *o1, size_t outlen)
{
    dltc__shake128_fast(m0, l0, o0, outlen);
    dltc__shake128_fast(m1, l1, o1, outlen);
}
#endif
