/* tests/unit/identity_test.c — iam/identity.h against a real SQLite store:
 * bootstrap (first start, restart, rotated credential), accounts (create,
 * lookups, cascade delete), principal existence, authentication (active,
 * inactive, deleted keys; session tokens missing, wrong, expired), the
 * identity-side decision (groups, managed and inline policies, explicit
 * deny, boundary, session policy), persistence across close/open (last use
 * included), 10,000 users and 20,000 keys loaded (time printed), and
 * readers racing writers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"
#include "meta_fixture.h"
#include "iam_fixture.h"

#include "util/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *first_account(struct ifx *t)
{
    struct pail_account *v;
    size_t n;
    assert_err(pail_identity_account_list(t->id, t->f->a, &v, &n), PAIL_OK);
    assert_true(n >= 1);
    return v[0].id;
}

static enum pail_err auth(struct ifx *t, const char *key, const char *token,
                          struct pail_credential *cr)
{
    char secret[64];
    return pail_identity_authenticate(t->id, key, token, "s3", "us-east-1", secret, sizeof secret,
                                      t->f->a, cr);
}

/* ===== bootstrap ===== */

static void test_bootstrap_first_start(void **state)
{
    struct ifx *t = *state;
    struct pail_account *v;
    size_t n;
    assert_err(pail_identity_account_list(t->id, t->f->a, &v, &n), PAIL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].name, "root");
    assert_string_equal(v[0].canonical_id, PAIL_IDENTITY_LEGACY_CANONICAL);
    assert_int_equal(strlen(v[0].id), 12);
    assert_string_equal(v[0].access_key, ROOT_KEY);
    assert_null(v[0].secret_key);

    char secret[64];
    struct pail_credential cr;
    assert_err(pail_identity_authenticate(t->id, ROOT_KEY, NULL, "s3", "eu-west-1", secret,
                                          sizeof secret, t->f->a, &cr), PAIL_OK);
    assert_string_equal(secret, ROOT_SECRET);
    assert_int_equal(cr.principal.type, PAIL_PT_ROOT);
    assert_false(cr.temporary);
    assert_string_equal(cr.principal.account, v[0].id);
    assert_string_equal(cr.principal.canonical_id, PAIL_IDENTITY_LEGACY_CANONICAL);
    char arn[64];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:root", v[0].id);
    assert_string_equal(cr.principal.arn, arn);
    /* a secret that does not fit the caller's buffer is refused, not cut */
    char small[8];
    assert_err(pail_identity_authenticate(t->id, ROOT_KEY, NULL, "s3", "r", small, sizeof small,
                                          t->f->a, &cr), PAIL_E_InternalError);
}

static void test_bootstrap_restart_and_rotation(void **state)
{
    struct ifx *t = *state;
    const char *acct = pail_arena_strdup(t->f->a, first_account(t));
    ifx_restart(t);
    assert_err(pail_identity_bootstrap(t->id, ROOT_KEY, ROOT_SECRET), PAIL_OK);
    assert_string_equal(first_account(t), acct);
    struct pail_credential cr;
    assert_err(auth(t, ROOT_KEY, NULL, &cr), PAIL_OK);

    /* the operator rotated the credential: the old key stops working */
    assert_err(pail_identity_bootstrap(t->id, "AKIAPAILROTATED00002",
                                       "anothersecretanothersecretanothersecret0"), PAIL_OK);
    assert_err(auth(t, ROOT_KEY, NULL, &cr), PAIL_E_InvalidAccessKeyId);
    assert_err(auth(t, "AKIAPAILROTATED00002", NULL, &cr), PAIL_OK);
    ifx_restart(t);
    assert_err(auth(t, ROOT_KEY, NULL, &cr), PAIL_E_InvalidAccessKeyId);
    assert_err(auth(t, "AKIAPAILROTATED00002", NULL, &cr), PAIL_OK);
    assert_string_equal(cr.principal.account, acct);
    struct pail_account *v;
    size_t n;
    assert_err(pail_identity_account_list(t->id, t->f->a, &v, &n), PAIL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].access_key, "AKIAPAILROTATED00002");

    /* same key id, new secret */
    assert_err(pail_identity_bootstrap(t->id, "AKIAPAILROTATED00002",
                                       "thirdsecretthirdsecretthirdsecretthird00"), PAIL_OK);
    char secret[64];
    assert_err(pail_identity_authenticate(t->id, "AKIAPAILROTATED00002", NULL, "s3", "r", secret,
                                          sizeof secret, t->f->a, &cr), PAIL_OK);
    assert_string_equal(secret, "thirdsecretthirdsecretthirdsecretthird00");
    assert_err(pail_identity_bootstrap(t->id, "", "x"), PAIL_E_InvalidArgument);
}

/* ===== accounts ===== */

