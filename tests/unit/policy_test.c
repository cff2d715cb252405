/* tests/unit/policy_test.c — iam/policy: evaluation of whole policies.
 * Actions, resources, principals (and how they matched), NotAction /
 * NotResource / NotPrincipal, Deny over Allow, policy variables in
 * resources, the examples of AWS's "Policy evaluation logic" and S3's
 * "Bucket policy examples", the trace, pail_policy_is_public, concurrent
 * evaluation of one shared policy, and its speed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "policy_fixture.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define RES PAIL_POLICY_RESOURCE
#define IDN PAIL_POLICY_IDENTITY
#define TRU PAIL_POLICY_TRUST

#define OBJ "arn:aws:s3:::b/k"

/* The principal match of the Allow that decided, or -1 when not allowed. */
static int pm_of(const struct pail_policy *p, const struct pail_principal *pr, const char *action,
                 const char *resource)
{
    struct pail_eval_trace t;
    enum pail_effect e = fx_eval_ctx(p, pr, action, resource, NULL, 0, &t);
    return e == ALLOW ? (int)t.principal_match : -1;
}

static void test_actions(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Allow\",\"Action\":[\"s3:Get*\",\"iam:?etUser\"],\"Resource\":\"*\"}"),
        IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:getobject", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "S3:GETOBJECTACL", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:PutObject", OBJ), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "iam:GetUser", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "iam:SetUser", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "iam:GetUsers", OBJ), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "sts:GetObject", OBJ), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "", OBJ), NONE);
    struct pail_eval_req nul = {&fx_alice, NULL, OBJ, NULL, 0};
    assert_int_equal(pail_policy_eval(p, &nul, NULL), NONE);
    pail_policy_free(p);

    p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}"), IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "kms:Decrypt", OBJ), ALLOW);
    pail_policy_free(p);
    p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"Action\":\"S3:*\",\"Resource\":\"*\"}"), IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:ListBucket", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "sts:AssumeRole", OBJ), NONE);
    pail_policy_free(p);
    p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"NotAction\":\"s3:DeleteObject\",\"Resource\":\"*\"}"),
                   IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:deleteobject", OBJ), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "iam:CreateUser", OBJ), ALLOW);
    pail_policy_free(p);
}

static void test_resources(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::b/home/*\","
              "\"arn:aws:s3:::b/file?.txt\",\"arn:aws:iam::*:user/*\",\"arn:aws:s3:::c/a*\"]}"),
        IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/home/a/b/c"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/home/"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/Home/x"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/file1.txt"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/file12.txt"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:iam::" ACCT ":user/x/y"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:iam::" ACCT ":role/x"), NONE);
    /* Keys holding '*', '?', unicode: bytes, wildcards only in the policy. */
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/home/we*ird?/\xc3\xa9"),
                     ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::c/a*"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::c/b*"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/file*.txt"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/file\xc3\xa9.txt"), NONE);
    /* No resource: only statements without Resource apply. */
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", NULL), NONE);
    pail_policy_free(p);

    p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
                         "\"NotResource\":[\"arn:aws:s3:::secret\",\"arn:aws:s3:::secret/*\"]}"),
                   IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::secret/x"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:ListBucket", "arn:aws:s3:::secret"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:ListBucket", "arn:aws:s3:::secrets"), ALLOW);
    pail_policy_free(p);
}

/* "Policy evaluation logic": an explicit Deny overrides any Allow. */
static void test_allow_bucket_deny_prefix(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Sid\":\"AllowBucket\",\"Effect\":\"Allow\",\"Action\":\"s3:*\","
              "\"Resource\":[\"arn:aws:s3:::b\",\"arn:aws:s3:::b/*\"]},"
              "{\"Sid\":\"DenyPrivate\",\"Effect\":\"Deny\",\"Action\":\"s3:*\","
              "\"Resource\":\"arn:aws:s3:::b/private/*\"}"),
        IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/public/x"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:ListBucket", "arn:aws:s3:::b"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/private/x"), DENY);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::other/x"), NONE);
    struct pail_eval_trace t;
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObject", "arn:aws:s3:::b/private/x", NULL, 0,
                                 &t),
                     DENY);
    assert_int_equal(t.nmatched, 2);
    assert_int_equal(t.matched[0], 0);
    assert_int_equal(t.matched[1], 1);
    assert_int_equal(t.principal_match, PAIL_PM_NONE); /* identity policies name no principal */
    assert_string_equal(pail_policy_statement_sid(p, t.matched[1]), "DenyPrivate");
    pail_policy_free(p);
}

