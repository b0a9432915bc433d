/* parquet load files, written by DuckDB's parquet writer. Rows go to a jsonl file beside the
 * target first; finish converts it with every typed column of the table (types from the
 * schema, so the column list is fixed only at the end and a table keeps one file) and
 * removes it. Conversion costs about as much as DuckDB reading the jsonl (bench/RESULTS.md). */
#include "normalize/writer.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "duckdb/parquet.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct dltc_writer {
    dltc_writer *rows; /* the jsonl writer of the staging file */
    const dltc_table *table;
    char *path;
    char *tmp;
};

static void parquet_free(dltc_writer *w)
{
    dltc__free(w->path);
    dltc__free(w->tmp);
    dltc__free(w);
}

static int parquet_open(dltc_writer **out, const char *path, const dltc_table *table)
{
    dltc_writer *w = dltc__calloc(1, sizeof(*w));
    if (!w)
        return dltc__error_oom();
    dltc_buf tmp = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&tmp, "%s.rows.jsonl", path);
    w->tmp = dltc__buf_detach(&tmp);
    w->path = dltc__strdup(path);
    w->table = table;
    if (!rc && (!w->tmp || !w->path))
        rc = dltc__error_oom();
    if (!rc)
        rc = dltc__writer_jsonl.open(&w->rows, w->tmp, table);
    if (rc) {
        parquet_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int parquet_write_row(dltc_writer *w, const dltc_table *t, const dltc_cell *cells,
                             size_t n)
{
    return dltc__writer_jsonl.write_row(w->rows, t, cells, n);
}

static int parquet_finish(dltc_writer *w)
{
    int rc = dltc__writer_jsonl.finish(w->rows);
    w->rows = NULL;
    if (!rc)
        rc = dltc__duckdb_jsonl_to_parquet(w->tmp, w->path, w->table);
    unlink(w->tmp);
    parquet_free(w);
    return rc;
}

static void parquet_abort(dltc_writer *w)
{
    if (!w)
        return;
    dltc__writer_jsonl.abort(w->rows);
    unlink(w->tmp);
    unlink(w->path);
    parquet_free(w);
}

const dltc_writer_type dltc__writer_parquet = {"parquet", "parquet", parquet_open,
                                               parquet_write_row, parquet_finish,
                                               parquet_abort};
