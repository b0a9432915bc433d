/* YAML reader and writer on libyaml, typed like PyYAML (YAML 1.1 implicit resolvers). */
#include "formats/yaml.h"
#include "formats/json.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <yaml.h>

#define YAML_DEFAULT_DEPTH 512
#define YAML_MAX_NODES (1u << 24) /* alias expansion budget */
#define YAML_EMIT_MAX_DEPTH 4096

#define TAG_PREFIX "tag:yaml.org,2002:"

/* ---- YAML 1.1 implicit resolvers (PyYAML's regexes, hand-matched) ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static int match_null(const char *s, size_t len)
{
    return len == 0 || eq(s, len, "~") || eq(s, len, "null") || eq(s, len, "Null") ||
           eq(s, len, "NULL");
}

/* 1/0 for a YAML 1.1 boolean literal, -1 otherwise. */
static int match_bool(const char *s, size_t len)
{
    static const char *const yes[] = {"yes",  "Yes", "YES", "true", "True",
                                      "TRUE", "on",  "On",  "ON"};
    static const char *const no[] = {"no",    "No",  "NO",  "false", "False",
                                     "FALSE", "off", "Off", "OFF"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (eq(s, len, yes[i])) return 1;
        if (eq(s, len, no[i])) return 0;
    }
    return -1;
}

/* (?::[0-5]?[0-9])+ from s[*i]; needs at least one group. */
static int match_base60_groups(const char *s, size_t len, size_t *i)
{
    size_t p = *i;
    int groups = 0;
    while (p < len && s[p] == ':') {
        p++;
        if (p < len && is_digit(s[p])) {
            if (p + 1 < len && is_digit(s[p + 1]) && s[p] <= '5')
                p += 2;
            else
                p += 1;
        } else {
            return 0;
        }
        groups++;
    }
    *i = p;
    return groups > 0;
}

static size_t span(const char *s, size_t len, size_t i, const char *set)
{
    while (i < len && s[i] && strchr(set, s[i]))
        i++;
    return i;
}

#define DIGITS_ "0123456789_"

static int match_int(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    if (i >= len) return 0;
    const char *r = s + i;
    size_t rl = len - i;
    if (rl > 2 && r[0] == '0' && r[1] == 'b') return span(r, rl, 2, "01_") == rl;
    if (rl > 2 && r[0] == '0' && r[1] == 'x')
        return span(r, rl, 2, "0123456789abcdefABCDEF_") == rl;
    if (r[0] == '0') return rl == 1 || span(r, rl, 1, "01234567_") == rl;
    if (r[0] < '1' || r[0] > '9') return 0;
    size_t p = span(r, rl, 1, DIGITS_);
    if (p == rl) return 1;
    return match_base60_groups(r, rl, &p) && p == rl;
}

/* (?:[eE][-+][0-9]+)? then end */
static int match_exp_end(const char *s, size_t len, size_t p)
{
    if (p == len) return 1;
    if (s[p] != 'e' && s[p] != 'E') return 0;
    p++;
    if (p >= len || (s[p] != '-' && s[p] != '+')) return 0;
    p++;
    size_t q = span(s, len, p, "0123456789");
    return q > p && q == len;
}

static int match_float(const char *s, size_t len)
{
    if (len == 0) return 0;
    /* \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?  and  \.(?:nan|NaN|NAN) (no sign) */
    if (s[0] == '.') {
        if (eq(s, len, ".nan") || eq(s, len, ".NaN") || eq(s, len, ".NAN") || eq(s, len, ".inf") ||
            eq(s, len, ".Inf") || eq(s, len, ".INF"))
            return 1;
        if (len >= 2 && is_digit(s[1])) return match_exp_end(s, len, span(s, len, 2, DIGITS_));
        return 0;
    }
    size_t i = 0;
    if (s[i] == '-' || s[i] == '+') i++;
    if (i >= len) return 0;
    /* [-+]?\.(?:inf|Inf|INF) */
    if (s[i] == '.')
        return eq(s + i, len - i, ".inf") || eq(s + i, len - i, ".Inf") ||
               eq(s + i, len - i, ".INF");
    if (!is_digit(s[i])) return 0;
    size_t p = span(s, len, i + 1, DIGITS_);
    if (p < len && s[p] == '.') /* [0-9][0-9_]*\.[0-9_]*(exp)? */
        return match_exp_end(s, len, span(s, len, p + 1, DIGITS_));
    /* [0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* */
    if (!match_base60_groups(s, len, &p) || p >= len || s[p] != '.') return 0;
    return span(s, len, p + 1, DIGITS_) == len;
}

