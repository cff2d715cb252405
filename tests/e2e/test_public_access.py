"""S3 Block Public Access on a bucket, from "Blocking public access to your
Amazon S3 storage" and the Put/Get/DeletePublicAccessBlock references.

  BlockPublicAcls        PUT Bucket acl, PUT Object acl and PUT Object (and
                         CopyObject, CreateMultipartUpload, CreateBucket) with
                         a public ACL fail (AccessDenied); existing ACLs stay
  IgnorePublicAcls       public ACLs on the bucket and its objects grant nothing
                         (they are kept and work again when the setting goes)
  BlockPublicPolicy      PUT Bucket policy with a public policy fails
                         (AccessDenied); an existing public policy stays
  RestrictPublicBuckets  a bucket with a public policy is reachable only by
                         AWS service principals and authorized users of the
                         bucket owner's account (no anonymous, no other account)

An ACL is public when it grants AllUsers or AuthenticatedUsers; a policy is
public unless every Allow statement is restricted to fixed principals or
fixed values (aws:SourceIp ranges, aws:SourceAccount, ...). pail's default
(the course's): new buckets have no Block Public Access configuration."""
import json
import os
import uuid

import pytest

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (ALL_USERS, AUTH_USERS, S3_READ, accounts, allow, anon, attempt,  # noqa: F401
                       bucket_arn, expect_error, expect_ok, make_user, object_arn, policy_doc,
                       public_read_policy, root, root_bucket)

ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
          "RestrictPublicBuckets": True}


def bpa(**on):
    cfg = {k: False for k in ALL_ON}
    cfg.update(on)
    return cfg


def uid():
    return uuid.uuid4().hex[:10]


# -------------------------------------------------------- the configuration
def test_no_configuration_by_default(s3, root_bucket):
    b = root_bucket()
    expect_error(s3.get_public_access_block, Bucket=b, code="NoSuchPublicAccessBlockConfiguration",
                 status=404, why="pail's default (the course's): a new bucket has no Block Public Access",
                 message="The public access block configuration was not found")


def test_put_get_delete_public_access_block(s3, root_bucket):
    b = root_bucket()
    expect_ok(s3.put_public_access_block, Bucket=b, PublicAccessBlockConfiguration=ALL_ON,
              why="PutPublicAccessBlock by the owner")
    got = s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]
    assert got == ALL_ON, got
    expect_ok(s3.put_public_access_block, Bucket=b, PublicAccessBlockConfiguration={"BlockPublicAcls": True},
              why="a partial configuration: the others are false")
    got = s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]
    assert got == bpa(BlockPublicAcls=True), "settings not given are false: %r" % got
    r = expect_ok(s3.delete_public_access_block, Bucket=b, why="DeletePublicAccessBlock")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(s3.get_public_access_block, Bucket=b, code="NoSuchPublicAccessBlockConfiguration",
                 status=404, why="deleted")


def test_public_access_block_needs_permission(make_user, root_bucket):
    b = root_bucket()
    ro = make_user(managed=[S3_READ])
    expect_error(ro.s3.put_public_access_block, Bucket=b, PublicAccessBlockConfiguration=ALL_ON,
                 code="AccessDenied", status=403,
                 why="s3:PutBucketPublicAccessBlock is not in AmazonS3ReadOnlyAccess")


def test_other_account_cannot_change_it(accounts, root_bucket):
    other = accounts.second()
    b = root_bucket()
    expect_error(other.s3.put_public_access_block, Bucket=b, PublicAccessBlockConfiguration=bpa(),
                 code="AccessDenied", status=403, why="cross-account: no grant")


# -------------------------------------------------------- BlockPublicAcls
@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_block_public_acls_refuses_public_acls(s3, root_bucket, acl):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="existing", Body=b"x")
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(BlockPublicAcls=True))
    why = "BlockPublicAcls: a request carrying a public ACL (%s) is AccessDenied" % acl
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", ACL=acl, code="AccessDenied", status=403,
                 why=why)
    expect_error(s3.put_object_acl, Bucket=b, Key="existing", ACL=acl, code="AccessDenied", status=403,
                 why=why)
    expect_error(s3.put_bucket_acl, Bucket=b, ACL=acl, code="AccessDenied", status=403, why=why)
    expect_error(s3.copy_object, Bucket=b, Key="c", CopySource={"Bucket": b, "Key": "existing"}, ACL=acl,
                 code="AccessDenied", status=403, why=why)
    expect_error(s3.create_multipart_upload, Bucket=b, Key="m", ACL=acl, code="AccessDenied", status=403,
                 why=why)
    expect_ok(s3.put_object, Bucket=b, Key="p", Body=b"x", ACL="private", why="a private ACL is fine")
    expect_ok(s3.put_object, Bucket=b, Key="q", Body=b"x", ACL="bucket-owner-full-control",
              why="bucket-owner-full-control is not public")


