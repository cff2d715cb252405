"""HTTP/1.1 message rules at the edge, over raw sockets (RFC 9112, RFC 9110).
Each request here is signed, so that without the rule it would succeed: the
refusal comes from the framing, not from authentication. A refused request's
connection is closed, and nothing behind it on the same bytes is answered:
a proxy in front of pail may have framed them differently (request
smuggling).

The second half checks the doorman (src/http/doorman.c) and the watchdog
(src/http/watchdog.c): what is not HTTP is refused at once, slow clients are
cut off by the header, idle and read timeouts, and connections beyond the
limit get 503 SlowDown. Those tests run a pail of their own with short
limits; their time bounds leave generous margins (the watchdog ticks once a
second)."""
import socket
import threading
import time

import pytest

from e2e_util import HttpReader, RawClient


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


def test_obsolete_line_folding_is_refused(raw, s3, bucket):
    # RFC 9112 §5.2: a server must reject obs-fold (a field line starting
    # with SP or HTAB) with 400, or replace it; MHD would have joined it to
    # the name ("X-Amz-Meta-Ab"), so the doorman refuses it on the raw bytes.
    for fold in (" b", "\tb"):
        data = signed_put(raw, bucket, "k", b"", ["X-Amz-Meta-A: a", fold, "Content-Length: 0"])
        assert_refused(raw, s3, bucket, "k", data)


def test_a_nul_in_a_header_is_refused(raw, s3, bucket):
    # RFC 9110 §5.5: NUL is not a field-value character; MHD would cut the
    # value at it, so the doorman refuses it on the raw bytes.
    data = signed_put(raw, bucket, "k", b"", ["X-Amz-Meta-A: a\x00b", "Content-Length: 0"])
    assert_refused(raw, s3, bucket, "k", data)


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


def test_a_bare_cr_ending_a_line_is_refused(raw, s3, bucket):
    # RFC 9112 §2.2: a CR not followed by LF, here where a line would end.
    data = signed_put(raw, bucket, "k", b"", ["X-Amz-Meta-A: a\rContent-Length: 0"])
    assert_refused(raw, s3, bucket, "k", data)


# Heads that break a raw-byte rule, as extra header lines of a signed PUT.
BROKEN_HEADS = {
    "obs-fold": ["X-Amz-Meta-A: a", " b"],
    "obs-fold-tab": ["X-Amz-Meta-A: a", "\tb"],
    "nul": ["X-Amz-Meta-A: a\x00b"],
    "bare-cr": ["X-Amz-Meta-A: a\rb"],
    "bare-cr-line-end": ["X-Amz-Meta-A: a\rX-Amz-Meta-B: c"],
}


def keep_alive_then(raw, bucket, second):
    """A valid signed PUT of 'first' ("abc", Content-Length) followed on the
    same connection by a signed PUT of 'second' with extra lines `second`."""
    return (signed_put(raw, bucket, "first", b"abc", ["Content-Length: 3"]) + b"abc" +
            signed_put(raw, bucket, "second", b"", second + ["Content-Length: 0"]))


def check_second_refused(raw, s3, bucket, data):
    responses, closed = exchange(raw, data)
    assert [status_of(r) for r in responses] == [200, 400], responses
    assert closed, "the connection stays open after a broken head"
    assert s3.get_object(Bucket=bucket, Key="first")["Body"].read() == b"abc"
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="second")


@pytest.mark.parametrize("rule", sorted(BROKEN_HEADS))
def test_a_keep_alive_request_keeps_the_raw_byte_rules(raw, s3, bucket, rule):
    # The doorman reads a connection's first head; MHD reads the later ones
    # itself and would mangle these (a folded line joined to the name, a
    # value cut at NUL). The head guard follows the bytes MHD receives, past
    # the first request's Content-Length body, and the pipeline refuses the
    # second request: 400, closed, the first one served (pipelined here, so
    # the verdict is the second request's own, not its connection's).
    s3.delete_object(Bucket=bucket, Key="first")
    check_second_refused(raw, s3, bucket, keep_alive_then(raw, bucket, BROKEN_HEADS[rule]))


def test_a_keep_alive_request_sent_later_keeps_the_rules(raw, s3, bucket):
    # The same, the second head sent once the first response is in.
    s = raw.socket(timeout=10)
    try:
        s.sendall(signed_put(raw, bucket, "first", b"abc", ["Content-Length: 3"]) + b"abc")
        rd = HttpReader(s, deadline=10)
        assert rd.response()[0] == 200
        s.sendall(signed_put(raw, bucket, "second", b"", BROKEN_HEADS["obs-fold"] +
                             ["Content-Length: 0"]))
        assert rd.response()[0] == 400
        with pytest.raises(ConnectionError):
            rd.response()
    finally:
        s.close()


