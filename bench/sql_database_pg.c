/*
 * bench-sql-database-pg: a Postgres table → DuckDB through the sql_database source and the
 * public pipeline (extract + normalize + load into a fresh DuckDB file), next to what a
 * client does without dlt: `psql -c "\copy (SELECT * FROM t) TO '<file>' (FORMAT csv,
 * HEADER)"` then DuckDB's `CREATE TABLE t AS SELECT * FROM read_csv('<file>')` into a
 * fresh DuckDB file, both timed together.
 *
 *   bench-sql-database-pg [--rows N] [--repeat R] [--chunk-size N] [--uri URI]
 *                         [--uri-admin URI] [--keep] [--workdir DIR]
 *
 * The table (made untimed, with generate_series): id bigint primary key, name text, score
 * double precision, amount numeric(12,2), created_at timestamptz, active boolean, and
 * category varchar(32), NULL in every fifth row.
 *
 * The server: --uri (and optionally --uri-admin, a superuser for CHECKPOINT before each
 * run); else DIR/uri and DIR/uri_admin of $DLTC_TEST_PG_DIR (the ctest `postgres`
 * fixture); else a throwaway server started with tests/support/pg_server.sh and stopped at
 * the end.
 *
 * Each measured run is a forked child (peak RSS = its ru_maxrss, psql's included for the
 * reference; the server's memory is in neither). The repeats interleave the two. Report
 * on stdout: a table and RESULT lines. Exit: 0 report printed, 1 a phase failed, 2 usage.
 */
#include "bench_duckdb.h"
#include "bench_pg.h"
#include "bench_util.h"

#include "dltc/dltc.h"
#include "dltc/sql_database.h"

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

#define TARGET_RATIO 0.5

typedef struct {
    const char *uri, *uri_admin;
    char schema[64];   /* the Postgres schema holding the table */
    char csv[4200];    /* the reference's CSV file */
    char refdb[4200];  /* the reference's DuckDB file */
    char dltcdb[4200]; /* the pipeline's DuckDB file */
    char pdir[4200];   /* pipelines_dir */
    uint64_t rows;
    size_t chunk_size;
} job;

/* ---- psql and the server script (as bench-load-postgres runs them) ---- */






/* Untimed: the source table, filled by the server itself. */
static int make_table(const job *j)
{
    char drop[256], create[1024], fill[2048], analyze[256];
    snprintf(drop, sizeof(drop), "DROP SCHEMA IF EXISTS \"%s\" CASCADE", j->schema);
    snprintf(create, sizeof(create),
             "CREATE SCHEMA \"%s\"; CREATE TABLE \"%s\".t (id bigint PRIMARY KEY, name text, "
             "score double precision, amount numeric(12,2), created_at timestamptz, "
             "active boolean, category varchar(32))",
             j->schema, j->schema);
    snprintf(fill, sizeof(fill),
             "INSERT INTO \"%s\".t SELECT g, 'name ' || g || ' ' || md5(g::text), "
             "g / 7.0::double precision, ((g %% 100000) / 100.0)::numeric(12,2), "
             "timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g %% 3 = 0, "
             "CASE WHEN g %% 5 = 0 THEN NULL ELSE 'category ' || (g %% 17) END "
             "FROM generate_series(1, %llu) g",
             j->schema, (unsigned long long)j->rows);
    snprintf(analyze, sizeof(analyze), "VACUUM ANALYZE \"%s\".t", j->schema);
    const char *cmds[] = {drop, create, fill, analyze};
    return bench_psql(j->uri, cmds, sizeof(cmds) / sizeof(cmds[0]), NULL, 0);
}

static void checkpoint(const job *j)
{
    if (j->uri_admin)
        bench_psql1(j->uri_admin, "CHECKPOINT");
}

/* ---- phases ---- */

static int fail(bench_result *res, const char *what)
{
    const dltc_error *e = dltc_error_last();
    snprintf(res->error, sizeof(res->error), "%s: %s", what,
             e && e->message && e->message[0] ? e->message : "failed");
    return -1;
}

/* The reference: COPY out as csv through psql, then DuckDB's read_csv into a new file. */
static int phase_reference(bench_result *res, void *payload)
{
    const job *j = payload;
    char cmd[4600];
    snprintf(cmd, sizeof(cmd), "\\copy (SELECT * FROM \"%s\".t) TO '%s' (FORMAT csv, HEADER)",
             j->schema, j->csv);
    const char *c = cmd;
    double t0 = bench_now();
    int rc = bench_psql(j->uri, &c, 1, NULL, 0);
    double copied = bench_now() - t0;
    if (rc != 0) {
        snprintf(res->error, sizeof(res->error), "psql \\copy TO csv exited with %d", rc);
        return -1;
    }
    if (bench_duckdb_csv_ctas(res, j->csv, j->refdb, "t") != 0)
        return -1;
    res->seconds += copied;
    int64_t size = bench_file_size(j->csv);
    res->bytes = size > 0 ? (uint64_t)size : 0;
    unlink(j->csv);
    return 0;
}

