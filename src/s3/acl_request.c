/* s3/acl_request.c — see acl_request.h. */
#include "s3/acl_request.h"

#include "http/request.h"
#include "iam/acl.h"
#include "iam/identity.h"
#include "s3/bucket_cache.h"
#include "s3/owner.h"
#include "s3/services.h"

#include <string.h>

static const char *const grant_headers[PAIL_ACL_HDR__COUNT] = {
    [PAIL_ACL_HDR_READ] = "x-amz-grant-read",
    [PAIL_ACL_HDR_WRITE] = "x-amz-grant-write",
    [PAIL_ACL_HDR_READ_ACP] = "x-amz-grant-read-acp",
    [PAIL_ACL_HDR_WRITE_ACP] = "x-amz-grant-write-acp",
    [PAIL_ACL_HDR_FULL_CONTROL] = "x-amz-grant-full-control",
};

bool s3_request_has_acl(const struct pail_req *r)
{
    if (pail_req_header(r, "x-amz-acl"))
        return true;
    for (int i = 0; i < PAIL_ACL_HDR__COUNT; i++)
        if (pail_req_header(r, grant_headers[i]))
            return true;
    return false;
}

enum pail_err s3_acl_grantees_exist(struct pail_req *r, const struct pail_acl *acl)
{
    for (size_t i = 0; i < acl->n; i++) {
        const struct pail_grant *g = &acl->grants[i];
        struct pail_account a;
        if (g->type == PAIL_GRANTEE_CANONICAL &&
            !pail_identity_account_by_canonical(r->svc->identity, g->id, r->arena, &a))
            return pail_req_fail(r, PAIL_E_InvalidArgument, "Invalid id");
    }
    return PAIL_OK;
}

static bool enforced_bucket(const struct s3_bucket *b)
{
    return b && b->has_ownership && b->ownership == S3_OWN_ENFORCED;
}

const char *s3_write_owner(struct pail_req *r)
{
    const struct s3_bucket *b = r->bkt;
    const char *acl = pail_req_header(r, "x-amz-acl");
    if (b && (enforced_bucket(b) ||
              (b->has_ownership && b->ownership == S3_OWN_PREFERRED && acl &&
               strcmp(acl, "bucket-owner-full-control") == 0)))
        return s3_owner_account(r, b->owner);
    return r->auth.principal.account ? r->auth.principal.account : "";
}

/* Grant values → acl (owner set); *present false when none was given. */
static enum pail_err from_grants(struct pail_req *r, const char *const hdr[PAIL_ACL_HDR__COUNT],
                                 const char *owner_canon, const char *owner_name,
                                 struct pail_acl *acl, bool *present)
{
    const char *why = NULL;
    enum pail_err e = pail_acl_from_headers(hdr, owner_canon, owner_name, r->arena, acl, present,
                                            &why);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, why ? "%s" : NULL, why);
    e = pail_acl_resolve_emails(acl, s3_email_canonical, r);
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
}

/* The ACL a canned name or grant values (hdr, NULL entries: absent) ask
 * for; see s3_request_acl. */
static enum pail_err acl_from(struct pail_req *r, const struct s3_bucket *b, bool enforced,
                              bool block_public_acls, const char *owner,
                              const char *bucket_owner, const char *canned,
                              const char *const hdr[PAIL_ACL_HDR__COUNT], const char **json)
{
    *json = NULL;
    if (b) {
        enforced = enforced_bucket(b);
        block_public_acls = b->has_pab && b->pab.block_public_acls;
    }
    bool grants = false;
    for (int i = 0; i < PAIL_ACL_HDR__COUNT; i++)
        grants |= hdr[i] != NULL;
    if (!canned && !grants)
        return PAIL_OK;
    if (canned && grants)
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "Specifying both Canned ACLs and Header Grants is not allowed");
    /* Under BucketOwnerEnforced ACLs are off: only the one canned ACL that
     * says what is true anyway is accepted (and stores nothing). */
    if (enforced)
        return canned && strcmp(canned, "bucket-owner-full-control") == 0
                   ? PAIL_OK
                   : pail_req_fail(r, PAIL_E_AccessControlListNotSupported, NULL);
    const char *ocanon = s3_owner_canonical(r, owner);
    const char *oname = s3_owner_name(r, owner);
    if (!ocanon)
        return pail_req_fail(r, PAIL_E_InternalError, "the owner's account is gone");
    struct pail_acl acl;
    if (canned) {
        const char *bcanon = bucket_owner ? s3_owner_canonical(r, bucket_owner) : NULL;
        const char *bname = bucket_owner ? s3_owner_name(r, bucket_owner) : NULL;
        if (pail_acl_canned(canned, ocanon, oname, bcanon, bname, r->arena, &acl) != PAIL_OK)
            return pail_req_fail(r, PAIL_E_InvalidArgument, NULL);
    } else {
        bool present;
        if (from_grants(r, hdr, ocanon, oname, &acl, &present) != PAIL_OK ||
            s3_acl_grantees_exist(r, &acl) != PAIL_OK)
            return r->err;
    }
    if (block_public_acls && pail_acl_is_public(&acl)) {
        r->deny_reason = "block-public-acls";
        return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
    }
    *json = pail_acl_to_json(&acl, r->arena);
    return *json ? PAIL_OK : pail_req_fail(r, PAIL_E_InternalError, NULL);
}

enum pail_err s3_request_acl(struct pail_req *r, const struct s3_bucket *b, bool enforced,
                             bool block_public_acls, const char *owner,
                             const char *bucket_owner, const char **json)
{
    const char *hdr[PAIL_ACL_HDR__COUNT];
    for (int i = 0; i < PAIL_ACL_HDR__COUNT; i++)
        hdr[i] = pail_req_header(r, grant_headers[i]);
    return acl_from(r, b, enforced, block_public_acls, owner, bucket_owner,
                    pail_req_header(r, "x-amz-acl"), hdr, json);
}

enum pail_err s3_canned_acl(struct pail_req *r, const char *canned, const char *owner,
                            const char *bucket_owner, const char **json)
{
    const char *none[PAIL_ACL_HDR__COUNT] = {0};
    return acl_from(r, r->bkt, false, false, owner, bucket_owner, canned, none, json);
}
