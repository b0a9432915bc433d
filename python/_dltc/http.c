/* dlt._dltc.HttpClient: libdltc's retrying HTTP client (include/dltc/http.h) under
 * dlt.sources.helpers.requests. Requests are prepared in Python (URL with its query, headers,
 * body bytes); this file sends them with the GIL released, turns the reply into the Python
 * Response (built by a factory the Python layer registers) and libdltc's failures into the
 * requests exception classes the Python layer registers (HTTPError, ConnectionError, ...).
 *
 * rest.c reaches the same two services through the module functions _http_response and
 * _http_raise, so there is one place that builds Responses and names failures. */
#include "dltcpy.h"

#include <stdlib.h>
#include <string.h>

static PyObject *response_factory; /* Response._from_dltc, set by _http_set_response_factory */

/* ---- responses ---- */

static PyObject *decode_latin1(const char *s)
{
    /* header bytes as http.client reads them (ISO-8859-1) */
    return PyUnicode_DecodeLatin1(s ? s : "", (Py_ssize_t)strlen(s ? s : ""), NULL);
}

static PyObject *header_list(const dltc_http_response *r)
{
    size_t n = dltc_http_response_header_count(r);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        const char *name, *value;
        dltc_http_response_header_at(r, i, &name, &value);
        PyObject *k = decode_latin1(name), *v = decode_latin1(value);
        PyObject *t = k && v ? PyTuple_Pack(2, k, v) : NULL;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (!t) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, (Py_ssize_t)i, t); /* steals t */
    }
    return list;
}

/* A Python Response (a copy: `r` may be lent) made by the registered factory as
 * factory(status, url, [(name, value)], body, elapsed, attempts). */
static PyObject *response_new(const dltc_http_response *r)
{
    if (!response_factory) {
        PyErr_SetString(PyExc_RuntimeError, "dlt.sources.helpers.requests is not imported");
        return NULL;
    }
    size_t len = 0;
    const char *body = dltc_http_response_body(r, &len);
    const char *url = dltc_http_response_url(r);
    PyObject *hs = header_list(r);
    PyObject *b = PyBytes_FromStringAndSize(body ? body : "", body ? (Py_ssize_t)len : 0);
    PyObject *u = PyUnicode_DecodeUTF8(url ? url : "", (Py_ssize_t)strlen(url ? url : ""),
                                       "replace");
    PyObject *out = NULL;
    if (hs && b && u)
        out = PyObject_CallFunction(response_factory, "iOOOdi", dltc_http_response_status(r), u,
                                    hs, b, dltc_http_response_elapsed(r),
                                    dltc_http_response_attempts(r));
    Py_XDECREF(hs);
    Py_XDECREF(b);
    Py_XDECREF(u);
    return out;
}

/* ---- failures ---- */

/* "404 Client Error: ..." / "503 Server Error: ...": dlt's HTTPError text */
static int is_status_message(const char *m)
{
    for (int i = 0; i < 3; i++)
        if (m[i] < '0' || m[i] > '9')
            return 0;
    return strncmp(m + 3, " Client Error: ", 15) == 0 ||
           strncmp(m + 3, " Server Error: ", 15) == 0;
}

/* The requests exception class (registered name) for a libdltc failure; NULL = ValueError.
 * The transport kinds are the words libdltc's messages use (docs/http.md). */
static const char *failure_class(int code, const char *m)
{
    switch (code) {
    case DLTC_ENETWORK:
        if (is_status_message(m))
            return "HTTPError";
        if (strstr(m, ": timed out ("))
            return strstr(m, "Connection timed out") || strstr(m, "Failed to connect") ||
                           strstr(m, "Resolving timed out")
                       ? "ConnectTimeout"
                       : "ReadTimeout";
        if (strstr(m, ": TLS error ("))
            return "SSLError";
        if (strstr(m, ": response incomplete"))
            return "ChunkedEncodingError";
        if (strstr(m, "unsupported Content-Encoding"))
            return "ContentDecodingError";
        if (strstr(m, "redirects followed"))
            return "TooManyRedirects";
        return "ConnectionError";
    case DLTC_EINVALID:
        if (strstr(m, "rotocol") || strstr(m, "scheme"))
            return "InvalidSchema";
        if (strstr(m, "URL") || strstr(m, "url"))
            return "InvalidURL";
        if (strstr(m, "header"))
            return "InvalidHeader";
        return NULL;
    case DLTC_EPARSE:
        return strstr(m, "is not JSON") ? "JSONDecodeError" : NULL;
    case DLTC_ELIMIT:
        return "RequestException";
    default:
        return "DltcError";
    }
}

/* Raise the calling thread's last libdltc error as its requests class, with `response`
 * (may be NULL) as the exception's .response. Returns NULL. */
static PyObject *raise_failure(PyObject *response)
{
    const dltc_error *e = dltc_error_last();
    int code = e->code ? e->code : DLTC_ERROR;
    const char *msg = e->message && *e->message ? e->message : "HTTP request failed";
    const char *name = failure_class(code, msg);
    if (!name) {
        PyErr_SetString(PyExc_ValueError, msg);
        return NULL;
    }
    dltcpy_raise_msg(name, code, msg);
    if (response && response != Py_None) {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        if (v && PyObject_SetAttrString(v, "response", response) < 0)
            PyErr_Clear(); /* the original error matters more */
        PyErr_Restore(t, v, tb);
    }
    return NULL;
}

