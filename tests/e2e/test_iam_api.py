"""The IAM query API on pail's endpoint (POST /, SigV4 service `iam`), from
the IAM API reference: users, access keys, groups, roles, inline and managed
policies with versions, attach/detach, ListEntitiesForPolicy,
GetAccountSummary, AWS managed policies, permissions boundaries,
SimulatePrincipalPolicy/SimulateCustomPolicy, paging (MaxItems/Marker),
PathPrefix, the error codes (NoSuchEntity 404, EntityAlreadyExists 409,
LimitExceeded 409, DeleteConflict 409, MalformedPolicyDocument 400,
ValidationError 400) and the AWS CLI. Also the course's analyst (read-only
user) flow, and what IAM changes do to S3 requests at once."""
import datetime as dt
import json
import os
import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import boto3
import botocore.auth
import botocore.credentials
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (S3_FULL, S3_READ, allow, attempt, bucket_arn, deny,  # noqa: F401
                       denied_message, expect_error, expect_ok, gid_requests, iam, make_group,
                       make_policy, make_role, make_user, object_arn, policy_doc, root, root_bucket,
                       run_aws, service_client, delete_user_fully, trust_policy)
from e2e_util import REGION


def uid():
    return uuid.uuid4().hex[:10]


def s3_read_doc(bucket):
    return policy_doc(allow(["s3:ListBucket"], bucket_arn(bucket)),
                      allow(["s3:GetObject"], object_arn(bucket)))


# ------------------------------------------------------------------ users
def test_create_get_delete_user(iam, root):
    name = "u-" + uid()
    u = expect_ok(iam.create_user, UserName=name, why="CreateUser by the account root")["User"]
    try:
        assert u["UserName"] == name and u["Path"] == "/"
        assert u["Arn"] == "arn:aws:iam::%s:user/%s" % (root.account_id, name), \
            "a user's ARN is arn:aws:iam::ACCOUNT:user/PATH+NAME"
        assert re.match(r"^AIDA[A-Z0-9]{17}$", u["UserId"]), \
            "IAM user ids start with AIDA (IAM 'Unique identifiers'): %r" % u["UserId"]
        assert isinstance(u["CreateDate"], dt.datetime)
        got = expect_ok(iam.get_user, UserName=name, why="GetUser of an existing user")["User"]
        assert (got["UserId"], got["Arn"]) == (u["UserId"], u["Arn"])
    finally:
        expect_ok(iam.delete_user, UserName=name, why="a user with nothing attached can be deleted")
    expect_error(iam.get_user, UserName=name, code="NoSuchEntity", status=404,
                 why="a deleted user is NoSuchEntity",
                 message="The user with name %s cannot be found." % name)


def test_create_user_with_path(iam, root):
    name = "u-" + uid()
    path = "/division_abc/subdivision_xyz/"
    u = expect_ok(iam.create_user, UserName=name, Path=path, why="paths are /.../")["User"]
    try:
        assert u["Path"] == path
        assert u["Arn"] == "arn:aws:iam::%s:user%s%s" % (root.account_id, path, name)
    finally:
        delete_user_fully(iam, name)


def test_create_user_duplicate_is_entity_already_exists(iam, make_user):
    user = make_user(keys=False)
    expect_error(iam.create_user, UserName=user.name, code="EntityAlreadyExists", status=409,
                 why="user names are unique in an account",
                 message="User with name %s already exists." % user.name)
    expect_error(iam.create_user, UserName=user.name.upper(), code="EntityAlreadyExists",
                 status=409, why="IAM names are case-insensitive: 'TESTUSER' and 'testuser' clash")


@pytest.mark.parametrize("bad", ["has space", "slash/name", "x" * 65, "semi;colon"],
                         ids=["space", "slash", "65-chars", "semicolon"])
def test_create_user_invalid_name(iam, server, bad):
    # botocore would refuse the 65-character name itself: send it unchecked.
    raw_iam = service_client("iam", server.endpoint, server.access_key, server.secret_key,
                             parameter_validation=False)
    out = attempt(raw_iam.create_user, UserName=bad)
    if out.ok:
        delete_user_fully(iam, bad)
    assert not out.ok and out.code == "ValidationError" and out.status == 400, \
        "UserName must match [\\w+=,.@-]{1,64}: AWS answers 400 ValidationError; pail %r" % out


def test_unknown_user_is_no_such_entity(iam):
    name = "nobody-" + uid()
    for call in (iam.get_user, iam.delete_user, iam.list_access_keys, iam.list_user_policies,
                 iam.list_attached_user_policies, iam.list_groups_for_user):
        expect_error(call, UserName=name, code="NoSuchEntity", status=404,
                     why="%s of an unknown user is NoSuchEntity" % call.__name__)


