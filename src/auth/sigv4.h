/* auth/sigv4.h — AWS Signature Version 4 for S3, as pure functions.
 * Owns: parsing the Authorization header and X-Amz-Credential, the canonical
 * request (URI, query, headers, payload line), the string to sign, the signing
 * key, the request signature, and the per-chunk / trailer signatures of
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]. No HTTP library, no request
 * struct, no clock: auth.c feeds it. Steps follow the S3 API reference,
 * "Signature Calculations for the Authorization Header" (single chunk,
 * multiple chunks, trailing headers) and "Authenticating Requests: Using Query
 * Parameters". Nothing here logs: inputs include secrets. */
#ifndef PAIL_AUTH_SIGV4_H
#define PAIL_AUTH_SIGV4_H

#include "auth/crypto.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct pail_arena;
struct pail_buf;

#define PAIL_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define PAIL_SIGV4_SKEW_SECONDS (15 * 60)   /* allowed clock difference */
#define PAIL_SIGV4_MAX_EXPIRES 604800       /* presigned URLs: one week */
#define PAIL_SIGV4_MAX_CANONICAL (256 * 1024) /* cap on a canonical request */

/* Credential=AK/20130524/us-east-1/s3/aws4_request, split. Strings are
 * arena-owned. */
struct pail_sigv4_cred {
    const char *access_key; /* at most 128 bytes */
    const char *date;       /* YYYYMMDD, 8 digits */
    const char *region;
    const char *service;    /* "s3", or "iam"/"sts" (whose region may be "") */
    const char *scope;      /* date/region/service/aws4_request, < 128 bytes */
};

/* A parsed "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...". */
struct pail_sigv4_authz {
    struct pail_sigv4_cred cred;
    const char *signed_headers; /* "host;range;x-amz-date", arena-owned */
    char signature[PAIL_SHA256_HEX_LEN + 1]; /* lowercased hex */
};

/* One request header: lower-case name, value as received. */
struct pail_sigv4_hdr {
    const char *name, *value;
};

/* Everything the canonical request is made of. */
struct pail_sigv4_input {
    const char *method;      /* "GET" */
    const char *raw_path;    /* still percent-encoded, without '?' */
    const char *raw_query;   /* still encoded, without '?'; "" or NULL if none */
    bool presigned;          /* leave X-Amz-Signature out of the query */
    const struct pail_sigv4_hdr *headers;
    size_t nheaders;
    const char *signed_headers; /* ';'-separated lower-case names */
    const char *payload;     /* hex SHA-256, UNSIGNED-PAYLOAD, STREAMING-... */
};

/* --- Parsing ------------------------------------------------------------ */

/* Parses an Authorization header value (spaces after commas optional, any
 * component order). Errors: AuthorizationHeaderMalformed (also for a service
 * other than s3, a bad date or a signature that is not 64 hex digits);
 * InvalidRequest when the scheme is not AWS4-HMAC-SHA256. *why gets a static
 * English detail for <Message> on failure (why may be NULL). */
enum pail_err pail_sigv4_parse_authorization(struct pail_arena *a, const char *value,
                                             struct pail_sigv4_authz *out /* out */,
                                             const char **why /* out */);
/* Parses "AK/YYYYMMDD/region/service/aws4_request" (the access key is all
 * before the last four '/'). Errors: AuthorizationHeaderMalformed, with a
 * static detail in *why (why may be NULL). */
enum pail_err pail_sigv4_parse_credential(struct pail_arena *a, const char *s,
                                          struct pail_sigv4_cred *out /* out */,
                                          const char **why /* out */);
/* true when signed_headers (';'-separated) lists name exactly. */
bool pail_sigv4_signs_header(const char *signed_headers, const char *name);
/* Value of query parameter name in an encoded query string, percent-decoded
 * ('+' stays '+'), copied into a; "" for a bare name; NULL when absent. */
const char *pail_sigv4_query_get(struct pail_arena *a, const char *raw_query,
                                 const char *name);

/* --- Time --------------------------------------------------------------- */

