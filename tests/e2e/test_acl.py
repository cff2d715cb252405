"""Access control lists, from the S3 "Access control list (ACL) overview" and
the API reference: every canned ACL via x-amz-acl on CreateBucket, PutObject,
CopyObject, CreateMultipartUpload, PutBucketAcl and PutObjectAcl and what
GetBucketAcl/GetObjectAcl then show; x-amz-grant-* headers (id=,
emailAddress=, uri=); AccessControlPolicy bodies; the 100-grant limit;
MalformedACLError; what grants let another account and anonymous callers do;
Object Ownership (BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter).
Also the course's put_object_acl / upload_file(ExtraArgs={'ACL': ...}) cells
read back with pandas.

Canned ACLs (ACL overview, "Canned ACL" table):
  private                    owner FULL_CONTROL
  public-read                + AllUsers READ
  public-read-write          + AllUsers READ, WRITE
  authenticated-read         + AuthenticatedUsers READ
  aws-exec-read              + Amazon EC2 READ (one CanonicalUser grant)
  bucket-owner-read          object: + bucket owner READ (ignored on CreateBucket)
  bucket-owner-full-control  object: + bucket owner FULL_CONTROL (ignored on CreateBucket)
  log-delivery-write         bucket: + LogDelivery WRITE and READ_ACP
Grant headers replace the whole ACL: it then holds exactly the named grants.
pail's default (the course's, AWS's before April 2023): new buckets accept
ACLs (ObjectWriter) and have no Block Public Access."""
import urllib.error
import uuid

import pandas as pd
import pytest
import requests

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (ALL_USERS, AUTH_USERS, LOG_DELIVERY, accounts, allow, anon,  # noqa: F401
                       attempt, expect_error, expect_ok, gid_requests, grants_of, object_arn,
                       policy_doc, root, root_bucket)


def uid():
    return uuid.uuid4().hex[:10]


def canned_grants(acl, owner, on="object", bucket_owner=None):
    """The grant set AWS's canned ACL table gives (grantee, permission); for
    aws-exec-read the EC2 grant is checked apart."""
    o = ("id", owner)
    fc = {(o, "FULL_CONTROL")}
    bo = ("id", bucket_owner or owner)
    return {
        "private": fc,
        "public-read": fc | {(("uri", ALL_USERS), "READ")},
        "public-read-write": fc | {(("uri", ALL_USERS), "READ"), (("uri", ALL_USERS), "WRITE")},
        "authenticated-read": fc | {(("uri", AUTH_USERS), "READ")},
        "bucket-owner-read": fc | ({(bo, "READ")} if on == "object" else set()),
        "bucket-owner-full-control": fc | ({(bo, "FULL_CONTROL")} if on == "object" else set()),
        "log-delivery-write": fc | ({(("uri", LOG_DELIVERY), "WRITE"), (("uri", LOG_DELIVERY), "READ_ACP")}
                                    if on == "bucket" else set()),
        "aws-exec-read": fc,
    }[acl]


def check_canned(resp, acl, owner, on, where):
    got = grants_of(resp)
    assert resp["Owner"]["ID"] == owner, "%s: Owner is the %s owner's canonical id" % (where, on)
    if acl == "aws-exec-read":
        extra = got - {(("id", owner), "FULL_CONTROL")}
        assert (("id", owner), "FULL_CONTROL") in got and len(extra) == 1 and \
            list(extra)[0][0][0] == "id" and list(extra)[0][1] == "READ", \
            "%s: aws-exec-read is owner FULL_CONTROL + Amazon EC2 READ; got %r" % (where, got)
        return
    want = canned_grants(acl, owner, on)
    if acl == "bucket-owner-read" and on == "object":
        # writer == bucket owner: AWS may or may not fold the READ into FULL_CONTROL
        assert {(("id", owner), "FULL_CONTROL")} <= got <= want, \
            "%s: bucket-owner-read grants %r; pail shows %r" % (where, want, got)
        return
    assert got == want, "%s: canned ACL %s grants %r (ACL overview); pail shows %r" % (where, acl, want, got)


