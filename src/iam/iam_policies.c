/* iam/iam_policies.c — policies on IAM identities: inline policies of users,
 * groups and roles (Put/Get/Delete/List XPolicy), customer managed policies
 * and their versions (CreatePolicy ... SetDefaultPolicyVersion), attachment
 * of managed policies (Attach/Detach/ListAttached XPolicies,
 * ListEntitiesForPolicy) and permissions boundaries. The three kinds of
 * identity share one code path through `struct target`. AWS managed policies
 * can be attached anywhere but never changed. */
#include "iam/iam_int.h"

#include "core/arena.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ===== the three identity kinds ===== */

enum tkind { T_USER, T_GROUP, T_ROLE };

struct tinfo {
    const char *param;        /* UserName */
    size_t name_max;          /* of the name parameter */
    const char *kind;         /* user (ARN, messages) */
    size_t inline_quota;      /* total inline size without whitespace */
    const char *attach_quota; /* PoliciesPerUser */
};

static const struct tinfo tinfo[] = {
    [T_USER] = {"UserName", 128, "user", ID_USER_INLINE_SIZE, "PoliciesPerUser"},
    [T_GROUP] = {"GroupName", 128, "group", ID_GROUP_INLINE_SIZE, "PoliciesPerGroup"},
    [T_ROLE] = {"RoleName", 64, "role", ID_ROLE_INLINE_SIZE, "PoliciesPerRole"},
};

/* The policy-bearing fields of one entity's doc. */
struct view {
    void *e;
    const char *name, *arn;
    struct inline_pol **inl;
    size_t *ninl;
    struct mpol ***att;
    size_t *natt;
    struct mpol **boundary; /* NULL for groups */
};

static struct view view_of(enum tkind k, void *e)
{
    struct view v = {.e = e};
    if (!e)
        return v;
    if (k == T_USER) {
        struct user *u = e;
        v = (struct view){e, u->d.name, u->d.arn, &u->d.inl, &u->d.ninl, &u->d.att, &u->d.natt,
                          &u->d.boundary};
    } else if (k == T_GROUP) {
        struct group *g = e;
        v = (struct view){e, g->d.name, g->d.arn, &g->d.inl, &g->d.ninl, &g->d.att, &g->d.natt, NULL};
    } else {
        struct role *r = e;
        v = (struct view){e, r->d.name, r->d.arn, &r->d.inl, &r->d.ninl, &r->d.att, &r->d.natt,
                          &r->d.boundary};
    }
    return v;
}

static void *find(struct iam_ctx *c, enum tkind k, const char *name)
{
    return k == T_USER ? (void *)iam_user(c, name)
         : k == T_GROUP ? (void *)iam_group(c, name) : (void *)iam_role(c, name);
}

static void *tmp_of(enum tkind k, void *live)
{
    return k == T_USER ? (void *)user_tmp(live)
         : k == T_GROUP ? (void *)group_tmp(live) : (void *)role_tmp(live);
}

static enum ent_kind ent_kind_of(enum tkind k)
{
    return k == T_USER ? EK_USER : k == T_GROUP ? EK_GROUP : EK_ROLE;
}

static enum pail_err no_such(struct iam_ctx *c, enum tkind k, const char *name)
{
    return k == T_USER ? iam_no_user(c, name) : k == T_GROUP ? iam_no_group(c, name)
                                                             : iam_no_role(c, name);
}

/* Reads the entity name parameter, authorizes on its ARN and finds it: the
 * live entity, or NULL with the error answered. */
static void *target(struct iam_ctx *c, enum tkind k, const char **name_out)
{
    const struct tinfo *ti = &tinfo[k];
    const char *name = iam_param(c, ti->param) ? iam_param(c, ti->param) : NULL;
    (void)iam_str(c, ti->param, true, 1, ti->name_max, PAT_NAME);
    if (iam_invalid(c))
        return NULL;
    void *e = find(c, k, name);
    struct view v = view_of(k, e);
    if (iam_authz_self(c, e ? v.arn : iam_arn(c, ti->kind, "/", name)))
        return NULL;
    if (!e)
        no_such(c, k, name);
    *name_out = name;
    return e;
}

