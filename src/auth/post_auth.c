/* auth/post_auth.c — pail_auth_verify_form(): who signed a browser form
 * (POST Object). The form's policy field is signed like a string to sign:
 * SigV4 hex(HMAC(signing key, policy)), SigV2 base64(HMAC-SHA1(secret,
 * policy)) (auth/post_policy.c does the maths); the secret comes from the
 * keystore as for every other request and is wiped after use. */
#include "auth/auth.h"

#include "auth/crypto.h"
#include "auth/post_policy.h"
#include "auth/sigv4.h"
#include "http/request.h"
#include "s3/services.h"

#include <string.h>

static const char *field(const struct pail_post_field *f, size_t n, const char *name)
{
    const struct pail_post_field *x = pail_post_field_get(f, n, name);
    return x ? x->value : NULL;
}

/* The secret and principal behind access_key (a session's token rides in
 * the x-amz-security-token field). */
static enum pail_err lookup(struct pail_req *r, const char *access_key, const char *token,
                            const char *region, char *secret, size_t cap)
{
    const struct pail_keystore *ks = r->svc ? r->svc->keys : NULL;
    if (!ks)
        return PAIL_E_InvalidAccessKeyId;
    return ks->lookup(ks->ctx, access_key, token, "s3", region, secret, cap, r->arena,
                      &r->auth.principal, &r->auth.temporary);
}

/* The keystore's note that access_key's signature checked out. */
static void verified(struct pail_req *r, const char *access_key, const char *region)
{
    const struct pail_keystore *ks = r->svc ? r->svc->keys : NULL;
    if (ks && ks->verified)
        ks->verified(ks->ctx, access_key, "s3", region);
}

static enum pail_err verify_v4(struct pail_req *r, const struct pail_post_field *f, size_t n,
                               const char *policy)
{
    struct pail_sigv4_cred cred;
    const char *why = NULL;
    enum pail_err e = pail_post_sigv4_fields(r->arena, field(f, n, "x-amz-algorithm"),
                                             field(f, n, "x-amz-credential"),
                                             field(f, n, "x-amz-date"), &cred, &why);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, why ? "%s" : NULL, why);
    char secret[PAIL_SECRET_MAX];
    e = lookup(r, cred.access_key, field(f, n, "x-amz-security-token"), cred.region, secret,
               sizeof secret);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    unsigned char key[PAIL_SHA256_LEN];
    pail_sigv4_signing_key(secret, cred.date, cred.region, cred.service, key);
    pail_crypto_wipe(secret, sizeof secret);
    bool ok = pail_post_sigv4_ok(key, policy, field(f, n, "x-amz-signature"));
    pail_crypto_wipe(key, sizeof key);
    if (!ok)
        return pail_req_fail(r, PAIL_E_SignatureDoesNotMatch, NULL);
    verified(r, cred.access_key, cred.region);
    r->auth.access_key = cred.access_key;
    return PAIL_OK;
}

static enum pail_err verify_v2(struct pail_req *r, const struct pail_post_field *f, size_t n,
                               const char *policy)
{
    const char *ak = field(f, n, "awsaccesskeyid");
    char secret[PAIL_SECRET_MAX];
    enum pail_err e = lookup(r, ak, field(f, n, "x-amz-security-token"), "", secret,
                             sizeof secret);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    bool ok = pail_post_sigv2_ok(secret, policy, field(f, n, "signature"));
    pail_crypto_wipe(secret, sizeof secret);
    if (!ok)
        return pail_req_fail(r, PAIL_E_SignatureDoesNotMatch, NULL);
    verified(r, ak, "");
    r->auth.access_key = pail_arena_strdup(r->arena, ak);
    return PAIL_OK;
}

enum pail_err pail_auth_verify_form(struct pail_req *r, const struct pail_post_field *f,
                                    size_t n, const char **policy_b64)
{
    enum pail_post_auth kind;
    const char *why = NULL;
    *policy_b64 = NULL;
    enum pail_err e = pail_post_form_auth(f, n, &kind, &why);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, why ? "%s" : NULL, why);
    if (kind == PAIL_POST_ANONYMOUS)
        return PAIL_OK;
    const char *policy = field(f, n, "policy");
    e = kind == PAIL_POST_SIGV4 ? verify_v4(r, f, n, policy) : verify_v2(r, f, n, policy);
    if (e != PAIL_OK)
        return e;
    r->auth.kind = PAIL_AUTH_POST_FORM;
    memcpy(r->auth.service, "s3", 3);
    *policy_b64 = policy;
    return PAIL_OK;
}
