"""Object operations: PutObject/GetObject/HeadObject headers and metadata,
Content-MD5 and flexible checksums, ranges, conditionals, response-* overrides,
DeleteObject(s), CopyObject, key limits and awkward keys."""
import datetime as dt
import os

import pytest
from botocore.exceptions import ClientError

from conftest import unique_name
from e2e_util import (crc32_b64, md5_b64, md5_hex, parse_error, sha1_b64,
                      sha256_b64, sha256_hex)

GMT = dt.timezone.utc


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def status(r):
    return r["ResponseMetadata"]["HTTPStatusCode"]


# ------------------------------------------------------------- put/get/head
def test_put_get_bytes_and_etag(s3, bucket):
    data = os.urandom(100_000)
    r = s3.put_object(Bucket=bucket, Key="obj", Body=data)
    assert status(r) == 200
    assert r["ETag"] == '"%s"' % md5_hex(data)
    g = s3.get_object(Bucket=bucket, Key="obj")
    assert g["Body"].read() == data
    assert g["ContentLength"] == len(data)
    assert g["ETag"] == r["ETag"]
    assert g["AcceptRanges"] == "bytes"
    h = s3.head_object(Bucket=bucket, Key="obj")
    assert h["ContentLength"] == len(data)
    assert h["ETag"] == r["ETag"]
    assert h["LastModified"] == g["LastModified"]
    assert abs((dt.datetime.now(GMT) - h["LastModified"]).total_seconds()) < 600


def test_overwrite_replaces_content_and_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"first", Metadata={"gen": "1"}, ContentType="text/a")
    s3.put_object(Bucket=bucket, Key="o", Body=b"second!")
    g = s3.get_object(Bucket=bucket, Key="o")
    assert g["Body"].read() == b"second!"
    assert g["Metadata"] == {}
    assert g["ContentType"] == "binary/octet-stream"


def test_default_content_type(s3, bucket, raw):
    s3.put_object(Bucket=bucket, Key="nt", Body=b"x")
    assert s3.head_object(Bucket=bucket, Key="nt")["ContentType"] == "binary/octet-stream"
    assert s3.get_object(Bucket=bucket, Key="nt")["ContentType"] == "binary/octet-stream"
    # A raw PUT with no Content-Type header at all.
    r = raw.request("PUT", bucket, "raw-nt", body=b"abc")
    assert r.status_code == 200, r.text
    assert "content-type" not in {k.lower() for k in r.request.headers}
    assert s3.head_object(Bucket=bucket, Key="raw-nt")["ContentType"] == "binary/octet-stream"


def test_given_content_type_kept(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t.json", Body=b"{}", ContentType="application/json; charset=utf-8")
    assert s3.head_object(Bucket=bucket, Key="t.json")["ContentType"] == "application/json; charset=utf-8"
    assert s3.get_object(Bucket=bucket, Key="t.json")["ContentType"] == "application/json; charset=utf-8"


def test_user_metadata_round_trip(s3, bucket, raw):
    meta = {"color": "blue", "x-y-z": "with spaces and = signs", "empty": "", "num": "42"}
    s3.put_object(Bucket=bucket, Key="m", Body=b"m", Metadata=meta)
    assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == meta
    assert s3.get_object(Bucket=bucket, Key="m")["Metadata"] == meta
    # Header names are case-insensitive: a mixed-case x-amz-meta- name comes back lower-case.
    r = raw.request("PUT", bucket, "m2", body=b"z", headers={"X-Amz-Meta-MixedCase": "V"})
    assert r.status_code == 200, r.text
    g = raw.request("GET", bucket, "m2")
    assert g.status_code == 200
    assert g.headers.get("x-amz-meta-mixedcase") == "V"


def test_user_metadata_too_large(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="big-meta", Body=b"x", Metadata={"k": "v" * 2100})
    assert err(e) == ("MetadataTooLarge", 400)
    # Just under the 2 KB user-metadata limit is fine.
    s3.put_object(Bucket=bucket, Key="ok-meta", Body=b"x", Metadata={"k": "v" * 1900})
    assert len(s3.head_object(Bucket=bucket, Key="ok-meta")["Metadata"]["k"]) == 1900


def test_standard_headers_round_trip(s3, bucket):
    expires = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=GMT)
    s3.put_object(Bucket=bucket, Key="h", Body=b"hdrs", CacheControl="max-age=60, public",
                  ContentDisposition='attachment; filename="report.txt"',
                  ContentEncoding="gzip", ContentLanguage="de-DE", Expires=expires)
    for r in (s3.head_object(Bucket=bucket, Key="h"), s3.get_object(Bucket=bucket, Key="h")):
        assert r["CacheControl"] == "max-age=60, public"
        assert r["ContentDisposition"] == 'attachment; filename="report.txt"'
        assert r["ContentEncoding"] == "gzip"
        assert r["ContentLanguage"] == "de-DE"
        assert r["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"


def test_storage_class(s3, bucket):
    s3.put_object(Bucket=bucket, Key="sc", Body=b"x", StorageClass="STANDARD")
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["StorageClass"] == "STANDARD"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="sc2", Body=b"x", StorageClass="NOT-A-CLASS")
    assert err(e) == ("InvalidStorageClass", 400)