BUCKET_ACLS = ["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "log-delivery-write"]
OBJECT_ACLS = ["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control"]


# ------------------------------------------------------------- canned ACLs
@pytest.mark.parametrize("acl", BUCKET_ACLS + ["bucket-owner-read", "bucket-owner-full-control"])
def test_canned_acl_on_create_bucket(s3, root, root_bucket, acl):
    b = root_bucket(ACL=acl)
    resp = expect_ok(s3.get_bucket_acl, Bucket=b, why="the owner may read its bucket's ACL")
    # bucket-owner-* canned ACLs apply to objects; CreateBucket ignores them (private).
    check_canned(resp, acl if not acl.startswith("bucket-owner") else "private", root.canonical_id,
                 "bucket", "CreateBucket x-amz-acl: %s" % acl)


@pytest.mark.parametrize("acl", BUCKET_ACLS)
def test_canned_acl_on_put_bucket_acl(s3, root, root_bucket, acl):
    b = root_bucket()
    expect_ok(s3.put_bucket_acl, Bucket=b, ACL=acl, why="PutBucketAcl with a canned ACL")
    check_canned(s3.get_bucket_acl(Bucket=b), acl, root.canonical_id, "bucket", "PutBucketAcl %s" % acl)


def test_default_bucket_and_object_acl_is_private(s3, root, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    check_canned(expect_ok(s3.get_bucket_acl, Bucket=b, why="GetBucketAcl"), "private", root.canonical_id,
                 "bucket", "new bucket")
    check_canned(expect_ok(s3.get_object_acl, Bucket=b, Key="k", why="GetObjectAcl"), "private",
                 root.canonical_id, "object", "new object")


@pytest.mark.parametrize("acl", OBJECT_ACLS)
def test_canned_acl_on_put_object(s3, root, root_bucket, acl):
    b = root_bucket()
    expect_ok(s3.put_object, Bucket=b, Key="k", Body=b"x", ACL=acl, why="PutObject x-amz-acl")
    check_canned(expect_ok(s3.get_object_acl, Bucket=b, Key="k", why="GetObjectAcl"), acl,
                 root.canonical_id, "object", "PutObject x-amz-acl: %s" % acl)


@pytest.mark.parametrize("acl", OBJECT_ACLS)
def test_canned_acl_on_put_object_acl(s3, root, root_bucket, acl):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    expect_ok(s3.put_object_acl, Bucket=b, Key="k", ACL=acl, why="PutObjectAcl with a canned ACL")
    check_canned(s3.get_object_acl(Bucket=b, Key="k"), acl, root.canonical_id, "object",
                 "PutObjectAcl %s" % acl)


@pytest.mark.parametrize("acl", ["private", "public-read", "authenticated-read", "bucket-owner-full-control"])
def test_canned_acl_on_copy_object(s3, root, root_bucket, acl):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="src", Body=b"x")
    expect_ok(s3.copy_object, Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src"}, ACL=acl,
              why="CopyObject x-amz-acl sets the copy's ACL")
    check_canned(s3.get_object_acl(Bucket=b, Key="dst"), acl, root.canonical_id, "object",
                 "CopyObject x-amz-acl: %s" % acl)


def test_copy_object_does_not_copy_the_acl(s3, root, root_bucket, anon):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="src", Body=b"x", ACL="public-read")
    s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src"})
    check_canned(expect_ok(s3.get_object_acl, Bucket=b, Key="dst", why="GetObjectAcl"), "private",
                 root.canonical_id, "object", "copy without x-amz-acl")
    expect_error(anon.get_object, Bucket=b, Key="dst", code="AccessDenied", status=403,
                 why="a copy gets the default private ACL, not its source's")


@pytest.mark.parametrize("acl", ["private", "public-read", "authenticated-read"])
def test_canned_acl_on_create_multipart_upload(s3, root, root_bucket, acl):
    b = root_bucket()
    up = expect_ok(s3.create_multipart_upload, Bucket=b, Key="mp", ACL=acl,
                   why="CreateMultipartUpload x-amz-acl")["UploadId"]
    etag = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=b"part")["ETag"]
    s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    check_canned(s3.get_object_acl(Bucket=b, Key="mp"), acl, root.canonical_id, "object",
                 "multipart upload with x-amz-acl: %s" % acl)


