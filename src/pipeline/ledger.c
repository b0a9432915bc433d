/* The run ledger (dltc_pipeline_ledger_append): one row per run, written through the
 * pipeline's own SQL client so it lands in the dataset with the data. */
#include "pipeline/pipeline_impl.h"

#include "common/buf.h"
#include "common/error.h"
#include "common/time.h"
#include "load/sql.h"

#include <string.h>

int dltc_pipeline_ledger_append(dltc_pipeline *p, const char *table, const dltc_load_info *info)
{
    if (!p || !table || !*table || !info)
        return dltc__error_set(DLTC_EINVALID, "ledger: needs a pipeline, a table and a load info");
    if (!(p->dest->caps & DLTC_DESTCAP_SQL))
        return dltc__error_set(DLTC_EINVALID, "ledger: the %s destination takes no SQL writes; "
                                              "use duckdb, motherduck or postgres",
                               p->destination);
    if (strlen(table) > 63)
        return dltc__error_set(DLTC_EINVALID, "ledger: table name longer than 63 bytes");
    char *text = NULL;
    int rc = dltc_load_info_format(&text, info);
    if (rc)
        return rc;
    dltc_buf name = DLTC_BUF_INIT, sql = DLTC_BUF_INIT;
    dltc_doc *doc = NULL;
    if (!(rc = dltc__sql_qualified(&name, dltc_pipeline_dataset_name(p), table)))
        rc = dltc__buf_printf(&sql,
                              "CREATE TABLE IF NOT EXISTS %s (run_at TIMESTAMP WITH TIME ZONE, "
                              "pipeline_name VARCHAR, dataset_name VARCHAR, load_info VARCHAR)",
                              name.data);
    if (!rc)
        rc = dltc_pipeline_execute(p, sql.data, NULL, NULL);
    if (!rc && !(rc = dltc_doc_new(&doc))) {
        dltc_value *params = dltc_value_array(doc);
        dltc_value *items[4] = {
            dltc_value_timestamp(doc, dltc__now_us(), 1),
            dltc_value_cstring(doc, dltc_pipeline_name(p)),
            dltc_value_cstring(doc, dltc_pipeline_dataset_name(p)),
            dltc_value_cstring(doc, text),
        };
        rc = params ? 0 : DLTC_ENOMEM;
        for (int i = 0; i < 4 && !rc; i++)
            rc = items[i] ? dltc_array_append(doc, params, items[i]) : DLTC_ENOMEM;
        dltc__buf_clear(&sql);
        if (!rc)
            rc = dltc__buf_printf(&sql, "INSERT INTO %s VALUES (%%s, %%s, %%s, %%s)", name.data);
        if (!rc)
            rc = dltc_pipeline_execute(p, sql.data, params, NULL);
    }
    if (rc == DLTC_ENOMEM)
        dltc__error_oom();
    else if (rc)
        dltc__error_prefix("ledger %s: ", table);
    dltc_doc_free(doc);
    dltc__buf_free(&name);
    dltc__buf_free(&sql);
    dltc_free(text);
    return rc;
}
