"""Server access logging (issue 14 §5), as the S3 user guide describes it:
"Enabling Amazon S3 server access logging", "Permissions for log delivery",
"Amazon S3 server access log format", and the PutBucketLogging API.

AWS rules used:
- PutBucketLogging takes a BucketLoggingStatus: LoggingEnabled with
  TargetBucket, TargetPrefix, TargetGrants (FULL_CONTROL, READ, WRITE) and
  TargetObjectKeyFormat (SimplePrefix or PartitionedPrefix with
  PartitionDateSource EventTime|DeliveryTime); an empty one turns logging off.
  GetBucketLogging returns what was set.
- The target bucket must exist and be owned by the source bucket's account
  (InvalidTargetBucketForLogging); TargetGrants are refused when the target
  is BucketOwnerEnforced; the logging service must be allowed to write: a
  bucket policy granting {"Service": "logging.s3.amazonaws.com"} s3:PutObject
  (optionally with aws:SourceArn / aws:SourceAccount conditions), or the
  log-delivery-write ACL (LogDelivery WRITE and READ_ACP).
- Log objects: SimplePrefix TargetPrefix + YYYY-mm-DD-HH-MM-SS-UniqueString;
  PartitionedPrefix TargetPrefix + account/region/bucket/YYYY/MM/DD/
  YYYY-mm-DD-HH-MM-SS-UniqueString; one record per request, denied and
  anonymous ones included, in AWS's field order, parseable with the regular
  expression AWS documents (below, from the Athena table of "Using Amazon S3
  server access logs to identify requests").
- pail delivers every --log-delivery-seconds (2 here), at SIGTERM, and at
  start-up for what a killed process spooled.
"""
import io
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.parse
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, Server, make_client, module_pail, pail_bin
from perm_util import create_account

pytestmark = pytest.mark.own_server

# AWS's documented regular expression for a server access log record
# (Athena's RegexSerDe input.regex), one group per field.
AWS_LOG_RE = re.compile(
    r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$')
COLUMNS = ["bucketowner", "bucket_name", "requestdatetime", "remoteip", "requester", "requestid",
           "operation", "key", "request_uri", "httpstatus", "errorcode", "bytessent",
           "objectsize", "totaltime", "turnaroundtime", "referrer", "useragent", "versionid",
           "hostid", "sigv", "ciphersuite", "authtype", "endpoint", "tlsversion",
           "accesspointarn", "aclrequired"]
UA = "pail-e2e-logging/1.0"
SIMPLE_KEY_RE = r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-Z]{16}"


def parse_line(line):
    m = AWS_LOG_RE.fullmatch(line)
    assert m, "record does not match AWS's regular expression: %r" % line
    return dict(zip(COLUMNS, m.groups()))


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


def err_rid(exc):
    return exc.value.response["ResponseMetadata"]["RequestId"]


def add_ua(client):
    """Sends UA as the User-Agent, so that records can be checked against it."""
    def set_ua(request, **_):
        request.headers["User-Agent"] = UA
    client.meta.events.register_first("before-sign.s3.*", set_ua)
    return client


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def logsrv(tmp_path_factory):
    yield from module_pail(tmp_path_factory, "logging", ["--log-delivery-seconds", "2"])


@pytest.fixture(scope="module")
def ls3(logsrv):
    return add_ua(make_client(logsrv))