static void test_accounts(void **state)
{
    struct ifx *t = *state;
    struct pail_account alice, bob, got;
    assert_err(pail_identity_account_create(t->id, "alice", "Alice@Example.com", t->f->a, &alice),
               PAIL_OK);
    assert_int_equal(strlen(alice.id), 12);
    assert_int_equal(strlen(alice.canonical_id), 64);
    assert_int_equal(strlen(alice.access_key), 20);
    assert_memory_equal(alice.access_key, "AKIA", 4);
    assert_int_equal(strlen(alice.secret_key), 40);
    assert_err(pail_identity_account_create(t->id, "alice", "other@example.com", t->f->a, &got),
               PAIL_E_EntityAlreadyExists);
    assert_err(pail_identity_account_create(t->id, "alice2", "alice@EXAMPLE.com", t->f->a, &got),
               PAIL_E_EntityAlreadyExists);
    assert_err(pail_identity_account_create(t->id, "bad name", "x@y.z", t->f->a, &got),
               PAIL_E_InvalidArgument);
    assert_err(pail_identity_account_create(t->id, "nomail", "no-at-sign", t->f->a, &got),
               PAIL_E_InvalidArgument);
    assert_err(pail_identity_account_create(t->id, "bob", "bob@example.com", t->f->a, &bob), PAIL_OK);

    struct pail_account *v;
    size_t n;
    assert_err(pail_identity_account_list(t->id, t->f->a, &v, &n), PAIL_OK);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].name, "root");
    assert_string_equal(v[1].name, "alice");
    assert_string_equal(v[2].name, "bob");
    assert_null(v[1].secret_key);

    assert_true(pail_identity_account_get(t->id, alice.id, t->f->a, &got));
    assert_string_equal(got.name, "alice");
    assert_true(pail_identity_account_by_canonical(t->id, bob.canonical_id, t->f->a, &got));
    assert_string_equal(got.id, bob.id);
    assert_true(pail_identity_account_by_email(t->id, "ALICE@example.COM", t->f->a, &got));
    assert_string_equal(got.id, alice.id);
    assert_false(pail_identity_account_get(t->id, "000000000000", t->f->a, &got));
    assert_false(pail_identity_account_by_email(t->id, "nobody@example.com", t->f->a, &got));

    /* the account's root key is its root */
    struct pail_credential cr;
    assert_err(auth(t, alice.access_key, NULL, &cr), PAIL_OK);
    assert_int_equal(cr.principal.type, PAIL_PT_ROOT);
    assert_string_equal(cr.principal.account, alice.id);
    assert_string_equal(cr.principal.canonical_id, alice.canonical_id);

    /* alice gets a user, a group, a role, a policy; deleting her removes all */
    assert_ok(IAM(t, alice.access_key, "Action", "CreateUser", "UserName", "u1"));
    assert_ok(IAM(t, alice.access_key, "Action", "CreateGroup", "GroupName", "g1"));
    assert_ok(IAM(t, alice.access_key, "Action", "AddUserToGroup", "GroupName", "g1", "UserName", "u1"));
    struct res r = IAM(t, alice.access_key, "Action", "CreateAccessKey", "UserName", "u1");
    assert_ok(r);
    const char *ukey = xtext(t, r.body, "AccessKeyId");
    assert_ok(IAM(t, alice.access_key, "Action", "CreatePolicy", "PolicyName", "pol",
                  "PolicyDocument", "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}"));
    const char *trust = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
                        "\"Action\":\"sts:AssumeRole\"}}";
    assert_ok(IAM(t, alice.access_key, "Action", "CreateRole", "RoleName", "r1",
                  "AssumeRolePolicyDocument", trust));
    assert_err(auth(t, ukey, NULL, &cr), PAIL_OK);
    char uarn[96];
    snprintf(uarn, sizeof uarn, "arn:aws:iam::%s:user/u1", alice.id);
    assert_true(pail_identity_principal_exists(t->id, uarn, false));

    assert_err(pail_identity_account_delete(t->id, "alice"), PAIL_OK);
    assert_err(auth(t, alice.access_key, NULL, &cr), PAIL_E_InvalidAccessKeyId);
    assert_err(auth(t, ukey, NULL, &cr), PAIL_E_InvalidAccessKeyId);
    assert_false(pail_identity_principal_exists(t->id, uarn, false));
    assert_false(pail_identity_account_get(t->id, alice.id, t->f->a, &got));
    ifx_restart(t);
    assert_err(auth(t, ukey, NULL, &cr), PAIL_E_InvalidAccessKeyId);
    assert_false(pail_identity_account_by_email(t->id, "alice@example.com", t->f->a, &got));
    assert_true(pail_identity_account_get(t->id, bob.id, t->f->a, &got));

    assert_err(pail_identity_account_delete(t->id, first_account(t)), PAIL_E_InvalidInput);
    assert_err(pail_identity_account_delete(t->id, "root"), PAIL_E_InvalidInput);
    assert_err(pail_identity_account_delete(t->id, "nobody"), PAIL_E_NoSuchEntity);
    assert_err(pail_identity_account_delete(t->id, bob.id), PAIL_OK);
}