static size_t digits_at(const char *s, size_t len, size_t i, size_t min, size_t max)
{
    size_t n = 0;
    while (i + n < len && n < max && is_digit(s[i + n]))
        n++;
    return n >= min ? n : 0;
}

static int match_timestamp(const char *s, size_t len)
{
    if (len < 8 || digits_at(s, len, 0, 4, 4) != 4 || s[4] != '-') return 0;
    /* YYYY-MM-DD */
    if (len == 10 && digits_at(s, len, 5, 2, 2) == 2 && s[7] == '-' &&
        digits_at(s, len, 8, 2, 2) == 2)
        return 1;
    size_t p = 5, n;
    if (!(n = digits_at(s, len, p, 1, 2))) return 0;
    p += n;
    if (p >= len || s[p] != '-') return 0;
    p++;
    if (!(n = digits_at(s, len, p, 1, 2))) return 0;
    p += n;
    if (p >= len) return 0;
    if (s[p] == 'T' || s[p] == 't') {
        p++;
    } else if (s[p] == ' ' || s[p] == '\t') {
        while (p < len && (s[p] == ' ' || s[p] == '\t'))
            p++;
    } else {
        return 0;
    }
    if (!(n = digits_at(s, len, p, 1, 2))) return 0;
    p += n;
    for (int k = 0; k < 2; k++) {
        if (p >= len || s[p] != ':' || digits_at(s, len, p + 1, 2, 2) != 2) return 0;
        p += 3;
    }
    if (p < len && s[p] == '.') p = span(s, len, p + 1, "0123456789");
    if (p == len) return 1;
    while (p < len && (s[p] == ' ' || s[p] == '\t'))
        p++;
    if (p < len && s[p] == 'Z') return p + 1 == len;
    if (p >= len || (s[p] != '-' && s[p] != '+')) return 0;
    p++;
    if (!(n = digits_at(s, len, p, 1, 2))) return 0;
    p += n;
    if (p < len && s[p] == ':') {
        if (digits_at(s, len, p + 1, 2, 2) != 2) return 0;
        p += 3;
    }
    return p == len;
}

int dltc__yaml_plain_is_str(const char *s, size_t len)
{
    return !(match_null(s, len) || match_bool(s, len) >= 0 || match_int(s, len) ||
             match_float(s, len) || match_timestamp(s, len) || eq(s, len, "<<") || eq(s, len, "="));
}

/* ---- reader ---- */

typedef struct {
    char *name;
    dltc_value val;
    uint64_t weight;
    int done; /* 0 while the anchored container is still open */
} anchor_t;

typedef struct {
    dltc_value v;
    int is_map;
    int have_key;
    const char *key;
    uint32_t klen;
    uint64_t weight;
    size_t anchor; /* index + 1 into anchors, 0 = none */
} frame_t;

typedef struct {
    dltc_arena *arena;
    frame_t *stack;
    size_t depth, cap, max_depth;
    anchor_t *anchors;
    size_t nanchors, capanchors;
    dltc_value root;
    int have_root;
    dltc_keylines *lines; /* dltc__yaml_parse_lines */
    dltc_buf path;
} reader_t;

