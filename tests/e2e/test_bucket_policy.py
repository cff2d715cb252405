"""Bucket policies, from the S3 API reference (Put/Get/DeleteBucketPolicy,
GetBucketPolicyStatus), "Bucket policy examples", "Policy evaluation logic"
and the IAM condition operator reference: storage and errors
(NoSuchBucketPolicy, MalformedPolicy and its messages), public status,
principals (anonymous, same-account user, the account, another account),
every condition operator family on keys S3 supplies (s3:prefix, s3:max-keys,
s3:x-amz-acl, aws:SourceIp, aws:SecureTransport, aws:CurrentTime,
aws:UserAgent, aws:PrincipalArn, aws:username), explicit Deny over the
account root (who may still Get/Put/DeleteBucketPolicy: the lock-out
protection), and the 405 other accounts get for policy operations. Also the
course's public-read policy read back with pandas.

Rules: same account, an identity OR a resource policy allow suffices (a policy
naming the account delegates to IAM policies); another account needs the
bucket policy AND its own account to allow; an explicit Deny anywhere wins,
for the root too, except the root's Get/Put/DeleteBucketPolicy."""
import json
import urllib.error
import uuid

import pandas as pd
import pytest

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (S3_FULL, S3_READ, accounts, allow, anon, anonymous_s3, attempt,  # noqa: F401
                       bucket_arn, create_user, delete_user_fully, denied_message, deny, expect_error,
                       expect_ok, gid_requests, make_user, object_arn, policy_doc, public_read_policy,
                       root, root_bucket, cleanup_bucket)
from conftest import unique_name


def uid():
    return uuid.uuid4().hex[:10]


def acct_root(account_id):
    return {"AWS": "arn:aws:iam::%s:root" % account_id}


