/* fuzz/policy.c — the JSON documents pail parses: IAM policies
 * (iam/policy_parse.c) of each kind — identity, bucket (resource, with a
 * bucket to confine Resources to) and role trust — compiled and then
 * evaluated against a few fixed requests; the stored ACL form
 * (iam/acl_json.c) read back and rewritten; and the POST Object policy
 * (auth/post_policy.c), given to it base64-encoded as a form carries it.
 * Input: byte 0 picks the document type (% 5), the rest is the document. */
#include "fuzz.h"

#include "auth/post_policy.h"
#include "iam/acl.h"
#include "iam/policy.h"
#include "util/encode.h"

static const struct pail_principal user = {
    .type = PAIL_PT_USER, .account = "111122223333",
    .arn = "arn:aws:iam::111122223333:user/division/analyst",
    .canonical_id = PAIL_FIXED_CANONICAL_ID, .username = "analyst",
    .userid = "AIDAJQABLZS4A3QDU576Q"};

static void evaluate(const struct pail_policy *p)
{
    static const char *const ip[] = {"192.0.2.7"};
    static const char *const tls[] = {"false"};
    static const char *const now[] = {"2026-12-01T00:00:00Z"};
    static const char *const prefix[] = {"home/analyst/", "home/"};
    static const char *const tag[] = {"finance"};
    static const struct pail_cond_entry ctx[] = {
        {"aws:SourceIp", ip, 1}, {"aws:SecureTransport", tls, 1},
        {"aws:CurrentTime", now, 1}, {"s3:prefix", prefix, 2},
        {"s3:ExistingObjectTag/team", tag, 1},
    };
    static const struct {
        const char *action, *resource;
    } asks[] = {
        {"s3:GetObject", "arn:aws:s3:::gid-requests/2019/gid_requests_2019_01_01.csv"},
        {"s3:ListBucket", "arn:aws:s3:::gid-requests"},
        {"iam:CreateUser", "arn:aws:iam::111122223333:user/analyst"},
        {"sts:AssumeRole", NULL},
    };
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++)
        for (int anon = 0; anon < 2; anon++) {
            struct pail_eval_req q = {.principal = anon ? NULL : &user,
                                      .action = asks[i].action, .resource = asks[i].resource,
                                      .ctx = ctx, .nctx = sizeof ctx / sizeof ctx[0]};
            struct pail_eval_trace tr;
            (void)pail_policy_eval(p, &q, &tr);
            if (tr.nmatched > PAIL_EVAL_MAX_MATCHED || tr.nmissing > PAIL_EVAL_MAX_MISSING)
                abort();
            (void)pail_policy_eval(p, &q, NULL);
        }
    (void)pail_policy_is_public(p);
    size_t n = pail_policy_statement_count(p);
    for (size_t i = 0; i <= n; i++) {
        (void)pail_policy_statement_sid(p, i);
        (void)pail_policy_statement_denies(p, i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned kind = data[0] % 5;
    size_t len = size - 1;
    char *doc = malloc(len + 1);
    memcpy(doc, data + 1, len);
    doc[len] = 0;
    if (kind < 3) {
        static const enum pail_policy_kind kinds[] = {PAIL_POLICY_IDENTITY,
                                                      PAIL_POLICY_RESOURCE, PAIL_POLICY_TRUST};
        struct pail_policy_opts opts = {.bucket = "gid-requests"};
        char why[256];
        /* Not NUL-terminated for the parser: it is given a length. */
        char *exact = malloc(len ? len : 1);
        memcpy(exact, doc, len);
        struct pail_policy *p = pail_policy_compile(exact, len, kinds[kind],
                                                    kind == 1 ? &opts : NULL, why, sizeof why);
        if (p)
            evaluate(p);
        else if (!memchr(why, 0, sizeof why))
            abort();
        pail_policy_free(p);
        (void)pail_policy_size_nows(exact, len);
        free(exact);
    } else if (kind == 3) {
        struct pail_arena *a = pail_arena_new();
        struct pail_acl acl;
        if (pail_acl_from_json(doc, a, &acl) == PAIL_OK) {
            const char *again = pail_acl_to_json(&acl, a);
            struct pail_acl back;
            if (again && (pail_acl_from_json(again, a, &back) != PAIL_OK || back.n != acl.n))
                abort();
            (void)pail_acl_is_public(&acl);
            (void)pail_acl_granted(&acl, PAIL_FIXED_CANONICAL_ID, true, false);
        }
        pail_arena_free(a);
    } else {
        struct pail_arena *a = pail_arena_new();
        char *b64 = malloc(4 * ((len + 2) / 3) + 1);
        pail_base64((const unsigned char *)doc, len, b64);
        struct pail_post_policy *pp;
        const char *why;
        if (pail_post_policy_parse(a, b64, &pp, &why) == PAIL_OK) {
            static const struct pail_post_field fields[] = {
                {"key", "uploads/${filename}", 19}, {"acl", "public-read", 11},
                {"content-type", "image/png", 9}, {"x-amz-meta-tag", "", 0},
                {"success_action_status", "201", 3}, {"bucket", "gid-requests", 12},
            };
            (void)pail_post_policy_check(pp, fields, sizeof fields / sizeof fields[0],
                                         "gid-requests", 1764547200000, &why);
            (void)pail_post_policy_check_length(pp, 1024, &why);
            uint64_t lo, hi;
            (void)pail_post_policy_length_range(pp, &lo, &hi);
        }
        free(b64);
        pail_arena_free(a);
    }
    free(doc);
    return 0;
}
