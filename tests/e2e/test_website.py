"""Static website hosting, from the S3 user guide ("Hosting a static website",
"Configuring an index document", "Configuring a custom error document",
"Configuring a redirect", "Website endpoints": REST API vs website endpoint
differences) and the Put/Get/DeleteBucketWebsite references.

The website endpoint (pail: BUCKET.s3-website.localhost:PORT and the
s3-website-REGION / s3-website.REGION forms) answers GET and HEAD only, for
the anonymous principal, with HTML errors; "/" and "folder/" serve the index
document; "folder" answers 302 to "folder/" when folder/index.html exists; a
missing key serves the error document with 404 (403 when the bucket is not
listable by everyone); x-amz-website-redirect-location answers 301. Requests
carry an explicit Host header: Python does not resolve *.localhost."""
import uuid

import pytest
import requests
from botocore.exceptions import ClientError


def host_for(bucket, server, form="s3-website.localhost"):
    return "%s.%s:%s" % (bucket, form, server.endpoint.rsplit(":", 1)[1])


def web(server, bucket, path, method="GET", form="s3-website.localhost", headers=None):
    h = {"Host": host_for(bucket, server, form)}
    h.update(headers or {})
    return requests.request(method, server.endpoint + path, headers=h, allow_redirects=False,
                            timeout=30)


@pytest.fixture
def site(s3, server):
    b = "site-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=b)
    put = lambda key, body, **kw: s3.put_object(Bucket=b, Key=key, Body=body, **kw)  # noqa: E731
    put("index.html", b"<h1>Get It Done reports</h1>", ContentType="text/html", ACL="public-read")
    put("error.html", b"<h1>not here</h1>", ContentType="text/html", ACL="public-read")
    put("2019/index.html", b"<h1>2019</h1>", ContentType="text/html", ACL="public-read")
    put("2019/potholes.csv", b"id,street\n1,Main\n", ContentType="text/csv", ACL="public-read")
    put("private.html", b"secret", ContentType="text/html")
    s3.put_bucket_website(Bucket=b, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    yield b
    for o in s3.list_objects_v2(Bucket=b).get("Contents", []):
        s3.delete_object(Bucket=b, Key=o["Key"])
    s3.delete_bucket(Bucket=b)


def test_config_round_trip_and_delete(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_website(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchWebsiteConfiguration"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    cfg = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "err/404.html"},
           "RoutingRules": [
               {"Condition": {"KeyPrefixEquals": "docs/"},
                "Redirect": {"ReplaceKeyPrefixWith": "documents/", "HttpRedirectCode": "302"}},
               {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
                "Redirect": {"HostName": "example.com", "Protocol": "https"}}]}
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=cfg)
    got = s3.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == cfg["IndexDocument"]
    assert got["ErrorDocument"] == cfg["ErrorDocument"]
    assert got["RoutingRules"] == cfg["RoutingRules"]
    r = s3.delete_bucket_website(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError):
        s3.get_bucket_website(Bucket=bucket)
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "RedirectAllRequestsTo": {"HostName": "www.example.com", "Protocol": "https"}})
    assert s3.get_bucket_website(Bucket=bucket)["RedirectAllRequestsTo"] == {
        "HostName": "www.example.com", "Protocol": "https"}


@pytest.mark.parametrize("cfg, code", [
    ({"ErrorDocument": {"Key": "e.html"}}, "InvalidArgument"),
    ({"IndexDocument": {"Suffix": "a/index.html"}}, "InvalidArgument"),
    ({"IndexDocument": {"Suffix": ""}}, "InvalidArgument"),
    ({"RedirectAllRequestsTo": {"HostName": "x.example"}, "IndexDocument": {"Suffix": "i.html"}},
     "InvalidArgument"),
    ({"RedirectAllRequestsTo": {"HostName": "x.example", "Protocol": "ftp"}}, "InvalidArgument"),
    ({"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [
        {"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}]}, "InvalidRequest"),
    ({"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [
        {"Redirect": {"HttpRedirectCode": "200"}}]}, "InvalidRequest"),
    ({"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [
        {"Condition": {"HttpErrorCodeReturnedEquals": "200"}, "Redirect": {"HostName": "h"}}]},
     "InvalidRequest"),
])
def test_invalid_configs(s3, bucket, cfg, code):
    with pytest.raises(ClientError) as e:
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=cfg)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["Error"]["Code"] == code


