/* tests/unit/acl_test.c — iam/acl: every canned ACL; the x-amz-grant-*
 * headers (lists, quoting, e-mail and group grantees, bad syntax, the
 * 100-grant limit); the <AccessControlPolicy> body (AWS's example with and
 * without the namespace, what boto3 sends, MalformedACLError and
 * InvalidArgument cases) and the document we write, byte for byte and
 * parsed back; the stored JSON; e-mail resolution; what an ACL grants to
 * whom; the permission behind each IAM action. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include "core/arena.h"
#include "core/buf.h"
#include "iam/acl.h"
#include "util/xml_out.h"

#include <stdio.h>
#include <string.h>

#define NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define XSI "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
#define OWNER "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
#define OTHER "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
#define THIRD "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int setup(void **state)
{
    *state = pail_arena_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    pail_arena_free(*state);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

/* What one grant should be: type, its grantee string (id, uri or email), perm. */
struct want {
    enum pail_grantee_type type;
    const char *who;
    unsigned perm;
};

static const char *who_of(const struct pail_grant *g)
{
    switch (g->type) {
    case PAIL_GRANTEE_CANONICAL: return g->id;
    case PAIL_GRANTEE_GROUP: return g->uri;
    case PAIL_GRANTEE_EMAIL: return g->email;
    }
    return NULL;
}

static void expect_grants(const struct pail_acl *acl, const struct want *w, size_t n)
{
    if (acl->n != n)
        fail_msg("got %zu grants, want %zu", acl->n, n);
    for (size_t i = 0; i < n; i++) {
        const struct pail_grant *g = &acl->grants[i];
        const char *who = who_of(g);
        if (g->type != w[i].type || g->perm != w[i].perm || !who || strcmp(who, w[i].who) != 0)
            fail_msg("grant %zu: got type %d %s perm %u, want type %d %s perm %u", i, g->type,
                     who ? who : "(null)", g->perm, w[i].type, w[i].who, w[i].perm);
    }
}

#define EXPECT(acl, ...)                                                                   \
    do {                                                                                   \
        const struct want w_[] = {__VA_ARGS__};                                            \
        expect_grants((acl), w_, sizeof(w_) / sizeof(w_[0]));                              \
    } while (0)

#define C(id, p) {PAIL_GRANTEE_CANONICAL, (id), PAIL_ACL_##p}
#define G(uri, p) {PAIL_GRANTEE_GROUP, (uri), PAIL_ACL_##p}
#define E(mail, p) {PAIL_GRANTEE_EMAIL, (mail), PAIL_ACL_##p}

/* got is want, grants in the same order (groups_first: as XML writes them,
 * group grants first). */
static void expect_same_order(const struct pail_acl *got, const struct pail_acl *want,
                              bool groups_first)
{
    assert_string_equal(got->owner_id, want->owner_id);
    assert_int_equal(got->n, want->n);
    size_t k = 0;
    for (int pass = groups_first ? 0 : 2; pass < (groups_first ? 2 : 3); pass++)
        for (size_t i = 0; i < want->n; i++) {
            if (pass < 2 && (want->grants[i].type == PAIL_GRANTEE_GROUP) != (pass == 0))
                continue;
            assert_int_equal(got->grants[k].type, want->grants[i].type);
            assert_int_equal(got->grants[k].perm, want->grants[i].perm);
            assert_string_equal(who_of(&got->grants[k]), who_of(&want->grants[i]));
            k++;
        }
}

#define expect_same(got, want) expect_same_order((got), (want), false)
#define expect_same_xml(got, want) expect_same_order((got), (want), true)

static enum pail_err headers(struct pail_arena *a, const char *r, const char *w, const char *ra,
                             const char *wa, const char *fc, struct pail_acl *out,
                             const char **why)
{
    const char *h[PAIL_ACL_HDR__COUNT] = {r, w, ra, wa, fc};
    bool present = false;
    enum pail_err e = pail_acl_from_headers(h, OWNER, "me", a, out, &present, why);
    if (e == PAIL_OK)
        assert_true(present);
    return e;
}

static enum pail_err xml(struct pail_arena *a, const char *doc, struct pail_acl *out,
                         const char **why)
{
    return pail_acl_parse_xml(doc, strlen(doc), a, out, why);
}

static const char *names(void *ctx, const char *id)
{
    int *calls = ctx;
    if (calls)
        ++*calls;
    if (strcmp(id, OWNER) == 0)
        return "root";
    if (strcmp(id, OTHER) == 0)
        return "other & co";
    return NULL;
}

/* The GetBucketAcl document for acl, in a buffer the caller frees. */
static void write_doc(struct pail_buf *b, const struct pail_acl *acl, void *ctx)
{
    struct pail_xml x;
    pail_buf_init(b, 1 << 20);
    pail_xml_begin(&x, b);
    pail_acl_write_xml(&x, acl, names, ctx);
    assert_err(pail_xml_end(&x), PAIL_OK);
}

/* ---- names -------------------------------------------------------------------- */

static void test_names(void **state)
{
    assert_string_equal(pail_acl_perm_name(PAIL_ACL_READ), "READ");
    assert_string_equal(pail_acl_perm_name(PAIL_ACL_WRITE_ACP), "WRITE_ACP");
    assert_string_equal(pail_acl_perm_name(PAIL_ACL_FULL_CONTROL), "FULL_CONTROL");
    assert_null(pail_acl_perm_name(3));
    assert_null(pail_acl_perm_name(0));
    assert_int_equal(pail_acl_perm_from_name("READ_ACP"), PAIL_ACL_READ_ACP);
    assert_int_equal(pail_acl_perm_from_name("FULL_CONTROL"), PAIL_ACL_FULL_CONTROL);
    assert_int_equal(pail_acl_perm_from_name("read"), 0);
    assert_int_equal(pail_acl_perm_from_name(NULL), 0);
    assert_true(pail_acl_known_group(PAIL_ACL_LOG_DELIVERY));
    assert_false(pail_acl_known_group("http://acs.amazonaws.com/groups/global/AllUsers/"));
    assert_false(pail_acl_known_group(NULL));
}

