#!/usr/bin/env python3
"""fuzz/make_seeds.py — writes the committed seed corpora fuzz/corpus/<name>/.

Each seed is what a real client sends (boto3 / awscli / the JS SDK / s3cmd
requests as pail sees them, the S3 API reference's XML bodies, IAM policy
examples, a browser form), in the input layout of its harness (see the
comment at the top of fuzz/<name>.c). Signed aws-chunked bodies are signed
here with AWS's example key, chained from the seed signatures of AWS's
published examples. Re-run after changing a layout; crashing inputs found
later are added by hand as fuzz/corpus/<name>/crash-<what>.
"""
import base64, hashlib, hmac, os, struct, sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
seeds = {}

def add(name, tag, data):
    if isinstance(data, str):
        data = data.encode()
    seeds.setdefault(name, []).append((tag, data))

AK, SK = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DATE, SCOPE = "20130524T000000Z", "20130524/us-east-1/s3/aws4_request"
EMPTY = hashlib.sha256(b"").hexdigest()

# ---- requests as the server's first handler call sees them -----------------
def req(line, *hdrs):
    return line + "\n" + "".join(h + "\n" for h in hdrs)

BOTO_PUT = req("PUT /gid-requests/2019/gid_requests_2019_01_01.csv HTTP/1.1",
    "Host: 127.0.0.1:9000", "Accept-Encoding: identity",
    "x-amz-checksum-crc32: NhCmhg==", "x-amz-sdk-checksum-algorithm: CRC32",
    "Content-Type: text/csv", "User-Agent: Boto3/1.43.0 md/Botocore#1.43.0 ua/2.1 os/linux",
    "Expect: 100-continue", "X-Amz-Date: " + DATE,
    "X-Amz-Content-SHA256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    "Authorization: AWS4-HMAC-SHA256 Credential=" + AK + "/" + SCOPE +
    ", SignedHeaders=content-type;host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;"
    "x-amz-sdk-checksum-algorithm, Signature=" + "0" * 64, "Content-Length: 5")
