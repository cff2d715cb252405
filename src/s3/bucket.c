/* s3/bucket.c — ListBuckets and the bucket-level operations: CreateBucket,
 * HeadBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning. */
#include "http/body.h"
#include "http/request.h"
#include "s3/services.h"
#include "s3/bucket_cache.h"
#include "s3/acl_request.h"
#include "s3/common.h"
#include "s3/owner.h"
#include "s3/handlers.h"
#include "util/time.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <ctype.h>
#include <string.h>

/* ListBuckets paging: prefix, max-buckets and an opaque continuation token
 * (the last name returned, base64). */
struct bucket_page {
    const char *prefix, *after, *token;
    uint64_t max;
};

static enum pail_err bucket_page(struct pail_req *r, struct bucket_page *pg)
{
    pg->prefix = pail_req_query(r, "prefix");
    pg->token = pail_req_query(r, "continuation-token");
    pg->after = "";
    pg->max = 10000;
    const char *mb = pail_req_query(r, "max-buckets");
    if (mb && s3_parse_uint(r, "max-buckets", mb, 1, 10000, &pg->max) != PAIL_OK)
        return r->err;
    return pg->token ? s3_token_decode(r, pg->token, &pg->after) : PAIL_OK;
}

enum pail_err s3_list_buckets(struct pail_req *r)
{
    struct pail_bucket_rec *b;
    size_t n;
    struct bucket_page pg;
    if (bucket_page(r, &pg) != PAIL_OK)
        return r->err;
    enum pail_err e = pail_meta_bucket_list(r->svc->meta, r->arena, &b, &n);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    struct pail_xml x;
    s3_xml_start(r, &x, "ListAllMyBucketsResult");
    const char *me = r->auth.principal.account;
    s3_write_owner_as(r, &x, "Owner", me);
    pail_xml_open(&x, "Buckets");
    uint64_t listed = 0;
    const char *last = NULL;
    bool more = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s3_owner_account(r, b[i].owner), me) != 0 || /* the caller's account's */
            strcmp(b[i].name, pg.after) <= 0 ||
            (pg.prefix && strncmp(b[i].name, pg.prefix, strlen(pg.prefix)) != 0))
            continue;
        if (listed == pg.max) {
            more = true;
            break;
        }
        listed++;
        last = b[i].name;
        char when[32];
        pail_time_iso8601(b[i].created_ms, when);
        pail_xml_open(&x, "Bucket");
        pail_xml_elem(&x, "Name", b[i].name);
        pail_xml_elem(&x, "CreationDate", when);
        pail_xml_elem(&x, "BucketRegion", *b[i].region ? b[i].region : r->svc->region);
        pail_xml_close(&x);
    }
    pail_xml_close(&x);
    if (more && last)
        pail_xml_elem(&x, "ContinuationToken", s3_token_encode(r, last));
    if (pg.prefix)
        pail_xml_elem(&x, "Prefix", pg.prefix);
    pail_xml_close(&x);
    return PAIL_OK;
}

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static bool has_suffix(const char *s, const char *x)
{
    size_t n = strlen(s), m = strlen(x);
    return n >= m && strcmp(s + n - m, x) == 0;
}

static bool looks_like_ip(const char *s)
{
    int dots = 0;
    for (; *s; s++) {
        if (*s == '.')
            dots++;
        else if (!isdigit((unsigned char)*s))
            return false;
    }
    return dots == 3;
}

/* AWS general-purpose bucket naming rules. */
static bool valid_bucket_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '.' || c == '-'))
            return false;
        if (c == '.' && (s[i + 1] == '.' || s[i + 1] == '-' || (i && s[i - 1] == '-')))
            return false;
    }
    if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    static const char *const bad_prefix[] = {"xn--", "sthree-", "amzn-s3-demo-", NULL};
    static const char *const bad_suffix[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3",
                                             "--table-s3", NULL};
    for (int i = 0; bad_prefix[i]; i++)
        if (has_prefix(s, bad_prefix[i]))
            return false;
    for (int i = 0; bad_suffix[i]; i++)
        if (has_suffix(s, bad_suffix[i]))
            return false;
    return !looks_like_ip(s);
}

/* A LocationConstraint names a region ("eu-west-1", "us-gov-west-1") or is
 * the legacy "EU"; "us-east-1" itself is never a valid constraint. */
