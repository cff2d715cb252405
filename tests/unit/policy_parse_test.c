/* tests/unit/policy_parse_test.c — iam/policy_parse.c and the validation of
 * policy_principal.c / policy_cond.c: what each kind accepts, and the exact
 * message for each refusal (S3's MalformedPolicy for bucket policies, IAM's
 * MalformedPolicyDocument for identity and trust policies); the bucket and
 * principal-existence hooks; statement accessors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "policy_fixture.h"

#define RES PAIL_POLICY_RESOURCE
#define IDN PAIL_POLICY_IDENTITY
#define TRU PAIL_POLICY_TRUST

/* A bucket-policy statement with one field replaced or added. */
#define BP(...) "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," \
                "\"Resource\":\"arn:aws:s3:::b/*\"" __VA_ARGS__ "}"
#define IP(...) "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"" __VA_ARGS__ "}"

static void accept(const char *doc, enum pail_policy_kind kind)
{
    pail_policy_free(fx_compile(doc, kind));
}

static void test_s3_document_faults(void **state)
{
    (void)state;
    const char *first = "Policies must be valid JSON and the first byte must be '{'";
    fx_refused("", RES, first);
    fx_refused(" {\"Statement\":[" BP() "]}", RES, first);
    fx_refused("[]", RES, first);
    fx_refused("\"x\"", RES, first);
    const char *json = "This policy contains invalid Json";
    fx_refused("{", RES, json);
    fx_refused("{\"Statement\":[}", RES, json);
    fx_refused("{\"Statement\":[" BP() "]} trailing", RES, json);
    fx_refused("{\"Statement\":[" BP() "],\"Statement\":[" BP() "]}", RES, json); /* duplicate */
    fx_refused("{\"Statement\":\"x\"}", RES, json);
    fx_refused("{\"Statement\":[\"x\"]}", RES, json);
    fx_refused("{\"Id\":5,\"Statement\":[" BP() "]}", RES, json);
    fx_refused("{\"Version\":\"2012-10-17\"}", RES, "Missing required field Statement");
    fx_refused("{\"Statement\":[]}", RES, "Could not parse the policy: Statement is empty!");
    fx_refused("{\"Version\":\"2020-01-01\",\"Statement\":[" BP() "]}", RES,
               "The policy must contain a valid version string");
    fx_refused("{\"Version\":20121017,\"Statement\":[" BP() "]}", RES,
               "The policy must contain a valid version string");
    fx_refused("{\"Foo\":1,\"Statement\":[" BP() "]}", RES, "Unknown field Foo");
    fx_refused("{\"statement\":[" BP() "]}", RES, "Unknown field statement");
}

static void test_s3_statement_faults(void **state)
{
    (void)state;
    fx_refused(DOC12(BP(",\"Foo\":1")), RES, "Unknown field Foo");
    fx_refused(DOC12("{\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}"), RES,
               "Missing required field Effect");
    fx_refused(DOC12("{\"Effect\":\"Allw\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                     "\"Resource\":\"*\"}"),
               RES, "Invalid effect: Allw");
    fx_refused(DOC12("{\"Effect\":\"allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                     "\"Resource\":\"*\"}"),
               RES, "Invalid effect: allow");
    fx_refused(DOC12("{\"Effect\":true,\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}"),
               RES, "This policy contains invalid Json");
    fx_refused(DOC12(BP(",\"Sid\":5")), RES, "This policy contains invalid Json");
    /* Actions. */
    fx_refused(DOC12(BP(",\"NotAction\":\"s3:PutObject\"")), RES, "Policy has invalid action");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Resource\":\"*\"}"), RES,
               "Missing required field Action");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":[],\"Resource\":\"*\"}"),
               RES, "Missing required field Action");
    const char *badact[] = {"iam:CreateUser", "GetObject", "s3:Get Object", "s3:", "*:GetObject",
                            "sts:AssumeRole"};
    for (size_t i = 0; i < sizeof(badact) / sizeof(badact[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":[\"s3:GetObject\",\"%s\"],"
                       "\"Resource\":\"*\"}"),
                 badact[i]);
        fx_refused(doc, RES, "Policy has invalid action");
    }
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":5,\"Resource\":\"*\"}"),
               RES, "This policy contains invalid Json");
    /* Resources. */
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\"}"), RES,
               "Missing required field Resource");
    fx_refused(DOC12(BP(",\"NotResource\":\"*\"")), RES, "Policy has invalid resource");
    const char *badres[] = {"bucket", "arn:aws:s3", "arn:foo:s3:::b", "arn:aws::::b", "s3:::b"};
    for (size_t i = 0; i < sizeof(badres) / sizeof(badres[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                       "\"Resource\":[\"*\",\"%s\"]}"),
                 badres[i]);
        fx_refused(doc, RES, "Policy has invalid resource");
    }
}

