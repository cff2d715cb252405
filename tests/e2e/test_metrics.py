"""Monitoring on pail's own paths (/_pail/...: "_pail" can be no bucket's
name): health checks for load balancers and Prometheus metrics, parsed with
the Prometheus client's own text parser, and scraped by a real Prometheus
server from Debian's archive."""
import contextlib
import json
import shutil
import socket
import subprocess
import time

import pytest
import requests
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port, make_client, pail_bin


def scrape(endpoint):
    r = requests.get(endpoint + "/_pail/metrics", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_health_checks_answer_anyone(server):
    live = requests.get(server.endpoint + "/_pail/health/live", timeout=10)
    assert live.status_code == 200 and live.text == "live\n"
    ready = requests.get(server.endpoint + "/_pail/health/ready", timeout=10)
    assert ready.status_code == 200 and ready.text == "ready\n"
    other = requests.get(server.endpoint + "/_pail/nothing-here", timeout=10)
    assert other.status_code == 404


def test_pail_paths_are_no_bucket(s3):
    # The prefix cannot collide with a bucket: S3 names have no underscore.
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="_pail")
    assert e.value.response["Error"]["Code"] == "InvalidBucketName"


def test_requests_are_counted_by_operation_and_status(server, s3, bucket):
    before = scrape(server.endpoint)
    s3.put_object(Bucket=bucket, Key="m", Body=b"x" * 1000)
    for _ in range(3):
        s3.get_object(Bucket=bucket, Key="m")["Body"].read()
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="missing")
    anon = requests.get("%s/%s/m" % (server.endpoint, bucket), timeout=10)
    assert anon.status_code == 403
    bad = make_client(server, secret_key="not-the-secret")
    with pytest.raises(ClientError):
        bad.list_buckets()
    after = scrape(server.endpoint)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("pail_requests_total", operation="PutObject", status="200") == 1
    assert delta("pail_requests_total", operation="GetObject", status="200") == 3
    assert delta("pail_requests_total", operation="GetObject", status="404") == 1
    assert delta("pail_requests_total", operation="GetObject", status="403") == 1
    assert delta("pail_received_bytes_total", operation="PutObject") == 1000
    assert delta("pail_sent_bytes_total", operation="GetObject") >= 3000
    assert delta("pail_errors_total", code="NoSuchKey") == 1
    assert delta("pail_authentication_failures_total", reason="SignatureDoesNotMatch") == 1
    assert sum(v for (n, _), v in after.items() if n == "pail_authorization_denials_total") > \
        sum(v for (n, _), v in before.items() if n == "pail_authorization_denials_total")
    assert delta("pail_request_duration_seconds_count", operation="GetObject") == 5
    assert value(after, "pail_requests_in_flight") >= 1  # the scrape itself


def test_connections_open_and_refused(server):
    before = scrape(server.endpoint)
    host, port = server.endpoint.split("//", 1)[1].split(":")
    held = socket.create_connection((host, int(port)))  # open, nothing sent yet
    try:
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a TLS ClientHello
            assert s.recv(4096).startswith(b"HTTP/1.1 400")
        after = scrape(server.endpoint)
    finally:
        held.close()
    assert value(after, "pail_connections_open") >= 2  # the held one and the scrape's
    assert value(after, "pail_connections_refused_total", code="BadRequest") - \
        value(before, "pail_connections_refused_total", code="BadRequest") == 1