static void test_principal_exists(void **state)
{
    struct ifx *t = *state;
    const char *acct = first_account(t);
    char s[160];
    assert_true(pail_identity_principal_exists(t->id, acct, false));
    snprintf(s, sizeof s, "arn:aws:iam::%s:root", acct);
    assert_true(pail_identity_principal_exists(t->id, s, false));
    assert_false(pail_identity_principal_exists(t->id, "999999999999", false));
    assert_false(pail_identity_principal_exists(t->id, "arn:aws:iam::999999999999:root", false));
    assert_true(pail_identity_principal_exists(t->id, PAIL_IDENTITY_LEGACY_CANONICAL, true));
    assert_false(pail_identity_principal_exists(t->id, acct, true));

    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "dev", "Path", "/team/"));
    snprintf(s, sizeof s, "arn:aws:iam::%s:user/team/dev", acct);
    assert_true(pail_identity_principal_exists(t->id, s, false));
    snprintf(s, sizeof s, "arn:aws:iam::%s:user/dev", acct); /* wrong path */
    assert_false(pail_identity_principal_exists(t->id, s, false));
    const char *trust = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
                        "\"Action\":\"sts:AssumeRole\"}}";
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "ops", "AssumeRolePolicyDocument", trust));
    snprintf(s, sizeof s, "arn:aws:iam::%s:role/ops", acct);
    assert_true(pail_identity_principal_exists(t->id, s, false));
    snprintf(s, sizeof s, "arn:aws:sts::%s:assumed-role/ops/any-session", acct);
    assert_true(pail_identity_principal_exists(t->id, s, false));
    snprintf(s, sizeof s, "arn:aws:sts::%s:assumed-role/nope/s", acct);
    assert_false(pail_identity_principal_exists(t->id, s, false));
    assert_false(pail_identity_principal_exists(t->id, "*", false));
    assert_false(pail_identity_principal_exists(t->id, "", false));
    assert_true(pail_identity_principal_exists_cb(t->id, acct, false));
}

/* ===== authentication ===== */

static void test_authenticate_keys(void **state)
{
    struct ifx *t = *state;
    const char *key = ifx_user_with(t, "kim", NULL);
    struct pail_credential cr;
    assert_err(auth(t, key, NULL, &cr), PAIL_OK);
    assert_int_equal(cr.principal.type, PAIL_PT_USER);
    assert_string_equal(cr.principal.username, "kim");
    assert_memory_equal(cr.principal.userid, "AIDA", 4);
    assert_non_null(strstr(cr.principal.arn, ":user/kim"));
    assert_err(auth(t, key, "", &cr), PAIL_OK); /* an empty token header is no token */
    assert_err(auth(t, key, "sometoken", &cr), PAIL_E_InvalidToken);
    assert_err(auth(t, "AKIANOSUCHKEY0000000", NULL, &cr), PAIL_E_InvalidAccessKeyId);
    assert_err(auth(t, NULL, NULL, &cr), PAIL_E_InvalidAccessKeyId);

    assert_ok(ROOT(t, "Action", "UpdateAccessKey", "UserName", "kim", "AccessKeyId", key,
                   "Status", "Inactive"));
    assert_err(auth(t, key, NULL, &cr), PAIL_E_InvalidAccessKeyId);
    assert_ok(ROOT(t, "Action", "UpdateAccessKey", "UserName", "kim", "AccessKeyId", key,
                   "Status", "Active"));
    assert_err(auth(t, key, NULL, &cr), PAIL_OK);
    assert_ok(ROOT(t, "Action", "DeleteAccessKey", "UserName", "kim", "AccessKeyId", key));
    assert_err(auth(t, key, NULL, &cr), PAIL_E_InvalidAccessKeyId);
}

static void test_authenticate_sessions(void **state)
{
    struct ifx *t = *state;
    const char *key = ifx_user_with(t, "sam", NULL);
    struct res r = STS(t, key, "Action", "GetSessionToken", "DurationSeconds", "900");
    assert_ok(r);
    const char *skey = xtext(t, r.body, "AccessKeyId");
    const char *ssecret = xtext(t, r.body, "SecretAccessKey");
    const char *token = xtext(t, r.body, "SessionToken");
    assert_memory_equal(skey, "ASIA", 4);
    assert_int_equal(strlen(skey), 20);
    assert_true(strlen(token) >= 100);

    char secret[64];
    struct pail_credential cr;
    assert_err(pail_identity_authenticate(t->id, skey, token, "s3", "us-east-1", secret,
                                          sizeof secret, t->f->a, &cr), PAIL_OK);
    assert_string_equal(secret, ssecret);
    assert_true(cr.temporary);
    assert_true(cr.expires_ms > pail_time_now_ms());
    assert_int_equal(cr.principal.type, PAIL_PT_USER);
    assert_string_equal(cr.principal.username, "sam");
    assert_err(auth(t, skey, NULL, &cr), PAIL_E_InvalidToken);
    char wrong[256];
    snprintf(wrong, sizeof wrong, "%s", token);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    assert_err(auth(t, skey, wrong, &cr), PAIL_E_InvalidToken);
    assert_err(auth(t, skey, "short", &cr), PAIL_E_InvalidToken);

    /* a session created two hours ago for 15 minutes has expired */
    int64_t past = pail_time_now_ms() - 2 * 3600 * 1000;
    r = ifx_call_at(t, "sts", key, past,
                    (const char *[]){"Action", "GetSessionToken", "DurationSeconds", "900", NULL});
    assert_ok(r);
    const char *old = xtext(t, r.body, "AccessKeyId");
    assert_err(auth(t, old, xtext(t, r.body, "SessionToken"), &cr), PAIL_E_ExpiredToken);
    assert_err(auth(t, old, "wrong", &cr), PAIL_E_InvalidToken);

    /* sessions survive a restart; expired ones are dropped at load */
    ifx_restart(t);
    assert_err(auth(t, skey, token, &cr), PAIL_OK);
    assert_err(auth(t, old, "whatever", &cr), PAIL_E_InvalidAccessKeyId);
}

/* ===== the identity-side decision ===== */

static struct pail_identity_decision decide(struct ifx *t, const char *key, const char *action,
                                            const char *resource)
{
    struct pail_credential cr;
    struct pail_identity_decision d;
    const struct pail_principal *p = NULL;
    if (key && auth(t, key, NULL, &cr) == PAIL_OK)
        p = &cr.principal;
    struct pail_eval_req req = {.principal = p, .action = action, .resource = resource};
    assert_err(pail_identity_eval(t->id, key, &req, t->f->a, &d), PAIL_OK);
    return d;
}

