/* dlt init SOURCE DESTINATION: a starter pipeline file and .dlt/config.toml, .dlt/secrets.toml
 * with placeholders, as dlt's init writes a starter script and its config. Existing config
 * files keep what they have: only tables they lack are appended. */
#include "cli.h"
#include "dltc/dltc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char HELP[] =
    "usage: dlt init SOURCE DESTINATION [--location DIR] [--force]\n"
    "       dlt init --list-sources | --list-destinations\n"
    "\n"
    "Write a starter pipeline file SOURCE_pipeline.toml (run it with `dlt run`), and add the\n"
    "settings it needs to .dlt/config.toml and placeholders for its secrets to\n"
    ".dlt/secrets.toml (kept out of git by .gitignore). Sources: rest_api, sql_database,\n"
    "filesystem. Destinations: duckdb, motherduck, postgres, filesystem.\n"
    "\n"
    "options:\n"
    "      --location DIR      write into DIR (default: the current directory)\n"
    "      --force             overwrite an existing SOURCE_pipeline.toml\n"
    "  -l, --list-sources      the sources init knows\n"
    "      --list-destinations the destinations\n"
    "  -h, --help              this help\n";

enum { O_LOCATION, O_FORCE, O_LIST_SOURCES, O_LIST_DESTS, O_HELP };
static const cli_option OPTS[] = {{"location", 0, 1},       {"force", 0, 0},
                                  {"list-sources", 'l', 0}, {"list-destinations", 0, 0},
                                  {"help", 'h', 0},         {NULL, 0, 0}};

typedef struct {
    const char *name, *help;
    const char *pipeline; /* the [[sources]] part of the pipeline file */
    const char *config;   /* tables for .dlt/config.toml ("" none) */
    const char *secrets;  /* tables for .dlt/secrets.toml */
} source_tpl;

static const source_tpl SOURCES[] = {
    {"rest_api", "a REST API described by dlt's rest_api config (here: GitHub issues)",
     "[[sources]]\n"
     "type = \"rest_api\"\n"
     "name = \"github\"\n"
     "\n"
     "[sources.client]\n"
     "base_url = \"https://api.github.com/repos/dlt-hub/dlt/\"\n"
     "# a token raises GitHub's rate limit: uncomment, and set it in .dlt/secrets.toml\n"
     "# auth = { type = \"bearer\" }\n"
     "\n"
     "[sources.resource_defaults]\n"
     "primary_key = \"id\"\n"
     "write_disposition = \"merge\"\n"
     "endpoint = { params = { per_page = 100 } }\n"
     "\n"
     "[[sources.resources]]\n"
     "name = \"issues\"\n"
     "[sources.resources.endpoint]\n"
     "path = \"issues\"\n"
     "params = { sort = \"updated\", direction = \"desc\", state = \"open\", "
     "since = \"{incremental.start_value}\" }\n"
     "incremental = { cursor_path = \"updated_at\", initial_value = \"2024-01-25T11:21:28Z\" }\n"
     "\n"
     "[[sources.resources]]\n"
     "name = \"issue_comments\"\n"
     "include_from_parent = [\"id\"]\n"
     "[sources.resources.endpoint]\n"
     "path = \"issues/{resources.issues.number}/comments\"\n",
     "",
     "[sources.rest_api.github.credentials]\n"
     "token = \"<configure me>\" # a GitHub token, used when auth is uncommented\n"},
    {"sql_database", "the tables of a SQL database (Postgres or SQLite)",
     "[[sources]]\n"
     "type = \"sql_database\"\n"
     "# credentials come from .dlt/secrets.toml; read every table, or name some:\n"
     "# table_names = [\"family\", \"genome\"]\n"
     "chunk_size = 50000\n"
     "\n"
     "# per table: hints and an incremental cursor\n"
     "# [sources.tables.family]\n"
     "# write_disposition = \"merge\"\n"
     "# primary_key = \"rfam_acc\"\n"
     "# incremental = { cursor_path = \"updated\", initial_value = 2024-01-01T00:00:00Z }\n",
     "",
     "[sources.sql_database]\n"
     "credentials = \"postgresql://loader:<configure me>@localhost:5432/dlt_data\" "
     "# or sqlite:///path/to.db\n"},
    {"filesystem", "files in a local folder: csv, jsonl or parquet, incremental by date",
     "[[sources]]\n"
     "type = \"filesystem\"\n"
     "# bucket_url comes from .dlt/config.toml\n"
     "file_glob = \"**/*.csv\"\n"
     "format = \"csv\"          # csv, jsonl, parquet\n"
     "incremental = true      # only new or changed files on the next run\n"
     "table_name = \"files_data\"\n",
     "[sources.filesystem]\n"
     "bucket_url = \"data\" # a local folder, relative to where `dlt run` runs\n",
     ""},
};

