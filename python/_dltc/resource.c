/* Python iterables as libdltc resources: the bridge a resource's C callback pulls through.
 *
 * A resource's data is pulled one Python yield per call of the C callback (so add_limit
 * counts yields, as dlt does); a list is handed over in pages. Map and filter steps run here
 * on the Python objects, before the items become values. A transformer gets what its parent
 * yielded (an item, or a whole page), as in dlt. libdltc runs the pipeline with the GIL
 * released; each callback takes it back for as long as it runs Python code.
 *
 * A Python exception inside a callback is kept on the bridge (dltcpy_bridge_take_error) and
 * the callback fails the run; the pipeline then raises it with its traceback. */
#include "dltcpy.h"
#include "resource.h"

#include <string.h>

#define LIST_PAGE 1000   /* items of a list handed over per call (without a limit) */
#define PULL_BUDGET 1024 /* items a call pulls from an iterator (without a limit) */

/* ---- the live cursor of an incremental resource (dlt's Incremental attributes) ---- */

typedef struct {
    PyObject_HEAD
    dltc_incremental *inc; /* valid only inside a callback of its resource */
    PyObject *snap;        /* dict of the values as of the last callback */
} Cursor;

static PyObject *cursor_value(const dltc_value *v)
{
    if (!v)
        Py_RETURN_NONE;
    return dltcpy_from_value(v);
}

static int cursor_snapshot(Cursor *c)
{
    if (!c->inc)
        return 0;
    PyObject *d = PyDict_New();
    if (!d)
        return -1;
    struct {
        const char *name;
        const dltc_value *v;
    } vals[] = {{"last_value", dltc_incremental_last_value(c->inc)},
                {"start_value", dltc_incremental_start_value(c->inc)},
                {"initial_value", dltc_incremental_initial_value(c->inc)},
                {"end_value", dltc_incremental_end_value(c->inc)}};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        PyObject *v = cursor_value(vals[i].v);
        if (!v || PyDict_SetItemString(d, vals[i].name, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(d);
            return -1;
        }
        Py_DECREF(v);
    }
    PyObject *so = PyBool_FromLong(dltc_incremental_start_out_of_range(c->inc));
    PyObject *eo = PyBool_FromLong(dltc_incremental_end_out_of_range(c->inc));
    PyDict_SetItemString(d, "start_out_of_range", so);
    PyDict_SetItemString(d, "end_out_of_range", eo);
    Py_DECREF(so);
    Py_DECREF(eo);
    Py_XSETREF(c->snap, d);
    return 0;
}

/* cursor.get(name): the live value inside a callback, else the last snapshot (None before
 * the first run) */