def test_zero_byte_object(s3, bucket):
    r = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert r["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    g = s3.get_object(Bucket=bucket, Key="empty")
    assert g["ContentLength"] == 0
    assert g["Body"].read() == b""
    assert s3.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Size"] == 0


# -------------------------------------------------------- digests, checksums
def test_content_md5_correct(s3, bucket):
    data = b"digest me"
    r = s3.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=md5_b64(data))
    assert r["ETag"] == '"%s"' % md5_hex(data)


def test_content_md5_wrong_is_bad_digest(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"digest me", ContentMD5=md5_b64(b"other"))
    assert err(e) == ("BadDigest", 400)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="md5")
    assert err(e) == ("404", 404)


@pytest.mark.parametrize("value", ["not-base64!!", "AAAA", md5_hex(b"hex is not base64")])
def test_content_md5_malformed_is_invalid_digest(s3, bucket, value):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"digest me", ContentMD5=value)
    assert err(e) == ("InvalidDigest", 400)


CHECKSUMS = {"CRC32": crc32_b64, "SHA1": sha1_b64, "SHA256": sha256_b64}


@pytest.mark.parametrize("algo", list(CHECKSUMS))
def test_checksum_stored_and_returned(s3, bucket, algo):
    data = os.urandom(33_333)
    want = CHECKSUMS[algo](data)
    field = "Checksum" + algo
    r = s3.put_object(Bucket=bucket, Key="ck", Body=data, ChecksumAlgorithm=algo)
    assert r[field] == want
    h = s3.head_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert h[field] == want
    g = s3.get_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert g[field] == want
    assert g["Body"].read() == data
    # Without ChecksumMode the checksum headers are not sent.
    h = s3.head_object(Bucket=bucket, Key="ck")
    assert field not in h


