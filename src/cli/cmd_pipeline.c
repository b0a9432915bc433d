/* dlt pipeline [--list-pipelines] | NAME <op> … : inspect a pipeline and take things away
 * from it. ops: info [-v], query "SQL" [--format table|csv|json], schema [--format yaml|json],
 * load-package [LOAD_ID], failed-jobs, drop-pending-packages, drop TABLE... [--yes], sync,
 * show [--port N] (the local dashboard, src/web/). */
#include "cli.h"
#include "dltc/dltc.h"
#include "dltc/web.h"
#include "output.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char HELP[] =
    "usage: dlt pipeline --list-pipelines [--pipelines-dir DIR]\n"
    "       dlt pipeline NAME info [-v]\n"
    "       dlt pipeline NAME query \"SQL\" [--format table|csv|json]\n"
    "       dlt pipeline NAME schema [--format yaml|json]\n"
    "       dlt pipeline NAME load-package [LOAD_ID]\n"
    "       dlt pipeline NAME failed-jobs\n"
    "       dlt pipeline NAME drop-pending-packages\n"
    "       dlt pipeline NAME drop TABLE... [--yes]\n"
    "       dlt pipeline NAME trace\n"
    "       dlt pipeline NAME sync [--credentials PATH] [--dataset NAME]\n"
    "       dlt pipeline NAME show [--port N]\n"
    "\n"
    "Inspect a pipeline: its working dir, state and packages, its dataset (query) and its\n"
    "schema; load-package shows a package and its jobs (default: the newest), failed-jobs\n"
    "the jobs that failed with their errors.\n"
    "drop-pending-packages deletes the extracted and normalized packages (the destination,\n"
    "schema and state are not touched). drop removes root tables and their nested tables from\n"
    "the destination and the schema; without --yes (-y) it only prints what it would drop.\n"
    "sync takes the state and schemas from the destination (the newest state committed with\n"
    "a completed load); it also works for a pipeline with no working dir yet (a new machine).\n"
    "show serves a local web dashboard (overview, schema, tables, a read-only SQL box, loads,\n"
    "trace) on 127.0.0.1 only, default port 8501 (--port 0: a free one); it prints the URL\n"
    "with its session token and serves until Ctrl-C.\n"
    "Options valid everywhere: --pipelines-dir DIR, --credentials C (database file or URL),\n"
    "--dataset NAME, --destination D (default: the pipeline's, else duckdb).\n"
    "\n"
    "exit codes: 0 success, 1 failure (no such pipeline, package or table, SQL error),\n"
    "2 usage error\n";

enum { O_LIST, O_PDIR, O_FORMAT, O_VERBOSE, O_CREDS, O_DATASET, O_YES, O_DEST, O_HELP, O_PORT };
static const cli_option OPTS[] = {{"list-pipelines", 'l', 0}, {"pipelines-dir", 0, 1},
                                  {"format", 0, 1},          {"verbose", 'v', 0},
                                  {"credentials", 0, 1},     {"dataset", 0, 1},
                                  {"yes", 'y', 0},           {"destination", 0, 1},
                                  {"help", 'h', 0},          {"port", 0, 1},
                                  {NULL, 0, 0}};

/* op name, fewest and most arguments after it (-1: any number) */
static const struct {
    const char *name;
    int min_args, max_args;
} OPS[] = {{"info", 0, 0},        {"query", 1, 1},           {"schema", 0, 0},
           {"load-package", 0, 1}, {"failed-jobs", 0, 0},    {"drop-pending-packages", 0, 0},
           {"drop", 1, -1},        {"trace", 0, 0},           {"sync", 0, 0},
           {"show", 0, 0}};

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

/* Print library text (a trailing newline is added when missing). */
static int print_text(int rc, char *text)
{
    if (rc) {
        cli_error("pipeline", NULL);
    } else if (text) {
        fputs(text, stdout);
        if (text[0] && text[strlen(text) - 1] != '\n')
            putchar('\n');
    }
    dltc_free(text);
    return rc ? CLI_FAIL : CLI_OK;
}

/* show: the dashboard until SIGINT/SIGTERM */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int show_should_stop(void *payload)
{
    (void)payload;
    return g_stop;
}

static void show_ready(const char *url, void *payload)
{
    printf("dashboard of pipeline %s: %s\n", (const char *)payload, url);
    printf("press Ctrl-C to stop\n");
    fflush(stdout);
}

