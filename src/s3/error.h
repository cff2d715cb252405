/* s3/error.h — turns req->err into AWS's error response: status and the
 * <Error> document (Code, Message, Key/BucketName, Resource, RequestId).
 * A 304 keeps the validators the handler set and has no body. */
#ifndef PAIL_S3_ERROR_H
#define PAIL_S3_ERROR_H

#include <stdbool.h>

struct pail_req;

/* Replaces req->resp with the error response for req->err. */
void pail_s3_render_error(struct pail_req *req);
/* Clears what a handler put in req->resp and sets the error's status;
 * false when the answer has no body (304). For other error renderers. */
bool pail_s3_reset_response(struct pail_req *req);

#endif
