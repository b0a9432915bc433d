/* dlt load FILE...|- --pipeline NAME --table T … : the quick start as one command. */
#include "cli.h"
#include "dltc/dltc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "usage: dlt load FILE...|- --pipeline NAME --table TABLE [options]\n"
    "\n"
    "Load JSON (a JSON array, JSON Lines or one object; '-' reads standard input) into a\n"
    "table: extract, normalize and load in one run. Packages an earlier run left pending are\n"
    "finished first, in the same call.\n"
    "\n"
    "options:\n"
    "  -p, --pipeline NAME          pipeline name (required)\n"
    "  -t, --table NAME             table (required)\n"
    "      --destination D          duckdb (default), postgres, motherduck or filesystem\n"
    "      --dataset NAME           dataset (default <pipeline>_dataset)\n"
    "      --credentials C          duckdb: database file (default ./<pipeline>.duckdb);\n"
    "                               postgres: postgresql://user:password@host:port/db;\n"
    "                               motherduck: md:<database>?motherduck_token=…;\n"
    "                               filesystem: the bucket (a folder or file:// URL)\n"
    "                               (default: destination.<D>.credentials from config)\n"
    "      --pipelines-dir DIR      where pipelines keep their working dirs\n"
    "      --write-disposition D    append (default), replace, merge, skip\n"
    "      --merge-strategy S       delete-insert (default), upsert, insert-only, scd2\n"
    "      --primary-key COLS       comma-separated primary key columns\n"
    "      --merge-key COLS         comma-separated merge key columns\n"
    "      --max-table-nesting N    deeper data becomes json columns\n"
    "      --loader-file-format F   jsonl (default), parquet, csv, insert_values\n"
    "      --columns JSON           column hints, e.g. '{\"id\": {\"data_type\": \"text\"}}'\n"
    "      --incremental C[:INIT]   load only items whose cursor field C is past the last\n"
    "                               loaded value (INIT: the first run's start, e.g. 2024-01-01)\n"
    "      --schema-contract M      evolve, freeze, discard_row, discard_value, or JSON\n"
    "                               '{\"columns\": \"freeze\"}' (tables, columns, data_type)\n"
    "      --replace-strategy S     truncate-and-insert (default), insert-from-staging,\n"
    "                               staging-optimized\n"
    "      --progress P             progress on stderr: log, tqdm, enlighten,\n"
    "                               alive_progress (a bar) or none (default: config\n"
    "                               `progress`, else a bar on a terminal, else log lines)\n"
    "  -q, --quiet                  print nothing on success (no progress either)\n"
    "  -h, --help                   this help\n"
    "\n"
    "exit codes: 0 success, 1 failure (bad input, destination error), 2 usage error\n";

enum {
    O_PIPELINE, O_TABLE, O_DEST, O_DATASET, O_CREDS, O_PDIR, O_WD, O_STRATEGY, O_PK, O_MK,
    O_NESTING, O_FORMAT, O_COLUMNS, O_INCREMENTAL, O_CONTRACT, O_REPLACE, O_QUIET, O_HELP,
    O_PROGRESS
};
static const cli_option OPTS[] = {
    {"pipeline", 'p', 1},        {"table", 't', 1},           {"destination", 0, 1},
    {"dataset", 0, 1},           {"credentials", 0, 1},       {"pipelines-dir", 0, 1},
    {"write-disposition", 0, 1}, {"merge-strategy", 0, 1},    {"primary-key", 0, 1},
    {"merge-key", 0, 1},         {"max-table-nesting", 0, 1}, {"loader-file-format", 0, 1},
    {"columns", 0, 1},           {"incremental", 0, 1},       {"schema-contract", 0, 1},
    {"replace-strategy", 0, 1},  {"quiet", 'q', 0},           {"help", 'h', 0},
    {"progress", 0, 1},          {NULL, 0, 0}};

/* CURSOR[:INITIAL] → incremental options. INITIAL is JSON when it parses as a JSON scalar,
 * else a string ("2024-01-01" becomes a date). The colon splits outside brackets/quotes. */
