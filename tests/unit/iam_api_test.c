/* tests/unit/iam_api_test.c — iam/iam_api.h, every IAM and STS action
 * against a real SQLite store: success shapes, AWS's errors and messages
 * (ValidationError wording, NoSuchEntity, EntityAlreadyExists, LimitExceeded,
 * DeleteConflict, MalformedPolicyDocument, AccessDenied for users and role
 * sessions), Marker/MaxItems paging, policy size quotas, AWS managed
 * policies, boundaries, simulation and STS sessions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"
#include "meta_fixture.h"
#include "iam_fixture.h"

#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOW(s) "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\"," s "}]}"
#define DENY(s) "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\"," s "}]}"
#define TRUST_ANY "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:AssumeRole\"}}"

static const char *acct_id(struct ifx *t)
{
    struct res r = STS(t, ROOT_KEY, "Action", "GetCallerIdentity");
    assert_ok(r);
    return xtext(t, r.body, "Account");
}

/* A policy document of about n characters without whitespace. */
static const char *doc_of_size(struct ifx *t, size_t n)
{
    const char *head = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                       "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::";
    const char *tail = "\"}]}";
    size_t fixed = strlen(head) + strlen(tail);
    size_t pad = n > fixed ? n - fixed : 1;
    char *s = pail_arena_alloc(t->f->a, n + fixed + 8);
    strcpy(s, head);
    memset(s + strlen(head), 'x', pad);
    strcpy(s + strlen(head) + pad, tail);
    return s;
}

/* ===== protocol ===== */

static void test_protocol(void **state)
{
    struct ifx *t = *state;
    struct res r = ROOT(t, "Version", "2010-05-08");
    assert_fails(r, PAIL_E_MissingAction);
    r = ROOT(t, "Action", "LaunchRockets", "Version", "2010-05-08");
    assert_fails(r, PAIL_E_InvalidAction);
    assert_non_null(strstr(r.body, "Could not find operation LaunchRockets for version 2010-05-08"));
    assert_non_null(strstr(r.body, "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                                   "<Error><Type>Sender</Type><Code>InvalidAction</Code>"));
    assert_non_null(strstr(r.body, "<RequestId>req-1</RequestId></ErrorResponse>"));
    /* STS actions are not IAM actions, and the reverse */
    assert_fails(ROOT(t, "Action", "AssumeRole"), PAIL_E_InvalidAction);
    assert_fails(STS(t, ROOT_KEY, "Action", "CreateUser"), PAIL_E_InvalidAction);
    /* unknown key */
    r = IAM(t, "AKIANOSUCHKEY0000000", "Action", "ListUsers");
    assert_fails(r, PAIL_E_InvalidClientTokenId);
    assert_string_equal(r.deny, "token");
    /* success shape; Version is not checked */
    r = ROOT(t, "Action", "ListUsers", "Version", "2011-01-01");
    assert_ok(r);
    assert_non_null(strstr(r.body, "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                                   "<ListUsersResult><Users></Users><IsTruncated>false</IsTruncated>"
                                   "</ListUsersResult><ResponseMetadata><RequestId>req-1</RequestId>"
                                   "</ResponseMetadata></ListUsersResponse>"));
    r = STS(t, ROOT_KEY, "Action", "GetCallerIdentity", "Version", "2011-06-15");
    assert_non_null(strstr(r.body, "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));
    /* an action without output has no Result element */
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "v"));
    r = ROOT(t, "Action", "DeleteUser", "UserName", "v");
    assert_ok(r);
    assert_null(strstr(r.body, "DeleteUserResult"));
    assert_non_null(strstr(r.body, "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                                   "<ResponseMetadata>"));
    /* the error document helper for the HTTP side */
    struct pail_buf b;
    pail_buf_init(&b, 4096);
    assert_int_equal(pail_iam_error_doc("sts", PAIL_E_SignatureDoesNotMatch, NULL, "r9", &b), 403);
    assert_non_null(strstr(b.data, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));
    assert_non_null(strstr(b.data, "<Code>SignatureDoesNotMatch</Code>"));
    pail_buf_free(&b);
}

static void test_validation_messages(void **state)
{
    struct ifx *t = *state;
    struct res r = ROOT(t, "Action", "CreateUser", "UserName", "bad name!");
    assert_fails(r, PAIL_E_ValidationError);
    assert_non_null(strstr(r.body, "1 validation error detected: Value &apos;bad name!&apos; at "
                                   "&apos;userName&apos; failed to satisfy constraint: Member must "
                                   "satisfy regular expression pattern: [\\w+=,.@-]+"));
    r = ROOT(t, "Action", "CreateUser");
    assert_non_null(strstr(r.body, "Value null at &apos;userName&apos; failed to satisfy constraint: "
                                   "Member must not be null"));
    char longname[80];
    memset(longname, 'a', 65);
    longname[65] = '\0';
    r = ROOT(t, "Action", "CreateUser", "UserName", longname, "Path", "noslash");
    assert_fails(r, PAIL_E_ValidationError);
    assert_non_null(strstr(r.body, "2 validation errors detected: "));
    assert_non_null(strstr(r.body, "Member must have length less than or equal to 64; Value"));
    assert_non_null(strstr(r.body, "at &apos;path&apos; failed to satisfy constraint: Member must "
                                   "satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"));
    r = ROOT(t, "Action", "ListUsers", "MaxItems", "0");
    assert_non_null(strstr(r.body, "Member must have value greater than or equal to 1"));
    r = ROOT(t, "Action", "ListUsers", "MaxItems", "1001");
    assert_non_null(strstr(r.body, "Member must have value less than or equal to 1000"));
    r = ROOT(t, "Action", "UpdateAccessKey", "AccessKeyId", "AKIAAAAAAAAAAAAAAAAA", "Status", "Paused");
    assert_non_null(strstr(r.body, "Member must satisfy enum value set: [Active, Inactive, Expired]"));
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "ok-user_1+=,.@"));
}

/* ===== users ===== */

static void test_users(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    struct res r = ROOT(t, "Action", "CreateUser", "UserName", "bob", "Path", "/eng/",
                        "Tags.member.1.Key", "team", "Tags.member.1.Value", "core");
    assert_ok(r);
    char arn[96];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:user/eng/bob", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), arn);
    assert_string_equal(xtext(t, r.body, "Path"), "/eng/");
    const char *uid = xtext(t, r.body, "UserId");
    assert_int_equal(strlen(uid), 21);
    assert_memory_equal(uid, "AIDA", 4);
    assert_non_null(strstr(r.body, "<Tags><member><Key>team</Key><Value>core</Value></member></Tags>"));
    assert_true(strlen(xtext(t, r.body, "CreateDate")) == 20); /* 2026-01-02T03:04:05Z */

    r = ROOT(t, "Action", "CreateUser", "UserName", "BOB");
    assert_fails(r, PAIL_E_EntityAlreadyExists);
    assert_non_null(strstr(r.body, "User with name BOB already exists."));
    assert_fails(ROOT(t, "Action", "CreateUser", "UserName", "t", "Tags.member.1.Key", "a",
                      "Tags.member.1.Value", "1", "Tags.member.2.Key", "A", "Tags.member.2.Value", "2"),
                 PAIL_E_InvalidInput);

    r = ROOT(t, "Action", "GetUser", "UserName", "bob");
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "UserId"), uid);
    assert_string_equal(xtext(t, r.body, "UserName"), "bob");
    r = ROOT(t, "Action", "GetUser", "UserName", "nobody");
    assert_fails(r, PAIL_E_NoSuchEntity);
    assert_non_null(strstr(r.body, "The user with name nobody cannot be found."));
    /* GetUser of the root: the account */
    r = ROOT(t, "Action", "GetUser");
    assert_ok(r);
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:root", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), arn);
    assert_string_equal(xtext(t, r.body, "UserId"), acct);
    assert_null(xtext(t, r.body, "UserName"));

    assert_ok(ROOT(t, "Action", "UpdateUser", "UserName", "bob", "NewUserName", "robert",
                   "NewPath", "/ops/"));
    assert_fails(ROOT(t, "Action", "GetUser", "UserName", "bob"), PAIL_E_NoSuchEntity);
    r = ROOT(t, "Action", "GetUser", "UserName", "robert");
    assert_string_equal(xtext(t, r.body, "UserId"), uid);
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:user/ops/robert", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), arn);
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "x"));
    assert_fails(ROOT(t, "Action", "UpdateUser", "UserName", "x", "NewUserName", "ROBERT"),
                 PAIL_E_EntityAlreadyExists);
    assert_fails(ROOT(t, "Action", "UpdateUser", "UserName", "nobody", "NewPath", "/"),
                 PAIL_E_NoSuchEntity);

    /* DeleteUser refuses while the user has keys, policies or groups */
    const char *key, *secret;
    ifx_user_key(t, "robert", &key, &secret);
    r = ROOT(t, "Action", "DeleteUser", "UserName", "robert");
    assert_fails(r, PAIL_E_DeleteConflict);
    assert_non_null(strstr(r.body, "Cannot delete entity, must delete access keys first."));
    assert_ok(ROOT(t, "Action", "DeleteAccessKey", "UserName", "robert", "AccessKeyId", key));
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "robert", "PolicyName", "p",
                   "PolicyDocument", ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\"")));
    r = ROOT(t, "Action", "DeleteUser", "UserName", "robert");
    assert_non_null(strstr(r.body, "Cannot delete entity, must delete policies first."));
    assert_ok(ROOT(t, "Action", "DeleteUserPolicy", "UserName", "robert", "PolicyName", "p"));
    assert_ok(ROOT(t, "Action", "AttachUserPolicy", "UserName", "robert", "PolicyArn",
                   "arn:aws:iam::aws:policy/IAMReadOnlyAccess"));
    r = ROOT(t, "Action", "DeleteUser", "UserName", "robert");
    assert_non_null(strstr(r.body, "Cannot delete entity, must detach all policies first."));
    assert_ok(ROOT(t, "Action", "DetachUserPolicy", "UserName", "robert", "PolicyArn",
                   "arn:aws:iam::aws:policy/IAMReadOnlyAccess"));
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "g"));
    assert_ok(ROOT(t, "Action", "AddUserToGroup", "GroupName", "g", "UserName", "robert"));
    r = ROOT(t, "Action", "DeleteUser", "UserName", "robert");
    assert_non_null(strstr(r.body, "Cannot delete entity, must remove users from group first."));
    assert_ok(ROOT(t, "Action", "RemoveUserFromGroup", "GroupName", "g", "UserName", "robert"));
    assert_ok(ROOT(t, "Action", "DeleteUser", "UserName", "robert"));
    assert_fails(ROOT(t, "Action", "DeleteUser", "UserName", "robert"), PAIL_E_NoSuchEntity);
}

