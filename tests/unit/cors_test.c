/* tests/unit/cors_test.c — s3/cors: validation of a configuration (AWS's
 * errors and messages), the one-wildcard patterns, first-match rule
 * selection, the XML form round trip, and the headers of a preflight and
 * an actual response built on a bare struct pail_req. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "fixture.h"
#include "http/request.h"
#include "s3/cors.h"
#include "util/xml_out.h"

#include <stdio.h>
#include <string.h>

#define RULE(body) "<CORSRule>" body "</CORSRule>"
#define DOC(rules) "<CORSConfiguration>" rules "</CORSConfiguration>"

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

static const struct s3_cors *parse_ok(struct pail_arena *a, const char *doc)
{
    const struct s3_cors *c;
    const char *why;
    enum pail_err e = s3_cors_parse(doc, strlen(doc), a, &c, &why);
    if (e != PAIL_OK)
        fail_msg("%s: %s (%s)", doc, pail_err_code(e), why ? why : "-");
    return c;
}

static void expect_error(struct pail_arena *a, const char *doc, enum pail_err want,
                         const char *want_why)
{
    const struct s3_cors *c;
    const char *why;
    assert_err(s3_cors_parse(doc, strlen(doc), a, &c, &why), want);
    assert_null(c);
    if (want_why)
        assert_string_equal(why, want_why);
    else
        assert_null(why);
}

static void test_parse_values(void **state)
{
    const struct s3_cors *c = parse_ok(
        *state, DOC(RULE("<ID>r1</ID><AllowedOrigin>http://*.example.com</AllowedOrigin>"
                         "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
                         "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
                         "<ExposeHeader>x-amz-request-id</ExposeHeader>"
                         "<MaxAgeSeconds>3000</MaxAgeSeconds>")
                    RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>")));
    assert_int_equal(c->n, 2);
    const struct s3_cors_rule *r = &c->rules[0];
    assert_string_equal(r->id, "r1");
    assert_int_equal(r->methods, S3_CORS_PUT | S3_CORS_GET);
    assert_string_equal(r->allow_methods, "PUT, GET"); /* the rule's order */
    assert_string_equal(r->expose_joined, "ETag, x-amz-request-id");
    assert_int_equal(r->max_age, 3000);
    assert_null(c->rules[1].id);
    assert_int_equal(c->rules[1].max_age, -1);
    assert_null(c->rules[1].expose_joined);
}

static void test_parse_errors(void **state)
{
    struct pail_arena *a = *state;
    expect_error(a, DOC(RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>")),
                 PAIL_E_InvalidRequest,
                 "Found unsupported HTTP method in CORS config. Unsupported method is PATCH");
    /* methods are case-sensitive upper case, as the API lists them */
    expect_error(a, DOC(RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>")),
                 PAIL_E_InvalidRequest,
                 "Found unsupported HTTP method in CORS config. Unsupported method is get");
    expect_error(a, DOC(RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod></AllowedMethod>")),
                 PAIL_E_InvalidRequest,
                 "Found unsupported HTTP method in CORS config. Unsupported method is ");
    expect_error(a, DOC(RULE("<AllowedOrigin>*example*.com</AllowedOrigin>"
                             "<AllowedMethod>GET</AllowedMethod>")),
                 PAIL_E_InvalidRequest,
                 "AllowedOrigin \"*example*.com\" can not have more than one wildcard.");
    expect_error(a, DOC(RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                             "<AllowedHeader>x-*-*</AllowedHeader>")),
                 PAIL_E_InvalidRequest,
                 "AllowedHeader \"x-*-*\" can not have more than one wildcard.");
    expect_error(a, DOC(RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                             "<MaxAgeSeconds>-1</MaxAgeSeconds>")),
                 PAIL_E_MalformedXML, NULL);
    expect_error(a, DOC(RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                             "<MaxAgeSeconds>99999999999</MaxAgeSeconds>")),
                 PAIL_E_MalformedXML, NULL);
    expect_error(a, DOC(""), PAIL_E_MalformedXML, NULL);
    char id[300], doc[600];
    memset(id, 'i', 256);
    id[256] = 0;
    snprintf(doc, sizeof doc,
             DOC(RULE("<ID>%s</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")),
             id);
    expect_error(a, doc, PAIL_E_InvalidArgument, "ID length should not exceed allowed limit of 255");
    id[255] = 0;
    snprintf(doc, sizeof doc,
             DOC(RULE("<ID>%s</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")),
             id);
    parse_ok(a, doc);
}

