#!/usr/bin/env python3
"""pail's soak: a mixed load for MINUTES (10 by default) while pail's memory,
threads and open files are sampled every 5 s. Answers "does RSS grow over a
long run?" — the benchmark's cells are seconds long and cannot.

    python3 bench/soak.py              # 10 minutes (make soak)
    python3 bench/soak.py --minutes 1  # a short look

The load, all at once, every request signed ahead (as in bench/run.py):
  GET 4 KiB   @16 over 256 keys            (wrk: the record cache's hot path)
  PUT 4 KiB   @8  over 20,000 keys          (wrk: inline bodies, overwrites)
  PUT 64 MiB  @4  over 8 keys               (loadgen: overwrites, so the reaper
                                             deletes one blob per PUT)
  GET 64 MiB  @4  over 4 keys               (loadgen: sendfile)
  LIST 1000   @2  pages of a 20,000-key bucket (wrk)
Growth: the highest RSS of the last two minutes against the highest of
minutes 1-3 (the first minute fills caches, thread stacks and pools); the
full benchmark (bench/run.py) runs this too and holds growth to 2 MiB.
Results: bench/results/<date>-soak.md and .json, also printed. The signed
requests stay valid for 15 minutes, so --minutes is at most 12.
"""
import argparse
import datetime
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


def soak(b, minutes):
    """Runs the soak on a fresh pail in b.work (a run.Bench, tools built);
    returns dict(samples, loads, errors, early, late, peak, growth)."""
    secs = minutes * 60
    work = os.path.join(b.work, "soak")
    os.makedirs(work, exist_ok=True)
    p = R.Pail(work)
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
        s = R.Signer(p.port)
        reqfile = lambda name, reqs: R.write_reqs(os.path.join(work, name + ".req"), reqs)  # noqa: E731
        jobs = [
            ("GET 4 KiB @16", "wrk", reqfile("g4", [s.head("GET", "/soak/" + k) for k in get4]), 16, None),
            ("PUT 4 KiB @8", "wrk", reqfile("p4", [s.head("PUT", "/soak/p/o%d" % i, length=4096)
                                                   for i in range(20000)]), 8, 4096),
            ("PUT 64 MiB @4", "loadgen", reqfile("p64", [s.head("PUT", "/soak/big/p%d" % i,
                                                                length=64 * MiB) for i in range(8)]),
             4, 64 * MiB),
            ("GET 64 MiB @4", "loadgen", reqfile("g64", [s.head("GET", "/soak/" + k) for k in get64]),
             4, None),
            ("LIST 1000 @2", "wrk", reqfile("l", [s.head("GET", "/soaklist", [
                ("list-type", "2"), ("max-keys", "1000"), ("start-after", "d%05d" % (i * 97 % 1900))])
                for i in range(200)]), 2, None),
        ]

        def drive(name, tool, f, conns, body):
            try:
                j = (R.run_wrk(p.port, f, conns, secs, body) if tool == "wrk"
                     else R.run_loadgen(p.port, f, conns, secs, body=body))
                loads[name] = j
            except Exception as e:  # noqa: BLE001 - reported, the soak goes on
                errors.append("%s: %s" % (name, e))

        threads = [threading.Thread(target=drive, args=j) for j in jobs]
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
            samples.append((round(el, 1), round(rss, 1), nth, fds))
            if len(samples) % 12 == 1:
                R.log("  %5.0f s  RSS %.1f MiB  threads %d  fds %d" % (el, rss, nth, fds))
            time.sleep(5)
        for t in threads:
            t.join()
    finally:
        p.stop()
        shutil.rmtree(work, ignore_errors=True)

    def peak(lo, hi):
        v = [r for t, r, _, _ in samples if lo <= t < hi]
        return max(v) if v else None

    early = peak(60, min(180, secs * 0.3) if secs >= 300 else secs * 0.5)
    late = peak(secs - min(120, secs * 0.2), secs + 60)
    overall = max((r for _, r, _, _ in samples), default=None)
    growth = (late - early) if early is not None and late is not None else None
    return dict(samples=samples, loads=loads, errors=errors, early=early, late=late,
                peak=overall, growth=growth)


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


def report_lines(minutes, res):
    """The soak's markdown section (a list of lines), for its own report and
    for bench/run.py's."""
    samples, fmt1 = res["samples"], lambda v: "%.1f" % v if v is not None else "-"
    out = ["| | |\n|---|---|",
           "| peak RSS, whole run | %s MiB |" % fmt1(res["peak"]),
           "| peak RSS, minutes 1-3 (after warm-up) | %s MiB |" % fmt1(res["early"]),
           "| peak RSS, last 2 minutes | %s MiB |" % fmt1(res["late"]),
           "| growth (last vs early) | %s |" % ("%+.1f MiB" % res["growth"]
                                                if res["growth"] is not None else "-"),
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
        "%.0fs %.1f" % (t, r) for i, (t, r, _, _) in enumerate(samples) if i % 6 == 0)]
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
