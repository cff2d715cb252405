/* iam/iam_simulate.c — SimulatePrincipalPolicy and SimulateCustomPolicy: the
 * identity-side decision for each (action, resource) pair, with the
 * statements that decided it (and where they are in their documents) and the
 * context keys the policies needed but were not given. Uses the same
 * evaluation as requests (id_eval_one); the resource-policy side is S3's and
 * is not simulated (ResourcePolicy is accepted and ignored). */
#include "iam/iam_int.h"

#include "core/arena.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    struct pail_principal pr;
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

static const char *source_type(const struct sim_pol *p)
{
    return p->type;
}

static void position_xml(struct iam_ctx *c, const char *elem, int line, int col)
{
    pail_xml_open(&c->x, elem);
    pail_xml_elem_u64(&c->x, "Line", (uint64_t)line);
    pail_xml_elem_u64(&c->x, "Column", (uint64_t)col);
    pail_xml_close(&c->x);
}

/* One EvaluationResults member. */
static void simulate_one(struct iam_ctx *c, const struct sim *s, const char *action,
                         const char *resource, const struct pail_cond_entry *ctx, size_t nctx)
{
    struct pail_eval_req req = {.principal = &s->pr, .action = action, .resource = resource,
                                .ctx = ctx, .nctx = nctx};
    struct pail_identity_decision d = {0};
    size_t *owner_of = pail_arena_alloc(c->a, (s->n + 1) * sizeof *owner_of);
    for (size_t i = 0; i < s->n; i++) {
        size_t before = d.nmatched;
        id_eval_one(s->v[i].d, s->v[i].src, s->v[i].pid, s->v[i].owner, &req, c->a, &d,
                    s->v[i].boundary ? &d.boundary : &d.identity, s->v[i].boundary, false);
        if (d.nmatched > before)
            owner_of[before] = i;
    }
    d.has_boundary = s->has_boundary;
    bool deny = d.identity == PAIL_EFFECT_DENY || d.boundary == PAIL_EFFECT_DENY;
    const char *decision = deny ? "explicitDeny" : pail_identity_allowed(&d) ? "allowed" : "implicitDeny";
    enum pail_effect shown = deny ? PAIL_EFFECT_DENY : *decision == 'a' ? PAIL_EFFECT_ALLOW : PAIL_EFFECT_NONE;
    pail_xml_open(&c->x, "member");
    pail_xml_elem(&c->x, "EvalActionName", action);
    pail_xml_elem(&c->x, "EvalResourceName", resource);
    pail_xml_elem(&c->x, "EvalDecision", decision);
    pail_xml_open(&c->x, "MatchedStatements");
    for (size_t m = 0; shown != PAIL_EFFECT_NONE && m < d.nmatched; m++) {
        const struct pail_identity_match *mt = &d.matched[m];
        if (mt->effect != shown)
            continue;
        const struct sim_pol *p = &s->v[owner_of[m]];
        for (size_t k = 0; k < mt->nstmt; k++) {
            const char *st, *en;
            int sl = 1, sc = 1, el = 1, ec = 1;
            if (stmt_span(p->d->doc, mt->stmt[k], &st, &en)) {
                line_col(p->d->doc, st, &sl, &sc);
                line_col(p->d->doc, en, &el, &ec);
            }
            pail_xml_open(&c->x, "member");
            pail_xml_elem(&c->x, "SourcePolicyId", p->pid);
            pail_xml_elem(&c->x, "SourcePolicyType", source_type(p));
            position_xml(c, "StartPosition", sl, sc);
            position_xml(c, "EndPosition", el, ec);
            pail_xml_close(&c->x);
        }
    }
    pail_xml_close(&c->x);
    pail_xml_open(&c->x, "MissingContextValues");
    for (size_t i = 0; i < d.nmissing; i++)
        pail_xml_elem(&c->x, "member", d.missing[i]);
    pail_xml_close(&c->x);
    if (s->has_boundary) {
        pail_xml_open(&c->x, "PermissionsBoundaryDecisionDetail");
        pail_xml_elem_bool(&c->x, "AllowedByPermissionsBoundary", d.boundary == PAIL_EFFECT_ALLOW);
        pail_xml_close(&c->x);
    }
    pail_xml_close(&c->x);
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
        s->pr.type = PAIL_PT_USER;
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

enum pail_err iam_SimulatePrincipalPolicy(struct iam_ctx *c)
{
    const char *arn = iam_str(c, "PolicySourceArn", true, 20, 2048, PAT_NONE);
    if (iam_invalid(c))
        return c->err;
    enum pail_err e = iam_authz_self(c, arn);
    if (e)
        return e;
    struct sim s = {0};
    if (!source_of(c, arn, &s) || !sim_inputs(c, &s, "PolicyInputList", false))
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
    const char *caller = iam_str(c, "CallerArn", false, 1, 2048, PAT_NONE);
    if (iam_invalid(c))
        return c->err;
    enum pail_err e = iam_authz_self(c, "*");
    if (e)
        return e;
    struct sim s = {0};
    s.pr = (struct pail_principal){.type = PAIL_PT_USER, .account = c->acct->id,
                                   .canonical_id = c->acct->canonical,
                                   .arn = caller ? caller : c->me.arn};
    if (!sim_inputs(c, &s, "PolicyInputList", false) ||
        !sim_inputs(c, &s, "PermissionsBoundaryPolicyInputList", true))
        return c->err;
    return simulate(c, &s);
}
