/* s3/authz.c — see authz.h. The decision follows AWS's documented order:
 *   1. an explicit Deny in the bucket policy, an identity policy, the
 *      permissions boundary or the session policy ends it (the bucket
 *      owner's root may still manage the bucket policy: AWS's lock-out rule);
 *   2. the identity side: the account root may do anything its account may;
 *      an IAM principal needs an Allow from its identity policies, within its
 *      boundary and session policy;
 *   3. the resource side: the bucket policy (for objects only those the
 *      bucket owner owns) and the ACL of the bucket or the object, as Object
 *      Ownership and Block Public Access let them speak;
 *   4. within the owner's account either side suffices (an ACL grant or a
 *      policy naming the account delegates to it, which needs the identity
 *      side); across accounts both must allow; anonymous requests have only
 *      the resource side.
 * Compiled bucket settings (policy, ACL) are built once per bucket-cache
 * fill (s3_authz_compile); the request context for conditions is built only
 * when a policy is evaluated. */
#include "s3/authz.h"

#include "core/arena.h"
#include "core/buf.h"
#include "http/request.h"
#include "iam/acl.h"
#include "iam/iam_api.h"
#include "iam/identity.h"
#include "iam/policy.h"
#include "s3/bucket_cache.h"
#include "s3/op.h"
#include "s3/owner.h"
#include "s3/services.h"
#include "s3/tags.h"
#include "store/meta.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- compiled bucket settings ------------------------------------------ */

struct compiled {
    struct pail_arena *mem;
    struct pail_policy *policy; /* NULL: none */
    bool policy_public;
    bool has_acl;
    struct pail_acl acl;        /* the stored bucket ACL (has_acl) */
};

void *s3_authz_compile(const struct s3_bucket *b)
{
    struct compiled *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (b->policy) {
        char why[256];
        c->policy = pail_policy_compile(b->policy, strlen(b->policy), PAIL_POLICY_RESOURCE, NULL,
                                        why, sizeof why);
        c->policy_public = c->policy && pail_policy_is_public(c->policy);
    }
    if (b->acl && (c->mem = pail_arena_new()) != NULL)
        c->has_acl = pail_acl_from_json(b->acl, c->mem, &c->acl) == PAIL_OK;
    return c;
}

void s3_authz_release(void *p)
{
    struct compiled *c = p;
    if (!c)
        return;
    pail_policy_free(c->policy);
    pail_arena_free(c->mem);
    free(c);
}

/* ---- request context for policy conditions ----------------------------- */

#define MAX_CTX 40

struct ctxb {
    struct pail_cond_entry e[MAX_CTX];
    size_t n;
    struct pail_arena *a;
};

static void put(struct ctxb *c, const char *key, const char *value)
{
    if (!value || c->n == MAX_CTX)
        return;
    const char **v = pail_arena_alloc(c->a, sizeof *v);
    *v = value;
    c->e[c->n++] = (struct pail_cond_entry){key, v, 1};
}

static void put_header(struct ctxb *c, struct pail_req *r, const char *key, const char *hdr)
{
    put(c, key, pail_req_header(r, hdr));
}

static void put_query(struct ctxb *c, struct pail_req *r, const char *key, const char *q)
{
    put(c, key, pail_req_query(r, q));
}

static const char *auth_type(const struct pail_req *r)
{
    switch (r->auth.kind) {
    case PAIL_AUTH_V4_HEADER:
    case PAIL_AUTH_V2_HEADER: return "REST-HEADER";
    case PAIL_AUTH_V4_QUERY:
    case PAIL_AUTH_V2_QUERY: return "REST-QUERY-STRING";
    case PAIL_AUTH_POST_FORM: return "POST";
    default: return NULL;
    }
}

/* s3:RequestObjectTag/KEY and s3:RequestObjectTagKeys from the tag set the
 * request writes (r->tags: its x-amz-tagging header or Tagging body). */
static void put_request_tags(struct ctxb *c, struct pail_req *r)
{
    const struct s3_tags *t = r->tags;
    if (!t || c->n == MAX_CTX)
        return;
    const char **keys = pail_arena_alloc(c->a, (t->n + 1) * sizeof *keys);
    for (size_t i = 0; i < t->n; i++)
        keys[i] = t->v[i].key;
    c->e[c->n++] = (struct pail_cond_entry){"s3:RequestObjectTagKeys", keys, t->n};
    for (size_t i = 0; i < t->n; i++)
        put(c, pail_arena_printf(c->a, "s3:RequestObjectTag/%s", t->v[i].key), t->v[i].value);
}

/* s3:ExistingObjectTag/KEY from the tags of the object the request acts on. */
static void put_object_tags(struct ctxb *c, const struct pail_object_rec *obj)
{
    if (!obj || !obj->tags)
        return;
    struct s3_tags t;
    s3_tags_from_json(c->a, obj->tags, &t);
    for (size_t i = 0; i < t.n; i++)
        put(c, pail_arena_printf(c->a, "s3:ExistingObjectTag/%s", t.v[i].key), t.v[i].value);
}

/* The condition context of a request on obj (NULL: none, or unknown).
 * list_key: a GET of a missing key asks whether the caller may list it
 * (s3:prefix is then that key). */