def test_pipelined_bodies_are_not_taken_for_heads(raw, s3, bucket):
    # Bodies hold any bytes (here NUL, bare CR, a fold and a request line):
    # the guard skips each Content-Length body, so three pipelined PUTs and
    # a GET are all served.
    bodies = [b"\x00\r\n b\r", b"GET / HTTP/1.1\r\n\x01\r\n\r\n", b"\rplain"]
    data = b"".join(signed_put(raw, bucket, "p%d" % i, b, ["Content-Length: %d" % len(b)]) + b
                    for i, b in enumerate(bodies))
    target, hdrs = raw.prepare("GET", bucket, "p1")
    data += ("\r\n".join(["GET %s HTTP/1.1" % target] + ["%s: %s" % kv for kv in hdrs.items()]) +
             "\r\n\r\n").encode("latin-1")
    responses, _ = exchange(raw, data, timeout=3)
    assert [status_of(r) for r in responses] == [200, 200, 200, 200], responses
    assert responses[3][2] == bodies[1]
    for i, b in enumerate(bodies):
        assert s3.get_object(Bucket=bucket, Key="p%d" % i)["Body"].read() == b


def test_a_chunked_request_ends_its_connection(raw, s3, bucket):
    # The guard does not follow chunked framing to the next head, so a
    # request with a chunked body is served and its connection closed:
    # nothing behind it is read unchecked.
    data = signed_put(raw, bucket, "chunked", b"abc", ["Transfer-Encoding: chunked"])
    data += b"3\r\nabc\r\n0\r\n\r\n"
    data += signed_put(raw, bucket, "after", b"", BROKEN_HEADS["obs-fold"] + ["Content-Length: 0"])
    responses, closed = exchange(raw, data)
    assert [status_of(r) for r in responses] == [200], responses
    assert responses[0][1].get("connection") == "close"
    assert closed
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"abc"


def test_a_header_block_over_the_limit_gets_431(raw, s3, bucket):
    # --max-header-bytes (16 KiB by default) bounds the request line and
    # fields: 431 (RFC 6585) with S3's RequestHeaderSectionTooLarge, closed.
    data = signed_put(raw, bucket, "k", b"", ["X-Amz-Meta-Big: " + "v" * 17000,
                                             "Content-Length: 0"])
    responses, closed = exchange(raw, data)
    assert [status_of(r) for r in responses] == [431], responses
    assert b"<Code>RequestHeaderSectionTooLarge</Code>" in responses[0][2]
    assert closed


def test_a_header_block_just_under_the_limit_is_served(raw, s3, bucket):
    # The limit refuses only what is over it: 15 KiB of one (unsigned,
    # non-metadata) field is served.
    data = signed_put(raw, bucket, "big", b"", ["X-Big: " + "v" * 15000,
                                               "Content-Length: 0"])
    responses, _ = exchange(raw, data, timeout=3)
    assert status_of(responses[0]) == 200, responses


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


# ---------------------------------------------------------------- the doorman
TLS_CLIENT_HELLO = bytes.fromhex(
    "16030100c4010000c00303") + bytes(32) + bytes.fromhex("000004130113020100009300000000")


@pytest.mark.parametrize("data", [TLS_CLIENT_HELLO, b"\x00\xff\xfe binary", b"\x80\x01garbage",
                                  b"garbage without a line end", b"GET /\x00 HTTP/1.1\r\n",
                                  b"GET / HTTP/2.0\r\n\r\n", b"G(T / HTTP/1.1\r\n"],
                         ids=["tls-client-hello", "binary", "high-bit", "lowercase",
                              "nul-in-line", "http2", "bad-method"])
def test_what_is_not_http_is_refused_at_once(raw, data):
    # A method starts with an uppercase letter and the request line is
    # "TOKEN SP target SP HTTP/1.x" (RFC 9112 §3): anything else is refused
    # as soon as its bytes show it, not after an inactivity timeout: 400
    # and a closed connection (a plain close would do too).
    t0 = time.monotonic()
    responses, closed = exchange(raw, data, timeout=5)
    took = time.monotonic() - t0
    assert closed, "held open %.1f s" % took
    assert took < 1.0, took
    assert [status_of(r) for r in responses] in ([], [400]), responses


def own_raw(proc, server):
    return RawClient(proc.endpoint, server.access_key, server.secret_key)


