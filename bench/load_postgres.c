/*
 * bench-load-postgres: flat JSON Lines → Postgres end to end through the public pipeline
 * (dltc_pipeline_open with destination "postgres", then dltc_pipeline_run_files), next to
 * the fastest thing a client can do with the same rows: `psql -c "\copy t FROM '<file>'
 * (FORMAT binary)"` of a binary COPY file prepared beforehand (untimed).
 *
 *   bench-load-postgres [--rows N] [--repeat R] [--format csv|jsonl|insert_values]
 *                       [--all-formats] [--uri URI] [--uri-admin URI] [--keep] [--workdir DIR]
 *
 * The server: --uri (and optionally --uri-admin, a superuser for CHECKPOINT between runs);
 * else DIR/uri and DIR/uri_admin of $DLTC_TEST_PG_DIR (the ctest `postgres` fixture); else a
 * throwaway server started with tests/support/pg_server.sh and stopped at the end.
 *
 * Each measured phase runs in a forked child (peak RSS = the child's ru_maxrss, psql's
 * included for the reference; the server's memory is in neither). Every dltc run loads
 * into a fresh dataset (its schema is dropped before and after). Report on stdout: a table
 * and RESULT lines. Exit: 0 report printed, 1 a phase failed, 2 usage.
 */
#include "bench_gen.h"
#include "bench_pg.h"
#include "bench_util.h"

#include "dltc/dltc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DLTC_SOURCE_DIR
#error "DLTC_SOURCE_DIR (the source tree, for tests/support/pg_server.sh) is not defined"
#endif

#define TARGET_RATIO 0.8
#define TARGET_PEAK_RSS_MB 256.0
#define MAX_FORMATS 3

/* The reference table: the columns and types the pipeline creates for the flat rows. */
#define REF_COLUMNS                                                                            \
    "(id bigint, name varchar, score double precision, active boolean, "                      \
    "created_at timestamp with time zone, category varchar, _dlt_load_id varchar NOT NULL, "  \
    "_dlt_id varchar NOT NULL)"

typedef struct {
    const char *input;   /* the JSONL file */
    const char *binfile; /* the binary COPY file of the reference */
    const char *uri, *uri_admin;
    const char *format;  /* loader_file_format of the pipeline */
    char dataset[64];    /* the dataset (schema) of this run */
    char ref_schema[64];
    char pdir[4200];     /* pipelines_dir */
    uint64_t rows;
} job;

/* ---- running psql and the server script ---- */




/* count(*) of a table through psql, or -1 */
static int64_t psql_count(const char *uri, const char *table)
{
    char sql[256], out[64];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    const char *c = sql;
    if (bench_psql(uri, &c, 1, out, sizeof(out)) != 0)
        return -1;
    char *end;
    long long v = strtoll(out, &end, 10);
    return end == out ? -1 : (int64_t)v;
}

/* A CHECKPOINT before each measured run (dirty pages of the run before are not written
 * during the next one); needs a superuser: skipped without the admin URI. */
static void checkpoint(const job *j)
{
    if (j->uri_admin)
        bench_psql1(j->uri_admin, "CHECKPOINT");
}

static void drop_schema(const char *uri, const char *schema)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS \"%s\" CASCADE", schema);
    bench_psql1(uri, sql);
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS \"%s_staging\" CASCADE", schema);
    bench_psql1(uri, sql);
}



/* ---- phases ---- */

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

