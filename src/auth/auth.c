/* auth/auth.c — pail_auth_verify(): who sent the request and how its body is
 * protected (see auth.h). Owns the request-level policy of SigV4 and of the
 * legacy SigV2: which scheme applies (anonymous, Authorization header,
 * presigned query, each in V4 or V2), dates and clock skew, presigned expiry,
 * x-amz-content-sha256, the credential lookup and the final constant-time
 * signature check. The signature maths is in sigv4.c and sigv2.c. It never
 * logs or keeps the secret key; the derived SigV4 signing key is kept in
 * req->auth only for streaming (aws-chunked) uploads.
 *
 * Sections: 1. credentials  2. shared checks  3. header auth  4. query auth
 *           5. SigV2 (header and query)  6. entry point. */
#include "auth/auth.h"

#include "auth/crypto.h"
#include "auth/key_cache.h"
#include "auth/sigv2.h"
#include "auth/sigv4.h"
#include "http/request.h"
#include "s3/services.h"
#include "util/encode.h"
#include "util/time.h"

#include <string.h>

/* AWS answers bad presigned-URL parameters with AuthorizationQueryParametersError
 * (400); err.def has no such code yet, so the nearest 400 stands in. */
#define QUERY_PARAMS_ERR PAIL_E_AuthorizationQueryParametersError

static const char MSG_BAD_DATE[] = "AWS authentication requires a valid Date or x-amz-date header";
static const char MSG_CRED_DATE[] = "Invalid credential date. Date is not the same as X-Amz-Date.";

/* ---- 1. credentials ------------------------------------------------------ */

static enum pail_err fixed_lookup(void *ctx, const char *access_key, const char *token,
                                  const char *service, const char *region, char *secret,
                                  size_t cap, struct pail_arena *a, struct pail_principal *p,
                                  bool *temporary)
{
    const struct pail_creds *c = ctx;
    if (!c || !access_key || !c->access_key[0] || strcmp(c->access_key, access_key) != 0)
        return PAIL_E_InvalidAccessKeyId;
    if (token)
        return PAIL_E_InvalidToken;
    size_t n = strlen(c->secret_key);
    if (n >= cap)
        return PAIL_E_InvalidAccessKeyId;
    memcpy(secret, c->secret_key, n + 1);
    *p = (struct pail_principal){.type = PAIL_PT_ROOT, .account = "000000000000",
                                 .arn = "arn:aws:iam::000000000000:root",
                                 .canonical_id = PAIL_FIXED_CANONICAL_ID,
                                 .userid = "000000000000"};
    *temporary = false;
    return PAIL_OK;
}

void pail_keystore_fixed(struct pail_keystore *ks, const struct pail_creds *c)
{
    ks->lookup = fixed_lookup;
    ks->verified = NULL;
    ks->ctx = (void *)c;
}

/* Tells the keystore a signature by access_key checked out. */
static void verified(struct pail_req *req, const char *access_key, const char *service,
                     const char *region)
{
    const struct pail_keystore *ks = req->svc ? req->svc->keys : NULL;
    if (ks && ks->verified)
        ks->verified(ks->ctx, access_key, service, region);
}

/* The secret and principal behind access_key, from the server's keystore;
 * the principal goes to req->auth. */
static enum pail_err lookup_key(struct pail_req *req, const char *access_key,
                                const char *service, const char *region, char *secret,
                                size_t cap)
{
    const struct pail_keystore *ks = req->svc ? req->svc->keys : NULL;
    if (!ks)
        return pail_req_fail(req, PAIL_E_InvalidAccessKeyId, NULL);
    const char *q = req->raw_query ? req->raw_query : "";
    const char *token = pail_req_header(req, "x-amz-security-token");
    /* presigned: SigV4 spells it X-Amz-, botocore's SigV2 x-amz- (looked for
     * only when the query can hold it: most requests carry none) */
    if (!token && strstr(q, "-Security-Token="))
        token = pail_sigv4_query_get(req->arena, q, "X-Amz-Security-Token");
    if (!token && strstr(q, "-security-token="))
        token = pail_sigv4_query_get(req->arena, q, "x-amz-security-token");
    enum pail_err e = ks->lookup(ks->ctx, access_key, token, service, region, secret, cap,
                                 req->arena, &req->auth.principal, &req->auth.temporary);
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(req, e, NULL);
}