/* ---- canned -------------------------------------------------------------------- */

static void test_canned_each(void **state)
{
    struct pail_acl acl;
    assert_err(pail_acl_canned("private", OWNER, "me", NULL, NULL, *state, &acl), PAIL_OK);
    assert_string_equal(acl.owner_id, OWNER);
    assert_string_equal(acl.owner_name, "me");
    EXPECT(&acl, C(OWNER, FULL_CONTROL));
    assert_string_equal(acl.grants[0].display_name, "me");

    assert_err(pail_acl_canned("public-read", OWNER, "me", NULL, NULL, *state, &acl), PAIL_OK);
    EXPECT(&acl, C(OWNER, FULL_CONTROL), G(PAIL_ACL_ALL_USERS, READ));

    assert_err(pail_acl_canned("public-read-write", OWNER, "me", NULL, NULL, *state, &acl),
               PAIL_OK);
    EXPECT(&acl, C(OWNER, FULL_CONTROL), G(PAIL_ACL_ALL_USERS, READ),
           G(PAIL_ACL_ALL_USERS, WRITE));

    assert_err(pail_acl_canned("authenticated-read", OWNER, "me", NULL, NULL, *state, &acl),
               PAIL_OK);
    EXPECT(&acl, C(OWNER, FULL_CONTROL), G(PAIL_ACL_AUTH_USERS, READ));

    assert_err(pail_acl_canned("aws-exec-read", OWNER, "me", NULL, NULL, *state, &acl), PAIL_OK);
    EXPECT(&acl, C(OWNER, FULL_CONTROL), C(PAIL_ACL_EC2_ID, READ));
    assert_string_equal(acl.grants[1].display_name, "za-team");

    assert_err(pail_acl_canned("log-delivery-write", OWNER, "me", NULL, NULL, *state, &acl),
               PAIL_OK);
    EXPECT(&acl, C(OWNER, FULL_CONTROL), G(PAIL_ACL_LOG_DELIVERY, WRITE),
           G(PAIL_ACL_LOG_DELIVERY, READ_ACP));
}

static void test_canned_bucket_owner(void **state)
{
    struct pail_acl acl;
    /* An object written by another account into OWNER's bucket. */
    assert_err(pail_acl_canned("bucket-owner-read", OTHER, "writer", OWNER, "root", *state, &acl),
               PAIL_OK);
    assert_string_equal(acl.owner_id, OTHER);
    EXPECT(&acl, C(OTHER, FULL_CONTROL), C(OWNER, READ));
    assert_string_equal(acl.grants[1].display_name, "root");
    assert_err(pail_acl_canned("bucket-owner-full-control", OTHER, "writer", OWNER, "root",
                               *state, &acl),
               PAIL_OK);
    EXPECT(&acl, C(OTHER, FULL_CONTROL), C(OWNER, FULL_CONTROL));
    /* The bucket owner writing its own object, and a bucket: both are private. */
    assert_err(pail_acl_canned("bucket-owner-full-control", OWNER, "root", OWNER, "root", *state,
                               &acl),
               PAIL_OK);
    EXPECT(&acl, C(OWNER, FULL_CONTROL));
    assert_err(pail_acl_canned("bucket-owner-read", OWNER, "root", NULL, NULL, *state, &acl),
               PAIL_OK);
    EXPECT(&acl, C(OWNER, FULL_CONTROL));
}

static void test_canned_unknown(void **state)
{
    struct pail_acl acl;
    const char *bad[] = {"Private", "public_read", "", "private ", "bucket-owner", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_err(pail_acl_canned(bad[i], OWNER, "me", NULL, NULL, *state, &acl),
                   PAIL_E_InvalidArgument);
        assert_int_equal(acl.n, 0);
    }
    assert_err(pail_acl_canned("private", NULL, NULL, NULL, NULL, *state, &acl),
               PAIL_E_InvalidArgument);
}

/* ---- grant headers ---------------------------------------------------------------- */

static void test_headers_several(void **state)
{
    struct pail_acl acl;
    const char *why = "unset";
    assert_err(headers(*state,
                       "id=\"" OTHER "\", uri=\"" PAIL_ACL_ALL_USERS "\"",
                       NULL,
                       "  emailAddress = \"xyz@example.com\" ,id=\"" THIRD "\"  ",
                       NULL,
                       "id=\"" OWNER "\"", &acl, &why),
               PAIL_OK);
    assert_null(why);
    assert_string_equal(acl.owner_id, OWNER);
    assert_string_equal(acl.owner_name, "me");
    /* Header order, then left to right; no implicit grant to the owner. */
    EXPECT(&acl, C(OTHER, READ), G(PAIL_ACL_ALL_USERS, READ), E("xyz@example.com", READ_ACP),
           C(THIRD, READ_ACP), C(OWNER, FULL_CONTROL));
    assert_null(acl.grants[0].display_name);
}

static void test_headers_spellings(void **state)
{
    struct pail_acl acl;
    /* Unquoted values (aws s3 cp --grants), any case of the type, an
     * uppercase id (stored lowercase), tabs. */
    const char *upper = "ID=79A59DF900B949E55D96A1E698FBACEDFD6E09D98EACF8F8D5218E7CD47EF2BE";
    assert_err(headers(*state, NULL, upper, NULL, NULL, NULL, &acl, NULL), PAIL_OK);
    EXPECT(&acl, C(OTHER, WRITE));
    assert_err(headers(*state, NULL, NULL, NULL,
                       "uri=" PAIL_ACL_LOG_DELIVERY ",\temailaddress=a@b.c", NULL, &acl, NULL),
               PAIL_OK);
    EXPECT(&acl, G(PAIL_ACL_LOG_DELIVERY, WRITE_ACP), E("a@b.c", WRITE_ACP));
    /* Commas inside quotes belong to the value. */
    assert_err(headers(*state, "emailAddress=\"odd,name@example.com\"", NULL, NULL, NULL, NULL,
                       &acl, NULL),
               PAIL_OK);
    EXPECT(&acl, E("odd,name@example.com", READ));
}

