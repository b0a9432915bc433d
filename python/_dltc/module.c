/* The extension module dlt._dltc: exception registry, cached objects, the parts' init. */
#include "dltcpy.h"

#include <string.h>

dltcpy_cache dltcpy;

static PyObject *exc_registry; /* name -> exception class, filled by dlt/_register.py */
static PyObject *base_error;   /* dlt._dltc.DltcError */

PyObject *dltcpy_exc(const char *name)
{
    PyObject *cls = exc_registry && name ? PyDict_GetItemString(exc_registry, name) : NULL;
    if (cls)
        return cls;
    return base_error ? base_error : PyExc_RuntimeError;
}

PyObject *dltcpy_raise_msg(const char *exc_name, int code, const char *message)
{
    PyObject *cls = dltcpy_exc(exc_name ? exc_name : "DltcError");
    PyObject *msg = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
    if (!msg)
        return NULL;
    PyObject *e = PyObject_CallOneArg(cls, msg);
    Py_DECREF(msg);
    if (!e)
        return NULL;
    PyObject *c = PyLong_FromLong(code);
    if (c) {
        PyObject_SetAttrString(e, "code", c);
        Py_DECREF(c);
    }
    PyErr_Clear();
    PyErr_SetObject(cls, e);
    Py_DECREF(e);
    return NULL;
}

PyObject *dltcpy_raise(const char *exc_name)
{
    const dltc_error *e = dltc_error_last();
    return dltcpy_raise_msg(exc_name, e->code ? e->code : DLTC_ERROR,
                            e->message && *e->message ? e->message : "dltc call failed");
}

PyObject *dltcpy_add_type(PyObject *m, PyType_Spec *spec)
{
    PyObject *t = PyType_FromSpec(spec);
    if (!t)
        return NULL;
    const char *dot = strrchr(spec->name, '.');
    Py_INCREF(t);
    if (PyModule_AddObject(m, dot ? dot + 1 : spec->name, t) < 0) {
        Py_DECREF(t);
        Py_DECREF(t);
        return NULL;
    }
    return t;
}

/* A sequence of (str, str) as pairs lent from `*keep` (a new tuple the caller releases). */
dltc_http_pair *dltcpy_pairs_from(PyObject *seq, size_t *n, PyObject **keep)
{
    *n = 0;
    *keep = NULL;
    if (!seq || seq == Py_None)
        return NULL;
    PyObject *t = PySequence_Tuple(seq);
    if (!t)
        return NULL;
    Py_ssize_t len = PyTuple_Size(t);
    dltc_http_pair *p = PyMem_Calloc(len ? (size_t)len : 1, sizeof(*p));
    if (!p) {
        Py_DECREF(t);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *it = PyTuple_GetItem(t, i);
        PyObject *k = PyTuple_Check(it) && PyTuple_Size(it) == 2 ? PyTuple_GetItem(it, 0) : NULL;
        PyObject *v = k ? PyTuple_GetItem(it, 1) : NULL;
        Py_ssize_t kl = 0, vl = 0;
        const char *ks = k && PyUnicode_Check(k) ? PyUnicode_AsUTF8AndSize(k, &kl) : NULL;
        const char *vs = v && PyUnicode_Check(v) ? PyUnicode_AsUTF8AndSize(v, &vl) : NULL;
        if (!ks || !vs || strlen(ks) != (size_t)kl || strlen(vs) != (size_t)vl) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "expected (str, str) pairs without NUL");
            PyMem_Free(p);
            Py_DECREF(t);
            return NULL;
        }
        p[i].name = ks;
        p[i].value = vs;
    }
    *n = (size_t)len;
    *keep = t;
    return p;
}

void dltcpy_free_object(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    freefunc f = (freefunc)PyType_GetSlot(t, Py_tp_free);
    f(o);
    Py_DECREF(t);
}

