#!/usr/bin/env python3
"""Replays an fsrecord log (tests/powerloss/fsrecord.c) at many power-cut points.

For each cut point k (the first k records happened, record k+1 did not) the
directory is rebuilt as a power cut at that moment could leave it, under a
conservative, ext4-strict model:

  * a file's contents survive only as they were when the last fsync/fdatasync
    of that file *started* (the record's snap=); later writes, truncates and
    fallocates are lost;
  * a directory entry (create, rename, unlink, mkdir, rmdir) survives only if
    the directory holding it was fsync'd after it (snap= again): a new name
    persists only after its parent's fsync, a removed one comes back unless
    the parent was synced; a rename is a removal in one directory and an
    addition in the other, each needing its own directory's fsync;
  * nothing else is durable (close, and a file's own fsync, do not persist its
    name).

Mode "prefix" is the variant where, for each file and directory, a random
prefix of its un-synced operations also survived.

pail is then started on the rebuilt directory and checked against the
acknowledgements the load generator recorded (acks.jsonl, CLOCK_MONOTONIC ns):
an ack with end < t(record k+1) depended only on records <= k, so every such
acknowledged write must be there, whole (bytes, size, ETag, canned ACL),
every such acknowledged delete must be gone, and operations that had not
started before the cut must have left no trace. "access" records (IAM and
bucket settings, one register each: a user's existence, an access key's
status, an inline policy's document, an attachment, a managed policy, one
setting of a bucket) follow the same rule, and what is read must be in
force: an object's ACL for an anonymous GET, a key for STS
GetCallerIdentity, a user's policies for ListObjectsV2 with its key, a
bucket's settings for anonymous requests (tests/crash/crash_access.py). pail must start and stop cleanly on every
rebuilt directory and `PRAGMA integrity_check` must say ok.

Used as a module by powerloss_test.py; also a CLI for re-checking a kept run:
    python3 replay.py --log WORK/fs.log --acks WORK/acks.jsonl --pail build/release/pail
"""
import argparse
import collections
import concurrent.futures
import hashlib
import json
import mmap
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))
import crash_access as ca  # noqa: E402 - the access-control model the crash test uses too

ACCESS_KEY = "PAILPOWERLOSSACCESS0"
SECRET_KEY = "pail/powerloss+TestSecretKey00000000000000"
REGION = "us-east-1"
INF = float("inf")
BUCKET = "powerloss"
CONF_BUCKET = "powerloss-conf"
ATTACHABLE = ("pl-allow-list", "pl-deny-list", "AmazonS3ReadOnlyAccess")


def managed_docs():
    """The customer managed policies of the load: allow / deny s3:ListBucket on BUCKET."""
    d = ca.managed_docs(BUCKET)
    return {"pl-allow-list": d["crash-allow-list"], "pl-deny-list": d["crash-deny-list"]}


def policy_arn(acct, name):
    return ("arn:aws:iam::aws:policy/%s" % name if name == "AmazonS3ReadOnlyAccess"
            else "arn:aws:iam::%s:policy/%s" % (acct, name))
START_TIMEOUT = 20.0
STOP_TIMEOUT = 30.0

# Sync-like ops that change what is durable.
SYNC_OPS = ("FSYNC", "SYNCALL")
NAME_OPS = ("RENAME", "UNLINK", "RMDIR", "MKDIR", "MKSOCK")
UNSUPPORTED = ("OUTSIDE", "MMAPW", "UNSUPPORTED")


class LogError(Exception):
    """The log cannot be replayed faithfully (harness problem, not a pail bug)."""


# ------------------------------------------------------------------ the log
class Rec:
    __slots__ = ("seq", "ts", "tid", "op", "kv", "line")

    def __init__(self, line):
        parts = line.split(" ")
        self.line = line
        self.seq = int(parts[0])
        self.ts = int(parts[1])
        self.tid = int(parts[2])
        self.op = parts[3]
        kv = {}
        for p in parts[4:]:
            if "=" in p:
                k, v = p.split("=", 1)
                kv[k] = v
        self.kv = kv

    def path(self, k="p"):
        return _unquote(self.kv[k])

    def int(self, k):
        return int(self.kv[k])


def _unquote(s):
    return re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), s)


