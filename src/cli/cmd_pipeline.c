/* dlt pipeline [--list-pipelines] | NAME <op> … : inspect a pipeline.
 * ops: info [-v], query "SQL" [--format table|csv|json], schema [--format yaml|json]. */
#include "cli.h"
#include "dltc/dltc.h"
#include "output.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char HELP[] =
    "usage: dlt pipeline --list-pipelines [--pipelines-dir DIR]\n"
    "       dlt pipeline NAME info [-v]\n"
    "       dlt pipeline NAME query \"SQL\" [--format table|csv|json]\n"
    "       dlt pipeline NAME schema [--format yaml|json]\n"
    "\n"
    "Inspect a pipeline: its working dir, state and packages, its dataset (query) and its\n"
    "schema. Options valid everywhere: --pipelines-dir DIR, --credentials PATH (database),\n"
    "--dataset NAME.\n"
    "\n"
    "exit codes: 0 success, 1 failure (no such pipeline, SQL error), 2 usage error\n";

enum { O_LIST, O_PDIR, O_FORMAT, O_VERBOSE, O_CREDS, O_DATASET, O_HELP };
static const cli_option OPTS[] = {{"list-pipelines", 'l', 0}, {"pipelines-dir", 0, 1},
                                  {"format", 0, 1},          {"verbose", 'v', 0},
                                  {"credentials", 0, 1},     {"dataset", 0, 1},
                                  {"help", 'h', 0},          {NULL, 0, 0}};

static int list_pipelines(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("0 pipelines found in %s\n", dir);
        return CLI_OK;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (n + 1) * sizeof(char *));
        if (!nn)
            break;
        names = nn;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    printf("%zu pipelines found in %s\n", n, dir);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", names[i]);
        free(names[i]);
    }
    free(names);
    return CLI_OK;
}

int cmd_pipeline(int argc, char **argv)
{
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    const char *pos[3] = {NULL, NULL, NULL};
    size_t npos = 0;
    const char *format = NULL;
    int list = 0, verbose = 0;
    cli_parser p;
    cli_parser_init(&p, "pipeline", argc, argv, OPTS);
    const char *v;
    int k;
    while ((k = cli_parser_next(&p, &v)) != -2) {
        switch (k) {
        case -3: return CLI_USAGE;
        case -1:
            if (npos == 3) {
                fprintf(stderr, "dlt pipeline: unexpected argument '%s'\n", v);
                return CLI_USAGE;
            }
            pos[npos++] = v;
            break;
        case O_LIST: list = 1; break;
        case O_PDIR: po.pipelines_dir = v; break;
        case O_FORMAT: format = v; break;
        case O_VERBOSE: verbose = 1; break;
        case O_CREDS: po.credentials = v; break;
        case O_DATASET: po.dataset_name = v; break;
        case O_HELP: fputs(HELP, stdout); return CLI_OK;
        }
    }
    if (list || npos == 0) {
        char *dir = NULL;
        if (po.pipelines_dir)
            dir = strdup(po.pipelines_dir);
        else if (dltc_pipelines_dir(&dir) != 0) {
            cli_error("pipeline", NULL);
            return CLI_FAIL;
        }
        int rc = list_pipelines(dir);
        free(dir);
        return rc;
    }
    if (npos < 2) {
        fprintf(stderr, "dlt pipeline: missing operation for pipeline '%s'\n%s", pos[0], HELP);
        return CLI_USAGE;
    }
    const char *op = pos[1];
    if (strcmp(op, "info") && strcmp(op, "query") && strcmp(op, "schema")) {
        fprintf(stderr, "dlt pipeline: unknown operation '%s'\n%s", op, HELP);
        return CLI_USAGE;
    }
    if (!strcmp(op, "query") && npos < 3) {
        fprintf(stderr, "dlt pipeline: query needs the SQL text\n");
        return CLI_USAGE;
    }
    dltc_pipeline *pl = NULL;
    if (dltc_pipeline_exists(po.pipelines_dir, pos[0]) != 1) {
        fprintf(stderr, "dlt pipeline: no pipeline '%s' (see dlt pipeline --list-pipelines)\n",
                pos[0]);
        return CLI_FAIL;
    }
    if (dltc_pipeline_open(&pl, pos[0], &po)) {
        cli_error("pipeline", NULL);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    if (!strcmp(op, "query")) {
        dltc_rows *rows = NULL;
        if (dltc_pipeline_query(pl, pos[2], &rows)) {
            cli_error("pipeline", NULL);
            rc = CLI_FAIL;
        } else {
            rc = cli_print_rows(rows, format ? format : "table") ? CLI_USAGE : CLI_OK;
        }
        dltc_rows_free(rows);
    } else if (!strcmp(op, "schema")) {
        char *doc = NULL;
        int json = format && !strcmp(format, "json");
        if (format && !json && strcmp(format, "yaml")) {
            fprintf(stderr, "dlt pipeline: schema --format is yaml or json\n");
            rc = CLI_USAGE;
        } else if (dltc_pipeline_schema_export(pl, &doc, json)) {
            cli_error("pipeline", NULL);
            rc = CLI_FAIL;
        } else {
            fputs(doc, stdout);
            if (doc[0] && doc[strlen(doc) - 1] != '\n')
                putchar('\n');
        }
        dltc_free(doc);
    } else {
        char *text = NULL;
        if (dltc_pipeline_info(pl, verbose, &text)) {
            cli_error("pipeline", NULL);
            rc = CLI_FAIL;
        } else {
            fputs(text, stdout);
        }
        dltc_free(text);
    }
    dltc_pipeline_free(pl);
    return rc;
}
