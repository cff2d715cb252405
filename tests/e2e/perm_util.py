"""Fixtures and helpers for pail's permission tests: accounts, IAM, STS, ACLs,
bucket policies, Block Public Access, presigned URLs and POST forms.

Everything here is written from AWS's documentation (IAM/STS/S3 API
references, "Policy evaluation logic", "How Amazon S3 authorizes a request",
the ACL overview, Block Public Access), not from pail's code.

Test modules import the fixtures they use by name, e.g.

    from perm_util import iam, sts, anon, accounts, make_user  # noqa: F401

Fixtures
    iam, sts          the suite root's IAM / STS clients (query API, POST / on the endpoint)
    anon              an S3 client that signs nothing (Config(signature_version=UNSIGNED))
    root              the suite's account root as a Principal (account id, canonical id lazily)
    accounts          accounts.second() -> a second account (session-wide, made with
                      `pail admin account create`); accounts.create(name) -> a fresh one
                      deleted after the session; skipped with PAIL_TEST_ENDPOINT
    make_user         make_user(managed=[ARN...], inline={name: doc}, groups=[...], ...) -> IamUser
    make_group, make_role, make_policy   likewise, deleted after the test
    pail_admin        pail_admin('account', 'list') runs `pail admin ... --data DIR`
    run_aws           run_aws(principal, 'iam', 'create-user', ...) runs the AWS CLI as that principal

The non-fixture helpers (create_user, delete_user_fully, ...) let module-scoped
set-ups (test_authz_matrix.py) build principals once.
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import uuid

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from conftest import ACCESS_KEY, SECRET_KEY, empty_and_delete, pail_bin, unique_name  # noqa: F401
from e2e_util import REGION

__all__ = [  # fixtures and helpers; `from perm_util import *` brings a fixture's dependencies too
    "S3_FULL", "S3_READ", "ALL_USERS", "AUTH_USERS", "LOG_DELIVERY", "S3_NS", "ACCOUNT_ID_RE",
    "CANONICAL_ID_RE", "service_client", "anonymous_s3", "Principal", "Outcome", "attempt",
    "expect_ok", "expect_error", "denied_message", "statement", "allow", "deny", "policy_doc",
    "bucket_arn", "object_arn", "public_read_policy", "grants_of", "run_admin",
    "parse_account_output", "AccountError", "create_account", "delete_account", "drain_account",
    "Accounts", "delete_user_fully", "delete_group_fully", "delete_role_fully",
    "delete_policy_fully", "create_user", "assume_role", "session_principal", "trust_policy", "iam",
    "sts", "anon", "RootPrincipal", "root", "accounts", "pail_admin", "make_user", "make_group",
    "make_role", "make_policy", "root_bucket", "cleanup_bucket", "run_aws", "course_bucket_name",
    "gid_requests", "empty_and_delete", "unique_name",
]

S3_FULL = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
CANONICAL_ID_RE = re.compile(r"^[0-9a-f]{64}$")


# ------------------------------------------------------------------ clients
def _config(**cfg):
    base = {"retries": {"max_attempts": 1}, "connect_timeout": 10, "read_timeout": 60}
    s3cfg = {"addressing_style": "path"}
    s3cfg.update(cfg.pop("s3", {}))
    base.update(cfg)
    return Config(s3=s3cfg, **base)


def service_client(service, endpoint, access_key=None, secret_key=None, token=None, **cfg):
    """A boto3 client for s3/iam/sts on pail's endpoint (region us-east-1)."""
    kw = {}
    if access_key is not None:
        kw = {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}
        if token:
            kw["aws_session_token"] = token
    return boto3.session.Session().client(service, endpoint_url=endpoint, region_name=REGION,
                                          config=_config(**cfg), **kw)


def anonymous_s3(endpoint, **cfg):
    return service_client("s3", endpoint, "x", "x", signature_version=UNSIGNED, **cfg)


