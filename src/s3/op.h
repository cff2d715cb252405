/* s3/op.h — what an S3 operation is to the pipeline: one row of ops.def.
 * Owns: struct pail_op, the target/subresource vocabularies, op flags, and the
 * router (pail_route). Rows are data; the pipeline reads flags instead of
 * special-casing operations by name. */
#ifndef PAIL_S3_OP_H
#define PAIL_S3_OP_H

#include "core/err.h"

struct pail_req;

/* WEBSITE: any path on a static-website endpoint (s3/vhost.h). PAIL:
 * pail's own paths, /_pail/... in path style ("_pail" is no bucket name:
 * bucket names have no underscore), for monitoring (s3/pail_paths.c). */
#define PAIL_OWN_PATHS "_pail"
enum pail_target { PAIL_T_SERVICE, PAIL_T_BUCKET, PAIL_T_OBJECT, PAIL_T_WEBSITE, PAIL_T_PAIL };

/* Query keywords that select an operation (S3 "subresources"). The router
 * picks the first present in this order, so uploadId wins over uploads. */
#define PAIL_SUBRES_LIST(X)                                                  \
    X(UPLOAD_ID, "uploadId") X(UPLOADS, "uploads") X(DELETE, "delete")        \
    X(LIST_V2, "list-type") X(LOCATION, "location") X(ACL, "acl")             \
    X(TAGGING, "tagging") X(VERSIONING, "versioning") X(VERSIONS, "versions") \
    X(POLICY, "policy") X(POLICY_STATUS, "policyStatus") X(CORS, "cors")      \
    X(WEBSITE, "website") X(LIFECYCLE, "lifecycle") X(ENCRYPTION, "encryption") \
    X(LOGGING, "logging") X(NOTIFICATION, "notification")                     \
    X(REPLICATION, "replication") X(ACCELERATE, "accelerate")                 \
    X(REQUEST_PAYMENT, "requestPayment") X(OBJECT_LOCK, "object-lock")        \
    X(PUBLIC_ACCESS_BLOCK, "publicAccessBlock")                               \
    X(OWNERSHIP_CONTROLS, "ownershipControls") X(ANALYTICS, "analytics")      \
    X(METRICS, "metrics") X(INVENTORY, "inventory")                           \
    X(INTELLIGENT_TIERING, "intelligent-tiering") X(ATTRIBUTES, "attributes") \
    X(RETENTION, "retention") X(LEGAL_HOLD, "legal-hold") X(TORRENT, "torrent") \
    X(RESTORE, "restore") X(SELECT, "select") X(SESSION, "session")           \
    X(RENAME, "renameObject") X(ACTION, "Action")

enum pail_subres {
    PAIL_SR_NONE,
#define X(name, kw) PAIL_SR_##name,
    PAIL_SUBRES_LIST(X)
#undef X
};

enum pail_op_flags {
    PAIL_OPF_BODY_XML = 1u << 0,    /* body buffered (bounded) for run() */
    PAIL_OPF_BODY_STREAM = 1u << 1, /* begin() installs a streaming sink */
    PAIL_OPF_COPY_SOURCE = 1u << 2, /* row matches only with x-amz-copy-source */
    PAIL_OPF_NOT_IMPLEMENTED = 1u << 3,
    PAIL_OPF_OBJECT_CHECKSUM = 1u << 4, /* x-amz-checksum-* name the object, not the body */
    PAIL_OPF_NO_BUCKET = 1u << 5,   /* the bucket need not exist (CreateBucket) */
    PAIL_OPF_QUERY_API = 1u << 6,   /* IAM/STS query protocol (form parameters;
                                       <ErrorResponse> errors) */
    PAIL_OPF_BODY_FORM = 1u << 7,   /* form-encoded body (buffered, bounded) */
    PAIL_OPF_AUTHZ_IN_RUN = 1u << 8, /* run() authorizes (s3_authorize) once it has
                                       parsed its body, whose values are
                                       condition keys (PutObjectTagging's tags),
                                       or resolved its key (the website) */
    PAIL_OPF_WEBSITE = 1u << 9,     /* the website endpoint: anonymous, HTML errors */
    PAIL_OPF_NO_AUTH = 1u << 10,    /* neither authenticated nor authorized: a
                                       CORS preflight carries no credentials,
                                       and S3 answers it to anyone */
    PAIL_OPF_ANY_SUBRES = 1u << 11, /* matches whatever subresource the query
                                       names (a preflight asks for any op) */
};

/* What an operation's permission is checked against (ops.def). */
enum pail_resource {
    PAIL_RES_ANY,         /* "*": ListBuckets */
    PAIL_RES_BUCKET,      /* arn:aws:s3:::bucket */
    PAIL_RES_OBJECT,      /* arn:aws:s3:::bucket/key */
    PAIL_RES_OBJECT_EACH, /* every key the body names, one by one (DeleteObjects) */
    PAIL_RES_QUERY,       /* the IAM/STS handler authorizes each action itself */
    PAIL_RES_FORM,        /* POST Object: authorized once the form's fields are in */
};

/* The S3 condition keys a request supplies besides the global aws:* keys. */
enum pail_cond_keys {
    PAIL_CK_LIST = 1u << 0,   /* s3:prefix, s3:delimiter, s3:max-keys */
    PAIL_CK_ACL = 1u << 1,    /* s3:x-amz-acl, s3:x-amz-grant-* */
    PAIL_CK_COPY = 1u << 2,   /* s3:x-amz-copy-source, s3:x-amz-metadata-directive */
    PAIL_CK_SSE = 1u << 3,    /* s3:x-amz-server-side-encryption */
    PAIL_CK_OBJTAG = 1u << 4, /* s3:ExistingObjectTag/KEY */
    PAIL_CK_REQTAG = 1u << 5, /* s3:RequestObjectTag/KEY */
};

typedef enum pail_err (*pail_op_fn)(struct pail_req *r);

struct pail_op {
    const char *name;   /* AWS operation name, e.g. "PutObject" */
    const char *method;
    enum pail_target target;
    enum pail_subres subres;
    const char *action; /* IAM action, e.g. "s3:PutObject" (HeadObject: s3:GetObject) */
    enum pail_resource resource;
    unsigned keys;      /* enum pail_cond_keys */
    unsigned flags;
    pail_op_fn begin;   /* optional: runs after auth, before the body */
    pail_op_fn run;     /* runs once the body is complete */
};

/* Finds the operation for req (method, bucket/key presence, query keywords,
 * x-amz-copy-source). Sets req->op, or fails with MethodNotAllowed (the
 * resource exists with other methods) or NotImplemented. */
enum pail_err pail_route(struct pail_req *req);

/* Refuses headers asking for what pail does not do (SSE with customer or
 * KMS keys): run after authorization, as AWS refuses an unauthorized such
 * request with AccessDenied first. */
enum pail_err pail_route_headers(struct pail_req *r);

/* The query keyword of subresource s ("uploads", "object-lock"); NULL for
 * PAIL_SR_NONE. */
const char *pail_subres_keyword(enum pail_subres s);

/* The table, for enumeration by tests and docs. */
extern const struct pail_op pail_ops[];
extern const unsigned pail_nops;

#endif