/* "Deny everything except": NotAction with Deny, next to a broad Allow. */
static void test_not_action_deny(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
              "{\"Effect\":\"Deny\",\"NotAction\":[\"iam:ChangePassword\",\"iam:GetUser\"],"
              "\"Resource\":\"*\"}"),
        IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), DENY);
    assert_int_equal(fx_eval(p, &fx_alice, "iam:GetUser", "arn:aws:iam::" ACCT ":user/alice"), ALLOW);
    pail_policy_free(p);
    p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
                         "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"NotResource\":\"arn:aws:s3:::ok/*\"}"),
                   IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::ok/x"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), DENY);
    pail_policy_free(p);
}

static struct pail_policy *bucket_policy(const char *principal)
{
    char doc[1024];
    snprintf(doc, sizeof(doc),
             DOC12("{\"Effect\":\"Allow\",\"Principal\":%s,\"Action\":\"s3:GetObject\","
                   "\"Resource\":\"arn:aws:s3:::b/*\"}"),
             principal);
    return fx_compile(doc, RES);
}

static void test_principal_forms(void **state)
{
    (void)state;
    static const struct {
        const char *principal;
        int alice, bob, root, session, stranger, anon;
    } cases[] = {
        {"\"*\"", PAIL_PM_ANY, PAIL_PM_ANY, PAIL_PM_ANY, PAIL_PM_ANY, PAIL_PM_ANY, PAIL_PM_ANY},
        {"{\"AWS\":\"*\"}", PAIL_PM_ANY, PAIL_PM_ANY, PAIL_PM_ANY, PAIL_PM_ANY, PAIL_PM_ANY,
         PAIL_PM_ANY},
        {"{\"AWS\":\"" ACCT "\"}", PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT,
         PAIL_PM_ACCOUNT, -1, -1},
        {"{\"AWS\":\"arn:aws:iam::" ACCT ":root\"}", PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT,
         PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT, -1, -1},
        {"{\"AWS\":\"arn:aws:iam::" ACCT ":user/alice\"}", PAIL_PM_EXACT, -1, -1, -1, -1, -1},
        {"{\"AWS\":[\"arn:aws:iam::" ACCT ":user/division/bob\"]}", -1, PAIL_PM_EXACT, -1, -1, -1,
         -1},
        {"{\"AWS\":\"arn:aws:iam::" ACCT ":role/team/Reader\"}", -1, -1, -1, PAIL_PM_EXACT, -1, -1},
        {"{\"AWS\":\"arn:aws:sts::" ACCT ":assumed-role/Reader/sess1\"}", -1, -1, -1,
         PAIL_PM_EXACT, -1, -1},
        {"{\"AWS\":\"arn:aws:sts::" ACCT ":assumed-role/Reader/other\"}", -1, -1, -1, -1, -1, -1},
        {"{\"CanonicalUser\":\"" CANON "\"}", PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT,
         PAIL_PM_ACCOUNT, -1, -1},
        {"{\"Service\":\"cloudfront.amazonaws.com\"}", -1, -1, -1, -1, -1, -1},
        {"{\"Federated\":\"cognito-identity.amazonaws.com\"}", -1, -1, -1, -1, -1, -1},
        {"{\"AWS\":[\"" ACCT "\",\"arn:aws:iam::" ACCT ":user/alice\",\"" OTHER "\"]}",
         PAIL_PM_EXACT, PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT, PAIL_PM_ACCOUNT, -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pail_policy *p = bucket_policy(cases[i].principal);
        int got[6] = {pm_of(p, &fx_alice, "s3:GetObject", OBJ), pm_of(p, &fx_bob, "s3:GetObject", OBJ),
                      pm_of(p, &fx_root, "s3:GetObject", OBJ),
                      pm_of(p, &fx_session, "s3:GetObject", OBJ),
                      pm_of(p, &fx_stranger, "s3:GetObject", OBJ),
                      pm_of(p, NULL, "s3:GetObject", OBJ)};
        int want[6] = {cases[i].alice, cases[i].bob, cases[i].root, cases[i].session,
                       cases[i].stranger, cases[i].anon};
        for (int k = 0; k < 6; k++)
            if (got[k] != want[k])
                fail_msg("%s: principal %d: got %d, want %d", cases[i].principal, k, got[k],
                         want[k]);
        pail_policy_free(p);
    }
}

/* "Bucket policy examples": granting to an account delegates to it (its
 * users still need an identity policy); naming a user is enough alone. */
static void test_account_vs_user_principal(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Sid\":\"Account\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" OTHER
              ":root\"},\"Action\":[\"s3:GetObject\",\"s3:PutObject\"],\"Resource\":\"arn:aws:s3:::b/*\"},"
              "{\"Sid\":\"User\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" OTHER
              ":user/carol\"},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}"),
        RES);
    static const struct pail_principal dave = {PAIL_PT_USER, OTHER, "arn:aws:iam::" OTHER ":user/dave",
                                               NULL, CANON_OTHER, "dave", "AIDADAVE"};
    struct pail_eval_trace t;
    assert_int_equal(fx_eval_ctx(p, &fx_stranger, "s3:GetObject", OBJ, NULL, 0, &t), ALLOW);
    assert_int_equal(t.principal_match, PAIL_PM_EXACT);
    assert_int_equal(t.nmatched, 2);
    assert_int_equal(fx_eval_ctx(p, &fx_stranger, "s3:PutObject", OBJ, NULL, 0, &t), ALLOW);
    assert_int_equal(t.principal_match, PAIL_PM_ACCOUNT);
    assert_int_equal(fx_eval_ctx(p, &dave, "s3:GetObject", OBJ, NULL, 0, &t), ALLOW);
    assert_int_equal(t.principal_match, PAIL_PM_ACCOUNT);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, NULL, 0, &t), NONE);
    assert_int_equal(t.principal_match, PAIL_PM_NONE);
    assert_int_equal(t.nmatched, 0);
    pail_policy_free(p);
}

