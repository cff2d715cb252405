"""STS on pail's endpoint (SigV4 service `sts`), from the STS API reference:
GetCallerIdentity (root, user, role session, the CLI), GetSessionToken,
AssumeRole (trust policies that name the user or the account, explicit
denies, ExternalId, DurationSeconds, MaxSessionDuration, session policies),
and temporary credentials on S3 (x-amz-security-token; missing or tampered
tokens). Expiry itself is left to a unit test (the shortest session is 900 s).

Rules: GetCallerIdentity needs no permission, even against an explicit deny;
a role's trust policy must allow the caller, and when it names the account
(arn:aws:iam::ACCOUNT:root) rather than the user, the caller's identity
policy must allow sts:AssumeRole too; a session's permissions are the
intersection of the role's policies and the session policies; roles may not
be assumed by root accounts; GetSessionToken's root sessions are capped at
one hour."""
import datetime as dt
import json
import re
import uuid

import pytest

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (S3_FULL, S3_READ, accounts, allow, attempt, bucket_arn, deny,  # noqa: F401
                       denied_message, expect_error, expect_ok, iam, make_role, make_user, object_arn,
                       policy_doc, root, root_bucket, run_aws, service_client, session_principal, sts,
                       trust_policy, delete_user_fully, delete_role_fully, create_user)

SKEW = 120  # seconds of slack for Expiration checks


def uid():
    return uuid.uuid4().hex[:10]


def near(when, seconds):
    now = dt.datetime.now(dt.timezone.utc)
    return abs((when - now).total_seconds() - seconds) <= SKEW


def unchecked_sts(principal):
    """An STS client that lets botocore send out-of-range values (the server must refuse them)."""
    return service_client("sts", principal.endpoint, principal.access_key, principal.secret_key,
                          principal.token, parameter_validation=False)


# ----------------------------------------------------- GetCallerIdentity
def test_get_caller_identity_root(sts):
    r = expect_ok(sts.get_caller_identity, why="GetCallerIdentity needs no permission")
    assert re.match(r"^\d{12}$", r["Account"]), r
    assert r["Arn"] == "arn:aws:iam::%s:root" % r["Account"], "the root's ARN is arn:aws:iam::ACCT:root"
    assert r["UserId"] == r["Account"], "for the account root, UserId is the account id"


def test_get_caller_identity_user_without_policies(iam, make_user, root):
    user = make_user()
    r = expect_ok(user.sts.get_caller_identity, why="GetCallerIdentity needs no permission")
    assert r["Arn"] == user.arn and r["Account"] == root.account_id
    assert r["UserId"] == iam.get_user(UserName=user.name)["User"]["UserId"], \
        "for an IAM user, UserId is the user's unique id (AIDA...)"


def test_get_caller_identity_despite_explicit_deny(make_user):
    user = make_user(inline={"no": policy_doc(deny("sts:GetCallerIdentity", "*"))})
    expect_ok(user.sts.get_caller_identity,
              why="'If an administrator attaches a policy that explicitly denies sts:GetCallerIdentity, "
                  "you can still perform this operation'")


def test_get_caller_identity_cli(run_aws, make_user, root):
    out = run_aws(None, "sts", "get-caller-identity")
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert j["Account"] == root.account_id and j["Arn"] == "arn:aws:iam::%s:root" % root.account_id
    user = make_user()
    out = run_aws(user, "sts", "get-caller-identity")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == user.arn


def test_sts_unknown_key_and_wrong_secret(server):
    bad = service_client("sts", server.endpoint, "AKIAIOSFODNN7EXAMPLE", "x" * 40)
    expect_error(bad.get_caller_identity, code="InvalidClientTokenId", status=403,
                 why="STS: an unknown access key is InvalidClientTokenId",
                 message="The security token included in the request is invalid.")
    wrong = service_client("sts", server.endpoint, server.access_key, server.secret_key[:-1] + "X")
    expect_error(wrong.get_caller_identity, code="SignatureDoesNotMatch", status=403,
                 why="STS: a signature made with the wrong secret")


