/* iam/identity_auth.c — the request path: authentication (access key ->
 * secret and principal, session tokens, last use in memory) and the identity
 * side of authorization (which policies apply to a credential, and what
 * they decide, layer by layer). Read lock only; no store access. */
#include "iam/identity_int.h"

#include "auth/crypto.h"
#include "core/arena.h"
#include "util/time.h"

#include <ctype.h>
#include <string.h>

/* ===== principals ===== */

void id_principal_of(const void *cred, struct pail_arena *a, struct pail_principal *out)
{
    const struct acct *acct;
    const struct user *u = NULL;
    const struct session *s = NULL;
    if (*(const enum cred_kind *)cred == CRED_KEY) {
        const struct key *k = cred;
        acct = k->acct;
        u = k->user;
    } else {
        s = cred;
        acct = s->acct;
        u = s->sk == SESS_USER ? s->user : NULL;
    }
    *out = (struct pail_principal){
        .account = pail_arena_strdup(a, acct->id),
        .canonical_id = pail_arena_strdup(a, acct->canonical),
    };
    if (s && s->sk == SESS_ROLE) {
        const struct role *r = s->role;
        out->type = PAIL_PT_ASSUMED_ROLE;
        out->arn = pail_arena_printf(a, "arn:aws:sts::%s:assumed-role/%s/%s", acct->id,
                                     r->d.name, s->name);
        out->role_arn = pail_arena_strdup(a, r->d.arn);
        out->userid = pail_arena_printf(a, "%s:%s", r->id, s->name);
    } else if (u) {
        out->type = PAIL_PT_USER;
        out->arn = pail_arena_strdup(a, u->d.arn);
        out->username = pail_arena_strdup(a, u->d.name);
        out->userid = pail_arena_strdup(a, u->id);
    } else {
        out->type = PAIL_PT_ROOT;
        out->arn = pail_arena_printf(a, "arn:aws:iam::%s:root", acct->id);
        out->userid = out->account;
    }
}

/* ===== authentication ===== */

/* Region names as clients sign them; anything else is not recorded (the
 * intern table is small and a signer may send any string). */
static bool region_ok(const char *r)
{
    size_t n = r ? strlen(r) : 0;
    if (n == 0 || n > 32)
        return false;
    for (; *r; r++)
        if (!islower((unsigned char)*r) && !isdigit((unsigned char)*r) && *r != '-')
            return false;
    return true;
}

static int service_index(struct pail_identity *id, const char *svc)
{
    static const char *known[] = {"s3", "iam", "sts"};
    for (size_t i = 0; svc && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(svc, known[i]) == 0)
            return id_intern(id, known[i]);
    return 0;
}

/* Memory only; marked dirty for the lazy writer. Skips the stores when the
 * same use was already recorded within the last second (every request would
 * otherwise write the same cache line). */
static void note_use(struct pail_identity *id, struct key *k, const char *service,
                     const char *region)
{
    if (!service)
        return;
    int64_t now = pail_time_now_ms();
    int svc = service_index(id, service);
    int reg = region_ok(region) ? id_intern(id, region) : 0;
    if (now - atomic_load(&k->lu_ms) < 1000 && atomic_load(&k->lu_svc) == svc &&
        atomic_load(&k->lu_region) == reg)
        return;
    atomic_store(&k->lu_ms, now);
    atomic_store(&k->lu_svc, svc);
    atomic_store(&k->lu_region, reg);
    atomic_store(&k->lu_dirty, true);
}

static bool token_matches(const struct session *s, const char *token)
{
    char hex[PAIL_SHA256_HEX_LEN + 1];
    pail_sha256_hex(token, strlen(token), hex);
    return pail_crypto_equal(hex, s->token_sha256, PAIL_SHA256_HEX_LEN);
}

static enum pail_err copy_secret(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n >= cap)
        return PAIL_E_InternalError;
    memcpy(out, s, n + 1);
    return PAIL_OK;
}

