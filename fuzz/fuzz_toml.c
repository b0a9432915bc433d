/* Fuzz target of the TOML reader.
 *
 * A document that parses must give an object tree whose strings and keys are valid UTF-8,
 * whose objects have no duplicate keys, and that the JSON writer accepts. The tree is then
 * written back as TOML (every table inline, every string a basic string with escapes,
 * numbers and dates in their shortest exact form) and parsed again: it must read back equal
 * (the same types, doubles bit for bit, the same key order). A document that fails must
 * report a sane position and a one-line message. Leaks are reported by the sanitizer. */
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/time.h"
#include "formats/toml.h"
#include "formats/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_toml: %s\n", what);
        abort();
    }
}

static void put(dltc_buf *b, const char *s, size_t n)
{
    check(dltc__buf_put(b, s, n) == 0, "buffer");
}

static void puts_(dltc_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void write_string(dltc_buf *b, const char *s, size_t len)
{
    check(dltc__utf8_check(s, len) == len, "string or key is not valid UTF-8");
    puts_(b, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            put(b, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04X", ch);
            puts_(b, esc);
        } else {
            put(b, (const char *)&ch, 1);
        }
    }
    puts_(b, "\"");
}

static void write_value(dltc_buf *b, const dltc_value *v, int depth)
{
    char tmp[64];
    check(depth <= MAX_DEPTH + 1, "tree deeper than the limit");
    switch (v->type) {
    case DLTC_TYPE_BOOL:
        puts_(b, v->u.i ? "true" : "false");
        break;
    case DLTC_TYPE_INT:
        snprintf(tmp, sizeof(tmp), "%" PRId64, v->u.i);
        puts_(b, tmp);
        break;
    case DLTC_TYPE_DOUBLE:
        check(v->lex == NULL, "a double with a lexical form");
        if (isnan(v->u.d))
            puts_(b, signbit(v->u.d) ? "-nan" : "nan");
        else
            put(b, tmp, dltc__format_double(tmp, v->u.d)); /* "inf", "1e+16", "0.1" */
        break;
    case DLTC_TYPE_STRING:
        check(v->u.s[v->len] == '\0', "string not NUL-terminated");
        write_string(b, v->u.s, v->len);
        break;
    case DLTC_TYPE_TIMESTAMP:
        check((v->flags & ~DLTC_VF_TZ) == 0, "timestamp flags");
        put(b, tmp, (v->flags & DLTC_VF_TZ) ? dltc__format_timestamp(tmp, v->u.i)
                                            : dltc__format_timestamp_naive(tmp, v->u.i));
        break;
    case DLTC_TYPE_DATE:
        put(b, tmp, dltc__format_date(tmp, (int32_t)v->u.i));
        break;
    case DLTC_TYPE_TIME:
        check(v->u.i >= 0 && v->u.i < 86400LL * 1000000, "time of day out of range");
        put(b, tmp, dltc__format_time(tmp, v->u.i));
        break;
    case DLTC_TYPE_ARRAY:
        puts_(b, "[");
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                puts_(b, ", ");
            write_value(b, &v->u.arr[i], depth + 1);
        }
        puts_(b, "]");
        break;
    case DLTC_TYPE_OBJECT:
        puts_(b, "{");
        for (uint32_t i = 0; i < v->len; i++) {
            const dltc_member *m = &v->u.obj[i];
            check(m->key[m->klen] == '\0', "key not NUL-terminated");
            for (uint32_t j = 0; j < i && v->len <= 256; j++)
                check(v->u.obj[j].klen != m->klen || memcmp(v->u.obj[j].key, m->key, m->klen),
                      "duplicate key in an object");
            if (i)
                puts_(b, ", ");
            write_string(b, m->key, m->klen);
            puts_(b, " = ");
            write_value(b, &m->val, depth + 1);
        }
        puts_(b, "}");
        break;
    default:
        check(0, "unexpected value type");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v = NULL;
    dltc_toml_error err;
    int rc = dltc__toml_parse(&a, (const char *)data, size, "fuzz.toml", MAX_DEPTH, &v, &err);
    if (rc != 0) {
        check(rc == DLTC_EPARSE || rc == DLTC_ELIMIT, "unexpected error code");
        check(err.code == rc && err.offset <= size && err.line >= 1 && err.column >= 1 &&
                  err.reason && err.reason[0],
              "bad error position");
        const char *msg = dltc_error_last()->message;
        check(strncmp(msg, "fuzz.toml:", 10) == 0 && !strchr(msg, '\n'), "bad error message");
        dltc__arena_free(&a);
        return 0;
    }
    check(v && v->type == DLTC_TYPE_OBJECT, "the root is not an object");

    dltc_buf json = DLTC_BUF_INIT;
    check(dltc__json_write(&json, v) == 0, "JSON writer failed");
    dltc__buf_free(&json);

    /* write back as TOML (root members as key = value lines) and parse again */
    dltc_buf toml = DLTC_BUF_INIT;
    for (uint32_t i = 0; i < v->len; i++) {
        const dltc_member *m = &v->u.obj[i];
        write_string(&toml, m->key, m->klen);
        puts_(&toml, " = ");
        write_value(&toml, &m->val, 1);
        puts_(&toml, "\n");
    }
    dltc_arena a2;
    dltc__arena_init(&a2, 4096);
    dltc_value *back = NULL;
    rc = dltc__toml_parse(&a2, toml.data ? toml.data : "", toml.len, "back", MAX_DEPTH, &back,
                          &err);
    if (rc != 0)
        fprintf(stderr, "written: %.300s\nerror: %s\n", toml.data, dltc_error_last()->message);
    check(rc == 0, "written TOML does not parse");
    check(dltc__json_equal(v, back), "written TOML reads back different");
    dltc__arena_free(&a2);
    dltc__buf_free(&toml);
    dltc__arena_free(&a);
    return 0;
}
