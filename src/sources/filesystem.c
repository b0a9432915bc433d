/* dlt's `filesystem` resource for local files: the bucket is globbed as dlt does it (Python's
 * glob(recursive=True) under the resolved bucket folder, then fsspec's info of each match),
 * and every regular file becomes a FileItem: file_url as pathlib's Path.resolve().as_uri(),
 * relative_path to the bucket, mime type and encoding as dlt's guess_mime_type, mtime in µs,
 * size, and optionally the content. The listing is sorted by relative_path so runs are
 * deterministic (dlt keeps the order of the directory listing).
 *
 * One call of the resource function lists the bucket and yields all its pages (each page in
 * a doc of its own, cleared after the yield), then returns DLTC_ITEROVER: nothing of the
 * listing outlives the call, so the resource needs no memory beyond its lent options. */
#include "dltc/filesystem_source.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "sources/readers.h"
#include "common/hex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deepest folder nesting a "**" descends into (a bound on recursion and symlink loops). */
#define MAX_DEPTH 64
/* Most files one listing collects. */
#define MAX_FILES ((size_t)10 << 20)

/* ---- file:// URLs ---- */

int dltc__filesystem_url_path(const char *url, char **out)
{
    *out = NULL;
    if (strncmp(url, "file://", 7) != 0)
        return dltc__error_set(DLTC_EINVALID, "%s: not a file:// URL", url);
    const char *p = url + 7;
    if (strncmp(p, "localhost/", 10) == 0)
        p += 9;
    if (*p != '/')
        return dltc__error_set(DLTC_EINVALID, "%s: only local file:// URLs are supported (no "
                               "host)", url);
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    for (; *p && !rc; p++) {
        int hi, lo;
        if (*p == '%' && (hi = dltc__hex_digit(p[1])) >= 0 && (lo = dltc__hex_digit(p[2])) >= 0) {
            if (!hi && !lo)
                rc = dltc__error_set(DLTC_EINVALID, "%s: %%00 in a file URL", url);
            else
                rc = dltc__buf_putc(&b, (char)(hi * 16 + lo));
            p += 2;
        } else {
            rc = dltc__buf_putc(&b, *p);
        }
    }
    if (!rc && !(*out = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    return rc;
}

/* pathlib's as_uri: file:// + the path with every byte but A-Z a-z 0-9 _ . - ~ / as %XX. */
static int put_file_url(dltc_buf *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = dltc__buf_puts(b, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p && !rc; p++) {
        int safe = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= '0' && *p <= '9') || strchr("_.-~/", *p);
        if (safe)
            rc = dltc__buf_putc(b, (char)*p);
        else if (!(rc = dltc__buf_putc(b, '%')) && !(rc = dltc__buf_putc(b, hex[*p >> 4])))
            rc = dltc__buf_putc(b, hex[*p & 15]);
    }
    return rc;
}

/* The bucket as a resolved absolute path (dlt: make_file_url, i.e. expanduser + resolve). */
static int bucket_path(const char *bucket_url, char **out)
{
    *out = NULL;
    char *local = NULL;
    int rc = 0;
    if (strncmp(bucket_url, "file://", 7) == 0) {
        rc = dltc__filesystem_url_path(bucket_url, &local);
    } else if (strstr(bucket_url, "://")) {
        return dltc__error_set(DLTC_EINVALID, "bucket_url %s: only local paths and file:// URLs "
                               "are supported (no remote buckets)", bucket_url);
    } else if (bucket_url[0] == '~' && (bucket_url[1] == '/' || !bucket_url[1])) {
        const char *home = getenv("HOME");
        dltc_buf b = DLTC_BUF_INIT;
        rc = dltc__buf_printf(&b, "%s%s", home ? home : "", bucket_url + 1);
        if (!rc && !(local = dltc__buf_detach(&b)))
            rc = dltc__error_oom();
        dltc__buf_free(&b);
    } else if (!(local = dltc__strdup(bucket_url))) {
        rc = dltc__error_oom();
    }
    if (rc)
        return rc;
    char *real = realpath(local, NULL);
    if (!real) {
        int e = errno;
        rc = dltc__error_set(e == ENOENT || e == ENOTDIR ? DLTC_ENOTFOUND : DLTC_EIO,
                             "bucket_url %s: %s", bucket_url, strerror(e));
    } else if (!(*out = dltc__strdup(real))) {
        rc = dltc__error_oom();
    }
    free(real);
    dltc__free(local);
    return rc;
}

/* ---- mime types: Python's mimetypes tables (without the system's mime.types) ---- */

static const char *const mime_table[][2] = {
    {".aac", "audio/aac"}, {".avi", "video/x-msvideo"}, {".bin", "application/octet-stream"},
    {".bmp", "image/bmp"}, {".css", "text/css"}, {".csv", "text/csv"},
    {".doc", "application/msword"},
    {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {".gif", "image/gif"}, {".htm", "text/html"}, {".html", "text/html"},
    {".ico", "image/vnd.microsoft.icon"}, {".jpeg", "image/jpeg"}, {".jpg", "image/jpeg"},
    {".js", "text/javascript"}, {".json", "application/json"}, {".md", "text/markdown"},
    {".mjs", "text/javascript"}, {".mp3", "audio/mpeg"}, {".mp4", "video/mp4"},
    {".pdf", "application/pdf"}, {".png", "image/png"}, {".ppt", "application/vnd.ms-powerpoint"},
    {".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {".py", "text/x-python"}, {".rtf", "application/rtf"}, {".sh", "application/x-sh"},
    {".sql", "application/sql"}, {".svg", "image/svg+xml"}, {".tar", "application/x-tar"},
    {".tif", "image/tiff"}, {".tiff", "image/tiff"}, {".tsv", "text/tab-separated-values"},
    {".txt", "text/plain"}, {".wasm", "application/wasm"}, {".wav", "audio/x-wav"},
    {".webp", "image/webp"}, {".xls", "application/vnd.ms-excel"},
    {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {".xml", "text/xml"}, {".yaml", "application/yaml"}, {".yml", "application/yaml"},
    {".zip", "application/zip"},
};
static const char *const suffix_table[][2] = {
    {".svgz", ".svg.gz"}, {".tgz", ".tar.gz"}, {".taz", ".tar.gz"},
    {".tz", ".tar.gz"},   {".tbz2", ".tar.bz2"}, {".txz", ".tar.xz"},
};
static const char *const encoding_table[][2] = {
    {".gz", "gzip"}, {".Z", "compress"}, {".bz2", "bzip2"}, {".xz", "xz"}, {".br", "br"},
};

/* posixpath.splitext of the last component: the extension (with its dot) or "". */
static const char *extension(const char *name, size_t len, size_t *ext_len)
{
    size_t start = len;
    while (start > 0 && name[start - 1] != '/')
        start--;
    size_t dot = len;
    while (dot > start && name[dot - 1] != '.')
        dot--;
    *ext_len = 0;
    if (dot == start)
        return "";
    dot--; /* at the '.' */
    size_t lead = start;
    while (lead < dot && name[lead] == '.')
        lead++;
    if (lead == dot) /* only dots before it: ".bashrc" */
        return "";
    *ext_len = len - dot;
    return name + dot;
}

static int ext_is(const char *ext, size_t n, const char *what, int fold)
{
    if (strlen(what) != n)
        return 0;
    return fold ? strncasecmp(ext, what, n) == 0 : strncmp(ext, what, n) == 0;
}

/* dlt's guess_mime_type(relative_path): mimetypes.guess_type(basename, strict=False), else
 * "application/<extension>" or application/octet-stream. *mime is a static string or `buf`. */
static void guess_mime(const char *rel, const char **mime, const char **encoding, char *buf,
                       size_t bufsize)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    char name[PATH_MAX + 16];
    snprintf(name, sizeof(name), "%s", base);
    size_t len = strlen(name), el;
    const char *ext = extension(name, len, &el);
    for (size_t i = 0; el && i < sizeof(suffix_table) / sizeof(suffix_table[0]); i++)
        if (ext_is(ext, el, suffix_table[i][0], 0)) {
            snprintf(name + (len - el), sizeof(name) - (len - el), "%s", suffix_table[i][1]);
            len = strlen(name);
            ext = extension(name, len, &el);
            break;
        }
    *encoding = NULL;
    for (size_t i = 0; el && i < sizeof(encoding_table) / sizeof(encoding_table[0]); i++)
        if (ext_is(ext, el, encoding_table[i][0], 0)) {
            *encoding = encoding_table[i][1];
            len -= el;
            name[len] = '\0';
            ext = extension(name, len, &el);
            break;
        }
    *mime = NULL;
    for (size_t i = 0; el && i < sizeof(mime_table) / sizeof(mime_table[0]); i++)
        if (ext_is(ext, el, mime_table[i][0], 1))
            *mime = mime_table[i][1];
    if (*mime)
        return;
    /* the fallback looks at the whole relative path again (its last extension) */
    const char *x = extension(rel, strlen(rel), &el);
    if (el > 1)
        snprintf(buf, bufsize, "application/%.*s", (int)(el - 1), x + 1);
    else
        snprintf(buf, bufsize, "application/octet-stream");
    *mime = buf;
}

/* ---- glob ---- */

typedef struct {
    char **rel; /* relative paths of the matches ("" = the bucket itself) */
    size_t n, cap;
} matches;

typedef struct {
    dev_t dev;
    ino_t ino;
} dir_id;

static int add_match(matches *m, const char *rel)
{
    if (m->n == MAX_FILES)
        return dltc__error_set(DLTC_ELIMIT, "filesystem: more than %zu files match", MAX_FILES);
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        char **n = dltc__realloc(m->rel, cap * sizeof(*n));
        if (!n)
            return dltc__error_oom();
        m->rel = n;
        m->cap = cap;
    }
    return (m->rel[m->n] = dltc__strdup(rel)) ? (m->n++, 0) : dltc__error_oom();
}

static void matches_free(matches *m)
{
    for (size_t i = 0; i < m->n; i++)
        dltc__free(m->rel[i]);
    dltc__free(m->rel);
}

static int join(dltc_buf *b, const char *a, const char *name)
{
    dltc__buf_clear(b);
    return *a ? dltc__buf_printf(b, "%s/%s", a, name) : dltc__buf_puts(b, name);
}

static int is_dir(const char *path, struct stat *st)
{
    return stat(path, st) == 0 && S_ISDIR(st->st_mode);
}

typedef struct {
    const char *root;
    char **comps;
    size_t ncomps;
    matches *out;
    dir_id stack[MAX_DEPTH]; /* the folders being descended by "**" (symlink loops) */
    size_t depth;
} globber;

static int glob_at(globber *g, const char *rel, size_t i);

/* The folder `rel` (relative to the root) as an absolute path. */
static int abs_of(dltc_buf *b, const globber *g, const char *rel)
{
    dltc__buf_clear(b);
    return *rel ? dltc__buf_printf(b, "%s/%s", g->root, rel) : dltc__buf_puts(b, g->root);
}

/* Entry names of the folder, "." and ".." left out; hidden names only when wanted. */
static int list_dir(const char *abs, int hidden, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(abs);
    if (!d)
        return 0; /* not a folder or not readable: no matches, as Python's glob */
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (e->d_name[0] == '.' && !hidden)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            char **x = dltc__realloc(*names, cap * sizeof(*x));
            if (!x) {
                rc = dltc__error_oom();
                break;
            }
            *names = x;
        }
        if (!((*names)[*n] = dltc__strdup(e->d_name)))
            rc = dltc__error_oom();
        else
            (*n)++;
    }
    closedir(d);
    return rc;
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dltc__free(names[i]);
    dltc__free(names);
}

