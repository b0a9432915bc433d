#include "normalize/writer.h"

#include <string.h>

const dltc_writer_type *dltc__writer_type(const char *format)
{
    if (!format || strcmp(format, "jsonl") == 0)
        return &dltc__writer_jsonl;
    return NULL;
}