# ------------------------------------------------------- GetSessionToken
def test_get_session_token_has_the_users_permissions(s3, make_user, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user(managed=[S3_READ])
    r = expect_ok(user.sts.get_session_token, why="an IAM user may call GetSessionToken")
    c = r["Credentials"]
    assert re.match(r"^ASIA[A-Z0-9]{16}$", c["AccessKeyId"]), \
        "temporary access key ids start with ASIA: %r" % c["AccessKeyId"]
    assert len(c["SecretAccessKey"]) == 40 and c["SessionToken"]
    assert near(c["Expiration"], 43200), "GetSessionToken's default duration is 12 hours"
    sess = session_principal(user.endpoint, r, kind="session")
    assert expect_ok(sess.sts.get_caller_identity, why="a session may call GetCallerIdentity")["Arn"] \
        == user.arn, "a GetSessionToken session is the user itself"
    expect_ok(sess.s3.get_object, Bucket=b, Key="k", why="the session has the user's permissions")
    expect_error(sess.s3.put_object, Bucket=b, Key="n", Body=b"x", code="AccessDenied", status=403,
                 why="... and no more",
                 message=denied_message(user.arn, "s3:PutObject", object_arn(b, "n"),
                                        "no identity-based policy allows"))


def test_get_session_token_duration(make_user):
    user = make_user()
    c = expect_ok(user.sts.get_session_token, DurationSeconds=900, why="900 s is the minimum")["Credentials"]
    assert near(c["Expiration"], 900)
    expect_error(unchecked_sts(user).get_session_token, DurationSeconds=899, code="ValidationError",
                 status=400, why="DurationSeconds below 900 is refused")
    expect_error(unchecked_sts(user).get_session_token, DurationSeconds=129601, code="ValidationError",
                 status=400, why="DurationSeconds above 129600 (36 h) is refused")


def test_get_session_token_root_capped_at_one_hour(sts):
    c = expect_ok(sts.get_session_token, DurationSeconds=7200,
                  why="the root may call GetSessionToken")["Credentials"]
    assert near(c["Expiration"], 3600), \
        "'the session for AWS account owners defaults to one hour' when more is asked"


def test_get_session_token_from_a_session_is_refused(make_user):
    user = make_user()
    sess = session_principal(user.endpoint, user.sts.get_session_token(), kind="session")
    expect_error(sess.sts.get_session_token, code="AccessDenied", status=403,
                 why="GetSessionToken cannot be called with session credentials")


# ------------------------------------------------------------ AssumeRole
def test_assume_role_trust_naming_the_user(make_user, make_role, root):
    user = make_user()
    role = make_role(trust=user.arn, managed=[S3_READ])
    r = expect_ok(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="analysis",
                  why="the trust policy names the user: no identity permission is needed in the same account")
    au = r["AssumedRoleUser"]
    arn = "arn:aws:sts::%s:assumed-role/%s/analysis" % (root.account_id, role["RoleName"])
    assert au["Arn"] == arn, "a role session's ARN is arn:aws:sts::ACCT:assumed-role/ROLE/SESSION"
    assert au["AssumedRoleId"] == role["RoleId"] + ":analysis", "AssumedRoleId is ROLEID:SESSION"
    c = r["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and c["SessionToken"]
    assert near(c["Expiration"], 3600), "AssumeRole's default duration is one hour"
    sess = session_principal(user.endpoint, r)
    ident = expect_ok(sess.sts.get_caller_identity, why="GetCallerIdentity of a role session")
    assert ident["Arn"] == arn and ident["UserId"] == au["AssumedRoleId"]
    assert ident["Account"] == root.account_id


def test_assume_role_trust_naming_the_account_needs_identity_permission(iam, make_user, make_role, root):
    user = make_user()
    role = make_role(trust="arn:aws:iam::%s:root" % root.account_id)
    out = expect_error(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess",
                       code="AccessDenied", status=403,
                       why="a trust policy naming the account delegates to the account's IAM "
                           "policies: the user needs sts:AssumeRole")
    assert out.message.startswith("User: %s is not authorized to perform: sts:AssumeRole on resource: %s"
                                  % (user.arn, role["Arn"])), out.message
    iam.put_user_policy(UserName=user.name, PolicyName="assume", PolicyDocument=policy_doc(
        allow("sts:AssumeRole", role["Arn"])))
    expect_ok(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess",
              why="trust policy (account) + identity policy (sts:AssumeRole) both allow")


def test_assume_role_not_trusted(make_user, make_role):
    trusted = make_user(keys=False)
    caller = make_user(inline={"any": policy_doc(allow("sts:AssumeRole", "*"))})
    role = make_role(trust=trusted.arn)
    expect_error(caller.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess", code="AccessDenied",
                 status=403, why="role trust policies must allow the caller, whatever its identity policy says")


def test_assume_role_trust_with_explicit_deny(make_user, make_role, root):
    user = make_user(inline={"any": policy_doc(allow("sts:AssumeRole", "*"))})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % root.account_id},
         "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole"}]})
    role = make_role(trust=trust)
    expect_error(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess", code="AccessDenied",
                 status=403, why="an explicit Deny in the trust policy wins")