/* Commits a prepared copy of live. */
static enum pail_err commit_tmp(struct iam_ctx *c, enum tkind k, void *live, void *tmp)
{
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, ent_kind_of(k), live, tmp);
    enum pail_err e = txn_commit(&t);
    return e ? iam_store_fail(c, e) : PAIL_OK;
}

/* ===== inline policies ===== */

static enum pail_err put_inline(struct iam_ctx *c, enum tkind k)
{
    const char *pname = iam_str(c, "PolicyName", true, 1, 128, PAT_NAME);
    const char *doc = iam_str(c, "PolicyDocument", true, 1, 131072, PAT_DOC);
    const char *name;
    void *e = target(c, k, &name);
    if (!e)
        return c->err;
    size_t nows;
    struct pdoc *d = iam_compile(c, doc, PAIL_POLICY_IDENTITY, &nows);
    if (!d)
        return c->err;
    struct view v = view_of(k, e);
    size_t total = nows;
    for (size_t i = 0; i < *v.ninl; i++)
        if (strcasecmp((*v.inl)[i].name, pname) != 0)
            total += pail_policy_size_nows((*v.inl)[i].d->doc, strlen((*v.inl)[i].d->doc));
    if (total > tinfo[k].inline_quota) {
        pdoc_unref(d);
        return iam_fail(c, PAIL_E_LimitExceeded, "Maximum policy size of %zu bytes exceeded for %s %s",
                        tinfo[k].inline_quota, tinfo[k].kind, v.name);
    }
    void *tmp = tmp_of(k, e);
    struct view tv = view_of(k, tmp);
    inl_put(tv.inl, tv.ninl, pname, d);
    return commit_tmp(c, k, e, tmp);
}

static enum pail_err no_inline(struct iam_ctx *c, enum tkind k, const char *pname)
{
    return iam_fail(c, PAIL_E_NoSuchEntity, "The %s policy with name %s cannot be found.",
                    tinfo[k].kind, pname);
}

static enum pail_err get_inline(struct iam_ctx *c, enum tkind k)
{
    const char *pname = iam_str(c, "PolicyName", true, 1, 128, PAT_NAME);
    const char *name;
    void *e = target(c, k, &name);
    if (!e)
        return c->err;
    struct view v = view_of(k, e);
    const struct inline_pol *p = inl_get(*v.inl, *v.ninl, pname);
    if (!p)
        return no_inline(c, k, pname);
    iam_result(c);
    pail_xml_elem(&c->x, tinfo[k].param, v.name);
    pail_xml_elem(&c->x, "PolicyName", p->name);
    pail_xml_elem(&c->x, "PolicyDocument", iam_urlencode(c, p->d->doc));
    return PAIL_OK;
}

static enum pail_err delete_inline(struct iam_ctx *c, enum tkind k)
{
    const char *pname = iam_str(c, "PolicyName", true, 1, 128, PAT_NAME);
    const char *name;
    void *e = target(c, k, &name);
    if (!e)
        return c->err;
    struct view v = view_of(k, e);
    if (!inl_get(*v.inl, *v.ninl, pname))
        return no_inline(c, k, pname);
    void *tmp = tmp_of(k, e);
    struct view tv = view_of(k, tmp);
    inl_del(tv.inl, tv.ninl, pname);
    return commit_tmp(c, k, e, tmp);
}