/* "**": zero or more folders (not hidden ones), symlinked folders followed once per descent. */
static int glob_recursive(globber *g, const char *rel, size_t i)
{
    int rc = glob_at(g, rel, i + 1);
    if (rc || g->depth >= MAX_DEPTH)
        return rc;
    dltc_buf abs = DLTC_BUF_INIT, child = DLTC_BUF_INIT, cabs = DLTC_BUF_INIT;
    char **names = NULL;
    size_t n = 0;
    struct stat st;
    rc = abs_of(&abs, g, rel);
    if (!rc && is_dir(abs.data, &st)) {
        g->stack[g->depth++] = (dir_id){st.st_dev, st.st_ino};
        rc = list_dir(abs.data, 0, &names, &n);
        for (size_t k = 0; !rc && k < n; k++) {
            if ((rc = join(&child, rel, names[k])) || (rc = abs_of(&cabs, g, child.data)))
                break;
            if (is_dir(cabs.data, &st)) {
                int loop = 0;
                for (size_t d = 0; d < g->depth; d++)
                    loop |= g->stack[d].dev == st.st_dev && g->stack[d].ino == st.st_ino;
                if (!loop)
                    rc = glob_recursive(g, child.data, i);
            } else if (i + 1 == g->ncomps) {
                rc = add_match(g->out, child.data);
            }
        }
        g->depth--;
    }
    names_free(names, n);
    dltc__buf_free(&abs);
    dltc__buf_free(&child);
    dltc__buf_free(&cabs);
    return rc;
}

