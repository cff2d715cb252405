"""Presigned URLs and permissions: boto3's default SigV2 query auth
(AWSAccessKeyId/Expires/Signature) and SigV4 (X-Amz-*), signed by IAM users,
role sessions and another account; expiry, tampering, a URL used with the
wrong method, the signer losing its permission or its key after signing,
SigV4's one-week limit, `aws s3 presign`, and the course's share link read
with pandas.

Rules: a presigned request is the signer's request, authorized when it
arrives (so a later policy change or key deletion stops the URL); expired ->
403 AccessDenied "Request has expired"; any change to what was signed (path,
method, query, signature) -> 403 SignatureDoesNotMatch; X-Amz-Expires above
604800 -> 400 AuthorizationQueryParametersError; temporary credentials carry
their session token in the query (X-Amz-Security-Token / x-amz-security-token)."""
import time
import urllib.error
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd
import pytest
import requests

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (S3_FULL, S3_READ, accounts, allow, deny, expect_ok, iam, make_role,  # noqa: F401
                       make_user, object_arn, policy_doc, root, root_bucket, run_aws, session_principal)
from e2e_util import parse_error

SIGS = ["v2", "v4"]


def presigner(principal, sig):
    return principal.s3 if sig == "v2" else principal.s3v4


def url_for(principal, sig, bucket, key, method="get_object", expires=3600, **params):
    p = dict(Bucket=bucket, Key=key, **params)
    return presigner(principal, sig).generate_presigned_url(method, Params=p, ExpiresIn=expires)


