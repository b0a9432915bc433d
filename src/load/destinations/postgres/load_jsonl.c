/*
 * jsonl files as COPY rows typed by the table's columns in the database: the encoder of
 * values into binary or text COPY fields, the general path (rows parsed by our JSON reader),
 * and the job, one COPY that may stay open for the next files of the same table. The fast
 * path for our writer's lines is the scanner of jsonl_scan.c.
 */
#include "load/destinations/postgres/pg_int.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/strmap.h"
#include "common/time.h"
#include "formats/json.h"
#include "load/sql.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- COPY fields ---- */

static int value_mismatch(const char *path, uint64_t line, const char *col, const char *want)
{
    return dltc__error_set(DLTC_EINVALID, "%s:%" PRIu64 ": column %s: value is not a valid %s",
                           path, line, col, want);
}

/* Base64 text into e->bytes; the byte count, or -1. */
static long decode_base64(encoder *e, const char *s, size_t len)
{
    size_t need = 3 * ((len + 3) / 4) + 1;
    if (need > e->bytes_cap) {
        uint8_t *nb = dltc__realloc(e->bytes, need);
        if (!nb)
            return -2;
        e->bytes = nb;
        e->bytes_cap = need;
    }
    return dltc__base64_decode(s, len, e->bytes);
}

/* The text of a number value (INT, BIGINT, DECIMAL, DOUBLE) into e->scratch; NULL if v is
 * not one. Non-finite doubles as Postgres spells them. */
static const char *number_text(encoder *e, const dltc_value *v, size_t *len)
{
    dltc__buf_clear(&e->scratch);
    switch (v->type) {
    case DLTC_TYPE_INT:
        if (v->lex) {
            *len = v->len;
            return v->lex;
        }
        if (dltc__json_write_int(&e->scratch, v->u.i))
            return NULL;
        break;
    case DLTC_TYPE_BIGINT:
    case DLTC_TYPE_DECIMAL:
        *len = v->len;
        return v->u.s;
    case DLTC_TYPE_DOUBLE:
        if (v->lex) {
            *len = v->len;
            return v->lex;
        }
        if (isnan(v->u.d))
            dltc__buf_puts(&e->scratch, "NaN");
        else if (isinf(v->u.d))
            dltc__buf_puts(&e->scratch, v->u.d > 0 ? "Infinity" : "-Infinity");
        else if (dltc__buf_reserve(&e->scratch, 40) == 0)
            e->scratch.len = dltc__format_double(e->scratch.data, v->u.d);
        break;
    default:
        return NULL;
    }
    *len = e->scratch.len;
    return e->scratch.data;
}

/* numeric in binary: base-10000 digits from decimal text ("-12.50", "1e+16"). -1 when the
 * text is not a number or is out of numeric's range. */
static int numeric_binary(dltc_buf *b, const char *s, size_t len)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (len - i == 3 && (!memcmp(s + i, "NaN", 3) || !memcmp(s + i, "nan", 3))) {
        if (dltc__pg_room(b, 12))
            return -2;
        char *o = b->data + b->len;
        dltc__pg_put_be32(o, 8);
        dltc__pg_put_be16(o + 4, 0);
        dltc__pg_put_be16(o + 6, 0);
        dltc__pg_put_be16(o + 8, 0xC000);
        dltc__pg_put_be16(o + 10, 0);
        b->len += 12;
        return 0;
    }
    const char *digs = s + i;
    size_t nint = 0, nfrac = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, nint++;
    const char *frac = NULL;
    if (i < len && s[i] == '.') {
        frac = s + ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, nfrac++;
    }
    if (nint + nfrac == 0)
        return -1;
    long exp10 = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        size_t st = i;
        while (i < len && s[i] >= '0' && s[i] <= '9' && exp10 < 1000000)
            exp10 = exp10 * 10 + (s[i++] - '0');
        if (i == st)
            return -1;
        if (eneg)
            exp10 = -exp10;
    }
    if (i != len)
        return -1;
    /* digit k of the mantissa (all n = nint + nfrac digits) stands for 10^(point - 1 - k) */
    size_t n = nint + nfrac;
    long point = (long)nint + exp10;
    long dscale = (long)nfrac - exp10;
    if (dscale < 0)
        dscale = 0;