static void test_s3_principal_faults(void **state)
{
    (void)state;
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}"), RES,
               "Missing required field Principal");
    const char *bad[] = {
        "\"alice\"",
        "5",
        "[\"*\"]",
        "{}",
        "{\"AWS\":[]}",
        "{\"AWS\":5}",
        "{\"AWS\":\"12345\"}",
        "{\"AWS\":\"arn:aws:iam::12345:user/x\"}",
        "{\"AWS\":\"arn:aws:iam::" ACCT ":user/*\"}",
        "{\"AWS\":\"arn:aws:iam::" ACCT ":group/g\"}",
        "{\"AWS\":\"arn:aws:iam::" ACCT ":user/\"}",
        "{\"AWS\":\"arn:aws:iam:us-east-1:" ACCT ":user/x\"}",
        "{\"AWS\":\"arn:aws:sts::" ACCT ":assumed-role/OnlyRole\"}",
        "{\"AWS\":\"arn:aws:s3:::" ACCT "\"}",
        "{\"AWS\":\"*a\"}",
        "{\"CanonicalUser\":\"abc\"}",
        "{\"Foo\":\"x\"}",
        "{\"Service\":\"\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 DOC12("{\"Effect\":\"Allow\",\"Principal\":%s,\"Action\":\"s3:*\","
                       "\"Resource\":\"*\"}"),
                 bad[i]);
        fx_refused(doc, RES, "Invalid principal in policy");
    }
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotPrincipal\":\"*\","
                     "\"Action\":\"s3:*\",\"Resource\":\"*\"}"),
               RES, "Invalid principal in policy");
}

