"""Bucket operations: CreateBucket naming rules and re-create semantics,
GetBucketLocation, ListBuckets, HeadBucket, DeleteBucket.

Re-creating a bucket you own: the BucketAlreadyOwnedByYou shape's doc in the
S3 model says S3 "returns this error in all Amazon Web Services Regions except
in the North Virginia Region. For legacy compatibility, if you re-create an
existing bucket that you already own in the North Virginia Region, Amazon S3
returns 200 OK and resets the bucket access control lists (ACLs)" (the
CreateBucket reference). pail serves us-east-1, so a re-create of a us-east-1
bucket is 200 (its contents untouched, its ACL the request's or private); a
bucket whose LocationConstraint is another region answers
BucketAlreadyOwnedByYou (409).
"""
import datetime as dt
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import empty_and_delete, unique_name
from e2e_util import parse_error


def rand(n):
    return uuid.uuid4().hex[:n]


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


VALID_NAMES = [
    lambda: "a" + rand(2),                          # 3 characters, the minimum
    lambda: ("b" + rand(32) + "0" * 63)[:63],       # 63 characters, the maximum
    lambda: "0" + rand(10) + "-starts-with-digit",
    lambda: "dots." + rand(8) + ".in.name",
    lambda: "dash-" + rand(8) + "-x-y-9",
    lambda: "xn-" + rand(8),                        # only the exact 'xn--' prefix is reserved
    lambda: "s3alias-" + rand(8),
]


@pytest.mark.parametrize("make_name", VALID_NAMES,
                         ids=["len3", "len63", "digit-first", "dots", "dashes", "xn-single", "s3alias-prefix"])
def test_create_bucket_valid_names(s3, make_name):
    name = make_name()
    try:
        r = s3.create_bucket(Bucket=name)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert r["Location"] == "/" + name
        s3.head_bucket(Bucket=name)
        assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    finally:
        empty_and_delete(s3, name)


INVALID_NAMES = {
    "too-short": "ab",
    "too-long": "c" * 64,
    "uppercase": "Upper-" + "case",
    "underscore": "under_score",
    "ip-address": "192.168.5.4",
    "leading-dash": "-leading",
    "trailing-dash": "trailing-",
    "leading-dot": ".leading",
    "trailing-dot": "trailing.",
    "double-dot": "double..dot",
    "xn-prefix": "xn--abcdef",
    "sthree-prefix": "sthree-abcdef",
    "amzn-s3-demo-prefix": "amzn-s3-demo-abcdef",
    "s3alias-suffix": "abcdef-s3alias",
    "ol-s3-suffix": "abcdef--ol-s3",
    "mrap-suffix": "abcdef.mrap",
    "x-s3-suffix": "abcdef--x-s3",
    "table-s3-suffix": "abcdef--table-s3",
}


@pytest.mark.parametrize("name", list(INVALID_NAMES.values()), ids=list(INVALID_NAMES))
def test_create_bucket_invalid_names(raw, name):
    # Hand-signed: botocore treats '--x-s3' names as directory buckets (it would
    # call CreateSession first) and may reject others before sending.
    r = raw.request("PUT", name)
    try:
        assert r.status_code == 400, r.text
        doc = parse_error(r.content)
        assert doc["Code"] == "InvalidBucketName"
        assert doc.get("RequestId") == r.headers.get("x-amz-request-id")
    finally:
        if r.status_code == 200:  # the server wrongly created it
            raw.request("DELETE", name)


def test_recreate_own_bucket_us_east_1_is_200_and_keeps_contents(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep-me", Body=b"still here")
    r = s3.create_bucket(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket=bucket, Key="keep-me")["Body"].read() == b"still here"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]].count(bucket) == 1


def test_recreate_own_bucket_us_east_1_resets_its_acl(s3, bucket):
    all_users = "http://acs.amazonaws.com/groups/global/AllUsers"

    def public():
        return any(g["Grantee"].get("URI") == all_users
                   for g in s3.get_bucket_acl(Bucket=bucket)["Grants"])

    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert public()
    s3.create_bucket(Bucket=bucket)
    assert not public(), "a re-create without an ACL resets it to private"
    s3.create_bucket(Bucket=bucket, ACL="public-read")
    assert public(), "a re-create with an ACL sets that ACL"


