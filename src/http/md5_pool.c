/* http/md5_pool.c — see md5_pool.h. Each stream is a single-producer ring:
 * the receiving thread copies in beyond `head`, a hashing thread reads whole
 * blocks below `head` while the stream is `busy`, each publishing its
 * counter atomically; one pool lock guards the flags and the queue of
 * streams with a step waiting (FIFO, so past sixteen streams every one gets
 * its turn). RING is small on purpose: 64 concurrent uploads must stay
 * within the memory budget. */
#include "http/md5_pool.h"

#include "util/md5_mb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING (256u << 10) /* a multiple of 64: blocks never wrap */
#define STEP (64u << 10)  /* bytes of one stream per pass, at most */
#define GATHER_NS 2000000u /* longest a step waits for others to fill a pass */
#define QUIET_NS 100000u   /* ... or for the next step of any stream */

struct pail_md5_stream {
    pthread_cond_t idle;      /* signalled after each pass over this stream */
    _Atomic size_t head;      /* bytes fed: written by the owner only */
    _Atomic size_t tail;      /* bytes hashed: written by a hashing thread only */
    bool busy, queued;
    bool closing;             /* its owner waits for the last blocks */
    uint64_t since;           /* when it joined the queue (ns, monotonic) */
    struct pail_md5_stream *next; /* in the queue */
    struct pail_md5_state st;
    unsigned char ring[RING];
};

static struct {
    pthread_once_t once;
    bool up;                  /* at least one hashing thread runs */
    pthread_mutex_t mu;
    pthread_cond_t work;      /* on the monotonic clock */
    struct pail_md5_stream *first, *last;
    unsigned queued, open;    /* streams in the queue, streams not yet closed */
    uint64_t last_due;        /* when a stream last joined the queue */
    unsigned lanes;           /* of a pass */
} pool = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Whole blocks fed and not yet hashed. */
static size_t waiting(const struct pail_md5_stream *s)
{
    return (atomic_load(&s->head) - atomic_load(&s->tail)) / 64 * 64;
}

/* Whether s should wait in the queue. A stream joins only with a full
 * step waiting (or its last blocks): a pass is as slow as its longest lane,
 * so its lanes should be equally long. */
static bool due(const struct pail_md5_stream *s)
{
    return !s->busy && !s->queued && (waiting(s) >= STEP || (s->closing && waiting(s)));
}

/* How many queued streams make a pass worth starting at once: a wide pass
 * costs the same with 3 lanes as with 16, so it waits for every open stream
 * to have a step ready — but GATHER_NS at most, and only while steps keep
 * coming (a slow upload beside fast ones would hold them to a step per
 * wait otherwise). Lock held. */
static unsigned target(void) { return pool.open < pool.lanes ? pool.open : pool.lanes; }

/* Whether a queued stream's owner is blocked on it. Lock held. */
static bool urgent(void)
{
    for (const struct pail_md5_stream *s = pool.first; s; s = s->next)
        if (s->closing)
            return true;
    return false;
}

/* Lock held; due(s). Wakes a hashing thread only when that can change
 * its mind: a first stream (a gathering deadline starts), a full pass, or
 * an owner that waits. */
static void enqueue(struct pail_md5_stream *s)
{
    s->queued = true;
    s->since = pool.last_due = now_ns();
    s->next = NULL;
    if (pool.last)
        pool.last->next = s;
    else
        pool.first = s;
    pool.last = s;
    pool.queued++;
    if (pool.queued == 1 || pool.queued >= target() || s->closing)
        pthread_cond_signal(&pool.work);
}

/* Lock held; s is queued. */
static void unqueue(struct pail_md5_stream *s)
{
    struct pail_md5_stream **pp = &pool.first, *prev = NULL;
    while (*pp != s) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    *pp = s->next;
    if (pool.last == s)
        pool.last = prev;
    s->queued = false;
    pool.queued--;
}

/* Takes up to `max` queued streams into lanes, marking them busy: a step
 * each in a wide pass, everything waiting when too few lanes make one and
 * they run one by one anyway. Lock held. */
static unsigned take(struct pail_md5_stream **got, struct pail_md5_lane *lanes, unsigned max)
{
    unsigned n = 0;
    while (n < max && pool.first) {
        got[n] = pool.first;
        unqueue(got[n]);
        got[n++]->busy = true;
    }
    for (unsigned i = 0; i < n; i++) {
        struct pail_md5_stream *s = got[i];
        size_t off = atomic_load(&s->tail) % RING, k = waiting(s);
        if (k > RING - off)
            k = RING - off;
        if (k > STEP && n >= PAIL_MD5_MB_WIDE_MIN)
            k = STEP;
        lanes[i] = (struct pail_md5_lane){.s = &s->st, .p = s->ring + off, .blocks = k / 64};
    }
    return n;
}

/* Waits until a pass should start. Lock held. */
static void gather(void)
{
    for (;;) {
        if (!pool.first) {
            pthread_cond_wait(&pool.work, &pool.mu);
            continue;
        }
        if (pool.queued >= target() || urgent())
            return;
        uint64_t due_at = pool.first->since + GATHER_NS;
        if (due_at > pool.last_due + QUIET_NS)
            due_at = pool.last_due + QUIET_NS;
        if (now_ns() >= due_at)
            return;
        struct timespec ts = {.tv_sec = (time_t)(due_at / 1000000000u),
                              .tv_nsec = (long)(due_at % 1000000000u)};
        pthread_cond_timedwait(&pool.work, &pool.mu, &ts);
    }
}

