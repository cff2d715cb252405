/* http/doorman.c — see doorman.h.
 *   accept threads  accept4 → over the limit: 503, linger; else a guest in
 *                   the waiting queue and the epoll set
 *   header thread   epoll (edge-triggered: a peek leaves the bytes readable,
 *                   each new arrival is an edge) → peek, head_scan → hand to
 *                   MHD, or answer and linger; deadlines of both queues
 * A guest is a connection the doorman holds. Both queues are FIFO with one
 * fixed timeout each, so their heads hold the next deadline. */
#include "http/doorman.h"

#include "core/log.h"
#include "core/stats.h"
#include "http/head_scan.h"
#include "http/watchdog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LISTENERS 4 /* S3, website, admin, S3 over TLS */
#define BACKLOG 1024
#define LINGER_MS 2000
/* Refused connections lingering at once; beyond, they close at once (a
 * storm of refusals must not pile up descriptors). */
#define LINGER_MAX 512
/* Out of descriptors: accept again after this, rather than spin. */
#define ACCEPT_BACKOFF_US 10000

enum guest_state { WAITING, LINGERING };

struct listener;

struct guest {
    struct guest *prev, *next;
    int fd;
    enum guest_state state;
    int64_t deadline_ms;
    size_t seen; /* bytes received so far: a timeout answers only a begun request */
    struct listener *via;
    socklen_t addrlen;
    struct sockaddr_storage addr;
};

struct queue {
    struct guest *head, *tail;
    size_t n;
};

struct listener {
    struct pail_doorman *d;
    int fd;
    void *daemon; /* struct MHD_Daemon * */
    bool tls;     /* the daemon speaks TLS: only the first record is judged */
    pthread_t thread;
    bool running;
};

struct pail_doorman {
    struct pail_doorman_config cfg;
    int epfd;
    int stopfd; /* eventfd: wakes the header thread to stop */
    atomic_uint open;
    atomic_bool stopping;
    pthread_mutex_t mu; /* both queues: accept threads add, the header thread takes */
    struct queue waiting, lingering;
    char *peek; /* cfg.max_header_bytes; the header thread's */
    struct listener ls[MAX_LISTENERS];
    size_t nls;
    pthread_t thread;
    bool running;
};

/* ---- queues (under d->mu) ------------------------------------------------ */

static void queue_push(struct queue *q, struct guest *g)
{
    g->next = NULL;
    g->prev = q->tail;
    if (q->tail)
        q->tail->next = g;
    else
        q->head = g;
    q->tail = g;
    q->n++;
}

static void queue_remove(struct queue *q, struct guest *g)
{
    if (g->prev)
        g->prev->next = g->next;
    else
        q->head = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        q->tail = g->prev;
    g->prev = g->next = NULL;
    q->n--;
}

/* ---- answers --------------------------------------------------------------- */

/* A complete response with S3's error document, then no more from us.
 * Best effort: the socket is new or idle, so the few hundred bytes fit its
 * send buffer; a client that does not read them loses nothing it asked for. */
