/* util/xml_in.h — parsers for the XML request bodies S3 accepts
 * (DeleteObjects, CompleteMultipartUpload, CreateBucket, and the permission
 * documents: PutBucketAcl/PutObjectAcl, PutPublicAccessBlock,
 * PutBucketOwnershipControls; tag sets, CORS and website configurations).
 * Owns: turning a bounded body into plain structs allocated in the request
 * arena. Safety: libxml2 with network access, entity substitution and DTD
 * loading off; any DOCTYPE is rejected outright (no billion laughs, no XXE).
 * Elements are accepted with no namespace or the S3 namespace. The caller
 * bounds len (the body is fully in memory) and does the semantic checks
 * (key length, part order, ETag match). Thread-safe. */
#ifndef PAIL_UTIL_XML_IN_H
#define PAIL_UTIL_XML_IN_H

#include "core/err.h"
#include "util/checksum.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_arena;

#define PAIL_XML_DELETE_MAX 1000   /* objects per DeleteObjects (AWS limit) */
#define PAIL_XML_PARTS_MAX 10000   /* parts per CompleteMultipartUpload */

/* One <Object> of a <Delete>. Strings are NUL-terminated, in the arena, and
 * keep their exact bytes (no trimming: whitespace in a key is significant).
 * Optional fields are NULL when absent. */
struct pail_delete_obj {
    const char *key;
    const char *version_id;
    const char *etag;          /* conditional delete (If-Match), raw text */
    const char *last_modified; /* LastModifiedTime condition, raw text */
    const char *size;          /* Size condition, raw text */
};

struct pail_delete_req {
    struct pail_delete_obj *objects; /* document order */
    size_t n;                        /* 1..PAIL_XML_DELETE_MAX */
    bool quiet;
};

/* One <Part> of a <CompleteMultipartUpload>. */
struct pail_complete_part {
    int part_number;                        /* 1..10000 */
    const char *etag;                       /* surrounding quotes stripped */
    const char *checksum[PAIL_CKSUM__COUNT]; /* by algo (CRC32..SHA256); NULL if absent */
};

struct pail_complete_req {
    struct pail_complete_part *parts; /* document order; order checks are the caller's */
    size_t n;                         /* 1..PAIL_XML_PARTS_MAX */
};

/* Parses <Delete>. PAIL_E_MalformedXML on anything ill-formed, a DOCTYPE, a
 * wrong root, an unknown element, a missing or repeated <Key>, a <Quiet> that
 * is not true/false, zero objects or more than 1000. out's memory is in a. */
enum pail_err pail_xml_parse_delete(const char *body, size_t len, struct pail_arena *a,
                                    struct pail_delete_req *out);
/* Parses <CompleteMultipartUpload>. PAIL_E_MalformedXML as above (also a
 * missing <ETag> or <PartNumber>, a PartNumber that is not an integer, zero
 * parts or more than 10000); PAIL_E_InvalidArgument for an integer
 * PartNumber outside 1..10000 (AWS's answer to such part numbers). */
enum pail_err pail_xml_parse_complete(const char *body, size_t len, struct pail_arena *a,
                                      struct pail_complete_req *out);
/* Parses <CreateBucketConfiguration>. An empty or all-whitespace body, or no
 * or an empty <LocationConstraint>, gives PAIL_OK with *location_constraint
 * NULL (the default region). Other children (Location, Bucket, Tags…) are
 * ignored. PAIL_E_MalformedXML otherwise. Validating the region is the
 * caller's job (InvalidLocationConstraint). */
enum pail_err pail_xml_parse_create_bucket(const char *body, size_t len,
                                           struct pail_arena *a,
                                           const char **location_constraint);

/* ---- permission documents ------------------------------------------------ */

#define PAIL_XML_ACL_GRANTS_MAX 100 /* grants per ACL (AWS limit) */

