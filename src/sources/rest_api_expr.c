/* The expression language of rest_api processing steps (docs/rest_api.md, "Expressions"):
 * a recursive-descent parser into a tree of nodes (in the expression's arena) and an
 * evaluator over dltc values. Config files cannot hold Python lambdas; this is what they can
 * say instead: field access, literals, comparisons, boolean logic, `in`, arithmetic, string
 * concatenation and a few functions. No loops, no variables, no I/O: the evaluation of one
 * record is bounded by the size of the expression and of the record. */
#include "sources/rest_api_expr.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/time.h"
#include "extract/incremental.h"
#include "formats/json.h"
#include "common/hex.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the tree ---- */

enum {
    N_LIT,    /* lit */
    N_ROOT,   /* $: the record */
    N_FIELD,  /* name: a field of the record */
    N_MEMBER, /* a.name */
    N_INDEX,  /* a[b] */
    N_CALL,   /* fn(args) */
    N_LIST,   /* [args] */
    N_NEG,    /* -a */
    N_NOT,    /* not a */
    N_AND,    /* a and b */
    N_OR,     /* a or b */
    N_CMP,    /* a op b: op one of the comparison tokens */
    N_ARITH,  /* a op b: + - * / % */
    N_IN,     /* a in b (op = 1: not in) */
};

enum {
    F_LOWER, F_UPPER, F_TRIM, F_LEN, F_COALESCE, F_IS_NULL, F_EXISTS, F_STARTS_WITH,
    F_ENDS_WITH, F_CONTAINS, F_REPLACE, F_SUBSTR, F_SPLIT, F_JOIN, F_STR, F_INT, F_FLOAT,
    F_BOOL, F_ROUND, F_ABS, F_MIN, F_MAX, F_IF, F_EPOCH, F_DATE
};

static const struct {
    const char *name;
    int id;
    int min, max; /* max -1: any number */
} FUNCS[] = {
    {"lower", F_LOWER, 1, 1},       {"upper", F_UPPER, 1, 1},
    {"trim", F_TRIM, 1, 1},         {"len", F_LEN, 1, 1},
    {"coalesce", F_COALESCE, 1, -1}, {"is_null", F_IS_NULL, 1, 1},
    {"exists", F_EXISTS, 1, 1},     {"starts_with", F_STARTS_WITH, 2, 2},
    {"ends_with", F_ENDS_WITH, 2, 2}, {"contains", F_CONTAINS, 2, 2},
    {"replace", F_REPLACE, 3, 3},   {"substr", F_SUBSTR, 2, 3},
    {"split", F_SPLIT, 2, 2},       {"join", F_JOIN, 2, 2},
    {"str", F_STR, 1, 1},           {"int", F_INT, 1, 1},
    {"float", F_FLOAT, 1, 1},       {"bool", F_BOOL, 1, 1},
    {"round", F_ROUND, 1, 2},       {"abs", F_ABS, 1, 1},
    {"min", F_MIN, 1, -1},          {"max", F_MAX, 1, -1},
    {"if", F_IF, 3, 3},             {"epoch", F_EPOCH, 1, 1},
    {"date", F_DATE, 1, 1},
};

typedef struct node node;
struct node {
    int kind;
    int op;        /* token of N_CMP / N_ARITH, function id of N_CALL, 1 for `not in` */
    uint32_t pos;  /* byte offset in the text */
    dltc_value lit;
    const char *name; /* N_FIELD, N_MEMBER */
    uint32_t nlen;
    node *a, *b;
    node **args;
    uint32_t nargs;
    uint32_t h;    /* height of the subtree: bounds the recursion of the evaluation */
};

struct dltc__ra_expr {
    dltc_arena arena;
    char *text;
    node *root;
};

/* ---- the lexer ---- */

enum {
    T_EOF, T_NUM, T_STR, T_NAME, T_QNAME, T_DOLLAR, T_LP, T_RP, T_LB, T_RB, T_COMMA, T_DOT,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PCT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR,
    T_NOT, T_IN, T_TRUE, T_FALSE, T_NULL
};

typedef struct {
    const char *s;
    size_t len, i;
    dltc_arena *a;
    /* the current token */
    int t;
    size_t pos;
    dltc_value v;      /* T_NUM, T_STR */
    const char *name;  /* T_NAME, T_QNAME (NUL-terminated in the arena for T_QNAME) */
    size_t nlen;
    int depth;
} parser;

