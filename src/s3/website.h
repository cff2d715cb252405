/* s3/website.h — the static-website endpoint (BUCKET.s3-website.localhost,
 * s3/vhost.h), served as AWS's website endpoints serve: GET and HEAD only,
 * anonymous; index documents for "/" and "folder/", a 302 from "folder" to
 * "folder/" when its index exists; RedirectAllRequestsTo, routing rules and
 * x-amz-website-redirect-location; a missing key answers the error document
 * (or AWS's own page) with 404 — 403 when the anonymous principal may not
 * list the bucket; errors are HTML, never XML. Objects are served by the
 * GetObject handler after the same permission decision as the REST API. */
#ifndef PAIL_S3_WEBSITE_H
#define PAIL_S3_WEBSITE_H

#include "core/err.h"

struct pail_req;

enum pail_err s3_website_get(struct pail_req *req);
/* req->err as AWS's website endpoints answer errors: an HTML page. */
void s3_website_render_error(struct pail_req *req);

#endif
