"""Full disks and I/O errors end in clean S3 errors, never in damage.

Every test runs a pail of its own (`start_pail`) and, after stopping it,
checks the data directory: nothing in tmp/, every blob under objects/ is
referenced by a metadata row and every row's blob exists, and SQLite's
integrity_check is ok.

- I/O errors come from the test-only "fault" data backend
  (PAIL_DATA_BACKEND=fault; knobs PAIL_FAULT_* in src/store/data_fault.c), so
  these tests need a PAIL_TESTING (ASan) build.
- A full disk is a real one: a 16 MiB tmpfs mounted as the data directory
  (needs root and mount permission; skipped otherwise).

Disk full is InsufficientStorage with status 503 (not HTTP's 507) because SDKs
retry only 500/502/503/504; test_boto3_retries_insufficient_storage pins what
botocore does with it.
"""
import os
import sqlite3
import subprocess
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, pail_bin, unique_name
from e2e_util import RawClient, md5_hex, parse_error
from test_streaming import put_signed_stream

pytestmark = pytest.mark.own_server

KiB = 1024
MiB = 1024 * KiB
FULL_STATUS = 503  # InsufficientStorage (see the module docstring)
FAULT_VARS = ("PAIL_DATA_BACKEND", "PAIL_FAULT_OPEN_EIO_AFTER", "PAIL_FAULT_WRITE_EIO_AFTER",
              "PAIL_FAULT_COMMIT_EIO_AFTER", "PAIL_FAULT_READ_EIO", "PAIL_FAULT_READ_LATE",
              "PAIL_FAULT_PERSISTENT", "PAIL_FAULT_ERRNO")


# ------------------------------------------------------------------ helpers
_FAULT_SUPPORT = {}


