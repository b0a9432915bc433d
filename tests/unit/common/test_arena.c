#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"

static void alloc_and_reset(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 128);
    char *p = dltc__arena_strndup(&a, "hello", 5);
    assert_string_equal(p, "hello");
    void *big = dltc__arena_alloc(&a, 10000); /* larger than a block */
    assert_non_null(big);
    memset(big, 1, 10000);
    assert_int_equal((uintptr_t)big % 16, 0);
    dltc__arena_reset(&a);
    assert_int_equal(a.used, 0);
    assert_non_null(dltc__arena_alloc(&a, 8));
    dltc__arena_free(&a);
}

static void grow_keeps_content(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 256);
    int *v = dltc__arena_alloc(&a, 4 * sizeof(int));
    for (int i = 0; i < 4; i++)
        v[i] = i;
    v = dltc__arena_grow(&a, v, 4 * sizeof(int), 1000 * sizeof(int));
    for (int i = 0; i < 4; i++)
        assert_int_equal(v[i], i);
    dltc__arena_free(&a);
}

static void limit_is_enforced(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 256);
    a.limit = 100;
    assert_null(dltc__arena_alloc(&a, 200));
    assert_int_equal(dltc_error_last()->code, DLTC_ELIMIT);
    dltc__arena_free(&a);
}

static void buf_limit(void **state)
{
    (void)state;
    dltc_buf b = DLTC_BUF_INIT;
    b.limit = 10;
    assert_int_equal(dltc__buf_puts(&b, "0123456789"), 0);
    assert_int_equal(dltc__buf_putc(&b, 'x'), DLTC_ELIMIT);
    assert_int_equal(dltc__buf_printf(&b, "%s", ""), 0);
    assert_string_equal(b.data, "0123456789");
    dltc__buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alloc_and_reset),
        cmocka_unit_test(grow_keeps_content),
        cmocka_unit_test(limit_is_enforced),
        cmocka_unit_test(buf_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
