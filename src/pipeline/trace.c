#include "pipeline/trace.h"
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/error.h"
#include "common/time.h"
#include "formats/json.h"

#include <stdio.h>
#include <string.h>

static const char *const STEP_NAMES[DLTC_STEP__COUNT] = {"extract", "normalize", "load"};

void dltc__trace_init(dltc_trace *t)
{
    memset(t, 0, sizeof(*t));
    t->started_us = dltc__now_us();
    t->current = -1;
}

void dltc__trace_step(dltc_trace *t, int step)
{
    t->current = step;
    t->current_since = dltc__now_us();
    if (!t->step_started[step])
        t->step_started[step] = t->current_since;
}

void dltc__trace_end_step(dltc_trace *t, int rc)
{
    if (t->current < 0)
        return;
    int64_t now = dltc__now_us();
    t->step_elapsed[t->current] += (double)(now - t->current_since) / 1e6;
    t->step_finished[t->current] = now;
    if (rc)
        t->step_failed[t->current] = 1;
    t->current = -1;
}

static int put_iso(dltc_buf *b, const char *key, int64_t us)
{
    char iso[DLTC_ISO_MAX];
    size_t n = dltc__format_timestamp(iso, us);
    int rc = dltc__buf_printf(b, "\"%s\":", key);
    return rc ? rc : dltc__json_write_string(b, iso, n);
}

int dltc__trace_save(dltc_pipeline *p, const dltc_trace *t, int rc, const dltc_load_info *info)
{
    int64_t end = dltc__now_us();
    dltc_buf b = DLTC_BUF_INIT, path = DLTC_BUF_INIT;
    int r = dltc__buf_puts(&b, "{\"pipeline_name\":");
    if (!r)
        r = dltc__json_write_string(&b, p->name, strlen(p->name));
    if (!r)
        r = dltc__buf_putc(&b, ',');
    if (!r)
        r = put_iso(&b, "started_at", t->started_us);
    if (!r)
        r = dltc__buf_putc(&b, ',');
    if (!r)
        r = put_iso(&b, "finished_at", end);
    if (!r)
        r = dltc__buf_printf(&b, ",\"elapsed_s\":%.6f,\"status\":\"%s\",\"error\":",
                             (double)(end - t->started_us) / 1e6, rc ? "FAILED" : "COMPLETED");
    if (!r)
        r = rc ? dltc__json_write_string(&b, dltc_error_last()->message,
                                         strlen(dltc_error_last()->message))
               : dltc__buf_puts(&b, "null");
    if (!r)
        r = dltc__buf_puts(&b, ",\"steps\":[");
    int first = 1;
    for (int s = 0; s < DLTC_STEP__COUNT && !r; s++) {
        if (!t->step_started[s])
            continue;
        r = dltc__buf_printf(&b, "%s{\"step\":\"%s\",", first ? "" : ",", STEP_NAMES[s]);
        first = 0;
        if (!r)
            r = put_iso(&b, "started_at", t->step_started[s]);
        if (!r)
            r = dltc__buf_putc(&b, ',');
        if (!r)
            r = put_iso(&b, "finished_at", t->step_finished[s] ? t->step_finished[s] : end);
        if (!r)
            r = dltc__buf_printf(&b, ",\"elapsed_s\":%.6f,\"status\":\"%s\"}",
                                 t->step_elapsed[s], t->step_failed[s] ? "FAILED" : "COMPLETED");
    }
    if (!r)
        r = dltc__buf_puts(&b, "],\"load_info\":");
    char *text = NULL;
    if (!r && info && dltc_load_info_format(&text, info) == 0)
        r = dltc__json_write_string(&b, text, strlen(text));
    else if (!r)
        r = dltc__buf_puts(&b, "null");
    dltc_free(text);
    if (!r)
        r = dltc__buf_putc(&b, '}');
    if (!r)
        r = dltc__buf_printf(&path, "%s/trace.json", p->working_dir);
    if (!r)
        r = dltc__write_file_atomic(path.data, b.data, b.len);
    dltc__buf_free(&b);
    dltc__buf_free(&path);
    return r;
}

