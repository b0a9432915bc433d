/* Load packages on disk: the storage layout, stage transitions (each one rename of the package
 * folder) and job moves, and the recovery of what a killed run leaves behind.
 *
 * Crash model: every transition is "prepare in a place nobody reads, fsync, one rename, fsync
 * both parents". Whatever precedes the rename is garbage that dltc__storage_open removes;
 * whatever follows it is idempotent clean-up that dltc__storage_open finishes. */
#include "package/package.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "package/fsutil.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/time.h"
#include "formats/json.h"

#define NORMALIZE_VERSION "1.0.1"
#define LOAD_VERSION "1.0.0"
#define COMPLETED_FILE "package_completed.json"
#define EXCEPTION_SUFFIX ".exception"
#define TMP_SUFFIX ".tmp"
/* dlt names the extract folder uniq_id(8) = secrets.token_hex(8): 16 lowercase hex chars. */
#define TMP_NAME_BYTES 8

struct dltc_storage {
    char *dir;       /* working dir */
    char *normalize; /* <wd>/normalize */
    char *extracted; /* <wd>/normalize/extracted */
    char *load;      /* <wd>/load */
    char *load_new;  /* <wd>/load/new */
    char *normalized;
    char *loaded;
};

static const char *const JOB_FOLDERS[] = {"new_jobs", "started_jobs", "completed_jobs",
                                          "failed_jobs"};

static const char *job_folder(dltc_job_state st)
{
    return JOB_FOLDERS[st - DLTC_JOB_NEW];
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !memcmp(s + a - b, suffix, b);
}

/* A load id or job file name must be one path component that is not hidden. */
static int check_name(const char *what, const char *name)
{
    if (!name || !*name)
        return dltc__error_set(DLTC_EINVALID, "%s: empty name", what);
    if (name[0] == '.')
        return dltc__error_set(DLTC_EINVALID, "%s '%s': must not start with '.'", what, name);
    if (strchr(name, '/'))
        return dltc__error_set(DLTC_EINVALID, "%s '%s': must not contain '/'", what, name);
    if (strlen(name) > 255)
        return dltc__error_set(DLTC_EINVALID, "%s: name longer than 255 bytes", what);
    return 0;
}

static const char *stage_dir(const dltc_storage *s, dltc_stage stage)
{
    switch (stage) {
    case DLTC_STAGE_EXTRACTED:
        return s->extracted;
    case DLTC_STAGE_NORMALIZED:
        return s->normalized;
    case DLTC_STAGE_LOADED:
        return s->loaded;
    }
    return NULL;
}

/* ---- layout ---- */

/* Write <dir>/.version unless it holds `want`; `upgrade_from` is an older version that is
 * rewritten (its layout is a subset of ours). */
static int ensure_version(const char *dir, const char *want, const char *upgrade_from)
{
    char *path = dltc__path_join(dir, ".version");
    if (!path)
        return DLTC_ENOMEM;
    char *have = NULL;
    int rc = dltc__read_file(path, &have, NULL);
    if (rc == DLTC_ENOTFOUND) {
        rc = dltc__write_file_atomic(path, want, strlen(want));
    } else if (!rc) {
        size_t n = strlen(have);
        while (n && (have[n - 1] == '\n' || have[n - 1] == ' '))
            have[--n] = '\0';
        if (upgrade_from && !strcmp(have, upgrade_from))
            rc = dltc__write_file_atomic(path, want, strlen(want));
        else if (strcmp(have, want))
            rc = dltc__error_set(DLTC_EINVALID, "%s: storage version '%s' is not supported (%s)",
                                 path, have, want);
    }
    dltc__free(have);
    dltc__free(path);
    return rc;
}

void dltc__storage_free(dltc_storage *s)
{
    if (!s)
        return;
    dltc__free(s->dir);
    dltc__free(s->normalize);
    dltc__free(s->extracted);
    dltc__free(s->load);
    dltc__free(s->load_new);
    dltc__free(s->normalized);
    dltc__free(s->loaded);
    dltc__free(s);
}

const char *dltc__storage_dir(const dltc_storage *s)
{
    return s->dir;
}

static int is_tmp_folder_name(const char *name)
{
    /* everything in normalize/ except extracted/ and hidden entries is an extract in progress */
    return name[0] != '.' && strcmp(name, "extracted") != 0;
}