def test_list_users_paging_and_path_prefix(iam, make_user):
    path = "/pg%s/" % uid()
    names = sorted(make_user(path=path, keys=False).name for _ in range(5))
    make_user(path="/other%s/" % uid(), keys=False)
    seen, marker, pages = [], None, 0
    while True:
        kw = {"PathPrefix": path, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = expect_ok(iam.list_users, why="ListUsers with PathPrefix and MaxItems", **kw)
        pages += 1
        assert len(page["Users"]) <= 2, "MaxItems caps a page"
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        assert page.get("Marker"), "IsTruncated=true comes with a Marker to continue from"
        marker = page["Marker"]
        assert pages < 10
    assert sorted(seen) == names, "PathPrefix selects exactly the users under it, each once"
    assert pages == 3, "5 users in pages of 2 are 3 pages"
    everyone = [u["UserName"] for p in iam.get_paginator("list_users").paginate() for u in p["Users"]]
    assert set(names) <= set(everyone)


def test_update_user_name_and_path(iam, root):
    old, new = "u-" + uid(), "u-" + uid()
    iam.create_user(UserName=old)
    try:
        expect_ok(iam.update_user, UserName=old, NewUserName=new, NewPath="/moved/",
                  why="UpdateUser renames and moves a user")
        u = iam.get_user(UserName=new)["User"]
        assert u["Arn"] == "arn:aws:iam::%s:user/moved/%s" % (root.account_id, new)
        expect_error(iam.get_user, UserName=old, code="NoSuchEntity", status=404,
                     why="the old name is gone after a rename")
    finally:
        delete_user_fully(iam, new)
        delete_user_fully(iam, old)


def test_delete_user_conflicts(iam, make_group):
    # DeleteUser: keys, inline and attached policies and group memberships must go first.
    name = "u-" + uid()
    iam.create_user(UserName=name)
    try:
        group = make_group()
        key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy_doc(
            allow("s3:ListAllMyBuckets", "*")))
        iam.attach_user_policy(UserName=name, PolicyArn=S3_READ)
        iam.add_user_to_group(GroupName=group, UserName=name)
        steps = [("an access key", lambda: iam.delete_access_key(UserName=name, AccessKeyId=key)),
                 ("an inline policy", lambda: iam.delete_user_policy(UserName=name, PolicyName="p")),
                 ("an attached policy", lambda: iam.detach_user_policy(UserName=name, PolicyArn=S3_READ)),
                 ("a group membership", lambda: iam.remove_user_from_group(GroupName=group, UserName=name))]
        for what, undo in steps:
            expect_error(iam.delete_user, UserName=name, code="DeleteConflict", status=409,
                         why="a user that still has %s cannot be deleted" % what)
            undo()
        expect_ok(iam.delete_user, UserName=name, why="nothing attached any more")
    finally:
        delete_user_fully(iam, name)


def test_user_without_iam_permissions_is_denied(make_user, root):
    user = make_user()
    out = expect_error(user.iam.list_users, code="AccessDenied", status=403,
                       why="IAM users have no permissions until a policy allows them")
    assert out.message.startswith("User: arn:aws:iam::%s:user/%s is not authorized to perform: "
                                  "iam:ListUsers" % (root.account_id, user.name)), \
        "AWS names the caller and the action: %r" % out.message


def test_get_user_without_name_is_the_caller(make_user):
    user = make_user(inline={"self": policy_doc(allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}"))})
    me = expect_ok(user.iam.get_user, why="GetUser without UserName describes the caller; the "
                   "policy variable ${aws:username} resolves to the caller's name")["User"]
    assert me["UserName"] == user.name and me["Arn"] == user.arn


# ------------------------------------------------------------ access keys
def test_access_key_lifecycle_and_limit(iam, make_user):
    user = make_user(keys=False)
    k1 = expect_ok(iam.create_access_key, UserName=user.name, why="CreateAccessKey")["AccessKey"]
    assert k1["Status"] == "Active" and k1["UserName"] == user.name
    assert re.match(r"^AKIA[A-Z0-9]{16}$", k1["AccessKeyId"]), \
        "long-term access key ids are AKIA + 16 characters: %r" % k1["AccessKeyId"]
    assert len(k1["SecretAccessKey"]) == 40, "secret access keys are 40 characters"
    k2 = expect_ok(iam.create_access_key, UserName=user.name, why="a user may have 2 keys")["AccessKey"]
    assert k1["AccessKeyId"] != k2["AccessKeyId"]
    expect_error(iam.create_access_key, UserName=user.name, code="LimitExceeded", status=409,
                 why="a user may have at most 2 access keys",
                 message="Cannot exceed quota for AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"]
    assert {k["AccessKeyId"] for k in listed} == {k1["AccessKeyId"], k2["AccessKeyId"]}
    assert all("SecretAccessKey" not in k for k in listed), "secrets are shown once, at creation"
    expect_ok(iam.delete_access_key, UserName=user.name, AccessKeyId=k1["AccessKeyId"],
              why="DeleteAccessKey")
    expect_ok(iam.create_access_key, UserName=user.name, why="a deleted key frees its slot")
    expect_error(iam.delete_access_key, UserName=user.name, AccessKeyId=k1["AccessKeyId"],
                 code="NoSuchEntity", status=404, why="deleting a deleted key")


def test_inactive_key_is_rejected_by_s3_until_reactivated(iam, make_user, server):
    user = make_user(managed=[S3_FULL])
    expect_ok(user.s3.list_buckets, why="AmazonS3FullAccess allows s3:ListAllMyBuckets")
    expect_ok(iam.update_access_key, UserName=user.name, AccessKeyId=user.access_key,
              Status="Inactive", why="UpdateAccessKey Status=Inactive")
    meta = iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"]
    assert [k["Status"] for k in meta] == ["Inactive"]
    fresh = service_client("s3", server.endpoint, user.access_key, user.secret_key)
    expect_error(fresh.list_buckets, code="InvalidAccessKeyId", status=403,
                 why="an inactive key does not authenticate")
    expect_error(fresh.put_object, Bucket="any-bucket-" + uid(), Key="k", Body=b"x",
                 code="InvalidAccessKeyId", status=403, why="an inactive key does not authenticate")
    iam.update_access_key(UserName=user.name, AccessKeyId=user.access_key, Status="Active")
    expect_ok(fresh.list_buckets, why="a reactivated key works again")


def test_deleted_key_is_rejected_but_the_other_still_works(iam, make_user, server):
    user = make_user(managed=[S3_FULL])
    k2 = iam.create_access_key(UserName=user.name)["AccessKey"]
    iam.delete_access_key(UserName=user.name, AccessKeyId=user.access_key)
    expect_error(service_client("s3", server.endpoint, user.access_key, user.secret_key).list_buckets,
                 code="InvalidAccessKeyId", status=403,
                 why="a deleted key no longer exists",
                 message="The AWS Access Key Id you provided does not exist in our records.")
    expect_ok(service_client("s3", server.endpoint, k2["AccessKeyId"], k2["SecretAccessKey"]).list_buckets,
              why="the user's other key is unaffected")


def test_access_key_for_unknown_user(iam):
    expect_error(iam.create_access_key, UserName="nobody-" + uid(), code="NoSuchEntity", status=404,
                 why="CreateAccessKey for a user that does not exist")


def test_user_creates_own_key_with_policy_variable(make_user):
    user = make_user(inline={"own-keys": policy_doc(allow(
        ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:DeleteAccessKey"],
        "arn:aws:iam::*:user/${aws:username}"))})
    k = expect_ok(user.iam.create_access_key,
                  why="without UserName CreateAccessKey acts on the caller; "
                      "${aws:username} makes the policy match the caller")["AccessKey"]
    assert k["UserName"] == user.name
    expect_error(user.iam.create_access_key, UserName="someone-else-" + uid(), code="AccessDenied",
                 status=403, why="the policy covers only the caller's own user")


def test_access_key_last_used(iam, make_user, root_bucket):
    user = make_user(managed=[S3_READ])
    r = expect_ok(iam.get_access_key_last_used, AccessKeyId=user.access_key,
                  why="GetAccessKeyLastUsed of an unused key")
    assert "LastUsedDate" not in r["AccessKeyLastUsed"], r
    # a request with the key id but a wrong secret is no use of the key
    bad = boto3.client("s3", endpoint_url=user.endpoint, region_name="us-east-1",
                       aws_access_key_id=user.access_key, aws_secret_access_key="x" * 40)
    expect_error(bad.list_buckets, code="SignatureDoesNotMatch", status=403,
                 why="the signature is checked")
    r = iam.get_access_key_last_used(AccessKeyId=user.access_key)
    assert "LastUsedDate" not in r["AccessKeyLastUsed"], "a failed signature counted as use: %r" % r
    user.s3.list_buckets()
    r = expect_ok(iam.get_access_key_last_used, AccessKeyId=user.access_key,
                  why="GetAccessKeyLastUsed names the key's user")
    assert r["UserName"] == user.name
    assert r["AccessKeyLastUsed"].get("ServiceName") == "s3", r
    assert "LastUsedDate" in r["AccessKeyLastUsed"], r


# ----------------------------------------------------------------- groups
def test_group_lifecycle(iam, make_user, root):
    name = "g-" + uid()
    g = expect_ok(iam.create_group, GroupName=name, why="CreateGroup")["Group"]
    user = make_user(keys=False)
    try:
        assert g["Arn"] == "arn:aws:iam::%s:group/%s" % (root.account_id, name)
        assert re.match(r"^AGPA[A-Z0-9]{17}$", g["GroupId"]), "group ids start with AGPA: %r" % g
        expect_error(iam.create_group, GroupName=name, code="EntityAlreadyExists", status=409,
                     why="group names are unique in an account")
        expect_ok(iam.add_user_to_group, GroupName=name, UserName=user.name, why="AddUserToGroup")
        got = iam.get_group(GroupName=name)
        assert [u["UserName"] for u in got["Users"]] == [user.name]
        assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=user.name)["Groups"]] == [name]
        expect_error(iam.delete_group, GroupName=name, code="DeleteConflict", status=409,
                     why="a group with members cannot be deleted")
        iam.remove_user_from_group(GroupName=name, UserName=user.name)
        iam.put_group_policy(GroupName=name, PolicyName="p", PolicyDocument=policy_doc(
            allow("s3:ListAllMyBuckets", "*")))
        expect_error(iam.delete_group, GroupName=name, code="DeleteConflict", status=409,
                     why="a group with an inline policy cannot be deleted")
        iam.delete_group_policy(GroupName=name, PolicyName="p")
        expect_ok(iam.delete_group, GroupName=name, why="an empty group can be deleted")
        expect_error(iam.get_group, GroupName=name, code="NoSuchEntity", status=404,
                     why="a deleted group is NoSuchEntity")
    finally:
        from perm_util import delete_group_fully
        delete_group_fully(iam, name)


