/* JSONPath subset (see jsonpath.h): a path compiles into a vector of steps; evaluation walks
 * the value step by step, branching on wildcards, slices and unions. Recursion depth is the
 * number of steps, which compile bounds. */
#include "formats/jsonpath.h"
#include "common/alloc.h"
#include "common/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 256
#define MAX_INDEX (1LL << 53) /* keeps index arithmetic far from overflow */

enum { SEG_NAMES, SEG_INDICES, SEG_WILD, SEG_SLICE };

typedef struct {
    char *s; /* NUL-terminated, unescaped */
    size_t n;
} name;

typedef struct {
    int kind;
    name *names;     /* SEG_NAMES */
    long long *idx;  /* SEG_INDICES; negative counts from the end */
    size_t n;        /* names or indices */
    long long start, end, step; /* SEG_SLICE */
    int has_start, has_end;
} seg;

struct dltc__jsonpath {
    char *text;
    seg *s;
    size_t n;
};

/* ---- compile ---- */

typedef struct {
    const char *path, *what;
    size_t i;
    dltc__jsonpath *p;
} parser;

static int perr(parser *ps, size_t at, const char *why)
{
    return dltc__error_set(DLTC_EINVALID, "%s '%s': %s at offset %zu", ps->what, ps->path, why,
                           at);
}

static int is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '@' || c == '-' || c >= 0x80;
}

static void skip_spaces(parser *ps)
{
    while (ps->path[ps->i] == ' ' || ps->path[ps->i] == '\t')
        ps->i++;
}

static seg *push(parser *ps, int kind)
{
    if (ps->p->n >= MAX_STEPS) {
        perr(ps, ps->i, "too many steps");
        return NULL;
    }
    seg *n = dltc__realloc(ps->p->s, (ps->p->n + 1) * sizeof(*n));
    if (!n) {
        dltc__error_oom();
        return NULL;
    }
    ps->p->s = n;
    seg *s = &n[ps->p->n++];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->step = 1;
    return s;
}

static int add_name(seg *s, const char *txt, size_t len)
{
    name *n = dltc__realloc(s->names, (s->n + 1) * sizeof(*n));
    if (!n)
        return dltc__error_oom();
    s->names = n;
    char *c = dltc__malloc(len + 1);
    if (!c)
        return dltc__error_oom();
    /* quoted names may carry \' or \" escapes: unescape */
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (txt[i] == '\\' && i + 1 < len)
            i++;
        c[o++] = txt[i];
    }
    c[o] = '\0';
    n[s->n].s = c;
    n[s->n].n = o;
    s->n++;
    return 0;
}

static int add_index(seg *s, long long v)
{
    long long *n = dltc__realloc(s->idx, (s->n + 1) * sizeof(*n));
    if (!n)
        return dltc__error_oom();
    s->idx = n;
    n[s->n++] = v;
    return 0;
}

/* A quoted name at path[i] (the quote) into `s`; i ends after the closing quote. */
static int quoted(parser *ps, seg *s)
{
    const char *path = ps->path;
    char q = path[ps->i];
    size_t j = ps->i + 1;
    while (path[j] && path[j] != q) {
        if (path[j] == '\\' && path[j + 1])
            j++;
        j++;
    }
    if (path[j] != q)
        return perr(ps, ps->i, "unterminated quote");
    int rc = add_name(s, path + ps->i + 1, j - ps->i - 1);
    ps->i = j + 1;
    return rc;
}

static int is_quote(char c)
{
    return c == '\'' || c == '"';
}

static int is_int_start(char c)
{
    return c == '-' || c == '+' || (c >= '0' && c <= '9');
}

static int integer(parser *ps, long long *out)
{
    const char *at = ps->path + ps->i;
    if (!is_int_start(*at))
        return perr(ps, ps->i, "expected an index, '*' or a quoted name");
    char *end;
    errno = 0;
    long long v = strtoll(at, &end, 10);
    if (end == at)
        return perr(ps, ps->i, "expected an index, '*' or a quoted name");
    if (errno == ERANGE || v > MAX_INDEX || v < -MAX_INDEX)
        return perr(ps, ps->i, "index out of range");
    ps->i = (size_t)(end - ps->path);
    *out = v;
    return 0;
}