static struct pail_identity_decision decide_session(struct ifx *t, const char *key,
                                                    const char *token, const char *action,
                                                    const char *resource)
{
    struct pail_credential cr;
    assert_err(auth(t, key, token, &cr), PAIL_OK);
    struct pail_identity_decision d;
    struct pail_eval_req req = {.principal = &cr.principal, .action = action, .resource = resource};
    assert_err(pail_identity_eval(t->id, key, &req, t->f->a, &d), PAIL_OK);
    return d;
}

#define ALLOW(s) "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\"," s "}]}"
#define DENY(s) "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\"," s "}]}"

static void test_eval_layers(void **state)
{
    struct ifx *t = *state;
    /* eve: in group devs; policies from every source */
    const char *key = ifx_user_with(t, "eve", ALLOW("\"Action\":\"s3:ListBucket\",\"Resource\":\"*\""));
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "devs"));
    assert_ok(ROOT(t, "Action", "AddUserToGroup", "GroupName", "devs", "UserName", "eve"));
    assert_ok(ROOT(t, "Action", "PutGroupPolicy", "GroupName", "devs", "PolicyName", "read-b",
                   "PolicyDocument", ALLOW("\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"")));
    struct res r = ROOT(t, "Action", "CreatePolicy", "PolicyName", "writer", "PolicyDocument",
                        ALLOW("\"Action\":\"s3:PutObject\",\"Resource\":\"*\""));
    assert_ok(r);
    const char *writer = xtext(t, r.body, "Arn");
    assert_ok(ROOT(t, "Action", "AttachGroupPolicy", "GroupName", "devs", "PolicyArn", writer));
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "eve", "PolicyName", "deny-secret",
                   "PolicyDocument", DENY("\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/secret/*\"")));

    struct pail_identity_decision d = decide(t, key, "s3:GetObject", "arn:aws:s3:::b/x");
    assert_int_equal(d.identity, PAIL_EFFECT_ALLOW);
    assert_true(pail_identity_allowed(&d));
    assert_string_equal(d.allow_policy, "read-b");
    assert_false(d.has_boundary);
    assert_false(d.has_session);
    assert_int_equal(d.nmatched, 1);
    assert_int_equal(d.matched[0].source, PAIL_SRC_GROUP);
    assert_string_equal(d.matched[0].owner, "devs");

    d = decide(t, key, "s3:PutObject", "arn:aws:s3:::c/y");
    assert_true(pail_identity_allowed(&d));
    assert_int_equal(d.matched[0].source, PAIL_SRC_USER_MANAGED);
    assert_string_equal(d.allow_policy, writer);

    d = decide(t, key, "s3:GetObject", "arn:aws:s3:::b/secret/k");
    assert_int_equal(d.identity, PAIL_EFFECT_DENY);
    assert_false(pail_identity_allowed(&d));
    assert_string_equal(d.deny_source, "identity-based policy");
    assert_string_equal(d.deny_policy, "deny-secret");

    d = decide(t, key, "s3:DeleteObject", "arn:aws:s3:::b/x");
    assert_int_equal(d.identity, PAIL_EFFECT_NONE);
    assert_false(pail_identity_allowed(&d));
    assert_int_equal(d.nmatched, 0);

    /* an AWS managed policy, attached to the user */
    assert_ok(ROOT(t, "Action", "AttachUserPolicy", "UserName", "eve", "PolicyArn",
                   "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));
    d = decide(t, key, "s3:GetBucketPolicy", "arn:aws:s3:::z");
    assert_true(pail_identity_allowed(&d));
    assert_int_equal(d.matched[0].source, PAIL_SRC_AWS_MANAGED);

    /* the very next request sees a change */
    assert_ok(ROOT(t, "Action", "DeleteUserPolicy", "UserName", "eve", "PolicyName", "deny-secret"));
    d = decide(t, key, "s3:GetObject", "arn:aws:s3:::b/secret/k");
    assert_true(pail_identity_allowed(&d));

    /* a boundary that allows only Get*: PutObject is allowed by identity, not by the boundary */
    r = ROOT(t, "Action", "CreatePolicy", "PolicyName", "only-get", "PolicyDocument",
             ALLOW("\"Action\":\"s3:Get*\",\"Resource\":\"*\""));
    assert_ok(r);
    const char *only_get = xtext(t, r.body, "Arn");
    assert_ok(ROOT(t, "Action", "PutUserPermissionsBoundary", "UserName", "eve",
                   "PermissionsBoundary", only_get));
    d = decide(t, key, "s3:PutObject", "arn:aws:s3:::c/y");
    assert_int_equal(d.identity, PAIL_EFFECT_ALLOW);
    assert_true(d.has_boundary);
    assert_int_equal(d.boundary, PAIL_EFFECT_NONE);
    assert_false(pail_identity_allowed(&d));
    d = decide(t, key, "s3:GetObject", "arn:aws:s3:::b/x");
    assert_true(pail_identity_allowed(&d));
    /* a boundary grants nothing by itself */
    d = decide(t, key, "s3:GetObjectAcl", "arn:aws:s3:::nowhere/x");
    assert_int_equal(d.boundary, PAIL_EFFECT_ALLOW);
    assert_true(pail_identity_allowed(&d)); /* AmazonS3ReadOnlyAccess allows it */
    assert_ok(ROOT(t, "Action", "DetachUserPolicy", "UserName", "eve", "PolicyArn",
                   "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));
    d = decide(t, key, "s3:GetObjectAcl", "arn:aws:s3:::nowhere/x");
    assert_int_equal(d.boundary, PAIL_EFFECT_ALLOW);
    assert_int_equal(d.identity, PAIL_EFFECT_NONE);
    assert_false(pail_identity_allowed(&d));
    assert_ok(ROOT(t, "Action", "DeleteUserPermissionsBoundary", "UserName", "eve"));
    d = decide(t, key, "s3:PutObject", "arn:aws:s3:::c/y");
    assert_true(pail_identity_allowed(&d));
    assert_false(d.has_boundary);

    /* root: allowed in its account; anonymous: nothing; unknown key: error */
    d = decide(t, ROOT_KEY, "s3:DeleteBucket", "arn:aws:s3:::b");
    assert_int_equal(d.identity, PAIL_EFFECT_ALLOW);
    assert_true(pail_identity_allowed(&d));
    d = decide(t, NULL, "s3:GetObject", "arn:aws:s3:::b/x");
    assert_int_equal(d.identity, PAIL_EFFECT_NONE);
    struct pail_eval_req req = {.action = "s3:GetObject", .resource = "*"};
    assert_err(pail_identity_eval(t->id, "AKIAUNKNOWN000000000", &req, t->f->a, &d),
               PAIL_E_InvalidAccessKeyId);
}

static void test_eval_role_session(void **state)
{
    struct ifx *t = *state;
    const char *acct = first_account(t);
    const char *key = ifx_user_with(t, "ray", NULL);
    char trust[256];
    snprintf(trust, sizeof trust,
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::%s:user/ray\"},"
             "\"Action\":\"sts:AssumeRole\"}}", acct);
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "worker", "AssumeRolePolicyDocument", trust));
    assert_ok(ROOT(t, "Action", "PutRolePolicy", "RoleName", "worker", "PolicyName", "all-s3",
                   "PolicyDocument", ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\"")));
    char rarn[96];
    snprintf(rarn, sizeof rarn, "arn:aws:iam::%s:role/worker", acct);

    /* no session policy: the role's policies */
    struct res r = STS(t, key, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "s1");
    assert_ok(r);
    const char *k1 = xtext(t, r.body, "AccessKeyId"), *tok1 = xtext(t, r.body, "SessionToken");
    struct pail_identity_decision d = decide_session(t, k1, tok1, "s3:PutObject", "arn:aws:s3:::b/k");
    assert_true(pail_identity_allowed(&d));
    assert_false(d.has_session);
    assert_int_equal(d.matched[0].source, PAIL_SRC_ROLE);

    /* a session policy narrows to GetObject */
    r = STS(t, key, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "s2", "Policy",
            ALLOW("\"Action\":\"s3:GetObject\",\"Resource\":\"*\""));
    assert_ok(r);
    assert_non_null(xtext(t, r.body, "PackedPolicySize"));
    const char *k2 = xtext(t, r.body, "AccessKeyId"), *tok2 = xtext(t, r.body, "SessionToken");
    d = decide_session(t, k2, tok2, "s3:GetObject", "arn:aws:s3:::b/k");
    assert_true(d.has_session);
    assert_int_equal(d.session, PAIL_EFFECT_ALLOW);
    assert_true(pail_identity_allowed(&d));
    d = decide_session(t, k2, tok2, "s3:PutObject", "arn:aws:s3:::b/k");
    assert_int_equal(d.identity, PAIL_EFFECT_ALLOW);
    assert_int_equal(d.session, PAIL_EFFECT_NONE);
    assert_false(pail_identity_allowed(&d));

    /* PolicyArns and an explicit deny in the session policy */
    r = ROOT(t, "Action", "CreatePolicy", "PolicyName", "no-delete", "PolicyDocument",
             DENY("\"Action\":\"s3:DeleteObject\",\"Resource\":\"*\""));
    assert_ok(r);
    const char *nodel = xtext(t, r.body, "Arn");
    r = STS(t, key, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "s3",
            "PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            "PolicyArns.member.2.arn", nodel);
    assert_ok(r);
    const char *k3 = xtext(t, r.body, "AccessKeyId"), *tok3 = xtext(t, r.body, "SessionToken");
    d = decide_session(t, k3, tok3, "s3:PutObject", "arn:aws:s3:::b/k");
    assert_true(pail_identity_allowed(&d));
    d = decide_session(t, k3, tok3, "s3:DeleteObject", "arn:aws:s3:::b/k");
    assert_int_equal(d.session, PAIL_EFFECT_DENY);
    assert_string_equal(d.deny_source, "session policy");
    assert_string_equal(d.deny_policy, nodel);
    assert_false(pail_identity_allowed(&d));

    /* role sessions are role principals; deleting the role ends them */
    struct pail_credential cr;
    assert_err(auth(t, k1, tok1, &cr), PAIL_OK);
    assert_int_equal(cr.principal.type, PAIL_PT_ASSUMED_ROLE);
    assert_string_equal(cr.principal.role_arn, rarn);
    char sarn[128];
    snprintf(sarn, sizeof sarn, "arn:aws:sts::%s:assumed-role/worker/s1", acct);
    assert_string_equal(cr.principal.arn, sarn);
    assert_ok(ROOT(t, "Action", "DeleteRolePolicy", "RoleName", "worker", "PolicyName", "all-s3"));
    assert_ok(ROOT(t, "Action", "DeleteRole", "RoleName", "worker"));
    assert_err(auth(t, k1, tok1, &cr), PAIL_E_InvalidAccessKeyId);
}

/* ===== persistence ===== */

static void test_persisted(void **state)
{
    struct ifx *t = *state;
    const char *key = ifx_user_with(t, "pat", ALLOW("\"Action\":\"s3:GetObject\",\"Resource\":\"*\""));
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "tagged", "Path", "/x/y/",
                   "Tags.member.1.Key", "team", "Tags.member.1.Value", "storage"));
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "grp"));
    assert_ok(ROOT(t, "Action", "AddUserToGroup", "GroupName", "grp", "UserName", "pat"));
    struct res r = ROOT(t, "Action", "CreatePolicy", "PolicyName", "vpol", "PolicyDocument",
                        ALLOW("\"Action\":\"s3:PutObject\",\"Resource\":\"*\""));
    assert_ok(r);
    const char *varn = xtext(t, r.body, "Arn");
    assert_ok(ROOT(t, "Action", "CreatePolicyVersion", "PolicyArn", varn, "SetAsDefault", "true",
                   "PolicyDocument", ALLOW("\"Action\":\"s3:ListBucket\",\"Resource\":\"*\"")));
    assert_ok(ROOT(t, "Action", "AttachGroupPolicy", "GroupName", "grp", "PolicyArn", varn));
    assert_ok(ROOT(t, "Action", "PutUserPermissionsBoundary", "UserName", "tagged",
                   "PermissionsBoundary", varn));
    r = STS(t, key, "Action", "GetSessionToken");
    assert_ok(r);
    const char *skey = xtext(t, r.body, "AccessKeyId"), *tok = xtext(t, r.body, "SessionToken");
    char secret[64];
    struct pail_credential cr;
    assert_err(pail_identity_authenticate(t->id, key, NULL, "s3", "eu-central-1", secret,
                                          sizeof secret, t->f->a, &cr), PAIL_OK);

    ifx_restart(t);
    r = ROOT(t, "Action", "GetUser", "UserName", "tagged");
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "Path"), "/x/y/");
    assert_string_equal(xtext(t, r.body, "Value"), "storage");
    assert_string_equal(xtext(t, r.body, "PermissionsBoundaryArn"), varn);
    r = ROOT(t, "Action", "GetPolicy", "PolicyArn", varn);
    assert_string_equal(xtext(t, r.body, "DefaultVersionId"), "v2");
    assert_string_equal(xtext(t, r.body, "AttachmentCount"), "1");
    assert_string_equal(xtext(t, r.body, "PermissionsBoundaryUsageCount"), "1");
    r = ROOT(t, "Action", "ListGroupsForUser", "UserName", "pat");
    assert_string_equal(xtext(t, r.body, "GroupName"), "grp");
    /* last use was written at close */
    r = ROOT(t, "Action", "GetAccessKeyLastUsed", "AccessKeyId", key);
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "ServiceName"), "s3");
    assert_string_equal(xtext(t, r.body, "Region"), "eu-central-1");
    assert_non_null(xtext(t, r.body, "LastUsedDate"));
    assert_string_equal(xtext(t, r.body, "UserName"), "pat");
    /* the group's managed policy (default v2) and the user's inline policy still decide */
    struct pail_identity_decision d = decide(t, key, "s3:ListBucket", "arn:aws:s3:::b");
    assert_true(pail_identity_allowed(&d));
    d = decide(t, key, "s3:PutObject", "arn:aws:s3:::b/k");
    assert_false(pail_identity_allowed(&d));
    d = decide(t, key, "s3:GetObject", "arn:aws:s3:::b/k");
    assert_true(pail_identity_allowed(&d));
    assert_err(auth(t, skey, tok, &cr), PAIL_OK);
    assert_true(cr.temporary);

    /* pail_identity_flush persists last use without a close */
    assert_err(pail_identity_authenticate(t->id, key, NULL, "iam", "ap-south-1", secret,
                                          sizeof secret, t->f->a, &cr), PAIL_OK);
    assert_err(pail_identity_flush(t->id), PAIL_OK);
    struct pail_iam_rec *recs;
    size_t n;
    assert_err(pail_meta_iam_load(t->f->m, t->f->a, &recs, &n), PAIL_OK);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(recs[i].kind, "keyuse") == 0 && strcmp(recs[i].name, key) == 0)
            found = strstr(recs[i].doc, "ap-south-1") != NULL;
    assert_true(found);
    /* no record holds a session token */
    for (size_t i = 0; i < n; i++)
        assert_null(strstr(recs[i].doc, tok));
}

