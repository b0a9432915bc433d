/*
 * Secrets out of what the dashboard shows: the pipeline state, the trace, error messages.
 *
 * Two rules, for JSON documents and for free text alike:
 * - a value whose key names a secret (password, token, api_key, credentials, …) becomes "***";
 * - the password of a URL (scheme://user:password@host) becomes "***".
 * The rules are deliberately wide: a false positive hides a harmless value, a false negative
 * shows a credential. The last line of defence is dltc__secret_scrub (every secret the
 * process resolved), which server.c applies to each answer.
 */
#include "web/web.h"
#include "common/arena.h"
#include "common/error.h"
#include "formats/json.h"

#include <ctype.h>
#include <string.h>

#define MASK "***"
#define REDACT_DEPTH 64

/* Secret words, matched against the key lowercased with separators removed. */
static const char *const SECRET_PARTS[] = {"password", "passwd",     "passphrase", "secret",
                                           "token",    "apikey",     "credential", "privatekey",
                                           "accesskey", "authorization", "sessionkey",
                                           "sessionid", "cookie",   NULL};
/* Whole (normalized) keys that are secrets only on their own: "pwd", "auth", "dsn" … */
static const char *const SECRET_KEYS[] = {"pwd", "pass", "auth", "key", "sas", NULL};

int dltc__web_secret_key(const char *key, size_t len)
{
    char norm[256];
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof(norm) - 1; i++) {
        unsigned char c = (unsigned char)key[i];
        if (isalnum(c))
            norm[n++] = (char)tolower(c);
    }
    norm[n] = '\0';
    if (!n)
        return 0;
    for (size_t i = 0; SECRET_PARTS[i]; i++)
        if (strstr(norm, SECRET_PARTS[i]))
            return 1;
    for (size_t i = 0; SECRET_KEYS[i]; i++)
        if (!strcmp(norm, SECRET_KEYS[i]))
            return 1;
    /* …_pwd, …_pass (db_pwd, smtp_pass) */
    if ((n > 3 && !strcmp(norm + n - 3, "pwd")) || (n > 4 && !strcmp(norm + n - 4, "pass")))
        return 1;
    return 0;
}

static int is_key_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* Where the authority of a URL starting after "://" at `s` ends. */
static size_t authority_len(const char *s, size_t len)
{
    size_t j = 0;
    while (j < len && !strchr("/?#\"'<>` \t\r\n\\", s[j]) && s[j] != '\0')
        j++;
    return j;
}

/* The value after a secret key at s[i]: its length (0: none). `eq` is the separator. */
static size_t value_len(const char *s, size_t len, size_t i, char eq, char quote)
{
    size_t j = i;
    if (quote) {
        while (j < len && s[j] != quote && s[j] != '\n')
            j += (s[j] == '\\' && j + 1 < len && s[j + 1] != '\n') ? 2 : 1;
        return (j > len ? len : j) - i;
    }
    const char *stop = eq == '=' ? " \t\r\n&,;\"')}]" : "\r\n,;\"'}]";
    while (j < len && s[j] != '\0' && !strchr(stop, s[j]))
        j++;
    /* "key: value" runs to the end of the line: trailing blanks are not the value */
    while (j > i && (s[j - 1] == ' ' || s[j - 1] == '\t'))
        j--;
    return j - i;
}

static int redact_text_once(dltc_buf *out, const char *s, size_t len)
{
    int rc = dltc__buf_reserve(out, len);
    if (!rc)
        out->data[out->len] = '\0';
    size_t i = 0;
    while (!rc && i < len) {
        /* a URL's userinfo: keep the user, mask the password */
        if (s[i] == ':' && i + 2 < len && s[i + 1] == '/' && s[i + 2] == '/') {
            size_t a = i + 3, alen = authority_len(s + a, len - a), at = 0, colon = 0;
            for (size_t k = 0; k < alen; k++)
                if (s[a + k] == '@')
                    at = k + 1;
            for (size_t k = 0; at && k + 1 < at; k++)
                if (s[a + k] == ':') {
                    colon = k + 1;
                    break;
                }
            if (colon) {
                rc = dltc__buf_put(out, s + i, 3 + colon);
                if (!rc)
                    rc = dltc__buf_puts(out, MASK "@");
                i = a + at;
                continue;
            }
            rc = dltc__buf_put(out, s + i, 3);
            i += 3;
            continue;
        }
        /* a key at a word start: key[quote][blanks](=|:)[blanks][quote]value */
        if (is_key_char((unsigned char)s[i]) && (i == 0 || !is_key_char((unsigned char)s[i - 1]))) {
            size_t k = i;
            while (k < len && is_key_char((unsigned char)s[k]))
                k++;
            if (!dltc__web_secret_key(s + i, k - i)) {
                rc = dltc__buf_put(out, s + i, k - i);
                i = k;
                continue;
            }
            size_t j = k;
            if (j < len && (s[j] == '"' || s[j] == '\''))
                j++;
            while (j < len && (s[j] == ' ' || s[j] == '\t'))
                j++;
            if (j < len && (s[j] == '=' || s[j] == ':') &&
                !(s[j] == ':' && j + 1 < len && s[j + 1] == '/')) {
                char eq = s[j++];
                while (j < len && (s[j] == ' ' || s[j] == '\t'))
                    j++;
                char quote = 0;
                if (j < len && (s[j] == '"' || s[j] == '\''))
                    quote = s[j++];
                size_t v = value_len(s, len, j, eq, quote);
                if (v) {
                    rc = dltc__buf_put(out, s + i, j - i);
                    if (!rc)
                        rc = dltc__buf_puts(out, MASK);
                    i = j + v;
                    continue;
                }
            }
            rc = dltc__buf_put(out, s + i, k - i);
            i = k;
            continue;
        }
        rc = dltc__buf_putc(out, s[i]);
        i++;
    }
    return rc;
}