/* Match components i.. of the pattern below the folder `rel`. */
static int glob_at(globber *g, const char *rel, size_t i)
{
    if (i == g->ncomps)
        return add_match(g->out, rel);
    const char *comp = g->comps[i];
    if (strcmp(comp, "**") == 0)
        return glob_recursive(g, rel, i);
    dltc_buf abs = DLTC_BUF_INIT, child = DLTC_BUF_INIT, cabs = DLTC_BUF_INIT;
    struct stat st;
    int rc = 0;
    if (!strpbrk(comp, "*?[")) {
        /* a literal name: it exists or not */
        rc = join(&child, rel, comp);
        if (!rc)
            rc = abs_of(&cabs, g, child.data);
        if (!rc && lstat(cabs.data, &st) == 0)
            rc = i + 1 == g->ncomps ? add_match(g->out, child.data)
                                    : is_dir(cabs.data, &st) ? glob_at(g, child.data, i + 1) : 0;
    } else {
        char **names = NULL;
        size_t n = 0;
        rc = abs_of(&abs, g, rel);
        if (!rc)
            rc = list_dir(abs.data, comp[0] == '.', &names, &n);
        for (size_t k = 0; !rc && k < n; k++) {
            if (fnmatch(comp, names[k], FNM_NOESCAPE) != 0)
                continue;
            if ((rc = join(&child, rel, names[k])))
                break;
            if (i + 1 == g->ncomps)
                rc = add_match(g->out, child.data);
            else if (!(rc = abs_of(&cabs, g, child.data)) && is_dir(cabs.data, &st))
                rc = glob_at(g, child.data, i + 1);
        }
        names_free(names, n);
    }
    dltc__buf_free(&abs);
    dltc__buf_free(&child);
    dltc__buf_free(&cabs);
    return rc;
}

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every match of `file_glob` below `root`, sorted, without duplicates. */
static int glob_files(const char *root, const char *file_glob, matches *out)
{
    globber g = {root, NULL, 0, out, {{0, 0}}, 0};
    char *pat = dltc__strdup(file_glob);
    if (!pat)
        return dltc__error_oom();
    size_t cap = 1;
    for (const char *p = pat; *p; p++)
        cap += *p == '/';
    int rc = (g.comps = dltc__calloc(cap, sizeof(char *))) ? 0 : dltc__error_oom();
    /* pathlib's joinpath drops empty and "." components */
    for (char *p = pat, *next; !rc && p; p = next) {
        next = strchr(p, '/');
        if (next)
            *next++ = '\0';
        if (*p && strcmp(p, "."))
            g.comps[g.ncomps++] = p;
    }
    if (!rc)
        rc = glob_at(&g, "", 0);
    if (!rc && out->n > 1) {
        qsort(out->rel, out->n, sizeof(char *), cmp_rel);
        size_t w = 1;
        for (size_t r = 1; r < out->n; r++) {
            if (strcmp(out->rel[r], out->rel[w - 1]) == 0)
                dltc__free(out->rel[r]);
            else
                out->rel[w++] = out->rel[r];
        }
        out->n = w;
    }
    dltc__free(g.comps);
    dltc__free(pat);
    return rc;
}

