/* s3/website_config.h — a bucket's static-website configuration
 * (PutBucketWebsite): validated as AWS validates it, kept as the bucket's
 * "website" setting (JSON), read back by GetBucketWebsite and by the website
 * endpoint (s3/website.c). Strings live in the request arena. */
#ifndef PAIL_S3_WEBSITE_CONFIG_H
#define PAIL_S3_WEBSITE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct pail_arena;

struct s3_routing_rule {
    const char *if_key_prefix;   /* Condition KeyPrefixEquals, or NULL */
    int if_error_code;           /* Condition HttpErrorCodeReturnedEquals, or 0 */
    const char *host, *protocol; /* Redirect; NULL: the request's */
    const char *replace_key_prefix, *replace_key; /* at most one */
    int code;                    /* HttpRedirectCode; 0: 301 */
};

struct s3_website {
    const char *index_suffix;    /* "index.html"; NULL with redirect_host */
    const char *error_key;       /* NULL: AWS's own error page */
    const char *redirect_host;   /* RedirectAllRequestsTo, or NULL */
    const char *redirect_protocol;
    struct s3_routing_rule *rules;
    size_t nrules;
};

/* The configuration a stored "website" setting holds; false when there is
 * none (or it cannot be read). */
bool s3_website_from_json(struct pail_arena *a, const char *json, struct s3_website *out);

#endif
