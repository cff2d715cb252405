/* s3/owner.c — see owner.h. Lookups go to the identity layer's in-memory
 * account table (no store access). */
#include "s3/owner.h"

#include "http/request.h"
#include "iam/identity.h"
#include "s3/services.h"
#include "util/xml_out.h"

#include <string.h>

const char *s3_owner_account(struct pail_req *r, const char *owner)
{
    if (!owner || !*owner || strcmp(owner, "root") == 0)
        return r->svc->first_account;
    return owner;
}

const char *s3_owner_canonical(struct pail_req *r, const char *account)
{
    struct pail_account a;
    if (!account || !pail_identity_account_get(r->svc->identity, account, r->arena, &a))
        return NULL;
    return a.canonical_id;
}

const char *s3_owner_name(struct pail_req *r, const char *account)
{
    struct pail_account a;
    if (!account || !pail_identity_account_get(r->svc->identity, account, r->arena, &a))
        return NULL;
    return a.name;
}

void s3_write_owner_as(struct pail_req *r, struct pail_xml *x, const char *element,
                       const char *owner)
{
    const char *account = s3_owner_account(r, owner);
    struct pail_account a;
    bool known = account && pail_identity_account_get(r->svc->identity, account, r->arena, &a);
    pail_xml_open(x, element);
    pail_xml_elem(x, "ID", known ? a.canonical_id : account);
    if (known)
        pail_xml_elem(x, "DisplayName", a.name);
    pail_xml_close(x);
}

const char *s3_canonical_name(void *req, const char *canonical_id)
{
    struct pail_req *r = req;
    struct pail_account a;
    if (!pail_identity_account_by_canonical(r->svc->identity, canonical_id, r->arena, &a))
        return NULL;
    return a.name;
}

const char *s3_email_canonical(void *req, const char *email)
{
    struct pail_req *r = req;
    struct pail_account a;
    if (!pail_identity_account_by_email(r->svc->identity, email, r->arena, &a))
        return NULL;
    return a.canonical_id;
}
