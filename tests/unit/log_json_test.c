/* tests/unit/log_json_test.c — pail_log_json_str, the escaping of JSON log
 * lines: quotes, backslashes and controls escaped, valid UTF-8 kept, bytes
 * that are not UTF-8 (stray continuations, overlong forms, surrogates, past
 * U+10FFFF, cut sequences) become U+FFFD, and nothing is cut mid-escape. */
#include "core/log.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const char *esc(const char *s, size_t n, size_t cap)
{
    static char out[256];
    size_t len = pail_log_json_str(out, cap, s, n);
    out[len] = 0;
    return out;
}

#define ESC(lit) esc(lit, sizeof lit - 1, 200)

static void test_ascii_and_escapes(void **state)
{
    (void)state;
    assert_string_equal(ESC("plain /k?a=1"), "plain /k?a=1");
    assert_string_equal(ESC("q\"b\\"), "q\\\"b\\\\");
    assert_string_equal(ESC("a\tb\nc\x01\x7f"), "a\\u0009b\\u000ac\\u0001\\u007f");
    assert_string_equal(esc("a\0b", 3, 200), "a\\u0000b");
}

static void test_utf8_kept(void **state)
{
    (void)state;
    assert_string_equal(ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
                        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void test_not_utf8_replaced(void **state)
{
    (void)state;
    const char *fffd = "\xef\xbf\xbd";
    char want[64];
    assert_string_equal(ESC("\xff"), fffd);
    assert_string_equal(ESC("\x80"), fffd);                 /* stray continuation */
    assert_string_equal(ESC("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong '/' */
    snprintf(want, sizeof want, "%s%s%s", fffd, fffd, fffd);
    assert_string_equal(ESC("\xed\xa0\x80"), want);         /* a surrogate */
    snprintf(want, sizeof want, "%s%s%s%s", fffd, fffd, fffd, fffd);
    assert_string_equal(ESC("\xf4\x90\x80\x80"), want);     /* past U+10FFFF */
    snprintf(want, sizeof want, "%sx", fffd);
    assert_string_equal(ESC("\xc3x"), want);                 /* cut sequence */
}

static void test_never_cut_mid_escape(void **state)
{
    (void)state;
    assert_string_equal(esc("ab\"c", 4, 3), "ab");        /* \" does not fit in 1 */
    assert_string_equal(esc("a\x01", 2, 6), "a");          /* \u0001 needs 6 */
    assert_string_equal(esc("a\xc3\xa9", 3, 2), "a");      /* é needs 2 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_and_escapes),
        cmocka_unit_test(test_utf8_kept),
        cmocka_unit_test(test_not_utf8_replaced),
        cmocka_unit_test(test_never_cut_mid_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
