/* iam/iam_users.c — IAM users and their access keys: CreateUser, GetUser,
 * UpdateUser, DeleteUser, ListUsers, CreateAccessKey, UpdateAccessKey,
 * DeleteAccessKey, ListAccessKeys, GetAccessKeyLastUsed. Each action:
 * validate parameters, authorize on the resource AWS names, check existence
 * and conflicts, then one transaction. */
#include "iam/iam_int.h"

#include "auth/crypto.h"
#include "core/arena.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ===== users ===== */

/* The ARN an action on user `name` is authorized against: the user's own
 * (with its path) when it exists, else the default path's. */
static const char *user_resource(struct iam_ctx *c, const struct user *u, const char *name)
{
    return u ? u->d.arn : iam_arn(c, "user", "/", name);
}

static enum pail_err no_boundary(struct iam_ctx *c, const char *arn)
{
    return iam_fail(c, PAIL_E_NoSuchEntity, "Policy %s does not exist or is not attachable.", arn);
}

enum pail_err iam_CreateUser(struct iam_ctx *c)
{
    const char *name = iam_str(c, "UserName", true, 1, 64, PAT_NAME);
    const char *path = iam_str(c, "Path", false, 1, 512, PAT_PATH);
    const char *pb = iam_str(c, "PermissionsBoundary", false, 20, 2048, PAT_NONE);
    struct tags tags = {0};
    if (!iam_tags(c, &tags) || iam_invalid(c)) {
        tags_free(&tags);
        return c->err;
    }
    path = path ? path : "/";
    const char *arn = iam_arn(c, "user", path, name);
    struct mpol *boundary = pb ? iam_mpol(c, pb) : NULL;
    enum pail_err e = iam_authz_self(c, arn);
    if (!e && pb)
        e = iam_authz(c, "iam:PutUserPermissionsBoundary", arn);
    if (!e && iam_user(c, name))
        e = iam_fail(c, PAIL_E_EntityAlreadyExists, "User with name %s already exists.", name);
    if (!e && pb && !boundary)
        e = no_boundary(c, pb);
    if (e) {
        tags_free(&tags);
        return e;
    }
    struct user *u = id_xcalloc(1, sizeof *u);
    id_new_entity_id(c->id, u->id, "AIDA");
    u->acct = c->acct;
    u->d.name = id_xstrdup(name);
    u->d.path = id_xstrdup(path);
    u->d.arn = id_xstrdup(arn);
    u->d.created = c->now;
    u->d.tags = tags;
    u->d.boundary = boundary;
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_USER, NULL, u);
    if ((e = txn_commit(&t)))
        return iam_store_fail(c, e);
    iam_result(c);
    iam_user_xml(c, "User", u, true);
    return PAIL_OK;
}

static enum pail_err non_user(struct iam_ctx *c)
{
    return iam_fail(c, PAIL_E_ValidationError,
                    "Must specify userName when calling with non-User credentials");
}

enum pail_err iam_GetUser(struct iam_ctx *c)
{
    const char *name = iam_str(c, "UserName", false, 1, 128, PAT_NAME);
    if (iam_invalid(c))
        return c->err;
    struct user *u = name ? iam_user(c, name) : iam_caller_user(c);
    enum pail_err e;
    if (!name && !u) {
        if (!c->is_root)
            return non_user(c);
        /* the root: AWS answers with the account itself */
        iam_result(c);
        pail_xml_open(&c->x, "User");
        pail_xml_elem(&c->x, "UserId", c->acct->id);
        pail_xml_elem(&c->x, "Arn", c->me.arn);
        iam_date(c, "CreateDate", c->acct->d.created);
        pail_xml_close(&c->x);
        return PAIL_OK;
    }
    if ((e = iam_authz_self(c, user_resource(c, u, name))))
        return e;
    if (!u)
        return iam_no_user(c, name);
    iam_result(c);
    iam_user_xml(c, "User", u, true);
    return PAIL_OK;
}

