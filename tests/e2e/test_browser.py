"""pail in a real browser: Debian's headless Chromium (/usr/bin/chromium), driven by
playwright-core from tests/browser (tests/browser/browser_test.mjs; never a browser
download).

- From a page on another origin (http://app.localhost:PORT2, served by the node script),
  a browser bundle of @aws-sdk/client-s3 (built at test time with esbuild) lists a bucket,
  reads an object, uploads a string and a Blob, reads back, heads and deletes, against
  pail's REST endpoint with the bucket's CORS configuration set here; with no CORS rule
  for that origin (another origin's rule, or no configuration) Chromium refuses the same
  calls and a plain fetch(): CORS is enforced by the browser from pail's headers. boto3
  then checks what the browser wrote.
- The report site (a website bucket: index.html linking every report, error.html, a CSV,
  an HTML table, a PNG chart the HTML embeds): the browser opens the website URL, follows
  each link of the index, checks every answer's status, Content-Type and bytes against
  the objects, the table's rows and the chart's pixels, and gets the error document with
  404 for a missing report.

The browser resolves *.localhost to loopback itself (as a user's browser does); nothing
here asks the host's resolver. Screenshots of every step land in
build/test-artifacts/browser/{sdk,site}/ (or $PAIL_TEST_ARTIFACTS/browser/...), emptied at
the start of each run.

Needs node >= 20, `npm ci` in tests/browser and Debian's chromium (make test does both).
Missing tools fail the test; PAIL_SKIP_BROWSER=1 skips it on purpose."""
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import zlib

import pytest

from conftest import empty_and_delete, free_port, unique_name

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BROWSER_DIR = os.path.join(ROOT, "tests", "browser")
SCRIPT = os.path.join(BROWSER_DIR, "browser_test.mjs")
CHROMIUM = os.environ.get("PAIL_CHROMIUM", "/usr/bin/chromium")
NODE_TIMEOUT = 120
APP_HOST = "app.localhost"


