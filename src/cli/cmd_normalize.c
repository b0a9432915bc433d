/* dlt normalize FILE...|- --table NAME [--out DIR] …
 * Normalizes JSON (array, JSON Lines or one object) into one jsonl file per table plus the
 * schema document, and prints the inferred tables. */
#include "cli.h"
#include "dltc/dltc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char HELP[] =
    "usage: dlt normalize FILE...|- --table NAME [options]\n"
    "\n"
    "Normalize JSON items (a JSON array, JSON Lines or one object; '-' reads standard input)\n"
    "into dlt's relational tables: one jsonl load file per table and the schema document.\n"
    "Nothing is written unless the whole input normalizes.\n"
    "\n"
    "options:\n"
    "  -t, --table NAME             root table (required)\n"
    "  -o, --out DIR                output folder (default: ./normalized)\n"
    "      --max-table-nesting N    deeper data becomes json columns\n"
    "      --write-disposition D    append (default), replace, merge, skip\n"
    "      --merge-strategy S       delete-insert (default), upsert, insert-only, scd2\n"
    "      --primary-key COLS       comma-separated primary key columns\n"
    "      --merge-key COLS         comma-separated merge key columns\n"
    "      --schema-format FMT      yaml (default) or json\n"
    "  -q, --quiet                  print only the one-line summary\n"
    "  -h, --help                   this help\n"
    "\n"
    "exit codes: 0 success, 1 failure (bad input, I/O), 2 usage error\n";

enum { O_TABLE, O_OUT, O_NESTING, O_WD, O_STRATEGY, O_PK, O_MK, O_FORMAT, O_QUIET, O_HELP };
static const cli_option OPTS[] = {
    {"table", 't', 1},         {"out", 'o', 1},        {"max-table-nesting", 0, 1},
    {"write-disposition", 0, 1}, {"merge-strategy", 0, 1}, {"primary-key", 0, 1},
    {"merge-key", 0, 1},       {"schema-format", 0, 1}, {"quiet", 'q', 0},
    {"help", 'h', 0},          {NULL, 0, 0}};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rows_of(dltc_normalizer *n, const char *table)
{
    for (size_t i = 0; i < dltc_normalizer_table_count(n); i++)
        if (strcmp(dltc_normalizer_table_name(n, i), table) == 0)
            return dltc_normalizer_table_rows(n, i);
    return 0;
}