/* ---- file items ---- */

static int read_content(const char *path, size_t size, dltc_doc *doc, dltc_value **out)
{
    if (size > DLTC_FILESYSTEM_MAX_CONTENT)
        return dltc__error_set(DLTC_ELIMIT, "%s: %zu bytes, more than the %zu of "
                               "extract_content", path, size, DLTC_FILESYSTEM_MAX_CONTENT);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *data = dltc__malloc(size ? size : 1);
    int rc = data ? 0 : dltc__error_oom();
    size_t got = 0;
    while (!rc && got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = dltc__error_set(DLTC_EIO, "%s: read failed: %s", path, strerror(errno));
        else if (n == 0)
            break; /* shrank meanwhile: what is there */
        else
            got += (size_t)n;
    }
    close(fd);
    if (!rc && !(*out = dltc_value_binary(doc, data, got)))
        rc = dltc_error_last()->code;
    dltc__free(data);
    return rc;
}

/* mtime in µs, rounded as Python's datetime.fromtimestamp(st_mtime). */
static int64_t mtime_us(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000 + (st->st_mtim.tv_nsec + 500) / 1000;
}

static int set_str(dltc_doc *doc, dltc_value *obj, const char *key, const char *s)
{
    dltc_value *v = s ? dltc_value_cstring(doc, s) : dltc_value_null(doc);
    return v ? dltc_object_set(doc, obj, key, v) : dltc_error_last()->code;
}