#define DIG(k) ((k) < nint ? digs[k] : frac[(k) - nint])
    size_t first = 0, last = n; /* without leading and trailing zeros */
    while (first < n && DIG(first) == '0')
        first++;
    while (last > first && DIG(last - 1) == '0')
        last--;
    if (dscale > 16383 || (first < last && (point - (long)first > 131072 + 4 ||
                                            point - (long)last < -16383 - 8)))
        return -1;
    long weight = 0, ndig = 0;
    long pfirst = 0;
    if (first < last) {
        pfirst = point - 1 - (long)first; /* power of the first significant digit */
        long plast = point - (long)last;
        /* floor division by 4 */
        long gfirst = pfirst >= 0 ? pfirst / 4 : -((-pfirst + 3) / 4);
        long glast = plast >= 0 ? plast / 4 : -((-plast + 3) / 4);
        weight = gfirst;
        ndig = gfirst - glast + 1;
    }
    if (dltc__pg_room(b, 12 + 2 * (size_t)ndig))
        return -2;
    char *o = b->data + b->len;
    dltc__pg_put_be32(o, (uint32_t)(8 + 2 * ndig));
    dltc__pg_put_be16(o + 4, (uint16_t)ndig);
    dltc__pg_put_be16(o + 6, (uint16_t)(int16_t)weight);
    dltc__pg_put_be16(o + 8, neg && ndig ? 0x4000 : 0);
    dltc__pg_put_be16(o + 10, (uint16_t)dscale);
    o += 12;
    for (long g = 0; g < ndig; g++) {
        long group = weight - g; /* powers 4*group .. 4*group+3 */
        int val = 0;
        for (long p = 4 * group + 3; p >= 4 * group; p--) {
            long k = point - 1 - p; /* mantissa index of power p */
            int dg = k >= (long)first && k < (long)last ? DIG((size_t)k) - '0' : 0;
            val = val * 10 + dg;
        }
        dltc__pg_put_be16(o, (uint16_t)val);
        o += 2;
    }
#undef DIG
    b->len = (size_t)(o - b->data);
    return 0;
}

