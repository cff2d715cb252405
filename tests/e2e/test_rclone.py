"""rclone (Debian's 1.60) against pail: copy a tree of ~50 files (spaces,
unicode, shell-hostile characters, an empty file, a 20 MiB file that goes up as
a 4-part multipart upload) up, `rclone check` it, list it with lsf/lsl/md5sum,
copy it back and compare bytes, server-side copy/move, sync, delete and purge.

rclone 1.60 signs with UNSIGNED-PAYLOAD and sends Content-MD5 (TOOLCHAIN.md);
it stores the source's mtime as x-amz-meta-mtime and, for multipart uploads, the
whole file's MD5 as x-amz-meta-md5chksum. The remote is configured entirely
through RCLONE_CONFIG_PAIL_* environment variables (RCLONE_CONFIG=/dev/null).
AWS_CA_BUNDLE is removed from its environment: rclone 1.60 fails with
LoadCustomCABundleError when it is set."""
import base64
import hashlib
import json
import os
import random
import shutil
import subprocess

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import unique_name
from e2e_util import md5_hex

MiB = 1024 * 1024
RCLONE = shutil.which("rclone")
pytestmark = pytest.mark.skipif(RCLONE is None, reason="rclone is not installed (apt-get install rclone)")

# 5 MiB parts from 5 MiB up: the 20 MiB file is a 4-part multipart upload (the
# default cutoff, 200 MiB, would send it with one PutObject).
CHUNK = 5 * MiB
BIG_NAME = "big/twenty mib.bin"
BIG_SIZE = 20 * MiB


def tree_files():
    """{relative path: bytes}: 50 files, a few MB plus one of 20 MiB."""
    rnd = random.Random(1729)
    names = [
        "README.txt", "empty.dat", "a+b=c&d.txt", "100% sure.txt", "semi;colon,comma.txt",
        "q?uestion #hash.txt", "tilde~ and 'quote'.txt", "dir with spaces/file with spaces.txt",
        "dir with spaces/nested dir/deeper file.txt", "ünïcödé/fïlé ñame.txt", "日本語/ファイル.txt",
        "emoji/smile \U0001F600.txt", "Ελληνικά/αρχείο.bin", "mixed/UPPER.TXT", "mixed/upper.txt",
        BIG_NAME,
    ]
    for i in range(34):
        names.append("bulk/%02d/item-%03d.bin" % (i % 5, i))
    files = {}
    for n in names:
        if n == "empty.dat":
            files[n] = b""
        elif n == BIG_NAME:
            files[n] = rnd.randbytes(BIG_SIZE)
        else:
            files[n] = rnd.randbytes(rnd.randint(1, 200_000))
    assert len(files) == 50
    return files


def write_tree(root, files):
    for rel, data in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def read_tree(root):
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


def dirs_of(files):
    out = set()
    for rel in files:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            out.add("/".join(parts[:i]) + "/")
    return out