static int parse_incremental(const char *v, dltc_incremental_options *io, char **cursor,
                             char **initial)
{
    size_t depth = 0, i = 0;
    char quote = 0;
    for (; v[i]; i++) {
        char c = v[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '[') {
            depth++;
        } else if (c == ']' && depth) {
            depth--;
        } else if (c == ':' && !depth) {
            break;
        }
    }
    *cursor = strndup(v, i);
    *initial = NULL;
    if (!*cursor || !**cursor)
        return -1;
    io->cursor_path = *cursor;
    if (!v[i])
        return 0;
    const char *init = v + i + 1;
    char *end = NULL;
    int is_json = !strcmp(init, "true") || !strcmp(init, "false") || !strcmp(init, "null") ||
                  init[0] == '"';
    if (!is_json && *init) {
        strtod(init, &end);
        is_json = end && !*end && (init[0] == '-' || (init[0] >= '0' && init[0] <= '9'));
    }
    if (is_json) {
        *initial = strdup(init);
    } else {
        size_t n = strlen(init);
        *initial = malloc(n * 2 + 3);
        if (*initial) {
            char *o = *initial;
            *o++ = '"';
            for (const char *p = init; *p; p++) {
                if (*p == '"' || *p == '\\')
                    *o++ = '\\';
                *o++ = *p;
            }
            *o++ = '"';
            *o = '\0';
        }
    }
    io->initial_value = *initial;
    return *initial ? 0 : -1;
}

int cmd_load(int argc, char **argv)
{
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    dltc_incremental_options inc = DLTC_INCREMENTAL_OPTIONS_INIT;
    char *inc_cursor = NULL, *inc_initial = NULL;
    const char *name = NULL, *progress = NULL;
    int quiet = 0;
    const char **inputs = calloc((size_t)argc, sizeof(char *));
    size_t ninputs = 0;
    cli_parser p;
    cli_parser_init(&p, "load", argc, argv, OPTS);
    const char *v;
    int k;
    while ((k = cli_parser_next(&p, &v)) != -2) {
        switch (k) {
        case -3:
            free(inputs);
            free(inc_cursor);
            free(inc_initial);
            return CLI_USAGE;
        case -1:
            inputs[ninputs++] = v;
            break;
        case O_PIPELINE: name = v; break;
        case O_TABLE: ro.table_name = v; break;
        case O_DEST: po.destination = v; break;
        case O_DATASET: po.dataset_name = v; break;
        case O_CREDS: po.credentials = v; break;
        case O_PDIR: po.pipelines_dir = v; break;
        case O_WD: ro.write_disposition = v; break;
        case O_STRATEGY: ro.merge_strategy = v; break;
        case O_PK: ro.primary_key = v; break;
        case O_MK: ro.merge_key = v; break;
        case O_NESTING: {
            long n = cli_parse_count("load", "max-table-nesting", v);
            if (n < 0) {
                free(inputs);
                free(inc_cursor);
                free(inc_initial);
                return CLI_USAGE;
            }
            ro.max_table_nesting = (int)n;
            break;
        }
        case O_FORMAT: po.loader_file_format = v; break;
        case O_COLUMNS: ro.columns = v; break;
        case O_INCREMENTAL:
            free(inc_cursor);
            free(inc_initial);
            if (parse_incremental(v, &inc, &inc_cursor, &inc_initial)) {
                fprintf(stderr, "dlt load: --incremental needs CURSOR[:INITIAL]\n");
                free(inputs);
                free(inc_cursor);
                free(inc_initial);
                return CLI_USAGE;
            }
            ro.incremental = &inc;
            break;
        case O_CONTRACT: ro.schema_contract = v; break;
        case O_REPLACE: po.replace_strategy = v; break;
        case O_QUIET: quiet = 1; break;
        case O_PROGRESS: progress = v; break;
        case O_HELP:
            fputs(HELP, stdout);
            free(inputs);
            free(inc_cursor);
            free(inc_initial);
            return CLI_OK;
        }
    }
    if (!name || !ro.table_name || !ninputs) {
        fprintf(stderr, "dlt load: %s\n%s",
                !name ? "--pipeline is required"
                : !ro.table_name ? "--table is required" : "no input files (use - for stdin)",
                HELP);
        free(inputs);
        free(inc_cursor);
        free(inc_initial);
        return CLI_USAGE;
    }
    if (cli_progress("load", progress, quiet, name, &po.progress)) {
        free(inputs);
        free(inc_cursor);
        free(inc_initial);
        return CLI_USAGE;
    }
    dltc_pipeline *pl = NULL;
    dltc_load_info *info = NULL;
    int rc = CLI_OK;
    if (dltc_pipeline_open(&pl, name, &po) ||
        dltc_pipeline_run_files(pl, inputs, ninputs, &ro, &info)) {
        cli_error("load", NULL);
        rc = CLI_FAIL;
    } else if (!quiet) {
        char *text = NULL;
        if (dltc_load_info_format(&text, info) == 0)
            fputs(text, stdout);
        dltc_free(text);
    }
    dltc_load_info_free(info);
    dltc_pipeline_free(pl);
    free(inputs);
    free(inc_cursor);
    free(inc_initial);
    return rc;
}
