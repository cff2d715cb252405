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
import pytest

from conftest import empty_and_delete, unique_name
from js_util import MIN_TESTS, run_node_suite

KNOWN_SERVER_BUGS = {}


@pytest.fixture(scope="module")
def node_run(server, s3, tmp_path_factory):
    bucket = unique_name("pail-js")
    s3.create_bucket(Bucket=bucket)
    try:
        yield run_node_suite(server.endpoint, server.access_key, server.secret_key, bucket,
                             tmp_path_factory.mktemp("node"))
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
