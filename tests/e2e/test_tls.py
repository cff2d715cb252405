"""S3 over HTTPS (issue 14 §3): `pail serve --tls-listen --tls-cert --tls-key`
beside the plain listener, with a CA made here by the openssl command line.

Real clients trust that CA the way users do: boto3 with verify=CA (which
then streams PutObject and UploadPart as aws-chunked with a CRC32 trailer, as
it does only over HTTPS), the AWS CLI with --ca-bundle, rclone with
--ca-cert, and the JS SDK v3's whole suite with NODE_EXTRA_CA_CERTS. Also:
aws:SecureTransport is true exactly on the TLS port, SIGHUP reloads the
certificate for new connections (a bad file keeps the old one), a plain-HTTP
request on the TLS port gets a plain-HTTP 400, a stalled handshake is cut at
the header timeout, and bad certificate flags stop the start-up with a
reason."""
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests
from botocore.exceptions import ClientError, SSLError

from conftest import (ACCESS_KEY, REGION, SECRET_KEY, PailProcess, Server, empty_and_delete,
                      free_port, make_client, pail_bin, unique_name)
from js_util import MIN_TESTS, run_node_suite
from e2e_util import RawClient
from test_access_logging import parse_line
from test_http_edge import (BROKEN_HEADS, check_second_refused, exchange, keep_alive_then,
                            signed_put, status_of)

MiB = 1024 * 1024
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")


def openssl(*args, cwd):
    p = subprocess.run([OPENSSL] + list(args), cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 0, "openssl %s: %s" % (" ".join(args), p.stderr)


class Pki:
    """A CA and server certificates it signs, in dir."""

    def __init__(self, dir):
        self.dir = str(dir)
        self.ca = os.path.join(self.dir, "ca.pem")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=pail test CA",
                cwd=self.dir)

    def server_cert(self, name, cn, ec=False):
        """(cert path, key path) for localhost and 127.0.0.1, signed by the CA;
        an RSA key, or an ECDSA P-256 one."""
        key = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if ec else ["rsa:2048"]
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("req", "-newkey", *key, "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + cn, cwd=self.dir)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", ext,
                cwd=self.dir)
        return os.path.join(self.dir, name + ".pem"), os.path.join(self.dir, name + ".key")


class TlsServer:
    def __init__(self, proc, port, pki, cert, key):
        self.proc, self.port, self.pki, self.cert, self.key = proc, port, pki, cert, key
        self.https = "https://127.0.0.1:%d" % port
        self.http = proc.endpoint

    def client(self, endpoint=None, verify=None, **config):
        """boto3 on the TLS port (or endpoint), trusting the test CA unless told."""
        return make_client(Server(self.https, ACCESS_KEY, SECRET_KEY), endpoint,
                           verify=self.pki.ca if verify is None else verify, **config)


@pytest.fixture(scope="module")
def tls(server, tmp_path_factory):
    if server.process is None:
        pytest.skip("needs PAIL_BIN: PAIL_TEST_ENDPOINT is set")
    pki = Pki(tmp_path_factory.mktemp("pki"))
    cert, key = pki.server_cert("server", "pail first")
    # The files the server reads: a reload test overwrites them.
    live_cert, live_key = os.path.join(pki.dir, "live.pem"), os.path.join(pki.dir, "live.key")
    shutil.copy(cert, live_cert)
    shutil.copy(key, live_key)
    port = free_port()
    proc = PailProcess(tmp_path_factory.mktemp("tls-data"), tmp_path_factory.mktemp("tls-logs"),
                       "tls", ["--tls-listen", "127.0.0.1:%d" % port, "--tls-cert", live_cert,
                               "--tls-key", live_key, "--header-timeout", "3",
                               "--log-delivery-seconds", "2"]).start()
    wait_port(port)
    try:
        yield TlsServer(proc, port, pki, live_cert, live_key)
    finally:
        proc.stop_and_check()


def wait_port(port):
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def tls_bucket(tls):
    s3 = tls.client()
    name = unique_name("pail-tls")
    s3.create_bucket(Bucket=name)
    yield name
    empty_and_delete(s3, name)


def record_headers(client, event):
    """The headers of every request client sends for event (e.g. PutObject)."""
    seen = []

    def text(v):
        return v.decode() if isinstance(v, bytes) else v

    client.meta.events.register(
        "before-send.s3.%s" % event,
        lambda request, **kw: seen.append({k.lower(): text(v) for k, v in request.headers.items()}))
    return seen


def served_cert(port):
    """The certificate a new TLS connection to port is given (PEM)."""
    return ssl.get_server_certificate(("127.0.0.1", port))