static void build_ctx(struct pail_req *r, struct ctxb *c, unsigned keys,
                      const struct pail_object_rec *obj, const char *list_key)
{
    c->n = 0;
    c->a = r->arena;
    char when[32];
    pail_time_iso8601((int64_t)r->now * 1000, when);
    put(c, "aws:CurrentTime", pail_arena_strdup(r->arena, when));
    put(c, "aws:EpochTime", pail_arena_printf(r->arena, "%lld", (long long)r->now));
    put(c, "aws:SecureTransport", r->tls_protocol ? "true" : "false");
    /* s3:TlsVersion is numeric: "1.2" of "TLSv1.2" */
    if (r->tls_protocol && !strncmp(r->tls_protocol, "TLSv", 4))
        put(c, "s3:TlsVersion", strcmp(r->tls_protocol, "TLSv1") ? r->tls_protocol + 4 : "1.0");
    put(c, "aws:SourceIp", *r->client_ip ? r->client_ip : NULL);
    put(c, "aws:RequestedRegion", r->svc->region);
    put_header(c, r, "aws:UserAgent", "user-agent");
    put_header(c, r, "aws:Referer", "referer");
    put(c, "s3:authType", auth_type(r));
    if (r->auth.kind == PAIL_AUTH_V4_HEADER || r->auth.kind == PAIL_AUTH_V4_QUERY)
        put(c, "s3:signatureversion", "AWS4-HMAC-SHA256");
    else if (r->auth.kind != PAIL_AUTH_ANONYMOUS)
        put(c, "s3:signatureversion", "AWS");
    put_header(c, r, "s3:x-amz-content-sha256", "x-amz-content-sha256");
    if (keys & PAIL_CK_LIST) {
        put_query(c, r, "s3:prefix", "prefix");
        put_query(c, r, "s3:delimiter", "delimiter");
        put_query(c, r, "s3:max-keys", "max-keys");
    }
    if (keys & PAIL_CK_ACL) {
        put_header(c, r, "s3:x-amz-acl", "x-amz-acl");
        put_header(c, r, "s3:x-amz-grant-read", "x-amz-grant-read");
        put_header(c, r, "s3:x-amz-grant-write", "x-amz-grant-write");
        put_header(c, r, "s3:x-amz-grant-read-acp", "x-amz-grant-read-acp");
        put_header(c, r, "s3:x-amz-grant-write-acp", "x-amz-grant-write-acp");
        put_header(c, r, "s3:x-amz-grant-full-control", "x-amz-grant-full-control");
    }
    if (keys & PAIL_CK_COPY) {
        put_header(c, r, "s3:x-amz-copy-source", "x-amz-copy-source");
        put_header(c, r, "s3:x-amz-metadata-directive", "x-amz-metadata-directive");
    }
    if (keys & PAIL_CK_SSE)
        put_header(c, r, "s3:x-amz-server-side-encryption", "x-amz-server-side-encryption");
    if (keys & PAIL_CK_REQTAG)
        put_request_tags(c, r);
    if (keys & PAIL_CK_OBJTAG)
        put_object_tags(c, obj);
    if (list_key)
        put(c, "s3:prefix", list_key);
}

const struct pail_cond_entry *s3_condition_context(struct pail_req *r, size_t *n)
{
    struct ctxb *c = pail_arena_alloc(r->arena, sizeof *c);
    build_ctx(r, c, 0, NULL, NULL);
    *n = c->n;
    return c->e;
}

/* ---- the decision ------------------------------------------------------- */

/* Why a request was refused: the log's word and AWS's message ending. */
enum why {
    WHY_IDENTITY_DENY,  /* "with an explicit deny in an identity-based policy" */
    WHY_RESOURCE_DENY,  /* "with an explicit deny in a resource-based policy" */
    WHY_BOUNDARY_DENY,  /* "... in a permissions boundary" */
    WHY_SESSION_DENY,   /* "... in a session policy" */
    WHY_NO_IDENTITY,    /* "because no identity-based policy allows the X action" */
    WHY_NO_RESOURCE,    /* "because no resource-based policy allows the X action" */
    WHY_NO_BOUNDARY,    /* "because no permissions boundary allows the X action" */
    WHY_NO_SESSION,     /* "because no session policy allows the X action" */
};

static const struct {
    const char *log;
    bool deny;
    const char *what;
} whys[] = {
    [WHY_IDENTITY_DENY] = {"identity-policy", true, "an identity-based policy"},
    [WHY_RESOURCE_DENY] = {"bucket-policy", true, "a resource-based policy"},
    [WHY_BOUNDARY_DENY] = {"permissions-boundary", true, "a permissions boundary"},
    [WHY_SESSION_DENY] = {"session-policy", true, "a session policy"},
    [WHY_NO_IDENTITY] = {"no-identity-allow", false, "identity-based policy"},
    [WHY_NO_RESOURCE] = {"no-resource-allow", false, "resource-based policy"},
    [WHY_NO_BOUNDARY] = {"no-boundary-allow", false, "permissions boundary"},
    [WHY_NO_SESSION] = {"no-session-allow", false, "session policy"},
};

struct check {
    struct pail_req *r;
    const char *action;
    const struct s3_bucket *b;
    const char *key;
    const struct pail_object_rec *obj;
    const char *resource;        /* the ARN */
    const char *bucket_owner;    /* account id */
    const char *object_owner;    /* account id, when obj */
    bool ctx_built;
    struct ctxb ctx;
    unsigned keys;
    const char *list_key;        /* s3:prefix of a missing key's ListBucket check */
    struct pail_buf *explain;    /* s3_explain: the trail, a line per step */
    const char *explain_arn;     /* s3_explain: the principal, by ARN */
    const enum pail_effect *given_identity; /* s3_simulate: the identity side, as IAM
                                               simulated it (not evaluated here) */
    struct layers *layers;       /* s3_simulate: what each system said */
};

