/* http/body.h — the upload pipeline of one request: raw bytes → declared
 * SHA-256 check → aws-chunked decoding (chunk signatures, trailers) → MD5 and
 * the x-amz-checksum-* digest → the op's sink (or a bounded buffer for XML
 * bodies). Owns every body-integrity check S3 defines: XAmzContentSHA256Mismatch,
 * BadDigest (Content-MD5 and checksums), InvalidDigest, IncompleteBody.
 * State lives in the request arena. */
#ifndef PAIL_HTTP_BODY_H
#define PAIL_HTTP_BODY_H

#include "core/err.h"
#include "util/checksum.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_req;

typedef enum pail_err (*pail_sink_fn)(void *ctx, const void *p, size_t n);

/* pail_body_begin flags */
#define PAIL_BODY_OBJECT_CHECKSUM 1u /* x-amz-checksum-* describe the object
                                        being assembled, not this body */

/* Sets up req->body from the request's headers and auth. With sink NULL the
 * decoded body is buffered (at most max bytes, else MaxMessageLengthExceeded)
 * for pail_body_data(). extra_algo asks for one more checksum to be computed
 * even when the client declared none (multipart uploads with an algorithm).
 * Errors: InvalidDigest, InvalidRequest, InvalidArgument, EntityTooLarge. */
enum pail_err pail_body_begin(struct pail_req *r, pail_sink_fn sink, void *ctx,
                              size_t max, enum pail_cksum_algo extra_algo, unsigned flags);
/* The decoded body length the request declares (x-amz-decoded-content-length
 * for aws-chunked payloads, else Content-Length) into *len; false when it
 * declares none or a malformed one. Usable before pail_body_begin. */
bool pail_body_declared_length(const struct pail_req *r, uint64_t *len);
/* Feeds n raw bytes as they arrive; sink errors pass through. */
enum pail_err pail_body_feed(struct pail_req *r, const void *p, size_t n);
/* Ends the body and runs every declared check. */
enum pail_err pail_body_finish(struct pail_req *r);

/* After a successful finish: */
/* MD5 of the decoded body (16 bytes), for ETags. */
const unsigned char *pail_body_md5(const struct pail_req *r);
/* Decoded length. */
uint64_t pail_body_length(const struct pail_req *r);
/* The verified (declared) or computed checksum: algo, base64 in *b64 (static
 * to the request); PAIL_CKSUM_NONE when none. */
enum pail_cksum_algo pail_body_checksum(const struct pail_req *r, const char **b64);
/* Buffered body (sink NULL mode); NUL-terminated. */
const char *pail_body_data(const struct pail_req *r, size_t *len);

#endif
