/* Crash points for the crash-safety tests: when the environment variable DLTC_CRASH_AT
 * names a point, the process kills itself there with SIGKILL (no cleanup, like a power cut).
 * DLTC_PAUSE_AT=<point>:<seconds> sleeps there instead (a test stops a server meanwhile).
 * Costs a string compare per point when a variable is set, nothing otherwise. */
#ifndef DLTC_COMMON_CRASH_H
#define DLTC_COMMON_CRASH_H

void dltc__crash_point(const char *name);

#endif