def test_default_crc32_from_sdk_is_stored(s3, bucket):
    # boto3 >= 1.36 sends x-amz-checksum-crc32 on every PutObject by default.
    data = b"when_supported default checksum"
    s3.put_object(Bucket=bucket, Key="dflt", Body=data)
    assert s3.head_object(Bucket=bucket, Key="dflt", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc32_b64(data)


@pytest.mark.parametrize("header,good", [("x-amz-checksum-crc32", crc32_b64),
                                          ("x-amz-checksum-sha256", sha256_b64),
                                          ("x-amz-checksum-sha1", sha1_b64)])
def test_wrong_checksum_header_is_bad_digest(raw, bucket, s3, header, good):
    data = b"the payload the checksum should cover"
    wrong = good(b"something else")
    r = raw.request("PUT", bucket, "badck", body=data, headers={header: wrong})
    assert r.status_code == 400, r.text
    assert parse_error(r.content)["Code"] == "BadDigest"
    assert raw.request("HEAD", bucket, "badck").status_code == 404
    # The correct value is accepted and echoed.
    r = raw.request("PUT", bucket, "badck", body=data, headers={header: good(data)})
    assert r.status_code == 200, r.text
    assert r.headers.get(header) == good(data)


def test_wrong_checksum_via_boto3_param(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="badck2", Body=b"payload", ChecksumCRC32=crc32_b64(b"nope"))
    assert err(e) == ("BadDigest", 400)


# Sizes around where pail changes how it stores and hashes a body: inline in
# the metadata up to 16 KiB, a blob above; the MD5 hashed in the pool of
# hashing threads (http/md5_pool.c) from 1 MiB.
@pytest.mark.parametrize("size", [0, 16384, 16385, 1024 * 1024 - 1, 1024 * 1024,
                                  9 * 1024 * 1024 + 7])
def test_sizes_across_storage_and_hashing_paths(s3, bucket, size):
    data = os.urandom(size)
    r = s3.put_object(Bucket=bucket, Key="sz", Body=data, ContentMD5=md5_b64(data),
                      ChecksumAlgorithm="SHA256")
    assert r["ETag"] == '"%s"' % md5_hex(data)
    assert r["ChecksumSHA256"] == sha256_b64(data)
    g = s3.get_object(Bucket=bucket, Key="sz", ChecksumMode="ENABLED")
    assert g["ContentLength"] == size and g["ETag"] == r["ETag"]
    assert g["ChecksumSHA256"] == sha256_b64(data)
    assert g["Body"].read() == data
    if size:
        part = s3.get_object(Bucket=bucket, Key="sz", Range="bytes=%d-" % (size // 2))
        assert part["Body"].read() == data[size // 2:]
    c = s3.copy_object(Bucket=bucket, Key="sz-copy", CopySource={"Bucket": bucket, "Key": "sz"})
    assert c["CopyObjectResult"]["ETag"] == r["ETag"]
    assert s3.get_object(Bucket=bucket, Key="sz-copy")["Body"].read() == data


@pytest.mark.parametrize("header,good", [("content-md5", md5_b64), ("x-amz-checksum-crc32", crc32_b64)])
def test_wrong_digest_on_a_large_body(raw, bucket, header, good):
    data = os.urandom(5 * 1024 * 1024 + 3)
    r = raw.request("PUT", bucket, "bigbad", body=data, headers={header: good(data[:-1])})
    assert r.status_code == 400, r.text
    assert parse_error(r.content)["Code"] == "BadDigest"
    assert raw.request("HEAD", bucket, "bigbad").status_code == 404
    r = raw.request("PUT", bucket, "bigbad", body=data, headers={header: good(data)})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"%s"' % md5_hex(data)


# ------------------------------------------------------------------- ranges
@pytest.fixture
def ten(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ten", Body=b"0123456789")
    return bucket


@pytest.mark.parametrize("rng,body,crange", [
    ("bytes=0-4", b"01234", "bytes 0-4/10"),
    ("bytes=5-", b"56789", "bytes 5-9/10"),
    ("bytes=-3", b"789", "bytes 7-9/10"),
    ("bytes=9-9", b"9", "bytes 9-9/10"),
    ("bytes=5-100", b"56789", "bytes 5-9/10"),
    ("bytes=-100", b"0123456789", "bytes 0-9/10"),
])
def test_get_range(s3, ten, rng, body, crange):
    g = s3.get_object(Bucket=ten, Key="ten", Range=rng)
    assert status(g) == 206
    assert g["ContentRange"] == crange
    assert g["ContentLength"] == len(body)
    assert g["Body"].read() == body
    h = s3.head_object(Bucket=ten, Key="ten", Range=rng)
    assert status(h) == 206
    assert h["ContentLength"] == len(body)
    assert h["ContentRange"] == crange


@pytest.mark.parametrize("rng", ["bytes=10-", "bytes=20-30", "bytes=10-10"])
def test_get_range_unsatisfiable(s3, ten, rng):
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=ten, Key="ten", Range=rng)
    assert err(e) == ("InvalidRange", 416)


def test_get_range_on_empty_object_unsatisfiable(s3, bucket):
    s3.put_object(Bucket=bucket, Key="e", Body=b"")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="e", Range="bytes=0-0")
    assert err(e) == ("InvalidRange", 416)


def test_get_range_malformed_is_ignored(s3, ten):
    g = s3.get_object(Bucket=ten, Key="ten", Range="bytes=abc")
    assert status(g) == 200
    assert g["Body"].read() == b"0123456789"


# ------------------------------------------------------------- conditionals
@pytest.fixture
def cond(s3, bucket):
    s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")
    h = s3.head_object(Bucket=bucket, Key="c")
    return bucket, h["ETag"], h["LastModified"]


HOUR = dt.timedelta(hours=1)


def test_if_match(s3, cond):
    b, etag, _ = cond
    assert s3.get_object(Bucket=b, Key="c", IfMatch=etag)["Body"].read() == b"conditional"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert err(e) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=b, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert err(e) == ("412", 412)


def test_if_none_match(s3, cond):
    b, etag, _ = cond
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as e:
            call(Bucket=b, Key="c", IfNoneMatch=etag)
        assert err(e) == ("304", 304)
        # RFC 9110 8.6: a 304's Content-Length, if any, is the 200's (a 0 tells caches the
        # stored representation is empty).
        assert e.value.response["ResponseMetadata"]["HTTPHeaders"].get(
            "content-length", "11") == str(len(b"conditional"))
    assert status(s3.get_object(Bucket=b, Key="c", IfNoneMatch='"ffffffffffffffffffffffffffffffff"')) == 200


def test_if_modified_since(s3, cond):
    b, _, lm = cond
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="c", IfModifiedSince=lm)
    assert err(e) == ("304", 304)
    g = s3.get_object(Bucket=b, Key="c", IfModifiedSince=lm - HOUR)
    assert g["Body"].read() == b"conditional"


def test_if_unmodified_since(s3, cond):
    b, _, lm = cond
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="c", IfUnmodifiedSince=lm - HOUR)
    assert err(e) == ("PreconditionFailed", 412)
    assert status(s3.get_object(Bucket=b, Key="c", IfUnmodifiedSince=lm)) == 200
    assert status(s3.get_object(Bucket=b, Key="c", IfUnmodifiedSince=lm + HOUR)) == 200


def test_if_match_true_beats_if_unmodified_since_false(s3, cond):
    # GetObject docs: If-Match true and If-Unmodified-Since false -> 200 OK.
    b, etag, lm = cond
    assert status(s3.get_object(Bucket=b, Key="c", IfMatch=etag, IfUnmodifiedSince=lm - HOUR)) == 200


def test_if_none_match_false_with_if_modified_since_true_is_304(s3, cond):
    # GetObject docs: If-None-Match false and If-Modified-Since true -> 304.
    b, etag, lm = cond
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="c", IfNoneMatch=etag, IfModifiedSince=lm - HOUR)
    assert err(e) == ("304", 304)


