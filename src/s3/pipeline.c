/* s3/pipeline.c — see pipeline.h. The order of the steps is AWS's: a
 * request's signature is checked before anything about its bucket is
 * revealed, the bucket must exist before its policy and ACL can say who may
 * use it, and no body byte is read (no 100 Continue sent) before the request
 * is known to be allowed — but for the bounded bodies whose contents are
 * what the policies decide on (POST forms, PutObjectTagging's tags): those
 * operations authorize once they have read them. */
#include "s3/pipeline.h"

#include "core/limits.h"
#include "http/body.h"
#include "http/request.h"
#include "http/target.h"
#include "s3/access_record.h"
#include "s3/authz.h"
#include "s3/bucket_cache.h"
#include "s3/cors.h"
#include "s3/error.h"
#include "s3/metrics.h"
#include "s3/op.h"
#include "s3/owner.h"
#include "s3/query_api.h"
#include "s3/services.h"
#include "s3/tags.h"
#include "s3/vhost.h"
#include "s3/website.h"

#include <string.h>

#define FORM_BODY_MAX (1u << 20) /* IAM: the largest policy document, encoded */

/* A SigV4 signature names the service it was made for: S3 requests must be
 * signed for s3, the IAM/STS query API for iam or sts. */
static enum pail_err check_service(struct pail_req *r)
{
    const char *svc = r->auth.service;
    bool query = (r->op->flags & PAIL_OPF_QUERY_API) != 0;
    if (r->auth.kind == PAIL_AUTH_ANONYMOUS)
        return query ? pail_req_fail(r, PAIL_E_MissingAuthenticationToken, NULL) : PAIL_OK;
    if (query && strcmp(svc, "iam") != 0 && strcmp(svc, "sts") != 0)
        return pail_req_fail(r, PAIL_E_IncompleteSignature,
                             "Credential should be scoped to a valid service: iam or sts");
    if (!query && strcmp(svc, "s3") != 0)
        return pail_req_fail(r, PAIL_E_AuthorizationHeaderMalformed,
                             "The authorization header is malformed; incorrect service. "
                             "This endpoint belongs to \"s3\".");
    return PAIL_OK;
}

static enum pail_err load_bucket(struct pail_req *r)
{
    if (!r->bucket)
        return PAIL_OK;
    enum pail_err e = s3_bucket_get(r->svc->buckets, r->bucket, r->arena, &r->bkt);
    if (e == PAIL_E_NoSuchBucket && (r->op->flags & PAIL_OPF_NO_BUCKET))
        return PAIL_OK;
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
}

/* x-amz-expected-bucket-owner: the caller's guard against writing into a
 * bucket that changed hands (AWS: 403 AccessDenied when it differs). */
static enum pail_err expected_owner(struct pail_req *r)
{
    const char *want = pail_req_header(r, "x-amz-expected-bucket-owner");
    if (!want || !r->bkt)
        return PAIL_OK;
    if (strcmp(want, s3_owner_account(r, r->bkt->owner)) == 0)
        return PAIL_OK;
    r->deny_reason = "expected-bucket-owner";
    return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
}

/* x-amz-tagging on a write: parsed and checked before authorization, whose
 * s3:RequestObjectTag conditions read it. */
static enum pail_err request_tags(struct pail_req *r)
{
    const char *hdr = pail_req_header(r, "x-amz-tagging");
    if (!hdr || !(r->op->keys & PAIL_CK_REQTAG) || (r->op->flags & PAIL_OPF_AUTHZ_IN_RUN))
        return PAIL_OK;
    struct s3_tags *t = pail_arena_alloc(r->arena, sizeof *t);
    if (s3_tags_from_header(r, hdr, t) != PAIL_OK)
        return r->err;
    r->tags = t;
    return PAIL_OK;
}

static enum pail_err begin_body(struct pail_req *r)
{
    const struct pail_op *op = r->op;
    enum pail_err e = PAIL_OK;
    if (op->flags & PAIL_OPF_BODY_XML)
        e = pail_body_begin(r, NULL, NULL, pail_limits.xml_bytes, PAIL_CKSUM_NONE,
                            op->flags & PAIL_OPF_OBJECT_CHECKSUM ? PAIL_BODY_OBJECT_CHECKSUM : 0);
    else if (op->flags & PAIL_OPF_BODY_FORM)
        e = pail_body_begin(r, NULL, NULL, FORM_BODY_MAX, PAIL_CKSUM_NONE, 0);
    if (e == PAIL_OK && op->begin)
        e = op->begin(r); /* a streaming op installs its sink here */
    return e;
}

