/* The strict TOML 1.0.0 reader (see toml.h for what it produces and accepts).
 *
 * One recursive-descent pass over the whole document in memory, after a UTF-8 check of all
 * of it. The document is first built as a tree of `tnode`s in a scratch arena: every node
 * remembers how its table or array came to be (`kind`), which is what the definition rules
 * of TOML are about, and nodes never move, so the parser can hold on to the current table.
 * The caller's dltc_value tree is made from the nodes at the end, with vectors of exactly
 * the right size; keys and strings go to the caller's arena straight away.
 *
 * Definition rules, as TOML 1.0.0 states them and Python's tomllib implements them:
 * - K_IMPLICIT: a super-table made by a header path ([a.b.c] makes a and a.b). A later
 *   [a] may define it once (it becomes K_HEADER). A dotted key that goes through it makes it
 *   K_DOTTED (so no [a.b] header may follow).
 * - K_HEADER: defined by [a] (or an element of [[a]]): never defined again, and dotted keys
 *   of another section cannot go into it.
 * - K_DOTTED: made by a dotted key (a.b = 1 makes table a) in section `section`. Dotted keys
 *   of that same section may add to it; a header may go through it ([a.c]) but not name it
 *   ([a]); dotted keys of other sections may not touch it.
 * - K_INLINE: an inline table: frozen once written (no header, dotted key or [[ ]] may go
 *   into it). Tables made by dotted keys inside an inline table are K_DOTTED with the inline
 *   table's own section number, so only the inline table's own keys reach them.
 * - K_ARRAY: a static array (a = [...]): [[a]] may not append to it, headers not go into it.
 * - K_AOT: an array of tables: [[a]] appends; [a.b] goes into its last element.
 * A section is the part of the document after one header (section 1 is the root's); every
 * inline table gets a fresh section number too.
 *
 * Lookup: one hash table over the whole document maps (parent node, key) to the child
 * node, so finding or adding a key is O(1) expected and a document is parsed in O(n) time
 * (n = input bytes) whatever its shape; memory is O(n) too (a node is made for at most
 * every two bytes of input; the scratch arena has the caller's arena limit). Keys are hashed
 * with FNV-1a mixed with the parent's number. Nesting is bounded by max_depth (recursion:
 * values in arrays and inline tables, and the final copy); of a dotted key only the first
 * max_depth + 2 parts are kept (a longer one fails the depth check anyway).
 *
 * Errors are reported at the first offending byte (at the opening delimiter for
 * unterminated strings, arrays and inline tables); the line and column are computed from
 * the byte offset once, at the end. */
#include "formats/toml.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "formats/json.h"
#include "common/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef unsigned char uchar;

