/* iam/iam_simulate.c — SimulatePrincipalPolicy and SimulateCustomPolicy: the
 * decision for each (action, resource) pair, with the statements that
 * decided it (and where they are in their documents) and the context keys
 * the policies needed but were not given. The identity side uses the same
 * evaluation as requests (id_eval_one). The resource side is a given
 * ResourcePolicy, evaluated with AWS's same- and cross-account rules, or,
 * without one, whatever the call's hook (pail_sim_hook: S3 for its buckets
 * and objects) decides; this file knows nothing of S3. */
#include "iam/iam_int.h"

#include "core/arena.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ===== statement positions ===== */

static const char *ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

static const char *skip_string(const char *p)
{
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p ? p + 1 : NULL;
}

/* Past one JSON value at p, or NULL. */
static const char *skip_value(const char *p)
{
    p = ws(p);
    if (*p == '"')
        return skip_string(p);
    if (*p != '{' && *p != '[') {
        while (*p && !strchr(",]} \t\r\n", *p))
            p++;
        return p;
    }
    int depth = 0;
    for (; *p; p++) {
        if (*p == '"') {
            p = skip_string(p);
            if (!p)
                return NULL;
            p--;
        } else if (*p == '{' || *p == '[')
            depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
    }
    return NULL;
}

static void line_col(const char *doc, const char *at, int *line, int *col)
{
    *line = 1;
    const char *ls = doc;
    for (const char *p = doc; p < at; p++)
        if (*p == '\n') {
            (*line)++;
            ls = p + 1;
        }
    *col = (int)(at - ls) + 1;
}

/* Where statement i of doc starts and ends ('{' and '}'); false if the
 * document is not shaped as expected (then 1/1 is reported). */
static bool stmt_span(const char *doc, size_t i, const char **start, const char **end)
{
    const char *p = ws(doc);
    if (*p++ != '{')
        return false;
    for (;;) {
        p = ws(p);
        if (*p != '"')
            return false;
        const char *k = p + 1, *ke = skip_string(p);
        if (!ke)
            return false;
        bool is_stmt = (size_t)(ke - k - 1) == 9 && strncmp(k, "Statement", 9) == 0;
        p = ws(ke);
        if (*p++ != ':')
            return false;
        p = ws(p);
        if (is_stmt && *p == '{' && i == 0) {
            *start = p;
            const char *e = skip_value(p);
            *end = e ? e - 1 : p;
            return e != NULL;
        }
        if (is_stmt && *p == '[') {
            p++;
            for (size_t n = 0;; n++) {
                p = ws(p);
                const char *e = skip_value(p);
                if (!e)
                    return false;
                if (n == i) {
                    *start = p;
                    *end = e - 1;
                    return true;
                }
                p = ws(e);
                if (*p++ != ',')
                    return false;
            }
        }
        p = skip_value(p);
        if (!p)
            return false;
        p = ws(p);
        if (*p++ != ',')
            return false;
    }
}

/* ===== the policies simulated ===== */

struct sim_pol {
    const struct pdoc *d;
    enum pail_policy_source src;
    const char *pid, *owner, *type; /* type: SourcePolicyType */
    bool boundary;
};

struct sim {
    struct sim_pol *v;
    size_t n, cap;
    bool has_boundary;
    struct pail_principal pr; /* the simulated caller */
    bool principal_known;     /* pr could make requests (a user or role, or CallerArn) */
    struct pdoc *rpol;        /* ResourcePolicy (compiled), or NULL */
    const char *rowner;       /* account owning the resources and rpol */
};

static void sim_add(struct iam_ctx *c, struct sim *s, const struct pdoc *d,
                    enum pail_policy_source src, const char *pid, const char *owner,
                    const char *type, bool boundary)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        struct sim_pol *nv = pail_arena_alloc(c->a, nc * sizeof *nv);
        if (s->n)
            memcpy(nv, s->v, s->n * sizeof *nv);
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = (struct sim_pol){d, src, pid, owner, type, boundary};
    s->has_boundary |= boundary;
}

static void sim_inline(struct iam_ctx *c, struct sim *s, const struct inline_pol *v, size_t n,
                       enum pail_policy_source src, const char *owner, const char *type)
{
    for (size_t i = 0; i < n; i++)
        sim_add(c, s, v[i].d, src, v[i].name, owner, type, false);
}

