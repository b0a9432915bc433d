/*
 * The dashboard's JSON answers. Each reads the pipeline (its schema, state, trace, jobs) or
 * its dataset through a read-only connection opened for the request and closed after it, so
 * the dashboard holds no lock on a DuckDB file between requests.
 *
 * Nothing from a request is pasted into SQL: a table name must be one of the schema's tables
 * and a sort column one of that table's columns, both quoted by the dataset; offsets and
 * limits are integers checked by server.c. The SQL box runs one read-only statement through
 * dltc_dataset_query, which refuses anything else.
 */
#include "web/web.h"
#include "common/arena.h"
#include "common/error.h"
#include "dltc/dataset.h"
#include "dltc/pipeline.h"
#include "formats/json.h"

#include <stdio.h>
#include <string.h>

#define LOADS_MAX 100
#define OVERVIEW_LOADS 5

static int put_raw(dltc_buf *b, const char *s)
{
    return dltc__buf_puts(b, s);
}

static int put_str(dltc_buf *b, const char *s)
{
    return s ? dltc__json_write_string(b, s, strlen(s)) : dltc__buf_puts(b, "null");
}

/* ,"key": (first: no comma) */
static int put_key(dltc_buf *b, const char *key, int first)
{
    int rc = first ? 0 : dltc__buf_putc(b, ',');
    if (!rc)
        rc = put_str(b, key);
    return rc ? rc : dltc__buf_putc(b, ':');
}

/* A string with secrets redacted. */
static int put_redacted(dltc_buf *b, const char *s)
{
    if (!s)
        return dltc__buf_puts(b, "null");
    dltc_buf t = DLTC_BUF_INIT;
    int rc = dltc__web_redact_text(&t, s, strlen(s));
    if (!rc)
        rc = dltc__json_write_string(b, t.data ? t.data : "", t.len);
    dltc__buf_free(&t);
    return rc;
}

int dltc__web_api_error(dltc_buf *out, int status, const char *msg)
{
    dltc__buf_clear(out);
    int rc = put_raw(out, "{\"error\":");
    if (!rc)
        rc = put_redacted(out, msg && *msg ? msg : "failed");
    if (!rc)
        rc = dltc__buf_putc(out, '}');
    return rc ? 500 : status;
}

/* The library's last error as the answer. */
static int fail(dltc_buf *out, int status, const char *what)
{
    char msg[1024];
    const dltc_error *e = dltc_error_last();
    snprintf(msg, sizeof(msg), "%s: %s", what, e->code ? e->message : "failed");
    return dltc__web_api_error(out, status, msg);
}

static const char NO_DATASET[] = "no dataset yet: the pipeline has not loaded anything into its "
                                 "destination (run `dlt load` or the pipeline first)";

/* Open the dataset; on failure the answer is written and its status returned. */
static int open_dataset(dltc__web_app *app, dltc_dataset **ds, dltc_buf *out)
{
    int rc = dltc_dataset_open(ds, app->p);
    if (rc == DLTC_ENOTFOUND)
        return dltc__web_api_error(out, 404, NO_DATASET);
    if (rc)
        return fail(out, 500, "dataset");
    return 0;
}

/* columns + rows of a result: "columns":[{"name","type"}],"rows":[[…]] */
static int put_rows(dltc_buf *b, dltc_rows *rows)
{
    size_t nc = dltc_rows_column_count(rows), nr = dltc_rows_count(rows);
    int rc = put_raw(b, "\"columns\":[");
    for (size_t c = 0; !rc && c < nc; c++) {
        rc = put_raw(b, c ? ",{\"name\":" : "{\"name\":");
        if (!rc)
            rc = put_str(b, dltc_rows_column_name(rows, c));
        if (!rc)
            rc = put_raw(b, ",\"type\":");
        if (!rc)
            rc = put_str(b, dltc_rows_column_type(rows, c));
        if (!rc)
            rc = dltc__buf_putc(b, '}');
    }
    if (!rc)
        rc = put_raw(b, "],\"rows\":[");
    for (size_t r = 0; !rc && r < nr; r++) {
        rc = put_raw(b, r ? ",[" : "[");
        for (size_t c = 0; !rc && c < nc; c++) {
            if (c)
                rc = dltc__buf_putc(b, ',');
            const dltc_value *v = dltc_rows_get(rows, r, c);
            if (!rc && (!v || dltc_value_type_of(v) == DLTC_TYPE_NULL))
                rc = put_raw(b, "null");
            else if (!rc)
                rc = put_str(b, dltc_rows_get_text(rows, r, c));
        }
        if (!rc)
            rc = dltc__buf_putc(b, ']');
    }
    return rc ? rc : dltc__buf_putc(b, ']');
}

