/* The progress meter (common/progress.h): counters per step under one mutex; a report is
 * built and handed to the callback with the mutex held, so reports never interleave. */
#include "common/progress.h"
#include "common/alloc.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

typedef struct {
    int active;
    uint64_t t0_ns, last_ns; /* began; last report (0: none yet) */
    uint64_t rows, files, bytes, total_bytes;
    char table[256];
} step_meter;

struct dltc__progress {
    dltc_progress_cb cb;
    void *payload;
    uint64_t interval_ns;
    pthread_mutex_t mu;
    step_meter steps[3];
};

static const char *const STEP_NAMES[3] = {"extract", "normalize", "load"};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

dltc__progress *dltc__progress_new(dltc_progress_cb cb, void *payload, unsigned interval_ms)
{
    dltc__progress *pg = dltc__calloc(1, sizeof(*pg));
    if (!pg)
        return NULL;
    pg->cb = cb;
    pg->payload = payload;
    pg->interval_ns = (uint64_t)interval_ms * 1000000u;
    pthread_mutex_init(&pg->mu, NULL);
    return pg;
}

void dltc__progress_free(dltc__progress *pg)
{
    if (!pg)
        return;
    pthread_mutex_destroy(&pg->mu);
    dltc__free(pg);
}

/* With the mutex held. */
static void report(dltc__progress *pg, dltc_progress_step step, uint64_t now, int final,
                   int failed)
{
    step_meter *m = &pg->steps[step];
    dltc_progress pr;
    memset(&pr, 0, sizeof(pr));
    pr.version = DLTC_PROGRESS_VERSION;
    pr.step = step;
    pr.step_name = STEP_NAMES[step];
    pr.table = m->table[0] ? m->table : NULL;
    pr.rows = m->rows;
    pr.files = m->files;
    pr.bytes = m->bytes;
    pr.total_bytes = m->total_bytes;
    pr.elapsed_s = (double)(now - m->t0_ns) / 1e9;
    if (pr.elapsed_s > 0) {
        pr.rows_per_s = (double)m->rows / pr.elapsed_s;
        pr.mb_per_s = (double)m->bytes / 1e6 / pr.elapsed_s;
    }
    pr.final = final;
    pr.failed = failed;
    m->last_ns = now;
    pg->cb(&pr, pg->payload);
}

void dltc__progress_begin(dltc__progress *pg, dltc_progress_step step)
{
    if (!pg)
        return;
    pthread_mutex_lock(&pg->mu);
    step_meter *m = &pg->steps[step];
    if (!m->active) {
        memset(m, 0, sizeof(*m));
        m->active = 1;
        m->t0_ns = now_ns();
    }
    pthread_mutex_unlock(&pg->mu);
}

void dltc__progress_add_total(dltc__progress *pg, dltc_progress_step step, uint64_t bytes)
{
    if (!pg)
        return;
    pthread_mutex_lock(&pg->mu);
    pg->steps[step].total_bytes += bytes;
    pthread_mutex_unlock(&pg->mu);
}

void dltc__progress_add(dltc__progress *pg, dltc_progress_step step, const char *table,
                        uint64_t rows, uint64_t files, uint64_t bytes)
{
    if (!pg)
        return;
    pthread_mutex_lock(&pg->mu);
    step_meter *m = &pg->steps[step];
    if (m->active) {
        m->rows += rows;
        m->files += files;
        m->bytes += bytes;
        if (m->total_bytes && m->bytes > m->total_bytes)
            m->total_bytes = m->bytes; /* a file that grew since it was measured */
        if (table) {
            size_t n = strlen(table);
            if (n >= sizeof(m->table))
                n = sizeof(m->table) - 1;
            memcpy(m->table, table, n);
            m->table[n] = '\0';
        }
        uint64_t now = now_ns();
        if (now - (m->last_ns ? m->last_ns : m->t0_ns) >= pg->interval_ns)
            report(pg, step, now, 0, 0);
    }
    pthread_mutex_unlock(&pg->mu);
}

void dltc__progress_end(dltc__progress *pg, dltc_progress_step step, int failed)
{
    if (!pg)
        return;
    pthread_mutex_lock(&pg->mu);
    step_meter *m = &pg->steps[step];
    if (m->active) {
        if (!failed && m->total_bytes < m->bytes)
            m->total_bytes = m->bytes;
        report(pg, step, now_ns(), 1, failed);
        m->active = 0;
    }
    pthread_mutex_unlock(&pg->mu);
}

void dltc__progress_cancel(dltc__progress *pg, dltc_progress_step step)
{
    if (!pg)
        return;
    pthread_mutex_lock(&pg->mu);
    pg->steps[step].active = 0;
    pthread_mutex_unlock(&pg->mu);
}
