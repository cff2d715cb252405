/* iam/iam_roles.c — IAM roles: CreateRole, GetRole, UpdateRole,
 * UpdateAssumeRolePolicy, DeleteRole, ListRoles. A role's trust policy is a
 * TRUST policy for the engine (Principal required, principals must exist);
 * deleting a role ends its sessions. */
#include "iam/iam_int.h"

#include "core/arena.h"

#include <stdio.h>
#include <string.h>

static const char *role_resource(struct iam_ctx *c, const struct role *r, const char *name)
{
    return r ? r->d.arn : iam_arn(c, "role", "/", name);
}

/* Compiles a trust policy within AWS's size quota (2,048 without whitespace). */
static struct pdoc *trust_policy(struct iam_ctx *c, const char *doc)
{
    size_t nows;
    struct pdoc *d = iam_compile(c, doc, PAIL_POLICY_TRUST, &nows);
    if (d && nows > ID_TRUST_POLICY_SIZE) {
        pdoc_unref(d);
        iam_fail(c, PAIL_E_LimitExceeded, "Cannot exceed quota for ACLSizePerRole: %d",
                 ID_TRUST_POLICY_SIZE);
        return NULL;
    }
    return d;
}

enum pail_err iam_CreateRole(struct iam_ctx *c)
{
    const char *name = iam_str(c, "RoleName", true, 1, 64, PAT_NAME);
    const char *path = iam_str(c, "Path", false, 1, 512, PAT_PATH);
    const char *doc = iam_str(c, "AssumeRolePolicyDocument", true, 1, 131072, PAT_DOC);
    const char *desc = iam_str(c, "Description", false, 0, 1000, PAT_ROLE_DESC);
    const char *pb = iam_str(c, "PermissionsBoundary", false, 20, 2048, PAT_NONE);
    long max_session;
    iam_int(c, "MaxSessionDuration", 3600, 43200, 3600, &max_session);
    struct tags tags = {0};
    if (!iam_tags(c, &tags) || iam_invalid(c)) {
        tags_free(&tags);
        return c->err;
    }
    path = path ? path : "/";
    const char *arn = iam_arn(c, "role", path, name);
    struct mpol *boundary = pb ? iam_mpol(c, pb) : NULL;
    struct pdoc *trust = NULL;
    enum pail_err e = iam_authz_self(c, arn);
    if (!e && pb)
        e = iam_authz(c, "iam:PutRolePermissionsBoundary", arn);
    if (!e && iam_role(c, name))
        e = iam_fail(c, PAIL_E_EntityAlreadyExists, "Role with name %s already exists.", name);
    if (!e && pb && !boundary)
        e = iam_fail(c, PAIL_E_NoSuchEntity, "Policy %s does not exist or is not attachable.", pb);
    if (!e && !(trust = trust_policy(c, doc)))
        e = c->err;
    if (e) {
        tags_free(&tags);
        return e;
    }
    struct role *r = id_xcalloc(1, sizeof *r);
    id_new_entity_id(c->id, r->id, "AROA");
    r->acct = c->acct;
    r->d.name = id_xstrdup(name);
    r->d.path = id_xstrdup(path);
    r->d.arn = id_xstrdup(arn);
    r->d.description = id_xstrdup(desc);
    r->d.created = c->now;
    r->d.trust = trust;
    r->d.max_session = (int)max_session;
    r->d.boundary = boundary;
    r->d.tags = tags;
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_ROLE, NULL, r);
    if ((e = txn_commit(&t)))
        return iam_store_fail(c, e);
    iam_result(c);
    iam_role_xml(c, "Role", r, true);
    return PAIL_OK;
}

/* Validates RoleName, authorizes, and finds the role; NULL when answered. */
static struct role *named_role(struct iam_ctx *c, const char *name)
{
    if (iam_invalid(c))
        return NULL;
    struct role *r = iam_role(c, name);
    if (iam_authz_self(c, role_resource(c, r, name)))
        return NULL;
    if (!r)
        iam_no_role(c, name);
    return r;
}

enum pail_err iam_GetRole(struct iam_ctx *c)
{
    const char *name = iam_str(c, "RoleName", true, 1, 64, PAT_NAME);
    struct role *r = named_role(c, name);
    if (!r)
        return c->err;
    iam_result(c);
    iam_role_xml(c, "Role", r, true);
    return PAIL_OK;
}

static enum pail_err commit_role(struct iam_ctx *c, struct role *r, struct role *tmp)
{
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_ROLE, r, tmp);
    enum pail_err e = txn_commit(&t);
    return e ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_UpdateRole(struct iam_ctx *c)
{
    const char *name = iam_str(c, "RoleName", true, 1, 64, PAT_NAME);
    const char *desc = iam_str(c, "Description", false, 0, 1000, PAT_ROLE_DESC);
    long max_session;
    bool has_max = iam_param(c, "MaxSessionDuration") != NULL;
    iam_int(c, "MaxSessionDuration", 3600, 43200, 3600, &max_session);
    struct role *r = named_role(c, name);
    if (!r)
        return c->err;
    struct role *tmp = role_tmp(r);
    if (desc) {
        free(tmp->d.description);
        tmp->d.description = id_xstrdup(desc);
    }
    if (has_max)
        tmp->d.max_session = (int)max_session;
    enum pail_err e = commit_role(c, r, tmp);
    if (!e)
        iam_result(c); /* UpdateRole answers an empty result element */
    return e;
}

enum pail_err iam_UpdateAssumeRolePolicy(struct iam_ctx *c)
{
    const char *name = iam_str(c, "RoleName", true, 1, 64, PAT_NAME);
    const char *doc = iam_str(c, "PolicyDocument", true, 1, 131072, PAT_DOC);
    struct role *r = named_role(c, name);
    if (!r)
        return c->err;
    struct pdoc *trust = trust_policy(c, doc);
    if (!trust)
        return c->err;
    struct role *tmp = role_tmp(r);
    pdoc_unref(tmp->d.trust);
    tmp->d.trust = trust;
    return commit_role(c, r, tmp);
}

enum pail_err iam_DeleteRole(struct iam_ctx *c)
{
    const char *name = iam_str(c, "RoleName", true, 1, 64, PAT_NAME);
    struct role *r = named_role(c, name);
    if (!r)
        return c->err;
    if (r->d.ninl)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must delete policies first.");
    if (r->d.natt)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must detach all policies first.");
    struct txn t;
    txn_begin(&t, c->id);
    txn_drop_sessions(&t, NULL, r);
    txn_stage(&t, EK_ROLE, r, NULL);
    enum pail_err e = txn_commit(&t);
    return e ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_ListRoles(struct iam_ctx *c)
{
    const char *prefix = iam_str(c, "PathPrefix", false, 1, 512, PAT_PATH_PREFIX);
    struct iam_page pg;
    iam_paging(c, &pg);
    if (iam_invalid(c))
        return c->err;
    enum pail_err e = iam_authz_self(c, iam_arn(c, "role", prefix ? prefix : "/", ""));
    if (e)
        return e;
    struct iam_item *v = pail_arena_alloc(c->a, (c->acct->roles.n + 1) * sizeof *v);
    size_t n = 0, first;
    struct idmap_it it = {0};
    while (idmap_next(&c->acct->roles, &it)) {
        const struct role *r = it.e->val;
        if (!prefix || strncmp(r->d.path, prefix, strlen(prefix)) == 0)
            v[n++] = (struct iam_item){.key = r->d.name, .p = r};
    }
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, n, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "Roles");
    for (size_t i = first; i < first + k; i++)
        iam_role_xml(c, "member", v[i].p, false);
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}
