"""aws-chunked uploads built by hand, per AWS's "Signature Calculations for the
Authorization Header: Transferring Payload in Multiple Chunks (Chunked Upload)"
and "... Including Trailing Headers": signed chunks with a seed signature,
signed and unsigned trailers, HTTP-level Transfer-Encoding: chunked, framing
that arrives in tiny pieces, and Expect: 100-continue."""
import os
import random
import time

import pytest
import requests

from e2e_util import (HttpReader, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, UNSIGNED,
                      Signed, aws_chunked_signed, aws_chunked_unsigned, crc32_b64, md5_hex,
                      parse_error, read_http_response, sha256_hex, sign, split_chunks)

KiB = 1024
CHUNK = 64 * KiB


def _fake_signed():
    return Signed("0" * 64, b"k" * 32, "20000101T000000Z", "20000101/us-east-1/s3/aws4_request", "", "")


def put_signed_stream(raw, bucket, key, data, chunk_size=CHUNK, tamper=None, tamper_data=False,
                      trailer=False, extra_headers=None):
    """PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]; returns the response."""
    chunks = split_chunks(data, chunk_size)
    trailer_kv = ("x-amz-checksum-crc32", crc32_b64(data)) if trailer else None
    length = len(aws_chunked_signed(_fake_signed(), chunks, trailer=trailer_kv))
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
               "Content-Length": str(length)}
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    headers.update(extra_headers or {})
    path, hdrs, signed = raw.signed_for_stream(
        "PUT", bucket, key, headers, STREAMING_SIGNED_TRAILER if trailer else STREAMING_SIGNED)
    body = aws_chunked_signed(signed, chunks, trailer=trailer_kv, tamper=tamper)
    if tamper_data:
        i = body.index(b"\r\n") + 2 + 10  # a byte inside the first chunk's data
        body = body[:i] + bytes([body[i] ^ 0xFF]) + body[i + 1:]
    assert len(body) == length
    hdrs.pop("host")
    return requests.put(raw.endpoint + path, headers=hdrs, data=body, timeout=120)


def unsigned_trailer_headers(raw, bucket, key, data, body_len=None, checksum_name="x-amz-checksum-crc32"):
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
               "x-amz-trailer": checksum_name, "x-amz-sdk-checksum-algorithm": "CRC32"}
    if body_len is not None:
        headers["Content-Length"] = str(body_len)
    path, hdrs, _ = raw.signed_for_stream("PUT", bucket, key, headers, STREAMING_UNSIGNED_TRAILER)
    return path, hdrs


def assert_stored(s3, bucket, key, data):
    g = s3.get_object(Bucket=bucket, Key=key)
    assert g["ContentLength"] == len(data)
    assert g["ETag"] == '"%s"' % md5_hex(data)
    assert g["Body"].read() == data
    # aws-chunked is transport framing: S3 does not store it as the object's encoding.
    assert g.get("ContentEncoding") in (None, "")


def assert_absent(raw, bucket, key):
    assert raw.request("HEAD", bucket, key).status_code == 404


