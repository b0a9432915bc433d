/* dlt run PIPELINE.toml|.yaml|.json [options]: a pipeline without code (pipeline_file.h). */
#include "cli.h"
#include "dltc/dltc.h"
#include "dltc/pipeline_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "usage: dlt run PIPELINE_FILE [options]\n"
    "\n"
    "Run a pipeline described by a file (.toml, .yaml/.yml or .json): its [pipeline] table\n"
    "(name, destination, dataset_name, ...) and its [[sources]] (rest_api, sql_database,\n"
    "filesystem), each extracted, normalized and loaded in turn; secrets come from\n"
    ".dlt/secrets.toml or the environment, as for any pipeline. See docs/pipeline_file.md.\n"
    "\n"
    "options:\n"
    "      --source NAME            run only this source (repeatable)\n"
    "      --destination D          instead of the file's: duckdb, motherduck, postgres,\n"
    "                               filesystem\n"
    "      --dataset NAME           instead of the file's dataset_name\n"
    "      --credentials C          the destination's credentials (as for dlt load)\n"
    "      --pipelines-dir DIR      where pipelines keep their working dirs\n"
    "      --ledger TABLE           append a row per source run to TABLE in the dataset:\n"
    "                               run_at, pipeline_name, dataset_name, load_info\n"
    "      --check                  only read and check the file and build its sources\n"
    "      --progress P             progress on stderr: log, tqdm, enlighten,\n"
    "                               alive_progress (a bar) or none (default: config\n"
    "                               `progress`, else a bar on a terminal, else log lines)\n"
    "  -q, --quiet                  print nothing on success (no progress either)\n"
    "  -h, --help                   this help\n"
    "\n"
    "exit codes: 0 success, 1 failure (bad file, source or destination error), 2 usage\n";

enum {
    O_SOURCE, O_DEST, O_DATASET, O_CREDS, O_PDIR, O_LEDGER, O_CHECK, O_QUIET, O_HELP,
    O_PROGRESS
};
static const cli_option OPTS[] = {
    {"source", 0, 1},      {"destination", 0, 1}, {"dataset", 0, 1},
    {"credentials", 0, 1}, {"pipelines-dir", 0, 1}, {"ledger", 0, 1},
    {"check", 0, 0},       {"quiet", 'q', 0},     {"help", 'h', 0},
    {"progress", 0, 1},    {NULL, 0, 0}};

static int wanted(const char *name, const char **only, size_t nonly)
{
    if (!nonly)
        return 1;
    for (size_t i = 0; i < nonly; i++)
        if (!strcmp(only[i], name))
            return 1;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    dltc_pipeline_options over = DLTC_PIPELINE_OPTIONS_INIT;
    const char *path = NULL, *ledger = NULL, *progress = NULL;
    const char **only = calloc((size_t)argc, sizeof(char *));
    size_t nonly = 0;
    int quiet = 0, check = 0;
    cli_parser p;
    cli_parser_init(&p, "run", argc, argv, OPTS);
    const char *v;
    int k;
    while ((k = cli_parser_next(&p, &v)) != -2) {
        switch (k) {
        case -3:
            free(only);
            return CLI_USAGE;
        case -1:
            if (path) {
                fprintf(stderr, "dlt run: one pipeline file at a time ('%s' and '%s')\n", path,
                        v);
                free(only);
                return CLI_USAGE;
            }
            path = v;
            break;
        case O_SOURCE: only[nonly++] = v; break;
        case O_DEST: over.destination = v; break;
        case O_DATASET: over.dataset_name = v; break;
        case O_CREDS: over.credentials = v; break;
        case O_PDIR: over.pipelines_dir = v; break;
        case O_LEDGER: ledger = v; break;
        case O_CHECK: check = 1; break;
        case O_QUIET: quiet = 1; break;
        case O_PROGRESS: progress = v; break;
        case O_HELP:
            fputs(HELP, stdout);
            free(only);
            return CLI_OK;
        }
    }
    if (!path) {
        fprintf(stderr, "dlt run: which pipeline file?\n%s", HELP);
        free(only);
        return CLI_USAGE;
    }
    if (progress && dltc_progress_check_name(progress)) {
        fprintf(stderr, "dlt run: --progress: %s\n", dltc_error_last()->message);
        free(only);
        return CLI_USAGE;
    }
    dltc_pipeline_file *f = NULL;
    if (dltc_pipeline_file_open(&f, path)) {
        cli_error("run", NULL);
        free(only);
        return CLI_FAIL;
    }
    size_t n = dltc_pipeline_file_source_count(f);
    for (size_t i = 0; i < nonly; i++) {
        int found = 0;
        for (size_t j = 0; j < n && !found; j++)
            found = !strcmp(only[i], dltc_pipeline_file_source_name(f, j));
        if (!found) {
            fprintf(stderr, "dlt run: %s has no source named '%s'\n", path, only[i]);
            dltc_pipeline_file_free(f);
            free(only);
            return CLI_USAGE;
        }
    }
    int rc = CLI_OK;
    if (check) {
        for (size_t i = 0; i < n && rc == CLI_OK; i++) {
            if (!wanted(dltc_pipeline_file_source_name(f, i), only, nonly))
                continue;
            dltc_source *src = NULL;
            if (dltc_pipeline_file_source(&src, f, i, NULL)) {
                cli_error("run", NULL);
                rc = CLI_FAIL;
            }
            dltc_source_free(src);
        }
        if (rc == CLI_OK && !quiet)
            printf("%s: pipeline %s with %zu source(s): OK\n", path, dltc_pipeline_file_name(f),
                   n);
        dltc_pipeline_file_free(f);
        free(only);
        return rc;
    }
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    dltc_pipeline_file_options(f, &po);
    if (over.destination) po.destination = over.destination;
    if (over.dataset_name) po.dataset_name = over.dataset_name;
    if (over.credentials) po.credentials = over.credentials;
    if (over.pipelines_dir) po.pipelines_dir = over.pipelines_dir;
    /* --progress, then -q, then the file's [pipeline] progress, then config and the default */
    const char *pr = NULL;
    if (progress || quiet || !po.progress)
        cli_progress("run", progress, quiet, dltc_pipeline_file_name(f), &pr); /* checked above */
    if (pr)
        po.progress = pr;
    dltc_pipeline *pl = NULL;
    if (dltc_pipeline_open(&pl, dltc_pipeline_file_name(f), &po)) {
        cli_error("run", NULL);
        rc = CLI_FAIL;
    }
    for (size_t i = 0; i < n && rc == CLI_OK; i++) {
        if (!wanted(dltc_pipeline_file_source_name(f, i), only, nonly))
            continue;
        dltc_load_info *info = NULL;
        if (dltc_pipeline_file_run_source(f, pl, i, &info)) {
            cli_error("run", NULL);
            rc = CLI_FAIL;
        } else {
            if (!quiet) {
                char *text = NULL;
                if (dltc_load_info_format(&text, info) == 0)
                    fputs(text, stdout);
                dltc_free(text);
            }
            if (ledger && dltc_pipeline_ledger_append(pl, ledger, info)) {
                cli_error("run", NULL);
                rc = CLI_FAIL;
            }
        }
        dltc_load_info_free(info);
    }
    dltc_pipeline_free(pl);
    dltc_pipeline_file_free(f);
    free(only);
    return rc;
}