/* dltc: sql_table(schema.t) through a pipeline into a new DuckDB file; the count is
 * taken afterwards, outside the timing. */
static int phase_dltc(bench_result *res, void *payload)
{
    const job *j = payload;
    dltc_sql_database *db = NULL;
    dltc_pipeline *p = NULL;
    dltc_resource *r = NULL;
    dltc_source *src = NULL;
    dltc_rows *rows = NULL;
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    po.pipelines_dir = j->pdir;
    po.credentials = j->dltcdb;
    po.dataset_name = "bench";
    dltc_sql_table_options to = DLTC_SQL_TABLE_OPTIONS_INIT;
    to.schema = j->schema;
    to.chunk_size = j->chunk_size;
    int rc = -1;
    double t0 = bench_now();
    if (dltc_sql_database_open(&db, j->uri)) {
        fail(res, "open");
        goto out;
    }
    if (dltc_pipeline_open(&p, "bench_sql_pg", &po) || dltc_source_new(&src, "bench_sql_pg")) {
        fail(res, "pipeline");
        goto out;
    }
    if (dltc_sql_table_resource(&r, db, "t", &to) || dltc_source_add(src, r)) {
        fail(res, "sql_table");
        goto out;
    }
    if (dltc_pipeline_run_source(p, src, NULL)) {
        fail(res, "run");
        goto out;
    }
    res->seconds = bench_now() - t0;
    if (dltc_pipeline_query(p, "SELECT count(*) FROM t", &rows)) {
        fail(res, "count");
        goto out;
    }
    res->rows = (uint64_t)dltc_value_get_int(dltc_rows_get(rows, 0, 0));
    res->tables = 1;
    rc = 0;
out:
    dltc_rows_free(rows);
    dltc_source_free(src);
    dltc_pipeline_free(p);
    dltc_sql_database_free(db);
    return rc;
}

/* ---- measuring ---- */

typedef struct {
    const char *label;
    int ok;
    bench_result res;
    bench_usage use;
} measured;

/* Run r of `repeat`: the fastest run and the highest peak RSS are kept in *m. */
static int measure(measured *m, uint64_t r, uint64_t repeat, bench_phase_fn fn, job *j)
{
    bench_result res;
    bench_usage use;
    memset(&res, 0, sizeof(res));
    bench_rmtree(j->pdir);
    bench_rmtree(j->dltcdb);
    bench_rmtree(j->refdb);
    checkpoint(j);
    fprintf(stderr, "  %-28s run %llu/%llu ...", m->label, (unsigned long long)r + 1,
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
            "usage: bench-sql-database-pg [--rows N] [--repeat R] [--chunk-size N] [--uri URI]\n"
            "                             [--uri-admin URI] [--keep] [--workdir DIR]\n");
    return code;
}