static void answer_msg(int fd, int status, const char *reason, enum pail_err e,
                       const char *message)
{
    if ((unsigned)e < PAIL_STAT_MAX_ERR)
        atomic_fetch_add_explicit(&pail_stat_refused[e], 1, memory_order_relaxed);
    char body[512], msg[1024];
    int bn = snprintf(body, sizeof body,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
                      "<Message>%s</Message></Error>",
                      pail_err_code(e), message);
    int n = snprintf(msg, sizeof msg,
                     "HTTP/1.1 %d %s\r\nServer: pail\r\nContent-Type: application/xml\r\n"
                     "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                     status, reason, bn, body);
    if (n > 0 && (size_t)n < sizeof msg)
        (void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(fd, SHUT_WR);
}

static void answer(int fd, int status, const char *reason, enum pail_err e)
{
    answer_msg(fd, status, reason, e, pail_err_message(e));
}

/* Reads and drops what is buffered; false once the client closed (or the
 * socket failed): nothing more to wait for. */
static bool drain(int fd)
{
    char sink[4096];
    for (;;) {
        ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
}

/* ---- guests ---------------------------------------------------------------- */

static struct guest *guest_new(int fd, const struct sockaddr_storage *ss, socklen_t len,
                               struct listener *via)
{
    struct guest *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->fd = fd;
    g->via = via;
    g->addrlen = len;
    memcpy(&g->addr, ss, len);
    return g;
}

/* Closes and frees g; it is in no queue and no longer counted. Closing
 * removes it from the epoll set. */
static void guest_free(struct guest *g)
{
    close(g->fd);
    free(g);
}

/* Makes g a lingering guest (in no queue before): it is in the epoll set
 * already, or put there now. Closes it at once when too many linger. */
static void linger(struct pail_doorman *d, struct guest *g, bool in_epoll)
{
    if (!drain(g->fd)) {
        guest_free(g);
        return;
    }
    g->state = LINGERING;
    g->deadline_ms = pail_watchdog_now_ms() + LINGER_MS;
    pthread_mutex_lock(&d->mu);
    bool room = d->lingering.n < LINGER_MAX;
    if (room)
        queue_push(&d->lingering, g);
    pthread_mutex_unlock(&d->mu);
    if (!room) {
        guest_free(g);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = g};
    if (!in_epoll && epoll_ctl(d->epfd, EPOLL_CTL_ADD, g->fd, &ev) != 0) {
        pthread_mutex_lock(&d->mu);
        queue_remove(&d->lingering, g);
        pthread_mutex_unlock(&d->mu);
        guest_free(g);
    }
}

/* A waiting guest leaves the waiting queue (and the open count). */
static void unwait(struct pail_doorman *d, struct guest *g)
{
    pthread_mutex_lock(&d->mu);
    queue_remove(&d->waiting, g);
    pthread_mutex_unlock(&d->mu);
    atomic_fetch_sub(&d->open, 1);
}

/* ---- accepting ------------------------------------------------------------- */

/* Beyond the limit: S3's SlowDown (SDKs back off and retry a 503). */
static void refuse_busy(struct listener *l, int fd, const struct sockaddr_storage *ss,
                        socklen_t len)
{
    answer(fd, 503, "Service Unavailable", PAIL_E_SlowDown);
    struct guest *g = guest_new(fd, ss, len, l);
    if (!g) {
        close(fd);
        return;
    }
    linger(l->d, g, false);
}

static void admit(struct listener *l, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    struct pail_doorman *d = l->d;
    if (atomic_fetch_add(&d->open, 1) >= d->cfg.max_connections) {
        atomic_fetch_sub(&d->open, 1);
        refuse_busy(l, fd, ss, len);
        return;
    }
    struct guest *g = guest_new(fd, ss, len, l);
    if (!g) {
        close(fd);
        atomic_fetch_sub(&d->open, 1);
        return;
    }
    g->state = WAITING;
    g->deadline_ms = pail_watchdog_now_ms() + d->cfg.header_timeout_ms;
    pthread_mutex_lock(&d->mu);
    queue_push(&d->waiting, g);
    pthread_mutex_unlock(&d->mu);
    /* Added after queueing: the header thread may see it at once (an
     * edge-triggered set reports bytes already there when a socket joins). */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = g};
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        unwait(d, g);
        guest_free(g);
    }
}

static void *accept_main(void *arg)
{
    struct listener *l = arg;
    while (!atomic_load(&l->d->stopping)) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            admit(l, fd, &ss, len);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            usleep(ACCEPT_BACKOFF_US); /* the backlog keeps them meanwhile */
        else if (errno == EINVAL)
            break; /* shut down by pail_doorman_stop */
    }
    return NULL;
}

/* ---- the header wait ------------------------------------------------------- */

/* The head is complete: MHD reads it from the socket as if fresh. */
static void hand_over(struct pail_doorman *d, struct guest *g)
{
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, g->fd, NULL);
    pthread_mutex_lock(&d->mu);
    queue_remove(&d->waiting, g);
    pthread_mutex_unlock(&d->mu);
    /* MHD owns the socket now, and closes it itself on failure; the
     * connection stays counted until NOTIFY_CONNECTION CLOSED. */
    if (MHD_add_connection(g->via->daemon, g->fd, (const struct sockaddr *)&g->addr,
                           g->addrlen) != MHD_YES)
        atomic_fetch_sub(&d->open, 1);
    free(g);
}

static void turn_away(struct pail_doorman *d, struct guest *g, int status, const char *reason,
                      enum pail_err e)
{
    unwait(d, g);
    answer(g->fd, status, reason, e);
    linger(d, g, true);
}

