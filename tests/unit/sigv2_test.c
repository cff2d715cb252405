/* tests/unit/sigv2_test.c — auth/sigv2.c and the SigV2 paths of auth/auth.c.
 * Vectors: the S3 user guide's "Signing and authenticating REST requests"
 * examples (AKIAIOSFODNN7EXAMPLE; only those whose published signature
 * reproduces from their published StringToSign — the Delete, Upload and
 * query-string examples do not), requests signed by botocore 1.43's
 * HmacV1Auth / HmacV1QueryAuth (date and expiry pinned as the section
 * comments say), a few strings signed by hand with Python's hmac for the
 * x-amz-date, bucket-path and empty-value variants, and HMAC-SHA1 from
 * RFC 2202. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/sigv2.h"
#include "core/arena.h"
#include "core/buf.h"
#include "http/request.h"
#include "s3/services.h"
#include "util/encode.h"

#include <string.h>

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define SK_ODD "pail/e2e+TestSecretKey0000000000000000000"
/* botocore vectors: HmacV1Auth._get_date pinned to this. */
#define BDATE "Tue, 27 Mar 2007 19:36:42 GMT"
#define BT0 ((time_t)1175024202) /* BDATE as epoch seconds */

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* String to sign and signature of one request, both checked. */
static void check(const char *method, const char *path, const char *query,
                  const struct pail_sigv2_hdr *h, size_t nh, const char *date, bool qa,
                  const char *secret, const char *want_sts, const char *want_sig)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_sigv2_input in = {
        .method = method, .raw_path = pail_sigv2_resource_path(a, path), .raw_query = query,
        .headers = h, .nheaders = nh, .date = date, .query_auth = qa,
    };
    struct pail_buf sts;
    pail_buf_init(&sts, PAIL_SIGV2_MAX_STRING);
    assert_int_equal(pail_sigv2_string_to_sign(a, &in, &sts), PAIL_OK);
    if (want_sts)
        assert_string_equal(sts.data, want_sts);
    char sig[PAIL_SIGV2_SIG_LEN + 1];
    assert_int_equal(pail_sigv2_signature(a, &in, secret, sig), PAIL_OK);
    assert_string_equal(sig, want_sig);
    pail_buf_free(&sts);
    pail_arena_free(a);
}

/* ---- the S3 user guide's examples ---------------------------------------- */

