/* s3/object_put.c — PutObject and CopyObject. Both end in put_commit(): data
 * durable first (data backend commit), then the metadata row in one
 * transaction, then the replaced blob removed — so a crash at any point
 * leaves either the old object or the new one, never a partial one. */
#include "http/body.h"
#include "http/request.h"
#include "s3/services.h"
#include "s3/acl_request.h"
#include "s3/authz.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/owner.h"
#include "s3/handlers.h"
#include "s3/object_write.h"
#include "s3/tags.h"
#include "store/data.h"
#include "util/encode.h"
#include "util/time.h"
#include "util/xml_out.h"

#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

/* ---- the streaming writer shared with UploadPart ---------------------- */

static enum pail_err writer_open(struct s3_upload *u)
{
    enum pail_err e = pail_data_writer_open(u->r->svc->data, &u->w);
    if (e == PAIL_OK)
        u->data_id = pail_arena_strdup(u->r->arena, pail_data_writer_id(u->w));
    return e;
}

/* An inline candidate outgrew S3_INLINE_MAX: from here on it is a blob. */
static enum pail_err spill(struct s3_upload *u)
{
    enum pail_err e = writer_open(u);
    if (e == PAIL_OK && u->mem_len)
        e = pail_data_write(u->w, u->mem, u->mem_len);
    u->mem = NULL;
    return e;
}

static enum pail_err writer_sink(void *ctx, const void *p, size_t n)
{
    struct s3_upload *u = ctx;
    if (u->mem && n <= S3_INLINE_MAX - u->mem_len) {
        memcpy(u->mem + u->mem_len, p, n);
        u->mem_len += n;
        return PAIL_OK;
    }
    enum pail_err e = u->mem ? spill(u) : PAIL_OK;
    return e != PAIL_OK ? e : pail_data_write(u->w, p, n);
}

static void writer_cleanup(void *arg)
{
    struct s3_upload *u = arg;
    pail_data_abort(u->w); /* no-op once committed (w is NULL) */
    u->w = NULL;
}

enum pail_err s3_upload_begin(struct pail_req *r, enum pail_cksum_algo algo, bool may_inline)
{
    if (!r->has_length && !pail_req_header(r, "transfer-encoding"))
        return pail_req_fail(r, PAIL_E_MissingContentLength, NULL);
    struct s3_upload *u = pail_arena_alloc(r->arena, sizeof(*u));
    u->r = r;
    pail_arena_cleanup(r->arena, writer_cleanup, u);
    r->op_state = u;
    uint64_t len;
    if (may_inline && pail_meta_can_inline(r->svc->meta) &&
        (!pail_body_declared_length(r, &len) || len <= S3_INLINE_MAX)) {
        u->mem = pail_arena_alloc(r->arena, S3_INLINE_MAX);
    } else {
        enum pail_err e = writer_open(u);
        if (e != PAIL_OK)
            return pail_req_fail(r, e, NULL);
    }
    return pail_body_begin(r, writer_sink, u, 0, algo, 0);
}

enum pail_err s3_upload_commit(struct pail_req *r, struct s3_upload *u)
{
    struct pail_data_writer *w = u->w;
    u->w = NULL;
    enum pail_err e = w ? pail_data_commit(w) : PAIL_OK;
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    u->inline_data = w ? NULL : u->mem;
    pail_hex(pail_body_md5(r), 16, u->etag);
    u->size = pail_body_length(r);
    u->ck_algo = pail_body_checksum(r, &u->checksum);
    if (u->checksum)
        u->checksum = pail_arena_strdup(r->arena, u->checksum);
    return PAIL_OK;
}

/* ---- PutObject --------------------------------------------------------- */

/* Who owns what req writes, and with which ACL: decided (and refused) before
 * the body is read. */
static enum pail_err owner_and_acl(struct pail_req *r, const char **owner, const char **acl)
{
    *owner = s3_write_owner(r);
    return s3_request_acl(r, r->bkt, false, false, *owner, s3_owner_account(r, r->bkt->owner),
                          acl);
}

enum pail_err s3_put_object_begin(struct pail_req *r)
{
    const char *owner, *acl;
    if (owner_and_acl(r, &owner, &acl) != PAIL_OK ||
        s3_upload_begin(r, PAIL_CKSUM_NONE, true) != PAIL_OK)
        return r->err;
    struct s3_upload *u = r->op_state;
    u->owner = owner;
    u->acl = acl;
    return PAIL_OK;
}

