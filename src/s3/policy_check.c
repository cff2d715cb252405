/* s3/policy_check.c — what S3 checks in a bucket policy beyond the policy
 * language (iam/policy.c validates that): every action named without a
 * wildcard is an S3 action, each statement's actions apply to at least one
 * of its resources (an object action on a bucket ARN alone is refused), and
 * every s3: condition key is one S3 defines. Messages are AWS's. */
#include "s3/policy_check.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* The resource an action applies to: an object, the bucket, or neither (the
 * account: ListAllMyBuckets cannot apply in a bucket policy). */
enum level { OBJ, BKT, ACCT };

static const struct {
    const char *name;
    enum level level;
} actions[] = {
    {"AbortMultipartUpload", OBJ}, {"BypassGovernanceRetention", OBJ},
    {"CreateBucket", BKT}, {"DeleteBucket", BKT}, {"DeleteBucketOwnershipControls", BKT},
    {"DeleteBucketPolicy", BKT}, {"DeleteBucketWebsite", BKT}, {"DeleteObject", OBJ},
    {"DeleteObjectTagging", OBJ}, {"DeleteObjectVersion", OBJ},
    {"DeleteObjectVersionTagging", OBJ}, {"GetAccelerateConfiguration", BKT},
    {"GetAnalyticsConfiguration", BKT}, {"GetBucketAcl", BKT}, {"GetBucketCORS", BKT},
    {"GetBucketLocation", BKT}, {"GetBucketLogging", BKT}, {"GetBucketNotification", BKT},
    {"GetBucketObjectLockConfiguration", BKT}, {"GetBucketOwnershipControls", BKT},
    {"GetBucketPolicy", BKT}, {"GetBucketPolicyStatus", BKT},
    {"GetBucketPublicAccessBlock", BKT}, {"GetBucketRequestPayment", BKT},
    {"GetBucketTagging", BKT}, {"GetBucketVersioning", BKT}, {"GetBucketWebsite", BKT},
    {"GetEncryptionConfiguration", BKT}, {"GetIntelligentTieringConfiguration", BKT},
    {"GetInventoryConfiguration", BKT}, {"GetLifecycleConfiguration", BKT},
    {"GetMetricsConfiguration", BKT}, {"GetObject", OBJ}, {"GetObjectAcl", OBJ},
    {"GetObjectAttributes", OBJ}, {"GetObjectLegalHold", OBJ}, {"GetObjectRetention", OBJ},
    {"GetObjectTagging", OBJ}, {"GetObjectTorrent", OBJ}, {"GetObjectVersion", OBJ},
    {"GetObjectVersionAcl", OBJ}, {"GetObjectVersionAttributes", OBJ},
    {"GetObjectVersionForReplication", OBJ}, {"GetObjectVersionTagging", OBJ},
    {"GetObjectVersionTorrent", OBJ}, {"GetReplicationConfiguration", BKT},
    {"ListAllMyBuckets", ACCT}, {"ListBucket", BKT}, {"ListBucketMultipartUploads", BKT},
    {"ListBucketVersions", BKT}, {"ListMultipartUploadParts", OBJ},
    {"ObjectOwnerOverrideToBucketOwner", OBJ}, {"PutAccelerateConfiguration", BKT},
    {"PutAnalyticsConfiguration", BKT}, {"PutBucketAcl", BKT}, {"PutBucketCORS", BKT},
    {"PutBucketLogging", BKT}, {"PutBucketNotification", BKT},
    {"PutBucketObjectLockConfiguration", BKT}, {"PutBucketOwnershipControls", BKT},
    {"PutBucketPolicy", BKT}, {"PutBucketPublicAccessBlock", BKT},
    {"PutBucketRequestPayment", BKT}, {"PutBucketTagging", BKT}, {"PutBucketVersioning", BKT},
    {"PutBucketWebsite", BKT}, {"PutEncryptionConfiguration", BKT},
    {"PutIntelligentTieringConfiguration", BKT}, {"PutInventoryConfiguration", BKT},
    {"PutLifecycleConfiguration", BKT}, {"PutMetricsConfiguration", BKT}, {"PutObject", OBJ},
    {"PutObjectAcl", OBJ}, {"PutObjectLegalHold", OBJ}, {"PutObjectRetention", OBJ},
    {"PutObjectTagging", OBJ}, {"PutObjectVersionAcl", OBJ}, {"PutObjectVersionTagging", OBJ},
    {"PutReplicationConfiguration", BKT}, {"ReplicateDelete", OBJ}, {"ReplicateObject", OBJ},
    {"ReplicateTags", OBJ}, {"RestoreObject", OBJ},
};

/* S3's own condition keys (the service authorization reference); tag keys
 * end in /KEY. */
