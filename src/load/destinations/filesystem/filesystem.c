/* The filesystem destination (see filesystem.h). Order of one load, after which the package
 * moves to load/loaded:
 *
 *   init file → replace: delete the files of the replaced tables → _dlt_version file (new
 *   schema hash) → data files → state file → _dlt_loads marker → old state files removed.
 *
 * Everything before the marker may be redone: names are fixed by the package (see
 * job_file_id), files are published by rename from .dltc-tmp/, and a rerun deletes (replace)
 * or overwrites (append) what a dead run left. The marker makes the package loaded; a rerun
 * that finds it only completes the package on disk. Readers that honour _dlt_loads (dlt's
 * dataset access, sync) never see a half-loaded package as loaded. */
#include "load/destinations/filesystem/filesystem.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/compress.h"
#include "common/crash.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/time.h"
#include "duckdb/client.h"
#include "duckdb/load.h"
#include "formats/json.h"
#include "load/sql.h"
#include "package/fsutil.h"
#include "package/loadid.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_DIR ".dltc-tmp"
#define INIT_FILE "init"
#define STATE_TABLE "_dlt_pipeline_state"
#define GZIP_CHUNK (8u << 20)
#define WALK_DEPTH 64
#define STORAGE_VERSION 2

/* ---- names and paths ---- */

/* One path component: not empty, not "." or "..", no '/'. */
static int is_component(const char *s)
{
    return s && *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strchr(s, '/');
}

/* dlt's dlt-table test: the schema's own tables start with "_dlt". */
static int is_dlt_table(const char *name)
{
    return strncmp(name, "_dlt", 4) == 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The local folder of a bucket_url: a plain path, or file:///abs/path (percent-decoded). */
static int bucket_path(char **out, const char *url)
{
    *out = NULL;
    if (!url || !*url)
        return dltc__error_set(DLTC_EINVALID, "filesystem destination: bucket_url is required");
    const char *p = url;
    int is_url = 0;
    const char *sep = strstr(url, "://");
    if (sep && sep > url && isalpha((unsigned char)url[0])) {
        int scheme = 1;
        for (const char *q = url; q < sep && scheme; q++)
            scheme = isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.';
        if (scheme) {
            /* the rest of the url may hold credentials: only the scheme is named */
            if (sep - url != 4 || strncasecmp(url, "file", 4) != 0)
                return dltc__error_set(DLTC_EINVALID,
                                       "bucket_url with scheme '%.*s': only local buckets "
                                       "(file://) are supported",
                                       (int)(sep - url), url);
            p = sep + 3;
            if (strncasecmp(p, "localhost/", 10) == 0) p += 9;
            if (*p != '/')
                return dltc__error_set(DLTC_EINVALID,
                                       "bucket_url '%s': a file url needs an absolute path "
                                       "(file:///abs/path)",
                                       url);
            is_url = 1;
        }
    }
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    for (; *p && !rc; p++) {
        if (is_url && *p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            char c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            if (!c)
                rc = dltc__error_set(DLTC_EINVALID, "bucket_url '%s': NUL in the path", url);
            else
                rc = dltc__buf_putc(&b, c);
            p += 2;
        } else {
            rc = dltc__buf_putc(&b, *p);
        }
    }
    while (!rc && b.len > 1 && b.data[b.len - 1] == '/')
        b.data[--b.len] = '\0';
    if (!rc && !b.len) rc = dltc__error_set(DLTC_EINVALID, "bucket_url '%s': empty path", url);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return 0;
}

int dltc__fs_dataset_path(char **out, const dltc_fs_options *o)
{
    *out = NULL;
    if (!is_component(o->dataset))
        return dltc__error_set(DLTC_EINVALID,
                               "filesystem destination: dataset name '%s' must be one folder name",
                               o->dataset ? o->dataset : "");
    char *bucket = NULL;
    int rc = bucket_path(&bucket, o->bucket_url);
    if (rc) return rc;
    *out = dltc__path_join(bucket, o->dataset);
    dltc__free(bucket);
    return *out ? 0 : dltc__error_oom();
}

/* A rendered path relative to the dataset folder must stay in it. */
static int check_rel_path(const char *path, size_t len, const char *layout)
{
    const char *why = NULL, *need = "it must stay inside the dataset folder";
    if (!len)
        why = "is empty";
    else if (memchr(path, '\0', len))
        why = "holds a NUL byte";
    else if (path[0] == '/')
        why = "is absolute";
    else if (len >= strlen(INIT_FILE) && !memcmp(path, INIT_FILE, strlen(INIT_FILE)) &&
             (len == strlen(INIT_FILE) || path[strlen(INIT_FILE)] == '/'))
        why = "collides with the dataset's init file", need = "name the table otherwise";
    for (const char *s = path; !why && s < path + len;) {
        const char *e = memchr(s, '/', (size_t)(path + len - s));
        size_t n = e ? (size_t)(e - s) : (size_t)(path + len - s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            why = "has a '..' segment";
        else if (s == path && n == strlen(TMP_DIR) && memcmp(s, TMP_DIR, n) == 0)
            why = "is in the loader's temporary folder";
        s += n + 1;
    }
    if (why)
        return dltc__error_set(DLTC_EINVALID,
                               "path '%.*s' rendered from layout '%s' %s: %s",
                               (int)strnlen(path, len), path, layout, why, need);
    return 0;
}

/* ---- layout placeholders (dlt's path_utils) ---- */

static const char *const g_std_names[] = {"schema_name", "table_name", "load_id", "file_id", "ext"};
/* pendulum format tokens, rendered lower-case */
static const char *const g_date_tokens[] = {"YYYY", "YY", "Y", "MMMM", "MMM", "MM", "M", "DD",
                                            "D",    "HH", "H", "mm",   "m",   "ss", "s", "SSSS",
                                            "SSS",  "SS", "S", "dddd", "ddd", "dd", "d", "Q"};

static int name_in(const char *name, size_t len, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i]) == len && memcmp(v[i], name, len) == 0) return 1;
    return 0;
}

#define NAMES_IN(name, len, arr) name_in(name, len, arr, sizeof(arr) / sizeof(arr[0]))

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* A pendulum token of a UTC datetime, lower-cased as dlt does. */
static int put_date_token(dltc_buf *b, const char *tok, size_t len, int64_t us)
{
    static const char *const months[] = {"january",   "february", "march",    "april",
                                         "may",       "june",     "july",     "august",
                                         "september", "october",  "november", "december"};
    static const char *const days[] = {"monday", "tuesday",  "wednesday", "thursday",
                                       "friday", "saturday", "sunday"};
    static const char *const short_days[] = {"mo", "tu", "we", "th", "fr", "sa", "su"};
    int64_t day = floor_div(us, 86400000000LL);
    int64_t rem = us - day * 86400000000LL;
    int64_t y;
    unsigned m, d;
    dltc__civil_from_days(day, &y, &m, &d);
    int hour = (int)(rem / 3600000000LL), minute = (int)(rem / 60000000LL % 60),
        second = (int)(rem / 1000000 % 60), micro = (int)(rem % 1000000);
    int dow = (int)(((day % 7) + 7 + 3) % 7); /* Monday = 0; 1970-01-01 was a Thursday */
    char t[8] = {0};
    memcpy(t, tok, len < sizeof(t) - 1 ? len : sizeof(t) - 1);
    char year[24];
    snprintf(year, sizeof(year), "%lld", (long long)y);
    if (!strcmp(t, "YYYY") || !strcmp(t, "Y")) return dltc__buf_puts(b, year);
    if (!strcmp(t, "YY")) return dltc__buf_puts(b, strlen(year) > 2 ? year + 2 : "");
    if (!strcmp(t, "MMMM")) return dltc__buf_puts(b, months[m - 1]);
    if (!strcmp(t, "MMM")) return dltc__buf_put(b, months[m - 1], 3);
    if (!strcmp(t, "MM")) return dltc__buf_printf(b, "%02u", m);
    if (!strcmp(t, "M")) return dltc__buf_printf(b, "%u", m);
    if (!strcmp(t, "DD")) return dltc__buf_printf(b, "%02u", d);
    if (!strcmp(t, "D")) return dltc__buf_printf(b, "%u", d);
    if (!strcmp(t, "HH")) return dltc__buf_printf(b, "%02d", hour);
    if (!strcmp(t, "H")) return dltc__buf_printf(b, "%d", hour);
    if (!strcmp(t, "mm")) return dltc__buf_printf(b, "%02d", minute);
    if (!strcmp(t, "m")) return dltc__buf_printf(b, "%d", minute);
    if (!strcmp(t, "ss")) return dltc__buf_printf(b, "%02d", second);
    if (!strcmp(t, "s")) return dltc__buf_printf(b, "%d", second);
    if (!strcmp(t, "SSSS")) return dltc__buf_printf(b, "%04d", micro / 100);
    if (!strcmp(t, "SSS")) return dltc__buf_printf(b, "%03d", micro / 1000);
    if (!strcmp(t, "SS")) return dltc__buf_printf(b, "%02d", micro / 10000);
    if (!strcmp(t, "S")) return dltc__buf_printf(b, "%d", micro / 100000);
    if (!strcmp(t, "dddd")) return dltc__buf_puts(b, days[dow]);
    if (!strcmp(t, "ddd")) return dltc__buf_put(b, days[dow], 3);
    if (!strcmp(t, "dd")) return dltc__buf_puts(b, short_days[dow]);
    if (!strcmp(t, "d")) /* pendulum: Sunday = 0 */
        return dltc__buf_printf(b, "%d", (dow + 1) % 7);
    return dltc__buf_printf(b, "%u", (m - 1) / 3 + 1); /* Q */
}

