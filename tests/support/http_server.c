/* The test HTTP server (see http_server.h). Built only into test executables. */
#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#define TS_MAX_PATHS 64
#define TS_MAX_REPLIES 8

typedef struct {
    char path[256];
    ts_http_reply replies[TS_MAX_REPLIES];
    size_t n;
    unsigned hits;
    char seen[TS_MAX_REPLIES][512]; /* the first requests: "a=1&b=2" + " BODY <body>" */
    char seen_headers[TS_MAX_REPLIES][1024]; /* and their headers, "Name: value\n" each */
} ts_route;

struct ts_http_server {
    struct MHD_Daemon *d;
    unsigned short port;
    pthread_mutex_t mu;
    ts_route routes[TS_MAX_PATHS];
    size_t n_routes;
    unsigned connections;
    volatile int stopping;
};

/* growable text for echo and uploads */
typedef struct {
    char *data;
    size_t len, cap;
} ts_text;

static void text_put(ts_text *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->data = realloc(t->data, cap);
        t->cap = cap;
    }
    memcpy(t->data + t->len, p, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_puts(ts_text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

typedef struct {
    ts_text upload;
} ts_request;

static ts_route *find_route(ts_http_server *s, const char *path, int create)
{
    for (size_t i = 0; i < s->n_routes; i++)
        if (!strcmp(s->routes[i].path, path))
            return &s->routes[i];
    if (!create || s->n_routes == TS_MAX_PATHS)
        return NULL;
    ts_route *r = &s->routes[s->n_routes++];
    memset(r, 0, sizeof(*r));
    snprintf(r->path, sizeof(r->path), "%s", path);
    return r;
}

static enum MHD_Result echo_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    ts_text *t = cls;
    text_puts(t, kind == MHD_HEADER_KIND ? "HEADER " : "ARG ");
    text_puts(t, key);
    text_puts(t, kind == MHD_HEADER_KIND ? ": " : "=");
    if (value)
        text_puts(t, value);
    text_puts(t, "\n");
    return MHD_YES;
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    ts_text *t = cls;
    (void)kind;
    if (t->len)
        text_puts(t, "&");
    text_puts(t, key);
    text_puts(t, "=");
    if (value)
        text_puts(t, value);
    return MHD_YES;
}

static enum MHD_Result header_line(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    ts_text *t = cls;
    (void)kind;
    text_puts(t, key);
    text_puts(t, ": ");
    if (value)
        text_puts(t, value);
    text_puts(t, "\n");
    return MHD_YES;
}

static void gzip_bytes(const char *in, size_t n, ts_text *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    out->data = malloc(cap);
    out->cap = cap;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    out->len = cap - z.avail_out;
    deflateEnd(&z);
}

/* body of a dropped reply: half of `len` bytes, then an error that closes the connection */
typedef struct {
    char *data;
    size_t half;
} ts_drop;

static ssize_t drop_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    ts_drop *d = cls;
    if (pos >= d->half)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = d->half - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, d->data + pos, n);
    return (ssize_t)n;
}

static void drop_free(void *cls)
{
    ts_drop *d = cls;
    free(d->data);
    free(d);
}