/* Metadata commit for a new object whose data is already durable (or is
 * inline, committed with it); on failure the new blob is removed again. */
static enum pail_err put_commit(struct pail_req *r, struct pail_object_rec *o)
{
    struct pail_garbage g = {0};
    enum pail_err e = pail_meta_object_put(r->svc->meta, o, r->arena, &g);
    if (e != PAIL_OK) {
        if (!o->inline_data)
            pail_data_remove(r->svc->data, o->data_id);
        return pail_req_fail(r, e, NULL);
    }
    s3_drop_garbage(r, &g);
    return PAIL_OK;
}

enum pail_err s3_put_object(struct pail_req *r)
{
    struct s3_upload *u = r->op_state;
    const char *headers;
    if (s3_stored_headers(r, &headers) != PAIL_OK || s3_write_conditions(r) != PAIL_OK)
        return r->err;
    if (s3_upload_commit(r, u) != PAIL_OK)
        return r->err;
    struct pail_object_rec o = {
        .bucket = r->bucket, .key = r->key, .size = u->size, .etag = u->etag,
        .mtime_ms = s3_now_ms(r), .data_id = u->data_id, .inline_data = u->inline_data,
        .content_type = s3_content_type(r), .headers = headers,
        .checksum_algo = u->checksum ? pail_cksum_algo_name(u->ck_algo) : NULL,
        .checksum = u->checksum,
        .checksum_type = u->checksum ? "FULL_OBJECT" : NULL,
        .owner = u->owner, .acl = u->acl, .tags = s3_tags_to_json(r->arena, r->tags),
    };
    if (put_commit(r, &o) != PAIL_OK)
        return r->err;
    pail_resp_header(r, "ETag", s3_quoted(r, u->etag));
    if (u->checksum) {
        pail_resp_header(r, pail_cksum_header(u->ck_algo), u->checksum);
        pail_resp_header(r, "x-amz-checksum-type", "FULL_OBJECT");
    }
    return PAIL_OK;
}

/* ---- CopyObject -------------------------------------------------------- */

/* Up to want bytes of src's data at off into buf: from its inline bytes, or
 * by pread from fd (its open blob). Like pread: the count, 0 at the end,
 * -1 on error. */
static ssize_t source_read(const struct pail_object_rec *src, int fd, void *buf,
                           size_t want, uint64_t off)
{
    if (!src->inline_data)
        return pread(fd, buf, want, (off_t)off);
    if (off >= src->size)
        return 0;
    size_t n = src->size - off < want ? (size_t)(src->size - off) : want;
    memcpy(buf, (const unsigned char *)src->inline_data + off, n);
    return (ssize_t)n;
}

/* Copies the source's blob (or a range of it) into a new durable blob. */
enum pail_err s3_copy_data(struct pail_req *r, const struct pail_object_rec *src,
                           uint64_t off, uint64_t len, char id_out[33])
{
    enum pail_err e;
    if (src->inline_data) { /* no blob to compose from: write the bytes */
        struct pail_data_writer *w;
        if ((e = pail_data_writer_open(r->svc->data, &w)) != PAIL_OK)
            return pail_req_fail(r, e, NULL);
        memcpy(id_out, pail_data_writer_id(w), 33);
        e = pail_data_write(w, (const unsigned char *)src->inline_data + off, (size_t)len);
        if (e == PAIL_OK)
            e = pail_data_commit(w);
        else
            pail_data_abort(w);
        return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
    }
    struct pail_data_seg seg = {src->data_id, off, len};
    e = pail_data_compose(r->svc->data, &seg, 1, id_out);
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
}

