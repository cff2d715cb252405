"""The operator's tools: `pail admin check [--repair]` and `pail admin backup`.

check verifies a stopped data directory: every object and part row has its
data file with the right size and checksum (the single-part ETag's MD5, any
stored full-object checksum); inline objects live in the metadata; no orphan
data file or leftover temporary is left. Each problem is a line with
bucket/key/data id; the exit status is 0 when clean, 1 otherwise. --repair
removes orphans and temporaries and the metadata of objects whose bytes are
missing or corrupt, so that their GETs answer NoSuchKey (as AWS does for a
key that does not exist) instead of 500. On a running server it refuses.

backup copies a running (or stopped) store into a new or empty directory
that `pail serve` starts on, with every object acknowledged before the
backup began byte-identical."""
import hashlib
import os
import sqlite3
import subprocess
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, make_client, pail_bin

MIB = 1 << 20


def admin(data_dir, *args, timeout=300):
    env = dict(os.environ)
    env["PAIL_ROOT_ACCESS_KEY"] = ACCESS_KEY
    env["PAIL_ROOT_SECRET_KEY"] = SECRET_KEY
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    argv = [pail_bin(), "admin"] + [str(a) for a in args] + ["--data", str(data_dir)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    return r.returncode, r.stdout + r.stderr


def client(proc):
    return make_client(None, endpoint=proc.endpoint, access_key=ACCESS_KEY,
                       secret_key=SECRET_KEY)


def body(n, seed):
    return (hashlib.sha256(seed.encode()).digest() * (n // 32 + 1))[:n]


def populate(s3, bucket):
    """Inline, blob and multipart objects, and a pending upload with a part.
    Returns {key: bytes}."""
    s3.create_bucket(Bucket=bucket)
    objs = {"small": body(100, "small"), "big1": body(200 * 1024, "big1"),
            "big2": body(300 * 1024, "big2"), "big3": body(64 * 1024 + 7, "big3")}
    for k, v in objs.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    s3.put_object(Bucket=bucket, Key="summed", Body=body(40 * 1024, "summed"),
                  ChecksumAlgorithm="SHA256")
    objs["summed"] = body(40 * 1024, "summed")
    up = s3.create_multipart_upload(Bucket=bucket, Key="multi")["UploadId"]
    p1, p2 = body(5 * MIB, "p1"), body(1024, "p2")
    e1 = s3.upload_part(Bucket=bucket, Key="multi", UploadId=up, PartNumber=1, Body=p1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="multi", UploadId=up, PartNumber=2, Body=p2)["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="multi", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    objs["multi"] = p1 + p2
    # Stored checksums and copies: check must not take their ETags or
    # checksums for damage.
    up = s3.create_multipart_upload(Bucket=bucket, Key="multi-crc",
                                    ChecksumAlgorithm="CRC32")["UploadId"]
    q1, q2 = body(5 * MIB, "q1"), body(4096, "q2")
    parts = []
    for n, q in ((1, q1), (2, q2)):
        r = s3.upload_part(Bucket=bucket, Key="multi-crc", UploadId=up, PartNumber=n, Body=q,
                           ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="multi-crc", UploadId=up,
                                 MultipartUpload={"Parts": parts})
    objs["multi-crc"] = q1 + q2
    s3.copy_object(Bucket=bucket, Key="multi-copy", CopySource={"Bucket": bucket, "Key": "multi"})
    objs["multi-copy"] = objs["multi"]
    s3.copy_object(Bucket=bucket, Key="big3-copy", CopySource={"Bucket": bucket, "Key": "big3"})
    objs["big3-copy"] = objs["big3"]
    pending = s3.create_multipart_upload(Bucket=bucket, Key="pending")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="pending", UploadId=pending, PartNumber=1,
                   Body=body(64 * 1024, "pending"))
    return objs


def blob_path(data_dir, bucket, key):
    db = sqlite3.connect("file:%s/meta.db?mode=ro" % data_dir, uri=True)
    try:
        (data_id,) = db.execute("SELECT data_id FROM objects WHERE bucket = ? AND key = ?",
                                (bucket, key)).fetchone()
    finally:
        db.close()
    return data_id, os.path.join(str(data_dir), "objects", data_id[:2], data_id[2:4], data_id)


def assert_no_such_key(s3, bucket, key):
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key=key)
    err = ei.value.response
    assert err["Error"]["Code"] == "NoSuchKey", \
        "a repaired (removed) object's GET answers 404 NoSuchKey, not %r (%s)" % (
            err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"])


def test_check_finds_and_repairs_damage(tmp_path, start_pail):
    data = tmp_path / "data"
    p = start_pail(data)
    s3 = client(p)
    objs = populate(s3, "check")

    rc, out = admin(data, "check")
    assert rc == 1 and "server is running" in out, \
        "check on a directory a server is using refuses (uploads in flight would look like " \
        "orphans): rc=%d %s" % (rc, out)
    p.stop()

    rc, out = admin(data, "check")
    assert rc == 0, "a store written only through S3 checks clean: %s" % out
    assert "9 objects (1 inline), 1 parts" in out, "check counts what it checked: %s" % out

    bad_id, bad = blob_path(data, "check", "big1")
    with open(bad, "r+b") as f:  # flip one byte, same size
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 0xFF]))
    mp_id, mp = blob_path(data, "check", "multi-crc")
    with open(mp, "r+b") as f:  # in the second part: the "-2" ETag covers every part's MD5
        f.seek(5 * MIB + 100)
        b = f.read(1)
        f.seek(5 * MIB + 100)
        f.write(bytes([b[0] ^ 0x01]))
    gone_id, gone = blob_path(data, "check", "big2")
    os.unlink(gone)
    sum_id, summed = blob_path(data, "check", "summed")
    with open(summed, "r+b") as f:
        f.truncate(40 * 1024 - 1)
    orphan_id = "ffee" + uuid.uuid4().hex[4:]
    os.makedirs(data / "objects" / "ff" / "ee", exist_ok=True)
    (data / "objects" / "ff" / "ee" / orphan_id).write_bytes(b"orphaned")
    (data / "tmp" / ("ab" * 16)).write_bytes(b"half-written")

    rc, out = admin(data, "check")
    assert rc == 1, "damage makes check exit 1: %s" % out
    lines = out.splitlines()

    def reported(*words):
        return any(all(w in line for w in words) for line in lines)

    assert reported("check/big1", bad_id, "MD5"), "a flipped byte is reported (ETag MD5): %s" % out
    assert reported("check/multi-crc", mp_id, "ETag"), \
        "a flipped byte in a multipart object is reported (MD5s of its parts): %s" % out
    assert reported("check/big2", gone_id, "missing"), "a deleted data file is reported: %s" % out
    assert reported("check/summed", sum_id, "size"), "a truncated file is reported: %s" % out
    assert reported(orphan_id, "orphan"), "an orphan file is reported: %s" % out
    assert reported("tmp/" + "ab" * 16), "a tmp leftover is reported: %s" % out
    assert os.path.exists(bad), "check without --repair changes nothing"

    rc, out = admin(data, "check", "--repair")
    assert rc == 1, "--repair still reports what it found: %s" % out
    assert "repair: removed the metadata of check/big1" in out, out
    assert "repair: removed orphan data=" + orphan_id in out, out
    lost = data / "lost+found" / "objects" / bad_id[:2] / bad_id[2:4] / bad_id
    assert lost.exists(), "a corrupt object's bytes are kept in lost+found, not destroyed"

    rc, out = admin(data, "check")
    assert rc == 0, "after --repair the store checks clean: %s" % out

    p2 = start_pail(data)
    s3 = client(p2)
    for k in ("big1", "big2", "summed", "multi-crc"):
        assert_no_such_key(s3, "check", k)
    for k in ("small", "big3", "multi", "multi-copy", "big3-copy"):
        got = s3.get_object(Bucket="check", Key=k)["Body"].read()
        assert got == objs[k], "an intact object survives the repair: %s" % k


