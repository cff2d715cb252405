/* store/meta.h — the metadata interface: buckets, objects, multipart uploads.
 * A backend is a const struct pail_meta_ops (SQLite first, PostgreSQL later);
 * the rest of pail calls only the pail_meta_* wrappers below. Every call is
 * one transaction: when it returns PAIL_OK its effect is durable and visible
 * to the next call from any thread. Strings and bytes in records that come
 * back are read-only and live as long as the caller's arena (copied into it,
 * or pinned in the record cache until it is freed). Data ids name blobs in the data backend
 * (store/data.h); the metadata never holds object bytes' paths. Calls that
 * drop references to data return those ids in `garbage` so the caller removes
 * the blobs after the commit; a crash in between leaves orphans that the
 * start-up sweep removes (pail_meta_data_id_used). */
#ifndef PAIL_STORE_META_H
#define PAIL_STORE_META_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_arena;
struct pail_meta;

/* A bucket setting (version 5): a named document kept with the bucket —
 * "acl", "policy", "ownership", "pab" (Block Public Access), and later CORS,
 * website, tagging... The store keeps the bytes; s3/ and iam/ give them
 * meaning. */
struct pail_conf {
    const char *name;
    const char *doc;
};

struct pail_bucket_rec {
    const char *name;
    int64_t created_ms;   /* ms since the epoch */
    const char *region;   /* LocationConstraint; "" for us-east-1 */
    const char *owner;    /* owning account id ("root" in stores made before
                             accounts: the first account's) */
    /* version 5: settings. bucket_create stores them with the bucket in one
     * transaction; bucket_get returns them (bucket_list does not). */
    const struct pail_conf *conf;
    size_t nconf;
};

/* An identity record (version 5): accounts, IAM users, groups, roles,
 * managed policies, access keys, STS sessions — a JSON document under
 * (kind, name). iam/identity.c owns their meaning; the store keeps them
 * durably and changes any set of them in one transaction. */
struct pail_iam_rec {
    const char *kind;
    const char *name;
    const char *doc;      /* NULL in iam_write: delete the record */
};

struct pail_object_rec {
    const char *bucket, *key;
    uint64_t size;
    const char *etag;          /* without quotes: 32 hex, or 32 hex + "-N" */
    int64_t mtime_ms;
    const char *data_id;       /* blob in the data backend */
    const char *content_type;
    const char *headers;       /* JSON object: stored response headers
                                  (cache-control, content-disposition,
                                  content-encoding, content-language, expires,
                                  x-amz-meta-*), names lower-case */
    const char *checksum_algo; /* "CRC32", "CRC32C", "CRC64NVME", "SHA1",
                                  "SHA256" or NULL */
    const char *checksum;      /* base64 value, NULL with algo */
    const char *checksum_type; /* "FULL_OBJECT" / "COMPOSITE" or NULL */
    const char *parts;         /* multipart objects: JSON {"upload_id": id,
                                  "sizes": [5242880, 1024], and with an upload
                                  checksum "checksums": [b64, ...]}; NULL
                                  otherwise */
    const char *owner;         /* account id of the writer (see bucket owner) */
    const void *inline_data;   /* version 3: the object's size bytes kept in
                                  the metadata itself (small objects: no blob,
                                  no file create, one commit). object_put
                                  stores them under a fresh id of its own
                                  (data_id is then ignored); object_get fills
                                  them in and sets data_id to
                                  that id, which is never a data-backend id;
                                  listings leave them NULL. */
    const char *acl;           /* version 5: the object's ACL (iam/acl.h JSON);
                                  NULL: only the owner, FULL_CONTROL */
    const char *tags;          /* version 6: the object's tag set (s3/tags.h
                                  JSON); NULL: none */
};

struct pail_upload_rec {
    const char *upload_id, *bucket, *key;
    int64_t initiated_ms;
    const char *content_type;
    const char *headers;       /* as in pail_object_rec */
    const char *checksum_algo; /* NULL or as above */
    const char *checksum_type;
    const char *owner;
    const char *acl;           /* version 5: the ACL the object gets */
    const char *tags;          /* version 6: the tag set the object gets */
};

struct pail_part_rec {
    const char *upload_id;
    int part_number;           /* 1..10000 */
    uint64_t size;
    const char *etag;          /* 32 hex, no quotes */
    int64_t mtime_ms;
    const char *data_id;
    const char *checksum;      /* base64 under the upload's algo, or NULL */
};

/* Garbage: data ids that are no longer referenced after a commit. */
struct pail_garbage {
    const char **ids;          /* arena-owned */
    size_t n;
};

/* ListObjects/ListObjectsV2 semantics: keys > after (exclusive; "" = from the
 * start) that begin with prefix; with a delimiter, keys whose remainder after
 * the prefix contains it roll up into one common prefix (prefix + up to and
 * including the first delimiter), reported once and counted once toward max.
 * A common prefix <= after is skipped. Results come in UTF-8 byte order. */
