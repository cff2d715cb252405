#!/usr/bin/env python3
"""pail's TLS cells (bench/run.py runs them after the permission cells;
`python3 bench/run.py --only-tls [--quick]` runs only them): GET and PUT of
4 KiB (16 connections) and 64 MiB (4 connections) over HTTPS, each against
the same cell over plain HTTP on the same server, in the same run.

One pail serves both listeners (--listen and --tls-listen, an ECDSA P-256
certificate from a CA made here with the openssl command line). Both sides
use bench/loadgen (with -T CAFILE for TLS: OpenSSL, chain verified, one
handshake per keep-alive connection), so the ratio is TLS's cost alone, not
a difference between load tools. This machine's speed drifts by up to 2x
within minutes, so the cells run in rounds, plain and TLS back to back (the
order swapped every other round); a cell's ratio in a round is TLS op/s over
plain op/s, and the figure is the median over the rounds (5 full, 3 quick).
The client's TLS work runs on the same two cores as the server's, so the
ratio is what one machine pays for both ends.
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if "run" not in sys.modules:
    import run as R  # noqa: E402  (bench/run.py: signer, servers, load generators)
else:
    R = sys.modules["run"]

KiB, MiB = 1024, 1024 * 1024
BUCKET = "bench"
# (name, method, size, connections)
CELLS = [("GET 4 KiB", "GET", 4 * KiB, 16), ("PUT 4 KiB", "PUT", 4 * KiB, 16),
         ("GET 64 MiB", "GET", 64 * MiB, 4), ("PUT 64 MiB", "PUT", 64 * MiB, 4)]
NKEYS = {4 * KiB: 256, 64 * MiB: 4}
NPUT = {4 * KiB: 10000, 64 * MiB: 16}


def make_pki(work):
    """(CA file, certificate, key) for 127.0.0.1."""
    def ossl(*args):
        r = subprocess.run(["openssl"] + list(args), cwd=work, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr[-300:]))
    ec = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    ossl("req", "-x509", "-newkey", *ec, "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
         "-days", "2", "-subj", "/CN=pail bench CA")
    ossl("req", "-newkey", *ec, "-nodes", "-keyout", "srv.key", "-out", "srv.csr",
         "-subj", "/CN=127.0.0.1")
    with open(os.path.join(work, "srv.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "srv.ext")
    return tuple(os.path.join(work, n) for n in ("ca.pem", "srv.pem", "srv.key"))


class Tls:
    def __init__(self, b):
        self.b = b
        self.quick = b.quick
        self.secs, self.rounds = R.rounds_plan(b)
        self.work = os.path.join(b.work, "tls")
        os.makedirs(self.work, exist_ok=True)
        self.cells = []   # every measured cell, with side and round
        self.ratios = {}  # cell name -> [TLS/plain op/s per round]
        self.cpu = {}     # cell name -> [TLS/plain CPU µs/req per round]
        self.notes = []

    def reqs(self, port, method, size):
        """Requests signed for 127.0.0.1:port (the Host differs per listener)."""
        s = R.Signer(port)
        if method == "GET":
            return [s.head("GET", "/%s/get/o%d-%d" % (BUCKET, i, size)) for i in range(NKEYS[size])]
        return [s.head("PUT", "/%s/put/o%d-%d" % (BUCKET, i, size), length=size)
                for i in range(NPUT[size])]

    def run_cell(self, srv, name, method, size, conns, side, secs):
        """One cell over plain HTTP or TLS (side), not recorded in the matrix."""
        port = self.tport if side == "tls" else srv.port
        return self.b.cell(srv, "%s %s" % (name, side), conns, self.reqs(port, method, size), size,
                           body=size if method == "PUT" else None, tool="loadgen", secs=secs,
                           record=False, tls=(self.tport, self.ca) if side == "tls" else None)

    def measure(self, srv, name, method, size, conns, side, rnd):
        secs = self.secs * (1.5 if size >= 64 * MiB else 1)
        res = self.run_cell(srv, name, method, size, conns, side, secs)
        res.update(side=side, round=rnd, base=name)
        self.cells.append(res)
        return res

    def run(self):
        try:
            self.ca, cert, key = make_pki(self.work)
        except (OSError, RuntimeError) as e:
            self.notes.append("tls: no certificate (%s): cells skipped" % e)
            R.log(self.notes[-1])
            return self
        srv = R.Pail(self.work)
        self.tport = R.free_port()
        srv.extra = ["--tls-listen", "127.0.0.1:%d" % self.tport, "--tls-cert", cert,
                     "--tls-key", key]
        R.log("tls: starting a fresh pail, plain :%d and TLS :%d (%s)" % (srv.port, self.tport,
                                                                         self.work))
        if not srv.start():
            self.notes.append("tls: pail did not start")
            return self
        try:
            self.b.request(srv, "PUT", "/" + BUCKET)
            for size, n in NKEYS.items():
                self.b.put_many(srv, BUCKET, ["get/o%d-%d" % (i, size) for i in range(n)], size,
                                conns=4)
            for name, method, size, conns in CELLS:  # not recorded: first connections
                for side in ("plain", "tls"):
                    self.run_cell(srv, name, method, size, conns, side, 1)
            for r in range(self.rounds):
                for name, method, size, conns in CELLS:
                    order = ("plain", "tls") if r % 2 == 0 else ("tls", "plain")
                    got = {s: self.measure(srv, name, method, size, conns, s, r) for s in order}
                    p, t = got["plain"], got["tls"]
                    if p["errors"] or t["errors"] or not p["ops"]:
                        self.notes.append("tls: %s round %d had errors (plain %d, TLS %d)%s" % (
                            name, r + 1, p["errors"], t["errors"], t["note"] or p["note"]))
                        continue
                    self.ratios.setdefault(name, []).append(t["ops"] / p["ops"])
                    if p["cpu_us"] and t["cpu_us"]:
                        self.cpu.setdefault(name, []).append(t["cpu_us"] / p["cpu_us"])
                R.log("  tls round %d: %s" % (r + 1, ", ".join(
                    "%s %s" % (n, R.fmt_ratio(v[-1])) for n, v in self.ratios.items() if v)))
        except Exception as e:  # noqa: BLE001 - the report says what failed
            self.notes.append("tls: aborted: %s" % e)
            R.log(self.notes[-1])
        finally:
            srv.stop()
        return self

    # ------------------------------------------------------------ report
    def median_cell(self, name, side):
        cs = [c for c in self.cells if c["base"] == name and c["side"] == side]
        if not cs:
            return None
        return {k: statistics.median(c[k] for c in cs) for k in ("ops", "mibs", "p50", "p99")} | {
            "cpu_us": statistics.median(c["cpu_us"] for c in cs if c["cpu_us"] is not None)
            if any(c["cpu_us"] is not None for c in cs) else None}

    def report_lines(self):
        out = ["", "## TLS (bench/tls.py)", "",
               "One pail, plain and TLS listeners; bench/loadgen on both sides (OpenSSL client, "
               "ECDSA P-256 certificate, one handshake per keep-alive connection); %d rounds of "
               "%.0f s cells (64 MiB: %.0f s), plain and TLS back to back. Ratio: TLS op/s over "
               "plain op/s in the same round, median of the rounds; CPU: pail's CPU µs/req, TLS "
               "over plain. Client and server share this machine's cores."
               % (self.rounds, self.secs, self.secs * 1.5), "",
               "| cell | plain op/s | plain MiB/s | TLS op/s | TLS MiB/s | TLS p99 ms | "
               "TLS/plain (rounds) | CPU/req TLS/plain |",
               "|---|---:|---:|---:|---:|---:|---|---:|"]
        for name, _, _, conns in CELLS:
            p, t = self.median_cell(name, "plain"), self.median_cell(name, "tls")
            rs = self.ratios.get(name, [])
            if not p or not t:
                out.append("| %s @%d | - | - | - | - | - | not measured | - |" % (name, conns))
                continue
            cpu = self.cpu.get(name, [])
            out.append("| %s @%d | %.0f | %.1f | %.0f | %.1f | %.2f | **%s** (%s) | %s |" % (
                name, conns, p["ops"], p["mibs"], t["ops"], t["mibs"], t["p99"],
                R.fmt_ratio(statistics.median(rs)) if rs else "-",
                " ".join(R.fmt_ratio(x) for x in rs),
                R.fmt_ratio(statistics.median(cpu)) if cpu else "-"))
        out += ["- " + n for n in self.notes]
        return out

    def to_json(self):
        return dict(cells=self.cells, ratios=self.ratios, cpu_ratios=self.cpu, notes=self.notes)