/* ---- 2. shared checks ---------------------------------------------------- */

/* Sets auth->payload from an x-amz-content-sha256 value. */
static enum pail_err classify_payload(struct pail_req *req, const char *v)
{
    static const struct {
        const char *name;
        enum pail_payload kind;
    } modes[] = {
        {"UNSIGNED-PAYLOAD", PAIL_PAYLOAD_UNSIGNED},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", PAIL_PAYLOAD_STREAMING_SIGNED},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER},
        {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", PAIL_PAYLOAD_STREAMING_UNSIGNED_TRAILER},
    };
    struct pail_auth *au = &req->auth;
    if (strlen(v) == PAIL_SHA256_HEX_LEN && pail_unhex(v, au->payload_sha256, PAIL_SHA256_LEN)) {
        au->payload = PAIL_PAYLOAD_SHA256;
        return PAIL_OK;
    }
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(v, modes[i].name) == 0) {
            au->payload = modes[i].kind;
            return PAIL_OK;
        }
    return pail_req_fail(req, PAIL_E_InvalidArgument,
                         "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                         "STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                         "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                         "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
                         "or a valid sha256 value.");
}

static bool is_streaming_signed(enum pail_payload p)
{
    return p == PAIL_PAYLOAD_STREAMING_SIGNED || p == PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER;
}

/* The request's headers in the shape sigv4.c takes. */
static struct pail_sigv4_hdr *sigv4_headers(struct pail_req *req)
{
    struct pail_sigv4_hdr *h = pail_arena_alloc(req->arena, (req->nheaders + 1) * sizeof(*h));
    for (size_t i = 0; i < req->nheaders; i++) {
        h[i].name = req->headers[i].name;
        h[i].value = req->headers[i].value;
    }
    return h;
}

/* Fills everything but the payload mode once the signature matched. */
static void fill_auth(struct pail_req *req, enum pail_auth_kind kind,
                      const struct pail_sigv4_cred *cred,
                      const char *signature, const char *amz_date,
                      const unsigned char key[PAIL_SHA256_LEN])
{
    struct pail_auth *au = &req->auth;
    au->kind = kind;
    au->access_key = pail_arena_strdup(req->arena, cred->access_key);
    memcpy(au->seed_signature, signature, PAIL_SHA256_HEX_LEN + 1);
    memcpy(au->amz_date, amz_date, 17);
    strncpy(au->scope, cred->scope, sizeof(au->scope) - 1);
    strncpy(au->service, cred->service, sizeof(au->service) - 1);
    /* The chain of chunk signatures needs the key; other modes never do. */
    if (is_streaming_signed(au->payload))
        memcpy(au->signing_key, key, PAIL_SHA256_LEN);
}

/* Looks the key up, recomputes the signature and compares in constant time. */
static enum pail_err check_signature(struct pail_req *req, enum pail_auth_kind kind,
                                     const struct pail_sigv4_cred *cred,
                                     const char *signed_headers, const char *given,
                                     const char *amz_date, const char *payload)
{
    char secret[PAIL_SECRET_MAX];
    if (lookup_key(req, cred->access_key, cred->service, cred->region, secret, sizeof secret) !=
        PAIL_OK)
        return req->err;
    unsigned char key[PAIL_SHA256_LEN];
    pail_key_cache_get(secret, cred->date, cred->region, cred->service, key);
    pail_crypto_wipe(secret, sizeof secret);
    struct pail_sigv4_input in = {
        .method = req->method, .raw_path = req->raw_path, .raw_query = req->raw_query,
        .presigned = kind == PAIL_AUTH_V4_QUERY, .headers = sigv4_headers(req),
        .nheaders = req->nheaders, .signed_headers = signed_headers, .payload = payload,
    };
    char sig[PAIL_SHA256_HEX_LEN + 1];
    enum pail_err e = pail_sigv4_signature(req->arena, &in, amz_date, cred->scope, key, sig);
    if (!e && !pail_sigv4_signature_equal(sig, given))
        e = PAIL_E_SignatureDoesNotMatch;
    if (!e) {
        fill_auth(req, kind, cred, sig, amz_date, key);
        verified(req, cred->access_key, cred->service, cred->region);
    }
    pail_crypto_wipe(key, sizeof key);
    return e ? pail_req_fail(req, e, NULL) : PAIL_OK;
}

