/* Deep equality of values (round-trip checks in tests and the fuzz target). Nesting is
 * walked with an explicit stack, so any depth the reader accepts can be compared. */
#include "formats/json.h"
#include "common/alloc.h"

#include <string.h>

static int scalar_equal(const dltc_value *a, const dltc_value *b)
{
    switch (a->type) {
    case DLTC_TYPE_NULL:
        return 1;
    case DLTC_TYPE_BOOL:
        return (a->u.i != 0) == (b->u.i != 0);
    case DLTC_TYPE_INT:
    case DLTC_TYPE_DATE:
    case DLTC_TYPE_TIME:
        return a->u.i == b->u.i;
    case DLTC_TYPE_TIMESTAMP:
        return a->u.i == b->u.i && (a->flags & DLTC_VF_TZ) == (b->flags & DLTC_VF_TZ);
    case DLTC_TYPE_DOUBLE:
        return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
    case DLTC_TYPE_BINARY:
        return a->len == b->len && (a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0);
    default:
        return 0;
    }
}

typedef struct {
    const dltc_value *a, *b;
    uint32_t i;
} eframe;

int dltc__json_equal(const dltc_value *a, const dltc_value *b)
{
    eframe local[32], *stk = local;
    size_t cap = 32, n = 0;
    int eq = 1;
    for (;;) {
        if (a->type != b->type) {
            eq = 0;
            break;
        }
        if (a->type == DLTC_TYPE_ARRAY || a->type == DLTC_TYPE_OBJECT) {
            if (a->len != b->len) {
                eq = 0;
                break;
            }
            if (n == cap) {
                eframe *ns = dltc__malloc(2 * cap * sizeof(eframe));
                if (!ns) {
                    eq = 0; /* cannot tell: not equal */
                    break;
                }
                memcpy(ns, stk, n * sizeof(eframe));
                if (stk != local)
                    dltc__free(stk);
                stk = ns;
                cap *= 2;
            }
            stk[n++] = (eframe){a, b, 0};
        } else if (!scalar_equal(a, b)) {
            eq = 0;
            break;
        }
        /* the next pair to compare */
        a = NULL;
        while (n > 0 && !a) {
            eframe *f = &stk[n - 1];
            if (f->i == f->a->len) {
                n--;
                continue;
            }
            uint32_t i = f->i++;
            if (f->a->type == DLTC_TYPE_ARRAY) {
                a = &f->a->u.arr[i];
                b = &f->b->u.arr[i];
                continue;
            }
            const dltc_member *x = &f->a->u.obj[i], *y = &f->b->u.obj[i];
            if (x->klen != y->klen || memcmp(x->key, y->key, x->klen) != 0) {
                eq = 0;
                n = 0;
                break;
            }
            a = &x->val;
            b = &y->val;
        }
        if (!eq || !a)
            break;
    }
    if (stk != local)
        dltc__free(stk);
    return eq;
}
