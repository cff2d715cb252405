"""What both example scripts share: finding pandas, reading the endpoint and
the keys, making the boto3 client, and saying what is going on."""
import argparse
import os
import sys
import urllib.parse


def import_pandas():
    """The course installs boto3 and pandas with pip. On a Debian machine
    whose python3 has boto3 but not pandas (this project's image), Debian's
    python3-pandas loads from its dist-packages: it is appended, never put
    first, so that it cannot shadow a newer boto3 or urllib3."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
    import pandas
    return pandas


def parse_args(description, extra=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--endpoint", default=os.environ.get("PAIL_ENDPOINT", "http://127.0.0.1:9000"),
                   help="pail's S3 endpoint (default $PAIL_ENDPOINT or http://127.0.0.1:9000)")
    p.add_argument("--data", default="./data",
                   help="pail's data directory, for root-credentials when AWS_ACCESS_KEY_ID "
                        "is not set (default ./data, where `make run` keeps it)")
    p.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    p.add_argument("--domain", default="s3.localhost",
                   help="pail's --domain, for the website URL (default s3.localhost)")
    if extra:
        extra(p)
    return p.parse_args()


def credentials(args):
    """The keys from the environment, as boto3 would take them, or the root
    keys `make run` wrote to DATA/root-credentials (access key, then secret)."""
    ak, sk = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if ak and sk:
        return ak, sk, "the environment"
    path = os.path.join(args.data, "root-credentials")
    try:
        with open(path) as f:
            lines = f.read().split()
    except OSError as e:
        sys.exit("no keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data "
                 "at pail's data directory (%s)" % e)
    if len(lines) < 2:
        sys.exit("%s does not hold an access key and a secret" % path)
    return lines[0], lines[1], path


def s3_client(args):
    import boto3
    ak, sk, where = credentials(args)
    say("Using endpoint %s, region %s, keys from %s" % (args.endpoint, args.region, where))
    return boto3.client("s3", endpoint_url=args.endpoint, region_name=args.region,
                        aws_access_key_id=ak, aws_secret_access_key=sk)


def website_url(args, bucket):
    """AWS names a bucket's website http://BUCKET.s3-website-REGION.amazonaws.com/;
    pail's is BUCKET.s3-website.<domain without its "s3.">, on the S3 port."""
    u = urllib.parse.urlsplit(args.endpoint)
    domain = args.domain[3:] if args.domain.startswith("s3.") else args.domain
    port = ":%d" % u.port if u.port else ""
    return "http://%s.s3-website.%s%s/" % (bucket, domain, port)


def path_url(args, bucket, key=""):
    return "%s/%s/%s" % (args.endpoint.rstrip("/"), bucket, urllib.parse.quote(key))


def say(msg):
    print(msg, flush=True)


def create_bucket(s3, bucket):
    """Creates BUCKET, or keeps it when this account made it before, so the
    example can run again."""
    from botocore.exceptions import ClientError
    try:
        s3.create_bucket(Bucket=bucket)
        say("Created bucket %s" % bucket)
    except ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
        say("Bucket %s is already yours; using it" % bucket)
