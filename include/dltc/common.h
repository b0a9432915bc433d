/*
 * dltc — common definitions: export marker, error codes, the per-thread last error,
 * version and the allocator hook.
 */
#ifndef DLTC_COMMON_H
#define DLTC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DLTC_BUILDING) && defined(__GNUC__)
#define DLTC_EXTERN __attribute__((visibility("default")))
#else
#define DLTC_EXTERN
#endif

#define DLTC_VERSION "0.1.0"
#define DLTC_VERSION_MAJOR 0
#define DLTC_VERSION_MINOR 1
#define DLTC_VERSION_PATCH 0

/* Return codes. Functions that can fail return 0 or one of these (negative). */
typedef enum {
    DLTC_OK = 0,
    DLTC_ERROR = -1,      /* generic failure */
    DLTC_ENOMEM = -2,     /* allocation failed */
    DLTC_ENOTFOUND = -3,  /* a named thing does not exist */
    DLTC_EINVALID = -4,   /* invalid argument, hint or data */
    DLTC_EPARSE = -5,     /* malformed input (JSON, TOML, ISO time …) */
    DLTC_EIO = -6,        /* file system */
    DLTC_ENETWORK = -7,   /* HTTP / connection */
    DLTC_EDATABASE = -8,  /* destination reported an error */
    DLTC_ELIMIT = -9,     /* a configured limit was exceeded */
    DLTC_EDATA = -10,     /* the destination refuses a value for good: a retry cannot help */
    DLTC_ITEROVER = -31   /* iteration finished: not an error */
} dltc_error_code;

typedef struct {
    int code;            /* one of dltc_error_code */
    const char *message; /* one line, never NULL when code != 0 */
} dltc_error;

/*
 * The last error raised on this thread. The pointer is lent and stays valid until the next
 * failing dltc call on this thread. Returns a struct with code 0 and message "" if none.
 */
DLTC_EXTERN const dltc_error *dltc_error_last(void);

/* Forget the last error of this thread. */
DLTC_EXTERN void dltc_error_clear(void);

/* The library version as "MAJOR.MINOR.PATCH". Static string. */
DLTC_EXTERN const char *dltc_version(void);

/*
 * Allocator hook for the whole library. All three functions must be set; payload is passed
 * last. Set before any other dltc call (not thread-safe against concurrent allocations).
 * dltc_allocator_set(NULL) restores malloc/realloc/free.
 */
typedef struct {
    void *(*malloc_fn)(size_t size, void *payload);
    void *(*realloc_fn)(void *ptr, size_t size, void *payload);
    void (*free_fn)(void *ptr, void *payload);
    void *payload;
} dltc_allocator;

DLTC_EXTERN void dltc_allocator_set(const dltc_allocator *allocator);

/* Free a string or buffer the library handed out through `char **out` (JSON, info text,
 * redacted URLs, paths …), with the allocator that made it. The one way to free them; NULL
 * accepted. Objects with a lifetime have their own _free. */
DLTC_EXTERN void dltc_free(void *ptr);

/*
 * Warnings and notes (what dlt logs: a merge appended on the filesystem, a guessed
 * paginator…): one line each, secrets masked. By default lines from DLTC_LOG_WARNING up go to
 * stderr as "dltc WARNING: …". A handler gets every line from `min_level` up instead (NULL
 * restores stderr). Thread-safe; the handler may be called from any thread that runs dltc.
 */
typedef enum {
    DLTC_LOG_DEBUG = 10,
    DLTC_LOG_INFO = 20,
    DLTC_LOG_WARNING = 30,
    DLTC_LOG_ERROR = 40
} dltc_log_level;
typedef void (*dltc_log_fn)(int level, const char *message, void *payload);
DLTC_EXTERN void dltc_log_set_handler(dltc_log_fn fn, void *payload, int min_level);

#ifdef __cplusplus
}
#endif
#endif