def test_add_user_to_unknown_group(iam, make_user):
    user = make_user(keys=False)
    expect_error(iam.add_user_to_group, GroupName="nogroup-" + uid(), UserName=user.name,
                 code="NoSuchEntity", status=404, why="the group does not exist")


def test_group_inline_policy_applies_to_members_only(iam, s3, make_group, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="r.csv", Body=b"1")
    group = make_group(inline={"read": s3_read_doc(b)})
    member = make_user(groups=[group])
    outsider = make_user()
    expect_ok(member.s3.get_object, Bucket=b, Key="r.csv",
              why="a group's policies apply to its members")
    expect_error(outsider.s3.get_object, Bucket=b, Key="r.csv", code="AccessDenied", status=403,
                 why="a user outside the group has no policy")
    iam.remove_user_from_group(GroupName=group, UserName=member.name)
    expect_error(member.s3.get_object, Bucket=b, Key="r.csv", code="AccessDenied", status=403,
                 why="leaving the group takes its permissions away at once")


def test_group_managed_policy_attach_detach(iam, s3, make_group, make_user, root_bucket):
    b = root_bucket()
    group = make_group()
    member = make_user(groups=[group])
    expect_error(member.s3.list_objects_v2, Bucket=b, code="AccessDenied", status=403,
                 why="no policy yet")
    expect_ok(iam.attach_group_policy, GroupName=group, PolicyArn=S3_READ, why="AttachGroupPolicy")
    assert [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]] \
        == [S3_READ]
    expect_ok(member.s3.list_objects_v2, Bucket=b, why="AmazonS3ReadOnlyAccess via the group")
    iam.detach_group_policy(GroupName=group, PolicyArn=S3_READ)
    expect_error(member.s3.list_objects_v2, Bucket=b, code="AccessDenied", status=403,
                 why="detached: no policy allows s3:ListBucket any more")


