/* s3/multipart.c — multipart uploads: Create, UploadPart, UploadPartCopy,
 * Complete, Abort, ListParts. Parts are blobs of their own; Complete composes
 * them into the object's blob (copy_file_range), then commits the object row
 * and drops the upload in one metadata transaction. */
#include "core/limits.h"
#include "http/body.h"
#include "http/request.h"
#include "s3/services.h"
#include "s3/tags.h"
#include "s3/acl_request.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/owner.h"
#include "s3/handlers.h"
#include "s3/object_write.h"
#include "store/data.h"
#include "util/checksum.h"
#include "util/encode.h"
#include "util/time.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>


static const char *new_upload_id(struct pail_req *r)
{
    unsigned char rnd[16];
    char *id = pail_arena_alloc(r->arena, 33);
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return NULL;
    pail_hex(rnd, sizeof rnd, id);
    return id;
}

static void checksum_headers(struct pail_req *r, const char *algo, const char *type)
{
    if (!algo)
        return;
    pail_resp_header(r, "x-amz-checksum-algorithm", algo);
    if (type)
        pail_resp_header(r, "x-amz-checksum-type", type);
}

enum pail_err s3_create_multipart_upload(struct pail_req *r)
{
    struct pail_upload_rec u = {
        .bucket = r->bucket, .key = r->key, .initiated_ms = s3_now_ms(r),
        .content_type = s3_content_type(r), .owner = s3_write_owner(r),
        .upload_id = new_upload_id(r), .tags = s3_tags_to_json(r->arena, r->tags),
    };
    if (s3_request_acl(r, r->bkt, false, false, u.owner, s3_owner_account(r, r->bkt->owner),
                       &u.acl) != PAIL_OK)
        return r->err;
    if (!u.upload_id)
        return pail_req_fail(r, PAIL_E_InternalError, NULL);
    if (s3_stored_headers(r, &u.headers) != PAIL_OK)
        return r->err;
    const char *algo = pail_req_header(r, "x-amz-checksum-algorithm");
    if (algo) {
        enum pail_cksum_algo a = pail_cksum_algo_from_name(algo);
        if (a == PAIL_CKSUM_NONE || a == PAIL_CKSUM_MD5)
            return pail_req_fail(r, PAIL_E_InvalidRequest, "Checksum algorithm provided is unsupported.");
        u.checksum_algo = pail_cksum_algo_name(a);
        const char *type = pail_req_header(r, "x-amz-checksum-type");
        bool crc = a != PAIL_CKSUM_SHA1 && a != PAIL_CKSUM_SHA256;
        if (type && strcmp(type, "FULL_OBJECT") && strcmp(type, "COMPOSITE"))
            return pail_req_fail(r, PAIL_E_InvalidRequest, "Value for x-amz-checksum-type is invalid.");
        if ((type && !strcmp(type, "FULL_OBJECT") && !crc) ||
            (type && !strcmp(type, "COMPOSITE") && a == PAIL_CKSUM_CRC64NVME))
            return pail_req_fail(r, PAIL_E_InvalidRequest,
                                 "The %s checksum algorithm does not support the %s checksum type.",
                                 u.checksum_algo, type);
        u.checksum_type = type ? type : a == PAIL_CKSUM_CRC64NVME ? "FULL_OBJECT" : "COMPOSITE";
    }
    enum pail_err e = pail_meta_upload_create(r->svc->meta, &u);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    checksum_headers(r, u.checksum_algo, u.checksum_type);
    struct pail_xml x;
    s3_xml_start(r, &x, "InitiateMultipartUploadResult");
    pail_xml_elem(&x, "Bucket", r->bucket);
    pail_xml_elem(&x, "Key", r->key);
    pail_xml_elem(&x, "UploadId", u.upload_id);
    pail_xml_close(&x);
    return PAIL_OK;
}

static enum pail_err part_number(struct pail_req *r, int *n)
{
    uint64_t v;
    const char *s = pail_req_query(r, "partNumber");
    if (!s)
        return pail_req_fail(r, PAIL_E_InvalidArgument, "partNumber is required");
    if (s3_parse_uint(r, "partNumber", s, 1, pail_limits.parts, &v) != PAIL_OK)
        return pail_req_fail(r, PAIL_E_InvalidArgument,
                             "Part number must be an integer between 1 and %u, inclusive",
                             pail_limits.parts);
    *n = (int)v;
    return PAIL_OK;
}

