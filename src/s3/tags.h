/* s3/tags.h — tag sets of objects and buckets: read from the x-amz-tagging
 * header (URL-encoded query parameters: PutObject, CopyObject,
 * CreateMultipartUpload, POST forms) or a <Tagging> body (PutObjectTagging,
 * PutBucketTagging), checked against AWS's limits, kept as JSON (an array of
 * [key, value] pairs in key order: the order GetObjectTagging answers in),
 * and written back as a <TagSet>. Strings live in the request arena. */
#ifndef PAIL_S3_TAGS_H
#define PAIL_S3_TAGS_H

#include "core/err.h"

#include <stddef.h>

struct pail_arena;
struct pail_req;
struct pail_xml;

#define S3_OBJECT_TAGS_MAX 10
#define S3_BUCKET_TAGS_MAX 50

struct s3_tag {
    const char *key, *value;
};

struct s3_tags {
    struct s3_tag *v; /* sorted by key (bytes), keys unique */
    size_t n;
};

enum s3_tags_of { S3_TAGS_OBJECT, S3_TAGS_BUCKET };

/* The tag set of header value hdr ("k1=v1&k2"), validated for an object.
 * InvalidArgument (AWS's message) for a malformed encoding or a repeated
 * key; InvalidTag for a key or value AWS refuses. Records the error in r. */
enum pail_err s3_tags_from_header(struct pail_req *r, const char *hdr, struct s3_tags *out);
/* The tag set of a <Tagging> body, validated for `of`. MalformedXML,
 * InvalidTag (too many tags, a repeated key, a key or value AWS refuses).
 * Records the error in r. */
enum pail_err s3_tags_from_xml(struct pail_req *r, const char *body, size_t len,
                               enum s3_tags_of of, struct s3_tags *out);
/* The stored form of t; NULL for an empty set (nothing stored). */
const char *s3_tags_to_json(struct pail_arena *a, const struct s3_tags *t);
/* The tag set of a stored form (NULL or unreadable: empty). */
void s3_tags_from_json(struct pail_arena *a, const char *json, struct s3_tags *out);
/* Number of tags in a stored form, without building the set (0 for NULL). */
size_t s3_tags_count(const char *json);
/* <TagSet><Tag><Key/><Value/></Tag>...</TagSet> into x. */
void s3_tags_write_xml(struct pail_xml *x, const struct s3_tags *t);

#endif
