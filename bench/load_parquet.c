/*
 * bench-load-parquet: flat JSON Lines → parquet files in a bucket folder, end to end through
 * the public pipeline (destination "filesystem", loader_file_format "parquet"), next to
 * DuckDB's own `COPY (SELECT * FROM read_json('<file>')) TO '<out>.parquet' (FORMAT
 * parquet)` of the same file.
 *
 *   bench-load-parquet [--rows N] [--repeat R] [--keep] [--workdir DIR]
 *
 * Each measured phase runs in a forked child (peak RSS = the child's ru_maxrss). Every dltc
 * run starts from an empty bucket and pipelines folder. Report on stdout: a table and RESULT
 * lines. Exit: 0 report printed, 1 a phase failed, 2 usage.
 */
#include "bench_gen.h"
#include "bench_util.h"

#include "dltc/dltc.h"
#include "common/buf.h"
#include "duckdb/client.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TARGET_PEAK_RSS_MB 256.0

typedef struct {
    const char *input, *bucket, *pdir, *out;
    uint64_t rows;
} job;

static int fail(bench_result *res, const char *what)
{
    const dltc_error *e = dltc_error_last();
    snprintf(res->error, sizeof(res->error), "%s: %s", what,
             e && e->message && e->message[0] ? e->message : "failed");
    return -1;
}

static int phase_gen(bench_result *res, void *payload)
{
    const job *j = payload;
    double t0 = bench_now();
    if (bench_gen_file(&res->bytes, j->input, BENCH_DATASET_FLAT, j->rows,
                       BENCH_GEN_DEFAULT_SEED)) {
        snprintf(res->error, sizeof(res->error), "writing %s: %s", j->input, strerror(errno));
        return -1;
    }
    res->seconds = bench_now() - t0;
    return 0;
}

/* bytes of the .parquet files under a folder (nftw has no payload: a file-scope sum) */
static uint64_t parquet_bytes;

static int add_parquet(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)f;
    size_t n = strlen(path);
    if (type == FTW_F && n > 8 && strcmp(path + n - 8, ".parquet") == 0)
        parquet_bytes += (uint64_t)st->st_size;
    return 0;
}

static uint64_t tree_parquet_bytes(const char *dir)
{
    parquet_bytes = 0;
    nftw(dir, add_parquet, 16, FTW_PHYS);
    return parquet_bytes;
}

/* The public pipeline to the filesystem destination; the count (through the dataset's
 * views) is taken afterwards, outside the timing. */
static int phase_pipeline(bench_result *res, void *payload)
{
    const job *j = payload;
    dltc_pipeline *p = NULL;
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    dltc_rows *rows = NULL;
    po.destination = "filesystem";
    po.credentials = j->bucket;
    po.pipelines_dir = j->pdir;
    po.dataset_name = "bench_data";
    po.loader_file_format = "parquet";
    ro.table_name = "flat";
    double t0 = bench_now();
    if (dltc_pipeline_open(&p, "bench_parquet", &po) ||
        dltc_pipeline_run_files(p, &j->input, 1, &ro, NULL)) {
        fail(res, "pipeline");
        dltc_pipeline_free(p);
        return -1;
    }
    res->seconds = bench_now() - t0;
    if (dltc_pipeline_query(p, "SELECT count(*) FROM flat", &rows)) {
        fail(res, "count");
        dltc_pipeline_free(p);
        return -1;
    }
    res->rows = (uint64_t)dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    res->tables = 1;
    res->bytes = tree_parquet_bytes(j->bucket);
    dltc_rows_free(rows);
    dltc_pipeline_free(p);
    return 0;
}

/* Append `s` as the body of a SQL string literal (quotes doubled); -1 when it won't fit. */
static int sql_quote(dltc_buf *b, const char *s)
{
    for (; *s; s++)
        if ((*s == '\'' && dltc__buf_putc(b, '\'')) || dltc__buf_putc(b, *s))
            return -1;
    return 0;
}

/* The reference: DuckDB (in-memory, default threads) writing the parquet file itself. The
 * time covers open → COPY → close; the count reads the file back afterwards. */
