"""CORS as S3 does it: Put/Get/DeleteBucketCors (API_PutBucketCors, API_CORSRule), the
preflight OPTIONS request ("OPTIONS object", "Troubleshooting CORS") and the CORS headers on
actual responses, errors and presigned requests included.

AWS's answers asserted here (messages verbatim, "evalution" is S3's own spelling):
  no configuration         GetBucketCors 404 NoSuchCORSConfiguration "The CORS configuration
                           does not exist"; DeleteBucketCors 204 either way
  bad configurations       400 InvalidRequest "Found unsupported HTTP method in CORS config.
                           Unsupported method is X", "AllowedOrigin "a*b*" can not have more
                           than one wildcard."; MalformedXML for no or over 100 rules
  preflight without Origin 400 BadRequest "Insufficient information. Origin request header
                           needed." (before anything else, also for a missing bucket)
  no such bucket           403 AccessForbidden "CORSResponse: Bucket not found"
  no configuration         403 AccessForbidden "CORSResponse: CORS is not enabled for this bucket."
  no request method        400 BadRequest "Invalid Access-Control-Request-Method: null"
  no rule matches          403 AccessForbidden "CORSResponse: This CORS request is not allowed. ..."
  a rule matches           200: Access-Control-Allow-Origin (the Origin, or "*" for a "*"
                           rule), -Allow-Methods (the rule's, ", "-joined), -Allow-Headers (the
                           requested names, lower case), -Expose-Headers, -Max-Age,
                           -Allow-Credentials: true (not for "*"), Vary
Preflights are not authenticated; actual requests get the headers of the first rule allowing
their Origin and method, whatever their status."""
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from e2e_util import parse_error

NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the "
               "evalution of Origin, request method / Access-Control-Request-Method or "
               "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-methods",
                "access-control-allow-headers", "access-control-expose-headers",
                "access-control-max-age", "access-control-allow-credentials", "vary")

