/* http/server.h — the running server: the doorman (http/doorman.h), the MHD
 * daemons it hands connections to, the watchdog over them
 * (http/watchdog.h), and the services every request sees through req->svc.
 * Owns: their lifecycle, each request's deadlines, feeding each request
 * through s3/pipeline.h (begin → body → run → respond) and its access-log
 * line. */
#ifndef PAIL_HTTP_SERVER_H
#define PAIL_HTTP_SERVER_H

#include "core/err.h"
#include "s3/services.h"

/* Connection limits and timeouts (the flags of `pail serve`). */
struct pail_http_limits {
    unsigned max_connections;  /* open at once; beyond: 503 SlowDown */
    size_t max_header_bytes;   /* request line + fields; beyond: 431 */
    unsigned header_timeout_s; /* a request line's start to its head's end */
    unsigned idle_timeout_s;   /* a keep-alive connection between requests */
    unsigned read_timeout_s;   /* a body (or a response) without a byte moving */
};

struct pail_doorman;
struct pail_watchdog;

struct pail_server {
    struct pail_services svc; /* what requests use */
    const char *listen;       /* "127.0.0.1:9000" */
    const char *website_listen; /* NULL, or a port where every request is a
                                   static-website request (s3/website.h) */
    const char *admin_listen;   /* NULL, or a port serving only pail's own
                                   paths (s3/pail_paths.c), metrics to anyone */
    const char *tls_listen;     /* NULL, or a port serving S3 over TLS with the
                                   certificate of http/tls.h (loaded first) */
    struct pail_http_limits limits;
    void *daemon;             /* struct MHD_Daemon * */
    void *website_daemon;
    void *admin_daemon;
    void *tls_daemon;
    struct pail_doorman *doorman;
    struct pail_watchdog *watchdog;
};

/* Starts listening on srv->listen (and website_listen, admin_listen) with srv->limits;
 * PAIL_OK or InternalError (logged). */
enum pail_err pail_server_start(struct pail_server *srv);
/* Stops accepting, waits for requests in flight, closes the daemon. */
void pail_server_stop(struct pail_server *srv);
/* Requests begun (request line read) and not yet done, across listeners. */
int pail_server_in_flight(void);
/* Connections open now (held by the doorman or served), 0 when stopped. */
unsigned pail_server_connections(void);

#endif