/* Parses ISO 8601 basic "20130524T000000Z" (exactly 16 chars); false if not. */
bool pail_sigv4_parse_amz_date(const char *s, time_t *out /* out */);
/* Parses an RFC 1123 date "Fri, 24 May 2013 00:00:00 GMT"; false if not. */
bool pail_sigv4_parse_http_date(const char *s, time_t *out /* out */);
/* Formats t as "20130524T000000Z" into out (17 bytes). */
void pail_sigv4_format_amz_date(time_t t, char out[17]);

/* --- Canonical request (each appends to b; b's cap bounds the size) ------ */

/* URI-encodes (keeping '/') the percent-decoded raw path; "/" when empty.
 * Errors: InvalidArgument for a bad %-escape, InvalidRequest on overflow. */
enum pail_err pail_sigv4_canonical_uri(struct pail_buf *b, const char *raw_path);
/* Sorted, re-encoded query; presigned drops X-Amz-Signature. Scratch memory
 * comes from a. Errors: InvalidArgument (bad escape), InvalidRequest (size). */
enum pail_err pail_sigv4_canonical_query(struct pail_arena *a, struct pail_buf *b,
                                         const char *raw_query, bool presigned);
/* "name:value\n" for each signed header, in the SignedHeaders order; repeated
 * headers joined with ','; values trimmed, inner whitespace runs collapsed.
 * Errors: AuthorizationHeaderMalformed for an empty name in the list,
 * SignatureDoesNotMatch when a signed header is absent, InvalidRequest (size). */
enum pail_err pail_sigv4_canonical_headers(struct pail_buf *b, const struct pail_sigv4_hdr *h,
                                           size_t n, const char *signed_headers);
/* The whole canonical request (method, URI, query, headers, signed headers,
 * payload), newline-separated. Errors: those of the three steps above. */
enum pail_err pail_sigv4_canonical_request(struct pail_arena *a, const struct pail_sigv4_input *in,
                                           struct pail_buf *out);

/* --- Signing ------------------------------------------------------------ */

/* "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(sha256(creq)), into out
 * (caller-owned, at least 256 bytes: amz_date 16, scope < 128). */
void pail_sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq,
                               size_t creq_len, char *out, size_t cap);
/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
 * "aws4_request"). key is secret material: the caller wipes it when done. */
void pail_sigv4_signing_key(const char *secret, const char *date, const char *region,
                            const char *service, unsigned char key[PAIL_SHA256_LEN]);
/* hex(HMAC(key, msg)) into out. */
void pail_sigv4_sign(const unsigned char key[PAIL_SHA256_LEN], const char *msg, size_t len,
                     char out[PAIL_SHA256_HEX_LEN + 1]);
/* Canonical request → string to sign → signature, in one call. Errors: those
 * of pail_sigv4_canonical_request(). */
enum pail_err pail_sigv4_signature(struct pail_arena *a, const struct pail_sigv4_input *in,
                                   const char *amz_date, const char *scope,
                                   const unsigned char key[PAIL_SHA256_LEN],
                                   char out[PAIL_SHA256_HEX_LEN + 1]);
/* Signature of one aws-chunked chunk: string to sign
 * "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n" prev "\n" hex(sha256(""))
 * "\n" hex(chunk_sha). */
void pail_sigv4_chunk_signature(const unsigned char key[PAIL_SHA256_LEN], const char *amz_date,
                                const char *scope, const char *prev_signature,
                                const unsigned char chunk_sha[PAIL_SHA256_LEN],
                                char out[PAIL_SHA256_HEX_LEN + 1]);
/* Signature of the trailer: "AWS4-HMAC-SHA256-TRAILER\n" date "\n" scope "\n"
 * prev "\n" hex(trailer_sha), where trailer_sha hashes the lines
 * "name:value\n" (lower-case name, trimmed value) in the order sent. */
void pail_sigv4_trailer_signature(const unsigned char key[PAIL_SHA256_LEN], const char *amz_date,
                                  const char *scope, const char *prev_signature,
                                  const unsigned char trailer_sha[PAIL_SHA256_LEN],
                                  char out[PAIL_SHA256_HEX_LEN + 1]);
/* Constant-time comparison of two hex signatures; false unless both are 64
 * characters long and equal. */
bool pail_sigv4_signature_equal(const char *a, const char *b);

#endif
