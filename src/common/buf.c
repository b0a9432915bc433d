#include "common/buf.h"
#include "common/alloc.h"

#include <stdarg.h>
#include <stdio.h>

int dltc__buf_reserve(dltc_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len)
        return dltc__error_oom();
    if (b->limit && need > b->limit + 1)
        return dltc__error_set(DLTC_ELIMIT, "buffer limit of %zu bytes exceeded", b->limit);
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap * 2;
    if (b->limit && cap > b->limit + 1)
        cap = b->limit + 1;
    char *d = dltc__realloc(b->data, cap);
    if (!d)
        return dltc__error_oom();
    b->data = d;
    b->cap = cap;
    return 0;
}

int dltc__buf_printf(dltc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return dltc__error_set(DLTC_ERROR, "format error");
    if ((size_t)n < sizeof(tmp))
        return dltc__buf_put(b, tmp, (size_t)n);
    int rc = dltc__buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void dltc__buf_free(dltc_buf *b)
{
    dltc__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *dltc__buf_detach(dltc_buf *b)
{
    char *d = b->data;
    if (!d)
        d = dltc__strndup("", 0);
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
