/* resource.c to pipeline.c: the C source behind a dlt._dltc.Source, and the Python error
 * one of its resources raised during a run. */
#ifndef DLTCPY_RESOURCE_H
#define DLTCPY_RESOURCE_H

#include "dltcpy.h"

typedef struct dltcpy_bridge dltcpy_bridge;
int dltcpy_bridge_take_error(dltcpy_bridge *b);
void dltcpy_bridge_free(dltcpy_bridge *b);

/* The C source (borrowed), or NULL with a TypeError. */
dltc_source *dltcpy_source_get(PyObject *source);
/* 1 and the error restored when a resource of the source failed with a Python error. */
int dltcpy_source_take_error(PyObject *source);

#endif