static enum pail_err list_inline(struct iam_ctx *c, enum tkind k)
{
    struct iam_page pg;
    iam_paging(c, &pg);
    const char *name;
    void *e = target(c, k, &name);
    if (!e)
        return c->err;
    struct view v = view_of(k, e);
    struct iam_item *items = pail_arena_alloc(c->a, (*v.ninl + 1) * sizeof *items);
    for (size_t i = 0; i < *v.ninl; i++)
        items[i] = (struct iam_item){.key = (*v.inl)[i].name};
    size_t first;
    bool trunc;
    const char *next;
    size_t n = iam_page_pick(items, *v.ninl, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "PolicyNames");
    for (size_t i = first; i < first + n; i++)
        pail_xml_elem(&c->x, "member", items[i].key);
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

enum pail_err iam_PutUserPolicy(struct iam_ctx *c) { return put_inline(c, T_USER); }
enum pail_err iam_GetUserPolicy(struct iam_ctx *c) { return get_inline(c, T_USER); }
enum pail_err iam_DeleteUserPolicy(struct iam_ctx *c) { return delete_inline(c, T_USER); }
enum pail_err iam_ListUserPolicies(struct iam_ctx *c) { return list_inline(c, T_USER); }
enum pail_err iam_PutGroupPolicy(struct iam_ctx *c) { return put_inline(c, T_GROUP); }
enum pail_err iam_GetGroupPolicy(struct iam_ctx *c) { return get_inline(c, T_GROUP); }
enum pail_err iam_DeleteGroupPolicy(struct iam_ctx *c) { return delete_inline(c, T_GROUP); }
enum pail_err iam_ListGroupPolicies(struct iam_ctx *c) { return list_inline(c, T_GROUP); }
enum pail_err iam_PutRolePolicy(struct iam_ctx *c) { return put_inline(c, T_ROLE); }
enum pail_err iam_GetRolePolicy(struct iam_ctx *c) { return get_inline(c, T_ROLE); }
enum pail_err iam_DeleteRolePolicy(struct iam_ctx *c) { return delete_inline(c, T_ROLE); }
enum pail_err iam_ListRolePolicies(struct iam_ctx *c) { return list_inline(c, T_ROLE); }

/* ===== managed policies ===== */

static bool arn_shaped(const char *arn)
{
    return strncmp(arn, "arn:", 4) == 0 && strchr(arn + 4, ':');
}

/* Reads PolicyArn, authorizes action on it, finds the policy. NULL with the
 * error answered. `writable`: AWS managed policies are refused as AWS does
 * (they are not in the caller's account). */
static struct mpol *policy_arg(struct iam_ctx *c, bool writable)
{
    const char *arn = iam_str(c, "PolicyArn", true, 20, 2048, PAT_NONE);
    if (iam_invalid(c))
        return NULL;
    if (!arn_shaped(arn)) {
        iam_fail(c, PAIL_E_InvalidInput, "ARN %s is not valid.", arn);
        return NULL;
    }
    if (iam_authz_self(c, arn))
        return NULL;
    struct mpol *p = iam_mpol(c, arn);
    if (!p)
        iam_fail(c, PAIL_E_NoSuchEntity, "Policy %s was not found.", arn);
    else if (writable && !p->acct) {
        iam_fail(c, PAIL_E_AccessDenied, "User: %s is not authorized to perform: iam:%s on resource: "
                                         "policy %s", c->me.arn, c->action, arn);
        c->deny_reason = "aws-managed";
        p = NULL;
    }
    return p;
}

/* Compiles a managed policy document within the 6,144-character quota. */
static struct pdoc *managed_doc(struct iam_ctx *c, const char *doc)
{
    size_t nows;
    struct pdoc *d = iam_compile(c, doc, PAIL_POLICY_IDENTITY, &nows);
    if (d && nows > ID_MANAGED_POLICY_SIZE) {
        pdoc_unref(d);
        iam_fail(c, PAIL_E_LimitExceeded, "Cannot exceed quota for PolicySize: %d",
                 ID_MANAGED_POLICY_SIZE);
        return NULL;
    }
    return d;
}

enum pail_err iam_CreatePolicy(struct iam_ctx *c)
{
    const char *name = iam_str(c, "PolicyName", true, 1, 128, PAT_NAME);
    const char *path = iam_str(c, "Path", false, 1, 512, PAT_POLICY_PATH);
    const char *doc = iam_str(c, "PolicyDocument", true, 1, 131072, PAT_DOC);
    const char *desc = iam_str(c, "Description", false, 0, 1000, PAT_NONE);
    struct tags tags = {0};
    if (!iam_tags(c, &tags) || iam_invalid(c)) {
        tags_free(&tags);
        return c->err;
    }
    path = path ? path : "/";
    const char *arn = iam_arn(c, "policy", path, name);
    struct pdoc *d = NULL;
    enum pail_err e = iam_authz_self(c, arn);
    if (!e && idmap_get(&c->acct->policies, name))
        e = iam_fail(c, PAIL_E_EntityAlreadyExists,
                     "A policy called %s already exists. Duplicate names are not allowed.", name);
    if (!e && !(d = managed_doc(c, doc)))
        e = c->err;
    if (e) {
        tags_free(&tags);
        return e;
    }
    struct mpol *p = id_xcalloc(1, sizeof *p);
    id_new_entity_id(c->id, p->id, "ANPA");
    p->acct = c->acct;
    p->d.name = id_xstrdup(name);
    p->d.path = id_xstrdup(path);
    p->d.arn = id_xstrdup(arn);
    p->d.description = desc && *desc ? id_xstrdup(desc) : NULL;
    p->d.created = p->d.updated = c->now;
    p->d.nv = 1;
    snprintf(p->d.v[0].id, sizeof p->d.v[0].id, "v1");
    p->d.v[0].d = d;
    p->d.v[0].created = c->now;
    p->d.next_ver = 2;
    p->d.tags = tags;
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_POLICY, NULL, p);
    if ((e = txn_commit(&t)))
        return iam_store_fail(c, e);
    iam_result(c);
    iam_policy_xml(c, "Policy", p, true);
    return PAIL_OK;
}