def fault_backend_available(tmp_dir):
    """True when PAIL_BIN knows the "fault" backend (a PAIL_TESTING build)."""
    if "ok" not in _FAULT_SUPPORT:
        env = dict(os.environ, PAIL_DATA_BACKEND="fault", PAIL_ROOT_ACCESS_KEY=ACCESS_KEY,
                   PAIL_ROOT_SECRET_KEY=SECRET_KEY)
        # An unusable --listen: pail opens the store, then exits.
        p = subprocess.Popen([pail_bin(), "serve", "--listen", "no-port", "--data",
                              str(tmp_dir)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        try:
            out, _ = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        # The fault backend logs its knobs when it opens; a release build
        # ignores PAIL_DATA_BACKEND and opens "file".
        _FAULT_SUPPORT["ok"] = b"data_fault:" in out
    return _FAULT_SUPPORT["ok"]


@pytest.fixture
def own(start_pail, monkeypatch, s3_client_factory, tmp_path):
    """own(data_dir, backend="fault", **knobs) -> (process, boto3 client, RawClient).
    knobs: WRITE_EIO_AFTER=2 sets PAIL_FAULT_WRITE_EIO_AFTER=2, and so on."""
    checked = []

    def start(data_dir, backend="fault", **knobs):
        if backend == "fault" and not checked:
            if not fault_backend_available(tmp_path / "probe"):
                pytest.skip("PAIL_BIN has no \"fault\" data backend (not a PAIL_TESTING build)")
            checked.append(True)
        for v in FAULT_VARS:
            monkeypatch.delenv(v, raising=False)
        monkeypatch.setenv("PAIL_DATA_BACKEND", backend)
        for k, v in knobs.items():
            monkeypatch.setenv("PAIL_FAULT_" + k, str(v))
        p = start_pail(data_dir)
        # One attempt (the suite's max_attempts=1 is one *retry*): every
        # injected error reaches the test.
        c = s3_client_factory(endpoint=p.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                              retries={"total_max_attempts": 1})
        return p, c, RawClient(p.endpoint, ACCESS_KEY, SECRET_KEY)

    return start


def assert_s3_error(resp, status, code):
    """resp is an S3 <Error> document with this status and Code whose RequestId
    is the response's x-amz-request-id."""
    assert resp.status_code == status, (resp.status_code, resp.content[:500])
    err = parse_error(resp.content)
    assert err["Code"] == code, err
    rid = resp.headers.get("x-amz-request-id")
    assert rid and err["RequestId"] == rid, (err, dict(resp.headers))
    return err


def put(raw, bucket, key, body, **kw):
    return raw.request("PUT", bucket, key, body=body, headers={"Content-Length": str(len(body))},
                       **kw)


def put_when_space_returns(raw, bucket, key, body, timeout=10.0):
    """PUT, retried while it answers InsufficientStorage: blobs released by
    deletes are unlinked by the reaper thread, a moment after the 204."""
    deadline = time.monotonic() + timeout
    while True:
        r = put(raw, bucket, key, body)
        if r.status_code != FULL_STATUS or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


def get_bytes(raw, bucket, key):
    r = raw.request("GET", bucket, key)
    assert r.status_code == 200, (r.status_code, r.content[:300])
    return r.content


def wait_tmp_empty(data_dir, timeout=5.0):
    """tmp/ empties once the failed request's arena is freed (right after the
    response is sent); returns what is left after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        left = os.listdir(os.path.join(str(data_dir), "tmp"))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


# pail keeps objects up to this size inside meta.db (s3/object_write.h,
# S3_INLINE_MAX): no blob, so data-backend faults never touch them. Tests of
# those faults use larger bodies.
INLINE_MAX = 16 * KiB


def file_backed(stored):
    """How many of the stored bodies have a blob."""
    return sum(len(v) > INLINE_MAX for v in stored.values())


def blob_ids(data_dir):
    out = set()
    for root, _dirs, files in os.walk(os.path.join(str(data_dir), "objects")):
        out.update(files)
    return out


def check_store(data_dir):
    """For a stopped pail: no temporaries, blobs == referenced data ids,
    SQLite integrity ok. Returns the number of object rows."""
    data_dir = str(data_dir)
    assert os.listdir(os.path.join(data_dir, "tmp")) == [], "temporaries left behind"
    con = sqlite3.connect(os.path.join(data_dir, "meta.db"))
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        refs = {r[0] for r in con.execute("SELECT data_id FROM objects UNION "
                                          "SELECT data_id FROM parts")}
        rows = con.execute("SELECT count(*) FROM objects").fetchone()[0]
        inline = {r[0] for r in con.execute("SELECT 'i' || n FROM inline_data")}
    finally:
        con.close()
    inline_refs = {r for r in refs if r.startswith("i")}
    assert inline == inline_refs, "inline data without a row, or a row without its data"
    refs -= inline_refs
    blobs = blob_ids(data_dir)
    assert blobs - refs == set(), "orphaned blobs (no metadata row)"
    assert refs - blobs == set(), "metadata rows whose blob is missing"
    return rows


def stop_and_check(proc, data_dir):
    assert proc.stop() == 0, proc.tail()
    return check_store(data_dir)


# ------------------------------------------------------ EIO: the write path
def test_write_eio_on_first_write(own, tmp_path):
    data = tmp_path / "data"
    p, c, raw = own(data, WRITE_EIO_AFTER=1)
    b = unique_name()
    c.create_bucket(Bucket=b)
    body = os.urandom(40_000)
    err = assert_s3_error(put(raw, b, "k", body), 500, "InternalError")
    assert err["Key"] == "k"
    assert raw.request("HEAD", b, "k").status_code == 404
    assert wait_tmp_empty(data) == []
    # One-shot: the fault is gone, the same request now works.
    assert put(raw, b, "k", body).status_code == 200
    assert get_bytes(raw, b, "k") == body
    assert stop_and_check(p, data) == 1


def test_write_eio_mid_body_stores_nothing(own, tmp_path):
    """A write failing after some of the body is on disk (short write, then
    EIO) fails the request; the rest of the body must not be stored after the
    hole (regression: the error of a plain body's sink was dropped)."""
    data = tmp_path / "data"
    p, c, raw = own(data, WRITE_EIO_AFTER=3)
    b = unique_name()
    c.create_bucket(Bucket=b)
    body = os.urandom(4 * MiB)
    assert_s3_error(put(raw, b, "big", body), 500, "InternalError")
    assert raw.request("HEAD", b, "big").status_code == 404
    assert wait_tmp_empty(data) == []
    assert blob_ids(data) == set()
    r = put(raw, b, "big", body)
    assert r.status_code == 200 and r.headers["ETag"] == '"%s"' % md5_hex(body)
    assert get_bytes(raw, b, "big") == body
    assert stop_and_check(p, data) == 1


def test_write_eio_aws_chunked_and_upload_part(own, tmp_path):
    """The same through an aws-chunked body (signed chunks, checksum trailer),
    boto3's PutObject and UploadPart: 500, no object, no part; after a
    restart without the fault the upload completes."""
    data = tmp_path / "data"
    p, c, raw = own(data, WRITE_EIO_AFTER=2, PERSISTENT=1)
    b = unique_name()
    c.create_bucket(Bucket=b)
    assert_s3_error(put_signed_stream(raw, b, "chunked", os.urandom(MiB), trailer=True), 500,
                    "InternalError")
    with pytest.raises(ClientError) as ei:
        c.put_object(Bucket=b, Key="k", Body=os.urandom(3 * MiB))
    assert ei.value.response["Error"]["Code"] == "InternalError"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    uid = c.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    with pytest.raises(ClientError) as ei:
        c.upload_part(Bucket=b, Key="mp", UploadId=uid, PartNumber=1, Body=os.urandom(MiB))
    assert ei.value.response["Error"]["Code"] == "InternalError"
    assert c.list_parts(Bucket=b, Key="mp", UploadId=uid).get("Parts", []) == []
    assert c.list_objects_v2(Bucket=b)["KeyCount"] == 0
    assert wait_tmp_empty(data) == []
    assert stop_and_check(p, data) == 0
    # Without the fault, after a restart: the pending upload resumes.
    p, c, raw = own(data)
    part = os.urandom(MiB)
    etag = c.upload_part(Bucket=b, Key="mp", UploadId=uid, PartNumber=1, Body=part)["ETag"]
    c.complete_multipart_upload(Bucket=b, Key="mp", UploadId=uid,
                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert get_bytes(raw, b, "mp") == part
    assert stop_and_check(p, data) == 1


def test_persistent_write_eio_keeps_serving(own, tmp_path):
    """With every write failing, writes get 500s while reads, listings and
    deletes of what is stored keep working; a restart without the fault
    writes again."""
    data = tmp_path / "data"
    p, c, raw = own(data, backend="file")
    b = unique_name()
    c.create_bucket(Bucket=b)
    stored = {"k%d" % i: os.urandom(100_000 + i) for i in range(3)}
    for k, v in stored.items():
        c.put_object(Bucket=b, Key=k, Body=v)
    assert stop_and_check(p, data) == 3

    p, c, raw = own(data, WRITE_EIO_AFTER=1, PERSISTENT=1)
    for i in range(3):
        assert_s3_error(put(raw, b, "new%d" % i, os.urandom(50_000)), 500, "InternalError")
    # CopyObject with a new checksum reads and re-writes the bytes: a writer.
    r = raw.request("PUT", b, "copy", headers={"x-amz-copy-source": "/%s/k0" % b,
                                               "x-amz-checksum-algorithm": "SHA256"})
    assert_s3_error(r, 500, "InternalError")
    for k, v in stored.items():
        assert get_bytes(raw, b, k) == v
    assert sorted(o["Key"] for o in c.list_objects_v2(Bucket=b)["Contents"]) == sorted(stored)
    c.delete_object(Bucket=b, Key="k2")
    del stored["k2"]
    assert wait_tmp_empty(data) == []
    assert stop_and_check(p, data) == 2

    p, c, raw = own(data)
    assert put(raw, b, "new0", b"works again").status_code == 200
    for k, v in stored.items():
        assert get_bytes(raw, b, k) == v
    assert stop_and_check(p, data) == 3


def test_writer_open_eio(own, tmp_path):
    data = tmp_path / "data"
    p, c, raw = own(data, OPEN_EIO_AFTER=1)
    b = unique_name()
    c.create_bucket(Bucket=b)
    body = os.urandom(40_000)
    assert_s3_error(put(raw, b, "k", body), 500, "InternalError")
    assert put(raw, b, "k", body).status_code == 200
    assert get_bytes(raw, b, "k") == body
    assert stop_and_check(p, data) == 1


# ----------------------------------------------------- EIO: commit, compose
def test_commit_eio_put_leaves_no_blob_and_no_row(own, tmp_path):
    data = tmp_path / "data"
    p, c, raw = own(data, COMMIT_EIO_AFTER=2)
    b = unique_name()
    c.create_bucket(Bucket=b)
    a, bb = os.urandom(200_000), os.urandom(300_000)
    assert put(raw, b, "a", a).status_code == 200
    assert_s3_error(put(raw, b, "b", bb), 500, "InternalError")
    assert raw.request("HEAD", b, "b").status_code == 404
    assert wait_tmp_empty(data) == []
    assert len(blob_ids(data)) == 1
    # An overwrite whose commit fails keeps the old object intact.
    assert stop_and_check(p, data) == 1
    p, c, raw = own(data, COMMIT_EIO_AFTER=1)
    assert_s3_error(put(raw, b, "a", os.urandom(40_000)), 500, "InternalError")
    assert get_bytes(raw, b, "a") == a
    assert put(raw, b, "b", bb).status_code == 200
    assert get_bytes(raw, b, "b") == bb
    assert stop_and_check(p, data) == 2


def test_commit_eio_complete_multipart_and_copy(own, tmp_path):
    """CompleteMultipartUpload and CopyObject compose a new blob; when that
    fails the upload is still there to complete again, and no object, blob
    or row appears."""
    data = tmp_path / "data"
    p, c, raw = own(data, COMMIT_EIO_AFTER=3)  # parts are commits 1 and 2
    b = unique_name()
    c.create_bucket(Bucket=b)
    parts = [os.urandom(5 * MiB), os.urandom(1234)]
    uid = c.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    done = [{"PartNumber": i, "ETag": c.upload_part(Bucket=b, Key="mp", UploadId=uid,
                                                    PartNumber=i, Body=part)["ETag"]}
            for i, part in enumerate(parts, 1)]
    with pytest.raises(ClientError) as ei:
        c.complete_multipart_upload(Bucket=b, Key="mp", UploadId=uid,
                                    MultipartUpload={"Parts": done})
    assert ei.value.response["Error"]["Code"] == "InternalError"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert [x["PartNumber"] for x in c.list_parts(Bucket=b, Key="mp", UploadId=uid)["Parts"]] == [1, 2]
    assert c.list_objects_v2(Bucket=b)["KeyCount"] == 0
    assert len(blob_ids(data)) == 2  # the parts only
    c.complete_multipart_upload(Bucket=b, Key="mp", UploadId=uid, MultipartUpload={"Parts": done})
    assert get_bytes(raw, b, "mp") == b"".join(parts)
    assert stop_and_check(p, data) == 1

    p, c, raw = own(data, COMMIT_EIO_AFTER=1)
    with pytest.raises(ClientError) as ei:
        c.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "mp"})
    assert ei.value.response["Error"]["Code"] == "InternalError"
    assert raw.request("HEAD", b, "copy").status_code == 404
    c.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "mp"})
    assert get_bytes(raw, b, "copy") == b"".join(parts)
    assert stop_and_check(p, data) == 2