static void sim_managed(struct iam_ctx *c, struct sim *s, const struct mpol *p, bool boundary)
{
    sim_add(c, s, p->d.v[p->d.def].d,
            boundary ? PAIL_SRC_BOUNDARY : p->acct ? PAIL_SRC_USER_MANAGED : PAIL_SRC_AWS_MANAGED,
            p->d.arn, NULL, p->acct ? "user-managed" : "aws-managed", boundary);
}

static void sim_attached(struct iam_ctx *c, struct sim *s, struct mpol *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sim_managed(c, s, v[i], false);
}

/* PolicyInputList / PermissionsBoundaryPolicyInputList documents; false
 * (answered) when one does not compile. The compiled documents live until
 * the arena goes. */
static void unref_cb(void *d) { pdoc_unref(d); }

static bool sim_inputs(struct iam_ctx *c, struct sim *s, const char *list, bool boundary)
{
    size_t n;
    const char **docs = iam_list(c, list, NULL, &n);
    for (size_t i = 0; i < n; i++) {
        char why[512] = "";
        struct pail_policy *p = pail_policy_compile(docs[i], strlen(docs[i]), PAIL_POLICY_IDENTITY,
                                                    NULL, why, sizeof why);
        if (!p) {
            iam_fail(c, PAIL_E_InvalidInput, "%s.%zu: %s", list, i + 1, why);
            return false;
        }
        struct pdoc *d = pdoc_new(docs[i], p);
        pail_arena_cleanup(c->a, unref_cb, d);
        sim_add(c, s, d, boundary ? PAIL_SRC_BOUNDARY : PAIL_SRC_USER,
                pail_arena_printf(c->a, "%s.%zu", list, i + 1), NULL, "none", boundary);
    }
    return true;
}

/* ContextEntries as the engine's condition context. */
static struct pail_cond_entry *context(struct iam_ctx *c, size_t *n)
{
    const char **keys = iam_list(c, "ContextEntries", "ContextKeyName", n);
    struct pail_cond_entry *v = pail_arena_alloc(c->a, (*n + 1) * sizeof *v);
    for (size_t i = 0; i < *n; i++) {
        size_t nv;
        const char *name = pail_arena_printf(c->a, "ContextEntries.member.%zu.ContextKeyValues", i + 1);
        v[i] = (struct pail_cond_entry){.key = keys[i], .values = iam_list(c, name, NULL, &nv)};
        v[i].n = nv;
    }
    return v;
}

/* ===== the resource side ===== */

static const char *decision_name(enum pail_effect e)
{
    return e == PAIL_EFFECT_DENY ? "explicitDeny" : e == PAIL_EFFECT_ALLOW ? "allowed" : "implicitDeny";
}

static enum pail_effect decision_effect(const char *decision)
{
    return !strcmp(decision, "explicitDeny") ? PAIL_EFFECT_DENY
           : !strcmp(decision, "allowed")    ? PAIL_EFFECT_ALLOW
                                             : PAIL_EFFECT_NONE;
}

static void detail(struct pail_sim_answer *ans, const char *key, enum pail_effect e)
{
    if (ans->ndetail < PAIL_SIM_MAX_DETAILS)
        ans->detail[ans->ndetail++] = (struct pail_sim_detail){key, decision_name(e)};
}

/* The statements of the resource policy that decided: its Allows when it
 * took part in an allow, its Denies when it denied (AWS shows only the deny
 * statement then), none for an implicit deny. */
static void decided_statements(const struct pail_policy *p, const struct pail_eval_trace *t,
                               enum pail_effect all, enum pail_effect own,
                               struct pail_sim_answer *ans)
{
    if (all == PAIL_EFFECT_NONE || own != all)
        return;
    for (size_t i = 0; i < t->nmatched; i++)
        if (pail_policy_statement_denies(p, t->matched[i]) == (all == PAIL_EFFECT_DENY))
            ans->stmt[ans->nstmt++] = t->matched[i];
}

