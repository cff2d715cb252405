/* iam/policy_parse.c — pail_policy_compile: a JSON policy document into the
 * compiled form of policy_int.h, refusing what AWS refuses with AWS's words.
 * Owns the policy's memory (a pool released by pail_policy_free), the fault
 * messages of every kind (pail__fail, the one place they are written), the
 * document and statement elements, Action/NotAction and Resource/NotResource.
 * Principals and conditions are compiled by policy_principal.c and
 * policy_cond.c. IAM User Guide, "IAM JSON policy elements reference".
 *
 * Sections: memory; messages; actions; resources; statements; document;
 * accessors and size. */
#include "iam/policy_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Memory ------------------------------------------------------------- */

#define CHUNK_SIZE 4096
#define ALIGN 16

struct pail__chunk {
    struct pail__chunk *next;
    size_t used, cap;
    _Alignas(ALIGN) unsigned char data[];
};

void *pail__pool_alloc(struct pail__pool *p, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    struct pail__chunk *c = p->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        /* A large block goes behind the current one, which keeps filling. */
        if (p->head && n > CHUNK_SIZE / 2) {
            c->next = p->head->next;
            p->head->next = c;
        } else {
            c->next = p->head;
            p->head = c;
        }
    }
    void *r = c->data + c->used;
    c->used += n;
    memset(r, 0, n);
    return r;
}

