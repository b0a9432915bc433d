/* placeholder: filled in by its own change */
#include "dltcpy.h"

int dltcpy_http_init(PyObject *m)
{
    return 0;
}
