/* store/meta.c — the metadata front door: a registry of backends by name and
 * the thin pail_meta_* wrappers declared in meta.h (SQLite's os.c shape).
 * Owns struct pail_meta. Each wrapper asserts its pointer arguments, answers
 * InvalidArgument for values a backend cannot store (sizes past INT64_MAX,
 * part numbers outside 1..10000: request-derived, so not asserts), zeroes
 * the outputs (a failed call never leaves stale garbage ids a caller could
 * act on), and forwards to the vtable in one line.
 * Must not: know any backend's internals, or add behaviour beyond checks. */
#include "store/meta.h"

#include "core/arena.h"
#include "core/log.h"
#include "store/meta_backends.h"
#include "store/meta_cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct pail_meta {
    const struct pail_meta_ops *ops;
    void *state;
    struct pail_meta_cache *cache; /* NULL: off */
};

/* Every backend this build knows, looked up by ops->name. */
static const struct pail_meta_ops *const backends[] = {
    &pail_meta_sqlite,
};

/* The backend called `name`, or NULL. */
static const struct pail_meta_ops *find_backend(const char *name)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

bool pail_meta_can_inline(const struct pail_meta *m)
{
    return m->ops->version >= 3;
}

bool pail_meta_enable_cache(struct pail_meta *m, size_t max_bytes)
{
    assert(m && !m->cache);
    if (m->ops->version >= 4 && m->ops->exclusive && max_bytes)
        m->cache = pail_meta_cache_new(max_bytes);
    return m->cache != NULL;
}

void pail_meta_cache_counts(struct pail_meta *m, uint64_t *hits, uint64_t *misses)
{
    assert(m && hits && misses);
    *hits = *misses = 0;
    if (m->cache)
        pail_meta_cache_stats(m->cache, hits, misses);
}

void pail_meta_memory(struct pail_meta *m, uint64_t *cache_bytes, uint64_t *backend_bytes)
{
    assert(m && cache_bytes && backend_bytes);
    *cache_bytes = m->cache ? pail_meta_cache_bytes(m->cache) : 0;
    *backend_bytes = m->ops->version >= 9 && m->ops->memory ? m->ops->memory(m->state) : 0;
}

enum pail_err pail_meta_open(const char *name, const char *location,
                             struct pail_meta **out)
{
    assert(name && location && out);
    *out = NULL;
    const struct pail_meta_ops *ops = find_backend(name);
    if (!ops || ops->version < 1) {
        pail_error("meta: unknown backend \"%s\"", name);
        return PAIL_E_InvalidArgument;
    }
    struct pail_meta *m = calloc(1, sizeof *m);
    if (!m)
        return PAIL_E_InternalError;
    m->ops = ops;
    enum pail_err e = ops->open(location, &m->state);
    if (e != PAIL_OK) {
        free(m);
        return e;
    }
    *out = m;
    return PAIL_OK;
}

void pail_meta_close(struct pail_meta *m)
{
    if (!m)
        return;
    m->ops->close(m->state);
    pail_meta_cache_free(m->cache);
    free(m);
}

/* Clears a garbage out-parameter before the backend fills it. */
static void garbage_clear(struct pail_garbage *g)
{
    assert(g);
    g->ids = NULL;
    g->n = 0;
}

/* ---- buckets ---- */

enum pail_err pail_meta_bucket_create(struct pail_meta *m, const struct pail_bucket_rec *b)
{
    assert(m && b && b->name);
    return m->ops->bucket_create(m->state, b);
}

enum pail_err pail_meta_bucket_get(struct pail_meta *m, const char *name,
                                   struct pail_arena *a, struct pail_bucket_rec *out)
{
    assert(m && name && a && out);
    memset(out, 0, sizeof *out);
    return m->ops->bucket_get(m->state, name, a, out);
}

enum pail_err pail_meta_bucket_delete(struct pail_meta *m, const char *name,
                                      struct pail_arena *a, struct pail_garbage *garbage)
{
    assert(m && name && a);
    garbage_clear(garbage);
    if (!m->cache)
        return m->ops->bucket_delete(m->state, name, a, garbage);
    pail_meta_cache_write_all_begin(m->cache); /* rare: drops the whole cache */
    enum pail_err e = m->ops->bucket_delete(m->state, name, a, garbage);
    pail_meta_cache_write_all_end(m->cache);
    return e;
}

enum pail_err pail_meta_bucket_list(struct pail_meta *m, struct pail_arena *a,
                                    struct pail_bucket_rec **out, size_t *n)
{
    assert(m && a && out && n);
    *out = NULL;
    *n = 0;
    return m->ops->bucket_list(m->state, a, out, n);
}

/* ---- objects ---- */

enum pail_err pail_meta_object_put(struct pail_meta *m, const struct pail_object_rec *o,
                                   struct pail_arena *a, struct pail_garbage *garbage)
{
    assert(m && o && o->bucket && o->key && o->etag && (o->data_id || o->inline_data) && a);
    assert(!o->inline_data || pail_meta_can_inline(m));
    garbage_clear(garbage);
    if (o->size > INT64_MAX)
        return PAIL_E_InvalidArgument;
    if (!m->cache)
        return m->ops->object_put(m->state, o, a, garbage);
    pail_meta_cache_write_begin(m->cache, o->bucket, o->key);
    enum pail_err e = m->ops->object_put(m->state, o, a, garbage);
    pail_meta_cache_write_end(m->cache, o->bucket, o->key);
    return e;
}