/* One line of the trail s3_explain prints. */
static void note(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct check *c, const char *fmt, ...)
{
    if (!c->explain)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pail_buf_printf(c->explain, "  %s\n", line);
}

static const char *effect_name(enum pail_effect e)
{
    return e == PAIL_EFFECT_ALLOW ? "Allow" : e == PAIL_EFFECT_DENY ? "Deny" : "nothing";
}

static bool is(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static const char *resource_arn(struct pail_req *r, const char *bucket, const char *key)
{
    if (!bucket)
        return "arn:aws:s3:::*";
    if (!key)
        return pail_arena_printf(r->arena, "arn:aws:s3:::%s", bucket);
    return pail_arena_printf(r->arena, "arn:aws:s3:::%s/%s", bucket, key);
}

static struct pail_eval_req eval_req(struct check *c)
{
    if (!c->ctx_built) {
        build_ctx(c->r, &c->ctx, c->keys, c->obj, c->list_key);
        c->ctx_built = true;
    }
    return (struct pail_eval_req){
        .principal = c->r->auth.principal.type == PAIL_PT_ANONYMOUS ? NULL : &c->r->auth.principal,
        .action = c->action, .resource = c->resource, .ctx = c->ctx.e, .nctx = c->ctx.n};
}

/* The bucket owner's root may always read, replace and delete the bucket
 * policy, whatever it says (so that a policy cannot lock its owner out). */
static bool policy_management(const char *action)
{
    return !strcasecmp(action, "s3:GetBucketPolicy") || !strcasecmp(action, "s3:PutBucketPolicy") ||
           !strcasecmp(action, "s3:DeleteBucketPolicy");
}

/* The ACL that speaks for c's resource into out: the object's (its stored
 * one, else its owner's FULL_CONTROL) for object actions, the bucket's for
 * bucket actions. false when ACLs do not apply (BucketOwnerEnforced). */
static bool resource_acl(struct check *c, bool bucket_level, struct pail_acl *out)
{
    const struct s3_bucket *b = c->b;
    if (b->has_ownership && b->ownership == S3_OWN_ENFORCED)
        return false;
    const struct compiled *cb = b->compiled;
    const char *json = bucket_level ? NULL : c->obj ? c->obj->acl : NULL;
    const char *owner = bucket_level ? c->bucket_owner : c->object_owner;
    if (!bucket_level && !c->obj)
        return false;
    if (bucket_level && cb && cb->has_acl) {
        *out = cb->acl;
        return true;
    }
    if (json && pail_acl_from_json(json, c->r->arena, out) == PAIL_OK)
        return true;
    memset(out, 0, sizeof *out); /* the default: the owner, FULL_CONTROL */
    const char *canon = s3_owner_canonical(c->r, owner);
    if (!canon)
        return true;
    struct pail_grant *g = pail_arena_alloc(c->r->arena, sizeof *g);
    *g = (struct pail_grant){.type = PAIL_GRANTEE_CANONICAL, .id = canon,
                             .perm = PAIL_ACL_FULL_CONTROL};
    out->owner_id = canon;
    out->grants = g;
    out->n = 1;
    return true;
}

/* What an ACL grant amounts to. A grant to an account's canonical id (and
 * the owner's standing right to read and write the ACL) is the account's, so
 * its IAM principals still need an identity allow; a grant to AllUsers or
 * AuthenticatedUsers reaches every requester directly. */
enum acl_grant { ACL_NO, ACL_ACCOUNT, ACL_GROUP };

/* What each permission system said about one decision (s3_simulate). */
struct layers {
    bool policy_checked;     /* the bucket policy was evaluated */
    enum pail_effect policy; /* what it said for this request */
    bool policy_grants;      /* its Allow counts (it speaks for the resource, nothing blocks it) */
    struct pail_eval_trace trace;
    const struct pail_policy *compiled;
    bool public_policy_restricted; /* RestrictPublicBuckets kept its Allow to the account */
    bool acl_checked;        /* the ACL was consulted (the action is one an ACL can grant) */
    enum acl_grant acl;
    bool both_sides;         /* the resource side had to allow too (another account's) */
    bool public_acl_ignored; /* IgnorePublicAcls took a public grant away */
    bool refused;
    enum why why;            /* when refused */
};

/* Does the ACL allow c's action? The owner of the resource may always read
 * and write its ACL (AWS), whatever the grants say. */
static enum acl_grant acl_allows(struct check *c)
{
    if (!c->b)
        return ACL_NO;
    bool bucket_level = true;
    unsigned need = pail_acl_perm_for_action(c->action, true);
    if (!need) {
        need = pail_acl_perm_for_action(c->action, false);
        bucket_level = false;
    }
    if (!need)
        return ACL_NO;
    struct pail_acl acl;
    if (!resource_acl(c, bucket_level, &acl))
        return ACL_NO;
    const struct pail_principal *p = &c->r->auth.principal;
    bool anonymous = p->type == PAIL_PT_ANONYMOUS;
    bool ignore_public = c->b->has_pab && c->b->pab.ignore_public_acls;
    if (pail_acl_granted(&acl, NULL, !anonymous, ignore_public) & need)
        return ACL_GROUP;
    if (c->layers && ignore_public && (pail_acl_granted(&acl, NULL, !anonymous, false) & need))
        c->layers->public_acl_ignored = true;
    const char *owner = bucket_level ? c->bucket_owner : c->object_owner;
    if (anonymous)
        return ACL_NO;
    if ((need & (PAIL_ACL_READ_ACP | PAIL_ACL_WRITE_ACP)) && is(p->account, owner))
        return ACL_ACCOUNT;
    return pail_acl_granted(&acl, p->canonical_id, true, ignore_public) & need ? ACL_ACCOUNT
                                                                                : ACL_NO;
}

/* Records a refusal in AWS's words. */
static enum pail_err refuse(struct check *c, enum why w, bool record)
{
    if (c->layers) {
        c->layers->refused = true;
        c->layers->why = w;
    }
    note(c, "DENIED: %s %s", whys[w].deny ? "explicit deny in" : "no allow in",
         whys[w].deny ? whys[w].what : whys[w].what);
    if (!record)
        return PAIL_E_AccessDenied;
    struct pail_req *r = c->r;
    r->deny_reason = whys[w].log;
    /* AWS explains a refusal only to the resource's own account. */
    if (r->auth.principal.type == PAIL_PT_ANONYMOUS ||
        (c->bucket_owner && !is(r->auth.principal.account, c->bucket_owner)))
        return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
    if (whys[w].deny)
        return pail_req_fail(r, PAIL_E_AccessDenied,
                             "User: %s is not authorized to perform: %s on resource: \"%s\" "
                             "with an explicit deny in %s",
                             r->auth.principal.arn, c->action, c->resource, whys[w].what);
    return pail_req_fail(r, PAIL_E_AccessDenied,
                         "User: %s is not authorized to perform: %s on resource: \"%s\" "
                         "because no %s allows the %s action",
                         r->auth.principal.arn, c->action, c->resource, whys[w].what, c->action);
}

struct identity_side {
    bool allows;
    enum why missing; /* when !allows */
};

/* Identity policies, boundary and session policy of an IAM principal. An
 * explicit deny is returned as an error (refused). */
static enum pail_err identity_side(struct check *c, struct identity_side *out, bool record,
                                   enum why *deny)
{
    const struct pail_principal *p = &c->r->auth.principal;
    out->allows = false;
    out->missing = WHY_NO_IDENTITY;
    if (p->type == PAIL_PT_ANONYMOUS)
        return PAIL_OK;
    if (c->given_identity) {
        out->allows = *c->given_identity == PAIL_EFFECT_ALLOW;
        if (*c->given_identity != PAIL_EFFECT_DENY)
            return PAIL_OK;
        *deny = WHY_IDENTITY_DENY;
        return refuse(c, *deny, record);
    }
    if (p->type == PAIL_PT_ROOT) {
        out->allows = true; /* the root may do all its account may */
        note(c, "identity: the account root may do anything its account may");
        return PAIL_OK;
    }
    struct pail_eval_req er = eval_req(c);
    struct pail_identity_decision d;
    struct pail_principal who;
    enum pail_err e = c->explain_arn
                          ? pail_identity_eval_arn(c->r->svc->identity, c->explain_arn, &er,
                                                   c->r->arena, &d, &who)
                          : pail_identity_eval(c->r->svc->identity, c->r->auth.access_key, &er,
                                               c->r->arena, &d);
    if (e != PAIL_OK)
        return PAIL_E_InternalError;
    note(c, "identity policies: %s%s%s",
         d.identity == PAIL_EFFECT_NONE ? "none allows" : effect_name(d.identity),
         d.identity == PAIL_EFFECT_DENY ? " in " : d.allow_policy ? " from " : "",
         d.identity == PAIL_EFFECT_DENY ? (d.deny_policy ? d.deny_policy : "?")
         : d.allow_policy               ? d.allow_policy
                                        : "");
    if (d.has_boundary)
        note(c, "permissions boundary: %s", effect_name(d.boundary));
    if (d.has_session)
        note(c, "session policy: %s", effect_name(d.session));
    if (d.identity == PAIL_EFFECT_DENY)
        *deny = WHY_IDENTITY_DENY;
    else if (d.has_boundary && d.boundary == PAIL_EFFECT_DENY)
        *deny = WHY_BOUNDARY_DENY;
    else if (d.has_session && d.session == PAIL_EFFECT_DENY)
        *deny = WHY_SESSION_DENY;
    else {
        if (d.identity != PAIL_EFFECT_ALLOW)
            out->missing = WHY_NO_IDENTITY;
        else if (d.has_boundary && d.boundary != PAIL_EFFECT_ALLOW)
            out->missing = WHY_NO_BOUNDARY;
        else if (d.has_session && d.session != PAIL_EFFECT_ALLOW)
            out->missing = WHY_NO_SESSION;
        else
            out->allows = true;
        return PAIL_OK;
    }
    return refuse(c, *deny, record);
}

static enum pail_err decide(struct check *c, bool record)
{
    struct pail_req *r = c->r;
    const struct pail_principal *p = &r->auth.principal;
    bool anonymous = p->type == PAIL_PT_ANONYMOUS;
    bool same = !anonymous && is(p->account, c->bucket_owner);
    const struct compiled *cb = c->b ? c->b->compiled : NULL;
    const struct pail_policy *policy = cb ? cb->policy : NULL;
    /* The common case costs nothing: the owner's root, no bucket policy, an
     * object of its own. */
    if (p->type == PAIL_PT_ROOT && (same || !c->b) && !policy &&
        (!c->obj || is(c->object_owner, p->account))) {
        note(c, "allowed: the account root, in its own account, and no bucket policy");
        return PAIL_OK;
    }

    /* 1. The bucket policy: explicit deny first. It speaks for the bucket and
     * for the objects the bucket owner owns. */
    enum pail_effect pe = PAIL_EFFECT_NONE;
    struct pail_eval_trace trace = {0};
    if (policy) {
        struct pail_eval_req er = eval_req(c);
        pe = pail_policy_eval(policy, &er, &trace);
        for (size_t i = 0; i < trace.nmatched; i++) {
            const char *sid = pail_policy_statement_sid(policy, trace.matched[i]);
            note(c, "bucket policy: statement %zu%s%s%s applies", trace.matched[i] + 1,
                 sid ? " (Sid " : "", sid ? sid : "", sid ? ")" : "");
        }
        for (size_t i = 0; i < trace.nmissing; i++)
            note(c, "bucket policy: the request has no %s", trace.missing[i]);
        note(c, "bucket policy: %s%s", pe == PAIL_EFFECT_NONE ? "no statement applies" : effect_name(pe),
             pe == PAIL_EFFECT_ALLOW && trace.principal_match == PAIL_PM_ACCOUNT
                 ? " (to the account: its IAM principals need an identity allow too)"
                 : "");
    } else if (c->b) {
        note(c, "bucket policy: none");
    }
    if (c->layers && policy) {
        c->layers->policy_checked = true;
        c->layers->policy = pe;
        c->layers->trace = trace;
        c->layers->compiled = policy;
    }
    if (pe == PAIL_EFFECT_DENY && !(p->type == PAIL_PT_ROOT && same && policy_management(c->action)))
        return refuse(c, WHY_RESOURCE_DENY, record);
    bool policy_speaks = !c->obj || is(c->object_owner, c->bucket_owner);
    bool policy_allows = pe == PAIL_EFFECT_ALLOW && policy_speaks;
    /* RestrictPublicBuckets: a public policy grants only within the account. */
    if (policy_allows && cb->policy_public && c->b->has_pab &&
        c->b->pab.restrict_public_buckets && !same) {
        note(c, "Block Public Access: RestrictPublicBuckets keeps the public policy to the "
                "bucket owner's account");
        policy_allows = false;
    }
    if (c->layers) {
        c->layers->policy_grants = policy_allows;
        c->layers->public_policy_restricted = pe == PAIL_EFFECT_ALLOW && policy_speaks &&
                                              !policy_allows;
    }
    if (pe == PAIL_EFFECT_ALLOW && !policy_speaks)
        note(c, "bucket policy: does not speak for an object another account owns");
    bool policy_direct = policy_allows && trace.principal_match >= PAIL_PM_ANY;

    /* 2. The identity side (an explicit deny there ends it too). */
    struct identity_side id;
    enum why deny;
    enum pail_err e = identity_side(c, &id, record, &deny);
    if (e != PAIL_OK)
        return e;

    /* 3 and 4. */
    if (!c->b) /* service-level (ListBuckets): identity only */
        return id.allows ? PAIL_OK : refuse(c, id.missing, record);
    enum acl_grant acl = acl_allows(c);
    note(c, "ACL: %s", acl == ACL_GROUP     ? "a grant to AllUsers/AuthenticatedUsers allows"
                       : acl == ACL_ACCOUNT ? "a grant to the caller's account allows (for an "
                                              "IAM principal only with an identity allow)"
                       : c->b->has_ownership && c->b->ownership == S3_OWN_ENFORCED
                           ? "off (BucketOwnerEnforced)"
                           : "no grant allows");
    /* aclRequired of the server access log: the ACL alone let it in. */
    bool acl_alone = !policy_allows && acl != ACL_NO;
    if (anonymous) {
        if (record && acl_alone)
            r->acl_required = true;
        return policy_allows || acl ? PAIL_OK : refuse(c, WHY_NO_RESOURCE, record);
    }
    /* An object another account wrote is its owner's: the bucket's account
     * reaches it only through the object's ACL. */
    bool foreign_object = c->obj && !is(c->object_owner, c->bucket_owner) &&
                          pail_acl_perm_for_action(c->action, false) != 0;
    if (c->layers) {
        c->layers->acl_checked = pail_acl_perm_for_action(c->action, true) ||
                                 pail_acl_perm_for_action(c->action, false);
        c->layers->acl = acl;
        c->layers->both_sides = !(same && !foreign_object);
    }
    if (same && !foreign_object) {
        if (id.allows || policy_direct || acl == ACL_GROUP) {
            if (record && !id.allows && !policy_direct)
                r->acl_required = true;
            return PAIL_OK;
        }
        return refuse(c, id.missing, record);
    }
    if (!id.allows)
        return refuse(c, id.missing, record);
    if (record && acl_alone)
        r->acl_required = true;
    return policy_allows || acl ? PAIL_OK : refuse(c, WHY_NO_RESOURCE, record);
}

enum pail_err s3_authorize_action(struct pail_req *r, const char *action,
                                  const struct s3_bucket *b, const char *key,
                                  const struct pail_object_rec *obj, bool record)
{
    struct check c = {
        .r = r, .action = action, .b = b, .key = key, .obj = obj,
        .keys = r->op ? r->op->keys : 0,
    };
    c.resource = resource_arn(r, b ? b->rec.name : r->op && r->op->target != PAIL_T_SERVICE
                                                   ? r->bucket : NULL, key);
    c.bucket_owner = b ? s3_owner_account(r, b->owner) : NULL;
    c.object_owner = obj ? s3_owner_account(r, obj->owner) : NULL;
    return decide(&c, record);
}

/* The extra permission a write's ACL needs: PutObject with x-amz-acl or
 * grant headers needs s3:PutObjectAcl too, CreateBucket s3:PutBucketAcl —
 * from the policies of an IAM principal. An account root or an anonymous
 * writer needs no more: what it creates is its own (or, anonymous, the bucket
 * owner's), and an owner may always write its resource's ACL. */
bool s3_acl_needs_permission(const struct pail_req *r)
{
    enum pail_principal_type t = r->auth.principal.type;
    return t != PAIL_PT_ROOT && t != PAIL_PT_ANONYMOUS;
}

static bool has_acl_headers(const struct pail_req *r)
{
    static const char *const hdrs[] = {"x-amz-acl", "x-amz-grant-read", "x-amz-grant-write",
                                       "x-amz-grant-read-acp", "x-amz-grant-write-acp",
                                       "x-amz-grant-full-control"};
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++)
        if (pail_req_header(r, hdrs[i]))
            return true;
    return false;
}