def test_block_public_acls_refuses_public_grant_headers(s3, accounts, root, root_bucket):
    other = accounts.second()
    b = root_bucket()
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(BlockPublicAcls=True))
    for uri in (ALL_USERS, AUTH_USERS):
        expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", GrantRead='uri="%s"' % uri,
                     code="AccessDenied", status=403,
                     why="BlockPublicAcls: a grant to %s is public" % uri.rsplit("/", 1)[1])
        expect_error(s3.put_bucket_acl, Bucket=b, AccessControlPolicy={
            "Owner": {"ID": root.canonical_id},
            "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": root.canonical_id}, "Permission": "FULL_CONTROL"},
                       {"Grantee": {"Type": "Group", "URI": uri}, "Permission": "READ"}]},
            code="AccessDenied", status=403, why="BlockPublicAcls: an ACL body with a public grant")
    expect_ok(s3.put_object, Bucket=b, Key="k", Body=b"x", GrantRead='id="%s"' % other.canonical_id,
              why="a grant to a named account is not public")


def test_block_public_acls_keeps_existing_public_acls(s3, anon, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="pub", Body=b"x", ACL="public-read")
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(BlockPublicAcls=True))
    expect_ok(anon.get_object, Bucket=b, Key="pub",
              why="BlockPublicAcls only refuses new public ACLs; existing ones still work")


def test_create_bucket_with_public_acl_then_block(s3, root_bucket, anon):
    b = root_bucket(ACL="public-read")
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(BlockPublicAcls=True))
    expect_error(s3.put_bucket_acl, Bucket=b, ACL="public-read", code="AccessDenied", status=403,
                 why="BlockPublicAcls: even re-setting the same public ACL is refused")
    expect_ok(anon.list_objects_v2, Bucket=b, why="the existing public bucket ACL still grants")


# ------------------------------------------------------- IgnorePublicAcls
def test_ignore_public_acls(s3, anon, accounts, root_bucket):
    other = accounts.second()
    b = root_bucket(ACL="public-read")
    s3.put_object(Bucket=b, Key="pub", Body=b"x", ACL="public-read")
    s3.put_object(Bucket=b, Key="auth", Body=b"x", ACL="authenticated-read")
    s3.put_object(Bucket=b, Key="named", Body=b"x", GrantRead='id="%s"' % other.canonical_id)
    expect_ok(anon.get_object, Bucket=b, Key="pub", why="public-read, nothing blocked yet")
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(IgnorePublicAcls=True))
    why = "IgnorePublicAcls: public ACLs grant nothing"
    expect_error(anon.get_object, Bucket=b, Key="pub", code="AccessDenied", status=403, why=why)
    expect_error(anon.list_objects_v2, Bucket=b, code="AccessDenied", status=403, why=why)
    expect_error(other.s3.get_object, Bucket=b, Key="auth", code="AccessDenied", status=403,
                 why="IgnorePublicAcls: AuthenticatedUsers grants are public too")
    expect_ok(other.s3.get_object, Bucket=b, Key="named",
              why="a grant to a named account is not public and still works")
    expect_ok(s3.put_object, Bucket=b, Key="new", Body=b"x", ACL="public-read",
              why="IgnorePublicAcls alone does not refuse public ACLs (that is BlockPublicAcls)")
    expect_error(anon.get_object, Bucket=b, Key="new", code="AccessDenied", status=403, why=why)
    s3.delete_public_access_block(Bucket=b)
    expect_ok(anon.get_object, Bucket=b, Key="pub", why="the ACL was kept and grants again")
    expect_ok(anon.get_object, Bucket=b, Key="new", why="the ACL was kept and grants again")


# ------------------------------------------------------ BlockPublicPolicy
def test_block_public_policy(s3, anon, accounts, root_bucket):
    other = accounts.second()
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(BlockPublicPolicy=True))
    expect_error(s3.put_bucket_policy, Bucket=b, Policy=public_read_policy(b), code="AccessDenied",
                 status=403, why="BlockPublicPolicy: a public bucket policy is refused, for the root too")
    expect_error(s3.get_bucket_policy, Bucket=b, code="NoSuchBucketPolicy", status=404,
                 why="the refused policy was not stored")
    expect_ok(s3.put_bucket_policy, Bucket=b, Policy=policy_doc(allow(
        "s3:GetObject", object_arn(b), principal={"AWS": "arn:aws:iam::%s:root" % other.account_id})),
        why="a policy granting a named account is not public")
    expect_ok(s3.put_bucket_policy, Bucket=b, Policy=policy_doc(allow(
        "s3:GetObject", object_arn(b), principal="*", condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})),
        why="Principal * limited to a fixed IP range is not public")


