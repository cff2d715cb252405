/* store/meta_sqlite.c — the SQLite metadata backend (pail_meta_sqlite): its
 * methods over the database of meta_sqlite_db.c (the backend's files are
 * listed in meta_sqlite_db.h). Must not: touch object data (only data ids,
 * which it hands back as garbage).
 *
 * Sections: 4. rows -> records, garbage collection of data ids; 5. buckets;
 * 6. objects; 8. multipart uploads and parts; 9. bucket settings, object
 * ACLs, identity records; 10. data_id_used, the vtable
 * (7, listings, is meta_sqlite_list.c). */
#include "store/meta_sqlite_db.h"

#include "core/arena.h"
#include "core/log.h"
#include "store/meta_backends.h"
#include "util/fs_space.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===== 4. rows -> records, garbage collection of data ids ===== */

/* Column i copied into the arena; NULL for SQL NULL. */
static const char *col_str(sqlite3_stmt *st, int i, struct pail_arena *a)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    return pail_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

/* Grows an arena array of elements of size sz so that index n fits. */
void *msq_grow(struct pail_arena *a, void *v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv = pail_arena_alloc(a, ncap * sz);
    if (n)
        memcpy(nv, v, n * sz);
    *cap = ncap;
    return nv;
}

/* A Q_BUCKET_GET/LIST row. */
static void row_bucket(sqlite3_stmt *st, struct pail_arena *a, struct pail_bucket_rec *b)
{
    b->name = col_str(st, 0, a);
    b->created_ms = sqlite3_column_int64(st, 1);
    b->region = col_str(st, 2, a);
    b->owner = col_str(st, 3, a);
}

/* An OBJ_COLS row; bucket is already arena-owned. */
void msq_row_object(sqlite3_stmt *st, struct pail_arena *a, const char *bucket,
                       struct pail_object_rec *o)
{
    o->bucket = bucket;
    o->key = col_str(st, 0, a);
    o->size = (uint64_t)sqlite3_column_int64(st, 1);
    o->etag = col_str(st, 2, a);
    o->mtime_ms = sqlite3_column_int64(st, 3);
    o->data_id = col_str(st, 4, a);
    o->content_type = col_str(st, 5, a);
    o->headers = col_str(st, 6, a);
    o->checksum_algo = col_str(st, 7, a);
    o->checksum = col_str(st, 8, a);
    o->checksum_type = col_str(st, 9, a);
    o->parts = col_str(st, 10, a);
    o->owner = col_str(st, 11, a);
    o->acl = col_str(st, 12, a);
    o->tags = col_str(st, 13, a);
    o->inline_data = NULL;
}

/* An UPL_COLS row. */
void msq_row_upload(sqlite3_stmt *st, struct pail_arena *a, struct pail_upload_rec *u)
{
    u->key = col_str(st, 0, a);
    u->upload_id = col_str(st, 1, a);
    u->initiated_ms = sqlite3_column_int64(st, 2);
    u->content_type = col_str(st, 3, a);
    u->headers = col_str(st, 4, a);
    u->checksum_algo = col_str(st, 5, a);
    u->checksum_type = col_str(st, 6, a);
    u->owner = col_str(st, 7, a);
    u->bucket = col_str(st, 8, a);
    u->acl = col_str(st, 9, a);
    u->tags = col_str(st, 10, a);
}

/* Data ids a change may orphan, gathered before it runs. */
struct idvec {
    const char **v;
    size_t n, cap;
};

/* Appends column 0 of every row of query q (bound from fmt) to iv. */
static enum pail_err collect_q(struct msq *s, struct pail_arena *a, struct idvec *iv,
                               enum qid q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = msq_vquery(s, q, fmt, ap);
    va_end(ap);
    if (!st)
        return PAIL_E_InternalError;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        iv->v = msq_grow(a, iv->v, iv->n, &iv->cap, sizeof *iv->v);
        iv->v[iv->n++] = col_str(st, 0, a);
    }
    return rc == SQLITE_DONE ? PAIL_OK : msq_fail(s, rc, "collect ids");
}