/* Remove *.tmp files (interrupted atomic writes) in a folder. */
static int remove_tmp_files(const char *dir)
{
    char **files;
    size_t n;
    int rc = dltc__list_dir(dir, DLTC_LIST_FILES, &files, &n);
    if (rc == DLTC_ENOTFOUND)
        return 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (!ends_with(files[i], TMP_SUFFIX))
            continue;
        char *p = dltc__path_join(dir, files[i]);
        if (!p)
            rc = DLTC_ENOMEM;
        else if (unlink(p) != 0 && errno != ENOENT)
            rc = dltc__io_error(p, "unlink failed");
        dltc__free(p);
    }
    dltc__strv_free(files, n);
    /* hidden temp files (".version.tmp") are not listed: check the one we write */
    if (!rc) {
        char *v = dltc__path_join(dir, ".version" TMP_SUFFIX);
        if (!v)
            rc = DLTC_ENOMEM;
        else if (unlink(v) != 0 && errno != ENOENT)
            rc = dltc__io_error(v, "unlink failed");
        dltc__free(v);
    }
    return rc;
}

/* <file>.exception in failed_jobs without its <file>: a job_fail killed before the move. */
static int remove_orphan_exceptions(const char *failed_dir)
{
    char **files;
    size_t n;
    int rc = dltc__list_dir(failed_dir, DLTC_LIST_FILES, &files, &n);
    if (rc == DLTC_ENOTFOUND)
        return 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (!ends_with(files[i], EXCEPTION_SUFFIX))
            continue;
        char *p = dltc__path_join(failed_dir, files[i]);
        if (!p) {
            rc = DLTC_ENOMEM;
            break;
        }
        p[strlen(p) - strlen(EXCEPTION_SUFFIX)] = '\0';
        int ex = dltc__path_exists(p);
        if (ex == 0) {
            p[strlen(p)] = '.'; /* restore "<file>.exception" */
            if (unlink(p) != 0 && errno != ENOENT)
                rc = dltc__io_error(p, "unlink failed");
        } else if (ex < 0) {
            rc = ex;
        }
        dltc__free(p);
    }
    dltc__strv_free(files, n);
    return rc;
}

/* Leftovers inside a pending package: temp files, orphan exception files and, for a
 * normalized package, the completion marker of a completion that did not reach the rename. */
static int recover_package(const char *pkg, int normalized)
{
    int rc = remove_tmp_files(pkg);
    for (size_t j = 0; !rc && j < 4; j++) {
        char *jd = dltc__path_join(pkg, JOB_FOLDERS[j]);
        if (!jd)
            return DLTC_ENOMEM;
        rc = remove_tmp_files(jd);
        if (!rc && j == 3)
            rc = remove_orphan_exceptions(jd);
        dltc__free(jd);
    }
    if (!rc && normalized) {
        char *m = dltc__path_join(pkg, COMPLETED_FILE);
        if (!m)
            return DLTC_ENOMEM;
        if (unlink(m) != 0 && errno != ENOENT)
            rc = dltc__io_error(m, "unlink failed");
        dltc__free(m);
    }
    if (!rc)
        rc = dltc__fsync_dir(pkg);
    return rc;
}