/* One cell in binary: int32 length, then the value. */
int dltc__pg_encode_binary(encoder *e, dltc_buf *b, size_t col, const dltc_value *v)
{
    const char *name = e->name[col];
    const char *s;
    size_t len;
    char *o;
    dltc_iso iso;
    switch (e->kind[col]) {
    case PK_BOOL:
        if (v->type != DLTC_TYPE_BOOL)
            return value_mismatch(e->path, e->line, name, "boolean");
        if (dltc__pg_room(b, 5))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        dltc__pg_put_be32(o, 1);
        o[4] = v->u.i ? 1 : 0;
        b->len += 5;
        return 0;
    case PK_INT2:
    case PK_INT4:
    case PK_INT8: {
        int64_t x;
        if (v->type == DLTC_TYPE_INT)
            x = v->u.i;
        else if (v->type == DLTC_TYPE_DOUBLE && v->u.d >= -9.2e18 && v->u.d <= 9.2e18 &&
                 v->u.d == (double)(int64_t)v->u.d)
            x = (int64_t)v->u.d;
        else
            return value_mismatch(e->path, e->line, name, "integer");
        pkind k = e->kind[col];
        if ((k == PK_INT2 && (x < INT16_MIN || x > INT16_MAX)) ||
            (k == PK_INT4 && (x < INT32_MIN || x > INT32_MAX)))
            return dltc__error_set(DLTC_EINVALID,
                                   "%s:%" PRIu64 ": column %s: %" PRId64 " is out of range",
                                   e->path, e->line, name, x);
        size_t w = k == PK_INT2 ? 2 : k == PK_INT4 ? 4 : 8;
        if (dltc__pg_room(b, 4 + w))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        dltc__pg_put_be32(o, (uint32_t)w);
        if (w == 2)
            dltc__pg_put_be16(o + 4, (uint16_t)x);
        else if (w == 4)
            dltc__pg_put_be32(o + 4, (uint32_t)x);
        else
            dltc__pg_put_be64(o + 4, (uint64_t)x);
        b->len += 4 + w;
        return 0;
    }
    case PK_FLOAT4:
    case PK_FLOAT8: {
        double x;
        if (v->type == DLTC_TYPE_DOUBLE)
            x = v->u.d;
        else if (v->type == DLTC_TYPE_INT)
            x = (double)v->u.i;
        else if (v->type == DLTC_TYPE_BIGINT || v->type == DLTC_TYPE_DECIMAL)
            x = dltc__json_strtod(v->u.s, NULL);
        else
            return value_mismatch(e->path, e->line, name, "number");
        if (dltc__pg_room(b, 12))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        if (e->kind[col] == PK_FLOAT4) {
            float f = (float)x;
            uint32_t u;
            memcpy(&u, &f, 4);
            dltc__pg_put_be32(o, 4);
            dltc__pg_put_be32(o + 4, u);
            b->len += 8;
        } else {
            uint64_t u;
            memcpy(&u, &x, 8);
            dltc__pg_put_be32(o, 8);
            dltc__pg_put_be64(o + 4, u);
            b->len += 12;
        }
        return 0;
    }
    case PK_NUMERIC: {
        if (v->type == DLTC_TYPE_STRING) {
            s = v->u.s;
            len = v->len;
        } else if (!(s = number_text(e, v, &len))) {
            return value_mismatch(e->path, e->line, name, "decimal");
        }
        int r = numeric_binary(b, s, len);
        if (r == -2)
            return DLTC_ENOMEM;
        return r ? value_mismatch(e->path, e->line, name, "decimal") : 0;
    }
    case PK_BYTEA: {
        if (v->type != DLTC_TYPE_STRING)
            return value_mismatch(e->path, e->line, name, "base64 string");
        long n = decode_base64(e, v->u.s, v->len);
        if (n == -2)
            return dltc__error_oom();
        if (n < 0 || n > INT32_MAX)
            return value_mismatch(e->path, e->line, name, "base64 string");
        if (dltc__pg_room(b, 4 + (size_t)n))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        dltc__pg_put_be32(o, (uint32_t)n);
        memcpy(o + 4, e->bytes, (size_t)n);
        b->len += 4 + (size_t)n;
        return 0;
    }
    case PK_DATE:
    case PK_TIME:
    case PK_TIMESTAMP:
    case PK_TIMESTAMPTZ: {
        if (v->type != DLTC_TYPE_STRING || dltc__iso_parse(v->u.s, v->len, &iso) != 0)
            return value_mismatch(e->path, e->line, name, "ISO date/time");
        pkind k = e->kind[col];
        int64_t x;
        if ((k == PK_TIMESTAMP || k == PK_TIMESTAMPTZ) && iso.kind == DLTC_ISO_DATETIME)
            x = iso.value - PG_EPOCH_US;
        else if ((k == PK_TIMESTAMP || k == PK_TIMESTAMPTZ) && iso.kind == DLTC_ISO_DATE)
            x = iso.value * 86400000000LL - PG_EPOCH_US;
        else if (k == PK_TIME && iso.kind == DLTC_ISO_TIME)
            x = iso.value;
        else if (k == PK_DATE && iso.kind == DLTC_ISO_DATE)
            x = iso.value - PG_EPOCH_DAYS;
        else
            return value_mismatch(e->path, e->line, name, "ISO date/time");
        if (dltc__pg_room(b, 12))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        if (k == PK_DATE) {
            dltc__pg_put_be32(o, 4);
            dltc__pg_put_be32(o + 4, (uint32_t)(int32_t)x);
            b->len += 8;
        } else {
            dltc__pg_put_be32(o, 8);
            dltc__pg_put_be64(o + 4, (uint64_t)x);
            b->len += 12;
        }
        return 0;
    }
    default: { /* text, json, jsonb */
        int jsonb = e->kind[col] == PK_JSONB;
        int as_json = jsonb || e->kind[col] == PK_JSON;
        if (!as_json && v->type == DLTC_TYPE_STRING) {
            s = v->u.s;
            len = v->len;
        } else if (!as_json && (s = number_text(e, v, &len))) {
            /* numbers as their text */
        } else {
            dltc__buf_clear(&e->scratch);
            if (dltc__json_write(&e->scratch, v))
                return DLTC_ENOMEM;
            s = e->scratch.data;
            len = e->scratch.len;
        }
        if (len > INT32_MAX - 1)
            return dltc__error_set(DLTC_ELIMIT, "%s:%" PRIu64 ": column %s: value too long",
                                   e->path, e->line, name);
        if (dltc__pg_room(b, 5 + len))
            return DLTC_ENOMEM;
        o = b->data + b->len;
        dltc__pg_put_be32(o, (uint32_t)(len + (size_t)jsonb));
        o += 4;
        if (jsonb)
            *o++ = 1; /* jsonb's binary format version */
        memcpy(o, s, len);
        b->len += 4 + (size_t)jsonb + len;
        return 0;
    }
    }
}