static void test_list_users_paging(void **state)
{
    struct ifx *t = *state;
    const char *names[] = {"carol", "Alice", "dave", "bob", "erin"};
    for (size_t i = 0; i < 5; i++)
        assert_ok(ROOT(t, "Action", "CreateUser", "UserName", names[i],
                       "Path", i % 2 ? "/a/" : "/b/"));
    struct res r = ROOT(t, "Action", "ListUsers", "MaxItems", "2");
    assert_ok(r);
    assert_int_equal(xcount(r.body, "<member>"), 2);
    assert_non_null(strstr(r.body, "<UserName>Alice</UserName>"));
    assert_non_null(strstr(r.body, "<UserName>bob</UserName>"));
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "true");
    const char *m = xtext(t, r.body, "Marker");
    assert_non_null(m);
    r = ROOT(t, "Action", "ListUsers", "MaxItems", "2", "Marker", m);
    assert_non_null(strstr(r.body, "<UserName>carol</UserName>"));
    assert_non_null(strstr(r.body, "<UserName>dave</UserName>"));
    m = xtext(t, r.body, "Marker");
    r = ROOT(t, "Action", "ListUsers", "MaxItems", "2", "Marker", m);
    assert_int_equal(xcount(r.body, "<member>"), 1);
    assert_non_null(strstr(r.body, "<UserName>erin</UserName>"));
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "false");
    assert_null(xtext(t, r.body, "Marker"));
    r = ROOT(t, "Action", "ListUsers", "PathPrefix", "/a/");
    assert_int_equal(xcount(r.body, "<member>"), 2);
    /* listings leave tags out, as AWS does */
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "z", "Tags.member.1.Key", "k",
                   "Tags.member.1.Value", "v"));
    r = ROOT(t, "Action", "ListUsers");
    assert_null(strstr(r.body, "<Tags>"));
}

/* ===== access keys ===== */

static void test_access_keys(void **state)
{
    struct ifx *t = *state;
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "kay"));
    struct res r = ROOT(t, "Action", "CreateAccessKey", "UserName", "kay");
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "UserName"), "kay");
    assert_string_equal(xtext(t, r.body, "Status"), "Active");
    const char *k1 = xtext(t, r.body, "AccessKeyId");
    assert_int_equal(strlen(k1), 20);
    assert_int_equal(strlen(xtext(t, r.body, "SecretAccessKey")), 40);
    assert_ok(ROOT(t, "Action", "CreateAccessKey", "UserName", "kay"));
    r = ROOT(t, "Action", "CreateAccessKey", "UserName", "kay");
    assert_fails(r, PAIL_E_LimitExceeded);
    assert_non_null(strstr(r.body, "Cannot exceed quota for AccessKeysPerUser: 2"));
    assert_fails(ROOT(t, "Action", "CreateAccessKey", "UserName", "nobody"), PAIL_E_NoSuchEntity);

    r = ROOT(t, "Action", "ListAccessKeys", "UserName", "kay");
    assert_ok(r);
    assert_int_equal(xcount(r.body, "<member>"), 2);
    assert_null(strstr(r.body, "SecretAccessKey")); /* only the creating call shows it */
    r = ROOT(t, "Action", "ListAccessKeys", "UserName", "kay", "MaxItems", "1");
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "true");

    r = ROOT(t, "Action", "GetAccessKeyLastUsed", "AccessKeyId", k1);
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "ServiceName"), "N/A");
    assert_string_equal(xtext(t, r.body, "Region"), "N/A");
    char secret[64];
    struct pail_credential cr;
    assert_err(pail_identity_authenticate(t->id, k1, NULL, "s3", "us-west-2", secret, sizeof secret,
                                          t->f->a, &cr), PAIL_OK);
    r = ROOT(t, "Action", "GetAccessKeyLastUsed", "AccessKeyId", k1);
    assert_string_equal(xtext(t, r.body, "ServiceName"), "s3");
    assert_string_equal(xtext(t, r.body, "Region"), "us-west-2");
    /* deferred: nothing recorded until the caller notes a verified use */
    assert_err(pail_identity_authenticate(t->id, k1, NULL, NULL, "eu-north-1", secret, sizeof secret,
                                          t->f->a, &cr), PAIL_OK);
    r = ROOT(t, "Action", "GetAccessKeyLastUsed", "AccessKeyId", k1);
    assert_string_equal(xtext(t, r.body, "Region"), "us-west-2");
    pail_identity_note_use(t->id, k1, "iam", "eu-north-1");
    r = ROOT(t, "Action", "GetAccessKeyLastUsed", "AccessKeyId", k1);
    assert_string_equal(xtext(t, r.body, "ServiceName"), "iam");
    assert_string_equal(xtext(t, r.body, "Region"), "eu-north-1");
    pail_identity_note_use(t->id, "AKIANOSUCHKEY0000000", "s3", "x"); /* no-op */

    assert_ok(ROOT(t, "Action", "UpdateAccessKey", "UserName", "kay", "AccessKeyId", k1,
                   "Status", "Inactive"));
    r = ROOT(t, "Action", "ListAccessKeys", "UserName", "kay");
    assert_non_null(strstr(r.body, "<Status>Inactive</Status>"));
    r = ROOT(t, "Action", "UpdateAccessKey", "UserName", "kay", "AccessKeyId", "AKIANOSUCH0000000000",
             "Status", "Active");
    assert_fails(r, PAIL_E_NoSuchEntity);
    assert_non_null(strstr(r.body, "The Access Key with id AKIANOSUCH0000000000 cannot be found."));
    /* a key of another user is not found under this one */
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "lee"));
    assert_fails(ROOT(t, "Action", "DeleteAccessKey", "UserName", "lee", "AccessKeyId", k1),
                 PAIL_E_NoSuchEntity);
    assert_ok(ROOT(t, "Action", "DeleteAccessKey", "UserName", "kay", "AccessKeyId", k1));
    assert_fails(ROOT(t, "Action", "GetAccessKeyLastUsed", "AccessKeyId", k1), PAIL_E_NoSuchEntity);

    /* without UserName: the caller's own keys */
    const char *lkey, *lsecret;
    ifx_user_key(t, "lee", &lkey, &lsecret);
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "lee", "PolicyName", "self",
                   "PolicyDocument", ALLOW("\"Action\":\"iam:*AccessKey*\",\"Resource\":\"*\"")));
    r = IAM(t, lkey, "Action", "CreateAccessKey");
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "UserName"), "lee");
    r = IAM(t, lkey, "Action", "ListAccessKeys");
    assert_int_equal(xcount(r.body, "<UserName>lee</UserName>"), 2);
    /* the root's own keys */
    r = ROOT(t, "Action", "ListAccessKeys");
    assert_non_null(strstr(r.body, ROOT_KEY));
    r = ROOT(t, "Action", "DeleteAccessKey", "AccessKeyId", ROOT_KEY);
    assert_fails(r, PAIL_E_InvalidInput);
}

/* ===== groups ===== */

static void test_groups(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    struct res r = ROOT(t, "Action", "CreateGroup", "GroupName", "devs", "Path", "/eng/");
    assert_ok(r);
    const char *gid = xtext(t, r.body, "GroupId");
    assert_memory_equal(gid, "AGPA", 4);
    char arn[96];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:group/eng/devs", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), arn);
    r = ROOT(t, "Action", "CreateGroup", "GroupName", "Devs");
    assert_fails(r, PAIL_E_EntityAlreadyExists);
    assert_non_null(strstr(r.body, "Group with name Devs already exists."));
    for (int i = 0; i < 3; i++) {
        char u[16];
        snprintf(u, sizeof u, "u%d", i);
        assert_ok(ROOT(t, "Action", "CreateUser", "UserName", u));
        assert_ok(ROOT(t, "Action", "AddUserToGroup", "GroupName", "devs", "UserName", u));
    }
    assert_ok(ROOT(t, "Action", "AddUserToGroup", "GroupName", "devs", "UserName", "u0")); /* again */
    assert_fails(ROOT(t, "Action", "AddUserToGroup", "GroupName", "nope", "UserName", "u0"),
                 PAIL_E_NoSuchEntity);
    r = ROOT(t, "Action", "AddUserToGroup", "GroupName", "devs", "UserName", "nope");
    assert_non_null(strstr(r.body, "The user with name nope cannot be found."));

    r = ROOT(t, "Action", "GetGroup", "GroupName", "devs", "MaxItems", "2");
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "GroupId"), gid);
    assert_int_equal(xcount(r.body, "<member>"), 2);
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "true");
    r = ROOT(t, "Action", "GetGroup", "GroupName", "devs", "Marker", xtext(t, r.body, "Marker"));
    assert_int_equal(xcount(r.body, "<member>"), 1);
    assert_non_null(strstr(r.body, "<UserName>u2</UserName>"));
    r = ROOT(t, "Action", "ListGroupsForUser", "UserName", "u1");
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "GroupName"), "devs");

    assert_ok(ROOT(t, "Action", "UpdateGroup", "GroupName", "devs", "NewGroupName", "builders",
                   "NewPath", "/"));
    r = ROOT(t, "Action", "ListGroupsForUser", "UserName", "u1");
    assert_string_equal(xtext(t, r.body, "GroupName"), "builders");
    r = ROOT(t, "Action", "DeleteGroup", "GroupName", "builders");
    assert_fails(r, PAIL_E_DeleteConflict);
    assert_non_null(strstr(r.body, "Cannot delete entity, must remove users from group first."));
    for (int i = 0; i < 3; i++) {
        char u[16];
        snprintf(u, sizeof u, "u%d", i);
        assert_ok(ROOT(t, "Action", "RemoveUserFromGroup", "GroupName", "builders", "UserName", u));
    }
    assert_fails(ROOT(t, "Action", "RemoveUserFromGroup", "GroupName", "builders", "UserName", "u0"),
                 PAIL_E_NoSuchEntity);
    assert_ok(ROOT(t, "Action", "PutGroupPolicy", "GroupName", "builders", "PolicyName", "p",
                   "PolicyDocument", ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\"")));
    r = ROOT(t, "Action", "DeleteGroup", "GroupName", "builders");
    assert_non_null(strstr(r.body, "Cannot delete entity, must delete policies first."));
    assert_ok(ROOT(t, "Action", "DeleteGroupPolicy", "GroupName", "builders", "PolicyName", "p"));
    assert_ok(ROOT(t, "Action", "AttachGroupPolicy", "GroupName", "builders", "PolicyArn",
                   "arn:aws:iam::aws:policy/AmazonS3FullAccess"));
    r = ROOT(t, "Action", "DeleteGroup", "GroupName", "builders");
    assert_non_null(strstr(r.body, "Cannot delete entity, must detach all policies first."));
    assert_ok(ROOT(t, "Action", "DetachGroupPolicy", "GroupName", "builders", "PolicyArn",
                   "arn:aws:iam::aws:policy/AmazonS3FullAccess"));
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "other", "Path", "/x/"));
    r = ROOT(t, "Action", "ListGroups");
    assert_int_equal(xcount(r.body, "<member>"), 2);
    r = ROOT(t, "Action", "ListGroups", "PathPrefix", "/x");
    assert_int_equal(xcount(r.body, "<member>"), 1);
    assert_ok(ROOT(t, "Action", "DeleteGroup", "GroupName", "builders"));
    r = ROOT(t, "Action", "GetGroup", "GroupName", "builders");
    assert_non_null(strstr(r.body, "The group with name builders cannot be found."));
    /* quota: ten groups per user */
    for (int i = 0; i < 11; i++) {
        char g[16];
        snprintf(g, sizeof g, "q%d", i);
        assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", g));
        r = ROOT(t, "Action", "AddUserToGroup", "GroupName", g, "UserName", "u0");
        if (i < 10)
            assert_ok(r);
        else
            assert_fails(r, PAIL_E_LimitExceeded);
    }
}