static int recover(dltc_storage *s)
{
    char **v = NULL;
    size_t n = 0;
    int rc;

    /* 1. extracts in progress: normalize/<random>/ */
    rc = dltc__list_dir(s->normalize, DLTC_LIST_DIRS, &v, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!is_tmp_folder_name(v[i]))
            continue;
        char *p = dltc__path_join(s->normalize, v[i]);
        rc = p ? dltc__rmtree(p) : DLTC_ENOMEM;
        dltc__free(p);
    }
    dltc__strv_free(v, n);
    v = NULL, n = 0;
    if (!rc)
        rc = remove_tmp_files(s->normalize);
    if (!rc)
        rc = dltc__fsync_dir(s->normalize);

    /* 2. normalizations in progress: load/new/<id> (redone from the extracted package) */
    if (!rc)
        rc = dltc__list_dir(s->load_new, DLTC_LIST_DIRS, &v, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        char *p = dltc__path_join(s->load_new, v[i]);
        rc = p ? dltc__rmtree(p) : DLTC_ENOMEM;
        dltc__free(p);
    }
    dltc__strv_free(v, n);
    v = NULL, n = 0;
    if (!rc)
        rc = remove_tmp_files(s->load_new);
    if (!rc)
        rc = dltc__fsync_dir(s->load_new);
    if (!rc)
        rc = remove_tmp_files(s->load);

    /* 3. normalized packages: finish the deletion of their extracted package */
    if (!rc)
        rc = dltc__list_dir(s->normalized, DLTC_LIST_DIRS, &v, &n);
    int removed_extracted = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        char *p = dltc__path_join(s->normalized, v[i]);
        char *e = dltc__path_join(s->extracted, v[i]);
        if (!p || !e)
            rc = DLTC_ENOMEM;
        if (!rc)
            rc = recover_package(p, 1);
        if (!rc) {
            int ex = dltc__path_exists(e);
            if (ex > 0) {
                rc = dltc__rmtree(e);
                removed_extracted = 1;
            } else if (ex < 0) {
                rc = ex;
            }
        }
        dltc__free(p);
        dltc__free(e);
    }
    dltc__strv_free(v, n);
    v = NULL, n = 0;
    if (!rc && removed_extracted)
        rc = dltc__fsync_dir(s->extracted);

    /* 4. extracted packages: interrupted writes inside them */
    if (!rc)
        rc = dltc__list_dir(s->extracted, DLTC_LIST_DIRS, &v, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        char *p = dltc__path_join(s->extracted, v[i]);
        rc = p ? recover_package(p, 0) : DLTC_ENOMEM;
        dltc__free(p);
    }
    dltc__strv_free(v, n);
    return rc;
}

