"""Real clients in virtual-hosted style (issue 13): the AWS CLI with
`addressing_style = virtual`, s3cmd with `host_bucket = %(bucket)s.DOMAIN`
(SigV2 and SigV4) and rclone with `force_path_style = false` make a bucket, put
small objects with awkward keys and a multipart-sized one, list by prefix, get,
copy, delete and remove the bucket, all addressed as
http://BUCKET.s3.localhost:PORT/KEY.

The tests never depend on the host's resolver (a stock Debian 12 does not
resolve *.localhost outside Chromium, TOOLCHAIN.md). Every client is pointed at
a forwarding HTTP proxy that runs in this process (RecordingProxy): the client
keeps the virtual-hosted name in its request line and Host header, and the
proxy, not the resolver, connects to 127.0.0.1:PORT. A proxy was chosen over
patching socket.getaddrinfo because it is the one method all three clients
support without touching their code: rclone is a Go binary (Go's proxy rules
skip only "localhost" and loopback IPs, not BUCKET.s3.localhost; NO_PROXY is
removed from every child's environment), s3cmd has proxy_host/proxy_port, and
botocore (the CLI) honours HTTP_PROXY. The proxy also records what each client
really sent.

What the proxy does to a request, and why signatures survive it: a client
talking to a proxy sends the absolute form `PUT http://b.s3.localhost:P/k HTTP/1.1`;
the proxy forwards the origin form `PUT /k HTTP/1.1`, byte for byte the path and
query after the authority, as RFC 9112 section 3.2.1 has a proxy do towards an origin
server. Headers and body go through unchanged (Host included), so what SigV4
(Host + path) and SigV2 (bucket from the Host + path) sign reaches pail intact.
The proxy parses request framing (Content-Length or chunked) only to find where
the next request line starts; responses are relayed as raw bytes.

Every client run is checked twice: the proxy's records must show the client
really used virtual-hosted requests (Host = BUCKET.s3.localhost:PORT, a path
without the bucket; a request in path style fails the test), and pail's access
log (which writes a virtual-hosted request's target as //BUCKET/...) must show
the operations with that addressing. test_checker_catches_path_style runs the CLI
in path style and shows the same checks reject it.

A proxy that passed the absolute form through unchanged would have met a pail
that answered InvalidURI; RFC 9112 section 3.2.2 says a server MUST accept it.
pail now does (its authority stands for the Host): test_absolute_form_target,
and test_pail_as_the_clients_proxy, where s3cmd and the CLI name pail itself as
their proxy, another way to use virtual-hosted names without a resolver.

One pail per module (own_server): its stderr is the access log read here."""
import base64
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import unquote

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, PailProcess, empty_and_delete
from e2e_util import REGION, md5_hex

MiB = 1024 * 1024
DOMAIN = "s3.localhost"
S3CMD = shutil.which("s3cmd")
RCLONE = shutil.which("rclone")
pytestmark = pytest.mark.own_server

# Keys that need escaping in a URL and in a signature: spaces, '+', '%' (also as
# a literal "%20"), '&' '=', unicode. The CLI and rclone also get a 20 MiB file.
AWKWARD = {
    "with space.txt": b"spaces in the key\n",
    "plus+sign.txt": b"a plus, not a space\n",
    "100% sure.txt": b"a percent sign\n",
    "pct%20x.txt": b"a literal %20, not a space\n",
    "a+b=c&d.txt": b"query-like characters\n",
    "\u00fcn\u00efc\u00f6d\u00e9/f\u00efl\u00e9 \u00f1ame.txt": "ünïcödé\n".encode(),
    "\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.txt": "日本語\n".encode(),
}
BIG_NAME = "big/twenty mib.bin"
BIG_SIZE = 20 * MiB
PART = 5 * MiB


def multipart_etag(data, part_size):
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)]
    return '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest(),
                        len(parts))