/* dlt's "humanize.precisedelta" */
static void elapsed(char *out, size_t n, double s)
{
    if (s < 60)
        snprintf(out, n, "%.2f seconds", s);
    else
        snprintf(out, n, "%ld minute%s and %.2f seconds", (long)(s / 60), s < 120 ? "" : "s",
                 s - 60 * (double)(long)(s / 60));
}

/* Python str() of a UTC datetime from our ISO text: 'T' → ' ' */
static void py_datetime(char *out, size_t n, const dltc_value *v)
{
    snprintf(out, n, "%s", v && dltc_value_type_of(v) == DLTC_TYPE_STRING
                               ? dltc_value_get_str(v, NULL) : "?");
    char *tpos = strchr(out, 'T');
    if (tpos)
        *tpos = ' ';
}

int dltc_pipeline_trace(dltc_pipeline *p, char **out)
{
    dltc_buf path = DLTC_BUF_INIT, b = DLTC_BUF_INIT;
    char *text = NULL;
    size_t len = 0;
    int rc = dltc__buf_printf(&path, "%s/trace.json", p->working_dir);
    if (!rc) {
        rc = dltc__read_file(path.data, &text, &len);
        if (rc == DLTC_ENOTFOUND)
            rc = dltc__error_set(DLTC_ENOTFOUND, "pipeline '%s' has no trace of a last run",
                                 p->name);
    }
    dltc_arena a;
    dltc__arena_init(&a, 8192);
    dltc_value *doc = NULL;
    dltc_json_error err;
    if (!rc && dltc__json_parse(&a, text, len, 16, &doc, &err))
        rc = dltc__error_set(DLTC_EPARSE, "%s: unreadable trace", path.data);
    if (!rc) {
        const dltc_value *steps = dltc_object_get(doc, "steps");
        const dltc_value *st = dltc_object_get(doc, "status");
        const dltc_value *el = dltc_object_get(doc, "elapsed_s");
        char when[64], dur[64];
        py_datetime(when, sizeof(when), dltc_object_get(doc, "started_at"));
        elapsed(dur, sizeof(dur), el ? dltc_value_get_double(el) : 0);
        size_t nsteps = steps ? dltc_value_size(steps) : 0;
        rc = dltc__buf_printf(&b, "Run started at %s and %s in %s with %zu steps.\n", when,
                              st ? dltc_value_get_str(st, NULL) : "?", dur, nsteps + 1);
        for (size_t i = 0; i < nsteps && !rc; i++) {
            const dltc_value *s = dltc_array_get(steps, i);
            const dltc_value *se = dltc_object_get(s, "elapsed_s");
            elapsed(dur, sizeof(dur), se ? dltc_value_get_double(se) : 0);
            rc = dltc__buf_printf(&b, "Step %s %s in %s.\n",
                                  dltc_value_get_str(dltc_object_get(s, "step"), NULL),
                                  dltc_value_get_str(dltc_object_get(s, "status"), NULL), dur);
        }
        const dltc_value *e = dltc_object_get(doc, "error");
        if (!rc && e && dltc_value_type_of(e) == DLTC_TYPE_STRING)
            rc = dltc__buf_printf(&b, "Failed due to: %s\n", dltc_value_get_str(e, NULL));
        const dltc_value *li = dltc_object_get(doc, "load_info");
        elapsed(dur, sizeof(dur), el ? dltc_value_get_double(el) : 0);
        if (!rc)
            rc = dltc__buf_printf(&b, "Step run %s in %s.\n", st ? dltc_value_get_str(st, NULL) : "?",
                                  dur);
        if (!rc && li && dltc_value_type_of(li) == DLTC_TYPE_STRING)
            rc = dltc__buf_puts(&b, dltc_value_get_str(li, NULL));
    }
    dltc__arena_free(&a);
    dltc__free(text);
    dltc__buf_free(&path);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return 0;
}

int dltc__pipeline_has_trace(dltc_pipeline *p)
{
    dltc_buf path = DLTC_BUF_INIT;
    char *text = NULL;
    size_t len = 0;
    int has = dltc__buf_printf(&path, "%s/trace.json", p->working_dir) == 0 &&
              dltc__read_file(path.data, &text, &len) == 0;
    dltc_error_clear();
    dltc__free(text);
    dltc__buf_free(&path);
    return has;
}
