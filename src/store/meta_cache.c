/* store/meta_cache.c — hot object records in memory (see meta_cache.h for the
 * coherence rule). 64 shards, each a mutex, a chained hash table, an LRU list
 * and the two counters the rule needs: writes in flight and writes ended.
 * An entry is one allocation: the record's pointers aim into its own tail.
 * A hit does not copy it: it pins the entry (a reference the request's arena
 * drops when freed), so an entry dropped from the table meanwhile lives on
 * until the last request using it is done. */
#include "store/meta_cache.h"

#include "core/arena.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NSHARDS 64
#define SHARD_BITS 6
#define MIN_SLOTS 64

struct entry {
    struct entry *hnext;      /* hash chain */
    struct entry *prev, *next; /* LRU list, most recent after the sentinel */
    uint64_t hash;
    size_t charge;            /* bytes counted against the shard's cap */
    atomic_uint refs;         /* the table's, plus one per request pinning it */
    struct pail_object_rec rec; /* pointers into blob */
    _Alignas(16) char blob[];
};

struct shard {
    pthread_mutex_t mu;
    unsigned pending; /* writes begun and not ended */
    uint64_t gen;     /* writes ended */
    struct entry **slots;
    size_t nslots, n;
    struct entry lru; /* sentinel */
    size_t bytes, cap;
    uint64_t hits, misses;
} __attribute__((aligned(64)));

struct pail_meta_cache {
    struct shard shards[NSHARDS];
};

static uint64_t key_hash(const char *bucket, const char *key)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a, bucket NUL key */
    for (const unsigned char *p = (const unsigned char *)bucket;; p++) {
        h = (h ^ *p) * 1099511628211ull;
        if (!*p)
            break;
    }
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h ^ (h >> 29);
}

static struct shard *shard_of(struct pail_meta_cache *c, uint64_t h)
{
    return &c->shards[h >> (64 - SHARD_BITS)];
}

struct pail_meta_cache *pail_meta_cache_new(size_t max_bytes)
{
    size_t cap = max_bytes / NSHARDS;
    if (cap < 16 * 1024)
        return NULL;
    struct pail_meta_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (int i = 0; i < NSHARDS; i++) {
        struct shard *s = &c->shards[i];
        pthread_mutex_init(&s->mu, NULL);
        s->lru.prev = s->lru.next = &s->lru;
        s->cap = cap;
        s->nslots = MIN_SLOTS;
        s->slots = calloc(MIN_SLOTS, sizeof *s->slots);
        if (!s->slots) {
            pail_meta_cache_free(c);
            return NULL;
        }
    }
    return c;
}

void pail_meta_cache_free(struct pail_meta_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < NSHARDS; i++) {
        struct shard *s = &c->shards[i];
        for (struct entry *e = s->lru.next; e && e != &s->lru;) {
            struct entry *n = e->next;
            free(e); /* no request pins entries once the cache is freed */
            e = n;
        }
        free(s->slots);
        pthread_mutex_destroy(&s->mu);
    }
    free(c);
}

/* ---- shard internals (mutex held) ---- */

static struct entry **find_slot(struct shard *s, uint64_t h, const char *bucket,
                                const char *key)
{
    struct entry **pp = &s->slots[h & (s->nslots - 1)];
    for (; *pp; pp = &(*pp)->hnext) {
        struct entry *e = *pp;
        if (e->hash == h && strcmp(e->rec.key, key) == 0 && strcmp(e->rec.bucket, bucket) == 0)
            break;
    }
    return pp;
}

static void lru_unlink(struct entry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
}

static void lru_push_front(struct shard *s, struct entry *e)
{
    e->prev = &s->lru;
    e->next = s->lru.next;
    s->lru.next->prev = e;
    s->lru.next = e;
}

static void unpin(void *p)
{
    struct entry *e = p;
    if (atomic_fetch_sub(&e->refs, 1) == 1)
        free(e);
}

/* Unlinks *pp (from its chain and the LRU) and drops the table's reference. */
static void drop_at(struct shard *s, struct entry **pp)
{
    struct entry *e = *pp;
    *pp = e->hnext;
    lru_unlink(e);
    s->bytes -= e->charge;
    s->n--;
    unpin(e);
}

static void drop_key(struct shard *s, uint64_t h, const char *bucket, const char *key)
{
    struct entry **pp = find_slot(s, h, bucket, key);
    if (*pp)
        drop_at(s, pp);
}

static void drop_all(struct shard *s)
{
    while (s->lru.next != &s->lru) {
        struct entry *e = s->lru.next;
        drop_at(s, find_slot(s, e->hash, e->rec.bucket, e->rec.key));
    }
}

/* Doubles the table when it is full; on out of memory keeps the old one. */
static void maybe_grow(struct shard *s)
{
    if (s->n < s->nslots)
        return;
    size_t ns = s->nslots * 2;
    struct entry **slots = calloc(ns, sizeof *slots);
    if (!slots)
        return;
    for (size_t i = 0; i < s->nslots; i++)
        for (struct entry *e = s->slots[i], *next; e; e = next) {
            next = e->hnext;
            e->hnext = slots[e->hash & (ns - 1)];
            slots[e->hash & (ns - 1)] = e;
        }
    free(s->slots);
    s->slots = slots;
    s->nslots = ns;
}

/* ---- entries ---- */

