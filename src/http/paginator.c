/* dlt's paginators (reference §2.4) and their auto-detection (§2.2): one struct for every
 * kind, a state machine driven by the paginate loop in rest.c:
 *
 *   init_request (templates only) → send → update_state → has_next? update_request → send …
 *
 * Range paginators (offset, page_number) count `current` up by `step`; reference paginators
 * (json_link, header_link, cursor, header_cursor) keep the next URL or cursor from the last
 * response. Error texts follow dlt's ValueErrors so users can search for them. */
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/jsonpath.h"
#include "http/http.h"
#include "http/rest_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
    K_AUTO,
    K_SINGLE,
    K_JSON_LINK,
    K_HEADER_LINK,
    K_OFFSET,
    K_PAGE_NUMBER,
    K_CURSOR,
    K_HEADER_CURSOR,
    K_CUSTOM
};

static const char *const TYPE_NAMES[] = {"auto",        "single_page", "json_link",
                                         "header_link", "offset",      "page_number",
                                         "cursor",      "header_cursor", "custom"};
static const char *const CLASS_NAMES[] = {
    "auto",       "SinglePagePaginator", "JSONLinkPaginator",           "HeaderLinkPaginator",
    "OffsetPaginator", "PageNumberPaginator", "JSONResponseCursorPaginator",
    "HeaderCursorPaginator", "CustomPaginator"};

struct dltc_paginator {
    int kind;
    int has_next;
    /* settings; owned strings, NULL = dlt's None */
    char *path;            /* next_url_path (json_link), cursor_path (cursor) */
    char *key;             /* links_next_key (header_link), cursor_key (header_cursor) */
    char *param;           /* offset_param, page_param, cursor_param */
    char *body_path;       /* offset_body_path, page_body_path, cursor_body_path */
    char *limit_param;     /* offset */
    char *limit_body_path; /* offset */
    char *total_path;      /* range */
    char *has_more_path;   /* range, cursor */
    int64_t initial, step, base_index;
    int has_maximum;
    int64_t maximum;
    int stop_after_empty_page;
    dltc__jsonpath *jpath, *jtotal, *jhas_more;
    /* state */
    int64_t current;
    char *next;      /* next URL, or the cursor as query text; NULL = None */
    char *next_json; /* the cursor as JSON (body placement) */
    dltc_paginator_callbacks cb;
    dltc_buf desc;
};

static int is_range(const dltc_paginator *p)
{
    return p->kind == K_OFFSET || p->kind == K_PAGE_NUMBER;
}

/* ---- small helpers ---- */

static int dup_to(char **slot, const char *s)
{
    char *c = NULL;
    if (s && !(c = dltc__strdup(s)))
        return dltc__error_oom();
    dltc__free(*slot);
    *slot = c;
    return 0;
}

static void clear_next(dltc_paginator *p)
{
    dltc__free(p->next);
    dltc__free(p->next_json);
    p->next = p->next_json = NULL;
}

/* `v` as Python's str() would print it in a message or a query string: strings raw,
 * booleans True/False, numbers as written, the rest as JSON. At most `max` bytes. */
static int value_text(dltc_buf *b, const dltc_value *v, size_t max)
{
    size_t start = b->len;
    int rc = 0;
    if (v->type == DLTC_TYPE_STRING) {
        rc = dltc__buf_put(b, v->u.s, v->len);
    } else if (v->type == DLTC_TYPE_BOOL) {
        rc = dltc__buf_puts(b, v->u.i ? "True" : "False");
    } else if (v->type == DLTC_TYPE_NULL) {
        rc = dltc__buf_puts(b, "None");
    } else {
        char *j = NULL;
        size_t n = 0;
        if ((rc = dltc_value_to_json(&j, &n, v)))
            return rc;
        rc = dltc__buf_put(b, j, n);
        dltc_free(j);
    }
    if (!rc && max && b->len - start > max) {
        b->len = start + max;
        b->data[b->len] = '\0';
        rc = dltc__buf_puts(b, "...");
    }
    return rc;
}

/* Python's int(v): bools, integers, floats (truncated) and integer strings ("  -12", "1_000").
 * Values beyond int64 saturate. 0, or -1 when not convertible. */