/* ---- HttpClient ---- */

typedef struct {
    PyObject_HEAD
    dltc_http_client *c;
    dltc_http_options o; /* as resolved; o.ca_file points to ca_file */
    char *ca_file;
    int busy; /* a send is running with the GIL released */
} HttpClient;

/* *dst from an optional Python number: NULL or None keeps it. */
static int opt_double(PyObject *v, double *dst, const char *name)
{
    if (!v || v == Py_None)
        return 0;
    double d = PyFloat_AsDouble(v);
    if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Format(PyExc_TypeError, "%s must be a number", name);
        return -1;
    }
    *dst = d;
    return 0;
}

static int opt_int(PyObject *v, int *dst, const char *name)
{
    if (!v || v == Py_None)
        return 0;
    long l = PyLong_AsLong(v);
    if (l == -1 && PyErr_Occurred())
        return -1;
    if (l < 0 || l > 1000000) {
        PyErr_Format(PyExc_ValueError, "%s out of range", name);
        return -1;
    }
    *dst = (int)l;
    return 0;
}

/* dlt's defaults, then the runtime section of the config, then what the caller gave. */
static int resolve_options(dltc_http_options *o, int use_config)
{
    dltc_http_options d = DLTC_HTTP_OPTIONS_INIT;
    *o = d;
    if (!use_config)
        return 0;
    dltc_config *cfg = NULL;
    if (dltc_config_open(&cfg, NULL)) {
        dltcpy_raise("ConfigurationException");
        return -1;
    }
    int rc = dltc_http_options_from_config(o, cfg);
    dltc_config_free(cfg);
    if (rc) {
        dltcpy_raise("ConfigurationException");
        return -1;
    }
    return 0;
}

/* HttpClient(*, timeout=None, connect_timeout=None, total_timeout=None, max_attempts=None,
 *            backoff_factor=None, max_retry_delay=None, respect_retry_after=None,
 *            ca_file=None, use_config=True): None takes the runtime config or dlt's default. */
static int client_init(PyObject *o, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"timeout",         "connect_timeout", "total_timeout",
                             "max_attempts",    "backoff_factor",  "max_retry_delay",
                             "respect_retry_after", "ca_file",     "use_config", NULL};
    PyObject *timeout = NULL, *ct = NULL, *tt = NULL, *att = NULL, *bf = NULL, *mrd = NULL,
             *rra = NULL;
    const char *ca_file = NULL;
    int use_config = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOOOOzp:HttpClient", kwlist, &timeout, &ct,
                                     &tt, &att, &bf, &mrd, &rra, &ca_file, &use_config))
        return -1;
    HttpClient *self = (HttpClient *)o;
    if (self->c) {
        PyErr_SetString(PyExc_RuntimeError, "HttpClient is initialized already");
        return -1;
    }
    dltc_http_options opt;
    if (resolve_options(&opt, use_config) < 0 || opt_double(timeout, &opt.timeout, "timeout") ||
        opt_double(ct, &opt.connect_timeout, "connect_timeout") ||
        opt_double(tt, &opt.total_timeout, "total_timeout") ||
        opt_int(att, &opt.max_attempts, "max_attempts") ||
        opt_double(bf, &opt.backoff_factor, "backoff_factor") ||
        opt_double(mrd, &opt.max_retry_delay, "max_retry_delay"))
        return -1;
    if (rra && rra != Py_None) {
        int t = PyObject_IsTrue(rra);
        if (t < 0)
            return -1;
        opt.respect_retry_after = t;
    }
    opt.raise_for_status = 0; /* the Python layer judges statuses: it needs the response */
    if (ca_file && !(self->ca_file = strdup(ca_file))) {
        PyErr_NoMemory();
        return -1;
    }
    opt.ca_file = self->ca_file;
    if (dltc_http_client_new(&self->c, &opt)) {
        raise_failure(NULL);
        return -1;
    }
    self->o = opt;
    return 0;
}

static void client_dealloc(PyObject *o)
{
    HttpClient *self = (HttpClient *)o;
    dltc_http_client_free(self->c);
    free(self->ca_file);
    dltcpy_free_object(o);
}


/* send(method, url, headers, body) -> Response: one request with libdltc's retries; the
 * URL carries the query, `headers` is [(name, value)], `body` bytes or None. */