/* The fields an entry copies, so building and rebasing stay in step. */
#define REC_STRINGS(X)                                                                     \
    X(bucket) X(key) X(etag) X(data_id) X(content_type) X(headers) X(checksum_algo)       \
        X(checksum) X(checksum_type) X(parts) X(owner) X(acl) X(tags)

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* A heap entry holding a deep copy of rec; NULL on out of memory. */
static struct entry *entry_new(const struct pail_object_rec *rec, uint64_t h)
{
    size_t inline_len = rec->inline_data ? (size_t)rec->size : 0;
    size_t len = inline_len;
#define ADD_LEN(f) len += str_size(rec->f);
    REC_STRINGS(ADD_LEN)
#undef ADD_LEN
    struct entry *e = malloc(sizeof *e + len);
    if (!e)
        return NULL;
    e->hash = h;
    e->rec = *rec;
    atomic_init(&e->refs, 1);
    e->charge = sizeof *e + len;
    char *p = e->blob;
    if (rec->inline_data) {
        memcpy(p, rec->inline_data, inline_len);
        e->rec.inline_data = p;
        p += inline_len;
    }
#define COPY(f)                                                                            \
    if (rec->f) {                                                                          \
        size_t n = strlen(rec->f) + 1;                                                     \
        memcpy(p, rec->f, n);                                                              \
        e->rec.f = p;                                                                      \
        p += n;                                                                            \
    }
    REC_STRINGS(COPY)
#undef COPY
    return e;
}

/* ---- the interface ---- */

bool pail_meta_cache_get(struct pail_meta_cache *c, const char *bucket, const char *key,
                         struct pail_arena *a, struct pail_object_rec *out)
{
    uint64_t h = key_hash(bucket, key);
    struct shard *s = shard_of(c, h);
    pthread_mutex_lock(&s->mu);
    struct entry *e = *find_slot(s, h, bucket, key);
    if (e) {
        lru_unlink(e);
        lru_push_front(s, e);
        atomic_fetch_add(&e->refs, 1);
        *out = e->rec;
        s->hits++;
    } else {
        s->misses++;
    }
    pthread_mutex_unlock(&s->mu);
    if (e)
        pail_arena_cleanup(a, unpin, e);
    return e != NULL;
}

uint64_t pail_meta_cache_fill_begin(struct pail_meta_cache *c, const char *bucket,
                                    const char *key)
{
    struct shard *s = shard_of(c, key_hash(bucket, key));
    pthread_mutex_lock(&s->mu);
    uint64_t t = s->pending ? 0 : s->gen + 1;
    pthread_mutex_unlock(&s->mu);
    return t;
}

void pail_meta_cache_fill(struct pail_meta_cache *c, uint64_t ticket, const char *bucket,
                          const char *key, const struct pail_object_rec *rec)
{
    if (!ticket)
        return;
    uint64_t h = key_hash(bucket, key);
    struct shard *s = shard_of(c, h);
    struct pail_object_rec named = *rec;
    named.bucket = bucket;
    named.key = key;
    struct entry *e = entry_new(&named, h); /* outside the lock; dropped if stale */
    if (!e)
        return;
    pthread_mutex_lock(&s->mu);
    if (s->pending || s->gen + 1 != ticket || e->charge > s->cap / 4) {
        pthread_mutex_unlock(&s->mu);
        free(e);
        return;
    }
    struct entry **pp = find_slot(s, h, bucket, key);
    if (*pp) /* another reader filled the same state first */
        drop_at(s, pp);
    maybe_grow(s);
    struct entry **head = &s->slots[h & (s->nslots - 1)];
    e->hnext = *head;
    *head = e;
    lru_push_front(s, e);
    s->n++;
    s->bytes += e->charge;
    while (s->bytes > s->cap) {
        struct entry *old = s->lru.prev;
        drop_at(s, find_slot(s, old->hash, old->rec.bucket, old->rec.key));
    }
    pthread_mutex_unlock(&s->mu);
}

/* A write's bracket on shard s (mutex held): its begin counts it in flight;
 * its end counts it done, so fills that looked up before it are refused. */
static void bracket(struct shard *s, bool end)
{
    if (end) {
        s->pending--;
        s->gen++;
    } else {
        s->pending++;
    }
}

/* Either bracket of a write to (bucket, key): both drop the key. */
static void bracket_key(struct pail_meta_cache *c, const char *bucket, const char *key,
                        bool end)
{
    uint64_t h = key_hash(bucket, key);
    struct shard *s = shard_of(c, h);
    pthread_mutex_lock(&s->mu);
    bracket(s, end);
    drop_key(s, h, bucket, key);
    pthread_mutex_unlock(&s->mu);
}

/* Either bracket of a write that may touch any key: every shard, emptied. */
static void bracket_all(struct pail_meta_cache *c, bool end)
{
    for (int i = 0; i < NSHARDS; i++) {
        struct shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        bracket(s, end);
        drop_all(s);
        pthread_mutex_unlock(&s->mu);
    }
}

void pail_meta_cache_write_begin(struct pail_meta_cache *c, const char *bucket,
                                 const char *key)
{
    bracket_key(c, bucket, key, false);
}

void pail_meta_cache_write_end(struct pail_meta_cache *c, const char *bucket,
                               const char *key)
{
    bracket_key(c, bucket, key, true);
}

void pail_meta_cache_write_all_begin(struct pail_meta_cache *c) { bracket_all(c, false); }

void pail_meta_cache_write_all_end(struct pail_meta_cache *c) { bracket_all(c, true); }

size_t pail_meta_cache_bytes(struct pail_meta_cache *c)
{
    size_t n = 0;
    for (int i = 0; i < NSHARDS; i++) {
        struct shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        n += s->bytes;
        pthread_mutex_unlock(&s->mu);
    }
    return n;
}

void pail_meta_cache_stats(struct pail_meta_cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = *misses = 0;
    for (int i = 0; i < NSHARDS; i++) {
        struct shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        *hits += s->hits;
        *misses += s->misses;
        pthread_mutex_unlock(&s->mu);
    }
}
