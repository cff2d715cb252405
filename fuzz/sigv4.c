/* fuzz/sigv4.c — SigV4 as auth.c runs it: the Authorization header and
 * X-Amz-Credential parsers, the presigned query parameters, the canonical
 * request (URI, query, headers) and pail_auth_verify() with a fixed
 * keystore (AWS's example key). A fuzzer cannot forge an HMAC, so when the
 * first input byte is odd the harness signs the request itself, as a client
 * with the key would, and puts that signature in the header or the query:
 * verification then runs to its end (fill_auth, the streaming-key copy)
 * and must succeed.
 * Input: one steering byte, "METHOD TARGET\n", header lines. */
#include "fuzz.h"

#include "auth/crypto.h"
#include "auth/sigv4.h"
#include "core/buf.h"
#include "util/time.h"

static struct pail_sigv4_hdr *v4_headers(struct pail_req *r)
{
    struct pail_sigv4_hdr *h = pail_arena_alloc(r->arena, (r->nheaders + 1) * sizeof *h);
    for (size_t i = 0; i < r->nheaders; i++)
        h[i] = (struct pail_sigv4_hdr){r->headers[i].name, r->headers[i].value};
    return h;
}

/* The signature a client holding FZ_SK sends, or false when the request
 * cannot be signed (what auth.c refuses before it signs). */
static bool sign(struct pail_req *r, const struct pail_sigv4_cred *cred, const char *sh,
                 const char *amz_date, const char *payload, bool presigned, char sig[65])
{
    unsigned char key[PAIL_SHA256_LEN];
    pail_sigv4_signing_key(FZ_SK, cred->date, cred->region, cred->service, key);
    struct pail_sigv4_input in = {
        .method = r->method, .raw_path = r->raw_path, .raw_query = r->raw_query,
        .presigned = presigned, .headers = v4_headers(r), .nheaders = r->nheaders,
        .signed_headers = sh, .payload = payload,
    };
    return pail_sigv4_signature(r->arena, &in, amz_date, cred->scope, key, sig) == PAIL_OK;
}

/* Header auth: replaces the signature in the Authorization value. */
static bool resign_header(struct pail_req *r)
{
    struct pail_hdr *h = NULL;
    for (size_t i = 0; i < r->nheaders && !h; i++)
        if (strcmp(r->headers[i].name, "authorization") == 0)
            h = &r->headers[i]; /* the first, as pail_req_header finds it */
    struct pail_sigv4_authz az;
    const char *date = pail_req_header(r, "x-amz-date");
    const char *payload = pail_req_header(r, "x-amz-content-sha256");
    time_t t;
    if (!h || !date || !payload || !pail_sigv4_parse_amz_date(date, &t) ||
        pail_sigv4_parse_authorization(r->arena, h->value, &az, NULL) != PAIL_OK ||
        pail_sigv4_signs_header(az.signed_headers, "authorization"))
        return false; /* a header that signs itself cannot be re-signed */
    char *v = pail_arena_strdup(r->arena, h->value), *at = NULL;
    for (char *p = v; (p = strcasestr(p, az.signature)); p++)
        at = p; /* the last occurrence: the Signature= value */
    char sig[65];
    if (!at || !sign(r, &az.cred, az.signed_headers, date, payload, false, sig))
        return false;
    memcpy(at, sig, 64);
    h->value = v;
    r->now = t;
    return true;
}