static void test_headers_absent(void **state)
{
    struct pail_acl acl;
    const char *h[PAIL_ACL_HDR__COUNT] = {0};
    bool present = true;
    const char *why = "unset";
    assert_err(pail_acl_from_headers(h, OWNER, "me", *state, &acl, &present, &why), PAIL_OK);
    assert_false(present);
    assert_int_equal(acl.n, 0);
    assert_string_equal(acl.owner_id, OWNER);
    assert_null(why);
    /* Blank values count as absent, alone or next to a real one. */
    h[PAIL_ACL_HDR_READ] = "  ";
    assert_err(pail_acl_from_headers(h, OWNER, "me", *state, &acl, &present, &why), PAIL_OK);
    assert_false(present);
    h[PAIL_ACL_HDR_WRITE] = "id=" OTHER;
    assert_err(pail_acl_from_headers(h, OWNER, "me", *state, &acl, &present, &why), PAIL_OK);
    assert_true(present);
    EXPECT(&acl, C(OTHER, WRITE));
}

static void test_headers_errors(void **state)
{
    static const struct {
        const char *value, *why;
    } cases[] = {
        {"id", "Argument format not recognized"},
        {"id=", "Argument format not recognized"},
        {"id=\"\"", "Argument format not recognized"},
        {"=\"" OTHER "\"", "Argument format not recognized"},
        {"id=\"" OTHER, "Argument format not recognized"},
        {"id=\"" OTHER "\"x", "Argument format not recognized"},
        {"id=\"" OTHER "\" id=\"" THIRD "\"", "Argument format not recognized"},
        {"id=\"" OTHER "\",", "Argument format not recognized"},
        {"id=\"" OTHER "\",,id=\"" THIRD "\"", "Argument format not recognized"},
        {",id=\"" OTHER "\"", "Argument format not recognized"},
        {"user=\"" OTHER "\"", "Argument format not recognized"},
        {"canonicalId=\"" OTHER "\"", "Argument format not recognized"},
        {"id=a\"b", "Argument format not recognized"},
        {"fdjklasaj", "Argument format not recognized"},
        {"id=\"1234\"", "Invalid id"},
        {"id=\"" OTHER "0\"", "Invalid id"},
        {"id=\"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2bg\"", "Invalid id"},
        {"uri=\"http://acs.amazonaws.com/groups/global/Everyone\"", "Invalid group uri"},
        {"uri=\"HTTP://ACS.AMAZONAWS.COM/groups/global/AllUsers\"", "Invalid group uri"},
        {"id=\"" OTHER "\", uri=\"urn:nobody\"", "Invalid group uri"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pail_acl acl;
        const char *why = NULL;
        enum pail_err e = headers(*state, NULL, NULL, NULL, NULL, cases[i].value, &acl, &why);
        if (e != PAIL_E_InvalidArgument || !why || strcmp(why, cases[i].why) != 0)
            fail_msg("%s: got %s \"%s\", want InvalidArgument \"%s\"", cases[i].value,
                     pail_err_code(e), why ? why : "(null)", cases[i].why);
        assert_int_equal(acl.n, 0);
    }
}

/* n grants "id=...," in one header value (in the arena). */
static const char *many_ids(struct pail_arena *a, int n)
{
    struct pail_buf b;
    pail_buf_init(&b, 1 << 20);
    for (int i = 0; i < n; i++)
        pail_buf_printf(&b, "%sid=\"%064x\"", i ? ", " : "", i);
    const char *s = pail_arena_strdup(a, b.data);
    pail_buf_free(&b);
    return s;
}

static void test_headers_limit(void **state)
{
    struct pail_acl acl;
    const char *why = "unset";
    assert_err(headers(*state, many_ids(*state, 100), NULL, NULL, NULL, NULL, &acl, &why),
               PAIL_OK);
    assert_int_equal(acl.n, 100);
    assert_string_equal(acl.grants[99].id,
                        "0000000000000000000000000000000000000000000000000000000000000063");
    assert_err(headers(*state, many_ids(*state, 101), NULL, NULL, NULL, NULL, &acl, &why),
               PAIL_E_MalformedACLError);
    assert_null(why);
    assert_int_equal(acl.n, 0);
    /* The limit is on the whole ACL, across headers. */
    assert_err(headers(*state, many_ids(*state, 60), NULL, NULL, NULL, many_ids(*state, 40),
                       &acl, NULL),
               PAIL_OK);
    assert_int_equal(acl.n, 100);
    assert_int_equal(acl.grants[60].perm, PAIL_ACL_FULL_CONTROL);
    assert_err(headers(*state, many_ids(*state, 60), NULL, NULL, NULL, many_ids(*state, 41),
                       &acl, NULL),
               PAIL_E_MalformedACLError);
}

/* ---- XML in --------------------------------------------------------------------------- */

/* The example body of AWS's PutBucketAcl reference (its ids are placeholders
 * such as "852b113e...BucketOwnerCanonicalUserID", which S3 itself would
 * reject as "Invalid id": real ids here), including its xmlns="" children. */
#define AWS_EXAMPLE(root_attrs)                                                             \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                          \
    "<AccessControlPolicy" root_attrs ">\n"                                                 \
    "  <Owner>\n    <ID>" OWNER "</ID>\n    <DisplayName>OwnerDisplayName</DisplayName>\n"  \
    "  </Owner>\n  <AccessControlList>\n"                                                   \
    "    <Grant>\n      <Grantee " XSI " xsi:type=\"CanonicalUser\">\n"                     \
    "        <ID>" OWNER "</ID>\n        <DisplayName>OwnerDisplayName</DisplayName>\n"     \
    "      </Grantee>\n      <Permission>FULL_CONTROL</Permission>\n    </Grant>\n"         \
    "    <Grant>\n      <Grantee " XSI " xsi:type=\"Group\">\n"                             \
    "        <URI xmlns=\"\">http://acs.amazonaws.com/groups/global/AllUsers</URI>\n"       \
    "      </Grantee>\n      <Permission xmlns=\"\">READ</Permission>\n    </Grant>\n"      \
    "    <Grant>\n      <Grantee " XSI " xsi:type=\"AmazonCustomerByEmail\">\n"             \
    "        <EmailAddress xmlns=\"\">xyz@amazon.com</EmailAddress>\n"                      \
    "      </Grantee>\n      <Permission xmlns=\"\">WRITE_ACP</Permission>\n    </Grant>\n" \
    "    <Grant>\n      <Grantee " XSI " xsi:type=\"CanonicalUser\">\n"                     \
    "        <ID xmlns=\"\">" OTHER "</ID>\n"                                               \
    "      </Grantee>\n      <Permission xmlns=\"\">READ_ACP</Permission>\n    </Grant>\n"  \
    "  </AccessControlList>\n</AccessControlPolicy>\n"

static void test_xml_aws_example(void **state)
{
    const char *docs[] = {AWS_EXAMPLE(""), AWS_EXAMPLE(" xmlns=\"" NS "\"")};
    for (size_t i = 0; i < 2; i++) {
        struct pail_acl acl;
        const char *why = "unset";
        assert_err(xml(*state, docs[i], &acl, &why), PAIL_OK);
        assert_null(why);
        assert_string_equal(acl.owner_id, OWNER);
        assert_string_equal(acl.owner_name, "OwnerDisplayName");
        EXPECT(&acl, C(OWNER, FULL_CONTROL), G(PAIL_ACL_ALL_USERS, READ),
               E("xyz@amazon.com", WRITE_ACP), C(OTHER, READ_ACP));
        assert_string_equal(acl.grants[0].display_name, "OwnerDisplayName");
        assert_null(acl.grants[3].display_name);
    }
}

static void test_xml_boto3_body(void **state)
{
    /* Exactly what botocore 1.43 serialises for put_bucket_acl. */
    const char *doc =
        "<AccessControlPolicy xmlns=\"" NS "\"><Owner><ID>" OWNER "</ID><DisplayName>me"
        "</DisplayName></Owner><AccessControlList><Grant><Grantee " XSI
        " xsi:type=\"CanonicalUser\"><ID>" OWNER "</ID><DisplayName>me</DisplayName></Grantee>"
        "<Permission>FULL_CONTROL</Permission></Grant><Grant><Grantee " XSI
        " xsi:type=\"Group\"><URI>" PAIL_ACL_AUTH_USERS "</URI></Grantee><Permission>READ"
        "</Permission></Grant></AccessControlList></AccessControlPolicy>";
    struct pail_acl acl;
    assert_err(xml(*state, doc, &acl, NULL), PAIL_OK);
    EXPECT(&acl, C(OWNER, FULL_CONTROL), G(PAIL_ACL_AUTH_USERS, READ));
    /* A prefixed S3 namespace, another xsi prefix, blanks around values, an
     * uppercase id: all the same document. */
    doc = "<s3:AccessControlPolicy xmlns:s3=\"" NS "\" xmlns:i=\"http://www.w3.org/2001/"
          "XMLSchema-instance\"><s3:Owner><s3:ID>" OWNER "</s3:ID></s3:Owner>"
          "<s3:AccessControlList><s3:Grant><s3:Grantee i:type=\"CanonicalUser\"><s3:ID>\n "
          "79A59DF900B949E55D96A1E698FBACEDFD6E09D98EACF8F8D5218E7CD47EF2BE </s3:ID>"
          "</s3:Grantee><s3:Permission> WRITE\n</s3:Permission></s3:Grant>"
          "</s3:AccessControlList></s3:AccessControlPolicy>";
    assert_err(xml(*state, doc, &acl, NULL), PAIL_OK);
    EXPECT(&acl, C(OTHER, WRITE));
    assert_null(acl.owner_name);
    /* No grants at all: an empty list, or none. */
    doc = "<AccessControlPolicy><Owner><ID>" OWNER "</ID></Owner><AccessControlList/>"
          "</AccessControlPolicy>";
    assert_err(xml(*state, doc, &acl, NULL), PAIL_OK);
    assert_int_equal(acl.n, 0);
    doc = "<AccessControlPolicy><Owner><ID>" OWNER "</ID></Owner></AccessControlPolicy>";
    assert_err(xml(*state, doc, &acl, NULL), PAIL_OK);
    assert_int_equal(acl.n, 0);
}

#define OWNER_EL "<Owner><ID>" OWNER "</ID></Owner>"
#define ONE(grantee, perm)                                                                 \
    "<AccessControlPolicy>" OWNER_EL "<AccessControlList><Grant>" grantee                  \
    "<Permission>" perm "</Permission></Grant></AccessControlList></AccessControlPolicy>"
#define CANON(type) "<Grantee " XSI " xsi:type=\"" type "\"><ID>" OTHER "</ID></Grantee>"

static void test_xml_malformed(void **state)
{
    const char *bad[] = {
        "",
        "<AccessControlPolicy>",
        "not xml",
        "<AccessControlList/>",
        "<AccessControlPolicy xmlns=\"urn:other\">" OWNER_EL "</AccessControlPolicy>",
        "<!DOCTYPE a [<!ENTITY x \"y\">]><AccessControlPolicy>" OWNER_EL "</AccessControlPolicy>",
        /* owner */
        "<AccessControlPolicy><AccessControlList/></AccessControlPolicy>",
        "<AccessControlPolicy><Owner><DisplayName>x</DisplayName></Owner></AccessControlPolicy>",
        "<AccessControlPolicy><Owner><ID></ID></Owner></AccessControlPolicy>",
        "<AccessControlPolicy>" OWNER_EL OWNER_EL "</AccessControlPolicy>",
        "<AccessControlPolicy><Owner><ID>" OWNER "</ID><ID>" OWNER "</ID></Owner>"
        "</AccessControlPolicy>",
        /* structure */
        "<AccessControlPolicy>" OWNER_EL "stray</AccessControlPolicy>",
        "<AccessControlPolicy>" OWNER_EL "<Extra/></AccessControlPolicy>",
        "<AccessControlPolicy>" OWNER_EL "<AccessControlList/><AccessControlList/>"
        "</AccessControlPolicy>",
        "<AccessControlPolicy>" OWNER_EL "<AccessControlList><Grantee/></AccessControlList>"
        "</AccessControlPolicy>",
        /* permission */
        ONE(CANON("CanonicalUser"), "read"),
        ONE(CANON("CanonicalUser"), "ALL"),
        ONE(CANON("CanonicalUser"), ""),
        "<AccessControlPolicy>" OWNER_EL "<AccessControlList><Grant>" CANON("CanonicalUser")
        "</Grant></AccessControlList></AccessControlPolicy>",
        "<AccessControlPolicy>" OWNER_EL "<AccessControlList><Grant><Permission>READ"
        "</Permission></Grant></AccessControlList></AccessControlPolicy>",
        ONE(CANON("CanonicalUser"), "READ</Permission><Permission>READ"),
        /* grantee type */
        ONE("<Grantee><ID>" OTHER "</ID></Grantee>", "READ"),
        ONE("<Grantee type=\"CanonicalUser\"><ID>" OTHER "</ID></Grantee>", "READ"),
        ONE(CANON("canonicaluser"), "READ"),
        ONE(CANON("User"), "READ"),
        ONE(CANON("Group"), "READ"),
        ONE(CANON("AmazonCustomerByEmail"), "READ"),
        ONE("<Grantee " XSI " xsi:type=\"CanonicalUser\"><URI>" PAIL_ACL_ALL_USERS "</URI>"
            "</Grantee>", "READ"),
        ONE("<Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>" OTHER "</ID><EmailAddress>a@b"
            "</EmailAddress></Grantee>", "READ"),
        ONE("<Grantee " XSI " xsi:type=\"Group\"><URI>" PAIL_ACL_ALL_USERS "</URI><ID>" OTHER
            "</ID></Grantee>", "READ"),
        ONE("<Grantee " XSI " xsi:type=\"AmazonCustomerByEmail\"><EmailAddress></EmailAddress>"
            "</Grantee>", "READ"),
        ONE("<Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>" OTHER "</ID><ID>" OTHER "</ID>"
            "</Grantee>", "READ"),
        ONE("<Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>" OTHER "</ID><Name>x</Name>"
            "</Grantee>", "READ"),
        ONE(CANON("CanonicalUser") CANON("CanonicalUser"), "READ"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pail_acl acl;
        enum pail_err e = xml(*state, bad[i], &acl, NULL);
        if (e != PAIL_E_MalformedACLError)
            fail_msg("case %zu %s: got %s, want MalformedACLError", i, bad[i], pail_err_code(e));
        assert_int_equal(acl.n, 0);
        assert_null(acl.owner_id);
    }
}

static void test_xml_invalid_argument(void **state)
{
    struct pail_acl acl;
    const char *why = NULL;
    assert_err(xml(*state, ONE("<Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>badid</ID>"
                               "</Grantee>", "READ"), &acl, &why),
               PAIL_E_InvalidArgument);
    assert_string_equal(why, "Invalid id");
    assert_err(xml(*state, ONE("<Grantee " XSI " xsi:type=\"Group\"><URI>http://acs.amazonaws"
                               ".com/groups/global/Nobody</URI></Grantee>", "READ"), &acl, &why),
               PAIL_E_InvalidArgument);
    assert_string_equal(why, "Invalid group uri");
    /* The same with a valid grantee parses: the cases above fail for the id. */
    assert_err(xml(*state, ONE(CANON("CanonicalUser"), "READ"), &acl, &why), PAIL_OK);
    EXPECT(&acl, C(OTHER, READ));
    assert_null(why);
}

static void test_xml_limit(void **state)
{
    for (int n = 99; n <= 101; n++) {
        struct pail_buf b;
        pail_buf_init(&b, 1 << 20);
        pail_buf_puts(&b, "<AccessControlPolicy>" OWNER_EL "<AccessControlList>");
        for (int i = 0; i < n; i++)
            pail_buf_printf(&b, "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>%064x"
                                "</ID></Grantee><Permission>READ</Permission></Grant>", i);
        pail_buf_puts(&b, "</AccessControlList></AccessControlPolicy>");
        struct pail_acl acl;
        enum pail_err e = pail_acl_parse_xml(b.data, b.len, *state, &acl, NULL);
        pail_buf_free(&b);
        if (n <= PAIL_ACL_MAX_GRANTS) {
            assert_err(e, PAIL_OK);
            assert_int_equal(acl.n, n);
        } else {
            assert_err(e, PAIL_E_MalformedACLError);
        }
    }
}

/* ---- XML out --------------------------------------------------------------------------- */

static void test_xml_write_exact(void **state)
{
    struct pail_acl acl;
    assert_err(pail_acl_canned("public-read", OWNER, NULL, NULL, NULL, *state, &acl), PAIL_OK);
    struct pail_buf b;
    int calls = 0;
    write_doc(&b, &acl, &calls);
    assert_string_equal(
        b.data,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<AccessControlPolicy xmlns=\"" NS "\"><Owner><ID>" OWNER "</ID><DisplayName>root"
        "</DisplayName></Owner><AccessControlList><Grant><Grantee " XSI
        " xsi:type=\"Group\"><URI>" PAIL_ACL_ALL_USERS "</URI></Grantee><Permission>READ"
        "</Permission></Grant><Grant><Grantee " XSI
        " xsi:type=\"CanonicalUser\"><ID>" OWNER "</ID><DisplayName>root</DisplayName>"
        "</Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"
        "</AccessControlPolicy>"); /* group grants first (pail_acl_write_xml) */
    assert_int_equal(calls, 2); /* owner and its grant; groups have no name */
    pail_buf_free(&b);
}

static void test_xml_write_names(void **state)
{
    /* A given name wins over the callback, which is escaped; unknown ids get
     * no DisplayName; the EC2 account keeps its name; e-mails are written. */
    struct pail_grant g[] = {
        {.type = PAIL_GRANTEE_CANONICAL, .id = OWNER, .display_name = "given", .perm = 1},
        {.type = PAIL_GRANTEE_CANONICAL, .id = OTHER, .perm = PAIL_ACL_WRITE_ACP},
        {.type = PAIL_GRANTEE_CANONICAL, .id = THIRD, .perm = PAIL_ACL_READ_ACP},
        {.type = PAIL_GRANTEE_CANONICAL, .id = PAIL_ACL_EC2_ID, .perm = PAIL_ACL_READ},
        {.type = PAIL_GRANTEE_EMAIL, .email = "a<b@c", .perm = PAIL_ACL_WRITE},
    };
    struct pail_acl acl = {THIRD, NULL, g, 5};
    struct pail_buf b;
    write_doc(&b, &acl, NULL);
    assert_string_equal(
        b.data,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<AccessControlPolicy xmlns=\"" NS "\"><Owner><ID>" THIRD "</ID></Owner>"
        "<AccessControlList>"
        "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>" OWNER "</ID><DisplayName>given"
        "</DisplayName></Grantee><Permission>READ</Permission></Grant>"
        "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>" OTHER "</ID><DisplayName>"
        "other &amp; co</DisplayName></Grantee><Permission>WRITE_ACP</Permission></Grant>"
        "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>" THIRD "</ID></Grantee>"
        "<Permission>READ_ACP</Permission></Grant>"
        "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>" PAIL_ACL_EC2_ID "</ID>"
        "<DisplayName>za-team</DisplayName></Grantee><Permission>READ</Permission></Grant>"
        "<Grant><Grantee " XSI " xsi:type=\"AmazonCustomerByEmail\"><EmailAddress>a&lt;b@c"
        "</EmailAddress></Grantee><Permission>WRITE</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>");
    pail_buf_free(&b);
    /* A permission no grant can hold makes the document an error, not a lie. */
    g[0].perm = 3;
    struct pail_xml x;
    pail_buf_init(&b, 1 << 20);
    pail_xml_begin(&x, &b);
    pail_acl_write_xml(&x, &acl, NULL, NULL);
    assert_err(pail_xml_end(&x), PAIL_E_InternalError);
    pail_buf_free(&b);
}

static void test_xml_round_trip(void **state)
{
    const char *canned[] = {"private", "public-read", "public-read-write", "authenticated-read",
                            "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control",
                            "log-delivery-write"};
    for (size_t i = 0; i < sizeof(canned) / sizeof(canned[0]); i++) {
        struct pail_acl acl, back;
        assert_err(pail_acl_canned(canned[i], OTHER, NULL, OWNER, NULL, *state, &acl), PAIL_OK);
        struct pail_buf b;
        write_doc(&b, &acl, NULL);
        assert_err(pail_acl_parse_xml(b.data, b.len, *state, &back, NULL), PAIL_OK);
        pail_buf_free(&b);
        expect_same_xml(&back, &acl);
        assert_string_equal(back.owner_name, "other & co");
    }
    struct pail_acl acl, back;
    assert_err(headers(*state, "emailAddress=\"x@y.z\"", "uri=\"" PAIL_ACL_LOG_DELIVERY "\"",
                       NULL, "id=\"" THIRD "\"", "id=\"" OWNER "\"", &acl, NULL),
               PAIL_OK);
    struct pail_buf b;
    write_doc(&b, &acl, NULL);
    assert_err(pail_acl_parse_xml(b.data, b.len, *state, &back, NULL), PAIL_OK);
    pail_buf_free(&b);
    expect_same_xml(&back, &acl);
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void test_json_exact(void **state)
{
    struct pail_acl acl;
    assert_err(pail_acl_canned("public-read", OWNER, "me", NULL, NULL, *state, &acl), PAIL_OK);
    assert_string_equal(pail_acl_to_json(&acl, *state),
                        "{\"o\":\"" OWNER "\",\"g\":[{\"t\":\"c\",\"i\":\"" OWNER "\",\"p\":15},"
                        "{\"t\":\"g\",\"u\":\"" PAIL_ACL_ALL_USERS "\",\"p\":1}]}");
    struct pail_acl none = {0};
    assert_string_equal(pail_acl_to_json(&none, *state), "{\"g\":[]}");
    /* Not UTF-8: refused rather than stored unreadable. */
    struct pail_grant g = {.type = PAIL_GRANTEE_EMAIL, .email = "\xff@x", .perm = 1};
    struct pail_acl bad = {OWNER, NULL, &g, 1};
    assert_null(pail_acl_to_json(&bad, *state));
}

static void test_json_round_trip(void **state)
{
    struct pail_acl acl, back;
    assert_err(headers(*state, "emailAddress=\"x@y.z\", id=\"" OTHER "\"",
                       "uri=\"" PAIL_ACL_LOG_DELIVERY "\"", "uri=\"" PAIL_ACL_AUTH_USERS "\"",
                       "id=\"" THIRD "\"", "id=\"" OWNER "\"", &acl, NULL),
               PAIL_OK);
    const char *json = pail_acl_to_json(&acl, *state);
    assert_non_null(json);
    assert_err(pail_acl_from_json(json, *state, &back), PAIL_OK);
    expect_same(&back, &acl);
    assert_null(back.owner_name);
    /* Absent: empty, owner unset. */
    assert_err(pail_acl_from_json(NULL, *state, &back), PAIL_OK);
    assert_int_equal(back.n, 0);
    assert_null(back.owner_id);
    assert_err(pail_acl_from_json("", *state, &back), PAIL_OK);
    assert_null(back.owner_id);
    /* Keys we do not know (a later version's) are skipped. */
    assert_err(pail_acl_from_json("{\"o\":\"" OWNER "\",\"v\":2,\"g\":[{\"t\":\"g\",\"u\":\""
                                  PAIL_ACL_ALL_USERS "\",\"p\":4,\"x\":null}]}", *state, &back),
               PAIL_OK);
    EXPECT(&back, G(PAIL_ACL_ALL_USERS, READ_ACP));
}

static void test_json_corrupt(void **state)
{
    const char *bad[] = {
        "{",
        "[]",
        "null",
        "{\"o\":\"x\"}",
        "{\"o\":\"x\",\"g\":{}}",
        "{\"o\":1,\"g\":[]}",
        "{\"o\":\"x\",\"g\":[1]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"c\",\"p\":15}]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"c\",\"u\":\"y\",\"p\":15}]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"c\",\"i\":\"y\"}]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"c\",\"i\":\"y\",\"p\":3}]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"c\",\"i\":\"y\",\"p\":16}]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"c\",\"i\":\"y\",\"p\":-1}]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"c\",\"i\":\"y\",\"p\":\"15\"}]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"z\",\"i\":\"y\",\"p\":15}]}",
        "{\"o\":\"x\",\"g\":[{\"t\":\"c\",\"i\":\"a\\u0000b\",\"p\":15}]}",
        "{\"o\":\"x\",\"o\":\"y\",\"g\":[]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pail_acl acl;
        enum pail_err e = pail_acl_from_json(bad[i], *state, &acl);
        if (e != PAIL_E_InternalError)
            fail_msg("%s: got %s, want InternalError", bad[i], pail_err_code(e));
        assert_int_equal(acl.n, 0);
        assert_null(acl.owner_id);
    }
}

/* ---- e-mail resolution ------------------------------------------------------------------- */

static const char *accounts(void *ctx, const char *email)
{
    int *calls = ctx;
    ++*calls;
    if (strcmp(email, "other@example.com") == 0)
        return OTHER;
    if (strcmp(email, "third@example.com") == 0)
        return THIRD;
    return NULL;
}

static void test_resolve_emails(void **state)
{
    struct pail_acl acl;
    int calls = 0;
    assert_err(headers(*state, "emailAddress=\"other@example.com\", uri=\"" PAIL_ACL_ALL_USERS
                       "\"", NULL, NULL, "emailAddress=\"third@example.com\"",
                       "id=\"" OWNER "\"", &acl, NULL),
               PAIL_OK);
    assert_err(pail_acl_resolve_emails(&acl, accounts, &calls), PAIL_OK);
    assert_int_equal(calls, 2);
    EXPECT(&acl, C(OTHER, READ), G(PAIL_ACL_ALL_USERS, READ), C(THIRD, WRITE_ACP),
           C(OWNER, FULL_CONTROL));
    assert_null(acl.grants[0].email);
    /* Nothing left to resolve: no lookups. */
    calls = 0;
    assert_err(pail_acl_resolve_emails(&acl, accounts, &calls), PAIL_OK);
    assert_int_equal(calls, 0);
}

static void test_resolve_unknown(void **state)
{
    struct pail_acl acl;
    int calls = 0;
    assert_err(headers(*state, "emailAddress=\"other@example.com\"", NULL, NULL, NULL,
                       "emailAddress=\"nobody@example.com\"", &acl, NULL),
               PAIL_OK);
    assert_err(pail_acl_resolve_emails(&acl, accounts, &calls),
               PAIL_E_UnresolvableGrantByEmailAddress);
    /* All or nothing: the address that was found is not half-applied. */
    EXPECT(&acl, E("other@example.com", READ), E("nobody@example.com", FULL_CONTROL));
    assert_null(acl.grants[0].id);
    assert_int_equal(pail_acl_granted(&acl, OTHER, true, false), 0);
}

/* ---- evaluation ------------------------------------------------------------------------------ */

static void test_granted(void **state)
{
    struct pail_acl acl;
    assert_err(pail_acl_canned("private", OWNER, NULL, NULL, NULL, *state, &acl), PAIL_OK);
    assert_int_equal(pail_acl_granted(&acl, OWNER, true, false), PAIL_ACL_FULL_CONTROL);
    assert_int_equal(pail_acl_granted(&acl, OTHER, true, false), 0);
    assert_int_equal(pail_acl_granted(&acl, NULL, false, false), 0);
    assert_int_equal(pail_acl_granted(&acl, NULL, true, false), 0);

    assert_err(pail_acl_canned("public-read", OWNER, NULL, NULL, NULL, *state, &acl), PAIL_OK);
    assert_int_equal(pail_acl_granted(&acl, OTHER, true, false), PAIL_ACL_READ);
    assert_int_equal(pail_acl_granted(&acl, NULL, false, false), PAIL_ACL_READ);
    assert_int_equal(pail_acl_granted(&acl, NULL, false, true), 0);
    assert_int_equal(pail_acl_granted(&acl, OWNER, true, true), PAIL_ACL_FULL_CONTROL);
    /* The permission is READ, not WRITE: a write check must fail. */
    unsigned put = pail_acl_perm_for_action("s3:PutObject", true);
    assert_int_equal(pail_acl_granted(&acl, NULL, false, false) & put, 0);
    unsigned get = pail_acl_perm_for_action("s3:GetObject", false);
    assert_int_not_equal(pail_acl_granted(&acl, NULL, false, false) & get, 0);

    assert_err(pail_acl_canned("authenticated-read", OWNER, NULL, NULL, NULL, *state, &acl),
               PAIL_OK);
    assert_int_equal(pail_acl_granted(&acl, NULL, false, false), 0);
    assert_int_equal(pail_acl_granted(&acl, NULL, true, false), PAIL_ACL_READ);
    assert_int_equal(pail_acl_granted(&acl, OTHER, true, false), PAIL_ACL_READ);
    assert_int_equal(pail_acl_granted(&acl, OTHER, true, true), 0);

    /* LogDelivery is a service, not a requester. */
    assert_err(pail_acl_canned("log-delivery-write", OWNER, NULL, NULL, NULL, *state, &acl),
               PAIL_OK);
    assert_int_equal(pail_acl_granted(&acl, OTHER, true, false), 0);
    assert_int_equal(pail_acl_granted(&acl, NULL, false, false), 0);
}

static void test_granted_combines(void **state)
{
    struct pail_acl acl;
    assert_err(headers(*state, "uri=\"" PAIL_ACL_ALL_USERS "\"", "id=\"" OTHER "\"",
                       "uri=\"" PAIL_ACL_AUTH_USERS "\"", "id=\"" OTHER "\"", NULL, &acl, NULL),
               PAIL_OK);
    /* No implicit owner grant with headers. */
    assert_int_equal(pail_acl_granted(&acl, OWNER, true, false),
                     PAIL_ACL_READ | PAIL_ACL_READ_ACP);
    assert_int_equal(pail_acl_granted(&acl, OTHER, true, false),
                     PAIL_ACL_READ | PAIL_ACL_WRITE | PAIL_ACL_READ_ACP | PAIL_ACL_WRITE_ACP);
    assert_int_equal(pail_acl_granted(&acl, OTHER, true, true),
                     PAIL_ACL_WRITE | PAIL_ACL_WRITE_ACP);
    assert_int_equal(pail_acl_granted(&acl, NULL, false, false), PAIL_ACL_READ);
    assert_int_equal(pail_acl_granted(&acl, NULL, false, true), 0);
    /* An id is compared whole. */
    assert_int_equal(pail_acl_granted(&acl, THIRD, true, true), 0);
    struct pail_acl empty = {0};
    assert_int_equal(pail_acl_granted(&empty, OWNER, true, false), 0);
}

static void test_is_public(void **state)
{
    static const struct {
        const char *canned;
        bool public;
    } cases[] = {
        {"private", false},           {"public-read", true},
        {"public-read-write", true},  {"authenticated-read", true},
        {"aws-exec-read", false},     {"bucket-owner-read", false},
        {"bucket-owner-full-control", false}, {"log-delivery-write", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pail_acl acl;
        assert_err(pail_acl_canned(cases[i].canned, OWNER, NULL, OTHER, NULL, *state, &acl),
                   PAIL_OK);
        if (pail_acl_is_public(&acl) != cases[i].public)
            fail_msg("%s: is_public %d", cases[i].canned, !cases[i].public);
    }
    struct pail_acl acl;
    assert_err(headers(*state, NULL, NULL, NULL, NULL, "uri=\"" PAIL_ACL_AUTH_USERS "\"", &acl,
                       NULL),
               PAIL_OK);
    assert_true(pail_acl_is_public(&acl));
    struct pail_acl empty = {0};
    assert_false(pail_acl_is_public(&empty));
}

static void test_perm_for_action(void **state)
{
    static const struct {
        const char *action;
        bool bucket;
        unsigned perm;
    } cases[] = {
        {"s3:ListBucket", true, PAIL_ACL_READ},
        {"s3:ListBucketVersions", true, PAIL_ACL_READ},
        {"s3:ListBucketMultipartUploads", true, PAIL_ACL_READ},
        {"s3:PutObject", true, PAIL_ACL_WRITE},
        {"s3:DeleteObject", true, PAIL_ACL_WRITE},
        {"s3:DeleteObjectVersion", true, PAIL_ACL_WRITE},
        {"s3:GetBucketAcl", true, PAIL_ACL_READ_ACP},
        {"s3:PutBucketAcl", true, PAIL_ACL_WRITE_ACP},
        {"s3:GetObject", false, PAIL_ACL_READ},
        {"s3:GetObjectVersion", false, PAIL_ACL_READ},
        {"s3:GetObjectTorrent", false, PAIL_ACL_READ},
        {"s3:GetObjectAttributes", false, PAIL_ACL_READ},
        {"s3:GetObjectVersionAttributes", false, PAIL_ACL_READ},
        {"s3:GetObjectAcl", false, PAIL_ACL_READ_ACP},
        {"s3:GetObjectVersionAcl", false, PAIL_ACL_READ_ACP},
        {"s3:PutObjectAcl", false, PAIL_ACL_WRITE_ACP},
        {"s3:PutObjectVersionAcl", false, PAIL_ACL_WRITE_ACP},
        {"S3:getobject", false, PAIL_ACL_READ}, /* IAM matches actions without case */
        /* Not grantable by an ACL at all. */
        {"s3:PutBucketPolicy", true, 0},
        {"s3:GetBucketPolicy", true, 0},
        {"s3:DeleteBucket", true, 0},
        {"s3:PutBucketPublicAccessBlock", true, 0},
        {"s3:PutBucketOwnershipControls", true, 0},
        {"s3:CreateBucket", true, 0},
        {"s3:*", true, 0},
        {"s3:GetObject*", false, 0},
        {"", true, 0},
        {NULL, false, 0},
        /* The right permission at the wrong level. */
        {"s3:GetObject", true, 0},
        {"s3:ListBucket", false, 0},
        {"s3:PutObject", false, 0},
        {"s3:GetBucketAcl", false, 0},
        {"s3:PutObjectAcl", true, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned got = pail_acl_perm_for_action(cases[i].action, cases[i].bucket);
        if (got != cases[i].perm)
            fail_msg("%s (%s): got %u, want %u", cases[i].action ? cases[i].action : "(null)",
                     cases[i].bucket ? "bucket" : "object", got, cases[i].perm);
    }
    /* FULL_CONTROL holds every bit a single action can ask for. */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(cases[i].perm & PAIL_ACL_FULL_CONTROL, cases[i].perm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_canned_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canned_bucket_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canned_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_several, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_spellings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xml_aws_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xml_boto3_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xml_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xml_invalid_argument, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xml_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xml_write_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xml_write_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xml_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_emails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_granted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_granted_combines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_is_public, setup, teardown),
        cmocka_unit_test(test_perm_for_action),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
