"""pail end-to-end fixtures.

The session starts one pail process:
    $PAIL_BIN serve --listen 127.0.0.1:<free port> --data <tmpdir>
with PAIL_ROOT_ACCESS_KEY / PAIL_ROOT_SECRET_KEY set to the test keys below,
waits (<= 20 s) until the port accepts connections, and on teardown sends
SIGTERM and fails the session unless the exit code is 0 and the server's stderr
has no AddressSanitizer/LeakSanitizer/UBSan report.

With PAIL_TEST_ENDPOINT set (plus PAIL_TEST_ACCESS_KEY / PAIL_TEST_SECRET_KEY)
the suite runs against that server instead, and tests marked `own_server`
(they start and stop pail themselves) are skipped.
"""
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_util import REGION, RawClient  # noqa: E402

ACCESS_KEY = "PAILE2ETESTACCESSKEY"
SECRET_KEY = "pail/e2e+TestSecretKey0000000000000000000"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 60.0
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# Keep botocore and the CLI away from any profile or config on the machine.
for _v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_v, None)
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def pytest_configure(config):
    config.addinivalue_line("markers", "own_server: starts its own pail process "
                            "(needs PAIL_BIN; skipped with PAIL_TEST_ENDPOINT)")
    config.addinivalue_line("markers", "slow: large transfers (200 MiB, 1,000 files)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PAIL_TEST_ENDPOINT"):
        skip = pytest.mark.skip(reason="starts its own pail; PAIL_TEST_ENDPOINT is set")
        for item in items:
            if "own_server" in item.keywords:
                item.add_marker(skip)


# ------------------------------------------------------------ server process
def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pail_bin():
    path = os.environ.get("PAIL_BIN")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        guess = os.path.normpath(os.path.join(here, "..", "..", "build", "asan", "pail"))
        if os.path.exists(guess):
            path = guess
    if not path or not os.access(path, os.X_OK):
        pytest.fail("no server: set PAIL_BIN to the pail binary (make e2e does) or "
                    "PAIL_TEST_ENDPOINT to a running server; PAIL_BIN=%r" % path, pytrace=False)
    return path