/* ---- the schema ---- */

typedef struct {
    dltc_arena arena;
    dltc_value *doc;          /* the schema document, or NULL when there is none yet */
    const dltc_value *tables; /* its "tables" object, or NULL */
} schema_doc;

static const dltc_value *member(const dltc_value *obj, const char *key)
{
    if (!obj || obj->type != DLTC_TYPE_OBJECT)
        return NULL;
    for (uint32_t i = 0; i < obj->len; i++)
        if (!strcmp(obj->u.obj[i].key, key))
            return &obj->u.obj[i].val;
    return NULL;
}

static const char *member_str(const dltc_value *obj, const char *key)
{
    const dltc_value *v = member(obj, key);
    return v && v->type == DLTC_TYPE_STRING ? v->u.s : NULL;
}

static int schema_load(dltc__web_app *app, schema_doc *s)
{
    memset(s, 0, sizeof(*s));
    dltc__arena_init(&s->arena, 0);
    char *text = NULL;
    if (dltc_pipeline_schema_export(app->p, &text, 1)) {
        /* a pipeline that never ran has no schema: an empty list, not an error */
        dltc_error_clear();
        return 0;
    }
    int rc = dltc__json_parse(&s->arena, text, strlen(text), 0, &s->doc, NULL);
    dltc_free(text);
    if (!rc)
        s->tables = member(s->doc, "tables");
    return rc;
}

static void schema_free(schema_doc *s)
{
    dltc__arena_free(&s->arena);
}

/* The columns object of a table of the schema, or NULL when there is no such table. */
static const dltc_value *schema_table(const schema_doc *s, const char *name)
{
    const dltc_value *t = member(s->tables, name);
    return t && t->type == DLTC_TYPE_OBJECT ? t : NULL;
}

int dltc__web_api_schema(dltc__web_app *app, dltc_buf *out)
{
    schema_doc s;
    if (schema_load(app, &s)) {
        schema_free(&s);
        return fail(out, 500, "schema");
    }
    int rc = put_raw(out, "{\"name\":");
    if (!rc)
        rc = put_str(out, member_str(s.doc, "name"));
    const dltc_value *ver = member(s.doc, "version");
    if (!rc)
        rc = put_raw(out, ",\"version\":");
    if (!rc)
        rc = ver ? dltc__json_write(out, ver) : put_raw(out, "null");
    if (!rc)
        rc = put_raw(out, ",\"version_hash\":");
    if (!rc)
        rc = put_str(out, member_str(s.doc, "version_hash"));
    if (!rc)
        rc = put_raw(out, ",\"tables\":[");
    for (uint32_t i = 0; !rc && s.tables && s.tables->type == DLTC_TYPE_OBJECT &&
                         i < s.tables->len;
         i++) {
        const dltc_member *t = &s.tables->u.obj[i];
        if (t->val.type != DLTC_TYPE_OBJECT)
            continue;
        rc = put_raw(out, i ? ",{\"name\":" : "{\"name\":");
        if (!rc)
            rc = put_str(out, t->key);
        const char *keys[] = {"parent", "write_disposition", "resource", "description",
                              "table_format", "file_format", NULL};
        for (size_t k = 0; !rc && keys[k]; k++) {
            rc = put_key(out, keys[k], 0);
            if (!rc)
                rc = put_str(out, member_str(&t->val, keys[k]));
        }
        if (!rc)
            rc = put_raw(out, ",\"columns\":[");
        const dltc_value *cols = member(&t->val, "columns");
        for (uint32_t c = 0; !rc && cols && cols->type == DLTC_TYPE_OBJECT && c < cols->len;
             c++) {
            const dltc_member *col = &cols->u.obj[c];
            rc = put_raw(out, c ? ",{\"name\":" : "{\"name\":");
            if (!rc)
                rc = put_str(out, col->key);
            /* the column's hints as they are: data_type, nullable, primary_key, … */
            for (uint32_t h = 0; !rc && col->val.type == DLTC_TYPE_OBJECT && h < col->val.len;
                 h++) {
                const dltc_member *hint = &col->val.u.obj[h];
                if (!strcmp(hint->key, "name"))
                    continue;
                rc = put_key(out, hint->key, 0);
                if (!rc)
                    rc = dltc__json_write(out, &hint->val);
            }
            if (!rc)
                rc = dltc__buf_putc(out, '}');
        }
        if (!rc)
            rc = put_raw(out, "]}");
    }
    if (!rc)
        rc = put_raw(out, "]}");
    schema_free(&s);
    return rc ? fail(out, 500, "schema") : 200;
}

