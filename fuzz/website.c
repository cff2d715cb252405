/* fuzz/website.c — a bucket's website configuration from PutBucketWebsite's
 * body to the website endpoint's routing: the body goes through the
 * request-body pipeline (http/body.c), is parsed and validated as
 * s3/website_config.c does it, stored as its JSON setting and read back,
 * and then the routing rules are matched against a key and an error
 * (s3/website.c's rule_for) and followed into a redirect. Both files are
 * included for their statics; the Makefile links without their objects.
 * Input: "key\n", "error code\n" (e.g. 404), "Host\n", then the
 * WebsiteConfiguration document. */
#include "fuzz.h"

#include "s3/website_config.c"
#include "s3/website.c"

#include "http/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz in = {data, size};
    struct fz_req f;
    fz_req_init(&f);
    struct pail_req *r = &f.req;
    struct pail_arena *a = r->arena;
    char *key = fz_line(&in, a), *code = fz_line(&in, a), *host = fz_line(&in, a);
    size_t len;
    char *doc = fz_rest(&in, a, &len);
    if (!key)
        key = "";
    f.hdrs[r->nheaders++] = (struct pail_hdr){"host", host && *host ? host : "b.s3-website.localhost"};
    r->method = "PUT";
    struct s3_website w;
    if (pail_body_begin(r, NULL, NULL, 1 << 20, PAIL_CKSUM_NONE, 0) == PAIL_OK &&
        pail_body_feed(r, doc, len) == PAIL_OK && pail_body_finish(r) == PAIL_OK &&
        parse_config(r, &w) == PAIL_OK) {
        const char *json = to_json(a, &w);
        struct s3_website back;
        if (!json || !s3_website_from_json(a, json, &back) || back.nrules != w.nrules)
            abort(); /* what PutBucketWebsite stores, the endpoint must read */
        int err = code ? atoi(code) : 0;
        int errs[2] = {0, err};
        for (int i = 0; i < 2; i++) {
            const struct s3_routing_rule *rr = rule_for(&back, key, errs[i]);
            if (!rr)
                continue;
            r->err = PAIL_OK;
            r->resp.status = 0;
            if (follow_rule(r, rr, key) == PAIL_OK &&
                (r->resp.status < 301 || r->resp.status > 399))
                abort();
        }
    }
    fz_req_free(&f);
    return 0;
}
