/* Python objects <-> libdltc values, in C, without a JSON text round trip. */
#include "dltcpy.h"

#include <math.h>
#include <string.h>

#define MAX_DEPTH 200

/* ---- Python -> value ---- */

/* The path of the value that failed, built while the recursion unwinds ("[3].user.id"). */
typedef struct {
    char path[512];
    size_t len;
} err_path;

static void path_prepend(err_path *p, const char *seg, size_t n)
{
    if (n + p->len >= sizeof(p->path))
        return;
    memmove(p->path + n, p->path, p->len + 1);
    memcpy(p->path, seg, n);
    p->len += n;
}

static void path_key(err_path *p, PyObject *key)
{
    Py_ssize_t n;
    const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &n) : NULL;
    if (!k) {
        PyErr_Clear();
        k = "?";
        n = 1;
    }
    path_prepend(p, k, (size_t)n);
    path_prepend(p, ".", 1);
}

static void path_index(err_path *p, Py_ssize_t i)
{
    char seg[32];
    int n = snprintf(seg, sizeof(seg), "[%zd]", i);
    path_prepend(p, seg, (size_t)n);
}

static int fail_oom(void)
{
    PyErr_Format(PyExc_MemoryError, "%s", dltc_error_last()->message);
    return -1;
}

/* lazily found classes: a module that was never imported cannot have made the object */
static PyObject *module_class(PyObject **slot, const char *module, const char *name)
{
    if (*slot)
        return *slot;
    PyObject *mods = PyImport_GetModuleDict(); /* borrowed */
    PyObject *mod = mods ? PyDict_GetItemString(mods, module) : NULL;
    if (!mod)
        return NULL;
    *slot = PyObject_GetAttrString(mod, name);
    if (!*slot)
        PyErr_Clear();
    return *slot;
}

static int us_since(PyObject *o, PyObject *epoch, int64_t *out)
{
    PyObject *d = PyNumber_Subtract(o, epoch);
    if (!d)
        return -1;
    PyObject *q = PyNumber_FloorDivide(d, dltcpy.one_us);
    Py_DECREF(d);
    if (!q)
        return -1;
    long long v = PyLong_AsLongLong(q);
    Py_DECREF(q);
    if (v == -1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

static long attr_long(PyObject *o, PyObject *name)
{
    PyObject *a = PyObject_GetAttr(o, name);
    if (!a)
        return -1;
    long v = PyLong_AsLong(a);
    Py_DECREF(a);
    return v;
}

static int datetime_value(dltc_doc *doc, PyObject *o, dltc_value **out)
{
    PyObject *tz = PyObject_GetAttr(o, dltcpy.s_tzinfo);
    if (!tz)
        return -1;
    int aware = tz != Py_None;
    Py_DECREF(tz);
    int64_t us;
    /* an aware value minus the aware epoch is its UTC instant (utcoffset applied) */
    if (us_since(o, aware ? dltcpy.epoch_aware : dltcpy.epoch_naive, &us) < 0)
        return -1;
    *out = dltc_value_timestamp(doc, us, aware);
    return *out ? 0 : fail_oom();
}

static int date_value(dltc_doc *doc, PyObject *o, dltc_value **out)
{
    PyObject *d = PyNumber_Subtract(o, dltcpy.epoch_date);
    if (!d)
        return -1;
    long days = attr_long(d, dltcpy.s_days);
    Py_DECREF(d);
    if (days == -1 && PyErr_Occurred())
        return -1;
    *out = dltc_value_date(doc, (int32_t)days);
    return *out ? 0 : fail_oom();
}

static int time_value(dltc_doc *doc, PyObject *o, dltc_value **out)
{
    long h = attr_long(o, dltcpy.s_hour), m = attr_long(o, dltcpy.s_minute);
    long s = attr_long(o, dltcpy.s_second), us = attr_long(o, dltcpy.s_microsecond);
    if (PyErr_Occurred())
        return -1;
    *out = dltc_value_time(doc, ((int64_t)h * 3600 + m * 60 + s) * 1000000 + us);
    return *out ? 0 : fail_oom();
}

static int str_value(dltc_doc *doc, PyObject *o, dltc_value **out)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (!s)
        return -1;
    *out = dltc_value_string(doc, s, (size_t)n);
    return *out ? 0 : fail_oom();
}

static int text_of(dltc_doc *doc, PyObject *o, int decimal, dltc_value **out)
{
    PyObject *t = decimal ? PyObject_Format(o, dltcpy.s_f) : PyObject_Str(o);
    if (!t)
        return -1;
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(t, &n);
    int rc = -1;
    if (s && decimal) {
        *out = dltc_value_decimal(doc, s);
        if (*out)
            rc = 0;
        else
            PyErr_Format(PyExc_ValueError, "Decimal %s cannot be loaded (%s)", s,
                         dltc_error_last()->message);
    } else if (s) {
        *out = dltc_value_string(doc, s, (size_t)n);
        rc = *out ? 0 : fail_oom();
    }
    Py_DECREF(t);
    return rc;
}

/* an int beyond int64 keeps its digits (BIGINT), as the JSON reader keeps them */
static int bigint_value(dltc_doc *doc, PyObject *o, dltc_value **out)
{
    PyObject *t = PyObject_Str(o);
    if (!t)
        return -1;
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(t, &n);
    int rc = -1;
    if (s) {
        if (dltc_doc_parse_json(doc, s, (size_t)n, out) == 0)
            rc = 0;
        else
            PyErr_Format(PyExc_ValueError, "int %s: %s", s, dltc_error_last()->message);
    }
    Py_DECREF(t);
    return rc;
}

static int convert(dltc_doc *doc, PyObject *o, dltc_value **out, int depth, err_path *ep);

static int dict_value(dltc_doc *doc, PyObject *o, dltc_value **out, int depth, err_path *ep)
{
    dltc_value *obj = dltc_value_object(doc);
    if (!obj)
        return fail_oom();
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(o, &pos, &k, &v)) {
        PyObject *ks = k;
        if (!PyUnicode_Check(k)) {
            if (!(ks = PyObject_Str(k)))
                return -1;
        } else {
            Py_INCREF(ks);
        }
        const char *key = PyUnicode_AsUTF8AndSize(ks, NULL);
        dltc_value *cv;
        int rc = key ? convert(doc, v, &cv, depth + 1, ep) : -1;
        if (rc < 0) {
            path_key(ep, ks);
            Py_DECREF(ks);
            return -1;
        }
        rc = dltc_object_set(doc, obj, key, cv);
        Py_DECREF(ks);
        if (rc)
            return fail_oom();
    }
    *out = obj;
    return 0;
}

