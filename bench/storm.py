#!/usr/bin/env python3
"""Connection storms against a fresh pail (release build), issue 14 §7:

  slow-loris  300 connections that trickle a header byte a second and never
              finish it (re-opened when pail cuts them at --header-timeout),
              while a normal client GETs a 4 KiB public object, on a new
              connection each time and on one kept alive: p50/p99/max latency
              against the same GETs with no slow connections, in one run.
              Target: p99 no more than 100 ms above the quiet run's.
  storm       2,000 connections opened at once, each sending one GET: how many
              were served (200), refused cleanly (503 SlowDown past
              --max-connections) or failed otherwise (target: none), and
              pail's peak RSS (VmHWM) before and after.

    python3 bench/storm.py [--loris 300] [--gets 1000] [--storm 2000]

Writes bench/results/<date>-storm.md (and .json) and prints it. Anonymous
GETs of a public-read object: no signing, so the client measures pail."""
import argparse
import datetime
import http.client
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AK, SK = "AKIASTORMBENCH000000", "storm/bench+secret0000000000000000000000"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hwm_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024


def start_pail(work, port):
    env = dict(os.environ, PAIL_ROOT_ACCESS_KEY=AK, PAIL_ROOT_SECRET_KEY=SK)
    log = open(os.path.join(work, "pail.log"), "wb")
    p = subprocess.Popen([os.path.join(ROOT, "build/release/pail"), "serve", "--listen",
                          "127.0.0.1:%d" % port, "--data", os.path.join(work, "data")],
                         stdout=log, stderr=log, env=env)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("pail did not start")


def setup(port):
    sys.path.append("/usr/lib/python3/dist-packages")
    import boto3
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                      aws_access_key_id=AK, aws_secret_access_key=SK)
    s3.create_bucket(Bucket="storm")
    s3.put_object(Bucket="storm", Key="o4k", Body=os.urandom(4096), ACL="public-read")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else None


def gets(port, n, keepalive):
    """Latencies (ms) of n GETs; errors counted."""
    lat, errors = [], 0
    conn = None
    for _ in range(n):
        t = time.perf_counter()
        try:
            if conn is None or not keepalive:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/storm/o4k")
            r = conn.getresponse()
            body = r.read()
            if r.status != 200 or len(body) != 4096:
                errors += 1
            if not keepalive:
                conn.close()
        except OSError:
            errors += 1
            conn = None
        lat.append((time.perf_counter() - t) * 1000)
    if conn:
        conn.close()
    return lat, errors