def artifacts_dir(name):
    base = os.environ.get("PAIL_TEST_ARTIFACTS") or os.path.join(ROOT, "build", "test-artifacts")
    path = os.path.join(base, "browser", name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def _node():
    return shutil.which("node") or ("/usr/bin/node" if os.access("/usr/bin/node", os.X_OK) else None)


def require_browser():
    """node, playwright-core and chromium, or a failure saying how to get them (a skip
    would let CI pass without ever opening a browser)."""
    if os.environ.get("PAIL_SKIP_BROWSER") == "1":
        pytest.skip("PAIL_SKIP_BROWSER=1")
    node = _node()
    if node is None:
        pytest.fail("node is not installed (the image's node >= 20)", pytrace=False)
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        pytest.fail("tests/browser/node_modules is missing: run `npm ci` in tests/browser "
                    "(make e2e does)", pytrace=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("%s is missing: apt-get install --no-install-recommends chromium "
                    "(scripts/deps.sh test does)" % CHROMIUM, pytrace=False)
    return node


def run_browser(mode, config, tmp_path):
    """Runs browser_test.mjs MODE and returns its result JSON (steps, console, screenshots)."""
    node = require_browser()
    cfg_path = tmp_path / ("%s-config.json" % mode)
    res_path = tmp_path / ("%s-result.json" % mode)
    cfg_path.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "NODE_OPTIONS"}
    env["NODE_NO_WARNINGS"] = "1"
    argv = [node, SCRIPT, mode, str(cfg_path), str(res_path)]
    try:
        proc = subprocess.run(argv, cwd=BROWSER_DIR, env=env, capture_output=True, text=True,
                              timeout=NODE_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("%s did not finish within %d s" % (" ".join(argv), NODE_TIMEOUT), pytrace=False)
    result = json.loads(res_path.read_text()) if res_path.exists() else {}
    where = "$ %s\nexit %s\n---- stdout ----\n%s\n---- stderr ----\n%s\n---- result ----\n%s" % (
        " ".join(argv), proc.returncode, proc.stdout, proc.stderr,
        json.dumps({k: v for k, v in result.items() if k != "steps"}, indent=1)[:4000])
    assert proc.returncode == 0 and result.get("done"), where
    result["where"] = where
    return result


def by_name(result):
    return {s["name"]: s for s in result["steps"]}


def show(step):
    step = {k: v for k, v in step.items() if k != "bodyBase64"}
    return json.dumps(step, indent=1)[:3000]


# ------------------------------------------------------ the JS SDK, cross-origin
HELLO = "hello from pail\n"


@pytest.fixture(scope="module")
def sdk_run(server, s3, tmp_path_factory):
    require_browser()
    app_port = free_port()
    origin = "http://%s:%d" % (APP_HOST, app_port)
    allowed, other_rule, no_config = (unique_name("pail-browser"), unique_name("pail-browser-other"),
                                      unique_name("pail-browser-nocors"))
    for b in (allowed, other_rule, no_config):
        s3.create_bucket(Bucket=b)
        s3.put_object(Bucket=b, Key="data/hello.txt", Body=HELLO.encode(), ContentType="text/plain",
                      ACL="public-read")
    rule = {"AllowedMethods": ["GET", "PUT", "POST", "DELETE", "HEAD"], "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}
    s3.put_bucket_cors(Bucket=allowed, CORSConfiguration={
        "CORSRules": [dict(rule, AllowedOrigins=[origin])]})
    s3.put_bucket_cors(Bucket=other_rule, CORSConfiguration={
        "CORSRules": [dict(rule, AllowedOrigins=["http://other.localhost:%d" % app_port])]})
    upload_text = "uploaded by Chromium from %s\n" % origin
    blob_text = json.dumps({"from": origin, "kind": "Blob"})
    public = lambda b: "%s/%s/data/hello.txt" % (server.endpoint, b)  # noqa: E731
    steps = [
        {"name": "list", "op": "list", "bucket": allowed},
        {"name": "get", "op": "get", "bucket": allowed, "key": "data/hello.txt"},
        {"name": "put-string", "op": "put", "bucket": allowed, "key": "uploads/from-browser.txt",
         "text": upload_text, "contentType": "text/plain"},
        {"name": "get-uploaded", "op": "get", "bucket": allowed, "key": "uploads/from-browser.txt"},
        {"name": "put-blob", "op": "put", "bucket": allowed, "key": "uploads/blob.json",
         "text": blob_text, "contentType": "application/json", "blob": True},
        {"name": "head-blob", "op": "head", "bucket": allowed, "key": "uploads/blob.json"},
        {"name": "delete-blob", "op": "delete", "bucket": allowed, "key": "uploads/blob.json"},
        {"name": "head-deleted", "expect": "refused", "op": "head", "bucket": allowed,
         "key": "uploads/blob.json"},
        {"name": "list-after", "op": "list", "bucket": allowed},
        {"name": "fetch-public", "op": "fetch", "url": public(allowed)},
        {"name": "list-other-origin-rule", "expect": "refused", "op": "list", "bucket": other_rule},
        {"name": "put-other-origin-rule", "expect": "refused", "op": "put", "bucket": other_rule,
         "key": "x.txt", "text": "x", "contentType": "text/plain"},
        {"name": "fetch-other-origin-rule", "expect": "refused", "op": "fetch",
         "url": public(other_rule)},
        {"name": "list-no-cors-config", "expect": "refused", "op": "list", "bucket": no_config},
        {"name": "fetch-no-cors-config", "expect": "refused", "op": "fetch",
         "url": public(no_config)},
    ]
    config = {"endpoint": server.endpoint, "region": "us-east-1", "accessKey": server.access_key,
              "secretKey": server.secret_key, "appHost": APP_HOST, "appPort": app_port,
              "artifacts": artifacts_dir("sdk"), "steps": steps}
    try:
        result = run_browser("sdk", config, tmp_path_factory.mktemp("browser-sdk"))
        result.update(origin=origin, allowed=allowed, other_rule=other_rule, no_config=no_config,
                      upload_text=upload_text, blob_text=blob_text)
        yield result
    finally:
        for b in (allowed, other_rule, no_config):
            empty_and_delete(s3, b)


def ok(step):
    assert step["ok"], "step %s was refused\n%s" % (step["name"], show(step))
    return step["value"]


def test_sdk_page_is_cross_origin(sdk_run, server):
    assert sdk_run["appStatus"] == 200
    assert sdk_run["origin"].startswith("http://app.localhost:")
    assert not server.endpoint.startswith(sdk_run["origin"])
    assert sdk_run["pageErrors"] == [], sdk_run["where"]
    assert sdk_run["bundleBytes"] > 50000


def test_sdk_list_get_put_delete(sdk_run, s3):
    steps = by_name(sdk_run)
    assert "data/hello.txt" in ok(steps["list"])["keys"]
    got = ok(steps["get"])
    assert got["text"] == HELLO and got["contentType"] == "text/plain"
    assert got["etag"] == '"%s"' % hashlib.md5(HELLO.encode()).hexdigest(), "ETag is exposed"
    put = ok(steps["put-string"])
    assert put["status"] == 200
    assert put["etag"] == '"%s"' % hashlib.md5(sdk_run["upload_text"].encode()).hexdigest()
    assert ok(steps["get-uploaded"])["text"] == sdk_run["upload_text"]
    blob = ok(steps["put-blob"])
    assert blob["etag"] == '"%s"' % hashlib.md5(sdk_run["blob_text"].encode()).hexdigest()
    assert ok(steps["head-blob"])["contentLength"] == len(sdk_run["blob_text"].encode())
    assert ok(steps["delete-blob"])["status"] == 204
    gone = steps["head-deleted"]
    assert not gone["ok"] and gone["status"] == 404, show(gone)
    assert sorted(ok(steps["list-after"])["keys"]) == ["data/hello.txt", "uploads/from-browser.txt"]
    fetched = ok(steps["fetch-public"])
    assert fetched["status"] == 200 and fetched["text"] == HELLO

    # What the browser wrote, seen by boto3.
    obj = s3.get_object(Bucket=sdk_run["allowed"], Key="uploads/from-browser.txt")
    assert obj["Body"].read().decode() == sdk_run["upload_text"]
    assert obj["ContentType"] == "text/plain"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sdk_run["allowed"])["Contents"]]
    assert keys == ["data/hello.txt", "uploads/from-browser.txt"]


@pytest.mark.parametrize("name", ["list-other-origin-rule", "put-other-origin-rule",
                                  "fetch-other-origin-rule", "list-no-cors-config",
                                  "fetch-no-cors-config"])
def test_browser_enforces_cors(sdk_run, name):
    """Without a rule for the page's origin, Chromium refuses: the SDK call (preflighted)
    or plain fetch() rejects with a network TypeError, no HTTP status reaches the page,
    and Chromium says why in the console."""
    step = by_name(sdk_run)[name]
    assert not step["ok"], "the browser let it through\n%s" % show(step)
    assert step["name"] == name and step["status"] is None
    assert "TypeError" in step["error"] and "fetch" in step["error"].lower(), show(step)
    assert any("blocked by CORS policy" in m for m in step["consoleSince"]), show(step)


def test_sdk_refused_put_wrote_nothing(sdk_run, s3):
    """The refused PutObject was stopped at its preflight: nothing was stored."""
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sdk_run["other_rule"]).get("Contents", [])]
    assert keys == ["data/hello.txt"]