def with_query(url, drop=(), **changes):
    parts = urlsplit(url)
    pairs = [(k, changes.pop(k) if k in changes else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in drop]
    pairs += list(changes.items())
    return urlunsplit(parts._replace(query=urlencode(pairs)))


def sig_param(sig):
    return "Signature" if sig == "v2" else "X-Amz-Signature"


def check(resp, status, code, why, message=None):
    got = resp.status_code
    doc = parse_error(resp.content) if resp.content and resp.content.lstrip().startswith(b"<") else {}
    assert got == status and doc.get("Code") == code, \
        "AWS answers %d %s (%s); pail answered %d %r" % (status, code, why, got, resp.content[:300])
    if message:
        assert message in doc.get("Message", ""), \
            "AWS's message says %r (%s); pail said %r" % (message, why, doc.get("Message"))


def ok(resp, why):
    assert resp.status_code == 200, "AWS allows this (%s); pail answered %d %r" % (
        why, resp.status_code, resp.content[:300])
    return resp


@pytest.fixture
def obj(s3, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="potholes.csv", Body=b"service_name,count\nPothole,3\n")
    return b, "potholes.csv"


# --------------------------------------------------------------- basics
@pytest.mark.parametrize("sig", SIGS)
def test_presigned_by_a_user(make_user, obj, sig):
    b, k = obj
    user = make_user(managed=[S3_READ])
    url = url_for(user, sig, b, k)
    assert ("AWSAccessKeyId=" if sig == "v2" else "X-Amz-Credential=") in url
    r = ok(requests.get(url, timeout=30), "the signer may s3:GetObject")
    assert r.content == b"service_name,count\nPothole,3\n"


@pytest.mark.parametrize("sig", SIGS)
def test_presigned_by_a_user_without_permission(make_user, obj, sig):
    b, k = obj
    user = make_user()
    check(requests.get(url_for(user, sig, b, k), timeout=30), 403, "AccessDenied",
          "the request is the signer's: an IAM user with no policy may not s3:GetObject")


def test_presigned_urls_expire(make_user, obj):
    b, k = obj
    user = make_user(managed=[S3_READ])
    # Long enough that a loaded machine still sends the first GETs in time
    # (SigV2's Expires is whole epoch seconds, so up to a second shorter).
    life = 8
    made = time.time()
    urls = {sig: url_for(user, sig, b, k, expires=life) for sig in SIGS}
    share_url = user.s3.generate_presigned_url(ClientMethod="get_object", ExpiresIn=life,
                                               Params={"Bucket": b, "Key": k})
    for sig, url in urls.items():
        ok(requests.get(url, timeout=30), "%s URL within its expiry" % sig)
    df = pd.read_csv(share_url)
    assert list(df["service_name"]) == ["Pothole"], "the course's share link read with pandas"
    time.sleep(max(0.0, made + life + 1.5 - time.time()))
    for sig, url in urls.items():
        check(requests.get(url, timeout=30), 403, "AccessDenied", "%s URL past its expiry" % sig,
              message="Request has expired")
    with pytest.raises(urllib.error.HTTPError) as e:
        pd.read_csv(share_url)
    assert e.value.code == 403, "the expired share link no longer reads"


@pytest.mark.parametrize("sig", SIGS)
def test_presigned_tampered(make_user, obj, sig):
    b, k = obj
    user = make_user(managed=[S3_READ])
    url = url_for(user, sig, b, k)
    s = dict(parse_qsl(urlsplit(url).query))[sig_param(sig)]
    flipped = s[:5] + ("A" if s[5] != "A" else "B") + s[6:] if sig == "v2" else \
        s[:5] + ("0" if s[5] != "0" else "1") + s[6:]
    check(requests.get(with_query(url, **{sig_param(sig): flipped}), timeout=30), 403,
          "SignatureDoesNotMatch", "an altered signature")
    other_key = url.replace("/potholes.csv?", "/other.csv?")
    check(requests.get(other_key, timeout=30), 403, "SignatureDoesNotMatch",
          "the URL was signed for another key")


@pytest.mark.parametrize("sig", SIGS)
def test_presigned_get_used_as_put(make_user, obj, sig):
    b, k = obj
    user = make_user(managed=[S3_FULL])
    url = url_for(user, sig, b, k)
    check(requests.put(url, data=b"overwritten", timeout=30), 403, "SignatureDoesNotMatch",
          "the method is part of what was signed: a GET URL cannot PUT")


@pytest.mark.parametrize("sig", SIGS)
def test_presigned_put(s3, make_user, obj, sig):
    b, _ = obj
    writer = make_user(managed=[S3_FULL])
    reader = make_user(managed=[S3_READ])
    url = url_for(writer, sig, b, "upload.csv", method="put_object")
    ok(requests.put(url, data=b"a,b\n1,2\n", timeout=30), "the signer may s3:PutObject")
    assert s3.get_object(Bucket=b, Key="upload.csv")["Body"].read() == b"a,b\n1,2\n"
    check(requests.put(url_for(reader, sig, b, "nope.csv", method="put_object"), data=b"x", timeout=30),
          403, "AccessDenied", "AmazonS3ReadOnlyAccess does not allow s3:PutObject")


# ------------------------------------------ authorization at request time
@pytest.mark.parametrize("sig", SIGS)
def test_presigned_stops_when_the_signer_loses_permission(iam, make_user, obj, sig):
    b, k = obj
    user = make_user(managed=[S3_READ])
    url = url_for(user, sig, b, k)
    ok(requests.get(url, timeout=30), "the signer may read")
    iam.detach_user_policy(UserName=user.name, PolicyArn=S3_READ)
    check(requests.get(url, timeout=30), 403, "AccessDenied",
          "permissions are checked when the URL is used: the policy is detached")
    iam.attach_user_policy(UserName=user.name, PolicyArn=S3_READ)
    ok(requests.get(url, timeout=30), "attached again")
    iam.put_user_policy(UserName=user.name, PolicyName="no", PolicyDocument=policy_doc(
        deny("s3:GetObject", object_arn(b, k))))
    check(requests.get(url, timeout=30), 403, "AccessDenied", "an explicit Deny added after signing")


@pytest.mark.parametrize("sig", SIGS)
def test_presigned_stops_when_the_key_goes(iam, make_user, obj, sig):
    b, k = obj
    user = make_user(managed=[S3_READ])
    url = url_for(user, sig, b, k)
    ok(requests.get(url, timeout=30), "the signer may read")
    iam.update_access_key(UserName=user.name, AccessKeyId=user.access_key, Status="Inactive")
    check(requests.get(url, timeout=30), 403, "InvalidAccessKeyId", "the signing key is inactive")
    iam.update_access_key(UserName=user.name, AccessKeyId=user.access_key, Status="Active")
    ok(requests.get(url, timeout=30), "active again")
    iam.delete_access_key(UserName=user.name, AccessKeyId=user.access_key)
    check(requests.get(url, timeout=30), 403, "InvalidAccessKeyId", "the signing key was deleted")


@pytest.mark.parametrize("sig", SIGS)
def test_presigned_missing_key(make_user, iam, obj, sig):
    b, _ = obj
    lister = make_user(managed=[S3_READ])
    getter = make_user(inline={"get": policy_doc(allow("s3:GetObject", object_arn(b)))})
    check(requests.get(url_for(lister, sig, b, "missing.csv"), timeout=30), 404, "NoSuchKey",
          "the signer may s3:ListBucket, so a missing key is 404")
    check(requests.get(url_for(getter, sig, b, "missing.csv"), timeout=30), 403, "AccessDenied",
          "without s3:ListBucket a missing key is 403")


@pytest.mark.parametrize("sig", SIGS)
def test_presigned_by_another_account(accounts, obj, sig):
    b, k = obj
    other = accounts.second()
    check(requests.get(url_for(other, sig, b, k), timeout=30), 403, "AccessDenied",
          "cross-account: the bucket owner granted the other account nothing")


# ---------------------------------------------------- temporary credentials
@pytest.mark.parametrize("sig", SIGS)
def test_presigned_with_session_token(make_user, make_role, obj, sig):
    b, k = obj
    user = make_user()
    role = make_role(trust=user.arn, managed=[S3_READ])
    sess = session_principal(user.endpoint, user.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="presign"))
    url = url_for(sess, sig, b, k)
    token_param = "x-amz-security-token" if sig == "v2" else "X-Amz-Security-Token"
    assert token_param in dict(parse_qsl(urlsplit(url).query)), url
    ok(requests.get(url, timeout=30), "a role session's URL carries its token in the query")
    r = requests.get(with_query(url, drop=(token_param,)), timeout=30)
    assert r.status_code == 403 and (b"<Code>InvalidAccessKeyId</Code>" in r.content or
                                     b"<Code>SignatureDoesNotMatch</Code>" in r.content), \
        "without its token a temporary key is unknown (403 InvalidAccessKeyId); pail %d %r" % (
            r.status_code, r.content[:300])


# --------------------------------------------------------------- limits
def test_presigned_v4_expiry_limit(make_user, obj):
    b, k = obj
    user = make_user(managed=[S3_READ])
    ok(requests.get(url_for(user, "v4", b, k, expires=604800), timeout=30), "exactly 7 days is allowed")
    check(requests.get(url_for(user, "v4", b, k, expires=604801), timeout=30), 400,
          "AuthorizationQueryParametersError", "SigV4 presigned URLs expire within a week",
          message="X-Amz-Expires must be less than a week (in seconds) that is; 604800")


def test_aws_s3_presign(run_aws, make_user, obj):
    b, k = obj
    user = make_user(managed=[S3_READ])
    out = run_aws(user, "s3", "presign", "s3://%s/%s" % (b, k), "--expires-in", "300")
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip()
    r = ok(requests.get(url, timeout=30), "`aws s3 presign` by a read-only user")
    assert r.content.startswith(b"service_name")
    nobody = make_user()
    out = run_aws(nobody, "s3", "presign", "s3://%s/%s" % (b, k))
    check(requests.get(out.stdout.strip(), timeout=30), 403, "AccessDenied",
          "the CLI signs locally; the server refuses a signer without permission")