/* The public pipeline into Postgres; the count is taken afterwards, outside the timing. */
static int phase_pipeline(bench_result *res, void *payload)
{
    const job *j = payload;
    dltc_pipeline *p = NULL;
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    dltc_rows *rows = NULL;
    po.destination = "postgres";
    po.credentials = j->uri;
    po.pipelines_dir = j->pdir;
    po.dataset_name = j->dataset;
    po.loader_file_format = j->format;
    ro.table_name = "flat";
    double t0 = bench_now();
    if (dltc_pipeline_open(&p, "bench_pg", &po) ||
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
    dltc_rows_free(rows);
    dltc_pipeline_free(p);
    return 0;
}

/* The reference: psql's \copy of the binary file into the empty table <ref_schema>.flat. */
static int phase_copy(bench_result *res, void *payload)
{
    const job *j = payload;
    char cmd[4400], table[128];
    snprintf(table, sizeof(table), "\"%s\".flat", j->ref_schema);
    snprintf(cmd, sizeof(cmd), "\\copy %s FROM '%s' (FORMAT binary)", table, j->binfile);
    const char *c = cmd;
    double t0 = bench_now();
    int rc = bench_psql(j->uri, &c, 1, NULL, 0);
    res->seconds = bench_now() - t0;
    if (rc != 0) {
        snprintf(res->error, sizeof(res->error), "psql \\copy FROM binary exited with %d", rc);
        return -1;
    }
    int64_t n = psql_count(j->uri, table);
    if (n < 0) {
        snprintf(res->error, sizeof(res->error), "psql count(*) failed");
        return -1;
    }
    res->rows = (uint64_t)n;
    res->tables = 1;
    return 0;
}

/* Untimed: the rows into a table shaped like the pipeline's (through Postgres' own JSON
 * functions), then out to the binary COPY file. */
static int prepare_reference(const job *j)
{
    char create[512], raw[512], in[4400], ins[2048], out[4400], drop[256];
    const char *s = j->ref_schema;
    snprintf(drop, sizeof(drop), "DROP SCHEMA IF EXISTS \"%s\" CASCADE", s);
    snprintf(create, sizeof(create), "CREATE SCHEMA \"%s\"; CREATE TABLE \"%s\".flat " REF_COLUMNS,
             s, s);
    snprintf(raw, sizeof(raw), "CREATE UNLOGGED TABLE \"%s\".raw (j text)", s);
    /* one JSON line per text field: csv with control characters as quote and delimiter */
    snprintf(in, sizeof(in),
             "\\copy \"%s\".raw FROM '%s' (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')", s,
             j->input);
    snprintf(ins, sizeof(ins),
             "INSERT INTO \"%s\".flat SELECT (r->>'id')::bigint, r->>'name', "
             "(r->>'score')::double precision, (r->>'active')::boolean, "
             "(r->>'created_at')::timestamptz, r->>'category', '1764000000.123456', "
             "substr(md5(r->>'id'), 1, 14) FROM (SELECT j::json AS r FROM \"%s\".raw) x",
             s, s);
    snprintf(out, sizeof(out), "\\copy \"%s\".flat TO '%s' (FORMAT binary)", s, j->binfile);
    const char *cmds[] = {drop, create, raw, in, ins, out, drop};
    return bench_psql(j->uri, cmds, sizeof(cmds) / sizeof(cmds[0]), NULL, 0);
}

/* ---- measuring ---- */

typedef struct {
    const char *label;
    int ok;
    bench_result res;
    bench_usage use;
} measured;

typedef int (*before_fn)(job *j, uint64_t run);

static int before_pipeline(job *j, uint64_t run)
{
    (void)run;
    drop_schema(j->uri, j->dataset);
    bench_rmtree(j->pdir);
    checkpoint(j);
    return 0;
}

static int before_copy(job *j, uint64_t run)
{
    (void)run;
    char drop[256], create[512];
    snprintf(drop, sizeof(drop), "DROP SCHEMA IF EXISTS \"%s\" CASCADE", j->ref_schema);
    snprintf(create, sizeof(create),
             "CREATE SCHEMA \"%s\"; CREATE TABLE \"%s\".flat " REF_COLUMNS, j->ref_schema,
             j->ref_schema);
    const char *cmds[] = {drop, create};
    if (bench_psql(j->uri, cmds, 2, NULL, 0) != 0) {
        fprintf(stderr, "  cannot create the reference table\n");
        return -1;
    }
    checkpoint(j);
    return 0;
}

/* Run r of `repeat` of one engine: the fastest run and the highest peak RSS are kept in *m;
 * a failed run marks the engine failed (m->ok = 0, m->res.error says why). */
static int measure(measured *m, uint64_t r, uint64_t repeat, bench_phase_fn fn, before_fn before,
                   job *j)
{
    bench_result res;
    bench_usage use;
    memset(&res, 0, sizeof(res));
    if (before(j, r)) {
        snprintf(m->res.error, sizeof(m->res.error), "setup failed");
        m->ok = 0;
        return -1;
    }
    fprintf(stderr, "  %-24s run %llu/%llu ...", m->label, (unsigned long long)r + 1,
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

static int usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: bench-load-postgres [--rows N] [--repeat R] [--format csv|jsonl|insert_values]\n"
            "                           [--all-formats] [--uri URI] [--uri-admin URI] [--keep]\n"
            "                           [--workdir DIR]\n");
    return code;
}

int main(int argc, char **argv)
{
    uint64_t rows = 1000000, repeat = 1;
    const char *workdir_opt = NULL, *format = "jsonl", *uri_opt = NULL, *admin_opt = NULL;
    int keep = 0, all_formats = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rows") && v && !bench_parse_count(&rows, v)) i++;
        else if (!strcmp(a, "--repeat") && v && !bench_parse_count(&repeat, v)) i++;
        else if (!strcmp(a, "--format") && v) format = argv[++i];
        else if (!strcmp(a, "--all-formats")) all_formats = 1;
        else if (!strcmp(a, "--uri") && v) uri_opt = argv[++i];
        else if (!strcmp(a, "--uri-admin") && v) admin_opt = argv[++i];
        else if (!strcmp(a, "--workdir") && v) workdir_opt = argv[++i];
        else if (!strcmp(a, "--keep")) keep = 1;
        else return usage(strcmp(a, "--help") ? 2 : 0);
    }
    if (!repeat) repeat = 1;
    if (strcmp(format, "csv") && strcmp(format, "jsonl") && strcmp(format, "insert_values")) {
        fprintf(stderr, "bench-load-postgres: --format: csv, jsonl or insert_values\n");
        return 2;
    }

    job j;
    memset(&j, 0, sizeof(j));
    char workdir[4096];
    const char *tmp = getenv("TMPDIR");
    tmp = tmp && *tmp ? tmp : "/tmp";
    if (workdir_opt)
        snprintf(workdir, sizeof(workdir), "%s", workdir_opt), mkdir(workdir, 0777);
    else if (snprintf(workdir, sizeof(workdir), "%s/dltc-bench-pg-XXXXXX", tmp) >=
                 (int)sizeof(workdir) ||
             !mkdtemp(workdir)) {
        fprintf(stderr, "bench-load-postgres: cannot create a work folder\n");
        return 1;
    }
    char input[4200], binfile[4200];
    if (bench_path(input, sizeof(input), workdir, "flat.jsonl") ||
        bench_path(binfile, sizeof(binfile), workdir, "flat.pgbin") ||
        bench_path(j.pdir, sizeof(j.pdir), workdir, "pipelines") || strchr(workdir, '\'')) {
        fprintf(stderr, "bench-load-postgres: unusable work folder %s\n", workdir);
        return 1;
    }
    j.input = input;
    j.binfile = binfile;
    j.rows = rows;
    snprintf(j.ref_schema, sizeof(j.ref_schema), "bench_%ld_ref", (long)getpid());

    /* the server */
    bench_pg pg;
    int failed = 0;
    if (bench_pg_open(&pg, "bench-load-postgres", uri_opt, admin_opt, tmp) != 0) {
        failed = 1;
        goto out;
    }
    const char *version = pg.version;
    j.uri = pg.uri;
    j.uri_admin = pg.uri_admin;
    fprintf(stderr, "bench-load-postgres: dltc %s, PostgreSQL %s, %llu flat rows, workdir %s\n",
            dltc_version(), version, (unsigned long long)rows, workdir);

    bench_result g;
    bench_usage gu;
    memset(&g, 0, sizeof(g));
    if (bench_run_forked(&g, &gu, phase_gen, &j) != 0) {
        fprintf(stderr, "generate: %s\n", g.error);
        failed = 1;
        goto out;
    }
    fprintf(stderr, "  preparing the binary COPY file (untimed) ...\n");
    double tp = bench_now();
    if (prepare_reference(&j) != 0) {
        fprintf(stderr, "bench-load-postgres: preparing the reference failed\n");
        failed = 1;
        goto out;
    }
    fprintf(stderr, "  ... %.1f s, %.1f MB\n", bench_now() - tp,
            (double)bench_file_size(binfile) / (1024.0 * 1024.0));

    static const char *const all_fmts[MAX_FORMATS] = {"jsonl", "csv", "insert_values"};
    const char *fmts[MAX_FORMATS];
    size_t nf = 0;
    if (all_formats)
        for (size_t i = 0; i < MAX_FORMATS; i++) fmts[nf++] = all_fmts[i];
    else
        fmts[nf++] = format;
    measured pms[MAX_FORMATS], ref;
    char plabels[MAX_FORMATS][64];
    memset(pms, 0, sizeof(pms));
    memset(&ref, 0, sizeof(ref));
    for (size_t i = 0; i < nf; i++) {
        snprintf(plabels[i], sizeof(plabels[i]), "pipeline(%s)", fmts[i]);
        pms[i].label = plabels[i];
    }
    ref.label = "psql \\copy binary";
    /* the repeats interleaved (each format, then the reference): a busy machine slows all */
    int bad[MAX_FORMATS + 1] = {0};
    for (uint64_t r = 0; r < repeat; r++) {
        for (size_t i = 0; i < nf; i++) {
            if (bad[i]) continue;
            j.format = fmts[i];
            snprintf(j.dataset, sizeof(j.dataset), "bench_%ld_%s", (long)getpid(), fmts[i]);
            if (measure(&pms[i], r, repeat, phase_pipeline, before_pipeline, &j))
                failed = bad[i] = 1;
            drop_schema(j.uri, j.dataset);
        }
        if (!bad[nf] && measure(&ref, r, repeat, phase_copy, before_copy, &j))
            failed = bad[nf] = 1;
        drop_schema(j.uri, j.ref_schema);
    }

    double krate = ref.ok ? (double)rows / ref.res.seconds : 0;
    printf("\n%-24s %9s %12s %10s %7s\n", "engine", "seconds", "rows/s", "peakRSS MB", "ratio");
    for (size_t i = 0; i < nf + 1; i++) {
        measured *m = i < nf ? &pms[i] : &ref;
        if (!m->ok) {
            printf("%-24s FAILED %s\n", m->label, m->res.error);
            continue;
        }
        double rate = (double)rows / m->res.seconds;
        printf("%-24s %9.3f %12.0f %10.1f %7.3f\n", m->label, m->res.seconds, rate,
               m->use.peak_rss_mb, krate > 0 ? rate / krate : 0);
    }
    printf("(PostgreSQL %s; ratio = psql binary \\copy time / dltc time; targets: ratio >= %.2f, "
           "client peak RSS <= %.0f MB)\n\n",
           version, TARGET_RATIO, TARGET_PEAK_RSS_MB);
    for (size_t i = 0; i < nf; i++) {
        measured *m = &pms[i];
        if (!m->ok) continue;
        double rate = (double)rows / m->res.seconds;
        double ratio = ref.ok ? ref.res.seconds / m->res.seconds : 0;
        printf("RESULT engine=%s rows=%llu seconds=%.3f rows_per_s=%.0f peak_rss_mb=%.1f "
               "ref_seconds=%.3f ref_rows_per_s=%.0f ref_peak_rss_mb=%.1f ratio=%.3f "
               "ratio_pass=%d rss_pass=%d\n",
               m->label, (unsigned long long)rows, m->res.seconds, rate, m->use.peak_rss_mb,
               ref.res.seconds, krate, ref.use.peak_rss_mb, ratio, ref.ok && ratio >= TARGET_RATIO,
               m->use.peak_rss_mb <= TARGET_PEAK_RSS_MB);
    }

out:
    bench_pg_close(&pg);
    if (!keep) bench_rmtree(workdir);
    return failed ? 1 : 0;
}
