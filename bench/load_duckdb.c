/*
 * bench-load-duckdb: flat JSON Lines → DuckDB end to end with dltc (normalize, then load
 * each table file into a fresh on-disk database), next to DuckDB's own
 * `CREATE TABLE … AS SELECT * FROM read_json(…)` on the same file.
 *
 *   bench-load-duckdb [--rows N] [--seed S] [--repeat R] [--loader auto|read_json|appender]
 *                     [--all-loaders] [--pipeline] [--format F] [--all-formats] [--keep]
 *                     [--workdir DIR]
 *
 * Each measured phase runs in a forked child (peak RSS = the child's ru_maxrss). The dltc
 * phase is the pipeline's normalize + load path; --pipeline measures dltc_pipeline_run_files
 * instead; --format picks the loader file format of both (jsonl, csv, parquet, insert_values)
 * and --all-formats measures the pipeline with each. Report on stdout: a table and RESULT lines. Exit: 0 report printed, 1 a phase
 * failed, 2 usage.
 */
#include "bench_duckdb.h"
#include "bench_gen.h"
#include "bench_util.h"

#include "dltc/dltc.h"
#include "duckdb/client.h"
#include "duckdb/load.h"
#include "load/sql.h"
#include "schema/schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TARGET_RATIO 0.5
#define TARGET_PEAK_RSS_MB 256.0

