/* placeholder: filled in by its own change */
#include "dltcpy.h"

int dltcpy_arrow_init(PyObject *m)
{
    return 0;
}

PyObject *dltcpy_rows_arrow_stream(dltc_rows *rows)
{
    dltc_rows_free(rows);
    PyErr_SetString(PyExc_NotImplementedError, "Arrow streams are not built yet");
    return NULL;
}