def test_unknown_canned_acl_is_refused(s3, root_bucket):
    b = root_bucket()
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", ACL="public-everything",
                 code="InvalidArgument", status=400, why="x-amz-acl must name a canned ACL")
    expect_error(s3.put_bucket_acl, Bucket=b, ACL="public-everything", code="InvalidArgument",
                 status=400, why="x-amz-acl must name a canned ACL")


def test_canned_and_grant_headers_together_are_refused(s3, root_bucket):
    b = root_bucket()
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", ACL="public-read",
                 GrantRead='uri="%s"' % AUTH_USERS, code="InvalidRequest", status=400,
                 why="'Specifying both Canned ACLs and Header Grants is not allowed'")


# ------------------------------------------------------- what grants do
def test_public_read_object_is_readable_anonymously(s3, anon, root_bucket, server):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="pub", Body=b"hello", ACL="public-read")
    s3.put_object(Bucket=b, Key="priv", Body=b"hello")
    assert expect_ok(anon.get_object, Bucket=b, Key="pub", why="AllUsers READ on the object")["Body"].read() \
        == b"hello"
    r = requests.get("%s/%s/pub" % (server.endpoint, b), timeout=30)
    assert r.status_code == 200 and r.content == b"hello", "a plain unsigned GET of a public-read object"
    out = expect_error(anon.get_object, Bucket=b, Key="priv", code="AccessDenied", status=403,
                       why="private: no grant to anonymous")
    assert out.message == "Access Denied", "anonymous callers get the plain 'Access Denied' message"
    expect_error(anon.list_objects_v2, Bucket=b, code="AccessDenied", status=403,
                 why="the object's ACL does not grant listing the bucket")


def test_public_read_bucket_lists_anonymously(s3, anon, root_bucket):
    b = root_bucket(ACL="public-read")
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    keys = [o["Key"] for o in expect_ok(anon.list_objects_v2, Bucket=b,
                                        why="bucket READ for AllUsers allows s3:ListBucket")["Contents"]]
    assert keys == ["k"]
    expect_error(anon.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="bucket READ does not grant the objects: the object ACL is private")
    out = attempt(anon.get_object, Bucket=b, Key="missing")
    # AWS: a missing key is 404 when the caller "also" has s3:ListBucket; whether an
    # object-ACL-only reader counts is not documented, so 403 is accepted too.
    assert (out.code, out.status) in (("NoSuchKey", 404), ("AccessDenied", 403)), \
        "bucket READ gives s3:ListBucket: a missing key is 404 NoSuchKey (or 403); pail %r" % out
    expect_error(anon.put_object, Bucket=b, Key="n", Body=b"x", code="AccessDenied", status=403,
                 why="public-read grants no WRITE")


def test_public_read_write_bucket_accepts_anonymous_uploads(s3, anon, root_bucket):
    b = root_bucket(ACL="public-read-write")
    expect_ok(anon.put_object, Bucket=b, Key="anon.txt", Body=b"x", why="AllUsers WRITE on the bucket")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["anon.txt"]
    expect_ok(anon.delete_object, Bucket=b, Key="anon.txt", why="bucket WRITE also allows deletes")


def test_authenticated_read_needs_a_signature(accounts, s3, anon, root_bucket):
    other = accounts.second()
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="authenticated-read")
    expect_error(anon.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="AuthenticatedUsers excludes anonymous requests")
    expect_ok(other.s3.get_object, Bucket=b, Key="k",
              why="AuthenticatedUsers means any AWS account: another account's root may read")


