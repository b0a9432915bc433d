#include "formats/typed_json.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "formats/json.h"

#include <string.h>

/* U+F026.. in UTF-8: EF 80 A6.. */
static int put_tagged(dltc_buf *b, unsigned char tag, const char *s, size_t n)
{
    dltc_buf tmp = DLTC_BUF_INIT;
    char pre[3] = {(char)0xEF, (char)0x80, (char)tag};
    int rc = dltc__buf_put(&tmp, pre, 3);
    if (!rc)
        rc = dltc__buf_put(&tmp, s, n);
    if (!rc)
        rc = dltc__json_write_string(b, tmp.data, tmp.len);
    dltc__buf_free(&tmp);
    return rc;
}

typedef struct {
    size_t every;
    int (*flush)(void *ctx, dltc_buf *b);
    void *ctx;
} stream_out;

static int write_value(dltc_buf *b, const dltc_value *v, const stream_out *so);

typedef struct {
    dltc_buf *b;
    const stream_out *so;
} element_out;

static int write_element(void *ctx, dltc_arena *arena, dltc_value *e, size_t i)
{
    (void)arena;
    element_out *eo = ctx;
    int rc = i ? dltc__buf_putc(eo->b, ',') : 0;
    if (!rc)
        rc = write_value(eo->b, e, eo->so);
    if (!rc && eo->so->flush && eo->b->len > eo->so->every)
        rc = eo->so->flush(eo->so->ctx, eo->b);
    return rc;
}

static int write_deferred(dltc_buf *b, const dltc_value *v, const stream_out *so)
{
    element_out eo = {b, so};
    int rc = dltc__buf_putc(b, '[');
    if (!rc)
        rc = dltc__json_deferred_each(v, 0, write_element, &eo);
    return rc ? rc : dltc__buf_putc(b, ']');
}

int dltc__typed_json_write(dltc_buf *b, const dltc_value *v)
{
    stream_out so = {0, NULL, NULL};
    return write_value(b, v, &so);
}

int dltc__typed_json_write_stream(dltc_buf *b, const dltc_value *v, size_t every,
                                  int (*flush)(void *ctx, dltc_buf *b), void *ctx)
{
    stream_out so = {every, flush, ctx};
    return write_value(b, v, &so);
}

static int write_value(dltc_buf *b, const dltc_value *v, const stream_out *so)
{
    char tmp[DLTC_ISO_MAX];
    int rc;
    switch (v->type) {
    case DLTC_TYPE_TIMESTAMP: {
        size_t n = (v->flags & DLTC_VF_TZ) ? dltc__format_timestamp(tmp, v->u.i)
                                           : dltc__format_timestamp_naive(tmp, v->u.i);
        return put_tagged(b, 0xA7, tmp, n);
    }
    case DLTC_TYPE_DATE:
        return put_tagged(b, 0xA8, tmp, dltc__format_date(tmp, (int32_t)v->u.i));
    case DLTC_TYPE_TIME:
        return put_tagged(b, 0xAD, tmp, dltc__format_time(tmp, v->u.i));
    case DLTC_TYPE_DECIMAL:
        return put_tagged(b, 0xA6, v->u.s, v->len);
    case DLTC_TYPE_BINARY: {
        dltc_buf enc = DLTC_BUF_INIT;
        rc = dltc__buf_reserve(&enc, 4 * ((size_t)v->len / 3 + 1) + 1);
        if (!rc) {
            enc.len = dltc__base64_encode((const uint8_t *)v->u.s, v->len, enc.data, 1);
            rc = put_tagged(b, 0xAB, enc.data, enc.len);
        }
        dltc__buf_free(&enc);
        return rc;
    }
    case DLTC_TYPE_ARRAY:
        if (v->flags & DLTC_VF_DEFERRED)
            return write_deferred(b, v, so);
        if ((rc = dltc__buf_putc(b, '[')))
            return rc;
        for (uint32_t i = 0; i < v->len; i++) {
            if (i && (rc = dltc__buf_putc(b, ',')))
                return rc;
            if ((rc = write_value(b, &v->u.arr[i], so)))
                return rc;
        }
        return dltc__buf_putc(b, ']');
    case DLTC_TYPE_OBJECT:
        if ((rc = dltc__buf_putc(b, '{')))
            return rc;
        for (uint32_t i = 0; i < v->len; i++) {
            if (i && (rc = dltc__buf_putc(b, ',')))
                return rc;
            const dltc_member *m = &v->u.obj[i];
            if ((rc = dltc__json_write_string(b, m->key, m->klen)) ||
                (rc = dltc__buf_putc(b, ':')) || (rc = write_value(b, &m->val, so)))
                return rc;
        }
        return dltc__buf_putc(b, '}');
    default:
        return dltc__json_write(b, v);
    }
}

static int decode_string(dltc_arena *a, dltc_value *v)
{
    const unsigned char *s = (const unsigned char *)v->u.s;
    if (v->len < 3 || s[0] != 0xEF || s[1] != 0x80 || s[2] < 0xA6 || s[2] > 0xAD)
        return 0;
    const char *body = v->u.s + 3;
    size_t n = v->len - 3;
    dltc_iso iso;
    switch (s[2]) {
    case 0xA7: /* datetime */
        if (dltc__iso_parse(body, n, &iso) || iso.kind != DLTC_ISO_DATETIME)
            return 0;
        dltc__value_set_type(v, DLTC_TYPE_TIMESTAMP);
        v->u.i = iso.value;
        v->flags = iso.has_tz ? DLTC_VF_TZ : 0;
        return 0;
    case 0xA8: /* date */
        if (dltc__iso_parse(body, n, &iso) || iso.kind != DLTC_ISO_DATE)
            return 0;
        dltc__value_set_type(v, DLTC_TYPE_DATE);
        v->u.i = iso.value;
        return 0;
    case 0xAD: /* time */
        if (dltc__iso_parse(body, n, &iso) || iso.kind != DLTC_ISO_TIME)
            return 0;
        dltc__value_set_type(v, DLTC_TYPE_TIME);
        v->u.i = iso.value;
        return 0;
    case 0xA6: /* decimal */
    case 0xAC: /* wei */ {
        char *t = dltc__arena_strndup(a, body, n);
        if (!t)
            return dltc_error_last()->code;
        dltc__value_set_type(v, s[2] == 0xA6 ? DLTC_TYPE_DECIMAL : DLTC_TYPE_BIGINT);
        v->u.s = t;
        v->len = (uint32_t)n;
        return 0;
    }
    case 0xAB: { /* bytes, base64 */
        uint8_t *out = dltc__arena_alloc(a, n + 4);
        if (!out)
            return dltc_error_last()->code;
        long got = dltc__base64_decode(body, n, out);
        if (got < 0)
            return 0;
        dltc__value_set_type(v, DLTC_TYPE_BINARY);
        v->u.s = (const char *)out;
        v->len = (uint32_t)got;
        return 0;
    }
    default:
        return 0;
    }
}

int dltc__typed_json_decode(dltc_arena *a, dltc_value *v)
{
    int rc = 0;
    if (v->type == DLTC_TYPE_STRING)
        return decode_string(a, v);
    if (v->type == DLTC_TYPE_ARRAY)
        for (uint32_t i = 0; i < v->len && !rc; i++)
            rc = dltc__typed_json_decode(a, &v->u.arr[i]);
    else if (v->type == DLTC_TYPE_OBJECT)
        for (uint32_t i = 0; i < v->len && !rc; i++)
            rc = dltc__typed_json_decode(a, &v->u.obj[i].val);
    return rc;
}