enum pail_err iam_GetPolicy(struct iam_ctx *c)
{
    struct mpol *p = policy_arg(c, false);
    if (!p)
        return c->err;
    iam_result(c);
    iam_policy_xml(c, "Policy", p, true);
    return PAIL_OK;
}

enum pail_err iam_ListPolicies(struct iam_ctx *c)
{
    static const char *const scopes[] = {"All", "AWS", "Local", NULL};
    static const char *const usages[] = {"PermissionsPolicy", "PermissionsBoundary", NULL};
    const char *scope = iam_enum(c, "Scope", false, scopes);
    bool only_attached = iam_bool(c, "OnlyAttached", false);
    const char *prefix = iam_str(c, "PathPrefix", false, 1, 512, PAT_POLICY_PATH);
    const char *usage = iam_enum(c, "PolicyUsageFilter", false, usages);
    struct iam_page pg;
    iam_paging(c, &pg);
    if (iam_invalid(c))
        return c->err;
    enum pail_err e = iam_authz_self(c, iam_arn(c, "policy", prefix ? prefix : "/", ""));
    if (e)
        return e;
    bool local = !scope || strcmp(scope, "AWS") != 0, aws = !scope || strcmp(scope, "Local") != 0;
    size_t cap = c->acct->policies.n + c->id->naws + 1, n = 0;
    struct iam_item *v = pail_arena_alloc(c->a, cap * sizeof *v);
    struct idmap_it it = {0};
    while (local && idmap_next(&c->acct->policies, &it))
        v[n++] = (struct iam_item){.key = ((struct mpol *)it.e->val)->d.arn, .p = it.e->val};
    for (size_t i = 0; aws && i < c->id->naws; i++)
        v[n++] = (struct iam_item){.key = c->id->aws[i]->d.arn, .p = c->id->aws[i]};
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mpol *p = v[i].p;
        if (prefix && strncmp(p->d.path, prefix, strlen(prefix)) != 0)
            continue;
        if (only_attached) {
            size_t att, bd;
            id_mpol_usage(c->acct, p, &att, &bd);
            size_t used = !usage ? att + bd : strcmp(usage, "PermissionsBoundary") == 0 ? bd : att;
            if (!used)
                continue;
        }
        v[kept++] = v[i];
    }
    size_t first;
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, kept, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "Policies");
    for (size_t i = first; i < first + k; i++)
        iam_policy_xml(c, "member", v[i].p, false);
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

