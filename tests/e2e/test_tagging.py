"""Object and bucket tagging, from the S3 API reference (PutObjectTagging,
GetObjectTagging, DeleteObjectTagging, Put/Get/DeleteBucketTagging; PutObject,
CopyObject and CreateMultipartUpload's x-amz-tagging and
x-amz-tagging-directive; GetObject/HeadObject's x-amz-tagging-count) and "Object
tagging" in the S3 user guide: at most 10 tags per object and 50 per bucket,
keys up to 128 Unicode characters, values up to 256, keys unique, the aws:
prefix reserved; s3:ExistingObjectTag/<key> and s3:RequestObjectTag/<key>
condition keys; PutObject with tags needs s3:PutObjectTagging too."""
import json
import time

import pytest
import requests
from botocore.exceptions import ClientError

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (allow, deny, expect_error, expect_ok, make_user, object_arn,  # noqa: F401
                       policy_doc, root_bucket)


def tagset(**kv):
    return {"TagSet": [{"Key": k, "Value": v} for k, v in kv.items()]}


def tags_of(s3, b, k):
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=b, Key=k)["TagSet"]}


def error_of(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response


def test_put_get_delete_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    head = s3.head_object(Bucket=bucket, Key="k")
    assert "x-amz-tagging-count" not in head["ResponseMetadata"]["HTTPHeaders"]
    modified = head["LastModified"]
    time.sleep(1.1)
    r = s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset(team="gid", year="2019"))
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert tags_of(s3, bucket, "k") == {"team": "gid", "year": "2019"}
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["TagCount"] == 2
    assert got["Body"].read() == b"data"
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    assert head["LastModified"] == modified, "tagging does not change LastModified"
    # a put replaces the whole set
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset(only="one"))
    assert tags_of(s3, bucket, "k") == {"only": "one"}
    r = s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    assert s3.get_object(Bucket=bucket, Key="k").get("TagCount") is None


def test_tags_come_back_in_key_order(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="zeta=1&alpha=2&mid=3")
    keys = [t["Key"] for t in s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]]
    assert keys == ["alpha", "mid", "zeta"]


def test_put_object_with_tagging_header(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x",
                  Tagging="project=pot%20holes&empty=&bare&sym=a%2Bb%3Dc")
    assert tags_of(s3, bucket, "k") == {"project": "pot holes", "empty": "", "bare": "",
                                        "sym": "a+b=c"}


def test_tagging_of_missing_key_and_bucket(s3, bucket):
    for fn, kw in ((s3.get_object_tagging, {}), (s3.delete_object_tagging, {}),
                   (s3.put_object_tagging, {"Tagging": tagset(a="b")})):
        resp = error_of(fn, Bucket=bucket, Key="missing", **kw)
        assert resp["Error"]["Code"] == "NoSuchKey"
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 404
    resp = error_of(s3.get_object_tagging, Bucket=bucket + "-nope", Key="k")
    assert resp["Error"]["Code"] == "NoSuchBucket"


@pytest.mark.parametrize("tags, why", [
    ({f"k{i}": "v" for i in range(11)}, "more than 10 tags"),
    ({"k" * 129: "v"}, "a key over 128 characters"),
    ({"k": "v" * 257}, "a value over 256 characters"),
    ({"aws:reserved": "v"}, "the aws: prefix is reserved"),
    ({"semi;colon": "v"}, "a character outside letters, digits, spaces and _ . : / = + - @"),
])
def test_invalid_object_tags(s3, bucket, tags, why):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    resp = error_of(s3.put_object_tagging, Bucket=bucket, Key="k", Tagging=tagset(**tags))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400, why
    assert resp["Error"]["Code"] == "InvalidTag", why
    assert tags_of(s3, bucket, "k") == {"keep": "me"}, "a refused set changes nothing"


def test_limits_are_inclusive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    tags = {("k%d" % i) + "x" * 126: "é" * 256 for i in range(10)}
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset(**tags))
    assert tags_of(s3, bucket, "k") == tags


