/* s3/metrics.h — what the server has done, for /_pail/metrics: requests by
 * operation and status, latency histograms and bytes per operation, error
 * codes, authentication failures and authorization denials by reason, and
 * (read when rendered) requests in flight, the metadata cache, the store's
 * fsync and group-commit histograms (core/stats.h), and objects and bytes
 * per bucket. Recording is lock-free (relaxed atomic adds), except for a
 * denial's reason, looked up under a mutex on that rarer path. */
#ifndef PAIL_S3_METRICS_H
#define PAIL_S3_METRICS_H

#include "core/buf.h"
#include "http/request.h"

/* Counts one answered request (the access-log moment). */
void s3_metrics_record(const struct pail_req *r, uint64_t micros);

/* The Prometheus text exposition (format 0.0.4) of everything into out.
 * r's services give the live readings; per-bucket usage is re-read when
 * that costs at most 1% of the time since the last reading. */
void s3_metrics_render(struct pail_req *r, struct pail_buf *out);

#endif