char *pail__pool_strndup(struct pail__pool *p, const char *s, size_t n)
{
    char *d = pail__pool_alloc(p, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

void pail__pool_release(struct pail__pool *p)
{
    for (struct pail__chunk *c = p->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    p->head = NULL;
}

/* ---- Messages ----------------------------------------------------------- */

static void say(struct pail__cc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pail__cc *c, const char *fmt, ...)
{
    if (!c->why || !c->why_cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->why_cap, fmt, ap);
    va_end(ap);
}

/* IAM names the partition of a bad resource. Text that does not start with
 * "arn:" is read as if it did: its fields after the first colon, padded with
 * "*" to six ("s3:::b" -> partition "", resource "arn:::b:*:*"). */
static void say_partition(struct pail__cc *c, const char *res)
{
    if (strncmp(res, "arn:", 4) == 0) {
        const char *p = res + 4, *end = strchr(p, ':');
        int n = end ? (int)(end - p) : (int)strlen(p);
        say(c, "Partition \"%.*s\" is not valid for resource \"%s\".", n, p, res);
        return;
    }
    const char *f[5] = {"*", "*", "*", "*", "*"};
    int len[5] = {1, 1, 1, 1, 1};
    const char *q = strchr(res, ':');
    for (int i = 0; q && i < 5; i++) {
        const char *next = i < 4 ? strchr(q + 1, ':') : NULL;
        f[i] = q + 1;
        len[i] = next ? (int)(next - f[i]) : (int)strlen(f[i]);
        q = next;
    }
    say(c, "Partition \"%.*s\" is not valid for resource \"arn:%.*s:%.*s:%.*s:%.*s:%.*s\".",
        len[0], f[0], len[0], f[0], len[1], f[1], len[2], f[2], len[3], f[3], len[4], f[4]);
}

/* S3 (bucket policies, PutBucketPolicy's MalformedPolicy) and IAM
 * (MalformedPolicyDocument) word the same faults differently. */
static const char *s3_text(enum pail__fault f)
{
    switch (f) {
    case F_FIRST_BYTE: return "Policies must be valid JSON and the first byte must be '{'";
    case F_JSON: case F_TYPE: return "This policy contains invalid Json";
    case F_VERSION: return "The policy must contain a valid version string";
    case F_NO_STATEMENT: return "Missing required field Statement";
    case F_EMPTY_STATEMENT: return "Could not parse the policy: Statement is empty!";
    case F_NO_EFFECT: return "Missing required field Effect";
    case F_NO_ACTION: return "Missing required field Action";
    case F_NO_RESOURCE: return "Missing required field Resource";
    case F_NO_PRINCIPAL: return "Missing required field Principal";
    case F_BOTH_ACTION: case F_ACTION_VENDOR_MISSING: case F_ACTION_VENDOR: case F_ACTION:
    case F_TRUST_ACTION: return "Policy has invalid action";
    case F_BOTH_RESOURCE: case F_RESOURCE_FORMAT: case F_RESOURCE_PARTITION: case F_RESOURCE:
        return "Policy has invalid resource";
    case F_BOTH_PRINCIPAL: case F_PRINCIPAL: return "Invalid principal in policy";
    case F_COND_KEY_VENDOR: case F_COND_KEY: return "Policy has an invalid condition key";
    default: return NULL;
    }
}

static const char *iam_text(enum pail__fault f)
{
    switch (f) {
    case F_FIRST_BYTE: case F_LEGACY: case F_RESOURCE: return "The policy failed legacy parsing";
    case F_NO_EFFECT: return "Missing required field Effect.";
    case F_NO_ACTION: return "Policy statement must contain actions.";
    case F_NO_RESOURCE: return "Policy statement must contain resources.";
    case F_NO_PRINCIPAL: return "Missing required field Principal.";
    case F_PRINCIPAL_FORBIDDEN: return "Policy document should not specify a principal.";
    case F_SID_DUP: return "Statement IDs (SID) in a single policy must be unique.";
    case F_SID_CHARS:
        return "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
               "regular expression [0-9A-Za-z]*";
    case F_ACTION_VENDOR_MISSING: case F_COND_KEY_VENDOR:
        return "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
    case F_TRUST_ACTION: return "AssumeRole policy may only specify STS AssumeRole actions.";
    default: return "Syntax errors in policy.";
    }
}

bool pail__fail(struct pail__cc *c, enum pail__fault f, const char *detail)
{
    bool s3 = c->kind == PAIL_POLICY_RESOURCE;
    const char *d = detail ? detail : "";
    if (f == F_OOM)
        say(c, "Out of memory");
    else if (f == F_UNKNOWN_FIELD)
        say(c, "Unknown field %s", d);
    else if (f == F_PROHIBITED)
        say(c, "Has prohibited field %s", d);
    else if (s3 && f == F_EFFECT)
        say(c, "Invalid effect: %s", d);
    else if (s3 && f == F_COND_TYPE)
        say(c, "Invalid Condition type : %s", d);
    else if (s3 && (f == F_COND_EMPTY || f == F_COND_VALUE))
        say(c, "Invalid Condition value : %s", d);
    else if (s3 && s3_text(f))
        say(c, "%s", s3_text(f));
    else if (!s3 && f == F_ACTION_VENDOR)
        say(c, "Vendor %s is not valid", d);
    else if (!s3 && f == F_RESOURCE_FORMAT)
        say(c, "Resource %s must be in ARN format or \"*\".", d);
    else if (!s3 && f == F_RESOURCE_PARTITION)
        say_partition(c, d);
    else if (!s3 && f == F_PRINCIPAL && detail)
        say(c, "Invalid principal in policy: %s", d);
    else
        say(c, "%s", s3 ? "This policy contains invalid Json" : iam_text(f));
    return false;
}

/* ---- JSON helpers ------------------------------------------------------- */

/* A string-or-array element as a list. */
static size_t list_len(json_t *v)
{
    return json_is_array(v) ? json_array_size(v) : 1;
}

static json_t *list_at(json_t *v, size_t i)
{
    return json_is_array(v) ? json_array_get(v, i) : v;
}

/* v is a string or a non-empty array of strings; else the fault. */
static bool string_list(struct pail__cc *c, json_t *v, enum pail__fault empty)
{
    if (json_is_array(v) && json_array_size(v) == 0)
        return pail__fail(c, empty, NULL);
    for (size_t i = 0; i < list_len(v); i++)
        if (!json_is_string(list_at(v, i)))
            return pail__fail(c, F_TYPE, NULL);
    return true;
}

static bool fields_known(struct pail__cc *c, json_t *o, const char *const *known)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], k) != 0)
            i++;
        if (!known[i])
            return pail__fail(c, F_UNKNOWN_FIELD, k);
    }
    return true;
}

