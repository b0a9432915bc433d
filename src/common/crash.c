#include "common/crash.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *target, *pause_at;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void read_env(void)
{
    target = getenv("DLTC_CRASH_AT");
    pause_at = getenv("DLTC_PAUSE_AT");
}

void dltc__crash_point(const char *name)
{
    pthread_once(&once, read_env); /* points are met on the normalizer's thread too */
    if (target && strcmp(target, name) == 0)
        kill(getpid(), SIGKILL);
    /* DLTC_PAUSE_AT=<point>:<seconds>: stop there a while (a test takes a server away) */
    size_t n = strlen(name);
    if (pause_at && strncmp(pause_at, name, n) == 0 && pause_at[n] == ':') {
        double s = strtod(pause_at + n + 1, NULL);
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
        nanosleep(&ts, NULL);
    }
}
