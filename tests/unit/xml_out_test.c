/* tests/unit/xml_out_test.c — util/xml_out: exact output, escaping (markup,
 * CR, control characters, invalid UTF-8), nesting limits, sticky errors, and
 * that what we write parses back with libxml2 to the same text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/buf.h"
#include "util/xml_out.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <stdlib.h>
#include <string.h>

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* Escapes s (n bytes) into a fresh buffer and compares with want. */
static void expect_escape(const char *s, size_t n, const char *want)
{
    struct pail_buf b;
    pail_buf_init(&b, 1 << 20);
    assert_true(pail_xml_escape(&b, s, n));
    assert_string_equal(b.data ? b.data : "", want);
    pail_buf_free(&b);
}

static void test_document_shape(void **state)
{
    struct pail_buf b;
    struct pail_xml x;
    pail_buf_init(&b, 1 << 20);
    pail_xml_begin(&x, &b);
    pail_xml_open_ns(&x, "ListBucketResult", PAIL_XML_S3_NS);
    pail_xml_elem(&x, "Name", "bucket");
    pail_xml_elem(&x, "Prefix", NULL);
    pail_xml_elem_u64(&x, "MaxKeys", 1000);
    pail_xml_elem_bool(&x, "IsTruncated", false);
    pail_xml_open(&x, "Contents");
    pail_xml_elem(&x, "Key", "a/b.txt");
    pail_xml_elem_u64(&x, "Size", UINT64_MAX);
    pail_xml_elemf(&x, "ETag", "\"%s\"", "abc");
    pail_xml_close(&x);
    assert_int_equal(pail_xml_end(&x), PAIL_OK);
    assert_string_equal(b.data,
        DECL "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>bucket</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>"
        "<IsTruncated>false</IsTruncated><Contents><Key>a/b.txt</Key>"
        "<Size>18446744073709551615</Size><ETag>&quot;abc&quot;</ETag></Contents>"
        "</ListBucketResult>");
    pail_buf_free(&b);
}

static void test_escape_markup(void **state)
{
    expect_escape("a&b<c>\"d'e", 10, "a&amp;b&lt;c&gt;&quot;d&apos;e");
    expect_escape("", 0, "");
    expect_escape("plain/key-1.txt", 15, "plain/key-1.txt");
    expect_escape("]]>", 3, "]]&gt;");
}

static void test_escape_controls(void **state)
{
    expect_escape("a\tb\nc", 5, "a\tb\nc");
    expect_escape("a\rb", 3, "a&#xD;b");
    expect_escape("\x01", 1, "&#x1;");
    expect_escape("x\x1By", 3, "x&#x1B;y");
    expect_escape("\x1F", 1, "&#x1F;");
    expect_escape("\0", 1, "&#x0;");
    expect_escape("\x7F", 1, "\x7F"); /* DEL is an XML 1.0 character */
}

