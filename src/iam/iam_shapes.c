/* iam/iam_shapes.c — the shapes IAM answers share (User, Group, Role,
 * Policy, Tags), entity lookups in the caller's account with AWS's
 * NoSuchEntity wording, ARNs, dates, URL-encoded documents, and policy
 * document validation through the policy engine. */
#include "iam/iam_int.h"

#include "core/arena.h"
#include "core/buf.h"
#include "util/encode.h"

#include <stdio.h>
#include <string.h>

const char *iam_arn(struct iam_ctx *c, const char *kind, const char *path, const char *name)
{
    return pail_arena_printf(c->a, "arn:aws:iam::%s:%s%s%s", c->acct->id, kind, path, name);
}

const char *iam_urlencode(struct iam_ctx *c, const char *doc)
{
    struct pail_buf b;
    pail_buf_init(&b, 4 * strlen(doc) + 16);
    pail_uri_encode(&b, doc, strlen(doc), true);
    const char *s = pail_arena_strdup(c->a, b.data ? b.data : "");
    pail_buf_free(&b);
    return s;
}

void iam_date(struct iam_ctx *c, const char *name, int64_t ms)
{
    char d[32];
    id_iso(ms, d);
    pail_xml_elem(&c->x, name, d);
}

struct pdoc *iam_compile(struct iam_ctx *c, const char *doc, enum pail_policy_kind kind,
                         size_t *nows)
{
    char why[512] = "";
    struct pail_policy_opts o = {.principal_exists = pail_identity_principal_exists_cb, .ctx = c->id};
    struct pail_policy *p = pail_policy_compile(doc, strlen(doc), kind,
                                                kind == PAIL_POLICY_IDENTITY ? NULL : &o, why,
                                                sizeof why);
    if (!p) {
        iam_fail(c, PAIL_E_MalformedPolicyDocument, "%s", *why ? why : "Syntax errors in policy.");
        return NULL;
    }
    if (nows)
        *nows = pail_policy_size_nows(doc, strlen(doc));
    return pdoc_new(doc, p);
}

void iam_tags_xml(struct iam_ctx *c, const struct tags *t)
{
    if (!t->n)
        return;
    pail_xml_open(&c->x, "Tags");
    for (size_t i = 0; i < t->n; i++) {
        pail_xml_open(&c->x, "member");
        pail_xml_elem(&c->x, "Key", t->v[i].key);
        pail_xml_elem(&c->x, "Value", t->v[i].value);
        pail_xml_close(&c->x);
    }
    pail_xml_close(&c->x);
}

static void boundary_xml(struct iam_ctx *c, const struct mpol *b)
{
    if (!b)
        return;
    pail_xml_open(&c->x, "PermissionsBoundary");
    pail_xml_elem(&c->x, "PermissionsBoundaryType", "PermissionsBoundaryPolicy");
    pail_xml_elem(&c->x, "PermissionsBoundaryArn", b->d.arn);
    pail_xml_close(&c->x);
}

void iam_user_xml(struct iam_ctx *c, const char *elem, const struct user *u, bool full)
{
    pail_xml_open(&c->x, elem);
    pail_xml_elem(&c->x, "Path", u->d.path);
    pail_xml_elem(&c->x, "UserName", u->d.name);
    pail_xml_elem(&c->x, "UserId", u->id);
    pail_xml_elem(&c->x, "Arn", u->d.arn);
    iam_date(c, "CreateDate", u->d.created);
    if (full) {
        boundary_xml(c, u->d.boundary);
        iam_tags_xml(c, &u->d.tags);
    }
    pail_xml_close(&c->x);
}

void iam_group_xml(struct iam_ctx *c, const char *elem, const struct group *g)
{
    pail_xml_open(&c->x, elem);
    pail_xml_elem(&c->x, "Path", g->d.path);
    pail_xml_elem(&c->x, "GroupName", g->d.name);
    pail_xml_elem(&c->x, "GroupId", g->id);
    pail_xml_elem(&c->x, "Arn", g->d.arn);
    iam_date(c, "CreateDate", g->d.created);
    pail_xml_close(&c->x);
}