static const char *const s3_keys[] = {
    "s3:authType", "s3:delimiter", "s3:max-keys", "s3:prefix", "s3:signatureAge",
    "s3:signatureversion", "s3:TlsVersion", "s3:versionid", "s3:x-amz-acl",
    "s3:x-amz-content-sha256", "s3:x-amz-copy-source", "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read", "s3:x-amz-grant-read-acp", "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp", "s3:x-amz-metadata-directive",
    "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-server-side-encryption-customer-algorithm", "s3:x-amz-storage-class",
    "s3:x-amz-website-redirect-location", "s3:object-lock-legal-hold",
    "s3:object-lock-mode", "s3:object-lock-retain-until-date",
    "s3:object-lock-remaining-retention-days", "s3:LocationConstraint",
    "s3:RequestObjectTagKeys", "s3:ExistingObjectTag/", "s3:RequestObjectTag/",
    "s3:DataAccessPointAccount", "s3:DataAccessPointArn", "s3:AccessPointNetworkOrigin",
    "s3:ResourceAccount", "s3:x-amz-object-ownership", "s3:if-match", "s3:if-none-match",
    "s3:x-amz-checksum-algorithm", "s3:BucketTag/", NULL,
};

/* The level of a wildcard-free action, or -1 when S3 has no such action. */
static int action_level(const char *a)
{
    if (strncasecmp(a, "s3:", 3) != 0)
        return -1;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcasecmp(a + 3, actions[i].name) == 0)
            return (int)actions[i].level;
    return -1;
}

static bool wild(const char *s) { return strchr(s, '*') || strchr(s, '?'); }

static bool known_key(const char *k)
{
    if (strncasecmp(k, "s3:", 3) != 0)
        return true; /* aws:*, and other services' keys, are IAM's to know */
    for (int i = 0; s3_keys[i]; i++) {
        size_t n = strlen(s3_keys[i]);
        bool prefix = s3_keys[i][n - 1] == '/';
        if (prefix ? strncasecmp(k, s3_keys[i], n) == 0 && k[n]
                   : strcasecmp(k, s3_keys[i]) == 0)
            return true;
    }
    return false;
}

/* Calls one(value) for a string or every string of an array. */
#define EACH_STRING(v, s, body)                                               \
    do {                                                                      \
        size_t i_;                                                            \
        json_t *e_;                                                           \
        if (json_is_string(v)) {                                              \
            const char *s = json_string_value(v);                            \
            body;                                                             \
        } else if (json_is_array(v)) {                                        \
            json_array_foreach(v, i_, e_) if (json_is_string(e_))             \
            {                                                                 \
                const char *s = json_string_value(e_);                       \
                body;                                                         \
            }                                                                 \
        }                                                                     \
    } while (0)

/* Which resource kinds a statement's Resource names: bit OBJ (a '/' after
 * the bucket, or a wildcard that can reach one), bit BKT. */
static unsigned resource_kinds(json_t *res)
{
    unsigned k = 0;
    EACH_STRING(res, s, {
        const char *rest = strncmp(s, "arn:aws:s3:::", 13) == 0 ? s + 13 : s;
        if (strchr(rest, '/'))
            k |= 1u << OBJ;
        else if (wild(rest))
            k |= 1u << OBJ | 1u << BKT;
        else
            k |= 1u << BKT;
    });
    return k;
}

static const char *check_statement(json_t *st)
{
    json_t *act = json_object_get(st, "Action");
    json_t *res = json_object_get(st, "Resource");
    unsigned levels = 0;
    bool any_wild = false;
    const char *bad = NULL;
    EACH_STRING(act, a, {
        if (wild(a)) {
            any_wild = true;
        } else {
            int l = action_level(a);
            if (l < 0)
                bad = "Policy has invalid action";
            else
                levels |= 1u << l;
        }
    });
    if (bad)
        return bad;
    if (act && res && !any_wild && !(levels & resource_kinds(res)))
        return "Action does not apply to any resource(s) in statement";
    json_t *cond = json_object_get(st, "Condition"), *keys;
    const char *op;
    json_object_foreach(cond, op, keys)
    {
        const char *k;
        json_t *v;
        json_object_foreach(keys, k, v) if (!known_key(k)) return "Policy has an invalid condition key";
    }
    return NULL;
}

const char *s3_policy_check(const char *doc, size_t len)
{
    json_t *root = json_loadb(doc, len, 0, NULL);
    if (!root)
        return NULL; /* the policy language's own check reports it */
    json_t *sts = json_object_get(root, "Statement"), *st;
    const char *why = NULL;
    size_t i;
    if (json_is_object(sts))
        why = check_statement(sts);
    else
        json_array_foreach(sts, i, st) if (!why && json_is_object(st)) why = check_statement(st);
    json_decref(root);
    return why;
}
