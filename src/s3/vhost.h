/* s3/vhost.h — virtual-hosted–style addressing: the bucket a request's Host
 * names, as https://BUCKET.s3.amazonaws.com/KEY does on AWS. A Host of
 * BUCKET.<domain>[:port], for any --domain, addresses BUCKET (which may hold
 * dots); anything else — the domain itself, an IP literal, localhost, an
 * unknown name — is path-style (/BUCKET/KEY). */
#ifndef PAIL_S3_VHOST_H
#define PAIL_S3_VHOST_H

struct pail_req;

/* The bucket req's Host names (lower-case, arena), or NULL for path-style. */
const char *s3_vhost_bucket(struct pail_req *req);

#endif