/* ===== roles ===== */

static void test_roles(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    struct res r = ROOT(t, "Action", "CreateRole", "RoleName", "app", "Path", "/svc/",
                        "AssumeRolePolicyDocument", TRUST_ANY, "Description", "the app",
                        "MaxSessionDuration", "7200");
    assert_ok(r);
    const char *rid = xtext(t, r.body, "RoleId");
    assert_memory_equal(rid, "AROA", 4);
    char arn[96];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:role/svc/app", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), arn);
    /* documents come back URL-encoded */
    assert_string_equal(xtext(t, r.body, "AssumeRolePolicyDocument"),
                        "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS"
                        "%22%3A%22%2A%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D");
    assert_string_equal(xtext(t, r.body, "MaxSessionDuration"), "7200");
    assert_fails(ROOT(t, "Action", "CreateRole", "RoleName", "APP", "AssumeRolePolicyDocument", TRUST_ANY),
                 PAIL_E_EntityAlreadyExists);
    r = ROOT(t, "Action", "CreateRole", "RoleName", "r2", "AssumeRolePolicyDocument", TRUST_ANY,
             "MaxSessionDuration", "60");
    assert_fails(r, PAIL_E_ValidationError);
    assert_non_null(strstr(r.body, "at &apos;maxSessionDuration&apos; failed to satisfy constraint: "
                                   "Member must have value greater than or equal to 3600"));
    /* a trust policy must name principals, and they must exist */
    r = ROOT(t, "Action", "CreateRole", "RoleName", "r3", "AssumeRolePolicyDocument",
             ALLOW("\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\""));
    assert_fails(r, PAIL_E_MalformedPolicyDocument);
    r = ROOT(t, "Action", "CreateRole", "RoleName", "r3", "AssumeRolePolicyDocument",
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999999999999:user/ghost\"},"
             "\"Action\":\"sts:AssumeRole\"}}");
    assert_fails(r, PAIL_E_MalformedPolicyDocument);
    assert_non_null(strstr(r.body, "Invalid principal in policy"));
    assert_fails(ROOT(t, "Action", "CreateRole", "RoleName", "r3", "AssumeRolePolicyDocument", "{nope"),
                 PAIL_E_MalformedPolicyDocument);
    r = ROOT(t, "Action", "CreateRole", "RoleName", "r4", "AssumeRolePolicyDocument", doc_of_size(t, 2100));
    assert_true(r.err == PAIL_E_MalformedPolicyDocument || r.err == PAIL_E_LimitExceeded);

    r = ROOT(t, "Action", "GetRole", "RoleName", "app");
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "Description"), "the app");
    assert_non_null(strstr(r.body, "<RoleLastUsed></RoleLastUsed>"));
    r = ROOT(t, "Action", "GetRole", "RoleName", "nope");
    assert_fails(r, PAIL_E_NoSuchEntity);
    assert_non_null(strstr(r.body, "The role with name nope cannot be found."));
    r = ROOT(t, "Action", "UpdateRole", "RoleName", "app", "Description", "new", "MaxSessionDuration", "43200");
    assert_ok(r);
    assert_non_null(strstr(r.body, "<UpdateRoleResult></UpdateRoleResult>"));
    r = ROOT(t, "Action", "GetRole", "RoleName", "app");
    assert_string_equal(xtext(t, r.body, "Description"), "new");
    assert_string_equal(xtext(t, r.body, "MaxSessionDuration"), "43200");
    const char *trust2 = "{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}}";
    assert_ok(ROOT(t, "Action", "UpdateAssumeRolePolicy", "RoleName", "app", "PolicyDocument", trust2));
    r = ROOT(t, "Action", "GetRole", "RoleName", "app");
    assert_non_null(strstr(xtext(t, r.body, "AssumeRolePolicyDocument"), "Deny"));
    assert_fails(ROOT(t, "Action", "UpdateAssumeRolePolicy", "RoleName", "app", "PolicyDocument", "[]"),
                 PAIL_E_MalformedPolicyDocument);

    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "b", "AssumeRolePolicyDocument", TRUST_ANY));
    r = ROOT(t, "Action", "ListRoles");
    assert_int_equal(xcount(r.body, "<member>"), 2);
    r = ROOT(t, "Action", "ListRoles", "PathPrefix", "/svc/", "MaxItems", "1");
    assert_int_equal(xcount(r.body, "<member>"), 1);
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "false");

    assert_ok(ROOT(t, "Action", "PutRolePolicy", "RoleName", "app", "PolicyName", "p",
                   "PolicyDocument", ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\"")));
    r = ROOT(t, "Action", "DeleteRole", "RoleName", "app");
    assert_fails(r, PAIL_E_DeleteConflict);
    assert_non_null(strstr(r.body, "Cannot delete entity, must delete policies first."));
    assert_ok(ROOT(t, "Action", "DeleteRolePolicy", "RoleName", "app", "PolicyName", "p"));
    assert_ok(ROOT(t, "Action", "AttachRolePolicy", "RoleName", "app", "PolicyArn",
                   "arn:aws:iam::aws:policy/AdministratorAccess"));
    r = ROOT(t, "Action", "DeleteRole", "RoleName", "app");
    assert_non_null(strstr(r.body, "Cannot delete entity, must detach all policies first."));
    assert_ok(ROOT(t, "Action", "DetachRolePolicy", "RoleName", "app", "PolicyArn",
                   "arn:aws:iam::aws:policy/AdministratorAccess"));
    assert_ok(ROOT(t, "Action", "DeleteRole", "RoleName", "app"));
    assert_fails(ROOT(t, "Action", "DeleteRole", "RoleName", "app"), PAIL_E_NoSuchEntity);
}

/* ===== inline policies ===== */

static void inline_round(struct ifx *t, const char *kind, const char *param, const char *name,
                         size_t quota)
{
    char put[32], get[32], del[32], list[32];
    snprintf(put, sizeof put, "Put%sPolicy", kind);
    snprintf(get, sizeof get, "Get%sPolicy", kind);
    snprintf(del, sizeof del, "Delete%sPolicy", kind);
    snprintf(list, sizeof list, "List%sPolicies", kind);
    const char *doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", "
                      "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]\n}";
    assert_ok(ROOT(t, "Action", put, param, name, "PolicyName", "read", "PolicyDocument", doc));
    struct res r = ROOT(t, "Action", get, param, name, "PolicyName", "read");
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, param), name);
    assert_string_equal(xtext(t, r.body, "PolicyName"), "read");
    assert_string_equal(xtext(t, r.body, "PolicyDocument"),
                        "%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22%2C%0A%20%20%22Statement%22%3A"
                        "%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22s3%3AGetObject"
                        "%22%2C%20%22Resource%22%3A%20%22%2A%22%7D%5D%0A%7D");
    r = ROOT(t, "Action", get, param, name, "PolicyName", "nope");
    assert_fails(r, PAIL_E_NoSuchEntity);
    char msg[96];
    snprintf(msg, sizeof msg, "The %s policy with name nope cannot be found.",
             strcmp(kind, "User") == 0 ? "user" : strcmp(kind, "Group") == 0 ? "group" : "role");
    assert_non_null(strstr(r.body, msg));
    r = ROOT(t, "Action", put, param, name, "PolicyName", "bad", "PolicyDocument", "{\"Statement\":[]}");
    assert_fails(r, PAIL_E_MalformedPolicyDocument);
    r = ROOT(t, "Action", put, param, name, "PolicyName", "bad", "PolicyDocument",
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}");
    assert_fails(r, PAIL_E_MalformedPolicyDocument);
    assert_fails(ROOT(t, "Action", put, param, "nobody", "PolicyName", "p", "PolicyDocument", doc),
                 PAIL_E_NoSuchEntity);
    /* the quota counts every inline policy of the entity, without whitespace */
    r = ROOT(t, "Action", put, param, name, "PolicyName", "big", "PolicyDocument", doc_of_size(t, quota - 60));
    assert_fails(r, PAIL_E_LimitExceeded);
    snprintf(msg, sizeof msg, "Maximum policy size of %zu bytes exceeded", quota);
    assert_non_null(strstr(r.body, msg));
    size_t nows_read = pail_policy_size_nows(doc, strlen(doc));
    assert_ok(ROOT(t, "Action", put, param, name, "PolicyName", "big", "PolicyDocument",
                   doc_of_size(t, quota - nows_read)));
    assert_ok(ROOT(t, "Action", put, param, name, "PolicyName", "READ", "PolicyDocument", doc));
    r = ROOT(t, "Action", list, param, name);
    assert_ok(r);
    assert_int_equal(xcount(r.body, "<member>"), 2);
    assert_non_null(strstr(r.body, "<member>READ</member>"));
    r = ROOT(t, "Action", list, param, name, "MaxItems", "1");
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "true");
    assert_ok(ROOT(t, "Action", del, param, name, "PolicyName", "big"));
    assert_fails(ROOT(t, "Action", del, param, name, "PolicyName", "big"), PAIL_E_NoSuchEntity);
    assert_ok(ROOT(t, "Action", del, param, name, "PolicyName", "read"));
}

