"""Server behaviour: connection reuse, HEAD without bodies, concurrency, and
(with a pail process of the test's own) data surviving a restart and SIGTERM
letting an upload in flight finish."""
import concurrent.futures
import hashlib
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import ACCESS_KEY, SECRET_KEY, free_port, pail_bin, unique_name
from e2e_util import HttpReader, RawClient, md5_hex, multipart_etag

MiB = 1024 * 1024


# ------------------------------------------------------------- connections
def test_keep_alive_http_client(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="ka", Body=b"keep alive")
    conn = raw.connection()
    try:
        conn.connect()
        first = conn.sock
        for i in range(6):
            method, key, want = [("GET", "ka", 200), ("GET", "missing", 404), ("HEAD", "ka", 200),
                                 ("PUT", "ka2", 200), ("HEAD", "missing", 404), ("DELETE", "ka2", 204)][i]
            body = b"second object" if method == "PUT" else b""
            target, hdrs = raw.prepare(method, bucket, key, body=body)
            conn.request(method, target, body=body or None, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            assert resp.status == want, (method, key, resp.status, data[:300])
            assert resp.version == 11
            if (method, want) == ("GET", 200):
                assert data == b"keep alive"
            assert conn.sock is first, "server closed the connection after %s %s -> %d" % (method, key, want)
    finally:
        conn.close()


def test_keep_alive_requests_session(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    ports = []
    with requests.Session() as session:
        for _ in range(8):
            r = raw.request("GET", bucket, "k", session=session, stream=True)
            # Our end of the TCP connection; http.client drops the socket from the
            # connection when the response says it will close.
            sock = getattr(r.raw._connection, "sock", None)
            ports.append(sock.getsockname()[1] if sock is not None else "closed")
            assert r.status_code == 200
            assert r.content == b"v"
    assert "closed" not in ports, "the server closed the connection: %r" % ports
    assert len(set(ports)) == 1, "8 requests used %d TCP connections" % len(set(ports))


def test_head_has_no_body_on_the_wire(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="sized", Body=b"z" * 12345)
    sock = raw.socket()
    try:
        reader = HttpReader(sock, deadline=15)
        for key, want in (("sized", 200), ("missing", 404)):
            target, hdrs = raw.prepare("HEAD", bucket, key)
            sock.sendall(("HEAD %s HTTP/1.1\r\n%s\r\n" % (target, "".join(
                "%s: %s\r\n" % kv for kv in hdrs.items()))).encode())
            status, rh, _ = reader.response(head_only=True)
            assert status == want
            if want == 200:
                assert rh.get("content-length") == "12345"
            time.sleep(0.3)
            sock.setblocking(False)
            try:
                stray = sock.recv(65536)
            except BlockingIOError:
                stray = b""
            finally:
                sock.setblocking(True)
            assert reader.buf + stray == b"", "bytes after a HEAD response: %r" % (reader.buf + stray)[:200]
        target, hdrs = raw.prepare("GET", bucket, "sized")
        sock.sendall(("GET %s HTTP/1.1\r\n%s\r\n" % (target, "".join(
            "%s: %s\r\n" % kv for kv in hdrs.items()))).encode())
        status, _, body = reader.response()
        assert status == 200 and body == b"z" * 12345
    finally:
        sock.close()


def test_concurrent_clients(s3, bucket):
    def work(i):
        data = os.urandom(256 * 1024 + i)
        key = "conc/%03d" % i
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.head_object(Bucket=bucket, Key=key)
        return key, hashlib.sha256(got).digest() == hashlib.sha256(data).digest()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(64)))
    assert all(okay for _, okay in results)
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="conc/")
            for o in p.get("Contents", [])]
    assert keys == sorted(k for k, _ in results)


def test_concurrent_large_uploads_hash_together(s3, bucket, raw):
    """Bodies of 1 MiB and more hash their MD5s side by side in one pool:
    each ETag must still be its own body's MD5, a wrong Content-MD5 must
    still fail, and a body cut off half way must not disturb the others."""
    import base64

    def put(i):
        data = os.urandom((1 << 20) + i * 4099)  # not whole 64-byte blocks
        key = "big/%02d" % i
        if i % 7 == 3:
            wrong = base64.b64encode(hashlib.md5(data + b"x").digest()).decode()
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=data, ContentMD5=wrong)
            except s3.exceptions.ClientError as e:
                return key, e.response["Error"]["Code"] == "BadDigest"
            return key, False
        etag = s3.put_object(Bucket=bucket, Key=key, Body=data)["ETag"]
        got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return key, etag == '"%s"' % md5_hex(data) and got == data

    def cut_off(i):
        # declares 4 MiB, sends 1.5 MiB, hangs up: the server abandons the hash
        target, hdrs = raw.prepare("PUT", bucket, "big/cut%d" % i, headers={"Content-Length": str(4 << 20)},
                                   payload_hash="UNSIGNED-PAYLOAD")
        sock = raw.socket()
        sock.sendall(("PUT %s HTTP/1.1\r\n%s\r\n" % (target, "".join(
            "%s: %s\r\n" % kv for kv in hdrs.items()))).encode())
        sock.sendall(os.urandom(3 << 19))
        sock.close()
        return None, True

    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        results = list(pool.map(lambda i: cut_off(i) if i % 9 == 5 else put(i), range(40)))
    assert all(okay for _, okay in results), [k for k, ok in results if not ok]
    stored = {o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="big/")
              for o in p.get("Contents", [])}
    assert stored == {"big/%02d" % i for i in range(40) if i % 9 != 5 and i % 7 != 3}


