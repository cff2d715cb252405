/* auth/sigv2.h — AWS Signature Version 2 for S3 (legacy), as pure functions.
 * Owns: parsing "Authorization: AWS AKID:Signature", the string to sign
 *   HTTP-Verb \n Content-MD5 \n Content-Type \n Date \n
 *   CanonicalizedAmzHeaders CanonicalizedResource
 * (S3 user guide, "Signing and authenticating REST requests"), its
 * CanonicalizedAmzHeaders and CanonicalizedResource parts, and the
 * base64(HMAC-SHA1) signature. Where the guide is vague, botocore's
 * HmacV1Auth / HmacV1QueryAuth (what boto3 and the AWS CLI send) decide:
 *  - the resource is the path exactly as sent (still percent-encoded), but a
 *    path naming only a bucket is signed as "/bucket/" (botocore's authPath,
 *    and what virtual-hosted requests sign); auth.c also accepts "/bucket";
 *  - sub-resources are botocore's QSAOfInterest list, matched on the raw
 *    name, values percent-decoded ('+' stays '+'), sorted stably by name;
 *    "uploads=" is signed as sent, or bare ("uploads") on request, which is
 *    how aws-sdk-go based signers (rclone's v2_auth) write an empty value;
 *  - presigned URLs carry the x-amz-* and Content-Type/Content-MD5 "headers"
 *    as query parameters (HmacV1QueryAuth moves them there after signing).
 * No HTTP library, no request struct, no clock: auth.c feeds it and owns the
 * policy (which Date line, skew, expiry). Nothing here logs: inputs include
 * secrets. */
#ifndef PAIL_AUTH_SIGV2_H
#define PAIL_AUTH_SIGV2_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_arena;
struct pail_buf;

#define PAIL_SIGV2_SKEW_SECONDS (15 * 60)    /* Date / x-amz-date tolerance */
#define PAIL_SIGV2_SIG_LEN 28                /* base64 of a 20-byte HMAC-SHA1 */
#define PAIL_SIGV2_MAX_STRING (256 * 1024)   /* cap on a string to sign */

/* One request header: lower-case name, value as received. */
struct pail_sigv2_hdr {
    const char *name, *value;
};

/* Everything the string to sign is made of. */
struct pail_sigv2_input {
    const char *method;      /* "GET", as sent */
    const char *raw_path;    /* as sent, still percent-encoded, without '?' */
    const char *raw_query;   /* as sent, without '?'; "" or NULL if none */
    const struct pail_sigv2_hdr *headers;
    size_t nheaders;
    const char *date;        /* the Date line: Date header, "" or Expires */
    bool bare_empty;         /* sign sub-resource "name=" as "name" */
    bool query_auth;         /* presigned: x-amz-*, content-type and content-md5
                                query parameters stand in for those headers */
};

/* Parses "AWS AKID:Signature" (one space; the key is everything before the
 * last ':'). *access_key and *signature are arena-owned. Errors:
 * InvalidArgument (no key, no ':' or no signature). */
enum pail_err pail_sigv2_parse_authorization(struct pail_arena *a, const char *value,
                                             const char **access_key /* out */,
                                             const char **signature /* out */);
/* true when the n bytes at name (raw, as in the query) are a sub-resource
 * that V2 signs: acl, uploadId, partNumber, response-content-type, ... */
bool pail_sigv2_is_subresource(const char *name, size_t n);

/* The path S3 signs for raw_path: "/bucket" becomes "/bucket/" (arena copy);
 * anything else, including "/" and "/bucket/", is returned unchanged. */
const char *pail_sigv2_resource_path(struct pail_arena *a, const char *raw_path);
/* Appends raw_path ("/" when empty) plus "?" and the signed sub-resources,
 * sorted by name, "name" or "name=decoded-value", joined by '&'; bare_empty
 * writes an empty value ("name=") as "name". Scratch memory comes from a.
 * Errors: InvalidRequest when b's cap is exceeded. */
enum pail_err pail_sigv2_canonical_resource(struct pail_arena *a, struct pail_buf *b,
                                            const char *raw_path, const char *raw_query,
                                            bool bare_empty);
/* true when raw_query has a sub-resource with an empty value ("uploads="),
 * i.e. when bare_empty changes the canonical resource. */
bool pail_sigv2_has_empty_subresource(const char *raw_query);
/* Appends "name:value\n" for every x-amz-* header (names lower-cased, sorted;
 * values trimmed; repeated names joined with ',' in the order received). With
 * in->query_auth, x-amz-* query parameters count too and a name given in the
 * query hides a header of that name. Errors: InvalidRequest (size). */
enum pail_err pail_sigv2_canonical_amz_headers(struct pail_arena *a, struct pail_buf *b,
                                               const struct pail_sigv2_input *in);
/* The whole string to sign into out (which the caller initialised). Content-MD5
 * and Content-Type are the trimmed header values ("" when absent); with
 * in->query_auth a content-md5 / content-type query parameter wins. Errors:
 * those of the two steps above. */
enum pail_err pail_sigv2_string_to_sign(struct pail_arena *a, const struct pail_sigv2_input *in,
                                        struct pail_buf *out);

/* base64(HMAC-SHA1(secret, msg)) into out (29 bytes with the NUL). */
void pail_sigv2_sign(const char *secret, const char *msg, size_t len,
                     char out[PAIL_SIGV2_SIG_LEN + 1]);
/* String to sign → signature in one call. Errors: those of
 * pail_sigv2_string_to_sign(). */
enum pail_err pail_sigv2_signature(struct pail_arena *a, const struct pail_sigv2_input *in,
                                   const char *secret, char out[PAIL_SIGV2_SIG_LEN + 1]);
/* Constant-time comparison of two base64 signatures; false unless both are
 * 28 characters long and equal. */
bool pail_sigv2_signature_equal(const char *a, const char *b);

#endif