static int phase_duckdb(bench_result *res, void *payload)
{
    const job *j = payload;
    dltc_buf copy = DLTC_BUF_INIT, count = DLTC_BUF_INIT;
    dltc_duckdb *db = NULL;
    dltc_rows *rows = NULL;
    int rc = -1;
    if (dltc__buf_puts(&copy, "COPY (SELECT * FROM read_json('") || sql_quote(&copy, j->input) ||
        dltc__buf_puts(&copy, "', format='newline_delimited')) TO '") ||
        sql_quote(&copy, j->out) || dltc__buf_puts(&copy, "' (FORMAT parquet)") ||
        dltc__buf_puts(&count, "SELECT count(*) FROM read_parquet('") ||
        sql_quote(&count, j->out) || dltc__buf_puts(&count, "')")) {
        snprintf(res->error, sizeof(res->error), "out of memory");
        goto done;
    }
    double t0 = bench_now();
    if (dltc__duckdb_open(&db, NULL) || dltc__duckdb_exec(db, copy.data)) {
        fail(res, "duckdb COPY");
        goto done;
    }
    dltc__duckdb_close(db);
    db = NULL;
    res->seconds = bench_now() - t0;
    if (dltc__duckdb_open(&db, NULL) || dltc__duckdb_query(db, count.data, &rows)) {
        fail(res, "duckdb count");
        goto done;
    }
    res->rows = (uint64_t)dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    res->tables = 1;
    int64_t size = bench_file_size(j->out);
    res->bytes = size > 0 ? (uint64_t)size : 0;
    rc = 0;
done:
    dltc_rows_free(rows);
    dltc__duckdb_close(db);
    dltc__buf_free(&copy);
    dltc__buf_free(&count);
    return rc;
}

typedef struct {
    const char *label;
    int ok;
    bench_result res;
    bench_usage use;
} measured;

/* Run r of `repeat` of one engine: the fastest run and the highest peak RSS are kept in *m;
 * a failed run marks the engine failed (m->ok = 0, m->res.error says why). */
