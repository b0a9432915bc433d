/* `dlt pipeline NAME info` and friends: what a pipeline has, as text. */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/time.h"
#include "dltc/schema.h"
#include "load/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dltc_pipelines_dir(char **out)
{
    char *dd = dltc__data_dir();
    if (!dd)
        return dltc__error_oom();
    size_t n = strlen(dd) + 16;
    *out = dltc__malloc(n);
    if (*out)
        snprintf(*out, n, "%s/pipelines", dd);
    dltc__free(dd);
    return *out ? 0 : dltc__error_oom();
}

int dltc_pipeline_exists(const char *pipelines_dir, const char *name)
{
    char *dir = NULL;
    if (pipelines_dir)
        dir = dltc__strdup(pipelines_dir);
    else if (dltc_pipelines_dir(&dir))
        return 0;
    if (!dir || strchr(name, '/'))
        return dltc__free(dir), 0;
    char path[8192];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    dltc__free(dir);
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int dltc_pipeline_schema_export(dltc_pipeline *p, char **out, int json)
{
    dltc_schema *s = NULL;
    int rc = dltc__pipeline_schema(p, &s);
    if (!rc)
        rc = dltc_schema_export(out, s, json ? DLTC_SCHEMA_JSON : DLTC_SCHEMA_YAML, 1);
    dltc_schema_free(s);
    return rc;
}

static int packages(dltc_pipeline *p, dltc_buf *b, dltc_stage stage, const char *what)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = dltc__storage_list(p->storage, stage, &ids, &n);
    if (!rc && n) {
        rc = dltc__buf_printf(b, "Has %zu %s with following load ids:\n", n, what);
        for (size_t i = 0; i < n && !rc; i++)
            rc = dltc__buf_printf(b, "%s\n", ids[i]);
    }
    dltc__strv_free(ids, n);
    return rc;
}

static const char *py(const char *s)
{
    return s ? s : "None";
}