/* A row flagged NO_AUTH (the CORS preflight) skips authentication and
 * authorization: it only needs its bucket, if there is one. */
static enum pail_err begin_unauthenticated(struct pail_req *r)
{
    enum pail_err e = load_bucket(r);
    if (e == PAIL_OK)
        e = begin_body(r);
    return e;
}

enum pail_err pail_pipeline_begin(struct pail_req *r)
{
    bool website;
    const char *vhost = s3_vhost_bucket(r, &website);
    if (r->website_port && !website) {
        vhost = s3_website_host_bucket(r);
        website = vhost != NULL;
    }
    enum pail_err e = pail_target_parse(r, vhost);
    r->website = website;
    if (e == PAIL_OK)
        e = pail_route(r);
    if (r->op)
        r->op_name = r->op->name;
    if (e == PAIL_OK && (r->op->flags & PAIL_OPF_NO_AUTH))
        return begin_unauthenticated(r);
    if (e == PAIL_OK && (r->op->flags & PAIL_OPF_WEBSITE))
        pail_auth_anonymous(r); /* a website is anonymous, whatever is signed */
    else if (e == PAIL_OK)
        e = pail_auth_verify(r);
    if (e == PAIL_OK)
        e = check_service(r);
    if (e == PAIL_OK)
        e = load_bucket(r);
    if (e == PAIL_OK)
        e = expected_owner(r);
    if (e == PAIL_OK)
        e = request_tags(r);
    if (e == PAIL_OK && !(r->op->flags & PAIL_OPF_AUTHZ_IN_RUN))
        e = s3_authorize(r);
    if (e == PAIL_OK)
        e = pail_route_headers(r);
    if (e == PAIL_OK)
        e = begin_body(r);
    return e;
}

void pail_pipeline_run(struct pail_req *r)
{
    if (r->err == PAIL_OK && r->body)
        pail_body_finish(r);
    if (r->err == PAIL_OK && r->auth.deferred) { /* IAM/STS: signed over the body */
        size_t len = 0;
        const char *body = r->body ? pail_body_data(r, &len) : NULL;
        pail_auth_verify_body(r, body, len);
    }
    if (r->err == PAIL_OK)
        r->op->run(r);
}

/* Errors that say the body and its framing disagree (a Content-Length
 * shorter than what was sent shows up as a digest mismatch): what follows on
 * the connection may be the rest of this body, not a request. */
static bool body_framing_suspect(enum pail_err e)
{
    return e == PAIL_E_BadDigest || e == PAIL_E_XAmzContentSHA256Mismatch ||
           e == PAIL_E_IncompleteBody || e == PAIL_E_InvalidChunkSizeError;
}

static void render_error(struct pail_req *r)
{
    if (r->err == PAIL_OK)
        return;
    if (r->body && body_framing_suspect(r->err))
        r->resp.close = true;
    if (r->op && (r->op->flags & PAIL_OPF_QUERY_API))
        s3_query_render_error(r);
    else if (r->website)
        s3_website_render_error(r);
    else
        pail_s3_render_error(r);
}

/* A cross-origin request's answer carries the CORS headers of the rule that
 * allows it, error answers included: without them the page's script sees a
 * network failure instead of S3's error. The request may have failed before
 * its bucket was loaded (a bad signature), so it is looked up here; only
 * the bucket's CORS rules are used, which a preflight shows anyone anyway. */
static void cors_headers(struct pail_req *r)
{
    if (!r->bucket || !pail_req_header(r, "origin"))
        return;
    const struct s3_bucket *b = r->bkt;
    if (!b && s3_bucket_get(r->svc->buckets, r->bucket, r->arena, &b) != PAIL_OK)
        return;
    s3_cors_actual(r, b->cors);
}

void pail_pipeline_finish(struct pail_req *r)
{
    render_error(r); /* first: an error document replaces the handler's headers */
    cors_headers(r);
}

void pail_pipeline_done(struct pail_req *r, uint64_t micros)
{
    s3_metrics_record(r, micros);
    s3_access_log(r, micros); /* the server access log, when r's bucket keeps one */
}
