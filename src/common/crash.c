#include "common/crash.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void dltc__crash_point(const char *name)
{
    static const char *target = (const char *)1;
    if (target == (const char *)1)
        target = getenv("DLTC_CRASH_AT");
    if (target && strcmp(target, name) == 0)
        kill(getpid(), SIGKILL);
}