enum pail_err iam_DeletePolicy(struct iam_ctx *c)
{
    struct mpol *p = policy_arg(c, true);
    if (!p)
        return c->err;
    size_t att, bd;
    id_mpol_usage(c->acct, p, &att, &bd);
    if (att || bd)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete a policy attached to entities.");
    if (p->d.nv > 1)
        return iam_fail(c, PAIL_E_DeleteConflict,
                        "This policy has more than one version. Before you delete a policy, you "
                        "must delete the policy's versions. The default version is deleted with "
                        "the policy.");
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_POLICY, p, NULL);
    enum pail_err e = txn_commit(&t);
    return e ? iam_store_fail(c, e) : PAIL_OK;
}

static void version_xml(struct iam_ctx *c, const struct mpol *p, size_t i, bool with_doc)
{
    pail_xml_open(&c->x, with_doc ? "PolicyVersion" : "member");
    if (with_doc)
        pail_xml_elem(&c->x, "Document", iam_urlencode(c, p->d.v[i].d->doc));
    pail_xml_elem(&c->x, "VersionId", p->d.v[i].id);
    pail_xml_elem_bool(&c->x, "IsDefaultVersion", i == p->d.def);
    iam_date(c, "CreateDate", p->d.v[i].created);
    pail_xml_close(&c->x);
}

static long version_of(const struct mpol *p, const char *vid)
{
    for (size_t i = 0; vid && i < p->d.nv; i++)
        if (strcmp(p->d.v[i].id, vid) == 0)
            return (long)i;
    return -1;
}

static enum pail_err no_version(struct iam_ctx *c, const struct mpol *p, const char *vid)
{
    return iam_fail(c, PAIL_E_NoSuchEntity, "Policy %s version %s does not exist or is not attachable.",
                    p->d.arn, vid);
}

static enum pail_err commit_policy(struct iam_ctx *c, struct mpol *p, struct mpol *tmp)
{
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_POLICY, p, tmp);
    enum pail_err e = txn_commit(&t);
    return e ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_CreatePolicyVersion(struct iam_ctx *c)
{
    const char *doc = iam_str(c, "PolicyDocument", true, 1, 131072, PAT_DOC);
    bool set_default = iam_bool(c, "SetAsDefault", false);
    struct mpol *p = policy_arg(c, true);
    if (!p)
        return c->err;
    if (p->d.nv >= ID_VERSIONS_PER_POLICY)
        return iam_fail(c, PAIL_E_LimitExceeded,
                        "A managed policy can have up to %d versions. Before you create a new "
                        "version, you must delete an existing version.",
                        ID_VERSIONS_PER_POLICY);
    struct pdoc *d = managed_doc(c, doc);
    if (!d)
        return c->err;
    struct mpol *tmp = mpol_tmp(p);
    struct mpol_ver *v = &tmp->d.v[tmp->d.nv];
    snprintf(v->id, sizeof v->id, "v%u", tmp->d.next_ver++);
    v->d = d;
    v->created = c->now;
    if (set_default) {
        tmp->d.def = tmp->d.nv;
        tmp->d.updated = c->now;
    }
    size_t idx = tmp->d.nv++;
    enum pail_err e = commit_policy(c, p, tmp);
    if (e)
        return e;
    iam_result(c);
    pail_xml_open(&c->x, "PolicyVersion");
    pail_xml_elem(&c->x, "VersionId", p->d.v[idx].id);
    pail_xml_elem_bool(&c->x, "IsDefaultVersion", idx == p->d.def);
    iam_date(c, "CreateDate", p->d.v[idx].created);
    pail_xml_close(&c->x);
    return PAIL_OK;
}

enum pail_err iam_GetPolicyVersion(struct iam_ctx *c)
{
    const char *vid = iam_str(c, "VersionId", true, 0, 0, PAT_VERSION);
    struct mpol *p = policy_arg(c, false);
    if (!p)
        return c->err;
    long i = version_of(p, vid);
    if (i < 0)
        return no_version(c, p, vid);
    iam_result(c);
    version_xml(c, p, (size_t)i, true);
    return PAIL_OK;
}

