/* s3/common.c — see common.h. */
#include "s3/common.h"

#include "core/limits.h"
#include "core/log.h"
#include "http/request.h"
#include "s3/bucket_cache.h"
#include "s3/services.h"
#include "store/data.h"
#include "store/reaper.h"
#include "util/encode.h"
#include "util/time.h"
#include "util/xml_out.h"

#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>


enum pail_err s3_bucket_setting(struct pail_req *r, const char *name, const char *doc)
{
    enum pail_err e = pail_meta_bucket_conf_put(r->svc->meta, r->bucket, name, doc);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    s3_bucket_changed(r->svc->buckets, r->bucket);
    return PAIL_OK;
}

enum pail_err s3_bucket_setting_delete(struct pail_req *r, const char *name)
{
    if (s3_bucket_conf(r->bkt, name) && s3_bucket_setting(r, name, NULL) != PAIL_OK)
        return r->err;
    r->resp.status = 204;
    return PAIL_OK;
}

enum pail_err s3_upload_lookup(struct pail_req *r, struct pail_upload_rec *u)
{
    const char *id = pail_req_query(r, "uploadId");
    enum pail_err e = pail_meta_upload_get(r->svc->meta, r->bucket, r->key, id, r->arena, u);
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
}

static bool stored_header(const char *name)
{
    static const char *const names[] = {
        "cache-control", "content-disposition", "content-encoding", "content-language",
        "expires", "x-amz-website-redirect-location", "x-amz-storage-class", NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return strncmp(name, "x-amz-meta-", 11) == 0;
}

/* aws-chunked is transport framing, never part of the stored encoding.
 * Returns the remaining comma-separated codings, or NULL when none remain. */
static const char *strip_aws_chunked(struct pail_req *r, const char *v)
{
    if (!strstr(v, "aws-chunked"))
        return v;
    /* Each kept coding keeps the separator the client wrote before it
     * ("deflate, gzip,aws-chunked" is stored as "deflate, gzip"). */
    char *out = pail_arena_alloc(r->arena, strlen(v) + 1), *o = out;
    const char *sep = v; /* where the separator before the next coding starts */
    for (const char *p = v; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t t = n;
        while (t && p[t - 1] == ' ')
            t--;
        if (t && !(t == 11 && !memcmp(p, "aws-chunked", 11))) {
            if (o != out) {
                memcpy(o, sep, (size_t)(p - sep));
                o += p - sep;
            }
            memcpy(o, p, t);
            o += t;
        }
        sep = p + t;
        p += n;
    }
    *o = 0;
    return *out ? out : NULL;
}

static bool valid_storage_class(const char *v)
{
    static const char *const classes[] = {
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
        "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", NULL};
    for (int i = 0; classes[i]; i++)
        if (strcmp(v, classes[i]) == 0)
            return true;
    return false;
}

enum pail_err s3_stored_headers(struct pail_req *r, const char **json)
{
    const char *sc = pail_req_header(r, "x-amz-storage-class");
    if (sc && !valid_storage_class(sc))
        return pail_req_fail(r, PAIL_E_InvalidStorageClass, NULL);
    json_t *obj = json_object();
    size_t user = 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct pail_hdr *h = &r->headers[i];
        if (!stored_header(h->name))
            continue;
        const char *v = h->value;
        if (strcmp(h->name, "content-encoding") == 0 && !(v = strip_aws_chunked(r, v)))
            continue;
        if (strncmp(h->name, "x-amz-meta-", 11) == 0)
            user += strlen(h->name) - 11 + strlen(v);
        json_object_set_new(obj, h->name, json_string(v));
    }
    char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    *json = pail_arena_strdup(r->arena, s ? s : "{}");
    free(s);
    if (user > pail_limits.metadata_bytes)
        return pail_req_fail(r, PAIL_E_MetadataTooLarge, NULL);
    return PAIL_OK;
}

const char *s3_content_type(struct pail_req *r)
{
    const char *ct = pail_req_header(r, "content-type");
    return ct && *ct ? ct : "binary/octet-stream";
}

void s3_emit_stored_headers(struct pail_req *r, const struct json_t *headers)
{
    const char *name;
    json_t *v;
    json_t *obj = (json_t *)headers; /* jansson's iteration macros are not const */
    if (!obj)
        return;
    json_object_foreach(obj, name, v)
    {
        if (json_is_string(v))
            pail_resp_header(r, name, json_string_value(v));
    }
}

const char *s3_quoted(struct pail_req *r, const char *etag)
{
    size_t n = strlen(etag);
    char *q = pail_arena_alloc(r->arena, n + 3);
    q[0] = '"';
    memcpy(q + 1, etag, n);
    q[n + 1] = '"';
    return q;
}

void s3_drop_garbage(struct pail_req *r, const struct pail_garbage *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->ids[i] && *g->ids[i])
            pail_reaper_add(r->svc->reaper, r->svc->data, g->ids[i]);
}

void s3_xml_start(struct pail_req *r, struct pail_xml *x, const char *root)
{
    pail_xml_begin(x, pail_resp_xml(r));
    pail_xml_open_ns(x, root, S3_XMLNS);
}

