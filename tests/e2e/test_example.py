"""The report-repository example (examples/report_repository/), run as a
newcomer runs it against a fresh server, its output checked: the index lists
every report, each link answers 200 with its content type on the website
endpoint, the aggregate adds up to the raw files, a missing report gets the
error document with 404, and a presigned link works and then expires.

Website requests go to 127.0.0.1 with the website Host header: tests never
depend on the host's resolver for *.localhost."""
import io
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
import requests

from conftest import make_client

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "report_repository")
TYPES = {".csv": "text/csv", ".html": "text/html", ".png": "image/png"}


def run_example(script, data_dir, endpoint, *args, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    p = subprocess.run([sys.executable, os.path.join(EXAMPLE, script), "--endpoint", endpoint,
                        "--data", str(data_dir)] + list(args), env=env, capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, "%s failed (%d):\n%s\n%s" % (script, p.returncode, p.stdout, p.stderr)
    return p.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory, server):
    """A fresh pail; the example run against it once, with the keys read
    from the data directory as after `make run`."""
    if server.process is None:
        pytest.skip("needs PAIL_BIN: the example wants a fresh server")
    from conftest import PailProcess
    data = tmp_path_factory.mktemp("example-data")
    with open(data / "root-credentials", "w") as f:
        f.write("%s\n%s\n" % (server.access_key, server.secret_key))
    proc = PailProcess(data, tmp_path_factory.mktemp("example-logs"), "example").start()
    try:
        out = run_example("report_site.py", data, proc.endpoint)
        yield proc, data, out
    finally:
        proc.stop()
        assert not proc.problems(), proc.tail()


def web(proc, path, **kw):
    return requests.get("http://127.0.0.1:%d%s" % (proc.port, path),
                        headers={"Host": "gid-reports.s3-website.localhost:%d" % proc.port},
                        allow_redirects=False, timeout=30, **kw)


def test_prints_the_website_url(site):
    proc, _, out = site
    lines = out.strip().splitlines()
    assert lines[-1] == "Open http://gid-reports.s3-website.localhost:%d/ in a browser" % proc.port
    assert "Path-style, for any program: %s/gid-reports/index.html" % proc.endpoint in out
    assert "Listed gid-requests/2019_jan/: 31 files" in out
    # the path-style URL it prints works without credentials
    r = requests.get("%s/gid-reports/index.html" % proc.endpoint, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/html"


def test_index_links_every_report_with_its_type(site, server):
    proc, _, _ = site
    s3 = make_client(server, endpoint=proc.endpoint)
    keys = sorted(o["Key"] for o in
                  s3.list_objects_v2(Bucket="gid-reports", Prefix="reports/")["Contents"])
    assert [os.path.splitext(k)[1] for k in keys] == [".csv", ".html", ".png"]
    index = web(proc, "/")
    assert index.status_code == 200 and index.headers["Content-Type"] == "text/html"
    links = re.findall(r'<a href="([^"]+)"', index.text)
    assert sorted(links) == keys
    for link in links:
        r = web(proc, "/" + link)
        assert r.status_code == 200, link
        assert r.headers["Content-Type"] == TYPES[os.path.splitext(link)[1]], link
        if link.endswith(".png"):
            assert r.content.startswith(b"\x89PNG\r\n\x1a\n")
        if link.endswith(".html"):
            # the table, and the chart beside it by a relative link
            assert r.text.count("<tr") >= 3 and "<table" in r.text
            img = re.search(r'<img src="([^"]+)"', r.text).group(1)
            assert "reports/" + img in keys


def test_aggregate_adds_up_to_the_raw_files(site, server):
    proc, _, _ = site
    s3 = make_client(server, endpoint=proc.endpoint)
    raw = [pd.read_csv(s3.get_object(Bucket="gid-requests", Key=o["Key"])["Body"])
           for o in s3.list_objects_v2(Bucket="gid-requests", Prefix="2019_jan/")["Contents"]]
    df = pd.concat(raw)
    report = pd.read_csv(io.BytesIO(web(proc, "/reports/final_report_2019_01.csv").content))
    assert list(report.columns) == ["case_record_type", "Open", "Closed", "Total"]
    assert report["Total"].sum() == len(df)
    expected = df.groupby("case_record_type").size()
    for _, row in report.iterrows():
        assert row["Total"] == expected[row["case_record_type"]]
        assert row["Open"] + row["Closed"] == row["Total"]


def test_missing_report_gets_the_error_document(site):
    proc, _, _ = site
    r = web(proc, "/reports/missing.html")
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "text/html"
    assert "Report not found" in r.text


def test_requests_stay_private(site):
    proc, _, _ = site
    r = requests.get("%s/gid-requests/2019_jan/gid_requests_2019_01_01.csv" % proc.endpoint,
                     timeout=30)
    assert r.status_code == 403


def test_runs_again_on_the_same_server(site):
    proc, data, _ = site
    out = run_example("report_site.py", data, proc.endpoint)
    assert "Building index.html from list_objects: 3 reports" in out
    assert len(re.findall(r'<a href="reports/', web(proc, "/").text)) == 3


def test_presigned_link_works_then_expires(site):
    proc, data, _ = site
    out = run_example("share_private.py", data, proc.endpoint, "--expires", "2")
    assert re.search(r"Plain URL \S+ -> 403 AccessDenied", out), out
    assert re.search(r"Presigned URL -> 200, \d+ bytes", out), out
    assert re.search(r"pandas read_csv\(url\): \d+ rows", out), out
    assert "-> 403 AccessDenied: Request has expired" in out, out