BOTO_LIST = req("GET /gid-requests?list-type=2&prefix=2019%2F&encoding-type=url HTTP/1.1",
    "Host: 127.0.0.1:9000", "X-Amz-Date: " + DATE, "X-Amz-Content-SHA256: " + EMPTY,
    "Authorization: AWS4-HMAC-SHA256 Credential=" + AK + "/" + SCOPE +
    ", SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + "1" * 64)
HTTPS_STREAM = req("PUT /gid-reports/counts.csv?x-id=PutObject HTTP/1.1",
    "Host: gid-reports.s3.localhost:9000", "Transfer-Encoding: chunked",
    "Content-Encoding: aws-chunked", "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "x-amz-decoded-content-length: 11", "x-amz-trailer: x-amz-checksum-crc32",
    "x-amz-date: " + DATE, "authorization: AWS4-HMAC-SHA256 Credential=" + AK + "/" + SCOPE +
    ",SignedHeaders=content-encoding;host;transfer-encoding;x-amz-content-sha256;x-amz-date;"
    "x-amz-decoded-content-length;x-amz-trailer,Signature=" + "2" * 64)
PRESIGNED_V4 = req("GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
    "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
    "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1",
    "Host: examplebucket.s3.amazonaws.com")
PRESIGNED_JS = req("PUT /gid-requests/up.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256="
    "UNSIGNED-PAYLOAD&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
    "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=900&X-Amz-Signature=" + "3" * 64 +
    "&X-Amz-SignedHeaders=host&x-amz-checksum-crc32=AAAAAA%3D%3D&x-id=PutObject HTTP/1.1",
    "host: 127.0.0.1:9000", "content-length: 0")
V2_PRESIGNED = req("GET /awsexamplebucket1/photos/puppy.jpg?AWSAccessKeyId=" + AK +
    "&Signature=1No4mq5ETf02z8aet9voy6gui6E%3D&Expires=1175139620 HTTP/1.1",
    "Host: 127.0.0.1:9000")
V2_HEADER = req("PUT /bkt/a%20b%2Bc?uploads= HTTP/1.1", "Host: 127.0.0.1:9000",
    "Date: Tue, 27 Mar 2007 19:36:42 +0000", "Content-Type: text/x-foo",
    "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==", "x-amz-meta-a: b c", "X-Amz-Meta-A: d",
    "x-amz-acl: public-read", "Authorization: AWS " + AK + ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=")
S3CMD = req("GET /gid-requests/?acl HTTP/1.1", "host: 127.0.0.1:9000",
    "x-amz-date: 20130524T000000Z", "x-amz-content-sha256: " + EMPTY,
    "authorization: AWS4-HMAC-SHA256 Credential=" + AK + "/" + SCOPE +
    ",SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=" + "4" * 64)
IAM = req("POST / HTTP/1.1", "Host: 127.0.0.1:9000",
    "Content-Type: application/x-www-form-urlencoded; charset=utf-8", "X-Amz-Date: " + DATE,
    "Authorization: AWS4-HMAC-SHA256 Credential=" + AK + "/20130524/us-east-1/iam/aws4_request,"
    " SignedHeaders=content-type;host;x-amz-date, Signature=" + "5" * 64) + \
    "\nAction=ListUsers&Version=2010-05-08"

for tag, r in [("boto3-put", BOTO_PUT), ("boto3-list", BOTO_LIST), ("https-stream", HTTPS_STREAM),
               ("presigned-v4", PRESIGNED_V4), ("presigned-js", PRESIGNED_JS),
               ("presigned-v2", V2_PRESIGNED), ("v2-header", V2_HEADER), ("s3cmd", S3CMD),
               ("iam", IAM)]:
    add("http_target", tag, r)
    add("sigv4", tag, "\0" + r)
    add("sigv4", tag + "-resigned", "\1" + r)
    if "v2" in tag or tag == "boto3-list":
        add("sigv2", tag, "\0" + r)
        add("sigv2", tag + "-resigned", "\1" + r)
add("sigv2", "v2-delete", "\1" + req("DELETE /gid-requests/old.csv HTTP/1.1",
    "Host: gid-requests.s3.localhost:9000", "Date: Tue, 27 Mar 2007 19:36:42 +0000",
    "x-amz-date: Tue, 27 Mar 2007 19:36:42 +0000",
    "Authorization: AWS " + AK + ":PglP3EuI+3+nZEBM+kJOakJ4rJA="))
add("sigv2", "v2-query-put", "\1" + req("PUT /bkt/a%20b%2Bc?AWSAccessKeyId=" + AK +
    "&Signature=CgsiHDrQLnNhXdIe9GYON4XGLPY%3D&content-type=text%2Fx-foo&x-amz-meta-a=b%20c"
    "&x-amz-acl=public-read&Expires=1175139620 HTTP/1.1", "Host: 127.0.0.1:9000"))
for tag, r in [
    ("absolute-form", req("GET http://gid-reports.s3-website.localhost:9000/index.html HTTP/1.1",
                          "Host: proxy.example")),
    ("vhost", req("GET /2019/gid_requests_2019_01_01.csv?x-id=GetObject HTTP/1.1",
                  "Host: gid-requests.s3.localhost:9000", "x-amz-checksum-mode: ENABLED",
                  "Range: bytes=0-1023")),
    ("website-regional", req("GET /docs/ HTTP/1.1", "Host: gid-reports.s3-website-us-east-1.localhost")),
    ("smuggle-cl-te", req("POST /gid-requests/k HTTP/1.1", "Host: 127.0.0.1:9000",
                          "Content-Length: 4", "Transfer-Encoding: chunked")),
    ("smuggle-two-cl", req("PUT /gid-requests/k HTTP/1.1", "Host: 127.0.0.1:9000",
                           "Content-Length: 4", "Content-Length: 5")),
    ("te-gzip", req("PUT /gid-requests/k HTTP/1.1", "Host: x", "Transfer-Encoding: gzip, chunked")),
    ("delete-objects", req("POST /gid-requests?delete= HTTP/1.1", "Host: 127.0.0.1:9000",
                           "Content-Type: application/xml")),
    ("mpu", req("POST /gid-requests/big.bin?uploads HTTP/1.1", "Host: 127.0.0.1:9000",
                "x-amz-checksum-algorithm: CRC32")),
    ("part", req("PUT /gid-requests/big.bin?partNumber=2&uploadId=7c1f0f0e HTTP/1.1",
                 "Host: 127.0.0.1:9000", "Content-Length: 8388608")),
    ("copy", req("PUT /gid-requests/copy%2Fof+%E2%82%AC.csv HTTP/1.1", "Host: 127.0.0.1:9000",
                 "x-amz-copy-source: gid-requests/2019%2Fa.csv", "x-amz-metadata-directive: COPY")),
    ("preflight", req("OPTIONS /gid-reports/index.html HTTP/1.1", "Host: 127.0.0.1:9000",
                      "Origin: http://localhost:8080", "Access-Control-Request-Method: PUT",
                      "Access-Control-Request-Headers: content-type,x-amz-date")),
    ("metrics", req("GET /_pail/metrics HTTP/1.1", "Host: 127.0.0.1:9000")),
    ("bad-escape", req("GET /b/%zz?a=%2 HTTP/1.1", "Host: 127.0.0.1:9000")),
    ("sse-c", req("PUT /b/k HTTP/1.1", "Host: x",
                  "x-amz-server-side-encryption-customer-algorithm: AES256")),
]:
    add("http_target", tag, r)

# ---- percent-decoding and friends -------------------------------------------
for tag, s in [("key", "2019/gid%20requests%2B+%E2%82%AC.csv"), ("form", "a+b%3Dc&d=%26"),
               ("bad", "%ZZ%4"), ("utf8", "caf\xc3\xa9 \xf0\x9f\x98\x80 \xed\xa0\x80"),
               ("b64", "NhCmhg=="), ("hex", EMPTY)]:
    add("encode", tag, s.encode("latin-1"))

# ---- aws-chunked ---------------------------------------------------------------
def chunked_signed(chunks, seed, key, trailer=None):
    prev, out = seed, b""
    for c in chunks + [b""]:
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", DATE, SCOPE, prev, EMPTY,
                         hashlib.sha256(c).hexdigest()])
        prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out += b"%x;chunk-signature=%s\r\n" % (len(c), prev.encode()) + c + (b"\r\n" if c else b"")
    if trailer is None:
        return out + b"\r\n"
    lines = "".join("%s:%s\n" % kv for kv in trailer)
    sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", DATE, SCOPE, prev,
                     hashlib.sha256(lines.encode()).hexdigest()])
    tsig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return out + "".join("%s:%s\r\n" % kv for kv in trailer).encode() + \
        b"x-amz-trailer-signature:" + tsig.encode() + b"\r\n\r\n"