static int show(dltc_pipeline *pl, long port)
{
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    dltc_web_options wo = DLTC_WEB_OPTIONS_INIT;
    wo.port = (unsigned int)port;
    wo.on_ready = show_ready;
    wo.should_stop = show_should_stop;
    wo.payload = (void *)dltc_pipeline_name(pl);
    int rc = dltc_web_serve(pl, &wo);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc) {
        cli_error("pipeline", "show");
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int run_op(dltc_pipeline *pl, const char *op, const char **args, size_t nargs,
                  const char *format, int verbose, int yes, long port)
{
    char *text = NULL;
    if (!strcmp(op, "show"))
        return show(pl, port);
    if (!strcmp(op, "query")) {
        dltc_rows *rows = NULL;
        int rc;
        if (dltc_pipeline_query(pl, args[0], &rows)) {
            cli_error("pipeline", NULL);
            rc = CLI_FAIL;
        } else {
            rc = cli_print_rows(rows, format ? format : "table") ? CLI_USAGE : CLI_OK;
        }
        dltc_rows_free(rows);
        return rc;
    }
    if (!strcmp(op, "schema")) {
        int json = format && !strcmp(format, "json");
        if (format && !json && strcmp(format, "yaml")) {
            fprintf(stderr, "dlt pipeline: schema --format is yaml or json\n");
            return CLI_USAGE;
        }
        int rc = dltc_pipeline_schema_export(pl, &text, json);
        return print_text(rc, text);
    }
    if (!strcmp(op, "load-package")) {
        int rc = dltc_pipeline_load_package_info(pl, nargs ? args[0] : NULL, &text);
        return print_text(rc, text);
    }
    if (!strcmp(op, "trace")) {
        int rc = dltc_pipeline_trace(pl, &text);
        return print_text(rc, text);
    }
    if (!strcmp(op, "failed-jobs")) {
        int rc = dltc_pipeline_failed_jobs(pl, &text);
        return print_text(rc, text);
    }
    if (!strcmp(op, "drop-pending-packages")) {
        size_t n = 0;
        int rc = dltc_pipeline_drop_pending_packages(pl, &n, &text);
        rc = print_text(rc, text);
        if (rc == CLI_OK && n)
            printf("Pending packages deleted: %zu\n", n);
        else if (rc == CLI_OK)
            printf("No pending packages found\n");
        return rc;
    }
    if (!strcmp(op, "sync")) {
        int restored = 0;
        if (dltc_pipeline_sync(pl, &restored)) {
            cli_error("pipeline", NULL);
            return CLI_FAIL;
        }
        printf("Pipeline state and schemas restored from the destination\n");
        return CLI_OK;
    }
    if (!strcmp(op, "drop")) {
        int rc = dltc_pipeline_drop_tables(pl, args, nargs, yes, &text);
        rc = print_text(rc, text);
        if (rc == CLI_OK && !yes)
            printf("Run again with --yes to apply these changes.\n");
        return rc;
    }
    int rc = dltc_pipeline_info(pl, verbose, &text);
    return print_text(rc, text);
}

int cmd_pipeline(int argc, char **argv)
{
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    const char **pos = calloc((size_t)argc + 1, sizeof(char *));
    size_t npos = 0;
    const char *format = NULL;
    int list = 0, verbose = 0, yes = 0;
    long port = 8501;
    if (!pos) {
        fprintf(stderr, "dlt pipeline: out of memory\n");
        return CLI_FAIL;
    }
    cli_parser p;
    cli_parser_init(&p, "pipeline", argc, argv, OPTS);
    const char *v;
    int k;
    while ((k = cli_parser_next(&p, &v)) != -2) {
        switch (k) {
        case -3: free(pos); return CLI_USAGE;
        case -1: pos[npos++] = v; break;
        case O_LIST: list = 1; break;
        case O_PDIR: po.pipelines_dir = v; break;
        case O_FORMAT: format = v; break;
        case O_VERBOSE: verbose = 1; break;
        case O_CREDS: po.credentials = v; break;
        case O_DATASET: po.dataset_name = v; break;
        case O_DEST: po.destination = v; break;
        case O_YES: yes = 1; break;
        case O_PORT:
            if ((port = cli_parse_count("pipeline", "port", v)) < 0 || port > 65535) {
                if (port > 65535)
                    fprintf(stderr, "dlt pipeline: --port must be from 0 to 65535, got '%s'\n", v);
                free(pos);
                return CLI_USAGE;
            }
            break;
        case O_HELP: fputs(HELP, stdout); free(pos); return CLI_OK;
        }
    }
    int rc = CLI_OK;
    if (list || npos == 0) {
        char *dir = NULL;
        if (!po.pipelines_dir && dltc_pipelines_dir(&dir) != 0) {
            cli_error("pipeline", NULL);
            free(pos);
            return CLI_FAIL;
        }
        rc = list_pipelines(po.pipelines_dir ? po.pipelines_dir : dir);
        dltc_free(dir);
        free(pos);
        return rc;
    }
    const char *name = pos[0], *op = npos > 1 ? pos[1] : NULL;
    const char **args = pos + 2;
    size_t nargs = npos > 2 ? npos - 2 : 0, o = 0;
    if (!op) {
        fprintf(stderr, "dlt pipeline: missing operation for pipeline '%s' (see dlt pipeline "
                        "--help)\n",
                name);
        free(pos);
        return CLI_USAGE;
    }
    while (o < sizeof(OPS) / sizeof(OPS[0]) && strcmp(OPS[o].name, op))
        o++;
    if (o == sizeof(OPS) / sizeof(OPS[0])) {
        fprintf(stderr, "dlt pipeline: unknown operation '%s' (see dlt pipeline --help)\n", op);
        rc = CLI_USAGE;
    } else if ((int)nargs < OPS[o].min_args) {
        fprintf(stderr, "dlt pipeline: %s needs %s\n", op,
                !strcmp(op, "query") ? "the SQL text" : "at least one table name");
        rc = CLI_USAGE;
    } else if (OPS[o].max_args >= 0 && (int)nargs > OPS[o].max_args) {
        fprintf(stderr, "dlt pipeline: unexpected argument '%s'\n", args[OPS[o].max_args]);
        rc = CLI_USAGE;
    } else if (strcmp(op, "sync") && dltc_pipeline_exists(po.pipelines_dir, name) != 1) {
        fprintf(stderr, "dlt pipeline: no pipeline '%s' (see dlt pipeline --list-pipelines)\n",
                name);
        rc = CLI_FAIL;
    }
    if (rc) {
        free(pos);
        return rc;
    }
    dltc_pipeline *pl = NULL;
    if (dltc_pipeline_open(&pl, name, &po)) {
        cli_error("pipeline", NULL);
        free(pos);
        return CLI_FAIL;
    }
    rc = run_op(pl, op, args, nargs, format, verbose, yes, port);
    dltc_pipeline_free(pl);
    free(pos);
    return rc;
}
