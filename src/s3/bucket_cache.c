/* s3/bucket_cache.c — see bucket_cache.h. A chained hash table of entries
 * under one mutex (bucket lookups are short; writes are rare). An entry is
 * reference-counted: the table holds one reference and every request that
 * pinned it one more, so a dropped entry lives until its last reader is
 * done. Each entry owns an arena for its copied strings. */
#include "s3/bucket_cache.h"

#include "core/arena.h"
#include "core/log.h"
#include "s3/bucket_logging.h"
#include "s3/cors.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS 256

struct entry {
    struct entry *next;
    uint64_t hash;
    struct s3_bucket b;
    struct pail_arena *mem;
    _Atomic int refs;
    struct s3_bucket_cache *cache;
};

struct s3_bucket_cache {
    struct pail_meta *meta;
    pthread_mutex_t mu;
    struct entry *slots[NSLOTS];
    uint64_t gen; /* bumped by every change: a fill that saw another gen is not kept */
    void *(*compile)(const struct s3_bucket *b);
    void (*release)(void *compiled);
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct s3_bucket_cache *s3_bucket_cache_new(struct pail_meta *m)
{
    struct s3_bucket_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->meta = m;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void s3_bucket_cache_compiler(struct s3_bucket_cache *c,
                              void *(*compile)(const struct s3_bucket *b),
                              void (*release)(void *compiled))
{
    c->compile = compile;
    c->release = release;
}

static void entry_free(struct entry *e)
{
    if (e->b.compiled && e->cache->release)
        e->cache->release(e->b.compiled);
    pail_arena_free(e->mem);
    free(e);
}

static void unref(void *arg)
{
    struct entry *e = arg;
    if (atomic_fetch_sub(&e->refs, 1) == 1)
        entry_free(e);
}

void s3_bucket_cache_free(struct s3_bucket_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < NSLOTS; i++)
        for (struct entry *e = c->slots[i], *next; e; e = next) {
            next = e->next;
            unref(e);
        }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const char *s3_bucket_conf(const struct s3_bucket *b, const char *name)
{
    for (size_t i = 0; i < b->rec.nconf; i++)
        if (strcmp(b->rec.conf[i].name, name) == 0)
            return b->rec.conf[i].doc;
    return NULL;
}

static char *dup_or_null(struct pail_arena *a, const char *s)
{
    return s ? pail_arena_strdup(a, s) : NULL;
}

/* The stored CORS rules (written by PutBucketCors, so valid when stored),
 * parsed once per fill into the entry's arena a; a document that no longer
 * parses is logged and ignored rather than failing every request. */
static void parse_cors(struct s3_bucket *b, struct pail_arena *a)
{
    const char *doc = s3_bucket_conf(b, "cors"), *why;
    if (doc && s3_cors_parse(doc, strlen(doc), a, &b->cors, &why) != PAIL_OK)
        pail_error("bucket %s: stored CORS configuration does not parse", b->rec.name);
}

/* Owner "root" (stores made before accounts) is the first account's; the
 * authorizer maps it, so the record keeps what the store says. */
static void parse_settings(struct s3_bucket *b, struct pail_arena *a)
{
    b->owner = b->rec.owner;
    b->acl = s3_bucket_conf(b, "acl");
    b->policy = s3_bucket_conf(b, "policy");
    const char *own = s3_bucket_conf(b, "ownership");
    if (own) {
        b->has_ownership = true;
        b->ownership = !strcmp(own, "BucketOwnerEnforced")    ? S3_OWN_ENFORCED
                       : !strcmp(own, "BucketOwnerPreferred") ? S3_OWN_PREFERRED
                                                              : S3_OWN_OBJECT_WRITER;
    }
    const char *pab = s3_bucket_conf(b, "pab"); /* four flags as "0101" */
    if (pab && strlen(pab) == 4) {
        b->has_pab = true;
        b->pab.block_public_acls = pab[0] == '1';
        b->pab.ignore_public_acls = pab[1] == '1';
        b->pab.block_public_policy = pab[2] == '1';
        b->pab.restrict_public_buckets = pab[3] == '1';
    }
    parse_cors(b, a);
    b->logging = s3_logging_from_json(a, s3_bucket_conf(b, "logging"));
}

/* A new entry holding a deep copy of rec, with its settings parsed. */
static struct entry *entry_new(struct s3_bucket_cache *c, const struct pail_bucket_rec *rec,
                               uint64_t h)
{
    struct entry *e = calloc(1, sizeof *e);
    struct pail_arena *a = e ? pail_arena_new() : NULL;
    if (!a) {
        free(e);
        return NULL;
    }
    e->mem = a;
    e->hash = h;
    e->cache = c;
    struct pail_bucket_rec *r = &e->b.rec;
    r->name = pail_arena_strdup(a, rec->name);
    r->created_ms = rec->created_ms;
    r->region = dup_or_null(a, rec->region ? rec->region : "");
    r->owner = dup_or_null(a, rec->owner ? rec->owner : "");
    struct pail_conf *conf = pail_arena_alloc(a, (rec->nconf + 1) * sizeof *conf);
    for (size_t i = 0; i < rec->nconf; i++) {
        conf[i].name = pail_arena_strdup(a, rec->conf[i].name);
        conf[i].doc = dup_or_null(a, rec->conf[i].doc);
    }
    r->conf = conf;
    r->nconf = rec->nconf;
    parse_settings(&e->b, a);
    if (c->compile)
        e->b.compiled = c->compile(&e->b);
    atomic_init(&e->refs, 1);
    return e;
}

/* The entry for name in its slot, or NULL; with mu held. */
static struct entry *find(struct s3_bucket_cache *c, const char *name, uint64_t h)
{
    for (struct entry *e = c->slots[h % NSLOTS]; e; e = e->next)
        if (e->hash == h && strcmp(e->b.rec.name, name) == 0)
            return e;
    return NULL;
}

static const struct s3_bucket *pin(struct entry *e, struct pail_arena *a)
{
    pail_arena_cleanup(a, unref, e); /* the reference taken by the caller */
    return &e->b;
}

enum pail_err s3_bucket_get(struct s3_bucket_cache *c, const char *name, struct pail_arena *a,
                            const struct s3_bucket **out)
{
    uint64_t h = hash_name(name);
    pthread_mutex_lock(&c->mu);
    struct entry *e = find(c, name, h);
    if (e)
        atomic_fetch_add(&e->refs, 1);
    uint64_t gen = c->gen;
    pthread_mutex_unlock(&c->mu);
    if (e) {
        *out = pin(e, a);
        return PAIL_OK;
    }
    struct pail_bucket_rec rec;
    enum pail_err err = pail_meta_bucket_get(c->meta, name, a, &rec);
    if (err != PAIL_OK)
        return err;
    if (!(e = entry_new(c, &rec, h)))
        return PAIL_E_InternalError;
    pthread_mutex_lock(&c->mu);
    struct entry *have = find(c, name, h);
    if (have) { /* another request filled it meanwhile: use that one */
        atomic_fetch_add(&have->refs, 1);
        pthread_mutex_unlock(&c->mu);
        unref(e);
        *out = pin(have, a);
        return PAIL_OK;
    }
    if (c->gen == gen) { /* no change since our read: keep it (the table's reference) */
        e->next = c->slots[h % NSLOTS];
        c->slots[h % NSLOTS] = e;
        atomic_fetch_add(&e->refs, 1);
    }
    pthread_mutex_unlock(&c->mu);
    *out = pin(e, a);
    return PAIL_OK;
}

void s3_bucket_changed(struct s3_bucket_cache *c, const char *name)
{
    uint64_t h = hash_name(name);
    pthread_mutex_lock(&c->mu);
    c->gen++;
    struct entry **pp = &c->slots[h % NSLOTS], *gone = NULL;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && strcmp((*pp)->b.rec.name, name) == 0) {
            gone = *pp;
            *pp = gone->next;
            break;
        }
    pthread_mutex_unlock(&c->mu);
    if (gone)
        unref(gone);
}
