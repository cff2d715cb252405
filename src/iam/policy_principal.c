/* iam/policy_principal.c — the Principal and NotPrincipal elements: which
 * forms are well formed (and exist, through opts->principal_exists), and how
 * an entry names the requester. IAM User Guide, "AWS JSON policy elements:
 * Principal" and "NotPrincipal". Partial wildcards in principals are not
 * part of the language: "*" stands alone or not at all. */
#include "iam/policy_int.h"

#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {"AWS", "CanonicalUser", "Service", "Federated", NULL};

static bool digits12(const char *s, size_t n)
{
    if (n != 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool hex64(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return i == 64;
}

/* "name" or "path/name": non-empty parts, at most `parts` of them when
 * parts > 0 (exactly that many), no wildcard. */
static bool names_ok(const char *s, int parts)
{
    int n = 1;
    if (!*s || strpbrk(s, "*?"))
        return false;
    for (const char *q = s; *q; q++) {
        if (*q != '/')
            continue;
        if (q == s || q[1] == 0 || q[-1] == '/')
            return false;
        n++;
    }
    return parts == 0 || n == parts;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* arn:partition:iam|sts::account:resource into *out; false when it is not a
 * principal ARN. acct receives the account field. */
static bool classify_arn(const char *v, struct pail__princ *out, char acct[13])
{
    const char *f[6];
    size_t len[6];
    const char *q = v;
    for (int i = 0; i < 6; i++) {
        f[i] = q;
        const char *colon = i < 5 ? strchr(q, ':') : NULL;
        len[i] = colon ? (size_t)(colon - q) : strlen(q);
        if (i < 5 && !colon)
            return false;
        q = colon ? colon + 1 : q;
    }
    if (len[0] != 3 || memcmp(f[0], "arn", 3) != 0 || len[1] == 0 || len[3] != 0 ||
        !digits12(f[4], len[4]) || memchr(f[1], '*', len[1]))
        return false;
    memcpy(acct, f[4], 12);
    acct[12] = 0;
    const char *res = f[5];
    bool iam = len[2] == 3 && memcmp(f[2], "iam", 3) == 0;
    bool sts = len[2] == 3 && memcmp(f[2], "sts", 3) == 0;
    if (iam && strcmp(res, "root") == 0)
        out->kind = PR_ACCOUNT;
    else if (iam && starts(res, "user/") && names_ok(res + 5, 0))
        out->kind = PR_ARN;
    else if (iam && starts(res, "role/") && names_ok(res + 5, 0))
        out->kind = PR_ROLE;
    else if (sts && starts(res, "assumed-role/") && names_ok(res + 13, 2))
        out->kind = PR_ARN;
    else if (sts && starts(res, "federated-user/") && names_ok(res + 15, 1))
        out->kind = PR_ARN;
    else
        return false;
    return true;
}

/* IAM's message quotes the offending entry: "AWS":"value". */
static bool bad(struct pail__cc *c, const char *type, const char *value)
{
    char d[512];
    snprintf(d, sizeof(d), "\"%s\":\"%s\"", type, value);
    return pail__fail(c, F_PRINCIPAL, d);
}

static bool exists(struct pail__cc *c, const char *value, bool canonical)
{
    const struct pail_policy_opts *o = c->opts;
    return !o || !o->principal_exists || o->principal_exists(o->ctx, value, canonical);
}

/* One value of the AWS key. */
static bool aws_entry(struct pail__cc *c, const char *v, struct pail__princ *out)
{
    char acct[13];
    if (strcmp(v, "*") == 0) {
        out->kind = PR_ANY;
        return true;
    }
    if (digits12(v, strlen(v))) {
        out->kind = PR_ACCOUNT;
        memcpy(acct, v, 13);
    } else if (!classify_arn(v, out, acct)) {
        return bad(c, "AWS", v);
    }
    if (!exists(c, v, false))
        return bad(c, "AWS", v);
    out->value = pail__pool_strndup(c->pool, out->kind == PR_ACCOUNT ? acct : v,
                                    out->kind == PR_ACCOUNT ? 12 : strlen(v));
    return out->value || pail__fail(c, F_OOM, NULL);
}

static bool canonical_entry(struct pail__cc *c, const char *v, struct pail__princ *out)
{
    if (c->kind == PAIL_POLICY_TRUST || !hex64(v) || !exists(c, v, true))
        return bad(c, "CanonicalUser", v);
    char *low = pail__pool_strndup(c->pool, v, 64);
    if (!low)
        return pail__fail(c, F_OOM, NULL);
    for (char *q = low; *q; q++)
        if (*q >= 'A' && *q <= 'F')
            *q = (char)(*q + 32);
    out->kind = PR_CANONICAL;
    out->value = low;
    return true;
}

static bool entry(struct pail__cc *c, const char *type, const char *v, struct pail__princ *out)
{
    if (strcmp(type, "AWS") == 0)
        return aws_entry(c, v, out);
    if (strcmp(type, "CanonicalUser") == 0)
        return canonical_entry(c, v, out);
    if (!*v)
        return bad(c, type, v);
    out->kind = strcmp(type, "Service") == 0 ? PR_SERVICE : PR_FEDERATED;
    out->value = pail__pool_strndup(c->pool, v, strlen(v));
    return out->value || pail__fail(c, F_OOM, NULL);
}

/* Entries of the object form; false (reported) on any malformed value. */
static bool count_entries(struct pail__cc *c, json_t *v, size_t *total)
{
    const char *k;
    json_t *val;
    *total = 0;
    json_object_foreach(v, k, val) {
        size_t i = 0;
        while (kinds[i] && strcmp(kinds[i], k) != 0)
            i++;
        if (!kinds[i])
            return bad(c, k, "");
        size_t n = json_is_array(val) ? json_array_size(val) : json_is_string(val) ? 1 : 0;
        for (size_t j = 0; json_is_array(val) && j < n; j++)
            if (!json_is_string(json_array_get(val, j)))
                n = 0;
        if (n == 0)
            return bad(c, k, "");
        *total += n;
    }
    return *total > 0 || pail__fail(c, F_PRINCIPAL, NULL);
}

bool pail__principal_compile(struct pail__cc *c, json_t *v, struct pail__pset *out)
{
    if (json_is_string(v) && strcmp(json_string_value(v), "*") != 0)
        return bad(c, "AWS", json_string_value(v));
    size_t total = 1;
    if (!json_is_string(v) && !json_is_object(v))
        return pail__fail(c, F_PRINCIPAL, NULL);
    if (json_is_object(v) && !count_entries(c, v, &total))
        return false;
    struct pail__princ *p = pail__pool_alloc(c->pool, total * sizeof(*p));
    if (!p)
        return pail__fail(c, F_OOM, NULL);
    out->p = p;
    out->n = total;
    if (json_is_string(v)) {
        p->kind = PR_ANY;
        return true;
    }
    const char *k;
    json_t *val;
    size_t o = 0;
    json_object_foreach(v, k, val) {
        size_t n = json_is_array(val) ? json_array_size(val) : 1;
        for (size_t j = 0; j < n; j++) {
            json_t *e = json_is_array(val) ? json_array_get(val, j) : val;
            if (!entry(c, k, json_string_value(e), &p[o++]))
                return false;
        }
    }
    return true;
}

/* ---- Matching ----------------------------------------------------------- */

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Canonical ids are hex: the requester's may come in either case. */
static bool hex_ieq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    for (; *a && *b; a++, b++)
        if ((*a >= 'A' && *a <= 'F' ? *a + 32 : *a) != *b)
            return false;
    return *a == *b;
}

static enum pail_principal_match entry_match(const struct pail__princ *e,
                                             const struct pail_principal *pr)
{
    if (e->kind == PR_ANY)
        return PAIL_PM_ANY;
    if (pr->type == PAIL_PT_ANONYMOUS)
        return PAIL_PM_NONE;
    switch (e->kind) {
    case PR_ACCOUNT:
        return eq(pr->account, e->value) ? PAIL_PM_ACCOUNT : PAIL_PM_NONE;
    case PR_CANONICAL:
        return hex_ieq(pr->canonical_id, e->value) ? PAIL_PM_ACCOUNT : PAIL_PM_NONE;
    case PR_ARN:
        return eq(pr->arn, e->value) ? PAIL_PM_EXACT : PAIL_PM_NONE;
    case PR_ROLE:
        return eq(pr->arn, e->value) ||
                       (pr->type == PAIL_PT_ASSUMED_ROLE && eq(pr->role_arn, e->value))
                   ? PAIL_PM_EXACT
                   : PAIL_PM_NONE;
    case PR_SERVICE: /* pail itself acting as the service (log delivery) */
        return pr->type == PAIL_PT_SERVICE && eq(pr->arn, e->value) ? PAIL_PM_EXACT
                                                                     : PAIL_PM_NONE;
    default: /* federated identities never sign our requests */
        return PAIL_PM_NONE;
    }
}

enum pail_principal_match pail__principal_match(const struct pail__pset *s,
                                                const struct pail_principal *pr)
{
    enum pail_principal_match best = PAIL_PM_NONE;
    for (size_t i = 0; i < s->n && best != PAIL_PM_EXACT; i++) {
        enum pail_principal_match m = entry_match(&s->p[i], pr);
        if (m > best)
            best = m;
    }
    return best;
}

bool pail__principal_exempt(const struct pail__pset *s, const struct pail_principal *pr)
{
    bool account = false, self = pr->type == PAIL_PT_ROOT;
    for (size_t i = 0; i < s->n; i++) {
        enum pail_principal_match m = entry_match(&s->p[i], pr);
        if (m == PAIL_PM_ANY)
            return true;
        account = account || m == PAIL_PM_ACCOUNT;
        self = self || m == PAIL_PM_EXACT;
    }
    return account && self;
}

bool pail__principal_has_any(const struct pail__pset *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->p[i].kind == PR_ANY)
            return true;
    return false;
}