# ------------------------------------------------------------ the proxy
class RecordingProxy:
    """A forwarding HTTP/1.1 proxy on 127.0.0.1:<free port> for one upstream
    (127.0.0.1:upstream_port). Each request's (method, authority of the
    absolute-form target, Host header, origin-form target) is appended to
    self.records."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.records = []
        self.errors = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.closing = True
        self.sock.close()

    def take(self):
        """The records so far, and forget them."""
        with self.lock:
            out, self.records = self.records, []
            errs, self.errors = self.errors, []
        assert not errs, "proxy errors: %s" % errs
        return out

    def _accept(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client):
        up = None
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
            pump = threading.Thread(target=self._relay, args=(up, client), daemon=True)
            pump.start()
            rfile = client.makefile("rb")
            while self._one_request(rfile, up):
                pass
            try:
                up.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            pump.join(300)
        except Exception as e:  # noqa: BLE001 - reported through take()
            with self.lock:
                self.errors.append(repr(e))
        finally:
            for s in (client, up):
                if s is not None:
                    s.close()

    @staticmethod
    def _relay(src, dst):
        """Upstream to client, raw; EOF from pail ends the client's connection too."""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _one_request(self, rfile, up):
        line = rfile.readline(65536)
        if not line:
            return False
        if line in (b"\r\n", b"\n"):  # tolerated before a request line (RFC 9112 2.2)
            return True
        head = [line]
        while True:
            h = rfile.readline(65536)
            if not h:
                return False
            head.append(h)
            if h in (b"\r\n", b"\n"):
                break
        method, target, version = line.rstrip(b"\r\n").split(b" ")
        headers = {}
        for h in head[1:-1]:
            k, _, v = h.decode("latin-1").partition(":")
            headers.setdefault(k.strip().lower(), v.strip())
        authority = None
        m = re.match(rb"(?i)http://([^/?#]*)(.*)", target)
        if m:  # absolute form: forward the origin form, path and query as sent
            authority = m.group(1).decode("latin-1")
            target = m.group(2) or b"/"
        with self.lock:
            self.records.append({"method": method.decode(), "authority": authority,
                                 "host": headers.get("host"), "target": target.decode("latin-1"),
                                 "auth": headers.get("authorization", "").split(" ", 1)[0]})
        up.sendall(b" ".join([method, target, version]) + b"\r\n" + b"".join(head[1:]))
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size_line = rfile.readline(65536)
                up.sendall(size_line)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailer fields, then the empty line
                        t = rfile.readline(65536)
                        up.sendall(t)
                        if t in (b"\r\n", b"\n", b""):
                            return bool(t)
                self._copy(rfile, up, size + 2)  # data and its CRLF
        else:
            self._copy(rfile, up, int(headers.get("content-length", "0")))
        return True

    @staticmethod
    def _copy(rfile, up, n):
        while n > 0:
            data = rfile.read(min(n, 1 << 20))
            if not data:
                raise EOFError("client closed inside a request body")
            up.sendall(data)
            n -= len(data)


