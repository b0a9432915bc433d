/* psql and the throwaway server of tests/support/pg_server.sh, for the Postgres benchmarks
 * (bench-load-postgres, bench-sql-database-pg). */
#ifndef DLTC_BENCH_PG_H
#define DLTC_BENCH_PG_H

#include <stddef.h>

/* Run argv (searched in PATH) and wait. stdout goes to out[cap] when out is given, else to
 * /dev/null; stderr is ours. The exit status (0 success), or -1 when it could not run. */
int bench_run_cmd(char *const argv[], char *out, size_t cap);
/* psql -X -q -A -t -v ON_ERROR_STOP=1 -d uri -c cmd… (each -c runs alone, in order). */
int bench_psql(const char *uri, const char *const *cmds, size_t n, char *out, size_t cap);
int bench_psql1(const char *uri, const char *cmd);
/* tests/support/pg_server.sh CMD DIR (start|stop), watched: stopped when we go away. */
int bench_pg_server(const char *cmd, const char *dir);
/* The first line of DIR/name (malloc'd), or NULL. */
char *bench_read_line(const char *dir, const char *name);

/* The server a benchmark measures against: --uri (and --admin-uri) when given, else the
 * ctest fixture's ($DLTC_TEST_PG_DIR), else a throwaway one started under `tmp` (stopped by
 * bench_pg_close). `version` is the server's. 0, or -1 with a message naming `prog`. */
typedef struct {
    char *uri, *uri_admin;
    char server_dir[4200]; /* "" unless started here */
    char version[128];
} bench_pg;

int bench_pg_open(bench_pg *pg, const char *prog, const char *uri_opt, const char *admin_opt,
                  const char *tmp);
void bench_pg_close(bench_pg *pg);

#endif
