/* The pipeline's destination: which one, where (from the options, else from config and
 * secrets as dlt resolves destination credentials), how it is shown (never with a password),
 * and opening it. */
#include "pipeline/pipeline_impl.h"
#include "dltc/config.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "load/filesystem.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *absolute(const char *path)
{
    if (path[0] == '/')
        return dltc__strdup(path);
    const char *local = getenv("DLT_LOCAL_DIR");
    char cwd[PATH_MAX];
    if (local && *local)
        snprintf(cwd, sizeof(cwd), "%s", local);
    else if (!getcwd(cwd, sizeof(cwd)))
        return NULL;
    dltc_buf b = DLTC_BUF_INIT;
    if (dltc__buf_printf(&b, "%s/%s", cwd, path)) {
        dltc__buf_free(&b);
        return NULL;
    }
    return dltc__buf_detach(&b);
}

/* destination.<type>.credentials from the providers (NULL *v when none is configured). */
static int config_credentials(const char *pipeline, const char *type,
                              const dltc_config_field *fields, size_t n, const char *spec,
                              dltc_config **cfg, const dltc_value **v)
{
    *v = NULL;
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.pipeline_name = pipeline;
    int rc = dltc_config_open(cfg, &co);
    const char *const sections[] = {"destination", type, NULL};
    if (!rc)
        rc = dltc_config_get_credentials(v, *cfg, sections, fields, n, spec);
    return rc;
}

/* DuckDB: a path, a duckdb:/// URL or ":pipeline:" in destination.duckdb.credentials, or its
 * `database` field (DuckDbCredentials); default <pipeline>.duckdb in the current dir. */
static int duckdb_location(dltc_pipeline *p, const char *given)
{
    static const dltc_config_field fields[] = {{"database", DLTC_TYPE_STRING, 0, 1}};
    dltc_config *cfg = NULL;
    const dltc_value *v = NULL;
    int rc = 0;
    if (!given) {
        rc = config_credentials(p->name, "duckdb", fields, 1, "DuckDbCredentials", &cfg, &v);
        if (rc == DLTC_ENOTFOUND) {
            dltc_error_clear();
            rc = 0;
            v = NULL;
        }
        if (!rc && v && v->type == DLTC_TYPE_OBJECT)
            v = dltc_object_get(v, "database");
        if (!rc && v && v->type == DLTC_TYPE_STRING && v->len)
            given = v->u.s;
        else if (!rc && v && v->type != DLTC_TYPE_NULL && v->type != DLTC_TYPE_OBJECT)
            rc = dltc__error_set(DLTC_EINVALID, "destination.duckdb.credentials: a path or a "
                                                "duckdb:/// URL is expected");
    }
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc) {
        if (!given)
            rc = dltc__buf_printf(&b, "%s.duckdb", p->name);
        else if (strcmp(given, ":pipeline:") == 0)
            rc = dltc__buf_printf(&b, "%s/%s.duckdb", p->working_dir, p->name);
        else
            rc = dltc__buf_puts(&b, strncmp(given, "duckdb:///", 10) == 0 ? given + 10 : given);
    }
    if (!rc) {
        p->location = absolute(b.data);
        rc = p->location ? dltc__buf_printf(&p->display, "duckdb:///%s", p->location)
                         : dltc__error_oom();
    }
    dltc__buf_free(&b);
    dltc_config_free(cfg);
    return rc;
}

/* A libpq keyword value, quoted ('…' with \ and ' escaped). */
static int put_kv(dltc_buf *b, const char *key, const char *value)
{
    int rc = dltc__buf_printf(b, "%s%s='", b->len ? " " : "", key);
    for (const char *s = value; *s && !rc; s++) {
        if (*s == '\'' || *s == '\\')
            rc = dltc__buf_putc(b, '\\');
        if (!rc)
            rc = dltc__buf_putc(b, *s);
    }
    return rc ? rc : dltc__buf_putc(b, '\'');
}

/* A URL as dlt shows credentials: the password (user:password@) as ***. */
static int display_url(dltc_buf *out, const char *url)
{
    const char *auth = strstr(url, "://");
    auth = auth ? auth + 3 : url;
    size_t alen = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', alen);
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon)
        return dltc__buf_puts(out, url);
    int rc = dltc__buf_put(out, url, (size_t)(colon + 1 - url));
    if (!rc)
        rc = dltc__buf_puts(out, "***");
    return rc ? rc : dltc__buf_puts(out, at);
}

