/* fuzz/sigv2.c — legacy SigV2 as auth.c runs it: "AWS AKID:sig" headers and
 * ?AWSAccessKeyId=&Expires=&Signature= URLs, the string to sign
 * (CanonicalizedAmzHeaders, CanonicalizedResource with its sub-resources,
 * the query-auth stand-ins for headers) and pail_auth_verify() with the
 * fixed keystore. When the first input byte is odd the harness signs the
 * request itself (the first string auth.c tries: the resource path as
 * pail_sigv2_resource_path gives it, values as sent, the Date header) so
 * the check runs to its end and must succeed.
 * Input: one steering byte, "METHOD TARGET\n", header lines. */
#include "fuzz.h"

#include "auth/sigv2.h"
#include "auth/sigv4.h"
#include "core/buf.h"
#include "util/time.h"

static struct pail_sigv2_hdr *v2_headers(struct pail_req *r)
{
    struct pail_sigv2_hdr *h = pail_arena_alloc(r->arena, (r->nheaders + 1) * sizeof *h);
    for (size_t i = 0; i < r->nheaders; i++)
        h[i] = (struct pail_sigv2_hdr){r->headers[i].name, r->headers[i].value};
    return h;
}

static bool sign(struct pail_req *r, bool query, const char *date, char sig[29])
{
    struct pail_sigv2_input in = {
        .method = r->method, .raw_path = pail_sigv2_resource_path(r->arena, r->raw_path),
        .raw_query = r->raw_query, .headers = v2_headers(r), .nheaders = r->nheaders,
        .date = date, .query_auth = query,
    };
    return pail_sigv2_signature(r->arena, &in, FZ_SK, sig) == PAIL_OK;
}

static bool resign_header(struct pail_req *r)
{
    struct pail_hdr *h = NULL;
    for (size_t i = 0; i < r->nheaders && !h; i++)
        if (strcmp(r->headers[i].name, "authorization") == 0)
            h = &r->headers[i];
    const char *ak, *given, *x = pail_req_header(r, "x-amz-date");
    const char *d = pail_req_header(r, "date");
    time_t t;
    if (!h || pail_sigv2_parse_authorization(r->arena, h->value, &ak, &given) != PAIL_OK ||
        strcmp(ak, FZ_AK) != 0)
        return false;
    const char *when = x ? x : d;
    if (!when || !(pail_time_parse_http(when, &t) || pail_time_parse_amz(when, &t)) || t < 0)
        return false;
    char sig[29];
    if (!sign(r, false, d ? d : "", sig))
        return false;
    h->value = pail_arena_printf(r->arena, "AWS %s:%s", FZ_AK, sig);
    r->now = t;
    return true;
}

/* ?...&Signature=<urlencoded base64>: every Signature parameter dropped,
 * the new one appended (V2 signs no Signature parameter). */
static bool resign_query(struct pail_req *r)
{
    struct pail_arena *a = r->arena;
    const char *exp = pail_sigv4_query_get(a, r->raw_query, "Expires");
    if (!exp)
        return false;
    /* In the arena, which frees its memory: the cleanup outlives this frame. */
    struct pail_buf *qb = pail_arena_alloc(a, sizeof *qb);
    pail_buf_init(qb, 1 << 20);
    pail_buf_in_arena(qb, a);
    for (const char *p = r->raw_query; *p;) {
        size_t seg = strcspn(p, "&");
        if (!(seg >= 10 && strncmp(p, "Signature=", 10) == 0) &&
            !(seg == 9 && strncmp(p, "Signature", 9) == 0)) {
            pail_buf_append(qb, p, seg);
            pail_buf_puts(qb, "&");
        }
        p += seg + (p[seg] == '&');
    }
    r->raw_query = qb->data ? pail_arena_strdup(a, qb->data) : "";
    char sig[29];
    if (!sign(r, true, exp, sig))
        return false;
    pail_buf_puts(qb, "Signature=");
    for (const char *c = sig; *c; c++)
        pail_buf_printf(qb, *c == '+' || *c == '/' || *c == '=' ? "%%%02X" : "%c", *c);
    if (qb->overflow)
        return false;
    r->raw_query = qb->data;
    const char *got = pail_sigv4_query_get(a, r->raw_query, "Signature");
    if (!got || strcmp(got, sig) != 0)
        return false;
    time_t e = 0;
    for (const char *c = exp; *c >= '0' && *c <= '9' && e < ((time_t)1 << 50); c++)
        e = e * 10 + (*c - '0');
    r->now = e > 0 ? e - 1 : 0;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz in = {data, size};
    uint8_t mode = fz_byte(&in);
    struct fz_req f;
    fz_req_init(&f);
    struct pail_req *r = &f.req;
    struct pail_arena *a = r->arena;
    fz_req_line(&f, &in);
    fz_req_headers(&f, &in);

    /* The pieces on their own, over both bare-empty forms. */
    for (int bare = 0; bare < 2; bare++) {
        struct pail_buf b;
        pail_buf_init(&b, PAIL_SIGV2_MAX_STRING);
        (void)pail_sigv2_canonical_resource(a, &b, r->raw_path, r->raw_query, bare);
        pail_buf_free(&b);
        struct pail_sigv2_input si = {
            .method = r->method, .raw_path = r->raw_path, .raw_query = r->raw_query,
            .headers = v2_headers(r), .nheaders = r->nheaders, .date = "",
            .bare_empty = bare, .query_auth = bare,
        };
        pail_buf_init(&b, PAIL_SIGV2_MAX_STRING);
        (void)pail_sigv2_string_to_sign(a, &si, &b);
        pail_buf_free(&b);
    }
    (void)pail_sigv2_has_empty_subresource(r->raw_query);

    bool signed_by_us = false;
    if (mode & 1)
        signed_by_us = pail_req_header(r, "authorization") ? resign_header(r) : resign_query(r);
    enum pail_err e = pail_auth_verify(r);
    if (fz_verbose())
        fprintf(stderr, "auth: %s (signed here: %d) %s\n", pail_err_code(e), signed_by_us,
                r->err_msg ? r->err_msg : "");
    if (signed_by_us && e == PAIL_E_SignatureDoesNotMatch)
        abort();
    fz_req_free(&f);
    return 0;
}
