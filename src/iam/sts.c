/* iam/sts.c — STS: GetCallerIdentity, GetSessionToken and AssumeRole.
 *
 * Sessions are identity records (REC_SESSION): key id, secret, the SHA-256
 * of the token (never the token), expiry, and for AssumeRole the role and
 * the session policy documents. They survive a restart until they expire,
 * can be ended early (deleting the user or role ends them), and need no
 * signing key to manage; expired ones are dropped at load and by the lazy
 * writer. The token is 96 random bytes, base64: opaque and unguessable. */
#include "iam/iam_int.h"

#include "auth/crypto.h"
#include "core/arena.h"
#include "util/encode.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define TOKEN_BYTES 96
#define MAX_POLICY_ARNS 10

enum pail_err iam_GetCallerIdentity(struct iam_ctx *c)
{
    /* no permission needed, as on AWS */
    iam_result(c);
    pail_xml_elem(&c->x, "UserId", c->me.userid);
    pail_xml_elem(&c->x, "Account", c->me.account);
    pail_xml_elem(&c->x, "Arn", c->me.arn);
    return PAIL_OK;
}

static bool is_session(const struct iam_ctx *c)
{
    return *(const enum cred_kind *)c->cred == CRED_SESSION;
}

/* A new session's key id, secret and token (token into the arena, its hash
 * into s). */
static const char *session_secrets(struct iam_ctx *c, struct session *s)
{
    id_new_key_id(c->id, s->id, "ASIA");
    id_new_secret(s->secret);
    unsigned char raw[TOKEN_BYTES];
    id_random(raw, sizeof raw);
    char *token = pail_arena_alloc(c->a, 4 * ((TOKEN_BYTES + 2) / 3) + 1);
    pail_base64(raw, sizeof raw, token);
    pail_crypto_wipe(raw, sizeof raw);
    pail_sha256_hex(token, strlen(token), s->token_sha256);
    return token;
}

static void credentials_xml(struct iam_ctx *c, const struct session *s, const char *token)
{
    char exp[32];
    pail_time_iso8601(s->expires, exp);
    pail_xml_open(&c->x, "Credentials");
    pail_xml_elem(&c->x, "AccessKeyId", s->id);
    pail_xml_elem(&c->x, "SecretAccessKey", s->secret);
    pail_xml_elem(&c->x, "SessionToken", token);
    pail_xml_elem(&c->x, "Expiration", exp);
    pail_xml_close(&c->x);
}

enum pail_err iam_GetSessionToken(struct iam_ctx *c)
{
    long dur;
    iam_int(c, "DurationSeconds", 900, 129600, c->is_root ? 3600 : 43200, &dur);
    (void)iam_str(c, "SerialNumber", false, 9, 256, PAT_NONE);
    (void)iam_str(c, "TokenCode", false, 6, 6, PAT_NONE);
    if (iam_invalid(c))
        return c->err;
    if (is_session(c)) {
        c->deny_reason = "token";
        return iam_fail(c, PAIL_E_AccessDenied, "Cannot call GetSessionToken with session credentials");
    }
    if (c->is_root && dur > 3600)
        dur = 3600; /* AWS: the root's sessions last an hour at most */
    struct session *s = id_xcalloc(1, sizeof *s);
    s->kind = CRED_SESSION;
    s->acct = c->acct;
    s->user = iam_caller_user(c);
    s->sk = s->user ? SESS_USER : SESS_ROOT;
    s->created = c->now;
    s->expires = c->now + dur * 1000;
    const char *token = session_secrets(c, s);
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_SESSION, NULL, s);
    enum pail_err e = txn_commit(&t);
    if (e)
        return iam_store_fail(c, e);
    iam_result(c);
    credentials_xml(c, s, token);
    return PAIL_OK;
}

/* ===== AssumeRole ===== */

