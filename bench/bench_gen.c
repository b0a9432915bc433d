/*
 * Deterministic JSON Lines generator (see bench_gen.h). Rows are formatted by hand into a
 * 1 MiB buffer (no printf in the row loop) so that a million flat rows take a fraction of a
 * second; randomness is xoshiro256** seeded through splitmix64.
 */
#include "bench_gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded by splitmix64 ---- */

typedef struct {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) for n < 2^32 (Lemire's multiply-shift, bias negligible here). */
static inline uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability pct/100. */
static inline int rng_pct(rng *r, uint32_t pct)
{
    return rng_below(r, 100) < pct;
}

/* A stable hash of a small integer: per-user values do not depend on the row stream. */
static uint64_t hash_u64(uint64_t x)
{
    return splitmix64(&x);
}

/* ---- output buffer ---- */

#define OUT_CAP (1u << 20)
#define ROW_RESERVE 16384 /* more than any one row can take */

typedef struct {
    FILE *f;
    char *buf;
    size_t len;
    uint64_t total;
    int failed;
} out_buf;

static int out_flush(out_buf *o)
{
    if (o->len && !o->failed) {
        if (fwrite(o->buf, 1, o->len, o->f) != o->len) o->failed = 1;
        o->total += o->len;
    }
    o->len = 0;
    return o->failed ? -1 : 0;
}

/* Make room for one row; appends below are unchecked within ROW_RESERVE. */
static inline int out_row_begin(out_buf *o)
{
    if (OUT_CAP - o->len < ROW_RESERVE) return out_flush(o);
    return 0;
}

static inline void put(out_buf *o, const char *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

#define PUT_LIT(o, s) put((o), (s), sizeof(s) - 1)

static inline void put_str(out_buf *o, const char *s)
{
    put(o, s, strlen(s));
}

static inline void put_char(out_buf *o, char c)
{
    o->buf[o->len++] = c;
}

static inline void put_u64(out_buf *o, uint64_t v)
{
    char tmp[20];
    int i = 20;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, tmp + i, (size_t)(20 - i));
}

/* `digits` decimal digits of v, zero-padded. */
static inline void put_padded(out_buf *o, uint64_t v, int digits)
{
    char *p = o->buf + o->len + digits;
    for (int i = 0; i < digits; i++) {
        *--p = (char)('0' + v % 10);
        v /= 10;
    }
    o->len += (size_t)digits;
}

/* scaled / 10^decimals with exactly `decimals` digits after the point (always a double). */
static inline void put_fixed(out_buf *o, uint64_t scaled, int decimals)
{
    uint64_t div = 1;
    for (int i = 0; i < decimals; i++)
        div *= 10;
    put_u64(o, scaled / div);
    put_char(o, '.');
    put_padded(o, scaled % div, decimals);
}

/* Howard Hinnant's civil_from_days. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* "YYYY-MM-DDTHH:MM:SSZ" with the quotes. */
static void put_iso(out_buf *o, int64_t epoch)
{
    int64_t days = epoch / 86400, secs = epoch % 86400, y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    put_char(o, '"');
    put_padded(o, (uint64_t)y, 4);
    put_char(o, '-');
    put_padded(o, m, 2);
    put_char(o, '-');
    put_padded(o, d, 2);
    put_char(o, 'T');
    put_padded(o, (uint64_t)(secs / 3600), 2);
    put_char(o, ':');
    put_padded(o, (uint64_t)(secs / 60 % 60), 2);
    put_char(o, ':');
    put_padded(o, (uint64_t)(secs % 60), 2);
    PUT_LIT(o, "Z\"");
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define EPOCH_FROM 1420070400 /* 2015-01-01 */
#define EPOCH_SPAN 315532800  /* ten years */

static const char *const syllables[] = {"ka",  "lo",  "mi",  "ra",  "ne",  "so",  "ti", "vu",
                                        "ber", "dan", "el",  "fin", "gor", "hal", "ix", "jo",
                                        "kes", "mar", "nor", "pe",  "qu",  "sil", "ul", "wen"};

/* 2-4 syllables, lower case. */
static void put_name(out_buf *o, uint64_t h)
{
    unsigned n = 2 + (unsigned)(h % 3);
    h /= 3;
    for (unsigned i = 0; i < n; i++) {
        put_str(o, syllables[h % COUNT(syllables)]);
        h /= COUNT(syllables);
    }
}

/* ---- flat ---- */

static const char *const categories[] = {"books",  "games", "garden", "music",
                                         "sports", "tools", "toys",   "travel"};

static void flat_row(out_buf *o, rng *r, uint64_t i)
{
    PUT_LIT(o, "{\"id\":");
    put_u64(o, i + 1);
    PUT_LIT(o, ",\"name\":\"");
    put_name(o, rng_next(r));
    PUT_LIT(o, "\",\"score\":");
    put_fixed(o, rng_below(r, 10000000), 4);
    if (rng_pct(r, 50))
        PUT_LIT(o, ",\"active\":true");
    else
        PUT_LIT(o, ",\"active\":false");
    PUT_LIT(o, ",\"created_at\":");
    put_iso(o, EPOCH_FROM + rng_below(r, EPOCH_SPAN));
    PUT_LIT(o, ",\"category\":\"");
    put_str(o, categories[rng_below(r, COUNT(categories))]);
    PUT_LIT(o, "\"}\n");
}

/* ---- github ---- */

#define GH_USERS 5000
#define GH_USER_ID_BASE 1000000

static const char *const title_words[] = {
    "add",      "support", "for",       "pipeline",    "schema",  "fails",       "when",
    "loading",  "nested",  "tables",    "into",        "duckdb",  "postgres",    "error",
    "on",       "merge",   "with",      "primary",     "key",     "incremental", "cursor",
    "is",       "not",     "reset",     "after",       "retry",   "timeout",     "in",
    "rest_api", "source",  "paginator", "breaks",      "unicode", "column",      "names",
    "docs",     "typo",    "improve",   "performance", "of",      "normalizer",  "memory"};

static const char *const body_words[] = {
    "the",     "pipeline", "runs",    "fine",    "until",       "it",        "reaches",  "a",
    "table",   "with",     "nested",  "lists",   "and",         "then",      "fails",    "while",
    "loading", "data",     "into",    "the",     "destination", "we",        "expected", "schema",
    "to",      "evolve",   "but",     "column",  "type",        "changed",   "from",     "bigint",
    "text",    "after",    "upgrade", "version", "steps",       "reproduce", "run",      "load",
    "again",   "see",      "error",   "message", "below",       "this",      "happens",  "only",
    "on",      "large",    "inputs",  "works",   "small",       "ones",      "thanks"};

/* Pieces already escaped for a JSON string: newlines, quotes, backslashes, \u escapes and
 * raw UTF-8 (é, ï, ö, ß, →, ✓, 日本語, 😀). */
static const char *const body_specials[] = {"\\n",
                                            "\\n\\n### Steps to reproduce\\n",
                                            "\\n- ",
                                            "\\\"quoted text\\\"",
                                            "`pipeline.run(data)`",
                                            "caf\xc3\xa9",
                                            "na\xc3\xafve",
                                            "Gr\xc3\xb6\xc3\x9f\x65",
                                            "\xe2\x86\x92",
                                            "\xe2\x9c\x93 done",
                                            "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                                            "\xf0\x9f\x98\x80",
                                            "C:\\\\data\\\\in.json",
                                            "d\\u00e9j\\u00e0 vu",
                                            "\\tindented"};

static const char *const states[] = {"open", "closed"};

static const char *const associations[] = {"OWNER",        "MEMBER", "CONTRIBUTOR",
                                           "COLLABORATOR", "NONE",   "FIRST_TIME_CONTRIBUTOR"};

typedef struct {
    const char *name, *url_name, *color, *description;
    int is_default;
} gh_label;

static const gh_label labels[] = {
    {"bug", "bug", "d73a4a", "Something isn't working", 1},
    {"enhancement", "enhancement", "a2eeef", "New feature or request", 1},
    {"documentation", "documentation", "0075ca", "Improvements or additions to documentation", 1},
    {"question", "question", "d876e3", "Further information is requested", 1},
    {"good first issue", "good%20first%20issue", "7057ff", "Good for newcomers", 1},
    {"help wanted", "help%20wanted", "008672", "Extra attention is needed", 1},
    {"destination", "destination", "fbca04", "Issues with a destination", 0},
    {"performance", "performance", "5319e7", "Speed and memory", 0},
    {"wontfix", "wontfix", "ffffff", "This will not be worked on", 1},
    {"duplicate", "duplicate", "cfd3d7", "This issue or pull request already exists", 1},
};

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void put_b62(out_buf *o, uint64_t h, int n)
{
    for (int i = 0; i < n; i++) {
        put_char(o, b62[h % 62]);
        h /= 62;
    }
}

static void gh_user(out_buf *o, rng *r)
{
    uint64_t idx = rng_below(r, GH_USERS);
    uint64_t h = hash_u64(idx);
    uint64_t id = GH_USER_ID_BASE + idx * 7919;
    int bot = h % 20 == 0;
    size_t login_at;

    PUT_LIT(o, "\"user\":{\"login\":\"");
    login_at = o->len;
    put_name(o, h >> 8);
    if (bot)
        PUT_LIT(o, "-bot");
    else if (h & 1)
        put_u64(o, (h >> 40) % 100);
    /* the login again for the URLs: copy what was just written */
    size_t login_len = o->len - login_at;
    char login[64];
    memcpy(login, o->buf + login_at, login_len);

    PUT_LIT(o, "\",\"id\":");
    put_u64(o, id);
    PUT_LIT(o, ",\"node_id\":\"U_kgDO");
    put_b62(o, h, 8);
    PUT_LIT(o, "\",\"avatar_url\":\"https://avatars.githubusercontent.com/u/");
    put_u64(o, id);
    PUT_LIT(o, "?v=4\",\"gravatar_id\":\"\",\"url\":\"https://api.github.com/users/");
    put(o, login, login_len);
    PUT_LIT(o, "\",\"html_url\":\"https://github.com/");
    put(o, login, login_len);
    if (bot)
        PUT_LIT(o, "\",\"type\":\"Bot\"");
    else
        PUT_LIT(o, "\",\"type\":\"User\"");
    if (h % 97 == 3)
        PUT_LIT(o, ",\"site_admin\":true}");
    else
        PUT_LIT(o, ",\"site_admin\":false}");
}

static void gh_labels(out_buf *o, rng *r)
{
    unsigned n = rng_below(r, 5);
    unsigned start = rng_below(r, COUNT(labels));
    PUT_LIT(o, "\"labels\":[");
    for (unsigned k = 0; k < n; k++) {
        /* stride 3 is coprime with 10 labels: distinct for k < 4 */
        unsigned li = (start + 3 * k) % COUNT(labels);
        const gh_label *l = &labels[li];
        if (k) put_char(o, ',');
        PUT_LIT(o, "{\"id\":");
        put_u64(o, 1200000000 + li * 104729);
        PUT_LIT(o, ",\"node_id\":\"LA_kwDOBx");
        put_b62(o, hash_u64(li + 7), 10);
        PUT_LIT(o, "\",\"url\":\"https://api.github.com/repos/dlt-hub/dlt/labels/");
        put_str(o, l->url_name);
        PUT_LIT(o, "\",\"name\":\"");
        put_str(o, l->name);
        PUT_LIT(o, "\",\"color\":\"");
        put_str(o, l->color);
        if (l->is_default)
            PUT_LIT(o, "\",\"default\":true,\"description\":\"");
        else
            PUT_LIT(o, "\",\"default\":false,\"description\":\"");
        put_str(o, l->description);
        PUT_LIT(o, "\"}");
    }
    put_char(o, ']');
}

static void gh_reactions(out_buf *o, rng *r, uint64_t number)
{
    static const char *const kinds[] = {"\"+1\":",       "\"-1\":",    "\"laugh\":",  "\"hooray\":",
                                        "\"confused\":", "\"heart\":", "\"rocket\":", "\"eyes\":"};
    uint64_t counts[COUNT(kinds)], total = 0;
    for (size_t k = 0; k < COUNT(kinds); k++) {
        /* mostly zeros, sometimes a few, rarely many */
        uint32_t p = rng_below(r, 100);
        counts[k] = p < 70 ? 0 : p < 95 ? rng_below(r, 5) : rng_below(r, 200);
        total += counts[k];
    }
    PUT_LIT(o, "\"reactions\":{\"url\":\"https://api.github.com/repos/dlt-hub/dlt/issues/");
    put_u64(o, number);
    PUT_LIT(o, "/reactions\",\"total_count\":");
    put_u64(o, total);
    for (size_t k = 0; k < COUNT(kinds); k++) {
        put_char(o, ',');
        put_str(o, kinds[k]);
        put_u64(o, counts[k]);
    }
    put_char(o, '}');
}

static void gh_title(out_buf *o, rng *r)
{
    PUT_LIT(o, "\"title\":\"");
    size_t text = o->len;
    while (o->len - text < 36) {
        if (o->len != text) put_char(o, ' ');
        put_str(o, title_words[rng_below(r, COUNT(title_words))]);
    }
    if (o->buf[text] >= 'a' && o->buf[text] <= 'z') o->buf[text] = (char)(o->buf[text] - 'a' + 'A');
    put_char(o, '"');
}

static void gh_body(out_buf *o, rng *r)
{
    size_t target = 260 + rng_below(r, 80);
    PUT_LIT(o, "\"body\":\"");
    size_t text = o->len;
    PUT_LIT(o, "### Describe the bug\\n");
    while (o->len - text < target) {
        if (rng_pct(r, 12)) {
            put_str(o, body_specials[rng_below(r, COUNT(body_specials))]);
        } else {
            put_str(o, body_words[rng_below(r, COUNT(body_words))]);
        }
        put_char(o, ' ');
    }
    PUT_LIT(o, "\\nThanks!\"");
}

static void github_row(out_buf *o, rng *r, uint64_t i)
{
    uint64_t number = i + 1;
    int closed = rng_pct(r, 60);
    int64_t created = EPOCH_FROM + rng_below(r, EPOCH_SPAN);
    int64_t closed_at = created + 60 + rng_below(r, 60 * 86400);
    int64_t updated =
        closed ? closed_at + rng_below(r, 3 * 86400) : created + rng_below(r, 200 * 86400);

    PUT_LIT(o, "{\"id\":");
    put_u64(o, 1500000000 + number * 16 + rng_below(r, 16));
    PUT_LIT(o, ",\"number\":");
    put_u64(o, number);
    put_char(o, ',');
    gh_title(o, r);
    PUT_LIT(o, ",\"state\":\"");
    put_str(o, states[closed]);
    PUT_LIT(o, "\",");
    gh_user(o, r);
    put_char(o, ',');
    gh_labels(o, r);
    put_char(o, ',');
    gh_reactions(o, r, number);
    PUT_LIT(o, ",\"created_at\":");
    put_iso(o, created);
    PUT_LIT(o, ",\"updated_at\":");
    put_iso(o, updated);
    PUT_LIT(o, ",\"closed_at\":");
    if (closed)
        put_iso(o, closed_at);
    else
        PUT_LIT(o, "null");
    PUT_LIT(o, ",\"comments\":");
    put_u64(o, rng_pct(r, 30) ? 0 : rng_below(r, rng_pct(r, 90) ? 12 : 150));
    put_char(o, ',');
    gh_body(o, r);
    PUT_LIT(o, ",\"author_association\":\"");
    put_str(o, associations[rng_below(r, COUNT(associations))]);
    if (rng_pct(r, 2))
        PUT_LIT(o, "\",\"locked\":true}\n");
    else
        PUT_LIT(o, "\",\"locked\":false}\n");
}

/* ---- public ---- */

const char *bench_dataset_name(bench_dataset d)
{
    return d == BENCH_DATASET_GITHUB ? "github" : d == BENCH_DATASET_ONE ? "one" : "flat";
}

int bench_dataset_parse(bench_dataset *out, const char *name)
{
    if (strcmp(name, "flat") == 0)
        *out = BENCH_DATASET_FLAT;
    else if (strcmp(name, "github") == 0)
        *out = BENCH_DATASET_GITHUB;
    else if (strcmp(name, "one") == 0)
        *out = BENCH_DATASET_ONE;
    else
        return -1;
    return 0;
}

int bench_gen_write(uint64_t *out_bytes, FILE *f, bench_dataset d, uint64_t rows, uint64_t seed)
{
    out_buf o = {f, malloc(OUT_CAP), 0, 0, 0};
    rng r;
    if (!o.buf) {
        errno = ENOMEM;
        return -1;
    }
    /* the dataset goes into the seed: flat and github streams differ for one --seed */
    rng_seed(&r, seed * 2 + (uint64_t)d);
    if (d == BENCH_DATASET_ONE && out_row_begin(&o) == 0)
        PUT_LIT(&o, "{\"export\":\"github\",\"issues\":[");
    for (uint64_t i = 0; i < rows && !o.failed; i++) {
        if (out_row_begin(&o) != 0) break;
        if (d == BENCH_DATASET_FLAT) {
            flat_row(&o, &r, i);
        } else {
            github_row(&o, &r, i);
            if (d == BENCH_DATASET_ONE) /* the row's newline becomes the list's comma */
                o.buf[o.len - 1] = i + 1 < rows ? ',' : ' ';
        }
    }
    if (d == BENCH_DATASET_ONE && !o.failed && out_row_begin(&o) == 0)
        PUT_LIT(&o, "]}\n");
    out_flush(&o);
    if (!o.failed && fflush(f) != 0) o.failed = 1;
    free(o.buf);
    if (out_bytes) *out_bytes = o.total;
    return o.failed ? -1 : 0;
}

int bench_gen_file(uint64_t *out_bytes, const char *path, bench_dataset d, uint64_t rows,
                   uint64_t seed)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    setvbuf(f, NULL, _IONBF, 0); /* we write whole 1 MiB chunks ourselves */
    int rc = bench_gen_write(out_bytes, f, d, rows, seed);
    int saved = errno;
    if (fclose(f) != 0 && rc == 0) return -1;
    errno = saved;
    return rc;
}