/* Damaged records are skipped (with a warning), never fatal; escaped strings
 * (quotes, \u escapes, surrogate pairs) come back unescaped. */
static void test_damaged_and_escaped_records(void **state)
{
    struct ifx *t = *state;
    const char *acct = pail_arena_strdup(t->f->a, first_account(t));
    const char *pol = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"arn:aws:s3:::caf\\u00e9/\\ud83d\\ude00/*\"}}";
    char *pol_json = pail_arena_printf(t->f->a, "%s", pol);
    (void)pol_json;
    struct pail_iam_rec recs[] = {
        {"user", "AIDAGOODUSER000000001",
         pail_arena_printf(t->f->a,
                           "{\"account\":\"%s\",\"name\":\"q\\u0075ote\",\"path\":\"/\",\"created\":1,"
                           "\"tags\":[{\"Key\":\"k\",\"Value\":\"caf\\u00e9\"}],\"inline\":[{\"name\":\"p\","
                           "\"doc\":\"{\\\"Statement\\\":{\\\"Effect\\\":\\\"Allow\\\",\\\"Action\\\":"
                           "\\\"s3:GetObject\\\",\\\"Resource\\\":\\\"arn:aws:s3:::caf\\\\u00e9/*\\\"}}\"}],"
                           "\"attached\":[\"arn:aws:iam::aws:policy/Gone\"],\"groups\":[\"AGPAGONE\"]}", acct)},
        {"user", "AIDABADJSON0000000001", "{\"account\":"},
        {"user", "AIDANOACCOUNT00000001", "{\"account\":\"999999999999\",\"name\":\"x\",\"path\":\"/\"}"},
        {"user", "AIDANONAME00000000001", pail_arena_printf(t->f->a, "{\"account\":\"%s\",\"path\":\"/\"}", acct)},
        {"user", "AIDAWRONGTYPE00000001", pail_arena_printf(t->f->a, "{\"account\":\"%s\",\"name\":7,\"path\":\"/\"}", acct)},
        {"key", "AKIABADUSERREF000001", pail_arena_printf(t->f->a,
            "{\"account\":\"%s\",\"user\":\"AIDANOSUCHUSER\",\"secret\":\"s\",\"status\":\"Active\"}", acct)},
        {"key", "AKIAGOODKEY000000001", pail_arena_printf(t->f->a,
            "{\"account\":\"%s\",\"user\":\"AIDAGOODUSER000000001\",\"secret\":\"s\\/ecret\",\"status\":\"Active\",\"created\":5}", acct)},
        {"policy", "ANPANOVERSIONS000001", pail_arena_printf(t->f->a,
            "{\"account\":\"%s\",\"name\":\"nv\",\"path\":\"/\",\"default\":\"v1\",\"versions\":[]}", acct)},
        {"session", "ASIAEXPIRED000000001", pail_arena_printf(t->f->a,
            "{\"account\":\"%s\",\"kind\":\"root\",\"secret\":\"x\",\"token_sha256\":\"%064d\",\"expires\":1}", acct, 0)},
        {"mystery", "x", "{}"},
        {"account", "123", "[]"},
    };
    assert_err(pail_meta_iam_write(t->f->m, recs, sizeof recs / sizeof recs[0]), PAIL_OK);
    ifx_restart(t);
    struct res r = ROOT(t, "Action", "GetUser", "UserName", "quote");
    assert_ok(r);
    assert_non_null(strstr(r.body, "<Value>caf\xc3\xa9</Value>"));
    assert_fails(ROOT(t, "Action", "GetUser", "UserName", "x"), PAIL_E_NoSuchEntity);
    r = ROOT(t, "Action", "ListUsers");
    assert_int_equal(xcount(r.body, "<member>"), 1);
    r = ROOT(t, "Action", "ListAttachedUserPolicies", "UserName", "quote");
    assert_int_equal(xcount(r.body, "<member>"), 0);
    char secret[64];
    struct pail_credential cr;
    assert_err(pail_identity_authenticate(t->id, "AKIAGOODKEY000000001", NULL, "s3", "r", secret,
                                          sizeof secret, t->f->a, &cr), PAIL_OK);
    assert_string_equal(secret, "s/ecret");
    struct pail_identity_decision d;
    struct pail_eval_req req = {.principal = &cr.principal, .action = "s3:GetObject",
                                .resource = "arn:aws:s3:::caf\xc3\xa9/k"};
    assert_err(pail_identity_eval(t->id, "AKIAGOODKEY000000001", &req, t->f->a, &d), PAIL_OK);
    assert_true(pail_identity_allowed(&d));
    assert_err(auth(t, "AKIABADUSERREF000001", NULL, &cr), PAIL_E_InvalidAccessKeyId);
    assert_fails(ROOT(t, "Action", "GetPolicy", "PolicyArn",
                      pail_arena_printf(t->f->a, "arn:aws:iam::%s:policy/nv", acct)), PAIL_E_NoSuchEntity);
    /* the expired session's record was deleted at load */
    struct pail_iam_rec *all;
    size_t n;
    assert_err(pail_meta_iam_load(t->f->m, t->f->a, &all, &n), PAIL_OK);
    for (size_t i = 0; i < n; i++)
        assert_false(strcmp(all[i].kind, "session") == 0 && strcmp(all[i].name, "ASIAEXPIRED000000001") == 0);
}

