/* dlt._dltc REST part (include/dltc/rest.h) under dlt.sources.helpers.rest_client:
 *   Auth        a libdltc auth object (auth_bearer/auth_api_key/auth_basic/auth_oauth2)
 *   Paginator   a built-in paginator from dlt's dict config as JSON
 *   RestClient  one thread's REST client: request() and paginate()
 *   Pages       the iterator paginate() returns: (items, Response) per page
 * Blocking calls run with the GIL released; the callbacks libdltc makes into Python (response
 * hooks, a custom BasePaginator) take it back, and a Python error they raise is kept and
 * re-raised, with its traceback, when the blocking call returns. Responses and failures are
 * made by http.c (module functions _http_response and _http_raise). */
#include "dltcpy.h"

#include <stdlib.h>
#include <string.h>

static PyObject *auth_type, *paginator_type, *pages_type;
static PyObject *http_response_fn, *http_raise_fn; /* http.c's _http_response, _http_raise */

/* A Python Response copied from a lent libdltc response. */
static PyObject *response_of(const dltc_http_response *r)
{
    PyObject *cap = PyCapsule_New((void *)r, "dltc_http_response", NULL);
    if (!cap)
        return NULL;
    PyObject *out = PyObject_CallOneArg(http_response_fn, cap);
    Py_DECREF(cap);
    return out;
}

/* Raise the thread's last libdltc error as requests names it, with `response` (or NULL)
 * attached. Returns NULL. */
static PyObject *raise_failure(PyObject *response)
{
    PyObject *r = PyObject_CallOneArg(http_raise_fn, response ? response : Py_None);
    Py_XDECREF(r);
    return NULL;
}

static PyObject *new_instance(PyObject *type)
{
    return PyObject_CallObject(type, NULL);
}

static void generic_free(PyObject *o)
{
    dltcpy_free_object(o);
}

/* ---- Auth ---- */

typedef struct {
    PyObject_HEAD
    dltc_auth *a;
} Auth;

static void auth_dealloc(PyObject *o)
{
    dltc_auth_free(((Auth *)o)->a);
    generic_free(o);
}

/* Wrap a new libdltc auth: rc is its constructor's result, called before (a is its out-
 * parameter, so not in the same expression). The message never holds a secret. */
static PyObject *auth_wrap(int rc, dltc_auth *a)
{
    if (rc) {
        PyErr_SetString(PyExc_ValueError, dltc_error_last()->message);
        return NULL;
    }
    PyObject *o = new_instance(auth_type);
    if (!o) {
        dltc_auth_free(a);
        return NULL;
    }
    ((Auth *)o)->a = a;
    return o;
}

static PyObject *auth_get_type(PyObject *o, void *closure)
{
    dltc_auth *a = ((Auth *)o)->a;
    return a ? PyUnicode_FromString(dltc_auth_type(a)) : (Py_INCREF(Py_None), Py_None);
}

static PyGetSetDef auth_getset[] = {{"type", auth_get_type, NULL, NULL, NULL},
                                    {NULL, NULL, NULL, NULL, NULL}};
static PyType_Slot auth_slots[] = {{Py_tp_dealloc, auth_dealloc},
                                   {Py_tp_getset, auth_getset},
                                   {Py_tp_new, PyType_GenericNew},
                                   {0, NULL}};
static PyType_Spec auth_spec = {"dlt._dltc.Auth", sizeof(Auth), 0, Py_TPFLAGS_DEFAULT,
                                auth_slots};

static PyObject *py_auth_bearer(PyObject *self, PyObject *args)
{
    const char *token;
    if (!PyArg_ParseTuple(args, "s:auth_bearer", &token))
        return NULL;
    dltc_auth *a = NULL;
    int rc = dltc_auth_bearer(&a, token);
    return auth_wrap(rc, a);
}

static PyObject *py_auth_api_key(PyObject *self, PyObject *args)
{
    const char *name, *key, *location;
    if (!PyArg_ParseTuple(args, "zsz:auth_api_key", &name, &key, &location))
        return NULL;
    dltc_auth *a = NULL;
    int rc = dltc_auth_api_key(&a, name, key, location);
    return auth_wrap(rc, a);
}

