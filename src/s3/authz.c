/* s3/authz.c — see authz.h. */
#include "s3/authz.h"

#include "http/request.h"
#include "s3/op.h"

enum pail_err s3_authorize_action(struct pail_req *r, const char *action,
                                  const struct s3_bucket *b, const char *key,
                                  const struct pail_object_rec *obj, bool record)
{
    (void)action, (void)b, (void)key, (void)obj;
    if (r->auth.kind != PAIL_AUTH_ANONYMOUS)
        return PAIL_OK;
    if (record) {
        r->deny_reason = "no-grant";
        return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
    }
    return PAIL_E_AccessDenied;
}

enum pail_err s3_authorize(struct pail_req *r)
{
    if (r->op->resource == PAIL_RES_QUERY)
        return PAIL_OK; /* the IAM/STS handler authorizes each action */
    return s3_authorize_action(r, r->op->action, r->bkt, r->key, NULL, true);
}

bool s3_may_list(struct pail_req *r)
{
    return s3_authorize_action(r, "s3:ListBucket", r->bkt, NULL, NULL, false) == PAIL_OK;
}
