/* The shared option parser: --long, --long=value, --long value, -s value, "--" ends options. */
#include "cli.h"
#include "dltc/common.h"
#include "dltc/config.h"
#include "dltc/progress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv,
                     const cli_option *opts)
{
    p->argc = argc;
    p->argv = argv;
    p->i = 1;
    p->only_positionals = 0;
    p->opts = opts;
    p->cmd = cmd;
}

int cli_parser_next(cli_parser *p, const char **value)
{
    if (p->i >= p->argc)
        return -2;
    char *a = p->argv[p->i++];
    *value = NULL;
    if (p->only_positionals || a[0] != '-' || strcmp(a, "-") == 0) {
        *value = a;
        return -1;
    }
    if (strcmp(a, "--") == 0) {
        p->only_positionals = 1;
        return cli_parser_next(p, value);
    }
    const char *name = a + 1;
    size_t nlen;
    const char *inline_value = NULL;
    int is_long = a[1] == '-';
    if (is_long) {
        name = a + 2;
        const char *eq = strchr(name, '=');
        nlen = eq ? (size_t)(eq - name) : strlen(name);
        if (eq)
            inline_value = eq + 1;
    } else {
        nlen = 1;
        if (a[2])
            inline_value = a + 2;
    }
    for (int k = 0; p->opts[k].name; k++) {
        const cli_option *o = &p->opts[k];
        int match = is_long ? (strlen(o->name) == nlen && strncmp(o->name, name, nlen) == 0)
                            : (o->short_name && o->short_name == name[0]);
        if (!match)
            continue;
        if (!o->has_value) {
            if (inline_value) {
                fprintf(stderr, "dlt %s: option --%s takes no value\n", p->cmd, o->name);
                return -3;
            }
            return k;
        }
        if (inline_value) {
            *value = inline_value;
        } else if (p->i < p->argc) {
            *value = p->argv[p->i++];
        } else {
            fprintf(stderr, "dlt %s: option --%s needs a value\n", p->cmd, o->name);
            return -3;
        }
        return k;
    }
    fprintf(stderr, "dlt %s: unknown option '%s' (see 'dlt %s --help')\n", p->cmd, a, p->cmd);
    return -3;
}

void cli_error(const char *cmd, const char *what)
{
    const dltc_error *e = dltc_error_last();
    if (what && e->code)
        fprintf(stderr, "dlt %s: %s: %s\n", cmd, what, e->message);
    else if (e->code)
        fprintf(stderr, "dlt %s: %s\n", cmd, e->message);
    else
        fprintf(stderr, "dlt %s: %s\n", cmd, what ? what : "failed");
}

long cli_parse_count(const char *cmd, const char *opt, const char *value)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || *end || end == value || v < 0) {
        fprintf(stderr, "dlt %s: --%s needs a non-negative integer, got '%s'\n", cmd, opt, value);
        return -1;
    }
    return v;
}

int cli_progress(const char *cmd, const char *flag, int quiet, const char *pipeline_name,
                 const char **out)
{
    *out = NULL;
    if (flag) {
        if (dltc_progress_check_name(flag)) {
            fprintf(stderr, "dlt %s: --progress: %s\n", cmd, dltc_error_last()->message);
            return -1;
        }
        *out = flag;
        return 0;
    }
    if (quiet) {
        *out = "none";
        return 0;
    }
    /* the config's `progress` (resolved again by the pipeline) wins over the default */
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.pipeline_name = pipeline_name;
    dltc_config *cfg = NULL;
    const char *v = NULL;
    int found = dltc_config_open(&cfg, &co) == 0 &&
                dltc_config_get_string(&v, cfg, NULL, "progress", 0) == 0;
    dltc_config_free(cfg);
    dltc_error_clear();
    if (!found)
        *out = isatty(STDERR_FILENO) ? "tqdm" : "log";
    return 0;
}