/* ---- table rows ---- */

int dltc__web_api_table(dltc__web_app *app, const char *name, uint64_t offset, uint64_t limit,
                        const char *sort, int desc, dltc_buf *out)
{
    schema_doc s;
    if (schema_load(app, &s)) {
        schema_free(&s);
        return fail(out, 500, "schema");
    }
    const dltc_value *t = schema_table(&s, name);
    if (!t) {
        schema_free(&s);
        return dltc__web_api_error(out, 404, "table: no such table in the schema");
    }
    if (sort && !member(member(t, "columns"), sort)) {
        schema_free(&s);
        return dltc__web_api_error(out, 400, "table: the sort column is not a column of the table");
    }
    schema_free(&s);
    dltc_dataset *ds = NULL;
    int st = open_dataset(app, &ds, out);
    if (st)
        return st;
    char *qt = NULL, *qc = NULL;
    dltc_buf sql = DLTC_BUF_INIT;
    dltc_rows *count = NULL, *rows = NULL;
    int trunc = 0, status = 200;
    int rc = dltc_dataset_quote_ident(ds, name, &qt);
    if (!rc && sort)
        rc = dltc_dataset_quote_ident(ds, sort, &qc);
    if (!rc)
        rc = dltc__buf_printf(&sql, "SELECT count(*) FROM %s", qt);
    if (!rc && (rc = dltc_dataset_query(ds, sql.data, 1, &count, &trunc)))
        status = fail(out, 500, "table");
    if (!rc) {
        dltc__buf_clear(&sql);
        rc = dltc__buf_printf(&sql, "SELECT * FROM %s", qt);
        if (!rc && qc)
            rc = dltc__buf_printf(&sql, " ORDER BY %s %s NULLS LAST", qc, desc ? "DESC" : "ASC");
        if (!rc)
            rc = dltc__buf_printf(&sql, " LIMIT %llu OFFSET %llu", (unsigned long long)limit,
                                  (unsigned long long)offset);
        if (!rc && (rc = dltc_dataset_query(ds, sql.data, (size_t)limit, &rows, &trunc)))
            status = fail(out, 500, "table");
    }
    if (!rc) {
        dltc__buf_clear(out);
        rc = put_raw(out, "{\"table\":");
        if (!rc)
            rc = put_str(out, name);
        if (!rc)
            rc = dltc__buf_printf(out, ",\"offset\":%llu,\"limit\":%llu,\"total\":",
                                  (unsigned long long)offset, (unsigned long long)limit);
        if (!rc)
            rc = put_raw(out, dltc_rows_count(count) ? dltc_rows_get_text(count, 0, 0) : "0");
        if (!rc)
            rc = put_raw(out, ",\"sort\":");
        if (!rc)
            rc = put_str(out, sort);
        if (!rc)
            rc = put_raw(out, desc ? ",\"dir\":\"desc\"," : ",\"dir\":\"asc\",");
        if (!rc)
            rc = put_rows(out, rows);
        if (!rc)
            rc = dltc__buf_putc(out, '}');
        if (rc)
            status = fail(out, 500, "table");
    }
    dltc_rows_free(count);
    dltc_rows_free(rows);
    dltc__buf_free(&sql);
    dltc_free(qt);
    dltc_free(qc);
    dltc_dataset_free(ds);
    return status;
}