@pytest.fixture(scope="module")
def root_ids(ls3, logsrv):
    """(account id, canonical id) of the server's root."""
    sts = boto3.client("sts", endpoint_url=logsrv.endpoint, region_name="us-east-1",
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    account = sts.get_caller_identity()["Account"]
    return account, ls3.list_buckets()["Owner"]["ID"]


def delivery_policy(target, prefix, source=None, account=None):
    stmt = {"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::%s/%s*" % (target, prefix)}
    cond = {}
    if source:
        cond["ArnLike"] = {"aws:SourceArn": "arn:aws:s3:::%s" % source}
    if account:
        cond["StringEquals"] = {"aws:SourceAccount": account}
    if cond:
        stmt["Condition"] = cond
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


@pytest.fixture
def pair(ls3, root_ids):
    """pair(variant='policy'|'acl', prefix='logs/', fmt=None) -> (source, target):
    two fresh buckets, the target writable by the logging service, logging on."""
    made = []

    def make(variant="policy", prefix="logs/", fmt=None, grants=None):
        src, tgt = unique("src"), unique("tgt")
        ls3.create_bucket(Bucket=src)
        ls3.create_bucket(Bucket=tgt)
        made.extend([src, tgt])
        if variant == "policy":
            ls3.put_bucket_policy(Bucket=tgt, Policy=delivery_policy(tgt, prefix, src, root_ids[0]))
        else:
            ls3.put_bucket_acl(Bucket=tgt, ACL="log-delivery-write")
        enabled = {"TargetBucket": tgt, "TargetPrefix": prefix}
        if fmt:
            enabled["TargetObjectKeyFormat"] = fmt
        if grants:
            enabled["TargetGrants"] = grants
        ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": enabled})
        return src, tgt

    yield make
    for b in reversed(made):
        try:
            for o in ls3.list_objects_v2(Bucket=b).get("Contents", []):
                ls3.delete_object(Bucket=b, Key=o["Key"])
            ls3.delete_bucket(Bucket=b)
        except ClientError:
            pass


def log_objects(s3, target, prefix=""):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=target, Prefix=prefix).get("Contents", [])]


def read_records(s3, target, prefix=""):
    out = []
    for key in log_objects(s3, target, prefix):
        body = s3.get_object(Bucket=target, Key=key)["Body"].read().decode()
        out.extend(parse_line(line) for line in body.splitlines())
    return out


def wait_records(s3, target, request_ids, prefix="", timeout=20):
    """The delivered records, once every request id in request_ids is among them."""
    deadline = time.monotonic() + timeout
    while True:
        recs = read_records(s3, target, prefix)
        have = {r["requestid"] for r in recs}
        if set(request_ids) <= have or time.monotonic() > deadline:
            missing = set(request_ids) - have
            assert not missing, "records never delivered for %s (have %d records)" % (
                sorted(missing), len(recs))
            return recs


def by_id(recs, request_id, operation=None):
    got = [r for r in recs if r["requestid"] == request_id and
           (operation is None or r["operation"] == operation)]
    assert got, "no record %s %s" % (request_id, operation)
    return got[0]


def expect_error(call, code, status=400):
    with pytest.raises(ClientError) as e:
        call()
    assert e.value.response["Error"]["Code"] == code, e.value.response["Error"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    return e.value.response["Error"]


# ---------------------------------------------------------------- configuration
def test_config_round_trip_and_disable(ls3, pair, root_ids):
    src, tgt = pair("acl")
    cfg = ls3.get_bucket_logging(Bucket=src)["LoggingEnabled"]
    assert cfg == {"TargetBucket": tgt, "TargetPrefix": "logs/"}
    grants = [{"Grantee": {"Type": "CanonicalUser", "ID": root_ids[1]}, "Permission": "READ"},
              {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/"
                                                   "AuthenticatedUsers"},
               "Permission": "WRITE"}]
    ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": tgt, "TargetPrefix": "p/", "TargetGrants": grants,
        "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "DeliveryTime"}}}})
    cfg = ls3.get_bucket_logging(Bucket=src)["LoggingEnabled"]
    assert cfg["TargetPrefix"] == "p/"
    assert cfg["TargetObjectKeyFormat"] == {"PartitionedPrefix": {"PartitionDateSource":
                                                                  "DeliveryTime"}}
    got = sorted((g["Grantee"]["Type"], g["Grantee"].get("ID") or g["Grantee"].get("URI"),
                  g["Permission"]) for g in cfg["TargetGrants"])
    assert got == sorted([("CanonicalUser", root_ids[1], "READ"),
                          ("Group", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                           "WRITE")])
    ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": "",
                           "TargetObjectKeyFormat": {"SimplePrefix": {}}}})
    assert ls3.get_bucket_logging(Bucket=src)["LoggingEnabled"]["TargetObjectKeyFormat"] == {
        "SimplePrefix": {}}
    ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={})
    assert "LoggingEnabled" not in ls3.get_bucket_logging(Bucket=src)


def test_get_without_configuration_is_empty(ls3, pair):
    _, tgt = pair()
    assert "LoggingEnabled" not in ls3.get_bucket_logging(Bucket=tgt)