def test_check_verbose_names_every_data_file(tmp_path, start_pail):
    data = tmp_path / "data"
    p = start_pail(data)
    populate(client(p), "verb")
    p.stop()
    rc, out = admin(data, "check", "--verbose")
    assert rc == 0, out
    data_id, _ = blob_path(data, "verb", "big3")
    assert any(line.startswith("ok: verb/big3 data=" + data_id) for line in out.splitlines()), out


def test_backup_of_running_server_under_load(tmp_path, start_pail):
    data, dest = tmp_path / "data", tmp_path / "copy"
    p = start_pail(data)
    s3 = client(p)
    acked = populate(s3, "bkup")
    for i in range(30):
        k = "obj-%d" % i
        acked[k] = body(1000 + i * 3000, k)
        s3.put_object(Bucket="bkup", Key=k, Body=acked[k])

    stop = threading.Event()
    errors = []
    done = [0, 0]

    def load(n):
        c = client(p)
        i = 0
        while not stop.is_set():
            k = "load-%d-%d" % (n, i % 20)
            try:  # new, overwritten and deleted blobs: the reaper has work
                c.put_object(Bucket="bkup", Key=k, Body=body(20000 + i, k))
                if i % 3 == 0:
                    c.delete_object(Bucket="bkup", Key="load-%d-%d" % (n, (i + 7) % 20))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
                return
            i += 1
            done[n] = i

    threads = [threading.Thread(target=load, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    try:
        while min(done) < 5 and not errors:  # the load runs when the backup begins
            threading.Event().wait(0.02)
        rc, out = admin(data, "backup", dest)
        during = sum(done)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert rc == 0, "backup of a running server: %s" % out
    assert not errors, "the load kept working during the backup: %s" % errors[:3]
    assert sum(done) > during or during >= 10, "PUTs ran while the backup was taken"

    rc, out = admin(dest, "check")
    assert rc == 0, "a backup is complete: every row has its data, no orphans: %s" % out

    p2 = start_pail(dest)
    c2 = client(p2)
    for k, v in acked.items():
        got = c2.get_object(Bucket="bkup", Key=k)["Body"].read()
        assert got == v, "%s reads back byte-identical from the backup" % k
    ups = c2.list_multipart_uploads(Bucket="bkup").get("Uploads", [])
    assert [u["Key"] for u in ups] == ["pending"], "pending uploads are in the backup too"
    p.stop()


def test_backup_of_stopped_directory(tmp_path, start_pail):
    data, dest = tmp_path / "data", tmp_path / "copy"
    p = start_pail(data)
    objs = populate(client(p), "stopped")
    p.stop()
    rc, out = admin(data, "backup", dest)
    assert rc == 0, out
    p2 = start_pail(dest)
    c2 = client(p2)
    for k, v in objs.items():
        assert c2.get_object(Bucket="stopped", Key=k)["Body"].read() == v, k


def test_backup_refuses_non_empty_dest(tmp_path, start_pail):
    data, dest = tmp_path / "data", tmp_path / "copy"
    p = start_pail(data)
    client(p).create_bucket(Bucket="nonempty")
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    rc, out = admin(data, "backup", dest)
    assert rc == 1 and "not empty" in out, "backup into a non-empty directory is refused: %s" % out
    assert sorted(os.listdir(dest)) == ["keep.txt"], "a refused backup writes nothing"
    p.stop()


def test_check_reports_damaged_part_without_removing_it(tmp_path, start_pail):
    """A pending upload's part is the client's to upload again (or to abort):
    --repair reports it and leaves the upload as it is."""
    data = tmp_path / "data"
    p = start_pail(data)
    populate(client(p), "parts")
    p.stop()
    db = sqlite3.connect("file:%s/meta.db?mode=ro" % data, uri=True)
    (upload_id, data_id), = db.execute("SELECT upload_id, data_id FROM parts").fetchall()
    db.close()
    os.unlink(os.path.join(str(data), "objects", data_id[:2], data_id[2:4], data_id))
    rc, out = admin(data, "check", "--repair")
    assert rc == 1, out
    assert any("parts/pending upload=%s part=1 data=%s" % (upload_id, data_id) in line
               and "missing" in line for line in out.splitlines()), out
    assert "not repaired: parts/pending upload=%s part=1" % upload_id in out, out
    p2 = start_pail(data)
    ups = client(p2).list_multipart_uploads(Bucket="parts").get("Uploads", [])
    assert [u["UploadId"] for u in ups] == [upload_id], "the upload is left for its client"
