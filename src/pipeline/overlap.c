/* Normalize and load at the same time. Into a database server (Postgres) the load is the
 * server's work more than ours, so a package's files are loaded while the rest of it is
 * still being normalized: the normalizer (a worker thread) starts a new file every
 * OVERLAP_FILE_ITEMS rows and hands each completed append file, with a snapshot of its
 * table, to the loader (this thread), which loads it into the package's open transaction.
 * The transaction commits only after the package is normalized and committed on disk
 * (dltc__load_package_early), so a crash or an error anywhere leaves what the sequential
 * steps would: the data of the package is in the destination whole or not at all.
 *
 * Only append tables load early: replace truncates and merge stages, which wants the whole
 * package. When the early loader fails (a dead server, a type the snapshot could not
 * foresee) it stops, rolls back and leaves the package to the ordinary load step, which
 * then reports the error or loads it. */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per load file while overlapping (unless normalize.data_writer.file_max_items is
 * smaller): small enough that the loader starts soon and the last file is a short tail,
 * large enough that the per-file round trips do not count (1M flat rows: 16 files). */
#define OVERLAP_FILE_ITEMS 65536u

typedef struct job {
    dltc_table *table; /* snapshot when the file was complete */
    char *path;
    struct job *next;
} job;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, *tail;
    int busy;          /* the loader is loading a file */
    int stop;          /* the loader failed: take no more files */
    int producer_done; /* the normalizer returned */
    int rc;            /* its result and error (errors are per thread) */
    char msg[1024];
    dltc_pipeline *p;
    const char *load_id;
    uint64_t max_items;
} overlap;

static void job_free(job *j)
{
    if (!j)
        return;
    dltc__table_free(j->table);
    dltc__free(j->path);
    dltc__free(j);
}

