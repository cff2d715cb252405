/* s3/cors.h — a bucket's CORS rules (PutBucketCors) and the evaluation of a
 * browser's request against them, as S3 does it (API_PutBucketCors,
 * "Elements of a CORS configuration", the OPTIONS object appendix):
 *   - the first rule whose AllowedOrigin, AllowedMethod and (for a
 *     preflight) AllowedHeader all match wins;
 *   - an origin or header pattern holds at most one '*', which matches any
 *     run of characters, the empty one included; origins match
 *     case-sensitively, header names without regard to case;
 *   - a rule whose matching origin is exactly "*" is answered
 *     `Access-Control-Allow-Origin: *` without credentials, any other with
 *     the request's Origin and `Access-Control-Allow-Credentials: true`.
 * Owns: struct s3_cors (immutable once built; lives in the arena it was
 * built in: the bucket cache's for a bucket's rules), its validation, its
 * XML form, and the CORS response headers. Knows nothing of buckets or the
 * store, so the website endpoint can use it with any rule set. */
#ifndef PAIL_S3_CORS_H
#define PAIL_S3_CORS_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_arena;
struct pail_req;
struct pail_xml;

#define S3_CORS_DOC_MAX 65536 /* AWS: "The document is limited to 64 KB in size." */

/* The five methods a rule may allow, as bits. */
enum s3_cors_method {
    S3_CORS_GET = 1u << 0,
    S3_CORS_PUT = 1u << 1,
    S3_CORS_HEAD = 1u << 2,
    S3_CORS_POST = 1u << 3,
    S3_CORS_DELETE = 1u << 4,
};

struct s3_cors_list {
    const char **v; /* document order */
    size_t n;
};

struct s3_cors_rule {
    const char *id;             /* NULL: none */
    long max_age;               /* MaxAgeSeconds; -1: none */
    unsigned methods;           /* enum s3_cors_method bits */
    struct s3_cors_list origins, method_names, headers, expose;
    const char *allow_methods;  /* method_names joined by ", " (response header) */
    const char *expose_joined;  /* expose joined by ", ", NULL when none */
};

struct s3_cors {
    const struct s3_cors_rule *rules;
    size_t n; /* 1..100 */
};

/* Validates a CORSConfiguration document and builds its rule set in a.
 * MalformedXML (shape, rule count, MaxAgeSeconds not a non-negative 32-bit
 * integer, a document over S3_CORS_DOC_MAX); InvalidRequest for a method
 * S3 does not support or a pattern with two wildcards; InvalidArgument for
 * an ID over 255 characters. *why: AWS's message for the error, in a, or
 * NULL for the code's own. */
enum pail_err s3_cors_parse(const char *doc, size_t len, struct pail_arena *a,
                            const struct s3_cors **out, const char **why);

/* Writes the <CORSRule> elements of c into the open element of x (members
 * that were set only, values as given): GetBucketCors's answer and the form
 * the "cors" bucket setting is stored in. */
void s3_cors_write(const struct s3_cors *c, struct pail_xml *x);

/* The method bit for name (exact, upper case), or 0 for any other. */
unsigned s3_cors_method_bit(const char *name);

/* Whether s matches pattern (at most one '*'); nocase for header names. */
bool s3_cors_wildcard(const char *pattern, const char *s, bool nocase);

/* The first rule allowing origin to use method (a single enum
 * s3_cors_method bit) and, unless req_headers is NULL, every name of that
 * comma-separated list (Access-Control-Request-Headers); NULL when none.
 * *star: the origin matched a bare "*". */
const struct s3_cors_rule *s3_cors_match(const struct s3_cors *c, const char *origin,
                                         unsigned method, const char *req_headers, bool *star);

/* ---- on a request ------------------------------------------------------- */

/* Answers the preflight OPTIONS req for a bucket whose rules are c (NULL:
 * no configuration; bucket_found false: no such bucket), in S3's order:
 * BadRequest without Origin, AccessForbidden "Bucket not found" or "CORS is
 * not enabled", BadRequest for a missing or unknown
 * Access-Control-Request-Method, AccessForbidden when no rule matches;
 * else an empty 200 with the CORS headers. */
enum pail_err s3_cors_preflight(struct pail_req *r, const struct s3_cors *c, bool bucket_found);

/* Adds the CORS headers to the response of the actual (non-OPTIONS)
 * request r when it carries an Origin and a rule of c allows it: the
 * method is Access-Control-Request-Method when sent, else the request's
 * (S3's and RGW's choice); request headers are not checked. Applies to
 * success and error responses alike. */
void s3_cors_actual(struct pail_req *r, const struct s3_cors *c);

#endif
