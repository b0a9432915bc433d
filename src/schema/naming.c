/*
 * Naming conventions, as in dlt 1.26 dlt/common/normalizers/naming/{naming,snake_case}.py.
 *
 * Base class (naming.py):
 *   normalize_identifier: strip(); empty -> ValueError; convention-specific.
 *   normalize_path(path): [normalize_identifier(p) for p in break_path(path)] -> make_path ->
 *       shorten_identifier(joined, path, max_length)   (tag from the unstripped path)
 *   make_path: separator.join(parts whose strip() is not empty)
 *   break_path: [p for p in path.split(separator) if p.strip()]
 *   shorten_fragments(*parts): joined = make_path(parts); shorten_identifier(joined, joined)
 *   shorten_identifier(normalized, identifier, max): if max and len(normalized) > max:
 *       tag = b64encode(shake_128(identifier.encode()).digest(4)).rstrip("=")
 *             .translate("/+" -> "ab").lower()
 *       rem = max - len(tag); result = normalized[:rem//2 + rem%2] + tag
 *             + normalized[len(normalized) - rem//2:]
 *   (4 bytes = int(3 * log2(1 / 0.001) // 8 + 1), the default collision probability.)
 *
 * snake_case (snake_case.py), on the stripped identifier, in this order:
 *   1. translate "+-*@|" -> "x_xal"
 *   2. re.sub(r"[^a-zA-Z\d_]+", "_")     \d is any Unicode decimal digit: those are kept
 *   3. re.sub("([^_])([A-Z][a-z]+)", r"\1_\2")
 *   4. re.sub("([a-z0-9])([A-Z])", r"\1_\2"), then lower()
 *   5. re.match(r"^\d+") -> prefix "_"
 *   6. every trailing "_" becomes "x" (rstrip, then as many "x")
 *   7. re.sub("__+", "_")                 (after 6, so "a__" -> "axx", "_" -> "x")
 *   8. shorten_identifier(result, stripped identifier, max_length)
 * Steps 3 and 4 are done in one pass: step 3's matches are non-overlapping (a match ends
 * after its lower-case run), and step 4 adds "_" between [a-z0-9] and [A-Z] wherever step 3
 * did not already put one. is_case_sensitive = False. normalize_table_identifier is the
 * same as normalize_identifier.
 */
#include "schema/naming.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"

#include <pthread.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Unicode and text helpers                                                             */
/* ------------------------------------------------------------------------------------ */

/* Python str.isspace() (identical in Unicode 14..16). */
static int is_py_space(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20);
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Start of the code point that ends just before byte `end` (> 0). */
static size_t utf8_prev(const char *s, size_t end)
{
    size_t i = end - 1;
    size_t lim = end >= 4 ? end - 4 : 0;
    while (i > lim && ((unsigned char)s[i] & 0xc0) == 0x80)
        i--;
    uint32_t cp;
    /* only a well-formed sequence ending exactly at `end` counts as one code point */
    if (dltc__utf8_next(s, end, i, &cp) == end - i)
        return i;
    return end - 1;
}

void dltc__naming_strip(const char **sp, size_t *lenp)
{
    const char *s = *sp;
    size_t b = 0, e = *lenp;
    while (b < e) {
        uint32_t cp;
        size_t n = dltc__utf8_next(s, e, b, &cp);
        if (!is_py_space(cp))
            break;
        b += n;
    }
    while (e > b) {
        size_t p = utf8_prev(s, e);
        if (p < b)
            break;
        uint32_t cp;
        dltc__utf8_next(s, e, p, &cp);
        if (!is_py_space(cp))
            break;
        e = p;
    }
    *sp = s + b;
    *lenp = e - b;
}

static int is_blank(const char *s, size_t len)
{
    dltc__naming_strip(&s, &len);
    return len == 0;
}

/* Code points in s[0..len) (an invalid byte counts as one, as it decodes to U+FFFD). */
static size_t cp_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            i++;
        } else {
            uint32_t cp;
            i += dltc__utf8_next(s, len, i, &cp);
        }
        n++;
    }
    return n;
}

/* Byte offset of code point number k (k <= number of code points). */
static size_t cp_offset(const char *s, size_t len, size_t k)
{
    size_t i = 0;
    while (k-- && i < len) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            i++;
        } else {
            uint32_t cp;
            i += dltc__utf8_next(s, len, i, &cp);
        }
    }
    return i;
}

/* ------------------------------------------------------------------------------------ */
/* Shortening                                                                           */
/* ------------------------------------------------------------------------------------ */