int dltc_pipeline_info(dltc_pipeline *p, int verbose, char **out)
{
    dltc_buf b = DLTC_BUF_INIT;
    dltc_state *st = &p->state;
    int rc = dltc__buf_printf(&b, "Found pipeline %s in %s\nSynchronized state:\n", p->name,
                              p->pipelines_dir);
    if (!rc)
        rc = dltc__buf_printf(&b,
                              "_state_version: %lld\n_state_engine_version: %d\n"
                              "_version_hash: %s\npipeline_name: %s\ndataset_name: %s\n"
                              "default_schema_name: %s\nschema_names: [",
                              (long long)st->version, DLTC_STATE_ENGINE_VERSION,
                              st->version_hash[0] ? st->version_hash : "None",
                              py(st->pipeline_name), py(st->dataset_name),
                              py(st->default_schema_name));
    for (size_t i = 0; i < st->nschema_names && !rc; i++)
        rc = dltc__buf_printf(&b, "%s'%s'", i ? ", " : "", st->schema_names[i]);
    if (!rc)
        rc = dltc__buf_printf(&b,
                              "]\ndestination_type: %s\ndestination_name: %s\nstaging_type: None\n"
                              "staging_name: None\nsources:\n%s\n",
                              py(st->destination_type), py(st->destination_name),
                              verbose ? (st->sources_json ? st->sources_json : "{}")
                                      : "Add -v option to see sources state. Note that it could "
                                        "be large.");
    if (!rc) {
        rc = dltc__buf_printf(&b, "\nLocal state:\nfirst_run: %s\n_dev_mode: False\n"
                                  "initial_cwd: %s\n",
                              st->first_run ? "True" : "False", py(st->initial_cwd));
        if (!rc && st->last_extracted_at_us) {
            char iso[DLTC_ISO_MAX];
            dltc__format_timestamp(iso, st->last_extracted_at_us);
            rc = dltc__buf_printf(&b, "_last_extracted_at: %s\n_last_extracted_hash: %s\n", iso,
                                  py(st->last_extracted_hash));
        }
    }
    /* resources and tables, with row counts from the destination */
    dltc_schema *s = NULL;
    dltc_dest *db = NULL;
    if (!rc)
        rc = dltc__pipeline_schema(p, &s);
    if (!rc && dltc__pipeline_dest_open(p, DLTC_DEST_READ, &db) != 0) {
        rc = dltc__buf_printf(&b, "\nDestination: %s (cannot open: %s)\n",
                              p->display.data ? p->display.data : p->destination,
                              dltc_error_last()->message);
        db = NULL;
    }
    if (!rc)
        rc = dltc__buf_printf(&b, "\nResources in schema: %s\n", s->name);
    for (size_t i = 0; i < s->ntables && !rc; i++) {
        dltc_table *t = s->tables[i];
        if (t->parent || strncmp(t->name, "_dlt_", 5) == 0)
            continue;
        size_t ntab = 0;
        for (size_t k = 0; k < s->ntables; k++)
            ntab += dltc__schema_root_table(s, s->tables[k]) == t;
        rc = dltc__buf_printf(&b, "%s with %zu table(s) and 0 resource state slot(s)\n",
                              t->resource ? t->resource : t->name, ntab);
    }
    if (!rc)
        rc = dltc__buf_printf(&b, "\nTables in dataset %s (%s):\n", p->dataset,
                              p->display.data ? p->display.data : p->destination);
    for (size_t i = 0; i < s->ntables && !rc; i++) {
        dltc_table *t = s->tables[i];
        size_t cols = 0;
        for (size_t c = 0; c < t->ncols; c++)
            cols += t->cols[c].data_type != DLTC_DT_UNSET;
        long long count = -1;
        if (db) {
            char **names = NULL;
            size_t n = 0;
            int exists = 0;
            if (dltc__dest_table_columns(db, p->dataset, t->name, &names, &n, &exists) == 0 &&
                exists) {
                dltc_buf q = DLTC_BUF_INIT;
                dltc_rows *rows = NULL;
                if (dltc__buf_puts(&q, "SELECT count(*) FROM ") == 0 &&
                    dltc__sql_qualified(&q, p->dataset, t->name) == 0 &&
                    dltc__dest_query(db, q.data, &rows) == 0 && dltc_rows_count(rows) == 1)
                    count = (long long)dltc_value_get_int(dltc_rows_get(rows, 0, 0));
                dltc_rows_free(rows);
                dltc__buf_free(&q);
            }
            dltc__strv_free(names, n);
            dltc_error_clear();
        }
        if (count >= 0)
            rc = dltc__buf_printf(&b, "  %-32s %8lld row(s)  %zu column(s)%s%s\n", t->name, count,
                                  cols, t->parent ? "  nested in " : "",
                                  t->parent ? t->parent : "");
        else
            rc = dltc__buf_printf(&b, "  %-32s  not in the destination  %zu column(s)\n",
                                  t->name, cols);
    }
    if (!rc && db) { /* the last completed load, from the destination */
        char **names = NULL;
        size_t n = 0;
        int exists = 0;
        dltc_buf q = DLTC_BUF_INIT;
        dltc_rows *rows = NULL;
        if (dltc__dest_table_columns(db, p->dataset, "_dlt_loads", &names, &n, &exists) == 0 &&
            exists && dltc__buf_puts(&q, "SELECT load_id, inserted_at FROM ") == 0 &&
            dltc__sql_qualified(&q, p->dataset, "_dlt_loads") == 0 &&
            dltc__buf_puts(&q, " WHERE status = 0 ORDER BY load_id DESC LIMIT 1") == 0 &&
            dltc__dest_query(db, q.data, &rows) == 0 && dltc_rows_count(rows) == 1) {
            char id[64];
            snprintf(id, sizeof(id), "%s", dltc_rows_get_text(rows, 0, 0));
            rc = dltc__buf_printf(&b, "Last load: %s at %s\n", id, dltc_rows_get_text(rows, 0, 1));
        }
        dltc_rows_free(rows);
        dltc__buf_free(&q);
        dltc__strv_free(names, n);
        dltc_error_clear();
    }
    dltc__dest_close(db);
    dltc_schema_free(s);
    if (!rc)
        rc = dltc__buf_printf(&b, "\nWorking dir content:\n");
    if (!rc)
        rc = packages(p, &b, DLTC_STAGE_EXTRACTED, "extracted packages ready to be normalized");
    if (!rc)
        rc = packages(p, &b, DLTC_STAGE_NORMALIZED, "normalized packages ready to be loaded");
    if (!rc)
        rc = packages(p, &b, DLTC_STAGE_LOADED, "completed load packages");
    if (!rc)
        rc = dltc__pipeline_has_trace(p)
                 ? dltc__buf_printf(&b, "Pipeline has last run trace. Use 'dlt pipeline %s "
                                        "trace' to inspect \n", p->name)
                 : dltc__buf_puts(&b, "Pipeline does not have last run trace.\n");
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return 0;
}