def test_grants_to_another_account(accounts, s3, root, root_bucket):
    other = accounts.second()
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"data")
    bid = 'id="%s"' % other.canonical_id
    me = 'id="%s"' % root.canonical_id
    expect_error(other.s3.get_bucket_acl, Bucket=b, code="AccessDenied", status=403, why="no grant yet")
    expect_ok(s3.put_bucket_acl, Bucket=b, GrantFullControl=me, GrantReadACP=bid, GrantRead=bid,
              why="PutBucketAcl with grant headers")
    expect_ok(other.s3.get_bucket_acl, Bucket=b, why="bucket READ_ACP lets it read the bucket ACL")
    expect_ok(other.s3.list_objects_v2, Bucket=b, why="bucket READ lets it list")
    expect_error(other.s3.put_object, Bucket=b, Key="n", Body=b"x", code="AccessDenied", status=403,
                 why="no bucket WRITE")
    expect_error(other.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="bucket grants do not cover objects")
    expect_error(other.s3.put_bucket_acl, Bucket=b, ACL="private", code="AccessDenied", status=403,
                 why="no WRITE_ACP")
    s3.put_bucket_acl(Bucket=b, GrantFullControl=me, GrantWrite=bid, GrantWriteACP=bid)
    expect_ok(other.s3.put_object, Bucket=b, Key="n", Body=b"x", why="bucket WRITE allows uploads")
    expect_ok(other.s3.delete_object, Bucket=b, Key="k", why="bucket WRITE allows deleting any object")
    expect_ok(other.s3.put_bucket_acl, Bucket=b, AccessControlPolicy={
        "Owner": {"ID": root.canonical_id},
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": root.canonical_id},
                    "Permission": "FULL_CONTROL"}]}, why="bucket WRITE_ACP allows PutBucketAcl")


def test_object_grants_to_another_account(accounts, s3, root, root_bucket):
    other = accounts.second()
    b = root_bucket()
    bid = 'id="%s"' % other.canonical_id
    s3.put_object(Bucket=b, Key="r", Body=b"x", GrantRead=bid)
    s3.put_object(Bucket=b, Key="ra", Body=b"x", GrantReadACP=bid)
    s3.put_object(Bucket=b, Key="wa", Body=b"x", GrantWriteACP=bid)
    expect_ok(other.s3.get_object, Bucket=b, Key="r", why="object READ allows GetObject")
    expect_error(other.s3.get_object_acl, Bucket=b, Key="r", code="AccessDenied", status=403,
                 why="object READ does not allow reading the ACL")
    expect_ok(other.s3.get_object_acl, Bucket=b, Key="ra", why="object READ_ACP allows GetObjectAcl")
    expect_error(other.s3.get_object, Bucket=b, Key="ra", code="AccessDenied", status=403,
                 why="READ_ACP does not allow reading the data")
    expect_ok(other.s3.put_object_acl, Bucket=b, Key="wa", ACL="public-read",
              why="object WRITE_ACP allows PutObjectAcl")
    expect_error(other.s3.put_object_acl, Bucket=b, Key="r", ACL="public-read", code="AccessDenied",
                 status=403, why="no WRITE_ACP on this object")


# --------------------------------------------------------- grant headers
def test_grant_headers_replace_the_acl(accounts, s3, root, root_bucket):
    other = accounts.second()
    b = root_bucket()
    expect_ok(s3.put_object, Bucket=b, Key="k", Body=b"x",
              GrantRead='uri="%s"' % ALL_USERS,
              GrantReadACP='id="%s"' % other.canonical_id,
              GrantFullControl='emailAddress="%s"' % other.email,
              why="x-amz-grant-* with uri=, id= and emailAddress=")
    got = grants_of(s3.get_object_acl(Bucket=b, Key="k"))
    want = {(("uri", ALL_USERS), "READ"), (("id", other.canonical_id), "READ_ACP"),
            (("id", other.canonical_id), "FULL_CONTROL")}
    assert got == want, "grant headers give exactly the named grants (an email grantee is shown " \
                        "as the account's CanonicalUser); want %r, pail %r" % (want, got)


