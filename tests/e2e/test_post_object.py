"""Browser-style POST uploads (PostObject), from the S3 API reference "POST
Object", "Creating a POST policy" and "Browser-based uploads using POST":
boto3's generate_presigned_post (SigV2 by default, SigV4 with s3v4), hand-made
SigV2 and SigV4 forms, every policy condition kind inside and outside its
bounds, success_action_status 200/201/204, success_action_redirect (303),
${filename}, expiry, signatures, permissions, and the AWS SDK for
JavaScript's createPresignedPost (tests/js/presigned_post.mjs).

Rules: every form field except file, policy, signature/x-amz-signature and
x-ignore-* must be matched by a condition ("Invalid according to Policy:
Extra input fields: NAME"); a failed condition is 403 AccessDenied "Invalid
according to Policy: Policy Condition failed: [...]"; content-length-range
violations are 400 EntityTooSmall/EntityTooLarge; an expired policy is 403
"Invalid according to Policy: Policy expired."; the request is the signer's
and needs s3:PutObject; field names are case-insensitive."""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (S3_FULL, S3_READ, anon, expect_ok, gid_requests, make_role, make_user,  # noqa: F401
                       root, root_bucket, session_principal)
from e2e_util import md5_hex, parse_error, signing_key

CSV = b"service_name,count\nPothole,3\n"
HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.normpath(os.path.join(HERE, "..", "js"))


def post(form, filename="report.csv", body=CSV, file_field="file", extra=None, **kw):
    data = dict(form["fields"])
    data.update(extra or {})
    files = {file_field: (filename, body, "text/csv")} if file_field else None
    return requests.post(form["url"], data=data, files=files, timeout=30, allow_redirects=False, **kw)


def error_of(resp):
    try:
        return parse_error(resp.content)
    except Exception:  # noqa: BLE001 - not an error document
        return {}


def check(resp, status, code, why, message=None, starts=None):
    doc = error_of(resp)
    assert resp.status_code == status and doc.get("Code") == code, \
        "AWS answers %d %s (%s); pail answered %d %r" % (status, code, why, resp.status_code, resp.content[:400])
    if message is not None:
        assert doc.get("Message") == message, "AWS's message is %r (%s); pail said %r" % (
            message, why, doc.get("Message"))
    if starts is not None:
        assert doc.get("Message", "").startswith(starts), "AWS's message starts %r (%s); pail said %r" % (
            starts, why, doc.get("Message"))


def stored(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture
def writer(make_user):
    return make_user(managed=[S3_FULL])


# --------------------------------------------------------------- the basics
@pytest.mark.parametrize("sig", ["v2", "v4"])
def test_presigned_post(s3, writer, root_bucket, sig):
    b = root_bucket()
    client = writer.s3 if sig == "v2" else writer.s3v4
    form = client.generate_presigned_post(b, "uploads/${filename}", ExpiresIn=600)
    assert ("AWSAccessKeyId" if sig == "v2" else "x-amz-credential") in form["fields"]
    r = post(form, filename="gid_2019.csv")
    assert r.status_code == 204, "AWS stores the file and answers 204 by default; pail %d %r" % (
        r.status_code, r.content[:400])
    assert r.headers.get("ETag") == '"%s"' % md5_hex(CSV), "the 204 carries the object's ETag"
    assert stored(s3, b, "uploads/gid_2019.csv") == CSV, "${filename} is replaced by the file's name"


def test_course_presigned_post(s3, gid_requests, writer):
    """The course's cell: a form limited to 1 MiB, keyed by the uploaded file's name."""
    form = writer.s3.generate_presigned_post(
        Bucket=gid_requests, Key="2019/${filename}",
        Conditions=[["content-length-range", 1, 1048576]], ExpiresIn=3600)
    r = requests.post(form["url"], data=form["fields"],
                      files={"file": ("potholes.csv", CSV)}, timeout=30)
    assert r.status_code == 204, (r.status_code, r.content[:400])
    assert stored(s3, gid_requests, "2019/potholes.csv") == CSV


def test_post_needs_put_object_permission(make_user, root_bucket):
    b = root_bucket()
    reader = make_user(managed=[S3_READ])
    form = reader.s3v4.generate_presigned_post(b, "k.csv", ExpiresIn=600)
    check(post(form), 403, "AccessDenied",
          "the upload is the signer's request: AmazonS3ReadOnlyAccess does not allow s3:PutObject")


def test_post_with_session_credentials(s3, make_user, make_role, root_bucket):
    b = root_bucket()
    user = make_user()
    role = make_role(trust=user.arn, managed=[S3_FULL])
    sess = session_principal(user.endpoint, user.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="post"))
    form = sess.s3v4.generate_presigned_post(b, "sess.csv", ExpiresIn=600)
    assert "x-amz-security-token" in form["fields"]
    r = post(form)
    assert r.status_code == 204, "a role session signs forms with its token field; pail %d %r" % (
        r.status_code, r.content[:400])