static int measure(measured *m, uint64_t r, uint64_t repeat, bench_phase_fn fn, job *j)
{
    bench_result res;
    bench_usage use;
    memset(&res, 0, sizeof(res));
    bench_rmtree(j->bucket);
    bench_rmtree(j->pdir);
    bench_rmtree(j->out);
    fprintf(stderr, "  %-18s run %llu/%llu ...", m->label, (unsigned long long)r + 1,
            (unsigned long long)repeat);
    if (bench_run_forked(&res, &use, fn, j) != 0) {
        fprintf(stderr, " FAILED: %s\n", res.error);
        m->res = res;
        m->ok = 0;
        return -1;
    }
    fprintf(stderr, " %.3f s, peak RSS %.1f MB\n", res.seconds, use.peak_rss_mb);
    if (res.rows != j->rows) {
        fprintf(stderr, "  got %llu rows, expected %llu\n", (unsigned long long)res.rows,
                (unsigned long long)j->rows);
        snprintf(m->res.error, sizeof(m->res.error), "wrong row count");
        m->ok = 0;
        return -1;
    }
    double worst = m->ok && m->use.peak_rss_mb > use.peak_rss_mb ? m->use.peak_rss_mb
                                                                 : use.peak_rss_mb;
    if (!m->ok || res.seconds < m->res.seconds) {
        m->res = res;
        m->use = use;
    }
    m->use.peak_rss_mb = worst;
    m->ok = 1;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t rows = 1000000, repeat = 1;
    const char *workdir_opt = NULL;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rows") && v && !bench_parse_count(&rows, v)) i++;
        else if (!strcmp(a, "--repeat") && v && !bench_parse_count(&repeat, v)) i++;
        else if (!strcmp(a, "--workdir") && v) workdir_opt = argv[++i];
        else if (!strcmp(a, "--keep")) keep = 1;
        else {
            fprintf(strcmp(a, "--help") ? stderr : stdout,
                    "usage: bench-load-parquet [--rows N] [--repeat R] [--keep] [--workdir DIR]\n");
            return strcmp(a, "--help") ? 2 : 0;
        }
    }
    if (!repeat) repeat = 1;
    char workdir[4096];
    const char *tmp = getenv("TMPDIR");
    if (workdir_opt)
        snprintf(workdir, sizeof(workdir), "%s", workdir_opt), mkdir(workdir, 0777);
    else if (snprintf(workdir, sizeof(workdir), "%s/dltc-bench-parquet-XXXXXX",
                      tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(workdir) ||
             !mkdtemp(workdir)) {
        fprintf(stderr, "bench-load-parquet: cannot create a work folder\n");
        return 1;
    }
    char input[4200], bucket[4200], pdir[4200], out[4200];
    if (bench_path(input, sizeof(input), workdir, "flat.jsonl") ||
        bench_path(bucket, sizeof(bucket), workdir, "bucket") ||
        bench_path(pdir, sizeof(pdir), workdir, "pipelines") ||
        bench_path(out, sizeof(out), workdir, "duckdb.parquet")) {
        fprintf(stderr, "bench-load-parquet: work folder path too long\n");
        return 1;
    }
    job j = {input, bucket, pdir, out, rows};

    fprintf(stderr, "bench-load-parquet: dltc %s, %llu flat rows, workdir %s\n", dltc_version(),
            (unsigned long long)rows, workdir);
    bench_result g;
    bench_usage gu;
    memset(&g, 0, sizeof(g));
    if (bench_run_forked(&g, &gu, phase_gen, &j) != 0) {
        fprintf(stderr, "generate: %s\n", g.error);
        return 1;
    }
    measured pm, km;
    memset(&pm, 0, sizeof(pm));
    memset(&km, 0, sizeof(km));
    int failed = 0;
    pm.label = "pipeline(parquet)";
    km.label = "duckdb COPY parquet";
    /* the repeats interleaved: a busy machine slows both */
    int pbad = 0, kbad = 0;
    for (uint64_t r = 0; r < repeat; r++) {
        if (!pbad && measure(&pm, r, repeat, phase_pipeline, &j)) failed = pbad = 1;
        if (!kbad && measure(&km, r, repeat, phase_duckdb, &j)) failed = kbad = 1;
    }

    double krate = km.ok ? (double)rows / km.res.seconds : 0;
    printf("\n%-20s %9s %12s %10s %10s %7s\n", "engine", "seconds", "rows/s", "out MB",
           "peakRSS MB", "ratio");
    measured *ms[] = {&pm, &km};
    for (size_t i = 0; i < 2; i++) {
        measured *m = ms[i];
        if (!m->ok) {
            printf("%-20s FAILED %s\n", m->label, m->res.error);
            continue;
        }
        double rate = (double)rows / m->res.seconds;
        printf("%-20s %9.3f %12.0f %10.1f %10.1f %7.3f\n", m->label, m->res.seconds, rate,
               (double)m->res.bytes / (1024.0 * 1024.0), m->use.peak_rss_mb,
               krate > 0 ? rate / krate : 0);
    }
    printf("(ratio = DuckDB COPY time / dltc time; dltc = extract copy + normalize + parquet + "
           "load into the bucket; target: peak RSS <= %.0f MB)\n\n",
           TARGET_PEAK_RSS_MB);
    if (pm.ok) {
        double rate = (double)rows / pm.res.seconds;
        printf("RESULT engine=%s rows=%llu seconds=%.3f rows_per_s=%.0f peak_rss_mb=%.1f "
               "out_mb=%.1f duckdb_seconds=%.3f duckdb_rows_per_s=%.0f duckdb_peak_rss_mb=%.1f "
               "duckdb_out_mb=%.1f ratio=%.3f rss_pass=%d\n",
               pm.label, (unsigned long long)rows, pm.res.seconds, rate, pm.use.peak_rss_mb,
               (double)pm.res.bytes / (1024.0 * 1024.0), km.res.seconds, krate,
               km.use.peak_rss_mb, (double)km.res.bytes / (1024.0 * 1024.0),
               km.ok ? km.res.seconds / pm.res.seconds : 0,
               pm.use.peak_rss_mb <= TARGET_PEAK_RSS_MB);
    }
    if (!keep) bench_rmtree(workdir);
    return failed ? 1 : 0;
}
