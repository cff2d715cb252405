/* http/head_guard.h — the head rules of http/head_scan.h on every request of
 * a connection. The doorman checks a connection's first head before
 * libmicrohttpd reads it; MHD reads every later keep-alive request, and
 * every request over TLS, itself, and 0.9.75 mangles what the rules refuse
 * (obs-fold, NUL, bare CR). So the guard watches the bytes as MHD receives
 * them (http/read_hook.c wraps the two receive calls MHD makes), follows each
 * head and then its body's Content-Length to where the next head begins, and
 * remembers a head that broke a rule. The request pipeline asks it first,
 * before anything of the request is used.
 *
 * Owns one state per descriptor (mapped lazily, so only descriptors in use
 * cost memory). A connection's receive calls, and the pipeline's question,
 * come from the one thread that serves it (MHD thread per connection). */
#ifndef PAIL_HTTP_HEAD_GUARD_H
#define PAIL_HTTP_HEAD_GUARD_H

#include <stdbool.h>
#include <stddef.h>

enum pail_guard {
    PAIL_GUARD_OK,   /* every head so far kept the rules (or fd is not followed) */
    PAIL_GUARD_LAST, /* the guard cannot follow the connection past this request
                        (a chunked or ambiguous body): close after it */
    PAIL_GUARD_BAD,  /* a head on this connection broke a rule: 400 and close */
};

/* Maps the table for descriptors below the open-files limit (at most 2^20);
 * 0, or -1 when it cannot (the guard then follows nothing). Once, at start. */
int pail_head_guard_init(void);

/* Starts following fd for the MHD connection owner; tls: its bytes are read
 * through GnuTLS (recv(2) on it carries ciphertext). */
void pail_head_guard_open(int fd, const void *owner, bool tls);
/* Stops following fd, if owner still has it. */
void pail_head_guard_close(int fd, const void *owner);

/* The verdict on the request MHD starts now on owner's connection: call it
 * once per request, at its start (the guard counts them, so that with
 * pipelining a broken head refuses its own request, not the ones before). */
enum pail_guard pail_head_guard_verdict(int fd, const void *owner);

/* http/read_hook.c: n bytes MHD has just received on fd; from_tls: plaintext
 * from gnutls_record_recv, else from recv(2). */
void pail_head_guard_feed(int fd, bool from_tls, const void *buf, size_t n);

#endif