/* Presigned: replaces the X-Amz-Signature parameter's value. */
static bool resign_query(struct pail_req *r)
{
    struct pail_arena *a = r->arena;
    const char *q = r->raw_query;
    const char *cs = pail_sigv4_query_get(a, q, "X-Amz-Credential");
    const char *date = pail_sigv4_query_get(a, q, "X-Amz-Date");
    const char *sh = pail_sigv4_query_get(a, q, "X-Amz-SignedHeaders");
    const char *payload = pail_sigv4_query_get(a, q, "X-Amz-Content-Sha256");
    if (!payload)
        payload = pail_sigv4_query_get(a, q, "x-amz-content-sha256"); /* as auth.c */
    struct pail_sigv4_cred cred;
    time_t t;
    if (!cs || !date || !sh || !pail_sigv4_parse_amz_date(date, &t) ||
        pail_sigv4_parse_credential(a, cs, &cred, NULL) != PAIL_OK)
        return false;
    /* The query without any X-Amz-Signature parameter, then a placeholder
     * for the new one: the canonical query leaves it out. */
    /* In the arena, which frees its memory: the cleanup outlives this frame. */
    struct pail_buf *qb = pail_arena_alloc(a, sizeof *qb);
    pail_buf_init(qb, 1 << 20);
    pail_buf_in_arena(qb, a);
    for (const char *p = q; *p;) {
        size_t seg = strcspn(p, "&");
        if (!(seg >= 16 && strncmp(p, "X-Amz-Signature=", 16) == 0) &&
            !(seg == 15 && strncmp(p, "X-Amz-Signature", 15) == 0)) {
            pail_buf_append(qb, p, seg);
            pail_buf_puts(qb, "&");
        }
        p += seg + (p[seg] == '&');
    }
    pail_buf_puts(qb, "X-Amz-Signature=");
    size_t at = qb->len;
    pail_buf_printf(qb, "%064d", 0);
    if (qb->overflow)
        return false;
    r->raw_query = qb->data;
    char sig[65];
    if (!sign(r, &cred, sh, date, payload ? payload : "UNSIGNED-PAYLOAD", true, sig))
        return false;
    memcpy(qb->data + at, sig, 64);
    r->raw_target = pail_arena_printf(a, "%s?%s", r->raw_path, qb->data);
    r->now = t;
    /* An escaped name ("X-Amz-Signatur%65") still names the parameter. */
    const char *got = pail_sigv4_query_get(a, r->raw_query, "X-Amz-Signature");
    return got && strcmp(got, sig) == 0;
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

    /* The parsers on their own. */
    const char *authz = pail_req_header(r, "authorization");
    struct pail_sigv4_authz az;
    const char *why = NULL;
    if (authz && pail_sigv4_parse_authorization(a, authz, &az, &why) == PAIL_OK) {
        if (strlen(az.signature) != 64 || strlen(az.cred.scope) >= 128)
            abort();
        struct pail_buf creq;
        pail_buf_init(&creq, PAIL_SIGV4_MAX_CANONICAL);
        struct pail_sigv4_input ci = {
            .method = r->method, .raw_path = r->raw_path, .raw_query = r->raw_query,
            .headers = v4_headers(r), .nheaders = r->nheaders,
            .signed_headers = az.signed_headers, .payload = "UNSIGNED-PAYLOAD",
        };
        (void)pail_sigv4_canonical_request(a, &ci, &creq);
        pail_buf_free(&creq);
    }
    const char *cs = pail_sigv4_query_get(a, r->raw_query, "X-Amz-Credential");
    struct pail_sigv4_cred cred;
    if (cs)
        (void)pail_sigv4_parse_credential(a, cs, &cred, &why);
    time_t t;
    const char *date = pail_req_header(r, "date");
    if (date)
        (void)pail_sigv4_parse_http_date(date, &t);

    bool signed_by_us = false;
    if (mode & 1)
        signed_by_us = authz ? resign_header(r) : resign_query(r);
    enum pail_err e = pail_auth_verify(r);
    if (fz_verbose())
        fprintf(stderr, "auth: %s (signed here: %d) %s\n", pail_err_code(e), signed_by_us,
                r->err_msg ? r->err_msg : "");
    /* Only refusals that come before the signature is compared may stop a
     * request the harness signed correctly. */
    if (signed_by_us && e == PAIL_E_SignatureDoesNotMatch)
        abort();
    if (e == PAIL_OK && r->auth.kind != PAIL_AUTH_ANONYMOUS && !r->auth.access_key &&
        !r->auth.deferred)
        abort();
    if (r->auth.deferred) {
        size_t n;
        const char *body = fz_rest(&in, a, &n);
        (void)pail_auth_verify_body(r, body, n);
    }
    fz_req_free(&f);
    return 0;
}
