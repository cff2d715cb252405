/* s3/website.c — see website.h. */
#include "s3/website.h"

#include "core/arena.h"
#include "core/buf.h"
#include "http/request.h"
#include "s3/authz.h"
#include "s3/bucket_cache.h"
#include "s3/error.h"
#include "s3/handlers.h"
#include "s3/services.h"
#include "s3/website_config.h"
#include "util/encode.h"
#include "util/xml_out.h"

#include <jansson.h>
#include <string.h>

/* ---- redirects ------------------------------------------------------------ */

/* code (default 301) to protocol://host/key, each defaulting to the
 * request's own. */
static enum pail_err redirect(struct pail_req *r, int code, const char *protocol,
                              const char *host, const char *key)
{
    struct pail_buf b;
    pail_buf_init(&b, 16384);
    pail_buf_printf(&b, "%s://%s/", protocol ? protocol : pail_req_scheme(r),
                    host ? host : pail_req_header(r, "host"));
    pail_uri_encode(&b, key, strlen(key), false);
    bool ok = !b.overflow && b.data;
    if (ok)
        pail_resp_header(r, "Location", b.data);
    pail_buf_free(&b);
    if (!ok)
        return pail_req_fail(r, PAIL_E_InternalError, NULL);
    r->resp.status = code ? code : 301;
    return PAIL_OK;
}

/* The first rule whose condition holds for key and (0: before any lookup)
 * the error the request would get. */
static const struct s3_routing_rule *rule_for(const struct s3_website *w, const char *key,
                                              int error)
{
    for (size_t i = 0; i < w->nrules; i++) {
        const struct s3_routing_rule *rr = &w->rules[i];
        if (rr->if_error_code && rr->if_error_code != error)
            continue;
        if (!rr->if_error_code && error)
            continue; /* a prefix-only rule was decided before the lookup */
        if (rr->if_key_prefix && strncmp(key, rr->if_key_prefix, strlen(rr->if_key_prefix)) != 0)
            continue;
        return rr;
    }
    return NULL;
}

static enum pail_err follow_rule(struct pail_req *r, const struct s3_routing_rule *rr,
                                 const char *key)
{
    const char *to = key;
    if (rr->replace_key)
        to = rr->replace_key;
    else if (rr->replace_key_prefix)
        to = pail_arena_printf(r->arena, "%s%s", rr->replace_key_prefix,
                               key + (rr->if_key_prefix ? strlen(rr->if_key_prefix) : 0));
    return redirect(r, rr->code, rr->protocol, rr->host, to);
}

/* ---- objects ---------------------------------------------------------------- */

/* key's object into *o when it exists; false when it does not. */
static bool lookup(struct pail_req *r, const char *key, struct pail_object_rec *o)
{
    return pail_meta_object_get(r->svc->meta, r->bucket, key, r->arena, o) == PAIL_OK;
}

/* x-amz-website-redirect-location, from the object's stored headers. */
static const char *redirect_location(const struct pail_object_rec *o)
{
    if (!o->headers || !strstr(o->headers, "x-amz-website-redirect-location"))
        return NULL;
    json_t *h = json_loads(o->headers, 0, NULL);
    const char *v = json_string_value(json_object_get(h, "x-amz-website-redirect-location"));
    char *copy = v ? strdup(v) : NULL;
    json_decref(h);
    return copy;
}

/* Serves o (key) as a GET would, after the anonymous GetObject decision.
 * 403 when that is refused. */
static enum pail_err serve(struct pail_req *r, const char *key, struct pail_object_rec *o)
{
    if (s3_authorize_action(r, "s3:GetObject", r->bkt, key, o, true) != PAIL_OK)
        return r->err;
    char *to = (char *)redirect_location(o);
    if (to) {
        pail_resp_header(r, "Location", pail_arena_strdup(r->arena, to));
        free(to);
        r->resp.status = 301;
        return PAIL_OK;
    }
    r->key = key;
    /* o is the caller's (on its stack); r->obj outlives it (the access log
     * record reads the object's size after the response) */
    struct pail_object_rec *kept = pail_arena_alloc(r->arena, sizeof *kept);
    *kept = *o;
    r->obj = kept;
    return s3_get_object(r);
}

/* A missing key: 404 NoSuchKey when the anonymous principal may list the
 * bucket, else 403 (the REST API's rule). */
static enum pail_err missing(struct pail_req *r, const char *key)
{
    r->key = key; /* the page names the key looked for */
    if (s3_may_list(r, key))
        return pail_req_fail(r, PAIL_E_NoSuchKey, NULL);
    r->deny_reason = "no-list-permission";
    return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
}

/* The error document, served with the error's status in place of AWS's
 * page; false when there is none the anonymous principal may read (the
 * error then stands). */