/* "NotPrincipal with Deny": everyone but the named principal is denied; AWS
 * checks the account too, so the account must be named along with it. */
static void test_not_principal(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":[\"arn:aws:iam::" ACCT ":user/alice\","
              "\"arn:aws:iam::" ACCT ":root\"]},\"Action\":\"s3:*\",\"Resource\":\"*\"},"
              "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}"),
        RES);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_root, "s3:GetObject", OBJ), ALLOW);
    assert_int_equal(fx_eval(p, &fx_bob, "s3:GetObject", OBJ), DENY);
    assert_int_equal(fx_eval(p, &fx_session, "s3:GetObject", OBJ), DENY);
    assert_int_equal(fx_eval(p, &fx_stranger, "s3:GetObject", OBJ), DENY);
    assert_int_equal(fx_eval(p, NULL, "s3:GetObject", OBJ), DENY);
    assert_int_equal(fx_eval(p, &fx_anon, "s3:GetObject", OBJ), DENY);
    pail_policy_free(p);

    /* The user alone: the account is not exempt, so neither is the user. */
    p = fx_compile(DOC12("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::" ACCT
                         ":user/alice\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}"),
                   RES);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), DENY);
    pail_policy_free(p);

    /* A role session: its role (or session) and the account. */
    p = fx_compile(DOC12("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":[\"arn:aws:iam::" ACCT
                         ":role/team/Reader\",\"" ACCT "\"]},\"Action\":\"s3:*\",\"Resource\":\"*\"}"),
                   RES);
    assert_int_equal(fx_eval(p, &fx_session, "s3:GetObject", OBJ), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), DENY);
    pail_policy_free(p);

    /* NotPrincipal with Allow grants everyone else, anonymous included. */
    p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":[\"arn:aws:iam::" ACCT
                         ":user/alice\",\"" ACCT "\"]},\"Action\":\"s3:*\",\"Resource\":\"*\"}"),
                   RES);
    assert_int_equal(pm_of(p, &fx_bob, "s3:GetObject", OBJ), PAIL_PM_ANY);
    assert_int_equal(pm_of(p, NULL, "s3:GetObject", OBJ), PAIL_PM_ANY);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), NONE);
    pail_policy_free(p);
}

static void test_trust_eval(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT ":user/alice\"},"
              "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":"
              "\"true\"}}}"),
        TRU);
    struct pail_cond_entry mfa[] = {KV("aws:MultiFactorAuthPresent", "true")};
    struct pail_eval_trace t;
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "sts:AssumeRole", NULL, mfa, 1, &t), ALLOW);
    assert_int_equal(t.principal_match, PAIL_PM_EXACT);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "sts:AssumeRole", "arn:aws:iam::" ACCT ":role/R",
                                 mfa, 1, NULL),
                     ALLOW);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "sts:AssumeRole", NULL, NULL, 0, &t), NONE);
    assert_int_equal(t.nmissing, 1);
    assert_int_equal(fx_eval_ctx(p, &fx_bob, "sts:AssumeRole", NULL, mfa, 1, NULL), NONE);
    pail_policy_free(p);
}

