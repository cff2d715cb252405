/* s3/bucket_access.c — Block Public Access (Put/Get/DeletePublicAccessBlock)
 * and Object Ownership (Put/Get/DeleteBucketOwnershipControls), two bucket
 * settings the authorizer and the ACL code read. Block Public Access is
 * stored as four '0'/'1' flags ("pab"), ownership as its name
 * ("ownership"). */
#include "http/body.h"
#include "http/request.h"
#include "iam/acl.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <string.h>

enum pail_err s3_put_public_access_block(struct pail_req *r)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    struct pail_pab p;
    enum pail_err e = pail_xml_parse_pab(body, len, &p);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    char flags[5] = {p.block_public_acls ? '1' : '0', p.ignore_public_acls ? '1' : '0',
                     p.block_public_policy ? '1' : '0', p.restrict_public_buckets ? '1' : '0', 0};
    return s3_bucket_setting(r, "pab", flags);
}

enum pail_err s3_get_public_access_block(struct pail_req *r)
{
    const struct s3_bucket *b = r->bkt;
    if (!b->has_pab)
        return pail_req_fail(r, PAIL_E_NoSuchPublicAccessBlockConfiguration, NULL);
    struct pail_xml x;
    s3_xml_start(r, &x, "PublicAccessBlockConfiguration");
    pail_xml_elem_bool(&x, "BlockPublicAcls", b->pab.block_public_acls);
    pail_xml_elem_bool(&x, "IgnorePublicAcls", b->pab.ignore_public_acls);
    pail_xml_elem_bool(&x, "BlockPublicPolicy", b->pab.block_public_policy);
    pail_xml_elem_bool(&x, "RestrictPublicBuckets", b->pab.restrict_public_buckets);
    pail_xml_close(&x);
    return PAIL_OK;
}

enum pail_err s3_delete_public_access_block(struct pail_req *r)
{
    if (r->bkt->has_pab && s3_bucket_setting(r, "pab", NULL) != PAIL_OK)
        return r->err;
    r->resp.status = 204;
    return PAIL_OK;
}

/* BucketOwnerEnforced turns ACLs off; AWS refuses it while the bucket ACL
 * grants anyone but the owner. */
static bool acl_only_owner(struct pail_req *r)
{
    struct pail_acl acl;
    const char *json = r->bkt->acl;
    if (!json || pail_acl_from_json(json, r->arena, &acl) != PAIL_OK)
        return true;
    for (size_t i = 0; i < acl.n; i++)
        if (acl.grants[i].type != PAIL_GRANTEE_CANONICAL || !acl.owner_id ||
            strcmp(acl.grants[i].id, acl.owner_id) != 0)
            return false;
    return true;
}

enum pail_err s3_put_bucket_ownership_controls(struct pail_req *r)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    const char *own = NULL;
    enum pail_err e = pail_xml_parse_ownership(body, len, &own);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    if (strcmp(own, "BucketOwnerEnforced") == 0 && !acl_only_owner(r))
        return pail_req_fail(r, PAIL_E_InvalidBucketAclWithObjectOwnership, NULL);
    return s3_bucket_setting(r, "ownership", own);
}

enum pail_err s3_get_bucket_ownership_controls(struct pail_req *r)
{
    const char *own = s3_bucket_conf(r->bkt, "ownership");
    if (!own)
        return pail_req_fail(r, PAIL_E_OwnershipControlsNotFoundError, NULL);
    struct pail_xml x;
    s3_xml_start(r, &x, "OwnershipControls");
    pail_xml_open(&x, "Rule");
    pail_xml_elem(&x, "ObjectOwnership", own);
    pail_xml_close(&x);
    pail_xml_close(&x);
    return PAIL_OK;
}

enum pail_err s3_delete_bucket_ownership_controls(struct pail_req *r)
{
    return s3_bucket_setting_delete(r, "ownership");
}