SITE = "http://app.example.com"
RULES = [
    {"ID": "site", "AllowedOrigins": ["http://*.example.com"],
     "AllowedMethods": ["GET", "PUT", "HEAD"], "AllowedHeaders": ["*"],
     "ExposeHeaders": ["ETag", "x-amz-request-id"], "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]

# What the JS SDK v3 asks for in the preflight of a PutObject (aws-chunked, CRC32).
JS_SDK_HEADERS = ("amz-sdk-invocation-id,amz-sdk-request,authorization,content-encoding,"
                  "content-type,x-amz-checksum-crc32,x-amz-content-sha256,"
                  "x-amz-decoded-content-length,x-amz-date,x-amz-sdk-checksum-algorithm,"
                  "x-amz-trailer,x-amz-user-agent")


def cors_of(resp_headers):
    """The CORS response headers, lower-case names (requests' or botocore's headers)."""
    h = {k.lower(): v for k, v in resp_headers.items()}
    return {k: h[k] for k in CORS_HEADERS if k in h}


def url(endpoint, bucket, key=None, query=None):
    u = "%s/%s" % (endpoint, bucket) + ("/" + key if key else "")
    return u + ("?" + query if query else "")


def preflight(endpoint, bucket, key=None, origin=SITE, method="GET", headers=None, query=None):
    h = {}
    if origin is not None:
        h["Origin"] = origin
    if method is not None:
        h["Access-Control-Request-Method"] = method
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    return requests.options(url(endpoint, bucket, key, query), headers=h, timeout=30)


def assert_error(resp, status, code, message):
    assert resp.status_code == status, resp.text
    err = parse_error(resp.content)
    assert (err["Code"], err["Message"]) == (code, message)
    assert cors_of(resp.headers) == {}, "an answer refused carries no CORS headers"


def client_error(fn, **kw):
    with pytest.raises(ClientError) as ei:
        fn(**kw)
    return ei.value.response


@pytest.fixture
def cors_bucket(s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    return bucket


@pytest.fixture
def with_origin(s3_client_factory):
    """with_origin(origin) -> a boto3 client whose every request carries that Origin."""
    def make(origin):
        c = s3_client_factory()

        def add(request, **kw):
            request.headers["Origin"] = origin
        c.meta.events.register("before-sign.s3", add)
        return c
    return make


# --------------------------------------------------------------- configuration
def test_config_round_trip(s3, bucket):
    r = client_error(s3.get_bucket_cors, Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert r["Error"]["Code"] == "NoSuchCORSConfiguration"
    assert r["Error"]["Message"] == "The CORS configuration does not exist"
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES  # order and values as sent
    d = s3.delete_bucket_cors(Bucket=bucket)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert client_error(s3.get_bucket_cors, Bucket=bucket)["Error"]["Code"] == \
        "NoSuchCORSConfiguration"
    assert s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_put_replaces_and_applies_at_once(s3, endpoint, cors_bucket):
    assert preflight(endpoint, cors_bucket, "k", method="PUT").status_code == 200
    s3.put_bucket_cors(Bucket=cors_bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["http://other.test"], "AllowedMethods": ["DELETE"]}]})
    assert s3.get_bucket_cors(Bucket=cors_bucket)["CORSRules"] == [
        {"AllowedOrigins": ["http://other.test"], "AllowedMethods": ["DELETE"]}]
    assert_error(preflight(endpoint, cors_bucket, "k", method="PUT"), 403, "AccessForbidden",
                 NOT_ALLOWED)
    assert preflight(endpoint, cors_bucket, "k", origin="http://other.test",
                     method="DELETE").status_code == 200
    s3.delete_bucket_cors(Bucket=cors_bucket)
    assert_error(preflight(endpoint, cors_bucket, "k", origin="http://other.test",
                           method="DELETE"),
                 403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")


def rule(**kw):
    r = {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}
    r.update(kw)
    return r


@pytest.mark.parametrize("rules,code,message", [
    ([rule(AllowedMethods=["GET", "PATCH"])], "InvalidRequest",
     "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"),
    ([rule(AllowedMethods=["OPTIONS"])], "InvalidRequest",
     "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS"),
    ([rule(AllowedOrigins=["http://*.a.*.com"])], "InvalidRequest",
     'AllowedOrigin "http://*.a.*.com" can not have more than one wildcard.'),
    ([rule(AllowedHeaders=["x-*-*"])], "InvalidRequest",
     'AllowedHeader "x-*-*" can not have more than one wildcard.'),
    ([], "MalformedXML", None),
    ([rule()] * 101, "MalformedXML", None),
    ([rule(MaxAgeSeconds=-1)], "MalformedXML", None),
    ([rule(AllowedMethods=[])], "MalformedXML", None),
    ([rule(ID="i" * 256)], "InvalidArgument", None),
])
def test_put_validation(s3, bucket, rules, code, message):
    r = client_error(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["Error"]["Code"] == code
    if message:
        assert r["Error"]["Message"] == message
    assert client_error(s3.get_bucket_cors, Bucket=bucket)["Error"]["Code"] == \
        "NoSuchCORSConfiguration", "a refused configuration is not stored"


def test_put_limits_accepted(s3, bucket):
    rules = [rule(ID="r%d" % i, AllowedOrigins=["http://%d.test" % i]) for i in range(100)]
    rules[0]["ID"] = "i" * 255
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules


def test_config_needs_permission(endpoint, cors_bucket):
    for method in ("GET", "PUT", "DELETE"):
        r = requests.request(method, url(endpoint, cors_bucket, query="cors"), timeout=30,
                             data=b"<CORSConfiguration/>" if method == "PUT" else None)
        assert r.status_code == 403 and parse_error(r.content)["Code"] == "AccessDenied", method


# ------------------------------------------------------------------- preflight
def test_preflight_allowed_wildcard_origin(endpoint, cors_bucket):
    r = preflight(endpoint, cors_bucket, "photos/a.jpg", method="PUT",
                  headers="Content-Type, X-Amz-Date")
    assert r.status_code == 200 and r.content == b""
    assert cors_of(r.headers) == {
        "access-control-allow-origin": SITE,
        "access-control-allow-methods": "GET, PUT, HEAD",
        "access-control-allow-headers": "content-type, x-amz-date",
        "access-control-expose-headers": "ETag, x-amz-request-id",
        "access-control-max-age": "600",
        "access-control-allow-credentials": "true",
        "vary": VARY,
    }


def test_preflight_star_rule(endpoint, cors_bucket):
    r = preflight(endpoint, cors_bucket, "k", origin="https://anywhere.test", method="GET")
    assert r.status_code == 200
    assert cors_of(r.headers) == {"access-control-allow-origin": "*",
                                  "access-control-allow-methods": "GET", "vary": VARY}


def test_preflight_js_sdk_headers(endpoint, cors_bucket):
    r = preflight(endpoint, cors_bucket, "upload.bin", method="PUT", headers=JS_SDK_HEADERS,
                  query="x-id=PutObject")
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Headers"] == JS_SDK_HEADERS.replace(",", ", ")


@pytest.mark.parametrize("origin,method,headers", [
    ("http://example.com", "PUT", None),          # the "*." needs a subdomain
    ("https://app.example.com", "PUT", None),     # scheme is part of the origin
    ("http://app.example.com:8080", "PUT", None),  # and so is the port
    ("HTTP://APP.EXAMPLE.COM", "PUT", None),      # origins match case-sensitively
    ("http://app.example.com", "DELETE", None),   # method not in the rule
    ("http://other.test", "PUT", None),           # only the "*" rule, GET only
    ("http://other.test", "GET", "x-amz-date"),   # the "*" rule allows no header
])
def test_preflight_denied(endpoint, cors_bucket, origin, method, headers):
    assert_error(preflight(endpoint, cors_bucket, "k", origin=origin, method=method,
                           headers=headers), 403, "AccessForbidden", NOT_ALLOWED)


def test_preflight_header_patterns(s3, endpoint, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": [SITE], "AllowedMethods": ["PUT"],
         "AllowedHeaders": ["x-amz-*", "Content-Type"]}]})
    r = preflight(endpoint, bucket, "k", method="PUT", headers="content-type,X-AMZ-META-A")
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Headers"] == "content-type, x-amz-meta-a"
    assert "Access-Control-Max-Age" not in r.headers
    assert "Access-Control-Expose-Headers" not in r.headers
    assert_error(preflight(endpoint, bucket, "k", method="PUT", headers="content-type,range"),
                 403, "AccessForbidden", NOT_ALLOWED)


