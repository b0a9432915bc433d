/* Durable file-system primitives: atomic file replacement, folder fsync, mkdir -p, rm -rf,
 * sorted listings. Everything reports DLTC_EIO with the path and the failing call. */
#include "package/fsutil.h"
#include "package/package.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"

/* Files read whole are metadata (schemas, states, markers): bounded. */
#define DLTC_READ_FILE_LIMIT ((size_t)1 << 30)

int dltc__io_error(const char *path, const char *what)
{
    return dltc__error_set(DLTC_EIO, "%s: %s: %s", path, what, strerror(errno));
}

static char *join_parts(const char *const *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(parts[i]) + 1;
    char *p = dltc__malloc(len);
    if (!p) {
        dltc__error_oom();
        return NULL;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        if (i)
            p[at++] = '/';
        memcpy(p + at, parts[i], l);
        at += l;
    }
    p[at] = '\0';
    return p;
}

char *dltc__path_join(const char *a, const char *b)
{
    const char *parts[2] = {a, b};
    return join_parts(parts, 2);
}

char *dltc__path_join3(const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    return join_parts(parts, 3);
}

char *dltc__path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return dltc__strdup(".");
    if (slash == path)
        return dltc__strdup("/");
    char *d = dltc__strndup(path, (size_t)(slash - path));
    if (!d)
        dltc__error_oom();
    return d;
}

int dltc__path_exists(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return 1;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    return dltc__io_error(path, "stat failed");
}

int dltc__fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dltc__io_error(path, "open folder failed");
    if (fsync(fd) != 0) {
        int rc = dltc__io_error(path, "fsync folder failed");
        close(fd);
        return rc;
    }
    close(fd);
    return 0;
}

static int write_all(int fd, const char *path, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return dltc__io_error(path, "write failed");
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int dltc__write_file_atomic(const char *path, const void *data, size_t len)
{
    size_t pl = strlen(path);
    char *tmp = dltc__malloc(pl + 5);
    char *dir = dltc__path_dirname(path);
    int rc = 0;
    if (!tmp || !dir) {
        rc = dltc__error_oom();
        goto out;
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = dltc__io_error(tmp, "open failed");
        goto out;
    }
    rc = write_all(fd, tmp, data, len);
    if (!rc && fsync(fd) != 0)
        rc = dltc__io_error(tmp, "fsync failed");
    if (close(fd) != 0 && !rc)
        rc = dltc__io_error(tmp, "close failed");
    if (!rc && rename(tmp, path) != 0)
        rc = dltc__io_error(path, "rename failed");
    if (rc) {
        unlink(tmp);
        goto out;
    }
    rc = dltc__fsync_dir(dir);
out:
    dltc__free(tmp);
    dltc__free(dir);
    return rc;
}

int dltc__read_file(const char *path, char **data, size_t *len)
{
    *data = NULL;
    if (len)
        *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return dltc__error_set(DLTC_ENOTFOUND, "%s: no such file", path);
        return dltc__io_error(path, "open failed");
    }
    dltc_buf b = DLTC_BUF_INIT;
    b.limit = DLTC_READ_FILE_LIMIT;
    int rc = dltc__buf_reserve(&b, 4096);
    while (!rc) {
        if (b.cap - b.len <= 1)
            rc = dltc__buf_reserve(&b, b.cap);
        if (rc)
            break;
        ssize_t r = read(fd, b.data + b.len, b.cap - b.len - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = dltc__io_error(path, "read failed");
            break;
        }
        if (r == 0)
            break;
        b.len += (size_t)r;
    }
    close(fd);
    if (rc) {
        if (rc == DLTC_ELIMIT)
            dltc__error_prefix("%s: ", path);
        dltc__buf_free(&b);
        return rc;
    }
    b.data[b.len] = '\0';
    if (len)
        *len = b.len;
    *data = dltc__buf_detach(&b);
    return 0;
}

/* mkdir one folder; created=1 when it did not exist. */
static int mkdir_one(const char *path, int *created)
{
    *created = 0;
    if (mkdir(path, 0755) == 0) {
        *created = 1;
        return 0;
    }
    if (errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
    }
    return dltc__io_error(path, "mkdir failed");
}

int dltc__mkdirs(const char *path)
{
    char *p = dltc__strdup(path);
    if (!p)
        return dltc__error_oom();
    int rc = 0;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    /* create each missing component and make its entry durable in the parent */
    for (size_t i = 1; i <= n && !rc; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        int created;
        rc = mkdir_one(p, &created);
        if (!rc && created) {
            char *parent = dltc__path_dirname(p);
            rc = parent ? dltc__fsync_dir(parent) : DLTC_ENOMEM;
            dltc__free(parent);
        }
        p[i] = saved;
    }
    dltc__free(p);
    return rc;
}

int dltc__rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return dltc__io_error(path, "stat failed");
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0 && errno != ENOENT)
            return dltc__io_error(path, "unlink failed");
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return dltc__io_error(path, "open folder failed");
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *child = dltc__path_join(path, e->d_name);
        rc = child ? dltc__rmtree(child) : DLTC_ENOMEM;
        dltc__free(child);
    }
    closedir(d);
    if (!rc && rmdir(path) != 0 && errno != ENOENT)
        rc = dltc__io_error(path, "rmdir failed");
    return rc;
}

void dltc__strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        dltc__free(v[i]);
    dltc__free(v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int dltc__list_dir(const char *path, dltc_list_kind kind, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return dltc__error_set(DLTC_ENOTFOUND, "%s: no such folder", path);
        return dltc__io_error(path, "open folder failed");
    }
    char **v = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue; /* removed while listing */
            rc = dltc__io_error(path, "stat failed");
            break;
        }
        if (kind == DLTC_LIST_DIRS ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
            continue;
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nv = dltc__realloc(v, nc * sizeof(*v));
            if (!nv) {
                rc = dltc__error_oom();
                break;
            }
            v = nv;
            cap = nc;
        }
        if (!(v[len] = dltc__strdup(e->d_name))) {
            rc = dltc__error_oom();
            break;
        }
        len++;
        errno = 0;
    }
    if (!rc && errno != 0)
        rc = dltc__io_error(path, "read folder failed");
    closedir(d);
    if (rc) {
        dltc__strv_free(v, len);
        return rc;
    }
    if (len > 1)
        qsort(v, len, sizeof(*v), cmp_str);
    *names = v;
    *n = len;
    return 0;
}

static int fsync_path(const char *path, int is_dir)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (is_dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return dltc__io_error(path, "open failed");
    int rc = 0;
    if (fsync(fd) != 0)
        rc = dltc__io_error(path, "fsync failed");
    close(fd);
    return rc;
}

int dltc__sync_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return dltc__io_error(path, "open folder failed");
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = dltc__io_error(path, "stat failed");
            break;
        }
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            continue;
        char *child = dltc__path_join(path, e->d_name);
        if (!child) {
            rc = DLTC_ENOMEM;
            break;
        }
        rc = S_ISDIR(st.st_mode) ? dltc__sync_tree(child) : fsync_path(child, 0);
        dltc__free(child);
    }
    closedir(d);
    if (!rc)
        rc = fsync_path(path, 1);
    return rc;
}