def test_duplicate_keys(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = error_of(s3.put_object_tagging, Bucket=bucket, Key="k",
                    Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]})
    assert resp["Error"]["Code"] == "InvalidTag"
    resp = error_of(s3.put_object, Bucket=bucket, Key="k2", Body=b"x", Tagging="a=1&a=2")
    assert resp["Error"]["Code"] == "InvalidArgument"
    assert "x-amz-tagging" in resp["Error"]["Message"]
    assert error_of(s3.head_object, Bucket=bucket, Key="k2")["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_malformed_tagging_body(s3, bucket, raw):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    r = raw.request("PUT", bucket, "k", query=[("tagging", "")],
                    body=b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>")
    assert r.status_code == 400 and b"<Code>MalformedXML</Code>" in r.content


def test_copy_object_tagging_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="from=source")
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert tags_of(s3, bucket, "copy") == {"from": "source"}, "COPY is the default"
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE", Tagging="new=tags")
    assert tags_of(s3, bucket, "replaced") == {"new": "tags"}
    s3.copy_object(Bucket=bucket, Key="none", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE")
    assert tags_of(s3, bucket, "none") == {}
    resp = error_of(s3.copy_object, Bucket=bucket, Key="bad",
                    CopySource={"Bucket": bucket, "Key": "src"}, TaggingDirective="MOVE")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_multipart_upload_tagging(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="Hello=World&foo=bar")
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                          Body=b"part")["ETag"]
    assert error_of(s3.get_object_tagging, Bucket=bucket, Key="mp")["Error"]["Code"] == "NoSuchKey"
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
    assert tags_of(s3, bucket, "mp") == {"Hello": "World", "foo": "bar"}


@pytest.mark.own_server
def test_tags_survive_restart(start_pail, s3_client_factory, tmp_path):
    p1 = start_pail(tmp_path / "data")
    c = s3_client_factory(endpoint=p1.endpoint)
    c.create_bucket(Bucket="tags-restart")
    c.put_object(Bucket="tags-restart", Key="k", Body=b"x", Tagging="a=1")
    c.put_bucket_tagging(Bucket="tags-restart", Tagging=tagset(cost="center"))
    assert p1.stop() == 0, p1.tail()
    p2 = start_pail(tmp_path / "data")
    c = s3_client_factory(endpoint=p2.endpoint)
    assert tags_of(c, "tags-restart", "k") == {"a": "1"}
    assert c.get_bucket_tagging(Bucket="tags-restart")["TagSet"] == [{"Key": "cost", "Value": "center"}]


def test_bucket_tagging(s3, bucket):
    resp = error_of(s3.get_bucket_tagging, Bucket=bucket)
    assert resp["Error"]["Code"] == "NoSuchTagSet"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 404
    r = s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(Hello="World", cost="42"))
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [
        {"Key": "Hello", "Value": "World"}, {"Key": "cost", "Value": "42"}]
    too_many = {f"t{i}": "v" for i in range(51)}
    resp = error_of(s3.put_bucket_tagging, Bucket=bucket, Tagging=tagset(**too_many))
    assert resp["Error"]["Code"] == "InvalidTag"
    fifty = {f"t{i}": "v" for i in range(50)}
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(**fifty))
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    r = s3.delete_bucket_tagging(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)["Error"]["Code"] == "NoSuchTagSet"


def test_listing_and_attributes_unaffected(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"abc", Tagging="a=1")
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["k"] and listed[0]["Size"] == 3
    attrs = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert attrs["ObjectSize"] == 3


# ---- permissions ---------------------------------------------------------------


def test_existing_object_tag_condition(s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="public", Body=b"p", Tagging="security=public")
    s3.put_object(Bucket=b, Key="private", Body=b"q", Tagging="security=private")
    s3.put_object(Bucket=b, Key="untagged", Body=b"r")
    user = make_user(inline={"tagged-read": policy_doc(allow(
        "s3:GetObject", object_arn(b), condition={"StringEquals": {"s3:ExistingObjectTag/security":
                                                                   "public"}}))})
    expect_ok(user.s3.get_object, Bucket=b, Key="public",
              why="s3:ExistingObjectTag/security is public on this object")
    expect_error(user.s3.get_object, Bucket=b, Key="private", code="AccessDenied", status=403,
                 why="the object's tag does not match")
    expect_error(user.s3.get_object, Bucket=b, Key="untagged", code="AccessDenied", status=403,
                 why="an untagged object has no s3:ExistingObjectTag/security")
    # retagging the object changes the next decision
    s3.put_object_tagging(Bucket=b, Key="private", Tagging=tagset(security="public"))
    expect_ok(user.s3.get_object, Bucket=b, Key="private", why="the object was retagged public")