static void test_inline_policies(void **state)
{
    struct ifx *t = *state;
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "iu"));
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "ig"));
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "ir", "AssumeRolePolicyDocument", TRUST_ANY));
    inline_round(t, "User", "UserName", "iu", 2048);
    inline_round(t, "Group", "GroupName", "ig", 5120);
    inline_round(t, "Role", "RoleName", "ir", 10240);
}

/* ===== managed policies ===== */

static void test_managed_policies(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    const char *doc = ALLOW("\"Action\":\"s3:GetObject\",\"Resource\":\"*\"");
    struct res r = ROOT(t, "Action", "CreatePolicy", "PolicyName", "reader", "Path", "/team/",
                        "PolicyDocument", doc, "Description", "reads");
    assert_ok(r);
    char arn[96];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:policy/team/reader", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), arn);
    assert_memory_equal(xtext(t, r.body, "PolicyId"), "ANPA", 4);
    assert_string_equal(xtext(t, r.body, "DefaultVersionId"), "v1");
    assert_string_equal(xtext(t, r.body, "AttachmentCount"), "0");
    assert_string_equal(xtext(t, r.body, "IsAttachable"), "true");
    r = ROOT(t, "Action", "CreatePolicy", "PolicyName", "READER", "PolicyDocument", doc);
    assert_fails(r, PAIL_E_EntityAlreadyExists);
    assert_non_null(strstr(r.body, "A policy called READER already exists. Duplicate names are not allowed."));
    r = ROOT(t, "Action", "CreatePolicy", "PolicyName", "huge", "PolicyDocument", doc_of_size(t, 6200));
    assert_fails(r, PAIL_E_LimitExceeded);
    assert_non_null(strstr(r.body, "Cannot exceed quota for PolicySize: 6144"));
    assert_ok(ROOT(t, "Action", "CreatePolicy", "PolicyName", "fits", "PolicyDocument", doc_of_size(t, 6144)));
    assert_fails(ROOT(t, "Action", "CreatePolicy", "PolicyName", "bad", "PolicyDocument", "not json"),
                 PAIL_E_MalformedPolicyDocument);
    assert_fails(ROOT(t, "Action", "CreatePolicy", "PolicyName", "p", "Path", "nopath",
                      "PolicyDocument", doc), PAIL_E_ValidationError);

    r = ROOT(t, "Action", "GetPolicy", "PolicyArn", arn);
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "Description"), "reads");
    r = ROOT(t, "Action", "GetPolicy", "PolicyArn", "arn:aws:iam::123456789012:policy/none");
    assert_fails(r, PAIL_E_NoSuchEntity);
    assert_non_null(strstr(r.body, "Policy arn:aws:iam::123456789012:policy/none was not found."));
    assert_fails(ROOT(t, "Action", "GetPolicy", "PolicyArn", "not-an-arn-at-all-xx"), PAIL_E_InvalidInput);

    /* versions: up to five */
    for (int i = 2; i <= 5; i++) {
        r = ROOT(t, "Action", "CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", doc,
                 "SetAsDefault", i == 3 ? "true" : "false");
        assert_ok(r);
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        assert_string_equal(xtext(t, r.body, "VersionId"), v);
    }
    r = ROOT(t, "Action", "CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", doc);
    assert_fails(r, PAIL_E_LimitExceeded);
    assert_non_null(strstr(r.body, "A managed policy can have up to 5 versions."));
    r = ROOT(t, "Action", "GetPolicy", "PolicyArn", arn);
    assert_string_equal(xtext(t, r.body, "DefaultVersionId"), "v3");
    r = ROOT(t, "Action", "ListPolicyVersions", "PolicyArn", arn);
    assert_ok(r);
    assert_int_equal(xcount(r.body, "<member>"), 5);
    assert_true(strstr(r.body, "<VersionId>v5</VersionId>") < strstr(r.body, "<VersionId>v1</VersionId>"));
    assert_int_equal(xcount(r.body, "<IsDefaultVersion>true</IsDefaultVersion>"), 1);
    r = ROOT(t, "Action", "ListPolicyVersions", "PolicyArn", arn, "MaxItems", "2");
    assert_int_equal(xcount(r.body, "<member>"), 2);
    r = ROOT(t, "Action", "ListPolicyVersions", "PolicyArn", arn, "MaxItems", "4",
             "Marker", xtext(t, r.body, "Marker"));
    assert_int_equal(xcount(r.body, "<member>"), 3);
    r = ROOT(t, "Action", "GetPolicyVersion", "PolicyArn", arn, "VersionId", "v2");
    assert_ok(r);
    assert_non_null(strstr(xtext(t, r.body, "Document"), "%22s3%3AGetObject%22"));
    assert_string_equal(xtext(t, r.body, "IsDefaultVersion"), "false");
    assert_fails(ROOT(t, "Action", "GetPolicyVersion", "PolicyArn", arn, "VersionId", "v9"),
                 PAIL_E_NoSuchEntity);
    assert_fails(ROOT(t, "Action", "GetPolicyVersion", "PolicyArn", arn, "VersionId", "9"),
                 PAIL_E_ValidationError);
    r = ROOT(t, "Action", "DeletePolicyVersion", "PolicyArn", arn, "VersionId", "v3");
    assert_fails(r, PAIL_E_DeleteConflict);
    assert_non_null(strstr(r.body, "Cannot delete the default version of a policy."));
    assert_ok(ROOT(t, "Action", "SetDefaultPolicyVersion", "PolicyArn", arn, "VersionId", "v5"));
    r = ROOT(t, "Action", "DeletePolicy", "PolicyArn", arn);
    assert_fails(r, PAIL_E_DeleteConflict);
    assert_non_null(strstr(r.body, "This policy has more than one version."));
    for (int i = 1; i <= 4; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        assert_ok(ROOT(t, "Action", "DeletePolicyVersion", "PolicyArn", arn, "VersionId", v));
    }
    r = ROOT(t, "Action", "CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", doc);
    assert_string_equal(xtext(t, r.body, "VersionId"), "v6");
    assert_ok(ROOT(t, "Action", "DeletePolicyVersion", "PolicyArn", arn, "VersionId", "v6"));

    /* attachment counts, listings, entities */
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "mu"));
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "mg"));
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "mr", "AssumeRolePolicyDocument", TRUST_ANY));
    assert_ok(ROOT(t, "Action", "AttachUserPolicy", "UserName", "mu", "PolicyArn", arn));
    assert_ok(ROOT(t, "Action", "AttachUserPolicy", "UserName", "mu", "PolicyArn", arn)); /* again */
    assert_ok(ROOT(t, "Action", "AttachGroupPolicy", "GroupName", "mg", "PolicyArn", arn));
    assert_ok(ROOT(t, "Action", "AttachRolePolicy", "RoleName", "mr", "PolicyArn", arn));
    r = ROOT(t, "Action", "AttachUserPolicy", "UserName", "mu", "PolicyArn",
             "arn:aws:iam::aws:policy/NoSuchPolicy");
    assert_fails(r, PAIL_E_NoSuchEntity);
    assert_non_null(strstr(r.body, "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable."));
    r = ROOT(t, "Action", "GetPolicy", "PolicyArn", arn);
    assert_string_equal(xtext(t, r.body, "AttachmentCount"), "3");
    r = ROOT(t, "Action", "ListAttachedUserPolicies", "UserName", "mu");
    assert_ok(r);
    assert_non_null(strstr(r.body, "<member><PolicyName>reader</PolicyName><PolicyArn>"));
    r = ROOT(t, "Action", "ListAttachedGroupPolicies", "GroupName", "mg", "PathPrefix", "/other/");
    assert_int_equal(xcount(r.body, "<member>"), 0);
    r = ROOT(t, "Action", "ListAttachedRolePolicies", "RoleName", "mr");
    assert_int_equal(xcount(r.body, "<member>"), 1);
    r = ROOT(t, "Action", "ListEntitiesForPolicy", "PolicyArn", arn);
    assert_ok(r);
    assert_non_null(strstr(r.body, "<PolicyGroups><member><GroupName>mg</GroupName>"));
    assert_non_null(strstr(r.body, "<PolicyUsers><member><UserName>mu</UserName>"));
    assert_non_null(strstr(r.body, "<PolicyRoles><member><RoleName>mr</RoleName>"));
    r = ROOT(t, "Action", "ListEntitiesForPolicy", "PolicyArn", arn, "EntityFilter", "Role");
    assert_int_equal(xcount(r.body, "<member>"), 1);
    r = ROOT(t, "Action", "ListEntitiesForPolicy", "PolicyArn", arn, "MaxItems", "2");
    assert_int_equal(xcount(r.body, "<member>"), 2);
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "true");

    r = ROOT(t, "Action", "ListPolicies", "Scope", "Local");
    assert_int_equal(xcount(r.body, "<member>"), 2);
    r = ROOT(t, "Action", "ListPolicies", "Scope", "Local", "OnlyAttached", "true");
    assert_int_equal(xcount(r.body, "<member>"), 1);
    r = ROOT(t, "Action", "ListPolicies", "Scope", "AWS");
    assert_int_equal(xcount(r.body, "<member>"), 5);
    r = ROOT(t, "Action", "ListPolicies");
    assert_int_equal(xcount(r.body, "<member>"), 7);
    r = ROOT(t, "Action", "ListPolicies", "PathPrefix", "/team/");
    assert_int_equal(xcount(r.body, "<member>"), 1);
    r = ROOT(t, "Action", "ListPolicies", "OnlyAttached", "true", "PolicyUsageFilter", "PermissionsBoundary");
    assert_int_equal(xcount(r.body, "<member>"), 0);
    r = ROOT(t, "Action", "ListPolicies", "MaxItems", "3");
    assert_int_equal(xcount(r.body, "<member>"), 3);
    const char *m = xtext(t, r.body, "Marker");
    r = ROOT(t, "Action", "ListPolicies", "MaxItems", "5", "Marker", m);
    assert_int_equal(xcount(r.body, "<member>"), 4);

    r = ROOT(t, "Action", "DeletePolicy", "PolicyArn", arn);
    assert_fails(r, PAIL_E_DeleteConflict);
    assert_non_null(strstr(r.body, "Cannot delete a policy attached to entities."));
    assert_ok(ROOT(t, "Action", "DetachUserPolicy", "UserName", "mu", "PolicyArn", arn));
    r = ROOT(t, "Action", "DetachUserPolicy", "UserName", "mu", "PolicyArn", arn);
    assert_fails(r, PAIL_E_NoSuchEntity);
    assert_ok(ROOT(t, "Action", "DetachGroupPolicy", "GroupName", "mg", "PolicyArn", arn));
    assert_ok(ROOT(t, "Action", "DetachRolePolicy", "RoleName", "mr", "PolicyArn", arn));
    assert_ok(ROOT(t, "Action", "DeletePolicy", "PolicyArn", arn));
    assert_fails(ROOT(t, "Action", "GetPolicy", "PolicyArn", arn), PAIL_E_NoSuchEntity);

    /* ten attached policies per entity */
    for (int i = 0; i < 11; i++) {
        char n[16];
        snprintf(n, sizeof n, "a%d", i);
        r = ROOT(t, "Action", "CreatePolicy", "PolicyName", n, "PolicyDocument", doc);
        assert_ok(r);
        r = ROOT(t, "Action", "AttachUserPolicy", "UserName", "mu", "PolicyArn", xtext(t, r.body, "Arn"));
        if (i < 10)
            assert_ok(r);
        else {
            assert_fails(r, PAIL_E_LimitExceeded);
            assert_non_null(strstr(r.body, "Cannot exceed quota for PoliciesPerUser: 10"));
        }
    }
}

