/* iam/acl.h — S3 access control lists (the "ACL overview" of the S3 user
 * guide) as plain data: an owner and up to 100 grants.
 * Owns: building an ACL from a canned name, from the x-amz-grant-* headers
 * or from an <AccessControlPolicy> body; writing the GetBucketAcl /
 * GetObjectAcl document; the compact JSON stored with every bucket and
 * object; resolving e-mail grantees; evaluating what an ACL grants a
 * requester; which ACL permission stands for which IAM action.
 * Does not: talk HTTP, read storage, know accounts (callbacks answer display
 * names and e-mail lookups), apply Object Ownership or Block Public Access
 * (the caller decides; pail_acl_is_public and ignore_public are the hooks).
 * Memory: everything returned lives in the caller's arena, or is borrowed
 * from the arguments (documented per call). Files: acl.c (model, canned,
 * evaluation), acl_headers.c, acl_xml.c, acl_json.c. Thread-safe. */
#ifndef PAIL_IAM_ACL_H
#define PAIL_IAM_ACL_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_arena;
struct pail_xml;

/* The five ACL permissions as bits; FULL_CONTROL is all four. A grant holds
 * exactly one of the five values; pail_acl_granted returns an OR of bits. */
enum pail_acl_perm {
    PAIL_ACL_READ = 1,
    PAIL_ACL_WRITE = 2,
    PAIL_ACL_READ_ACP = 4,
    PAIL_ACL_WRITE_ACP = 8,
    PAIL_ACL_FULL_CONTROL = 15,
};

enum pail_grantee_type {
    PAIL_GRANTEE_CANONICAL,
    PAIL_GRANTEE_GROUP,
    PAIL_GRANTEE_EMAIL, /* only before pail_acl_resolve_emails */
};

/* The three predefined groups S3 knows; any other URI is "Invalid group uri". */
#define PAIL_ACL_ALL_USERS "http://acs.amazonaws.com/groups/global/AllUsers"
#define PAIL_ACL_AUTH_USERS "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
#define PAIL_ACL_LOG_DELIVERY "http://acs.amazonaws.com/groups/s3/LogDelivery"
/* The Amazon EC2 account aws-exec-read grants READ to, as GetObjectAcl shows
 * it on AWS (a canonical user, not a group). */
#define PAIL_ACL_EC2_ID "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"
#define PAIL_ACL_EC2_NAME "za-team"
/* AWS: "An ACL can have up to 100 grants." */
#define PAIL_ACL_MAX_GRANTS 100

struct pail_grant {
    enum pail_grantee_type type;
    const char *id;           /* CANONICAL: canonical user id, 64 lowercase hex */
    const char *display_name; /* CANONICAL, may be NULL (then looked up on output) */
    const char *uri;          /* GROUP: one of the three PAIL_ACL_* URIs */
    const char *email;        /* EMAIL: address as given */
    unsigned perm;            /* exactly one of READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL */
};

struct pail_acl {
    const char *owner_id, *owner_name; /* owner_name may be NULL */
    struct pail_grant *grants;         /* in the arena, in document order */
    size_t n;                          /* 0..PAIL_ACL_MAX_GRANTS */
};

/* --- Names ---------------------------------------------------------------- */

/* "READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"; NULL for any
 * other value. Static storage. */
const char *pail_acl_perm_name(unsigned perm);
/* The inverse (exact, case-sensitive as S3's schema); 0 for an unknown name. */
unsigned pail_acl_perm_from_name(const char *name);
/* True for the three group URIs S3 defines (exact match). */
bool pail_acl_known_group(const char *uri);

/* --- Building an ACL ------------------------------------------------------- */

/* The canned ACL `name` (x-amz-acl): private, public-read, public-read-write,
 * authenticated-read, aws-exec-read, bucket-owner-read,
 * bucket-owner-full-control, log-delivery-write. The owner always gets
 * FULL_CONTROL first (with owner_name as display name). Then:
 *   public-read         AllUsers READ
 *   public-read-write   AllUsers READ, AllUsers WRITE
 *   authenticated-read  AuthenticatedUsers READ
 *   aws-exec-read       READ to the EC2 account PAIL_ACL_EC2_ID ("za-team"):
 *                       AWS documents "Amazon EC2 gets READ access", and its
 *                       GetObjectAcl shows exactly that canonical grantee
 *   bucket-owner-read   bucket owner READ           } only when bucket_owner_id
 *   bucket-owner-full-  bucket owner FULL_CONTROL   } is set and differs from
 *     control                                       } owner_id; else = private
 *                       (AWS ignores both on a bucket: pass NULL for buckets)
 *   log-delivery-write  LogDelivery WRITE, LogDelivery READ_ACP
 * owner_id is required; the strings are borrowed (not copied): they must
 * outlive out. PAIL_E_InvalidArgument for an unknown name (exact match). */