int dltc__storage_open(dltc_storage **out, const char *working_dir)
{
    *out = NULL;
    if (!working_dir || !*working_dir)
        return dltc__error_set(DLTC_EINVALID, "package storage: empty working dir");
    dltc_storage *s = dltc__calloc(1, sizeof(*s));
    if (!s)
        return dltc__error_oom();
    size_t wl = strlen(working_dir);
    while (wl > 1 && working_dir[wl - 1] == '/')
        wl--;
    s->dir = dltc__strndup(working_dir, wl);
    if (s->dir) {
        s->normalize = dltc__path_join(s->dir, "normalize");
        s->load = dltc__path_join(s->dir, "load");
    }
    if (s->normalize && s->load) {
        s->extracted = dltc__path_join(s->normalize, "extracted");
        s->load_new = dltc__path_join(s->load, "new");
        s->normalized = dltc__path_join(s->load, "normalized");
        s->loaded = dltc__path_join(s->load, "loaded");
    }
    int rc = 0;
    if (!s->extracted || !s->load_new || !s->normalized || !s->loaded)
        rc = dltc__error_oom();
    const char *dirs[] = {s->extracted, s->load_new, s->normalized, s->loaded};
    for (size_t i = 0; !rc && i < sizeof(dirs) / sizeof(dirs[0]); i++)
        rc = dltc__mkdirs(dirs[i]);
    if (!rc)
        rc = ensure_version(s->normalize, NORMALIZE_VERSION, "1.0.0");
    if (!rc)
        rc = ensure_version(s->load, LOAD_VERSION, NULL);
    if (!rc)
        rc = recover(s);
    if (rc) {
        dltc__storage_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---- listing ---- */

int dltc__storage_list(dltc_storage *s, dltc_stage stage, char ***ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    const char *d = stage_dir(s, stage);
    if (!d)
        return dltc__error_set(DLTC_EINVALID, "package storage: unknown stage %d", (int)stage);
    return dltc__list_dir(d, DLTC_LIST_DIRS, ids, n);
}

char *dltc__package_path(const dltc_storage *s, dltc_stage stage, const char *load_id)
{
    if (check_name("load id", load_id))
        return NULL;
    const char *d = stage_dir(s, stage);
    if (!d) {
        dltc__error_set(DLTC_EINVALID, "package storage: unknown stage %d", (int)stage);
        return NULL;
    }
    return dltc__path_join(d, load_id);
}

/* The package folder of a stage, which must exist (DLTC_ENOTFOUND otherwise). */
static int existing_package(const dltc_storage *s, dltc_stage stage, const char *load_id,
                            char **out)
{
    *out = dltc__package_path(s, stage, load_id);
    if (!*out)
        return dltc_error_last()->code ? dltc_error_last()->code : DLTC_ENOMEM;
    int ex = dltc__path_exists(*out);
    if (ex > 0)
        return 0;
    int rc = ex < 0 ? ex : dltc__error_set(DLTC_ENOTFOUND, "%s: no such package", *out);
    dltc__free(*out);
    *out = NULL;
    return rc;
}

/* ---- creating packages ---- */

static int make_package_dirs(const char *pkg)
{
    int rc = dltc__mkdirs(pkg);
    for (size_t j = 0; !rc && j < 4; j++) {
        char *jd = dltc__path_join(pkg, JOB_FOLDERS[j]);
        rc = jd ? dltc__mkdirs(jd) : DLTC_ENOMEM;
        dltc__free(jd);
    }
    return rc;
}

/* mkdir normalize/<random>; the folder name is handed back (malloc'd). */
static int make_tmp_folder(dltc_storage *s, char **out)
{
    static const char hex[] = "0123456789abcdef";
    *out = NULL;
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned char r[TMP_NAME_BYTES];
        char name[2 * TMP_NAME_BYTES + 1];
        int rc = dltc__random_bytes(r, sizeof(r));
        if (rc)
            return rc;
        for (size_t i = 0; i < sizeof(r); i++) {
            name[2 * i] = hex[r[i] >> 4];
            name[2 * i + 1] = hex[r[i] & 15];
        }
        name[sizeof(name) - 1] = '\0';
        if (!strcmp(name, "extracted"))
            continue;
        char *p = dltc__path_join(s->normalize, name);
        if (!p)
            return DLTC_ENOMEM;
        if (mkdir(p, 0755) == 0) {
            rc = dltc__fsync_dir(s->normalize);
            if (rc) {
                rmdir(p);
                dltc__free(p);
                return rc;
            }
            *out = p;
            return 0;
        }
        if (errno != EEXIST) {
            rc = dltc__io_error(p, "mkdir failed");
            dltc__free(p);
            return rc;
        }
        dltc__free(p);
    }
    return dltc__error_set(DLTC_EIO, "%s: could not create a unique temporary folder",
                           s->normalize);
}

/* Delete a folder atomically: one rename moves it into a fresh normalize/<random>/ (which
 * dltc__storage_open removes if we die), then the slow rm -rf. */
static int trash_folder(dltc_storage *s, const char *path, const char *name)
{
    char *tmp = NULL, *dst = NULL, *parent = NULL;
    int rc = make_tmp_folder(s, &tmp);
    if (!rc) {
        dst = dltc__path_join(tmp, name);
        parent = dltc__path_dirname(path);
        if (!dst || !parent)
            rc = DLTC_ENOMEM;
    }
    if (!rc && rename(path, dst) != 0) {
        if (errno == EXDEV) {
            rc = dltc__rmtree(path); /* cannot happen inside one working dir; be safe */
            if (!rc)
                rc = dltc__fsync_dir(parent);
            dltc__free(dst);
            dst = NULL;
        } else {
            rc = dltc__io_error(path, "rename failed");
        }
    } else if (!rc) {
        rc = dltc__fsync_dir(parent);
        if (!rc)
            rc = dltc__fsync_dir(tmp);
    }
    if (tmp) {
        int rc2 = dltc__rmtree(tmp);
        if (!rc2)
            rc2 = dltc__fsync_dir(s->normalize);
        if (!rc)
            rc = rc2;
    }
    dltc__free(tmp);
    dltc__free(dst);
    dltc__free(parent);
    return rc;
}

/* rename a package folder and make both parents durable. */
static int move_folder(const char *from, const char *to)
{
    if (rename(from, to) != 0) {
        if (errno == EEXIST || errno == ENOTEMPTY)
            return dltc__error_set(DLTC_EINVALID, "%s: already exists", to);
        if (errno == ENOENT)
            return dltc__error_set(DLTC_ENOTFOUND, "%s: no such package", from);
        return dltc__io_error(from, "rename failed");
    }
    char *pf = dltc__path_dirname(from);
    char *pt = dltc__path_dirname(to);
    int rc = (!pf || !pt) ? DLTC_ENOMEM : dltc__fsync_dir(pf);
    if (!rc)
        rc = dltc__fsync_dir(pt);
    dltc__free(pf);
    dltc__free(pt);
    return rc;
}

int dltc__package_begin_extract(dltc_storage *s, const char *load_id, char **path)
{
    *path = NULL;
    int rc = check_name("load id", load_id);
    if (rc)
        return rc;
    char *tmp = NULL;
    rc = make_tmp_folder(s, &tmp);
    if (rc)
        return rc;
    char *pkg = dltc__path_join(tmp, load_id);
    rc = pkg ? make_package_dirs(pkg) : DLTC_ENOMEM;
    if (rc) {
        dltc__rmtree(tmp);
        dltc__free(pkg);
        dltc__free(tmp);
        return rc;
    }
    dltc__free(tmp);
    *path = pkg;
    return 0;
}

/* `path` must be normalize/<tmp>/<load_id> as handed out by begin_extract. */
static int check_extract_path(const dltc_storage *s, const char *path, const char *load_id)
{
    size_t nl = strlen(s->normalize);
    const char *rest = path;
    if (strncmp(path, s->normalize, nl) || path[nl] != '/')
        goto bad;
    rest = path + nl + 1;
    const char *slash = strchr(rest, '/');
    if (!slash || slash == rest || strcmp(slash + 1, load_id))
        goto bad;
    if ((size_t)(slash - rest) == strlen("extracted") && !strncmp(rest, "extracted", 9))
        goto bad;
    if (rest[0] == '.')
        goto bad;
    return 0;
bad:
    return dltc__error_set(DLTC_EINVALID, "%s: not an extract folder of load id '%s'", path,
                           load_id);
}

int dltc__package_commit_extract(dltc_storage *s, const char *path, const char *load_id)
{
    int rc = check_name("load id", load_id);
    if (!rc)
        rc = check_extract_path(s, path, load_id);
    if (rc)
        return rc;
    char *dst = dltc__path_join(s->extracted, load_id);
    char *tmp = dltc__path_dirname(path);
    if (!dst || !tmp)
        rc = DLTC_ENOMEM;
    if (!rc) {
        int ex = dltc__path_exists(dst);
        if (ex > 0)
            rc = dltc__error_set(DLTC_EINVALID, "%s: already exists", dst);
        else if (ex < 0)
            rc = ex;
    }
    if (!rc)
        rc = dltc__sync_tree(path);
    if (!rc)
        rc = move_folder(path, dst);
    if (!rc) {
        /* the emptied temporary folder; a leftover is removed by dltc__storage_open */
        if (rmdir(tmp) == 0)
            rc = dltc__fsync_dir(s->normalize);
    }
    dltc__free(dst);
    dltc__free(tmp);
    return rc;
}

void dltc__package_abort_extract(dltc_storage *s, const char *path)
{
    const char *id = path ? strrchr(path, '/') : NULL;
    if (!id || check_extract_path(s, path, id + 1))
        return;
    char *tmp = dltc__path_dirname(path);
    if (tmp && !dltc__rmtree(tmp))
        dltc__fsync_dir(s->normalize);
    dltc__free(tmp);
}

int dltc__package_begin_normalize(dltc_storage *s, const char *load_id, char **path)
{
    *path = NULL;
    int rc = check_name("load id", load_id);
    if (rc)
        return rc;
    char *pkg = dltc__path_join(s->load_new, load_id);
    if (!pkg)
        return DLTC_ENOMEM;
    rc = dltc__rmtree(pkg);
    if (!rc)
        rc = make_package_dirs(pkg);
    if (rc) {
        dltc__free(pkg);
        return rc;
    }
    *path = pkg;
    return 0;
}

int dltc__package_commit_normalize(dltc_storage *s, const char *load_id)
{
    int rc = check_name("load id", load_id);
    if (rc)
        return rc;
    char *src = dltc__path_join(s->load_new, load_id);
    char *dst = dltc__path_join(s->normalized, load_id);
    char *ext = dltc__path_join(s->extracted, load_id);
    if (!src || !dst || !ext)
        rc = DLTC_ENOMEM;
    if (!rc) {
        int ex = dltc__path_exists(src);
        if (ex == 0)
            rc = dltc__error_set(DLTC_ENOTFOUND, "%s: no such package", src);
        else if (ex < 0)
            rc = ex;
    }
    if (!rc) {
        int ex = dltc__path_exists(dst);
        if (ex > 0)
            rc = dltc__error_set(DLTC_EINVALID, "%s: already exists", dst);
        else if (ex < 0)
            rc = ex;
    }
    if (!rc)
        rc = dltc__sync_tree(src);
    if (!rc)
        rc = move_folder(src, dst);
    /* only now is the extracted package redundant */
    if (!rc) {
        int ex = dltc__path_exists(ext);
        if (ex > 0)
            rc = trash_folder(s, ext, load_id);
        else if (ex < 0)
            rc = ex;
    }
    dltc__free(src);
    dltc__free(dst);
    dltc__free(ext);
    return rc;
}

/* ---- jobs ---- */

static int check_job_state(dltc_job_state st)
{
    if (st < DLTC_JOB_NEW || st > DLTC_JOB_FAILED)
        return dltc__error_set(DLTC_EINVALID, "package storage: unknown job state %d", (int)st);
    return 0;
}

int dltc__package_jobs(dltc_storage *s, dltc_stage stage, const char *load_id,
                       dltc_job_state state, char ***files, size_t *n)
{
    *files = NULL;
    *n = 0;
    int rc = check_job_state(state);
    char *pkg = NULL;
    if (!rc)
        rc = existing_package(s, stage, load_id, &pkg);
    if (rc)
        return rc;
    char *jd = dltc__path_join(pkg, job_folder(state));
    dltc__free(pkg);
    if (!jd)
        return DLTC_ENOMEM;
    char **v;
    size_t len;
    rc = dltc__list_dir(jd, DLTC_LIST_FILES, &v, &len);
    dltc__free(jd);
    if (rc)
        return rc;
    /* keep job files only: drop exception messages and interrupted writes (order is kept) */
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (ends_with(v[i], EXCEPTION_SUFFIX) || ends_with(v[i], TMP_SUFFIX))
            dltc__free(v[i]);
        else
            v[k++] = v[i];
    }
    if (k == 0) {
        dltc__free(v);
        v = NULL;
    }
    *files = v;
    *n = k;
    return 0;
}