# ---------------------------------------------------------- storage, errors
def test_put_get_delete_bucket_policy(s3, root_bucket):
    b = root_bucket()
    expect_error(s3.get_bucket_policy, Bucket=b, code="NoSuchBucketPolicy", status=404,
                 why="a bucket has no policy until one is put", message="The bucket policy does not exist")
    doc = json.loads(public_read_policy(b))
    doc["Statement"][0]["Sid"] = "PublicRead"
    r = expect_ok(s3.put_bucket_policy, Bucket=b, Policy=json.dumps(doc), why="PutBucketPolicy by the owner")
    assert r["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    got = expect_ok(s3.get_bucket_policy, Bucket=b, why="GetBucketPolicy")["Policy"]
    assert json.loads(got) == doc, "GetBucketPolicy returns the policy that was put"
    r = expect_ok(s3.delete_bucket_policy, Bucket=b, why="DeleteBucketPolicy")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(s3.get_bucket_policy, Bucket=b, code="NoSuchBucketPolicy", status=404, why="deleted")
    r = expect_ok(s3.delete_bucket_policy, Bucket=b, why="deleting an absent policy is a no-op (204)")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_bucket_policy_of_missing_bucket(s3):
    expect_error(s3.get_bucket_policy, Bucket="pail-none-" + uid(), code="NoSuchBucket", status=404,
                 why="the bucket does not exist")


def _malformed_cases(b, acct):
    other = "pail-other-" + uid()
    st = lambda **kw: dict({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",  # noqa: E731
                            "Resource": object_arn(b)}, **kw)
    return {
        "not-json": ("nope", "Policies must be valid JSON and the first byte must be '{'"),
        "invalid-action": (json.dumps({"Version": "2012-10-17", "Statement": [st(Action="s3:GetObjekt")]}),
                           "Policy has invalid action"),
        "other-bucket": (json.dumps({"Version": "2012-10-17", "Statement": [st(Resource=object_arn(other))]}),
                         "Policy has invalid resource"),
        "unknown-principal": (json.dumps({"Version": "2012-10-17", "Statement": [
            st(Principal={"AWS": "arn:aws:iam::%s:user/nobody-%s" % (acct, uid())})]}),
            "Invalid principal in policy"),
        "missing-principal": (json.dumps({"Version": "2012-10-17", "Statement": [
            {k: v for k, v in st().items() if k != "Principal"}]}), "Missing required field Principal"),
        "unknown-condition-key": (json.dumps({"Version": "2012-10-17", "Statement": [
            st(Condition={"StringEquals": {"s3:no-such-key": "x"}})]}),
            "Policy has an invalid condition key"),
        "action-resource-mismatch": (json.dumps({"Version": "2012-10-17", "Statement": [
            st(Action="s3:ListBucket")]}), "Action does not apply to any resource(s) in statement"),
        "missing-effect": (json.dumps({"Version": "2012-10-17", "Statement": [
            {k: v for k, v in st().items() if k != "Effect"}]}), None),
        "bad-effect": (json.dumps({"Version": "2012-10-17", "Statement": [st(Effect="Perhaps")]}), None),
        "bad-version": (json.dumps({"Version": "2099-12-31", "Statement": [st()]}), None),
        "bad-condition-operator": (json.dumps({"Version": "2012-10-17", "Statement": [
            st(Condition={"StringEqualz": {"aws:SourceIp": "x"}})]}), None),
        "empty-statement": (json.dumps({"Version": "2012-10-17", "Statement": []}), None),
    }


MALFORMED_CASES = ["not-json", "invalid-action", "other-bucket", "unknown-principal", "missing-principal",
                   "unknown-condition-key", "action-resource-mismatch", "missing-effect", "bad-effect",
                   "bad-version", "bad-condition-operator", "empty-statement"]


@pytest.mark.parametrize("case", MALFORMED_CASES)
def test_malformed_policy(s3, root, root_bucket, case):
    b = root_bucket()
    doc, message = _malformed_cases(b, root.account_id)[case]
    expect_error(s3.put_bucket_policy, Bucket=b, Policy=doc, code="MalformedPolicy", status=400,
                 why="S3 validates bucket policies (%s)" % case, message=message)
    expect_error(s3.get_bucket_policy, Bucket=b, code="NoSuchBucketPolicy", status=404,
                 why="a refused policy is not stored")


def test_policy_status(accounts, s3, root_bucket):
    other = accounts.second()
    b = root_bucket()
    expect_error(s3.get_bucket_policy_status, Bucket=b, code="NoSuchBucketPolicy", status=404,
                 why="no policy, no policy status")
    cases = [
        (public_read_policy(b), True, "Principal * with no condition is public"),
        (policy_doc(allow("s3:GetObject", object_arn(b), principal={"AWS": "*"})), True,
         "Principal {AWS: *} is public"),
        (policy_doc(allow("s3:GetObject", object_arn(b), principal=acct_root(other.account_id))), False,
         "a named account is not public"),
        (policy_doc(allow("s3:GetObject", object_arn(b), principal="*",
                          condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})), False,
         "Principal * restricted to a fixed IP range is not public"),
        (policy_doc(deny("s3:GetObject", object_arn(b), principal="*")), False,
         "a Deny grants nothing: not public"),
    ]
    for doc, public, why in cases:
        s3.put_bucket_policy(Bucket=b, Policy=doc)
        st = expect_ok(s3.get_bucket_policy_status, Bucket=b, why="GetBucketPolicyStatus")["PolicyStatus"]
        assert st["IsPublic"] is public, "%s: IsPublic should be %s; pail %r" % (why, public, st)


def test_put_bucket_policy_needs_permission(s3, make_user, root_bucket):
    b = root_bucket()
    ro = make_user(managed=[S3_READ])
    full = make_user(managed=[S3_FULL])
    expect_error(ro.s3.put_bucket_policy, Bucket=b, Policy=public_read_policy(b), code="AccessDenied",
                 status=403, why="AmazonS3ReadOnlyAccess does not allow s3:PutBucketPolicy",
                 message=denied_message(ro.arn, "s3:PutBucketPolicy", bucket_arn(b),
                                        "no identity-based policy allows"))
    expect_ok(full.s3.put_bucket_policy, Bucket=b, Policy=public_read_policy(b),
              why="AmazonS3FullAccess allows s3:PutBucketPolicy in its own account")
    expect_ok(ro.s3.get_bucket_policy, Bucket=b, why="s3:Get* includes s3:GetBucketPolicy")


