#!/usr/bin/env python3
"""pail's permission cells (bench/run.py runs them after the matrix; `python3
bench/run.py --only-perms` runs only them): what the permission systems cost
a small GET and PUT, measured against the account root in paired rounds.

  (a)  the account root, header-signed (SigV4, UNSIGNED-PAYLOAD)
  (b)  an IAM user whose only permission is its group's customer managed
       policy (s3:GetObject/PutObject on bench/*), with a 20-statement bucket
       policy with conditions on the bucket
  (c)  anonymous GET of public-read objects (the AllUsers grant of the object ACL)
  (d)  presigned requests (SigV4 query, made once with the root key, 7 days)
  (e)  anonymous GET of the same public-read objects through the website
       endpoint (Host: bench.s3-website.localhost:PORT; the bucket has a
       website configuration): what serving a static site costs over (c)
  (a0) the root on a bucket without a bucket policy (full run: what the
       policy costs the root; pail's fast path)

All cells are GET/PUT 4 KiB at 16 connections (wrk, bench/wrk/replay.lua, as
the matrix). The bucket policy is on the bucket (a)-(e) use, so every one of
them evaluates it; (e) reads (c)'s objects, so (e)/(c) is the website path
alone. This machine's speed drifts by up to 2x within
minutes, so the cells run in rounds where each variant is bracketed by (a):
a b a c a d a e a [a0 a] (GET) and a b a d a (PUT); a variant's ratio in a round is
its op/s over the mean of the two (a) cells around it, and the target is the
median over the rounds (5 full, 3 quick).

Then (full run, or --perm-users N): N users (2 access keys each, every 10th
in the group) are created through the IAM API (pre-signed form POSTs sent by
bench/loadgen, 16 connections), pail is restarted three times on that data
directory (seconds until the port accepts, and until the IAM user's first
signed GET is answered), and (a)/(b) are measured again in bracketed rounds.
"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if "run" not in sys.modules:
    import run as R  # noqa: E402  (bench/run.py: signer, servers, load generators)
else:
    R = sys.modules["run"]

KiB = 1024
BUCKET, PLAIN = "bench", "plain"
GROUP, POLICY, USER = "bench-writers", "bench-object-rw", "bench-user"
READERS = ["reader-%d" % i for i in range(1, 5)]
NGET = 256
WEBSITE_CONF = (b'<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                b'<IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>')
INDEX, INDEX_BODY = "index.html", b"<html><body>bench</body></html>\n"

GET_A = "GET 4 KiB @16 root"
GET_B = "GET 4 KiB @16 IAM user+policy"
GET_C = "GET 4 KiB @16 anonymous public-read"
GET_D = "GET 4 KiB @16 presigned"
GET_E = "GET 4 KiB @16 website anonymous public-read"
GET_A0 = "GET 4 KiB @16 root, no bucket policy"
PUT_A = "PUT 4 KiB @16 root"
PUT_B = "PUT 4 KiB @16 IAM user+policy"
PUT_D = "PUT 4 KiB @16 presigned"
LETTER = {GET_A: "a", GET_B: "b", GET_C: "c", GET_D: "d", GET_E: "e", GET_A0: "a0",
          PUT_A: "a", PUT_B: "b", PUT_D: "d"}


def group_policy():
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "BenchObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::%s/*" % BUCKET},
        {"Sid": "BenchList", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": "arn:aws:s3:::%s" % BUCKET}]}


def bucket_policy(acct):
    """20 statements with conditions. For the bench's GET/PUT of bench/get/* and
    bench/put/* every statement's action is matched, 9 also match resource and
    principal and have their conditions evaluated (8 Denies whose conditions
    are false for plain HTTP from 127.0.0.1 without an ACL header, and the
    account's delegated Allow, which still needs the identity side for an IAM
    user); none allows the bench user or anonymous directly."""
    b, o = "arn:aws:s3:::%s" % BUCKET, "arn:aws:s3:::%s/*" % BUCKET
    account = {"AWS": "arn:aws:iam::%s:root" % acct}
    readers = {"AWS": ["arn:aws:iam::%s:user/%s" % (acct, r) for r in READERS]}
    rw = ["s3:GetObject", "s3:PutObject"]

    def st(sid, effect, principal, action, resource, cond=None):
        s = {"Sid": sid, "Effect": effect, "Principal": principal, "Action": action,
             "Resource": resource}
        if cond:
            s["Condition"] = cond
        return s

    return {"Version": "2012-10-17", "Id": "bench-20-statements", "Statement": [
        # Denies every GET/PUT evaluates (action, resource and principal match; conditions false)
        st("DenyOverTls", "Deny", "*", "s3:*", [b, o],
           {"Bool": {"aws:SecureTransport": "true"}}),
        st("DenyOutsideNetworks", "Deny", "*", "s3:*", [b, o],
           {"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8", "192.168.0.0/16"]}}),
        st("DenyBefore2001", "Deny", "*", rw, o,
           {"DateLessThan": {"aws:CurrentTime": "2001-01-01T00:00:00Z"}}),
        st("DenyEpochBefore2001", "Deny", "*", "s3:*", o,
           {"NumericLessThan": {"aws:EpochTime": "978307200"}}),
        st("DenySigV2", "Deny", "*", "s3:*", [b, o],
           {"StringEquals": {"s3:signatureversion": "AWS"}}),
        st("DenyOldClients", "Deny", "*", "s3:*", o,
           {"StringLike": {"aws:UserAgent": ["*curl/7.1*", "*Wget/1.1*"]}}),
        st("DenyHotlinks", "Deny", "*", "s3:*", o,
           {"StringLike": {"aws:Referer": ["http://evil.example/*", "https://evil.example/*"]}}),
        st("DenyPublicWriteAcl", "Deny", "*", "s3:*", o,
           {"StringEquals": {"s3:x-amz-acl": ["public-read-write", "authenticated-read"]}}),
        # the account's principals, delegated (an IAM user still needs its identity allow)
        st("AccountObjectsFromLoopback", "Allow", account, rw, o,
           {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
            "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
            "Bool": {"aws:SecureTransport": "false"}}),
        st("AccountBucketRead", "Allow", account, ["s3:ListBucket", "s3:GetBucketLocation"], b,
           {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
        st("AccountMultipart", "Allow", account,
           ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], o,
           {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
        # other principals and prefixes: the resource or the principal does not match
        st("ReadersOwnPrefix", "Allow", readers, rw, "%s/team/${aws:username}/*" % b,
           {"DateLessThan": {"aws:CurrentTime": "2099-12-31T23:59:59Z"}}),
        st("ReadersListOwnPrefix", "Allow", readers, "s3:ListBucket", b,
           {"StringLike": {"s3:prefix": ["team/${aws:username}/*", "shared/*"]}}),
        st("ReadersShared", "Allow", readers, "s3:GetObject", "%s/shared/*" % b,
           {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8"]}}),
        st("ReadersWriteOwnerAcl", "Allow", readers, "s3:PutObject", "%s/team/*" % b,
           {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
        st("PublicListOfPub", "Allow", "*", "s3:ListBucket", b,
           {"StringLike": {"s3:prefix": "pub/*"}, "StringEquals": {"s3:delimiter": "/"}}),
        st("ReadersNoPolicyChanges", "Deny", readers,
           ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"], b),
        st("NoDeletesOfProtected", "Deny", "*", ["s3:DeleteObject", "s3:DeleteObjectVersion"],
           "%s/protected/*" % b, {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::%s:root" % acct}}),
        st("ReadersTaggedOnly", "Allow", readers, "s3:GetObjectTagging", "%s/team/*" % b,
           {"StringEquals": {"aws:PrincipalType": "User"}}),
        st("NoAclChangesOverTls", "Deny", "*", ["s3:PutObjectAcl", "s3:PutBucketAcl"], [b, o],
           {"Bool": {"aws:SecureTransport": "true"}}),
    ]}


def boto(srv, service):
    return R.boto_client(srv.port, service)


class Perms:
    def __init__(self, b):
        self.b = b
        self.quick = b.quick
        self.secs, self.rounds = R.rounds_plan(b)
        self.nusers = b.a.perm_users if b.a.perm_users is not None else (0 if self.quick else 10000)
        self.nput = 2000 if self.quick else 10000
        self.work = os.path.join(b.work, "perms")
        os.makedirs(self.work, exist_ok=True)
        self.cells = []       # every measured cell (dicts from Bench.cell, plus round/phase)
        self.rounds_out = []  # per phase and round: {letter: ratio}
        self.startup = None
        self.notes = []
        self.setup_s = {}

    # ------------------------------------------------------------ setup
    def check(self, port, req, want, what, body=b""):
        st, _, resp = R.raw_request(port, req + body)
        if st != want:
            raise RuntimeError("perms setup: %s -> %d (want %d) %s" % (what, st, want, resp[:300]))

    def web_host(self, port):
        """The website endpoint's Host for BUCKET (pail's default --domain
        s3.localhost): sent by the load tools to 127.0.0.1, no DNS involved."""
        return "%s.s3-website.localhost:%d" % (BUCKET, port)

    def check_website(self, port, private):
        """(e) answers for the reason meant: the website endpoint (its HTML
        error pages, the index document at /), anonymously (a root signature
        is ignored there), the object's own body."""
        web = self.web_host(port)
        pub = self.pub_keys[0]
        st, h, got = R.raw_request(port, R.anonymous_head(web, "GET", "/" + pub))
        _, _, rest = R.raw_request(port, R.anonymous_head(port, "GET", "/%s/%s" % (BUCKET, pub)))
        if st != 200 or got != rest or len(got) != 4 * KiB:
            raise RuntimeError("perms setup: website GET of a public-read object -> %d, %d bytes "
                               "(REST: %d bytes, same: %s)" % (st, len(got), len(rest), got == rest))
        st, _, got = R.raw_request(port, R.anonymous_head(web, "GET", "/"))
        if st != 200 or got != INDEX_BODY:
            raise RuntimeError("perms setup: website GET / -> %d %r (want the index document)"
                               % (st, got[:200]))
        st, h, got = R.raw_request(port, R.anonymous_head(web, "GET", private))
        if st != 403 or not h.get("content-type", "").startswith("text/html"):
            raise RuntimeError("perms setup: website GET of a private object -> %d %s %r (want 403 "
                               "with the website's HTML error page)" % (
                                   st, h.get("content-type"), got[:200]))
        root = R.Signer(port)
        root.host = web  # signed for the website host: the endpoint must still be anonymous
        self.check(port, root.head("GET", private), 403,
                   "website GET of a private object signed by the root (a website is anonymous)")

    def setup(self, srv):
        b, port = self.b, srv.port
        t = time.monotonic()
        for bk in (BUCKET, PLAIN):
            b.request(srv, "PUT", "/" + bk)
        iam, sts = boto(srv, "iam"), boto(srv, "sts")
        self.acct = sts.get_caller_identity()["Account"]
        pol = iam.create_policy(PolicyName=POLICY, PolicyDocument=json.dumps(group_policy()))
        iam.create_group(GroupName=GROUP)
        iam.attach_group_policy(GroupName=GROUP, PolicyArn=pol["Policy"]["Arn"])
        iam.create_user(UserName=USER)
        iam.add_user_to_group(GroupName=GROUP, UserName=USER)
        k = iam.create_access_key(UserName=USER)["AccessKey"]
        self.uak, self.usk = k["AccessKeyId"], k["SecretAccessKey"]
        for r in READERS:  # principals the bucket policy names must exist
            iam.create_user(UserName=r)
        doc = json.dumps(bucket_policy(self.acct)).encode()
        b.request(srv, "PUT", "/" + BUCKET, [("policy", None)], body=doc)
        _, got = b.request(srv, "GET", "/" + BUCKET, [("policy", None)])
        n = len(json.loads(got)["Statement"])
        if n != 20:
            raise RuntimeError("perms setup: the bucket policy has %d statements" % n)
        self.setup_s["IAM and bucket policy"] = time.monotonic() - t
        t = time.monotonic()
        self.get_keys = ["get/o%d-4k" % i for i in range(NGET)]
        self.pub_keys = ["pub/o%d-4k" % i for i in range(NGET)]
        self.put_keys = ["put/o%d-4k" % i for i in range(self.nput)]
        for bk in (BUCKET, PLAIN):
            b.put_many(srv, bk, self.get_keys, 4 * KiB, conns=8)
        b.put_many(srv, BUCKET, self.pub_keys, 4 * KiB, conns=8, extra=[("x-amz-acl", "public-read")])
        # (e): the same bucket and objects as (c), served as a static website
        b.request(srv, "PUT", "/" + BUCKET, [("website", None)], body=WEBSITE_CONF)
        b.request(srv, "PUT", "/%s/%s" % (BUCKET, INDEX), body=INDEX_BODY,
                  extra=[("x-amz-acl", "public-read"), ("Content-Type", "text/html")])
        b.put_many(srv, BUCKET, self.put_keys, 4 * KiB, conns=16)  # PUT cells overwrite these
        self.setup_s["objects"] = time.monotonic() - t
        # presigned URLs are made once, with the root key, valid 7 days
        ps = R.Signer(port)
        self.pre_get = [ps.presigned("GET", "/%s/%s" % (BUCKET, k)) for k in self.get_keys]
        self.pre_put = [ps.presigned("PUT", "/%s/%s" % (BUCKET, k), length=4 * KiB)
                        for k in self.put_keys]
        # every variant works, and for the reason it is meant to
        body = b"x" * (4 * KiB)
        us = R.Signer(port, self.uak, self.usk)
        key = "/%s/%s" % (BUCKET, self.get_keys[0])
        self.check(port, us.head("GET", key), 200, "IAM user GET (group policy)")
        self.check(port, us.head("PUT", "/%s/%s" % (BUCKET, self.put_keys[0]), length=len(body)), 200,
                   "IAM user PUT (group policy)", body)
        self.check(port, us.head("GET", "/%s/%s" % (PLAIN, self.get_keys[0])), 403,
                   "IAM user GET outside its group policy's bucket")
        self.check(port, R.anonymous_head(port, "GET", "/%s/%s" % (BUCKET, self.pub_keys[0])), 200,
                   "anonymous GET of a public-read object")
        self.check(port, R.anonymous_head(port, "GET", key), 403,
                   "anonymous GET of a private object (the bucket policy grants no public read)")
        self.check(port, self.pre_get[0], 200, "presigned GET")
        self.check_website(port, key)
        self.check(port, self.pre_put[0], 200, "presigned PUT", body)
        self.check(port, R.Signer(port).head("GET", key, extra=[("User-Agent", "curl/7.10")]), 403,
                   "root GET denied by the bucket policy's DenyOldClients (the policy is evaluated)")
        iam.remove_user_from_group(GroupName=GROUP, UserName=USER)
        self.check(port, R.Signer(port, self.uak, self.usk).head("GET", key), 403,
                   "IAM user GET without its group (the bucket policy alone does not allow it)")
        iam.add_user_to_group(GroupName=GROUP, UserName=USER)
        self.check(port, R.Signer(port, self.uak, self.usk).head("GET", key), 200,
                   "IAM user GET back in its group")

    # ------------------------------------------------------------ cells
    def reqs(self, port, cell):
        root, user = R.Signer(port), R.Signer(port, self.uak, self.usk)
        obj = lambda bk, k: "/%s/%s" % (bk, k)  # noqa: E731
        if cell == GET_A:
            return [root.head("GET", obj(BUCKET, k)) for k in self.get_keys], None
        if cell == GET_A0:
            return [root.head("GET", obj(PLAIN, k)) for k in self.get_keys], None
        if cell == GET_B:
            return [user.head("GET", obj(BUCKET, k)) for k in self.get_keys], None
        if cell == GET_C:
            return [R.anonymous_head(port, "GET", obj(BUCKET, k)) for k in self.pub_keys], None
        if cell == GET_D:
            return self.pre_get, None
        if cell == GET_E:
            web = self.web_host(port)
            return [R.anonymous_head(web, "GET", "/" + k) for k in self.pub_keys], None
        n = 4 * KiB
        if cell == PUT_A:
            return [root.head("PUT", obj(BUCKET, k), length=n) for k in self.put_keys], n
        if cell == PUT_B:
            return [user.head("PUT", obj(BUCKET, k), length=n) for k in self.put_keys], n
        if cell == PUT_D:
            return self.pre_put, n
        raise KeyError(cell)

    def measure(self, srv, cell, phase, rnd):
        reqs, body = self.reqs(srv.port, cell)
        res = self.b.cell(srv, cell, 16, reqs, 4 * KiB, body=body, secs=self.secs, record=False)
        res.update(phase=phase, round=rnd)
        self.cells.append(res)
        return res

    def bracketed(self, srv, phase, base, others, rnd):
        """base, x1, base, x2, base, ...: ({cell: x/mean(base around it)} in op/s,
        the same for CPU µs/req) for one round."""
        out, cpu = {}, {}
        prev = self.measure(srv, base, phase, rnd)
        for x in others:
            rx = self.measure(srv, x, phase, rnd)
            nxt = self.measure(srv, base, phase, rnd)
            ok = not (rx["errors"] or prev["errors"] or nxt["errors"])
            ref = (prev["ops"] + nxt["ops"]) / 2
            out[x] = rx["ops"] / ref if ref and ok else None
            if ok and None not in (rx["cpu_us"], prev["cpu_us"], nxt["cpu_us"]):
                cpu[x] = rx["cpu_us"] / ((prev["cpu_us"] + nxt["cpu_us"]) / 2)
            prev = nxt
        return out, cpu

    def rounds_of(self, srv, phase, plan, rounds):
        """plan: [(base, [others])]; the others' order is reversed every other round."""
        for r in range(rounds):
            got, cpu = {}, {}
            for base, others in plan:
                o, c = self.bracketed(srv, phase, base, others if r % 2 == 0 else others[::-1], r)
                got.update(o)
                cpu.update(c)
            self.rounds_out.append(dict(phase=phase, round=r, ratios=got, cpu_ratios=cpu))
            R.log("  perms %s round %d: %s" % (phase, r + 1, ", ".join(
                "%s/a %s" % (LETTER[c], R.fmt_ratio(v)) for c, v in got.items())))

    # ------------------------------------------------------------ many users
    def populate_users(self, srv, n):
        """n users (path /bulk/), 2 access keys each, every 10th in GROUP: real
        IAM API calls, pre-signed form POSTs sent by loadgen at 16 connections."""
        port, t0 = srv.port, time.monotonic()
        names = ["u%05d" % i for i in range(n)]
        steps = [("CreateUser", [[("Action", "CreateUser"), ("UserName", u), ("Path", "/bulk/")]
                                 for u in names]),
                 ("CreateAccessKey", [[("Action", "CreateAccessKey"), ("UserName", u)]
                                      for u in names for _ in (0, 1)]),
                 ("AddUserToGroup", [[("Action", "AddUserToGroup"), ("GroupName", GROUP),
                                      ("UserName", u)] for u in names[::10]])]
        for what, calls in steps:
            t = time.monotonic()
            for i in range(0, len(calls), 5000):  # signatures stay fresh (15 minutes)
                s = R.Signer(port, service="iam")
                f = R.write_reqs(os.path.join(self.work, "iam.req"),
                                 [s.form(c) for c in calls[i:i + 5000]])
                j = R.run_loadgen(port, f, 16, 3600, once=True, timeout=3600)
                if j["non2xx"] or j["socket_errors"]:
                    st, _, body = R.raw_request(port, R.Signer(port, service="iam").form(calls[i]))
                    raise RuntimeError("%s: %s (first again -> %d %s)" % (what, j, st, body[:200]))
            el = time.monotonic() - t
            self.setup_s["%d x %s" % (len(calls), what)] = el
            R.log("  perms: %d %s in %.1f s (%.0f/s)" % (len(calls), what, el, len(calls) / el))
        self.setup_s["users total"] = time.monotonic() - t0
        summ = boto(srv, "iam").get_account_summary()["SummaryMap"]
        return summ.get("Users"), summ.get("AccessKeysPerUserQuota")

    def restart(self, srv, times=3):
        """SIGTERM, start again: seconds until the port accepts, and until the
        IAM user's first signed GET is answered (also: how long the stop took,
        and the WAL left for the start)."""
        out = []
        wal = os.path.join(self.work, "pail-data", "meta.db-wal")
        for _ in range(times):
            t = time.monotonic()
            srv.stop()
            stop_s = time.monotonic() - t
            wal_mib = os.path.getsize(wal) / R.MiB if os.path.exists(wal) else 0.0
            t = time.monotonic()
            if not srv.start(poll=0.002):
                raise RuntimeError("pail did not restart on the perms data directory")
            tp = time.monotonic() - t
            self.check(srv.port, R.Signer(srv.port, self.uak, self.usk).head(
                "GET", "/%s/%s" % (BUCKET, self.get_keys[0])), 200, "IAM user GET after restart")
            out.append((tp, time.monotonic() - t, stop_s, wal_mib))
            R.log("  perms: restart: port after %.3f s, first IAM-user GET after %.3f s "
                  "(stop took %.3f s, WAL at start %.1f MiB)" % out[-1])
        return out

    # ------------------------------------------------------------ run
    def run(self):
        srv = R.Pail(self.work)
        R.log("perms: starting a fresh pail (%s)" % self.work)
        if not srv.start():
            self.notes.append("perms: pail did not start")
            return self
        try:
            self.setup(srv)
            R.log("perms: set up in %s" % ", ".join("%s %.1f s" % kv for kv in self.setup_s.items()))
            get_others = [GET_B, GET_C, GET_D, GET_E] + ([] if self.quick else [GET_A0])
            put_others = [PUT_B] + ([] if self.quick else [PUT_D])
            R.log("perms: %d rounds, %.0f s cells: GET %s; PUT %s" % (
                self.rounds, self.secs, " ".join(LETTER[c] + " a" for c in get_others),
                " ".join(LETTER[c] + " a" for c in put_others)))
            for cell in [GET_A] + get_others + [PUT_A] + put_others:  # not recorded: first
                reqs, body = self.reqs(srv.port, cell)                # connections, cold caches
                R.run_wrk(srv.port, R.write_reqs(os.path.join(self.work, "warm.req"), reqs), 16, 1, body)
            self.rounds_of(srv, "before", [(GET_A, get_others), (PUT_A, put_others)], self.rounds)
            if self.nusers:
                R.log("perms: creating %d users with 2 access keys each" % self.nusers)
                users, _ = self.populate_users(srv, self.nusers)
                restarts = self.restart(srv, 3 if self.quick else 5)
                self.startup = dict(users=users, keys=2 * self.nusers + 1, restarts=restarts)
                self.rounds_of(srv, "after", [(GET_A, [GET_B]), (PUT_A, [PUT_B])], self.rounds)
        except Exception as e:  # noqa: BLE001 - the report says what failed
            self.notes.append("perms: aborted: %s" % e)
            R.log(self.notes[-1])
        finally:
            srv.stop()
        return self

    # ------------------------------------------------------------ report
    def ratio(self, phase, cell, what="ratios", base=None):
        """(median ratio, [per-round ratios]) for cell/(a) in phase: op/s
        ("ratios") or CPU µs/req ("cpu_ratios"); with base, cell/base per
        round, as (cell/(a)) / (base/(a)) of that round."""
        rs = [r[what].get(cell) for r in self.rounds_out if r["phase"] == phase]
        if base is not None:
            bs = [r[what].get(base) for r in self.rounds_out if r["phase"] == phase]
            rs = [x / y if x is not None and y else None for x, y in zip(rs, bs)]
        rs = [x for x in rs if x is not None]
        return (statistics.median(rs) if rs else None), rs

    def stat(self, phase, cell, key):
        vs = [c[key] for c in self.cells if c["phase"] == phase and c["cell"] == cell
              and c[key] is not None]
        return statistics.median(vs) if vs else None

    def targets(self):
        rows = []

        def add(name, value, ok, detail):
            rows.append((name, value, "n/a" if ok is None else ("PASS" if ok else "MISS"), detail))

        def detail(phase, cell, base, rs):
            c, _ = self.ratio(phase, cell, "cpu_ratios")
            return ("median of %d bracketed rounds (%s); %s vs %s op/s, CPU %s vs %s µs/req "
                    "(medians; CPU ratio %s)" % (
                        len(rs), ", ".join(R.fmt_ratio(x) for x in rs),
                        R.fmt(self.stat(phase, cell, "ops")), R.fmt(self.stat(phase, base, "ops")),
                        R.fmt(self.stat(phase, cell, "cpu_us")), R.fmt(self.stat(phase, base, "cpu_us")),
                        R.fmt_ratio(c)))

        for cell, base in ((GET_B, GET_A), (GET_C, GET_A), (GET_D, GET_A), (GET_E, GET_A),
                           (PUT_B, PUT_A), (PUT_D, PUT_A)):
            m, rs = self.ratio("before", cell)
            if m is None and cell == PUT_D and self.quick:
                continue
            add("%s (%s) >= 90%% of %s (a)" % (cell, LETTER[cell], base), R.fmt_ratio(m),
                None if m is None else m >= 0.9, detail("before", cell, base, rs) if rs else "")
        m, rs = self.ratio("before", GET_E, base=GET_C)
        if m is not None:
            c, _ = self.ratio("before", GET_E, "cpu_ratios", base=GET_C)
            add("%s (e) vs %s (c): the website endpoint over REST, same objects" % (GET_E, GET_C),
                R.fmt_ratio(m), None, "informational; per round (e)/(a) over (c)/(a): %s; %s vs %s "
                "op/s, CPU %s vs %s µs/req (medians; CPU ratio %s)" % (
                    ", ".join(R.fmt_ratio(x) for x in rs),
                    R.fmt(self.stat("before", GET_E, "ops")), R.fmt(self.stat("before", GET_C, "ops")),
                    R.fmt(self.stat("before", GET_E, "cpu_us")),
                    R.fmt(self.stat("before", GET_C, "cpu_us")), R.fmt_ratio(c)))
        m, rs = self.ratio("before", GET_A0)
        if m is not None:
            add("%s: root with the 20-statement policy (a) vs without (a0)" % GET_A,
                R.fmt_ratio(1 / m), None, "(a)/(a0), informational: what evaluating the bucket "
                "policy costs the root; " + detail("before", GET_A0, GET_A, rs))
        st = self.startup
        if st:
            worst = max(x[0] for x in st["restarts"])
            add("start-up with %s users and %d access keys <= 1 s" % (R.fmt(st["users"]), st["keys"]),
                "%.3f s" % worst, worst <= 1.0,
                "worst of %d restarts (SIGTERM, start, port accepts): %s; first signed IAM-user GET "
                "answered after %s" % (len(st["restarts"]), ", ".join("%.3f s" % x[0] for x in st["restarts"]),
                                       ", ".join("%.3f s" % x[1] for x in st["restarts"])))
            for cell, base in ((GET_B, GET_A), (PUT_B, PUT_A)):
                m0, _ = self.ratio("before", cell)
                m1, rs = self.ratio("after", cell)
                c0, _ = self.ratio("before", cell, "cpu_ratios")
                c1, _ = self.ratio("after", cell, "cpu_ratios")
                ok = None if None in (m1, c0, c1) else (m1 >= 0.9 and c1 <= c0 + 0.10)
                add("%s (b) unchanged with %s users: >= 90%% of (a), and its CPU µs/req relative "
                    "to (a) at most 10 points above before" % (cell, R.fmt(st["users"])),
                    R.fmt_ratio(m1), ok,
                    "before: %s op/s ratio, CPU ratio %s; after: %s" % (
                        R.fmt_ratio(m0), R.fmt_ratio(c0),
                        detail("after", cell, base, rs) if rs else "-"))
        elif not self.quick:
            add("start-up with 10,000 users and 20,000 access keys <= 1 s", "-", None, "not measured")
        return rows

    def report_lines(self):
        w = []
        w.append("## Permissions (paired rounds)\n")
        w.append("A fresh pail; bucket `%s` carries a 20-statement bucket policy with conditions "
                 "(`bench/perms.py`: 8 Denies and the account's delegated Allow have their conditions "
                 "evaluated on every GET/PUT, none allows the IAM user or anonymous directly); "
                 "(b) is `%s`, whose only permission is group `%s`'s customer managed policy "
                 "`%s`; (c) GETs objects written with `x-amz-acl: public-read`; (d) replays "
                 "presigned URLs made once with the root key (7 days); (e) GETs (c)'s objects "
                 "anonymously through the website endpoint (`Host: %s.s3-website.localhost:PORT`, "
                 "the bucket has a website configuration with an index document). %d rounds of "
                 "%.0f s cells, each variant bracketed by (a) (`a b a c a d a e a ...`); a round's ratio is the variant's "
                 "op/s over the mean of the (a) cells around it. Setup: %s.\n" % (
                     BUCKET, USER, GROUP, POLICY, BUCKET, self.rounds, self.secs,
                     "; ".join("%s %.1f s" % kv for kv in self.setup_s.items())))
        w.append("| phase | cell | cells | op/s (median) | p50 ms | p99 ms | CPU µs/req | peak RSS MiB "
                 "| errors | op/s ratio to (a), median | rounds | CPU µs/req ratio to (a), median |")
        w.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        seen = []
        for c in self.cells:
            if (c["phase"], c["cell"]) not in seen:
                seen.append((c["phase"], c["cell"]))
        for phase, cell in seen:
            cs = [c for c in self.cells if c["phase"] == phase and c["cell"] == cell]
            m, rs = self.ratio(phase, cell)
            cm, _ = self.ratio(phase, cell, "cpu_ratios")
            w.append("| %s | %s (%s) | %d | %s | %.2f | %.2f | %s | %.1f | %d | %s | %s | %s |" % (
                phase, cell, LETTER[cell], len(cs), R.fmt(self.stat(phase, cell, "ops")),
                self.stat(phase, cell, "p50"), self.stat(phase, cell, "p99"),
                R.fmt(self.stat(phase, cell, "cpu_us")), max(c["rss"] for c in cs),
                sum(c["errors"] for c in cs), R.fmt_ratio(m) if m is not None else "-",
                ", ".join(R.fmt_ratio(x) for x in rs), R.fmt_ratio(cm) if cm is not None else "-"))
        if self.startup:
            w.append("\nStart-up: %s users, %d access keys (%s); restarts (port accepts / first "
                     "IAM-user GET answered; the SIGTERM before took / WAL left at start): %s.\n" % (
                         R.fmt(self.startup["users"]), self.startup["keys"],
                         "created through the IAM API by bench/loadgen at 16 connections",
                         "; ".join("%.3f s / %.3f s (%.3f s / %.1f MiB)" % tuple(x)
                                   for x in self.startup["restarts"])))
        for n in self.notes:
            w.append("- " + n)
        w.append("")
        return w

    def to_json(self):
        return dict(cells=self.cells, rounds=self.rounds_out, startup=self.startup,
                    setup_s=self.setup_s, notes=self.notes)