struct pail_list_opts {
    const char *prefix;    /* "" for all */
    const char *delimiter; /* NULL or "" for none */
    const char *after;     /* exclusive start key */
    unsigned max;          /* 0 → nothing listed; truncated tells if any exist */
};

struct pail_list_out {
    struct pail_object_rec *objects; /* arena-owned, in order */
    size_t nobjects;
    const char **prefixes;           /* common prefixes, in order */
    size_t nprefixes;
    bool truncated;                  /* more entries exist after the last one */
    const char *last;                /* last key or prefix returned (NextMarker) */
};

struct pail_uploads_opts {
    const char *prefix, *delimiter;
    const char *key_marker, *upload_id_marker; /* exclusive (key, upload id) */
    unsigned max;
};

struct pail_uploads_out {
    struct pail_upload_rec *uploads;
    size_t nuploads;
    const char **prefixes;
    size_t nprefixes;
    bool truncated;
    const char *next_key_marker, *next_upload_id_marker;
};

struct pail_parts_out {
    struct pail_part_rec *parts; /* ascending part number */
    size_t nparts;
    bool truncated;
    int next_marker;
};

/* One reference to object data, as pail_meta_snapshot reports it: an
 * object row (upload_id NULL) or a part of a pending multipart upload. The
 * strings live for the callback only. */
struct pail_data_ref {
    const char *bucket, *key;  /* a part's: its upload's */
    const char *upload_id;     /* parts only */
    int part_number;           /* parts only */
    const char *data_id;
    bool is_inline;            /* bytes in the metadata: no blob to check */
    uint64_t size;
    const char *etag;          /* as stored: 32 hex (an MD5 of the bytes) or with "-N" */
    const char *checksum_algo; /* an object's, or a part's upload's; NULL: none */
    const char *checksum;      /* base64 or NULL */
    const char *checksum_type; /* objects: "FULL_OBJECT", "COMPOSITE" or NULL */
    const char *parts;         /* multipart objects: as pail_object_rec.parts */
};

/* The vtable a backend implements. Methods are only ever appended; a backend
 * declares the version it implements. Error sets are those of the wrappers. */
struct pail_meta_ops {
    int version; /* 1..9 */
    const char *name;
    enum pail_err (*open)(const char *location, void **state);
    void (*close)(void *state);
    enum pail_err (*bucket_create)(void *s, const struct pail_bucket_rec *b);
    enum pail_err (*bucket_get)(void *s, const char *name, struct pail_arena *a,
                                struct pail_bucket_rec *out);
    enum pail_err (*bucket_delete)(void *s, const char *name, struct pail_arena *a,
                                   struct pail_garbage *garbage);
    enum pail_err (*bucket_list)(void *s, struct pail_arena *a,
                                 struct pail_bucket_rec **out, size_t *n);
    enum pail_err (*object_put)(void *s, const struct pail_object_rec *o,
                                struct pail_arena *a, struct pail_garbage *garbage);
    enum pail_err (*object_get)(void *s, const char *bucket, const char *key,
                                struct pail_arena *a, struct pail_object_rec *out);
    enum pail_err (*object_delete)(void *s, const char *bucket, const char *key,
                                   struct pail_arena *a, struct pail_garbage *garbage);
    enum pail_err (*object_list)(void *s, const char *bucket,
                                 const struct pail_list_opts *o,
                                 struct pail_arena *a, struct pail_list_out *out);
    enum pail_err (*upload_create)(void *s, const struct pail_upload_rec *u);
    enum pail_err (*upload_get)(void *s, const char *bucket, const char *key,
                                const char *upload_id, struct pail_arena *a,
                                struct pail_upload_rec *out);
    enum pail_err (*part_put)(void *s, const struct pail_part_rec *p,
                              struct pail_arena *a, struct pail_garbage *garbage);
    enum pail_err (*part_list)(void *s, const char *upload_id, int after_part,
                               unsigned max, struct pail_arena *a,
                               struct pail_parts_out *out);
    enum pail_err (*upload_complete)(void *s, const char *upload_id,
                                     const struct pail_object_rec *o,
                                     struct pail_arena *a,
                                     struct pail_garbage *garbage);
    enum pail_err (*upload_abort)(void *s, const char *bucket, const char *key,
                                  const char *upload_id, struct pail_arena *a,
                                  struct pail_garbage *garbage);
    enum pail_err (*upload_list)(void *s, const char *bucket,
                                 const struct pail_uploads_opts *o,
                                 struct pail_arena *a, struct pail_uploads_out *out);
    bool (*data_id_used)(void *s, const char *data_id);
    /* version 2 */
    enum pail_err (*object_delete_many)(void *s, const char *bucket,
                                        const char *const *keys, size_t n,
                                        struct pail_arena *a, struct pail_garbage *garbage);
    /* version 3: no new method; object records carry inline_data */
    /* version 4: true when this process is the only writer of the store (an
     * embedded database in a locked data directory), so pail_meta_cache may
     * keep records in memory; false for a database shared by several nodes. */
    bool exclusive;
    /* version 5: bucket settings, object ACLs, identity records */
    enum pail_err (*bucket_conf_put)(void *s, const char *bucket, const char *name,
                                     const char *doc);
    enum pail_err (*object_acl_put)(void *s, const char *bucket, const char *key,
                                    const char *acl);
    enum pail_err (*iam_write)(void *s, const struct pail_iam_rec *recs, size_t n);
    enum pail_err (*iam_load)(void *s, struct pail_arena *a, struct pail_iam_rec **out,
                              size_t *n);
    /* version 6: object and upload records carry tags */
    enum pail_err (*object_tags_put)(void *s, const char *bucket, const char *key,
                                     const char *tags);
    /* version 7 */
    enum pail_err (*bucket_usage)(void *s, const char *bucket, uint64_t *objects,
                                  uint64_t *bytes);
    /* version 8 */
    enum pail_err (*snapshot)(void *s, const char *copy_to,
                              void (*fn)(void *ctx, const struct pail_data_ref *r), void *ctx);
    /* version 9: heap bytes the backend holds now (page caches, statements) */
    uint64_t (*memory)(void *s);
};