static inline int is_bare(uchar ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

enum { K_VALUE, K_ARRAY, K_AOT, K_IMPLICIT, K_HEADER, K_DOTTED, K_INLINE };

typedef struct tnode tnode;
struct tnode {
    dltc_value v;     /* scalars: the value; containers: only the type so far */
    const char *key;  /* in the caller's arena; NULL for array items */
    uint32_t klen;
    uint32_t id;      /* for hashing (deterministic, unlike the address) */
    uint32_t depth;   /* containers below the root down to this node */
    uint32_t section; /* K_DOTTED: the section that made it */
    uint32_t count;   /* children */
    uint8_t kind;
    uint64_t hash;
    tnode *parent;
    tnode *first, *last, *next; /* children in order */
    tnode *hnext;               /* hash chain */
    const uchar *at;            /* where it was written (key lines) */
};

typedef struct {
    size_t off;      /* decoded key text in the key buffer */
    uint32_t len;
    const uchar *at; /* where the key part starts in the input */
} keypart;

typedef struct {
    const uchar *data, *end; /* the input */
    const uchar *p;          /* the cursor */
    size_t bom;              /* 3 when a byte order mark was skipped */
    dltc_arena *out;         /* the caller's arena */
    dltc_arena scratch;      /* nodes */
    uint32_t max_depth;
    uint32_t section;        /* the current section */
    uint32_t nsections;
    uint32_t nids;
    tnode *root, *cur;
    tnode **buckets;
    size_t nbuckets, nkeys;
    dltc_buf sbuf;           /* a string value or number text being decoded */
    dltc_buf kbuf;           /* the parts of the key being read */
    keypart *parts;
    size_t nparts, cap_parts;
    /* error */
    int err_code;
    const uchar *err_at;
    char reason[256];
    /* key lines (dltc__toml_parse_lines) */
    dltc_keylines *lines;
    dltc_buf path;
    size_t *nl; /* offsets of the newlines */
    size_t nnl;
} parser;

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                               */
/* ------------------------------------------------------------------------------------ */

static int fail(parser *c, const uchar *at, int code, const char *fmt, ...) DLTC_PRINTF(4, 5);
static int fail(parser *c, const uchar *at, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
    c->err_code = code;
    c->err_at = at;
    return code;
}

/* An allocation failed: the allocator's or the arena's message becomes the reason. */
static int fail_alloc(parser *c, const uchar *at)
{
    const dltc_error *e = dltc_error_last();
    int code = e->code ? e->code : DLTC_ENOMEM;
    return fail(c, at, code, "%s", e->code ? e->message : "out of memory");
}

/* What is at p, for messages: "end of file", "newline", "'x'", "control character U+0001",
 * or a non-ASCII character as "'é' (U+00E9)" (the input is valid UTF-8 by then). */
static const char *describe(const parser *c, const uchar *p, char *buf, size_t n)
{
    if (p >= c->end)
        return "end of file";
    uchar ch = *p;
    if (ch == '\n' || (ch == '\r' && p + 1 < c->end && p[1] == '\n'))
        return "newline";
    if (ch < 0x20 || ch == 0x7f) {
        snprintf(buf, n, "control character U+%04X", (unsigned)ch);
        return buf;
    }
    if (ch < 0x80) {
        snprintf(buf, n, "'%c'", (int)ch);
        return buf;
    }
    uint32_t cp;
    size_t len = dltc__utf8_next((const char *)p, (size_t)(c->end - p), 0, &cp);
    snprintf(buf, n, "'%.*s' (U+%04X)", (int)len, (const char *)p, (unsigned)cp);
    return buf;
}

static int fail_found(parser *c, const uchar *at, const char *expected)
{
    char buf[40];
    return fail(c, at, DLTC_EPARSE, "%s, found %s", expected, describe(c, at, buf, sizeof(buf)));
}

/* A key path for messages: parts joined by '.', quoted (as basic strings) when not bare,
 * cut to about 80 bytes. */
static const char *key_path(const parser *c, size_t nparts, char *buf, size_t n)
{
    size_t pos = 0;
    const size_t max = n - 8 < 80 ? n - 8 : 80; /* room for an escape and "..." */
    for (size_t i = 0; i < nparts && pos < max; i++) {
        const uchar *s = (const uchar *)(c->kbuf.data ? c->kbuf.data + c->parts[i].off : "");
        uint32_t len = c->parts[i].len;
        int bare = len > 0;
        for (uint32_t k = 0; k < len && bare; k++)
            bare = is_bare(s[k]);
        if (i > 0)
            buf[pos++] = '.';
        if (!bare)
            buf[pos++] = '"';
        for (uint32_t k = 0; k < len && pos < max; k++) {
            uchar ch = s[k];
            if (!bare && (ch == '"' || ch == '\\')) {
                buf[pos++] = '\\';
                buf[pos++] = (char)ch;
            } else if (ch < 0x20 || ch == 0x7f) {
                pos += (size_t)snprintf(buf + pos, n - pos, "\\u%04X", (unsigned)ch);
            } else {
                buf[pos++] = (char)ch;
            }
        }
        if (!bare && pos < max)
            buf[pos++] = '"';
    }
    if (pos >= max) {
        while (pos > 0 && ((uchar)buf[pos - 1] & 0xC0) == 0x80)
            pos--; /* never cut a UTF-8 sequence */
        if (pos > 0 && (uchar)buf[pos - 1] >= 0xC0)
            pos--;
        memcpy(buf + pos, "...", 3);
        pos += 3;
    }
    buf[pos] = '\0';
    return buf;
}

static const char *kind_name(const tnode *n)
{
    switch (n->kind) {
    case K_ARRAY:
        return "an array";
    case K_AOT:
        return "an array of tables";
    case K_VALUE:
        break;
    default:
        return "a table";
    }
    switch (n->v.type) {
    case DLTC_TYPE_STRING:
        return "a string";
    case DLTC_TYPE_INT:
        return "an integer";
    case DLTC_TYPE_DOUBLE:
        return "a float";
    case DLTC_TYPE_BOOL:
        return "a boolean";
    case DLTC_TYPE_TIMESTAMP:
        return "a date-time";
    case DLTC_TYPE_DATE:
        return "a date";
    case DLTC_TYPE_TIME:
        return "a time";
    default:
        return "a value";
    }
}

/* ------------------------------------------------------------------------------------ */
/* Nodes and the key hash table                                                         */
/* ------------------------------------------------------------------------------------ */

static uint64_t key_hash(const char *key, size_t klen, uint32_t parent_id)
{
    uint64_t h = dltc__hash_bytes(key, klen) ^ ((uint64_t)parent_id * 0x9E3779B97F4A7C15ULL);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static tnode *lookup(const parser *c, const tnode *parent, const char *key, size_t klen)
{
    if (!c->nbuckets)
        return NULL;
    uint64_t h = key_hash(key, klen, parent->id);
    for (tnode *n = c->buckets[h & (c->nbuckets - 1)]; n; n = n->hnext)
        if (n->hash == h && n->parent == parent && n->klen == klen &&
            memcmp(n->key, key, klen) == 0)
            return n;
    return NULL;
}

static int grow_buckets(parser *c)
{
    size_t nb = c->nbuckets ? c->nbuckets * 2 : 64;
    tnode **b = dltc__calloc(nb, sizeof(*b));
    if (!b)
        return dltc__error_oom();
    for (size_t i = 0; i < c->nbuckets; i++) {
        tnode *n = c->buckets[i];
        while (n) {
            tnode *next = n->hnext;
            n->hnext = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
            n = next;
        }
    }
    dltc__free(c->buckets);
    c->buckets = b;
    c->nbuckets = nb;
    return 0;
}

/* A new child of `parent` (a table when `key` is given, else an array item), appended to its
 * children. `at` is the position for errors. Containers are checked against max_depth by
 * the caller (check_depth). */
static int node_new(parser *c, tnode *parent, const char *key, size_t klen, const uchar *at,
                    tnode **out)
{
    if (parent->count == UINT32_MAX)
        return fail(c, at, DLTC_ELIMIT, "more than %u members", UINT32_MAX);
    tnode *n = dltc__arena_alloc(&c->scratch, sizeof(*n));
    if (!n)
        return fail_alloc(c, at);
    memset(n, 0, sizeof(*n));
    dltc__value_set_type(&n->v, DLTC_TYPE_NULL);
    n->id = ++c->nids;
    n->depth = parent->depth;
    n->parent = parent;
    n->at = at;
    if (key) {
        if (c->nkeys >= c->nbuckets && grow_buckets(c) != 0)
            return fail_alloc(c, at);
        char *k = dltc__arena_strndup(c->out, key, klen);
        if (!k)
            return fail_alloc(c, at);
        n->key = k;
        n->klen = (uint32_t)klen;
        n->hash = key_hash(key, klen, parent->id);
        size_t b = n->hash & (c->nbuckets - 1);
        n->hnext = c->buckets[b];
        c->buckets[b] = n;
        c->nkeys++;
    }
    if (parent->last)
        parent->last->next = n;
    else
        parent->first = n;
    parent->last = n;
    parent->count++;
    *out = n;
    return 0;
}

/* Make `n` a container of `type` one level below its parent. */
static int make_container(parser *c, tnode *n, int type, int kind, const uchar *at)
{
    uint32_t depth = n->parent ? n->parent->depth + 1 : 0;
    if (depth > c->max_depth)
        return fail(c, at, DLTC_ELIMIT, "nesting deeper than %u levels", c->max_depth);
    n->depth = depth;
    n->v.type = (uint8_t)type;
    n->kind = (uint8_t)kind;
    return 0;
}

static int table_new(parser *c, tnode *parent, const keypart *k, int kind, tnode **out)
{
    int rc = node_new(c, parent, c->kbuf.data ? c->kbuf.data + k->off : "", k->len, k->at, out);
    if (rc)
        return rc;
    (*out)->section = c->section;
    return make_container(c, *out, DLTC_TYPE_OBJECT, kind, k->at);
}

/* ------------------------------------------------------------------------------------ */
/* Whitespace, newlines, comments                                                       */
/* ------------------------------------------------------------------------------------ */

static inline int is_digit(uchar ch)
{
    return ch >= '0' && ch <= '9';
}

static inline int is_control(uchar ch)
{
    return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

static void skip_ws(parser *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* At a newline (LF or CRLF)? 1 and its length in *n. */
static int at_newline(const parser *c, const uchar *p, size_t *n)
{
    if (p < c->end && *p == '\n') {
        *n = 1;
        return 1;
    }
    if (p + 1 < c->end && p[0] == '\r' && p[1] == '\n') {
        *n = 2;
        return 1;
    }
    return 0;
}

/* A control character where text is expected; "in <where>". */
static int fail_control(parser *c, const uchar *at, const char *where)
{
    if (*at == '\r')
        return fail(c, at, DLTC_EPARSE, "carriage return without a line feed in %s", where);
    return fail(c, at, DLTC_EPARSE, "control character U+%04X in %s", (unsigned)*at, where);
}

/* From '#' to the end of the line (the newline is left). */
static int skip_comment(parser *c)
{
    c->p++;
    while (c->p < c->end) {
        uchar ch = *c->p;
        size_t nl;
        if (at_newline(c, c->p, &nl))
            return 0;
        if (is_control(ch))
            return fail_control(c, c->p, "comment");
        c->p++;
    }
    return 0;
}

/* Whitespace, newlines and comments (inside arrays). */
static int skip_ws_nl(parser *c)
{
    for (;;) {
        skip_ws(c);
        size_t nl;
        if (at_newline(c, c->p, &nl)) {
            c->p += nl;
        } else if (c->p < c->end && *c->p == '#') {
            int rc = skip_comment(c);
            if (rc)
                return rc;
        } else {
            return 0;
        }
    }
}

/* After a statement: whitespace, an optional comment, then a newline or the end. */
static int end_of_line(parser *c, const char *after)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == '#') {
        int rc = skip_comment(c);
        if (rc)
            return rc;
    }
    if (c->p == c->end)
        return 0;
    size_t nl;
    if (at_newline(c, c->p, &nl)) {
        c->p += nl;
        return 0;
    }
    if (*c->p == '\r')
        return fail(c, c->p, DLTC_EPARSE, "carriage return without a line feed");
    char what[64];
    snprintf(what, sizeof(what), "expected a newline after %s", after);
    return fail_found(c, c->p, what);
}

/* ------------------------------------------------------------------------------------ */
/* Strings                                                                              */
/* ------------------------------------------------------------------------------------ */

static int put(parser *c, dltc_buf *b, const void *s, size_t n)
{
    if (dltc__buf_put(b, s, n) != 0)
        return fail_alloc(c, c->p);
    return 0;
}

static int put_utf8(parser *c, dltc_buf *b, uint32_t cp)
{
    uchar u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uchar)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uchar)(0xC0 | (cp >> 6));
        u[1] = (uchar)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uchar)(0xE0 | (cp >> 12));
        u[1] = (uchar)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uchar)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (uchar)(0xF0 | (cp >> 18));
        u[1] = (uchar)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uchar)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (uchar)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return put(c, b, u, n);
}