/* ResourcePolicy as AWS evaluates it: an explicit deny on either side wins;
 * within the resource owner's account either side allows (a policy naming
 * the account, not the caller, delegates to it and so needs the identity
 * side); across accounts both must allow. */
static void resource_policy_side(const struct sim *s, const struct pail_eval_req *req,
                                 enum pail_effect idn, struct pail_sim_answer *ans)
{
    struct pail_eval_trace t;
    enum pail_effect own = pail_policy_eval(s->rpol->p, req, &t);
    bool same = s->pr.account && strcmp(s->pr.account, s->rowner) == 0;
    bool direct = own == PAIL_EFFECT_ALLOW && t.principal_match >= PAIL_PM_ANY;
    enum pail_effect all = PAIL_EFFECT_NONE;
    if (idn == PAIL_EFFECT_DENY || own == PAIL_EFFECT_DENY)
        all = PAIL_EFFECT_DENY;
    else if (same ? idn == PAIL_EFFECT_ALLOW || direct
                  : idn == PAIL_EFFECT_ALLOW && own == PAIL_EFFECT_ALLOW)
        all = PAIL_EFFECT_ALLOW;
    ans->decision = decision_name(all);
    ans->policy_id = "ResourcePolicy";
    ans->policy_doc = s->rpol->doc;
    decided_statements(s->rpol->p, &t, all, own, ans);
    memcpy(ans->missing, t.missing, t.nmissing * sizeof *t.missing);
    ans->nmissing = t.nmissing;
    if (!same) { /* AWS fills EvalDecisionDetails for cross-account simulations only */
        detail(ans, "IAM Policy", idn);
        detail(ans, "Resource Policy", own);
    }
}

/* The resource side of one pair into ans: the given ResourcePolicy, else
 * the service owning the resource (through the call's hook) when the
 * simulated principal could make the request. false: identity side only. */
static bool resource_side(struct iam_ctx *c, const struct sim *s, const struct pail_eval_req *req,
                          enum pail_effect idn, struct pail_sim_answer *ans)
{
    *ans = (struct pail_sim_answer){0};
    if (s->rpol) {
        resource_policy_side(s, req, idn, ans);
        return true;
    }
    const struct pail_sim_hook *h = c->call->sim;
    if (!h || !h->decide || !s->principal_known || strcmp(req->resource, "*") == 0)
        return false;
    struct pail_sim_ask ask = {.principal = &s->pr, .action = req->action,
                               .resource = req->resource, .ctx = req->ctx, .nctx = req->nctx,
                               .identity = idn, .asker_account = c->acct->id};
    return h->decide(h->ctx, &ask, c->a, ans) && ans->decision;
}

/* ===== writing one result ===== */

static void position_xml(struct iam_ctx *c, const char *elem, int line, int col)
{
    pail_xml_open(&c->x, elem);
    pail_xml_elem_u64(&c->x, "Line", (uint64_t)line);
    pail_xml_elem_u64(&c->x, "Column", (uint64_t)col);
    pail_xml_close(&c->x);
}

/* One MatchedStatements member: statement i of doc. */
static void statement_xml(struct iam_ctx *c, const char *pid, const char *type, const char *doc,
                          size_t i)
{
    const char *st, *en;
    int sl = 1, sc = 1, el = 1, ec = 1;
    if (stmt_span(doc, i, &st, &en)) {
        line_col(doc, st, &sl, &sc);
        line_col(doc, en, &el, &ec);
    }
    pail_xml_open(&c->x, "member");
    pail_xml_elem(&c->x, "SourcePolicyId", pid);
    pail_xml_elem(&c->x, "SourcePolicyType", type);
    position_xml(c, "StartPosition", sl, sc);
    position_xml(c, "EndPosition", el, ec);
    pail_xml_close(&c->x);
}

/* What one pair's answer is made of. */
struct result {
    const char *action, *resource, *decision;
    const struct pail_identity_decision *d;
    const size_t *owner_of;     /* d->matched[m] came from s->v[owner_of[m]] */
    enum pail_effect shown;     /* the identity statements shown: of this effect */
    const struct pail_sim_answer *res; /* the resource side, or NULL */
};