def _rclone_env(server, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RCLONE_", "AWS_"))}
    env.update({
        "RCLONE_CONFIG": "/dev/null",
        "RCLONE_CONFIG_PAIL_TYPE": "s3",
        "RCLONE_CONFIG_PAIL_PROVIDER": "Other",
        "RCLONE_CONFIG_PAIL_ENDPOINT": server.endpoint,
        "RCLONE_CONFIG_PAIL_ACCESS_KEY_ID": server.access_key,
        "RCLONE_CONFIG_PAIL_SECRET_ACCESS_KEY": server.secret_key,
        "RCLONE_CONFIG_PAIL_REGION": "us-east-1",
        "RCLONE_CONFIG_PAIL_UPLOAD_CUTOFF": "5Mi",
        "RCLONE_CONFIG_PAIL_CHUNK_SIZE": "5Mi",
        "HOME": str(tmp_path),  # no ~/.config/rclone, no cache in the real home
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    })
    return env


@pytest.fixture
def rclone(server, tmp_path):
    """rclone(*args, check=True, stdin=None, binary=False) -> CompletedProcess; the
    remote `pail:` is the server (binary: stdout/stderr as bytes)."""
    env = _rclone_env(server, tmp_path)

    def run(*args, check=True, timeout=240, stdin=None, binary=False):
        argv = [RCLONE, "--retries", "1", "--low-level-retries", "1", "--contimeout", "10s",
                "--timeout", "60s"] + [str(a) for a in args]
        p = subprocess.run(argv, env=env, capture_output=True, text=not binary, timeout=timeout,
                           stdin=stdin)
        if check and p.returncode != 0:
            pytest.fail("rclone exited %d: %s\n---- stdout ----\n%s\n---- stderr ----\n%s"
                        % (p.returncode, " ".join(argv), p.stdout, p.stderr), pytrace=False)
        return p

    return run


@pytest.fixture
def uploaded(rclone, bucket, tmp_path):
    """The tree, written locally and copied to pail:<bucket>/tree with rclone copy."""
    files = tree_files()
    src = tmp_path / "src"
    write_tree(src, files)
    rclone("copy", src, "pail:%s/tree" % bucket, "--transfers", "4", "--checkers", "8")
    return files, src


def listing(s3, bucket, prefix=""):
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"]] = o
    return out


def test_rclone_copy_up_stores_exact_objects(s3, bucket, uploaded):
    files, src = uploaded
    objs = listing(s3, bucket)
    assert sorted(objs) == sorted("tree/" + rel for rel in files)
    for rel, data in files.items():
        o = objs["tree/" + rel]
        assert o["Size"] == len(data), rel
        if rel != BIG_NAME:
            assert o["ETag"] == '"%s"' % md5_hex(data), rel

    # The 20 MiB file went up in 5 MiB parts: a 4-part multipart ETag, and rclone
    # recorded the whole file's MD5 and the source mtime as user metadata.
    big = files[BIG_NAME]
    parts = [big[i:i + CHUNK] for i in range(0, len(big), CHUNK)]
    want_etag = '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest(),
                             len(parts))
    assert objs["tree/" + BIG_NAME]["ETag"] == want_etag
    head = s3.head_object(Bucket=bucket, Key="tree/" + BIG_NAME)
    assert head["ContentLength"] == BIG_SIZE
    assert head.get("PartsCount") in (None, 4)
    assert head["Metadata"]["md5chksum"] == base64.b64encode(hashlib.md5(big).digest()).decode()
    mtime_ns = os.stat(src / BIG_NAME).st_mtime_ns
    assert abs(float(head["Metadata"]["mtime"]) - mtime_ns / 1e9) < 1e-3, head["Metadata"]

    got = s3.get_object(Bucket=bucket, Key="tree/" + BIG_NAME)["Body"].read()
    assert got == big
    small = "tree/ünïcödé/fïlé ñame.txt"
    assert s3.get_object(Bucket=bucket, Key=small)["Body"].read() == files["ünïcödé/fïlé ñame.txt"]


def test_rclone_check_lsf_md5sum(rclone, bucket, uploaded):
    files, src = uploaded
    remote = "pail:%s/tree" % bucket
    p = rclone("check", src, remote)
    assert "0 differences found" in p.stderr, p.stderr
    assert "%d matching files" % len(files) in p.stderr, p.stderr

    # check --download compares the bytes, not just sizes and hashes.
    p = rclone("check", "--download", src, remote)
    assert "0 differences found" in p.stderr, p.stderr

    lsf = rclone("lsf", "-R", remote).stdout.splitlines()
    assert sorted(lsf) == sorted(set(files) | dirs_of(files))

    lsf_sizes = rclone("lsf", "-R", "--files-only", "--format", "sp", "--separator", "\t", remote).stdout
    got = dict(line.split("\t", 1)[::-1] for line in lsf_sizes.splitlines())
    assert got == {rel: str(len(data)) for rel, data in files.items()}

    top = rclone("lsf", remote).stdout.splitlines()
    assert sorted(top) == sorted({rel.split("/")[0] + ("/" if "/" in rel else "") for rel in files})

    # md5sum: ETags for single-part objects, x-amz-meta-md5chksum for the multipart one.
    md5 = rclone("md5sum", remote).stdout
    got = {}
    for line in md5.splitlines():
        h, rel = line.split("  ", 1)
        got[rel] = h
    assert got == {rel: md5_hex(data) for rel, data in files.items()}

    s = json.loads(rclone("size", "--json", remote).stdout)
    assert s["count"] == len(files)
    assert s["bytes"] == sum(len(d) for d in files.values())


def test_rclone_check_notices_a_changed_object(rclone, s3, bucket, uploaded):
    files, src = uploaded
    s3.put_object(Bucket=bucket, Key="tree/README.txt", Body=b"changed behind rclone's back")
    p = rclone("check", src, "pail:%s/tree" % bucket, check=False)
    assert p.returncode != 0
    assert "1 differences found" in p.stderr, p.stderr
    assert "README.txt" in p.stderr