enum pail_err s3_upload_part_begin(struct pail_req *r)
{
    struct pail_upload_rec u;
    int n;
    if (part_number(r, &n) != PAIL_OK || s3_upload_lookup(r, &u) != PAIL_OK)
        return r->err;
    /* Parts of an upload with an algorithm always get its checksum, so that
     * Complete can build the object's checksum from them. */
    enum pail_cksum_algo a = u.checksum_algo ? pail_cksum_algo_from_name(u.checksum_algo)
                                             : PAIL_CKSUM_NONE;
    return s3_upload_begin(r, a, false);
}

/* Stores a committed part blob; on failure removes it again. */
static enum pail_err part_commit(struct pail_req *r, struct pail_part_rec *p)
{
    struct pail_garbage g = {0};
    enum pail_err e = pail_meta_part_put(r->svc->meta, p, r->arena, &g);
    if (e != PAIL_OK) {
        pail_data_remove(r->svc->data, p->data_id);
        return pail_req_fail(r, e, NULL);
    }
    s3_drop_garbage(r, &g);
    return PAIL_OK;
}

enum pail_err s3_upload_part(struct pail_req *r)
{
    struct s3_upload *up = r->op_state;
    int n;
    part_number(r, &n);
    if (s3_upload_commit(r, up) != PAIL_OK)
        return r->err;
    struct pail_part_rec p = {
        .upload_id = pail_req_query(r, "uploadId"), .part_number = n, .size = up->size,
        .etag = up->etag, .mtime_ms = s3_now_ms(r), .data_id = up->data_id,
        .checksum = up->checksum,
    };
    if (part_commit(r, &p) != PAIL_OK)
        return r->err;
    pail_resp_header(r, "ETag", s3_quoted(r, up->etag));
    if (up->checksum)
        pail_resp_header(r, pail_cksum_header(up->ck_algo), up->checksum);
    return PAIL_OK;
}

/* ---- UploadPartCopy ---------------------------------------------------- */

static enum pail_err copy_range(struct pail_req *r, uint64_t size, uint64_t *off, uint64_t *len)
{
    const char *h = pail_req_header(r, "x-amz-copy-source-range");
    *off = 0, *len = size;
    if (!h)
        return PAIL_OK;
    unsigned long long a, b;
    int end = 0;
    if (sscanf(h, "bytes=%llu-%llu%n", &a, &b, &end) != 2 || h[end] || h[6] < '0' ||
        h[6] > '9')
        return pail_req_fail(r, PAIL_E_InvalidArgument,
                             "The x-amz-copy-source-range value must be of the form "
                             "bytes=first-last where first and last are the zero-based "
                             "offsets of the first and last bytes to copy");
    if (b < a || b >= size)
        return pail_req_fail(r, PAIL_E_InvalidRange,
                             "Range specified is not valid for source object of size: %llu",
                             (unsigned long long)size);
    *off = a, *len = b - a + 1;
    return PAIL_OK;
}

enum pail_err s3_upload_part_copy(struct pail_req *r)
{
    struct pail_upload_rec u;
    struct pail_object_rec src;
    int n;
    uint64_t off, len;
    if (part_number(r, &n) != PAIL_OK || s3_upload_lookup(r, &u) != PAIL_OK ||
        s3_copy_source_get(r, &src) != PAIL_OK || copy_range(r, src.size, &off, &len) != PAIL_OK)
        return r->err;
    enum pail_cksum_algo a = u.checksum_algo ? pail_cksum_algo_from_name(u.checksum_algo)
                                             : PAIL_CKSUM_NONE;
    struct s3_upload up = {0};
    /* The source may change under the copy: retried (s3_copy_retry). */
    for (int attempt = 0; s3_copy_hashed(r, &src, off, len, a, &up) != PAIL_OK; attempt++)
        if (!s3_copy_retry(r, attempt) || s3_copy_source_get(r, &src) != PAIL_OK ||
            copy_range(r, src.size, &off, &len) != PAIL_OK)
            return r->err;
    struct pail_part_rec p = {
        .upload_id = u.upload_id, .part_number = n, .size = up.size, .etag = up.etag,
        .mtime_ms = s3_now_ms(r), .data_id = up.data_id, .checksum = up.checksum,
    };
    if (part_commit(r, &p) != PAIL_OK)
        return r->err;
    char when[32];
    pail_time_iso8601(p.mtime_ms, when);
    struct pail_xml x;
    s3_xml_start(r, &x, "CopyPartResult");
    pail_xml_elem(&x, "LastModified", when);
    pail_xml_elem(&x, "ETag", s3_quoted(r, up.etag));
    if (up.checksum) {
        char name[32];
        snprintf(name, sizeof name, "Checksum%s", u.checksum_algo);
        pail_xml_elem(&x, name, up.checksum);
    }
    pail_xml_close(&x);
    return PAIL_OK;
}