def test_concurrent_overwrites_of_one_key(s3, bucket):
    bodies = [bytes([i]) * (64 * 1024) for i in range(16)]

    def put(b):
        s3.put_object(Bucket=bucket, Key="same", Body=b)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(put, bodies))
    got = s3.get_object(Bucket=bucket, Key="same")
    data = got["Body"].read()
    assert data in bodies  # one whole write wins; never a mix
    assert got["ETag"] == '"%s"' % md5_hex(data)


# ----------------------------------------------------- own server process
def own_client(s3_client_factory, proc):
    return s3_client_factory(endpoint=proc.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY)


@pytest.mark.own_server
def test_data_survives_restart(start_pail, s3_client_factory, tmp_path):
    data_dir = tmp_path / "data"
    p1 = start_pail(data_dir)
    c = own_client(s3_client_factory, p1)
    b = unique_name()
    c.create_bucket(Bucket=b)
    small = os.urandom(70_000)
    c.put_object(Bucket=b, Key="dir/small", Body=small, ContentType="text/x-kept", Metadata={"kept": "yes"})
    c.put_object(Bucket=b, Key="empty", Body=b"")
    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    uid = c.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    done = []
    for i, part in enumerate(parts, 1):
        done.append({"PartNumber": i, "ETag": c.upload_part(Bucket=b, Key="mp", UploadId=uid,
                                                            PartNumber=i, Body=part)["ETag"]})
    c.complete_multipart_upload(Bucket=b, Key="mp", UploadId=uid, MultipartUpload={"Parts": done})
    pending = c.create_multipart_upload(Bucket=b, Key="pending")["UploadId"]
    p_etag = c.upload_part(Bucket=b, Key="pending", UploadId=pending, PartNumber=1, Body=b"half")["ETag"]
    c.put_object(Bucket=b, Key="deleted", Body=b"gone soon")
    c.delete_object(Bucket=b, Key="deleted")
    assert p1.stop() == 0, p1.tail()

    p2 = start_pail(data_dir)
    c = own_client(s3_client_factory, p2)
    assert b in [x["Name"] for x in c.list_buckets()["Buckets"]]
    g = c.get_object(Bucket=b, Key="dir/small")
    assert g["Body"].read() == small
    assert g["ContentType"] == "text/x-kept"
    assert g["Metadata"] == {"kept": "yes"}
    assert g["ETag"] == '"%s"' % md5_hex(small)
    assert c.get_object(Bucket=b, Key="empty")["Body"].read() == b""
    g = c.get_object(Bucket=b, Key="mp")
    assert g["ETag"] == multipart_etag(parts)
    assert g["Body"].read() == b"".join(parts)
    assert sorted(o["Key"] for o in c.list_objects_v2(Bucket=b)["Contents"]) == ["dir/small", "empty", "mp"]
    # The pending upload survived too and can be finished.
    assert [u["UploadId"] for u in c.list_multipart_uploads(Bucket=b)["Uploads"]] == [pending]
    c.complete_multipart_upload(Bucket=b, Key="pending", UploadId=pending,
                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p_etag}]})
    assert c.get_object(Bucket=b, Key="pending")["Body"].read() == b"half"
    assert p2.stop() == 0, p2.tail()