# ------------------------------------------------------------------ roles
def test_role_lifecycle(iam, root, make_user):
    assumer = make_user(keys=False)
    name = "r-" + uid()
    trust = json.loads(trust_policy(assumer.arn))
    r = expect_ok(iam.create_role, RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                  Description="e2e", why="CreateRole with a trust policy")["Role"]
    try:
        assert r["Arn"] == "arn:aws:iam::%s:role/%s" % (root.account_id, name)
        assert re.match(r"^AROA[A-Z0-9]{17}$", r["RoleId"]), "role ids start with AROA: %r" % r
        got = iam.get_role(RoleName=name)["Role"]
        assert got["AssumeRolePolicyDocument"] == trust, \
            "GetRole returns the trust policy (URL-encoded JSON, decoded by boto3)"
        assert got.get("MaxSessionDuration") == 3600, "MaxSessionDuration defaults to 3600"
        assert name in [x["RoleName"] for p in iam.get_paginator("list_roles").paginate()
                        for x in p["Roles"]]
        expect_error(iam.create_role, RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                     code="EntityAlreadyExists", status=409, why="role names are unique")
        new_trust = json.loads(trust_policy("arn:aws:iam::%s:root" % root.account_id))
        expect_ok(iam.update_assume_role_policy, RoleName=name, PolicyDocument=json.dumps(new_trust),
                  why="UpdateAssumeRolePolicy")
        assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == new_trust
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=s3_read_doc("x"))
        iam.attach_role_policy(RoleName=name, PolicyArn=S3_READ)
        assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["p"]
        assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]] \
            == [S3_READ]
        expect_error(iam.delete_role, RoleName=name, code="DeleteConflict", status=409,
                     why="a role with policies cannot be deleted")
        iam.delete_role_policy(RoleName=name, PolicyName="p")
        iam.detach_role_policy(RoleName=name, PolicyArn=S3_READ)
        expect_ok(iam.delete_role, RoleName=name, why="DeleteRole")
        expect_error(iam.get_role, RoleName=name, code="NoSuchEntity", status=404, why="deleted")
    finally:
        from perm_util import delete_role_fully
        delete_role_fully(iam, name)


@pytest.mark.parametrize("doc", [
    "not json",
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                          "Action": "sts:AssumeRole", "Resource": "*"}]}),
], ids=["not-json", "no-principal", "has-resource"])
def test_create_role_malformed_trust_policy(iam, doc):
    name = "r-" + uid()
    out = attempt(iam.create_role, RoleName=name, AssumeRolePolicyDocument=doc)
    if out.ok:
        from perm_util import delete_role_fully
        delete_role_fully(iam, name)
    assert out.code == "MalformedPolicyDocument" and out.status == 400, \
        "a trust policy must be JSON, name a Principal and no Resource: AWS answers 400 " \
        "MalformedPolicyDocument; pail %r" % out


# -------------------------------------------------------- inline policies
def test_user_inline_policy_roundtrip(iam, make_user):
    user = make_user(keys=False)
    doc = json.loads(s3_read_doc("some-bucket"))
    expect_ok(iam.put_user_policy, UserName=user.name, PolicyName="read", PolicyDocument=json.dumps(doc),
              why="PutUserPolicy")
    got = expect_ok(iam.get_user_policy, UserName=user.name, PolicyName="read", why="GetUserPolicy")
    assert got["PolicyDocument"] == doc, "GetUserPolicy returns the document (URL-encoded JSON)"
    assert got["UserName"] == user.name and got["PolicyName"] == "read"
    assert iam.list_user_policies(UserName=user.name)["PolicyNames"] == ["read"]
    doc2 = json.loads(policy_doc(allow("s3:ListAllMyBuckets", "*")))
    expect_ok(iam.put_user_policy, UserName=user.name, PolicyName="read", PolicyDocument=json.dumps(doc2),
              why="PutUserPolicy with an existing name replaces it")
    assert iam.get_user_policy(UserName=user.name, PolicyName="read")["PolicyDocument"] == doc2
    expect_ok(iam.delete_user_policy, UserName=user.name, PolicyName="read", why="DeleteUserPolicy")
    expect_error(iam.get_user_policy, UserName=user.name, PolicyName="read", code="NoSuchEntity",
                 status=404, why="a deleted inline policy")


