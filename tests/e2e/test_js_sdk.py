"""The AWS SDK for JavaScript v3 against pail: runs tests/js/s3_client_test.mjs
(node's built-in test runner) once, on a bucket made here with boto3.

That script covers what boto3 here cannot send: CRC32C and CRC64NVME checksums
(computed by the SDK, checked against our own CRC code), PutObject and
UploadPart from Node streams (aws-chunked with a checksum trailer over plain
http), lib-storage's multipart Upload from a stream, FULL_OBJECT/COMPOSITE
multipart checksums, CopyObject, ListObjectsV2 Prefix/Delimiter/pagination,
HeadObject metadata, DeleteObjects, conditional requests and SigV4 presigned
GET/PUT URLs used with fetch().

Needs node >= 20 and `npm ci` in tests/js (make test does it).

KNOWN_SERVER_BUGS names node tests that fail because pail is wrong: the main
test tolerates exactly those failures, and test_js_known_server_bug[...] is a
strict xfail per entry, so a fixed bug shows up as XPASS (a failure) until its
entry is removed here."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import empty_and_delete, unique_name

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.normpath(os.path.join(HERE, "..", "js"))
SCRIPT = os.path.join(JS_DIR, "s3_client_test.mjs")
NODE_TIMEOUT = 280  # run.py's per-test timeout is 300 s
MIN_TESTS = 25      # top-level node tests the script defines (a load failure runs none)

KNOWN_SERVER_BUGS = {}


def _node():
    return shutil.which("node") or ("/usr/bin/node" if os.access("/usr/bin/node", os.X_OK) else None)


class NodeRun:
    def __init__(self, argv, proc, tap):
        self.argv = argv
        self.proc = proc
        self.tap = tap
        # Top-level results only (subtests are indented); TAP escapes '#' and '\'.
        self.results = {}
        for m in re.finditer(r"^(not ok|ok) \d+ - (.*?)(?: # (?:SKIP|TODO).*)?$", tap, re.M):
            name = m.group(2).replace("\\#", "#").replace("\\\\", "\\")
            self.results[name] = m.group(1) == "ok"

    @property
    def failed(self):
        return sorted(n for n, ok in self.results.items() if not ok)

    def output(self):
        return "$ %s\nexit code %s\n---- stdout ----\n%s\n---- stderr ----\n%s" % (
            " ".join(self.argv), self.proc.returncode, self.proc.stdout, self.proc.stderr)


@pytest.fixture(scope="module")
def node_run(server, s3, tmp_path_factory):
    node = _node()
    if node is None:
        pytest.fail("node is not installed (apt-get install nodejs npm)", pytrace=False)
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-s3")):
        pytest.skip("tests/js/node_modules is missing: run `npm ci` in tests/js (make test does)")

    bucket = unique_name("pail-js")
    s3.create_bucket(Bucket=bucket)
    env = dict(os.environ)
    for v in list(env):
        if v.startswith("AWS_") or v == "NODE_OPTIONS":
            env.pop(v)
    env.update({"PAIL_TEST_ENDPOINT": server.endpoint, "PAIL_TEST_ACCESS_KEY": server.access_key,
                "PAIL_TEST_SECRET_KEY": server.secret_key, "PAIL_TEST_BUCKET": bucket,
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true", "NODE_NO_WARNINGS": "1"})
    tap_file = tmp_path_factory.mktemp("node") / "results.tap"
    argv = [node, "--test", "--test-reporter=spec", "--test-reporter-destination=stdout",
            "--test-reporter=tap", "--test-reporter-destination=%s" % tap_file, SCRIPT]
    try:
        try:
            proc = subprocess.run(argv, cwd=JS_DIR, env=env, capture_output=True, text=True,
                                  timeout=NODE_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            pytest.fail("node --test did not finish within %d s\n%s" % (NODE_TIMEOUT, out),
                        pytrace=False)
        tap = tap_file.read_text("utf-8", "replace") if tap_file.exists() else ""
        yield NodeRun(argv, proc, tap)
    finally:
        empty_and_delete(s3, bucket)


def test_js_sdk_v3(node_run):
    unexpected = [n for n in node_run.failed if n not in KNOWN_SERVER_BUGS]
    assert not unexpected, "node tests failed: %s\n%s" % (unexpected, node_run.output())
    assert len(node_run.results) >= MIN_TESTS, (
        "only %d node tests reported (want >= %d)\n%s"
        % (len(node_run.results), MIN_TESTS, node_run.output()))
    if not node_run.failed:
        assert node_run.proc.returncode == 0, node_run.output()


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=why))
    for n, why in KNOWN_SERVER_BUGS.items()])
def test_js_known_server_bug(node_run, name):
    assert name in node_run.results, "no node test named %r\n%s" % (name, node_run.output())
    assert node_run.results[name], "node test failed: %r\n%s" % (name, node_run.output())