def test_missing_target_bucket(ls3, pair):
    src, _ = pair()
    err = expect_error(lambda: ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": unique("nope"), "TargetPrefix": "x/"}}),
        "InvalidTargetBucketForLogging")
    assert "does not exist" in err["Message"]


def test_target_of_another_account(ls3, pair, logsrv):
    src, _ = pair()
    other = create_account(logsrv, unique("logacct"))
    tgt = unique("foreign")
    other.s3.create_bucket(Bucket=tgt)
    try:
        other.s3.put_bucket_policy(Bucket=tgt, Policy=delivery_policy(tgt, ""))
        err = expect_error(lambda: ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": ""}}),
            "InvalidTargetBucketForLogging")
        assert err["Message"] == ("The owner for the bucket to be logged and the target bucket "
                                  "must be the same.")
    finally:
        other.s3.delete_bucket(Bucket=tgt)


def test_target_without_delivery_permission(ls3, pair):
    src, _ = pair()
    tgt = unique("closed")
    ls3.create_bucket(Bucket=tgt)
    try:
        err = expect_error(lambda: ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": "logs/"}}),
            "InvalidTargetBucketForLogging")
        assert "log-delivery group WRITE and READ_ACP" in err["Message"]
        # A policy for another prefix, or for another source bucket, does not do.
        ls3.put_bucket_policy(Bucket=tgt, Policy=delivery_policy(tgt, "elsewhere/"))
        expect_error(lambda: ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": "logs/"}}),
            "InvalidTargetBucketForLogging")
        ls3.put_bucket_policy(Bucket=tgt, Policy=delivery_policy(tgt, "logs/", "other-source"))
        expect_error(lambda: ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": "logs/"}}),
            "InvalidTargetBucketForLogging")
        ls3.put_bucket_policy(Bucket=tgt, Policy=delivery_policy(tgt, "logs/", src))
        ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": "logs/"}})
    finally:
        ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={})
        ls3.delete_bucket(Bucket=tgt)


def test_target_grants_refused_with_bucket_owner_enforced(ls3, pair, root_ids):
    src, tgt = pair("policy", prefix="")
    ls3.put_bucket_ownership_controls(Bucket=tgt, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    grants = [{"Grantee": {"Type": "CanonicalUser", "ID": root_ids[1]}, "Permission": "READ"}]
    expect_error(lambda: ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": "", "TargetGrants": grants}}),
        "AccessControlListNotSupported")
    # Without grants the policy is what counts: allowed.
    ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": ""}})


def test_malformed_configuration(ls3, pair):
    src, tgt = pair()
    expect_error(lambda: ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": "",
                           "TargetObjectKeyFormat": {"PartitionedPrefix": {
                               "PartitionDateSource": "Whenever"}}}}), "MalformedXML")
    expect_error(lambda: ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": tgt, "TargetPrefix": "", "TargetGrants": [
            {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
             "Permission": "WRITE_ACP"}]}}), "MalformedXML")


def test_logging_permissions_are_their_own_actions(ls3, pair, logsrv):
    """s3:GetBucketLogging / s3:PutBucketLogging: a user allowed only the
    first may read the configuration but not change it."""
    src, tgt = pair()
    iam = boto3.client("iam", endpoint_url=logsrv.endpoint, region_name="us-east-1",
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    name = unique("loguser")
    iam.create_user(UserName=name)
    try:
        iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                    "Action": "s3:GetBucketLogging",
                                                    "Resource": "*"}]}))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        user = make_client(logsrv, access_key=key["AccessKeyId"],
                           secret_key=key["SecretAccessKey"])
        assert user.get_bucket_logging(Bucket=src)["LoggingEnabled"]["TargetBucket"] == tgt
        expect_error(lambda: user.put_bucket_logging(Bucket=src, BucketLoggingStatus={}),
                     "AccessDenied", 403)
    finally:
        for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
        iam.delete_user_policy(UserName=name, PolicyName="read")
        iam.delete_user(UserName=name)