class Loris(threading.Thread):
    """n connections, each sending one more header byte a second, forever."""

    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.port, self.n, self.stop = port, n, False
        self.socks, self.cut = [], 0

    def _open(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(b"GET /storm/o4k HTTP/1.1\r\nHost: storm\r\nX-Slow: ")
        return s

    def run(self):
        self.socks = [self._open() for _ in range(self.n)]
        while not self.stop:
            time.sleep(1)
            for i, s in enumerate(self.socks):
                try:
                    s.sendall(b"a")
                except OSError:  # cut by the header timeout: come back
                    self.cut += 1
                    s.close()
                    try:
                        self.socks[i] = self._open()
                    except OSError:
                        pass
        for s in self.socks:
            s.close()


def storm(port, n):
    """n connections opened at once, one GET each: outcome counts."""
    out = {"200": 0, "503": 0, "other": 0, "error": 0}
    lock = threading.Lock()
    go = threading.Event()

    def one():
        go.wait()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(b"GET /storm/o4k HTTP/1.1\r\nHost: storm\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    data += d
            code = data[9:12].decode(errors="replace")
            key = code if code in ("200", "503") else "other"
        except OSError:
            key = "error"
        with lock:
            out[key] += 1

    ts = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for t in ts:
        t.start()
    t0 = time.perf_counter()
    go.set()
    for t in ts:
        t.join(60)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def summary(lat, errors):
    return {"n": len(lat), "errors": errors, "p50_ms": round(pct(lat, 0.50), 2),
            "p99_ms": round(pct(lat, 0.99), 2), "max_ms": round(max(lat), 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loris", type=int, default=300)
    ap.add_argument("--gets", type=int, default=1000)
    ap.add_argument("--storm", type=int, default=2000)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    subprocess.run(["make", "-s", "-C", ROOT, "build/release/pail"], check=True)
    work = tempfile.mkdtemp(prefix="pail-storm-")
    port = free_port()
    p = start_pail(work, port)
    res = {"date": datetime.date.today().isoformat(), "loris": a.loris, "gets": a.gets}
    try:
        setup(port)
        res["quiet_new"] = summary(*gets(port, a.gets, False))
        res["quiet_keepalive"] = summary(*gets(port, a.gets, True))
        loris = Loris(port, a.loris)
        loris.start()
        time.sleep(3)
        # GETs go on past --header-timeout (10 s), so the slow connections
        # are cut and come back while they are measured.
        lat_new, lat_ka, err_new, err_ka = [], [], 0, 0
        t_end = time.monotonic() + 15
        while time.monotonic() < t_end or not lat_new:
            l, e = gets(port, a.gets // 5, False)
            lat_new += l
            err_new += e
            l, e = gets(port, a.gets // 5, True)
            lat_ka += l
            err_ka += e
        res["loris_new"] = summary(lat_new, err_new)
        res["loris_keepalive"] = summary(lat_ka, err_ka)
        loris.stop = True
        loris.join(10)
        res["loris_cut_and_reopened"] = loris.cut
        time.sleep(2)
        res["hwm_before_storm_mib"] = round(hwm_mib(p.pid), 1)
        res["storm"] = storm(port, a.storm)
        res["hwm_after_storm_mib"] = round(hwm_mib(p.pid), 1)
        res["after_storm"] = summary(*gets(port, 200, False))
    finally:
        p.terminate()
        res["pail_exit"] = p.wait(60)
        shutil.rmtree(work, ignore_errors=True)
    d_new = res["loris_new"]["p99_ms"] - res["quiet_new"]["p99_ms"]
    d_ka = res["loris_keepalive"]["p99_ms"] - res["quiet_keepalive"]["p99_ms"]
    ok_loris = d_new <= 100 and d_ka <= 100 and not res["loris_new"]["errors"] and \
        not res["loris_keepalive"]["errors"]
    st = res["storm"]
    ok_storm = st["other"] == 0 and st["error"] == 0 and st["200"] + st["503"] == a.storm
    lines = ["# pail connection storms, %s" % res["date"], "",
             "`python3 bench/storm.py --loris %d --gets %d --storm %d`; release build, defaults "
             "(--max-connections 1024, --header-timeout 10)." % (a.loris, a.gets, a.storm), "",
             "| GETs of 4 KiB | n | errors | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
    for k, name in [("quiet_new", "quiet, new connection each"),
                    ("loris_new", "%d slow-loris, new connection each" % a.loris),
                    ("quiet_keepalive", "quiet, keep-alive"),
                    ("loris_keepalive", "%d slow-loris, keep-alive" % a.loris),
                    ("after_storm", "after the storm, new connection each")]:
        s = res[k]
        lines.append("| %s | %d | %d | %.2f | %.2f | %.2f |" % (name, s["n"], s["errors"],
                                                               s["p50_ms"], s["p99_ms"],
                                                               s["max_ms"]))
    lines += ["", "p99 added by the slow-loris connections: %.1f ms (new connections), %.1f ms "
              "(keep-alive); target <= 100 ms: %s. Slow connections cut by the header timeout "
              "and re-opened: %d." % (d_new, d_ka, "met" if ok_loris else "MISSED",
                                     res["loris_cut_and_reopened"]), "",
              "Storm: %d connections at once, one GET each: %d served (200), %d refused with 503 "
              "SlowDown, %d other answers, %d failed connections, in %.1f s; target none other "
              "or failed: %s. Peak RSS (VmHWM) %.1f MiB before, %.1f MiB after." % (
                  a.storm, st["200"], st["503"], st["other"], st["error"], st["seconds"],
                  "met" if ok_storm else "MISSED", res["hwm_before_storm_mib"],
                  res["hwm_after_storm_mib"]), "", "pail exited %s." % res["pail_exit"]]
    text = "\n".join(lines) + "\n"
    out = os.path.join(ROOT, "bench/results/%s-storm" % res["date"])
    with open(out + ".md", "w") as f:
        f.write(text)
    with open(out + ".json", "w") as f:
        json.dump(res, f, indent=1)
    print(text)
    return 0 if ok_loris and ok_storm else 1


if __name__ == "__main__":
    sys.exit(main())
