/* Resources from C: a paged resource yielding JSON, a transformer fed by its items, typed
 * values built without JSON text, a filter, and a limit.
 *
 *   build/examples/resources        (creates ./resources_demo.duckdb)
 */
#include <dltc/dltc.h>

#include <stdio.h>
#include <string.h>

/* three pages of two issues each, as an API would return them */
static int issues(dltc_yield *y, void *payload)
{
    int *page = payload;
    if (*page == 3)
        return DLTC_ITEROVER;
    char json[256];
    snprintf(json, sizeof(json),
             "[{\"number\": %d, \"title\": \"issue %d\", \"labels\": [\"bug\"]},"
             " {\"number\": %d, \"title\": \"issue %d\", \"labels\": []}]",
             *page * 2 + 1, *page * 2 + 1, *page * 2 + 2, *page * 2 + 2);
    (*page)++;
    return dltc_yield_json(y, json, strlen(json));
}

/* one comment per issue, built as typed values */
static int comments(const dltc_value *issue, dltc_yield *y, void *payload)
{
    (void)payload;
    dltc_doc *d = dltc_yield_doc(y);
    dltc_value *c = dltc_value_object(d);
    dltc_object_set(d, c, "issue_number",
                    dltc_value_int(d, dltc_value_get_int(dltc_object_get(issue, "number"))));
    dltc_object_set(d, c, "created_on", dltc_value_date(d, 19723)); /* 2024-01-01 */
    dltc_object_set(d, c, "amount", dltc_value_decimal(d, "12.50"));
    return dltc_yield_value(y, c);
}

static int odd_only(const dltc_value *item, void *payload)
{
    (void)payload;
    return dltc_value_get_int(dltc_object_get(item, "number")) % 2 == 1;
}

int main(void)
{
    int page = 0;
    dltc_source *src = NULL;
    dltc_resource *r = NULL, *t = NULL;
    dltc_resource_options io = DLTC_RESOURCE_OPTIONS_INIT;
    io.write_disposition = "replace";
    dltc_resource_options co = DLTC_RESOURCE_OPTIONS_INIT;
    co.write_disposition = "replace";
    if (dltc_source_new(&src, "github") || dltc_resource_new(&r, "issues", issues, &page, &io) ||
        dltc_resource_add_filter(r, odd_only, NULL) || dltc_resource_add_limit(r, 2) ||
        dltc_source_add(src, r) ||
        dltc_transformer_new(&t, "comments", r, comments, NULL, &co) || dltc_source_add(src, t)) {
        fprintf(stderr, "resources: %s\n", dltc_error_last()->message);
        return 1;
    }
    dltc_pipeline *p = NULL;
    dltc_load_info *info = NULL;
    if (dltc_pipeline_open(&p, "resources_demo", NULL) ||
        dltc_pipeline_run_source(p, src, &info)) {
        fprintf(stderr, "resources: %s\n", dltc_error_last()->message);
        return 1;
    }
    char *text = NULL;
    dltc_load_info_format(&text, info);
    fputs(text, stdout);
    dltc_free(text);
    dltc_load_info_free(info);
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, "SELECT issue_number, created_on, amount FROM comments "
                               "ORDER BY issue_number", &rows) == 0) {
        for (size_t i = 0; i < dltc_rows_count(rows); i++) {
            /* get_text lends one buffer per rows object: print each value before the next */
            printf("comment on issue %s", dltc_rows_get_text(rows, i, 0));
            printf(", %s", dltc_rows_get_text(rows, i, 1));
            printf(", %s\n", dltc_rows_get_text(rows, i, 2));
        }
    }
    dltc_rows_free(rows);
    dltc_pipeline_free(p);
    dltc_source_free(src);
    return 0;
}
