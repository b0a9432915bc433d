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