static void matched_xml(struct iam_ctx *c, const struct sim *s, const struct result *r)
{
    pail_xml_open(&c->x, "MatchedStatements");
    for (size_t m = 0; r->shown != PAIL_EFFECT_NONE && m < r->d->nmatched; m++) {
        const struct pail_identity_match *mt = &r->d->matched[m];
        if (mt->effect != r->shown)
            continue;
        const struct sim_pol *p = &s->v[r->owner_of[m]];
        for (size_t k = 0; k < mt->nstmt; k++)
            statement_xml(c, p->pid, p->type, p->d->doc, mt->stmt[k]);
    }
    for (size_t k = 0; r->res && r->res->policy_id && k < r->res->nstmt; k++)
        statement_xml(c, r->res->policy_id, "resource", r->res->policy_doc, r->res->stmt[k]);
    pail_xml_close(&c->x);
}

static bool listed(const char *const *v, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v[i], key) == 0)
            return true;
    return false;
}

static void missing_xml(struct iam_ctx *c, const struct result *r)
{
    pail_xml_open(&c->x, "MissingContextValues");
    for (size_t i = 0; i < r->d->nmissing; i++)
        pail_xml_elem(&c->x, "member", r->d->missing[i]);
    for (size_t i = 0; r->res && i < r->res->nmissing; i++)
        if (!listed(r->d->missing, r->d->nmissing, r->res->missing[i]) &&
            !listed(r->res->missing, i, r->res->missing[i]))
            pail_xml_elem(&c->x, "member", r->res->missing[i]);
    pail_xml_close(&c->x);
}

/* EvalDecisionDetails: AWS sends it empty for a resource of the caller's
 * account and omits it for "*"; what the resource side reports fills it. */
static void details_xml(struct iam_ctx *c, const struct result *r)
{
    size_t n = r->res ? r->res->ndetail : 0;
    if (!n && strcmp(r->resource, "*") == 0)
        return;
    pail_xml_open(&c->x, "EvalDecisionDetails");
    for (size_t i = 0; i < n; i++) {
        pail_xml_open(&c->x, "entry");
        pail_xml_elem(&c->x, "key", r->res->detail[i].key);
        pail_xml_elem(&c->x, "value", r->res->detail[i].value);
        pail_xml_close(&c->x);
    }
    pail_xml_close(&c->x);
}

static void boundary_xml(struct iam_ctx *c, const struct sim *s, const struct result *r)
{
    if (!s->has_boundary)
        return;
    pail_xml_open(&c->x, "PermissionsBoundaryDecisionDetail");
    pail_xml_elem_bool(&c->x, "AllowedByPermissionsBoundary", r->d->boundary == PAIL_EFFECT_ALLOW);
    pail_xml_close(&c->x);
}

/* AWS repeats a named resource's result in ResourceSpecificResults. */
static void resource_specific_xml(struct iam_ctx *c, const struct sim *s, const struct result *r)
{
    if (strcmp(r->resource, "*") == 0)
        return;
    pail_xml_open(&c->x, "ResourceSpecificResults");
    pail_xml_open(&c->x, "member");
    pail_xml_elem(&c->x, "EvalResourceName", r->resource);
    pail_xml_elem(&c->x, "EvalResourceDecision", r->decision);
    matched_xml(c, s, r);
    missing_xml(c, r);
    details_xml(c, r);
    boundary_xml(c, s, r);
    pail_xml_close(&c->x);
    pail_xml_close(&c->x);
}

static void result_xml(struct iam_ctx *c, const struct sim *s, const struct result *r)
{
    pail_xml_open(&c->x, "member");
    pail_xml_elem(&c->x, "EvalActionName", r->action);
    pail_xml_elem(&c->x, "EvalResourceName", r->resource);
    pail_xml_elem(&c->x, "EvalDecision", r->decision);
    matched_xml(c, s, r);
    missing_xml(c, r);
    boundary_xml(c, s, r);
    details_xml(c, r);
    resource_specific_xml(c, s, r);
    pail_xml_close(&c->x);
}

/* ===== one pair ===== */

/* The identity side: every simulated policy into d; owner_of[m] names the
 * policy of d->matched[m]. Returns the side's effect (DENY: an explicit deny
 * in a policy or the boundary; ALLOW: every layer allows). */
