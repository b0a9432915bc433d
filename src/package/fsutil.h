/* File-system helpers of the package storage that are not part of package.h: path joining,
 * sorted folder listings and the one-line I/O error. */
#ifndef DLTC_PACKAGE_FSUTIL_H
#define DLTC_PACKAGE_FSUTIL_H

#include <stddef.h>

/* "a/b" and "a/b/c" (malloc'd; NULL with DLTC_ENOMEM set). */
char *dltc__path_join(const char *a, const char *b);
char *dltc__path_join3(const char *a, const char *b, const char *c);

/* The folder part of a path (malloc'd): "a/b/c" -> "a/b", "c" -> ".". */
char *dltc__path_dirname(const char *path);

/* DLTC_EIO with "<path>: <what>: <strerror(errno)>". */
int dltc__io_error(const char *path, const char *what);

/* 1 if path exists (lstat), 0 if not, DLTC_EIO on other errors. */
int dltc__path_exists(const char *path);

typedef enum {
    DLTC_LIST_DIRS = 1, /* sub folders only */
    DLTC_LIST_FILES     /* regular files only */
} dltc_list_kind;

/* Names in a folder (never "." or ".."), of one kind, sorted by strcmp. Names that start with
 * '.' are left out. *names is the caller's (dltc__strv_free). */
int dltc__list_dir(const char *path, dltc_list_kind kind, char ***names, size_t *n);

/* fsync every file and folder under path (the folder included), so that a following rename
 * publishes durable content. */
int dltc__sync_tree(const char *path);

#endif
