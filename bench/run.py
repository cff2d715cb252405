#!/usr/bin/env python3
"""pail's benchmark: pail, a no-S3 ceiling, moto and radosgw measured side by side
in one run on this machine, next to the machine's physical limits.

    python3 bench/run.py            # full matrix (make bench), ~45 min + cleanup, see bench/README.md
    python3 bench/run.py --quick    # reduced matrix for CI (make bench-quick), ~2.5 min
    options: --servers pail,ceiling,moto,radosgw  --seconds S  --list-keys N
             --perf CELL[,CELL]  (perf record -g on pail during those cells)  --keep
             --tag NAME  (results go to bench/results/<date>[-quick]-NAME.md)
             --soak-minutes M  (bench/soak.py after the matrix: 10 full, 0 quick)
             --only-perms | --no-perms  --perm-users N  --perm-rounds R
               (bench/perms.py after the paired rounds: GET/PUT 4 KiB @16 as the root,
               an IAM user with a 20-statement bucket policy, anonymous, presigned,
               anonymous through the website endpoint; start-up with N users)
             --only-tls | --no-tls  (bench/tls.py after the permission cells: GET/PUT
               4 KiB and 64 MiB over HTTPS against plain HTTP, same server, same rounds)

Every request is signed (SigV4, UNSIGNED-PAYLOAD) before its cell starts, so
no client signing is measured. Load comes from wrk (bench/wrk/replay.lua) for
small requests and from bench/loadgen.c for large bodies, per-request bodies
(DeleteObjects), exactly-once runs (populating, multipart parts). All traffic
goes to 127.0.0.1, every cell and every child process is bounded in time.
Results: bench/results/<date>.md (+ .json), also printed.
"""
import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import statistics
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

DIST = "/usr/lib/python3/dist-packages"
if DIST not in sys.path:
    sys.path.append(DIST)

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
BIN = os.path.join(ROOT, "build", "bench")
PAIL = os.path.join(ROOT, "build", "release", "pail")
RADOSGW_SCRIPT = os.path.normpath(os.path.join(ROOT, "..", "shared", "peers", "start-radosgw.sh"))
ACCESS_KEY = "PAILBENCHACCESSKEY00"
SECRET_KEY = "pail/bench+SecretKey000000000000000000000"
REGION = "us-east-1"
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
TICK = os.sysconf("SC_CLK_TCK")
SIZE_NAME = {4 * KiB: "4k", 1 * MiB: "1m", 64 * MiB: "64m", 0: "0"}
T0 = time.monotonic()


