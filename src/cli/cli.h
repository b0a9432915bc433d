/* The `dlt` command: a thin client of the public API. One file per subcommand, a table of
 * {name, function, one-line help}, a shared option parser.
 * Exit codes: 0 success, 1 the operation failed (message on stderr), 2 usage error. */
#ifndef DLTC_CLI_H
#define DLTC_CLI_H

#include <stddef.h>

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    const char *help;                  /* one line */
} cli_command;

/* Option spec: long name (without --), short letter (0 none), takes a value? */
typedef struct {
    const char *name;
    char short_name;
    int has_value;
} cli_option;

/* Parser state: walks argv, returns options and positionals in order.
 * next() → the option's index, -1 for a positional (in *value), -2 at the end,
 * -3 on a usage error (message printed). */
typedef struct {
    int argc;
    char **argv;
    int i;
    int only_positionals;
    const cli_option *opts;
    const char *cmd;
} cli_parser;

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv,
                     const cli_option *opts);
int cli_parser_next(cli_parser *p, const char **value);

/* Print "dlt <cmd>: <message>" plus the library's last error, to stderr. */
void cli_error(const char *cmd, const char *what);
/* Parse a non-negative integer option; -1 on error (message printed). */
long cli_parse_count(const char *cmd, const char *opt, const char *value);
/* The progress reporter of a run (--progress FLAG, else none with -q, else the config's
 * `progress` (*out NULL: the pipeline resolves it), else a bar when stderr is a terminal and
 * log lines when it is not). -1 on an unknown name (message printed: a usage error). */
int cli_progress(const char *cmd, const char *flag, int quiet, const char *pipeline_name,
                 const char **out);

int cmd_normalize(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_pipeline(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_deploy(int argc, char **argv);

#endif