/* After '[': '*', quoted names, indices or a slice, then ']'. */
static int bracket(parser *ps)
{
    const char *path = ps->path;
    int rc = 0;
    skip_spaces(ps);
    char c = path[ps->i];
    if (c == '*') {
        ps->i++;
        if (!push(ps, SEG_WILD))
            return dltc_error_last()->code;
    } else if (c == '?' || c == '(') {
        return perr(ps, ps->i, "filter expressions are not supported");
    } else if (is_quote(c)) {
        seg *s = push(ps, SEG_NAMES);
        if (!s)
            return dltc_error_last()->code;
        for (;;) {
            if ((rc = quoted(ps, s)))
                return rc;
            skip_spaces(ps);
            if (path[ps->i] != ',')
                break;
            ps->i++;
            skip_spaces(ps);
            if (!is_quote(path[ps->i]))
                return perr(ps, ps->i, "expected a quoted name");
        }
    } else {
        long long first = 0;
        int has_first = 0;
        if (is_int_start(c)) {
            if ((rc = integer(ps, &first)))
                return rc;
            has_first = 1;
            skip_spaces(ps);
        }
        if (path[ps->i] == ':') {
            seg *s = push(ps, SEG_SLICE);
            if (!s)
                return dltc_error_last()->code;
            s->has_start = has_first;
            s->start = first;
            ps->i++;
            skip_spaces(ps);
            if (is_int_start(path[ps->i])) {
                if ((rc = integer(ps, &s->end)))
                    return rc;
                s->has_end = 1;
                skip_spaces(ps);
            }
            if (path[ps->i] == ':') {
                ps->i++;
                skip_spaces(ps);
                if (is_int_start(path[ps->i])) {
                    if ((rc = integer(ps, &s->step)))
                        return rc;
                    skip_spaces(ps);
                }
            }
        } else {
            if (!has_first)
                return perr(ps, ps->i, "expected an index, '*' or a quoted name");
            seg *s = push(ps, SEG_INDICES);
            if (!s)
                return dltc_error_last()->code;
            if ((rc = add_index(s, first)))
                return rc;
            while (path[ps->i] == ',') {
                ps->i++;
                skip_spaces(ps);
                long long v;
                if ((rc = integer(ps, &v)) || (rc = add_index(s, v)))
                    return rc;
                skip_spaces(ps);
            }
        }
    }
    skip_spaces(ps);
    if (path[ps->i] != ']')
        return perr(ps, ps->i, "expected ']'");
    ps->i++;
    return 0;
}

/* After '.' (or at the start): '*', a quoted name or a bare name. */
static int field(parser *ps)
{
    const char *path = ps->path;
    char c = path[ps->i];
    if (c == '*') {
        ps->i++;
        return push(ps, SEG_WILD) ? 0 : dltc_error_last()->code;
    }
    seg *s;
    if (is_quote(c)) {
        if (!(s = push(ps, SEG_NAMES)))
            return dltc_error_last()->code;
        return quoted(ps, s);
    }
    size_t b = ps->i;
    while (is_name_char((unsigned char)path[ps->i]))
        ps->i++;
    if (ps->i == b)
        return perr(ps, b, "expected a field name");
    if (!(s = push(ps, SEG_NAMES)))
        return dltc_error_last()->code;
    return add_name(s, path + b, ps->i - b);
}

/* Grammar: ['$'] { '.' field | '[' bracket ']' }, and the path may start with a field. */
static int parse(parser *ps)
{
    const char *path = ps->path;
    int rc = 0;
    int expect_field = 1;
    if (path[0] == '$') {
        ps->i = 1;
        expect_field = 0;
    }
    while (path[ps->i] && !rc) {
        char c = path[ps->i];
        if (c == '[') {
            ps->i++;
            rc = bracket(ps);
        } else if (c == '.' || expect_field) {
            if (c == '.') {
                ps->i++;
                if (path[ps->i] == '.')
                    return perr(ps, ps->i, "recursive descent (..) is not supported");
            }
            rc = field(ps);
        } else {
            return perr(ps, ps->i, "unexpected character");
        }
        expect_field = 0;
    }
    return rc;
}

void dltc__jsonpath_free(dltc__jsonpath *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        for (size_t j = 0; p->s[i].kind == SEG_NAMES && j < p->s[i].n; j++)
            dltc__free(p->s[i].names[j].s);
        dltc__free(p->s[i].names);
        dltc__free(p->s[i].idx);
    }
    dltc__free(p->s);
    dltc__free(p->text);
    dltc__free(p);
}