# ---------------------------------------------------------------- records and delivery
def test_records_of_signed_anonymous_denied_and_presigned_requests(ls3, pair, root_ids, logsrv):
    src, tgt = pair("policy", prefix="logs/")
    account, canonical = root_ids
    root_arn = "arn:aws:iam::%s:root" % account
    body = b"hello, log" * 10
    ids = {}
    ids["put"] = rid(ls3.put_object(Bucket=src, Key="dir/a file+1.txt", Body=body))
    ids["get"] = rid(ls3.get_object(Bucket=src, Key="dir/a file+1.txt"))
    ids["head"] = rid(ls3.head_object(Bucket=src, Key="dir/a file+1.txt"))
    ids["list"] = rid(ls3.list_objects_v2(Bucket=src, Prefix="dir/"))
    ls3.put_object(Bucket=src, Key="public.txt", Body=b"for all", ACL="public-read")
    r = requests.get("%s/%s/public.txt" % (logsrv.endpoint, src),
                     headers={"User-Agent": "anon-agent", "Referer": "http://example.com/page"})
    assert r.status_code == 200
    ids["anon"] = r.headers["x-amz-request-id"]
    r = requests.get("%s/%s/dir/a%%20file%%2B1.txt" % (logsrv.endpoint, src),
                     headers={"User-Agent": "anon-agent"})
    assert r.status_code == 403
    ids["denied"] = r.headers["x-amz-request-id"]
    bad = add_ua(make_client(logsrv, secret_key="wrong" + SECRET_KEY))
    with pytest.raises(ClientError) as e:
        bad.get_object(Bucket=src, Key="public.txt")
    ids["badsig"] = err_rid(e)
    url2 = make_client(logsrv).generate_presigned_url(
        "get_object", Params={"Bucket": src, "Key": "public.txt"}, ExpiresIn=300)
    url4 = make_client(logsrv, signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": src, "Key": "public.txt"}, ExpiresIn=300)
    r2, r4 = requests.get(url2), requests.get(url4)
    assert r2.status_code == r4.status_code == 200
    ids["presign2"], ids["presign4"] = r2.headers["x-amz-request-id"], r4.headers["x-amz-request-id"]
    ids["delete"] = rid(ls3.delete_object(Bucket=src, Key="dir/a file+1.txt"))
    recs = wait_records(ls3, tgt, ids.values(), prefix="logs/")

    for k in log_objects(ls3, tgt, "logs/"):
        assert re.fullmatch("logs/" + SIMPLE_KEY_RE, k), k
    for rec in recs:
        assert rec["bucketowner"] == canonical
        assert rec["bucket_name"] == src
        assert rec["remoteip"] == "127.0.0.1"
        assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000",
                            rec["requestdatetime"])
        assert rec["hostid"] == rec["requestid"]
        assert rec["ciphersuite"] == rec["tlsversion"] == rec["accesspointarn"] == "-"
        assert rec["versionid"] == "-"
        assert rec["endpoint"] == logsrv.endpoint.split("//")[1]
        assert rec["totaltime"].isdigit() and rec["turnaroundtime"].isdigit()

    put = by_id(recs, ids["put"])
    assert put["operation"] == "REST.PUT.OBJECT"
    assert put["key"] == "dir/a%20file%2B1.txt"
    assert put["request_uri"] == '"PUT /%s/dir/a%%20file%%2B1.txt HTTP/1.1"' % src
    assert put["httpstatus"] == "200" and put["errorcode"] == "-"
    assert put["objectsize"] == str(len(body)) and put["bytessent"] == "-"
    assert put["requester"] == root_arn
    assert put["useragent"] == '"%s"' % UA and put["referrer"] == '"-"'
    assert put["sigv"] == "SigV4" and put["authtype"] == "AuthHeader"
    assert put["aclrequired"] == "-"

    get = by_id(recs, ids["get"])
    assert get["operation"] == "REST.GET.OBJECT"
    assert get["bytessent"] == get["objectsize"] == str(len(body))
    head = by_id(recs, ids["head"])
    assert head["operation"] == "REST.HEAD.OBJECT" and head["bytessent"] == "-"
    lst = by_id(recs, ids["list"])
    assert lst["operation"] == "REST.GET.BUCKET" and lst["key"] == "-"
    assert lst["request_uri"].startswith('"GET /%s?list-type=2' % src)
    assert int(lst["bytessent"]) > 0

    anon = by_id(recs, ids["anon"])
    assert anon["requester"] == "-" and anon["sigv"] == "-" and anon["authtype"] == "-"
    assert anon["httpstatus"] == "200" and anon["useragent"] == '"anon-agent"'
    assert anon["referrer"] == '"http://example.com/page"'
    assert anon["aclrequired"] == "Yes"  # only the object's public-read ACL let it in

    denied = by_id(recs, ids["denied"])
    assert denied["httpstatus"] == "403" and denied["errorcode"] == "AccessDenied"
    assert denied["requester"] == "-" and denied["operation"] == "REST.GET.OBJECT"
    assert int(denied["bytessent"]) > 0  # the error document

    badsig = by_id(recs, ids["badsig"])
    assert badsig["httpstatus"] == "403" and badsig["errorcode"] == "SignatureDoesNotMatch"

    p2, p4 = by_id(recs, ids["presign2"]), by_id(recs, ids["presign4"])
    assert p2["sigv"] == "SigV2" and p4["sigv"] == "SigV4"
    assert p2["authtype"] == p4["authtype"] == "QueryString"
    assert p2["requester"] == p4["requester"] == root_arn
    assert "Signature=REDACTED" in p2["request_uri"]
    assert "X-Amz-Signature=REDACTED" in p4["request_uri"]
    assert SECRET_KEY not in json.dumps(recs)

    dele = by_id(recs, ids["delete"])
    assert dele["operation"] == "REST.DELETE.OBJECT" and dele["httpstatus"] == "204"