/* Record the line of the key or item being read now: the path down the open frames. */
static int note_line(reader_t *r, const yaml_mark_t *m)
{
    if (!r->lines)
        return 0;
    dltc__buf_clear(&r->path);
    int rc = 0;
    for (size_t i = 0; i < r->depth && !rc; i++) {
        const frame_t *f = &r->stack[i];
        if (f->is_map && !f->have_key)
            return 0;
        rc = f->is_map ? dltc__keypath_key(&r->path, f->key, f->klen)
                       : dltc__keypath_index(&r->path, f->v.len);
    }
    if (!rc && r->path.len)
        rc = dltc__keylines_put(r->lines, r->path.data, r->path.len, (uint64_t)m->line + 1);
    return rc ? dltc__error_oom() : 0;
}

static int fail_at(const yaml_mark_t *m, int code, const char *fmt, ...) DLTC_PRINTF(3, 4);

/* An error at a position of the input: "<line>:<col>: <message>" (1-based). */
static int fail_at(const yaml_mark_t *m, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return dltc__error_set(code, "%zu:%zu: %s", m->line + 1, m->column + 1, msg);
}

static int parser_fail(const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR) return dltc__error_oom();
    if (p->context)
        return dltc__error_set(DLTC_EPARSE, "%zu:%zu: %s (%s at %zu:%zu)", p->problem_mark.line + 1,
                               p->problem_mark.column + 1, problem, p->context,
                               p->context_mark.line + 1, p->context_mark.column + 1);
    return dltc__error_set(DLTC_EPARSE, "%zu:%zu: %s", p->problem_mark.line + 1,
                           p->problem_mark.column + 1, problem);
}

/* The scalar text without '_' (PyYAML's value.replace('_', '')), optionally lowercased,
 * copied into the arena. */
