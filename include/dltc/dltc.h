/* dltc — the data load tool in C. Umbrella header: include this one. */
#ifndef DLTC_H
#define DLTC_H

#include "dltc/common.h"
#include "dltc/value.h"
#include "dltc/schema.h"
#include "dltc/normalize.h"
#include "dltc/dataset.h"
#include "dltc/resource.h"
#include "dltc/progress.h"
#include "dltc/pipeline.h"
#include "dltc/http.h"
#include "dltc/config.h"
#include "dltc/rest.h"
#include "dltc/rest_api.h"
#include "dltc/sql_database.h"
#include "dltc/filesystem_source.h"
#include "dltc/pipeline_file.h"
#include "dltc/web.h"

#endif