/* The permissions a write needs besides its row's: an ACL it carries needs
 * s3:PutObjectAcl (CreateBucket: s3:PutBucketAcl), tags it carries
 * s3:PutObjectTagging (AWS) — from the policies of an IAM principal (see
 * s3_acl_needs_permission). Fills out[0..1]; returns how many. */
static size_t extra_actions(const struct pail_req *r, const char *out[2])
{
    const struct pail_op *op = r->op;
    size_t n = 0;
    if (!s3_acl_needs_permission(r))
        return 0;
    if ((op->keys & PAIL_CK_ACL) && !strstr(op->action, "Acl") && has_acl_headers(r))
        out[n++] = op->target == PAIL_T_BUCKET ? "s3:PutBucketAcl" : "s3:PutObjectAcl";
    if ((op->keys & PAIL_CK_REQTAG) && r->tags && r->tags->n && !strstr(op->action, "Tagging"))
        out[n++] = "s3:PutObjectTagging";
    return n;
}

/* Whether the refusal req records is an explicit Deny (which nothing else
 * may overturn). */
static bool refusal_explicit(const struct pail_req *r)
{
    for (size_t i = 0; i < sizeof whys / sizeof whys[0]; i++)
        if (whys[i].deny && r->deny_reason && strcmp(r->deny_reason, whys[i].log) == 0)
            return true;
    return false;
}

