"""AWS Signature Version 2 (legacy), both forms, against a real pail:
`Authorization: AWS AKID:sig` from a boto3 client with
Config(signature_version='s3'), and the `?AWSAccessKeyId=&Expires=&Signature=`
presigned URLs that boto3's generate_presigned_url and `aws s3 presign` emit by
default, fetched with requests; s3cmd and rclone in their SigV2 modes. Rules from the S3 user guide's "Signing and
authenticating REST requests"; botocore's HmacV1Auth/HmacV1QueryAuth sign."""
import email.utils
import os
import shutil
import subprocess
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import empty_and_delete, unique_name
from e2e_util import parse_error

AWKWARD_KEYS = [
    "plain.txt",
    "dir/sub dir/with space.txt",
    "plus+and%percent%41.bin",
    "unicode/caf\u00e9-\u2713-\u65e5\u672c.txt",
    "sym ~!*'()$,;:@=&?#[].txt",
    "trailing/",
]

AUTH_ERRORS = {"SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId",
               "RequestTimeTooSkewed", "InvalidArgument", "InvalidRequest"}


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def check_error(resp, status, code):
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    doc = parse_error(resp.content)
    assert doc.get("Code") == code, doc
    assert doc.get("Message"), doc
    return doc


def with_query(url, **changes):
    """url with query parameters replaced (order kept, new ones appended)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    out = [(k, changes.pop(k) if k in changes else v) for k, v in pairs]
    out += list(changes.items())
    return urlunsplit(parts._replace(query=urlencode(out)))


@pytest.fixture(scope="module")
def v2(s3_client_factory):
    """boto3 signing every request with HmacV1Auth (Authorization: AWS ...)."""
    return s3_client_factory(signature_version="s3")


@pytest.fixture(scope="module")
def presigner(s3_client_factory):
    """The default client: its presigned URLs are SigV2 query auth."""
    return s3_client_factory()


@pytest.fixture
def v2_bucket(v2, s3):
    """A bucket created (and removed) over SigV2."""
    name = unique_name("pail-v2")
    v2.create_bucket(Bucket=name)
    yield name
    empty_and_delete(s3, name)


# ------------------------------------------------- Authorization: AWS ak:sig
def test_header_auth_awkward_keys(v2, s3, v2_bucket):
    for i, key in enumerate(AWKWARD_KEYS):
        body = ("body %d of %r" % (i, key)).encode()
        v2.put_object(Bucket=v2_bucket, Key=key, Body=body, ContentType="text/x-v2",
                      Metadata={"spaced": "  a  b  ", "n": str(i)})
        got = v2.get_object(Bucket=v2_bucket, Key=key)
        assert got["Body"].read() == body
        assert got["ContentType"] == "text/x-v2"
        assert got["Metadata"]["n"] == str(i)
        head = v2.head_object(Bucket=v2_bucket, Key=key)
        assert head["ContentLength"] == len(body)
        # Cross-check with a SigV4 client: same object.
        assert s3.get_object(Bucket=v2_bucket, Key=key)["Body"].read() == body
    listed = [o["Key"] for p in v2.get_paginator("list_objects_v2").paginate(Bucket=v2_bucket)
              for o in p.get("Contents", [])]
    assert sorted(listed) == sorted(AWKWARD_KEYS)
    v1 = v2.list_objects(Bucket=v2_bucket, Prefix="dir/sub dir/")
    assert [o["Key"] for o in v1["Contents"]] == ["dir/sub dir/with space.txt"]
    for key in AWKWARD_KEYS[:3]:
        v2.delete_object(Bucket=v2_bucket, Key=key)
    v2.delete_objects(Bucket=v2_bucket, Delete={"Objects": [{"Key": k} for k in AWKWARD_KEYS[3:]]})
    assert "Contents" not in v2.list_objects_v2(Bucket=v2_bucket)


def test_header_auth_ranges_and_overrides(v2, v2_bucket):
    v2.put_object(Bucket=v2_bucket, Key="r", Body=b"0123456789")
    got = v2.get_object(Bucket=v2_bucket, Key="r", Range="bytes=2-5",
                        ResponseContentType="text/x-override",
                        ResponseContentDisposition='attachment; filename="a+b c.txt"')
    assert got["Body"].read() == b"2345"
    assert got["ContentType"] == "text/x-override"
    assert got["ContentDisposition"] == 'attachment; filename="a+b c.txt"'


def test_header_auth_bucket_level(v2, v2_bucket):
    # Bucket-only paths: botocore sends "/bucket" and signs "/bucket/".
    v2.head_bucket(Bucket=v2_bucket)
    assert v2.get_bucket_location(Bucket=v2_bucket)["LocationConstraint"] in (None, "")
    assert v2_bucket in [b["Name"] for b in v2.list_buckets()["Buckets"]]
    assert v2.list_multipart_uploads(Bucket=v2_bucket).get("Uploads", []) == []


@pytest.mark.parametrize("call", [
    lambda c, b: c.get_bucket_acl(Bucket=b),
    lambda c, b: c.get_bucket_versioning(Bucket=b),
    lambda c, b: c.get_bucket_tagging(Bucket=b),
    lambda c, b: c.get_bucket_cors(Bucket=b),
    lambda c, b: c.get_bucket_website(Bucket=b),
    lambda c, b: c.get_bucket_lifecycle_configuration(Bucket=b),
    lambda c, b: c.get_bucket_policy(Bucket=b),
    lambda c, b: c.get_bucket_logging(Bucket=b),
    lambda c, b: c.get_bucket_accelerate_configuration(Bucket=b),
    lambda c, b: c.get_bucket_request_payment(Bucket=b),
    lambda c, b: c.list_object_versions(Bucket=b),
    lambda c, b: c.get_object_acl(Bucket=b, Key="o"),
    lambda c, b: c.get_object_tagging(Bucket=b, Key="o"),
], ids=["acl", "versioning", "tagging", "cors", "website", "lifecycle", "policy", "logging",
        "accelerate", "requestPayment", "versions", "object-acl", "object-tagging"])
def test_header_auth_signed_subresources(v2, v2_bucket, call):
    """Whatever pail answers for these operations, it is not an auth failure:
    the sub-resource pail signs is the one botocore signs."""
    v2.put_object(Bucket=v2_bucket, Key="o", Body=b"x")
    try:
        call(v2, v2_bucket)
    except ClientError as e:
        assert e.response["Error"]["Code"] not in AUTH_ERRORS, e.response["Error"]


def test_header_auth_multipart(v2, v2_bucket):
    key = "multi part/\u00e9+%.bin"
    part1 = b"a" * (5 * 1024 * 1024)
    part2 = b"tail bytes"
    uid = v2.create_multipart_upload(Bucket=v2_bucket, Key=key, ContentType="app/x")["UploadId"]
    e1 = v2.upload_part(Bucket=v2_bucket, Key=key, UploadId=uid, PartNumber=1, Body=part1)["ETag"]
    e2 = v2.upload_part(Bucket=v2_bucket, Key=key, UploadId=uid, PartNumber=2, Body=part2)["ETag"]
    parts = v2.list_parts(Bucket=v2_bucket, Key=key, UploadId=uid)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2]
    assert [u["Key"] for u in v2.list_multipart_uploads(Bucket=v2_bucket)["Uploads"]] == [key]
    v2.complete_multipart_upload(Bucket=v2_bucket, Key=key, UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    got = v2.get_object(Bucket=v2_bucket, Key=key)
    assert got["Body"].read() == part1 + part2
    assert got["ContentType"] == "app/x"
    # And an aborted one.
    uid = v2.create_multipart_upload(Bucket=v2_bucket, Key="aborted")["UploadId"]
    v2.upload_part(Bucket=v2_bucket, Key="aborted", UploadId=uid, PartNumber=1, Body=b"x")
    v2.abort_multipart_upload(Bucket=v2_bucket, Key="aborted", UploadId=uid)
    assert v2.list_multipart_uploads(Bucket=v2_bucket).get("Uploads", []) == []


def test_header_auth_upload_file(v2, v2_bucket, tmp_path):
    # Concurrent 8 MiB parts through the transfer manager, all signed V2.
    src = tmp_path / "big.bin"
    src.write_bytes(bytes(range(256)) * (17 * 4096))  # 17 MiB
    v2.upload_file(str(src), v2_bucket, "big/file name.bin")
    dst = tmp_path / "back.bin"
    v2.download_file(v2_bucket, "big/file name.bin", str(dst))
    assert dst.read_bytes() == src.read_bytes()


def test_header_auth_wrong_secret_and_key(s3_client_factory, bucket):
    bad = s3_client_factory(signature_version="s3", secret_key="not-the-secret")
    with pytest.raises(ClientError) as e:
        bad.list_objects_v2(Bucket=bucket)
    assert err(e) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(ClientError) as e:
        bad.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert err(e) == ("SignatureDoesNotMatch", 403)
    unknown = s3_client_factory(signature_version="s3", access_key="AKIANOSUCHKEY0000000")
    with pytest.raises(ClientError) as e:
        unknown.list_objects_v2(Bucket=bucket)
    assert err(e) == ("InvalidAccessKeyId", 403)


def signed_v2(server, method, path, date, headers=None, secret=None):
    """A request signed by botocore's HmacV1Auth with the given Date."""
    class Pinned(botocore.auth.HmacV1Auth):
        def _get_date(self):
            return date
    req = AWSRequest(method=method, url=server.endpoint + path, headers=headers or {})
    Pinned(Credentials(server.access_key, secret or server.secret_key)).add_auth(req)
    return dict(req.headers.items())