enum pail_err pail_acl_canned(const char *name, const char *owner_id, const char *owner_name,
                              const char *bucket_owner_id, const char *bucket_owner_name,
                              struct pail_arena *a, struct pail_acl *out);

/* Indexes of the hdr[] array of pail_acl_from_headers. */
enum pail_acl_header {
    PAIL_ACL_HDR_READ,         /* x-amz-grant-read */
    PAIL_ACL_HDR_WRITE,        /* x-amz-grant-write */
    PAIL_ACL_HDR_READ_ACP,     /* x-amz-grant-read-acp */
    PAIL_ACL_HDR_WRITE_ACP,    /* x-amz-grant-write-acp */
    PAIL_ACL_HDR_FULL_CONTROL, /* x-amz-grant-full-control */
    PAIL_ACL_HDR__COUNT
};

/* The ACL the x-amz-grant-* headers describe (hdr[i] NULL when absent; a
 * value of only blanks counts as absent). Each value is a comma-separated
 * list of `type=value` items, type one of id, uri, emailAddress (matched
 * without regard to case, as clients spell it both ways), the value in
 * double quotes as AWS documents or bare (the AWS CLI's --grants and other
 * tools send id=... unquoted, which S3 accepts); blanks around items, the
 * `=` and the commas are skipped. Grants come out in header order (read,
 * write, read_acp, write_acp, full_control), then left to right.
 * owner_id/owner_name become the owner (borrowed); the owner gets no
 * implicit grant: with grant headers the ACL is exactly what they list.
 * Canonical ids are checked (64 hex digits) and stored in lowercase;
 * e-mail grantees stay PAIL_GRANTEE_EMAIL for pail_acl_resolve_emails.
 * Errors (*why gets AWS's message, static storage):
 *   InvalidArgument   "Argument format not recognized" (bad syntax, unknown
 *                     type, empty value), "Invalid id", "Invalid group uri"
 *   MalformedACLError more than PAIL_ACL_MAX_GRANTS grants (what AWS answers
 *                     for an ACL over the limit; *why NULL: its default text)
 * PAIL_OK with out->n == 0 and *present false when no header is given.
 * Mixing these headers with x-amz-acl (InvalidRequest) is the caller's
 * check. why may be NULL. */
enum pail_err pail_acl_from_headers(const char *const hdr[PAIL_ACL_HDR__COUNT],
                                    const char *owner_id, const char *owner_name,
                                    struct pail_arena *a, struct pail_acl *out, bool *present,
                                    const char **why);

/* Parses a PutBucketAcl / PutObjectAcl body:
 *   <AccessControlPolicy><Owner><ID/><DisplayName/></Owner><AccessControlList>
 *   <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 *   xsi:type="CanonicalUser|Group|AmazonCustomerByEmail"><ID/>|<URI/>|
 *   <EmailAddress/></Grantee><Permission/></Grant>...</AccessControlList>
 *   </AccessControlPolicy>
 * with or without the S3 namespace (the loader of util/xml_in.c: no DTD, no
 * entities, no network). <DisplayName> is accepted in Owner and any Grantee
 * (clients send back what GetBucketAcl gave them) and kept only for
 * canonical grantees. An absent <AccessControlList> is an ACL of no grants.
 * Errors (*why as for the headers; why may be NULL):
 *   MalformedACLError  not well-formed, DOCTYPE, wrong root, unknown or
 *                      repeated element, stray text; no Owner or Owner/ID;
 *                      a Grant without Grantee or Permission; a Permission
 *                      not one of the five; a missing or unknown xsi:type,
 *                      or children that do not match it (CanonicalUser
 *                      needs ID, Group URI, AmazonCustomerByEmail
 *                      EmailAddress, and no other of the three); more than
 *                      PAIL_ACL_MAX_GRANTS grants
 *   InvalidArgument    "Invalid id" (not 64 hex digits), "Invalid group uri"
 * Checking that Owner/ID is the resource's owner (AccessDenied) is the
 * caller's. Everything in out lives in a. */
enum pail_err pail_acl_parse_xml(const char *body, size_t len, struct pail_arena *a,
                                 struct pail_acl *out, const char **why);

/* Appends the GetBucketAcl / GetObjectAcl response to x (after
 * pail_xml_begin): <AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
 * <Owner><ID/><DisplayName/></Owner><AccessControlList><Grant><Grantee
 * xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">
 * <ID/><DisplayName/></Grantee><Permission/></Grant>...</AccessControlList>
 * </AccessControlPolicy>, as botocore's Grantee shape reads it (xsi:type is
 * its required Type). Group grantees carry <URI>, unresolved e-mail grantees
 * (xsi:type AmazonCustomerByEmail) <EmailAddress>. A display name is the
 * one in acl (owner_name, grant display_name), else display_name(ctx, id)
 * (may be NULL; returns NULL when unknown), else for the EC2 account its
 * "za-team"; none omits <DisplayName>. Errors are x's (sticky, reported by
 * pail_xml_end). */
