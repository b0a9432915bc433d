/* Extract of plain data (JSON text or files) into a new load package. Files are copied into
 * the package as they are (the kernel copies; validation happens in normalize), so a crash
 * after the extract commit loses nothing: the next run normalizes and loads the package.
 * The package also gets the schema with the resource hints, the pipeline state row when the
 * state changed, and load_package_state.json. */
#include "extract/extract.h"
#include "common/alloc.h"
#include "common/crash.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/progress.h"
#include "common/time.h"
#include "dltc/schema.h"
#include "formats/json.h"
#include "package/package.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copies `in` (named `what`) into the job file `dst`; errors name the file that failed. */
static int copy_fd(int in, int out, const char *what, const char *dst)
{
    /* the kernel copies when it can */
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n > 0)
            continue;
        if (n == 0)
            return 0;
        if (errno == EINTR)
            continue;
        break; /* EXDEV, EINVAL (pipes), ENOSYS: fall back */
    }
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return dltc__error_set(DLTC_EIO, "%s: read failed: %s", what, strerror(errno));
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return dltc__error_set(DLTC_EIO, "%s: write failed: %s", dst, strerror(errno));
            }
            off += w;
        }
    }
}

static int job_path(dltc_buf *b, const char *pkg, const char *table, const char *ext)
{
    uint8_t r[5];
    int rc = dltc__random_bytes(r, sizeof(r));
    if (!rc)
        rc = dltc__buf_printf(b, "%s/new_jobs/%s.%02x%02x%02x%02x%02x.0.%s", pkg, table, r[0], r[1],
                              r[2], r[3], r[4], ext);
    return rc;
}

static int write_job(const char *path, const char *data, size_t len, const char *src_path)
{
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot create: %s", path, strerror(errno));
    int rc = 0;
    if (src_path) {
        int in = strcmp(src_path, "-") == 0 ? 0 : open(src_path, O_RDONLY | O_CLOEXEC);
        if (in < 0)
            rc = dltc__error_set(DLTC_EIO, "%s: cannot open: %s", src_path, strerror(errno));
        else {
            rc = copy_fd(in, out, strcmp(src_path, "-") == 0 ? "<stdin>" : src_path, path);
            if (in > 0)
                close(in);
        }
    } else {
        for (size_t off = 0; off < len && !rc;) {
            ssize_t w = write(out, data + off, len - off);
            if (w < 0 && errno != EINTR)
                rc = dltc__error_set(DLTC_EIO, "%s: write failed: %s", path, strerror(errno));
            else if (w > 0)
                off += (size_t)w;
        }
    }
    if (!rc && fsync(out) != 0)
        rc = dltc__error_set(DLTC_EIO, "%s: fsync: %s", path, strerror(errno));
    close(out);
    return rc;
}

/* dlt's _dlt_pipeline_state table */
static int ensure_state_table(dltc_schema *s)
{
    if (dltc__schema_table(s, "_dlt_pipeline_state", 19))
        return 0;
    dltc_table *t;
    int rc = dltc__schema_add_table(s, "_dlt_pipeline_state", NULL, &t);
    if (rc)
        return rc;
    if (!(t->write_disposition = dltc__strdup("append")) ||
        !(t->resource = dltc__strdup("_dlt_pipeline_state")) ||
        !(t->file_format = dltc__strdup("preferred")))
        return dltc__error_oom();
    static const struct {
        const char *name;
        int type;
        int nullable;
    } cols[] = {{"version", DLTC_DT_BIGINT, 0},       {"engine_version", DLTC_DT_BIGINT, 0},
                {"pipeline_name", DLTC_DT_TEXT, 0},   {"state", DLTC_DT_TEXT, 0},
                {"created_at", DLTC_DT_TIMESTAMP, 0}, {"version_hash", DLTC_DT_TEXT, 1},
                {"_dlt_load_id", DLTC_DT_TEXT, 0}};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        long idx = dltc__table_new_column(s, t, cols[i].name, strlen(cols[i].name),
                                          cols[i].type, 0);
        if (idx < 0)
            return (int)idx;
        t->cols[idx].nullable = (int8_t)cols[i].nullable;
    }
    return 0;
}