void iam_role_xml(struct iam_ctx *c, const char *elem, const struct role *r, bool full)
{
    pail_xml_open(&c->x, elem);
    pail_xml_elem(&c->x, "Path", r->d.path);
    pail_xml_elem(&c->x, "RoleName", r->d.name);
    pail_xml_elem(&c->x, "RoleId", r->id);
    pail_xml_elem(&c->x, "Arn", r->d.arn);
    iam_date(c, "CreateDate", r->d.created);
    pail_xml_elem(&c->x, "AssumeRolePolicyDocument", iam_urlencode(c, r->d.trust->doc));
    if (r->d.description)
        pail_xml_elem(&c->x, "Description", r->d.description);
    pail_xml_elem_u64(&c->x, "MaxSessionDuration", (uint64_t)r->d.max_session);
    if (full) {
        boundary_xml(c, r->d.boundary);
        iam_tags_xml(c, &r->d.tags);
        pail_xml_open(&c->x, "RoleLastUsed");
        if (r->d.last_used) {
            iam_date(c, "LastUsedDate", r->d.last_used);
            pail_xml_elem(&c->x, "Region", r->d.last_region ? r->d.last_region : "");
        }
        pail_xml_close(&c->x);
    }
    pail_xml_close(&c->x);
}

void iam_policy_xml(struct iam_ctx *c, const char *elem, const struct mpol *p, bool full)
{
    size_t att = 0, bd = 0;
    id_mpol_usage(c->acct, p, &att, &bd);
    pail_xml_open(&c->x, elem);
    pail_xml_elem(&c->x, "PolicyName", p->d.name);
    pail_xml_elem(&c->x, "PolicyId", p->id);
    pail_xml_elem(&c->x, "Arn", p->d.arn);
    pail_xml_elem(&c->x, "Path", p->d.path);
    pail_xml_elem(&c->x, "DefaultVersionId", p->d.v[p->d.def].id);
    pail_xml_elem_u64(&c->x, "AttachmentCount", att);
    pail_xml_elem_u64(&c->x, "PermissionsBoundaryUsageCount", bd);
    pail_xml_elem_bool(&c->x, "IsAttachable", true);
    if (full && p->d.description)
        pail_xml_elem(&c->x, "Description", p->d.description);
    iam_date(c, "CreateDate", p->d.created);
    iam_date(c, "UpdateDate", p->d.updated);
    if (full)
        iam_tags_xml(c, &p->d.tags);
    pail_xml_close(&c->x);
}

struct user *iam_user(struct iam_ctx *c, const char *name)
{
    return name ? idmap_get(&c->acct->users, name) : NULL;
}

struct group *iam_group(struct iam_ctx *c, const char *name)
{
    return name ? idmap_get(&c->acct->groups, name) : NULL;
}

struct role *iam_role(struct iam_ctx *c, const char *name)
{
    return name ? idmap_get(&c->acct->roles, name) : NULL;
}

enum pail_err iam_no_user(struct iam_ctx *c, const char *name)
{
    return iam_fail(c, PAIL_E_NoSuchEntity, "The user with name %s cannot be found.", name);
}

enum pail_err iam_no_group(struct iam_ctx *c, const char *name)
{
    return iam_fail(c, PAIL_E_NoSuchEntity, "The group with name %s cannot be found.", name);
}

enum pail_err iam_no_role(struct iam_ctx *c, const char *name)
{
    return iam_fail(c, PAIL_E_NoSuchEntity, "The role with name %s cannot be found.", name);
}

struct mpol *iam_mpol(struct iam_ctx *c, const char *arn)
{
    return id_mpol_by_arn(c->id, c->acct, arn);
}

struct user *iam_caller_user(struct iam_ctx *c)
{
    if (*(const enum cred_kind *)c->cred == CRED_KEY)
        return ((const struct key *)c->cred)->user;
    const struct session *s = c->cred;
    return s->sk == SESS_USER ? s->user : NULL;
}
