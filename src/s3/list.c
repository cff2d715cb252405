/* s3/list.c — ListObjects (v1), ListObjectsV2 and ListMultipartUploads:
 * parameters → pail_list_opts → metadata listing → XML. Pagination state is
 * the last key or common prefix returned (V2 wraps it in an opaque base64
 * continuation token). */
#include "http/request.h"
#include "s3/services.h"
#include "s3/common.h"
#include "s3/owner.h"
#include "s3/handlers.h"
#include "util/encode.h"
#include "util/time.h"
#include "util/xml_out.h"

#include <string.h>

#define LIST_MAX 1000

struct list_params {
    struct pail_list_opts o;
    bool url;          /* encoding-type=url */
};

/* Writes name → value, URL-encoded when the client asked for encoding-type=url. */
static void elem_key(struct pail_req *r, struct pail_xml *x, bool url, const char *name,
                     const char *v)
{
    if (!url) {
        pail_xml_elem(x, name, v);
        return;
    }
    struct pail_buf b;
    pail_buf_init(&b, 16 * 1024);
    pail_uri_encode(&b, v, strlen(v), false);
    pail_xml_elem(x, name, b.data ? b.data : "");
    pail_buf_free(&b);
    (void)r;
}

static void write_prefixes(struct pail_req *r, struct pail_xml *x, bool url,
                           const char *const *prefixes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pail_xml_open(x, "CommonPrefixes");
        elem_key(r, x, url, "Prefix", prefixes[i]);
        pail_xml_close(x);
    }
}

static enum pail_err common_params(struct pail_req *r, struct list_params *p,
                                   const char *max_name)
{
    const char *enc = pail_req_query(r, "encoding-type");
    if (enc && strcmp(enc, "url") != 0)
        return pail_req_fail(r, PAIL_E_InvalidArgument, "Invalid Encoding Method specified in Request");
    p->url = enc != NULL;
    p->o.prefix = pail_req_query(r, "prefix");
    if (!p->o.prefix)
        p->o.prefix = "";
    p->o.delimiter = pail_req_query(r, "delimiter");
    p->o.after = "";
    p->o.max = LIST_MAX;
    const char *mk = pail_req_query(r, max_name);
    if (mk) {
        uint64_t v;
        if (s3_parse_uint(r, max_name, mk, 0, UINT32_MAX, &v) != PAIL_OK)
            return r->err;
        p->o.max = v > LIST_MAX ? LIST_MAX : (unsigned)v;
    }
    return PAIL_OK;
}

static void write_contents(struct pail_req *r, struct pail_xml *x, const struct list_params *p,
                           const struct pail_list_out *out, bool owner)
{
    for (size_t i = 0; i < out->nobjects; i++) {
        const struct pail_object_rec *o = &out->objects[i];
        char when[32];
        pail_time_iso8601(o->mtime_ms, when);
        pail_xml_open(x, "Contents");
        elem_key(r, x, p->url, "Key", o->key);
        pail_xml_elem(x, "LastModified", when);
        pail_xml_elem(x, "ETag", s3_quoted(r, o->etag));
        if (o->checksum_algo)
            pail_xml_elem(x, "ChecksumAlgorithm", o->checksum_algo);
        pail_xml_elem_u64(x, "Size", o->size);
        if (owner)
            s3_write_owner_as(r, x, "Owner", o->owner);
        pail_xml_elem(x, "StorageClass", "STANDARD");
        pail_xml_close(x);
    }
    write_prefixes(r, x, p->url, out->prefixes, out->nprefixes);
}

/* V1 answers carry Prefix as sent even with encoding-type=url (botocore
 * decodes only Delimiter, Marker and NextMarker there); V2 encodes it. */
static void write_head(struct pail_req *r, struct pail_xml *x, const struct list_params *p,
                       bool encode_prefix)
{
    pail_xml_elem(x, "Name", r->bucket);
    elem_key(r, x, p->url && encode_prefix, "Prefix", p->o.prefix);
    if (p->o.delimiter && *p->o.delimiter)
        elem_key(r, x, p->url, "Delimiter", p->o.delimiter);
    if (p->url)
        pail_xml_elem(x, "EncodingType", "url");
}