MALFORMED = {
    "not-json": "this is not json",
    "no-effect": {"Version": "2012-10-17", "Statement": [{"Action": "s3:*", "Resource": "*"}]},
    "bad-effect": {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*",
                                                            "Resource": "*"}]},
    "no-action": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]},
    "no-resource": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]},
    "action-without-vendor": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]},
    "principal-in-identity-policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]},
    "bad-version": {"Version": "2099-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                             "Resource": "*"}]},
    "unknown-condition-operator": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringEqualsFoo": {"aws:username": "x"}}}]},
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_policy_document(iam, make_user, case):
    doc = MALFORMED[case]
    doc = doc if isinstance(doc, str) else json.dumps(doc)
    user = make_user(keys=False)
    expect_error(iam.put_user_policy, UserName=user.name, PolicyName="bad", PolicyDocument=doc,
                 code="MalformedPolicyDocument", status=400,
                 why="IAM validates identity policies (%s): 400 MalformedPolicyDocument" % case)
    out = attempt(iam.create_policy, PolicyName="bad-" + uid(), PolicyDocument=doc)
    if out.ok:
        from perm_util import delete_policy_fully
        delete_policy_fully(iam, out.response["Policy"]["Arn"])
    assert out.code == "MalformedPolicyDocument" and out.status == 400, \
        "CreatePolicy validates like PutUserPolicy (%s): AWS 400 MalformedPolicyDocument; pail %r" \
        % (case, out)


def test_inline_policy_takes_effect_at_once(iam, s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="a/1", Body=b"1")
    s3.put_object(Bucket=b, Key="b/1", Body=b"1")
    user = make_user()
    expect_error(user.s3.get_object, Bucket=b, Key="a/1", code="AccessDenied", status=403,
                 why="no policy: implicit deny",
                 message=denied_message(user.arn, "s3:GetObject", object_arn(b, "a/1"),
                                        "no identity-based policy allows"))
    iam.put_user_policy(UserName=user.name, PolicyName="a", PolicyDocument=policy_doc(
        allow("s3:GetObject", object_arn(b, "a/*"))))
    expect_ok(user.s3.get_object, Bucket=b, Key="a/1", why="the inline policy allows a/*")
    expect_error(user.s3.get_object, Bucket=b, Key="b/1", code="AccessDenied", status=403,
                 why="the policy's Resource covers a/* only")
    iam.delete_user_policy(UserName=user.name, PolicyName="a")
    expect_error(user.s3.get_object, Bucket=b, Key="a/1", code="AccessDenied", status=403,
                 why="deleted: nothing allows it any more")


def test_identity_explicit_deny_message(iam, s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user(managed=[S3_FULL], inline={"no": policy_doc(deny("s3:GetObject", object_arn(b)))})
    expect_error(user.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="an explicit Deny beats AmazonS3FullAccess's Allow",
                 message=denied_message(user.arn, "s3:GetObject", object_arn(b, "k"),
                                        "explicit deny in an identity-based policy"))
    expect_ok(user.s3.list_objects_v2, Bucket=b, why="the Deny names s3:GetObject only")


# ------------------------------------------------------- managed policies
def test_create_policy_fields(iam, root, make_policy):
    name = "p-" + uid()
    pol = make_policy(s3_read_doc("x"), name=name, path="/team/", description="e2e")
    assert pol["Arn"] == "arn:aws:iam::%s:policy/team/%s" % (root.account_id, name)
    assert re.match(r"^ANPA[A-Z0-9]{17}$", pol["PolicyId"]), "managed policy ids start with ANPA"
    assert pol["DefaultVersionId"] == "v1" and pol["AttachmentCount"] == 0
    assert pol["IsAttachable"] is True
    got = expect_ok(iam.get_policy, PolicyArn=pol["Arn"], why="GetPolicy")["Policy"]
    assert got["PolicyName"] == name and got["DefaultVersionId"] == "v1"
    v = iam.get_policy_version(PolicyArn=pol["Arn"], VersionId="v1")["PolicyVersion"]
    assert v["Document"] == json.loads(s3_read_doc("x")) and v["IsDefaultVersion"] is True
    expect_error(iam.create_policy, PolicyName=name, PolicyDocument=s3_read_doc("x"),
                 code="EntityAlreadyExists", status=409, why="policy names are unique per account")


def test_policy_versions(iam, s3, make_policy, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    pol = make_policy(policy_doc(allow("s3:ListBucket", bucket_arn(b))))
    arn = pol["Arn"]
    user = make_user(managed=[arn])
    expect_ok(user.s3.list_objects_v2, Bucket=b, why="v1 allows s3:ListBucket")
    expect_error(user.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="v1 does not allow s3:GetObject")
    v2 = expect_ok(iam.create_policy_version, PolicyArn=arn, SetAsDefault=False,
                   PolicyDocument=policy_doc(allow("s3:GetObject", object_arn(b))),
                   why="CreatePolicyVersion")["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is False
    expect_error(user.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="only the default version is in effect")
    expect_ok(iam.set_default_policy_version, PolicyArn=arn, VersionId="v2", why="SetDefaultPolicyVersion")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    expect_ok(user.s3.get_object, Bucket=b, Key="k", why="v2 is now the default: s3:GetObject allowed")
    expect_error(user.s3.list_objects_v2, Bucket=b, code="AccessDenied", status=403,
                 why="v1 is no longer in effect")
    for n in (3, 4, 5):
        r = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy_doc(
            allow("s3:GetObject", object_arn(b))))["PolicyVersion"]
        assert r["VersionId"] == "v%d" % n
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v1", "v2", "v3", "v4", "v5"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v2"]
    expect_error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=policy_doc(
        allow("s3:GetObject", object_arn(b))), code="LimitExceeded", status=409,
        why="a managed policy has at most 5 versions")
    expect_error(iam.delete_policy_version, PolicyArn=arn, VersionId="v2", code="DeleteConflict",
                 status=409, why="the default version cannot be deleted")
    expect_ok(iam.delete_policy_version, PolicyArn=arn, VersionId="v1", why="a non-default version")
    r = expect_ok(iam.create_policy_version, PolicyArn=arn, SetAsDefault=True, why="room again",
                  PolicyDocument=policy_doc(allow("s3:ListBucket", bucket_arn(b))))["PolicyVersion"]
    assert r["VersionId"] == "v6", "version ids are never reused"
    expect_ok(user.s3.list_objects_v2, Bucket=b, why="SetAsDefault=true takes effect at once")
    expect_error(iam.get_policy_version, PolicyArn=arn, VersionId="v1", code="NoSuchEntity",
                 status=404, why="a deleted version")


def test_delete_policy_conflicts(iam, make_user):
    name = "p-" + uid()
    arn = iam.create_policy(PolicyName=name, PolicyDocument=s3_read_doc("x"))["Policy"]["Arn"]
    user = make_user(keys=False, managed=[arn])
    try:
        expect_error(iam.delete_policy, PolicyArn=arn, code="DeleteConflict", status=409,
                     why="a policy attached to entities cannot be deleted")
        iam.detach_user_policy(UserName=user.name, PolicyArn=arn)
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=s3_read_doc("y"))
        expect_error(iam.delete_policy, PolicyArn=arn, code="DeleteConflict", status=409,
                     why="a policy's non-default versions must be deleted first")
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
        expect_ok(iam.delete_policy, PolicyArn=arn, why="detached, one version: DeletePolicy works")
        expect_error(iam.get_policy, PolicyArn=arn, code="NoSuchEntity", status=404, why="deleted")
    finally:
        from perm_util import delete_policy_fully
        delete_policy_fully(iam, arn)


