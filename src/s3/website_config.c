/* s3/website_config.c — PutBucketWebsite, GetBucketWebsite,
 * DeleteBucketWebsite and the configuration they keep (see
 * website_config.h). */
#include "s3/website_config.h"

#include "core/arena.h"
#include "http/body.h"
#include "http/request.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation ---------------------------------------------------------- */

static bool valid_protocol(const char *p)
{
    return !p || strcmp(p, "http") == 0 || strcmp(p, "https") == 0;
}

/* A three-digit code in [lo, hi] into *out. */
static bool code_in(const char *s, int lo, int hi, int *out)
{
    if (!s || strlen(s) != 3 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
        s[2] < '0' || s[2] > '9')
        return false;
    *out = atoi(s);
    return *out >= lo && *out <= hi;
}

static enum pail_err check_rule(struct pail_req *r, const struct pail_xml_routing_rule *x,
                                struct s3_routing_rule *out)
{
    *out = (struct s3_routing_rule){.if_key_prefix = x->if_key_prefix, .host = x->host,
                                    .protocol = x->protocol,
                                    .replace_key_prefix = x->replace_key_prefix,
                                    .replace_key = x->replace_key};
    if (x->has_condition && !x->if_key_prefix && !x->if_error_code)
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "Condition cannot be empty. To redirect all requests without a "
                             "condition, the condition element shouldn't be present.");
    if (x->if_error_code && (!code_in(x->if_error_code, 400, 599, &out->if_error_code)))
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "The provided HTTP error code (%s) is not valid. Valid codes are "
                             "4XX or 5XX.", x->if_error_code);
    if (x->code && (!code_in(x->code, 301, 399, &out->code)))
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "The provided HTTP redirect code (%s) is not valid. Valid codes are "
                             "3XX except 300.", x->code);
    if (x->replace_key && x->replace_key_prefix)
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "You can only define ReplaceKeyPrefix or ReplaceKey but not both.");
    if (!valid_protocol(x->protocol))
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "Invalid protocol, protocol can be http or https. If not defined "
                             "the protocol will be selected automatically.");
    if (!x->host && !x->code && !x->protocol && !x->replace_key && !x->replace_key_prefix)
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "Redirect must contain at least one of the following: HostName, "
                             "Protocol, ReplaceKeyPrefixWith, ReplaceKeyWith, HttpRedirectCode.");
    return PAIL_OK;
}

/* The body's configuration, checked as AWS checks it. */
static enum pail_err parse_config(struct pail_req *r, struct s3_website *w)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    struct pail_xml_website x;
    enum pail_err e = pail_xml_parse_website(body, len, r->arena, &x);
    if (e == PAIL_E_InvalidRequest)
        return pail_req_fail(r, e, "The number of routing rules must not exceed the allowed "
                                   "limit of %d rules.", PAIL_XML_ROUTING_RULES_MAX);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    memset(w, 0, sizeof *w);
    if (x.has_redirect_all) {
        if (x.has_index || x.has_error || x.has_rules)
            return pail_req_fail(r, PAIL_E_InvalidArgument,
                                 "RedirectAllRequestsTo cannot be provided in conjunction with "
                                 "other Routing Rules.");
        if (!valid_protocol(x.redirect_protocol))
            return pail_req_fail(r, PAIL_E_InvalidArgument,
                                 "Invalid protocol, protocol can be http or https. If not "
                                 "defined the protocol will be selected automatically.");
        w->redirect_host = x.redirect_host;
        w->redirect_protocol = x.redirect_protocol;
        return PAIL_OK;
    }
    if (!x.has_index)
        return pail_req_fail(r, PAIL_E_InvalidArgument,
                             "A value for IndexDocument Suffix must be provided if "
                             "RedirectAllRequestsTo is empty");
    if (!x.index_suffix || !*x.index_suffix || strchr(x.index_suffix, '/'))
        return pail_req_fail(r, PAIL_E_InvalidArgument,
                             "The IndexDocument Suffix is not well formed");
    if (x.error_key && !*x.error_key)
        return pail_req_fail(r, PAIL_E_InvalidArgument, "The ErrorDocument Key is not well formed");
    w->index_suffix = x.index_suffix;
    w->error_key = x.error_key;
    w->rules = pail_arena_alloc(r->arena, (x.nrules + 1) * sizeof *w->rules);
    for (size_t i = 0; i < x.nrules; i++)
        if (check_rule(r, &x.rules[i], &w->rules[w->nrules++]) != PAIL_OK)
            return r->err;
    return PAIL_OK;
}

/* ---- the stored form ---------------------------------------------------- */

static void set_str(json_t *o, const char *name, const char *v)
{
    if (v)
        json_object_set_new(o, name, json_string(v));
}

