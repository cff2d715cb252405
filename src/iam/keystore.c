/* iam/keystore.c — see keystore.h. */
#include "iam/keystore.h"

#include "auth/auth.h"
#include "iam/identity.h"

static enum pail_err lookup(void *ctx, const char *access_key, const char *token,
                            const char *service, const char *region, char *secret, size_t cap,
                            struct pail_arena *a, struct pail_principal *p, bool *temporary)
{
    struct pail_credential c;
    /* service NULL: the use is noted only once the signature is verified */
    (void)service, (void)region;
    enum pail_err e = pail_identity_authenticate(ctx, access_key, token, NULL, NULL, secret,
                                                 cap, a, &c);
    /* A session's key without its token is, to AWS, no key it knows. */
    if (e == PAIL_E_InvalidToken && !token)
        return PAIL_E_InvalidAccessKeyId;
    if (e != PAIL_OK)
        return e;
    *p = c.principal;
    *temporary = c.temporary;
    return PAIL_OK;
}

static void verified(void *ctx, const char *access_key, const char *service,
                     const char *region)
{
    pail_identity_note_use(ctx, access_key, service, region);
}

void pail_identity_keystore(struct pail_keystore *ks, struct pail_identity *id)
{
    ks->lookup = lookup;
    ks->verified = verified;
    ks->ctx = id;
}