static bool ascii_ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
            return false;
    }
    return true;
}

/* ---- Actions ------------------------------------------------------------ */

/* What a trust policy may name ("AssumeRole policy may only specify STS
 * AssumeRole actions"), lower-case for matching patterns against. */
static const char *const trust_actions[] = {
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext", NULL};

static bool vendor_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-';
}

static bool action_char(char ch)
{
    return vendor_char(ch) || ch == '*' || ch == '?' || ch == '_';
}

static bool trust_action_ok(const struct pail__pat *pat)
{
    for (size_t i = 0; trust_actions[i]; i++)
        if (pail__glob(pat->tok[0].u, pat->tok[0].n, trust_actions[i], strlen(trust_actions[i]),
                       false))
            return true;
    return false;
}

/* "*" or vendor:name; S3 accepts only s3 actions in a bucket policy. */
static bool action_check(struct pail__cc *c, const char *a)
{
    if (strcmp(a, "*") == 0)
        return c->kind != PAIL_POLICY_TRUST || pail__fail(c, F_TRUST_ACTION, a);
    const char *colon = strchr(a, ':');
    if (!colon)
        return pail__fail(c, F_ACTION_VENDOR_MISSING, a);
    size_t vn = (size_t)(colon - a);
    for (size_t i = 0; i < vn; i++)
        if (!vendor_char(a[i]))
            vn = 0;
    if (vn == 0) {
        char vendor[64];
        snprintf(vendor, sizeof(vendor), "%.*s", (int)(colon - a), a);
        return pail__fail(c, F_ACTION_VENDOR, vendor);
    }
    const char *name = colon + 1;
    bool name_ok = *name != 0;
    for (const char *q = name; *q; q++)
        name_ok = name_ok && action_char(*q);
    if (!name_ok)
        return pail__fail(c, F_ACTION, a);
    if (c->kind == PAIL_POLICY_RESOURCE && !(vn == 2 && ascii_ieq_n(a, "s3", 2)))
        return pail__fail(c, F_ACTION, a);
    if (c->kind == PAIL_POLICY_TRUST && !(vn == 3 && ascii_ieq_n(a, "sts", 3)))
        return pail__fail(c, F_TRUST_ACTION, a);
    return true;
}

/* Action or NotAction (exactly one) into s. */
static bool compile_actions(struct pail__cc *c, json_t *st, struct pail__stmt *s)
{
    json_t *a = json_object_get(st, "Action"), *na = json_object_get(st, "NotAction");
    if (a && na)
        return pail__fail(c, F_BOTH_ACTION, NULL);
    json_t *v = a ? a : na;
    if (!v)
        return pail__fail(c, F_NO_ACTION, NULL);
    if (!string_list(c, v, F_NO_ACTION))
        return false;
    s->not_action = na != NULL;
    s->nactions = list_len(v);
    struct pail__pat *pats = pail__pool_alloc(c->pool, s->nactions * sizeof(*pats));
    if (!pats)
        return pail__fail(c, F_OOM, NULL);
    for (size_t i = 0; i < s->nactions; i++) {
        json_t *e = list_at(v, i);
        if (!action_check(c, json_string_value(e)))
            return false;
        if (!pail__pat_compile(c->pool, json_string_value(e), json_string_length(e),
                               PAIL__PAT_WILD | PAIL__PAT_FOLD, &pats[i]))
            return pail__fail(c, F_OOM, NULL);
        if (c->kind == PAIL_POLICY_TRUST && !pats[i].any && !trust_action_ok(&pats[i]))
            return pail__fail(c, F_TRUST_ACTION, NULL);
    }
    s->actions = pats;
    return true;
}

/* ---- Resources ---------------------------------------------------------- */

static const char *const partitions[] = {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b",
                                         "aws-iso-e", "aws-iso-f", "aws-eusc", NULL};

