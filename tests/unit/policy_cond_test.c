/* tests/unit/policy_cond_test.c — iam/policy_cond.c: every condition
 * operator of AWS's reference, ...IfExists, ForAnyValue:/ForAllValues:,
 * Null, the AND/OR rules, absent keys (false, negated operators true;
 * recorded as missing), policy
 * variables in values, key case rules, values that do not parse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "policy_fixture.h"

/* One Allow statement of an identity policy carrying cond (a JSON object),
 * evaluated for alice (or pr) with ctx; true when it applies. */
static bool holds_as(const char *version, const struct pail_principal *pr, const char *cond,
                     const struct pail_cond_entry *ctx, size_t n, struct pail_eval_trace *t)
{
    char doc[4096];
    snprintf(doc, sizeof(doc),
             "{%s\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
             "\"Resource\":\"*\",\"Condition\":%s}}",
             version, cond);
    struct pail_policy *p = fx_compile(doc, PAIL_POLICY_IDENTITY);
    enum pail_effect e = fx_eval_ctx(p, pr, "s3:GetObject", "arn:aws:s3:::b/k", ctx, n, t);
    /* trace->missing points into the policy: keep copies past its end. */
    static char names[PAIL_EVAL_MAX_MISSING][128];
    for (size_t i = 0; t && i < t->nmissing; i++) {
        snprintf(names[i], sizeof(names[i]), "%s", t->missing[i]);
        t->missing[i] = names[i];
    }
    pail_policy_free(p);
    return e == ALLOW;
}

static void expect(const char *cond, const struct pail_cond_entry *ctx, size_t n, bool want,
                   int line)
{
    if (holds_as("\"Version\":\"2012-10-17\",", &fx_alice, cond, ctx, n, NULL) != want)
        fail_msg("line %d: %s should be %s", line, cond, want ? "true" : "false");
}

#define CTX(...) ((const struct pail_cond_entry[]){__VA_ARGS__})
#define NC(...) (sizeof(CTX(__VA_ARGS__)) / sizeof(struct pail_cond_entry))
#define YES(cond, ...) expect(cond, CTX(__VA_ARGS__), NC(__VA_ARGS__), true, __LINE__)
#define NO(cond, ...) expect(cond, CTX(__VA_ARGS__), NC(__VA_ARGS__), false, __LINE__)
#define YES0(cond) expect(cond, NULL, 0, true, __LINE__)
#define NO0(cond) expect(cond, NULL, 0, false, __LINE__)

static void test_string_equals(void **state)
{
    (void)state;
    const char *c = "{\"StringEquals\":{\"s3:prefix\":\"home/\"}}";
    YES(c, KV("s3:prefix", "home/"));
    NO(c, KV("s3:prefix", "Home/"));
    NO(c, KV("s3:prefix", "home/x"));
    NO0(c);
    YES("{\"StringEquals\":{\"s3:prefix\":[\"a\",\"b\"]}}", KV("s3:prefix", "b"));
    /* Keys under one operator are ANDed. */
    const char *two = "{\"StringEquals\":{\"s3:prefix\":\"a\",\"s3:delimiter\":\"/\"}}";
    YES(two, KV("s3:prefix", "a"), KV("s3:delimiter", "/"));
    NO(two, KV("s3:prefix", "a"));
    /* '*' is no wildcard for StringEquals. */
    NO("{\"StringEquals\":{\"s3:prefix\":\"a*\"}}", KV("s3:prefix", "abc"));
    YES("{\"StringEquals\":{\"s3:prefix\":\"a*\"}}", KV("s3:prefix", "a*"));
    /* Keys compare case-insensitively, both in the policy and in ctx. */
    YES("{\"StringEquals\":{\"S3:Prefix\":\"a\"}}", KV("s3:PREFIX", "a"));
    YES("{\"StringEquals\":{\"s3:prefix\":\"\"}}", KV("s3:prefix", ""));
}