static const char *extra_value(const dltc_fs_path_params *p, const char *name, size_t len)
{
    const char *v = NULL;
    for (size_t i = 0; i < p->nextra; i++) { /* the last one wins, as in a dict */
        const char *k = p->extra[2 * i];
        if (k && strlen(k) == len && memcmp(k, name, len) == 0)
            v = p->extra[2 * i + 1] ? p->extra[2 * i + 1] : "";
    }
    return v;
}

/* dlt's precedence: date and time values, then extra placeholders, then the job's values. */
static int put_placeholder(dltc_buf *b, const char *name, size_t len, const char *layout,
                           const dltc_fs_path_params *p)
{
    if (NAMES_IN(name, len, g_date_tokens)) return put_date_token(b, name, len, p->datetime_us);
    if (len == 9 && !memcmp(name, "curr_date", 9)) {
        char d[16];
        return dltc__buf_put(
            b, d, dltc__format_date(d, (int32_t)floor_div(p->datetime_us, 86400000000LL)));
    }
    if (len == 9 && !memcmp(name, "timestamp", 9))
        return dltc__buf_printf(b, "%lld", (long long)floor_div(p->datetime_us, 1000000));
    if (len == 12 && !memcmp(name, "timestamp_ms", 12))
        return dltc__buf_printf(b, "%lld", (long long)floor_div(p->datetime_us, 1000));
    if (len == 22 && !memcmp(name, "load_package_timestamp", 22))
        return dltc__buf_printf(b, "%lld", (long long)floor_div(p->package_us, 1000000));
    if (len == 25 && !memcmp(name, "load_package_timestamp_ms", 25))
        return dltc__buf_printf(b, "%lld", (long long)floor_div(p->package_us, 1000));
    const char *v = extra_value(p, name, len);
    if (!v && NAMES_IN(name, len, g_std_names)) {
        const char *const vals[] = {p->schema_name, p->table_name, p->load_id, p->file_id, p->ext};
        for (size_t i = 0; i < 5 && !v; i++)
            if (strlen(g_std_names[i]) == len && !memcmp(g_std_names[i], name, len)) {
                if (!vals[i])
                    return dltc__error_set(DLTC_EINVALID,
                                           "layout '%s': placeholder {%.*s} has no value here",
                                           layout, (int)len, name);
                v = vals[i];
            }
    }
    if (!v)
        return dltc__error_set(DLTC_EINVALID, "layout '%s': unknown placeholder {%.*s}", layout,
                               (int)len, name);
    return dltc__buf_puts(b, v);
}

int dltc__fs_render(dltc_buf *out, const char *layout, const dltc_fs_path_params *p)
{
    size_t start = out->len;
    int rc = 0;
    for (const char *s = layout; *s && !rc;) {
        if (*s == '{') {
            const char *e = strchr(s + 1, '}');
            if (!e)
                return dltc__error_set(DLTC_EINVALID, "layout '%s': unterminated placeholder",
                                       layout);
            rc = put_placeholder(out, s + 1, (size_t)(e - s - 1), layout, p);
            s = e + 1;
        } else if (*s == '}') {
            return dltc__error_set(DLTC_EINVALID, "layout '%s': single '}'", layout);
        } else {
            size_t n = strcspn(s, "{}");
            rc = dltc__buf_put(out, s, n);
            s += n;
        }
    }
    return rc ? rc : check_rel_path(out->data ? out->data + start : "", out->len - start, layout);
}

/* dlt's get_table_prefix_layout: the layout up to and including the character after
 * {table_name}; {table_name} must be there, only {schema_name} before it, and the next
 * character must not start another placeholder. *len = length of the prefix. */
static int prefix_layout(const char *layout, size_t *len)
{
    for (const char *s = strchr(layout, '{'); s; s = strchr(s, '{')) {
        const char *e = strchr(s + 1, '}');
        if (!e) break;
        size_t n = (size_t)(e - s - 1);
        if (n == 10 && !memcmp(s + 1, "table_name", 10)) {
            if (e[1] == '{')
                return dltc__error_set(DLTC_EINVALID,
                                       "layout '%s': a separator is required after {table_name}",
                                       layout);
            *len = (size_t)(e - layout) + (e[1] ? 2 : 1);
            return 0;
        }
        if (!(n == 11 && !memcmp(s + 1, "schema_name", 11)))
            return dltc__error_set(DLTC_EINVALID,
                                   "layout '%s': only {schema_name} may come before "
                                   "{table_name}, not {%.*s}",
                                   layout, (int)n, s + 1);
        s = e + 1;
    }
    return dltc__error_set(DLTC_EINVALID,
                           "layout '%s': {table_name} placeholder not found (the filesystem "
                           "destination needs it to find a table's files)",
                           layout);
}

static const char *layout_of(const dltc_fs_options *o)
{
    return o->layout && *o->layout ? o->layout : DLTC_FS_DEFAULT_LAYOUT;
}

int dltc__fs_check_options(const dltc_fs_options *o)
{
    if (!o || o->version != DLTC_FS_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "filesystem options: version mismatch");
    char *ds = NULL;
    int rc = dltc__fs_dataset_path(&ds, o);
    dltc__free(ds);
    if (rc) return rc;
    const char *layout = layout_of(o);
    size_t plen;
    if ((rc = prefix_layout(layout, &plen))) return rc;
    /* every placeholder known: a render with sample values */
    dltc_fs_path_params p = {"schema",
                             "table",
                             "1.0",
                             "0123456789",
                             "jsonl",
                             0,
                             0,
                             o->extra_placeholders,
                             o->nextra_placeholders};
    dltc_buf b = DLTC_BUF_INIT;
    rc = dltc__fs_render(&b, layout, &p);
    dltc__buf_free(&b);
    return rc;
}

int dltc__fs_check_table(const dltc_fs_options *o, const char *schema_name, const char *table)
{
    if (is_dlt_table(table)) return 0; /* dlt's own tables have fixed folders */
    const char *layout = layout_of(o);
    size_t plen = 0;
    int rc = prefix_layout(layout, &plen);
    char *pl = rc ? NULL : dltc__strndup(layout, plen);
    if (!rc && !pl) rc = dltc__error_oom();
    dltc_fs_path_params p = {schema_name, table, NULL, NULL, NULL, 0, 0, NULL, 0};
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc) rc = dltc__fs_render(&b, pl, &p);
    if (rc) dltc__error_prefix("table '%s': filesystem destination: ", table);
    dltc__buf_free(&b);
    dltc__free(pl);
    return rc;
}

/* ---- files ---- */

static pthread_once_t g_crc_once = PTHREAD_ONCE_INIT;
static uint32_t g_crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        g_crc_table[i] = c;
    }
}

/* CRC-32 of gzip's trailer (zlib.h is compress.c's alone). */
static uint32_t crc32_of(const void *data, size_t len)
{
    pthread_once(&g_crc_once, crc_init);
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = g_crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static int write_all(int fd, const char *path, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return dltc__io_error(path, "write failed");
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Read up to cap bytes (less only at the end of the file). */
static int read_full(int fd, const char *path, char *buf, size_t cap, size_t *got)
{
    *got = 0;
    while (*got < cap) {
        ssize_t n = read(fd, buf + *got, cap - *got);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            return dltc__io_error(path, "read failed");
        }
        *got += (size_t)n;
    }
    return 0;
}

/* One gzip member per chunk: RFC 1952 header, the raw deflate data of a zlib stream (its
 * 2-byte header and Adler-32 trailer cut), CRC-32 and size. Readers (gzip, Python, DuckDB)
 * take concatenated members as one file. */
static int gzip_fd(int in, const char *src, int out, const char *dst, size_t chunk)
{
    if (!chunk) chunk = GZIP_CHUNK;
    char *buf = dltc__malloc(chunk);
    if (!buf) return dltc__error_oom();
    dltc_buf z = DLTC_BUF_INIT;
    int rc = 0, first = 1;
    for (;;) {
        size_t got = 0;
        rc = read_full(in, src, buf, chunk, &got);
        if (rc || (!got && !first)) break;
        first = 0;
        dltc__buf_clear(&z);
        rc = dltc__zlib_compress(&z, buf, got, 6);
        if (!rc && z.len < 6) rc = dltc__error_set(DLTC_ERROR, "%s: zlib gave a short stream", src);
        static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
        if (!rc) rc = write_all(out, dst, head, sizeof(head));
        if (!rc) rc = write_all(out, dst, z.data + 2, z.len - 6);
        uint32_t crc = crc32_of(buf, got), size = (uint32_t)got;
        unsigned char tail[8] = {(unsigned char)crc,          (unsigned char)(crc >> 8),
                                 (unsigned char)(crc >> 16),  (unsigned char)(crc >> 24),
                                 (unsigned char)size,         (unsigned char)(size >> 8),
                                 (unsigned char)(size >> 16), (unsigned char)(size >> 24)};
        if (!rc) rc = write_all(out, dst, tail, sizeof(tail));
        if (rc || got < chunk) break;
    }
    dltc__buf_free(&z);
    dltc__free(buf);
    return rc;
}

int dltc__fs_gzip_file(const char *src, const char *dst, size_t chunk)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return dltc__io_error(src, "open failed");
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return dltc__io_error(dst, "open failed");
    }
    int rc = gzip_fd(in, src, out, dst, chunk);
    close(in);
    if (close(out) != 0 && !rc) rc = dltc__io_error(dst, "close failed");
    return rc;
}