void dltc__naming_tag(const char *identifier, size_t len, char out[DLTC_NAMING_TAG_LEN + 1])
{
    uint8_t digest[4];
    char b64[16];
    dltc__shake128(identifier, len, digest, sizeof(digest));
    dltc__base64_encode(digest, sizeof(digest), b64, 0);
    for (int i = 0; i < DLTC_NAMING_TAG_LEN; i++) {
        char c = b64[i];
        if (c == '/')
            c = 'a';
        else if (c == '+')
            c = 'b';
        else if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[i] = c;
    }
    out[DLTC_NAMING_TAG_LEN] = '\0';
}

/* Shorten out->data[start..len) in place, the tag computed from `identifier`. */
static int shorten_region(dltc_buf *out, size_t start, const char *identifier, size_t ilen,
                          size_t max_length)
{
    if (!max_length || out->len == start)
        return 0;
    char *s = out->data + start;
    size_t blen = out->len - start;
    if (blen <= max_length) /* fewer bytes than max: fewer code points too */
        return 0;
    size_t count = cp_count(s, blen);
    if (count <= max_length)
        return 0;
    if (max_length < DLTC_NAMING_TAG_LEN)
        return dltc__error_set(DLTC_EINVALID,
                               "cannot shorten an identifier to %zu characters (tag is %d)",
                               max_length, DLTC_NAMING_TAG_LEN);
    char tag[DLTC_NAMING_TAG_LEN + 1];
    dltc__naming_tag(identifier, ilen, tag);
    size_t rem = max_length - DLTC_NAMING_TAG_LEN;
    size_t head = cp_offset(s, blen, rem / 2 + rem % 2);
    size_t tail = cp_offset(s, blen, count - rem / 2);
    size_t tail_len = blen - tail;
    /* the middle dropped is >= 7 code points, so the tail moves left past the tag */
    memmove(s + head + DLTC_NAMING_TAG_LEN, s + tail, tail_len);
    memcpy(s + head, tag, DLTC_NAMING_TAG_LEN);
    out->len = start + head + DLTC_NAMING_TAG_LEN + tail_len;
    out->data[out->len] = '\0';
    return 0;
}

int dltc__naming_shorten_identifier(const char *normalized, size_t nlen, const char *identifier,
                                    size_t ilen, size_t max_length, dltc_buf *out)
{
    size_t start = out->len;
    int rc = dltc__buf_put(out, normalized, nlen);
    if (!rc)
        rc = shorten_region(out, start, identifier, ilen, max_length);
    if (rc) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* snake_case                                                                           */
/* ------------------------------------------------------------------------------------ */

static inline int is_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static inline int is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

/* Steps 1 and 2: reduce the alphabet into `a` (at most len bytes). Returns the length. */
static size_t snake_reduce(const char *s, size_t len, char *a)
{
    size_t n = 0;
    int in_run = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            switch (c) {
            case '+':
            case '*':
                c = 'x';
                break;
            case '-':
                c = '_';
                break;
            case '@':
                c = 'a';
                break;
            case '|':
                c = 'l';
                break;
            default:
                break;
            }
            i++;
            if (is_lower(c) || is_upper(c) || (c >= '0' && c <= '9') || c == '_') {
                a[n++] = (char)c;
                in_run = 0;
            } else if (!in_run) {
                a[n++] = '_';
                in_run = 1;
            }
            continue;
        }
        uint32_t cp;
        size_t k = dltc__utf8_next(s, len, i, &cp);
        if (dltc__unicode_digit(cp) >= 0) { /* \d keeps Unicode digits */
            memcpy(a + n, s + i, k);
            n += k;
            in_run = 0;
        } else if (!in_run) {
            a[n++] = '_';
            in_run = 1;
        }
        i += k;
    }
    return n;
}

typedef struct {
    char *w;        /* write position */
    size_t pending; /* underscores not written yet */
} snake_sink;

static inline void sink_put(snake_sink *k, char c)
{
    if (c == '_') {
        k->pending++;
        return;
    }
    if (k->pending) { /* step 7: a run of "_" becomes one */
        *k->w++ = '_';
        k->pending = 0;
    }
    *k->w++ = c;
}

