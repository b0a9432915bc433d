/*
 * bench-normalize: throughput and peak memory of dltc's normalizer on generated JSON
 * Lines, next to DuckDB's own JSON reader loading the same file (the reference).
 *
 *   bench-normalize [--flat N] [--github N] [--one N] [--seed S] [--repeat R] [--no-duckdb]
 *                   [--rss-check] [--keep] [--workdir DIR]
 *
 * Every measured phase (generation, dltc, DuckDB) runs in its own forked child; its peak
 * RSS is the child's ru_maxrss from wait4, its time is taken inside the child.
 * Progress goes to stderr, the report to stdout (a table, then one RESULT line per
 * dataset and one RSSCHECK line per dataset with --rss-check).
 *
 * Exit codes: 0 report printed (also when targets are missed), 1 a phase failed,
 * 2 usage error.
 */
#include "bench_duckdb.h"
#include "bench_gen.h"
#include "bench_util.h"

#include "dltc/dltc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TARGET_FLAT_ROWS_PER_S 1000000.0
#define TARGET_GITHUB_ROWS_PER_S 200000.0
#define TARGET_PEAK_RSS_MB 256.0
/* --rss-check: the 4x input may use this much more than the 1x input and still count as
 * flat (allocator noise, a few more schema/buffer pages) */
#define RSS_CHECK_SLACK_MB 8.0
#define RSS_CHECK_SLACK_FRAC 0.10

#define MB (1024.0 * 1024.0)

typedef struct {
    uint64_t flat, github, one, seed, repeat;
    int keep, no_duckdb, rss_check;
    const char *workdir;
} options;

/* ---- the phases (run in forked children) ---- */

typedef struct {
    bench_dataset dataset;
    uint64_t rows, seed;
    const char *path;
} gen_job;

static int phase_gen(bench_result *res, void *payload)
{
    const gen_job *j = payload;
    double t0 = bench_now();
    if (bench_gen_file(&res->bytes, j->path, j->dataset, j->rows, j->seed) != 0) {
        snprintf(res->error, sizeof(res->error), "writing %s: %s", j->path, strerror(errno));
        return -1;
    }
    res->seconds = bench_now() - t0;
    res->items = res->rows = j->rows;
    res->tables = 1;
    return 0;
}

typedef struct {
    const char *input, *out_dir, *table;
} dltc_job;

static int dltc_fail(bench_result *res, const char *what)
{
    const dltc_error *e = dltc_error_last();
    snprintf(res->error, sizeof(res->error), "%s: %s (%d)", what,
             e && e->message && e->message[0] ? e->message : "failed", e ? e->code : -1);
    return -1;
}

static int phase_dltc(bench_result *res, void *payload)
{
    const dltc_job *j = payload;
    dltc_schema *schema = NULL;
    dltc_normalizer *n = NULL;
    dltc_normalize_options opts = DLTC_NORMALIZE_OPTIONS_INIT;
    int rc = -1;

    opts.table_name = j->table;
    opts.out_dir = j->out_dir;

    double t0 = bench_now();
    if (dltc_schema_new(&schema, "bench") != 0) {
        rc = dltc_fail(res, "dltc_schema_new");
        goto done;
    }
    if (dltc_normalizer_new(&n, schema, &opts) != 0) {
        rc = dltc_fail(res, "dltc_normalizer_new");
        goto done;
    }
    if (dltc_normalizer_feed_file(n, j->input) != 0) {
        rc = dltc_fail(res, "dltc_normalizer_feed_file");
        goto done;
    }
    if (dltc_normalizer_finish(n) != 0) {
        rc = dltc_fail(res, "dltc_normalizer_finish");
        goto done;
    }
    res->seconds = bench_now() - t0;

    res->items = dltc_normalizer_items(n);
    size_t tables = dltc_normalizer_table_count(n);
    for (size_t i = 0; i < tables; i++) {
        uint64_t rows = dltc_normalizer_table_rows(n, i);
        const char *file = dltc_normalizer_table_file(n, i);
        res->rows += rows;
        if (rows) res->tables++;
        if (file) {
            int64_t size = bench_file_size(file);
            if (size > 0) res->bytes += (uint64_t)size;
        }
    }
    rc = 0;
done:
    dltc_normalizer_free(n);
    dltc_schema_free(schema);
    return rc;
}

typedef struct {
    const char *input, *db, *table;
    int one;
} duckdb_job;

static int phase_duckdb(bench_result *res, void *payload)
{
    const duckdb_job *j = payload;
    return j->one ? bench_duckdb_one_ctas(res, j->input, j->db, j->table)
                  : bench_duckdb_ctas(res, j->input, j->db, j->table);
}

