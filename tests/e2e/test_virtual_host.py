"""Virtual-hosted–style requests, from the S3 user guide's "Virtual hosting of
buckets" and "Methods for accessing a bucket": https://BUCKET.s3.amazonaws.com/KEY
addresses bucket BUCKET as /BUCKET/KEY does; path-style keeps working. pail's
`--domain` (default s3.localhost) plays the part of s3.amazonaws.com. SigV4
signs the request as sent (Host and path); SigV2's CanonicalizedResource is
still /BUCKET/KEY, the bucket taken from the Host ("Constructing the
CanonicalizedResource Element").

Python does not resolve *.localhost by itself (TOOLCHAIN.md): a fixture maps
those names to 127.0.0.1 inside this process."""
import socket
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e_util import REGION

_real_getaddrinfo = socket.getaddrinfo


def _loopback_getaddrinfo(host, *args, **kw):
    if isinstance(host, str) and (host == "localhost" or host.endswith(".localhost")):
        host = "127.0.0.1"
    return _real_getaddrinfo(host, *args, **kw)


@pytest.fixture(autouse=True)
def localhost_names(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_getaddrinfo)


def port_of(server):
    return server.endpoint.rsplit(":", 1)[1]


def client(server, signature_version="s3v4", style="virtual", domain="s3.localhost"):
    return boto3.session.Session().client(
        "s3", endpoint_url="http://%s:%s" % (domain, port_of(server)), region_name=REGION,
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
        config=Config(signature_version=signature_version, s3={"addressing_style": style},
                      retries={"max_attempts": 1}))


