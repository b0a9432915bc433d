/* dlt._dltc.Pipeline: a libdltc pipeline, its runs and steps, its dataset's SQL. Runs release
 * the GIL (the resources' callbacks take it back). */
#include "dltcpy.h"
#include "resource.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    dltc_pipeline *p;
} Pipeline;

static PyObject *pipeline_type;

static PyObject *str_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

static int set_str(PyObject *d, const char *key, const char *s)
{
    PyObject *v = str_or_none(s);
    int rc = v ? PyDict_SetItemString(d, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

/* A load info as a dict: pipeline_name, dataset_name, destination_name, destination_type,
 * location, elapsed, packages [(load_id, state, failed_jobs)], row_counts {table: rows},
 * text (dltc's own text, with the rows). Frees `info`. */
static PyObject *info_dict(dltc_load_info *info)
{
    PyObject *d = PyDict_New();
    if (!d)
        goto fail;
    if (set_str(d, "pipeline_name", dltc_load_info_pipeline_name(info)) < 0 ||
        set_str(d, "dataset_name", dltc_load_info_dataset_name(info)) < 0 ||
        set_str(d, "destination_name", dltc_load_info_destination_name(info)) < 0 ||
        set_str(d, "destination_type", dltc_load_info_destination_type(info)) < 0 ||
        set_str(d, "location", dltc_load_info_location(info)) < 0)
        goto fail;
    PyObject *el = PyFloat_FromDouble(dltc_load_info_elapsed(info));
    if (!el || PyDict_SetItemString(d, "elapsed", el) < 0) {
        Py_XDECREF(el);
        goto fail;
    }
    Py_DECREF(el);
    size_t n = dltc_load_info_package_count(info);
    PyObject *pk = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; pk && i < n; i++) {
        PyObject *t = Py_BuildValue("(ssn)", dltc_load_info_package_id(info, i),
                                    dltc_load_info_package_state(info, i),
                                    (Py_ssize_t)dltc_load_info_package_failed_jobs(info, i));
        if (!t) {
            Py_CLEAR(pk);
            break;
        }
        PyList_SetItem(pk, (Py_ssize_t)i, t);
    }
    if (!pk || PyDict_SetItemString(d, "packages", pk) < 0) {
        Py_XDECREF(pk);
        goto fail;
    }
    Py_DECREF(pk);
    PyObject *rc = PyDict_New();
    n = dltc_load_info_table_count(info);
    for (size_t i = 0; rc && i < n; i++) {
        PyObject *v = PyLong_FromUnsignedLongLong(dltc_load_info_table_rows(info, i));
        if (!v || PyDict_SetItemString(rc, dltc_load_info_table_name(info, i), v) < 0) {
            Py_XDECREF(v);
            Py_CLEAR(rc);
            break;
        }
        Py_DECREF(v);
    }
    if (!rc || PyDict_SetItemString(d, "row_counts", rc) < 0) {
        Py_XDECREF(rc);
        goto fail;
    }
    Py_DECREF(rc);
    char *text = NULL;
    if (dltc_load_info_format(&text, info) == 0) {
        int r = set_str(d, "text", text);
        dltc_free(text);
        if (r < 0)
            goto fail;
    }
    dltc_load_info_free(info);
    return d;
fail:
    Py_XDECREF(d);
    dltc_load_info_free(info);
    return NULL;
}

static dltc_pipeline *get(PyObject *o)
{
    dltc_pipeline *p = ((Pipeline *)o)->p;
    if (!p)
        PyErr_SetString(PyExc_RuntimeError, "the pipeline is closed");
    return p;
}

/* Pipeline(name, destination=None, dataset_name=None, pipelines_dir=None, credentials=None,
 *          loader_file_format=None, replace_strategy=None, progress=None) */
static int pipeline_init(PyObject *o, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"name", "destination", "dataset_name", "pipelines_dir",
                             "credentials", "loader_file_format", "replace_strategy",
                             "progress", NULL};
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    const char *name;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zzzzzzz:Pipeline", kwlist, &name,
                                     &po.destination, &po.dataset_name, &po.pipelines_dir,
                                     &po.credentials, &po.loader_file_format,
                                     &po.replace_strategy, &po.progress))
        return -1;
    Pipeline *self = (Pipeline *)o;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = dltc_pipeline_open(&self->p, name, &po);
    Py_END_ALLOW_THREADS
    if (rc) {
        self->p = NULL;
        dltcpy_raise("PipelineConfigError");
        return -1;
    }
    return 0;
}