enum pail_err iam_UpdateUser(struct iam_ctx *c)
{
    const char *name = iam_str(c, "UserName", true, 1, 128, PAT_NAME);
    const char *npath = iam_str(c, "NewPath", false, 1, 512, PAT_PATH);
    const char *nname = iam_str(c, "NewUserName", false, 1, 64, PAT_NAME);
    if (iam_invalid(c))
        return c->err;
    struct user *u = iam_user(c, name);
    enum pail_err e = iam_authz_self(c, user_resource(c, u, name));
    if (e)
        return e;
    if (!u)
        return iam_no_user(c, name);
    struct user *other = nname ? iam_user(c, nname) : NULL;
    if (other && other != u)
        return iam_fail(c, PAIL_E_EntityAlreadyExists, "User with name %s already exists.", nname);
    if (!npath && !nname)
        return PAIL_OK;
    struct user *tmp = user_tmp(u);
    id_entity_rename(&tmp->d.name, &tmp->d.path, &tmp->d.arn, c->acct->id, "user", nname,
                     npath);
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_USER, u, tmp);
    return (e = txn_commit(&t)) ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_DeleteUser(struct iam_ctx *c)
{
    const char *name = iam_str(c, "UserName", true, 1, 128, PAT_NAME);
    if (iam_invalid(c))
        return c->err;
    struct user *u = iam_user(c, name);
    enum pail_err e = iam_authz_self(c, user_resource(c, u, name));
    if (e)
        return e;
    if (!u)
        return iam_no_user(c, name);
    if (u->nkeys)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must delete access keys first.");
    if (u->d.ninl)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must delete policies first.");
    if (u->d.natt)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must detach all policies first.");
    if (u->d.ngroups)
        return iam_fail(c, PAIL_E_DeleteConflict, "Cannot delete entity, must remove users from group first.");
    struct txn t;
    txn_begin(&t, c->id);
    txn_drop_sessions(&t, u, NULL);
    txn_stage(&t, EK_USER, u, NULL);
    return (e = txn_commit(&t)) ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_ListUsers(struct iam_ctx *c)
{
    const char *prefix = iam_str(c, "PathPrefix", false, 1, 512, PAT_PATH_PREFIX);
    struct iam_page pg;
    iam_paging(c, &pg);
    if (iam_invalid(c))
        return c->err;
    enum pail_err e = iam_authz_self(c, iam_arn(c, "user", prefix ? prefix : "/", ""));
    if (e)
        return e;
    struct iam_item *v = pail_arena_alloc(c->a, (c->acct->users.n + 1) * sizeof *v);
    size_t n = 0, first;
    struct idmap_it it = {0};
    while (idmap_next(&c->acct->users, &it)) {
        const struct user *u = it.e->val;
        if (!prefix || strncmp(u->d.path, prefix, strlen(prefix)) == 0)
            v[n++] = (struct iam_item){.key = u->d.name, .p = u};
    }
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, n, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "Users");
    for (size_t i = first; i < first + k; i++)
        iam_user_xml(c, "member", v[i].p, false);
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

/* ===== access keys ===== */

/* Whose keys an action is about: UserName's, else the caller's own (the root
 * naming nobody means the root's keys: *u NULL). *resource: what to
 * authorize on. PAIL_OK or the error answered. */
static enum pail_err key_owner(struct iam_ctx *c, const char *name, struct user **u,
                               const char **resource)
{
    if (name) {
        *u = iam_user(c, name);
        *resource = user_resource(c, *u, name);
        return PAIL_OK;
    }
    *u = iam_caller_user(c);
    if (!*u && !c->is_root)
        return non_user(c);
    *resource = *u ? (*u)->d.arn : c->me.arn;
    return PAIL_OK;
}

static const char *owner_name(const struct iam_ctx *c, const struct user *u)
{
    return u ? u->d.name : c->acct->d.name;
}

/* The key kid of user u (NULL: of the root) in the caller's account. */
static struct key *owned_key(struct iam_ctx *c, const struct user *u, const char *kid)
{
    struct key *k = kid ? idmap_get(&c->id->creds, kid) : NULL;
    if (!k || k->kind != CRED_KEY || k->acct != c->acct || k->user != u)
        return NULL;
    return k;
}

static enum pail_err no_key(struct iam_ctx *c, const char *kid)
{
    return iam_fail(c, PAIL_E_NoSuchEntity, "The Access Key with id %s cannot be found.", kid);
}

enum pail_err iam_CreateAccessKey(struct iam_ctx *c)
{
    const char *name = iam_str(c, "UserName", false, 1, 128, PAT_NAME);
    if (iam_invalid(c))
        return c->err;
    struct user *u;
    const char *res;
    enum pail_err e = key_owner(c, name, &u, &res);
    if (!e)
        e = iam_authz_self(c, res);
    if (e)
        return e;
    if (name && !u)
        return iam_no_user(c, name);
    size_t have = u ? u->nkeys : c->acct->nroot;
    if (have >= (u ? ID_KEYS_PER_USER : ID_ROOT_KEYS))
        return iam_fail(c, PAIL_E_LimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d",
                        ID_KEYS_PER_USER);
    struct key *k = id_xcalloc(1, sizeof *k);
    k->kind = CRED_KEY;
    id_new_key_id(c->id, k->id, "AKIA");
    k->acct = c->acct;
    k->user = u;
    id_new_secret(k->d.secret);
    k->d.active = true;
    k->d.created = c->now;
    char secret[48];
    memcpy(secret, k->d.secret, sizeof secret);
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_KEY, NULL, k);
    if ((e = txn_commit(&t))) {
        pail_crypto_wipe(secret, sizeof secret);
        return iam_store_fail(c, e);
    }
    iam_result(c);
    pail_xml_open(&c->x, "AccessKey");
    pail_xml_elem(&c->x, "UserName", owner_name(c, u));
    pail_xml_elem(&c->x, "AccessKeyId", k->id);
    pail_xml_elem(&c->x, "Status", "Active");
    pail_xml_elem(&c->x, "SecretAccessKey", secret);
    iam_date(c, "CreateDate", k->d.created);
    pail_xml_close(&c->x);
    pail_crypto_wipe(secret, sizeof secret);
    return PAIL_OK;
}

