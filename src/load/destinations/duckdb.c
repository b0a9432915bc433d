/*
 * The DuckDB client: open/close, statements, queries materialized as dltc_rows or streamed
 * in batches (through the data-chunk API), the columns of a table, and loading load files
 * (jsonl, csv, parquet, insert_values).
 *
 * Loading jsonl — bench-load-duckdb, 1M flat rows (generator's flat table + _dlt_load_id/
 * _dlt_id), 2 shared cores, on-disk database, load only (CREATE TABLE + load + close):
 *   (a) INSERT INTO t (cols) SELECT … FROM read_json(<file>, columns={schema types}) with
 *       preserve_insertion_order=false: DuckDB parses and writes with both cores, ~1.1 s;
 *   (b) our JSON reader + the Appender with 2048-row data chunks: one thread, ~1.6–2.4 s.
 * (a) is the default; (b) takes files with a row over 64 MB (read_json would need buffers
 * of twice that per thread) and DLTC_DUCKDB_LOADER=appender. Decimals are strings in our
 * jsonl (as in dlt's), so read_json keeps them exact. bench/RESULTS.md has the figures of
 * every format.
 */
#include "load/destinations/duckdb.h"
#include "load/destination.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/strmap.h"
#include "common/time.h"
#include "formats/json.h"
#include "load/rows.h"
#include "load/sql.h"

#include <duckdb.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <stdio.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

/* libduckdb is loaded on first use (dlopen), not at program start: it is 70 MB of C++ whose
 * relocation costs ~20 ms, which every `dlt` command would pay even when it never touches
 * DuckDB. The calls below go through these pointers. */
#define DLTC_DUCKDB_FUNCTIONS(X) \
    X(duckdb_append_data_chunk) \
    X(duckdb_appender_close) \
    X(duckdb_appender_column_count) \
    X(duckdb_appender_column_type) \
    X(duckdb_appender_create_ext) \
    X(duckdb_appender_destroy) \
    X(duckdb_appender_error) \
    X(duckdb_close) \
    X(duckdb_column_count) \
    X(duckdb_column_logical_type) \
    X(duckdb_column_name) \
    X(duckdb_connect) \
    X(duckdb_create_config) \
    X(duckdb_create_data_chunk) \
    X(duckdb_create_logical_type) \
    X(duckdb_data_chunk_get_size) \
    X(duckdb_data_chunk_get_vector) \
    X(duckdb_data_chunk_reset) \
    X(duckdb_data_chunk_set_size) \
    X(duckdb_decimal_internal_type) \
    X(duckdb_decimal_scale) \
    X(duckdb_decimal_width) \
    X(duckdb_destroy_config) \
    X(duckdb_destroy_data_chunk) \
    X(duckdb_destroy_logical_type) \
    X(duckdb_destroy_result) \
    X(duckdb_disconnect) \
    X(duckdb_enum_dictionary_value) \
    X(duckdb_enum_internal_type) \
    X(duckdb_fetch_chunk) \
    X(duckdb_free) \
    X(duckdb_get_type_id) \
    X(duckdb_logical_type_get_alias) \
    X(duckdb_open_ext) \
    X(duckdb_query) \
    X(duckdb_result_error) \
    X(duckdb_rows_changed) \
    X(duckdb_string_t_data) \
    X(duckdb_string_t_length) \
    X(duckdb_validity_row_is_valid) \
    X(duckdb_validity_set_row_validity) \
    X(duckdb_vector_assign_string_element_len) \
    X(duckdb_vector_ensure_validity_writable) \
    X(duckdb_vector_get_data) \
    X(duckdb_vector_get_validity) \
    X(duckdb_vector_size) \
    X(duckdb_destroy_pending) \
    X(duckdb_destroy_prepare) \
    X(duckdb_execute_pending) \
    X(duckdb_pending_error) \
    X(duckdb_pending_prepared_streaming) \
    X(duckdb_prepare) \
    X(duckdb_prepare_error) \
    X(duckdb_set_config)

#define DLTC_DECLARE(name) static __typeof__(name) *p_##name;
DLTC_DUCKDB_FUNCTIONS(DLTC_DECLARE)
#undef DLTC_DECLARE
#define duckdb_append_data_chunk (*p_duckdb_append_data_chunk)
#define duckdb_appender_close (*p_duckdb_appender_close)
#define duckdb_appender_column_count (*p_duckdb_appender_column_count)
#define duckdb_appender_column_type (*p_duckdb_appender_column_type)
#define duckdb_appender_create_ext (*p_duckdb_appender_create_ext)
#define duckdb_appender_destroy (*p_duckdb_appender_destroy)
#define duckdb_appender_error (*p_duckdb_appender_error)
#define duckdb_close (*p_duckdb_close)
#define duckdb_column_count (*p_duckdb_column_count)
#define duckdb_column_logical_type (*p_duckdb_column_logical_type)
#define duckdb_column_name (*p_duckdb_column_name)
#define duckdb_connect (*p_duckdb_connect)
#define duckdb_create_config (*p_duckdb_create_config)
#define duckdb_create_data_chunk (*p_duckdb_create_data_chunk)
#define duckdb_create_logical_type (*p_duckdb_create_logical_type)
#define duckdb_data_chunk_get_size (*p_duckdb_data_chunk_get_size)
#define duckdb_data_chunk_get_vector (*p_duckdb_data_chunk_get_vector)
#define duckdb_data_chunk_reset (*p_duckdb_data_chunk_reset)
#define duckdb_data_chunk_set_size (*p_duckdb_data_chunk_set_size)
#define duckdb_decimal_internal_type (*p_duckdb_decimal_internal_type)
#define duckdb_decimal_scale (*p_duckdb_decimal_scale)
#define duckdb_decimal_width (*p_duckdb_decimal_width)
#define duckdb_destroy_config (*p_duckdb_destroy_config)
#define duckdb_destroy_data_chunk (*p_duckdb_destroy_data_chunk)
#define duckdb_destroy_logical_type (*p_duckdb_destroy_logical_type)
#define duckdb_destroy_result (*p_duckdb_destroy_result)
#define duckdb_disconnect (*p_duckdb_disconnect)
#define duckdb_enum_dictionary_value (*p_duckdb_enum_dictionary_value)
#define duckdb_enum_internal_type (*p_duckdb_enum_internal_type)
#define duckdb_fetch_chunk (*p_duckdb_fetch_chunk)
#define duckdb_free (*p_duckdb_free)
#define duckdb_get_type_id (*p_duckdb_get_type_id)
#define duckdb_logical_type_get_alias (*p_duckdb_logical_type_get_alias)
#define duckdb_open_ext (*p_duckdb_open_ext)
#define duckdb_query (*p_duckdb_query)
#define duckdb_result_error (*p_duckdb_result_error)
#define duckdb_rows_changed (*p_duckdb_rows_changed)
#define duckdb_string_t_data (*p_duckdb_string_t_data)
#define duckdb_string_t_length (*p_duckdb_string_t_length)
#define duckdb_validity_row_is_valid (*p_duckdb_validity_row_is_valid)
#define duckdb_validity_set_row_validity (*p_duckdb_validity_set_row_validity)
#define duckdb_vector_assign_string_element_len (*p_duckdb_vector_assign_string_element_len)
#define duckdb_vector_ensure_validity_writable (*p_duckdb_vector_ensure_validity_writable)
#define duckdb_vector_get_data (*p_duckdb_vector_get_data)
#define duckdb_vector_get_validity (*p_duckdb_vector_get_validity)
#define duckdb_vector_size (*p_duckdb_vector_size)
#define duckdb_destroy_pending (*p_duckdb_destroy_pending)
#define duckdb_destroy_prepare (*p_duckdb_destroy_prepare)
#define duckdb_execute_pending (*p_duckdb_execute_pending)
#define duckdb_pending_error (*p_duckdb_pending_error)
#define duckdb_pending_prepared_streaming (*p_duckdb_pending_prepared_streaming)
#define duckdb_prepare (*p_duckdb_prepare)
#define duckdb_prepare_error (*p_duckdb_prepare_error)
#define duckdb_set_config (*p_duckdb_set_config)

#ifndef DLTC_DUCKDB_LIB_PATH
#define DLTC_DUCKDB_LIB_PATH "libduckdb.so"
#endif

static pthread_once_t g_load_once = PTHREAD_ONCE_INIT;
static char g_load_error[512];

/* An installed copy: <prefix>/lib/dltc/libduckdb.so beside the binary that holds this code
 * (<prefix>/bin/dlt with the library linked in, or <prefix>/lib/libdltc.so), so an installed
 * prefix works without the source tree and wherever it is moved to. */
static int installed_copy(char *out, size_t cap)
{
    /* a build that links libduckdb (the sanitizer build) has it already: a second copy
     * would run its global destructors twice */
    if (dlsym(RTLD_DEFAULT, "duckdb_open_ext"))
        return 0;
    Dl_info info;
    if (!dladdr((void *)installed_copy, &info) || !info.dli_fname || info.dli_fname[0] != '/')
        return 0;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", info.dli_fname);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    static const char *const rel[] = {"/../lib/dltc/libduckdb.so", "/dltc/libduckdb.so",
                                      "/../lib64/dltc/libduckdb.so"};
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        if ((size_t)snprintf(out, cap, "%s%s", dir, rel[i]) < cap && access(out, R_OK) == 0)
            return 1;
    }
    return 0;
}

static void load_library(void)
{
    /* $DLTC_DUCKDB_LIB, else an installed copy, else the build's (third_party/duckdb) */
    static char installed[4200];
    const char *path = getenv("DLTC_DUCKDB_LIB");
    if ((!path || !*path) && installed_copy(installed, sizeof(installed)))
        path = installed;
    if (!path || !*path)
        path = DLTC_DUCKDB_LIB_PATH;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(g_load_error, sizeof(g_load_error),
                 "DuckDB library not loaded: %s (run scripts/bootstrap, or set DLTC_DUCKDB_LIB "
                 "to libduckdb.so)", dlerror());
        return;
    }
