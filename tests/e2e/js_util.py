"""Runs tests/js/s3_client_test.mjs (the AWS SDK for JavaScript v3 under
node's test runner) against an endpoint: test_js_sdk.py over plain HTTP,
test_tls.py over HTTPS."""
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.normpath(os.path.join(HERE, "..", "js"))
SCRIPT = os.path.join(JS_DIR, "s3_client_test.mjs")
NODE_TIMEOUT = 280  # run.py's per-test timeout is 300 s
MIN_TESTS = 25      # top-level node tests the script defines (a load failure runs none)


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


def run_node_suite(endpoint, access_key, secret_key, bucket, tmp_dir, extra_env=None):
    """NodeRun of the script against endpoint, on an existing bucket.
    extra_env: e.g. NODE_EXTRA_CA_CERTS for an HTTPS endpoint."""
    node = _node()
    if node is None:
        pytest.fail("node is not installed (apt-get install nodejs npm)", pytrace=False)
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-s3")):
        pytest.skip("tests/js/node_modules is missing: run `npm ci` in tests/js (make test does)")
    env = dict(os.environ)
    for v in list(env):
        if v.startswith("AWS_") or v == "NODE_OPTIONS":
            env.pop(v)
    env.update({"PAIL_TEST_ENDPOINT": endpoint, "PAIL_TEST_ACCESS_KEY": access_key,
                "PAIL_TEST_SECRET_KEY": secret_key, "PAIL_TEST_BUCKET": bucket,
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true", "NODE_NO_WARNINGS": "1"})
    env.update(extra_env or {})
    tap_file = os.path.join(str(tmp_dir), "results.tap")
    argv = [node, "--test", "--test-reporter=spec", "--test-reporter-destination=stdout",
            "--test-reporter=tap", "--test-reporter-destination=%s" % tap_file, SCRIPT]
    try:
        proc = subprocess.run(argv, cwd=JS_DIR, env=env, capture_output=True, text=True,
                              timeout=NODE_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail("node --test did not finish within %d s\n%s" % (NODE_TIMEOUT, out),
                    pytrace=False)
    tap = open(tap_file, encoding="utf-8", errors="replace").read() if os.path.exists(tap_file) else ""
    return NodeRun(argv, proc, tap)