def test_attach_detach_errors(iam, make_user, root):
    user = make_user(keys=False)
    missing = "arn:aws:iam::%s:policy/none-%s" % (root.account_id, uid())
    expect_error(iam.attach_user_policy, UserName=user.name, PolicyArn=missing, code="NoSuchEntity",
                 status=404, why="attaching a policy that does not exist")
    expect_error(iam.detach_user_policy, UserName=user.name, PolicyArn=S3_READ, code="NoSuchEntity",
                 status=404, why="detaching a policy that is not attached")
    expect_ok(iam.attach_user_policy, UserName=user.name, PolicyArn=S3_READ, why="attach")
    expect_ok(iam.attach_user_policy, UserName=user.name, PolicyArn=S3_READ,
              why="attaching an attached policy again is a no-op")
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user.name)["AttachedPolicies"]] \
        == [S3_READ]


def test_attached_policies_per_user_limit(iam, make_user, make_policy):
    user = make_user(keys=False)
    arns = [make_policy(s3_read_doc("b%d" % i))["Arn"] for i in range(11)]
    for arn in arns[:10]:
        expect_ok(iam.attach_user_policy, UserName=user.name, PolicyArn=arn,
                  why="up to 10 managed policies per user")
    expect_error(iam.attach_user_policy, UserName=user.name, PolicyArn=arns[10], code="LimitExceeded",
                 status=409, why="the 11th managed policy exceeds AttachedPoliciesPerUserQuota (10)")


def test_list_entities_for_policy(iam, make_user, make_group, make_role, make_policy):
    pol = make_policy(s3_read_doc("x"))
    arn = pol["Arn"]
    user = make_user(keys=False)
    group = make_group()
    role = make_role(trust=user.arn)
    iam.attach_user_policy(UserName=user.name, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    r = expect_ok(iam.list_entities_for_policy, PolicyArn=arn, why="ListEntitiesForPolicy")
    assert [u["UserName"] for u in r["PolicyUsers"]] == [user.name]
    assert [g["GroupName"] for g in r["PolicyGroups"]] == [group]
    assert [x["RoleName"] for x in r["PolicyRoles"]] == [role["RoleName"]]
    only_users = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")
    assert [u["UserName"] for u in only_users["PolicyUsers"]] == [user.name]
    assert only_users["PolicyGroups"] == [] and only_users["PolicyRoles"] == []
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3


def test_list_policies_scopes(iam, make_policy, make_user):
    pol = make_policy(s3_read_doc("x"), path="/lp%s/" % uid())
    local = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="Local")
             for p in page["Policies"]]
    assert pol["Arn"] in local and S3_READ not in local, "Scope=Local: customer managed only"
    aws = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS")
           for p in page["Policies"]]
    assert S3_READ in aws and S3_FULL in aws and pol["Arn"] not in aws, "Scope=AWS: AWS managed only"
    under = iam.list_policies(Scope="Local", PathPrefix=pol["Path"])["Policies"]
    assert [p["Arn"] for p in under] == [pol["Arn"]], "PathPrefix filters policies"
    attached = [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True,
                                                     PathPrefix=pol["Path"])["Policies"]]
    assert attached == [], "OnlyAttached=true skips unattached policies"
    make_user(keys=False, managed=[pol["Arn"]])
    attached = [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True,
                                                     PathPrefix=pol["Path"])["Policies"]]
    assert attached == [pol["Arn"]]


AWS_MANAGED = {
    "AmazonS3ReadOnlyAccess": ["s3:Get*", "s3:List*"],
    "AmazonS3FullAccess": ["s3:*"],
    "AdministratorAccess": ["*"],
    "IAMReadOnlyAccess": ["iam:Get*", "iam:List*"],
    "IAMFullAccess": ["iam:*"],
}


@pytest.mark.parametrize("name", sorted(AWS_MANAGED))
def test_aws_managed_policy(iam, name):
    arn = "arn:aws:iam::aws:policy/" + name
    pol = expect_ok(iam.get_policy, PolicyArn=arn, why="AWS managed policies exist in every account")["Policy"]
    assert pol["Arn"] == arn and pol["PolicyName"] == name and pol["Path"] == "/"
    doc = expect_ok(iam.get_policy_version, PolicyArn=arn, VersionId=pol["DefaultVersionId"],
                    why="the default version's document is readable")["PolicyVersion"]["Document"]
    actions = []
    for st in doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]:
        if st["Effect"] == "Allow":
            a = st.get("Action", [])
            actions += a if isinstance(a, list) else [a]
    for want in AWS_MANAGED[name]:
        assert want in actions, "%s allows %s (AWS's published document); got %r" % (name, want, actions)