static void test_variables_in_resources(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
              "\"Resource\":\"arn:aws:s3:::b/home/${aws:username}/*\"}"),
        IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/home/bob/x"), NONE);
    assert_int_equal(fx_eval(p, &fx_bob, "s3:GetObject", "arn:aws:s3:::b/home/bob/x"), ALLOW);
    /* Not a user: no aws:username, no match, and the key is reported. */
    struct pail_eval_trace t;
    assert_int_equal(fx_eval_ctx(p, &fx_session, "s3:GetObject", "arn:aws:s3:::b/home//x", NULL, 0,
                                 &t),
                     NONE);
    assert_int_equal(t.nmissing, 1);
    assert_string_equal(t.missing[0], "aws:username");
    /* A username holding '*' stays literal. */
    static const struct pail_principal star = {PAIL_PT_USER, ACCT, "arn:aws:iam::" ACCT ":user/a*",
                                               NULL, CANON, "a*", "AIDASTAR"};
    assert_int_equal(fx_eval(p, &star, "s3:GetObject", "arn:aws:s3:::b/home/abc/x"), NONE);
    assert_int_equal(fx_eval(p, &star, "s3:GetObject", "arn:aws:s3:::b/home/a*/x"), ALLOW);
    /* Multi-valued keys do not resolve; a ctx entry overrides the principal. */
    struct pail_cond_entry two[] = {KV("aws:username", "alice", "bob")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", two, 1,
                                 NULL),
                     NONE);
    struct pail_cond_entry zed[] = {KV("AWS:UserName", "zed")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/home/zed/x", zed, 1,
                                 NULL),
                     ALLOW);
    /* An expansion beyond 4,096 bytes does not match. */
    static char longname[5000];
    memset(longname, 'n', sizeof(longname) - 1);
    struct pail_cond_entry big[] = {KV("aws:username", longname)};
    static char longres[5100];
    snprintf(longres, sizeof(longres), "arn:aws:s3:::b/home/%s/x", longname);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", longres, big, 1, NULL), NONE);
    pail_policy_free(p);

    p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":["
                         "\"arn:aws:s3:::b/${aws:PrincipalAccount}/${aws:userid}/*\","
                         "\"arn:aws:s3:::b/t/${aws:PrincipalType}\","
                         "\"arn:aws:s3:::b/guest/${aws:username, 'anon'}/*\","
                         "\"arn:aws:s3:::b/lit${*}${?}${$}\","
                         "\"arn:aws:s3:::b/ip/${aws:SourceIp}\"]}"),
                   IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject",
                             "arn:aws:s3:::b/" ACCT "/AIDAALICEEXAMPLE/x"),
                     ALLOW);
    assert_int_equal(fx_eval(p, &fx_session, "s3:GetObject", "arn:aws:s3:::b/" ACCT "/AROAREADER:sess1/x"),
                     ALLOW);
    assert_int_equal(fx_eval(p, &fx_session, "s3:GetObject", "arn:aws:s3:::b/t/AssumedRole"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_root, "s3:GetObject", "arn:aws:s3:::b/t/Account"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_anon, "s3:GetObject", "arn:aws:s3:::b/guest/anon/x"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/guest/alice/x"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/guest/anon/x"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/lit*?$"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/litabc"), NONE);
    struct pail_cond_entry ip[] = {KV("aws:SourceIp", "192.0.2.7")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/ip/192.0.2.7", ip, 1,
                                 NULL),
                     ALLOW);
    pail_policy_free(p);

    /* Before 2012-10-17, "${...}" is text (and its '*' a wildcard). */
    const char *old = "{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                      "\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b/${aws:username}/${*}\"}}";
    p = fx_compile(old, IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/alice/x"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/${aws:username}/${x}"),
                     ALLOW);
    pail_policy_free(p);

    /* NotResource with an unresolvable variable: that entry matches nothing,
     * so the Deny applies. */
    p = fx_compile(DOC12("{\"Effect\":\"Deny\",\"Action\":\"s3:*\","
                         "\"NotResource\":\"arn:aws:s3:::b/${aws:username}/*\"}"),
                   IDN);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", "arn:aws:s3:::b/alice/x"), NONE);
    assert_int_equal(fx_eval(p, &fx_session, "s3:GetObject", "arn:aws:s3:::b/alice/x"), DENY);
    pail_policy_free(p);
}

/* S3 "Bucket policy examples": restrict to IP ranges. */
static void test_example_source_ip(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Sid\":\"IPAllow\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
              "\"Resource\":[\"arn:aws:s3:::b\",\"arn:aws:s3:::b/*\"],"
              "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\","
              "\"2001:DB8:1234:5678::/64\"]},\"NotIpAddress\":{\"aws:SourceIp\":\"192.0.2.188/32\"}}},"
              "{\"Sid\":\"IPDeny\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
              "\"Resource\":[\"arn:aws:s3:::b\",\"arn:aws:s3:::b/*\"],"
              "\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\","
              "\"2001:DB8:1234:5678::/64\"]}}}"),
        RES);
    static const char *ips[] = {"192.0.2.1", "192.0.2.188", "203.0.113.1", "2001:db8:1234:5678::9",
                                "2001:db8:1234:5679::9"};
    static const enum pail_effect want[] = {ALLOW, NONE, DENY, ALLOW, DENY};
    for (size_t i = 0; i < 5; i++) {
        struct pail_cond_entry ctx[] = {KV("aws:SourceIp", ips[i])};
        assert_int_equal(fx_eval_ctx(p, NULL, "s3:GetObject", OBJ, ctx, 1, NULL), want[i]);
    }
    assert_false(pail_policy_is_public(p));
    /* No source IP at all: the Allow's IpAddress fails, the Deny's
     * NotIpAddress holds. */
    struct pail_eval_trace t;
    assert_int_equal(fx_eval_ctx(p, NULL, "s3:GetObject", OBJ, NULL, 0, &t), DENY);
    assert_int_equal(t.nmatched, 1);
    assert_int_equal(t.matched[0], 1);
    assert_int_equal(t.nmissing, 1);
    pail_policy_free(p);
}