static PyObject *cursor_get(PyObject *self, PyObject *arg)
{
    Cursor *c = (Cursor *)self;
    const char *name = PyUnicode_AsUTF8AndSize(arg, NULL);
    if (!name)
        return NULL;
    if (c->inc) {
        if (!strcmp(name, "last_value"))
            return cursor_value(dltc_incremental_last_value(c->inc));
        if (!strcmp(name, "start_value"))
            return cursor_value(dltc_incremental_start_value(c->inc));
        if (!strcmp(name, "initial_value"))
            return cursor_value(dltc_incremental_initial_value(c->inc));
        if (!strcmp(name, "end_value"))
            return cursor_value(dltc_incremental_end_value(c->inc));
        if (!strcmp(name, "start_out_of_range"))
            return PyBool_FromLong(dltc_incremental_start_out_of_range(c->inc));
        if (!strcmp(name, "end_out_of_range"))
            return PyBool_FromLong(dltc_incremental_end_out_of_range(c->inc));
        PyErr_Format(PyExc_AttributeError, "cursor has no value '%s'", name);
        return NULL;
    }
    PyObject *v = c->snap ? PyDict_GetItemWithError(c->snap, arg) : NULL;
    if (v) {
        Py_INCREF(v);
        return v;
    }
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *cursor_live(PyObject *self, PyObject *noargs)
{
    return PyBool_FromLong(((Cursor *)self)->inc != NULL);
}

static void cursor_dealloc(PyObject *self)
{
    Cursor *c = (Cursor *)self;
    Py_XDECREF(c->snap);
    dltcpy_free_object(self);
}

static PyMethodDef cursor_methods[] = {
    {"get", cursor_get, METH_O, "A value of the cursor (last_value, start_out_of_range…)."},
    {"live", cursor_live, METH_NOARGS, "True while its resource runs."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot cursor_slots[] = {{Py_tp_dealloc, cursor_dealloc},
                                     {Py_tp_methods, cursor_methods},
                                     {Py_tp_new, PyType_GenericNew},
                                     {0, NULL}};
static PyType_Spec cursor_spec = {"dlt._dltc.Cursor", sizeof(Cursor), 0, Py_TPFLAGS_DEFAULT,
                                  cursor_slots};
static PyObject *cursor_type;

/* ---- the bridge ---- */

struct dltcpy_bridge {
    PyObject *factory; /* called (no arguments) at the first pull: gives the data */
    PyObject *data;    /* a list/tuple handed over in pages, or NULL */
    Py_ssize_t data_pos;
    PyObject *iter;    /* the iterator pulled, or NULL */
    int started, one_by_one, exhausted;
    PyObject *steps;   /* list of (is_filter, fn) or NULL */
    PyObject *transform; /* a transformer's function: fn(item_or_page) */
    dltcpy_bridge *parent;
    PyObject *page;    /* what this resource last yielded (for its transformers) */
    uint64_t page_seq, parent_seen;
    Cursor *cursor;    /* or NULL */
    PyObject *cmp;     /* custom last_value_func, or NULL */
    PyObject *table_fn;/* per-item table name function, or NULL */
    PyObject *table_name; /* its last result, kept alive for libdltc */
    PyObject *err_type, *err_value, *err_tb; /* the Python error that failed the run */
};

static int bridge_fail(dltcpy_bridge *b)
{
    if (!b->err_type)
        PyErr_Fetch(&b->err_type, &b->err_value, &b->err_tb);
    else
        PyErr_Clear();
    return DLTC_ERROR;
}

int dltcpy_bridge_take_error(dltcpy_bridge *b)
{
    if (!b || !b->err_type)
        return 0;
    PyErr_Restore(b->err_type, b->err_value, b->err_tb);
    b->err_type = b->err_value = b->err_tb = NULL;
    return 1;
}

/* Apply the Python steps to one item: a new reference, or Py_None (borrowed semantics:
 * returned incref'd) when a filter dropped it; NULL on error. *keep = 0 when dropped. */
static PyObject *apply_steps(dltcpy_bridge *b, PyObject *item, int *keep)
{
    *keep = 1;
    Py_INCREF(item);
    if (!b->steps)
        return item;
    Py_ssize_t n = PyList_Size(b->steps);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *st = PyList_GetItem(b->steps, i);
        PyObject *is_filter = PyTuple_GetItem(st, 0), *fn = PyTuple_GetItem(st, 1);
        PyObject *r = PyObject_CallOneArg(fn, item);
        if (!r) {
            Py_DECREF(item);
            return NULL;
        }
        if (PyObject_IsTrue(is_filter)) {
            int t = PyObject_IsTrue(r);
            Py_DECREF(r);
            if (t < 0) {
                Py_DECREF(item);
                return NULL;
            }
            if (!t) {
                *keep = 0;
                return item;
            }
        } else {
            Py_DECREF(item);
            item = r;
            if (item == Py_None) { /* dlt: a map returning None drops the item */
                *keep = 0;
                return item;
            }
        }
    }
    return item;
}

/* The steps over a yielded object: a page (list) item by item, else the one item. */
static PyObject *stepped(dltcpy_bridge *b, PyObject *obj, int *keep)
{
    if (!b->steps || !PyList_Check(obj))
        return apply_steps(b, obj, keep);
    *keep = 1;
    Py_ssize_t n = PyList_Size(obj);
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        int k;
        PyObject *it = apply_steps(b, PyList_GetItem(obj, i), &k);
        if (!it || (k && PyList_Append(out, it) < 0)) {
            Py_XDECREF(it);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(it);
    }
    return out;
}

/* Yield one Python object (item or page) into libdltc. */
static int yield_py(dltcpy_bridge *b, dltc_yield *y, PyObject *obj)
{
    int keep;
    PyObject *o = stepped(b, obj, &keep);
    if (!o)
        return bridge_fail(b);
    if (!keep) {
        Py_DECREF(o);
        return 0;
    }
    dltc_doc *doc = dltc_yield_doc(y);
    dltc_value *v;
    if (dltcpy_to_value(doc, o, &v) < 0) {
        Py_DECREF(o);
        return bridge_fail(b);
    }
    Py_XSETREF(b->page, o);
    b->page_seq++;
    int rc = dltc_yield_value(y, v);
    if (rc == DLTC_ITEROVER) /* the cursor closed the resource (row_order) */
        return DLTC_ITEROVER;
    if (rc && PyErr_Occurred()) /* a transformer or table function raised below */
        return bridge_fail(b);
    return rc;
}

static void attach_cursor(dltcpy_bridge *b, dltc_yield *y)
{
    if (b->cursor)
        b->cursor->inc = dltc_yield_incremental(y);
}

static int detach_cursor(dltcpy_bridge *b)
{
    if (!b->cursor)
        return 0;
    int rc = cursor_snapshot(b->cursor);
    b->cursor->inc = NULL;
    return rc;
}

static int start(dltcpy_bridge *b)
{
    b->started = 1;
    PyObject *d = b->factory ? PyObject_CallNoArgs(b->factory) : NULL;
    if (!d)
        return -1;
    if (PyList_Check(d) || PyTuple_Check(d)) {
        b->data = d;
        return 0;
    }
    if (PyDict_Check(d) || PyUnicode_Check(d) || PyBytes_Check(d)) {
        /* one item: a one-element page */
        b->data = PyList_New(1);
        if (!b->data) {
            Py_DECREF(d);
            return -1;
        }
        PyList_SetItem(b->data, 0, d);
        return 0;
    }
    b->iter = PyObject_GetIter(d);
    Py_DECREF(d);
    return b->iter ? 0 : -1;
}

static int pull(dltcpy_bridge *b, dltc_yield *y)
{
    if (!b->started && start(b) < 0)
        return bridge_fail(b);
    if (b->data) {
        Py_ssize_t n = PySequence_Size(b->data);
        if (b->data_pos >= n)
            return DLTC_ITEROVER;
        Py_ssize_t k = b->one_by_one ? 1 : n - b->data_pos;
        if (k > LIST_PAGE)
            k = LIST_PAGE;
        PyObject *page;
        if (b->one_by_one) {
            page = PySequence_GetItem(b->data, b->data_pos);
        } else {
            page = PySequence_GetSlice(b->data, b->data_pos, b->data_pos + k);
            if (page && !PyList_Check(page)) {
                PyObject *l = PySequence_List(page);
                Py_DECREF(page);
                page = l;
            }
        }
        if (!page)
            return bridge_fail(b);
        b->data_pos += k;
        int rc = yield_py(b, y, page);
        Py_DECREF(page);
        return rc;
    }
    if (b->exhausted)
        return DLTC_ITEROVER;
    /* several yields per call, unless a limit counts them: the call's fixed costs (the GIL,
     * libdltc's per-call work) are paid once per PULL_BUDGET items */
    Py_ssize_t budget = b->one_by_one ? 1 : PULL_BUDGET;
    int yielded = 0;
    while (budget > 0) {
        PyObject *it = PyIter_Next(b->iter);
        if (!it) {
            if (PyErr_Occurred())
                return bridge_fail(b);
            b->exhausted = 1;
            return yielded ? 0 : DLTC_ITEROVER;
        }
        Py_ssize_t n = PyList_Check(it) ? PyList_Size(it) : 1;
        budget -= n > 0 ? n : 1;
        int rc = yield_py(b, y, it);
        Py_DECREF(it);
        if (rc)
            return rc;
        yielded = 1;
    }
    return 0;
}

static int resource_cb(dltc_yield *y, void *payload)
{
    dltcpy_bridge *b = payload;
    PyGILState_STATE g = PyGILState_Ensure();
    attach_cursor(b, y);
    int rc = pull(b, y);
    if (detach_cursor(b) < 0 && !rc)
        rc = bridge_fail(b);
    PyGILState_Release(g);
    return rc;
}

/* A transformer: called by libdltc for each item of its parent; the Python function gets the
 * parent's whole yield once (the item, or the page the item came in). */
static int transformer_cb(const dltc_value *item, dltc_yield *y, void *payload)
{
    dltcpy_bridge *b = payload;
    dltcpy_bridge *p = b->parent;
    if (!p)
        return 0;
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = 0;
    if (b->parent_seen != p->page_seq) {
        b->parent_seen = p->page_seq;
        attach_cursor(b, y);
        PyObject *arg = p->page;
        Py_XINCREF(arg);
        PyObject *r = arg ? PyObject_CallOneArg(b->transform, arg) : NULL;
        Py_XDECREF(arg);
        if (!r) {
            rc = bridge_fail(b);
        } else if (r == Py_None) {
            Py_DECREF(r);
        } else if (PyDict_Check(r) || PyList_Check(r) || PyUnicode_Check(r)) {
            rc = yield_py(b, y, r);
            Py_DECREF(r);
        } else {
            PyObject *iter = PyObject_GetIter(r);
            Py_DECREF(r);
            if (!iter)
                rc = bridge_fail(b);
            while (iter && !rc) {
                PyObject *it = PyIter_Next(iter);
                if (!it) {
                    if (PyErr_Occurred())
                        rc = bridge_fail(b);
                    break;
                }
                rc = yield_py(b, y, it);
                Py_DECREF(it);
            }
            Py_XDECREF(iter);
            if (rc == DLTC_ITEROVER)
                rc = 0;
        }
        if (detach_cursor(b) < 0 && !rc)
            rc = bridge_fail(b);
    }
    PyGILState_Release(g);
    return rc;
}

static int cmp_cb(const dltc_value *a, const dltc_value *bv, void *payload)
{
    dltcpy_bridge *b = payload;
    PyGILState_STATE g = PyGILState_Ensure();
    int out = 0;
    PyObject *pa = dltcpy_from_value(a), *pb = dltcpy_from_value(bv);
    PyObject *t = pa && pb ? PyTuple_Pack(2, pa, pb) : NULL;
    PyObject *r = t ? PyObject_CallOneArg(b->cmp, t) : NULL;
    if (r) {
        int eq = PyObject_RichCompareBool(pa, pb, Py_EQ);
        int is_a = PyObject_RichCompareBool(r, pa, Py_EQ);
        out = eq > 0 ? 0 : is_a > 0 ? 1 : -1;
    }
    if (PyErr_Occurred())
        bridge_fail(b);
    Py_XDECREF(r);
    Py_XDECREF(t);
    Py_XDECREF(pa);
    Py_XDECREF(pb);
    PyGILState_Release(g);
    return out;
}

static const char *table_cb(const dltc_value *item, void *payload)
{
    dltcpy_bridge *b = payload;
    PyGILState_STATE g = PyGILState_Ensure();
    const char *name = NULL;
    PyObject *pi = dltcpy_from_value(item);
    PyObject *r = pi ? PyObject_CallOneArg(b->table_fn, pi) : NULL;
    Py_XDECREF(pi);
    if (r && PyUnicode_Check(r)) {
        Py_XSETREF(b->table_name, r);
        name = PyUnicode_AsUTF8AndSize(r, NULL);
    } else {
        if (r) {
            Py_DECREF(r);
            PyErr_SetString(PyExc_TypeError, "table_name function must return a str");
        }
        bridge_fail(b);
    }
    PyGILState_Release(g);
    return name;
}

void dltcpy_bridge_free(dltcpy_bridge *b)
{
    if (!b)
        return;
    Py_XDECREF(b->factory);
    Py_XDECREF(b->data);
    Py_XDECREF(b->iter);
    Py_XDECREF(b->steps);
    Py_XDECREF(b->transform);
    Py_XDECREF(b->page);
    Py_XDECREF((PyObject *)b->cursor);
    Py_XDECREF(b->cmp);
    Py_XDECREF(b->table_fn);
    Py_XDECREF(b->table_name);
    Py_XDECREF(b->err_type);
    Py_XDECREF(b->err_value);
    Py_XDECREF(b->err_tb);
    PyMem_Free(b);
}

/* ---- Resource and Source objects ---- */

typedef struct {
    PyObject_HEAD
    dltc_resource *r;   /* until added to a source */
    dltcpy_bridge *b;
    PyObject *parent;   /* the parent Resource of a transformer */
} Resource;

/* A Python function as a step of a resource built in libdltc (rest_api_source & co). */
typedef struct {
    PyObject *fn;
    int is_filter;
    PyObject *err_type, *err_value, *err_tb;
} pystep;

typedef struct {
    PyObject_HEAD
    dltc_source *src;
    PyObject *resources; /* list of Resource: their bridges outlive the C source */
    pystep **steps;      /* steps added to its libdltc resources; freed after the source */
    size_t nsteps;
} Source;

static PyObject *resource_type, *source_type;

static const char *opt_str(PyObject *kw, const char *key)
{
    PyObject *v = kw ? PyDict_GetItemString(kw, key) : NULL;
    if (!v || v == Py_None)
        return NULL;
    return PyUnicode_Check(v) ? PyUnicode_AsUTF8AndSize(v, NULL) : NULL;
}

static PyObject *opt_obj(PyObject *kw, const char *key)
{
    PyObject *v = kw ? PyDict_GetItemString(kw, key) : NULL;
    return v == Py_None ? NULL : v;
}

/* The incremental options from a dict: cursor_path, initial_value, end_value (Python values),
 * last_value_func ("max", "min" or a callable), row_order, primary_key, lag,
 * on_cursor_value_missing, range_start, range_end. */
static int set_incremental(Resource *self, PyObject *inc)
{
    dltc_incremental_options io = DLTC_INCREMENTAL_OPTIONS_INIT;
    char *initial = NULL, *end = NULL;
    int rc = -1;
    io.cursor_path = opt_str(inc, "cursor_path");
    PyObject *iv = opt_obj(inc, "initial_value"), *ev = opt_obj(inc, "end_value");
    if (iv && !(initial = dltcpy_to_json(iv, NULL)))
        goto done;
    if (ev && !(end = dltcpy_to_json(ev, NULL)))
        goto done;
    io.initial_value = initial;
    io.end_value = end;
    PyObject *lvf = opt_obj(inc, "last_value_func");
    if (lvf && PyUnicode_Check(lvf)) {
        io.last_value_func = PyUnicode_AsUTF8AndSize(lvf, NULL);
    } else if (lvf) {
        Py_INCREF(lvf);
        self->b->cmp = lvf;
        io.last_value_cmp = cmp_cb;
        io.last_value_payload = self->b;
    }
    io.row_order = opt_str(inc, "row_order");
    PyObject *pk = PyDict_GetItemString(inc, "primary_key");
    if (pk && pk != Py_None)
        io.primary_key = PyUnicode_AsUTF8AndSize(pk, NULL);
    PyObject *lag = opt_obj(inc, "lag");
    if (lag)
        io.lag = PyFloat_AsDouble(lag);
    io.on_cursor_value_missing = opt_str(inc, "on_cursor_value_missing");
    io.range_start = opt_str(inc, "range_start");
    io.range_end = opt_str(inc, "range_end");
    if (PyErr_Occurred())
        goto done;
    if (dltc_resource_set_incremental(self->r, &io)) {
        dltcpy_raise("InvalidIncrementalConfig");
        goto done;
    }
    rc = 0;
done:
    dltc_free(initial);
    dltc_free(end);
    return rc;
}

/* Resource(name, factory=None, *, parent=None, transform=None, steps=None, limit=0,
 *          cursor=None, incremental=None, one_by_one=False, table_name_fn=None,
 *          table_name, write_disposition, merge_strategy, primary_key, merge_key, columns,
 *          max_table_nesting, selected, file_format, schema_contract) */
static int resource_init(PyObject *o, PyObject *args, PyObject *kw)
{
    Resource *self = (Resource *)o;
    const char *name;
    PyObject *factory = Py_None;
    if (!PyArg_ParseTuple(args, "s|O:Resource", &name, &factory))
        return -1;
    self->b = PyMem_Calloc(1, sizeof(*self->b));
    if (!self->b) {
        PyErr_NoMemory();
        return -1;
    }
    dltcpy_bridge *b = self->b;
    if (factory != Py_None) {
        Py_INCREF(factory);
        b->factory = factory;
    }
    PyObject *steps = opt_obj(kw, "steps");
    if (steps) {
        if (!PyList_Check(steps)) {
            PyErr_SetString(PyExc_TypeError, "steps must be a list of (is_filter, fn)");
            return -1;
        }
        Py_INCREF(steps);
        b->steps = steps;
    }
    PyObject *one = opt_obj(kw, "one_by_one");
    b->one_by_one = one && PyObject_IsTrue(one);
    dltc_resource_options ro = DLTC_RESOURCE_OPTIONS_INIT;
    ro.table_name = opt_str(kw, "table_name");
    ro.write_disposition = opt_str(kw, "write_disposition");
    ro.merge_strategy = opt_str(kw, "merge_strategy");
    ro.primary_key = opt_str(kw, "primary_key");
    ro.merge_key = opt_str(kw, "merge_key");
    ro.columns = opt_str(kw, "columns");
    ro.file_format = opt_str(kw, "file_format");
    ro.schema_contract = opt_str(kw, "schema_contract");
    PyObject *mtn = opt_obj(kw, "max_table_nesting");
    if (mtn)
        ro.max_table_nesting = (int)PyLong_AsLong(mtn);
    PyObject *sel = opt_obj(kw, "selected");
    if (sel)
        ro.selected = PyObject_IsTrue(sel);
    PyObject *tfn = opt_obj(kw, "table_name_fn");
    if (tfn) {
        Py_INCREF(tfn);
        b->table_fn = tfn;
        ro.table_name_fn = table_cb;
        ro.table_name_payload = b;
    }
    if (PyErr_Occurred())
        return -1;
    PyObject *parent = opt_obj(kw, "parent");
    int rc;
    if (parent) {
        if (!PyObject_TypeCheck(parent, (PyTypeObject *)resource_type) ||
            !((Resource *)parent)->r) {
            PyErr_SetString(PyExc_TypeError, "parent must be a Resource not yet in a source");
            return -1;
        }
        PyObject *tr = opt_obj(kw, "transform");
        if (!tr || !PyCallable_Check(tr)) {
            PyErr_SetString(PyExc_TypeError, "a transformer needs a callable transform");
            return -1;
        }
        Py_INCREF(tr);
        b->transform = tr;
        Py_INCREF(parent);
        self->parent = parent;
        b->parent = ((Resource *)parent)->b;
        rc = dltc_transformer_new(&self->r, name, ((Resource *)parent)->r, transformer_cb, b,
                                  &ro);
    } else {
        rc = dltc_resource_new(&self->r, name, resource_cb, b, &ro);
    }
    if (rc) {
        dltcpy_raise("ResourceExtractionError");
        return -1;
    }
    PyObject *limit = opt_obj(kw, "limit");
    if (limit) {
        long n = PyLong_AsLong(limit);
        if (n > 0 && dltc_resource_add_limit(self->r, (size_t)n)) {
            dltcpy_raise(NULL);
            return -1;
        }
    }
    PyObject *cur = opt_obj(kw, "cursor");
    if (cur) {
        if (!PyObject_TypeCheck(cur, (PyTypeObject *)cursor_type)) {
            PyErr_SetString(PyExc_TypeError, "cursor must be a Cursor");
            return -1;
        }
        Py_INCREF(cur);
        b->cursor = (Cursor *)cur;
    }
    PyObject *inc = opt_obj(kw, "incremental");
    if (inc && (!PyDict_Check(inc) || set_incremental(self, inc) < 0)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "incremental must be a dict of options");
        return -1;
    }
    return 0;
}

static void resource_dealloc(PyObject *o)
{
    Resource *self = (Resource *)o;
    dltc_resource_free(self->r);
    dltcpy_bridge_free(self->b);
    Py_XDECREF(self->parent);
    dltcpy_free_object(o);
}

static PyType_Slot resource_slots[] = {{Py_tp_dealloc, resource_dealloc},
                                       {Py_tp_init, resource_init},
                                       {Py_tp_new, PyType_GenericNew},
                                       {0, NULL}};
static PyType_Spec resource_spec = {"dlt._dltc.Resource", sizeof(Resource), 0,
                                    Py_TPFLAGS_DEFAULT, resource_slots};

static int source_init(PyObject *o, PyObject *args, PyObject *kw)
{
    Source *self = (Source *)o;
    const char *name;
    if (!PyArg_ParseTuple(args, "s:Source", &name))
        return -1;
    self->resources = PyList_New(0);
    if (!self->resources)
        return -1;
    if (dltc_source_new(&self->src, name)) {
        dltcpy_raise(NULL);
        return -1;
    }
    return 0;
}

/* add(resource): parents before their transformers */
static PyObject *source_add(PyObject *o, PyObject *arg)
{
    Source *self = (Source *)o;
    if (!PyObject_TypeCheck(arg, (PyTypeObject *)resource_type) || !((Resource *)arg)->r) {
        PyErr_SetString(PyExc_TypeError, "add() takes a Resource not yet in a source");
        return NULL;
    }
    Resource *r = (Resource *)arg;
    if (PyList_Append(self->resources, arg) < 0)
        return NULL;
    int rc = dltc_source_add(self->src, r->r);
    r->r = NULL; /* the source owns it, also on failure */
    if (rc)
        return dltcpy_raise(NULL);
    Py_RETURN_NONE;
}

static PyObject *source_checkpoints(PyObject *o, PyObject *args)
{
    Source *self = (Source *)o;
    Py_ssize_t items = 0, pages = 0;
    if (!PyArg_ParseTuple(args, "nn:set_checkpoints", &items, &pages))
        return NULL;
    dltc_checkpoint_options co = DLTC_CHECKPOINT_OPTIONS_INIT;
    co.every_items = (size_t)items;
    co.every_pages = (size_t)pages;
    if (dltc_source_set_checkpoints(self->src, &co))
        return dltcpy_raise(NULL);
    Py_RETURN_NONE;
}

dltc_source *dltcpy_source_get(PyObject *o)
{
    if (!PyObject_TypeCheck(o, (PyTypeObject *)source_type)) {
        PyErr_SetString(PyExc_TypeError, "expected a dlt._dltc.Source");
        return NULL;
    }
    return ((Source *)o)->src;
}

static int pystep_cb(const dltc_value *item, dltc_doc *doc, const dltc_value **out,
                     void *payload)
{
    pystep *st = payload;
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = 0;
    PyObject *arg = dltcpy_from_value(item);
    PyObject *r = arg ? PyObject_CallOneArg(st->fn, arg) : NULL;
    Py_XDECREF(arg);
    if (r && st->is_filter) {
        int t = PyObject_IsTrue(r);
        if (t >= 0)
            *out = t ? item : NULL;
        else
            rc = DLTC_ERROR;
    } else if (r && r == Py_None) {
        *out = NULL; /* dlt drops None items */
    } else if (r) {
        dltc_value *v = NULL;
        if (dltcpy_to_value(doc, r, &v) == 0)
            *out = v;
        else
            rc = DLTC_ERROR;
    } else {
        rc = DLTC_ERROR;
    }
    Py_XDECREF(r);
    if (rc) {
        if (!st->err_type)
            PyErr_Fetch(&st->err_type, &st->err_value, &st->err_tb);
        else
            PyErr_Clear();
    }
    PyGILState_Release(g);
    return rc;
}

static void pystep_free(pystep *st)
{
    Py_XDECREF(st->fn);
    Py_XDECREF(st->err_type);
    Py_XDECREF(st->err_value);
    Py_XDECREF(st->err_tb);
    PyMem_Free(st);
}

static dltc_resource *named(Source *self, PyObject *name)
{
    const char *n = PyUnicode_Check(name) ? PyUnicode_AsUTF8AndSize(name, NULL) : NULL;
    dltc_resource *r = n ? dltc_source_resource(self->src, n) : NULL;
    if (!r && !PyErr_Occurred())
        PyErr_Format(PyExc_KeyError, "no resource %R in the source", name);
    return r;
}

/* add_step(resource_name, kind "filter"|"map", fn): after the source's own steps */
static PyObject *source_add_step(PyObject *o, PyObject *args)
{
    Source *self = (Source *)o;
    PyObject *name, *fn;
    const char *kind;
    if (!PyArg_ParseTuple(args, "UsO:add_step", &name, &kind, &fn))
        return NULL;
    if (strcmp(kind, "filter") && strcmp(kind, "map")) {
        PyErr_Format(PyExc_ValueError, "a step is a filter or a map, not %s", kind);
        return NULL;
    }
    if (!PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "a step needs a callable");
        return NULL;
    }
    dltc_resource *r = named(self, name);
    if (!r)
        return NULL;
    pystep **v = PyMem_Realloc(self->steps, (self->nsteps + 1) * sizeof(*v));
    pystep *st = v ? PyMem_Calloc(1, sizeof(*st)) : NULL;
    if (v)
        self->steps = v;
    if (!st)
        return PyErr_NoMemory();
    Py_INCREF(fn);
    st->fn = fn;
    st->is_filter = !strcmp(kind, "filter");
    self->steps[self->nsteps++] = st;
    if (dltc_resource_add_step(r, pystep_cb, st))
        return dltcpy_raise(NULL);
    Py_RETURN_NONE;
}