static bool partition_ok(const char *p, size_t n)
{
    if (memchr(p, '*', n) || memchr(p, '?', n))
        return true;
    for (size_t i = 0; partitions[i]; i++)
        if (strlen(partitions[i]) == n && memcmp(partitions[i], p, n) == 0)
            return true;
    return false;
}

/* "*" or arn:partition:service:region:account:resource. */
static bool resource_check(struct pail__cc *c, const char *r)
{
    if (strcmp(r, "*") == 0)
        return true;
    if (!strchr(r, ':'))
        return pail__fail(c, F_RESOURCE_FORMAT, r);
    if (strncmp(r, "arn:", 4) != 0)
        return pail__fail(c, F_RESOURCE_PARTITION, r);
    size_t colons = 0;
    for (const char *q = r; *q; q++)
        colons += *q == ':';
    if (colons < 5)
        return pail__fail(c, F_RESOURCE, r);
    const char *part = r + 4, *end = strchr(part, ':');
    if (!partition_ok(part, (size_t)(end - part)))
        return pail__fail(c, F_RESOURCE_PARTITION, r);
    if (end[1] == ':') /* no service */
        return pail__fail(c, F_RESOURCE, r);
    return true;
}

/* opts->bucket: the pattern must be able to name the bucket or something in
 * it. A variable may stand for anything here. */
static bool bucket_check(struct pail__cc *c, const struct pail__pat *pat, const char *bucket)
{
    if (pat->any)
        return true;
    size_t total = 0;
    for (size_t i = 0; i < pat->ntok; i++)
        total += pat->tok[i].var ? 1 : pat->tok[i].n;
    uint16_t *u = malloc((total + 1) * sizeof(*u));
    char *arn = malloc(strlen(bucket) + 16);
    if (!u || !arn) {
        free(u);
        free(arn);
        return pail__fail(c, F_OOM, NULL);
    }
    size_t n = 0;
    for (size_t i = 0; i < pat->ntok; i++) {
        const struct pail__ptok *t = &pat->tok[i];
        if (t->var)
            u[n++] = PAIL__U_STAR;
        else
            for (size_t j = 0; j < t->n; j++)
                u[n++] = t->u[j];
    }
    int len = snprintf(arn, strlen(bucket) + 16, "arn:aws:s3:::%s/", bucket);
    bool ok = pail__glob(u, n, arn, (size_t)len - 1, false) ||
              pail__glob_prefix(u, n, arn, (size_t)len);
    free(u);
    free(arn);
    return ok || pail__fail(c, F_RESOURCE, pat->text);
}

/* Resource or NotResource: required except in trust policies, which may
 * have neither. */
static bool compile_resources(struct pail__cc *c, json_t *st, struct pail__stmt *s)
{
    json_t *r = json_object_get(st, "Resource"), *nr = json_object_get(st, "NotResource");
    if (c->kind == PAIL_POLICY_TRUST && (r || nr))
        return pail__fail(c, F_PROHIBITED, r ? "Resource" : "NotResource");
    if (c->kind == PAIL_POLICY_TRUST)
        return true;
    if (r && nr)
        return pail__fail(c, F_BOTH_RESOURCE, NULL);
    json_t *v = r ? r : nr;
    if (!v)
        return pail__fail(c, F_NO_RESOURCE, NULL);
    if (!string_list(c, v, F_NO_RESOURCE))
        return false;
    s->has_resource = true;
    s->not_resource = nr != NULL;
    s->nresources = list_len(v);
    struct pail__pat *pats = pail__pool_alloc(c->pool, s->nresources * sizeof(*pats));
    if (!pats)
        return pail__fail(c, F_OOM, NULL);
    const char *bucket = c->opts && c->kind == PAIL_POLICY_RESOURCE ? c->opts->bucket : NULL;
    for (size_t i = 0; i < s->nresources; i++) {
        json_t *e = list_at(v, i);
        if (!resource_check(c, json_string_value(e)))
            return false;
        unsigned flags = PAIL__PAT_WILD | (c->vars ? PAIL__PAT_VARS : 0);
        if (!pail__pat_compile(c->pool, json_string_value(e), json_string_length(e), flags,
                               &pats[i]))
            return pail__fail(c, F_OOM, NULL);
        if (bucket && !bucket_check(c, &pats[i], bucket))
            return false;
    }
    s->resources = pats;
    return true;
}

