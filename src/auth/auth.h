/* auth/auth.h — who sent a request and how its body is protected.
 * Owns: struct pail_auth and pail_auth_verify(), the single entry point the
 * pipeline calls after routing and before any body byte is read. The secret
 * for an access key comes only from a struct pail_keystore (req->svc->keys),
 * so the identity layer serves every credential without touching signature
 * code. */
#ifndef PAIL_AUTH_AUTH_H
#define PAIL_AUTH_AUTH_H

#include "core/err.h"
#include "iam/policy.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_arena;
struct pail_req;

enum pail_auth_kind {
    PAIL_AUTH_ANONYMOUS,
    PAIL_AUTH_V4_HEADER,
    PAIL_AUTH_V4_QUERY,
    PAIL_AUTH_V2_HEADER,   /* Authorization: AWS AKID:signature (legacy) */
    PAIL_AUTH_V2_QUERY,    /* ?AWSAccessKeyId=&Expires=&Signature= (legacy) */
    PAIL_AUTH_POST_FORM,   /* a browser form's signed policy (POST Object) */
};

/* How the body is covered, from x-amz-content-sha256. */
enum pail_payload {
    PAIL_PAYLOAD_UNDECLARED,                /* no header (anonymous / presigned) */
    PAIL_PAYLOAD_SHA256,                    /* hex digest in payload_sha256 */
    PAIL_PAYLOAD_UNSIGNED,                  /* UNSIGNED-PAYLOAD */
    PAIL_PAYLOAD_STREAMING_SIGNED,          /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER,  /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
    PAIL_PAYLOAD_STREAMING_UNSIGNED_TRAILER,/* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
};

struct pail_auth {
    enum pail_auth_kind kind;
    const char *access_key;       /* arena-owned; NULL when anonymous */
    struct pail_principal principal; /* who; type ANONYMOUS when unsigned */
    bool temporary;               /* an STS session's key */
    enum pail_payload payload;
    unsigned char payload_sha256[32];
    /* For aws-chunked signed payloads: the chain's inputs. */
    unsigned char signing_key[32];
    char seed_signature[65];      /* hex signature of the headers */
    char amz_date[17];            /* 20130524T000000Z */
    char scope[128];              /* 20130524/us-east-1/s3/aws4_request */
    char service[8];              /* the scope's service: "s3", "iam", "sts"
                                     ("s3" for SigV2; "" when anonymous) */
    /* IAM and STS requests sign their body without declaring its hash (no
     * x-amz-content-sha256): the signature is checked once the (small,
     * buffered) body is in, by pail_auth_verify_body. Set until then. */
    void *deferred;
};

/* Where secrets come from: the identity layer in the server, a fixed key in
 * unit tests. lookup copies the secret of access_key into secret (cap bytes)
 * and names the principal (arena strings); it fails with InvalidAccessKeyId,
 * InvalidToken or ExpiredToken (session_token: x-amz-security-token, or
 * NULL). service and region are the credential scope's (SigV2: "s3", ""). */
struct pail_keystore {
    enum pail_err (*lookup)(void *ctx, const char *access_key, const char *session_token,
                            const char *service, const char *region, char *secret, size_t cap,
                            struct pail_arena *a, struct pail_principal *principal,
                            bool *temporary);
    /* Optional: the key's signature was verified (for "last used"; a failed
     * attempt must not count as use). */
    void (*verified)(void *ctx, const char *access_key, const char *service, const char *region);
    void *ctx;
};

/* A single fixed credential (tests; a server before its identity store). */
struct pail_creds {
    char access_key[129];
    char secret_key[129];
};
#define PAIL_SECRET_MAX 129

/* The canonical user id pail reported for its one root before accounts
 * existed; the first account keeps it. */
#define PAIL_FIXED_CANONICAL_ID "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"

/* A keystore that knows exactly c (which must outlive it): the root of
 * account 000000000000. */
void pail_keystore_fixed(struct pail_keystore *ks, const struct pail_creds *c);

/* Authenticates req from its headers and query: fills req->auth. Errors:
 * AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch,
 * AuthorizationHeaderMalformed, RequestTimeTooSkewed,
 * InvalidArgument (bad x-amz-content-sha256), AuthorizationQueryParametersError.
 * Records details via pail_req_fail. Secrets come from req->svc->keys.
 * Presigned requests get PAIL_PAYLOAD_UNSIGNED (or their X-Amz-Content-Sha256). */
enum pail_err pail_auth_verify(struct pail_req *req);
/* Makes req the anonymous principal's, whatever it carries (the website
 * endpoint, which ignores signatures as AWS's does). */
void pail_auth_anonymous(struct pail_req *req);

/* POST Object: authenticates the signed policy among a form's fields
 * (auth/post_auth.c). fields are the non-file fields (names lower-case).
 * Anonymous when the form carries no policy. On success fills req->auth
 * (kind PAIL_AUTH_POST_FORM when signed) and *policy_b64 (NULL when none).
 * Errors: InvalidArgument (missing or malformed fields), InvalidAccessKeyId,
 * InvalidToken, ExpiredToken, SignatureDoesNotMatch. */
struct pail_post_field;
enum pail_err pail_auth_verify_form(struct pail_req *req, const struct pail_post_field *fields,
                                    size_t n, const char **policy_b64);

/* Finishes a deferred check (req->auth.deferred): the signature over the
 * request with the hex SHA-256 of its body. Clears deferred; the same errors
 * as pail_auth_verify. */
enum pail_err pail_auth_verify_body(struct pail_req *req, const void *body, size_t len);

#endif