static void test_s3_condition_faults(void **state)
{
    (void)state;
    fx_refused(DOC12(BP(",\"Condition\":{\"StringEqualz\":{\"s3:prefix\":\"a\"}}")), RES,
               "Invalid Condition type : StringEqualz");
    fx_refused(DOC12(BP(",\"Condition\":{\"ForAnyValue:Null\":{\"s3:prefix\":\"true\"}}")), RES,
               "Invalid Condition type : ForAnyValue:Null");
    fx_refused(DOC12(BP(",\"Condition\":{\"NullIfExists\":{\"s3:prefix\":\"true\"}}")), RES,
               "Invalid Condition type : NullIfExists");
    fx_refused(DOC12(BP(",\"Condition\":{\"ForSomeValues:StringEquals\":{\"s3:prefix\":\"a\"}}")),
               RES, "Invalid Condition type : ForSomeValues:StringEquals");
    const char *keys[] = {"prefix", "foo:bar", ":x", "s3:", "s3:/tag", "s3:a b", "s3:tag/"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc), DOC12(BP(",\"Condition\":{\"StringEquals\":{\"%s\":\"a\"}}")),
                 keys[i]);
        fx_refused(doc, RES, "Policy has an invalid condition key");
    }
    fx_refused(DOC12(BP(",\"Condition\":{\"StringEquals\":{\"s3:prefix\":[]}}")), RES,
               "Invalid Condition value : StringEquals s3:prefix []");
    fx_refused(DOC12(BP(",\"Condition\":{\"StringEquals\":{\"s3:prefix\":null}}")), RES,
               "Invalid Condition value : StringEquals s3:prefix");
    fx_refused(DOC12(BP(",\"Condition\":{\"StringEquals\":{\"s3:prefix\":[[\"a\"]]}}")), RES,
               "Invalid Condition value : StringEquals s3:prefix");
    fx_refused(DOC12(BP(",\"Condition\":{\"StringEquals\":{\"s3:prefix\":{\"a\":1}}}")), RES,
               "Invalid Condition value : StringEquals s3:prefix");
    fx_refused(DOC12(BP(",\"Condition\":\"x\"")), RES, "This policy contains invalid Json");
    fx_refused(DOC12(BP(",\"Condition\":{\"StringEquals\":\"x\"}")), RES,
               "This policy contains invalid Json");
    /* Typed values must parse in a bucket policy. */
    fx_refused(DOC12(BP(",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"300.1.1.1\"}}")), RES,
               "Invalid Condition value : IpAddress aws:SourceIp 300.1.1.1");
    /* A prefix of many digits once overflowed an int while it was read
     * (fuzz/corpus/policy/crash-cidr-prefix-overflow). */
    fx_refused(DOC12(BP(",\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":"
                        "\"192.0.2.0/44444444444444444424\"}}")),
               RES, "Invalid Condition value : NotIpAddress aws:SourceIp "
                    "192.0.2.0/44444444444444444424");
    fx_refused(DOC12(BP(",\"Condition\":{\"NumericLessThan\":{\"s3:max-keys\":\"ten\"}}")), RES,
               "Invalid Condition value : NumericLessThan s3:max-keys ten");
    fx_refused(DOC12(BP(",\"Condition\":{\"DateLessThan\":{\"aws:CurrentTime\":\"soon\"}}")), RES,
               "Invalid Condition value : DateLessThan aws:CurrentTime soon");
    fx_refused(DOC12(BP(",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"yes\"}}")), RES,
               "Invalid Condition value : Bool aws:SecureTransport yes");
    fx_refused(DOC12(BP(",\"Condition\":{\"Null\":{\"s3:prefix\":\"maybe\"}}")), RES,
               "Invalid Condition value : Null s3:prefix maybe");
    fx_refused(DOC12(BP(",\"Condition\":{\"BinaryEquals\":{\"s3:b\":\"!!\"}}")), RES,
               "Invalid Condition value : BinaryEquals s3:b !!");
}

static void test_s3_accepts(void **state)
{
    (void)state;
    accept("{\"Statement\":" BP() "}", RES); /* one statement object, no Version */
    accept("{\"Version\":\"2008-10-17\",\"Id\":\"x\",\"Statement\":[" BP() "]}", RES);
    accept(DOC12(BP(",\"Sid\":\"any text, even spaces\"") "," BP(",\"Sid\":\"any text, even spaces\"")),
           RES);
    accept(DOC12("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":[\"" ACCT "\","
                 "\"arn:aws:iam::" ACCT ":root\",\"arn:aws:iam::" ACCT ":user/path/x\","
                 "\"arn:aws:iam::" ACCT ":role/r\",\"arn:aws:sts::" ACCT ":assumed-role/r/s\","
                 "\"arn:aws:sts::" ACCT ":federated-user/f\"]},"
                 "\"NotAction\":[\"S3:get*\",\"s3:*\",\"*\"],\"NotResource\":\"*\"}"),
           RES);
    accept(DOC12("{\"Effect\":\"Allow\",\"Principal\":{\"CanonicalUser\":\"" CANON "\","
                 "\"Service\":\"cloudtrail.amazonaws.com\",\"Federated\":\"cognito-identity.amazonaws.com\"},"
                 "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}"),
           RES);
    accept(DOC12(BP(",\"Condition\":{\"stringequals\":{\"AWS:SourceAccount\":[\"1\",2,true]},"
                    "\"ForAllValues:StringLikeIfExists\":{\"s3:ExistingObjectTag/My Tag+=.@\":\"*\"}}")),
           RES);
}

static void test_bucket_hook(void **state)
{
    (void)state;
    struct pail_policy_opts o = {.bucket = "b"};
    const char *ok[] = {"arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b?c",
                        "arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::*", "*",
                        "arn:aws:s3:::b*", "arn:aws:s3:::${aws:username}"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                       "\"Resource\":\"%s\"}"),
                 ok[i]);
        pail_policy_free(fx_compile_opts(doc, RES, &o));
    }
    const char *bad[] = {"arn:aws:s3:::other/*", "arn:aws:s3:::bb/*", "arn:aws:s3:::bb",
                         "arn:aws:s3:::c*", "arn:aws:iam::" ACCT ":user/b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                       "\"Resource\":[\"arn:aws:s3:::b/*\",\"%s\"]}"),
                 bad[i]);
        fx_refused_opts(doc, RES, &o, "Policy has invalid resource");
    }
}

