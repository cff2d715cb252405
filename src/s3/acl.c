/* s3/acl.c — GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl. An
 * ACL comes as headers (x-amz-acl or x-amz-grant-*, s3/acl_request.c) or
 * as an AccessControlPolicy body; it is stored as iam/acl.h's JSON (the
 * bucket's "acl" setting, the object's acl field). No stored ACL means the
 * default: the owner, FULL_CONTROL. */
#include "http/body.h"
#include "http/request.h"
#include "iam/acl.h"
#include "s3/acl_request.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "s3/owner.h"
#include "s3/services.h"
#include "util/xml_out.h"

#include <string.h>

/* The stored ACL json, or the owner's FULL_CONTROL when there is none. */
static enum pail_err acl_or_default(struct pail_req *r, const char *json, const char *owner,
                                    struct pail_acl *out)
{
    const char *canon = s3_owner_canonical(r, owner);
    if (json && *json) {
        enum pail_err e = pail_acl_from_json(json, r->arena, out);
        if (e != PAIL_OK)
            return pail_req_fail(r, e, NULL);
        if (!out->owner_id)
            out->owner_id = canon;
        return PAIL_OK;
    }
    if (!canon)
        return pail_req_fail(r, PAIL_E_InternalError, "the owner's account is gone");
    return pail_acl_canned("private", canon, NULL, NULL, NULL, r->arena, out) == PAIL_OK
               ? PAIL_OK
               : pail_req_fail(r, PAIL_E_InternalError, NULL);
}

static enum pail_err write_acl(struct pail_req *r, const struct pail_acl *acl)
{
    struct pail_xml x;
    pail_xml_begin(&x, pail_resp_xml(r));
    pail_acl_write_xml(&x, acl, s3_canonical_name, r);
    return pail_xml_end(&x) == PAIL_OK ? PAIL_OK : pail_req_fail(r, PAIL_E_InternalError, NULL);
}

enum pail_err s3_get_bucket_acl(struct pail_req *r)
{
    const struct s3_bucket *b = r->bkt;
    struct pail_acl acl;
    const char *json = b->has_ownership && b->ownership == S3_OWN_ENFORCED ? NULL : b->acl;
    if (acl_or_default(r, json, s3_owner_account(r, b->owner), &acl) != PAIL_OK)
        return r->err;
    return write_acl(r, &acl);
}

enum pail_err s3_get_object_acl(struct pail_req *r)
{
    if (!r->obj)
        return pail_req_fail(r, PAIL_E_NoSuchKey, NULL);
    struct pail_acl acl;
    if (acl_or_default(r, r->obj->acl, s3_owner_account(r, r->obj->owner), &acl) != PAIL_OK)
        return r->err;
    return write_acl(r, &acl);
}

/* The ACL an AccessControlPolicy body gives the resource owned by owner. */
static enum pail_err acl_from_body(struct pail_req *r, const char *owner, bool block_public,
                                   const char **json)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    struct pail_acl acl;
    const char *why = NULL;
    enum pail_err e = pail_acl_parse_xml(body, len, r->arena, &acl, &why);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, why ? "%s" : NULL, why);
    const char *canon = s3_owner_canonical(r, owner);
    if (acl.owner_id && canon && strcmp(acl.owner_id, canon) != 0)
        return pail_req_fail(r, PAIL_E_AccessDenied, NULL); /* an ACL cannot change the owner */
    acl.owner_id = canon;
    if ((e = pail_acl_resolve_emails(&acl, s3_email_canonical, r)) != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    if (s3_acl_grantees_exist(r, &acl) != PAIL_OK)
        return r->err;
    if (block_public && pail_acl_is_public(&acl)) {
        r->deny_reason = "block-public-acls";
        return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
    }
    *json = pail_acl_to_json(&acl, r->arena);
    return *json ? PAIL_OK : pail_req_fail(r, PAIL_E_InternalError, NULL);
}

/* The new ACL of a Put*Acl request: its headers, else its body. */
static enum pail_err new_acl(struct pail_req *r, const char *owner, const char *bucket_owner,
                             const char **json)
{
    const struct s3_bucket *b = r->bkt;
    if (b->has_ownership && b->ownership == S3_OWN_ENFORCED)
        return pail_req_fail(r, PAIL_E_AccessControlListNotSupported, NULL);
    size_t len = 0;
    pail_body_data(r, &len);
    if (s3_request_has_acl(r)) {
        if (len)
            return pail_req_fail(r, PAIL_E_UnexpectedContent,
                                 "This request does not support content");
        if (s3_request_acl(r, b, false, false, owner, bucket_owner, json) != PAIL_OK)
            return r->err;
        /* grant headers are checked for unknown ids like a body */
        return PAIL_OK;
    }
    if (!len)
        return pail_req_fail(r, PAIL_E_MissingSecurityHeader,
                             "Your request was missing a required header");
    return acl_from_body(r, owner, b->has_pab && b->pab.block_public_acls, json);
}

enum pail_err s3_put_bucket_acl(struct pail_req *r)
{
    const char *owner = s3_owner_account(r, r->bkt->owner);
    const char *json = NULL;
    if (new_acl(r, owner, NULL, &json) != PAIL_OK)
        return r->err;
    return s3_bucket_setting(r, "acl", json);
}

enum pail_err s3_put_object_acl(struct pail_req *r)
{
    if (!r->obj)
        return pail_req_fail(r, PAIL_E_NoSuchKey, NULL);
    const char *owner = s3_owner_account(r, r->obj->owner);
    const char *json = NULL;
    if (new_acl(r, owner, s3_owner_account(r, r->bkt->owner), &json) != PAIL_OK)
        return r->err;
    enum pail_err e = pail_meta_object_acl_put(r->svc->meta, r->bucket, r->key, json);
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
}