def signed_list(client):
    """A signed ListBuckets request: 200 on a keep-alive connection."""
    target, hdrs = client.prepare("GET")
    lines = ["GET %s HTTP/1.1" % target] + ["%s: %s" % kv for kv in hdrs.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def closed_within(sock, seconds):
    """Seconds until the server closed (or reset) sock, or None if it did
    not within `seconds`; what it sends before is read and dropped."""
    t0 = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - t0 < seconds:
        try:
            if not sock.recv(65536):
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:  # reset
            return time.monotonic() - t0
    return None


def trickle_until_cut(sock, data, every=0.5, limit=8.0):
    """Sends data one byte per `every` seconds; returns the seconds until the
    server cut the connection (None: not within `limit`) and what it sent."""
    t0 = time.monotonic()
    got = b""
    sock.settimeout(every)
    for i in range(len(data)):
        if time.monotonic() - t0 > limit:
            return None, got
        try:
            sock.sendall(data[i:i + 1])
        except OSError:
            return time.monotonic() - t0, got
        try:
            chunk = sock.recv(65536)
            if not chunk:
                return time.monotonic() - t0, got
            got += chunk
        except socket.timeout:
            pass
        except OSError:
            return time.monotonic() - t0, got
    return None, got


SLOW_HEADERS = b"Host: x\r\nX-Slow: " + b"a" * 200


@pytest.mark.own_server
def test_a_slow_head_is_cut_off_at_the_header_timeout(start_pail, tmp_path):
    # --header-timeout: a client that sends one header byte every 0.5 s has
    # 2 s from accept for its whole head; then 400 RequestTimeout (S3's
    # answer to a stalled socket) and close. Without it MHD's inactivity
    # timeout, reset by each byte, would hold it forever.
    p = start_pail(tmp_path / "d", ["--header-timeout", "2"])
    s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
    try:
        s.sendall(b"GET / HTTP/1.1\r\n")
        took, got = trickle_until_cut(s, SLOW_HEADERS)
        assert took is not None, "still open after 8 s"
        assert 1.8 <= took <= 4.5, took
        assert b" 400 " in got.split(b"\r\n")[0] and b"<Code>RequestTimeout</Code>" in got, got
    finally:
        s.close()


@pytest.mark.own_server
def test_a_silent_connection_is_closed_at_the_header_timeout(start_pail, tmp_path):
    # A connection that sends nothing has no request to answer: it is
    # closed, silently, once the header timeout passes.
    p = start_pail(tmp_path / "d", ["--header-timeout", "2"])
    s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
    try:
        took = closed_within(s, 8)
        assert took is not None and 1.8 <= took <= 4.5, took
    finally:
        s.close()


@pytest.mark.own_server
def test_a_slow_keep_alive_head_is_cut_off(start_pail, tmp_path, server):
    # A keep-alive connection's next request is read by MHD, not the
    # doorman: the watchdog gives its head --header-timeout from its request
    # line, then shuts the socket down.
    p = start_pail(tmp_path / "d", ["--header-timeout", "2"])
    client = own_raw(p, server)
    s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
    try:
        s.sendall(signed_list(client))
        assert HttpReader(s, deadline=5).response()[0] == 200
        s.sendall(b"GET / HTTP/1.1\r\n")
        took, _ = trickle_until_cut(s, SLOW_HEADERS)
        assert took is not None, "still open after 8 s"
        assert 1.5 <= took <= 5.0, took  # 2 s, plus up to a watchdog tick
    finally:
        s.close()


@pytest.mark.own_server
def test_an_idle_keep_alive_connection_outlives_the_header_timeout(start_pail, tmp_path,
                                                                   server):
    # Idle between requests is --idle-timeout, not --header-timeout: idle
    # 3 s with a 2 s header timeout and a 6 s idle timeout, then a request
    # on the same connection works.
    p = start_pail(tmp_path / "d", ["--header-timeout", "2", "--idle-timeout", "6"])
    client = own_raw(p, server)
    s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
    try:
        rd = HttpReader(s, deadline=5)
        s.sendall(signed_list(client))
        assert rd.response()[0] == 200
        time.sleep(3)
        s.sendall(signed_list(client))
        assert rd.response()[0] == 200
    finally:
        s.close()


@pytest.mark.own_server
def test_an_idle_keep_alive_connection_is_closed_at_the_idle_timeout(start_pail, tmp_path,
                                                                     server):
    # --idle-timeout: after a response, the next request line must begin
    # in time, or the connection is closed.
    p = start_pail(tmp_path / "d", ["--idle-timeout", "2"])
    client = own_raw(p, server)
    s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
    try:
        s.sendall(signed_list(client))
        assert HttpReader(s, deadline=5).response()[0] == 200
        took = closed_within(s, 8)
        assert took is not None and 1.5 <= took <= 5.0, took
    finally:
        s.close()


@pytest.mark.own_server
def test_a_stalled_body_is_cut_off_at_the_read_timeout(start_pail, tmp_path, server):
    # --read-timeout: a body that stops arriving (3 of 10 declared bytes,
    # then nothing) is cut after that many seconds without a byte, here
    # shorter than the idle timeout, so the connection's own MHD timeout is
    # switched for the body.
    p = start_pail(tmp_path / "d", ["--read-timeout", "2", "--idle-timeout", "30"])
    client = own_raw(p, server)
    s3c = boto_for(p, server)
    s3c.create_bucket(Bucket="stall")
    target, hdrs = client.prepare("PUT", "stall", "k", payload_hash="UNSIGNED-PAYLOAD")
    lines = ["PUT %s HTTP/1.1" % target] + ["%s: %s" % kv for kv in hdrs.items()]
    s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
    try:
        s.sendall(("\r\n".join(lines + ["Content-Length: 10"]) + "\r\n\r\nabc").encode())
        took = closed_within(s, 10)
        assert took is not None and 1.5 <= took <= 4.5, took
    finally:
        s.close()


def boto_for(proc, server):
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        "s3", endpoint_url=proc.endpoint, region_name="us-east-1",
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def status_on_new_connection(port, data, timeout=5):
    """(status or None, closed) of the first response on a new connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        rd = HttpReader(s, deadline=timeout)
        try:
            st, _, body = rd.response()
        except ConnectionError:
            return None, True, b""
        return st, closed_within(s, 2) is not None, body
    finally:
        s.close()


@pytest.mark.own_server
def test_connections_beyond_the_limit_get_503_slowdown(start_pail, tmp_path, server):
    # --max-connections counts what the doorman holds (connections that
    # have sent nothing yet) and what MHD serves (idle keep-alive ones):
    # with 8 open, the 9th gets a complete 503 SlowDown and is closed, never
    # a hang; once some close, new connections are served again.
    p = start_pail(tmp_path / "d", ["--max-connections", "8"])
    client = own_raw(p, server)
    held = []
    try:
        for _ in range(4):  # in the doorman: nothing sent
            held.append(socket.create_connection(("127.0.0.1", p.port), timeout=5))
        for _ in range(4):  # in MHD: one request served, now idle
            s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
            s.sendall(signed_list(client))
            assert HttpReader(s, deadline=5).response()[0] == 200
            held.append(s)
        t0 = time.monotonic()
        st, closed, body = status_on_new_connection(p.port, signed_list(client))
        assert st == 503 and closed, (st, closed, body)
        assert b"<Code>SlowDown</Code>" in body
        assert b"<Message>Please reduce your request rate.</Message>" in body
        assert time.monotonic() - t0 < 3
        held.pop(0).close()  # one from the doorman
        held.pop().close()   # one from MHD
        deadline = time.monotonic() + 5
        got = []
        while time.monotonic() < deadline:
            st, _, _ = status_on_new_connection(p.port, signed_list(client))
            got.append(st)
            if st == 200:
                break
            time.sleep(0.2)
        assert got[-1] == 200, got
    finally:
        for s in held:
            s.close()


@pytest.mark.own_server
def test_slow_loris_connections_do_not_stop_other_clients(start_pail, tmp_path, server):
    # 200 connections trickling their heads sit in the doorman (one epoll
    # thread, no MHD thread each): a normal client's GETs meanwhile answer
    # promptly (< 1 s each, a generous margin).
    p = start_pail(tmp_path / "d", [])
    s3c = boto_for(p, server)
    s3c.create_bucket(Bucket="loris")
    s3c.put_object(Bucket="loris", Key="k", Body=b"x" * 4096)
    loris = []
    stop = threading.Event()
    try:
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\n")
            loris.append(s)

        def trickle():
            while not stop.is_set():
                for s in loris:
                    try:
                        s.sendall(b"a")
                    except OSError:
                        pass
                stop.wait(0.5)

        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        times = []
        for _ in range(30):
            t0 = time.monotonic()
            assert s3c.get_object(Bucket="loris", Key="k")["Body"].read() == b"x" * 4096
            times.append(time.monotonic() - t0)
            time.sleep(0.1)
        assert max(times) < 1.0, times
    finally:
        stop.set()
        for s in loris:
            s.close()
