/* http/watchdog.c — see watchdog.h. The records are a list under one mutex:
 * it is taken when a connection opens or closes and once a second by the
 * thread, never per request (deadlines are atomic stores). */
#include "http/watchdog.h"

#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define TICK_MS 1000

struct pail_conn {
    struct pail_conn *prev, *next;
    int fd;
    _Atomic int64_t deadline_ms; /* 0: none */
    bool cut;                    /* shut down already: once is enough */
};

struct pail_watchdog {
    pthread_mutex_t mu;
    pthread_cond_t wake; /* signalled to stop */
    bool stopping;
    struct pail_conn *head;
    pthread_t thread;
};

int64_t pail_watchdog_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void pail_conn_deadline(struct pail_conn *c, int64_t deadline_ms)
{
    if (c)
        atomic_store_explicit(&c->deadline_ms, deadline_ms, memory_order_relaxed);
}

/* Under w->mu. The fd is still open: MHD closes it only after CLOSED,
 * which takes the mutex to remove the record first. */
static void cut_overdue(struct pail_watchdog *w, int64_t now)
{
    for (struct pail_conn *c = w->head; c; c = c->next) {
        int64_t d = atomic_load_explicit(&c->deadline_ms, memory_order_relaxed);
        if (d && now > d && !c->cut) {
            shutdown(c->fd, SHUT_RDWR);
            c->cut = true;
        }
    }
}

static void *watch(void *arg)
{
    struct pail_watchdog *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += TICK_MS / 1000;
        int rc = 0;
        while (!w->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&w->wake, &w->mu, &until);
        if (!w->stopping)
            cut_overdue(w, pail_watchdog_now_ms());
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct pail_watchdog *pail_watchdog_start(void)
{
    struct pail_watchdog *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->mu, NULL);
    if (pthread_create(&w->thread, NULL, watch, w) != 0) {
        pail_error("cannot start the connection watchdog");
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void pail_watchdog_stop(struct pail_watchdog *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    while (w->head) {
        struct pail_conn *c = w->head;
        w->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

struct pail_conn *pail_watchdog_add(struct pail_watchdog *w, int fd, int64_t deadline_ms)
{
    struct pail_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    atomic_init(&c->deadline_ms, deadline_ms);
    pthread_mutex_lock(&w->mu);
    c->next = w->head;
    if (w->head)
        w->head->prev = c;
    w->head = c;
    pthread_mutex_unlock(&w->mu);
    return c;
}

void pail_watchdog_remove(struct pail_watchdog *w, struct pail_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&w->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&w->mu);
    free(c);
}
