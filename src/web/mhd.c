/*
 * The dashboard's HTTP server over libmicrohttpd (the only includer of microhttpd.h).
 *
 * libmicrohttpd is loaded with dlopen on the first dltc_web_serve, not linked: no other
 * command needs it, and libdltc gains no dependency ($DLTC_MHD_LIB names another library).
 *
 * One listening socket, 127.0.0.1 only (MHD_OPTION_SOCK_ADDR), no IPv6, no other port. The
 * daemon runs in the caller's thread (external polling: MHD_run_wait), so every request is
 * answered in that thread, one at a time: the pipeline belongs to one thread.
 */
#include "dltc/web.h"
#include "common/dynlib.h"
#include "common/alloc.h"
#include "common/error.h"
#include "web/web.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DLTC_MHD_FUNCTIONS(X)          \
    X(MHD_start_daemon)                \
    X(MHD_stop_daemon)                 \
    X(MHD_run_wait)                    \
    X(MHD_get_daemon_info)             \
    X(MHD_lookup_connection_value)     \
    X(MHD_create_response_from_buffer) \
    X(MHD_add_response_header)         \
    X(MHD_queue_response)              \
    X(MHD_destroy_response)

#define DLTC_DECLARE(name) static __typeof__(name) *p_##name;
DLTC_MHD_FUNCTIONS(DLTC_DECLARE)
#undef DLTC_DECLARE

#ifndef DLTC_MHD_LIB_PATH
#define DLTC_MHD_LIB_PATH "libmicrohttpd.so.12"
#endif

static pthread_once_t g_load_once = PTHREAD_ONCE_INIT;
static char g_load_error[512];

static void load_library(void)
{
    static const char *const names[] = {DLTC_MHD_FUNCTIONS(DLTC_DYNLIB_NAME)};
    void **const slots[] = {DLTC_MHD_FUNCTIONS(DLTC_DYNLIB_SLOT)};
    dltc__dynlib_load("DLTC_MHD_LIB", DLTC_MHD_LIB_PATH, "libmicrohttpd", "libmicrohttpd12", names,
                      slots, sizeof(names) / sizeof(names[0]), g_load_error, sizeof(g_load_error));
}

static int ensure_library(void)
{
    pthread_once(&g_load_once, load_library);
    return g_load_error[0] ? dltc__error_set(DLTC_ENETWORK, "dashboard: %s", g_load_error) : 0;
}

/* Per-request state: the POST body as it arrives. */
typedef struct {
    dltc_buf body;
    int too_large;
} request_state;

/* Percent-decoding of the path and the query arguments in place. A %00 or a malformed
 * escape is kept as it is written, so that the path check sees the '%' and refuses it
 * (and a NUL never cuts a path short). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (r[0] == '%' && r[1] && r[2]) {
            int hi = r[1] >= '0' && r[1] <= '9'   ? r[1] - '0'
                     : (r[1] | 32) >= 'a' && (r[1] | 32) <= 'f' ? (r[1] | 32) - 'a' + 10
                                                               : -1;
            int lo = r[2] >= '0' && r[2] <= '9'   ? r[2] - '0'
                     : (r[2] | 32) >= 'a' && (r[2] | 32) <= 'f' ? (r[2] | 32) - 'a' + 10
                                                               : -1;
            if (hi >= 0 && lo >= 0 && (hi | lo)) {
                *w++ = (char)(hi * 16 + lo);
                r += 3;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
    return (size_t)(w - s);
}

static const char *get_arg(void *ctx, const char *name)
{
    return p_MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND,
                                         name);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return p_MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    dltc__web_app *app = cls;
    request_state *st = *con_cls;
    if (!st) {
        st = dltc__calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        st->body.limit = DLTC_WEB_BODY_MAX;
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!st->too_large && dltc__buf_put(&st->body, upload_data, *upload_data_size))
            st->too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    dltc__web_request rq = {0};
    rq.method = method;
    rq.path = url;
    rq.host = header(c, MHD_HTTP_HEADER_HOST);
    rq.origin = header(c, "Origin");
    rq.token = header(c, "X-Dltc-Token");
    rq.cookie = header(c, MHD_HTTP_HEADER_COOKIE);
    rq.query_token = get_arg(c, "token");
    rq.arg = get_arg;
    rq.arg_ctx = c;
    rq.body = st->body.data;
    rq.body_len = st->body.len;
    rq.body_too_large = st->too_large;
    dltc__web_response rs;
    dltc__web_handle(app, &rq, &rs);
    struct MHD_Response *resp =
        p_MHD_create_response_from_buffer(rs.len, (void *)rs.data, MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        dltc__web_response_free(&rs);
        return MHD_NO;
    }
    for (size_t i = 0; dltc__web_headers[i]; i += 2)
        p_MHD_add_response_header(resp, dltc__web_headers[i], dltc__web_headers[i + 1]);
    p_MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                              rs.content_type ? rs.content_type : "text/plain; charset=utf-8");
    p_MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                              rs.api ? "no-store" : "no-cache");
    if (rs.allow)
        p_MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rs.allow);
    if (rs.cookie[0])
        p_MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rs.cookie);
    enum MHD_Result ret = p_MHD_queue_response(c, (unsigned int)rs.status, resp);
    p_MHD_destroy_response(resp);
    dltc__web_response_free(&rs);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    request_state *st = *con_cls;
    if (st) {
        dltc__buf_free(&st->body);
        dltc__free(st);
        *con_cls = NULL;
    }
}

int dltc_web_serve(struct dltc_pipeline *p, const dltc_web_options *opts)
{
    static const dltc_web_options defaults = DLTC_WEB_OPTIONS_INIT;
    const dltc_web_options *o = opts ? opts : &defaults;
    if (o->version != DLTC_WEB_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "dashboard: options version %u not supported",
                               o->version);
    if (o->port > 65535)
        return dltc__error_set(DLTC_EINVALID, "dashboard: port %u is not a TCP port", o->port);
    int rc = ensure_library();
    if (rc)
        return rc;
    dltc__web_app app;
    rc = dltc__web_app_init(&app, p, o->port, o->max_query_rows);
    if (rc)
        return rc;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)o->port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = p_MHD_start_daemon(
        MHD_NO_FLAG, (uint16_t)o->port, NULL, NULL, on_request, &app, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sin, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_CONNECTION_LIMIT, 64u,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d)
        return dltc__error_set(DLTC_ENETWORK,
                               "dashboard: cannot listen on 127.0.0.1:%u (port in use?)",
                               o->port);
    const union MHD_DaemonInfo *info = p_MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    app.port = info ? info->port : o->port;
    if (!app.port) {
        p_MHD_stop_daemon(d);
        return dltc__error_set(DLTC_ENETWORK, "dashboard: the bound port is unknown");
    }
    if (o->on_ready) {
        char url[96];
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/?token=%s", app.port, app.token);
        o->on_ready(url, o->payload);
    }
    while (!(o->should_stop && o->should_stop(o->payload)))
        p_MHD_run_wait(d, 100);
    p_MHD_stop_daemon(d);
    memset(app.token, 0, sizeof(app.token));
    return 0;
}