/* The role a RoleArn names, in any account; NULL when there is none. */
static struct role *role_by_arn(struct iam_ctx *c, const char *arn)
{
    if (strncmp(arn, "arn:aws:iam::", 13) != 0 || strlen(arn) < 26 || arn[25] != ':')
        return NULL;
    char acct[13];
    memcpy(acct, arn + 13, 12);
    acct[12] = '\0';
    struct acct *a = idmap_get(&c->id->accts, acct);
    const char *slash = strrchr(arn, '/');
    if (!a || !slash || strncmp(arn + 26, "role/", 5) != 0)
        return NULL;
    struct role *r = idmap_get(&a->roles, slash + 1);
    return r && strcmp(r->d.arn, arn) == 0 ? r : NULL;
}

static enum pail_err not_authorized(struct iam_ctx *c, const char *arn, const char *tag)
{
    c->deny_reason = tag;
    return iam_fail(c, PAIL_E_AccessDenied,
                    "User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
                    c->me.arn, arn);
}

/* The trust policy allows the caller, and the caller's own policies allow
 * sts:AssumeRole unless the trust policy names the caller exactly within
 * its own account (AWS's rule: naming the account delegates to its
 * policies; another account must always allow on its side too). */
static enum pail_err trusted(struct iam_ctx *c, const struct role *r, const char *external_id)
{
    const struct pail_principal *me = c->call->caller ? c->call->caller : &c->me;
    size_t nctx = c->call->nctx;
    struct pail_cond_entry *ctx = pail_arena_alloc(c->a, (nctx + 1) * sizeof *ctx);
    if (nctx)
        memcpy(ctx, c->call->ctx, nctx * sizeof *ctx);
    if (external_id) {
        const char **v = pail_arena_alloc(c->a, sizeof *v);
        v[0] = external_id;
        ctx[nctx++] = (struct pail_cond_entry){.key = "sts:ExternalId", .values = v, .n = 1};
    }
    struct pail_eval_req req = {.principal = me, .action = "sts:AssumeRole", .resource = r->d.arn,
                                .ctx = ctx, .nctx = nctx};
    struct pail_eval_trace t;
    if (!r->d.trust->p || pail_policy_eval(r->d.trust->p, &req, &t) != PAIL_EFFECT_ALLOW)
        return not_authorized(c, r->d.arn, "trust");
    struct pail_identity_decision d;
    id_eval_cred(c->cred, &req, c->a, &d);
    if (d.deny_source)
        return not_authorized(c, r->d.arn, "identity:explicit");
    bool exact_same_account = t.principal_match == PAIL_PM_EXACT && r->acct == c->acct;
    if (!exact_same_account && !pail_identity_allowed(&d))
        return not_authorized(c, r->d.arn, "identity:implicit");
    return PAIL_OK;
}

/* The session policy: Policy and PolicyArns; false when answered. */
static bool session_policies(struct iam_ctx *c, const struct role *r, struct session *s,
                             long *packed_pct)
{
    const char *doc = iam_param(c, "Policy");
    size_t narns;
    const char **arns = iam_list(c, "PolicyArns", "arn", &narns);
    if (narns > MAX_POLICY_ARNS) {
        iam_verr(c, "policyArns", "[...]", "Member must have length less than or equal to %d",
                 MAX_POLICY_ARNS);
        return !iam_invalid(c);
    }
    s->sp = id_xcalloc(narns + 1, sizeof *s->sp);
    s->sp_ids = id_xcalloc(narns + 1, sizeof *s->sp_ids);
    *packed_pct = -1;
    if (doc) {
        size_t nows;
        struct pdoc *d = iam_compile(c, doc, PAIL_POLICY_IDENTITY, &nows);
        if (!d)
            return false;
        s->sp[s->nsp] = d;
        s->sp_ids[s->nsp++] = id_xstrdup("session-policy");
        *packed_pct = (long)(nows * 100 / ID_SESSION_POLICY_SIZE);
        if (nows > ID_SESSION_POLICY_SIZE) {
            iam_fail(c, PAIL_E_PackedPolicyTooLarge,
                     "Packed policy consumes %ld%% of allotted space, please use smaller policy.",
                     *packed_pct);
            return false;
        }
    }
    for (size_t i = 0; i < narns; i++) {
        const struct mpol *p = id_mpol_by_arn(c->id, r->acct, arns[i]);
        if (!p) {
            iam_fail(c, PAIL_E_InvalidParameterValue, "Policy %s does not exist or is not attachable.",
                     arns[i] ? arns[i] : "");
            return false;
        }
        s->sp[s->nsp] = pdoc_ref(p->d.v[p->d.def].d);
        s->sp_ids[s->nsp++] = id_xstrdup(p->d.arn);
    }
    return true;
}