/* True (or an error) when any object or part references id. */
static enum pail_err id_used(struct msq *s, const char *id, bool *used)
{
    sqlite3_stmt *st = msq_query(s, Q_DATA_ID_USED, "s", id);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return msq_fail(s, rc, "data id used");
    *used = sqlite3_column_int(st, 0) != 0;
    return PAIL_OK;
}

/* Ids of inline data (meta.h: pail_object_rec.inline_data) are this letter
 * and the inline_data row number; data-backend ids are lower-case hex, so
 * the two never mix. */
#define INLINE_MARK 'i'

/* true, with its row number in *n, when id names inline data. */
static bool inline_number(const char *id, int64_t *n)
{
    if (id[0] != INLINE_MARK)
        return false;
    char *end;
    *n = strtoll(id + 1, &end, 10);
    return id[1] && !*end;
}

/* After the change: garbage = the candidates nothing references any more
 * (a re-put of the same data id, or a part's blob reused as the object's,
 * is therefore never returned). Unreferenced inline data is deleted here, in
 * the same transaction, and never becomes garbage. */
static enum pail_err garbage_finish(struct msq *s, struct idvec *iv, struct pail_garbage *g)
{
    size_t kept = 0;
    for (size_t i = 0; i < iv->n; i++) {
        int64_t n;
        if (inline_number(iv->v[i], &n)) { /* never shared: one row, one id */
            enum pail_err e = msq_run(s, Q_INLINE_DELETE, "i", n);
            if (e != PAIL_OK)
                return e;
            continue;
        }
        bool used = true;
        enum pail_err e = id_used(s, iv->v[i], &used);
        if (e != PAIL_OK)
            return e;
        if (!used)
            iv->v[kept++] = iv->v[i];
    }
    g->ids = iv->v;
    g->n = kept;
    return PAIL_OK;
}

/* ===== 5. buckets ===== */

/* PAIL_OK when bucket `name` exists, else NoSuchBucket (or an error). */
enum pail_err msq_bucket_check(struct msq *s, const char *name)
{
    sqlite3_stmt *st = msq_query(s, Q_BUCKET_GET, "s", name);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return PAIL_OK;
    return rc == SQLITE_DONE ? PAIL_E_NoSuchBucket : msq_fail(s, rc, "bucket get");
}

/* Same owner → BucketAlreadyOwnedByYou; another owner → BucketAlreadyExists
 * (S3 answers differently for the two). */
static enum pail_err do_bucket_create(struct msq *s, const struct pail_bucket_rec *b)
{
    const char *owner = b->owner ? b->owner : "";
    enum pail_err e = msq_run(s, Q_BUCKET_INSERT, "siss", b->name, b->created_ms,
                          b->region ? b->region : "", owner);
    if (e == PAIL_OK && sqlite3_changes(s->db) == 1) {
        for (size_t i = 0; i < b->nconf && e == PAIL_OK; i++)
            e = msq_run(s, Q_CONF_PUT, "sss", b->name, b->conf[i].name, b->conf[i].doc);
        return e;
    }
    if (e != PAIL_OK)
        return e;
    if ((e = msq_bucket_check(s, b->name)) != PAIL_OK) /* it exists: we are in its tx */
        return e;
    const char *have = (const char *)sqlite3_column_text(s->stmt[Q_BUCKET_GET], 3);
    return have && strcmp(have, owner) == 0 ? PAIL_E_BucketAlreadyOwnedByYou
                                            : PAIL_E_BucketAlreadyExists;
}

static enum pail_err sq_bucket_create(void *vs, const struct pail_bucket_rec *b)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_bucket_create(s, b), NULL);
}

/* The bucket's settings (version 5) into out->conf. */
static enum pail_err bucket_confs(struct msq *s, const char *name, struct pail_arena *a,
                                  struct pail_bucket_rec *out)
{
    sqlite3_stmt *st = msq_query(s, Q_CONF_OF_BUCKET, "s", name);
    if (!st)
        return PAIL_E_InternalError;
    struct pail_conf *v = NULL;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        v = msq_grow(a, v, out->nconf, &cap, sizeof *v);
        v[out->nconf].name = col_str(st, 0, a);
        v[out->nconf++].doc = col_str(st, 1, a);
    }
    out->conf = v;
    return rc == SQLITE_DONE ? PAIL_OK : msq_fail(s, rc, "bucket settings");
}

