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
- The report site: examples/report_repository/report_site.py is run against a fresh pail
  (keys in the environment) and its last line names the website URL; the browser opens
  it, clicks each link of the index (status, Content-Type and bytes against the objects;
  the CSV arrives as a download), checks the HTML report's table against the CSV and that
  its relative <img> chart decoded, gets error.html with 404 for a missing report (and
  follows its link back), and on reload revalidates the index (304 in pail's log).

The browser resolves *.localhost to loopback itself (as a user's browser does), told to use
127.0.0.1, where pail listens (by itself Chromium tries ::1 first, where on a shared machine
another program may hold the same port); nothing here asks the host's resolver. Screenshots of every step land in
build/test-artifacts/browser/{sdk,site}/ (or $PAIL_TEST_ARTIFACTS/browser/...), emptied at
the start of each run.

Needs node >= 20, `npm ci` in tests/browser and Debian's chromium (make test does both).
Missing tools fail the test; PAIL_SKIP_BROWSER=1 skips it on purpose."""
import base64
import hashlib
import json
import os
import shutil
import re
import subprocess
import sys
import urllib.parse

import pytest

from conftest import PailProcess, empty_and_delete, free_port, make_client, unique_name

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
EXAMPLE = os.path.join(ROOT, "examples", "report_repository", "report_site.py")
REPORTS = "gid-reports"
TYPES = {".csv": "text/csv", ".html": "text/html", ".png": "image/png"}


@pytest.fixture(scope="module")
def report_site(server, tmp_path_factory):
    """A fresh pail, and the report-repository example run against it as its README says
    (keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); its last line names the URL."""
    require_browser()
    if server.process is None:
        pytest.skip("needs PAIL_BIN: the example wants a fresh server")
    proc = PailProcess(tmp_path_factory.mktemp("browser-site-data"),
                       tmp_path_factory.mktemp("browser-site-logs"), "browser-site").start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=server.access_key, AWS_SECRET_ACCESS_KEY=server.secret_key,
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                   AWS_EC2_METADATA_DISABLED="true")
        run = subprocess.run([sys.executable, EXAMPLE, "--endpoint", proc.endpoint], env=env,
                             capture_output=True, text=True, timeout=240)
        assert run.returncode == 0, "report_site.py failed (%d)\n%s\n%s" % (
            run.returncode, run.stdout, run.stderr)
        last = run.stdout.strip().splitlines()[-1]
        m = re.fullmatch(r"Open (http://\S+/) in a browser", last)
        assert m, "the example's last line names no URL: %r" % last
        url = m.group(1)
        assert url == "http://%s.s3-website.localhost:%d/" % (REPORTS, proc.port), url
        s3 = make_client(server, endpoint=proc.endpoint)
        reports = sorted(o["Key"] for o in
                         s3.list_objects_v2(Bucket=REPORTS, Prefix="reports/")["Contents"])
        yield {"proc": proc, "s3": s3, "url": url, "reports": reports, "output": run.stdout}
    finally:
        proc.stop_and_check()


@pytest.fixture(scope="module")
def site_run(report_site, tmp_path_factory):
    config = {"url": report_site["url"], "missing": ["/reports/missing.html"],
              "artifacts": artifacts_dir("site")}
    result = run_browser("site", config, tmp_path_factory.mktemp("browser-site"))
    result["site"] = report_site
    return result


def link_steps(site_run):
    return [s for s in site_run["steps"] if s["name"].startswith("link")]


def object_of(site_run, url):
    key = urllib.parse.unquote(urllib.parse.urlsplit(url).path[1:])
    o = site_run["site"]["s3"].get_object(Bucket=REPORTS, Key=key)
    return key, o["Body"].read(), o["ContentType"]


def body_of(step):
    return base64.b64decode(step["bodyBase64"])


def test_site_index_lists_every_report(site_run):
    index = by_name(site_run)["index"]
    assert index["status"] == 200 and index["contentType"] == "text/html", show(index)
    assert index["finalUrl"] == site_run["site"]["url"]
    reports = site_run["site"]["reports"]
    assert sorted(os.path.splitext(k)[1] for k in reports) == [".csv", ".html", ".png"]
    linked = sorted(urllib.parse.urlsplit(a["href"]).path[1:] for a in index["links"])
    assert linked == reports, show(index)
    # the index is a table of the reports (pandas to_html), a row each
    assert [t["rows"] for t in index["tableRows"]] == [len(reports)], show(index)
    assert body_of(index) == object_of(site_run, site_run["site"]["url"] + "index.html")[1]


def test_site_links_answer_with_their_objects(site_run):
    steps = link_steps(site_run)
    assert len(steps) == len(site_run["site"]["reports"]), [s["name"] for s in steps]
    for step in steps:
        assert step["error"] is None and step["status"] == 200, show(step)
        key, body, ctype = object_of(site_run, step["url"])
        want = TYPES[os.path.splitext(key)[1]]
        assert ctype == want and step["contentType"] == want, show(step)
        assert body_of(step) == body, key
        if want == "text/csv":  # Chromium downloads a CSV, as for a user clicking it
            assert step["download"]["suggestedFilename"] == os.path.basename(key), show(step)
            with open(step["download"]["savedAs"], "rb") as f:
                assert f.read() == body
        else:
            assert step["finalUrl"] == step["url"], show(step)
            assert os.path.exists(step["shot"])


def test_site_table_and_chart_render(site_run):
    steps = {s["contentType"]: s for s in link_steps(site_run)}
    html_page, png_page, csv = steps["text/html"], steps["image/png"], steps["text/csv"]
    csv_rows = len(body_of(csv).decode().strip().splitlines()) - 1
    assert csv_rows > 0
    tables = html_page["tableRows"]
    assert len(tables) == 1 and tables[0]["rows"] == csv_rows, show(html_page)
    assert tables[0]["headers"] == body_of(csv).decode().splitlines()[0].split(","), show(html_page)
    assert len(html_page["images"]) == 1, show(html_page)
    img = html_page["images"][0]
    assert img["complete"] and img["naturalWidth"] > 0 and img["naturalHeight"] > 0, show(html_page)
    assert img["src"] == png_page["url"], "the relative <img> resolves to the PNG report"
    chart = [r for r in html_page["subresources"] if r["url"] == img["src"]]
    assert chart and chart[0]["status"] in (200, 304) and chart[0]["contentType"] == "image/png"
    assert png_page["images"] and png_page["images"][0]["naturalWidth"] == img["naturalWidth"]
    assert site_run["pageErrors"] == []


def test_site_missing_report_gets_error_page(site_run):
    step = by_name(site_run)["missing-_reports_missing.html"]
    assert step["status"] == 404, show(step)
    assert step["contentType"] == "text/html"
    assert body_of(step) == object_of(site_run, site_run["site"]["url"] + "error.html")[1]
    assert "Report not found" in step["title"] + step["text"], show(step)
    back = by_name(site_run)["missing-back-_reports_missing.html"]  # its link to the list
    assert back["status"] == 200 and back["finalUrl"] == site_run["site"]["url"], show(back)
    assert len(back["links"]) == len(site_run["site"]["reports"])


def test_site_reload_revalidates(site_run):
    """Reloading, Chromium asks If-None-Match/If-Modified-Since; pail answers 304 (its access
    log says so) and the page shows the cached index again."""
    step = by_name(site_run)["index-reload"]
    index = by_name(site_run)["index"]
    assert step["conditional"] and step["conditional"][0]["ifNoneMatch"] == index["headers"]["etag"]
    assert step["status"] == 200 and body_of(step) == body_of(index), show(step)
    rid = step["headers"]["x-amz-request-id"]  # the 304's, merged into the cached answer
    log = site_run["site"]["proc"].stderr_text()
    assert re.search(r" %s GET \S+ WebsiteGet 304 " % rid, log), rid
