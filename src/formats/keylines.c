/* Key path -> line map of a config document (keylines.h). */
#include "formats/keylines.h"

#include "common/error.h"

#include <string.h>

void dltc__keylines_free(dltc_keylines *kl)
{
    if (kl)
        dltc__strmap_free(&kl->map);
}

int dltc__keylines_put(dltc_keylines *kl, const char *path, size_t len, uint64_t line)
{
    size_t old;
    if (dltc__strmap_get(&kl->map, path, len, &old))
        return 0;
    return dltc__strmap_put(&kl->map, path, len, (size_t)line);
}

uint64_t dltc__keylines_find(const dltc_keylines *kl, const char *path)
{
    if (!kl || !path)
        return 0;
    /* the ends of the steps, so each ancestor is a prefix */
    size_t n = strlen(path), ends[64], nends = 0;
    int quoted = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = path[i];
        if (quoted) {
            if (ch == '\\' && i + 1 < n)
                i++;
            else if (ch == '"')
                quoted = 0;
            continue;
        }
        if (ch == '"')
            quoted = 1;
        else if ((ch == '.' || ch == '[') && i > 0 && nends < 64)
            ends[nends++] = i;
    }
    size_t v;
    if (dltc__strmap_get(&kl->map, path, n, &v))
        return v;
    while (nends--)
        if (dltc__strmap_get(&kl->map, path, ends[nends], &v))
            return v;
    return 0;
}

static int is_bare(const char *k, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int dltc__keypath_key(dltc_buf *b, const char *key, size_t klen)
{
    int rc = b->len ? dltc__buf_putc(b, '.') : 0;
    if (rc)
        return rc;
    if (is_bare(key, klen))
        return dltc__buf_put(b, key, klen);
    if ((rc = dltc__buf_putc(b, '"')))
        return rc;
    for (size_t i = 0; i < klen && !rc; i++) {
        if (key[i] == '"' || key[i] == '\\')
            rc = dltc__buf_putc(b, '\\');
        if (!rc)
            rc = dltc__buf_putc(b, key[i]);
    }
    return rc ? rc : dltc__buf_putc(b, '"');
}

int dltc__keypath_index(dltc_buf *b, size_t i)
{
    return dltc__buf_printf(b, "[%zu]", i);
}
