/* http/read_hook.c — recv(2) and gnutls_record_recv, the two calls through
 * which libmicrohttpd receives a request's bytes (plain and TLS), wrapped so
 * that the head guard (http/head_guard.h) sees them. Defined in the
 * executable, they take the place of libc's and GnuTLS's for every caller:
 * the dynamic linker binds a library's calls to the executable's definition
 * first. Each calls the next definition (RTLD_NEXT: libc's, GnuTLS's, or a
 * sanitizer's interceptor) and hands the guard what was received; the guard
 * ignores descriptors it does not follow, and peeks (the doorman's). */
#include "http/head_guard.h"

#include <dlfcn.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef ssize_t (*tls_recv_fn)(gnutls_session_t, void *, size_t);

static recv_fn next_recv;
static tls_recv_fn next_tls_recv;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void find_next(void)
{
    next_recv = (recv_fn)dlsym(RTLD_NEXT, "recv");
    next_tls_recv = (tls_recv_fn)dlsym(RTLD_NEXT, "gnutls_record_recv");
    if (!next_recv || !next_tls_recv)
        abort(); /* nothing to receive with: no server can run */
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    pthread_once(&once, find_next);
    ssize_t k = next_recv(fd, buf, len, flags);
    if (k > 0 && !(flags & MSG_PEEK))
        pail_head_guard_feed(fd, false, buf, (size_t)k);
    return k;
}

ssize_t gnutls_record_recv(gnutls_session_t session, void *data, size_t len)
{
    pthread_once(&once, find_next);
    ssize_t k = next_tls_recv(session, data, len);
    if (k > 0)
        pail_head_guard_feed(gnutls_transport_get_int(session), true, data, (size_t)k);
    return k;
}