static void add_headers(struct MHD_Response *resp, const char *headers)
{
    if (!headers)
        return;
    char line[1024];
    for (const char *p = headers; *p;) {
        size_t n = strcspn(p, "\n");
        if (n < sizeof(line)) {
            memcpy(line, p, n);
            line[n] = '\0';
            char *colon = strchr(line, ':');
            if (colon) {
                *colon = '\0';
                const char *v = colon + 1;
                while (*v == ' ')
                    v++;
                MHD_add_response_header(resp, line, v);
            }
        }
        p += n;
        if (*p == '\n')
            p++;
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    ts_http_server *s = cls;
    (void)version;
    if (!*con_cls) {
        *con_cls = calloc(1, sizeof(ts_request));
        return MHD_YES;
    }
    ts_request *rq = *con_cls;
    if (*upload_data_size) {
        text_put(&rq->upload, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    ts_http_reply reply = {0};
    reply.echo = 1;
    ts_text seen = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, &seen);
    if (rq->upload.len) {
        text_puts(&seen, " BODY ");
        text_put(&seen, rq->upload.data, rq->upload.len);
    }
    ts_text hdrs = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, header_line, &hdrs);
    pthread_mutex_lock(&s->mu);
    ts_route *route = find_route(s, url, 1);
    if (route) {
        if (route->n)
            reply = route->replies[route->hits < route->n ? route->hits : route->n - 1];
        if (route->hits < TS_MAX_REPLIES) {
            snprintf(route->seen[route->hits], sizeof(route->seen[0]), "%s",
                     seen.data ? seen.data : "");
            snprintf(route->seen_headers[route->hits], sizeof(route->seen_headers[0]), "%s",
                     hdrs.data ? hdrs.data : "");
        }
        route->hits++;
    }
    free(seen.data);
    free(hdrs.data);
    pthread_mutex_unlock(&s->mu);

    for (unsigned waited = 0; waited < reply.delay_ms && !s->stopping; waited += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }

    ts_text body = {0};
    if (reply.echo) {
        text_puts(&body, "METHOD ");
        text_puts(&body, method);
        text_puts(&body, "\nPATH ");
        text_puts(&body, url);
        text_puts(&body, "\n");
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, echo_arg, &body);
        MHD_get_connection_values(conn, MHD_HEADER_KIND, echo_arg, &body);
        text_puts(&body, "BODY ");
        if (rq->upload.len)
            text_put(&body, rq->upload.data, rq->upload.len);
    } else {
        const char *b = reply.body ? reply.body : "";
        size_t times = reply.repeat_body ? reply.repeat_body : 1;
        for (size_t i = 0; i < times; i++)
            text_puts(&body, b);
        if (!body.data)
            text_put(&body, "", 0);
    }
    if (reply.gzip || reply.fault == TS_FAULT_GZIP_TRUNCATED) {
        ts_text z = {0};
        gzip_bytes(body.data, body.len, &z);
        free(body.data);
        body = z;
        if (reply.fault == TS_FAULT_GZIP_TRUNCATED)
            body.len /= 2;
    }

    struct MHD_Response *resp;
    if (reply.fault == TS_FAULT_DROP) {
        ts_drop *d = malloc(sizeof(*d));
        d->data = body.data;
        d->half = body.len / 2;
        resp = MHD_create_response_from_callback(body.len, 1024, drop_reader, d, drop_free);
    } else {
        resp = MHD_create_response_from_buffer(body.len, body.data, MHD_RESPMEM_MUST_COPY);
        free(body.data);
    }
    if (reply.gzip || reply.fault == TS_FAULT_GZIP_TRUNCATED)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    add_headers(resp, reply.headers);
    enum MHD_Result ret = MHD_queue_response(conn, reply.status ? (unsigned)reply.status : 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    ts_request *rq = *con_cls;
    if (rq) {
        free(rq->upload.data);
        free(rq);
    }
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    ts_http_server *s = cls;
    (void)conn;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&s->mu);
        s->connections++;
        pthread_mutex_unlock(&s->mu);
    }
}

ts_http_server *ts_http_server_start(void)
{
    ts_http_server *s = calloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = 0;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                            NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!s->d) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s;
}

unsigned short ts_http_server_port(const ts_http_server *s)
{
    return s->port;
}

void ts_http_server_url(const ts_http_server *s, const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "http://127.0.0.1:%u%s", (unsigned)s->port, path);
}

void ts_http_server_script(ts_http_server *s, const char *path, const ts_http_reply *replies,
                           size_t n)
{
    pthread_mutex_lock(&s->mu);
    ts_route *r = find_route(s, path, 1);
    if (r) {
        r->n = n < TS_MAX_REPLIES ? n : TS_MAX_REPLIES;
        memcpy(r->replies, replies, r->n * sizeof(*replies));
        r->hits = 0;
    }
    pthread_mutex_unlock(&s->mu);
}

unsigned ts_http_server_hits(ts_http_server *s, const char *path)
{
    pthread_mutex_lock(&s->mu);
    ts_route *r = find_route(s, path, 0);
    unsigned n = r ? r->hits : 0;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void ts_http_server_request(ts_http_server *s, const char *path, unsigned k, char *buf,
                            size_t size)
{
    pthread_mutex_lock(&s->mu);
    ts_route *r = find_route(s, path, 0);
    snprintf(buf, size, "%s", r && k < r->hits && k < TS_MAX_REPLIES ? r->seen[k] : "?");
    pthread_mutex_unlock(&s->mu);
}

void ts_http_server_request_header(ts_http_server *s, const char *path, unsigned k,
                                   const char *name, char *buf, size_t size)
{
    size_t nl = strlen(name);
    buf[0] = '\0';
    pthread_mutex_lock(&s->mu);
    ts_route *r = find_route(s, path, 0);
    const char *h = r && k < r->hits && k < TS_MAX_REPLIES ? r->seen_headers[k] : "";
    for (const char *line = h; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nl + 1 && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(buf, size, "%.*s", (int)(len - (size_t)(v - line)), v);
            break;
        }
        line += len + (end ? 1 : 0);
    }
    pthread_mutex_unlock(&s->mu);
}

unsigned ts_http_server_connections(ts_http_server *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = s->connections;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void ts_http_server_stop(ts_http_server *s)
{
    if (!s)
        return;
    s->stopping = 1;
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