def test_records_of_an_iam_user_name_its_arn(ls3, pair, logsrv):
    src, tgt = pair()
    iam = boto3.client("iam", endpoint_url=logsrv.endpoint, region_name="us-east-1",
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    name = unique("reader")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    try:
        iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                    "Resource": "*"}]}))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        user = add_ua(make_client(logsrv, access_key=key["AccessKeyId"],
                                  secret_key=key["SecretAccessKey"]))
        i = rid(user.put_object(Bucket=src, Key="by-user", Body=b"x"))
        rec = by_id(wait_records(ls3, tgt, [i]), i)
        assert rec["requester"] == arn
    finally:
        for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
        iam.delete_user_policy(UserName=name, PolicyName="all")
        iam.delete_user(UserName=name)


def test_operation_names_multipart_copy_acl_policy_batch(ls3, pair):
    src, tgt = pair("acl", prefix="ops/")
    ids = []
    up = ls3.create_multipart_upload(Bucket=src, Key="big.bin")
    ids.append(("REST.POST.UPLOADS", rid(up)))
    part = ls3.upload_part(Bucket=src, Key="big.bin", UploadId=up["UploadId"], PartNumber=1,
                           Body=b"p" * (5 << 20))
    ids.append(("REST.PUT.PART", rid(part)))
    done = ls3.complete_multipart_upload(Bucket=src, Key="big.bin", UploadId=up["UploadId"],
                                         MultipartUpload={"Parts": [{"PartNumber": 1,
                                                                     "ETag": part["ETag"]}]})
    ids.append(("REST.POST.UPLOAD", rid(done)))
    ids.append(("REST.COPY.OBJECT", rid(ls3.copy_object(
        Bucket=src, Key="copy.bin", CopySource={"Bucket": src, "Key": "big.bin"}))))
    ids.append(("REST.GET.ACL", rid(ls3.get_object_acl(Bucket=src, Key="copy.bin"))))
    ids.append(("REST.PUT.ACL", rid(ls3.put_object_acl(Bucket=src, Key="copy.bin",
                                                       ACL="private"))))
    with pytest.raises(ClientError) as e:
        ls3.get_bucket_policy(Bucket=src)
    ids.append(("REST.GET.BUCKETPOLICY", err_rid(e)))
    ids.append(("REST.GET.LOGGING_STATUS", rid(ls3.get_bucket_logging(Bucket=src))))
    batch = ls3.delete_objects(Bucket=src, Delete={"Objects": [{"Key": "big.bin"},
                                                              {"Key": "copy.bin"}]})
    ids.append(("REST.POST.MULTI_OBJECT_DELETE", rid(batch)))
    recs = wait_records(ls3, tgt, [i for _, i in ids], prefix="ops/")
    for op, i in ids:
        by_id(recs, i, op)
    assert by_id(recs, ids[1][1])["objectsize"] == str(5 << 20)
    assert by_id(recs, ids[6][1])["errorcode"] == "NoSuchBucketPolicy"
    batch_recs = [r for r in recs if r["operation"] == "BATCH.DELETE.OBJECT"]
    assert sorted(r["key"] for r in batch_recs) == ["big.bin", "copy.bin"]
    assert all(r["requestid"] == rid(batch) and r["httpstatus"] == "204" for r in batch_recs)