/* The account that initiated a multipart upload may abort it and list its
 * parts, whatever the bucket grants (AWS: "Multipart upload API and
 * permissions"); its root, that is — IAM principals go by their policies. */
static bool initiator_may(struct pail_req *r)
{
    const char *action = r->op->action;
    const char *id = pail_req_query(r, "uploadId");
    if (!id || r->auth.principal.type != PAIL_PT_ROOT || refusal_explicit(r) ||
        (strcmp(action, "s3:AbortMultipartUpload") != 0 &&
         strcmp(action, "s3:ListMultipartUploadParts") != 0))
        return false;
    struct pail_upload_rec u;
    if (pail_meta_upload_get(r->svc->meta, r->bucket, r->key, id, r->arena, &u) != PAIL_OK)
        return false;
    return is(s3_owner_account(r, u.owner), r->auth.principal.account);
}

static enum pail_err clear_refusal(struct pail_req *r)
{
    r->err = PAIL_OK;
    r->err_msg = NULL;
    r->deny_reason = NULL;
    return PAIL_OK;
}

/* Object actions that read the object: an ACL can grant them, so they need
 * its owner and ACL; or policies may test its tags (s3:ExistingObjectTag).
 * Writes of a new object do not. */
static bool reads_object(const struct pail_op *op)
{
    return op->resource == PAIL_RES_OBJECT &&
           (pail_acl_perm_for_action(op->action, false) || (op->keys & PAIL_CK_OBJTAG));
}