static int write_file_atomic(const char *path, const char *data, size_t len)
{
    char tmp[4200];
    if (strlen(path) > 4096)
        return -1;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    int ok = w == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void print_tables(dltc_schema *s, dltc_normalizer *n)
{
    for (size_t t = 0; t < dltc_schema_table_count(s); t++) {
        const char *name = dltc_schema_table_name(s, t);
        if (strncmp(name, "_dlt_", 5) == 0)
            continue;
        const char *parent = dltc_schema_table_parent(s, t);
        printf("\n%s", name);
        if (parent)
            printf(" (nested in %s)", parent);
        printf(": %llu row(s)\n", (unsigned long long)rows_of(n, name));
        size_t width = 4;
        for (size_t c = 0; c < dltc_schema_column_count(s, t); c++) {
            size_t l = strlen(dltc_schema_column_name(s, t, c));
            width = l > width ? l : width;
        }
        for (size_t c = 0; c < dltc_schema_column_count(s, t); c++) {
            const char *type = dltc_schema_column_type(s, t, c);
            int nullable = dltc_schema_column_nullable(s, t, c);
            printf("  %-*s  ", (int)width, dltc_schema_column_name(s, t, c));
            if (nullable)
                printf("%s\n", type ? type : "(hint only)");
            else
                printf("%-9s  not null\n", type ? type : "(hint only)");
        }
    }
}

int cmd_normalize(int argc, char **argv)
{
    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    const char *out_dir = "normalized";
    const char *format = "yaml";
    int quiet = 0;
    const char **inputs = calloc((size_t)argc, sizeof(char *));
    size_t ninputs = 0;
    cli_parser p;
    cli_parser_init(&p, "normalize", argc, argv, OPTS);
    const char *v;
    int k;
    int rc = CLI_OK;
    while ((k = cli_parser_next(&p, &v)) != -2) {
        switch (k) {
        case -3:
            free(inputs);
            return CLI_USAGE;
        case -1:
            inputs[ninputs++] = v;
            break;
        case O_TABLE:
            o.table_name = v;
            break;
        case O_OUT:
            out_dir = v;
            break;
        case O_NESTING: {
            long n = cli_parse_count("normalize", "max-table-nesting", v);
            if (n < 0) {
                free(inputs);
                return CLI_USAGE;
            }
            o.max_table_nesting = (int)n;
            break;
        }
        case O_WD:
            o.write_disposition = v;
            break;
        case O_STRATEGY:
            o.merge_strategy = v;
            break;
        case O_PK:
            o.primary_key = v;
            break;
        case O_MK:
            o.merge_key = v;
            break;
        case O_FORMAT:
            format = v;
            break;
        case O_QUIET:
            quiet = 1;
            break;
        case O_HELP:
            fputs(HELP, stdout);
            free(inputs);
            return CLI_OK;
        }
    }
    if (!o.table_name || !ninputs) {
        fprintf(stderr, "dlt normalize: %s\n%s", !o.table_name ? "--table is required"
                                                                : "no input files (use - for stdin)",
                HELP);
        free(inputs);
        return CLI_USAGE;
    }
    if (strcmp(format, "yaml") && strcmp(format, "json")) {
        fprintf(stderr, "dlt normalize: --schema-format must be yaml or json\n");
        free(inputs);
        return CLI_USAGE;
    }
    o.out_dir = out_dir;

    double t0 = now_s();
    dltc_schema *schema = NULL;
    dltc_normalizer *n = NULL;
    char *doc = NULL;
    size_t doclen = 0;
    if (dltc_schema_new(&schema, o.table_name) || dltc_normalizer_new(&n, schema, &o)) {
        cli_error("normalize", NULL);
        rc = CLI_FAIL;
        goto done;
    }
    for (size_t i = 0; i < ninputs; i++) {
        if (dltc_normalizer_feed_file(n, inputs[i])) {
            cli_error("normalize", NULL);
            rc = CLI_FAIL;
            goto done;
        }
    }
    if (dltc_schema_export(&doc, schema, strcmp(format, "json") == 0 ? DLTC_SCHEMA_JSON
                                                                     : DLTC_SCHEMA_YAML, 0)) {
        cli_error("normalize", "schema export");
        rc = CLI_FAIL;
        goto done;
    }
    doclen = strlen(doc);
    if (dltc_normalizer_finish(n)) {
        cli_error("normalize", NULL);
        rc = CLI_FAIL;
        goto done;
    }
    char schema_path[4096];
    snprintf(schema_path, sizeof(schema_path), "%s/%s.schema.%s", out_dir, dltc_schema_name(schema),
             format);
    if (write_file_atomic(schema_path, doc, doclen) != 0) {
        fprintf(stderr, "dlt normalize: %s: cannot write the schema\n", schema_path);
        rc = CLI_FAIL;
        goto done;
    }
    double secs = now_s() - t0;
    uint64_t rows = 0;
    for (size_t i = 0; i < dltc_normalizer_table_count(n); i++)
        rows += dltc_normalizer_table_rows(n, i);
    printf("Normalized %llu item(s) into %llu row(s) in %zu table(s) in %.3f s (load id %s)\n",
           (unsigned long long)dltc_normalizer_items(n), (unsigned long long)rows,
           dltc_normalizer_table_count(n), secs, dltc_normalizer_load_id(n));
    if (!quiet) {
        print_tables(schema, n);
        printf("\nFiles in %s:\n", out_dir);
        for (size_t i = 0; i < dltc_normalizer_table_count(n); i++)
            for (size_t k = 0; k < dltc_normalizer_table_file_count(n, i); k++)
                printf("  %s\n", dltc_normalizer_table_file_at(n, i, k));
        printf("  %s (schema %s, version %lld)\n", schema_path, dltc_schema_name(schema),
               (long long)dltc_schema_version(schema));
    }
done:
    dltc_free(doc);
    dltc_normalizer_free(n);
    dltc_schema_free(schema);
    free(inputs);
    return rc;
}