#define DLTC_RESOLVE(name)                                                                      \
    if (!g_load_error[0] && !(*(void **)&p_##name = dlsym(h, #name)))                           \
        snprintf(g_load_error, sizeof(g_load_error), "%.300s: DuckDB function %s is missing", path, \
                 #name);
    DLTC_DUCKDB_FUNCTIONS(DLTC_RESOLVE)
#undef DLTC_RESOLVE
}

/* 0 once libduckdb is loaded, else DLTC_EDATABASE with the reason. */
static int ensure_library(void)
{
    pthread_once(&g_load_once, load_library);
    return g_load_error[0] ? dltc__error_set(DLTC_EDATABASE, "%s", g_load_error) : 0;
}


struct dltc_duckdb {
    dltc_dest base; /* first: a dltc_duckdb is a dltc_dest (load/destination.h) */
    duckdb_database db;
    duckdb_connection con;
    char *path;
};

/* DuckDB messages may span lines (hints, LINE 1: with a caret): append them as one line. */
static int put_oneline(dltc_buf *b, const char *msg)
{
    int space = 0, rc = 0;
    if (!msg || !*msg)
        msg = "unknown DuckDB error";
    for (const char *p = msg; *p && !rc; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
            space = 1;
            continue;
        }
        if (space && b->len)
            rc = dltc__buf_putc(b, ' ');
        space = 0;
        if (!rc)
            rc = dltc__buf_putc(b, *p);
    }
    return rc;
}

/* Set the last error to prefix + DuckDB's message on one line. */
static int db_error(int code, const char *prefix, const char *msg)
{
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&b, prefix ? prefix : "");
    if (!rc)
        rc = put_oneline(&b, msg);
    rc = rc ? rc : dltc__error_set(code, "%s", b.data);
    dltc__buf_free(&b);
    return rc;
}

double dltc__duckdb_lock_timeout(void)
{
    const char *e = getenv("DLTC_DUCKDB_LOCK_TIMEOUT");
    char *end = NULL;
    double s = e && *e ? strtod(e, &end) : DLTC_DUCKDB_LOCK_TIMEOUT_S;
    return e && *e && (*end || s < 0) ? DLTC_DUCKDB_LOCK_TIMEOUT_S : s;
}

static const dltc_dest_ops duckdb_ops;

int dltc__duckdb_open(dltc_duckdb **out, const char *path)
{
    return dltc__duckdb_open_wait(out, path, 0);
}

/* The first bytes of a SQLite database file. */
static const char SQLITE_MAGIC[16] = "SQLite format 3";

/* A file at `path` that is a SQLite database: DuckDB would hand it to its sqlite extension
 * (and, with autoinstall on, download that); it fails here instead, naming the file. */
static int refuse_sqlite_file(const char *path)
{
    if (!path || !*path || strcmp(path, ":memory:") == 0 || strncmp(path, "md:", 3) == 0)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* DuckDB creates it, or says why it cannot */
    char head[16];
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    if (n == (ssize_t)sizeof(head) && memcmp(head, SQLITE_MAGIC, sizeof(head)) == 0)
        return dltc__error_set(DLTC_EINVALID, "duckdb: %s: not a DuckDB database file (it is a "
                                              "SQLite database)", path);
    return 0;
}

/* The settings every database gets before it opens: no extension is installed or loaded
 * behind our back (json, parquet and icu are built into our libduckdb; a SQLite file or a
 * URL would otherwise download an extension). An md: database keeps autoload for the
 * motherduck extension when it is installed (nothing is downloaded: autoinstall is off).
 * `read_only`: access_mode READ_ONLY (files only; an in-memory database cannot be). */
static int configure(duckdb_config cfg, const char *path, int read_only)
{
    int md = path && strncmp(path, "md:", 3) == 0;
    int file = path && *path && strcmp(path, ":memory:") != 0 && !md;
    if (duckdb_set_config(cfg, "autoinstall_known_extensions", "false") == DuckDBError ||
        duckdb_set_config(cfg, "autoload_known_extensions", md ? "true" : "false") == DuckDBError)
        return dltc__error_set(DLTC_EDATABASE, "duckdb: %s: cannot turn off extension "
                                               "autoloading", path ? path : ":memory:");
    if (read_only && (file || md) &&
        duckdb_set_config(cfg, "access_mode", "READ_ONLY") == DuckDBError)
        return dltc__error_set(DLTC_EDATABASE, "duckdb: %s: cannot set access_mode READ_ONLY",
                               path);
    return 0;
}

/* DuckDB's open failure for a file that is not a DuckDB database (a SQLite file it tried to
 * hand to the sqlite extension, or any other file) as "duckdb: <path>: not a DuckDB database
 * file (…)". */
static int not_duckdb_file(const char *path, const char *m)
{
    if (!strstr(m, "not a valid DuckDB database file") && !strstr(m, "sqlite_scanner") &&
        !strstr(m, "Extension \"sqlite\""))
        return 0;
    dltc_buf pre = DLTC_BUF_INIT;
    int rc = dltc__buf_printf(&pre, "duckdb: %s: not a DuckDB database file (", path);
    rc = rc ? rc : put_oneline(&pre, m);
    rc = rc ? rc : dltc__buf_putc(&pre, ')');
    rc = rc ? rc : dltc__error_set(DLTC_EINVALID, "%s", pre.data);
    dltc__buf_free(&pre);
    return rc;
}

static int open_db(dltc_duckdb **out, const char *path, double wait_s, int read_only);

int dltc__duckdb_open_wait(dltc_duckdb **out, const char *path, double wait_s)
{
    return open_db(out, path, wait_s, 0);
}

static int open_db(dltc_duckdb **out, const char *path, double wait_s, int read_only)
{
    int lrc = ensure_library();
    if (lrc)
        return lrc;
    dltc_duckdb *d = dltc__calloc(1, sizeof(*d));
    if (!d)
        return dltc__error_oom();
    d->base.ops = &duckdb_ops;
    d->path = dltc__strdup(path ? path : ":memory:");
    if (!d->path) {
        dltc__free(d);
        return dltc__error_oom();
    }
    duckdb_config cfg = NULL;
    char *err = NULL;
    if (duckdb_create_config(&cfg) == DuckDBError) {
        dltc__duckdb_close(d);
        return dltc__error_set(DLTC_EDATABASE, "%s: cannot create a DuckDB configuration", path);
    }
    lrc = refuse_sqlite_file(path);
    if (!lrc)
        lrc = configure(cfg, path, read_only);
    if (lrc) {
        duckdb_destroy_config(&cfg);
        dltc__duckdb_close(d);
        return lrc;
    }
    /* A file held by another process (DuckDB: one writer process at a time) is waited for
     * up to DLTC_DUCKDB_LOCK_TIMEOUT seconds when the caller asks to wait: two pipelines
     * loading into one file then take turns instead of failing. */
    double waited = 0, pause = 0.05;
    duckdb_state st;
    for (;;) {
        st = duckdb_open_ext(path, &d->db, cfg, &err);
        const char *m = st == DuckDBError && err ? err : "";
        int locked = strstr(m, "lock") != NULL || strstr(m, "Conflicting") != NULL;
        /* shorter than DuckDB's headers (3 x 4 KiB) and just written: another process is
         * creating it */
        struct stat fst;
        if (!locked && strstr(m, "not a valid DuckDB database file") && path &&
            stat(path, &fst) == 0 && fst.st_size < 3 * 4096 && time(NULL) - fst.st_mtime < 5)
            locked = 1;
        if (st != DuckDBError || !locked || waited >= wait_s)
            break;
        duckdb_free(err);
        err = NULL;
        d->db = NULL;
        if (pause > wait_s - waited)
            pause = wait_s - waited;
        struct timespec ts = {(time_t)pause, (long)((pause - (double)(time_t)pause) * 1e9)};
        nanosleep(&ts, NULL);
        waited += pause;
        pause = pause * 2 > 1.0 ? 1.0 : pause * 2;
    }
    duckdb_destroy_config(&cfg);
    if (st == DuckDBError) {
        const char *m = err ? err : "cannot open";
        dltc_buf pre = DLTC_BUF_INIT;
        int locked = strstr(m, "lock") != NULL || strstr(m, "Conflicting") != NULL;
        int rc = not_duckdb_file(d->path, m);
        if (rc) {
            duckdb_free(err);
            d->db = NULL;
            dltc__duckdb_close(d);
            return rc;
        }
        rc = locked && waited > 0
                     ? dltc__buf_printf(&pre, "%s: database is locked by another process (waited "
                                              "%.0f s): ", path, waited)
                     : dltc__buf_printf(&pre, locked ? "%s: database is locked by another process: "
                                                     : "%s: cannot open the database: ",
                                        path);
        rc = rc ? rc : db_error(DLTC_EDATABASE, pre.data, m);
        dltc__buf_free(&pre);
        duckdb_free(err);
        d->db = NULL;
        dltc__duckdb_close(d);
        return rc;
    }
    if (duckdb_connect(d->db, &d->con) == DuckDBError) {
        dltc__duckdb_close(d);
        return dltc__error_set(DLTC_EDATABASE, "%s: cannot connect to the database", path);
    }
    *out = d;
    return 0;
}

void dltc__duckdb_close(dltc_duckdb *d)
{
    if (!d)
        return;
    if (d->con)
        duckdb_disconnect(&d->con);
    if (d->db)
        duckdb_close(&d->db);
    dltc__free(d->path);
    dltc__free(d);
}