def test_header_auth_clock_skew(server, bucket):
    path = "/%s/" % bucket
    ok = signed_v2(server, "GET", path, email.utils.formatdate(time.time() - 600, usegmt=True))
    assert requests.get(server.endpoint + path, headers=ok, timeout=30).status_code == 200
    for offset in (-20 * 60, 20 * 60):
        hdrs = signed_v2(server, "GET", path,
                         email.utils.formatdate(time.time() + offset, usegmt=True))
        check_error(requests.get(server.endpoint + path, headers=hdrs, timeout=30),
                    403, "RequestTimeTooSkewed")


def test_header_auth_tampered_and_malformed(server, bucket, s3):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    path = "/%s/t" % bucket
    hdrs = signed_v2(server, "GET", path, email.utils.formatdate(usegmt=True))
    assert requests.get(server.endpoint + path, headers=hdrs, timeout=30).status_code == 200
    check_error(requests.get(server.endpoint + path + "2", headers=hdrs, timeout=30),
                403, "SignatureDoesNotMatch")
    check_error(requests.delete(server.endpoint + path, headers=hdrs, timeout=30),
                403, "SignatureDoesNotMatch")
    bad = dict(hdrs, Authorization="AWS " + server.access_key)
    check_error(requests.get(server.endpoint + path, headers=bad, timeout=30),
                400, "InvalidArgument")
    nodate = {k: v for k, v in hdrs.items() if k.lower() != "date"}
    check_error(requests.get(server.endpoint + path, headers=nodate, timeout=30),
                403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="t")["Body"].read() == b"x"