uint64_t dltc__package_jobs_bytes(const char *pkg, dltc_job_state state, char *const *files,
                                  size_t n)
{
    assert(state >= DLTC_JOB_NEW && state <= DLTC_JOB_FAILED);
    uint64_t total = 0;
    dltc_buf b = DLTC_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        dltc__buf_clear(&b);
        if (dltc__buf_printf(&b, "%s/%s/%s", pkg, job_folder(state), files[i]) == 0 &&
            stat(b.data, &st) == 0)
            total += (uint64_t)st.st_size;
    }
    dltc__buf_free(&b);
    return total;
}

void dltc__package_jobs_total(dltc_storage *s, dltc_stage stage, const char *load_id,
                              dltc_job_state state, size_t *njobs, uint64_t *bytes)
{
    char *pkg = dltc__package_path(s, stage, load_id);
    char **jobs = NULL;
    size_t n = 0;
    *bytes = 0;
    if (pkg && dltc__package_jobs(s, stage, load_id, state, &jobs, &n) == 0)
        *bytes = dltc__package_jobs_bytes(pkg, state, jobs, n);
    dltc_error_clear();
    *njobs = n;
    dltc__strv_free(jobs, n);
    dltc__free(pkg);
}

/* Paths of a job file in two job folders of a normalized package. */
static int job_paths(dltc_storage *s, const char *load_id, const char *file, dltc_job_state from,
                     dltc_job_state to, char **src, char **dst)
{
    *src = *dst = NULL;
    int rc = check_name("job file", file);
    if (!rc)
        rc = check_job_state(from);
    if (!rc)
        rc = check_job_state(to);
    if (!rc && from == to)
        rc = dltc__error_set(DLTC_EINVALID, "job %s: already in %s", file, job_folder(to));
    char *pkg = NULL;
    if (!rc)
        rc = existing_package(s, DLTC_STAGE_NORMALIZED, load_id, &pkg);
    if (rc)
        return rc;
    *src = dltc__path_join3(pkg, job_folder(from), file);
    *dst = dltc__path_join3(pkg, job_folder(to), file);
    dltc__free(pkg);
    if (!*src || !*dst) {
        dltc__free(*src);
        dltc__free(*dst);
        *src = *dst = NULL;
        return DLTC_ENOMEM;
    }
    int ex = dltc__path_exists(*src);
    if (ex == 0)
        rc = dltc__error_set(DLTC_ENOTFOUND, "%s: no such job", *src);
    else if (ex < 0)
        rc = ex;
    if (!rc) {
        ex = dltc__path_exists(*dst);
        if (ex > 0)
            rc = dltc__error_set(DLTC_EINVALID, "%s: already exists", *dst);
        else if (ex < 0)
            rc = ex;
    }
    if (rc) {
        dltc__free(*src);
        dltc__free(*dst);
        *src = *dst = NULL;
    }
    return rc;
}