def test_preflight_first_matching_rule_wins(s3, endpoint, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": [SITE], "AllowedMethods": ["GET"], "MaxAgeSeconds": 1},
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT"], "MaxAgeSeconds": 2}]})
    r = preflight(endpoint, bucket, "k", method="GET")
    assert (r.headers["Access-Control-Max-Age"], r.headers["Access-Control-Allow-Origin"]) == \
        ("1", SITE)
    r = preflight(endpoint, bucket, "k", method="PUT")
    assert (r.headers["Access-Control-Max-Age"], r.headers["Access-Control-Allow-Origin"]) == \
        ("2", "*")


def test_preflight_bad_requests(endpoint, cors_bucket, bucket):
    need_origin = "Insufficient information. Origin request header needed."
    assert_error(preflight(endpoint, cors_bucket, "k", origin=None), 400, "BadRequest",
                 need_origin)
    assert_error(preflight(endpoint, "no-such-bucket-" + uuid.uuid4().hex[:12], origin=None),
                 400, "BadRequest", need_origin)
    assert_error(preflight(endpoint, cors_bucket, "k", method=None), 400, "BadRequest",
                 "Invalid Access-Control-Request-Method: null")
    assert_error(preflight(endpoint, cors_bucket, "k", method="PATCH"), 400, "BadRequest",
                 "Invalid Access-Control-Request-Method: PATCH")


def test_preflight_no_bucket_or_no_config(s3, endpoint):
    missing = "no-such-bucket-" + uuid.uuid4().hex[:12]
    assert_error(preflight(endpoint, missing, "k"), 403, "AccessForbidden",
                 "CORSResponse: Bucket not found")
    name = "pail-e2e-cors-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    try:
        for method in ("GET", None):  # no configuration is answered before the method check
            assert_error(preflight(endpoint, name, "k", method=method), 403, "AccessForbidden",
                         "CORSResponse: CORS is not enabled for this bucket.")
    finally:
        s3.delete_bucket(Bucket=name)


@pytest.mark.parametrize("query", ["list-type=2&prefix=a", "cors", "uploads", "acl",
                                   "uploadId=abc&partNumber=1", "tagging"])
def test_preflight_any_subresource(endpoint, cors_bucket, query):
    key = None if query in ("list-type=2&prefix=a", "cors") else "k"
    r = preflight(endpoint, cors_bucket, key, method="PUT", query=query)
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == SITE


def test_preflight_is_not_authenticated(endpoint, cors_bucket):
    """A preflight is answered from the rules alone: a signature is neither needed nor checked,
    and the bucket's policy and ACL do not apply."""
    r = requests.options(url(endpoint, cors_bucket, "k"), timeout=30, headers={
        "Origin": SITE, "Access-Control-Request-Method": "GET",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIANOTAKEY/20200101/us-east-1/s3/"
                         "aws4_request, SignedHeaders=host, Signature=00"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == SITE


def test_preflight_presigned_url(s3, endpoint, cors_bucket):
    """OPTIONS on a presigned URL (the query carries credentials) is a preflight like any:
    400 without Origin (s3-tests' x_amz_expires_not_expired), 200 with one."""
    for method, params in (("get_object", {}), ("put_object", {"ACL": "private"})):
        u = s3.generate_presigned_url(method, Params=dict(Bucket=cors_bucket, Key="k", **params),
                                      ExpiresIn=600)
        assert requests.options(u, timeout=30).status_code == 400
        verb = "GET" if method == "get_object" else "PUT"
        r = requests.options(u, timeout=30, headers={"Origin": SITE,
                                                     "Access-Control-Request-Method": verb})
        assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == SITE


# ------------------------------------------------------------- actual requests
SITE_HEADERS = {
    "access-control-allow-origin": SITE,
    "access-control-allow-methods": "GET, PUT, HEAD",
    "access-control-expose-headers": "ETag, x-amz-request-id",
    "access-control-max-age": "600",
    "access-control-allow-credentials": "true",
    "vary": VARY,
}


def test_actual_get_put_head_list(with_origin, cors_bucket):
    c = with_origin(SITE)
    r = c.put_object(Bucket=cors_bucket, Key="a.txt", Body=b"hello")
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == SITE_HEADERS
    r = c.get_object(Bucket=cors_bucket, Key="a.txt")
    assert r["Body"].read() == b"hello"
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == SITE_HEADERS
    r = c.head_object(Bucket=cors_bucket, Key="a.txt")
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == SITE_HEADERS
    r = c.list_objects_v2(Bucket=cors_bucket)
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == SITE_HEADERS


def test_actual_star_rule_and_no_match(with_origin, s3, cors_bucket):
    s3.put_object(Bucket=cors_bucket, Key="a.txt", Body=b"x")
    r = with_origin("https://anywhere.test").get_object(Bucket=cors_bucket, Key="a.txt")
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == {
        "access-control-allow-origin": "*", "access-control-allow-methods": "GET", "vary": VARY}
    # PUT from there: only the GET-only "*" rule has that origin, so no CORS headers
    r = with_origin("https://anywhere.test").put_object(Bucket=cors_bucket, Key="b", Body=b"x")
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == {}
    # DELETE is in no rule
    r = with_origin(SITE).delete_object(Bucket=cors_bucket, Key="b")
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == {}
    # no Origin: not a CORS request
    r = s3.get_object(Bucket=cors_bucket, Key="a.txt")
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == {}


def test_actual_errors_carry_headers(with_origin, endpoint, s3, cors_bucket):
    """A page's script can read S3's error only if the error answer passes the CORS check."""
    r = client_error(with_origin(SITE).get_object, Bucket=cors_bucket, Key="missing")
    assert r["Error"]["Code"] == "NoSuchKey"
    assert cors_of(r["ResponseMetadata"]["HTTPHeaders"]) == SITE_HEADERS
    # anonymous and denied (the bucket is private)
    a = requests.get(url(endpoint, cors_bucket, "missing"), headers={"Origin": SITE}, timeout=30)
    assert a.status_code == 403 and parse_error(a.content)["Code"] == "AccessDenied"
    assert cors_of(a.headers) == SITE_HEADERS
    # a bad signature fails before the bucket is loaded for the request
    u = s3.generate_presigned_url("get_object", Params={"Bucket": cors_bucket, "Key": "k"},
                                  ExpiresIn=600)
    bad = requests.get(u.replace("Signature=", "Signature=AA"), headers={"Origin": SITE},
                       timeout=30)
    assert bad.status_code == 403 and parse_error(bad.content)["Code"] == "SignatureDoesNotMatch"
    assert cors_of(bad.headers) == SITE_HEADERS
    # an error from a bucket without rules carries none
    no_rules = requests.get(url(endpoint, "no-such-bucket-" + uuid.uuid4().hex[:12], "k"),
                            headers={"Origin": SITE}, timeout=30)
    assert no_rules.status_code == 404 and cors_of(no_rules.headers) == {}


def test_actual_presigned(s3, s3_client_factory, cors_bucket):
    for signer in (s3, s3_client_factory(signature_version="s3v4")):
        put = signer.generate_presigned_url("put_object", ExpiresIn=600,
                                            Params={"Bucket": cors_bucket, "Key": "p.txt"})
        r = requests.put(put, data=b"presigned", headers={"Origin": SITE}, timeout=30)
        assert r.status_code == 200 and cors_of(r.headers) == SITE_HEADERS
        get = signer.generate_presigned_url("get_object", ExpiresIn=600,
                                            Params={"Bucket": cors_bucket, "Key": "p.txt"})
        r = requests.get(get, headers={"Origin": SITE}, timeout=30)
        assert r.content == b"presigned" and cors_of(r.headers) == SITE_HEADERS


def test_actual_request_method_header_decides(endpoint, s3, cors_bucket):
    """On an actual request S3 matches Access-Control-Request-Method when it is sent
    (s3-tests' cors_origin_response): a PUT claiming GET gets the GET rule's headers."""
    s3.put_object(Bucket=cors_bucket, Key="a", Body=b"x")
    u = s3.generate_presigned_url("get_object", Params={"Bucket": cors_bucket, "Key": "a"},
                                  ExpiresIn=600)
    r = requests.get(u, timeout=30, headers={"Origin": "http://x.test",
                                             "Access-Control-Request-Method": "PUT"})
    assert r.status_code == 200 and cors_of(r.headers) == {}
    r = requests.put(url(endpoint, cors_bucket, "b"), data=b"", timeout=30,
                     headers={"Origin": "http://x.test", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 403
    assert cors_of(r.headers)["access-control-allow-origin"] == "*"
