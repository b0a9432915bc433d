/* String scanning shared by the JSON reader and the Postgres loader's jsonl scanner
 * (load/destinations/postgres/jsonl_scan.c), so both read a string the same way. */
#ifndef DLTC_FORMATS_JSON_SCAN_H
#define DLTC_FORMATS_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* First byte at or after p that is '"', '\\', a control character or non-ASCII. Reads up to
 * 16 bytes past that byte: the caller's buffer is padded. */
static inline const unsigned char *dltc__json_scan_plain(const unsigned char *p)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"');
    const __m128i bs = _mm_set1_epi8('\\');
    const __m128i sp = _mm_set1_epi8(0x20);
    for (;;) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed compare: bytes >= 0x80 are negative, so `< 0x20` catches them too */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                 _mm_cmplt_epi8(v, sp));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#else
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    for (;;) {
        uint64_t w;
        memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        uint64_t xq = w ^ (ones * '"'), xb = w ^ (ones * '\\');
        uint64_t t = ((xq - ones) & ~xq) | ((xb - ones) & ~xb) | (w - ones * 0x20) | w;
        t &= highs;
        if (t)
            return p + (__builtin_ctzll(t) >> 3);
        p += 8;
    }
#endif
}

/* Decode the validated string text [s, e) (the reader's checks passed: escapes well formed,
 * surrogates paired) into o; returns the length, never more than e - s. */
size_t dltc__json_unescape(char *o, const unsigned char *s, const unsigned char *e);

#endif
