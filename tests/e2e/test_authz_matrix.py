"""The authorization matrix: principals x operations x grants, each cell's
expected answer derived from AWS's documented rules ("Policy evaluation
logic", "How Amazon S3 authorizes a request", the ACL overview, Block Public
Access), and the rule named in the failure message.

Principals (account A is the suite's, the bucket owner; B is a second account)
  root        A's account root
  full        A user, AmazonS3FullAccess
  readonly    A user, AmazonS3ReadOnlyAccess (s3:Get*, s3:List*)
  prefix      A user, inline: s3:ListBucket only with s3:prefix like 2019/*,
              s3:GetObject/PutObject/DeleteObject on BUCKET/2019/*
  group       A user with no policy of its own, in a group whose inline policy
              allows s3:ListBucket, s3:GetObject, s3:PutObject
  denied      A user, AmazonS3FullAccess + an inline Deny s3:* on the buckets
  inactive    A user, AmazonS3FullAccess, its key set Inactive
  deleted     A user, AmazonS3FullAccess, its key deleted
  role        a session of an A role with AmazonS3ReadOnlyAccess
  other_root  B's account root
  other_user  B user with AmazonS3FullAccess (in B)
  anonymous   unsigned requests

Grants (one bucket each, objects 2019/data.csv and 2020/data.csv)
  none          private bucket, private objects, no policy
  acl           bucket ACL: A FULL_CONTROL, AllUsers READ, B WRITE;
                data objects public-read
  policy_allow  bucket policy: S1 Principal * s3:GetObject on 2019/*;
                S2 account B: ListBucket, Get/Put/DeleteObject, PutObjectAcl,
                PutBucketPolicy on the bucket and its objects;
                S3 the readonly user: Put/DeleteObject on 2019/*
  policy_deny   policy_allow + Deny Principal * Get/Put/DeleteObject and
                PutObjectAcl on 2019/*, Deny Principal * PutBucketPolicy
  bpa           the acl bucket's public ACL (AllUsers READ, no B grant) +
                S1, S2, S3, then Block Public Access with all four settings

Evaluation (per required action):
  1. an inactive or deleted key does not authenticate: 403 InvalidAccessKeyId
  2. an explicit Deny in the identity policy or the bucket policy wins; a
     bucket policy Deny binds the account root too, except that the bucket
     owner's root may always PutBucketPolicy (lock-out protection)
  3. A's root may do anything else in its own account
  4. same account (A's users and role sessions): the identity policy OR the
     bucket policy (naming the principal, or *) OR an ACL grant to
     AllUsers/AuthenticatedUsers allows (ACL grants to the owner account do not
     reach its IAM users)
  5. another account: the caller's own account must allow (its root always
     does; its users by identity policy) AND the bucket owner must grant it
     (bucket policy naming the account or *, or an ACL grant to its canonical
     id or to AllUsers)
  6. anonymous: only Principal * statements and AllUsers grants apply
  7. IgnorePublicAcls drops AllUsers grants; RestrictPublicBuckets makes a
     public policy grant nothing to other accounts and anonymous callers
ACL permissions: bucket READ -> s3:ListBucket, bucket WRITE -> s3:PutObject and
s3:DeleteObject, object READ -> s3:GetObject, object WRITE_ACP ->
s3:PutObjectAcl; ACLs never grant s3:PutBucketPolicy.
Per operation: CopyObject needs s3:GetObject on the source and s3:PutObject
on the target; multipart needs s3:PutObject; a missing key (GET or HEAD) is
404 only with s3:ListBucket, asked with the key as s3:prefix (else 403); DeleteObjects reports denied keys per key
(AccessDenied); a caller outside the owner's account that may PutBucketPolicy
gets 405 MethodNotAllowed."""
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import empty_and_delete, unique_name
from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import (ALL_USERS, S3_FULL, S3_READ, AccountError, Principal, accounts,  # noqa: F401
                       anonymous_s3, assume_role, bucket_arn, delete_group_fully, delete_role_fully,
                       delete_user_fully, object_arn, policy_doc, service_client, session_principal,
                       trust_policy)