def test_index_documents(server, site):
    r = web(server, site, "/")
    assert r.status_code == 200 and r.content == b"<h1>Get It Done reports</h1>"
    assert r.headers["Content-Type"] == "text/html"
    r = web(server, site, "/2019/")
    assert r.status_code == 200 and r.content == b"<h1>2019</h1>"
    r = web(server, site, "/2019")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/2019/")
    r = web(server, site, "/2019/potholes.csv")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv"


@pytest.mark.parametrize("form", ["s3-website.localhost", "s3-website-us-east-1.localhost",
                                  "s3-website.us-east-1.localhost"])
def test_endpoint_name_forms(server, site, form):
    assert web(server, site, "/", form=form).content == b"<h1>Get It Done reports</h1>"


def test_error_document_and_status(server, s3, site):
    r = web(server, site, "/nope.html")
    assert r.status_code == 403, "the bucket is not listable by everyone: 403 (REST's rule)"
    assert r.content == b"<h1>not here</h1>"
    s3.put_bucket_acl(Bucket=site, ACL="public-read")
    r = web(server, site, "/nope.html")
    assert r.status_code == 404 and r.content == b"<h1>not here</h1>"
    r = web(server, site, "/private.html")
    assert r.status_code == 403 and r.content == b"<h1>not here</h1>", \
        "only objects the anonymous principal may read are served"


def test_error_document_that_cannot_be_served(server, s3, site):
    # AWS's page then says so in a section of its own ("An Error Occurred
    # While Attempting to Retrieve a Custom Error Document"), with why.
    s3.put_bucket_acl(Bucket=site, ACL="public-read")
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "gone.html"}})
    r = web(server, site, "/nope.html")
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")
    page = r.content.decode()
    first, _, second = page.partition(
        "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>")
    assert "<li>Code: NoSuchKey</li>" in first and "<li>Key: nope.html</li>" in first
    assert "<li>Code: NoSuchKey</li>" in second and "<li>Key: gone.html</li>" in second
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "private.html"}})
    page = web(server, site, "/nope.html").content.decode()
    _, _, second = page.partition("Custom Error Document</h3>")
    assert "<li>Code: AccessDenied</li>" in second and "private.html" not in second
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}})
    assert b"Custom Error Document" not in web(server, site, "/nope.html").content


def test_html_errors_without_error_document(server, s3, site):
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_bucket_acl(Bucket=site, ACL="public-read")
    r = web(server, site, "/nope.html")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert b"<li>Code: NoSuchKey</li>" in r.content and b"<?xml" not in r.content
    assert b"RequestId" in r.content
    r = web(server, site + "-gone", "/")
    assert r.status_code == 404 and b"NoSuchBucket" in r.content
    s3.delete_bucket_website(Bucket=site)
    r = web(server, site, "/")
    assert r.status_code == 404 and b"NoSuchWebsiteConfiguration" in r.content


def test_get_and_head_only(server, site):
    for method in ("PUT", "POST", "DELETE"):
        r = web(server, site, "/index.html", method=method)
        assert r.status_code == 405, method
        assert b"MethodNotAllowed" in r.content
    r = web(server, site, "/index.html", method="HEAD")
    assert r.status_code == 200 and r.headers["Content-Length"] == str(len(b"<h1>Get It Done reports</h1>"))


