/* http/doorman.h — every connection before libmicrohttpd sees it. Owns the
 * listening sockets and one accept thread per listener; the connection limit
 * (open connections are those the doorman holds plus those MHD serves;
 * beyond the limit a new one gets 503 SlowDown and is closed); the header
 * wait on one epoll thread, where a new connection's bytes are judged while
 * still unread (MSG_PEEK, http/head_scan.h: 400 for what is not HTTP/1.x or
 * breaks a raw-byte rule MHD would mangle, 431 over the header limit, closed
 * when the head is not complete within the header timeout); and the
 * hand-over of the socket, its head still unread, to the MHD daemon of its
 * listener (MHD_add_connection), which parses it as if it had accepted the
 * socket itself. Each refusal is a complete response, then a lingering close:
 * the doorman reads and drops what the client still sends for up to 2 s, so
 * that the client reads the answer rather than a reset. */
#ifndef PAIL_HTTP_DOORMAN_H
#define PAIL_HTTP_DOORMAN_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_doorman_config {
    unsigned max_connections;   /* open at once, held here or served by MHD */
    size_t max_header_bytes;    /* request line, fields and blank line */
    size_t max_header_fields;   /* field lines; beyond: 431 as for bytes */
    unsigned header_timeout_ms; /* from accept to the whole head received */
};

struct pail_doorman;

/* A doorman with no listener yet; NULL when out of memory or descriptors
 * (logged). The caller frees it with pail_doorman_free. */
struct pail_doorman *pail_doorman_new(const struct pail_doorman_config *cfg);
/* Binds and listens on "ADDR:PORT" ("[v6]:PORT"; ":PORT" for every IPv4
 * address); its connections go to mhd_daemon (struct MHD_Daemon *, started
 * with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC). tls: the daemon speaks
 * TLS, so only the first record's shape is judged here (the head inside is
 * ciphertext); plain HTTP sent there gets a plain-HTTP 400. At most four
 * listeners.
 * InvalidArgument for a bad address, InternalError when it cannot listen
 * (both logged). */
enum pail_err pail_doorman_listen(struct pail_doorman *d, const char *addr, void *mhd_daemon,
                                  bool tls);
/* Starts the accept threads and the header thread. */
enum pail_err pail_doorman_start(struct pail_doorman *d);
/* Connections open now: held here, or handed over and not yet closed. */
unsigned pail_doorman_open(struct pail_doorman *d);
/* MHD closed a connection the doorman handed it (NOTIFY_CONNECTION CLOSED). */
void pail_doorman_closed(struct pail_doorman *d);
/* Stops accepting: joins the threads, closes the listeners and every
 * connection still held. Connections handed to MHD stay MHD's. */
void pail_doorman_stop(struct pail_doorman *d);
/* Stops (when still running) and frees; call once MHD can no longer call
 * pail_doorman_closed (its daemons are stopped). NULL is fine. */
void pail_doorman_free(struct pail_doorman *d);

#endif
