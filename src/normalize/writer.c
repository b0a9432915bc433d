#include "normalize/writer.h"

#include <string.h>

const dltc_writer_type *dltc__writer_type(const char *format)
{
    if (!format || strcmp(format, "jsonl") == 0)
        return &dltc__writer_jsonl;
    if (strcmp(format, "csv") == 0)
        return &dltc__writer_csv;
    if (strcmp(format, "insert_values") == 0)
        return &dltc__writer_insert_values;
    if (strcmp(format, "parquet") == 0)
        return &dltc__writer_parquet;
    return NULL;
}
