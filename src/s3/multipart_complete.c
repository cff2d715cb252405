/* s3/multipart_complete.c — CompleteMultipartUpload, AbortMultipartUpload and
 * ListParts: validating the client's part list, the multipart ETag
 * ("md5 of the parts' binary MD5s"-N) and the object checksum (COMPOSITE:
 * hash of the parts' checksums, -N; FULL_OBJECT: CRCs combined). */
#include "core/limits.h"
#include "http/body.h"
#include "http/request.h"
#include "s3/services.h"
#include "s3/common.h"
#include "s3/owner.h"
#include "s3/handlers.h"
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


struct assembled {
    char etag[64];
    const char *checksum; /* base64 [+ "-N"], or NULL */
    const char *parts_json;
    uint64_t size;
    struct pail_data_seg *segs;
};

/* Index of stored parts by number (1..10000). */
static const struct pail_part_rec **index_parts(struct pail_req *r, const struct pail_parts_out *po)
{
    const struct pail_part_rec **by = pail_arena_alloc(r->arena, (S3_MAX_PARTS + 1) * sizeof(*by));
    for (size_t i = 0; i < po->nparts; i++)
        by[po->parts[i].part_number] = &po->parts[i];
    return by;
}

/* Checks the client's list against the stored parts; picks the chosen ones. */
static enum pail_err match_parts(struct pail_req *r, const struct pail_complete_req *c,
                                 const struct pail_part_rec **by, enum pail_cksum_algo algo,
                                 const struct pail_part_rec **chosen)
{
    for (size_t i = 0; i < c->n; i++) {
        int pn = c->parts[i].part_number;
        if (i && pn <= c->parts[i - 1].part_number)
            return pail_req_fail(r, PAIL_E_InvalidPartOrder, NULL);
        const struct pail_part_rec *p = pn >= 1 && pn <= S3_MAX_PARTS ? by[pn] : NULL;
        if (!p || strcasecmp(p->etag, c->parts[i].etag) != 0)
            return pail_req_fail(r, PAIL_E_InvalidPart, NULL);
        const char *ck = algo != PAIL_CKSUM_NONE ? c->parts[i].checksum[algo]
                                                 : NULL;
        if (ck && (!p->checksum || strcmp(ck, p->checksum) != 0))
            return pail_req_fail(r, PAIL_E_InvalidPart,
                                 "The checksum of part %d does not match", pn);
        if (i + 1 < c->n && p->size < pail_limits.min_part_bytes)
            return pail_req_fail(r, PAIL_E_EntityTooSmall, NULL);
        chosen[i] = p;
    }
    return PAIL_OK;
}

/* Big-endian raw value of a base64 CRC. */
static bool crc_value(const char *b64, size_t width, uint64_t *v)
{
    unsigned char raw[16];
    if (!b64 || pail_unbase64(b64, raw, sizeof raw) != (long)width)
        return false;
    *v = 0;
    for (size_t i = 0; i < width; i++)
        *v = *v << 8 | raw[i];
    return true;
}

static const char *full_object_crc(struct pail_req *r, enum pail_cksum_algo a,
                                   const struct pail_part_rec **p, size_t n)
{
    size_t width = a == PAIL_CKSUM_CRC64NVME ? 8 : 4;
    uint64_t acc = 0, v;
    for (size_t i = 0; i < n; i++) {
        if (!crc_value(p[i]->checksum, width, &v))
            return NULL;
        if (i == 0)
            acc = v;
        else if (a == PAIL_CKSUM_CRC32)
            acc = pail_crc32_combine((uint32_t)acc, (uint32_t)v, p[i]->size);
        else if (a == PAIL_CKSUM_CRC32C)
            acc = pail_crc32c_combine((uint32_t)acc, (uint32_t)v, p[i]->size);
        else
            acc = pail_crc64nvme_combine(acc, v, p[i]->size);
    }
    unsigned char raw[8];
    for (size_t i = 0; i < width; i++)
        raw[i] = (unsigned char)(acc >> (8 * (width - 1 - i)));
    char *out = pail_arena_alloc(r->arena, 16);
    pail_base64(raw, width, out);
    return out;
}

static const char *composite(struct pail_req *r, enum pail_cksum_algo a,
                             const struct pail_part_rec **p, size_t n)
{
    struct pail_cksum c;
    pail_cksum_init(&c, a);
    for (size_t i = 0; i < n; i++) {
        unsigned char raw[32];
        long len = p[i]->checksum ? pail_unbase64(p[i]->checksum, raw, sizeof raw) : -1;
        if (len < 0) {
            pail_cksum_free(&c);
            return NULL;
        }
        pail_cksum_update(&c, raw, (size_t)len);
    }
    char b64[64];
    pail_cksum_final_b64(&c, b64);
    pail_cksum_free(&c);
    return pail_arena_printf(r->arena, "%s-%zu", b64, n);
}