int main(int argc, char **argv)
{
    uint64_t rows = 1000000, repeat = 1, chunk = 0;
    const char *workdir_opt = NULL, *uri_opt = NULL, *admin_opt = NULL;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rows") && v && !bench_parse_count(&rows, v)) i++;
        else if (!strcmp(a, "--repeat") && v && !bench_parse_count(&repeat, v)) i++;
        else if (!strcmp(a, "--chunk-size") && v && !bench_parse_count(&chunk, v)) i++;
        else if (!strcmp(a, "--uri") && v) uri_opt = argv[++i];
        else if (!strcmp(a, "--uri-admin") && v) admin_opt = argv[++i];
        else if (!strcmp(a, "--workdir") && v) workdir_opt = argv[++i];
        else if (!strcmp(a, "--keep")) keep = 1;
        else return usage(strcmp(a, "--help") ? 2 : 0);
    }
    if (!repeat) repeat = 1;
    if (!rows) return usage(2);

    job j;
    memset(&j, 0, sizeof(j));
    j.rows = rows;
    j.chunk_size = (size_t)chunk;
    char workdir[4096];
    const char *tmp = getenv("TMPDIR");
    tmp = tmp && *tmp ? tmp : "/tmp";
    if (workdir_opt)
        snprintf(workdir, sizeof(workdir), "%s", workdir_opt), mkdir(workdir, 0777);
    else if (snprintf(workdir, sizeof(workdir), "%s/dltc-bench-sqlpg-XXXXXX", tmp) >=
                 (int)sizeof(workdir) ||
             !mkdtemp(workdir)) {
        fprintf(stderr, "bench-sql-database-pg: cannot create a work folder\n");
        return 1;
    }
    if (bench_path(j.csv, sizeof(j.csv), workdir, "t.csv") ||
        bench_path(j.refdb, sizeof(j.refdb), workdir, "reference.duckdb") ||
        bench_path(j.dltcdb, sizeof(j.dltcdb), workdir, "dltc.duckdb") ||
        bench_path(j.pdir, sizeof(j.pdir), workdir, "pipelines") || strchr(workdir, '\'')) {
        fprintf(stderr, "bench-sql-database-pg: unusable work folder %s\n", workdir);
        return 1;
    }
    snprintf(j.schema, sizeof(j.schema), "bench_sqlpg_%ld", (long)getpid());

    /* the server */
    bench_pg pg;
    int failed = 0;
    if (bench_pg_open(&pg, "bench-sql-database-pg", uri_opt, admin_opt, tmp) != 0) {
        failed = 1;
        goto out;
    }
    const char *version = pg.version;
    j.uri = pg.uri;
    j.uri_admin = pg.uri_admin;
    fprintf(stderr, "bench-sql-database-pg: dltc %s, PostgreSQL %s, DuckDB %s, %llu rows, "
            "workdir %s\n", dltc_version(), version, bench_duckdb_version(),
            (unsigned long long)rows, workdir);
    fprintf(stderr, "  making the table (untimed) ...\n");
    double tp = bench_now();
    if (make_table(&j) != 0) {
        fprintf(stderr, "bench-sql-database-pg: making the table failed\n");
        failed = 1;
        goto out;
    }
    fprintf(stderr, "  ... %.1f s\n", bench_now() - tp);

    measured dm, ref;
    memset(&dm, 0, sizeof(dm));
    memset(&ref, 0, sizeof(ref));
    dm.label = "dltc sql_database -> duckdb";
    ref.label = "psql \\copy csv + read_csv";
    int bad_d = 0, bad_r = 0;
    for (uint64_t r = 0; r < repeat; r++) {
        if (!bad_d && measure(&dm, r, repeat, phase_dltc, &j))
            failed = bad_d = 1;
        if (!bad_r && measure(&ref, r, repeat, phase_reference, &j))
            failed = bad_r = 1;
    }

    double rate_d = dm.ok ? (double)rows / dm.res.seconds : 0;
    double rate_r = ref.ok ? (double)rows / ref.res.seconds : 0;
    double ratio = rate_r > 0 ? rate_d / rate_r : 0;
    printf("\n%-30s %9s %12s %10s %7s\n", "engine", "seconds", "rows/s", "peakRSS MB", "ratio");
    const measured *ms[2] = {&dm, &ref};
    for (size_t i = 0; i < 2; i++) {
        const measured *m = ms[i];
        if (!m->ok) {
            printf("%-30s FAILED %s\n", m->label, m->res.error);
            continue;
        }
        double rate = (double)rows / m->res.seconds;
        printf("%-30s %9.3f %12.0f %10.1f %7.3f\n", m->label, m->res.seconds, rate,
               m->use.peak_rss_mb, rate_r > 0 ? rate / rate_r : 0);
    }
    printf("(PostgreSQL %s, DuckDB %s; ratio = dltc rows/s / reference rows/s; target >= %.2f)\n\n",
           version, bench_duckdb_version(), TARGET_RATIO);
    if (dm.ok && ref.ok)
        printf("RESULT engine=sql_database_pg rows=%llu seconds=%.3f rows_per_s=%.0f "
               "peak_rss_mb=%.1f ref_seconds=%.3f ref_rows_per_s=%.0f ref_peak_rss_mb=%.1f "
               "ratio=%.3f ratio_pass=%d\n",
               (unsigned long long)rows, dm.res.seconds, rate_d, dm.use.peak_rss_mb,
               ref.res.seconds, rate_r, ref.use.peak_rss_mb, ratio, ratio >= TARGET_RATIO);

out:
    if (pg.uri && !pg.server_dir[0]) {
        char drop[256];
        snprintf(drop, sizeof(drop), "DROP SCHEMA IF EXISTS \"%s\" CASCADE", j.schema);
        bench_psql1(pg.uri, drop);
    }
    bench_pg_close(&pg);
    if (!keep) bench_rmtree(workdir);
    return failed ? 1 : 0;
}
