/* s3/authz.h — may this request do what its operation does? The one place
 * where S3's permission systems meet: identity policies (IAM), the bucket
 * policy, ACLs, object ownership and Block Public Access, evaluated as AWS's
 * "policy evaluation logic" and "How Amazon S3 authorizes a request" pages
 * describe. Every request passes s3_authorize() in the pipeline; operations
 * that need more than their row's permission (DeleteObjects per key,
 * CopyObject's source) ask s3_authorize_action() themselves. */
#ifndef PAIL_S3_AUTHZ_H
#define PAIL_S3_AUTHZ_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_req;
struct s3_bucket;
struct pail_object_rec;

/* The permission of req's operation (ops.def action and resource), plus
 * what its headers add (an ACL on a write needs s3:Put*Acl too). On a
 * refusal records AccessDenied with AWS's message and req->deny_reason. */
enum pail_err s3_authorize(struct pail_req *req);

/* One more permission: action on bucket b (key NULL: the bucket itself;
 * obj: the object when it is known, for its ACL and owner). Returns PAIL_OK
 * or AccessDenied; with record false nothing is recorded in req (per-key
 * decisions of DeleteObjects), else as s3_authorize. */
enum pail_err s3_authorize_action(struct pail_req *req, const char *action,
                                  const struct s3_bucket *b, const char *key,
                                  const struct pail_object_rec *obj, bool record);

/* The request's global condition keys (aws:SourceIp, aws:CurrentTime, ...)
 * for policies evaluated elsewhere (IAM, STS); arena memory. */
struct pail_cond_entry;
const struct pail_cond_entry *s3_condition_context(struct pail_req *req, size_t *n);

/* Explains, a line per policy, grant or block that mattered, whether `as`
 * (an IAM ARN: arn:aws:iam::ACCT:root|user/..|role/.., or "anonymous") may
 * do action on resource (arn:aws:s3:::bucket[/key]) given the condition
 * context ctx; appends to out. req is a bare request: an arena and the
 * services. NoSuchEntity (unknown principal), NoSuchBucket. */
struct pail_buf;
enum pail_err s3_explain(struct pail_req *req, const char *as, const char *action,
                         const char *resource, const struct pail_cond_entry *ctx, size_t nctx,
                         struct pail_buf *out);

/* IAM's simulation hook (iam_api.h, pail_sim_hook) for S3 resources:
 * decides ask as the authorizer would decide a real request by its
 * principal on the bucket or object its ARN names (bucket policy, ACLs,
 * Object Ownership, Block Public Access; the identity side as IAM simulated
 * it), with the same code as requests and s3_explain. services is the
 * server's struct pail_services. false (the identity side alone decides)
 * for a non-s3: action, an ARN that names no bucket of this pail, or a
 * principal without an account. */
struct pail_arena;
struct pail_sim_ask;
struct pail_sim_answer;
bool s3_simulate(void *services, const struct pail_sim_ask *ask, struct pail_arena *a,
                 struct pail_sim_answer *out);

/* Bucket-cache hooks (s3/bucket_cache.h): a bucket's policy compiled and
 * its ACL parsed, once per fill. */
void *s3_authz_compile(const struct s3_bucket *b);
void s3_authz_release(void *compiled);

/* Whether an ACL a write carries needs its own permission (s3:PutObjectAcl,
 * s3:PutBucketAcl): for IAM principals, not for an account root or an
 * anonymous writer, whose new resource is its own. */
bool s3_acl_needs_permission(const struct pail_req *req);

/* True when req's principal may s3:ListBucket on its bucket, asked with key
 * as the s3:prefix (NULL: none): GET/HEAD of a missing key answers 404
 * NoSuchKey then, 403 AccessDenied otherwise. */
bool s3_may_list(struct pail_req *req, const char *key);

/* Server access log delivery: may the logging service (principal
 * {"Service": "logging.s3.amazonaws.com"}) write key into bucket target for
 * source_bucket of source_account? As AWS: target's bucket policy allows it
 * s3:PutObject (conditions see aws:SourceArn arn:aws:s3:::source_bucket and
 * aws:SourceAccount; an explicit Deny refuses), or else its ACL grants the
 * LogDelivery group WRITE and READ_ACP (the log-delivery-write canned ACL;
 * not under BucketOwnerEnforced). r is a bare request (arena, services). */
#define S3_LOG_DELIVERY_SERVICE "logging.s3.amazonaws.com"
bool s3_log_delivery_allowed(struct pail_req *r, const struct s3_bucket *target, const char *key,
                             const char *source_bucket, const char *source_account);

#endif
