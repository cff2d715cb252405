/* s3/bucket_cache.h — a bucket as the request pipeline sees it: its record
 * and its settings (ACL, policy, ownership, Block Public Access, CORS), parsed
 * once and kept in memory, so that authorizing a request costs no database
 * lookup and no JSON parsing. Owns struct s3_bucket and the cache of them.
 *
 * Coherence: every write to a bucket or its settings goes through
 * s3_bucket_changed() after its commit; a fill that raced with such a write
 * is not kept (a generation count, as in store/meta_cache.c). So a setting
 * change applies to the very next request. One pail process owns a data
 * directory (store/meta.h `exclusive`); a store shared by several nodes
 * will need invalidation across them. */
#ifndef PAIL_S3_BUCKET_CACHE_H
#define PAIL_S3_BUCKET_CACHE_H

#include "core/err.h"
#include "store/meta.h"
#include "util/xml_in.h"

#include <stdbool.h>

struct pail_arena;
struct pail_meta;
struct s3_bucket_cache;
struct s3_cors;
struct s3_logging;

/* Object ownership (PutBucketOwnershipControls). */
enum s3_ownership {
    S3_OWN_OBJECT_WRITER,     /* the writer owns what it writes; ACLs apply */
    S3_OWN_PREFERRED,         /* BucketOwnerPreferred: bucket-owner-full-control
                                 writes are the bucket owner's */
    S3_OWN_ENFORCED,          /* BucketOwnerEnforced: ACLs off, all the owner's */
};

struct s3_bucket {
    struct pail_bucket_rec rec; /* with its settings (rec.conf) */
    const char *owner;          /* owning account id (legacy "root" mapped) */
    bool has_ownership;         /* OwnershipControls set */
    enum s3_ownership ownership;
    bool has_pab;
    struct pail_pab pab;        /* Block Public Access */
    const char *acl;            /* the "acl" setting (iam/acl.h JSON) or NULL */
    const char *policy;         /* the "policy" setting (JSON) or NULL */
    const struct s3_cors *cors; /* the "cors" setting's rules (s3/cors.h) or NULL */
    const struct s3_logging *logging; /* the "logging" setting (s3/bucket_logging.h)
                                         or NULL: server access logging off */
    void *compiled;             /* settings compiled by the authorizer
                                   (s3_bucket_compiled); freed with the entry */
};

/* The cache for m; freed with s3_bucket_cache_free. */
struct s3_bucket_cache *s3_bucket_cache_new(struct pail_meta *m);
void s3_bucket_cache_free(struct s3_bucket_cache *c);

/* Hooks that turn a bucket's settings into the authorizer's compiled form
 * (built once per fill, freed with the entry). Set once at start-up. */
void s3_bucket_cache_compiler(struct s3_bucket_cache *c,
                              void *(*compile)(const struct s3_bucket *b),
                              void (*release)(void *compiled));

/* The bucket called name, pinned until arena a is freed (read-only).
 * NoSuchBucket, or the store's error. */
enum pail_err s3_bucket_get(struct s3_bucket_cache *c, const char *name, struct pail_arena *a,
                            const struct s3_bucket **out);
/* After a committed write to bucket name or its settings (create, delete,
 * a setting put or removed): the next s3_bucket_get reads it anew. */
void s3_bucket_changed(struct s3_bucket_cache *c, const char *name);

/* The setting called name in b's record, or NULL. */
const char *s3_bucket_conf(const struct s3_bucket *b, const char *name);

#endif