/* rename a job file and make both job folders durable */
static int move_file(const char *src, const char *dst)
{
    if (rename(src, dst) != 0) {
        if (errno == ENOENT)
            return dltc__error_set(DLTC_ENOTFOUND, "%s: no such job", src);
        return dltc__io_error(src, "rename failed");
    }
    char *ds = dltc__path_dirname(src);
    char *dd = dltc__path_dirname(dst);
    int rc = (!ds || !dd) ? DLTC_ENOMEM : dltc__fsync_dir(ds);
    if (!rc)
        rc = dltc__fsync_dir(dd);
    dltc__free(ds);
    dltc__free(dd);
    return rc;
}

int dltc__package_job_move(dltc_storage *s, const char *load_id, const char *file,
                           dltc_job_state from, dltc_job_state to)
{
    char *src, *dst;
    int rc = job_paths(s, load_id, file, from, to, &src, &dst);
    if (rc)
        return rc;
    rc = move_file(src, dst);
    dltc__free(src);
    dltc__free(dst);
    return rc;
}

int dltc__package_job_fail(dltc_storage *s, const char *load_id, const char *file,
                           dltc_job_state from, const char *message)
{
    char *src, *dst;
    int rc = job_paths(s, load_id, file, from, DLTC_JOB_FAILED, &src, &dst);
    if (rc)
        return rc;
    /* the message first: killed before the move, it is an orphan that storage_open removes */
    if (message && *message) {
        size_t dl = strlen(dst), sl = strlen(EXCEPTION_SUFFIX);
        char *exc = dltc__malloc(dl + sl + 1);
        if (!exc) {
            rc = dltc__error_oom();
        } else {
            memcpy(exc, dst, dl);
            memcpy(exc + dl, EXCEPTION_SUFFIX, sl + 1);
            rc = dltc__write_file_atomic(exc, message, strlen(message));
            dltc__free(exc);
        }
    }
    if (!rc)
        rc = move_file(src, dst);
    dltc__free(src);
    dltc__free(dst);
    return rc;
}