/* The normalizer's file hook (its thread). */
static int on_file(void *ctx, const dltc_schema *s, const dltc_table *t, const char *path)
{
    overlap *o = ctx;
    if (!t) { /* the files are about to move: the loader must be done with them */
        pthread_mutex_lock(&o->mu);
        while ((o->head || o->busy) && !o->stop)
            pthread_cond_wait(&o->cv, &o->mu);
        pthread_mutex_unlock(&o->mu);
        return 0;
    }
    if (strcmp(dltc__table_write_disposition(s, (dltc_table *)t), "append") != 0)
        return 0;
    job *j = dltc__calloc(1, sizeof(*j));
    if (!j || dltc__table_clone(t, &j->table) || !(j->path = dltc__strdup(path))) {
        job_free(j);
        return dltc__error_oom();
    }
    pthread_mutex_lock(&o->mu);
    if (o->stop) {
        job_free(j);
    } else {
        if (o->tail)
            o->tail->next = j;
        else
            o->head = j;
        o->tail = j;
        pthread_cond_broadcast(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
    return 0;
}

static void *normalize_thread(void *arg)
{
    overlap *o = arg;
    int rc = dltc__pipeline_normalize_one(o->p, o->load_id, o->max_items, on_file, o);
    dltc__progress_end(o->p->progress, DLTC_PROGRESS_NORMALIZE, rc != 0);
    pthread_mutex_lock(&o->mu);
    o->rc = rc;
    if (rc)
        snprintf(o->msg, sizeof(o->msg), "%s", dltc_error_last()->message);
    o->producer_done = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

/* Overlap only a run's single new package into Postgres, when nothing else is pending and
 * the destination is configured (else the steps run one after the other and report). */
static int can_overlap(dltc_pipeline *p, size_t n)
{
    if (n != 1 || !(p->dest->caps & DLTC_DESTCAP_OVERLAP))
        return 0;
    const char *off = getenv("DLTC_NO_OVERLAP"); /* for comparing both ways */
    if (off && *off && strcmp(off, "0") != 0)
        return 0;
    char **norm = NULL;
    size_t nn = 0;
    int pending = dltc__storage_list(p->storage, DLTC_STAGE_NORMALIZED, &norm, &nn) != 0 || nn;
    dltc__strv_free(norm, nn);
    dltc_error_clear();
    return !pending && dltc__pipeline_destination_ready(p) == 0;
}

int dltc__pipeline_normalize_overlapped(dltc_pipeline *p, dltc_load_early **early)
{
    *early = NULL;
    char **ids = NULL;
    size_t n = 0;
    int rc = dltc__storage_list(p->storage, DLTC_STAGE_EXTRACTED, &ids, &n);
    if (rc)
        return rc;
    dltc_load_early *e = NULL;
    if (!can_overlap(p, n)) {
        dltc__strv_free(ids, n);
        return dltc__pipeline_normalize_pending(p, NULL);
    }
    overlap o;
    memset(&o, 0, sizeof(o));
    pthread_mutex_init(&o.mu, NULL);
    pthread_cond_init(&o.cv, NULL);
    o.p = p;
    o.load_id = ids[0];
    o.max_items = p->file_max_items && p->file_max_items < OVERLAP_FILE_ITEMS
                      ? p->file_max_items
                      : OVERLAP_FILE_ITEMS;
    /* both steps report while they overlap, serialized by the meter (common/progress.h);
     * the load step is ended by dltc__pipeline_load_pending, or here on a failure */
    dltc__progress_begin(p->progress, DLTC_PROGRESS_NORMALIZE);
    dltc__progress_begin(p->progress, DLTC_PROGRESS_LOAD);
    pthread_t th;
    if (pthread_create(&th, NULL, normalize_thread, &o) != 0) {
        dltc__strv_free(ids, n);
        pthread_cond_destroy(&o.cv);
        pthread_mutex_destroy(&o.mu);
        dltc__progress_cancel(p->progress, DLTC_PROGRESS_NORMALIZE);
        dltc__progress_cancel(p->progress, DLTC_PROGRESS_LOAD);
        return dltc__pipeline_normalize_pending(p, NULL);
    }
    /* connecting while the first rows are normalized; without a connection the normalizer
     * goes on alone and the load step meets the destination's error again */
    if (dltc__load_early_begin(&e, o.load_id, p->destination, p->location, p->dataset) != 0) {
        dltc_error_clear();
        e = NULL;
        pthread_mutex_lock(&o.mu);
        o.stop = 1;
        pthread_cond_broadcast(&o.cv);
        pthread_mutex_unlock(&o.mu);
    }
    if (e)
        dltc__load_early_set_progress(e, p->progress);
    /* this thread loads what the normalizer completes */
    pthread_mutex_lock(&o.mu);
    for (;;) {
        job *j = o.head;
        if (!j) {
            if (o.producer_done)
                break;
            pthread_cond_wait(&o.cv, &o.mu);
            continue;
        }
        o.head = j->next;
        if (!o.head)
            o.tail = NULL;
        o.busy = 1;
        int stopped = o.stop;
        pthread_mutex_unlock(&o.mu);
        int lrc = stopped ? 0 : dltc__load_early_file(e, j->table, j->path);
        job_free(j);
        pthread_mutex_lock(&o.mu);
        if (lrc)
            o.stop = 1;
        o.busy = 0;
        pthread_cond_broadcast(&o.cv);
    }
    int stopped = o.stop;
    pthread_mutex_unlock(&o.mu);
    pthread_join(th, NULL);
    rc = o.rc;
    if (rc || stopped) {
        dltc__load_early_free(e); /* rolled back */
        e = NULL;
        /* what was loaded early is rolled back: the load step counts again from zero */
        dltc__progress_cancel(p->progress, DLTC_PROGRESS_LOAD);
        if (rc)
            dltc__error_set(rc, "%s", o.msg);
        else
            dltc_error_clear(); /* the ordinary load step loads or reports */
    }
    *early = e;
    dltc__strv_free(ids, n);
    pthread_cond_destroy(&o.cv);
    pthread_mutex_destroy(&o.mu);
    return rc;
}