static int copy_fd(int in, const char *src, int out, const char *dst)
{
    for (;;) { /* the kernel copies when it can */
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n > 0) continue;
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        break; /* EXDEV, EINVAL, ENOSYS: read and write */
    }
    char buf[1 << 16];
    for (;;) {
        size_t got = 0;
        int rc = read_full(in, src, buf, sizeof(buf), &got);
        if (!rc && got) rc = write_all(out, dst, buf, got);
        if (rc || got < sizeof(buf)) return rc;
    }
}

/* ---- one load ---- */

typedef struct {
    char *name;           /* job file name */
    char *table;          /* its table */
    dltc_job_state state; /* where it is now: new or completed */
} fs_job;

typedef struct {
    const dltc_fs_options *o;
    const char *layout;
    const char *load_id;
    const char *pkg; /* package folder */
    char *dataset;   /* <bucket>/<dataset> */
    char *tmp_dir;   /* <dataset>/.dltc-tmp */
    dltc_schema *s;
    int64_t package_us; /* the package's created_at */
    int v1_names;       /* storage initialized before 1.15: no .gz suffix */
    dltc_duckdb *duck;  /* in-memory, opened on first need (parquet, non-jsonl state) */
} fs_load;

static int duck(fs_load *c, dltc_duckdb **out)
{
    int rc = c->duck ? 0 : dltc__duckdb_open(&c->duck, NULL);
    *out = c->duck;
    return rc;
}

/* ---- folders inside the dataset: symbolic links are never followed ---- */

/* "<what>: a symbolic link inside the dataset folder" — refused rather than followed, since
 * a link planted there would send data (or a replace's deletes) outside the bucket. */
static int link_error(const char *path, size_t len)
{
    return dltc__error_set(DLTC_EINVALID,
                           "%.*s: is a symbolic link inside the dataset folder: not followed "
                           "(remove it or replace it with a folder)",
                           (int)len, path);
}

/* Open folder `dir` (absolute: the dataset folder or below it) from the dataset folder down,
 * one component at a time with O_NOFOLLOW; missing folders are made (and made durable) when
 * `create`. DLTC_ENOTFOUND when a folder is missing and !create. *fd is the caller's. */
static int open_inside(const fs_load *c, const char *dir, int create, int *fd)
{
    *fd = -1;
    size_t dl = strlen(c->dataset);
    if (strncmp(dir, c->dataset, dl) != 0 || (dir[dl] && dir[dl] != '/'))
        return dltc__error_set(DLTC_EINVALID, "%s: not inside the dataset folder %s", dir,
                               c->dataset);
    int rc = create ? dltc__mkdirs(c->dataset) : 0;
    if (rc) return rc;
    int cur = open(c->dataset, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return errno == ENOENT
                   ? dltc__error_set(DLTC_ENOTFOUND, "%s: no such folder", c->dataset)
                   : dltc__io_error(c->dataset, "open failed");
    for (const char *s = dir + dl; !rc;) {
        while (*s == '/') s++;
        if (!*s) break;
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char name[256];
        if (n >= sizeof(name)) {
            rc = dltc__error_set(DLTC_ELIMIT, "%s: a folder name longer than 255 bytes", dir);
            break;
        }
        memcpy(name, s, n);
        name[n] = '\0';
        int next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (mkdirat(cur, name, 0755) != 0 && errno != EEXIST)
                rc = dltc__io_error(dir, "mkdir failed");
            else if (fsync(cur) != 0)
                rc = dltc__io_error(dir, "fsync failed");
            else
                next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (!rc && next < 0) {
            int err = errno;
            struct stat st;
            size_t len = (size_t)(s + n - dir);
            if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                rc = link_error(dir, len);
            else if (err == ENOENT)
                rc = dltc__error_set(DLTC_ENOTFOUND, "%.*s: no such folder", (int)len, dir);
            else {
                errno = err;
                rc = dltc__io_error(dir, "open failed");
            }
        }
        close(cur);
        cur = next;
        s += n;
    }
    if (rc) {
        if (cur >= 0) close(cur);
        return rc;
    }
    *fd = cur;
    return 0;
}

/* Remove the file at `path` (absolute, inside the dataset); a link there is removed itself,
 * never its target. A missing file or folder is not an error. */
static int unlink_inside(const fs_load *c, const char *path)
{
    char *dir = dltc__path_dirname(path);
    if (!dir) return dltc__error_oom();
    int fd = -1, rc = open_inside(c, dir, 0, &fd);
    dltc__free(dir);
    if (rc == DLTC_ENOTFOUND) {
        dltc_error_clear();
        return 0;
    }
    if (rc) return rc;
    if (unlinkat(fd, strrchr(path, '/') + 1, 0) != 0 && errno != ENOENT)
        rc = dltc__io_error(path, "unlink failed");
    close(fd);
    return rc;
}

/* Publish a file at `dst` (absolute): its bytes are `data` or the content of `src` (gzipped
 * when gz) written to <tmp_dir>/<load_id>.<tmp_name>, fsynced, renamed into place and the
 * folder fsynced. `crash` names a crash point between the write and the rename. */
static int publish(fs_load *c, const char *tmp_name, const char *dst, const char *data, size_t len,
                   const char *src, int gz, const char *crash)
{
    dltc_buf tmp = DLTC_BUF_INIT;
    char *dir = NULL;
    int tfd = -1, dfd = -1;
    int rc = dltc__buf_printf(&tmp, "%s/%s.%s", c->tmp_dir, c->load_id, tmp_name);
    if (!rc) rc = open_inside(c, c->tmp_dir, 1, &tfd);
    if (rc) goto done;
    const char *tbase = tmp.data + strlen(c->tmp_dir) + 1;
    int out = openat(tfd, tbase, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = errno == ELOOP ? link_error(tmp.data, tmp.len) : dltc__io_error(tmp.data, "open failed");
        goto done;
    }
    if (src) {
        int in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
            rc = dltc__io_error(src, "open failed");
        else {
            rc = gz ? gzip_fd(in, src, out, tmp.data, 0) : copy_fd(in, src, out, tmp.data);
            close(in);
        }
    } else {
        rc = write_all(out, tmp.data, data, len);
    }
    if (!rc && fsync(out) != 0) rc = dltc__io_error(tmp.data, "fsync failed");
    if (close(out) != 0 && !rc) rc = dltc__io_error(tmp.data, "close failed");
    if (crash) dltc__crash_point(crash);
    if (!rc && !(dir = dltc__path_dirname(dst))) rc = dltc__error_oom();
    if (!rc) rc = open_inside(c, dir, 1, &dfd);
    /* a link at dst itself is replaced, not followed */
    if (!rc && renameat(tfd, tbase, dfd, strrchr(dst, '/') + 1) != 0)
        rc = dltc__io_error(dst, "rename failed");
    if (!rc && fsync(dfd) != 0) rc = dltc__io_error(dir, "fsync failed");
    if (rc) unlinkat(tfd, tbase, 0);
done:
    if (tfd >= 0) close(tfd);
    if (dfd >= 0) close(dfd);
    dltc__free(dir);
    dltc__buf_free(&tmp);
    return rc;
}

/* The init file: written when missing; an empty one (dlt before 1.15) means names without
 * .gz and is migrated as dlt does. */
static int init_storage(fs_load *c)
{
    char *path = dltc__path_join(c->dataset, INIT_FILE), *text = NULL;
    size_t len = 0;
    int rc = path ? dltc__read_file(path, &text, &len) : dltc__error_oom();
    if (rc == DLTC_ENOTFOUND) {
        dltc_error_clear();
        static const char doc[] = "{\"initial_version\":2,\"current_version\":2}";
        rc = publish(c, INIT_FILE, path, doc, sizeof(doc) - 1, NULL, 0, NULL);
    } else if (!rc) {
        size_t k = 0;
        while (k < len && isspace((unsigned char)text[k]))
            k++;
        if (k == len) {
            c->v1_names = 1;
            static const char doc[] = "{\"initial_version\":1,\"current_version\":2}";
            rc = publish(c, INIT_FILE, path, doc, sizeof(doc) - 1, NULL, 0, NULL);
        } else {
            dltc_arena a;
            dltc__arena_init(&a, 1024);
            dltc_value *v = NULL;
            const dltc_value *iv = NULL, *cv = NULL;
            rc = dltc__json_parse(&a, text, len, 8, &v, NULL);
            if (!rc && v->type == DLTC_TYPE_OBJECT) {
                iv = dltc_object_get(v, "initial_version");
                cv = dltc_object_get(v, "current_version");
            }
            if (!rc && (!iv || !cv || iv->type != DLTC_TYPE_INT || cv->type != DLTC_TYPE_INT ||
                        iv->u.i < 1 || iv->u.i > STORAGE_VERSION || cv->u.i < 1 ||
                        cv->u.i > STORAGE_VERSION))
                rc = dltc__error_set(DLTC_EINVALID,
                                     "%s: unsupported storage version (supported: 1, 2)", path);
            else if (rc)
                dltc__error_prefix("%s: ", path);
            if (!rc && iv->u.i == 1) c->v1_names = 1;
            if (!rc && cv->u.i == 1) {
                static const char doc[] = "{\"initial_version\":1,\"current_version\":2}";
                rc = publish(c, INIT_FILE, path, doc, sizeof(doc) - 1, NULL, 0, NULL);
            }
            dltc__arena_free(&a);
        }
    }
    dltc__free(text);
    dltc__free(path);
    return rc;
}

/* "<table>.<file_id>.<retry>.<format>": the parts a path is made of. The remote file_id is
 * the job's file_id, as in dlt (path_utils takes it from ParsedLoadJobFileName). In dlt that
 * id is drawn at random when the normalizer writes the job and a job that is retried keeps
 * it, but a package that dies between jobs is not promised anything. Here the id is the
 * whole promise: the job file name is fixed once the package is normalized, so the rerun of
 * a package writes exactly the names the dead run wrote and overwrites them instead of
 * adding a second copy with a fresh random id. For the same reason the _dlt_version file is
 * named with the load id, where dlt uses the current time. */
static int job_file_id(const char *job, char **file_id, char **format)
{
    const char *a = strchr(job, '.');
    const char *b = a ? strchr(a + 1, '.') : NULL;
    const char *r = b ? strchr(b + 1, '.') : NULL;
    if (!r || b == a + 1 || !r[1])
        return dltc__error_set(DLTC_EINVALID,
                               "job file '%s': not <table>.<file_id>.<retry>.<format>", job);
    *file_id = dltc__strndup(a + 1, (size_t)(b - a - 1));
    *format = dltc__strdup(r + 1);
    if (!*file_id || !*format) {
        dltc__free(*file_id);
        dltc__free(*format);
        *file_id = *format = NULL;
        return dltc__error_oom();
    }
    return 0;
}

static int text_format(const char *f)
{
    return !strcmp(f, "jsonl") || !strcmp(f, "csv") || !strcmp(f, "insert_values");
}

static const char *job_dir(dltc_job_state s)
{
    return s == DLTC_JOB_COMPLETED ? "completed_jobs" : "new_jobs";
}

static int job_path(const fs_load *c, const fs_job *j, dltc_buf *out)
{
    return dltc__buf_printf(out, "%s/%s/%s", c->pkg, job_dir(j->state), j->name);
}

/* Rows of a job file: jsonl lines, csv records after the header (quotes may hold newlines),
 * insert_values row lines (one per row after "INSERT …" and "VALUES"), parquet metadata. */
static int count_rows(fs_load *c, const char *path, const char *format, uint64_t *rows)
{
    *rows = 0;
    if (!strcmp(format, "parquet")) {
        dltc_duckdb *db;
        dltc_buf q = DLTC_BUF_INIT;
        dltc_rows *r = NULL;
        int rc = duck(c, &db);
        if (!rc) rc = dltc__buf_puts(&q, "SELECT count(*) FROM read_parquet(");
        if (!rc) rc = dltc__sql_string(&q, path, strlen(path));
        if (!rc) rc = dltc__buf_puts(&q, ")");
        if (!rc) rc = dltc__duckdb_query(db, q.data, &r);
        if (!rc && dltc_rows_count(r) == 1)
            *rows = (uint64_t)dltc_value_get_int(dltc_rows_get(r, 0, 0));
        dltc_rows_free(r);
        dltc__buf_free(&q);
        return rc;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return dltc__io_error(path, "open failed");
    int csv = !strcmp(format, "csv"), inq = 0, rc = 0;
    uint64_t nl = 0, total = 0;
    char last = '\n';
    char buf[1 << 16];
    for (;;) {
        size_t got = 0;
        if ((rc = read_full(fd, path, buf, sizeof(buf), &got)) || !got) break;
        total += got;
        last = buf[got - 1];
        if (csv) {
            for (size_t i = 0; i < got; i++)
                if (buf[i] == '"')
                    inq = !inq;
                else if (buf[i] == '\n' && !inq)
                    nl++;
        } else {
            for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))); p++)
                nl++;
        }
        if (got < sizeof(buf)) break;
    }
    close(fd);
    uint64_t lines = nl + (total && last != '\n');
    if (csv)
        *rows = lines ? lines - 1 : 0;
    else if (!strcmp(format, "insert_values"))
        *rows = lines > 2 ? lines - 2 : 0;
    else
        *rows = lines;
    return rc;
}