def read_log(path):
    """The records of a log (a torn last line is dropped), checked gap-free."""
    recs = []
    with open(path, "r", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            recs.append(Rec(line.rstrip("\n")))
    for i, r in enumerate(recs):
        if r.seq != i + 1:
            raise LogError("log %s: record %d has seq %d (want gap-free from 1)" % (path, i + 1, r.seq))
        if i and r.ts < recs[i - 1].ts:
            raise LogError("log %s: time goes backwards at seq %d" % (path, r.seq))
        if r.op in UNSUPPORTED:
            raise LogError("log uses an operation the model cannot replay: %s" % r.line)
    return recs


class Data:
    """The side file of written bytes."""

    def __init__(self, path):
        self.f = open(path, "rb")
        size = os.fstat(self.f.fileno()).st_size
        self.mm = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def get(self, doff, n):
        return self.mm[doff:doff + n]

    def verify(self, recs):
        for r in recs:
            if r.op == "WRITE":
                b = self.get(r.int("doff"), r.int("len"))
                if len(b) != r.int("len") or "%08x" % zlib.crc32(b) != r.kv["crc"]:
                    raise LogError("data side file does not match record %d" % r.seq)


# ---------------------------------------------------------------- the model
class File:
    __slots__ = ("ino", "dur", "pend", "name")
    kind = "f"

    def __init__(self, ino, name):
        self.ino = ino
        self.name = name
        self.dur = bytearray()  # contents as of the last sync
        self.pend = []          # (seq, op) since


class Dir:
    __slots__ = ("ino", "dur", "pend", "live", "name")
    kind = "d"

    def __init__(self, ino, name):
        self.ino = ino
        self.name = name
        self.dur = {}   # name -> node, as of the last sync
        self.pend = []  # (seq, ("add", name, node) | ("del", name))
        self.live = {}  # name -> node, now


class Model:
    """Live namespace plus durable state, advanced one record at a time."""

    def __init__(self, data, dry=False):
        self.data = data
        self.dry = dry
        self.root = Dir(None, ".")
        self.root_ino = None
        self.by_ino = {}
        self.nodes = [self.root]
        self.k = 0
        self.effective = True  # did the last record change durable state?

    # -- namespace
    def _lookup(self, path):
        if path in (".", ""):
            return self.root
        node = self.root
        for comp in path.split("/"):
            if node.kind != "d" or comp not in node.live:
                return None
            node = node.live[comp]
        return node

    def _parent(self, rec, path):
        if path in (".", ""):
            raise LogError("record %d: name operation on the root itself" % rec.seq)
        head, _, name = path.rpartition("/")
        parent = self._lookup(head or ".")
        if parent is None or parent.kind != "d":
            raise LogError("record %d: parent of %s is not in the model (drift): %s"
                           % (rec.seq, path, rec.line))
        return parent, name

    def _node(self, rec):
        ino = rec.int("ino")
        node = self.by_ino.get(ino)
        if node is None:
            node = self._lookup(rec.path())
            if node is None:
                raise LogError("record %d: unknown inode %d (drift): %s" % (rec.seq, ino, rec.line))
            self.by_ino[ino] = node
        return node

    def _add(self, parent, name, node, seq):
        parent.live[name] = node
        parent.pend.append((seq, ("add", name, node)))

    def _del(self, parent, name, seq):
        parent.live.pop(name, None)
        parent.pend.append((seq, ("del", name)))

    # -- applying one record
    def step(self, rec):
        self.k = rec.seq
        self.effective = False
        op = rec.op
        if op == "OPEN":
            path = rec.path()
            ino = rec.int("ino")
            if rec.kv.get("created") == "1":
                parent, name = self._parent(rec, path)
                node = Dir(ino, path) if rec.kv.get("dir") == "1" else File(ino, path)
                self.nodes.append(node)
                self._add(parent, name, node, rec.seq)
            else:
                node = self._lookup(path)
                if node is None:
                    raise LogError("record %d: open of %s, which the model does not have "
                                   "(drift, or it existed before recording)" % (rec.seq, path))
                if path == ".":
                    self.root.ino = ino
            self.by_ino[ino] = node
            if rec.kv.get("trunc") == "1" and node.kind == "f":
                node.pend.append((rec.seq, ("t", 0)))
        elif op == "WRITE":
            node = self._node(rec)
            node.pend.append((rec.seq, ("w", rec.int("off"), rec.int("doff"), rec.int("len"))))
        elif op == "TRUNC":
            self._node(rec).pend.append((rec.seq, ("t", rec.int("len"))))
        elif op == "FALLOC":
            mode = rec.int("mode")
            if mode & ~0x13:
                raise LogError("record %d: fallocate mode %#x is not modelled" % (rec.seq, mode))
            self._node(rec).pend.append((rec.seq, ("f", mode, rec.int("off"), rec.int("len"))))
        elif op == "FSYNC":
            self.effective = self._sync(self._node(rec), rec.int("snap"))
        elif op == "SYNCALL":
            snap = rec.int("snap")
            for n in self.nodes:
                self.effective |= self._sync(n, snap)
        elif op == "MKDIR":
            path = rec.path()
            parent, name = self._parent(rec, path)
            node = Dir(int(rec.kv.get("ino", -1)), path)
            self.nodes.append(node)
            if "ino" in rec.kv:
                self.by_ino[rec.int("ino")] = node
            self._add(parent, name, node, rec.seq)
        elif op == "MKSOCK":
            # bind() of a unix socket (pail's admin.sock): a new name like a
            # created file's; rebuilt as an empty regular file (pail removes a
            # stale one before it binds)
            path = rec.path()
            parent, name = self._parent(rec, path)
            node = File(int(rec.kv.get("ino", -1)), path)
            self.nodes.append(node)
            self._add(parent, name, node, rec.seq)
        elif op in ("UNLINK", "RMDIR"):
            parent, name = self._parent(rec, rec.path())
            if name not in parent.live:
                raise LogError("record %d: unlink of %s, not in the model (drift)" % (rec.seq, rec.path()))
            self._del(parent, name, rec.seq)
        elif op == "RENAME":
            flags = int(rec.kv.get("flags", "0"))
            if flags & 2:
                raise LogError("record %d: RENAME_EXCHANGE is not modelled" % rec.seq)
            sp, sn = self._parent(rec, rec.path("p"))
            dp, dn = self._parent(rec, rec.path("p2"))
            node = sp.live.get(sn)
            if node is None:
                raise LogError("record %d: rename of %s, not in the model (drift)" % (rec.seq, rec.path()))
            if node.kind == "f":
                self.by_ino[rec.int("ino")] = node
            self._del(sp, sn, rec.seq)
            self._add(dp, dn, node, rec.seq)
        elif op == "CLOSE":
            pass
        else:
            raise LogError("record %d: unknown op %s" % (rec.seq, op))

    def _sync(self, node, snap):
        """Makes node's operations with seq <= snap durable; True if any."""
        i = 0
        while i < len(node.pend) and node.pend[i][0] <= snap:
            i += 1
        if i == 0:
            return False
        done, node.pend = node.pend[:i], node.pend[i:]
        if node.kind == "d":
            for _, op in done:
                _apply_dir(node.dur, op)
        elif not self.dry:
            for _, op in done:
                self._apply_file(node.dur, op)
        return True

    def _apply_file(self, buf, op):
        kind = op[0]
        if kind == "w":
            _, off, doff, n = op
            if off > len(buf):
                buf.extend(bytes(off - len(buf)))
            buf[off:off + n] = self.data.get(doff, n)
        elif kind == "t":
            n = op[1]
            if n < len(buf):
                del buf[n:]
            else:
                buf.extend(bytes(n - len(buf)))
        elif kind == "f":
            _, mode, off, n = op
            keep = mode & 0x01
            if mode & 0x12:  # punch hole / zero range
                lo, hi = min(off, len(buf)), min(off + n, len(buf))
                buf[lo:hi] = bytes(hi - lo)
            if not keep and off + n > len(buf):
                buf.extend(bytes(off + n - len(buf)))

    # -- a rebuilt directory
    def materialize(self, dest, mode="strict", rng=None):
        """Writes the state a power cut now would leave into dest (created).
        Returns a short listing: [(relpath, size or 'dir')]."""
        os.makedirs(dest, exist_ok=True)
        listing = []
        contents = {}
        seen_dirs = set()

        def content(node):
            if id(node) not in contents:
                buf = bytearray(node.dur)
                if mode == "prefix" and node.pend:
                    for _, op in node.pend[:rng.randint(0, len(node.pend))]:
                        self._apply_file(buf, op)
                contents[id(node)] = buf
            return contents[id(node)]

        def entries(node):
            ents = dict(node.dur)
            if mode == "prefix" and node.pend:
                for _, op in node.pend[:rng.randint(0, len(node.pend))]:
                    _apply_dir(ents, op)
            return ents

        def walk(node, path, rel):
            if id(node) in seen_dirs:  # a directory reachable twice: keep the first
                return
            seen_dirs.add(id(node))
            for name, child in sorted(entries(node).items()):
                p = os.path.join(path, name)
                r = name if rel == "" else rel + "/" + name
                if child.kind == "d":
                    os.mkdir(p, 0o700)
                    listing.append((r, "dir"))
                    walk(child, p, r)
                else:
                    buf = content(child)
                    with open(p, "wb") as f:
                        f.write(buf)
                    os.chmod(p, 0o600)
                    listing.append((r, len(buf)))

        walk(self.root, dest, "")
        return listing


def _apply_dir(ents, op):
    if op[0] == "add":
        ents[op[1]] = op[2]
    else:
        ents.pop(op[1], None)


# ----------------------------------------------------------- acknowledgements
ABSENT = ("absent",)
KINDS = ("create_bucket", "put", "copy", "delete", "complete", "create_upload", "upload_part",
         "abort", "put_acl", "access", "refused")


def state_of(d):
    if not d or not d.get("present"):
        return ABSENT
    return ("present", d["etag"], d["md5"], d["size"], d.get("acl", "private"))


def fmt_state(s):
    if s[0] == "absent":
        return "absent"
    return "present(etag=%s size=%d acl=%s)" % (s[1], s[3], s[4])


class Acks:
    """The load generator's operations, with CLOCK_MONOTONIC start/end."""

    def __init__(self, path):
        self.ops = []
        with open(path) as f:
            for line in f:
                if line.strip():
                    self.ops.append(json.loads(line))
        self.keys = collections.defaultdict(list)     # (bucket, key) -> ops
        self.buckets = collections.defaultdict(list)  # bucket -> create ops
        self.uploads = collections.defaultdict(list)  # upload_id -> ops
        self.regs = collections.defaultdict(list)     # ("user", name) ... -> "access" ops
        self.key_user, self.secrets = {}, {}          # access key id -> user, secret
        for o in self.ops:
            if o["kind"] == "create_bucket":
                self.buckets[o["bucket"]].append(o)
            if o["kind"] not in KINDS:
                raise LogError("acks: unknown kind %r" % o["kind"])
            if "key" in o and o["kind"] in ("put", "copy", "delete", "complete", "put_acl"):
                self.keys[(o["bucket"], o["key"])].append(o)
            if o["kind"] == "access":
                self.regs[tuple(o["reg"])].append(o)
                if o["reg"][0] == "key" and o["ok"] and "secret" in o:
                    self.key_user[o["reg"][1]] = o["user"]
                    self.secrets[o["reg"][1]] = o["secret"]
            if o.get("upload_id"):
                self.uploads[o["upload_id"]].append(o)
        for v in list(self.keys.values()) + list(self.regs.values()):
            v.sort(key=lambda o: o["start"])
        self.acked_writes = sum(1 for o in self.ops if o["ok"] and o["kind"] in
                                ("put", "copy", "delete", "complete", "upload_part",
                                 "put_acl", "access"))

    def bucket_state(self, bucket, T):
        ops = self.buckets[bucket]
        if any(o["ok"] and o["end"] < T for o in ops):
            return "must"
        if any(o["start"] < T for o in ops):
            return "may"
        return "not"

    def reg_allowed(self, reg, T):
        """A register's (allowed values, last acknowledged op before T or None);
        None is the value of an absent thing."""
        ops = self.regs.get(reg, [])
        base, base_i = None, -1
        for i, o in enumerate(ops):
            if o["ok"] and o["end"] < T:
                base, base_i = o["value"], i
        return ([base] + [o["value"] for o in ops[base_i + 1:] if o["start"] < T],
                ops[base_i] if base_i >= 0 else None)

    def allowed(self, bkey, T):
        """(allowed states, the last acknowledged op before T or None)."""
        ops = self.keys.get(bkey, [])
        base, base_i = ABSENT, -1
        for i, o in enumerate(ops):
            if o["ok"] and o["end"] < T:
                base, base_i = state_of(o["state"]), i
        allowed = [base]
        for o in ops[base_i + 1:]:
            if o["start"] < T:
                allowed.append(state_of(o["state"]))
        return allowed, (ops[base_i] if base_i >= 0 else None)


# ----------------------------------------------------------- running pail
def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pail:
    def __init__(self, binary, data_dir, log_path):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.proc = None
        self.port = None

    def start(self):
        """None when serving, else why not."""
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env["PAIL_ROOT_ACCESS_KEY"] = ACCESS_KEY
        env["PAIL_ROOT_SECRET_KEY"] = SECRET_KEY
        for _attempt in range(3):
            self.port = free_port()
            with open(self.log_path, "ab") as err:
                self.proc = subprocess.Popen(
                    [self.binary, "serve", "--listen", "127.0.0.1:%d" % self.port,
                     "--data", self.data_dir],
                    stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT, env=env)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    return None
                except OSError:
                    time.sleep(0.02)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
                return "did not accept connections within %.0f s" % START_TIMEOUT
            if "in use" not in self.log_tail().lower():
                return "exited with code %s while starting" % self.proc.returncode
        return "could not bind a port"

    def stop(self):
        """The exit code after SIGTERM (or a string if it hung)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "hung after SIGTERM"
        return self.proc.returncode

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


_tls = threading.local()


def s3_client(endpoint, service="s3"):
    import boto3
    from botocore.config import Config
    if not hasattr(_tls, "session"):
        _tls.session = boto3.session.Session()
    return _tls.session.client(
        service, endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5,
                      read_timeout=60, s3={"addressing_style": "path"}))


def _code(exc):
    try:
        return exc.response["Error"]["Code"]
    except Exception:  # noqa: BLE001 - not a ClientError
        return type(exc).__name__


def check_pail(acks, T, endpoint):
    """Checks the running pail against what was acknowledged before T.
    Returns (problems, checked, counts) where each problem is a dict and
    counts counts the access-control checks."""
    from botocore.exceptions import BotoCoreError, ClientError
    c = s3_client(endpoint)
    raw = ca.Raw(int(endpoint.rsplit(":", 1)[1]), REGION)
    problems = []
    checked = 0
    counts = collections.Counter()

    def lost(kind, **kw):
        d = {"type": kind}
        d.update(kw)
        problems.append(d)

    for bucket in sorted(acks.buckets):
        bstate = acks.bucket_state(bucket, T)
        listed = {}
        try:
            token = None
            while True:
                kw = {"Bucket": bucket, "MaxKeys": 1000}
                if token:
                    kw["ContinuationToken"] = token
                page = c.list_objects_v2(**kw)
                for o in page.get("Contents", []):
                    listed[o["Key"]] = (o["ETag"], o["Size"])
                if not page.get("IsTruncated"):
                    break
                token = page["NextContinuationToken"]
        except (ClientError, BotoCoreError) as e:
            if _code(e) == "NoSuchBucket" and bstate != "must":
                continue
            lost("lost-bucket", bucket=bucket, detail="ListObjectsV2 failed: %s" % _code(e))
            if _code(e) != "NoSuchBucket":
                continue
            listed = {}  # gone: every object acknowledged in it is lost too
        if bstate == "not":
            lost("phantom-bucket", bucket=bucket, detail="bucket exists before its CreateBucket started")
        keys = set(k for (b, k) in acks.keys if b == bucket) | set(listed)
        for key in sorted(keys):
            allowed, base_op = acks.allowed((bucket, key), T)
            observed = ABSENT
            if key in listed:
                try:
                    r = c.get_object(Bucket=bucket, Key=key)
                    body = r["Body"].read()
                    acl = raw.object_acl(bucket, key, (ACCESS_KEY, SECRET_KEY))
                    counts["acl"] += 1
                    observed = ("present", r["ETag"], hashlib.md5(body).hexdigest(), len(body), acl)
                    if (r["ETag"], len(body)) != listed[key]:
                        lost("inconsistent", bucket=bucket, key=key,
                             detail="listing says %s/%d, GET says %s/%d"
                             % (listed[key][0], listed[key][1], r["ETag"], len(body)))
                except (ClientError, BotoCoreError) as e:
                    observed = ("broken", _code(e))
            checked += 1
            if bucket == BUCKET and observed[0] != "broken":
                # the ACL in force: anonymous GET, 200 and the bytes when public-read, else 403
                counts["anon"] += 1
                st, code, data, _h = raw.anon_object(bucket, key)
                public = observed[0] == "present" and observed[4] == "public-read"
                if (st != 200 if public else st != 403) or \
                        (public and hashlib.md5(data).hexdigest() != observed[2]):
                    lost("not-in-force", bucket=bucket, key=key,
                         detail="anonymous GET -> %d %s; the object is %s"
                         % (st, code or "", fmt_state(observed)))
            if observed in allowed:
                continue
            base = allowed[0]
            if observed[0] == "broken":
                kind = "unreadable"
            elif base_op is not None and base[0] == "present":
                kind = "lost-write"
            elif base_op is not None and base[0] == "absent":
                kind = "lost-delete"
            else:
                kind = "phantom"
            lost(kind, bucket=bucket, key=key,
                 acked=(base_op["kind"] + " ended %d" % base_op["end"]) if base_op else None,
                 want=" or ".join(fmt_state(s) for s in allowed),
                 got=fmt_state(observed) if observed[0] != "broken" else "GET failed: %s" % observed[1])

    # Multipart uploads: parts acknowledged while the upload is open.
    for uid, ops in sorted(acks.uploads.items()):
        create = [o for o in ops if o["kind"] == "create_upload"]
        complete = [o for o in ops if o["kind"] == "complete"]
        if not create or not create[0]["ok"] or create[0]["end"] >= T:
            continue
        bucket, key = create[0]["bucket"], create[0]["key"]
        abort = [o for o in ops if o["kind"] == "abort"]
        completed = any(o["ok"] and o["end"] < T for o in complete)
        completing = any(o["start"] < T for o in complete) and not completed
        aborted = any(o["ok"] and o["end"] < T for o in abort)
        aborting = any(o["start"] < T for o in abort) and not aborted
        try:
            parts = {}
            kw = {"Bucket": bucket, "Key": key, "UploadId": uid}
            while True:
                page = c.list_parts(**kw)
                for p in page.get("Parts", []):
                    parts[p["PartNumber"]] = p["ETag"]
                if not page.get("IsTruncated"):
                    break
                kw["PartNumberMarker"] = page["NextPartNumberMarker"]
        except (ClientError, BotoCoreError) as e:
            if _code(e) == "NoSuchUpload" and (completed or completing or aborted or aborting):
                continue
            lost("lost-upload", bucket=bucket, key=key, upload=uid,
                 detail="ListParts failed: %s" % _code(e))
            continue
        checked += 1
        if completed or aborted:
            lost("lost-complete" if completed else "lost-abort", bucket=bucket, key=key,
                 upload=uid, detail="upload still open after an acknowledged %s"
                 % ("CompleteMultipartUpload" if completed else "AbortMultipartUpload"))
            continue
        byno = collections.defaultdict(list)
        for o in ops:
            if o["kind"] == "upload_part":
                byno[o["part"]].append(o)
        for pn in sorted(set(byno) | set(parts)):
            pops = sorted(byno.get(pn, []), key=lambda o: o["start"])
            base, base_i = None, -1
            for i, o in enumerate(pops):
                if o["ok"] and o["end"] < T:
                    base, base_i = o["etag"], i
            allowed = [base] + [o["etag"] for o in pops[base_i + 1:] if o["start"] < T]
            got = parts.get(pn)
            if got in allowed:
                continue
            lost("lost-part" if base else "phantom-part", bucket=bucket, key=key, upload=uid,
                 part=pn, want=" or ".join(str(a) for a in allowed), got=str(got))
    if any(o["start"] < T for ops in acks.regs.values() for o in ops[:1]):
        checked += check_access(acks, T, c, endpoint, raw, lost, counts)
    return problems, checked, counts


def _short(v):
    if isinstance(v, str) and v.startswith("{"):
        return "policy %s" % (ca.policy_kind(v) or ca.inline_action(v))
    return repr(v)


def check_access(acks, T, s3, endpoint, raw, lost, counts):
    """IAM users, managed policies and CONF_BUCKET's settings against the
    "access" records acknowledged before T (each register: its last
    acknowledged value, or that of a change begun before T), then their
    behaviour as read: each key of a user authenticates (STS
    GetCallerIdentity) exactly when it is listed Active, the user lists
    BUCKET exactly when its policies allow it, anonymous requests to
    CONF_BUCKET get what its settings imply. Returns the number of checks."""
    from botocore.exceptions import BotoCoreError, ClientError
    iam = s3_client(endpoint, "iam")
    n = 0

    def judge(reg, got, area, default=None):
        """default: the value of a register no change has set (a bucket's ACL: private)."""
        nonlocal n
        n += 1
        counts[area] += 1
        allowed, base_op = acks.reg_allowed(reg, T)
        allowed = [default if v is None else v for v in allowed]
        if len(set(allowed)) > 1:
            counts["inflight"] += 1  # a change of it had begun, not been answered, at the cut
        if got in allowed:
            return
        lost(("lost-" if base_op is not None else "phantom-") + area, reg="/".join(reg),
             acked=("%s ended %d" % (base_op["op"], base_op["end"])) if base_op else None,
             want=" or ".join(_short(v) for v in allowed), got=_short(got))

    try:
        local = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    except (ClientError, BotoCoreError) as e:
        lost("unreadable", reg="policies", detail="ListPolicies: %s" % _code(e))
        local = set()
    for reg in [r for r in acks.regs if r[0] == "mpolicy"]:
        judge(reg, True if reg[1] in local else None, "iam")

    users = sorted({r[1] for r in acks.regs if r[0] in ("user", "newkey", "inline", "attached")} |
                   set(acks.key_user.values()))
    for name in users:
        try:
            st = observe_user_names(iam, name)
        except (ClientError, BotoCoreError) as e:
            lost("unreadable", reg="user/" + name, detail="IAM reads: %s" % _code(e))
            continue
        judge(("user", name), True if st.exists else None, "iam")
        keys = dict(st.keys)
        mine = sorted(k for k, u in acks.key_user.items() if u == name)
        for kid in mine:
            judge(("key", kid), keys.get(kid), "iam")
        unknown = [k for k in keys if k not in acks.key_user]
        began = sum(1 for o in acks.regs.get(("newkey", name), []) if o["start"] < T)
        if len(unknown) > began:
            n += 1
            lost("phantom-iam", reg="user/" + name, detail="keys %s were never acknowledged "
                 "and only %d CreateAccessKey without an answer had begun" % (unknown, began))
        inline = dict(st.inline)
        for pname in sorted({r[2] for r in acks.regs if r[0] == "inline" and r[1] == name} |
                            set(inline)):
            judge(("inline", name, pname), inline.get(pname), "iam")
        for pol in sorted({r[2] for r in acks.regs if r[0] == "attached" and r[1] == name} |
                          st.attached):
            judge(("attached", name, pol), True if pol in st.attached else None, "iam")
        # in force: what the reads say
        active = None
        for kid in mine:
            n += 1
            counts["auth"] += 1
            code, ecode, arn = raw.caller_identity(kid, acks.secrets[kid])
            if keys.get(kid) == "Active":
                active = active or kid
                if code != 200 or not (arn or "").endswith(":user/" + name):
                    lost("not-in-force", reg="key/" + kid, detail="listed Active for %s; "
                         "GetCallerIdentity -> %d %s %s" % (name, code, ecode or "", arn or ""))
            elif code != 403 or ecode not in ca.BAD_KEY_CODES:
                lost("not-in-force", reg="key/" + kid, detail="%s for %s; GetCallerIdentity -> "
                     "%d %s" % ("listed Inactive" if kid in keys else "not listed", name, code,
                                ecode or arn))
        if active:
            n += 1
            counts["auth"] += 1
            deny = "pl-deny-list" in st.attached
            want = not deny and ("pl-allow-list" in st.attached or
                                 "AmazonS3ReadOnlyAccess" in st.attached or
                                 any(ca.inline_action(d) == "s3:ListBucket" for d in inline.values()))
            code, ecode = raw.list_bucket(BUCKET, creds=(active, acks.secrets[active]))
            if (code == 200) != want or (not want and (code, ecode) != (403, "AccessDenied")):
                lost("not-in-force", reg="user/" + name, detail="ListObjectsV2 %s -> %d %s; "
                     "policies inline=%s attached=%s say %s" % (
                         BUCKET, code, ecode or "", {k: ca.inline_action(v) for k, v in inline.items()},
                         sorted(st.attached), "allow" if want else "deny"))

    confs = sorted({r[1] for r in acks.regs if r[0] == "conf"})
    for b in confs:
        if acks.bucket_state(b, T) != "must":
            continue  # its settings cannot have been acknowledged either
        try:
            st = ca.observe_conf(s3, b)
        except (ClientError, BotoCoreError) as e:
            lost("unreadable", reg="conf/" + b, detail="settings reads: %s" % _code(e))
            continue
        for field in ca.CState._fields:
            judge(("conf", b, field), getattr(st, field), "setting",
                  getattr(ca.CONF_DEFAULT, field))
        fails, k = ca.check_conf_access(raw, b, st)
        n += k
        counts["anon"] += k
        for f in fails:
            lost("not-in-force", reg="conf/" + b, detail=f)
    return n


def observe_user_names(iam, name):
    """crash_access.observe_user with attached policies by name (the account
    id is not part of the registers)."""
    st, _note = ca.observe_user(iam, name, ca.Arns("000000000000"))
    return st._replace(attached=frozenset(a.rsplit("/", 1)[-1] for a in st.attached))


def blob_ids(db_path, problems):
    """The data ids the rebuilt meta.db gives the keys with problems."""
    ids = set()
    keys = [(p["bucket"], p["key"]) for p in problems if "key" in p and "bucket" in p]
    if not keys or not os.path.exists(db_path):
        return ids
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=5)
        try:
            for b, k in keys:
                for (d,) in con.execute("SELECT data_id FROM objects WHERE bucket=? AND key=?", (b, k)):
                    ids.add(d)
        finally:
            con.close()
    except sqlite3.Error:
        pass
    return ids


def integrity(db_path):
    """None if meta.db is sound (or absent), else what is wrong."""
    if not os.path.exists(db_path):
        return None
    try:
        con = sqlite3.connect(db_path, timeout=10)
        try:
            res = [r[0] for r in con.execute("PRAGMA integrity_check")]
            fk = con.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            con.close()
    except sqlite3.Error as e:
        return "sqlite error: %s" % e
    if res != ["ok"]:
        return "integrity_check: %s" % "; ".join(res[:5])
    if fk:
        return "foreign_key_check: %d rows, e.g. %r" % (len(fk), fk[:3])
    return None


# ----------------------------------------------------------- cut points
def choose_cuts(recs, budget, seed, prefix_share=0.25, near_checkpoints=True):
    """[(k, mode, reason)] sorted by k. Every fsync whose start changed the
    durable state gives the cut just before it (the largest set of acks for
    that durable state: with the strict model these cover every distinct
    state); then renames and just-after-sync points; then random points in
    'prefix' mode."""
    rng = random.Random(seed)
    n = len(recs)
    before_sync, after, rename = [], [], []
    for i, r in enumerate(recs):
        k = i + 1
        if r.op in SYNC_OPS:
            before_sync.append(k - 1)
            after.append(k)
        elif r.op in NAME_OPS:
            rename.append(k - 1)
            rename.append(k)
    cuts = {}

    def add(k, mode, why):
        cuts.setdefault((k, mode), why)

    add(n, "strict", "end of log")
    add(0, "strict", "start")
    # SQLite checkpoints and WAL restarts: the cuts just before each of their
    # fsyncs and the next few, plus prefix-mode cuts near them, always.
    syncs = [i + 1 for i, r in enumerate(recs) if r.op in SYNC_OPS]
    for i, r in enumerate(recs if near_checkpoints else ()):
        p = r.kv.get("p", "")
        ckpt = r.op == "FSYNC" and p.endswith("meta.db") and i > 20
        restart = r.op == "WRITE" and p.endswith("-wal") and r.kv.get("off") == "0" and i > 20
        if ckpt or restart:
            what = "checkpoint" if ckpt else "WAL restart"
            nxt = [j for j in syncs if j > i][:4]
            for j in ([i + 1] if ckpt else []) + nxt:
                add(j - 1, "strict", "%s (record %d), before fsync %d" % (what, i + 1, j))
            for _ in range(3):
                add(min(n, max(0, i + rng.randint(-10, 30))), "prefix", "near %s" % what)
    if budget <= 0:  # all: every just-before-an-fsync point, plus a prefix share
        budget = len(set(before_sync)) + 2
        budget = int(budget / max(0.05, 1 - prefix_share)) + 1
    n_prefix = int(budget * prefix_share)
    room = max(0, budget - n_prefix - 2)
    primary = sorted(set(before_sync))
    if len(primary) > room:
        primary = _spread(primary, room, rng)
    for k in primary:
        add(k, "strict", "before fsync %d" % (k + 1))
    room = budget - n_prefix - len(cuts)
    others = sorted(set(after + rename) - set(primary))
    for k in _spread(others, max(0, room), rng):
        add(k, "strict", "sync/name boundary")
    room = budget - len(cuts)
    for _ in range(max(0, room)):
        add(rng.randint(0, n), "prefix", "random point")
    return sorted(((k, m, why) for (k, m), why in cuts.items()))


def _spread(items, m, rng):
    """m of items: evenly spaced with a random offset (keeps coverage even)."""
    if m <= 0:
        return []
    if len(items) <= m:
        return list(items)
    step = len(items) / m
    off = rng.random() * step
    return sorted(set(items[min(len(items) - 1, int(off + i * step))] for i in range(m)))


# ----------------------------------------------------------- the driver
class Result:
    def __init__(self):
        self.cuts = 0
        self.lost = 0          # durability violations (writes lost, deletes undone, phantoms)
        self.start_failures = 0
        self.stop_failures = 0
        self.integrity_failures = 0
        self.checked = 0
        self.reports = []      # (k, text)
        self.failing_cuts = []
        self.by_type = collections.Counter()
        self.access = collections.Counter()  # access-control checks: acl, anon, iam, auth, setting
        self.lock = threading.Lock()

    @property
    def failed(self):
        return self.lost or self.start_failures or self.stop_failures or self.integrity_failures


def _context(recs, k, ids, around=12):
    """The records around cut k, and every record naming one of ids."""
    out = ["  records around the cut (>>> = not reached by the cut):"]
    for i in range(max(0, k - around), min(len(recs), k + 4)):
        out.append("   %s %s" % ("   " if i < k else ">>>", recs[i].line[:200]))
    for bid in sorted(ids)[:4]:
        out.append("  syscalls naming %s:" % bid)
        for i, r in enumerate(recs):
            if bid in r.line:
                out.append("   %s %s" % ("   " if i < k else ">>>", r.line[:200]))
    return out


def run_cut(job, args, acks, recs, res):
    k, mode, why, dest, listing, T = job
    data_dir = os.path.join(dest, args.data_subdir) if args.data_subdir else dest
    logp = dest + ".pail.log"
    pail = Pail(args.pail, data_dir, logp)
    problems, checked, counts = [], 0, collections.Counter()
    why_start = pail.start()
    if why_start:
        problems.append({"type": "start", "detail": "pail %s" % why_start})
    else:
        try:
            problems, checked, counts = check_pail(acks, T, "http://127.0.0.1:%d" % pail.port)
        except Exception as e:  # noqa: BLE001 - a crash of the checker is a failure too
            problems.append({"type": "check-crashed", "detail": repr(e)})
        code = pail.stop()
        if code != 0:
            problems.append({"type": "stop", "detail": "pail exit code %r after SIGTERM" % (code,)})
    bad_db = integrity(os.path.join(data_dir, "meta.db"))
    if bad_db:
        problems.append({"type": "integrity", "detail": bad_db})
    with res.lock:
        res.cuts += 1
        res.checked += checked
        res.access.update(counts)
        for p in problems:
            res.by_type[p["type"]] += 1
            if p["type"] == "start":
                res.start_failures += 1
            elif p["type"] == "stop":
                res.stop_failures += 1
            elif p["type"] == "integrity":
                res.integrity_failures += 1
            elif p["type"] in ("check-crashed",):
                res.start_failures += 1
            else:
                res.lost += 1
        if problems and len(res.reports) < args.max_reports * 4:
            tail = pail.log_tail(40)
            ids = blob_ids(os.path.join(data_dir, "meta.db"), problems)
            lines = ["cut k=%d (%s, mode=%s): power lost before record %s at t=%s"
                     % (k, why, mode, k + 1, "end" if T == INF else T)]
            for p in problems[:20]:
                lines.append("  " + ", ".join("%s=%s" % kv for kv in p.items()))
            if len(problems) > 20:
                lines.append("  ... %d more" % (len(problems) - 20))
            names = ["%s(%s)" % (r, s) for r, s in listing
                     if not re.search(r"(^|/)[0-9a-f]{2}(/[0-9a-f]{2})?$|/[0-9a-f]{32}$", r)]
            lines.append("  rebuilt directory: %s; %d fan-out dirs, %d blob files" % (
                ", ".join(names) or "(empty)",
                sum(1 for r, s in listing if s == "dir" and re.search(r"objects/[0-9a-f]{2}", r)),
                sum(1 for r, _ in listing if re.search(r"/[0-9a-f]{32}$", r))))
            lines.append("  pail log tail:\n    " + tail.replace("\n", "\n    "))
            lines += _context(recs, k, ids)
            if args.keep_failures:
                lines.append("  kept: %s" % dest)
            res.reports.append((k, "\n".join(lines)))
        if problems:
            res.failing_cuts.append(k)
    if not (problems and args.keep_failures):
        shutil.rmtree(dest, ignore_errors=True)
        try:
            os.unlink(logp)
        except OSError:
            pass


def replay(args, log=print):
    """Runs every cut; returns a Result."""
    recs = read_log(args.log)
    data = Data(args.log + ".data")
    data.verify(recs)
    acks = Acks(args.acks)
    if args.mutate:
        recs = mutate(recs, args.mutate)
    cuts = choose_cuts(recs, args.cuts, args.seed, args.prefix_share,
                       getattr(args, "near_checkpoints", True))
    n_sync = sum(1 for r in recs if r.op in SYNC_OPS)
    n_before = sum(1 for c in cuts if c[2].startswith("before fsync"))
    log("replay: %d records (%d fsync/fdatasync), %d acknowledged operations; %d cut points: "
        "%d strict (%d of the %d just-before-an-fsync points), %d prefix-mode"
        % (len(recs), n_sync, len(acks.ops), len(cuts), sum(1 for c in cuts if c[1] == "strict"),
           n_before, n_sync, sum(1 for c in cuts if c[1] == "prefix")))
    scratch = args.scratch
    os.makedirs(scratch, exist_ok=True)
    res = Result()
    model = Model(data)
    rng = random.Random(args.seed ^ 0x5EED)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.workers)
    slots = threading.BoundedSemaphore(args.workers * 2)
    futures = []
    t0 = time.monotonic()

    def done(_f):
        slots.release()

    applied = 0
    for idx, (k, mode, why) in enumerate(cuts):
        while applied < k:
            model.step(recs[applied])
            applied += 1
        T = recs[k].ts if k < len(recs) else INF
        dest = os.path.join(scratch, "cut-%06d-%s-%d" % (k, mode, idx))
        shutil.rmtree(dest, ignore_errors=True)
        listing = model.materialize(dest, mode, random.Random(rng.random()))
        slots.acquire()
        f = pool.submit(run_cut, (k, mode, why, dest, listing, T), args, acks, recs, res)
        f.add_done_callback(done)
        futures.append(f)
        if args.progress and (idx + 1) % args.progress == 0:
            log("  ... %d/%d cuts materialized, %.0f s" % (idx + 1, len(cuts), time.monotonic() - t0))
    for f in futures:
        f.result()
    pool.shutdown()
    res.elapsed = time.monotonic() - t0
    return res