def test_conditional_put_if_none_match(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert err(e) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"1"


def test_conditional_put_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="cas", Body=b"v1")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert err(e) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="cas", Body=b"v3", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v3"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="no-such", Body=b"v", IfMatch=etag)
    assert err(e) == ("NoSuchKey", 404)


# ------------------------------------------------------- response overrides
def test_response_header_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ov", Body=b"override", ContentType="text/plain")
    exp = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=GMT)
    g = s3.get_object(Bucket=bucket, Key="ov", ResponseContentType="application/x-test",
                      ResponseContentLanguage="fr", ResponseCacheControl="no-cache",
                      ResponseContentDisposition='attachment; filename="o.bin"',
                      ResponseContentEncoding="identity", ResponseExpires=exp)
    hdrs = g["ResponseMetadata"]["HTTPHeaders"]
    assert hdrs["content-type"] == "application/x-test"
    assert hdrs["content-language"] == "fr"
    assert hdrs["cache-control"] == "no-cache"
    assert hdrs["content-disposition"] == 'attachment; filename="o.bin"'
    assert hdrs["content-encoding"] == "identity"
    assert hdrs["expires"] == "Tue, 06 May 2031 07:08:09 GMT"
    assert g["Body"].read() == b"override"
    # The stored object is unchanged.
    assert s3.head_object(Bucket=bucket, Key="ov")["ContentType"] == "text/plain"


# ------------------------------------------------------------- missing things
def test_head_missing_key(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="nope")
    assert err(e) == ("404", 404)


def test_get_missing_key(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nope")
    assert err(e) == ("NoSuchKey", 404)


def test_object_ops_in_missing_bucket(s3):
    b = unique_name("missing")
    calls = [
        lambda: s3.put_object(Bucket=b, Key="k", Body=b"x"),
        lambda: s3.get_object(Bucket=b, Key="k"),
        lambda: s3.delete_object(Bucket=b, Key="k"),
        lambda: s3.list_objects(Bucket=b),
        lambda: s3.list_objects_v2(Bucket=b),
        lambda: s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k"}]}),
        lambda: s3.create_multipart_upload(Bucket=b, Key="k"),
        lambda: s3.copy_object(Bucket=b, Key="k", CopySource={"Bucket": b, "Key": "src"}),
    ]
    for call in calls:
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=b, Key="k")
    assert err(e) == ("404", 404)