# ------------------------------------------------------------ fixtures
class VHost:
    """The module's pail, its proxy and a path-style boto3 client (to check
    what the clients did, and to clean up)."""

    def __init__(self, proc, proxy):
        self.proc = proc
        self.proxy = proxy
        self.port = proc.port
        self.endpoint = "http://%s:%d" % (DOMAIN, self.port)
        self.s3 = boto3.session.Session().client(
            "s3", endpoint_url=proc.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        self.log_offset = 0
        self.records = []  # the clients' requests, as the proxy saw them
        self.lines = []  # and as pail logged them

    def host_of(self, bucket):
        return "%s.%s:%d" % (bucket, DOMAIN, self.port)

    def _sync(self):
        """A marker request straight to pail, and wait until it is in the access
        log: every line before it has been written (the log keeps its order).
        Returns the access lines up to the marker, from the last _sync on."""
        tag = "vhsync-%s" % uuid.uuid4().hex[:12]
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", "/" + tag)
        c.getresponse().read()
        c.close()
        deadline = time.monotonic() + 10
        while True:
            with open(self.proc.stderr_path, "rb") as f:
                f.seek(self.log_offset)
                text = f.read()
            mark = text.find((" /%s " % tag).encode())
            if mark >= 0:
                end = text.index(b"\n", mark) + 1
                self.log_offset += end
                break
            assert time.monotonic() < deadline, "marker %s not in pail's log" % tag
            time.sleep(0.05)
        lines = []
        for raw in text[:end].decode("utf-8", "replace").splitlines():
            m = re.match(r"^\S+ info [0-9A-F]{16} (\S+) (\S+) (\S+) (\d+) ", raw)
            if m and not m.group(2).startswith("/vhsync-"):
                lines.append((m.group(1), m.group(2), m.group(3), int(m.group(4))))
        return lines

    def client_run(self, argv, env, timeout):
        """Runs a client command; keeps the requests it made (proxy records and
        pail's access lines), not those of the checks between commands."""
        self.proxy.take()
        self._sync()
        try:
            return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        finally:
            time.sleep(0.05)  # the last request's access line is written after its response
            self.lines += self._sync()
            self.records += self.proxy.take()

    def take(self):
        out = self.records, self.lines
        self.records, self.lines = [], []
        return out


@pytest.fixture(scope="module")
def vh(tmp_path_factory, server):
    if server.process is None:
        pytest.skip("needs PAIL_BIN: PAIL_TEST_ENDPOINT is set")
    proc = PailProcess(tmp_path_factory.mktemp("vh-data"), tmp_path_factory.mktemp("vh-logs"),
                       "vhclients").start()
    proxy = RecordingProxy(proc.port)
    try:
        yield VHost(proc, proxy)
    finally:
        proxy.close()
        proc.stop_and_check()


@pytest.fixture
def vbucket(vh):
    """A bucket name (DNS-compatible, so every client uses it in the Host);
    the client under test creates it; emptied and deleted afterwards."""
    name = "vhc-%s" % uuid.uuid4().hex[:16]
    vh.take()
    yield name
    empty_and_delete(vh.s3, name)


def child_env(base=None):
    """os.environ without proxy exclusions: NO_PROXY=localhost would send
    *.localhost around the proxy (Python's proxy_bypass matches subdomains)."""
    env = dict(base if base is not None else os.environ)
    for v in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(v, None)
    return env


def check_virtual_hosted(vh, bucket, records, lines, want_ops, auth="AWS4-HMAC-SHA256"):
    """The requests were virtual-hosted: in what the client sent (proxy records)
    and in what pail understood (access log), each signed with `auth` (the
    Authorization scheme). Returns the records for bucket."""
    assert records, "no request went through the proxy"
    schemes = {r["auth"] for r in records}
    assert schemes == {auth}, "signed with %s, not %s" % (schemes, auth)
    host = vh.host_of(bucket)
    service = "%s:%d" % (DOMAIN, vh.port)
    mine = []
    for r in records:
        assert r["authority"] is not None, "not a proxy request (origin form): %r" % r
        assert r["host"] == r["authority"], "Host differs from the request line: %r" % r
        assert r["host"] in (host, service), "unexpected Host: %r" % r
        path = r["target"].split("?", 1)[0]
        if r["host"] == service:
            assert path == "/", "path-style request (bucket in the path): %r" % r
        else:
            assert not unquote(path).startswith("/" + bucket), "bucket repeated in the path: %r" % r
            mine.append(r)
    assert mine, "no request named the bucket in its Host"
    ops = {}
    for method, target, op, status in lines:
        if target.startswith("//"):  # pail's mark of a virtual-hosted request
            assert target.startswith("//%s/" % bucket), (method, target, op)
            ops.setdefault(op, []).append(status)
        else:
            assert op in ("ListBuckets", "-"), "path-style in pail's log: %r" % ((method, target, op),)
    missing = {op for op in want_ops if not any(200 <= st < 300 for st in ops.get(op, []))}
    assert not missing, "operations not seen virtual-hosted and successful: %s (saw %s)" % (
        sorted(missing), {op: sorted(set(st)) for op, st in ops.items()})
    return mine


def objects(vh, bucket, prefix=""):
    out = {}
    for page in vh.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"]] = o
    return out


def body(vh, bucket, key):
    return vh.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def write_tree(root, files):
    for rel, data in files.items():
        p = os.path.join(str(root), rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def read_tree(root):
    out = {}
    for d, _dirs, names in os.walk(str(root)):
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                out[os.path.relpath(os.path.join(d, n), str(root))] = f.read()
    return out


def ok(p, argv):
    if p.returncode != 0:
        pytest.fail("%s exited %d\n---- stdout ----\n%s\n---- stderr ----\n%s"
                    % (" ".join(map(str, argv)), p.returncode, p.stdout[-4000:], p.stderr[-4000:]),
                    pytrace=False)
    return p


# ------------------------------------------------------------ the AWS CLI
@pytest.fixture
def aws(vh, tmp_path):
    """aws(*args, style='virtual') through the proxy, endpoint http://s3.localhost:PORT,
    5 MiB multipart threshold and parts."""
    def run(*args, style="virtual", check=True, timeout=300, proxy=None):
        cfg = tmp_path / ("aws-%s.cfg" % style)
        cfg.write_text("[default]\nregion = %s\ns3 =\n    addressing_style = %s\n"
                       "    multipart_threshold = 5MB\n    multipart_chunksize = 5MB\n"
                       % (REGION, style))
        env = child_env()
        for v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE"):
            env.pop(v, None)
        env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                    "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(cfg),
                    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": "",
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
                    "HTTP_PROXY": proxy or vh.proxy.url, "http_proxy": proxy or vh.proxy.url})
        argv = [sys.executable, "-m", "awscli", "--endpoint-url", vh.endpoint] + [str(a) for a in args]
        p = vh.client_run(argv, env, timeout)
        return ok(p, argv) if check else p
    return run