# ---------------------------------------------------------- the conditions
def test_content_length_range(s3, writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "sized.csv", Conditions=[["content-length-range", 10, 100]],
                                               ExpiresIn=600)
    check(post(form, body=b"tiny"), 400, "EntityTooSmall", "4 bytes < content-length-range minimum 10",
          message="Your proposed upload is smaller than the minimum allowed size")
    check(post(form, body=b"x" * 101), 400, "EntityTooLarge", "101 bytes > content-length-range maximum 100",
          message="Your proposed upload exceeds the maximum allowed size")
    r = post(form, body=b"x" * 100)
    assert r.status_code == 204, "100 bytes is within [10, 100] (inclusive)"
    assert r.status_code == 204 and post(form, body=b"x" * 10).status_code == 204, "10 bytes is within"


def test_starts_with_key(s3, writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "uploads/${filename}", ExpiresIn=600)
    check(post(form, extra={"key": "elsewhere/x.csv"}), 403, "AccessDenied",
          "the key must start with uploads/",
          message='Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]')
    assert post(form, extra={"key": "uploads/deeper/x.csv"}).status_code == 204
    assert stored(s3, b, "uploads/deeper/x.csv") == CSV


def test_eq_acl(s3, anon, writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "pub.csv", Fields={"acl": "public-read"},
                                               Conditions=[{"acl": "public-read"}], ExpiresIn=600)
    check(post(form, extra={"acl": "private"}), 403, "AccessDenied", "the acl must equal public-read",
          message='Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "public-read"]')
    r = post(form)
    assert r.status_code == 204, (r.status_code, r.content[:300])
    expect_ok(anon.get_object, Bucket=b, Key="pub.csv", why="the form's acl field set public-read")


def test_eq_key_exact(writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "exact.csv", ExpiresIn=600)
    check(post(form, extra={"key": "other.csv"}), 403, "AccessDenied", "{'key': 'exact.csv'} is an exact match",
          starts="Invalid according to Policy: Policy Condition failed:")


def test_starts_with_content_type_and_metadata(s3, writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(
        b, "typed.csv", Fields={"Content-Type": "text/csv", "x-amz-meta-source": "311"},
        Conditions=[["starts-with", "$Content-Type", "text/"], {"x-amz-meta-source": "311"}], ExpiresIn=600)
    r = post(form)
    assert r.status_code == 204, (r.status_code, r.content[:300])
    head = s3.head_object(Bucket=b, Key="typed.csv")
    assert head["ContentType"] == "text/csv" and head["Metadata"] == {"source": "311"}, \
        "Content-Type and x-amz-meta-* fields become the object's headers"
    check(post(form, extra={"Content-Type": "image/png"}), 403, "AccessDenied",
          "Content-Type must start with text/", starts="Invalid according to Policy: Policy Condition failed:")


def test_extra_field_is_refused(writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "k.csv", ExpiresIn=600)
    check(post(form, extra={"x-amz-meta-color": "red"}), 403, "AccessDenied",
          "every field must be matched by a condition",
          message="Invalid according to Policy: Extra input fields: x-amz-meta-color")
    r = post(form, extra={"x-ignore-submit": "Upload"})
    assert r.status_code == 204, "x-ignore-* fields are exempt; pail %d %r" % (r.status_code, r.content[:300])


def test_bucket_condition(s3, writer, root_bucket):
    b = root_bucket()
    other = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "k.csv", ExpiresIn=600)
    wrong = dict(form, url=form["url"].rsplit("/", 1)[0] + "/" + other)
    check(post(wrong), 403, "AccessDenied", "the policy's {'bucket': ...} names another bucket",
          starts="Invalid according to Policy: Policy Condition failed:")