static char *strip_underscores(reader_t *r, const char *s, size_t len, int lower, size_t *n)
{
    char *d = dltc__arena_alloc(r->arena, len + 1);
    if (!d) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_') continue;
        d[k++] = (char)((lower && s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
    }
    d[k] = '\0';
    *n = k;
    return d;
}

/* PyYAML's construct_yaml_int; a decimal beyond int64 is kept as BIGINT digits. */
static int construct_int(reader_t *r, const char *s, size_t len, const yaml_mark_t *m,
                         dltc_value *out)
{
    size_t n;
    char *buf = strip_underscores(r, s, len, 0, &n);
    if (!buf) return DLTC_ENOMEM;
    const char *p = buf;
    int neg = 0;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    unsigned base = 10;
    if (p[0] == '0' && p[1] == 'b') {
        base = 2;
        p += 2;
    } else if (p[0] == '0' && p[1] == 'x') {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && p[1]) {
        base = 8;
        p += 1;
    }
    int sexa = base == 10 && strchr(p, ':') != NULL;
    if (!*p) return fail_at(m, DLTC_EPARSE, "invalid integer '%.40s'", buf);
    uint64_t acc = 0, part = 0;
    for (const char *q = p; *q; q++) {
        unsigned d;
        if (*q == ':' && sexa) {
            if (acc > (UINT64_MAX - part) / 60) goto range;
            acc = acc * 60 + part;
            part = 0;
            continue;
        }
        if (*q >= '0' && *q <= '9')
            d = (unsigned)(*q - '0');
        else if (*q >= 'a' && *q <= 'f')
            d = (unsigned)(*q - 'a' + 10);
        else if (*q >= 'A' && *q <= 'F')
            d = (unsigned)(*q - 'A' + 10);
        else
            return fail_at(m, DLTC_EPARSE, "invalid integer '%.40s'", buf);
        if (d >= base) return fail_at(m, DLTC_EPARSE, "invalid integer '%.40s'", buf);
        if (part > (UINT64_MAX - d) / base) goto range;
        part = part * base + d;
    }
    if (sexa) {
        if (acc > (UINT64_MAX - part) / 60) goto range;
        part = acc * 60 + part;
    }
    if ((!neg && part > (uint64_t)INT64_MAX) || (neg && part > (uint64_t)INT64_MAX + 1)) goto range;
    dltc__value_set_type(out, DLTC_TYPE_INT);
    out->u.i = neg ? (int64_t)(0 - part) : (int64_t)part;
    return 0;
range:
    if (base != 10 || sexa || n > UINT32_MAX)
        return fail_at(m, DLTC_ELIMIT, "integer '%.40s' is out of range", buf);
    /* a decimal integer beyond int64: its digits, sign kept only when negative */
    dltc__value_set_type(out, DLTC_TYPE_BIGINT);
    out->u.s = buf[0] == '+' ? buf + 1 : buf;
    out->len = (uint32_t)strlen(out->u.s);
    return 0;
}

/* PyYAML's construct_yaml_float. */
static int construct_float(reader_t *r, const char *s, size_t len, const yaml_mark_t *m,
                           dltc_value *out)
{
    size_t n;
    char *buf = strip_underscores(r, s, len, 1, &n);
    if (!buf) return DLTC_ENOMEM;
    const char *p = buf;
    double sign = 1.0, d;
    if (*p == '-' || *p == '+') sign = *p++ == '-' ? -1.0 : 1.0;
    if (strcmp(p, ".inf") == 0) {
        d = INFINITY;
    } else if (strcmp(p, ".nan") == 0) {
        d = NAN;
    } else if (strchr(p, ':')) {
        double acc = 0;
        const char *q = p;
        for (;;) {
            char *end;
            double part = dltc__json_strtod(q, &end);
            if (end == q) return fail_at(m, DLTC_EPARSE, "invalid float '%.40s'", buf);
            acc = acc * 60 + part;
            if (*end != ':') break;
            q = end + 1;
        }
        d = acc;
    } else {
        char *end;
        d = dltc__json_strtod(p, &end);
        if (end == p || *end) return fail_at(m, DLTC_EPARSE, "invalid float '%.40s'", buf);
    }
    dltc__value_set_type(out, DLTC_TYPE_DOUBLE);
    out->u.d = sign * d;
    return 0;
}

static int make_string(reader_t *r, const char *s, size_t len, dltc_value *out)
{
    if (len > UINT32_MAX)
        return dltc__error_set(DLTC_ELIMIT, "YAML scalar of %zu bytes is too large", len);
    char *copy = dltc__arena_strndup(r->arena, s, len);
    if (!copy) return DLTC_ENOMEM;
    dltc__value_set_type(out, DLTC_TYPE_STRING);
    out->u.s = copy;
    out->len = (uint32_t)len;
    return 0;
}

static int construct_scalar(reader_t *r, const yaml_event_t *ev, dltc_value *out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    const yaml_mark_t *m = &ev->start_mark;
    if (tag && strcmp(tag, "!") != 0) {
        if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
            return fail_at(m, DLTC_EPARSE, "unsupported YAML tag '%s'", tag);
        const char *t = tag + strlen(TAG_PREFIX);
        if (strcmp(t, "str") == 0) return make_string(r, s, len, out);
        if (strcmp(t, "null") == 0) {
            dltc__value_set_type(out, DLTC_TYPE_NULL);
            return 0;
        }
        if (strcmp(t, "bool") == 0) {
            char low[8];
            size_t i = 0;
            for (; i < len && i < sizeof(low) - 1; i++)
                low[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
            low[i] = '\0';
            int b = len < sizeof(low) ? match_bool(low, len) : -1;
            if (b < 0) return fail_at(m, DLTC_EPARSE, "invalid boolean '%s'", low);
            dltc__value_set_type(out, DLTC_TYPE_BOOL);
            out->u.i = b;
            return 0;
        }
        if (strcmp(t, "int") == 0) return construct_int(r, s, len, m, out);
        if (strcmp(t, "float") == 0) return construct_float(r, s, len, m, out);
        return fail_at(m, DLTC_EPARSE, "unsupported YAML tag '%s'", tag);
    }
    if (tag || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return make_string(r, s, len, out);
    if (match_null(s, len)) {
        dltc__value_set_type(out, DLTC_TYPE_NULL);
        return 0;
    }
    int b = match_bool(s, len);
    if (b >= 0) {
        dltc__value_set_type(out, DLTC_TYPE_BOOL);
        out->u.i = b;
        return 0;
    }
    if (match_int(s, len)) return construct_int(r, s, len, m, out);
    if (match_float(s, len)) return construct_float(r, s, len, m, out);
    return make_string(r, s, len, out);
}

/* Text of a scalar used as a mapping key (JSON keys are strings). */
static int key_text(reader_t *r, const dltc_value *k, const yaml_mark_t *m, const char **key,
                    uint32_t *klen)
{
    char tmp[40];
    const char *t;
    size_t n;
    switch (k->type) {
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_BIGINT:
        *key = k->u.s;
        *klen = k->len;
        return 0;
    case DLTC_TYPE_NULL:
        t = "null";
        n = 4;
        break;
    case DLTC_TYPE_BOOL:
        t = k->u.i ? "true" : "false";
        n = strlen(t);
        break;
    case DLTC_TYPE_INT: {
        dltc_buf b = {tmp, 0, sizeof(tmp), sizeof(tmp) - 1};
        tmp[0] = '\0';
        dltc__json_write_int(&b, k->u.i);
        t = tmp;
        n = b.len;
        break;
    }
    case DLTC_TYPE_DOUBLE:
        n = dltc__format_double(tmp, k->u.d);
        t = tmp;
        break;
    default:
        return fail_at(m, DLTC_EPARSE, "found unhashable key");
    }
    char *c = dltc__arena_strndup(r->arena, t, n);
    if (!c) return DLTC_ENOMEM;
    *key = c;
    *klen = (uint32_t)n;
    return 0;
}

/* Add a finished node (with its expansion weight) to the open container or as the root. */
static int add_node(reader_t *r, const dltc_value *v, uint64_t weight, const yaml_mark_t *m)
{
    if (r->depth == 0) {
        r->root = *v;
        r->have_root = 1;
        return 0;
    }
    frame_t *f = &r->stack[r->depth - 1];
    f->weight += weight;
    if (f->weight > YAML_MAX_NODES)
        return fail_at(m, DLTC_ELIMIT, "document expands to too many nodes");
    if (f->is_map && !f->have_key) {
        if (v->type == DLTC_TYPE_ARRAY || v->type == DLTC_TYPE_OBJECT)
            return fail_at(m, DLTC_EPARSE, "found unhashable key");
        int rc = key_text(r, v, m, &f->key, &f->klen);
        if (rc) return rc;
        f->have_key = 1;
        return note_line(r, m);
    }
    int rc;
    if (!f->is_map && (rc = note_line(r, m)) != 0)
        return rc;
    if (f->is_map) {
        rc = dltc__object_set(r->arena, &f->v, f->key, f->klen, v);
        f->have_key = 0;
    } else {
        rc = dltc__array_append(r->arena, &f->v, v);
    }
    return rc;
}

static int anchor_new(reader_t *r, const char *name, const yaml_mark_t *m, size_t *idx)
{
    for (size_t i = 0; i < r->nanchors; i++)
        if (strcmp(r->anchors[i].name, name) == 0)
            return fail_at(m, DLTC_EPARSE, "found duplicate anchor '%s'", name);
    if (r->nanchors == r->capanchors) {
        size_t cap = r->capanchors ? r->capanchors * 2 : 8;
        anchor_t *a = dltc__realloc(r->anchors, cap * sizeof(*a));
        if (!a) return dltc__error_oom();
        r->anchors = a;
        r->capanchors = cap;
    }
    anchor_t *a = &r->anchors[r->nanchors];
    memset(a, 0, sizeof(*a));
    if (!(a->name = dltc__arena_strndup(r->arena, name, strlen(name)))) return DLTC_ENOMEM;
    *idx = ++r->nanchors;
    return 0;
}

static void anchor_done(reader_t *r, size_t idx, const dltc_value *v, uint64_t weight)
{
    if (!idx) return;
    anchor_t *a = &r->anchors[idx - 1];
    a->val = *v;
    a->weight = weight;
    a->done = 1;
}

static int push(reader_t *r, int is_map, const yaml_event_t *ev)
{
    const char *tag = is_map ? (const char *)ev->data.mapping_start.tag
                             : (const char *)ev->data.sequence_start.tag;
    const char *anchor = is_map ? (const char *)ev->data.mapping_start.anchor
                                : (const char *)ev->data.sequence_start.anchor;
    if (tag && strcmp(tag, "!") != 0 &&
        strcmp(tag, is_map ? TAG_PREFIX "map" : TAG_PREFIX "seq") != 0)
        return fail_at(&ev->start_mark, DLTC_EPARSE, "unsupported YAML tag '%s'", tag);
    if (r->depth >= r->max_depth)
        return fail_at(&ev->start_mark, DLTC_ELIMIT, "nesting deeper than the limit");
    if (r->depth == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        frame_t *s = dltc__realloc(r->stack, cap * sizeof(*s));
        if (!s) return dltc__error_oom();
        r->stack = s;
        r->cap = cap;
    }
    if (r->depth && !r->stack[r->depth - 1].is_map) {
        int rc = note_line(r, &ev->start_mark);
        if (rc) return rc;
    }
    size_t aidx = 0;
    if (anchor) {
        int rc = anchor_new(r, anchor, &ev->start_mark, &aidx);
        if (rc) return rc;
    }
    frame_t *f = &r->stack[r->depth++];
    memset(f, 0, sizeof(*f));
    dltc__value_set_type(&f->v, is_map ? DLTC_TYPE_OBJECT : DLTC_TYPE_ARRAY);
    f->is_map = is_map;
    f->weight = 1;
    f->anchor = aidx;
    return 0;
}

static int pop(reader_t *r, const yaml_event_t *ev)
{
    frame_t f = r->stack[--r->depth];
    anchor_done(r, f.anchor, &f.v, f.weight);
    return add_node(r, &f.v, f.weight, &ev->start_mark);
}

static int handle_event(reader_t *r, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        dltc_value v;
        int rc = construct_scalar(r, ev, &v);
        if (rc) return rc;
        if (ev->data.scalar.anchor) {
            size_t idx;
            if ((rc = anchor_new(r, (const char *)ev->data.scalar.anchor, &ev->start_mark, &idx)))
                return rc;
            anchor_done(r, idx, &v, 1);
        }
        return add_node(r, &v, 1, &ev->start_mark);
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = r->nanchors; i-- > 0;) {
            if (strcmp(r->anchors[i].name, name) != 0) continue;
            if (!r->anchors[i].done)
                return fail_at(&ev->start_mark, DLTC_EPARSE, "recursive alias '%s'", name);
            return add_node(r, &r->anchors[i].val, r->anchors[i].weight, &ev->start_mark);
        }
        return fail_at(&ev->start_mark, DLTC_EPARSE, "found undefined alias '%s'", name);
    }
    case YAML_SEQUENCE_START_EVENT:
        return push(r, 0, ev);
    case YAML_MAPPING_START_EVENT:
        return push(r, 1, ev);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return pop(r, ev);
    default:
        return 0;
    }
}

