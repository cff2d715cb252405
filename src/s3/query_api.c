/* s3/query_api.c — see query_api.h. Parameters are the request's query
 * (GET, or POST with a query) followed by its form-encoded body (POST
 * Content-Type application/x-www-form-urlencoded, as every SDK sends). */
#include "s3/query_api.h"

#include "http/body.h"
#include "http/request.h"
#include "iam/iam_api.h"
#include "s3/authz.h"
#include "s3/handlers.h"
#include "s3/services.h"
#include "util/encode.h"
#include "util/time.h"

#include <string.h>

void s3_query_render_error(struct pail_req *r)
{
    struct pail_resp *rs = &r->resp;
    rs->headers = NULL;
    rs->tail = &rs->headers;
    rs->buf.len = 0;
    rs->buf.overflow = false;
    struct pail_buf *b = pail_resp_xml(r);
    const char *service = strcmp(r->auth.service, "sts") == 0 ? "sts" : "iam";
    /* IAM and STS say InvalidClientTokenId where S3 says InvalidAccessKeyId
     * or InvalidToken. */
    enum pail_err e = r->err == PAIL_E_InvalidAccessKeyId || r->err == PAIL_E_InvalidToken
                          ? PAIL_E_InvalidClientTokenId
                          : r->err;
    rs->status = pail_iam_error_doc(service, e, e == r->err ? r->err_msg : NULL, r->id, b);
}

/* Appends the name=value pairs of a form-encoded string to *v. */
static enum pail_err parse_form(struct pail_req *r, const char *s, size_t len,
                                struct pail_iam_param **v, size_t *n, size_t *cap)
{
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && s[j] != '&')
            j++;
        if (j > i) {
            const char *eq = memchr(s + i, '=', j - i);
            size_t nl = eq ? (size_t)(eq - (s + i)) : j - i;
            size_t vl = eq ? j - i - nl - 1 : 0;
            char *name = pail_arena_alloc(r->arena, nl + 1);
            char *value = pail_arena_alloc(r->arena, vl + 1);
            if (pail_uri_decode(s + i, nl, name, true) < 0 ||
                (eq && pail_uri_decode(eq + 1, vl, value, true) < 0))
                return pail_req_fail(r, PAIL_E_InvalidParameterValue, "Invalid form encoding");
            if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 16;
                struct pail_iam_param *nv = pail_arena_alloc(r->arena, nc * sizeof *nv);
                if (*n)
                    memcpy(nv, *v, *n * sizeof *nv);
                *v = nv;
                *cap = nc;
            }
            (*v)[(*n)++] = (struct pail_iam_param){name, value};
        }
        i = j + 1;
    }
    return PAIL_OK;
}

enum pail_err s3_query_api(struct pail_req *r)
{
    struct pail_iam_param *params = NULL;
    size_t n = 0, cap = 0;
    const char *q = r->raw_query ? r->raw_query : "";
    if (parse_form(r, q, strlen(q), &params, &n, &cap) != PAIL_OK)
        return r->err;
    size_t blen = 0;
    const char *body = r->body ? pail_body_data(r, &blen) : NULL;
    if (body && parse_form(r, body, blen, &params, &n, &cap) != PAIL_OK)
        return r->err;
    struct pail_iam_call call = {
        .service = strcmp(r->auth.service, "sts") == 0 ? "sts" : "iam",
        .params = params, .nparams = n,
        .access_key = r->auth.access_key, .caller = &r->auth.principal,
        .request_id = r->id, .now_ms = (int64_t)r->now * 1000,
    };
    call.ctx = s3_condition_context(r, &call.nctx);
    /* IAM's simulations of S3 resources are decided by the S3 authorizer */
    const struct pail_sim_hook sim = {s3_simulate, (void *)r->svc};
    call.sim = &sim;
    struct pail_buf *out = pail_resp_xml(r);
    int status = 200;
    const char *deny = NULL;
    pail_iam_handle(r->svc->identity, &call, r->arena, out, &status, &deny);
    r->resp.status = status;
    r->deny_reason = deny;
    return PAIL_OK;
}