/* ---- 3. Authorization header --------------------------------------------- */

/* x-amz-date, else an RFC 1123 Date header; amz_date gets the form that goes
 * into the string to sign. */
static enum pail_err header_time(struct pail_req *req, char amz_date[17], time_t *t)
{
    const char *x = pail_req_header(req, "x-amz-date");
    if (x) {
        if (!pail_sigv4_parse_amz_date(x, t))
            return pail_req_fail(req, PAIL_E_AccessDenied, "%s", MSG_BAD_DATE);
        memcpy(amz_date, x, 17);
        return PAIL_OK;
    }
    const char *d = pail_req_header(req, "date");
    if (!d || !(pail_sigv4_parse_http_date(d, t) || pail_time_parse_http(d, t)))
        return pail_req_fail(req, PAIL_E_AccessDenied, "%s", MSG_BAD_DATE);
    pail_sigv4_format_amz_date(*t, amz_date);
    return PAIL_OK;
}

static enum pail_err defer(struct pail_req *req, const struct pail_sigv4_authz *az,
                           const char *amz_date);

static enum pail_err verify_header(struct pail_req *req, const char *value)
{
    struct pail_sigv4_authz az;
    const char *why = NULL;
    enum pail_err e = pail_sigv4_parse_authorization(req->arena, value, &az, &why);
    if (e)
        return pail_req_fail(req, e, "%s", why ? why : pail_err_message(e));
    char amz_date[17];
    time_t t = 0;
    if ((e = header_time(req, amz_date, &t)))
        return e;
    if (t > req->now + PAIL_SIGV4_SKEW_SECONDS || t < req->now - PAIL_SIGV4_SKEW_SECONDS)
        return pail_req_fail(req, PAIL_E_RequestTimeTooSkewed, NULL);
    if (strncmp(az.cred.date, amz_date, 8) != 0)
        return pail_req_fail(req, PAIL_E_AuthorizationHeaderMalformed, "%s", MSG_CRED_DATE);
    if (!pail_sigv4_signs_header(az.signed_headers, "host"))
        return pail_req_fail(req, PAIL_E_AuthorizationHeaderMalformed,
                             "The authorization header is malformed; "
                             "SignedHeaders must include host.");
    const char *payload = pail_req_header(req, "x-amz-content-sha256");
    if (!payload && strcmp(az.cred.service, "s3") != 0)
        return defer(req, &az, amz_date);
    if (!payload)
        return pail_req_fail(req, PAIL_E_InvalidRequest,
                             "Missing required header for this request: x-amz-content-sha256");
    if ((e = classify_payload(req, payload)))
        return e;
    return check_signature(req, PAIL_AUTH_V4_HEADER, &az.cred, az.signed_headers, az.signature,
                           amz_date, payload);
}

/* What a deferred check needs once the body is in. */
struct deferred {
    struct pail_sigv4_authz az;
    char amz_date[17];
};

/* IAM/STS: the payload hash is the body's, known only at its end. The
 * service is recorded now (the pipeline routes on it); nothing about the
 * caller is trusted before pail_auth_verify_body. */
static enum pail_err defer(struct pail_req *req, const struct pail_sigv4_authz *az,
                           const char *amz_date)
{
    struct deferred *d = pail_arena_alloc(req->arena, sizeof *d);
    d->az = *az;
    memcpy(d->amz_date, amz_date, 17);
    req->auth.deferred = d;
    req->auth.kind = PAIL_AUTH_V4_HEADER;
    req->auth.payload = PAIL_PAYLOAD_UNSIGNED; /* the body's hash is checked by the signature */
    strncpy(req->auth.service, az->cred.service, sizeof(req->auth.service) - 1);
    return PAIL_OK;
}