enum pail_err s3_copy_hashed(struct pail_req *r, const struct pail_object_rec *src,
                                 uint64_t off, uint64_t len, enum pail_cksum_algo algo,
                                 struct s3_upload *out)
{
    int fd = -1;
    uint64_t size;
    enum pail_err e = src->inline_data ? PAIL_OK
                                       : pail_data_open_read(r->svc->data, src->data_id, &fd, &size);
    if (e != PAIL_OK) /* NoSuchKey: the blob vanished under us, see s3_copy_retry */
        return pail_req_fail(r, e == PAIL_E_NoSuchKey ? e : PAIL_E_InternalError, NULL);
    struct pail_data_writer *w;
    if ((e = pail_data_writer_open(r->svc->data, &w)) != PAIL_OK) {
        if (fd >= 0)
            close(fd);
        return pail_req_fail(r, e, NULL);
    }
    out->data_id = pail_arena_strdup(r->arena, pail_data_writer_id(w));
    struct pail_cksum md5, ck;
    pail_cksum_init(&md5, PAIL_CKSUM_MD5);
    pail_cksum_init(&ck, algo == PAIL_CKSUM_NONE ? PAIL_CKSUM_CRC32 : algo);
    static __thread char buf[256 * 1024];
    for (uint64_t done = 0; done < len && e == PAIL_OK;) {
        size_t want = len - done < sizeof buf ? (size_t)(len - done) : sizeof buf;
        ssize_t got = source_read(src, fd, buf, want, off + done);
        if (got <= 0) {
            e = PAIL_E_InternalError;
            break;
        }
        pail_cksum_update(&md5, buf, (size_t)got);
        pail_cksum_update(&ck, buf, (size_t)got);
        e = pail_data_write(w, buf, (size_t)got);
        done += (uint64_t)got;
    }
    if (fd >= 0)
        close(fd);
    if (e == PAIL_OK)
        e = pail_data_commit(w);
    else
        pail_data_abort(w);
    unsigned char d[32];
    pail_cksum_final(&md5, d);
    pail_hex(d, 16, out->etag);
    char b64[64];
    pail_cksum_final_b64(&ck, b64);
    pail_cksum_free(&md5);
    pail_cksum_free(&ck);
    out->ck_algo = algo;
    out->checksum = algo == PAIL_CKSUM_NONE ? NULL : pail_arena_strdup(r->arena, b64);
    out->size = len;
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
}

/* The source's row and its blob are read in two steps: a concurrent
 * overwrite or delete of the source may commit and remove the old blob in
 * between, and the copy then fails with NoSuchKey although the source key
 * exists (in a newer version). That failure is not the client's: like
 * GetObject's open_object, the caller looks the source up again and retries,
 * a bounded number of times. Returns true (error cleared) to retry. */
#define COPY_ATTEMPTS 5
bool s3_copy_retry(struct pail_req *r, int attempt)
{
    if (r->err != PAIL_E_NoSuchKey)
        return false;
    r->err = PAIL_OK;
    r->err_msg = NULL;
    if (attempt + 1 < COPY_ATTEMPTS)
        return true;
    pail_req_fail(r, PAIL_E_InternalError, "source object data kept changing under the copy");
    return false;
}

enum pail_err s3_copy_source_get(struct pail_req *r, struct pail_object_rec *src)
{
    const char *sb, *sk;
    if (s3_copy_source(r, &sb, &sk) != PAIL_OK)
        return r->err;
    const struct s3_bucket *srcb;
    enum pail_err e = s3_bucket_get(r->svc->buckets, sb, r->arena, &srcb);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    const char *want = pail_req_header(r, "x-amz-source-expected-bucket-owner");
    if (want && strcmp(want, s3_owner_account(r, srcb->owner)) != 0) {
        r->deny_reason = "expected-bucket-owner";
        return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
    }
    e = pail_meta_object_get(r->svc->meta, sb, sk, r->arena, src);
    if (e != PAIL_OK && e != PAIL_E_NoSuchKey)
        return pail_req_fail(r, e, NULL);
    if (s3_authorize_action(r, "s3:GetObject", srcb, sk, e == PAIL_OK ? src : NULL, true) !=
        PAIL_OK)
        return r->err;
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    return s3_conditions(r, "x-amz-copy-source-if-", src, false);
}

/* o = the copy of src (with REPLACE: the request's headers and type) and
 * its data copied into a new blob (hashed when the request names an
 * algorithm a). */