/* S3 "Bucket policy examples": deny requests that are not HTTPS. */
static void test_example_secure_transport(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Sid\":\"AllowRead\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
              "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"},"
              "{\"Sid\":\"RestrictToTLSRequestsOnly\",\"Effect\":\"Deny\",\"Principal\":\"*\","
              "\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::b\",\"arn:aws:s3:::b/*\"],"
              "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}"),
        RES);
    struct pail_cond_entry http[] = {KV("aws:SecureTransport", "false")};
    struct pail_cond_entry https[] = {KV("aws:SecureTransport", "true")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, http, 1, NULL), DENY);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, https, 1, NULL), ALLOW);
    assert_int_equal(fx_eval_ctx(p, NULL, "s3:GetObject", OBJ, http, 1, NULL), DENY);
    assert_int_equal(fx_eval_ctx(p, NULL, "s3:GetObject", OBJ, https, 1, NULL), NONE);
    assert_false(pail_policy_is_public(p));
    pail_policy_free(p);
}

/* IAM "Variables and tags": each user lists only their own home prefix. */
static void test_example_home_prefix(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Sid\":\"ListHome\",\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\","
              "\"Resource\":\"arn:aws:s3:::b\",\"Condition\":{\"StringLike\":{\"s3:prefix\":"
              "[\"\",\"home/\",\"home/${aws:username}/*\"]}}},"
              "{\"Sid\":\"RWHome\",\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:PutObject\"],"
              "\"Resource\":\"arn:aws:s3:::b/home/${aws:username}/*\"}"),
        IDN);
    struct pail_cond_entry mine[] = {KV("s3:prefix", "home/alice/photos/")};
    struct pail_cond_entry root[] = {KV("s3:prefix", "")};
    struct pail_cond_entry theirs[] = {KV("s3:prefix", "home/bob/")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:ListBucket", "arn:aws:s3:::b", mine, 1, NULL), ALLOW);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:ListBucket", "arn:aws:s3:::b", root, 1, NULL), ALLOW);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:ListBucket", "arn:aws:s3:::b", theirs, 1, NULL),
                     NONE);
    assert_int_equal(fx_eval_ctx(p, &fx_bob, "s3:ListBucket", "arn:aws:s3:::b", theirs, 1, NULL), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:ListBucket", "arn:aws:s3:::b"), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:PutObject", "arn:aws:s3:::b/home/alice/a.txt"), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:PutObject", "arn:aws:s3:::b/home/bob/a.txt"), NONE);
    pail_policy_free(p);
}

/* IAM "Condition operators": access until a date. */
static void test_example_current_time(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{"
              "\"DateGreaterThan\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00Z\"},"
              "\"DateLessThan\":{\"aws:CurrentTime\":\"2026-12-31T23:59:59Z\"}}}"),
        IDN);
    struct pail_cond_entry in[] = {KV("aws:CurrentTime", "2026-12-01T12:00:00Z")};
    struct pail_cond_entry after[] = {KV("aws:CurrentTime", "2027-01-01T00:00:00Z")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, in, 1, NULL), ALLOW);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, after, 1, NULL), NONE);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:GetObject", OBJ), NONE);
    pail_policy_free(p);
}

/* IAM "Single-valued vs. multivalued context keys": ForAllValues over an
 * empty set is true, a classic way to allow more than intended. */
static void test_example_for_all_values_empty(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:PutObjectTagging\",\"Resource\":\"*\","
              "\"Condition\":{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]}}},"
              "{\"Effect\":\"Deny\",\"Action\":\"s3:PutObjectTagging\",\"Resource\":\"*\","
              "\"Condition\":{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":\"secret\"}}}"),
        IDN);
    struct pail_cond_entry ok[] = {KV("aws:TagKeys", "env")};
    struct pail_cond_entry extra[] = {KV("aws:TagKeys", "env", "cost")};
    struct pail_cond_entry secret[] = {KV("aws:TagKeys", "secret")};
    struct pail_cond_entry empty[] = {KEMPTY("aws:TagKeys")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObjectTagging", OBJ, ok, 1, NULL), ALLOW);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObjectTagging", OBJ, extra, 1, NULL), NONE);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObjectTagging", OBJ, secret, 1, NULL), DENY);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObjectTagging", OBJ, empty, 1, NULL), ALLOW);
    assert_int_equal(fx_eval(p, &fx_alice, "s3:PutObjectTagging", OBJ), ALLOW);
    pail_policy_free(p);
}

/* Statements whose conditions need keys the request lacks: a positive
 * operator fails, a negated one holds (AWS's "require SSE" Deny catches
 * uploads without the header), ...IfExists holds. */