/* ===== scale ===== */

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_load_10k_users_20k_keys(void **state)
{
    struct ifx *t = *state;
    const char *acct = pail_arena_strdup(t->f->a, first_account(t));
    enum { USERS = 10000, KEYS_PER_USER = 2 };
    size_t n = USERS * (1 + KEYS_PER_USER), k = 0;
    struct pail_iam_rec *recs = calloc(n, sizeof *recs);
    assert_non_null(recs);
    for (int i = 0; i < USERS; i++) {
        char uid[32];
        snprintf(uid, sizeof uid, "AIDALOADTEST%09d", i);
        recs[k++] = (struct pail_iam_rec){
            "user", pail_arena_strdup(t->f->a, uid),
            pail_arena_printf(t->f->a,
                              "{\"account\":\"%s\",\"name\":\"user%05d\",\"path\":\"/\","
                              "\"created\":1700000000000,\"tags\":[],\"inline\":[],"
                              "\"attached\":[],\"groups\":[]}", acct, i)};
        for (int j = 0; j < KEYS_PER_USER; j++)
            recs[k++] = (struct pail_iam_rec){
                "key", pail_arena_printf(t->f->a, "AKIALOAD%011d%d", i, j),
                pail_arena_printf(t->f->a,
                                  "{\"account\":\"%s\",\"user\":\"%s\",\"secret\":"
                                  "\"s%039d\",\"status\":\"Active\",\"created\":1700000000000}",
                                  acct, uid, i * 2 + j)};
    }
    assert_err(pail_meta_iam_write(t->f->m, recs, k), PAIL_OK);
    free(recs);
    pail_identity_close(t->id);
    t->id = NULL;

    /* The bound is on this thread's CPU time (the store is read in-process):
     * the test machine is shared, so wall time also counts other processes.
     * This build runs under ASan; a release build needs about a tenth. */
    struct timespec t0, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    assert_err(pail_identity_open(t->f->m, &t->id), PAIL_OK);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    double wall = ms_since(&t0);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
    print_message("identity: loaded %d users and %d keys in %.1f ms (%.1f ms CPU)\n", USERS,
                  USERS * KEYS_PER_USER, wall, cpu);
    assert_true(cpu < 1000.0);

    char secret[64];
    struct pail_credential cr;
    assert_err(pail_identity_authenticate(t->id, "AKIALOAD000000073211", NULL, "s3", "r", secret,
                                          sizeof secret, t->f->a, &cr), PAIL_OK);
    assert_string_equal(cr.principal.username, "user07321");
    /* lookups stay constant-time: 20,000 authentications */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < USERS; i++)
        for (int j = 0; j < KEYS_PER_USER; j++) {
            char kid[32];
            snprintf(kid, sizeof kid, "AKIALOAD%011d%d", i, j);
            struct pail_arena *a = pail_arena_new();
            assert_err(pail_identity_authenticate(t->id, kid, NULL, "s3", "r", secret,
                                                  sizeof secret, a, &cr), PAIL_OK);
            pail_arena_free(a);
        }
    print_message("identity: 20000 authentications in %.1f ms\n", ms_since(&t0));
    struct res r = ROOT(t, "Action", "GetAccountSummary");
    assert_non_null(strstr(r.body, "<key>Users</key><value>10000</value>"));
    r = ROOT(t, "Action", "ListAccessKeys", "UserName", "user09999");
    assert_int_equal(xcount(r.body, "<AccessKeyId>"), 2);
    r = ROOT(t, "Action", "CreateAccessKey", "UserName", "user00001");
    assert_fails(r, PAIL_E_LimitExceeded);
}