/* An escape at c->p (the backslash) of a basic string. `ml`: a line-ending backslash is
 * allowed. */
static int parse_escape(parser *c, dltc_buf *b, int ml, const uchar *open)
{
    const uchar *esc = c->p;
    c->p++;
    if (c->p == c->end)
        return fail(c, open, DLTC_EPARSE, "unterminated string");
    uchar e = *c->p;
    const char *simple = NULL;
    switch (e) {
    case 'b': simple = "\b"; break;
    case 't': simple = "\t"; break;
    case 'n': simple = "\n"; break;
    case 'f': simple = "\f"; break;
    case 'r': simple = "\r"; break;
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    default: break;
    }
    if (simple) {
        c->p++;
        return put(c, b, simple, 1);
    }
    if (e == 'u' || e == 'U') {
        int n = e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        c->p++;
        for (int i = 0; i < n; i++, c->p++) {
            int h = c->p < c->end ? dltc__hex_digit(*c->p) : -1;
            if (h < 0)
                return fail(c, esc, DLTC_EPARSE, "\\%c escape needs %d hex digits", e, n);
            cp = (cp << 4) | (uint32_t)h;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail(c, esc, DLTC_EPARSE, "escape \\%c%0*X is not a Unicode scalar value", e,
                        n, (unsigned)cp);
        return put_utf8(c, b, cp);
    }
    if (ml && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
        /* line-ending backslash: whitespace up to the newline, then all whitespace and
         * newlines are trimmed */
        const uchar *q = c->p;
        while (q < c->end && (*q == ' ' || *q == '\t'))
            q++;
        size_t nl;
        if (!at_newline(c, q, &nl)) {
            if (q < c->end && *q == '\r')
                return fail_control(c, q, "multi-line string");
            if (q == c->end)
                return fail(c, open, DLTC_EPARSE, "unterminated string");
            return fail(c, esc, DLTC_EPARSE,
                        "invalid escape: '\\' followed by whitespace must end the line");
        }
        c->p = q;
        for (;;) {
            if (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
                c->p++;
            else if (at_newline(c, c->p, &nl))
                c->p += nl;
            else
                return 0;
        }
    }
    if (e >= 0x21 && e < 0x7f)
        return fail(c, esc, DLTC_EPARSE, "invalid escape sequence '\\%c'", e);
    char buf[40];
    return fail(c, esc, DLTC_EPARSE, "invalid escape sequence: '\\' followed by %s",
                describe(c, c->p, buf, sizeof(buf)));
}

/* A string of any of the four kinds at c->p, decoded into `b` (appended). `key`: in a key,
 * where multi-line strings are not allowed. */
static int parse_string(parser *c, dltc_buf *b, int key)
{
    const uchar *open = c->p;
    uchar q = *open;
    int basic = q == '"';
    int ml = c->p + 2 < c->end && open[1] == q && open[2] == q;
    if (ml && key)
        return fail(c, open, DLTC_EPARSE, "a key cannot be a multi-line string");
    const char *where = ml ? "multi-line string" : "string";
    c->p += ml ? 3 : 1;
    size_t nl;
    if (ml && at_newline(c, c->p, &nl))
        c->p += nl; /* a newline right after the opening delimiter is trimmed */
    for (;;) {
        /* a run of plain characters */
        const uchar *run = c->p;
        while (c->p < c->end) {
            uchar ch = *c->p;
            if (ch == q || (basic && ch == '\\') || is_control(ch) || ch == '\n')
                break;
            c->p++;
        }
        if (c->p > run) {
            int rc = put(c, b, run, (size_t)(c->p - run));
            if (rc)
                return rc;
        }
        if (c->p == c->end)
            return fail(c, open, DLTC_EPARSE, "unterminated %s", where);
        uchar ch = *c->p;
        if (ch == q) {
            if (!ml) {
                c->p++;
                return 0;
            }
            size_t n = 0;
            while (c->p + n < c->end && c->p[n] == q && n < 5)
                n++;
            if (n < 3) {
                int rc = put(c, b, c->p, n);
                if (rc)
                    return rc;
                c->p += n;
                continue;
            }
            /* the closing delimiter, after up to two quotes that belong to the string */
            int rc = put(c, b, c->p, n - 3);
            c->p += n;
            return rc;
        }
        if (ch == '\\') {
            int rc = parse_escape(c, b, ml, open);
            if (rc)
                return rc;
            continue;
        }
        if (at_newline(c, c->p, &nl)) {
            if (!ml)
                return fail(c, open, DLTC_EPARSE, "unterminated string");
            c->p += nl;
            int rc = put(c, b, "\n", 1);
            if (rc)
                return rc;
            continue;
        }
        return fail_control(c, c->p, where);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Keys                                                                                 */
/* ------------------------------------------------------------------------------------ */

/* A simple or dotted key at c->p into c->parts (c->nparts), and the whitespace after it.
 * Only the first max_depth + 2 parts are kept: the parts before the last one are tables, at
 * least one level deeper each, so a longer key is certain to fail the depth check while it
 * is resolved (at the right part), and the memory for parts stays bounded. */
static int parse_key(parser *c)
{
    dltc__buf_clear(&c->kbuf);
    c->nparts = 0;
    for (;;) {
        const uchar *at = c->p;
        int keep = c->nparts < (size_t)c->max_depth + 2;
        if (keep && c->nparts == c->cap_parts) {
            size_t cap = c->cap_parts ? c->cap_parts * 2 : 8;
            keypart *n = dltc__realloc(c->parts, cap * sizeof(*n));
            if (!n) {
                dltc__error_oom();
                return fail_alloc(c, at);
            }
            c->parts = n;
            c->cap_parts = cap;
        }
        size_t off = c->kbuf.len;
        if (at < c->end && is_bare(*at)) {
            while (c->p < c->end && is_bare(*c->p))
                c->p++;
            int rc = put(c, &c->kbuf, at, (size_t)(c->p - at));
            if (rc)
                return rc;
        } else if (at < c->end && (*at == '"' || *at == '\'')) {
            int rc = parse_string(c, &c->kbuf, 1);
            if (rc)
                return rc;
        } else {
            return fail_found(c, at, c->nparts ? "expected a key after '.'" : "expected a key");
        }
        if (c->kbuf.len - off > UINT32_MAX)
            return fail(c, at, DLTC_ELIMIT, "key longer than 4 GiB");
        if (keep) {
            c->parts[c->nparts].off = off;
            c->parts[c->nparts].len = (uint32_t)(c->kbuf.len - off);
            c->parts[c->nparts].at = at;
            c->nparts++;
        } else {
            c->kbuf.len = off;
        }
        skip_ws(c);
        if (c->p < c->end && *c->p == '.') {
            c->p++;
            skip_ws(c);
            continue;
        }
        return 0;
    }
}

static const char *part_key(const parser *c, size_t i)
{
    return c->kbuf.data ? c->kbuf.data + c->parts[i].off : "";
}

/* ------------------------------------------------------------------------------------ */
/* Numbers, booleans, dates and times                                                   */
/* ------------------------------------------------------------------------------------ */

static inline int is_token(uchar ch)
{
    return is_bare(ch) || ch == '+' || ch == '.' || ch == ':';
}

/* Digits of `radix` with single underscores between them, from *pp up to `e`. At least one
 * digit is needed; `what` names the number kind for messages. */
static int scan_digits(parser *c, const uchar **pp, const uchar *e, int radix, const char *what)
{
    const uchar *p = *pp;
    int prev_digit = 0;
    while (p < e) {
        uchar ch = *p;
        int d = dltc__hex_digit(ch);
        if (d >= 0 && d < radix) {
            prev_digit = 1;
        } else if (ch == '_') {
            if (!prev_digit || p + 1 >= e || dltc__hex_digit(p[1]) < 0 || dltc__hex_digit(p[1]) >= radix)
                return fail(c, p, DLTC_EPARSE, "'_' must be between digits in %s", what);
            prev_digit = 0;
        } else {
            break;
        }
        p++;
    }
    if (p == *pp) {
        char buf[40];
        return fail(c, p, DLTC_EPARSE, "expected a digit in %s, found %s", what,
                    p < e ? describe(c, p, buf, sizeof(buf)) : "end of value");
    }
    *pp = p;
    return 0;
}

static int parse_radix(parser *c, tnode *n, const uchar *s, const uchar *e)
{
    int radix = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
    const char *what = radix == 16 ? "a hexadecimal integer"
                       : radix == 8 ? "an octal integer"
                                    : "a binary integer";
    const uchar *p = s + 2;
    int rc = scan_digits(c, &p, e, radix, what);
    if (rc)
        return rc;
    if (p != e) {
        char buf[40];
        return fail(c, p, DLTC_EPARSE, "invalid character %s in %s",
                    describe(c, p, buf, sizeof(buf)), what);
    }
    uint64_t v = 0;
    for (const uchar *q = s + 2; q < e; q++) {
        if (*q == '_')
            continue;
        uint64_t d = (uint64_t)dltc__hex_digit(*q);
        if (v > ((uint64_t)INT64_MAX - d) / (uint64_t)radix)
            return fail(c, s, DLTC_EPARSE, "integer out of range (int64)");
        v = v * (uint64_t)radix + d;
    }
    n->v.type = DLTC_TYPE_INT;
    n->v.u.i = (int64_t)v;
    return 0;
}

/* A decimal integer or a float: the token [s, e). */
static int parse_number(parser *c, tnode *n, const uchar *s, const uchar *e)
{
    const uchar *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (e - p == 3 && (memcmp(p, "inf", 3) == 0 || memcmp(p, "nan", 3) == 0)) {
        double d = p[0] == 'i' ? INFINITY : NAN;
        n->v.type = DLTC_TYPE_DOUBLE;
        n->v.u.d = neg ? -d : d;
        return 0;
    }
    if (p < e && *p == '0' && p + 1 < e && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
        if (p != s)
            return fail(c, s, DLTC_EPARSE,
                        "hexadecimal, octal and binary integers cannot have a sign");
        return parse_radix(c, n, s, e);
    }
    if (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return fail(c, s, DLTC_EPARSE, "invalid value '%.*s' (strings must be quoted)",
                    (int)(e - s < 40 ? e - s : 40), (const char *)s);
    if (p < e && *p == '.')
        return fail(c, p, DLTC_EPARSE, "a float needs digits before the '.'");
    if (p < e && *p == '0' && p + 1 < e && (is_digit(p[1]) || p[1] == '_'))
        return fail(c, p, DLTC_EPARSE, "leading zeros are not allowed");
    const uchar *int_start = p;
    int rc = scan_digits(c, &p, e, 10, "a number");
    if (rc)
        return rc;
    int is_float = 0;
    if (p < e && *p == '.') {
        p++;
        is_float = 1;
        if ((rc = scan_digits(c, &p, e, 10, "the fraction")) != 0)
            return rc;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        is_float = 1;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if ((rc = scan_digits(c, &p, e, 10, "the exponent")) != 0)
            return rc;
    }
    if (p != e) {
        char buf[40];
        return fail(c, p, DLTC_EPARSE, "invalid character %s in a number",
                    describe(c, p, buf, sizeof(buf)));
    }
    if (!is_float) {
        uint64_t v = 0;
        uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (const uchar *q = int_start; q < e; q++) {
            if (*q == '_')
                continue;
            uint64_t d = (uint64_t)(*q - '0');
            if (v > (lim - d) / 10)
                return fail(c, s, DLTC_EPARSE, "integer out of range (int64)");
            v = v * 10 + d;
        }
        n->v.type = DLTC_TYPE_INT;
        n->v.u.i = !neg ? (int64_t)v : v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        return 0;
    }
    dltc__buf_clear(&c->sbuf);
    for (const uchar *q = s; q < e; q++)
        if (*q != '_' && (rc = put(c, &c->sbuf, q, 1)) != 0)
            return rc;
    char *end = NULL;
    double d = dltc__json_strtod(c->sbuf.data, &end);
    if (isinf(d))
        return fail(c, s, DLTC_EPARSE, "float out of range");
    n->v.type = DLTC_TYPE_DOUBLE;
    n->v.u.d = d;
    return 0;
}

/* `n` digits at p (all must be there: < e). -1 when one is missing. */
static int digits(const uchar *p, const uchar *e, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p + i >= e || !is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

static int fail_at_nondigit(parser *c, const uchar *p, const uchar *e, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (p + i >= e || !is_digit(p[i])) {
            char buf[40];
            return fail(c, p + i, DLTC_EPARSE, "expected %s, found %s", what,
                        p + i < e ? describe(c, p + i, buf, sizeof(buf)) : "end of value");
        }
    return fail(c, p, DLTC_EPARSE, "expected %s", what);
}

static int expect_char(parser *c, const uchar *p, const uchar *e, uchar want, const char *what)
{
    if (p < e && *p == want)
        return 0;
    char buf[40];
    return fail(c, p, DLTC_EPARSE, "expected %s, found %s", what,
                p < e ? describe(c, p, buf, sizeof(buf)) : "end of value");
}

/* HH:MM:SS[.frac] at *pp; µs since midnight into *us. */
static int parse_hms(parser *c, const uchar **pp, const uchar *e, int64_t *us)
{
    const uchar *p = *pp;
    int h = digits(p, e, 2);
    if (h < 0)
        return fail_at_nondigit(c, p, e, 2, "a two-digit hour");
    if (h > 23)
        return fail(c, p, DLTC_EPARSE, "hour must be 00..23");
    if (expect_char(c, p + 2, e, ':', "':' after the hour"))
        return c->err_code;
    int mi = digits(p + 3, e, 2);
    if (mi < 0)
        return fail_at_nondigit(c, p + 3, e, 2, "a two-digit minute");
    if (mi > 59)
        return fail(c, p + 3, DLTC_EPARSE, "minute must be 00..59");
    if (expect_char(c, p + 5, e, ':', "':' and seconds (HH:MM:SS)"))
        return c->err_code;
    int s = digits(p + 6, e, 2);
    if (s < 0)
        return fail_at_nondigit(c, p + 6, e, 2, "a two-digit second");
    if (s > 59)
        return fail(c, p + 6, DLTC_EPARSE, "second must be 00..59");
    p += 8;
    int64_t frac = 0;
    if (p < e && *p == '.') {
        p++;
        if (p == e || !is_digit(*p))
            return fail_at_nondigit(c, p, e, 1, "a digit after '.' in the seconds");
        int nd = 0;
        while (p < e && is_digit(*p)) {
            if (nd < 6) { /* microseconds; further digits are truncated */
                frac = frac * 10 + (*p - '0');
                nd++;
            }
            p++;
        }
        while (nd++ < 6)
            frac *= 10;
    }
    *us = ((int64_t)h * 3600 + mi * 60 + s) * 1000000 + frac;
    *pp = p;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

/* A date, date-time or date-time with offset: the token [s, e). */
static int parse_datetime(parser *c, tnode *n, const uchar *s, const uchar *e)
{
    int y = digits(s, e, 4);
    if (y < 0)
        return fail_at_nondigit(c, s, e, 4, "a four-digit year");
    if (expect_char(c, s + 4, e, '-', "'-' after the year"))
        return c->err_code;
    int m = digits(s + 5, e, 2);
    if (m < 0)
        return fail_at_nondigit(c, s + 5, e, 2, "a two-digit month");
    if (expect_char(c, s + 7, e, '-', "'-' after the month"))
        return c->err_code;
    int d = digits(s + 8, e, 2);
    if (d < 0)
        return fail_at_nondigit(c, s + 8, e, 2, "a two-digit day");
    if (y == 0)
        return fail(c, s, DLTC_EPARSE, "year must be 0001..9999");
    if (m < 1 || m > 12)
        return fail(c, s + 5, DLTC_EPARSE, "month must be 01..12");
    if (d < 1 || d > days_in_month(y, m))
        return fail(c, s + 8, DLTC_EPARSE, "day %02d is out of range for %04d-%02d", d, y, m);
    int64_t days = dltc__days_from_civil(y, (unsigned)m, (unsigned)d);
    const uchar *p = s + 10;
    if (p == e) {
        n->v.type = DLTC_TYPE_DATE;
        n->v.u.i = days;
        return 0;
    }
    if (*p != 'T' && *p != 't' && *p != ' ') {
        char buf[40];
        return fail(c, p, DLTC_EPARSE, "invalid character %s after a date",
                    describe(c, p, buf, sizeof(buf)));
    }
    p++;
    int64_t tod;
    int rc = parse_hms(c, &p, e, &tod);
    if (rc)
        return rc;
    int64_t us = days * 86400LL * 1000000 + tod;
    int tz = 0;
    if (p < e && (*p == 'Z' || *p == 'z')) {
        tz = 1;
        p++;
    } else if (p < e && (*p == '+' || *p == '-')) {
        const uchar *o = p;
        int oh = digits(p + 1, e, 2);
        if (oh < 0)
            return fail_at_nondigit(c, p + 1, e, 2, "a two-digit offset hour");
        if (oh > 23)
            return fail(c, p + 1, DLTC_EPARSE, "offset hour must be 00..23");
        if (expect_char(c, p + 3, e, ':', "':' in the offset (+HH:MM)"))
            return c->err_code;
        int om = digits(p + 4, e, 2);
        if (om < 0)
            return fail_at_nondigit(c, p + 4, e, 2, "a two-digit offset minute");
        if (om > 59)
            return fail(c, p + 4, DLTC_EPARSE, "offset minute must be 00..59");
        int64_t off = ((int64_t)oh * 60 + om) * 60 * 1000000;
        us -= *o == '+' ? off : -off;
        tz = 1;
        p += 6;
    }
    if (p != e) {
        char buf[40];
        return fail(c, p, DLTC_EPARSE, "invalid character %s in a date-time",
                    describe(c, p, buf, sizeof(buf)));
    }
    static const int64_t lo = -62135596800LL * 1000000;           /* 0001-01-01T00:00:00 */
    static const int64_t hi = 253402300800LL * 1000000 - 1;        /* 9999-12-31T23:59:59.999999 */
    if (us < lo || us > hi)
        return fail(c, s, DLTC_EPARSE, "date-time out of range (years 0001..9999 in UTC)");
    n->v.type = DLTC_TYPE_TIMESTAMP;
    n->v.u.i = us;
    n->v.flags = tz ? DLTC_VF_TZ : 0;
    return 0;
}

/* A local time: the token [s, e). */
static int parse_local_time(parser *c, tnode *n, const uchar *s, const uchar *e)
{
    const uchar *p = s;
    int64_t tod;
    int rc = parse_hms(c, &p, e, &tod);
    if (rc)
        return rc;
    if (p != e) {
        if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-')
            return fail(c, p, DLTC_EPARSE, "a time without a date cannot have an offset");
        char buf[40];
        return fail(c, p, DLTC_EPARSE, "invalid character %s in a time",
                    describe(c, p, buf, sizeof(buf)));
    }
    n->v.type = DLTC_TYPE_TIME;
    n->v.u.i = tod;
    return 0;
}

/* A bare value (boolean, number, date, time) at c->p. */
static int parse_bare_value(parser *c, tnode *n)
{
    const uchar *s = c->p, *e = s;
    while (e < c->end && is_token(*e))
        e++;
    /* "1979-05-27 07:32:00": a space may separate the date from the time */
    if (e - s == 10 && digits(s, e, 4) >= 0 && s[4] == '-' && e + 3 < c->end && *e == ' ' &&
        is_digit(e[1]) && is_digit(e[2]) && e[3] == ':') {
        e++;
        while (e < c->end && is_token(*e))
            e++;
    }
    c->p = e;
    size_t len = (size_t)(e - s);
    if (len == 4 && memcmp(s, "true", 4) == 0) {
        n->v.type = DLTC_TYPE_BOOL;
        n->v.u.i = 1;
        return 0;
    }
    if (len == 5 && memcmp(s, "false", 5) == 0) {
        n->v.type = DLTC_TYPE_BOOL;
        n->v.u.i = 0;
        return 0;
    }
    if (len >= 5 && digits(s, e, 4) >= 0 && s[4] == '-')
        return parse_datetime(c, n, s, e);
    if (len >= 3 && digits(s, e, 2) >= 0 && s[2] == ':')
        return parse_local_time(c, n, s, e);
    return parse_number(c, n, s, e);
}

/* ------------------------------------------------------------------------------------ */
/* Values, arrays, inline tables                                                        */
/* ------------------------------------------------------------------------------------ */

static int parse_value(parser *c, tnode *n);
static int parse_keyval(parser *c, tnode *table);

static int parse_string_value(parser *c, tnode *n)
{
    const uchar *at = c->p;
    dltc__buf_clear(&c->sbuf);
    int rc = parse_string(c, &c->sbuf, 0);
    if (rc)
        return rc;
    if (c->sbuf.len > UINT32_MAX)
        return fail(c, at, DLTC_ELIMIT, "string longer than 4 GiB");
    char *s = dltc__arena_strndup(c->out, c->sbuf.data ? c->sbuf.data : "", c->sbuf.len);
    if (!s)
        return fail_alloc(c, at);
    n->v.type = DLTC_TYPE_STRING;
    n->v.u.s = s;
    n->v.len = (uint32_t)c->sbuf.len;
    return 0;
}

static int parse_array(parser *c, tnode *arr)
{
    const uchar *open = c->p;
    int rc = make_container(c, arr, DLTC_TYPE_ARRAY, K_ARRAY, open);
    if (rc)
        return rc;
    c->p++;
    for (;;) {
        if ((rc = skip_ws_nl(c)) != 0)
            return rc;
        if (c->p == c->end)
            return fail(c, open, DLTC_EPARSE, "unterminated array");
        if (*c->p == ']') {
            c->p++;
            return 0;
        }
        tnode *item = NULL;
        if ((rc = node_new(c, arr, NULL, 0, c->p, &item)) != 0)
            return rc;
        if ((rc = parse_value(c, item)) != 0)
            return rc;
        if ((rc = skip_ws_nl(c)) != 0)
            return rc;
        if (c->p == c->end)
            return fail(c, open, DLTC_EPARSE, "unterminated array");
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == ']') {
            c->p++;
            return 0;
        }
        return fail_found(c, c->p, "expected ',' or ']' in an array");
    }
}

static int parse_inline_table(parser *c, tnode *t)
{
    const uchar *open = c->p;
    int rc = make_container(c, t, DLTC_TYPE_OBJECT, K_INLINE, open);
    if (rc)
        return rc;
    c->p++;
    uint32_t saved = c->section;
    c->section = ++c->nsections;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        c->section = saved;
        return 0;
    }
    for (;;) {
        size_t nl;
        if (at_newline(c, c->p, &nl))
            return fail(c, c->p, DLTC_EPARSE, "newline in an inline table");
        if (c->p == c->end)
            return fail(c, open, DLTC_EPARSE, "unterminated inline table");
        if ((rc = parse_keyval(c, t)) != 0)
            return rc;
        skip_ws(c);
        if (c->p == c->end)
            return fail(c, open, DLTC_EPARSE, "unterminated inline table");
        if (*c->p == '}') {
            c->p++;
            c->section = saved;
            return 0;
        }
        if (*c->p == ',') {
            c->p++;
            skip_ws(c);
            if (c->p < c->end && *c->p == '}')
                return fail(c, c->p, DLTC_EPARSE, "trailing comma in an inline table");
            continue;
        }
        if (at_newline(c, c->p, &nl))
            return fail(c, c->p, DLTC_EPARSE, "newline in an inline table");
        return fail_found(c, c->p, "expected ',' or '}' in an inline table");
    }
}

static int parse_value(parser *c, tnode *n)
{
    if (c->p == c->end)
        return fail(c, c->p, DLTC_EPARSE, "expected a value, found end of file");
    uchar ch = *c->p;
    if (ch == '"' || ch == '\'')
        return parse_string_value(c, n);
    if (ch == '[')
        return parse_array(c, n);
    if (ch == '{')
        return parse_inline_table(c, n);
    if (is_token(ch))
        return parse_bare_value(c, n);
    return fail_found(c, c->p, "expected a value");
}

/* key = value, into `table` (the current table or an inline table being read). */
static int parse_keyval(parser *c, tnode *table)
{
    int rc = parse_key(c);
    if (rc)
        return rc;
    if (c->p == c->end || *c->p != '=')
        return fail_found(c, c->p, "expected '=' after a key");
    c->p++;
    skip_ws(c);
    char path[128];
    tnode *t = table;
    for (size_t i = 0; i + 1 < c->nparts; i++) {
        const keypart *k = &c->parts[i];
        tnode *child = lookup(c, t, part_key(c, i), k->len);
        if (!child) {
            if ((rc = table_new(c, t, k, K_DOTTED, &child)) != 0)
                return rc;
        } else {
            switch (child->kind) {
            case K_DOTTED:
                if (child->section != c->section)
                    return fail(c, k->at, DLTC_EPARSE,
                                "dotted keys cannot extend table '%s' defined in another "
                                "section",
                                key_path(c, i + 1, path, sizeof(path)));
                break;
            case K_IMPLICIT:
                child->kind = K_DOTTED;
                child->section = c->section;
                break;
            case K_HEADER:
                return fail(c, k->at, DLTC_EPARSE,
                            "dotted keys cannot extend table '%s' defined by a [header]",
                            key_path(c, i + 1, path, sizeof(path)));
            case K_INLINE:
                return fail(c, k->at, DLTC_EPARSE, "inline table '%s' cannot be extended",
                            key_path(c, i + 1, path, sizeof(path)));
            case K_AOT:
                return fail(c, k->at, DLTC_EPARSE,
                            "dotted keys cannot extend array of tables '%s'",
                            key_path(c, i + 1, path, sizeof(path)));
            default:
                return fail(c, k->at, DLTC_EPARSE, "key '%s' is already %s, not a table",
                            key_path(c, i + 1, path, sizeof(path)), kind_name(child));
            }
        }
        t = child;
    }
    const keypart *k = &c->parts[c->nparts - 1];
    if (lookup(c, t, part_key(c, c->nparts - 1), k->len))
        return fail(c, k->at, DLTC_EPARSE, "duplicate key '%s'",
                    key_path(c, c->nparts, path, sizeof(path)));
    tnode *n;
    if ((rc = node_new(c, t, part_key(c, c->nparts - 1), k->len, k->at, &n)) != 0)
        return rc;
    return parse_value(c, n);
}

/* ------------------------------------------------------------------------------------ */
/* Table headers                                                                        */
/* ------------------------------------------------------------------------------------ */

static int parse_header(parser *c)
{
    int aot = c->p + 1 < c->end && c->p[1] == '[';
    c->p += aot ? 2 : 1;
    skip_ws(c);
    int rc = parse_key(c);
    if (rc)
        return rc;
    if (c->p == c->end || *c->p != ']' || (aot && (c->p + 1 == c->end || c->p[1] != ']'))) {
        const uchar *at = c->p < c->end && *c->p == ']' ? c->p + 1 : c->p;
        return fail_found(c, at, aot ? "expected ']]' after an array of tables header"
                                     : "expected ']' after a table header");
    }
    c->p += aot ? 2 : 1;
    c->section = ++c->nsections;

    char path[128];
    tnode *t = c->root;
    for (size_t i = 0; i + 1 < c->nparts; i++) {
        const keypart *k = &c->parts[i];
        tnode *child = lookup(c, t, part_key(c, i), k->len);
        if (!child) {
            if ((rc = table_new(c, t, k, K_IMPLICIT, &child)) != 0)
                return rc;
        } else if (child->kind == K_AOT) {
            child = child->last;
        } else if (child->kind == K_INLINE) {
            return fail(c, k->at, DLTC_EPARSE, "inline table '%s' cannot be extended",
                        key_path(c, i + 1, path, sizeof(path)));
        } else if (child->kind == K_VALUE || child->kind == K_ARRAY) {
            return fail(c, k->at, DLTC_EPARSE, "key '%s' is already %s, not a table",
                        key_path(c, i + 1, path, sizeof(path)), kind_name(child));
        }
        t = child;
    }
    const keypart *k = &c->parts[c->nparts - 1];
    tnode *n = lookup(c, t, part_key(c, c->nparts - 1), k->len);
    key_path(c, c->nparts, path, sizeof(path));
    if (aot) {
        if (!n) {
            if ((rc = node_new(c, t, part_key(c, c->nparts - 1), k->len, k->at, &n)) != 0 ||
                (rc = make_container(c, n, DLTC_TYPE_ARRAY, K_AOT, k->at)) != 0)
                return rc;
        } else if (n->kind == K_ARRAY) {
            return fail(c, k->at, DLTC_EPARSE, "cannot append to statically defined array '%s'",
                        path);
        } else if (n->kind != K_AOT) {
            return fail(c, k->at, DLTC_EPARSE, "key '%s' is already %s, not an array of tables",
                        path, kind_name(n));
        }
        tnode *elem = NULL;
        if ((rc = node_new(c, n, NULL, 0, k->at, &elem)) != 0 ||
            (rc = make_container(c, elem, DLTC_TYPE_OBJECT, K_HEADER, k->at)) != 0)
            return rc;
        c->cur = elem;
        return 0;
    }
    if (!n) {
        if ((rc = table_new(c, t, k, K_HEADER, &n)) != 0)
            return rc;
    } else {
        switch (n->kind) {
        case K_IMPLICIT:
            n->kind = K_HEADER;
            break;
        case K_HEADER:
            return fail(c, k->at, DLTC_EPARSE, "table '%s' is defined twice", path);
        case K_DOTTED:
            return fail(c, k->at, DLTC_EPARSE, "table '%s' is already defined by dotted keys",
                        path);
        case K_INLINE:
            return fail(c, k->at, DLTC_EPARSE, "table '%s' is already defined as an inline table",
                        path);
        default:
            return fail(c, k->at, DLTC_EPARSE, "key '%s' is already %s, not a table", path,
                        kind_name(n));
        }
    }
    c->cur = n;
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The document                                                                         */
/* ------------------------------------------------------------------------------------ */

static int parse_document(parser *c)
{
    for (;;) {
        skip_ws(c);
        if (c->p == c->end)
            return 0;
        uchar ch = *c->p;
        size_t nl;
        int rc;
        if (at_newline(c, c->p, &nl)) {
            c->p += nl;
            continue;
        }
        if (ch == '#') {
            rc = end_of_line(c, "a comment");
        } else if (ch == '[') {
            rc = parse_header(c);
            if (!rc)
                rc = end_of_line(c, "a table header");
        } else if (ch == '\r') {
            rc = fail(c, c->p, DLTC_EPARSE, "carriage return without a line feed");
        } else {
            rc = parse_keyval(c, c->cur);
            if (!rc)
                rc = end_of_line(c, "a value");
        }
        if (rc)
            return rc;
    }
}

/* The caller's tree from the nodes. */
/* 1-based line of `at`: a binary search over the newline offsets. */
static uint64_t line_of(const parser *c, const uchar *at)
{
    size_t off = (size_t)(at - c->data), lo = 0, hi = c->nnl;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->nl[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint64_t)lo + 1;
}

static int note_line(parser *c, const tnode *n)
{
    if (!c->lines || !n->at || !c->path.len)
        return 0;
    int rc = dltc__keylines_put(c->lines, c->path.data, c->path.len, line_of(c, n->at));
    return rc ? fail_alloc(c, c->end) : 0;
}

static int build(parser *c, const tnode *n, dltc_value *out)
{
    *out = n->v;
    if (n->v.type != DLTC_TYPE_OBJECT && n->v.type != DLTC_TYPE_ARRAY)
        return 0;
    out->len = out->cap = n->count;
    out->u.arr = NULL;
    if (!n->count)
        return 0;
    if (n->v.type == DLTC_TYPE_OBJECT) {
        dltc_member *m = dltc__arena_alloc(c->out, (size_t)n->count * sizeof(*m));
        if (!m)
            return fail_alloc(c, c->end);
        out->u.obj = m;
        size_t mark = c->path.len;
        for (const tnode *ch = n->first; ch; ch = ch->next, m++) {
            m->key = ch->key;
            m->klen = ch->klen;
            int rc = 0;
            if (c->lines && ((rc = dltc__keypath_key(&c->path, ch->key, ch->klen)) != 0 ||
                             (rc = note_line(c, ch)) != 0))
                return rc == DLTC_ENOMEM ? fail_alloc(c, c->end) : rc;
            rc = build(c, ch, &m->val);
            if (rc)
                return rc;
            c->path.len = mark;
        }
    } else {
        dltc_value *items = dltc__arena_alloc(c->out, (size_t)n->count * sizeof(*items));
        if (!items)
            return fail_alloc(c, c->end);
        out->u.arr = items;
        size_t mark = c->path.len, i = 0;
        for (const tnode *ch = n->first; ch; ch = ch->next, items++, i++) {
            int rc = 0;
            if (c->lines && ((rc = dltc__keypath_index(&c->path, i)) != 0 ||
                             (rc = note_line(c, ch)) != 0))
                return rc == DLTC_ENOMEM ? fail_alloc(c, c->end) : rc;
            rc = build(c, ch, items);
            if (rc)
                return rc;
            c->path.len = mark;
        }
    }
    return 0;
}

static _Thread_local char tl_reason[256];

int dltc__toml_parse(dltc_arena *arena, const char *data, size_t len, const char *name,
                     uint32_t max_depth, dltc_value **out, dltc_toml_error *err)
{
    return dltc__toml_parse_lines(arena, data, len, name, max_depth, out, err, NULL);
}

int dltc__toml_parse_lines(dltc_arena *arena, const char *data, size_t len, const char *name,
                           uint32_t max_depth, dltc_value **out, dltc_toml_error *err,
                           dltc_keylines *lines)
{
    dltc_toml_error dummy;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof(*err));
    parser cp, *c = &cp;
    memset(c, 0, sizeof(*c));
    c->data = (const uchar *)(data ? data : "");
    c->end = c->data + len;
    c->p = c->data;
    c->out = arena;
    c->max_depth = max_depth ? max_depth : DLTC_TOML_MAX_DEPTH;
    dltc__arena_init(&c->scratch, 16 * 1024);
    c->scratch.limit = arena->limit; /* nodes cost about what the tree does */
    c->section = c->nsections = 1;

    int rc = 0;
    tnode root;
    memset(&root, 0, sizeof(root));
    dltc__value_set_type(&root.v, DLTC_TYPE_OBJECT);
    root.kind = K_HEADER;
    root.id = ++c->nids;
    c->root = c->cur = &root;

    if (len >= 3 && memcmp(c->data, "\xEF\xBB\xBF", 3) == 0) {
        c->p += 3;
        c->bom = 3;
    }
    size_t bad = dltc__utf8_check(data ? data : "", len);
    if (bad != len)
        rc = fail(c, c->data + bad, DLTC_EPARSE, "invalid UTF-8");
    if (!rc)
        rc = parse_document(c);
    if (!rc && lines) {
        c->lines = lines;
        for (size_t i = 0; i < len; i++)
            if (data[i] == '\n') {
                if (c->nnl % 1024 == 0) {
                    size_t *nl = dltc__realloc(c->nl, (c->nnl + 1024) * sizeof(*nl));
                    if (!nl) {
                        rc = fail_alloc(c, c->end);
                        break;
                    }
                    c->nl = nl;
                }
                c->nl[c->nnl++] = i;
            }
    }
    if (!rc) {
        dltc_value *v = dltc__arena_alloc(arena, sizeof(*v));
        if (!v)
            rc = fail_alloc(c, c->end);
        else if ((rc = build(c, &root, v)) == 0)
            *out = v;
    }
    if (rc) {
        const uchar *at = c->err_at ? c->err_at : c->p;
        uint64_t off = (uint64_t)(at - c->data);
        uint64_t line = 1;
        const uchar *ls = c->data + c->bom;
        for (const uchar *q = c->data; q < at; q++)
            if (*q == '\n') {
                line++;
                ls = q + 1;
            }
        if (at < ls) /* inside the byte order mark (invalid UTF-8 right after it cannot be) */
            ls = at;
        snprintf(tl_reason, sizeof(tl_reason), "%.255s", c->reason);
        err->code = rc;
        err->offset = off;
        err->line = line;
        err->column = (uint64_t)(at - ls) + 1;
        err->reason = tl_reason;
        if (name)
            dltc__error_set(rc, "%s:%llu:%llu: %s", name, (unsigned long long)err->line,
                            (unsigned long long)err->column, tl_reason);
        else
            dltc__error_set(rc, "%llu:%llu: %s", (unsigned long long)err->line,
                            (unsigned long long)err->column, tl_reason);
    }
    dltc__free(c->buckets);
    dltc__free(c->parts);
    dltc__free(c->nl);
    dltc__buf_free(&c->path);
    dltc__buf_free(&c->sbuf);
    dltc__buf_free(&c->kbuf);
    dltc__arena_free(&c->scratch);
    return rc;
}

int dltc__toml_parse_file(dltc_arena *arena, const char *path, size_t max_bytes,
                          uint32_t max_depth, dltc_value **out, dltc_toml_error *err)
{
    if (!max_bytes)
        max_bytes = 16u << 20;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return dltc__error_set(e == ENOENT ? DLTC_ENOTFOUND : DLTC_EIO, "%s: %s", path,
                               strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return dltc__error_set(DLTC_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return dltc__error_set(DLTC_ELIMIT, "%s: larger than %zu bytes", path, max_bytes);
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = dltc__malloc(cap);
    if (!buf) {
        close(fd);
        return dltc__error_oom();
    }
    for (;;) {
        if (len == cap) { /* the file grew while being read */
            dltc__free(buf);
            close(fd);
            return dltc__error_set(DLTC_EIO, "%s: changed while being read", path);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            dltc__free(buf);
            close(fd);
            return dltc__error_set(DLTC_EIO, "%s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    int rc = dltc__toml_parse(arena, buf, len, path, max_depth, out, err);
    dltc__free(buf);
    return rc;
}