static int add_count(dltc_load_result *r, const char *table, uint64_t rows)
{
    for (size_t i = 0; i < r->ncounts; i++)
        if (strcmp(r->counts[i].table, table) == 0) {
            r->counts[i].rows += rows;
            return 0;
        }
    dltc_table_count *c = dltc__realloc(r->counts, (r->ncounts + 1) * sizeof(*c));
    if (!c) return dltc__error_oom();
    r->counts = c;
    if (!(c[r->ncounts].table = dltc__strdup(table))) return dltc__error_oom();
    c[r->ncounts++].rows = rows;
    return 0;
}

static int count_job(fs_load *c, const fs_job *j, dltc_load_result *res)
{
    char *fid = NULL, *fmt = NULL;
    dltc_buf p = DLTC_BUF_INIT;
    uint64_t n = 0;
    int rc = job_file_id(j->name, &fid, &fmt);
    if (!rc) rc = job_path(c, j, &p);
    if (!rc) rc = count_rows(c, p.data, fmt, &n);
    if (!rc) rc = add_count(res, j->table, n);
    dltc__buf_free(&p);
    dltc__free(fid);
    dltc__free(fmt);
    return rc;
}

/* The rendered path of a table's prefix (dlt's get_table_prefix) relative to the dataset:
 * dlt's own tables are folders "<table>/", the others follow the layout up to the separator
 * after {table_name}. */
static int table_prefix(const fs_load *c, const char *table, dltc_buf *out)
{
    if (is_dlt_table(table)) {
        size_t start = out->len;
        int rc = dltc__buf_printf(out, "%s/", table);
        return rc ? rc : check_rel_path(out->data + start, out->len - start, "<dlt table>/");
    }
    size_t plen = 0;
    int rc = prefix_layout(c->layout, &plen);
    char *pl = rc ? NULL : dltc__strndup(c->layout, plen);
    if (!rc && !pl) rc = dltc__error_oom();
    dltc_fs_path_params p = {dltc_schema_name(c->s), table, NULL, NULL, NULL, 0, 0, NULL, 0};
    if (!rc) rc = dltc__fs_render(out, pl, &p);
    dltc__free(pl);
    return rc;
}

/* Delete every regular file under `dir` whose path starts with `prefix` (both absolute),
 * except init files; hidden names and symbolic links are left alone, and no link on the way
 * to a file is followed (unlink_inside). */
static int delete_with_prefix(const fs_load *c, const char *dir, const char *prefix, int depth)
{
    if (depth > WALK_DEPTH)
        return dltc__error_set(DLTC_ELIMIT, "%s: folders nested deeper than %d", dir, WALK_DEPTH);
    char **names = NULL;
    size_t n = 0;
    int rc = dltc__list_dir(dir, DLTC_LIST_FILES, &names, &n);
    if (rc == DLTC_ENOTFOUND) {
        dltc_error_clear();
        return 0;
    }
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < n && !rc; i++) {
        char *f = dltc__path_join(dir, names[i]);
        if (!f)
            rc = dltc__error_oom();
        else if (strcmp(names[i], INIT_FILE) != 0 && strncmp(f, prefix, pl) == 0)
            rc = unlink_inside(c, f);
        dltc__free(f);
    }
    dltc__strv_free(names, n);
    if (rc) return rc;
    rc = dltc__list_dir(dir, DLTC_LIST_DIRS, &names, &n);
    if (rc == DLTC_ENOTFOUND) {
        dltc_error_clear();
        return 0;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        dltc_buf sub = DLTC_BUF_INIT;
        rc = dltc__buf_printf(&sub, "%s/%s/", dir, names[i]);
        /* only folders on the way to the prefix or inside it */
        if (!rc && (strncmp(sub.data, prefix, sub.len < pl ? sub.len : pl) == 0)) {
            sub.data[--sub.len] = '\0';
            rc = delete_with_prefix(c, sub.data, prefix, depth + 1);
        }
        dltc__buf_free(&sub);
    }
    dltc__strv_free(names, n);
    if (!rc) rc = dltc__fsync_dir(dir);
    return rc;
}

