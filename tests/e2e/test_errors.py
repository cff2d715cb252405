"""Errors and authentication: the S3 <Error> document, SigV4 failures
(unsigned, wrong secret, unknown key, clock skew, payload hash), malformed
XML, NotImplemented/MethodNotAllowed, presigned URLs, and the headers every
response carries."""
import datetime as dt
import email.utils
import time

import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import unique_name
from e2e_util import (UNSIGNED, amz_now, md5_b64, object_path, parse_error,
                      read_http_response, sha256_hex)


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def check_error(resp, status, code):
    """Asserts an S3 error response and returns its fields."""
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    assert resp.headers.get("Content-Type", "").startswith("application/xml"), resp.headers
    doc = parse_error(resp.content)
    assert doc.get("Code") == code, doc
    assert doc.get("Message"), doc
    assert doc.get("RequestId") == resp.headers.get("x-amz-request-id"), (doc, resp.headers)
    return doc


# ----------------------------------------------------------- signer sanity
def test_hand_signer_matches_botocore(monkeypatch, raw):
    """e2e_util.sign must agree with botocore, or every raw test is suspect."""
    fixed = dt.datetime(2026, 1, 2, 3, 4, 5)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: fixed)
    body = b"payload for the signature check"
    url = raw.endpoint + object_path("bkt", "dir/a b+c~d") + "?uploadId=x%2By&partNumber=3"
    req = AWSRequest(method="PUT", url=url, data=body,
                     headers={"Content-Type": "text/plain", "x-amz-meta-k": "  v  w ",
                              "X-Amz-Content-SHA256": sha256_hex(body)})
    botocore.auth.S3SigV4Auth(Credentials(raw.access_key, raw.secret_key), "s3", "us-east-1").add_auth(req)
    _, hdrs = raw.prepare("PUT", "bkt", "dir/a b+c~d", query=[("uploadId", "x+y"), ("partNumber", "3")],
                          headers={"Content-Type": "text/plain", "x-amz-meta-k": "  v  w "},
                          body=body, amz_date="20260102T030405Z")
    assert hdrs["Authorization"] == req.headers["Authorization"]


# ------------------------------------------------------------ error document
def test_no_such_key_document(raw, bucket):
    r = raw.request("GET", bucket, "missing/key.txt")
    doc = check_error(r, 404, "NoSuchKey")
    # AWS sends <Key>; its ErrorResponses page shows <Resource>. Either names the object.
    assert doc.get("Key") == "missing/key.txt" or doc.get("Resource") == "/%s/missing/key.txt" % bucket, doc


def test_no_such_bucket_document(raw):
    name = unique_name("missing")
    r = raw.request("GET", name, query=[("list-type", "2")])
    doc = check_error(r, 404, "NoSuchBucket")
    assert doc.get("BucketName") == name or doc.get("Resource") == "/" + name, doc


def test_no_such_upload_document(raw, bucket):
    r = raw.request("GET", bucket, "k", query=[("uploadId", "bogus")])
    check_error(r, 404, "NoSuchUpload")


