/* s3/log_delivery.h — server access log delivery: records spooled when a
 * request finishes, turned into log objects in the target bucket later.
 * Owns the spool directory (DATA/logspool) and the delivery thread.
 *
 * Spooling: one file per source bucket and configuration at a time, first
 * line a header naming the source and its logging configuration, then the
 * records, each appended with one write(2) (O_APPEND): once a record is
 * written it is in the kernel and survives the process (SIGKILL included),
 * so a record of a finished request is never lost by a crash.
 * Delivery: every interval, at start (what a previous process left) and at
 * stop, each spool no request is writing is written as one object through
 * the data and metadata stores (no HTTP request, so not itself logged),
 * owned by the target bucket's owner, Content-Type text/plain, then
 * removed. A crash between the two delivers its records twice (AWS calls
 * delivery best effort too) but never loses one. A spool whose target
 * bucket is gone, or may no longer be written by the logging service, is
 * dropped with a warning. */
#ifndef PAIL_S3_LOG_DELIVERY_H
#define PAIL_S3_LOG_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>

struct pail_services;
struct s3_logging;
struct s3_log_delivery;

/* Starts delivery for svc (which must outlive it; svc->data_dir holds the
 * spool) every interval_s seconds. NULL when the spool directory or the
 * thread cannot be made (logged). Freed by s3_log_delivery_stop. */
struct s3_log_delivery *s3_log_delivery_start(const struct pail_services *svc,
                                              unsigned interval_s);
/* Delivers everything spooled, stops the thread and frees d (NULL: no-op).
 * Call once no request can spool any more. */
void s3_log_delivery_stop(struct s3_log_delivery *d);

/* Holds delivery (on) or lets it go on (off), for a backup: while held, no
 * delivery pass runs, so a spool file is neither being turned into an object
 * nor removed. Holding waits for a pass under way. NULL: no-op. */
void s3_log_delivery_hold(struct s3_log_delivery *d, bool on);

/* Copies every spool file in data_dir/logspool into dest/logspool (made
 * here), each file synced; d (the running server's, held, or NULL for a
 * stopped directory) first closes its open spools so that every copied file
 * ends in a whole record. The number of files copied, or -1 (errno set). */
long s3_log_spool_copy(struct s3_log_delivery *d, const char *data_dir, const char *dest);

/* Appends len bytes of records (whole lines) for source bucket `source` of
 * account `account` in `region`, logged as cfg says (s3/bucket_logging.h).
 * Thread-safe; a write error is logged and the records are lost. */
void s3_log_spool(struct s3_log_delivery *d, const char *source, const char *account,
                  const char *region, const struct s3_logging *cfg, const char *lines,
                  size_t len);

#endif