def test_rclone_copy_down_bytes_equal(rclone, bucket, uploaded, tmp_path):
    files, src = uploaded
    dst = tmp_path / "down"
    rclone("copy", "pail:%s/tree" % bucket, dst, "--transfers", "4")
    assert read_tree(dst) == files
    # rclone sets the local mtime from x-amz-meta-mtime: it round-trips.
    for rel in files:
        assert abs(os.path.getmtime(src / rel) - os.path.getmtime(dst / rel)) < 0.01, rel
    # A second copy finds nothing to transfer.
    p = rclone("copy", "-v", "pail:%s/tree" % bucket, dst)
    assert "Transferred:" in p.stderr and "Copied" not in p.stderr, p.stderr


def test_rclone_server_side_copy_move_and_sync(rclone, s3, bucket, uploaded, tmp_path):
    files, src = uploaded
    remote = "pail:%s" % bucket
    # copyto/moveto between two keys of the same remote are server-side CopyObject.
    rclone("copyto", remote + "/tree/日本語/ファイル.txt", remote + "/copies/copied file.txt")
    rclone("moveto", remote + "/tree/a+b=c&d.txt", remote + "/copies/moved+file.txt")
    assert s3.get_object(Bucket=bucket, Key="copies/copied file.txt")["Body"].read() == files["日本語/ファイル.txt"]
    assert s3.get_object(Bucket=bucket, Key="copies/moved+file.txt")["Body"].read() == files["a+b=c&d.txt"]
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="tree/a+b=c&d.txt")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # A server-side copy of the multipart object (single CopyObject below 4.6 GiB).
    rclone("copyto", remote + "/tree/" + BIG_NAME, remote + "/copies/big copy.bin")
    assert s3.get_object(Bucket=bucket, Key="copies/big copy.bin")["Body"].read() == files[BIG_NAME]

    # sync makes the remote match a changed local tree: new, changed and deleted files.
    (src / "a+b=c&d.txt").unlink()
    (src / "bulk" / "00" / "item-000.bin").unlink()
    (src / "README.txt").write_bytes(b"new readme contents\n")
    (src / "added file.txt").write_bytes(b"added after the first copy\n")
    rclone("sync", src, remote + "/tree")
    want = read_tree(src)
    objs = listing(s3, bucket, "tree/")
    assert sorted(objs) == sorted("tree/" + rel for rel in want)
    assert s3.get_object(Bucket=bucket, Key="tree/README.txt")["Body"].read() == b"new readme contents\n"
    p = rclone("check", src, remote + "/tree")
    assert "0 differences found" in p.stderr


def test_rclone_delete_and_purge(rclone, s3, bucket, uploaded):
    files, src = uploaded
    remote = "pail:%s" % bucket
    # delete removes files (only those matching the filter), never directories.
    rclone("delete", remote + "/tree", "--include", "*.txt")
    left = {k[len("tree/"):] for k in listing(s3, bucket, "tree/")}
    assert left == {rel for rel in files if not rel.endswith(".txt")}
    assert rclone("lsf", "-R", "--files-only", remote + "/tree").stdout.splitlines() != []

    rclone("delete", remote + "/tree/bulk")
    left = {k[len("tree/"):] for k in listing(s3, bucket, "tree/")}
    assert left == {rel for rel in files if not rel.endswith(".txt") and not rel.startswith("bulk/")}

    # purge of a directory removes everything under it; purge of the bucket removes the bucket.
    rclone("purge", remote + "/tree/big")
    assert not any(k.startswith("tree/big/") for k in listing(s3, bucket))
    rclone("purge", remote)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket not in names


def test_rclone_mkdir_rmdir_bucket(rclone, s3):
    name = unique_name("pail-rclone")
    rclone("mkdir", "pail:%s" % name)
    try:
        s3.head_bucket(Bucket=name)
        assert name + "/" in rclone("lsf", "pail:").stdout.splitlines()
        rclone("rmdir", "pail:%s" % name)
        with pytest.raises(ClientError):
            s3.head_bucket(Bucket=name)
    finally:
        try:
            s3.delete_bucket(Bucket=name)
        except ClientError:
            pass


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("url_encode", ["true", "false"])
def test_rclone_listing_paginated(rclone, bucket, uploaded, version, url_encode):
    """lsf through ListObjects v1 (markers) or v2 (continuation tokens), 7 keys a
    page, with and without encoding-type=url: the same exact listing."""
    files, src = uploaded
    lsf = rclone("lsf", "-R", "--s3-list-version", version, "--s3-list-chunk", "7",
                 "--s3-list-url-encode", url_encode, "pail:%s/tree" % bucket).stdout.splitlines()
    assert sorted(lsf) == sorted(set(files) | dirs_of(files))
    flat = rclone("lsf", "-R", "--fast-list", "--files-only", "--s3-list-version", version,
                  "--s3-list-chunk", "7", "--s3-list-url-encode", url_encode,
                  "pail:%s" % bucket).stdout.splitlines()
    assert sorted(flat) == sorted("tree/" + rel for rel in files)