/* ---- the SQL box ---- */

int dltc__web_api_query(dltc__web_app *app, const char *sql, size_t len, dltc_buf *out)
{
    if (memchr(sql, '\0', len) || dltc__utf8_check(sql, len) != len)
        return dltc__web_api_error(out, 400, "query: the SQL text must be UTF-8 without NUL");
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", sql[i]))
        i++;
    if (i == len)
        return dltc__web_api_error(out, 400, "query: the SQL text is empty");
    dltc_dataset *ds = NULL;
    int st = open_dataset(app, &ds, out);
    if (st)
        return st;
    dltc_rows *rows = NULL;
    int trunc = 0, status = 200;
    if (dltc_dataset_query(ds, sql, app->max_query_rows, &rows, &trunc)) {
        const dltc_error *e = dltc_error_last();
        status = dltc__web_api_error(out, 400, e->code ? e->message : "query failed");
    } else {
        dltc__buf_clear(out);
        int rc = put_raw(out, "{");
        if (!rc)
            rc = put_rows(out, rows);
        if (!rc)
            rc = dltc__buf_printf(out, ",\"truncated\":%s,\"max_rows\":%zu}",
                                  trunc ? "true" : "false", app->max_query_rows);
        if (rc)
            status = fail(out, 500, "query");
    }
    dltc_rows_free(rows);
    dltc_dataset_free(ds);
    return status;
}

/* ---- loads, overview ---- */

/* The newest rows of _dlt_loads as "columns":…,"rows":… into `out`. DLTC_ENOTFOUND when
 * there is no dataset yet; other errors leave their message in dltc_error_last(). */
static int loads_rows(dltc__web_app *app, size_t n, dltc_buf *out)
{
    dltc_dataset *ds = NULL;
    int rc = dltc_dataset_open(&ds, app->p);
    if (rc)
        return rc;
    char *q = NULL;
    dltc_buf sql = DLTC_BUF_INIT;
    dltc_rows *rows = NULL;
    int trunc = 0;
    rc = dltc_dataset_quote_ident(ds, "_dlt_loads", &q);
    if (!rc)
        rc = dltc__buf_printf(&sql,
                              "SELECT load_id, schema_name, status, inserted_at, "
                              "schema_version_hash FROM %s ORDER BY inserted_at DESC, load_id "
                              "DESC LIMIT %zu",
                              q, n);
    if (!rc)
        rc = dltc_dataset_query(ds, sql.data, n, &rows, &trunc);
    if (!rc)
        rc = put_rows(out, rows);
    dltc_rows_free(rows);
    dltc__buf_free(&sql);
    dltc_free(q);
    dltc_dataset_free(ds);
    return rc;
}

int dltc__web_api_loads(dltc__web_app *app, dltc_buf *out)
{
    int rc = put_raw(out, "{");
    if (!rc)
        rc = loads_rows(app, LOADS_MAX, out);
    if (rc == DLTC_ENOTFOUND)
        return dltc__web_api_error(out, 404, NO_DATASET);
    if (rc)
        return fail(out, 500, "loads");
    return dltc__buf_putc(out, '}') ? fail(out, 500, "loads") : 200;
}

