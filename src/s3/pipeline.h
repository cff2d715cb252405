/* s3/pipeline.h — the request pipeline, written once: every request passes
 * route → authenticate → load the bucket → authorize → begin, then (once its
 * body is in) run, then its error, if any, is rendered. http/server.c calls
 * these three and knows nothing of S3; the steps are driven by the row of
 * s3/ops.def the request matched, never by an operation's name. */
#ifndef PAIL_S3_PIPELINE_H
#define PAIL_S3_PIPELINE_H

#include "core/err.h"

struct pail_req;

/* Everything before the first body byte (headers are in req). On failure
 * req->err is set and the caller answers without reading the body. */
enum pail_err pail_pipeline_begin(struct pail_req *req);
/* After the last body byte: the body's checks, then the operation. */
void pail_pipeline_run(struct pail_req *req);
/* Turns req->err, when set, into the response (S3's <Error> document, or
 * <ErrorResponse> for the IAM/STS query API). */
void pail_pipeline_render_error(struct pail_req *req);

#endif
