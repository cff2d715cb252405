#!/usr/bin/env python3
"""pail crash test: every acknowledged write survives SIGKILL - objects, IAM,
bucket policies, ACLs, Block Public Access and ownership settings alike.

Run with the image's python3 (boto3 >= 1.36; see /work/shared/TOOLCHAIN.md):

    python3 tests/crash/crash_test.py [--kills 20] [--seed N] [--bin build/release/pail]
                                      [--data DIR] [--max-seconds 270] [--threads 16]

One data directory persists across all iterations. Each iteration:
  1. load: --threads workers drive PutObject (0 B .. 20 MiB, skewed small),
     overwrites, DeleteObject, DeleteObjects batches, multipart uploads (create,
     parts, complete; some aborted, some left pending and resumed in a later
     iteration), CopyObject (COPY and REPLACE directives) and checking GETs;
     canned ACLs (x-amz-acl public-read on some PutObject, CopyObject and
     CreateMultipartUpload; PutObjectAcl public-read/private); IAM changes
     through the IAM API on the same endpoint with the root keys (--users
     user names: CreateUser, CreateAccessKey, UpdateAccessKey to Inactive and
     back, DeleteAccessKey, PutUserPolicy/DeleteUserPolicy, Attach/
     DetachUserPolicy of two customer managed policies and
     AmazonS3ReadOnlyAccess, now and then all of it removed and DeleteUser);
     settings of --conf-buckets buckets of their own (Put/DeleteBucketPolicy,
     PutBucketAcl public-read/private, Put/DeletePublicAccessBlock, Put/
     DeleteBucketOwnershipControls), including changes pail must refuse (a
     public ACL or policy under Block Public Access, ACLs under
     BucketOwnerEnforced), which must be refused just so; and checks of users
     and buckets nobody is changing (crash_access.py has that model);
  2. SIGKILL of pail 0.2-3 s into the load, with requests in flight;
  3. restart on the same directory (start-up recovery and orphan sweep run);
  4. verification, for every key ever touched: the object is the last
     ACKNOWLEDGED state (write or delete) or one of the states whose request
     was in flight (or ended ambiguously); bytes (MD5), size, ETag, user
     metadata and Content-Type match exactly; a full ListObjectsV2 agrees with
     the per-key GETs; every upload acknowledged as created and not completed
     or aborted is listed, with every acknowledged part (ListParts); an upload
     whose Complete was in flight is either still listed (object untouched) or
     gone with the object completed - never half of each; each object's ACL
     (GetObjectAcl) is part of its state, and it is in force: an unsigned GET
     of a public-read object gets 200 and its bytes, of a private or absent
     one 403; every IAM user reads back (GetUser, ListAccessKeys,
     GetUserPolicy, ListAttachedUserPolicies) as its last acknowledged state
     or one in flight, and that state is in force: each Active key
     authenticates (STS GetCallerIdentity names the user), each Inactive and
     each deleted key gets InvalidAccessKeyId, and the user may list the
     crash bucket exactly when its policies say so; each conf bucket's policy,
     ACL, Block Public Access and ownership read back the same way, and
     anonymous ListObjects and GET of its private probe object get 200 or 403
     as those settings imply; the customer managed policies still exist;
  5. SIGTERM (pail must exit 0), then offline: PRAGMA integrity_check and
     foreign_key_check of DIR/meta.db, DIR/tmp/ empty, every blob under
     DIR/objects/ referenced by objects.data_id or parts.data_id (no orphans
     left by the start-up sweep), every referenced blob present with the
     recorded size; the same for small objects kept inline in meta.db
     (inline_data rows, ids beginning with "i").

Bodies are derived from (key, version counter) or (upload, part number), so
the expected bytes and MD5 are recomputable; metadata is random and recorded.

Per-key model: `acked` (last acknowledged state; None = absent) plus `cands`
(states of requests in flight at the kill or that ended ambiguously, i.e.
without an HTTP answer or with a 5xx). Requests on one key are serialised by
the harness (a key is "busy" while an operation on it runs), so "last
acknowledged" is well defined. A 4xx answer is definite: nothing happened.
An IAM user and a conf bucket are registers of the same kind (Reg: one
reserved state, UState / CState); a CreateAccessKey without an answer may
have created a key whose id the test never learnt: found after the restart,
it is deleted.

Exit status: 0 pass; 1 any loss, corruption, inconsistency, orphan, leftover
temporary, integrity failure, unclean SIGTERM exit or (unless
--allow-load-errors) an error answered while pail was alive; 2 harness
trouble (pail would not start, --max-seconds watchdog).

Reproducing: the op choices of each worker and the kill moments derive from
--seed and the iteration number; thread interleaving does not, so a failure
at iteration i is reproduced by re-running with the same --seed and enough
kills (often it recurs elsewhere). The data directory of a failing run is kept.
"""
import argparse
import base64
import binascii
import collections
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

for _v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_v, None)
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    sys.exit("crash_test.py: boto3 is missing: run it with the image's python3 (pyenv), "
             "not /usr/bin/python3")
import crash_access as ca  # noqa: E402 (needs botocore)