static PyObject *py_auth_basic(PyObject *self, PyObject *args)
{
    const char *user, *password;
    if (!PyArg_ParseTuple(args, "ss:auth_basic", &user, &password))
        return NULL;
    dltc_auth *a = NULL;
    int rc = dltc_auth_basic(&a, user, password);
    return auth_wrap(rc, a);
}

/* auth_oauth2(access_token_url, client_id, client_secret, request_data_json,
 *             default_token_expiration, access_token) */
static PyObject *py_auth_oauth2(PyObject *self, PyObject *args)
{
    dltc_oauth2_options o = DLTC_OAUTH2_OPTIONS_INIT;
    long long exp = 3600;
    if (!PyArg_ParseTuple(args, "sssz|Lz:auth_oauth2", &o.access_token_url, &o.client_id,
                          &o.client_secret, &o.access_token_request_data, &exp,
                          &o.access_token))
        return NULL;
    o.default_token_expiration = (int64_t)exp;
    dltc_auth *a = NULL;
    int rc = dltc_auth_oauth2_client_credentials(&a, &o);
    return auth_wrap(rc, a);
}

/* ---- Paginator ---- */

typedef struct {
    PyObject_HEAD
    dltc_paginator *p;
} Paginator;

static void paginator_dealloc(PyObject *o)
{
    dltc_paginator_free(((Paginator *)o)->p);
    generic_free(o);
}

/* Paginator(config): dlt's dict config as JSON, or a bare type name; ValueError as dlt's
 * constructors raise it. */
static int paginator_init(PyObject *o, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"config", NULL};
    const char *config;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s:Paginator", kwlist, &config))
        return -1;
    Paginator *self = (Paginator *)o;
    dltc_paginator *p = NULL;
    if (dltc_paginator_new(&p, config)) {
        PyErr_SetString(PyExc_ValueError, dltc_error_last()->message);
        return -1;
    }
    dltc_paginator_free(self->p);
    self->p = p;
    return 0;
}

static PyObject *paginator_get_type(PyObject *o, void *closure)
{
    dltc_paginator *p = ((Paginator *)o)->p;
    return p ? PyUnicode_FromString(dltc_paginator_type(p)) : (Py_INCREF(Py_None), Py_None);
}

static PyObject *paginator_describe(PyObject *o, PyObject *noargs)
{
    dltc_paginator *p = ((Paginator *)o)->p;
    return p ? PyUnicode_FromString(dltc_paginator_describe(p)) : (Py_INCREF(Py_None), Py_None);
}

static PyGetSetDef paginator_getset[] = {{"type", paginator_get_type, NULL, NULL, NULL},
                                         {NULL, NULL, NULL, NULL, NULL}};
static PyMethodDef paginator_methods[] = {
    {"describe", paginator_describe, METH_NOARGS, "dlt's __str__ of the paginator"},
    {NULL, NULL, 0, NULL}};
static PyType_Slot paginator_slots[] = {{Py_tp_dealloc, paginator_dealloc},
                                        {Py_tp_init, paginator_init},
                                        {Py_tp_getset, paginator_getset},
                                        {Py_tp_methods, paginator_methods},
                                        {Py_tp_new, PyType_GenericNew},
                                        {0, NULL}};
static PyType_Spec paginator_spec = {"dlt._dltc.Paginator", sizeof(Paginator), 0,
                                     Py_TPFLAGS_DEFAULT, paginator_slots};

/* ---- request parts from Python ---- */


/* The parts of one request (url, method, params, headers, json, auth) as paginate options;
 * the strings are lent from the Python objects kept in `keep`. */
typedef struct {
    dltc_rest_paginate_options o;
    dltc_http_pair *params, *headers;
    PyObject *keep_params, *keep_headers;
} request_parts;

static void parts_free(request_parts *rp)
{
    PyMem_Free(rp->params);
    PyMem_Free(rp->headers);
    Py_XDECREF(rp->keep_params);
    Py_XDECREF(rp->keep_headers);
}

