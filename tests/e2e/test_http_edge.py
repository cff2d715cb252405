"""HTTP/1.1 message rules at the edge, over raw sockets (RFC 9112, RFC 9110).
Each request here is signed, so that without the rule it would succeed: the
refusal comes from the framing, not from authentication. A refused request's
connection is closed, and nothing behind it on the same bytes is answered:
a proxy in front of pail may have framed them differently (request
smuggling)."""
import pytest

from e2e_util import HttpReader


def signed_put(raw, bucket, key, body, extra_lines):
    """A signed PUT of body with extra raw header lines (not signed: SigV4
    signs only the headers it lists)."""
    target, hdrs = raw.prepare("PUT", bucket, key, body=body)
    lines = ["PUT %s HTTP/1.1" % target] + ["%s: %s" % kv for kv in hdrs.items()]
    return ("\r\n".join(lines + extra_lines) + "\r\n\r\n").encode("latin-1")


def exchange(raw, data, timeout=10):
    """Sends data; returns (responses, closed): every response read until the
    server closes (or the timeout)."""
    s = raw.socket(timeout=timeout)
    try:
        s.sendall(data)
        rd = HttpReader(s, deadline=timeout)
        out = []
        while True:
            try:
                out.append(rd.response())
            except ConnectionError:  # closed (or reset) by the server
                return out, True
            except TimeoutError:  # socket.timeout too
                return out, False
    finally:
        s.close()


def status_of(resp):
    return resp[0]


def assert_refused(raw, s3, bucket, key, data, status=400):
    responses, closed = exchange(raw, data)
    assert [status_of(r) for r in responses] == [status], responses
    assert closed, "the connection stays open after a framing error"
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key=key)


def test_two_content_lengths_are_refused(raw, s3, bucket):
    # RFC 9112 §6.3 (5): differing Content-Length values are unrecoverable.
    data = signed_put(raw, bucket, "k", b"abc", ["Content-Length: 3", "Content-Length: 5"]) + b"abcde"
    assert_refused(raw, s3, bucket, "k", data)


def test_a_repeated_content_length_is_refused(raw, s3, bucket):
    # Even the same value twice: a proxy that takes the list as one value
    # ("3, 3") frames the body differently.
    data = signed_put(raw, bucket, "k", b"abc", ["Content-Length: 3", "Content-Length: 3"]) + b"abc"
    assert_refused(raw, s3, bucket, "k", data)


def test_content_length_with_transfer_encoding_is_refused(raw, s3, bucket):
    # RFC 9112 §6.1: a server may reject a message with both, and must close
    # the connection after it. Without the rule the chunked body ends at
    # "0\r\n\r\n" and the GET hidden in it is answered as a second request.
    body = b"0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
    data = signed_put(raw, bucket, "k", b"", ["Content-Length: %d" % len(body),
                                             "Transfer-Encoding: chunked"]) + body
    assert_refused(raw, s3, bucket, "k", data)


@pytest.mark.parametrize("coding", ["gzip", "gzip, chunked", "chunked, chunked", "identity"])
def test_transfer_codings_other_than_chunked_are_not_implemented(raw, s3, bucket, coding):
    # RFC 9112 §6.1: an unknown transfer coding gets 501; S3 answers
    # NotImplemented ("A header you provided implies functionality that is
    # not implemented").
    data = signed_put(raw, bucket, "k", b"", ["Transfer-Encoding: " + coding]) + b"0\r\n\r\n"
    responses, closed = exchange(raw, data)
    assert [status_of(r) for r in responses] == [501], responses
    assert b"<Code>NotImplemented</Code>" in responses[0][2]
    assert closed


@pytest.mark.parametrize("line", ["X-Bad Name: v", "X-Amz-Meta-A : v", "X(y): v"])
def test_invalid_field_names_are_refused(raw, s3, bucket, line):
    # RFC 9110 §5.1: a field name is a token; RFC 9112 §5.1: whitespace
    # between name and colon must be answered 400.
    assert_refused(raw, s3, bucket, "k", signed_put(raw, bucket, "k", b"", [line,
                                                                            "Content-Length: 0"]))


def test_a_bare_cr_in_a_value_is_refused(raw, s3, bucket):
    # RFC 9112 §2.2: a bare CR outside the line ending is refused.
    data = signed_put(raw, bucket, "k", b"", ["X-Amz-Meta-A: a\rb", "Content-Length: 0"])
    assert_refused(raw, s3, bucket, "k", data)


def test_a_control_character_in_a_value_is_refused(raw, s3, bucket):
    data = signed_put(raw, bucket, "k", b"", ["X-Amz-Meta-A: a\x01b", "Content-Length: 0"])
    assert_refused(raw, s3, bucket, "k", data)


def test_a_non_numeric_content_length_is_refused(raw, s3, bucket):
    data = signed_put(raw, bucket, "k", b"", ["Content-Length: +3"]) + b"abc"
    assert_refused(raw, s3, bucket, "k", data)


def test_http11_without_host_is_refused(raw):
    # RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request
    # without Host.
    responses, closed = exchange(raw, b"GET / HTTP/1.1\r\n\r\n")
    assert [status_of(r) for r in responses] == [400]


def test_a_valid_request_after_them_still_works(raw, s3, bucket):
    # The rules refuse only what they name: tabs and UTF-8 in values pass.
    data = signed_put(raw, bucket, "ok", b"abc", ["Content-Length: 3",
                                                 "X-Amz-Meta-Note: a\tb"]) + b"abc"
    responses, _ = exchange(raw, data, timeout=3)
    assert status_of(responses[0]) == 200
    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == b"abc"


@pytest.mark.parametrize("value", ["bytes= 0-1", "bytes=+0-1", "bytes=0-1 ", "bytes=0--1",
                                   "bytes=a-b", "bytes=1-0", "bytes=0-1,3-4", "items=0-1",
                                   "bytes=", "bytes=-", "bytes=0x1-2", "bytes=-+2"])
def test_an_unparseable_range_is_ignored(s3, bucket, value):
    # S3 ignores a Range it cannot parse (and several ranges) and sends the
    # whole object with 200; RFC 9110 §14.2 lets a server ignore Range.
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="r", Range=value)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == b"0123456789"
    assert "ContentRange" not in got


@pytest.mark.parametrize("value,body", [("bytes=0-1", b"01"), ("bytes=-2", b"89"),
                                        ("bytes=7-", b"789"), ("bytes=8-100", b"89")])
def test_a_valid_range_is_served(s3, bucket, value, body):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="r", Range=value)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == body


@pytest.mark.parametrize("value", ["bytes=10-", "bytes=99999999999999999999999-"])
def test_a_range_past_the_end_is_invalid(s3, bucket, value):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    with pytest.raises(Exception) as e:
        s3.get_object(Bucket=bucket, Key="r", Range=value)
    assert e.value.response["Error"]["Code"] == "InvalidRange"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416
