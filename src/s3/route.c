/* s3/route.c — the operation table (expanded from ops.def) and the router.
 * A request is matched by key — (method, target kind, subresource, presence of
 * x-amz-copy-source) — so row order never matters. */
#include "s3/op.h"

#include "http/request.h"
#include "s3/handlers.h"
#include "s3/website.h"

#include <string.h>

#define F_0 0u
#define F_BODY_XML PAIL_OPF_BODY_XML
#define F_BODY_STREAM PAIL_OPF_BODY_STREAM
#define F_COPY_SOURCE PAIL_OPF_COPY_SOURCE
#define F_NOTIMPL PAIL_OPF_NOT_IMPLEMENTED
#define F_BODY_XML_OBJECT_CHECKSUM (PAIL_OPF_BODY_XML | PAIL_OPF_OBJECT_CHECKSUM)
#define F_BODY_XML_NO_BUCKET (PAIL_OPF_BODY_XML | PAIL_OPF_NO_BUCKET)
#define F_BODY_XML_AUTHZ_IN_RUN (PAIL_OPF_BODY_XML | PAIL_OPF_AUTHZ_IN_RUN)
#define F_WEBSITE (PAIL_OPF_WEBSITE | PAIL_OPF_AUTHZ_IN_RUN)
#define F_QUERY_API (PAIL_OPF_QUERY_API | PAIL_OPF_NO_BUCKET)
#define F_QUERY_API_FORM (PAIL_OPF_QUERY_API | PAIL_OPF_NO_BUCKET | PAIL_OPF_BODY_FORM)
#define F_PREFLIGHT (PAIL_OPF_NO_AUTH | PAIL_OPF_NO_BUCKET | PAIL_OPF_ANY_SUBRES)
#define F_OWN_PATH (PAIL_OPF_NO_AUTH | PAIL_OPF_NO_BUCKET | PAIL_OPF_ANY_SUBRES)

/* The keys column of ops.def, spelled short there. */
#define LIST PAIL_CK_LIST
#define ACL PAIL_CK_ACL
#define COPY PAIL_CK_COPY
#define SSE PAIL_CK_SSE
#define OBJTAG PAIL_CK_OBJTAG
#define REQTAG PAIL_CK_REQTAG

const struct pail_op pail_ops[] = {
#define PAIL_OP(name, method, target, subres, flags, action, resource, keys, begin, run) \
    {#name, #method, PAIL_T_##target, PAIL_SR_##subres, "s3:" #action,                 \
     PAIL_RES_##resource, keys, F_##flags, begin, run},
#include "s3/ops.def"
#undef PAIL_OP
};

#undef LIST
#undef ACL
#undef COPY
#undef SSE
#undef OBJTAG
#undef REQTAG
const unsigned pail_nops = sizeof(pail_ops) / sizeof(pail_ops[0]);

static const char *const subres_kw[] = {
    NULL,
#define X(name, kw) kw,
    PAIL_SUBRES_LIST(X)
#undef X
};

const char *pail_subres_keyword(enum pail_subres s)
{
    return s > 0 && (size_t)s < sizeof(subres_kw) / sizeof(subres_kw[0]) ? subres_kw[s] : NULL;
}

static enum pail_subres find_subres(const struct pail_req *r)
{
    for (unsigned s = 1; s < sizeof(subres_kw) / sizeof(subres_kw[0]); s++) {
        const char *v = pail_req_query(r, subres_kw[s]);
        if (!v)
            continue;
        /* list-type=2 selects ListObjectsV2; any other value is plain V1. */
        if (s == PAIL_SR_LIST_V2 && strcmp(v, "2") != 0)
            continue;
        return (enum pail_subres)s;
    }
    return PAIL_SR_NONE;
}

/* Requests for server-side encryption with customer or KMS keys must not be
 * stored in the clear as if they had been honoured. SSE-S3 (AES256) is
 * accepted: data at rest is protected by the operator's disk encryption. */
enum pail_err pail_route_headers(struct pail_req *r)
{
    const char *sse = pail_req_header(r, "x-amz-server-side-encryption");
    /* pail has no TLS yet, and S3 refuses customer keys in the clear. */
    if (pail_req_header(r, "x-amz-server-side-encryption-customer-algorithm") ||
        pail_req_header(r, "x-amz-copy-source-server-side-encryption-customer-algorithm"))
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "Requests specifying Server Side Encryption with Customer "
                             "provided keys must be made over a secure connection.");
    if (sse && strcmp(sse, "AES256") != 0)
        return pail_req_fail(r, PAIL_E_NotImplemented,
                             "Server-side encryption with KMS keys is not implemented");
    return PAIL_OK;
}

enum pail_err pail_route(struct pail_req *r)
{
    /* "/_pail" alone stays an S3 target, so CreateBucket says InvalidBucketName */
    bool own = r->bucket && r->key && !r->virtual_host && strcmp(r->bucket, PAIL_OWN_PATHS) == 0;
    enum pail_target t = r->website ? PAIL_T_WEBSITE
                         : own        ? PAIL_T_PAIL
                         : !r->bucket ? PAIL_T_SERVICE
                         : !r->key    ? PAIL_T_BUCKET
                                      : PAIL_T_OBJECT;
    if (r->admin_port && t != PAIL_T_PAIL)
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "--admin-listen serves only /_pail/metrics and /_pail/health/...");
    /* a website serves paths: its query selects nothing */
    enum pail_subres sr = r->website ? PAIL_SR_NONE : find_subres(r);
    bool copy = strcmp(r->method, "PUT") == 0 &&
                pail_req_header(r, "x-amz-copy-source") != NULL;
    bool other_method = false;
    for (unsigned i = 0; i < pail_nops; i++) {
        const struct pail_op *op = &pail_ops[i];
        if (op->target != t || (op->subres != sr && !(op->flags & PAIL_OPF_ANY_SUBRES)))
            continue;
        if (strcmp(op->method, r->method) != 0) {
            other_method = true;
            continue;
        }
        if (((op->flags & PAIL_OPF_COPY_SOURCE) != 0) != copy)
            continue;
        r->op = op;
        if (op->flags & PAIL_OPF_NOT_IMPLEMENTED)
            return pail_req_fail(r, PAIL_E_NotImplemented,
                                 "%s is not implemented by pail yet", op->name);
        return PAIL_OK;
    }
    if (other_method)
        return pail_req_fail(r, PAIL_E_MethodNotAllowed, NULL);
    return pail_req_fail(r, PAIL_E_NotImplemented, NULL);
}