/* One <Grant> of an <AccessControlPolicy>, as written: strings in the arena,
 * NULL when the element (or attribute) is absent. ID, URI, EmailAddress and
 * Permission are trimmed of XML blanks; DisplayName keeps its bytes. */
struct pail_xml_grant {
    bool has_grantee;
    const char *type; /* the Grantee's xsi:type (XMLSchema-instance namespace), exact */
    const char *id, *display_name, *uri, *email;
    const char *permission;
};

struct pail_xml_acl {
    bool has_owner;
    const char *owner_id, *owner_name;
    bool has_list;                 /* an <AccessControlList> was given */
    struct pail_xml_grant *grants; /* document order */
    size_t n;                      /* 0..PAIL_XML_ACL_GRANTS_MAX */
};

/* Parses the shape of <AccessControlPolicy>: Owner (ID, DisplayName),
 * AccessControlList of Grant (Grantee with ID, DisplayName, URI,
 * EmailAddress; Permission), each element at most once where it may appear
 * once. PAIL_E_MalformedACLError (S3's code for every ill-formed ACL
 * document) on anything ill-formed, a DOCTYPE, a wrong root, an unknown or
 * repeated element, stray text, or more than PAIL_XML_ACL_GRANTS_MAX grants.
 * What the values mean, and which are required, is iam/acl.c's business. */
enum pail_err pail_xml_parse_acl(const char *body, size_t len, struct pail_arena *a,
                                 struct pail_xml_acl *out);

/* <PublicAccessBlockConfiguration> (PutPublicAccessBlock). */
struct pail_pab {
    bool block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets;
};

/* Parses <PublicAccessBlockConfiguration> with any of BlockPublicAcls,
 * IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets, each at most
 * once; an absent element is false. PAIL_E_MalformedXML on anything
 * ill-formed, an unknown or repeated element, or a value other than true or
 * false (either case, blanks around it ignored). */
enum pail_err pail_xml_parse_pab(const char *body, size_t len, struct pail_pab *out);

/* Parses <OwnershipControls><Rule><ObjectOwnership>...</ObjectOwnership>
 * </Rule></OwnershipControls>: exactly one Rule with exactly one
 * ObjectOwnership of BucketOwnerEnforced, BucketOwnerPreferred or
 * ObjectWriter (exact; blanks around it ignored). *out points to a static
 * copy of that name. PAIL_E_MalformedXML otherwise (*out NULL). */
enum pail_err pail_xml_parse_ownership(const char *body, size_t len, const char **out);

/* ---- tagging ---------------------------------------------------------------- */

/* More Tag elements than this are refused before they are copied; the
 * limits per resource (10 per object, 50 per bucket) are s3/tags.c's. */
#define PAIL_XML_TAGS_MAX 50

struct pail_xml_tag {
    const char *key, *value; /* exact bytes (blanks are significant) */
};

struct pail_xml_tagging {
    struct pail_xml_tag *tags; /* document order */
    size_t n;
};

/* Parses <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>
 * (PutObjectTagging, PutBucketTagging): exactly one TagSet, each Tag with
 * one Key and one Value. PAIL_E_MalformedXML on anything ill-formed or
 * unknown; PAIL_E_InvalidTag for more than PAIL_XML_TAGS_MAX tags. */
enum pail_err pail_xml_parse_tagging(const char *body, size_t len, struct pail_arena *a,
                                     struct pail_xml_tagging *out);

/* ---- website configuration ------------------------------------------------- */

#define PAIL_XML_ROUTING_RULES_MAX 50

/* One <RoutingRule>: strings as written (NULL when absent); HostName,
 * HttpRedirectCode, Protocol and HttpErrorCodeReturnedEquals trimmed, key
 * prefixes and keys exact. */
struct pail_xml_routing_rule {
    bool has_condition, has_redirect;
    char *if_error_code, *if_key_prefix;
    char *host, *code, *protocol, *replace_key_prefix, *replace_key;
};

