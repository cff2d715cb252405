/* iam/policy_eval.c — pail_policy_eval: which statements of one compiled
 * policy apply to a request, and the effect they decide (IAM User Guide,
 * "Policy evaluation logic": an applicable Deny wins over any Allow; no
 * applicable statement is an implicit deny, returned as NONE for the caller
 * to combine with the other policies). Also the request context lookup that
 * conditions and variables share, and pail_policy_is_public (S3 User Guide,
 * "Blocking public access to your Amazon S3 storage", "The meaning of
 * public"). Reads the policy and the request only; the stack is the only
 * memory it writes besides the caller's trace. */
#include "iam/policy_int.h"

#include <string.h>

/* ---- Context ------------------------------------------------------------ */

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Case-insensitive up to and including the first '/', exact after it: the
 * tag key of "s3:ExistingObjectTag/Team" keeps its case. */
bool pail__key_eq(const char *a, const char *b)
{
    bool exact = false;
    for (; *a && *b; a++, b++) {
        if (exact ? *a != *b : lower((unsigned char)*a) != lower((unsigned char)*b))
            return false;
        exact = exact || *a == '/';
    }
    return *a == *b;
}

static const struct {
    const char *key;
    int slot;
} principal_keys[] = {
    {"aws:username", PK_USERNAME},   {"aws:userid", PK_USERID},
    {"aws:PrincipalArn", PK_ARN},    {"aws:PrincipalAccount", PK_ACCOUNT},
    {"aws:PrincipalType", PK_TYPE},
};

bool pail__ctx_get(const struct pail__ectx *e, const char *key, const char *const **vals,
                   size_t *n)
{
    for (size_t i = 0; i < e->req->nctx; i++)
        if (e->req->ctx[i].key && pail__key_eq(e->req->ctx[i].key, key)) {
            *vals = e->req->ctx[i].values;
            *n = e->req->ctx[i].values ? e->req->ctx[i].n : 0;
            return true;
        }
    for (size_t i = 0; i < sizeof(principal_keys) / sizeof(principal_keys[0]); i++)
        if (pail__key_eq(principal_keys[i].key, key) && e->pvals[principal_keys[i].slot]) {
            *vals = &e->pvals[principal_keys[i].slot];
            *n = 1;
            return true;
        }
    return false;
}

void pail__ctx_missing(struct pail__ectx *e, const char *key)
{
    struct pail_eval_trace *t = e->trace;
    if (!t)
        return;
    for (size_t i = 0; i < t->nmissing; i++)
        if (pail__key_eq(t->missing[i], key))
            return;
    if (t->nmissing < PAIL_EVAL_MAX_MISSING)
        t->missing[t->nmissing++] = key;
}

static const char *type_name(enum pail_principal_type t)
{
    switch (t) {
    case PAIL_PT_ROOT: return "Account";
    case PAIL_PT_USER: return "User";
    case PAIL_PT_ASSUMED_ROLE: return "AssumedRole";
    case PAIL_PT_FEDERATED_USER: return "FederatedUser";
    case PAIL_PT_SERVICE: return "Service";
    default: return "Anonymous";
    }
}

/* The global keys AWS derives from the principal ("AWS global condition
 * context keys"): aws:PrincipalArn of a role session is the role's ARN. */
static void principal_values(struct pail__ectx *e)
{
    const struct pail_principal *pr = e->pr;
    e->pvals[PK_USERNAME] = pr->type == PAIL_PT_USER ? pr->username : NULL;
    e->pvals[PK_USERID] = pr->userid;
    e->pvals[PK_ARN] = pr->type == PAIL_PT_SERVICE ? NULL /* a service name is no ARN */
                       : pr->type == PAIL_PT_ASSUMED_ROLE && pr->role_arn ? pr->role_arn
                                                                           : pr->arn;
    e->pvals[PK_ACCOUNT] = pr->account;
    e->pvals[PK_TYPE] = type_name(pr->type);
}

/* ---- Statements --------------------------------------------------------- */

static bool action_matches(const struct pail__stmt *s, const char *action)
{
    size_t n = strlen(action);
    bool hit = false;
    for (size_t i = 0; i < s->nactions && !hit; i++) {
        const struct pail__pat *p = &s->actions[i];
        hit = p->any || pail__glob(p->tok[0].u, p->tok[0].n, action, n, true);
    }
    return hit != s->not_action;
}

static bool resource_matches(const struct pail__stmt *s, struct pail__ectx *e)
{
    const char *r = e->req->resource;
    if (!s->has_resource)
        return true;
    if (!r)
        return false;
    uint16_t buf[PAIL__PAT_MAX];
    size_t rn = strlen(r);
    bool hit = false;
    for (size_t i = 0; i < s->nresources && !hit; i++) {
        const struct pail__pat *p = &s->resources[i];
        const uint16_t *u;
        size_t n;
        hit = p->any || (pail__pat_resolve(p, e, false, buf, &u, &n) && pail__arn_glob(u, n, r, rn));
    }
    return hit != s->not_resource;
}

