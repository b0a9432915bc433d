/* dlt.config / dlt.secrets: reading values and resolving specs through libdltc's providers
 * (environment, .dlt/secrets.toml, .dlt/config.toml; docs/config.md). */
#include "dltcpy.h"

#include <string.h>

/* The providers are read once per process and opened again by config_reload (tests change
 * the working directory and the files). */
static dltc_config *cfg;

static dltc_config *config(void)
{
    if (!cfg && dltc_config_open(&cfg, NULL)) {
        cfg = NULL;
        dltcpy_raise("ConfigurationException");
    }
    return cfg;
}

/* "a.b.c" -> sections {"a","b",NULL} and key "c", in `buf` */
static int split_key(char *buf, const char **sections, size_t max, const char **key)
{
    size_t n = 0;
    char *s = buf, *dot;
    while ((dot = strchr(s, '.')) && n + 1 < max) {
        *dot = '\0';
        sections[n++] = s;
        s = dot + 1;
    }
    sections[n] = NULL;
    *key = s;
    return 0;
}

static PyObject *raise_missing(void)
{
    char *report = NULL;
    if (cfg && dltc_config_missing_report(&report, cfg) == 0) {
        PyObject *r = dltcpy_raise_msg("ConfigFieldMissingException", DLTC_ENOTFOUND, report);
        dltc_free(report);
        return r;
    }
    return dltcpy_raise("ConfigFieldMissingException");
}

/* config_get(key, is_secret) -> value or raises KeyError when not found */
static PyObject *py_config_get(PyObject *self, PyObject *args)
{
    const char *full;
    int secret = 0;
    if (!PyArg_ParseTuple(args, "s|p:config_get", &full, &secret))
        return NULL;
    dltc_config *c = config();
    if (!c)
        return NULL;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", full);
    const char *sections[32], *key;
    split_key(buf, sections, 32, &key);
    const dltc_value *v;
    int rc = dltc_config_get(&v, c, sections, key, secret, DLTC_TYPE_NULL);
    if (rc == DLTC_ENOTFOUND) {
        PyErr_SetString(PyExc_KeyError, full);
        return NULL;
    }
    if (rc)
        return dltcpy_raise("ConfigurationException");
    return dltcpy_from_value(v);
}

static dltc_value_type type_of(const char *t)
{
    if (!t || !*t)
        return DLTC_TYPE_NULL;
    if (!strcmp(t, "str"))
        return DLTC_TYPE_STRING;
    if (!strcmp(t, "int"))
        return DLTC_TYPE_INT;
    if (!strcmp(t, "float"))
        return DLTC_TYPE_DOUBLE;
    if (!strcmp(t, "bool"))
        return DLTC_TYPE_BOOL;
    if (!strcmp(t, "dict"))
        return DLTC_TYPE_OBJECT;
    if (!strcmp(t, "list"))
        return DLTC_TYPE_ARRAY;
    return DLTC_TYPE_NULL;
}

/* resolve_source(section, name, fields) with fields = [(name, type, is_secret, optional)]:
 * a dict of the values found, or ConfigFieldMissingException with dlt's report. */
static PyObject *py_resolve_source(PyObject *self, PyObject *args)
{
    const char *section, *name;
    PyObject *fields;
    if (!PyArg_ParseTuple(args, "zsO:resolve_source", &section, &name, &fields))
        return NULL;
    dltc_config *c = config();
    if (!c)
        return NULL;
    PyObject *seq = PySequence_Fast(fields, "fields must be a sequence");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Size(seq);
    dltc_config_field *spec = PyMem_Calloc((size_t)n + 1, sizeof(*spec));
    PyObject *result = NULL;
    if (!spec)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PySequence_GetItem(seq, i);
        const char *fname, *ftype;
        int secret, optional;
        int ok = f && PyArg_ParseTuple(f, "szpp", &fname, &ftype, &secret, &optional);
        Py_XDECREF(f); /* the tuple stays alive in `fields` */
        if (!ok)
            goto done;
        spec[i].name = fname;
        spec[i].type = type_of(ftype);
        spec[i].is_secret = secret;
        spec[i].is_optional = optional;
    }
    const dltc_value *v;
    int rc = dltc_config_resolve_source(&v, c, section, name, spec, (size_t)n);
    if (rc == DLTC_ENOTFOUND)
        raise_missing();
    else if (rc)
        dltcpy_raise("ConfigurationException");
    else
        result = dltcpy_from_value(v);
done:
    PyMem_Free(spec);
    Py_DECREF(seq);
    return result;
}

static PyObject *py_config_reload(PyObject *self, PyObject *noargs)
{
    dltc_config_free(cfg);
    cfg = NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"config_get", py_config_get, METH_VARARGS, "Look up a dotted key in config and secrets."},
    {"resolve_source", py_resolve_source, METH_VARARGS, "Resolve a source's config spec."},
    {"config_reload", py_config_reload, METH_NOARGS, "Read the config providers again."},
    {NULL, NULL, 0, NULL}};

int dltcpy_config_init(PyObject *m)
{
    return PyModule_AddFunctions(m, methods);
}