def test_request_ids_are_unique(raw, bucket):
    ids = {raw.request("GET", bucket, "missing").headers["x-amz-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_head_error_has_no_body_but_request_id(raw, bucket):
    r = raw.request("HEAD", bucket, "missing")
    assert r.status_code == 404
    assert r.content == b""
    assert r.headers.get("x-amz-request-id")


@pytest.mark.parametrize("method,path_kind", [("GET", "bucket"), ("GET", "object"), ("PUT", "object"),
                                              ("GET", "service"), ("DELETE", "object")])
def test_common_headers(raw, bucket, s3, method, path_kind):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"x")
    where = {"service": (None, None), "bucket": (bucket, None), "object": (bucket, "obj")}[path_kind]
    r = raw.request(method, *where, body=b"y" if method == "PUT" else b"")
    assert r.status_code in (200, 204), r.text
    for resp in (r, raw.request("GET", bucket, "missing-for-headers")):
        assert resp.headers.get("x-amz-request-id")
        assert resp.headers.get("Server")
        date = email.utils.parsedate_to_datetime(resp.headers["Date"])
        assert abs((dt.datetime.now(dt.timezone.utc) - date).total_seconds()) < 300
        assert resp.headers["Date"].endswith(" GMT")


# ---------------------------------------------------------- authentication
@pytest.mark.parametrize("method,kind", [("GET", "service"), ("GET", "bucket"), ("PUT", "object"),
                                         ("GET", "object"), ("DELETE", "bucket")])
def test_unsigned_request_access_denied(raw, bucket, s3, method, kind):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"private")
    where = {"service": (None, None), "bucket": (bucket, None), "object": (bucket, "obj")}[kind]
    r = raw.request(method, *where, body=b"anon" if method == "PUT" else b"", sign_it=False)
    check_error(r, 403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == b"private"
    s3.head_bucket(Bucket=bucket)


def test_wrong_secret_signature_does_not_match(s3_client_factory, bucket, raw):
    bad = s3_client_factory(secret_key="definitely-not-the-secret-0000000000000")
    with pytest.raises(ClientError) as e:
        bad.list_objects_v2(Bucket=bucket)
    assert err(e) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(ClientError) as e:
        bad.put_object(Bucket=bucket, Key="nope", Body=b"x")
    assert err(e) == ("SignatureDoesNotMatch", 403)
    check_error(raw.request("GET", bucket, secret_key="wrong"), 403, "SignatureDoesNotMatch")


def test_tampered_request_signature_does_not_match(raw, bucket):
    # Signed for one key, sent to another: the canonical request differs.
    target, hdrs = raw.prepare("GET", bucket, "signed-key")
    hdrs.pop("host")
    r = requests.get(raw.endpoint + object_path(bucket, "other-key"), headers=hdrs, timeout=30)
    check_error(r, 403, "SignatureDoesNotMatch")
    # A signed header changed after signing.
    _, hdrs = raw.prepare("PUT", bucket, "k", headers={"x-amz-meta-a": "1"}, body=b"x")
    hdrs.pop("host")
    hdrs["x-amz-meta-a"] = "2"
    r = requests.put(raw.endpoint + object_path(bucket, "k"), headers=hdrs, data=b"x", timeout=30)
    check_error(r, 403, "SignatureDoesNotMatch")


def test_unknown_access_key(s3_client_factory, bucket, raw):
    bad = s3_client_factory(access_key="AKIANOSUCHKEY0000000")
    with pytest.raises(ClientError) as e:
        bad.list_objects_v2(Bucket=bucket)
    assert err(e) == ("InvalidAccessKeyId", 403)
    check_error(raw.request("GET", bucket, access_key="AKIANOSUCHKEY0000001"), 403, "InvalidAccessKeyId")


@pytest.mark.parametrize("offset", [-1200, 1200])
def test_request_time_too_skewed(raw, bucket, offset):
    r = raw.request("GET", bucket, amz_date=amz_now(offset))
    check_error(r, 403, "RequestTimeTooSkewed")


@pytest.mark.parametrize("offset", [-600, 600])
def test_skew_within_15_minutes_accepted(raw, bucket, offset):
    r = raw.request("GET", bucket, amz_date=amz_now(offset))
    assert r.status_code == 200, r.text


def test_content_sha256_mismatch(raw, bucket, s3):
    r = raw.request("PUT", bucket, "k", body=b"what is sent", payload_hash=sha256_hex(b"what was signed"))
    check_error(r, 400, "XAmzContentSHA256Mismatch")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k")
    assert err(e) == ("404", 404)


def test_content_sha256_invalid_value(raw, bucket):
    r = raw.request("PUT", bucket, "k", body=b"x", payload_hash="not-a-hash")
    check_error(r, 400, "InvalidArgument")


def test_unsigned_payload_accepted(raw, bucket, s3):
    # rclone's style: UNSIGNED-PAYLOAD plus Content-MD5.
    body = b"unsigned payload body"
    r = raw.request("PUT", bucket, "u", body=body, payload_hash=UNSIGNED,
                    headers={"Content-MD5": md5_b64(body)})
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="u")["Body"].read() == body