/* The FileItem of match `rel` ("" = the bucket itself), or *out NULL when it is no regular
 * file. */
static int file_item(const char *root, const char *rel, int content, dltc_doc *doc,
                     dltc_value **out)
{
    *out = NULL;
    dltc_buf path = DLTC_BUF_INIT, url = DLTC_BUF_INIT;
    struct stat st;
    int rc = *rel ? dltc__buf_printf(&path, "%s/%s", root, rel) : dltc__buf_puts(&path, root);
    if (rc || stat(path.data, &st) != 0 || !S_ISREG(st.st_mode)) {
        dltc__buf_free(&path);
        return rc;
    }
    char *real = realpath(path.data, NULL);
    rc = real ? put_file_url(&url, real) : 0;
    free(real);
    if (!rc && !url.data) { /* vanished meanwhile */
        dltc__buf_free(&path);
        return 0;
    }
    const char *relp = *rel ? rel : ".";
    const char *name = strrchr(path.data, '/');
    name = name ? name + 1 : path.data;
    const char *mime, *encoding;
    char mbuf[PATH_MAX + 32];
    guess_mime(relp, &mime, &encoding, mbuf, sizeof(mbuf));
    dltc_value *o = rc ? NULL : dltc_value_object(doc), *v;
    if (!rc && !o)
        rc = dltc_error_last()->code;
    if (!rc)
        rc = set_str(doc, o, "file_url", url.data);
    if (!rc)
        rc = set_str(doc, o, "file_name", name);
    if (!rc)
        rc = set_str(doc, o, "relative_path", relp);
    if (!rc)
        rc = set_str(doc, o, "mime_type", mime);
    if (!rc)
        rc = set_str(doc, o, "encoding", encoding);
    if (!rc)
        rc = (v = dltc_value_timestamp(doc, mtime_us(&st), 1)) ? dltc_object_set(doc, o,
                                                                    "modification_date", v)
                                                              : dltc_error_last()->code;
    if (!rc)
        rc = (v = dltc_value_int(doc, (int64_t)st.st_size))
                 ? dltc_object_set(doc, o, "size_in_bytes", v)
                 : dltc_error_last()->code;
    if (!rc && content && !(rc = read_content(path.data, (size_t)st.st_size, doc, &v)))
        rc = dltc_object_set(doc, o, "file_content", v);
    dltc__buf_free(&path);
    dltc__buf_free(&url);
    if (!rc)
        *out = o;
    return rc;
}