/* The principal_exists hook sees each named principal as written. */
struct seen {
    char values[8][128];
    bool canonical[8];
    size_t n;
    const char *reject;
};

static bool exists_hook(void *ctx, const char *value, bool is_canonical)
{
    struct seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->values[s->n], sizeof(s->values[0]), "%s", value);
        s->canonical[s->n++] = is_canonical;
    }
    return !s->reject || strcmp(value, s->reject) != 0;
}

static void test_principal_hook(void **state)
{
    (void)state;
    struct seen s = {0};
    struct pail_policy_opts o = {.principal_exists = exists_hook, .ctx = &s};
    const char *doc = DOC12("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"*\",\"" OTHER "\","
                            "\"arn:aws:iam::" ACCT ":root\",\"arn:aws:iam::" ACCT ":user/alice\"],"
                            "\"CanonicalUser\":\"" CANON "\",\"Service\":\"s3.amazonaws.com\"},"
                            "\"Action\":\"s3:*\",\"Resource\":\"*\"}");
    pail_policy_free(fx_compile_opts(doc, RES, &o));
    assert_int_equal(s.n, 4);
    assert_string_equal(s.values[0], OTHER);
    assert_string_equal(s.values[1], "arn:aws:iam::" ACCT ":root");
    assert_string_equal(s.values[2], "arn:aws:iam::" ACCT ":user/alice");
    assert_string_equal(s.values[3], CANON);
    assert_false(s.canonical[0]);
    assert_true(s.canonical[3]);
    struct seen r = {.reject = OTHER};
    o.ctx = &r;
    fx_refused_opts(doc, RES, &o, "Invalid principal in policy");
    struct seen rc = {.reject = CANON};
    o.ctx = &rc;
    fx_refused_opts(doc, RES, &o, "Invalid principal in policy");
    /* A trust policy names the principal it could not find. */
    struct seen rt = {.reject = "arn:aws:iam::" ACCT ":role/Gone"};
    o.ctx = &rt;
    fx_refused_opts(DOC12("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT
                          ":role/Gone\"},\"Action\":\"sts:AssumeRole\"}"),
                    TRU, &o, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::" ACCT ":role/Gone\"");
}