/* ---- measuring ---- */

typedef struct {
    int ran, ok;
    bench_result res; /* of the fastest run */
    bench_usage use;  /* of the fastest run, peak_rss_mb the highest of all runs */
} measured;

/* Run a phase `repeat` times in fresh children; keep the fastest time and the highest
 * peak RSS. `cleanup` (may be NULL) is removed before every run, and created as an empty
 * folder when make_dir. */
static int measure(measured *m, uint64_t repeat, bench_phase_fn fn, void *payload,
                   const char *cleanup, int make_dir, const char *label)
{
    double worst_rss = 0;
    memset(m, 0, sizeof(*m));
    m->ran = 1;
    for (uint64_t r = 0; r < repeat; r++) {
        bench_result res;
        bench_usage use;
        if (cleanup) bench_rmtree(cleanup);
        if (cleanup && make_dir && mkdir(cleanup, 0777) != 0) {
            snprintf(m->res.error, sizeof(m->res.error), "mkdir %s: %s", cleanup, strerror(errno));
            return -1;
        }
        fprintf(stderr, "  %-8s run %llu/%llu ...", label, (unsigned long long)r + 1,
                (unsigned long long)repeat);
        if (bench_run_forked(&res, &use, fn, payload) != 0) {
            fprintf(stderr, " FAILED: %s\n", res.error);
            m->res = res;
            m->use = use;
            return -1;
        }
        fprintf(stderr, " %.3f s, peak RSS %.1f MB\n", res.seconds, use.peak_rss_mb);
        if (use.peak_rss_mb > worst_rss) worst_rss = use.peak_rss_mb;
        if (r == 0 || res.seconds < m->res.seconds) {
            m->res = res;
            m->use = use;
        }
    }
    m->use.peak_rss_mb = worst_rss;
    m->ok = 1;
    return 0;
}

/* ---- one dataset ---- */

typedef struct {
    bench_dataset dataset;
    const char *table;
    uint64_t items;
    uint64_t input_bytes;
    double target_rate;
    measured gen, dltc, duck, dltc4;
    uint64_t items4;
} report;

static double rate(const measured *m, uint64_t items)
{
    return m->ok && m->res.seconds > 0 ? (double)items / m->res.seconds : 0;
}

static double mbps(const measured *m, uint64_t bytes)
{
    return m->ok && m->res.seconds > 0 ? (double)bytes / MB / m->res.seconds : 0;
}

static int make_path(char *out, size_t cap, const char *dir, const char *dataset,
                     const char *suffix)
{
    char name[128];
    snprintf(name, sizeof(name), "%s%s", dataset, suffix);
    if (bench_path(out, cap, dir, name) != 0) {
        fprintf(stderr, "bench-normalize: path too long under %s\n", dir);
        return -1;
    }
    return 0;
}

/* A DuckDB file with its write-ahead log and spill folder. */
static void remove_db(const char *db)
{
    char side[4200];
    bench_rmtree(db);
    snprintf(side, sizeof(side), "%s.wal", db);
    bench_rmtree(side);
    snprintf(side, sizeof(side), "%s.tmp", db);
    bench_rmtree(side);
}