def test_grant_header_with_several_grantees(accounts, s3, root, root_bucket):
    other = accounts.second()
    b = root_bucket()
    expect_ok(s3.put_bucket_acl, Bucket=b,
              GrantRead='id="%s", uri="%s"' % (other.canonical_id, AUTH_USERS),
              GrantFullControl='id="%s"' % root.canonical_id, why="comma-separated grantees")
    got = grants_of(s3.get_bucket_acl(Bucket=b))
    assert got == {(("id", other.canonical_id), "READ"), (("uri", AUTH_USERS), "READ"),
                   (("id", root.canonical_id), "FULL_CONTROL")}, got


def test_grant_to_unknown_email_or_id(s3, root_bucket):
    b = root_bucket()
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x",
                 GrantRead='emailAddress="nobody-%s@example.com"' % uid(),
                 code="UnresolvableGrantByEmailAddress", status=400,
                 why="the e-mail address matches no account")
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", GrantRead='id="%s"' % ("0" * 64),
                 code="InvalidArgument", status=400, why="a canonical id of no account: 'Invalid id'")
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x",
                 GrantRead='uri="http://acs.amazonaws.com/groups/global/Nobody"',
                 code="InvalidArgument", status=400, why="an unknown group URI")


# ------------------------------------------------- AccessControlPolicy XML
def acp(owner, *grants):
    out = []
    for kind, value, perm in grants:
        if kind == "id":
            g = {"Type": "CanonicalUser", "ID": value}
        elif kind == "uri":
            g = {"Type": "Group", "URI": value}
        else:
            g = {"Type": "AmazonCustomerByEmail", "EmailAddress": value}
        out.append({"Grantee": g, "Permission": perm})
    return {"Owner": {"ID": owner}, "Grants": out}


def test_access_control_policy_body(accounts, s3, root, root_bucket):
    other = accounts.second()
    b = root_bucket()
    body = acp(root.canonical_id, ("id", root.canonical_id, "FULL_CONTROL"),
               ("uri", ALL_USERS, "READ"), ("email", other.email, "READ_ACP"),
               ("id", other.canonical_id, "WRITE"))
    expect_ok(s3.put_bucket_acl, Bucket=b, AccessControlPolicy=body, why="PutBucketAcl with an XML body")
    got = grants_of(s3.get_bucket_acl(Bucket=b))
    assert got == {(("id", root.canonical_id), "FULL_CONTROL"), (("uri", ALL_USERS), "READ"),
                   (("id", other.canonical_id), "READ_ACP"), (("id", other.canonical_id), "WRITE")}, got
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    expect_ok(s3.put_object_acl, Bucket=b, Key="k", AccessControlPolicy=acp(
        root.canonical_id, ("id", root.canonical_id, "FULL_CONTROL"), ("uri", AUTH_USERS, "READ")),
        why="PutObjectAcl with an XML body")
    assert grants_of(s3.get_object_acl(Bucket=b, Key="k")) == {
        (("id", root.canonical_id), "FULL_CONTROL"), (("uri", AUTH_USERS), "READ")}


def test_grantee_display_name_and_types(s3, root, root_bucket):
    b = root_bucket(ACL="public-read")
    resp = s3.get_bucket_acl(Bucket=b)
    kinds = {g["Grantee"]["Type"] for g in resp["Grants"]}
    assert kinds == {"CanonicalUser", "Group"}
    me = [g["Grantee"] for g in resp["Grants"] if g["Grantee"]["Type"] == "CanonicalUser"][0]
    assert me["ID"] == root.canonical_id and me.get("DisplayName") == resp["Owner"].get("DisplayName"), \
        "a CanonicalUser grantee carries the account's DisplayName"


