"""Accounts: `pail admin account create/list/delete`, each account's own
buckets in ListBuckets, Owner (canonical id + display name) in ListBuckets,
ListObjects and GetBucketAcl, the global bucket namespace, and what another
account may do to a bucket it was granted nothing on.

AWS rules used: an account is a 12-digit id with a 64-hex canonical user id;
ListBuckets "returns a list of all buckets owned by the authenticated sender
of the request"; bucket names are unique across all accounts
(BucketAlreadyExists, 409) and re-creating your own bucket in us-east-1
answers 200 (legacy behaviour, see tests/e2e/README.md); a request from
another account needs a grant from the bucket owner; S3 adds the policy
context to AccessDenied messages only for same-account requests."""
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (ACCOUNT_ID_RE, CANONICAL_ID_RE, S3_FULL, accounts, allow, anon,  # noqa: F401
                       attempt, bucket_arn, expect_error, expect_ok, iam, make_user, object_arn,
                       pail_admin, policy_doc, root, root_bucket, create_user, delete_user_fully)


# ------------------------------------------------------------ pail admin
def test_admin_account_create_prints_ids_and_keys(accounts):
    acct = accounts.create("e2e-new-" + uuid.uuid4().hex[:8])
    assert ACCOUNT_ID_RE.match(acct.account_id), \
        "an AWS account id is 12 digits; `account-id:` printed %r" % acct.account_id
    assert CANONICAL_ID_RE.match(acct.canonical_id), \
        "an S3 canonical user id is 64 lower-case hex digits; `canonical-id:` printed %r" \
        % acct.canonical_id
    assert re.match(r"^[A-Z0-9]{16,128}$", acct.access_key), \
        "access key ids are 16-128 upper-case alphanumerics (IAM AccessKeyId); got %r" % acct.access_key
    assert len(acct.secret_key) == 40, \
        "AWS secret access keys are 40 characters; got %d" % len(acct.secret_key)


def test_admin_accounts_are_distinct(accounts, root):
    b = accounts.second()
    c = accounts.create("e2e-c-" + uuid.uuid4().hex[:8])
    ids = {root.account_id, b.account_id, c.account_id}
    assert len(ids) == 3, "every account has its own 12-digit id: %r" % ids
    canon = {root.canonical_id, b.canonical_id, c.canonical_id}
    assert len(canon) == 3, "every account has its own canonical id: %r" % canon
    assert len({root.access_key, b.access_key, c.access_key}) == 3


def test_admin_account_ids_match_what_aws_apis_report(accounts):
    b = accounts.second()
    ident = expect_ok(b.sts.get_caller_identity,
                      why="GetCallerIdentity needs no permission and names the caller")
    assert ident["Account"] == b.account_id, \
        "GetCallerIdentity's Account is the account's 12-digit id"
    assert ident["Arn"] == "arn:aws:iam::%s:root" % b.account_id, \
        "an account root's ARN is arn:aws:iam::ACCOUNT:root"
    owner = expect_ok(b.s3.list_buckets, why="an account root may list its buckets")["Owner"]
    assert owner["ID"] == b.canonical_id, \
        "ListBuckets' Owner/ID is the caller's account canonical id"


def test_admin_account_create_duplicate_name_fails(accounts, pail_admin):
    name = "e2e-dup-" + uuid.uuid4().hex[:8]
    accounts.create(name)
    proc = pail_admin("account", "create", name, "--email", name + "-2@example.com")
    assert proc.returncode != 0, \
        "account names are unique: a second `account create %s` must fail\n%s" % (name, proc.stdout)


def test_admin_account_create_duplicate_email_fails(accounts, pail_admin):
    # AWS: an email address belongs to one account only.
    name = "e2e-em-" + uuid.uuid4().hex[:8]
    accounts.create(name, email=name + "@example.com")
    other = "e2e-em2-" + uuid.uuid4().hex[:8]
    proc = pail_admin("account", "create", other, "--email", name + "@example.com")
    if proc.returncode == 0:
        pail_admin("account", "delete", other)
    assert proc.returncode != 0, \
        "an email address belongs to one account: a second account with it must be refused"