static int perr(const parser *p, size_t pos, const char *fmt, const char *what)
{
    char msg[160];
    snprintf(msg, sizeof msg, fmt, what);
    return dltc__error_set(DLTC_EINVALID, "at %zu: %s", pos + 1, msg);
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static const char *tok_name(int t)
{
    static const char *names[] = {"the end",  "a number", "a string", "a name", "a name",
                                  "'$'",      "'('",      "')'",      "'['",    "']'",
                                  "','",      "'.'",      "'+'",      "'-'",    "'*'",
                                  "'/'",      "'%'",      "'=='",     "'!='",   "'<'",
                                  "'<='",     "'>'",      "'>='",     "'and'",  "'or'",
                                  "'not'",    "'in'",     "'true'",   "'false'", "'null'"};
    return names[t];
}

static int put_utf8(dltc_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return dltc__buf_put(b, u, n);
}

/* A quoted string or `name` starting at p->i (the quote), escapes decoded into the arena. */
static int lex_quoted(parser *p, char q, const char **out, size_t *outlen)
{
    size_t start = p->i++;
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    for (;;) {
        if (p->i >= p->len) {
            rc = perr(p, start, "%s is not closed", q == '`' ? "a `name`" : "a string");
            break;
        }
        char c = p->s[p->i];
        if (c == q) {
            p->i++;
            break;
        }
        if (c != '\\') {
            rc = dltc__buf_putc(&b, c);
            p->i++;
            if (rc)
                break;
            continue;
        }
        if (p->i + 1 >= p->len) {
            rc = perr(p, p->i, "%s", "a backslash at the end");
            break;
        }
        char e = p->s[p->i + 1];
        p->i += 2;
        switch (e) {
        case 'n': rc = dltc__buf_putc(&b, '\n'); break;
        case 't': rc = dltc__buf_putc(&b, '\t'); break;
        case 'r': rc = dltc__buf_putc(&b, '\r'); break;
        case '\\': case '\'': case '"': case '`': rc = dltc__buf_putc(&b, e); break;
        case 'u': {
            uint32_t cp = 0;
            for (int k = 0; k < 4; k++) {
                int h = p->i < p->len ? dltc__hex_digit((unsigned char)p->s[p->i]) : -1;
                if (h < 0)
                    return dltc__buf_free(&b), perr(p, p->i, "%s", "\\u needs 4 hex digits");
                cp = cp * 16 + (uint32_t)h;
                p->i++;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                return dltc__buf_free(&b), perr(p, p->i - 6, "%s", "\\u of a surrogate");
            rc = put_utf8(&b, cp);
            break;
        }
        default:
            rc = perr(p, p->i - 2, "unknown escape '\\%s'", (char[]){e, 0});
        }
        if (rc)
            break;
    }
    if (!rc) {
        size_t n = b.len;
        const char *src = b.data ? b.data : "";
        if (dltc__utf8_check(src, n) != n)
            rc = perr(p, start, "%s", "a string that is not UTF-8");
        else if (!(*out = dltc__arena_strndup(p->a, src, n)))
            rc = dltc_error_last()->code;
        *outlen = n;
    }
    dltc__buf_free(&b);
    return rc;
}

static int lex_number(parser *p)
{
    size_t start = p->i;
    const char *s = p->s;
    int is_float = 0;
    while (p->i < p->len && is_digit(s[p->i]))
        p->i++;
    if (p->i < p->len && s[p->i] == '.' && p->i + 1 < p->len && is_digit(s[p->i + 1])) {
        is_float = 1;
        p->i++;
        while (p->i < p->len && is_digit(s[p->i]))
            p->i++;
    }
    if (p->i < p->len && (s[p->i] == 'e' || s[p->i] == 'E')) {
        size_t j = p->i + 1;
        if (j < p->len && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < p->len && is_digit(s[j])) {
            is_float = 1;
            p->i = j;
            while (p->i < p->len && is_digit(s[p->i]))
                p->i++;
        }
    }
    if (p->i < p->len && (is_alpha(s[p->i]) || is_digit(s[p->i])))
        return perr(p, start, "%s", "a malformed number");
    char tmp[64];
    size_t n = p->i - start;
    if (n >= sizeof tmp)
        return perr(p, start, "%s", "a number with too many digits");
    memcpy(tmp, s + start, n);
    tmp[n] = '\0';
    dltc__value_set_type(&p->v, DLTC_TYPE_INT);
    if (!is_float) {
        char *end;
        errno = 0;
        long long x = strtoll(tmp, &end, 10);
        if (errno == 0 && *end == '\0') {
            p->v.u.i = x;
            return 0;
        }
    }
    double d = dltc__json_strtod(tmp, NULL);
    if (!isfinite(d))
        return perr(p, start, "%s", "a number out of range");
    dltc__value_set_type(&p->v, DLTC_TYPE_DOUBLE);
    p->v.u.d = d;
    return 0;
}

static int next(parser *p)
{
    const char *s = p->s;
    while (p->i < p->len && (s[p->i] == ' ' || s[p->i] == '\t' || s[p->i] == '\n' ||
                             s[p->i] == '\r'))
        p->i++;
    p->pos = p->i;
    if (p->i >= p->len) {
        p->t = T_EOF;
        return 0;
    }
    char c = s[p->i];
    char d = p->i + 1 < p->len ? s[p->i + 1] : '\0';
    if (is_digit(c))
        return (p->t = T_NUM), lex_number(p);
    if (c == '\'' || c == '"') {
        p->t = T_STR;
        const char *str;
        size_t n;
        int rc = lex_quoted(p, c, &str, &n);
        if (rc)
            return rc;
        dltc__value_set_type(&p->v, DLTC_TYPE_STRING);
        p->v.u.s = str;
        p->v.len = (uint32_t)n;
        return 0;
    }
    if (c == '`') {
        p->t = T_QNAME;
        return lex_quoted(p, '`', &p->name, &p->nlen);
    }
    if (is_alpha(c)) {
        size_t st = p->i;
        while (p->i < p->len && (is_alpha(s[p->i]) || is_digit(s[p->i])))
            p->i++;
        p->name = s + st;
        p->nlen = p->i - st;
        static const struct {
            const char *w;
            int t;
        } kw[] = {{"and", T_AND},   {"or", T_OR},       {"not", T_NOT},     {"in", T_IN},
                  {"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL},   {"True", T_TRUE},
                  {"False", T_FALSE}, {"None", T_NULL}};
        p->t = T_NAME;
        for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
            if (strlen(kw[k].w) == p->nlen && memcmp(kw[k].w, p->name, p->nlen) == 0)
                p->t = kw[k].t;
        return 0;
    }
    p->i++;
    switch (c) {
    case '$': p->t = T_DOLLAR; return 0;
    case '(': p->t = T_LP; return 0;
    case ')': p->t = T_RP; return 0;
    case '[': p->t = T_LB; return 0;
    case ']': p->t = T_RB; return 0;
    case ',': p->t = T_COMMA; return 0;
    case '.': p->t = T_DOT; return 0;
    case '+': p->t = T_PLUS; return 0;
    case '-': p->t = T_MINUS; return 0;
    case '*': p->t = T_STAR; return 0;
    case '/': p->t = T_SLASH; return 0;
    case '%': p->t = T_PCT; return 0;
    case '=':
        if (d == '=') {
            p->i++;
            p->t = T_EQ;
            return 0;
        }
        return perr(p, p->pos, "%s", "'=' is not an operator (compare with '==')");
    case '!':
        if (d == '=') {
            p->i++;
            p->t = T_NE;
            return 0;
        }
        return perr(p, p->pos, "%s", "'!' is not an operator (use 'not')");
    case '<':
        if (d == '=')
            p->i++;
        p->t = d == '=' ? T_LE : T_LT;
        return 0;
    case '>':
        if (d == '=')
            p->i++;
        p->t = d == '=' ? T_GE : T_GT;
        return 0;
    case '&':
    case '|':
        return perr(p, p->pos, "'%s' is not an operator (use 'and' / 'or')",
                    c == '&' ? "&" : "|");
    default: {
        char ch[8];
        if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7F)
            snprintf(ch, sizeof ch, "'%c'", c);
        else
            snprintf(ch, sizeof ch, "0x%02X", (unsigned char)c);
        return perr(p, p->pos, "unexpected character %s", ch);
    }
    }
}

/* ---- the parser ---- */

static node *mk(parser *p, int kind, size_t pos)
{
    node *n = dltc__arena_alloc(p->a, sizeof(*n));
    if (n) {
        memset(n, 0, sizeof(*n));
        n->kind = kind;
        n->pos = (uint32_t)pos;
        n->h = 1;
    }
    return n;
}

/* The height of `n` from its children; too high fails (the evaluation recurses over it). */
static int settle(parser *p, node *n)
{
    uint32_t h = 0;
    if (n->a && n->a->h > h)
        h = n->a->h;
    if (n->b && n->b->h > h)
        h = n->b->h;
    for (uint32_t i = 0; i < n->nargs; i++)
        if (n->args[i]->h > h)
            h = n->args[i]->h;
    n->h = h + 1;
    if (n->h > DLTC_RA_EXPR_MAX_HEIGHT)
        return perr(p, n->pos, "%s", "the expression nests too deep");
    return 0;
}

static int parse_expr(parser *p, node **out);

static int expect(parser *p, int t)
{
    if (p->t != t) {
        char want[32];
        snprintf(want, sizeof want, "%s", tok_name(t));
        char msg[96];
        snprintf(msg, sizeof msg, "expected %s, found %s", want, tok_name(p->t));
        return perr(p, p->pos, "%s", msg);
    }
    return next(p);
}

/* Comma-separated expressions up to `close` (the opening token already consumed). */
static int parse_list(parser *p, int close, node ***args, uint32_t *n)
{
    node *tmp[64];
    uint32_t k = 0;
    int rc;
    if (p->t != close) {
        for (;;) {
            if (k == 64)
                return perr(p, p->pos, "%s", "more than 64 arguments or list items");
            if ((rc = parse_expr(p, &tmp[k])))
                return rc;
            k++;
            if (p->t != T_COMMA)
                break;
            if ((rc = next(p)))
                return rc;
        }
    }
    if ((rc = expect(p, close)))
        return rc;
    *n = k;
    *args = NULL;
    if (k) {
        *args = dltc__arena_alloc(p->a, k * sizeof(node *));
        if (!*args)
            return dltc_error_last()->code;
        memcpy(*args, tmp, k * sizeof(node *));
    }
    return 0;
}

static int parse_primary(parser *p, node **out)
{
    size_t pos = p->pos;
    node *n = NULL;
    int rc = 0;
    switch (p->t) {
    case T_NUM:
    case T_STR:
        if (!(n = mk(p, N_LIT, pos)))
            return dltc_error_last()->code;
        n->lit = p->v;
        rc = next(p);
        break;
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        if (!(n = mk(p, N_LIT, pos)))
            return dltc_error_last()->code;
        dltc__value_set_type(&n->lit, p->t == T_NULL ? DLTC_TYPE_NULL : DLTC_TYPE_BOOL);
        n->lit.u.i = p->t == T_TRUE;
        rc = next(p);
        break;
    case T_DOLLAR:
        if (!(n = mk(p, N_ROOT, pos)))
            return dltc_error_last()->code;
        rc = next(p);
        break;
    case T_QNAME:
    case T_NAME: {
        int quoted = p->t == T_QNAME;
        const char *name = p->name;
        size_t nlen = p->nlen;
        if ((rc = next(p)))
            return rc;
        if (!quoted && p->t == T_LP) {
            int id = -1, min = 0, max = 0;
            for (size_t k = 0; k < sizeof FUNCS / sizeof FUNCS[0]; k++)
                if (strlen(FUNCS[k].name) == nlen && memcmp(FUNCS[k].name, name, nlen) == 0) {
                    id = FUNCS[k].id;
                    min = FUNCS[k].min;
                    max = FUNCS[k].max;
                }
            if (id < 0) {
                char fn[64];
                snprintf(fn, sizeof fn, "%.*s", (int)(nlen > 40 ? 40 : nlen), name);
                return perr(p, pos, "unknown function '%s'", fn);
            }
            if ((rc = next(p)))
                return rc;
            if (!(n = mk(p, N_CALL, pos)))
                return dltc_error_last()->code;
            n->op = id;
            if ((rc = parse_list(p, T_RP, &n->args, &n->nargs)) || (rc = settle(p, n)))
                return rc;
            if ((int)n->nargs < min || (max >= 0 && (int)n->nargs > max)) {
                char msg[96];
                if (min == max)
                    snprintf(msg, sizeof msg, "%.*s() takes %d argument%s", (int)nlen, name, min,
                             min == 1 ? "" : "s");
                else if (max < 0)
                    snprintf(msg, sizeof msg, "%.*s() takes at least %d argument%s", (int)nlen,
                             name, min, min == 1 ? "" : "s");
                else
                    snprintf(msg, sizeof msg, "%.*s() takes %d to %d arguments", (int)nlen, name,
                             min, max);
                return perr(p, pos, "%s", msg);
            }
            break;
        }
        if (!(n = mk(p, N_FIELD, pos)))
            return dltc_error_last()->code;
        n->name = quoted ? name : dltc__arena_strndup(p->a, name, nlen);
        if (!n->name)
            return dltc_error_last()->code;
        n->nlen = (uint32_t)nlen;
        break;
    }
    case T_LP:
        if ((rc = next(p)) || (rc = parse_expr(p, &n)))
            return rc;
        rc = expect(p, T_RP);
        break;
    case T_LB:
        if ((rc = next(p)))
            return rc;
        if (!(n = mk(p, N_LIST, pos)))
            return dltc_error_last()->code;
        if (!(rc = parse_list(p, T_RB, &n->args, &n->nargs)))
            rc = settle(p, n);
        break;
    default:
        return perr(p, pos, "expected a value, found %s", tok_name(p->t));
    }
    *out = n;
    return rc;
}

static int parse_postfix(parser *p, node **out)
{
    int rc = parse_primary(p, out);
    while (!rc && (p->t == T_DOT || p->t == T_LB)) {
        size_t pos = p->pos;
        if (p->t == T_DOT) {
            if ((rc = next(p)))
                return rc;
            if (p->t != T_NAME && p->t != T_QNAME && !(p->t >= T_AND && p->t <= T_NULL))
                return perr(p, p->pos, "expected a field name after '.', found %s",
                            tok_name(p->t));
            node *m = mk(p, N_MEMBER, pos);
            if (!m)
                return dltc_error_last()->code;
            m->a = *out;
            m->name = p->t == T_QNAME ? p->name : dltc__arena_strndup(p->a, p->name, p->nlen);
            if (!m->name)
                return dltc_error_last()->code;
            m->nlen = (uint32_t)p->nlen;
            *out = m;
            if (!(rc = settle(p, m)))
                rc = next(p);
        } else {
            node *ix = mk(p, N_INDEX, pos);
            if (!ix)
                return dltc_error_last()->code;
            ix->a = *out;
            if ((rc = next(p)) || (rc = parse_expr(p, &ix->b)) || (rc = expect(p, T_RB)) ||
                (rc = settle(p, ix)))
                return rc;
            *out = ix;
        }
    }
    return rc;
}

static int parse_unary(parser *p, node **out)
{
    if (p->t == T_MINUS || p->t == T_PLUS) {
        size_t pos = p->pos;
        int neg = p->t == T_MINUS;
        if (++p->depth > DLTC_RA_EXPR_MAX_DEPTH)
            return perr(p, pos, "%s", "the expression nests too deep");
        int rc = next(p);
        node *a = NULL;
        if (!rc)
            rc = parse_unary(p, &a);
        p->depth--;
        if (rc)
            return rc;
        if (!neg) {
            *out = a;
            return 0;
        }
        node *n = mk(p, N_NEG, pos);
        if (!n)
            return dltc_error_last()->code;
        n->a = a;
        *out = n;
        return settle(p, n);
    }
    return parse_postfix(p, out);
}

static int binary(parser *p, int kind, int op, size_t pos, node *a, node *b, node **out)
{
    node *n = mk(p, kind, pos);
    if (!n)
        return dltc_error_last()->code;
    n->op = op;
    n->a = a;
    n->b = b;
    *out = n;
    return settle(p, n);
}

static int parse_prod(parser *p, node **out)
{
    int rc = parse_unary(p, out);
    while (!rc && (p->t == T_STAR || p->t == T_SLASH || p->t == T_PCT)) {
        int op = p->t;
        size_t pos = p->pos;
        node *b;
        if ((rc = next(p)) || (rc = parse_unary(p, &b)))
            return rc;
        rc = binary(p, N_ARITH, op, pos, *out, b, out);
    }
    return rc;
}

static int parse_sum(parser *p, node **out)
{
    int rc = parse_prod(p, out);
    while (!rc && (p->t == T_PLUS || p->t == T_MINUS)) {
        int op = p->t;
        size_t pos = p->pos;
        node *b;
        if ((rc = next(p)) || (rc = parse_prod(p, &b)))
            return rc;
        rc = binary(p, N_ARITH, op, pos, *out, b, out);
    }
    return rc;
}

static int parse_cmp(parser *p, node **out)
{
    int rc = parse_sum(p, out);
    if (rc)
        return rc;
    size_t pos = p->pos;
    node *b;
    if (p->t >= T_EQ && p->t <= T_GE) {
        int op = p->t;
        if ((rc = next(p)) || (rc = parse_sum(p, &b)) ||
            (rc = binary(p, N_CMP, op, pos, *out, b, out)))
            return rc;
    } else if (p->t == T_IN || p->t == T_NOT) {
        int negate = p->t == T_NOT;
        if ((rc = next(p)))
            return rc;
        if (negate && p->t != T_IN)
            return perr(p, p->pos, "%s", "expected 'in' after 'not'");
        if (negate && (rc = next(p)))
            return rc;
        if (!negate && p->t == T_IN)
            return perr(p, p->pos, "%s", "unexpected 'in'");
        if ((rc = parse_sum(p, &b)) || (rc = binary(p, N_IN, negate, pos, *out, b, out)))
            return rc;
    } else {
        return 0;
    }
    if (p->t >= T_EQ && p->t <= T_GE)
        return perr(p, p->pos, "%s", "comparisons do not chain: use 'and' (a < b and b < c)");
    return 0;
}

static int parse_not(parser *p, node **out)
{
    if (p->t != T_NOT)
        return parse_cmp(p, out);
    size_t pos = p->pos;
    if (++p->depth > DLTC_RA_EXPR_MAX_DEPTH)
        return perr(p, pos, "%s", "the expression nests too deep");
    node *a = NULL;
    int rc = next(p);
    if (!rc)
        rc = parse_not(p, &a);
    p->depth--;
    if (rc)
        return rc;
    node *n = mk(p, N_NOT, pos);
    if (!n)
        return dltc_error_last()->code;
    n->a = a;
    *out = n;
    return settle(p, n);
}

static int parse_and(parser *p, node **out)
{
    int rc = parse_not(p, out);
    while (!rc && p->t == T_AND) {
        size_t pos = p->pos;
        node *b;
        if ((rc = next(p)) || (rc = parse_not(p, &b)))
            return rc;
        rc = binary(p, N_AND, 0, pos, *out, b, out);
    }
    return rc;
}

static int parse_expr(parser *p, node **out)
{
    if (++p->depth > DLTC_RA_EXPR_MAX_DEPTH)
        return perr(p, p->pos, "%s", "the expression nests too deep");
    int rc = parse_and(p, out);
    while (!rc && p->t == T_OR) {
        size_t pos = p->pos;
        node *b;
        if ((rc = next(p)) || (rc = parse_and(p, &b)))
            break;
        rc = binary(p, N_OR, 0, pos, *out, b, out);
    }
    p->depth--;
    return rc;
}

int dltc__ra_expr_compile(dltc__ra_expr **out, const char *text, size_t len)
{
    *out = NULL;
    if (len > DLTC_RA_EXPR_MAX_LEN)
        return dltc__error_set(DLTC_ELIMIT, "an expression of %zu bytes, more than %d", len,
                               DLTC_RA_EXPR_MAX_LEN);
    if (dltc__utf8_check(text, len) != len || memchr(text, '\0', len))
        return dltc__error_set(DLTC_EINVALID, "the expression is not UTF-8 text");
    dltc__ra_expr *e = dltc__calloc(1, sizeof(*e));
    if (!e)
        return dltc__error_oom();
    dltc__arena_init(&e->arena, 4096);
    int rc = (e->text = dltc__strndup(text, len)) ? 0 : dltc__error_oom();
    parser p;
    memset(&p, 0, sizeof p);
    p.s = e->text;
    p.len = len;
    p.a = &e->arena;
    if (!rc)
        rc = next(&p);
    if (!rc && p.t == T_EOF)
        rc = dltc__error_set(DLTC_EINVALID, "an empty expression");
    if (!rc)
        rc = parse_expr(&p, &e->root);
    if (!rc && p.t != T_EOF)
        rc = perr(&p, p.pos, "unexpected %s after the expression", tok_name(p.t));
    if (rc) {
        dltc__ra_expr_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void dltc__ra_expr_free(dltc__ra_expr *e)
{
    if (!e)
        return;
    dltc__arena_free(&e->arena);
    dltc__free(e->text);
    dltc__free(e);
}

const char *dltc__ra_expr_text(const dltc__ra_expr *e)
{
    return e->text;
}

/* ---- values ---- */

/* A result: a value, or `missing` (a field that is not there; null to everything but
 * exists()). */
typedef struct {
    dltc_value v;
    int missing;
} xval;

typedef struct {
    const dltc_value *record;
    dltc_arena *a;
} evalctx;

static int eval(evalctx *c, const node *n, xval *out);

static int is_null(const xval *x)
{
    return x->missing || x->v.type == DLTC_TYPE_NULL;
}

static int is_num(int t)
{
    return t == DLTC_TYPE_INT || t == DLTC_TYPE_DOUBLE || t == DLTC_TYPE_BIGINT ||
           t == DLTC_TYPE_DECIMAL;
}

static int is_time(int t)
{
    return t == DLTC_TYPE_TIMESTAMP || t == DLTC_TYPE_DATE || t == DLTC_TYPE_TIME;
}

static const char *tname(const dltc_value *v)
{
    switch (v->type) {
    case DLTC_TYPE_NULL: return "null";
    case DLTC_TYPE_BOOL: return "a boolean";
    case DLTC_TYPE_INT: case DLTC_TYPE_BIGINT: return "an integer";
    case DLTC_TYPE_DOUBLE: case DLTC_TYPE_DECIMAL: return "a number";
    case DLTC_TYPE_STRING: return "a string";
    case DLTC_TYPE_ARRAY: return "a list";
    case DLTC_TYPE_OBJECT: return "an object";
    case DLTC_TYPE_TIMESTAMP: return "a timestamp";
    case DLTC_TYPE_DATE: return "a date";
    case DLTC_TYPE_TIME: return "a time";
    default: return "binary data";
    }
}

static int eerr(const node *n, const char *fmt, const char *a, const char *b)
{
    char msg[200];
    snprintf(msg, sizeof msg, fmt, a, b);
    return dltc__error_set(DLTC_EINVALID, "at %u: %s", n->pos + 1, msg);
}

static double as_double(const dltc_value *v)
{
    if (v->type == DLTC_TYPE_DOUBLE)
        return v->u.d;
    if (v->type == DLTC_TYPE_INT || v->type == DLTC_TYPE_BOOL)
        return (double)v->u.i;
    char tmp[64];
    size_t n = v->len < sizeof tmp - 1 ? v->len : sizeof tmp - 1;
    memcpy(tmp, v->u.s, n);
    tmp[n] = '\0';
    return dltc__json_strtod(tmp, NULL);
}

static void set_null(xval *x)
{
    dltc__value_set_type(&x->v, DLTC_TYPE_NULL);
    x->missing = 0;
}

static void set_bool(xval *x, int b)
{
    dltc__value_set_type(&x->v, DLTC_TYPE_BOOL);
    x->v.u.i = b != 0;
    x->missing = 0;
}

static void set_int(xval *x, int64_t i)
{
    dltc__value_set_type(&x->v, DLTC_TYPE_INT);
    x->v.u.i = i;
    x->missing = 0;
}

static int set_double(const node *n, xval *x, double d)
{
    if (!isfinite(d))
        return eerr(n, "%s%s", "the result is not a finite number", "");
    dltc__value_set_type(&x->v, DLTC_TYPE_DOUBLE);
    x->v.u.d = d;
    x->missing = 0;
    return 0;
}

static int set_string(evalctx *c, const node *n, xval *x, const char *s, size_t len)
{
    if (len > DLTC_RA_EXPR_MAX_STRING)
        return dltc__error_set(DLTC_ELIMIT, "at %u: a string of more than %zu bytes", n->pos + 1,
                               DLTC_RA_EXPR_MAX_STRING);
    char *d = dltc__arena_strndup(c->a, s ? s : "", len);
    if (!d)
        return dltc_error_last()->code;
    dltc__value_set_type(&x->v, DLTC_TYPE_STRING);
    x->v.u.s = d;
    x->v.len = (uint32_t)len;
    x->missing = 0;
    return 0;
}

static int set_buf(evalctx *c, const node *n, xval *x, dltc_buf *b)
{
    int rc = set_string(c, n, x, b->data, b->len);
    dltc__buf_free(b);
    return rc;
}

int dltc__ra_truthy(const dltc_value *v)
{
    switch (v->type) {
    case DLTC_TYPE_NULL: return 0;
    case DLTC_TYPE_BOOL: case DLTC_TYPE_INT: return v->u.i != 0;
    case DLTC_TYPE_DOUBLE: return v->u.d != 0.0;
    case DLTC_TYPE_STRING: case DLTC_TYPE_ARRAY: case DLTC_TYPE_OBJECT: case DLTC_TYPE_BINARY:
        return v->len != 0;
    case DLTC_TYPE_BIGINT: case DLTC_TYPE_DECIMAL: return as_double(v) != 0.0;
    default: return 1;
    }
}

static int truthy(const xval *x)
{
    return !x->missing && dltc__ra_truthy(&x->v);
}

/* Equality: numbers by value (1 == 1.0), strings by bytes, datetimes in time (an ISO string
 * reads as one), lists and objects deep; different kinds are not equal (no error). */
static int equal(const dltc_value *a, const dltc_value *b)
{
    if (a->type == DLTC_TYPE_NULL || b->type == DLTC_TYPE_NULL)
        return a->type == b->type;
    if (a->type == DLTC_TYPE_BOOL || b->type == DLTC_TYPE_BOOL)
        return a->type == b->type && a->u.i == b->u.i;
    int c;
    if ((is_num(a->type) && is_num(b->type)) ||
        (a->type == DLTC_TYPE_STRING && b->type == DLTC_TYPE_STRING) || is_time(a->type) ||
        is_time(b->type)) {
        const dltc_error *e = dltc_error_last();
        int had = e->code;
        char keep[256] = "";
        if (had)
            snprintf(keep, sizeof keep, "%s", e->message);
        int rc = dltc__incr_compare(a, b, &c);
        if (rc) { /* not comparable: not equal, and no error left behind */
            if (had)
                dltc__error_set(had, "%s", keep);
            else
                dltc_error_clear();
            return 0;
        }
        return c == 0;
    }
    return dltc__json_equal(a, b);
}

/* Order of two non-null values; an error for kinds that do not compare. */
static int order(const node *n, const dltc_value *a, const dltc_value *b, int *out)
{
    int ok = (is_num(a->type) && is_num(b->type)) ||
             (a->type == DLTC_TYPE_STRING && b->type == DLTC_TYPE_STRING) ||
             (a->type == DLTC_TYPE_BOOL && b->type == DLTC_TYPE_BOOL) ||
             ((is_time(a->type) || is_time(b->type)) &&
              (is_time(a->type) || a->type == DLTC_TYPE_STRING) &&
              (is_time(b->type) || b->type == DLTC_TYPE_STRING));
    if (ok && dltc__incr_compare(a, b, out) == 0)
        return 0;
    return eerr(n, "cannot compare %s with %s", tname(a), tname(b));
}

static int eval_cmp(evalctx *c, const node *n, xval *out)
{
    xval a, b;
    int rc = eval(c, n->a, &a);
    if (!rc)
        rc = eval(c, n->b, &b);
    if (rc)
        return rc;
    if (n->op == T_EQ || n->op == T_NE) {
        int eq = is_null(&a) || is_null(&b) ? is_null(&a) && is_null(&b) : equal(&a.v, &b.v);
        set_bool(out, n->op == T_EQ ? eq : !eq);
        return 0;
    }
    if (is_null(&a) || is_null(&b)) { /* like SQL: an ordering with null is not true */
        set_bool(out, 0);
        return 0;
    }
    int o;
    if ((rc = order(n, &a.v, &b.v, &o)))
        return rc;
    switch (n->op) {
    case T_LT: set_bool(out, o < 0); break;
    case T_LE: set_bool(out, o <= 0); break;
    case T_GT: set_bool(out, o > 0); break;
    default: set_bool(out, o >= 0); break;
    }
    return 0;
}

static int contains(const node *n, const dltc_value *hay, const dltc_value *needle, int *out)
{
    *out = 0;
    switch (hay->type) {
    case DLTC_TYPE_ARRAY:
        for (uint32_t i = 0; i < hay->len && !*out; i++)
            *out = equal(&hay->u.arr[i], needle);
        return 0;
    case DLTC_TYPE_STRING:
        if (needle->type != DLTC_TYPE_STRING)
            return eerr(n, "'in' a string needs a string, not %s", tname(needle), "");
        if (!needle->len) {
            *out = 1;
            return 0;
        }
        for (size_t i = 0; i + needle->len <= hay->len && !*out; i++)
            *out = memcmp(hay->u.s + i, needle->u.s, needle->len) == 0;
        return 0;
    case DLTC_TYPE_OBJECT:
        if (needle->type != DLTC_TYPE_STRING)
            return eerr(n, "'in' an object needs a string key, not %s", tname(needle), "");
        for (uint32_t i = 0; i < hay->len && !*out; i++)
            *out = hay->u.obj[i].klen == needle->len &&
                   memcmp(hay->u.obj[i].key, needle->u.s, needle->len) == 0;
        return 0;
    default:
        return eerr(n, "'in' needs a list, a string or an object on its right, not %s",
                    tname(hay), "");
    }
}

static int eval_in(evalctx *c, const node *n, xval *out)
{
    xval a, b;
    int rc = eval(c, n->a, &a);
    if (!rc)
        rc = eval(c, n->b, &b);
    if (rc)
        return rc;
    int found = 0;
    if (!is_null(&b)) {
        if (is_null(&a))
            set_null(&a);
        if ((rc = contains(n, &b.v, &a.v, &found)))
            return rc;
    }
    set_bool(out, n->op ? !found : found);
    return 0;
}

static int eval_arith(evalctx *c, const node *n, xval *out)
{
    xval a, b;
    int rc = eval(c, n->a, &a);
    if (!rc)
        rc = eval(c, n->b, &b);
    if (rc)
        return rc;
    if (is_null(&a) || is_null(&b)) { /* null propagates: a missing field gives null */
        set_null(out);
        return 0;
    }
    const dltc_value *x = &a.v, *y = &b.v;
    static const char *verbs[] = {"add", "subtract", "multiply", "divide", "take the modulo of"};
    int vi = n->op == T_PLUS ? 0 : n->op == T_MINUS ? 1 : n->op == T_STAR ? 2
                                                        : n->op == T_SLASH ? 3 : 4;
    if (n->op == T_PLUS && x->type == DLTC_TYPE_STRING && y->type == DLTC_TYPE_STRING) {
        dltc_buf bb = DLTC_BUF_INIT;
        if ((size_t)x->len + y->len > DLTC_RA_EXPR_MAX_STRING)
            return set_string(c, n, out, NULL, (size_t)x->len + y->len);
        if ((rc = dltc__buf_put(&bb, x->u.s, x->len)) || (rc = dltc__buf_put(&bb, y->u.s, y->len)))
            return dltc__buf_free(&bb), rc;
        return set_buf(c, n, out, &bb);
    }
    if (n->op == T_PLUS && x->type == DLTC_TYPE_ARRAY && y->type == DLTC_TYPE_ARRAY) {
        dltc__value_set_type(&out->v, DLTC_TYPE_ARRAY);
        out->missing = 0;
        for (uint32_t i = 0; i < x->len && !rc; i++)
            rc = dltc__array_append(c->a, &out->v, &x->u.arr[i]);
        for (uint32_t i = 0; i < y->len && !rc; i++)
            rc = dltc__array_append(c->a, &out->v, &y->u.arr[i]);
        return rc;
    }
    if (!is_num(x->type) || !is_num(y->type)) {
        char msg[96];
        snprintf(msg, sizeof msg, "cannot %s %%s and %%s", verbs[vi]);
        return eerr(n, msg, tname(x), tname(y));
    }
    if (x->type == DLTC_TYPE_INT && y->type == DLTC_TYPE_INT && n->op != T_SLASH) {
        int64_t r, p = x->u.i, q = y->u.i;
        int over = 0;
        switch (n->op) {
        case T_PLUS: over = __builtin_add_overflow(p, q, &r); break;
        case T_MINUS: over = __builtin_sub_overflow(p, q, &r); break;
        case T_STAR: over = __builtin_mul_overflow(p, q, &r); break;
        default:
            if (q == 0)
                return eerr(n, "%s%s", "modulo by zero", "");
            if (q == -1) {
                r = 0;
                break;
            }
            r = p % q;
            if (r && ((r < 0) != (q < 0))) /* Python: the sign of the divisor */
                r += q;
        }
        if (!over) {
            set_int(out, r);
            return 0;
        }
    }
    double p = as_double(x), q = as_double(y), r;
    switch (n->op) {
    case T_PLUS: r = p + q; break;
    case T_MINUS: r = p - q; break;
    case T_STAR: r = p * q; break;
    case T_SLASH:
        if (q == 0)
            return eerr(n, "%s%s", "division by zero", "");
        r = p / q;
        break;
    default:
        if (q == 0)
            return eerr(n, "%s%s", "modulo by zero", "");
        r = fmod(p, q);
        if (r != 0 && ((r < 0) != (q < 0)))
            r += q;
    }
    return set_double(n, out, r);
}

/* A member of an object by name (missing when absent or not an object). */
static void member(const dltc_value *o, const char *name, size_t nlen, xval *out)
{
    out->missing = 1;
    dltc__value_set_type(&out->v, DLTC_TYPE_NULL);
    if (!o || o->type != DLTC_TYPE_OBJECT)
        return;
    for (uint32_t i = 0; i < o->len; i++)
        if (o->u.obj[i].klen == nlen && memcmp(o->u.obj[i].key, name, nlen) == 0) {
            out->v = o->u.obj[i].val;
            out->missing = 0;
            return;
        }
}

static int eval_index(evalctx *c, const node *n, xval *out)
{
    xval a, k;
    int rc = eval(c, n->a, &a);
    if (!rc)
        rc = eval(c, n->b, &k);
    if (rc)
        return rc;
    if (is_null(&a) || is_null(&k)) {
        *out = a;
        out->missing = 1;
        dltc__value_set_type(&out->v, DLTC_TYPE_NULL);
        return 0;
    }
    if (k.v.type == DLTC_TYPE_STRING) {
        member(&a.v, k.v.u.s, k.v.len, out);
        return 0;
    }
    if (k.v.type != DLTC_TYPE_INT)
        return eerr(n, "an index must be an integer or a string, not %s", tname(&k.v), "");
    out->missing = 1;
    dltc__value_set_type(&out->v, DLTC_TYPE_NULL);
    if (a.v.type != DLTC_TYPE_ARRAY)
        return 0;
    int64_t i = k.v.u.i;
    if (i < 0)
        i += a.v.len;
    if (i >= 0 && i < (int64_t)a.v.len) {
        out->v = a.v.u.arr[i];
        out->missing = 0;
    }
    return 0;
}

/* str(): a string as is, anything else as compact JSON text. */
static int to_text(evalctx *c, const node *n, const dltc_value *v, xval *out)
{
    if (v->type == DLTC_TYPE_STRING) {
        out->v = *v;
        out->missing = 0;
        return 0;
    }
    dltc_buf b = DLTC_BUF_INIT;
    b.limit = DLTC_RA_EXPR_MAX_STRING + 1;
    int rc = dltc__json_write(&b, v);
    if (rc)
        return dltc__buf_free(&b), rc;
    return set_buf(c, n, out, &b);
}

static size_t cp_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* Byte offset of code point `cp` (clamped to the end). */
static size_t cp_offset(const char *s, size_t n, size_t cp)
{
    size_t i = 0;
    while (i < n && cp) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cp--;
    }
    return i;
}

static int need_string(const node *n, const char *fn, const xval *x)
{
    if (x->v.type != DLTC_TYPE_STRING)
        return eerr(n, "%s() needs a string, not %s", fn, tname(&x->v));
    return 0;
}

/* A time value (timestamp, date, ISO string) as µs since the epoch; 1 when it is one. */
static int as_instant(const dltc_value *v, int64_t *us)
{
    if (v->type == DLTC_TYPE_TIMESTAMP) {
        *us = v->u.i;
        return 1;
    }
    if (v->type == DLTC_TYPE_DATE) {
        *us = v->u.i * 86400000000LL;
        return 1;
    }
    if (v->type != DLTC_TYPE_STRING || !v->len || !is_digit(v->u.s[0]))
        return 0;
    const dltc_error *e = dltc_error_last();
    int had = e->code;
    char keep[256] = "";
    if (had)
        snprintf(keep, sizeof keep, "%s", e->message);
    dltc_iso iso;
    int ok = dltc__iso_parse(v->u.s, v->len, &iso) == 0 && iso.kind != DLTC_ISO_TIME;
    if (!ok) {
        if (had)
            dltc__error_set(had, "%s", keep);
        else
            dltc_error_clear();
        return 0;
    }
    *us = iso.kind == DLTC_ISO_DATE ? iso.value * 86400000000LL : iso.value;
    return 1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int fn_minmax(const node *n, xval *args, uint32_t na, int want_max, xval *out)
{
    const dltc_value *items = NULL;
    uint32_t count = na;
    if (na == 1 && !is_null(&args[0]) && args[0].v.type == DLTC_TYPE_ARRAY) {
        items = args[0].v.u.arr;
        count = args[0].v.len;
    }
    set_null(out);
    int have = 0;
    for (uint32_t i = 0; i < count; i++) {
        const dltc_value *v = items ? &items[i] : &args[i].v;
        if ((!items && args[i].missing) || v->type == DLTC_TYPE_NULL)
            continue;
        int o = 0, rc;
        if (have && (rc = order(n, v, &out->v, &o)))
            return rc;
        if (!have || (want_max ? o > 0 : o < 0)) {
            out->v = *v;
            out->missing = 0;
            have = 1;
        }
    }
    return 0;
}

static int eval_call(evalctx *c, const node *n, xval *out)
{
    int rc;
    const char *fn = "";
    for (size_t k = 0; k < sizeof FUNCS / sizeof FUNCS[0]; k++)
        if (FUNCS[k].id == n->op)
            fn = FUNCS[k].name;
    /* lazy ones first */
    if (n->op == F_IF) {
        xval cond;
        if ((rc = eval(c, n->args[0], &cond)))
            return rc;
        return eval(c, n->args[truthy(&cond) ? 1 : 2], out);
    }
    if (n->op == F_COALESCE) {
        for (uint32_t i = 0; i < n->nargs; i++) {
            if ((rc = eval(c, n->args[i], out)))
                return rc;
            if (!is_null(out))
                return 0;
        }
        set_null(out);
        return 0;
    }
    xval *args = dltc__arena_alloc(c->a, n->nargs * sizeof(xval));
    if (!args)
        return dltc_error_last()->code;
    for (uint32_t i = 0; i < n->nargs; i++)
        if ((rc = eval(c, n->args[i], &args[i])))
            return rc;
    xval *x = &args[0];
    switch (n->op) {
    case F_IS_NULL: set_bool(out, is_null(x)); return 0;
    case F_EXISTS: set_bool(out, !x->missing); return 0;
    case F_BOOL: set_bool(out, truthy(x)); return 0;
    case F_MIN:
    case F_MAX:
        return fn_minmax(n, args, n->nargs, n->op == F_MAX, out);
    default:
        break;
    }
    /* the rest: null in, null out */
    if (is_null(x)) {
        if (n->op == F_STARTS_WITH || n->op == F_ENDS_WITH || n->op == F_CONTAINS)
            set_bool(out, 0);
        else
            set_null(out);
        return 0;
    }
    const dltc_value *v = &x->v;
    switch (n->op) {
    case F_LOWER:
    case F_UPPER:
    case F_TRIM: {
        if ((rc = need_string(n, fn, x)))
            return rc;
        if (n->op == F_TRIM) {
            size_t s = 0, e = v->len;
            while (s < e && strchr(" \t\r\n\f\v", v->u.s[s]))
                s++;
            while (e > s && strchr(" \t\r\n\f\v", v->u.s[e - 1]))
                e--;
            return set_string(c, n, out, v->u.s + s, e - s);
        }
        if ((rc = set_string(c, n, out, v->u.s, v->len)))
            return rc;
        char *d = (char *)out->v.u.s;
        for (uint32_t i = 0; i < v->len; i++) {
            if (n->op == F_LOWER && d[i] >= 'A' && d[i] <= 'Z')
                d[i] = (char)(d[i] - 'A' + 'a');
            else if (n->op == F_UPPER && d[i] >= 'a' && d[i] <= 'z')
                d[i] = (char)(d[i] - 'a' + 'A');
        }
        return 0;
    }
    case F_LEN:
        if (v->type == DLTC_TYPE_STRING)
            set_int(out, (int64_t)cp_count(v->u.s, v->len));
        else if (v->type == DLTC_TYPE_ARRAY || v->type == DLTC_TYPE_OBJECT)
            set_int(out, v->len);
        else
            return eerr(n, "len() needs a string, a list or an object, not %s", tname(v), "");
        return 0;
    case F_STARTS_WITH:
    case F_ENDS_WITH: {
        if ((rc = need_string(n, fn, x)) || (rc = need_string(n, fn, &args[1])))
            return rc;
        const dltc_value *p = &args[1].v;
        int ok = p->len <= v->len &&
                 memcmp(n->op == F_STARTS_WITH ? v->u.s : v->u.s + v->len - p->len, p->u.s,
                        p->len) == 0;
        set_bool(out, ok);
        return 0;
    }
    case F_CONTAINS: {
        int found = 0;
        xval nd = args[1];
        if (is_null(&nd))
            set_null(&nd);
        if ((rc = contains(n, v, &nd.v, &found)))
            return rc;
        set_bool(out, found);
        return 0;
    }
    case F_REPLACE: {
        if ((rc = need_string(n, fn, x)) || (rc = need_string(n, fn, &args[1])) ||
            (rc = need_string(n, fn, &args[2])))
            return rc;
        const dltc_value *from = &args[1].v, *to = &args[2].v;
        if (!from->len)
            return eerr(n, "%s%s", "replace() needs a text to search for", "");
        dltc_buf b = DLTC_BUF_INIT;
        b.limit = DLTC_RA_EXPR_MAX_STRING + 1;
        size_t i = 0;
        while (!rc && i < v->len) {
            if (i + from->len <= v->len && memcmp(v->u.s + i, from->u.s, from->len) == 0) {
                rc = dltc__buf_put(&b, to->u.s, to->len);
                i += from->len;
            } else {
                rc = dltc__buf_putc(&b, v->u.s[i++]);
            }
        }
        if (rc)
            return dltc__buf_free(&b), rc;
        return set_buf(c, n, out, &b);
    }
    case F_SUBSTR: {
        if ((rc = need_string(n, fn, x)))
            return rc;
        for (uint32_t i = 1; i < n->nargs; i++)
            if (args[i].missing || args[i].v.type != DLTC_TYPE_INT)
                return eerr(n, "%s() needs integer positions, not %s", fn, tname(&args[i].v));
        int64_t total = (int64_t)cp_count(v->u.s, v->len);
        int64_t st = args[1].v.u.i;
        if (st < 0)
            st = st + total < 0 ? 0 : st + total;
        if (st > total)
            st = total;
        int64_t len = n->nargs == 3 ? args[2].v.u.i : total - st;
        if (len < 0)
            len = 0;
        if (len > total - st)
            len = total - st;
        size_t b0 = cp_offset(v->u.s, v->len, (size_t)st);
        size_t b1 = b0 + cp_offset(v->u.s + b0, v->len - b0, (size_t)len);
        return set_string(c, n, out, v->u.s + b0, b1 - b0);
    }
    case F_SPLIT: {
        if ((rc = need_string(n, fn, x)) || (rc = need_string(n, fn, &args[1])))
            return rc;
        const dltc_value *sep = &args[1].v;
        if (!sep->len)
            return eerr(n, "%s%s", "split() needs a separator", "");
        dltc__value_set_type(&out->v, DLTC_TYPE_ARRAY);
        out->missing = 0;
        size_t s = 0;
        for (size_t i = 0; !rc;) {
            int at_end = i + sep->len > v->len;
            if (at_end || memcmp(v->u.s + i, sep->u.s, sep->len) == 0) {
                xval part;
                size_t e = at_end ? v->len : i;
                if (!(rc = set_string(c, n, &part, v->u.s + s, e - s)))
                    rc = dltc__array_append(c->a, &out->v, &part.v);
                if (at_end)
                    break;
                i += sep->len;
                s = i;
            } else {
                i++;
            }
        }
        return rc;
    }
    case F_JOIN: {
        if (v->type != DLTC_TYPE_ARRAY)
            return eerr(n, "join() needs a list, not %s", tname(v), "");
        if ((rc = need_string(n, fn, &args[1])))
            return rc;
        dltc_buf b = DLTC_BUF_INIT;
        b.limit = DLTC_RA_EXPR_MAX_STRING + 1;
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            if (i)
                rc = dltc__buf_put(&b, args[1].v.u.s, args[1].v.len);
            const dltc_value *it = &v->u.arr[i];
            if (!rc)
                rc = it->type == DLTC_TYPE_STRING ? dltc__buf_put(&b, it->u.s, it->len)
                                                   : dltc__json_write(&b, it);
        }
        if (rc)
            return dltc__buf_free(&b), rc;
        return set_buf(c, n, out, &b);
    }
    case F_STR:
        return to_text(c, n, v, out);
    case F_INT:
    case F_FLOAT: {
        double d;
        if (v->type == DLTC_TYPE_BOOL || v->type == DLTC_TYPE_INT) {
            if (n->op == F_INT) {
                set_int(out, v->u.i);
                return 0;
            }
            d = (double)v->u.i;
        } else if (is_num(v->type)) {
            d = as_double(v);
        } else if (v->type == DLTC_TYPE_STRING) {
            char tmp[64];
            size_t s = 0, e = v->len;
            while (s < e && v->u.s[s] == ' ')
                s++;
            while (e > s && v->u.s[e - 1] == ' ')
                e--;
            if (e - s == 0 || e - s >= sizeof tmp)
                return eerr(n, "%s() cannot read a number from this string", fn, "");
            memcpy(tmp, v->u.s + s, e - s);
            tmp[e - s] = '\0';
            char *end;
            if (n->op == F_INT) {
                errno = 0;
                long long i = strtoll(tmp, &end, 10);
                if (!errno && *end == '\0') {
                    set_int(out, i);
                    return 0;
                }
            }
            d = dltc__json_strtod(tmp, &end);
            if (*end != '\0' || end == tmp)
                return eerr(n, "%s() cannot read a number from this string", fn, "");
        } else {
            return eerr(n, "%s() needs a number or a string, not %s", fn, tname(v));
        }
        if (n->op == F_FLOAT)
            return set_double(n, out, d);
        if (!isfinite(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18)
            return eerr(n, "%s%s", "int() of a number out of range", "");
        set_int(out, (int64_t)d); /* truncates toward zero, as Python's int() */
        return 0;
    }
    case F_ROUND:
    case F_ABS: {
        if (!is_num(v->type))
            return eerr(n, "%s() needs a number, not %s", fn, tname(v));
        if (n->op == F_ABS) {
            if (v->type == DLTC_TYPE_INT && v->u.i != INT64_MIN) {
                set_int(out, v->u.i < 0 ? -v->u.i : v->u.i);
                return 0;
            }
            return set_double(n, out, fabs(as_double(v)));
        }
        if (n->nargs == 1) {
            if (v->type == DLTC_TYPE_INT) {
                *out = *x;
                return 0;
            }
            double r = nearbyint(as_double(v)); /* half to even, as Python */
            if (!isfinite(r) || r >= 9.2233720368547758e18 || r < -9.2233720368547758e18)
                return eerr(n, "%s%s", "round() of a number out of range", "");
            set_int(out, (int64_t)r);
            return 0;
        }
        if (args[1].missing || args[1].v.type != DLTC_TYPE_INT || args[1].v.u.i < -15 ||
            args[1].v.u.i > 15)
            return eerr(n, "%s%s", "round() needs a number of digits from -15 to 15", "");
        double f = pow(10.0, (double)args[1].v.u.i);
        return set_double(n, out, nearbyint(as_double(v) * f) / f);
    }
    case F_EPOCH:
    case F_DATE: {
        int64_t us;
        if (!as_instant(v, &us))
            return eerr(n, "%s() needs a timestamp, a date or an ISO 8601 string, not %s",
                        fn, tname(v));
        if (n->op == F_EPOCH) {
            set_int(out, floor_div(us, 1000000));
            return 0;
        }
        char d[DLTC_ISO_MAX];
        size_t len = dltc__format_date(d, (int32_t)floor_div(us, 86400000000LL));
        return set_string(c, n, out, d, len);
    }
    default:
        return eerr(n, "%s%s", "unknown function", "");
    }
}

static int eval(evalctx *c, const node *n, xval *out)
{
    int rc;
    switch (n->kind) {
    case N_LIT:
        out->v = n->lit;
        out->missing = 0;
        return 0;
    case N_ROOT:
        out->v = *c->record;
        out->missing = 0;
        return 0;
    case N_FIELD:
        member(c->record, n->name, n->nlen, out);
        return 0;
    case N_MEMBER: {
        xval a;
        if ((rc = eval(c, n->a, &a)))
            return rc;
        member(a.missing ? NULL : &a.v, n->name, n->nlen, out);
        return 0;
    }
    case N_INDEX:
        return eval_index(c, n, out);
    case N_CALL:
        return eval_call(c, n, out);
    case N_LIST:
        dltc__value_set_type(&out->v, DLTC_TYPE_ARRAY);
        out->missing = 0;
        for (uint32_t i = 0; i < n->nargs; i++) {
            xval it;
            if ((rc = eval(c, n->args[i], &it)))
                return rc;
            if (it.missing)
                set_null(&it);
            if ((rc = dltc__array_append(c->a, &out->v, &it.v)))
                return rc;
        }
        return 0;
    case N_NEG: {
        xval a;
        if ((rc = eval(c, n->a, &a)))
            return rc;
        if (is_null(&a)) {
            set_null(out);
            return 0;
        }
        if (a.v.type == DLTC_TYPE_INT && a.v.u.i != INT64_MIN) {
            set_int(out, -a.v.u.i);
            return 0;
        }
        if (!is_num(a.v.type))
            return eerr(n, "cannot negate %s%s", tname(&a.v), "");
        return set_double(n, out, -as_double(&a.v));
    }
    case N_NOT: {
        xval a;
        if ((rc = eval(c, n->a, &a)))
            return rc;
        set_bool(out, !truthy(&a));
        return 0;
    }
    case N_AND:
    case N_OR: /* Python: the deciding operand */
        if ((rc = eval(c, n->a, out)))
            return rc;
        if (n->kind == N_AND ? !truthy(out) : truthy(out))
            return 0;
        return eval(c, n->b, out);
    case N_CMP:
        return eval_cmp(c, n, out);
    case N_ARITH:
        return eval_arith(c, n, out);
    case N_IN:
        return eval_in(c, n, out);
    default:
        return dltc__error_set(DLTC_ERROR, "expression: unknown node %d", n->kind);
    }
}

int dltc__ra_expr_eval(const dltc__ra_expr *e, const dltc_value *record, dltc_arena *a,
                       dltc_value *out)
{
    dltc_value none;
    dltc__value_set_type(&none, DLTC_TYPE_NULL);
    evalctx c = {record ? record : &none, a};
    xval r;
    /* a budget for what one evaluation may build (nested replace() could multiply sizes) */
    size_t limit = a->limit;
    if (!limit || limit > a->used + DLTC_RA_EXPR_MAX_BUILD)
        a->limit = a->used + DLTC_RA_EXPR_MAX_BUILD;
    int rc = eval(&c, e->root, &r);
    a->limit = limit;
    if (rc == DLTC_ELIMIT && strstr(dltc_error_last()->message, "arena limit"))
        rc = dltc__error_set(DLTC_ELIMIT, "the expression builds more than %zu bytes",
                             DLTC_RA_EXPR_MAX_BUILD);
    if (rc)
        return rc;
    if (r.missing)
        dltc__value_set_type(&r.v, DLTC_TYPE_NULL);
    *out = r.v;
    return 0;
}