/* s escaped for COPY's text format (backslash, tab, newline, carriage return). */
static int put_copy_text(dltc_buf *b, const char *s, size_t len)
{
    size_t extra = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        extra += c == '\\' || c == '\t' || c == '\n' || c == '\r';
    }
    if (dltc__pg_room(b, len + extra))
        return DLTC_ENOMEM;
    char *o = b->data + b->len;
    if (!extra) {
        memcpy(o, s, len);
        b->len += len;
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            *o++ = '\\';
            *o++ = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        } else {
            *o++ = c;
        }
    }
    b->len = (size_t)(o - b->data);
    return 0;
}

/* One cell in COPY's text format (the caller writes the tab before it). */
static int encode_text(encoder *e, dltc_buf *b, size_t col, const dltc_value *v)
{
    const char *name = e->name[col];
    const char *s;
    size_t len;
    switch (e->kind[col]) {
    case PK_BOOL:
        if (v->type != DLTC_TYPE_BOOL)
            return value_mismatch(e->path, e->line, name, "boolean");
        return dltc__buf_putc(b, v->u.i ? 't' : 'f');
    case PK_INT2:
    case PK_INT4:
    case PK_INT8:
        if (v->type == DLTC_TYPE_DOUBLE && v->u.d >= -9.2e18 && v->u.d <= 9.2e18 &&
            v->u.d == (double)(int64_t)v->u.d)
            return dltc__json_write_int(b, (int64_t)v->u.d);
        if (v->type != DLTC_TYPE_INT && v->type != DLTC_TYPE_BIGINT)
            return value_mismatch(e->path, e->line, name, "integer");
        s = number_text(e, v, &len);
        return dltc__buf_put(b, s, len);
    case PK_FLOAT4:
    case PK_FLOAT8:
    case PK_NUMERIC:
        if (v->type == DLTC_TYPE_STRING && e->kind[col] == PK_NUMERIC)
            return put_copy_text(b, v->u.s, v->len);
        if (!(s = number_text(e, v, &len)))
            return value_mismatch(e->path, e->line, name, "number");
        return dltc__buf_put(b, s, len);
    case PK_BYTEA: {
        if (v->type != DLTC_TYPE_STRING)
            return value_mismatch(e->path, e->line, name, "base64 string");
        long n = decode_base64(e, v->u.s, v->len);
        if (n == -2)
            return dltc__error_oom();
        if (n < 0)
            return value_mismatch(e->path, e->line, name, "base64 string");
        if (dltc__pg_room(b, 3 + 2 * (size_t)n))
            return DLTC_ENOMEM;
        static const char hex[] = "0123456789abcdef";
        char *o = b->data + b->len;
        *o++ = '\\';
        *o++ = '\\';
        *o++ = 'x';
        for (long k = 0; k < n; k++) {
            *o++ = hex[e->bytes[k] >> 4];
            *o++ = hex[e->bytes[k] & 15];
        }
        b->len = (size_t)(o - b->data);
        return 0;
    }
    case PK_JSON:
    case PK_JSONB:
        dltc__buf_clear(&e->scratch);
        if (dltc__json_write(&e->scratch, v))
            return DLTC_ENOMEM;
        return put_copy_text(b, e->scratch.data, e->scratch.len);
    default: /* text, dates and times (the server parses the ISO text), other types */
        if (v->type == DLTC_TYPE_STRING)
            return put_copy_text(b, v->u.s, v->len);
        if ((s = number_text(e, v, &len)))
            return dltc__buf_put(b, s, len);
        dltc__buf_clear(&e->scratch);
        if (dltc__json_write(&e->scratch, v))
            return DLTC_ENOMEM;
        return put_copy_text(b, e->scratch.data, e->scratch.len);
    }
}

