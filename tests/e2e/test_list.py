"""ListObjects (v1) and ListObjectsV2: prefix, delimiter, markers, tokens,
max-keys, owner, url encoding, UTF-8 byte order."""
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import unique_name
from e2e_util import find_all_text, strip_ns, xml_root

TREE = ["a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y", "e"]


@pytest.fixture
def tree(s3, bucket):
    for k in TREE:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    return bucket


def keys(r):
    return [o["Key"] for o in r.get("Contents", [])]


def prefixes(r):
    return [p["Prefix"] for p in r.get("CommonPrefixes", [])]


# ---------------------------------------------------------------------- v1
def test_v1_all(s3, tree):
    r = s3.list_objects(Bucket=tree)
    assert keys(r) == TREE
    assert r["IsTruncated"] is False
    assert r["MaxKeys"] == 1000
    assert r["Name"] == tree
    for o in r["Contents"]:
        assert o["Size"] == len(o["Key"])
        assert o["ETag"].startswith('"') and len(o["ETag"]) == 34
        assert "ID" in o["Owner"]  # v1 always lists the owner


def test_v1_prefix(s3, tree):
    assert keys(s3.list_objects(Bucket=tree, Prefix="a/")) == ["a/1", "a/2", "a/b/3"]
    assert keys(s3.list_objects(Bucket=tree, Prefix="a/b")) == ["a/b/3"]
    assert keys(s3.list_objects(Bucket=tree, Prefix="zzz")) == []


def test_v1_delimiter(s3, tree):
    r = s3.list_objects(Bucket=tree, Delimiter="/")
    assert keys(r) == ["c", "e"]
    assert prefixes(r) == ["a/", "b/", "d/"]
    assert r["Delimiter"] == "/"
    r = s3.list_objects(Bucket=tree, Delimiter="/", Prefix="a/")
    assert keys(r) == ["a/1", "a/2"]
    assert prefixes(r) == ["a/b/"]
    r = s3.list_objects(Bucket=tree, Delimiter="/", Prefix="d/")
    assert keys(r) == []
    assert prefixes(r) == ["d/x/"]


def test_v1_non_slash_delimiter(s3, bucket):
    for k in ("x-1-a", "x-1-b", "x-2", "y"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    r = s3.list_objects(Bucket=bucket, Delimiter="-", Prefix="x-")
    assert prefixes(r) == ["x-1-"]
    assert keys(r) == ["x-2"]


def test_v1_marker(s3, tree):
    assert keys(s3.list_objects(Bucket=tree, Marker="b/1")) == ["c", "d/x/y", "e"]
    assert keys(s3.list_objects(Bucket=tree, Marker="b")) == ["b/1", "c", "d/x/y", "e"]
    assert keys(s3.list_objects(Bucket=tree, Marker="zzz")) == []


def test_v1_max_keys_and_next_marker_only_with_delimiter(s3, tree):
    r = s3.list_objects(Bucket=tree, MaxKeys=3)
    assert keys(r) == ["a/1", "a/2", "a/b/3"]
    assert r["IsTruncated"] is True
    assert r["MaxKeys"] == 3
    assert "NextMarker" not in r  # only returned when a delimiter was given
    # Common prefixes count against max-keys; NextMarker is the last one returned.
    r = s3.list_objects(Bucket=tree, MaxKeys=2, Delimiter="/")
    assert prefixes(r) == ["a/", "b/"]
    assert keys(r) == []
    assert r["IsTruncated"] is True
    assert r["NextMarker"] == "b/"
    r = s3.list_objects(Bucket=tree, MaxKeys=2, Delimiter="/", Marker=r["NextMarker"])
    assert keys(r) == ["c"]
    assert prefixes(r) == ["d/"]
    assert r["IsTruncated"] is True
    assert r["NextMarker"] == "d/"
    r = s3.list_objects(Bucket=tree, MaxKeys=2, Delimiter="/", Marker=r["NextMarker"])
    assert keys(r) == ["e"]
    assert prefixes(r) == []
    assert r["IsTruncated"] is False
    assert "NextMarker" not in r


def test_v1_paginate_25_keys_by_7(s3, bucket):
    all_keys = sorted("k%02d/%s" % (i, "x" * (i % 4)) for i in range(25))
    for k in all_keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    got, sizes, marker = [], [], ""
    while True:
        r = s3.list_objects(Bucket=bucket, MaxKeys=7, Marker=marker)
        page = keys(r)
        got += page
        sizes.append(len(page))
        if not r["IsTruncated"]:
            break
        marker = page[-1]
    assert sizes == [7, 7, 7, 4]
    assert got == all_keys
    # boto3's paginator does the same thing.
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 7}))
    assert [k for p in pages for k in keys(p)] == all_keys


