"""Accounts and access control for the crash test (imported by crash_test.py).

What the crash test's workers change besides objects, the model of it, and
how it is observed after a restart:

  * IAM users (a fixed pool of names): CreateUser/DeleteUser, access keys
    (CreateAccessKey, UpdateAccessKey Active<->Inactive, DeleteAccessKey),
    inline policies (PutUserPolicy/DeleteUserPolicy) and attached managed
    policies (AttachUserPolicy/DetachUserPolicy), all through boto3's IAM
    client with the root keys. One user's state is a UState; a user is
    reserved while an operation on it runs, so "last acknowledged" is well
    defined, exactly like an object key.
  * settings of a few buckets of their own ("conf buckets", each holding one
    private probe object): bucket policy (public GetObject, public ListBucket,
    or one naming the account), canned bucket ACL (private/public-read),
    Block Public Access (the four flags) and Object Ownership. One bucket's
    settings are a CState. A change pail must refuse (a public ACL under
    BlockPublicAcls, a public policy under BlockPublicPolicy, any ACL under
    BucketOwnerEnforced, BucketOwnerEnforced while the ACL is public) is sent
    anyway: it must be answered with that refusal and change nothing.

Behaviour, not only reads, is checked: every access key of the model is
used - an Active one must authenticate (STS GetCallerIdentity names the
user), an Inactive one and a deleted one must get InvalidAccessKeyId; a user
with an Active key lists the crash bucket exactly when its policies say so
(an inline ListBucket grant, crash-allow-list or AmazonS3ReadOnlyAccess
attached, and crash-deny-list not attached); and anonymous HTTP requests
(no signature at all) to a conf bucket and its probe object get 200 or 403
as its ACL, policy, Block Public Access and ownership settings imply.

Requests made to check behaviour are signed here (botocore's signers) and
sent over one keep-alive connection per thread: a boto3 client per access
key would cost more than the checks themselves.
"""
import collections
import http.client
import json
import re
import threading
import urllib.parse

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
PAB_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
OWNERSHIPS = ("ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced")
ENFORCED = "BucketOwnerEnforced"
NEWKEY = "?new"            # the id of a key whose CreateAccessKey got no answer
READ_ONLY_ARN = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
BAD_KEY_CODES = ("InvalidAccessKeyId", "InvalidClientTokenId")


def code_of(exc):
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "?")
    return type(exc).__name__


def status_of(exc):
    if isinstance(exc, ClientError):
        return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0
    return 0