enum pail_err pail_identity_authenticate(struct pail_identity *id, const char *access_key,
                                         const char *session_token, const char *service,
                                         const char *region, char *secret, size_t cap,
                                         struct pail_arena *a, struct pail_credential *out)
{
    bool has_token = session_token && *session_token;
    enum pail_err e = PAIL_OK;
    pthread_rwlock_rdlock(&id->rw);
    void *c = access_key ? idmap_get(&id->creds, access_key) : NULL;
    if (!c)
        e = PAIL_E_InvalidAccessKeyId;
    else if (*(enum cred_kind *)c == CRED_KEY) {
        struct key *k = c;
        if (!k->d.active)
            e = PAIL_E_InvalidAccessKeyId;
        else if (has_token)
            e = PAIL_E_InvalidToken;
        else if ((e = copy_secret(k->d.secret, secret, cap)) == PAIL_OK) {
            *out = (struct pail_credential){0};
            id_principal_of(k, a, &out->principal);
            note_use(id, k, service, region);
        }
    } else {
        const struct session *s = c;
        if (!has_token || !token_matches(s, session_token))
            e = PAIL_E_InvalidToken;
        else if (s->expires <= pail_time_now_ms())
            e = PAIL_E_ExpiredToken;
        else if ((e = copy_secret(s->secret, secret, cap)) == PAIL_OK) {
            *out = (struct pail_credential){.temporary = true, .expires_ms = s->expires};
            id_principal_of(s, a, &out->principal);
        }
    }
    pthread_rwlock_unlock(&id->rw);
    return e;
}

void pail_identity_note_use(struct pail_identity *id, const char *access_key, const char *service,
                            const char *region)
{
    pthread_rwlock_rdlock(&id->rw);
    struct key *k = access_key ? idmap_get(&id->creds, access_key) : NULL;
    if (k && k->kind == CRED_KEY)
        note_use(id, k, service, region);
    pthread_rwlock_unlock(&id->rw);
}

/* ===== authorization ===== */

static const char *layer_name(bool boundary, bool session)
{
    return boundary ? "permissions boundary" : session ? "session policy" : "identity-based policy";
}

/* Appends to an arena array of elements of size sz, doubling its capacity. */
static void *grow(struct pail_arena *a, void *v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : 8;
    void *nv = pail_arena_alloc(a, nc * sz);
    if (n)
        memcpy(nv, v, n * sz);
    *cap = nc;
    return nv;
}

static void note_missing(struct pail_arena *a, struct pail_identity_decision *out,
                         const struct pail_eval_trace *t, size_t *kcap)
{
    for (size_t i = 0; i < t->nmissing; i++) {
        bool dup = false;
        for (size_t j = 0; j < out->nmissing && !dup; j++)
            dup = strcmp(out->missing[j], t->missing[i]) == 0;
        if (dup)
            continue;
        out->missing = grow(a, out->missing, out->nmissing, kcap, sizeof *out->missing);
        out->missing[out->nmissing++] = pail_arena_strdup(a, t->missing[i]);
    }
}