/* The object of an object-reading action is looked up first (the handler
 * then uses r->obj). A missing key is decided without it. */
static enum pail_err preload_object(struct pail_req *r)
{
    if (!r->bkt || !reads_object(r->op))
        return PAIL_OK;
    struct pail_object_rec *o = pail_arena_alloc(r->arena, sizeof *o);
    enum pail_err e = pail_meta_object_get(r->svc->meta, r->bucket, r->key, r->arena, o);
    if (e == PAIL_OK)
        r->obj = o;
    else if (e != PAIL_E_NoSuchKey)
        return pail_req_fail(r, e, NULL);
    return PAIL_OK;
}

enum pail_err s3_authorize(struct pail_req *r)
{
    const struct pail_op *op = r->op;
    if (op->resource == PAIL_RES_QUERY || op->resource == PAIL_RES_FORM)
        return PAIL_OK; /* IAM/STS authorize each action, POST Object its form */
    if (op->flags & PAIL_OPF_NO_BUCKET) /* CreateBucket: the caller's own permission;
                                            a taken name is BucketAlreadyExists */
        return s3_authorize_action(r, op->action, NULL, NULL, NULL, true);
    enum pail_err e = preload_object(r);
    if (e != PAIL_OK)
        return e;
    const char *key = op->resource == PAIL_RES_OBJECT ? r->key : NULL;
    if (op->resource == PAIL_RES_OBJECT_EACH)
        return PAIL_OK; /* the handler decides each key (s3_authorize_action) */
    /* GET/HEAD (ACL and tag reads) of a missing key: 404 for who may list
     * the bucket — with the key as the listing's s3:prefix — 403 for anyone
     * else (AWS), an explicit deny aside. */
    if (key && !r->obj && reads_object(op)) {
        e = s3_authorize_action(r, op->action, r->bkt, key, NULL, true);
        if (e != PAIL_OK && refusal_explicit(r))
            return e;
        bool list = s3_may_list(r, key);
        if (list) /* the handler answers NoSuchKey */
            return clear_refusal(r);
        if (e == PAIL_OK) {
            r->deny_reason = "no-list-permission";
            return pail_req_fail(r, PAIL_E_AccessDenied, NULL);
        }
        return e;
    }
    e = s3_authorize_action(r, op->action, r->bkt, key, r->obj, true);
    if (e != PAIL_OK && initiator_may(r))
        e = clear_refusal(r);
    const char *extra[2];
    size_t nextra = e == PAIL_OK ? extra_actions(r, extra) : 0;
    for (size_t i = 0; i < nextra && e == PAIL_OK; i++)
        e = s3_authorize_action(r, extra[i], r->bkt, key, r->obj, true);
    return e;
}

