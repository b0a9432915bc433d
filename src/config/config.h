/* Configuration and secrets providers (environment, secrets.toml, config.toml) and dlt's key
 * resolution; the public API is include/dltc/config.h. Internal helpers for tests. */
#ifndef DLTC_CONFIG_CONFIG_H
#define DLTC_CONFIG_CONFIG_H

#include "dltc/config.h"

/* dlt's global directory (RunContext.global_dir): $DLT_DATA_DIR when set; /var/dlt when
 * `is_root`; <tmp>/dlt when there is no writable home; $XDG_DATA_HOME/dlt when that is set and
 * ~/<settings folder> does not exist; else ~/<settings folder> ($DLT_CONFIG_FOLDER or .dlt).
 * *out is malloc'd (dltc_free). */
int dltc__config_global_dir(char **out, int is_root);

#endif
