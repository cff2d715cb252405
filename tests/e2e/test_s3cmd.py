"""s3cmd (Debian's 2.3) against pail, with a generated config file (path-style
host_base/host_bucket, plain http, SigV4): mb, put (small files and a 20 MiB
file that goes up as a multipart upload in s3cmd's default 15 MiB chunks), ls,
la, info, du, get, cp, mv, sync, signurl, multipart/abortmp, del, rb.

s3cmd 2.3 sends lowercase headers and no checksum headers (TOOLCHAIN.md); it
records the file's MD5 and stat data in x-amz-meta-s3cmd-attrs."""
import hashlib
import os
import random
import re
import shutil
import subprocess

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import empty_and_delete, unique_name
from e2e_util import md5_hex

MiB = 1024 * 1024
S3CMD = shutil.which("s3cmd")
pytestmark = pytest.mark.skipif(S3CMD is None, reason="s3cmd is not installed (apt-get install s3cmd)")

LS_FILE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d)\s+(\d+)\s+(s3://.*)$")
LS_DIR = re.compile(r"^\s+DIR\s+(s3://.*)$")


def multipart_etag(data, part_size):
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)]
    return '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest(),
                        len(parts))


@pytest.fixture
def s3cmd(server, tmp_path):
    """s3cmd(*args, check=True, cwd=None, stdin=None) -> CompletedProcess, with a config
    file for the server."""
    host = server.endpoint.split("://", 1)[1].rstrip("/")
    cfg = tmp_path / "s3cfg"
    cfg.write_text("\n".join([
        "[default]",
        "access_key = %s" % server.access_key,
        "secret_key = %s" % server.secret_key,
        "host_base = %s" % host,
        "host_bucket = %s" % host,
        "use_https = False",
        "signature_v2 = False",
        "bucket_location = us-east-1",
        "check_ssl_certificate = False",
        "progress_meter = False",
        "",
    ]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)

    def run(*args, check=True, cwd=None, timeout=240, stdin=None):
        argv = [S3CMD, "-c", str(cfg)] + [str(a) for a in args]
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                           stdin=stdin)
        if check and p.returncode != 0:
            pytest.fail("s3cmd exited %d: %s\n---- stdout ----\n%s\n---- stderr ----\n%s"
                        % (p.returncode, " ".join(argv), p.stdout, p.stderr), pytrace=False)
        return p

    return run


def ls(s3cmd, *args):
    """(files {uri: size}, dirs [uri]) from `s3cmd ls ...`."""
    files, dirs = {}, []
    for line in s3cmd("ls", *args).stdout.splitlines():
        m = LS_FILE.match(line)
        if m:
            files[m.group(3)] = int(m.group(2))
            continue
        m = LS_DIR.match(line)
        assert m, "unexpected s3cmd ls line: %r" % line
        dirs.append(m.group(1))
    return files, dirs


def info(s3cmd, uri):
    out = {}
    for line in s3cmd("info", uri).stdout.splitlines()[1:]:
        k, _, v = line.strip().partition(":")
        out[k.strip()] = v.strip()
    return out


@pytest.fixture
def bucket_name(s3):
    """A bucket name for s3cmd to create; deleted afterwards if it is still there."""
    name = unique_name("pail-s3cmd")
    yield name
    empty_and_delete(s3, name)


