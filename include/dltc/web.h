/*
 * The local dashboard of a pipeline (`dlt pipeline NAME show`): a small web app served on
 * 127.0.0.1 only, with pages for the pipeline overview, the schema, the tables' data, a
 * read-only SQL box, the load history, the last trace and the failed jobs.
 *
 * The server binds one port on 127.0.0.1 and nothing else. Every API request must carry the
 * random session token of the URL handed to on_ready (the page sends it as X-Dltc-Token);
 * the Host header must name 127.0.0.1 or localhost with the bound port. The page is plain
 * HTML/CSS/JS compiled into the library. Secrets (passwords, tokens, keys, credentials in
 * connection strings) never leave the process: answers are redacted.
 *
 * libmicrohttpd is loaded with dlopen when a server starts ($DLTC_MHD_LIB overrides the
 * library path); nothing else in libdltc needs it.
 */
#ifndef DLTC_WEB_H
#define DLTC_WEB_H

#include "dltc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dltc_pipeline;

/* Called once the port is bound, with the URL to open ("http://127.0.0.1:PORT/?token=…");
 * the URL is lent for the duration of the call. */
typedef void (*dltc_web_ready_fn)(const char *url, void *payload);
/* Polled about every 100 ms while serving: return nonzero to stop the server. */
typedef int (*dltc_web_stop_fn)(void *payload);

typedef struct {
    unsigned int version;      /* DLTC_WEB_OPTIONS_VERSION */
    unsigned int port;         /* 0: a free port chosen by the system */
    size_t max_query_rows;     /* row limit of the SQL box; 0: 1000 */
    dltc_web_ready_fn on_ready;/* may be NULL */
    dltc_web_stop_fn should_stop; /* NULL: serve until the process ends */
    void *payload;             /* passed to both callbacks */
} dltc_web_options;

#define DLTC_WEB_OPTIONS_VERSION 1
#define DLTC_WEB_OPTIONS_INIT {DLTC_WEB_OPTIONS_VERSION, 0, 0, NULL, NULL, NULL}

/* Serve the dashboard of `p` until should_stop returns nonzero, then release everything and
 * return 0. The pipeline is lent and used only from the calling thread (requests are
 * answered one at a time in this thread). DLTC_ENETWORK when the port cannot be bound or
 * libmicrohttpd cannot be loaded, DLTC_EINVALID for bad options. */
DLTC_EXTERN int dltc_web_serve(struct dltc_pipeline *p, const dltc_web_options *opts);

#ifdef __cplusplus
}
#endif
#endif