def canon(doc):
    """A policy document as one canonical string (boto3 hands IAM's back as a dict)."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def canned(grants, owner_id=None):
    """'private', 'public-read' or a description of anything else."""
    full = [g for g in grants if g.get("Permission") == "FULL_CONTROL"
            and g.get("Grantee", {}).get("Type") == "CanonicalUser"]
    rest = [g for g in grants if g not in full]
    if len(full) != 1 or (owner_id and full[0]["Grantee"].get("ID") != owner_id):
        return "other:%s" % grants
    if not rest:
        return "private"
    if len(rest) == 1 and rest[0].get("Permission") == "READ" and \
            rest[0].get("Grantee", {}).get("URI") == ALL_USERS:
        return "public-read"
    return "other:%s" % grants


# ---------------------------------------------------------------- raw requests
class Raw:
    """Signed or anonymous requests on one keep-alive connection per thread."""

    def __init__(self, port, region):
        self.port, self.region = port, region
        self.tls = threading.local()

    def _conn(self):
        c = getattr(self.tls, "conn", None)
        if c is None:
            c = self.tls.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return c

    def request(self, method, path, query="", body=b"", headers=None, creds=None,
                service="s3"):
        """(status, {header: value} lower-cased, body). path is sent as given
        (percent-encoded by the caller). Only for requests that change
        nothing: a stale keep-alive connection is retried once."""
        target = path + ("?" + query if query else "")
        hdrs = dict(headers or {})
        hdrs["Host"] = "127.0.0.1:%d" % self.port
        if creds:
            req = AWSRequest(method=method, url="http://127.0.0.1:%d%s" % (self.port, target),
                             data=body, headers=hdrs)
            signer = S3SigV4Auth if service == "s3" else SigV4Auth
            signer(Credentials(creds[0], creds[1]), service, self.region).add_auth(req)
            hdrs = dict(req.headers.items())
        for attempt in (0, 1):
            c = self._conn()
            try:
                c.request(method, target, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.RemoteDisconnected, http.client.BadStatusLine,
                    ConnectionError, OSError):
                c.close()
                self.tls.conn = None
                if attempt:
                    raise

    def caller_identity(self, key_id, secret):
        """(status, error code or None, Arn or None) of STS GetCallerIdentity."""
        st, _h, data = self.request(
            "POST", "/", body=b"Action=GetCallerIdentity&Version=2011-06-15",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            creds=(key_id, secret), service="sts")
        return st, err_code(data), xml_field(data, "Arn")

    def list_bucket(self, bucket, creds=None):
        """(status, error code) of ListObjectsV2 max-keys=1, signed or anonymous."""
        st, _h, data = self.request("GET", "/" + bucket, "list-type=2&max-keys=1", creds=creds)
        return st, err_code(data)

    def list_buckets(self, creds):
        st, _h, data = self.request("GET", "/", creds=creds)
        return st, err_code(data)

    def object_acl(self, bucket, key, creds):
        """The canned name of an object's ACL (GetObjectAcl), or None if the read fails."""
        path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/~"))
        st, _h, data = self.request("GET", path, "acl", creds=creds)
        if st != 200:
            return None
        grants = []
        for g in re.findall(rb"<Grant>(.*?)</Grant>", data, re.S):
            gid, uri = re.search(rb"<ID>([^<]*)</ID>", g), re.search(rb"<URI>([^<]*)</URI>", g)
            perm = re.search(rb"<Permission>([^<]*)</Permission>", g)
            grantee = {"Type": "CanonicalUser", "ID": gid.group(1).decode()} if gid else \
                {"Type": "Group", "URI": uri.group(1).decode()} if uri else {}
            grants.append({"Grantee": grantee,
                           "Permission": perm.group(1).decode() if perm else "?"})
        return canned(grants)

    def anon_object(self, bucket, key, head=False):
        """(status, error code, body or None, headers) of an unsigned GET/HEAD."""
        path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/~"))
        st, h, data = self.request("HEAD" if head else "GET", path)
        return st, (err_code(data) if st >= 300 else None), (None if head else data), h


def err_code(data):
    m = re.search(rb"<Code>([^<]*)</Code>", data or b"")
    return m.group(1).decode() if m else None


def xml_field(data, name):
    m = re.search(("<%s>([^<]*)</%s>" % (name, name)).encode(), data or b"")
    return m.group(1).decode() if m else None


# ---------------------------------------------------------------- IAM users
UState = collections.namedtuple("UState", "exists keys inline attached")
# keys: frozenset((key_id, "Active"|"Inactive")); inline: frozenset((name, canonical doc));
# attached: frozenset(policy ARNs)
USER_ABSENT = UState(False, frozenset(), frozenset(), frozenset())


def describe_user(st):
    if st is None:
        return "?"
    if not st.exists:
        return "ABSENT"
    return "<keys=%s inline=%s attached=%s>" % (
        sorted(st.keys), sorted((n, inline_action(d)) for n, d in st.inline),
        sorted(a.rsplit("/", 1)[-1] for a in st.attached))


def inline_doc(action, bucket, ver):
    return canon({"Version": "2012-10-17", "Statement": [
        {"Sid": "v%d" % ver, "Effect": "Allow", "Action": action,
         "Resource": "arn:aws:s3:::%s" % bucket}]})


def inline_action(doc):
    try:
        return json.loads(doc)["Statement"][0]["Action"]
    except (ValueError, KeyError, IndexError, TypeError):
        return "?"


def managed_docs(bucket):
    """{name: document} of the customer managed policies the test attaches."""
    return {
        "crash-allow-list": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::%s" % bucket}]},
        "crash-deny-list": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::%s" % bucket}]},
    }