static enum pail_err run_list(struct pail_req *r, const struct list_params *p,
                              struct pail_list_out *out)
{
    enum pail_err e = pail_meta_object_list(r->svc->meta, r->bucket, &p->o, r->arena, out);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    if (p->o.max == 0) /* S3 answers max-keys=0 with an empty, complete page */
        out->truncated = false;
    return PAIL_OK;
}

enum pail_err s3_list_objects(struct pail_req *r)
{
    struct list_params p = {0};
    if (common_params(r, &p, "max-keys") != PAIL_OK)
        return r->err;
    const char *marker = pail_req_query(r, "marker");
    p.o.after = marker ? marker : "";
    struct pail_list_out out;
    if (run_list(r, &p, &out) != PAIL_OK)
        return r->err;
    struct pail_xml x;
    s3_xml_start(r, &x, "ListBucketResult");
    write_head(r, &x, &p, false);
    elem_key(r, &x, p.url, "Marker", p.o.after);
    pail_xml_elem_u64(&x, "MaxKeys", p.o.max);
    pail_xml_elem_bool(&x, "IsTruncated", out.truncated);
    if (out.truncated && p.o.delimiter && *p.o.delimiter && out.last)
        elem_key(r, &x, p.url, "NextMarker", out.last);
    write_contents(r, &x, &p, &out, true);
    pail_xml_close(&x);
    return PAIL_OK;
}

enum pail_err s3_list_objects_v2(struct pail_req *r)
{
    struct list_params p = {0};
    if (common_params(r, &p, "max-keys") != PAIL_OK)
        return r->err;
    const char *start = pail_req_query(r, "start-after");
    const char *tok = pail_req_query(r, "continuation-token");
    if (start)
        p.o.after = start;
    if (tok && s3_token_decode(r, tok, &p.o.after) != PAIL_OK)
        return r->err;
    const char *fo = pail_req_query(r, "fetch-owner");
    bool owner = fo && strcmp(fo, "true") == 0;
    struct pail_list_out out;
    if (run_list(r, &p, &out) != PAIL_OK)
        return r->err;
    struct pail_xml x;
    s3_xml_start(r, &x, "ListBucketResult");
    write_head(r, &x, &p, true);
    if (start)
        elem_key(r, &x, p.url, "StartAfter", start);
    if (tok)
        pail_xml_elem(&x, "ContinuationToken", tok);
    pail_xml_elem_u64(&x, "KeyCount", out.nobjects + out.nprefixes);
    pail_xml_elem_u64(&x, "MaxKeys", p.o.max);
    pail_xml_elem_bool(&x, "IsTruncated", out.truncated);
    if (out.truncated && out.last)
        pail_xml_elem(&x, "NextContinuationToken", s3_token_encode(r, out.last));
    write_contents(r, &x, &p, &out, owner);
    pail_xml_close(&x);
    return PAIL_OK;
}

/* Versioning is never enabled, so every object has one version, "null". */
static void write_versions(struct pail_req *r, struct pail_xml *x, const struct list_params *p,
                           const struct pail_list_out *out)
{
    for (size_t i = 0; i < out->nobjects; i++) {
        const struct pail_object_rec *o = &out->objects[i];
        char when[32];
        pail_time_iso8601(o->mtime_ms, when);
        pail_xml_open(x, "Version");
        elem_key(r, x, p->url, "Key", o->key);
        pail_xml_elem(x, "VersionId", "null");
        pail_xml_elem_bool(x, "IsLatest", true);
        pail_xml_elem(x, "LastModified", when);
        pail_xml_elem(x, "ETag", s3_quoted(r, o->etag));
        pail_xml_elem_u64(x, "Size", o->size);
        s3_write_owner_as(r, x, "Owner", o->owner);
        pail_xml_elem(x, "StorageClass", "STANDARD");
        pail_xml_close(x);
    }
    write_prefixes(r, x, p->url, out->prefixes, out->nprefixes);
}