def test_authorization_header_malformed(raw, bucket):
    target, hdrs = raw.prepare("GET", bucket)
    hdrs.pop("host")
    hdrs["Authorization"] = "AWS4-HMAC-SHA256 Credential=garbage, SignedHeaders=host, Signature=00"
    r = requests.get(raw.endpoint + target, headers=hdrs, timeout=30)
    check_error(r, 400, "AuthorizationHeaderMalformed")


def test_any_signing_region_is_accepted(raw, bucket):
    # Deliberate deviation (docs/compatibility.md): AWS answers a wrong scope
    # region with AuthorizationHeaderMalformed + <Region>, and botocore then
    # re-resolves the *AWS* endpoint of that region, leaving endpoint_url.
    # The signature itself is still verified with the client's region.
    r = raw.request("GET", bucket, scope_region="eu-west-1")
    assert r.status_code == 200, r.text


def test_missing_date_access_denied(raw, bucket):
    target, hdrs = raw.prepare("GET", bucket)
    hdrs.pop("host")
    hdrs.pop("x-amz-date")
    r = requests.get(raw.endpoint + target, headers=hdrs, timeout=30)
    assert r.status_code in (400, 403), r.text
    assert parse_error(r.content)["Code"] in ("AccessDenied", "SignatureDoesNotMatch",
                                              "AuthorizationHeaderMalformed")


def test_signature_with_spaced_header_values(s3, bucket):
    # SigV4 canonical headers trim values and collapse runs of spaces; a
    # server that signs the raw value rejects this request.
    s3.put_object(Bucket=bucket, Key="spaced", Body=b"x", Metadata={"spaced": "a  b   c"},
                  ContentDisposition='inline;  filename="two  spaces.txt"')
    h = s3.head_object(Bucket=bucket, Key="spaced")
    assert " ".join(h["Metadata"]["spaced"].split()) == "a b c"
    assert " ".join(h["ContentDisposition"].split()) == 'inline; filename="two spaces.txt"'


def test_signature_with_special_query_values(s3, bucket):
    # Query canonicalization: every byte but unreserved ones percent-encoded.
    key = "q/a b+c&d=e~f*g'h(\u00e9)"
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    for prefix in ("q/a b+c&d=e~f*g'h(", "q/a b", "q/a b+c&d=e~f*g'h(\u00e9)"):
        r = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, StartAfter="q/ ")
        assert [o["Key"] for o in r["Contents"]] == [key], prefix


# ---------------------------------------------------------- presigned URLs
def test_presigned_v4_get_and_put(s3_client_factory, s3, bucket):
    v4 = s3_client_factory(signature_version="s3v4")
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared body")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url
    r = requests.get(url, timeout=30)
    assert r.status_code == 200
    assert r.content == b"shared body"
    url = v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up.txt"}, ExpiresIn=300)
    r = requests.put(url, data=b"via presigned put", timeout=30)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"via presigned put"


def test_presigned_v4_awkward_key(s3_client_factory, s3, bucket):
    v4 = s3_client_factory(signature_version="s3v4")
    key = "dir/a b+c%41\u00e9#?.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"awkward presigned")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key,
                                                          "ResponseContentType": "text/x-plain"},
                                    ExpiresIn=300)
    r = requests.get(url, timeout=30)
    assert r.status_code == 200, r.text
    assert r.content == b"awkward presigned"
    assert r.headers["Content-Type"] == "text/x-plain"


def test_presigned_v4_tampered_and_expired(s3_client_factory, s3, bucket):
    v4 = s3_client_factory(signature_version="s3v4")
    s3.put_object(Bucket=bucket, Key="p", Body=b"x")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=300)
    tampered = url.replace("/p?", "/q?")
    check_error(requests.get(tampered, timeout=30), 403, "SignatureDoesNotMatch")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=1)
    time.sleep(2.5)
    check_error(requests.get(url, timeout=30), 403, "AccessDenied")