static void test_aws_managed_policies(void **state)
{
    struct ifx *t = *state;
    const char *names[] = {"AdministratorAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess",
                           "IAMFullAccess", "IAMReadOnlyAccess"};
    for (size_t i = 0; i < 5; i++) {
        char arn[96];
        snprintf(arn, sizeof arn, "arn:aws:iam::aws:policy/%s", names[i]);
        struct res r = ROOT(t, "Action", "GetPolicy", "PolicyArn", arn);
        assert_ok(r);
        assert_string_equal(xtext(t, r.body, "PolicyName"), names[i]);
        assert_string_equal(xtext(t, r.body, "Arn"), arn);
        r = ROOT(t, "Action", "GetPolicyVersion", "PolicyArn", arn, "VersionId",
                 xtext(t, r.body, "DefaultVersionId"));
        assert_ok(r);
    }
    struct res r = ROOT(t, "Action", "GetPolicy", "PolicyArn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
    assert_string_equal(xtext(t, r.body, "PolicyId"), "ANPAIZTJ4DXE7G6AGAE6M");
    assert_string_equal(xtext(t, r.body, "DefaultVersionId"), "v3");
    r = ROOT(t, "Action", "GetPolicyVersion", "PolicyArn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
             "VersionId", "v3");
    const char *d = xtext(t, r.body, "Document");
    assert_non_null(strstr(d, "%22s3%3AGet%2A%22"));
    assert_non_null(strstr(d, "%22s3-object-lambda%3AList%2A%22"));

    /* attachable; never deletable or changeable */
    const char *key = ifx_user_with(t, "reader", NULL);
    assert_ok(ROOT(t, "Action", "AttachUserPolicy", "UserName", "reader", "PolicyArn",
                   "arn:aws:iam::aws:policy/IAMReadOnlyAccess"));
    r = ROOT(t, "Action", "GetPolicy", "PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess");
    assert_string_equal(xtext(t, r.body, "AttachmentCount"), "1");
    assert_ok(IAM(t, key, "Action", "ListUsers"));
    assert_fails(IAM(t, key, "Action", "CreateUser", "UserName", "x"), PAIL_E_AccessDenied);
    assert_fails(ROOT(t, "Action", "DeletePolicy", "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
                 PAIL_E_AccessDenied);
    assert_fails(ROOT(t, "Action", "CreatePolicyVersion", "PolicyArn",
                      "arn:aws:iam::aws:policy/AdministratorAccess", "PolicyDocument",
                      ALLOW("\"Action\":\"*\",\"Resource\":\"*\"")), PAIL_E_AccessDenied);
    /* visible to every account */
    struct pail_account other;
    assert_err(pail_identity_account_create(t->id, "other", "o@example.com", t->f->a, &other), PAIL_OK);
    assert_ok(IAM(t, other.access_key, "Action", "CreateUser", "UserName", "u"));
    assert_ok(IAM(t, other.access_key, "Action", "AttachUserPolicy", "UserName", "u", "PolicyArn",
                  "arn:aws:iam::aws:policy/AmazonS3FullAccess"));
    r = IAM(t, other.access_key, "Action", "GetPolicy", "PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess");
    assert_string_equal(xtext(t, r.body, "AttachmentCount"), "0"); /* counted per account */
}

/* ===== permissions boundaries ===== */

static void test_boundaries(void **state)
{
    struct ifx *t = *state;
    struct res r = ROOT(t, "Action", "CreatePolicy", "PolicyName", "bound", "PolicyDocument",
                        ALLOW("\"Action\":\"iam:List*\",\"Resource\":\"*\""));
    const char *barn = xtext(t, r.body, "Arn");
    const char *key = ifx_user_with(t, "bu", ALLOW("\"Action\":\"iam:*\",\"Resource\":\"*\""));
    assert_ok(IAM(t, key, "Action", "GetUser"));
    assert_ok(ROOT(t, "Action", "PutUserPermissionsBoundary", "UserName", "bu",
                   "PermissionsBoundary", barn));
    r = ROOT(t, "Action", "GetUser", "UserName", "bu");
    assert_non_null(strstr(r.body, "<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy"
                                   "</PermissionsBoundaryType><PermissionsBoundaryArn>"));
    r = IAM(t, key, "Action", "GetUser");
    assert_fails(r, PAIL_E_AccessDenied);
    assert_non_null(strstr(r.body, "because no permissions boundary allows the iam:GetUser action"));
    assert_string_equal(r.deny, "boundary:implicit");
    assert_ok(IAM(t, key, "Action", "ListUsers"));
    r = ROOT(t, "Action", "GetPolicy", "PolicyArn", barn);
    assert_string_equal(xtext(t, r.body, "PermissionsBoundaryUsageCount"), "1");
    r = ROOT(t, "Action", "ListEntitiesForPolicy", "PolicyArn", barn, "PolicyUsageFilter", "PermissionsBoundary");
    assert_non_null(strstr(r.body, "<UserName>bu</UserName>"));
    r = ROOT(t, "Action", "DeletePolicy", "PolicyArn", barn);
    assert_fails(r, PAIL_E_DeleteConflict);
    assert_fails(ROOT(t, "Action", "PutUserPermissionsBoundary", "UserName", "bu", "PermissionsBoundary",
                      "arn:aws:iam::aws:policy/Nope"), PAIL_E_NoSuchEntity);
    assert_ok(ROOT(t, "Action", "DeleteUserPermissionsBoundary", "UserName", "bu"));
    assert_ok(IAM(t, key, "Action", "GetUser"));

    /* roles, and CreateUser/CreateRole with a boundary */
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "br", "AssumeRolePolicyDocument", TRUST_ANY,
                   "PermissionsBoundary", barn));
    r = ROOT(t, "Action", "GetRole", "RoleName", "br");
    assert_string_equal(xtext(t, r.body, "PermissionsBoundaryArn"), barn);
    assert_ok(ROOT(t, "Action", "DeleteRolePermissionsBoundary", "RoleName", "br"));
    r = ROOT(t, "Action", "GetRole", "RoleName", "br");
    assert_null(strstr(r.body, "PermissionsBoundaryArn"));
    assert_ok(ROOT(t, "Action", "PutRolePermissionsBoundary", "RoleName", "br", "PermissionsBoundary",
                   "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));
    r = ROOT(t, "Action", "CreateUser", "UserName", "bb", "PermissionsBoundary", barn);
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "PermissionsBoundaryArn"), barn);
    assert_fails(ROOT(t, "Action", "CreateUser", "UserName", "bc", "PermissionsBoundary",
                      "arn:aws:iam::aws:policy/Nope"), PAIL_E_NoSuchEntity);
}

/* ===== authorization of IAM actions ===== */

static void test_authorization_messages(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    const char *key = ifx_user_with(t, "analyst", NULL);
    struct res r = IAM(t, key, "Action", "CreateUser", "UserName", "bob");
    assert_fails(r, PAIL_E_AccessDenied);
    char want[256];
    snprintf(want, sizeof want,
             "User: arn:aws:iam::%s:user/analyst is not authorized to perform: iam:CreateUser on "
             "resource: arn:aws:iam::%s:user/bob because no identity-based policy allows the "
             "iam:CreateUser action", acct, acct);
    assert_string_equal(xtext(t, r.body, "Message"), want);
    assert_string_equal(r.deny, "identity:implicit");

    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "analyst", "PolicyName", "users",
                   "PolicyDocument", ALLOW("\"Action\":\"iam:*User*\",\"Resource\":\"*\"")));
    assert_ok(IAM(t, key, "Action", "CreateUser", "UserName", "bob"));
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "analyst", "PolicyName", "no-del",
                   "PolicyDocument", DENY("\"Action\":\"iam:DeleteUser\",\"Resource\":\"*\"")));
    r = IAM(t, key, "Action", "DeleteUser", "UserName", "bob");
    assert_fails(r, PAIL_E_AccessDenied);
    snprintf(want, sizeof want,
             "User: arn:aws:iam::%s:user/analyst is not authorized to perform: iam:DeleteUser on "
             "resource: arn:aws:iam::%s:user/bob with an explicit deny in an identity-based policy",
             acct, acct);
    assert_string_equal(xtext(t, r.body, "Message"), want);
    assert_string_equal(r.deny, "identity:explicit");
    /* resources are the entities' ARNs: a policy limited to a path */
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "analyst", "PolicyName", "users",
                   "PolicyDocument", ALLOW("\"Action\":\"iam:*\",\"Resource\":\"arn:aws:iam::*:user/team/*\"")));
    assert_fails(IAM(t, key, "Action", "CreateUser", "UserName", "c1"), PAIL_E_AccessDenied);
    assert_ok(IAM(t, key, "Action", "CreateUser", "UserName", "c1", "Path", "/team/"));
    assert_fails(IAM(t, key, "Action", "ListUsers"), PAIL_E_AccessDenied);
    assert_ok(IAM(t, key, "Action", "ListUsers", "PathPrefix", "/team/"));
    /* condition context reaches the policies */
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "analyst", "PolicyName", "users",
                   "PolicyDocument", ALLOW("\"Action\":\"iam:ListUsers\",\"Resource\":\"*\","
                                           "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}")));
    assert_fails(IAM(t, key, "Action", "ListUsers"), PAIL_E_AccessDenied);
    const char *yes[] = {"true"};
    struct pail_cond_entry ctx[] = {{"aws:SecureTransport", yes, 1}};
    struct pail_iam_param p[] = {{"Action", "ListUsers"}};
    struct pail_iam_call call = {.service = "iam", .params = p, .nparams = 1, .access_key = key,
                                 .ctx = ctx, .nctx = 1, .request_id = "x"};
    struct pail_buf b;
    pail_buf_init(&b, 1 << 16);
    int status;
    const char *deny;
    assert_err(pail_iam_handle(t->id, &call, t->f->a, &b, &status, &deny), PAIL_OK);
    assert_null(deny);
    pail_buf_free(&b);
    /* IAM actions act inside the caller's account only */
    struct pail_account other;
    assert_err(pail_identity_account_create(t->id, "other", "o@example.com", t->f->a, &other), PAIL_OK);
    r = IAM(t, other.access_key, "Action", "ListUsers");
    assert_int_equal(xcount(r.body, "<member>"), 0);
    assert_fails(IAM(t, other.access_key, "Action", "GetUser", "UserName", "analyst"), PAIL_E_NoSuchEntity);
}