def same_cert(pem_a, path_b):
    with open(path_b) as f:
        return ssl.PEM_cert_to_DER_cert(pem_a) == ssl.PEM_cert_to_DER_cert(f.read())


def test_boto3_streams_aws_chunked_trailers_over_https(tls, tls_bucket):
    """Rule: over HTTPS boto3 sends PutObject and UploadPart as aws-chunked with
    an x-amz-checksum-crc32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER); pail
    decodes, checks and stores them as over HTTP."""
    s3 = tls.client()
    puts = record_headers(s3, "PutObject")
    parts = record_headers(s3, "UploadPart")
    body = os.urandom(3 * MiB + 7)
    s3.put_object(Bucket=tls_bucket, Key="one.bin", Body=body)
    sent = puts[-1]
    assert sent.get("x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER", sent
    assert "aws-chunked" in sent.get("content-encoding", ""), sent
    assert sent.get("x-amz-trailer") == "x-amz-checksum-crc32", sent
    got = s3.get_object(Bucket=tls_bucket, Key="one.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got.get("ChecksumCRC32")
    # The client's own codings survive the aws-chunked framing, as written
    # (boto3 sends "deflate, gzip,aws-chunked"; s3-tests'
    # test_object_content_encoding_aws_chunked over HTTPS).
    s3.put_object(Bucket=tls_bucket, Key="enc", Body=b"z", ContentEncoding="deflate, gzip")
    assert s3.head_object(Bucket=tls_bucket, Key="enc")["ContentEncoding"] == "deflate, gzip"
    # A file body over TLS is read in blocks of its own (no sendfile): ranges too.
    part = s3.get_object(Bucket=tls_bucket, Key="one.bin", Range="bytes=70000-2200000")
    assert part["Body"].read() == body[70000:2200001]
    # A multipart upload (8 MiB parts) through upload_file, then a download.
    big = os.urandom(20 * MiB)
    src = os.path.join(tls.pki.dir, "big.bin")
    with open(src, "wb") as f:
        f.write(big)
    s3.upload_file(src, tls_bucket, "big.bin")
    assert len(parts) == 3 and all("aws-chunked" in h.get("content-encoding", "") for h in parts)
    dst = os.path.join(tls.pki.dir, "big.out")
    s3.download_file(tls_bucket, "big.bin", dst)
    with open(dst, "rb") as f:
        assert hashlib.sha256(f.read()).digest() == hashlib.sha256(big).digest()
    head = s3.head_object(Bucket=tls_bucket, Key="big.bin")
    assert head["ContentLength"] == len(big) and head["ETag"].endswith('-3"')
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=tls_bucket)["Contents"]]
    assert keys == ["big.bin", "enc", "one.bin"]


def test_complete_multipart_location_is_https(tls, tls_bucket):
    s3 = tls.client()
    up = s3.create_multipart_upload(Bucket=tls_bucket, Key="k")
    etag = s3.upload_part(Bucket=tls_bucket, Key="k", UploadId=up["UploadId"], PartNumber=1,
                          Body=b"x")["ETag"]
    done = s3.complete_multipart_upload(Bucket=tls_bucket, Key="k", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
    assert done["Location"] == "https://127.0.0.1:%d/%s/k" % (tls.port, tls_bucket)


def test_certificate_is_checked(tls):
    """A client that does not trust the CA refuses the server: TLS is real."""
    with pytest.raises(SSLError):
        tls.client(verify=True).list_buckets()
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls.https + "/", timeout=10)


def test_presigned_urls_over_https(tls, tls_bucket):
    s3 = tls.client()
    s3.put_object(Bucket=tls_bucket, Key="shared.csv", Body=b"a,b\n1,2\n")
    for version in ("s3", "s3v4"):  # SigV2 is boto3's default for presigning
        c = tls.client(signature_version=version)
        url = c.generate_presigned_url("get_object", Params={"Bucket": tls_bucket,
                                                             "Key": "shared.csv"}, ExpiresIn=300)
        assert url.startswith(tls.https)
        r = requests.get(url, verify=tls.pki.ca, timeout=10)
        assert r.status_code == 200 and r.content == b"a,b\n1,2\n", (version, r.text)
    assert requests.get("%s/%s/shared.csv" % (tls.https, tls_bucket), verify=tls.pki.ca,
                        timeout=10).status_code == 403