enum pail_err iam_UpdateAccessKey(struct iam_ctx *c)
{
    static const char *const statuses[] = {"Active", "Inactive", "Expired", NULL};
    const char *name = iam_str(c, "UserName", false, 1, 128, PAT_NAME);
    const char *kid = iam_str(c, "AccessKeyId", true, 16, 128, PAT_ID);
    const char *status = iam_enum(c, "Status", true, statuses);
    if (iam_invalid(c))
        return c->err;
    struct user *u;
    const char *res;
    enum pail_err e = key_owner(c, name, &u, &res);
    if (!e)
        e = iam_authz_self(c, res);
    if (e)
        return e;
    if (name && !u)
        return iam_no_user(c, name);
    struct key *k = owned_key(c, u, kid);
    if (!k)
        return no_key(c, kid);
    if (strcmp(status, "Expired") == 0)
        return iam_fail(c, PAIL_E_InvalidInput, "Access keys cannot be set to status Expired.");
    bool active = strcmp(status, "Active") == 0;
    if (k->d.active == active)
        return PAIL_OK;
    struct key *tmp = key_tmp(k);
    tmp->d.active = active;
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_KEY, k, tmp);
    return (e = txn_commit(&t)) ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_DeleteAccessKey(struct iam_ctx *c)
{
    const char *name = iam_str(c, "UserName", false, 1, 128, PAT_NAME);
    const char *kid = iam_str(c, "AccessKeyId", true, 16, 128, PAT_ID);
    if (iam_invalid(c))
        return c->err;
    struct user *u;
    const char *res;
    enum pail_err e = key_owner(c, name, &u, &res);
    if (!e)
        e = iam_authz_self(c, res);
    if (e)
        return e;
    if (name && !u)
        return iam_no_user(c, name);
    struct key *k = owned_key(c, u, kid);
    if (!k)
        return no_key(c, kid);
    if (!u && c->acct == id_first_acct(c->id) && c->acct->nroot == 1)
        return iam_fail(c, PAIL_E_InvalidInput, "The server's root access key cannot be deleted; "
                                                "rotate it through the server's configuration.");
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_KEY, k, NULL);
    return (e = txn_commit(&t)) ? iam_store_fail(c, e) : PAIL_OK;
}

