/* http/edge.h — the HTTP/1.1 message rules (RFC 9112, RFC 9110 §5) that
 * libmicrohttpd 0.9.75 leaves to its application: it keeps every header
 * field as sent, so repeated or conflicting framing fields and malformed
 * names and values reach pail. A request that breaks them is refused before
 * its body is read, and its connection closed: a proxy in front of pail may
 * have framed the same bytes differently (request smuggling). */
#ifndef PAIL_HTTP_EDGE_H
#define PAIL_HTTP_EDGE_H

#include "http/request.h"

/* PAIL_OK, or the failure recorded on r (BadRequest; NotImplemented for a
 * transfer coding other than chunked, as S3 answers) with resp.close set. */
enum pail_err pail_http_edge_check(struct pail_req *r);

#endif