def signing_key():
    k = ("AWS4" + SK).encode()
    for m in ["20130524", "us-east-1", "s3", "aws4_request"]:
        k = hmac.new(k, m.encode(), hashlib.sha256).digest()
    return k

KEY = signing_key()
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
SEED_T = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
splits = bytes([5, 17, 1, 63, 2, 40, 9, 0])
add("aws_chunked", "unsigned-trailer", b"\0" + bytes([len(splits)]) + splits +
    b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n")
add("aws_chunked", "unsigned-js-lf", b"\0\3\1\1\1" + b"b\r\nhello world\r\n0\nx-amz-checksum-crc32c:yZRlqg==\n")
add("aws_chunked", "unsigned-no-trailer", b"\0\0" + b"3\r\nabc\r\n0\r\n\r\n")
add("aws_chunked", "signed", b"\1" + bytes([len(splits)]) + splits +
    chunked_signed([b"a" * 8192, b"b" * 10], SEED, KEY))
add("aws_chunked", "signed-trailer", b"\2" + bytes([len(splits)]) + splits +
    chunked_signed([b"a" * 8192, b"c" * 3], SEED_T, KEY, [("x-amz-checksum-crc32", "sOO8/Q==")]))
add("aws_chunked", "signed-bad-sig", b"\1\0" + b"3;chunk-signature=" + b"0" * 64 + b"\r\nabc\r\n")

# ---- Range, conditionals, dates ------------------------------------------------
def hdrs(size, mtime, *lines):
    return struct.pack("<QQ", size, mtime) + "".join(l + "\n" for l in lines).encode()
T = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT
for tag, s in [
    ("range", hdrs(1000, T, "Range: bytes=0-9")),
    ("range-suffix", hdrs(1000, T, "Range: bytes=-500")),
    ("range-open", hdrs(1000, T, "Range: bytes=9500-")),
    ("range-multi", hdrs(1000, T, "Range: bytes=0-1,5-6")),
    ("range-past", hdrs(10, T, "Range: bytes=10-20")),
    ("range-huge", hdrs(2**64 - 1, T, "Range: bytes=18446744073709551615-")),
    ("if-match", hdrs(0, T, 'If-Match: "d41d8cd98f00b204e9800998ecf8427e"',
                      "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT")),
    ("if-none-match", hdrs(0, T, 'If-None-Match: W/"x", "d41d8cd98f00b204e9800998ecf8427e"',
                           "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT")),
    ("asctime", hdrs(0, T, "If-Modified-Since: Sun Nov  6 08:49:37 1994", "Date: 20130524T000000Z")),
    ("copy-if", hdrs(5, T, "x-amz-copy-source: /gid-requests/2019%2Fa.csv?versionId=null",
                     "x-amz-copy-source-if-match: *",
                     "x-amz-copy-source-if-modified-since: Wed, 21 Oct 2015 07:28:00 GMT")),
    ("tagging", hdrs(0, T, "x-amz-tagging: team=finance&project=gid%20requests&empty=")),
    ("grants", hdrs(0, T, 'x-amz-grant-read: uri="http://acs.amazonaws.com/groups/global/AllUsers", '
                    'id="' + "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" + '"',
                    "x-amz-grant-full-control: emailAddress=\"xyz@amazon.com\"",
                    "x-amz-grant-write: id=75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a")),
    ("iso", hdrs(0, T, "x-amz-object-lock-retain-until-date: 2026-12-31T12:00:00.000+01:00")),
]:
    add("http_headers", tag, s)

# ---- XML bodies (S3 API reference examples) ------------------------------------
NS = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
XML = [
    (0, "delete", '<?xml version="1.0" encoding="UTF-8"?>\n<Delete' + NS + '><Quiet>true</Quiet>'
     '<Object><Key>sample1.txt</Key></Object><Object><Key>sample2.txt</Key>'
     '<VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId></Object>'
     '<Object><Key> spaced key </Key><ETag>"abc"</ETag><Size>5</Size>'
     '<LastModifiedTime>2026-12-01T00:00:00Z</LastModifiedTime></Object></Delete>'),
    (1, "complete", '<CompleteMultipartUpload' + NS + '><Part><PartNumber>1</PartNumber>'
     '<ETag>"a54357aff0632cce46d942af68356b38"</ETag><ChecksumCRC32>NhCmhg==</ChecksumCRC32></Part>'
     '<Part><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag><PartNumber>2</PartNumber></Part>'
     '</CompleteMultipartUpload>'),
    (2, "create-bucket", '<CreateBucketConfiguration' + NS + '><LocationConstraint>eu-west-1'
     '</LocationConstraint></CreateBucketConfiguration>'),
    (2, "create-bucket-empty", "  \n"),
    (3, "acl", '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner>'
     '<ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>'
     '<DisplayName>owner</DisplayName></Owner><AccessControlList><Grant><Grantee '
     'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
     '<ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>'
     '<DisplayName>owner</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>'
     '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">'
     '<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>'
     '<Permission>READ</Permission></Grant><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/'
     'XMLSchema-instance" xsi:type="AmazonCustomerByEmail"><EmailAddress>xyz@amazon.com'
     '</EmailAddress></Grantee><Permission>WRITE_ACP</Permission></Grant></AccessControlList>'
     '</AccessControlPolicy>'),
    (4, "pab", '<PublicAccessBlockConfiguration' + NS + '><BlockPublicAcls>TRUE</BlockPublicAcls>'
     '<IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy> true </BlockPublicPolicy>'
     '<RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>'),
    (5, "ownership", '<OwnershipControls' + NS + '><Rule><ObjectOwnership>BucketOwnerEnforced'
     '</ObjectOwnership></Rule></OwnershipControls>'),
    (6, "tagging", '<Tagging' + NS + '><TagSet><Tag><Key>team</Key><Value>finance</Value></Tag>'
     '<Tag><Key>project</Key><Value>gid requests</Value></Tag></TagSet></Tagging>'),
    (7, "bucket-tagging", '<Tagging><TagSet><Tag><Key>aws:x</Key><Value></Value></Tag></TagSet></Tagging>'),
    (8, "website", '<WebsiteConfiguration' + NS + '><IndexDocument><Suffix>index.html</Suffix>'
     '</IndexDocument><ErrorDocument><Key>Error.html</Key></ErrorDocument><RoutingRules>'
     '<RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition><Redirect>'
     '<ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect></RoutingRule>'
     '<RoutingRule><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals>'
     '</Condition><Redirect><HostName>ec2-11-22-333-44.compute-1.amazonaws.com</HostName>'
     '<ReplaceKeyPrefixWith>report-404/</ReplaceKeyPrefixWith></Redirect></RoutingRule>'
     '</RoutingRules></WebsiteConfiguration>'),
    (8, "website-redirect-all", '<WebsiteConfiguration' + NS + '><RedirectAllRequestsTo>'
     '<HostName>example.com</HostName><Protocol>https</Protocol></RedirectAllRequestsTo>'
     '</WebsiteConfiguration>'),
    (9, "cors", '<CORSConfiguration><CORSRule><AllowedOrigin>http://www.example.com</AllowedOrigin>'
     '<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>DELETE'
     '</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds>'
     '<ExposeHeader>x-amz-server-side-encryption</ExposeHeader></CORSRule><CORSRule><ID>all-get'
     '</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>'
     '</CORSConfiguration>'),
    (0, "doctype", '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><Delete>'
     '<Object><Key>&lol;</Key></Object></Delete>'),
]
for k, tag, body in XML:
    add("xml", tag, bytes([k]) + body.encode())

CORS = dict((t, b) for k, t, b in XML)["cors"]
add("cors", "preflight-put", "OPTIONS\nhttp://www.example.com\nPUT\ncontent-type, x-amz-date\n" + CORS)
add("cors", "actual-get", "GET\nhttp://localhost:8080\n\n\n" + CORS)
add("cors", "wildcard", "GET\nhttps://app.example.org\nGET\nx-amz-*\n<CORSConfiguration><CORSRule>"
    "<AllowedOrigin>https://*.example.org</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    "<AllowedMethod>HEAD</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader></CORSRule>"
    "</CORSConfiguration>")
WEB = dict((t, b) for k, t, b in XML)
add("website", "docs-prefix", "docs/a.html\n0\ngid-reports.s3-website.localhost:9000\n" + WEB["website"])
add("website", "error-404", "missing.html\n404\ngid-reports.s3-website.localhost:9000\n" + WEB["website"])
add("website", "redirect-all", "x\n0\nb.s3-website.localhost\n" + WEB["website-redirect-all"])
add("website", "replace-key", "old/page.html\n0\n\n" + '<WebsiteConfiguration><IndexDocument><Suffix>'
    'index.html</Suffix></IndexDocument><RoutingRules><RoutingRule><Condition><KeyPrefixEquals>old/'
    '</KeyPrefixEquals></Condition><Redirect><Protocol>https</Protocol><HttpRedirectCode>302'
    '</HttpRedirectCode><ReplaceKeyWith>new.html</ReplaceKeyWith></Redirect></RoutingRule>'
    '</RoutingRules></WebsiteConfiguration>')

# ---- JSON documents --------------------------------------------------------------
POLICIES = [
    (1, "public-read", '{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow",'
     '"Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],'
     '"Resource":["arn:aws:s3:::gid-requests/*"]}]}'),
    (1, "deny-insecure", '{"Version":"2012-10-17","Id":"p1","Statement":[{"Effect":"Deny",'
     '"Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"]},"Action":"s3:*",'
     '"Resource":["arn:aws:s3:::gid-requests","arn:aws:s3:::gid-requests/*"],"Condition":{'
     '"Bool":{"aws:SecureTransport":"false"},"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24",'
     '"2001:db8::/32"]}}}]}'),
    (0, "identity-home", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":'
     '"s3:ListBucket","Resource":"arn:aws:s3:::gid-requests","Condition":{"StringLike":{'
     '"s3:prefix":["home/${aws:username}/*","home/"]},"DateLessThan":{"aws:CurrentTime":'
     '"2027-01-01T00:00:00Z"}}},{"Effect":"Allow","NotAction":"iam:*","NotResource":'
     '"arn:aws:s3:::secret/*","Condition":{"ForAnyValue:StringEquals":{"s3:ExistingObjectTag/team":'
     '["finance"]},"NumericLessThanEquals":{"s3:max-keys":"100"},"Null":{"s3:x-amz-acl":"true"}}}]}'),
    (2, "trust", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":'
     '"arn:aws:iam::111122223333:user/division/analyst","Service":"ec2.amazonaws.com"},'
     '"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{'
     '"sts:ExternalId":"12345"}}}]}'),
    (3, "acl-json", '{"o":"75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a","g":['
     '{"t":"c","i":"75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a","p":15},'
     '{"t":"g","u":"http://acs.amazonaws.com/groups/global/AllUsers","p":1},'
     '{"t":"e","e":"xyz@amazon.com","p":1}]}'),
    (4, "post-policy", '{ "expiration": "2026-12-30T12:00:00.000Z",\n  "conditions": [\n'
     '    {"bucket": "gid-requests"},\n    ["starts-with", "$key", "uploads/"],\n'
     '    {"acl": "public-read"},\n    {"success_action_redirect": "http://localhost/ok"},\n'
     '    ["starts-with", "$Content-Type", "image/"],\n    {"x-amz-meta-uuid": "14365123651274"},\n'
     '    ["starts-with", "$x-amz-meta-tag", ""],\n    ["content-length-range", 1, "10485760"],\n'
     '    {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},\n'
     '    {"x-amz-algorithm": "AWS4-HMAC-SHA256"},\n    {"x-amz-date": "20151229T000000Z" }\n  ]\n}'),
]
for k, tag, doc in POLICIES:
    add("policy", tag, bytes([k]) + doc.encode())

# ---- IAM / STS forms -------------------------------------------------------------
import urllib.parse as up
def form(**kv):
    return up.urlencode(kv)
add("query_form", "list-users", "\nAction=ListUsers&Version=2010-05-08&PathPrefix=%2Fdivision%2F&MaxItems=10")
add("query_form", "get-caller", "Action=GetCallerIdentity&Version=2011-06-15\n")
add("query_form", "get-user", "\nAction=GetUser&UserName=analyst&Version=2010-05-08")
add("query_form", "simulate", "\n" + form(**{"Action": "SimulateCustomPolicy", "Version": "2010-05-08",
    "PolicyInputList.member.1": {t: d for _, t, d in POLICIES}["identity-home"],
    "ActionNames.member.1": "s3:ListBucket", "ActionNames.member.2": "s3:GetObject",
    "ResourceArns.member.1": "arn:aws:s3:::gid-requests",
    "ContextEntries.member.1.ContextKeyName": "s3:prefix",
    "ContextEntries.member.1.ContextKeyType": "stringList",
    "ContextEntries.member.1.ContextKeyValues.member.1": "home/analyst/"}))
add("query_form", "simulate-principal", "\n" + form(**{"Action": "SimulatePrincipalPolicy",
    "Version": "2010-05-08", "PolicySourceArn": "arn:aws:iam::000000000000:user/analyst",
    "ActionNames.member.1": "iam:CreateUser"}))
add("query_form", "list-policies", "\nAction=ListPolicies&Scope=AWS&OnlyAttached=false&Marker=abc&Version=2010-05-08")
add("query_form", "bad-escape", "Action=List%2\n")

# ---- POST Object forms -------------------------------------------------------------
B = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
def mp(fields, filename="photo.png", data=b"\x89PNG\r\n\x1a\n--not-a-boundary\r\n", ct=True):
    out = b""
    for n, v in fields:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (B, n, v)).encode()
    out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n" % (B, filename)).encode()
    if ct:
        out += b"Content-Type: image/png\r\n"
    out += b"\r\n" + data + ("\r\n--%s--\r\n" % B).encode()
    return out