static int table_has_job(const fs_load *c, const fs_job *jobs, size_t njobs, dltc_table *root)
{
    for (size_t k = 0; k < njobs; k++) {
        dltc_table *jt = dltc__schema_table(c->s, jobs[k].table, strlen(jobs[k].table));
        if (jt && dltc__schema_root_table(c->s, jt) == root) return 1;
    }
    return 0;
}

/* replace: the files of every table whose root is replaced and has a job here (the whole
 * nested chain, as dlt truncates it); merge: a warning per root table. */
static int prepare_tables(fs_load *c, const fs_job *jobs, size_t njobs)
{
    int rc = 0;
    for (size_t i = 0; i < c->s->ntables && !rc; i++) {
        dltc_table *t = c->s->tables[i];
        if (is_dlt_table(t->name)) continue;
        dltc_table *root = dltc__schema_root_table(c->s, t);
        const char *wd = dltc__table_write_disposition(c->s, root);
        if (!wd || !table_has_job(c, jobs, njobs, root)) continue;
        if (!strcmp(wd, "merge") && t == root && c->o->on_warning) {
            dltc_buf m = DLTC_BUF_INIT;
            if (dltc__buf_printf(&m, "table '%s': %s", t->name, DLTC_FS_MERGE_WARNING) == 0)
                c->o->on_warning(m.data, c->o->payload);
            dltc__buf_free(&m);
        }
        if (strcmp(wd, "replace") != 0) continue;
        dltc_buf pre = DLTC_BUF_INIT, full = DLTC_BUF_INIT;
        rc = table_prefix(c, t->name, &pre);
        if (!rc) rc = dltc__buf_printf(&full, "%s/%s", c->dataset, pre.data);
        if (!rc) {
            char *dir = dltc__strndup(full.data, (size_t)(strrchr(full.data, '/') - full.data));
            rc = dir ? delete_with_prefix(c, dir, full.data, 0) : dltc__error_oom();
            dltc__free(dir);
        }
        if (rc) dltc__error_prefix("table %s: replace: ", t->name);
        dltc__buf_free(&pre);
        dltc__buf_free(&full);
    }
    return rc;
}

/* ---- the dlt files: _dlt_version, _dlt_pipeline_state, _dlt_loads ---- */

/* "<a>__<b>[__<c>].jsonl" split from the right as dlt's rsplit("__", nparts - 1) of the
 * name without its extension. 1 when the name has the parts. */
typedef struct {
    char *parts[3];
} dlt_name;

static void dlt_name_free(dlt_name *d)
{
    for (int i = 0; i < 3; i++)
        dltc__free(d->parts[i]);
    memset(d, 0, sizeof(*d));
}

static int dlt_name_parse(const char *file, int nparts, dlt_name *out)
{
    memset(out, 0, sizeof(*out));
    size_t len = strlen(file);
    if (len <= 6 || strcmp(file + len - 6, ".jsonl") != 0) return 0;
    size_t from[3], to[3], stop = len - 6, i = stop;
    int k = nparts - 1;
    while (k > 0 && i >= 2) { /* rfind("__") before stop, as Python's rsplit */
        if (file[i - 1] == '_' && file[i - 2] == '_') {
            from[k] = i;
            to[k--] = stop;
            stop = i -= 2;
        } else {
            i--;
        }
    }
    if (k > 0) return 0;
    from[0] = 0;
    to[0] = stop;
    for (k = 0; k < nparts; k++)
        if (!(out->parts[k] = dltc__strndup(file + from[k], to[k] - from[k]))) {
            dlt_name_free(out);
            return -1;
        }
    return 1;
}

/* Load ids as numbers (dlt compares them as floats), the text breaking ties. */
static int cmp_load_id(const char *a, const char *b)
{
    double x = dltc__json_strtod(a, NULL), y = dltc__json_strtod(b, NULL);
    return x < y ? -1 : x > y ? 1 : strcmp(a, b);
}

/* Files of a dlt table folder named <first>__<load_id>[__<hash>].jsonl (first NULL: any),
 * newest load id first. */
typedef struct {
    char *file;
    dlt_name n;
} dlt_file;

static void dlt_files_free(dlt_file *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dltc__free(f[i].file);
        dlt_name_free(&f[i].n);
    }
    dltc__free(f);
}

static int cmp_newest(const void *a, const void *b)
{
    const dlt_file *x = a, *y = b;
    return cmp_load_id(y->n.parts[1], x->n.parts[1]);
}

static int dlt_files(const char *dataset, const char *table, int nparts, const char *first,
                     dlt_file **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    char *dir = dltc__path_join(dataset, table);
    char **names = NULL;
    size_t n = 0;
    int rc = dir ? dltc__list_dir(dir, DLTC_LIST_FILES, &names, &n) : dltc__error_oom();
    if (rc == DLTC_ENOTFOUND) {
        dltc_error_clear();
        rc = 0;
    }
    dlt_file *v = n ? dltc__calloc(n, sizeof(*v)) : NULL;
    size_t k = 0;
    if (!rc && n && !v) rc = dltc__error_oom();
    for (size_t i = 0; i < n && !rc; i++) {
        int ok = dlt_name_parse(names[i], nparts, &v[k].n);
        if (ok < 0)
            rc = dltc__error_oom();
        else if (ok && first && strcmp(v[k].n.parts[0], first) != 0)
            dlt_name_free(&v[k].n);
        else if (ok && !(v[k].file = dltc__path_join(dir, names[i])))
            rc = dltc__error_oom();
        else if (ok)
            k++;
    }
    dltc__strv_free(names, n);
    dltc__free(dir);
    if (rc) {
        dlt_files_free(v, n);
        return rc;
    }
    if (k > 1) qsort(v, k, sizeof(*v), cmp_newest);
    *out = v;
    *nout = k;
    return 0;
}

/* dlt's _to_path_safe_string: the base64 hash as hex. */
static int hash_hex(const char *b64, dltc_buf *out)
{
    size_t len = strlen(b64);
    uint8_t raw[96];
    long n = len && len <= 88 ? dltc__base64_decode(b64, len, raw) : -1;
    if (n <= 0)
        return dltc__error_set(DLTC_EINVALID, "schema version hash '%s' is not base64", b64);
    int rc = 0;
    for (long i = 0; i < n && !rc; i++)
        rc = dltc__buf_printf(out, "%02x", raw[i]);
    return rc;
}

/* orjson's text of an aware UTC datetime (OPT_UTC_Z): isoformat with "Z" for "+00:00". */
static int put_utc_z(dltc_buf *b, int64_t us)
{
    char iso[DLTC_ISO_MAX];
    size_t n = dltc__format_timestamp(iso, us);
    if (n > 6 && !strcmp(iso + n - 6, "+00:00")) memcpy(iso + n - 6, "Z", 2), n -= 5;
    return dltc__json_write_string(b, iso, n);
}

/* The schema without indentation, as json.dumps(schema.to_dict()). */
static int compact_schema(dltc_schema *s, dltc_buf *out)
{
    char *doc = NULL;
    int rc = dltc_schema_export(&doc, s, DLTC_SCHEMA_JSON, 0);
    dltc_arena a;
    dltc__arena_init(&a, 64 * 1024);
    dltc_value *v = NULL;
    if (!rc) rc = dltc__json_parse(&a, doc, strlen(doc), 0, &v, NULL);
    if (!rc) rc = dltc__json_write(out, v);
    dltc__arena_free(&a);
    dltc_free(doc);
    return rc;
}

/* _dlt_version/<schema>__<load_id>__<hex>.jsonl when the newest stored version of the
 * schema has another hash (as the SQL loader decides), with the table folders dlt creates
 * for a new schema version. */
static int store_schema(fs_load *c)
{
    const char *name = dltc_schema_name(c->s), *hash = dltc_schema_version_hash(c->s);
    dltc_buf hex = DLTC_BUF_INIT, row = DLTC_BUF_INIT, path = DLTC_BUF_INIT, schema = DLTC_BUF_INIT;
    dlt_file *files = NULL;
    size_t n = 0;
    int rc = hash_hex(hash, &hex);
    if (!rc) rc = dlt_files(c->dataset, "_dlt_version", 3, name, &files, &n);
    if (rc || (n && !strcmp(files[0].n.parts[2], hex.data))) goto done;
    for (size_t i = 0; i < c->s->ntables && !rc; i++) {
        dltc_buf pre = DLTC_BUF_INIT;
        rc = table_prefix(c, c->s->tables[i]->name, &pre);
        char *slash = rc ? NULL : strrchr(pre.data, '/');
        if (slash) {
            *slash = '\0';
            char *dir = dltc__path_join(c->dataset, pre.data);
            int fd = -1;
            rc = dir ? open_inside(c, dir, 1, &fd) : dltc__error_oom();
            if (fd >= 0) close(fd);
            dltc__free(dir);
        }
        dltc__buf_free(&pre);
    }
    if (!rc) rc = compact_schema(c->s, &schema);
    if (!rc) rc = dltc__buf_puts(&row, "{\"version_hash\":");
    if (!rc) rc = dltc__json_write_string(&row, hash, strlen(hash));
    if (!rc) rc = dltc__buf_puts(&row, ",\"schema_name\":");
    if (!rc) rc = dltc__json_write_string(&row, name, strlen(name));
    if (!rc)
        rc = dltc__buf_printf(&row, ",\"version\":%lld,\"engine_version\":%d,\"inserted_at\":",
                              (long long)dltc_schema_version(c->s), DLTC_SCHEMA_ENGINE_VERSION);
    if (!rc) rc = put_utc_z(&row, dltc__now_us());
    if (!rc) rc = dltc__buf_puts(&row, ",\"schema\":");
    if (!rc) rc = dltc__json_write_string(&row, schema.data, schema.len);
    if (!rc) rc = dltc__buf_putc(&row, '}');
    if (!rc)
        rc = dltc__buf_printf(&path, "%s/_dlt_version/%s__%s__%s.jsonl", c->dataset, name,
                              c->load_id, hex.data);
    if (!rc) rc = publish(c, "version", path.data, row.data, row.len, NULL, 0, NULL);
done:
    dlt_files_free(files, n);
    dltc__buf_free(&hex);
    dltc__buf_free(&row);
    dltc__buf_free(&path);
    dltc__buf_free(&schema);
    return rc;
}

