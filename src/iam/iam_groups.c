/* iam/iam_groups.c — IAM groups and membership: CreateGroup, GetGroup,
 * UpdateGroup, DeleteGroup, ListGroups, AddUserToGroup, RemoveUserFromGroup,
 * ListGroupsForUser. Membership is kept in each user's record (group ids),
 * so renaming a group rewrites one record; a group's members are found by
 * walking the account's users (IAM calls are rare, requests never need it). */
#include "iam/iam_int.h"

#include "core/arena.h"

#include <stdio.h>
#include <string.h>

static const char *group_resource(struct iam_ctx *c, const struct group *g, const char *name)
{
    return g ? g->d.arn : iam_arn(c, "group", "/", name);
}

static bool is_member(const struct user *u, const struct group *g)
{
    for (size_t i = 0; i < u->d.ngroups; i++)
        if (u->d.groups[i] == g)
            return true;
    return false;
}

/* The users of g, as page items keyed by name. */
static size_t members(struct iam_ctx *c, const struct group *g, struct iam_item **out)
{
    struct iam_item *v = pail_arena_alloc(c->a, (c->acct->users.n + 1) * sizeof *v);
    size_t n = 0;
    struct idmap_it it = {0};
    while (idmap_next(&c->acct->users, &it)) {
        const struct user *u = it.e->val;
        if (is_member(u, g))
            v[n++] = (struct iam_item){.key = u->d.name, .p = u};
    }
    *out = v;
    return n;
}

enum pail_err iam_CreateGroup(struct iam_ctx *c)
{
    const char *name = iam_str(c, "GroupName", true, 1, 128, PAT_NAME);
    const char *path = iam_str(c, "Path", false, 1, 512, PAT_PATH);
    if (iam_invalid(c))
        return c->err;
    path = path ? path : "/";
    const char *arn = iam_arn(c, "group", path, name);
    enum pail_err e = iam_authz_self(c, arn);
    if (e)
        return e;
    if (iam_group(c, name))
        return iam_fail(c, PAIL_E_EntityAlreadyExists, "Group with name %s already exists.", name);
    struct group *g = id_xcalloc(1, sizeof *g);
    id_new_entity_id(c->id, g->id, "AGPA");
    g->acct = c->acct;
    g->d.name = id_xstrdup(name);
    g->d.path = id_xstrdup(path);
    g->d.arn = id_xstrdup(arn);
    g->d.created = c->now;
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_GROUP, NULL, g);
    if ((e = txn_commit(&t)))
        return iam_store_fail(c, e);
    iam_result(c);
    iam_group_xml(c, "Group", g);
    return PAIL_OK;
}

enum pail_err iam_GetGroup(struct iam_ctx *c)
{
    const char *name = iam_str(c, "GroupName", true, 1, 128, PAT_NAME);
    struct iam_page pg;
    iam_paging(c, &pg);
    if (iam_invalid(c))
        return c->err;
    struct group *g = iam_group(c, name);
    enum pail_err e = iam_authz_self(c, group_resource(c, g, name));
    if (e)
        return e;
    if (!g)
        return iam_no_group(c, name);
    struct iam_item *v;
    size_t n = members(c, g, &v), first;
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, n, &pg, &first, &trunc, &next);
    iam_result(c);
    iam_group_xml(c, "Group", g);
    pail_xml_open(&c->x, "Users");
    for (size_t i = first; i < first + k; i++)
        iam_user_xml(c, "member", v[i].p, false);
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

