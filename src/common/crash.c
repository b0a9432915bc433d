#include "common/crash.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void dltc__crash_point(const char *name)
{
    static const char *target = (const char *)1, *pause_at = (const char *)1;
    if (target == (const char *)1) {
        target = getenv("DLTC_CRASH_AT");
        pause_at = getenv("DLTC_PAUSE_AT");
    }
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