static void test_parse_size_limit(void **state)
{
    struct pail_buf b;
    pail_buf_init(&b, 1 << 20);
    pail_buf_puts(&b, "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>");
    while (b.len <= S3_CORS_DOC_MAX)
        pail_buf_puts(&b, "<AllowedOrigin>http://a-long-origin-name.example.com</AllowedOrigin>");
    pail_buf_puts(&b, "</CORSRule></CORSConfiguration>");
    const struct s3_cors *c;
    const char *why;
    assert_err(s3_cors_parse(b.data, b.len, *state, &c, &why), PAIL_E_MalformedXML);
    pail_buf_free(&b);
}

static void test_wildcard(void **state)
{
    (void)state;
    assert_true(s3_cors_wildcard("*", "", false)); /* '*' matches the empty run too */
    assert_true(s3_cors_wildcard("*", "http://x", false));
    assert_true(s3_cors_wildcard("http://*.example.com", "http://a.b.example.com", false));
    assert_false(s3_cors_wildcard("http://*.example.com", "http://example.com", false));
    assert_false(s3_cors_wildcard("http://*.example.com", "https://a.example.com", false));
    assert_true(s3_cors_wildcard("start*end", "startend", false));
    assert_false(s3_cors_wildcard("start*end", "0start12end", false)); /* anchored */
    assert_false(s3_cors_wildcard("start*end", "startendx", false));
    assert_false(s3_cors_wildcard("abab*abab", "ababab", false)); /* prefix and suffix overlap */
    assert_true(s3_cors_wildcard("http://a.com", "http://a.com", false));
    assert_false(s3_cors_wildcard("http://a.com", "http://a.com/", false));
    assert_false(s3_cors_wildcard("http://A.com", "http://a.com", false)); /* origins: exact */
    assert_true(s3_cors_wildcard("X-Amz-*", "x-amz-date", true));    /* headers: any case */
    assert_false(s3_cors_wildcard("x-amz-*", "content-type", true));
}

static void test_match_first_rule(void **state)
{
    const struct s3_cors *c = parse_ok(
        *state, DOC(RULE("<AllowedOrigin>*suffix</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")
                    RULE("<AllowedOrigin>http://a</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"
                         "<AllowedHeader>content-type</AllowedHeader>"
                         "<AllowedHeader>x-amz-*</AllowedHeader>")
                    RULE("<AllowedOrigin>http://a</AllowedOrigin><AllowedOrigin>*</AllowedOrigin>"
                         "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
                         "<AllowedHeader>x-*</AllowedHeader>"
                         "<AllowedHeader>content-type</AllowedHeader>")));
    bool star = true;
    assert_ptr_equal(s3_cors_match(c, "foo.suffix", S3_CORS_GET, NULL, &star), &c->rules[0]);
    assert_false(star);
    assert_null(s3_cors_match(c, "foo.suffix.get", S3_CORS_DELETE, NULL, &star));
    /* headers decide between rules 2 and 3; names match without regard to case */
    assert_ptr_equal(s3_cors_match(c, "http://a", S3_CORS_PUT, "Content-Type, X-Amz-Date", &star),
                     &c->rules[1]);
    assert_false(star);
    assert_ptr_equal(s3_cors_match(c, "http://a", S3_CORS_PUT, "content-type,x-other", &star),
                     &c->rules[2]);
    assert_false(star); /* "http://a" matched before "*" */
    assert_ptr_equal(s3_cors_match(c, "http://b", S3_CORS_PUT, " , ", &star), &c->rules[2]);
    assert_true(star);
    assert_null(s3_cors_match(c, "http://b", S3_CORS_PUT, "x-other, y-other", &star));
    assert_null(s3_cors_match(c, "http://b", S3_CORS_HEAD, NULL, &star));
}