static enum pail_err copy_object_data(struct pail_req *r, const struct pail_object_rec *src,
                                      bool replace, const char *headers, const char *ctype,
                                      bool replace_tags, enum pail_cksum_algo a,
                                      struct pail_object_rec *o)
{
    /* the caller's: the copy's own (tags: the source's unless replaced) */
    const char *owner = o->owner, *acl = o->acl, *tags = o->tags;
    *o = *src;
    o->bucket = r->bucket;
    o->key = r->key;
    o->mtime_ms = s3_now_ms(r);
    o->owner = owner;
    o->acl = acl;
    if (replace_tags)
        o->tags = tags;
    o->parts = NULL; /* the copy is one new blob, not the source's upload */
    if (replace) {
        o->headers = headers;
        o->content_type = ctype;
    }
    if (src->inline_data && a == PAIL_CKSUM_NONE)
        return PAIL_OK; /* the copy is inline too: the same bytes, a new id */
    o->inline_data = NULL;
    if (a != PAIL_CKSUM_NONE) {
        struct s3_upload up = {0};
        if (s3_copy_hashed(r, src, 0, src->size, a, &up) != PAIL_OK)
            return r->err;
        o->data_id = up.data_id;
        o->checksum_algo = pail_cksum_algo_name(a);
        o->checksum = up.checksum;
        o->checksum_type = "FULL_OBJECT";
        return PAIL_OK;
    }
    char id[33];
    if (s3_copy_data(r, src, 0, src->size, id) != PAIL_OK)
        return r->err;
    o->data_id = pail_arena_strdup(r->arena, id);
    return PAIL_OK;
}

/* x-amz-tagging-directive: COPY (the default) keeps the source's tags,
 * REPLACE gives the copy the request's x-amz-tagging (none without it):
 * *replace and *tags. */
static enum pail_err copy_tags(struct pail_req *r, bool *replace, const char **tags)
{
    const char *dir = pail_req_header(r, "x-amz-tagging-directive");
    *replace = dir && strcmp(dir, "REPLACE") == 0;
    if (dir && !*replace && strcmp(dir, "COPY") != 0)
        return pail_req_fail(r, PAIL_E_InvalidArgument, "Unknown tagging directive.");
    *tags = *replace ? s3_tags_to_json(r->arena, r->tags) : NULL;
    return PAIL_OK;
}

enum pail_err s3_copy_object(struct pail_req *r)
{
    struct pail_object_rec src;
    if (s3_copy_source_get(r, &src) != PAIL_OK)
        return r->err;
    const char *dir = pail_req_header(r, "x-amz-metadata-directive");
    bool replace = dir && strcmp(dir, "REPLACE") == 0;
    if (dir && !replace && strcmp(dir, "COPY") != 0)
        return pail_req_fail(r, PAIL_E_InvalidArgument, "Unknown metadata directive.");
    if (!replace && strcmp(src.bucket, r->bucket) == 0 && strcmp(src.key, r->key) == 0)
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "This copy request is illegal because it is trying to copy an "
                             "object to itself without changing the object's metadata, storage "
                             "class, website redirect location or encryption attributes.");
    const char *headers = NULL, *ctype = NULL;
    if (replace) {
        if (s3_stored_headers(r, &headers) != PAIL_OK)
            return r->err;
        ctype = s3_content_type(r);
    }
    const char *algo_name = pail_req_header(r, "x-amz-checksum-algorithm");
    enum pail_cksum_algo a = PAIL_CKSUM_NONE;
    if (algo_name) {
        /* A new checksum algorithm means reading the bytes to hash them. */
        a = pail_cksum_algo_from_name(algo_name);
        if (a == PAIL_CKSUM_NONE || a == PAIL_CKSUM_MD5)
            return pail_req_fail(r, PAIL_E_InvalidRequest, "Checksum algorithm provided is unsupported.");
    }
    struct pail_object_rec o = {0};
    bool replace_tags;
    if (owner_and_acl(r, &o.owner, &o.acl) != PAIL_OK ||
        copy_tags(r, &replace_tags, &o.tags) != PAIL_OK)
        return r->err;
    /* The source may change under the copy: retried (s3_copy_retry). */
    for (int attempt = 0;
         copy_object_data(r, &src, replace, headers, ctype, replace_tags, a, &o) != PAIL_OK;
         attempt++)
        if (!s3_copy_retry(r, attempt) || s3_copy_source_get(r, &src) != PAIL_OK)
            return r->err;
    if (put_commit(r, &o) != PAIL_OK)
        return r->err;
    char when[32];
    pail_time_iso8601(o.mtime_ms, when);
    struct pail_xml x;
    s3_xml_start(r, &x, "CopyObjectResult");
    pail_xml_elem(&x, "LastModified", when);
    pail_xml_elem(&x, "ETag", s3_quoted(r, o.etag));
    if (o.checksum_algo && o.checksum) {
        char name[32];
        snprintf(name, sizeof name, "Checksum%s", o.checksum_algo);
        pail_xml_elem(&x, name, o.checksum);
    }
    pail_xml_close(&x);
    return PAIL_OK;
}