static void test_escape_utf8(void **state)
{
    expect_escape("\xC3\xA9", 2, "\xC3\xA9");                 /* é */
    expect_escape("\xE2\x82\xAC", 3, "\xE2\x82\xAC");         /* € */
    expect_escape("\xF0\x9D\x84\x9E", 4, "\xF0\x9D\x84\x9E"); /* 𝄞 */
    expect_escape("\xC2\x85", 2, "\xC2\x85");                 /* NEL: allowed */
    expect_escape("\xFF", 1, "\xEF\xBF\xBD");
    expect_escape("a\x80z", 3, "a\xEF\xBF\xBDz");
    /* Overlong '/', a surrogate, a truncated sequence: one U+FFFD per byte. */
    expect_escape("\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_escape("\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_escape("\xE2\x82", 2, "\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_escape("\xF4\x90\x80\x80", 4,
                  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    /* U+FFFF is well-formed UTF-8 but not an XML character. */
    expect_escape("\xEF\xBF\xBF", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_escape("\xEF\xBF\xBD", 3, "\xEF\xBF\xBD");
}

static void test_nesting_and_errors(void **state)
{
    struct pail_buf b;
    struct pail_xml x;
    pail_buf_init(&b, 1 << 20);

    pail_xml_begin(&x, &b);
    for (int i = 0; i < PAIL_XML_MAX_DEPTH; i++)
        pail_xml_open(&x, "A");
    assert_false(x.error);
    assert_int_equal(pail_xml_end(&x), PAIL_OK); /* closes all 16 */
    assert_int_equal(x.depth, 0);

    pail_buf_free(&b);
    pail_xml_begin(&x, &b);
    for (int i = 0; i <= PAIL_XML_MAX_DEPTH; i++)
        pail_xml_open(&x, "A");
    assert_int_equal(pail_xml_end(&x), PAIL_E_InternalError);

    pail_buf_free(&b);
    pail_xml_begin(&x, &b);
    pail_xml_close(&x);
    assert_int_equal(pail_xml_end(&x), PAIL_E_InternalError);

    pail_buf_free(&b);
    pail_xml_begin(&x, &b);
    pail_xml_open(&x, "Bad Name");
    assert_int_equal(pail_xml_end(&x), PAIL_E_InternalError);
    pail_xml_begin(&x, &b);
    pail_xml_elem(&x, "a<b", "x");
    assert_true(x.error);
    pail_xml_begin(&x, &b);
    pail_xml_text(&x, "outside root", 12);
    assert_true(x.error);
    pail_buf_free(&b);
}

static void test_buffer_cap(void **state)
{
    struct pail_buf b;
    struct pail_xml x;
    pail_buf_init(&b, 64);
    pail_xml_begin(&x, &b);
    pail_xml_open(&x, "Root");
    pail_xml_elem(&x, "Key", "0123456789012345678901234567890123456789");
    assert_int_equal(pail_xml_end(&x), PAIL_E_InternalError);
    pail_buf_free(&b);
}

static void test_elemf_long(void **state)
{
    struct pail_buf b;
    struct pail_xml x;
    char big[1000];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    pail_buf_init(&b, 1 << 20);
    pail_xml_begin(&x, &b);
    pail_xml_elemf(&x, "Key", "%s&", big);
    assert_int_equal(pail_xml_end(&x), PAIL_OK);
    assert_int_equal(b.len, strlen(DECL) + 5 + 999 + 5 + 6);
    assert_non_null(strstr(b.data, "k&amp;</Key>"));
    pail_buf_free(&b);
}

/* Writes <Root><Key>s</Key></Root>, parses it with libxml2, returns the
 * Key's text (malloc'd) or NULL when libxml2 rejects the document. */
static char *roundtrip(const char *s, size_t n)
{
    struct pail_buf b;
    struct pail_xml x;
    pail_buf_init(&b, 1 << 20);
    pail_xml_begin(&x, &b);
    pail_xml_open_ns(&x, "Root", PAIL_XML_S3_NS);
    pail_xml_elem_n(&x, "Key", s, n);
    assert_int_equal(pail_xml_end(&x), PAIL_OK);
    xmlDocPtr doc = xmlReadMemory(b.data, (int)b.len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    pail_buf_free(&b);
    if (!doc)
        return NULL;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    assert_non_null(root);
    assert_non_null(root->children);
    xmlChar *t = xmlNodeGetContent(root->children);
    char *out = strdup(t ? (const char *)t : "");
    xmlFree(t);
    xmlFreeDoc(doc);
    return out;
}

static void test_parses_back(void **state)
{
    static const char *keys[] = {
        "plain", "a&b<c>\"d'e", "  spaces  ", "line\nbreak", "cr\rlf\r\n", "tab\there",
        "\xC3\xA9t\xC3\xA9/\xE2\x82\xAC/\xF0\x9D\x84\x9E", "]]>", "&amp;", "",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *got = roundtrip(keys[i], strlen(keys[i]));
        assert_non_null(got);
        assert_string_equal(got, keys[i]);
        free(got);
    }
    char *got = roundtrip("bad\xFFutf8", 8);
    assert_non_null(got);
    assert_string_equal(got, "bad\xEF\xBF\xBDutf8");
    free(got);
}

/* Random bytes with the C0 controls other than TAB/LF/CR removed must always
 * give a well-formed document. */
static void test_random_wellformed(void **state)
{
    uint64_t r = 12345;
    unsigned char s[64];
    for (int round = 0; round < 2000; round++) {
        size_t n = round % 64;
        for (size_t i = 0; i < n; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned char c = (unsigned char)(r >> 56);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                c = 'x';
            s[i] = c;
        }
        char *got = roundtrip((const char *)s, n);
        assert_non_null(got);
        free(got);
    }
}

/* Documents the S3-compatible trade-off: a key with a C0 control becomes
 * &#x1; exactly as AWS writes it, which strict XML 1.0 parsers refuse. */
static void test_control_char_like_s3(void **state)
{
    char *got = roundtrip("a\x01" "b", 3);
    assert_null(got);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_shape),
        cmocka_unit_test(test_escape_markup),
        cmocka_unit_test(test_escape_controls),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_nesting_and_errors),
        cmocka_unit_test(test_buffer_cap),
        cmocka_unit_test(test_elemf_long),
        cmocka_unit_test(test_parses_back),
        cmocka_unit_test(test_random_wellformed),
        cmocka_unit_test(test_control_char_like_s3),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