static void test_string_not_equals(void **state)
{
    (void)state;
    const char *c = "{\"StringNotEquals\":{\"s3:x-amz-acl\":[\"private\",\"bucket-owner-read\"]}}";
    YES(c, KV("s3:x-amz-acl", "public-read"));
    NO(c, KV("s3:x-amz-acl", "private"));
    NO(c, KV("s3:x-amz-acl", "bucket-owner-read"));
    /* Absent: no value matches, so a negated operator holds (IAM User Guide,
     * "Condition operators": "...and the right key is not present, the
     * condition is true"). */
    YES0(c);
    YES(c, KEMPTY("s3:x-amz-acl"));
}

static void test_string_ignore_case(void **state)
{
    (void)state;
    YES("{\"StringEqualsIgnoreCase\":{\"s3:prefix\":\"Home/\"}}", KV("s3:prefix", "HOME/"));
    NO("{\"StringEqualsIgnoreCase\":{\"s3:prefix\":\"Home/\"}}", KV("s3:prefix", "HOME/x"));
    const char *n = "{\"StringNotEqualsIgnoreCase\":{\"s3:prefix\":[\"A\",\"B\"]}}";
    NO(n, KV("s3:prefix", "a"));
    YES(n, KV("s3:prefix", "c"));
    YES0(n);
}

static void test_string_like(void **state)
{
    (void)state;
    const char *c = "{\"StringLike\":{\"s3:prefix\":\"home/*\"}}";
    YES(c, KV("s3:prefix", "home/alice/x"));
    YES(c, KV("s3:prefix", "home/"));
    NO(c, KV("s3:prefix", "home"));
    NO(c, KV("s3:prefix", "Home/a"));
    YES("{\"StringLike\":{\"s3:prefix\":\"file?.txt\"}}", KV("s3:prefix", "file1.txt"));
    NO("{\"StringLike\":{\"s3:prefix\":\"file?.txt\"}}", KV("s3:prefix", "file12.txt"));
    YES("{\"StringLike\":{\"s3:prefix\":\"*\"}}", KV("s3:prefix", ""));
    YES("{\"StringLike\":{\"s3:prefix\":\"a*b*c\"}}", KV("s3:prefix", "aXXbYYbZc"));
    NO("{\"StringLike\":{\"s3:prefix\":\"a*b*c\"}}", KV("s3:prefix", "aXXbYYbZ"));
    const char *n = "{\"StringNotLike\":{\"s3:prefix\":[\"*.exe\",\"*.bat\"]}}";
    YES(n, KV("s3:prefix", "x.txt"));
    NO(n, KV("s3:prefix", "a.exe"));
    YES0(n);
    /* ${*} ${?} ${$} are the literal characters. */
    const char *esc = "{\"StringLike\":{\"s3:prefix\":\"a${*}${?}${$}\"}}";
    YES(esc, KV("s3:prefix", "a*?$"));
    NO(esc, KV("s3:prefix", "abc$"));
    /* Unicode: bytes, with wildcards only from the policy. */
    YES("{\"StringLike\":{\"s3:prefix\":\"r\xc3\xa9pertoire/*\"}}",
        KV("s3:prefix", "r\xc3\xa9pertoire/\xc3\xa9t\xc3\xa9"));
    YES("{\"StringLike\":{\"s3:prefix\":\"??\"}}", KV("s3:prefix", "\xc3\xa9"));
    NO("{\"StringLike\":{\"s3:prefix\":\"?\"}}", KV("s3:prefix", "\xc3\xa9"));
    /* A context value holding wildcards is matched literally. */
    NO("{\"StringLike\":{\"s3:prefix\":\"abc\"}}", KV("s3:prefix", "a*"));
}

