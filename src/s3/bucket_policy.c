/* s3/bucket_policy.c — PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy,
 * GetBucketPolicyStatus. A policy is validated whole before it is stored
 * (iam/policy.h: AWS's MalformedPolicy messages, its principals must exist,
 * its resources must be this bucket's) and stored as sent; the bucket cache
 * compiles it for the authorizer. */
#include "http/body.h"
#include "http/request.h"
#include "iam/identity.h"
#include "iam/policy.h"
#include "core/limits.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "s3/owner.h"
#include "s3/policy_check.h"
#include "s3/services.h"
#include "util/xml_out.h"

#include <string.h>

/* AWS: "If you have the correct permissions, but you're not using an
 * identity that belongs to the bucket owner's account, Amazon S3 returns a
 * 405 Method Not Allowed error" (Get/Put/DeleteBucketPolicy). */
static enum pail_err owner_account_only(struct pail_req *r)
{
    const char *owner = s3_owner_account(r, r->bkt->owner);
    if (r->auth.principal.account && strcmp(r->auth.principal.account, owner) == 0)
        return PAIL_OK;
    return pail_req_fail(r, PAIL_E_MethodNotAllowed, NULL);
}

static bool principal_exists(void *ctx, const char *value, bool is_canonical)
{
    struct pail_req *r = ctx;
    return pail_identity_principal_exists(r->svc->identity, value, is_canonical);
}

enum pail_err s3_put_bucket_policy(struct pail_req *r)
{
    if (owner_account_only(r) != PAIL_OK)
        return r->err;
    size_t len;
    const char *doc = pail_body_data(r, &len);
    if (!len || doc[0] != '{')
        return pail_req_fail(r, PAIL_E_MalformedPolicy, NULL);
    if (pail_policy_size_nows(doc, len) > pail_limits.policy_bytes)
        return pail_req_fail(r, PAIL_E_MalformedPolicy, "Policies cannot exceed %zu characters",
                             pail_limits.policy_bytes);
    char why[256] = "";
    struct pail_policy_opts opts = {.bucket = r->bucket, .principal_exists = principal_exists,
                                    .ctx = r};
    struct pail_policy *p = pail_policy_compile(doc, len, PAIL_POLICY_RESOURCE, &opts, why,
                                                sizeof why);
    if (!p)
        return pail_req_fail(r, PAIL_E_MalformedPolicy, "%s", *why ? why : "Invalid policy");
    bool public_ = pail_policy_is_public(p);
    pail_policy_free(p);
    const char *bad = s3_policy_check(doc, len);
    if (bad)
        return pail_req_fail(r, PAIL_E_MalformedPolicy, "%s", bad);
    const struct s3_bucket *b = r->bkt;
    if (public_ && b->has_pab && b->pab.block_public_policy) {
        r->deny_reason = "block-public-policy";
        return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
    }
    if (s3_bucket_setting(r, "policy", doc) != PAIL_OK)
        return r->err;
    r->resp.status = 204;
    return PAIL_OK;
}

enum pail_err s3_get_bucket_policy(struct pail_req *r)
{
    if (owner_account_only(r) != PAIL_OK)
        return r->err;
    const char *doc = r->bkt->policy;
    if (!doc)
        return pail_req_fail(r, PAIL_E_NoSuchBucketPolicy, NULL);
    struct pail_buf *b = pail_resp_xml(r);
    pail_buf_puts(b, doc);
    pail_resp_header(r, "Content-Type", "application/json");
    return PAIL_OK;
}

enum pail_err s3_delete_bucket_policy(struct pail_req *r)
{
    if (owner_account_only(r) != PAIL_OK)
        return r->err;
    if (r->bkt->policy && s3_bucket_setting(r, "policy", NULL) != PAIL_OK)
        return r->err;
    r->resp.status = 204;
    return PAIL_OK;
}

enum pail_err s3_get_bucket_policy_status(struct pail_req *r)
{
    const char *doc = r->bkt->policy;
    if (!doc)
        return pail_req_fail(r, PAIL_E_NoSuchBucketPolicy, NULL);
    char why[64];
    struct pail_policy *p = pail_policy_compile(doc, strlen(doc), PAIL_POLICY_RESOURCE, NULL, why,
                                                sizeof why);
    bool public_ = p && pail_policy_is_public(p);
    pail_policy_free(p);
    struct pail_xml x;
    s3_xml_start(r, &x, "PolicyStatus");
    pail_xml_elem_bool(&x, "IsPublic", public_);
    pail_xml_close(&x);
    return PAIL_OK;
}
