"""IAM SimulatePrincipalPolicy and SimulateCustomPolicy beyond the identity
side, as boto3 sees them.

AWS (IAM API reference, SimulatePrincipalPolicy / SimulateCustomPolicy /
EvaluationResult): a ResourcePolicy given in the call is evaluated as the
resource's policy — an explicit deny anywhere wins; within the resource
owner's account either side allows; across accounts (ResourceOwner another
account) both must — and its statements are MatchedStatements with
SourcePolicyType "resource". EvalDecisionDetails summarises each policy
type for cross-account simulations, is present but empty for a named
resource of the caller's account and absent for "*"; a named resource's
result is repeated in ResourceSpecificResults. CallerArn must be an IAM user.

pail's extension: with no ResourcePolicy, a ResourceArn naming a bucket or
object of this pail is decided as the S3 authorizer decides a real request
by that principal (bucket policy, ACLs, Object Ownership, Block Public
Access). Its bucket policy's statements are SourcePolicyId
"BucketPolicy:<bucket>", and EvalDecisionDetails gets "IAM Policy",
"Resource Policy", "ACL" and "Block Public Access" for the systems that had
a say. Every case is checked against what S3 does for the same request."""
import json
import uuid

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (S3_READ, accounts, allow, bucket_arn, create_user, deny,  # noqa: F401
                       delete_user_fully, expect_error, expect_ok, make_group, make_user,
                       object_arn, policy_doc, root_bucket)


