/* s3/tagging.c — Get/Put/DeleteObjectTagging and Get/Put/DeleteBucketTagging.
 * An object's tags live in its record (store/meta.h tags; replacing them
 * leaves its data and LastModified alone); a bucket's are its "tagging"
 * setting. Both are s3/tags.h's stored form. */
#include "http/body.h"
#include "http/request.h"
#include "s3/authz.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "s3/services.h"
#include "s3/tags.h"
#include "util/xml_out.h"

static enum pail_err write_tagging(struct pail_req *r, const char *json)
{
    struct s3_tags t;
    s3_tags_from_json(r->arena, json, &t);
    struct pail_xml x;
    s3_xml_start(r, &x, "Tagging");
    s3_tags_write_xml(&x, &t);
    pail_xml_close(&x);
    return PAIL_OK;
}

enum pail_err s3_get_object_tagging(struct pail_req *r)
{
    if (!r->obj)
        return pail_req_fail(r, PAIL_E_NoSuchKey, NULL);
    return write_tagging(r, r->obj->tags);
}

/* The body's tags are condition keys (s3:RequestObjectTag): the request is
 * authorized once they are read (ops.def: AUTHZ_IN_RUN). */
enum pail_err s3_put_object_tagging(struct pail_req *r)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    struct s3_tags *t = pail_arena_alloc(r->arena, sizeof *t);
    if (s3_tags_from_xml(r, body, len, S3_TAGS_OBJECT, t) != PAIL_OK)
        return r->err;
    r->tags = t;
    if (s3_authorize(r) != PAIL_OK)
        return r->err;
    if (!r->obj)
        return pail_req_fail(r, PAIL_E_NoSuchKey, NULL);
    enum pail_err e = pail_meta_object_tags_put(r->svc->meta, r->bucket, r->key,
                                                s3_tags_to_json(r->arena, t));
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
}

enum pail_err s3_delete_object_tagging(struct pail_req *r)
{
    if (!r->obj)
        return pail_req_fail(r, PAIL_E_NoSuchKey, NULL);
    enum pail_err e = r->obj->tags ? pail_meta_object_tags_put(r->svc->meta, r->bucket, r->key,
                                                               NULL)
                                   : PAIL_OK;
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    r->resp.status = 204;
    return PAIL_OK;
}

enum pail_err s3_get_bucket_tagging(struct pail_req *r)
{
    const char *json = s3_bucket_conf(r->bkt, "tagging");
    if (!json)
        return pail_req_fail(r, PAIL_E_NoSuchTagSet, NULL);
    return write_tagging(r, json);
}

enum pail_err s3_put_bucket_tagging(struct pail_req *r)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    struct s3_tags t;
    if (s3_tags_from_xml(r, body, len, S3_TAGS_BUCKET, &t) != PAIL_OK)
        return r->err;
    if (s3_bucket_setting(r, "tagging", s3_tags_to_json(r->arena, &t)) != PAIL_OK)
        return r->err;
    r->resp.status = 204;
    return PAIL_OK;
}

enum pail_err s3_delete_bucket_tagging(struct pail_req *r)
{
    return s3_bucket_setting_delete(r, "tagging");
}
