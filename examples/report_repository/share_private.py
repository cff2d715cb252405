#!/usr/bin/env python3
"""Sharing a private file for a while, as the course does with presigned URLs:

  1. one day of requests stays private in gid-requests: a plain URL is refused;
  2. generate_presigned_url gives a link that works for --expires seconds,
     and pandas reads the CSV straight from it;
  3. after that, the same link is refused (AccessDenied, "Request has expired").

Run it after report_site.py (it uses the first file that script uploaded):

    python3 examples/report_repository/share_private.py --expires 5
"""
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import import_pandas, parse_args, path_url, s3_client, say  # noqa: E402

pd = import_pandas()

REQUESTS = "gid-requests"


def fetch(url):
    """(status, body) of a plain GET, as a browser or pandas would send it."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def error_code(body):
    import re
    m = re.search(rb"<Code>([^<]*)</Code>.*?<Message>([^<]*)</Message>", body, re.S)
    return "%s: %s" % (m.group(1).decode(), m.group(2).decode()) if m else body[:80]


def main():
    def extra(p):
        p.add_argument("--expires", type=int, default=10,
                       help="seconds the link works (default 10)")
        p.add_argument("--key", help="object to share (default: the first in gid-requests)")
    args = parse_args("Shares a private object with a presigned URL and shows it expire.", extra)
    s3 = s3_client(args)

    key = args.key
    if not key:
        contents = s3.list_objects_v2(Bucket=REQUESTS, MaxKeys=1).get("Contents")
        if not contents:
            sys.exit("gid-requests is empty: run report_site.py first")
        key = contents[0]["Key"]
    plain = path_url(args, REQUESTS, key)
    status, body = fetch(plain)
    say("Plain URL %s -> %d %s (the object is private)" % (plain, status, error_code(body)))

    url = s3.generate_presigned_url("get_object", Params={"Bucket": REQUESTS, "Key": key},
                                    ExpiresIn=args.expires)
    made = time.monotonic()
    say("Presigned URL, valid for %d s:\n  %s" % (args.expires, url))
    status, body = fetch(url)
    say("Presigned URL -> %d, %d bytes" % (status, len(body)))
    df = pd.read_csv(url)
    say("pandas read_csv(url): %d rows; first requests:\n%s"
        % (len(df), df[["service_request_id", "service_name", "status"]].head(3)
           .to_string(index=False)))

    # Presigned SigV4 URLs carry their signing time to the second; one more
    # second makes sure the check falls after the end.
    wait = args.expires + 1 - (time.monotonic() - made)
    if wait > 0:
        say("Waiting %.0f s for the link to expire..." % wait)
        time.sleep(wait)
    status, body = fetch(url)
    say("Presigned URL after %d s -> %d %s" % (args.expires, status, error_code(body)))
    if status != 403:
        sys.exit("the link should have expired")


if __name__ == "__main__":
    main()