class Principal:
    """Credentials (long-term or temporary) plus lazily made clients."""

    def __init__(self, endpoint, access_key, secret_key, token=None, *, kind, name=None,
                 arn=None, account_id=None, canonical_id=None, user_id=None):
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token
        self.kind = kind                  # root | user | role-session | session
        self.name = name
        self.arn = arn
        self.account_id = account_id
        self.canonical_id = canonical_id
        self.user_id = user_id
        self._clients = {}

    def client(self, service, **cfg):
        key = (service, json.dumps(cfg, sort_keys=True, default=str))
        if key not in self._clients:
            self._clients[key] = service_client(service, self.endpoint, self.access_key,
                                                self.secret_key, self.token, **cfg)
        return self._clients[key]

    @property
    def s3(self):
        return self.client("s3")

    @property
    def s3v4(self):
        return self.client("s3", signature_version="s3v4")

    @property
    def iam(self):
        return self.client("iam")

    @property
    def sts(self):
        return self.client("sts")

    def __repr__(self):
        return "<%s %s %s>" % (self.kind, self.name, self.arn)


# ------------------------------------------------------------------- errors
class Outcome:
    """What one call gave: the response, or the S3/IAM error."""

    def __init__(self, response=None, error=None):
        self.response = response
        self.error = error

    @property
    def ok(self):
        return self.error is None

    @property
    def code(self):
        return None if self.error is None else self.error.response.get("Error", {}).get("Code")

    @property
    def message(self):
        return None if self.error is None else self.error.response.get("Error", {}).get("Message")

    @property
    def status(self):
        if self.error is not None:
            return self.error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return (self.response or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")

    def __repr__(self):
        if self.ok:
            return "success (HTTP %s)" % self.status
        return "%s %s (%r)" % (self.status, self.code, self.message)


def attempt(fn, *args, **kw):
    try:
        return Outcome(response=fn(*args, **kw))
    except ClientError as e:
        return Outcome(error=e)


def expect_ok(fn, *args, why, **kw):
    """Calls fn; fails with `why` (the AWS rule) when it raises a ClientError."""
    out = attempt(fn, *args, **kw)
    assert out.ok, "AWS allows this (%s); pail answered %r" % (why, out)
    return out.response


def expect_error(fn, *args, code, status=None, why, message=None, **kw):
    """Calls fn and checks the error code (and status, and message when given).
    HEAD answers carry no body: botocore then reports the status as the code."""
    out = attempt(fn, *args, **kw)
    want = "%s %s" % (status or "", code)
    assert not out.ok, "AWS answers %s here (%s); pail answered success" % (want, why)
    if out.code == str(out.status) and code not in (None, str(out.status)):
        # HEAD: only the status is visible
        assert status is None or out.status == status, \
            "AWS answers %s (%s); pail answered %r" % (want, why, out)
    else:
        assert out.code == code and (status is None or out.status == status), \
            "AWS answers %s (%s); pail answered %r" % (want, why, out)
    if message is not None:
        if hasattr(message, "search"):
            assert message.search(out.message or ""), \
                "AWS's message matches %r (%s); pail said %r" % (message.pattern, why, out.message)
        else:
            assert out.message == message, \
                "AWS's message is %r (%s); pail said %r" % (message, why, out.message)
    return out


def denied_message(principal_arn, action, resource_arn, reason):
    """AWS's enhanced AccessDenied message for same-account requests.
    reason: 'no identity-based policy allows' | 'explicit deny in an identity-based policy' |
    'explicit deny in a resource-based policy' | 'no permissions boundary allows' |
    'no session policy allows'."""
    head = 'User: %s is not authorized to perform: %s on resource: "%s" ' % (
        principal_arn, action, resource_arn)
    if reason.startswith("no "):
        return head + "because %s the %s action" % (reason, action)
    return head + "with an %s" % reason


# ----------------------------------------------------------------- policies
def statement(effect, actions, resources, principal=None, condition=None, sid=None,
              not_actions=None, not_resources=None):
    st = {}
    if sid:
        st["Sid"] = sid
    st["Effect"] = effect
    if principal is not None:
        st["Principal"] = principal
    if not_actions is not None:
        st["NotAction"] = not_actions
    else:
        st["Action"] = actions
    if not_resources is not None:
        st["NotResource"] = not_resources
    else:
        st["Resource"] = resources
    if condition:
        st["Condition"] = condition
    return st


def allow(actions, resources, **kw):
    return statement("Allow", actions, resources, **kw)


def deny(actions, resources, **kw):
    return statement("Deny", actions, resources, **kw)


def policy_doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def bucket_arn(bucket):
    return "arn:aws:s3:::%s" % bucket


def object_arn(bucket, key="*"):
    return "arn:aws:s3:::%s/%s" % (bucket, key)


def public_read_policy(bucket, prefix=""):
    return policy_doc(allow("s3:GetObject", object_arn(bucket, prefix + "*"), principal="*"))


# ------------------------------------------------------------- ACL helpers
def grants_of(acl_response):
    """GetBucketAcl/GetObjectAcl response -> set of (grantee, permission), the
    grantee being ('id', canonical) / ('uri', group URI) / ('email', address)."""
    out = set()
    for g in acl_response.get("Grants", []):
        ge = g["Grantee"]
        if ge.get("Type") == "CanonicalUser":
            who = ("id", ge.get("ID"))
        elif ge.get("Type") == "Group":
            who = ("uri", ge.get("URI"))
        else:
            who = ("email", ge.get("EmailAddress"))
        out.add((who, g["Permission"]))
    return out


# ------------------------------------------------------------ pail admin
def _admin_env():
    env = dict(os.environ)
    env["PAIL_ROOT_ACCESS_KEY"] = ACCESS_KEY
    env["PAIL_ROOT_SECRET_KEY"] = SECRET_KEY
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    return env


def run_admin(server, *args, timeout=60):
    """`pail admin ARGS --data DIR` on the suite server's data directory."""
    if server.process is None:
        pytest.skip("needs `pail admin --data DIR` on the suite's own server; PAIL_TEST_ENDPOINT is set")
    argv = [pail_bin(), "admin"] + [str(a) for a in args] + ["--data", server.process.data_dir]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=_admin_env())