static const char *requested_region(const struct iam_ctx *c)
{
    for (size_t i = 0; i < c->call->nctx; i++)
        if (strcmp(c->call->ctx[i].key, "aws:RequestedRegion") == 0 && c->call->ctx[i].n)
            return c->call->ctx[i].values[0];
    return "us-east-1";
}

enum pail_err iam_AssumeRole(struct iam_ctx *c)
{
    const char *arn = iam_str(c, "RoleArn", true, 20, 2048, PAT_NONE);
    const char *name = iam_str(c, "RoleSessionName", true, 2, 64, PAT_SESSION);
    const char *ext = iam_str(c, "ExternalId", false, 2, 1224, PAT_EXTERNAL_ID);
    (void)iam_str(c, "Policy", false, 1, 0, PAT_DOC);
    bool has_dur = iam_param(c, "DurationSeconds") != NULL;
    long dur;
    iam_int(c, "DurationSeconds", 900, 43200, 3600, &dur);
    if (iam_invalid(c))
        return c->err;
    if (c->is_root) {
        c->deny_reason = "root";
        return iam_fail(c, PAIL_E_AccessDenied, "Roles may not be assumed by root accounts.");
    }
    struct role *r = role_by_arn(c, arn);
    if (!r)
        return not_authorized(c, arn, "trust");
    enum pail_err e = trusted(c, r, ext);
    if (e)
        return e;
    const struct session *mine = is_session(c) ? c->cred : NULL;
    bool chained = mine && mine->sk == SESS_ROLE;
    if (chained && has_dur && dur > 3600)
        return iam_fail(c, PAIL_E_ValidationError, "The requested DurationSeconds exceeds the 1 "
                        "hour session limit for roles assumed by role chaining.");
    if (dur > r->d.max_session)
        return iam_fail(c, PAIL_E_ValidationError,
                        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    struct session *s = id_xcalloc(1, sizeof *s);
    s->kind = CRED_SESSION;
    s->acct = r->acct;
    s->sk = SESS_ROLE;
    s->role = r;
    s->name = id_xstrdup(name);
    s->chained = chained;
    s->created = c->now;
    s->expires = c->now + dur * 1000;
    long packed = -1;
    if (!session_policies(c, r, s, &packed)) {
        session_free(s);
        return c->err;
    }
    const char *token = session_secrets(c, s);
    struct role *tmp = role_tmp(r); /* RoleLastUsed */
    tmp->d.last_used = c->now;
    free(tmp->d.last_region);
    tmp->d.last_region = id_xstrdup(requested_region(c));
    struct txn t;
    txn_begin(&t, c->id);
    txn_stage(&t, EK_SESSION, NULL, s);
    txn_stage(&t, EK_ROLE, r, tmp);
    if ((e = txn_commit(&t)))
        return iam_store_fail(c, e);
    iam_result(c);
    credentials_xml(c, s, token);
    pail_xml_open(&c->x, "AssumedRoleUser");
    pail_xml_elem(&c->x, "AssumedRoleId", pail_arena_printf(c->a, "%s:%s", r->id, name));
    pail_xml_elem(&c->x, "Arn", pail_arena_printf(c->a, "arn:aws:sts::%s:assumed-role/%s/%s",
                                                  r->acct->id, r->d.name, name));
    pail_xml_close(&c->x);
    if (packed >= 0)
        pail_xml_elem_u64(&c->x, "PackedPolicySize", (uint64_t)packed);
    return PAIL_OK;
}