int dltc__yaml_parse(dltc_arena *arena, const char *data, size_t len, uint32_t max_depth,
                     dltc_value **out)
{
    return dltc__yaml_parse_lines(arena, data, len, max_depth, out, NULL);
}

int dltc__yaml_parse_lines(dltc_arena *arena, const char *data, size_t len, uint32_t max_depth,
                           dltc_value **out, dltc_keylines *lines)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return dltc__error_oom();
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    reader_t r;
    memset(&r, 0, sizeof(r));
    r.arena = arena;
    r.max_depth = max_depth ? max_depth : YAML_DEFAULT_DEPTH;
    r.lines = lines;
    int rc = 0, docs = 0, done = 0;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = parser_fail(&p);
            break;
        }
        if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
            rc = fail_at(&ev.start_mark, DLTC_EPARSE, "expected a single document in the stream");
        else if (ev.type == YAML_STREAM_END_EVENT)
            done = 1;
        else
            rc = handle_event(&r, &ev);
        yaml_event_delete(&ev);
        if (rc) break;
    }
    yaml_parser_delete(&p);
    dltc__free(r.stack);
    dltc__free(r.anchors);
    dltc__buf_free(&r.path);
    if (rc) return rc;
    dltc_value *v = dltc__arena_alloc(arena, sizeof(*v));
    if (!v) return DLTC_ENOMEM;
    if (r.have_root)
        *v = r.root;
    else
        dltc__value_set_type(v, DLTC_TYPE_NULL);
    *out = v;
    return 0;
}