static void test_iam_faults(void **state)
{
    (void)state;
    const char *syntax = "Syntax errors in policy.";
    fx_refused("", IDN, syntax);
    fx_refused("not json", IDN, syntax);
    fx_refused("[]", IDN, syntax);
    fx_refused(" {\"Statement\":" IP() "}", IDN, "The policy failed legacy parsing");
    fx_refused("\n{\"Statement\":" IP() "}", IDN, "The policy failed legacy parsing");
    fx_refused("{\"Statement\":[]}", IDN, syntax);
    fx_refused("{\"Version\":\"2012-10-17\"}", IDN, syntax);
    fx_refused("{\"Version\":\"2012-10-18\",\"Statement\":" IP() "}", IDN, syntax);
    fx_refused("{\"Foo\":1,\"Statement\":" IP() "}", IDN, "Unknown field Foo");
    fx_refused(DOC12(IP(",\"Foo\":1")), IDN, "Unknown field Foo");
    fx_refused(DOC12(IP(",\"Principal\":\"*\"")), IDN,
               "Policy document should not specify a principal.");
    fx_refused(DOC12(IP(",\"NotPrincipal\":{\"AWS\":\"" ACCT "\"}")), IDN,
               "Policy document should not specify a principal.");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Resource\":\"*\"}"), IDN,
               "Policy statement must contain actions.");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}"), IDN,
               "Policy statement must contain actions.");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}"), IDN,
               "Policy statement must contain resources.");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":[]}"), IDN,
               "Policy statement must contain resources.");
    fx_refused(DOC12(IP(",\"NotAction\":\"s3:*\"")), IDN, syntax);
    fx_refused(DOC12(IP(",\"NotResource\":\"*\"")), IDN, syntax);
    fx_refused(DOC12("{\"Effect\":\"Permit\",\"Action\":\"s3:*\",\"Resource\":\"*\"}"), IDN, syntax);
    fx_refused(DOC12("{\"Action\":\"s3:*\",\"Resource\":\"*\"}"), IDN, "Missing required field Effect.");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"GetObject\",\"Resource\":\"*\"}"), IDN,
               "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s 3:GetObject\",\"Resource\":\"*\"}"), IDN,
               "Vendor s 3 is not valid");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:Get Object\",\"Resource\":\"*\"}"), IDN,
               syntax);
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"bucket\"}"), IDN,
               "Resource bucket must be in ARN format or \"*\".");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3\"}"), IDN,
               "The policy failed legacy parsing");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:foo:s3:::b\"}"), IDN,
               "Partition \"foo\" is not valid for resource \"arn:foo:s3:::b\".");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"s3:::b\"}"), IDN,
               "Partition \"\" is not valid for resource \"arn:::b:*:*\".");
    fx_refused(DOC12(IP(",\"Sid\":\"A\"") "," IP(",\"Sid\":\"A\"")), IDN,
               "Statement IDs (SID) in a single policy must be unique.");
    fx_refused(DOC12(IP(",\"Sid\":\"my sid\"")), IDN,
               "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
               "regular expression [0-9A-Za-z]*");
    fx_refused(DOC12(IP(",\"Condition\":{\"StringEqualz\":{\"s3:prefix\":\"a\"}}")), IDN, syntax);
    fx_refused(DOC12(IP(",\"Condition\":{\"StringEquals\":{\"prefix\":\"a\"}}")), IDN,
               "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    fx_refused(DOC12(IP(",\"Condition\":{\"StringEquals\":{\"s3:prefix\":[]}}")), IDN, syntax);
}

static void test_iam_accepts(void **state)
{
    (void)state;
    accept("{\"Statement\":" IP() "}", IDN);
    accept("{\"Version\":\"2008-10-17\",\"Statement\":[" IP() "]}", IDN);
    accept("{\"Version\":\"2012-10-17\",\"Id\":\"P1\",\"Statement\":[" IP(",\"Sid\":\"A1\"") ","
           IP(",\"Sid\":\"\"") "," IP(",\"Sid\":\"\"") "]}",
           IDN);
    accept(DOC12("{\"Effect\":\"Deny\",\"NotAction\":[\"iam:*\",\"sts:GetCallerIdentity\","
                 "\"ec2:Describe*\"],\"NotResource\":[\"arn:aws:iam::" ACCT ":user/${aws:username}\","
                 "\"arn:aws-cn:s3:::b\",\"arn:*:s3:::b\"]}"),
           IDN);
    /* Unknown condition-key services are IAM's to judge per service. */
    accept(DOC12(IP(",\"Condition\":{\"StringEquals\":{\"ec2:Region\":\"x\"}}")), IDN);
    /* Values that do not parse are kept (see policy_cond_test). */
    accept(DOC12(IP(",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"nope\"}}")), IDN);
}