/* Opens backend `name` ("sqlite") at location (for sqlite: a directory; the
 * database is <dir>/meta.db, WAL mode). *out freed by pail_meta_close.
 * Errors: InvalidArgument (unknown backend), InternalError. */
enum pail_err pail_meta_open(const char *name, const char *location,
                             struct pail_meta **out);
void pail_meta_close(struct pail_meta *m);
/* true when the backend stores pail_object_rec.inline_data (version >= 3). */
bool pail_meta_can_inline(const struct pail_meta *m);
/* Keeps up to max_bytes of hot object records in memory (store/meta_cache.h)
 * when the backend is exclusive (version >= 4); otherwise, or with 0, every
 * read goes to the backend. Call once, before the first request. Returns
 * whether the cache is on. */
bool pail_meta_enable_cache(struct pail_meta *m, size_t max_bytes);
/* The cache's hits and misses since it was enabled (0 and 0 when off). */
void pail_meta_cache_counts(struct pail_meta *m, uint64_t *hits, uint64_t *misses);
/* Memory held now: the cache's entries, and the backend's own (0 when it
 * does not say: version < 9). For the metrics: a long run's RSS growth
 * splits into these and the rest. */
void pail_meta_memory(struct pail_meta *m, uint64_t *cache_bytes, uint64_t *backend_bytes);

/* Buckets. create: BucketAlreadyOwnedByYou if it exists. get/delete:
 * NoSuchBucket; delete: BucketNotEmpty while objects remain (pending uploads
 * are dropped with it and their parts' data ids returned as garbage). list:
 * every bucket in name order. */
enum pail_err pail_meta_bucket_create(struct pail_meta *m, const struct pail_bucket_rec *b);
enum pail_err pail_meta_bucket_get(struct pail_meta *m, const char *name,
                                   struct pail_arena *a, struct pail_bucket_rec *out);
enum pail_err pail_meta_bucket_delete(struct pail_meta *m, const char *name,
                                      struct pail_arena *a, struct pail_garbage *garbage);
enum pail_err pail_meta_bucket_list(struct pail_meta *m, struct pail_arena *a,
                                    struct pail_bucket_rec **out, size_t *n);

/* Objects. put: inserts or replaces (bucket, key) atomically; the replaced
 * object's data id goes to garbage (inline data is dropped in the same
 * transaction instead). NoSuchBucket; InsufficientStorage when inline data
 * would eat into the free space kept for metadata. get: NoSuchBucket, NoSuchKey.
 * delete: PAIL_OK also when the key is absent (garbage then empty);
 * NoSuchBucket. list: NoSuchBucket. */
enum pail_err pail_meta_object_put(struct pail_meta *m, const struct pail_object_rec *o,
                                   struct pail_arena *a, struct pail_garbage *garbage);
enum pail_err pail_meta_object_get(struct pail_meta *m, const char *bucket, const char *key,
                                   struct pail_arena *a, struct pail_object_rec *out);
enum pail_err pail_meta_object_delete(struct pail_meta *m, const char *bucket,
                                      const char *key, struct pail_arena *a,
                                      struct pail_garbage *garbage);
enum pail_err pail_meta_object_list(struct pail_meta *m, const char *bucket,
                                    const struct pail_list_opts *o, struct pail_arena *a,
                                    struct pail_list_out *out);

