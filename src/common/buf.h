/* Growable byte buffer with an optional size limit (every buffer that grows from input has
 * one). Always NUL-terminated after a successful operation. */
#ifndef DLTC_COMMON_BUF_H
#define DLTC_COMMON_BUF_H

#include <stddef.h>
#include <string.h>

#include "common/error.h"

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    size_t limit; /* 0 = no limit */
} dltc_buf;

#define DLTC_BUF_INIT {NULL, 0, 0, 0}

/* Make room for `extra` more bytes (plus the NUL). 0, DLTC_ENOMEM or DLTC_ELIMIT. */
int dltc__buf_reserve(dltc_buf *b, size_t extra);
int dltc__buf_printf(dltc_buf *b, const char *fmt, ...) DLTC_PRINTF(2, 3);
void dltc__buf_free(dltc_buf *b);
/* Hand the bytes to the caller (who frees them with dltc__free); the buffer is emptied. */
char *dltc__buf_detach(dltc_buf *b);

static inline int dltc__buf_put(dltc_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len <= n) {
        int rc = dltc__buf_reserve(b, n);
        if (rc)
            return rc;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static inline int dltc__buf_putc(dltc_buf *b, char c)
{
    if (b->cap - b->len <= 1) {
        int rc = dltc__buf_reserve(b, 1);
        if (rc)
            return rc;
    }
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}

static inline int dltc__buf_puts(dltc_buf *b, const char *s)
{
    return dltc__buf_put(b, s, strlen(s));
}

static inline void dltc__buf_clear(dltc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

#endif