class Arns:
    def __init__(self, acct):
        self.acct = acct
        self.allow = "arn:aws:iam::%s:policy/crash-allow-list" % acct
        self.deny = "arn:aws:iam::%s:policy/crash-deny-list" % acct
        self.all = (self.allow, self.deny, READ_ONLY_ARN)

    def user(self, name):
        return "arn:aws:iam::%s:user/%s" % (self.acct, name)


def list_allowed(st, arns):
    """Does a user in state st get s3:ListBucket on the crash bucket?"""
    if arns.deny in st.attached:
        return False
    if arns.allow in st.attached or READ_ONLY_ARN in st.attached:
        return True
    return any(inline_action(d) == "s3:ListBucket" for _, d in st.inline)


def user_matches(obs, st, known_ids):
    """obs (observed) is st; a NEWKEY in st stands for one Active key whose id
    the test never learnt (its CreateAccessKey had no answer)."""
    if not any(k == NEWKEY for k, _ in st.keys):
        return obs == st
    if (obs.exists, obs.inline, obs.attached) != (st.exists, st.inline, st.attached):
        return False
    have = frozenset(k for k in st.keys if k[0] != NEWKEY)
    extra = obs.keys - have
    return have <= obs.keys and len(extra) == 1 and \
        next(iter(extra))[0] not in known_ids and next(iter(extra))[1] == "Active"