class PailProcess:
    """One `pail serve` process on a data directory; its stderr goes to a file."""

    def __init__(self, data_dir, log_dir, name="pail", extra_args=()):
        self.data_dir = str(data_dir)
        self.extra_args = list(extra_args)
        self.log_dir = str(log_dir)
        self.name = name
        self.proc = None
        self.port = None
        self.stderr_path = None
        self.returncode = None
        self.starts = 0

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        env = dict(os.environ)
        env["PAIL_ROOT_ACCESS_KEY"] = ACCESS_KEY
        env["PAIL_ROOT_SECRET_KEY"] = SECRET_KEY
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        last_err = ""
        for _attempt in range(3):  # the free port may be taken between bind and listen
            self.starts += 1
            self.port = free_port()
            self.stderr_path = os.path.join(self.log_dir, "%s-%d.stderr" % (self.name, self.starts))
            err = open(self.stderr_path, "wb")
            argv = [pail_bin(), "serve", "--listen", "127.0.0.1:%d" % self.port,
                    "--data", self.data_dir] + self.extra_args
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=subprocess.STDOUT, env=env)
            err.close()
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    self.returncode = None
                    return self
                except OSError:
                    time.sleep(0.05)
            if self.proc.poll() is None:
                self.kill()
                pytest.fail("pail did not accept connections on port %d within %.0f s: %s\n%s"
                            % (self.port, START_TIMEOUT, " ".join(argv), self.tail()), pytrace=False)
            last_err = self.tail()
            if "in use" not in last_err.lower():
                break
        pytest.fail("pail exited with code %s while starting: %s\n%s"
                    % (self.proc.returncode, " ".join(argv), last_err), pytrace=False)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def stop(self, sig=signal.SIGTERM):
        """SIGTERM and wait; returns the exit code (kills it after STOP_TIMEOUT)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = "hung (killed after %.0f s)" % STOP_TIMEOUT
                return self.returncode
        self.returncode = self.proc.returncode
        return self.returncode

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def tail(self, lines=60):
        text = self.stderr_text().splitlines()
        return "---- %s (last %d of %d lines) ----\n%s" % (
            self.stderr_path, min(lines, len(text)), len(text), "\n".join(text[-lines:]))

    def problems(self):
        """Why this run counts as failed: non-zero exit, sanitizer reports."""
        out = []
        if self.returncode != 0:
            out.append("exit code %r after SIGTERM (want 0)" % (self.returncode,))
        text = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                out.append("stderr contains %r" % marker)
        return out

    def stop_and_check(self):
        self.stop()
        problems = self.problems()
        if problems:
            pytest.fail("pail (%s): %s\n%s" % (self.data_dir, "; ".join(problems), self.tail()),
                        pytrace=False)


class Server:
    """What tests need to reach a server: endpoint and keys (and the process
    when the suite started it)."""

    def __init__(self, endpoint, access_key, secret_key, process=None):
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.process = process


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    ep = os.environ.get("PAIL_TEST_ENDPOINT")
    if ep:
        yield Server(ep.rstrip("/"), os.environ.get("PAIL_TEST_ACCESS_KEY", ACCESS_KEY),
                     os.environ.get("PAIL_TEST_SECRET_KEY", SECRET_KEY))
        return
    logs = tmp_path_factory.mktemp("pail-logs")
    proc = PailProcess(tmp_path_factory.mktemp("pail-data"), logs, "session").start()
    _SESSION["process"] = proc
    try:
        yield Server(proc.endpoint, ACCESS_KEY, SECRET_KEY, proc)
    finally:
        proc.stop_and_check()


_SESSION = {}


def _dead_server():
    proc = _SESSION.get("process")
    if proc is not None and proc.proc is not None and proc.proc.poll() is not None:
        return proc
    return None


@pytest.fixture(autouse=True)
def _server_still_running(request):
    """Fails fast when the session's pail is gone, and fails the test during
    which it died (crash, sanitizer abort)."""
    dead = _dead_server()
    if dead is not None:
        pytest.fail("pail is not running (exited with code %s earlier)" % dead.proc.returncode,
                    pytrace=False)
    yield
    dead = _dead_server()
    if dead is not None:
        pytest.fail("pail exited (code %s) during this test\n%s" % (dead.proc.returncode, dead.tail()),
                    pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On any failure while the session's pail is dead, attach its exit code and stderr tail."""
    outcome = yield
    report = outcome.get_result()
    dead = _dead_server()
    if report.failed and dead is not None and not _SESSION.get("reported"):
        _SESSION["reported"] = True
        report.sections.append(("pail server", "exited with code %s\n%s" % (dead.proc.returncode,
                                                                           dead.tail())))


def module_pail(tmp_path_factory, name, extra_args=()):
    """For a module-scoped fixture: yields a Server on a pail of the module's
    own (`pail serve ...extra_args`), then stops it and checks it (exit 0, no
    sanitizer report)."""
    proc = PailProcess(tmp_path_factory.mktemp(name + "-data"),
                       tmp_path_factory.mktemp(name + "-logs"), name, extra_args).start()
    try:
        yield Server(proc.endpoint, ACCESS_KEY, SECRET_KEY, proc)
    finally:
        proc.stop_and_check()