static void test_guide_object_get(void **state)
{
    /* Virtual-hosted in the guide; the canonical resource is the same as
     * for the path-style request below. */
    check("GET", "/awsexamplebucket1/photos/puppy.jpg", "", NULL, 0,
          "Tue, 27 Mar 2007 19:36:42 +0000", false, SK,
          "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
          "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
}

static void test_guide_object_put(void **state)
{
    const struct pail_sigv2_hdr h[] = {
        {"content-type", "image/jpeg"}, {"content-length", "94328"},
        {"host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"},
        {"date", "Tue, 27 Mar 2007 21:15:45 +0000"},
    };
    check("PUT", "/awsexamplebucket1/photos/puppy.jpg", "", h, N(h),
          "Tue, 27 Mar 2007 21:15:45 +0000", false, SK,
          "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n"
          "/awsexamplebucket1/photos/puppy.jpg",
          "iqRzw+ileNPu1fhspnRs8nOjjIA=");
}

static void test_guide_list(void **state)
{
    /* Query parameters that are not sub-resources stay out. */
    const struct pail_sigv2_hdr h[] = {{"user-agent", "Mozilla/5.0"}};
    check("GET", "/awsexamplebucket1/", "prefix=photos&max-keys=50&marker=puppy", h, N(h),
          "Tue, 27 Mar 2007 19:42:41 +0000", false, SK,
          "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/",
          "m0WP8eCtspQl5Ahe6L1SozdX9YA=");
}

static void test_guide_fetch_acl(void **state)
{
    check("GET", "/awsexamplebucket1/", "acl", NULL, 0, "Tue, 27 Mar 2007 19:44:46 +0000",
          false, SK, "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl",
          "82ZHiFIjc+WbcwFKGUVEQspPn+0=");
}

static void test_guide_list_all_buckets(void **state)
{
    check("GET", "/", "", NULL, 0, "Wed, 28 Mar 2007 01:29:59 +0000", false, SK,
          "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/", "qGdzdERIC03wnaRNKh6OqZehG9s=");
}

static void test_guide_unicode_keys(void **state)
{
    /* Signed literally: escapes and their case as sent. */
    check("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "", NULL, 0,
          "Wed, 28 Mar 2007 01:49:49 +0000", false, SK,
          "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
          "DNEZGsoieTZ92F3bUfSPQcbGmlM=");
}

/* ---- botocore HmacV1Auth (header form) ----------------------------------- */
/* Generated with AWSRequest + a HmacV1Auth whose _get_date returns BDATE;
 * repeated headers added with request.headers.add_header(). */

static void test_botocore_awkward_put(void **state)
{
    const struct pail_sigv2_hdr h[] = {
        {"content-type", "text/plain"}, {"content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="},
        {"x-amz-meta-k", "  v  w "},   {"x-amz-meta-multi", "one"},
        {"x-amz-meta-multi", " two "}, {"x-amz-acl", "private"},
        {"date", BDATE},
    };
    check("PUT", "/bkt/dir/a%20b%2Bc%2541%C3%A9%23%3F.txt", "", h, N(h), BDATE, false, SK,
          "PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\ntext/plain\n" BDATE "\n"
          "x-amz-acl:private\nx-amz-meta-k:v  w\nx-amz-meta-multi:one,two\n"
          "/bkt/dir/a%20b%2Bc%2541%C3%A9%23%3F.txt",
          "PbZ0D4AMmJLU2UBckrZQ3/jHWRc=");
}

static void test_botocore_upload_part(void **state)
{
    /* Sorted by name, values decoded ('+' stays). */
    check("PUT", "/bkt/big%2Bfile", "uploadId=x%2By%2F%3D&partNumber=3", NULL, 0, BDATE, false,
          SK, "PUT\n\n\n" BDATE "\n/bkt/big%2Bfile?partNumber=3&uploadId=x+y/=",
          "MRBFUseO/2t4D2LyWU1JOztvuQI=");
}

static void test_botocore_acl(void **state)
{
    check("GET", "/bkt/obj", "acl", NULL, 0, BDATE, false, SK,
          "GET\n\n\n" BDATE "\n/bkt/obj?acl", "cWXVFmLySNxwpcjlpjj8TPowkrk=");
}

static void test_botocore_response_overrides(void **state)
{
    check("GET", "/bkt/k%20%2B",
          "x-id=GetObject&response-content-disposition=attachment%3B%20filename%3D%22a%2Bb%20"
          "c.txt%22&versionId=v%2B1&response-content-type=text%2Fplain&prefix=ignored",
          NULL, 0, BDATE, false, SK,
          "GET\n\n\n" BDATE "\n/bkt/k%20%2B?response-content-disposition=attachment; "
          "filename=\"a+b c.txt\"&response-content-type=text/plain&versionId=v+1",
          "yII2CRQrGSk7DEzoW/6oK7J+qLo=");
}

static void test_botocore_bucket_paths(void **state)
{
    /* botocore sends "/bkt" but signs its authPath "/bkt/". */
    check("GET", "/bkt", "uploads&prefix=p", NULL, 0, BDATE, false, SK,
          "GET\n\n\n" BDATE "\n/bkt/?uploads", "DTeDDG9Qwo5bOVeWlbqaEBB025M=");
    const struct pail_sigv2_hdr h[] = {{"content-type", "application/xml"}};
    check("POST", "/bkt", "delete", h, N(h), BDATE, false, SK,
          "POST\n\napplication/xml\n" BDATE "\n/bkt/?delete", "WkzAcZ7BL6UTXk7WxxlfEPQG1aA=");
    check("GET", "/", "", NULL, 0, BDATE, false, SK, "GET\n\n\n" BDATE "\n/",
          "zeG1xigXZag/O5m4KHFzLgcpzaU=");
}

static void test_botocore_odd_secret(void **state)
{
    check("GET", "/bkt/%E2%9C%93%20unicode%25key", "", NULL, 0, BDATE, false, SK_ODD,
          "GET\n\n\n" BDATE "\n/bkt/%E2%9C%93%20unicode%25key", "kfA65XFXF2a32Be0aItRgb/KBTc=");
}

/* ---- botocore HmacV1QueryAuth (presigned URLs) --------------------------- */
/* HmacV1QueryAuth with _get_date pinned to "1175139620". The headers given to
 * the signer end up in the query string, which is all a server sees. */

#define Q_GET_QUERY "AWSAccessKeyId=" AK "&Signature=1No4mq5ETf02z8aet9voy6gui6E%3D&Expires=1175139620"
#define Q_PUT_QUERY                                                                  \
    "AWSAccessKeyId=" AK "&Signature=CgsiHDrQLnNhXdIe9GYON4XGLPY%3D&content-type=text"  \
    "%2Fx-foo&x-amz-meta-a=b%20c&x-amz-acl=public-read&Expires=1175139620"
#define Q_OVR_QUERY                                                                  \
    "response-content-type=text%2Fx%2Bplain&versionId=3&AWSAccessKeyId=" AK             \
    "&Signature=bFJJYGEQnP3o143PTzTzFeeSuHc%3D&Expires=1175139620"

static void test_botocore_query(void **state)
{
    /* The guide's query example path, re-signed by botocore: the guide's own
     * NpgCjnDzrM+WFzoENXmpNDUsSn8= does not reproduce from its StringToSign. */
    check("GET", "/awsexamplebucket1/photos/puppy.jpg", Q_GET_QUERY, NULL, 0, "1175139620",
          true, SK, "GET\n\n\n1175139620\n/awsexamplebucket1/photos/puppy.jpg",
          "1No4mq5ETf02z8aet9voy6gui6E=");
    check("PUT", "/bkt/a%20b%2Bc", Q_PUT_QUERY, NULL, 0, "1175139620", true, SK,
          "PUT\n\ntext/x-foo\n1175139620\nx-amz-acl:public-read\nx-amz-meta-a:b c\n"
          "/bkt/a%20b%2Bc",
          "CgsiHDrQLnNhXdIe9GYON4XGLPY=");
    check("GET", "/bkt/k", Q_OVR_QUERY, NULL, 0, "1175139620", true, SK_ODD,
          "GET\n\n\n1175139620\n/bkt/k?response-content-type=text/x+plain&versionId=3",
          "bFJJYGEQnP3o143PTzTzFeeSuHc=");
    /* A header of the same name as a query "header" is ignored (the client
     * may send both); other x-amz-* headers are signed. */
    const struct pail_sigv2_hdr h[] = {{"x-amz-acl", "private"}, {"content-type", "a/b"}};
    check("PUT", "/bkt/a%20b%2Bc", Q_PUT_QUERY, h, N(h), "1175139620", true, SK,
          NULL, "CgsiHDrQLnNhXdIe9GYON4XGLPY=");
}

/* ---- building blocks ------------------------------------------------------ */

static void test_hmac_sha1_rfc2202(void **state)
{
    unsigned char mac[PAIL_SHA1_LEN];
    char hex[2 * PAIL_SHA1_LEN + 1];
    pail_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, mac);
    pail_hex(mac, sizeof mac, hex);
    assert_string_equal(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    unsigned char key[80];
    memset(key, 0xaa, sizeof key); /* longer than a block: hashed first */
    const char *m = "Test Using Larger Than Block-Size Key - Hash Key First";
    pail_hmac_sha1(key, sizeof key, m, strlen(m), mac);
    pail_hex(mac, sizeof mac, hex);
    assert_string_equal(hex, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

static void test_parse_authorization(void **state)
{
    struct pail_arena *a = pail_arena_new();
    const char *ak = NULL, *sig = NULL;
    assert_int_equal(pail_sigv2_parse_authorization(a, "AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
                                                    &ak, &sig), PAIL_OK);
    assert_string_equal(ak, AK);
    assert_string_equal(sig, "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
    static const char *const bad[] = {
        "AWS", "AWS ", "AWS " AK, "AWS :sig", "AWS " AK ":", "AWS4 x:y", "aws x:y",
    };
    for (size_t i = 0; i < N(bad); i++)
        assert_int_equal(pail_sigv2_parse_authorization(a, bad[i], &ak, &sig),
                         PAIL_E_InvalidArgument);
    pail_arena_free(a);
}

static void test_subresources(void **state)
{
    static const char *const yes[] = {
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification",
        "partNumber", "policy", "requestPayment", "response-cache-control",
        "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore",
        "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions",
        "website", "accelerate", "object-lock", "select", "select-type", "storageClass",
    };
    static const char *const no[] = {
        "prefix", "x-id", "Acl", "uploadid", "list-type", "encoding-type", "max-keys", "",
        "acl2", "ac", "AWSAccessKeyId", "Signature", "Expires",
    };
    for (size_t i = 0; i < N(yes); i++)
        assert_true(pail_sigv2_is_subresource(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < N(no); i++)
        assert_false(pail_sigv2_is_subresource(no[i], strlen(no[i])));
}

static void resource_is(const char *path, const char *query, bool bare, const char *want)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_buf b;
    pail_buf_init(&b, 4096);
    assert_int_equal(pail_sigv2_canonical_resource(a, &b, path, query, bare), PAIL_OK);
    assert_string_equal(b.data, want);
    pail_buf_free(&b);
    pail_arena_free(a);
}

static void test_canonical_resource(void **state)
{
    resource_is("/b/k", NULL, false, "/b/k");
    resource_is("", "", false, "/");
    resource_is("/b/k", "versions&acl&versionId=", false, "/b/k?acl&versionId=&versions");
    /* Stable for repeated names; bad escapes kept literally like unquote(). */
    resource_is("/b/k", "tagging=2&acl&tagging=1", false, "/b/k?acl&tagging=2&tagging=1");
    resource_is("/b/k", "versionId=%zz%4&&=x&acl", false, "/b/k?acl&versionId=%zz%4");
    /* Names match raw: an encoded name is not a sub-resource. */
    resource_is("/b/k", "%61cl&uploadId=1", false, "/b/k?uploadId=1");
    /* Empty values bare, as aws-sdk-go based signers write them. */
    resource_is("/b/k", "uploads=&versionId=&x-id=", true, "/b/k?uploads&versionId");
    resource_is("/b/k", "uploads=&x-id=", false, "/b/k?uploads=");
    assert_true(pail_sigv2_has_empty_subresource("x=1&uploads="));
    assert_false(pail_sigv2_has_empty_subresource("uploads&x-id=&acl=1"));
    assert_false(pail_sigv2_has_empty_subresource(NULL));
    struct pail_arena *a = pail_arena_new();
    assert_string_equal(pail_sigv2_resource_path(a, "/bkt"), "/bkt/");
    assert_string_equal(pail_sigv2_resource_path(a, "/bkt/"), "/bkt/");
    assert_string_equal(pail_sigv2_resource_path(a, "/"), "/");
    assert_string_equal(pail_sigv2_resource_path(a, "/bkt/k"), "/bkt/k");
    pail_arena_free(a);
}

static void amz_is(const struct pail_sigv2_hdr *h, size_t n, const char *query, bool qa,
                   const char *want)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_sigv2_input in = {.headers = h, .nheaders = n, .raw_query = query,
                                  .query_auth = qa};
    struct pail_buf b;
    pail_buf_init(&b, 4096);
    assert_int_equal(pail_sigv2_canonical_amz_headers(a, &b, &in), PAIL_OK);
    assert_string_equal(b.data ? b.data : "", want);
    pail_buf_free(&b);
    pail_arena_free(a);
}

static void test_canonical_amz_headers(void **state)
{
    const struct pail_sigv2_hdr h[] = {
        {"x-amz-meta-b", " 2 "}, {"host", "h"}, {"X-Amz-Meta-A", "1"},
        {"x-amz-meta-b", "\t3"}, {"x-amz-date", "Tue, 27 Mar 2007 19:36:42 GMT"},
        {"x-amzfake", "no"}, {"x-amz-empty", ""},
    };
    amz_is(h, N(h), "x-amz-meta-z=q", false,
           "x-amz-date:Tue, 27 Mar 2007 19:36:42 GMT\nx-amz-empty:\n"
           "x-amz-meta-a:1\nx-amz-meta-b:2,3\n");
    amz_is(h, 0, "", false, "");
    /* Query form: parameters count, decoded and lower-cased; they hide
     * headers of the same name. */
    amz_is(h, N(h), "X-Amz-Meta-B=q%20r&x-amz-security-token=t%2Bk&prefix=x", true,
           "x-amz-date:Tue, 27 Mar 2007 19:36:42 GMT\nx-amz-empty:\n"
           "x-amz-meta-a:1\nx-amz-meta-b:q r\nx-amz-security-token:t+k\n");
}

static void test_signature_equal(void **state)
{
    assert_true(pail_sigv2_signature_equal("qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
                                           "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="));
    assert_false(pail_sigv2_signature_equal("qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
                                            "qgk2+6Sv9/oM7G3qLEjTH1a1l1h="));
    assert_false(pail_sigv2_signature_equal("qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", "qgk2"));
    assert_false(pail_sigv2_signature_equal("", ""));
    assert_false(pail_sigv2_signature_equal(NULL, "x"));
}

/* ---- pail_auth_verify ---------------------------------------------------- */

struct fixture {
    struct pail_creds creds;
    struct pail_keystore keys;
    struct pail_services svc;
    struct pail_req req;
    struct pail_hdr hdrs[16];
};

static void fx_init(struct fixture *f, const char *method, const char *path, const char *query,
                    time_t now)
{
    memset(f, 0, sizeof(*f));
    strcpy(f->creds.access_key, AK);
    strcpy(f->creds.secret_key, SK);
    pail_keystore_fixed(&f->keys, &f->creds);
    f->svc.keys = &f->keys;
    f->svc.region = "us-east-1";
    f->req.arena = pail_arena_new();
    f->req.svc = &f->svc;
    f->req.now = now;
    f->req.method = method;
    f->req.raw_path = path;
    f->req.raw_query = query;
    f->req.headers = f->hdrs;
}

static void fx_hdr(struct fixture *f, const char *name, const char *value)
{
    f->hdrs[f->req.nheaders].name = name;
    f->hdrs[f->req.nheaders].value = value;
    f->req.nheaders++;
}

static void fx_free(struct fixture *f) { pail_arena_free(f->req.arena); }

/* botocore's awkward PUT, as pail would receive it. */
static void fx_awkward_put(struct fixture *f, time_t now, const char *authz)
{
    fx_init(f, "PUT", "/bkt/dir/a%20b%2Bc%2541%C3%A9%23%3F.txt", "", now);
    fx_hdr(f, "host", "127.0.0.1:9000");
    fx_hdr(f, "content-type", "text/plain");
    fx_hdr(f, "content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==");
    fx_hdr(f, "x-amz-meta-k", "v  w"); /* MHD trims the ends */
    fx_hdr(f, "x-amz-meta-multi", "one");
    fx_hdr(f, "x-amz-meta-multi", "two");
    fx_hdr(f, "x-amz-acl", "private");
    fx_hdr(f, "date", BDATE);
    fx_hdr(f, "authorization", authz);
}

#define AWKWARD_AUTHZ "AWS " AK ":PbZ0D4AMmJLU2UBckrZQ3/jHWRc="

static void test_verify_header_ok(void **state)
{
    struct fixture f;
    fx_awkward_put(&f, BT0, AWKWARD_AUTHZ);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    assert_int_equal(f.req.auth.kind, PAIL_AUTH_V2_HEADER);
    assert_int_equal(f.req.auth.payload, PAIL_PAYLOAD_UNSIGNED);
    assert_string_equal(f.req.auth.access_key, AK);
    assert_string_equal(f.req.auth.principal.arn, "arn:aws:iam::000000000000:root");
    assert_int_equal(f.req.err, PAIL_OK);
    fx_free(&f);
    /* 14 minutes either way is within the allowed skew; 16 is not. */
    fx_awkward_put(&f, BT0 + 14 * 60, AWKWARD_AUTHZ);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    fx_awkward_put(&f, BT0 - 14 * 60, AWKWARD_AUTHZ);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    fx_awkward_put(&f, BT0 + 16 * 60, AWKWARD_AUTHZ);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_RequestTimeTooSkewed);
    fx_free(&f);
    fx_awkward_put(&f, BT0 - 16 * 60, AWKWARD_AUTHZ);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_RequestTimeTooSkewed);
    fx_free(&f);
}

static void test_verify_header_errors(void **state)
{
    struct fixture f;
    fx_awkward_put(&f, BT0, AWKWARD_AUTHZ);
    f.hdrs[6].value = "public-read"; /* x-amz-acl tampered */
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_SignatureDoesNotMatch);
    assert_int_equal(f.req.auth.kind, PAIL_AUTH_ANONYMOUS);
    fx_free(&f);

    fx_awkward_put(&f, BT0, AWKWARD_AUTHZ);
    f.req.method = "POST";
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_SignatureDoesNotMatch);
    fx_free(&f);

    fx_awkward_put(&f, BT0, "AWS " AK ":PbZ0D4AMmJLU2UBckrZQ3/jHWRc");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_SignatureDoesNotMatch);
    fx_free(&f);

    fx_awkward_put(&f, BT0, AWKWARD_AUTHZ);
    strcpy(f.creds.access_key, "SOMEONEELSE");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_InvalidAccessKeyId);
    fx_free(&f);

    fx_awkward_put(&f, BT0, AWKWARD_AUTHZ);
    strcpy(f.creds.secret_key, "wrong");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_SignatureDoesNotMatch);
    fx_free(&f);

    fx_awkward_put(&f, BT0, "AWS " AK);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_InvalidArgument);
    fx_free(&f);

    fx_awkward_put(&f, BT0, AWKWARD_AUTHZ);
    f.hdrs[7].value = "yesterday"; /* unparseable Date */
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_AccessDenied);
    fx_free(&f);

    fx_awkward_put(&f, BT0, AWKWARD_AUTHZ);
    f.hdrs[7].name = "x-date"; /* no Date at all */
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_AccessDenied);
    fx_free(&f);

    /* Header and presigned parameters together. */
    fx_awkward_put(&f, BT0, AWKWARD_AUTHZ);
    f.req.raw_query = "AWSAccessKeyId=" AK "&Signature=x&Expires=1";
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_InvalidArgument);
    fx_free(&f);
}