enum pail_err pail_meta_object_get(struct pail_meta *m, const char *bucket, const char *key,
                                   struct pail_arena *a, struct pail_object_rec *out)
{
    assert(m && bucket && key && a && out);
    memset(out, 0, sizeof *out);
    if (!m->cache)
        return m->ops->object_get(m->state, bucket, key, a, out);
    if (pail_meta_cache_get(m->cache, bucket, key, a, out))
        return PAIL_OK;
    uint64_t ticket = pail_meta_cache_fill_begin(m->cache, bucket, key);
    enum pail_err e = m->ops->object_get(m->state, bucket, key, a, out);
    if (e == PAIL_OK)
        pail_meta_cache_fill(m->cache, ticket, bucket, key, out);
    return e;
}

enum pail_err pail_meta_object_delete(struct pail_meta *m, const char *bucket,
                                      const char *key, struct pail_arena *a,
                                      struct pail_garbage *garbage)
{
    assert(m && bucket && key && a);
    garbage_clear(garbage);
    if (!m->cache)
        return m->ops->object_delete(m->state, bucket, key, a, garbage);
    pail_meta_cache_write_begin(m->cache, bucket, key);
    enum pail_err e = m->ops->object_delete(m->state, bucket, key, a, garbage);
    pail_meta_cache_write_end(m->cache, bucket, key);
    return e;
}