enum pail_err pail_auth_verify_body(struct pail_req *req, const void *body, size_t len)
{
    struct deferred *d = req->auth.deferred;
    if (!d)
        return PAIL_OK;
    req->auth.deferred = NULL;
    char hex[PAIL_SHA256_HEX_LEN + 1];
    pail_sha256_hex(body ? body : "", len, hex);
    return check_signature(req, PAIL_AUTH_V4_HEADER, &d->az.cred, d->az.signed_headers,
                           d->az.signature, d->amz_date, hex);
}

/* ---- 4. presigned URL (query parameters) --------------------------------- */

struct qparams {
    const char *alg, *cred, *date, *expires, *signed_headers, *sig, *payload;
};

static void get_qparams(struct pail_req *req, struct qparams *p)
{
    struct pail_arena *a = req->arena;
    const char *q = req->raw_query ? req->raw_query : "";
    p->alg = pail_sigv4_query_get(a, q, "X-Amz-Algorithm");
    p->cred = pail_sigv4_query_get(a, q, "X-Amz-Credential");
    p->date = pail_sigv4_query_get(a, q, "X-Amz-Date");
    p->expires = pail_sigv4_query_get(a, q, "X-Amz-Expires");
    p->signed_headers = pail_sigv4_query_get(a, q, "X-Amz-SignedHeaders");
    p->sig = pail_sigv4_query_get(a, q, "X-Amz-Signature");
    p->payload = pail_sigv4_query_get(a, q, "X-Amz-Content-Sha256");
    if (!p->payload)
        p->payload = pail_sigv4_query_get(a, q, "x-amz-content-sha256");
}

/* X-Amz-Expires: decimal seconds, 0..604800 (0 is already expired). */
static enum pail_err parse_expires(struct pail_req *req, const char *s, long *out)
{
    long v = 0;
    size_t n = strlen(s);
    if (s[0] == '-')
        return pail_req_fail(req, QUERY_PARAMS_ERR, "X-Amz-Expires must be non-negative");
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 9)
            return pail_req_fail(req, QUERY_PARAMS_ERR, "X-Amz-Expires should be a number");
        v = v * 10 + (s[i] - '0');
    }
    if (n == 0)
        return pail_req_fail(req, QUERY_PARAMS_ERR, "X-Amz-Expires should be a number");
    if (v > PAIL_SIGV4_MAX_EXPIRES) /* sic: AWS's text has the semicolon */
        return pail_req_fail(req, QUERY_PARAMS_ERR,
                             "X-Amz-Expires must be less than a week (in seconds) that is; 604800");
    *out = v;
    return PAIL_OK;
}

