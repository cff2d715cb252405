/* http/watchdog.h — deadlines on the connections libmicrohttpd serves. MHD's
 * own timeout counts inactivity and restarts with every byte, so a client
 * that trickles a keep-alive request's line or headers would hold the
 * connection, and its MHD thread, forever. Owns one record per MHD
 * connection, made at NOTIFY_CONNECTION STARTED and freed at CLOSED (MHD
 * closes the socket only after that), each holding the socket and one
 * deadline; and a thread that, once a second, cuts every connection past its
 * deadline with shutdown(SHUT_RDWR): MHD's thread then sees the error and
 * cleans up as after any broken connection. */
#ifndef PAIL_HTTP_WATCHDOG_H
#define PAIL_HTTP_WATCHDOG_H

#include <stdint.h>

struct pail_watchdog;
struct pail_conn;

/* Milliseconds on a coarse monotonic clock: what deadlines are set in. */
int64_t pail_watchdog_now_ms(void);

/* Starts the thread; NULL when it cannot (logged). Free with _stop. */
struct pail_watchdog *pail_watchdog_start(void);
/* Stops the thread and frees w with the records still in it (none once
 * the MHD daemons are stopped). NULL is fine. */
void pail_watchdog_stop(struct pail_watchdog *w);

/* A record for socket fd with a first deadline; NULL without memory (the
 * connection then has no deadlines, only MHD's timeout). Freed by _remove. */
struct pail_conn *pail_watchdog_add(struct pail_watchdog *w, int fd, int64_t deadline_ms);
void pail_watchdog_remove(struct pail_watchdog *w, struct pail_conn *c);

/* The time by which the connection must have moved on, or 0 for none. One
 * relaxed store: called at each step of every request. c may be NULL. */
void pail_conn_deadline(struct pail_conn *c, int64_t deadline_ms);

#endif