# ------------------------------------------------------ presigned (query) URLs
def test_presigned_get_default_config(presigner, s3, bucket):
    for key in AWKWARD_KEYS:
        body = b"presigned " + key.encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                               ExpiresIn=300)
        assert "AWSAccessKeyId=" in url and "Signature=" in url and "Expires=" in url, url
        assert "X-Amz-" not in url
        r = requests.get(url, timeout=30)
        assert r.status_code == 200, (key, r.text[:300])
        assert r.content == body


def test_presigned_get_response_overrides(presigner, s3, bucket):
    s3.put_object(Bucket=bucket, Key="ovr", Body=b"override me", ContentType="text/plain")
    url = presigner.generate_presigned_url("get_object", Params={
        "Bucket": bucket, "Key": "ovr", "ResponseContentType": "text/x+plain; charset=utf-8",
        "ResponseContentDisposition": 'attachment; filename="a+b c.txt"',
        "ResponseCacheControl": "no-cache"}, ExpiresIn=300)
    r = requests.get(url, timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert r.content == b"override me"
    assert r.headers["Content-Type"] == "text/x+plain; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="a+b c.txt"'
    assert r.headers["Cache-Control"] == "no-cache"
    # Overrides are signed sub-resources: changing one breaks the signature.
    check_error(requests.get(with_query(url, **{"response-content-type": "text/html"}),
                             timeout=30), 403, "SignatureDoesNotMatch")


def test_presigned_put_default_config(presigner, s3, bucket):
    key = "up loads/\u00e9+%.txt"
    url = presigner.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key},
                                           ExpiresIn=300)
    assert "AWSAccessKeyId=" in url
    r = requests.put(url, data=b"via presigned v2 put", timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"via presigned v2 put"


def test_presigned_put_with_content_type(presigner, s3, bucket):
    # HmacV1QueryAuth signs Content-Type, then moves it into the query string.
    url = presigner.generate_presigned_url("put_object", Params={
        "Bucket": bucket, "Key": "typed", "ContentType": "text/x-typed"}, ExpiresIn=300)
    assert "content-type=" in url
    r = requests.put(url, data=b"typed", headers={"Content-Type": "text/x-typed"}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert s3.get_object(Bucket=bucket, Key="typed")["Body"].read() == b"typed"


def test_presigned_expired(presigner, s3, bucket):
    s3.put_object(Bucket=bucket, Key="old", Body=b"x")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "old"},
                                           ExpiresIn=-60)
    doc = check_error(requests.get(url, timeout=30), 403, "AccessDenied")
    assert "expired" in doc["Message"].lower(), doc
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "old"},
                                           ExpiresIn=1)
    time.sleep(2.5)
    check_error(requests.get(url, timeout=30), 403, "AccessDenied")