int dltc__jsonpath_compile(dltc__jsonpath **out, const char *path, const char *what)
{
    if (!path || !*path)
        return dltc__error_set(DLTC_EINVALID, "%s is empty", what);
    dltc__jsonpath *p = dltc__calloc(1, sizeof(*p));
    if (!p)
        return dltc__error_oom();
    parser ps = {path, what, 0, p};
    int rc = (p->text = dltc__strdup(path)) ? parse(&ps) : dltc__error_oom();
    if (rc) {
        dltc__jsonpath_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

size_t dltc__jsonpath_length(const dltc__jsonpath *p)
{
    return p->n;
}

const char *dltc__jsonpath_text(const dltc__jsonpath *p)
{
    return p->text;
}

/* ---- evaluate ---- */

typedef int (*match_fn)(const dltc_value *m, void *payload);

static int walk(const dltc__jsonpath *p, size_t k, const dltc_value *v, match_fn fn, void *payload);

static int walk_items(const dltc__jsonpath *p, size_t k, const dltc_value *v, match_fn fn,
                      void *payload)
{
    int rc = 0;
    if (v->type == DLTC_TYPE_ARRAY) {
        for (uint32_t i = 0; i < v->len && !rc; i++)
            rc = walk(p, k, &v->u.arr[i], fn, payload);
    } else if (v->type == DLTC_TYPE_OBJECT) {
        for (uint32_t i = 0; i < v->len && !rc; i++)
            rc = walk(p, k, &v->u.obj[i].val, fn, payload);
    }
    return rc;
}

/* Python's slice of range(len): start, stop, step with their defaults and clamping. */
static int walk_slice(const dltc__jsonpath *p, size_t k, const seg *s, const dltc_value *v,
                      match_fn fn, void *payload)
{
    if (v->type != DLTC_TYPE_ARRAY || s->step == 0)
        return 0;
    long long len = v->len, st = s->step, a, b;
    int rc = 0;
    if (st > 0) {
        a = !s->has_start ? 0 : s->start < 0 ? s->start + len : s->start;
        b = !s->has_end ? len : s->end < 0 ? s->end + len : s->end;
        a = a < 0 ? 0 : a > len ? len : a;
        b = b < 0 ? 0 : b > len ? len : b;
        for (long long i = a; i < b && !rc; i += st)
            rc = walk(p, k, &v->u.arr[i], fn, payload);
    } else {
        a = !s->has_start ? len - 1 : s->start < 0 ? s->start + len : s->start;
        b = !s->has_end ? -1 : s->end < 0 ? s->end + len : s->end;
        a = a < -1 ? -1 : a > len - 1 ? len - 1 : a;
        b = b < -1 ? -1 : b > len - 1 ? len - 1 : b;
        for (long long i = a; i > b && !rc; i += st)
            rc = walk(p, k, &v->u.arr[i], fn, payload);
    }
    return rc;
}

static int walk(const dltc__jsonpath *p, size_t k, const dltc_value *v, match_fn fn, void *payload)
{
    if (k == p->n)
        return fn(v, payload);
    const seg *s = &p->s[k];
    int rc = 0;
    switch (s->kind) {
    case SEG_NAMES:
        if (v->type != DLTC_TYPE_OBJECT)
            return 0;
        for (size_t j = 0; j < s->n && !rc; j++)
            for (uint32_t i = 0; i < v->len; i++)
                if (v->u.obj[i].klen == s->names[j].n &&
                    memcmp(v->u.obj[i].key, s->names[j].s, s->names[j].n) == 0) {
                    rc = walk(p, k + 1, &v->u.obj[i].val, fn, payload);
                    break;
                }
        return rc;
    case SEG_INDICES:
        if (v->type != DLTC_TYPE_ARRAY)
            return 0;
        for (size_t j = 0; j < s->n && !rc; j++) {
            long long i = s->idx[j] < 0 ? (long long)v->len + s->idx[j] : s->idx[j];
            if (i >= 0 && i < (long long)v->len)
                rc = walk(p, k + 1, &v->u.arr[i], fn, payload);
        }
        return rc;
    case SEG_WILD:
        return walk_items(p, k + 1, v, fn, payload);
    default:
        return walk_slice(p, k + 1, s, v, fn, payload);
    }
}

int dltc__jsonpath_each(const dltc__jsonpath *p, const dltc_value *v, match_fn fn, void *payload)
{
    return walk(p, 0, v, fn, payload);
}

static int take_first(const dltc_value *m, void *payload)
{
    *(const dltc_value **)payload = m;
    return 1;
}

const dltc_value *dltc__jsonpath_first(const dltc__jsonpath *p, const dltc_value *v)
{
    const dltc_value *m = NULL;
    walk(p, 0, v, take_first, &m);
    return m;
}

static int count_one(const dltc_value *m, void *payload)
{
    (void)m;
    (*(size_t *)payload)++;
    return 0;
}

size_t dltc__jsonpath_count(const dltc__jsonpath *p, const dltc_value *v)
{
    size_t n = 0;
    walk(p, 0, v, count_one, &n);
    return n;
}

int dltc__jsonpath_append_key(dltc_buf *b, const char *key, size_t len)
{
    int plain = len > 0;
    for (size_t j = 0; j < len && plain; j++)
        plain = is_name_char((unsigned char)key[j]);
    int rc = b->len ? dltc__buf_putc(b, '.') : 0;
    if (rc || plain)
        return rc ? rc : dltc__buf_put(b, key, len);
    rc = dltc__buf_putc(b, '\'');
    for (size_t j = 0; j < len && !rc; j++) {
        if (key[j] == '\'' || key[j] == '\\')
            rc = dltc__buf_putc(b, '\\');
        if (!rc)
            rc = dltc__buf_putc(b, key[j]);
    }
    return rc ? rc : dltc__buf_putc(b, '\'');
}