static enum pail_effect identity_side(struct iam_ctx *c, const struct sim *s,
                                      const struct pail_eval_req *req,
                                      struct pail_identity_decision *d, size_t *owner_of)
{
    *d = (struct pail_identity_decision){0};
    for (size_t i = 0; i < s->n; i++) {
        size_t before = d->nmatched;
        id_eval_one(s->v[i].d, s->v[i].src, s->v[i].pid, s->v[i].owner, req, c->a, d,
                    s->v[i].boundary ? &d->boundary : &d->identity, s->v[i].boundary, false);
        if (d->nmatched > before)
            owner_of[before] = i;
    }
    d->has_boundary = s->has_boundary;
    if (d->identity == PAIL_EFFECT_DENY || d->boundary == PAIL_EFFECT_DENY)
        return PAIL_EFFECT_DENY;
    return pail_identity_allowed(d) ? PAIL_EFFECT_ALLOW : PAIL_EFFECT_NONE;
}

/* One EvaluationResults member. */
static void simulate_one(struct iam_ctx *c, const struct sim *s, const char *action,
                         const char *resource, const struct pail_cond_entry *ctx, size_t nctx)
{
    struct pail_eval_req req = {.principal = &s->pr, .action = action, .resource = resource,
                                .ctx = ctx, .nctx = nctx};
    struct pail_identity_decision d;
    size_t *owner_of = pail_arena_alloc(c->a, (s->n + 1) * sizeof *owner_of);
    enum pail_effect idn = identity_side(c, s, &req, &d, owner_of);
    struct pail_sim_answer ans;
    bool has_res = resource_side(c, s, &req, idn, &ans);
    struct result r = {.action = action, .resource = resource, .d = &d, .owner_of = owner_of,
                       .res = has_res ? &ans : NULL};
    r.decision = has_res ? ans.decision : decision_name(idn);
    /* the identity statements are shown when they agree with the decision */
    r.shown = decision_effect(r.decision) == idn ? idn : PAIL_EFFECT_NONE;
    result_xml(c, s, &r);
}

/* Runs every ActionNames x ResourceArns pair, paged by MaxItems/Marker (the
 * Marker is the index of the next result). */
static enum pail_err simulate(struct iam_ctx *c, const struct sim *s)
{
    size_t nact, nres, nctx;
    const char **acts = iam_list(c, "ActionNames", NULL, &nact);
    const char **res = iam_list(c, "ResourceArns", NULL, &nres);
    struct pail_cond_entry *ctx = context(c, &nctx);
    struct iam_page pg;
    iam_paging(c, &pg);
    if (!nact)
        iam_verr(c, "actionNames", NULL, "Member must not be null");
    for (size_t i = 0; i < nact; i++)
        if (strlen(acts[i]) < 3 || strlen(acts[i]) > 128)
            iam_verr(c, "actionNames", acts[i], "Member must have length between 3 and 128");
    if (iam_invalid(c))
        return c->err;
    static const char *star[] = {"*"};
    if (!nres) {
        res = star;
        nres = 1;
    }
    size_t total = nact * nres, first = pg.marker ? strtoul(pg.marker, NULL, 10) : 0;
    size_t last = first + (size_t)pg.max < total ? first + (size_t)pg.max : total;
    iam_result(c);
    pail_xml_open(&c->x, "EvaluationResults");
    for (size_t i = first; i < last; i++)
        simulate_one(c, s, acts[i / nres], res[i % nres], ctx, nctx);
    pail_xml_close(&c->x);
    iam_page_end(c, last < total, pail_arena_printf(c->a, "%zu", last));
    return PAIL_OK;
}

/* ===== who is simulated ===== */

