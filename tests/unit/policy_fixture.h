/* tests/unit/policy_fixture.h — what the policy tests share: the cast of
 * principals, compile helpers that print the refusal, and evaluation
 * shorthands. Include after <cmocka.h>. */
#ifndef PAIL_TEST_POLICY_FIXTURE_H
#define PAIL_TEST_POLICY_FIXTURE_H

#include "iam/policy.h"

#include <stdio.h>
#include <string.h>

#define ACCT "111122223333"
#define OTHER "444455556666"
#define CANON "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
#define CANON_OTHER "1111111111111111111111111111111111111111111111111111111111111111"

static const struct pail_principal fx_alice = {
    PAIL_PT_USER, ACCT, "arn:aws:iam::" ACCT ":user/alice", NULL, CANON, "alice",
    "AIDAALICEEXAMPLE"};
static const struct pail_principal fx_bob = {
    PAIL_PT_USER, ACCT, "arn:aws:iam::" ACCT ":user/division/bob", NULL, CANON, "bob",
    "AIDABOBEXAMPLE"};
static const struct pail_principal fx_root = {
    PAIL_PT_ROOT, ACCT, "arn:aws:iam::" ACCT ":root", NULL, CANON, NULL, ACCT};
static const struct pail_principal fx_session = {
    PAIL_PT_ASSUMED_ROLE, ACCT, "arn:aws:sts::" ACCT ":assumed-role/Reader/sess1",
    "arn:aws:iam::" ACCT ":role/team/Reader", CANON, NULL, "AROAREADER:sess1"};
static const struct pail_principal fx_stranger = {
    PAIL_PT_USER, OTHER, "arn:aws:iam::" OTHER ":user/carol", NULL, CANON_OTHER, "carol",
    "AIDACAROL"};
static const struct pail_principal fx_anon = {PAIL_PT_ANONYMOUS, NULL, NULL, NULL, NULL, NULL,
                                              "anonymous"};

/* A condition context entry: KV("aws:SourceIp", "192.0.2.1"). */
#define FX_VALS(...) ((const char *const[]){__VA_ARGS__})
#define FX_NVALS(...) (sizeof(FX_VALS(__VA_ARGS__)) / sizeof(const char *))
#define KV(k, ...) {k, FX_VALS(__VA_ARGS__), FX_NVALS(__VA_ARGS__)}
#define KEMPTY(k) {k, NULL, 0}
#define NCTX(a) (sizeof(a) / sizeof((a)[0]))

static inline struct pail_policy *fx_compile_opts(const char *doc, enum pail_policy_kind kind,
                                                  const struct pail_policy_opts *o)
{
    char why[256];
    struct pail_policy *p = pail_policy_compile(doc, strlen(doc), kind, o, why, sizeof(why));
    if (!p)
        fail_msg("refused: %s\n%s", why, doc);
    return p;
}

static inline struct pail_policy *fx_compile(const char *doc, enum pail_policy_kind kind)
{
    return fx_compile_opts(doc, kind, NULL);
}

/* Asserts that doc is refused with exactly want. */
static inline void fx_refused_opts(const char *doc, enum pail_policy_kind kind,
                                   const struct pail_policy_opts *o, const char *want)
{
    char why[256] = "";
    struct pail_policy *p = pail_policy_compile(doc, strlen(doc), kind, o, why, sizeof(why));
    if (p) {
        pail_policy_free(p);
        fail_msg("accepted, want \"%s\":\n%s", want, doc);
    }
    if (strcmp(why, want) != 0)
        fail_msg("got \"%s\", want \"%s\":\n%s", why, want, doc);
}

static inline void fx_refused(const char *doc, enum pail_policy_kind kind, const char *want)
{
    fx_refused_opts(doc, kind, NULL, want);
}

static inline enum pail_effect fx_eval_ctx(const struct pail_policy *p,
                                           const struct pail_principal *pr, const char *action,
                                           const char *resource,
                                           const struct pail_cond_entry *ctx, size_t nctx,
                                           struct pail_eval_trace *t)
{
    struct pail_eval_req r = {pr, action, resource, ctx, nctx};
    enum pail_effect e = pail_policy_eval(p, &r, t);
    /* With or without a trace, the decision is the same. */
    struct pail_eval_trace t2;
    assert_int_equal(pail_policy_eval(p, &r, t ? NULL : &t2), e);
    return e;
}

static inline enum pail_effect fx_eval(const struct pail_policy *p,
                                       const struct pail_principal *pr, const char *action,
                                       const char *resource)
{
    return fx_eval_ctx(p, pr, action, resource, NULL, 0, NULL);
}

/* {"Version":"2012-10-17","Statement":[ stmts ]} */
#define DOC12(...) "{\"Version\":\"2012-10-17\",\"Statement\":[" __VA_ARGS__ "]}"

#define ALLOW PAIL_EFFECT_ALLOW
#define DENY PAIL_EFFECT_DENY
#define NONE PAIL_EFFECT_NONE

#endif