def test_v1_invalid_max_keys(raw, bucket):
    r = raw.request("GET", bucket, query=[("max-keys", "blah")])
    assert r.status_code == 400
    assert "<Code>InvalidArgument</Code>" in r.text


# ---------------------------------------------------------------------- v2
def test_v2_basic_and_key_count(s3, tree):
    r = s3.list_objects_v2(Bucket=tree)
    assert keys(r) == TREE
    assert r["KeyCount"] == len(TREE)
    assert r["IsTruncated"] is False
    assert "NextContinuationToken" not in r
    r = s3.list_objects_v2(Bucket=tree, Delimiter="/")
    assert keys(r) == ["c", "e"]
    assert prefixes(r) == ["a/", "b/", "d/"]
    assert r["KeyCount"] == 5  # keys plus common prefixes


def test_v2_owner_only_with_fetch_owner(s3, tree):
    r = s3.list_objects_v2(Bucket=tree)
    assert all("Owner" not in o for o in r["Contents"])
    r = s3.list_objects_v2(Bucket=tree, FetchOwner=True)
    assert all(o["Owner"]["ID"] for o in r["Contents"])


def test_v2_continuation(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, MaxKeys=3)
    assert keys(r) == TREE[:3]
    assert r["IsTruncated"] is True
    assert r["KeyCount"] == 3
    token = r["NextContinuationToken"]
    assert token
    r = s3.list_objects_v2(Bucket=tree, MaxKeys=3, ContinuationToken=token)
    assert r["ContinuationToken"] == token
    assert keys(r) == TREE[3:6]
    r = s3.list_objects_v2(Bucket=tree, MaxKeys=3, ContinuationToken=r["NextContinuationToken"])
    assert keys(r) == TREE[6:]
    assert r["IsTruncated"] is False
    assert "NextContinuationToken" not in r


def test_v2_continuation_with_delimiter(s3, tree):
    got_keys, got_prefixes, token = [], [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = s3.list_objects_v2(Bucket=tree, MaxKeys=2, Delimiter="/", **kw)
        assert r["KeyCount"] == len(keys(r)) + len(prefixes(r)) <= 2
        got_keys += keys(r)
        got_prefixes += prefixes(r)
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert got_keys == ["c", "e"]
    assert got_prefixes == ["a/", "b/", "d/"]


def test_v2_start_after(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, StartAfter="b/1")
    assert keys(r) == ["c", "d/x/y", "e"]
    assert r["StartAfter"] == "b/1"
    r = s3.list_objects_v2(Bucket=tree, StartAfter="a/2", MaxKeys=1)
    assert keys(r) == ["a/b/3"]
    # The continuation token wins over start-after.
    r2 = s3.list_objects_v2(Bucket=tree, StartAfter="a/2", MaxKeys=1,
                            ContinuationToken=r["NextContinuationToken"])
    assert keys(r2) == ["b/1"]


def test_v2_max_keys_zero(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, MaxKeys=0)
    assert r["KeyCount"] == 0
    assert keys(r) == []
    assert r["MaxKeys"] == 0
    assert r["IsTruncated"] is False


def test_v2_paginate_25_by_7(s3, bucket):
    all_keys = sorted("p/%03d" % i for i in range(25))
    for k in all_keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 7}))
    assert [len(keys(p)) for p in pages] == [7, 7, 7, 4]
    assert [k for p in pages for k in keys(p)] == all_keys


def test_missing_bucket(s3):
    name = unique_name("missing")
    for call in (s3.list_objects, s3.list_objects_v2):
        with pytest.raises(ClientError) as e:
            call(Bucket=name)
        assert e.value.response["Error"]["Code"] == "NoSuchBucket"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# ------------------------------------------------------- encoding and order
ODD_KEYS = ["a b/c d", "a+b", "caf\u00e9/\u65e5\u672c", "x&y<z>", "pct%41", "sp ace"]


@pytest.fixture
def odd(s3, bucket):
    for k in ODD_KEYS:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    return bucket