/* "<table>.<file_id>.<retry>.<format>[.gz]" with retry+1 (malloc'd). */
static int next_retry_name(const char *file, char **out)
{
    *out = NULL;
    const char *dots[5];
    size_t nd = 0;
    for (const char *p = file; *p; p++)
        if (*p == '.') {
            if (nd == 4)
                goto bad;
            dots[nd++] = p;
        }
    if (nd != 3 && !(nd == 4 && !strcmp(dots[3], ".gz")))
        goto bad;
    const char *r = dots[1] + 1, *re = dots[2];
    if (r == re || re - r > 9)
        goto bad;
    unsigned long retry = 0;
    for (const char *p = r; p < re; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        retry = retry * 10 + (unsigned long)(*p - '0');
    }
    char num[24];
    int nl = snprintf(num, sizeof(num), "%lu", retry + 1);
    size_t head = (size_t)(r - file), tail = strlen(re);
    char *o = dltc__malloc(head + (size_t)nl + tail + 1);
    if (!o)
        return dltc__error_oom();
    memcpy(o, file, head);
    memcpy(o + head, num, (size_t)nl);
    memcpy(o + head + (size_t)nl, re, tail + 1);
    *out = o;
    return 0;
bad:
    return dltc__error_set(DLTC_EINVALID, "job file '%s': not <table>.<file_id>.<retry>.<format>",
                           file);
}