def test_secure_transport_is_true_only_over_tls(tls, tls_bucket):
    """Rule: aws:SecureTransport is "true" for a request over TLS and "false"
    otherwise, in bucket policies (the usual "deny insecure transport")."""
    s3 = tls.client()
    s3.put_object(Bucket=tls_bucket, Key="doc.txt", Body=b"secret")
    s3.put_object(Bucket=tls_bucket, Key="public/page.txt", Body=b"hello")
    arn = "arn:aws:s3:::" + tls_bucket
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [arn, arn + "/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "PublicOverTls", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": arn + "/public/*", "Condition": {"Bool": {"aws:SecureTransport": "true"},
                                                       "NumericGreaterThanEquals":
                                                           {"s3:TlsVersion": "1.2"}}}]}
    s3.put_bucket_policy(Bucket=tls_bucket, Policy=json.dumps(policy))
    try:
        assert s3.get_object(Bucket=tls_bucket, Key="doc.txt")["Body"].read() == b"secret"
        plain = tls.client(endpoint=tls.http)
        with pytest.raises(ClientError) as e:
            plain.get_object(Bucket=tls_bucket, Key="doc.txt")
        assert e.value.response["Error"]["Code"] == "AccessDenied"
        anon = requests.get("%s/%s/public/page.txt" % (tls.https, tls_bucket), verify=tls.pki.ca,
                            timeout=10)
        assert anon.status_code == 200 and anon.content == b"hello"
        anon_plain = requests.get("%s/%s/public/page.txt" % (tls.http, tls_bucket), timeout=10)
        assert anon_plain.status_code == 403
    finally:
        s3.delete_bucket_policy(Bucket=tls_bucket)


