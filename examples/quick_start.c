/* dlt's quick start in C: load two users into DuckDB, then read them back.
 *
 *   build/examples/quick_start      (creates ./quick_start.duckdb)
 */
#include <dltc/dltc.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "quick_start: %s: %s\n", what, dltc_error_last()->message);
    return 1;
}

int main(void)
{
    const char *data = "[{\"id\": 1, \"name\": \"Alice\"}, {\"id\": 2, \"name\": \"Bob\"}]";

    dltc_pipeline *pipeline = NULL;
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    po.destination = "duckdb";
    po.dataset_name = "mydata";
    if (dltc_pipeline_open(&pipeline, "quick_start", &po))
        return fail("open");

    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    ro.table_name = "users";
    dltc_load_info *info = NULL;
    if (dltc_pipeline_run_json(pipeline, data, strlen(data), &ro, &info))
        return fail("run");
    char *text = NULL;
    if (dltc_load_info_format(&text, info) == 0)
        fputs(text, stdout);
    dltc_free(text);
    dltc_load_info_free(info);

    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(pipeline, "SELECT id, name FROM users ORDER BY id", &rows))
        return fail("query");
    for (size_t i = 0; i < dltc_rows_count(rows); i++) {
        printf("%s ", dltc_rows_get_text(rows, i, 0)); /* the text is lent until the next call */
        printf("%s\n", dltc_rows_get_text(rows, i, 1));
    }
    dltc_rows_free(rows);
    dltc_pipeline_free(pipeline);
    return 0;
}