static void assemble(struct pail_req *r, const struct pail_upload_rec *u,
                     const struct pail_part_rec **p, size_t n, struct assembled *out)
{
    struct pail_cksum md5;
    struct pail_buf parts;
    pail_buf_init(&parts, SIZE_MAX / 2);
    pail_cksum_init(&md5, PAIL_CKSUM_MD5);
    out->segs = pail_arena_alloc(r->arena, n * sizeof(*out->segs));
    pail_buf_printf(&parts, "{\"upload_id\":\"%s\",\"sizes\":[", u->upload_id);
    for (size_t i = 0; i < n; i++) {
        unsigned char d[16];
        pail_unhex(p[i]->etag, d, 16);
        pail_cksum_update(&md5, d, 16);
        out->segs[i] = (struct pail_data_seg){p[i]->data_id, 0, p[i]->size};
        out->size += p[i]->size;
        pail_buf_printf(&parts, "%s%llu", i ? "," : "", (unsigned long long)p[i]->size);
    }
    pail_buf_puts(&parts, "]");
    if (u->checksum_algo) {
        pail_buf_puts(&parts, ",\"checksums\":[");
        for (size_t i = 0; i < n; i++)
            pail_buf_printf(&parts, "%s\"%s\"", i ? "," : "", p[i]->checksum ? p[i]->checksum : "");
        pail_buf_puts(&parts, "]");
    }
    pail_buf_puts(&parts, "}");
    out->parts_json = pail_arena_strdup(r->arena, parts.data);
    pail_buf_free(&parts);
    unsigned char d[PAIL_CKSUM_MAX_RAW];
    char hex[33];
    pail_cksum_final(&md5, d);
    pail_cksum_free(&md5);
    pail_hex(d, 16, hex);
    snprintf(out->etag, sizeof out->etag, "%s-%zu", hex, n);
    enum pail_cksum_algo a = u->checksum_algo ? pail_cksum_algo_from_name(u->checksum_algo)
                                              : PAIL_CKSUM_NONE;
    if (a == PAIL_CKSUM_NONE)
        out->checksum = NULL;
    else if (u->checksum_type && strcmp(u->checksum_type, "FULL_OBJECT") == 0)
        out->checksum = full_object_crc(r, a, p, n);
    else
        out->checksum = composite(r, a, p, n);
}

static void complete_response(struct pail_req *r, const struct pail_object_rec *o)
{
    const char *host = pail_req_header(r, "host");
    struct pail_xml x;
    s3_xml_start(r, &x, "CompleteMultipartUploadResult");
    pail_xml_elemf(&x, "Location", "%s://%s/%s/%s", pail_req_scheme(r), host ? host : "localhost",
                   r->bucket, r->key);
    pail_xml_elem(&x, "Bucket", r->bucket);
    pail_xml_elem(&x, "Key", r->key);
    pail_xml_elem(&x, "ETag", s3_quoted(r, o->etag));
    if (o->checksum) {
        char name[32];
        snprintf(name, sizeof name, "Checksum%s", o->checksum_algo);
        pail_xml_elem(&x, name, o->checksum);
        pail_xml_elem(&x, "ChecksumType", o->checksum_type);
    }
    pail_xml_close(&x);
}

/* A retried Complete of an upload that already completed answers as the first
 * one did: the object records the upload it was assembled from. */
static bool already_completed(struct pail_req *r)
{
    struct pail_object_rec o;
    const char *id = pail_req_query(r, "uploadId");
    if (pail_meta_object_get(r->svc->meta, r->bucket, r->key, r->arena, &o) != PAIL_OK ||
        !o.parts)
        return false;
    json_t *j = json_loads(o.parts, 0, NULL);
    const char *done = json_string_value(json_object_get(j, "upload_id"));
    bool same = done && id && strcmp(done, id) == 0;
    json_decref(j);
    if (same) {
        r->err = PAIL_OK;
        r->err_msg = NULL;
        complete_response(r, &o);
    }
    return same;
}

/* The object checksum the client may declare in x-amz-checksum-<algo>. */
static enum pail_err check_object_checksum(struct pail_req *r, const struct pail_upload_rec *u,
                                           const char *computed)
{
    if (!u->checksum_algo)
        return PAIL_OK;
    enum pail_cksum_algo a = pail_cksum_algo_from_name(u->checksum_algo);
    const char *want = pail_req_header(r, pail_cksum_header(a));
    if (want && (!computed || strcmp(want, computed) != 0))
        return pail_req_fail(r, PAIL_E_BadDigest,
                             "The %s you specified did not match the calculated checksum.",
                             u->checksum_algo);
    return PAIL_OK;
}