# ------------------------------------------------------- EIO: the read path
def test_read_eio_before_response_is_clean_500(own, tmp_path):
    data = tmp_path / "data"
    p, c, raw = own(data, READ_EIO=2)
    b = unique_name()
    c.create_bucket(Bucket=b)
    body = os.urandom(300_000)
    assert put(raw, b, "k", body).status_code == 200
    assert get_bytes(raw, b, "k") == body  # open_read #1
    assert_s3_error(raw.request("GET", b, "k"), 500, "InternalError")  # #2
    assert get_bytes(raw, b, "k") == body  # one-shot: gone
    assert stop_and_check(p, data) == 1

    p, c, raw = own(data, READ_EIO=1, PERSISTENT=1)
    r = raw.request("HEAD", b, "k")
    assert r.status_code == 500 and r.headers.get("x-amz-request-id")
    uid = c.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    with pytest.raises(ClientError) as ei:  # UploadPartCopy reads its source
        c.upload_part_copy(Bucket=b, Key="mp", UploadId=uid, PartNumber=1,
                           CopySource={"Bucket": b, "Key": "k"})
    assert ei.value.response["Error"]["Code"] == "InternalError"
    assert c.list_parts(Bucket=b, Key="mp", UploadId=uid).get("Parts", []) == []
    c.abort_multipart_upload(Bucket=b, Key="mp", UploadId=uid)
    assert wait_tmp_empty(data) == []
    assert stop_and_check(p, data) == 1