def test_aws_cli_virtual_host(vh, aws, vbucket, tmp_path):
    rnd = random.Random(13)
    big = rnd.randbytes(BIG_SIZE)
    files = dict(AWKWARD)
    files[BIG_NAME] = big
    write_tree(tmp_path / "up", files)
    b = "s3://%s" % vbucket

    assert "make_bucket: %s" % vbucket in aws("s3", "mb", b).stdout
    vh.s3.head_bucket(Bucket=vbucket)
    aws("s3", "cp", "--recursive", tmp_path / "up", b + "/tree/")
    objs = objects(vh, vbucket)
    assert sorted(objs) == sorted("tree/" + k for k in files)
    for k, data in files.items():
        assert body(vh, vbucket, "tree/" + k) == data, k
    assert objs["tree/" + BIG_NAME]["ETag"] == multipart_etag(big, PART)  # 4 parts of 5 MiB

    # list by prefix: one level, and recursive under a unicode prefix
    out = aws("s3", "ls", b + "/tree/").stdout
    names = {line.strip() if line.strip().startswith("PRE ") else line.split(None, 3)[3]
             for line in out.splitlines()}
    assert names == {"PRE big/", "PRE \u00fcn\u00efc\u00f6d\u00e9/", "PRE \u65e5\u672c\u8a9e/",
                     *[k for k in AWKWARD if "/" not in k]}, out
    out = aws("s3", "ls", "--recursive", b + "/tree/\u00fcn").stdout
    assert [line.split(None, 3)[-1] for line in out.splitlines()] == \
        ["tree/\u00fcn\u00efc\u00f6d\u00e9/f\u00efl\u00e9 \u00f1ame.txt"], out
    out = aws("s3api", "list-objects-v2", "--bucket", vbucket, "--prefix", "tree/100%",
              "--query", "Contents[].Key", "--output", "text").stdout
    assert out.split("\t") == ["tree/100% sure.txt"] or out.strip() == "tree/100% sure.txt", out

    # get: one awkward key, then the whole tree (the big file in ranged parts)
    aws("s3", "cp", b + "/tree/plus+sign.txt", tmp_path / "plus.txt")
    assert (tmp_path / "plus.txt").read_bytes() == AWKWARD["plus+sign.txt"]
    aws("s3", "cp", "--recursive", b + "/tree/", tmp_path / "down")
    assert read_tree(tmp_path / "down") == files

    # server-side copies: CopyObject, and UploadPartCopy above the threshold
    aws("s3", "cp", b + "/tree/pct%20x.txt", b + "/copies/pct%20x copy+.txt")
    aws("s3", "cp", b + "/tree/" + BIG_NAME, b + "/copies/big copy.bin")
    assert body(vh, vbucket, "copies/pct%20x copy+.txt") == AWKWARD["pct%20x.txt"]
    assert body(vh, vbucket, "copies/big copy.bin") == big
    assert vh.s3.head_object(Bucket=vbucket, Key="copies/big copy.bin")["ETag"].endswith('-4"')
    aws("s3api", "head-object", "--bucket", vbucket, "--key", "tree/a+b=c&d.txt")

    # delete: one key (DeleteObject), then the rest (DeleteObjects), then the bucket
    aws("s3", "rm", b + "/tree/with space.txt")
    assert "tree/with space.txt" not in objects(vh, vbucket)
    rb = aws("s3", "rb", b, check=False)
    assert rb.returncode != 0 and "BucketNotEmpty" in rb.stderr, rb.stderr
    aws("s3api", "delete-objects", "--bucket", vbucket, "--delete", json.dumps(
        {"Objects": [{"Key": "tree/100% sure.txt"}, {"Key": "copies/pct%20x copy+.txt"}]}))
    left = objects(vh, vbucket)
    assert "tree/100% sure.txt" not in left and "copies/pct%20x copy+.txt" not in left
    aws("s3", "rm", "--recursive", b)
    assert objects(vh, vbucket) == {}
    assert "remove_bucket: %s" % vbucket in aws("s3", "rb", b).stdout
    with pytest.raises(ClientError):
        vh.s3.head_bucket(Bucket=vbucket)

    check_virtual_hosted(vh, vbucket, *vh.take(), [
         "CreateBucket", "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
         "ListObjectsV2", "GetObject", "HeadObject", "CopyObject", "UploadPartCopy", "DeleteObject",
         "DeleteObjects", "DeleteBucket"])