def test_read_only_managed_policy_is_not_write(make_user, s3, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user(managed=[S3_READ])
    expect_ok(user.s3.get_object, Bucket=b, Key="k", why="AmazonS3ReadOnlyAccess: s3:Get*")
    expect_ok(user.s3.list_objects_v2, Bucket=b, why="AmazonS3ReadOnlyAccess: s3:List*")
    expect_error(user.s3.delete_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="AmazonS3ReadOnlyAccess does not allow s3:DeleteObject",
                 message=denied_message(user.arn, "s3:DeleteObject", object_arn(b, "k"),
                                        "no identity-based policy allows"))


# -------------------------------------------------------- account summary
def test_get_account_summary(iam, make_user, make_group):
    before = expect_ok(iam.get_account_summary, why="GetAccountSummary")["SummaryMap"]
    for k in ("Users", "Groups", "Roles", "Policies", "UsersQuota", "GroupsQuota",
              "AccessKeysPerUserQuota", "AttachedPoliciesPerUserQuota", "GroupsPerUserQuota",
              "VersionsPerPolicyQuota", "AccountAccessKeysPresent", "AccountMFAEnabled"):
        assert k in before, "GetAccountSummary's SummaryMap has %s: %r" % (k, sorted(before))
    assert before["AccessKeysPerUserQuota"] == 2
    assert before["AttachedPoliciesPerUserQuota"] == 10
    assert before["GroupsPerUserQuota"] == 10
    assert before["VersionsPerPolicyQuota"] == 5
    assert before["AccountAccessKeysPresent"] == 1, "the root has an access key (the suite's)"
    make_user(keys=False)
    make_group()
    after = iam.get_account_summary()["SummaryMap"]
    assert after["Users"] == before["Users"] + 1, "Users counts the account's users"
    assert after["Groups"] == before["Groups"] + 1, "Groups counts the account's groups"


# ------------------------------------------------- permissions boundaries
def test_permissions_boundary_limits_the_user(iam, s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user(managed=[S3_FULL], boundary=S3_READ)
    got = iam.get_user(UserName=user.name)["User"]
    # botocore's PermissionsBoundaryAttachmentType has one value: PermissionsBoundaryPolicy
    assert got.get("PermissionsBoundary") == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                               "PermissionsBoundaryArn": S3_READ}
    expect_ok(user.s3.get_object, Bucket=b, Key="k",
              why="allowed by both the identity policy and the boundary")
    expect_error(user.s3.put_object, Bucket=b, Key="new", Body=b"x", code="AccessDenied", status=403,
                 why="a permissions boundary caps the identity policy: it does not allow s3:PutObject",
                 message=denied_message(user.arn, "s3:PutObject", object_arn(b, "new"),
                                        "no permissions boundary allows"))
    expect_ok(iam.delete_user_permissions_boundary, UserName=user.name,
              why="DeleteUserPermissionsBoundary")
    expect_ok(user.s3.put_object, Bucket=b, Key="new", Body=b"x", why="no boundary any more")
    expect_ok(iam.put_user_permissions_boundary, UserName=user.name, PermissionsBoundary=S3_READ,
              why="PutUserPermissionsBoundary")
    expect_error(user.s3.put_object, Bucket=b, Key="new2", Body=b"x", code="AccessDenied", status=403,
                 why="the boundary is back")


def test_permissions_boundary_grants_nothing_by_itself(s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user(boundary=S3_FULL)
    expect_error(user.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="a boundary only limits: without an identity policy nothing is allowed",
                 message=denied_message(user.arn, "s3:GetObject", object_arn(b, "k"),
                                        "no identity-based policy allows"))


# ------------------------------------------------------------- simulation
def _decisions(result):
    return {(r["EvalActionName"], r.get("EvalResourceName")): r["EvalDecision"]
            for r in result["EvaluationResults"]}


def test_simulate_principal_policy(iam, make_user, make_group):
    group = make_group(inline={"list": policy_doc(allow("s3:ListBucket", "arn:aws:s3:::sim-b"))})
    user = make_user(keys=False, managed=[S3_READ], groups=[group],
                     inline={"no": policy_doc(deny("s3:GetObject", "arn:aws:s3:::sim-b/secret/*"))})
    r = expect_ok(iam.simulate_principal_policy, PolicySourceArn=user.arn,
                  ActionNames=["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                  ResourceArns=["arn:aws:s3:::sim-b/public/x"], why="SimulatePrincipalPolicy")
    d = _decisions(r)
    key = "arn:aws:s3:::sim-b/public/x"
    assert d[("s3:GetObject", key)] == "allowed", "AmazonS3ReadOnlyAccess allows s3:GetObject"
    assert d[("s3:PutObject", key)] == "implicitDeny", "nothing allows s3:PutObject"
    r = iam.simulate_principal_policy(PolicySourceArn=user.arn, ActionNames=["s3:GetObject"],
                                      ResourceArns=["arn:aws:s3:::sim-b/secret/x"])
    assert _decisions(r)[("s3:GetObject", "arn:aws:s3:::sim-b/secret/x")] == "explicitDeny", \
        "the inline Deny wins over the managed Allow"
    r = iam.simulate_principal_policy(PolicySourceArn=user.arn, ActionNames=["iam:CreateUser"])
    assert [x["EvalDecision"] for x in r["EvaluationResults"]] == ["implicitDeny"]


def test_simulate_custom_policy(iam):
    doc = policy_doc(allow("s3:GetObject", "arn:aws:s3:::sim-c/*",
                           condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
                     deny("s3:GetObject", "arn:aws:s3:::sim-c/private/*"))
    res = ["arn:aws:s3:::sim-c/a", "arn:aws:s3:::sim-c/private/a"]
    inside = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"}]
    outside = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["192.168.1.1"],
                "ContextKeyType": "ip"}]
    r = expect_ok(iam.simulate_custom_policy, PolicyInputList=[doc],
                  ActionNames=["s3:GetObject", "s3:PutObject"], ResourceArns=res, ContextEntries=inside,
                  why="SimulateCustomPolicy")
    d = _decisions(r)
    assert d[("s3:GetObject", res[0])] == "allowed", "IpAddress 10.0.0.0/8 matches 10.1.2.3"
    assert d[("s3:GetObject", res[1])] == "explicitDeny", "the Deny statement matches private/*"
    assert d[("s3:PutObject", res[0])] == "implicitDeny", "no statement names s3:PutObject"
    r = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["s3:GetObject"],
                                   ResourceArns=res[:1], ContextEntries=outside)
    assert _decisions(r)[("s3:GetObject", res[0])] == "implicitDeny", \
        "192.168.1.1 is outside 10.0.0.0/8: the condition fails"


def test_simulate_custom_policy_malformed(iam):
    # botocore lists InvalidInput and PolicyEvaluation as SimulateCustomPolicy's errors
    expect_error(iam.simulate_custom_policy, PolicyInputList=["nope"], ActionNames=["s3:GetObject"],
                 code="InvalidInput", status=400, why="the input policy must be valid")


# ------------------------------------------------------------ wire format
def _signed_iam(server, params, service="iam"):
    body = urllib.parse.urlencode(params)
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(server.access_key, server.secret_key),
                            service, REGION).add_auth(req)
    return requests.post(server.endpoint + "/", data=body, headers=dict(req.headers), timeout=30)


def test_iam_error_response_document(server):
    r = _signed_iam(server, {"Action": "GetUser", "Version": "2010-05-08", "UserName": "nobody-" + uid()})
    assert r.status_code == 404, "GetUser of an unknown user is 404 NoSuchEntity: %r" % r.text[:500]
    root_el = ET.fromstring(r.content)
    assert root_el.tag.endswith("ErrorResponse"), "IAM errors are <ErrorResponse>: %r" % r.text[:300]
    ns = {"i": root_el.tag[1:].split("}")[0]} if root_el.tag.startswith("{") else None
    find = (lambda p: root_el.find(p.replace("X:", "i:"), ns)) if ns else \
        (lambda p: root_el.find(p.replace("X:", "")))
    assert find("X:Error/X:Type").text == "Sender"
    assert find("X:Error/X:Code").text == "NoSuchEntity"
    assert find("X:Error/X:Message").text
    assert find("X:RequestId") is not None and find("X:RequestId").text


def test_iam_unknown_action(server):
    r = _signed_iam(server, {"Action": "MakeCoffee", "Version": "2010-05-08"})
    assert r.status_code == 400 and b"InvalidAction" in r.content, \
        "an unknown Action is 400 InvalidAction: %r" % r.text[:300]


def test_iam_success_response_document(server):
    r = _signed_iam(server, {"Action": "ListUsers", "Version": "2010-05-08"})
    assert r.status_code == 200, "ListUsers by the root answers 200: %r" % r.text[:500]
    root_el = ET.fromstring(r.content)
    assert root_el.tag == "{https://iam.amazonaws.com/doc/2010-05-08/}ListUsersResponse", root_el.tag
    tags = [c.tag.split("}")[1] for c in root_el]
    assert tags == ["ListUsersResult", "ResponseMetadata"], tags


# ------------------------------------------------------------------ CLI
def _cli_json(proc, what):
    assert proc.returncode == 0, "%s: AWS answers 200; exit %d\n%s" % (what, proc.returncode, proc.stderr)
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def test_aws_cli_iam(run_aws, iam, root, root_bucket, s3, tmp_path):
    name = "cli-" + uid()
    try:
        out = _cli_json(run_aws(None, "iam", "create-user", "--user-name", name), "aws iam create-user")
        assert out["User"]["UserName"] == name
        assert out["User"]["Arn"] == "arn:aws:iam::%s:user/%s" % (root.account_id, name)
        key = _cli_json(run_aws(None, "iam", "create-access-key", "--user-name", name),
                        "aws iam create-access-key")["AccessKey"]
        _cli_json(run_aws(None, "iam", "attach-user-policy", "--user-name", name, "--policy-arn", S3_READ),
                  "aws iam attach-user-policy")
        att = _cli_json(run_aws(None, "iam", "list-attached-user-policies", "--user-name", name),
                        "aws iam list-attached-user-policies")
        assert [p["PolicyArn"] for p in att["AttachedPolicies"]] == [S3_READ]
        users = _cli_json(run_aws(None, "iam", "list-users"), "aws iam list-users")
        assert name in [u["UserName"] for u in users["Users"]]
        b = root_bucket()
        s3.put_object(Bucket=b, Key="f.csv", Body=b"a\n1\n")

        class K:  # the new user's keys for run_aws
            access_key, secret_key, token = key["AccessKeyId"], key["SecretAccessKey"], None
        ls = run_aws(K, "s3", "ls", "s3://%s/" % b)
        assert ls.returncode == 0 and "f.csv" in ls.stdout, \
            "the read-only user can `aws s3 ls`: %s%s" % (ls.stdout, ls.stderr)
        local = tmp_path / "new.csv"
        local.write_bytes(b"a\n2\n")
        cp = run_aws(K, "s3", "cp", str(local), "s3://%s/new.csv" % b)
        assert cp.returncode != 0 and "AccessDenied" in cp.stderr, \
            "AmazonS3ReadOnlyAccess: `aws s3 cp` up is AccessDenied: %s" % cp.stderr
        missing = run_aws(None, "iam", "get-user", "--user-name", "nobody-" + uid())
        assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr, missing.stderr
    finally:
        delete_user_fully(iam, name)


# ----------------------------------------------------------------- course
def test_course_analyst_read_only(server, s3, gid_requests, tmp_path):
    """The course's IAM cell: an analyst with AmazonS3ReadOnlyAccess can
    download but not upload, and AWS's message says why."""
    import boto3
    s3.put_object(Bucket=gid_requests, Key="potholes.csv", Body=b"service_name,count\nPothole,3\n")
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key)
    delete_user_fully(iam, "analyst")  # a leftover from an interrupted run
    try:
        response = iam.create_user(UserName="analyst")
        assert response["User"]["UserName"] == "analyst"
        response = iam.create_access_key(UserName="analyst")
        key_id = response["AccessKey"]["AccessKeyId"]
        secret = response["AccessKey"]["SecretAccessKey"]
        iam.attach_user_policy(UserName="analyst",
                               PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        s3_analyst = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                                  aws_access_key_id=key_id, aws_secret_access_key=secret)
        s3_analyst.download_file(Filename=str(tmp_path / "potholes.csv"), Bucket=gid_requests,
                                 Key="potholes.csv")
        assert (tmp_path / "potholes.csv").read_bytes() == b"service_name,count\nPothole,3\n"
        with pytest.raises(ClientError) as e:
            s3_analyst.put_object(Bucket=gid_requests, Key="x.csv", Body=b"a,b\n")
        err = e.value.response["Error"]
        acct = iam.get_user(UserName="analyst")["User"]["Arn"].split(":")[4]
        assert err["Code"] == "AccessDenied"
        assert err["Message"] == (
            'User: arn:aws:iam::%s:user/analyst is not authorized to perform: s3:PutObject on '
            'resource: "arn:aws:s3:::%s/x.csv" because no identity-based policy allows the '
            's3:PutObject action' % (acct, gid_requests)), \
            "AWS's same-account AccessDenied message names user, action, resource and reason"
    finally:
        delete_user_fully(iam, "analyst")