def test_read_error_after_headers_aborts_connection(own, tmp_path):
    """Once a GET's status and headers are sent, an I/O error can only cut the
    connection short: the client sees fewer bytes than Content-Length (an
    error in every HTTP client), never a wrong body; the server carries on."""
    data = tmp_path / "data"
    p, c, raw = own(data, READ_LATE=1)
    b = unique_name()
    c.create_bucket(Bucket=b)
    body = os.urandom(2 * MiB)
    assert put(raw, b, "k", body).status_code == 200
    got = None
    try:
        r = raw.request("GET", b, "k")
        got = r.content
    except requests.exceptions.RequestException:
        pass
    assert got is None or len(got) < len(body), "an unreadable blob was served in full"
    assert p.alive(), p.tail()
    assert get_bytes(raw, b, "k") == body
    assert stop_and_check(p, data) == 1


# -------------------------------------------- InsufficientStorage and boto3
def test_boto3_retries_insufficient_storage(own, tmp_path, s3_client_factory):
    """botocore (legacy and standard modes) retries 500/502/503/504 but not
    507; pail answers a full disk with 503 InsufficientStorage, so a one-off
    ENOSPC is retried away, and a lasting one surfaces after the retries."""
    data = tmp_path / "data"
    p, c, raw = own(data, WRITE_EIO_AFTER=1, ERRNO="ENOSPC")
    b = unique_name()
    c.create_bucket(Bucket=b)
    assert_s3_error(put(raw, b, "k", b"x" * 40_000), FULL_STATUS, "InsufficientStorage")
    assert stop_and_check(p, data) == 0

    for mode in ("standard", "legacy"):
        p, c, raw = own(data, WRITE_EIO_AFTER=1, ERRNO="ENOSPC")
        rc = s3_client_factory(endpoint=p.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                               retries={"mode": mode, "total_max_attempts": 3})
        body = os.urandom(70_000)
        resp = rc.put_object(Bucket=b, Key="retried-" + mode, Body=body)
        assert resp["ResponseMetadata"]["RetryAttempts"] == 1, mode
        assert get_bytes(raw, b, "retried-" + mode) == body
        assert stop_and_check(p, data) >= 1

    p, c, raw = own(data, WRITE_EIO_AFTER=1, ERRNO="ENOSPC", PERSISTENT=1)
    rc = s3_client_factory(endpoint=p.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                           retries={"mode": "standard", "total_max_attempts": 3})
    with pytest.raises(ClientError) as ei:
        rc.put_object(Bucket=b, Key="never", Body=b"y" * 40_000)
    meta = ei.value.response["ResponseMetadata"]
    assert ei.value.response["Error"]["Code"] == "InsufficientStorage"
    assert meta["HTTPStatusCode"] == FULL_STATUS and meta["RetryAttempts"] == 2
    assert stop_and_check(p, data) == 2