POLICY_B64 = base64.b64encode(POLICIES[-1][2].encode()).decode()
v4_fields = [("key", "uploads/${filename}"), ("acl", "public-read"), ("Content-Type", "image/png"),
             ("x-amz-meta-uuid", "14365123651274"), ("X-Amz-Credential", AK + "/20151229/us-east-1/s3/aws4_request"),
             ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Date", "20151229T000000Z"),
             ("Policy", POLICY_B64), ("X-Amz-Signature", "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e")]
sp = bytes([7, 33, 2, 60, 1, 1, 45, 12, 9, 63])
add("form_multipart", "sigv4-browser", bytes([len(sp)]) + sp +
    ("multipart/form-data; boundary=%s\n" % B).encode() + mp(v4_fields))
add("form_multipart", "boto3-presigned-post", b"\0" + b'multipart/form-data; boundary="abc123"\n' +
    mp([("key", "k"), ("AWSAccessKeyId", AK), ("policy", POLICY_B64), ("signature", "0RavWzkygo6QX9caELEqKi9kDbU=")],
       data=b"hello").replace(B.encode(), b"abc123"))
add("form_multipart", "anonymous-no-ct", b"\x03\x05\x05\x05" + ("Multipart/Form-Data; Boundary=%s\n" % B).encode() +
    b"preamble\r\n" + mp([("key", "a/b")], ct=False) + b"epilogue")
add("form_multipart", "no-file", b"\0" + ("multipart/form-data; boundary=%s\n" % B).encode() +
    ("--%s\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--%s--\r\n" % (B, B)).encode())

for name, items in seeds.items():
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for tag, data in items:
        with open(os.path.join(d, "seed-" + tag), "wb") as f:
            f.write(data)
print("seeds:", ", ".join("%s %d" % (n, len(v)) for n, v in sorted(seeds.items())))