@pytest.fixture
def start_pail(tmp_path_factory, server):
    """start_pail(data_dir, extra_args=[...]) -> PailProcess: a server of this
    test's own (for restart/signal tests, or other flags). Every process it started is stopped and checked
    (exit 0, no sanitizer report) at the end of the test."""
    if server.process is None:
        pytest.skip("needs PAIL_BIN: PAIL_TEST_ENDPOINT is set")
    started = []
    logs = tmp_path_factory.mktemp("own-logs")

    def start(data_dir, extra_args=()):
        p = PailProcess(data_dir, logs, "own%d" % (len(started) + 1), extra_args)
        started.append(p)
        return p.start()

    yield start
    failures = []
    for p in started:
        if p.returncode is None or p.alive():
            p.stop()
        problems = p.problems()
        if problems:
            failures.append("%s: %s\n%s" % (p.name, "; ".join(problems), p.tail()))
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


# ------------------------------------------------------------------- clients
def make_client(srv, endpoint=None, access_key=None, secret_key=None, verify=None, **config):
    """verify: botocore's (a CA file for HTTPS; None: its default)."""
    cfg = {"retries": {"max_attempts": 1}, "s3": {"addressing_style": "path"},
           "connect_timeout": 10, "read_timeout": 120}
    cfg.update(config)
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint or srv.endpoint, region_name=REGION,
        aws_access_key_id=access_key or srv.access_key,
        aws_secret_access_key=secret_key or srv.secret_key, verify=verify, config=Config(**cfg))


@pytest.fixture(scope="session")
def endpoint(server):
    return server.endpoint


@pytest.fixture(scope="session")
def s3(server):
    return make_client(server)


@pytest.fixture(scope="session")
def s3_client_factory(server):
    """s3_client_factory(**botocore Config kwargs, endpoint=, access_key=, secret_key=)."""
    return lambda **kw: make_client(server, **kw)


def unique_name(prefix="pail-e2e"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


def empty_and_delete(s3, name):
    try:
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=name):
            for u in page.get("Uploads", []):
                s3.abort_multipart_upload(Bucket=name, Key=u["Key"], UploadId=u["UploadId"])
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            for i in range(0, len(keys), 1000):
                try:
                    s3.delete_objects(Bucket=name, Delete={"Objects": keys[i:i + 1000], "Quiet": True})
                except ClientError:  # e.g. keys XML 1.0 cannot carry: one by one
                    for k in keys[i:i + 1000]:
                        s3.delete_object(Bucket=name, Key=k["Key"])
        s3.delete_bucket(Bucket=name)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("NoSuchBucket", "404"):
            raise


@pytest.fixture
def make_bucket(s3):
    """make_bucket(**create_bucket kwargs) -> name; all are emptied and deleted afterwards."""
    made = []

    def make(**kw):
        name = kw.pop("Bucket", None) or unique_name()
        s3.create_bucket(Bucket=name, **kw)
        made.append(name)
        return name

    yield make
    for name in made:
        empty_and_delete(s3, name)


@pytest.fixture
def bucket(make_bucket):
    """A fresh, uniquely named bucket; emptied and deleted after the test."""
    return make_bucket()


@pytest.fixture(scope="session")
def aws_cli(server):
    """aws_cli('s3', 'ls', ...) runs `aws --endpoint-url EP s3 ls ...` and
    returns the CompletedProcess (text, stdout/stderr captured)."""
    env = dict(os.environ)
    for v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE"):
        env.pop(v, None)
    env.update({"AWS_ACCESS_KEY_ID": server.access_key,
                "AWS_SECRET_ACCESS_KEY": server.secret_key,
                "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": "",
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1"})
    # The image's awscli runs under the same python3 as this suite; `aws` on PATH
    # is the fallback.
    if importlib.util.find_spec("awscli") is not None:
        base = [sys.executable, "-m", "awscli"]
    else:
        base = [shutil.which("aws") or "aws"]

    def run(*args, timeout=600, cwd=None):
        argv = base + ["--endpoint-url", server.endpoint] + [str(a) for a in args]
        return subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=timeout, cwd=cwd)

    return run


@pytest.fixture(scope="session")
def raw(server):
    """RawClient: hand-signed (or unsigned) requests via requests/http.client."""
    return RawClient(server.endpoint, server.access_key, server.secret_key)
