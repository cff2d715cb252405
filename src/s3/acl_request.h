/* s3/acl_request.h — the ACL a request asks for and who owns what it
 * writes: x-amz-acl (canned) or x-amz-grant-* headers on CreateBucket,
 * PutObject, CopyObject, CreateMultipartUpload, PutBucketAcl and
 * PutObjectAcl, weighed against the bucket's Object Ownership and Block
 * Public Access. */
#ifndef PAIL_S3_ACL_REQUEST_H
#define PAIL_S3_ACL_REQUEST_H

#include "core/err.h"

#include <stdbool.h>

struct pail_req;
struct pail_acl;
struct s3_bucket;

/* The owner (account id) of an object req writes into its bucket: the
 * bucket owner under BucketOwnerEnforced, and under BucketOwnerPreferred
 * when the write carries x-amz-acl: bucket-owner-full-control; else the
 * writer's account. */
const char *s3_write_owner(struct pail_req *req);

/* The ACL req's headers ask for, as stored JSON in *json (NULL: none given,
 * the default private). owner: account id owning the resource;
 * bucket_owner: the bucket's (objects), or NULL for a bucket.
 * Errors: InvalidRequest (canned and grant headers together),
 * InvalidArgument (unknown canned ACL, bad grant), UnresolvableGrantByEmail
 * Address, AccessControlListNotSupported (BucketOwnerEnforced and an ACL
 * other than bucket-owner-full-control), AccessDenied (BlockPublicAcls and
 * a public ACL). b: the bucket whose settings apply (NULL for CreateBucket,
 * with enforced/block_public_acls given instead). */
enum pail_err s3_request_acl(struct pail_req *req, const struct s3_bucket *b, bool enforced,
                             bool block_public_acls, const char *owner,
                             const char *bucket_owner, const char **json);

/* The same for a canned ACL named elsewhere (a POST form's acl field;
 * canned NULL: none), against req's bucket. */
enum pail_err s3_canned_acl(struct pail_req *req, const char *canned, const char *owner,
                            const char *bucket_owner, const char **json);

/* InvalidArgument "Invalid id" unless every canonical grantee of acl is an
 * account pail knows, as AWS checks. */
enum pail_err s3_acl_grantees_exist(struct pail_req *req, const struct pail_acl *acl);

/* Whether req carries x-amz-acl or any x-amz-grant-* header. */
bool s3_request_has_acl(const struct pail_req *req);

#endif
