/* s3/bucket_logging.c — PutBucketLogging, GetBucketLogging and the
 * configuration they keep (see bucket_logging.h). Checks, in AWS's order:
 * the document's shape (MalformedXML), its grants, the target bucket's
 * existence and owner (InvalidTargetBucketForLogging), TargetGrants against
 * a target that takes no ACLs, and whether the logging service may write
 * there at all (s3/authz.h, s3_log_delivery_allowed). */
#include "s3/bucket_logging.h"

#include "core/arena.h"
#include "core/log.h"
#include "http/body.h"
#include "http/request.h"
#include "s3/authz.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "s3/owner.h"
#include "s3/services.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the stored form ---------------------------------------------------- */

static const char *const format_names[] = {"none", "simple", "partitioned"};

const char *s3_logging_to_json(struct pail_arena *a, const struct s3_logging *l)
{
    const char *grants = l->grants.n ? pail_acl_to_json(&l->grants, a) : NULL;
    if (l->grants.n && !grants)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "target", json_string(l->target_bucket));
    json_object_set_new(o, "prefix", json_string(l->target_prefix));
    json_object_set_new(o, "format", json_string(format_names[l->format]));
    if (l->format == S3_LOGKEY_PARTITIONED)
        json_object_set_new(o, "date_source",
                            json_string(l->event_time ? "EventTime" : "DeliveryTime"));
    if (grants)
        json_object_set_new(o, "grants", json_string(grants));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    const char *copy = s ? pail_arena_strdup(a, s) : NULL;
    free(s);
    return copy;
}

const struct s3_logging *s3_logging_from_json(struct pail_arena *a, const char *json)
{
    if (!json)
        return NULL;
    json_t *o = json_loads(json, 0, NULL);
    const char *target = json_string_value(json_object_get(o, "target"));
    const char *prefix = json_string_value(json_object_get(o, "prefix"));
    const char *format = json_string_value(json_object_get(o, "format"));
    const char *date = json_string_value(json_object_get(o, "date_source"));
    const char *grants = json_string_value(json_object_get(o, "grants"));
    struct s3_logging *l = pail_arena_alloc(a, sizeof *l);
    bool ok = target && prefix && format;
    l->target_bucket = ok ? pail_arena_strdup(a, target) : NULL;
    l->target_prefix = ok ? pail_arena_strdup(a, prefix) : NULL;
    for (int f = 0; ok && f < 3; f++)
        if (strcmp(format, format_names[f]) == 0)
            l->format = (enum s3_log_key_format)f;
    l->event_time = date && strcmp(date, "EventTime") == 0;
    if (ok && grants && pail_acl_from_json(grants, a, &l->grants) != PAIL_OK)
        ok = false;
    json_decref(o);
    if (!ok) {
        pail_error("stored logging configuration does not parse: %s", json);
        return NULL;
    }
    return l;
}

/* Into out, which must hold n + 1 bytes: the n-digit decimal v. */
static void digits(char *out, int n, int v)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
    out[n] = 0;
}

const char *s3_logging_object_key(struct pail_arena *a, const struct s3_logging *l,
                                  const char *account, const char *region,
                                  const char *bucket, time_t delivered, time_t event,
                                  const char *unique)
{
    struct tm d, e;
    gmtime_r(&delivered, &d);
    gmtime_r(l->event_time ? &event : &delivered, &e);
    char stamp[64], y[5], m[3], day[3];
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02d-%02d-%02d-%02d", d.tm_year + 1900,
             d.tm_mon + 1, d.tm_mday, d.tm_hour, d.tm_min, d.tm_sec);
    if (l->format != S3_LOGKEY_PARTITIONED)
        return pail_arena_printf(a, "%s%s-%s", l->target_prefix, stamp, unique);
    digits(y, 4, e.tm_year + 1900);
    digits(m, 2, e.tm_mon + 1);
    digits(day, 2, e.tm_mday);
    return pail_arena_printf(a, "%s%s/%s/%s/%s/%s/%s/%s-%s", l->target_prefix, account, region,
                             bucket, y, m, day, stamp, unique);
}

/* ---- PutBucketLogging ----------------------------------------------------- */

/* TargetGrants: an ACL's grants, with the three permissions log objects
 * take (AWS: FULL_CONTROL, READ, WRITE), e-mail grantees resolved. */
static enum pail_err parse_grants(struct pail_req *r, const struct pail_xml_logging *x,
                                  struct s3_logging *l)
{
    struct pail_grant *g = pail_arena_alloc(r->arena, (x->ngrants + 1) * sizeof *g);
    for (size_t i = 0; i < x->ngrants; i++) {
        const char *why = NULL;
        enum pail_err e = pail_acl_grant_from_xml(r->arena, &x->grants[i], &g[i], &why);
        if (e == PAIL_E_MalformedACLError)
            e = PAIL_E_MalformedXML; /* the logging document's code for every bad shape */
        if (e != PAIL_OK)
            return why ? pail_req_fail(r, e, "%s", why) : pail_req_fail(r, e, NULL);
        if (g[i].perm != PAIL_ACL_FULL_CONTROL && g[i].perm != PAIL_ACL_READ &&
            g[i].perm != PAIL_ACL_WRITE)
            return pail_req_fail(r, PAIL_E_MalformedXML, NULL);
    }
    l->grants = (struct pail_acl){.grants = g, .n = x->ngrants};
    enum pail_err e = pail_acl_resolve_emails(&l->grants, s3_email_canonical, r);
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
}