static int seq_value(dltc_doc *doc, PyObject *o, dltc_value **out, int depth, err_path *ep)
{
    dltc_value *arr = dltc_value_array(doc);
    if (!arr)
        return fail_oom();
    int is_list = PyList_Check(o);
    Py_ssize_t n = is_list ? PyList_Size(o) : PyTuple_Size(o);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = is_list ? PyList_GetItem(o, i) : PyTuple_GetItem(o, i); /* borrowed */
        dltc_value *cv;
        if (!it || convert(doc, it, &cv, depth + 1, ep) < 0) {
            path_index(ep, i);
            return -1;
        }
        if (dltc_array_append(doc, arr, cv))
            return fail_oom();
    }
    *out = arr;
    return 0;
}

static int convert(dltc_doc *doc, PyObject *o, dltc_value **out, int depth, err_path *ep)
{
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "data is nested too deeply (a cycle?)");
        return -1;
    }
    PyTypeObject *t = Py_TYPE(o);
    /* exact types first: the common case costs one compare */
    if (t == &PyUnicode_Type)
        return str_value(doc, o, out);
    if (t == &PyDict_Type)
        return dict_value(doc, o, out, depth, ep);
    if (t == &PyLong_Type) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow)
            return bigint_value(doc, o, out);
        if (v == -1 && PyErr_Occurred())
            return -1;
        *out = dltc_value_int(doc, v);
        return *out ? 0 : fail_oom();
    }
    if (t == &PyFloat_Type) {
        double d = PyFloat_AsDouble(o);
        /* NaN and infinities have no JSON form: dlt writes them as null */
        *out = isfinite(d) ? dltc_value_double(doc, d) : dltc_value_null(doc);
        return *out ? 0 : fail_oom();
    }
    if (o == Py_None) {
        *out = dltc_value_null(doc);
        return *out ? 0 : fail_oom();
    }
    if (t == &PyBool_Type) {
        *out = dltc_value_bool(doc, o == Py_True);
        return *out ? 0 : fail_oom();
    }
    if (t == &PyList_Type || t == &PyTuple_Type)
        return seq_value(doc, o, out, depth, ep);
    /* datetime before date: a datetime is a date */
    int r;
    if ((r = PyObject_IsInstance(o, dltcpy.datetime_type)) != 0)
        return r < 0 ? -1 : datetime_value(doc, o, out);
    if ((r = PyObject_IsInstance(o, dltcpy.date_type)) != 0)
        return r < 0 ? -1 : date_value(doc, o, out);
    if ((r = PyObject_IsInstance(o, dltcpy.time_type)) != 0)
        return r < 0 ? -1 : time_value(doc, o, out);
    PyObject *dec = module_class(&dltcpy.decimal_type, "decimal", "Decimal");
    if (dec && (r = PyObject_IsInstance(o, dec)) != 0)
        return r < 0 ? -1 : text_of(doc, o, 1, out);
    PyObject *uuid = module_class(&dltcpy.uuid_type, "uuid", "UUID");
    if (uuid && (r = PyObject_IsInstance(o, uuid)) != 0)
        return r < 0 ? -1 : text_of(doc, o, 0, out);
    if (PyBytes_Check(o)) {
        char *b;
        Py_ssize_t n;
        if (PyBytes_AsStringAndSize(o, &b, &n) < 0)
            return -1;
        *out = dltc_value_binary(doc, b, (size_t)n);
        return *out ? 0 : fail_oom();
    }
    if (PyByteArray_Check(o)) {
        *out = dltc_value_binary(doc, PyByteArray_AsString(o), (size_t)PyByteArray_Size(o));
        return *out ? 0 : fail_oom();
    }
    /* subclasses of the builtins (str enums, OrderedDict, bool-like ints…) */
    if (PyUnicode_Check(o))
        return str_value(doc, o, out);
    if (PyBool_Check(o)) {
        *out = dltc_value_bool(doc, PyObject_IsTrue(o));
        return *out ? 0 : fail_oom();
    }
    if (PyLong_Check(o)) {
        PyObject *i = PyNumber_Long(o);
        if (!i)
            return -1;
        int rc = convert(doc, i, out, depth, ep);
        Py_DECREF(i);
        return rc;
    }
    if (PyFloat_Check(o)) {
        double d = PyFloat_AsDouble(o);
        *out = isfinite(d) ? dltc_value_double(doc, d) : dltc_value_null(doc);
        return *out ? 0 : fail_oom();
    }
    if (PyDict_Check(o))
        return dict_value(doc, o, out, depth, ep);
    if (PyList_Check(o) || PyTuple_Check(o))
        return seq_value(doc, o, out, depth, ep);
    PyObject *tn = PyObject_GetAttrString((PyObject *)t, "__name__");
    PyErr_Format(PyExc_TypeError, "Type is not JSON serializable: %S", tn ? tn : Py_None);
    Py_XDECREF(tn);
    return -1;
}