static PyObject *client_send(PyObject *o, PyObject *args)
{
    HttpClient *self = (HttpClient *)o;
    const char *method, *url;
    PyObject *headers, *body;
    if (!PyArg_ParseTuple(args, "ssOO:send", &method, &url, &headers, &body))
        return NULL;
    if (!self->c || self->busy) {
        PyErr_SetString(PyExc_RuntimeError, self->c ? "HttpClient used by two threads at once"
                                                    : "HttpClient is not initialized");
        return NULL;
    }
    dltc_http_request rq = DLTC_HTTP_REQUEST_INIT;
    rq.method = method;
    rq.url = url;
    if (body != Py_None) {
        char *data;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(body, &data, &len) < 0)
            return NULL;
        rq.data = data;
        rq.data_len = (size_t)len;
    }
    PyObject *keep = NULL;
    dltc_http_pair *hs = dltcpy_pairs_from(headers, &rq.n_headers, &keep);
    if (!hs && PyErr_Occurred())
        return NULL;
    rq.headers = hs;
    dltc_http_response *r = NULL;
    int rc;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    rc = dltc_http_client_send(&r, self->c, &rq);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    PyMem_Free(hs);
    Py_XDECREF(keep);
    if (rc)
        return raise_failure(NULL);
    PyObject *out = response_new(r);
    dltc_http_response_free(r);
    return out;
}

static int set_item(PyObject *d, const char *key, PyObject *v)
{
    int rc = v ? PyDict_SetItemString(d, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

/* The resolved options as a dict (the keyword arguments of dlt._dltc.RestClient). */
static PyObject *client_options(PyObject *o, void *closure)
{
    const dltc_http_options *x = &((HttpClient *)o)->o;
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    if (set_item(d, "timeout", PyFloat_FromDouble(x->timeout)) < 0 ||
        set_item(d, "connect_timeout", PyFloat_FromDouble(x->connect_timeout)) < 0 ||
        set_item(d, "total_timeout", PyFloat_FromDouble(x->total_timeout)) < 0 ||
        set_item(d, "max_attempts", PyLong_FromLong(x->max_attempts)) < 0 ||
        set_item(d, "backoff_factor", PyFloat_FromDouble(x->backoff_factor)) < 0 ||
        set_item(d, "max_retry_delay", PyFloat_FromDouble(x->max_retry_delay)) < 0 ||
        set_item(d, "respect_retry_after", PyBool_FromLong(x->respect_retry_after)) < 0 ||
        set_item(d, "show_error_body", PyBool_FromLong(x->show_error_body)) < 0 ||
        set_item(d, "max_error_body_length",
                 PyLong_FromSize_t(x->max_error_body_length)) < 0 ||
        set_item(d, "max_response_size", PyLong_FromSize_t(x->max_response_size)) < 0 ||
        set_item(d, "ca_file",
                 x->ca_file ? PyUnicode_FromString(x->ca_file) : (Py_INCREF(Py_None), Py_None)) <
            0) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyMethodDef client_methods[] = {
    {"send", client_send, METH_VARARGS, "send(method, url, headers, body) -> Response"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef client_getset[] = {
    {"options", client_options, NULL, "the resolved options", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot client_slots[] = {{Py_tp_dealloc, client_dealloc},
                                     {Py_tp_init, client_init},
                                     {Py_tp_methods, client_methods},
                                     {Py_tp_getset, client_getset},
                                     {Py_tp_new, PyType_GenericNew},
                                     {0, NULL}};
static PyType_Spec client_spec = {"dlt._dltc.HttpClient", sizeof(HttpClient), 0,
                                  Py_TPFLAGS_DEFAULT, client_slots};

/* ---- module functions ---- */

static PyObject *py_set_response_factory(PyObject *self, PyObject *fn)
{
    if (!PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "the response factory must be callable");
        return NULL;
    }
    Py_INCREF(fn);
    Py_XSETREF(response_factory, fn);
    Py_RETURN_NONE;
}

static PyObject *py_url_redact(PyObject *self, PyObject *args)
{
    const char *url;
    if (!PyArg_ParseTuple(args, "s:http_url_redact", &url))
        return NULL;
    char *out = NULL;
    if (dltc_http_url_redact(&out, url))
        return dltcpy_raise(NULL);
    PyObject *s = PyUnicode_DecodeUTF8(out, (Py_ssize_t)strlen(out), "replace");
    dltc_free(out);
    return s;
}

/* _http_response(capsule "dltc_http_response") -> Response: for rest.c's lent responses. */
static PyObject *py_http_response(PyObject *self, PyObject *cap)
{
    const dltc_http_response *r = PyCapsule_GetPointer(cap, "dltc_http_response");
    return r ? response_new(r) : NULL;
}

/* _http_raise(response or None): raise the thread's last libdltc error (rest.c's). */
static PyObject *py_http_raise(PyObject *self, PyObject *response)
{
    return raise_failure(response);
}

static PyMethodDef functions[] = {
    {"_http_set_response_factory", py_set_response_factory, METH_O,
     "register factory(status, url, headers, body, elapsed, attempts) -> Response"},
    {"http_url_redact", py_url_redact, METH_VARARGS, "a URL with its secrets as ***"},
    {"_http_response", py_http_response, METH_O, "a Response from a lent libdltc response"},
    {"_http_raise", py_http_raise, METH_O, "raise the last libdltc error as requests does"},
    {NULL, NULL, 0, NULL}};

int dltcpy_http_init(PyObject *m)
{
    PyObject *t = dltcpy_add_type(m, &client_spec);
    if (!t)
        return -1;
    Py_DECREF(t);
    return PyModule_AddFunctions(m, functions);
}
