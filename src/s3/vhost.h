/* s3/vhost.h — virtual-hosted–style addressing: the bucket a request's Host
 * names, as https://BUCKET.s3.amazonaws.com/KEY does on AWS, and whether the
 * Host is a static-website endpoint. For each --domain D (say s3.localhost,
 * whose website base B is D without its leading "s3.": localhost):
 *   BUCKET.D                          the REST API, virtual-hosted
 *   BUCKET.s3-website.B               the website endpoint, as are AWS's
 *   BUCKET.s3-website-REGION.B        two regional forms
 *   BUCKET.s3-website.REGION.B
 * BUCKET may hold dots. Anything else — D itself, an IP literal, localhost,
 * an unknown name — is path-style (/BUCKET/KEY). */
#ifndef PAIL_S3_VHOST_H
#define PAIL_S3_VHOST_H

#include <stdbool.h>

struct pail_req;

/* The bucket req's Host names (lower-case, arena), or NULL for path-style;
 * *website tells a website endpoint's Host. */
const char *s3_vhost_bucket(struct pail_req *req, bool *website);
/* On the --website-listen port, a Host that is no website endpoint names the
 * bucket itself, as a CNAME to a website endpoint does on AWS: the host name
 * without its port — and without a trailing ".localhost", so that a browser
 * can open http://BUCKET.localhost:PORT/. Lower-case, arena; NULL without a
 * Host. */
const char *s3_website_host_bucket(struct pail_req *req);

#endif