PRINCIPALS = ["root", "full", "readonly", "prefix", "group", "denied", "inactive", "deleted", "role",
              "other_root", "other_user", "anonymous"]
OPS = ["list_all", "list_2019", "get_2019", "get_2020", "head_2019", "get_missing", "head_missing",
       "put_2019", "delete_2019", "copy_2019", "mpu_2019", "put_acl_2019", "delete_objects", "put_policy"]
GRANTS = ["none", "acl", "policy_allow", "policy_deny", "bpa"]
SLUG = {"none": "none", "acl": "acl", "policy_allow": "pallow", "policy_deny": "pdeny", "bpa": "bpa"}
DATA = {"2019/data.csv": b"year,n\n2019,1\n", "2020/data.csv": b"year,n\n2020,2\n"}

OBJECT_ACTIONS = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl"}
ACL_PERM = {"s3:ListBucket": "READ", "s3:PutObject": "WRITE", "s3:DeleteObject": "WRITE",
            "s3:GetObject": "READ", "s3:PutObjectAcl": "WRITE_ACP"}


# ------------------------------------------------------------------ model
class Who:
    """A principal as the model sees it."""

    def __init__(self, name, account, root=False, identity=None, auth_error=None):
        self.name = name
        self.account = account          # "A", "B" or None (anonymous)
        self.root = root
        self.identity = identity or (lambda action, key, ctx: None)
        self.auth_error = auth_error
        self.desc = name


def _allow_all(action, key, ctx):
    return "allow"


def _read_only(action, key, ctx):
    return "allow" if action.startswith("s3:Get") or action.startswith("s3:List") else None


def _prefix(action, key, ctx):
    if action == "s3:ListBucket":
        return "allow" if (ctx.get("prefix") or "").startswith("2019/") else None
    if action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        return "allow" if key.startswith("2019/") else None
    return None


def _group(action, key, ctx):
    return "allow" if action in ("s3:ListBucket", "s3:GetObject", "s3:PutObject") else None


def _denied(action, key, ctx):
    return "allow" if action == "s3:ListAllMyBuckets" else "deny"


WHO = {
    "root": Who("root", "A", root=True),
    "full": Who("full", "A", identity=_allow_all),
    "readonly": Who("readonly", "A", identity=_read_only),
    "prefix": Who("prefix", "A", identity=_prefix),
    "group": Who("group", "A", identity=_group),
    "denied": Who("denied", "A", identity=_denied),
    "inactive": Who("inactive", "A", identity=_allow_all, auth_error="InvalidAccessKeyId"),
    "deleted": Who("deleted", "A", identity=_allow_all, auth_error="InvalidAccessKeyId"),
    "role": Who("role", "A", identity=_read_only),
    "other_root": Who("other_root", "B", root=True),
    "other_user": Who("other_user", "B", identity=_allow_all),
    "anonymous": Who("anonymous", None),
}


class Statement:
    def __init__(self, effect, principals, actions, bucket, keys):
        self.effect = effect
        self.principals = principals    # {"*", "acct:B", "user:readonly"}
        self.actions = actions
        self.bucket = bucket            # Resource includes the bucket ARN
        self.keys = keys                # Resource includes BUCKET/<keys>* (None: no object ARN)

    def matches(self, who, action, key):
        if action not in self.actions:
            return False
        if action in OBJECT_ACTIONS:
            if self.keys is None or key is None or not key.startswith(self.keys):
                return False
        elif not self.bucket:
            return False
        return ("*" in self.principals or ("acct:B" in self.principals and who.account == "B")
                or ("user:%s" % who.name) in self.principals)

    @property
    def public(self):
        return self.effect == "Allow" and "*" in self.principals


S1 = Statement("Allow", {"*"}, {"s3:GetObject"}, False, "2019/")
S2_ACTIONS = {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl",
              "s3:PutBucketPolicy"}
