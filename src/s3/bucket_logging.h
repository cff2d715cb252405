/* s3/bucket_logging.h — a bucket's server access logging configuration
 * (PutBucketLogging): validated as AWS validates it, kept as the bucket's
 * "logging" setting (JSON), parsed once per bucket-cache fill
 * (s3/bucket_cache.h), read back by GetBucketLogging, and turned into the
 * keys of the log objects s3/log_delivery.c writes. Strings live in the
 * arena given. */
#ifndef PAIL_S3_BUCKET_LOGGING_H
#define PAIL_S3_BUCKET_LOGGING_H

#include "iam/acl.h"

#include <stdbool.h>
#include <time.h>

struct pail_arena;

enum s3_log_key_format {
    S3_LOGKEY_NONE,        /* no TargetObjectKeyFormat given: SimplePrefix */
    S3_LOGKEY_SIMPLE,      /* SimplePrefix */
    S3_LOGKEY_PARTITIONED, /* PartitionedPrefix */
};

struct s3_logging {
    const char *target_bucket;
    const char *target_prefix; /* "" when none */
    struct pail_acl grants;    /* TargetGrants (owner unset): what every log
                                  object grants besides its owner's FULL_CONTROL */
    enum s3_log_key_format format;
    bool event_time;           /* PartitionedPrefix's PartitionDateSource is
                                  EventTime (else DeliveryTime) */
};

/* The configuration a stored "logging" setting holds (NULL: none, or it
 * cannot be read, which is logged). */
const struct s3_logging *s3_logging_from_json(struct pail_arena *a, const char *json);
/* The stored form of l; NULL when it cannot be written. */
const char *s3_logging_to_json(struct pail_arena *a, const struct s3_logging *l);

/* The key of a log object, as AWS names them:
 *   SimplePrefix       prefix + YYYY-mm-DD-HH-MM-SS-UNIQUE
 *   PartitionedPrefix  prefix + account/region/bucket/YYYY/MM/DD/
 *                      YYYY-mm-DD-HH-MM-SS-UNIQUE
 * delivered: the delivery time (the file name's); event: the records' time
 * (the partition's date with EventTime). unique: 16 characters. */
const char *s3_logging_object_key(struct pail_arena *a, const struct s3_logging *l,
                                  const char *account, const char *region,
                                  const char *bucket, time_t delivered, time_t event,
                                  const char *unique);

#endif