static void serve_waiting(struct pail_doorman *d, struct guest *g, uint32_t events)
{
    ssize_t n = recv(g->fd, d->peek, d->cfg.max_header_bytes, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) { /* closed before a whole head: nothing to answer */
        unwait(d, g);
        guest_free(g);
        return;
    }
    g->seen = (size_t)n;
    /* A TLS port judges only its first record: a whole ClientHello goes to
     * MHD, which then has the handshake and the head within
     * --header-timeout (the watchdog keeps it). */
    int plain = 1;
    enum pail_head h = g->via->tls
                           ? pail_hello_scan(d->peek, (size_t)n, d->cfg.max_header_bytes, &plain)
                           : pail_head_scan_fields(d->peek, (size_t)n, d->cfg.max_header_bytes,
                                                   d->cfg.max_header_fields, NULL);
    switch (h) {
    case PAIL_HEAD_DONE:
        hand_over(d, g);
        return;
    case PAIL_HEAD_BAD:
        if (!plain) { /* neither TLS nor HTTP: no answer could be read */
            unwait(d, g);
            guest_free(g);
        } else if (g->via->tls) { /* told in the protocol it spoke */
            unwait(d, g);
            answer_msg(g->fd, 400, "Bad Request", PAIL_E_BadRequest,
                       "This port speaks HTTPS; the request came as plain HTTP.");
            linger(d, g, true);
        } else {
            turn_away(d, g, 400, "Bad Request", PAIL_E_BadRequest);
        }
        return;
    case PAIL_HEAD_TOO_BIG:
        turn_away(d, g, 431, "Request Header Fields Too Large",
                  PAIL_E_RequestHeaderSectionTooLarge);
        return;
    case PAIL_HEAD_MORE:
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) { /* the rest can never come */
            unwait(d, g);
            guest_free(g);
        }
        return;
    }
}

static void end_linger(struct pail_doorman *d, struct guest *g)
{
    pthread_mutex_lock(&d->mu);
    queue_remove(&d->lingering, g);
    pthread_mutex_unlock(&d->mu);
    guest_free(g);
}

static void serve_lingering(struct pail_doorman *d, struct guest *g)
{
    if (!drain(g->fd))
        end_linger(d, g);
}

/* A head not complete in time: closed. A client that began one is told
 * why, with S3's answer to a stalled socket (400 RequestTimeout, which SDKs
 * retry by its code); one that sent nothing gets a plain close, as there is
 * no request to answer, and so does a TLS hello cut short (the client
 * reads only TLS). */
static void expire_waiting(struct pail_doorman *d, struct guest *g)
{
    unwait(d, g);
    if (g->seen && !g->via->tls) {
        answer(g->fd, 400, "Bad Request", PAIL_E_RequestTimeout);
        linger(d, g, true);
    } else {
        guest_free(g);
    }
}

/* The oldest guest of q if its deadline passed; NULL otherwise. */
static struct guest *overdue(struct pail_doorman *d, struct queue *q, int64_t now)
{
    pthread_mutex_lock(&d->mu);
    struct guest *g = q->head && q->head->deadline_ms <= now ? q->head : NULL;
    pthread_mutex_unlock(&d->mu);
    return g;
}

static void expire(struct pail_doorman *d)
{
    int64_t now = pail_watchdog_now_ms();
    struct guest *g;
    while ((g = overdue(d, &d->waiting, now)) != NULL)
        expire_waiting(d, g);
    while ((g = overdue(d, &d->lingering, now)) != NULL)
        end_linger(d, g);
}

/* Milliseconds until the next deadline of either queue, at most a second
 * (the queues may have gained a guest since). */
static int next_wait_ms(struct pail_doorman *d)
{
    int64_t now = pail_watchdog_now_ms(), next = now + 1000;
    pthread_mutex_lock(&d->mu);
    if (d->waiting.head && d->waiting.head->deadline_ms < next)
        next = d->waiting.head->deadline_ms;
    if (d->lingering.head && d->lingering.head->deadline_ms < next)
        next = d->lingering.head->deadline_ms;
    pthread_mutex_unlock(&d->mu);
    return next <= now ? 0 : (int)(next - now);
}