static PyObject *source_resource_names(PyObject *o, PyObject *noargs)
{
    (void)noargs;
    Source *self = (Source *)o;
    size_t n = dltc_source_resource_count(self->src);
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l && i < n; i++) {
        PyObject *s = PyUnicode_FromString(dltc_resource_name(dltc_source_resource_at(self->src, i)));
        if (!s) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SetItem(l, (Py_ssize_t)i, s);
    }
    return l;
}

static PyObject *source_selected(PyObject *o, PyObject *name)
{
    dltc_resource *r = named((Source *)o, name);
    return r ? PyBool_FromLong(dltc_resource_selected(r)) : NULL;
}

static PyObject *source_set_selected(PyObject *o, PyObject *args)
{
    PyObject *name;
    int on;
    if (!PyArg_ParseTuple(args, "Up:set_selected", &name, &on))
        return NULL;
    dltc_resource *r = named((Source *)o, name);
    if (!r)
        return NULL;
    if (dltc_resource_set_selected(r, on))
        return dltcpy_raise(NULL);
    Py_RETURN_NONE;
}

static PyObject *source_add_limit(PyObject *o, PyObject *args)
{
    PyObject *name;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "Un:add_limit", &name, &n))
        return NULL;
    dltc_resource *r = named((Source *)o, name);
    if (!r)
        return NULL;
    if (n < 0 || dltc_resource_add_limit(r, (size_t)n))
        return n < 0 ? (PyErr_SetString(PyExc_ValueError, "a limit is >= 0"), NULL)
                     : dltcpy_raise(NULL);
    Py_RETURN_NONE;
}

