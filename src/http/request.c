/*
 * The request a paginator or an auth changes (dltc_rest_request): method, URL, query
 * parameters in order, body; and the URL joining and resolving the client and the link
 * paginators share. Kept apart from the client (rest.c) so that paginators and auth depend
 * on the request, not on the client that uses them.
 */
#include "http/rest_int.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* ---- URLs ---- */

int dltc__rest_url_is_absolute(const char *u)
{
    return strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0;
}

/* RESTClient._join_url: an absolute path is used as is; otherwise base.rstrip("/") + "/" +
 * path.lstrip("/"); an empty path gives the base, an empty base the path. */
int dltc__rest_url_join(dltc_buf *out, const char *base, const char *path)
{
    if (!path)
        path = "";
    if (!base)
        base = "";
    if (dltc__rest_url_is_absolute(path) || !*base)
        return dltc__buf_puts(out, path);
    if (!*path)
        return dltc__buf_puts(out, base);
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    while (*path == '/')
        path++;
    int rc = dltc__buf_put(out, base, bl);
    if (!rc)
        rc = dltc__buf_putc(out, '/');
    return rc ? rc : dltc__buf_puts(out, path);
}

/* RFC 3986 §5.2.4: remove "." and ".." segments from `path` (n bytes) into `out`. */
static int remove_dots(dltc_buf *out, const char *path, size_t n)
{
    size_t start = out->len;
    size_t i = 0;
    int rc = 0;
    while (i < n && !rc) {
        size_t e = i + 1;
        while (e < n && path[e] != '/')
            e++;
        /* segment is path[i..e) starting with '/' (or not, for the first relative one) */
        const char *seg = path + i + (path[i] == '/');
        size_t sl = (size_t)(path + e - seg);
        if (sl == 1 && seg[0] == '.') {
            if (e == n)
                rc = dltc__buf_putc(out, '/');
        } else if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out->len > start && out->data[out->len - 1] != '/')
                out->len--;
            if (out->len > start)
                out->len--;
            if (e == n)
                rc = dltc__buf_putc(out, '/');
        } else {
            rc = dltc__buf_put(out, path + i, e - i);
        }
        i = e;
    }
    if (!rc && out->data)
        out->data[out->len] = '\0';
    return rc;
}

/* Resolve `ref` against the absolute URL `base` (RFC 3986 §5.2, as urljoin does). */
static int resolve_url(dltc_buf *out, const char *base, const char *ref)
{
    if (strstr(ref, "://") && strcspn(ref, ":") < strcspn(ref, "/?#"))
        return dltc__buf_puts(out, ref);
    const char *scheme_end = strstr(base, "://");
    if (!scheme_end)
        return dltc__error_set(DLTC_EINVALID, "cannot resolve a relative URL against '%s'", base);
    const char *auth = scheme_end + 3;
    const char *path = auth + strcspn(auth, "/?#");
    int rc;
    if (ref[0] == '/' && ref[1] == '/') { /* network-path reference: keep the scheme */
        rc = dltc__buf_put(out, base, (size_t)(auth - 2 - base));
        return rc ? rc : dltc__buf_puts(out, ref);
    }
    rc = dltc__buf_put(out, base, (size_t)(path - base));
    size_t plen = strcspn(path, "?#");
    if (rc)
        return rc;
    if (!*ref) /* same document */
        return dltc__buf_put(out, path, strcspn(path, "#"));
    if (ref[0] == '?' || ref[0] == '#') {
        rc = dltc__buf_put(out, path, ref[0] == '?' ? plen : strcspn(path, "#"));
        return rc ? rc : dltc__buf_puts(out, ref);
    }
    size_t rpath = strcspn(ref, "?#");
    dltc_buf merged = DLTC_BUF_INIT;
    if (ref[0] == '/') {
        rc = dltc__buf_put(&merged, ref, rpath);
    } else {
        /* base path up to its last '/', then the reference */
        size_t dir = plen;
        while (dir && path[dir - 1] != '/')
            dir--;
        rc = dir ? dltc__buf_put(&merged, path, dir) : dltc__buf_putc(&merged, '/');
        if (!rc)
            rc = dltc__buf_put(&merged, ref, rpath);
    }
    if (!rc)
        rc = remove_dots(out, merged.data ? merged.data : "", merged.len);
    if (!rc)
        rc = dltc__buf_puts(out, ref + rpath);
    dltc__buf_free(&merged);
    return rc;
}

/* ---- the request a paginator changes ---- */

int dltc__rest_request_init(dltc_rest_request *req, const char *method, const char *url)
{
    memset(req, 0, sizeof(*req));
    req->method = dltc__strdup(method && *method ? method : "GET");
    req->url = dltc__strdup(url);
    if (!req->method || !req->url)
        return dltc__error_oom();
    for (char *m = req->method; *m; m++)
        if (*m >= 'a' && *m <= 'z')
            *m = (char)(*m - 'a' + 'A');
    return 0;
}

void dltc__rest_request_free(dltc_rest_request *req)
{
    dltc__free(req->method);
    dltc__free(req->url);
    for (size_t i = 0; i < req->n; i++) {
        dltc__free(req->names[i]);
        dltc__free(req->values[i]);
    }
    dltc__free(req->names);
    dltc__free(req->values);
    dltc_doc_free(req->doc);
    dltc__free(req->data);
    memset(req, 0, sizeof(*req));
}