/* ---- the resource ---- */

int dltc__filesystem_list(const dltc_filesystem_options *o, dltc__reader_page_fn fn,
                          void *payload)
{
    size_t per_page = o->files_per_page ? o->files_per_page : 100;
    char *root = NULL;
    matches m = {NULL, 0, 0};
    dltc_doc *doc = NULL;
    int rc = bucket_path(o->bucket_url, &root);
    if (!rc)
        rc = glob_files(root, o->file_glob ? o->file_glob : "*", &m);
    if (!rc)
        rc = dltc_doc_new(&doc);
    dltc_value *page = NULL;
    for (size_t i = 0; !rc && i < m.n; i++) {
        dltc_value *item;
        if (!page && !(page = dltc_value_array(doc))) {
            rc = dltc_error_last()->code;
            break;
        }
        rc = file_item(root, m.rel[i], o->extract_content, doc, &item);
        if (!rc && item)
            rc = dltc_array_append(doc, page, item);
        if (!rc && (dltc_value_size(page) == per_page || i + 1 == m.n) &&
            dltc_value_size(page)) {
            rc = fn(page, payload);
            dltc_doc_clear(doc);
            page = NULL;
        }
    }
    dltc_doc_free(doc);
    matches_free(&m);
    dltc__free(root);
    return rc == DLTC_ITEROVER ? 0 : rc;
}

static int yield_page(const dltc_value *page, void *payload)
{
    return dltc_yield_value(payload, page);
}

static int list_files(dltc_yield *y, void *payload)
{
    int rc = dltc__filesystem_list(payload, yield_page, y);
    return rc ? rc : DLTC_ITEROVER;
}

/* The listing resource; `unselected`: it only feeds transformers. */
static int files_resource(dltc_resource **out, const char *name, const dltc_filesystem_options *o,
                          int unselected)
{
    *out = NULL;
    if (!o || o->version != DLTC_FILESYSTEM_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "filesystem options: %s",
                               o ? "version mismatch" : "missing");
    if (!o->bucket_url || !*o->bucket_url)
        return dltc__error_set(DLTC_EINVALID, "filesystem resource %s: bucket_url is required",
                               name ? name : "");
    if (strstr(o->bucket_url, "://") && strncmp(o->bucket_url, "file://", 7))
        return dltc__error_set(DLTC_EINVALID, "bucket_url %s: only local paths and file:// "
                               "URLs are supported (no remote buckets)", o->bucket_url);
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    if (o->resource)
        ro = *o->resource;
    if (!ro.primary_key)
        ro.primary_key = "file_url";
    if (unselected)
        ro.selected = 0;
    /* the options are the payload: lent by the caller (see the header) */
    return dltc_resource_new(out, name, list_files, (void *)(uintptr_t)o, &ro);
}

int dltc_filesystem_resource(dltc_resource **out, const char *name,
                             const dltc_filesystem_options *o)
{
    return files_resource(out, name, o, 0);
}

int dltc_filesystem_source(dltc_source **out, const char *name,
                           const dltc_filesystem_options *fo, const char *format,
                           const dltc_reader_options *ro)
{
    *out = NULL;
    dltc__read_format f;
    int rc = dltc__reader_format(format, &f);
    if (rc)
        return rc;
    char rname[32];
    snprintf(rname, sizeof(rname), "read_%s", dltc__reader_format_name(f));
    dltc_source *src = NULL;
    dltc_resource *files = NULL, *reader = NULL;
    if ((rc = dltc_source_new(&src, name)))
        return rc;
    rc = files_resource(&files, "filesystem", fo, 1);
    if (!rc)
        rc = dltc_filesystem_reader(&reader, rname, files, format, ro);
    if (!rc) {
        rc = dltc_source_add(src, files); /* the source owns it, also on failure */
        files = NULL;
    }
    if (!rc) {
        rc = dltc_source_add(src, reader);
        reader = NULL;
    }
    dltc_resource_free(reader);
    dltc_resource_free(files);
    if (rc) {
        dltc_source_free(src);
        return rc;
    }
    *out = src;
    return 0;
}
