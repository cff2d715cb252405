/* s3/access_record.h — server access log records in AWS's format ("Amazon
 * S3 server access log format"): one line per request to a bucket whose
 * logging is on, denied and anonymous ones included, DeleteObjects one
 * more per key (BATCH.DELETE.OBJECT). Owns the fields, their order and
 * quoting, and the operation names (REST.GET.OBJECT, ...), derived from the
 * op row. The lines go to the spool of s3/log_delivery.h. */
#ifndef PAIL_S3_ACCESS_RECORD_H
#define PAIL_S3_ACCESS_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pail_buf;
struct pail_op;
struct pail_req;

/* One record's fields, in AWS's order. NULL strings (and a false
 * has_object_size, zero bytes_sent) are written as "-". */
struct s3_access_fields {
    const char *bucket_owner; /* canonical user id */
    const char *bucket;
    time_t time;              /* when the request was received */
    const char *remote_ip;
    const char *requester;    /* ARN; NULL: anonymous */
    const char *request_id;
    const char *operation;    /* "REST.GET.OBJECT" */
    const char *key;          /* decoded: written URL-encoded */
    const char *method, *target, *version; /* the request line, "request-URI";
                                              target with credentials blanked */
    int status;
    const char *error_code;
    uint64_t bytes_sent;
    bool has_object_size;
    uint64_t object_size;
    uint64_t total_ms, turnaround_ms;
    const char *referer, *user_agent;
    const char *version_id, *host_id;
    const char *signature_version; /* "SigV2", "SigV4" */
    const char *cipher_suite;
    const char *auth_type;    /* "AuthHeader", "QueryString" */
    const char *host;         /* the Host header */
    const char *tls_version;
    const char *access_point_arn;
    bool acl_required;        /* written "Yes" */
};

/* Appends f as one line (with its '\n') to b. Fields never contain a blank
 * outside the quoted ones, nor a '"' inside those (written %22), nor a
 * control character (%XX), so AWS's documented regular expression parses
 * every line. */
void s3_access_format(const struct s3_access_fields *f, struct pail_buf *b);

/* The operation field for op (NULL: not routed) asked with method:
 * REST.<METHOD>.<RESOURCE> (COPY for a copy, WEBSITE. on a website
 * endpoint, OPTIONS ... PREFLIGHT); has_key says whether a key was named.
 * Static storage, or the arena's of r. */
const char *s3_access_operation(struct pail_req *r, const struct pail_op *op, const char *method,
                                bool website, bool has_key);

/* The pipeline's hook, once a request is done (micros since it began):
 * when r names a bucket whose logging is on, its records go to the spool
 * (r->svc->logs). */
void s3_access_log(struct pail_req *r, uint64_t micros);

#endif