/* Everything about the parameters that does not need the secret. */
static enum pail_err check_qparams(struct pail_req *req, const struct qparams *p,
                                   struct pail_sigv4_cred *cred, time_t *t, long *expires)
{
    if (!p->alg || !p->cred || !p->date || !p->expires || !p->signed_headers || !p->sig)
        return pail_req_fail(req, QUERY_PARAMS_ERR,
                             "Query-string authentication version 4 requires the "
                             "X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
                             "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
    if (strcmp(p->alg, PAIL_SIGV4_ALGORITHM) != 0)
        return pail_req_fail(req, QUERY_PARAMS_ERR,
                             "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    const char *why = NULL;
    if (pail_sigv4_parse_credential(req->arena, p->cred, cred, &why))
        return pail_req_fail(req, QUERY_PARAMS_ERR, "Error parsing the X-Amz-Credential "
                             "parameter; %s", why ? why : "malformed");
    if (!pail_sigv4_parse_amz_date(p->date, t))
        return pail_req_fail(req, QUERY_PARAMS_ERR, "X-Amz-Date must be in the ISO8601 Long "
                             "Format \"yyyyMMdd'T'HHmmss'Z'\"");
    enum pail_err e = parse_expires(req, p->expires, expires);
    if (e)
        return e;
    if (strncmp(cred->date, p->date, 8) != 0)
        return pail_req_fail(req, QUERY_PARAMS_ERR, "%s", MSG_CRED_DATE);
    if (!pail_sigv4_signs_header(p->signed_headers, "host"))
        return pail_req_fail(req, QUERY_PARAMS_ERR, "X-Amz-SignedHeaders must include host");
    return PAIL_OK;
}

static enum pail_err verify_query(struct pail_req *req)
{
    struct qparams p;
    struct pail_sigv4_cred cred;
    time_t t = 0;
    long expires = 0;
    get_qparams(req, &p);
    enum pail_err e = check_qparams(req, &p, &cred, &t, &expires);
    if (e)
        return e;
    if (t > req->now + PAIL_SIGV4_SKEW_SECONDS)
        return pail_req_fail(req, PAIL_E_AccessDenied, "Request is not valid yet");
    if (req->now >= t + expires)
        return pail_req_fail(req, PAIL_E_AccessDenied, "Request has expired");
    if (strlen(p.sig) != PAIL_SHA256_HEX_LEN)
        return pail_req_fail(req, PAIL_E_SignatureDoesNotMatch, NULL);
    const char *payload = p.payload ? p.payload : "UNSIGNED-PAYLOAD";
    if ((e = classify_payload(req, payload)))
        return e;
    return check_signature(req, PAIL_AUTH_V4_QUERY, &cred, p.signed_headers, p.sig, p.date,
                           payload);
}

/* ---- 5. SigV2 (header and query) ---------------------------------------- */

/* SigV2 signs no body: an x-amz-content-sha256 a client still sends says how
 * the body is framed (aws-chunked with an unsigned trailer) or lets the body
 * be checked against a digest; absent, the payload is simply unsigned. */
static enum pail_err v2_payload(struct pail_req *req)
{
    const char *v = pail_req_header(req, "x-amz-content-sha256");
    req->auth.payload = PAIL_PAYLOAD_UNSIGNED;
    if (!v)
        return PAIL_OK;
    enum pail_err e = classify_payload(req, v);
    if (!e && is_streaming_signed(req->auth.payload))
        return pail_req_fail(req, PAIL_E_InvalidRequest,
                             "A signed streaming payload needs AWS4-HMAC-SHA256.");
    return e;
}

/* The request's headers in the shape sigv2.c takes. */
static struct pail_sigv2_hdr *sigv2_headers(struct pail_req *req)
{
    struct pail_sigv2_hdr *h = pail_arena_alloc(req->arena, (req->nheaders + 1) * sizeof(*h));
    for (size_t i = 0; i < req->nheaders; i++) {
        h[i].name = req->headers[i].name;
        h[i].value = req->headers[i].value;
    }
    return h;
}

/* Signs every candidate (resource path × empty-value form × Date line)
 * until one matches the given signature; each comparison is constant-time.
 * Clients disagree on details S3 accepts either way: "/bucket/" is what
 * botocore, boto2 and s3cmd sign for a path-style bucket request while the S3
 * guide read literally gives "/bucket"; botocore signs "?uploads=" as sent
 * while aws-sdk-go based signers (rclone) sign "?uploads". */
static enum pail_err match_v2(struct pail_req *req, struct pail_sigv2_input *in,
                              const char *secret, const char *given,
                              const char *const *dates, size_t ndates)
{
    /* Virtual-hosted: the resource is still /bucket/key (the bucket from the
     * Host header, as the SigV2 guide's CanonicalizedResource says). */
    const char *raw = req->virtual_host
                          ? pail_arena_printf(req->arena, "/%s%s", req->bucket, req->raw_path)
                          : req->raw_path;
    const char *paths[2] = {pail_sigv2_resource_path(req->arena, raw), raw};
    size_t npaths = strcmp(paths[0], paths[1]) != 0 ? 2 : 1;
    size_t nforms = pail_sigv2_has_empty_subresource(req->raw_query) ? 2 : 1;
    for (size_t i = 0; i < npaths * nforms * ndates; i++) {
        char sig[PAIL_SIGV2_SIG_LEN + 1];
        in->raw_path = paths[i % npaths];
        in->bare_empty = (i / npaths) % nforms == 1;
        in->date = dates[i / (npaths * nforms)];
        enum pail_err e = pail_sigv2_signature(req->arena, in, secret, sig);
        if (e)
            return e;
        if (pail_sigv2_signature_equal(sig, given))
            return PAIL_OK;
    }
    return PAIL_E_SignatureDoesNotMatch;
}

/* Looks the key up and checks the signature; on success fills req->auth.
 * dates are the candidate Date lines (one or two). */
static enum pail_err check_v2(struct pail_req *req, enum pail_auth_kind kind,
                              const char *access_key, const char *given,
                              const char *const *dates, size_t ndates)
{
    char secret[PAIL_SECRET_MAX];
    if (lookup_key(req, access_key, "s3", "", secret, sizeof secret) != PAIL_OK)
        return req->err;
    struct pail_sigv2_input in = {
        .method = req->method, .raw_query = req->raw_query,
        .headers = sigv2_headers(req), .nheaders = req->nheaders,
        .query_auth = kind == PAIL_AUTH_V2_QUERY,
    };
    enum pail_err e = match_v2(req, &in, secret, given, dates, ndates);
    pail_crypto_wipe(secret, sizeof secret);
    if (e)
        return pail_req_fail(req, e, NULL);
    verified(req, access_key, "s3", "");
    req->auth.kind = kind;
    memcpy(req->auth.service, "s3", 3);
    req->auth.access_key = pail_arena_strdup(req->arena, access_key);
    return PAIL_OK;
}

/* An RFC 2616 date (what V2 specifies), or the compact SigV4 form some
 * clients put in x-amz-date regardless. */
static bool v2_parse_time(const char *s, time_t *t)
{
    return s && (pail_time_parse_http(s, t) || pail_time_parse_amz(s, t));
}

/* "Authorization: AWS AKID:signature". x-amz-date, when present, is the
 * request time. The S3 guide then wants an empty Date line, while botocore
 * and s3cmd keep the Date header there (x-amz-date is signed among the amz
 * headers either way), so both strings are tried; each needs the secret. */
static enum pail_err verify_v2_header(struct pail_req *req, const char *value)
{
    const char *ak = NULL, *sig = NULL;
    if (pail_sigv2_parse_authorization(req->arena, value, &ak, &sig))
        return pail_req_fail(req, PAIL_E_InvalidArgument, "AWS authorization header is "
                             "invalid.  Expected AwsAccessKeyId:signature");
    const char *x = pail_req_header(req, "x-amz-date");
    const char *d = pail_req_header(req, "date");
    time_t t = 0;
    if (!v2_parse_time(x ? x : d, &t) || t < 0) /* before 1970: AWS calls it invalid */
        return pail_req_fail(req, PAIL_E_AccessDenied, "%s", MSG_BAD_DATE);
    if (t > req->now + PAIL_SIGV2_SKEW_SECONDS || t < req->now - PAIL_SIGV2_SKEW_SECONDS)
        return pail_req_fail(req, PAIL_E_RequestTimeTooSkewed, NULL);
    enum pail_err e = v2_payload(req);
    if (e)
        return e;
    const char *dates[2] = {d ? d : "", ""};
    return check_v2(req, PAIL_AUTH_V2_HEADER, ak, sig, dates, x && d && *d ? 2 : 1);
}

/* Expires: decimal seconds since the epoch (no upper bound in V2); the URL
 * is valid before that second, as X-Amz-Expires gives [date, date+N). */
static bool v2_parse_expires(const char *s, time_t *out)
{
    int64_t v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 15)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = (time_t)v;
    return true;
}

/* ?AWSAccessKeyId=&Expires=&Signature= (boto3's and `aws s3 presign`'s
 * default). The Date line is the Expires value as sent. */
static enum pail_err verify_v2_query(struct pail_req *req)
{
    struct pail_arena *a = req->arena;
    const char *q = req->raw_query ? req->raw_query : "";
    const char *ak = pail_sigv4_query_get(a, q, "AWSAccessKeyId");
    const char *sig = pail_sigv4_query_get(a, q, "Signature");
    const char *exp = pail_sigv4_query_get(a, q, "Expires");
    if (!ak || !sig || !exp || !*ak)
        return pail_req_fail(req, PAIL_E_AccessDenied, "Query-string authentication requires "
                             "the Signature, Expires and AWSAccessKeyId parameters");
    time_t expires = 0;
    if (!v2_parse_expires(exp, &expires))
        return pail_req_fail(req, PAIL_E_AccessDenied, "Invalid date (should be seconds "
                             "since epoch): %.64s", exp);
    if (req->now >= expires)
        return pail_req_fail(req, PAIL_E_AccessDenied, "Request has expired");
    enum pail_err e = v2_payload(req);
    if (e)
        return e;
    const char *dates[1] = {exp};
    return check_v2(req, PAIL_AUTH_V2_QUERY, ak, sig, dates, 1);
}

/* ---- 6. entry point ------------------------------------------------------ */

/* Anonymous requests may still declare how the body is framed (an SDK with no
 * credentials streaming aws-chunked); signed streaming modes need a signature. */
static enum pail_err anonymous(struct pail_req *req)
{
    const char *v = pail_req_header(req, "x-amz-content-sha256");
    if (!v)
        return PAIL_OK;
    enum pail_err e = classify_payload(req, v);
    if (!e && is_streaming_signed(req->auth.payload))
        return pail_req_fail(req, PAIL_E_InvalidRequest,
                             "A signed streaming payload needs an Authorization header.");
    return e;
}

/* The auth mechanisms a request carries, as a bit set. */
enum { MECH_HEADER = 1, MECH_V4_QUERY = 2, MECH_V2_QUERY = 4 };

static unsigned mechanisms(struct pail_req *req)
{
    struct pail_arena *a = req->arena;
    const char *q = req->raw_query ? req->raw_query : "";
    unsigned m = 0;
    if (pail_req_header(req, "authorization"))
        m |= MECH_HEADER;
    if (pail_sigv4_query_get(a, q, "X-Amz-Signature") ||
        pail_sigv4_query_get(a, q, "X-Amz-Credential") ||
        pail_sigv4_query_get(a, q, "X-Amz-Algorithm"))
        m |= MECH_V4_QUERY;
    if (pail_sigv4_query_get(a, q, "AWSAccessKeyId") || pail_sigv4_query_get(a, q, "Signature"))
        m |= MECH_V2_QUERY;
    return m;
}

void pail_auth_anonymous(struct pail_req *req)
{
    memset(&req->auth, 0, sizeof(req->auth));
    req->auth.kind = PAIL_AUTH_ANONYMOUS;
    req->auth.principal.type = PAIL_PT_ANONYMOUS;
    req->auth.principal.userid = "anonymous";
    req->auth.payload = PAIL_PAYLOAD_UNDECLARED;
}

enum pail_err pail_auth_verify(struct pail_req *req)
{
    pail_auth_anonymous(req);
    unsigned m = mechanisms(req);
    if (m & (m - 1)) /* more than one bit */
        return pail_req_fail(req, PAIL_E_InvalidArgument,
                             "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                             "parameter, Signature query string parameter or the Authorization "
                             "header should be specified");
    if (m == MECH_HEADER) {
        const char *authz = pail_req_header(req, "authorization");
        /* "AWS4-HMAC-SHA256 ..." and any unknown scheme go to SigV4's parser,
         * which names the scheme it expects. */
        if (strncmp(authz, "AWS ", 4) == 0)
            return verify_v2_header(req, authz);
        return verify_header(req, authz);
    }
    if (m == MECH_V4_QUERY)
        return verify_query(req);
    if (m == MECH_V2_QUERY)
        return verify_v2_query(req);
    return anonymous(req);
}