static void test_absent_keys(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
              "{\"Effect\":\"Deny\",\"Action\":\"s3:PutObject\",\"Resource\":\"*\","
              "\"Condition\":{\"StringNotEquals\":{\"s3:x-amz-server-side-encryption\":\"AES256\"}}},"
              "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\","
              "\"Condition\":{\"StringEquals\":{\"s3:x-amz-acl\":\"public-read\"}}},"
              "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\","
              "\"Condition\":{\"StringNotEqualsIfExists\":{\"s3:x-amz-storage-class\":\"STANDARD\"}}}"),
        IDN);
    struct pail_eval_trace t;
    struct pail_cond_entry sse[] = {KV("s3:x-amz-server-side-encryption", "AES256")};
    struct pail_cond_entry sse_std[] = {KV("s3:x-amz-server-side-encryption", "AES256"),
                                        KV("s3:x-amz-storage-class", "STANDARD")};
    struct pail_cond_entry kms[] = {KV("s3:x-amz-server-side-encryption", "aws:kms"),
                                    KV("s3:x-amz-storage-class", "STANDARD")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObject", OBJ, NULL, 0, &t), DENY);
    assert_int_equal(t.nmatched, 3);
    assert_int_equal(t.matched[1], 1);
    assert_int_equal(t.matched[2], 3); /* the IfExists Deny applies to an absent key */
    assert_int_equal(t.nmissing, 3);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObject", OBJ, sse, 1, &t), DENY);
    assert_int_equal(t.nmatched, 2);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObject", OBJ, sse_std, 2, &t), ALLOW);
    assert_int_equal(t.nmatched, 1);
    assert_int_equal(t.nmissing, 1);
    assert_string_equal(t.missing[0], "s3:x-amz-acl");
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:PutObject", OBJ, kms, 2, NULL), DENY);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, sse_std + 1, 1, NULL), ALLOW);
    pail_policy_free(p);
}

/* S3 "Controlling access from VPC endpoints with bucket policies": the
 * endpoint keys exist only for requests through an endpoint, so the Deny
 * catches everything else. */
static void test_example_vpc_endpoint(void **state)
{
    (void)state;
    struct pail_policy *p = fx_compile(
        DOC12("{\"Sid\":\"AccessToSpecificVPCEOnly\",\"Effect\":\"Deny\",\"Principal\":\"*\","
              "\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::b\",\"arn:aws:s3:::b/*\"],"
              "\"Condition\":{\"StringNotEquals\":{\"aws:SourceVpce\":\"vpce-1a2b3c4d\"}}},"
              "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},\"Action\":\"s3:*\","
              "\"Resource\":\"arn:aws:s3:::b/*\"}"),
        RES);
    struct pail_cond_entry vpce[] = {KV("aws:SourceVpce", "vpce-1a2b3c4d")};
    struct pail_cond_entry other[] = {KV("aws:SourceVpce", "vpce-99999999")};
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, vpce, 1, NULL), ALLOW);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, other, 1, NULL), DENY);
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, NULL, 0, NULL), DENY);
    assert_int_equal(fx_eval_ctx(p, NULL, "s3:GetObject", OBJ, NULL, 0, NULL), DENY);
    assert_false(pail_policy_is_public(p));
    pail_policy_free(p);
}

static void test_trace_capacity(void **state)
{
    (void)state;
    char doc[8192] = "{\"Statement\":[";
    for (int i = 0; i < 20; i++)
        snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc),
                 "%s{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":"
                 "{\"StringEqualsIfExists\":{\"s3:k%d\":\"v\"}}}",
                 i ? "," : "", i);
    strcat(doc, "]}");
    struct pail_policy *p = fx_compile(doc, IDN);
    assert_int_equal(pail_policy_statement_count(p), 20);
    struct pail_eval_trace t;
    assert_int_equal(fx_eval_ctx(p, &fx_alice, "s3:GetObject", OBJ, NULL, 0, &t), ALLOW);
    assert_int_equal(t.nmatched, PAIL_EVAL_MAX_MATCHED);
    assert_int_equal(t.matched[15], 15);
    assert_int_equal(t.nmissing, PAIL_EVAL_MAX_MISSING);
    assert_string_equal(t.missing[15], "s3:k15");
    pail_policy_free(p);
}

static bool public_doc(const char *stmt)
{
    char doc[2048];
    snprintf(doc, sizeof(doc), DOC12("%s"), stmt);
    struct pail_policy *p = fx_compile(doc, RES);
    bool pub = pail_policy_is_public(p);
    pail_policy_free(p);
    return pub;
}

static bool public_with(const char *cond)
{
    char stmt[1024];
    snprintf(stmt, sizeof(stmt),
             "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
             "\"Resource\":\"arn:aws:s3:::b/*\",\"Condition\":%s}",
             cond);
    return public_doc(stmt);
}

