/* auth/post_policy.h — the authentication half of S3's POST Object
 * (browser-based uploads), as pure functions over the form's fields.
 * Owns: which authentication a form carries (anonymous, SigV2, SigV4) and the
 * fields each requires; the POST policy document (the base64 `policy` field:
 * {"expiration": ..., "conditions": [...]}) — decoding, its faults with AWS's
 * words, and evaluating its conditions against the fields, the bucket, the
 * clock and the uploaded length; the policy's signature (SigV4:
 * hex(HMAC-SHA256(signing key, policy)); SigV2: base64(HMAC-SHA1(secret,
 * policy))); ${filename} in the key.
 * References: S3 API reference "POST Object", "Creating a POST policy",
 * "Browser-Based Uploads Using POST (AWS Signature Version 4)"; ceph
 * s3-tests' test_post_object_* for the statuses clients see.
 * No HTTP, no clock, no key lookup: the caller passes the fields
 * (form_multipart.h), the time and the derived key or secret. Every `why`
 * out-parameter may be NULL; field names must not be. Nothing here logs:
 * inputs include secrets. */
#ifndef PAIL_AUTH_POST_POLICY_H
#define PAIL_AUTH_POST_POLICY_H

#include "auth/crypto.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_arena;
struct pail_sigv4_cred;
struct pail_post_policy; /* parsed, arena-owned */

/* One non-file form field: name lower-case, value as sent (len bytes). */
struct pail_post_field {
    const char *name;
    const char *value;
    size_t len;
};

enum pail_post_auth {
    PAIL_POST_ANONYMOUS, /* no policy: only a publicly writable bucket takes it */
    PAIL_POST_SIGV2,     /* policy, AWSAccessKeyId, signature */
    PAIL_POST_SIGV4,     /* policy, x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature */
};

/* --- The form ------------------------------------------------------------- */

/* Which authentication the fields carry, and whether they are complete: a
 * key always; with a policy, the fields of SigV4 (when any x-amz-algorithm,
 * -credential or -signature is present) or of SigV2; without one, no
 * credential fields. Errors: InvalidArgument, *why (static) AWS's "Bucket POST
 * must contain a field named 'key'.  If it is specified, please check the
 * order of the fields." (or 'policy', 'AWSAccessKeyId', 'signature',
 * 'x-amz-credential', ...). */
enum pail_err pail_post_form_auth(const struct pail_post_field *fields, size_t n,
                                  enum pail_post_auth *kind /* out */, const char **why /* out */);

/* The first field named lname (case-insensitive), or NULL. */
const struct pail_post_field *pail_post_field_get(const struct pail_post_field *fields, size_t n,
                                                  const char *lname);

/* true for the fields no policy condition has to name: policy, signature,
 * x-amz-signature, awsaccesskeyid, file, x-ignore-*, and x-amz-checksum-*
 * (integrity, verified against the data; s3-tests'
 * test_post_object_upload_checksum sends one its policy does not name). */
bool pail_post_field_exempt(const char *lname);

/* The key with every "${filename}" replaced by filename (NULL: ""), in a;
 * key itself when it has none. Apply before pail_post_policy_check. */
const char *pail_post_key_subst(struct pail_arena *a, const char *key, const char *filename);

/* --- Signatures ------------------------------------------------------------ */

/* Checks the SigV4 fields: x-amz-algorithm is AWS4-HMAC-SHA256, x-amz-credential
 * is AKID/YYYYMMDD/region/s3/aws4_request (into *cred, arena-owned), x-amz-date
 * is YYYYMMDDTHHMMSSZ of that same day. The caller then looks the key up and
 * derives the signing key from cred (pail_sigv4_signing_key). Errors:
 * InvalidArgument with a static *why. */
enum pail_err pail_post_sigv4_fields(struct pail_arena *a, const char *algorithm,
                                     const char *credential, const char *amz_date,
                                     struct pail_sigv4_cred *cred /* out */,
                                     const char **why /* out */);
/* true when signature_hex (either case) is hex(HMAC-SHA256(signing_key,
 * policy_b64)), the policy field exactly as sent. Constant-time. */
bool pail_post_sigv4_ok(const unsigned char signing_key[PAIL_SHA256_LEN], const char *policy_b64,
                        const char *signature_hex);
/* true when signature_b64 is base64(HMAC-SHA1(secret, policy_b64)). Constant-time. */
bool pail_post_sigv2_ok(const char *secret, const char *policy_b64, const char *signature_b64);

/* --- The policy document ---------------------------------------------------- */

/* Decodes the policy field (base64, ASCII whitespace ignored) and its JSON.
 * Keys "expiration" (ISO 8601 with a zone: "2026-12-31T12:00:00.000Z") and
 * "conditions" (a list) are case-sensitive and required; each condition is
 * {"field": "value"} (exactly one property: eq) or ["eq"|"starts-with",
 * "$field", "value"] (operator and field case-insensitive) or
 * ["content-length-range", min, max] (integers >= 0, or decimal strings).
 * Errors: InvalidPolicyDocument with *why AWS's words ("Invalid Policy:
 * Invalid JSON.", "Invalid Policy: Invalid 'expiration' value: '...'",
 * "Invalid Policy: Policy missing expiration.", "Invalid Policy: Policy
 * missing conditions.", "Invalid Policy: Invalid Simple-Condition: ..."), in a. */
enum pail_err pail_post_policy_parse(struct pail_arena *a, const char *b64,
                                     struct pail_post_policy **out /* out */,
                                     const char **why /* out */);

/* Checks the policy against the form before the upload: not expired at
 * now_ms, every eq / starts-with condition holds (a field the form lacks is
 * ""; every field of a repeated name must hold; "$bucket" is checked against
 * bucket, the request's, and against any bucket field; starts-with "" matches
 * anything; a starts-with on $Content-Type holds for each of a comma-separated
 * list; starts-with is refused on $bucket, $success_action_status,
 * $x-amz-algorithm, $x-amz-credential, $x-amz-date), and every field that is
 * not exempt is named by a condition. fields: the non-file fields, names
 * lower-case, key already through pail_post_key_subst. Errors: AccessDenied
 * with *why "Invalid according to Policy: Policy expired." / "... Policy
 * Condition failed: [\"eq\", \"$key\", \"x\"]" / "... Extra input fields:
 * a, b" (arena memory). */
enum pail_err pail_post_policy_check(const struct pail_post_policy *p,
                                     const struct pail_post_field *fields, size_t n,
                                     const char *bucket, int64_t now_ms, const char **why /* out */);

/* Checks the uploaded length against content-length-range (all of them, when
 * several). Errors: EntityTooSmall / EntityTooLarge with AWS's messages. */
enum pail_err pail_post_policy_check_length(const struct pail_post_policy *p, uint64_t length,
                                            const char **why /* out */);

/* The range every upload must fall in; false when the policy sets none
 * (then *min = 0, *max = UINT64_MAX). For AWS's <MinSizeAllowed> /
 * <MaxSizeAllowed>, and to refuse a Content-Length far over it early. */
bool pail_post_policy_length_range(const struct pail_post_policy *p, uint64_t *min /* out */,
                                   uint64_t *max /* out */);
/* Expiration, ms since the epoch (to the second: fractions are dropped). */
int64_t pail_post_policy_expiration_ms(const struct pail_post_policy *p);

#endif
