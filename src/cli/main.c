/* dlt — entry point and subcommand table. */
#include "cli.h"
#include "dltc/dltc.h"

#include <stdio.h>
#include <string.h>

static const cli_command COMMANDS[] = {
    {"run", cmd_run, "Run a pipeline file: rest_api, sql_database and filesystem sources"},
    {"init", cmd_init, "Start a pipeline file and its .dlt/config.toml and secrets.toml"},
    {"deploy", cmd_deploy, "Print a cron line or systemd units that run a pipeline file"},
    {"load", cmd_load, "Load JSON files or stdin into a table of a pipeline's destination"},
    {"pipeline", cmd_pipeline, "Inspect a pipeline: info, query its dataset, show its schema"},
    {"normalize", cmd_normalize, "Normalize JSON into per-table load files and print the schema"},
};

#define NCOMMANDS (sizeof(COMMANDS) / sizeof(COMMANDS[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: dlt [--version] [--help] <command> [<args>]\n\n"
                 "dltc %s — the data load tool, in C.\n\nCommands:\n",
            dltc_version());
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(out, "\nRun 'dlt <command> --help' for the options of a command.\n"
                 "Exit codes: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
        printf("dlt %s\n", dltc_version());
        return CLI_OK;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(a, COMMANDS[i].name) == 0)
            return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "dlt: unknown command '%s'\n", a);
    usage(stderr);
    return CLI_USAGE;
}
