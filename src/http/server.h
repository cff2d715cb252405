/* http/server.h — the running server: MHD daemon plus the shared context every
 * request sees through req->srv. Owns: daemon lifecycle, the per-request
 * pipeline (parse → route → authenticate → body → handler → respond → log). */
#ifndef PAIL_HTTP_SERVER_H
#define PAIL_HTTP_SERVER_H

#include "auth/auth.h"
#include "core/err.h"

struct pail_meta;
struct pail_data;
struct pail_reaper;

struct pail_server {
    struct pail_meta *meta;
    struct pail_data *data;
    struct pail_reaper *reaper; /* removes released blobs after commits */
    struct pail_creds creds;
    const char *region;       /* "us-east-1" */
    const char *listen;       /* "127.0.0.1:9000" */
    void *daemon;             /* struct MHD_Daemon * */
};

/* Starts listening on srv->listen; PAIL_OK or InternalError (logged). */
enum pail_err pail_server_start(struct pail_server *srv);
/* Stops accepting, waits for requests in flight, closes the daemon. */
void pail_server_stop(struct pail_server *srv);

#endif