def test_checker_catches_path_style(vh, aws, vbucket):
    """The same CLI in path style passes through the proxy too; the checks above
    must refuse it, or they would prove nothing."""
    vh.s3.create_bucket(Bucket=vbucket)
    vh.s3.put_object(Bucket=vbucket, Key="k", Body=b"v")
    vh.take()
    aws("s3", "ls", "s3://%s/" % vbucket, style="path")
    records, lines = vh.take()
    assert any(r["target"].startswith("/%s" % vbucket) and r["host"] == "%s:%d" % (DOMAIN, vh.port)
               for r in records), records
    with pytest.raises(AssertionError, match="path-style"):
        check_virtual_hosted(vh, vbucket, records, lines, ["ListObjectsV2"])


# ------------------------------------------------------------ s3cmd
@pytest.fixture
def s3cmd_factory(vh, tmp_path):
    def make(signature_v2, proxy_port=None):
        cfg = tmp_path / ("s3cfg-v%d" % (2 if signature_v2 else 4))
        cfg.write_text("\n".join([
            "[default]",
            "access_key = %s" % ACCESS_KEY,
            "secret_key = %s" % SECRET_KEY,
            "host_base = %s:%d" % (DOMAIN, vh.port),
            "host_bucket = %%(bucket)s.%s:%d" % (DOMAIN, vh.port),
            "proxy_host = 127.0.0.1",
            "proxy_port = %d" % (proxy_port or vh.proxy.port),
            "use_https = False",
            "signature_v2 = %s" % signature_v2,
            "bucket_location = us-east-1",
            "progress_meter = False",
            "",
        ]))
        env = child_env({k: v for k, v in os.environ.items() if not k.startswith("AWS_")})
        env["HOME"] = str(tmp_path)

        def run(*args, check=True, timeout=300):
            argv = [S3CMD, "-c", str(cfg)] + [str(a) for a in args]
            p = vh.client_run(argv, env, timeout)
            return ok(p, argv) if check else p
        return run
    return make