def log(msg):
    print("[%6.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


def sh(cmd, timeout, **kw):
    """Runs a command (list) bounded in time; returns CompletedProcess (text)."""
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout, proc=None, poll=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(poll)
    return False


# ------------------------------------------------------------------ SigV4
def q(s):
    return urllib.parse.quote(s, safe="-_.~")


class Signer:
    """SigV4 request heads, valid 15 minutes from now: header-signed with
    UNSIGNED-PAYLOAD (head), query-signed (presigned: a presigned URL's
    request, valid up to 7 days), IAM/STS form POSTs with the body's hash
    (form), or no signature at all (anonymous). ak/sk: whose key signs (the
    account root by default, or an IAM user's)."""

    def __init__(self, port, ak=ACCESS_KEY, sk=SECRET_KEY, service="s3"):
        self.host = "127.0.0.1:%d" % port
        self.ak = ak
        self.service = service
        now = datetime.datetime.now(datetime.timezone.utc)
        self.amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = now.strftime("%Y%m%d")
        self.scope = "%s/%s/%s/aws4_request" % (day, REGION, service)
        k = hmac.new(("AWS4" + sk).encode(), day.encode(), hashlib.sha256).digest()
        for part in (REGION, service, "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        self.key = k

    def _sign(self, creq):
        sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (
            self.amz_date, self.scope, hashlib.sha256(creq.encode()).hexdigest())
        return hmac.new(self.key, sts.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _query(query):
        """(canonical query, request target's query) from [(k, v or None)]."""
        qs = sorted((q(k), None if v is None else q(v)) for k, v in query)
        canon_q = "&".join("%s=%s" % (k, v or "") for k, v in qs)
        target_q = "&".join(k if v is None else "%s=%s" % (k, v) for k, v in qs)
        return canon_q, target_q

    def head(self, method, path, query=(), length=None, extra=()):
        """path: '/bucket/key' (unencoded); query: [(k, v or None)]; extra: [(name, value)]."""
        upath = urllib.parse.quote(path, safe="/-_.~")
        canon_q, target_q = self._query(query)
        target = upath + ("?" + target_q if target_q else "")
        canon_h = "host:%s\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:%s\n" % (
            self.host, self.amz_date)
        signed = "host;x-amz-content-sha256;x-amz-date"
        creq = "\n".join([method, upath, canon_q, canon_h, signed, "UNSIGNED-PAYLOAD"])
        sig = self._sign(creq)
        lines = ["%s %s HTTP/1.1" % (method, target), "Host: " + self.host,
                 "x-amz-date: " + self.amz_date, "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                 "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                 % (self.ak, self.scope, signed, sig)]
        lines += ["%s: %s" % h for h in extra]
        if length is not None:
            lines.append("Content-Length: %d" % length)
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def presign_target(self, method, path, expires=604800, query=()):
        """A presigned URL's path and query (X-Amz-*, SignedHeaders=host,
        UNSIGNED-PAYLOAD), as boto3's generate_presigned_url makes for s3v4."""
        upath = urllib.parse.quote(path, safe="/-_.~")
        auth = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Credential", "%s/%s" % (self.ak, self.scope)),
                ("X-Amz-Date", self.amz_date), ("X-Amz-Expires", str(expires)),
                ("X-Amz-SignedHeaders", "host")]
        canon_q, target_q = self._query(list(query) + auth)
        creq = "\n".join([method, upath, canon_q, "host:%s\n" % self.host, "host",
                          "UNSIGNED-PAYLOAD"])
        return "%s?%s&X-Amz-Signature=%s" % (upath, target_q, self._sign(creq))

    def presigned(self, method, path, expires=604800, length=None):
        """The request a client sends for a presigned URL: only Host (and Content-Length)."""
        return anonymous_head(self.host, method, self.presign_target(method, path, expires),
                              length, encoded=True)

    def form(self, params, version="2010-05-08"):
        """A complete IAM/STS query API request (POST /, form body, signed with
        the body's SHA-256 for this signer's service)."""
        body = urllib.parse.urlencode(list(params) + [("Version", version)]).encode()
        ctype = "application/x-www-form-urlencoded; charset=utf-8"
        canon_h = "content-type:%s\nhost:%s\nx-amz-date:%s\n" % (ctype, self.host, self.amz_date)
        signed = "content-type;host;x-amz-date"
        creq = "\n".join(["POST", "/", "", canon_h, signed, hashlib.sha256(body).hexdigest()])
        lines = ["POST / HTTP/1.1", "Host: " + self.host, "Content-Type: " + ctype,
                 "X-Amz-Date: " + self.amz_date,
                 "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                 % (self.ak, self.scope, signed, self._sign(creq)),
                 "Content-Length: %d" % len(body)]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def anonymous_head(host, method, path, length=None, extra=(), encoded=False):
    """An unsigned request head (anonymous): host 'ip:port' or a port number."""
    if isinstance(host, int):
        host = "127.0.0.1:%d" % host
    target = path if encoded else urllib.parse.quote(path, safe="/-_.~")
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: " + host]
    lines += ["%s: %s" % h for h in extra]
    if length is not None:
        lines.append("Content-Length: %d" % length)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def boto_client(port, service="s3", ak=ACCESS_KEY, sk=SECRET_KEY):
    """A boto3 client for setup and SDK-driven loads (not for cells: it signs as it goes)."""
    import boto3  # the image's python3 has it (this script adds dist-packages)
    from botocore.config import Config
    return boto3.client(service, endpoint_url="http://127.0.0.1:%d" % port, region_name=REGION,
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def rounds_plan(b):
    """(seconds per cell, rounds) of the bracketed-round cells (bench/perms.py,
    bench/tls.py): --seconds / --perm-rounds, else 5 s x 5 full, 2 s x 3 quick."""
    return b.a.seconds or (2.0 if b.quick else 5.0), b.a.perm_rounds or (3 if b.quick else 5)


def write_reqs(path, reqs):
    with open(path, "wb") as f:
        for r in reqs:
            f.write(b"%d\n" % len(r))
            f.write(r)
    return path


def raw_request(port, req, timeout=120):
    """One request on its own connection: (status, headers dict, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.connect()
    c.sock.sendall(req)
    r = http.client.HTTPResponse(c.sock, method=req.split(b" ", 1)[0].decode())
    r.begin()
    body = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, body


# ------------------------------------------------------------------ processes
def proc_cpu(pids):
    t = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            t += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, IndexError):
            pass
    return t / TICK


def proc_hwm_reset(pids):
    for pid in pids:
        try:
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        except OSError:
            pass


def proc_hwm(pids):
    kb = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
            kb += int(m.group(1)) if m else 0
        except OSError:
            pass
    return kb / 1024


class Server:
    s3 = True          # False for the ceiling: GET/PUT/HEAD only
    name = "?"

    def __init__(self, work):
        self.work = work
        self.port = free_port()
        self.proc = None
        self.note = ""

    def pids(self):
        return [self.proc.pid] if self.proc else []

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


class Pail(Server):
    name = "pail"
    extra = ()  # more `pail serve` flags (bench/tls.py: the TLS listener)

    def start(self, poll=0.1):
        data = os.path.join(self.work, "pail-data")
        os.makedirs(data, exist_ok=True)
        env = dict(os.environ, PAIL_ROOT_ACCESS_KEY=ACCESS_KEY, PAIL_ROOT_SECRET_KEY=SECRET_KEY)
        self.log = open(os.path.join(self.work, "pail.log"), "wb")
        self.proc = subprocess.Popen([PAIL, "serve", "--listen", "127.0.0.1:%d" % self.port,
                                      "--data", data] + list(self.extra), env=env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        return wait_port(self.port, 20, self.proc, poll)


class Ceiling(Server):
    name = "ceiling"
    s3 = False

    def start(self):
        self.proc = subprocess.Popen([os.path.join(BIN, "ceiling"), str(self.port)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        return wait_port(self.port, 10, self.proc)


class Moto(Server):
    name = "moto"

    def start(self):
        self.log = open(os.path.join(self.work, "moto.log"), "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                      "-p", str(self.port)], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        return wait_port(self.port, 30, self.proc)


class Radosgw(Server):
    name = "radosgw"

    def start(self):
        self.dir = os.path.join(self.work, "ceph")
        self.run_dir = os.path.join(self.dir, "run")
        if not shutil.which("radosgw") or not shutil.which("ceph-osd"):
            self.note = "radosgw not started: ceph-mon/ceph-osd/radosgw are not installed"
            return False
        if not os.path.exists(RADOSGW_SCRIPT):
            self.note = "radosgw not started: %s is missing" % RADOSGW_SCRIPT
            return False
        env = dict(os.environ, CEPH_DIR=self.dir, RGW_PORT=str(self.port), MON_PORT=str(free_port()),
                   OSD_GB="24", ACCESS_KEY=ACCESS_KEY, SECRET_KEY=SECRET_KEY)
        try:
            r = sh(["bash", RADOSGW_SCRIPT], 300, env=env)
        except subprocess.TimeoutExpired:
            self.note = "radosgw not started: start-radosgw.sh took over 300 s"
            return False
        if r.returncode != 0 or not wait_port(self.port, 30):
            self.note = "radosgw not started: start-radosgw.sh exit %d: %s" % (
                r.returncode, (r.stderr or r.stdout).strip()[-300:])
            return False
        return True

    def pids(self):
        out = []
        for f in sorted(os.listdir(self.run_dir)) if os.path.isdir(self.run_dir) else []:
            if f.endswith(".pid"):
                try:
                    out.append(int(open(os.path.join(self.run_dir, f)).read().strip()))
                except (OSError, ValueError):
                    pass
        return out

    def stop(self):
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        end = time.monotonic() + 30
        while time.monotonic() < end and any(os.path.exists("/proc/%d" % p) for p in pids):
            time.sleep(0.2)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# ------------------------------------------------------------------ load tools
def run_wrk(port, reqfile, conns, secs, body=None):
    args = ["wrk", "-t", "1", "-c", str(conns), "-d", "%ds" % max(1, round(secs)), "--timeout", "30s",
            "-s", os.path.join(BENCH, "wrk", "replay.lua"), "http://127.0.0.1:%d" % port,
            "--", reqfile] + ([str(body)] if body is not None else [])
    r = sh(args, secs + 90)
    m = re.search(r"^JSON (\{.*\})$", r.stdout, re.M)
    if not m:
        raise RuntimeError("wrk failed: %s %s" % (r.stdout[-500:], r.stderr[-500:]))
    return json.loads(m.group(1))


def run_loadgen(port, reqfile, conns, secs, body=None, once=False, etags=None, timeout=None,
                ca=None):
    """ca: speak TLS to port, trusting the CA file ca."""
    args = [os.path.join(BIN, "loadgen"), "-c", str(conns), "-d", str(secs)]
    if ca:
        args += ["-T", ca]
    if body is not None:
        args += ["-b", str(body)]
    if once:
        args.append("-1")
    if etags:
        args += ["-E", etags]
    args += ["127.0.0.1", str(port), reqfile]
    r = sh(args, timeout or secs + 300)
    if r.returncode != 0:
        raise RuntimeError("loadgen failed: %s" % r.stderr[-500:])
    return json.loads(r.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ the bench
class Bench:
    def __init__(self, args):
        self.a = args
        self.quick = args.quick
        self.secs = args.seconds or (2.0 if self.quick else 8.0)
        day = datetime.date.today().isoformat()
        self.work = os.path.join(ROOT, "build", "bench", "run-%d" % os.getpid())
        os.makedirs(self.work, exist_ok=True)
        self.results = []      # dicts: server, cell, conns, ...
        self.limits = {}
        self.notes = []
        self.machine = {}
        self.day = day
        self.perf = set(filter(None, (args.perf or "").split(",")))
        self.perf_done = set()  # a cell measured in several rounds is profiled once
        self.loads = []

    # -------------------------------------------------------------- setup
    def ensure_tools(self):
        """wrk is not among scripts/deps.sh's packages: install it (root) or stop."""
        if shutil.which("wrk"):
            return
        if os.geteuid() == 0:
            log("installing wrk (Debian)")
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            r = sh(["apt-get", "install", "-y", "--no-install-recommends", "wrk"], 300, env=env)
            if r.returncode != 0:
                sh(["apt-get", "update", "-qq"], 300, env=env)
                sh(["apt-get", "install", "-y", "--no-install-recommends", "wrk"], 300, env=env)
        if not shutil.which("wrk"):
            sys.exit("bench: wrk is missing: apt-get install -y wrk")

    def load_note(self, when):
        with open("/proc/loadavg") as f:
            la = f.read().split()[:3]
        self.loads.append("%s: %s" % (when, " ".join(la)))
        return float(la[0])

    def build(self):
        log("building pail (release) and the bench helpers")
        for cmd in (["make", "-j2", "build/release/pail"], ["make", "-f", "bench/Makefile"]):
            r = sh(cmd, 600, cwd=ROOT)
            if r.returncode != 0:
                sys.exit("build failed: %s\n%s%s" % (" ".join(cmd), r.stdout[-2000:], r.stderr[-2000:]))

    def describe_machine(self):
        m = self.machine
        m["nproc"] = sh(["nproc"], 10).stdout.strip()
        lscpu = sh(["lscpu"], 10).stdout
        mm = re.search(r"Model name:\s*(.*)", lscpu)
        m["cpu"] = mm.group(1).strip() if mm else "?"
        with open("/proc/meminfo") as f:
            m["memory"] = "%.1f GiB" % (int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1)) / 2**20)
        fs = sh(["findmnt", "-n", "-o", "FSTYPE,SOURCE,OPTIONS", "-T", self.work], 10).stdout.strip()
        m["data filesystem"] = fs or sh(["df", "-T", self.work], 10).stdout.strip().splitlines()[-1]
        m["kernel"] = os.uname().release
        m["libmicrohttpd"] = sh(["pkg-config", "--modversion", "libmicrohttpd"], 10).stdout.strip()
        m["data dir"] = self.work

    def physical_limits(self):
        L = self.limits
        # loopback TCP
        if not shutil.which("iperf3") and not self.quick:
            log("installing iperf3 (Debian)")
            try:
                sh(["apt-get", "install", "-y", "--no-install-recommends", "iperf3"], 300,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
            except subprocess.TimeoutExpired:
                pass
        if shutil.which("iperf3"):
            port = free_port()
            srv = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_port(port, 5)
                t = 1 if self.quick else 5
                r = sh(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(t), "-J"], t + 30)
                bps = json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"]
                L["loopback TCP (iperf3, 1 stream)"] = "%.0f MiB/s" % (bps / 8 / MiB)
                L["_tcp_mibs"] = bps / 8 / MiB
            except Exception as e:  # noqa: BLE001 - a limit we could not measure is a note
                self.notes.append("iperf3 failed: %s" % e)
            finally:
                srv.kill()
                srv.wait()
        else:
            self.notes.append("iperf3 not installed: loopback TCP not measured"
                              + (" (the full run installs it)" if self.quick else ""))
        # sequential write, with and without fsync
        mib = 64 if self.quick else 256
        for fsync in (True, False):
            self.seq_write(mib, fsync)
        # durable small-file creates
        self.creates(1 if self.quick else 5)
        log("limits: " + "; ".join("%s = %s" % kv for kv in L.items() if not kv[0].startswith("_")))

    def seq_write(self, mib, fsync, when=""):
        f = os.path.join(self.work, "seq.bin")
        t = time.monotonic()
        sh(["dd", "if=/dev/zero", "of=" + f, "bs=1M", "count=%d" % mib] + (["conv=fsync"] if fsync else []), 300)
        el = time.monotonic() - t
        os.unlink(f)
        sh(["sync"], 120)
        label = "fsync" if fsync else "no fsync"
        self.limits["sequential write %d MiB (dd, %s)%s" % (mib, label, when)] = "%.0f MiB/s" % (mib / el)
        self.limits["_seq_%s%s" % (label.replace(" ", ""), "_now" if when else "")] = mib / el
        return mib / el

    def creates(self, secs, when=""):
        r = sh([os.path.join(BIN, "fscreate"), os.path.join(self.work, "fscreate"), str(secs)], 60)
        j = json.loads(r.stdout)
        self.limits["durable 4 KiB creates, one at a time (fscreate)%s" % when] = \
            "%.0f /s (p50 %.2f ms, p99 %.2f ms)" % (j["per_s"], j["p50_ms"], j["p99_ms"])
        self.limits["_creates" + ("_now" if when else "")] = j["per_s"]
        return j["per_s"]

    # -------------------------------------------------------------- helpers
    def request(self, srv, method, path, query=(), body=b"", extra=(), ok=(200, 204)):
        s = Signer(srv.port)
        req = s.head(method, path, query, length=len(body) if (body or method in ("PUT", "POST")) else None,
                     extra=extra) + body
        st, h, b = raw_request(srv.port, req)
        if st not in ok:
            raise RuntimeError("%s %s %s -> %d %s" % (srv.name, method, path, st, b[:300]))
        return h, b

    def put_many(self, srv, bucket, keys, size, conns=32, chunk=100000, what="objects", extra=()):
        """PUTs keys (size bytes each) exactly once, chunk by chunk (signing stays fresh)."""
        done = 0
        t = time.monotonic()
        for i in range(0, len(keys), chunk):
            s = Signer(srv.port)
            part = keys[i:i + chunk]
            f = write_reqs(os.path.join(self.work, "populate.req"),
                           (s.head("PUT", "/%s/%s" % (bucket, k), length=size, extra=extra)
                            for k in part))
            j = run_loadgen(srv.port, f, conns, 3600, body=size, once=True, timeout=3600)
            if j["non2xx"] or j["socket_errors"] or j["requests"] != len(part):
                raise RuntimeError("populating %s on %s: %s" % (bucket, srv.name, j))
            done += len(part)
            if len(keys) > chunk:
                log("  %s: %d/%d %s (%.0f PUT/s)" % (srv.name, done, len(keys), what,
                                                     done / (time.monotonic() - t)))
        return len(keys) / (time.monotonic() - t)

    def cell(self, srv, cell, conns, reqs, size=0, body=None, tool="wrk", once=False,
             secs=None, payload=None, extra_note="", record=True, tls=None):
        """Runs one cell and records it (record=False: only returns it).
        payload: bytes moved per op (for MiB/s). tls: (port, CA file): the
        cell goes over TLS to that port (loadgen)."""
        secs = secs or self.secs
        f = write_reqs(os.path.join(self.work, "cell.req"), reqs)
        pids = srv.pids()
        proc_hwm_reset(pids)
        cpu0 = proc_cpu(pids)
        perf = None
        tag = cell if "@" in cell else "%s@%d" % (cell, conns)  # bench/perms.py names hold "@16"
        ftag = re.sub(r"[^A-Za-z0-9+.-]+", "_", tag.replace(" @", "-c").replace("@", "-c")).strip("_")
        if srv.name == "pail" and (tag in self.perf or cell in self.perf) and tag not in self.perf_done:
            self.perf_done.add(tag)
            os.makedirs(os.path.join(BIN, "perf"), exist_ok=True)
            pdata = os.path.join(BIN, "perf", "%s.data" % ftag)
            perf = subprocess.Popen(["perf", "record", "-F", "499", "--call-graph", "dwarf,16384", "-o", pdata, "-p", str(pids[0]), "--",
                                     "sleep", str(secs)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # let perf attach to the threads before the load starts
        if tls:
            j = run_loadgen(tls[0], f, conns, secs, body=body, once=once, ca=tls[1])
        elif tool == "wrk":
            j = run_wrk(srv.port, f, conns, secs, body)
        else:
            j = run_loadgen(srv.port, f, conns, secs, body=body, once=once)
        cpu = proc_cpu(pids) - cpu0
        rss = proc_hwm(pids)
        if perf:
            perf.wait(60)
            views = (("share of samples by binary", ["--sort", "dso"]),
                     ("inclusive (children) by symbol", ["--children", "--sort", "symbol"]),
                     ("self by symbol", ["--no-children", "--sort", "dso,symbol"]))
            out = os.path.join(BENCH, "results", "%s-perf-%s.txt" % (self.day, ftag))
            with open(out, "w") as fo:
                fo.write("perf record -g on pail during cell %s (data: %s)\n" % (tag, pdata))
                for title, opts in views:
                    rep = sh(["perf", "report", "-i", pdata, "--stdio", "--percent-limit", "0.8",
                              "-g", "none"] + opts, 300).stdout
                    lines = [x for x in rep.splitlines() if x.strip() and not x.startswith("#")]
                    fo.write("\n== %s ==\n%s\n" % (title, "\n".join(lines[:70])))
            log("  perf report: %s" % out)
        n = j["requests"]
        payload = size if payload is None else payload
        res = dict(server=srv.name, cell=cell, conns=conns, requests=n, seconds=j["seconds"],
                   ops=j["ops"], mibs=j["ops"] * payload / MiB, p50=j["p50_ms"], p99=j["p99_ms"],
                   cpu_us=(cpu / n * 1e6) if n else None, rss=rss,
                   errors=j["non2xx"] + j["socket_errors"], note=extra_note)
        if res["errors"] and not tls:
            try:
                probe = reqs[0] + (b"x" * body if body and body <= MiB else b"")
                st, _, b = raw_request(srv.port, probe, timeout=30)
                res["note"] += " first request -> %d %s" % (st, b[:160].decode("utf-8", "replace"))
            except Exception as e:  # noqa: BLE001
                res["note"] += " probe failed: %s" % e
        if record:
            self.results.append(res)
        log("  %-8s %-22s c=%-3d %9.1f op/s %8.1f MiB/s p50 %8.2f ms p99 %8.2f ms cpu %s us rss %.0f MiB%s"
            % (srv.name, cell, conns, res["ops"], res["mibs"], res["p50"], res["p99"],
               "%.0f" % res["cpu_us"] if res["cpu_us"] is not None else "-", rss,
               (" ERRORS %d%s" % (res["errors"], res["note"])) if res["errors"] else ""))
        return res

    # -------------------------------------------------------------- the matrix
    def matrix(self, srv):
        quick = self.quick
        sizes = [4 * KiB, 1 * MiB] if quick else [4 * KiB, 1 * MiB, 64 * MiB]
        conns_list = [1, 16] if quick else [1, 16, 64]
        b = "bench"
        if srv.s3:
            self.request(srv, "PUT", "/" + b)
        # objects to GET: a few distinct keys per size (names end in -<size> for the ceiling)
        nget = {4 * KiB: 256, 1 * MiB: 64, 64 * MiB: 4}
        warm = True
        for size in sizes:
            keys = ["get/o%d-%s" % (i, SIZE_NAME[size]) for i in range(nget[size])]
            if srv.s3:
                self.put_many(srv, b, keys, size, conns=8)
            s = Signer(srv.port)
            reqs = [s.head("GET", "/%s/%s" % (b, k)) for k in keys]
            if warm and not quick:  # not recorded: first connections, first threads, cold caches
                run_wrk(srv.port, write_reqs(os.path.join(self.work, "warm.req"), reqs), 16, 1)
                warm = False
            for c in conns_list:
                big = size >= 64 * MiB
                self.cell(srv, "GET %s" % human(size), c, reqs, size,
                          tool="wrk" if size <= 4 * KiB else "loadgen",
                          secs=self.secs * (1.5 if big else 1))
            if size == 4 * KiB:
                reqs = [s.head("HEAD", "/%s/%s" % (b, k)) for k in keys]
                self.cell(srv, "HEAD 4 KiB", 16, reqs, 0, tool="loadgen")
        # PUT: distinct keys, cycled when a cell outruns them (then they are overwritten)
        nput = {4 * KiB: 10000 if quick else 60000, 1 * MiB: 1000, 64 * MiB: 64}
        for size in sizes:
            if srv.name == "pail" and size == 4 * KiB:
                # the disk here is shared and its fsync latency drifts: measure the
                # floor again right before the cells the targets compare with it
                self.creates(1 if quick else 3, " — just before pail's PUT 4 KiB cells")
            if srv.name == "pail" and size == 64 * MiB:
                self.seq_write(256, True, " — just before pail's PUT 64 MiB cells")
            for c in conns_list:
                s = Signer(srv.port)
                reqs = [s.head("PUT", "/%s/put/c%d/o%d-%s" % (b, c, i, SIZE_NAME[size]), length=size)
                        for i in range(nput[size])]
                big = size >= 64 * MiB
                self.cell(srv, "PUT %s" % human(size), c, reqs, size, body=size,
                          tool="wrk" if size <= 4 * KiB else "loadgen",
                          secs=self.secs * (1.5 if big else 1))
        if not srv.s3:
            return
        self.list_cells(srv)
        if not quick:
            self.delete_cells(srv)
            self.multipart_cell(srv)

    def list_keys_for(self, srv):
        if self.a.list_keys:
            return self.a.list_keys
        if self.quick:
            return 10000 if srv.name == "pail" else 1000
        return 1000000 if srv.name == "pail" else (10000 if srv.name == "moto" else 50000)

    def list_cells(self, srv):
        n = self.list_keys_for(srv)
        bucket = "list"
        self.request(srv, "PUT", "/" + bucket)
        keys = ["d%06d/o%d" % (i // 10, i % 10) for i in range(n)]
        log("  %s: populating %d keys (0 bytes each) for ListObjectsV2" % (srv.name, n))
        rate = self.put_many(srv, bucket, keys, 0, conns=32, what="keys")
        self.notes.append("%s: list bucket populated with %d keys at %.0f PUT/s (32 connections, 0-byte objects)"
                          % (srv.name, n, rate))
        rnd = random.Random(1)
        s = Signer(srv.port)
        plain = [s.head("GET", "/" + bucket, [("list-type", "2"), ("max-keys", "1000"),
                                               ("start-after", keys[rnd.randrange(max(1, n - 1000))])])
                 for _ in range(200)]
        delim = [s.head("GET", "/" + bucket, [("list-type", "2"), ("max-keys", "1000"), ("delimiter", "/"),
                                               ("start-after", keys[rnd.randrange(max(1, n - 10000))])])
                 for _ in range(200)]
        # check a page really holds 1,000 entries
        _, body = self.request(srv, "GET", "/" + bucket, [("list-type", "2"), ("max-keys", "1000"),
                                                          ("delimiter", "/")])
        ncp = body.count(b"<CommonPrefixes>")
        note = "N=%d" % n
        self.cell(srv, "LIST 1000 keys", 1, plain, 0, extra_note=note)
        self.cell(srv, "LIST 1000 delimiter", 1, delim, 0,
                  extra_note=note + ", first page %d prefixes of 10 keys" % ncp)
        if not self.quick:
            self.cell(srv, "LIST 1000 keys", 16, plain, 0, extra_note=note)
        if srv.name == "pail":
            self.startup_time(srv, bucket, n)

    def startup_time(self, srv, bucket, n):
        """pail stopped (SIGTERM) and started again on the same data directory:
        seconds until it answers a signed ListObjectsV2 page."""
        srv.stop()
        t = time.monotonic()
        if not srv.start():
            raise RuntimeError("pail did not restart on its data directory")
        self.request(srv, "GET", "/" + bucket, [("list-type", "2"), ("max-keys", "1")])
        self.startup = (time.monotonic() - t, n)
        log("  pail: start-up on the %d-key data directory: %.3f s" % (n, self.startup[0]))

    def delete_cells(self, srv):
        batches = 20 if srv.name == "pail" else 5
        bucket = "del"
        self.request(srv, "PUT", "/" + bucket)
        keys = ["x%07d" % i for i in range(batches * 1000)]
        self.put_many(srv, bucket, keys, 0, conns=32)
        s = Signer(srv.port)
        reqs = []
        for i in range(batches):
            xml = ("<Delete>" + "".join("<Object><Key>%s</Key></Object>" % k
                                        for k in keys[i * 1000:(i + 1) * 1000]) + "</Delete>").encode()
            md5 = __import__("base64").b64encode(hashlib.md5(xml).digest()).decode()
            reqs.append(s.head("POST", "/" + bucket, [("delete", None)], length=len(xml),
                               extra=[("Content-MD5", md5), ("Content-Type", "application/xml")]) + xml)
        r = self.cell(srv, "DeleteObjects 1000", 1, reqs, 0, tool="loadgen", once=True, secs=300,
                      extra_note="%d requests" % batches)
        r["note"] += ", %.0f keys/s" % (r["ops"] * 1000)
        # every key must be gone
        _, body = self.request(srv, "GET", "/" + bucket, [("list-type", "2"), ("max-keys", "10")])
        if b"<Key>" in body:
            r["note"] += " (keys remain after delete!)"

    def multipart_cell(self, srv):
        bucket, key = "mpu", "big-1g"
        part, nparts, conns = 8 * MiB, 128, 8
        self.request(srv, "PUT", "/" + bucket)
        t = time.monotonic()
        _, body = self.request(srv, "POST", "/%s/%s" % (bucket, key), [("uploads", None)])
        upload_id = re.search(rb"<UploadId>([^<]+)</UploadId>", body).group(1).decode()
        s = Signer(srv.port)
        reqs = [s.head("PUT", "/%s/%s" % (bucket, key), [("partNumber", str(i + 1)), ("uploadId", upload_id)],
                       length=part) for i in range(nparts)]
        f = write_reqs(os.path.join(self.work, "parts.req"), reqs)
        etf = os.path.join(self.work, "etags.txt")
        pids = srv.pids()
        proc_hwm_reset(pids)
        cpu0 = proc_cpu(pids)
        j = run_loadgen(srv.port, f, conns, 900, body=part, once=True, etags=etf, timeout=1200)
        etags = {}
        for line in open(etf):
            i, st, et = line.split(" ", 2)
            etags[int(i) + 1] = et.strip()
        xml = ("<CompleteMultipartUpload>" + "".join(
            "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (i, etags.get(i, "-"))
            for i in range(1, nparts + 1)) + "</CompleteMultipartUpload>").encode()
        tc = time.monotonic()
        err = ""
        try:
            self.request(srv, "POST", "/%s/%s" % (bucket, key), [("uploadId", upload_id)], body=xml)
        except RuntimeError as e:
            err = str(e)[:200]
        complete_ms = (time.monotonic() - tc) * 1e3
        el = time.monotonic() - t
        cpu = proc_cpu(pids) - cpu0
        res = dict(server=srv.name, cell="Multipart 1 GiB", conns=conns, requests=nparts + 2, seconds=el,
                   ops=1 / el, mibs=1024 / el, p50=j["p50_ms"], p99=j["p99_ms"],
                   cpu_us=cpu / (nparts + 2) * 1e6, rss=proc_hwm(pids),
                   errors=j["non2xx"] + j["socket_errors"] + (1 if err else 0),
                   note="128 x 8 MiB parts; p50/p99 are UploadPart; Complete %.0f ms%s" % (
                       complete_ms, (" " + err) if err else ""))
        self.results.append(res)
        log("  %-8s Multipart 1 GiB: %.1f s, %.0f MiB/s, Complete %.0f ms %s" % (
            srv.name, el, res["mibs"], complete_ms, err))

    # -------------------------------------------------------------- run
    def run(self):
        self.ensure_tools()
        self.build()
        self.describe_machine()
        if self.load_note("start") > float(self.machine["nproc"]) / 2:
            self.notes.append("the machine was busy when the run started (load average above; "
                              "other processes compete for the 2 cores and the disk): treat "
                              "absolute numbers with care, ratios from one run are still comparable")
        if self.a.only_perms or self.a.only_tls:
            self.servers_run = []
            if self.a.only_perms:
                self.run_perms()
            if self.a.only_tls:
                self.run_tls()
            self.report()
            self.cleanup()
            return
        self.physical_limits()
        names = self.a.servers.split(",") if self.a.servers else (
            ["ceiling", "pail", "moto"] if self.quick else ["ceiling", "pail", "moto", "radosgw"])
        classes = {"pail": Pail, "ceiling": Ceiling, "moto": Moto, "radosgw": Radosgw}
        self.servers_run = []
        for name in names:
            srv = classes[name](self.work)
            log("starting %s" % name)
            try:
                if not srv.start():
                    self.notes.append(srv.note or "%s did not start" % name)
                    log(self.notes[-1])
                    continue
                self.servers_run.append(name)
                ts = time.monotonic()
                self.matrix(srv)
                self.load_note("after %s" % name)
                log("%s done in %.0f s" % (name, time.monotonic() - ts))
            except Exception as e:  # noqa: BLE001 - record and go on with the next server
                self.notes.append("%s: run aborted: %s" % (name, e))
                log(self.notes[-1])
            finally:
                srv.stop()
        if "ceiling" in self.servers_run and "pail" in self.servers_run:
            self.paired()
        if "pail" in self.servers_run and not self.a.no_perms:
            self.run_perms()
        if "pail" in self.servers_run and not self.a.no_tls:
            self.run_tls()
        minutes = self.a.soak_minutes if self.a.soak_minutes is not None else (0 if self.quick else 10)
        if minutes > 0 and "pail" in self.servers_run:
            import soak  # bench/soak.py; imported here, it imports this module
            soak.R = sys.modules[__name__]  # this run's module, not a second copy (one clock)
            self.soak = (minutes, soak.soak(self, minutes))
        self.report()
        self.cleanup()

    def run_perms(self):
        """bench/perms.py: the permission cells, (a) vs (b)/(c)/(d) in bracketed rounds."""
        import perms  # bench/perms.py; imported here, it imports this module
        perms.R = sys.modules[__name__]
        ts = time.monotonic()
        self.perms = perms.Perms(self).run()
        self.load_note("after perms")
        log("perms done in %.0f s" % (time.monotonic() - ts))

    def run_tls(self):
        """bench/tls.py: GET/PUT 4 KiB and 64 MiB over TLS against plain HTTP."""
        import tls  # bench/tls.py; imported here, it imports this module
        tls.R = sys.modules[__name__]
        ts = time.monotonic()
        self.tls = tls.Tls(self).run()
        self.load_note("after tls")
        log("tls done in %.0f s" % (time.monotonic() - ts))

    def cleanup(self):
        if not self.a.keep and self.quick:
            # this disk (ext4 with discard) unlinks slowly: tens of seconds for the
            # quick run's files; let rm finish on its own rather than hold the run
            subprocess.Popen(["rm", "-rf", self.work], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            log("removing %s in the background" % self.work)
        elif not self.a.keep:
            t = time.monotonic()
            shutil.rmtree(self.work, ignore_errors=True)
            log("removed %s in %.1f s" % (self.work, time.monotonic() - t))

    # -------------------------------------------------------------- paired
    def paired(self):
        """GET 4 KiB @16 against the ceiling and pail in alternating rounds,
        both servers up (idle one waits): minutes apart, as the matrix measures
        them, this machine's speed drifts by up to 2x (other tenants), so the
        ratio target also gets a figure from rounds run side by side."""
        rounds = 3 if self.quick else 5
        servers = [Ceiling(self.work), Pail(self.work)]
        self.pairs = []
        try:
            for srv in servers:
                if not srv.start():
                    self.notes.append("paired rounds skipped: %s did not start" % srv.name)
                    return
            keys = ["get/o%d-4k" % i for i in range(256)]
            self.request(servers[1], "PUT", "/bench", ok=(200, 409))
            self.put_many(servers[1], "bench", keys, 4 * KiB, conns=8)
            log("paired rounds: GET 4 KiB @16, ceiling and pail alternating, %d rounds" % rounds)
            for r in range(rounds):
                got = {}
                for srv in (servers if r % 2 == 0 else servers[::-1]):
                    s = Signer(srv.port)
                    f = write_reqs(os.path.join(self.work, "paired.req"),
                                   [s.head("GET", "/bench/%s" % k) for k in keys])
                    pids = srv.pids()
                    cpu0 = proc_cpu(pids)
                    j = run_wrk(srv.port, f, 16, self.secs, None)
                    cpu = proc_cpu(pids) - cpu0
                    got[srv.name] = (j["ops"], cpu / j["requests"] * 1e6 if j["requests"] else None,
                                     j["non2xx"] + j["socket_errors"])
                self.pairs.append(got)
                log("  round %d: ceiling %.0f op/s, pail %.0f op/s (%.0f%%)" % (
                    r + 1, got["ceiling"][0], got["pail"][0],
                    100 * got["pail"][0] / max(got["ceiling"][0], 1)))
        finally:
            for srv in servers:
                srv.stop()

    def paired_ratio(self):
        """(median of the rounds' pail/ceiling ratios, detail) or (None, "")."""
        pairs = [p for p in getattr(self, "pairs", []) if p["ceiling"][0] and not p["pail"][2]]
        if not pairs:
            return None, ""
        ratios = sorted(p["pail"][0] / p["ceiling"][0] for p in pairs)
        return statistics.median(ratios), "rounds: " + ", ".join(
            "%s/%s" % (fmt(p["pail"][0]), fmt(p["ceiling"][0])) for p in pairs)

    # -------------------------------------------------------------- report
    def get(self, server, cell, conns):
        for r in self.results:
            if r["server"] == server and r["cell"] == cell and r["conns"] == conns:
                return r
        return None

    def targets(self):
        L, rows = self.limits, []
        if self.a.only_perms or self.a.only_tls:
            return self.perms.targets() if getattr(self, "perms", None) else []

        def ratio(a, b):
            return a / b if a is not None and b else None

        def add(name, value, ok, detail):
            rows.append((name, value, "n/a" if ok is None else ("PASS" if ok else "MISS"), detail))

        for c in (16,):
            p, ce, rg = (self.get(s, "GET 4 KiB", c) for s in ("pail", "ceiling", "radosgw"))
            r1 = ratio(p and p["ops"], ce and ce["ops"])
            add("GET 4 KiB @16 >= 60% of ceiling (matrix cells)", fmt_ratio(r1),
                None if r1 is None else r1 >= 0.6,
                "%s vs %s op/s, measured minutes apart" % (fmt(p and p["ops"]), fmt(ce and ce["ops"])))
            rp, detail = self.paired_ratio()
            add("GET 4 KiB @16 >= 60% of ceiling (paired rounds, median)", fmt_ratio(rp),
                None if rp is None else rp >= 0.6, detail)
            r2 = ratio(p and p["ops"], rg and rg["ops"])
            add("GET 4 KiB @16 >= 5x radosgw", fmt_ratio(r2, "x"), None if r2 is None else r2 >= 5,
                "%s vs %s op/s" % (fmt(p and p["ops"]), fmt(rg and rg["ops"])))
        for c in (1, 16, 64):
            p, ce = self.get("pail", "GET 64 MiB", c), self.get("ceiling", "GET 64 MiB", c)
            r = ratio(p and p["mibs"], ce and ce["mibs"])
            if p or ce:
                add("GET 64 MiB @%d >= 80%% of ceiling" % c, fmt_ratio(r), None if r is None else r >= 0.8,
                    "%s vs %s MiB/s" % (fmt(p and p["mibs"]), fmt(ce and ce["mibs"])))
        p = self.get("pail", "PUT 4 KiB", 16)
        r = ratio(p and p["ops"], L.get("_creates_now", L.get("_creates")))
        add("PUT 4 KiB @16 >= 3x durable create rate", fmt_ratio(r, "x"), None if r is None else r >= 3,
            "%s op/s vs %s creates/s (measured just before)" % (
                fmt(p and p["ops"]), fmt(L.get("_creates_now", L.get("_creates")))))
        for c in (1, 16, 64):
            p = self.get("pail", "PUT 64 MiB", c)
            if p:
                seq = L.get("_seq_fsync_now", L.get("_seq_fsync"))
                r = ratio(p["mibs"], seq)
                add("PUT 64 MiB @%d >= 70%% of fsync'd sequential write" % c, fmt_ratio(r),
                    None if r is None else r >= 0.7,
                    "%s vs %s MiB/s" % (fmt(p["mibs"]), fmt(seq)))
        for cell in ("LIST 1000 keys", "LIST 1000 delimiter"):
            p = self.get("pail", cell, 1)
            add("%s p50 <= 10 ms" % cell, "%.2f ms" % p["p50"] if p else "-",
                None if not p else p["p50"] <= 10, p["note"] if p else "")
        st = getattr(self, "startup", None)
        add("start-up on the list bucket's data directory <= 1 s",
            "%.3f s" % st[0] if st else "-", None if not st else st[0] <= 1.0,
            "%d keys; SIGTERM, start, first signed ListObjectsV2 answered" % st[1] if st else "")
        for cell in ("GET 64 MiB", "PUT 64 MiB"):
            p = self.get("pail", cell, 64)
            if p:
                add("RSS <= 64 MiB, %s @64" % cell, "%.1f MiB" % p["rss"], p["rss"] <= 64, "VmHWM during the cell")
        if getattr(self, "perms", None):
            rows += self.perms.targets()
        if getattr(self, "soak", None):
            import soak
            minutes, res = self.soak
            g = soak.uncapped_growth(res)
            add("no RSS growth outside the capped caches over a %g-minute mixed load at 64 "
                "connections (<= %g MiB), no errors" % (minutes, soak.GROWTH_MAX_MIB),
                "%+.1f MiB" % g if g is not None else "-",
                None if g is None else g <= soak.GROWTH_MAX_MIB and not soak.error_count(res),
                "RSS %+.1f MiB, of it metadata cache %s, SQLite %s; peak %s MiB; %d errors; "
                "see Soak" % ((res["growth"] or 0), soak.fmt1(res.get("cache_growth")),
                              soak.fmt1(res.get("sqlite_growth")), soak.fmt1(res["peak"]),
                              soak.error_count(res)))
        return rows

    def report(self):
        servers = [s for s in ("pail", "ceiling", "moto", "radosgw") if s in self.servers_run]
        peers = [s for s in servers if s != "pail"]
        out = []
        w = out.append
        w("# pail benchmark — %s (%s)\n" % (self.day, "quick" if self.quick else "full"))
        w("Generated by `bench/run.py%s`; %.0f s end to end; %.1f s per cell (64 MiB cells 1.5x). "
          "See bench/README.md for how to read it.\n" % (
              " ".join([""] + sys.argv[1:]), time.monotonic() - T0, self.secs))
        w("## Machine\n")
        w("| | |\n|---|---|")
        for k, v in self.machine.items():
            w("| %s | %s |" % (k, v))
        w("| load average (1, 5, 15 min) | %s |" % "; ".join(self.loads))
        only = self.a.only_perms or self.a.only_tls
        if not only:
            w("\n## Physical limits\n")
            w("| limit | measured |\n|---|---|")
            for k, v in self.limits.items():
                if not k.startswith("_"):
                    w("| %s | %s |" % (k, v))
        w("\n## Targets\n")
        w("| target | pail | result | detail |\n|---|---|---|---|")
        for row in self.targets():
            w("| %s | %s | %s | %s |" % row)
        if getattr(self, "perms", None):
            w("")
            for line in self.perms.report_lines():
                w(line)
        if getattr(self, "tls", None):
            for line in self.tls.report_lines():
                w(line)
        if not only:
            w("\n## pail, side by side\n")
            hdr = ["cell", "conns", "pail op/s", "MiB/s", "p50 ms", "p99 ms", "CPU µs/req", "peak RSS MiB"]
            for p in peers:
                hdr += ["%s op/s" % p, "pail/%s" % p]
            w("| " + " | ".join(hdr) + " |")
            w("|" + "---|" * len(hdr))
            cells = []
            for r in self.results:
                if (r["cell"], r["conns"]) not in cells:
                    cells.append((r["cell"], r["conns"]))
            for cell, c in cells:
                p = self.get("pail", cell, c)
                row = [cell, str(c)]
                if p:
                    row += [fmt(p["ops"]) + ("" if not p["errors"] else " (%d errors)" % p["errors"]),
                            fmt(p["mibs"]), "%.2f" % p["p50"], "%.2f" % p["p99"],
                            fmt(p["cpu_us"]), "%.1f" % p["rss"]]
                else:
                    row += ["-"] * 6
                for peer in peers:
                    o = self.get(peer, cell, c)
                    row += [fmt(o["ops"]) + ("" if not o["errors"] else " (%d err)" % o["errors"]) if o else "-",
                            fmt_ratio(p["ops"] / o["ops"], "%" if peer == "ceiling" else "x")
                            if (p and o and o["ops"]) else "-"]
                w("| " + " | ".join(row) + " |")
            w("\n## Every server\n")
            w("| server | cell | conns | requests | op/s | MiB/s | p50 ms | p99 ms | CPU µs/req | peak RSS MiB | errors | note |")
            w("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for r in self.results:
                w("| %s | %s | %d | %d | %s | %s | %.2f | %.2f | %s | %.1f | %d | %s |" % (
                    r["server"], r["cell"], r["conns"], r["requests"], fmt(r["ops"]), fmt(r["mibs"]),
                    r["p50"], r["p99"], fmt(r["cpu_us"]), r["rss"], r["errors"], r["note"].strip()))
            w("\nCPU µs/req and peak RSS are the server's own (utime+stime from /proc/PID/stat over the cell, "
              "VmHWM from /proc/PID/status, reset before each cell); radosgw sums ceph-mon, ceph-osd and radosgw. "
              "The load generator runs on the same 2 cores as the server.\n")
        if getattr(self, "soak", None):
            import soak
            w("## Soak\n")
            w("`bench/soak.py` on a fresh pail after the matrix: root, IAM-user, anonymous, "
              "presigned, website and TLS GETs, PUTs of 4 KiB and 64 MiB, list pages and boto3 "
              "multipart uploads at once (64 connections); RSS, threads, open fds and the "
              "metadata caches sampled every 5 s.\n")
            for line in soak.report_lines(*self.soak):
                w(line)
            w("")
        if self.notes:
            w("## Notes\n")
            for n in self.notes:
                w("- " + n)
        text = "\n".join(out) + "\n"
        os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
        tag = self.a.tag or ("perms" if self.a.only_perms else "tls" if self.a.only_tls else "")
        base = os.path.join(BENCH, "results", self.day + ("-quick" if self.quick else "")
                            + ("-" + tag if tag else ""))
        with open(base + ".md", "w") as f:
            f.write(text)
        with open(base + ".json", "w") as f:
            json.dump(dict(machine=self.machine, limits=self.limits, results=self.results,
                           paired=getattr(self, "pairs", []),
                           perms=self.perms.to_json() if getattr(self, "perms", None) else None,
                           tls=self.tls.to_json() if getattr(self, "tls", None) else None,
                           soak=getattr(self, "soak", None), notes=self.notes), f, indent=1)
        print("\n" + text)
        log("wrote %s.md and %s.json" % (base, base))


def human(size):
    return "%d KiB" % (size // KiB) if size < MiB else "%d MiB" % (size // MiB)


def fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return "{:,.0f}".format(v)
    return "%.1f" % v if v >= 10 else "%.2f" % v


def fmt_ratio(r, suffix="%"):
    if r is None:
        return "-"
    return "%.0f%%" % (r * 100) if suffix == "%" else "%.2fx" % r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--servers")
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--list-keys", type=int)
    ap.add_argument("--perf")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--tag", help="suffix for the results file (e.g. perf)")
    ap.add_argument("--only-perms", action="store_true",
                    help="only the permission cells (bench/perms.py): no limits, matrix, peers or soak")
    ap.add_argument("--no-perms", action="store_true", help="skip the permission cells")
    ap.add_argument("--only-tls", action="store_true",
                    help="only the TLS cells (bench/tls.py): no limits, matrix, peers or soak")
    ap.add_argument("--no-tls", action="store_true", help="skip the TLS cells")
    ap.add_argument("--perm-users", type=int,
                    help="users (2 access keys each) for the start-up measurement "
                         "(default 10000 full, 0 quick: skipped)")
    ap.add_argument("--perm-rounds", type=int, help="bracketed rounds (default 5 full, 3 quick)")
    ap.add_argument("--soak-minutes", type=float,
                    help="the soak after the matrix (default 10 full, 0 quick; at most 12)")
    Bench(ap.parse_args()).run()


if __name__ == "__main__":
    main()