/* source_from_config(json, origin=None): a source of libdltc's (rest_api, sql_database,
 * filesystem) from a [[sources]] entry as JSON */
PyObject *dltcpy_source_from_config(PyObject *mod, PyObject *args)
{
    (void)mod;
    const char *json, *origin = NULL;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "s#|z:source_from_config", &json, &len, &origin))
        return NULL;
    dltc_source *src = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = dltc_source_from_config_json(&src, json, (size_t)len, NULL, origin);
    Py_END_ALLOW_THREADS
    if (rc)
        return dltcpy_raise(rc == DLTC_ENOTFOUND  ? "ConfigFieldMissingException"
                            : rc == DLTC_EINVALID ? "DictValidationException"
                                                  : NULL);
    Source *self = (Source *)PyType_GenericNew((PyTypeObject *)source_type, NULL, NULL);
    if (!self) {
        dltc_source_free(src);
        return NULL;
    }
    self->src = src;
    if (!(self->resources = PyList_New(0))) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* The first Python error a resource of the source kept, restored as the current error. */
int dltcpy_source_take_error(PyObject *o)
{
    Source *self = (Source *)o;
    for (size_t i = 0; i < self->nsteps; i++) {
        pystep *st = self->steps[i];
        if (st->err_type) {
            PyErr_Restore(st->err_type, st->err_value, st->err_tb);
            st->err_type = st->err_value = st->err_tb = NULL;
            return 1;
        }
    }
    Py_ssize_t n = PyList_Size(self->resources);
    for (Py_ssize_t i = 0; i < n; i++)
        if (dltcpy_bridge_take_error(((Resource *)PyList_GetItem(self->resources, i))->b))
            return 1;
    return 0;
}