/* The state row of the package (dlt's TPipelineStateDoc). */
typedef struct {
    int64_t version, engine_version, created_at_us;
    char *pipeline_name, *state, *version_hash, *load_id;
} state_doc;

static void state_doc_clear(state_doc *d)
{
    dltc__free(d->pipeline_name);
    dltc__free(d->state);
    dltc__free(d->version_hash);
    dltc__free(d->load_id);
    memset(d, 0, sizeof(*d));
}

static int take_str(const dltc_value *v, char **out)
{
    *out = NULL;
    if (!v || v->type != DLTC_TYPE_STRING) return 0;
    *out = dltc__strndup(v->u.s, v->len);
    return *out ? 0 : dltc__error_oom();
}

/* From a jsonl job: the last row. */
static int state_from_jsonl(const char *path, state_doc *d)
{
    char *text = NULL;
    size_t len = 0;
    int rc = dltc__read_file(path, &text, &len);
    if (rc) return rc;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    size_t start = len;
    while (start && text[start - 1] != '\n')
        start--;
    dltc_arena a;
    dltc__arena_init(&a, 16 * 1024);
    dltc_value *v = NULL;
    rc = dltc__json_parse(&a, text + start, len - start, 64, &v, NULL);
    if (!rc && v->type != DLTC_TYPE_OBJECT) rc = dltc__error_set(DLTC_EPARSE, "not a JSON object");
    if (!rc) {
        const dltc_value *ver = dltc_object_get(v, "version"),
                         *eng = dltc_object_get(v, "engine_version"),
                         *at = dltc_object_get(v, "created_at");
        d->version = ver && ver->type == DLTC_TYPE_INT ? ver->u.i : 0;
        d->engine_version = eng && eng->type == DLTC_TYPE_INT ? eng->u.i : 0;
        dltc_iso iso;
        if (at && at->type == DLTC_TYPE_STRING && dltc__iso_parse(at->u.s, at->len, &iso) == 0 &&
            iso.kind == DLTC_ISO_DATETIME)
            d->created_at_us = iso.value;
        dltc_error_clear();
        rc = take_str(dltc_object_get(v, "pipeline_name"), &d->pipeline_name);
        if (!rc) rc = take_str(dltc_object_get(v, "state"), &d->state);
        if (!rc) rc = take_str(dltc_object_get(v, "version_hash"), &d->version_hash);
        if (!rc) rc = take_str(dltc_object_get(v, "_dlt_load_id"), &d->load_id);
    }
    dltc__arena_free(&a);
    dltc__free(text);
    return rc;
}

/* From a csv, insert_values or parquet job: loaded into an in-memory DuckDB table. */
static int state_from_duckdb(fs_load *c, const char *path, const char *format, state_doc *d)
{
    dltc_table *t = dltc__schema_table(c->s, STATE_TABLE, strlen(STATE_TABLE));
    if (!t) return dltc__error_set(DLTC_EINVALID, "the schema has no %s table", STATE_TABLE);
    dltc_duckdb *db;
    dltc_buf q = DLTC_BUF_INIT;
    dltc_rows *r = NULL;
    int rc = duck(c, &db);
    if (!rc) rc = dltc__buf_puts(&q, "CREATE SCHEMA IF NOT EXISTS fs;\n");
    if (!rc) rc = dltc__sql_create_table(&q, DLTC_SQL_DUCKDB, "fs", t);
    if (!rc) rc = dltc__duckdb_exec(db, q.data);
    if (!rc) rc = dltc__duckdb_load_file(db, "fs", t, path, format, NULL);
    dltc__buf_clear(&q);
    if (!rc)
        rc = dltc__buf_puts(&q, "SELECT version, engine_version, pipeline_name, state, "
                                "created_at, version_hash, _dlt_load_id FROM fs."
                                "_dlt_pipeline_state");
    if (!rc) rc = dltc__duckdb_query(db, q.data, &r);
    size_t n = rc ? 0 : dltc_rows_count(r);
    if (!rc && n) {
        const dltc_value *at = dltc_rows_get(r, n - 1, 4);
        d->version = dltc_value_type_of(dltc_rows_get(r, n - 1, 0)) == DLTC_TYPE_INT
                         ? dltc_value_get_int(dltc_rows_get(r, n - 1, 0))
                         : 0;
        d->engine_version = dltc_value_type_of(dltc_rows_get(r, n - 1, 1)) == DLTC_TYPE_INT
                                ? dltc_value_get_int(dltc_rows_get(r, n - 1, 1))
                                : 0;
        d->created_at_us = at->type == DLTC_TYPE_TIMESTAMP ? at->u.i : 0;
        rc = take_str(dltc_rows_get(r, n - 1, 2), &d->pipeline_name);
        if (!rc) rc = take_str(dltc_rows_get(r, n - 1, 3), &d->state);
        if (!rc) rc = take_str(dltc_rows_get(r, n - 1, 5), &d->version_hash);
        if (!rc) rc = take_str(dltc_rows_get(r, n - 1, 6), &d->load_id);
    }
    dltc_rows_free(r);
    if (!rc) rc = dltc__duckdb_exec(db, "DROP TABLE fs._dlt_pipeline_state");
    dltc__buf_free(&q);
    return rc;
}

/* _dlt_pipeline_state/<pipeline>__<load_id>__<schema hash hex>.jsonl with the package's
 * state row, as dlt's _store_current_state writes it (json.dumps of the state doc). */
static int store_state(fs_load *c, const fs_job *j, char **pipeline)
{
    char *fid = NULL, *fmt = NULL;
    dltc_buf src = DLTC_BUF_INIT, row = DLTC_BUF_INIT, path = DLTC_BUF_INIT, hex = DLTC_BUF_INIT;
    state_doc d = {0};
    int rc = job_file_id(j->name, &fid, &fmt);
    if (!rc) rc = job_path(c, j, &src);
    if (!rc)
        rc = !strcmp(fmt, "jsonl") ? state_from_jsonl(src.data, &d)
                                   : state_from_duckdb(c, src.data, fmt, &d);
    if (!rc && (!d.pipeline_name || !d.state))
        rc = dltc__error_set(DLTC_EPARSE, "no pipeline_name or state in the row");
    if (!rc && !is_component(d.pipeline_name))
        rc = dltc__error_set(DLTC_EINVALID, "pipeline name '%s' is not a file name",
                             d.pipeline_name);
    if (!rc)
        rc = dltc__buf_printf(&row,
                              "{\"version\":%lld,\"engine_version\":%lld,"
                              "\"pipeline_name\":",
                              (long long)d.version, (long long)d.engine_version);
    if (!rc) rc = dltc__json_write_string(&row, d.pipeline_name, strlen(d.pipeline_name));
    if (!rc) rc = dltc__buf_puts(&row, ",\"state\":");
    if (!rc) rc = dltc__json_write_string(&row, d.state, strlen(d.state));
    if (!rc) rc = dltc__buf_puts(&row, ",\"created_at\":");
    if (!rc) rc = put_utc_z(&row, d.created_at_us);
    if (!rc) rc = dltc__buf_puts(&row, ",\"version_hash\":");
    if (!rc)
        rc = d.version_hash ? dltc__json_write_string(&row, d.version_hash, strlen(d.version_hash))
                            : dltc__buf_puts(&row, "null");
    if (!rc) rc = dltc__buf_puts(&row, ",\"_dlt_load_id\":");
    if (!rc)
        rc = dltc__json_write_string(&row, d.load_id ? d.load_id : c->load_id,
                                     strlen(d.load_id ? d.load_id : c->load_id));
    if (!rc) rc = dltc__buf_putc(&row, '}');
    if (!rc) rc = hash_hex(dltc_schema_version_hash(c->s), &hex);
    if (!rc)
        rc = dltc__buf_printf(&path, "%s/%s/%s__%s__%s.jsonl", c->dataset, STATE_TABLE,
                              d.pipeline_name, c->load_id, hex.data);
    if (!rc) rc = publish(c, "state", path.data, row.data, row.len, NULL, 0, NULL);
    if (rc) dltc__error_prefix("job %s: ", j->name);
    if (!rc) {
        *pipeline = d.pipeline_name;
        d.pipeline_name = NULL;
    }
    state_doc_clear(&d);
    dltc__free(fid);
    dltc__free(fmt);
    dltc__buf_free(&src);
    dltc__buf_free(&row);
    dltc__buf_free(&path);
    dltc__buf_free(&hex);
    return rc;
}

