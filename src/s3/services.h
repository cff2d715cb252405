/* s3/services.h — what the request pipeline and the handlers may use: the
 * stores, the identity layer, the server's settings. Owns nothing: main.c
 * opens them and fills one struct pail_services, which lives as long as the
 * server. Handlers reach it as req->svc; none of it is a secret (the identity
 * layer keeps the credentials and hands out one secret at a time, to the
 * signature check). */
#ifndef PAIL_S3_SERVICES_H
#define PAIL_S3_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

struct pail_meta;
struct pail_data;
struct pail_reaper;
struct pail_identity;
struct s3_bucket_cache;
struct pail_keystore;
struct s3_log_delivery;

struct pail_services {
    struct pail_meta *meta;
    struct pail_data *data;
    struct pail_reaper *reaper;          /* removes released blobs after commits */
    struct pail_identity *identity;      /* accounts, IAM, STS sessions */
    const struct pail_keystore *keys;    /* secrets for signature checks (auth.h) */
    struct s3_bucket_cache *buckets;     /* bucket records and parsed settings */
    const char *first_account;           /* owner of what stores made before
                                            accounts call "root" */
    const char *region;                  /* "us-east-1" */
    bool aws_defaults;                   /* new buckets as AWS makes them since 2023:
                                            BucketOwnerEnforced, all public access blocked */
    const char *const *domains;          /* virtual-hosted requests: Host BUCKET.<domain>
                                            (lower-case; "s3.localhost" by default) */
    size_t ndomains;
    const char *data_dir;                /* for the readiness check's free space, and
                                            the access-log spool (DATA/logspool) */
    struct s3_log_delivery *logs;        /* server access log spool and delivery
                                            (s3/log_delivery.h); NULL: none */
};

#endif
