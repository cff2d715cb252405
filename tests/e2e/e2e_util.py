"""Helpers shared by pail's end-to-end tests: a SigV4 signer written from AWS's
"Signature Version 4" and "Transferring Payload in Multiple Chunks" pages (so
tests can send what boto3 cannot: skewed clocks, wrong secrets, aws-chunked
bodies), a raw HTTP client built on it, checksum helpers and S3 error parsing.

Nothing here talks to boto3; the signer is checked against botocore's in
test_errors.py::test_hand_signer_matches_botocore.
"""
import base64
import datetime as _dt
import hashlib
import hmac
import http.client
import socket
import ssl
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

import requests

REGION = "us-east-1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

# Headers that clients do not sign (botocore's list) or that the HTTP layer owns.
_UNSIGNED_HEADERS = {"expect", "user-agent", "x-amzn-trace-id", "authorization",
                     "transfer-encoding", "connection", "accept-encoding", "accept"}


# --------------------------------------------------------------------- hashes
def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32_b64(data):
    return base64.b64encode((zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")).decode()


def sha1_b64(data):
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def sha256_b64(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def multipart_etag(parts):
    """S3's ETag of a multipart object: md5 of the concatenated binary part
    md5s, then '-N'. Quoted, as S3 returns it."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return '"%s-%d"' % (digest, len(parts))


# ------------------------------------------------------------------- encoding
def uri_encode(text, keep_slash=False):
    """AWS UriEncode: every byte except A-Za-z0-9-_.~ is %XX (uppercase);
    '/' is kept only in object key paths."""
    return urllib.parse.quote(text, safe="/~" if keep_slash else "~")


def object_path(bucket=None, key=None):
    if bucket is None:
        return "/"
    if key is None:
        return "/" + uri_encode(bucket)
    return "/" + uri_encode(bucket) + "/" + uri_encode(key, keep_slash=True)


def canonical_query(pairs):
    enc = sorted((uri_encode(k), uri_encode(v if v is not None else "")) for k, v in pairs)
    return "&".join("%s=%s" % kv for kv in enc)


def wire_query(pairs):
    """The query as sent: valueless subresources ('uploads', 'delete') stay bare."""
    out = []
    for k, v in pairs:
        out.append(uri_encode(k) if v is None else "%s=%s" % (uri_encode(k), uri_encode(v)))
    return "&".join(out)


def _pairs(query):
    if query is None:
        return []
    if isinstance(query, dict):
        return list(query.items())
    return list(query)


# --------------------------------------------------------------------- SigV4
def amz_now(offset_seconds=0):
    t = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=offset_seconds)
    return t.strftime("%Y%m%dT%H%M%SZ")


def signing_key(secret, date, region=REGION, service="s3"):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


class Signed:
    """What a signature produced: enough to continue an aws-chunked chain."""

    def __init__(self, signature, key, amz_date, scope, canonical_request, string_to_sign):
        self.signature = signature
        self.key = key
        self.amz_date = amz_date
        self.scope = scope
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign


def sign(method, path, query, headers, payload_hash, access_key, secret_key,
         region=REGION, amz_date=None, scope_region=None):
    """Signs in place: sets x-amz-date, x-amz-content-sha256 (unless None) and
    Authorization in `headers` (a dict with lower-case names; 'host' required).
    `path` is the already URI-encoded request path. Returns a Signed."""
    amz_date = amz_date or amz_now()
    headers["x-amz-date"] = amz_date
    if payload_hash is not None:
        headers["x-amz-content-sha256"] = payload_hash
    names = sorted(n for n in headers if n.lower() not in _UNSIGNED_HEADERS)
    canon_headers = "".join("%s:%s\n" % (n.lower(), " ".join(str(headers[n]).strip().split()))
                            for n in names)
    signed_names = ";".join(n.lower() for n in names)
    creq = "\n".join([method, path, canonical_query(_pairs(query)), canon_headers,
                      signed_names, payload_hash if payload_hash is not None else UNSIGNED])
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], scope_region or region)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, sha256_hex(creq.encode())])
    key = signing_key(secret_key, amz_date[:8], scope_region or region)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                                % (access_key, scope, signed_names, sig))
    return Signed(sig, key, amz_date, scope, creq, sts)


def chunk_signature(signed, prev_signature, data):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", signed.amz_date, signed.scope,
                     prev_signature, EMPTY_SHA256, sha256_hex(data)])
    return hmac.new(signed.key, sts.encode(), hashlib.sha256).hexdigest()


def trailer_signature(signed, prev_signature, trailer_lines):
    """trailer_lines: b'x-amz-checksum-crc32:....\\n' (LF-terminated, as hashed)."""
    sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", signed.amz_date, signed.scope,
                     prev_signature, sha256_hex(trailer_lines)])
    return hmac.new(signed.key, sts.encode(), hashlib.sha256).hexdigest()


def split_chunks(data, chunk_size):
    return [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]


def aws_chunked_signed(signed, chunks, trailer=None, tamper=None):
    """Body for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: each chunk is
    hex(size);chunk-signature=SIG\\r\\nDATA\\r\\n, then the 0-size final chunk.
    trailer: (name, value) to append a signed trailer. tamper: index of the
    chunk whose signature gets one hex digit flipped."""
    out = []
    prev = signed.signature
    for i, c in enumerate(list(chunks) + [b""]):
        sig = chunk_signature(signed, prev, c)
        prev = sig
        if tamper is not None and i == tamper:
            sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        out.append(b"%x;chunk-signature=%s\r\n" % (len(c), sig.encode()))
        if c:
            out.append(c + b"\r\n")
    if trailer is None:
        out.append(b"\r\n")
    else:
        line = ("%s:%s" % trailer).encode()
        tsig = trailer_signature(signed, prev, line + b"\n")
        out.append(line + b"\r\n")
        out.append(b"x-amz-trailer-signature:" + tsig.encode() + b"\r\n\r\n")
    return b"".join(out)


def aws_chunked_unsigned(chunks, trailer=None):
    """Body for STREAMING-UNSIGNED-PAYLOAD-TRAILER, byte for byte what
    botocore's AwsChunkedWrapper sends: hex(size)\\r\\nDATA\\r\\n ... 0\\r\\n
    name:value\\r\\n\\r\\n."""
    out = [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks if c]
    out.append(b"0\r\n")
    if trailer is not None:
        out.append(("%s:%s\r\n" % trailer).encode())
    out.append(b"\r\n")
    return b"".join(out)


# ----------------------------------------------------------------- S3 errors
def parse_error(body):
    """S3 <Error> document -> dict of its child elements' text."""
    root = ET.fromstring(body)
    assert root.tag == "Error", "not an S3 error document: %r" % body[:300]
    return {child.tag: (child.text or "") for child in root}


def xml_root(body):
    return ET.fromstring(body)


def strip_ns(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def find_all_text(root, name):
    """Text of every element named `name` (namespace-agnostic) in document order."""
    return [e.text or "" for e in root.iter() if strip_ns(e.tag) == name]


# ------------------------------------------------------------------ raw HTTP
class RawClient:
    """Hand-built S3 requests: signed with our own SigV4 (or not at all) and
    sent with requests, or over a bare http.client connection."""

    def __init__(self, endpoint, access_key, secret_key):
        self.endpoint = endpoint.rstrip("/")
        u = urllib.parse.urlsplit(self.endpoint)
        self.host = u.hostname
        self.port = u.port or 80
        self.netloc = u.netloc
        self.access_key = access_key
        self.secret_key = secret_key

    def prepare(self, method, bucket=None, key=None, query=None, headers=None, body=b"",
                sign_it=True, payload_hash="auto", access_key=None, secret_key=None,
                amz_date=None, path=None, scope_region=None):
        """Returns (path_with_query, headers). payload_hash: 'auto' = sha256 of
        body; None = no x-amz-content-sha256 header; else sent verbatim."""
        path = path if path is not None else object_path(bucket, key)
        pairs = _pairs(query)
        hdrs = {"host": self.netloc}
        for k, v in (headers or {}).items():
            hdrs[k.lower()] = v
        if sign_it:
            if payload_hash == "auto":
                payload_hash = sha256_hex(body if isinstance(body, bytes) else b"")
            sign(method, path, pairs, hdrs, payload_hash,
                 access_key or self.access_key, secret_key or self.secret_key,
                 amz_date=amz_date, scope_region=scope_region)
        target = path + ("?" + wire_query(pairs) if pairs else "")
        return target, hdrs

    def request(self, method, bucket=None, key=None, query=None, headers=None, body=b"",
                session=None, timeout=60, stream=False, **kw):
        target, hdrs = self.prepare(method, bucket, key, query, headers, body, **kw)
        hdrs.pop("host")
        send = (session or requests).request
        return send(method, self.endpoint + target, headers=hdrs, data=body,
                    timeout=timeout, allow_redirects=False, stream=stream)

    def signed_for_stream(self, method, bucket, key, headers, payload_hash, amz_date=None):
        """Signs a streaming upload's headers; returns (target, headers, Signed)."""
        path = object_path(bucket, key)
        hdrs = {"host": self.netloc}
        for k, v in headers.items():
            hdrs[k.lower()] = v
        s = sign(method, path, [], hdrs, payload_hash, self.access_key, self.secret_key,
                 amz_date=amz_date)
        return path, hdrs, s

    def connection(self, timeout=60):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    ssl_context = None  # set to an ssl.SSLContext to speak TLS on socket()

    def socket(self, timeout=30):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            s = self.ssl_context.wrap_socket(s, server_hostname=self.host)
        return s


class HttpReader:
    """Reads HTTP/1.1 responses from a raw socket, keeping bytes that arrive
    early (a final response right behind a 100 Continue)."""

    def __init__(self, sock, deadline=30.0):
        self.sock = sock
        self.buf = b""
        self.deadline = deadline

    def _fill(self, end):
        if time.monotonic() > end:
            raise TimeoutError("no complete response: %r" % self.buf[:200])
        try:
            chunk = self.sock.recv(65536)
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as e:  # TLS closed without close_notify
            raise ConnectionError("connection closed: %r" % e) from e
        if not chunk:
            raise ConnectionError("connection closed mid-response: %r" % self.buf[:200])
        self.buf += chunk

    def _take(self, n, end):
        while len(self.buf) < n:
            self._fill(end)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self, end):
        while b"\r\n" not in self.buf:
            self._fill(end)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def response(self, head_only=False, skip_interim=False):
        """(status, headers with lower-case names, body). head_only: for HEAD
        requests and interim (1xx) answers, whose bodies are empty."""
        end = time.monotonic() + self.deadline
        while True:
            while b"\r\n\r\n" not in self.buf:
                self._fill(end)
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            hdrs = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                hdrs[k.strip().lower()] = v.strip()
            if 100 <= status < 200:
                if skip_interim:
                    continue
                return status, hdrs, b""
            break
        if head_only or status in (204, 304):
            return status, hdrs, b""
        if "chunked" in hdrs.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size = int(self._line(end).split(b";")[0], 16)
                if size == 0:
                    while self._line(end):  # trailers up to the blank line
                        pass
                    return status, hdrs, body
                body += self._take(size, end)
                self._take(2, end)
        if "content-length" in hdrs:
            return status, hdrs, self._take(int(hdrs["content-length"]), end)
        while True:  # delimited by close
            try:
                self._fill(end)
            except ConnectionError:
                body, self.buf = self.buf, b""
                return status, hdrs, body


def read_http_response(sock, head_only=False, deadline=30.0, skip_interim=False):
    """One response from a raw socket (see HttpReader.response)."""
    return HttpReader(sock, deadline).response(head_only=head_only, skip_interim=skip_interim)