static enum pail_err do_bucket_get(struct msq *s, const char *name, struct pail_arena *a,
                                   struct pail_bucket_rec *out)
{
    enum pail_err e = msq_bucket_check(s, name);
    if (e == PAIL_OK)
        row_bucket(s->stmt[Q_BUCKET_GET], a, out);
    return e == PAIL_OK ? bucket_confs(s, name, a, out) : e;
}

static enum pail_err sq_bucket_get(void *vs, const char *name, struct pail_arena *a,
                                   struct pail_bucket_rec *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_PEEK, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_bucket_get(s, name, a, out), NULL);
}

static enum pail_err do_bucket_usage(struct msq *s, const char *name, uint64_t *objects,
                                     uint64_t *bytes)
{
    enum pail_err e = msq_bucket_check(s, name);
    if (e != PAIL_OK)
        return e;
    sqlite3_stmt *st = msq_query(s, Q_BUCKET_USAGE, "s", name);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return msq_fail(s, rc, "bucket usage");
    *objects = (uint64_t)sqlite3_column_int64(st, 0);
    *bytes = (uint64_t)sqlite3_column_int64(st, 1);
    return PAIL_OK;
}

/* A peek: metrics need no durability barrier, and one statement's snapshot
 * is consistent by itself. */
static enum pail_err sq_bucket_usage(void *vs, const char *name, uint64_t *objects,
                                     uint64_t *bytes)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_PEEK, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_bucket_usage(s, name, objects, bytes), NULL);
}

static enum pail_err do_bucket_delete(struct msq *s, const char *name, struct pail_arena *a,
                                      struct pail_garbage *g)
{
    enum pail_err e = msq_bucket_check(s, name);
    if (e != PAIL_OK)
        return e;
    sqlite3_stmt *st = msq_query(s, Q_BUCKET_HAS_OBJECTS, "s", name);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return PAIL_E_BucketNotEmpty;
    if (rc != SQLITE_DONE)
        return msq_fail(s, rc, "bucket has objects");
    struct idvec iv = {0};
    if ((e = collect_q(s, a, &iv, Q_BUCKET_PART_IDS, "s", name)) != PAIL_OK ||
        (e = msq_run(s, Q_BUCKET_DEL_PARTS, "s", name)) != PAIL_OK ||
        (e = msq_run(s, Q_BUCKET_DEL_UPLOADS, "s", name)) != PAIL_OK ||
        (e = msq_run(s, Q_CONF_DEL_BUCKET, "s", name)) != PAIL_OK ||
        (e = msq_run(s, Q_BUCKET_DELETE, "s", name)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err sq_bucket_delete(void *vs, const char *name, struct pail_arena *a,
                                      struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_bucket_delete(s, name, a, g), g);
}

static enum pail_err do_bucket_list(struct msq *s, struct pail_arena *a,
                                    struct pail_bucket_rec **out, size_t *n)
{
    sqlite3_stmt *st = msq_query(s, Q_BUCKET_LIST, "");
    if (!st)
        return PAIL_E_InternalError;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = msq_grow(a, *out, *n, &cap, sizeof **out);
        row_bucket(st, a, &(*out)[(*n)++]);
    }
    return rc == SQLITE_DONE ? PAIL_OK : msq_fail(s, rc, "bucket list");
}

static enum pail_err sq_bucket_list(void *vs, struct pail_arena *a,
                                    struct pail_bucket_rec **out, size_t *n)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_bucket_list(s, a, out, n), NULL);
}

/* ===== 6. objects ===== */

/* Inserts or replaces object o (its bucket is known to exist). */
static enum pail_err object_write(struct msq *s, const struct pail_object_rec *o)
{
    return msq_run(s, Q_OBJ_PUT, "ssusissssssssss", o->bucket, o->key, o->size, o->etag,
                   o->mtime_ms, o->data_id, o->content_type, o->headers, o->checksum_algo,
                   o->checksum, o->checksum_type, o->parts, o->owner, o->acl, o->tags);
}