static void test_trust(void **state)
{
    (void)state;
    const char *ok = DOC12("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT
                           ":root\",\"Service\":\"ec2.amazonaws.com\"},"
                           "\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\",\"STS:assumerole*\","
                           "\"sts:*\"]}");
    accept(ok, TRU);
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\","
                     "\"Resource\":\"*\"}"),
               TRU, "Has prohibited field Resource");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\","
                     "\"NotResource\":\"*\"}"),
               TRU, "Has prohibited field NotResource");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}"), TRU,
               "Missing required field Principal.");
    fx_refused(DOC12("{\"Effect\":\"Deny\",\"NotPrincipal\":\"*\",\"Action\":\"sts:AssumeRole\"}"), TRU,
               "Has prohibited field NotPrincipal");
    const char *badact[] = {"s3:GetObject", "sts:GetCallerIdentity", "*", "sts:Get*"};
    for (size_t i = 0; i < sizeof(badact) / sizeof(badact[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 DOC12("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"%s\"}"), badact[i]);
        fx_refused(doc, TRU, "AssumeRole policy may only specify STS AssumeRole actions.");
    }
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT
                     ":user/*\"},\"Action\":\"sts:AssumeRole\"}"),
               TRU, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::" ACCT ":user/*\"");
    fx_refused(DOC12("{\"Effect\":\"Allow\",\"Principal\":{\"CanonicalUser\":\"" CANON "\"},"
                     "\"Action\":\"sts:AssumeRole\"}"),
               TRU, "Invalid principal in policy: \"CanonicalUser\":\"" CANON "\"");
}

static void test_why_buffer(void **state)
{
    (void)state;
    char why[8];
    assert_null(pail_policy_compile("{", 1, RES, NULL, why, sizeof(why)));
    assert_string_equal(why, "This po");
    assert_null(pail_policy_compile("{", 1, RES, NULL, NULL, 0));
    /* Not NUL-terminated input: only len bytes are read. */
    const char doc[] = "{\"Statement\":" BP() "}garbage";
    char why2[128];
    struct pail_policy *p =
        pail_policy_compile(doc, strlen(doc) - strlen("garbage"), RES, NULL, why2, sizeof(why2));
    assert_non_null(p);
    assert_string_equal(why2, "");
    pail_policy_free(p);
    pail_policy_free(NULL);
}

static void test_statement_accessors(void **state)
{
    (void)state;
    struct pail_policy *p =
        fx_compile(DOC12(BP(",\"Sid\":\"First\"") "," BP() "," BP(",\"Sid\":\"\"")), RES);
    assert_int_equal(pail_policy_statement_count(p), 3);
    assert_string_equal(pail_policy_statement_sid(p, 0), "First");
    assert_null(pail_policy_statement_sid(p, 1));
    assert_string_equal(pail_policy_statement_sid(p, 2), "");
    assert_null(pail_policy_statement_sid(p, 3));
    assert_false(pail_policy_statement_denies(p, 0));
    assert_false(pail_policy_statement_denies(p, 3));
    pail_policy_free(p);
    p = fx_compile(DOC12(BP() ",{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                         "\"Resource\":\"arn:aws:s3:::b/*\"}"), RES);
    assert_false(pail_policy_statement_denies(p, 0));
    assert_true(pail_policy_statement_denies(p, 1));
    pail_policy_free(p);
    p = fx_compile("{\"Statement\":" IP(",\"Sid\":\"One\"") "}", IDN);
    assert_int_equal(pail_policy_statement_count(p), 1);
    assert_string_equal(pail_policy_statement_sid(p, 0), "One");
    pail_policy_free(p);
}

static void test_size_nows(void **state)
{
    (void)state;
    const char *a = "{ \"a\" : \"b c\" }";
    assert_int_equal(pail_policy_size_nows(a, strlen(a)), strlen("{\"a\":\"b c\"}"));
    const char *b = "{\n\t\"k\\\"ey\" :\r\n \"v \\\\\" , \"x\":[ 1 , 2 ]\n}";
    assert_int_equal(pail_policy_size_nows(b, strlen(b)),
                     strlen("{\"k\\\"ey\":\"v \\\\\",\"x\":[1,2]}"));
    const char *c = "\"  \\\"  \"  ";
    assert_int_equal(pail_policy_size_nows(c, strlen(c)), 8);
    assert_int_equal(pail_policy_size_nows("", 0), 0);
    assert_int_equal(pail_policy_size_nows(" \t\r\n", 4), 0);
}

/* Every truncation and many one-byte changes of a rich document: each is
 * compiled or refused with a message, never crashes or leaks (ASan), and
 * whatever compiles evaluates. */
