#!/usr/bin/env python3
"""pail's soak: a mixed load for MINUTES (10 by default) while pail's memory,
threads and open files are sampled every 5 s. Answers "does RSS grow over a
long run?" — the benchmark's cells are seconds long and cannot.

    python3 bench/soak.py              # 10 minutes (make soak)
    python3 bench/soak.py --minutes 1  # a short look

The load, all at once, 64 connections in all (issue 14 §7), every request
signed ahead (as in bench/run.py) except the multipart uploads:
  GET 4 KiB  @12 root over 256 keys            (wrk: the record cache's hot path)
  PUT 4 KiB  @6  root over 20,000 keys          (wrk: inline bodies, overwrites)
  GET 4 KiB  @6  an IAM user (inline policy)    (wrk: identity policy evaluated)
  PUT 4 KiB  @4  the IAM user                   (wrk)
  GET 4 KiB  @8  anonymous, public-read objects (wrk: the object ACL)
  GET 4 KiB  @6  presigned URLs (SigV4 query)   (wrk)
  GET 4 KiB  @6  the website endpoint           (wrk: Host soakweb.s3-website...)
  GET 4 KiB  @4  root over TLS                  (loadgen -T: --tls-listen)
  PUT 64 MiB @2  root over 8 keys               (loadgen: overwrites, so the reaper
                                                 deletes one blob per PUT)
  GET 64 MiB @2  root over 4 keys               (loadgen: sendfile)
  LIST 1000  @4  pages of a 20,000-key bucket   (wrk)
  multipart  @4  boto3: create, 2 parts of 5 MiB, complete, then GET and
                 compare, in a loop (what an SDK does, with its own signing)
Errors: any non-2xx or socket error in any load, or a multipart round that
fails, is one; the target is none.
Growth: the highest RSS of the last two minutes against the highest of
minutes 1-3 (the first minute fills caches, thread stacks and pools); the
full benchmark (bench/run.py) runs this too and holds growth to 2 MiB.
Results: bench/results/<date>-soak.md and .json, also printed. The signed
requests stay valid for 15 minutes, so --minutes is at most 12.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (bench/run.py: signer, servers, load generators)

KiB, MiB = 1024, 1024 * 1024


def proc_status(pid):
    """(VmRSS MiB, threads, open fds) of pid."""
    with open("/proc/%d/status" % pid) as f:
        st = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+) kB", st).group(1)) / 1024
    threads = int(re.search(r"Threads:\s+(\d+)", st).group(1))
    fds = len(os.listdir("/proc/%d/fd" % pid))
    return rss, threads, fds


def meta_memory(port):
    """(cache MiB, backend MiB, heap in use MiB) from pail's metrics
    (pail_meta_cache_bytes, pail_meta_backend_memory_bytes,
    pail_heap_in_use_bytes), or Nones."""
    import urllib.request
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/_pail/metrics" % port,
                                      timeout=10).read().decode()
    except OSError:
        return None, None, None
    got = dict(re.findall(r"^(pail_meta_cache_bytes|pail_meta_backend_memory_bytes|"
                          r"pail_heap_in_use_bytes) (\d+)$", text, re.M))
    mib = lambda k: int(got[k]) / MiB if k in got else None  # noqa: E731
    return (mib("pail_meta_cache_bytes"), mib("pail_meta_backend_memory_bytes"),
            mib("pail_heap_in_use_bytes"))


def mixed_setup(b, p, work):
    """The IAM user (an inline policy on soak/*), the public-read objects of
    bucket soakweb with its website configuration, and the TLS listener's
    port and CA (p was started with it)."""
    iam = R.boto_client(p.port, "iam")
    iam.create_user(UserName="soak-user")
    iam.put_user_policy(UserName="soak-user", PolicyName="soak-rw", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::soak/*"}]}))
    k = iam.create_access_key(UserName="soak-user")["AccessKey"]
    b.request(p, "PUT", "/soakweb")
    pub = ["pub/o%d" % i for i in range(256)]
    b.put_many(p, "soakweb", pub, 4 * KiB, conns=8, extra=[("x-amz-acl", "public-read")])
    b.request(p, "PUT", "/soakweb", [("website", None)], body=(
        b'<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b'<IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>'))
    return dict(uak=k["AccessKeyId"], usk=k["SecretAccessKey"], pub=pub, tport=p.tport, ca=p.ca)


def soak(b, minutes):
    """Runs the soak on a fresh pail in b.work (a run.Bench, tools built);
    returns dict(samples, loads, errors, early, late, peak, growth)."""
    secs = minutes * 60
    work = os.path.join(b.work, "soak")
    os.makedirs(work, exist_ok=True)
    p = R.Pail(work)
    import tls  # bench/tls.py: the CA and certificate
    tls.R = R
    p.ca, cert, key = tls.make_pki(work)
    p.tport = R.free_port()
    p.extra = ["--tls-listen", "127.0.0.1:%d" % p.tport, "--tls-cert", cert, "--tls-key", key]
    if not p.start():
        return dict(samples=[], loads={}, errors=["pail did not start"], early=None, late=None,
                    peak=None, growth=None)
    samples, loads, errors = [], {}, []
    try:
        R.log("soak: populating")
        b.request(p, "PUT", "/soak")
        b.request(p, "PUT", "/soaklist")
        get4 = ["g/o%d" % i for i in range(256)]
        b.put_many(p, "soak", get4, 4 * KiB, conns=8)
        get64 = ["big/g%d" % i for i in range(4)]
        b.put_many(p, "soak", get64, 64 * MiB, conns=4)
        b.put_many(p, "soaklist", ["d%05d/o%d" % (i // 10, i % 10) for i in range(20000)], 0)
        setup = mixed_setup(b, p, work)
        s, user = R.Signer(p.port), R.Signer(p.port, setup["uak"], setup["usk"])
        reqfile = lambda name, reqs: R.write_reqs(os.path.join(work, name + ".req"), reqs)  # noqa: E731
        web = "soakweb.s3-website.localhost:%d" % p.port
        jobs = [
            ("GET 4 KiB @12 root", "wrk", reqfile("g4", [s.head("GET", "/soak/" + k) for k in get4]), 12, None),
            ("PUT 4 KiB @6 root", "wrk", reqfile("p4", [s.head("PUT", "/soak/p/o%d" % i, length=4096)
                                                        for i in range(20000)]), 6, 4096),
            ("GET 4 KiB @6 IAM user", "wrk", reqfile("ug4", [user.head("GET", "/soak/" + k)
                                                             for k in get4]), 6, None),
            ("PUT 4 KiB @4 IAM user", "wrk", reqfile("up4", [user.head("PUT", "/soak/u/o%d" % i,
                                                                       length=4096)
                                                             for i in range(5000)]), 4, 4096),
            ("GET 4 KiB @8 anonymous", "wrk", reqfile("a4", [R.anonymous_head(p.port, "GET", "/soakweb/" + k)
                                                             for k in setup["pub"]]), 8, None),
            ("GET 4 KiB @6 presigned", "wrk", reqfile("ps4", [s.presigned("GET", "/soak/" + k)
                                                              for k in get4]), 6, None),
            ("GET 4 KiB @6 website", "wrk", reqfile("w4", [R.anonymous_head(web, "GET", "/" + k)
                                                           for k in setup["pub"]]), 6, None),
            ("GET 4 KiB @4 TLS", "tls", reqfile("t4", [R.Signer(setup["tport"]).head("GET", "/soak/" + k)
                                                       for k in get4]), 4, None),
            ("PUT 64 MiB @2", "loadgen", reqfile("p64", [s.head("PUT", "/soak/big/p%d" % i,
                                                                length=64 * MiB) for i in range(8)]),
             2, 64 * MiB),
            ("GET 64 MiB @2", "loadgen", reqfile("g64", [s.head("GET", "/soak/" + k) for k in get64]),
             2, None),
            ("LIST 1000 @4", "wrk", reqfile("l", [s.head("GET", "/soaklist", [
                ("list-type", "2"), ("max-keys", "1000"), ("start-after", "d%05d" % (i * 97 % 1900))])
                for i in range(200)]), 4, None),
        ]
        stop_at = time.monotonic() + secs

        def drive(name, tool, f, conns, body):
            try:
                if tool == "wrk":
                    j = R.run_wrk(p.port, f, conns, secs, body)
                elif tool == "tls":
                    j = R.run_loadgen(setup["tport"], f, conns, secs, body=body, ca=setup["ca"])
                else:
                    j = R.run_loadgen(p.port, f, conns, secs, body=body)
                loads[name] = j
            except Exception as e:  # noqa: BLE001 - reported, the soak goes on
                errors.append("%s: %s" % (name, e))

        mp = {"requests": 0, "errors": 0}

        def multipart(n):
            c = R.boto_client(p.port)
            part = os.urandom(5 * MiB)
            i = 0
            while time.monotonic() < stop_at:
                key = "mp/%d-%d" % (n, i % 4)
                i += 1
                try:
                    up = c.create_multipart_upload(Bucket="soak", Key=key)
                    etags = [c.upload_part(Bucket="soak", Key=key, UploadId=up["UploadId"],
                                           PartNumber=k, Body=part)["ETag"] for k in (1, 2)]
                    c.complete_multipart_upload(
                        Bucket="soak", Key=key, UploadId=up["UploadId"],
                        MultipartUpload={"Parts": [{"ETag": e, "PartNumber": k + 1}
                                                   for k, e in enumerate(etags)]})
                    got = c.get_object(Bucket="soak", Key=key)["Body"].read()
                    if hashlib.md5(got).digest() != hashlib.md5(part + part).digest():
                        raise RuntimeError("%s came back different" % key)
                    mp["requests"] += 5
                except Exception as e:  # noqa: BLE001 - counted, reported
                    mp["errors"] += 1
                    if mp["errors"] <= 3:
                        errors.append("multipart: %s" % e)

        jobs_mp = [threading.Thread(target=multipart, args=(n,)) for n in range(4)]
        threads = [threading.Thread(target=drive, args=j) for j in jobs] + jobs_mp
        R.log("soak: %.1f minutes of mixed load" % minutes)
        start = time.monotonic()
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            el = time.monotonic() - start
            try:
                rss, nth, fds = proc_status(p.proc.pid)
            except (OSError, AttributeError):
                errors.append("pail exited during the soak")
                break
            cache, backend, heap = meta_memory(p.port)
            samples.append((round(el, 1), round(rss, 1), nth, fds, cache, backend, heap))
            if len(samples) % 12 == 1:
                R.log("  %5.0f s  RSS %.1f MiB  threads %d  fds %d  heap in use %s MiB, metadata "
                      "cache %s MiB, SQLite %s MiB" % (el, rss, nth, fds, fmt1(heap), fmt1(cache),
                                                       fmt1(backend)))
            time.sleep(5)
        for t in threads:
            t.join()
        loads["multipart @4 (boto3, 5 requests per upload)"] = dict(
            requests=mp["requests"], ops=mp["requests"] / secs, non2xx=mp["errors"], socket_errors=0)
    finally:
        p.stop()
        shutil.rmtree(work, ignore_errors=True)

    def peak(lo, hi, col=1):
        v = [s[col] for s in samples if lo <= s[0] < hi and s[col] is not None]
        return max(v) if v else None

    windows = ((60, min(180, secs * 0.3) if secs >= 300 else secs * 0.5),
               (secs - min(120, secs * 0.2), secs + 60))
    early, late = (peak(lo, hi) for lo, hi in windows)
    overall = max((s[1] for s in samples), default=None)
    growth = (late - early) if early is not None and late is not None else None
    # The metadata cache and SQLite's page caches fill toward fixed caps
    # (--cache-mib; cache_size per connection): growth there is bounded.
    meta = [peak(lo, hi, 4) for lo, hi in windows], [peak(lo, hi, 5) for lo, hi in windows]
    meta_growth = [(w[1] - w[0]) if None not in w else None for w in meta]
    heap = [peak(lo, hi, 6) for lo, hi in windows]
    return dict(samples=samples, loads=loads, errors=errors, early=early, late=late,
                peak=overall, growth=growth, cache_growth=meta_growth[0],
                sqlite_growth=meta_growth[1],
                heap_growth=(heap[1] - heap[0]) if None not in heap else None)


def fmt1(v):
    return "%.1f" % v if v is not None else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    a = ap.parse_args()
    if not 0 < a.minutes <= 12:
        sys.exit("--minutes must be in (0, 12]: signed requests expire after 15 minutes")
    t0 = time.monotonic()
    b = R.Bench(argparse.Namespace(quick=True, seconds=None, perf=None, servers=None,
                                   list_keys=None, keep=False, tag=None))
    b.ensure_tools()
    b.build()
    try:
        res = soak(b, a.minutes)
    finally:
        shutil.rmtree(b.work, ignore_errors=True)
    report(a.minutes, res, time.monotonic() - t0)


GROWTH_MAX_MIB = 2.0  # "no growth": what malloc's arenas wander by, not a trend


def uncapped_growth(res):
    """RSS growth less what the capped caches grew by (None when unknown)."""
    if res["growth"] is None:
        return None
    return res["growth"] - (res.get("cache_growth") or 0) - (res.get("sqlite_growth") or 0)


def error_count(res):
    return sum(j["non2xx"] + j["socket_errors"] for j in res["loads"].values()) + len(res["errors"])


def report_lines(minutes, res):
    """The soak's markdown section (a list of lines), for its own report and
    for bench/run.py's."""
    samples = res["samples"]
    signed = lambda v: "%+.1f MiB" % v if v is not None else "-"  # noqa: E731
    out = ["| | |\n|---|---|",
           "| peak RSS, whole run | %s MiB |" % fmt1(res["peak"]),
           "| peak RSS, minutes 1-3 (after warm-up) | %s MiB |" % fmt1(res["early"]),
           "| peak RSS, last 2 minutes | %s MiB |" % fmt1(res["late"]),
           "| growth (last vs early) | %s |" % signed(res["growth"]),
           "| of which the metadata cache / SQLite's caches (capped) | %s / %s |" % (
               signed(res.get("cache_growth")), signed(res.get("sqlite_growth"))),
           "| heap in use (glibc), growth | %s |" % signed(res.get("heap_growth")),
           "| growth outside them (target <= %g MiB) | %s |" % (GROWTH_MAX_MIB,
                                                                 signed(uncapped_growth(res))),
           "| errors (non-2xx, socket, failed multipart rounds) | %d |" % error_count(res),
           "| threads, open fds (first → last sample) | %s |" % (
               "%d → %d, %d → %d" % (samples[0][2], samples[-1][2], samples[0][3], samples[-1][3])
               if samples else "-"),
           "", "| load (%g minutes, all at once) | requests | op/s | MiB/s moved | errors |" % minutes,
           "|---|---|---|---|---|"]
    sizes = {"4 KiB": 4 * KiB, "64 MiB": 64 * MiB}
    for name, j in res["loads"].items():
        size = next((v for k, v in sizes.items() if k in name), 0)
        out.append("| %s | %d | %.0f | %.1f | %d |" % (
            name, j["requests"], j["ops"], j["ops"] * size / MiB, j["non2xx"] + j["socket_errors"]))
    out += ["", "RSS every 30 s (MiB): " + ", ".join(
        "%.0fs %.1f" % (x[0], x[1]) for i, x in enumerate(samples) if i % 6 == 0),
        "", "Heap in use every 30 s (MiB): " + ", ".join(
        "%.0fs %s" % (x[0], fmt1(x[6])) for i, x in enumerate(samples) if i % 6 == 0)]
    if res["errors"]:
        out += ["", "Errors:"] + ["- " + e for e in res["errors"]]
    return out


def report(minutes, res, total):
    day = datetime.date.today().isoformat()
    out = ["# pail soak — %s\n" % day,
           "Generated by `bench/soak.py --minutes %g`; %.0f s end to end. pail release build, "
           "one process; the load generators run on the same %d cores.\n"
           % (minutes, total, os.cpu_count()), "## Memory, threads, files\n"]
    out += report_lines(minutes, res)
    text = "\n".join(out) + "\n"
    base = os.path.join(R.BENCH, "results", "%s-soak" % day)
    with open(base + ".md", "w") as f:
        f.write(text)
    with open(base + ".json", "w") as f:
        json.dump(dict(minutes=minutes, **res), f, indent=1)
    print("\n" + text)
    R.log("wrote %s.md and %s.json" % (base, base))


if __name__ == "__main__":
    main()