static int state_job(const char *pkg, dltc_state *st, const char *load_id)
{
    dltc_buf blob = DLTC_BUF_INIT, row = DLTC_BUF_INIT, path = DLTC_BUF_INIT;
    char iso[DLTC_ISO_MAX];
    size_t n = dltc__format_timestamp(iso, dltc__now_us());
    int rc = dltc__state_blob(st, &blob);
    if (!rc)
        rc = dltc__buf_printf(&row, "{\"version\":%lld,\"engine_version\":%d,\"pipeline_name\":",
                              (long long)st->version, DLTC_STATE_ENGINE_VERSION);
    if (!rc)
        rc = dltc__json_write_string(&row, st->pipeline_name, strlen(st->pipeline_name));
    if (!rc)
        rc = dltc__buf_puts(&row, ",\"state\":");
    if (!rc)
        rc = dltc__json_write_string(&row, blob.data, blob.len);
    if (!rc)
        rc = dltc__buf_puts(&row, ",\"created_at\":");
    if (!rc)
        rc = dltc__json_write_string(&row, iso, n);
    if (!rc)
        rc = dltc__buf_puts(&row, ",\"version_hash\":");
    if (!rc)
        rc = dltc__json_write_string(&row, st->version_hash, strlen(st->version_hash));
    if (!rc)
        rc = dltc__buf_puts(&row, ",\"_dlt_load_id\":");
    if (!rc)
        rc = dltc__json_write_string(&row, load_id, strlen(load_id));
    if (!rc)
        rc = dltc__buf_puts(&row, "}\n");
    if (!rc)
        rc = job_path(&path, pkg, "_dlt_pipeline_state", "json");
    if (!rc)
        rc = write_job(path.data, row.data, row.len, NULL);
    dltc__buf_free(&blob);
    dltc__buf_free(&row);
    dltc__buf_free(&path);
    return rc;
}

static int package_state(const char *pkg, const char *load_id, const char *fingerprint,
                         const dltc_buf *sources)
{
    dltc_buf b = DLTC_BUF_INIT, path = DLTC_BUF_INIT;
    char iso[DLTC_ISO_MAX + 4] = "\xef\x80\xa7"; /* U+F027: typed datetime */
    double secs = 0;
    sscanf(load_id, "%lf", &secs);
    size_t n = dltc__format_timestamp(iso + 3, (int64_t)(secs * 1e6));
    int rc = dltc__buf_puts(&b, "{\"_state_version\":1,\"_state_engine_version\":1,\"created_at\":");
    if (!rc)
        rc = dltc__json_write_string(&b, iso, n + 3);
    if (!rc && fingerprint) {
        rc = dltc__buf_puts(&b, ",\"extract_fingerprint\":");
        if (!rc)
            rc = dltc__json_write_string(&b, fingerprint, strlen(fingerprint));
    }
    if (!rc && sources->len) {
        rc = dltc__buf_puts(&b, ",\"job_sources\":{");
        if (!rc)
            rc = dltc__buf_put(&b, sources->data, sources->len);
        if (!rc)
            rc = dltc__buf_putc(&b, '}');
    }
    if (!rc)
        rc = dltc__buf_puts(&b, "}");
    if (!rc)
        rc = dltc__buf_printf(&path, "%s/load_package_state.json", pkg);
    if (!rc)
        rc = dltc__write_file_atomic(path.data, b.data, b.len);
    dltc__buf_free(&b);
    dltc__buf_free(&path);
    return rc;
}

int dltc__extract_begin(dltc_storage *storage, const char *load_id, char **pkg)
{
    int rc = dltc__package_begin_extract(storage, load_id, pkg);
    dltc__crash_point("extract:after-begin");
    return rc;
}

int dltc__extract_job_path(dltc_buf *out, const char *pkg, const char *table, const char *ext)
{
    return job_path(out, pkg, table, ext);
}

int dltc__extract_finish(dltc_storage *storage, dltc_schema *s, dltc_state *st, char *pkg,
                         const char *load_id, const char *fingerprint, const dltc_buf *sources,
                         int ok)
{
    int rc = ok ? 0 : (dltc_error_last()->code ? dltc_error_last()->code : DLTC_ERROR);
    /* the state goes with the data when it changed since the last extract */
    if (!rc)
        rc = dltc__state_add_schema_name(st, s->name);
    if (!rc) {
        int changed = dltc__state_update_hash(st);
        rc = changed < 0 ? changed : 0;
        if (!rc && (!st->last_extracted_hash || strcmp(st->last_extracted_hash, st->version_hash))) {
            rc = ensure_state_table(s);
            if (!rc)
                rc = state_job(pkg, st, load_id);
        }
    }
    dltc__crash_point("extract:after-state");
    char *doc = NULL;
    dltc_buf path = DLTC_BUF_INIT;
    if (!rc)
        rc = dltc_schema_export(&doc, s, DLTC_SCHEMA_JSON, 0);
    if (!rc)
        rc = dltc__buf_printf(&path, "%s/schema.json", pkg);
    if (!rc)
        rc = dltc__write_file_atomic(path.data, doc, strlen(doc));
    dltc_free(doc);
    dltc_buf none = DLTC_BUF_INIT;
    if (!rc)
        rc = package_state(pkg, load_id, fingerprint, sources ? sources : &none);
    dltc__crash_point("extract:before-commit");
    if (!rc)
        rc = dltc__package_commit_extract(storage, pkg, load_id);
    else
        dltc__package_abort_extract(storage, pkg);
    dltc__crash_point("extract:after-commit");
    if (!rc) {
        dltc__free(st->last_extracted_hash);
        st->last_extracted_hash = dltc__strdup(st->version_hash);
        st->last_extracted_at_us = dltc__now_us();
    }
    dltc__buf_free(&path);
    return rc;
}