def test_block_public_policy_keeps_an_existing_public_policy(s3, anon, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    s3.put_bucket_policy(Bucket=b, Policy=public_read_policy(b))
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(BlockPublicPolicy=True))
    expect_ok(anon.get_object, Bucket=b, Key="k",
              why="BlockPublicPolicy refuses new public policies; an existing one keeps working")
    expect_ok(s3.delete_bucket_policy, Bucket=b, why="deleting a policy is never blocked")


# -------------------------------------------------- RestrictPublicBuckets
def test_restrict_public_buckets(s3, anon, accounts, make_user, root_bucket, server):
    other = accounts.second()
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    reader = make_user(managed=[S3_READ])
    named = make_user()
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(
        allow("s3:GetObject", object_arn(b), principal="*"),
        allow("s3:GetObject", object_arn(b), principal={"AWS": "arn:aws:iam::%s:root" % other.account_id}),
        allow("s3:GetObject", object_arn(b), principal={"AWS": named.arn})))
    expect_ok(anon.get_object, Bucket=b, Key="k", why="the public policy, nothing restricted yet")
    expect_ok(other.s3.get_object, Bucket=b, Key="k", why="the policy names the other account")
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(RestrictPublicBuckets=True))
    expect_error(anon.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="RestrictPublicBuckets: a public policy grants nothing to anonymous callers")
    expect_error(other.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="RestrictPublicBuckets 'blocks all cross-account access' to a bucket with a public policy")
    expect_ok(s3.get_object, Bucket=b, Key="k", why="the bucket owner's root is within the account")
    expect_ok(reader.s3.get_object, Bucket=b, Key="k", why="an authorized user of the owner's account")
    expect_ok(named.s3.get_object, Bucket=b, Key="k",
              why="a same-account user authorized by a non-public statement of the policy")
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(
        allow("s3:GetObject", object_arn(b), principal={"AWS": "arn:aws:iam::%s:root" % other.account_id})))
    expect_ok(other.s3.get_object, Bucket=b, Key="k",
              why="the policy is no longer public: RestrictPublicBuckets no longer applies")


def test_restrict_public_buckets_leaves_acls_alone(s3, anon, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read")
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=bpa(RestrictPublicBuckets=True))
    expect_ok(anon.get_object, Bucket=b, Key="k",
              why="RestrictPublicBuckets is about public policies; public ACLs are IgnorePublicAcls' job")


def test_all_four_settings(s3, anon, root_bucket):
    b = root_bucket(ACL="public-read")
    s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read")
    s3.put_bucket_policy(Bucket=b, Policy=public_read_policy(b))
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=ALL_ON)
    expect_error(anon.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="all four settings: neither the public ACL nor the public policy grants")
    expect_error(anon.list_objects_v2, Bucket=b, code="AccessDenied", status=403,
                 why="the public bucket ACL is ignored")
    expect_ok(s3.get_object, Bucket=b, Key="k", why="the owner is unaffected")
    st = s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]
    assert st["IsPublic"] is True, "policy status describes the policy itself: still public"


# ------------------------------------------------------ --aws-defaults
@pytest.mark.own_server
def test_aws_defaults_flag(start_pail, tmp_path, monkeypatch):
    """`pail serve --aws-defaults`: new buckets get AWS's April 2023 defaults,
    all four Block Public Access settings on and ACLs disabled
    (BucketOwnerEnforced)."""
    from conftest import make_client, pail_bin, Server, ACCESS_KEY, SECRET_KEY
    real = pail_bin()
    wrapper = tmp_path / "pail-aws-defaults"
    wrapper.write_text('#!/bin/sh\nexec "%s" "$@" --aws-defaults\n' % real)
    wrapper.chmod(0o755)
    monkeypatch.setenv("PAIL_BIN", str(wrapper))
    proc = start_pail(tmp_path / "data")
    s3 = make_client(Server(proc.endpoint, ACCESS_KEY, SECRET_KEY))
    b = "pail-awsdef-" + uid()
    s3.create_bucket(Bucket=b)
    got = expect_ok(s3.get_public_access_block, Bucket=b,
                    why="AWS 2023 defaults: new buckets have Block Public Access on")
    assert got["PublicAccessBlockConfiguration"] == ALL_ON, got
    rules = expect_ok(s3.get_bucket_ownership_controls, Bucket=b,
                      why="AWS 2023 defaults: new buckets have ObjectOwnership BucketOwnerEnforced")
    assert rules["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", ACL="public-read",
                 code="AccessControlListNotSupported", status=400, why="ACLs are disabled")
    expect_error(s3.put_bucket_policy, Bucket=b, Policy=public_read_policy(b), code="AccessDenied",
                 status=403, why="BlockPublicPolicy is on")
    s3.delete_bucket(Bucket=b)
