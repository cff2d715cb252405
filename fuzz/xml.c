/* fuzz/xml.c — every XML request body pail parses (util/xml_in.c and the
 * validators on top of it): DeleteObjects, CompleteMultipartUpload,
 * CreateBucketConfiguration, AccessControlPolicy (shape, then iam/acl's
 * meaning and its stored JSON form), PublicAccessBlockConfiguration,
 * OwnershipControls, Tagging (shape, then s3/tags.c for objects and
 * buckets), WebsiteConfiguration and CORSConfiguration (shape, then
 * s3/cors.c). Input: byte 0 picks the body type (% 10), the rest is the
 * body. Bodies are not NUL-terminated: the parsers take a length. */
#include "fuzz.h"

#include "iam/acl.h"
#include "s3/cors.h"
#include "s3/tags.h"
#include "util/xml_in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned kind = data[0] % 10;
    size_t len = size - 1;
    /* An exact-size copy, so reading past len is caught. */
    char *body = malloc(len ? len : 1);
    memcpy(body, data + 1, len);
    struct fz_req f;
    fz_req_init(&f);
    struct pail_req *r = &f.req;
    struct pail_arena *a = r->arena;
    switch (kind) {
    case 0: {
        struct pail_delete_req d;
        if (pail_xml_parse_delete(body, len, a, &d) == PAIL_OK)
            for (size_t i = 0; i < d.n; i++)
                if (!d.objects[i].key || d.n > PAIL_XML_DELETE_MAX)
                    abort();
        break;
    }
    case 1: {
        struct pail_complete_req c;
        if (pail_xml_parse_complete(body, len, a, &c) == PAIL_OK)
            for (size_t i = 0; i < c.n; i++)
                if (c.parts[i].part_number < 1 || c.parts[i].part_number > 10000 ||
                    !c.parts[i].etag)
                    abort();
        break;
    }
    case 2: {
        const char *lc;
        (void)pail_xml_parse_create_bucket(body, len, a, &lc);
        break;
    }
    case 3: {
        struct pail_xml_acl x;
        (void)pail_xml_parse_acl(body, len, a, &x);
        struct pail_acl acl;
        const char *why;
        if (pail_acl_parse_xml(body, len, a, &acl, &why) == PAIL_OK) {
            /* The stored form must read back as the same grants. */
            const char *json = pail_acl_to_json(&acl, a);
            struct pail_acl back;
            if (json && (pail_acl_from_json(json, a, &back) != PAIL_OK || back.n != acl.n))
                abort();
            (void)pail_acl_is_public(&acl);
        }
        break;
    }
    case 4: {
        struct pail_pab p;
        (void)pail_xml_parse_pab(body, len, &p);
        break;
    }
    case 5: {
        const char *own;
        if (pail_xml_parse_ownership(body, len, &own) == PAIL_OK && !own)
            abort();
        break;
    }
    case 6:
    case 7: {
        struct pail_xml_tagging t;
        (void)pail_xml_parse_tagging(body, len, a, &t);
        struct s3_tags tags;
        if (s3_tags_from_xml(r, body, len, kind == 6 ? S3_TAGS_OBJECT : S3_TAGS_BUCKET,
                             &tags) == PAIL_OK) {
            struct s3_tags back;
            s3_tags_from_json(a, s3_tags_to_json(a, &tags), &back);
            if (back.n != tags.n)
                abort();
        }
        break;
    }
    case 8: {
        struct pail_xml_website w;
        (void)pail_xml_parse_website(body, len, a, &w);
        break;
    }
    case 9: {
        struct pail_xml_cors x;
        (void)pail_xml_parse_cors(body, len, a, &x);
        const struct s3_cors *c;
        const char *why;
        if (s3_cors_parse(body, len, a, &c, &why) == PAIL_OK && (c->n < 1 || c->n > 100))
            abort();
        break;
    }
    }
    fz_req_free(&f);
    free(body);
    return 0;
}
