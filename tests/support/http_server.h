/*
 * A small in-process HTTP server for tests (libmicrohttpd): 127.0.0.1, an ephemeral port, one
 * thread per connection. Each path gets a script of replies with optional faults; requests are
 * counted per path, connections are counted overall, and a reply can echo the request.
 */
#ifndef DLTC_TEST_HTTP_SERVER_H
#define DLTC_TEST_HTTP_SERVER_H

#include <stddef.h>

typedef enum {
    TS_FAULT_NONE = 0,
    TS_FAULT_DROP,          /* declare the full Content-Length, send half, close */
    TS_FAULT_GZIP_TRUNCATED /* Content-Encoding: gzip, a well-framed body holding half a stream */
} ts_fault;

typedef struct {
    int status;              /* 0 = 200 */
    const char *body;        /* NULL = "" (ignored with echo) */
    const char *headers;     /* extra headers, "Name: value" lines separated by '\n' */
    ts_fault fault;
    unsigned delay_ms;       /* wait before replying */
    int gzip;                /* gzip the body (Content-Encoding: gzip) */
    int echo;                /* body = the request as text (see below) */
    size_t repeat_body;      /* > 0: body repeated this many times (large responses) */
} ts_http_reply;

typedef struct ts_http_server ts_http_server;

/* Start on 127.0.0.1 with a kernel-chosen port; NULL on failure. */
ts_http_server *ts_http_server_start(void);
unsigned short ts_http_server_port(const ts_http_server *s);
/* "http://127.0.0.1:<port>" + path, in a static per-call-site buffer of the caller. */
void ts_http_server_url(const ts_http_server *s, const char *path, char *buf, size_t size);
/* Replies for `path` (without the query): the k-th request gets replies[min(k, n-1)]. The
 * array is copied (strings are borrowed and must outlive the server). Resets the hit count. */
void ts_http_server_script(ts_http_server *s, const char *path, const ts_http_reply *replies,
                           size_t n);
/* Requests received on `path`; connections accepted since start. */
unsigned ts_http_server_hits(ts_http_server *s, const char *path);
unsigned ts_http_server_connections(ts_http_server *s);
/* The k-th request (from 0, the first 8 since the script) on `path`: its decoded query
 * arguments "a=1&b=2", then " BODY <body>" when it had one; "?" when there is none. */
void ts_http_server_request(ts_http_server *s, const char *path, unsigned k, char *buf,
                            size_t size);
/* The value of request header `name` (any case) of the k-th request on `path` (the first 8);
 * "" when it had none. */
void ts_http_server_request_header(ts_http_server *s, const char *path, unsigned k,
                                   const char *name, char *buf, size_t size);
void ts_http_server_stop(ts_http_server *s);

/*
 * Echo format, one item a line:
 *   METHOD GET
 *   PATH /echo
 *   ARG <name>=<value>          (decoded query arguments, in order)
 *   HEADER <name>: <value>      (as received)
 *   BODY <bytes>                (last, may span lines)
 * Unscripted paths echo.
 */

#endif