/* One row (slot[i] NULL: a NULL cell). */
static int encode_row(encoder *e, dltc_buf *b, const dltc_value *const *slot)
{
    size_t start = b->len;
    int rc = 0;
    if (e->binary) {
        if (dltc__pg_room(b, 2))
            return DLTC_ENOMEM;
        dltc__pg_put_be16(b->data + b->len, (uint16_t)e->ncols);
        b->len += 2;
        for (size_t i = 0; !rc && i < e->ncols; i++) {
            if (!slot[i] || slot[i]->type == DLTC_TYPE_NULL) {
                if (!(rc = dltc__pg_room(b, 4))) {
                    dltc__pg_put_be32(b->data + b->len, 0xFFFFFFFFu);
                    b->len += 4;
                }
            } else {
                rc = dltc__pg_encode_binary(e, b, i, slot[i]);
            }
        }
    } else {
        for (size_t i = 0; !rc && i < e->ncols; i++) {
            if (i)
                rc = dltc__buf_putc(b, '\t');
            if (rc)
                break;
            if (!slot[i] || slot[i]->type == DLTC_TYPE_NULL)
                rc = dltc__buf_put(b, "\\N", 2);
            else
                rc = encode_text(e, b, i, slot[i]);
        }
        if (!rc)
            rc = dltc__buf_putc(b, '\n');
    }
    if (rc == DLTC_ENOMEM)
        rc = dltc__error_oom();
    if (rc) {
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
    }
    return rc;
}

/* Kinds the binary encoder writes. */
static int binary_kind(pkind k)
{
    return k != PK_OTHER && k != PK_TIMETZ;
}

/* ---- rows through our JSON reader ---- */

int dltc__pg_jsonl_grow_hint(jsonl_job *j, size_t n)
{
    if (n <= j->nhint)
        return 0;
    size_t cap = j->nhint * 2 > n ? j->nhint * 2 : n;
    size_t *nh = dltc__realloc(j->hint, cap * sizeof(size_t));
    if (!nh)
        return dltc__error_oom();
    for (size_t k = j->nhint; k < cap; k++)
        nh[k] = SIZE_MAX;
    j->hint = nh;
    j->nhint = cap;
    return 0;
}

/* One row parsed by our JSON reader: its members mapped to the COPY columns, then encoded.
 * A key the table lacks is an error unless its value is null. */
