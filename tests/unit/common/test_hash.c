#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "common/hash.h"

static void shake_fast_matches_openssl(void **state)
{
    (void)state;
    char msg[600];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (char)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(msg); len += (len < 200 ? 1 : 37)) {
        uint8_t a[40], b[40];
        dltc__shake128(msg, len, a, sizeof(a));
        dltc__shake128_fast(msg, len, b, sizeof(b));
        assert_memory_equal(a, b, sizeof(a));
    }
    /* longer outputs than one block */
    uint8_t a[400], b[400];
    dltc__shake128("x", 1, a, sizeof(a));
    dltc__shake128_fast("x", 1, b, sizeof(b));
    assert_memory_equal(a, b, sizeof(a));
}

/* dlt's digest128: base64(shake_128(v).digest(10)) without padding; value computed with
 * Python's hashlib for the string below. */
static void nested_row_id_known_value(void **state)
{
    (void)state;
    const char *s = "abc_users__tags_0";
    uint8_t h[10];
    char out[32];
    dltc__shake128_fast(s, strlen(s), h, sizeof(h));
    dltc__base64_encode(h, sizeof(h), out, 0);
    assert_int_equal(strlen(out), 14);
    assert_string_equal(out, "iyCVppRHkEUZeA");
}

static void shake_x2_matches_single(void **state)
{
    (void)state;
    char m0[200], m1[200];
    for (size_t i = 0; i < sizeof(m0); i++) {
        m0[i] = (char)(i * 13 + 1);
        m1[i] = (char)(i * 31 + 7);
    }
    for (size_t l0 = 0; l0 < sizeof(m0); l0 += 7)
        for (size_t l1 = 0; l1 < sizeof(m1); l1 += 11) {
            uint8_t a0[32], a1[32], b0[32], b1[32];
            dltc__shake128_x2(m0, l0, m1, l1, a0, a1, 10);
            dltc__shake128(m0, l0, b0, 10);
            dltc__shake128(m1, l1, b1, 10);
            assert_memory_equal(a0, b0, 10);
            assert_memory_equal(a1, b1, 10);
        }
}

static void base64_round_trip(void **state)
{
    (void)state;
    const uint8_t data[] = {0, 1, 2, 250, 251, 252, 253};
    for (size_t n = 0; n <= sizeof(data); n++) {
        char enc[32];
        uint8_t dec[32];
        size_t el = dltc__base64_encode(data, n, enc, 1);
        assert_int_equal(el % 4, 0);
        long dl = dltc__base64_decode(enc, el, dec);
        assert_int_equal(dl, (long)n);
        assert_memory_equal(dec, data, n);
    }
    uint8_t dec[8];
    assert_int_equal(dltc__base64_decode("a$==", 4, dec), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shake_fast_matches_openssl),
        cmocka_unit_test(nested_row_id_known_value),
        cmocka_unit_test(shake_x2_matches_single),
        cmocka_unit_test(base64_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