enum pail_err s3_list_object_versions(struct pail_req *r)
{
    struct list_params p = {0};
    if (common_params(r, &p, "max-keys") != PAIL_OK)
        return r->err;
    const char *km = pail_req_query(r, "key-marker");
    const char *vm = pail_req_query(r, "version-id-marker");
    p.o.after = km ? km : "";
    struct pail_list_out out;
    if (run_list(r, &p, &out) != PAIL_OK)
        return r->err;
    struct pail_xml x;
    s3_xml_start(r, &x, "ListVersionsResult");
    write_head(r, &x, &p, true);
    elem_key(r, &x, p.url, "KeyMarker", p.o.after);
    pail_xml_elem(&x, "VersionIdMarker", vm ? vm : "");
    pail_xml_elem_u64(&x, "MaxKeys", p.o.max);
    pail_xml_elem_bool(&x, "IsTruncated", out.truncated);
    if (out.truncated && out.last) {
        elem_key(r, &x, p.url, "NextKeyMarker", out.last);
        pail_xml_elem(&x, "NextVersionIdMarker", "null");
    }
    write_versions(r, &x, &p, &out);
    pail_xml_close(&x);
    return PAIL_OK;
}

enum pail_err s3_list_multipart_uploads(struct pail_req *r)
{
    struct list_params p = {0};
    if (common_params(r, &p, "max-uploads") != PAIL_OK)
        return r->err;
    struct pail_uploads_opts o = {
        .prefix = p.o.prefix, .delimiter = p.o.delimiter, .max = p.o.max,
        .key_marker = pail_req_query(r, "key-marker"),
        .upload_id_marker = pail_req_query(r, "upload-id-marker"),
    };
    if (!o.key_marker)
        o.key_marker = "";
    if (!o.upload_id_marker || !*o.key_marker)
        o.upload_id_marker = "";
    struct pail_uploads_out out;
    enum pail_err e = pail_meta_upload_list(r->svc->meta, r->bucket, &o, r->arena, &out);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    struct pail_xml x;
    s3_xml_start(r, &x, "ListMultipartUploadsResult");
    pail_xml_elem(&x, "Bucket", r->bucket);
    elem_key(r, &x, p.url, "KeyMarker", o.key_marker);
    pail_xml_elem(&x, "UploadIdMarker", o.upload_id_marker);
    if (out.truncated) {
        elem_key(r, &x, p.url, "NextKeyMarker", out.next_key_marker ? out.next_key_marker : "");
        pail_xml_elem(&x, "NextUploadIdMarker",
                      out.next_upload_id_marker ? out.next_upload_id_marker : "");
    }
    elem_key(r, &x, p.url, "Prefix", o.prefix);
    if (o.delimiter)
        elem_key(r, &x, p.url, "Delimiter", o.delimiter);
    pail_xml_elem_u64(&x, "MaxUploads", o.max);
    pail_xml_elem_bool(&x, "IsTruncated", out.truncated);
    for (size_t i = 0; i < out.nuploads; i++) {
        const struct pail_upload_rec *u = &out.uploads[i];
        char when[32];
        pail_time_iso8601(u->initiated_ms, when);
        pail_xml_open(&x, "Upload");
        elem_key(r, &x, p.url, "Key", u->key);
        pail_xml_elem(&x, "UploadId", u->upload_id);
        s3_write_owner_as(r, &x, "Initiator", u->owner);
        s3_write_owner_as(r, &x, "Owner", u->owner);
        pail_xml_elem(&x, "StorageClass", "STANDARD");
        pail_xml_elem(&x, "Initiated", when);
        if (u->checksum_algo)
            pail_xml_elem(&x, "ChecksumAlgorithm", u->checksum_algo);
        pail_xml_close(&x);
    }
    write_prefixes(r, &x, p.url, out.prefixes, out.nprefixes);
    pail_xml_close(&x);
    return PAIL_OK;
}
