/* dlt deploy PIPELINE_FILE cron|systemd [--schedule S] [--ledger TABLE]: print what runs a
 * pipeline file on a schedule (a crontab line, or a systemd service and timer). Nothing is
 * installed: the output is for the user to review and put in place. */
#include "cli.h"
#include "dltc/dltc.h"
#include "dltc/pipeline_file.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HELP[] =
    "usage: dlt deploy PIPELINE_FILE cron|systemd [--schedule S] [--ledger TABLE]\n"
    "\n"
    "Print how to run a pipeline file on a schedule, with this dlt binary and the file's\n"
    "folder as the working directory (where .dlt/secrets.toml is read):\n"
    "  cron     a crontab line (crontab -e), its output appended to .dlt/logs/<pipeline>.log\n"
    "  systemd  a oneshot service and a timer (Persistent=true: a missed run is caught up)\n"
    "\n"
    "options:\n"
    "      --schedule S      cron: five fields or @hourly/@daily/@weekly/@monthly\n"
    "                        (default \"0 6 * * *\"); systemd: an OnCalendar= spec, or a cron\n"
    "                        line with fixed minute/hour fields (converted); default daily\n"
    "      --ledger TABLE    add --ledger TABLE to the command (a row per run)\n"
    "  -h, --help            this help\n";

enum { O_SCHEDULE, O_LEDGER, O_HELP };
static const cli_option OPTS[] = {{"schedule", 0, 1}, {"ledger", 0, 1}, {"help", 'h', 0},
                                  {NULL, 0, 0}};

/* A word for /bin/sh: single quotes, a quote inside as '\''. */
static void put_sh(FILE *out, const char *s)
{
    int plain = *s != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("/._-+=:,@", *p);
    if (plain) {
        fputs(s, out);
        return;
    }
    fputc('\'', out);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", out);
        else
            fputc(*s, out);
    fputc('\'', out);
}

/* A word for systemd's ExecStart=: double quotes, \ and " escaped, % doubled. */
static void put_unit(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '%')
            fputc('%', out);
        else if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Five cron fields of [0-9*,/-] (and names of months/days), or an @ shorthand. */
static int cron_ok(const char *s, char fields[5][32])
{
    static const char *const at[] = {"@hourly", "@daily", "@weekly", "@monthly", "@yearly",
                                     "@annually", "@midnight", NULL};
    if (*s == '@') {
        for (const char *const *a = at; *a; a++)
            if (!strcmp(*a, s))
                return 1;
        return 0;
    }
    int n = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (n == 5)
            return 0;
        size_t len = 0;
        while (p[len] && p[len] != ' ' && p[len] != '\t')
            len++;
        if (len >= 32)
            return 0;
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)p[i]) && !strchr("*,/-", p[i]))
                return 0;
        memcpy(fields[n], p, len);
        fields[n++][len] = '\0';
        p += len;
    }
    return n == 5;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* "M H * * *" with numeric M and H (lists allowed) -> "*-*-* H:M:00". */
static int cron_to_calendar(const char *s, char *out, size_t n)
{
    char f[5][32];
    if (*s == '@') {
        static const char *const map[][2] = {{"@hourly", "hourly"}, {"@daily", "daily"},
                                             {"@midnight", "daily"}, {"@weekly", "weekly"},
                                             {"@monthly", "monthly"}, {"@yearly", "yearly"},
                                             {"@annually", "yearly"}};
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
            if (!strcmp(map[i][0], s)) {
                snprintf(out, n, "%s", map[i][1]);
                return 1;
            }
        return 0;
    }
    if (!cron_ok(s, f) || strcmp(f[2], "*") || strcmp(f[3], "*") || strcmp(f[4], "*"))
        return 0;
    for (int i = 0; i < 2; i++) {
        if (!strcmp(f[i], "*"))
            continue;
        char tmp[32], *save = NULL;
        memcpy(tmp, f[i], sizeof(tmp));
        tmp[sizeof(tmp) - 1] = '\0';
        for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (!all_digits(t) || atoi(t) > (i ? 23 : 59))
                return 0;
    }
    snprintf(out, n, "*-*-* %s:%s:00", f[1], f[0]);
    return 1;
}

/* The folder of `path` (absolute) and the path itself made absolute. */
static int absolute(const char *path, char *abs, size_t n, char *dir, size_t dn)
{
    char *r = realpath(path, NULL);
    if (!r)
        return -1;
    snprintf(abs, n, "%s", r);
    snprintf(dir, dn, "%s", r);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    free(r);
    return 0;
}

