/* Progress of a pipeline's steps (dltc/progress.h): the callback setter, the built-in
 * reporters by dlt's collector names ("log" lines, a "tqdm"-like bar), and the `progress`
 * setting. The meter (common/progress.h) serializes reports, so a reporter's state needs no
 * lock of its own. Reports go to stderr only: stdout stays the command's output. */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/progress.h"
#include "dltc/config.h"

#include <stdio.h>
#include <string.h>

#define LOG_INTERVAL_MS 10000u /* as the CLI's off-TTY default: one line per 10 s */
#define BAR_INTERVAL_MS 200u
#define BAR_WIDTH 20

struct dltc__reporter {
    int bar;      /* 1: a bar redrawn with \r; 0: log lines */
    size_t width; /* the bar on the line: its length, to blank what a shorter one leaves */
};

static const char NAMES[] = "log, tqdm, enlighten, alive_progress, none";

/* 1: log, 2: a bar, 0: off, -1: unknown */
static int kind_of(const char *name)
{
    if (!name || !*name || strcmp(name, "none") == 0)
        return 0;
    if (strcmp(name, "log") == 0)
        return 1;
    if (strcmp(name, "tqdm") == 0 || strcmp(name, "enlighten") == 0 ||
        strcmp(name, "alive_progress") == 0)
        return 2;
    return -1;
}

int dltc_progress_check_name(const char *name)
{
    if (kind_of(name) < 0)
        return dltc__error_set(DLTC_EINVALID, "unknown progress '%s' (valid: %s)", name, NAMES);
    return 0;
}

void dltc__pipeline_progress_free(dltc_pipeline *p)
{
    dltc__progress_free(p->progress);
    p->progress = NULL;
    dltc__free(p->reporter);
    p->reporter = NULL;
}

int dltc_pipeline_set_progress(dltc_pipeline *p, dltc_progress_cb cb, void *payload,
                               unsigned interval_ms)
{
    dltc__progress *pg = NULL;
    if (cb && !(pg = dltc__progress_new(cb, payload, interval_ms)))
        return dltc__error_oom();
    dltc__pipeline_progress_free(p);
    p->progress = pg;
    return 0;
}

/* ---- the built-in reporters ---- */

/* 1234567 → "1,234,567" */
static int put_thousands(dltc_buf *b, uint64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (i && (n - i) % 3 == 0)
            rc = dltc__buf_putc(b, ',');
        if (!rc)
            rc = dltc__buf_putc(b, digits[i]);
    }
    return rc;
}

/* 1234567 → "1.2M" */
static int put_human(dltc_buf *b, double v)
{
    static const char units[] = "kMGT";
    if (v < 1000)
        return dltc__buf_printf(b, "%.0f", v);
    int u = -1;
    while (v >= 1000 && u < 3) {
        v /= 1000;
        u++;
    }
    return dltc__buf_printf(b, "%.1f%c", v, units[u]);
}

static int percent(const dltc_progress *pr)
{
    if (!pr->total_bytes)
        return -1;
    uint64_t pct = pr->bytes * 100 / pr->total_bytes;
    return pct > 100 ? 100 : (int)pct;
}

/* "normalize: 120,000 rows, 34.1 of 80.2 MB (42%), 51,200 rows/s, 14.5 MB/s (table events)";
 * the final line: "normalize done: … in 2.31 s". */
static int log_line(dltc_buf *b, const dltc_progress *pr)
{
    int rows = pr->rows || !pr->bytes; /* plain files are copied unread: bytes only */
    int rc = dltc__buf_printf(b, "%s%s: ", pr->step_name, pr->final ? " done" : "");
    if (!rc && rows)
        rc = put_thousands(b, pr->rows);
    if (!rc && rows)
        rc = dltc__buf_puts(b, " rows, ");
    if (!rc && pr->files) {
        rc = put_thousands(b, pr->files);
        if (!rc)
            rc = dltc__buf_puts(b, pr->files == 1 ? " file, " : " files, ");
    }
    int pct = percent(pr);
    if (!rc && pct >= 0 && !pr->final)
        rc = dltc__buf_printf(b, "%.1f of %.1f MB (%d%%), ", (double)pr->bytes / 1e6,
                              (double)pr->total_bytes / 1e6, pct);
    else if (!rc)
        rc = dltc__buf_printf(b, "%.1f MB, ", (double)pr->bytes / 1e6);
    if (!rc && pr->final)
        rc = dltc__buf_printf(b, "in %.2f s, ", pr->elapsed_s);
    if (!rc && rows)
        rc = put_thousands(b, (uint64_t)(pr->rows_per_s + 0.5));
    if (!rc && rows)
        rc = dltc__buf_puts(b, " rows/s, ");
    if (!rc)
        rc = dltc__buf_printf(b, "%.1f MB/s", pr->mb_per_s);
    if (!rc && pr->table && !pr->final)
        rc = dltc__buf_printf(b, " (table %s)", pr->table);
    return rc ? rc : dltc__buf_putc(b, '\n');
}