# ------------------------------------------------------ a real full disk
@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs; unmounted at the end (the test stops its pail first)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % (r.stderr.strip() or r.returncode))
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill_with_puts(raw, b, size, prefix, stored, limit=200):
    """PUTs size-byte objects until one fails; returns that response."""
    for i in range(limit):
        body = os.urandom(size)
        r = put(raw, b, "%s%03d" % (prefix, i), body)
        if r.status_code != 200:
            return r
        stored["%s%03d" % (prefix, i)] = body
    pytest.fail("the disk never filled up")


def test_disk_full_data(small_disk, own):
    data = small_disk / "data"
    p, c, raw = own(data, backend="file")
    b = unique_name()
    c.create_bucket(Bucket=b)
    stored = {}
    r = fill_with_puts(raw, b, MiB, "big", stored)
    assert_s3_error(r, FULL_STATUS, "InsufficientStorage")
    assert len(stored) >= 8
    assert wait_tmp_empty(data) == []
    assert len(blob_ids(data)) == file_backed(stored), "a half-written blob was kept"
    # Fill the rest more finely: still clean errors, never a half object.
    r = fill_with_puts(raw, b, 64 * KiB, "mid", stored)
    assert_s3_error(r, FULL_STATUS, "InsufficientStorage")
    assert wait_tmp_empty(data) == []
    keys = sorted(o["Key"] for page in c.get_paginator("list_objects_v2").paginate(Bucket=b)
                  for o in page.get("Contents", []))
    assert keys == sorted(stored)
    for k, v in stored.items():
        assert get_bytes(raw, b, k) == v, k
    # Space comes back: no restart needed.
    for k in sorted(stored)[:4]:
        c.delete_object(Bucket=b, Key=k)
        del stored[k]
    body = os.urandom(MiB)
    r = put_when_space_returns(raw, b, "after", body)
    assert r.status_code == 200, (r.status_code, r.content[:300])
    stored["after"] = body
    assert get_bytes(raw, b, "after") == body
    assert stop_and_check(p, data) == len(stored)
    p, c, raw = own(data, backend="file")
    for k, v in stored.items():
        assert get_bytes(raw, b, k) == v, k
    assert stop_and_check(p, data) == len(stored)