static void fx_delete(struct fixture *f, const char *date, const char *authz)
{
    fx_init(f, "DELETE", "/bkt/obj", "", BT0);
    if (date)
        fx_hdr(f, "date", date);
    fx_hdr(f, "x-amz-date", "Tue, 27 Mar 2007 19:36:40 GMT");
    fx_hdr(f, "authorization", authz);
}

static void test_verify_x_amz_date(void **state)
{
    struct fixture f;
    /* botocore / s3cmd: Date line is the Date header, x-amz-date signed. */
    fx_delete(&f, BDATE, "AWS " AK ":ufZswFiLg2p/c6J7s7XvscIJJBU=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    /* The S3 guide: with x-amz-date the Date line is empty. */
    fx_delete(&f, BDATE, "AWS " AK ":PglP3EuI+3+nZEBM+kJOakJ4rJA=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    fx_delete(&f, NULL, "AWS " AK ":PglP3EuI+3+nZEBM+kJOakJ4rJA=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    /* x-amz-date is the request time, whatever Date says. */
    fx_delete(&f, "Mon, 26 Mar 2007 19:36:42 GMT", "AWS " AK ":PglP3EuI+3+nZEBM+kJOakJ4rJA=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    fx_delete(&f, BDATE, "AWS " AK ":PglP3EuI+3+nZEBM+kJOakJ4rJA=");
    f.req.now = BT0 + 3600;
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_RequestTimeTooSkewed);
    fx_free(&f);
    /* A compact SigV4-style x-amz-date is understood too. */
    fx_init(&f, "GET", "/bkt/obj", "", BT0);
    fx_hdr(&f, "x-amz-date", "20070327T193642Z");
    fx_hdr(&f, "authorization", "AWS " AK ":sBOi2HiKHIdqGI0KvDr9yTOHfro=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
}

static void test_verify_bucket_path(void **state)
{
    struct fixture f;
    /* botocore signs "/bkt/" for the "/bkt" it sends... */
    fx_init(&f, "GET", "/bkt", "uploads&prefix=p", BT0);
    fx_hdr(&f, "date", BDATE);
    fx_hdr(&f, "authorization", "AWS " AK ":DTeDDG9Qwo5bOVeWlbqaEBB025M=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    /* ...and a client reading the guide literally signs "/bkt". */
    fx_init(&f, "GET", "/bkt", "uploads", BT0);
    fx_hdr(&f, "date", BDATE);
    fx_hdr(&f, "authorization", "AWS " AK ":xH/Kur65viqva9c2vfqkQlIth2g=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
}

static void test_verify_empty_subresource(void **state)
{
    struct fixture f;
    /* rclone (aws-sdk-go) sends "?uploads=" and signs "?uploads". */
    fx_init(&f, "POST", "/bkt/big", "uploads=", BT0);
    fx_hdr(&f, "date", BDATE);
    fx_hdr(&f, "authorization", "AWS " AK ":/Aq8M/Tc9jY7OaaIWPzw9SOqwJI=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    /* The same signature does not cover another sub-resource value. */
    fx_init(&f, "POST", "/bkt/big", "uploads=x", BT0);
    fx_hdr(&f, "date", BDATE);
    fx_hdr(&f, "authorization", "AWS " AK ":/Aq8M/Tc9jY7OaaIWPzw9SOqwJI=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_SignatureDoesNotMatch);
    fx_free(&f);
}

static void test_verify_payload_modes(void **state)
{
    struct fixture f;
    fx_init(&f, "PUT", "/bkt/obj", "", BT0);
    fx_hdr(&f, "date", BDATE);
    fx_hdr(&f, "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    fx_hdr(&f, "x-amz-decoded-content-length", "5");
    fx_hdr(&f, "x-amz-trailer", "x-amz-checksum-crc32");
    fx_hdr(&f, "authorization", "AWS " AK ":ZXuu2VX4XzJGomNAN4I+SihgAqc=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    assert_int_equal(f.req.auth.payload, PAIL_PAYLOAD_STREAMING_UNSIGNED_TRAILER);
    fx_free(&f);
    /* A chunk-signature chain needs a SigV4 key that V2 does not have. */
    fx_init(&f, "PUT", "/bkt/obj", "", BT0);
    fx_hdr(&f, "date", BDATE);
    fx_hdr(&f, "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    fx_hdr(&f, "authorization", "AWS " AK ":dZEyEJWoS8zedvi4a2Vs9Xd+nbE=");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_InvalidRequest);
    fx_free(&f);
}

static void test_verify_query(void **state)
{
    struct fixture f;
    fx_init(&f, "GET", "/awsexamplebucket1/photos/puppy.jpg", Q_GET_QUERY, 1175139619);
    fx_hdr(&f, "host", "127.0.0.1:9000");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    assert_int_equal(f.req.auth.kind, PAIL_AUTH_V2_QUERY);
    assert_int_equal(f.req.auth.payload, PAIL_PAYLOAD_UNSIGNED);
    assert_string_equal(f.req.auth.access_key, AK);
    fx_free(&f);

    /* No clock skew rule: any time before Expires. */
    fx_init(&f, "GET", "/awsexamplebucket1/photos/puppy.jpg", Q_GET_QUERY, 1000);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);

    fx_init(&f, "GET", "/awsexamplebucket1/photos/puppy.jpg", Q_GET_QUERY, 1175139620);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_AccessDenied);
    assert_string_equal(f.req.err_msg, "Request has expired");
    fx_free(&f);

    fx_init(&f, "PUT", "/awsexamplebucket1/photos/puppy.jpg", Q_GET_QUERY, 1175139619);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_SignatureDoesNotMatch);
    fx_free(&f);

    fx_init(&f, "GET", "/awsexamplebucket1/photos/puppy.jpg2", Q_GET_QUERY, 1175139619);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_SignatureDoesNotMatch);
    fx_free(&f);

    /* Metadata and Content-Type travel in the query (botocore moves them). */
    fx_init(&f, "PUT", "/bkt/a%20b%2Bc", Q_PUT_QUERY, 1175139619);
    assert_int_equal(pail_auth_verify(&f.req), PAIL_OK);
    fx_free(&f);
    fx_init(&f, "PUT", "/bkt/a%20b%2Bc", Q_PUT_QUERY, 1175139619);
    fx_hdr(&f, "x-amz-meta-extra", "unsigned");
    assert_int_equal(pail_auth_verify(&f.req), PAIL_E_SignatureDoesNotMatch);
    fx_free(&f);
}

static void test_verify_query_params(void **state)
{
    static const struct {
        const char *query;
        enum pail_err want;
    } cases[] = {
        {"AWSAccessKeyId=" AK "&Expires=1175139620", PAIL_E_AccessDenied},
        {"Signature=abc&Expires=1175139620", PAIL_E_AccessDenied},
        {"AWSAccessKeyId=" AK "&Signature=abc", PAIL_E_AccessDenied},
        {"AWSAccessKeyId=" AK "&Signature=abc&Expires=soon", PAIL_E_AccessDenied},
        {"AWSAccessKeyId=" AK "&Signature=abc&Expires=-5", PAIL_E_AccessDenied},
        {"AWSAccessKeyId=NOBODY&Signature=abc&Expires=1175139620", PAIL_E_InvalidAccessKeyId},
        {"AWSAccessKeyId=" AK "&Signature=abc&Expires=1175139620",
         PAIL_E_SignatureDoesNotMatch},
        {Q_GET_QUERY "&X-Amz-Algorithm=AWS4-HMAC-SHA256", PAIL_E_InvalidArgument},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct fixture f;
        fx_init(&f, "GET", "/awsexamplebucket1/photos/puppy.jpg", cases[i].query, 1175139619);
        assert_int_equal(pail_auth_verify(&f.req), cases[i].want);
        assert_int_equal(f.req.auth.kind, PAIL_AUTH_ANONYMOUS);
        fx_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guide_object_get),
        cmocka_unit_test(test_guide_object_put),
        cmocka_unit_test(test_guide_list),
        cmocka_unit_test(test_guide_fetch_acl),
        cmocka_unit_test(test_guide_list_all_buckets),
        cmocka_unit_test(test_guide_unicode_keys),
        cmocka_unit_test(test_botocore_awkward_put),
        cmocka_unit_test(test_botocore_upload_part),
        cmocka_unit_test(test_botocore_acl),
        cmocka_unit_test(test_botocore_response_overrides),
        cmocka_unit_test(test_botocore_bucket_paths),
        cmocka_unit_test(test_botocore_odd_secret),
        cmocka_unit_test(test_botocore_query),
        cmocka_unit_test(test_hmac_sha1_rfc2202),
        cmocka_unit_test(test_parse_authorization),
        cmocka_unit_test(test_subresources),
        cmocka_unit_test(test_canonical_resource),
        cmocka_unit_test(test_canonical_amz_headers),
        cmocka_unit_test(test_signature_equal),
        cmocka_unit_test(test_verify_header_ok),
        cmocka_unit_test(test_verify_header_errors),
        cmocka_unit_test(test_verify_x_amz_date),
        cmocka_unit_test(test_verify_bucket_path),
        cmocka_unit_test(test_verify_empty_subresource),
        cmocka_unit_test(test_verify_payload_modes),
        cmocka_unit_test(test_verify_query),
        cmocka_unit_test(test_verify_query_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
