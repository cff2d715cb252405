/* http/request.h — struct pail_req, the only thing that travels between layers.
 * Owns: the request's view (method, raw and decoded target, headers, query),
 * its error state and its response. Everything hangs off req->arena and dies
 * with it. Handlers read req and write req->resp; they never call MHD. */
#ifndef PAIL_HTTP_REQUEST_H
#define PAIL_HTTP_REQUEST_H

#include "auth/auth.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pail_services;
struct pail_op;
struct s3_bucket;
struct pail_object_rec;
struct s3_tags;

struct pail_hdr {
    const char *name;  /* lower-case */
    const char *value; /* as received (MHD trims surrounding blanks) */
};

struct pail_qarg {
    const char *name;  /* decoded */
    const char *value; /* decoded; NULL for a bare "?uploads" */
};

struct pail_resp_hdr {
    const char *name, *value;
    struct pail_resp_hdr *next;
};

enum pail_resp_kind {
    PAIL_RESP_EMPTY, /* no body, Content-Length 0 */
    PAIL_RESP_BUF,   /* body in resp.buf */
    PAIL_RESP_FD,    /* len bytes of fd from off (sendfile); fd closed after sending */
    PAIL_RESP_MEM,   /* len bytes at mem, memory that lives as long as the arena */
    PAIL_RESP_SIZE,  /* no body, but Content-Length len: a 304 (MHD sends no body
                        for it) tells the length the 200 would have sent */
};

struct pail_resp {
    int status;
    struct pail_resp_hdr *headers, **tail;
    enum pail_resp_kind kind;
    struct pail_buf buf;
    int fd;
    uint64_t off, len;
    const void *mem;
    bool close;  /* close the connection after this response: the body did not
                    match what its headers declared, so the bytes after it
                    cannot be trusted to start the next request */
};

struct pail_req {
    struct pail_arena *arena;
    const struct pail_services *svc;
    char id[24];            /* x-amz-request-id */
    struct timespec start;  /* monotonic, for the access log */
    time_t now;             /* wall clock at arrival */

    const char *method;     /* "GET", "PUT", ... */
    const char *raw_target; /* request-target as sent: raw path + "?" + raw query */
    const char *raw_path;   /* before '?', still percent-encoded */
    const char *raw_query;  /* after '?', still encoded; "" when none */
    const char *bucket;     /* decoded; NULL for the service ("/") */
    const char *key;        /* decoded; NULL when the target is a bucket */
    bool virtual_host;      /* the bucket came from the Host (BUCKET.domain/KEY) */
    bool website;           /* a static-website endpoint's request (s3/website.c) */
    bool website_port;      /* arrived on --website-listen: every request is one */
    bool admin_port;        /* arrived on --admin-listen: only pail's own paths */

    struct pail_hdr *headers;
    size_t nheaders;
    struct pail_qarg *query;
    size_t nquery;

    const struct pail_op *op;
    const char *op_name;    /* op->name once routed, for the access log */
    struct pail_auth auth;  /* filled by pail_auth_verify */
    const struct s3_bucket *bkt; /* the request's bucket, once the pipeline
                               loaded it (s3/bucket_cache.h); NULL for the
                               service and before the bucket exists */
    const char *deny_reason; /* why authorization refused, for the access log */
    const char *errdoc_key;  /* website: the error document that could not be served */
    enum pail_err errdoc_err; /* ... and why (its page says so, as AWS's does) */
    const struct pail_object_rec *obj; /* the object, when authorization
                               needed it (its owner and ACL): handlers
                               reuse it */
    const struct s3_tags *tags; /* the tag set the request writes
                               (x-amz-tagging, a Tagging body), once parsed:
                               s3:RequestObjectTag conditions read it */
    char client_ip[48];     /* the peer's address (aws:SourceIp) */
    const char *tls_protocol; /* "TLSv1.3" on --tls-listen (aws:SecureTransport); NULL: plain */
    const char *tls_cipher;   /* the negotiated cipher suite, for the access log */

    bool has_length;        /* Content-Length present */
    uint64_t length;        /* Content-Length, or decoded length for aws-chunked */

    struct pail_body *body; /* upload pipeline; NULL when the op takes no body */
    void *op_state;         /* handler-private, between prepare and finish */

    enum pail_err err;      /* first failure; PAIL_OK while all is well */
    const char *err_msg;    /* detail for <Message>, arena-owned, or NULL */
    const char *err_resource;

    struct pail_resp resp;
    uint64_t bytes_in, bytes_out; /* for the access log */

    /* For the server access log (s3/access_record.h): */
    const char *version;    /* the request line's "HTTP/1.1" */
    bool acl_required;      /* an ACL grant alone allowed it (s3/authz.c) */
    struct timespec received; /* monotonic: the last byte of the request in */
    uint64_t turnaround_us; /* from received to the response queued */
    const char *const *batch_keys; /* DeleteObjects: every key the body named, */
    const enum pail_err *batch_errs; /* and what became of it (PAIL_OK: deleted) */
    size_t nbatch;
    _Atomic int holds;      /* the request itself, plus a response sending
                               arena memory: the arena goes with the last */
};

/* Header value by lower-case name, NULL when absent. */
const char *pail_req_header(const struct pail_req *r, const char *lname);
/* "https" for a request that came over TLS, else "http": for URLs that
 * point back at pail (Location, redirects). */
const char *pail_req_scheme(const struct pail_req *r);
/* Query value by name: NULL when absent; "" for a bare "?name". */
const char *pail_req_query(const struct pail_req *r, const char *name);
bool pail_req_has_query(const struct pail_req *r, const char *name);

/* Records the first error with an optional printf detail; returns e so that
 * handlers can `return pail_req_fail(...)`. Later calls keep the first. */
enum pail_err pail_req_fail(struct pail_req *r, enum pail_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Response helpers: strings are copied into the arena. */
void pail_resp_header(struct pail_req *r, const char *name, const char *value);
void pail_resp_headerf(struct pail_req *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Starts an XML body (status 200 unless set): returns resp.buf for the writer. */
struct pail_buf *pail_resp_xml(struct pail_req *r);
/* Sends len bytes of fd from off; takes ownership of fd. */
void pail_resp_fd(struct pail_req *r, int fd, uint64_t off, uint64_t len);
/* Sends len bytes at p, not copied: p must live as long as r's arena. */
void pail_resp_mem(struct pail_req *r, const void *p, size_t len);

#endif