@pytest.mark.skipif(S3CMD is None, reason="s3cmd is not installed (apt-get install s3cmd)")
@pytest.mark.parametrize("signature_v2", [True, False], ids=["sigv2", "sigv4"])
def test_s3cmd_virtual_host(vh, s3cmd_factory, vbucket, tmp_path, signature_v2):
    s3cmd = s3cmd_factory(signature_v2)
    rnd = random.Random(17)
    mid = rnd.randbytes(11 * MiB + 5)  # 3 parts of 5 MiB
    files = dict(AWKWARD)
    write_tree(tmp_path / "up", files)
    (tmp_path / "mid.bin").write_bytes(mid)
    b = "s3://%s" % vbucket

    assert "created" in s3cmd("mb", b).stdout
    vh.s3.head_bucket(Bucket=vbucket)
    s3cmd("put", "--recursive", str(tmp_path / "up") + "/", b + "/tree/")
    s3cmd("put", "--multipart-chunk-size-mb=5", tmp_path / "mid.bin", b + "/mid part+file.bin")
    assert sorted(objects(vh, vbucket)) == sorted(["mid part+file.bin"] + ["tree/" + k for k in files])
    for k, data in files.items():
        assert body(vh, vbucket, "tree/" + k) == data, k
    h = vh.s3.head_object(Bucket=vbucket, Key="mid part+file.bin")
    assert h["ETag"] == multipart_etag(mid, 5 * MiB)
    assert body(vh, vbucket, "mid part+file.bin") == mid

    # list by prefix
    out = s3cmd("ls", b + "/tree/").stdout
    listed = set(re.findall(r"(s3://\S.*?)\s*$", out, re.M))
    assert listed == {"%s/tree/%s" % (b, k) for k in AWKWARD if "/" not in k} | \
        {"%s/tree/\u00fcn\u00efc\u00f6d\u00e9/" % b, "%s/tree/\u65e5\u672c\u8a9e/" % b}, out
    out = s3cmd("ls", "--recursive", b + "/tree/\u65e5").stdout
    assert re.findall(r"(s3://\S.*?)\s*$", out, re.M) == \
        ["%s/tree/\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.txt" % b], out

    # get
    (tmp_path / "down").mkdir()
    s3cmd("get", "--recursive", b + "/tree/", str(tmp_path / "down") + "/")
    assert read_tree(tmp_path / "down") == files
    s3cmd("get", b + "/mid part+file.bin", tmp_path / "mid.down")
    assert (tmp_path / "mid.down").read_bytes() == mid
    i = s3cmd("info", b + "/tree/100% sure.txt").stdout
    assert md5_hex(AWKWARD["100% sure.txt"]) in i, i

    # copy and move (CopyObject), delete one, delete the rest (DeleteObjects)
    s3cmd("cp", b + "/tree/pct%20x.txt", b + "/copies/pct%20x copy.txt")
    s3cmd("mv", b + "/tree/a+b=c&d.txt", b + "/copies/moved+file.txt")
    assert body(vh, vbucket, "copies/pct%20x copy.txt") == AWKWARD["pct%20x.txt"]
    assert body(vh, vbucket, "copies/moved+file.txt") == AWKWARD["a+b=c&d.txt"]
    assert "tree/a+b=c&d.txt" not in objects(vh, vbucket)
    s3cmd("del", b + "/tree/with space.txt")
    assert "tree/with space.txt" not in objects(vh, vbucket)
    p = s3cmd("rb", b, check=False)
    assert p.returncode != 0 and "BucketNotEmpty" in p.stderr, p.stderr
    s3cmd("del", "--recursive", "--force", b)
    assert objects(vh, vbucket) == {}
    s3cmd("rb", b)
    with pytest.raises(ClientError):
        vh.s3.head_bucket(Bucket=vbucket)

    want = ["CreateBucket", "PutObject", "CreateMultipartUpload", "UploadPart",
            "CompleteMultipartUpload", "ListObjects", "GetObject", "HeadObject", "CopyObject",
            "DeleteObject", "DeleteObjects", "DeleteBucket"]
    records = check_virtual_hosted(vh, vbucket, *vh.take(), want,
                                   auth="AWS" if signature_v2 else "AWS4-HMAC-SHA256")
    assert all(r["host"] == vh.host_of(vbucket) for r in records)