def test_sdk_screenshots(sdk_run):
    shots = sdk_run["screenshots"]
    assert len(shots) == len(sdk_run["steps"])
    for path in shots:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path


# --------------------------------------------------------------- the report site
def _png(width, height, bars):
    """A small bar chart as PNG bytes (no imaging library needed)."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            i = x * len(bars) // width
            top = height - bars[i] * height // max(bars)
            row += bytes((40, 90, 200) if y >= top and x % (width // len(bars)) > 2 else (255, 255, 255))
        rows.append(bytes(row))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))  # noqa
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def report_site(server, s3):
    """The report site: bucket, website URL and the keys the index must link."""
    pd = pytest.importorskip("pandas")
    bucket = unique_name("pail-reports")
    s3.create_bucket(Bucket=bucket, ACL="public-read")
    df = pd.DataFrame({"service": ["Pothole", "Graffiti", "Streetlight"], "requests": [42, 17, 9]})
    reports = {
        "reports/summary.csv": (df.to_csv(index=False).encode(), "text/csv"),
        "reports/summary.html": (("<html><head><title>Summary</title></head><body><h1>Summary</h1>"
                                  + df.to_html(index=False)
                                  + '<img src="summary.png" alt="chart"></body></html>').encode(),
                                 "text/html"),
        "reports/summary.png": (_png(240, 120, [42, 17, 9]), "image/png"),
    }
    index = "<html><body><h1>Reports</h1><ul>%s</ul></body></html>" % "".join(
        '<li><a href="%s">%s</a></li>' % (k, k) for k in reports)
    objects = dict(reports, **{"index.html": (index.encode(), "text/html"),
                               "error.html": (b"<html><body><h1>No such report</h1></body></html>",
                                              "text/html")})
    for key, (body, ctype) in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=ctype, ACL="public-read")
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    port = server.endpoint.rsplit(":", 1)[1]
    try:
        yield {"bucket": bucket, "url": "http://%s.s3-website.localhost:%s/" % (bucket, port),
               "reports": sorted(reports)}
    finally:
        empty_and_delete(s3, bucket)


@pytest.fixture(scope="module")
def site_run(report_site, tmp_path_factory):
    config = {"url": report_site["url"], "missing": ["/reports/missing.html"],
              "artifacts": artifacts_dir("site")}
    result = run_browser("site", config, tmp_path_factory.mktemp("browser-site"))
    result["site"] = report_site
    return result


def link_steps(site_run):
    return [s for s in site_run["steps"] if s["name"].startswith("link")]


def object_of(s3, bucket, url):
    key = url.split("/", 3)[3]
    o = s3.get_object(Bucket=bucket, Key=key)
    return key, o["Body"].read(), o["ContentType"]


def test_site_index_lists_every_report(site_run):
    index = by_name(site_run)["index"]
    assert index["status"] == 200 and index["contentType"].startswith("text/html"), show(index)
    linked = sorted({link["href"].split("/", 3)[3] for link in index["links"]})
    assert linked == site_run["site"]["reports"], show(index)


def test_site_links_answer_with_their_objects(site_run, s3):
    steps = link_steps(site_run)
    assert len(steps) == len(site_run["site"]["reports"])
    for step in steps:
        assert step["error"] is None and step["status"] == 200, show(step)
        key, body, ctype = object_of(s3, site_run["site"]["bucket"], step["url"])
        want = {".csv": "text/csv", ".html": "text/html", ".png": "image/png"}[os.path.splitext(key)[1]]
        assert ctype == want and step["contentType"] == want, show(step)
        assert base64.b64decode(step["bodyBase64"]) == body, key
        assert step["shot"] and os.path.exists(step["shot"])


def test_site_table_and_chart_render(site_run):
    steps = link_steps(site_run)
    html = [s for s in steps if s["contentType"] == "text/html"]
    assert html, "no HTML report linked"
    for step in html:
        assert step["tableRows"] and all(t["rows"] > 0 for t in step["tableRows"]), show(step)
        assert step["images"], "the HTML report embeds the chart\n" + show(step)
        for img in step["images"]:
            assert img["complete"] and img["naturalWidth"] > 0 and img["naturalHeight"] > 0, show(step)
        pngs = [r for r in step["subresources"] if r["url"].endswith(".png")]
        assert pngs and all(r["status"] == 200 and r["contentType"] == "image/png" for r in pngs)
    for step in (s for s in steps if s["contentType"] == "image/png"):
        assert step["images"] and step["images"][0]["naturalWidth"] > 0, show(step)
    assert site_run["pageErrors"] == []


def test_site_missing_report_gets_error_page(site_run, s3):
    step = by_name(site_run)["missing-_reports_missing.html"]
    assert step["status"] == 404, show(step)
    assert step["contentType"].startswith("text/html")
    error_html = s3.get_object(Bucket=site_run["site"]["bucket"], Key="error.html")["Body"].read()
    assert base64.b64decode(step["bodyBase64"]) == error_html, show(step)
