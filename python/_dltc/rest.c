/* placeholder: filled in by its own change */
#include "dltcpy.h"

int dltcpy_rest_init(PyObject *m)
{
    return 0;
}