/* Keep the newest max_state_files state files of the pipeline, as dlt's
 * _cleanup_pipeline_states. It runs after the marker: a crash before it leaves old files
 * that the next load removes, never the state the marker commits. */
static int cleanup_states(fs_load *c, const char *pipeline)
{
    if (c->o->max_state_files <= 0) return 0;
    dlt_file *f = NULL;
    size_t n = 0;
    int rc = dlt_files(c->dataset, STATE_TABLE, 3, pipeline, &f, &n);
    for (size_t i = (size_t)c->o->max_state_files; i < n && !rc; i++)
        rc = unlink_inside(c, f[i].file);
    dlt_files_free(f, n);
    return rc;
}

/* _dlt_loads/<schema>__<load_id>.jsonl: the package is loaded. */
static int store_load(fs_load *c, const char *marker)
{
    const char *name = dltc_schema_name(c->s), *hash = dltc_schema_version_hash(c->s);
    char iso[DLTC_ISO_MAX];
    size_t n = dltc__format_timestamp(iso, dltc__now_us()); /* pendulum isoformat() */
    dltc_buf row = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&row, "{\"load_id\":");
    if (!rc) rc = dltc__json_write_string(&row, c->load_id, strlen(c->load_id));
    if (!rc) rc = dltc__buf_puts(&row, ",\"schema_name\":");
    if (!rc) rc = dltc__json_write_string(&row, name, strlen(name));
    if (!rc) rc = dltc__buf_puts(&row, ",\"status\":0,\"inserted_at\":");
    if (!rc) rc = dltc__json_write_string(&row, iso, n);
    if (!rc) rc = dltc__buf_puts(&row, ",\"schema_version_hash\":");
    if (!rc) rc = dltc__json_write_string(&row, hash, strlen(hash));
    if (!rc) rc = dltc__buf_putc(&row, '}');
    if (!rc) rc = publish(c, "loads", marker, row.data, row.len, NULL, 0, NULL);
    dltc__buf_free(&row);
    return rc;
}

/* ---- data files ---- */

static int store_job(fs_load *c, const fs_job *j, int first, dltc_load_result *res)
{
    char *fid = NULL, *fmt = NULL;
    dltc_buf src = DLTC_BUF_INIT, rel = DLTC_BUF_INIT, dst = DLTC_BUF_INIT, ext = DLTC_BUF_INIT,
             tmp = DLTC_BUF_INIT;
    int rc = job_file_id(j->name, &fid, &fmt);
    int gz = 0;
    if (!rc && is_dlt_table(j->table))
        rc = dltc__error_set(DLTC_EINVALID,
                             "table '%s': names starting with _dlt are dlt's own tables", j->table);
    if (!rc && !text_format(fmt) && strcmp(fmt, "parquet") != 0)
        rc = dltc__error_set(DLTC_EINVALID,
                             "format '%s' is not supported by the filesystem destination", fmt);
    if (!rc) {
        gz = c->o->compression && text_format(fmt);
        rc = dltc__buf_printf(&ext, "%s%s", fmt, gz ? ".gz" : "");
    }
    dltc_fs_path_params p = {dltc_schema_name(c->s),
                             j->table,
                             c->load_id,
                             fid,
                             ext.data,
                             c->o->current_datetime_us ? c->o->current_datetime_us : c->package_us,
                             c->package_us,
                             c->o->extra_placeholders,
                             c->o->nextra_placeholders};
    if (!rc) rc = dltc__fs_render(&rel, c->layout, &p);
    /* a dataset made before dlt 1.15 keeps names without .gz */
    if (!rc && c->v1_names && rel.len > 3 && !strcmp(rel.data + rel.len - 3, ".gz"))
        rel.data[rel.len -= 3] = '\0';
    if (!rc) rc = dltc__buf_printf(&dst, "%s/%s", c->dataset, rel.data);
    if (!rc) rc = job_path(c, j, &src);
    if (!rc) rc = dltc__buf_printf(&tmp, "%s%s", j->name, gz ? ".gz" : "");
    if (!rc)
        rc = publish(c, tmp.data, dst.data, NULL, 0, src.data, gz,
                     first ? "load:fs-after-first-tmp" : NULL);
    uint64_t n = 0;
    if (!rc) rc = count_rows(c, src.data, fmt, &n);
    if (!rc) rc = add_count(res, j->table, n);
    if (rc) dltc__error_prefix("job %s: ", j->name);
    dltc__free(fid);
    dltc__free(fmt);
    dltc__buf_free(&src);
    dltc__buf_free(&rel);
    dltc__buf_free(&dst);
    dltc__buf_free(&ext);
    dltc__buf_free(&tmp);
    return rc;
}

/* What a run that finds no marker does: every file of the package, then the marker. */
static int load_files(fs_load *c, const fs_job *jobs, size_t njobs, const char *marker,
                      dltc_load_result *res)
{
    int fd = -1, rc = open_inside(c, c->tmp_dir, 1, &fd);
    if (fd >= 0) close(fd);
    if (!rc) rc = init_storage(c);
    dltc__crash_point("load:fs-after-init");
    if (!rc) rc = prepare_tables(c, jobs, njobs);
    dltc__crash_point("load:fs-after-truncate");
    if (!rc) rc = store_schema(c);
    dltc__crash_point("load:fs-after-version");
    int first = 1;
    const fs_job *state = NULL;
    for (size_t k = 0; k < njobs && !rc; k++) {
        if (!strcmp(jobs[k].table, STATE_TABLE)) {
            state = &jobs[k]; /* one per package */
            rc = count_job(c, &jobs[k], res);
            continue;
        }
        rc = store_job(c, &jobs[k], first, res);
        if (first) dltc__crash_point("load:fs-after-first-job");
        first = 0;
    }
    dltc__crash_point("load:fs-after-data");
    char *pipeline = NULL;
    if (!rc && state) rc = store_state(c, state, &pipeline);
    dltc__crash_point("load:fs-after-state");
    if (!rc) rc = store_load(c, marker);
    dltc__crash_point("load:fs-after-marker");
    if (!rc && pipeline) rc = cleanup_states(c, pipeline);
    dltc__free(pipeline);
    return rc;
}

static void jobs_free(fs_job *j, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dltc__free(j[i].name);
        dltc__free(j[i].table);
    }
    dltc__free(j);
}

/* new (with started moved back: nothing of theirs counts until the marker) and completed
 * jobs, in name order within each state. */
static int package_jobs(dltc_storage *st, const char *load_id, fs_job **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    char **started = NULL, **names[2] = {NULL, NULL};
    size_t nstarted = 0, n[2] = {0, 0};
    int rc = dltc__package_jobs(st, DLTC_STAGE_NORMALIZED, load_id, DLTC_JOB_STARTED, &started,
                                &nstarted);
    for (size_t i = 0; i < nstarted && !rc; i++)
        rc = dltc__package_job_move(st, load_id, started[i], DLTC_JOB_STARTED, DLTC_JOB_NEW);
    dltc__strv_free(started, nstarted);
    static const dltc_job_state states[2] = {DLTC_JOB_NEW, DLTC_JOB_COMPLETED};
    for (int s = 0; s < 2 && !rc; s++)
        rc = dltc__package_jobs(st, DLTC_STAGE_NORMALIZED, load_id, states[s], &names[s], &n[s]);
    fs_job *v = NULL;
    size_t k = 0;
    if (!rc && n[0] + n[1] && !(v = dltc__calloc(n[0] + n[1], sizeof(*v)))) rc = dltc__error_oom();
    for (int s = 0; s < 2 && !rc; s++)
        for (size_t i = 0; i < n[s] && !rc; i++) {
            const char *dot = strchr(names[s][i], '.');
            v[k].state = states[s];
            v[k].name = names[s][i];
            names[s][i] = NULL;
            v[k].table =
                dltc__strndup(v[k].name, dot ? (size_t)(dot - v[k].name) : strlen(v[k].name));
            if (!v[k++].table) rc = dltc__error_oom();
        }
    for (int s = 0; s < 2; s++)
        dltc__strv_free(names[s], n[s]);
    if (rc) {
        jobs_free(v, k);
        return rc;
    }
    *out = v;
    *nout = k;
    return 0;
}