static PyObject *py_register(PyObject *self, PyObject *args)
{
    const char *name;
    PyObject *cls;
    if (!PyArg_ParseTuple(args, "sO:_register", &name, &cls))
        return NULL;
    if (PyDict_SetItemString(exc_registry, name, cls) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_version(PyObject *self, PyObject *noargs)
{
    return PyUnicode_FromString(dltc_version());
}

static PyMethodDef methods[] = {
    {"_register", py_register, METH_VARARGS, "Register an exception class by name."},
    {"version", py_version, METH_NOARGS, "The libdltc version."},
    {"source_from_config", dltcpy_source_from_config, METH_VARARGS,
     "source_from_config(json, origin=None): a rest_api, sql_database or filesystem source."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "dlt._dltc",
                                    "libdltc, the engine of the dlt package.", -1, methods,
                                    NULL, NULL, NULL, NULL};

static int intern(PyObject **dst, const char *s)
{
    *dst = PyUnicode_InternFromString(s);
    return *dst ? 0 : -1;
}

/* datetime is imported now (a few hundred µs); decimal and uuid only when data has them. */
static int cache_init(void)
{
    PyObject *dt = PyImport_ImportModule("datetime");
    if (!dt)
        return -1;
    int rc = -1;
    dltcpy.datetime_type = PyObject_GetAttrString(dt, "datetime");
    dltcpy.date_type = PyObject_GetAttrString(dt, "date");
    dltcpy.time_type = PyObject_GetAttrString(dt, "time");
    dltcpy.timedelta_type = PyObject_GetAttrString(dt, "timedelta");
    PyObject *tz = PyObject_GetAttrString(dt, "timezone");
    if (tz) {
        dltcpy.utc = PyObject_GetAttrString(tz, "utc");
        Py_DECREF(tz);
    }
    if (!dltcpy.datetime_type || !dltcpy.date_type || !dltcpy.time_type ||
        !dltcpy.timedelta_type || !dltcpy.utc)
        goto done;
    dltcpy.epoch_naive = PyObject_CallFunction(dltcpy.datetime_type, "iii", 1970, 1, 1);
    dltcpy.epoch_aware =
        PyObject_CallFunction(dltcpy.datetime_type, "iiiiiiiO", 1970, 1, 1, 0, 0, 0, 0, dltcpy.utc);
    dltcpy.epoch_date = PyObject_CallFunction(dltcpy.date_type, "iii", 1970, 1, 1);
    dltcpy.one_us = PyObject_CallFunction(dltcpy.timedelta_type, "iii", 0, 0, 1);
    if (!dltcpy.epoch_naive || !dltcpy.epoch_aware || !dltcpy.epoch_date || !dltcpy.one_us)
        goto done;
    if (intern(&dltcpy.s_tzinfo, "tzinfo") || intern(&dltcpy.s_days, "days") ||
        intern(&dltcpy.s_hour, "hour") || intern(&dltcpy.s_minute, "minute") ||
        intern(&dltcpy.s_second, "second") || intern(&dltcpy.s_microsecond, "microsecond") ||
        intern(&dltcpy.s_f, "f") || intern(&dltcpy.s_fromtimestamp, "fromtimestamp"))
        goto done;
    rc = 0;
done:
    Py_DECREF(dt);
    return rc;
}

PyMODINIT_FUNC PyInit__dltc(void)
{
    PyObject *m = PyModule_Create(&moddef);
    if (!m)
        return NULL;
    exc_registry = PyDict_New();
    base_error = PyErr_NewException("dlt._dltc.DltcError", NULL, NULL);
    if (!exc_registry || !base_error || cache_init() < 0)
        goto fail;
    Py_INCREF(base_error);
    if (PyModule_AddObject(m, "DltcError", base_error) < 0) {
        Py_DECREF(base_error);
        goto fail;
    }
    if (dltcpy_pipeline_init(m) < 0 || dltcpy_resource_init(m) < 0 ||
        dltcpy_config_init(m) < 0 || dltcpy_http_init(m) < 0 || dltcpy_rest_init(m) < 0 ||
        dltcpy_arrow_init(m) < 0)
        goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