# --------------------------------------------------------- the responses
def test_success_action_status_201(s3, writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "loc.csv", Fields={"success_action_status": "201"},
                                               Conditions=[{"success_action_status": "201"}], ExpiresIn=600)
    r = post(form)
    assert r.status_code == 201, (r.status_code, r.content[:300])
    try:
        doc = ET.fromstring(r.content)
    except ET.ParseError:
        pytest.fail("success_action_status 201 answers a <PostResponse> document; pail sent %r"
                    % r.content[:300], pytrace=False)
    assert doc.tag.split("}")[-1] == "PostResponse", r.content[:300]
    vals = {c.tag.split("}")[-1]: c.text for c in doc}
    assert vals.get("Bucket") == b and vals.get("Key") == "loc.csv"
    assert vals.get("ETag") == '"%s"' % md5_hex(CSV)
    assert vals.get("Location", "").endswith("/%s/loc.csv" % b), vals


@pytest.mark.parametrize("status", ["200", "204"])
def test_success_action_status_200_204(writer, root_bucket, status):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "s.csv", Fields={"success_action_status": status},
                                               Conditions=[{"success_action_status": status}], ExpiresIn=600)
    r = post(form)
    assert r.status_code == int(status) and r.content == b"", \
        "success_action_status %s answers %s with an empty body; pail %d %r" % (
            status, status, r.status_code, r.content[:200])


def test_success_action_redirect(writer, root_bucket):
    b = root_bucket()
    target = "http://example.com/uploaded"
    form = writer.s3v4.generate_presigned_post(b, "r.csv", Fields={"success_action_redirect": target},
                                               Conditions=[{"success_action_redirect": target}], ExpiresIn=600)
    r = post(form)
    assert r.status_code == 303, "success_action_redirect answers 303 See Other; pail %d" % r.status_code
    loc = r.headers.get("Location", "")
    assert loc.startswith(target + "?"), loc
    q = parse_qs(urlsplit(loc).query)
    assert q.get("bucket") == [b] and q.get("key") == ["r.csv"] and q.get("etag") == ['"%s"' % md5_hex(CSV)], \
        "the redirect carries bucket, key and etag: %r" % loc


# -------------------------------------------------- expiry and signatures
def test_expired_policy(writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "late.csv", ExpiresIn=1)
    time.sleep(2)
    check(post(form), 403, "AccessDenied", "the policy's expiration has passed",
          message="Invalid according to Policy: Policy expired.")


def test_tampered_signature_and_policy(writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "t.csv", ExpiresIn=600)
    sig = form["fields"]["x-amz-signature"]
    check(post(form, extra={"x-amz-signature": sig[:5] + ("0" if sig[5] != "0" else "1") + sig[6:]}), 403,
          "SignatureDoesNotMatch", "an altered signature")
    pol = json.loads(base64.b64decode(form["fields"]["policy"]))
    pol["conditions"].append(["content-length-range", 0, 10 ** 9])
    forged = base64.b64encode(json.dumps(pol).encode()).decode()
    check(post(form, extra={"policy": forged}), 403, "SignatureDoesNotMatch",
          "the signature covers the policy: an edited policy does not match")


def test_missing_file(writer, root_bucket):
    b = root_bucket()
    form = writer.s3v4.generate_presigned_post(b, "nofile.csv", ExpiresIn=600)
    r = requests.post(form["url"], files={k: (None, v) for k, v in form["fields"].items()}, timeout=30)
    # The error-code table lists IncorrectNumberOfFilesInPostRequest; S3 itself answers
    # InvalidArgument (ArgumentName file) with this message. Either code, that message.
    doc = error_of(r)
    assert r.status_code == 400 and doc.get("Code") in ("InvalidArgument", "IncorrectNumberOfFilesInPostRequest") \
        and doc.get("Message") == "POST requires exactly one file upload per request.", \
        "a form without a file: AWS answers 400 'POST requires exactly one file upload per request.'; " \
        "pail %d %r" % (r.status_code, r.content[:300])