static void test_write_round_trip(void **state)
{
    const char *doc =
        DOC(RULE("<ID>r&amp;1</ID><AllowedOrigin>http://*.example.com</AllowedOrigin>"
                 "<AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader>"
                 "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>0</MaxAgeSeconds>")
            RULE("<AllowedMethod>DELETE</AllowedMethod><AllowedOrigin>*</AllowedOrigin>"));
    const struct s3_cors *c = parse_ok(*state, doc);
    struct pail_buf b;
    pail_buf_init(&b, 1 << 16);
    struct pail_xml x;
    pail_xml_begin(&x, &b);
    pail_xml_open_ns(&x, "CORSConfiguration", NULL);
    s3_cors_write(c, &x);
    assert_int_equal(pail_xml_end(&x), PAIL_OK);
    assert_non_null(strstr(b.data, "<CORSRule><ID>r&amp;1</ID><AllowedHeader>*</AllowedHeader>"
                                   "<AllowedMethod>GET</AllowedMethod>"
                                   "<AllowedOrigin>http://*.example.com</AllowedOrigin>"
                                   "<ExposeHeader>ETag</ExposeHeader>"
                                   "<MaxAgeSeconds>0</MaxAgeSeconds></CORSRule>"
                                   "<CORSRule><AllowedMethod>DELETE</AllowedMethod>"
                                   "<AllowedOrigin>*</AllowedOrigin></CORSRule>"));
    const struct s3_cors *again = parse_ok(*state, b.data); /* the stored form parses */
    assert_int_equal(again->n, 2);
    assert_string_equal(again->rules[0].id, "r&1");
    assert_int_equal(again->rules[0].max_age, 0);
    pail_buf_free(&b);
}

/* ---- on a request ------------------------------------------------------- */

static struct pail_req *request(struct pail_arena *a, const char *method, const char *const *hdrs)
{
    struct pail_req *r = pail_arena_alloc(a, sizeof(*r));
    r->arena = a;
    r->method = method;
    size_t n = 0;
    while (hdrs[2 * n])
        n++;
    r->headers = pail_arena_alloc(a, (n + 1) * sizeof(*r->headers));
    for (size_t i = 0; i < n; i++)
        r->headers[i] = (struct pail_hdr){hdrs[2 * i], hdrs[2 * i + 1]};
    r->nheaders = n;
    return r;
}

static const char *resp_header(const struct pail_req *r, const char *name)
{
    for (const struct pail_resp_hdr *h = r->resp.headers; h; h = h->next)
        if (strcmp(h->name, name) == 0)
            return h->value;
    return NULL;
}