void pail_acl_write_xml(struct pail_xml *x, const struct pail_acl *acl,
                        const char *(*display_name)(void *ctx, const char *canonical_id),
                        void *ctx);

/* The <Grant> elements alone, as pail_acl_write_xml writes them (for
 * documents that embed grants: GetBucketLogging's TargetGrants). */
void pail_acl_write_grants(struct pail_xml *x, const struct pail_acl *acl,
                           const char *(*display_name)(void *ctx, const char *canonical_id),
                           void *ctx);
/* One parsed <Grant> (util/xml_in.h) as a grant, with the checks of
 * pail_acl_parse_xml (MalformedACLError, InvalidArgument with *why). */
struct pail_xml_grant;
enum pail_err pail_acl_grant_from_xml(struct pail_arena *a, const struct pail_xml_grant *r,
                                      struct pail_grant *g, const char **why);

/* --- Stored form ------------------------------------------------------------ */

/* Compact JSON, one stored with every object, hence the short keys:
 *   {"o":"<owner id>","g":[{"t":"c","i":"<id>","p":15},{"t":"g","u":"<uri>","p":1},
 *                          {"t":"e","e":"<email>","p":1}]}
 * "o" is left out when there is no owner. Display names are not stored (they
 * are looked up when written out). Returns an arena string, or NULL when a
 * string is not valid UTF-8 (e-mail grantees should be resolved first) or
 * memory runs out. */
const char *pail_acl_to_json(const struct pail_acl *acl, struct pail_arena *a);
/* The inverse. NULL or "" gives an empty ACL with owner unset and PAIL_OK;
 * a document that is not what to_json writes (bad JSON, a grant of unknown
 * type, a missing field, a permission not one of the five) is
 * PAIL_E_InternalError (stored data is corrupt) with out empty. Unknown
 * keys are ignored, so later versions may add some. */
enum pail_err pail_acl_from_json(const char *json, struct pail_arena *a, struct pail_acl *out);

/* --- Evaluation ------------------------------------------------------------- */

/* Replaces every EMAIL grantee by the canonical id lookup(ctx, email)
 * returns (borrowed: it must outlive acl). All or nothing: when one address
 * is unknown (lookup NULL) acl is left as it was and the answer is
 * PAIL_E_UnresolvableGrantByEmailAddress. */
enum pail_err pail_acl_resolve_emails(struct pail_acl *acl,
                                      const char *(*lookup)(void *ctx, const char *email),
                                      void *ctx);

/* The permissions acl grants a requester, as a PAIL_ACL_* bit mask:
 * canonical grants to canonical_id (NULL for an anonymous request), AllUsers
 * grants to everyone, AuthenticatedUsers grants when authenticated (any
 * signed request). ignore_public (Block Public Access IgnorePublicAcls)
 * skips the AllUsers and AuthenticatedUsers grants. LogDelivery grants and
 * unresolved e-mail grants match no requester. What the owner may do beyond
 * its grants (AWS: the owner can always read and write the ACL) is the
 * caller's rule, not the ACL's. */
unsigned pail_acl_granted(const struct pail_acl *acl, const char *canonical_id,
                          bool authenticated, bool ignore_public);

/* True when some grant goes to AllUsers or AuthenticatedUsers: AWS calls
 * such an ACL public (BlockPublicAcls rejects it, IgnorePublicAcls ignores
 * those grants). */
bool pail_acl_is_public(const struct pail_acl *acl);

/* The ACL permission that allows IAM action `action` (case-insensitive, as
 * IAM matches actions), per AWS's "Mapping of ACL permissions and access
 * policy permissions":
 *   bucket ACL (bucket_level)
 *     READ       s3:ListBucket, s3:ListBucketVersions, s3:ListBucketMultipartUploads
 *     WRITE      s3:PutObject, s3:DeleteObject, s3:DeleteObjectVersion
 *                (AWS allows DeleteObjectVersion through WRITE only to the
 *                bucket owner: the caller's rule)
 *     READ_ACP   s3:GetBucketAcl
 *     WRITE_ACP  s3:PutBucketAcl
 *   object ACL
 *     READ       s3:GetObject, s3:GetObjectVersion, s3:GetObjectTorrent,
 *                s3:GetObjectAttributes, s3:GetObjectVersionAttributes
 *                (AWS: "To use GetObjectAttributes, you must have READ
 *                access to the object")
 *     READ_ACP   s3:GetObjectAcl, s3:GetObjectVersionAcl
 *     WRITE_ACP  s3:PutObjectAcl, s3:PutObjectVersionAcl
 * 0 when no ACL permission grants the action (s3:PutBucketPolicy, an object
 * action on a bucket ACL, ...). The answer is one bit: allowed when
 * (pail_acl_granted(...) & perm) != 0. */
unsigned pail_acl_perm_for_action(const char *action, bool bucket_level);

#endif
