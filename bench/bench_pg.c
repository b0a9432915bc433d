/* psql and the throwaway server for the Postgres benchmarks (bench_pg.h). */
#include "bench_pg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run argv (searched in PATH) and wait. stdout goes to out[cap] when out is given, else to
 * /dev/null; stderr is ours. The exit status (0 success), or -1 when it could not run. */
int bench_run_cmd(char *const argv[], char *out, size_t cap)
{
    int fds[2] = {-1, -1};
    if (out && pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        if (out)
            close(fds[0]), close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int fd = out ? fds[1] : open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, STDOUT_FILENO);
        if (out)
            close(fds[0]);
        setenv("PGOPTIONS", "--client-min-messages=warning", 0); /* quiet DROP … IF EXISTS */
        execvp(argv[0], argv);
        fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    size_t len = 0;
    if (out) {
        close(fds[1]);
        ssize_t n;
        char sink[4096];
        while ((n = read(fds[0], len + 1 < cap ? out + len : sink,
                         len + 1 < cap ? cap - 1 - len : sizeof(sink))) > 0 ||
               (n < 0 && errno == EINTR))
            if (n > 0 && len + 1 < cap)
                len += (size_t)n;
        out[len] = '\0';
        close(fds[0]);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* psql -X -q -A -t -v ON_ERROR_STOP=1 -d uri -c cmd… (each -c runs alone, in order). */
int bench_psql(const char *uri, const char *const *cmds, size_t n, char *out, size_t cap)
{
    char *argv[32];
    size_t a = 0;
    static char bin[] = "psql", x[] = "-X", q[] = "-q", at[] = "-At", v[] = "-v",
                stop[] = "ON_ERROR_STOP=1", d[] = "-d", c[] = "-c";
    argv[a++] = bin, argv[a++] = x, argv[a++] = q, argv[a++] = at, argv[a++] = v;
    argv[a++] = stop, argv[a++] = d, argv[a++] = (char *)uri;
    for (size_t i = 0; i < n && a + 3 < sizeof(argv) / sizeof(argv[0]); i++)
        argv[a++] = c, argv[a++] = (char *)cmds[i];
    argv[a] = NULL;
    return bench_run_cmd(argv, out, cap);
}

int bench_psql1(const char *uri, const char *cmd)
{
    return bench_psql(uri, &cmd, 1, NULL, 0);
}

int bench_pg_server(const char *cmd, const char *dir)
{
    char script[4200], watch[32];
    snprintf(script, sizeof(script), "%s/tests/support/pg_server.sh", DLTC_SOURCE_DIR);
    /* the script's watchdog stops the server when this process goes away */
    snprintf(watch, sizeof(watch), "%ld", (long)getpid());
    setenv("DLTC_PG_WATCH_PID", watch, 1);
    char *argv[] = {"bash", script, (char *)cmd, (char *)dir, NULL};
    return bench_run_cmd(argv, NULL, 0);
}

/* The first line of DIR/name into out (malloc'd), or NULL. */
char *bench_read_line(const char *dir, const char *name)
{
    char path[4200], line[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *r = fgets(line, sizeof(line), f) ? line : NULL;
    fclose(f);
    if (!r)
        return NULL;
    line[strcspn(line, "\r\n")] = '\0';
    return line[0] ? strdup(line) : NULL;
}

int bench_pg_open(bench_pg *pg, const char *prog, const char *uri_opt, const char *admin_opt,
                  const char *tmp)
{
    memset(pg, 0, sizeof(*pg));
    snprintf(pg->version, sizeof(pg->version), "?");
    const char *fixture = getenv("DLTC_TEST_PG_DIR");
    if (uri_opt) {
        pg->uri = strdup(uri_opt);
        pg->uri_admin = admin_opt ? strdup(admin_opt) : NULL;
    } else if (fixture && *fixture) {
        pg->uri = bench_read_line(fixture, "uri");
        pg->uri_admin = bench_read_line(fixture, "uri_admin");
        if (!pg->uri) {
            fprintf(stderr, "%s: no %s/uri (is the postgres fixture up?)\n", prog, fixture);
            return -1;
        }
    } else {
        if (snprintf(pg->server_dir, sizeof(pg->server_dir), "%s/dltc-bench-pgserver-XXXXXX",
                     tmp) >= (int)sizeof(pg->server_dir) ||
            !mkdtemp(pg->server_dir)) {
            fprintf(stderr, "%s: cannot create a server folder\n", prog);
            pg->server_dir[0] = '\0';
            return -1;
        }
        fprintf(stderr, "%s: starting a throwaway server in %s\n", prog, pg->server_dir);
        if (bench_pg_server("start", pg->server_dir) != 0) {
            fprintf(stderr, "%s: pg_server.sh start failed\n", prog);
            return -1;
        }
        pg->uri = bench_read_line(pg->server_dir, "uri");
        pg->uri_admin = bench_read_line(pg->server_dir, "uri_admin");
    }
    const char *c = "SHOW server_version";
    if (!pg->uri || bench_psql(pg->uri, &c, 1, pg->version, sizeof(pg->version)) != 0) {
        fprintf(stderr, "%s: cannot connect with psql\n", prog);
        return -1;
    }
    pg->version[strcspn(pg->version, "\n")] = '\0';
    return 0;
}

void bench_pg_close(bench_pg *pg)
{
    if (pg->server_dir[0]) {
        bench_pg_server("stop", pg->server_dir);
        char *argv[] = {"rm", "-rf", pg->server_dir, NULL};
        bench_run_cmd(argv, NULL, 0);
    }
    free(pg->uri);
    free(pg->uri_admin);
    memset(pg, 0, sizeof(*pg));
}