def test_handmade_sigv2_form(s3, writer, root_bucket):
    b = root_bucket()
    expiration = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    policy = {"expiration": expiration,
              "conditions": [{"bucket": b}, ["starts-with", "$key", "v2/"], {"acl": "private"},
                             ["content-length-range", 1, 1000]]}
    p64 = base64.b64encode(json.dumps(policy).encode()).decode()
    signature = base64.b64encode(hmac.new(writer.secret_key.encode(), p64.encode(), hashlib.sha1).digest()).decode()
    form = {"url": "%s/%s" % (writer.endpoint, b),
            "fields": {"key": "v2/${filename}", "acl": "private", "AWSAccessKeyId": writer.access_key,
                       "policy": p64, "signature": signature}}
    r = post(form, filename="hand.csv")
    assert r.status_code == 204, "a SigV2 form (HMAC-SHA1 of the base64 policy); pail %d %r" % (
        r.status_code, r.content[:300])
    assert stored(s3, b, "v2/hand.csv") == CSV
    bad = dict(form, fields=dict(form["fields"], signature=base64.b64encode(b"\0" * 20).decode()))
    check(post(bad), 403, "SignatureDoesNotMatch", "a wrong SigV2 form signature")


def test_handmade_sigv4_form_with_capitalised_field_names(s3, writer, root_bucket):
    b = root_bucket()
    now = dt.datetime.now(dt.timezone.utc)
    date, amz_date = now.strftime("%Y%m%d"), now.strftime("%Y%m%dT%H%M%SZ")
    cred = "%s/%s/us-east-1/s3/aws4_request" % (writer.access_key, date)
    policy = {"expiration": (now + dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
              "conditions": [{"bucket": b}, {"key": "v4.csv"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                             {"x-amz-credential": cred}, {"x-amz-date": amz_date}]}
    p64 = base64.b64encode(json.dumps(policy).encode()).decode()
    sig = hmac.new(signing_key(writer.secret_key, date), p64.encode(), hashlib.sha256).hexdigest()
    # Field names are case-insensitive ("Policy", "X-Amz-Signature" as the JS SDK sends them).
    form = {"url": "%s/%s" % (writer.endpoint, b),
            "fields": {"key": "v4.csv", "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": cred,
                       "X-Amz-Date": amz_date, "Policy": p64, "X-Amz-Signature": sig}}
    r = post(form)
    assert r.status_code == 204, "a SigV4 form with capitalised field names; pail %d %r" % (
        r.status_code, r.content[:300])
    assert stored(s3, b, "v4.csv") == CSV


def test_anonymous_post_to_a_public_write_bucket(s3, root_bucket, server):
    b = root_bucket(ACL="public-read-write")
    r = requests.post("%s/%s" % (server.endpoint, b), data={"key": "anon.csv"},
                      files={"file": ("anon.csv", CSV)}, timeout=30)
    assert r.status_code == 204, "an unsigned form (no policy) may upload where AllUsers has WRITE; pail %d %r" % (
        r.status_code, r.content[:300])
    assert stored(s3, b, "anon.csv") == CSV
    private = root_bucket()
    r = requests.post("%s/%s" % (server.endpoint, private), data={"key": "anon.csv"},
                      files={"file": ("anon.csv", CSV)}, timeout=30)
    check(r, 403, "AccessDenied", "an unsigned form may not upload to a private bucket")


# ------------------------------------------------ AWS SDK for JavaScript
def test_js_sdk_create_presigned_post(s3, writer, root_bucket, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (apt-get install nodejs npm)", pytrace=False)
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "s3-presigned-post")):
        pytest.skip("tests/js/node_modules lacks @aws-sdk/s3-presigned-post: run `npm ci` in tests/js")
    b = root_bucket()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "NODE_OPTIONS"}
    env.update({"PAIL_TEST_ENDPOINT": writer.endpoint, "PAIL_TEST_ACCESS_KEY": writer.access_key,
                "PAIL_TEST_SECRET_KEY": writer.secret_key, "PAIL_TEST_BUCKET": b,
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true", "NODE_NO_WARNINGS": "1"})
    proc = subprocess.run([node, os.path.join(JS_DIR, "presigned_post.mjs")], cwd=JS_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, "node failed:\n%s\n%s" % (proc.stdout, proc.stderr)
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    ok = results["ok"]
    assert ok["status"] == 201, "createPresignedPost form with success_action_status 201: %r" % ok
    assert "<PostResponse>" in ok["body"].replace(' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', ""), ok
    assert stored(s3, b, "js/report.csv") == b"from,js\n1,2\n"
    big = results["too_large"]
    assert big["status"] == 400 and "<Code>EntityTooLarge</Code>" in big["body"], \
        "content-length-range [1, 64]: a 65-byte file is EntityTooLarge: %r" % big
    wrong = results["wrong_prefix"]
    assert wrong["status"] == 403 and "<Code>AccessDenied</Code>" in wrong["body"], \
        "the key must start with js/: %r" % wrong