# ------------------------------------------------------------ rclone
@pytest.fixture
def rclone(vh, tmp_path):
    env = child_env({k: v for k, v in os.environ.items() if not k.startswith(("RCLONE_", "AWS_"))})
    env.update({
        "RCLONE_CONFIG": "/dev/null",
        "RCLONE_CONFIG_PAIL_TYPE": "s3",
        "RCLONE_CONFIG_PAIL_PROVIDER": "Other",
        "RCLONE_CONFIG_PAIL_ENDPOINT": vh.endpoint,
        "RCLONE_CONFIG_PAIL_FORCE_PATH_STYLE": "false",
        "RCLONE_CONFIG_PAIL_ACCESS_KEY_ID": ACCESS_KEY,
        "RCLONE_CONFIG_PAIL_SECRET_ACCESS_KEY": SECRET_KEY,
        "RCLONE_CONFIG_PAIL_REGION": REGION,
        "RCLONE_CONFIG_PAIL_UPLOAD_CUTOFF": "5Mi",
        "RCLONE_CONFIG_PAIL_CHUNK_SIZE": "5Mi",
        "RCLONE_CONFIG_PAIL_COPY_CUTOFF": "6Mi",
        "HTTP_PROXY": vh.proxy.url, "http_proxy": vh.proxy.url,
        "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
    })

    def run(*args, check=True, timeout=300):
        argv = [RCLONE, "--retries", "1", "--low-level-retries", "1", "--contimeout", "10s",
                "--timeout", "60s"] + [str(a) for a in args]
        p = vh.client_run(argv, env, timeout)
        return ok(p, argv) if check else p
    return run


@pytest.mark.skipif(RCLONE is None, reason="rclone is not installed (apt-get install rclone)")
def test_rclone_virtual_host(vh, rclone, vbucket, tmp_path):
    rnd = random.Random(19)
    big = rnd.randbytes(BIG_SIZE)
    files = dict(AWKWARD)
    files[BIG_NAME] = big
    write_tree(tmp_path / "up", files)
    remote = "pail:%s" % vbucket

    rclone("mkdir", remote)
    vh.s3.head_bucket(Bucket=vbucket)
    rclone("copy", tmp_path / "up", remote + "/tree", "--transfers", "4")
    objs = objects(vh, vbucket)
    assert sorted(objs) == sorted("tree/" + k for k in files)
    for k, data in files.items():
        assert body(vh, vbucket, "tree/" + k) == data, k
        if k != BIG_NAME:
            assert objs["tree/" + k]["ETag"] == '"%s"' % md5_hex(data), k
    assert objs["tree/" + BIG_NAME]["ETag"] == multipart_etag(big, PART)
    h = vh.s3.head_object(Bucket=vbucket, Key="tree/" + BIG_NAME)
    assert h["Metadata"]["md5chksum"] == base64.b64encode(hashlib.md5(big).digest()).decode()

    # list by prefix (a "directory"), and check compares hashes of everything
    lsf = rclone("lsf", remote + "/tree").stdout.splitlines()
    assert sorted(lsf) == sorted({k.split("/")[0] + ("/" if "/" in k else "") for k in files})
    lsf = rclone("lsf", "-R", remote + "/tree/\u00fcn\u00efc\u00f6d\u00e9").stdout.splitlines()
    assert lsf == ["f\u00efl\u00e9 \u00f1ame.txt"]
    p = rclone("check", tmp_path / "up", remote + "/tree")
    assert "0 differences found" in p.stderr, p.stderr

    # get: the whole tree back, bytes equal
    rclone("copy", remote + "/tree", tmp_path / "down", "--transfers", "4")
    assert read_tree(tmp_path / "down") == files

    # server-side copies: CopyObject, and UploadPartCopy above the 6 MiB copy cutoff
    rclone("copyto", remote + "/tree/100% sure.txt", remote + "/copies/100% copy+.txt")
    rclone("copyto", remote + "/tree/" + BIG_NAME, remote + "/copies/big copy.bin")
    rclone("moveto", remote + "/tree/plus+sign.txt", remote + "/copies/moved plus+.txt")
    assert body(vh, vbucket, "copies/100% copy+.txt") == AWKWARD["100% sure.txt"]
    assert body(vh, vbucket, "copies/big copy.bin") == big
    assert vh.s3.head_object(Bucket=vbucket, Key="copies/big copy.bin")["ETag"].endswith('-4"')
    assert body(vh, vbucket, "copies/moved plus+.txt") == AWKWARD["plus+sign.txt"]
    assert "tree/plus+sign.txt" not in objects(vh, vbucket)

    # delete one file, then purge (every object, then the bucket)
    rclone("deletefile", remote + "/tree/pct%20x.txt")
    assert "tree/pct%20x.txt" not in objects(vh, vbucket)
    rclone("purge", remote)
    with pytest.raises(ClientError):
        vh.s3.head_bucket(Bucket=vbucket)

    want = ["CreateBucket", "PutObject", "CreateMultipartUpload", "UploadPart",
            "CompleteMultipartUpload", "ListObjects", "GetObject", "HeadObject", "CopyObject",
            "UploadPartCopy", "DeleteObject", "DeleteBucket"]
    check_virtual_hosted(vh, vbucket, *vh.take(), want)


