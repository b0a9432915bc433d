/*
 * The Python front's C side: the extension module `dlt._dltc`, a thin client of the public
 * libdltc API (include/dltc/). Built against CPython's limited API (abi3, 3.10+), so one
 * binary serves every CPython from 3.10 on.
 *
 * Each file registers its types and functions from its dltcpy_<part>_init(module). Errors of
 * libdltc become Python exceptions with dltcpy_raise(); Python exceptions raised inside a
 * libdltc callback are kept (dltcpy_pending_*) and re-raised when the call returns, with the
 * original traceback.
 *
 * Thread-safety: every function here runs with the GIL held unless it says otherwise.
 */
#ifndef DLTCPY_H
#define DLTCPY_H

#define Py_LIMITED_API 0x030A0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* not in the limited API before 3.12 */
#define dltcpy_call1(fn, arg) PyObject_CallFunctionObjArgs((fn), (arg), NULL)
#ifndef PyObject_CallOneArg
#define PyObject_CallOneArg(fn, arg) dltcpy_call1(fn, arg)
#endif

#ifndef Py_XSETREF
#define Py_XSETREF(dst, src)                                                                   \
    do {                                                                                       \
        PyObject *dltcpy_old_ = (PyObject *)(dst);                                             \
        (dst) = (src);                                                                         \
        Py_XDECREF(dltcpy_old_);                                                               \
    } while (0)
#endif

#include <dltc/dltc.h>
#include <dltc/config.h>
#include <dltc/http.h>
#include <dltc/rest.h>
#include <dltc/pipeline_file.h>

/* ---- module ---- */

/* Exception classes registered by the pure-Python layer (dlt/_register.py) by name, e.g.
 * "PipelineStepFailed", "ConfigFieldMissingException", "HTTPError"; a borrowed reference,
 * or the builtin RuntimeError when the name was never registered. */
PyObject *dltcpy_exc(const char *name);

/* Raise the calling thread's last libdltc error as `exc_name` (NULL: "DltcError"); the
 * exception gets the attribute `code` (the DLTC_E* code). Returns NULL. */
PyObject *dltcpy_raise(const char *exc_name);
/* Raise `code`/`message` as the class of that name, NULL. */
PyObject *dltcpy_raise_msg(const char *exc_name, int code, const char *message);

/* Interned attribute names and cached objects of the datetime/decimal/uuid modules. */
typedef struct {
    PyObject *datetime_type, *date_type, *time_type, *timedelta_type;
    PyObject *utc, *epoch_aware, *epoch_naive, *epoch_date, *one_us;
    PyObject *decimal_type; /* NULL until the decimal module is imported by someone */
    PyObject *uuid_type;    /* the same for uuid */
    PyObject *s_tzinfo, *s_days, *s_hour, *s_minute, *s_second, *s_microsecond, *s_f;
    PyObject *s_fromtimestamp;
} dltcpy_cache;
extern dltcpy_cache dltcpy;

/* ---- values (convert.c) ---- */

/* A Python object as a libdltc value made in `doc`: dict, list/tuple, str, int (any size),
 * float, bool, None, datetime/date/time, Decimal, bytes/bytearray, UUID. 0, or -1 with a
 * Python TypeError/ValueError naming the path of the bad value. */
int dltcpy_to_value(dltc_doc *doc, PyObject *o, dltc_value **out);
/* A libdltc value as a new Python object (dicts keep their key order); NULL on error. */
PyObject *dltcpy_from_value(const dltc_value *v);
/* A value as JSON text (a new str, or NULL). */
PyObject *dltcpy_value_json(const dltc_value *v);
/* A Python object as JSON text in a new malloc'd string (dltc_free), via the value model.
 * NULL with a Python error set. */
char *dltcpy_to_json(PyObject *o, size_t *len);

/* ---- parts ---- */
int dltcpy_pipeline_init(PyObject *m); /* pipeline.c: Pipeline, LoadInfo, rows, SQL */
int dltcpy_resource_init(PyObject *m); /* resource.c: Source, Resource, cursors */
PyObject *dltcpy_source_from_config(PyObject *mod, PyObject *args); /* resource.c */
int dltcpy_config_init(PyObject *m);   /* config.c: config and secrets */
int dltcpy_http_init(PyObject *m);     /* http.c: the retrying requests client */
int dltcpy_rest_init(PyObject *m);     /* rest.c: RESTClient, paginators, auth */
int dltcpy_arrow_init(PyObject *m);    /* arrow.c: rows as an Arrow C stream */

/* arrow.c: the rows (taken: freed by the stream) as a PyCapsule "arrow_array_stream"
 * holding an ArrowArrayStream (Arrow C stream interface). NULL on error (rows freed). */
PyObject *dltcpy_rows_arrow_stream(dltc_rows *rows);

/* A sequence of (str, str) as pairs lent from `*keep` (a new tuple the caller releases);
 * NULL with *n = 0 for None, NULL with an error set on failure. Free the array with
 * PyMem_Free. */
dltc_http_pair *dltcpy_pairs_from(PyObject *seq, size_t *n, PyObject **keep);
/* The end of every heap type's dealloc: free the object, release its type. */
void dltcpy_free_object(PyObject *o);

/* A new heap type from a spec, added to the module under its short name; NULL on error. */
PyObject *dltcpy_add_type(PyObject *m, PyType_Spec *spec);

#endif