/* ===== readers racing writers ===== */

struct race {
    struct ifx *t;
    const char *key;
    _Atomic bool stop;
    _Atomic long fails, rounds;
};

static void *reader(void *arg)
{
    struct race *rc = arg;
    while (!atomic_load(&rc->stop)) {
        struct pail_arena *a = pail_arena_new();
        char secret[64];
        struct pail_credential cr;
        struct pail_identity_decision d;
        if (pail_identity_authenticate(rc->t->id, rc->key, NULL, "s3", "r", secret, sizeof secret,
                                       a, &cr) != PAIL_OK)
            atomic_fetch_add(&rc->fails, 1);
        struct pail_eval_req req = {.principal = &cr.principal, .action = "s3:GetObject",
                                    .resource = "arn:aws:s3:::b/k"};
        if (pail_identity_eval(rc->t->id, rc->key, &req, a, &d) != PAIL_OK || !pail_identity_allowed(&d))
            atomic_fetch_add(&rc->fails, 1);
        pail_arena_free(a);
        atomic_fetch_add(&rc->rounds, 1);
    }
    return NULL;
}

static void test_readers_race_writers(void **state)
{
    struct ifx *t = *state;
    struct race rc = {.t = t, .key = ifx_user_with(t, "racer", ALLOW("\"Action\":\"s3:GetObject\",\"Resource\":\"*\""))};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, &rc), 0);
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "churn"));
    for (int i = 0; i < 40; i++) {
        struct res r = ROOT(t, "Action", "CreateAccessKey", "UserName", "churn");
        assert_ok(r);
        const char *cur = i % 2 ? "racer2" : "racer", *other = i % 2 ? "racer" : "racer2";
        assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", cur, "PolicyName",
                       i % 2 ? "a" : "b", "PolicyDocument",
                       ALLOW("\"Action\":\"s3:ListBucket\",\"Resource\":\"*\"")));
        assert_ok(ROOT(t, "Action", "DeleteAccessKey", "UserName", "churn", "AccessKeyId",
                       xtext(t, r.body, "AccessKeyId")));
        assert_ok(ROOT(t, "Action", "UpdateUser", "UserName", cur, "NewUserName", other));
    }
    atomic_store(&rc.stop, true);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&rc.fails), 0);
    assert_true(atomic_load(&rc.rounds) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bootstrap_first_start, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_restart_and_rotation, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_accounts, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_principal_exists, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_authenticate_keys, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_authenticate_sessions, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_eval_layers, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_eval_role_session, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_persisted, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_and_escaped_records, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_load_10k_users_20k_keys, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_readers_race_writers, ifx_setup, ifx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