# --------------------------------------------------------------- deletions
def test_delete_object_204_existing_and_missing(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    assert status(s3.delete_object(Bucket=bucket, Key="d")) == 204
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="d")
    assert status(s3.delete_object(Bucket=bucket, Key="d")) == 204
    assert status(s3.delete_object(Bucket=bucket, Key="never-existed")) == 204


def test_delete_objects_verbose(s3, bucket):
    present = ["a", "b/c", "d e"]
    for k in present:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    keys = present + ["missing-1", "missing/2"]
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": False})
    assert status(r) == 200
    assert sorted(d["Key"] for d in r["Deleted"]) == sorted(keys)
    assert r.get("Errors", []) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_delete_objects_quiet(s3, bucket):
    for k in ("q1", "q2", "keep"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q1"}, {"Key": "q2"}, {"Key": "gone"}],
                                                 "Quiet": True})
    assert status(r) == 200
    assert r.get("Deleted", []) == []
    assert r.get("Errors", []) == []
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]


def test_delete_objects_over_1000_keys_is_malformed(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k%d" % i} for i in range(1001)]})
    assert err(e) == ("MalformedXML", 400)


# -------------------------------------------------------------------- copy
@pytest.fixture
def src(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source bytes", ContentType="text/x-src",
                  Metadata={"origin": "src"}, CacheControl="max-age=5")
    return bucket


def test_copy_same_bucket_keeps_metadata(s3, src):
    r = s3.copy_object(Bucket=src, Key="dst", CopySource={"Bucket": src, "Key": "src"})
    assert status(r) == 200
    assert r["CopyObjectResult"]["ETag"] == '"%s"' % md5_hex(b"source bytes")
    assert isinstance(r["CopyObjectResult"]["LastModified"], dt.datetime)
    g = s3.get_object(Bucket=src, Key="dst")
    assert g["Body"].read() == b"source bytes"
    assert g["Metadata"] == {"origin": "src"}
    assert g["ContentType"] == "text/x-src"
    assert g["CacheControl"] == "max-age=5"
    # The source is untouched.
    assert s3.get_object(Bucket=src, Key="src")["Body"].read() == b"source bytes"


def test_copy_cross_bucket(s3, src, make_bucket):
    other = make_bucket()
    s3.copy_object(Bucket=other, Key="deep/copy", CopySource={"Bucket": src, "Key": "src"})
    assert s3.get_object(Bucket=other, Key="deep/copy")["Body"].read() == b"source bytes"
    # String form of x-amz-copy-source with a leading slash, as raw clients send it.
    s3.copy_object(Bucket=other, Key="copy2", CopySource="/%s/src" % src)
    assert s3.get_object(Bucket=other, Key="copy2")["Body"].read() == b"source bytes"


def test_copy_metadata_directive_copy_ignores_new_metadata(s3, src):
    s3.copy_object(Bucket=src, Key="dst", CopySource={"Bucket": src, "Key": "src"},
                   MetadataDirective="COPY", Metadata={"new": "ignored"})
    assert s3.head_object(Bucket=src, Key="dst")["Metadata"] == {"origin": "src"}


def test_copy_metadata_directive_replace(s3, src):
    s3.copy_object(Bucket=src, Key="dst", CopySource={"Bucket": src, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"new": "value"}, ContentType="text/new")
    h = s3.head_object(Bucket=src, Key="dst")
    assert h["Metadata"] == {"new": "value"}
    assert h["ContentType"] == "text/new"
    assert "CacheControl" not in h
    assert s3.get_object(Bucket=src, Key="dst")["Body"].read() == b"source bytes"


def test_copy_source_conditions(s3, src):
    etag = s3.head_object(Bucket=src, Key="src")["ETag"]
    s3.copy_object(Bucket=src, Key="ok", CopySource={"Bucket": src, "Key": "src"}, CopySourceIfMatch=etag)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=src, Key="no1", CopySource={"Bucket": src, "Key": "src"},
                       CopySourceIfMatch='"0123456789abcdef0123456789abcdef"')
    assert err(e) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=src, Key="no2", CopySource={"Bucket": src, "Key": "src"},
                       CopySourceIfNoneMatch=etag)
    assert err(e) == ("PreconditionFailed", 412)
    names = [o["Key"] for o in s3.list_objects_v2(Bucket=src)["Contents"]]
    assert names == ["ok", "src"]