enum pail_err iam_ListPolicyVersions(struct iam_ctx *c)
{
    struct iam_page pg;
    iam_paging(c, &pg);
    struct mpol *p = policy_arg(c, false);
    if (!p)
        return c->err;
    /* newest first, as AWS lists them: keys sort descending by version number */
    struct iam_item v[ID_VERSIONS_PER_POLICY];
    for (size_t i = 0; i < p->d.nv; i++) {
        unsigned num = (unsigned)strtoul(p->d.v[i].id + 1, NULL, 10);
        v[i] = (struct iam_item){.key = pail_arena_printf(c->a, "%010u", UINT_MAX - num),
                                 .p = (void *)(uintptr_t)i};
    }
    size_t first;
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, p->d.nv, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "Versions");
    for (size_t i = first; i < first + k; i++)
        version_xml(c, p, (size_t)(uintptr_t)v[i].p, false);
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

enum pail_err iam_DeletePolicyVersion(struct iam_ctx *c)
{
    const char *vid = iam_str(c, "VersionId", true, 0, 0, PAT_VERSION);
    struct mpol *p = policy_arg(c, true);
    if (!p)
        return c->err;
    long i = version_of(p, vid);
    if (i < 0)
        return no_version(c, p, vid);
    if ((size_t)i == p->d.def)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete the default version of a policy.");
    struct mpol *tmp = mpol_tmp(p);
    pdoc_unref(tmp->d.v[i].d);
    memmove(&tmp->d.v[i], &tmp->d.v[i + 1], (tmp->d.nv - (size_t)i - 1) * sizeof tmp->d.v[0]);
    tmp->d.nv--;
    if (tmp->d.def > (size_t)i)
        tmp->d.def--;
    return commit_policy(c, p, tmp);
}

enum pail_err iam_SetDefaultPolicyVersion(struct iam_ctx *c)
{
    const char *vid = iam_str(c, "VersionId", true, 0, 0, PAT_VERSION);
    struct mpol *p = policy_arg(c, true);
    if (!p)
        return c->err;
    long i = version_of(p, vid);
    if (i < 0)
        return no_version(c, p, vid);
    if ((size_t)i == p->d.def)
        return PAIL_OK;
    struct mpol *tmp = mpol_tmp(p);
    tmp->d.def = (size_t)i;
    tmp->d.updated = c->now;
    return commit_policy(c, p, tmp);
}

/* ===== attachments ===== */

/* Reads PolicyArn for an attachment: the policy, or NULL answered. */
static struct mpol *attachable(struct iam_ctx *c, const char *arn)
{
    struct mpol *p = iam_mpol(c, arn);
    if (!p)
        iam_fail(c, PAIL_E_NoSuchEntity, "Policy %s does not exist or is not attachable.", arn);
    return p;
}

static enum pail_err attach(struct iam_ctx *c, enum tkind k, bool add)
{
    const char *arn = iam_str(c, "PolicyArn", true, 20, 2048, PAT_NONE);
    const char *name;
    void *e = target(c, k, &name);
    if (!e)
        return c->err;
    if (!arn_shaped(arn))
        return iam_fail(c, PAIL_E_InvalidInput, "ARN %s is not valid.", arn);
    struct mpol *p = attachable(c, arn);
    if (!p)
        return c->err;
    struct view v = view_of(k, e);
    bool has = att_has(*v.att, *v.natt, p);
    if (add == has)
        return add ? PAIL_OK : iam_fail(c, PAIL_E_NoSuchEntity, "Policy %s was not found.", arn);
    if (add && *v.natt >= ID_ATTACHED_PER_ENTITY)
        return iam_fail(c, PAIL_E_LimitExceeded, "Cannot exceed quota for %s: %d",
                        tinfo[k].attach_quota, ID_ATTACHED_PER_ENTITY);
    void *tmp = tmp_of(k, e);
    struct view tv = view_of(k, tmp);
    if (add)
        att_add(tv.att, tv.natt, p);
    else
        att_del(tv.att, tv.natt, p);
    return commit_tmp(c, k, e, tmp);
}