def test_website_and_preflight_records(ls3, pair, logsrv):
    src, tgt = pair()
    ls3.put_object(Bucket=src, Key="index.html", Body=b"<h1>hi</h1>", ContentType="text/html",
                   ACL="public-read")
    ls3.put_bucket_website(Bucket=src, WebsiteConfiguration={"IndexDocument": {
        "Suffix": "index.html"}})
    port = logsrv.endpoint.rsplit(":", 1)[1]
    r = requests.get(logsrv.endpoint + "/", headers={
        "Host": "%s.s3-website.localhost:%s" % (src, port), "User-Agent": "browser"})
    assert r.status_code == 200
    web = r.headers["x-amz-request-id"]
    r = requests.options("%s/%s/index.html" % (logsrv.endpoint, src), headers={
        "Origin": "http://example.com", "Access-Control-Request-Method": "GET"})
    pre = r.headers["x-amz-request-id"]
    recs = wait_records(ls3, tgt, [web, pre])
    w = by_id(recs, web)
    assert w["operation"] == "WEBSITE.GET.OBJECT" and w["httpstatus"] == "200"
    assert w["requester"] == "-" and w["useragent"] == '"browser"'
    assert w["objectsize"] == w["bytessent"] == str(len(b"<h1>hi</h1>"))
    p = by_id(recs, pre)
    assert p["operation"] == "REST.OPTIONS.PREFLIGHT" and p["httpstatus"] == str(r.status_code)


def test_partitioned_prefix_keys(ls3, pair, root_ids):
    for source in ("EventTime", "DeliveryTime"):
        src, tgt = pair("acl", prefix="part/",
                        fmt={"PartitionedPrefix": {"PartitionDateSource": source}})
        i = rid(ls3.put_object(Bucket=src, Key="k", Body=b"v"))
        wait_records(ls3, tgt, [i], prefix="part/")
        keys = log_objects(ls3, tgt, "part/")
        day = time.strftime("%Y/%m/%d", time.gmtime())
        for k in keys:
            m = re.fullmatch(r"part/(\d{12})/us-east-1/([^/]+)/(\d{4}/\d{2}/\d{2})/(%s)"
                             % SIMPLE_KEY_RE, k)
            assert m, k
            assert m.group(1) == root_ids[0] and m.group(2) == src
            assert m.group(3) == day or abs(time.time() % 86400) < 60  # around midnight
            assert m.group(4)[:10].replace("-", "/") == m.group(3)