/* Whether s's Principal/NotPrincipal covers the requester, and how (*pm). */
static bool principal_applies(const struct pail__stmt *s, const struct pail__ectx *e,
                              enum pail_principal_match *pm)
{
    *pm = PAIL_PM_NONE;
    if (!s->has_principal)
        return true;
    if (s->not_principal) {
        *pm = PAIL_PM_ANY;
        return !pail__principal_exempt(&s->principals, e->pr);
    }
    *pm = pail__principal_match(&s->principals, e->pr);
    return *pm != PAIL_PM_NONE;
}

static bool applies(const struct pail__stmt *s, struct pail__ectx *e,
                    enum pail_principal_match *pm)
{
    return action_matches(s, e->req->action ? e->req->action : "") &&
           resource_matches(s, e) && principal_applies(s, e, pm) &&
           pail__cond_eval(s->conds, s->nconds, e);
}

static void record(struct pail_eval_trace *t, size_t i, const struct pail__stmt *s,
                   enum pail_principal_match pm)
{
    if (t->nmatched < PAIL_EVAL_MAX_MATCHED)
        t->matched[t->nmatched++] = i;
    if (!s->deny && pm > t->principal_match)
        t->principal_match = pm;
}

enum pail_effect pail_policy_eval(const struct pail_policy *p, const struct pail_eval_req *req,
                                  struct pail_eval_trace *trace)
{
    static const struct pail_principal anonymous = {.type = PAIL_PT_ANONYMOUS,
                                                    .userid = "anonymous"};
    struct pail__ectx e = {.req = req, .pr = req->principal ? req->principal : &anonymous,
                           .trace = trace};
    principal_values(&e);
    if (trace)
        memset(trace, 0, sizeof(*trace));
    bool allow = false, deny = false;
    for (size_t i = 0; i < p->n; i++) {
        const struct pail__stmt *s = &p->stmts[i];
        enum pail_principal_match pm;
        if (!trace && allow && !s->deny) /* decided unless a Deny follows */
            continue;
        if (!applies(s, &e, &pm))
            continue;
        if (trace)
            record(trace, i, s, pm);
        if (s->deny && !trace)
            return PAIL_EFFECT_DENY;
        deny = deny || s->deny;
        allow = allow || !s->deny;
    }
    return deny ? PAIL_EFFECT_DENY : allow ? PAIL_EFFECT_ALLOW : PAIL_EFFECT_NONE;
}

/* ---- Public policies ---------------------------------------------------- */

/* Keys that, tested for fixed values, keep a grant to "*" from being public. */
static const char *const fixing_keys[] = {
    "aws:SourceArn",   "aws:SourceVpc",       "aws:SourceVpce",       "aws:SourceAccount",
    "aws:SourceOwner", "aws:PrincipalOrgID",  "aws:PrincipalAccount", "aws:userid",
    "s3:DataAccessPointArn", "s3:DataAccessPointAccount", NULL};

/* A value is fixed when it holds no wildcard and no variable. */
static bool fixed_text(const struct pail__pat *p)
{
    return !p->vars && !strpbrk(p->text, "*?") && !strstr(p->text, "${");
}

/* Narrower than AWS's "very wide" ranges: IPv4 /8 or longer, IPv6 /32. */
static bool narrow_ip(const struct pail__cidr *c)
{
    return c->bits >= (c->fam == 4 ? 8 : 32);
}

static bool fixing(const struct pail__cond *c)
{
    if (c->neg || c->if_exists || c->set == CSET_ALL || c->bad || c->nv == 0)
        return false;
    if (pail__key_eq(c->key, "aws:SourceIp")) {
        for (size_t i = 0; c->cop == COP_IP && i < c->nv; i++)
            if (!narrow_ip(&c->v[i].u.ip))
                return false;
        return c->cop == COP_IP;
    }
    if (c->cop != COP_STR_EQ && c->cop != COP_STR_EQ_IC && c->cop != COP_STR_LIKE &&
        c->cop != COP_ARN)
        return false;
    size_t k = 0;
    while (fixing_keys[k] && !pail__key_eq(c->key, fixing_keys[k]))
        k++;
    for (size_t i = 0; fixing_keys[k] && i < c->nv; i++)
        if (!fixed_text(&c->v[i].pat))
            return false;
    return fixing_keys[k] != NULL;
}

static bool stmt_public(const struct pail__stmt *s)
{
    if (s->deny || !s->has_principal)
        return false;
    if (!s->not_principal && !pail__principal_has_any(&s->principals))
        return false;
    for (size_t i = 0; i < s->nconds; i++)
        if (fixing(&s->conds[i]))
            return false;
    return true;
}

bool pail_policy_is_public(const struct pail_policy *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (stmt_public(&p->stmts[i]))
            return true;
    return false;
}