int dltc__duckdb_exec(dltc_duckdb *d, const char *sql)
{
    duckdb_result r;
    if (duckdb_query(d->con, sql, &r) == DuckDBError) {
        int rc = db_error(DLTC_EDATABASE, "", duckdb_result_error(&r));
        duckdb_destroy_result(&r);
        return rc;
    }
    duckdb_destroy_result(&r);
    return 0;
}

/* ---- query results ---- */

/* Name of a DuckDB type as SQL spells it ("JSON" for the alias). */
static int type_name(dltc_buf *b, duckdb_logical_type lt)
{
    char *alias = duckdb_logical_type_get_alias(lt);
    if (alias) {
        int rc = dltc__buf_puts(b, alias);
        duckdb_free(alias);
        return rc;
    }
    switch (duckdb_get_type_id(lt)) {
    case DUCKDB_TYPE_BOOLEAN: return dltc__buf_puts(b, "BOOLEAN");
    case DUCKDB_TYPE_TINYINT: return dltc__buf_puts(b, "TINYINT");
    case DUCKDB_TYPE_SMALLINT: return dltc__buf_puts(b, "SMALLINT");
    case DUCKDB_TYPE_INTEGER: return dltc__buf_puts(b, "INTEGER");
    case DUCKDB_TYPE_BIGINT: return dltc__buf_puts(b, "BIGINT");
    case DUCKDB_TYPE_UTINYINT: return dltc__buf_puts(b, "UTINYINT");
    case DUCKDB_TYPE_USMALLINT: return dltc__buf_puts(b, "USMALLINT");
    case DUCKDB_TYPE_UINTEGER: return dltc__buf_puts(b, "UINTEGER");
    case DUCKDB_TYPE_UBIGINT: return dltc__buf_puts(b, "UBIGINT");
    case DUCKDB_TYPE_HUGEINT: return dltc__buf_puts(b, "HUGEINT");
    case DUCKDB_TYPE_UHUGEINT: return dltc__buf_puts(b, "UHUGEINT");
    case DUCKDB_TYPE_FLOAT: return dltc__buf_puts(b, "FLOAT");
    case DUCKDB_TYPE_DOUBLE: return dltc__buf_puts(b, "DOUBLE");
    case DUCKDB_TYPE_VARCHAR: return dltc__buf_puts(b, "VARCHAR");
    case DUCKDB_TYPE_BLOB: return dltc__buf_puts(b, "BLOB");
    case DUCKDB_TYPE_DATE: return dltc__buf_puts(b, "DATE");
    case DUCKDB_TYPE_TIME: return dltc__buf_puts(b, "TIME");
    case DUCKDB_TYPE_TIMESTAMP: return dltc__buf_puts(b, "TIMESTAMP");
    case DUCKDB_TYPE_TIMESTAMP_TZ: return dltc__buf_puts(b, "TIMESTAMP WITH TIME ZONE");
    case DUCKDB_TYPE_TIMESTAMP_S: return dltc__buf_puts(b, "TIMESTAMP_S");
    case DUCKDB_TYPE_TIMESTAMP_MS: return dltc__buf_puts(b, "TIMESTAMP_MS");
    case DUCKDB_TYPE_TIMESTAMP_NS: return dltc__buf_puts(b, "TIMESTAMP_NS");
    case DUCKDB_TYPE_DECIMAL:
        return dltc__buf_printf(b, "DECIMAL(%u,%u)", (unsigned)duckdb_decimal_width(lt),
                                (unsigned)duckdb_decimal_scale(lt));
    case DUCKDB_TYPE_ENUM: return dltc__buf_puts(b, "ENUM");
    case DUCKDB_TYPE_UUID: return dltc__buf_puts(b, "UUID");
    case DUCKDB_TYPE_INTERVAL: return dltc__buf_puts(b, "INTERVAL");
    case DUCKDB_TYPE_LIST: return dltc__buf_puts(b, "LIST");
    case DUCKDB_TYPE_STRUCT: return dltc__buf_puts(b, "STRUCT");
    case DUCKDB_TYPE_MAP: return dltc__buf_puts(b, "MAP");
    case DUCKDB_TYPE_TIME_TZ: return dltc__buf_puts(b, "TIME WITH TIME ZONE");
    default: return dltc__buf_printf(b, "TYPE%d", (int)duckdb_get_type_id(lt));
    }
}

/* Decimal digits of a signed 128-bit integer, with `scale` digits after a point. */
static size_t i128_text(char *out, __int128 v, unsigned scale)
{
    char tmp[64];
    size_t n = 0;
    int neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale && scale)
        tmp[n++] = '0';
    size_t len = 0;
    if (neg)
        out[len++] = '-';
    for (size_t i = n; i-- > 0;) {
        out[len++] = tmp[i];
        if (scale && i == scale)
            out[len++] = '.';
    }
    out[len] = '\0';
    return len;
}

/* An integer: INT when it fits int64, else its digits as BIGINT. */
static int set_i128(dltc_rows *rows, dltc_value *v, __int128 x)
{
    if (x >= INT64_MIN && x <= INT64_MAX) {
        dltc__value_set_type(v, DLTC_TYPE_INT);
        v->u.i = (int64_t)x;
        return 0;
    }
    char text[64];
    size_t n = i128_text(text, x, 0);
    return dltc__rows_set_bytes(rows, v, DLTC_TYPE_BIGINT, text, n);
}

typedef struct {
    duckdb_type id;
    duckdb_type internal; /* DECIMAL storage, ENUM index type */
    unsigned scale;
    duckdb_logical_type lt;
} col_info;

static __int128 hugeint_of(const duckdb_hugeint *h)
{
    return (__int128)(((unsigned __int128)(uint64_t)h->upper << 64) | h->lower);
}