/* Generate, normalize with dltc, load with DuckDB; 0, or -1 when a phase failed. */
static int run_dataset(report *rep, const options *o, const char *workdir)
{
    const char *name = bench_dataset_name(rep->dataset);
    char input[4096], out_dir[4096], db[4096], input4[4096], out_dir4[4096];
    int failed = 0;

    if (make_path(input, sizeof(input), workdir, name, ".jsonl") ||
        make_path(out_dir, sizeof(out_dir), workdir, name, "_dltc") ||
        make_path(db, sizeof(db), workdir, name, ".duckdb") ||
        make_path(input4, sizeof(input4), workdir, name, "_4x.jsonl") ||
        make_path(out_dir4, sizeof(out_dir4), workdir, name, "_4x_dltc"))
        return -1;

    fprintf(stderr, "[%s] %llu items\n", name, (unsigned long long)rep->items);
    gen_job g = {rep->dataset, rep->items, o->seed, input};
    if (measure(&rep->gen, 1, phase_gen, &g, NULL, 0, "generate") != 0) return -1;
    rep->input_bytes = rep->gen.res.bytes;

    /* "one": a single item holding rep->items issues (rates are still issues per second) */
    int one = rep->dataset == BENCH_DATASET_ONE;
    uint64_t want = one ? 1 : rep->items;
    dltc_job dj = {input, out_dir, rep->table};
    if (measure(&rep->dltc, o->repeat, phase_dltc, &dj, out_dir, 1, "dltc") != 0)
        failed = 1;
    else if (rep->dltc.res.items != want) {
        fprintf(stderr, "  dltc counted %llu items, expected %llu\n",
                (unsigned long long)rep->dltc.res.items, (unsigned long long)want);
        failed = 1;
    }
    if (!o->keep) bench_rmtree(out_dir);

    if (!o->no_duckdb) {
        duckdb_job kj = {input, db, rep->table, one};
        if (measure(&rep->duck, o->repeat, phase_duckdb, &kj, db, 0, "duckdb") != 0)
            failed = 1;
        else if (rep->duck.res.rows != want) {
            fprintf(stderr, "  duckdb loaded %llu rows, expected %llu\n",
                    (unsigned long long)rep->duck.res.rows, (unsigned long long)want);
            failed = 1;
        }
        if (!o->keep) remove_db(db);
    }
    if (!o->keep) bench_rmtree(input);

    if (o->rss_check && !failed) {
        rep->items4 = rep->items * 4;
        gen_job g4 = {rep->dataset, rep->items4, o->seed, input4};
        dltc_job dj4 = {input4, out_dir4, rep->table};
        fprintf(stderr, "[%s] rss-check: %llu items\n", name, (unsigned long long)rep->items4);
        measured gen4;
        if (measure(&gen4, 1, phase_gen, &g4, NULL, 0, "generate") != 0 ||
            measure(&rep->dltc4, 1, phase_dltc, &dj4, out_dir4, 1, "dltc") != 0)
            failed = 1;
        if (!o->keep) {
            bench_rmtree(out_dir4);
            bench_rmtree(input4);
        }
    }
    return failed ? -1 : 0;
}

/* ---- the report ---- */

static void print_row(const report *r, const char *engine, const measured *m)
{
    if (!m->ran) {
        printf("%-8s %-7s %10s\n", bench_dataset_name(r->dataset), engine, "skipped");
        return;
    }
    if (!m->ok) {
        printf("%-8s %-7s %10s  %s\n", bench_dataset_name(r->dataset), engine, "FAILED",
               m->res.error);
        return;
    }
    printf("%-8s %-7s %10llu %10llu %6llu %8.3f %11.0f %8.1f %8.2f %9.1f\n",
           bench_dataset_name(r->dataset), engine, (unsigned long long)m->res.items,
           (unsigned long long)m->res.rows, (unsigned long long)m->res.tables, m->res.seconds,
           rate(m, r->items), mbps(m, r->input_bytes), m->use.cpu_seconds, m->use.peak_rss_mb);
}

static int rss_flat(const report *r)
{
    double a = r->dltc.use.peak_rss_mb, b = r->dltc4.use.peak_rss_mb;
    double slack = a * RSS_CHECK_SLACK_FRAC;
    if (slack < RSS_CHECK_SLACK_MB) slack = RSS_CHECK_SLACK_MB;
    return b <= a + slack;
}