static int parts_init(request_parts *rp, const char *url, const char *method, PyObject *params,
                      PyObject *headers, const char *json, PyObject *auth)
{
    dltc_rest_paginate_options d = DLTC_REST_PAGINATE_OPTIONS_INIT;
    memset(rp, 0, sizeof(*rp));
    rp->o = d;
    rp->o.path = url;
    rp->o.method = method;
    rp->o.json = json;
    if (auth && auth != Py_None) {
        if (!PyObject_TypeCheck(auth, (PyTypeObject *)auth_type)) {
            PyErr_SetString(PyExc_TypeError, "auth must be a dlt._dltc.Auth");
            return -1;
        }
        rp->o.auth = ((Auth *)auth)->a;
    }
    rp->params = dltcpy_pairs_from(params, &rp->o.n_params, &rp->keep_params);
    if (PyErr_Occurred())
        return -1;
    rp->headers = dltcpy_pairs_from(headers, &rp->o.n_headers, &rp->keep_headers);
    if (PyErr_Occurred())
        return -1;
    rp->o.params = rp->params;
    rp->o.headers = rp->headers;
    return 0;
}

/* ---- Pages ---- */

typedef struct {
    PyObject_HEAD
    dltc_rest_client *client;   /* the pages' own client (connection) */
    dltc_rest_pages *pg;
    dltc_paginator *custom_tpl; /* the bridge to a Python BasePaginator */
    PyObject *refs;             /* what libdltc borrows: RestClient, Auth, Paginator */
    PyObject *custom, *request; /* the Python paginator and its Request */
    PyObject *hooks;            /* list of response hooks, or NULL */
    PyObject *resp, *items;     /* the current page's, built once */
    PyObject *err_t, *err_v, *err_tb; /* the Python error a callback raised */
    int busy;
} Pages;

static void pages_dealloc(PyObject *o)
{
    Pages *self = (Pages *)o;
    dltc_rest_pages_free(self->pg); /* before the template and the client it borrows */
    dltc_paginator_free(self->custom_tpl);
    dltc_rest_client_free(self->client);
    Py_XDECREF(self->refs);
    Py_XDECREF(self->custom);
    Py_XDECREF(self->request);
    Py_XDECREF(self->hooks);
    Py_XDECREF(self->resp);
    Py_XDECREF(self->items);
    Py_XDECREF(self->err_t);
    Py_XDECREF(self->err_v);
    Py_XDECREF(self->err_tb);
    generic_free(o);
}

/* Keep the Python error of a callback (the first one) for pages_next to raise. */
static int keep_error(Pages *self)
{
    if (self->err_t || self->err_v) {
        PyErr_Clear();
    } else {
        PyErr_Fetch(&self->err_t, &self->err_v, &self->err_tb);
        if (!self->err_t) { /* a callback failed without a Python error */
            self->err_t = PyExc_RuntimeError;
            Py_INCREF(self->err_t);
        }
    }
    return DLTC_ERROR;
}

/* The current page's Response and items as Python objects, made on first use (borrowed). */
static PyObject *page_response(Pages *self, const dltc_http_response *r)
{
    if (!self->resp && r)
        self->resp = response_of(r);
    return self->resp;
}

static PyObject *page_items(Pages *self, const dltc_value *items)
{
    if (!self->items && items)
        self->items = dltcpy_from_value(items);
    return self->items;
}

/* dlt's hooks={"response": [fn]}: fn(response); a non-None result replaces the response
 * (requests' dispatch_hook); IgnoreResponseException stops the pagination. */
static int run_hooks(Pages *self, const dltc_http_response *r)
{
    if (!page_response(self, r))
        return keep_error(self);
    Py_ssize_t n = PyList_Size(self->hooks);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *out = PyObject_CallOneArg(PyList_GetItem(self->hooks, i), self->resp);
        if (!out) {
            if (PyErr_ExceptionMatches(dltcpy_exc("IgnoreResponseException"))) {
                PyErr_Clear();
                return DLTC_REST_HOOK_IGNORE;
            }
            return keep_error(self);
        }
        if (out != Py_None)
            Py_XSETREF(self->resp, out);
        else
            Py_DECREF(out);
    }
    return DLTC_REST_HOOK_CONTINUE;
}

