/* store/meta_cache.h — internal to store/: hot object records kept in memory
 * in front of a metadata backend that this process alone writes (SQLite, not
 * a database shared by several pail nodes). A GET or HEAD of a hot object
 * then costs a hash lookup and a copy instead of a database statement.
 *
 * Coherence rule (what makes a hit never stale): every object write through
 * meta.c is bracketed by write_begin/write_end on its key. A key's shard
 * takes no fills while any write to it is in flight, and a fill is kept only
 * when no write to the shard began or ended since its lookup started; a
 * write's begin and end both drop the key. So a hit returns a state that was
 * committed (and durable: the backend returned) with no write to that key
 * since, which is what a read from the backend at that moment would return.
 *
 * Bounded: at most max_bytes of entries (records, strings and inline bytes),
 * evicted least-recently-used per shard. Thread-safe. */
#ifndef PAIL_STORE_META_CACHE_H
#define PAIL_STORE_META_CACHE_H

#include "store/meta.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_arena;
struct pail_meta_cache;

/* A cache of at most max_bytes; NULL when max_bytes is too small to be
 * useful or memory is short. Freed by pail_meta_cache_free (NULL is a no-op). */
struct pail_meta_cache *pail_meta_cache_new(size_t max_bytes);
void pail_meta_cache_free(struct pail_meta_cache *c);

/* A hit fills out and returns true. Its strings and inline bytes belong to
 * the cache and stay valid, unchanged, until a is freed (the entry is pinned
 * until then, even if a write drops it from the cache meanwhile). */
bool pail_meta_cache_get(struct pail_meta_cache *c, const char *bucket, const char *key,
                         struct pail_arena *a, struct pail_object_rec *out);

/* Before reading (bucket, key) from the backend: a ticket for fill, 0 when the
 * shard is being written (nothing may be filled then). */
uint64_t pail_meta_cache_fill_begin(struct pail_meta_cache *c, const char *bucket,
                                    const char *key);
/* After the backend returned rec for (bucket, key), the ticket's key: kept
 * if still valid (rec's own bucket and key fields are not relied on). */
void pail_meta_cache_fill(struct pail_meta_cache *c, uint64_t ticket, const char *bucket,
                          const char *key, const struct pail_object_rec *rec);

/* Around every backend call that may change (bucket, key), whatever its outcome. */
void pail_meta_cache_write_begin(struct pail_meta_cache *c, const char *bucket,
                                 const char *key);
void pail_meta_cache_write_end(struct pail_meta_cache *c, const char *bucket,
                               const char *key);

/* Around calls that may change objects not named one by one (bucket delete). */
void pail_meta_cache_write_all_begin(struct pail_meta_cache *c);
void pail_meta_cache_write_all_end(struct pail_meta_cache *c);

/* Hits and misses since start (tests, metrics). */
void pail_meta_cache_stats(struct pail_meta_cache *c, uint64_t *hits, uint64_t *misses);
/* Bytes of entries held now (what counts against max_bytes). */
size_t pail_meta_cache_bytes(struct pail_meta_cache *c);

#endif