static void *header_main(void *arg)
{
    struct pail_doorman *d = arg;
    struct epoll_event ev[64];
    while (!atomic_load(&d->stopping)) {
        int n = epoll_wait(d->epfd, ev, 64, next_wait_ms(d));
        for (int i = 0; i < n; i++) {
            struct guest *g = ev[i].data.ptr;
            if (!g) /* the stop event */
                return NULL;
            if (g->state == WAITING)
                serve_waiting(d, g, ev[i].events);
            else
                serve_lingering(d, g);
        }
        expire(d);
    }
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------------- */

static enum pail_err parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    const char *colon = strrchr(s, ':');
    if (!colon)
        return PAIL_E_InvalidArgument;
    char host[128];
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof host)
        return PAIL_E_InvalidArgument;
    memcpy(host, s, hl);
    host[hl] = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || !colon[1] || port > 65535)
        return PAIL_E_InvalidArgument;
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1 ? PAIL_OK
                                                                    : PAIL_E_InvalidArgument;
    }
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
    if (hl == 0)
        return PAIL_OK;
    return inet_pton(AF_INET, host, &v4->sin_addr) == 1 ? PAIL_OK : PAIL_E_InvalidArgument;
}

/* A listening socket, or -1 with errno set. Blocking: its accept thread
 * sleeps in accept4. */
static int open_listener(const struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (ss->ss_family == AF_INET6) /* as MHD did: [::] is IPv6 only */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, BACKLOG) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

struct pail_doorman *pail_doorman_new(const struct pail_doorman_config *cfg)
{
    struct pail_doorman *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg = *cfg;
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    d->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    d->peek = malloc(cfg->max_header_bytes);
    pthread_mutex_init(&d->mu, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (d->epfd < 0 || d->stopfd < 0 || !d->peek ||
        epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->stopfd, &ev) != 0) {
        pail_error("cannot set up the doorman: %s", strerror(errno));
        pail_doorman_free(d);
        return NULL;
    }
    return d;
}

enum pail_err pail_doorman_listen(struct pail_doorman *d, const char *addr, void *mhd_daemon,
                                  bool tls)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    if (d->nls == MAX_LISTENERS || parse_listen(addr, &ss, &len) != PAIL_OK) {
        pail_error("bad listen address '%s' (want ADDR:PORT)", addr);
        return PAIL_E_InvalidArgument;
    }
    int fd = open_listener(&ss, len);
    if (fd < 0) {
        pail_error("cannot listen on %s: %s", addr, strerror(errno));
        return PAIL_E_InternalError;
    }
    d->ls[d->nls++] = (struct listener){.d = d, .fd = fd, .daemon = mhd_daemon, .tls = tls};
    return PAIL_OK;
}

enum pail_err pail_doorman_start(struct pail_doorman *d)
{
    d->running = pthread_create(&d->thread, NULL, header_main, d) == 0;
    for (size_t i = 0; d->running && i < d->nls; i++) {
        struct listener *l = &d->ls[i];
        l->running = pthread_create(&l->thread, NULL, accept_main, l) == 0;
        if (!l->running)
            break;
    }
    for (size_t i = 0; i < d->nls; i++)
        if (!d->ls[i].running) {
            pail_error("cannot start the doorman's threads");
            pail_doorman_stop(d);
            return PAIL_E_InternalError;
        }
    return d->running ? PAIL_OK : PAIL_E_InternalError;
}

unsigned pail_doorman_open(struct pail_doorman *d)
{
    return d ? atomic_load(&d->open) : 0;
}

void pail_doorman_closed(struct pail_doorman *d)
{
    atomic_fetch_sub(&d->open, 1);
}

static void free_queue(struct pail_doorman *d, struct queue *q)
{
    while (q->head) {
        struct guest *g = q->head;
        queue_remove(q, g);
        if (q == &d->waiting)
            atomic_fetch_sub(&d->open, 1);
        guest_free(g);
    }
}

void pail_doorman_stop(struct pail_doorman *d)
{
    atomic_store(&d->stopping, true);
    for (size_t i = 0; i < d->nls; i++) {
        struct listener *l = &d->ls[i];
        if (l->fd >= 0)
            shutdown(l->fd, SHUT_RDWR); /* wakes accept4 with EINVAL */
        if (l->running)
            pthread_join(l->thread, NULL);
        l->running = false;
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
    }
    /* No accept thread is left to add a guest: the queues are the header
     * thread's alone, then ours. */
    if (d->running) {
        uint64_t one = 1;
        (void)!write(d->stopfd, &one, sizeof one);
        pthread_join(d->thread, NULL);
        d->running = false;
    }
    free_queue(d, &d->waiting);
    free_queue(d, &d->lingering);
}

void pail_doorman_free(struct pail_doorman *d)
{
    if (!d)
        return;
    pail_doorman_stop(d);
    if (d->epfd >= 0)
        close(d->epfd);
    if (d->stopfd >= 0)
        close(d->stopfd);
    pthread_mutex_destroy(&d->mu);
    free(d->peek);
    free(d);
}
