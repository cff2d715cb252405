/* util/xml_in.h — parsers for the XML request bodies S3 accepts
 * (DeleteObjects, CompleteMultipartUpload, CreateBucket).
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

#endif