static void test_mutations(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"Version\":\"2012-10-17\",\"Id\":\"x\",\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\","
        "\"Principal\":{\"AWS\":[\"" ACCT "\",\"arn:aws:sts::" ACCT ":assumed-role/R/s\"],"
        "\"CanonicalUser\":\"" CANON "\"},\"Action\":[\"s3:Get*\",\"s3:?ut*\"],"
        "\"Resource\":[\"arn:aws:s3:::b/${aws:username, 'x'}/*\",\"arn:aws:s3:::b\"],"
        "\"Condition\":{\"ForAnyValue:StringLikeIfExists\":{\"s3:prefix\":[\"a${*}\",1,true]},"
        "\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"2001:db8::/32\"]},"
        "\"DateLessThan\":{\"aws:CurrentTime\":\"2027-01-01T00:00:00.5+01:00\"},"
        "\"NumericLessThan\":{\"s3:max-keys\":1e2},\"BinaryEquals\":{\"s3:b\":\"QUJD\"},"
        "\"Null\":{\"s3:x\":\"true\"},\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:*:*:*:x\"}}},"
        "{\"Effect\":\"Deny\",\"NotPrincipal\":\"*\",\"NotAction\":\"s3:Delete*\",\"NotResource\":\"*\"}]}";
    static const char repl[] = {'"', '{', '}', '[', ']', ':', ',', '*', '$', '\\', 'x', '/', ' ', '0'};
    char buf[sizeof(doc)];
    struct pail_cond_entry ctx[] = {KV("s3:prefix", "a*"), KV("aws:SourceIp", "10.1.1.1"),
                                    KV("aws:CurrentTime", "2026-12-01"), KV("s3:max-keys", "5"),
                                    KV("s3:b", "QUJD"), KV("aws:SourceArn", "arn:aws:s3:::x")};
    size_t compiled = 0, kinds = 3;
    for (size_t len = 0; len + 1 < sizeof(doc); len++)
        for (size_t k = 0; k < kinds; k++) {
            struct pail_policy *p = pail_policy_compile(doc, len, (enum pail_policy_kind)k, NULL,
                                                        buf, sizeof(buf));
            assert_null(p); /* every proper prefix is incomplete JSON */
            assert_true(buf[0] != 0);
        }
    for (size_t i = 0; i + 1 < sizeof(doc); i += 3)
        for (size_t r = 0; r < sizeof(repl); r++) {
            memcpy(buf, doc, sizeof(doc));
            buf[i] = repl[r];
            char why[256] = "";
            struct pail_policy *p =
                pail_policy_compile(buf, strlen(buf), RES, NULL, why, sizeof(why));
            if (!p) {
                assert_true(why[0] != 0);
                continue;
            }
            compiled++;
            struct pail_eval_trace t;
            struct pail_eval_req req = {&fx_session, "s3:GetObject", "arn:aws:s3:::b/x/k", ctx,
                                        NCTX(ctx)};
            (void)pail_policy_eval(p, &req, &t);
            (void)pail_policy_is_public(p);
            pail_policy_free(p);
        }
    struct pail_policy *p = fx_compile(doc, RES);
    struct pail_eval_req req = {&fx_session, "s3:GetObject", "arn:aws:s3:::b/x/k", ctx, NCTX(ctx)};
    assert_int_equal(pail_policy_eval(p, &req, NULL), ALLOW);
    pail_policy_free(p);
    assert_true(compiled > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_document_faults),  cmocka_unit_test(test_s3_statement_faults),
        cmocka_unit_test(test_s3_principal_faults), cmocka_unit_test(test_s3_condition_faults),
        cmocka_unit_test(test_s3_accepts),          cmocka_unit_test(test_bucket_hook),
        cmocka_unit_test(test_principal_hook),      cmocka_unit_test(test_iam_faults),
        cmocka_unit_test(test_iam_accepts),         cmocka_unit_test(test_trust),
        cmocka_unit_test(test_why_buffer),          cmocka_unit_test(test_statement_accessors),
        cmocka_unit_test(test_size_nows),           cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