def test_s3cmd_bucket_and_object_life_cycle(s3cmd, s3, bucket_name, tmp_path):
    rnd = random.Random(2718)
    small = rnd.randbytes(54321)
    text = "plain text, ünïcode\n".encode()
    big = rnd.randbytes(20 * MiB)
    (tmp_path / "small.bin").write_bytes(small)
    (tmp_path / "notes ü.txt").write_bytes(text)
    (tmp_path / "big.bin").write_bytes(big)
    b = "s3://%s" % bucket_name

    p = s3cmd("mb", b)
    assert "created" in p.stdout
    s3.head_bucket(Bucket=bucket_name)
    assert b in s3cmd("ls").stdout.split()

    s3cmd("put", tmp_path / "small.bin", tmp_path / "notes ü.txt", b + "/dir/")
    s3cmd("put", tmp_path / "big.bin", b + "/big file.bin")

    # 20 MiB in s3cmd's default 15 MiB chunks: 2 parts.
    h = s3.head_object(Bucket=bucket_name, Key="big file.bin")
    assert h["ContentLength"] == len(big)
    assert h["ETag"] == multipart_etag(big, 15 * MiB)
    assert "md5:%s" % md5_hex(big) in h["Metadata"]["s3cmd-attrs"]
    assert s3.get_object(Bucket=bucket_name, Key="dir/small.bin")["Body"].read() == small
    g = s3.get_object(Bucket=bucket_name, Key="dir/notes ü.txt")
    assert g["Body"].read() == text
    assert g["ContentType"].startswith("text/plain")

    files, dirs = ls(s3cmd, b)
    assert files == {b + "/big file.bin": len(big)}
    assert dirs == [b + "/dir/"]
    files, dirs = ls(s3cmd, "--recursive", b)
    assert files == {b + "/big file.bin": len(big), b + "/dir/small.bin": len(small),
                     b + "/dir/notes ü.txt": len(text)}
    assert dirs == []
    files, dirs = ls(s3cmd, b + "/dir/")
    assert files == {b + "/dir/small.bin": len(small), b + "/dir/notes ü.txt": len(text)}
    # la lists every bucket's objects.
    assert b + "/dir/small.bin" in s3cmd("la", "--recursive").stdout

    i = info(s3cmd, b + "/dir/small.bin")
    assert i["File size"] == str(len(small))
    assert i["MD5 sum"] == md5_hex(small)
    i = info(s3cmd, b + "/big file.bin")
    assert i["File size"] == str(len(big))
    assert i["MD5 sum"] == md5_hex(big)  # from x-amz-meta-s3cmd-attrs: the ETag is a multipart one
    du = s3cmd("du", b).stdout.split()
    assert du[:3] == [str(len(small) + len(text) + len(big)), "3", "objects"]

    down = tmp_path / "down"
    down.mkdir()
    s3cmd("get", b + "/big file.bin", down / "big.bin")
    s3cmd("get", b + "/dir/notes ü.txt", down / "notes.txt")
    (down / "dir").mkdir()
    s3cmd("get", "--recursive", b + "/dir/", str(down / "dir") + "/")
    assert (down / "big.bin").read_bytes() == big
    assert (down / "notes.txt").read_bytes() == text
    assert (down / "dir" / "small.bin").read_bytes() == small
    assert (down / "dir" / "notes ü.txt").read_bytes() == text

    # rb of a bucket with objects fails (BucketNotEmpty) and keeps it.
    p = s3cmd("rb", b, check=False)
    assert p.returncode != 0
    assert "BucketNotEmpty" in p.stderr, p.stderr
    s3.head_bucket(Bucket=bucket_name)

    s3cmd("del", b + "/big file.bin")
    s3cmd("del", "--recursive", "--force", b + "/dir/")
    assert ls(s3cmd, "--recursive", b) == ({}, [])
    assert s3.list_objects_v2(Bucket=bucket_name)["KeyCount"] == 0

    s3cmd("rb", b)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket_name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert b not in s3cmd("ls").stdout.split()


def test_s3cmd_small_multipart_chunks(s3cmd, s3, bucket, tmp_path):
    data = random.Random(5).randbytes(17 * MiB + 3)
    (tmp_path / "f").write_bytes(data)
    s3cmd("put", "--multipart-chunk-size-mb=5", tmp_path / "f", "s3://%s/parts/f" % bucket)
    h = s3.head_object(Bucket=bucket, Key="parts/f")
    assert h["ETag"] == multipart_etag(data, 5 * MiB)
    assert h["ETag"].endswith('-4"')
    s3cmd("get", "s3://%s/parts/f" % bucket, tmp_path / "g")
    assert (tmp_path / "g").read_bytes() == data


def test_s3cmd_cp_mv_sync(s3cmd, s3, bucket, tmp_path):
    rnd = random.Random(31)
    src = tmp_path / "src"
    files = {"a.txt": rnd.randbytes(100), "sub dir/b ü.bin": rnd.randbytes(70000),
             "sub dir/deep/c.bin": rnd.randbytes(5), "empty": b""}
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    b = "s3://%s" % bucket

    s3cmd("sync", str(src) + "/", b + "/mirror/")
    files_ls, _ = ls(s3cmd, "--recursive", b)
    assert files_ls == {b + "/mirror/" + rel: len(d) for rel, d in files.items()}

    # server-side copy and move
    s3cmd("cp", b + "/mirror/sub dir/b ü.bin", b + "/copy/b copy.bin")
    s3cmd("mv", b + "/mirror/a.txt", b + "/moved/a+moved.txt")
    assert s3.get_object(Bucket=bucket, Key="copy/b copy.bin")["Body"].read() == files["sub dir/b ü.bin"]
    assert s3.get_object(Bucket=bucket, Key="moved/a+moved.txt")["Body"].read() == files["a.txt"]
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="mirror/a.txt")

    # sync again after local changes: uploads a.txt (moved away remotely) and the
    # changed file, deletes what is gone locally.
    (src / "sub dir" / "deep" / "c.bin").unlink()
    (src / "empty").write_bytes(b"not empty any more")
    s3cmd("sync", "--delete-removed", str(src) + "/", b + "/mirror/")
    want = {rel: (src / rel).read_bytes() for rel in ["a.txt", "sub dir/b ü.bin", "empty"]}
    files_ls, _ = ls(s3cmd, "--recursive", b + "/mirror/")
    assert files_ls == {b + "/mirror/" + rel: len(d) for rel, d in want.items()}
    for rel, d in want.items():
        assert s3.get_object(Bucket=bucket, Key="mirror/" + rel)["Body"].read() == d

    # sync down into an empty directory reproduces the tree.
    down = tmp_path / "down"
    down.mkdir()
    s3cmd("sync", b + "/mirror/", str(down) + "/")
    got = {os.path.relpath(os.path.join(dp, n), down): open(os.path.join(dp, n), "rb").read()
           for dp, _d, ns in os.walk(down) for n in ns}
    assert got == want