def _grants(n, owner, other):
    pool = [(k, v, p) for (k, v) in (("id", owner), ("id", other), ("uri", ALL_USERS), ("uri", AUTH_USERS),
                                     ("uri", LOG_DELIVERY))
            for p in ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")]
    return [pool[i % len(pool)] for i in range(n)]


def test_acl_grant_limit(accounts, s3, root, root_bucket):
    other = accounts.second()
    b = root_bucket()
    expect_ok(s3.put_bucket_acl, Bucket=b, AccessControlPolicy=acp(
        root.canonical_id, *_grants(100, root.canonical_id, other.canonical_id)),
        why="an ACL can have up to 100 grants")
    expect_error(s3.put_bucket_acl, Bucket=b, AccessControlPolicy=acp(
        root.canonical_id, *_grants(101, root.canonical_id, other.canonical_id)),
        code="MalformedACLError", status=400, why="more than 100 grants: 400 MalformedACLError")
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    expect_error(s3.put_object_acl, Bucket=b, Key="k", AccessControlPolicy=acp(
        root.canonical_id, *_grants(101, root.canonical_id, other.canonical_id)),
        code="MalformedACLError", status=400, why="the limit holds for object ACLs too")


def test_malformed_acl(s3, root, root_bucket, raw):
    b = root_bucket()
    expect_error(s3.put_bucket_acl, Bucket=b, AccessControlPolicy=acp(
        root.canonical_id, ("id", root.canonical_id, "READ_EVERYTHING")),
        code="MalformedACLError", status=400, why="an unknown Permission does not validate")
    r = raw.request("PUT", b, query=[("acl", "")], body=b"<AccessControlPolicy><Owner>",
                    headers={"content-type": "application/xml"})
    assert r.status_code == 400 and (b"MalformedACLError" in r.content or b"MalformedXML" in r.content), \
        "a body that is not XML: 400 MalformedACLError; pail %s %r" % (r.status_code, r.content[:300])
    r = raw.request("PUT", b, query=[("acl", "")], headers={"content-type": "application/xml"},
                    body=b'<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>'
                         + root.canonical_id.encode() + b'</ID></Owner><AccessControlList><Grant><Grantee '
                         b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
                         b'</Grantee><Permission>READ</Permission></Grant></AccessControlList>'
                         b'</AccessControlPolicy>')
    assert r.status_code == 400 and b"MalformedACLError" in r.content, \
        "a CanonicalUser grantee without ID: 400 MalformedACLError; pail %s %r" % (r.status_code, r.content[:300])


def test_acl_on_missing_object_and_bucket(s3, root_bucket):
    b = root_bucket()
    expect_error(s3.get_object_acl, Bucket=b, Key="missing", code="NoSuchKey", status=404,
                 why="GetObjectAcl of a missing key")
    expect_error(s3.put_object_acl, Bucket=b, Key="missing", ACL="private", code="NoSuchKey", status=404,
                 why="PutObjectAcl of a missing key")
    expect_error(s3.get_bucket_acl, Bucket="pail-none-" + uid(), code="NoSuchBucket", status=404,
                 why="GetBucketAcl of a missing bucket")


# ------------------------------------------------------- object ownership
def test_ownership_controls_default(s3, root_bucket):
    b = root_bucket()
    out = attempt(s3.get_bucket_ownership_controls, Bucket=b)
    if out.ok:
        rules = out.response["OwnershipControls"]["Rules"]
        assert rules == [{"ObjectOwnership": "ObjectWriter"}], \
            "pail's default follows the course (ACLs accepted): ObjectWriter; got %r" % rules
    else:
        assert out.code == "OwnershipControlsNotFoundError" and out.status == 404, \
            "a bucket without ownership controls (AWS before April 2023): 404 " \
            "OwnershipControlsNotFoundError; pail %r" % out


def test_put_get_delete_ownership_controls(s3, root_bucket):
    b = root_bucket()
    for mode in ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"):
        expect_ok(s3.put_bucket_ownership_controls, Bucket=b,
                  OwnershipControls={"Rules": [{"ObjectOwnership": mode}]},
                  why="PutBucketOwnershipControls %s" % mode)
        got = s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"]
        assert got == [{"ObjectOwnership": mode}], got
    expect_ok(s3.delete_bucket_ownership_controls, Bucket=b, why="DeleteBucketOwnershipControls")
    expect_error(s3.get_bucket_ownership_controls, Bucket=b, code="OwnershipControlsNotFoundError",
                 status=404, why="deleted controls")
    out = attempt(s3.put_bucket_ownership_controls, Bucket=b,
                  OwnershipControls={"Rules": [{"ObjectOwnership": "Anyone"}]})
    assert not out.ok and out.status == 400, \
        "an unknown ObjectOwnership value is a 400 (MalformedXML); pail %r" % out


def test_bucket_owner_enforced_disables_acls(s3, root, root_bucket):
    b = root_bucket(ObjectOwnership="BucketOwnerEnforced")
    assert s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"] == \
        [{"ObjectOwnership": "BucketOwnerEnforced"}]
    why = "BucketOwnerEnforced: ACLs are disabled; setting one is AccessControlListNotSupported"
    expect_error(s3.put_bucket_acl, Bucket=b, ACL="public-read", code="AccessControlListNotSupported",
                 status=400, why=why, message="The bucket does not allow ACLs")
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", ACL="public-read",
                 code="AccessControlListNotSupported", status=400, why=why)
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", GrantRead='uri="%s"' % ALL_USERS,
                 code="AccessControlListNotSupported", status=400, why=why)
    expect_ok(s3.put_object, Bucket=b, Key="k", Body=b"x", ACL="bucket-owner-full-control",
              why="bucket-owner-full-control is still accepted when ACLs are disabled")
    expect_ok(s3.put_object, Bucket=b, Key="k2", Body=b"x", why="no ACL at all")
    expect_error(s3.put_object_acl, Bucket=b, Key="k", ACL="public-read",
                 code="AccessControlListNotSupported", status=400, why=why)
    check_canned(expect_ok(s3.get_bucket_acl, Bucket=b, why="reading ACLs still works"), "private",
                 root.canonical_id, "bucket", "BucketOwnerEnforced GetBucketAcl")
    check_canned(expect_ok(s3.get_object_acl, Bucket=b, Key="k", why="reading ACLs still works"), "private",
                 root.canonical_id, "object", "BucketOwnerEnforced GetObjectAcl")