static void *hasher(void *arg)
{
    (void)arg;
    struct pail_md5_stream *got[PAIL_MD5_MB_MAX];
    struct pail_md5_lane lanes[PAIL_MD5_MB_MAX];
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        gather();
        unsigned n = take(got, lanes, pool.lanes);
        pthread_mutex_unlock(&pool.mu);
        pail_md5_mb(lanes, n);
        pthread_mutex_lock(&pool.mu);
        for (unsigned i = 0; i < n; i++) {
            struct pail_md5_stream *s = got[i];
            atomic_fetch_add(&s->tail, lanes[i].blocks * 64);
            s->busy = false;
            if (due(s))
                enqueue(s);
            pthread_cond_signal(&s->idle);
        }
    }
    return NULL;
}

/* One hashing thread per core, or per sixteen lanes' worth of cores when a
 * pass is wide: a 16-lane pass hashes several GB/s, more than a few cores
 * can receive. */
static void pool_start(void)
{
    pail_md5_mb_init(0);
    pool.lanes = pail_md5_mb_lanes();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pool.work, &ca);
    pthread_condattr_destroy(&ca);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    long want = pool.lanes > 1 ? (cores + 7) / 8 : cores;
    for (long i = 0; i < want; i++) {
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, hasher, NULL) == 0)
            pool.up = true;
        pthread_attr_destroy(&at);
    }
}

struct pail_md5_stream *pail_md5_stream_open(void)
{
    pthread_once(&pool.once, pool_start);
    if (!pool.up)
        return NULL;
    struct pail_md5_stream *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    pthread_cond_init(&s->idle, NULL);
    atomic_init(&s->head, 0);
    atomic_init(&s->tail, 0);
    s->busy = s->queued = s->closing = false;
    s->next = NULL;
    pail_md5_state_init(&s->st);
    pthread_mutex_lock(&pool.mu);
    pool.open++;
    pthread_mutex_unlock(&pool.mu);
    return s;
}

/* Waits until a hashing pass makes room in s's ring. */
static void wait_room(struct pail_md5_stream *s)
{
    pthread_mutex_lock(&pool.mu);
    if (due(s))
        enqueue(s);
    while (atomic_load(&s->head) - atomic_load(&s->tail) == RING)
        pthread_cond_wait(&s->idle, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}

/* The owner copies in and publishes `head` without the pool lock, taking
 * it only when a step may have filled, to queue the stream: when head
 * crosses a multiple of STEP or the bytes waiting reach STEP (tail is not
 * always step-aligned: passes of one or two lanes take all there is).
 * Either side decides under the lock, so a stream that became due is
 * queued by its owner or by the hashing thread that just freed it; before
 * blocking for room the owner makes sure. */
void pail_md5_stream_feed(struct pail_md5_stream *s, const void *data, size_t n)
{
    const unsigned char *d = data;
    while (n) {
        size_t head = atomic_load_explicit(&s->head, memory_order_relaxed);
        size_t used = head - atomic_load_explicit(&s->tail, memory_order_acquire);
        if (used == RING) {
            wait_room(s);
            continue;
        }
        size_t off = head % RING, k = n;
        if (k > RING - used)
            k = RING - used;
        if (k > RING - off)
            k = RING - off;
        memcpy(s->ring + off, d, k);
        atomic_store_explicit(&s->head, head + k, memory_order_release);
        if ((head + k) / STEP != head / STEP || (used < STEP && used + k >= STEP)) {
            pthread_mutex_lock(&pool.mu);
            if (due(s))
                enqueue(s);
            pthread_mutex_unlock(&pool.mu);
        }
        d += k;
        n -= k;
    }
}

/* s will add no more steps: a pass gathering for it need not wait. Lock
 * held. */
static void leave(struct pail_md5_stream *s)
{
    s->closing = true;
    pool.open--;
    pthread_cond_signal(&pool.work);
}

static void stream_free(struct pail_md5_stream *s)
{
    pthread_cond_destroy(&s->idle);
    free(s);
}

void pail_md5_stream_close(struct pail_md5_stream *s, unsigned char out[16])
{
    pthread_mutex_lock(&pool.mu);
    leave(s);
    if (due(s))
        enqueue(s);
    while (s->busy || waiting(s))
        pthread_cond_wait(&s->idle, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    /* under 64 bytes remain, and never across the ring's end */
    size_t tail = atomic_load(&s->tail);
    pail_md5_state_final(&s->st, s->ring + tail % RING, atomic_load(&s->head) - tail, out);
    stream_free(s);
}

void pail_md5_stream_abandon(struct pail_md5_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&pool.mu);
    leave(s);
    while (s->busy)
        pthread_cond_wait(&s->idle, &pool.mu);
    if (s->queued)
        unqueue(s);
    pthread_mutex_unlock(&pool.mu);
    stream_free(s);
}