int dltc__web_api_overview(dltc__web_app *app, dltc_buf *out)
{
    dltc__web_app *a = app;
    int rc = put_raw(out, "{\"pipeline\":");
    if (!rc)
        rc = put_str(out, dltc_pipeline_name(a->p));
    if (!rc)
        rc = put_raw(out, ",\"destination\":");
    if (!rc)
        rc = put_str(out, dltc_pipeline_destination(a->p));
    if (!rc)
        rc = put_raw(out, ",\"dataset\":");
    if (!rc)
        rc = put_str(out, dltc_pipeline_dataset_name(a->p));
    if (!rc)
        rc = put_raw(out, ",\"location\":");
    if (!rc)
        rc = put_redacted(out, dltc_pipeline_location(a->p));
    if (!rc)
        rc = put_raw(out, ",\"working_dir\":");
    if (!rc)
        rc = put_str(out, dltc_pipeline_working_dir(a->p));
    if (!rc)
        rc = put_raw(out, ",\"pipelines_dir\":");
    if (!rc)
        rc = put_str(out, dltc_pipeline_pipelines_dir(a->p));
    if (!rc)
        rc = put_raw(out, ",\"first_run\":");
    if (!rc)
        rc = put_raw(out, dltc_pipeline_first_run(a->p) ? "true" : "false");
    /* the schema's name and version */
    schema_doc s;
    int sl = schema_load(a, &s);
    if (!rc && sl == 0) {
        const dltc_value *ver = member(s.doc, "version");
        rc = put_raw(out, ",\"schema_name\":");
        if (!rc)
            rc = put_str(out, member_str(s.doc, "name") ? member_str(s.doc, "name")
                                                        : dltc_pipeline_schema_name(a->p));
        if (!rc)
            rc = put_raw(out, ",\"schema_version\":");
        if (!rc)
            rc = ver ? dltc__json_write(out, ver) : put_raw(out, "null");
        if (!rc)
            rc = put_raw(out, ",\"schema_version_hash\":");
        if (!rc)
            rc = put_str(out, member_str(s.doc, "version_hash"));
        if (!rc)
            rc = dltc__buf_printf(out, ",\"table_count\":%u",
                                  s.tables && s.tables->type == DLTC_TYPE_OBJECT ? s.tables->len
                                                                                : 0u);
    }
    schema_free(&s);
    /* the state, redacted */
    char *state = NULL;
    if (!rc)
        rc = put_raw(out, ",\"state\":");
    if (!rc) {
        if (dltc_pipeline_state_json(a->p, &state) == 0 &&
            dltc__web_redact_json(out, state, strlen(state)) == 0) {
        } else {
            dltc_error_clear();
            rc = put_raw(out, "null");
        }
    }
    dltc_free(state);
    /* the last loads, or why there are none */
    if (!rc) {
        size_t mark = out->len;
        rc = put_raw(out, ",\"last_loads\":{");
        int lr = rc ? 0 : loads_rows(a, OVERVIEW_LOADS, out);
        if (!rc && lr) {
            char msg[1024];
            const dltc_error *e = dltc_error_last();
            snprintf(msg, sizeof(msg), "%s", lr == DLTC_ENOTFOUND ? NO_DATASET
                                             : e->code      ? e->message
                                                            : "the dataset cannot be read");
            out->len = mark;
            out->data[mark] = '\0';
            rc = put_raw(out, ",\"last_loads\":null,\"dataset_error\":");
            if (!rc)
                rc = put_redacted(out, msg);
            dltc_error_clear();
        } else if (!rc) {
            rc = put_raw(out, "},\"dataset_error\":null");
        }
    }
    if (!rc)
        rc = dltc__buf_putc(out, '}');
    return rc ? fail(out, 500, "overview") : 200;
}

/* ---- the last trace and the failed jobs ---- */

int dltc__web_api_trace(dltc__web_app *app, dltc_buf *out)
{
    char *trace = NULL, *jobs = NULL;
    int tr = dltc_pipeline_trace(app->p, &trace);
    const char *trace_msg = NULL;
    char msg[512] = "";
    if (tr) {
        snprintf(msg, sizeof(msg), "%s",
                 tr == DLTC_ENOTFOUND ? "no run was traced yet" : dltc_error_last()->message);
        trace_msg = msg;
    }
    int jr = dltc_pipeline_failed_jobs(app->p, &jobs);
    dltc_error_clear();
    int rc = put_raw(out, "{\"trace\":");
    if (!rc)
        rc = put_redacted(out, trace);
    if (!rc)
        rc = put_raw(out, ",\"trace_error\":");
    if (!rc)
        rc = put_redacted(out, trace_msg);
    if (!rc)
        rc = put_raw(out, ",\"failed_jobs\":");
    if (!rc)
        rc = put_redacted(out, jr ? NULL : jobs);
    if (!rc)
        rc = dltc__buf_putc(out, '}');
    dltc_free(trace);
    dltc_free(jobs);
    return rc ? fail(out, 500, "trace") : 200;
}