def test_bucket_owner_enforced_with_an_acl_on_create(s3, root_bucket):
    name = "pail-perm-" + uid()
    out = attempt(s3.create_bucket, Bucket=name, ACL="public-read", ObjectOwnership="BucketOwnerEnforced")
    if out.ok:
        s3.delete_bucket(Bucket=name)
    assert out.code == "InvalidBucketAclWithObjectOwnership" and out.status == 400, \
        "CreateBucket with a public ACL and BucketOwnerEnforced: 400 " \
        "InvalidBucketAclWithObjectOwnership; pail %r" % out


def test_enforcing_on_a_bucket_with_foreign_grants(s3, root_bucket):
    b = root_bucket(ACL="public-read")
    expect_error(s3.put_bucket_ownership_controls, Bucket=b,
                 OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                 code="InvalidBucketAclWithObjectOwnership", status=400,
                 why="ACLs cannot be disabled while the bucket ACL grants others access")


def _allow_other_to_put(s3, bucket, other):
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_doc(allow(
        ["s3:PutObject", "s3:PutObjectAcl"], object_arn(bucket),
        principal={"AWS": "arn:aws:iam::%s:root" % other.account_id})))


def _owner(s3, bucket, key):
    return [o.get("Owner", {}).get("ID") for o in
            s3.list_objects_v2(Bucket=bucket, Prefix=key, FetchOwner=True)["Contents"] if o["Key"] == key][0]


def test_object_writer_ownership(accounts, s3, root, root_bucket):
    other = accounts.second()
    b = root_bucket(ObjectOwnership="ObjectWriter")
    _allow_other_to_put(s3, b, other)
    expect_ok(other.s3.put_object, Bucket=b, Key="plain", Body=b"x", why="the bucket policy allows it")
    expect_ok(other.s3.put_object, Bucket=b, Key="bofc", Body=b"x", ACL="bucket-owner-full-control",
              why="the bucket policy allows it")
    assert _owner(s3, b, "plain") == other.canonical_id, "ObjectWriter: the writer owns its object"
    assert _owner(s3, b, "bofc") == other.canonical_id, \
        "ObjectWriter: the writer owns it even with bucket-owner-full-control"
    expect_error(s3.get_object, Bucket=b, Key="plain", code="AccessDenied", status=403,
                 why="the bucket owner has no grant on another account's object (its ACL is private)")
    expect_ok(s3.get_object, Bucket=b, Key="bofc", why="bucket-owner-full-control grants the bucket owner")
    assert (("id", root.canonical_id), "FULL_CONTROL") in grants_of(other.s3.get_object_acl(Bucket=b, Key="bofc"))
    expect_ok(s3.delete_object, Bucket=b, Key="plain", why="the bucket owner may delete any object")