def test_assume_role_external_id_condition(make_user, make_role):
    user = make_user()
    role = make_role(trust=trust_policy(user.arn, condition={"StringEquals": {"sts:ExternalId": "xyz-42"}}))
    expect_error(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess", code="AccessDenied",
                 status=403, why="the trust policy's sts:ExternalId condition is not met")
    expect_error(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess", ExternalId="wrong-1",
                 code="AccessDenied", status=403, why="a different ExternalId")
    expect_ok(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess", ExternalId="xyz-42",
              why="the ExternalId matches")


def test_assume_role_by_root_is_refused(sts, make_role, root):
    role = make_role(trust="arn:aws:iam::%s:root" % root.account_id)
    expect_error(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess", code="AccessDenied",
                 status=403, why="AWS: 'Roles may not be assumed by root accounts.'",
                 message="Roles may not be assumed by root accounts.")


def test_assume_unknown_role(make_user, root):
    user = make_user(inline={"any": policy_doc(allow("sts:AssumeRole", "*"))})
    expect_error(user.sts.assume_role, RoleArn="arn:aws:iam::%s:role/none-%s" % (root.account_id, uid()),
                 RoleSessionName="sess", code="AccessDenied", status=403,
                 why="assuming a role that does not exist is AccessDenied")


def test_assume_role_duration_seconds(make_user, make_role):
    user = make_user()
    role = make_role(trust=user.arn)
    c = expect_ok(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess", DurationSeconds=900,
                  why="900 s is the minimum")["Credentials"]
    assert near(c["Expiration"], 900)
    expect_error(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="sess", DurationSeconds=7200,
                 code="ValidationError", status=400,
                 why="more than the role's MaxSessionDuration (default 3600)",
                 message="The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    expect_error(unchecked_sts(user).assume_role, RoleArn=role["Arn"], RoleSessionName="sess",
                 DurationSeconds=899, code="ValidationError", status=400, why="below 900 s")
    long_role = make_role(trust=user.arn, max_session=7200)
    c = expect_ok(user.sts.assume_role, RoleArn=long_role["Arn"], RoleSessionName="sess",
                  DurationSeconds=7200, why="MaxSessionDuration=7200 allows two hours")["Credentials"]
    assert near(c["Expiration"], 7200)


def test_assume_role_invalid_session_name(make_user, make_role):
    user = make_user()
    role = make_role(trust=user.arn)
    expect_error(unchecked_sts(user).assume_role, RoleArn=role["Arn"], RoleSessionName="has space!",
                 code="ValidationError", status=400, why="RoleSessionName must match [\\w+=,.@-]{2,64}")


