/* tests/unit/post_policy_test.c — auth/post_policy.c: AWS's published SigV4
 * POST example (S3 API reference, "Example: Browser-Based Upload using HTTP
 * POST (Using AWS Signature Version 4)": policy and signature 8afdbf40...),
 * SigV2 signatures computed here with OpenSSL directly, the policies and
 * forms of ceph s3-tests' test_post_object_*, every condition kind holding
 * and failing, extra fields, expiration, content-length-range, the fields
 * each kind of authentication requires, and case-insensitivity. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "auth/post_policy.h"
#include "auth/sigv4.h"
#include "core/arena.h"

#include "fixture.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------ */

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

/* AWS's example: the policy exactly as published (CRLF line ends inside). */
#define AWS_POLICY                                                                                 \
    "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7Im" \
    "J1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2Vy" \
    "MS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaH" \
    "R0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAg" \
    "ICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOi" \
    "AiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQog" \
    "ICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOi" \
    "AiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1h" \
    "bXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMD" \
    "AwWiIgfQ0KICBdDQp9"
#define AWS_SIGNATURE "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
#define AWS_CREDENTIAL "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"

/* ms since the epoch of a UTC time, computed without pail. */
static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm) * 1000;
}

/* A time well before every policy below expires (2030). */
#define NOW utc_ms(2026, 6, 1, 0, 0, 0)

/* base64 of s with OpenSSL (not pail's encoder); static, one at a time. */
static const char *b64(const char *s)
{
    static unsigned char out[16384];
    size_t n = strlen(s);
    assert_true(4 * ((n + 2) / 3) < sizeof(out));
    EVP_EncodeBlock(out, (const unsigned char *)s, (int)n);
    return (const char *)out;
}

/* s3-tests' signature: base64(HMAC-SHA1(secret, policy)), with OpenSSL. */
static void sigv2(const char *secret, const char *policy, char out[64])
{
    unsigned char mac[20];
    unsigned len = 0;
    HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)policy, strlen(policy), mac,
         &len);
    assert_int_equal(len, 20);
    EVP_EncodeBlock((unsigned char *)out, mac, 20);
}

static void hmac256(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned len = 0;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
    assert_int_equal(len, 32);
}

#define F(n, v) {n, v, sizeof(v) - 1}
#define NF(a) (sizeof(a) / sizeof(a[0]))

/* Parses json (base64-encoded here first); fails the test on an error. */
static struct pail_post_policy *policy_of(struct pail_arena *a, const char *json)
{
    struct pail_post_policy *p = NULL;
    const char *why = NULL;
    enum pail_err e = pail_post_policy_parse(a, b64(json), &p, &why);
    if (e)
        fail_msg("policy %s: %s (%s)", json, pail_err_code(e), why ? why : "");
    return p;
}

/* The parse error of json, with its message in *why. */
static enum pail_err parse_error(struct pail_arena *a, const char *json, const char **why)
{
    struct pail_post_policy *p = NULL;
    *why = NULL;
    enum pail_err e = pail_post_policy_parse(a, b64(json), &p, why);
    if (e)
        assert_null(p);
    return e;
}