static int hook_cb(const dltc_http_response *r, void *payload)
{
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = run_hooks((Pages *)payload, r);
    PyGILState_Release(g);
    return rc;
}

/* A Python ValueError from the last libdltc error (a request change that failed). */
static int libdltc_error(Pages *self)
{
    PyErr_SetString(PyExc_ValueError, dltc_error_last()->message);
    return keep_error(self);
}

/* Carry what the Python paginator changed on its Request into libdltc's request:
 * Request._dltc_sync() -> (url, [(name, value)], [(body_path, json)]). */
static int sync_request(Pages *self, dltc_rest_request *req)
{
    PyObject *st = PyObject_CallMethod(self->request, "_dltc_sync", NULL);
    const char *url;
    PyObject *params, *body;
    if (!st || !PyArg_ParseTuple(st, "sOO", &url, &params, &body)) {
        Py_XDECREF(st);
        return keep_error(self);
    }
    int rc = 0;
    if (strcmp(url, dltc_rest_request_url(req)) != 0 && dltc_rest_request_set_url(req, url))
        rc = libdltc_error(self);
    PyObject *keep = NULL;
    size_t n = 0;
    dltc_http_pair *p = rc ? NULL : dltcpy_pairs_from(params, &n, &keep);
    if (!rc && PyErr_Occurred())
        rc = keep_error(self);
    if (!rc)
        dltc_rest_request_clear_params(req);
    for (size_t i = 0; !rc && i < n; i++)
        if (dltc_rest_request_set_param(req, p[i].name, p[i].value))
            rc = libdltc_error(self);
    PyMem_Free(p);
    Py_XDECREF(keep);
    dltc_http_pair *b = rc ? NULL : dltcpy_pairs_from(body, &n, &keep);
    if (!rc && PyErr_Occurred())
        rc = keep_error(self);
    for (size_t i = 0; !rc && b && i < n; i++)
        if (dltc_rest_request_set_body(req, b[i].name, b[i].value))
            rc = libdltc_error(self);
    PyMem_Free(b);
    Py_XDECREF(keep);
    Py_DECREF(st);
    if (rc)
        return rc;
    /* the mirror shows the URL as resolved (relative next links) */
    PyObject *u = PyUnicode_FromString(dltc_rest_request_url(req));
    if (!u || PyObject_SetAttrString(self->request, "url", u) < 0)
        rc = keep_error(self);
    Py_XDECREF(u);
    return rc;
}

/* paginator.<name>(request), then the request synced back. */
static int call_request_method(Pages *self, const char *name, dltc_rest_request *req)
{
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = 0;
    PyObject *u = PyUnicode_FromString(dltc_rest_request_url(req));
    if (!u || PyObject_SetAttrString(self->request, "url", u) < 0)
        rc = keep_error(self);
    Py_XDECREF(u);
    if (!rc) {
        PyObject *out = PyObject_CallMethod(self->custom, name, "O", self->request);
        if (!out)
            rc = keep_error(self);
        Py_XDECREF(out);
    }
    if (!rc)
        rc = sync_request(self, req);
    PyGILState_Release(g);
    return rc;
}

static int cb_init_request(dltc_rest_request *req, void *payload)
{
    return call_request_method((Pages *)payload, "init_request", req);
}

static int cb_update_request(dltc_rest_request *req, void *payload)
{
    return call_request_method((Pages *)payload, "update_request", req);
}

/* paginator.update_state(response, data); *has_next = paginator.has_next_page */
static int cb_update_state(const dltc_http_response *r, const dltc_value *items, int *has_next,
                           void *payload)
{
    Pages *self = payload;
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = 0;
    PyObject *resp = page_response(self, r), *data = resp ? page_items(self, items) : NULL;
    PyObject *out = data ? PyObject_CallMethod(self->custom, "update_state", "OO", resp, data)
                         : NULL;
    PyObject *has = out ? PyObject_GetAttrString(self->custom, "has_next_page") : NULL;
    int t = has ? PyObject_IsTrue(has) : -1;
    if (t < 0)
        rc = keep_error(self);
    else
        *has_next = t;
    Py_XDECREF(out);
    Py_XDECREF(has);
    PyGILState_Release(g);
    return rc;
}