/* The user, group or role PolicySourceArn names in the caller's account. */
static bool source_of(struct iam_ctx *c, const char *arn, struct sim *s)
{
    char prefix[40];
    snprintf(prefix, sizeof prefix, "arn:aws:iam::%s:", c->acct->id);
    size_t pl = strlen(prefix);
    const char *rest = strncmp(arn, prefix, pl) == 0 ? arn + pl : NULL;
    const char *name = rest && strchr(rest, '/') ? strrchr(rest, '/') + 1 : NULL;
    s->pr = (struct pail_principal){.account = c->acct->id, .canonical_id = c->acct->canonical,
                                    .arn = arn};
    if (name && strncmp(rest, "user/", 5) == 0) {
        const struct user *u = iam_user(c, name);
        if (!u || strcmp(u->d.arn, arn) != 0)
            return iam_no_user(c, name), false;
        s->pr.type = PAIL_PT_USER;
        s->pr.username = u->d.name;
        s->pr.userid = u->id;
        s->principal_known = true;
        sim_inline(c, s, u->d.inl, u->d.ninl, PAIL_SRC_USER, u->d.name, "user");
        sim_attached(c, s, u->d.att, u->d.natt);
        for (size_t i = 0; i < u->d.ngroups; i++) {
            const struct group *g = u->d.groups[i];
            sim_inline(c, s, g->d.inl, g->d.ninl, PAIL_SRC_GROUP, g->d.name, "group");
            sim_attached(c, s, g->d.att, g->d.natt);
        }
        if (u->d.boundary)
            sim_managed(c, s, u->d.boundary, true);
        return true;
    }
    if (name && strncmp(rest, "group/", 6) == 0) {
        const struct group *g = iam_group(c, name);
        if (!g || strcmp(g->d.arn, arn) != 0)
            return iam_no_group(c, name), false;
        s->pr.type = PAIL_PT_USER; /* a group makes no requests: no principal to simulate */
        sim_inline(c, s, g->d.inl, g->d.ninl, PAIL_SRC_GROUP, g->d.name, "group");
        sim_attached(c, s, g->d.att, g->d.natt);
        return true;
    }
    if (name && strncmp(rest, "role/", 5) == 0) {
        const struct role *r = iam_role(c, name);
        if (!r || strcmp(r->d.arn, arn) != 0)
            return iam_no_role(c, name), false;
        s->pr.type = PAIL_PT_ASSUMED_ROLE;
        s->pr.role_arn = r->d.arn;
        s->principal_known = true;
        sim_inline(c, s, r->d.inl, r->d.ninl, PAIL_SRC_ROLE, r->d.name, "role");
        sim_attached(c, s, r->d.att, r->d.natt);
        if (r->d.boundary)
            sim_managed(c, s, r->d.boundary, true);
        return true;
    }
    iam_fail(c, PAIL_E_InvalidInput, "Invalid ARN %s: a user, group or role ARN of this account "
                                     "is required.", arn);
    return false;
}

/* CallerArn: AWS takes only an IAM user's ARN. The user must be one this
 * pail knows, so that resource policies and ACL grants see its real ids. */
static bool caller_of(struct iam_ctx *c, const char *arn, struct pail_principal *out)
{
    const char *rest = strncmp(arn, "arn:aws:iam::", 13) == 0 ? arn + 13 : NULL;
    if (!rest || strspn(rest, "0123456789") != 12 || strncmp(rest + 12, ":user/", 6) != 0 ||
        !rest[18]) {
        iam_fail(c, PAIL_E_InvalidInput, "Invalid CallerArn %s: only the ARN of an IAM user may "
                                         "be the simulated caller.", arn);
        return false;
    }
    char acct[13];
    memcpy(acct, rest, 12);
    acct[12] = '\0';
    const char *name = strrchr(rest, '/') + 1;
    const struct acct *ac = idmap_get(&c->id->accts, acct);
    const struct user *u = ac ? idmap_get(&ac->users, name) : NULL;
    if (!u || strcmp(u->d.arn, arn) != 0) {
        iam_no_user(c, name);
        return false;
    }
    *out = (struct pail_principal){.type = PAIL_PT_USER, .account = ac->id,
                                   .canonical_id = ac->canonical, .arn = u->d.arn,
                                   .username = u->d.name, .userid = u->id};
    return true;
}

/* An account as ResourceOwner gives it: "arn:aws:iam::ACCT:root" (AWS's
 * documented form) or the bare 12-digit id; NULL (answered) otherwise. */