enum pail_err iam_UpdateGroup(struct iam_ctx *c)
{
    const char *name = iam_str(c, "GroupName", true, 1, 128, PAT_NAME);
    const char *npath = iam_str(c, "NewPath", false, 1, 512, PAT_PATH);
    const char *nname = iam_str(c, "NewGroupName", false, 1, 128, PAT_NAME);
    if (iam_invalid(c))
        return c->err;
    struct group *g = iam_group(c, name);
    enum pail_err e = iam_authz_self(c, group_resource(c, g, name));
    if (e)
        return e;
    if (!g)
        return iam_no_group(c, name);
    struct group *other = nname ? iam_group(c, nname) : NULL;
    if (other && other != g)
        return iam_fail(c, PAIL_E_EntityAlreadyExists, "Group with name %s already exists.", nname);
    if (!npath && !nname)
        return PAIL_OK;
    struct group *tmp = group_tmp(g);
    id_entity_rename(&tmp->d.name, &tmp->d.path, &tmp->d.arn, c->acct->id, "group", nname,
                     npath);
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_GROUP, g, tmp);
    return (e = txn_commit(&t)) ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_DeleteGroup(struct iam_ctx *c)
{
    const char *name = iam_str(c, "GroupName", true, 1, 128, PAT_NAME);
    if (iam_invalid(c))
        return c->err;
    struct group *g = iam_group(c, name);
    enum pail_err e = iam_authz_self(c, group_resource(c, g, name));
    if (e)
        return e;
    if (!g)
        return iam_no_group(c, name);
    struct iam_item *v;
    if (members(c, g, &v))
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must remove users from group first.");
    if (g->d.ninl)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must delete policies first.");
    if (g->d.natt)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must detach all policies first.");
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_GROUP, g, NULL);
    return (e = txn_commit(&t)) ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_ListGroups(struct iam_ctx *c)
{
    const char *prefix = iam_str(c, "PathPrefix", false, 1, 512, PAT_PATH_PREFIX);
    struct iam_page pg;
    iam_paging(c, &pg);
    if (iam_invalid(c))
        return c->err;
    enum pail_err e = iam_authz_self(c, iam_arn(c, "group", prefix ? prefix : "/", ""));
    if (e)
        return e;
    struct iam_item *v = pail_arena_alloc(c->a, (c->acct->groups.n + 1) * sizeof *v);
    size_t n = 0, first;
    struct idmap_it it = {0};
    while (idmap_next(&c->acct->groups, &it)) {
        const struct group *g = it.e->val;
        if (!prefix || strncmp(g->d.path, prefix, strlen(prefix)) == 0)
            v[n++] = (struct iam_item){.key = g->d.name, .p = g};
    }
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, n, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "Groups");
    for (size_t i = first; i < first + k; i++)
        iam_group_xml(c, "member", v[i].p);
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

/* AddUserToGroup / RemoveUserFromGroup: one user record rewritten. */
static enum pail_err membership(struct iam_ctx *c, bool add)
{
    const char *gname = iam_str(c, "GroupName", true, 1, 128, PAT_NAME);
    const char *uname = iam_str(c, "UserName", true, 1, 128, PAT_NAME);
    if (iam_invalid(c))
        return c->err;
    struct group *g = iam_group(c, gname);
    struct user *u = iam_user(c, uname);
    enum pail_err e = iam_authz_self(c, group_resource(c, g, gname));
    if (e)
        return e;
    if (!g)
        return iam_no_group(c, gname);
    if (!u)
        return iam_no_user(c, uname);
    if (add == is_member(u, g))
        return add ? PAIL_OK : iam_no_user(c, uname);
    if (add && u->d.ngroups >= ID_GROUPS_PER_USER)
        return iam_fail(c, PAIL_E_LimitExceeded, "Cannot exceed quota for GroupsPerUser: %d",
                        ID_GROUPS_PER_USER);
    struct user *tmp = user_tmp(u);
    if (add) {
        struct group **ng = id_xcalloc(tmp->d.ngroups + 1, sizeof *ng);
        if (tmp->d.ngroups)
            memcpy(ng, tmp->d.groups, tmp->d.ngroups * sizeof *ng);
        ng[tmp->d.ngroups++] = g;
        free(tmp->d.groups);
        tmp->d.groups = ng;
    } else {
        size_t j = 0;
        for (size_t i = 0; i < tmp->d.ngroups; i++)
            if (tmp->d.groups[i] != g)
                tmp->d.groups[j++] = tmp->d.groups[i];
        tmp->d.ngroups = j;
    }
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_USER, u, tmp);
    return (e = txn_commit(&t)) ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_AddUserToGroup(struct iam_ctx *c)
{
    return membership(c, true);
}

enum pail_err iam_RemoveUserFromGroup(struct iam_ctx *c)
{
    return membership(c, false);
}

enum pail_err iam_ListGroupsForUser(struct iam_ctx *c)
{
    const char *name = iam_str(c, "UserName", true, 1, 128, PAT_NAME);
    struct iam_page pg;
    iam_paging(c, &pg);
    if (iam_invalid(c))
        return c->err;
    struct user *u = iam_user(c, name);
    enum pail_err e = iam_authz_self(c, u ? u->d.arn : iam_arn(c, "user", "/", name));
    if (e)
        return e;
    if (!u)
        return iam_no_user(c, name);
    struct iam_item *v = pail_arena_alloc(c->a, (u->d.ngroups + 1) * sizeof *v);
    for (size_t i = 0; i < u->d.ngroups; i++)
        v[i] = (struct iam_item){.key = u->d.groups[i]->d.name, .p = u->d.groups[i]};
    size_t first;
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, u->d.ngroups, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "Groups");
    for (size_t i = first; i < first + k; i++)
        iam_group_xml(c, "member", v[i].p);
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}