static bool valid_region(const char *s)
{
    if (strcmp(s, "EU") == 0)
        return true;
    if (strcmp(s, "us-east-1") == 0 || !islower((unsigned char)s[0]) ||
        !islower((unsigned char)s[1]) || s[2] != '-')
        return false;
    static const char *const areas[] = {"us-", "eu-", "ap-", "ca-", "sa-", "me-", "af-",
                                        "il-", "mx-", "cn-", NULL};
    bool known = false;
    for (int i = 0; areas[i]; i++)
        known |= strncmp(s, areas[i], 3) == 0;
    size_t n = strlen(s);
    if (!known || n > 32 || !isdigit((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 3; i < n; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
            return false;
    return s[n - 2] == '-';
}

/* CreateBucket of a name that exists: BucketAlreadyExists when another
 * account owns it; for the owner, BucketAlreadyOwnedByYou — except in
 * us-east-1 (when the bucket is there too), where AWS, "for legacy
 * compatibility", answers 200 and resets the bucket's ACL: to the one the
 * request carries, else private. */
static enum pail_err exists(struct pail_req *r, const char *loc)
{
    const struct s3_bucket *b = r->bkt;
    const char *owner = s3_owner_account(r, b->rec.owner);
    if (strcmp(owner, r->auth.principal.account) != 0)
        return pail_req_fail(r, PAIL_E_BucketAlreadyExists, NULL);
    if (loc || strcmp(r->svc->region, "us-east-1") != 0 || *b->rec.region)
        return pail_req_fail(r, PAIL_E_BucketAlreadyOwnedByYou, NULL);
    if (b->has_ownership && b->ownership == S3_OWN_ENFORCED)
        return PAIL_OK; /* no ACL to reset */
    const char *acl = NULL;
    if (s3_request_acl(r, b, false, false, owner, NULL, &acl) != PAIL_OK)
        return r->err;
    if (!acl && !b->acl)
        return PAIL_OK;
    return s3_bucket_setting(r, "acl", acl);
}

/* The settings a new bucket starts with: x-amz-object-ownership and the
 * ACL headers, else the server's defaults (the course's: ACLs on, nothing
 * blocked; with --aws-defaults AWS's since 2023: BucketOwnerEnforced and
 * every public access block on). */
static enum pail_err new_bucket_settings(struct pail_req *r, struct pail_conf *conf,
                                         size_t *n)
{
    const char *own = pail_req_header(r, "x-amz-object-ownership");
    if (own && strcmp(own, "BucketOwnerEnforced") != 0 &&
        strcmp(own, "BucketOwnerPreferred") != 0 && strcmp(own, "ObjectWriter") != 0)
        return pail_req_fail(r, PAIL_E_InvalidArgument, "Invalid x-amz-object-ownership header: %s",
                             own);
    bool aws = r->svc->aws_defaults;
    if (!own && aws)
        own = "BucketOwnerEnforced";
    bool enforced = own && strcmp(own, "BucketOwnerEnforced") == 0;
    const char *acl = NULL;
    if (enforced && s3_request_has_acl(r)) {
        const char *canned = pail_req_header(r, "x-amz-acl");
        if (!canned || (strcmp(canned, "private") != 0 &&
                        strcmp(canned, "bucket-owner-full-control") != 0))
            return pail_req_fail(r, PAIL_E_InvalidBucketAclWithObjectOwnership, NULL);
    } else if (s3_request_acl(r, NULL, false, aws, r->auth.principal.account, NULL, &acl) !=
               PAIL_OK) {
        return r->err;
    }
    *n = 0;
    if (acl)
        conf[(*n)++] = (struct pail_conf){"acl", acl};
    if (own)
        conf[(*n)++] = (struct pail_conf){"ownership", own};
    if (aws)
        conf[(*n)++] = (struct pail_conf){"pab", "1111"};
    return PAIL_OK;
}

enum pail_err s3_create_bucket(struct pail_req *r)
{
    if (!valid_bucket_name(r->bucket))
        return pail_req_fail(r, PAIL_E_InvalidBucketName, NULL);
    size_t len;
    const char *body = pail_body_data(r, &len);
    const char *loc = NULL;
    enum pail_err e = pail_xml_parse_create_bucket(body, len, r->arena, &loc);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    if (loc && !valid_region(loc))
        return pail_req_fail(r, PAIL_E_InvalidLocationConstraint, NULL);
    if (r->bkt)
        return exists(r, loc);
    struct pail_conf conf[3];
    struct pail_bucket_rec b = {
        .name = r->bucket,
        .created_ms = s3_now_ms(r),
        .region = loc ? loc : "",
        .owner = r->auth.principal.account,
        .conf = conf,
    };
    if (new_bucket_settings(r, conf, &b.nconf) != PAIL_OK)
        return r->err;
    e = pail_meta_bucket_create(r->svc->meta, &b);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    s3_bucket_changed(r->svc->buckets, r->bucket);
    /* As the request named the bucket: /bucket, or the virtual host's URL. */
    if (r->virtual_host)
        pail_resp_headerf(r, "Location", "%s://%s/", pail_req_scheme(r),
                          pail_req_header(r, "host"));
    else
        pail_resp_headerf(r, "Location", "/%s", r->bucket);
    return PAIL_OK;
}

enum pail_err s3_head_bucket(struct pail_req *r)
{
    const struct pail_bucket_rec *b = &r->bkt->rec;
    pail_resp_header(r, "x-amz-bucket-region", *b->region ? b->region : r->svc->region);
    return PAIL_OK;
}

enum pail_err s3_delete_bucket(struct pail_req *r)
{
    struct pail_garbage g = {0};
    enum pail_err e = pail_meta_bucket_delete(r->svc->meta, r->bucket, r->arena, &g);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    s3_bucket_changed(r->svc->buckets, r->bucket);
    s3_drop_garbage(r, &g);
    r->resp.status = 204;
    return PAIL_OK;
}

enum pail_err s3_get_bucket_location(struct pail_req *r)
{
    const struct pail_bucket_rec *b = &r->bkt->rec;
    struct pail_xml x;
    pail_xml_begin(&x, pail_resp_xml(r));
    pail_xml_open_ns(&x, "LocationConstraint", S3_XMLNS);
    if (*b->region)
        pail_xml_text(&x, b->region, strlen(b->region));
    pail_xml_close(&x);
    return PAIL_OK;
}

enum pail_err s3_get_bucket_versioning(struct pail_req *r)
{
    struct pail_xml x;
    s3_xml_start(r, &x, "VersioningConfiguration");
    pail_xml_close(&x);
    return PAIL_OK;
}