int cmd_deploy(int argc, char **argv)
{
    const char *path = NULL, *kind = NULL, *schedule = NULL, *ledger = NULL;
    cli_parser p;
    cli_parser_init(&p, "deploy", argc, argv, OPTS);
    const char *v;
    int k;
    while ((k = cli_parser_next(&p, &v)) != -2) {
        switch (k) {
        case -3: return CLI_USAGE;
        case -1:
            if (!path)
                path = v;
            else if (!kind)
                kind = v;
            else {
                fprintf(stderr, "dlt deploy: unexpected '%s'\n", v);
                return CLI_USAGE;
            }
            break;
        case O_SCHEDULE: schedule = v; break;
        case O_LEDGER: ledger = v; break;
        case O_HELP: fputs(HELP, stdout); return CLI_OK;
        }
    }
    if (!path || !kind || (strcmp(kind, "cron") && strcmp(kind, "systemd"))) {
        fprintf(stderr, "dlt deploy: %s\n%s",
                !path ? "which pipeline file?"
                : !kind ? "cron or systemd?" : "the deployment is cron or systemd", HELP);
        return CLI_USAGE;
    }
    dltc_pipeline_file *f = NULL;
    if (dltc_pipeline_file_open(&f, path)) {
        cli_error("deploy", NULL);
        return CLI_FAIL;
    }
    char abs[PATH_MAX], dir[PATH_MAX], exe[PATH_MAX];
    ssize_t en = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (en <= 0 || absolute(path, abs, sizeof(abs), dir, sizeof(dir))) {
        fprintf(stderr, "dlt deploy: cannot resolve the paths of %s and of dlt\n", path);
        dltc_pipeline_file_free(f);
        return CLI_FAIL;
    }
    exe[en] = '\0';
    const char *name = dltc_pipeline_file_name(f);
    for (const char *q = name; *q; q++)
        if (!isalnum((unsigned char)*q) && !strchr("_.-", *q)) {
            fprintf(stderr, "dlt deploy: pipeline name '%s' is not usable in a unit or log "
                            "file name (letters, digits, _ . -)\n", name);
            dltc_pipeline_file_free(f);
            return CLI_FAIL;
        }
    int rc = CLI_OK;
    if (!strcmp(kind, "cron")) {
        char fields[5][32];
        const char *s = schedule ? schedule : "0 6 * * *";
        if (!cron_ok(s, fields)) {
            fprintf(stderr, "dlt deploy: --schedule '%s' is not a cron schedule (five fields, "
                            "or @daily ...)\n", s);
            rc = CLI_USAGE;
        } else {
            printf("# dlt pipeline %s (%s): add with `crontab -e`\n", name, abs);
            printf("%s cd ", s);
            put_sh(stdout, dir);
            fputs(" && mkdir -p .dlt/logs && ", stdout);
            put_sh(stdout, exe);
            fputs(" run ", stdout);
            put_sh(stdout, abs);
            if (ledger) {
                fputs(" --ledger ", stdout);
                put_sh(stdout, ledger);
            }
            fputs(" >> ", stdout);
            char log[PATH_MAX + 64];
            snprintf(log, sizeof(log), ".dlt/logs/%s.log", name);
            put_sh(stdout, log);
            fputs(" 2>&1\n", stdout);
        }
    } else {
        char cal[128];
        const char *s = schedule ? schedule : "daily";
        char f5[5][32];
        if (schedule && (schedule[0] == '@' || cron_ok(schedule, f5))) {
            if (!cron_to_calendar(schedule, cal, sizeof(cal))) {
                fprintf(stderr, "dlt deploy: cron schedule '%s' has no simple OnCalendar= form; "
                                "give a systemd calendar spec instead (e.g. \"Mon *-*-* "
                                "06:00:00\")\n", schedule);
                rc = CLI_USAGE;
            }
            s = cal;
        } else if (strpbrk(s, "\n\r")) {
            fprintf(stderr, "dlt deploy: --schedule must be one line\n");
            rc = CLI_USAGE;
        }
        if (rc == CLI_OK) {
            printf("# dlt-%s.service: put both units in ~/.config/systemd/user/ (or\n"
                   "# /etc/systemd/system/), then: systemctl --user daemon-reload &&\n"
                   "# systemctl --user enable --now dlt-%s.timer\n", name, name);
            printf("[Unit]\nDescription=dlt pipeline %s\n"
                   "Wants=network-online.target\nAfter=network-online.target\n\n"
                   "[Service]\nType=oneshot\nWorkingDirectory=", name);
            put_unit(stdout, dir);
            fputs("\nExecStart=", stdout);
            put_unit(stdout, exe);
            fputs(" run ", stdout);
            put_unit(stdout, abs);
            if (ledger) {
                fputs(" --ledger ", stdout);
                put_unit(stdout, ledger);
            }
            printf("\n\n# dlt-%s.timer\n[Unit]\nDescription=Run dlt pipeline %s on schedule\n\n"
                   "[Timer]\nOnCalendar=%s\nPersistent=true\n\n"
                   "[Install]\nWantedBy=timers.target\n", name, name, s);
        }
    }
    dltc_pipeline_file_free(f);
    return rc;
}