/* The policy of s3-tests' authenticated tests, with extra conditions. */
static const char *s3tests_policy(char *buf, size_t cap, const char *extra)
{
    snprintf(buf, cap,
             "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": ["
             "{\"bucket\": \"bkt\"}, [\"starts-with\", \"$key\", \"foo\"], {\"acl\": \"private\"}, "
             "[\"starts-with\", \"$Content-Type\", \"text/plain\"], "
             "[\"content-length-range\", 0, 1024]%s]}",
             extra);
    return buf;
}

/* ---- signatures ---------------------------------------------------------- */

static void test_aws_sigv4_example(void **state)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_sigv4_cred cred;
    const char *why = NULL;
    assert_err(pail_post_sigv4_fields(a, "AWS4-HMAC-SHA256", AWS_CREDENTIAL, "20151229T000000Z",
                                      &cred, &why),
               PAIL_OK);
    assert_string_equal(cred.access_key, "AKIAIOSFODNN7EXAMPLE");
    assert_string_equal(cred.region, "us-east-1");

    unsigned char key[32], mine[32], k[32];
    pail_sigv4_signing_key(SECRET, cred.date, cred.region, cred.service, key);
    /* The same key, derived here step by step. */
    hmac256("AWS4" SECRET, strlen("AWS4" SECRET), "20151229", k);
    hmac256(k, 32, "us-east-1", k);
    hmac256(k, 32, "s3", k);
    hmac256(k, 32, "aws4_request", mine);
    assert_memory_equal(key, mine, 32);

    assert_true(pail_post_sigv4_ok(key, AWS_POLICY, AWS_SIGNATURE));
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(AWS_SIGNATURE[i] >= 'a' ? AWS_SIGNATURE[i] - 32 : AWS_SIGNATURE[i]);
    assert_true(pail_post_sigv4_ok(key, AWS_POLICY, upper));
    char bad[65];
    memcpy(bad, AWS_SIGNATURE, 65);
    bad[10] = bad[10] == '0' ? '1' : '0';
    assert_false(pail_post_sigv4_ok(key, AWS_POLICY, bad));
    assert_false(pail_post_sigv4_ok(key, AWS_POLICY, "8afdbf40"));
    assert_false(pail_post_sigv4_ok(key, AWS_POLICY, ""));
    assert_false(pail_post_sigv4_ok(key, AWS_POLICY, NULL));
    assert_false(pail_post_sigv4_ok(key, AWS_POLICY "\n", AWS_SIGNATURE)); /* signed as sent */
    key[0] ^= 1;
    assert_false(pail_post_sigv4_ok(key, AWS_POLICY, AWS_SIGNATURE));

    /* The example's form, upload of "photo.jpg", the day before it expires. */
    struct pail_post_policy *p;
    assert_err(pail_post_policy_parse(a, AWS_POLICY, &p, &why), PAIL_OK);
    assert_int_equal(pail_post_policy_expiration_ms(p), utc_ms(2015, 12, 30, 12, 0, 0));
    struct pail_post_field fields[] = {
        {"key", pail_post_key_subst(a, "user/user1/${filename}", "photo.jpg"), 20},
        F("acl", "public-read"),
        F("success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"),
        F("content-type", "image/jpeg"),
        F("x-amz-meta-uuid", "14365123651274"),
        F("x-amz-server-side-encryption", "AES256"),
        F("x-amz-credential", AWS_CREDENTIAL),
        F("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        F("x-amz-date", "20151229T000000Z"),
        F("x-amz-meta-tag", ""),
        F("policy", AWS_POLICY),
        F("x-amz-signature", AWS_SIGNATURE),
    };
    assert_string_equal(fields[0].value, "user/user1/photo.jpg");
    enum pail_post_auth kind;
    assert_err(pail_post_form_auth(fields, NF(fields), &kind, &why), PAIL_OK);
    assert_int_equal(kind, PAIL_POST_SIGV4);
    int64_t day_before = utc_ms(2015, 12, 29, 12, 0, 0);
    assert_err(pail_post_policy_check(p, fields, NF(fields), "sigv4examplebucket", day_before, &why),
               PAIL_OK);
    assert_err(pail_post_policy_check(p, fields, NF(fields), "otherbucket", day_before, &why),
               PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Policy Condition failed: "
                             "[\"eq\", \"$bucket\", \"sigv4examplebucket\"]");
    assert_err(pail_post_policy_check(p, fields, NF(fields), "sigv4examplebucket",
                                      utc_ms(2015, 12, 30, 12, 0, 0), &why),
               PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Policy expired.");
    pail_arena_free(a);
}

/* s3-tests' SigV2 forms: base64(HMAC-SHA1(secret, policy)). */
static void test_sigv2_signature(void **state)
{
    char buf[1024], sig[64], rev[64];
    const char *policy = b64(s3tests_policy(buf, sizeof(buf), ""));
    char pol[2048];
    snprintf(pol, sizeof(pol), "%s", policy);
    sigv2(SECRET, pol, sig);
    assert_true(pail_post_sigv2_ok(SECRET, pol, sig));
    /* test_post_object_invalid_signature sends it reversed. */
    size_t n = strlen(sig);
    for (size_t i = 0; i < n; i++)
        rev[i] = sig[n - 1 - i];
    rev[n] = 0;
    assert_false(pail_post_sigv2_ok(SECRET, pol, rev));
    assert_false(pail_post_sigv2_ok("another secret", pol, sig));
    pol[5] ^= 1;
    assert_false(pail_post_sigv2_ok(SECRET, pol, sig));
    pol[5] ^= 1;
    assert_false(pail_post_sigv2_ok(SECRET, pol, ""));
    assert_false(pail_post_sigv2_ok(SECRET, pol, NULL));
    assert_false(pail_post_sigv2_ok(NULL, pol, sig));
    sig[27] = 0; /* truncated */
    assert_false(pail_post_sigv2_ok(SECRET, pol, sig));
}

static void test_sigv4_fields_rejected(void **state)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_sigv4_cred cred;
    const char *why;
    static const struct {
        const char *alg, *cred, *date;
    } bad[] = {
        {"AWS4-HMAC-SHA1", AWS_CREDENTIAL, "20151229T000000Z"},
        {"aws4-hmac-sha256", AWS_CREDENTIAL, "20151229T000000Z"},
        {NULL, AWS_CREDENTIAL, "20151229T000000Z"},
        {"AWS4-HMAC-SHA256", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3", "20151229T000000Z"},
        {"AWS4-HMAC-SHA256", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/iam/aws4_request",
         "20151229T000000Z"},
        {"AWS4-HMAC-SHA256", NULL, "20151229T000000Z"},
        {"AWS4-HMAC-SHA256", AWS_CREDENTIAL, "2015-12-29T00:00:00Z"},
        {"AWS4-HMAC-SHA256", AWS_CREDENTIAL, NULL},
        {"AWS4-HMAC-SHA256", AWS_CREDENTIAL, "20151230T000000Z"}, /* not the credential's day */
    };
    for (size_t i = 0; i < NF(bad); i++) {
        why = NULL;
        assert_err(pail_post_sigv4_fields(a, bad[i].alg, bad[i].cred, bad[i].date, &cred, &why),
                   PAIL_E_InvalidArgument);
        assert_non_null(why);
    }
    assert_err(pail_post_sigv4_fields(a, "AWS4-HMAC-SHA256", AWS_CREDENTIAL, "20151230T000000Z",
                                      &cred, &why),
               PAIL_E_InvalidArgument);
    assert_string_equal(why, "Invalid credential date. Date is not the same as X-Amz-Date.");
    pail_arena_free(a);
}

/* ---- the form's authentication fields -------------------------------------- */

static void test_form_auth_kinds(void **state)
{
    enum pail_post_auth kind;
    const char *why = NULL;
    /* test_post_object_anonymous_request */
    struct pail_post_field anon[] = {F("key", "foo.txt"), F("acl", "public-read"),
                                     F("content-type", "text/plain")};
    assert_err(pail_post_form_auth(anon, NF(anon), &kind, &why), PAIL_OK);
    assert_int_equal(kind, PAIL_POST_ANONYMOUS);

    struct pail_post_field v2[] = {F("key", "foo.txt"), F("AWSAccessKeyId", "AK"),
                                   F("acl", "private"), F("signature", "c2ln"),
                                   F("pOLICy", "cG9s")};
    assert_err(pail_post_form_auth(v2, NF(v2), &kind, &why), PAIL_OK);
    assert_int_equal(kind, PAIL_POST_SIGV2);

    struct pail_post_field v4[] = {F("key", "k"), F("Policy", "cG9s"),
                                   F("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                                   F("X-Amz-Credential", AWS_CREDENTIAL),
                                   F("X-Amz-Date", "20151229T000000Z"),
                                   F("X-Amz-Signature", AWS_SIGNATURE)};
    assert_err(pail_post_form_auth(v4, NF(v4), &kind, &why), PAIL_OK);
    assert_int_equal(kind, PAIL_POST_SIGV4);
}

static void test_form_auth_missing_fields(void **state)
{
    enum pail_post_auth kind;
    const char *why;
    /* test_post_object_no_key_specified */
    struct pail_post_field nokey[] = {F("AWSAccessKeyId", "AK"), F("signature", "c2ln"),
                                      F("policy", "cG9s")};
    assert_err(pail_post_form_auth(nokey, NF(nokey), &kind, &why), PAIL_E_InvalidArgument);
    assert_string_equal(why, "Bucket POST must contain a field named 'key'.  If it is "
                             "specified, please check the order of the fields.");
    /* test_post_object_missing_signature: 400, not 403 */
    struct pail_post_field nosig[] = {F("key", "foo.txt"), F("AWSAccessKeyId", "AK"),
                                      F("policy", "cG9s")};
    assert_err(pail_post_form_auth(nosig, NF(nosig), &kind, &why), PAIL_E_InvalidArgument);
    assert_non_null(strstr(why, "'signature'"));
    struct pail_post_field noak[] = {F("key", "foo.txt"), F("signature", "c2ln"),
                                     F("policy", "cG9s")};
    assert_err(pail_post_form_auth(noak, NF(noak), &kind, &why), PAIL_E_InvalidArgument);
    assert_non_null(strstr(why, "'AWSAccessKeyId'"));
    struct pail_post_field bare_policy[] = {F("key", "foo.txt"), F("policy", "cG9s")};
    assert_err(pail_post_form_auth(bare_policy, NF(bare_policy), &kind, &why),
               PAIL_E_InvalidArgument);
    /* credentials without a policy */
    struct pail_post_field nopolicy[] = {F("key", "foo.txt"), F("AWSAccessKeyId", "AK"),
                                         F("signature", "c2ln")};
    assert_err(pail_post_form_auth(nopolicy, NF(nopolicy), &kind, &why), PAIL_E_InvalidArgument);
    assert_non_null(strstr(why, "'policy'"));
    struct pail_post_field v4nopolicy[] = {F("key", "k"), F("x-amz-signature", AWS_SIGNATURE)};
    assert_err(pail_post_form_auth(v4nopolicy, NF(v4nopolicy), &kind, &why),
               PAIL_E_InvalidArgument);
    /* SigV4 without each of its fields in turn */
    static const char *const v4names[] = {"x-amz-algorithm", "x-amz-credential", "x-amz-date",
                                          "x-amz-signature"};
    for (size_t skip = 0; skip < 4; skip++) {
        struct pail_post_field f[6] = {F("key", "k"), F("policy", "cG9s")};
        size_t n = 2;
        for (size_t i = 0; i < 4; i++)
            if (i != skip)
                f[n++] = (struct pail_post_field){v4names[i], "v", 1};
        assert_err(pail_post_form_auth(f, n, &kind, &why), PAIL_E_InvalidArgument);
        char want[64];
        snprintf(want, sizeof(want), "'%s'", v4names[skip]);
        assert_non_null(strstr(why, want));
    }
}

static void test_field_helpers(void **state)
{
    static const char *const exempt[] = {"policy", "signature", "x-amz-signature",
                                         "awsaccesskeyid", "file", "x-ignore-foo",
                                         "X-Ignore-Bar", "x-amz-checksum-sha256",
                                         "Policy", "AWSAccessKeyId"};
    static const char *const covered[] = {"key", "acl", "bucket", "x-amz-meta-a",
                                          "x-amz-credential", "x-amz-date", "x-amz-algorithm",
                                          "x-amz-security-token", "content-type", "x-ignore",
                                          "success_action_status", "tagging", "policyx"};
    for (size_t i = 0; i < NF(exempt); i++)
        assert_true(pail_post_field_exempt(exempt[i]));
    for (size_t i = 0; i < NF(covered); i++)
        assert_false(pail_post_field_exempt(covered[i]));

    struct pail_post_field f[] = {F("key", "a"), F("Acl", "b"), F("acl", "c")};
    assert_ptr_equal(pail_post_field_get(f, 3, "ACL"), &f[1]);
    assert_null(pail_post_field_get(f, 3, "policy"));
}

static void test_key_filename_substitution(void **state)
{
    struct pail_arena *a = pail_arena_new();
    const char *plain = "uploads/a.txt";
    assert_ptr_equal(pail_post_key_subst(a, plain, "x"), plain);
    assert_string_equal(pail_post_key_subst(a, "${filename}", "foo.txt"), "foo.txt");
    assert_string_equal(pail_post_key_subst(a, "u/${filename}/${filename}.bak", "f"), "u/f/f.bak");
    assert_string_equal(pail_post_key_subst(a, "u/${filename}", NULL), "u/");
    assert_string_equal(pail_post_key_subst(a, "${filename", "f"), "${filename");
    assert_string_equal(pail_post_key_subst(a, "${FILENAME}", "f"), "${FILENAME}");
    pail_arena_free(a);
}

/* ---- s3-tests' forms -------------------------------------------------------- */

/* test_post_object_authenticated_request and friends: the fields the form
 * parser hands over (names lower-cased). */
static void test_s3tests_authenticated(void **state)
{
    struct pail_arena *a = pail_arena_new();
    char buf[1024];
    struct pail_post_policy *p = policy_of(a, s3tests_policy(buf, sizeof(buf), ""));
    struct pail_post_field fields[] = {
        F("key", "foo.txt"), F("awsaccesskeyid", "AK"), F("acl", "private"),
        F("signature", "c2ln"), F("policy", "cG9s"), F("content-type", "text/plain"),
    };
    const char *why = NULL;
    assert_err(pail_post_policy_check(p, fields, NF(fields), "bkt", NOW, &why), PAIL_OK);
    assert_err(pail_post_policy_check_length(p, 3, &why), PAIL_OK);
    /* _no_content_type: no Content-Type field, a starts-with on it fails... */
    assert_err(pail_post_policy_check(p, fields, NF(fields) - 1, "bkt", NOW, &why),
               PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Policy Condition failed: "
                             "[\"starts-with\", \"$Content-Type\", \"text/plain\"]");
    /* ...and a policy without that condition takes it. */
    p = policy_of(a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{\"bucket\": "
                     "\"bkt\"}, [\"starts-with\", \"$key\", \"foo\"], {\"acl\": \"private\"}, "
                     "[\"content-length-range\", 0, 1024]]}");
    assert_err(pail_post_policy_check(p, fields, NF(fields) - 1, "bkt", NOW, &why), PAIL_OK);
    pail_arena_free(a);
}

/* test_post_object_ignored_header, _upload_checksum: exempt fields. */
static void test_s3tests_exempt_fields(void **state)
{
    struct pail_arena *a = pail_arena_new();
    char buf[1024];
    struct pail_post_policy *p = policy_of(a, s3tests_policy(buf, sizeof(buf), ""));
    struct pail_post_field fields[] = {
        F("key", "foo.txt"), F("awsaccesskeyid", "AK"), F("acl", "private"),
        F("signature", "c2ln"), F("policy", "cG9s"), F("content-type", "text/plain"),
        F("x-ignore-foo", "bar"), F("x-amz-checksum-sha256", "aTL9MeXa9HObn6eP93eygxsJlcwdCwCTysgGAZAgE7w="),
        F("x-amz-signature", "s"), F("file", "x"),
    };
    const char *why = NULL;
    assert_err(pail_post_policy_check(p, fields, NF(fields), "bkt", NOW, &why), PAIL_OK);
    pail_arena_free(a);
}

/* _case_insensitive_condition_fields: names and operators in any case. */
static void test_s3tests_case_insensitive(void **state)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_post_policy *p = policy_of(
        a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{\"bUcKeT\": \"bkt\"}, "
           "[\"StArTs-WiTh\", \"$KeY\", \"foo\"], {\"AcL\": \"private\"}, [\"StArTs-WiTh\", "
           "\"$CoNtEnT-TyPe\", \"text/plain\"], [\"CoNtEnT-LeNgTh-RaNgE\", 0, 1024], "
           "[\"EQ\", \"$X-Amz-Meta-Foo\", \"Bar\"]]}");
    /* As the form parser delivers them (lower-cased) and as a caller might not. */
    struct pail_post_field lower[] = {
        F("key", "foo.txt"), F("awsaccesskeyid", "AK"), F("acl", "private"),
        F("signature", "c2ln"), F("policy", "cG9s"), F("content-type", "text/plain"),
        F("x-amz-meta-foo", "Bar"),
    };
    struct pail_post_field mixed[] = {
        F("kEy", "foo.txt"), F("AWSAccessKeyId", "AK"), F("aCl", "private"),
        F("Signature", "c2ln"), F("pOLICy", "cG9s"), F("Content-Type", "text/plain"),
        F("X-AMZ-META-FOO", "Bar"),
    };
    const char *why = NULL;
    assert_err(pail_post_policy_check(p, lower, NF(lower), "bkt", NOW, &why), PAIL_OK);
    assert_err(pail_post_policy_check(p, mixed, NF(mixed), "bkt", NOW, &why), PAIL_OK);
    assert_err(pail_post_policy_check_length(p, 1025, &why), PAIL_E_EntityTooLarge);
    /* Values stay case-sensitive. */
    mixed[6].value = "bar";
    assert_err(pail_post_policy_check(p, mixed, NF(mixed), "bkt", NOW, &why), PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Policy Condition failed: "
                             "[\"eq\", \"$X-Amz-Meta-Foo\", \"Bar\"]");
    assert_err(pail_post_policy_check(p, lower, NF(lower), "BKT", NOW, &why), PAIL_E_AccessDenied);
    pail_arena_free(a);
}

/* _escaped_field_values, _missing_policy_condition, _invalid_request_field_value,
 * _request_missing_policy_specified_field, _user_specified_header,
 * _wrong_bucket, _set_key_from_filename, _success_redirect_action, tags, SSE-C. */
static void test_s3tests_conditions(void **state)
{
    struct pail_arena *a = pail_arena_new();
    char buf[1024];
    const char *why;
    struct pail_post_policy *p;

    /* \$foo is literal: no escape processing. */
    p = policy_of(a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{\"bucket\": "
                     "\"bkt\"}, [\"starts-with\", \"$key\", \"\\\\$foo\"], {\"acl\": \"private\"}, "
                     "[\"starts-with\", \"$Content-Type\", \"text/plain\"], "
                     "[\"content-length-range\", 0, 1024]]}");
    struct pail_post_field esc[] = {F("key", "\\$foo.txt"), F("acl", "private"),
                                    F("content-type", "text/plain")};
    assert_err(pail_post_policy_check(p, esc, NF(esc), "bkt", NOW, &why), PAIL_OK);
    esc[0].value = "foo.txt"; /* _missing_policy_condition's key: 403 */
    esc[0].len = 7;
    assert_err(pail_post_policy_check(p, esc, NF(esc), "bkt", NOW, &why), PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Policy Condition failed: "
                             "[\"starts-with\", \"$key\", \"\\$foo\"]");

    /* ["eq", "$x-amz-meta-foo", ""] against "barclamp": 403 */
    p = policy_of(a, s3tests_policy(buf, sizeof(buf), ", [\"eq\", \"$x-amz-meta-foo\", \"\"]"));
    struct pail_post_field meta[] = {F("key", "foo.txt"), F("acl", "private"),
                                     F("content-type", "text/plain"),
                                     F("x-amz-meta-foo", "barclamp")};
    assert_err(pail_post_policy_check(p, meta, NF(meta), "bkt", NOW, &why), PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Policy Condition failed: "
                             "[\"eq\", \"$x-amz-meta-foo\", \"\"]");
    /* ...and the field absent: "" equals "" */
    assert_err(pail_post_policy_check(p, meta, 3, "bkt", NOW, &why), PAIL_OK);

    /* starts-with "bar": barclamp holds (204), absent does not (403). */
    p = policy_of(a, s3tests_policy(buf, sizeof(buf),
                                    ", [\"starts-with\", \"$x-amz-meta-foo\", \"bar\"]"));
    assert_err(pail_post_policy_check(p, meta, NF(meta), "bkt", NOW, &why), PAIL_OK);
    assert_err(pail_post_policy_check(p, meta, 3, "bkt", NOW, &why), PAIL_E_AccessDenied);

    /* _wrong_bucket: the policy's bucket is not the request's (its form has
     * a bucket field with the policy's value): 403. */
    p = policy_of(a, s3tests_policy(buf, sizeof(buf), ""));
    struct pail_post_field wrong[] = {
        {"key", pail_post_key_subst(a, "${filename}", "foo.txt"), 7}, F("bucket", "bkt"),
        F("acl", "private"), F("content-type", "text/plain")};
    assert_err(pail_post_policy_check(p, wrong, NF(wrong), "bkt", NOW, &why), PAIL_OK);
    assert_err(pail_post_policy_check(p, wrong, NF(wrong), "other", NOW, &why),
               PAIL_E_AccessDenied);
    /* A bucket field naming another bucket than the policy's fails too. */
    wrong[1].value = "other";
    wrong[1].len = 5;
    assert_err(pail_post_policy_check(p, wrong, NF(wrong), "bkt", NOW, &why), PAIL_E_AccessDenied);

    /* _success_redirect_action, tags (starts-with ""), SSE-C fields. */
    p = policy_of(a, s3tests_policy(buf, sizeof(buf),
                                    ", [\"eq\", \"$success_action_redirect\", \"http://h/b\"]"
                                    ", [\"starts-with\", \"$tagging\", \"\"]"
                                    ", [\"starts-with\", \"$x-amz-server-side-encryption-customer-key\", \"\"]"));
    struct pail_post_field redirect[] = {
        F("key", "foo.txt"), F("acl", "private"), F("content-type", "text/plain"),
        F("success_action_redirect", "http://h/b"),
        F("tagging", "<Tagging><TagSet><Tag><Key>0</Key><Value>0</Value></Tag></TagSet></Tagging>"),
        F("x-amz-server-side-encryption-customer-key", "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=")};
    assert_err(pail_post_policy_check(p, redirect, NF(redirect), "bkt", NOW, &why), PAIL_OK);
    redirect[3].value = "http://h/b?x";
    redirect[3].len = 12;
    assert_err(pail_post_policy_check(p, redirect, NF(redirect), "bkt", NOW, &why),
               PAIL_E_AccessDenied);
    pail_arena_free(a);
}

/* ---- condition kinds --------------------------------------------------------- */

static void test_eq_and_starts_with(void **state)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_post_policy *p = policy_of(
        a, "{\"expiration\": \"2030-01-01T00:00:00.000Z\", \"conditions\": ["
           "[\"eq\", \"$key\", \"a/b\"], {\"acl\": \"public-read\"}, "
           "[\"starts-with\", \"$Cache-Control\", \"max-age\"], "
           "[\"starts-with\", \"$Content-Disposition\", \"\"], "
           "[\"eq\", \"$Content-Encoding\", \"gzip\"], "
           "[\"starts-with\", \"$Expires\", \"Thu, \"], "
           "{\"success_action_status\": \"201\"}, "
           "[\"starts-with\", \"$redirect\", \"https://\"], "
           "[\"starts-with\", \"$x-amz-meta-\\u00e9t\\u00e9\", \"\\u00e9\"], "
           "[\"eq\", \"$x-amz-storage-class\", \"STANDARD\"]]}");
    struct pail_post_field ok[] = {
        F("key", "a/b"), F("acl", "public-read"), F("cache-control", "max-age=60"),
        F("content-disposition", "attachment; filename=\"x\""), F("content-encoding", "gzip"),
        F("expires", "Thu, 01 Dec 1994 16:00:00 GMT"), F("success_action_status", "201"),
        F("redirect", "https://example.com/done"), F("x-amz-meta-\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"),
        F("x-amz-storage-class", "STANDARD"),
    };
    const char *why = NULL;
    assert_err(pail_post_policy_check(p, ok, NF(ok), "b", NOW, &why), PAIL_OK);
    /* Each condition failing in turn, with the text AWS quotes. */
    static const struct {
        size_t field;
        const char *value, *text;
    } bad[] = {
        {0, "a/bc", "[\"eq\", \"$key\", \"a/b\"]"},
        {0, "a/", "[\"eq\", \"$key\", \"a/b\"]"},
        {1, "private", "[\"eq\", \"$acl\", \"public-read\"]"},
        {2, "no-cache", "[\"starts-with\", \"$Cache-Control\", \"max-age\"]"},
        {2, "max-ag", "[\"starts-with\", \"$Cache-Control\", \"max-age\"]"},
        {4, "GZIP", "[\"eq\", \"$Content-Encoding\", \"gzip\"]"},
        {5, "Fri, 02 Dec 1994", "[\"starts-with\", \"$Expires\", \"Thu, \"]"},
        {6, "200", "[\"eq\", \"$success_action_status\", \"201\"]"},
        {7, "http://example.com", "[\"starts-with\", \"$redirect\", \"https://\"]"},
        {8, "x", "[\"starts-with\", \"$x-amz-meta-\xc3\xa9t\xc3\xa9\", \"\xc3\xa9\"]"},
        {9, "", "[\"eq\", \"$x-amz-storage-class\", \"STANDARD\"]"},
    };
    for (size_t i = 0; i < NF(bad); i++) {
        struct pail_post_field f[NF(ok)];
        memcpy(f, ok, sizeof(ok));
        f[bad[i].field].value = bad[i].value;
        f[bad[i].field].len = strlen(bad[i].value);
        assert_err(pail_post_policy_check(p, f, NF(f), "b", NOW, &why), PAIL_E_AccessDenied);
        char want[256];
        snprintf(want, sizeof(want), "Invalid according to Policy: Policy Condition failed: %s",
                 bad[i].text);
        assert_string_equal(why, want);
    }
    /* A value compared by its length, not as a C string. */
    struct pail_post_field f[NF(ok)];
    memcpy(f, ok, sizeof(ok));
    f[0].value = "a/b\0x";
    f[0].len = 5;
    assert_err(pail_post_policy_check(p, f, NF(f), "b", NOW, &why), PAIL_E_AccessDenied);
    /* starts-with "" holds for an absent field too. */
    memcpy(f, ok, sizeof(ok));
    f[3] = f[NF(ok) - 1];
    assert_err(pail_post_policy_check(p, f, NF(f) - 1, "b", NOW, &why), PAIL_OK);
    pail_arena_free(a);
}

/* A repeated field: every copy must hold. */
static void test_repeated_field(void **state)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_post_policy *p = policy_of(
        a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": ["
           "[\"starts-with\", \"$key\", \"uploads/\"]]}");
    struct pail_post_field f[] = {F("key", "uploads/a"), F("key", "secret/b")};
    const char *why;
    assert_err(pail_post_policy_check(p, f, 1, "b", NOW, &why), PAIL_OK);
    assert_err(pail_post_policy_check(p, f, 2, "b", NOW, &why), PAIL_E_AccessDenied);
    pail_arena_free(a);
}

static void test_content_type_list(void **state)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_post_policy *p = policy_of(
        a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": ["
           "[\"starts-with\", \"$Content-Type\", \"image/\"], [\"starts-with\", \"$x-amz-meta-t\", \"image/\"]]}");
    static const struct {
        const char *v;
        bool ok;
    } cases[] = {
        {"image/jpeg", true},        {"image/jpeg,image/png", true},
        {"image/jpeg, image/png", true}, {"image/jpeg,  \timage/png", true},
        {"image/jpeg, text/plain", false}, {"text/plain, image/png", false},
        {"image/jpeg,", false},      {"", false},
    };
    for (size_t i = 0; i < NF(cases); i++) {
        struct pail_post_field f[] = {{"content-type", cases[i].v, strlen(cases[i].v)},
                                      F("x-amz-meta-t", "image/x")};
        const char *why;
        assert_err(pail_post_policy_check(p, f, NF(f), "b", NOW, &why),
                   cases[i].ok ? PAIL_OK : PAIL_E_AccessDenied);
    }
    /* Only Content-Type is a list: elsewhere a comma is just a byte. */
    struct pail_post_field g[] = {F("content-type", "image/a"), F("x-amz-meta-t", "image/a, text/b")};
    const char *why;
    assert_err(pail_post_policy_check(p, g, NF(g), "b", NOW, &why), PAIL_OK);
    pail_arena_free(a);
}

/* starts-with is refused on the fields AWS matches exactly only. */
static void test_exact_only_fields(void **state)
{
    static const char *const names[] = {"bucket", "success_action_status", "x-amz-algorithm",
                                        "x-amz-credential", "x-amz-date"};
    struct pail_arena *a = pail_arena_new();
    for (size_t i = 0; i < NF(names); i++) {
        char json[256];
        snprintf(json, sizeof(json), "{\"expiration\": \"2030-01-01T00:00:00Z\", "
                                     "\"conditions\": [[\"starts-with\", \"$%s\", \"\"]]}",
                 names[i]);
        struct pail_post_policy *p = policy_of(a, json);
        struct pail_post_field f[] = {{names[i], "v", 1}};
        const char *why;
        assert_err(pail_post_policy_check(p, f, NF(f), "v", NOW, &why), PAIL_E_AccessDenied);
        assert_non_null(strstr(why, "Policy Condition failed"));
    }
    pail_arena_free(a);
}

/* ---- extra fields ------------------------------------------------------------ */

static void test_extra_fields(void **state)
{
    struct pail_arena *a = pail_arena_new();
    char buf[1024];
    struct pail_post_policy *p = policy_of(a, s3tests_policy(buf, sizeof(buf), ""));
    struct pail_post_field f[] = {
        F("key", "foo.txt"), F("acl", "private"), F("content-type", "text/plain"),
        F("x-amz-meta-foo", "bar"), F("foo", "1"), F("x-amz-meta-foo", "baz"),
        F("success_action_status", "201"),
    };
    const char *why = NULL;
    assert_err(pail_post_policy_check(p, f, 4, "bkt", NOW, &why), PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Extra input fields: x-amz-meta-foo");
    assert_err(pail_post_policy_check(p, f, NF(f), "bkt", NOW, &why), PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Extra input fields: x-amz-meta-foo, "
                             "foo, success_action_status");
    /* The bucket field, a credential, a token: named by no condition, extra. */
    struct pail_post_field g[] = {F("key", "foo.txt"), F("acl", "private"),
                                  F("content-type", "text/plain"), F("bucket", "bkt"),
                                  F("x-amz-security-token", "t")};
    assert_err(pail_post_policy_check(p, g, NF(g), "bkt", NOW, &why), PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Extra input fields: x-amz-security-token");
    /* A failing condition is reported before extra fields. */
    f[0].value = "bar.txt";
    assert_err(pail_post_policy_check(p, f, NF(f), "bkt", NOW, &why), PAIL_E_AccessDenied);
    assert_non_null(strstr(why, "Policy Condition failed"));
    /* An empty condition list: anything but the exempt fields is extra. */
    p = policy_of(a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": []}");
    struct pail_post_field h[] = {F("policy", "p"), F("x-ignore-a", "1")};
    assert_err(pail_post_policy_check(p, h, NF(h), "bkt", NOW, &why), PAIL_OK);
    assert_err(pail_post_policy_check(p, f, 1, "bkt", NOW, &why), PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Extra input fields: key");
    pail_arena_free(a);
}

/* ---- expiration ---------------------------------------------------------------- */

static void test_expiration(void **state)
{
    struct pail_arena *a = pail_arena_new();
    static const char *const good[] = {"2030-01-01T00:00:00Z", "2030-01-01T00:00:00.000Z",
                                       "2030-01-01T00:00:00.123456Z", "2030-01-01T01:00:00+01:00"};
    for (size_t i = 0; i < NF(good); i++) {
        char json[256];
        snprintf(json, sizeof(json), "{\"expiration\": \"%s\", \"conditions\": []}", good[i]);
        struct pail_post_policy *p = policy_of(a, json);
        int64_t exp = utc_ms(2030, 1, 1, 0, 0, 0);
        assert_int_equal(pail_post_policy_expiration_ms(p), exp);
        const char *why = NULL;
        assert_err(pail_post_policy_check(p, NULL, 0, "b", exp - 1, &why), PAIL_OK);
        assert_err(pail_post_policy_check(p, NULL, 0, "b", exp, &why), PAIL_E_AccessDenied);
        assert_string_equal(why, "Invalid according to Policy: Policy expired.");
    }
    /* test_post_object_expired_policy: expired and failing a condition too. */
    struct pail_post_policy *p = policy_of(
        a, "{\"expiration\": \"2020-01-01T00:00:00Z\", \"conditions\": [{\"acl\": \"x\"}]}");
    const char *why;
    assert_err(pail_post_policy_check(p, NULL, 0, "b", NOW, &why), PAIL_E_AccessDenied);
    assert_string_equal(why, "Invalid according to Policy: Policy expired.");
    pail_arena_free(a);
}

static void test_expiration_rejected(void **state)
{
    struct pail_arena *a = pail_arena_new();
    static const struct {
        const char *json, *why;
    } cases[] = {
        /* test_post_object_invalid_date_format: str(datetime) */
        {"{\"expiration\": \"2030-01-01 00:00:00.123456+00:00\", \"conditions\": []}",
         "Invalid Policy: Invalid 'expiration' value: '2030-01-01 00:00:00.123456+00:00'"},
        {"{\"expiration\": \"2030-01-01T00:00:00\", \"conditions\": []}",
         "Invalid Policy: Invalid 'expiration' value: '2030-01-01T00:00:00'"},
        {"{\"expiration\": \"2030-02-30T00:00:00Z\", \"conditions\": []}",
         "Invalid Policy: Invalid 'expiration' value: '2030-02-30T00:00:00Z'"},
        {"{\"expiration\": 1893456000, \"conditions\": []}",
         "Invalid Policy: Invalid 'expiration' value: '1893456000'"},
        {"{\"expiration\": null, \"conditions\": []}",
         "Invalid Policy: Invalid 'expiration' value: 'null'"},
        /* _missing_expires_condition, _expires_is_case_sensitive */
        {"{\"conditions\": []}", "Invalid Policy: Policy missing expiration."},
        {"{\"EXPIRATION\": \"2030-01-01T00:00:00Z\", \"conditions\": []}",
         "Invalid Policy: Policy missing expiration."},
    };
    for (size_t i = 0; i < NF(cases); i++) {
        const char *why;
        assert_err(parse_error(a, cases[i].json, &why), PAIL_E_InvalidPolicyDocument);
        assert_string_equal(why, cases[i].why);
    }
    pail_arena_free(a);
}

/* ---- the document's shape -------------------------------------------------------- */

static void test_document_rejected(void **state)
{
    struct pail_arena *a = pail_arena_new();
    static const struct {
        const char *json, *why;
    } cases[] = {
        {"not json", "Invalid Policy: Invalid JSON."},
        {"", "Invalid Policy: Invalid JSON."},
        {"[]", "Invalid Policy: Invalid JSON."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [], \"conditions\": []}",
         "Invalid Policy: Invalid JSON."},
        /* _missing_conditions_list, _condition_is_case_sensitive */
        {"{\"expiration\": \"2030-01-01T00:00:00Z\"}", "Invalid Policy: Policy missing conditions."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"CONDITIONS\": []}",
         "Invalid Policy: Policy missing conditions."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": {}}",
         "Invalid Policy: Invalid 'conditions' value: must be a List."},
        /* _empty_conditions: [{}] */
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{}]}",
         "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
         "property specified."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{\"a\": \"1\", \"b\": \"2\"}]}",
         "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
         "property specified."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{\"a\": 1}]}",
         "Invalid Policy: Invalid Simple-Condition: value must be a string."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [\"eq\"]}",
         "Invalid Policy: Invalid Condition: a condition must be a list or an object."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[]]}",
         "Invalid Policy: Invalid Condition: a condition list must begin with its type."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"ends-with\", \"$key\", \"x\"]]}",
         "Invalid Policy: Invalid Condition: unknown condition type 'ends-with'."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"eq\", \"$key\"]]}",
         "Invalid Policy: Invalid 'eq' condition: it takes a field and a string."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"eq\", \"$key\", \"a\", \"b\"]]}",
         "Invalid Policy: Invalid 'eq' condition: it takes a field and a string."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"starts-with\", \"$key\", 1]]}",
         "Invalid Policy: Invalid 'starts-with' condition: it takes a field and a string."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"eq\", \"key\", \"a\"]]}",
         "Invalid Policy: Invalid 'eq' condition: the field must be named as '$name'."},
        {"{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"eq\", \"$\", \"a\"]]}",
         "Invalid Policy: Invalid 'eq' condition: the field must be named as '$name'."},
    };
    for (size_t i = 0; i < NF(cases); i++) {
        const char *why;
        assert_err(parse_error(a, cases[i].json, &why), PAIL_E_InvalidPolicyDocument);
        assert_string_equal(why, cases[i].why);
    }
    /* Not base64, or no policy at all. */
    struct pail_post_policy *p = NULL;
    const char *why;
    assert_err(pail_post_policy_parse(a, "e30=!", &p, &why), PAIL_E_InvalidPolicyDocument);
    assert_string_equal(why, "Invalid Policy: Invalid Base64 encoding.");
    assert_err(pail_post_policy_parse(a, "e30", &p, &why), PAIL_E_InvalidPolicyDocument);
    assert_err(pail_post_policy_parse(a, NULL, &p, NULL), PAIL_E_InvalidPolicyDocument);
    assert_null(p);
    pail_arena_free(a);
}

/* Base64 broken into lines (Ruby's Base64.encode64), unknown keys ignored. */
static void test_document_lenient(void **state)
{
    struct pail_arena *a = pail_arena_new();
    const char *enc = b64("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": "
                          "[[\"eq\", \"$key\", \"a\"]], \"comment\": 42}");
    char lines[2048];
    size_t n = strlen(enc), o = 0;
    for (size_t i = 0; i < n; i++) {
        lines[o++] = enc[i];
        if (i % 60 == 59)
            lines[o++] = '\n';
    }
    lines[o++] = '\n';
    lines[o] = 0;
    struct pail_post_policy *p = NULL;
    const char *why = NULL;
    assert_err(pail_post_policy_parse(a, lines, &p, &why), PAIL_OK);
    struct pail_post_field f[] = {F("key", "a")};
    assert_err(pail_post_policy_check(p, f, 1, "b", NOW, &why), PAIL_OK);
    pail_arena_free(a);
}

/* ---- content-length-range ----------------------------------------------------------- */

static void test_length_range(void **state)
{
    struct pail_arena *a = pail_arena_new();
    char buf[1024];
    const char *why;
    uint64_t lo, hi;
    /* _upload_size_limit_exceeded: [0, 0] and 3 bytes */
    struct pail_post_policy *p = policy_of(
        a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"content-length-range\", 0, 0]]}");
    assert_err(pail_post_policy_check_length(p, 0, &why), PAIL_OK);
    assert_err(pail_post_policy_check_length(p, 3, &why), PAIL_E_EntityTooLarge);
    assert_string_equal(why, "Your proposed upload exceeds the maximum allowed size");
    /* _upload_size_below_minimum: [512, 1000] and 3 bytes; bounds inclusive */
    p = policy_of(a, s3tests_policy(buf, sizeof(buf), ", [\"content-length-range\", 512, 1000]"));
    assert_true(pail_post_policy_length_range(p, &lo, &hi));
    assert_int_equal(lo, 512); /* intersected with [0, 1024] */
    assert_int_equal(hi, 1000);
    assert_err(pail_post_policy_check_length(p, 3, &why), PAIL_E_EntityTooSmall);
    assert_string_equal(why, "Your proposed upload is smaller than the minimum allowed size");
    assert_err(pail_post_policy_check_length(p, 511, &why), PAIL_E_EntityTooSmall);
    assert_err(pail_post_policy_check_length(p, 512, &why), PAIL_OK);
    assert_err(pail_post_policy_check_length(p, 1000, &why), PAIL_OK);
    assert_err(pail_post_policy_check_length(p, 1001, &why), PAIL_E_EntityTooLarge);
    /* _upload_size_rgw_chunk_size_bug: [4 MiB, 12 MiB] and 4 MiB + 200 */
    p = policy_of(a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": "
                     "[[\"content-length-range\", 4194304, 12582912]]}");
    assert_err(pail_post_policy_check_length(p, 4194304 + 200, &why), PAIL_OK);
    /* Decimal strings, and huge bounds. */
    p = policy_of(a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": "
                     "[[\"content-length-range\", \"10\", \"5497558138880\"]]}");
    assert_true(pail_post_policy_length_range(p, &lo, &hi));
    assert_int_equal(lo, 10);
    assert_int_equal(hi, 5497558138880ull);
    /* No range: any length. */
    p = policy_of(a, "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": []}");
    assert_false(pail_post_policy_length_range(p, &lo, &hi));
    assert_int_equal(lo, 0);
    assert_true(hi == UINT64_MAX);
    assert_err(pail_post_policy_check_length(p, UINT64_MAX, &why), PAIL_OK);
    /* The range covers no field: it does not make one extra or covered. */
    struct pail_post_field f[] = {F("content-length-range", "1")};
    assert_err(pail_post_policy_check(p, f, 1, "b", NOW, &why), PAIL_E_AccessDenied);
    pail_arena_free(a);
}

static void test_length_range_rejected(void **state)
{
    struct pail_arena *a = pail_arena_new();
    static const char *const bad[] = {
        "[\"content-length-range\", 0]", /* _missing_content_length_argument */
        "[\"content-length-range\", -1, 0]", /* _invalid_content_length_argument */
        "[\"content-length-range\", 0, -5]",
        "[\"content-length-range\", 1.5, 2]",
        "[\"content-length-range\", \"1k\", \"2\"]",
        "[\"content-length-range\", \"\", \"2\"]",
        "[\"content-length-range\", \"-1\", \"2\"]",
        "[\"content-length-range\", \"99999999999999999999999\", \"2\"]",
        "[\"content-length-range\", null, 2]",
        "[\"content-length-range\", 0, 1, 2]",
    };
    for (size_t i = 0; i < NF(bad); i++) {
        char json[256];
        snprintf(json, sizeof(json),
                 "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [%s]}", bad[i]);
        const char *why;
        assert_err(parse_error(a, json, &why), PAIL_E_InvalidPolicyDocument);
        assert_non_null(strstr(why, "Invalid 'content-length-range' condition"));
    }
    pail_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_sigv4_example),
        cmocka_unit_test(test_sigv2_signature),
        cmocka_unit_test(test_sigv4_fields_rejected),
        cmocka_unit_test(test_form_auth_kinds),
        cmocka_unit_test(test_form_auth_missing_fields),
        cmocka_unit_test(test_field_helpers),
        cmocka_unit_test(test_key_filename_substitution),
        cmocka_unit_test(test_s3tests_authenticated),
        cmocka_unit_test(test_s3tests_exempt_fields),
        cmocka_unit_test(test_s3tests_case_insensitive),
        cmocka_unit_test(test_s3tests_conditions),
        cmocka_unit_test(test_eq_and_starts_with),
        cmocka_unit_test(test_repeated_field),
        cmocka_unit_test(test_content_type_list),
        cmocka_unit_test(test_exact_only_fields),
        cmocka_unit_test(test_extra_fields),
        cmocka_unit_test(test_expiration),
        cmocka_unit_test(test_expiration_rejected),
        cmocka_unit_test(test_document_rejected),
        cmocka_unit_test(test_document_lenient),
        cmocka_unit_test(test_length_range),
        cmocka_unit_test(test_length_range_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