bool s3_may_list(struct pail_req *r, const char *key)
{
    struct check c = {.r = r, .action = "s3:ListBucket", .b = r->bkt, .list_key = key,
                      .keys = r->op ? r->op->keys : 0};
    c.resource = resource_arn(r, r->bkt->rec.name, NULL);
    c.bucket_owner = s3_owner_account(r, r->bkt->owner);
    return decide(&c, false) == PAIL_OK;
}

/* Conditions see exactly the values given (explain's --context, a
 * simulation's ContextEntries), not a request's. */
static void given_context(struct check *c, const struct pail_cond_entry *ctx, size_t nctx)
{
    size_t n = nctx < MAX_CTX ? nctx : MAX_CTX;
    if (n)
        memcpy(c->ctx.e, ctx, n * sizeof *ctx);
    c->ctx.n = n;
    c->ctx.a = c->r->arena;
    c->ctx_built = true;
}

/* The bucket and object an ARN (arn:aws:s3:::bucket[/key]) names, into c;
 * no bucket for another kind of ARN or "*". NoSuchBucket. */
static enum pail_err load_target(struct check *c, const char *resource)
{
    struct pail_req *r = c->r;
    const char *b = strncmp(resource, "arn:aws:s3:::", 13) == 0 ? resource + 13 : NULL;
    if (b && *b && strcmp(b, "*") != 0) {
        const char *slash = strchr(b, '/');
        char *name = pail_arena_strndup(r->arena, b, slash ? (size_t)(slash - b) : strlen(b));
        if (s3_bucket_get(r->svc->buckets, name, r->arena, &c->b) != PAIL_OK)
            return PAIL_E_NoSuchBucket;
        c->key = slash ? slash + 1 : NULL;
        if (c->key) {
            struct pail_object_rec *o = pail_arena_alloc(r->arena, sizeof *o);
            if (pail_meta_object_get(r->svc->meta, name, c->key, r->arena, o) == PAIL_OK)
                c->obj = o;
        }
    }
    c->bucket_owner = c->b ? s3_owner_account(r, c->b->owner) : NULL;
    c->object_owner = c->obj ? s3_owner_account(r, c->obj->owner) : NULL;
    return PAIL_OK;
}

enum pail_err s3_explain(struct pail_req *r, const char *as, const char *action,
                         const char *resource, const struct pail_cond_entry *ctx, size_t nctx,
                         struct pail_buf *out)
{
    struct check c = {.r = r, .action = action, .resource = resource, .explain = out};
    given_context(&c, ctx, nctx);
    r->auth.principal = (struct pail_principal){.type = PAIL_PT_ANONYMOUS, .userid = "anonymous"};
    if (strcmp(as, "anonymous") != 0) {
        struct pail_identity_decision d;
        struct pail_eval_req er = {.action = action, .resource = resource};
        enum pail_err e = pail_identity_eval_arn(r->svc->identity, as, &er, r->arena, &d,
                                                 &r->auth.principal);
        if (e != PAIL_OK)
            return e;
        c.explain_arn = r->auth.principal.type == PAIL_PT_ROOT ? NULL : as;
    }
    enum pail_err e = load_target(&c, resource);
    if (e != PAIL_OK)
        return e;
    pail_buf_printf(out, "%s %s on %s\n",
                    r->auth.principal.type == PAIL_PT_ANONYMOUS ? "anonymous" : as, action,
                    resource);
    if (c.b)
        note(&c, "bucket owner: account %s%s", c.bucket_owner,
             !r->auth.principal.account ? " (anonymous: only the resource side can allow)"
             : is(r->auth.principal.account, c.bucket_owner)
                 ? " (the caller's: either side may allow)"
                 : " (another account: both sides must allow)");
    if (decide(&c, false) == PAIL_OK)
        pail_buf_puts(out, "  ALLOWED\n");
    return PAIL_OK;
}

/* ---- server access log delivery ----------------------------------------- */

