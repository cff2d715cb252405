"""The AWS CLI against pail: `aws s3` (mb, cp, ls, sync, rm, rb) and
`aws s3api` (put-object, get-object, head-object, list-objects-v2)."""
import filecmp
import hashlib
import json
import os
import random
import time

import pytest

from conftest import empty_and_delete, unique_name

AWKWARD_FILES = ["with space.txt", "plus+sign.txt", "\u00fcn\u00efc\u00f8d\u00e9/\u65e5\u672c.txt",
                 "pct%20x.txt", "quote'.txt", "hash#1.txt", "amp&x.txt", "emoji\U0001F600.bin",
                 "deep/er/and/deeper/still.txt", "empty.txt"]


@pytest.fixture
def cli_bucket(s3):
    name = unique_name("pail-cli")
    yield name
    empty_and_delete(s3, name)


def ok(proc):
    assert proc.returncode == 0, "rc=%d\nstdout:\n%s\nstderr:\n%s" % (
        proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def make_tree(root, n=1000, seed=7):
    """n files under root: nested directories, a few awkward names, sizes 0..4 KiB
    plus some of 100 KiB. Returns the relative paths."""
    rnd = random.Random(seed)
    rels = list(AWKWARD_FILES)
    i = 0
    while len(rels) < n:
        rels.append("d%d/sub%d/f%04d.dat" % (i % 10, i % 7, i))
        i += 1
    for j, rel in enumerate(rels):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if rel == "empty.txt":
            size = 0
        elif j % 97 == 0:
            size = 100 * 1024
        else:
            size = rnd.randint(1, 4096)
        with open(path, "wb") as f:
            f.write(rnd.randbytes(size))
        # An hour old: S3's LastModified has whole seconds, and `aws s3 sync`
        # re-uploads a file whose mtime is later than the object's.
        old = time.time() - 3600
        os.utime(path, (old, old))
    return sorted(rels)


def tree_files(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = p
    return out


def assert_same_tree(a, b):
    fa, fb = tree_files(a), tree_files(b)
    assert sorted(fa) == sorted(fb)
    for rel in fa:
        assert filecmp.cmp(fa[rel], fb[rel], shallow=False), rel


def test_mb_ls_rb(aws_cli, cli_bucket):
    out = ok(aws_cli("s3", "mb", "s3://%s" % cli_bucket)).stdout
    assert "make_bucket: %s" % cli_bucket in out
    listing = ok(aws_cli("s3", "ls")).stdout
    assert any(line.split()[-1] == cli_bucket for line in listing.splitlines())
    out = ok(aws_cli("s3", "rb", "s3://%s" % cli_bucket)).stdout
    assert "remove_bucket: %s" % cli_bucket in out
    listing = ok(aws_cli("s3", "ls")).stdout
    assert not any(line.split()[-1] == cli_bucket for line in listing.splitlines() if line.strip())


def test_cp_up_down_and_ls(aws_cli, cli_bucket, tmp_path):
    ok(aws_cli("s3", "mb", "s3://%s" % cli_bucket))
    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello from the aws cli\n" * 100)
    out = ok(aws_cli("s3", "cp", str(src), "s3://%s/docs/hello.txt" % cli_bucket)).stdout
    assert "upload:" in out
    out = ok(aws_cli("s3", "ls", "s3://%s/docs/" % cli_bucket)).stdout
    fields = out.split()
    assert fields[-1] == "hello.txt" and int(fields[-2]) == src.stat().st_size, out
    out = ok(aws_cli("s3", "ls", "s3://%s/" % cli_bucket)).stdout
    assert "PRE docs/" in out
    down = tmp_path / "down.txt"
    ok(aws_cli("s3", "cp", "s3://%s/docs/hello.txt" % cli_bucket, str(down)))
    assert down.read_bytes() == src.read_bytes()
    # Copy within the bucket, then move.
    ok(aws_cli("s3", "cp", "s3://%s/docs/hello.txt" % cli_bucket, "s3://%s/docs/copy.txt" % cli_bucket))
    ok(aws_cli("s3", "mv", "s3://%s/docs/copy.txt" % cli_bucket, "s3://%s/moved.txt" % cli_bucket))
    out = ok(aws_cli("s3", "ls", "--recursive", "s3://%s" % cli_bucket)).stdout
    assert sorted(line.split()[-1] for line in out.splitlines()) == ["docs/hello.txt", "moved.txt"]


def test_cp_multipart_20mib(aws_cli, cli_bucket, tmp_path, s3):
    ok(aws_cli("s3", "mb", "s3://%s" % cli_bucket))
    src = tmp_path / "big.bin"
    data = os.urandom(20 * 1024 * 1024 + 3)
    src.write_bytes(data)
    ok(aws_cli("s3", "cp", str(src), "s3://%s/big.bin" % cli_bucket))
    etag = s3.head_object(Bucket=cli_bucket, Key="big.bin")["ETag"]
    assert etag.endswith('-3"'), etag  # 8 MiB parts: 8 + 8 + 4
    down = tmp_path / "big.down"
    ok(aws_cli("s3", "cp", "s3://%s/big.bin" % cli_bucket, str(down)))
    assert hashlib.sha256(down.read_bytes()).digest() == hashlib.sha256(data).digest()


@pytest.mark.slow
def test_sync_1000_files_round_trip(aws_cli, cli_bucket, tmp_path, s3):
    ok(aws_cli("s3", "mb", "s3://%s" % cli_bucket))
    up = tmp_path / "up"
    rels = make_tree(str(up))
    assert len(rels) == 1000
    ok(aws_cli("s3", "sync", str(up), "s3://%s/tree/" % cli_bucket, timeout=900))
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=cli_bucket, Prefix="tree/"):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert sorted(keys) == sorted("tree/" + r for r in rels)
    out = ok(aws_cli("s3", "ls", "--recursive", "s3://%s/tree/" % cli_bucket)).stdout
    assert len(out.splitlines()) == 1000
    # A second sync finds nothing to do.
    again = ok(aws_cli("s3", "sync", str(up), "s3://%s/tree/" % cli_bucket))
    assert again.stdout.strip() == "", again.stdout[:2000]
    # Down into a new directory: identical tree.
    down = tmp_path / "down"
    ok(aws_cli("s3", "sync", "s3://%s/tree/" % cli_bucket, str(down), timeout=900))
    assert_same_tree(str(up), str(down))
    # rb refuses a non-empty bucket; rm --recursive empties it.
    rb = aws_cli("s3", "rb", "s3://%s" % cli_bucket)
    assert rb.returncode != 0
    assert "BucketNotEmpty" in rb.stderr
    ok(aws_cli("s3", "rm", "--recursive", "s3://%s/tree/" % cli_bucket, timeout=900))
    assert "Contents" not in s3.list_objects_v2(Bucket=cli_bucket)
    ok(aws_cli("s3", "rb", "s3://%s" % cli_bucket))


def test_s3api_object_commands(aws_cli, cli_bucket, tmp_path):
    ok(aws_cli("s3api", "create-bucket", "--bucket", cli_bucket))
    body = tmp_path / "body.json"
    body.write_bytes(b'{"hello": "world"}\n')
    put = json.loads(ok(aws_cli("s3api", "put-object", "--bucket", cli_bucket, "--key", "dir/a b.json",
                                "--body", str(body), "--content-type", "application/json",
                                "--metadata", "owner=cli,purpose=test")).stdout)
    assert put["ETag"] == '"%s"' % hashlib.md5(body.read_bytes()).hexdigest()
    head = json.loads(ok(aws_cli("s3api", "head-object", "--bucket", cli_bucket, "--key", "dir/a b.json")).stdout)
    assert head["ContentLength"] == body.stat().st_size
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"owner": "cli", "purpose": "test"}
    assert head["ETag"] == put["ETag"]
    out = tmp_path / "out.json"
    got = json.loads(ok(aws_cli("s3api", "get-object", "--bucket", cli_bucket, "--key", "dir/a b.json",
                                str(out))).stdout)
    assert got["ContentLength"] == body.stat().st_size
    assert out.read_bytes() == body.read_bytes()
    ranged = tmp_path / "range.json"
    got = json.loads(ok(aws_cli("s3api", "get-object", "--bucket", cli_bucket, "--key", "dir/a b.json",
                                "--range", "bytes=2-6", str(ranged))).stdout)
    assert got["ContentRange"] == "bytes 2-6/%d" % body.stat().st_size
    assert ranged.read_bytes() == body.read_bytes()[2:7]
    listing = json.loads(ok(aws_cli("s3api", "list-objects-v2", "--bucket", cli_bucket,
                                    "--no-paginate")).stdout)
    assert [o["Key"] for o in listing["Contents"]] == ["dir/a b.json"]
    assert listing["KeyCount"] == 1
    listing = json.loads(ok(aws_cli("s3api", "list-objects-v2", "--bucket", cli_bucket,
                                    "--delimiter", "/")).stdout)
    assert [p["Prefix"] for p in listing["CommonPrefixes"]] == ["dir/"]
    missing = aws_cli("s3api", "head-object", "--bucket", cli_bucket, "--key", "nope")
    assert missing.returncode != 0
    assert "404" in missing.stderr
    ok(aws_cli("s3api", "delete-object", "--bucket", cli_bucket, "--key", "dir/a b.json"))
    listing = ok(aws_cli("s3api", "list-objects-v2", "--bucket", cli_bucket)).stdout
    assert "Contents" not in (json.loads(listing) if listing.strip() else {})