static void pipeline_dealloc(PyObject *o)
{
    dltc_pipeline_free(((Pipeline *)o)->p);
    dltcpy_free_object(o);
}

/* The error of a failed step: the Python error a resource raised (its traceback kept), else
 * libdltc's message; raised as StepError(step, message) for the Python layer to wrap. */
static PyObject *step_failed(PyObject *source, const char *step, int code)
{
    if (source && dltcpy_source_take_error(source)) {
        /* the generator's own exception, chained under the step error by the Python layer */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb)
            PyException_SetTraceback(value, tb);
        PyObject *args = Py_BuildValue("(sOs)", step, value, dltc_error_last()->message);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        if (args) {
            PyErr_SetObject(dltcpy_exc("StepError"), args);
            Py_DECREF(args);
        }
        return NULL;
    }
    const dltc_error *e = dltc_error_last();
    PyObject *args = Py_BuildValue("(sOsi)", step, Py_None,
                                   e->message && *e->message ? e->message : "failed",
                                   e->code ? e->code : code);
    if (args) {
        PyErr_SetObject(dltcpy_exc("StepError"), args);
        Py_DECREF(args);
    }
    return NULL;
}

typedef int (*source_step)(dltc_pipeline *, struct dltc_source *, dltc_load_info **);

static PyObject *with_source(PyObject *o, PyObject *source, source_step fn, const char *step)
{
    dltc_pipeline *p = get(o);
    dltc_source *src = p ? dltcpy_source_get(source) : NULL;
    if (!src)
        return NULL;
    dltc_load_info *info = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = fn(p, src, &info);
    Py_END_ALLOW_THREADS
    if (rc)
        return step_failed(source, step, rc);
    return info_dict(info);
}

static PyObject *pipeline_run_source(PyObject *o, PyObject *source)
{
    return with_source(o, source, dltc_pipeline_run_source, "run");
}

static PyObject *pipeline_extract(PyObject *o, PyObject *source)
{
    return with_source(o, source, dltc_pipeline_extract, "extract");
}

typedef int (*plain_step)(dltc_pipeline *, dltc_load_info **);

static PyObject *plain(PyObject *o, plain_step fn, const char *step)
{
    dltc_pipeline *p = get(o);
    if (!p)
        return NULL;
    dltc_load_info *info = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = fn(p, &info);
    Py_END_ALLOW_THREADS
    if (rc)
        return step_failed(NULL, step, rc);
    return info_dict(info);
}

static PyObject *pipeline_normalize(PyObject *o, PyObject *noargs)
{
    return plain(o, dltc_pipeline_normalize, "normalize");
}

static PyObject *pipeline_load(PyObject *o, PyObject *noargs)
{
    return plain(o, dltc_pipeline_load, "load");
}

/* rows as (column names, column types, [tuples]) */
static PyObject *rows_tuple(dltc_rows *rows)
{
    size_t nc = dltc_rows_column_count(rows), nr = dltc_rows_count(rows);
    PyObject *names = PyList_New((Py_ssize_t)nc), *types = PyList_New((Py_ssize_t)nc);
    PyObject *data = PyList_New((Py_ssize_t)nr);
    if (!names || !types || !data)
        goto fail;
    for (size_t c = 0; c < nc; c++) {
        PyObject *n = str_or_none(dltc_rows_column_name(rows, c));
        PyObject *t = str_or_none(dltc_rows_column_type(rows, c));
        if (!n || !t) {
            Py_XDECREF(n);
            Py_XDECREF(t);
            goto fail;
        }
        PyList_SetItem(names, (Py_ssize_t)c, n);
        PyList_SetItem(types, (Py_ssize_t)c, t);
    }
    for (size_t r = 0; r < nr; r++) {
        PyObject *row = PyTuple_New((Py_ssize_t)nc);
        if (!row)
            goto fail;
        for (size_t c = 0; c < nc; c++) {
            PyObject *v = dltcpy_from_value(dltc_rows_get(rows, r, c));
            if (!v) {
                Py_DECREF(row);
                goto fail;
            }
            PyTuple_SetItem(row, (Py_ssize_t)c, v);
        }
        PyList_SetItem(data, (Py_ssize_t)r, row);
    }
    dltc_rows_free(rows);
    PyObject *out = PyTuple_Pack(3, names, types, data);
    Py_DECREF(names);
    Py_DECREF(types);
    Py_DECREF(data);
    return out;
fail:
    Py_XDECREF(names);
    Py_XDECREF(types);
    Py_XDECREF(data);
    dltc_rows_free(rows);
    return NULL;
}