/* next(pages) -> (items, Response); StopIteration after the last page. */
static PyObject *pages_next(PyObject *o)
{
    Pages *self = (Pages *)o;
    if (!self->pg)
        return NULL;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "pages iterated by two threads at once");
        return NULL;
    }
    Py_CLEAR(self->resp);
    Py_CLEAR(self->items);
    const dltc_value *items = NULL;
    int rc;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    rc = dltc_rest_pages_next(self->pg, &items);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (self->err_t) {
        PyErr_Restore(self->err_t, self->err_v, self->err_tb);
        self->err_t = self->err_v = self->err_tb = NULL;
        return NULL;
    }
    if (rc == DLTC_ITEROVER)
        return NULL;
    const dltc_http_response *r = dltc_rest_pages_response(self->pg);
    if (rc) {
        PyObject *resp = page_response(self, r);
        if (!resp)
            PyErr_Clear(); /* the failure matters more than its response */
        return raise_failure(resp);
    }
    PyObject *data = page_items(self, items), *resp = data ? page_response(self, r) : NULL;
    return resp ? PyTuple_Pack(2, data, resp) : NULL;
}

static PyObject *pages_iter(PyObject *o)
{
    Py_INCREF(o);
    return o;
}

static PyObject *str_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

static PyObject *pages_paginator_type(PyObject *o, PyObject *noargs)
{
    Pages *self = (Pages *)o;
    dltc_paginator *p = self->pg ? dltc_rest_pages_paginator(self->pg) : NULL;
    return str_or_none(p ? dltc_paginator_type(p) : NULL);
}

static PyObject *pages_paginator_describe(PyObject *o, PyObject *noargs)
{
    Pages *self = (Pages *)o;
    dltc_paginator *p = self->pg ? dltc_rest_pages_paginator(self->pg) : NULL;
    return str_or_none(p ? dltc_paginator_describe(p) : NULL);
}

static PyObject *pages_data_selector(PyObject *o, PyObject *noargs)
{
    Pages *self = (Pages *)o;
    return str_or_none(self->pg ? dltc_rest_pages_data_selector(self->pg) : NULL);
}

static PyMethodDef pages_methods[] = {
    {"paginator_type", pages_paginator_type, METH_NOARGS, "the paginator type in use"},
    {"paginator_describe", pages_paginator_describe, METH_NOARGS, "the paginator in use"},
    {"data_selector", pages_data_selector, METH_NOARGS, "the data selector in use"},
    {NULL, NULL, 0, NULL}};
static PyType_Slot pages_slots[] = {{Py_tp_dealloc, pages_dealloc},
                                    {Py_tp_iter, pages_iter},
                                    {Py_tp_iternext, pages_next},
                                    {Py_tp_methods, pages_methods},
                                    {Py_tp_new, PyType_GenericNew},
                                    {0, NULL}};
static PyType_Spec pages_spec = {"dlt._dltc.Pages", sizeof(Pages), 0, Py_TPFLAGS_DEFAULT,
                                 pages_slots};

/* ---- RestClient ---- */

typedef struct {
    PyObject_HEAD
    dltc_rest_client *c;
    dltc_http_options o; /* o.ca_file points to ca_file */
    char *ca_file;
    int busy;
} RestClient;

static void rest_dealloc(PyObject *o)
{
    RestClient *self = (RestClient *)o;
    dltc_rest_client_free(self->c);
    free(self->ca_file);
    generic_free(o);
}

/* A client of its own on the options, which statuses are judged by hooks or dlt's text. */
static int new_client(dltc_rest_client **out, const dltc_http_options *http)
{
    dltc_rest_client_options co = DLTC_REST_CLIENT_OPTIONS_INIT;
    co.http = http;
    if (dltc_rest_client_new(out, &co)) {
        raise_failure(NULL);
        return -1;
    }
    return 0;
}