int dltcpy_to_value(dltc_doc *doc, PyObject *o, dltc_value **out)
{
    err_path ep = {{0}, 0};
    if (convert(doc, o, out, 0, &ep) == 0)
        return 0;
    if (ep.len) {
        /* add where it was to the message */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyObject *s = value ? PyObject_Str(value) : NULL;
        const char *p = ep.path[0] == '.' ? ep.path + 1 : ep.path;
        if (s) {
            PyErr_Format(type, "%U at %s", s, p);
            Py_DECREF(s);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
        } else {
            PyErr_Restore(type, value, tb);
        }
    }
    return -1;
}

char *dltcpy_to_json(PyObject *o, size_t *len)
{
    dltc_doc *doc;
    if (dltc_doc_new(&doc)) {
        fail_oom();
        return NULL;
    }
    dltc_value *v;
    char *out = NULL;
    if (dltcpy_to_value(doc, o, &v) == 0 && dltc_value_to_json(&out, len, v))
        dltcpy_raise(NULL);
    dltc_doc_free(doc);
    return out;
}

/* ---- value -> Python ---- */

static PyObject *from_str(const dltc_value *v)
{
    size_t n;
    const char *s = dltc_value_get_str(v, &n);
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "replace");
}

static PyObject *call1(PyObject *fn, PyObject *arg)
{
    if (!arg)
        return NULL;
    PyObject *r = PyObject_CallOneArg(fn, arg);
    Py_DECREF(arg);
    return r;
}