static void test_numeric(void **state)
{
    (void)state;
    YES("{\"NumericLessThan\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "5"));
    NO("{\"NumericLessThan\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "10"));
    NO("{\"NumericLessThan\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "abc"));
    YES("{\"NumericLessThanEquals\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "10"));
    NO("{\"NumericLessThanEquals\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "11"));
    YES("{\"NumericGreaterThan\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "11"));
    NO("{\"NumericGreaterThan\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "10"));
    YES("{\"NumericGreaterThanEquals\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "10"));
    NO("{\"NumericGreaterThanEquals\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "9"));
    YES("{\"NumericEquals\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "10.0"));
    NO("{\"NumericEquals\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "11"));
    const char *ne = "{\"NumericNotEquals\":{\"s3:max-keys\":[\"10\",\"20\"]}}";
    YES(ne, KV("s3:max-keys", "15"));
    NO(ne, KV("s3:max-keys", "20"));
    YES0(ne);
    /* JSON numbers are their text; decimals and signs. */
    YES("{\"NumericLessThan\":{\"s3:max-keys\":10}}", KV("s3:max-keys", "9"));
    YES("{\"NumericLessThan\":{\"s3:max-keys\":\"-1.5\"}}", KV("s3:max-keys", "-2"));
    YES("{\"NumericEquals\":{\"s3:max-keys\":2.5}}", KV("s3:max-keys", "2.50"));
    /* A JSON real is the shortest text that reads back as it. */
    YES("{\"StringEquals\":{\"s3:max-keys\":0.1}}", KV("s3:max-keys", "0.1"));
    YES("{\"StringEquals\":{\"s3:max-keys\":[7,true,1.5e300]}}", KV("s3:max-keys", "1.5e300"));
    YES("{\"NumericEquals\":{\"s3:max-keys\":\"1e3\"}}", KV("s3:max-keys", "1000"));
    /* Integers compare exactly, beyond a double's 53 bits. */
    NO("{\"NumericEquals\":{\"s3:max-keys\":\"9007199254740993\"}}",
       KV("s3:max-keys", "9007199254740992"));
    YES("{\"NumericEquals\":{\"s3:max-keys\":\"9007199254740993\"}}",
        KV("s3:max-keys", "9007199254740993"));
}

static void test_date(void **state)
{
    (void)state;
    const char *lt = "{\"DateLessThan\":{\"aws:CurrentTime\":\"2026-12-01T12:00:00Z\"}}";
    YES(lt, KV("aws:CurrentTime", "2026-12-01T11:59:59Z"));
    NO(lt, KV("aws:CurrentTime", "2026-12-01T12:00:00Z"));
    NO(lt, KV("aws:CurrentTime", "not a date"));
    NO0(lt);
    YES("{\"DateLessThanEquals\":{\"aws:CurrentTime\":\"2026-12-01T12:00:00Z\"}}",
        KV("aws:CurrentTime", "2026-12-01T12:00:00Z"));
    const char *gt = "{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2026-12-01\"}}";
    YES(gt, KV("aws:CurrentTime", "2026-12-01T00:00:01Z"));
    NO(gt, KV("aws:CurrentTime", "2026-11-30T23:59:59Z"));
    YES("{\"DateGreaterThanEquals\":{\"aws:CurrentTime\":\"2026-12-01\"}}",
        KV("aws:CurrentTime", "2026-12-01T00:00:00Z"));
    /* Offsets, fractions, no zone (UTC), minutes only. */
    YES("{\"DateEquals\":{\"aws:CurrentTime\":\"2026-12-01T13:00:00+01:00\"}}",
        KV("aws:CurrentTime", "2026-12-01T12:00:00Z"));
    YES("{\"DateEquals\":{\"aws:CurrentTime\":\"2026-12-01T17:30:00+05:30\"}}",
        KV("aws:CurrentTime", "2026-12-01T12:00:00Z"));
    YES("{\"DateEquals\":{\"aws:CurrentTime\":\"2026-12-01T07:00:00-0500\"}}",
        KV("aws:CurrentTime", "2026-12-01T12:00:00"));
    YES("{\"DateEquals\":{\"aws:CurrentTime\":\"2026-12-01T12:00Z\"}}",
        KV("aws:CurrentTime", "2026-12-01T12:00:00.000Z"));
    YES("{\"DateLessThan\":{\"aws:CurrentTime\":\"2026-12-01T12:00:00.500Z\"}}",
        KV("aws:CurrentTime", "2026-12-01T12:00:00.250Z"));
    NO("{\"DateLessThan\":{\"aws:CurrentTime\":\"2026-12-01T12:00:00.500Z\"}}",
       KV("aws:CurrentTime", "2026-12-01T12:00:00.5Z"));
    /* Epoch seconds, against either form. */
    YES("{\"DateEquals\":{\"aws:EpochTime\":\"2026-12-01T12:00:00Z\"}}",
        KV("aws:EpochTime", "1796126400"));
    YES("{\"DateGreaterThan\":{\"aws:EpochTime\":1796126399}}", KV("aws:EpochTime", "1796126400"));
    const char *ne = "{\"DateNotEquals\":{\"aws:CurrentTime\":\"2026-12-01\"}}";
    YES(ne, KV("aws:CurrentTime", "2026-12-02"));
    NO(ne, KV("aws:CurrentTime", "2026-12-01T00:00:00Z"));
    /* Impossible dates do not parse. */
    NO("{\"DateLessThan\":{\"aws:CurrentTime\":\"2030-01-01\"}}",
       KV("aws:CurrentTime", "2026-02-30T00:00:00Z"));
}

static void test_bool(void **state)
{
    (void)state;
    const char *c = "{\"Bool\":{\"aws:SecureTransport\":\"true\"}}";
    YES(c, KV("aws:SecureTransport", "true"));
    YES(c, KV("aws:SecureTransport", "TRUE"));
    NO(c, KV("aws:SecureTransport", "false"));
    NO(c, KV("aws:SecureTransport", "yes"));
    NO0(c);
    YES("{\"Bool\":{\"aws:SecureTransport\":false}}", KV("aws:SecureTransport", "false"));
    YES("{\"Bool\":{\"aws:SecureTransport\":[true]}}", KV("aws:SecureTransport", "true"));
    YES0("{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"true\"}}");
    NO("{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"true\"}}",
       KV("aws:MultiFactorAuthPresent", "false"));
}

static void test_binary(void **state)
{
    (void)state;
    const char *c = "{\"BinaryEquals\":{\"s3:binkey\":\"QmluYXJ5VmFsdWU=\"}}";
    YES(c, KV("s3:binkey", "QmluYXJ5VmFsdWU="));
    NO(c, KV("s3:binkey", "QmluYXJ5"));
    NO(c, KV("s3:binkey", "not base64!"));
    NO0(c);
    YES0("{\"BinaryEqualsIfExists\":{\"s3:binkey\":\"QmluYXJ5VmFsdWU=\"}}");
}

static void test_ip(void **state)
{
    (void)state;
    const char *c = "{\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}";
    YES(c, KV("aws:SourceIp", "192.0.2.77"));
    NO(c, KV("aws:SourceIp", "192.0.3.1"));
    NO(c, KV("aws:SourceIp", "garbage"));
    NO(c, KV("aws:SourceIp", "2001:db8::1"));
    NO0(c);
    YES(c, KV("aws:SourceIp", "::ffff:192.0.2.5")); /* IPv4-mapped */
    YES("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.5\"}}", KV("aws:SourceIp", "203.0.113.5"));
    NO("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.5\"}}", KV("aws:SourceIp", "203.0.113.6"));
    YES("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/25\"}}", KV("aws:SourceIp", "203.0.113.127"));
    NO("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/25\"}}", KV("aws:SourceIp", "203.0.113.128"));
    const char *v6 = "{\"IpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"2001:db8::/32\"]}}";
    YES(v6, KV("aws:SourceIp", "2001:db8:1::5"));
    YES(v6, KV("aws:SourceIp", "192.0.2.1"));
    NO(v6, KV("aws:SourceIp", "2001:db9::1"));
    YES("{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::1\"}}", KV("aws:SourceIp", "2001:DB8::1"));
    YES("{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}", KV("aws:SourceIp", "8.8.8.8"));
    const char *n = "{\"NotIpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}";
    YES(n, KV("aws:SourceIp", "198.51.100.1"));
    NO(n, KV("aws:SourceIp", "192.0.2.9"));
    YES0(n);
}

static void test_arn(void **state)
{
    (void)state;
    const char *c = "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:123456789012:topic-*\"}}";
    YES(c, KV("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic-a"));
    NO(c, KV("aws:SourceArn", "arn:aws:sns:us-east-1:999999999999:topic-a"));
    NO(c, KV("aws:SourceArn", "not-an-arn"));
    /* A wildcard of one field does not cross ':'. */
    NO("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:topic\"}}",
       KV("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic"));
    YES("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s3:*:*:b\"}}", KV("aws:SourceArn", "arn:aws:s3:::b"));
    /* The resource part may hold ':' and its '*' crosses it. */
    YES("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:logs:*:*:log-group:*\"}}",
        KV("aws:SourceArn", "arn:aws:logs:eu-west-1:123456789012:log-group:g:log-stream:s"));
    const char *eq = "{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:iam::" ACCT ":user/alice\"}}";
    YES(eq, KV("aws:SourceArn", "arn:aws:iam::" ACCT ":user/alice"));
    NO(eq, KV("aws:SourceArn", "arn:aws:iam::" ACCT ":user/Alice"));
    const char *nl = "{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:*:ok-*\"}}";
    YES(nl, KV("aws:SourceArn", "arn:aws:sns:r:1:bad"));
    NO(nl, KV("aws:SourceArn", "arn:aws:sns:r:1:ok-1"));
    YES0(nl);
    YES("{\"ArnNotEquals\":{\"aws:SourceArn\":\"arn:aws:sns:r:1:t\"}}",
        KV("aws:SourceArn", "arn:aws:sns:r:1:u"));
    /* aws:PrincipalArn comes from the principal itself. */
    YES0("{\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::" ACCT ":user/*\"}}");
    NO0("{\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::" OTHER ":user/*\"}}");
}

static void test_null(void **state)
{
    (void)state;
    const char *t = "{\"Null\":{\"aws:TokenIssueTime\":\"true\"}}";
    YES0(t);
    NO(t, KV("aws:TokenIssueTime", "2026-12-01T00:00:00Z"));
    YES(t, KEMPTY("aws:TokenIssueTime"));
    const char *f = "{\"Null\":{\"aws:TokenIssueTime\":false}}";
    YES(f, KV("aws:TokenIssueTime", "2026-12-01T00:00:00Z"));
    NO0(f);
    /* Null never reports its key missing: absence is what it tests. */
    struct pail_eval_trace tr;
    assert_true(holds_as("", &fx_alice, t, NULL, 0, &tr));
    assert_int_equal(tr.nmissing, 0);
}

static void test_if_exists(void **state)
{
    (void)state;
    const char *c = "{\"StringEqualsIfExists\":{\"s3:prefix\":\"a\"}}";
    YES0(c);
    YES(c, KV("s3:prefix", "a"));
    NO(c, KV("s3:prefix", "b"));
    YES0("{\"StringNotEqualsIfExists\":{\"s3:prefix\":\"a\"}}");
    NO("{\"StringNotEqualsIfExists\":{\"s3:prefix\":\"a\"}}", KV("s3:prefix", "a"));
    YES0("{\"StringLikeIfExists\":{\"s3:prefix\":\"a*\"}}");
    YES0("{\"NumericLessThanIfExists\":{\"s3:max-keys\":\"10\"}}");
    NO("{\"NumericLessThanIfExists\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "11"));
    YES0("{\"DateLessThanIfExists\":{\"aws:CurrentTime\":\"2026-01-01\"}}");
    YES0("{\"IpAddressIfExists\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}");
    YES0("{\"NotIpAddressIfExists\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}");
    YES0("{\"ArnLikeIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::x\"}}");
    YES0("{\"ArnNotEqualsIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::x\"}}");
    YES0("{\"NumericNotEqualsIfExists\":{\"s3:max-keys\":\"10\"}}");
    YES0("{\"DateNotEqualsIfExists\":{\"aws:CurrentTime\":\"2026-01-01\"}}");
    YES0("{\"StringEqualsIgnoreCaseIfExists\":{\"s3:prefix\":\"a\"}}");
    YES0("{\"StringNotEqualsIgnoreCaseIfExists\":{\"s3:prefix\":\"a\"}}");
    YES0("{\"StringNotLikeIfExists\":{\"s3:prefix\":\"a\"}}");
    YES0("{\"NumericEqualsIfExists\":{\"s3:max-keys\":\"1\"}}");
    YES0("{\"NumericLessThanEqualsIfExists\":{\"s3:max-keys\":\"1\"}}");
    YES0("{\"NumericGreaterThanIfExists\":{\"s3:max-keys\":\"1\"}}");
    YES0("{\"NumericGreaterThanEqualsIfExists\":{\"s3:max-keys\":\"1\"}}");
    YES0("{\"DateEqualsIfExists\":{\"aws:CurrentTime\":\"2026-01-01\"}}");
    YES0("{\"DateLessThanEqualsIfExists\":{\"aws:CurrentTime\":\"2026-01-01\"}}");
    YES0("{\"DateGreaterThanIfExists\":{\"aws:CurrentTime\":\"2026-01-01\"}}");
    YES0("{\"DateGreaterThanEqualsIfExists\":{\"aws:CurrentTime\":\"2026-01-01\"}}");
    YES0("{\"ArnEqualsIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::x\"}}");
    YES0("{\"ArnNotLikeIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::x\"}}");
}

static void test_for_all_values(void **state)
{
    (void)state;
    const char *c = "{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]}}";
    YES(c, KV("aws:TagKeys", "env"));
    YES(c, KV("aws:TagKeys", "team", "env"));
    NO(c, KV("aws:TagKeys", "env", "cost"));
    YES(c, KEMPTY("aws:TagKeys")); /* empty set */
    YES0(c);                       /* absent */
    const char *ne = "{\"ForAllValues:StringNotEquals\":{\"aws:TagKeys\":\"a\"}}";
    YES(ne, KV("aws:TagKeys", "b", "c"));
    NO(ne, KV("aws:TagKeys", "a", "b"));
    YES("{\"ForAllValues:StringLike\":{\"aws:TagKeys\":\"env*\"}}",
        KV("aws:TagKeys", "env1", "env2"));
    NO("{\"ForAllValues:StringLike\":{\"aws:TagKeys\":\"env*\"}}", KV("aws:TagKeys", "env1", "x"));
    YES("{\"ForAllValues:NumericLessThan\":{\"s3:n\":\"10\"}}", KV("s3:n", "1", "9"));
    NO("{\"ForAllValues:NumericLessThan\":{\"s3:n\":\"10\"}}", KV("s3:n", "1", "10"));
}

static void test_for_any_value(void **state)
{
    (void)state;
    const char *c = "{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":\"env\"}}";
    YES(c, KV("aws:TagKeys", "x", "env"));
    NO(c, KV("aws:TagKeys", "x", "y"));
    NO(c, KEMPTY("aws:TagKeys"));
    NO0(c);
    YES("{\"ForAnyValue:StringEqualsIfExists\":{\"aws:TagKeys\":\"env\"}}", KEMPTY("x:y"));
    const char *ne = "{\"ForAnyValue:StringNotEquals\":{\"aws:TagKeys\":\"a\"}}";
    YES(ne, KV("aws:TagKeys", "a", "b"));
    NO(ne, KV("aws:TagKeys", "a"));
    NO0(ne); /* no value at all: none that differs */
    YES("{\"forallvalues:stringequals\":{\"aws:TagKeys\":\"a\"}}", KV("aws:TagKeys", "a"));
}

/* A multi-valued key under a plain operator: any value may match; a negated
 * one requires that none does. */
static void test_multivalued_plain(void **state)
{
    (void)state;
    YES("{\"StringEquals\":{\"aws:TagKeys\":\"a\"}}", KV("aws:TagKeys", "b", "a"));
    NO("{\"StringNotEquals\":{\"aws:TagKeys\":\"a\"}}", KV("aws:TagKeys", "b", "a"));
    YES("{\"StringNotEquals\":{\"aws:TagKeys\":\"a\"}}", KV("aws:TagKeys", "b", "c"));
}

static void test_operators_anded(void **state)
{
    (void)state;
    const char *c = "{\"StringEquals\":{\"s3:prefix\":\"a\"},"
                    "\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}";
    YES(c, KV("s3:prefix", "a"), KV("aws:SourceIp", "10.1.2.3"));
    NO(c, KV("s3:prefix", "a"), KV("aws:SourceIp", "11.1.2.3"));
    NO(c, KV("s3:prefix", "a"));
    YES0("{}");
    YES0("{\"StringEquals\":{}}");
}

static void test_missing_trace(void **state)
{
    (void)state;
    struct pail_eval_trace t;
    const char *c = "{\"StringEquals\":{\"s3:prefix\":\"a\"},"
                    "\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"},"
                    "\"StringLikeIfExists\":{\"s3:delimiter\":\"/\"}}";
    struct pail_cond_entry ctx[] = {KV("s3:Prefix", "a")};
    assert_false(holds_as("", &fx_alice, c, ctx, 1, &t));
    assert_int_equal(t.nmissing, 2);
    assert_string_equal(t.missing[0], "aws:SourceIp");
    assert_string_equal(t.missing[1], "s3:delimiter");
    assert_int_equal(t.nmatched, 0);
    /* Twice the same key (any case) is reported once. */
    assert_false(holds_as("", &fx_alice,
                          "{\"StringEquals\":{\"s3:x\":\"a\"},\"StringLike\":{\"S3:X\":\"a\"}}",
                          NULL, 0, &t));
    assert_int_equal(t.nmissing, 1);
}

static void test_variables_in_values(void **state)
{
    (void)state;
    const char *c = "{\"StringEquals\":{\"s3:prefix\":\"${aws:username}/\"}}";
    YES(c, KV("s3:prefix", "alice/"));
    NO(c, KV("s3:prefix", "bob/"));
    /* A ctx entry wins over the principal's value. */
    YES(c, KV("s3:prefix", "zed/"), KV("aws:username", "zed"));
    /* A substituted '*' is literal. */
    static const struct pail_principal star = {PAIL_PT_USER, ACCT, "arn:aws:iam::" ACCT ":user/a*",
                                               NULL, CANON, "a*", "AIDASTAR"};
    const char *like = "{\"StringLike\":{\"s3:prefix\":\"home/${aws:username}/*\"}}";
    struct pail_cond_entry abc[] = {KV("s3:prefix", "home/abc/x")};
    struct pail_cond_entry lit[] = {KV("s3:prefix", "home/a*/x")};
    assert_false(holds_as("\"Version\":\"2012-10-17\",", &star, like, abc, 1, NULL));
    assert_true(holds_as("\"Version\":\"2012-10-17\",", &star, like, lit, 1, NULL));
    /* Unresolvable: no match, and the key is reported. */
    struct pail_eval_trace t;
    struct pail_cond_entry guest[] = {KV("s3:prefix", "home/guest/x")};
    assert_false(holds_as("\"Version\":\"2012-10-17\",", &fx_anon, like, guest, 1, &t));
    assert_int_equal(t.nmissing, 1);
    assert_string_equal(t.missing[0], "aws:username");
    /* A default stands in. */
    const char *def = "{\"StringLike\":{\"s3:prefix\":\"home/${aws:username, 'guest'}/*\"}}";
    assert_true(holds_as("\"Version\":\"2012-10-17\",", &fx_anon, def, guest, 1, NULL));
    assert_false(holds_as("\"Version\":\"2012-10-17\",", &fx_alice, def, guest, 1, NULL));
    /* Case folding applies to substituted text too. */
    YES("{\"StringEqualsIgnoreCase\":{\"s3:prefix\":\"${aws:username}\"}}", KV("s3:prefix", "ALICE"));
    /* Any context key, and principal-derived keys. */
    YES("{\"StringEquals\":{\"s3:prefix\":\"${s3:delimiter}x\"}}", KV("s3:prefix", "/x"),
        KV("s3:delimiter", "/"));
    YES0("{\"StringEquals\":{\"aws:PrincipalType\":\"User\",\"aws:userid\":\"AIDAALICEEXAMPLE\","
         "\"aws:PrincipalAccount\":\"" ACCT "\"}}");
    /* Before 2012-10-17 a variable is plain text. */
    struct pail_cond_entry raw[] = {KV("s3:prefix", "${aws:username}/")};
    assert_true(holds_as("\"Version\":\"2008-10-17\",", &fx_alice, c, raw, 1, NULL));
    assert_true(holds_as("", &fx_alice, c, raw, 1, NULL));
    assert_false(holds_as("\"Version\":\"2012-10-17\",", &fx_alice, c, raw, 1, NULL));
}

static void test_key_case(void **state)
{
    (void)state;
    const char *c = "{\"StringEquals\":{\"s3:ExistingObjectTag/Team\":\"blue\"}}";
    YES(c, KV("S3:existingobjecttag/Team", "blue"));
    NO(c, KV("s3:ExistingObjectTag/team", "blue"));
    NO(c, KV("s3:ExistingObjectTag/Team", "Blue"));
}

/* Values that do not parse: an IAM policy keeps them, and their operator is
 * false (negated ones too); a bucket policy refuses them. */
static void test_unparsable_values(void **state)
{
    (void)state;
    NO("{\"NumericLessThan\":{\"s3:max-keys\":\"abc\"}}", KV("s3:max-keys", "1"));
    NO("{\"NumericNotEquals\":{\"s3:max-keys\":\"abc\"}}", KV("s3:max-keys", "1"));
    NO("{\"IpAddress\":{\"aws:SourceIp\":\"300.1.1.1\"}}", KV("aws:SourceIp", "1.1.1.1"));
    NO("{\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/33\"}}", KV("aws:SourceIp", "1.1.1.1"));
    NO("{\"DateLessThan\":{\"aws:CurrentTime\":\"tomorrow\"}}",
       KV("aws:CurrentTime", "2026-01-01"));
    NO("{\"Bool\":{\"aws:SecureTransport\":\"yes\"}}", KV("aws:SecureTransport", "true"));
    NO("{\"BinaryEquals\":{\"s3:b\":\"!!\"}}", KV("s3:b", "!!"));
    NO0("{\"Null\":{\"s3:b\":\"maybe\"}}");
    /* Only the bad operator is false: a statement without it applies. */
    YES("{\"NumericLessThan\":{\"s3:max-keys\":\"10\"}}", KV("s3:max-keys", "1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_equals),     cmocka_unit_test(test_string_not_equals),
        cmocka_unit_test(test_string_ignore_case), cmocka_unit_test(test_string_like),
        cmocka_unit_test(test_numeric),           cmocka_unit_test(test_date),
        cmocka_unit_test(test_bool),              cmocka_unit_test(test_binary),
        cmocka_unit_test(test_ip),                cmocka_unit_test(test_arn),
        cmocka_unit_test(test_null),              cmocka_unit_test(test_if_exists),
        cmocka_unit_test(test_for_all_values),    cmocka_unit_test(test_for_any_value),
        cmocka_unit_test(test_multivalued_plain), cmocka_unit_test(test_operators_anded),
        cmocka_unit_test(test_missing_trace),     cmocka_unit_test(test_variables_in_values),
        cmocka_unit_test(test_key_case),          cmocka_unit_test(test_unparsable_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
