/* Warnings and notes of the library (dlt logs them with Python's logging): one line each,
 * secrets masked, to the handler set with dltc_log_set_handler (default: stderr from
 * WARNING up, as dlt's default runtime.log_level). */
#ifndef DLTC_COMMON_LOG_H
#define DLTC_COMMON_LOG_H

#include "common/error.h"
#include "dltc/common.h"

void dltc__log(int level, const char *fmt, ...) DLTC_PRINTF(2, 3);

#endif