enum pail_err iam_ListAccessKeys(struct iam_ctx *c)
{
    const char *name = iam_str(c, "UserName", false, 1, 128, PAT_NAME);
    struct iam_page pg;
    iam_paging(c, &pg);
    if (iam_invalid(c))
        return c->err;
    struct user *u;
    const char *res;
    enum pail_err e = key_owner(c, name, &u, &res);
    if (!e)
        e = iam_authz_self(c, res);
    if (e)
        return e;
    if (name && !u)
        return iam_no_user(c, name);
    struct key *const *keys = u ? u->keys : c->acct->root_keys;
    size_t nk = u ? u->nkeys : c->acct->nroot, first;
    struct iam_item v[ID_KEYS_PER_USER > ID_ROOT_KEYS ? ID_KEYS_PER_USER : ID_ROOT_KEYS];
    for (size_t i = 0; i < nk; i++)
        v[i] = (struct iam_item){.key = keys[i]->id, .p = keys[i]};
    bool trunc;
    const char *next;
    size_t k = iam_page_pick(v, nk, &pg, &first, &trunc, &next);
    iam_result(c);
    pail_xml_open(&c->x, "AccessKeyMetadata");
    for (size_t i = first; i < first + k; i++) {
        const struct key *key = v[i].p;
        pail_xml_open(&c->x, "member");
        pail_xml_elem(&c->x, "UserName", owner_name(c, u));
        pail_xml_elem(&c->x, "AccessKeyId", key->id);
        pail_xml_elem(&c->x, "Status", key->d.active ? "Active" : "Inactive");
        iam_date(c, "CreateDate", key->d.created);
        pail_xml_close(&c->x);
    }
    pail_xml_close(&c->x);
    iam_page_end(c, trunc, next);
    return PAIL_OK;
}

enum pail_err iam_GetAccessKeyLastUsed(struct iam_ctx *c)
{
    const char *kid = iam_str(c, "AccessKeyId", true, 16, 128, PAT_ID);
    if (iam_invalid(c))
        return c->err;
    struct key *k = idmap_get(&c->id->creds, kid);
    if (k && (k->kind != CRED_KEY || k->acct != c->acct))
        k = NULL;
    enum pail_err e = iam_authz_self(c, k && k->user ? k->user->d.arn : k ? c->me.arn : "*");
    if (e)
        return e;
    if (!k)
        return no_key(c, kid);
    int64_t ms = atomic_load(&k->lu_ms);
    iam_result(c);
    pail_xml_elem(&c->x, "UserName", owner_name(c, k->user));
    pail_xml_open(&c->x, "AccessKeyLastUsed");
    if (ms) {
        iam_date(c, "LastUsedDate", ms);
        pail_xml_elem(&c->x, "ServiceName", id_intern_get(c->id, atomic_load(&k->lu_svc)));
        pail_xml_elem(&c->x, "Region", id_intern_get(c->id, atomic_load(&k->lu_region)));
    } else {
        pail_xml_elem(&c->x, "ServiceName", "N/A");
        pail_xml_elem(&c->x, "Region", "N/A");
    }
    pail_xml_close(&c->x);
    return PAIL_OK;
}
