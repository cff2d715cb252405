#!/usr/bin/env python3
"""pail power-loss test: proves fsync ordering, since SIGKILL keeps the page cache.

1. Builds tests/powerloss/fsrecord.c (an LD_PRELOAD shim) and runs pail under
   it: every open/write/truncate/fsync/rename/unlink/mkdir/close/copy under the
   recorded directory goes to WORK/fs.log with a global sequence number and a
   CLOCK_MONOTONIC time. The recorded directory is the *parent* of pail's
   --data, so the creation of the data directory itself is recorded too.
2. Drives a short mixed load from a few threads (PUTs of 0 B - 2 MiB, some
   with x-amz-acl public-read, PutObjectAcl, overwrites, deletes,
   multi-object deletes, copies, multipart uploads with a re-uploaded part,
   an UploadPartCopy, an aborted upload and an upload left open across a
   restart) and one access thread (IAM users, access keys created /
   made Inactive / deleted, inline policies, attached managed policies,
   DeleteUser; the policy, ACL, Block Public Access and ownership of a
   bucket of its own), writing each
   operation's start/end time and result to WORK/acks.jsonl. Scenario
   "restart" (the default) runs three pail processes on the same files:
     run 0: killed (SIGKILL from the shim) right after it creates data/objects,
            i.e. a crash during the very first start;
     run 1: load, then SIGKILL (page cache kept, like any process crash);
     run 2: more load (finishing the open upload), then SIGTERM.
   A burst of tiny PUT/DELETEs in the last run makes SQLite checkpoint while
   the others write. Scenario "basic" is one process with load and SIGTERM.
3. Replays the log (replay.py) at a few hundred cut points, rebuilding the
   directory as a power cut there would leave it, starting pail on each and
   checking every acknowledged write/delete, object ACL, IAM change and
   bucket setting, and that what IAM and the settings read is in force (keys
   authenticate or are refused, policies allow or deny, anonymous requests
   get 200 or 403); then harness self-checks: the same log with the blob
   directory fsyncs removed must show lost writes, and with the WAL's
   fdatasyncs removed lost IAM changes or bucket settings.

Prints "cut points tried: N, writes lost: M"; exits 1 if anything was lost or
pail failed to start/stop cleanly or meta.db failed integrity_check, 2 if the
harness itself failed. The CI defaults (3 threads x 16 ops per run, the
access thread 32, 300 cut points) take about 3 minutes on 2 CPUs; --long is a bigger run (more load,
2000 cut points, more of them prefix-mode); --cuts (0: every point just before
an fsync), --ops, --threads, --users (0: no access thread), --burst, --seed
tune it.

Run with the image's python3 (it has boto3):
    python3 tests/powerloss/powerloss_test.py [--pail build/release/pail] [--long]
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import replay  # noqa: E402
ca = replay.ca  # tests/crash/crash_access.py: access-control model and checks, shared

for _v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_v, None)
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

BUCKET = "powerloss"
CONF_BUCKET = replay.CONF_BUCKET  # its policy, ACL, Block Public Access and ownership change
MIB = 1 << 20
PART = 5 * MIB


def now():
    return time.monotonic_ns()  # CLOCK_MONOTONIC, like the shim


# ------------------------------------------------------------ the recorder
def build_shim(work):
    out = os.path.join(work, "fsrecord.so")
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-O2", "-Wall", "-Wextra", "-shared", "-fPIC", "-o", out,
           os.path.join(HERE, "fsrecord.c"), "-ldl", "-lpthread"]
    subprocess.run(cmd, check=True)
    return out


class Recorded:
    """A pail process under the shim."""

    def __init__(self, args, shim, rec_root, log, n):
        self.args, self.shim, self.rec_root, self.log, self.n = args, shim, rec_root, log, n
        self.proc = None
        self.port = None
        self.out = os.path.join(args.work, "pail-run%d.log" % n)

    def start(self, kill_on=None, expect_serving=True):
        env = dict(os.environ)
        env.update(LD_PRELOAD=self.shim, PAIL_FSREC_DIR=self.rec_root, PAIL_FSREC_LOG=self.log,
                   PAIL_ROOT_ACCESS_KEY=replay.ACCESS_KEY, PAIL_ROOT_SECRET_KEY=replay.SECRET_KEY,
                   # checkpoint every 200 WAL pages (pail's default: 8,000), so
                   # that this short load checkpoints while serving
                   PAIL_SQLITE_CHECKPOINT_PAGES="200")
        if kill_on:
            env["PAIL_FSREC_KILL_ON"] = kill_on
        self.port = replay.free_port()
        with open(self.out, "ab") as f:
            self.proc = subprocess.Popen(
                [self.args.pail, "serve", "--listen", "127.0.0.1:%d" % self.port,
                 "--data", os.path.join(self.rec_root, "data")],
                stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if expect_serving:
                    raise RuntimeError("recorded pail run %d exited with %s:\n%s"
                                       % (self.n, self.proc.returncode, self.tail()))
                return self
            if expect_serving:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    return self
                except OSError:
                    pass
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError("recorded pail run %d did not %s in 20 s:\n%s"
                           % (self.n, "start" if expect_serving else "die", self.tail()))

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self, sig):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "hung"

    def tail(self):
        try:
            with open(self.out, "rb") as f:
                return f.read().decode("utf-8", "replace")[-3000:]
        except OSError:
            return ""


# ------------------------------------------------------------ the load
class AckLog:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.f = open(path, "w")
        self.n_ok = 0
        self.n_acl = 0  # acknowledged object ACL changes (PutObjectAcl, x-amz-acl on PutObject)
        self.errors = []

    def add(self, kind, start, ok, **kw):
        end = now()
        d = {"kind": kind, "start": start, "end": end, "ok": ok}
        d.update(kw)
        with self.lock:
            self.f.write(json.dumps(d, sort_keys=True) + "\n")
            self.f.flush()
            if ok:
                self.n_ok += 1
                if kind == "put_acl" or (kind == "put" and kw["state"].get("acl") != "private"):
                    self.n_acl += 1
        return d

    def error(self, what, e):
        with self.lock:
            self.errors.append("%s: %s" % (what, e))

    def close(self):
        self.f.close()


def client(endpoint, service="s3"):
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, aws_access_key_id=replay.ACCESS_KEY,
        aws_secret_access_key=replay.SECRET_KEY, region_name=replay.REGION,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=120,
                      s3={"addressing_style": "path"}))


def present(etag, body_md5, size, acl="private"):
    return {"present": True, "etag": etag, "md5": body_md5, "size": size, "acl": acl}


ABSENT = {"present": False}


def rand_size(rng, max_size):
    r = rng.random()
    if r < 0.08:
        return 0
    if r < 0.40:
        return rng.randint(1, 4096)
    if r < 0.75:
        return rng.randint(4097, min(256 << 10, max_size))
    if r < 0.95:
        return rng.randint(min(256 << 10, max_size), max_size)
    return max_size


class Worker:
    """One load thread; owns its keys, so the operations on a key are
    sequential and the replay knows exactly which states are allowed."""

    def __init__(self, idx, seed, acks, max_size):
        self.idx = idx
        self.rng = random.Random(seed * 1000 + idx)
        self.acks = acks
        self.max_size = max_size
        self.keys = ["t%d/k%02d" % (idx, j) for j in range(6)]
        self.known = {}       # key -> (etag, md5, size) as this thread last made it
        self.acls = {}        # key -> canned ACL, for the keys in known
        self.bodies = {}      # key -> bytes, for the keys in known
        self.open_upload = None

    def put(self, c, key, size=None):
        size = rand_size(self.rng, self.max_size) if size is None else size
        body = self.rng.randbytes(size)
        md5 = hashlib.md5(body).hexdigest()
        acl = "public-read" if self.rng.random() < 0.2 else "private"
        kw = {"ACL": acl} if acl != "private" else {}
        start = now()
        try:
            r = c.put_object(Bucket=BUCKET, Key=key, Body=body, **kw)
            etag = r["ETag"]
            if etag != '"%s"' % md5:
                self.acks.error("put %s" % key, "ETag %s != md5 %s" % (etag, md5))
            self.acks.add("put", start, True, bucket=BUCKET, key=key,
                          state=present(etag, md5, size, acl))
            self.known[key] = (etag, md5, size)
            self.acls[key] = acl
            self.bodies[key] = body
        except (ClientError, BotoCoreError) as e:
            self.acks.add("put", start, False, bucket=BUCKET, key=key,
                          state=present('"%s"' % md5, md5, size, acl))
            self.acks.error("put %s" % key, e)
            self.known.pop(key, None)  # unknown now: do not copy from it

    def delete(self, c, key):
        start = now()
        try:
            c.delete_object(Bucket=BUCKET, Key=key)
            self.acks.add("delete", start, True, bucket=BUCKET, key=key, state=ABSENT)
        except (ClientError, BotoCoreError) as e:
            self.acks.add("delete", start, False, bucket=BUCKET, key=key, state=ABSENT)
            self.acks.error("delete %s" % key, e)
        self.known.pop(key, None)

    def delete_many(self, c, keys):
        start = now()
        try:
            r = c.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
            done = {d["Key"] for d in r.get("Deleted", [])}
            for k in keys:
                self.acks.add("delete", start, k in done, bucket=BUCKET, key=k, state=ABSENT)
                if k not in done:
                    self.acks.error("delete_objects %s" % k, r.get("Errors"))
        except (ClientError, BotoCoreError) as e:
            for k in keys:
                self.acks.add("delete", start, False, bucket=BUCKET, key=k, state=ABSENT)
            self.acks.error("delete_objects", e)
        for k in keys:
            self.known.pop(k, None)

    def copy(self, c, src, dst):
        etag_src, md5, size = self.known[src]
        start = now()
        try:
            r = c.copy_object(Bucket=BUCKET, Key=dst, CopySource={"Bucket": BUCKET, "Key": src})
            etag = r["CopyObjectResult"]["ETag"]
            self.acks.add("copy", start, True, bucket=BUCKET, key=dst, src=src,
                          state=present(etag, md5, size))
            self.known[dst] = (etag, md5, size)
            self.acls[dst] = "private"  # a copy gets the default ACL, not the source's
            self.bodies[dst] = self.bodies[src]
        except (ClientError, BotoCoreError) as e:
            self.acks.add("copy", start, False, bucket=BUCKET, key=dst, src=src,
                          state=present('"%s"' % md5, md5, size))
            self.acks.error("copy %s -> %s" % (src, dst), e)
            self.known.pop(dst, None)

    def put_acl(self, c, key):
        """PutObjectAcl (canned) of one of our objects: its state with the other ACL."""
        etag, md5, size = self.known[key]
        acl = "private" if self.acls.get(key) == "public-read" else "public-read"
        start = now()
        try:
            c.put_object_acl(Bucket=BUCKET, Key=key, ACL=acl)
            self.acks.add("put_acl", start, True, bucket=BUCKET, key=key,
                          state=present(etag, md5, size, acl))
            self.acls[key] = acl
        except (ClientError, BotoCoreError) as e:
            self.acks.add("put_acl", start, False, bucket=BUCKET, key=key,
                          state=present(etag, md5, size, acl))
            self.acks.error("put_object_acl %s" % key, e)
            self.known.pop(key, None)

    # multipart: create, parts (one re-uploaded), complete
    def mp_create(self, c, key):
        start = now()
        try:
            r = c.create_multipart_upload(Bucket=BUCKET, Key=key)
            uid = r["UploadId"]
            self.acks.add("create_upload", start, True, bucket=BUCKET, key=key, upload_id=uid)
            return {"key": key, "id": uid, "parts": {}}
        except (ClientError, BotoCoreError) as e:
            self.acks.add("create_upload", start, False, bucket=BUCKET, key=key, upload_id=None)
            self.acks.error("create_multipart_upload %s" % key, e)
            return None

    def mp_part(self, c, up, pn, size):
        body = self.rng.randbytes(size)
        start = now()
        try:
            r = c.upload_part(Bucket=BUCKET, Key=up["key"], UploadId=up["id"], PartNumber=pn,
                              Body=body)
            self.acks.add("upload_part", start, True, bucket=BUCKET, upload_id=up["id"],
                          part=pn, etag=r["ETag"])
            up["parts"][pn] = (r["ETag"], body)
        except (ClientError, BotoCoreError) as e:
            self.acks.add("upload_part", start, False, bucket=BUCKET, upload_id=up["id"],
                          part=pn, etag='"%s"' % hashlib.md5(body).hexdigest())
            self.acks.error("upload_part %s %d" % (up["key"], pn), e)
            up["failed"] = True

    def mp_part_copy(self, c, up, pn, src):
        """UploadPartCopy of the whole of one of our objects."""
        body = self.bodies[src]
        start = now()
        try:
            r = c.upload_part_copy(Bucket=BUCKET, Key=up["key"], UploadId=up["id"], PartNumber=pn,
                                   CopySource={"Bucket": BUCKET, "Key": src})
            etag = r["CopyPartResult"]["ETag"]
            self.acks.add("upload_part", start, True, bucket=BUCKET, upload_id=up["id"],
                          part=pn, etag=etag, copy_of=src)
            up["parts"][pn] = (etag, body)
        except (ClientError, BotoCoreError) as e:
            self.acks.add("upload_part", start, False, bucket=BUCKET, upload_id=up["id"],
                          part=pn, etag='"%s"' % hashlib.md5(body).hexdigest(), copy_of=src)
            self.acks.error("upload_part_copy %s %d" % (up["key"], pn), e)
            up["failed"] = True

    def mp_abort(self, c, up):
        start = now()
        try:
            c.abort_multipart_upload(Bucket=BUCKET, Key=up["key"], UploadId=up["id"])
            self.acks.add("abort", start, True, bucket=BUCKET, key=up["key"], upload_id=up["id"])
        except (ClientError, BotoCoreError) as e:
            self.acks.add("abort", start, False, bucket=BUCKET, key=up["key"], upload_id=up["id"])
            self.acks.error("abort %s" % up["key"], e)

    def mp_complete(self, c, up):
        if up.get("failed"):
            return
        pns = sorted(up["parts"])
        whole = b"".join(up["parts"][pn][1] for pn in pns)
        md5 = hashlib.md5(whole).hexdigest()
        start = now()
        try:
            r = c.complete_multipart_upload(
                Bucket=BUCKET, Key=up["key"], UploadId=up["id"],
                MultipartUpload={"Parts": [{"PartNumber": pn, "ETag": up["parts"][pn][0]}
                                           for pn in pns]})
            self.acks.add("complete", start, True, bucket=BUCKET, key=up["key"],
                          upload_id=up["id"], state=present(r["ETag"], md5, len(whole)))
            self.known[up["key"]] = (r["ETag"], md5, len(whole))
            self.acls[up["key"]] = "private"
            self.bodies[up["key"]] = whole
        except (ClientError, BotoCoreError) as e:
            self.acks.add("complete", start, False, bucket=BUCKET, key=up["key"],
                          upload_id=up["id"], state=present("?", md5, len(whole)))
            self.acks.error("complete %s" % up["key"], e)

    def run(self, endpoint, n_ops, phase):
        c = client(endpoint)
        rng = self.rng
        mp_at = rng.randint(0, max(0, n_ops - 1)) if self.idx == 0 else -1
        for i in range(n_ops):
            if i == mp_at:
                self.multipart(c, phase)
            r = rng.random()
            key = rng.choice(self.keys)
            if r < 0.45:
                self.put(c, key)
            elif r < 0.50:
                self.put(c, key, rng.choice([0, self.max_size]))
            elif r < 0.65:
                self.delete(c, key)
            elif r < 0.72:
                self.delete_many(c, rng.sample(self.keys, 2))
            elif r < 0.80 and key in self.known:
                self.put_acl(c, key)
            else:
                srcs = [k for k in self.keys if k in self.known]
                if not srcs:
                    self.put(c, key)
                    continue
                src = rng.choice(srcs)
                dst = rng.choice([k for k in self.keys if k != src])
                self.copy(c, src, dst)

    def multipart(self, c, phase):
        if phase == 1:
            # one upload completed now (with part 2 uploaded twice) ...
            up = self.mp_create(c, "t%d/mp-a" % self.idx)
            if up:
                self.mp_part(c, up, 1, PART)
                self.mp_part(c, up, 2, self.rng.randint(1, MIB))
                self.mp_part(c, up, 2, self.rng.randint(1, MIB))
                self.mp_complete(c, up)
            # ... one aborted ...
            up = self.mp_create(c, "t%d/mp-c" % self.idx)
            if up:
                self.mp_part(c, up, 1, self.rng.randint(1, MIB))
                self.mp_abort(c, up)
            # ... and one left open across the restart
            self.open_upload = self.mp_create(c, "t%d/mp-b" % self.idx)
            if self.open_upload:
                self.mp_part(c, self.open_upload, 1, PART)
        else:
            up = self.open_upload
            if up is None:
                up = self.mp_create(c, "t%d/mp-b" % self.idx)
                if up:
                    self.mp_part(c, up, 1, PART)
            if up:
                srcs = [k for k in self.keys if self.known.get(k, (0, 0, 0))[2] > 0]
                if srcs:  # the last part copied from an object (UploadPartCopy)
                    self.mp_part_copy(c, up, 2, self.rng.choice(srcs))
                else:
                    self.mp_part(c, up, 2, self.rng.randint(0, MIB))
                self.mp_complete(c, up)
            self.open_upload = None


class AccessWorker:
    """IAM and bucket-settings changes, one at a time from one thread (so each
    register's order is known): users pl-u0.. (CreateUser, access keys
    created / set Inactive or Active / deleted, inline policies put and
    deleted, managed policies attached and detached, now and then everything
    removed and DeleteUser), and the settings of CONF_BUCKET (bucket policy,
    canned ACL, Block Public Access, Object Ownership). Each change is one
    "access" record naming the register it sets and the value; a change pail
    must refuse is sent too and, refused as it must be, recorded as
    "refused" (it changed nothing). Phase 1 first creates the customer managed
    policies, CONF_BUCKET and its private probe object."""

    def __init__(self, seed, acks, n_users=3):
        self.rng = random.Random(seed * 1000 + 77)
        self.acks = acks
        self.users = {"pl-u%d" % i: ca.USER_ABSENT for i in range(n_users)}
        self.conf = ca.CONF_DEFAULT
        self.acct = None
        self.ver = 0
        self.broken = False  # a change failed: the state is unknown, stop changing
        self.counts = {"iam": 0, "conf": 0, "refused": 0}

    def _rec(self, start, ok, reg, value, op, **kw):
        self.acks.add("access", start, ok, reg=list(reg), value=value, op=op, **kw)

    def change(self, op, reg, value, call, area):
        start = now()
        try:
            r = call()
        except (ClientError, BotoCoreError) as e:
            self._rec(start, False, reg, value, op)
            self.acks.error("%s %s" % (op, "/".join(reg)), e)
            self.broken = True
            return None
        self._rec(start, True, reg, value, op)
        self.counts[area] += 1
        return r

    def refused(self, op, call, want):
        start = now()
        try:
            call()
        except ClientError as e:
            if (ca.status_of(e), ca.code_of(e)) == want:
                self.acks.add("refused", start, False, op=op, want="%d %s" % want)
                self.counts["refused"] += 1
                return
            self.acks.error(op, e)
            self.broken = True
            return
        except BotoCoreError as e:
            self.acks.error(op, e)
            self.broken = True
            return
        self.acks.error(op, "acknowledged; pail must refuse it with %d %s" % want)
        self.broken = True

    def setup(self, iam, s3, sts):
        self.acct = sts.get_caller_identity()["Account"]
        for name, doc in replay.managed_docs().items():
            self.change("CreatePolicy", ("mpolicy", name), True,
                        lambda: iam.create_policy(PolicyName=name,
                                                  PolicyDocument=json.dumps(doc)), "iam")
        start = now()
        s3.create_bucket(Bucket=CONF_BUCKET)
        self.acks.add("create_bucket", start, True, bucket=CONF_BUCKET)
        start = now()
        r = s3.put_object(Bucket=CONF_BUCKET, Key=ca.PROBE_KEY, Body=b"probe")
        self.acks.add("put", start, True, bucket=CONF_BUCKET, key=ca.PROBE_KEY,
                      state=present(r["ETag"], hashlib.md5(b"probe").hexdigest(), 5))

    def run(self, endpoint, n_ops, phase):
        iam, s3 = client(endpoint, "iam"), client(endpoint)
        if phase == 1:
            self.setup(iam, s3, client(endpoint, "sts"))
        for _ in range(2 * n_ops):  # cheap metadata-only changes: twice an object thread's
            if self.broken:
                return
            if self.rng.random() < 0.65:
                name = self.rng.choice(sorted(self.users))
                if self.users[name].exists and self.rng.random() < 0.08:
                    self.retire(iam, name)
                else:
                    self.iam_step(iam, name)
            else:
                self.conf_step(s3)

    # -- IAM
    def set_user(self, name, **kw):
        self.users[name] = self.users[name]._replace(**kw)

    def iam_step(self, iam, name):
        st, rng = self.users[name], self.rng
        if not st.exists:
            if self.change("CreateUser", ("user", name), True,
                           lambda: iam.create_user(UserName=name), "iam") is not None:
                self.set_user(name, exists=True)
            return
        opts = [("put", 3)]
        if len(st.keys) < 2:
            opts.append(("key", 3))
        if st.keys:
            opts += [("update", 2.5), ("delkey", 1.5)]
        if st.inline:
            opts.append(("delpol", 1.5))
        if len(st.attached) < len(replay.ATTACHABLE):
            opts.append(("attach", 2))
        if st.attached:
            opts.append(("detach", 1.5))
        r = rng.uniform(0, sum(w for _, w in opts))
        for what, w in opts:
            r -= w
            if r <= 0:
                break
        if what == "key":
            self.create_key(iam, name)
        elif what == "update":
            kid, status = rng.choice(sorted(st.keys))
            to = "Inactive" if status == "Active" else "Active"
            if self.change("UpdateAccessKey", ("key", kid), to, lambda: iam.update_access_key(
                    UserName=name, AccessKeyId=kid, Status=to), "iam") is not None:
                self.set_user(name, keys=(st.keys - {(kid, status)}) | {(kid, to)})
        elif what == "delkey":
            self.delete_key(iam, name, *rng.choice(sorted(st.keys)))
        elif what == "put":
            pname = rng.choice(["list", "misc"])
            self.ver += 1
            doc = ca.inline_doc(rng.choice(["s3:ListBucket", "s3:GetBucketAcl"]), BUCKET, self.ver)
            if self.change("PutUserPolicy", ("inline", name, pname), doc, lambda: iam.put_user_policy(
                    UserName=name, PolicyName=pname, PolicyDocument=doc), "iam") is not None:
                self.set_user(name, inline=frozenset(x for x in st.inline if x[0] != pname) |
                              {(pname, doc)})
        elif what == "delpol":
            self.delete_inline(iam, name, *rng.choice(sorted(st.inline)))
        elif what == "attach":
            pol = rng.choice([p for p in replay.ATTACHABLE if p not in st.attached])
            arn = replay.policy_arn(self.acct, pol)
            if self.change("AttachUserPolicy", ("attached", name, pol), True,
                           lambda: iam.attach_user_policy(UserName=name, PolicyArn=arn),
                           "iam") is not None:
                self.set_user(name, attached=st.attached | {pol})
        else:
            self.detach(iam, name, rng.choice(sorted(st.attached)))

    def create_key(self, iam, name):
        start = now()
        try:
            ak = iam.create_access_key(UserName=name)["AccessKey"]
        except (ClientError, BotoCoreError) as e:
            self._rec(start, False, ("newkey", name), "Active", "CreateAccessKey")
            self.acks.error("CreateAccessKey %s" % name, e)
            self.broken = True
            return
        kid = ak["AccessKeyId"]
        self._rec(start, True, ("key", kid), "Active", "CreateAccessKey", user=name,
                  secret=ak["SecretAccessKey"])
        self.counts["iam"] += 1
        self.set_user(name, keys=self.users[name].keys | {(kid, "Active")})

    def delete_key(self, iam, name, kid, status):
        if self.change("DeleteAccessKey", ("key", kid), None, lambda: iam.delete_access_key(
                UserName=name, AccessKeyId=kid), "iam") is None:
            return False
        self.set_user(name, keys=self.users[name].keys - {(kid, status)})
        return True

    def delete_inline(self, iam, name, pname, doc):
        if self.change("DeleteUserPolicy", ("inline", name, pname), None,
                       lambda: iam.delete_user_policy(UserName=name, PolicyName=pname),
                       "iam") is None:
            return False
        self.set_user(name, inline=self.users[name].inline - {(pname, doc)})
        return True

    def detach(self, iam, name, pol):
        arn = replay.policy_arn(self.acct, pol)
        if self.change("DetachUserPolicy", ("attached", name, pol), None,
                       lambda: iam.detach_user_policy(UserName=name, PolicyArn=arn),
                       "iam") is None:
            return False
        self.set_user(name, attached=self.users[name].attached - {pol})
        return True

    def retire(self, iam, name):
        while not self.broken:
            st = self.users[name]
            if st.keys:
                ok = self.delete_key(iam, name, *sorted(st.keys)[0])
            elif st.inline:
                ok = self.delete_inline(iam, name, *sorted(st.inline)[0])
            elif st.attached:
                ok = self.detach(iam, name, sorted(st.attached)[0])
            else:
                if self.change("DeleteUser", ("user", name), None,
                               lambda: iam.delete_user(UserName=name), "iam") is not None:
                    self.users[name] = ca.USER_ABSENT
                return
            if not ok:
                return

    # -- bucket settings
    def conf_step(self, s3):
        st, rng, b = self.conf, self.rng, CONF_BUCKET
        what = rng.choice(["policy", "policy", "delpolicy", "acl", "acl", "pab", "delpab",
                           "own", "delown"])
        refuse = None
        if what == "policy":
            kind = rng.choice(["get", "list", "acct"])
            self.ver += 1
            doc = ca.policy_doc(kind, b, self.acct, self.ver)
            field, value, refuse = "policy", doc, ca.refusal(st, "policy", kind)
            op, call = "PutBucketPolicy", lambda: s3.put_bucket_policy(Bucket=b, Policy=doc)
        elif what == "delpolicy":
            field, value = "policy", None
            op, call = "DeleteBucketPolicy", lambda: s3.delete_bucket_policy(Bucket=b)
        elif what == "acl":
            acl = rng.choice(["public-read", "private"])
            field, value, refuse = "acl", acl, ca.refusal(st, "acl", acl)
            op, call = "PutBucketAcl", lambda: s3.put_bucket_acl(Bucket=b, ACL=acl)
        elif what == "pab":
            flags = "".join("1" if rng.random() < 0.35 else "0" for _ in ca.PAB_FIELDS)
            field, value = "pab", flags
            op, call = "PutPublicAccessBlock", lambda: s3.put_public_access_block(
                Bucket=b, PublicAccessBlockConfiguration={
                    f: flags[i] == "1" for i, f in enumerate(ca.PAB_FIELDS)})
        elif what == "delpab":
            field, value = "pab", None
            op, call = "DeletePublicAccessBlock", lambda: s3.delete_public_access_block(Bucket=b)
        elif what == "own":
            own = rng.choice(ca.OWNERSHIPS)
            field, value, refuse = "own", own, ca.refusal(st, "own", own)
            op, call = "PutBucketOwnershipControls", lambda: s3.put_bucket_ownership_controls(
                Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": own}]})
        else:
            field, value = "own", None
            op, call = "DeleteBucketOwnershipControls", \
                lambda: s3.delete_bucket_ownership_controls(Bucket=b)
        if refuse:
            self.refused(op, call, refuse)
        elif self.change(op, ("conf", b, field), value, call, "conf") is not None:
            self.conf = st._replace(**{field: value})


class BurstWorker(Worker):
    """Many small metadata-only changes (tiny PUTs and DELETEs on its own ten
    keys): enough WAL frames that SQLite checkpoints (every 200 pages here) while
    the other threads write, so cuts land in and around a checkpoint."""

    def __init__(self, idx, seed, acks):
        super().__init__(idx, seed, acks, 64)
        self.keys = ["burst/k%02d" % j for j in range(10)]

    def run(self, endpoint, n_ops, phase):
        c = client(endpoint)
        for _ in range(n_ops):
            key = self.rng.choice(self.keys)
            if self.rng.random() < 0.6:
                self.put(c, key, self.rng.randint(0, 64))
            else:
                self.delete(c, key)


def run_load(endpoint, workers, n_ops, phase, burst=None):
    threads = [threading.Thread(target=w.run, args=(endpoint, n_ops, phase)) for w in workers]
    if burst:
        threads.append(threading.Thread(target=burst[0].run, args=(endpoint, burst[1], phase)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
        if t.is_alive():
            raise RuntimeError("a load thread is stuck")


def create_bucket(endpoint, acks):
    c = client(endpoint)
    start = now()
    try:
        c.create_bucket(Bucket=BUCKET)
        acks.add("create_bucket", start, True, bucket=BUCKET)
    except (ClientError, BotoCoreError) as e:
        acks.add("create_bucket", start, False, bucket=BUCKET)
        raise RuntimeError("CreateBucket failed: %s" % e)


def record(args, shim):
    """Runs the recorded scenario; returns (log path, acks path, AckLog)."""
    rec_root = os.path.join(args.work, "rec")
    os.makedirs(rec_root)
    log = os.path.join(args.work, "fs.log")
    acks = AckLog(os.path.join(args.work, "acks.jsonl"))
    workers = [Worker(i, args.seed, acks, args.max_size) for i in range(args.threads)]
    access = AccessWorker(args.seed, acks, args.users) if args.users else None
    if access:
        workers.append(access)
    n = 0
    if args.scenario == "restart":
        p = Recorded(args, shim, rec_root, log, n).start(kill_on="MKDIR data/objects",
                                                         expect_serving=False)
        if p.proc.returncode != -signal.SIGKILL:
            raise RuntimeError("run 0 was meant to be killed by the shim; exit %s:\n%s"
                               % (p.proc.returncode, p.tail()))
        print("run 0: killed right after mkdir data/objects (as planned)")
        n += 1
    p = Recorded(args, shim, rec_root, log, n).start()
    create_bucket(p.endpoint, acks)
    t0 = time.monotonic()
    burst = (BurstWorker(99, args.seed, acks), args.burst) if args.burst else None
    run_load(p.endpoint, workers, args.ops, 1, burst if args.scenario == "basic" else None)
    if args.scenario == "restart":
        time.sleep(0.5)  # let post-response blob removals finish: nothing in flight at the kill
        code = p.stop(signal.SIGKILL)
        print("run %d: %d threads x %d ops in %.1f s, then SIGKILL (%s)"
              % (n, args.threads, args.ops, time.monotonic() - t0, code))
        n += 1
        p = Recorded(args, shim, rec_root, log, n).start()
        t0 = time.monotonic()
        run_load(p.endpoint, workers, args.ops, 2, burst)
    code = p.stop(signal.SIGTERM)
    print("run %d: %d threads x %d ops in %.1f s, then SIGTERM (exit %s)"
          % (n, args.threads, args.ops, time.monotonic() - t0, code))
    acks.close()
    if code != 0:
        raise RuntimeError("recorded pail did not stop cleanly (%s):\n%s" % (code, p.tail()))
    acks.access = access.counts if access else {"iam": 0, "conf": 0, "refused": 0}
    return log, acks.path, acks


def checkpoints(log):
    """(checkpoints while requests were served, at a clean shutdown): an
    fsync of meta.db itself other than the one before the WAL is deleted."""
    recs = replay.read_log(log)
    during = at_close = 0
    for i, r in enumerate(recs):
        if r.op == "FSYNC" and r.path().endswith("/meta.db"):
            after = recs[i + 1:i + 4]
            if any(x.op == "UNLINK" and x.path().endswith("meta.db-wal") for x in after):
                at_close += 1
            elif any(x.op == "WRITE" and x.path().endswith("meta.db-wal") for x in recs[:i]):
                during += 1
    return during, at_close


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pail", default=os.environ.get("PAIL_BIN") or os.path.normpath(
        os.path.join(HERE, "..", "..", "build", "release", "pail")))
    ap.add_argument("--work", help="working directory (default: a new one under /tmp; "
                    "kept on failure or with --keep)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--scenario", choices=["restart", "basic"], default="restart")
    ap.add_argument("--threads", type=int, default=3)
    ap.add_argument("--ops", type=int, default=16, help="operations per thread per run")
    ap.add_argument("--max-size", type=int, default=2 * MIB)
    ap.add_argument("--users", type=int, default=3,
                    help="IAM users the access thread changes (0: no IAM / bucket-settings thread)")
    ap.add_argument("--burst", type=int, default=800,
                    help="tiny PUT/DELETEs in the last run, to make SQLite checkpoint (0: none)")
    ap.add_argument("--no-self-check", action="store_true",
                    help="skip the harness self-check (mutated log must show losses)")
    ap.add_argument("--long", action="store_true",
                    help="longer run (~20 min on 2 CPUs): 4 threads x 60 ops per run, 2000 cut "
                    "points, 40%% of them prefix-mode (--cuts 0: every just-before-an-fsync "
                    "point, slower still)")
    replay.add_args(ap)
    args = ap.parse_args(argv)
    if args.long:
        args.threads, args.ops = max(args.threads, 4), max(args.ops, 60)
        if args.cuts == 300:
            args.cuts = 2000
        args.prefix_share = max(args.prefix_share, 0.4)
    if not os.access(args.pail, os.X_OK):
        print("no pail binary at %s (make build/release/pail, or --pail)" % args.pail)
        return 2
    args.pail = os.path.abspath(args.pail)
    own_work = args.work is None
    if own_work:
        args.work = tempfile.mkdtemp(prefix="pail-powerloss-")
    else:
        os.makedirs(args.work, exist_ok=True)
    own_scratch = args.scratch is None
    if own_scratch:
        args.scratch = replay.default_scratch()
    ok = False
    try:
        # A private copy: other people rebuild build/release/pail meanwhile.
        for _ in range(50):
            try:
                shutil.copy2(args.pail, os.path.join(args.work, "pail"))
                break
            except OSError:
                time.sleep(0.2)
        args.pail = os.path.join(args.work, "pail")
        shim = build_shim(args.work)
        log, acks_path, acks = record(args, shim)
        for e in acks.errors:
            print("load error: %s" % e)
        print("recorded %d acknowledged operations (IAM changes %d, bucket settings %d, "
              "object ACLs %d; refused as they must be %d); log %s"
              % (acks.n_ok, acks.access["iam"], acks.access["conf"], acks.n_acl,
                 acks.access["refused"], log))
        ckpt = checkpoints(log)
        print("SQLite checkpoints while serving: %d; at shutdown: %d" % ckpt)
        args.log, args.acks = log, acks_path
        res = replay.replay(args)
        replay.summarize(res, max_reports=args.max_reports)
        self_ok = True
        if not args.no_self_check:
            chk = argparse.Namespace(**vars(args))
            chk.mutate, chk.cuts, chk.prefix_share, chk.max_reports = "no-dir-fsync", 24, 0.0, 0
            chk.keep_failures, chk.progress = False, 0
            sres = replay.replay(chk, log=lambda *a: None)
            self_ok = sres.lost > 0
            print("harness self-check (blob directory fsyncs removed from the log): "
                  "%d cuts, %d losses detected -> %s"
                  % (sres.cuts, sres.lost, "ok" if self_ok else "HARNESS IS BLIND"))
            if acks.access["iam"] or acks.access["conf"]:
                # the access checks too: without the WAL's fdatasyncs, acknowledged
                # IAM changes and bucket settings must be seen lost
                chk.mutate, chk.cuts, chk.near_checkpoints = "no-wal-fsync", 30, False
                sres = replay.replay(chk, log=lambda *a: None)
                seen = sum(n for t, n in sres.by_type.items()
                           if t in ("lost-iam", "lost-setting", "phantom-iam", "phantom-setting"))
                self_ok = self_ok and seen > 0
                print("harness self-check (WAL fdatasyncs removed from the log): %d cuts, %d "
                      "losses detected, %d of them IAM or bucket settings -> %s"
                      % (sres.cuts, sres.lost, seen, "ok" if seen else "HARNESS IS BLIND"))
        print("cut points tried: %d, writes lost: %d" % (res.cuts, res.lost))
        if acks.errors:
            print("FAIL: %d load requests failed while recording" % len(acks.errors))
        if not self_ok:
            return 2
        ok = not res.failed and not acks.errors
        return 0 if ok else 1
    except replay.LogError as e:
        print("harness error: %s" % e)
        return 2
    finally:
        if own_scratch and not args.keep_failures:
            shutil.rmtree(args.scratch, ignore_errors=True)
        if own_work and ok and not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
        elif own_work or args.keep:
            print("work directory kept: %s" % args.work)


if __name__ == "__main__":
    sys.exit(main())