/* RestClient(**HttpClient.options): the HTTP options as resolved by dlt._dltc.HttpClient. */
static int rest_init(PyObject *o, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"timeout",          "connect_timeout",
                             "total_timeout",    "max_attempts",
                             "backoff_factor",   "max_retry_delay",
                             "respect_retry_after", "show_error_body",
                             "max_error_body_length", "max_response_size",
                             "ca_file",          NULL};
    RestClient *self = (RestClient *)o;
    dltc_http_options h = DLTC_HTTP_OPTIONS_INIT;
    Py_ssize_t mebl = (Py_ssize_t)h.max_error_body_length, mrs = 0;
    const char *ca_file = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$dddiddppnnz:RestClient", kwlist, &h.timeout,
                                     &h.connect_timeout, &h.total_timeout, &h.max_attempts,
                                     &h.backoff_factor, &h.max_retry_delay,
                                     &h.respect_retry_after, &h.show_error_body, &mebl, &mrs,
                                     &ca_file))
        return -1;
    if (self->c) {
        PyErr_SetString(PyExc_RuntimeError, "RestClient is initialized already");
        return -1;
    }
    if (mebl < 0 || mrs < 0) {
        PyErr_SetString(PyExc_ValueError, "sizes must be >= 0");
        return -1;
    }
    h.max_error_body_length = (size_t)mebl;
    h.max_response_size = (size_t)mrs;
    if (ca_file && !(self->ca_file = strdup(ca_file))) {
        PyErr_NoMemory();
        return -1;
    }
    h.ca_file = self->ca_file;
    self->o = h;
    return new_client(&self->c, &self->o);
}

static int continue_hook(const dltc_http_response *r, void *payload)
{
    (void)r;
    (void)payload;
    return DLTC_REST_HOOK_CONTINUE; /* RESTClient.request returns 4xx/5xx as dlt does */
}

/* request(url, method, params, headers, json, auth) -> Response, whatever the status. */
static PyObject *rest_request(PyObject *o, PyObject *args)
{
    RestClient *self = (RestClient *)o;
    const char *url, *method, *json;
    PyObject *params, *headers, *auth;
    if (!PyArg_ParseTuple(args, "ssOOzO:request", &url, &method, &params, &headers, &json,
                          &auth))
        return NULL;
    if (!self->c || self->busy) {
        PyErr_SetString(PyExc_RuntimeError, self->c ? "RestClient used by two threads at once"
                                                    : "RestClient is not initialized");
        return NULL;
    }
    request_parts rp;
    if (parts_init(&rp, url, method, params, headers, json, auth) < 0) {
        parts_free(&rp);
        return NULL;
    }
    rp.o.response_hook = continue_hook;
    dltc_http_response *r = NULL;
    int rc;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    rc = dltc_rest_request_send(&r, self->c, &rp.o);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    parts_free(&rp);
    if (rc)
        return raise_failure(NULL);
    PyObject *out = response_of(r);
    dltc_http_response_free(r);
    return out;
}

/* The bridge to a Python BasePaginator: a custom libdltc paginator calling back into it. */
static int bridge_custom(Pages *pg, PyObject *custom, PyObject *request)
{
    if (!request || request == Py_None) {
        PyErr_SetString(PyExc_TypeError, "a custom paginator needs its Request");
        return -1;
    }
    dltc_paginator_callbacks cb = {DLTC_PAGINATOR_CALLBACKS_VERSION, cb_init_request,
                                   cb_update_state, cb_update_request, pg};
    if (dltc_paginator_custom(&pg->custom_tpl, &cb)) {
        PyErr_SetString(PyExc_ValueError, dltc_error_last()->message);
        return -1;
    }
    Py_INCREF(custom);
    pg->custom = custom;
    Py_INCREF(request);
    pg->request = request;
    return 0;
}

/* paginate(url, method, params, headers, json, auth, paginator, custom, request,
 *          data_selector, hooks) -> Pages. `paginator` is a Paginator or None (detect);
 * `custom` a Python BasePaginator (with its Request) instead; `hooks` a list or None (then
 * a status >= 400 fails with dlt's HTTPError). Nothing is sent before the first next(). */