static enum pail_err parse_config(struct pail_req *r, const struct pail_xml_logging *x,
                                  struct s3_logging *l)
{
    memset(l, 0, sizeof *l);
    l->target_bucket = x->target_bucket;
    l->target_prefix = x->target_prefix ? x->target_prefix : "";
    if (x->partitioned) {
        l->format = S3_LOGKEY_PARTITIONED;
        const char *d = x->date_source;
        if (d && strcmp(d, "EventTime") != 0 && strcmp(d, "DeliveryTime") != 0)
            return pail_req_fail(r, PAIL_E_MalformedXML, NULL);
        l->event_time = d && strcmp(d, "EventTime") == 0;
    } else {
        l->format = x->has_key_format ? S3_LOGKEY_SIMPLE : S3_LOGKEY_NONE;
    }
    return parse_grants(r, x, l);
}

/* The target bucket, checked as AWS checks it, into *out. */
static enum pail_err check_target(struct pail_req *r, const struct s3_logging *l,
                                  const struct s3_bucket **out)
{
    const struct s3_bucket *t;
    enum pail_err e = s3_bucket_get(r->svc->buckets, l->target_bucket, r->arena, &t);
    if (e == PAIL_E_NoSuchBucket)
        return pail_req_fail(r, PAIL_E_InvalidTargetBucketForLogging,
                             "The target bucket for logging does not exist");
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    const char *source_owner = s3_owner_account(r, r->bkt->owner);
    if (strcmp(s3_owner_account(r, t->owner), source_owner) != 0)
        return pail_req_fail(r, PAIL_E_InvalidTargetBucketForLogging,
                             "The owner for the bucket to be logged and the target bucket "
                             "must be the same.");
    if (l->grants.n && t->has_ownership && t->ownership == S3_OWN_ENFORCED)
        return pail_req_fail(r, PAIL_E_AccessControlListNotSupported,
                             "The target bucket for logging does not allow ACLs");
    /* A key of the shape delivery will write, so that a policy's Resource
     * (arn:aws:s3:::target/prefix*) is tested as delivery will test it. */
    const char *key = s3_logging_object_key(r->arena, l, source_owner, r->svc->region,
                                            r->bucket, r->now, r->now, "0000000000000000");
    if (!s3_log_delivery_allowed(r, t, key, r->bucket, source_owner))
        return pail_req_fail(r, PAIL_E_InvalidTargetBucketForLogging,
                             "You must either provide the necessary permissions to the logging "
                             "service using a bucket policy or give the log-delivery group "
                             "WRITE and READ_ACP permissions to the target bucket");
    *out = t;
    return PAIL_OK;
}

enum pail_err s3_put_bucket_logging(struct pail_req *r)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    struct pail_xml_logging x;
    enum pail_err e = pail_xml_parse_logging(body, len, r->arena, &x);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    if (!x.enabled) { /* an empty BucketLoggingStatus turns logging off */
        if (r->bkt->logging && s3_bucket_setting(r, "logging", NULL) != PAIL_OK)
            return r->err;
        return PAIL_OK;
    }
    struct s3_logging l;
    const struct s3_bucket *target;
    if (parse_config(r, &x, &l) != PAIL_OK || check_target(r, &l, &target) != PAIL_OK)
        return r->err;
    const char *json = s3_logging_to_json(r->arena, &l);
    if (!json)
        return pail_req_fail(r, PAIL_E_InternalError, NULL);
    return s3_bucket_setting(r, "logging", json);
}

/* ---- GetBucketLogging ------------------------------------------------------ */

enum pail_err s3_get_bucket_logging(struct pail_req *r)
{
    const struct s3_logging *l = r->bkt->logging;
    struct pail_xml x;
    s3_xml_start(r, &x, "BucketLoggingStatus");
    if (l) {
        pail_xml_open(&x, "LoggingEnabled");
        pail_xml_elem(&x, "TargetBucket", l->target_bucket);
        pail_xml_elem(&x, "TargetPrefix", l->target_prefix);
        if (l->grants.n) {
            pail_xml_open(&x, "TargetGrants");
            pail_acl_write_grants(&x, &l->grants, s3_canonical_name, r);
            pail_xml_close(&x);
        }
        if (l->format != S3_LOGKEY_NONE) {
            pail_xml_open(&x, "TargetObjectKeyFormat");
            if (l->format == S3_LOGKEY_SIMPLE) {
                pail_xml_elem(&x, "SimplePrefix", "");
            } else {
                pail_xml_open(&x, "PartitionedPrefix");
                pail_xml_elem(&x, "PartitionDateSource",
                              l->event_time ? "EventTime" : "DeliveryTime");
                pail_xml_close(&x);
            }
            pail_xml_close(&x);
        }
        pail_xml_close(&x);
    }
    pail_xml_close(&x);
    return PAIL_OK;
}