/* ---- Statements --------------------------------------------------------- */

static const char *const stmt_fields[] = {"Sid", "Effect", "Action", "NotAction", "Resource",
                                          "NotResource", "Principal", "NotPrincipal",
                                          "Condition", NULL};

static bool sid_chars_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static bool compile_sid_effect(struct pail__cc *c, json_t *st, struct pail__stmt *s)
{
    json_t *sid = json_object_get(st, "Sid"), *eff = json_object_get(st, "Effect");
    if (sid && !json_is_string(sid))
        return pail__fail(c, F_TYPE, NULL);
    if (sid && c->kind != PAIL_POLICY_RESOURCE && !sid_chars_ok(json_string_value(sid)))
        return pail__fail(c, F_SID_CHARS, NULL);
    if (sid && !(s->sid = pail__pool_strndup(c->pool, json_string_value(sid),
                                             json_string_length(sid))))
        return pail__fail(c, F_OOM, NULL);
    if (!eff)
        return pail__fail(c, F_NO_EFFECT, NULL);
    if (!json_is_string(eff))
        return pail__fail(c, F_TYPE, NULL);
    const char *e = json_string_value(eff);
    if (strcmp(e, "Allow") != 0 && strcmp(e, "Deny") != 0)
        return pail__fail(c, F_EFFECT, e);
    s->deny = e[0] == 'D';
    return true;
}

/* Principal/NotPrincipal per kind: forbidden (identity), Principal only
 * (trust), either (bucket policy). */
static bool compile_principals(struct pail__cc *c, json_t *st, struct pail__stmt *s)
{
    json_t *p = json_object_get(st, "Principal"), *np = json_object_get(st, "NotPrincipal");
    if (c->kind == PAIL_POLICY_IDENTITY)
        return !(p || np) || pail__fail(c, F_PRINCIPAL_FORBIDDEN, NULL);
    if (p && np)
        return pail__fail(c, F_BOTH_PRINCIPAL, NULL);
    if (c->kind == PAIL_POLICY_TRUST && np)
        return pail__fail(c, F_PROHIBITED, "NotPrincipal");
    if (!p && !np)
        return pail__fail(c, F_NO_PRINCIPAL, NULL);
    s->has_principal = true;
    s->not_principal = np != NULL;
    return pail__principal_compile(c, p ? p : np, &s->principals);
}

static bool compile_stmt(struct pail__cc *c, json_t *st, struct pail__stmt *s)
{
    if (!json_is_object(st))
        return pail__fail(c, F_TYPE, NULL);
    if (!fields_known(c, st, stmt_fields) || !compile_sid_effect(c, st, s) ||
        !compile_principals(c, st, s) || !compile_actions(c, st, s) ||
        !compile_resources(c, st, s))
        return false;
    json_t *cond = json_object_get(st, "Condition");
    return !cond || pail__cond_compile(c, cond, &s->conds, &s->nconds);
}

/* ---- Document ----------------------------------------------------------- */

static const char *const doc_fields[] = {"Version", "Id", "Statement", NULL};

static bool compile_version(struct pail__cc *c, json_t *doc)
{
    json_t *v = json_object_get(doc, "Version"), *id = json_object_get(doc, "Id");
    if (id && !json_is_string(id))
        return pail__fail(c, F_TYPE, NULL);
    if (!v)
        return true;
    const char *s = json_string_value(v);
    if (!s || (strcmp(s, "2012-10-17") != 0 && strcmp(s, "2008-10-17") != 0))
        return pail__fail(c, F_VERSION, s);
    c->vars = strcmp(s, "2012-10-17") == 0;
    return true;
}

