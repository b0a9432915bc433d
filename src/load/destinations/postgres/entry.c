/* The Postgres destination's entry (registry.h): the libpq connection string from the
 * options or config as dlt resolves PostgresCredentials. The client is the rest of this
 * folder. */
#include "load/destinations/registry.h"
#include "formats/value.h"
#include "common/alloc.h"
#include "common/error.h"

#include <stdio.h>
#include <string.h>

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

/* A postgresql:// (or postgres://) URL in destination.postgres.credentials, or the fields
 * of PostgresCredentials (database, username, password, host, port=5432,
 * connect_timeout=15). Shown as dlt shows it: postgresql://user:***@host:port/database. */
static int resolve(dltc_dest_resolved *out, const dltc_dest_target *t, const char *given)
{
    static const dltc_config_field fields[] = {
        {"database", DLTC_TYPE_STRING, 0, 0}, {"username", DLTC_TYPE_STRING, 0, 0},
        {"password", DLTC_TYPE_STRING, 1, 1}, {"host", DLTC_TYPE_STRING, 0, 0},
        {"port", DLTC_TYPE_INT, 0, 1},        {"connect_timeout", DLTC_TYPE_INT, 0, 1}};
    dltc_config *cfg = NULL;
    const dltc_value *v = NULL;
    int rc = 0;
    if (!given) {
        rc = dltc__dest_config_credentials(t->pipeline_name, "postgres", fields, 6,
                                           "PostgresCredentials", &cfg, &v);
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
            rc = display_url(&out->display, given);
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
            rc = dltc__buf_printf(&out->display, "postgresql://%s%s@%s:%lld/%s",
                                  dltc_object_get(v, "username")->u.s, pw ? ":***" : "",
                                  dltc_object_get(v, "host")->u.s,
                                  port ? (long long)port->u.i : 5432LL,
                                  dltc_object_get(v, "database")->u.s);
    }
    if (!rc && !(out->location = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    dltc_config_free(cfg);
    return rc;
}

/* jsonl first: loaded as binary COPY (0.83 s for 1M rows, csv COPY 1.43 s, dlt's
 * insert_values 28-40 s; bench/RESULTS.md). No parquet reader in Postgres. */
static const char *const FORMATS[] = {"jsonl", "csv", "insert_values", NULL};

const dltc_destination dltc__postgres_destination = {
    .name = "postgres",
    .formats = FORMATS,
    .caps = DLTC_DESTCAP_SQL | DLTC_DESTCAP_OVERLAP,
    .resolve = resolve,
    .connect = dltc__postgres_open,
};
