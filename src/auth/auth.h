/* auth/auth.h — who sent a request and how its body is protected.
 * Owns: struct pail_auth and pail_auth_verify(), the single entry point the
 * pipeline calls after routing and before any body byte is read. The secret
 * for an access key comes only from pail_creds_lookup(), so IAM users can
 * replace the root-only store without touching signature code. */
#ifndef PAIL_AUTH_AUTH_H
#define PAIL_AUTH_AUTH_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_req;

enum pail_auth_kind {
    PAIL_AUTH_ANONYMOUS,
    PAIL_AUTH_V4_HEADER,
    PAIL_AUTH_V4_QUERY,
    PAIL_AUTH_V2_HEADER,   /* Authorization: AWS AKID:signature (legacy) */
    PAIL_AUTH_V2_QUERY,    /* ?AWSAccessKeyId=&Expires=&Signature= (legacy) */
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
    const char *principal;        /* "root" for now; arena-owned */
    enum pail_payload payload;
    unsigned char payload_sha256[32];
    /* For aws-chunked signed payloads: the chain's inputs. */
    unsigned char signing_key[32];
    char seed_signature[65];      /* hex signature of the headers */
    char amz_date[17];            /* 20130524T000000Z */
    char scope[128];              /* 20130524/us-east-1/s3/aws4_request */
};

/* Root credentials; later an IAM store behind the same lookup. */
struct pail_creds {
    char access_key[129];
    char secret_key[129];
};

/* Finds the secret for access_key. Copies it into secret (cap bytes) and the
 * principal name into principal; false when the key is unknown. */
bool pail_creds_lookup(const struct pail_creds *c, const char *access_key,
                       char *secret, size_t cap, const char **principal);

/* Authenticates req from its headers and query: fills req->auth. Errors:
 * AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch,
 * AuthorizationHeaderMalformed, RequestTimeTooSkewed,
 * InvalidArgument (bad x-amz-content-sha256), AuthorizationQueryParametersError.
 * Records details via pail_req_fail. Secrets come from req->srv->creds.
 * Presigned requests get PAIL_PAYLOAD_UNSIGNED (or their X-Amz-Content-Sha256). */
enum pail_err pail_auth_verify(struct pail_req *req);

#endif