# ------------------------------------------------------------ absolute form
def test_absolute_form_target(vh, vbucket):
    """A request line in absolute form (what clients send to a proxy) addresses
    the bucket in its authority, which replaces the Host header (RFC 9112
    section 3.2.2: a server MUST accept it)."""
    vh.s3.create_bucket(Bucket=vbucket)
    vh.s3.put_object(Bucket=vbucket, Key="a+b %.txt", Body=b"absolute", ACL="public-read")
    for target, host in [("http://%s/a%%2Bb%%20%%25.txt" % vh.host_of(vbucket), "elsewhere.example"),
                         ("HTTP://%s/a+b%%20%%25.txt" % vh.host_of(vbucket), None),
                         ("http://127.0.0.1:%d/%s/a+b%%20%%25.txt" % (vh.port, vbucket), "x.s3.localhost")]:
        c = http.client.HTTPConnection("127.0.0.1", vh.port, timeout=30)
        c.request("GET", target, headers={"Host": host} if host else {})
        r = c.getresponse()
        assert (r.status, r.read()) == (200, b"absolute"), target
        c.close()
    c = http.client.HTTPConnection("127.0.0.1", vh.port, timeout=30)
    c.request("GET", "http:///a", headers={"Host": vh.host_of(vbucket)})
    r = c.getresponse()
    assert r.status == 400 and b"<Code>InvalidURI</Code>" in r.read()
    c.close()


@pytest.mark.skipif(S3CMD is None, reason="s3cmd is not installed (apt-get install s3cmd)")
@pytest.mark.parametrize("signature_v2", [True, False], ids=["sigv2", "sigv4"])
def test_pail_as_the_clients_proxy(vh, s3cmd_factory, aws, vbucket, tmp_path, signature_v2):
    """s3cmd and the AWS CLI with pail itself as their HTTP proxy: every
    request arrives in absolute form, signed for BUCKET.s3.localhost and the
    path, and must work as the origin form does."""
    s3cmd = s3cmd_factory(signature_v2, proxy_port=vh.port)
    (tmp_path / "f").write_bytes(b"via pail as proxy\n")
    b = "s3://%s" % vbucket
    s3cmd("mb", b)
    s3cmd("put", tmp_path / "f", b + "/dir/a+b 100%.txt")
    assert body(vh, vbucket, "dir/a+b 100%.txt") == b"via pail as proxy\n"
    assert "%s/dir/a+b 100%%.txt" % b in s3cmd("ls", b + "/dir/").stdout
    s3cmd("get", b + "/dir/a+b 100%.txt", tmp_path / "g")
    assert (tmp_path / "g").read_bytes() == b"via pail as proxy\n"
    aws("s3", "cp", "s3://%s/dir/a+b 100%%.txt" % vbucket, "s3://%s/cli/\u00fc copy.txt" % vbucket,
        proxy=vh.proc.endpoint)
    assert "\u00fc copy.txt" in aws("s3", "ls", "s3://%s/cli/" % vbucket, proxy=vh.proc.endpoint).stdout
    aws("s3", "rm", "--recursive", "s3://%s/cli/" % vbucket, proxy=vh.proc.endpoint)
    s3cmd("del", b + "/dir/a+b 100%.txt")
    s3cmd("rb", b)
    records, lines = vh.take()
    assert records == [], "nothing went through the test's proxy"
    ops = {op for _m, target, op, status in lines if target.startswith("//%s/" % vbucket) and status < 300}
    assert {"CreateBucket", "PutObject", "ListObjects", "GetObject", "CopyObject", "ListObjectsV2",
            "DeleteObject", "DeleteBucket"} <= ops, lines