/* ===== account summary ===== */

static void test_account_summary(void **state)
{
    struct ifx *t = *state;
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "s1"));
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "s2"));
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "g"));
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", TRUST_ANY));
    assert_ok(ROOT(t, "Action", "CreatePolicy", "PolicyName", "p", "PolicyDocument",
                   ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\"")));
    struct res r = ROOT(t, "Action", "GetAccountSummary");
    assert_ok(r);
    assert_non_null(strstr(r.body, "<SummaryMap><entry><key>Users</key><value>2</value></entry>"));
    assert_non_null(strstr(r.body, "<entry><key>Groups</key><value>1</value></entry>"));
    assert_non_null(strstr(r.body, "<entry><key>Roles</key><value>1</value></entry>"));
    assert_non_null(strstr(r.body, "<entry><key>Policies</key><value>1</value></entry>"));
    assert_non_null(strstr(r.body, "<entry><key>AccessKeysPerUserQuota</key><value>2</value></entry>"));
    assert_non_null(strstr(r.body, "<entry><key>UsersQuota</key><value>5000</value></entry>"));
    assert_non_null(strstr(r.body, "<entry><key>AccountAccessKeysPresent</key><value>1</value></entry>"));
    assert_int_equal(xcount(r.body, "<entry>"), 34);
}

/* ===== simulation ===== */

static void test_simulate(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    const char *doc = "{\n"
                      "  \"Version\": \"2012-10-17\",\n"
                      "  \"Statement\": [\n"
                      "    {\"Sid\": \"Read\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"},\n"
                      "    {\"Effect\": \"Deny\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/secret/*\"},\n"
                      "    {\"Effect\": \"Allow\", \"Action\": \"s3:PutObject\", \"Resource\": \"*\",\n"
                      "     \"Condition\": {\"StringEquals\": {\"s3:prefix\": \"home/sim/\"}}}\n"
                      "  ]\n"
                      "}";
    ifx_user_with(t, "sim", doc);
    char src[96];
    snprintf(src, sizeof src, "arn:aws:iam::%s:user/sim", acct);
    struct res r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src,
                        "ActionNames.member.1", "s3:GetObject", "ActionNames.member.2", "s3:DeleteObject",
                        "ResourceArns.member.1", "arn:aws:s3:::b/k", "ResourceArns.member.2",
                        "arn:aws:s3:::b/secret/k");
    assert_ok(r);
    assert_int_equal(xcount(r.body, "<EvalActionName>"), 4);
    assert_non_null(strstr(r.body, "<EvalActionName>s3:GetObject</EvalActionName><EvalResourceName>"
                                   "arn:aws:s3:::b/k</EvalResourceName><EvalDecision>allowed</EvalDecision>"
                                   "<MatchedStatements><member><SourcePolicyId>p</SourcePolicyId>"
                                   "<SourcePolicyType>user</SourcePolicyType><StartPosition><Line>4</Line>"
                                   "<Column>5</Column></StartPosition><EndPosition><Line>4</Line>"));
    assert_non_null(strstr(r.body, "<EvalResourceName>arn:aws:s3:::b/secret/k</EvalResourceName>"
                                   "<EvalDecision>explicitDeny</EvalDecision>"));
    assert_non_null(strstr(r.body, "<StartPosition><Line>5</Line><Column>5</Column></StartPosition>"));
    assert_non_null(strstr(r.body, "<EvalActionName>s3:DeleteObject</EvalActionName><EvalResourceName>"
                                   "arn:aws:s3:::b/k</EvalResourceName><EvalDecision>implicitDeny"
                                   "</EvalDecision><MatchedStatements></MatchedStatements>"));
    /* a condition key the request did not give */
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src,
             "ActionNames.member.1", "s3:PutObject");
    assert_non_null(strstr(r.body, "<EvalDecision>implicitDeny</EvalDecision>"));
    assert_non_null(strstr(r.body, "<MissingContextValues><member>s3:prefix</member></MissingContextValues>"));
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src,
             "ActionNames.member.1", "s3:PutObject",
             "ContextEntries.member.1.ContextKeyName", "s3:prefix",
             "ContextEntries.member.1.ContextKeyValues.member.1", "home/sim/",
             "ContextEntries.member.1.ContextKeyType", "string");
    assert_non_null(strstr(r.body, "<EvalDecision>allowed</EvalDecision>"));
    /* input policies and boundaries */
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src,
             "ActionNames.member.1", "s3:GetObject",
             "PermissionsBoundaryPolicyInputList.member.1", ALLOW("\"Action\":\"s3:List*\",\"Resource\":\"*\""));
    assert_non_null(strstr(r.body, "<EvalDecision>implicitDeny</EvalDecision>"));
    assert_non_null(strstr(r.body, "<AllowedByPermissionsBoundary>false</AllowedByPermissionsBoundary>"));
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src, "ActionNames.member.1",
             "s3:DeleteObject", "PolicyInputList.member.1", ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\""));
    assert_non_null(strstr(r.body, "<SourcePolicyId>PolicyInputList.1</SourcePolicyId><SourcePolicyType>none"));
    /* paging over results */
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src, "MaxItems", "1",
             "ActionNames.member.1", "s3:GetObject", "ActionNames.member.2", "s3:PutObject");
    assert_int_equal(xcount(r.body, "<EvalActionName>"), 1);
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "true");
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src, "MaxItems", "1",
             "Marker", xtext(t, r.body, "Marker"), "ActionNames.member.1", "s3:GetObject",
             "ActionNames.member.2", "s3:PutObject");
    assert_non_null(strstr(r.body, "<EvalActionName>s3:PutObject</EvalActionName>"));
    assert_string_equal(xtext(t, r.body, "IsTruncated"), "false");
    /* errors */
    assert_fails(ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src), PAIL_E_ValidationError);
    char ghost[96];
    snprintf(ghost, sizeof ghost, "arn:aws:iam::%s:user/ghost", acct);
    assert_fails(ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", ghost,
                      "ActionNames.member.1", "s3:GetObject"), PAIL_E_NoSuchEntity);
    /* groups and roles as sources */
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "sg"));
    assert_ok(ROOT(t, "Action", "AttachGroupPolicy", "GroupName", "sg", "PolicyArn",
                   "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));
    snprintf(src, sizeof src, "arn:aws:iam::%s:group/sg", acct);
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", src, "ActionNames.member.1", "s3:ListBucket");
    assert_non_null(strstr(r.body, "<EvalDecision>allowed</EvalDecision>"));
    assert_non_null(strstr(r.body, "<SourcePolicyType>aws-managed</SourcePolicyType>"));

    /* SimulateCustomPolicy */
    r = ROOT(t, "Action", "SimulateCustomPolicy",
             "PolicyInputList.member.1", ALLOW("\"Action\":\"s3:Get*\",\"Resource\":\"arn:aws:s3:::b/*\""),
             "ActionNames.member.1", "s3:GetObject", "ActionNames.member.2", "s3:PutObject",
             "ResourceArns.member.1", "arn:aws:s3:::b/k");
    assert_ok(r);
    assert_non_null(strstr(r.body, "<SimulateCustomPolicyResponse xmlns"));
    assert_non_null(strstr(r.body, "<EvalActionName>s3:GetObject</EvalActionName><EvalResourceName>"
                                   "arn:aws:s3:::b/k</EvalResourceName><EvalDecision>allowed</EvalDecision>"));
    assert_non_null(strstr(r.body, "<EvalActionName>s3:PutObject</EvalActionName><EvalResourceName>"
                                   "arn:aws:s3:::b/k</EvalResourceName><EvalDecision>implicitDeny</EvalDecision>"));
    assert_fails(ROOT(t, "Action", "SimulateCustomPolicy", "PolicyInputList.member.1", "{bad",
                      "ActionNames.member.1", "s3:GetObject"), PAIL_E_InvalidInput);
    assert_fails(ROOT(t, "Action", "SimulateCustomPolicy", "ActionNames.member.1", "s3:GetObject"),
                 PAIL_E_ValidationError);
}

/* ResourcePolicy: AWS's same- and cross-account rules, its statements as
 * "resource" ones, EvalDecisionDetails for cross-account simulations. */
static void test_simulate_resource_policy(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    ifx_user_with(t, "rp", NULL);
    char user[96], grant[256], owner[64];
    snprintf(user, sizeof user, "arn:aws:iam::%s:user/rp", acct);
    snprintf(grant, sizeof grant, "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
             "\"%s\"},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}", user);
    snprintf(owner, sizeof owner, "arn:aws:iam::%s:root", "999999999999");
    /* same account: the resource policy alone allows */
    struct res r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", user,
                        "ActionNames.member.1", "s3:GetObject", "ResourceArns.member.1",
                        "arn:aws:s3:::b/k", "ResourcePolicy", grant);
    assert_ok(r);
    assert_non_null(strstr(r.body, "<EvalDecision>allowed</EvalDecision><MatchedStatements><member>"
                                   "<SourcePolicyId>ResourcePolicy</SourcePolicyId><SourcePolicyType>"
                                   "resource</SourcePolicyType><StartPosition><Line>1</Line><Column>15"));
    assert_non_null(strstr(r.body, "<EvalDecisionDetails></EvalDecisionDetails>"));
    assert_non_null(strstr(r.body, "<ResourceSpecificResults><member><EvalResourceName>arn:aws:s3:::b/k"
                                   "</EvalResourceName><EvalResourceDecision>allowed"));
    /* another account's resource: both sides must allow */
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", user, "ActionNames.member.1",
             "s3:GetObject", "ResourceArns.member.1", "arn:aws:s3:::b/k", "ResourcePolicy", grant,
             "ResourceOwner", owner);
    assert_non_null(strstr(r.body, "<EvalDecision>implicitDeny</EvalDecision><MatchedStatements>"
                                   "</MatchedStatements>"));
    assert_non_null(strstr(r.body, "<EvalDecisionDetails><entry><key>IAM Policy</key><value>"
                                   "implicitDeny</value></entry><entry><key>Resource Policy</key>"
                                   "<value>allowed</value></entry></EvalDecisionDetails>"));
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", user, "ActionNames.member.1",
             "s3:GetObject", "ResourceArns.member.1", "arn:aws:s3:::b/k", "ResourcePolicy", grant,
             "ResourceOwner", "999999999999", "PolicyInputList.member.1",
             ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\""));
    assert_non_null(strstr(r.body, "<EvalDecision>allowed</EvalDecision>"));
    assert_int_equal(xcount(r.body, "<SourcePolicyId>ResourcePolicy</SourcePolicyId>"), 2);
    /* a Deny in it wins; the wrong shapes of the inputs */
    r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", user, "ActionNames.member.1",
             "s3:GetObject", "PolicyInputList.member.1", ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\""),
             "ResourcePolicy", "{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
             "\"s3:*\",\"Resource\":\"*\"}}");
    assert_non_null(strstr(r.body, "<EvalDecision>explicitDeny</EvalDecision><MatchedStatements>"
                                   "<member><SourcePolicyId>ResourcePolicy</SourcePolicyId>"));
    assert_fails(ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", user,
                      "ActionNames.member.1", "s3:GetObject", "ResourcePolicy", grant,
                      "ResourceOwner", "nobody"), PAIL_E_InvalidInput);
    assert_fails(ROOT(t, "Action", "SimulateCustomPolicy", "PolicyInputList.member.1",
                      ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\""), "ActionNames.member.1",
                      "s3:GetObject", "ResourcePolicy", grant), PAIL_E_InvalidInput);
    assert_fails(ROOT(t, "Action", "SimulateCustomPolicy", "PolicyInputList.member.1",
                      ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\""), "ActionNames.member.1",
                      "s3:GetObject", "CallerArn", owner), PAIL_E_InvalidInput);
    r = ROOT(t, "Action", "SimulateCustomPolicy", "PolicyInputList.member.1",
             ALLOW("\"Action\":\"s3:ListBucket\",\"Resource\":\"*\""), "ActionNames.member.1",
             "s3:GetObject", "ResourceArns.member.1", "arn:aws:s3:::b/k", "ResourcePolicy", grant,
             "CallerArn", user);
    assert_non_null(strstr(r.body, "<EvalDecision>allowed</EvalDecision>"));
}