/* Multipart. upload_create: NoSuchBucket. upload_get: NoSuchUpload when the id
 * is unknown or belongs to another bucket/key. part_put: replaces a part of
 * the same number (old data id → garbage); NoSuchUpload. part_list: parts with
 * number > after_part, at most max. upload_complete: in one transaction puts
 * the object o (replacing any, old data → garbage), and removes the upload and
 * all its parts (their data ids → garbage: the caller composed o's data from
 * them); NoSuchUpload. upload_abort: removes upload and parts (data →
 * garbage); NoSuchUpload. upload_list: NoSuchBucket; ordered by (key,
 * initiated, upload id). */
enum pail_err pail_meta_upload_create(struct pail_meta *m, const struct pail_upload_rec *u);
enum pail_err pail_meta_upload_get(struct pail_meta *m, const char *bucket, const char *key,
                                   const char *upload_id, struct pail_arena *a,
                                   struct pail_upload_rec *out);
enum pail_err pail_meta_part_put(struct pail_meta *m, const struct pail_part_rec *p,
                                 struct pail_arena *a, struct pail_garbage *garbage);
enum pail_err pail_meta_part_list(struct pail_meta *m, const char *upload_id, int after_part,
                                  unsigned max, struct pail_arena *a,
                                  struct pail_parts_out *out);
enum pail_err pail_meta_upload_complete(struct pail_meta *m, const char *upload_id,
                                        const struct pail_object_rec *o,
                                        struct pail_arena *a, struct pail_garbage *garbage);
enum pail_err pail_meta_upload_abort(struct pail_meta *m, const char *bucket, const char *key,
                                     const char *upload_id, struct pail_arena *a,
                                     struct pail_garbage *garbage);
enum pail_err pail_meta_upload_list(struct pail_meta *m, const char *bucket,
                                    const struct pail_uploads_opts *o, struct pail_arena *a,
                                    struct pail_uploads_out *out);

/* Deletes every key of keys[n] (absent ones are no-ops) in one transaction:
 * all or nothing. NoSuchBucket. Backends before version 2 get one call per
 * key. */
enum pail_err pail_meta_object_delete_many(struct pail_meta *m, const char *bucket,
                                           const char *const *keys, size_t n,
                                           struct pail_arena *a,
                                           struct pail_garbage *garbage);

/* Version 5. bucket_conf_put: sets (doc non-NULL) or removes the bucket's
 * setting `name`; NoSuchBucket. object_acl_put: replaces the ACL of an
 * existing object (NULL: the default); NoSuchBucket, NoSuchKey. iam_write:
 * puts or deletes (doc NULL) every record of recs[n] in one transaction, all
 * or nothing. iam_load: every identity record, in (kind, name) order (read
 * once at start-up: the identity layer keeps them in memory). Backends before
 * version 5: InternalError. */
enum pail_err pail_meta_bucket_conf_put(struct pail_meta *m, const char *bucket,
                                        const char *name, const char *doc);
enum pail_err pail_meta_object_acl_put(struct pail_meta *m, const char *bucket,
                                       const char *key, const char *acl);
enum pail_err pail_meta_iam_write(struct pail_meta *m, const struct pail_iam_rec *recs,
                                  size_t n);
enum pail_err pail_meta_iam_load(struct pail_meta *m, struct pail_arena *a,
                                 struct pail_iam_rec **out, size_t *n);

/* Version 6. Replaces the tag set of an existing object (NULL: none),
 * leaving everything else (its mtime too) as it is; NoSuchBucket, NoSuchKey.
 * Backends before version 6: InternalError (and their records carry no
 * tags). */
enum pail_err pail_meta_object_tags_put(struct pail_meta *m, const char *bucket,
                                        const char *key, const char *tags);

/* Version 7. The number of objects in bucket and the sum of their sizes
 * (for metrics: it reads every row of the bucket, so callers cache it);
 * NoSuchBucket. Backends before version 7: InternalError. */
enum pail_err pail_meta_bucket_usage(struct pail_meta *m, const char *bucket,
                                     uint64_t *objects, uint64_t *bytes);

/* Version 8, for the operator's tools (pail admin check, backup). In one
 * read transaction (one durable snapshot): when copy_to is not NULL, writes
 * the whole metadata as of that snapshot into a new database file there (a
 * store pail_meta_open can open once it is named as the backend expects:
 * for sqlite, <dir>/meta.db); then calls fn for every object and part row of
 * the same snapshot, if fn is not NULL. Backends before version 8:
 * InternalError. */
enum pail_err pail_meta_snapshot(struct pail_meta *m, const char *copy_to,
                                 void (*fn)(void *ctx, const struct pail_data_ref *r), void *ctx);

/* True when any object or part references data_id (start-up orphan sweep). */
bool pail_meta_data_id_used(struct pail_meta *m, const char *data_id);

#endif