def test_recreate_own_bucket_in_other_region_is_already_owned(s3, make_bucket):
    name = make_bucket(CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert err(e) == ("BucketAlreadyOwnedByYou", 409)


def test_get_bucket_location_us_east_1_is_none(s3, bucket):
    r = s3.get_bucket_location(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["LocationConstraint"] is None


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_location_constraint_round_trip(s3, make_bucket, region):
    name = make_bucket(CreateBucketConfiguration={"LocationConstraint": region})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == region


def test_location_constraint_us_east_1_explicit_is_invalid(s3):
    # AWS: us-east-1 is the default and may not be named as a LocationConstraint.
    name = unique_name()
    try:
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
        assert err(e) == ("InvalidLocationConstraint", 400)
    finally:
        empty_and_delete(s3, name)


def test_location_constraint_unknown_region_is_invalid(s3):
    name = unique_name()
    try:
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "moon-west-1"})
        assert err(e) == ("InvalidLocationConstraint", 400)
    finally:
        empty_and_delete(s3, name)


def test_create_bucket_malformed_configuration_xml(raw):
    name = unique_name()
    r = raw.request("PUT", name, body=b"<CreateBucketConfiguration><LocationConstraint>eu-west-1")
    try:
        assert r.status_code == 400, r.text
        assert "<Code>MalformedXML</Code>" in r.text
    finally:
        raw.request("DELETE", name)


def test_list_buckets_includes_created_with_creation_date(s3, make_bucket):
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    names = sorted(make_bucket() for _ in range(3))
    after = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    r = s3.list_buckets()
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    listed = {b["Name"]: b for b in r["Buckets"]}
    for n in names:
        assert n in listed
        assert before <= listed[n]["CreationDate"] <= after
    # Listed in name order, as S3 does.
    all_names = [b["Name"] for b in r["Buckets"]]
    assert all_names == sorted(all_names)
    assert r["Owner"]["ID"]


def test_head_bucket_existing_and_missing(s3, bucket, raw):
    r = s3.head_bucket(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=unique_name("missing"))
    assert err(e) == ("404", 404)
    # HEAD answers carry no body: a second request on the same connection
    # must still parse (a stray body would be read as the next status line).
    conn = raw.connection()
    try:
        for b, want in ((unique_name("missing"), 404), (bucket, 200)):
            target, hdrs = raw.prepare("HEAD", b)
            conn.request("HEAD", target, headers=hdrs)
            resp = conn.getresponse()
            assert resp.status == want
            assert resp.read() == b""
        target, hdrs = raw.prepare("GET", bucket, query=[("list-type", "2")])
        conn.request("GET", target, headers=hdrs)
        resp = conn.getresponse()
        assert resp.status == 200
        assert b"<ListBucketResult" in resp.read()
    finally:
        conn.close()


def test_delete_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="x", Body=b"1")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert err(e) == ("BucketNotEmpty", 409)
    s3.head_bucket(Bucket=bucket)  # still there


def test_delete_bucket_missing(s3):
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=unique_name("missing"))
    assert err(e) == ("NoSuchBucket", 404)


def test_delete_bucket_then_gone(s3):
    name = unique_name()
    s3.create_bucket(Bucket=name)
    r = s3.delete_bucket(Bucket=name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert err(e) == ("404", 404)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=name, Key="k", Body=b"x")
    assert err(e) == ("NoSuchBucket", 404)
    # The name is free again.
    s3.create_bucket(Bucket=name)
    assert "Contents" not in s3.list_objects_v2(Bucket=name)
    s3.delete_bucket(Bucket=name)


def test_delete_bucket_after_emptying(s3):
    name = unique_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="a/b", Body=b"1")
    s3.delete_object(Bucket=name, Key="a/b")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