void id_eval_one(const struct pdoc *d, enum pail_policy_source src, const char *pid,
                 const char *owner, const struct pail_eval_req *req, struct pail_arena *a,
                 struct pail_identity_decision *out, enum pail_effect *layer, bool boundary_layer,
                 bool session_layer)
{
    if (!d || !d->p)
        return;
    struct pail_eval_trace t;
    enum pail_effect eff = pail_policy_eval(d->p, req, &t);
    note_missing(a, out, &t, &out->cap_missing);
    if (t.nmatched) {
        out->matched = grow(a, out->matched, out->nmatched, &out->cap_matched, sizeof *out->matched);
        struct pail_identity_match *m = &out->matched[out->nmatched++];
        *m = (struct pail_identity_match){
            .source = src,
            .policy_id = pail_arena_strdup(a, pid),
            .owner = owner ? pail_arena_strdup(a, owner) : NULL,
            .effect = eff,
            .nstmt = t.nmatched,
        };
        memcpy(m->stmt, t.matched, t.nmatched * sizeof *t.matched);
    }
    if (eff == PAIL_EFFECT_DENY) {
        if (*layer != PAIL_EFFECT_DENY && !out->deny_source) {
            out->deny_source = layer_name(boundary_layer, session_layer);
            out->deny_policy = pail_arena_strdup(a, pid);
        }
        *layer = PAIL_EFFECT_DENY;
    } else if (eff == PAIL_EFFECT_ALLOW && *layer == PAIL_EFFECT_NONE) {
        *layer = PAIL_EFFECT_ALLOW;
        if (!boundary_layer && !session_layer && !out->allow_policy)
            out->allow_policy = pail_arena_strdup(a, pid);
    }
}

static void eval_inline(const struct inline_pol *v, size_t n, enum pail_policy_source src,
                        const char *owner, const struct pail_eval_req *req, struct pail_arena *a,
                        struct pail_identity_decision *out)
{
    for (size_t i = 0; i < n; i++)
        id_eval_one(v[i].d, src, v[i].name, owner, req, a, out, &out->identity, false, false);
}

static void eval_attached(struct mpol *const *v, size_t n, const struct pail_eval_req *req,
                          struct pail_arena *a, struct pail_identity_decision *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct mpol *p = v[i];
        id_eval_one(p->d.v[p->d.def].d, p->acct ? PAIL_SRC_USER_MANAGED : PAIL_SRC_AWS_MANAGED,
                    p->d.arn, NULL, req, a, out, &out->identity, false, false);
    }
}

static void eval_boundary(const struct mpol *b, const struct pail_eval_req *req,
                          struct pail_arena *a, struct pail_identity_decision *out)
{
    if (!b)
        return;
    out->has_boundary = true;
    id_eval_one(b->d.v[b->d.def].d, PAIL_SRC_BOUNDARY, b->d.arn, NULL, req, a, out,
                &out->boundary, true, false);
}

static void eval_user(const struct user *u, const struct pail_eval_req *req, struct pail_arena *a,
                      struct pail_identity_decision *out)
{
    eval_inline(u->d.inl, u->d.ninl, PAIL_SRC_USER, u->d.name, req, a, out);
    eval_attached(u->d.att, u->d.natt, req, a, out);
    for (size_t i = 0; i < u->d.ngroups; i++) {
        const struct group *g = u->d.groups[i];
        eval_inline(g->d.inl, g->d.ninl, PAIL_SRC_GROUP, g->d.name, req, a, out);
        eval_attached(g->d.att, g->d.natt, req, a, out);
    }
    eval_boundary(u->d.boundary, req, a, out);
}

void id_eval_cred(const void *cred, const struct pail_eval_req *req, struct pail_arena *a,
                  struct pail_identity_decision *out)
{
    *out = (struct pail_identity_decision){0};
    const struct session *s = NULL;
    const struct user *u = NULL;
    if (*(const enum cred_kind *)cred == CRED_KEY)
        u = ((const struct key *)cred)->user;
    else {
        s = cred;
        u = s->sk == SESS_USER ? s->user : NULL;
    }
    if (s && s->sk == SESS_ROLE) {
        const struct role *r = s->role;
        eval_inline(r->d.inl, r->d.ninl, PAIL_SRC_ROLE, r->d.name, req, a, out);
        eval_attached(r->d.att, r->d.natt, req, a, out);
        eval_boundary(r->d.boundary, req, a, out);
        for (size_t i = 0; i < s->nsp; i++) {
            out->has_session = true;
            id_eval_one(s->sp[i], PAIL_SRC_SESSION, s->sp_ids[i], NULL, req, a, out,
                        &out->session, false, true);
        }
    } else if (u)
        eval_user(u, req, a, out);
    else
        out->identity = PAIL_EFFECT_ALLOW; /* the account root, in its own account */
}