S2 = Statement("Allow", {"acct:B"}, S2_ACTIONS, True, "")
S3 = Statement("Allow", {"user:readonly"}, {"s3:PutObject", "s3:DeleteObject"}, False, "2019/")
D1 = Statement("Deny", {"*"}, {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl"},
               False, "2019/")
D2 = Statement("Deny", {"*"}, {"s3:PutBucketPolicy"}, True, None)

PUBLIC_READ_OBJECTS = {"2019/data.csv", "2020/data.csv"}
SCENARIO = {
    "none": {"policy": [], "bucket_acl": set(), "object_acl": set(), "bpa": set()},
    "acl": {"policy": [], "bucket_acl": {("AllUsers", "READ"), ("B", "WRITE")},
            "object_acl": {("AllUsers", "READ")}, "bpa": set()},
    "policy_allow": {"policy": [S1, S2, S3], "bucket_acl": set(), "object_acl": set(), "bpa": set()},
    "policy_deny": {"policy": [S1, S2, S3, D1, D2], "bucket_acl": set(), "object_acl": set(), "bpa": set()},
    "bpa": {"policy": [S1, S2, S3], "bucket_acl": {("AllUsers", "READ")}, "object_acl": {("AllUsers", "READ")},
            "bpa": {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}},
}


def decide(who, action, key, ctx, grant):
    """-> (allowed: bool, explicit: bool, rule)"""
    sc = SCENARIO[grant]
    if who.identity(action, key, ctx) == "deny":
        return False, True, "explicit deny in the identity-based policy beats every allow"
    if who.root and who.account == "A" and action == "s3:PutBucketPolicy":
        return True, False, "the bucket owner's root may always PutBucketPolicy (lock-out protection)"
    for st in sc["policy"]:
        if st.effect == "Deny" and st.matches(who, action, key):
            return False, True, "explicit deny in the bucket policy (binds every principal, the root too)"
    if who.root and who.account == "A":
        return True, False, "the account root may do anything in its own account"
    public_policy = any(st.public for st in sc["policy"])
    restricted = "RestrictPublicBuckets" in sc["bpa"] and public_policy and who.account != "A"
    policy_allows = (not restricted) and any(st.effect == "Allow" and st.matches(who, action, key)
                                             for st in sc["policy"])
    acl = set()
    if action in ("s3:ListBucket", "s3:PutObject", "s3:DeleteObject"):
        acl = sc["bucket_acl"]
    elif key in PUBLIC_READ_OBJECTS:
        acl = sc["object_acl"]
    if "IgnorePublicAcls" in sc["bpa"]:
        acl = {g for g in acl if g[0] != "AllUsers"}
    perm = ACL_PERM.get(action)
    acl_to = {g for g, p in acl if p in (perm, "FULL_CONTROL")}
    acl_allows = "AllUsers" in acl_to or (who.account == "B" and "B" in acl_to)
    note = ""
    if restricted:
        note = " (RestrictPublicBuckets: a public policy grants nothing outside the owner's account)"
    elif "IgnorePublicAcls" in sc["bpa"] and sc["bucket_acl"] | sc["object_acl"]:
        note = " (IgnorePublicAcls: AllUsers grants are ignored)"
    if who.account == "A":
        if who.identity(action, key, ctx) == "allow":
            return True, False, "same account: the identity-based policy allows"
        if policy_allows:
            return True, False, "same account: the bucket policy allows this principal"
        if acl_allows:
            return True, False, "same account: an ACL grant to AllUsers allows"
        return False, False, "same account: no identity policy, bucket policy or ACL allows" + note
    if who.account == "B":
        if not (who.root or who.identity(action, key, ctx) == "allow"):
            return False, False, "cross-account: the caller's own account does not allow"
        if policy_allows:
            return True, False, "cross-account: the bucket policy grants account B and B allows"
        if acl_allows:
            return True, False, "cross-account: an ACL grant (B or AllUsers) and B allows"
        return False, False, "cross-account: the bucket owner grants B nothing" + note
    if policy_allows:
        return True, False, "anonymous: a Principal * statement allows"
    if acl_allows:
        return True, False, "anonymous: an AllUsers ACL grant allows"
    return False, False, "anonymous: nothing grants everyone this" + note


OK = ("ok", None, 200)
DENIED = ("err", "AccessDenied", 403)


def expect(who_name, op, grant):
    """-> (set of acceptable outcomes, rule). An outcome is ('ok', None, 200),
    ('err', code, status) or ('multi', frozenset of (key, result))."""
    who = WHO[who_name]
    if who.auth_error:
        return {("err", who.auth_error, 403)}, "an inactive or deleted access key does not authenticate"

    def one(action, key=None, ctx=None):
        return decide(who, action, key, ctx or {}, grant)

    def simple(*checks):
        rules = []
        for action, key, ctx in checks:
            ok, _, rule = one(action, key, ctx)
            rules.append("%s: %s" % (action, rule))
            if not ok:
                return {DENIED}, "; ".join(rules)
        return {OK}, "; ".join(rules)

    if op == "list_all":
        return simple(("s3:ListBucket", None, {"prefix": None}))
    if op == "list_2019":
        return simple(("s3:ListBucket", None, {"prefix": "2019/"}))
    if op in ("get_2019", "head_2019"):
        return simple(("s3:GetObject", "2019/data.csv", None))
    if op == "get_2020":
        return simple(("s3:GetObject", "2020/data.csv", None))
    if op in ("get_missing", "head_missing"):
        g_ok, g_explicit, g_rule = one("s3:GetObject", "2019/missing.csv")
        # the listing asked about is the key's own: s3:prefix is the key
        # (Ceph's test_head_object_404_with_policy_prefix)
        l_ok, _, l_rule = one("s3:ListBucket", None, {"prefix": "2019/missing.csv"})
        rule = "missing key: 404 only with s3:ListBucket, else 403 (s3:GetObject: %s; s3:ListBucket: %s)" % (
            g_rule, l_rule)
        if g_explicit:
            return {DENIED}, rule
        if l_ok and g_ok:
            return {("err", "NoSuchKey", 404)}, rule
        if l_ok:
            # s3:GetObject comes only from an object ACL, which a missing key does not have
            return {("err", "NoSuchKey", 404), DENIED}, rule + " [AWS does not say which]"
        return {DENIED}, rule
    if op == "put_2019":
        return simple(("s3:PutObject", "2019/put.csv", None))
    if op == "delete_2019":
        return simple(("s3:DeleteObject", "2019/del.csv", None))
    if op == "copy_2019":
        return simple(("s3:GetObject", "2019/data.csv", None), ("s3:PutObject", "2019/copy.csv", None))
    if op == "mpu_2019":
        return simple(("s3:PutObject", "2019/mpu.csv", None))
    if op == "put_acl_2019":
        return simple(("s3:PutObjectAcl", "2019/acl.csv", None))
    if op == "delete_objects":
        res, rules = [], []
        for key in ("2019/dm", "2020/dm"):
            ok, _, rule = one("s3:DeleteObject", key)
            res.append((key, "deleted" if ok else "AccessDenied"))
            rules.append("%s: %s" % (key, rule))
        outcomes = {("multi", frozenset(res))}
        if who.account != "A" and all(r == "AccessDenied" for _, r in res):
            outcomes.add(DENIED)  # a caller granted nothing may be refused as a whole
        return outcomes, "DeleteObjects checks s3:DeleteObject per key; " + "; ".join(rules)
    if op == "put_policy":
        ok, _, rule = one("s3:PutBucketPolicy", None)
        if ok and who.account == "B":
            return {("err", "MethodNotAllowed", 405)}, \
                rule + "; a permitted caller outside the owner's account gets 405 MethodNotAllowed"
        return ({OK} if ok else {DENIED}), "s3:PutBucketPolicy: " + rule
    raise AssertionError(op)


# ------------------------------------------------------------------ world
class World:
    def __init__(self):
        self.clients = {}          # principal -> s3 client
        self.principal_errors = {}
        self.principal_skips = {}
        self.grant_errors = {}
        self.buckets = {}
        self.policies = {}         # grant -> policy JSON or None
        self.bpa_config = {}
        self.b = None
        self.readonly_arn = None
        self.cleanup = []


def _policy_json(grant, bucket, b_account, readonly_arn):
    stmts = []
    for st in SCENARIO[grant]["policy"]:
        if st is S1:
            stmts.append({"Sid": "S1", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                          "Resource": object_arn(bucket, "2019/*")})
        elif st is S2 and b_account:
            stmts.append({"Sid": "S2", "Effect": "Allow",
                          "Principal": {"AWS": "arn:aws:iam::%s:root" % b_account},
                          "Action": sorted(S2_ACTIONS), "Resource": [bucket_arn(bucket), object_arn(bucket)]})
        elif st is S3 and readonly_arn:
            stmts.append({"Sid": "S3", "Effect": "Allow", "Principal": {"AWS": readonly_arn},
                          "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": object_arn(bucket, "2019/*")})
        elif st is D1:
            stmts.append({"Sid": "D1", "Effect": "Deny", "Principal": "*",
                          "Action": sorted(D1.actions), "Resource": object_arn(bucket, "2019/*")})
        elif st is D2:
            stmts.append({"Sid": "D2", "Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketPolicy",
                          "Resource": bucket_arn(bucket)})
    return json.dumps({"Version": "2012-10-17", "Statement": stmts}) if stmts else None


def _err(e):
    err = e.response.get("Error", {})
    return "HTTP %s %s (%r)" % (e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                                err.get("Code"), err.get("Message"))


def _build(world, server, s3, accounts):
    ep = server.endpoint
    if server.process is None:
        for p in ("other_root", "other_user"):
            world.principal_skips[p] = "needs `pail admin account create` (PAIL_TEST_ENDPOINT is set)"
    else:
        try:
            world.b = accounts.create("e2e-mx-" + uuid.uuid4().hex[:8], fail=False)
        except AccountError as e:
            for p in ("other_root", "other_user"):
                world.principal_errors[p] = "second account: %s" % e
    # Buckets and objects (all written by A's root before any grant exists)
    for grant in GRANTS:
        name = unique_name("gid-requests-" + SLUG[grant])
        s3.create_bucket(Bucket=name)
        world.buckets[grant] = name
        world.cleanup.append(("bucket", name))
        for key, body in DATA.items():
            s3.put_object(Bucket=name, Key=key, Body=body)
        for p in PRINCIPALS:
            for key in ("2019/del-%s" % p, "2019/acl-%s" % p, "2019/dm-%s" % p, "2020/dm-%s" % p):
                s3.put_object(Bucket=name, Key=key, Body=b"x")
    iam = service_client("iam", ep, server.access_key, server.secret_key)
    buckets = list(world.buckets.values())
    all_res = [bucket_arn(b) for b in buckets] + [object_arn(b) for b in buckets]

    def user(pname, **kw):
        try:
            u = _create_user_raw(iam, ep, **kw)
            world.cleanup.append(("user", iam, u.name))
            return u
        except ClientError as e:
            world.principal_errors[pname] = "creating the IAM user: " + _err(e)
            return None

    world.clients["root"] = s3
    world.clients["anonymous"] = anonymous_s3(ep)
    u = user("full", managed=[S3_FULL])
    if u:
        world.clients["full"] = u.s3
    ro = user("readonly", managed=[S3_READ])
    if ro:
        world.clients["readonly"] = ro.s3
        world.readonly_arn = ro.arn
    u = user("prefix", inline={"gid-2019": policy_doc(
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": [bucket_arn(b) for b in buckets],
         "Condition": {"StringLike": {"s3:prefix": ["2019/", "2019/*"]}}},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": [object_arn(b, "2019/*") for b in buckets]})})
    if u:
        world.clients["prefix"] = u.s3
    try:
        gname = "mx-" + uuid.uuid4().hex[:10]
        iam.create_group(GroupName=gname)
        world.cleanup.append(("group", iam, gname))
        iam.put_group_policy(GroupName=gname, PolicyName="rw", PolicyDocument=policy_doc(
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": [bucket_arn(b) for b in buckets]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": [object_arn(b) for b in buckets]}))
        u = user("group", groups=[gname])
        if u:
            world.clients["group"] = u.s3
    except ClientError as e:
        world.principal_errors["group"] = "creating the group: " + _err(e)
    u = user("denied", managed=[S3_FULL], inline={"deny-buckets": policy_doc(
        {"Effect": "Deny", "Action": "s3:*", "Resource": all_res})})
    if u:
        world.clients["denied"] = u.s3
    u = user("inactive", managed=[S3_FULL])
    if u:
        try:
            iam.update_access_key(UserName=u.name, AccessKeyId=u.access_key, Status="Inactive")
            world.clients["inactive"] = u.s3
        except ClientError as e:
            world.principal_errors["inactive"] = "UpdateAccessKey Inactive: " + _err(e)
    u = user("deleted", managed=[S3_FULL])
    if u:
        try:
            iam.delete_access_key(UserName=u.name, AccessKeyId=u.access_key)
            world.clients["deleted"] = u.s3
        except ClientError as e:
            world.principal_errors["deleted"] = "DeleteAccessKey: " + _err(e)
    assumer = user("role")
    if assumer:
        try:
            rname = "mx-role-" + uuid.uuid4().hex[:8]
            role = iam.create_role(RoleName=rname, AssumeRolePolicyDocument=trust_policy(assumer.arn))["Role"]
            world.cleanup.append(("role", iam, rname))
            iam.attach_role_policy(RoleName=rname, PolicyArn=S3_READ)
            creds = assume_role(assumer.sts, role["Arn"], "matrix")
            world.clients["role"] = session_principal(ep, creds).s3
        except ClientError as e:
            world.principal_errors["role"] = "the role session: " + _err(e)
    if world.b is not None:
        world.clients["other_root"] = world.b.s3
        try:
            ou = _create_user_raw(world.b.iam, ep, managed=[S3_FULL])
            world.cleanup.append(("user", world.b.iam, ou.name))
            world.clients["other_user"] = ou.s3
        except ClientError as e:
            world.principal_errors["other_user"] = "creating B's user: " + _err(e)
    # Grants
    b_account = world.b.account_id if world.b else None
    for grant in GRANTS:
        name = world.buckets[grant]
        try:
            _apply_grant(world, s3, grant, name, b_account)
        except ClientError as e:
            world.grant_errors[grant] = "setting up %s: %s" % (grant, _err(e))


def _create_user_raw(iam, ep, managed=(), inline=None, groups=()):
    """create_user without pytest.fail: raises ClientError (the matrix records it)."""
    name = "mx-" + uuid.uuid4().hex[:12]
    u = iam.create_user(UserName=name)["User"]
    try:
        for arn in managed:
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        for pn, doc in (inline or {}).items():
            iam.put_user_policy(UserName=name, PolicyName=pn, PolicyDocument=doc)
        for g in groups:
            iam.add_user_to_group(GroupName=g, UserName=name)
        k = iam.create_access_key(UserName=name)["AccessKey"]
    except ClientError:
        delete_user_fully(iam, name)
        raise
    return Principal(ep, k["AccessKeyId"], k["SecretAccessKey"], kind="user", name=name, arn=u["Arn"])


def _apply_grant(world, s3, grant, name, b_account):
    owner = s3.list_buckets()["Owner"]["ID"]
    sc = SCENARIO[grant]
    if sc["bucket_acl"]:
        grants = [{"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"}]
        for who, perm in sorted(sc["bucket_acl"]):
            if who == "AllUsers":
                grants.append({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": perm})
            elif who == "B" and world.b is not None:
                grants.append({"Grantee": {"Type": "CanonicalUser", "ID": world.b.canonical_id},
                               "Permission": perm})
        s3.put_bucket_acl(Bucket=name, AccessControlPolicy={"Owner": {"ID": owner}, "Grants": grants})
    if sc["object_acl"]:
        for key in PUBLIC_READ_OBJECTS:
            s3.put_object_acl(Bucket=name, Key=key, ACL="public-read")
    pol = _policy_json(grant, name, b_account, world.readonly_arn)
    world.policies[grant] = pol
    if pol:
        s3.put_bucket_policy(Bucket=name, Policy=pol)
    if sc["bpa"]:
        cfg = {k: k in sc["bpa"] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                          "RestrictPublicBuckets")}
        world.bpa_config[grant] = cfg
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=cfg)


def _restore_policy(world, s3, grant):
    name = world.buckets[grant]
    cfg = world.bpa_config.get(grant)
    if cfg:
        s3.delete_public_access_block(Bucket=name)
    if world.policies.get(grant):
        s3.put_bucket_policy(Bucket=name, Policy=world.policies[grant])
    else:
        s3.delete_bucket_policy(Bucket=name)
    if cfg:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=cfg)


def _teardown(world, s3):
    for item in reversed(world.cleanup):
        try:
            if item[0] == "bucket":
                for call in (s3.delete_bucket_policy, s3.delete_public_access_block):
                    try:
                        call(Bucket=item[1])
                    except ClientError:
                        pass
                empty_and_delete(s3, item[1])
            elif item[0] == "user":
                delete_user_fully(item[1], item[2])
            elif item[0] == "group":
                delete_group_fully(item[1], item[2])
            elif item[0] == "role":
                delete_role_fully(item[1], item[2])
        except ClientError:
            pass


@pytest.fixture(scope="module")
def world(server, s3, accounts):
    w = World()
    try:
        _build(w, server, s3, accounts)
        yield w
    finally:
        _teardown(w, s3)


# ----------------------------------------------------------------- runner
def _outcome_of(e, head=False):
    r = e.response
    status = r.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = None if head else r.get("Error", {}).get("Code")
    return ("err", code, status)


def run_op(client, op, bucket, who):
    """Performs one operation; -> outcome tuple."""
    tag = "%s-%s" % (who, uuid.uuid4().hex[:6])
    try:
        if op == "list_all":
            client.list_objects_v2(Bucket=bucket)
        elif op == "list_2019":
            client.list_objects_v2(Bucket=bucket, Prefix="2019/")
        elif op == "get_2019":
            assert client.get_object(Bucket=bucket, Key="2019/data.csv")["Body"].read() == DATA["2019/data.csv"]
        elif op == "get_2020":
            assert client.get_object(Bucket=bucket, Key="2020/data.csv")["Body"].read() == DATA["2020/data.csv"]
        elif op == "head_2019":
            try:
                client.head_object(Bucket=bucket, Key="2019/data.csv")
            except ClientError as e:
                return _outcome_of(e, head=True)
        elif op == "get_missing":
            client.get_object(Bucket=bucket, Key="2019/missing-%s.csv" % tag)
        elif op == "head_missing":
            try:
                client.head_object(Bucket=bucket, Key="2019/missing-%s.csv" % tag)
            except ClientError as e:
                return _outcome_of(e, head=True)
        elif op == "put_2019":
            client.put_object(Bucket=bucket, Key="2019/put-%s.csv" % tag, Body=b"new")
        elif op == "delete_2019":
            client.delete_object(Bucket=bucket, Key="2019/del-%s" % who)
        elif op == "copy_2019":
            client.copy_object(Bucket=bucket, Key="2019/copy-%s.csv" % tag,
                               CopySource={"Bucket": bucket, "Key": "2019/data.csv"})
        elif op == "mpu_2019":
            key = "2019/mpu-%s.csv" % tag
            up = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            etag = client.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=1, Body=b"part")["ETag"]
            client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": etag}]})
        elif op == "put_acl_2019":
            client.put_object_acl(Bucket=bucket, Key="2019/acl-%s" % who, ACL="private")
        elif op == "delete_objects":
            keys = ["2019/dm-%s" % who, "2020/dm-%s" % who]
            r = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
            res = {d["Key"]: "deleted" for d in r.get("Deleted", [])}
            res.update({x["Key"]: x["Code"] for x in r.get("Errors", [])})
            return ("multi", frozenset((k.rsplit("-", 1)[0], res.get(k, "missing from the answer"))
                                       for k in keys))
        elif op == "put_policy":
            client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                    "Resource": object_arn(bucket, "never-%s/*" % uuid.uuid4().hex[:8])}]}))
        else:
            raise AssertionError(op)
    except ClientError as e:
        return _outcome_of(e)
    return OK


def _matches(got, wanted):
    for w in wanted:
        if got == w:
            return True
        if got[0] == "err" and w[0] == "err" and got[1] is None and got[2] == w[2]:
            return True  # HEAD: only the status is visible
    return False


def _show(outcome):
    if outcome[0] == "ok":
        return "success"
    if outcome[0] == "multi":
        return "DeleteObjects " + ", ".join("%s %s" % kv for kv in sorted(outcome[1]))
    return "%s %s" % (outcome[2], outcome[1] or "")


CELLS = [(g, p, o) for g in GRANTS for p in PRINCIPALS for o in OPS]


@pytest.mark.parametrize("grant,who,op", CELLS, ids=["%s-%s-%s" % c for c in CELLS])
def test_cell(world, s3, grant, who, op):
    if who in world.principal_skips:
        pytest.skip(world.principal_skips[who])
    if who in world.principal_errors:
        pytest.fail("setup of principal %s failed: %s" % (who, world.principal_errors[who]), pytrace=False)
    if grant in world.grant_errors:
        pytest.fail("setup of grant %s failed: %s" % (grant, world.grant_errors[grant]), pytrace=False)
    wanted, rule = expect(who, op, grant)
    bucket = world.buckets[grant]
    got = None
    try:
        got = run_op(world.clients[who], op, bucket, who)
    finally:
        if op == "put_policy" and (got is None or got == OK):
            # the cell replaced the grant's policy: put it back for the cells after it
            try:
                _restore_policy(world, s3, grant)
            except ClientError as e:
                world.grant_errors[grant] = "restoring the policy after %s's PutBucketPolicy: %s" % (who, _err(e))
    assert _matches(got, wanted), "%s %s on the '%s' bucket: AWS answers %s because %s; pail answered %s" % (
        who, op, grant, " or ".join(sorted(_show(w) for w in wanted)), rule, _show(got))


# ------------------------------------------------------------ ListBuckets
LIST_BUCKETS = {
    "root": ("ok", "the account root lists its own buckets"),
    "full": ("ok", "AmazonS3FullAccess allows s3:ListAllMyBuckets"),
    "readonly": ("ok", "AmazonS3ReadOnlyAccess allows s3:ListAllMyBuckets (s3:List*)"),
    "prefix": ("AccessDenied", "its inline policy does not allow s3:ListAllMyBuckets"),
    "group": ("AccessDenied", "the group policy does not allow s3:ListAllMyBuckets"),
    "denied": ("ok", "the Deny names the buckets' ARNs; ListAllMyBuckets is on '*'"),
    "inactive": ("InvalidAccessKeyId", "an inactive key does not authenticate"),
    "deleted": ("InvalidAccessKeyId", "a deleted key does not authenticate"),
    "role": ("ok", "the role's AmazonS3ReadOnlyAccess allows s3:ListAllMyBuckets"),
    "other_root": ("ok", "another account's root lists its own account's buckets"),
    "other_user": ("ok", "B's AmazonS3FullAccess allows s3:ListAllMyBuckets in B"),
    "anonymous": ("AccessDenied", "ListBuckets needs an authenticated caller"),
}


@pytest.mark.parametrize("who", PRINCIPALS)
def test_list_buckets(world, who):
    if who in world.principal_skips:
        pytest.skip(world.principal_skips[who])
    if who in world.principal_errors:
        pytest.fail("setup of principal %s failed: %s" % (who, world.principal_errors[who]), pytrace=False)
    want, rule = LIST_BUCKETS[who]
    try:
        names = [b["Name"] for b in world.clients[who].list_buckets()["Buckets"]]
        got = "ok"
    except ClientError as e:
        got, names = e.response["Error"]["Code"], []
    assert got == want, "%s ListBuckets: AWS answers %s because %s; pail answered %s" % (who, want, rule, got)
    if got == "ok":
        mine = set(world.buckets.values())
        if WHO[who].account == "A":
            assert mine <= set(names), "%s: ListBuckets lists every bucket of its account" % who
        else:
            assert not mine & set(names), "%s: ListBuckets lists only the caller's account's buckets" % who