/* execute(sql, params=None, arrow=False): (names, types, rows), or an Arrow C stream
 * capsule with arrow=True */
static PyObject *pipeline_execute(PyObject *o, PyObject *args)
{
    const char *sql;
    PyObject *params = Py_None;
    int arrow = 0;
    if (!PyArg_ParseTuple(args, "s|Op:execute", &sql, &params, &arrow))
        return NULL;
    dltc_pipeline *p = get(o);
    if (!p)
        return NULL;
    dltc_doc *doc = NULL;
    dltc_value *pv = NULL;
    if (params != Py_None) {
        if (!PyList_Check(params) && !PyTuple_Check(params)) {
            PyErr_SetString(PyExc_TypeError, "SQL parameters must be a list or a tuple");
            return NULL;
        }
        if (dltc_doc_new(&doc))
            return PyErr_NoMemory();
        if (dltcpy_to_value(doc, params, &pv) < 0) {
            dltc_doc_free(doc);
            return NULL;
        }
    }
    dltc_rows *rows = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = dltc_pipeline_execute(p, sql, pv, &rows);
    Py_END_ALLOW_THREADS
    dltc_doc_free(doc);
    if (rc)
        return dltcpy_raise("DatabaseError");
    return arrow ? dltcpy_rows_arrow_stream(rows) : rows_tuple(rows);
}

typedef int (*text_fn)(dltc_pipeline *, char **);

static PyObject *text_of(PyObject *o, text_fn fn, const char *exc)
{
    dltc_pipeline *p = get(o);
    if (!p)
        return NULL;
    char *s = NULL;
    int rc = fn(p, &s);
    if (rc == DLTC_ENOTFOUND)
        Py_RETURN_NONE;
    if (rc)
        return dltcpy_raise(exc);
    PyObject *r = str_or_none(s);
    dltc_free(s);
    return r;
}

static PyObject *pipeline_state_json(PyObject *o, PyObject *noargs)
{
    return text_of(o, dltc_pipeline_state_json, NULL);
}

static PyObject *pipeline_state(PyObject *o, PyObject *noargs)
{
    dltc_pipeline *p = get(o);
    dltc_doc *doc = NULL;
    if (!p)
        return NULL;
    if (dltc_doc_new(&doc))
        return PyErr_NoMemory();
    const dltc_value *v;
    PyObject *r = dltc_pipeline_state(p, doc, &v) ? dltcpy_raise(NULL) : dltcpy_from_value(v);
    dltc_doc_free(doc);
    return r;
}

static PyObject *pipeline_trace(PyObject *o, PyObject *noargs)
{
    return text_of(o, dltc_pipeline_trace, NULL);
}

static int info_v(dltc_pipeline *p, char **out) { return dltc_pipeline_info(p, 0, out); }
static int schema_yaml(dltc_pipeline *p, char **out) { return dltc_pipeline_schema_export(p, out, 0); }
static int schema_json(dltc_pipeline *p, char **out) { return dltc_pipeline_schema_export(p, out, 1); }

static PyObject *pipeline_info(PyObject *o, PyObject *noargs)
{
    return text_of(o, info_v, NULL);
}

static PyObject *pipeline_schema(PyObject *o, PyObject *args)
{
    int json = 0;
    if (!PyArg_ParseTuple(args, "|p:schema", &json))
        return NULL;
    return text_of(o, json ? schema_json : schema_yaml, NULL);
}

static PyObject *pipeline_sync(PyObject *o, PyObject *noargs)
{
    dltc_pipeline *p = get(o);
    if (!p)
        return NULL;
    int restored = 0, rc;
    Py_BEGIN_ALLOW_THREADS
    rc = dltc_pipeline_sync(p, &restored);
    Py_END_ALLOW_THREADS
    if (rc)
        return dltcpy_raise(NULL);
    return PyBool_FromLong(restored != 0);
}

static PyObject *pipeline_drop_pending(PyObject *o, PyObject *noargs)
{
    dltc_pipeline *p = get(o);
    if (!p)
        return NULL;
    size_t n = 0;
    if (dltc_pipeline_drop_pending_packages(p, &n, NULL))
        return dltcpy_raise(NULL);
    return PyLong_FromSize_t(n);
}

static PyObject *pipeline_close(PyObject *o, PyObject *noargs)
{
    Pipeline *self = (Pipeline *)o;
    dltc_pipeline_free(self->p);
    self->p = NULL;
    Py_RETURN_NONE;
}