/* One pass can leave a secret that only shows once its neighbour is masked (a mask changes
 * the word boundaries and URL authorities around it): passes repeat until nothing changes,
 * so the result is a fixed point (redacting it again changes nothing). */
int dltc__web_redact_text(dltc_buf *out, const char *s, size_t len)
{
    dltc_buf cur = DLTC_BUF_INIT, next = DLTC_BUF_INIT;
    int rc = redact_text_once(&cur, s, len);
    for (int pass = 0; !rc && pass < 16; pass++) {
        dltc__buf_clear(&next);
        rc = redact_text_once(&next, cur.data ? cur.data : "", cur.len);
        if (rc || (next.len == cur.len && !memcmp(next.data, cur.data ? cur.data : "", cur.len)))
            break;
        dltc_buf t = cur;
        cur = next;
        next = t;
    }
    if (!rc)
        rc = dltc__buf_put(out, cur.data ? cur.data : "", cur.len);
    dltc__buf_free(&cur);
    dltc__buf_free(&next);
    return rc;
}

static int redact_string(dltc_arena *arena, dltc_value *v)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__web_redact_text(&b, v->u.s, v->len);
    if (!rc && (b.len != v->len || memcmp(b.data ? b.data : "", v->u.s, v->len))) {
        char *s = dltc__arena_strndup(arena, b.data, b.len);
        if (!s) {
            rc = dltc__error_oom();
        } else {
            v->u.s = s;
            v->len = (uint32_t)b.len;
            v->flags = 0;
        }
    }
    dltc__buf_free(&b);
    return rc;
}

static int redact(dltc_arena *arena, dltc_value *v, int depth)
{
    if (depth > REDACT_DEPTH)
        return dltc__error_set(DLTC_ELIMIT, "redact: nesting deeper than %d", REDACT_DEPTH);
    switch (v->type) {
    case DLTC_TYPE_STRING: return redact_string(arena, v);
    case DLTC_TYPE_ARRAY:
        for (uint32_t i = 0; i < v->len; i++) {
            int rc = redact(arena, &v->u.arr[i], depth + 1);
            if (rc)
                return rc;
        }
        return 0;
    case DLTC_TYPE_OBJECT:
        for (uint32_t i = 0; i < v->len; i++) {
            dltc_member *m = &v->u.obj[i];
            if (m->val.type != DLTC_TYPE_NULL && dltc__web_secret_key(m->key, m->klen)) {
                dltc__value_set_type(&m->val, DLTC_TYPE_STRING);
                m->val.u.s = MASK;
                m->val.len = 3;
                continue;
            }
            int rc = redact(arena, &m->val, depth + 1);
            if (rc)
                return rc;
        }
        return 0;
    default: return 0;
    }
}

int dltc__web_redact_value(dltc_arena *arena, dltc_value *v)
{
    return redact(arena, v, 0);
}

int dltc__web_redact_json(dltc_buf *out, const char *json, size_t len)
{
    dltc_arena a;
    dltc__arena_init(&a, 0);
    dltc_value *v = NULL;
    int rc = dltc__json_parse(&a, json, len, REDACT_DEPTH, &v, NULL);
    if (!rc)
        rc = dltc__web_redact_value(&a, v);
    if (!rc) {
        size_t mark = out->len;
        rc = dltc__json_write(out, v);
        if (rc && out->data) {
            out->len = mark;
            out->data[mark] = '\0';
        }
    }
    dltc__arena_free(&a);
    return rc;
}