def test_admin_account_list_and_delete(accounts, pail_admin, server):
    acct = accounts.create("e2e-del-" + uuid.uuid4().hex[:8])
    listed = pail_admin("account", "list")
    assert listed.returncode == 0, listed.stderr
    assert acct.name in listed.stdout and acct.account_id in listed.stdout, \
        "`account list` names every account with its id:\n%s" % listed.stdout
    expect_ok(acct.s3.list_buckets, why="a new account's root key works at once")
    gone = pail_admin("account", "delete", acct.name)
    assert gone.returncode == 0, "`account delete NAME` should succeed: %s" % gone.stderr
    listed = pail_admin("account", "list")
    assert acct.account_id not in listed.stdout, "a deleted account is no longer listed"
    expect_error(acct.s3.list_buckets, code="InvalidAccessKeyId", status=403,
                 why="a deleted account's keys no longer exist: S3 answers InvalidAccessKeyId")


def test_admin_account_delete_by_id(accounts, pail_admin):
    acct = accounts.create("e2e-delid-" + uuid.uuid4().hex[:8])
    gone = pail_admin("account", "delete", acct.account_id)
    assert gone.returncode == 0, "`account delete ID` should succeed: %s" % gone.stderr
    expect_error(acct.s3.list_buckets, code="InvalidAccessKeyId", status=403,
                 why="a deleted account's keys no longer exist")


def test_admin_account_delete_unknown_fails(pail_admin):
    proc = pail_admin("account", "delete", "no-such-account-" + uuid.uuid4().hex[:8])
    assert proc.returncode != 0, "deleting an account that does not exist must fail"


# ------------------------------------------------------------ ListBuckets
def test_list_buckets_shows_only_the_callers_buckets(accounts, s3, root_bucket):
    b = accounts.second()
    mine = root_bucket()
    theirs = "pail-b-" + uuid.uuid4().hex[:16]
    expect_ok(b.s3.create_bucket, Bucket=theirs, why="any account may create a free bucket name")
    try:
        a_names = [x["Name"] for x in s3.list_buckets()["Buckets"]]
        b_names = [x["Name"] for x in b.s3.list_buckets()["Buckets"]]
        assert mine in a_names, "ListBuckets lists the caller's own buckets"
        assert theirs not in a_names, \
            "ListBuckets lists only buckets owned by the caller's account, not another account's"
        assert theirs in b_names and mine not in b_names, \
            "the second account sees its own bucket and not the first account's"
    finally:
        b.s3.delete_bucket(Bucket=theirs)


def test_list_buckets_of_iam_user_shows_the_accounts_buckets(make_user, root_bucket):
    name = root_bucket()
    user = make_user(managed=[S3_FULL])
    names = [x["Name"] for x in expect_ok(
        user.s3.list_buckets, why="AmazonS3FullAccess allows s3:ListAllMyBuckets")["Buckets"]]
    assert name in names, "an IAM user's ListBuckets lists its account's buckets"