static void test_public(void **state)
{
    (void)state;
    const char *grant = "{\"Effect\":\"Allow\",\"Principal\":%s,\"Action\":\"s3:GetObject\","
                        "\"Resource\":\"arn:aws:s3:::b/*\"}";
    char s[512];
    snprintf(s, sizeof(s), grant, "\"*\"");
    assert_true(public_doc(s));
    snprintf(s, sizeof(s), grant, "{\"AWS\":[\"" ACCT "\",\"*\"]}");
    assert_true(public_doc(s));
    snprintf(s, sizeof(s), grant, "{\"AWS\":\"" ACCT "\"}");
    assert_false(public_doc(s));
    snprintf(s, sizeof(s), grant, "{\"CanonicalUser\":\"" CANON "\"}");
    assert_false(public_doc(s));
    assert_false(public_doc("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}"));
    assert_true(public_doc("{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"" ACCT "\"},"
                           "\"Action\":\"s3:*\",\"Resource\":\"*\"}"));
    assert_false(public_doc("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" ACCT "\"},"
                            "\"Action\":\"s3:*\",\"Resource\":\"*\"}"));
    /* Source IP: fixed unless very wide. */
    assert_false(public_with("{\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}"));
    assert_false(public_with("{\"IpAddress\":{\"aws:SourceIp\":[\"192.0.2.1\",\"10.0.0.0/8\"]}}"));
    assert_true(public_with("{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}"));
    assert_true(public_with("{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/1\"}}"));
    assert_true(public_with("{\"IpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"10.0.0.0/7\"]}}"));
    assert_true(public_with("{\"IpAddress\":{\"aws:SourceIp\":\"::/0\"}}"));
    assert_false(public_with("{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}"));
    assert_true(public_with("{\"NotIpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}"));
    assert_true(public_with("{\"IpAddressIfExists\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}"));
    assert_true(public_with("{\"StringEquals\":{\"aws:SourceIp\":\"192.0.2.1\"}}"));
    /* The other fixing keys: non-wildcard values, non-negated operators. */
    assert_false(public_with("{\"StringEquals\":{\"aws:SourceVpce\":\"vpce-1a2b3c4d\"}}"));
    assert_false(public_with("{\"StringEquals\":{\"aws:sourcevpc\":\"vpc-111bbb22\"}}"));
    assert_false(public_with("{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}}"));
    assert_false(public_with("{\"StringEquals\":{\"aws:SourceAccount\":\"" ACCT "\"}}"));
    assert_false(public_with("{\"StringEquals\":{\"aws:SourceOwner\":\"" ACCT "\"}}"));
    assert_false(public_with("{\"StringEquals\":{\"aws:PrincipalAccount\":[\"" ACCT "\",\"" OTHER "\"]}}"));
    assert_false(public_with("{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:sns:r:1:t\"}}"));
    assert_false(public_with("{\"StringLike\":{\"aws:userid\":\"AIDAALICEEXAMPLE\"}}"));
    assert_false(public_with("{\"StringEquals\":{\"s3:DataAccessPointAccount\":\"" ACCT "\"}}"));
    assert_false(public_with("{\"StringEquals\":{\"s3:DataAccessPointArn\":"
                             "\"arn:aws:s3:us-east-1:" ACCT ":accesspoint/ap\"}}"));
    assert_true(public_with("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:1:t\"}}"));
    assert_true(public_with("{\"StringLike\":{\"aws:userid\":\"AIDA*\"}}"));
    assert_true(public_with("{\"StringEquals\":{\"aws:userid\":\"${aws:username}\"}}"));
    assert_true(public_with("{\"StringNotEquals\":{\"aws:SourceVpce\":\"vpce-1a2b3c4d\"}}"));
    assert_true(public_with("{\"StringEqualsIfExists\":{\"aws:SourceVpce\":\"vpce-1a2b3c4d\"}}"));
    assert_true(public_with("{\"ForAllValues:StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}}"));
    assert_false(public_with("{\"ForAnyValue:StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}}"));
    assert_true(public_with("{\"StringEquals\":{\"s3:prefix\":\"public/\"}}"));
    assert_true(public_with("{\"Null\":{\"aws:SourceVpce\":\"false\"}}"));
    /* One fixing condition among others is enough. */
    assert_false(public_with("{\"StringLike\":{\"s3:prefix\":\"*\"},"
                             "\"StringEquals\":{\"aws:SourceVpce\":\"vpce-1\"}}"));
    /* One public statement among private ones. */
    assert_true(public_doc("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
                           "\"Action\":\"s3:*\",\"Resource\":\"*\"},"
                           "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                           "\"Resource\":\"*\"}"));
    /* Identity policies are never public; a trust policy with "*" is. */
    struct pail_policy *p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}"),
                                       IDN);
    assert_false(pail_policy_is_public(p));
    pail_policy_free(p);
    p = fx_compile(DOC12("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
                         "\"Action\":\"sts:AssumeRole\"}"),
                   TRU);
    assert_true(pail_policy_is_public(p));
    pail_policy_free(p);
}

