/* Load-file writers: one open file per table. The normalizer hands each row as cells
 * (column index, value already coerced to the column's type) in the row's column order;
 * a writer that needs a fixed column list (csv, parquet, insert_values) reads the table
 * schema and may rotate files when columns are added. */
#ifndef DLTC_NORMALIZE_WRITER_H
#define DLTC_NORMALIZE_WRITER_H

#include "common/buf.h"
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

/* A fixed column list (csv, insert_values): the table's columns that have a data type when
 * the file is opened, in table order. */
typedef struct {
    uint32_t *pos;           /* table column -> file position + 1; 0 = not in the file */
    size_t npos;             /* table columns at open */
    uint32_t *col;           /* file position -> table column */
    uint8_t *is_json;        /* per file column: data type json */
    const dltc_value **slot; /* per file column: the current row's value, NULL = null */
    size_t nfile;
} dltc_wcols;

int dltc__wcols_init(dltc_wcols *c, const dltc_table *t);
/* The row's cells into slot[] by file position; DLTC_WRITER_ROTATE (nothing placed) when a
 * non-null cell has no place in the file. */
int dltc__wcols_place(dltc_wcols *c, const dltc_cell *cells, size_t n);
void dltc__wcols_free(dltc_wcols *c);

/* write_row's "start a new file" answer (positive: not an error). */
#define DLTC_WRITER_ROTATE 1

/* Writer types by format name ("jsonl", "csv", "insert_values", "parquet"); NULL when
 * unknown. */
const dltc_writer_type *dltc__writer_type(const char *format);

extern const dltc_writer_type dltc__writer_jsonl;
extern const dltc_writer_type dltc__writer_csv;
extern const dltc_writer_type dltc__writer_insert_values;
extern const dltc_writer_type dltc__writer_parquet;

/* The output file of a writer (writer_file.c). The writer appends to `buf` directly;
 * dltc__wfile_maybe_flush writes it out once it holds DLTC_WFILE_BLOCK bytes, and every
 * 4 MiB written the kernel's writeback is started so the fsync at the end finds little
 * left to do. Errors name the path. */
#define DLTC_WFILE_BLOCK (256u * 1024u)

typedef struct {
    int fd; /* -1: not open (set it before anything that may fail ahead of the open) */
    char *path;
    dltc_buf buf;     /* bytes not yet written */
    uint64_t written; /* bytes handed to the kernel */
    uint64_t synced;  /* bytes whose writeback was started */
} dltc_wfile;

/* Create (or truncate) `path`. `buf` is left as it is, so a header may already be in it.
 * On failure fd is -1 and the path is not kept. */
int dltc__wfile_open(dltc_wfile *f, const char *path);
/* Write out the whole buffer. */
int dltc__wfile_flush(dltc_wfile *f);
/* Flush, fsync and close; the path and buffer are freed (even on failure). */
int dltc__wfile_finish(dltc_wfile *f);
/* Close without flushing and free the path and buffer. Safe on a file never opened (fd -1:
 * only the buffer is freed) and on a finished one (nothing left to do). */
void dltc__wfile_abort(dltc_wfile *f);

/* Write out the buffer once it holds a block: the end of every write_row. */
static inline int dltc__wfile_maybe_flush(dltc_wfile *f)
{
    return f->buf.len >= DLTC_WFILE_BLOCK ? dltc__wfile_flush(f) : 0;
}

#endif