def test_histograms_are_consistent(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="h", Body=b"y")
    samples = scrape(server.endpoint)
    for name in ("pail_request_duration_seconds", "pail_meta_wal_fsync_seconds",
                 "pail_data_fsync_seconds", "pail_meta_commit_batch_writes"):
        series = {}
        for (n, labels), v in samples.items():
            if n == name + "_bucket":
                rest = tuple(kv for kv in labels if kv[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((float(le), v))
        assert series, name
        for rest, points in series.items():
            points.sort()
            counts = [v for _, v in points]
            assert counts == sorted(counts), (name, rest)  # cumulative
            assert points[-1][0] == float("inf")
            assert counts[-1] == value(samples, name + "_count", **dict(rest)), (name, rest)
    # a PUT commits metadata, through the group commit and the WAL's fsync
    assert value(samples, "pail_meta_commit_batch_writes_count") >= 1
    assert value(samples, "pail_meta_wal_fsync_seconds_count") >= 1


def test_memory_gauges(server, s3, bucket):
    """The heap in use, the metadata cache's bytes and SQLite's own memory:
    what a long run's RSS is made of (bench/soak.py samples them)."""
    s3.put_object(Bucket=bucket, Key="mem", Body=b"z" * 100)
    s3.get_object(Bucket=bucket, Key="mem")["Body"].read()  # cached now
    samples = scrape(server.endpoint)
    # glibc's count; under AddressSanitizer (this suite's build) ASan's own
    # allocator serves malloc and glibc sees almost nothing: present, >= 0.
    assert ("pail_heap_in_use_bytes", ()) in samples
    heap = value(samples, "pail_heap_in_use_bytes")
    cache = value(samples, "pail_meta_cache_bytes")
    sqlite = value(samples, "pail_meta_backend_memory_bytes")
    assert 0 <= heap < 1 << 32, heap
    assert 0 < cache <= 16 << 20, cache  # --cache-mib 16 by default
    assert 64 << 10 < sqlite < 1 << 30, sqlite


def test_objects_and_bytes_per_bucket(server, s3, make_bucket):
    name = make_bucket()
    for i, size in enumerate([10, 20, 30]):
        s3.put_object(Bucket=name, Key="k%d" % i, Body=b"z" * size)
    s3.delete_object(Bucket=name, Key="k0")
    # A gauge that costs a scan of the bucket: re-read on a scrape unless the
    # last reading was slow (then at most 1% of the time), so it may lag.
    deadline = time.monotonic() + 30
    while True:
        samples = scrape(server.endpoint)
        got = (value(samples, "pail_bucket_objects", bucket=name),
               value(samples, "pail_bucket_bytes", bucket=name))
        if got == (2, 50) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert got == (2, 50)


def non_loopback_address():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent: it only picks the route
        return s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()


@contextlib.contextmanager
def pail_reachable_from_outside(tmp_path, *args):
    """A pail of its own started with args, once its live check answers at
    the machine's non-loopback address; yields that address. Skips where the
    machine has none."""
    addr = non_loopback_address()
    if not addr or addr.startswith("127."):
        pytest.skip("this machine has no address besides loopback")
    proc = subprocess.Popen([pail_bin(), "serve", "--data", str(tmp_path / "data")] + list(args),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield addr, proc
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def wait_live(ep, proc):
    deadline = time.monotonic() + 20
    while True:
        try:
            return requests.get(ep + "/_pail/health/live", timeout=5)
        except requests.ConnectionError:
            assert time.monotonic() < deadline and proc.poll() is None, "pail did not start"
            time.sleep(0.1)


def test_metrics_only_to_this_machine(tmp_path):
    # They name every bucket and its size: a client from elsewhere is refused
    # (health checks stay open: they tell nothing).
    port = free_port()
    with pail_reachable_from_outside(tmp_path, "--listen", "0.0.0.0:%d" % port) as (addr, proc):
        ep = "http://%s:%d" % (addr, port)
        assert wait_live(ep, proc).status_code == 200
        refused = requests.get(ep + "/_pail/metrics", timeout=10)
        assert refused.status_code == 403 and "AccessDenied" in refused.text
        local = requests.get("http://127.0.0.1:%d/_pail/metrics" % port, timeout=10)
        assert local.status_code == 200


def test_admin_listen_serves_metrics_to_anyone(tmp_path):
    # --admin-listen is an address the operator picked for monitoring: the
    # metrics answer any client there, and nothing but pail's own paths is
    # served on it.
    port, admin = free_port(), free_port()
    with pail_reachable_from_outside(tmp_path, "--listen", "127.0.0.1:%d" % port,
                                     "--admin-listen", "0.0.0.0:%d" % admin) as (addr, proc):
        ep = "http://%s:%d" % (addr, admin)
        assert wait_live(ep, proc).status_code == 200
        metrics = requests.get(ep + "/_pail/metrics", timeout=10)
        assert metrics.status_code == 200 and "pail_requests_total" in metrics.text
        s3ish = requests.get(ep + "/", timeout=10)
        assert s3ish.status_code == 400 and "InvalidRequest" in s3ish.text
        assert requests.get("http://127.0.0.1:%d/_pail/health/ready" % port,
                            timeout=10).status_code == 200


def test_prometheus_scrapes_pail(server, tmp_path, s3, bucket):
    prom = shutil.which("prometheus")
    assert prom, "prometheus (Debian's package) is not installed: scripts/deps.sh installs it"
    s3.put_object(Bucket=bucket, Key="p", Body=b"scraped")
    port = free_port()
    target = server.endpoint.split("//", 1)[1]
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: pail\n    metrics_path: /_pail/metrics\n"
        "    static_configs:\n      - targets: ['%s']\n" % target)
    proc = subprocess.Popen(
        [prom, "--config.file=%s" % (tmp_path / "prometheus.yml"),
         "--storage.tsdb.path=%s" % (tmp_path / "tsdb"),
         "--web.listen-address=127.0.0.1:%d" % port],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"))
    try:
        api = "http://127.0.0.1:%d/api/v1/query" % port
        deadline = time.monotonic() + 60
        up = objects = None
        while time.monotonic() < deadline:
            try:
                up = requests.get(api, params={"query": 'up{job="pail"}'}, timeout=5).json()
                objects = requests.get(api, params={
                    "query": 'pail_bucket_objects{bucket="%s"}' % bucket}, timeout=5).json()
                if up["data"]["result"] and up["data"]["result"][0]["value"][1] == "1" and \
                        objects["data"]["result"]:
                    break
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.5)
        log = (tmp_path / "prometheus.log").read_text(errors="replace")[-2000:]
        assert up and up["data"]["result"], log
        assert up["data"]["result"][0]["value"][1] == "1", json.dumps(up) + log
        assert objects["data"]["result"][0]["value"][1] == "1"
        targets = requests.get("http://127.0.0.1:%d/api/v1/targets" % port, timeout=5).json()
        active = targets["data"]["activeTargets"][0]
        assert active["health"] == "up" and not active["lastError"], active
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