/* ---- Concurrency and speed ---------------------------------------------- */

/* A 20-statement bucket policy in the shape real ones take. */
static struct pail_policy *big_policy(void)
{
    char doc[16384] = "{\"Version\":\"2012-10-17\",\"Statement\":[";
    for (int i = 0; i < 20; i++) {
        const char *cond = i % 4 == 0   ? "{\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"192.0.2.0/24\"]}}"
                           : i % 4 == 1 ? "{\"StringLike\":{\"s3:prefix\":[\"home/${aws:username}/*\",\"pub/*\"]}}"
                           : i % 4 == 2 ? "{\"Bool\":{\"aws:SecureTransport\":\"false\"}}"
                                        : "{\"DateLessThan\":{\"aws:CurrentTime\":\"2027-01-01T00:00:00Z\"}}";
        snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc),
                 "%s{\"Sid\":\"S%d\",\"Effect\":\"%s\",\"Principal\":{\"AWS\":[\"" ACCT "\","
                 "\"arn:aws:iam::" OTHER ":user/u%d\"]},\"Action\":[\"s3:Get*\",\"s3:List*\","
                 "\"s3:PutObject\"],\"Resource\":[\"arn:aws:s3:::b\",\"arn:aws:s3:::b/d%d/*\","
                 "\"arn:aws:s3:::b/home/${aws:username}/*\"],\"Condition\":%s}",
                 i ? "," : "", i, i % 4 == 2 ? "Deny" : "Allow", i, i, cond);
    }
    strcat(doc, "]}");
    struct pail_policy_opts o = {.bucket = "b"};
    return fx_compile_opts(doc, RES, &o);
}

static const struct pail_cond_entry big_ctx[] = {
    KV("aws:SourceIp", "192.0.2.44"), KV("aws:SecureTransport", "true"),
    KV("aws:CurrentTime", "2026-12-01T12:00:00Z"), KV("s3:prefix", "home/alice/x")};

struct worker {
    const struct pail_policy *p;
    int bad;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    static const struct pail_principal *who[] = {&fx_alice, &fx_bob, &fx_stranger, &fx_anon};
    static const enum pail_effect want[] = {ALLOW, NONE, NONE, NONE};
    for (int i = 0; i < 2000; i++) {
        int k = i % 4;
        struct pail_eval_req r = {who[k], "s3:GetObject", "arn:aws:s3:::b/home/alice/x", big_ctx,
                                  NCTX(big_ctx)};
        struct pail_eval_trace t;
        if (pail_policy_eval(w->p, &r, (i & 1) ? &t : NULL) != want[k])
            w->bad++;
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct pail_policy *p = big_policy();
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){p, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
    pail_policy_free(p);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void test_speed(void **state)
{
    (void)state;
    struct pail_policy *p = big_policy();
    struct pail_eval_req r = {&fx_alice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", big_ctx,
                              NCTX(big_ctx)};
    assert_int_equal(pail_policy_eval(p, &r, NULL), ALLOW);
    struct pail_eval_req miss = {&fx_stranger, "s3:DeleteObject", "arn:aws:s3:::b/zzz", big_ctx,
                                 NCTX(big_ctx)};
    assert_int_equal(pail_policy_eval(p, &miss, NULL), NONE);
    const int n = 20000;
    double t0 = now_us();
    for (int i = 0; i < n; i++)
        if (pail_policy_eval(p, (i & 1) ? &r : &miss, NULL) == PAIL_EFFECT_DENY)
            fail();
    double per = (now_us() - t0) / n;
    print_message("20-statement bucket policy: %.2f us per evaluation (this build)\n", per);
    /* A loose bound: sanitizers and a shared machine slow this build down
     * several times over; the release build is the one that must take a few
     * microseconds. */
    assert_true(per < 100.0);
    pail_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_allow_bucket_deny_prefix),
        cmocka_unit_test(test_not_action_deny),
        cmocka_unit_test(test_principal_forms),
        cmocka_unit_test(test_account_vs_user_principal),
        cmocka_unit_test(test_not_principal),
        cmocka_unit_test(test_trust_eval),
        cmocka_unit_test(test_variables_in_resources),
        cmocka_unit_test(test_example_source_ip),
        cmocka_unit_test(test_example_secure_transport),
        cmocka_unit_test(test_example_home_prefix),
        cmocka_unit_test(test_example_current_time),
        cmocka_unit_test(test_example_for_all_values_empty),
        cmocka_unit_test(test_absent_keys),
        cmocka_unit_test(test_example_vpc_endpoint),
        cmocka_unit_test(test_trace_capacity),
        cmocka_unit_test(test_public),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
