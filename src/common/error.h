/* Internal error helpers: set the per-thread last error and return its code. */
#ifndef DLTC_COMMON_ERROR_H
#define DLTC_COMMON_ERROR_H

#include "dltc/common.h"

#if defined(__GNUC__)
#define DLTC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DLTC_PRINTF(a, b)
#endif

/* Record `code` with a formatted one-line message; returns `code` so callers can
 * `return dltc__error_set(...)`. */
int dltc__error_set(int code, const char *fmt, ...) DLTC_PRINTF(2, 3);

/* Prepend context ("file.jsonl: ") to the current message, keeping the lower layer's words. */
void dltc__error_prefix(const char *fmt, ...) DLTC_PRINTF(1, 2);

/* Register a secret value (a token, password, key): from now on it is replaced by "***" in
 * every error message of the process, whichever layer formats it. Values shorter than 8
 * bytes are not registered (they would mask ordinary words). Thread-safe; copies `value`. */
int dltc__secret_register(const char *value);
/* Replace every registered secret in `s` (NUL-terminated; it only shrinks) by "***". */
void dltc__secret_scrub(char *s);

/* Shorthand for allocation failures. */
int dltc__error_oom(void);

#endif