static PyObject *from_timestamp(const dltc_value *v)
{
    PyObject *td = PyObject_CallFunction(dltcpy.timedelta_type, "iiL", 0, 0,
                                         (long long)dltc_value_get_int(v));
    if (!td)
        return NULL;
    PyObject *r = PyNumber_Add(dltc_value_get_tz(v) ? dltcpy.epoch_aware : dltcpy.epoch_naive, td);
    Py_DECREF(td);
    return r;
}

static PyObject *from_date(const dltc_value *v)
{
    PyObject *td = PyObject_CallFunction(dltcpy.timedelta_type, "L",
                                         (long long)dltc_value_get_int(v));
    if (!td)
        return NULL;
    PyObject *r = PyNumber_Add(dltcpy.epoch_date, td);
    Py_DECREF(td);
    return r;
}

static PyObject *from_time(const dltc_value *v)
{
    long long us = (long long)dltc_value_get_int(v);
    return PyObject_CallFunction(dltcpy.time_type, "iiii", (int)(us / 3600000000LL),
                                 (int)(us / 60000000LL % 60), (int)(us / 1000000LL % 60),
                                 (int)(us % 1000000LL));
}

static PyObject *from_decimal(const dltc_value *v)
{
    PyObject *dec = dltcpy.decimal_type;
    if (!dec) {
        PyObject *m = PyImport_ImportModule("decimal");
        if (!m)
            return NULL;
        dltcpy.decimal_type = dec = PyObject_GetAttrString(m, "Decimal");
        Py_DECREF(m);
        if (!dec)
            return NULL;
    }
    return call1(dec, from_str(v));
}

PyObject *dltcpy_from_value(const dltc_value *v)
{
    switch (dltc_value_type_of(v)) {
    case DLTC_TYPE_NULL:
        Py_RETURN_NONE;
    case DLTC_TYPE_BOOL:
        return PyBool_FromLong(dltc_value_get_bool(v));
    case DLTC_TYPE_INT:
        return PyLong_FromLongLong((long long)dltc_value_get_int(v));
    case DLTC_TYPE_BIGINT: {
        size_t n;
        const char *s = dltc_value_get_str(v, &n);
        PyObject *t = PyUnicode_FromStringAndSize(s, (Py_ssize_t)n);
        if (!t)
            return NULL;
        PyObject *r = PyNumber_Long(t);
        Py_DECREF(t);
        return r;
    }
    case DLTC_TYPE_DOUBLE:
        return PyFloat_FromDouble(dltc_value_get_double(v));
    case DLTC_TYPE_STRING:
        return from_str(v);
    case DLTC_TYPE_BINARY: {
        size_t n;
        const char *s = dltc_value_get_str(v, &n);
        return PyBytes_FromStringAndSize(s, (Py_ssize_t)n);
    }
    case DLTC_TYPE_TIMESTAMP:
        return from_timestamp(v);
    case DLTC_TYPE_DATE:
        return from_date(v);
    case DLTC_TYPE_TIME:
        return from_time(v);
    case DLTC_TYPE_DECIMAL:
        return from_decimal(v);
    case DLTC_TYPE_ARRAY: {
        size_t n = dltc_value_size(v);
        PyObject *l = PyList_New((Py_ssize_t)n);
        for (size_t i = 0; l && i < n; i++) {
            PyObject *it = dltcpy_from_value(dltc_array_get(v, i));
            if (!it) {
                Py_DECREF(l);
                return NULL;
            }
            PyList_SetItem(l, (Py_ssize_t)i, it);
        }
        return l;
    }
    case DLTC_TYPE_OBJECT: {
        size_t n = dltc_value_size(v);
        PyObject *d = PyDict_New();
        for (size_t i = 0; d && i < n; i++) {
            size_t kl;
            const char *k = dltc_object_key(v, i, &kl);
            PyObject *key = PyUnicode_DecodeUTF8(k, (Py_ssize_t)kl, "replace");
            PyObject *it = key ? dltcpy_from_value(dltc_object_value(v, i)) : NULL;
            int rc = it ? PyDict_SetItem(d, key, it) : -1;
            Py_XDECREF(key);
            Py_XDECREF(it);
            if (rc < 0) {
                Py_DECREF(d);
                return NULL;
            }
        }
        return d;
    }
    }
    PyErr_SetString(PyExc_ValueError, "unknown value type");
    return NULL;
}

PyObject *dltcpy_value_json(const dltc_value *v)
{
    char *s;
    size_t n;
    if (dltc_value_to_json(&s, &n, v))
        return dltcpy_raise(NULL);
    PyObject *r = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "replace");
    dltc_free(s);
    return r;
}