def test_log_objects_are_the_target_owners_text(ls3, pair, root_ids):
    reader = root_ids[1]
    src, tgt = pair("acl", prefix="own/", grants=[
        {"Grantee": {"Type": "CanonicalUser", "ID": reader}, "Permission": "READ"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
         "Permission": "READ"}])
    i = rid(ls3.put_object(Bucket=src, Key="x", Body=b"y"))
    wait_records(ls3, tgt, [i], prefix="own/")
    key = log_objects(ls3, tgt, "own/")[0]
    head = ls3.head_object(Bucket=tgt, Key=key)
    assert head["ContentType"] == "text/plain"
    acl = ls3.get_object_acl(Bucket=tgt, Key=key)
    assert acl["Owner"]["ID"] == root_ids[1]
    perms = {(g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"])
             for g in acl["Grants"]}
    assert (root_ids[1], "FULL_CONTROL") in perms
    assert ("http://acs.amazonaws.com/groups/global/AllUsers", "READ") in perms


def test_disabling_stops_new_records(ls3, pair):
    src, tgt = pair()
    before = rid(ls3.put_object(Bucket=src, Key="one", Body=b"1"))
    ls3.put_bucket_logging(Bucket=src, BucketLoggingStatus={})
    after = rid(ls3.put_object(Bucket=src, Key="two", Body=b"2"))
    recs = wait_records(ls3, tgt, [before])
    time.sleep(3)  # a delivery more
    recs = read_records(ls3, tgt)
    assert after not in {r["requestid"] for r in recs}


def test_pandas_reads_the_delivered_logs(ls3, pair):
    """What the course's users do: read the log objects into pandas and
    count requests per operation and status."""
    pd = pytest.importorskip("pandas")
    src, tgt = pair("policy", prefix="pd/")
    ids = [rid(ls3.put_object(Bucket=src, Key="f%d.csv" % n, Body=b"a,b\n1,2\n"))
           for n in range(3)]
    ids += [rid(ls3.get_object(Bucket=src, Key="f%d.csv" % n)) for n in range(3)]
    ids.append(requests.get(ls3.meta.endpoint_url + "/%s/f0.csv" % src).headers[
        "x-amz-request-id"])
    wait_records(ls3, tgt, ids, prefix="pd/")
    frames = []
    for key in log_objects(ls3, tgt, "pd/"):
        body = ls3.get_object(Bucket=tgt, Key=key)["Body"].read().decode()
        # The documented regular expression, as Athena applies it.
        frames.append(pd.Series(body.splitlines()).str.extract(AWS_LOG_RE.pattern))
    df = pd.concat(frames, ignore_index=True)
    df.columns = COLUMNS
    assert not df["operation"].isna().any()
    # And with read_csv: blanks separate fields, quotes group the quoted ones.
    raw = b"".join(ls3.get_object(Bucket=tgt, Key=k)["Body"].read()
                   for k in log_objects(ls3, tgt, "pd/"))
    csv = pd.read_csv(io.BytesIO(raw), sep=" ", quotechar='"', header=None,
                      names=COLUMNS[:2] + ["time", "tz"] + COLUMNS[3:], dtype=str)
    assert list(csv["operation"]) == list(df["operation"])
    counts = df.groupby("operation").size().to_dict()
    assert counts.get("REST.PUT.OBJECT") == 3
    assert counts.get("REST.GET.OBJECT") == 4
    statuses = df[df["operation"] == "REST.GET.OBJECT"].groupby("httpstatus").size().to_dict()
    assert statuses == {"200": 3, "403": 1}
    sent = pd.to_numeric(df["bytessent"].replace("-", "0")).sum()
    assert sent >= 3 * len(b"a,b\n1,2\n")


# ---------------------------------------------------------------- stop, crash, restart
def own_setup(proc):
    srv = Server(proc.endpoint, ACCESS_KEY, SECRET_KEY, proc)
    s3 = add_ua(make_client(srv))
    src, tgt = unique("src"), unique("tgt")
    s3.create_bucket(Bucket=src)
    s3.create_bucket(Bucket=tgt)
    s3.put_bucket_acl(Bucket=tgt, ACL="log-delivery-write")
    s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": tgt, "TargetPrefix": ""}})
    return s3, src, tgt


def test_sigterm_delivers_what_was_spooled(start_pail, tmp_path):
    data = tmp_path / "data"
    proc = start_pail(data, ["--log-delivery-seconds", "300"])
    s3, src, tgt = own_setup(proc)
    ids = [rid(s3.put_object(Bucket=src, Key="k%d" % n, Body=b"x")) for n in range(5)]
    assert log_objects(s3, tgt) == []  # not yet: five minutes
    assert proc.stop() == 0
    proc = start_pail(data, ["--log-delivery-seconds", "300"])
    s3 = make_client(Server(proc.endpoint, ACCESS_KEY, SECRET_KEY, proc))
    recs = read_records(s3, tgt)
    assert set(ids) <= {r["requestid"] for r in recs}


def test_sigkill_loses_no_acknowledged_request(start_pail, tmp_path):
    data = tmp_path / "data"
    proc = start_pail(data, ["--log-delivery-seconds", "300"])
    s3, src, tgt = own_setup(proc)
    ids = [rid(s3.put_object(Bucket=src, Key="k%d" % n, Body=b"x")) for n in range(20)]
    time.sleep(0.3)  # the last response is out before its record is spooled
    proc.proc.send_signal(signal.SIGKILL)
    proc.proc.wait()
    proc.returncode = 0  # killed on purpose
    assert list((data / "logspool").iterdir())
    proc = start_pail(data, ["--log-delivery-seconds", "300"])
    s3 = make_client(Server(proc.endpoint, ACCESS_KEY, SECRET_KEY, proc))
    recs = wait_records(s3, tgt, ids)
    assert len([r for r in recs if r["requestid"] in ids]) == len(ids)


def backup(data, dest):
    env = dict(os.environ, PAIL_ROOT_ACCESS_KEY=ACCESS_KEY, PAIL_ROOT_SECRET_KEY=SECRET_KEY)
    r = subprocess.run([pail_bin(), "admin", "backup", str(dest), "--data", str(data)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_backup_carries_undelivered_records(start_pail, tmp_path):
    """Records spooled but not yet delivered are part of the data directory:
    a backup copies them, and a server started on the copy delivers them."""
    data, dest = tmp_path / "data", tmp_path / "copy"
    proc = start_pail(data, ["--log-delivery-seconds", "300"])
    s3, src, tgt = own_setup(proc)
    ids = [rid(s3.put_object(Bucket=src, Key="k%d" % n, Body=b"x")) for n in range(5)]
    time.sleep(0.3)  # the last response is out before its record is spooled
    out = backup(data, dest)
    assert "1 access log spools" in out, out
    copy = start_pail(dest, ["--log-delivery-seconds", "300"])
    c2 = make_client(Server(copy.endpoint, ACCESS_KEY, SECRET_KEY, copy))
    recs = wait_records(c2, tgt, ids)
    assert sorted(r["requestid"] for r in recs if r["requestid"] in ids) == sorted(ids)
    assert proc.stop() == 0  # the original delivers its own spool as well
    proc = start_pail(data, ["--log-delivery-seconds", "300"])
    s3 = make_client(Server(proc.endpoint, ACCESS_KEY, SECRET_KEY, proc))
    assert set(ids) <= {r["requestid"] for r in read_records(s3, tgt)}


def test_backup_during_delivery_loses_and_repeats_no_record(start_pail, tmp_path):
    """Delivery every second while requests keep coming: each record of a
    request acknowledged before the backup is in the copy exactly once, as a
    delivered log object or in the copied spool, never in neither."""
    data, dest = tmp_path / "data", tmp_path / "copy"
    proc = start_pail(data, ["--log-delivery-seconds", "1"])
    s3, src, tgt = own_setup(proc)
    acked, stop = [], threading.Event()

    def load():
        c = make_client(Server(proc.endpoint, ACCESS_KEY, SECRET_KEY, proc))
        n = 0
        while not stop.is_set():
            acked.append((time.monotonic(), rid(c.put_object(Bucket=src, Key="k%d" % (n % 50),
                                                             Body=b"x"))))
            n += 1

    t = threading.Thread(target=load)
    t.start()
    try:
        time.sleep(3.5)  # deliveries have run, and keep running
        began = time.monotonic()
        backup(data, dest)
    finally:
        stop.set()
        t.join()
    before = [i for at, i in acked if at < began - 0.3]
    assert len(before) > 20 and log_objects(s3, tgt), "deliveries ran before the backup"
    assert proc.stop() == 0
    copy = start_pail(dest, ["--log-delivery-seconds", "300"])
    c2 = make_client(Server(copy.endpoint, ACCESS_KEY, SECRET_KEY, copy))
    recs = wait_records(c2, tgt, before)
    seen = [r["requestid"] for r in recs if r["requestid"] in set(before)]
    assert len(seen) == len(set(seen)), "a record delivered twice in the copy"


def test_target_gone_at_delivery_drops_with_a_warning(start_pail, tmp_path):
    proc = start_pail(tmp_path / "data", ["--log-delivery-seconds", "300"])
    s3, src, tgt = own_setup(proc)
    s3.put_object(Bucket=src, Key="k", Body=b"x")
    s3.delete_bucket(Bucket=tgt)  # still empty: nothing delivered yet
    assert proc.stop() == 0
    assert "target bucket %s is gone" % tgt in proc.stderr_text()
    assert list((tmp_path / "data" / "logspool").iterdir()) == []