enum pail_err pail_identity_eval(struct pail_identity *id, const char *access_key,
                                 const struct pail_eval_req *req, struct pail_arena *a,
                                 struct pail_identity_decision *out)
{
    *out = (struct pail_identity_decision){0};
    if (!access_key)
        return PAIL_OK;
    pthread_rwlock_rdlock(&id->rw);
    const void *c = idmap_get(&id->creds, access_key);
    if (c)
        id_eval_cred(c, req, a, out);
    pthread_rwlock_unlock(&id->rw);
    return c ? PAIL_OK : PAIL_E_InvalidAccessKeyId;
}

bool pail_identity_allowed(const struct pail_identity_decision *d)
{
    return d->identity == PAIL_EFFECT_ALLOW && (!d->has_boundary || d->boundary == PAIL_EFFECT_ALLOW) &&
           (!d->has_session || d->session == PAIL_EFFECT_ALLOW);
}

/* The entity an IAM ARN names in account a: the part after "user/" or
 * "role/", path included; its name is the last component. */
static const char *arn_name(const char *arn, const char *kind)
{
    const char *p = strstr(arn, kind);
    if (!p)
        return NULL;
    const char *slash = strrchr(p, '/');
    return slash ? slash + 1 : NULL;
}

enum pail_err pail_identity_eval_arn(struct pail_identity *id, const char *arn,
                                     const struct pail_eval_req *req, struct pail_arena *a,
                                     struct pail_identity_decision *out,
                                     struct pail_principal *who)
{
    *out = (struct pail_identity_decision){0};
    char acct_id[13];
    if (strncmp(arn, "arn:aws:iam::", 13) != 0 || strlen(arn) < 26 || arn[25] != ':')
        return PAIL_E_InvalidInput;
    memcpy(acct_id, arn + 13, 12);
    acct_id[12] = 0;
    const char *rest = arn + 26;
    enum pail_err e = PAIL_E_NoSuchEntity;
    pthread_rwlock_rdlock(&id->rw);
    const struct acct *ac = idmap_get(&id->accts, acct_id);
    *who = (struct pail_principal){.account = pail_arena_strdup(a, acct_id),
                                   .arn = pail_arena_strdup(a, arn)};
    if (ac) {
        who->canonical_id = pail_arena_strdup(a, ac->canonical);
        if (strcmp(rest, "root") == 0) {
            who->type = PAIL_PT_ROOT;
            who->userid = who->account;
            out->identity = PAIL_EFFECT_ALLOW;
            e = PAIL_OK;
        } else if (strncmp(rest, "user/", 5) == 0) {
            const struct user *u = idmap_get(&ac->users, arn_name(rest, "user/"));
            if (u) {
                who->type = PAIL_PT_USER;
                who->username = pail_arena_strdup(a, u->d.name);
                who->userid = pail_arena_strdup(a, u->id);
                struct pail_eval_req r2 = *req;
                r2.principal = who;
                eval_user(u, &r2, a, out);
                e = PAIL_OK;
            }
        } else if (strncmp(rest, "role/", 5) == 0) {
            const struct role *ro = idmap_get(&ac->roles, arn_name(rest, "role/"));
            if (ro) {
                who->type = PAIL_PT_ASSUMED_ROLE;
                who->role_arn = who->arn;
                who->userid = pail_arena_printf(a, "%s:explain", ro->id);
                struct pail_eval_req r2 = *req;
                r2.principal = who;
                eval_inline(ro->d.inl, ro->d.ninl, PAIL_SRC_ROLE, ro->d.name, &r2, a, out);
                eval_attached(ro->d.att, ro->d.natt, &r2, a, out);
                eval_boundary(ro->d.boundary, &r2, a, out);
                e = PAIL_OK;
            }
        }
    }
    pthread_rwlock_unlock(&id->rw);
    return e;
}