static const char *to_json(struct pail_arena *a, const struct s3_website *w)
{
    json_t *o = json_object();
    set_str(o, "index", w->index_suffix);
    set_str(o, "error", w->error_key);
    set_str(o, "redirect_host", w->redirect_host);
    set_str(o, "redirect_protocol", w->redirect_protocol);
    json_t *rules = json_array();
    for (size_t i = 0; i < w->nrules; i++) {
        const struct s3_routing_rule *rr = &w->rules[i];
        json_t *j = json_object();
        set_str(j, "if_prefix", rr->if_key_prefix);
        if (rr->if_error_code)
            json_object_set_new(j, "if_code", json_integer(rr->if_error_code));
        set_str(j, "host", rr->host);
        set_str(j, "protocol", rr->protocol);
        set_str(j, "replace_prefix", rr->replace_key_prefix);
        set_str(j, "replace_key", rr->replace_key);
        if (rr->code)
            json_object_set_new(j, "code", json_integer(rr->code));
        json_array_append_new(rules, j);
    }
    json_object_set_new(o, "rules", rules);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    const char *copy = s ? pail_arena_strdup(a, s) : NULL;
    free(s);
    return copy;
}

static const char *get_str(struct pail_arena *a, const json_t *o, const char *name)
{
    const char *v = json_string_value(json_object_get(o, name));
    return v ? pail_arena_strdup(a, v) : NULL;
}

bool s3_website_from_json(struct pail_arena *a, const char *json, struct s3_website *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return false;
    }
    out->index_suffix = get_str(a, o, "index");
    out->error_key = get_str(a, o, "error");
    out->redirect_host = get_str(a, o, "redirect_host");
    out->redirect_protocol = get_str(a, o, "redirect_protocol");
    const json_t *rules = json_object_get(o, "rules");
    size_t n = json_is_array(rules) ? json_array_size(rules) : 0;
    out->rules = pail_arena_alloc(a, (n + 1) * sizeof *out->rules);
    for (size_t i = 0; i < n; i++) {
        const json_t *j = json_array_get(rules, i);
        out->rules[out->nrules++] = (struct s3_routing_rule){
            .if_key_prefix = get_str(a, j, "if_prefix"),
            .if_error_code = (int)json_integer_value(json_object_get(j, "if_code")),
            .host = get_str(a, j, "host"), .protocol = get_str(a, j, "protocol"),
            .replace_key_prefix = get_str(a, j, "replace_prefix"),
            .replace_key = get_str(a, j, "replace_key"),
            .code = (int)json_integer_value(json_object_get(j, "code")),
        };
    }
    json_decref(o);
    return out->index_suffix || out->redirect_host;
}

/* ---- handlers ------------------------------------------------------------ */

enum pail_err s3_put_bucket_website(struct pail_req *r)
{
    struct s3_website w;
    if (parse_config(r, &w) != PAIL_OK)
        return r->err;
    const char *json = to_json(r->arena, &w);
    if (!json)
        return pail_req_fail(r, PAIL_E_InternalError, NULL);
    return s3_bucket_setting(r, "website", json);
}

static void elem_code(struct pail_xml *x, const char *name, int code)
{
    if (code)
        pail_xml_elem_u64(x, name, (uint64_t)code);
}

static void elem_opt(struct pail_xml *x, const char *name, const char *v)
{
    if (v)
        pail_xml_elem(x, name, v);
}

enum pail_err s3_get_bucket_website(struct pail_req *r)
{
    struct s3_website w;
    if (!s3_website_from_json(r->arena, s3_bucket_conf(r->bkt, "website"), &w))
        return pail_req_fail(r, PAIL_E_NoSuchWebsiteConfiguration, NULL);
    struct pail_xml x;
    s3_xml_start(r, &x, "WebsiteConfiguration");
    if (w.redirect_host) {
        pail_xml_open(&x, "RedirectAllRequestsTo");
        pail_xml_elem(&x, "HostName", w.redirect_host);
        elem_opt(&x, "Protocol", w.redirect_protocol);
        pail_xml_close(&x);
    }
    if (w.index_suffix) {
        pail_xml_open(&x, "IndexDocument");
        pail_xml_elem(&x, "Suffix", w.index_suffix);
        pail_xml_close(&x);
    }
    if (w.error_key) {
        pail_xml_open(&x, "ErrorDocument");
        pail_xml_elem(&x, "Key", w.error_key);
        pail_xml_close(&x);
    }
    if (w.nrules) {
        pail_xml_open(&x, "RoutingRules");
        for (size_t i = 0; i < w.nrules; i++) {
            const struct s3_routing_rule *rr = &w.rules[i];
            pail_xml_open(&x, "RoutingRule");
            if (rr->if_key_prefix || rr->if_error_code) {
                pail_xml_open(&x, "Condition");
                elem_code(&x, "HttpErrorCodeReturnedEquals", rr->if_error_code);
                elem_opt(&x, "KeyPrefixEquals", rr->if_key_prefix);
                pail_xml_close(&x);
            }
            pail_xml_open(&x, "Redirect");
            elem_opt(&x, "HostName", rr->host);
            elem_code(&x, "HttpRedirectCode", rr->code);
            elem_opt(&x, "Protocol", rr->protocol);
            elem_opt(&x, "ReplaceKeyPrefixWith", rr->replace_key_prefix);
            elem_opt(&x, "ReplaceKeyWith", rr->replace_key);
            pail_xml_close(&x);
            pail_xml_close(&x);
        }
        pail_xml_close(&x);
    }
    pail_xml_close(&x);
    return PAIL_OK;
}

enum pail_err s3_delete_bucket_website(struct pail_req *r)
{
    return s3_bucket_setting_delete(r, "website");
}
