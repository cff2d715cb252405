/* http/target.h — the request-target, path-style: "/bucket/key?query".
 * Pure parsing over the raw (still percent-encoded) target that MHD's URI log
 * callback gave us; MHD's own decoded URL loses '%2F' vs '/' and '+'. */
#ifndef PAIL_HTTP_TARGET_H
#define PAIL_HTTP_TARGET_H

#include "core/err.h"

struct pail_req;

/* Fills raw_path, raw_query, bucket, key and query[] from req->raw_target.
 * vhost_bucket: the bucket the Host header named (virtual-hosted style: the
 * whole path is then the key, and req->virtual_host is set), or NULL for
 * path-style. Errors: InvalidURI (bad percent-encoding, NUL byte, a key that
 * is not UTF-8), KeyTooLongError (key over 1024 bytes). */
enum pail_err pail_target_parse(struct pail_req *req, const char *vhost_bucket);

#endif
