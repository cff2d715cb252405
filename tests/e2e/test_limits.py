"""Request limits (issue 14 §1): each is a `pail serve` flag with AWS's value
as its default, and each answers with S3's error when exceeded. A pail of
this module's own runs with every limit lowered, so that each can be crossed
cheaply and checked on both sides of its edge; the session's pail checks a
few defaults (AWS's values)."""
import json
import os
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import (ACCESS_KEY, SECRET_KEY, Server, free_port, make_client, module_pail,
                      pail_bin, unique_name)
from e2e_util import HttpReader, RawClient

KiB, MiB = 1024, 1024 * 1024
LIMITS = ["--max-header-fields", "24", "--max-key-bytes", "100", "--max-metadata-bytes", "100",
          "--max-parts", "3", "--min-part-size", "1M", "--max-part-size", "2MiB",
          "--max-object-size", "5M", "--max-xml-bytes", "4K", "--max-policy-bytes", "600"]


@pytest.fixture(scope="module")
def low(server, tmp_path_factory):
    if server.process is None:
        pytest.skip("needs PAIL_BIN: PAIL_TEST_ENDPOINT is set")
    yield from module_pail(tmp_path_factory, "limits", LIMITS)


@pytest.fixture(scope="module")
def ls3(low):
    return make_client(low)


@pytest.fixture
def lb(ls3):
    name = unique_name("pail-limits")
    ls3.create_bucket(Bucket=name)
    yield name
    for u in ls3.list_multipart_uploads(Bucket=name).get("Uploads", []):
        ls3.abort_multipart_upload(Bucket=name, Key=u["Key"], UploadId=u["UploadId"])
    for o in ls3.list_objects_v2(Bucket=name).get("Contents", []):
        ls3.delete_object(Bucket=name, Key=o["Key"])
    ls3.delete_bucket(Bucket=name)


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def raw_get(low, bucket, nfields):
    """A signed GET of the bucket with nfields header fields in all."""
    raw = RawClient(low.endpoint, low.access_key, low.secret_key)
    target, hdrs = raw.prepare("GET", bucket)
    extra = ["X-Pad-%d: v" % i for i in range(nfields - len(hdrs))]
    data = ("\r\n".join(["GET %s HTTP/1.1" % target] + ["%s: %s" % kv for kv in hdrs.items()]
                        + extra) + "\r\n\r\n").encode()
    s = raw.socket(timeout=10)
    try:
        s.sendall(data)
        return HttpReader(s, deadline=10).response()
    finally:
        s.close()


def test_header_fields(low, lb):
    """--max-header-fields 24: 24 fields are served, 25 get 431 with S3's
    RequestHeaderSectionTooLarge."""
    assert raw_get(low, lb, 24)[0] == 200
    status, _, body = raw_get(low, lb, 25)
    assert status == 431 and b"<Code>RequestHeaderSectionTooLarge</Code>" in body


def test_default_header_fields_fit_a_full_head(server):
    """200 fields (the default and the most) of a head near --max-header-bytes
    (16 KiB) are served: the HTTP library's connection memory holds them, so
    the limit, not the library, decides."""
    hdrs = "".join("X-P%03d: %s\r\n" % (i, "v" * 70) for i in range(199))
    req = ("GET /_pail/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n" + hdrs + "\r\n").encode()
    assert 15000 < len(req) < 16384
    raw = RawClient(server.endpoint, server.access_key, server.secret_key)
    s = raw.socket(timeout=10)
    try:
        s.sendall(req)
        assert HttpReader(s, deadline=10).response()[0] == 200
    finally:
        s.close()


def test_key_bytes(ls3, lb):
    ls3.put_object(Bucket=lb, Key="k" * 100, Body=b"x")
    assert error_of(lambda: ls3.put_object(Bucket=lb, Key="k" * 101, Body=b"x")) == \
        ("KeyTooLongError", 400)
    # bytes, not characters: 34 three-byte characters are 102 bytes
    assert error_of(lambda: ls3.put_object(Bucket=lb, Key="\u20ac" * 34, Body=b"x"))[0] == \
        "KeyTooLongError"


def test_metadata_bytes(ls3, lb):
    ls3.put_object(Bucket=lb, Key="m", Body=b"x", Metadata={"a" * 10: "v" * 90})
    assert ls3.head_object(Bucket=lb, Key="m")["Metadata"] == {"a" * 10: "v" * 90}
    assert error_of(lambda: ls3.put_object(Bucket=lb, Key="m2", Body=b"x",
                                           Metadata={"a" * 10: "v" * 91})) == \
        ("MetadataTooLarge", 400)


