/* jsonl load files into parquet files (parquet.h): DuckDB's read_json with the schema's
 * types, COPY … TO in an in-memory database. */
#include "duckdb/duckdb_int.h"
#include "duckdb/load.h"
#include "duckdb/parquet.h"
#include "common/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int dltc__duckdb_jsonl_to_parquet(const char *jsonl, const char *parquet, const dltc_table *t)
{
    dltc_duckdb *d = NULL;
    fd_path in = {-1, ""}, out = {-1, ""};
    dltc_buf ins = DLTC_BUF_INIT, sel = DLTC_BUF_INIT, types = DLTC_BUF_INIT, sql = DLTC_BUF_INIT;
    uint64_t longest = 0, maxobj = 16u << 20;
    int rc = dltc__duckdb_longest_record(jsonl, 0, &longest);
    size_t k = 0;
    for (size_t i = 0; i < t->ncols && !rc; i++)
        if (t->cols[i].data_type != DLTC_DT_UNSET)
            rc = dltc__duckdb_put_column(&ins, &sel, &types, &t->cols[i], k++ == 0);
    while (maxobj <= longest)
        maxobj *= 2;
    if (!rc && k == 0)
        rc = dltc__error_set(DLTC_EINVALID, "%s: table %s has no columns", parquet, t->name);
    if (!rc)
        rc = dltc__duckdb_fd_path_open(&in, jsonl);
    if (!rc) {
        /* DuckDB writes to the path it is given; the descriptor pins the file we mean */
        out.fd = open(parquet, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out.fd < 0)
            rc = dltc__error_set(DLTC_EIO, "%s: cannot create: %s", parquet, strerror(errno));
        else
            snprintf(out.path, sizeof(out.path), "/proc/self/fd/%d", out.fd);
    }
    if (!rc)
        rc = dltc__duckdb_open(&d, NULL);
    if (!rc)
        rc = dltc__duckdb_prepare_load(d);
    if (!rc)
        rc = dltc__buf_printf(&sql,
                              "COPY (SELECT %s FROM read_json('%s', format='newline_delimited', "
                              "records=true, maximum_object_size=%" PRIu64 ", columns={%s})) "
                              "TO '%s' (FORMAT parquet, USE_TMP_FILE false)",
                              sel.data, in.path, maxobj, types.data, out.path);
    if (!rc)
        rc = dltc__duckdb_run_insert(d, sql.data, jsonl, NULL);
    if (!rc && fsync(out.fd) != 0)
        rc = dltc__error_set(DLTC_EIO, "%s: fsync: %s", parquet, strerror(errno));
    dltc__duckdb_close(d);
    dltc__duckdb_fd_path_close(&in);
    dltc__duckdb_fd_path_close(&out);
    dltc__buf_free(&ins);
    dltc__buf_free(&sel);
    dltc__buf_free(&types);
    dltc__buf_free(&sql);
    return rc;
}