def test_presigned_tampered(presigner, s3, bucket):
    s3.put_object(Bucket=bucket, Key="p", Body=b"x")
    s3.put_object(Bucket=bucket, Key="q", Body=b"y")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"},
                                           ExpiresIn=300)
    sig = dict(parse_qsl(urlsplit(url).query))["Signature"]
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    check_error(requests.get(with_query(url, Signature=flipped), timeout=30),
                403, "SignatureDoesNotMatch")
    check_error(requests.get(url.replace("/p?", "/q?"), timeout=30), 403, "SignatureDoesNotMatch")
    later = str(int(dict(parse_qsl(urlsplit(url).query))["Expires"]) + 3600)
    check_error(requests.get(with_query(url, Expires=later), timeout=30),
                403, "SignatureDoesNotMatch")
    check_error(requests.get(with_query(url, AWSAccessKeyId="AKIANOSUCHKEY0000000"), timeout=30),
                403, "InvalidAccessKeyId")


def test_presigned_wrong_method(presigner, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "keep"},
                                           ExpiresIn=300)
    check_error(requests.put(url, data=b"overwrite", timeout=30), 403, "SignatureDoesNotMatch")
    check_error(requests.delete(url, timeout=30), 403, "SignatureDoesNotMatch")
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"original"


def test_presigned_missing_params_and_two_mechanisms(presigner, s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="m", Body=b"x")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "m"},
                                           ExpiresIn=300)
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query) if k != "Expires"]
    no_expires = urlunsplit(parts._replace(query=urlencode(pairs)))
    check_error(requests.get(no_expires, timeout=30), 403, "AccessDenied")
    check_error(requests.get(with_query(url, Expires="tomorrow"), timeout=30), 403, "AccessDenied")
    hdrs = signed_v2(server, "GET", "/%s/m" % bucket, email.utils.formatdate(usegmt=True))
    check_error(requests.get(url, headers={"Authorization": hdrs["Authorization"],
                                           "Date": hdrs["Date"]}, timeout=30),
                400, "InvalidArgument")