/* Stores o's inline data under a fresh id, written to *id (arena). */
static enum pail_err inline_put(struct msq *s, const struct pail_object_rec *o,
                                struct pail_arena *a, const char **id)
{
    sqlite3_stmt *st = msq_query(s, Q_INLINE_PUT, "b", o->inline_data, o->size);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return msq_fail(s, rc, "inline put");
    *id = pail_arena_printf(a, "%c%lld", INLINE_MARK, (long long)sqlite3_column_int64(st, 0));
    return PAIL_OK;
}

static enum pail_err do_object_put(struct msq *s, const struct pail_object_rec *o,
                                   struct pail_arena *a, struct pail_garbage *g)
{
    struct idvec iv = {0};
    struct pail_object_rec rec = *o;
    enum pail_err e;
    if ((e = msq_bucket_check(s, o->bucket)) != PAIL_OK ||
        (e = collect_q(s, a, &iv, Q_OBJ_DATA_ID, "ss", o->bucket, o->key)) != PAIL_OK ||
        (o->inline_data && (e = inline_put(s, o, a, &rec.data_id)) != PAIL_OK) ||
        (e = object_write(s, &rec)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err op_object_put(struct msq *s, struct wop *w)
{
    return do_object_put(s, w->o, w->a, w->g);
}

static enum pail_err sq_object_put(void *vs, const struct pail_object_rec *o,
                                   struct pail_arena *a, struct pail_garbage *g)
{
    struct sqdb *d = vs;
    if (o->inline_data && !pail_fs_room(d->wal_fd, o->size))
        return PAIL_E_InsufficientStorage;
    struct wop op = {.fn = op_object_put, .o = o, .a = a, .g = g};
    return msq_batch_write(d, &op);
}

/* out->inline_data from column i of st (an arena copy). */
static enum pail_err inline_copy(struct msq *s, sqlite3_stmt *st, int i, struct pail_arena *a,
                                 struct pail_object_rec *out)
{
    const void *p = sqlite3_column_blob(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return msq_fail(s, SQLITE_CORRUPT, "inline data missing");
    if (n != out->size)
        return msq_fail(s, SQLITE_CORRUPT, "inline data has the wrong size");
    void *copy = pail_arena_alloc(a, n ? n : 1);
    if (n)
        memcpy(copy, p, n);
    out->inline_data = copy;
    return PAIL_OK;
}

/* One statement (TX_READ_ONE): the row and, for an inline object, its bytes
 * are read in one snapshot. The bucket is looked up only on a miss. */
static enum pail_err do_object_get(struct msq *s, const char *bucket, const char *key,
                                   struct pail_arena *a, struct pail_object_rec *out)
{
    sqlite3_stmt *st = msq_query(s, Q_OBJ_GET_DATA, "ss", bucket, key);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        msq_row_object(st, a, pail_arena_strdup(a, bucket), out);
        int64_t n;
        return inline_number(out->data_id, &n) ? inline_copy(s, st, 14, a, out) : PAIL_OK;
    }
    if (rc != SQLITE_DONE)
        return msq_fail(s, rc, "object get");
    enum pail_err e = msq_bucket_check(s, bucket);
    return e == PAIL_OK ? PAIL_E_NoSuchKey : e;
}

static enum pail_err sq_object_get(void *vs, const char *bucket, const char *key,
                                   struct pail_arena *a, struct pail_object_rec *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_READ_ONE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_object_get(s, bucket, key, a, out), NULL);
}

static enum pail_err do_object_delete(struct msq *s, const char *bucket, const char *key,
                                      struct pail_arena *a, struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e;
    if ((e = msq_bucket_check(s, bucket)) != PAIL_OK ||
        (e = collect_q(s, a, &iv, Q_OBJ_DATA_ID, "ss", bucket, key)) != PAIL_OK)
        return e;
    if (iv.n == 0)
        return PAIL_OK; /* absent: S3 DeleteObject still succeeds */
    if ((e = msq_run(s, Q_OBJ_DELETE, "ss", bucket, key)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err op_object_delete(struct msq *s, struct wop *w)
{
    return do_object_delete(s, w->bucket, w->key, w->a, w->g);
}

static enum pail_err sq_object_delete(void *vs, const char *bucket, const char *key,
                                      struct pail_arena *a, struct pail_garbage *g)
{
    struct wop op = {.fn = op_object_delete, .bucket = bucket, .key = key, .a = a, .g = g};
    return msq_batch_write(vs, &op);
}

/* DeleteObjects: every key in one transaction, so a batch of 1,000 costs one
 * commit (one WAL fsync) instead of 1,000. */
static enum pail_err do_object_delete_many(struct msq *s, const char *bucket,
                                           const char *const *keys, size_t n,
                                           struct pail_arena *a, struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e = msq_bucket_check(s, bucket);
    for (size_t i = 0; i < n && e == PAIL_OK; i++) {
        size_t before = iv.n;
        e = collect_q(s, a, &iv, Q_OBJ_DATA_ID, "ss", bucket, keys[i]);
        if (e == PAIL_OK && iv.n > before)
            e = msq_run(s, Q_OBJ_DELETE, "ss", bucket, keys[i]);
    }
    return e != PAIL_OK ? e : garbage_finish(s, &iv, g);
}

static enum pail_err sq_object_delete_many(void *vs, const char *bucket,
                                           const char *const *keys, size_t n,
                                           struct pail_arena *a, struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_object_delete_many(s, bucket, keys, n, a, g), g);
}

/* ===== 8. multipart uploads and parts ===== */

/* Finds upload_id; NoSuchUpload if absent or (bucket/key given) it belongs
 * elsewhere. Copies it into *out when out is not NULL. */
enum pail_err msq_upload_find(struct msq *s, const char *upload_id, const char *bucket,
                                 const char *key, struct pail_arena *a,
                                 struct pail_upload_rec *out)
{
    sqlite3_stmt *st = msq_query(s, Q_UPL_GET, "s", upload_id);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return PAIL_E_NoSuchUpload;
    if (rc != SQLITE_ROW)
        return msq_fail(s, rc, "upload get");
    const char *k = (const char *)sqlite3_column_text(st, 0);
    const char *b = (const char *)sqlite3_column_text(st, 8);
    if ((key && (!k || strcmp(k, key) != 0)) || (bucket && (!b || strcmp(b, bucket) != 0)))
        return PAIL_E_NoSuchUpload;
    if (out)
        msq_row_upload(st, a, out);
    return PAIL_OK;
}

static enum pail_err do_upload_create(struct msq *s, const struct pail_upload_rec *u)
{
    enum pail_err e = msq_bucket_check(s, u->bucket);
    if (e != PAIL_OK)
        return e;
    return msq_run(s, Q_UPL_INSERT, "ssissssssss", u->key, u->upload_id, u->initiated_ms,
                   u->content_type, u->headers, u->checksum_algo, u->checksum_type, u->owner,
                   u->bucket, u->acl, u->tags);
}

static enum pail_err sq_upload_create(void *vs, const struct pail_upload_rec *u)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_upload_create(s, u), NULL);
}

static enum pail_err sq_upload_get(void *vs, const char *bucket, const char *key,
                                   const char *upload_id, struct pail_arena *a,
                                   struct pail_upload_rec *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, msq_upload_find(s, upload_id, bucket, key, a, out), NULL);
}

/* Collects the part's old data id (if any), then writes the part. */
static enum pail_err do_part_put(struct msq *s, const struct pail_part_rec *p,
                                 struct pail_arena *a, struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e;
    if ((e = msq_upload_find(s, p->upload_id, NULL, NULL, a, NULL)) != PAIL_OK ||
        (e = collect_q(s, a, &iv, Q_PART_DATA_ID, "sn", p->upload_id, p->part_number)) !=
            PAIL_OK ||
        (e = msq_run(s, Q_PART_PUT, "snusiss", p->upload_id, p->part_number, p->size, p->etag,
                 p->mtime_ms, p->data_id, p->checksum)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err sq_part_put(void *vs, const struct pail_part_rec *p,
                                 struct pail_arena *a, struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_part_put(s, p, a, g), g);
}

/* Fetches max + 1 parts: the extra one only decides `truncated`. */
static enum pail_err do_part_list(struct msq *s, const char *upload_id, int after_part,
                                  unsigned max, struct pail_arena *a, struct pail_parts_out *out)
{
    enum pail_err e = msq_upload_find(s, upload_id, NULL, NULL, a, NULL);
    if (e != PAIL_OK)
        return e;
    sqlite3_stmt *st = msq_query(s, Q_PART_LIST, "sni", upload_id, after_part, (int64_t)max + 1);
    if (!st)
        return PAIL_E_InternalError;
    const char *uid = pail_arena_strdup(a, upload_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->nparts == max) {
            out->truncated = true;
            return PAIL_OK;
        }
        out->parts = msq_grow(a, out->parts, out->nparts, &cap, sizeof *out->parts);
        struct pail_part_rec *p = &out->parts[out->nparts++];
        p->upload_id = uid;
        p->part_number = sqlite3_column_int(st, 0);
        p->size = (uint64_t)sqlite3_column_int64(st, 1);
        p->etag = col_str(st, 2, a);
        p->mtime_ms = sqlite3_column_int64(st, 3);
        p->data_id = col_str(st, 4, a);
        p->checksum = col_str(st, 5, a);
        out->next_marker = p->part_number;
    }
    return rc == SQLITE_DONE ? PAIL_OK : msq_fail(s, rc, "part list");
}

static enum pail_err sq_part_list(void *vs, const char *upload_id, int after_part,
                                  unsigned max, struct pail_arena *a, struct pail_parts_out *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_part_list(s, upload_id, after_part, max, a, out), NULL);
}

/* Removes an upload and its parts, collecting the parts' data ids. */
static enum pail_err upload_drop(struct msq *s, const char *upload_id, struct pail_arena *a,
                                 struct idvec *iv)
{
    enum pail_err e;
    if ((e = collect_q(s, a, iv, Q_UPL_PART_IDS, "s", upload_id)) != PAIL_OK ||
        (e = msq_run(s, Q_UPL_DEL_PARTS, "s", upload_id)) != PAIL_OK)
        return e;
    return msq_run(s, Q_UPL_DELETE, "s", upload_id);
}

static enum pail_err do_upload_complete(struct msq *s, const char *upload_id,
                                        const struct pail_object_rec *o, struct pail_arena *a,
                                        struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e;
    if ((e = msq_upload_find(s, upload_id, o->bucket, o->key, a, NULL)) != PAIL_OK ||
        (e = collect_q(s, a, &iv, Q_OBJ_DATA_ID, "ss", o->bucket, o->key)) != PAIL_OK ||
        (e = upload_drop(s, upload_id, a, &iv)) != PAIL_OK ||
        (e = object_write(s, o)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err sq_upload_complete(void *vs, const char *upload_id,
                                        const struct pail_object_rec *o, struct pail_arena *a,
                                        struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_upload_complete(s, upload_id, o, a, g), g);
}

static enum pail_err do_upload_abort(struct msq *s, const char *bucket, const char *key,
                                     const char *upload_id, struct pail_arena *a,
                                     struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e;
    if ((e = msq_upload_find(s, upload_id, bucket, key, a, NULL)) != PAIL_OK ||
        (e = upload_drop(s, upload_id, a, &iv)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err sq_upload_abort(void *vs, const char *bucket, const char *key,
                                     const char *upload_id, struct pail_arena *a,
                                     struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_upload_abort(s, bucket, key, upload_id, a, g), g);
}

/* ===== 9. bucket settings, object ACLs, identity records (version 5) ===== */

static enum pail_err do_conf_put(struct msq *s, const char *bucket, const char *name,
                                 const char *doc)
{
    enum pail_err e = msq_bucket_check(s, bucket);
    if (e != PAIL_OK)
        return e;
    return doc ? msq_run(s, Q_CONF_PUT, "sss", bucket, name, doc)
               : msq_run(s, Q_CONF_DELETE, "ss", bucket, name);
}

static enum pail_err sq_bucket_conf_put(void *vs, const char *bucket, const char *name,
                                        const char *doc)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_conf_put(s, bucket, name, doc), NULL);
}

/* One column of an existing object's row (q: an UPDATE ... WHERE bucket,
 * key) set to value. */
static enum pail_err do_object_set(struct msq *s, enum qid q, const char *bucket,
                                   const char *key, const char *value)
{
    enum pail_err e = msq_bucket_check(s, bucket);
    if (e == PAIL_OK)
        e = msq_run(s, q, "sss", bucket, key, value);
    if (e == PAIL_OK && sqlite3_changes(s->db) == 0)
        e = PAIL_E_NoSuchKey;
    return e;
}

/* do_object_set in a write transaction of its own. */
static enum pail_err object_set_tx(void *vs, enum qid q, const char *bucket, const char *key,
                                   const char *value)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_object_set(s, q, bucket, key, value), NULL);
}

static enum pail_err sq_object_acl_put(void *vs, const char *bucket, const char *key,
                                       const char *acl)
{
    return object_set_tx(vs, Q_OBJ_ACL_PUT, bucket, key, acl);
}

static enum pail_err sq_object_tags_put(void *vs, const char *bucket, const char *key,
                                        const char *tags)
{
    return object_set_tx(vs, Q_OBJ_TAGS_PUT, bucket, key, tags);
}

static enum pail_err do_iam_write(struct msq *s, const struct pail_iam_rec *recs, size_t n)
{
    enum pail_err e = PAIL_OK;
    for (size_t i = 0; i < n && e == PAIL_OK; i++)
        e = recs[i].doc ? msq_run(s, Q_IAM_PUT, "sss", recs[i].kind, recs[i].name, recs[i].doc)
                        : msq_run(s, Q_IAM_DELETE, "ss", recs[i].kind, recs[i].name);
    return e;
}

static enum pail_err sq_iam_write(void *vs, const struct pail_iam_rec *recs, size_t n)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_iam_write(s, recs, n), NULL);
}

