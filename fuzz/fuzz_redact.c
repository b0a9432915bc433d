/* Fuzz target of the dashboard's redaction (src/web/redact.c).
 *
 * The input is redacted as free text and, when it parses, as a JSON document. Properties:
 * - text redaction is idempotent (redacting its output changes nothing) and only ever
 *   replaces spans by "***", so the output is at most the input plus 3 bytes per span;
 * - a URL password never survives: after "scheme://user:" in the output comes "***@" when
 *   the authority has an '@';
 * - a redacted JSON document is valid JSON again, and redacting it again gives the same text;
 *   a member with a secret key has a null or "***" value.
 * Leaks are reported by the sanitizer. */
#include "common/arena.h"
#include "common/buf.h"
#include "formats/json.h"
#include "web/web.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_redact: %s\n", what);
        abort();
    }
}

static void check_secret_members(const dltc_value *v, int depth)
{
    check(depth < 80, "depth");
    if (v->type == DLTC_TYPE_ARRAY)
        for (uint32_t i = 0; i < v->len; i++)
            check_secret_members(&v->u.arr[i], depth + 1);
    if (v->type != DLTC_TYPE_OBJECT)
        return;
    for (uint32_t i = 0; i < v->len; i++) {
        const dltc_member *m = &v->u.obj[i];
        if (dltc__web_secret_key(m->key, m->klen))
            check(m->val.type == DLTC_TYPE_NULL ||
                      (m->val.type == DLTC_TYPE_STRING && !strcmp(m->val.u.s, "***")),
                  "a secret member kept its value");
        else
            check_secret_members(&m->val, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    const char *s = (const char *)data;
    dltc_buf a = DLTC_BUF_INIT, b = DLTC_BUF_INIT;
    if (dltc__web_redact_text(&a, s, size) == 0) {
        check(a.len <= size + 3 * (size + 1), "text grew too much");
        check(dltc__web_redact_text(&b, a.data, a.len) == 0, "second redaction failed");
        check(b.len == a.len && !memcmp(a.data, b.data, a.len), "text redaction not idempotent");
    }
    dltc__buf_free(&a);
    dltc__buf_free(&b);

    dltc_buf j = DLTC_BUF_INIT, k = DLTC_BUF_INIT;
    if (dltc__web_redact_json(&j, s, size) == 0) {
        dltc_arena ar;
        dltc__arena_init(&ar, 0);
        dltc_value *v = NULL;
        check(dltc__json_parse(&ar, j.data, j.len, 0, &v, NULL) == 0, "output is not JSON");
        check_secret_members(v, 0);
        dltc__arena_free(&ar);
        check(dltc__web_redact_json(&k, j.data, j.len) == 0, "second JSON redaction failed");
        check(k.len == j.len && !memcmp(j.data, k.data, j.len), "JSON redaction not idempotent");
    }
    dltc__buf_free(&j);
    dltc__buf_free(&k);
    return 0;
}
