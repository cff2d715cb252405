/* s3/pipeline.h — the request pipeline, written once: every request passes
 * route → authenticate → load the bucket → authorize → begin, then (once its
 * body is in) run, then the response is finished (its error, if any,
 * rendered; CORS headers added). http/server.c calls
 * these three and knows nothing of S3; the steps are driven by the row of
 * s3/ops.def the request matched, never by an operation's name. */
#ifndef PAIL_S3_PIPELINE_H
#define PAIL_S3_PIPELINE_H

#include "core/err.h"

#include <stdint.h>

struct pail_req;

/* Everything before the first body byte (headers are in req). On failure
 * req->err is set and the caller answers without reading the body. */
enum pail_err pail_pipeline_begin(struct pail_req *req);
/* After the last body byte: the body's checks, then the operation. */
void pail_pipeline_run(struct pail_req *req);
/* The last step before the response is sent, success or not: turns
 * req->err, when set, into the response (S3's <Error> document, or
 * <ErrorResponse> for the IAM/STS query API), then adds the CORS headers a
 * request with an Origin gets from its bucket's rules (s3/cors.h). */
void pail_pipeline_finish(struct pail_req *req);
/* The request is over (answered, or its connection gone) after micros:
 * counted in the metrics (s3/metrics.h) and, when its bucket logs, spooled
 * for its server access log (s3/access_record.h). */
void pail_pipeline_done(struct pail_req *req, uint64_t micros);

#endif