/* ---- writer ---- */

typedef struct {
    yaml_emitter_t em;
    dltc_buf *out;
    int rc;
} writer_t;

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    writer_t *w = data;
    int rc = dltc__buf_put(w->out, buffer, size);
    if (rc) w->rc = rc;
    return rc == 0;
}

static int emit(writer_t *w, yaml_event_t *ev)
{
    if (yaml_emitter_emit(&w->em, ev)) return 0;
    if (w->rc) return w->rc;
    if (w->em.error == YAML_MEMORY_ERROR) return dltc__error_oom();
    return dltc__error_set(DLTC_ERROR, "YAML emitter: %s",
                           w->em.problem ? w->em.problem : "failed");
}

static int emit_scalar(writer_t *w, const char *s, size_t len, int plain_ok)
{
    if (len > INT_MAX)
        return dltc__error_set(DLTC_ELIMIT, "YAML scalar of %zu bytes is too large", len);
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s, (int)len,
                                      plain_ok, 1, YAML_ANY_SCALAR_STYLE))
        return dltc__error_set(DLTC_EINVALID, "YAML: scalar is not valid UTF-8");
    return emit(w, &ev);
}

static int emit_string(writer_t *w, const char *s, size_t len)
{
    return emit_scalar(w, s, len, dltc__yaml_plain_is_str(s, len));
}