bool s3_log_delivery_allowed(struct pail_req *r, const struct s3_bucket *target, const char *key,
                             const char *source_bucket, const char *source_account)
{
    const struct compiled *cb = target->compiled;
    struct pail_principal svc = {.type = PAIL_PT_SERVICE, .arn = S3_LOG_DELIVERY_SERVICE,
                                 .userid = S3_LOG_DELIVERY_SERVICE};
    if (cb && cb->policy) {
        struct ctxb c = {.a = r->arena};
        put(&c, "aws:SourceArn", pail_arena_printf(r->arena, "arn:aws:s3:::%s", source_bucket));
        put(&c, "aws:SourceAccount", source_account);
        char when[32];
        time_t now = time(NULL);
        pail_time_iso8601((int64_t)now * 1000, when);
        put(&c, "aws:CurrentTime", pail_arena_strdup(r->arena, when));
        put(&c, "aws:EpochTime", pail_arena_printf(r->arena, "%lld", (long long)now));
        struct pail_eval_req er = {
            .principal = &svc, .action = "s3:PutObject",
            .resource = resource_arn(r, target->rec.name, key), .ctx = c.e, .nctx = c.n};
        enum pail_effect pe = pail_policy_eval(cb->policy, &er, NULL);
        if (pe != PAIL_EFFECT_NONE)
            return pe == PAIL_EFFECT_ALLOW;
    }
    /* The LogDelivery group's grants on the bucket ACL (log-delivery-write):
     * WRITE to add the objects and READ_ACP, which AWS's message asks for. */
    if ((target->has_ownership && target->ownership == S3_OWN_ENFORCED) || !cb || !cb->has_acl)
        return false;
    unsigned perms = 0;
    for (size_t i = 0; i < cb->acl.n; i++) {
        const struct pail_grant *g = &cb->acl.grants[i];
        if (g->type == PAIL_GRANTEE_GROUP && is(g->uri, PAIL_ACL_LOG_DELIVERY))
            perms |= g->perm;
    }
    return (perms & (PAIL_ACL_WRITE | PAIL_ACL_READ_ACP)) == (PAIL_ACL_WRITE | PAIL_ACL_READ_ACP);
}

/* ---- IAM simulation of S3 resources (pail_sim_hook) --------------------- */

static const char *decision_of(enum pail_err e, const struct layers *l)
{
    if (e == PAIL_OK)
        return "allowed";
    return l->refused && whys[l->why].deny ? "explicitDeny" : "implicitDeny";
}

static void sim_detail(struct pail_sim_answer *out, const char *key, const char *value)
{
    if (out->ndetail < PAIL_SIM_MAX_DETAILS)
        out->detail[out->ndetail++] = (struct pail_sim_detail){key, value};
}

static const char *policy_value(const struct layers *l)
{
    return l->policy == PAIL_EFFECT_DENY ? "explicitDeny"
           : l->policy_grants            ? "allowed"
                                         : "implicitDeny";
}

/* EvalDecisionDetails: a key for each system that had a say. */
static void sim_details(const struct pail_sim_ask *ask, const struct layers *l,
                        struct pail_sim_answer *out)
{
    sim_detail(out, "IAM Policy", ask->identity == PAIL_EFFECT_DENY    ? "explicitDeny"
                                  : ask->identity == PAIL_EFFECT_ALLOW ? "allowed"
                                                                       : "implicitDeny");
    if (l->policy_checked)
        sim_detail(out, "Resource Policy", policy_value(l));
    /* Within the owner's account a grant to the account only delegates to
     * it, like the identity side: the ACL matters when it reaches everyone,
     * when it was blocked, or when the resource side must allow. */
    if (l->acl_checked && (l->both_sides || l->acl == ACL_GROUP || l->public_acl_ignored))
        sim_detail(out, "ACL", l->acl != ACL_NO ? "allowed" : "implicitDeny");
    if (l->public_policy_restricted || l->public_acl_ignored)
        sim_detail(out, "Block Public Access", "implicitDeny");
}

/* The bucket policy's statements that decided — shown only to the bucket
 * owner's account, whose document it is: its Allows when the decision is an
 * allow it took part in, its Denies when it denied. */
static void sim_statements(struct check *c, const struct pail_sim_ask *ask,
                           const struct layers *l, const char *decision,
                           struct pail_sim_answer *out)
{
    bool allowed = decision[0] == 'a';
    bool shown = allowed ? l->policy_grants : l->policy == PAIL_EFFECT_DENY && decision[0] == 'e';
    if (!l->policy_checked || !shown || !is(c->bucket_owner, ask->asker_account))
        return;
    out->policy_id = pail_arena_printf(c->r->arena, "BucketPolicy:%s", c->b->rec.name);
    out->policy_doc = c->b->policy;
    for (size_t i = 0; i < l->trace.nmatched; i++)
        if (pail_policy_statement_denies(l->compiled, l->trace.matched[i]) != allowed)
            out->stmt[out->nstmt++] = l->trace.matched[i];
}

bool s3_simulate(void *services, const struct pail_sim_ask *ask, struct pail_arena *a,
                 struct pail_sim_answer *out)
{
    if (strncasecmp(ask->action, "s3:", 3) != 0 || !ask->principal->account)
        return false;
    struct pail_req *r = pail_arena_alloc(a, sizeof *r);
    *r = (struct pail_req){.arena = a, .svc = services, .now = time(NULL)};
    r->auth.principal = *ask->principal;
    struct layers l = {0};
    struct check c = {.r = r, .action = ask->action, .resource = ask->resource,
                      .given_identity = &ask->identity, .layers = &l};
    given_context(&c, ask->ctx, ask->nctx);
    if (load_target(&c, ask->resource) != PAIL_OK || !c.b)
        return false;
    out->decision = decision_of(decide(&c, false), &l);
    sim_details(ask, &l, out);
    sim_statements(&c, ask, &l, out->decision, out);
    if (l.policy_checked) {
        memcpy(out->missing, l.trace.missing, l.trace.nmissing * sizeof *l.trace.missing);
        out->nmissing = l.trace.nmissing;
    }
    return true;
}