def test_part_count_and_sizes(ls3, lb):
    """--max-parts 3, --min-part-size 1M, --max-part-size 2MiB, --max-object-size 5M."""
    up = ls3.create_multipart_upload(Bucket=lb, Key="mp")["UploadId"]

    def part(n, size):
        return ls3.upload_part(Bucket=lb, Key="mp", UploadId=up, PartNumber=n,
                               Body=b"p" * size)["ETag"]

    code, status = error_of(lambda: part(4, 10))
    assert (code, status) == ("InvalidArgument", 400)
    assert error_of(lambda: part(1, 2 * MiB + 1)) == ("EntityTooLarge", 400)
    small = part(1, MiB - 1)
    e2 = part(2, 2 * MiB)
    done = lambda parts: ls3.complete_multipart_upload(  # noqa: E731
        Bucket=lb, Key="mp", UploadId=up,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})
    assert error_of(lambda: done([(1, small), (2, e2)]))[0] == "EntityTooSmall"
    e1, e3 = part(1, 2 * MiB), part(3, 2 * MiB)  # 6 MiB in all: over --max-object-size
    assert error_of(lambda: done([(1, e1), (2, e2), (3, e3)])) == ("EntityTooLarge", 400)
    done([(1, e1), (2, e2)])  # 4 MiB: fine, and a last part may be small
    assert ls3.head_object(Bucket=lb, Key="mp")["ContentLength"] == 4 * MiB


def test_single_put_size(ls3, lb):
    ls3.put_object(Bucket=lb, Key="two", Body=b"t" * (2 * MiB))
    assert error_of(lambda: ls3.put_object(Bucket=lb, Key="over", Body=b"t" * (2 * MiB + 1))) == \
        ("EntityTooLarge", 400)


def test_xml_bytes(ls3, lb):
    few = {"Objects": [{"Key": "k%d" % i} for i in range(10)], "Quiet": True}
    ls3.delete_objects(Bucket=lb, Delete=few)
    many = {"Objects": [{"Key": "key-%04d" % i} for i in range(200)], "Quiet": True}  # > 4 KiB
    assert error_of(lambda: ls3.delete_objects(Bucket=lb, Delete=many))[0] == \
        "MaxMessageLengthExceeded"


def test_policy_bytes(ls3, lb):
    def policy(sids):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "S%d" % i, "Effect": "Deny", "Principal": "*", "Action": "s3:PutObjectAcl",
             "Resource": "arn:aws:s3:::%s/*" % lb} for i in range(sids)]}, indent=4)
    ls3.put_bucket_policy(Bucket=lb, Policy=policy(3))  # indentation is not counted
    code, _ = error_of(lambda: ls3.put_bucket_policy(Bucket=lb, Policy=policy(8)))
    assert code == "MalformedPolicy"


def test_defaults_are_aws_values(s3, bucket):
    """The session's pail runs with the defaults: 1,024-byte keys, 2 KB of
    metadata."""
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x"))[0] == \
        "KeyTooLongError"
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"a": "v" * 2047})
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="m", Body=b"x",
                                          Metadata={"a": "v" * 2048}))[0] == "MetadataTooLarge"


@pytest.mark.parametrize("flag,value", [("--max-parts", "0"), ("--max-parts", "10001"),
                                        ("--max-part-size", "6T"), ("--min-part-size", "1X"),
                                        ("--max-xml-bytes", "100"), ("--max-key-bytes", "-1"),
                                        ("--max-header-fields", "201")])
def test_bad_limit_values_stop_the_start(server, tmp_path, flag, value):
    if server.process is None:
        pytest.skip("needs PAIL_BIN")
    env = dict(os.environ, PAIL_ROOT_ACCESS_KEY=ACCESS_KEY, PAIL_ROOT_SECRET_KEY=SECRET_KEY)
    p = subprocess.run([pail_bin(), "serve", "--listen", "127.0.0.1:%d" % free_port(), "--data",
                        str(tmp_path / "d"), flag, value], env=env, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and flag in p.stderr, p.stderr


def test_limits_from_the_environment(server, tmp_path, start_pail):
    """PAIL_MAX_KEY_BYTES=10 works as --max-key-bytes 10."""
    os.environ["PAIL_MAX_KEY_BYTES"] = "10"
    try:
        proc = start_pail(tmp_path / "env")
    finally:
        del os.environ["PAIL_MAX_KEY_BYTES"]
    c = make_client(Server(proc.endpoint, ACCESS_KEY, SECRET_KEY, proc))
    c.create_bucket(Bucket="env-limits")
    c.put_object(Bucket="env-limits", Key="k" * 10, Body=b"x")
    assert error_of(lambda: c.put_object(Bucket="env-limits", Key="k" * 11, Body=b"x"))[0] == \
        "KeyTooLongError"