def test_s3cmd_signurl(s3cmd, s3, bucket):
    """s3cmd signurl makes a SigV2 query-string URL (AWSAccessKeyId/Expires/Signature)."""
    data = b"signed url body " * 100
    s3.put_object(Bucket=bucket, Key="signed/obj ü.txt", Body=data)
    url = s3cmd("signurl", "s3://%s/signed/obj ü.txt" % bucket, "+300").stdout.strip()
    assert "Signature=" in url and "Expires=" in url, url
    r = requests.get(url, timeout=30)
    assert r.status_code == 200, r.text
    assert r.content == data
    bad = re.sub(r"Signature=[^&]+", "Signature=AAAA", url)
    r = requests.get(bad, timeout=30)
    assert r.status_code == 403, r.text
    assert "<Code>SignatureDoesNotMatch</Code>" in r.text


def test_s3cmd_multipart_list_and_abort(s3cmd, s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="pending/file one")
    uid = up["UploadId"]
    out = s3cmd("multipart", "s3://%s" % bucket).stdout
    assert uid in out, out
    assert "s3://%s/pending/file one" % bucket in out, out
    s3cmd("abortmp", "s3://%s/pending/file one" % bucket, uid)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert uid not in s3cmd("multipart", "s3://%s" % bucket).stdout


def test_s3cmd_headers_and_modify(s3cmd, s3, bucket, tmp_path):
    (tmp_path / "page.html").write_bytes(b"<html>hi</html>")
    b = "s3://%s" % bucket
    s3cmd("put", "--mime-type=application/x-custom", "--add-header=Cache-Control:max-age=300",
          "--add-header=x-amz-meta-color:blue", tmp_path / "page.html", b + "/web/page.html")
    h = s3.head_object(Bucket=bucket, Key="web/page.html")
    assert h["ContentType"] == "application/x-custom"
    assert h["CacheControl"] == "max-age=300"
    assert h["Metadata"]["color"] == "blue"
    assert "s3cmd-attrs" in h["Metadata"]

    # modify = CopyObject onto itself with x-amz-metadata-directive: REPLACE.
    s3cmd("modify", "--add-header=Content-Disposition:attachment; filename=\"p.html\"",
          b + "/web/page.html")
    h2 = s3.head_object(Bucket=bucket, Key="web/page.html")
    assert h2["ContentDisposition"] == 'attachment; filename="p.html"'
    assert h2["ETag"] == h["ETag"]
    assert h2["ContentLength"] == len(b"<html>hi</html>")
    assert s3.get_object(Bucket=bucket, Key="web/page.html")["Body"].read() == b"<html>hi</html>"


def test_s3cmd_put_from_stdin(s3cmd, s3, bucket, tmp_path):
    """`s3cmd put - URI` streams stdin of unknown size: multipart in 15 MiB chunks."""
    data = random.Random(8).randbytes(20 * MiB + 11)
    (tmp_path / "in").write_bytes(data)
    with open(tmp_path / "in", "rb") as f:
        s3cmd("put", "-", "s3://%s/stdin/data.bin" % bucket, stdin=f)
    h = s3.head_object(Bucket=bucket, Key="stdin/data.bin")
    assert h["ContentLength"] == len(data)
    assert h["ETag"] == multipart_etag(data, 15 * MiB)
    assert s3.get_object(Bucket=bucket, Key="stdin/data.bin")["Body"].read() == data


def test_s3cmd_get_continue_uses_range(s3cmd, s3, bucket, tmp_path):
    data = random.Random(9).randbytes(3 * MiB + 7)
    s3.put_object(Bucket=bucket, Key="resume/file.bin", Body=data)
    part = tmp_path / "file.bin"
    part.write_bytes(data[:1234567])
    s3cmd("get", "--continue", "s3://%s/resume/file.bin" % bucket, part)
    assert part.read_bytes() == data


def test_s3cmd_ls_more_than_1000_keys(s3cmd, s3, bucket):
    """s3cmd pages through ListObjects itself; every key must come back once."""
    from concurrent.futures import ThreadPoolExecutor
    keys = ["many/k%04d ü" % i for i in range(1050)]
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))
    files, dirs = ls(s3cmd, "--recursive", "s3://%s" % bucket)
    assert dirs == []
    assert files == {"s3://%s/%s" % (bucket, k): len(k.encode()) for k in keys}
    du = s3cmd("du", "s3://%s" % bucket).stdout.split()
    assert du[:3] == [str(sum(len(k.encode()) for k in keys)), "1050", "objects"]
    # del --recursive uses DeleteObjects (Content-MD5, batches of 1000).
    s3cmd("del", "--recursive", "--force", "s3://%s/many/" % bucket)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