static bool sids_unique(struct pail__cc *c, const struct pail__stmt *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; s[i].sid && s[i].sid[0] && j < n; j++)
            if (s[j].sid && strcmp(s[i].sid, s[j].sid) == 0)
                return pail__fail(c, F_SID_DUP, s[i].sid);
    return true;
}

static bool compile_doc(struct pail__cc *c, json_t *doc, struct pail_policy *p)
{
    if (!fields_known(c, doc, doc_fields) || !compile_version(c, doc))
        return false;
    json_t *st = json_object_get(doc, "Statement");
    if (!st)
        return pail__fail(c, F_NO_STATEMENT, NULL);
    if (!json_is_array(st) && !json_is_object(st))
        return pail__fail(c, F_TYPE, NULL);
    size_t n = json_is_array(st) ? json_array_size(st) : 1;
    if (n == 0)
        return pail__fail(c, F_EMPTY_STATEMENT, NULL);
    struct pail__stmt *s = pail__pool_alloc(c->pool, n * sizeof(*s));
    if (!s)
        return pail__fail(c, F_OOM, NULL);
    for (size_t i = 0; i < n; i++)
        if (!compile_stmt(c, list_at(st, i), &s[i]))
            return false;
    if (c->kind != PAIL_POLICY_RESOURCE && !sids_unique(c, s, n))
        return false;
    p->stmts = s;
    p->n = n;
    return true;
}

/* S3 wants '{' as the very first byte. IAM parses first, then fails a
 * document that does not start with '{' (leading whitespace, a BOM) in its
 * "legacy" parser. */
static json_t *load(struct pail__cc *c, const char *doc, size_t len)
{
    bool brace = len > 0 && doc[0] == '{';
    if (!brace && c->kind == PAIL_POLICY_RESOURCE)
        return pail__fail(c, F_FIRST_BYTE, NULL), NULL;
    json_error_t err;
    json_t *root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &err);
    if (!root || !json_is_object(root) || !brace) {
        pail__fail(c, root && json_is_object(root) ? F_LEGACY : F_JSON, NULL);
        json_decref(root);
        return NULL;
    }
    return root;
}

struct pail_policy *pail_policy_compile(const char *doc, size_t len, enum pail_policy_kind kind,
                                        const struct pail_policy_opts *opts, char *why,
                                        size_t why_cap)
{
    struct pail_policy *p = calloc(1, sizeof(*p));
    struct pail__cc c = {.pool = p ? &p->pool : NULL, .kind = kind, .opts = opts, .why = why,
                         .why_cap = why_cap};
    if (why && why_cap)
        why[0] = 0;
    if (!p)
        return pail__fail(&c, F_OOM, NULL), NULL;
    p->kind = kind;
    json_t *root = load(&c, doc, len);
    bool ok = root && compile_doc(&c, root, p);
    json_decref(root);
    if (!ok) {
        pail_policy_free(p);
        return NULL;
    }
    return p;
}

void pail_policy_free(struct pail_policy *p)
{
    if (!p)
        return;
    pail__pool_release(&p->pool);
    free(p);
}

/* ---- Accessors and size ------------------------------------------------- */

size_t pail_policy_statement_count(const struct pail_policy *p)
{
    return p->n;
}

const char *pail_policy_statement_sid(const struct pail_policy *p, size_t i)
{
    return i < p->n ? p->stmts[i].sid : NULL;
}

bool pail_policy_statement_denies(const struct pail_policy *p, size_t i)
{
    return i < p->n && p->stmts[i].deny;
}

size_t pail_policy_size_nows(const char *doc, size_t len)
{
    size_t n = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char ch = doc[i];
        if (in_string) {
            n++;
            if (escaped)
                escaped = false;
            else if (ch == '\\')
                escaped = true;
            else if (ch == '"')
                in_string = false;
        } else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            n++;
            in_string = ch == '"';
        }
    }
    return n;
}