static enum pail_err do_iam_load(struct msq *s, struct pail_arena *a,
                                 struct pail_iam_rec **out, size_t *n)
{
    sqlite3_stmt *st = msq_query(s, Q_IAM_ALL, "");
    if (!st)
        return PAIL_E_InternalError;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = msq_grow(a, *out, *n, &cap, sizeof **out);
        struct pail_iam_rec *r = &(*out)[(*n)++];
        r->kind = col_str(st, 0, a);
        r->name = col_str(st, 1, a);
        r->doc = col_str(st, 2, a);
    }
    return rc == SQLITE_DONE ? PAIL_OK : msq_fail(s, rc, "identity records");
}

static enum pail_err sq_iam_load(void *vs, struct pail_arena *a, struct pail_iam_rec **out,
                                 size_t *n)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_iam_load(s, a, out, n), NULL);
}

/* ===== 10. data_id_used, the vtable ===== */

/* On any error this answers true: the sweep must never delete data because
 * the database could not be read. */
static bool sq_data_id_used(void *vs, const char *data_id)
{
    struct sqdb *d = vs;
    struct msq *s;
    if (msq_tx_begin(d, TX_READ, &s) != PAIL_OK)
        return true;
    bool used = true;
    msq_tx_end(d, s, id_used(s, data_id, &used), NULL);
    return used;
}

