/* http/hash_pipe.c — see hash_pipe.h. A single-producer single-consumer ring
 * of RING bytes: the producer copies in outside the lock (only it writes
 * beyond head), the consumer hashes outside the lock (only it reads below
 * head); the lock guards the two counters. RING is small on purpose: 64
 * concurrent uploads must stay within the memory budget. */
#include "http/hash_pipe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RING (256u << 10)
#define STEP (64u << 10) /* bytes hashed per lock round trip, at most */

struct pail_hash_pipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    size_t head, tail; /* bytes fed, bytes hashed (monotonic) */
    bool closing;
    struct pail_cksum *a, *b;
    unsigned char buf[RING];
};

static atomic_int active;

static size_t min3(size_t x, size_t y, size_t z)
{
    size_t m = x < y ? x : y;
    return m < z ? m : z;
}

static void *hasher(void *arg)
{
    struct pail_hash_pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->head == p->tail && !p->closing)
            pthread_cond_wait(&p->more, &p->mu);
        if (p->head == p->tail)
            break; /* closing and drained */
        size_t off = p->tail % RING, k = min3(p->head - p->tail, RING - off, STEP);
        pthread_mutex_unlock(&p->mu);
        pail_cksum_update(p->a, p->buf + off, k);
        if (p->b)
            pail_cksum_update(p->b, p->buf + off, k);
        pthread_mutex_lock(&p->mu);
        p->tail += k;
        pthread_cond_signal(&p->room);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct pail_hash_pipe *pail_hash_pipe_start(struct pail_cksum *a, struct pail_cksum *b)
{
    static atomic_long cores;
    long n = atomic_load(&cores);
    if (!n) { /* the first caller(s) ask; they all get the same answer */
        n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
            n = 1;
        atomic_store(&cores, n);
    }
    if (atomic_fetch_add(&active, 1) >= n) {
        atomic_fetch_sub(&active, 1);
        return NULL;
    }
    struct pail_hash_pipe *p = malloc(sizeof *p);
    if (p) {
        p->head = p->tail = 0;
        p->closing = false;
        p->a = a;
        p->b = b;
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->more, NULL);
        pthread_cond_init(&p->room, NULL);
        if (pthread_create(&p->thread, NULL, hasher, p) == 0)
            return p;
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->more);
        pthread_cond_destroy(&p->room);
        free(p);
    }
    atomic_fetch_sub(&active, 1);
    return NULL;
}

void pail_hash_pipe_feed(struct pail_hash_pipe *p, const void *data, size_t n)
{
    const unsigned char *d = data;
    while (n) {
        pthread_mutex_lock(&p->mu);
        while (p->head - p->tail == RING)
            pthread_cond_wait(&p->room, &p->mu);
        size_t off = p->head % RING, k = min3(n, RING - (p->head - p->tail), RING - off);
        pthread_mutex_unlock(&p->mu);
        memcpy(p->buf + off, d, k);
        pthread_mutex_lock(&p->mu);
        p->head += k;
        pthread_cond_signal(&p->more);
        pthread_mutex_unlock(&p->mu);
        d += k;
        n -= k;
    }
}

void pail_hash_pipe_end(struct pail_hash_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->more);
    pthread_cond_destroy(&p->room);
    free(p);
    atomic_fetch_sub(&active, 1);
}