# ----------------------------------------------------- signed aws-chunked
def test_chunk_signer_matches_aws_example():
    """The signer against AWS's published "Example: PUT Object" (66,560 bytes of
    'a' in 64 KiB + 1 KiB chunks): seed and chunk signatures and body length."""
    hdrs = {"host": "s3.amazonaws.com", "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "66560",
            "content-length": "66824"}
    signed = sign("PUT", "/examplebucket/chunkObject.txt", [], hdrs, STREAMING_SIGNED,
                  "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  amz_date="20130524T000000Z")
    assert signed.signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    body = aws_chunked_signed(signed, [b"a" * 65536, b"a" * 1024])
    assert len(body) == 66824
    assert body.startswith(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n")
    assert b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" in body
    assert body.endswith(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")


def test_signed_streaming_upload(raw, s3, bucket):
    data = os.urandom(200_000)  # three 64 KiB chunks and a short last one
    r = put_signed_stream(raw, bucket, "stream/signed", data)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"%s"' % md5_hex(data)
    assert_stored(s3, bucket, "stream/signed", data)


def test_signed_streaming_exact_multiple_and_empty(raw, s3, bucket):
    data = os.urandom(2 * CHUNK)
    r = put_signed_stream(raw, bucket, "exact", data)
    assert r.status_code == 200, r.text
    assert_stored(s3, bucket, "exact", data)
    r = put_signed_stream(raw, bucket, "empty", b"")
    assert r.status_code == 200, r.text
    assert_stored(s3, bucket, "empty", b"")


@pytest.mark.parametrize("tamper", [0, 2, 4], ids=["first-chunk", "middle-chunk", "final-chunk"])
def test_signed_streaming_tampered_signature(raw, bucket, tamper):
    data = os.urandom(200_000)
    r = put_signed_stream(raw, bucket, "tampered", data, tamper=tamper)
    assert r.status_code == 403, r.text
    assert parse_error(r.content)["Code"] == "SignatureDoesNotMatch"
    assert_absent(raw, bucket, "tampered")


def test_signed_streaming_tampered_data(raw, bucket):
    r = put_signed_stream(raw, bucket, "tampered-data", os.urandom(100_000), tamper_data=True)
    assert r.status_code == 403, r.text
    assert parse_error(r.content)["Code"] == "SignatureDoesNotMatch"
    assert_absent(raw, bucket, "tampered-data")


def test_signed_streaming_small_chunk_rejected(raw, bucket):
    # Every chunk but the last must be at least 8 KiB.
    r = put_signed_stream(raw, bucket, "small-chunks", os.urandom(20_000), chunk_size=1000)
    assert r.status_code == 403, r.text
    assert parse_error(r.content)["Code"] == "InvalidChunkSizeError"
    assert_absent(raw, bucket, "small-chunks")


def test_signed_streaming_with_gzip_content_encoding(raw, s3, bucket):
    data = os.urandom(50_000)
    r = put_signed_stream(raw, bucket, "gz", data, extra_headers={"Content-Encoding": "aws-chunked,gzip"})
    assert r.status_code == 200, r.text
    h = s3.head_object(Bucket=bucket, Key="gz")
    assert h["ContentEncoding"] == "gzip"
    assert h["ContentLength"] == len(data)


def test_signed_streaming_with_signed_trailer(raw, s3, bucket):
    data = os.urandom(150_000)
    r = put_signed_stream(raw, bucket, "signed-trailer", data, trailer=True)
    assert r.status_code == 200, r.text
    assert_stored(s3, bucket, "signed-trailer", data)
    h = s3.head_object(Bucket=bucket, Key="signed-trailer", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32"] == crc32_b64(data)


# ---------------------------------------------------- unsigned with trailer
def test_unsigned_trailer_correct(raw, s3, bucket):
    data = os.urandom(300_000)
    body = aws_chunked_unsigned(split_chunks(data, CHUNK), trailer=("x-amz-checksum-crc32", crc32_b64(data)))
    path, hdrs = unsigned_trailer_headers(raw, bucket, "trailer", data, len(body))
    hdrs.pop("host")
    r = requests.put(raw.endpoint + path, headers=hdrs, data=body, timeout=120)
    assert r.status_code == 200, r.text
    assert r.headers.get("x-amz-checksum-crc32") == crc32_b64(data)
    assert_stored(s3, bucket, "trailer", data)
    h = s3.head_object(Bucket=bucket, Key="trailer", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32"] == crc32_b64(data)


def test_unsigned_trailer_wrong_checksum(raw, bucket):
    data = os.urandom(100_000)
    body = aws_chunked_unsigned(split_chunks(data, CHUNK),
                                trailer=("x-amz-checksum-crc32", crc32_b64(data + b"x")))
    path, hdrs = unsigned_trailer_headers(raw, bucket, "bad-trailer", data, len(body))
    hdrs.pop("host")
    r = requests.put(raw.endpoint + path, headers=hdrs, data=body, timeout=120)
    assert r.status_code == 400, r.text
    assert parse_error(r.content)["Code"] == "BadDigest"
    assert_absent(raw, bucket, "bad-trailer")


def test_unsigned_trailer_over_transfer_encoding_chunked(raw, s3, bucket):
    """What boto3 and the CLI send over https: Transfer-Encoding: chunked at
    the HTTP level carrying an aws-chunked body with a CRC32 trailer, and no
    Content-Length."""
    data = os.urandom(1_500_000)
    body = aws_chunked_unsigned(split_chunks(data, 1024 * KiB),
                                trailer=("x-amz-checksum-crc32", crc32_b64(data)))
    path, hdrs = unsigned_trailer_headers(raw, bucket, "te-chunked", data)
    hdrs.pop("host")
    hdrs["Transfer-Encoding"] = "chunked"
    conn = raw.connection(timeout=120)
    try:
        pieces = (body[i:i + 100_000] for i in range(0, len(body), 100_000))
        conn.request("PUT", path, body=pieces, headers=hdrs, encode_chunked=True)
        resp = conn.getresponse()
        text = resp.read()
        assert resp.status == 200, text
    finally:
        conn.close()
    assert_stored(s3, bucket, "te-chunked", data)
    assert s3.head_object(Bucket=bucket, Key="te-chunked", ChecksumMode="ENABLED")["ChecksumCRC32"] == \
        crc32_b64(data)


def test_plain_transfer_encoding_chunked(raw, s3, bucket):
    """HTTP chunked without aws-chunked or a Content-Length. AWS documents a
    Content-Length as required for PutObject; a server may store the body or
    refuse it with MissingContentLength (411) / NotImplemented (501), but must
    neither hang nor store something else."""
    data = os.urandom(300_000)
    path, hdrs = raw.prepare("PUT", bucket, "plain-te", payload_hash=UNSIGNED)
    hdrs.pop("host")
    hdrs["Transfer-Encoding"] = "chunked"
    conn = raw.connection(timeout=60)
    try:
        conn.request("PUT", path, body=(data[i:i + 70_000] for i in range(0, len(data), 70_000)),
                     headers=hdrs, encode_chunked=True)
        resp = conn.getresponse()
        text = resp.read()
    finally:
        conn.close()
    if resp.status == 200:
        assert_stored(s3, bucket, "plain-te", data)
    else:
        assert (resp.status, parse_error(text)["Code"]) in (
            (411, "MissingContentLength"), (501, "NotImplemented")), (resp.status, text)
        assert_absent(raw, bucket, "plain-te")


# ------------------------------------------- framing split at odd positions
def send_in_pieces(raw, head, body, seed):
    """Writes head+body in 1-13 byte pieces (TCP_NODELAY) and reads the answer."""
    rnd = random.Random(seed)
    sock = raw.socket(timeout=60)
    try:
        sock.sendall(head)
        i = 0
        n = 0
        while i < len(body):
            step = rnd.randint(1, 13)
            sock.sendall(body[i:i + step])
            i += step
            n += 1
            if n % 200 == 0:
                time.sleep(0.001)
        return read_http_response(sock, deadline=60)
    finally:
        sock.close()


def _head(method, path, hdrs):
    return ("%s %s HTTP/1.1\r\n%s\r\n" % (method, path, "".join(
        "%s: %s\r\n" % (k, v) for k, v in hdrs.items()))).encode()


def test_unsigned_trailer_framing_in_tiny_pieces(raw, s3, bucket):
    """The JS SDK splits aws-chunked framing at arbitrary byte positions."""
    data = os.urandom(20_000)
    body = aws_chunked_unsigned(split_chunks(data, 8 * KiB), trailer=("x-amz-checksum-crc32", crc32_b64(data)))
    path, hdrs = unsigned_trailer_headers(raw, bucket, "pieces", data, len(body))
    status, _, text = send_in_pieces(raw, _head("PUT", path, hdrs), body, seed=1)
    assert status == 200, text
    assert_stored(s3, bucket, "pieces", data)


def test_signed_chunks_in_tiny_pieces(raw, s3, bucket):
    data = os.urandom(20_000)
    chunks = split_chunks(data, 8 * KiB)
    length = len(aws_chunked_signed(_fake_signed(), chunks))
    path, hdrs, signed = raw.signed_for_stream(
        "PUT", bucket, "signed-pieces",
        {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
         "Content-Length": str(length)}, STREAMING_SIGNED)
    status, _, text = send_in_pieces(raw, _head("PUT", path, hdrs), aws_chunked_signed(signed, chunks), seed=2)
    assert status == 200, text
    assert_stored(s3, bucket, "signed-pieces", data)


# ------------------------------------------------------ Expect: 100-continue
def test_expect_100_continue(raw, s3, bucket):
    data = os.urandom(64 * KiB)
    path, hdrs = raw.prepare("PUT", bucket, "expect", body=data,
                             headers={"Expect": "100-continue", "Content-Length": str(len(data))})
    sock = raw.socket(timeout=30)
    try:
        sock.sendall(_head("PUT", path, hdrs))
        reader = HttpReader(sock, deadline=10)
        status, _, _ = reader.response()
        assert status == 100
        sock.sendall(data)
        status, rh, text = reader.response(skip_interim=True)
        assert status == 200, text
        assert rh["etag"] == '"%s"' % md5_hex(data)
    finally:
        sock.close()
    assert s3.get_object(Bucket=bucket, Key="expect")["Body"].read() == data


def test_expect_100_continue_refused_early(raw):
    """An upload into a missing bucket is answered with the error instead of 100."""
    data = b"x" * 1000
    path, hdrs = raw.prepare("PUT", "pail-e2e-no-such-bucket-for-expect", "k", body=data,
                             headers={"Expect": "100-continue", "Content-Length": str(len(data))})
    sock = raw.socket(timeout=30)
    try:
        sock.sendall(_head("PUT", path, hdrs))
        status, _, text = read_http_response(sock, deadline=10)
        assert status == 404, (status, text)
        assert parse_error(text)["Code"] == "NoSuchBucket"
    finally:
        sock.close()


def test_boto3_put_sends_expect_and_works(s3, bucket):
    seen = {}

    def grab(request, **kw):
        for k, v in request.headers.items():
            seen[k.lower()] = v.decode() if isinstance(v, bytes) else v

    s3.meta.events.register("before-send.s3.PutObject", grab)
    try:
        data = os.urandom(300_000)
        s3.put_object(Bucket=bucket, Key="boto-expect", Body=data)
    finally:
        s3.meta.events.unregister("before-send.s3.PutObject", grab)
    assert seen.get("expect") == "100-continue"
    assert seen.get("x-amz-content-sha256") == sha256_hex(data)
    assert s3.get_object(Bucket=bucket, Key="boto-expect")["Body"].read() == data