/* SQLite's own count: every connection of the process (one store per
 * process), its page caches (cache_size, 2 MiB each by default) first. */
static uint64_t msq_memory(void *s)
{
    (void)s;
    return (uint64_t)sqlite3_memory_used();
}

const struct pail_meta_ops pail_meta_sqlite = {
    .version = 9,
    .name = "sqlite",
    .open = msq_open,
    .close = msq_close,
    .bucket_create = sq_bucket_create,
    .bucket_get = sq_bucket_get,
    .bucket_delete = sq_bucket_delete,
    .bucket_list = sq_bucket_list,
    .object_put = sq_object_put,
    .object_get = sq_object_get,
    .object_delete = sq_object_delete,
    .object_list = msq_object_list,
    .upload_create = sq_upload_create,
    .upload_get = sq_upload_get,
    .part_put = sq_part_put,
    .part_list = sq_part_list,
    .upload_complete = sq_upload_complete,
    .upload_abort = sq_upload_abort,
    .upload_list = msq_upload_list,
    .data_id_used = sq_data_id_used,
    .object_delete_many = sq_object_delete_many,
    .exclusive = true, /* lock_store */
    .bucket_conf_put = sq_bucket_conf_put,
    .object_acl_put = sq_object_acl_put,
    .object_tags_put = sq_object_tags_put,
    .bucket_usage = sq_bucket_usage,
    .iam_write = sq_iam_write,
    .iam_load = sq_iam_load,
    .snapshot = msq_snapshot,
    .memory = msq_memory,
};