def test_role_session_has_the_roles_permissions(iam, s3, make_user, make_role, root, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user()
    role = make_role(trust=user.arn, managed=[S3_READ])
    sess = session_principal(user.endpoint, user.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1"))
    expect_ok(sess.s3.get_object, Bucket=b, Key="k", why="the role allows s3:GetObject")
    expect_ok(sess.s3.list_objects_v2, Bucket=b, why="the role allows s3:ListBucket")
    expect_error(sess.s3.put_object, Bucket=b, Key="n", Body=b"x", code="AccessDenied", status=403,
                 why="the role does not allow s3:PutObject",
                 message=denied_message(sess.arn, "s3:PutObject", object_arn(b, "n"),
                                        "no identity-based policy allows"))
    iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=S3_READ)
    expect_error(sess.s3.get_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="a session's permissions are the role's as they are now, at each request")


def test_session_policy_narrows(s3, make_user, make_role, root_bucket):
    b = root_bucket()
    for k in ("a/1", "b/1"):
        s3.put_object(Bucket=b, Key=k, Body=b"1")
    user = make_user()
    role = make_role(trust=user.arn, managed=[S3_READ])
    r = expect_ok(user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="narrow",
                  Policy=policy_doc(allow(["s3:GetObject", "s3:PutObject"], object_arn(b, "a/*"))),
                  why="AssumeRole with an inline session policy")
    sess = session_principal(user.endpoint, r)
    expect_ok(sess.s3.get_object, Bucket=b, Key="a/1", why="role and session policy both allow a/*")
    expect_error(sess.s3.get_object, Bucket=b, Key="b/1", code="AccessDenied", status=403,
                 why="the session policy does not cover b/*",
                 message=denied_message(sess.arn, "s3:GetObject", object_arn(b, "b/1"),
                                        "no session policy allows"))
    expect_error(sess.s3.put_object, Bucket=b, Key="a/2", Body=b"x", code="AccessDenied", status=403,
                 why="a session policy cannot grant what the role does not allow")


def test_session_policy_arns(s3, make_user, make_role, root_bucket):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user()
    role = make_role(trust=user.arn, managed=[S3_FULL])
    sess = session_principal(user.endpoint, expect_ok(
        user.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="ro", PolicyArns=[{"arn": S3_READ}],
        why="managed session policies (PolicyArns)"))
    expect_ok(sess.s3.get_object, Bucket=b, Key="k", why="allowed by the role and the session policy")
    expect_error(sess.s3.delete_object, Bucket=b, Key="k", code="AccessDenied", status=403,
                 why="AmazonS3ReadOnlyAccess as a session policy removes s3:DeleteObject")


def test_cross_account_assume_role(accounts, make_role, root, s3, root_bucket, server):
    other = accounts.second()
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    role = make_role(trust="arn:aws:iam::%s:root" % other.account_id, managed=[S3_READ])
    ouser = create_user(other.iam, server.endpoint)
    try:
        expect_error(ouser.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="xacct",
                     code="AccessDenied", status=403,
                     why="cross-account: the trust policy allows the account, but the caller's own "
                         "account must also allow sts:AssumeRole")
        other.iam.put_user_policy(UserName=ouser.name, PolicyName="assume", PolicyDocument=policy_doc(
            allow("sts:AssumeRole", role["Arn"])))
        r = expect_ok(ouser.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="xacct",
                      why="both sides allow")
        sess = session_principal(server.endpoint, r)
        ident = sess.sts.get_caller_identity()
        assert ident["Account"] == root.account_id, "a role session belongs to the role's account"
        expect_ok(sess.s3.get_object, Bucket=b, Key="k", why="the session is a principal of the bucket's account")
    finally:
        delete_user_fully(other.iam, ouser.name)


# -------------------------------------------- temporary credentials on S3
def test_session_token_missing_or_tampered(s3, make_user, make_role, root_bucket, server):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user()
    role = make_role(trust=user.arn, managed=[S3_READ])
    c = user.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="tok")["Credentials"]
    good = service_client("s3", server.endpoint, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    expect_ok(good.get_object, Bucket=b, Key="k", why="x-amz-security-token carries the session")
    no_token = service_client("s3", server.endpoint, c["AccessKeyId"], c["SecretAccessKey"])
    expect_error(no_token.get_object, Bucket=b, Key="k", code="InvalidAccessKeyId", status=403,
                 why="a temporary key without its session token is not a known access key")
    tok = c["SessionToken"]
    flipped = tok[:len(tok) // 2] + ("A" if tok[len(tok) // 2] != "A" else "B") + tok[len(tok) // 2 + 1:]
    bad = service_client("s3", server.endpoint, c["AccessKeyId"], c["SecretAccessKey"], flipped)
    expect_error(bad.get_object, Bucket=b, Key="k", code="InvalidToken", status=400,
                 why="S3: a malformed or altered session token is 400 InvalidToken")
    bad_sts = service_client("sts", server.endpoint, c["AccessKeyId"], c["SecretAccessKey"], flipped)
    expect_error(bad_sts.get_caller_identity, code="InvalidClientTokenId", status=403,
                 why="STS: an altered session token is InvalidClientTokenId")


def test_session_token_of_another_session(s3, make_user, make_role, root_bucket, server):
    b = root_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    user = make_user()
    role = make_role(trust=user.arn, managed=[S3_READ])
    c1 = user.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="one")["Credentials"]
    c2 = user.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="two")["Credentials"]
    mixed = service_client("s3", server.endpoint, c1["AccessKeyId"], c1["SecretAccessKey"], c2["SessionToken"])
    out = attempt(mixed.get_object, Bucket=b, Key="k")
    assert not out.ok and out.status in (400, 403) and out.code in ("InvalidToken", "InvalidAccessKeyId",
                                                                   "AccessDenied"), \
        "a session token belongs to its own key: another session's token must be refused; pail %r" % out