static int snake_normalize(const char *s, size_t len, dltc_buf *out)
{
    char stack[512];
    char *a = len <= sizeof(stack) ? stack : dltc__malloc(len);
    if (!a)
        return dltc__error_oom();
    size_t n = snake_reduce(s, len, a);
    /* at most one "_" before each byte, plus the digit prefix */
    int rc = dltc__buf_reserve(out, 2 * n + 1);
    if (rc) {
        if (a != stack)
            dltc__free(a);
        return rc;
    }
    snake_sink k = {out->data + out->len, 0};
    /* step 5 (the first character is never changed by steps 3-4) */
    uint32_t first;
    if (n && dltc__utf8_next(a, n, 0, &first) && dltc__unicode_digit(first) >= 0)
        sink_put(&k, '_');
    size_t last_end = 0; /* end of the previous step 3 match */
    for (size_t p = 0; p < n; p++) {
        unsigned char c = (unsigned char)a[p];
        if (is_upper(c) && p > 0) {
            unsigned char prev = (unsigned char)a[p - 1];
            if (p > last_end && prev != '_' && p + 1 < n && is_lower((unsigned char)a[p + 1])) {
                sink_put(&k, '_'); /* step 3 */
                last_end = p + 1;
                while (last_end < n && is_lower((unsigned char)a[last_end]))
                    last_end++;
            } else if (is_lower(prev) || (prev >= '0' && prev <= '9')) {
                sink_put(&k, '_'); /* step 4 */
            }
        }
        sink_put(&k, is_upper(c) ? (char)(c - 'A' + 'a') : (char)c);
    }
    while (k.pending) { /* step 6: trailing "_" -> "x" */
        *k.w++ = 'x';
        k.pending--;
    }
    out->len = (size_t)(k.w - out->data);
    out->data[out->len] = '\0';
    if (a != stack)
        dltc__free(a);
    return 0;
}

static const dltc_naming_convention SNAKE_CASE = {
    "snake_case", "__", 2, 0, snake_normalize, NULL,
};

static const dltc_naming_convention *const CONVENTIONS[] = {&SNAKE_CASE};

/* ------------------------------------------------------------------------------------ */
/* Registry                                                                             */
/* ------------------------------------------------------------------------------------ */

#define NAMING_MAX_INSTANCES 64
#define DLT_NAMING_MODULE "dlt.common.normalizers.naming."

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static dltc_naming registry[NAMING_MAX_INSTANCES];
static size_t registry_len;

const dltc_naming_convention *dltc__naming_convention_find(const char *name)
{
    if (!name)
        return NULL;
    if (strncmp(name, DLT_NAMING_MODULE, sizeof(DLT_NAMING_MODULE) - 1) == 0)
        name += sizeof(DLT_NAMING_MODULE) - 1;
    for (size_t i = 0; i < sizeof(CONVENTIONS) / sizeof(CONVENTIONS[0]); i++)
        if (strcmp(CONVENTIONS[i]->name, name) == 0)
            return CONVENTIONS[i];
    return NULL;
}

const dltc_naming *dltc__naming_get(const char *name, size_t max_length)
{
    const dltc_naming_convention *conv = dltc__naming_convention_find(name);
    if (!conv) {
        dltc__error_set(DLTC_ENOTFOUND, "unknown naming convention \"%s\"",
                        name ? name : "(null)");
        return NULL;
    }
    const dltc_naming *found = NULL;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_len && !found; i++)
        if (registry[i].conv == conv && registry[i].max_length == max_length)
            found = &registry[i];
    if (!found && registry_len < NAMING_MAX_INSTANCES) {
        registry[registry_len].conv = conv;
        registry[registry_len].max_length = max_length;
        found = &registry[registry_len++];
    }
    pthread_mutex_unlock(&registry_lock);
    if (!found)
        dltc__error_set(DLTC_ELIMIT, "too many naming conventions in use (%d)",
                        NAMING_MAX_INSTANCES);
    return found;
}

/* ------------------------------------------------------------------------------------ */
/* The generic operations                                                               */
/* ------------------------------------------------------------------------------------ */

static void truncate_to(dltc_buf *out, size_t len)
{
    out->len = len;
    if (out->data)
        out->data[len] = '\0';
}

static int normalize_one(const dltc_naming *n, const char *s, size_t len, int table,
                         dltc_buf *out)
{
    const char *id = s;
    size_t idlen = len;
    dltc__naming_strip(&id, &idlen);
    if (!idlen)
        return dltc__error_set(DLTC_EINVALID, "identifier is empty or whitespace only");
    size_t start = out->len;
    int (*fn)(const char *, size_t, dltc_buf *) =
        table && n->conv->normalize_table ? n->conv->normalize_table : n->conv->normalize;
    int rc = fn(id, idlen, out);
    if (!rc)
        rc = shorten_region(out, start, id, idlen, n->max_length);
    if (rc)
        truncate_to(out, start);
    return rc;
}