const char *s3_token_encode(struct pail_req *r, const char *last)
{
    size_t n = strlen(last);
    char *t = pail_arena_alloc(r->arena, 4 * ((n + 2) / 3) + 1);
    pail_base64((const unsigned char *)last, n, t);
    return t;
}

enum pail_err s3_token_decode(struct pail_req *r, const char *tok, const char **after)
{
    size_t n = strlen(tok);
    unsigned char *d = pail_arena_alloc(r->arena, n + 1);
    long len = pail_unbase64(tok, d, n);
    if (len < 0 || memchr(d, 0, (size_t)len))
        return pail_req_fail(r, PAIL_E_InvalidArgument, "The continuation token provided is incorrect");
    d[len] = 0;
    *after = (const char *)d;
    return PAIL_OK;
}

int64_t s3_now_ms(struct pail_req *r)
{
    (void)r;
    return pail_time_now_ms();
}

enum pail_err s3_parse_uint(struct pail_req *r, const char *name, const char *s,
                            uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s < '0' || *s > '9' || *end || v < min || v > max)
        return pail_req_fail(r, PAIL_E_InvalidArgument, "Invalid value for %s: %s", name, s);
    *out = v;
    return PAIL_OK;
}

enum pail_err s3_copy_source(struct pail_req *r, const char **bucket, const char **key)
{
    const char *src = pail_req_header(r, "x-amz-copy-source");
    size_t n = strlen(src);
    const char *q = strchr(src, '?');
    if (q) {
        if (strcmp(q, "?versionId=null") != 0)
            return pail_req_fail(r, PAIL_E_NotImplemented, "Versioned copy sources are not supported");
        n = (size_t)(q - src);
    }
    char *dec = pail_arena_alloc(r->arena, n + 1);
    if (pail_uri_decode(src, n, dec, false) < 0)
        return pail_req_fail(r, PAIL_E_InvalidArgument, "Invalid copy source encoding");
    if (*dec == '/')
        dec++;
    char *slash = strchr(dec, '/');
    if (!slash || slash == dec || !slash[1])
        return pail_req_fail(r, PAIL_E_InvalidArgument, "Invalid copy source object key");
    *slash = 0;
    *bucket = dec;
    *key = slash + 1;
    return PAIL_OK;
}

/* ETag lists in If-Match may be quoted, weak, or "*". */
static bool etag_matches(const char *list, const char *etag)
{
    char want[128];
    snprintf(want, sizeof want, "\"%s\"", etag);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        size_t n = (size_t)(e - p);
        while (n && p[n - 1] == ' ')
            n--;
        if ((n == 1 && *p == '*') || (n == strlen(want) && !memcmp(p, want, n)) ||
            (n == strlen(etag) && !memcmp(p, etag, n)))
            return true;
        p = e;
    }
    return false;
}

enum pail_err s3_write_conditions(struct pail_req *r)
{
    const char *inm = pail_req_header(r, "if-none-match");
    const char *im = pail_req_header(r, "if-match");
    if (!inm && !im)
        return PAIL_OK;
    struct pail_object_rec cur;
    enum pail_err e = pail_meta_object_get(r->svc->meta, r->bucket, r->key, r->arena, &cur);
    if (e == PAIL_E_NoSuchKey)
        return im ? pail_req_fail(r, PAIL_E_NoSuchKey, NULL) : PAIL_OK;
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    return s3_conditions(r, "if-", &cur, false);
}

/* The request header prefix + suffix ("if-" + "match"), or NULL. */
static const char *prefixed_header(struct pail_req *r, const char *prefix, const char *suffix)
{
    char name[64];
    size_t a = strlen(prefix), b = strlen(suffix);
    if (a + b >= sizeof name)
        return NULL;
    memcpy(name, prefix, a);
    memcpy(name + a, suffix, b + 1);
    return pail_req_header(r, name);
}

enum pail_err s3_conditions(struct pail_req *r, const char *prefix,
                            const struct pail_object_rec *o, bool allow_304)
{
    time_t mtime = (time_t)(o->mtime_ms / 1000), t;
    const char *im = prefixed_header(r, prefix, "match");
    const char *inm = prefixed_header(r, prefix, "none-match");
    const char *ims = prefixed_header(r, prefix, "modified-since");
    const char *ius = prefixed_header(r, prefix, "unmodified-since");
    enum pail_err not_mod = allow_304 ? PAIL_E_NotModified : PAIL_E_PreconditionFailed;
    /* RFC 7232 §6 order: If-Match, then If-Unmodified-Since only without it. */
    if (im && !etag_matches(im, o->etag))
        return pail_req_fail(r, PAIL_E_PreconditionFailed, NULL);
    if (!im && ius && pail_time_parse_http(ius, &t) && mtime > t)
        return pail_req_fail(r, PAIL_E_PreconditionFailed, NULL);
    if (inm && etag_matches(inm, o->etag))
        return pail_req_fail(r, not_mod, NULL);
    if (!inm && ims && pail_time_parse_http(ims, &t) && mtime <= t)
        return pail_req_fail(r, not_mod, NULL);
    return PAIL_OK;
}
