/* s3/query_api.h — the IAM and STS query protocol on pail's endpoint:
 * Action=... parameters from a form-encoded POST body or a GET query, and
 * errors as <ErrorResponse> documents. The actions themselves are
 * iam/iam_api.c's; this file adapts a pail_req to them. */
#ifndef PAIL_S3_QUERY_API_H
#define PAIL_S3_QUERY_API_H

struct pail_req;

/* Renders req->err as IAM/STS do: <ErrorResponse><Error><Type/><Code/>
 * <Message/></Error><RequestId/></ErrorResponse>. */
void s3_query_render_error(struct pail_req *req);

#endif