int dltc__naming_normalize_identifier(const dltc_naming *n, const char *s, size_t len,
                                      dltc_buf *out)
{
    return normalize_one(n, s, len, 0, out);
}

int dltc__naming_normalize_table_identifier(const dltc_naming *n, const char *s, size_t len,
                                            dltc_buf *out)
{
    return normalize_one(n, s, len, 1, out);
}

/* Python str.find of the separator from byte i; len when absent. */
static size_t find_sep(const dltc_naming_convention *c, const char *s, size_t len, size_t i)
{
    const char *sep = c->path_separator;
    size_t sl = c->path_separator_len;
    while (i + sl <= len) {
        if (s[i] == sep[0] && memcmp(s + i, sep, sl) == 0)
            return i;
        i++;
    }
    return len;
}

static int append_sep(const dltc_naming *n, dltc_buf *out)
{
    return dltc__buf_put(out, n->conv->path_separator, n->conv->path_separator_len);
}

static int normalize_path(const dltc_naming *n, const char *path, size_t len, int table,
                          dltc_buf *out)
{
    size_t start = out->len;
    int rc = 0, any = 0;
    if (out->cap == 0) /* so that out->data is never NULL on success */
        rc = dltc__buf_reserve(out, len + 1);
    for (size_t i = 0; !rc && i <= len;) {
        size_t j = find_sep(n->conv, path, len, i);
        if (!is_blank(path + i, j - i)) {
            size_t mark = out->len;
            if (any)
                rc = append_sep(n, out);
            size_t piece = out->len;
            if (!rc)
                rc = normalize_one(n, path + i, j - i, table, out);
            /* make_path drops whitespace-only pieces */
            if (!rc && is_blank(out->data + piece, out->len - piece))
                truncate_to(out, mark);
            else if (!rc)
                any = 1;
        }
        if (j == len)
            break;
        i = j + n->conv->path_separator_len;
    }
    if (!rc)
        rc = shorten_region(out, start, path, len, n->max_length);
    if (rc)
        truncate_to(out, start);
    else
        out->data[out->len] = '\0';
    return rc;
}

int dltc__naming_normalize_path(const dltc_naming *n, const char *path, size_t len,
                                dltc_buf *out)
{
    return normalize_path(n, path, len, 0, out);
}

int dltc__naming_normalize_tables_path(const dltc_naming *n, const char *path, size_t len,
                                       dltc_buf *out)
{
    return normalize_path(n, path, len, 1, out);
}

int dltc__naming_make_path(const dltc_naming *n, const dltc_naming_frag *frags, size_t nfrags,
                           dltc_buf *out)
{
    size_t start = out->len;
    int rc = 0, any = 0;
    if (out->cap == 0)
        rc = dltc__buf_reserve(out, 1);
    for (size_t i = 0; !rc && i < nfrags; i++) {
        if (is_blank(frags[i].s, frags[i].len))
            continue;
        if (any)
            rc = append_sep(n, out);
        if (!rc)
            rc = dltc__buf_put(out, frags[i].s, frags[i].len);
        any = 1;
    }
    if (rc)
        truncate_to(out, start);
    else
        out->data[out->len] = '\0';
    return rc;
}

size_t dltc__naming_break_path(const dltc_naming *n, const char *path, size_t len,
                               dltc_naming_frag *parts, size_t cap)
{
    size_t count = 0;
    for (size_t i = 0; i <= len;) {
        size_t j = find_sep(n->conv, path, len, i);
        if (!is_blank(path + i, j - i)) {
            if (count < cap) {
                parts[count].s = path + i;
                parts[count].len = j - i;
            }
            count++;
        }
        if (j == len)
            break;
        i = j + n->conv->path_separator_len;
    }
    return count;
}

int dltc__naming_shorten_fragments(const dltc_naming *n, const dltc_naming_frag *frags,
                                   size_t nfrags, dltc_buf *out)
{
    size_t start = out->len;
    if (!nfrags)
        return 0;
    int rc = dltc__naming_make_path(n, frags, nfrags, out);
    if (rc)
        return rc;
    /* the tag is computed from the joined path before it is trimmed */
    rc = shorten_region(out, start, out->data + start, out->len - start, n->max_length);
    if (rc)
        truncate_to(out, start);
    return rc;
}

int dltc__naming_shorten(const dltc_naming *n, const char *s, size_t len, dltc_buf *out)
{
    return dltc__naming_shorten_identifier(s, len, s, len, n->max_length, out);
}