/* A hook standing for another service's resources: what it is asked, and
 * its answer written as AWS's shapes. */
struct fake_hook {
    int calls;
    enum pail_effect identity;
    char principal[128];
};

static bool fake_decide(void *ctx, const struct pail_sim_ask *ask, struct pail_arena *a,
                        struct pail_sim_answer *out)
{
    (void)a;
    struct fake_hook *h = ctx;
    if (strncmp(ask->resource, "arn:aws:s3:::hooked/", 20) != 0)
        return false;
    h->calls++;
    h->identity = ask->identity;
    snprintf(h->principal, sizeof h->principal, "%s", ask->principal->arn);
    out->decision = "allowed";
    out->policy_id = "BucketPolicy:hooked";
    out->policy_doc = "{\"Statement\": [\n  {\"Effect\": \"Allow\"}\n]}";
    out->stmt[out->nstmt++] = 0;
    out->missing[out->nmissing++] = "aws:SourceIp";
    out->detail[out->ndetail++] = (struct pail_sim_detail){"ACL", "implicitDeny"};
    return true;
}

static void test_simulate_hook(void **state)
{
    struct ifx *t = *state;
    struct fake_hook fh = {0};
    const struct pail_sim_hook hook = {fake_decide, &fh};
    t->sim = &hook;
    ifx_user_with(t, "hk", NULL);
    char user[96];
    snprintf(user, sizeof user, "arn:aws:iam::%s:user/hk", acct_id(t));
    struct res r = ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", user,
                        "ActionNames.member.1", "s3:GetObject", "ResourceArns.member.1",
                        "arn:aws:s3:::hooked/k", "ResourceArns.member.2", "arn:aws:s3:::other/k");
    assert_ok(r);
    assert_int_equal(fh.calls, 1);
    assert_int_equal(fh.identity, PAIL_EFFECT_NONE);
    assert_string_equal(fh.principal, user);
    assert_non_null(strstr(r.body, "<EvalResourceName>arn:aws:s3:::hooked/k</EvalResourceName>"
                                   "<EvalDecision>allowed</EvalDecision><MatchedStatements><member>"
                                   "<SourcePolicyId>BucketPolicy:hooked</SourcePolicyId><SourcePolicyType>"
                                   "resource</SourcePolicyType><StartPosition><Line>2</Line><Column>3"));
    assert_non_null(strstr(r.body, "<MissingContextValues><member>aws:SourceIp</member>"));
    assert_non_null(strstr(r.body, "<EvalDecisionDetails><entry><key>ACL</key><value>implicitDeny"));
    assert_non_null(strstr(r.body, "<EvalResourceName>arn:aws:s3:::other/k</EvalResourceName>"
                                   "<EvalDecision>implicitDeny</EvalDecision>"));
    /* a group is no principal, and a given ResourcePolicy replaces the hook */
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "hg"));
    char group[96];
    snprintf(group, sizeof group, "arn:aws:iam::%s:group/hg", acct_id(t));
    assert_ok(ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", group,
                   "ActionNames.member.1", "s3:GetObject", "ResourceArns.member.1",
                   "arn:aws:s3:::hooked/k"));
    assert_ok(ROOT(t, "Action", "SimulatePrincipalPolicy", "PolicySourceArn", user,
                   "ActionNames.member.1", "s3:GetObject", "ResourceArns.member.1",
                   "arn:aws:s3:::hooked/k", "ResourcePolicy",
                   "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                   "\"Resource\":\"*\"}}"));
    /* without CallerArn SimulateCustomPolicy simulates no principal */
    assert_ok(ROOT(t, "Action", "SimulateCustomPolicy", "PolicyInputList.member.1",
                   ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\""), "ActionNames.member.1",
                   "s3:GetObject", "ResourceArns.member.1", "arn:aws:s3:::hooked/k"));
    assert_int_equal(fh.calls, 1);
    r = ROOT(t, "Action", "SimulateCustomPolicy", "PolicyInputList.member.1",
             ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\""), "ActionNames.member.1",
             "s3:GetObject", "ResourceArns.member.1", "arn:aws:s3:::hooked/k", "CallerArn", user);
    assert_int_equal(fh.calls, 2);
    assert_int_equal(fh.identity, PAIL_EFFECT_ALLOW);
    t->sim = NULL;
}

/* ===== STS ===== */

static void test_sts_caller_identity_and_session_token(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    struct res r = STS(t, ROOT_KEY, "Action", "GetCallerIdentity");
    char arn[96];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:root", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), arn);
    assert_string_equal(xtext(t, r.body, "UserId"), acct);
    const char *key = ifx_user_with(t, "stsu", NULL); /* no policies: GetCallerIdentity needs none */
    r = STS(t, key, "Action", "GetCallerIdentity");
    assert_ok(r);
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:user/stsu", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), arn);
    assert_memory_equal(xtext(t, r.body, "UserId"), "AIDA", 4);

    int64_t now = pail_time_now_ms();
    r = STS(t, key, "Action", "GetSessionToken");
    assert_ok(r);
    time_t exp;
    assert_true(pail_time_parse_iso8601(xtext(t, r.body, "Expiration"), &exp));
    assert_true((int64_t)exp * 1000 - now > 43000 * 1000LL && (int64_t)exp * 1000 - now < 43300 * 1000LL);
    const char *skey = xtext(t, r.body, "AccessKeyId"), *tok = xtext(t, r.body, "SessionToken");
    /* the root's sessions last an hour at most */
    r = STS(t, ROOT_KEY, "Action", "GetSessionToken", "DurationSeconds", "129600");
    assert_ok(r);
    assert_true(pail_time_parse_iso8601(xtext(t, r.body, "Expiration"), &exp));
    assert_true((int64_t)exp * 1000 - now <= 3700 * 1000LL);
    r = STS(t, key, "Action", "GetSessionToken", "DurationSeconds", "100");
    assert_fails(r, PAIL_E_ValidationError);
    assert_non_null(strstr(r.body, "at &apos;durationSeconds&apos; failed to satisfy constraint: "
                                   "Member must have value greater than or equal to 900"));
    assert_fails(STS(t, key, "Action", "GetSessionToken", "DurationSeconds", "129601"), PAIL_E_ValidationError);

    /* with session credentials: STS caller identity works; GetSessionToken and IAM do not */
    struct pail_iam_param p[] = {{"Action", "GetCallerIdentity"}};
    struct pail_iam_call call = {.service = "sts", .params = p, .nparams = 1, .access_key = skey,
                                 .request_id = "x"};
    struct pail_buf b;
    pail_buf_init(&b, 1 << 16);
    int status;
    const char *deny;
    assert_err(pail_iam_handle(t->id, &call, t->f->a, &b, &status, &deny), PAIL_OK);
    assert_non_null(strstr(b.data, arn));
    pail_buf_free(&b);
    (void)tok;
    r = STS(t, skey, "Action", "GetSessionToken");
    assert_fails(r, PAIL_E_AccessDenied);
    assert_non_null(strstr(r.body, "Cannot call GetSessionToken with session credentials"));
    assert_fails(IAM(t, skey, "Action", "ListUsers"), PAIL_E_InvalidClientTokenId);
}