typedef struct {
    const char *name, *config, *secrets;
} dest_tpl;

static const dest_tpl DESTS[] = {
    {"duckdb", "", ""},
    {"motherduck", "",
     "[destination.motherduck.credentials]\n"
     "database = \"my_db\" # please set me up!\n"
     "password = \"<configure me>\" # the MotherDuck token\n"},
    {"postgres", "",
     "[destination.postgres.credentials]\n"
     "database = \"dlt_data\" # please set me up!\n"
     "password = \"<configure me>\" # please set me up!\n"
     "username = \"loader\" # please set me up!\n"
     "host = \"localhost\" # please set me up!\n"
     "port = 5432\n"
     "connect_timeout = 15\n"},
    {"filesystem",
     "[destination.filesystem]\n"
     "bucket_url = \"_storage\" # a local folder (file:// URLs too)\n",
     ""},
};

#define N(a) (sizeof(a) / sizeof(a[0]))

static int write_new(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "dlt init: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Append the tables of `text` (blocks starting at a "[...]" line) that `path` does not have
 * yet: existing settings are never changed. */
static int merge_toml(const char *path, const char *text, int *added)
{
    *added = 0;
    if (!*text)
        return 0;
    char *old = NULL;
    size_t n = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t cap = 0;
        char buf[4096];
        size_t got;
        while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
            if (n + got + 1 > cap) {
                cap = (n + got + 1) * 2;
                char *o = realloc(old, cap);
                if (!o) {
                    free(old);
                    fclose(f);
                    return -1;
                }
                old = o;
            }
            memcpy(old + n, buf, got);
            n += got;
        }
        fclose(f);
        if (old)
            old[n] = '\0';
    }
    FILE *out = fopen(path, "a");
    if (!out) {
        fprintf(stderr, "dlt init: %s: %s\n", path, strerror(errno));
        free(old);
        return -1;
    }
    const char *p = text;
    int rc = 0;
    while (*p) {
        const char *end = strchr(p, '\n');
        end = end ? end + 1 : p + strlen(p);
        /* the block: this header line up to the next header */
        const char *next = end;
        while (*next && *next != '[') {
            const char *e = strchr(next, '\n');
            next = e ? e + 1 : next + strlen(next);
        }
        char header[256];
        size_t hl = (size_t)(end - p);
        while (hl && (p[hl - 1] == '\n' || p[hl - 1] == '\r'))
            hl--;
        snprintf(header, sizeof(header), "%.*s", (int)hl, p);
        int have = 0;
        for (const char *q = old; q && (q = strstr(q, header)) != NULL; q += hl)
            if ((q == old || q[-1] == '\n') && (q[hl] == '\n' || q[hl] == '\r' || !q[hl]))
                have = 1;
        if (!have) {
            if (n && old && old[n - 1] != '\n')
                fputc('\n', out);
            if ((n || *added) && fputc('\n', out) == EOF)
                rc = -1;
            if (fwrite(p, 1, (size_t)(next - p), out) != (size_t)(next - p))
                rc = -1;
            (*added)++;
        }
        p = next;
    }
    if (fclose(out) != 0)
        rc = -1;
    if (rc)
        fprintf(stderr, "dlt init: %s: %s\n", path, strerror(errno));
    free(old);
    return rc;
}