/* Convert cell `i` of vector data `data` of column type `c` into v. */
static int convert_cell(dltc_rows *rows, dltc_value *v, const col_info *c, void *data, idx_t i,
                        const char *colname)
{
    switch (c->id) {
    case DUCKDB_TYPE_BOOLEAN:
        dltc__value_set_type(v, DLTC_TYPE_BOOL);
        v->u.i = ((bool *)data)[i] ? 1 : 0;
        return 0;
    case DUCKDB_TYPE_TINYINT: return set_i128(rows, v, ((int8_t *)data)[i]);
    case DUCKDB_TYPE_SMALLINT: return set_i128(rows, v, ((int16_t *)data)[i]);
    case DUCKDB_TYPE_INTEGER: return set_i128(rows, v, ((int32_t *)data)[i]);
    case DUCKDB_TYPE_BIGINT: return set_i128(rows, v, ((int64_t *)data)[i]);
    case DUCKDB_TYPE_UTINYINT: return set_i128(rows, v, ((uint8_t *)data)[i]);
    case DUCKDB_TYPE_USMALLINT: return set_i128(rows, v, ((uint16_t *)data)[i]);
    case DUCKDB_TYPE_UINTEGER: return set_i128(rows, v, ((uint32_t *)data)[i]);
    case DUCKDB_TYPE_UBIGINT: return set_i128(rows, v, ((uint64_t *)data)[i]);
    case DUCKDB_TYPE_HUGEINT: return set_i128(rows, v, hugeint_of(&((duckdb_hugeint *)data)[i]));
    case DUCKDB_TYPE_UHUGEINT: {
        const duckdb_uhugeint *h = &((duckdb_uhugeint *)data)[i];
        unsigned __int128 u = ((unsigned __int128)h->upper << 64) | h->lower;
        if (u <= (unsigned __int128)INT64_MAX)
            return set_i128(rows, v, (__int128)u);
        char text[64];
        size_t n = 0;
        char tmp[64];
        do {
            tmp[n++] = (char)('0' + (int)(u % 10));
            u /= 10;
        } while (u);
        for (size_t k = 0; k < n; k++)
            text[k] = tmp[n - 1 - k];
        return dltc__rows_set_bytes(rows, v, DLTC_TYPE_BIGINT, text, n);
    }
    case DUCKDB_TYPE_FLOAT:
        dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
        v->u.d = ((float *)data)[i];
        return 0;
    case DUCKDB_TYPE_DOUBLE:
        dltc__value_set_type(v, DLTC_TYPE_DOUBLE);
        v->u.d = ((double *)data)[i];
        return 0;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB: {
        duckdb_string_t *s = &((duckdb_string_t *)data)[i];
        return dltc__rows_set_bytes(rows, v,
                                    c->id == DUCKDB_TYPE_BLOB ? DLTC_TYPE_BINARY : DLTC_TYPE_STRING,
                                    duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    case DUCKDB_TYPE_DATE:
        dltc__value_set_type(v, DLTC_TYPE_DATE);
        v->u.i = ((duckdb_date *)data)[i].days;
        return 0;
    case DUCKDB_TYPE_TIME:
        dltc__value_set_type(v, DLTC_TYPE_TIME);
        v->u.i = ((duckdb_time *)data)[i].micros;
        return 0;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS: {
        int64_t x = ((int64_t *)data)[i];
        if (c->id == DUCKDB_TYPE_TIMESTAMP_S)
            x *= 1000000;
        else if (c->id == DUCKDB_TYPE_TIMESTAMP_MS)
            x *= 1000;
        else if (c->id == DUCKDB_TYPE_TIMESTAMP_NS)
            x = x >= 0 ? x / 1000 : -((-x + 999) / 1000);
        dltc__value_set_type(v, DLTC_TYPE_TIMESTAMP);
        v->u.i = x;
        if (c->id == DUCKDB_TYPE_TIMESTAMP_TZ)
            v->flags = DLTC_VF_TZ;
        return 0;
    }
    case DUCKDB_TYPE_DECIMAL: {
        __int128 x;
        switch (c->internal) {
        case DUCKDB_TYPE_SMALLINT: x = ((int16_t *)data)[i]; break;
        case DUCKDB_TYPE_INTEGER: x = ((int32_t *)data)[i]; break;
        case DUCKDB_TYPE_BIGINT: x = ((int64_t *)data)[i]; break;
        default: x = hugeint_of(&((duckdb_hugeint *)data)[i]); break;
        }
        if (c->scale == 0)
            return set_i128(rows, v, x);
        char text[64];
        size_t n = i128_text(text, x, c->scale);
        return dltc__rows_set_bytes(rows, v, DLTC_TYPE_DECIMAL, text, n);
    }
    case DUCKDB_TYPE_ENUM: {
        idx_t k;
        switch (c->internal) {
        case DUCKDB_TYPE_UTINYINT: k = ((uint8_t *)data)[i]; break;
        case DUCKDB_TYPE_USMALLINT: k = ((uint16_t *)data)[i]; break;
        default: k = ((uint32_t *)data)[i]; break;
        }
        char *s = duckdb_enum_dictionary_value(c->lt, k);
        int rc = s ? dltc__rows_set_bytes(rows, v, DLTC_TYPE_STRING, s, strlen(s))
                   : dltc__error_oom();
        duckdb_free(s);
        return rc;
    }
    case DUCKDB_TYPE_UUID: {
        const duckdb_hugeint *h = &((duckdb_hugeint *)data)[i];
        uint64_t hi = (uint64_t)h->upper ^ ((uint64_t)1 << 63), lo = h->lower;
        char text[40];
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;
        for (int k = 0; k < 32; k++) {
            uint64_t w = k < 16 ? hi : lo;
            int shift = 60 - 4 * (k % 16);
            if (k == 8 || k == 12 || k == 16 || k == 20)
                text[n++] = '-';
            text[n++] = hex[(w >> shift) & 15];
        }
        return dltc__rows_set_bytes(rows, v, DLTC_TYPE_STRING, text, n);
    }
    default: {
        dltc_buf b = DLTC_BUF_INIT;
        type_name(&b, c->lt);
        int rc = dltc__error_set(DLTC_EINVALID,
                                 "column %s: DuckDB type %s is not supported in query results "
                                 "(cast it to VARCHAR)",
                                 colname, b.data ? b.data : "?");
        dltc__buf_free(&b);
        return rc;
    }
    }
}

/* The columns of a result: their conversion info (cols[ncols]) and, in `rows`, their names
 * and type names. */
static int columns_init(duckdb_result *res, col_info **out, dltc_rows **rows_out)
{
    idx_t ncols = duckdb_column_count(res);
    dltc_rows *rows = NULL;
    col_info *cols = dltc__calloc(ncols ? ncols : 1, sizeof(*cols));
    dltc_buf tn = DLTC_BUF_INIT;
    int rc = cols ? dltc__rows_new(&rows, ncols) : dltc__error_oom();
    for (idx_t c = 0; !rc && c < ncols; c++) {
        cols[c].lt = duckdb_column_logical_type(res, c);
        cols[c].id = duckdb_get_type_id(cols[c].lt);
        if (cols[c].id == DUCKDB_TYPE_DECIMAL) {
            cols[c].internal = duckdb_decimal_internal_type(cols[c].lt);
            cols[c].scale = duckdb_decimal_scale(cols[c].lt);
        } else if (cols[c].id == DUCKDB_TYPE_ENUM) {
            cols[c].internal = duckdb_enum_internal_type(cols[c].lt);
        }
        dltc__buf_clear(&tn);
        rc = type_name(&tn, cols[c].lt);
        if (!rc)
            rc = dltc__rows_set_column(rows, c, duckdb_column_name(res, c), tn.data);
    }
    dltc__buf_free(&tn);
    *out = cols;
    *rows_out = rows;
    return rc;
}

static void columns_free(col_info *cols, idx_t ncols)
{
    for (idx_t c = 0; cols && c < ncols; c++)
        if (cols[c].lt)
            duckdb_destroy_logical_type(&cols[c].lt);
    dltc__free(cols);
}

/* Append rows [from, to) of `chunk` to `rows`. */
static int append_chunk(dltc_rows *rows, const col_info *cols, duckdb_data_chunk chunk,
                        idx_t from, idx_t to)
{
    size_t ncols = dltc_rows_column_count(rows);
    size_t first = dltc_rows_count(rows);
    int rc = 0;
    for (idx_t r = from; !rc && r < to; r++) {
        dltc_value *row;
        rc = dltc__rows_add_row(rows, &row);
    }
    /* column by column over the chunk; cells are addressed through the public getter */
    for (idx_t c = 0; !rc && c < ncols; c++) {
        duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, c);
        void *data = duckdb_vector_get_data(vec);
        uint64_t *valid = duckdb_vector_get_validity(vec);
        const char *name = dltc_rows_column_name(rows, c);
        for (idx_t r = from; !rc && r < to; r++) {
            if (valid && !duckdb_validity_row_is_valid(valid, r))
                continue;
            dltc_value *v = (dltc_value *)dltc_rows_get(rows, first + (r - from), c);
            rc = convert_cell(rows, v, &cols[c], data, r, name);
        }
    }
    return rc;
}

static int materialize(duckdb_result *res, dltc_rows **out)
{
    idx_t ncols = duckdb_column_count(res);
    col_info *cols = NULL;
    dltc_rows *rows = NULL;
    int rc = columns_init(res, &cols, &rows);
    duckdb_data_chunk chunk;
    while (!rc && (chunk = duckdb_fetch_chunk(*res)) != NULL) {
        rc = append_chunk(rows, cols, chunk, 0, duckdb_data_chunk_get_size(chunk));
        duckdb_destroy_data_chunk(&chunk);
    }
    columns_free(cols, ncols);
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

/* ---- streamed queries ---- */

struct dltc_duckdb_stream {
    duckdb_prepared_statement stmt;
    duckdb_pending_result pending;
    duckdb_result res;
    int has_res;
    col_info *cols;
    idx_t ncols;
    dltc_rows *header;       /* column names and types only: copied into every batch */
    duckdb_data_chunk chunk; /* the chunk being handed out, from row `pos` */
    idx_t pos;
    int done;
};

int dltc__duckdb_stream_open(dltc_duckdb_stream **out, dltc_duckdb *d, const char *sql)
{
    dltc_duckdb_stream *s = dltc__calloc(1, sizeof(*s));
    if (!s)
        return dltc__error_oom();
    int rc = 0;
    if (duckdb_prepare(d->con, sql, &s->stmt) == DuckDBError)
        rc = db_error(DLTC_EDATABASE, "", duckdb_prepare_error(s->stmt));
    else if (duckdb_pending_prepared_streaming(s->stmt, &s->pending) == DuckDBError)
        rc = db_error(DLTC_EDATABASE, "", duckdb_pending_error(s->pending));
    else if (duckdb_execute_pending(s->pending, &s->res) == DuckDBError) {
        s->has_res = 1;
        rc = db_error(DLTC_EDATABASE, "", duckdb_result_error(&s->res));
    } else {
        s->has_res = 1;
        s->ncols = duckdb_column_count(&s->res);
        rc = columns_init(&s->res, &s->cols, &s->header);
    }
    if (rc) {
        dltc__duckdb_stream_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

size_t dltc__duckdb_stream_columns(const dltc_duckdb_stream *s)
{
    return (size_t)s->ncols;
}

int dltc__duckdb_stream_next(dltc_duckdb_stream *s, size_t max_rows, dltc_rows **out)
{
    dltc_rows *rows = NULL;
    int rc = dltc__rows_new(&rows, s->ncols);
    for (idx_t c = 0; !rc && c < s->ncols; c++)
        rc = dltc__rows_set_column(rows, c, dltc_rows_column_name(s->header, c),
                                   dltc_rows_column_type(s->header, c));
    while (!rc && !s->done && dltc_rows_count(rows) < max_rows) {
        if (!s->chunk) {
            s->chunk = duckdb_fetch_chunk(s->res);
            s->pos = 0;
            if (!s->chunk) {
                const char *err = duckdb_result_error(&s->res);
                s->done = 1;
                if (err && *err)
                    rc = db_error(DLTC_EDATABASE, "", err);
                break;
            }
        }
        idx_t n = duckdb_data_chunk_get_size(s->chunk);
        idx_t take = n - s->pos;
        if (take > max_rows - dltc_rows_count(rows))
            take = (idx_t)(max_rows - dltc_rows_count(rows));
        rc = append_chunk(rows, s->cols, s->chunk, s->pos, s->pos + take);
        s->pos += take;
        if (s->pos >= n)
            duckdb_destroy_data_chunk(&s->chunk); /* sets it to NULL */
    }
    if (!rc && !dltc_rows_count(rows) && s->done)
        rc = DLTC_ITEROVER;
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

void dltc__duckdb_stream_close(dltc_duckdb_stream *s)
{
    if (!s)
        return;
    if (s->chunk)
        duckdb_destroy_data_chunk(&s->chunk);
    columns_free(s->cols, s->ncols);
    dltc_rows_free(s->header);
    if (s->has_res)
        duckdb_destroy_result(&s->res);
    if (s->pending)
        duckdb_destroy_pending(&s->pending);
    if (s->stmt)
        duckdb_destroy_prepare(&s->stmt);
    dltc__free(s);
}

int dltc__duckdb_query(dltc_duckdb *d, const char *sql, dltc_rows **out)
{
    duckdb_result r;
    if (duckdb_query(d->con, sql, &r) == DuckDBError) {
        int rc = db_error(DLTC_EDATABASE, "", duckdb_result_error(&r));
        duckdb_destroy_result(&r);
        return rc;
    }
    int rc = materialize(&r, out);
    duckdb_destroy_result(&r);
    return rc;
}

int dltc__duckdb_table_columns(dltc_duckdb *d, const char *dataset, const char *table,
                               char ***names, size_t *n, int *exists)
{
    dltc_buf sql = DLTC_BUF_INIT;
    dltc_rows *rows = NULL;
    *names = NULL;
    *n = 0;
    *exists = 0;
    /* dataset NULL: the connection's temporary (staging) table */
    int rc = dltc__buf_puts(&sql, dataset ? "SELECT column_name FROM information_schema.columns "
                                            "WHERE table_catalog = current_database() AND "
                                            "table_schema = "
                                          : "SELECT column_name FROM information_schema.columns "
                                            "WHERE table_catalog = 'temp' AND table_schema = "
                                            "'main'");
    if (!rc && dataset)
        rc = dltc__sql_string(&sql, dataset, strlen(dataset));
    if (!rc)
        rc = dltc__buf_puts(&sql, " AND table_name = ");
    if (!rc)
        rc = dltc__sql_string(&sql, table, strlen(table));
    if (!rc)
        rc = dltc__buf_puts(&sql, " ORDER BY ordinal_position");
    if (!rc)
        rc = dltc__duckdb_query(d, sql.data, &rows);
    dltc__buf_free(&sql);
    if (rc)
        return rc;
    size_t count = dltc_rows_count(rows);
    char **v = count ? dltc__calloc(count, sizeof(char *)) : NULL;
    if (count && !v)
        rc = dltc__error_oom();
    for (size_t i = 0; !rc && i < count; i++) {
        size_t len;
        const char *s = dltc_value_get_str(dltc_rows_get(rows, i, 0), &len);
        v[i] = dltc__strndup(s, len);
        if (!v[i])
            rc = dltc__error_oom();
    }
    dltc_rows_free(rows);
    if (rc) {
        for (size_t i = 0; v && i < count; i++)
            dltc__free(v[i]);
        dltc__free(v);
        return rc;
    }
    *names = v;
    *n = count;
    *exists = count > 0;
    return 0;
}

/* ---- loading jsonl ---- */

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dltc__free(names[i]);
    dltc__free(names);
}

int dltc__duckdb_table_exists(dltc_duckdb *d, const char *dataset, const char *table, int *yes)
{
    char **names = NULL;
    size_t n = 0;
    int rc = dltc__duckdb_table_columns(d, dataset, table, &names, &n, yes);
    free_names(names, n);
    return rc;
}

/* DuckDB's readers take a path, and a path is a glob pattern (or a URL) to them: a table
 * name or a working dir with '*' or '[' in it would read other files. They get the file
 * through /proc/self/fd of a descriptor we opened instead. */
typedef struct {
    int fd;
    char path[40];
} fd_path;

static int fd_path_open(fd_path *f, const char *path)
{
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
    return 0;
}

static void fd_path_close(fd_path *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

/* Bytes of the longest record: a line, or for csv a line whose newlines inside quotes
 * belong to it. DuckDB's readers size their buffers by it. */
static int longest_record(const char *path, int csv, uint64_t *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    static __thread char buf[1 << 16];
    uint64_t cur = 0, best = 0;
    int quoted = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return dltc__error_set(DLTC_EIO, "%s: read failed: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        const char *p = buf, *e = buf + n;
        while (p < e) {
            if (csv) {
                for (; p < e && (*p != '\n' || quoted); p++, cur++)
                    quoted ^= *p == '"';
            } else {
                const char *nl = memchr(p, '\n', (size_t)(e - p));
                size_t k = nl ? (size_t)(nl - p) : (size_t)(e - p);
                cur += k;
                p += k;
            }
            if (p < e) { /* at a record's newline */
                if (cur > best)
                    best = cur;
                cur = 0;
                p++;
            }
        }
    }
    close(fd);
    *out = cur > best ? cur : best;
    return 0;
}

static int run_insert(dltc_duckdb *d, const char *sql, const char *path, uint64_t *rows)
{
    duckdb_result r;
    int rc = 0;
    if (duckdb_query(d->con, sql, &r) == DuckDBError) {
        dltc_buf pre = DLTC_BUF_INIT;
        dltc__buf_printf(&pre, "%s: ", path);
        rc = db_error(DLTC_EDATABASE, pre.data, duckdb_result_error(&r));
        dltc__buf_free(&pre);
    } else if (rows) {
        *rows += duckdb_rows_changed(&r);
    }
    duckdb_destroy_result(&r);
    return rc;
}

/* One column of an INSERT INTO t (<ins>) SELECT <sel> FROM reader(…, columns={<types>}):
 * binary is base64 text in text files. */
static int put_column(dltc_buf *ins, dltc_buf *sel, dltc_buf *types, const dltc_column *c,
                      int first)
{
    int rc = 0;
    if (!first) {
        rc = dltc__buf_puts(ins, ", ");
        if (!rc)
            rc = dltc__buf_puts(sel, ", ");
        if (!rc)
            rc = dltc__buf_puts(types, ", ");
    }
    if (!rc)
        rc = dltc__sql_ident(ins, c->name);
    if (!rc && c->data_type == DLTC_DT_BINARY) {
        rc = dltc__buf_puts(sel, "from_base64(");
        if (!rc)
            rc = dltc__sql_ident(sel, c->name);
        if (!rc)
            rc = dltc__buf_putc(sel, ')');
    } else if (!rc) {
        rc = dltc__sql_ident(sel, c->name);
    }
    if (!rc)
        rc = dltc__sql_string(types, c->name, strlen(c->name));
    if (!rc)
        rc = dltc__buf_puts(types, ": '");
    if (!rc)
        rc = c->data_type == DLTC_DT_BINARY ? dltc__buf_puts(types, "VARCHAR")
                                            : dltc__sql_column_type(types, DLTC_SQL_DUCKDB, c);
    if (!rc)
        rc = dltc__buf_putc(types, '\'');
    return rc;
}

/* "dataset"."t", or the temporary table "temp"."main"."t" when dataset is NULL */
static int put_target(dltc_buf *b, const char *dataset, const char *table)
{
    return dataset ? dltc__sql_qualified(b, dataset, table)
                   : dltc__sql_staging_table(b, DLTC_SQL_DUCKDB, table);
}

/* INSERT INTO "dataset"."t" (<ins>) SELECT <sel> FROM <reader>(<fd>, <opts>, columns={<types>}) */
static int reader_insert(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                         const char *path, const char *reader, const char *opts,
                         const dltc_buf *ins, const dltc_buf *sel, const dltc_buf *types,
                         uint64_t *rows)
{
    fd_path f = {-1, ""};
    dltc_buf sql = DLTC_BUF_INIT;
    int rc = fd_path_open(&f, path);
    if (!rc)
        rc = dltc__buf_puts(&sql, "INSERT INTO ");
    if (!rc)
        rc = put_target(&sql, dataset, t->name);
    if (!rc)
        rc = dltc__buf_printf(&sql, " (%s) SELECT %s FROM %s('%s', %s, columns={%s})", ins->data,
                              sel->data, reader, f.path, opts, types->data);
    if (!rc)
        rc = run_insert(d, sql.data, path, rows);
    fd_path_close(&f);
    dltc__buf_free(&sql);
    return rc;
}

/* jsonl: DuckDB's parallel JSON reader with the columns typed by the schema (decimals are
 * strings in the file, so they stay exact). */
static int load_read_json(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                          const char *path, const unsigned char *present, uint64_t longest,
                          uint64_t *rows)
{
    dltc_buf ins = DLTC_BUF_INIT, sel = DLTC_BUF_INIT, types = DLTC_BUF_INIT, opts = DLTC_BUF_INIT;
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < t->ncols && !rc; i++)
        if (present[i])
            rc = put_column(&ins, &sel, &types, &t->cols[i], k++ == 0);
    /* its buffers are twice maximum_object_size per thread */
    uint64_t maxobj = 16u << 20;
    while (maxobj <= longest)
        maxobj *= 2;
    if (!rc)
        rc = dltc__buf_printf(&opts, "format='newline_delimited', records=true, "
                                     "maximum_object_size=%" PRIu64, maxobj);
    if (!rc)
        rc = reader_insert(d, dataset, t, path, "read_json", opts.data, &ins, &sel, &types, rows);
    dltc__buf_free(&ins);
    dltc__buf_free(&sel);
    dltc__buf_free(&types);
    dltc__buf_free(&opts);
    return rc;
}

/* The header of a csv file written by the normalizer: its column names. */
static int csv_header(const char *path, char ***names, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    dltc_buf field = DLTC_BUF_INIT;
    int rc = 0, quoted = 0, c, any = 0;
    *names = NULL;
    *n = 0;
    for (;;) {
        c = fgetc(f);
        if (c == EOF && !any)
            break;
        any = 1;
        if (quoted) {
            if (c == EOF) {
                rc = dltc__error_set(DLTC_EPARSE, "%s:1: unterminated quote in the header", path);
                break;
            }
            if (c == '"') {
                int nx = fgetc(f);
                if (nx == '"') {
                    rc = dltc__buf_putc(&field, '"');
                    if (rc)
                        break;
                    continue;
                }
                quoted = 0;
                c = nx;
            } else {
                if ((rc = dltc__buf_putc(&field, (char)c)))
                    break;
                continue;
            }
        }
        if (c == '"' && field.len == 0) {
            quoted = 1;
            continue;
        }
        if (c == ',' || c == '\n' || c == EOF) {
            char **nn = dltc__realloc(*names, (*n + 1) * sizeof(char *));
            if (!nn) {
                rc = dltc__error_oom();
                break;
            }
            *names = nn;
            if (!(nn[*n] = dltc__strndup(field.data ? field.data : "", field.len))) {
                rc = dltc__error_oom();
                break;
            }
            (*n)++;
            dltc__buf_clear(&field);
            if (c != ',')
                break;
            continue;
        }
        if (c != '\r' && (rc = dltc__buf_putc(&field, (char)c)))
            break;
    }
    fclose(f);
    dltc__buf_free(&field);
    if (!rc && *n == 0)
        rc = dltc__error_set(DLTC_EPARSE, "%s: no header row", path);
    return rc;
}

/* csv: DuckDB's csv reader, columns from the file's header typed by the schema. NULL is an
 * empty unquoted field; "" is the empty string. */
static int load_read_csv(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                         const char *path, uint64_t longest, uint64_t *rows)
{
    char **names = NULL;
    size_t n = 0;
    int rc = csv_header(path, &names, &n);
    dltc_buf ins = DLTC_BUF_INIT, sel = DLTC_BUF_INIT, types = DLTC_BUF_INIT, opts = DLTC_BUF_INIT;
    for (size_t i = 0; i < n && !rc; i++) {
        long c = dltc__table_column(t, names[i], strlen(names[i]));
        if (c < 0 || t->cols[c].data_type == DLTC_DT_UNSET)
            rc = dltc__error_set(DLTC_EINVALID, "%s: column %s is not in table %s", path,
                                 names[i], t->name);
        else
            rc = put_column(&ins, &sel, &types, &t->cols[c], i == 0);
    }
    uint64_t line = 2u << 20; /* DuckDB's default max_line_size */
    while (line <= longest + 1)
        line *= 2;
    if (!rc)
        rc = dltc__buf_printf(&opts, "header=true, auto_detect=false, delim=',', quote='\"', "
                                     "escape='\"', nullstr='', allow_quoted_nulls=false, "
                                     "max_line_size=%" PRIu64 ", buffer_size=%" PRIu64,
                              line, line * 16);
    if (!rc)
        rc = reader_insert(d, dataset, t, path, "read_csv", opts.data, &ins, &sel, &types, rows);
    free_names(names, n);
    dltc__buf_free(&ins);
    dltc__buf_free(&sel);
    dltc__buf_free(&types);
    dltc__buf_free(&opts);
    return rc;
}

/* parquet: the file's columns by name; the types are in the file. */
static int load_read_parquet(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                             const char *path, uint64_t *rows)
{
    fd_path f = {-1, ""};
    dltc_buf sql = DLTC_BUF_INIT;
    int rc = fd_path_open(&f, path);
    if (!rc)
        rc = dltc__buf_puts(&sql, "INSERT INTO ");
    if (!rc)
        rc = put_target(&sql, dataset, t->name);
    if (!rc)
        rc = dltc__buf_printf(&sql, " BY NAME SELECT * FROM read_parquet('%s')", f.path);
    if (!rc)
        rc = run_insert(d, sql.data, path, rows);
    fd_path_close(&f);
    dltc__buf_free(&sql);
    return rc;
}

/* insert_values: "INSERT INTO {}(<cols>)\nVALUES\n(<row>),\n…(<row>);" with one row a line.
 * Run as statements of about 256 KB each: DuckDB parses VALUES lists slowly (~20k rows/s) and
 * a bigger statement only costs memory. */
#define INSERT_BATCH (256u << 10)

static int load_insert_values(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                              const char *path, uint64_t *rows)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dltc__error_set(DLTC_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    dltc_buf head = DLTC_BUF_INIT, stmt = DLTC_BUF_INIT;
    int rc = 0;
    uint64_t lineno = 0, nrows = 0;
    /* header: INSERT INTO {}(…) then VALUES */
    len = getline(&line, &cap, f);
    lineno++;
    if (len < 15 || memcmp(line, "INSERT INTO {}(", 15) != 0)
        rc = dltc__error_set(DLTC_EPARSE, "%s:1: not an insert_values file", path);
    if (!rc)
        rc = dltc__buf_puts(&head, "INSERT INTO ");
    if (!rc)
        rc = put_target(&head, dataset, t->name);
    if (!rc)
        rc = dltc__buf_put(&head, line + 14, (size_t)len - 14);
    if (!rc) {
        len = getline(&line, &cap, f);
        lineno++;
        if (len < 6 || memcmp(line, "VALUES", 6) != 0)
            rc = dltc__error_set(DLTC_EPARSE, "%s:2: VALUES expected", path);
        else
            rc = dltc__buf_puts(&head, "VALUES\n");
    }
    int ended = 0;
    while (!rc && !ended && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        char last = line[len - 1];
        if (line[0] != '(' || (last != ',' && last != ';')) {
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": a row line must be (…), or (…);",
                                 path, lineno);
            break;
        }
        ended = last == ';';
        if (!stmt.len)
            rc = dltc__buf_put(&stmt, head.data, head.len);
        else
            rc = dltc__buf_puts(&stmt, ",\n");
        if (!rc)
            rc = dltc__buf_put(&stmt, line, (size_t)len - 1);
        nrows++;
        if (!rc && (stmt.len >= INSERT_BATCH || ended)) {
            rc = run_insert(d, stmt.data, path, rows);
            dltc__buf_clear(&stmt);
        }
    }
    if (!rc && !ended)
        rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": the file ends before the final ';'",
                             path, lineno);
    (void)nrows;
    free(line);
    fclose(f);
    dltc__buf_free(&head);
    dltc__buf_free(&stmt);
    return rc;
}

/* (b) Our reader + the Appender with data chunks. The chunk holds every column of the
 * database table in its order; values are written in a native type where one fits and as
 * text otherwise (DuckDB casts: decimals stay exact). */
typedef enum { AK_BOOL, AK_BIGINT, AK_DOUBLE, AK_TEXT, AK_BLOB, AK_TS, AK_DATE, AK_TIME } akind;

typedef struct {
    duckdb_appender app;
    duckdb_data_chunk chunk;
    size_t ncols;
    akind *kind;
    void **data;
    uint64_t **valid;
    idx_t *last_row; /* row index + 1 that last got a value */
    dltc_strmap map; /* column name -> table column */
    dltc_buf scratch;
    uint8_t *bytes;
    size_t bytes_cap;
} appender_state;

static akind kind_of(duckdb_type id, int is_json)
{
    if (is_json)
        return AK_TEXT;
    switch (id) {
    case DUCKDB_TYPE_BOOLEAN: return AK_BOOL;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT: return AK_BIGINT;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE: return AK_DOUBLE;
    case DUCKDB_TYPE_BLOB: return AK_BLOB;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS: return AK_TS;
    case DUCKDB_TYPE_DATE: return AK_DATE;
    case DUCKDB_TYPE_TIME: return AK_TIME;
    default: return AK_TEXT;
    }
}

static duckdb_type chunk_type(akind k, duckdb_type id)
{
    switch (k) {
    case AK_BOOL: return DUCKDB_TYPE_BOOLEAN;
    case AK_BIGINT: return DUCKDB_TYPE_BIGINT;
    case AK_DOUBLE: return DUCKDB_TYPE_DOUBLE;
    case AK_BLOB: return DUCKDB_TYPE_BLOB;
    case AK_TS: return id == DUCKDB_TYPE_TIMESTAMP_TZ ? DUCKDB_TYPE_TIMESTAMP_TZ : DUCKDB_TYPE_TIMESTAMP;
    case AK_DATE: return DUCKDB_TYPE_DATE;
    case AK_TIME: return DUCKDB_TYPE_TIME;
    default: return DUCKDB_TYPE_VARCHAR;
    }
}

static void chunk_bind(appender_state *s)
{
    for (size_t c = 0; c < s->ncols; c++) {
        duckdb_vector v = duckdb_data_chunk_get_vector(s->chunk, c);
        duckdb_vector_ensure_validity_writable(v);
        s->data[c] = duckdb_vector_get_data(v);
        s->valid[c] = duckdb_vector_get_validity(v);
        s->last_row[c] = 0;
    }
}

static int appender_flush(appender_state *s, idx_t n, const char *path)
{
    if (!n)
        return 0;
    duckdb_data_chunk_set_size(s->chunk, n);
    if (duckdb_append_data_chunk(s->app, s->chunk) == DuckDBError) {
        dltc_buf pre = DLTC_BUF_INIT;
        dltc__buf_printf(&pre, "%s: ", path);
        int rc = db_error(DLTC_EDATABASE, pre.data, duckdb_appender_error(s->app));
        dltc__buf_free(&pre);
        return rc;
    }
    duckdb_data_chunk_reset(s->chunk);
    chunk_bind(s);
    return 0;
}

static int value_mismatch(const char *path, uint64_t line, const char *col, const char *want)
{
    return dltc__error_set(DLTC_EINVALID, "%s:%" PRIu64 ": column %s: value is not a valid %s",
                           path, line, col, want);
}

/* Put v into row r of column c. */
static int put_value(appender_state *s, size_t c, idx_t r, const dltc_value *v, const char *path,
                     uint64_t line, const char *col)
{
    duckdb_vector vec;
    int rc;
    dltc_iso iso;
    switch (s->kind[c]) {
    case AK_BOOL:
        if (v->type != DLTC_TYPE_BOOL)
            return value_mismatch(path, line, col, "boolean");
        ((bool *)s->data[c])[r] = v->u.i != 0;
        return 0;
    case AK_BIGINT:
        if (v->type == DLTC_TYPE_INT)
            ((int64_t *)s->data[c])[r] = v->u.i;
        else if (v->type == DLTC_TYPE_DOUBLE && v->u.d == (double)(int64_t)v->u.d)
            ((int64_t *)s->data[c])[r] = (int64_t)v->u.d;
        else
            return value_mismatch(path, line, col, "integer");
        return 0;
    case AK_DOUBLE:
        if (v->type == DLTC_TYPE_DOUBLE)
            ((double *)s->data[c])[r] = v->u.d;
        else if (v->type == DLTC_TYPE_INT)
            ((double *)s->data[c])[r] = (double)v->u.i;
        else if (v->type == DLTC_TYPE_BIGINT)
            ((double *)s->data[c])[r] = dltc__json_strtod(v->u.s, NULL);
        else
            return value_mismatch(path, line, col, "number");
        return 0;
    case AK_TS:
    case AK_DATE:
    case AK_TIME:
        if (v->type != DLTC_TYPE_STRING || dltc__iso_parse(v->u.s, v->len, &iso) != 0)
            return value_mismatch(path, line, col, "ISO date/time");
        if (s->kind[c] == AK_TS && iso.kind == DLTC_ISO_DATETIME)
            ((int64_t *)s->data[c])[r] = iso.value;
        else if (s->kind[c] == AK_TS && iso.kind == DLTC_ISO_DATE)
            ((int64_t *)s->data[c])[r] = iso.value * 86400000000LL;
        else if (s->kind[c] == AK_DATE && iso.kind == DLTC_ISO_DATE)
            ((int32_t *)s->data[c])[r] = (int32_t)iso.value;
        else if (s->kind[c] == AK_TIME && iso.kind == DLTC_ISO_TIME)
            ((int64_t *)s->data[c])[r] = iso.value;
        else
            return value_mismatch(path, line, col, "ISO date/time");
        return 0;
    case AK_BLOB: {
        if (v->type != DLTC_TYPE_STRING)
            return value_mismatch(path, line, col, "base64 string");
        size_t need = 3 * ((v->len + 3) / 4) + 1;
        if (need > s->bytes_cap) {
            uint8_t *nb = dltc__realloc(s->bytes, need);
            if (!nb)
                return dltc__error_oom();
            s->bytes = nb;
            s->bytes_cap = need;
        }
        long n = dltc__base64_decode(v->u.s, v->len, s->bytes);
        if (n < 0)
            return value_mismatch(path, line, col, "base64 string");
        vec = duckdb_data_chunk_get_vector(s->chunk, c);
        duckdb_vector_assign_string_element_len(vec, r, (const char *)s->bytes, (idx_t)n);
        return 0;
    }
    case AK_TEXT:
        vec = duckdb_data_chunk_get_vector(s->chunk, c);
        if (v->type == DLTC_TYPE_STRING || v->type == DLTC_TYPE_BIGINT ||
            v->type == DLTC_TYPE_DECIMAL) {
            duckdb_vector_assign_string_element_len(vec, r, v->u.s, v->len);
            return 0;
        }
        if (v->type == DLTC_TYPE_DOUBLE && v->lex) {
            duckdb_vector_assign_string_element_len(vec, r, v->lex, v->len);
            return 0;
        }
        /* nested JSON, numbers, booleans: their JSON text */
        dltc__buf_clear(&s->scratch);
        rc = dltc__json_write(&s->scratch, v);
        if (rc)
            return rc;
        duckdb_vector_assign_string_element_len(vec, r, s->scratch.data, s->scratch.len);
        return 0;
    }
    return 0;
}

static int load_appender(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                         const char *path, char **dbcols, size_t ndbcols, uint64_t *rows)
{
    appender_state s;
    memset(&s, 0, sizeof(s));
    dltc_json_reader *rd = NULL;
    dltc_arena arena;
    dltc__arena_init(&arena, 64u * 1024u);
    duckdb_logical_type *types = NULL;
    int rc = 0;

    if (duckdb_appender_create_ext(d->con, dataset ? NULL : "temp",
                                   dataset ? dataset : "main", t->name, &s.app) == DuckDBError) {
        rc = db_error(DLTC_EDATABASE, "", duckdb_appender_error(s.app));
        goto done;
    }
    s.ncols = duckdb_appender_column_count(s.app);
    s.kind = dltc__calloc(s.ncols + 1, sizeof(*s.kind));
    s.data = dltc__calloc(s.ncols + 1, sizeof(*s.data));
    s.valid = dltc__calloc(s.ncols + 1, sizeof(*s.valid));
    s.last_row = dltc__calloc(s.ncols + 1, sizeof(*s.last_row));
    types = dltc__calloc(s.ncols + 1, sizeof(*types));
    if (!s.kind || !s.data || !s.valid || !s.last_row || !types) {
        rc = dltc__error_oom();
        goto done;
    }
    for (size_t c = 0; c < s.ncols; c++) {
        duckdb_logical_type lt = duckdb_appender_column_type(s.app, c);
        char *alias = duckdb_logical_type_get_alias(lt);
        duckdb_type id = duckdb_get_type_id(lt);
        s.kind[c] = kind_of(id, alias && !strcmp(alias, "JSON"));
        duckdb_free(alias);
        duckdb_destroy_logical_type(&lt);
        types[c] = duckdb_create_logical_type(chunk_type(s.kind[c], id));
        if (c < ndbcols && (rc = dltc__strmap_put(&s.map, dbcols[c], strlen(dbcols[c]), c)))
            goto done;
    }
    s.chunk = duckdb_create_data_chunk(types, s.ncols);
    chunk_bind(&s);

    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    if ((rc = dltc__json_reader_open_file(&rd, path, &ro)))
        goto done;
    idx_t cap = duckdb_vector_size(), r = 0;
    size_t *hint = NULL; /* member position -> column, from the previous row */
    size_t nhint = 0;
    for (;;) {
        dltc_value *item;
        if (arena.used > (8u << 20))
            dltc__arena_reset(&arena);
        rc = dltc__json_reader_next(rd, &arena, &item);
        if (rc == DLTC_ITEROVER) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        uint64_t line = dltc__json_reader_item_line(rd);
        if (item->type != DLTC_TYPE_OBJECT) {
            rc = dltc__error_set(DLTC_EPARSE, "%s:%" PRIu64 ": a row is not a JSON object",
                                 path, line);
            break;
        }
        if (item->len > nhint) {
            size_t *nh = dltc__realloc(hint, item->len * sizeof(size_t));
            if (!nh) {
                rc = dltc__error_oom();
                break;
            }
            for (size_t k = nhint; k < item->len; k++)
                nh[k] = SIZE_MAX;
            hint = nh;
            nhint = item->len;
        }
        for (uint32_t m = 0; !rc && m < item->len; m++) {
            const dltc_member *mem = &item->u.obj[m];
            size_t c = hint[m];
            if (c == SIZE_MAX || c >= ndbcols || strlen(dbcols[c]) != mem->klen ||
                memcmp(dbcols[c], mem->key, mem->klen) != 0) {
                if (!dltc__strmap_get(&s.map, mem->key, mem->klen, &c)) {
                    rc = dltc__error_set(DLTC_EINVALID,
                                         "%s:%" PRIu64 ": column %s is not in table %s", path,
                                         line, mem->key, t->name);
                    break;
                }
                hint[m] = c;
            }
            if (mem->val.type == DLTC_TYPE_NULL)
                continue;
            rc = put_value(&s, c, r, &mem->val, path, line, mem->key);
            if (!rc)
                s.last_row[c] = r + 1;
        }
        if (rc)
            break;
        for (size_t c = 0; c < s.ncols; c++)
            duckdb_validity_set_row_validity(s.valid[c], r, s.last_row[c] == r + 1);
        if (++r == cap) {
            if ((rc = appender_flush(&s, r, path)))
                break;
            *rows += r;
            r = 0;
        }
    }
    dltc__free(hint);
    if (!rc)
        rc = appender_flush(&s, r, path);
    if (!rc)
        *rows += r;
    if (!rc && duckdb_appender_close(s.app) == DuckDBError) {
        dltc_buf pre = DLTC_BUF_INIT;
        dltc__buf_printf(&pre, "%s: ", path);
        rc = db_error(DLTC_EDATABASE, pre.data, duckdb_appender_error(s.app));
        dltc__buf_free(&pre);
    }
done:
    dltc__json_reader_free(rd);
    dltc__arena_free(&arena);
    if (s.chunk)
        duckdb_destroy_data_chunk(&s.chunk);
    for (size_t c = 0; types && c < s.ncols; c++)
        if (types[c])
            duckdb_destroy_logical_type(&types[c]);
    dltc__free(types);
    if (s.app)
        duckdb_appender_destroy(&s.app);
    dltc__free(s.kind);
    dltc__free(s.data);
    dltc__free(s.valid);
    dltc__free(s.last_row);
    dltc__strmap_free(&s.map);
    dltc__buf_free(&s.scratch);
    dltc__free(s.bytes);
    return rc;
}

int dltc__duckdb_prepare_load(dltc_duckdb *d)
{
    /* Row order in a table means nothing in SQL; without it DuckDB inserts with all
     * threads (1M flat rows: 1.6 s → 1.1 s). The memory limit keeps a load in bounded
     * memory: DuckDB spills to <file>.tmp beyond it. */
    const char *limit = getenv("DLTC_DUCKDB_MEMORY_LIMIT");
    dltc_buf b = DLTC_BUF_INIT;
    int rc = dltc__buf_puts(&b, "SET preserve_insertion_order = false; SET memory_limit = ");
    if (!rc)
        rc = dltc__sql_string(&b, limit && *limit ? limit : DLTC_DUCKDB_LOAD_MEMORY,
                              strlen(limit && *limit ? limit : DLTC_DUCKDB_LOAD_MEMORY));
    if (!rc)
        rc = dltc__duckdb_exec(d, b.data);
    dltc__buf_free(&b);
    return rc;
}

/* JSON lines longer than this go through the Appender (no buffer of their size). */
#define READ_JSON_MAX_RECORD (64u << 20)

int dltc__duckdb_load_file(dltc_duckdb *d, const char *dataset, const dltc_table *t,
                           const char *path, const char *format, uint64_t *rows)
{
    uint64_t dummy = 0;
    if (!rows)
        rows = &dummy;
    *rows = 0;
    if (!format || (strcmp(format, "jsonl") && strcmp(format, "csv") &&
                    strcmp(format, "parquet") && strcmp(format, "insert_values")))
        return dltc__error_set(DLTC_EINVALID, "%s: file format '%s' is not supported by duckdb",
                               path, format ? format : "");
    char **dbcols = NULL;
    size_t ndbcols = 0;
    int exists = 0;
    int rc = dltc__duckdb_table_columns(d, dataset, t->name, &dbcols, &ndbcols, &exists);
    if (rc)
        return rc;
    if (!exists) {
        free_names(dbcols, ndbcols);
        return dltc__error_set(DLTC_ENOTFOUND, "%s: table \"%s\".\"%s\" does not exist", path,
                               dataset ? dataset : "temp", t->name);
    }
    /* the complete columns of t that the database table has */
    unsigned char *present = dltc__calloc(t->ncols + 1, 1);
    if (!present) {
        free_names(dbcols, ndbcols);
        return dltc__error_oom();
    }
    size_t npresent = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const dltc_column *c = &t->cols[i];
        if (c->data_type == DLTC_DT_UNSET)
            continue;
        for (size_t k = 0; k < ndbcols; k++)
            if (!strcmp(dbcols[k], c->name)) {
                present[i] = 1;
                npresent++;
                break;
            }
    }
    uint64_t longest = 0;
    if (npresent == 0) {
        rc = dltc__error_set(DLTC_EINVALID, "%s: table %s has no columns to load", path, t->name);
    } else if (!strcmp(format, "jsonl")) {
        const char *force = getenv("DLTC_DUCKDB_LOADER");
        int appender = force && !strcmp(force, "appender");
        if (!appender) {
            rc = longest_record(path, 0, &longest);
            appender = longest > READ_JSON_MAX_RECORD;
        }
        /* The Appender is not atomic by itself: outside a transaction it commits at each
         * of its internal flushes. The caller wraps a package's loads in a transaction (a
         * probing BEGIN here would abort the caller's transaction when one is open). */
        if (!rc)
            rc = appender ? load_appender(d, dataset, t, path, dbcols, ndbcols, rows)
                          : load_read_json(d, dataset, t, path, present, longest, rows);
    } else if (!strcmp(format, "csv")) {
        rc = longest_record(path, 1, &longest);
        if (!rc)
            rc = load_read_csv(d, dataset, t, path, longest, rows);
    } else if (!strcmp(format, "parquet")) {
        rc = load_read_parquet(d, dataset, t, path, rows);
    } else {
        rc = load_insert_values(d, dataset, t, path, rows);
    }
    dltc__free(present);
    free_names(dbcols, ndbcols);
    return rc;
}

/* ---- parquet files ---- */

int dltc__duckdb_jsonl_to_parquet(const char *jsonl, const char *parquet, const dltc_table *t)
{
    dltc_duckdb *d = NULL;
    fd_path in = {-1, ""}, out = {-1, ""};
    dltc_buf ins = DLTC_BUF_INIT, sel = DLTC_BUF_INIT, types = DLTC_BUF_INIT, sql = DLTC_BUF_INIT;
    uint64_t longest = 0, maxobj = 16u << 20;
    int rc = longest_record(jsonl, 0, &longest);
    size_t k = 0;
    for (size_t i = 0; i < t->ncols && !rc; i++)
        if (t->cols[i].data_type != DLTC_DT_UNSET)
            rc = put_column(&ins, &sel, &types, &t->cols[i], k++ == 0);
    while (maxobj <= longest)
        maxobj *= 2;
    if (!rc && k == 0)
        rc = dltc__error_set(DLTC_EINVALID, "%s: table %s has no columns", parquet, t->name);
    if (!rc)
        rc = fd_path_open(&in, jsonl);
    if (!rc) {
        /* DuckDB writes to the path it is given; the descriptor pins the file we mean */
        out.fd = open(parquet, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out.fd < 0)
            rc = dltc__error_set(DLTC_EIO, "%s: cannot create: %s", parquet, strerror(errno));
        else
            snprintf(out.path, sizeof(out.path), "/proc/self/fd/%d", out.fd);
    }
    if (!rc)
        rc = dltc__duckdb_open(&d, NULL);
    if (!rc)
        rc = dltc__duckdb_prepare_load(d);
    if (!rc)
        rc = dltc__buf_printf(&sql,
                              "COPY (SELECT %s FROM read_json('%s', format='newline_delimited', "
                              "records=true, maximum_object_size=%" PRIu64 ", columns={%s})) "
                              "TO '%s' (FORMAT parquet, USE_TMP_FILE false)",
                              sel.data, in.path, maxobj, types.data, out.path);
    if (!rc)
        rc = run_insert(d, sql.data, jsonl, NULL);
    if (!rc && fsync(out.fd) != 0)
        rc = dltc__error_set(DLTC_EIO, "%s: fsync: %s", parquet, strerror(errno));
    dltc__duckdb_close(d);
    fd_path_close(&in);
    fd_path_close(&out);
    dltc__buf_free(&ins);
    dltc__buf_free(&sel);
    dltc__buf_free(&types);
    dltc__buf_free(&sql);
    return rc;
}

/* ---- the destination interface (load/destination.h) ---- */

static int op_exec(dltc_dest *d, const char *sql)
{
    return dltc__duckdb_exec((dltc_duckdb *)d, sql);
}

static int op_query(dltc_dest *d, const char *sql, dltc_rows **out)
{
    return dltc__duckdb_query((dltc_duckdb *)d, sql, out);
}

static int op_table_columns(dltc_dest *d, const char *dataset, const char *table, char ***names,
                            size_t *n, int *exists)
{
    return dltc__duckdb_table_columns((dltc_duckdb *)d, dataset, table, names, n, exists);
}

static int op_load_file(dltc_dest *d, const char *dataset, const dltc_table *t, const char *path,
                        const char *format, unsigned flags, uint64_t *rows)
{
    (void)flags; /* each file is one INSERT … SELECT */
    return dltc__duckdb_load_file((dltc_duckdb *)d, dataset, t, path, format, rows);
}

static void op_close(dltc_dest *d)
{
    dltc__duckdb_close((dltc_duckdb *)d);
}

/* A streamed query (DuckDB computes chunks on demand) read up to max_rows rows, then one
 * more to know whether there were more. Prepared: one statement only. */
static int op_query_limited(dltc_dest *dd, const char *sql, size_t max_rows, dltc_rows **out,
                            int *truncated)
{
    dltc_duckdb *d = (dltc_duckdb *)dd;
    dltc_duckdb_stream *s = NULL;
    dltc_rows *rows = NULL, *more = NULL;
    int trunc = 0;
    *out = NULL;
    int rc = dltc__duckdb_stream_open(&s, d, sql);
    if (!rc)
        rc = max_rows ? dltc__duckdb_stream_next(s, max_rows, &rows) : DLTC_ITEROVER;
    if (rc == DLTC_ITEROVER) { /* no rows (or none asked for): the columns only */
        rc = dltc__rows_new(&rows, s->ncols);
        for (idx_t c = 0; !rc && c < s->ncols; c++)
            rc = dltc__rows_set_column(rows, c, dltc_rows_column_name(s->header, c),
                                       dltc_rows_column_type(s->header, c));
    }
    if (!rc) {
        rc = dltc__duckdb_stream_next(s, 1, &more);
        trunc = rc == 0;
        rc = rc == DLTC_ITEROVER ? 0 : rc;
    }
    dltc_rows_free(more);
    dltc__duckdb_stream_close(s);
    if (rc) {
        dltc_rows_free(rows);
        return rc;
    }
    if (truncated)
        *truncated = trunc;
    *out = rows;
    return 0;
}

static const dltc_dest_ops duckdb_ops = {"duckdb",         DLTC_SQL_DUCKDB, op_exec,
                                         op_query,         op_table_columns, op_load_file,
                                         op_close,         op_query_limited};

int dltc__duckdb_dest_lock_down(dltc_dest *dd, const char *allowed_dir)
{
    dltc_duckdb *d = (dltc_duckdb *)dd;
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    if (allowed_dir) { /* a prefix: with its '/', a sibling "<dir>2" is not allowed */
        size_t n = strlen(allowed_dir);
        rc = dltc__buf_puts(&b, "SET allowed_directories = [");
        dltc_buf dir = DLTC_BUF_INIT;
        if (!rc)
            rc = dltc__buf_printf(&dir, "%s%s", allowed_dir,
                                  n && allowed_dir[n - 1] == '/' ? "" : "/");
        if (!rc)
            rc = dltc__sql_string(&b, dir.data, dir.len);
        dltc__buf_free(&dir);
        if (!rc)
            rc = dltc__buf_puts(&b, "]; ");
    }
    if (!rc)
        rc = dltc__buf_puts(&b, "SET enable_external_access = false; "
                                "SET lock_configuration = true");
    if (!rc)
        rc = dltc__duckdb_exec(d, b.data);
    if (rc)
        dltc__error_prefix("duckdb: %s: locking the read-only connection: ", d->path);
    dltc__buf_free(&b);
    return rc;
}

int dltc__duckdb_dest_open(dltc_dest **out, const char *path, dltc_dest_purpose purpose)
{
    dltc_duckdb *d = NULL;
    int rc = purpose == DLTC_DEST_LOAD ? dltc__duckdb_open_wait(&d, path, dltc__duckdb_lock_timeout())
             : purpose == DLTC_DEST_READ_ONLY ? open_db(&d, path, 0, 1)
                                              : dltc__duckdb_open(&d, path);
    if (!rc && purpose == DLTC_DEST_LOAD)
        rc = dltc__duckdb_prepare_load(d);
    /* MotherDuck is reached over the network: its external access stays on (it is still
     * opened READ_ONLY and its configuration locked) */
    if (!rc && purpose == DLTC_DEST_READ_ONLY && path && strncmp(path, "md:", 3) == 0)
        rc = dltc__duckdb_exec(d, "SET lock_configuration = true");
    else if (!rc && purpose == DLTC_DEST_READ_ONLY)
        rc = dltc__duckdb_dest_lock_down(&d->base, NULL);
    if (rc) {
        dltc__duckdb_close(d);
        return rc;
    }
    *out = &d->base;
    return 0;
}
