/* http/server.h — the running server: the MHD daemon and the services every
 * request sees through req->svc. Owns: the daemon's lifecycle, feeding each
 * request through s3/pipeline.h (begin → body → run → respond) and its
 * access-log line. */
#ifndef PAIL_HTTP_SERVER_H
#define PAIL_HTTP_SERVER_H

#include "core/err.h"
#include "s3/services.h"

struct pail_server {
    struct pail_services svc; /* what requests use */
    const char *listen;       /* "127.0.0.1:9000" */
    const char *website_listen; /* NULL, or a port where every request is a
                                   static-website request (s3/website.h) */
    void *daemon;             /* struct MHD_Daemon * */
    void *website_daemon;
};

/* Starts listening on srv->listen (and website_listen); PAIL_OK or
 * InternalError (logged). */
enum pail_err pail_server_start(struct pail_server *srv);
/* Stops accepting, waits for requests in flight, closes the daemon. */
void pail_server_stop(struct pail_server *srv);
/* Requests begun (request line read) and not yet done, across listeners. */
int pail_server_in_flight(void);

#endif