static const char *const RULES =
    DOC(RULE("<AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
             "<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>"
             "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>")
        RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>"));

static void test_preflight_order(void **state)
{
    struct pail_arena *a = *state;
    const struct s3_cors *c = parse_ok(a, RULES);
    struct pail_req *r = request(a, "OPTIONS", (const char *[]){NULL});
    assert_err(s3_cors_preflight(r, c, true), PAIL_E_BadRequest);
    assert_string_equal(r->err_msg, "Insufficient information. Origin request header needed.");
    r = request(a, "OPTIONS", (const char *[]){"origin", "http://a.example.com", NULL});
    assert_err(s3_cors_preflight(r, NULL, false), PAIL_E_AccessForbidden);
    assert_string_equal(r->err_msg, "CORSResponse: Bucket not found");
    r = request(a, "OPTIONS", (const char *[]){"origin", "http://a.example.com", NULL});
    assert_err(s3_cors_preflight(r, NULL, true), PAIL_E_AccessForbidden);
    assert_string_equal(r->err_msg, "CORSResponse: CORS is not enabled for this bucket.");
    r = request(a, "OPTIONS", (const char *[]){"origin", "http://a.example.com", NULL});
    assert_err(s3_cors_preflight(r, c, true), PAIL_E_BadRequest);
    assert_string_equal(r->err_msg, "Invalid Access-Control-Request-Method: null");
    r = request(a, "OPTIONS", (const char *[]){"origin", "http://a.example.com",
                                               "access-control-request-method", "PATCH", NULL});
    assert_err(s3_cors_preflight(r, c, true), PAIL_E_BadRequest);
    assert_string_equal(r->err_msg, "Invalid Access-Control-Request-Method: PATCH");
    r = request(a, "OPTIONS", (const char *[]){"origin", "http://a.example.org",
                                               "access-control-request-method", "GET", NULL});
    assert_err(s3_cors_preflight(r, c, true), PAIL_E_AccessForbidden);
    assert_null(r->err_msg); /* err.def holds AWS's long message */
    assert_null(r->resp.headers);
}

static void test_preflight_headers(void **state)
{
    struct pail_arena *a = *state;
    const struct s3_cors *c = parse_ok(a, RULES);
    struct pail_req *r = request(
        a, "OPTIONS",
        (const char *[]){"origin", "http://a.example.com", "access-control-request-method", "PUT",
                         "access-control-request-headers", "Content-Type,X-Amz-Date", NULL});
    assert_err(s3_cors_preflight(r, c, true), PAIL_OK);
    assert_int_equal(r->resp.status, 200);
    assert_string_equal(resp_header(r, "Access-Control-Allow-Origin"), "http://a.example.com");
    assert_string_equal(resp_header(r, "Access-Control-Allow-Methods"), "GET, PUT");
    assert_string_equal(resp_header(r, "Access-Control-Allow-Headers"), "content-type, x-amz-date");
    assert_string_equal(resp_header(r, "Access-Control-Expose-Headers"), "ETag");
    assert_string_equal(resp_header(r, "Access-Control-Max-Age"), "600");
    assert_string_equal(resp_header(r, "Access-Control-Allow-Credentials"), "true");
    assert_string_equal(resp_header(r, "Vary"),
                        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    r = request(a, "OPTIONS", (const char *[]){"origin", "http://x.test",
                                               "access-control-request-method", "HEAD", NULL});
    assert_err(s3_cors_preflight(r, c, true), PAIL_OK);
    assert_string_equal(resp_header(r, "Access-Control-Allow-Origin"), "*");
    assert_null(resp_header(r, "Access-Control-Allow-Credentials"));
    assert_null(resp_header(r, "Access-Control-Allow-Headers"));
    assert_null(resp_header(r, "Access-Control-Max-Age"));
    /* the "*" rule allows no requested header */
    r = request(a, "OPTIONS", (const char *[]){"origin", "http://x.test",
                                               "access-control-request-method", "HEAD",
                                               "access-control-request-headers", "x-a", NULL});
    assert_err(s3_cors_preflight(r, c, true), PAIL_E_AccessForbidden);
}

static void test_actual(void **state)
{
    struct pail_arena *a = *state;
    const struct s3_cors *c = parse_ok(a, RULES);
    struct pail_req *r = request(a, "GET", (const char *[]){"origin", "http://a.example.com",
                                                            "access-control-request-headers",
                                                            "x-not-allowed-but-not-checked", NULL});
    s3_cors_actual(r, c);
    assert_string_equal(resp_header(r, "Access-Control-Allow-Origin"), "http://a.example.com");
    assert_string_equal(resp_header(r, "Access-Control-Expose-Headers"), "ETag");
    assert_null(resp_header(r, "Access-Control-Allow-Headers"));
    r = request(a, "DELETE", (const char *[]){"origin", "http://a.example.com", NULL});
    s3_cors_actual(r, c);
    assert_null(r->resp.headers);
    /* Access-Control-Request-Method, when sent, is the method matched */
    r = request(a, "DELETE", (const char *[]){"origin", "http://a.example.com",
                                              "access-control-request-method", "GET", NULL});
    s3_cors_actual(r, c);
    assert_string_equal(resp_header(r, "Access-Control-Allow-Methods"), "GET, PUT");
    r = request(a, "GET", (const char *[]){"origin", "http://a.example.com",
                                           "access-control-request-method", "DELETE", NULL});
    s3_cors_actual(r, c);
    assert_null(r->resp.headers);
    r = request(a, "GET", (const char *[]){NULL}); /* no Origin: not a CORS request */
    s3_cors_actual(r, c);
    assert_null(r->resp.headers);
    r = request(a, "OPTIONS", (const char *[]){"origin", "http://a.example.com", NULL});
    s3_cors_actual(r, c); /* OPTIONS is the preflight's business */
    assert_null(r->resp.headers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_size_limit, setup, teardown),
        cmocka_unit_test(test_wildcard),
        cmocka_unit_test_setup_teardown(test_match_first_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preflight_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preflight_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_actual, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