def test_disk_full_metadata(small_disk, own):
    """With the disk filled to the last page by something else, an empty
    object needs no data space but its metadata row does: SQLITE_FULL must be
    InsufficientStorage too, leave no blob behind and no damage to meta.db."""
    data = small_disk / "data"
    p, c, raw = own(data, backend="file")
    b = unique_name()
    c.create_bucket(Bucket=b)
    stored = {"before%d" % i: os.urandom(100_000) for i in range(3)}
    for k, v in stored.items():
        assert put(raw, b, k, v).status_code == 200
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:  # every last page
        for chunk in (MiB, 64 * KiB, 4 * KiB, 1):
            try:
                while os.write(fd, b"\0" * chunk) > 0:
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    meta_failures = 0
    for i in range(50):  # the WAL may have room for a few rows first
        r = put(raw, b, "empty%02d" % i, b"")
        if r.status_code == 200:
            stored["empty%02d" % i] = b""
            continue
        assert_s3_error(r, FULL_STATUS, "InsufficientStorage")
        meta_failures += 1
        if meta_failures == 3:
            break
    assert meta_failures == 3, "metadata never filled the disk"
    assert_s3_error(put(raw, b, "data", b"z" * 5000), FULL_STATUS, "InsufficientStorage")
    assert wait_tmp_empty(data) == []
    for k, v in stored.items():
        assert get_bytes(raw, b, k) == v, k
    assert len(blob_ids(data)) == file_backed(stored), "a blob without a row was kept"
    os.unlink(filler)  # space returns: writes work without a restart
    assert put_when_space_returns(raw, b, "after", b"fine").status_code == 200
    stored["after"] = b"fine"
    assert stop_and_check(p, data) == len(stored)
    p, c, raw = own(data, backend="file")
    for k, v in stored.items():
        assert get_bytes(raw, b, k) == v, k
    assert stop_and_check(p, data) == len(stored)


def test_disk_full_of_own_data_can_be_emptied(small_disk, own):
    """When pail's own objects fill the disk, deleting them must still work:
    a delete is a metadata write first. pail keeps a reserve (data writes stop
    while free space is below it), so the metadata always has room."""
    data = small_disk / "data"
    p, c, raw = own(data, backend="file")
    b = unique_name()
    c.create_bucket(Bucket=b)
    stored = {}
    for size, prefix in ((MiB, "big"), (64 * KiB, "mid"), (4 * KiB, "small")):
        assert_s3_error(fill_with_puts(raw, b, size, prefix, stored, limit=2000), FULL_STATUS,
                        "InsufficientStorage")
    for i in range(20):  # empty objects need only metadata space
        r = put(raw, b, "empty%02d" % i, b"")
        if r.status_code != 200:
            assert_s3_error(r, FULL_STATUS, "InsufficientStorage")
            break
        stored["empty%02d" % i] = b""
    assert wait_tmp_empty(data) == []
    for k in sorted(stored)[:8]:
        r = raw.request("DELETE", b, k)
        assert r.status_code == 204, (k, r.status_code, r.content[:300])
        del stored[k]
    body = os.urandom(MiB)
    r = put_when_space_returns(raw, b, "after", body)
    assert r.status_code == 200, (r.status_code, r.content[:300])
    stored["after"] = body
    for k, v in stored.items():
        assert get_bytes(raw, b, k) == v, k
    assert stop_and_check(p, data) == len(stored)