def test_bucket_owner_preferred_ownership(accounts, s3, root_bucket):
    other = accounts.second()
    b = root_bucket(ObjectOwnership="BucketOwnerPreferred")
    _allow_other_to_put(s3, b, other)
    other.s3.put_object(Bucket=b, Key="plain", Body=b"x")
    other.s3.put_object(Bucket=b, Key="bofc", Body=b"x", ACL="bucket-owner-full-control")
    me = s3.list_buckets()["Owner"]["ID"]
    assert _owner(s3, b, "plain") == other.canonical_id, \
        "BucketOwnerPreferred: without bucket-owner-full-control the writer keeps ownership"
    assert _owner(s3, b, "bofc") == me, \
        "BucketOwnerPreferred: with bucket-owner-full-control the bucket owner owns the object"


def test_bucket_owner_enforced_ownership(accounts, s3, root_bucket):
    other = accounts.second()
    b = root_bucket(ObjectOwnership="BucketOwnerEnforced")
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow(
        "s3:PutObject", object_arn(b), principal={"AWS": "arn:aws:iam::%s:root" % other.account_id})))
    expect_ok(other.s3.put_object, Bucket=b, Key="k", Body=b"x", why="the bucket policy allows it")
    assert _owner(s3, b, "k") == s3.list_buckets()["Owner"]["ID"], \
        "BucketOwnerEnforced: the bucket owner owns every object"
    expect_ok(s3.get_object, Bucket=b, Key="k", why="so the bucket owner can read it")


# ------------------------------------------------------------------ course
def test_course_put_object_acl_public_read(s3, gid_requests, server, tmp_path):
    df = pd.DataFrame({"service_name": ["Pothole", "Graffiti"], "count": [3, 5]})
    df.to_csv(tmp_path / "potholes.csv", index=False)
    s3.upload_file(Filename=str(tmp_path / "potholes.csv"), Bucket=gid_requests, Key="potholes.csv")
    with pytest.raises(urllib.error.HTTPError) as e:
        pd.read_csv("%s/%s/potholes.csv" % (server.endpoint, gid_requests))
    assert e.value.code == 403, "a private object is AccessDenied to anonymous readers"
    s3.put_object_acl(Bucket=gid_requests, Key="potholes.csv", ACL="public-read")
    url = "%s/%s/potholes.csv" % (server.endpoint, gid_requests)
    pd.testing.assert_frame_equal(pd.read_csv(url), df)
    s3.put_object_acl(Bucket=gid_requests, Key="potholes.csv", ACL="private")
    with pytest.raises(urllib.error.HTTPError) as e:
        pd.read_csv(url)
    assert e.value.code == 403, "private again: AccessDenied"


def test_course_upload_file_with_acl_extra_args(s3, gid_requests, server, tmp_path):
    df = pd.DataFrame({"service_name": ["Street Light"], "count": [7]})
    df.to_csv(tmp_path / "lights.csv", index=False)
    s3.upload_file(Filename=str(tmp_path / "lights.csv"), Bucket=gid_requests, Key="2019/lights.csv",
                   ExtraArgs={"ACL": "public-read"})
    url = "{}/{}/{}".format(server.endpoint, gid_requests, "2019/lights.csv")
    pd.testing.assert_frame_equal(pd.read_csv(url), df)
    s3.upload_file(Filename=str(tmp_path / "lights.csv"), Bucket=gid_requests, Key="2019/report.html",
                   ExtraArgs={"ContentType": "text/html", "ACL": "public-read"})
    r = requests.get("{}/{}/2019/report.html".format(server.endpoint, gid_requests), timeout=30)
    assert r.status_code == 200 and r.headers.get("Content-Type") == "text/html"