struct pail_xml_website {
    bool has_index, has_error, has_redirect_all, has_rules;
    char *index_suffix, *error_key;
    char *redirect_host, *redirect_protocol;
    struct pail_xml_routing_rule *rules; /* document order */
    size_t nrules;
};

/* Parses <WebsiteConfiguration> (PutBucketWebsite): IndexDocument (Suffix),
 * ErrorDocument (Key), RedirectAllRequestsTo (HostName, Protocol),
 * RoutingRules (RoutingRule: Condition, Redirect), each at most once.
 * PAIL_E_MalformedXML on anything ill-formed or unknown, an ErrorDocument
 * without Key, a RedirectAllRequestsTo without HostName, a rule without
 * Redirect; PAIL_E_InvalidRequest for more than 50 rules. What the values may
 * be is s3/website_config.c's business. */
enum pail_err pail_xml_parse_website(const char *body, size_t len, struct pail_arena *a,
                                     struct pail_xml_website *out);

/* ---- bucket settings ------------------------------------------------------ */

#define PAIL_XML_CORS_RULES_MAX 100 /* CORSRule elements (AWS limit) */

/* A list of leaf values in document order (strings in the arena). */
struct pail_xml_strs {
    const char **v;
    size_t n;
};

/* One <CORSRule> as written. Every value is trimmed of XML blanks except
 * the ID, which keeps its bytes. NULL when the element is absent. */
struct pail_xml_cors_rule {
    const char *id;
    const char *max_age;            /* MaxAgeSeconds, text */
    struct pail_xml_strs origins;   /* AllowedOrigin */
    struct pail_xml_strs methods;   /* AllowedMethod */
    struct pail_xml_strs headers;   /* AllowedHeader */
    struct pail_xml_strs expose;    /* ExposeHeader */
};

struct pail_xml_cors {
    struct pail_xml_cors_rule *rules; /* document order */
    size_t n;                         /* 1..PAIL_XML_CORS_RULES_MAX */
};

/* Parses the shape of <CORSConfiguration>: 1..100 CORSRule, each with at
 * least one AllowedOrigin and one AllowedMethod, any number of
 * AllowedHeader and ExposeHeader, at most one ID and one MaxAgeSeconds.
 * PAIL_E_MalformedXML on anything ill-formed, a DOCTYPE, a wrong root, an
 * unknown or repeated element, stray text, or a rule count out of range.
 * What the values mean (methods, wildcards, numbers) is s3/cors.c's. */
enum pail_err pail_xml_parse_cors(const char *body, size_t len, struct pail_arena *a,
                                  struct pail_xml_cors *out);

/* ---- server access logging ------------------------------------------------ */

/* <BucketLoggingStatus> (PutBucketLogging) as written: strings in the arena,
 * NULL when absent. TargetBucket trimmed, TargetPrefix exact. */
struct pail_xml_logging {
    bool enabled;                  /* a <LoggingEnabled> was given */
    char *target_bucket, *target_prefix;
    struct pail_xml_grant *grants; /* TargetGrants/Grant, document order */
    size_t ngrants;                /* 0..PAIL_XML_ACL_GRANTS_MAX */
    bool has_key_format;           /* a TargetObjectKeyFormat was given */
    bool partitioned;              /* TargetObjectKeyFormat/PartitionedPrefix */
    char *date_source;             /* its PartitionDateSource, trimmed, or NULL */
};

/* Parses <BucketLoggingStatus>: empty (logging off) or one LoggingEnabled
 * with one TargetBucket, at most one TargetPrefix, TargetGrants (Grant as
 * in an ACL) and TargetObjectKeyFormat (exactly one of SimplePrefix and
 * PartitionedPrefix, the latter with at most one PartitionDateSource).
 * PAIL_E_MalformedXML on anything ill-formed, unknown or repeated, or a
 * LoggingEnabled without TargetBucket. What the values may be is
 * s3/bucket_logging.c's business. */
enum pail_err pail_xml_parse_logging(const char *body, size_t len, struct pail_arena *a,
                                     struct pail_xml_logging *out);

#endif