int dltc__pg_jsonl_map_item(jsonl_job *j, const dltc_value *item)
{
    encoder *e = &j->e;
    int rc = 0;
    if (item->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": a row is not a JSON object", j->path,
                               e->line);
    if ((rc = dltc__pg_jsonl_grow_hint(j, item->len)) != 0)
        return rc;
    for (uint32_t m = 0; !rc && m < item->len; m++) {
        const dltc_member *mem = &item->u.obj[m];
        size_t c = j->hint[m];
        size_t klen = dltc__pg_ident_len(mem->key, mem->klen);
        if (c == SIZE_MAX || e->nlen[c] != klen || memcmp(e->name[c], mem->key, klen) != 0) {
            if (!dltc__strmap_get(&j->bykey, mem->key, klen, &c)) {
                if (mem->val.type == DLTC_TYPE_NULL)
                    continue;
                rc = dltc__error_set(DLTC_EINVALID, "%s:%" PRIu64 ": column %s is not in table %s",
                                     j->path, e->line, mem->key, j->t->name);
                break;
            }
            j->hint[m] = c;
        }
        j->slot[c] = &mem->val;
    }
    if (!rc)
        rc = encode_row(e, &j->s.out, j->slot);
    if (!rc)
        j->sent++;
    memset(j->slot, 0, e->ncols * sizeof(*j->slot));
    if (!rc)
        rc = dltc__pg_copy_maybe_flush(&j->s);
    return rc;
}

/* The file through our JSON reader, rows from line `from` on (those before it were sent
 * already). */
int dltc__pg_jsonl_load_items(jsonl_job *j, dltc_json_reader *rd, uint64_t from)
{
    int rc = 0;
    while (!rc) {
        dltc_value *item;
        if (j->arena.used > (8u << 20))
            dltc__arena_reset(&j->arena);
        rc = dltc__json_reader_next(rd, &j->arena, &item);
        if (rc == DLTC_ITEROVER)
            return 0;
        if (rc)
            break;
        j->e.line = dltc__json_reader_item_line(rd);
        if (j->e.line >= from)
            rc = dltc__pg_jsonl_map_item(j, item);
    }
    return rc;
}

/* ---- the job: one COPY for one file or more ---- */

/* Free a job (its COPY already ended). */
static void job_free(jsonl_job *j)
{
    if (!j)
        return;
    dltc__free(j->hint);
    dltc__arena_free(&j->arena);
    dltc__buf_free(&j->tmp);
    dltc__buf_free(&j->reord);
    dltc__buf_free(&j->e.scratch);
    dltc__buf_free(&j->s.out);
    dltc__free(j->e.bytes);
    dltc__free(j->e.kind);
    dltc__free(j->e.name);
    dltc__free(j->e.nlen);
    dltc__free(j->slot);
    dltc__free(j->plain);
    dltc__free(j->kt);
    dltc__free(j->seen);
    dltc__free(j->off);
    dltc__free(j->flen);
    dltc__strmap_free(&j->bykey);
    dltc__table_free(j->own);
    dltc__free(j->dataset);
    dltc__free(j);
}