def test_request_object_tag_condition(s3, make_user, root_bucket):
    b = root_bucket()
    user = make_user(inline={"tagged-write": policy_doc(
        allow(["s3:PutObject", "s3:PutObjectTagging"], object_arn(b),
              condition={"StringEquals": {"s3:RequestObjectTag/team": "gid"}}))})
    expect_error(user.s3.put_object, Bucket=b, Key="untagged", Body=b"x", code="AccessDenied",
                 status=403, why="no s3:RequestObjectTag/team without tags")
    expect_error(user.s3.put_object, Bucket=b, Key="other", Body=b"x", Tagging="team=other",
                 code="AccessDenied", status=403, why="the tag's value does not match")
    expect_ok(user.s3.put_object, Bucket=b, Key="ok", Body=b"x", Tagging="team=gid",
              why="the request's tag matches")
    assert tags_of(s3, b, "ok") == {"team": "gid"}
    expect_ok(user.s3.put_object_tagging, Bucket=b, Key="ok", Tagging=tagset(team="gid", x="y"),
              why="PutObjectTagging's body tags are s3:RequestObjectTag keys")
    expect_error(user.s3.put_object_tagging, Bucket=b, Key="ok", Tagging=tagset(team="nope"),
                 code="AccessDenied", status=403, why="the body's tag does not match")
    assert tags_of(s3, b, "ok") == {"team": "gid", "x": "y"}


def test_request_object_tag_keys_condition(s3, make_user, root_bucket):
    b = root_bucket()
    user = make_user(inline={"only-team-tags": policy_doc(
        allow(["s3:PutObject", "s3:PutObjectTagging"], object_arn(b)),
        deny("s3:PutObjectTagging", object_arn(b),
             condition={"ForAnyValue:StringNotEquals": {"s3:RequestObjectTagKeys": ["team"]}}))})
    expect_ok(user.s3.put_object, Bucket=b, Key="k", Body=b"x", Tagging="team=gid",
              why="only the allowed tag key")
    expect_error(user.s3.put_object, Bucket=b, Key="k", Body=b"x", Tagging="team=gid&cost=1",
                 code="AccessDenied", status=403, why="a tag key outside the allowed set is denied")


def test_put_object_with_tags_needs_put_object_tagging(s3, make_user, root_bucket):
    b = root_bucket()
    user = make_user(inline={"put-only": policy_doc(allow("s3:PutObject", object_arn(b)))})
    expect_ok(user.s3.put_object, Bucket=b, Key="plain", Body=b"x", why="no tags: s3:PutObject")
    expect_error(user.s3.put_object, Bucket=b, Key="tagged", Body=b"x", Tagging="a=1",
                 code="AccessDenied", status=403,
                 why="tags on PutObject need s3:PutObjectTagging too (AWS)")


def test_tagging_actions_are_their_own(s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"x", Tagging="a=1")
    reader = make_user(inline={"read": policy_doc(allow("s3:GetObject", object_arn(b)))})
    expect_error(reader.s3.get_object_tagging, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="GetObjectTagging needs s3:GetObjectTagging, not s3:GetObject")
    tagger = make_user(inline={"tag": policy_doc(allow(["s3:GetObjectTagging",
                                                        "s3:DeleteObjectTagging"], object_arn(b)))})
    expect_ok(tagger.s3.get_object_tagging, Bucket=b, Key="k", why="s3:GetObjectTagging")
    expect_ok(tagger.s3.delete_object_tagging, Bucket=b, Key="k", why="s3:DeleteObjectTagging")
    expect_error(tagger.s3.put_bucket_tagging, Bucket=b, Tagging=tagset(a="b"), code="AccessDenied",
                 status=403, why="PutBucketTagging needs s3:PutBucketTagging")


def test_head_of_missing_key_uses_prefix_condition(s3, accounts, root_bucket):
    b = root_bucket()
    s3.put_bucket_policy(Bucket=b, Policy=policy_doc(allow(
        "s3:ListBucket", f"arn:aws:s3:::{b}", principal={"AWS": "*"},
        condition={"StringLike": {"s3:prefix": "public/*"}})))
    other = accounts.second()
    resp = error_of(other.s3.head_object, Bucket=b, Key="public/object")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 404, \
        "the key is within the prefix the caller may list: 404"
    resp = error_of(other.s3.head_object, Bucket=b, Key="private/object")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 403, "outside it: 403"


def test_post_form_tagging(s3, bucket, endpoint):
    post = s3.generate_presigned_post(bucket, "form-upload", Fields={
        "tagging": "<Tagging><TagSet><Tag><Key>src</Key><Value>form</Value></Tag></TagSet></Tagging>"},
        Conditions=[{"tagging": "<Tagging><TagSet><Tag><Key>src</Key><Value>form</Value></Tag>"
                                "</TagSet></Tagging>"}])
    r = requests.post(post["url"], data=post["fields"], files={"file": ("f.csv", b"a,b\n")})
    assert r.status_code == 204, r.text
    assert tags_of(s3, bucket, "form-upload") == {"src": "form"}