def test_aws_s3_presign(aws_cli, s3, bucket):
    key = "cli presign/\u00e9+x.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"from aws s3 presign")
    out = aws_cli("s3", "presign", "s3://%s/%s" % (bucket, key), "--expires-in", "300")
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip()
    assert "AWSAccessKeyId=" in url and "Signature=" in url, url
    r = requests.get(url, timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert r.content == b"from aws s3 presign"


# ------------------------------------------------------ other SigV2 clients
def test_s3cmd_signature_v2(server, s3, tmp_path):
    """s3cmd 2.3 with signature_v2: x-amz-date and an empty Date line."""
    if not shutil.which("s3cmd"):
        pytest.skip("s3cmd is not installed")
    host = urlsplit(server.endpoint).netloc
    cfg = tmp_path / "s3cfg"
    cfg.write_text("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\n"
                   "host_bucket = %s\nuse_https = False\nsignature_v2 = True\n"
                   % (server.access_key, server.secret_key, host, host))
    name = unique_name("pail-s3cmd-v2")
    src = tmp_path / "src.txt"
    src.write_bytes(b"s3cmd over sigv2")

    def run(*args):
        out = subprocess.run(["s3cmd", "-c", str(cfg)] + list(args), capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, (args, out.stdout, out.stderr)
        return out.stdout

    try:
        run("mb", "s3://" + name)
        run("put", str(src), "s3://%s/dir/a b+c.txt" % name)
        assert "dir/a b+c.txt" in run("ls", "-r", "s3://" + name)
        run("get", "--force", "s3://%s/dir/a b+c.txt" % name, str(tmp_path / "back.txt"))
        assert (tmp_path / "back.txt").read_bytes() == b"s3cmd over sigv2"
        url = run("signurl", "s3://%s/dir/a b+c.txt" % name, "+300").strip().splitlines()[-1]
        assert "AWSAccessKeyId=" in url
        r = requests.get(url, timeout=30)
        assert r.status_code == 200 and r.content == b"s3cmd over sigv2", r.text[:300]
        run("del", "s3://%s/dir/a b+c.txt" % name)
        run("rb", "s3://" + name)
    finally:
        empty_and_delete(s3, name)


def test_rclone_v2_auth(server, s3, tmp_path):
    """rclone 1.60 with v2_auth (aws-sdk-go's signer: '?uploads=' signed as
    '?uploads'), including a multipart upload."""
    if not shutil.which("rclone"):
        pytest.skip("rclone is not installed")
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env.update({"RCLONE_CONFIG_P_TYPE": "s3", "RCLONE_CONFIG_P_PROVIDER": "Other",
                "RCLONE_CONFIG_P_ACCESS_KEY_ID": server.access_key,
                "RCLONE_CONFIG_P_SECRET_ACCESS_KEY": server.secret_key,
                "RCLONE_CONFIG_P_ENDPOINT": server.endpoint, "RCLONE_CONFIG_P_V2_AUTH": "true",
                "RCLONE_CONFIG_P_FORCE_PATH_STYLE": "true"})
    name = unique_name("pail-rclone-v2")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))

    def run(*args):
        out = subprocess.run(["rclone", "--config", "/dev/null", "--retries", "1",
                              "--low-level-retries", "1"] + list(args),
                             capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, (args, out.stdout, out.stderr)
        return out.stdout

    try:
        run("mkdir", "p:" + name)
        run("copyto", str(big), "p:%s/big file+.bin" % name, "--s3-upload-cutoff", "5M",
            "--s3-chunk-size", "5M")
        got = s3.get_object(Bucket=name, Key="big file+.bin")["Body"].read()
        assert got == big.read_bytes()
        assert "big file+.bin" in run("ls", "p:" + name)
        run("purge", "p:" + name)
    finally:
        empty_and_delete(s3, name)