static enum pail_err list_attached(struct iam_ctx *c, enum tkind k)
{
    const char *prefix = iam_str(c, "PathPrefix", false, 1, 512, PAT_POLICY_PATH);
    struct iam_page pg;
    iam_paging(c, &pg);
    const char *name;
    void *e = target(c, k, &name);
    if (!e)
        return c->err;
    struct view v = view_of(k, e);
    struct iam_item *items = pail_arena_alloc(c->a, (*v.natt + 1) * sizeof *items);
    size_t n = 0;
    for (size_t i = 0; i < *v.natt; i++) {
        const struct mpol *p = (*v.att)[i];
        if (!prefix || strncmp(p->d.path, prefix, strlen(prefix)) == 0)
            items[n++] = (struct iam_item){.key = p->d.arn, .p = p};
    }
    size_t first;
    bool trunc;
    const char *next;
    size_t cnt = iam_page_pick(items, n, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "AttachedPolicies");
    for (size_t i = first; i < first + cnt; i++) {
        const struct mpol *p = items[i].p;
        pail_xml_open(&c->x, "member");
        pail_xml_elem(&c->x, "PolicyName", p->d.name);
        pail_xml_elem(&c->x, "PolicyArn", p->d.arn);
        pail_xml_close(&c->x);
    }
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

enum pail_err iam_AttachUserPolicy(struct iam_ctx *c) { return attach(c, T_USER, true); }
enum pail_err iam_DetachUserPolicy(struct iam_ctx *c) { return attach(c, T_USER, false); }
enum pail_err iam_ListAttachedUserPolicies(struct iam_ctx *c) { return list_attached(c, T_USER); }
enum pail_err iam_AttachGroupPolicy(struct iam_ctx *c) { return attach(c, T_GROUP, true); }
enum pail_err iam_DetachGroupPolicy(struct iam_ctx *c) { return attach(c, T_GROUP, false); }
enum pail_err iam_ListAttachedGroupPolicies(struct iam_ctx *c) { return list_attached(c, T_GROUP); }
enum pail_err iam_AttachRolePolicy(struct iam_ctx *c) { return attach(c, T_ROLE, true); }
enum pail_err iam_DetachRolePolicy(struct iam_ctx *c) { return attach(c, T_ROLE, false); }
enum pail_err iam_ListAttachedRolePolicies(struct iam_ctx *c) { return list_attached(c, T_ROLE); }

/* One entity of ListEntitiesForPolicy: key "g:", "r:" or "u:" + name, so one
 * Marker pages through groups, then roles, then users. */
static void add_entity(struct iam_ctx *c, struct iam_item *v, size_t *n, char kind, const char *name,
                       const char *path, const char *prefix, const void *e)
{
    if (prefix && strncmp(path, prefix, strlen(prefix)) != 0)
        return;
    v[(*n)++] = (struct iam_item){.key = pail_arena_printf(c->a, "%c:%s", kind, name), .p = e};
}

static void entities_xml(struct iam_ctx *c, const char *list, const char *nelem, const char *idelem,
                         char kind, const struct iam_item *v, size_t first, size_t k)
{
    pail_xml_open(&c->x, list);
    for (size_t i = first; i < first + k; i++) {
        if (v[i].key[0] != kind)
            continue;
        const char *name = v[i].key + 2, *eid = kind == 'g' ? ((const struct group *)v[i].p)->id
                                               : kind == 'r' ? ((const struct role *)v[i].p)->id
                                                             : ((const struct user *)v[i].p)->id;
        pail_xml_open(&c->x, "member");
        pail_xml_elem(&c->x, nelem, name);
        pail_xml_elem(&c->x, idelem, eid);
        pail_xml_close(&c->x);
    }
    pail_xml_close(&c->x);
}

enum pail_err iam_ListEntitiesForPolicy(struct iam_ctx *c)
{
    static const char *const filters[] = {"User", "Role", "Group", "LocalManagedPolicy",
                                          "AWSManagedPolicy", NULL};
    static const char *const usages[] = {"PermissionsPolicy", "PermissionsBoundary", NULL};
    const char *filter = iam_enum(c, "EntityFilter", false, filters);
    const char *prefix = iam_str(c, "PathPrefix", false, 1, 512, PAT_PATH);
    const char *usage = iam_enum(c, "PolicyUsageFilter", false, usages);
    struct iam_page pg;
    iam_paging(c, &pg);
    struct mpol *p = policy_arg(c, false);
    if (!p)
        return c->err;
    bool perm = !usage || strcmp(usage, "PermissionsPolicy") == 0;
    bool bound = !usage || strcmp(usage, "PermissionsBoundary") == 0;
    bool users = !filter || strcmp(filter, "User") == 0, roles = !filter || strcmp(filter, "Role") == 0;
    bool groups = !filter || strcmp(filter, "Group") == 0;
    size_t cap = c->acct->users.n + c->acct->roles.n + c->acct->groups.n + 1, n = 0;
    struct iam_item *v = pail_arena_alloc(c->a, cap * sizeof *v);
    struct idmap_it it = {0};
    while (groups && perm && idmap_next(&c->acct->groups, &it)) {
        const struct group *g = it.e->val;
        if (att_has(g->d.att, g->d.natt, p))
            add_entity(c, v, &n, 'g', g->d.name, g->d.path, prefix, g);
    }
    it = (struct idmap_it){0};
    while (roles && idmap_next(&c->acct->roles, &it)) {
        const struct role *r = it.e->val;
        if ((perm && att_has(r->d.att, r->d.natt, p)) || (bound && r->d.boundary == p))
            add_entity(c, v, &n, 'r', r->d.name, r->d.path, prefix, r);
    }
    it = (struct idmap_it){0};
    while (users && idmap_next(&c->acct->users, &it)) {
        const struct user *u = it.e->val;
        if ((perm && att_has(u->d.att, u->d.natt, p)) || (bound && u->d.boundary == p))
            add_entity(c, v, &n, 'u', u->d.name, u->d.path, prefix, u);
    }
    size_t first;
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, n, &pg, &first, &trunc, &next);
    iam_result(c);
    entities_xml(c, "PolicyGroups", "GroupName", "GroupId", 'g', v, first, k);
    entities_xml(c, "PolicyUsers", "UserName", "UserId", 'u', v, first, k);
    entities_xml(c, "PolicyRoles", "RoleName", "RoleId", 'r', v, first, k);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

/* ===== permissions boundaries ===== */

static enum pail_err boundary(struct iam_ctx *c, enum tkind k, bool put)
{
    const char *arn = put ? iam_str(c, "PermissionsBoundary", true, 20, 2048, PAT_NONE) : NULL;
    const char *name;
    void *e = target(c, k, &name);
    if (!e)
        return c->err;
    struct mpol *p = NULL;
    if (put && !arn_shaped(arn))
        return iam_fail(c, PAIL_E_InvalidInput, "ARN %s is not valid.", arn);
    if (put && !(p = attachable(c, arn)))
        return c->err;
    struct view v = view_of(k, e);
    if (*v.boundary == p)
        return PAIL_OK;
    void *tmp = tmp_of(k, e);
    *view_of(k, tmp).boundary = p;
    return commit_tmp(c, k, e, tmp);
}

enum pail_err iam_PutUserPermissionsBoundary(struct iam_ctx *c) { return boundary(c, T_USER, true); }
enum pail_err iam_DeleteUserPermissionsBoundary(struct iam_ctx *c) { return boundary(c, T_USER, false); }
enum pail_err iam_PutRolePermissionsBoundary(struct iam_ctx *c) { return boundary(c, T_ROLE, true); }
enum pail_err iam_DeleteRolePermissionsBoundary(struct iam_ctx *c) { return boundary(c, T_ROLE, false); }
