/*
 * dltc-gen: seeded, deterministic JSON Lines for benchmarks and tests.
 *
 *   dltc-gen flat|github|one N [--seed S] [-o FILE]
 *
 * Exit codes: 0 written, 1 write error, 2 usage error.
 */
#include "bench_gen.h"
#include "bench_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: dltc-gen flat|github|one N [--seed S] [-o FILE]\n"
          "  flat    N rows of 6 fields: id, name, score, active, created_at, category\n"
          "  github  N GitHub-issue-like rows (nested user/reactions, 0-4 labels, body)\n"
          "  N       row count; 100k and 1M are accepted\n"
          "  --seed  PRNG seed (default 42): the same command gives byte-identical output\n"
          "  -o      output file (default: standard output)\n",
          f);
}

int main(int argc, char **argv)
{
    const char *dataset = NULL, *count = NULL, *path = NULL;
    uint64_t rows = 0, seed = BENCH_GEN_DEFAULT_SEED;
    bench_dataset d;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            if (bench_parse_count(&seed, argv[++i]) != 0) {
                fprintf(stderr, "dltc-gen: bad --seed '%s'\n", argv[i]);
                return 2;
            }
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
            path = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "dltc-gen: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!dataset) {
            dataset = a;
        } else if (!count) {
            count = a;
        } else {
            fprintf(stderr, "dltc-gen: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!dataset || !count) {
        usage(stderr);
        return 2;
    }
    if (bench_dataset_parse(&d, dataset) != 0) {
        fprintf(stderr, "dltc-gen: unknown dataset '%s' (flat, github or one)\n", dataset);
        return 2;
    }
    if (bench_parse_count(&rows, count) != 0) {
        fprintf(stderr, "dltc-gen: bad row count '%s'\n", count);
        return 2;
    }

    int rc;
    if (path && strcmp(path, "-") != 0) {
        rc = bench_gen_file(NULL, path, d, rows, seed);
    } else {
        path = "<stdout>";
        rc = bench_gen_write(NULL, stdout, d, rows, seed);
    }
    if (rc != 0) {
        fprintf(stderr, "dltc-gen: writing %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}