static int ensure_gitignore(const char *path)
{
    static const char *const lines[] = {".dlt/secrets.toml", "*.duckdb", "*.duckdb.wal", NULL};
    char buf[4096] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    FILE *out = fopen(path, "a");
    if (!out) {
        fprintf(stderr, "dlt init: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (n && buf[n - 1] != '\n')
        fputc('\n', out);
    for (const char *const *l = lines; *l; l++) {
        size_t ll = strlen(*l);
        int have = 0;
        for (const char *q = buf; (q = strstr(q, *l)) != NULL; q += ll)
            if ((q == buf || q[-1] == '\n') && (q[ll] == '\n' || !q[ll]))
                have = 1;
        if (!have)
            fprintf(out, "%s\n", *l);
    }
    return fclose(out) == 0 ? 0 : -1;
}

int cmd_init(int argc, char **argv)
{
    const char *src = NULL, *dst = NULL, *loc = ".";
    int force = 0;
    cli_parser p;
    cli_parser_init(&p, "init", argc, argv, OPTS);
    const char *v;
    int k;
    while ((k = cli_parser_next(&p, &v)) != -2) {
        switch (k) {
        case -3: return CLI_USAGE;
        case -1:
            if (!src)
                src = v;
            else if (!dst)
                dst = v;
            else {
                fprintf(stderr, "dlt init: unexpected '%s'\n", v);
                return CLI_USAGE;
            }
            break;
        case O_LOCATION: loc = v; break;
        case O_FORCE: force = 1; break;
        case O_LIST_SOURCES:
            for (size_t i = 0; i < N(SOURCES); i++)
                printf("%s: %s\n", SOURCES[i].name, SOURCES[i].help);
            return CLI_OK;
        case O_LIST_DESTS:
            for (size_t i = 0; i < N(DESTS); i++)
                printf("%s\n", DESTS[i].name);
            return CLI_OK;
        case O_HELP: fputs(HELP, stdout); return CLI_OK;
        }
    }
    if (!src || !dst) {
        fprintf(stderr, "dlt init: needs SOURCE and DESTINATION\n%s", HELP);
        return CLI_USAGE;
    }
    const source_tpl *s = NULL;
    const dest_tpl *d = NULL;
    for (size_t i = 0; i < N(SOURCES); i++)
        if (!strcmp(SOURCES[i].name, src))
            s = &SOURCES[i];
    for (size_t i = 0; i < N(DESTS); i++)
        if (!strcmp(DESTS[i].name, dst))
            d = &DESTS[i];
    if (!s || !d) {
        fprintf(stderr, "dlt init: unknown %s '%s' (see dlt init --list-%s)\n",
                s ? "destination" : "source", s ? dst : src, s ? "destinations" : "sources");
        return CLI_USAGE;
    }
    char path[4096], dir[4096];
    snprintf(path, sizeof(path), "%s/%s_pipeline.toml", loc, src);
    struct stat st;
    if (!force && stat(path, &st) == 0) {
        fprintf(stderr, "dlt init: %s exists (--force overwrites it)\n", path);
        return CLI_FAIL;
    }
    snprintf(dir, sizeof(dir), "%s/.dlt", loc);
    if (mkdir(loc, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "dlt init: %s: %s\n", loc, strerror(errno));
        return CLI_FAIL;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "dlt init: %s: %s\n", dir, strerror(errno));
        return CLI_FAIL;
    }
    char head[1024];
    snprintf(head, sizeof(head),
             "# A pipeline without code: run it with `dlt run %s_pipeline.toml`.\n"
             "# The format: docs/pipeline_file.md; secrets go to .dlt/secrets.toml.\n"
             "[pipeline]\n"
             "name = \"%s_pipeline\"\n"
             "destination = \"%s\"\n"
             "dataset_name = \"%s_data\"\n\n",
             src, src, dst, src);
    size_t tl = strlen(head) + strlen(s->pipeline) + 1;
    char *text = malloc(tl);
    if (!text)
        return CLI_FAIL;
    snprintf(text, tl, "%s%s", head, s->pipeline);
    int rc = write_new(path, text);
    free(text);
    if (rc)
        return CLI_FAIL;
    char cfg[4200], sec[4200], gi[4200];
    snprintf(cfg, sizeof(cfg), "%s/config.toml", dir);
    snprintf(sec, sizeof(sec), "%s/secrets.toml", dir);
    snprintf(gi, sizeof(gi), "%s/.gitignore", loc);
    int a1 = 0, a2 = 0, a3 = 0, a4 = 0;
    if (merge_toml(cfg, s->config, &a1) || merge_toml(cfg, d->config, &a2) ||
        merge_toml(sec, s->secrets, &a3) || merge_toml(sec, d->secrets, &a4) ||
        ensure_gitignore(gi))
        return CLI_FAIL;
    /* both files exist even when empty: users look for them */
    FILE *touch = fopen(sec, "a");
    if (touch)
        fclose(touch);
    if ((touch = fopen(cfg, "a")) != NULL)
        fclose(touch);
    chmod(sec, 0600);
    printf("Your new pipeline %s_pipeline is ready in %s.\n"
           "* Settings: %s%s\n"
           "* Secrets: %s%s\n"
           "Fill in the <configure me> values, then run: dlt run %s\n",
           src, path, cfg, a1 + a2 ? "" : " (nothing to add)", sec,
           a3 + a4 ? " (placeholders added)" : " (nothing to add)", path);
    return CLI_OK;
}