def test_rclone_multipart_server_side_copy(rclone, s3, bucket, uploaded):
    """Above --s3-copy-cutoff rclone copies server-side with CreateMultipartUpload +
    UploadPartCopy (x-amz-copy-source-range) + Complete."""
    files, src = uploaded
    remote = "pail:%s" % bucket
    rclone("copyto", "--s3-copy-cutoff", "6Mi", remote + "/tree/" + BIG_NAME, remote + "/mpcopy/big copy.bin")
    h = s3.head_object(Bucket=bucket, Key="mpcopy/big copy.bin")
    assert h["ContentLength"] == BIG_SIZE
    assert h["ETag"].endswith('-4"'), h["ETag"]  # 20 MiB in 6 MiB ranges: 6+6+6+2
    assert s3.get_object(Bucket=bucket, Key="mpcopy/big copy.bin")["Body"].read() == files[BIG_NAME]
    # rclone carried the metadata over: its hash of the copy is the file's MD5.
    assert h["Metadata"]["md5chksum"] == base64.b64encode(hashlib.md5(files[BIG_NAME]).digest()).decode()
    out = rclone("md5sum", remote + "/mpcopy").stdout.split()
    assert out == [md5_hex(files[BIG_NAME]), "big", "copy.bin"]


def test_rclone_touch_sets_mtime_in_place(rclone, s3, bucket, uploaded):
    """Changing an object's mtime is a CopyObject onto itself with
    x-amz-metadata-directive: REPLACE."""
    files, src = uploaded
    remote = "pail:%s/tree" % bucket
    rclone("touch", "--timestamp", "2001-02-03T04:05:06", remote + "/README.txt")
    h = s3.head_object(Bucket=bucket, Key="tree/README.txt")
    assert h["ContentLength"] == len(files["README.txt"])
    assert h["ETag"] == '"%s"' % md5_hex(files["README.txt"])
    assert abs(float(h["Metadata"]["mtime"]) - 981173106) < 1, h["Metadata"]  # 2001-02-03T04:05:06Z
    lsl = rclone("lsl", remote + "/README.txt").stdout
    assert "2001-02-03 04:05:06" in lsl, lsl
    assert s3.get_object(Bucket=bucket, Key="tree/README.txt")["Body"].read() == files["README.txt"]


def test_rclone_rcat_cat_and_link(rclone, s3, bucket, tmp_path):
    """rcat streams stdin of unknown length (multipart above the cutoff); cat reads
    ranges; link makes a presigned GET URL."""
    data = random.Random(77).randbytes(12 * MiB + 5)
    src = tmp_path / "stdin.bin"
    src.write_bytes(data)
    remote = "pail:%s" % bucket
    with open(src, "rb") as f:
        rclone("rcat", remote + "/streamed/from stdin.bin", stdin=f)
    h = s3.head_object(Bucket=bucket, Key="streamed/from stdin.bin")
    assert h["ContentLength"] == len(data)
    assert h["ETag"].endswith('-3"'), h["ETag"]
    assert s3.get_object(Bucket=bucket, Key="streamed/from stdin.bin")["Body"].read() == data

    out = rclone("cat", "--offset", 5 * MiB - 3, "--count", 10, remote + "/streamed/from stdin.bin",
                 binary=True)
    assert out.stdout == data[5 * MiB - 3:5 * MiB + 7]
    tail = rclone("cat", "--tail", 100, remote + "/streamed/from stdin.bin", binary=True)
    assert tail.stdout == data[-100:]

    url = rclone("link", "--expire", "1h", remote + "/streamed/from stdin.bin").stdout.strip()
    r = requests.get(url, timeout=60)
    assert r.status_code == 200, r.text[:500]
    assert r.content == data