const char *dltc_rest_request_url(const dltc_rest_request *req)
{
    return req->url;
}

const char *dltc_rest_request_param(const dltc_rest_request *req, const char *name)
{
    for (size_t i = 0; i < req->n; i++)
        if (strcmp(req->names[i], name) == 0)
            return req->values[i];
    return NULL;
}

int dltc_rest_request_set_url(dltc_rest_request *req, const char *url)
{
    if (!url || !*url)
        return dltc__error_set(DLTC_EINVALID, "paginator: empty next URL");
    dltc_buf b = DLTC_BUF_INIT;
    int rc = resolve_url(&b, req->url, url);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    dltc__free(req->url);
    req->url = dltc__buf_detach(&b);
    return req->url ? 0 : dltc__error_oom();
}

int dltc_rest_request_set_param(dltc_rest_request *req, const char *name, const char *value)
{
    if (!name || !*name)
        return dltc__error_set(DLTC_EINVALID, "request parameter without a name");
    for (size_t i = 0; i < req->n; i++) {
        if (strcmp(req->names[i], name) != 0)
            continue;
        if (!value) { /* remove, keeping the order */
            dltc__free(req->names[i]);
            dltc__free(req->values[i]);
            memmove(req->names + i, req->names + i + 1, (req->n - i - 1) * sizeof(char *));
            memmove(req->values + i, req->values + i + 1, (req->n - i - 1) * sizeof(char *));
            req->n--;
            return 0;
        }
        char *v = dltc__strdup(value);
        if (!v)
            return dltc__error_oom();
        dltc__free(req->values[i]);
        req->values[i] = v;
        return 0;
    }
    if (!value)
        return 0;
    if (req->n == req->cap) {
        size_t cap = req->cap ? req->cap * 2 : 8;
        char **nn = dltc__realloc(req->names, cap * sizeof(char *));
        if (!nn)
            return dltc__error_oom();
        req->names = nn;
        char **nv = dltc__realloc(req->values, cap * sizeof(char *));
        if (!nv)
            return dltc__error_oom();
        req->values = nv;
        req->cap = cap;
    }
    char *n = dltc__strdup(name), *v = dltc__strdup(value);
    if (!n || !v) {
        dltc__free(n);
        dltc__free(v);
        return dltc__error_oom();
    }
    req->names[req->n] = n;
    req->values[req->n] = v;
    req->n++;
    return 0;
}

void dltc_rest_request_clear_params(dltc_rest_request *req)
{
    for (size_t i = 0; i < req->n; i++) {
        dltc__free(req->names[i]);
        dltc__free(req->values[i]);
    }
    req->n = 0;
}

int dltc__rest_request_set_json(dltc_rest_request *req, const char *json)
{
    dltc_doc_free(req->doc);
    req->doc = NULL;
    req->json = NULL;
    if (!json)
        return 0;
    int rc = dltc_doc_new(&req->doc);
    if (!rc)
        rc = dltc_doc_parse_json(req->doc, json, strlen(json), &req->json);
    if (rc)
        dltc__error_prefix("request JSON body: ");
    return rc;
}

int dltc_rest_request_set_body(dltc_rest_request *req, const char *path, const char *json)
{
    if (!path || !*path || !json)
        return dltc__error_set(DLTC_EINVALID, "request body: a path and a JSON value are needed");
    int rc = 0;
    if (!req->doc && (rc = dltc_doc_new(&req->doc)))
        return rc;
    if (!req->json && !(req->json = dltc_value_object(req->doc)))
        return dltc_error_last()->code;
    if (req->json->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "request body: not a JSON object, cannot set '%s'",
                               path);
    dltc_value *val;
    if ((rc = dltc_doc_parse_json(req->doc, json, strlen(json), &val))) {
        dltc__error_prefix("request body path '%s': ", path);
        return rc;
    }
    /* walk/create the objects on the way; the builder replaces repeated keys in place */
    dltc_value *obj = req->json;
    const char *p = path;
    for (;;) {
        size_t k = strcspn(p, ".");
        if (!k)
            return dltc__error_set(DLTC_EINVALID, "request body path '%s': empty key", path);
        char key[256];
        if (k >= sizeof key)
            return dltc__error_set(DLTC_ELIMIT, "request body path '%s': key too long", path);
        memcpy(key, p, k);
        key[k] = '\0';
        if (!p[k]) /* dltc_object_set copies the key (ours is on the stack) */
            return dltc_object_set(req->doc, obj, key, val);
        dltc_value *next = NULL;
        for (uint32_t i = 0; i < obj->len; i++)
            if (obj->u.obj[i].klen == k && memcmp(obj->u.obj[i].key, key, k) == 0)
                next = &obj->u.obj[i].val;
        if (!next || next->type != DLTC_TYPE_OBJECT) {
            dltc_value *empty = dltc_value_object(req->doc);
            if (!empty)
                return dltc_error_last()->code;
            if ((rc = dltc_object_set(req->doc, obj, key, empty)))
                return rc;
            for (uint32_t i = 0; i < obj->len; i++)
                if (obj->u.obj[i].klen == k && memcmp(obj->u.obj[i].key, key, k) == 0)
                    next = &obj->u.obj[i].val;
        }
        obj = next;
        p += k + 1;
    }
}