#define GETTER(fname, call)                                                                    \
    static PyObject *fname(PyObject *o, void *closure)                                         \
    {                                                                                          \
        dltc_pipeline *p = get(o);                                                             \
        return p ? str_or_none(call(p)) : NULL;                                                \
    }
GETTER(get_name, dltc_pipeline_name)
GETTER(get_dataset, dltc_pipeline_dataset_name)
GETTER(get_destination, dltc_pipeline_destination)
GETTER(get_location, dltc_pipeline_location)
GETTER(get_working_dir, dltc_pipeline_working_dir)
GETTER(get_pipelines_dir, dltc_pipeline_pipelines_dir)
GETTER(get_schema_name, dltc_pipeline_schema_name)

static PyObject *get_first_run(PyObject *o, void *closure)
{
    dltc_pipeline *p = get(o);
    return p ? PyBool_FromLong(dltc_pipeline_first_run(p)) : NULL;
}

static PyGetSetDef pipeline_getset[] = {
    {"name", get_name, NULL, NULL, NULL},
    {"dataset_name", get_dataset, NULL, NULL, NULL},
    {"destination", get_destination, NULL, NULL, NULL},
    {"location", get_location, NULL, NULL, NULL},
    {"working_dir", get_working_dir, NULL, NULL, NULL},
    {"pipelines_dir", get_pipelines_dir, NULL, NULL, NULL},
    {"schema_name", get_schema_name, NULL, NULL, NULL},
    {"first_run", get_first_run, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef pipeline_methods[] = {
    {"run_source", pipeline_run_source, METH_O, "extract, normalize and load a Source"},
    {"extract", pipeline_extract, METH_O, "extract a Source into packages"},
    {"normalize", pipeline_normalize, METH_NOARGS, "normalize the extracted packages"},
    {"load", pipeline_load, METH_NOARGS, "load the normalized packages"},
    {"execute", pipeline_execute, METH_VARARGS, "run SQL in the dataset"},
    {"state_json", pipeline_state_json, METH_NOARGS, "the state as typed JSON"},
    {"state", pipeline_state, METH_NOARGS, "the state as Python values"},
    {"trace", pipeline_trace, METH_NOARGS, "the last run's trace as text, or None"},
    {"info", pipeline_info, METH_NOARGS, "dlt pipeline NAME info"},
    {"schema", pipeline_schema, METH_VARARGS, "the default schema as YAML (or JSON)"},
    {"sync", pipeline_sync, METH_NOARGS, "restore state and schemas from the destination"},
    {"drop_pending_packages", pipeline_drop_pending, METH_NOARGS, "drop pending packages"},
    {"close", pipeline_close, METH_NOARGS, "release the pipeline"},
    {NULL, NULL, 0, NULL}};

static PyType_Slot pipeline_slots[] = {{Py_tp_dealloc, pipeline_dealloc},
                                       {Py_tp_init, pipeline_init},
                                       {Py_tp_methods, pipeline_methods},
                                       {Py_tp_getset, pipeline_getset},
                                       {Py_tp_new, PyType_GenericNew},
                                       {0, NULL}};
static PyType_Spec pipeline_spec = {"dlt._dltc.Pipeline", sizeof(Pipeline), 0,
                                    Py_TPFLAGS_DEFAULT, pipeline_slots};

static PyObject *py_pipelines_dir(PyObject *self, PyObject *noargs)
{
    char *d = NULL;
    if (dltc_pipelines_dir(&d))
        return dltcpy_raise(NULL);
    PyObject *r = str_or_none(d);
    dltc_free(d);
    return r;
}

static PyObject *py_pipeline_exists(PyObject *self, PyObject *args)
{
    const char *dir, *name;
    if (!PyArg_ParseTuple(args, "zs:pipeline_exists", &dir, &name))
        return NULL;
    return PyBool_FromLong(dltc_pipeline_exists(dir, name) == 1);
}

static PyMethodDef functions[] = {
    {"pipelines_dir", py_pipelines_dir, METH_NOARGS, "dlt's default pipelines dir"},
    {"pipeline_exists", py_pipeline_exists, METH_VARARGS, "whether a pipeline exists"},
    {NULL, NULL, 0, NULL}};

int dltcpy_pipeline_init(PyObject *m)
{
    if (!(pipeline_type = dltcpy_add_type(m, &pipeline_spec)))
        return -1;
    return PyModule_AddFunctions(m, functions);
}
