/* The MotherDuck destination (registry.h): DuckDB with an md: database, which DuckDB's
 * motherduck extension connects; the token comes from the options or config as dlt resolves
 * MotherDuckCredentials. */
#include "load/destinations/registry.h"
#include "formats/value.h"
#include "common/alloc.h"
#include "common/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* md:<database>?motherduck_token=<token> in destination.motherduck.credentials, or its
 * fields database (default my_db) and password (the token). Without a token
 * MotherDuck reads motherduck_token / MOTHERDUCK_TOKEN from the environment itself. The
 * connect string holds the token: it is registered as a secret and shown as ***. */
static int resolve(dltc_dest_resolved *out, const dltc_dest_target *t, const char *given)
{
    static const dltc_config_field fields[] = {{"database", DLTC_TYPE_STRING, 0, 1},
                                               {"password", DLTC_TYPE_STRING, 1, 1}};
    dltc_config *cfg = NULL;
    const dltc_value *v = NULL;
    int rc = 0;
    const char *database = "my_db", *token = NULL;
    dltc_buf b = DLTC_BUF_INIT;
    if (!given) {
        rc = dltc__dest_config_credentials(t->pipeline_name, "motherduck", fields, 2,
                                           "MotherDuckCredentials", &cfg, &v);
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
    if (!rc && !(out->location = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    if (!rc) { /* shown without the token */
        const char *q = strchr(out->location, '?');
        rc = dltc__buf_put(&out->display, out->location,
                           q ? (size_t)(q - out->location) : strlen(out->location));
        if (!rc && q && strstr(q, "motherduck_token="))
            rc = dltc__buf_puts(&out->display, "?motherduck_token=***");
    }
    dltc__buf_free(&b);
    dltc_config_free(cfg);
    return rc;
}

/* DLTC_MOTHERDUCK_STANDIN names a local DuckDB file to use instead: the whole load path is
 * then tested offline (this machine cannot reach MotherDuck). */
static int connect(dltc_dest **out, const char *location, dltc_dest_purpose purpose)
{
    const char *standin = getenv("DLTC_MOTHERDUCK_STANDIN");
    if (standin && *standin)
        return dltc__duckdb_dest_open(out, standin, purpose);
    int rc = dltc__duckdb_dest_open(out, location, purpose);
    if (rc)
        dltc__error_prefix("motherduck (needs DuckDB's motherduck extension and the network): ");
    return rc;
}

/* parquet first: dlt's preferred there, compact over the network. */
static const char *const FORMATS[] = {"parquet", "jsonl", "csv", "insert_values", NULL};

const dltc_destination dltc__motherduck_destination = {
    .name = "motherduck",
    .formats = FORMATS,
    .caps = DLTC_DESTCAP_SQL,
    .resolve = resolve,
    .connect = connect,
};