int dltc__package_job_retry(dltc_storage *s, const char *load_id, const char *file,
                            char **new_file)
{
    if (new_file)
        *new_file = NULL;
    int rc = check_name("job file", file);
    char *next = NULL, *src = NULL, *dst = NULL, *pkg = NULL;
    if (!rc)
        rc = next_retry_name(file, &next);
    if (!rc)
        rc = existing_package(s, DLTC_STAGE_NORMALIZED, load_id, &pkg);
    if (!rc) {
        src = dltc__path_join3(pkg, job_folder(DLTC_JOB_STARTED), file);
        dst = dltc__path_join3(pkg, job_folder(DLTC_JOB_NEW), next);
        if (!src || !dst)
            rc = DLTC_ENOMEM;
    }
    if (!rc) {
        int ex = dltc__path_exists(dst);
        if (ex > 0)
            rc = dltc__error_set(DLTC_EINVALID, "%s: already exists", dst);
        else if (ex < 0)
            rc = ex;
    }
    if (!rc)
        rc = move_file(src, dst);
    if (!rc && new_file) {
        *new_file = next;
        next = NULL;
    }
    dltc__free(next);
    dltc__free(src);
    dltc__free(dst);
    dltc__free(pkg);
    return rc;
}

/* ---- completing and deleting ---- */

int dltc__package_complete(dltc_storage *s, const char *load_id, const char *status)
{
    if (!status || (strcmp(status, "loaded") && strcmp(status, "aborted")))
        return dltc__error_set(DLTC_EINVALID, "package %s: completion status must be 'loaded' "
                                              "or 'aborted', not '%s'",
                               load_id ? load_id : "", status ? status : "");
    char *src = NULL;
    int rc = existing_package(s, DLTC_STAGE_NORMALIZED, load_id, &src);
    if (rc)
        return rc;
    char *marker = dltc__path_join(src, COMPLETED_FILE);
    char *dst = dltc__path_join(s->loaded, load_id);
    if (!marker || !dst)
        rc = DLTC_ENOMEM;
    if (!rc) {
        int ex = dltc__path_exists(dst);
        if (ex > 0)
            rc = dltc__error_set(DLTC_EINVALID, "%s: already exists", dst);
        else if (ex < 0)
            rc = ex;
    }
    /* dlt writes the bare status; a marker left in load/normalized is dropped on open */
    if (!rc)
        rc = dltc__write_file_atomic(marker, status, strlen(status));
    if (!rc)
        rc = move_folder(src, dst);
    dltc__free(marker);
    dltc__free(dst);
    dltc__free(src);
    return rc;
}

int dltc__package_delete(dltc_storage *s, dltc_stage stage, const char *load_id)
{
    char *pkg = NULL;
    int rc = existing_package(s, stage, load_id, &pkg);
    if (rc)
        return rc;
    rc = trash_folder(s, pkg, load_id);
    dltc__free(pkg);
    return rc;
}

int64_t dltc__package_created_us(const char *pkg, const char *load_id)
{
    double secs = 0;
    sscanf(load_id, "%lf", &secs);
    int64_t us = (int64_t)(secs * 1e6);
    dltc_buf p = DLTC_BUF_INIT;
    char *text = NULL;
    size_t len = 0;
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *doc = NULL;
    dltc_json_error err;
    if (dltc__buf_printf(&p, "%s/load_package_state.json", pkg) == 0 &&
        dltc__read_file(p.data, &text, &len) == 0 &&
        dltc__json_parse(&a, text, len, 16, &doc, &err) == 0 && doc->type == DLTC_TYPE_OBJECT) {
        const dltc_value *v = dltc_object_get(doc, "created_at");
        size_t n = 0;
        const char *iso = v && v->type == DLTC_TYPE_STRING ? dltc_value_get_str(v, &n) : NULL;
        if (iso && n > 3 && (unsigned char)iso[0] == 0xEF) /* typed: U+F027 prefix */
            iso += 3, n -= 3;
        dltc_iso parsed;
        if (iso && dltc__iso_parse(iso, n, &parsed) == 0 && parsed.kind == DLTC_ISO_DATETIME)
            us = parsed.value;
    }
    dltc_error_clear();
    dltc__arena_free(&a);
    dltc__free(text);
    dltc__buf_free(&p);
    return us;
}