static PyObject *rest_paginate(PyObject *o, PyObject *args)
{
    RestClient *self = (RestClient *)o;
    const char *url, *method, *json, *selector;
    PyObject *params, *headers, *auth, *paginator, *custom, *request, *hooks;
    if (!PyArg_ParseTuple(args, "ssOOzOOOOzO:paginate", &url, &method, &params, &headers, &json,
                          &auth, &paginator, &custom, &request, &selector, &hooks))
        return NULL;
    if (paginator != Py_None && !PyObject_TypeCheck(paginator, (PyTypeObject *)paginator_type)) {
        PyErr_SetString(PyExc_TypeError, "paginator must be a dlt._dltc.Paginator or None");
        return NULL;
    }
    if (hooks != Py_None && !PyList_Check(hooks)) {
        PyErr_SetString(PyExc_TypeError, "hooks must be a list or None");
        return NULL;
    }
    request_parts rp;
    Pages *pg = NULL;
    if (parts_init(&rp, url, method, params, headers, json, auth) < 0)
        goto fail;
    rp.o.data_selector = selector;
    if (!(pg = (Pages *)new_instance(pages_type)))
        goto fail;
    if (!(pg->refs = PyTuple_Pack(3, o, auth, paginator)))
        goto fail;
    if (custom != Py_None) {
        if (bridge_custom(pg, custom, request) < 0)
            goto fail;
        rp.o.paginator = pg->custom_tpl;
    } else if (paginator != Py_None) {
        rp.o.paginator = ((Paginator *)paginator)->p;
    }
    if (hooks != Py_None) {
        Py_INCREF(hooks);
        pg->hooks = hooks;
        rp.o.response_hook = hook_cb;
        rp.o.hook_payload = pg;
    }
    if (new_client(&pg->client, &self->o) < 0)
        goto fail;
    if (dltc_rest_paginate(&pg->pg, pg->client, &rp.o)) {
        raise_failure(NULL);
        goto fail;
    }
    parts_free(&rp);
    return (PyObject *)pg;
fail:
    parts_free(&rp);
    Py_XDECREF(pg);
    return NULL;
}

static PyMethodDef rest_methods[] = {
    {"request", rest_request, METH_VARARGS,
     "request(url, method, params, headers, json, auth) -> Response"},
    {"paginate", rest_paginate, METH_VARARGS,
     "paginate(url, method, params, headers, json, auth, paginator, custom, request, "
     "data_selector, hooks) -> Pages"},
    {NULL, NULL, 0, NULL}};
static PyType_Slot rest_slots[] = {{Py_tp_dealloc, rest_dealloc},
                                   {Py_tp_init, rest_init},
                                   {Py_tp_methods, rest_methods},
                                   {Py_tp_new, PyType_GenericNew},
                                   {0, NULL}};
static PyType_Spec rest_spec = {"dlt._dltc.RestClient", sizeof(RestClient), 0,
                                Py_TPFLAGS_DEFAULT, rest_slots};

/* ---- module ---- */

static PyMethodDef functions[] = {
    {"auth_bearer", py_auth_bearer, METH_VARARGS, "auth_bearer(token) -> Auth"},
    {"auth_api_key", py_auth_api_key, METH_VARARGS, "auth_api_key(name, api_key, location)"},
    {"auth_basic", py_auth_basic, METH_VARARGS, "auth_basic(username, password) -> Auth"},
    {"auth_oauth2", py_auth_oauth2, METH_VARARGS,
     "auth_oauth2(access_token_url, client_id, client_secret, request_data_json, "
     "default_token_expiration=3600, access_token=None) -> Auth"},
    {NULL, NULL, 0, NULL}};

int dltcpy_rest_init(PyObject *m)
{
    PyObject *rest;
    if (!(auth_type = dltcpy_add_type(m, &auth_spec)) ||
        !(paginator_type = dltcpy_add_type(m, &paginator_spec)) ||
        !(pages_type = dltcpy_add_type(m, &pages_spec)) || !(rest = dltcpy_add_type(m, &rest_spec)))
        return -1;
    Py_DECREF(rest);
    /* http.c registered these first (module.c runs dltcpy_http_init before us) */
    if (!(http_response_fn = PyObject_GetAttrString(m, "_http_response")) ||
        !(http_raise_fn = PyObject_GetAttrString(m, "_http_raise")))
        return -1;
    return PyModule_AddFunctions(m, functions);
}
