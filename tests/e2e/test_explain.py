"""`pail admin explain`: the trail of one decision, a line per policy, grant
or block that mattered, for an IAM user, the account root and anonymous —
checked against what the same principal gets from S3 for the same request."""
import uuid

from perm_util import *  # noqa: F401,F403 - fixtures need their dependencies in the module
from perm_util import create_user, delete_user_fully, deny, expect_error, policy_doc, run_admin


def explain(server, *args):
    out = run_admin(server, "explain", *args)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_explain_matches_what_s3_does(server, s3, iam):
    bucket = "pail-explain-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="reports/a.csv", Body=b"1")
    s3.put_bucket_policy(Bucket=bucket, Policy=(policy_doc(
        deny("s3:GetObject", "arn:aws:s3:::%s/secret/*" % bucket, principal="*", sid="NoSecret"))))
    user = create_user(iam, server.endpoint,
                       managed=["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
    try:
        # PutObject: no identity policy allows it; S3 says so too.
        text = explain(server, "--as", user.arn, "s3:PutObject", "arn:aws:s3:::%s/x" % bucket)
        assert "DENIED: no allow in identity-based policy" in text, text
        expect_error(user.s3.put_object, Bucket=bucket, Key="x", Body=b"1", code="AccessDenied",
                     status=403, why="no identity-based policy allows s3:PutObject")
        # GetObject of reports/: the read-only managed policy allows it.
        text = explain(server, "--as", user.arn, "s3:GetObject",
                       "arn:aws:s3:::%s/reports/a.csv" % bucket)
        assert text.rstrip().endswith("ALLOWED"), text
        assert user.s3.get_object(Bucket=bucket, Key="reports/a.csv")["Body"].read() == b"1"
        # secret/: the bucket policy's explicit deny, named by its Sid.
        text = explain(server, "--as", user.arn, "s3:GetObject",
                       "arn:aws:s3:::%s/secret/k" % bucket)
        assert "Sid NoSecret" in text and "explicit deny in a resource-based policy" in text, text
        # anonymous: nothing grants it.
        text = explain(server, "--as", "anonymous", "s3:GetObject",
                       "arn:aws:s3:::%s/reports/a.csv" % bucket)
        assert "DENIED" in text, text
    finally:
        delete_user_fully(iam, user.name)
        s3.delete_bucket_policy(Bucket=bucket)
        s3.delete_object(Bucket=bucket, Key="reports/a.csv")
        s3.delete_bucket(Bucket=bucket)


def test_explain_unknown_principal_fails(server):
    out = run_admin(server, "explain", "--as", "arn:aws:iam::000000000001:user/nobody",
                    "s3:GetObject", "arn:aws:s3:::b/k")
    assert out.returncode == 1 and "NoSuchEntity" in out.stderr, (out.stdout, out.stderr)