def mutate(recs, how):
    """Self-check of the harness: drop durability steps from the log, which
    must then show up as lost writes. how: 'no-dir-fsync' (drop the fsync of
    objects/ab/cd after publishing a blob) or 'no-blob-fsync' (drop the
    fdatasync of tmp/<id>) or 'no-wal-fsync' (drop every fdatasync of
    meta.db-wal: metadata, IAM records and bucket settings included, is
    durable only once a checkpoint has synced meta.db)."""
    out = []
    for r in recs:
        if r.op == "FSYNC":
            p = r.path()
            if how == "no-dir-fsync" and r.kv.get("dir") == "1" and re.search(r"objects/[0-9a-f]{2}/[0-9a-f]{2}$", p):
                continue
            if how == "no-blob-fsync" and r.kv.get("dir") == "0" and re.search(r"tmp/[0-9a-f]{32}$", p):
                continue
            if how == "no-wal-fsync" and p.endswith("meta.db-wal"):
                continue
        out.append(r)
    return out


def summarize(res, log=print, max_reports=8):
    for _k, rep in sorted(res.reports)[:max_reports]:
        log(rep)
        log("")
    if res.failing_cuts:
        fc = sorted(res.failing_cuts)
        log("failing cuts: %d of %d (first k=%d, last k=%d)" % (len(fc), res.cuts, fc[0], fc[-1]))
    log("cut points tried: %d, writes lost: %d" % (res.cuts, res.lost))
    log("  (objects/parts checked: %d; pail start failures: %d, unclean stops: %d, "
        "integrity failures: %d; %.0f s)" % (res.checked, res.start_failures, res.stop_failures,
                                             res.integrity_failures, getattr(res, "elapsed", 0)))
    a = res.access
    log("  (access checks: object ACLs %d, anonymous requests %d, IAM registers %d, "
        "key/policy behaviour %d, bucket settings %d; IAM/settings changes in flight at the "
        "cut: %d)" % (a["acl"], a["anon"], a["iam"], a["auth"], a["setting"], a["inflight"]))
    if res.by_type:
        log("  problems by type: " + ", ".join("%s=%d" % kv for kv in sorted(res.by_type.items())))