def name(prefix="vh"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


@pytest.fixture
def vbucket(server, s3):
    b = name()
    s3.create_bucket(Bucket=b)
    yield b
    for o in s3.list_objects_v2(Bucket=b).get("Contents", []):
        s3.delete_object(Bucket=b, Key=o["Key"])
    s3.delete_bucket(Bucket=b)


@pytest.mark.parametrize("sig", ["s3v4", "s3"])
def test_object_round_trip(server, s3, sig):
    c = client(server, sig)
    b = name("vh-" + sig.replace("v4", "four"))
    r = c.create_bucket(Bucket=b)
    assert r["ResponseMetadata"]["HTTPHeaders"]["location"] == \
        "http://%s.s3.localhost:%s/" % (b, port_of(server)), "Location names the bucket as the request did"
    key = "reports/2019 q1+final é.csv"
    c.put_object(Bucket=b, Key=key, Body=b"a,b\n1,2\n")
    assert c.get_object(Bucket=b, Key=key)["Body"].read() == b"a,b\n1,2\n"
    assert c.head_object(Bucket=b, Key=key)["ContentLength"] == 8
    assert [o["Key"] for o in c.list_objects_v2(Bucket=b, Prefix="reports/")["Contents"]] == [key]
    # the same object, path-style
    assert s3.get_object(Bucket=b, Key=key)["Body"].read() == b"a,b\n1,2\n"
    c.delete_object(Bucket=b, Key=key)
    c.delete_bucket(Bucket=b)
    assert b not in [x["Name"] for x in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize("sig", ["s3v4", "s3"])
def test_presigned_urls(server, s3, vbucket, sig):
    s3.put_object(Bucket=vbucket, Key="data.csv", Body=b"x,y\n")
    c = client(server, sig)
    url = c.generate_presigned_url("get_object", Params={"Bucket": vbucket, "Key": "data.csv"},
                                   ExpiresIn=300)
    assert url.startswith("http://%s.s3.localhost:" % vbucket)
    r = requests.get(url)
    assert r.status_code == 200 and r.content == b"x,y\n"
    tampered = url.replace("data.csv", "data2.csv")
    assert requests.get(tampered).status_code == 403
    put = c.generate_presigned_url("put_object", Params={"Bucket": vbucket, "Key": "up.csv"},
                                   ExpiresIn=300)
    assert requests.put(put, data=b"uploaded").status_code == 200
    assert s3.get_object(Bucket=vbucket, Key="up.csv")["Body"].read() == b"uploaded"


def test_multipart_and_bucket_subresources(server, s3, vbucket):
    c = client(server)
    up = c.create_multipart_upload(Bucket=vbucket, Key="big")
    etag = c.upload_part(Bucket=vbucket, Key="big", UploadId=up["UploadId"], PartNumber=1,
                         Body=b"part")["ETag"]
    c.complete_multipart_upload(Bucket=vbucket, Key="big", UploadId=up["UploadId"],
                                MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
    assert s3.get_object(Bucket=vbucket, Key="big")["Body"].read() == b"part"
    c.put_bucket_acl(Bucket=vbucket, ACL="public-read")
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers")
               for g in c.get_bucket_acl(Bucket=vbucket)["Grants"])
    assert c.get_bucket_location(Bucket=vbucket)["LocationConstraint"] is None


def test_errors_name_the_bucket(server, vbucket):
    c = client(server)
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=vbucket, Key="missing.csv")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        c.head_bucket(Bucket=vbucket + "-nope")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    r = requests.get("http://%s-nope.s3.localhost:%s/k" % (vbucket, port_of(server)))
    assert r.status_code in (403, 404)
    r = requests.get("http://%s.s3.localhost:%s/missing.csv" % (vbucket, port_of(server)))
    assert r.status_code == 403, "anonymous, private bucket"
    assert b"<Code>AccessDenied</Code>" in r.content


def test_anonymous_public_object_by_plain_url(server, s3, vbucket):
    s3.put_object(Bucket=vbucket, Key="potholes.csv", Body=b"id,street\n1,Main\n", ACL="public-read")
    r = requests.get("http://%s.s3.localhost:%s/potholes.csv" % (vbucket, port_of(server)))
    assert r.status_code == 200 and r.content == b"id,street\n1,Main\n"


def test_bucket_names_with_dots(server, s3):
    b = "vh.dotted.%s" % uuid.uuid4().hex[:8]
    c = client(server)
    c.create_bucket(Bucket=b)
    try:
        c.put_object(Bucket=b, Key="k", Body=b"dots")
        r = requests.get("http://%s.s3.localhost:%s/k" % (b, port_of(server)),
                         headers={"Host": "%s.s3.localhost:%s" % (b, port_of(server))})
        assert r.status_code == 403, "the whole prefix before the domain is the bucket (private)"
        assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"dots"
    finally:
        s3.delete_object(Bucket=b, Key="k")
        s3.delete_bucket(Bucket=b)


def test_path_style_on_the_domain_and_ip(server, s3, vbucket):
    s3.put_object(Bucket=vbucket, Key="k", Body=b"v")
    for domain in ("s3.localhost", "127.0.0.1", "localhost"):
        c = client(server, style="path", domain=domain)
        assert c.get_object(Bucket=vbucket, Key="k")["Body"].read() == b"v", domain
    c = client(server, signature_version="s3", style="path", domain="s3.localhost")
    assert c.get_object(Bucket=vbucket, Key="k")["Body"].read() == b"v"


def test_host_case_and_trailing_dot(server, s3, vbucket):
    s3.put_object(Bucket=vbucket, Key="k", Body=b"v", ACL="public-read")
    for host in ("%s.S3.LocalHost:%s", "%s.s3.localhost.:%s"):
        r = requests.get("http://127.0.0.1:%s/k" % port_of(server),
                         headers={"Host": host % (vbucket, port_of(server))})
        assert r.status_code == 200 and r.content == b"v", host


@pytest.mark.own_server
def test_domain_flag(start_pail, tmp_path, server):
    p = start_pail(tmp_path / "data", extra_args=["--domain", "storage.test", "--domain",
                                                  "objects.example"])
    port = p.endpoint.rsplit(":", 1)[1]
    c = boto3.session.Session().client(
        "s3", endpoint_url=p.endpoint, region_name=REGION, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key, config=Config(retries={"max_attempts": 1}))
    c.create_bucket(Bucket="flagged")
    c.put_object(Bucket="flagged", Key="k", Body=b"v", ACL="public-read")
    for domain in ("storage.test", "objects.example"):
        r = requests.get("http://127.0.0.1:%s/k" % port, headers={"Host": "flagged.%s:%s" % (domain, port)})
        assert r.status_code == 200 and r.content == b"v", domain
    r = requests.get("http://127.0.0.1:%s/k" % port, headers={"Host": "flagged.s3.localhost:%s" % port})
    assert r.status_code != 200, "--domain replaces the default"
