/* s3/common.h — helpers shared by the S3 handlers: bucket existence, stored
 * object headers, ETags, garbage collection after commits, XML envelopes.
 * Everything allocates in the request arena. */
#ifndef PAIL_S3_COMMON_H
#define PAIL_S3_COMMON_H

#include "core/err.h"
#include "store/meta.h"

#include <stdbool.h>
#include <stdint.h>

struct pail_req;
struct pail_xml;
struct pail_buf;
struct json_t;

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"
#define S3_MAX_PARTS 10000 /* part numbers 1..10000; pail_limits.parts may allow fewer */

/* Sets (doc non-NULL) or removes bucket setting `name` of req's bucket and
 * makes the next request see it (s3/bucket_cache.h). */
enum pail_err s3_bucket_setting(struct pail_req *r, const char *name, const char *doc);
/* Delete* of a bucket setting: removes `name` when the bucket has it, and
 * answers 204 either way (AWS). */
enum pail_err s3_bucket_setting_delete(struct pail_req *r, const char *name);
/* The upload named by ?uploadId for req's bucket and key; NoSuchUpload. */
enum pail_err s3_upload_lookup(struct pail_req *r, struct pail_upload_rec *u);
/* JSON of the headers S3 stores with an object (Cache-Control, ...,
 * x-amz-meta-*), taken from the request; MetadataTooLarge over 2 KB. */
enum pail_err s3_stored_headers(struct pail_req *r, const char **json);
/* Content-Type of the request, or S3's default binary/octet-stream. */
const char *s3_content_type(struct pail_req *r);
/* Adds the stored headers (the parsed JSON of s3_stored_headers; NULL adds
 * none) to the response. */
void s3_emit_stored_headers(struct pail_req *r, const struct json_t *headers);
/* Quoted ETag header value. */
const char *s3_quoted(struct pail_req *r, const char *etag);
/* Hands the data blobs a commit released to the reaper (removed off the
 * request path; what a crash leaves, the start-up sweep removes). */
void s3_drop_garbage(struct pail_req *r, const struct pail_garbage *g);
/* Starts an XML response document with root element `root` in S3's xmlns. */
void s3_xml_start(struct pail_req *r, struct pail_xml *x, const char *root);
/* Opaque pagination tokens: base64 of the last name returned. decode:
 * InvalidArgument for a token that is not one of ours. */
const char *s3_token_encode(struct pail_req *r, const char *last);
enum pail_err s3_token_decode(struct pail_req *r, const char *tok, const char **after);
/* Milliseconds since the epoch, now (record times: mtime, initiated). */
int64_t s3_now_ms(struct pail_req *r);
/* Parses a decimal query/header integer in [min, max]; InvalidArgument. */
enum pail_err s3_parse_uint(struct pail_req *r, const char *name, const char *s,
                            uint64_t min, uint64_t max, uint64_t *out);
/* Parses x-amz-copy-source ("/bucket/key" or "bucket/key", URL-encoded,
 * optional ?versionId=null) into bucket and key. InvalidArgument. */
enum pail_err s3_copy_source(struct pail_req *r, const char **bucket, const char **key);
/* Conditional writes (PutObject, CompleteMultipartUpload): If-None-Match
 * (an ETag or "*") and If-Match against the object the write would replace:
 * PreconditionFailed, or NoSuchKey for If-Match on a missing key. Checked
 * just before the commit, not atomically with it. */
enum pail_err s3_write_conditions(struct pail_req *r);
/* Evaluates If-Match / If-None-Match / If-(Un)Modified-Since with the given
 * header prefix ("if-" or "x-amz-copy-source-if-") against an object:
 * PreconditionFailed or NotModified (only when allow_304). */
enum pail_err s3_conditions(struct pail_req *r, const char *prefix,
                            const struct pail_object_rec *o, bool allow_304);

#endif