def pretty(*statements):
    """A multi-line policy, so that statement positions have lines to check."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def start_line(doc, sid):
    """The line of the '{' opening the statement with this Sid (1-based)."""
    lines = doc.splitlines()
    at = next(i for i, line in enumerate(lines) if '"Sid": "%s"' % sid in line)
    assert lines[at - 1].strip() == "{", lines[at - 1]
    return at  # the line before the Sid's, 1-based


def only(result):
    assert len(result["EvaluationResults"]) == 1, result["EvaluationResults"]
    return result["EvaluationResults"][0]


def sources(r):
    return [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in r["MatchedStatements"]]


def simulate(iam, user, action, resource, **kw):
    return only(iam.simulate_principal_policy(PolicySourceArn=user.arn, ActionNames=[action],
                                              ResourceArns=[resource], **kw))


# ------------------------------------------------ the bucket policy decides
def test_bucket_policy_allows_a_user_without_identity_allow(iam, s3, make_user, root_bucket):
    b = root_bucket()
    user = make_user()
    doc = pretty(allow("s3:GetObject", object_arn(b), principal={"AWS": user.arn}, sid="Reader"))
    s3.put_bucket_policy(Bucket=b, Policy=doc)
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    r = simulate(iam, user, "s3:GetObject", object_arn(b, "k"))
    assert r["EvalDecision"] == "allowed", r
    assert sources(r) == [("BucketPolicy:%s" % b, "resource")], r
    m = r["MatchedStatements"][0]
    assert m["StartPosition"] == {"Line": start_line(doc, "Reader"), "Column": 5}, m
    assert m["EndPosition"]["Line"] > m["StartPosition"]["Line"], m
    assert r["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny",
                                        "Resource Policy": "allowed"}, r
    expect_ok(user.s3.get_object, Bucket=b, Key="k",
              why="S3 agrees: a bucket policy naming the user allows it in the owner's account")
    # an action the policy does not name: nothing allows it, on either side
    r = simulate(iam, user, "s3:PutObject", object_arn(b, "k"))
    assert r["EvalDecision"] == "implicitDeny" and r["MatchedStatements"] == [], r
    expect_error(user.s3.put_object, Bucket=b, Key="k", Body=b"2", code="AccessDenied", status=403,
                 why="S3 agrees: nothing allows s3:PutObject")
    # the identity side alone (no bucket of this pail): what it was before
    r = simulate(iam, user, "s3:GetObject", object_arn("no-such-" + uuid.uuid4().hex[:8], "k"))
    assert r["EvalDecision"] == "implicitDeny", r


def test_bucket_policy_deny_is_an_explicit_deny(iam, s3, make_user, root_bucket):
    b = root_bucket()
    user = make_user(managed=[S3_READ])
    doc = pretty(allow("s3:ListBucket", bucket_arn(b), principal="*", sid="List"),
                 deny("s3:GetObject", object_arn(b, "secret/*"), principal="*", sid="NoSecret"))
    s3.put_bucket_policy(Bucket=b, Policy=doc)
    s3.put_object(Bucket=b, Key="secret/x", Body=b"1")
    s3.put_object(Bucket=b, Key="open/x", Body=b"1")
    r = simulate(iam, user, "s3:GetObject", object_arn(b, "secret/x"))
    assert r["EvalDecision"] == "explicitDeny", r
    assert sources(r) == [("BucketPolicy:%s" % b, "resource")], \
        "only the Deny statement is shown (AWS: the deny statement is the only entry)"
    assert r["MatchedStatements"][0]["StartPosition"]["Line"] == start_line(doc, "NoSecret"), r
    assert r["EvalDecisionDetails"]["Resource Policy"] == "explicitDeny", r
    assert r["EvalDecisionDetails"]["IAM Policy"] == "allowed", r
    expect_error(user.s3.get_object, Bucket=b, Key="secret/x", code="AccessDenied", status=403,
                 why="S3 agrees: the bucket policy's Deny")
    r = simulate(iam, user, "s3:GetObject", object_arn(b, "open/x"))
    assert r["EvalDecision"] == "allowed", r
    assert sources(r) == [(S3_READ, "aws-managed")], \
        "allowed by the identity side alone: the bucket policy has no statement for it"
    expect_ok(user.s3.get_object, Bucket=b, Key="open/x", why="S3 agrees")


def test_bucket_policy_condition_keys_are_missing_context(iam, s3, make_user, root_bucket):
    b = root_bucket()
    user = make_user()
    s3.put_bucket_policy(Bucket=b, Policy=pretty(allow("s3:ListBucket", bucket_arn(b), principal={"AWS": user.arn},
                              sid="FromOffice",
                              condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    r = simulate(iam, user, "s3:ListBucket", bucket_arn(b))
    assert r["EvalDecision"] == "implicitDeny", r
    assert "aws:SourceIp" in r["MissingContextValues"], r
    r = simulate(iam, user, "s3:ListBucket", bucket_arn(b), ContextEntries=[
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"}])
    assert r["EvalDecision"] == "allowed", r
    assert r["MissingContextValues"] == [], r


# ------------------------------------------------------ ACLs, ownership, BPA
def test_ignore_public_acls_cross_account(iam, s3, accounts, root_bucket):
    other = accounts.second()
    b = root_bucket()
    s3.put_object(Bucket=b, Key="pub", Body=b"x", ACL="public-read")
    reader = create_other_user(other, managed=[S3_READ])
    try:
        r = simulate(other.iam, reader, "s3:GetObject", object_arn(b, "pub"))
        assert r["EvalDecision"] == "allowed", r
        assert r["EvalDecisionDetails"] == {"IAM Policy": "allowed", "ACL": "allowed"}, r
        expect_ok(reader.s3.get_object, Bucket=b, Key="pub",
                  why="S3 agrees: public-read reaches another account's user it allows")
        s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False})
        r = simulate(other.iam, reader, "s3:GetObject", object_arn(b, "pub"))
        assert r["EvalDecision"] == "implicitDeny", r
        assert r["EvalDecisionDetails"] == {"IAM Policy": "allowed", "ACL": "implicitDeny",
                                            "Block Public Access": "implicitDeny"}, r
        assert r["MatchedStatements"] == [], r
        expect_error(reader.s3.get_object, Bucket=b, Key="pub", code="AccessDenied", status=403,
                     why="S3 agrees: IgnorePublicAcls")
    finally:
        delete_user_fully(other.iam, reader.name)


def test_bucket_owner_enforced_turns_acl_grants_off(iam, s3, accounts, root_bucket):
    other = accounts.second()
    b = root_bucket()
    s3.put_object(Bucket=b, Key="named", Body=b"x", GrantRead='id="%s"' % other.canonical_id)
    reader = create_other_user(other, managed=[S3_READ])
    try:
        r = simulate(other.iam, reader, "s3:GetObject", object_arn(b, "named"))
        assert r["EvalDecision"] == "allowed", r
        expect_ok(reader.s3.get_object, Bucket=b, Key="named", why="S3 agrees: the account grant")
        s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        r = simulate(other.iam, reader, "s3:GetObject", object_arn(b, "named"))
        assert r["EvalDecision"] == "implicitDeny", r
        assert r["EvalDecisionDetails"]["ACL"] == "implicitDeny", r
        expect_error(reader.s3.get_object, Bucket=b, Key="named", code="AccessDenied", status=403,
                     why="S3 agrees: BucketOwnerEnforced turns ACLs off")
    finally:
        delete_user_fully(other.iam, reader.name)


def test_other_accounts_bucket_policy_statements_are_not_shown(iam, s3, accounts, root_bucket):
    other = accounts.second()
    b = root_bucket()
    reader = create_other_user(other, managed=[S3_READ])
    try:
        s3.put_bucket_policy(Bucket=b, Policy=pretty(allow("s3:GetObject", object_arn(b), principal={"AWS": reader.arn},
                                  sid="Partner")))
        s3.put_object(Bucket=b, Key="k", Body=b"1")
        r = simulate(other.iam, reader, "s3:GetObject", object_arn(b, "k"))
        assert r["EvalDecision"] == "allowed", r
        assert sources(r) == [(S3_READ, "aws-managed")], \
            "the bucket policy is the other account's document: its statements are not shown"
        assert r["EvalDecisionDetails"]["Resource Policy"] == "allowed", r
        expect_ok(reader.s3.get_object, Bucket=b, Key="k", why="S3 agrees: both sides allow")
    finally:
        delete_user_fully(other.iam, reader.name)


# ---------------------------------------------- ResourcePolicy in the call
def test_resource_policy_same_account(iam, make_user):
    user = make_user(keys=False)
    res = "arn:aws:s3:::sim-rp-%s/k" % uuid.uuid4().hex[:8]
    rp = pretty(allow("s3:GetObject", res, principal={"AWS": user.arn}, sid="Grant"))
    r = only(iam.simulate_custom_policy(
        PolicyInputList=[policy_doc(allow("s3:ListBucket", "*"))], ActionNames=["s3:GetObject"],
        ResourceArns=[res], ResourcePolicy=rp, CallerArn=user.arn))
    assert r["EvalDecision"] == "allowed", "same account: the resource policy alone allows"
    assert sources(r) == [("ResourcePolicy", "resource")], r
    assert r["MatchedStatements"][0]["StartPosition"]["Line"] == start_line(rp, "Grant"), r
    assert r["EvalDecisionDetails"] == {}, "same account, a named resource: present and empty"
    # SimulatePrincipalPolicy: the user's own (no) policies plus the ResourcePolicy
    r = simulate(iam, user, "s3:GetObject", res, ResourcePolicy=rp)
    assert r["EvalDecision"] == "allowed", r
    r = simulate(iam, user, "s3:PutObject", res, ResourcePolicy=rp)
    assert r["EvalDecision"] == "implicitDeny", r
    # a policy naming the account delegates to it: the identity side must allow
    acct = pretty(allow("s3:GetObject", res, principal={"AWS": "arn:aws:iam::%s:root"
                                                        % user.account_id}, sid="Acct"))
    r = simulate(iam, user, "s3:GetObject", res, ResourcePolicy=acct)
    assert r["EvalDecision"] == "implicitDeny", r
    # a Deny in the resource policy wins over the identity Allow
    r = only(iam.simulate_custom_policy(
        PolicyInputList=[policy_doc(allow("s3:*", "*"))], ActionNames=["s3:GetObject"],
        ResourceArns=[res], CallerArn=user.arn,
        ResourcePolicy=pretty(deny("s3:GetObject", res, principal="*", sid="No"))))
    assert r["EvalDecision"] == "explicitDeny", r
    assert sources(r) == [("ResourcePolicy", "resource")], r


def test_resource_policy_cross_account_needs_both(iam, make_user):
    user = make_user(keys=False)
    res = "arn:aws:s3:::sim-x-%s/k" % uuid.uuid4().hex[:8]
    rp = pretty(allow("s3:GetObject", res, principal={"AWS": user.arn}, sid="Grant"))
    other = "arn:aws:iam::999999999999:root"
    r = simulate(iam, user, "s3:GetObject", res, ResourcePolicy=rp, ResourceOwner=other)
    assert r["EvalDecision"] == "implicitDeny", "cross account: the identity side must allow too"
    assert r["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny",
                                        "Resource Policy": "allowed"}, r
    r = simulate(iam, user, "s3:GetObject", res, ResourcePolicy=rp, ResourceOwner=other,
                 PolicyInputList=[policy_doc(allow("s3:GetObject", "*"))])
    assert r["EvalDecision"] == "allowed", r
    assert r["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}, r
    assert sorted(sources(r)) == [("PolicyInputList.1", "none"), ("ResourcePolicy", "resource")], r
    r = simulate(iam, user, "s3:GetObject", res, ResourceOwner=other,
                 PolicyInputList=[policy_doc(allow("s3:GetObject", "*"))],
                 ResourcePolicy=pretty(allow("s3:PutObject", res, principal="*", sid="Other")))
    assert r["EvalDecision"] == "implicitDeny", "the resource policy does not allow it"
    assert r["EvalDecisionDetails"]["Resource Policy"] == "implicitDeny", r


# ------------------------------------------------------------ the shapes
def test_response_shapes(iam, make_user, root_bucket):
    b = root_bucket()
    user = make_user(keys=False, managed=[S3_READ])
    out = iam.simulate_principal_policy(PolicySourceArn=user.arn,
                                        ActionNames=["s3:GetObject", "iam:CreateUser"])
    assert out["IsTruncated"] is False
    for r in out["EvaluationResults"]:
        assert r["EvalResourceName"] == "*", r
        assert "EvalDecisionDetails" not in r, "AWS omits it for '*'"
        assert "ResourceSpecificResults" not in r, r
        assert isinstance(r["MissingContextValues"], list), r
    got = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    m = got["s3:GetObject"]["MatchedStatements"][0]
    assert set(m) == {"SourcePolicyId", "SourcePolicyType", "StartPosition", "EndPosition"}, m
    assert set(m["StartPosition"]) == {"Line", "Column"}, m
    assert got["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    r = simulate(iam, user, "s3:GetObject", object_arn(b, "k"))
    assert r["EvalDecision"] == "allowed", r
    rs = r["ResourceSpecificResults"]
    assert len(rs) == 1 and rs[0]["EvalResourceName"] == object_arn(b, "k"), rs
    assert rs[0]["EvalResourceDecision"] == "allowed", rs
    assert rs[0]["MatchedStatements"] == r["MatchedStatements"], rs


def test_caller_arn_rules(iam, make_user, make_group):
    user = make_user(keys=False)
    group = make_group()
    rp = policy_doc(allow("s3:GetObject", "arn:aws:s3:::b/*", principal="*"))
    doc = policy_doc(allow("s3:GetObject", "*"))
    expect_error(iam.simulate_custom_policy, PolicyInputList=[doc], ActionNames=["s3:GetObject"],
                 ResourcePolicy=rp, code="InvalidInput", status=400,
                 why="CallerArn is required with a ResourcePolicy")
    expect_error(iam.simulate_custom_policy, PolicyInputList=[doc], ActionNames=["s3:GetObject"],
                 ResourcePolicy=rp, CallerArn="arn:aws:iam::%s:role/r" % user.account_id,
                 code="InvalidInput", status=400, why="CallerArn must be an IAM user")
    expect_error(iam.simulate_principal_policy,
                 PolicySourceArn="arn:aws:iam::%s:group/%s" % (user.account_id, group),
                 ActionNames=["s3:GetObject"], ResourcePolicy=rp, code="InvalidInput", status=400,
                 why="a group as the source needs a CallerArn for the resource policy")
    expect_error(iam.simulate_custom_policy, PolicyInputList=[doc], ActionNames=["s3:GetObject"],
                 ResourcePolicy="{nope", CallerArn=user.arn, code="InvalidInput", status=400,
                 why="the ResourcePolicy must be a valid policy")
    expect_ok(iam.simulate_principal_policy,
              PolicySourceArn="arn:aws:iam::%s:group/%s" % (user.account_id, group),
              ActionNames=["s3:GetObject"], ResourcePolicy=rp, CallerArn=user.arn,
              why="a group's policies simulated for a user caller")


# ------------------------------------------------------------ helpers
def create_other_user(other, managed=()):
    return create_user(other.iam, other.endpoint, managed=managed)