/* Postgres: a postgresql:// (or postgres://) URL in destination.postgres.credentials, or the
 * fields of PostgresCredentials (database, username, password, host, port=5432,
 * connect_timeout=15). Shown as dlt shows it: postgresql://user:***@host:port/database. */
static int postgres_location(dltc_pipeline *p, const char *given)
{
    static const dltc_config_field fields[] = {
        {"database", DLTC_TYPE_STRING, 0, 0}, {"username", DLTC_TYPE_STRING, 0, 0},
        {"password", DLTC_TYPE_STRING, 1, 1}, {"host", DLTC_TYPE_STRING, 0, 0},
        {"port", DLTC_TYPE_INT, 0, 1},        {"connect_timeout", DLTC_TYPE_INT, 0, 1}};
    dltc_config *cfg = NULL;
    const dltc_value *v = NULL;
    int rc = 0;
    if (!given) {
        rc = config_credentials(p->name, "postgres", fields, 6, "PostgresCredentials", &cfg, &v);
        if (!rc && v->type == DLTC_TYPE_STRING)
            given = v->u.s;
        else if (!rc && v->type != DLTC_TYPE_OBJECT)
            rc = dltc__error_set(DLTC_EINVALID, "destination.postgres.credentials: a "
                                                "postgresql:// URL or a table of fields is "
                                                "expected");
    }
    dltc_buf b = DLTC_BUF_INIT;
    if (!rc && given) {
        if (strncmp(given, "postgresql://", 13) && strncmp(given, "postgres://", 11))
            rc = dltc__error_set(DLTC_EINVALID, "postgres credentials: a postgresql:// URL is "
                                                "expected");
        if (!rc)
            rc = dltc__buf_puts(&b, given);
        if (!rc)
            rc = display_url(&p->display, given);
    } else if (!rc) {
        const dltc_value *port = dltc_object_get(v, "port");
        const dltc_value *ct = dltc_object_get(v, "connect_timeout");
        const dltc_value *pw = dltc_object_get(v, "password");
        char num[32];
        rc = put_kv(&b, "host", dltc_object_get(v, "host")->u.s);
        snprintf(num, sizeof num, "%lld", port ? (long long)port->u.i : 5432LL);
        if (!rc)
            rc = put_kv(&b, "port", num);
        if (!rc)
            rc = put_kv(&b, "dbname", dltc_object_get(v, "database")->u.s);
        if (!rc)
            rc = put_kv(&b, "user", dltc_object_get(v, "username")->u.s);
        if (!rc && pw)
            rc = put_kv(&b, "password", pw->u.s);
        snprintf(num, sizeof num, "%lld", ct ? (long long)ct->u.i : 15LL);
        if (!rc)
            rc = put_kv(&b, "connect_timeout", num);
        if (!rc)
            rc = dltc__buf_printf(&p->display, "postgresql://%s%s@%s:%lld/%s",
                                  dltc_object_get(v, "username")->u.s, pw ? ":***" : "",
                                  dltc_object_get(v, "host")->u.s,
                                  port ? (long long)port->u.i : 5432LL,
                                  dltc_object_get(v, "database")->u.s);
    }
    if (!rc && !(p->location = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    dltc_config_free(cfg);
    return rc;
}

/* A query parameter value, percent-encoded. */
static int put_query_value(dltc_buf *b, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (const unsigned char *s = (const unsigned char *)v; *s && !rc; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            *s == '-' || *s == '.' || *s == '_' || *s == '~') {
            rc = dltc__buf_putc(b, (char)*s);
        } else {
            char e[3] = {'%', hex[*s >> 4], hex[*s & 15]};
            rc = dltc__buf_put(b, e, 3);
        }
    }
    return rc;
}

/* MotherDuck: md:<database>?motherduck_token=<token> in destination.motherduck.credentials,
 * or its fields database (default my_db) and password (the token). Without a token
 * MotherDuck reads motherduck_token / MOTHERDUCK_TOKEN from the environment itself. The
 * connect string holds the token: it is registered as a secret and shown as ***. */
static int motherduck_location(dltc_pipeline *p, const char *given)
{
    static const dltc_config_field fields[] = {{"database", DLTC_TYPE_STRING, 0, 1},
                                               {"password", DLTC_TYPE_STRING, 1, 1}};
    dltc_config *cfg = NULL;
    const dltc_value *v = NULL;
    int rc = 0;
    const char *database = "my_db", *token = NULL;
    dltc_buf b = DLTC_BUF_INIT;
    if (!given) {
        rc = config_credentials(p->name, "motherduck", fields, 2, "MotherDuckCredentials", &cfg,
                                &v);
        if (rc == DLTC_ENOTFOUND) {
            dltc_error_clear();
            rc = 0;
            v = NULL;
        }
        if (!rc && v && v->type == DLTC_TYPE_STRING) {
            given = v->u.s;
        } else if (!rc && v && v->type == DLTC_TYPE_OBJECT) {
            const dltc_value *d = dltc_object_get(v, "database"), *t = dltc_object_get(v, "password");
            database = d && d->len ? d->u.s : database;
            token = t && t->len ? t->u.s : NULL;
        }
    }
    if (!rc && given) {
        /* md:<db>?k=v, md:///<db>?token=…: the token (token or motherduck_token) is kept
         * apart from the other query parameters */
        if (strncmp(given, "md:", 3) != 0) {
            rc = dltc__error_set(DLTC_EINVALID, "motherduck credentials: an md:<database> URL "
                                                "is expected");
        } else {
            const char *db = given + 3;
            while (*db == '/')
                db++;
            size_t dl = strcspn(db, "?");
            if (!dl)
                rc = dltc__error_set(DLTC_EINVALID, "motherduck credentials: no database in the "
                                                    "md: URL");
            if (!rc)
                rc = dltc__buf_put(&b, "md:", 3);
            if (!rc)
                rc = dltc__buf_put(&b, db, dl);
            const char *q = db[dl] == '?' ? db + dl + 1 : NULL;
            int first = 1;
            while (!rc && q && *q) {
                size_t n = strcspn(q, "&");
                int is_token = (n > 6 && strncmp(q, "token=", 6) == 0) ||
                               (n > 17 && strncmp(q, "motherduck_token=", 17) == 0);
                if (is_token) {
                    const char *val = memchr(q, '=', n) + 1;
                    char tok[4096];
                    size_t tl = (size_t)(q + n - val);
                    snprintf(tok, sizeof tok, "%.*s", (int)tl, val);
                    rc = dltc__secret_register(tok);
                    if (!rc)
                        rc = dltc__buf_printf(&b, "%cmotherduck_token=%s", first ? '?' : '&', tok);
                } else {
                    rc = dltc__buf_printf(&b, "%c%.*s", first ? '?' : '&', (int)n, q);
                }
                first = 0;
                q = q[n] ? q + n + 1 : NULL;
            }
        }
    } else if (!rc) {
        rc = dltc__buf_puts(&b, "md:");
        if (!rc)
            rc = dltc__buf_puts(&b, database);
        if (!rc && token) {
            rc = dltc__buf_puts(&b, "?motherduck_token=");
            if (!rc)
                rc = put_query_value(&b, token);
        }
    }
    if (!rc && !(p->location = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    if (!rc) { /* shown without the token */
        const char *q = strchr(p->location, '?');
        rc = dltc__buf_put(&p->display, p->location,
                           q ? (size_t)(q - p->location) : strlen(p->location));
        if (!rc && q && strstr(q, "motherduck_token="))
            rc = dltc__buf_puts(&p->display, "?motherduck_token=***");
    }
    dltc__buf_free(&b);
    dltc_config_free(cfg);
    return rc;
}

/* Filesystem: bucket_url (the option, else destination.filesystem.bucket_url), layout,
 * max_state_files, normalize.data_writer.disable_compression. A local path is made absolute
 * and shown as a file:// URL, as dlt shows bucket_url. */
static int filesystem_location(dltc_pipeline *p, const char *given)
{
    dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
    co.pipeline_name = p->name;
    dltc_config *cfg = NULL;
    int rc = dltc_config_open(&cfg, &co);
    static const char *const fs[] = {"destination", "filesystem", NULL};
    static const char *const dw[] = {"normalize", "data_writer", NULL};
    const char *v = NULL;
    if (!rc && !given && !(rc = dltc_config_get_string(&v, cfg, fs, "bucket_url", 0)))
        given = v;
    if (!rc && dltc_config_get_string(&v, cfg, fs, "layout", 0) == 0 &&
        !(p->fs_layout = dltc__strdup(v)))
        rc = dltc__error_oom();
    int64_t max = DLTC_FS_MAX_STATE_FILES;
    int off = 0;
    if (!rc && dltc_config_get_int(&max, cfg, fs, "max_state_files", 0) == DLTC_EINVALID)
        rc = DLTC_EINVALID;
    if (!rc && dltc_config_get_bool(&off, cfg, dw, "disable_compression", 0) == DLTC_EINVALID)
        rc = DLTC_EINVALID;
    if (!rc)
        dltc_error_clear();
    p->fs_max_state_files = (int)max;
    p->fs_compression = !off;
    if (!rc) {
        const char *path = strncmp(given, "file://", 7) == 0 ? given + 7 : given;
        p->location = strstr(given, "://") && path == given ? dltc__strdup(given)
                                                            : absolute(path);
        rc = p->location ? 0 : dltc__error_oom();
        if (!rc)
            rc = strstr(p->location, "://") ? dltc__buf_puts(&p->display, p->location)
                                            : dltc__buf_printf(&p->display, "file://%s",
                                                               p->location);
    }
    if (!rc) { /* bucket scheme, dataset and layout checked now, not at the first load */
        dltc_fs_options o;
        dltc__pipeline_fs_options(p, &o);
        rc = dltc__fs_check_options(&o);
    }
    dltc_config_free(cfg);
    return rc;
}

static void fs_warning(const char *message, void *payload)
{
    (void)payload;
    dltc__log(DLTC_LOG_WARNING, "%s", message);
}

void dltc__pipeline_fs_options(dltc_pipeline *p, void *fs_options)
{
    dltc_fs_options d = DLTC_FS_OPTIONS_INIT, *o = fs_options;
    *o = d;
    o->bucket_url = p->location;
    o->dataset = p->dataset;
    o->layout = p->fs_layout;
    o->compression = p->fs_compression;
    o->pipeline_name = p->name;
    o->max_state_files = p->fs_max_state_files;
    o->on_warning = fs_warning;
}

static int fs_check_table(const char *name, void *payload)
{
    dltc_pipeline *p = payload;
    dltc_fs_options o;
    dltc__pipeline_fs_options(p, &o);
    return dltc__fs_check_table(&o, p->schema_name, name);
}

void dltc__pipeline_schema_checks(dltc_pipeline *p, dltc_schema *s)
{
    if (strcmp(p->destination, "filesystem") == 0) {
        s->check_table = fs_check_table;
        s->check_table_payload = p;
    }
}

int dltc__pipeline_resolve_destination(dltc_pipeline *p, const char *credentials)
{
    int rc = strcmp(p->destination, "filesystem") == 0 ? filesystem_location(p, credentials)
             : strcmp(p->destination, "postgres") == 0 ? postgres_location(p, credentials)
             : strcmp(p->destination, "motherduck") == 0 ? motherduck_location(p, credentials)
                                                         : duckdb_location(p, credentials);
    if (rc)
        dltc__error_prefix("pipeline %s: destination %s: ", p->name, p->destination);
    if (rc == DLTC_ENOTFOUND) {
        /* credentials not configured: as in dlt, only what needs the destination fails
         * (trace, info, drop-pending-packages work without them) */
        if (!(p->dest_error = dltc__strdup(dltc_error_last()->message)))
            return dltc__error_oom();
        p->dest_error_code = rc;
        dltc_error_clear();
        dltc__free(p->location);
        p->location = NULL;
        return 0;
    }
    return rc;
}

int dltc__pipeline_destination_ready(dltc_pipeline *p)
{
    return p->dest_error ? dltc__error_set(p->dest_error_code, "%s", p->dest_error) : 0;
}

int dltc__pipeline_dest_open(dltc_pipeline *p, dltc_dest_purpose purpose, dltc_dest **out)
{
    *out = NULL;
    int rc = dltc__pipeline_destination_ready(p);
    if (rc)
        return rc;
    if (strcmp(p->destination, "filesystem") == 0) {
        if (purpose != DLTC_DEST_READ)
            return dltc__error_set(DLTC_EINVALID, "the filesystem destination is read through "
                                                  "views only");
        dltc_fs_options o;
        dltc__pipeline_fs_options(p, &o);
        return dltc__fs_views_open(out, &o);
    }
    /* never create a DuckDB file just to look into it */
    if (purpose == DLTC_DEST_READ && strcmp(p->destination, "duckdb") == 0 &&
        access(p->location, F_OK) != 0)
        return 0;
    return dltc__dest_open(out, p->destination, p->location, purpose);
}