/* A job for table t (copied into the job: it may outlive the caller's) and its COPY begun. */
static int job_start(pg_dest *d, const char *dataset, const dltc_table *src, const char *path,
                     jsonl_job **out)
{
    *out = NULL;
    dbcol *dbc = NULL;
    size_t ndb = 0;
    int exists = 0;
    int rc = dltc__pg_table_info(d, dataset, src->name, &dbc, &ndb, &exists);
    if (rc)
        return rc;
    if (!exists) {
        dltc__pg_dbcols_free(dbc, ndb);
        return dltc__error_set(DLTC_ENOTFOUND, "%s: table %s%s%s does not exist", path,
                               dataset ? dataset : "", dataset ? "." : "", src->name);
    }
    jsonl_job *j = dltc__calloc(1, sizeof(*j));
    if (!j) {
        dltc__pg_dbcols_free(dbc, ndb);
        return dltc__error_oom();
    }
    encoder *e = &j->e;
    e->path = j->path = path;
    dltc__arena_init(&j->arena, 64u * 1024u);
    rc = dltc__table_clone(src, &j->own);
    if (!rc && dataset && !(j->dataset = dltc__strdup(dataset)))
        rc = dltc__error_oom();
    const dltc_table *t = j->t = j->own;
    dltc_strmap dbmap = DLTC_STRMAP_INIT; /* database column name -> index */
    dltc_buf sql = DLTC_BUF_INIT;
    size_t nc = rc ? 0 : t->ncols + 1;
    if (!rc) {
        e->kind = dltc__calloc(nc, sizeof(*e->kind));
        e->name = dltc__calloc(nc, sizeof(*e->name));
        e->nlen = dltc__calloc(nc, sizeof(*e->nlen));
        j->slot = dltc__calloc(nc, sizeof(*j->slot));
        j->plain = dltc__calloc(nc, sizeof(*j->plain));
        j->kt = dltc__calloc(nc, KEY_SLOT);
        j->seen = dltc__calloc(nc, sizeof(*j->seen));
        j->off = dltc__calloc(nc, sizeof(*j->off));
        j->flen = dltc__calloc(nc, sizeof(*j->flen));
        if (!e->kind || !e->name || !e->nlen || !j->slot || !j->plain || !j->kt || !j->seen ||
            !j->off || !j->flen)
            rc = dltc__error_oom();
    }
    for (size_t i = 0; !rc && i < ndb; i++)
        rc = dltc__strmap_put(&dbmap, dbc[i].name, strlen(dbc[i].name), i);
    /* the COPY columns: the complete columns of t that the database table has */
    const char *force = getenv("DLTC_PG_COPY");
    e->binary = !(force && !strcmp(force, "text"));
    for (size_t i = 0; !rc && i < t->ncols; i++) {
        const dltc_column *c = &t->cols[i];
        size_t k, nlen = dltc__pg_ident_len(c->name, strlen(c->name));
        if (c->data_type == DLTC_DT_UNSET || !dltc__strmap_get(&dbmap, c->name, nlen, &k))
            continue;
        e->kind[e->ncols] = dltc__pg_kind_of(dbc[k].oid);
        e->name[e->ncols] = c->name;
        e->nlen[e->ncols] = nlen;
        j->plain[e->ncols] = nlen == strlen(c->name) && dltc__utf8_check(c->name, nlen) == nlen;
        for (size_t b = 0; b < nlen; b++)
            if ((unsigned char)c->name[b] < 0x20 || c->name[b] == '"' || c->name[b] == '\\')
                j->plain[e->ncols] = 0;
        if (j->plain[e->ncols]) {
            memcpy(j->kt + e->ncols * KEY_SLOT, c->name, nlen);
            j->kt[e->ncols * KEY_SLOT + nlen] = '"';
        }
        if (!binary_kind(e->kind[e->ncols]))
            e->binary = 0;
        rc = dltc__strmap_put(&j->bykey, c->name, nlen, e->ncols);
        if (!rc)
            rc = dltc__buf_puts(&sql, e->ncols ? ", " : "");
        if (!rc)
            rc = dltc__sql_ident(&sql, c->name);
        e->ncols++;
    }
    if (!rc && e->ncols == 0)
        rc = dltc__error_set(DLTC_EINVALID, "%s: table %s has no columns to load", path, t->name);
    if (!rc) {
        dltc_buf head = DLTC_BUF_INIT;
        rc = dltc__buf_puts(&head, "COPY ");
        if (!rc)
            rc = dltc__pg_put_target(&head, dataset, t->name);
        if (!rc)
            rc = dltc__buf_printf(&head, " (%s) FROM STDIN WITH (FORMAT %s)", sql.data,
                                  e->binary ? "binary" : "text");
        if (!rc)
            rc = dltc__pg_copy_begin(&j->s, d, head.data, path);
        dltc__buf_free(&head);
    }
    if (!rc && e->binary) {
        static const char sig[] = "PGCOPY\n\377\r\n";
        rc = dltc__buf_put(&j->s.out, sig, 11);
        if (!rc)
            rc = dltc__buf_put(&j->s.out, "\0\0\0\0\0\0\0\0", 8); /* flags, extension length */
    }
    dltc__buf_free(&sql);
    dltc__strmap_free(&dbmap);
    dltc__pg_dbcols_free(dbc, ndb);
    if (rc) {
        dltc__pg_copy_end(&j->s, 1, NULL);
        job_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

/* The rows of one file into the job's COPY. */
static int job_file(jsonl_job *j, const char *path)
{
    j->path = j->e.path = j->s.path = path;
    const char *how = getenv("DLTC_PG_JSONL");
    int rc = 0;
    if (j->e.binary && !(how && !strcmp(how, "reader"))) {
        rc = dltc__pg_jsonl_scan_file(j, path);
    } else {
        dltc_json_reader *rd = NULL;
        dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
        rc = dltc__json_reader_open_file(&rd, path, &ro);
        if (!rc)
            rc = dltc__pg_jsonl_load_items(j, rd, 0);
        dltc__json_reader_free(rd);
    }
    return rc;
}

/* End the job's COPY (aborted when `failed`: the last error says why) and free it. */
int dltc__pg_jsonl_end(jsonl_job *j, int failed)
{
    int rc = 0;
    if (!failed && j->e.binary)
        rc = dltc__buf_put(&j->s.out, "\377\377", 2); /* trailer */
    uint64_t n = 0;
    int erc = dltc__pg_copy_end(&j->s, failed || rc, &n);
    if (!rc)
        rc = erc;
    if (!rc && !failed && n != j->sent)
        rc = dltc__error_set(DLTC_EDATABASE, "%s: the server took %" PRIu64 " rows of %" PRIu64,
                             j->path, n, j->sent);
    job_free(j);
    return rc;
}

/* Complete the COPY a load left open for more files (before any other statement). */
int dltc__pg_finish_open(pg_dest *d)
{
    jsonl_job *j = d->open;
    d->open = NULL;
    return j ? dltc__pg_jsonl_end(j, 0) : 0;
}

/* Another file for the open COPY: the same target and the same columns. */
static int continues(const jsonl_job *j, const char *dataset, const dltc_table *t)
{
    const dltc_table *o = j->own;
    if ((!dataset) != (!j->dataset) || (dataset && strcmp(dataset, j->dataset)) ||
        strcmp(o->name, t->name) || o->ncols != t->ncols)
        return 0;
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(o->cols[i].name, t->cols[i].name) ||
            o->cols[i].data_type != t->cols[i].data_type)
            return 0;
    return 1;
}

/* jsonl → COPY: binary (the figures in pg_int.h), or text when the table has a
 * column type the binary encoder does not write, or with DLTC_PG_COPY=text. Keys map to the
 * table's columns as the server names them (63 bytes); a key the table lacks is an error
 * unless its value is null. Binary rows are read by jsonl_scan.c (DLTC_PG_JSONL=reader:
 * all by our JSON reader, so tests can compare the two). With `more` the COPY stays open
 * for the next file of the same table and columns: PG 15 takes 1M rows as one COPY in
 * 0.75 s of server time, as 16 COPYs of 64K rows in 1.06 s (its bulk-insert buffer ring
 * starts over with every statement). */
int dltc__pg_load_jsonl(pg_dest *d, const char *dataset, const dltc_table *t, const char *path,
                        int more, uint64_t *rows)
{
    jsonl_job *j = d->open;
    d->open = NULL;
    int rc = 0;
    if (j && !continues(j, dataset, t)) {
        rc = dltc__pg_jsonl_end(j, 0);
        j = NULL;
    }
    if (!rc && !j)
        rc = job_start(d, dataset, t, path, &j);
    if (rc)
        return rc;
    uint64_t before = j->sent;
    rc = job_file(j, path);
    if (rc) {
        dltc__pg_jsonl_end(j, 1);
        return rc;
    }
    *rows += j->sent - before;
    if (more) {
        d->open = j;
        return 0;
    }
    return dltc__pg_jsonl_end(j, 0);
}