def parse_account_output(text):
    fields = {}
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep:
            fields[k.strip()] = v.strip()
    return fields


class AccountError(Exception):
    pass


def create_account(server, name, email=None):
    """`pail admin account create NAME --email E` -> Principal for its root.
    Raises AccountError with the command's output when it does not give the
    four documented lines."""
    email = email or "%s@example.com" % name
    proc = run_admin(server, "account", "create", name, "--email", email)
    fields = parse_account_output(proc.stdout)
    need = ("account-id", "canonical-id", "access-key", "secret-key")
    if proc.returncode != 0 or not all(fields.get(k) for k in need):
        raise AccountError(
            "`pail admin account create %s --email %s --data DIR` should exit 0 and print "
            "account-id: (12 digits), canonical-id: (64 hex), access-key:, secret-key: one per line; "
            "it exited %s\nstdout:\n%s\nstderr:\n%s"
            % (name, email, proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    p = Principal(server.endpoint, fields["access-key"], fields["secret-key"], kind="root",
                  name=name, account_id=fields["account-id"], canonical_id=fields["canonical-id"],
                  arn="arn:aws:iam::%s:root" % fields["account-id"])
    p.email = email
    p.admin_output = proc.stdout
    return p


def delete_account(server, ident):
    return run_admin(server, "account", "delete", ident)


def drain_account(principal):
    """Deletes every bucket the account owns (objects, uploads, policy first)."""
    try:
        buckets = principal.s3.list_buckets().get("Buckets", [])
    except ClientError:
        return
    for b in buckets:
        try:
            principal.s3.delete_bucket_policy(Bucket=b["Name"])
        except ClientError:
            pass
        try:
            empty_and_delete(principal.s3, b["Name"])
        except ClientError:
            pass


class Accounts:
    """Session-wide accounts made with `pail admin account create`. Creation is
    tried once; a failure is remembered and reported by every test asking."""

    def __init__(self, server):
        self.server = server
        self._second = None
        self._second_error = None
        self.made = []

    def second(self):
        if self.server.process is None:
            pytest.skip("cross-account tests need `pail admin` on the suite's own server "
                        "(PAIL_TEST_ENDPOINT is set)")
        if self._second is None and self._second_error is None:
            try:
                self._second = self.create("e2e-b-" + uuid.uuid4().hex[:8], fail=False)
            except AccountError as e:
                self._second_error = str(e)
        if self._second_error:
            pytest.fail("setup: could not create a second account: %s" % self._second_error,
                        pytrace=False)
        return self._second

    def create(self, name, email=None, fail=True):
        """A fresh account (deleted at the end of the session). On failure:
        pytest.fail with the command's output (fail=False: AccountError)."""
        try:
            p = create_account(self.server, name, email)
        except AccountError as e:
            if not fail:
                raise
            pytest.fail("setup: %s" % e, pytrace=False)
        self.made.append(p)
        return p

    def cleanup(self):
        for p in reversed(self.made):
            drain_account(p)
            try:
                for u in p.iam.list_users().get("Users", []):
                    delete_user_fully(p.iam, u["UserName"])
            except ClientError:
                pass
            delete_account(self.server, p.account_id)


# --------------------------------------------------------------------- IAM
def _ignore(fn, *a, **kw):
    """Clean-up steps: a failure (the feature may not exist yet) is not the test's."""
    try:
        return fn(*a, **kw)
    except (ClientError, BotoCoreError):
        return None


def delete_user_fully(iam, name):
    """Deletes an IAM user and everything that blocks DeleteUser (keys, inline
    and attached policies, groups, boundary, login profile)."""
    r = _ignore(iam.list_access_keys, UserName=name)
    for k in (r or {}).get("AccessKeyMetadata", []):
        _ignore(iam.delete_access_key, UserName=name, AccessKeyId=k["AccessKeyId"])
    r = _ignore(iam.list_user_policies, UserName=name)
    for pn in (r or {}).get("PolicyNames", []):
        _ignore(iam.delete_user_policy, UserName=name, PolicyName=pn)
    r = _ignore(iam.list_attached_user_policies, UserName=name)
    for ap in (r or {}).get("AttachedPolicies", []):
        _ignore(iam.detach_user_policy, UserName=name, PolicyArn=ap["PolicyArn"])
    r = _ignore(iam.list_groups_for_user, UserName=name)
    for g in (r or {}).get("Groups", []):
        _ignore(iam.remove_user_from_group, GroupName=g["GroupName"], UserName=name)
    u = _ignore(iam.get_user, UserName=name)
    if (u or {}).get("User", {}).get("PermissionsBoundary"):
        _ignore(iam.delete_user_permissions_boundary, UserName=name)
    _ignore(iam.delete_login_profile, UserName=name)
    _ignore(iam.delete_user, UserName=name)


def delete_group_fully(iam, name):
    r = _ignore(iam.get_group, GroupName=name)
    for u in (r or {}).get("Users", []):
        _ignore(iam.remove_user_from_group, GroupName=name, UserName=u["UserName"])
    r = _ignore(iam.list_group_policies, GroupName=name)
    for pn in (r or {}).get("PolicyNames", []):
        _ignore(iam.delete_group_policy, GroupName=name, PolicyName=pn)
    r = _ignore(iam.list_attached_group_policies, GroupName=name)
    for ap in (r or {}).get("AttachedPolicies", []):
        _ignore(iam.detach_group_policy, GroupName=name, PolicyArn=ap["PolicyArn"])
    _ignore(iam.delete_group, GroupName=name)


def delete_role_fully(iam, name):
    r = _ignore(iam.list_role_policies, RoleName=name)
    for pn in (r or {}).get("PolicyNames", []):
        _ignore(iam.delete_role_policy, RoleName=name, PolicyName=pn)
    r = _ignore(iam.list_attached_role_policies, RoleName=name)
    for ap in (r or {}).get("AttachedPolicies", []):
        _ignore(iam.detach_role_policy, RoleName=name, PolicyArn=ap["PolicyArn"])
    r = _ignore(iam.get_role, RoleName=name)
    if (r or {}).get("Role", {}).get("PermissionsBoundary"):
        _ignore(iam.delete_role_permissions_boundary, RoleName=name)
    _ignore(iam.delete_role, RoleName=name)


def delete_policy_fully(iam, arn):
    r = _ignore(iam.list_entities_for_policy, PolicyArn=arn)
    for g in (r or {}).get("PolicyGroups", []):
        _ignore(iam.detach_group_policy, GroupName=g["GroupName"], PolicyArn=arn)
    for u in (r or {}).get("PolicyUsers", []):
        _ignore(iam.detach_user_policy, UserName=u["UserName"], PolicyArn=arn)
    for ro in (r or {}).get("PolicyRoles", []):
        _ignore(iam.detach_role_policy, RoleName=ro["RoleName"], PolicyArn=arn)
    r = _ignore(iam.list_policy_versions, PolicyArn=arn)
    for v in (r or {}).get("Versions", []):
        if not v.get("IsDefaultVersion"):
            _ignore(iam.delete_policy_version, PolicyArn=arn, VersionId=v["VersionId"])
    _ignore(iam.delete_policy, PolicyArn=arn)


def _setup_call(what, fn, **kw):
    """A set-up step: on failure, fail the test saying what AWS would have done."""
    try:
        return fn(**kw)
    except ClientError as e:
        err = e.response.get("Error", {})
        pytest.fail("setup: %s failed with HTTP %s %s (%r); AWS performs it and answers 200"
                    % (what, e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                       err.get("Code"), err.get("Message")), pytrace=False)


def create_user(iam, endpoint, name=None, managed=(), inline=None, groups=(), path="/",
                keys=True, boundary=None):
    """Creates an IAM user (with one access key unless keys=False), attaches
    managed policies, puts inline ones, adds it to groups. -> Principal."""
    name = name or "u-" + uuid.uuid4().hex[:12]
    kw = {"UserName": name, "Path": path}
    if boundary:
        kw["PermissionsBoundary"] = boundary
    u = _setup_call("iam.create_user(%s)" % name, iam.create_user, **kw)["User"]
    for arn in managed:
        _setup_call("iam.attach_user_policy(%s, %s)" % (name, arn), iam.attach_user_policy,
                    UserName=name, PolicyArn=arn)
    for pname, doc in (inline or {}).items():
        if not isinstance(doc, str):
            doc = json.dumps(doc)
        _setup_call("iam.put_user_policy(%s, %s)" % (name, pname), iam.put_user_policy,
                    UserName=name, PolicyName=pname, PolicyDocument=doc)
    for g in groups:
        _setup_call("iam.add_user_to_group(%s, %s)" % (g, name), iam.add_user_to_group,
                    GroupName=g, UserName=name)
    key = secret = None
    if keys:
        k = _setup_call("iam.create_access_key(%s)" % name, iam.create_access_key,
                        UserName=name)["AccessKey"]
        key, secret = k["AccessKeyId"], k["SecretAccessKey"]
    acct = u["Arn"].split(":")[4] if u.get("Arn", "").count(":") >= 5 else None
    return Principal(endpoint, key, secret, kind="user", name=name, arn=u.get("Arn"),
                     account_id=acct, user_id=u.get("UserId"))


def assume_role(sts, role_arn, session_name="e2e-session", **kw):
    return sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, **kw)


def session_principal(endpoint, creds, kind="role-session", arn=None, name=None):
    c = creds["Credentials"]
    p = Principal(endpoint, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"],
                  kind=kind, arn=arn or creds.get("AssumedRoleUser", {}).get("Arn"), name=name)
    p.expiration = c.get("Expiration")
    return p


def trust_policy(principal_arns, condition=None, action="sts:AssumeRole"):
    """A role trust policy letting these AWS principals (ARNs) assume it."""
    st = {"Effect": "Allow", "Principal": {"AWS": principal_arns}, "Action": action}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def iam(server):
    """The suite root's IAM client."""
    return service_client("iam", server.endpoint, server.access_key, server.secret_key)


@pytest.fixture(scope="session")
def sts(server):
    return service_client("sts", server.endpoint, server.access_key, server.secret_key)


@pytest.fixture(scope="session")
def anon(server):
    """S3 with no credentials at all: requests go out unsigned (anonymous)."""
    return anonymous_s3(server.endpoint)


class RootPrincipal(Principal):
    """The suite's account root; its ids are looked up on first use (STS
    GetCallerIdentity for the account id and ARN, ListBuckets' Owner for the
    canonical id)."""

    def __init__(self, server):
        self._ids = None
        super().__init__(server.endpoint, server.access_key, server.secret_key, kind="root",
                         name="root")

    def _lookup(self):
        if self._ids is None:
            self._ids = {}
            try:
                ident = self.sts.get_caller_identity()
                self._ids["account_id"] = ident.get("Account")
                self._ids["arn"] = ident.get("Arn")
            except ClientError:
                pass
            try:
                self._ids["canonical_id"] = self.s3.list_buckets().get("Owner", {}).get("ID")
            except ClientError:
                pass
        return self._ids

    _HOW = {"account_id": "AWS's sts:GetCallerIdentity answers Account (12 digits) for the root",
            "arn": "AWS's sts:GetCallerIdentity answers Arn arn:aws:iam::ACCOUNT:root",
            "canonical_id": "AWS's ListBuckets answers Owner/ID (64 hex) for the caller's account"}

    def _get(self, what):
        v = self._lookup().get(what)
        if not v:
            pytest.fail("setup: the root's %s is unknown: %s" % (what, self._HOW[what]),
                        pytrace=False)
        return v

    def _ignore_set(self, v):
        pass

    account_id = property(lambda self: self._get("account_id"), _ignore_set)
    arn = property(lambda self: self._get("arn"), _ignore_set)
    canonical_id = property(lambda self: self._get("canonical_id"), _ignore_set)


@pytest.fixture(scope="session")
def root(server):
    return RootPrincipal(server)


@pytest.fixture(scope="session")
def accounts(server):
    a = Accounts(server)
    yield a
    a.cleanup()


@pytest.fixture
def pail_admin(server):
    return lambda *args: run_admin(server, *args)


@pytest.fixture
def make_user(iam, server):
    """make_user(name=None, managed=(), inline=None, groups=(), path='/', keys=True,
    boundary=None, admin=None) -> Principal (kind 'user'); deleted after the test.
    admin: the IAM client to create it with (default the suite root's)."""
    made = []

    def make(name=None, admin=None, **kw):
        admin = admin or iam
        p = create_user(admin, server.endpoint, name=name, **kw)
        made.append((admin, p.name))
        return p

    yield make
    for admin, name in reversed(made):
        delete_user_fully(admin, name)


@pytest.fixture
def make_group(iam):
    """make_group(name=None, managed=(), inline=None, path='/') -> group name."""
    made = []

    def make(name=None, managed=(), inline=None, path="/", admin=None):
        admin = admin or iam
        name = name or "g-" + uuid.uuid4().hex[:12]
        _setup_call("iam.create_group(%s)" % name, admin.create_group, GroupName=name, Path=path)
        made.append((admin, name))
        for arn in managed:
            _setup_call("iam.attach_group_policy(%s)" % arn, admin.attach_group_policy,
                        GroupName=name, PolicyArn=arn)
        for pname, doc in (inline or {}).items():
            _setup_call("iam.put_group_policy(%s)" % pname, admin.put_group_policy, GroupName=name,
                        PolicyName=pname,
                        PolicyDocument=doc if isinstance(doc, str) else json.dumps(doc))
        return name

    yield make
    for admin, name in reversed(made):
        delete_group_fully(admin, name)


@pytest.fixture
def make_role(iam):
    """make_role(trust=doc-or-principal-ARNs, name=None, managed=(), inline=None,
    max_session=None, path='/') -> GetRole's Role dict (RoleName, Arn, RoleId)."""
    made = []

    def make(trust, name=None, managed=(), inline=None, max_session=None, path="/", admin=None):
        admin = admin or iam
        name = name or "r-" + uuid.uuid4().hex[:12]
        if not (isinstance(trust, str) and trust.lstrip().startswith("{")):
            trust = trust_policy(trust)
        kw = {"RoleName": name, "AssumeRolePolicyDocument": trust, "Path": path}
        if max_session:
            kw["MaxSessionDuration"] = max_session
        role = _setup_call("iam.create_role(%s)" % name, admin.create_role, **kw)["Role"]
        made.append((admin, name))
        for arn in managed:
            _setup_call("iam.attach_role_policy(%s)" % arn, admin.attach_role_policy,
                        RoleName=name, PolicyArn=arn)
        for pname, doc in (inline or {}).items():
            _setup_call("iam.put_role_policy(%s)" % pname, admin.put_role_policy, RoleName=name,
                        PolicyName=pname,
                        PolicyDocument=doc if isinstance(doc, str) else json.dumps(doc))
        return role

    yield make
    for admin, name in reversed(made):
        delete_role_fully(admin, name)


@pytest.fixture
def make_policy(iam):
    """make_policy(doc, name=None, path='/') -> CreatePolicy's Policy dict (Arn, ...)."""
    made = []

    def make(doc, name=None, path="/", admin=None, description=None):
        admin = admin or iam
        name = name or "p-" + uuid.uuid4().hex[:12]
        kw = {"PolicyName": name, "Path": path,
              "PolicyDocument": doc if isinstance(doc, str) else json.dumps(doc)}
        if description:
            kw["Description"] = description
        pol = _setup_call("iam.create_policy(%s)" % name, admin.create_policy, **kw)["Policy"]
        made.append((admin, pol["Arn"]))
        return pol

    yield make
    for admin, arn in reversed(made):
        delete_policy_fully(admin, arn)


@pytest.fixture
def root_bucket(s3):
    """make(**create_bucket kwargs) -> name: buckets of the suite root, deleted
    afterwards together with their policy and Block Public Access settings."""
    made = []

    def make(prefix="pail-perm", **kw):
        name = kw.pop("Bucket", None) or unique_name(prefix)
        s3.create_bucket(Bucket=name, **kw)
        made.append(name)
        return name

    yield make
    for name in reversed(made):
        cleanup_bucket(s3, name)


def cleanup_bucket(s3, name):
    _ignore(s3.delete_bucket_policy, Bucket=name)
    _ignore(s3.delete_public_access_block, Bucket=name)
    try:
        empty_and_delete(s3, name)
    except ClientError:
        pass


# -------------------------------------------------------------------- CLI
def _cli_base():
    if importlib.util.find_spec("awscli") is not None:
        return [sys.executable, "-m", "awscli"]
    return [shutil.which("aws") or "aws"]


@pytest.fixture(scope="session")
def run_aws(server):
    """run_aws(principal_or_None, *args) -> CompletedProcess of
    `aws --endpoint-url EP ARGS` with that principal's keys (None: the root)."""
    def run(principal, *args, timeout=120):
        env = dict(os.environ)
        for v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE",
                  "AWS_SECURITY_TOKEN"):
            env.pop(v, None)
        key, secret, token = ((server.access_key, server.secret_key, None) if principal is None
                              else (principal.access_key, principal.secret_key, principal.token))
        env.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                    "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": "/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": "",
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1"})
        if token:
            env["AWS_SESSION_TOKEN"] = token
        argv = _cli_base() + ["--endpoint-url", server.endpoint] + [str(a) for a in args]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)

    return run


# ------------------------------------------------------------------- misc
def course_bucket_name(s3):
    """'gid-requests' as the course names it, when free on this server (the
    suite's own server is fresh); a unique gid-requests-* name otherwise."""
    try:
        s3.create_bucket(Bucket="gid-requests")
        return "gid-requests"
    except ClientError as e:
        if e.response["Error"]["Code"] in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            name = unique_name("gid-requests")
            s3.create_bucket(Bucket=name)
            return name
        raise


@pytest.fixture
def gid_requests(s3):
    """The course's bucket, emptied and deleted afterwards."""
    name = course_bucket_name(s3)
    yield name
    cleanup_bucket(s3, name)