typedef struct {
    const char *input, *out_dir, *db, *loader, *format;
    uint64_t rows;
    char workdir[4096];
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

/* normalize + load: res->seconds is the total; res->bytes carries the load part in µs */
static int phase_dltc(bench_result *res, void *payload)
{
    const job *j = payload;
    dltc_schema *schema = NULL;
    dltc_normalizer *n = NULL;
    dltc_duckdb *db = NULL;
    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    dltc_buf sql = DLTC_BUF_INIT;
    int rc = -1;
    if (j->loader)
        setenv("DLTC_DUCKDB_LOADER", j->loader, 1);
    o.table_name = "flat";
    o.out_dir = j->out_dir;
    o.file_format = j->format;
    double t0 = bench_now();
    if (dltc_schema_new(&schema, "bench") || dltc_normalizer_new(&n, schema, &o) ||
        dltc_normalizer_feed_file(n, j->input) || dltc_normalizer_finish(n)) {
        fail(res, "normalize");
        goto done;
    }
    double t1 = bench_now();
    /* opened as the loader opens its destination (load settings, row group size) */
    if (dltc__duckdb_open_load(&db, j->db, 0) ||
        dltc__duckdb_exec(db, "CREATE SCHEMA IF NOT EXISTS bench_data")) {
        fail(res, "open");
        goto done;
    }
    for (size_t i = 0; i < dltc_normalizer_table_count(n); i++) {
        const char *name = dltc_normalizer_table_name(n, i);
        dltc_table *t = dltc__schema_table(schema, name, strlen(name));
        dltc__buf_clear(&sql);
        if (!t || dltc__sql_create_table(&sql, DLTC_SQL_DUCKDB, "bench_data", t) ||
            dltc__duckdb_exec(db, sql.data)) {
            fail(res, "create");
            goto done;
        }
        for (size_t k = 0; k < dltc_normalizer_table_file_count(n, i); k++)
            if (dltc__duckdb_load_file(db, "bench_data", t, dltc_normalizer_table_file_at(n, i, k),
                                       j->format ? j->format : "jsonl", NULL)) {
                fail(res, "load");
                goto done;
            }
        res->tables++;
    }
    dltc__duckdb_close(db); /* the checkpoint is part of the load */
    db = NULL;
    double t2 = bench_now();
    res->seconds = t2 - t0;
    res->bytes = (uint64_t)((t2 - t1) * 1e6);
    /* count outside the timing */
    dltc_rows *rows = NULL;
    if (dltc__duckdb_open(&db, j->db) ||
        dltc__duckdb_query(db, "SELECT count(*) FROM bench_data.flat", &rows)) {
        fail(res, "count");
        goto done;
    }
    res->rows = (uint64_t)dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    dltc_rows_free(rows);
    rc = 0;
done:
    dltc__buf_free(&sql);
    dltc__duckdb_close(db);
    dltc_normalizer_free(n);
    dltc_schema_free(schema);
    return rc;
}

/* the public pipeline: dltc_pipeline_run_files */
static int phase_pipeline(bench_result *res, void *payload)
{
    const job *j = payload;
    dltc_pipeline *p = NULL;
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    dltc_rows *rows = NULL;
    char pdir[4200];
    snprintf(pdir, sizeof(pdir), "%s/pipelines", j->out_dir);
    po.pipelines_dir = pdir;
    po.credentials = j->db;
    po.dataset_name = "bench_data";
    ro.table_name = "flat";
    po.loader_file_format = j->format;
    double t0 = bench_now();
    if (dltc_pipeline_open(&p, "bench", &po) ||
        dltc_pipeline_run_files(p, &j->input, 1, &ro, NULL)) {
        dltc_pipeline_free(p);
        return fail(res, "pipeline");
    }
    res->seconds = bench_now() - t0;
    if (dltc_pipeline_query(p, "SELECT count(*) FROM bench_data.flat", &rows)) {
        dltc_pipeline_free(p);
        return fail(res, "count");
    }
    res->rows = (uint64_t)dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    res->tables = 1;
    dltc_rows_free(rows);
    dltc_pipeline_free(p);
    return 0;
}

static int phase_duckdb(bench_result *res, void *payload)
{
    const job *j = payload;
    return bench_duckdb_ctas(res, j->input, j->db, "flat");
}

static void remove_db(const char *db)
{
    char side[4200];
    bench_rmtree(db);
    snprintf(side, sizeof(side), "%s.wal", db);
    bench_rmtree(side);
}

typedef struct {
    const char *label;
    int ok;
    bench_result res;
    bench_usage use;
} measured;

static int measure(measured *m, uint64_t repeat, bench_phase_fn fn, job *j, uint64_t rows)
{
    m->ok = 0;
    for (uint64_t r = 0; r < repeat; r++) {
        bench_result res;
        bench_usage use;
        memset(&res, 0, sizeof(res));
        remove_db(j->db);
        bench_rmtree(j->out_dir);
        mkdir(j->out_dir, 0777);
        fprintf(stderr, "  %-18s run %llu/%llu ...", m->label, (unsigned long long)r + 1,
                (unsigned long long)repeat);
        if (bench_run_forked(&res, &use, fn, j) != 0) {
            fprintf(stderr, " FAILED: %s\n", res.error);
            m->res = res;
            return -1;
        }
        fprintf(stderr, " %.3f s, peak RSS %.1f MB\n", res.seconds, use.peak_rss_mb);
        if (res.rows != rows) {
            fprintf(stderr, "  loaded %llu rows, expected %llu\n", (unsigned long long)res.rows,
                    (unsigned long long)rows);
            snprintf(m->res.error, sizeof(m->res.error), "wrong row count");
            return -1;
        }
        if (!m->ok || res.seconds < m->res.seconds) {
            double worst = m->ok && m->use.peak_rss_mb > use.peak_rss_mb ? m->use.peak_rss_mb : use.peak_rss_mb;
            m->res = res;
            m->use = use;
            m->use.peak_rss_mb = worst;
        } else if (use.peak_rss_mb > m->use.peak_rss_mb) {
            m->use.peak_rss_mb = use.peak_rss_mb;
        }
        m->ok = 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t rows = 1000000, repeat = 1;
    const char *loader = NULL, *workdir_opt = NULL;
    int keep = 0, all = 0, pipeline = 0, all_formats = 0;
    const char *format = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rows") && v && !bench_parse_count(&rows, v)) i++;
        else if (!strcmp(a, "--repeat") && v && !bench_parse_count(&repeat, v)) i++;
        else if (!strcmp(a, "--loader") && v) loader = argv[++i];
        else if (!strcmp(a, "--workdir") && v) workdir_opt = argv[++i];
        else if (!strcmp(a, "--all-loaders")) all = 1;
        else if (!strcmp(a, "--pipeline")) pipeline = 1;
        else if (!strcmp(a, "--format") && v) format = argv[++i];
        else if (!strcmp(a, "--all-formats")) all_formats = pipeline = 1;
        else if (!strcmp(a, "--keep")) keep = 1;
        else {
            fprintf(stderr, "usage: bench-load-duckdb [--rows N] [--repeat R] [--loader auto|read_json|appender]\n"
                            "                         [--all-loaders] [--pipeline] [--format F] [--all-formats]\n"
                            "                         [--keep] [--workdir DIR]\n");
            return strcmp(a, "--help") ? 2 : 0;
        }
    }
    if (!repeat) repeat = 1;
    job j;
    memset(&j, 0, sizeof(j));
    const char *tmp = getenv("TMPDIR");
    if (workdir_opt)
        snprintf(j.workdir, sizeof(j.workdir), "%s", workdir_opt), mkdir(j.workdir, 0777);
    else if (snprintf(j.workdir, sizeof(j.workdir), "%s/dltc-bench-load-XXXXXX",
                      tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(j.workdir) || !mkdtemp(j.workdir)) {
        fprintf(stderr, "bench-load-duckdb: cannot create a work folder\n");
        return 1;
    }
    char input[4200], out_dir[4200], db[4200];
    bench_path(input, sizeof(input), j.workdir, "flat.jsonl");
    bench_path(out_dir, sizeof(out_dir), j.workdir, "dltc_out");
    bench_path(db, sizeof(db), j.workdir, "bench.duckdb");
    j.input = input;
    j.out_dir = out_dir;
    j.db = db;
    j.format = format;

    fprintf(stderr, "bench-load-duckdb: dltc %s, DuckDB %s, %llu flat rows, workdir %s\n",
            dltc_version(), bench_duckdb_version(), (unsigned long long)rows, j.workdir);
    bench_result g;
    bench_usage gu;
    memset(&g, 0, sizeof(g));
    j.rows = rows;
    if (bench_run_forked(&g, &gu, phase_gen, &j) != 0) {
        fprintf(stderr, "generate: %s\n", g.error);
        return 1;
    }

    const char *loaders[3];
    size_t nl = 0;
    if (all) {
        loaders[nl++] = "read_json";
        loaders[nl++] = "appender";
    } else {
        loaders[nl++] = loader ? loader : "auto";
    }
    static const char *const all_fmts[] = {"jsonl", "parquet", "csv", "insert_values"};
    const char *fmts[4];
    size_t nf = 0;
    if (all_formats)
        for (size_t i = 0; i < 4; i++) fmts[nf++] = all_fmts[i];
    else if (pipeline)
        fmts[nf++] = format;
    measured dm[3], pms[4], km;
    char labels[3][64], plabels[4][64];
    int failed = 0;
    memset(dm, 0, sizeof(dm));
    memset(pms, 0, sizeof(pms));
    memset(&km, 0, sizeof(km));
    for (size_t i = 0; i < nl; i++) {
        snprintf(labels[i], sizeof(labels[i]), "dltc(%s%s%s)", format ? format : "",
                 format ? "," : "", loaders[i]);
        dm[i].label = labels[i];
        j.loader = loaders[i];
        if (measure(&dm[i], repeat, phase_dltc, &j, rows)) failed = 1;
    }
    for (size_t i = 0; i < nf; i++) {
        snprintf(plabels[i], sizeof(plabels[i]), "pipeline(%s)", fmts[i] ? fmts[i] : "jsonl");
        pms[i].label = plabels[i];
        j.format = fmts[i];
        if (measure(&pms[i], repeat, phase_pipeline, &j, rows)) failed = 1;
    }
    km.label = "duckdb CTAS";
    if (measure(&km, repeat, phase_duckdb, &j, rows)) failed = 1;

    double krate = km.ok ? (double)rows / km.res.seconds : 0;
    printf("\n%-20s %9s %9s %12s %12s %10s %7s\n", "engine", "seconds", "load s", "rows/s",
           "load rows/s", "peakRSS MB", "ratio");
    for (size_t i = 0; i < nl + nf + 1; i++) {
        measured *m = i < nl ? &dm[i] : i < nl + nf ? &pms[i - nl] : &km;
        if (!m->label) continue;
        if (!m->ok) {
            printf("%-20s FAILED %s\n", m->label, m->res.error);
            continue;
        }
        double rate = (double)rows / m->res.seconds;
        double load_s = i >= nl ? m->res.seconds : (double)m->res.bytes / 1e6;
        printf("%-20s %9.3f %9.3f %12.0f %12.0f %10.1f %7.3f\n", m->label, m->res.seconds, load_s,
               rate, (double)rows / load_s, m->use.peak_rss_mb, krate > 0 ? rate / krate : 0);
    }
    printf("(dltc = normalize + CREATE TABLE + load_file + close; targets: ratio >= %.2f of "
           "DuckDB's rate, peak RSS <= %.0f MB)\n\n",
           TARGET_RATIO, TARGET_PEAK_RSS_MB);
    for (size_t i = 0; i < nl + nf; i++) {
        measured *m = i < nl ? &dm[i] : &pms[i - nl];
        if (!m->ok) continue;
        double rate = (double)rows / m->res.seconds;
        printf("RESULT engine=%s rows=%llu seconds=%.3f rows_per_s=%.0f peak_rss_mb=%.1f "
               "duckdb_seconds=%.3f duckdb_rows_per_s=%.0f duckdb_peak_rss_mb=%.1f ratio=%.3f "
               "ratio_pass=%d rss_pass=%d\n",
               m->label, (unsigned long long)rows, m->res.seconds, rate, m->use.peak_rss_mb,
               km.res.seconds, krate, km.use.peak_rss_mb, krate > 0 ? rate / krate : 0,
               krate > 0 && rate / krate >= TARGET_RATIO, m->use.peak_rss_mb <= TARGET_PEAK_RSS_MB);
    }
    if (!keep) bench_rmtree(j.workdir);
    return failed ? 1 : 0;
}