static int py_int(const dltc_value *v, int64_t *out)
{
    switch (v->type) {
    case DLTC_TYPE_BOOL:
    case DLTC_TYPE_INT:
        *out = v->u.i;
        return 0;
    case DLTC_TYPE_BIGINT:
        *out = v->u.s[0] == '-' ? INT64_MIN : INT64_MAX;
        return 0;
    case DLTC_TYPE_DOUBLE:
        if (isnan(v->u.d) || isinf(v->u.d))
            return -1;
        *out = v->u.d >= 9.2e18 ? INT64_MAX : v->u.d <= -9.2e18 ? INT64_MIN : (int64_t)v->u.d;
        return 0;
    case DLTC_TYPE_STRING: {
        const char *s = v->u.s, *e = v->u.s + v->len;
        while (s < e && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
            s++;
        while (e > s && (e[-1] == ' ' || (e[-1] >= '\t' && e[-1] <= '\r')))
            e--;
        int neg = 0;
        if (s < e && (*s == '+' || *s == '-'))
            neg = *s++ == '-';
        if (s == e || *s < '0' || *s > '9')
            return -1;
        uint64_t acc = 0;
        int sat = 0;
        for (; s < e; s++) {
            if (*s == '_' && s + 1 < e && s[1] >= '0' && s[1] <= '9' && s[-1] != '_')
                continue;
            if (*s < '0' || *s > '9')
                return -1;
            if (acc > (UINT64_MAX - 9) / 10)
                sat = 1;
            else
                acc = acc * 10 + (uint64_t)(*s - '0');
        }
        if (sat || acc > (uint64_t)INT64_MAX)
            *out = neg ? INT64_MIN : INT64_MAX;
        else
            *out = neg ? -(int64_t)acc : (int64_t)acc;
        return 0;
    }
    default:
        return -1;
    }
}

/* Python truthiness of a JSON value. */
static int truthy(const dltc_value *v)
{
    switch (v->type) {
    case DLTC_TYPE_NULL:
        return 0;
    case DLTC_TYPE_BOOL:
    case DLTC_TYPE_INT:
        return v->u.i != 0;
    case DLTC_TYPE_DOUBLE:
        return v->u.d != 0;
    case DLTC_TYPE_STRING:
    case DLTC_TYPE_ARRAY:
    case DLTC_TYPE_OBJECT:
        return v->len != 0;
    default:
        return 1;
    }
}

static int not_json(const dltc_paginator *p, const char *what, const char *path)
{
    return dltc__error_set(DLTC_EPARSE, "%s: the response is not JSON, cannot read %s '%s'",
                           CLASS_NAMES[p->kind], what, path);
}

/* ---- Link header (RFC 8288) ---- */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* 1 when the space-separated relation types in rel[0..n) include `want` (case-insensitive). */
static int rel_has(const char *rel, size_t n, const char *want)
{
    size_t wl = strlen(want), i = 0;
    while (i < n) {
        while (i < n && (is_ows(rel[i]) || rel[i] == '\n' || rel[i] == '\r'))
            i++;
        size_t s = i;
        while (i < n && !is_ows(rel[i]) && rel[i] != '\n' && rel[i] != '\r')
            i++;
        if (i > s && i - s == wl && strncasecmp(rel + s, want, wl) == 0)
            return 1;
    }
    return 0;
}

/* The URL of the last link whose rel includes `rel` (as requests' dict of links keeps the
 * last one), copied into *out (NULL: none). Malformed link-values are skipped. */
static int link_find(char **out, const char *h, const char *rel)
{
    *out = NULL;
    const char *url = NULL;
    size_t url_len = 0;
    size_t i = 0;
    while (h && h[i]) {
        while (is_ows(h[i]) || h[i] == ',')
            i++;
        if (!h[i])
            break;
        if (h[i] != '<') { /* malformed: skip to the next link-value */
            while (h[i] && h[i] != ',')
                i++;
            continue;
        }
        const char *u = h + i + 1;
        const char *ue = strchr(u, '>');
        if (!ue)
            break;
        i = (size_t)(ue - h) + 1;
        int first_rel = 1, match = 0;
        /* link-params: *( OWS ";" OWS token [ BWS "=" BWS ( token / quoted-string ) ] ) */
        for (;;) {
            while (is_ows(h[i]))
                i++;
            if (h[i] != ';')
                break;
            i++;
            while (is_ows(h[i]))
                i++;
            size_t ns = i;
            while (h[i] && h[i] != '=' && h[i] != ';' && h[i] != ',' && !is_ows(h[i]))
                i++;
            size_t ne = i;
            while (is_ows(h[i]))
                i++;
            const char *val = "";
            size_t vlen = 0;
            if (h[i] == '=') {
                i++;
                while (is_ows(h[i]))
                    i++;
                if (h[i] == '"') {
                    val = h + ++i;
                    while (h[i] && h[i] != '"')
                        i += h[i] == '\\' && h[i + 1] ? 2 : 1;
                    vlen = (size_t)(h + i - val);
                    if (h[i] == '"')
                        i++;
                } else {
                    val = h + i;
                    while (h[i] && h[i] != ';' && h[i] != ',' && !is_ows(h[i]))
                        i++;
                    vlen = (size_t)(h + i - val);
                }
            }
            /* only the first rel counts (RFC 8288 §3.3) */
            if (ne - ns == 3 && strncasecmp(h + ns, "rel", 3) == 0 && first_rel) {
                first_rel = 0;
                match = rel_has(val, vlen, rel);
            }
        }
        if (match) {
            url = u;
            url_len = (size_t)(ue - u);
        }
        while (h[i] && h[i] != ',')
            i++;
    }
    if (!url)
        return 0;
    while (url_len && is_ows(*url))
        url++, url_len--;
    while (url_len && is_ows(url[url_len - 1]))
        url_len--;
    if (!(*out = dltc__strndup(url, url_len)))
        return dltc__error_oom();
    return 0;
}

/* ---- construction ---- */

static dltc_paginator *alloc_kind(int kind)
{
    dltc_paginator *p = dltc__calloc(1, sizeof(*p));
    if (!p) {
        dltc__error_oom();
        return NULL;
    }
    p->kind = kind;
    p->has_next = 1;
    return p;
}

void dltc_paginator_free(dltc_paginator *p)
{
    if (!p)
        return;
    char **strs[] = {&p->path,        &p->key,           &p->param,      &p->body_path,
                     &p->limit_param, &p->limit_body_path, &p->total_path, &p->has_more_path};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        dltc__free(*strs[i]);
    dltc__jsonpath_free(p->jpath);
    dltc__jsonpath_free(p->jtotal);
    dltc__jsonpath_free(p->jhas_more);
    clear_next(p);
    dltc__buf_free(&p->desc);
    dltc__free(p);
}

/* dlt's defaults of every kind (the keyword defaults of the classes' __init__). */
static int set_defaults(dltc_paginator *p)
{
    switch (p->kind) {
    case K_JSON_LINK:
        return dup_to(&p->path, "next");
    case K_HEADER_LINK:
        return dup_to(&p->key, "next");
    case K_OFFSET:
    case K_PAGE_NUMBER:
        p->stop_after_empty_page = 1;
        return dup_to(&p->total_path, "total");
    case K_CURSOR:
        return dup_to(&p->path, "cursors.next");
    case K_HEADER_CURSOR: {
        int rc = dup_to(&p->key, "next");
        return rc ? rc : dup_to(&p->param, "cursor");
    }
    default:
        return 0;
    }
}

/* Numbers of a dict config that need a "given" flag until validation. */
typedef struct {
    int has_limit;
    int64_t limit, offset, base_page;
    int has_page;
    int64_t page;
} nums;

enum { A_STR, A_STRN, A_INT, A_INTN, A_BOOL };
enum {
    S_PATH,
    S_KEY,
    S_PARAM,
    S_BODY,
    S_LIMIT_PARAM,
    S_LIMIT_BODY,
    S_TOTAL,
    S_HAS_MORE,
    N_LIMIT,
    N_OFFSET,
    N_MAXIMUM,
    N_BASE,
    N_PAGE,
    B_STOP
};
#define KM(k) (1u << (k))
#define RANGE (KM(K_OFFSET) | KM(K_PAGE_NUMBER))

static const struct {
    const char *key;
    unsigned kinds;
    int type, slot;
} ARGS[] = {
    {"next_url_path", KM(K_JSON_LINK), A_STR, S_PATH},
    {"links_next_key", KM(K_HEADER_LINK), A_STR, S_KEY},
    {"limit", KM(K_OFFSET), A_INT, N_LIMIT},
    {"offset", KM(K_OFFSET), A_INT, N_OFFSET},
    {"offset_param", KM(K_OFFSET), A_STRN, S_PARAM},
    {"limit_param", KM(K_OFFSET), A_STRN, S_LIMIT_PARAM},
    {"offset_body_path", KM(K_OFFSET), A_STRN, S_BODY},
    {"limit_body_path", KM(K_OFFSET), A_STRN, S_LIMIT_BODY},
    {"maximum_offset", KM(K_OFFSET), A_INTN, N_MAXIMUM},
    {"base_page", KM(K_PAGE_NUMBER), A_INT, N_BASE},
    {"page", KM(K_PAGE_NUMBER), A_INTN, N_PAGE},
    {"page_param", KM(K_PAGE_NUMBER), A_STRN, S_PARAM},
    {"page_body_path", KM(K_PAGE_NUMBER), A_STRN, S_BODY},
    {"maximum_page", KM(K_PAGE_NUMBER), A_INTN, N_MAXIMUM},
    {"total_path", RANGE, A_STRN, S_TOTAL},
    {"stop_after_empty_page", RANGE | KM(K_CURSOR), A_BOOL, B_STOP},
    {"has_more_path", RANGE | KM(K_CURSOR), A_STRN, S_HAS_MORE},
    {"cursor_path", KM(K_CURSOR), A_STR, S_PATH},
    {"cursor_param", KM(K_CURSOR), A_STRN, S_PARAM},
    {"cursor_body_path", KM(K_CURSOR), A_STRN, S_BODY},
    {"cursor_key", KM(K_HEADER_CURSOR), A_STR, S_KEY},
    {"cursor_param", KM(K_HEADER_CURSOR), A_STR, S_PARAM},
};

static char **str_slot(dltc_paginator *p, int slot)
{
    switch (slot) {
    case S_PATH:
        return &p->path;
    case S_KEY:
        return &p->key;
    case S_PARAM:
        return &p->param;
    case S_BODY:
        return &p->body_path;
    case S_LIMIT_PARAM:
        return &p->limit_param;
    case S_LIMIT_BODY:
        return &p->limit_body_path;
    case S_TOTAL:
        return &p->total_path;
    default:
        return &p->has_more_path;
    }
}

static int set_arg(dltc_paginator *p, nums *n, const char *tn, const char *key,
                   const dltc_value *v)
{
    size_t i = 0, na = sizeof(ARGS) / sizeof(ARGS[0]);
    while (i < na && !(strcmp(ARGS[i].key, key) == 0 && (ARGS[i].kinds & KM(p->kind))))
        i++;
    if (i == na)
        return dltc__error_set(DLTC_EINVALID,
                               "paginator '%s': %s got an unexpected keyword argument '%s'", tn,
                               CLASS_NAMES[p->kind], key);
    int t = ARGS[i].type, is_null = v->type == DLTC_TYPE_NULL;
    if (t == A_STR || t == A_STRN) {
        if (is_null && t == A_STRN)
            return dup_to(str_slot(p, ARGS[i].slot), NULL);
        if (v->type != DLTC_TYPE_STRING)
            return dltc__error_set(DLTC_EINVALID, "paginator '%s': '%s' must be a string%s", tn,
                                   key, t == A_STRN ? " or null" : "");
        return dup_to(str_slot(p, ARGS[i].slot), v->u.s);
    }
    if (t == A_BOOL) {
        if (!is_null && v->type != DLTC_TYPE_BOOL)
            return dltc__error_set(DLTC_EINVALID, "paginator '%s': '%s' must be true or false",
                                   tn, key);
        p->stop_after_empty_page = !is_null && v->u.i;
        return 0;
    }
    if (!(is_null && t == A_INTN) && v->type != DLTC_TYPE_INT)
        return dltc__error_set(DLTC_EINVALID, "paginator '%s': '%s' must be an integer%s", tn,
                               key, t == A_INTN ? " or null" : "");
    int64_t x = is_null ? 0 : v->u.i;
    switch (ARGS[i].slot) {
    case N_LIMIT:
        n->has_limit = 1;
        n->limit = x;
        break;
    case N_OFFSET:
        n->offset = x;
        break;
    case N_MAXIMUM:
        p->has_maximum = !is_null;
        p->maximum = x;
        break;
    case N_BASE:
        n->base_page = x;
        break;
    default:
        n->has_page = !is_null;
        n->page = x;
        break;
    }
    return 0;
}

/* param vs body path as dlt's constructors: neither → the default param; both → error. */
static int param_or_body(dltc_paginator *p, const char *tn, char **param, char **body,
                         const char *pname, const char *bname, const char *def)
{
    if (*body && !**body) { /* "" is falsy in dlt: no body placement */
        dltc__free(*body);
        *body = NULL;
    }
    if (!*param && !*body)
        return dup_to(param, def);
    if (*param && *body)
        return dltc__error_set(DLTC_EINVALID,
                               "paginator '%s': Either '%s' or '%s' must be provided, not both.",
                               tn, pname, bname);
    return 0;
}

static int compile_paths(dltc_paginator *p)
{
    int rc = 0;
    const char *what = p->kind == K_JSON_LINK ? "next_url_path" : "cursor_path";
    if (p->path && (p->kind == K_JSON_LINK || p->kind == K_CURSOR))
        rc = dltc__jsonpath_compile(&p->jpath, p->path, what);
    if (!rc && p->total_path)
        rc = dltc__jsonpath_compile(&p->jtotal, p->total_path, "total_path");
    if (!rc && p->has_more_path)
        rc = dltc__jsonpath_compile(&p->jhas_more, p->has_more_path, "has_more_path");
    return rc;
}

/* Validation and derived settings, in the order of dlt's constructors. */
static int finish(dltc_paginator *p, const char *tn, const nums *n)
{
    int rc = 0;
    if (p->kind == K_OFFSET) {
        if (!n->has_limit)
            return dltc__error_set(DLTC_EINVALID,
                                   "paginator '%s': OffsetPaginator missing 1 required "
                                   "argument: 'limit'",
                                   tn);
        if ((rc = param_or_body(p, tn, &p->param, &p->body_path, "offset_param",
                                "offset_body_path", "offset")) ||
            (rc = param_or_body(p, tn, &p->limit_param, &p->limit_body_path, "limit_param",
                                "limit_body_path", "limit")))
            return rc;
        p->initial = n->offset;
        p->step = n->limit;
        p->base_index = 0;
    } else if (p->kind == K_PAGE_NUMBER) {
        if ((rc = param_or_body(p, tn, &p->param, &p->body_path, "page_param", "page_body_path",
                                "page")))
            return rc;
        p->initial = n->has_page ? n->page : n->base_page;
        p->step = 1;
        p->base_index = n->base_page;
    } else if (p->kind == K_CURSOR) {
        if ((rc = param_or_body(p, tn, &p->param, &p->body_path, "cursor_param",
                                "cursor_body_path", "cursor")))
            return rc;
    }
    if (is_range(p) && !p->total_path && !p->has_maximum && !p->has_more_path &&
        !p->stop_after_empty_page)
        return dltc__error_set(DLTC_EINVALID,
                               "paginator '%s': One of `total_path`, `%s`, `has_more_path`, or "
                               "`stop_after_empty_page` must be provided.",
                               tn, p->kind == K_OFFSET ? "maximum_offset" : "maximum_page");
    /* empty paths are falsy in dlt: not read */
    char **opt[] = {&p->total_path, &p->has_more_path};
    for (size_t i = 0; i < 2; i++)
        if (*opt[i] && !**opt[i]) {
            dltc__free(*opt[i]);
            *opt[i] = NULL;
        }
    if ((rc = compile_paths(p))) {
        dltc__error_prefix("paginator '%s': ", tn);
        return rc;
    }
    p->current = p->initial;
    return 0;
}

/* dlt's PAGINATOR_MAP, in its order (the error lists the options). */
static const struct {
    const char *name;
    int kind;
} TYPES[] = {{"json_link", K_JSON_LINK},     {"json_response", K_JSON_LINK},
             {"header_link", K_HEADER_LINK}, {"auto", K_AUTO},
             {"single_page", K_SINGLE},      {"cursor", K_CURSOR},
             {"offset", K_OFFSET},           {"page_number", K_PAGE_NUMBER},
             {"header_cursor", K_HEADER_CURSOR}};

static int kind_of(const char *name, size_t len, int *kind)
{
    for (size_t i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++)
        if (strlen(TYPES[i].name) == len && memcmp(TYPES[i].name, name, len) == 0) {
            *kind = TYPES[i].kind;
            return 0;
        }
    return dltc__error_set(DLTC_EINVALID,
                           "Invalid paginator: %.*s. Available options: json_link, json_response, "
                           "header_link, auto, single_page, cursor, offset, page_number, "
                           "header_cursor.",
                           (int)(len > 100 ? 100 : len), name);
}

static int new_kind(dltc_paginator **out, int kind)
{
    dltc_paginator *p = alloc_kind(kind);
    if (!p)
        return DLTC_ENOMEM;
    int rc = set_defaults(p);
    if (!rc) {
        nums n = {0};
        n.has_limit = 1; /* only offset needs it, and bare names never reach here for it */
        rc = finish(p, TYPE_NAMES[kind], &n);
    }
    if (rc) {
        dltc_paginator_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static int from_name(dltc_paginator **out, const char *name, size_t len)
{
    int kind = K_AUTO, rc = kind_of(name, len, &kind);
    if (rc)
        return rc;
    if (kind == K_OFFSET)
        return dltc__error_set(DLTC_EINVALID,
                               "Paginator offset requires arguments to create an instance "
                               "(limit): use a dict config such as {\"type\":\"offset\","
                               "\"limit\":100}");
    return new_kind(out, kind);
}

static int from_object(dltc_paginator **out, const dltc_value *cfg)
{
    const dltc_value *t = dltc_object_get(cfg, "type");
    int kind = K_AUTO, rc;
    if (t) {
        if (t->type != DLTC_TYPE_STRING)
            return dltc__error_set(DLTC_EINVALID, "paginator config: 'type' must be a string");
        if ((rc = kind_of(t->u.s, t->len, &kind)))
            return rc;
    }
    const char *tn = t ? t->u.s : "auto";
    dltc_paginator *p = alloc_kind(kind);
    if (!p)
        return DLTC_ENOMEM;
    nums n = {0};
    rc = set_defaults(p);
    /* auto ignores the other keys (dlt returns None before looking at them) */
    for (size_t i = 0; !rc && kind != K_AUTO && i < cfg->len; i++)
        if (strcmp(cfg->u.obj[i].key, "type") != 0)
            rc = set_arg(p, &n, tn, cfg->u.obj[i].key, &cfg->u.obj[i].val);
    if (!rc)
        rc = finish(p, tn, &n);
    if (rc) {
        dltc_paginator_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int dltc_paginator_new(dltc_paginator **out, const char *config)
{
    const char *s = config ? config : "";
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || (s[len - 1] >= '\t' && s[len - 1] <= '\r')))
        len--;
    if (!len)
        return new_kind(out, K_AUTO);
    if (*s != '{' && *s != '"' && *s != '[')
        return from_name(out, s, len);
    dltc_doc *doc;
    int rc = dltc_doc_new(&doc);
    if (rc)
        return rc;
    dltc_value *v;
    if ((rc = dltc_doc_parse_json(doc, s, len, &v)))
        dltc__error_prefix("paginator config: ");
    else if (v->type == DLTC_TYPE_STRING)
        rc = from_name(out, v->u.s, v->len);
    else if (v->type == DLTC_TYPE_OBJECT)
        rc = from_object(out, v);
    else
        rc = dltc__error_set(DLTC_EINVALID,
                             "paginator config: expected a type name or a JSON object");
    dltc_doc_free(doc);
    return rc;
}

int dltc_paginator_custom(dltc_paginator **out, const dltc_paginator_callbacks *cb)
{
    if (!cb || cb->version != DLTC_PAGINATOR_CALLBACKS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "custom paginator: callbacks version mismatch");
    if (!cb->update_state || !cb->update_request)
        return dltc__error_set(DLTC_EINVALID,
                               "custom paginator: update_state and update_request are required");
    dltc_paginator *p = alloc_kind(K_CUSTOM);
    if (!p)
        return DLTC_ENOMEM;
    p->cb = *cb;
    *out = p;
    return 0;
}

int dltc__paginator_clone(dltc_paginator **out, const dltc_paginator *src)
{
    dltc_paginator *p = alloc_kind(src->kind);
    if (!p)
        return DLTC_ENOMEM;
    p->initial = src->initial;
    p->step = src->step;
    p->base_index = src->base_index;
    p->has_maximum = src->has_maximum;
    p->maximum = src->maximum;
    p->stop_after_empty_page = src->stop_after_empty_page;
    p->current = src->initial;
    p->cb = src->cb;
    int rc = 0;
    const char *from[] = {src->path,        src->key,           src->param,
                          src->body_path,   src->limit_param,   src->limit_body_path,
                          src->total_path,  src->has_more_path};
    char **to[] = {&p->path,        &p->key,           &p->param,      &p->body_path,
                   &p->limit_param, &p->limit_body_path, &p->total_path, &p->has_more_path};
    for (size_t i = 0; !rc && i < sizeof(to) / sizeof(to[0]); i++)
        rc = dup_to(to[i], from[i]);
    if (!rc)
        rc = compile_paths(p);
    if (rc) {
        dltc_paginator_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* ---- accessors ---- */

const char *dltc_paginator_type(const dltc_paginator *p)
{
    return TYPE_NAMES[p->kind];
}

int dltc__paginator_is_auto(const dltc_paginator *p)
{
    return p->kind == K_AUTO;
}

int dltc__paginator_has_next(const dltc_paginator *p)
{
    return p->has_next;
}

static const char *none(const char *s)
{
    return s ? s : "None";
}

/* dlt's __str__ of each class ("<Class> at <id>: settings"). */
const char *dltc_paginator_describe(dltc_paginator *p)
{
    dltc_buf *b = &p->desc;
    dltc__buf_clear(b);
    char max[32];
    if (p->has_maximum)
        snprintf(max, sizeof max, "%" PRId64, p->maximum);
    else
        snprintf(max, sizeof max, "None");
    int rc;
    if (p->kind == K_AUTO)
        rc = dltc__buf_puts(b, "auto (detected from the first response)");
    else
        rc = dltc__buf_printf(b, "%s at %" PRIxPTR, CLASS_NAMES[p->kind], (uintptr_t)p);
    switch (p->kind) {
    case K_JSON_LINK:
        rc = rc ? rc : dltc__buf_printf(b, ": next_url_path: %s", p->path);
        break;
    case K_HEADER_LINK:
        rc = rc ? rc : dltc__buf_printf(b, ": links_next_key: %s", p->key);
        break;
    case K_PAGE_NUMBER:
        rc = rc ? rc : dltc__buf_printf(b, ": current page: %" PRId64 " ", p->current);
        if (!rc && p->param)
            rc = dltc__buf_printf(b, "page_param: %s ", p->param);
        if (!rc && p->body_path)
            rc = dltc__buf_printf(b, "page_body_path: %s ", p->body_path);
        rc = rc ? rc
                : dltc__buf_printf(b, "total_path: %s maximum_value: %s has_more_path: %s",
                                   none(p->total_path), max, none(p->has_more_path));
        break;
    case K_OFFSET:
        rc = rc ? rc : dltc__buf_printf(b, ": current offset: %" PRId64 " ", p->current);
        if (!rc && p->param)
            rc = dltc__buf_printf(b, "offset_param: %s ", p->param);
        if (!rc && p->body_path)
            rc = dltc__buf_printf(b, "offset_body_path: %s ", p->body_path);
        rc = rc ? rc : dltc__buf_printf(b, "limit: %" PRId64 " ", p->step);
        if (!rc && p->limit_param)
            rc = dltc__buf_printf(b, "limit_param: %s ", p->limit_param);
        if (!rc && p->limit_body_path)
            rc = dltc__buf_printf(b, "limit_body_path: %s ", p->limit_body_path);
        rc = rc ? rc
                : dltc__buf_printf(b, "total_path: %s maximum_value: %s has_more_path: %s",
                                   none(p->total_path), max, none(p->has_more_path));
        break;
    case K_CURSOR:
        rc = rc ? rc : dltc__buf_printf(b, ": cursor_path: %s", p->path);
        if (!rc && p->param)
            rc = dltc__buf_printf(b, " cursor_param: %s", p->param);
        if (!rc && p->body_path)
            rc = dltc__buf_printf(b, " cursor_body_path: %s", p->body_path);
        break;
    case K_HEADER_CURSOR:
        rc = rc ? rc
                : dltc__buf_printf(b, ": cursor_value: %s cursor_param: %s", none(p->next),
                                   p->param);
        break;
    default:
        break;
    }
    return rc ? TYPE_NAMES[p->kind] : b->data;
}

/* ---- the state machine ---- */

static int range_update_request(dltc_paginator *p, dltc_rest_request *req)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, p->current);
    int rc = p->body_path ? dltc_rest_request_set_body(req, p->body_path, num)
                          : dltc_rest_request_set_param(req, p->param, num);
    if (rc || p->kind != K_OFFSET)
        return rc;
    snprintf(num, sizeof num, "%" PRId64, p->step);
    return p->limit_body_path ? dltc_rest_request_set_body(req, p->limit_body_path, num)
                              : dltc_rest_request_set_param(req, p->limit_param, num);
}

int dltc__paginator_init_request(dltc_paginator *p, dltc_rest_request *req)
{
    if (is_range(p)) {
        p->has_next = 1;
        p->current = p->initial;
        return range_update_request(p, req);
    }
    if (p->kind == K_CUSTOM && p->cb.init_request)
        return p->cb.init_request(req, p->cb.payload);
    return 0;
}

/* "got `<body>`" of dlt's messages, cut short: a message is one line of bounded size. */
static int body_snippet(dltc_buf *b, const dltc_value *body)
{
    return value_text(b, body, 200);
}

static int missing_value(const dltc_paginator *p, const dltc_value *body, int total)
{
    dltc_buf b = DLTC_BUF_INIT;
    if (body_snippet(&b, body)) {
        dltc__buf_free(&b);
        return dltc_error_last()->code;
    }
    int rc = total ? dltc__error_set(DLTC_EINVALID,
                                     "Total `%s` not found in the response in `%s` .Expected a "
                                     "response with a `%s` key, got `%s`.",
                                     p->kind == K_PAGE_NUMBER ? "pages" : "items",
                                     CLASS_NAMES[p->kind], p->total_path, b.data)
                   : dltc__error_set(DLTC_EINVALID,
                                     "Has more value not found in the response in `%s`.Expected a "
                                     "response with a `%s` key, got `%s`.",
                                     CLASS_NAMES[p->kind], p->has_more_path, b.data);
    dltc__buf_free(&b);
    return rc;
}

static int invalid_value(const dltc_paginator *p, const dltc_value *v, int total)
{
    dltc_buf b = DLTC_BUF_INIT;
    if (value_text(&b, v, 200)) {
        dltc__buf_free(&b);
        return dltc_error_last()->code;
    }
    int rc = total ? dltc__error_set(DLTC_EINVALID,
                                     "'%s' is not an `int` in the response in `%s`. Expected an "
                                     "integer, got `%s`",
                                     p->total_path, CLASS_NAMES[p->kind], b.data)
                   : dltc__error_set(DLTC_EINVALID,
                                     "'%s' is not a `bool` in the response in `%s`. Expected a "
                                     "boolean, got `%s`",
                                     p->has_more_path, CLASS_NAMES[p->kind], b.data);
    dltc__buf_free(&b);
    return rc;
}

/* The has_more flag: a bool or a str2bool string; missing or anything else is an error. */
static int read_has_more(const dltc_paginator *p, const dltc_value *body, int *out)
{
    if (!body)
        return not_json(p, "has_more_path", p->has_more_path);
    const dltc_value *v = dltc__jsonpath_first(p->jhas_more, body);
    if (!v || v->type == DLTC_TYPE_NULL)
        return missing_value(p, body, 0);
    if (v->type == DLTC_TYPE_BOOL) {
        *out = (int)v->u.i;
        return 0;
    }
    if (v->type == DLTC_TYPE_STRING) {
        static const char *const yes[] = {"yes", "true", "t", "y", "1"};
        static const char *const no[] = {"no", "false", "f", "n", "0"};
        for (size_t i = 0; i < 5; i++) {
            if (strcasecmp(v->u.s, yes[i]) == 0) {
                *out = 1;
                return 0;
            }
            if (strcasecmp(v->u.s, no[i]) == 0) {
                *out = 0;
                return 0;
            }
        }
    }
    return invalid_value(p, v, 0);
}

static int items_empty(const dltc_value *items)
{
    return !items || items->type == DLTC_TYPE_NULL || dltc_value_size(items) == 0;
}

static int range_update_state(dltc_paginator *p, const dltc_value *body, const dltc_value *items)
{
    if (p->stop_after_empty_page && items_empty(items)) {
        p->has_next = 0;
        return 0;
    }
    int64_t total = 0;
    if (p->jtotal) {
        if (!body)
            return not_json(p, "total_path", p->total_path);
        const dltc_value *t = dltc__jsonpath_first(p->jtotal, body);
        if (!t || t->type == DLTC_TYPE_NULL)
            return missing_value(p, body, 1);
        if (py_int(t, &total))
            return invalid_value(p, t, 1);
    }
    if (__builtin_add_overflow(p->current, p->step, &p->current))
        return dltc__error_set(DLTC_ELIMIT, "%s: the %s overflows 64 bits", CLASS_NAMES[p->kind],
                               p->kind == K_OFFSET ? "offset" : "page number");
    int64_t end;
    if (p->jtotal && (__builtin_add_overflow(total, p->base_index, &end) || p->current >= end))
        p->has_next = 0;
    if (p->has_maximum && p->current >= p->maximum)
        p->has_next = 0;
    if (p->jhas_more)
        return read_has_more(p, body, &p->has_next);
    return 0;
}

/* The cursor as requests would send it (str(value)) and as JSON for body placement. */
static int keep_cursor(dltc_paginator *p, const dltc_value *v)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = value_text(&b, v, 0);
    if (!rc && !(p->next = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    size_t n;
    if (!rc)
        rc = dltc_value_to_json(&p->next_json, &n, v);
    dltc__buf_free(&b);
    return rc;
}

static int cursor_update_state(dltc_paginator *p, const dltc_value *body, const dltc_value *items)
{
    if (!body)
        return not_json(p, "cursor_path", p->path);
    const dltc_value *v = dltc__jsonpath_first(p->jpath, body);
    int rc = 0;
    if (v && truthy(v))
        rc = keep_cursor(p, v);
    if (rc)
        return rc;
    p->has_next = p->next != NULL;
    if (p->stop_after_empty_page && items_empty(items))
        p->has_next = 0;
    /* dlt 1.26: has_more overrides both stops above */
    if (p->jhas_more)
        return read_has_more(p, body, &p->has_next);
    return 0;
}

static int empty_url(const dltc_paginator *p)
{
    return dltc__error_set(DLTC_EINVALID, "%s: the next page URL is empty", CLASS_NAMES[p->kind]);
}

static int json_link_update_state(dltc_paginator *p, const dltc_value *body)
{
    if (!body)
        return not_json(p, "next_url_path", p->path);
    const dltc_value *v = dltc__jsonpath_first(p->jpath, body);
    if (!v || v->type == DLTC_TYPE_NULL) {
        p->has_next = 0;
        return 0;
    }
    if (v->type != DLTC_TYPE_STRING) {
        dltc_buf b = DLTC_BUF_INIT;
        int rc = value_text(&b, v, 200);
        if (!rc)
            rc = dltc__error_set(DLTC_EINVALID, "%s: the value at '%s' is not a URL: %s",
                                 CLASS_NAMES[p->kind], p->path, b.data);
        dltc__buf_free(&b);
        return rc;
    }
    if (!v->len)
        return empty_url(p);
    if (!(p->next = dltc__strdup(v->u.s)))
        return dltc__error_oom();
    return 0;
}

int dltc__paginator_update_state(dltc_paginator *p, const dltc_http_response *resp,
                                 const dltc_value *body, const dltc_value *items)
{
    int rc = 0;
    switch (p->kind) {
    case K_AUTO:
        return dltc__error_set(DLTC_EINVALID, "paginator 'auto' was not detected yet");
    case K_SINGLE:
        p->has_next = 0;
        return 0;
    case K_OFFSET:
    case K_PAGE_NUMBER:
        return range_update_state(p, body, items);
    case K_CUSTOM: {
        int has_next = p->has_next;
        rc = p->cb.update_state(resp, items, &has_next, p->cb.payload);
        p->has_next = has_next != 0;
        return rc;
    }
    default:
        break;
    }
    clear_next(p);
    p->has_next = 1;
    switch (p->kind) {
    case K_JSON_LINK:
        rc = json_link_update_state(p, body);
        break;
    case K_HEADER_LINK:
        rc = link_find(&p->next, dltc_http_response_header(resp, "Link"), p->key);
        if (!rc && p->next && !*p->next)
            rc = empty_url(p);
        p->has_next = p->next != NULL;
        break;
    case K_CURSOR:
        rc = cursor_update_state(p, body, items);
        break;
    default: { /* K_HEADER_CURSOR: an empty header still counts (dlt tests `is not None`) */
        const char *h = dltc_http_response_header(resp, p->key);
        if (h && !(p->next = dltc__strdup(h)))
            rc = dltc__error_oom();
        p->has_next = p->next != NULL;
        break;
    }
    }
    if (rc)
        p->has_next = 0;
    return rc;
}

int dltc__paginator_update_request(dltc_paginator *p, dltc_rest_request *req)
{
    int rc = 0;
    switch (p->kind) {
    case K_OFFSET:
    case K_PAGE_NUMBER:
        return range_update_request(p, req);
    case K_JSON_LINK:
    case K_HEADER_LINK:
        /* the next URL carries its own query: the previous params would be appended */
        if (p->next && !(rc = dltc_rest_request_set_url(req, p->next)))
            dltc_rest_request_clear_params(req);
        return rc;
    case K_CURSOR:
        if (p->body_path)
            return dltc_rest_request_set_body(req, p->body_path,
                                              p->next_json ? p->next_json : "null");
        return dltc_rest_request_set_param(req, p->param, p->next);
    case K_HEADER_CURSOR:
        return dltc_rest_request_set_param(req, p->param, p->next);
    case K_CUSTOM:
        return p->cb.update_request(req, p->cb.payload);
    default:
        return 0;
    }
}

/* ---- auto-detection (§2.2) ---- */

typedef struct {
    const dltc_member *keys[64]; /* the path of the current search */
    size_t depth;
    const dltc_member *found[64];
    size_t nfound;
    const dltc_value *value;
} search;

static int starts_ci(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && strncasecmp(s, prefix, pl) == 0;
}

static int is_scalar(const dltc_value *v)
{
    return v->type == DLTC_TYPE_STRING || v->type == DLTC_TYPE_INT ||
           v->type == DLTC_TYPE_BIGINT || v->type == DLTC_TYPE_DOUBLE ||
           v->type == DLTC_TYPE_BOOL;
}

static void found(search *s, const dltc_member *last, const dltc_value *v)
{
    memcpy(s->found, s->keys, s->depth * sizeof(s->keys[0]));
    s->nfound = s->depth;
    if (last)
        s->found[s->nfound++] = last;
    s->value = v;
}

/* dlt's find_next_page_path: depth-first, the first key starting with "next" holding a
 * scalar, or an object with a scalar "href*"/"url*" member. */
static int find_next(search *s, const dltc_value *obj)
{
    for (uint32_t i = 0; i < obj->len; i++) {
        const dltc_member *m = &obj->u.obj[i];
        const dltc_value *v = &m->val;
        if (s->depth >= 63)
            return 0;
        s->keys[s->depth++] = m;
        if (starts_ci(m->key, m->klen, "next")) {
            if (v->type == DLTC_TYPE_OBJECT) {
                for (uint32_t j = 0; j < v->len; j++) {
                    const dltc_member *sub = &v->u.obj[j];
                    if ((starts_ci(sub->key, sub->klen, "href") ||
                         starts_ci(sub->key, sub->klen, "url")) &&
                        is_scalar(&sub->val)) {
                        found(s, sub, &sub->val);
                        return 1;
                    }
                }
            } else if (is_scalar(v)) {
                found(s, NULL, v);
                return 1;
            }
        }
        if (v->type == DLTC_TYPE_OBJECT && find_next(s, v))
            return 1;
        s->depth--;
    }
    return 0;
}

/* dlt's find_total_pages_path: the first key equal (case-insensitive) to total_pages, pages
 * or totalpages holding a scalar. */
static int find_total_pages(search *s, const dltc_value *obj)
{
    for (uint32_t i = 0; i < obj->len; i++) {
        const dltc_member *m = &obj->u.obj[i];
        if (s->depth >= 63)
            return 0;
        s->keys[s->depth++] = m;
        if ((strcasecmp(m->key, "total_pages") == 0 || strcasecmp(m->key, "pages") == 0 ||
             strcasecmp(m->key, "totalpages") == 0) &&
            is_scalar(&m->val)) {
            found(s, NULL, &m->val);
            return 1;
        }
        if (m->val.type == DLTC_TYPE_OBJECT && find_total_pages(s, &m->val))
            return 1;
        s->depth--;
    }
    return 0;
}

/* Keys joined with "." (dlt joins them raw; we quote keys that would not compile). */
static int join_path(dltc_buf *b, const dltc_member *const *keys, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = dltc__jsonpath_append_key(b, keys[i]->key, keys[i]->klen);
    return rc;
}

/* A paginator of `kind` with its path setting (next_url_path, total_path or cursor_path). */
static int detected(dltc_paginator **out, int kind, const search *s)
{
    dltc_buf path = DLTC_BUF_INIT;
    dltc_paginator *p = alloc_kind(kind);
    int rc = p ? set_defaults(p) : DLTC_ENOMEM;
    if (!rc)
        rc = join_path(&path, s->found, s->nfound);
    if (!rc)
        rc = dup_to(kind == K_PAGE_NUMBER ? &p->total_path : &p->path, path.data);
    if (!rc) {
        nums n = {0};
        rc = finish(p, TYPE_NAMES[kind], &n);
    }
    dltc__buf_free(&path);
    if (rc) {
        dltc_paginator_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int dltc__paginator_detect(dltc_paginator **out, double *score, const dltc_http_response *resp,
                           const dltc_value *body)
{
    *out = NULL;
    *score = 0.0;
    char *link = NULL;
    int rc = resp ? link_find(&link, dltc_http_response_header(resp, "Link"), "next") : 0;
    if (rc)
        return rc;
    if (link) {
        dltc__free(link);
        *score = 1.0;
        return new_kind(out, K_HEADER_LINK);
    }
    if (body && body->type == DLTC_TYPE_OBJECT) {
        search next = {0}, pages = {0};
        int has_next = find_next(&next, body);
        const dltc_value *v = next.value;
        /* str.startswith("http") or "/": case-sensitive */
        if (has_next && v->type == DLTC_TYPE_STRING &&
            ((v->len >= 4 && memcmp(v->u.s, "http", 4) == 0) || (v->len && v->u.s[0] == '/'))) {
            *score = 1.0;
            return detected(out, K_JSON_LINK, &next);
        }
        int64_t n;
        if (find_total_pages(&pages, body) && py_int(pages.value, &n) == 0) {
            *score = 0.5;
            return detected(out, K_PAGE_NUMBER, &pages);
        }
        if (has_next) {
            *score = 0.5;
            return detected(out, K_CURSOR, &next);
        }
    }
    return new_kind(out, K_SINGLE);
}
