/* s3/object_attributes.c — GetObjectAttributes: the object's metadata that
 * x-amz-object-attributes asks for (ETag, Checksum, ObjectParts, StorageClass,
 * ObjectSize), without its body. Parts come from the sizes and checksums the
 * object kept from its multipart upload. */
#include "http/request.h"
#include "s3/services.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "util/time.h"
#include "util/xml_out.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static bool wants(const char *list, const char *attr)
{
    size_t n = strlen(attr);
    for (const char *p = list; (p = strstr(p, attr)); p += n) {
        bool starts = p == list || p[-1] == ',' || p[-1] == ' ';
        bool ends = !p[n] || p[n] == ',' || p[n] == ' ';
        if (starts && ends)
            return true;
    }
    return false;
}

static void write_checksum(struct pail_xml *x, const char *algo, const char *value)
{
    char name[32];
    snprintf(name, sizeof name, "Checksum%s", algo);
    pail_xml_elem(x, name, value);
}

/* ObjectParts of a multipart object: one page after part-number-marker. */
static enum pail_err write_parts(struct pail_req *r, struct pail_xml *x,
                                 const struct pail_object_rec *o)
{
    uint64_t marker = 0, max = 1000;
    const char *m = pail_req_header(r, "x-amz-part-number-marker");
    const char *mp = pail_req_header(r, "x-amz-max-parts");
    if ((m && s3_parse_uint(r, "x-amz-part-number-marker", m, 0, S3_MAX_PARTS, &marker)) ||
        (mp && s3_parse_uint(r, "x-amz-max-parts", mp, 0, 1000, &max)))
        return r->err;
    json_t *doc = json_loads(o->parts, 0, NULL);
    json_t *sizes = json_object_get(doc, "sizes"), *cks = json_object_get(doc, "checksums");
    size_t total = json_array_size(sizes), i = (size_t)marker, shown = 0;
    pail_xml_open(x, "ObjectParts");
    pail_xml_elem_u64(x, "PartsCount", total); /* TotalPartsCount on the wire */
    pail_xml_elem_u64(x, "PartNumberMarker", marker);
    for (; i < total && shown < max; i++, shown++) {
        pail_xml_open(x, "Part");
        pail_xml_elem_u64(x, "PartNumber", i + 1);
        pail_xml_elem_u64(x, "Size", (uint64_t)json_integer_value(json_array_get(sizes, i)));
        const char *ck = json_string_value(json_array_get(cks, i));
        if (ck && *ck && o->checksum_algo)
            write_checksum(x, o->checksum_algo, ck);
        pail_xml_close(x);
    }
    pail_xml_elem_u64(x, "NextPartNumberMarker", i);
    pail_xml_elem_u64(x, "MaxParts", max);
    pail_xml_elem_bool(x, "IsTruncated", i < total);
    pail_xml_close(x);
    json_decref(doc);
    return PAIL_OK;
}

enum pail_err s3_get_object_attributes(struct pail_req *r)
{
    const char *attrs = pail_req_header(r, "x-amz-object-attributes");
    if (!attrs || !*attrs)
        return pail_req_fail(r, PAIL_E_InvalidArgument,
                             "The x-amz-object-attributes header specifying the attributes to "
                             "be retrieved is either missing or empty");
    struct pail_object_rec o;
    enum pail_err e = pail_meta_object_get(r->svc->meta, r->bucket, r->key, r->arena, &o);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    char when[40];
    pail_time_http((time_t)(o.mtime_ms / 1000), when);
    pail_resp_header(r, "Last-Modified", when);
    struct pail_xml x;
    s3_xml_start(r, &x, "GetObjectAttributesResponse");
    if (wants(attrs, "ETag"))
        pail_xml_elem(&x, "ETag", o.etag);
    if (wants(attrs, "Checksum") && o.checksum_algo && o.checksum) {
        pail_xml_open(&x, "Checksum");
        write_checksum(&x, o.checksum_algo, o.checksum);
        if (o.checksum_type)
            pail_xml_elem(&x, "ChecksumType", o.checksum_type);
        pail_xml_close(&x);
    }
    if (wants(attrs, "ObjectParts") && o.parts && write_parts(r, &x, &o) != PAIL_OK)
        return r->err;
    if (wants(attrs, "StorageClass"))
        pail_xml_elem(&x, "StorageClass", "STANDARD");
    if (wants(attrs, "ObjectSize"))
        pail_xml_elem_u64(&x, "ObjectSize", o.size);
    pail_xml_close(&x);
    return PAIL_OK;
}