def test_cp_and_sync_keep_guessed_content_types(aws_cli, cli_bucket, tmp_path, s3):
    """`aws s3 cp` and `aws s3 sync` guess each file's type (Python's
    mimetypes) and send it; the object keeps it, GET returns it."""
    ok(aws_cli("s3", "mb", "s3://%s" % cli_bucket))
    site = tmp_path / "site"
    (site / "charts").mkdir(parents=True)
    (site / "index.html").write_bytes(b"<h1>reports</h1>")
    (site / "potholes.csv").write_bytes(b"id\n1\n")
    (site / "charts" / "trend.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (site / "style.css").write_bytes(b"h1{}")
    ok(aws_cli("s3", "sync", str(site), "s3://%s/" % cli_bucket))
    ok(aws_cli("s3", "cp", str(site / "index.html"), "s3://%s/copy/index.html" % cli_bucket))
    want = {"index.html": "text/html", "potholes.csv": "text/csv", "charts/trend.png": "image/png",
            "style.css": "text/css", "copy/index.html": "text/html"}
    for key, ctype in want.items():
        assert s3.head_object(Bucket=cli_bucket, Key=key)["ContentType"] == ctype, key
        assert s3.get_object(Bucket=cli_bucket, Key=key)["ContentType"] == ctype, key