@pytest.mark.own_server
def test_sigterm_lets_inflight_upload_finish(start_pail, s3_client_factory, tmp_path):
    data_dir = tmp_path / "data"
    p1 = start_pail(data_dir)
    c = own_client(s3_client_factory, p1)
    b = unique_name()
    c.create_bucket(Bucket=b)
    data = os.urandom(32 * MiB)
    raw = RawClient(p1.endpoint, ACCESS_KEY, SECRET_KEY)
    target, hdrs = raw.prepare("PUT", b, "inflight", body=data, headers={"Content-Length": str(len(data))})
    sock = raw.socket(timeout=60)
    try:
        sock.sendall(("PUT %s HTTP/1.1\r\n%s\r\n" % (target, "".join(
            "%s: %s\r\n" % kv for kv in hdrs.items()))).encode())
        sock.sendall(data[:len(data) // 2])
        time.sleep(0.5)
        p1.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert p1.alive(), "pail exited with an upload in flight\n" + p1.tail()
        sock.sendall(data[len(data) // 2:])
        status, _, body = HttpReader(sock, deadline=60).response()
        assert status == 200, body[:500]
    except (ConnectionError, socket.error) as e:
        pytest.fail("connection dropped after SIGTERM: %r\n%s" % (e, p1.tail()))
    finally:
        sock.close()
    p1.proc.wait(timeout=60)
    p1.returncode = p1.proc.returncode
    assert p1.returncode == 0, p1.tail()

    p2 = start_pail(data_dir)
    c = own_client(s3_client_factory, p2)
    got = c.get_object(Bucket=b, Key="inflight")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


@pytest.mark.own_server
def test_second_server_on_the_same_data_is_refused(start_pail, s3_client_factory, tmp_path):
    """Object records are cached in memory on the promise that one process
    owns the store: a second one must not start behind the first's back."""
    data_dir = tmp_path / "data"
    p1 = start_pail(data_dir)
    c = own_client(s3_client_factory, p1)
    b = unique_name()
    c.create_bucket(Bucket=b)
    c.put_object(Bucket=b, Key="k", Body=b"first")
    assert c.get_object(Bucket=b, Key="k")["Body"].read() == b"first"  # now cached
    env = dict(os.environ, PAIL_ROOT_ACCESS_KEY=ACCESS_KEY, PAIL_ROOT_SECRET_KEY=SECRET_KEY)
    second = subprocess.run([pail_bin(), "serve", "--listen", "127.0.0.1:%d" % free_port(),
                             "--data", str(data_dir)], env=env, capture_output=True, timeout=30)
    assert second.returncode != 0
    assert b"in use by another pail process" in second.stderr, second.stderr[-2000:]
    c.put_object(Bucket=b, Key="k", Body=b"second")
    assert c.get_object(Bucket=b, Key="k")["Body"].read() == b"second"
    assert p1.stop() == 0, p1.tail()


@pytest.mark.own_server
def test_uploads_during_the_start_up_sweep_survive(start_pail, s3_client_factory, tmp_path,
                                                    monkeypatch):
    """The sweep of blobs a crash left behind runs while pail serves (the
    test build's PAIL_TEST_SWEEP_DELAY_US stretches it to ~5 s): uploads are
    answered before it ends, it removes exactly the orphans, and what was
    uploaded meanwhile is intact after a restart. That the sweep never takes
    a blob minted since start-up, committed or not, is proven
    deterministically in tests/unit/data_file_test.c (test_sweep)."""
    data_dir = tmp_path / "data"
    p1 = start_pail(data_dir)
    c = own_client(s3_client_factory, p1)
    b = unique_name()
    c.create_bucket(Bucket=b)
    c.put_object(Bucket=b, Key="old", Body=os.urandom(40_000))
    assert p1.stop() == 0, p1.tail()
    # What a crash leaves: many blobs no row refers to (slow to sweep:
    # one lookup and one unlink each), spread over the fan-out directories.
    n_orphans = 1000
    for _ in range(n_orphans):
        oid = os.urandom(16).hex()
        d = data_dir / "objects" / oid[:2] / oid[2:4]
        d.mkdir(parents=True, exist_ok=True)
        (d / oid).write_bytes(b"orphan")

    monkeypatch.setenv("PAIL_TEST_SWEEP_DELAY_US", "5000")
    p2 = start_pail(data_dir)
    monkeypatch.delenv("PAIL_TEST_SWEEP_DELAY_US")
    c = own_client(s3_client_factory, p2)
    bodies = {"new/%03d" % i: os.urandom(20_000 + i) for i in range(120)}

    def put(k):
        c.put_object(Bucket=b, Key=k, Body=bodies[k])

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(put, bodies))
    assert "start-up sweep" not in p2.stderr_text(), "the sweep ended before the uploads"
    assert p2.stop() == 0, p2.tail()  # waits for the sweep to end
    log = p2.stderr_text()
    assert "start-up sweep removed %d orphaned" % n_orphans in log, p2.tail()

    p3 = start_pail(data_dir)
    c = own_client(s3_client_factory, p3)
    for k, body in bodies.items():
        assert c.get_object(Bucket=b, Key=k)["Body"].read() == body, k
    assert len(c.get_object(Bucket=b, Key="old")["Body"].read()) == 40_000
    assert p3.stop() == 0, p3.tail()


def test_start_up_prints_each_url_form(start_pail, tmp_path):
    """`make run` tells a newcomer how to name an object: path-style (works
    from every program), virtual-hosted and website (browsers resolve
    *.localhost), under the first --domain, on the listening port."""
    p = start_pail(tmp_path / "data", ["--domain", "s3.example.test", "--domain", "s3.localhost"])
    deadline = time.monotonic() + 10
    while "website:" not in p.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    out = p.stderr_text()
    assert "path-style: http://127.0.0.1:%d/BUCKET/KEY" % p.port in out
    assert "virtual:    http://BUCKET.s3.example.test:%d/KEY" % p.port in out
    assert "website:    http://BUCKET.s3-website.example.test:%d/" % p.port in out


def test_version():
    out = subprocess.run([pail_bin(), "--version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and out.stdout.startswith("pail ") and out.stdout.count(".") >= 2