ACCESS_KEY = "PAILCRASHTESTACCESS0"
SECRET_KEY = "pail/crash+TestSecretKey000000000000000000"
BUCKET = "crash"
REGION = "us-east-1"
MIB = 1 << 20
PERIOD = 262147            # prime: bodies repeat a random block of this length
START_TIMEOUT = 20.0
STOP_TIMEOUT = 60.0
JOIN_TIMEOUT = 90.0
MAX_PENDING_UPLOADS = 24
CONF_BUCKET = "crash-conf-%d"   # buckets whose settings (policy, ACL, PAB, ownership) change
USER = "crash-u%02d"            # the pool of IAM user names
MAX_DEAD_KEYS = 24              # deleted access keys kept to check they stay refused
ANON_GET_MAX = 256 * 1024       # anonymous checks GET objects up to this size, HEAD larger ones
CTYPES = ["binary/octet-stream", "text/plain", "application/json", "image/png",
          "application/x-crash; charset=utf-8"]


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- bodies
def body(tag, size):
    """The deterministic bytes of one object or part version."""
    if size == 0:
        return b""
    seed = int.from_bytes(hashlib.sha256(tag.encode()).digest()[:8], "big")
    blk = random.Random(seed).randbytes(min(size, PERIOD))
    if size <= PERIOD:
        return blk
    return (blk * (size // PERIOD + 1))[:size]


def pick_size(rng):
    r = rng.random()
    if r < 0.06:
        return 0
    if r < 0.45:
        return rng.randint(1, 4096)
    if r < 0.75:
        return rng.randint(4097, 256 * 1024)
    if r < 0.92:
        return rng.randint(256 * 1024, 2 * MIB)
    if r < 0.985:
        return rng.randint(2 * MIB, 8 * MIB)
    return rng.randint(8 * MIB, 20 * MIB)


def rand_meta(rng):
    n = rng.choice([0, 0, 1, 1, 2, 3])
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.="
    return {"m%d-%s" % (i, "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3))):
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for i in range(n)}


def key_names(n):
    out = []
    for i in range(n):
        form = i % 6
        if form == 0:
            out.append("k%03d" % i)
        elif form == 1:
            out.append("dir%d/obj-%03d" % (i % 4, i))
        elif form == 2:
            out.append("deep/a/b/c/%03d.bin" % i)
        elif form == 3:
            out.append("sp ace+plus=%03d" % i)
        elif form == 4:
            out.append("utf8/\u00fcber-\u6587\u4ef6-%03d" % i)
        else:
            out.append("k%03d/" % i + "x" * (i % 40))
    return out


# ---------------------------------------------------------------- model
class Obj:
    """One possible state of a key (None stands for "absent"). acl is the
    object's canned ACL: "private" (the default) or "public-read"."""
    __slots__ = ("kind", "size", "md5", "etag", "meta", "ctype", "desc", "acl")

    def __init__(self, kind, size, md5, etag, meta, ctype, desc, acl="private"):
        self.kind, self.size, self.md5, self.etag = kind, size, md5, etag
        self.meta, self.ctype, self.desc, self.acl = dict(meta), ctype, desc, acl

    def with_acl(self, acl, desc):
        return Obj(self.kind, self.size, self.md5, self.etag, self.meta, self.ctype, desc, acl)

    def __repr__(self):
        return "<%s size=%d etag=%s meta=%s ctype=%s acl=%s>" % (
            self.desc, self.size, self.etag, self.meta, self.ctype, self.acl)


def describe(st):
    return "ABSENT" if st is None else repr(st)


class KeyRec:
    __slots__ = ("name", "ver", "acked", "cands", "busy", "sticky", "touched", "inflight")

    def __init__(self, name):
        self.name, self.ver, self.acked, self.cands = name, 0, None, []
        self.busy = self.sticky = self.touched = False
        self.inflight = []  # states whose request is running right now

    def definite(self):
        return not self.cands and not self.sticky and not self.inflight


class Reg:
    """An IAM user (state: crash_access.UState) or a conf bucket (CState):
    the same acked/cands/inflight discipline as a KeyRec."""
    __slots__ = ("name", "ver", "acked", "cands", "busy", "sticky", "touched", "inflight")

    def __init__(self, name, state):
        self.name, self.ver, self.acked, self.cands = name, 0, state, []
        self.busy = self.sticky = self.touched = False
        self.inflight = []

    def definite(self):
        return not self.cands and not self.sticky and not self.inflight


class Upload:
    __slots__ = ("uid", "key", "tag", "meta", "ctype", "parts", "inflight_parts", "status",
                 "owner", "complete_state", "resumed", "acl")

    def __init__(self, uid, key, tag, meta, ctype, acl="private"):
        self.uid, self.key, self.tag, self.meta, self.ctype = uid, key, tag, meta, ctype
        self.acl = acl
        self.parts = {}            # pn -> (etag, size): acknowledged
        self.inflight_parts = {}   # pn -> (etag, size): in flight / ambiguous
        self.status = "pending"    # pending | completing | aborting
        self.owner = False         # a worker is using it
        self.complete_state = None
        self.resumed = 0


class Model:
    def __init__(self, nkeys, nusers=12, nconf=3):
        self.lock = threading.Lock()
        self.keys = {n: KeyRec(n) for n in key_names(nkeys)}
        self.names = list(self.keys)
        self.uploads = {}                          # uid -> Upload
        self.unknown_creates = collections.Counter()  # key -> creates without an answer
        self.upload_counter = 0
        self.users = [Reg(USER % i, ca.USER_ABSENT) for i in range(nusers)]
        self.confs = [Reg(CONF_BUCKET % i, ca.CONF_DEFAULT) for i in range(nconf)]
        self.secrets = {}                          # access key id -> secret (acknowledged creates)
        self.dead_keys = collections.deque(maxlen=MAX_DEAD_KEYS)  # (id, secret) deleted
        self.arns = None                           # crash_access.Arns, once the account is known
        self.policy_ver = 0

    def regs(self):
        return self.users + self.confs


# ---------------------------------------------------------------- errors
def classify(exc):
    """('definite', why) for an HTTP 4xx answer (nothing happened), else
    ('ambiguous', why): no answer, or 5xx."""
    if isinstance(exc, ClientError):
        md = exc.response.get("ResponseMetadata", {})
        status = md.get("HTTPStatusCode", 0) or 0
        code = exc.response.get("Error", {}).get("Code", "?")
        if 400 <= status < 500:
            return "definite", "%d %s" % (status, code)
        return "ambiguous", "%d %s" % (status, code)
    return "ambiguous", "%s: %s" % (type(exc).__name__, str(exc)[:160])


class Run:
    """State shared by the workers of one load phase."""

    def __init__(self):
        self.killed = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = 0
        self.ambiguous = 0
        self.load_errors = []     # errors while pail was alive
        self.failures = []        # consistency failures seen during load
        self.harness = []         # exceptions in our own code
        self.opcount = collections.Counter()

    def err(self, what, exc):
        kind, why = classify(exc)
        with self.lock:
            if kind == "ambiguous":
                self.ambiguous += 1
            if not self.killed.is_set():
                self.load_errors.append("%s: %s" % (what, why))
        return kind, why

    def ack(self, op):
        with self.lock:
            self.acked += 1
            self.opcount[op] += 1

    def note(self, what):
        with self.lock:
            self.opcount[what] += 1

    def access_counts(self):
        """Acknowledged changes: (IAM, bucket settings, object ACLs, refusals as expected)."""
        with self.lock:
            c = self.opcount
            iam = sum(n for op, n in c.items() if op.startswith("iam_")) - c["iam_check"]
            conf = sum(n for op, n in c.items() if op.startswith("conf_")) - c["conf_check"]
            return iam, conf, c["acl_put_object_acl"] + c["acl_header"], c["refused"]

    def fail(self, msg):
        with self.lock:
            self.failures.append(msg)


# ---------------------------------------------------------------- pail process
def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pail:
    def __init__(self, binary, data_dir, log_dir):
        self.bin, self.data, self.log_dir = binary, data_dir, log_dir
        self.proc = None
        self.port = free_port()
        self.starts = 0
        self.log_path = None
        self.client = self.iam = self.raw = None

    def start(self):
        env = dict(os.environ, PAIL_ROOT_ACCESS_KEY=ACCESS_KEY, PAIL_ROOT_SECRET_KEY=SECRET_KEY)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0")
        # kills should land around checkpoints too: checkpoint every 200 WAL
        # pages (pail's default, 8,000, would rarely be reached in a short run)
        env.setdefault("PAIL_SQLITE_CHECKPOINT_PAGES", "200")
        last = ""
        for attempt in range(4):
            self.starts += 1
            # keep the logs of the two latest starts only
            self.log_path = os.path.join(self.log_dir, "pail-%d.log" % (self.starts % 2))
            with open(self.log_path, "wb") as out:
                self.proc = subprocess.Popen(
                    [self.bin, "serve", "--listen", "127.0.0.1:%d" % self.port,
                     "--data", self.data], stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, env=env)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    self.client = make_client(self.port)
                    self.iam = make_client(self.port, "iam")
                    self.raw = ca.Raw(self.port, REGION)
                    return
                except OSError:
                    time.sleep(0.02)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            last = self.log_text()[-2000:]
            self.port = free_port()  # the old one may be unavailable
        raise HarnessError("pail did not start; last log:\n" + last)

    def start_and_kill(self, delay):
        """Starts pail and SIGKILLs it after `delay` s: inside start-up recovery
        (WAL replay, orphan sweep) or just after it, whichever comes first."""
        env = dict(os.environ, PAIL_ROOT_ACCESS_KEY=ACCESS_KEY, PAIL_ROOT_SECRET_KEY=SECRET_KEY)
        with open(os.path.join(self.log_dir, "pail-recovery-kill.log"), "wb") as out:
            proc = subprocess.Popen(
                [self.bin, "serve", "--listen", "127.0.0.1:%d" % self.port, "--data", self.data],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def swept(self):
        m = re.search(r"start-up sweep removed (\d+)", self.log_text())
        return int(m.group(1)) if m else 0

    def sanitizer_report(self):
        t = self.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in t:
                return t[t.index(marker):][:3000]
        return None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self):
        """SIGTERM; returns pail's exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return "timeout"


class HarnessError(Exception):
    pass


def make_client(port, service="s3"):
    """A root client: "s3", "iam" or "sts" (IAM and STS share pail's endpoint)."""
    cfg = Config(region_name=REGION, signature_version="s3v4" if service == "s3" else "v4",
                 s3={"addressing_style": "path"},
                 retries={"total_max_attempts": 1, "mode": "standard"},
                 connect_timeout=5, read_timeout=60, max_pool_connections=48)
    return boto3.session.Session().client(
        service, endpoint_url="http://127.0.0.1:%d" % port, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=cfg)


# ---------------------------------------------------------------- the load
def weighted(rng, opts):
    r = rng.uniform(0, sum(w for _, w in opts))
    for what, w in opts:
        r -= w
        if r <= 0:
            return what
    return opts[-1][0]


class Worker:
    def __init__(self, wid, model, run, client, rng, threads, iam=None, raw=None):
        self.wid, self.m, self.run, self.c, self.rng = wid, model, run, client, rng
        self.threads = threads
        self.iam, self.raw = iam, raw

    # -- key reservation (under the model lock)
    def _take(self, pred=None, exclude=()):
        m = self.m
        with m.lock:
            for _ in range(12):
                k = m.keys[self.rng.choice(m.names)]
                if k.busy or k.name in exclude or (pred and not pred(k)):
                    continue
                k.busy = True
                return k
        return None

    def _release(self, *ks):
        with self.m.lock:
            for k in ks:
                k.busy = False

    def _begin(self, k, st):
        with self.m.lock:
            k.touched = True
            k.inflight.append(st)

    def _acked(self, k, st):
        with self.m.lock:
            k.inflight.remove(st)
            k.acked = st
            if not k.sticky:
                k.cands = []

    def _failed(self, k, st, kind):
        with self.m.lock:
            k.inflight.remove(st)
            if kind == "ambiguous":
                k.cands.append(st)
                if not self.run.killed.is_set():
                    k.sticky = True  # it may still be running: keep it a candidate

    # -- users and conf buckets: reservation and one change
    def _take_reg(self, pool, pred=None):
        with self.m.lock:
            for _ in range(8):
                r = self.rng.choice(pool)
                if r.busy or (pred and not pred(r)):
                    continue
                r.busy = True
                return r
        return None

    def _change(self, reg, what, new, call, final=None):
        """One change of a user or conf bucket, recorded when acknowledged:
        state `new` (or final(response)). Returns the response, None if it failed."""
        self._begin(reg, new)
        try:
            resp = call()
        except Exception as e:
            kind, _ = self.run.err("%s %s" % (what, reg.name), e)
            self._failed(reg, new, kind)
            return None
        fin = final(resp) if final else new
        with self.m.lock:
            reg.inflight.remove(new)
            reg.acked = fin
            if not reg.sticky:
                reg.cands = []
        self.run.ack(what)
        return resp

    def _refused(self, reg, what, new, call, want):
        """A change pail must refuse with want = (status, code): answered so,
        nothing changed."""
        self._begin(reg, new)
        try:
            call()
        except Exception as e:
            if (ca.status_of(e), ca.code_of(e)) == want:
                self._failed(reg, new, "definite")
                self.run.ack("refused")
                return
            kind, _ = self.run.err("%s %s (must be refused with %d %s)"
                                   % (what, reg.name, want[0], want[1]), e)
            self._failed(reg, new, kind)
            return
        self.run.fail("%s %s: acknowledged; pail must refuse it with %d %s (state was %s)"
                      % (what, reg.name, want[0], want[1], ca.describe_conf(reg.acked)))
        self._acked(reg, new)

    # -- IAM: users, access keys, inline and attached policies
    def iam_change(self):
        u = self._take_reg(self.m.users, pred=lambda r: r.definite())
        if not u:
            return
        try:
            if u.acked.exists and self.rng.random() < 0.05:
                self._retire_user(u)
            else:
                self._iam_step(u)
        finally:
            self._release(u)

    def _iam_step(self, u):
        st, iam, arns, name = u.acked, self.iam, self.m.arns, u.name
        if not st.exists:
            self._change(u, "iam_create_user", st._replace(exists=True),
                         lambda: iam.create_user(UserName=name))
            return
        opts = [("put", 3)]
        if len(st.keys) < 2:
            opts.append(("key", 3))
        if st.keys:
            opts += [("update", 2.5), ("delkey", 1.5)]
        if st.inline:
            opts.append(("delpol", 1.5))
        if len(st.attached) < len(arns.all):
            opts.append(("attach", 2))
        if st.attached:
            opts.append(("detach", 1.5))
        what = weighted(self.rng, opts)
        if what == "key":
            def final(resp):
                ak = resp["AccessKey"]
                if ak.get("Status") != "Active" or ak.get("UserName") != name:
                    self.run.fail("CreateAccessKey %s answered %s" % (name, {
                        k: v for k, v in ak.items() if k != "SecretAccessKey"}))
                with self.m.lock:
                    self.m.secrets[ak["AccessKeyId"]] = ak["SecretAccessKey"]
                return st._replace(keys=st.keys | {(ak["AccessKeyId"], "Active")})
            self._change(u, "iam_create_key", st._replace(keys=st.keys | {(ca.NEWKEY, "Active")}),
                         lambda: iam.create_access_key(UserName=name), final)
        elif what == "update":
            kid, status = self.rng.choice(sorted(st.keys))
            to = "Inactive" if status == "Active" else "Active"
            self._change(u, "iam_update_key", st._replace(keys=(st.keys - {(kid, status)}) |
                                                          {(kid, to)}),
                         lambda: iam.update_access_key(UserName=name, AccessKeyId=kid, Status=to))
        elif what == "delkey":
            self._delete_key(u, *self.rng.choice(sorted(st.keys)))
        elif what == "put":
            pname = self.rng.choice(["list", "misc"])
            with self.m.lock:
                self.m.policy_ver += 1
                ver = self.m.policy_ver
            doc = ca.inline_doc(self.rng.choice(["s3:ListBucket", "s3:GetBucketAcl"]), BUCKET, ver)
            inline = frozenset(x for x in st.inline if x[0] != pname) | {(pname, doc)}
            self._change(u, "iam_put_user_policy", st._replace(inline=inline),
                         lambda: iam.put_user_policy(UserName=name, PolicyName=pname,
                                                     PolicyDocument=doc))
        elif what == "delpol":
            self._delete_inline(u, *self.rng.choice(sorted(st.inline)))
        elif what == "attach":
            arn = self.rng.choice([a for a in arns.all if a not in st.attached])
            self._change(u, "iam_attach_user_policy", st._replace(attached=st.attached | {arn}),
                         lambda: iam.attach_user_policy(UserName=name, PolicyArn=arn))
        else:
            self._detach(u, self.rng.choice(sorted(st.attached)))

    def _delete_key(self, u, kid, status):
        st = u.acked
        if self._change(u, "iam_delete_key", st._replace(keys=st.keys - {(kid, status)}),
                        lambda: self.iam.delete_access_key(UserName=u.name, AccessKeyId=kid)) is None:
            return False
        with self.m.lock:
            if kid in self.m.secrets:
                self.m.dead_keys.append((kid, self.m.secrets.pop(kid)))
        return True

    def _delete_inline(self, u, pname, doc):
        st = u.acked
        return self._change(u, "iam_delete_user_policy", st._replace(inline=st.inline - {(pname, doc)}),
                            lambda: self.iam.delete_user_policy(UserName=u.name,
                                                                PolicyName=pname)) is not None

    def _detach(self, u, arn):
        st = u.acked
        return self._change(u, "iam_detach_user_policy", st._replace(attached=st.attached - {arn}),
                            lambda: self.iam.detach_user_policy(UserName=u.name,
                                                                PolicyArn=arn)) is not None

    def _retire_user(self, u):
        """DeleteUser, after what AWS requires first (each step one acknowledged change)."""
        while not self.run.stop.is_set():
            st = u.acked
            if st.keys:
                ok = self._delete_key(u, *sorted(st.keys)[0])
            elif st.inline:
                ok = self._delete_inline(u, *sorted(st.inline)[0])
            elif st.attached:
                ok = self._detach(u, sorted(st.attached)[0])
            else:
                self._change(u, "iam_delete_user", ca.USER_ABSENT,
                             lambda: self.iam.delete_user(UserName=u.name))
                return
            if not ok:
                return

    def iam_check(self):
        """A user nobody is changing: IAM reads are the acknowledged state, and
        its keys and policies behave so."""
        u = self._take_reg(self.m.users, pred=lambda r: r.definite() and r.touched)
        if not u:
            return
        try:
            try:
                obs, note = ca.observe_user(self.iam, u.name, self.m.arns)
                fails, n = ([], 0) if obs != u.acked else ca.check_user_access(
                    self.raw, u.name, obs, dict(self.m.secrets), self.m.arns, BUCKET)
                with self.m.lock:
                    dead = self.rng.choice(self.m.dead_keys) if self.m.dead_keys else None
                if dead:
                    f = ca.check_dead_key(self.raw, *dead)
                    fails += [f] if f else []
            except Exception as e:
                self.run.err("IAM check %s" % u.name, e)
                return
            if note:
                self.run.fail("live " + note)
            if obs != u.acked:
                self.run.fail("live IAM %s: reads %s, acknowledged state %s"
                              % (u.name, ca.describe_user(obs), ca.describe_user(u.acked)))
            for f in fails:
                self.run.fail("live " + f)
            self.run.ack("iam_check")
        finally:
            self._release(u)

    # -- bucket settings: policy, ACL, Block Public Access, Object Ownership
    def conf_change(self):
        b = self._take_reg(self.m.confs, pred=lambda r: r.definite())
        if not b:
            return
        try:
            self._conf_step(b)
        finally:
            self._release(b)

    def _conf_step(self, b):
        st, s3, rng, name = b.acked, self.c, self.rng, b.name
        what = weighted(rng, [("policy", 3), ("delpolicy", 1.5), ("acl", 3), ("pab", 2),
                              ("delpab", 1.5), ("own", 2), ("delown", 1)])
        refuse = None
        if what == "policy":
            kind = rng.choice(["get", "list", "acct"])
            with self.m.lock:
                self.m.policy_ver += 1
                ver = self.m.policy_ver
            doc = ca.policy_doc(kind, name, self.m.arns.acct, ver)
            new, refuse = st._replace(policy=doc), ca.refusal(st, "policy", kind)
            call = lambda: s3.put_bucket_policy(Bucket=name, Policy=doc)  # noqa: E731
        elif what == "delpolicy":
            new = st._replace(policy=None)
            call = lambda: s3.delete_bucket_policy(Bucket=name)  # noqa: E731
        elif what == "acl":
            acl = rng.choice(["public-read", "private"])
            new, refuse = st._replace(acl=acl), ca.refusal(st, "acl", acl)
            call = lambda: s3.put_bucket_acl(Bucket=name, ACL=acl)  # noqa: E731
        elif what == "pab":
            flags = "".join("1" if rng.random() < 0.35 else "0" for _ in ca.PAB_FIELDS)
            new = st._replace(pab=flags)
            call = lambda: s3.put_public_access_block(  # noqa: E731
                Bucket=name, PublicAccessBlockConfiguration={
                    f: flags[i] == "1" for i, f in enumerate(ca.PAB_FIELDS)})
        elif what == "delpab":
            new = st._replace(pab=None)
            call = lambda: s3.delete_public_access_block(Bucket=name)  # noqa: E731
        elif what == "own":
            own = rng.choice(ca.OWNERSHIPS)
            new, refuse = st._replace(own=own), ca.refusal(st, "own", own)
            call = lambda: s3.put_bucket_ownership_controls(  # noqa: E731
                Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": own}]})
        else:
            new = st._replace(own=None)
            call = lambda: s3.delete_bucket_ownership_controls(Bucket=name)  # noqa: E731
        if refuse:
            self._refused(b, "conf_" + what, new, call, refuse)
        else:
            self._change(b, "conf_" + what, new, call)

    def conf_check(self):
        b = self._take_reg(self.m.confs, pred=lambda r: r.definite())
        if not b:
            return
        try:
            try:
                obs = ca.observe_conf(self.c, b.name)
                fails, _n = ca.check_conf_access(self.raw, b.name, obs)
            except Exception as e:
                self.run.err("bucket settings check %s" % b.name, e)
                return
            if obs != b.acked:
                self.run.fail("live settings of %s: read %s, acknowledged %s"
                              % (b.name, ca.describe_conf(obs), ca.describe_conf(b.acked)))
            for f in fails:
                self.run.fail("live " + f)
            self.run.ack("conf_check")
        finally:
            self._release(b)

    # -- PutObjectAcl (canned) on a key nobody else is changing
    def put_acl(self):
        k = self._take(pred=lambda k: k.definite() and k.acked is not None)
        if not k:
            return
        try:
            cur = k.acked
            acl = "public-read" if cur.acl == "private" else "private"
            if self.rng.random() < 0.2:
                acl = cur.acl  # the same again: must change nothing
            st = cur.with_acl(acl, "%s +acl %s" % (cur.desc.split(" +acl ")[0], acl))
            self._begin(k, st)
            try:
                self.c.put_object_acl(Bucket=BUCKET, Key=k.name, ACL=acl)
            except Exception as e:
                kind, _ = self.run.err("PutObjectAcl %s %s" % (k.name, acl), e)
                self._failed(k, st, kind)
                return
            self._acked(k, st)
            self.run.ack("acl_put_object_acl")
        finally:
            self._release(k)

    # -- the loop
    def loop(self):
        ops = [(self.put, 40), (self.delete, 10), (self.delete_batch, 7), (self.copy, 10),
               (self.multipart, 8), (self.resume_upload, 4), (self.check_get, 12),
               (self.put_small_burst, 9), (self.put_acl, 4), (self.iam_change, 12),
               (self.iam_check, 2), (self.conf_change, 6), (self.conf_check, 1.5)]
        total = sum(w for _, w in ops)
        bound = 100000
        while not self.run.stop.is_set() and bound > 0:
            bound -= 1
            r = self.rng.uniform(0, total)
            for fn, w in ops:
                r -= w
                if r <= 0:
                    break
            try:
                fn()
            except Exception:  # our own bug: report, do not hide
                with self.run.lock:
                    self.run.harness.append(traceback.format_exc())
                return

    # -- PutObject
    def put(self, size=None):
        k = self._take()
        if not k:
            return
        try:
            self._put_key(k, size)
        finally:
            self._release(k)

    def _put_key(self, k, size=None):
        with self.m.lock:
            k.ver += 1
            ver = k.ver
        size = pick_size(self.rng) if size is None else size
        data = body("%s#%d" % (k.name, ver), size)
        md5 = hashlib.md5(data).hexdigest()
        meta, ctype = rand_meta(self.rng), self.rng.choice(CTYPES)
        kw = {"ACL": "public-read"} if self.rng.random() < 0.2 else {}
        st = Obj("put", size, md5, md5, meta, ctype, "put %s#%d" % (k.name, ver),
                 kw.get("ACL", "private"))
        self._begin(k, st)
        try:
            resp = self.c.put_object(Bucket=BUCKET, Key=k.name, Body=data, Metadata=meta,
                                     ContentType=ctype, **kw)
        except Exception as e:
            kind, _ = self.run.err("PutObject %s" % k.name, e)
            self._failed(k, st, kind)
            return
        if resp.get("ETag", "").strip('"') != md5:
            self.run.fail("PutObject %s acked with ETag %s, body MD5 %s"
                          % (k.name, resp.get("ETag"), md5))
        self._acked(k, st)
        self.run.ack("put")
        if kw:
            self.run.note("acl_header")

    def put_small_burst(self):
        for _ in range(self.rng.randint(2, 5)):
            if self.run.stop.is_set():
                return
            self.put(size=self.rng.choice([0, 1, self.rng.randint(2, 2048)]))

    # -- DeleteObject
    def delete(self):
        k = self._take()
        if not k:
            return
        try:
            self._begin(k, None)
            try:
                self.c.delete_object(Bucket=BUCKET, Key=k.name)
            except Exception as e:
                kind, _ = self.run.err("DeleteObject %s" % k.name, e)
                self._failed(k, None, kind)
                return
            self._acked(k, None)
            self.run.ack("delete")
        finally:
            self._release(k)

    # -- DeleteObjects
    def delete_batch(self):
        ks = []
        for _ in range(self.rng.randint(2, 10)):
            k = self._take(exclude={x.name for x in ks})
            if k:
                ks.append(k)
        if not ks:
            return
        try:
            for k in ks:
                self._begin(k, None)
            quiet = self.rng.random() < 0.3
            try:
                resp = self.c.delete_objects(Bucket=BUCKET, Delete={
                    "Objects": [{"Key": k.name} for k in ks], "Quiet": quiet})
            except Exception as e:
                kind, _ = self.run.err("DeleteObjects", e)
                for k in ks:
                    self._failed(k, None, kind)
                return
            deleted = {d["Key"] for d in resp.get("Deleted", [])}
            errors = {e["Key"]: e.get("Code") for e in resp.get("Errors", [])}
            for k in ks:
                if k.name in errors:
                    code = errors[k.name]
                    if not self.run.killed.is_set():
                        with self.run.lock:
                            self.run.load_errors.append("DeleteObjects %s: %s" % (k.name, code))
                    self._failed(k, None, "ambiguous" if code == "InternalError" else "definite")
                elif k.name in deleted or quiet:
                    self._acked(k, None)
                else:
                    self.run.fail("DeleteObjects: %r neither deleted nor failed" % k.name)
                    self._failed(k, None, "ambiguous")
            self.run.ack("delete_objects")
        finally:
            self._release(*ks)

    # -- CopyObject
    def copy(self):
        src = self._take(pred=lambda k: k.definite() and k.acked is not None)
        if not src:
            return self.put()
        dst = self._take(exclude={src.name})
        if not dst:
            self._release(src)
            return
        try:
            s = src.acked
            replace = self.rng.random() < 0.5
            meta, ctype = (rand_meta(self.rng), self.rng.choice(CTYPES)) if replace \
                else (s.meta, s.ctype)
            # a copy gets the default ACL (private), not the source's, unless it names one
            acl = "public-read" if self.rng.random() < 0.2 else None
            st = Obj("copy", s.size, s.md5, s.etag, meta, ctype,
                     "copy %s(%s)->%s" % (src.name, s.desc, dst.name), acl or "private")
            self._begin(dst, st)
            kw = dict(Bucket=BUCKET, Key=dst.name, CopySource={"Bucket": BUCKET, "Key": src.name})
            if replace:
                kw.update(MetadataDirective="REPLACE", Metadata=meta, ContentType=ctype)
            if acl:
                kw["ACL"] = acl
            try:
                resp = self.c.copy_object(**kw)
            except Exception as e:
                kind, _ = self.run.err("CopyObject %s->%s" % (src.name, dst.name), e)
                self._failed(dst, st, kind)
                return
            got = resp.get("CopyObjectResult", {}).get("ETag", "").strip('"')
            if got != s.etag:
                self.run.fail("CopyObject %s->%s acked ETag %s, source ETag %s"
                              % (src.name, dst.name, got, s.etag))
            self._acked(dst, st)
            self.run.ack("copy")
            if acl:
                self.run.note("acl_header")
        finally:
            self._release(src, dst)

    # -- GET of a key nobody is changing: must be exactly the model's state
    def check_get(self):
        k = self._take(pred=lambda k: k.definite() and k.touched)
        if not k:
            return
        try:
            try:
                obs = fetch(self.c, k.name)
                anon = anon_check(self.raw, k.name, obs)
            except Exception as e:
                self.run.err("GetObject %s" % k.name, e)
                return
            if not matches(obs, k.acked):
                self.run.fail("live GET %s: got %s, acknowledged state %s"
                              % (k.name, describe_obs(obs), describe(k.acked)))
            if anon:
                self.run.fail("live " + anon)
            self.run.ack("get")
        finally:
            self._release(k)

    # -- multipart
    def multipart(self):
        m = self.m
        with m.lock:
            full = len(m.uploads) >= MAX_PENDING_UPLOADS
            m.upload_counter += 1
            tag = "u%d" % m.upload_counter
        if full:
            return self.resume_upload(fallback=False)
        key = self.rng.choice(m.names)
        meta, ctype = rand_meta(self.rng), self.rng.choice(CTYPES)
        kw = {"ACL": "public-read"} if self.rng.random() < 0.2 else {}
        with m.lock:
            m.unknown_creates[key] += 1
        try:
            resp = self.c.create_multipart_upload(Bucket=BUCKET, Key=key, Metadata=meta,
                                                  ContentType=ctype, **kw)
        except Exception as e:
            kind, _ = self.run.err("CreateMultipartUpload %s" % key, e)
            if kind == "definite":
                with m.lock:
                    m.unknown_creates[key] -= 1
            return
        u = Upload(resp["UploadId"], key, tag, meta, ctype, kw.get("ACL", "private"))
        u.owner = True
        with m.lock:
            m.unknown_creates[key] -= 1
            m.uploads[u.uid] = u
            m.keys[key].touched = True
        self.run.ack("mpu_create")
        n = self.rng.choice([1, 2, 2, 3])
        for pn in range(1, n + 1):
            if n == 1:
                size = self.rng.randint(1, 3 * MIB)
            elif pn < n:
                size = 5 * MIB + self.rng.randint(0, 256 * 1024)
            else:
                size = self.rng.randint(1, 2 * MIB)
            if not self._upload_part(u, pn, size):
                return self._disown(u)
        r = self.rng.random()
        if r < 0.70:
            self._complete(u)
        elif r < 0.85:
            self._abort(u)
        else:
            self._disown(u)  # left pending: a later iteration resumes it

    def _disown(self, u):
        with self.m.lock:
            u.owner = False

    def _upload_part(self, u, pn, size):
        data = body("%s#p%d" % (u.tag, pn), size)
        md5 = hashlib.md5(data).hexdigest()
        with self.m.lock:
            u.inflight_parts[pn] = (md5, size)
        try:
            resp = self.c.upload_part(Bucket=BUCKET, Key=u.key, UploadId=u.uid, PartNumber=pn,
                                      Body=data)
        except Exception as e:
            kind, _ = self.run.err("UploadPart %s %s #%d" % (u.key, u.uid, pn), e)
            if kind == "definite":
                with self.m.lock:
                    del u.inflight_parts[pn]
            return False
        if resp.get("ETag", "").strip('"') != md5:
            self.run.fail("UploadPart %s #%d acked ETag %s, MD5 %s"
                          % (u.uid, pn, resp.get("ETag"), md5))
        with self.m.lock:
            del u.inflight_parts[pn]
            u.parts[pn] = (md5, size)
        self.run.ack("mpu_part")
        return True

    def _complete(self, u):
        # the key must be ours while its state changes
        k = None
        for _ in range(100):
            if self.run.stop.is_set():
                break
            with self.m.lock:
                if not self.m.keys[u.key].busy:
                    k = self.m.keys[u.key]
                    k.busy = True
            if k:
                break
            time.sleep(0.02)
        if not k:
            return self._disown(u)
        try:
            pns = sorted(u.parts)
            st = completed_state(u)
            with self.m.lock:
                u.status = "completing"
                u.complete_state = st
            self._begin(k, st)
            try:
                resp = self.c.complete_multipart_upload(
                    Bucket=BUCKET, Key=u.key, UploadId=u.uid, MultipartUpload={
                        "Parts": [{"PartNumber": pn, "ETag": '"%s"' % u.parts[pn][0]}
                                  for pn in pns]})
            except Exception as e:
                kind, _ = self.run.err("CompleteMultipartUpload %s %s" % (u.key, u.uid), e)
                self._failed(k, st, kind)
                if kind == "definite":
                    with self.m.lock:
                        u.status = "pending"
                        u.complete_state = None
                return
            if resp.get("ETag", "").strip('"') != st.etag:
                self.run.fail("Complete %s acked ETag %s, expected %s"
                              % (u.uid, resp.get("ETag"), st.etag))
            self._acked(k, st)
            with self.m.lock:
                self.m.uploads.pop(u.uid, None)
            self.run.ack("mpu_complete")
        finally:
            self._release(k)
            self._disown(u)

    def _abort(self, u):
        with self.m.lock:
            u.status = "aborting"
        try:
            self.c.abort_multipart_upload(Bucket=BUCKET, Key=u.key, UploadId=u.uid)
        except Exception as e:
            kind, _ = self.run.err("AbortMultipartUpload %s %s" % (u.key, u.uid), e)
            if kind == "definite":
                with self.m.lock:
                    u.status = "pending"
            return self._disown(u)
        with self.m.lock:
            self.m.uploads.pop(u.uid, None)
        self.run.ack("mpu_abort")

    def resume_upload(self, fallback=True):
        """Finishes an upload left pending, possibly by an earlier pail process."""
        with self.m.lock:
            free = [u for u in self.m.uploads.values()
                    if not u.owner and u.status == "pending" and not u.inflight_parts]
            if not free:
                u = None
            else:
                u = self.rng.choice(free)
                u.owner = True
                u.resumed += 1
        if not u:
            return self.multipart() if fallback else self.put()
        if not u.parts:
            if not self._upload_part(u, 1, self.rng.randint(1, 64 * 1024)):
                return self._disown(u)
        if self.rng.random() < 0.8:
            self._complete(u)
        else:
            self._abort(u)


def completed_state(u):
    pns = sorted(u.parts)
    h = hashlib.md5()
    for pn in pns:
        h.update(body("%s#p%d" % (u.tag, pn), u.parts[pn][1]))
    etag = "%s-%d" % (hashlib.md5(b"".join(binascii.unhexlify(u.parts[pn][0])
                                           for pn in pns)).hexdigest(), len(pns))
    return Obj("mpu", sum(u.parts[pn][1] for pn in pns), h.hexdigest(), etag, u.meta,
               u.ctype, "complete %s(%s) of %s" % (u.tag, u.uid[:8], u.key), u.acl)


# ---------------------------------------------------------------- observing
def fetch(client, key):
    """('absent',) or a dict describing the object as GET returns it."""
    try:
        resp = client.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "NoSuchKey":
            return None
        raise
    data = resp["Body"].read()
    acl = ca.canned(client.get_object_acl(Bucket=BUCKET, Key=key).get("Grants", []))
    return {"size": len(data), "clen": resp.get("ContentLength"), "md5": hashlib.md5(data).hexdigest(),
            "etag": resp.get("ETag", "").strip('"'), "meta": resp.get("Metadata", {}),
            "ctype": resp.get("ContentType"), "acl": acl}


def matches(obs, st):
    if obs is None or st is None:
        return obs is None and st is None
    return (obs["size"] == st.size and obs["clen"] == st.size and obs["md5"] == st.md5
            and obs["etag"] == st.etag and obs["meta"] == st.meta and obs["ctype"] == st.ctype
            and obs["acl"] == st.acl)


def describe_obs(obs):
    if obs is None:
        return "ABSENT (404)"
    return "size=%d md5=%s etag=%s meta=%s ctype=%s acl=%s" % (
        obs["size"], obs["md5"], obs["etag"], obs["meta"], obs["ctype"], obs["acl"])


def anon_check(raw, key, obs):
    """The ACL in force: an unsigned GET (HEAD above ANON_GET_MAX) of a
    public-read object gets 200 and its bytes; of a private or absent one, 403.
    Returns what is wrong, or None."""
    head = obs is not None and obs["size"] > ANON_GET_MAX
    st, code, data, h = raw.anon_object(BUCKET, key, head=head)
    public = obs is not None and obs["acl"] == "public-read"
    what = "anonymous %s %r (%s)" % ("HEAD" if head else "GET", key,
                                     "absent" if obs is None else obs["acl"])
    if not public:
        return None if st == 403 else "ACL NOT IN FORCE: %s -> %d %s, expected 403" % (
            what, st, code)
    if st != 200:
        return "ACL NOT IN FORCE: %s -> %d %s, expected 200" % (what, st, code)
    if head:
        got = (h.get("etag", "").strip('"'), int(h.get("content-length", "-1")))
        if got != (obs["etag"], obs["size"]):
            return "%s: ETag/length %s, GET said %s" % (what, got, (obs["etag"], obs["size"]))
    elif hashlib.md5(data).hexdigest() != obs["md5"]:
        return "%s: %d bytes with MD5 %s, GET said %d with %s" % (
            what, len(data), hashlib.md5(data).hexdigest(), obs["size"], obs["md5"])
    return None


def list_all_objects(client):
    out, token = {}, None
    for _ in range(10000):
        kw = {"Bucket": BUCKET, "MaxKeys": 37}
        if token:
            kw["ContinuationToken"] = token
        resp = client.list_objects_v2(**kw)
        for o in resp.get("Contents", []):
            if o["Key"] in out:
                raise HarnessError("ListObjectsV2 returned %r twice" % o["Key"])
            out[o["Key"]] = (o["ETag"].strip('"'), o["Size"])
        if not resp.get("IsTruncated"):
            return out
        token = resp["NextContinuationToken"]
    raise HarnessError("ListObjectsV2 did not end")


def list_all_uploads(client):
    out, km, um = [], None, None
    for _ in range(10000):
        kw = {"Bucket": BUCKET, "MaxUploads": 11}
        if km is not None:
            kw.update(KeyMarker=km, UploadIdMarker=um or "")
        resp = client.list_multipart_uploads(**kw)
        for u in resp.get("Uploads", []):
            out.append((u["Key"], u["UploadId"]))
        if not resp.get("IsTruncated"):
            return out
        km, um = resp.get("NextKeyMarker"), resp.get("NextUploadIdMarker")
    raise HarnessError("ListMultipartUploads did not end")


def list_all_parts(client, key, uid):
    out, marker = {}, 0
    for _ in range(1000):
        resp = client.list_parts(Bucket=BUCKET, Key=key, UploadId=uid, PartNumberMarker=marker,
                                 MaxParts=2)
        for p in resp.get("Parts", []):
            out[p["PartNumber"]] = (p["ETag"].strip('"'), p["Size"])
        if not resp.get("IsTruncated"):
            return out
        marker = resp["NextPartNumberMarker"]
    raise HarnessError("ListParts did not end")


# ---------------------------------------------------------------- verification
def verify(model, pail, failures):
    """Checks pail against the model after a restart and folds the model to what
    was observed. Returns counters."""
    client = pail.client
    stats = collections.Counter()
    touched = [k for k in model.keys.values() if k.touched]
    observed = {}
    lock = threading.Lock()
    errors = []
    anon_fails = []

    def check(k):
        try:
            obs = fetch(client, k.name)
        except Exception as e:  # includes a checksum the client refuses
            with lock:
                errors.append("GET %s: %s: %s" % (k.name, type(e).__name__, str(e)[:300]))
            return
        try:
            anon = anon_check(pail.raw, k.name, obs)
        except Exception as e:
            anon = "anonymous GET %r: %s: %s" % (k.name, type(e).__name__, str(e)[:300])
        with lock:
            observed[k.name] = obs
            stats["anon_checked"] += 1
            if anon:
                anon_fails.append(anon)

    pool = [touched[i::4] for i in range(4)]
    ts = [threading.Thread(target=lambda part: [check(k) for k in part], args=(p,))
          for p in pool]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    failures.extend("LOST/CORRUPT " + e for e in errors)
    stats["lost"] += len(errors)
    stats["states_checked"] += len(errors)
    failures.extend(anon_fails)
    stats["not_in_force"] += len(anon_fails)

    for k in touched:
        if k.name not in observed:
            continue
        obs = observed[k.name]
        stats["states_checked"] += 1
        stats["candidates"] += len(k.cands) + len(k.inflight)
        allowed = [k.acked] + k.cands + k.inflight
        hit = next((st for st in allowed if matches(obs, st)), "miss")
        if hit == "miss":
            stats["lost"] += 1
            failures.append("LOST %s: got %s; last acknowledged %s; in flight %s"
                            % (k.name, describe_obs(obs), describe(k.acked),
                               [describe(c) for c in k.cands + k.inflight]))
            hit = None if obs is None else Obj("observed", obs["size"], obs["md5"], obs["etag"],
                                               obs["meta"], obs["ctype"], "observed", obs["acl"])
        elif hit is not k.acked:
            stats["inflight_won"] += 1
        k.acked, k.cands, k.inflight, k.sticky = hit, [], [], False

    # the listing agrees with the GETs
    listing = list_all_objects(client)
    for name, obs in observed.items():
        got = listing.get(name)
        want = None if obs is None else (obs["etag"], obs["size"])
        if got != want:
            stats["list_mismatch"] += 1
            failures.append("LIST %r: listing says %s, GET says %s" % (name, got, want))
    for name in listing:
        if name not in model.keys or not model.keys[name].touched:
            stats["list_mismatch"] += 1
            failures.append("LIST: phantom key %r %s" % (name, listing[name]))
    stats["objects"] = len(listing)

    # multipart uploads
    listed = list_all_uploads(client)
    listed_ids = {uid for _, uid in listed}
    for uid, u in list(model.uploads.items()):
        present = uid in listed_ids
        if u.status == "pending" and not present:
            failures.append("LOST upload %s of %r (created%s, acked parts %s)"
                            % (uid, u.key, " and resumed" if u.resumed else "", sorted(u.parts)))
            stats["lost"] += 1
            del model.uploads[uid]
            continue
        if u.status == "completing":
            k = model.keys[u.key]
            done = k.acked is u.complete_state
            if present and done:
                failures.append("ATOMICITY upload %s of %r: still listed but the object is "
                                "its completion" % (uid, u.key))
                stats["atomicity"] += 1
            if not present and not done:
                failures.append("ATOMICITY upload %s of %r: gone but the object is %s, "
                                "not its completion" % (uid, u.key, describe(k.acked)))
                stats["atomicity"] += 1
        if not present:
            del model.uploads[uid]
            continue
        stats["uploads_checked"] += 1
        u.status, u.complete_state, u.owner = "pending", None, False
        parts = list_all_parts(client, u.key, uid)
        for pn, (etag, size) in u.parts.items():
            stats["parts_checked"] += 1
            if parts.get(pn) != (etag, size):
                stats["lost"] += 1
                failures.append("LOST part %d of upload %s (%r): listed as %s, acked %s"
                                % (pn, uid, u.key, parts.get(pn), (etag, size)))
        for pn, got in parts.items():
            if pn in u.parts:
                continue
            if u.inflight_parts.get(pn) == got:
                u.parts[pn] = got
            else:
                failures.append("part %d of upload %s (%r) is %s: never uploaded as such"
                                % (pn, uid, u.key, got))
                stats["phantom"] += 1
        for pn in list(u.parts):
            if pn not in parts:
                del u.parts[pn]
        u.inflight_parts = {}
    # uploads created without an answer may exist: abort them
    known = set(model.uploads)
    for key, uid in listed:
        if uid in known:
            continue
        if model.unknown_creates[key] > 0:
            model.unknown_creates[key] -= 1
            stats["unknown_uploads"] += 1
        else:
            failures.append("phantom upload %s of %r" % (uid, key))
            stats["phantom"] += 1
        try:
            client.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=uid)
        except Exception as e:
            failures.append("abort of unknown upload %s: %s" % (uid, classify(e)[1]))
    model.unknown_creates.clear()
    return stats


def verify_access(model, pail, failures):
    """The IAM users, the conf buckets' settings and the managed policies after
    a restart: reads must show the last acknowledged state or one in flight
    (the model is then folded to it), and that state must be in force
    (crash_access: keys authenticate or are refused, policies allow or deny,
    anonymous requests get 200 or 403). Returns counters."""
    stats = collections.Counter()
    iam, raw, arns = pail.iam, pail.raw, model.arns
    for name in ca.managed_docs(BUCKET):
        stats["iam_checked"] += 1
        try:
            iam.get_policy(PolicyArn="arn:aws:iam::%s:policy/%s" % (arns.acct, name))
        except Exception as e:
            stats["lost"] += 1
            failures.append("LOST managed policy %s (created at set-up): %s" % (name, ca.code_of(e)))
    for u in model.users:
        if not u.touched:
            continue
        try:
            obs, note = ca.observe_user(iam, u.name, arns)
        except Exception as e:
            stats["lost"] += 1
            failures.append("IAM reads of user %s failed: %s: %s" % (u.name, type(e).__name__,
                                                                       str(e)[:300]))
            continue
        if note:
            failures.append(note)
        stats["iam_checked"] += 1
        stats["access_cands"] += len(u.cands) + len(u.inflight)
        allowed = [u.acked] + u.cands + u.inflight
        hit = next((st for st in allowed if ca.user_matches(obs, st, model.secrets)), None)
        if hit is None:
            stats["lost"] += 1
            failures.append("LOST IAM user %s: reads %s; last acknowledged %s; in flight %s"
                            % (u.name, ca.describe_user(obs), ca.describe_user(u.acked),
                               [ca.describe_user(c) for c in u.cands + u.inflight]))
        elif hit != u.acked:
            stats["access_won"] += 1
        # a key nobody knows the secret of (its CreateAccessKey had no answer): delete it
        for kid, status in sorted(obs.keys):
            if kid in model.secrets:
                continue
            stats["unknown_keys"] += 1
            try:
                iam.delete_access_key(UserName=u.name, AccessKeyId=kid)
            except Exception as e:
                failures.append("delete of unknown key %s of %s: %s" % (kid, u.name, ca.code_of(e)))
                continue
            obs = obs._replace(keys=obs.keys - {(kid, status)})
        u.acked, u.cands, u.inflight, u.sticky = obs, [], [], False
    held = {kid for u in model.users for kid, _ in u.acked.keys}
    for kid in [k for k in model.secrets if k not in held]:  # deleted while in flight
        model.dead_keys.append((kid, model.secrets.pop(kid)))
    for u in model.users:
        if u.acked.exists:
            fails, n = ca.check_user_access(raw, u.name, u.acked, model.secrets, arns, BUCKET)
            stats["auth_checked"] += n
            stats["not_in_force"] += len(fails)
            failures.extend(fails)
    for kid, secret in model.dead_keys:
        stats["auth_checked"] += 1
        f = ca.check_dead_key(raw, kid, secret)
        if f:
            stats["not_in_force"] += 1
            failures.append(f)
    for b in model.confs:
        try:
            obs = ca.observe_conf(pail.client, b.name)
        except Exception as e:
            stats["lost"] += 1
            failures.append("settings reads of bucket %s failed: %s: %s"
                            % (b.name, type(e).__name__, str(e)[:300]))
            continue
        stats["conf_checked"] += 1
        stats["access_cands"] += len(b.cands) + len(b.inflight)
        allowed = [b.acked] + b.cands + b.inflight
        if obs not in allowed:
            stats["lost"] += 1
            failures.append("LOST settings of bucket %s: read %s; last acknowledged %s; in flight %s"
                            % (b.name, ca.describe_conf(obs), ca.describe_conf(b.acked),
                               [ca.describe_conf(c) for c in b.cands + b.inflight]))
        elif obs != b.acked:
            stats["access_won"] += 1
        b.acked, b.cands, b.inflight, b.sticky = obs, [], [], False
        fails, n = ca.check_conf_access(raw, b.name, obs)
        stats["anon_checked"] += n
        stats["not_in_force"] += len(fails)
        failures.extend(fails)
    return stats


def setup_access(pail, model):
    """The account id, the conf buckets with their private probe objects, the
    customer managed policies users get attached."""
    acct = make_client(pail.port, "sts").get_caller_identity()["Account"]
    model.arns = ca.Arns(acct)
    for b in model.confs:
        pail.client.create_bucket(Bucket=b.name)
        pail.client.put_object(Bucket=b.name, Key=ca.PROBE_KEY, Body=b"probe")
    for name, doc in ca.managed_docs(BUCKET).items():
        pail.iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc))


# ---------------------------------------------------------------- offline checks
def offline_check(data_dir):
    """With pail stopped: integrity, temporaries, orphans, missing blobs."""
    res = {"integrity": "?", "fk": 0, "tmp": 0, "orphans": 0, "missing": 0, "size_bad": 0,
           "blobs": 0, "orphan_ids": [], "missing_ids": []}
    tmp = os.path.join(data_dir, "tmp")
    res["tmp"] = len(os.listdir(tmp)) if os.path.isdir(tmp) else 0
    blobs = {}
    root = os.path.join(data_dir, "objects")
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            blobs[f] = os.path.getsize(os.path.join(dirpath, f))
    res["blobs"] = len(blobs)
    db = sqlite3.connect(os.path.join(data_dir, "meta.db"))
    try:
        res["integrity"] = ",".join(r[0] for r in db.execute("PRAGMA integrity_check"))
        res["fk"] = len(db.execute("PRAGMA foreign_key_check").fetchall())
        refs = {}
        for did, size in db.execute("SELECT data_id, size FROM objects UNION ALL "
                                    "SELECT data_id, size FROM parts"):
            refs[did] = size
        # small objects live in meta.db itself, under ids beginning with "i"
        inline = dict(db.execute("SELECT 'i' || n, length(bytes) FROM inline_data"))
    finally:
        db.close()
    inline_refs = {d: s for d, s in refs.items() if d.startswith("i")}
    file_refs = {d: s for d, s in refs.items() if d not in inline_refs}
    orphans = (set(blobs) - set(file_refs)) | (set(inline) - set(inline_refs))
    missing = (set(file_refs) - set(blobs)) | (set(inline_refs) - set(inline))
    res["orphans"], res["missing"] = len(orphans), len(missing)
    res["orphan_ids"], res["missing_ids"] = sorted(orphans)[:5], sorted(missing)[:5]
    res["size_bad"] = (sum(1 for d, s in file_refs.items() if d in blobs and blobs[d] != s) +
                       sum(1 for d, s in inline_refs.items() if d in inline and inline[d] != s))
    return res


def leftovers(data_dir):
    """Files a kill left behind (counted before the restart, informational)."""
    tmp = os.path.join(data_dir, "tmp")
    n_tmp = len(os.listdir(tmp)) if os.path.isdir(tmp) else 0
    n_blobs = sum(len(f) for _, _, f in os.walk(os.path.join(data_dir, "objects")))
    return n_tmp, n_blobs


# ---------------------------------------------------------------- main loop
def load_and_kill(pail, model, it, seed, threads, kill_after):
    run = Run()
    ws = [Worker(w, model, run, pail.client, random.Random("%d/%d/%d" % (seed, it, w)), threads,
                 iam=pail.iam, raw=pail.raw)
          for w in range(threads)]
    ts = [threading.Thread(target=w.loop, daemon=True) for w in ws]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    while time.monotonic() - t0 < kill_after and all(t.is_alive() for t in ts):
        time.sleep(0.01)
    with model.lock:  # requests running at the kill (some may just be answering)
        inflight = (sum(len(k.inflight) for k in model.keys.values())
                    + sum(len(u.inflight_parts) + (u.status != "pending")
                          for u in model.uploads.values())
                    + sum(model.unknown_creates.values())
                    + sum(len(r.inflight) for r in model.regs()))
    run.killed.set()
    pail.kill()
    run.stop.set()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in ts:
        t.join(max(0.1, deadline - time.monotonic()))
    if any(t.is_alive() for t in ts):
        raise HarnessError("workers still running %.0f s after the kill" % JOIN_TIMEOUT)
    # anything still marked in flight stays a candidate
    with model.lock:
        for k in list(model.keys.values()) + model.regs():
            k.cands.extend(k.inflight)
            k.inflight = []
            k.busy = False
        for u in model.uploads.values():
            u.owner = False
    return run, inflight


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--data", default=None, help="data directory (must be absent or empty); "
                    "default: a fresh temporary directory, removed after a pass")
    ap.add_argument("--bin", default=os.path.normpath(os.path.join(here, "..", "..", "build",
                                                                   "release", "pail")))
    ap.add_argument("--max-seconds", type=float, default=270.0,
                    help="hard bound on the total run time (default 270)")
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--keys", type=int, default=120)
    ap.add_argument("--users", type=int, default=12, help="IAM user names in the pool")
    ap.add_argument("--conf-buckets", type=int, default=3,
                    help="buckets whose policy, ACL, Block Public Access and ownership change")
    ap.add_argument("--min-kill", type=float, default=0.2)
    ap.add_argument("--max-kill", type=float, default=3.0)
    ap.add_argument("--recovery-kills", type=float, default=0.15,
                    help="share of iterations whose first restart is SIGKILLed again "
                    "within 30 ms, during start-up recovery (default 0.15)")
    ap.add_argument("--min-kills", type=int, default=1,
                    help="fail when --max-seconds stops the run before this many kills")
    ap.add_argument("--allow-load-errors", action="store_true",
                    help="do not fail on errors pail answered while alive")
    ap.add_argument("--keep-going", action="store_true",
                    help="continue after a failing iteration")
    args = ap.parse_args()
    t_start = time.monotonic()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        log("crash-test: no pail binary at %s (make build/release/pail)" % binary)
        return 2
    if args.data:
        data = os.path.abspath(args.data)
        if os.path.exists(data) and os.listdir(data):
            log("crash-test: --data %s is not empty; the model must start from nothing" % data)
            return 2
        os.makedirs(data, exist_ok=True)
        own_data = False
    else:
        data = tempfile.mkdtemp(prefix="pail-crash-")
        own_data = True
    log_dir = tempfile.mkdtemp(prefix="pail-crash-logs-")
    log("crash-test: seed=%d kills=%d threads=%d keys=%d bin=%s data=%s logs=%s"
        % (seed, args.kills, args.threads, args.keys, binary, data, log_dir))

    pail = Pail(binary, data, log_dir)
    model = Model(args.keys, args.users, args.conf_buckets)
    rng = random.Random(seed)

    def watchdog():
        log("crash-test: --max-seconds %.0f exceeded: aborting (seed=%d)" % (args.max_seconds, seed))
        try:
            pail.kill()
        finally:
            os._exit(2)
    dog = threading.Timer(args.max_seconds, watchdog)
    dog.daemon = True
    dog.start()

    tot = collections.Counter()
    failed_iters = []
    iter_times = []
    kills = 0
    try:
        pail.start()
        pail.client.create_bucket(Bucket=BUCKET)
        setup_access(pail, model)
        for it in range(1, args.kills + 1):
            elapsed = time.monotonic() - t_start
            est = max(iter_times[-10:]) * 1.5 if iter_times else 10.0
            if elapsed + est > args.max_seconds - 5:
                log("crash-test: time bound: stopping after %d of %d kills (%.0f s used)"
                    % (kills, args.kills, elapsed))
                break
            ti = time.monotonic()
            kill_after = rng.uniform(args.min_kill, args.max_kill)
            failures = []
            run, inflight = load_and_kill(pail, model, it, seed, args.threads, kill_after)
            kills += 1
            n_tmp, n_blobs = leftovers(data)
            failures += ["during load: " + f for f in run.failures]
            failures += ["HARNESS: " + h for h in run.harness]
            if run.load_errors and not args.allow_load_errors:
                failures += ["error while pail was alive: " + e for e in run.load_errors[:20]]
            recovery_kill = rng.random() < args.recovery_kills
            if recovery_kill:
                pail.start_and_kill(rng.uniform(0.0, 0.03))
            pail.start()
            st = verify(model, pail, failures)
            st.update(verify_access(model, pail, failures))
            rc = pail.stop()  # waits for the start-up sweep, which runs beside the server
            swept = pail.swept()
            if rc != 0:
                failures.append("pail exited %s on SIGTERM" % rc)
            san = pail.sanitizer_report()
            if san:
                failures.append("sanitizer report:\n" + san)
            off = offline_check(data)
            if off["integrity"] != "ok":
                failures.append("meta.db integrity_check: %s" % off["integrity"])
            if off["fk"]:
                failures.append("meta.db foreign_key_check: %d rows" % off["fk"])
            if off["tmp"]:
                failures.append("%d files left in tmp/ after restart" % off["tmp"])
            if off["orphans"]:
                failures.append("%d orphan blobs after restart, e.g. %s"
                                % (off["orphans"], off["orphan_ids"]))
            if off["missing"]:
                failures.append("%d referenced blobs missing, e.g. %s"
                                % (off["missing"], off["missing_ids"]))
                st["lost"] += off["missing"]
            if off["size_bad"]:
                failures.append("%d blobs whose size differs from the metadata" % off["size_bad"])
            dt = time.monotonic() - ti
            iter_times.append(dt)
            for name in ("states_checked", "lost", "candidates", "inflight_won", "uploads_checked",
                         "parts_checked", "unknown_uploads", "list_mismatch", "atomicity",
                         "phantom", "iam_checked", "auth_checked", "conf_checked", "anon_checked",
                         "not_in_force", "unknown_keys", "access_cands", "access_won"):
                tot[name] += st[name]
            n_iam, n_conf, n_acl, n_refused = run.access_counts()
            tot["iam_ops"] += n_iam
            tot["conf_ops"] += n_conf
            tot["acl_ops"] += n_acl
            tot["refused"] += n_refused
            tot["orphans"] += off["orphans"]
            tot["swept"] += swept
            tot["acked_ops"] += run.acked
            tot["load_errors"] += len(run.load_errors)
            tot["recovery_kills"] += recovery_kill
            log("iter %d/%d kill@%.2fs%s acked=%d inflight@kill=%d left(tmp=%d blobs=%d) swept=%d | "
                "states_checked=%d lost=%d inflight_won=%d objects=%d uploads=%d parts=%d "
                "unknown_uploads=%d | acked iam=%d conf=%d acl=%d refused=%d; in flight %d (won %d, "
                "unknown keys %d); checked iam=%d auth=%d conf=%d anon=%d not_in_force=%d | orphans=%d tmp=%d integrity=%s | %s %.1fs"
                % (it, args.kills, kill_after, "+recovery-kill" if recovery_kill else "", run.acked, inflight, n_tmp, n_blobs, swept,
                   st["states_checked"], st["lost"], st["inflight_won"], st["objects"],
                   st["uploads_checked"], st["parts_checked"], st["unknown_uploads"],
                   n_iam, n_conf, n_acl, n_refused, st["access_cands"], st["access_won"],
                   st["unknown_keys"], st["iam_checked"], st["auth_checked"],
                   st["conf_checked"], st["anon_checked"], st["not_in_force"],
                   off["orphans"], off["tmp"], off["integrity"],
                   "FAIL" if failures else "ok", dt))
            if failures:
                failed_iters.append(it)
                for f in failures[:40]:
                    log("  FAIL[seed=%d iter=%d] %s" % (seed, it, f))
                if len(failures) > 40:
                    log("  ... %d more" % (len(failures) - 40))
                log("  pail log of the restart: %s" % pail.log_path)
                if not args.keep_going:
                    break
            if it < args.kills:
                pail.start()
    except HarnessError as e:
        log("crash-test: HARNESS ERROR (seed=%d): %s" % (seed, e))
        pail.kill()
        return 2
    finally:
        dog.cancel()
        pail.kill()
    total = time.monotonic() - t_start
    ok = not failed_iters and kills >= max(1, args.min_kills)
    if kills < args.min_kills:
        log("crash-test: only %d kills fit in --max-seconds; --min-kills is %d"
            % (kills, args.min_kills))
    log("crash-test: %s kills=%d recovery_kills=%d acked_ops=%d states_checked=%d lost=%d orphans=%d swept=%d "
        "inflight_won=%d uploads_checked=%d parts_checked=%d list_mismatch=%d atomicity=%d "
        "iam_ops=%d conf_ops=%d acl_ops=%d refused_ok=%d access_inflight=%d access_won=%d "
        "iam_checked=%d auth_checked=%d conf_checked=%d anon_checked=%d not_in_force=%d "
        "load_errors=%d seed=%d time=%.0fs%s"
        % ("PASS" if ok else "FAIL", kills, tot["recovery_kills"], tot["acked_ops"], tot["states_checked"], tot["lost"],
           tot["orphans"], tot["swept"], tot["inflight_won"], tot["uploads_checked"],
           tot["parts_checked"], tot["list_mismatch"], tot["atomicity"],
           tot["iam_ops"], tot["conf_ops"], tot["acl_ops"], tot["refused"], tot["access_cands"],
           tot["access_won"], tot["iam_checked"],
           tot["auth_checked"], tot["conf_checked"], tot["anon_checked"], tot["not_in_force"],
           tot["load_errors"], seed, total, "" if ok else " failed_iterations=%s data=%s" % (failed_iters, data)))
    if ok:
        if own_data:
            shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(log_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