def add_args(p):
    p.add_argument("--cuts", type=int, default=300,
                   help="cut points to try (default 300; 0: every just-before-an-fsync point "
                   "plus the prefix-mode share)")
    p.add_argument("--prefix-share", type=float, default=0.25,
                   help="share of cuts in 'prefix' mode (random prefix of un-synced ops survives)")
    p.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scratch", default=None, help="where rebuilt directories go (default: /dev/shm)")
    p.add_argument("--data-subdir", default="data",
                   help="pail's --data, relative to the recorded directory ('' for itself)")
    p.add_argument("--keep-failures", action="store_true", help="keep rebuilt directories that failed")
    p.add_argument("--max-reports", type=int, default=8)
    p.add_argument("--progress", type=int, default=50)
    p.add_argument("--mutate", choices=["no-dir-fsync", "no-blob-fsync", "no-wal-fsync"],
                   help="harness self-check: drop these fsyncs from the log first")


def default_scratch():
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    import tempfile
    return tempfile.mkdtemp(prefix="pail-powerloss-cuts-", dir=base)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--log", required=True, help="the fsrecord log (its .data file beside it)")
    p.add_argument("--acks", required=True, help="acks.jsonl from the load generator")
    p.add_argument("--pail", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                  "build", "release", "pail"))
    add_args(p)
    args = p.parse_args(argv)
    own_scratch = args.scratch is None
    if own_scratch:
        args.scratch = default_scratch()
    try:
        res = replay(args)
    except LogError as e:
        print("replay: cannot replay the log: %s" % e, file=sys.stderr)
        return 2
    finally:
        if own_scratch and not args.keep_failures:
            shutil.rmtree(args.scratch, ignore_errors=True)
    summarize(res, max_reports=args.max_reports)
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