def test_access_log_records_name_the_tls_session(tls, tls_bucket):
    """Server access log records carry the cipher suite and TLS version of a
    request over TLS (OpenSSL's names, as AWS writes them), "-" for plain
    HTTP."""
    s3 = tls.client()
    target = unique_name("pail-tls-logs")
    s3.create_bucket(Bucket=target)
    try:
        s3.put_bucket_acl(Bucket=target, ACL="log-delivery-write")
        s3.put_bucket_logging(Bucket=tls_bucket, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": target, "TargetPrefix": "logs/"}})
        s3.put_object(Bucket=tls_bucket, Key="k", Body=b"v")
        over_tls = s3.get_object(Bucket=tls_bucket, Key="k")["ResponseMetadata"]["RequestId"]
        plain = tls.client(endpoint=tls.http).get_object(Bucket=tls_bucket, Key="k")
        over_http = plain["ResponseMetadata"]["RequestId"]
        deadline = time.monotonic() + 30
        while True:
            recs = {}
            for o in s3.list_objects_v2(Bucket=target).get("Contents", []):
                body = s3.get_object(Bucket=target, Key=o["Key"])["Body"].read().decode()
                for line in body.splitlines():
                    rec = parse_line(line)
                    recs[rec["requestid"]] = rec
            if over_tls in recs and over_http in recs:
                break
            assert time.monotonic() < deadline, "records not delivered: %s" % sorted(recs)
            time.sleep(0.5)
        assert recs[over_tls]["tlsversion"] in ("TLSv1.2", "TLSv1.3")
        assert recs[over_tls]["ciphersuite"] not in ("-", "")
        assert recs[over_tls]["endpoint"] == "127.0.0.1:%d" % tls.port
        assert recs[over_http]["tlsversion"] == "-" and recs[over_http]["ciphersuite"] == "-"
    finally:
        s3.put_bucket_logging(Bucket=tls_bucket, BucketLoggingStatus={})
        empty_and_delete(s3, target)


def test_aws_cli_with_ca_bundle(tls, tls_bucket, aws_cli, tmp_path):
    src = tmp_path / "report.csv"
    src.write_bytes(b"day,count\n" + b"2026-12-01,42\n" * 50000)
    base = ["--endpoint-url", tls.https, "--ca-bundle", tls.pki.ca]
    up = aws_cli(*base, "s3", "cp", str(src), "s3://%s/reports/report.csv" % tls_bucket)
    assert up.returncode == 0, up.stderr
    ls = aws_cli(*base, "s3", "ls", "s3://%s/reports/" % tls_bucket)
    assert ls.returncode == 0 and "report.csv" in ls.stdout, ls.stderr
    dst = tmp_path / "back.csv"
    down = aws_cli(*base, "s3", "cp", "s3://%s/reports/report.csv" % tls_bucket, str(dst))
    assert down.returncode == 0, down.stderr
    assert dst.read_bytes() == src.read_bytes()
    untrusted = aws_cli("--endpoint-url", tls.https, "s3", "ls", "s3://%s/" % tls_bucket)
    assert untrusted.returncode != 0 and "SSL" in untrusted.stderr


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
def test_rclone_with_ca_cert(tls, tls_bucket, tmp_path):
    src = tmp_path / "tree"
    (src / "dir").mkdir(parents=True)
    files = {"a.txt": b"alpha\n", "dir/b.bin": os.urandom(12 * MiB)}  # b.bin: multipart (5 MiB parts)
    for name, data in files.items():
        (src / name).write_bytes(data)
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env.update({"RCLONE_CONFIG": "/dev/null", "RCLONE_CONFIG_PAIL_TYPE": "s3",
                "RCLONE_CONFIG_PAIL_PROVIDER": "Other", "RCLONE_CONFIG_PAIL_ENDPOINT": tls.https,
                "RCLONE_CONFIG_PAIL_ACCESS_KEY_ID": ACCESS_KEY,
                "RCLONE_CONFIG_PAIL_SECRET_ACCESS_KEY": SECRET_KEY,
                "RCLONE_CONFIG_PAIL_REGION": REGION, "RCLONE_CONFIG_PAIL_UPLOAD_CUTOFF": "5Mi",
                "RCLONE_CONFIG_PAIL_CHUNK_SIZE": "5Mi", "HOME": str(tmp_path)})

    def rclone(*args):
        p = subprocess.run(["rclone", "--ca-cert", tls.pki.ca] + list(args), env=env,
                           capture_output=True, text=True, timeout=240)
        assert p.returncode == 0, "rclone %s: %s" % (" ".join(args), p.stderr)
        return p

    remote = "pail:%s/tree" % tls_bucket
    rclone("copy", str(src), remote)
    rclone("check", "--download", str(src), remote)
    assert sorted(rclone("lsf", "-R", "--files-only", remote).stdout.split()) == ["a.txt", "dir/b.bin"]
    back = tmp_path / "back"
    rclone("copy", remote, str(back))
    for name, data in files.items():
        assert (back / name).read_bytes() == data


def test_js_sdk_suite_over_https(tls, tls_bucket, tmp_path):
    """The JS SDK v3's whole suite (tests/js/s3_client_test.mjs: checksums,
    aws-chunked stream uploads, lib-storage multipart, presigned fetch()) with
    the CA in NODE_EXTRA_CA_CERTS."""
    run = run_node_suite(tls.https, ACCESS_KEY, SECRET_KEY, tls_bucket, tmp_path,
                         {"NODE_EXTRA_CA_CERTS": tls.pki.ca})
    assert not run.failed, "node tests failed over https: %s\n%s" % (run.failed, run.output())
    assert len(run.results) >= MIN_TESTS, run.output()


def test_plain_http_on_the_tls_port_gets_a_readable_400(tls):
    """Rule: plain HTTP sent to the HTTPS port is answered in plain HTTP (400,
    S3's XML error saying why) and closed, not left to time out."""
    start = time.monotonic()
    r = requests.get("http://127.0.0.1:%d/" % tls.port, timeout=10)
    assert r.status_code == 400
    assert "<Code>BadRequest</Code>" in r.text and "HTTPS" in r.text
    assert time.monotonic() - start < 2


def tls_raw(tls):
    raw = RawClient(tls.https, ACCESS_KEY, SECRET_KEY)
    raw.ssl_context = ssl.create_default_context(cafile=tls.pki.ca)
    return raw


@pytest.mark.parametrize("rule", sorted(BROKEN_HEADS))
def test_raw_byte_rules_hold_over_tls(tls, tls_bucket, rule):
    """Rule: over TLS the doorman sees only ciphertext; the head guard sees
    the plaintext GnuTLS hands MHD, so a first request that breaks a raw-byte
    rule (obs-fold, NUL, bare CR) gets 400 and a close as on plain HTTP, and
    so does a keep-alive request after a served one."""
    raw, s3 = tls_raw(tls), tls.client()
    data = signed_put(raw, tls_bucket, "second", b"", BROKEN_HEADS[rule] + ["Content-Length: 0"])
    responses, was_closed = exchange(raw, data)
    assert [status_of(r) for r in responses] == [400] and was_closed, responses
    check_second_refused(raw, s3, tls_bucket, keep_alive_then(raw, tls_bucket, BROKEN_HEADS[rule]))


def closed(sock):
    """Whether the peer closed sock (a close with our bytes unread is a reset)."""
    try:
        return sock.recv(100) == b""
    except (ConnectionResetError, ssl.SSLError):
        return True


def test_garbage_on_the_tls_port_is_closed_at_once(tls):
    with socket.create_connection(("127.0.0.1", tls.port), timeout=5) as s:
        s.sendall(b"\x00\x01\x02garbage\r\n\r\n")
        start = time.monotonic()
        assert closed(s)  # without an answer: nothing it could read
        assert time.monotonic() - start < 2


def test_stalled_handshake_is_cut_at_the_header_timeout(tls):
    """Rule: the header timeout (3 s here) covers the TLS handshake too: a
    client that sends half a ClientHello, or one that finishes the handshake
    and then trickles nothing, is closed; a normal client meanwhile works."""
    hello = ssl_client_hello()
    with socket.create_connection(("127.0.0.1", tls.port), timeout=10) as half, \
            socket.create_connection(("127.0.0.1", tls.port), timeout=10) as quiet_raw:
        half.sendall(hello[:len(hello) // 2])
        ctx = ssl.create_default_context(cafile=tls.pki.ca)
        quiet = ctx.wrap_socket(quiet_raw, server_hostname="localhost")  # handshake, then no request
        start = time.monotonic()
        assert tls.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
        for sock in (half, quiet):
            assert closed(sock)
            took = time.monotonic() - start
            assert 1.5 < took < 8, took


def ssl_client_hello():
    """A real ClientHello, as Python's ssl writes it."""
    ctx = ssl.create_default_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def test_tls_to_the_plain_port_is_refused_at_once(tls):
    with socket.create_connection(("127.0.0.1", tls.proc.port), timeout=5) as s:
        s.sendall(ssl_client_hello())
        start = time.monotonic()
        data = s.recv(4096)
        assert data.startswith(b"HTTP/1.1 400") or data == b""
        assert time.monotonic() - start < 2


def test_sighup_reloads_the_certificate(tls):
    """Rule: SIGHUP reads --tls-cert and --tls-key again; new connections get
    the new certificate, a connection already open keeps working; files that
    do not load leave the current certificate in place."""
    first = served_cert(tls.port)
    assert same_cert(first, tls.cert)
    sess = requests.Session()  # a keep-alive connection across the reload
    # (verify per request: requests lets REQUESTS_CA_BUNDLE override a session's)
    assert sess.get(tls.https + "/_pail/health/live", verify=tls.pki.ca,
                    timeout=10).status_code == 200
    new_cert, new_key = tls.pki.server_cert("second", "pail second", ec=True)
    shutil.copy(new_cert, tls.cert)
    shutil.copy(new_key, tls.key)
    tls.proc.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while not same_cert(served_cert(tls.port), new_cert):
        assert time.monotonic() < deadline, "still the old certificate after SIGHUP"
        time.sleep(0.1)
    assert sess.get(tls.https + "/_pail/health/live", verify=tls.pki.ca,
                    timeout=10).status_code == 200
    assert tls.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    # A key that is not the certificate's: the reload fails, the old pair stays.
    other_cert, _ = tls.pki.server_cert("third", "pail third")
    shutil.copy(other_cert, tls.cert)
    tls.proc.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "kept the certificate in use" not in tls.proc.stderr_text():
        assert time.monotonic() < deadline, tls.proc.tail()
        time.sleep(0.1)
    assert "is not the key of the certificate" in tls.proc.stderr_text()
    assert same_cert(served_cert(tls.port), new_cert)
    assert tls.proc.alive()
    shutil.copy(new_cert, tls.cert)


@pytest.mark.parametrize("case", ["missing-cert", "wrong-key", "no-listen", "no-key"])
def test_bad_tls_flags_stop_the_start(tls, tmp_path, case):
    cert, key = tls.pki.server_cert("flags", "pail flags")
    other_cert, _ = tls.pki.server_cert("flags2", "pail flags two")
    port = "127.0.0.1:%d" % free_port()
    args = {"missing-cert": ["--tls-listen", port, "--tls-cert", str(tmp_path / "nope.pem"),
                             "--tls-key", key],
            "wrong-key": ["--tls-listen", port, "--tls-cert", other_cert, "--tls-key", key],
            "no-listen": ["--tls-cert", cert, "--tls-key", key],
            "no-key": ["--tls-listen", port, "--tls-cert", cert]}[case]
    env = dict(os.environ, PAIL_ROOT_ACCESS_KEY=ACCESS_KEY, PAIL_ROOT_SECRET_KEY=SECRET_KEY)
    p = subprocess.run([pail_bin(), "serve", "--listen", "127.0.0.1:%d" % free_port(),
                        "--data", str(tmp_path / "data")] + args, env=env, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0
    why = {"missing-cert": "--tls-cert", "wrong-key": "is not the key of the certificate",
           "no-listen": "needs all three", "no-key": "needs all three"}[case]
    assert why in p.stderr, p.stderr