/* "normalize [#####.....] 52% 1.2M rows 48.3 MB 1.1M rows/s" (no bar when the total is not
 * known), after a \r; blanks to the previous bar's width. */
static int bar_line(dltc_buf *b, const dltc_progress *pr, size_t *width)
{
    int rc = dltc__buf_printf(b, "\r%s ", pr->step_name);
    int pct = percent(pr);
    if (!rc && pct >= 0) {
        int fill = pct * BAR_WIDTH / 100;
        rc = dltc__buf_putc(b, '[');
        for (int i = 0; i < BAR_WIDTH && !rc; i++)
            rc = dltc__buf_putc(b, i < fill ? '#' : '.');
        if (!rc)
            rc = dltc__buf_printf(b, "] %3d%% ", pct);
    }
    int rows = pr->rows || !pr->bytes;
    if (!rc && rows)
        rc = put_human(b, (double)pr->rows);
    if (!rc)
        rc = dltc__buf_printf(b, "%s%.1f MB ", rows ? " rows " : "", (double)pr->bytes / 1e6);
    if (!rc && rows)
        rc = put_human(b, pr->rows_per_s);
    if (!rc)
        rc = rows ? dltc__buf_puts(b, " rows/s") : dltc__buf_printf(b, "%.1f MB/s", pr->mb_per_s);
    if (!rc && pr->final)
        rc = dltc__buf_printf(b, " in %.2f s", pr->elapsed_s);
    size_t len = b->len;
    for (size_t i = len; i < *width && !rc; i++)
        rc = dltc__buf_putc(b, ' ');
    *width = len;
    if (!rc && pr->final) {
        rc = dltc__buf_putc(b, '\n');
        *width = 0;
    }
    return rc;
}

static void reporter_cb(const dltc_progress *pr, void *payload)
{
    struct dltc__reporter *r = payload;
    dltc_buf b = DLTC_BUF_INIT;
    int rc;
    if (pr->failed) { /* the error says it: only end a bar that is on the line */
        if (r->bar && r->width)
            fputc('\n', stderr);
        r->width = 0;
        fflush(stderr);
        return;
    }
    if (r->bar) {
        rc = bar_line(&b, pr, &r->width);
    } else {
        rc = log_line(&b, pr);
    }
    if (!rc) {
        fwrite(b.data, 1, b.len, stderr);
        fflush(stderr);
    }
    dltc__buf_free(&b);
}

int dltc_pipeline_set_progress_reporter(dltc_pipeline *p, const char *name,
                                        unsigned interval_ms)
{
    int kind = kind_of(name);
    if (kind < 0)
        return dltc_progress_check_name(name);
    if (kind == 0)
        return dltc_pipeline_set_progress(p, NULL, NULL, 0);
    struct dltc__reporter *r = dltc__calloc(1, sizeof(*r));
    if (!r)
        return dltc__error_oom();
    r->bar = kind == 2;
    if (!interval_ms)
        interval_ms = r->bar ? BAR_INTERVAL_MS : LOG_INTERVAL_MS;
    int rc = dltc_pipeline_set_progress(p, reporter_cb, r, interval_ms);
    if (rc) {
        dltc__free(r);
        return rc;
    }
    p->reporter = r;
    return 0;
}

/* dlt's PipelineConfiguration.progress: the option, else `progress` from config (the
 * pipeline's section first: <name>.progress, then progress / env PROGRESS). */
int dltc__pipeline_progress_setup(dltc_pipeline *p, const char *option)
{
    if (option) {
        int rc = dltc_pipeline_set_progress_reporter(p, option, 0);
        if (rc)
            dltc__error_prefix("pipeline option progress: ");
        return rc;
    }
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.pipeline_name = p->name;
    dltc_config *cfg = NULL;
    int rc = dltc_config_open(&cfg, &co);
    const char *name = NULL;
    if (!rc) {
        rc = dltc_config_get_string(&name, cfg, NULL, "progress", 0);
        if (rc == DLTC_ENOTFOUND) {
            dltc_error_clear();
            rc = 0;
            name = NULL;
        }
    }
    if (!rc && name) {
        rc = dltc_pipeline_set_progress_reporter(p, name, 0);
        if (rc)
            dltc__error_prefix("config progress: ");
    }
    dltc_config_free(cfg);
    return rc;
}