static const char *owner_account(struct iam_ctx *c, const char *v)
{
    const char *id = strncmp(v, "arn:aws:iam::", 13) == 0 ? v + 13 : v;
    bool arn = id != v;
    if (strspn(id, "0123456789") == 12 && (arn ? strcmp(id + 12, ":root") == 0 : !id[12]))
        return pail_arena_strndup(c->a, id, 12);
    iam_fail(c, PAIL_E_InvalidInput, "Invalid ResourceOwner %s: an account ARN "
                                     "(arn:aws:iam::123456789012:root) is required.", v);
    return NULL;
}

/* CallerArn, ResourcePolicy and ResourceOwner, after the policy source:
 * false (answered) on a fault. AWS needs a caller for a resource policy's
 * Principal to match: CallerArn, or a user as the policy source. */
static bool resource_inputs(struct iam_ctx *c, struct sim *s, bool source_is_user)
{
    const char *caller = iam_str(c, "CallerArn", false, 1, 2048, PAT_NONE);
    const char *doc = iam_str(c, "ResourcePolicy", false, 1, 131072, PAT_DOC);
    const char *owner = iam_str(c, "ResourceOwner", false, 1, 2048, PAT_NONE);
    iam_str(c, "ResourceHandlingOption", false, 1, 64, PAT_NONE); /* EC2 scenarios: not S3's */
    if (iam_invalid(c))
        return false;
    if (caller) {
        if (!caller_of(c, caller, &s->pr))
            return false;
        s->principal_known = true;
    }
    if (!doc)
        return true;
    if (!caller && !source_is_user) {
        iam_fail(c, PAIL_E_InvalidInput, "CallerArn is required when a ResourcePolicy is given "
                                         "and the policy source is not an IAM user.");
        return false;
    }
    char why[512] = "";
    struct pail_policy *p = pail_policy_compile(doc, strlen(doc), PAIL_POLICY_RESOURCE, NULL, why,
                                                sizeof why);
    if (!p) {
        iam_fail(c, PAIL_E_InvalidInput, "ResourcePolicy: %s", why);
        return false;
    }
    s->rpol = pdoc_new(doc, p);
    pail_arena_cleanup(c->a, unref_cb, s->rpol);
    s->rowner = owner ? owner_account(c, owner) : s->pr.account;
    return s->rowner != NULL;
}

/* ===== the actions ===== */

enum pail_err iam_SimulatePrincipalPolicy(struct iam_ctx *c)
{
    const char *arn = iam_str(c, "PolicySourceArn", true, 20, 2048, PAT_NONE);
    if (iam_invalid(c))
        return c->err;
    enum pail_err e = iam_authz_self(c, arn);
    if (e)
        return e;
    struct sim s = {0};
    if (!source_of(c, arn, &s) || !resource_inputs(c, &s, s.pr.type == PAIL_PT_USER &&
                                                              s.principal_known) ||
        !sim_inputs(c, &s, "PolicyInputList", false))
        return c->err;
    size_t nb;
    iam_list(c, "PermissionsBoundaryPolicyInputList", NULL, &nb);
    if (nb) { /* given boundaries replace the entity's own */
        size_t j = 0;
        for (size_t i = 0; i < s.n; i++)
            if (!s.v[i].boundary)
                s.v[j++] = s.v[i];
        s.n = j;
        s.has_boundary = false;
        if (!sim_inputs(c, &s, "PermissionsBoundaryPolicyInputList", true))
            return c->err;
    }
    return simulate(c, &s);
}

enum pail_err iam_SimulateCustomPolicy(struct iam_ctx *c)
{
    size_t n;
    iam_list(c, "PolicyInputList", NULL, &n);
    if (!n)
        iam_verr(c, "policyInputList", NULL, "Member must not be null");
    if (iam_invalid(c))
        return c->err;
    enum pail_err e = iam_authz_self(c, "*");
    if (e)
        return e;
    /* Without CallerArn the policies are evaluated as the caller's account's;
     * no principal is simulated, so nothing but them decides. */
    struct sim s = {0};
    s.pr = (struct pail_principal){.type = PAIL_PT_USER, .account = c->acct->id,
                                   .canonical_id = c->acct->canonical, .arn = c->me.arn};
    if (!resource_inputs(c, &s, false) || !sim_inputs(c, &s, "PolicyInputList", false) ||
        !sim_inputs(c, &s, "PermissionsBoundaryPolicyInputList", true))
        return c->err;
    return simulate(c, &s);
}