static void test_sts_assume_role(void **state)
{
    struct ifx *t = *state;
    const char *acct = acct_id(t);
    char trust[512], rarn[96];
    const char *ukey = ifx_user_with(t, "caller", NULL);
    snprintf(trust, sizeof trust,
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::%s:user/caller\"},"
             "\"Action\":\"sts:AssumeRole\"}}", acct);
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "exact", "AssumeRolePolicyDocument", trust));
    snprintf(rarn, sizeof rarn, "arn:aws:iam::%s:role/exact", acct);

    /* the root may not assume roles */
    struct res r = STS(t, ROOT_KEY, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "s0");
    assert_fails(r, PAIL_E_AccessDenied);
    assert_non_null(strstr(r.body, "Roles may not be assumed by root accounts."));

    /* named exactly in a same-account trust policy: no identity policy needed */
    r = STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "sess-1",
            "DurationSeconds", "900");
    assert_ok(r);
    const char *rid = NULL;
    {
        struct res g = ROOT(t, "Action", "GetRole", "RoleName", "exact");
        rid = xtext(t, g.body, "RoleId");
        assert_non_null(strstr(g.body, "<RoleLastUsed><LastUsedDate>"));
    }
    char want[320];
    snprintf(want, sizeof want, "%s:sess-1", rid);
    assert_string_equal(xtext(t, r.body, "AssumedRoleId"), want);
    snprintf(want, sizeof want, "arn:aws:sts::%s:assumed-role/exact/sess-1", acct);
    assert_string_equal(xtext(t, r.body, "Arn"), want);
    assert_memory_equal(xtext(t, r.body, "AccessKeyId"), "ASIA", 4);
    assert_null(xtext(t, r.body, "PackedPolicySize"));
    const char *skey = xtext(t, r.body, "AccessKeyId"), *tok = xtext(t, r.body, "SessionToken");
    struct res who = ifx_call_at(t, "sts", skey, 0, (const char *[]){"Action", "GetCallerIdentity", NULL});
    assert_string_equal(xtext(t, who.body, "Arn"), want);
    (void)tok;

    /* a role session may call IAM with the role's permissions */
    r = IAM(t, skey, "Action", "ListUsers");
    assert_fails(r, PAIL_E_AccessDenied);
    snprintf(want, sizeof want, "User: arn:aws:sts::%s:assumed-role/exact/sess-1 is not authorized "
             "to perform: iam:ListUsers", acct);
    assert_non_null(strstr(r.body, want));
    assert_ok(ROOT(t, "Action", "PutRolePolicy", "RoleName", "exact", "PolicyName", "list",
                   "PolicyDocument", ALLOW("\"Action\":\"iam:List*\",\"Resource\":\"*\"")));
    assert_ok(IAM(t, skey, "Action", "ListUsers"));

    /* trust naming the account: the caller's own policies must allow too */
    char trust_acct[256];
    snprintf(trust_acct, sizeof trust_acct,
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::%s:root\"},"
             "\"Action\":\"sts:AssumeRole\"}}", acct);
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "byacct", "AssumeRolePolicyDocument", trust_acct));
    char rarn2[96];
    snprintf(rarn2, sizeof rarn2, "arn:aws:iam::%s:role/byacct", acct);
    r = STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn2, "RoleSessionName", "s2");
    assert_fails(r, PAIL_E_AccessDenied);
    snprintf(want, sizeof want, "User: arn:aws:iam::%s:user/caller is not authorized to perform: "
             "sts:AssumeRole on resource: %s", acct, rarn2);
    assert_string_equal(xtext(t, r.body, "Message"), want);
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "caller", "PolicyName", "assume",
                   "PolicyDocument", ALLOW("\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"")));
    assert_ok(STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn2, "RoleSessionName", "s2"));

    /* not trusted at all; unknown role (same answer) */
    const char *other = ifx_user_with(t, "other", ALLOW("\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\""));
    r = STS(t, other, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "s3");
    assert_fails(r, PAIL_E_AccessDenied);
    assert_string_equal(r.deny, "trust");
    snprintf(want, sizeof want, "arn:aws:iam::%s:role/none", acct);
    assert_fails(STS(t, ukey, "Action", "AssumeRole", "RoleArn", want, "RoleSessionName", "s3"),
                 PAIL_E_AccessDenied);
    /* an explicit deny on the caller's side wins even when trusted exactly */
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "caller", "PolicyName", "nope",
                   "PolicyDocument", DENY("\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"")));
    assert_fails(STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "s4"),
                 PAIL_E_AccessDenied);
    assert_ok(ROOT(t, "Action", "DeleteUserPolicy", "UserName", "caller", "PolicyName", "nope"));

    /* validation, durations, session policies */
    r = STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "x");
    assert_fails(r, PAIL_E_ValidationError);
    assert_non_null(strstr(r.body, "at &apos;roleSessionName&apos; failed to satisfy constraint: "
                                   "Member must have length greater than or equal to 2"));
    assert_fails(STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "bad name"),
                 PAIL_E_ValidationError);
    r = STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "long",
            "DurationSeconds", "7200");
    assert_fails(r, PAIL_E_ValidationError);
    assert_non_null(strstr(r.body, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
    assert_ok(ROOT(t, "Action", "UpdateRole", "RoleName", "exact", "MaxSessionDuration", "7200"));
    assert_ok(STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "long",
                  "DurationSeconds", "7200"));
    r = STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "pp", "Policy",
            doc_of_size(t, 2100));
    assert_fails(r, PAIL_E_PackedPolicyTooLarge);
    assert_fails(STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "pp",
                     "Policy", "{bad"), PAIL_E_MalformedPolicyDocument);
    r = STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "pp", "Policy",
            doc_of_size(t, 1024));
    assert_ok(r);
    assert_string_equal(xtext(t, r.body, "PackedPolicySize"), "50");
    assert_fails(STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn, "RoleSessionName", "pp",
                     "PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/Nope"),
                 PAIL_E_InvalidParameterValue);

    /* role chaining: a role session assuming a role trusting it; one hour at most */
    char trust_role[256];
    snprintf(trust_role, sizeof trust_role,
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"%s\"},"
             "\"Action\":\"sts:AssumeRole\"}}", rarn);
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "chained", "AssumeRolePolicyDocument",
                   trust_role, "MaxSessionDuration", "43200"));
    char rarn3[96];
    snprintf(rarn3, sizeof rarn3, "arn:aws:iam::%s:role/chained", acct);
    r = STS(t, skey, "Action", "AssumeRole", "RoleArn", rarn3, "RoleSessionName", "c1",
            "DurationSeconds", "7200");
    assert_fails(r, PAIL_E_ValidationError);
    assert_non_null(strstr(r.body, "role chaining"));
    assert_ok(STS(t, skey, "Action", "AssumeRole", "RoleArn", rarn3, "RoleSessionName", "c1"));

    /* cross-account: trusted by the other account and allowed on the caller's side */
    struct pail_account b;
    assert_err(pail_identity_account_create(t->id, "acct-b", "b@example.com", t->f->a, &b), PAIL_OK);
    char trust_x[256], rarn4[96];
    snprintf(trust_x, sizeof trust_x,
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::%s:user/caller\"},"
             "\"Action\":\"sts:AssumeRole\"}}", acct);
    assert_ok(IAM(t, b.access_key, "Action", "CreateRole", "RoleName", "x", "AssumeRolePolicyDocument", trust_x));
    snprintf(rarn4, sizeof rarn4, "arn:aws:iam::%s:role/x", b.id);
    assert_ok(ROOT(t, "Action", "DeleteUserPolicy", "UserName", "caller", "PolicyName", "assume"));
    assert_fails(STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn4, "RoleSessionName", "xs"),
                 PAIL_E_AccessDenied);
    assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", "caller", "PolicyName", "assume",
                   "PolicyDocument", ALLOW("\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"")));
    r = STS(t, ukey, "Action", "AssumeRole", "RoleArn", rarn4, "RoleSessionName", "xs");
    assert_ok(r);
    snprintf(want, sizeof want, "arn:aws:sts::%s:assumed-role/x/xs", b.id);
    assert_string_equal(xtext(t, r.body, "Arn"), want);
}

static void test_persisted_through_api(void **state)
{
    struct ifx *t = *state;
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", "keep"));
    assert_ok(ROOT(t, "Action", "CreateGroup", "GroupName", "kg"));
    assert_ok(ROOT(t, "Action", "AddUserToGroup", "GroupName", "kg", "UserName", "keep"));
    assert_ok(ROOT(t, "Action", "PutGroupPolicy", "GroupName", "kg", "PolicyName", "gp",
                   "PolicyDocument", ALLOW("\"Action\":\"s3:*\",\"Resource\":\"*\"")));
    assert_ok(ROOT(t, "Action", "CreateRole", "RoleName", "kr", "AssumeRolePolicyDocument", TRUST_ANY,
                   "Tags.member.1.Key", "a", "Tags.member.1.Value", "b"));
    assert_ok(ROOT(t, "Action", "UpdateGroup", "GroupName", "kg", "NewGroupName", "kg2"));
    ifx_restart(t);
    struct res r = ROOT(t, "Action", "GetGroup", "GroupName", "kg2");
    assert_ok(r);
    assert_non_null(strstr(r.body, "<UserName>keep</UserName>"));
    r = ROOT(t, "Action", "GetGroupPolicy", "GroupName", "kg2", "PolicyName", "gp");
    assert_ok(r);
    r = ROOT(t, "Action", "GetRole", "RoleName", "kr");
    assert_non_null(strstr(r.body, "<Tags><member><Key>a</Key><Value>b</Value></member></Tags>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_protocol, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_validation_messages, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_users, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_list_users_paging, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_access_keys, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_groups, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_roles, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_inline_policies, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_managed_policies, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_aws_managed_policies, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_boundaries, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_authorization_messages, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_account_summary, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_simulate, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_simulate_resource_policy, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_simulate_hook, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_sts_caller_identity_and_session_token, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_sts_assume_role, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(test_persisted_through_api, ifx_setup, ifx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
