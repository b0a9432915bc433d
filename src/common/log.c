#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static dltc_log_fn log_fn;
static void *log_payload;
static int log_min = DLTC_LOG_WARNING;

void dltc_log_set_handler(dltc_log_fn fn, void *payload, int min_level)
{
    pthread_mutex_lock(&log_lock);
    log_fn = fn;
    log_payload = payload;
    log_min = min_level;
    pthread_mutex_unlock(&log_lock);
}

static const char *level_name(int level)
{
    return level >= DLTC_LOG_ERROR     ? "ERROR"
           : level >= DLTC_LOG_WARNING ? "WARNING"
           : level >= DLTC_LOG_INFO    ? "INFO"
                                       : "DEBUG";
}

void dltc__log(int level, const char *fmt, ...)
{
    pthread_mutex_lock(&log_lock);
    dltc_log_fn fn = log_fn;
    void *payload = log_payload;
    int min = log_min;
    pthread_mutex_unlock(&log_lock);
    if (level < min)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++) /* one line */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    dltc__secret_scrub(msg);
    if (fn)
        fn(level, msg, payload);
    else
        fprintf(stderr, "dltc %s: %s\n", level_name(level), msg);
}