static void source_dealloc(PyObject *o)
{
    Source *self = (Source *)o;
    dltc_source_free(self->src);
    for (size_t i = 0; i < self->nsteps; i++)
        pystep_free(self->steps[i]);
    PyMem_Free(self->steps);
    Py_XDECREF(self->resources);
    dltcpy_free_object(o);
}

static PyMethodDef source_methods[] = {
    {"add", source_add, METH_O, "Add a Resource (parents before their transformers)."},
    {"set_checkpoints", source_checkpoints, METH_VARARGS,
     "Commit the extract in packages every N items / pages (0 = not by that)."},
    {"add_step", source_add_step, METH_VARARGS,
     "add_step(resource, 'filter'|'map', fn): a Python step of a resource built in libdltc."},
    {"resource_names", source_resource_names, METH_NOARGS, "The names of the resources."},
    {"selected", source_selected, METH_O, "Whether a resource is selected."},
    {"set_selected", source_set_selected, METH_VARARGS, "Select or deselect a resource."},
    {"add_limit", source_add_limit, METH_VARARGS, "add_limit(resource, max_pages)."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot source_slots[] = {{Py_tp_dealloc, source_dealloc},
                                     {Py_tp_init, source_init},
                                     {Py_tp_methods, source_methods},
                                     {Py_tp_new, PyType_GenericNew},
                                     {0, NULL}};
static PyType_Spec source_spec = {"dlt._dltc.Source", sizeof(Source), 0, Py_TPFLAGS_DEFAULT,
                                  source_slots};

int dltcpy_resource_init(PyObject *m)
{
    if (!(cursor_type = dltcpy_add_type(m, &cursor_spec)) ||
        !(resource_type = dltcpy_add_type(m, &resource_spec)) ||
        !(source_type = dltcpy_add_type(m, &source_spec)))
        return -1;
    return 0;
}
