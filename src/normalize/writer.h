/* Load-file writers: one open file per table. The normalizer hands each row as cells
 * (column index, value already coerced to the column's type) in the row's column order;
 * a writer that needs a fixed column list (csv, parquet, insert_values) reads the table
 * schema and may rotate files when columns are added. */
#ifndef DLTC_NORMALIZE_WRITER_H
#define DLTC_NORMALIZE_WRITER_H

#include "formats/value.h"
#include "schema/schema.h"

#include <stdint.h>

typedef struct {
    uint32_t col;          /* index into the table's columns */
    dltc_value val; /* coerced to the column type; null values are left out of the row */
} dltc_cell;

typedef struct dltc_writer dltc_writer;

typedef struct {
    const char *format; /* "jsonl" */
    const char *ext;    /* file extension */
    /* Create `path` for `table`. */
    int (*open)(dltc_writer **out, const char *path, const dltc_table *table);
    /* Write one row. A writer with a fixed column list (fixed when the file was opened:
     * the table's columns that have a data type, in table order) returns
     * DLTC_WRITER_ROTATE, writing nothing, when the row has a column the file lacks; the
     * caller then finishes this file, opens a new one and writes the row again. */
    int (*write_row)(dltc_writer *w, const dltc_table *table, const dltc_cell *cells, size_t n);
    /* Flush, fsync and close; the writer is freed. */
    int (*finish)(dltc_writer *w);
    /* Close without flushing, free; the caller removes the file. Accepts NULL. */
    void (*abort)(dltc_writer *w);
} dltc_writer_type;

/* write_row's "start a new file" answer (positive: not an error). */
#define DLTC_WRITER_ROTATE 1

/* Writer types by format name ("jsonl", "csv", "insert_values", "parquet"); NULL when
 * unknown. */
const dltc_writer_type *dltc__writer_type(const char *format);

extern const dltc_writer_type dltc__writer_jsonl;
extern const dltc_writer_type dltc__writer_csv;
extern const dltc_writer_type dltc__writer_insert_values;
extern const dltc_writer_type dltc__writer_parquet;

#endif