# --------------------------------------------------- request shape problems
def test_delete_objects_malformed_xml(raw, bucket):
    body = b"<Delete><Object><Key>a</Key></Object>"  # never closed
    r = raw.request("POST", bucket, query=[("delete", None)], body=body,
                    headers={"Content-MD5": md5_b64(body), "Content-Type": "application/xml"})
    check_error(r, 400, "MalformedXML")


def test_complete_multipart_malformed_xml(raw, s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    r = raw.request("POST", bucket, "m", query=[("uploadId", uid)], body=b"<CompleteMultipartUpload><Part>")
    check_error(r, 400, "MalformedXML")


@pytest.mark.parametrize("call", [
    lambda s3, b: s3.get_bucket_analytics_configuration(Bucket=b, Id="a1"),
    lambda s3, b: s3.list_bucket_analytics_configurations(Bucket=b),
    lambda s3, b: s3.get_bucket_intelligent_tiering_configuration(Bucket=b, Id="t1"),
], ids=["GetBucketAnalyticsConfiguration", "ListBucketAnalyticsConfigurations",
        "GetBucketIntelligentTieringConfiguration"])
def test_not_implemented(s3, bucket, call):
    with pytest.raises(ClientError) as e:
        call(s3, bucket)
    assert err(e) == ("NotImplemented", 501)


def test_not_implemented_document(raw, bucket):
    r = raw.request("GET", bucket, query=[("analytics", None), ("id", "a1")])
    check_error(r, 501, "NotImplemented")


def test_method_not_allowed_post_object(raw, bucket, s3):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"x")
    check_error(raw.request("POST", bucket, "obj", body=b"data"), 405, "MethodNotAllowed")


def test_post_bucket_without_form(raw, bucket):
    # POST on a bucket without ?delete is POST Object, whose body must be a form:
    # AWS answers 412 "Bucket POST must be of the enclosure-type multipart/form-data".
    r = raw.request("POST", bucket, body=b"<x/>", headers={"Content-Type": "application/xml"})
    check_error(r, 412, "PreconditionFailed")


def test_method_not_allowed_unknown_verb(raw, bucket):
    check_error(raw.request("PATCH", bucket, "obj", body=b"x"), 405, "MethodNotAllowed")


def test_entity_too_large_rejected_before_body(raw, bucket):
    """A single PUT over 5 GiB is refused from its headers alone: with
    Expect: 100-continue the answer is the error, not 100 Continue."""
    size = 5 * 1024 ** 3 + 1
    target, hdrs = raw.prepare("PUT", bucket, "huge", headers={"Content-Length": str(size),
                                                               "Expect": "100-continue"},
                               payload_hash=UNSIGNED)
    sock = raw.socket(timeout=15)
    try:
        head = "PUT %s HTTP/1.1\r\n%s\r\n" % (target, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))
        sock.sendall(head.encode())
        status, rh, body = read_http_response(sock, deadline=15)
        assert status == 400, (status, body[:300])
        assert parse_error(body)["Code"] == "EntityTooLarge"
    finally:
        sock.close()


def test_bad_digest_does_not_replace_existing(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"old")
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="keep", Body=b"new", ContentMD5=md5_b64(b"other"))
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"old"


def test_body_longer_than_its_content_length_closes_the_connection(raw, bucket):
    """Content-Length 2 with three bytes sent: the two read fail their MD5
    (BadDigest, as AWS answers), and the third must not be taken as the start
    of a next request: the response closes the connection."""
    target, hdrs = raw.prepare("PUT", bucket, "short", headers={"Content-MD5": md5_b64(b"bar")},
                               payload_hash=UNSIGNED)
    hdrs["content-length"] = "2"
    sock = raw.socket(timeout=15)
    try:
        head = "PUT %s HTTP/1.1\r\n%s\r\n" % (target, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))
        sock.sendall(head.encode() + b"bar")
        status, rh, body = read_http_response(sock, deadline=15)
        assert status == 400, (status, body[:300])
        assert parse_error(body)["Code"] == "BadDigest"
        assert {k.lower(): v for k, v in rh.items()}.get("connection", "").lower() == "close"
        sock.settimeout(5)
        assert sock.recv(100) == b"", "nothing answers the stray byte: the connection is closed"
    finally:
        sock.close()
