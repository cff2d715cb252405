/* fuzz/cors.c — a bucket's CORS rules and the matchers that answer
 * browsers (s3/cors.c): the configuration is parsed and validated
 * (s3_cors_parse), then a preflight and an actual request built from the
 * input are answered with it (s3_cors_match, s3_cors_preflight,
 * s3_cors_actual), and the rules are written back as XML.
 * Input: "METHOD\n", "Origin\n", "Access-Control-Request-Method\n",
 * "Access-Control-Request-Headers\n", then the CORSConfiguration. */
#include "fuzz.h"

#include "s3/cors.h"
#include "util/xml_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz in = {data, size};
    struct fz_req f;
    fz_req_init(&f);
    struct pail_req *r = &f.req;
    struct pail_arena *a = r->arena;
    char *method = fz_line(&in, a), *origin = fz_line(&in, a);
    char *acrm = fz_line(&in, a), *acrh = fz_line(&in, a);
    size_t len;
    char *doc = fz_rest(&in, a, &len);
    if (method && *method)
        r->method = method;
    if (origin && *origin)
        f.hdrs[r->nheaders++] = (struct pail_hdr){"origin", origin};
    if (acrm && *acrm)
        f.hdrs[r->nheaders++] = (struct pail_hdr){"access-control-request-method", acrm};
    if (acrh && *acrh)
        f.hdrs[r->nheaders++] = (struct pail_hdr){"access-control-request-headers", acrh};

    const struct s3_cors *c = NULL;
    const char *why;
    if (s3_cors_parse(doc, len, a, &c, &why) == PAIL_OK) {
        bool star;
        unsigned bit = s3_cors_method_bit(acrm ? acrm : "");
        const struct s3_cors_rule *rule =
            s3_cors_match(c, origin ? origin : "", bit ? bit : S3_CORS_GET, acrh, &star);
        if (rule && (rule < c->rules || rule >= c->rules + c->n))
            abort();
        (void)s3_cors_match(c, origin ? origin : "", S3_CORS_PUT, NULL, &star);
        struct pail_buf *qb = pail_arena_alloc(a, sizeof *qb);
        pail_buf_init(qb, 1 << 22);
        pail_buf_in_arena(qb, a);
        struct pail_xml x;
        pail_xml_begin(&x, qb);
        pail_xml_open(&x, "CORSConfiguration");
        s3_cors_write(c, &x);
        pail_xml_close(&x);
        if (pail_xml_end(&x) != PAIL_OK)
            abort(); /* rules that parsed must write */
        for (size_t i = 0; i < c->n; i++)
            for (size_t j = 0; j < c->rules[i].origins.n; j++)
                (void)s3_cors_wildcard(c->rules[i].origins.v[j], origin ? origin : "", false);
    }
    r->err = PAIL_OK;
    (void)s3_cors_preflight(r, c, true);
    r->err = PAIL_OK;
    s3_cors_actual(r, c);
    fz_req_free(&f);
    return 0;
}