static void print_report(const report *reps, size_t n, const options *o)
{
    double base_rss = 0;
    for (size_t i = 0; i < n; i++)
        if (reps[i].dltc.use.base_rss_mb > base_rss) base_rss = reps[i].dltc.use.base_rss_mb;
    printf("\n%-8s %-7s %10s %10s %6s %8s %11s %8s %8s %9s\n", "dataset", "engine", "items", "rows",
           "tables", "seconds", "items/s", "MB/s", "cpu s", "peakRSS MB");
    for (size_t i = 0; i < n; i++) {
        const report *r = &reps[i];
        print_row(r, "dltc", &r->dltc);
        print_row(r, "duckdb", &r->duck);
    }
    printf("(input: ");
    for (size_t i = 0; i < n; i++)
        printf("%s%s %.1f MB", i ? ", " : "", bench_dataset_name(reps[i].dataset),
               (double)reps[i].input_bytes / MB);
    printf("; rows = rows written over all tables; MB/s of input; peak RSS includes ~%.1f MB"
           " of the bench process's memory inherited at fork)\n\n",
           base_rss);

    printf("%-8s %12s %16s %8s %16s\n", "dataset", "dltc/duckdb", "target items/s", "rate",
           "peak RSS<=256MB");
    for (size_t i = 0; i < n; i++) {
        const report *r = &reps[i];
        double dr = rate(&r->dltc, r->items), kr = rate(&r->duck, r->items);
        char ratio[32] = "n/a";
        if (r->dltc.ok && r->duck.ok && kr > 0) snprintf(ratio, sizeof(ratio), "%.3f", dr / kr);
        printf("%-8s %12s %16.0f %8s %16s\n", bench_dataset_name(r->dataset), ratio, r->target_rate,
               !r->dltc.ok            ? "n/a"
               : dr >= r->target_rate ? "PASS"
                                      : "FAIL",
               !r->dltc.ok                                     ? "n/a"
               : r->dltc.use.peak_rss_mb <= TARGET_PEAK_RSS_MB ? "PASS"
                                                               : "FAIL");
    }
    if (o->rss_check) {
        printf("\n%-8s %10s %10s %10s %10s %8s\n", "rss-check", "items", "peakRSS MB", "items 4x",
               "peakRSS MB", "flat");
        for (size_t i = 0; i < n; i++) {
            const report *r = &reps[i];
            if (!r->dltc4.ok) {
                printf("%-9s %10s\n", bench_dataset_name(r->dataset), "n/a");
                continue;
            }
            printf("%-9s %10llu %10.1f %10llu %10.1f %8s\n", bench_dataset_name(r->dataset),
                   (unsigned long long)r->items, r->dltc.use.peak_rss_mb,
                   (unsigned long long)r->items4, r->dltc4.use.peak_rss_mb,
                   rss_flat(r) ? "yes" : "NO");
        }
    }
    printf("\n");

    for (size_t i = 0; i < n; i++) {
        const report *r = &reps[i];
        double dr = rate(&r->dltc, r->items), kr = rate(&r->duck, r->items);
        printf("RESULT dataset=%s status=%s items=%llu input_mb=%.1f",
               bench_dataset_name(r->dataset),
               r->dltc.ok && (o->no_duckdb || r->duck.ok) ? "ok" : "error",
               (unsigned long long)r->items, (double)r->input_bytes / MB);
        if (r->dltc.ok)
            printf(" dltc_rows=%llu dltc_tables=%llu dltc_s=%.3f dltc_rows_per_s=%.0f"
                   " dltc_mb_per_s=%.1f dltc_cpu_s=%.2f dltc_peak_rss_mb=%.1f"
                   " dltc_out_mb=%.1f",
                   (unsigned long long)r->dltc.res.rows, (unsigned long long)r->dltc.res.tables,
                   r->dltc.res.seconds, dr, mbps(&r->dltc, r->input_bytes), r->dltc.use.cpu_seconds,
                   r->dltc.use.peak_rss_mb, (double)r->dltc.res.bytes / MB);
        if (r->duck.ok)
            printf(" duckdb_rows=%llu duckdb_s=%.3f duckdb_rows_per_s=%.0f duckdb_mb_per_s=%.1f"
                   " duckdb_cpu_s=%.2f duckdb_peak_rss_mb=%.1f",
                   (unsigned long long)r->duck.res.rows, r->duck.res.seconds, kr,
                   mbps(&r->duck, r->input_bytes), r->duck.use.cpu_seconds,
                   r->duck.use.peak_rss_mb);
        if (r->dltc.ok && r->duck.ok && kr > 0) printf(" ratio=%.3f", dr / kr);
        if (r->dltc.ok)
            printf(" target_rows_per_s=%.0f rate_pass=%d rss_pass=%d", r->target_rate,
                   dr >= r->target_rate, r->dltc.use.peak_rss_mb <= TARGET_PEAK_RSS_MB);
        printf(" base_rss_mb=%.1f\n", base_rss);
    }
    if (o->rss_check) {
        for (size_t i = 0; i < n; i++) {
            const report *r = &reps[i];
            if (!r->dltc4.ok || !r->dltc.ok) continue;
            printf("RSSCHECK dataset=%s items=%llu peak_rss_mb=%.1f items_4x=%llu"
                   " peak_rss_4x_mb=%.1f growth_mb=%.1f flat=%d\n",
                   bench_dataset_name(r->dataset), (unsigned long long)r->items,
                   r->dltc.use.peak_rss_mb, (unsigned long long)r->items4, r->dltc4.use.peak_rss_mb,
                   r->dltc4.use.peak_rss_mb - r->dltc.use.peak_rss_mb, rss_flat(r));
        }
    }
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fputs("usage: bench-normalize [--flat N] [--github N] [--one N] [--seed S] [--repeat R]\n"
          "                       [--no-duckdb] [--rss-check] [--keep] [--workdir DIR]\n"
          "  --flat N      flat rows to normalize (default 1000000; 0 skips)\n"
          "  --github N    GitHub-issue rows (default 100000; 0 skips)\n"
          "  --one N       one object holding N GitHub-issue rows in a list (default 0: skip)\n"
          "  --seed S      generator seed (default 42)\n"
          "  --repeat R    run each measured phase R times, report the fastest (default 1)\n"
          "  --no-duckdb   skip the DuckDB reference\n"
          "  --rss-check   also normalize a 4x larger input: peak RSS must stay flat\n"
          "  --keep        keep the generated and written files\n"
          "  --workdir DIR where files go (default: a new folder under $TMPDIR or /tmp)\n"
          "Exit codes: 0 report printed (targets may be missed), 1 a phase failed, 2 usage.\n",
          f);
}