def test_copy_to_itself_without_replace_is_invalid(s3, src):
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=src, Key="src", CopySource={"Bucket": src, "Key": "src"})
    assert err(e) == ("InvalidRequest", 400)
    # With REPLACE it is how metadata gets changed in place.
    s3.copy_object(Bucket=src, Key="src", CopySource={"Bucket": src, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    h = s3.head_object(Bucket=src, Key="src")
    assert h["Metadata"] == {"v": "2"}
    assert s3.get_object(Bucket=src, Key="src")["Body"].read() == b"source bytes"


def test_copy_missing_source(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "absent"})
    assert err(e) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": unique_name("nob"), "Key": "absent"})
    assert err(e) == ("NoSuchBucket", 404)


# ---------------------------------------------------------------- key limits
def test_key_too_long(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert err(e) == ("KeyTooLongError", 400)
    # The limit is in UTF-8 bytes: 513 characters of 2 bytes each is too long.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="\u00e9" * 512 + "x", Body=b"x")
    assert err(e) == ("KeyTooLongError", 400)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


AWKWARD_KEYS = [
    "a b", "a+b", "a%20b", "100%", "q?x=1", "h#frag", "\u00fcn\u00efc\u00f8d\u00e9/\u65e5\u672c\u8a9e",
    "a//b", "/leading", "trailing/", "~tilde", "quote'\"", "&amp;<x>", "k" * 1024,
    "\u00e9" * 512, "semi;colon,comma", "star*paren(1)[2]{3}", "tab\there", "dot/./seg", "emoji-\U0001F600",
    "=equals&and", "back\\slash", "caret^pipe|`tick`", "dollar$at@excl!",
]


def _key_id(k):
    return k if len(k) < 30 else "%s...(%d bytes)" % (k[:8], len(k.encode()))


@pytest.mark.parametrize("key", AWKWARD_KEYS, ids=[_key_id(k) for k in AWKWARD_KEYS])
def test_awkward_key_round_trip(s3, bucket, key):
    body = ("body of " + key).encode()
    r = s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata={"k": "v"})
    assert r["ETag"] == '"%s"' % md5_hex(body)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body)
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == [key]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)
    assert [o["Key"] for o in listed["Contents"]] == [key]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == [key]
    # Copy out to a plain key and back in to another awkward one.
    s3.copy_object(Bucket=bucket, Key="plain-copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key="plain-copy")["Body"].read() == body
    key2 = key + ".2" if len(key.encode()) <= 1022 else key[:-2] + ".2"  # stays <= 1024 bytes
    assert len(key2.encode()) <= 1024
    s3.copy_object(Bucket=bucket, Key=key2, CopySource={"Bucket": bucket, "Key": "plain-copy"})
    assert s3.get_object(Bucket=bucket, Key=key2)["Body"].read() == body
    assert s3.head_object(Bucket=bucket, Key=key2)["Metadata"] == {"k": "v"}
    # DeleteObjects carries the key in XML; DeleteObject in the path.
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key2}]})
    assert [d["Key"] for d in r["Deleted"]] == [key2]
    assert status(s3.delete_object(Bucket=bucket, Key=key)) == 204
    s3.delete_object(Bucket=bucket, Key="plain-copy")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_keys_differing_only_in_encoding_are_distinct(s3, bucket):
    # 'a b', 'a+b' and 'a%20b' are three objects; a server that decodes '+'
    # or double-decodes '%20' would merge them.
    keys = {"a b": b"space", "a+b": b"plus", "a%20b": b"percent"}
    for k, v in keys.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    for k, v in keys.items():
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == v
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == sorted(keys)


def test_get_sha256_of_larger_object(s3, bucket):
    data = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key="3m", Body=data)
    got = s3.get_object(Bucket=bucket, Key="3m")["Body"].read()
    assert sha256_hex(got) == sha256_hex(data)