enum pail_err s3_complete_multipart_upload(struct pail_req *r)
{
    struct pail_upload_rec u;
    struct pail_complete_req c;
    struct pail_parts_out po;
    size_t len;
    const char *body = pail_body_data(r, &len);
    if (s3_upload_lookup(r, &u) != PAIL_OK)
        return r->err == PAIL_E_NoSuchUpload && already_completed(r) ? PAIL_OK : r->err;
    enum pail_err e = pail_xml_parse_complete(body, len, r->arena, &c);
    if (e == PAIL_OK)
        e = pail_meta_part_list(r->svc->meta, u.upload_id, 0, S3_MAX_PARTS, r->arena, &po);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    enum pail_cksum_algo a = u.checksum_algo ? pail_cksum_algo_from_name(u.checksum_algo)
                                             : PAIL_CKSUM_NONE;
    const struct pail_part_rec **chosen = pail_arena_alloc(r->arena, c.n * sizeof(*chosen));
    if (match_parts(r, &c, index_parts(r, &po), a, chosen) != PAIL_OK)
        return r->err;
    struct assembled as = {0};
    assemble(r, &u, chosen, c.n, &as);
    if (as.size > pail_limits.max_object_bytes)
        return pail_req_fail(r, PAIL_E_EntityTooLarge, NULL);
    if (check_object_checksum(r, &u, as.checksum) != PAIL_OK || s3_write_conditions(r) != PAIL_OK)
        return r->err;
    char id[33];
    if ((e = pail_data_compose(r->svc->data, as.segs, c.n, id)) != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    struct pail_object_rec o = {
        .bucket = r->bucket, .key = r->key, .size = as.size, .etag = as.etag,
        .mtime_ms = s3_now_ms(r), .data_id = pail_arena_strdup(r->arena, id),
        .content_type = u.content_type, .headers = u.headers,
        .checksum_algo = as.checksum ? u.checksum_algo : NULL, .checksum = as.checksum,
        .checksum_type = as.checksum ? u.checksum_type : NULL,
        .parts = as.parts_json, .owner = u.owner, .acl = u.acl, .tags = u.tags,
    };
    struct pail_garbage g = {0};
    e = pail_meta_upload_complete(r->svc->meta, u.upload_id, &o, r->arena, &g);
    if (e != PAIL_OK) {
        pail_data_remove(r->svc->data, o.data_id);
        return pail_req_fail(r, e, NULL);
    }
    s3_drop_garbage(r, &g);
    complete_response(r, &o);
    return PAIL_OK;
}

enum pail_err s3_abort_multipart_upload(struct pail_req *r)
{
    struct pail_garbage g = {0};
    enum pail_err e = pail_meta_upload_abort(r->svc->meta, r->bucket, r->key,
                                             pail_req_query(r, "uploadId"), r->arena, &g);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    s3_drop_garbage(r, &g);
    r->resp.status = 204;
    return PAIL_OK;
}

enum pail_err s3_list_parts(struct pail_req *r)
{
    struct pail_upload_rec u;
    if (s3_upload_lookup(r, &u) != PAIL_OK)
        return r->err;
    uint64_t marker = 0, max = 1000;
    const char *m = pail_req_query(r, "part-number-marker");
    const char *mp = pail_req_query(r, "max-parts");
    if ((m && s3_parse_uint(r, "part-number-marker", m, 0, S3_MAX_PARTS, &marker) != PAIL_OK) ||
        (mp && s3_parse_uint(r, "max-parts", mp, 0, UINT32_MAX, &max) != PAIL_OK))
        return r->err;
    if (max > 1000)
        max = 1000;
    struct pail_parts_out po;
    enum pail_err e = pail_meta_part_list(r->svc->meta, u.upload_id, (int)marker,
                                          (unsigned)max, r->arena, &po);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    struct pail_xml x;
    s3_xml_start(r, &x, "ListPartsResult");
    pail_xml_elem(&x, "Bucket", r->bucket);
    pail_xml_elem(&x, "Key", r->key);
    pail_xml_elem(&x, "UploadId", u.upload_id);
    pail_xml_elem_u64(&x, "PartNumberMarker", marker);
    if (po.truncated)
        pail_xml_elem_u64(&x, "NextPartNumberMarker", (uint64_t)po.next_marker);
    pail_xml_elem_u64(&x, "MaxParts", max);
    pail_xml_elem_bool(&x, "IsTruncated", po.truncated);
    if (u.checksum_algo) {
        pail_xml_elem(&x, "ChecksumAlgorithm", u.checksum_algo);
        pail_xml_elem(&x, "ChecksumType", u.checksum_type);
    }
    for (size_t i = 0; i < po.nparts; i++) {
        const struct pail_part_rec *p = &po.parts[i];
        char when[32];
        pail_time_iso8601(p->mtime_ms, when);
        pail_xml_open(&x, "Part");
        pail_xml_elem_u64(&x, "PartNumber", (uint64_t)p->part_number);
        pail_xml_elem(&x, "LastModified", when);
        pail_xml_elem(&x, "ETag", s3_quoted(r, p->etag));
        pail_xml_elem_u64(&x, "Size", p->size);
        if (p->checksum && u.checksum_algo) {
            char name[32];
            snprintf(name, sizeof name, "Checksum%s", u.checksum_algo);
            pail_xml_elem(&x, name, p->checksum);
        }
        pail_xml_close(&x);
    }
    s3_write_owner_as(r, &x, "Initiator", u.owner);
    s3_write_owner_as(r, &x, "Owner", u.owner);
    pail_xml_elem(&x, "StorageClass", "STANDARD");
    pail_xml_close(&x);
    return PAIL_OK;
}