def observe_user(iam, name, arns):
    """The user's state as IAM reads show it (raises on a failed read)."""
    try:
        u = iam.get_user(UserName=name)["User"]
    except ClientError as e:
        if code_of(e) == "NoSuchEntity":
            return USER_ABSENT, None
        raise
    note = None
    if u.get("Arn") != arns.user(name):
        note = "GetUser %s: Arn %s, expected %s" % (name, u.get("Arn"), arns.user(name))
    keys = frozenset((k["AccessKeyId"], k["Status"])
                     for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"])
    names = iam.list_user_policies(UserName=name)["PolicyNames"]
    inline = frozenset((n, canon(iam.get_user_policy(UserName=name, PolicyName=n)["PolicyDocument"]))
                       for n in names)
    attached = frozenset(p["PolicyArn"] for p in
                         iam.list_attached_user_policies(UserName=name)["AttachedPolicies"])
    return UState(True, keys, inline, attached), note


def check_user_access(raw, name, st, secrets, arns, bucket):
    """Behaviour of a user in (observed, folded) state st: every key of it
    authenticates or is refused as its status says; with an Active key, the
    user lists `bucket` exactly when its policies allow it. Returns
    (failures, checks)."""
    fails, n = [], 0
    active = []
    for kid, status in sorted(st.keys):
        secret = secrets.get(kid)
        if secret is None:
            continue
        n += 1
        code_, ecode, arn = raw.caller_identity(kid, secret)
        if status == "Active":
            active.append((kid, secret))
            if code_ != 200 or arn != arns.user(name):
                fails.append("KEY NOT IN FORCE: Active key %s of %s: GetCallerIdentity -> %s %s "
                             "(Arn %s)" % (kid, name, code_, ecode, arn))
        elif code_ != 403 or ecode not in BAD_KEY_CODES:
            fails.append("KEY NOT REVOKED: Inactive key %s of %s: GetCallerIdentity -> %s %s"
                         % (kid, name, code_, ecode or arn))
    if active:
        n += 1
        want = list_allowed(st, arns)
        code_, ecode = raw.list_bucket(bucket, creds=active[0])
        if (code_ == 200) != want or (not want and (code_, ecode) != (403, "AccessDenied")):
            fails.append("POLICY NOT IN FORCE: %s (%s) ListObjectsV2 %s -> %s %s, expected %s"
                         % (name, describe_user(st), bucket, code_, ecode,
                            "200" if want else "403 AccessDenied"))
    return fails, n


def check_dead_key(raw, kid, secret):
    """A deleted key must be unknown: InvalidAccessKeyId."""
    code_, ecode = raw.list_buckets((kid, secret))
    if code_ != 403 or ecode not in BAD_KEY_CODES:
        return "DELETED KEY IN FORCE: key %s: ListBuckets -> %s %s" % (kid, code_, ecode)
    return None


# ---------------------------------------------------------------- bucket settings
CState = collections.namedtuple("CState", "acl policy pab own")
# acl: "private" | "public-read"; policy: None | canonical document; pab: None |
# "0101" (the four PAB_FIELDS); own: None | one of OWNERSHIPS
CONF_DEFAULT = CState("private", None, None, None)
PROBE_KEY = "probe"


def describe_conf(st):
    if st is None:
        return "?"
    return "<acl=%s policy=%s pab=%s own=%s>" % (st.acl, policy_kind(st.policy), st.pab, st.own)


def policy_doc(kind, bucket, acct, ver):
    """kind: 'get' (anyone may GetObject), 'list' (anyone may ListBucket) or
    'acct' (GetObject for the account's root: not public)."""
    principal = {"AWS": "arn:aws:iam::%s:root" % acct} if kind == "acct" else "*"
    action, res = ("s3:ListBucket", "arn:aws:s3:::%s" % bucket) if kind == "list" else \
        ("s3:GetObject", "arn:aws:s3:::%s/*" % bucket)
    return canon({"Version": "2012-10-17", "Statement": [
        {"Sid": "%sv%d" % (kind, ver), "Effect": "Allow", "Principal": principal,
         "Action": action, "Resource": res}]})


def policy_kind(doc):
    if doc is None:
        return None
    try:
        sid = json.loads(doc)["Statement"][0]["Sid"]
    except (ValueError, KeyError, IndexError, TypeError):
        return "?"
    m = re.match(r"(get|list|acct)v(\d+)$", sid)
    return "%s#%s" % (m.group(1), m.group(2)) if m else "?"


def anon_expect(st):
    """(anonymous ListObjects allowed, anonymous GET of the private probe allowed)."""
    pab = st.pab or "0000"
    kind = (policy_kind(st.policy) or "").split("#")[0]
    policy_counts = pab[3] == "0"
    acl_counts = st.acl == "public-read" and pab[1] == "0" and st.own != ENFORCED
    return (acl_counts or (kind == "list" and policy_counts),
            kind == "get" and policy_counts)


def refusal(st, what, arg):
    """(status, code) with which pail must refuse changing st so, or None."""
    pab = st.pab or "0000"
    if what == "acl":
        if st.own == ENFORCED:
            return 400, "AccessControlListNotSupported"
        if arg == "public-read" and pab[0] == "1":
            return 403, "AccessDenied"
    if what == "policy" and arg in ("get", "list") and pab[2] == "1":
        return 403, "AccessDenied"
    if what == "own" and arg == ENFORCED and st.acl != "private":
        return 400, "InvalidBucketAclWithObjectOwnership"
    return None


def observe_conf(s3, bucket):
    acl = canned(s3.get_bucket_acl(Bucket=bucket).get("Grants", []))
    try:
        policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as e:
        if code_of(e) != "NoSuchBucketPolicy":
            raise
        policy = None
    try:
        c = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        pab = "".join("1" if c.get(f) else "0" for f in PAB_FIELDS)
    except ClientError as e:
        if code_of(e) != "NoSuchPublicAccessBlockConfiguration":
            raise
        pab = None
    try:
        own = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0][
            "ObjectOwnership"]
    except ClientError as e:
        if code_of(e) != "OwnershipControlsNotFoundError":
            raise
        own = None
    return CState(acl, policy, pab, own)


def check_conf_access(raw, bucket, st):
    """Anonymous requests to a bucket in state st. Returns (failures, checks)."""
    want_list, want_get = anon_expect(st)
    fails = []
    code_, ecode = raw.list_bucket(bucket)
    if (code_ == 200) != want_list or (not want_list and code_ != 403):
        fails.append("BUCKET SETTINGS NOT IN FORCE: anonymous ListObjectsV2 %s %s -> %s %s, "
                     "expected %s" % (bucket, describe_conf(st), code_, ecode,
                                      200 if want_list else 403))
    code_, ecode, _b, _h = raw.anon_object(bucket, PROBE_KEY)
    if (code_ == 200) != want_get or (not want_get and code_ != 403):
        fails.append("BUCKET SETTINGS NOT IN FORCE: anonymous GET %s/%s %s -> %s %s, expected %s"
                     % (bucket, PROBE_KEY, describe_conf(st), code_, ecode,
                        200 if want_get else 403))
    return fails, 2