def test_boto3_round_trips_odd_keys(s3, odd):
    # boto3 always asks for encoding-type=url and decodes with unquote_plus
    # itself; a server that ignored the parameter would break 'a+b'.
    assert keys(s3.list_objects_v2(Bucket=odd)) == sorted(ODD_KEYS, key=lambda k: k.encode())
    assert keys(s3.list_objects(Bucket=odd)) == sorted(ODD_KEYS, key=lambda k: k.encode())
    r = s3.list_objects_v2(Bucket=odd, Delimiter="/")
    assert prefixes(r) == ["a b/", "caf\u00e9/"]


@pytest.mark.parametrize("version", ["1", "2"])
def test_encoding_type_url_raw(raw, odd, version):
    q = [("encoding-type", "url"), ("prefix", "")]
    if version == "2":
        q.append(("list-type", "2"))
    r = raw.request("GET", odd, query=q)
    assert r.status_code == 200, r.text
    root = xml_root(r.content)
    assert find_all_text(root, "EncodingType") == ["url"]
    listed = find_all_text(root, "Key")
    for k in listed:  # no spaces, control characters or non-ASCII left
        assert all(33 <= ord(ch) < 127 for ch in k), "not url-encoded: %r" % k
    decoded = [urllib.parse.unquote_plus(k) for k in listed]
    assert decoded == sorted(ODD_KEYS, key=lambda k: k.encode())
    # A literal '+' must be escaped, or botocore's unquote_plus reads a space.
    assert listed[decoded.index("a+b")] == "a%2Bb"
    assert listed[decoded.index("pct%41")] == "pct%2541"


def test_control_characters_in_keys_url_encoded(s3, raw, bucket):
    # Why encoding-type exists: XML 1.0 cannot carry some control characters.
    ks = ["line\nfeed", "ctl\x01char", "tab\tkey"]
    for k in ks:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    r = raw.request("GET", bucket, query=[("list-type", "2"), ("encoding-type", "url")])
    assert r.status_code == 200, r.text
    listed = find_all_text(xml_root(r.content), "Key")
    assert sorted(listed) == sorted(["line%0Afeed", "ctl%01char", "tab%09key"])
    assert keys(s3.list_objects_v2(Bucket=bucket)) == sorted(ks)
    for k in ks:  # DeleteObjects cannot carry U+0001 in XML 1.0
        s3.delete_object(Bucket=bucket, Key=k)


def test_encoding_type_url_prefixes_and_delimiter_raw(raw, odd):
    r = raw.request("GET", odd, query=[("list-type", "2"), ("encoding-type", "url"), ("delimiter", "/")])
    assert r.status_code == 200, r.text
    root = xml_root(r.content)
    cps = [urllib.parse.unquote_plus(p) for p in find_all_text(root, "Prefix")
           if p]  # the top-level (empty) Prefix element is skipped
    assert sorted(cps) == ["a b/", "caf\u00e9/"]
    for p in find_all_text(root, "Prefix"):
        assert " " not in p and all(ord(ch) < 127 for ch in p)


def test_no_encoding_type_keys_are_literal_xml(raw, odd):
    r = raw.request("GET", odd, query=[("list-type", "2")])
    assert r.status_code == 200
    root = xml_root(r.content)
    assert find_all_text(root, "EncodingType") == []
    assert find_all_text(root, "Key") == sorted(ODD_KEYS, key=lambda k: k.encode())


def test_utf8_byte_order(s3, bucket):
    # UTF-8 byte order differs from UTF-16 order for astral characters
    # (U+1F600 sorts after U+FB00 here) and from case-insensitive order.
    ks = ["B", "a", "Z", "\u00e9", "e", "\u65e5", "\ufb00", "\U0001F600", "~", "0", "a/", "a-", "a0", "A"]
    for k in ks:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    want = sorted(ks, key=lambda k: k.encode("utf-8"))
    assert keys(s3.list_objects_v2(Bucket=bucket)) == want
    assert keys(s3.list_objects(Bucket=bucket)) == want
    # Paging must follow the same order.
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3})
    assert [k for p in pages for k in keys(p)] == want
    r = s3.list_objects_v2(Bucket=bucket, StartAfter="\ufb00")
    assert keys(r) == ["\U0001F600"]


def test_list_result_root_and_namespace(raw, tree):
    r = raw.request("GET", tree, query=[("list-type", "2")])
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/xml")
    root = xml_root(r.content)
    assert root.tag == "{http://s3.amazonaws.com/doc/2006-03-01/}ListBucketResult"
    names = [strip_ns(c.tag) for c in root]
    assert "Name" in names and "KeyCount" in names and "IsTruncated" in names