static int parse_args(options *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t *num = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--keep") == 0) {
            o->keep = 1;
        } else if (strcmp(a, "--no-duckdb") == 0) {
            o->no_duckdb = 1;
        } else if (strcmp(a, "--rss-check") == 0) {
            o->rss_check = 1;
        } else if (strcmp(a, "--workdir") == 0 && v) {
            o->workdir = v;
            i++;
        } else if (strcmp(a, "--flat") == 0) {
            num = &o->flat;
        } else if (strcmp(a, "--github") == 0) {
            num = &o->github;
        } else if (strcmp(a, "--one") == 0) {
            num = &o->one;
        } else if (strcmp(a, "--seed") == 0) {
            num = &o->seed;
        } else if (strcmp(a, "--repeat") == 0) {
            num = &o->repeat;
        } else {
            fprintf(stderr, "bench-normalize: unknown argument '%s'\n", a);
            usage(stderr);
            return -1;
        }
        if (num) {
            if (!v || bench_parse_count(num, v) != 0) {
                fprintf(stderr, "bench-normalize: %s needs a number\n", a);
                return -1;
            }
            i++;
        }
    }
    if (o->repeat == 0) o->repeat = 1;
    return 0;
}

int main(int argc, char **argv)
{
    options o = {1000000, 100000, 0, BENCH_GEN_DEFAULT_SEED, 1, 0, 0, 0, NULL};
    char workdir[4096];
    int created_workdir = 0;

    if (parse_args(&o, argc, argv) != 0) return 2;

    if (o.workdir) {
        if (snprintf(workdir, sizeof(workdir), "%s", o.workdir) >= (int)sizeof(workdir)) {
            fprintf(stderr, "bench-normalize: --workdir too long\n");
            return 2;
        }
        if (mkdir(workdir, 0777) == 0)
            created_workdir = 1;
        else if (errno != EEXIST) {
            fprintf(stderr, "bench-normalize: mkdir %s: %s\n", workdir, strerror(errno));
            return 1;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !tmp[0]) tmp = "/tmp";
        if (snprintf(workdir, sizeof(workdir), "%s/dltc-bench-XXXXXX", tmp) >=
                (int)sizeof(workdir) ||
            !mkdtemp(workdir)) {
            fprintf(stderr, "bench-normalize: cannot create a folder under %s\n", tmp);
            return 1;
        }
        created_workdir = 1;
    }

    report reps[3];
    size_t n = 0;
    memset(reps, 0, sizeof(reps));
    if (o.flat) {
        reps[n].dataset = BENCH_DATASET_FLAT;
        reps[n].table = "flat";
        reps[n].items = o.flat;
        reps[n].target_rate = TARGET_FLAT_ROWS_PER_S;
        n++;
    }
    if (o.github) {
        reps[n].dataset = BENCH_DATASET_GITHUB;
        reps[n].table = "issues";
        reps[n].items = o.github;
        reps[n].target_rate = TARGET_GITHUB_ROWS_PER_S;
        n++;
    }
    if (o.one) {
        reps[n].dataset = BENCH_DATASET_ONE;
        reps[n].table = "export";
        reps[n].items = o.one;
        reps[n].target_rate = TARGET_GITHUB_ROWS_PER_S;
        n++;
    }

    fprintf(stderr, "bench-normalize: dltc %s, DuckDB %s, workdir %s, seed %llu, %ld CPUs\n",
            dltc_version(), bench_duckdb_version(), workdir, (unsigned long long)o.seed,
            sysconf(_SC_NPROCESSORS_ONLN));
    int failed = 0;
    for (size_t i = 0; i < n; i++)
        if (run_dataset(&reps[i], &o, workdir) != 0) failed = 1;

    print_report(reps, n, &o);

    if (o.keep)
        fprintf(stderr, "files kept in %s\n", workdir);
    else if (created_workdir && bench_rmtree(workdir) != 0)
        fprintf(stderr, "bench-normalize: cannot remove %s: %s\n", workdir, strerror(errno));
    return failed ? 1 : 0;
}