def test_owner_in_list_buckets_acl_and_listings(s3, root, root_bucket):
    name = root_bucket()
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    owner = s3.list_buckets()["Owner"]
    assert CANONICAL_ID_RE.match(owner.get("ID", "")), \
        "ListBuckets' Owner/ID is the account's canonical id (64 hex): %r" % owner
    assert owner.get("DisplayName"), "ListBuckets' Owner carries a DisplayName: %r" % owner
    acl = expect_ok(s3.get_bucket_acl, Bucket=name, why="the bucket owner may read its ACL")
    assert acl["Owner"]["ID"] == owner["ID"], "GetBucketAcl's Owner is the bucket owner's canonical id"
    assert acl["Owner"].get("DisplayName") == owner["DisplayName"], \
        "the same account has the same DisplayName everywhere"
    v1 = s3.list_objects(Bucket=name)["Contents"][0]
    assert v1.get("Owner", {}).get("ID") == owner["ID"], \
        "ListObjects (v1) returns each object's Owner (writer's canonical id): %r" % v1
    assert v1["Owner"].get("DisplayName") == owner["DisplayName"]
    v2 = s3.list_objects_v2(Bucket=name)["Contents"][0]
    assert "Owner" not in v2, "ListObjectsV2 omits Owner unless FetchOwner=true"
    v2 = s3.list_objects_v2(Bucket=name, FetchOwner=True)["Contents"][0]
    assert v2.get("Owner", {}).get("ID") == owner["ID"], \
        "ListObjectsV2 with FetchOwner=true returns each object's Owner"


def test_owner_of_an_object_written_by_another_account(accounts, s3, root_bucket):
    # ObjectWriter (pail's default ownership, and AWS's before April 2023): the
    # account that uploads an object owns it.
    b = accounts.second()
    name = root_bucket()
    expect_ok(s3.put_bucket_policy, Bucket=name, Policy=policy_doc(
        allow("s3:PutObject", object_arn(name), principal={"AWS": "arn:aws:iam::%s:root" % b.account_id})),
        why="the bucket owner may set a bucket policy")
    expect_ok(b.s3.put_object, Bucket=name, Key="from-b", Body=b"b",
              why="cross-account: the bucket policy grants s3:PutObject to the account, whose root may do anything")
    s3.put_object(Bucket=name, Key="from-a", Body=b"a")
    owners = {o["Key"]: o.get("Owner", {}).get("ID")
              for o in s3.list_objects_v2(Bucket=name, FetchOwner=True)["Contents"]}
    assert owners == {"from-a": s3.list_buckets()["Owner"]["ID"], "from-b": b.canonical_id}, \
        "with ObjectWriter ownership each object is owned by the account that wrote it"


def test_each_account_has_its_own_owner(accounts, s3):
    b = accounts.second()
    a_owner = s3.list_buckets()["Owner"]
    b_owner = b.s3.list_buckets()["Owner"]
    assert a_owner["ID"] != b_owner["ID"]
    assert b_owner.get("DisplayName"), "every account's Owner carries a DisplayName"


# ------------------------------------------------------ global namespace
def test_bucket_name_taken_by_another_account(accounts, root_bucket):
    b = accounts.second()
    name = root_bucket()
    expect_error(b.s3.create_bucket, Bucket=name, code="BucketAlreadyExists", status=409,
                 why="bucket names are global: another account's name is BucketAlreadyExists")


def test_bucket_recreated_by_its_owner_us_east_1(s3, root_bucket):
    name = root_bucket()
    s3.put_object(Bucket=name, Key="keep", Body=b"1")
    r = expect_ok(s3.create_bucket, Bucket=name,
                  why="us-east-1 legacy: re-creating a bucket you own answers 200 OK")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket=name, Key="keep")["Body"].read() == b"1", "its contents stay"


def test_other_account_creates_then_owner_sees_conflict(accounts, s3):
    b = accounts.second()
    name = "pail-b-" + uuid.uuid4().hex[:16]
    expect_ok(b.s3.create_bucket, Bucket=name, why="a free name")
    try:
        expect_error(s3.create_bucket, Bucket=name, code="BucketAlreadyExists", status=409,
                     why="the name now belongs to the second account")
        expect_ok(b.s3.create_bucket, Bucket=name,
                  why="us-east-1 legacy: its owner re-creating it answers 200")
    finally:
        b.s3.delete_bucket(Bucket=name)