def test_range_and_conditional(server, site):
    r = web(server, site, "/2019/potholes.csv", headers={"Range": "bytes=0-1"})
    assert r.status_code == 206 and r.content == b"id"
    etag = web(server, site, "/2019/potholes.csv").headers["ETag"]
    r = web(server, site, "/2019/potholes.csv", headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"", "a 304 is no error: no error document"
    assert r.headers.get("Content-Length", "17") == "17", "the 200's length (RFC 9110 8.6), not 0"
    r = web(server, site, "/2019/potholes.csv", headers={"If-Match": '"0000"'})
    assert r.status_code == 412 and b"not here" not in r.content
    assert b"<title>412 Precondition Failed</title>" in r.content


def test_304_then_next_request_on_the_connection(server, site):
    """A browser revalidating its cache: the 304 says the 200's Content-Length but sends no
    body, so the next answer on the same keep-alive connection starts right after it."""
    h = {"Host": host_for(site, server)}
    with requests.Session() as s:
        first = s.get(server.endpoint + "/2019/potholes.csv", headers=h, timeout=30)
        r = s.get(server.endpoint + "/2019/potholes.csv", timeout=30,
                  headers=dict(h, **{"If-None-Match": first.headers["ETag"],
                                     "If-Modified-Since": first.headers["Last-Modified"]}))
        assert r.status_code == 304 and r.headers.get("Content-Length") == "17"
        r = s.get(server.endpoint + "/", headers=h, timeout=30)
        assert r.status_code == 200 and r.content == b"<h1>Get It Done reports</h1>"


def test_website_redirect_location(server, s3, site):
    s3.put_object(Bucket=site, Key="old.html", Body=b"", ACL="public-read",
                  WebsiteRedirectLocation="/index.html")
    r = web(server, site, "/old.html")
    assert r.status_code == 301 and r.headers["Location"] == "/index.html"


def test_routing_rules(server, s3, site):
    s3.put_bucket_acl(Bucket=site, ACL="public-read")
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"},
        "RoutingRules": [
            {"Condition": {"KeyPrefixEquals": "reports/"},
             "Redirect": {"ReplaceKeyPrefixWith": "2019/", "HttpRedirectCode": "302"}},
            {"Condition": {"KeyPrefixEquals": "legacy"}, "Redirect": {"ReplaceKeyWith": "index.html"}},
            {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
             "Redirect": {"HostName": "fallback.example", "Protocol": "https",
                          "ReplaceKeyPrefixWith": "missing/"}}]})
    r = web(server, site, "/reports/potholes.csv")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/2019/potholes.csv")
    r = web(server, site, "/legacy/page")
    assert r.status_code == 301 and r.headers["Location"].endswith("/index.html")
    r = web(server, site, "/gone.html")
    assert r.status_code == 301
    assert r.headers["Location"] == "https://fallback.example/missing/gone.html"
    assert web(server, site, "/").status_code == 200, "no rule for what exists"


def test_redirect_all_requests(server, s3, site):
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={
        "RedirectAllRequestsTo": {"HostName": "www.example.com", "Protocol": "https"}})
    r = web(server, site, "/2019/potholes.csv")
    assert r.status_code == 301
    assert r.headers["Location"] == "https://www.example.com/2019/potholes.csv"


def test_signatures_are_ignored(server, site):
    r = web(server, site, "/", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=garbage"})
    assert r.status_code == 200, "the website endpoint serves the anonymous principal"


def test_rest_endpoint_unchanged(s3, server, site):
    r = requests.get("%s/%s/" % (server.endpoint, site))
    assert r.status_code == 403 and b"<?xml" in r.content, "the REST API lists, it has no index"
    assert s3.get_object(Bucket=site, Key="index.html")["Body"].read() == b"<h1>Get It Done reports</h1>"


@pytest.mark.own_server
def test_website_listen_port(start_pail, tmp_path, server):
    from conftest import free_port
    import boto3
    from botocore.config import Config
    from e2e_util import REGION
    wport = free_port()
    p = start_pail(tmp_path / "data", extra_args=["--website-listen", "127.0.0.1:%d" % wport])
    c = boto3.session.Session().client(
        "s3", endpoint_url=p.endpoint, region_name=REGION, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key, config=Config(retries={"max_attempts": 1}))
    c.create_bucket(Bucket="gid-reports")
    c.put_object(Bucket="gid-reports", Key="index.html", Body=b"<h1>port</h1>",
                 ContentType="text/html", ACL="public-read")
    c.put_bucket_website(Bucket="gid-reports",
                         WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    base = "http://127.0.0.1:%d/" % wport
    for host in ("gid-reports.localhost:%d" % wport, "gid-reports:%d" % wport,
                 "gid-reports.s3-website.localhost:%d" % wport):
        r = requests.get(base, headers={"Host": host}, timeout=30)
        assert r.status_code == 200 and r.content == b"<h1>port</h1>", host
    r = requests.get(base, headers={"Host": "127.0.0.1:%d" % wport}, timeout=30)
    assert r.status_code == 404 and b"NoSuchBucket" in r.content
    r = requests.put(base + "index.html", headers={"Host": "gid-reports.localhost"}, data=b"x",
                     timeout=30)
    assert r.status_code == 405, "the website port serves no REST API"
    assert requests.get(p.endpoint + "/gid-reports/index.html").status_code == 200


def test_cors_on_the_website_endpoint(server, s3, site):
    s3.put_bucket_cors(Bucket=site, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["http://app.example"], "AllowedMethods": ["GET"]}]})
    r = web(server, site, "/index.html", method="OPTIONS",
            headers={"Origin": "http://app.example", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    r = web(server, site, "/", headers={"Origin": "http://app.example"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    r = web(server, site, "/index.html", method="OPTIONS",
            headers={"Origin": "http://other.example", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("text/html")