static bool error_document(struct pail_req *r, const struct s3_website *w)
{
    struct pail_object_rec doc;
    if (!w->error_key)
        return false;
    if (!lookup(r, w->error_key, &doc)) {
        r->errdoc_key = w->error_key;
        r->errdoc_err = PAIL_E_NoSuchKey;
        return false;
    }
    enum pail_err err = r->err;
    const char *msg = r->err_msg, *why = r->deny_reason;
    int status = pail_err_status(err);
    r->err = PAIL_OK;
    r->err_msg = NULL;
    pail_s3_reset_response(r);
    r->resp.status = 0;
    if (serve(r, w->error_key, &doc) == PAIL_OK && r->resp.status < 300) {
        r->resp.status = status;
        r->deny_reason = why;
        return true;
    }
    r->errdoc_key = w->error_key;
    r->errdoc_err = r->err != PAIL_OK ? r->err : PAIL_E_AccessDenied;
    pail_s3_reset_response(r);
    r->err = err;
    r->err_msg = msg;
    r->deny_reason = why;
    return false;
}

enum pail_err s3_website_get(struct pail_req *r)
{
    struct s3_website w;
    if (!s3_website_from_json(r->arena, s3_bucket_conf(r->bkt, "website"), &w))
        return pail_req_fail(r, PAIL_E_NoSuchWebsiteConfiguration, NULL);
    const char *key = r->key ? r->key : "";
    if (w.redirect_host)
        return redirect(r, 0, w.redirect_protocol, w.redirect_host, key);
    const struct s3_routing_rule *rr = rule_for(&w, key, 0);
    if (rr)
        return follow_rule(r, rr, key);
    size_t n = strlen(key);
    const char *want = !n || key[n - 1] == '/'
                           ? pail_arena_printf(r->arena, "%s%s", key, w.index_suffix)
                           : key;
    struct pail_object_rec o;
    if (lookup(r, want, &o)) {
        if (serve(r, want, &o) == PAIL_OK)
            return PAIL_OK;
    } else if (want == key &&
               lookup(r, pail_arena_printf(r->arena, "%s/%s", key, w.index_suffix), &o)) {
        /* "folder" whose "folder/index.html" exists: the browser goes there */
        return redirect(r, 302, NULL, NULL, pail_arena_printf(r->arena, "%s/", key));
    } else {
        missing(r, want);
    }
    /* Only a missing or unreadable key has an error document and error
     * rules; a 304, 412 or 416 is the answer as it stands. */
    if (r->err != PAIL_E_NoSuchKey && r->err != PAIL_E_AccessDenied)
        return r->err;
    rr = rule_for(&w, key, pail_err_status(r->err));
    if (rr) {
        pail_s3_reset_response(r);
        r->err = PAIL_OK;
        r->err_msg = NULL;
        r->resp.status = 0;
        return follow_rule(r, rr, key);
    }
    error_document(r, &w);
    return r->err;
}

/* ---- errors ------------------------------------------------------------------ */

static void li(struct pail_buf *b, const char *name, const char *value)
{
    pail_buf_printf(b, "<li>%s: ", name);
    pail_xml_escape(b, value, strlen(value));
    pail_buf_puts(b, "</li>\n");
}

void s3_website_render_error(struct pail_req *r)
{
    if (!pail_s3_reset_response(r))
        return;
    int status = pail_err_status(r->err);
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {{400, "Bad Request"}, {403, "Forbidden"}, {404, "Not Found"},
                   {405, "Method Not Allowed"}, {412, "Precondition Failed"},
                   {416, "Requested Range Not Satisfiable"}, {500, "Internal Server Error"},
                   {501, "Not Implemented"}, {503, "Service Unavailable"}};
    const char *reason = "Error";
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status)
            reason = reasons[i].reason;
    const char *title = pail_arena_printf(r->arena, "%d %s", status, reason);
    struct pail_buf *b = &r->resp.buf;
    r->resp.kind = PAIL_RESP_BUF;
    pail_resp_header(r, "Content-Type", "text/html; charset=utf-8");
    pail_buf_printf(b, "<html>\n<head><title>%s</title></head>\n<body>\n<h1>%s</h1>\n<ul>\n",
                    title, title);
    li(b, "Code", pail_err_code(r->err));
    li(b, "Message", r->err_msg ? r->err_msg : pail_err_message(r->err));
    if (r->err == PAIL_E_NoSuchKey && r->key)
        li(b, "Key", r->key);
    if (r->err == PAIL_E_NoSuchBucket || r->err == PAIL_E_NoSuchWebsiteConfiguration)
        li(b, "BucketName", r->bucket ? r->bucket : "");
    li(b, "RequestId", r->id);
    li(b, "HostId", r->id);
    pail_buf_puts(b, "</ul>\n");
    if (r->errdoc_key) { /* configured, but missing or not public */
        pail_buf_puts(b, "<h3>An Error Occurred While Attempting to Retrieve a Custom Error "
                         "Document</h3>\n<ul>\n");
        li(b, "Code", pail_err_code(r->errdoc_err));
        li(b, "Message", pail_err_message(r->errdoc_err));
        if (r->errdoc_err == PAIL_E_NoSuchKey)
            li(b, "Key", r->errdoc_key);
        pail_buf_puts(b, "</ul>\n");
    }
    pail_buf_puts(b, "<hr/>\n</body>\n</html>\n");
    r->resp.status = status;
}