/* PyYAML's represent_float: repr() lowercased, ".0" before a bare exponent. */
static int emit_double(writer_t *w, double d)
{
    char tmp[48];
    size_t n;
    if (isnan(d)) {
        memcpy(tmp, ".nan", 5);
        n = 4;
    } else if (isinf(d)) {
        n = d < 0 ? 5 : 4;
        memcpy(tmp, d < 0 ? "-.inf" : ".inf", n + 1);
    } else {
        char r[40];
        size_t rn = dltc__format_double(r, d);
        char *e = memchr(r, 'e', rn);
        if (e && !memchr(r, '.', rn)) {
            size_t pre = (size_t)(e - r);
            memcpy(tmp, r, pre);
            memcpy(tmp + pre, ".0", 2);
            memcpy(tmp + pre + 2, e, rn - pre);
            n = rn + 2;
        } else {
            memcpy(tmp, r, rn);
            n = rn;
        }
        tmp[n] = '\0';
    }
    return emit_scalar(w, tmp, n, 1);
}

static int emit_value(writer_t *w, const dltc_value *v, int depth)
{
    yaml_event_t ev;
    int rc;
    char tmp[DLTC_ISO_MAX + 32];
    size_t n;
    if (depth > YAML_EMIT_MAX_DEPTH)
        return dltc__error_set(DLTC_ELIMIT, "YAML: value nested too deeply");
    switch (v->type) {
    case DLTC_TYPE_NULL:
        return emit_scalar(w, "null", 4, 1);
    case DLTC_TYPE_BOOL:
        return v->u.i ? emit_scalar(w, "true", 4, 1) : emit_scalar(w, "false", 5, 1);
    case DLTC_TYPE_INT: {
        dltc_buf b = {tmp, 0, sizeof(tmp), sizeof(tmp) - 1};
        tmp[0] = '\0';
        if ((rc = dltc__json_write_int(&b, v->u.i))) return rc;
        return emit_scalar(w, tmp, b.len, 1);
    }
    case DLTC_TYPE_BIGINT:
        return emit_scalar(w, v->u.s, v->len, 1);
    case DLTC_TYPE_DOUBLE:
        return emit_double(w, v->u.d);
    case DLTC_TYPE_STRING:
        return emit_string(w, v->u.s, v->len);
    case DLTC_TYPE_DECIMAL:
        return emit_scalar(w, v->u.s, v->len, !dltc__yaml_plain_is_str(v->u.s, v->len));
    case DLTC_TYPE_TIMESTAMP:
        n = (v->flags & DLTC_VF_TZ) ? dltc__format_timestamp(tmp, v->u.i)
                                    : dltc__format_timestamp_naive(tmp, v->u.i);
        return emit_string(w, tmp, n);
    case DLTC_TYPE_DATE:
        n = dltc__format_date(tmp, (int32_t)v->u.i);
        return emit_string(w, tmp, n);
    case DLTC_TYPE_TIME:
        n = dltc__format_time(tmp, v->u.i);
        return emit_string(w, tmp, n);
    case DLTC_TYPE_BINARY: {
        size_t need = 4 * ((v->len + 2) / 3) + 1;
        char *b64 = dltc__malloc(need);
        if (!b64) return dltc__error_oom();
        n = dltc__base64_encode((const uint8_t *)v->u.s, v->len, b64, 1);
        rc = emit_string(w, b64, n);
        dltc__free(b64);
        return rc;
    }
    case DLTC_TYPE_ARRAY:
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE))
            return dltc__error_oom();
        if ((rc = emit(w, &ev))) return rc;
        for (uint32_t i = 0; i < v->len; i++)
            if ((rc = emit_value(w, &v->u.arr[i], depth + 1))) return rc;
        yaml_sequence_end_event_initialize(&ev);
        return emit(w, &ev);
    case DLTC_TYPE_OBJECT:
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE))
            return dltc__error_oom();
        if ((rc = emit(w, &ev))) return rc;
        for (uint32_t i = 0; i < v->len; i++) {
            const dltc_member *m = &v->u.obj[i];
            if ((rc = emit_string(w, m->key, m->klen)) || (rc = emit_value(w, &m->val, depth + 1)))
                return rc;
        }
        yaml_mapping_end_event_initialize(&ev);
        return emit(w, &ev);
    default:
        return dltc__error_set(DLTC_EINVALID, "YAML: cannot write value of type %d", v->type);
    }
}

int dltc__yaml_emit(dltc_buf *b, const dltc_value *v)
{
    writer_t w;
    memset(&w, 0, sizeof(w));
    w.out = b;
    if (!yaml_emitter_initialize(&w.em)) return dltc__error_oom();
    yaml_emitter_set_output(&w.em, write_handler, &w);
    yaml_emitter_set_unicode(&w.em, 1);
    yaml_emitter_set_indent(&w.em, 2);
    yaml_emitter_set_width(&w.em, 80);
    yaml_emitter_set_break(&w.em, YAML_LN_BREAK);
    yaml_event_t ev;
    int rc;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if ((rc = emit(&w, &ev))) goto done;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if ((rc = emit(&w, &ev))) goto done;
    if ((rc = emit_value(&w, v, 0))) goto done;
    yaml_document_end_event_initialize(&ev, 1);
    if ((rc = emit(&w, &ev))) goto done;
    yaml_stream_end_event_initialize(&ev);
    if ((rc = emit(&w, &ev))) goto done;
    if (!yaml_emitter_flush(&w.em))
        rc = w.rc ? w.rc : dltc__error_set(DLTC_ERROR, "YAML emitter: flush failed");
done:
    yaml_emitter_delete(&w.em);
    return rc;
}