# --------------------------------------------- another account, no grants
def test_other_account_without_grants_is_denied(accounts, s3, root_bucket):
    b = accounts.second()
    name = root_bucket()
    s3.put_object(Bucket=name, Key="secret.csv", Body=b"a,b\n")
    why = "cross-account: the bucket owner granted nothing (no ACL grant, no bucket policy)"
    expect_error(b.s3.head_bucket, Bucket=name, code="403", status=403, why=why)
    expect_error(b.s3.list_objects_v2, Bucket=name, code="AccessDenied", status=403, why=why)
    expect_error(b.s3.get_object, Bucket=name, Key="secret.csv", code="AccessDenied", status=403, why=why)
    expect_error(b.s3.head_object, Bucket=name, Key="secret.csv", code="403", status=403, why=why)
    expect_error(b.s3.put_object, Bucket=name, Key="x", Body=b"x", code="AccessDenied", status=403,
                 why=why)
    expect_error(b.s3.delete_object, Bucket=name, Key="secret.csv", code="AccessDenied", status=403,
                 why=why)
    expect_error(b.s3.get_bucket_acl, Bucket=name, code="AccessDenied", status=403, why=why)
    expect_error(b.s3.delete_bucket, Bucket=name, code="AccessDenied", status=403, why=why)
    assert s3.get_object(Bucket=name, Key="secret.csv")["Body"].read() == b"a,b\n"


def test_other_account_missing_key_is_403_not_404(accounts, root_bucket):
    # Without s3:ListBucket a missing key is AccessDenied: S3 must not reveal
    # whether the key exists.
    b = accounts.second()
    name = root_bucket()
    expect_error(b.s3.get_object, Bucket=name, Key="missing", code="AccessDenied", status=403,
                 why="no s3:ListBucket permission: a missing key answers 403, not 404")


def test_other_account_nonexistent_bucket_is_404(accounts):
    b = accounts.second()
    expect_error(b.s3.list_objects_v2, Bucket="pail-none-" + uuid.uuid4().hex[:16],
                 code="NoSuchBucket", status=404, why="a bucket that exists nowhere is NoSuchBucket")


def test_cross_account_access_denied_message_is_plain(accounts, s3, root_bucket):
    # S3's enhanced messages ("User: ... is not authorized ...") are for
    # same-account requests only; another account gets "Access Denied".
    b = accounts.second()
    name = root_bucket()
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    expect_error(b.s3.get_object, Bucket=name, Key="k", code="AccessDenied", status=403,
                 message="Access Denied",
                 why="cross-account denials carry no policy context (same-account only)")


# --------------------------------------------------------- IAM namespaces
def test_iam_users_are_per_account(accounts, iam, server):
    b = accounts.second()
    name = "same-" + uuid.uuid4().hex[:8]
    ua = create_user(iam, server.endpoint, name=name, keys=False)
    try:
        ub = create_user(b.iam, server.endpoint, name=name, keys=False)
        try:
            assert ua.arn.split(":")[4] != ub.arn.split(":")[4], \
                "the same user name in two accounts gives two ARNs with their account ids"
            assert ub.arn == "arn:aws:iam::%s:user/%s" % (b.account_id, name)
            b_users = [u["UserName"] for u in b.iam.list_users()["Users"]]
            assert b_users.count(name) == 1, "ListUsers lists the caller's account's users only"
            a_arns = [u["Arn"] for u in iam.list_users()["Users"]]
            assert ub.arn not in a_arns, "another account's users are not listed"
        finally:
            delete_user_fully(b.iam, name)
    finally:
        delete_user_fully(iam, name)


def test_other_account_cannot_touch_this_accounts_users(accounts, make_user):
    b = accounts.second()
    user = make_user(keys=False)
    # The IAM API acts on the caller's own account: the name is unknown there.
    expect_error(b.iam.get_user, UserName=user.name, code="NoSuchEntity", status=404,
                 why="IAM names are per account: the other account has no such user")
    expect_error(b.iam.delete_user, UserName=user.name, code="NoSuchEntity", status=404,
                 why="IAM names are per account")