/* delete_many on the backend: one call, or one per key before version 2. */
static enum pail_err delete_many(struct pail_meta *m, const char *bucket,
                                 const char *const *keys, size_t n, struct pail_arena *a,
                                 struct pail_garbage *garbage)
{
    if (m->ops->version >= 2 && m->ops->object_delete_many)
        return m->ops->object_delete_many(m->state, bucket, keys, n, a, garbage);
    /* Older backends: one transaction per key, garbage gathered. */
    const char **ids = pail_arena_alloc(a, (n + 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        struct pail_garbage g = {0};
        enum pail_err e = m->ops->object_delete(m->state, bucket, keys[i], a, &g);
        if (e != PAIL_OK)
            return e;
        for (size_t j = 0; j < g.n && garbage->n < n; j++)
            ids[garbage->n++] = g.ids[j];
    }
    garbage->ids = ids;
    return PAIL_OK;
}

enum pail_err pail_meta_object_delete_many(struct pail_meta *m, const char *bucket,
                                           const char *const *keys, size_t n,
                                           struct pail_arena *a,
                                           struct pail_garbage *garbage)
{
    assert(m && bucket && (keys || !n) && a);
    garbage_clear(garbage);
    if (!m->cache)
        return delete_many(m, bucket, keys, n, a, garbage);
    for (size_t i = 0; i < n; i++)
        pail_meta_cache_write_begin(m->cache, bucket, keys[i]);
    enum pail_err e = delete_many(m, bucket, keys, n, a, garbage);
    for (size_t i = 0; i < n; i++)
        pail_meta_cache_write_end(m->cache, bucket, keys[i]);
    return e;
}

enum pail_err pail_meta_object_list(struct pail_meta *m, const char *bucket,
                                    const struct pail_list_opts *o, struct pail_arena *a,
                                    struct pail_list_out *out)
{
    assert(m && bucket && o && a && out);
    memset(out, 0, sizeof *out);
    return m->ops->object_list(m->state, bucket, o, a, out);
}

/* ---- multipart ---- */

enum pail_err pail_meta_upload_create(struct pail_meta *m, const struct pail_upload_rec *u)
{
    assert(m && u && u->upload_id && u->bucket && u->key);
    return m->ops->upload_create(m->state, u);
}

enum pail_err pail_meta_upload_get(struct pail_meta *m, const char *bucket, const char *key,
                                   const char *upload_id, struct pail_arena *a,
                                   struct pail_upload_rec *out)
{
    assert(m && bucket && key && upload_id && a && out);
    memset(out, 0, sizeof *out);
    return m->ops->upload_get(m->state, bucket, key, upload_id, a, out);
}

enum pail_err pail_meta_part_put(struct pail_meta *m, const struct pail_part_rec *p,
                                 struct pail_arena *a, struct pail_garbage *garbage)
{
    assert(m && p && p->upload_id && p->etag && p->data_id && a);
    garbage_clear(garbage);
    if (p->part_number < 1 || p->part_number > 10000 || p->size > INT64_MAX)
        return PAIL_E_InvalidArgument;
    return m->ops->part_put(m->state, p, a, garbage);
}

enum pail_err pail_meta_part_list(struct pail_meta *m, const char *upload_id, int after_part,
                                  unsigned max, struct pail_arena *a,
                                  struct pail_parts_out *out)
{
    assert(m && upload_id && a && out);
    memset(out, 0, sizeof *out);
    return m->ops->part_list(m->state, upload_id, after_part, max, a, out);
}

enum pail_err pail_meta_upload_complete(struct pail_meta *m, const char *upload_id,
                                        const struct pail_object_rec *o,
                                        struct pail_arena *a, struct pail_garbage *garbage)
{
    assert(m && upload_id && o && o->bucket && o->key && o->etag && o->data_id && a);
    garbage_clear(garbage);
    if (o->size > INT64_MAX)
        return PAIL_E_InvalidArgument;
    if (!m->cache)
        return m->ops->upload_complete(m->state, upload_id, o, a, garbage);
    pail_meta_cache_write_begin(m->cache, o->bucket, o->key);
    enum pail_err e = m->ops->upload_complete(m->state, upload_id, o, a, garbage);
    pail_meta_cache_write_end(m->cache, o->bucket, o->key);
    return e;
}

enum pail_err pail_meta_upload_abort(struct pail_meta *m, const char *bucket, const char *key,
                                     const char *upload_id, struct pail_arena *a,
                                     struct pail_garbage *garbage)
{
    assert(m && bucket && key && upload_id && a);
    garbage_clear(garbage);
    return m->ops->upload_abort(m->state, bucket, key, upload_id, a, garbage);
}

enum pail_err pail_meta_upload_list(struct pail_meta *m, const char *bucket,
                                    const struct pail_uploads_opts *o, struct pail_arena *a,
                                    struct pail_uploads_out *out)
{
    assert(m && bucket && o && a && out);
    memset(out, 0, sizeof *out);
    return m->ops->upload_list(m->state, bucket, o, a, out);
}

bool pail_meta_data_id_used(struct pail_meta *m, const char *data_id)
{
    assert(m && data_id);
    return m->ops->data_id_used(m->state, data_id);
}

/* ---- version 5 ---- */

static bool has_v5(const struct pail_meta *m)
{
    return m->ops->version >= 5;
}

enum pail_err pail_meta_bucket_conf_put(struct pail_meta *m, const char *bucket,
                                        const char *name, const char *doc)
{
    assert(m && bucket && name);
    return has_v5(m) ? m->ops->bucket_conf_put(m->state, bucket, name, doc)
                     : PAIL_E_InternalError;
}

typedef enum pail_err (*object_field_put_fn)(void *s, const char *bucket, const char *key,
                                            const char *value);

/* One field of an existing object's record replaced, with the record cache
 * kept coherent around the write. */
static enum pail_err object_field_put(struct pail_meta *m, object_field_put_fn put,
                                      const char *bucket, const char *key, const char *value)
{
    if (!m->cache)
        return put(m->state, bucket, key, value);
    pail_meta_cache_write_begin(m->cache, bucket, key);
    enum pail_err e = put(m->state, bucket, key, value);
    pail_meta_cache_write_end(m->cache, bucket, key);
    return e;
}

enum pail_err pail_meta_object_acl_put(struct pail_meta *m, const char *bucket,
                                       const char *key, const char *acl)
{
    assert(m && bucket && key);
    return has_v5(m) ? object_field_put(m, m->ops->object_acl_put, bucket, key, acl)
                     : PAIL_E_InternalError;
}

enum pail_err pail_meta_object_tags_put(struct pail_meta *m, const char *bucket,
                                        const char *key, const char *tags)
{
    assert(m && bucket && key);
    return m->ops->version >= 6 ? object_field_put(m, m->ops->object_tags_put, bucket, key, tags)
                                : PAIL_E_InternalError;
}

enum pail_err pail_meta_bucket_usage(struct pail_meta *m, const char *bucket,
                                     uint64_t *objects, uint64_t *bytes)
{
    assert(m && bucket && objects && bytes);
    *objects = *bytes = 0;
    return m->ops->version >= 7 ? m->ops->bucket_usage(m->state, bucket, objects, bytes)
                                : PAIL_E_InternalError;
}

enum pail_err pail_meta_iam_write(struct pail_meta *m, const struct pail_iam_rec *recs,
                                  size_t n)
{
    assert(m && (recs || !n));
    for (size_t i = 0; i < n; i++)
        assert(recs[i].kind && recs[i].name);
    return has_v5(m) ? m->ops->iam_write(m->state, recs, n) : PAIL_E_InternalError;
}

enum pail_err pail_meta_iam_load(struct pail_meta *m, struct pail_arena *a,
                                 struct pail_iam_rec **out, size_t *n)
{
    assert(m && a && out && n);
    *out = NULL;
    *n = 0;
    return has_v5(m) ? m->ops->iam_load(m->state, a, out, n) : PAIL_E_InternalError;
}

enum pail_err pail_meta_snapshot(struct pail_meta *m, const char *copy_to,
                                 void (*fn)(void *ctx, const struct pail_data_ref *r), void *ctx)
{
    assert(m);
    return m->ops->version >= 8 && m->ops->snapshot ? m->ops->snapshot(m->state, copy_to, fn, ctx)
                                                     : PAIL_E_InternalError;
}
