/* iam/acl_xml.c — see acl.h. Owns the meaning of an <AccessControlPolicy>
 * (grantee types, permissions, ids and group URIs) in both directions: the
 * document's shape is read by util/xml_in.c (its safe loader; no libxml2
 * here) and written through util/xml_out.h. */
#include "iam/acl.h"
#include "iam/acl_int.h"

#include "core/arena.h"
#include "core/buf.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <string.h>

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

_Static_assert(PAIL_XML_ACL_GRANTS_MAX == PAIL_ACL_MAX_GRANTS,
               "the XML reader's grant limit is the ACL's");

/* ---- reading ------------------------------------------------------------- */

static bool given(const char *s)
{
    return s && *s;
}

/* want (one of r->id, r->uri, r->email) is given and the other two are
 * absent: each grantee type names its grantee one way only. */
static bool only(const struct pail_xml_grant *r, const char *want)
{
    const char *all[] = {r->id, r->uri, r->email};
    for (size_t i = 0; i < 3; i++)
        if (all[i] && all[i] != want)
            return false;
    return given(want);
}

enum pail_err pail_acl_grant_from_xml(struct pail_arena *a, const struct pail_xml_grant *r,
                                      struct pail_grant *g, const char **why)
{
    *g = (struct pail_grant){.perm = pail_acl_perm_from_name(r->permission)};
    if (!r->has_grantee || !g->perm || !r->type)
        return PAIL_E_MalformedACLError;
    if (strcmp(r->type, "CanonicalUser") == 0) {
        if (!only(r, r->id))
            return PAIL_E_MalformedACLError;
        g->type = PAIL_GRANTEE_CANONICAL;
        g->id = pail_acl__canonical_id(a, r->id, strlen(r->id));
        g->display_name = r->display_name;
        if (!g->id) {
            *why = "Invalid id";
            return PAIL_E_InvalidArgument;
        }
    } else if (strcmp(r->type, "Group") == 0) {
        if (!only(r, r->uri))
            return PAIL_E_MalformedACLError;
        g->type = PAIL_GRANTEE_GROUP;
        g->uri = r->uri;
        if (!pail_acl_known_group(g->uri)) {
            *why = "Invalid group uri";
            return PAIL_E_InvalidArgument;
        }
    } else if (strcmp(r->type, "AmazonCustomerByEmail") == 0) {
        if (!only(r, r->email))
            return PAIL_E_MalformedACLError;
        g->type = PAIL_GRANTEE_EMAIL;
        g->email = r->email;
    } else {
        return PAIL_E_MalformedACLError;
    }
    return PAIL_OK;
}

enum pail_err pail_acl_parse_xml(const char *body, size_t len, struct pail_arena *a,
                                 struct pail_acl *out, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    *why = NULL;
    memset(out, 0, sizeof(*out));
    struct pail_xml_acl raw;
    enum pail_err e = pail_xml_parse_acl(body, len, a, &raw);
    if (e)
        return e;
    if (!raw.has_owner || !given(raw.owner_id))
        return PAIL_E_MalformedACLError;
    struct pail_grant *g = pail_acl__grants(a, raw.n);
    for (size_t i = 0; i < raw.n; i++)
        if ((e = pail_acl_grant_from_xml(a, &raw.grants[i], &g[i], why)))
            return e;
    *out = (struct pail_acl){raw.owner_id, raw.owner_name, g, raw.n};
    return PAIL_OK;
}

/* ---- writing --------------------------------------------------------------- */

static const char *grantee_type(enum pail_grantee_type t)
{
    switch (t) {
    case PAIL_GRANTEE_CANONICAL: return "CanonicalUser";
    case PAIL_GRANTEE_GROUP: return "Group";
    case PAIL_GRANTEE_EMAIL: return "AmazonCustomerByEmail";
    }
    return NULL;
}

/* <Grantee xmlns:xsi=... xsi:type="type">, pushed on x's stack so that
 * pail_xml_close ends it: xml_out.h writes no attributes but xmlns, and the
 * Grantee shape requires xsi:type. */
static void open_grantee(struct pail_xml *x, const char *type)
{
    if (x->error || !x->buf || x->buf->overflow || !type || x->depth >= PAIL_XML_MAX_DEPTH) {
        x->error = true;
        return;
    }
    bool ok = pail_buf_puts(x->buf, "<Grantee xmlns:xsi=\"" XSI_NS "\" xsi:type=\"") &&
              pail_xml_escape(x->buf, type, strlen(type)) && pail_buf_puts(x->buf, "\">");
    if (!ok)
        x->error = true;
    x->stack[x->depth++] = "Grantee";
}

/* The display name of canonical id: the one given, the callback's, or the
 * EC2 account's well-known name; NULL leaves <DisplayName> out. */
static const char *name_of(const char *given_name, const char *id,
                           const char *(*display_name)(void *, const char *), void *ctx)
{
    if (given_name)
        return given_name;
    const char *n = display_name && id ? display_name(ctx, id) : NULL;
    if (!n && id && strcmp(id, PAIL_ACL_EC2_ID) == 0)
        n = PAIL_ACL_EC2_NAME;
    return n;
}

static void write_grant(struct pail_xml *x, const struct pail_grant *g,
                        const char *(*display_name)(void *, const char *), void *ctx)
{
    const char *perm = pail_acl_perm_name(g->perm);
    if (!perm) /* not a grant pail could have stored: refuse to answer it */
        x->error = true;
    pail_xml_open(x, "Grant");
    open_grantee(x, grantee_type(g->type));
    switch (g->type) {
    case PAIL_GRANTEE_CANONICAL: {
        pail_xml_elem(x, "ID", g->id);
        const char *name = name_of(g->display_name, g->id, display_name, ctx);
        if (name)
            pail_xml_elem(x, "DisplayName", name);
        break;
    }
    case PAIL_GRANTEE_GROUP: pail_xml_elem(x, "URI", g->uri); break;
    case PAIL_GRANTEE_EMAIL: pail_xml_elem(x, "EmailAddress", g->email); break;
    }
    pail_xml_close(x);
    pail_xml_elem(x, "Permission", perm);
    pail_xml_close(x);
}

void pail_acl_write_xml(struct pail_xml *x, const struct pail_acl *acl,
                        const char *(*display_name)(void *ctx, const char *canonical_id),
                        void *ctx)
{
    pail_xml_open_ns(x, "AccessControlPolicy", NULL);
    pail_xml_open(x, "Owner");
    pail_xml_elem(x, "ID", acl->owner_id);
    const char *owner = name_of(acl->owner_name, acl->owner_id, display_name, ctx);
    if (owner)
        pail_xml_elem(x, "DisplayName", owner);
    pail_xml_close(x);
    /* Group grants first, then the rest, each in their order: AWS documents
     * none, and clients (s3-tests) that sort grants by display name expect
     * the ones without a name at the front. */
    pail_xml_open(x, "AccessControlList");
    pail_acl_write_grants(x, acl, display_name, ctx);
    pail_xml_close(x);
    pail_xml_close(x);
}

void pail_acl_write_grants(struct pail_xml *x, const struct pail_acl *acl,
                           const char *(*display_name)(void *ctx, const char *canonical_id),
                           void *ctx)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < acl->n; i++)
            if ((acl->grants[i].type == PAIL_GRANTEE_GROUP) == (pass == 0))
                write_grant(x, &acl->grants[i], display_name, ctx);
}
