/* Per-thread last error. Messages are kept in a fixed thread-local buffer so that reporting
 * an error never needs to allocate (it must work after an allocation failed). */
#include "common/error.h"

#include "common/alloc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DLTC_ERROR_MAX 1024

static _Thread_local char tl_message[DLTC_ERROR_MAX];
static _Thread_local dltc_error tl_error = {0, ""};

/* ---- secrets: masked in every message (a lower layer may quote a URL or a body) ---- */

static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;
static char **secrets;
static size_t nsecrets, capsecrets;

int dltc__secret_register(const char *value)
{
    if (!value || strlen(value) < 8)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&secrets_lock);
    for (size_t i = 0; i < nsecrets; i++)
        if (strcmp(secrets[i], value) == 0)
            goto done;
    if (nsecrets == capsecrets) {
        size_t cap = capsecrets ? capsecrets * 2 : 8;
        char **n = dltc__realloc(secrets, cap * sizeof(*n));
        if (!n) {
            rc = DLTC_ENOMEM;
            goto done;
        }
        secrets = n;
        capsecrets = cap;
    }
    if (!(secrets[nsecrets] = dltc__strdup(value)))
        rc = DLTC_ENOMEM;
    else
        nsecrets++;
done:
    pthread_mutex_unlock(&secrets_lock);
    return rc ? dltc__error_oom() : 0;
}

void dltc__secret_scrub(char *s)
{
    pthread_mutex_lock(&secrets_lock);
    for (size_t i = 0; i < nsecrets; i++) {
        size_t sl = strlen(secrets[i]);
        char *p;
        while ((p = strstr(s, secrets[i])) != NULL) {
            /* the text only shrinks (sl >= 8 > 3), so this ends and fits */
            size_t rest = strlen(p + sl);
            memmove(p + 3, p + sl, rest);
            memcpy(p, "***", 3);
            p[3 + rest] = '\0';
        }
    }
    pthread_mutex_unlock(&secrets_lock);
}

int dltc__error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tl_message, sizeof(tl_message), fmt, ap);
    va_end(ap);
    dltc__secret_scrub(tl_message);
    /* keep the message one line */
    for (char *p = tl_message; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    tl_error.code = code;
    tl_error.message = tl_message;
    return code;
}

void dltc__error_prefix(const char *fmt, ...)
{
    char prefix[DLTC_ERROR_MAX];
    char old[DLTC_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, tl_message, sizeof(old));
    size_t pl = strlen(prefix), ol = strlen(old);
    if (pl > sizeof(tl_message) - 1)
        pl = sizeof(tl_message) - 1;
    if (ol > sizeof(tl_message) - 1 - pl)
        ol = sizeof(tl_message) - 1 - pl;
    memcpy(tl_message, prefix, pl);
    memcpy(tl_message + pl, old, ol);
    tl_message[pl + ol] = '\0';
    dltc__secret_scrub(tl_message);
    tl_error.message = tl_message;
    if (tl_error.code == 0)
        tl_error.code = DLTC_ERROR;
}

int dltc__error_oom(void)
{
    return dltc__error_set(DLTC_ENOMEM, "out of memory");
}

const dltc_error *dltc_error_last(void)
{
    return &tl_error;
}

void dltc_error_clear(void)
{
    tl_error.code = 0;
    tl_message[0] = '\0';
    tl_error.message = tl_message;
}

const char *dltc_version(void)
{
    return DLTC_VERSION;
}