/* Remove what this load left in .dltc-tmp (a failed write) and the folder when empty. */
static void cleanup_tmp(fs_load *c)
{
    char **names = NULL;
    size_t n = 0, pl = strlen(c->load_id);
    if (dltc__list_dir(c->tmp_dir, DLTC_LIST_FILES, &names, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            if (!strncmp(names[i], c->load_id, pl) && names[i][pl] == '.') {
                char *f = dltc__path_join(c->tmp_dir, names[i]);
                if (f) unlink_inside(c, f);
                dltc__free(f);
            }
    }
    dltc__strv_free(names, n);
    rmdir(c->tmp_dir); /* fails while another load uses it */
    dltc_error_clear();
}

int dltc__fs_load_package(dltc_storage *st, const char *load_id, const dltc_fs_options *o,
                          dltc_load_result *res)
{
    memset(res, 0, sizeof(*res));
    if (!(res->load_id = dltc__strdup(load_id))) return dltc__error_oom();
    int rc = dltc__fs_check_options(o);
    if (rc) return rc;
    if (!is_component(load_id))
        return dltc__error_set(DLTC_EINVALID, "load id '%s' is not a file name", load_id);
    fs_load c = {0};
    c.o = o;
    c.layout = layout_of(o);
    c.load_id = load_id;
    char *pkg = dltc__package_path(st, DLTC_STAGE_NORMALIZED, load_id);
    c.pkg = pkg;
    if (!pkg) return dltc__error_oom();
    char *text = NULL;
    size_t len = 0;
    fs_job *jobs = NULL;
    size_t njobs = 0;
    dltc_buf p = DLTC_BUF_INIT, marker = DLTC_BUF_INIT;
    rc = dltc__buf_printf(&p, "%s/schema.json", pkg);
    if (!rc) rc = dltc__read_file(p.data, &text, &len);
    if (!rc) rc = dltc_schema_import(&c.s, text, len);
    if (rc) dltc__error_prefix("package %s: schema: ", load_id);
    if (!rc && !is_component(dltc_schema_name(c.s)))
        rc = dltc__error_set(DLTC_EINVALID, "schema name '%s' is not a file name",
                             dltc_schema_name(c.s));
    if (!rc) rc = dltc__fs_dataset_path(&c.dataset, o);
    if (!rc && !(c.tmp_dir = dltc__path_join(c.dataset, TMP_DIR))) rc = dltc__error_oom();
    if (!rc) rc = package_jobs(st, load_id, &jobs, &njobs);
    if (!rc) {
        c.package_us = dltc__package_created_us(pkg, load_id);
        rc = dltc__buf_printf(&marker, "%s/_dlt_loads/%s__%s.jsonl", c.dataset,
                              dltc_schema_name(c.s), load_id);
    }
    dltc__crash_point("load:fs-start");
    int done = 0;
    if (!rc) {
        done = dltc__path_exists(marker.data);
        rc = done < 0 ? done : 0;
    }
    if (!rc && done) {
        res->already_loaded = 1;
        for (size_t k = 0; k < njobs && !rc; k++)
            rc = count_job(&c, &jobs[k], res);
    } else if (!rc) {
        rc = load_files(&c, jobs, njobs, marker.data, res);
    }
    int moved = 0;
    for (size_t k = 0; k < njobs && !rc; k++) {
        if (jobs[k].state != DLTC_JOB_NEW) continue;
        rc = dltc__package_job_move(st, load_id, jobs[k].name, DLTC_JOB_NEW, DLTC_JOB_COMPLETED);
        if (!moved++) dltc__crash_point("load:fs-after-first-job-moved");
    }
    dltc__crash_point("load:fs-after-jobs-completed");
    if (!rc) rc = dltc__package_complete(st, load_id, "loaded");
    if (!rc) /* a failed write removed its temporary file itself */
        cleanup_tmp(&c);
    dltc__duckdb_close(c.duck);
    jobs_free(jobs, njobs);
    dltc_schema_free(c.s);
    dltc__free(c.dataset);
    dltc__free(c.tmp_dir);
    dltc__free(text);
    dltc__free(pkg);
    dltc__buf_free(&p);
    dltc__buf_free(&marker);
    return rc;
}

/* ---- drop ---- */

int dltc__fs_drop_tables(const dltc_fs_options *o, dltc_schema *s, const char *const *tables,
                         size_t n)
{
    int rc = dltc__fs_check_options(o);
    if (rc) return rc;
    char load_id[40];
    dltc__load_id_new(load_id);
    fs_load c = {0};
    c.o = o;
    c.layout = layout_of(o);
    c.load_id = load_id;
    c.s = s;
    rc = dltc__fs_dataset_path(&c.dataset, o);
    if (!rc && !(c.tmp_dir = dltc__path_join(c.dataset, TMP_DIR))) rc = dltc__error_oom();
    int exists = rc ? 0 : dltc__path_exists(c.dataset);
    if (exists < 0) rc = exists;
    /* the schema without the tables first: a crash after it leaves files that a second drop
     * (the local schema still lists the tables) deletes */
    if (!rc && exists) rc = store_schema(&c);
    for (size_t i = 0; i < n && !rc && exists; i++) {
        dltc_buf pre = DLTC_BUF_INIT, full = DLTC_BUF_INIT;
        if (is_dlt_table(tables[i]))
            rc = dltc__error_set(DLTC_EINVALID, "table '%s' is dlt's own", tables[i]);
        if (!rc) rc = table_prefix(&c, tables[i], &pre);
        if (!rc) rc = dltc__buf_printf(&full, "%s/%s", c.dataset, pre.data);
        if (!rc) {
            char *dir = dltc__strndup(full.data, (size_t)(strrchr(full.data, '/') - full.data));
            rc = dir ? delete_with_prefix(&c, dir, full.data, 0) : dltc__error_oom();
            /* the table's own folder goes too when it is empty (rmdir fails otherwise) */
            if (!rc && full.len > 1 && full.data[full.len - 1] == '/' && dir) {
                int fd = -1;
                if (open_inside(&c, dir, 0, &fd) == 0) rmdir(dir);
                if (fd >= 0) close(fd);
                dltc_error_clear();
            }
            dltc__free(dir);
        }
        if (rc) dltc__error_prefix("table %s: drop: ", tables[i]);
        dltc__buf_free(&pre);
        dltc__buf_free(&full);
    }
    if (!rc && exists) cleanup_tmp(&c);
    dltc__free(c.dataset);
    dltc__free(c.tmp_dir);
    return rc;
}

/* ---- restore ---- */

static int read_object(const char *path, dltc_arena *a, char **text, dltc_value **v)
{
    size_t len = 0;
    int rc = dltc__read_file(path, text, &len);
    if (!rc) rc = dltc__json_parse(a, *text, len, 0, v, NULL);
    if (!rc && (*v)->type != DLTC_TYPE_OBJECT)
        rc = dltc__error_set(DLTC_EPARSE, "not a JSON object");
    if (rc) dltc__error_prefix("%s: ", path);
    return rc;
}

int dltc__fs_remote_state(char **blob, const dltc_fs_options *o)
{
    *blob = NULL;
    if (!o->pipeline_name || !*o->pipeline_name)
        return dltc__error_set(DLTC_EINVALID, "filesystem destination: no pipeline name");
    char *ds = NULL;
    int rc = dltc__fs_dataset_path(&ds, o);
    dlt_file *loads = NULL, *states = NULL;
    size_t nloads = 0, nstates = 0;
    if (!rc) rc = dlt_files(ds, "_dlt_loads", 2, NULL, &loads, &nloads);
    if (!rc) rc = dlt_files(ds, STATE_TABLE, 3, o->pipeline_name, &states, &nstates);
    /* newest first: the first state whose load completed */
    const dlt_file *pick = NULL;
    for (size_t i = 0; i < nstates && !pick; i++)
        for (size_t k = 0; k < nloads && !pick; k++)
            if (!strcmp(states[i].n.parts[1], loads[k].n.parts[1])) pick = &states[i];
    if (!rc && pick) {
        dltc_arena a;
        dltc__arena_init(&a, 16 * 1024);
        char *text = NULL;
        dltc_value *v = NULL;
        rc = read_object(pick->file, &a, &text, &v);
        const dltc_value *s = rc ? NULL : dltc_object_get(v, "state");
        if (!rc && (!s || s->type != DLTC_TYPE_STRING))
            rc = dltc__error_set(DLTC_EPARSE, "%s: no state", pick->file);
        if (!rc && !(*blob = dltc__strndup(s->u.s, s->len))) rc = dltc__error_oom();
        dltc__free(text);
        dltc__arena_free(&a);
    }
    dlt_files_free(loads, nloads);
    dlt_files_free(states, nstates);
    dltc__free(ds);
    return rc;
}

int dltc__fs_remote_schema(dltc_schema **out, const dltc_fs_options *o, const char *schema_name)
{
    *out = NULL;
    char *ds = NULL;
    int rc = dltc__fs_dataset_path(&ds, o);
    dlt_file *f = NULL;
    size_t n = 0;
    if (!rc) rc = dlt_files(ds, "_dlt_version", 3, schema_name, &f, &n);
    if (!rc && n) {
        dltc_arena a;
        dltc__arena_init(&a, 64 * 1024);
        char *text = NULL;
        dltc_value *v = NULL;
        rc = read_object(f[0].file, &a, &text, &v);
        const dltc_value *s = rc ? NULL : dltc_object_get(v, "schema");
        if (!rc && (!s || s->type != DLTC_TYPE_STRING))
            rc = dltc__error_set(DLTC_EPARSE, "%s: no schema", f[0].file);
        if (!rc) rc = dltc_schema_import(out, s->u.s, s->len);
        if (rc) dltc__error_prefix("schema %s in %s/_dlt_version: ", schema_name, ds);
        dltc__free(text);
        dltc__arena_free(&a);
    }
    dlt_files_free(f, n);
    dltc__free(ds);
    return rc;
}