# ----------------------------------------------------------- principals
def test_course_public_read_policy(s3, gid_requests, server):
    df = pd.DataFrame({"service_name": ["Pothole"], "count": [9]})
    s3.put_object(Bucket=gid_requests, Key="potholes.csv", Body=df.to_csv(index=False).encode())
    url = "%s/%s/potholes.csv" % (server.endpoint, gid_requests)
    with pytest.raises(urllib.error.HTTPError) as e:
        pd.read_csv(url)
    assert e.value.code == 403
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::%s/*" % gid_requests],
        }],
    }
    s3.put_bucket_policy(Bucket=gid_requests, Policy=json.dumps(policy))
    pd.testing.assert_frame_equal(pd.read_csv(url), df)
    s3.delete_bucket_policy(Bucket=gid_requests)
    with pytest.raises(urllib.error.HTTPError) as e:
        pd.read_csv(url)
    assert e.value.code == 403, "the policy is gone: anonymous reads are denied again"


def test_public_get_policy_does_not_allow_listing_or_writing(s3, anon, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    s3.put_bucket_policy(Bucket=b, Policy=public_read_policy(b))
    expect_ok(anon.get_object, Bucket=b, Key="k", why="Principal * s3:GetObject")
    expect_ok(anon.head_object, Bucket=b, Key="k", why="HeadObject needs s3:GetObject")
    expect_error(anon.get_object, Bucket=b, Key="missing", code="AccessDenied", status=403,
                 why="a missing key without s3:ListBucket is 403, not 404")
    expect_error(anon.list_objects_v2, Bucket=b, code="AccessDenied", status=403,
                 why="the policy allows s3:GetObject only")
    out = expect_error(anon.put_object, Bucket=b, Key="n", Body=b"x", code="AccessDenied", status=403,
                       why="the policy allows s3:GetObject only")
    assert out.message == "Access Denied", "anonymous requests get the plain message"


def test_resource_wildcards(s3, anon, root_bucket):
    b = root_bucket()
    for k in ("2019/a.csv", "2019/a.txt", "2019/sub/b.csv", "2020/a.csv"):
        s3.put_object(Bucket=b, Key=k, Body=b"x")
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow("s3:GetObject", object_arn(b, "2019/*.csv"),
                                                           principal="*")))
    for key, ok in (("2019/a.csv", True), ("2019/sub/b.csv", True), ("2019/a.txt", False),
                    ("2020/a.csv", False)):
        out = attempt(anon.get_object, Bucket=b, Key=key)
        assert out.ok is ok, "Resource 2019/*.csv ('*' spans '/') %s %s; pail %r" % (
            "allows" if ok else "does not allow", key, out)


def test_same_account_user_named_in_the_policy(s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    user = make_user()
    other_user = make_user()
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow("s3:GetObject", object_arn(b),
                                                           principal={"AWS": user.arn})))
    expect_ok(user.s3.get_object, Bucket=b, Key="k",
              why="same account: a bucket policy naming the user suffices without any identity policy")
    expect_error(other_user.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="the policy names another user")


def test_same_account_policy_naming_the_account(s3, root, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    user = make_user()
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow("s3:GetObject", object_arn(b),
                                                           principal=acct_root(root.account_id))))
    expect_error(user.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="a policy naming the account delegates to the account's IAM policies: the user "
                     "still needs an identity policy")


def test_bucket_policy_explicit_deny_beats_identity_allow(s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    user = make_user(managed=[S3_FULL])
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(deny("s3:GetObject", object_arn(b),
                                                          principal={"AWS": user.arn})))
    expect_error(user.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="an explicit Deny in the bucket policy beats AmazonS3FullAccess",
                 message=denied_message(user.arn, "s3:GetObject", object_arn(b, "k"),
                                        "explicit deny in a resource-based policy"))
    expect_ok(user.s3.put_object, Bucket=b, Key="n", Body=b"x", why="the Deny names s3:GetObject only")


def test_cross_account_needs_both_sides(accounts, s3, root_bucket, server):
    other = accounts.second()
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    bare = create_user(other.iam, server.endpoint)
    full = create_user(other.iam, server.endpoint, managed=[S3_FULL])
    try:
        why = "cross-account: the bucket owner grants nothing yet"
        expect_error(other.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403, why=why)
        expect_error(full.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403, why=why)
        s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow(
            ["s3:GetObject", "s3:ListBucket"], [bucket_arn(b), object_arn(b)],
            principal=acct_root(other.account_id))))
        expect_ok(other.s3.get_object, Bucket=b, Key="k",
                  why="the bucket policy grants the account, and its root needs no identity policy")
        expect_ok(full.s3.get_object, Bucket=b, Key="k",
                  why="the bucket policy grants the account and the user's AmazonS3FullAccess allows")
        expect_error(bare.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                     why="cross-account: the caller's own account must allow too (no identity policy)")
        expect_error(full.s3.put_object, Bucket=b, Key="n", Body=b"x", code="AccessDenied", status=403,
                     why="the bucket owner granted s3:GetObject and s3:ListBucket only")
        expect_ok(other.s3.list_objects_v2, Bucket=b, why="s3:ListBucket is granted")
        expect_error(other.s3.get_object, Bucket=b, Key="missing", code="NoSuchKey", status=404,
                     why="with s3:ListBucket a missing key is 404 NoSuchKey")
    finally:
        delete_user_fully(other.iam, bare.name)
        delete_user_fully(other.iam, full.name)


def test_other_account_policy_operations_are_405(accounts, s3, root_bucket):
    other = accounts.second()
    b = root_bucket()
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow(
        ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"], bucket_arn(b),
        principal=acct_root(other.account_id))))
    why = ("'If you have the correct permissions, but you're not using an identity that belongs to the "
           "bucket owner's account, Amazon S3 returns a 405 Method Not Allowed error'")
    expect_error(other.s3.get_bucket_policy, Bucket=b, code="MethodNotAllowed", status=405, why=why)
    expect_error(other.s3.put_bucket_policy, Bucket=b, Policy=public_read_policy(b),
                 code="MethodNotAllowed", status=405, why=why)
    expect_error(other.s3.delete_bucket_policy, Bucket=b, code="MethodNotAllowed", status=405, why=why)


def test_other_account_without_policy_permission_is_403(accounts, root_bucket):
    other = accounts.second()
    b = root_bucket()
    expect_error(other.s3.put_bucket_policy, Bucket=b, Policy=public_read_policy(b), code="AccessDenied",
                 status=403, why="no permission at all: 403 (405 is for callers that have permission)")


def test_x_amz_acl_condition_for_cross_account_uploads(accounts, s3, root, root_bucket):
    other = accounts.second()
    b = root_bucket()
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow(
        ["s3:PutObject", "s3:PutObjectAcl"], object_arn(b), principal=acct_root(other.account_id),
        condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})))
    expect_error(other.s3.put_object, Bucket=b, Key="k", Body=b"x", code="AccessDenied", status=403,
                 why="the policy requires x-amz-acl: bucket-owner-full-control")
    expect_ok(other.s3.put_object, Bucket=b, Key="k", Body=b"x", ACL="bucket-owner-full-control",
              why="the s3:x-amz-acl condition is met")
    expect_ok(s3.get_object, Bucket=b, Key="k", why="bucket-owner-full-control gives the bucket owner access")


# -------------------------------------------- explicit deny and the root
def test_secure_transport_deny_applies_to_the_root(s3, root, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(deny(
        "s3:*", [bucket_arn(b), object_arn(b)], principal="*",
        condition={"Bool": {"aws:SecureTransport": "false"}})))
    why = "a bucket policy Deny applies to every principal, the account root included (this is http)"
    expect_error(s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403, why=why,
                 message=denied_message(root.arn, "s3:GetObject", object_arn(b, "k"),
                                        "explicit deny in a resource-based policy"))
    expect_error(s3.put_object, Bucket=b, Key="n", Body=b"x", code="AccessDenied", status=403, why=why)
    expect_error(s3.list_objects_v2, Bucket=b, code="AccessDenied", status=403, why=why)
    expect_ok(s3.get_bucket_policy, Bucket=b,
              why="the root may always GetBucketPolicy on its own bucket (lock-out protection)")
    expect_ok(s3.delete_bucket_policy, Bucket=b,
              why="the root may always DeleteBucketPolicy on its own bucket (lock-out protection)")
    expect_ok(s3.get_object, Bucket=b, Key="k", why="the Deny is gone")


def test_root_can_replace_a_policy_that_denies_it(s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    admin = make_user(managed=[S3_FULL])
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(deny("s3:*", [bucket_arn(b), object_arn(b)],
                                                          principal="*")))
    expect_error(s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="Deny s3:* for Principal * covers the root")
    expect_error(admin.s3.put_bucket_policy, Bucket=b, Policy=public_read_policy(b), code="AccessDenied",
                 status=403, why="an IAM user gets no lock-out exemption")
    expect_error(admin.s3.delete_bucket_policy, Bucket=b, code="AccessDenied", status=403,
                 why="an IAM user gets no lock-out exemption")
    expect_ok(s3.put_bucket_policy, Bucket=b, Policy=public_read_policy(b),
              why="the root may always PutBucketPolicy, even when the policy denies it")
    expect_ok(s3.get_object, Bucket=b, Key="k", why="the new policy has no Deny")


# ------------------------------------------------------- condition table
@pytest.fixture(scope="module")
def cond_bucket(s3):
    name = unique_name("pail-cond")
    s3.create_bucket(Bucket=name)
    yield name
    cleanup_bucket(s3, name)


A = "a/"
# (id, condition block, request kwargs for anonymous ListObjectsV2, allowed?)
CONDITIONS = [
    ("StringEquals-match", {"StringEquals": {"s3:prefix": "a/"}}, {"Prefix": "a/"}, True),
    ("StringEquals-miss", {"StringEquals": {"s3:prefix": "a/"}}, {"Prefix": "b/"}, False),
    ("StringEquals-any-of-values", {"StringEquals": {"s3:prefix": ["a/", "b/"]}}, {"Prefix": "b/"}, True),
    ("StringEquals-key-absent", {"StringEquals": {"s3:prefix": "a/"}}, {}, False),
    ("StringNotEquals-match", {"StringNotEquals": {"s3:prefix": "a/"}}, {"Prefix": "b/"}, True),
    ("StringNotEquals-miss", {"StringNotEquals": {"s3:prefix": "a/"}}, {"Prefix": "a/"}, False),
    ("StringEqualsIgnoreCase", {"StringEqualsIgnoreCase": {"s3:prefix": "A/"}}, {"Prefix": "a/"}, True),
    ("StringNotEqualsIgnoreCase", {"StringNotEqualsIgnoreCase": {"s3:prefix": "A/"}}, {"Prefix": "a/"}, False),
    ("StringLike-star", {"StringLike": {"s3:prefix": "a/*"}}, {"Prefix": "a/x/y"}, True),
    ("StringLike-question", {"StringLike": {"s3:prefix": "a/?"}}, {"Prefix": "a/1"}, True),
    ("StringLike-question-one-char", {"StringLike": {"s3:prefix": "a/?"}}, {"Prefix": "a/12"}, False),
    ("StringLike-miss", {"StringLike": {"s3:prefix": "a/*"}}, {"Prefix": "b/"}, False),
    ("StringNotLike-match", {"StringNotLike": {"s3:prefix": "a/*"}}, {"Prefix": "b/"}, True),
    ("StringNotLike-miss", {"StringNotLike": {"s3:prefix": "a/*"}}, {"Prefix": "a/1"}, False),
    ("StringEqualsIfExists-absent", {"StringEqualsIfExists": {"s3:prefix": "a/"}}, {}, True),
    ("StringEqualsIfExists-present-miss", {"StringEqualsIfExists": {"s3:prefix": "a/"}}, {"Prefix": "b/"},
     False),
    ("ForAnyValue-StringEquals", {"ForAnyValue:StringEquals": {"s3:prefix": ["x/", "a/"]}}, {"Prefix": "a/"},
     True),
    ("NumericLessThanEquals-edge", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"MaxKeys": 10}, True),
    ("NumericLessThanEquals-over", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"MaxKeys": 11}, False),
    ("NumericLessThan-edge", {"NumericLessThan": {"s3:max-keys": "10"}}, {"MaxKeys": 10}, False),
    ("NumericEquals", {"NumericEquals": {"s3:max-keys": "5"}}, {"MaxKeys": 5}, True),
    ("NumericNotEquals", {"NumericNotEquals": {"s3:max-keys": "5"}}, {"MaxKeys": 5}, False),
    ("NumericGreaterThan", {"NumericGreaterThan": {"s3:max-keys": "5"}}, {"MaxKeys": 6}, True),
    ("NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"s3:max-keys": "5"}}, {"MaxKeys": 4}, False),
    ("Numeric-key-absent", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {}, False),
    ("DateGreaterThan-past", {"DateGreaterThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}, {}, True),
    ("DateLessThan-past", {"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}, {}, False),
    ("DateLessThanEquals-future", {"DateLessThanEquals": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}, {},
     True),
    ("DateGreaterThanEquals-future", {"DateGreaterThanEquals": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}},
     {}, False),
    ("DateNotEquals", {"DateNotEquals": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}, {}, True),
    ("DateEquals", {"DateEquals": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}, {}, False),
    ("Bool-SecureTransport-false", {"Bool": {"aws:SecureTransport": "false"}}, {}, True),
    ("Bool-SecureTransport-true", {"Bool": {"aws:SecureTransport": "true"}}, {}, False),
    ("IpAddress-loopback", {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}, {}, True),
    ("IpAddress-loopback-net", {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {}, True),
    ("IpAddress-other-net", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}, False),
    ("NotIpAddress-other-net", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),
    ("NotIpAddress-loopback", {"NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}}, {}, False),
    ("Null-true-absent", {"Null": {"s3:prefix": "true"}}, {}, True),
    ("Null-true-present", {"Null": {"s3:prefix": "true"}}, {"Prefix": "a/"}, False),
    ("Null-false-present", {"Null": {"s3:prefix": "false"}}, {"Prefix": "a/"}, True),
    ("two-operators-both-met", {"StringEquals": {"s3:prefix": "a/"}, "NumericLessThanEquals":
                                {"s3:max-keys": "10"}}, {"Prefix": "a/", "MaxKeys": 5}, True),
    ("two-operators-one-met", {"StringEquals": {"s3:prefix": "a/"}, "NumericLessThanEquals":
                               {"s3:max-keys": "10"}}, {"Prefix": "a/", "MaxKeys": 50}, False),
    ("UserAgent-StringLike", {"StringLike": {"aws:UserAgent": "*pail-e2e-agent/1*"}}, {"_agent": True}, True),
    ("UserAgent-StringLike-miss", {"StringLike": {"aws:UserAgent": "*pail-e2e-agent/1*"}}, {}, False),
]


@pytest.mark.parametrize("case", CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_condition_operator(s3, server, cond_bucket, case):
    """Principal * may s3:ListBucket only when the condition holds (IAM
    'Condition operators': several values of one key are ORed, several keys
    and operators ANDed; a missing key fails every operator but Null and
    ...IfExists)."""
    name, condition, kw, allowed = case
    s3.put_bucket_policy(Bucket=cond_bucket, Policy=policy_doc(allow(
        "s3:ListBucket", bucket_arn(cond_bucket), principal="*", condition=condition)))
    kw = dict(kw)
    client = anonymous_s3(server.endpoint, user_agent_extra="pail-e2e-agent/1.0") if kw.pop("_agent", None) \
        else anonymous_s3(server.endpoint)
    out = attempt(client.list_objects_v2, Bucket=cond_bucket, **kw)
    if allowed:
        assert out.ok, "%s: condition %s holds for %r, so AWS allows; pail %r" % (name, condition, kw, out)
    else:
        assert not out.ok and out.code == "AccessDenied" and out.status == 403, \
            "%s: condition %s fails for %r, so AWS answers 403 AccessDenied; pail %r" % (
                name, condition, kw, out)


def test_principal_arn_and_username_conditions(s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    ok_user = make_user(name="okuser-" + uid())
    no_user = make_user(name="nouser-" + uid())
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow("s3:GetObject", object_arn(b), principal="*",
                                                           condition={"ArnLike": {"aws:PrincipalArn":
                                                                      "arn:aws:iam::*:user/okuser-*"}})))
    expect_ok(ok_user.s3.get_object, Bucket=b, Key="k",
              why="ArnLike aws:PrincipalArn matches; same account: the bucket policy allow suffices")
    expect_error(no_user.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="ArnLike aws:PrincipalArn does not match")
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow("s3:GetObject", object_arn(b, "home/${aws:username}/*"),
                                                           principal="*")))
    s3.put_object(Bucket=b, Key="home/%s/f" % ok_user.name, Body=b"x")
    s3.put_object(Bucket=b, Key="home/%s/f" % no_user.name, Body=b"x")
    expect_ok(ok_user.s3.get_object, Bucket=b, Key="home/%s/f" % ok_user.name,
              why="${aws:username} in the Resource resolves to the caller's user name")
    expect_error(ok_user.s3.get_object, Bucket=b, Key="home/%s/f" % no_user.name, code="AccessDenied",
                 status=403, why="another user's home is not the caller's ${aws:username}")