int dltc__extract_plain(dltc_storage *storage, dltc_schema *s, dltc_state *st,
                        const dltc_extract_input *in, const dltc_table_hints *hints,
                        const char *fingerprint, const char *load_id)
{
    dltc_table *t;
    int rc = dltc__schema_apply_data_hints(s, in->table_name, hints, &t);
    if (rc)
        return rc;
    char *pkg = NULL;
    rc = dltc__extract_begin(storage, load_id, &pkg);
    if (rc)
        return rc;
    dltc_buf path = DLTC_BUF_INIT;
    dltc__progress *pg = in->progress;
    for (size_t i = 0; pg && i < in->npaths; i++) { /* the total: the files' sizes */
        struct stat fst;
        if (strcmp(in->paths[i], "-") && stat(in->paths[i], &fst) == 0 && S_ISREG(fst.st_mode))
            dltc__progress_add_total(pg, DLTC_PROGRESS_EXTRACT, (uint64_t)fst.st_size);
    }
    if (in->json) {
        rc = job_path(&path, pkg, t->name, "json");
        if (!rc)
            rc = write_job(path.data, in->json, in->json_len, NULL);
        if (!rc)
            dltc__progress_add(pg, DLTC_PROGRESS_EXTRACT, t->name, 0, 0, in->json_len);
    }
    dltc_buf sources = DLTC_BUF_INIT; /* "job file": "input it came from", … */
    for (size_t i = 0; i < in->npaths && !rc; i++) {
        dltc__buf_clear(&path);
        rc = job_path(&path, pkg, t->name, "json");
        if (!rc)
            rc = write_job(path.data, NULL, 0, in->paths[i]);
        struct stat jst;
        if (!rc && pg && stat(path.data, &jst) == 0) /* copied unread: bytes, no rows */
            dltc__progress_add(pg, DLTC_PROGRESS_EXTRACT, t->name, 0, 1, (uint64_t)jst.st_size);
        const char *job = strrchr(path.data, '/') + 1;
        const char *src = strcmp(in->paths[i], "-") == 0 ? "<stdin>" : in->paths[i];
        if (!rc && sources.len)
            rc = dltc__buf_putc(&sources, ',');
        if (!rc)
            rc = dltc__json_write_string(&sources, job, strlen(job));
        if (!rc)
            rc = dltc__buf_putc(&sources, ':');
        if (!rc)
            rc = dltc__json_write_string(&sources, src, strlen(src));
        dltc__crash_point("extract:after-job");
    }
    int frc = dltc__extract_finish(storage, s, st, pkg, load_id, fingerprint, &sources, rc == 0);
    dltc__buf_free(&sources);
    dltc__buf_free(&path);
    dltc__free(pkg);
    return rc ? rc : frc;
}

int dltc__extract_fingerprint(const dltc_extract_input *in, const dltc_table_hints *h,
                              char out[48])
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&b, "table=%s;wd=%s;pk=%s;mk=%s;ms=%s;n=%d;ff=%s;cols=%s;",
                              in->table_name, h && h->write_disposition ? h->write_disposition : "",
                              h && h->primary_key ? h->primary_key : "",
                              h && h->merge_key ? h->merge_key : "",
                              h && h->merge_strategy ? h->merge_strategy : "",
                              h ? h->max_table_nesting : -1,
                              h && h->file_format ? h->file_format : "",
                              h && h->columns ? h->columns : "");
    for (size_t i = 0; i < in->npaths && !rc; i++) {
        struct stat sb;
        if (strcmp(in->paths[i], "-") == 0) { /* a pipe cannot be recognized again */
            dltc__buf_free(&b);
            return 1;
        }
        char real[4096];
        if (!realpath(in->paths[i], real) || stat(real, &sb) != 0) {
            dltc__buf_free(&b);
            return 1; /* the copy will report the error */
        }
        rc = dltc__buf_printf(&b, "file=%s;%lld;%lld.%09ld;%llu;%llu;", real, (long long)sb.st_size,
                              (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
                              (unsigned long long)sb.st_ino, (unsigned long long)sb.st_dev);
    }
    if (!rc && in->json)
        rc = dltc__buf_put(&b, in->json, in->json_len);
    if (!rc) {
        uint8_t h32[32];
        dltc__sha3_256(b.data, b.len, h32);
        dltc__base64_encode(h32, sizeof(h32), out, 1);
    }
    dltc__buf_free(&b);
    return rc;
}
