/* tests/unit/time_test.c — util/time: exact formatting, the three HTTP date
 * forms, x-amz-date, ISO 8601 with zones, impossible dates, every truncation
 * of valid inputs (ASan catches over-reads), round trips, locale independence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/time.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define T1994 ((time_t)784111777) /* Sun, 06 Nov 1994 08:49:37 GMT */

static void test_format_iso8601(void **state)
{
    char b[32];
    pail_time_iso8601(0, b);
    assert_string_equal(b, "1970-01-01T00:00:00.000Z");
    pail_time_iso8601(1546300800000LL, b);
    assert_string_equal(b, "2019-01-01T00:00:00.000Z");
    pail_time_iso8601(1546300800123LL, b);
    assert_string_equal(b, "2019-01-01T00:00:00.123Z");
    pail_time_iso8601(-1, b);
    assert_string_equal(b, "1969-12-31T23:59:59.999Z");
    pail_time_iso8601(951782400000LL, b);
    assert_string_equal(b, "2000-02-29T00:00:00.000Z");
    pail_time_iso8601(INT64_MAX, b);
    assert_string_equal(b, "9999-12-31T23:59:59.999Z");
    pail_time_iso8601(INT64_MIN, b);
    assert_string_equal(b, "0000-01-01T00:00:00.000Z");
}

static void test_format_http_and_amz(void **state)
{
    char b[40], z[20];
    pail_time_http(1445412480, b);
    assert_string_equal(b, "Wed, 21 Oct 2015 07:28:00 GMT");
    pail_time_http(T1994, b);
    assert_string_equal(b, "Sun, 06 Nov 1994 08:49:37 GMT");
    pail_time_http(0, b);
    assert_string_equal(b, "Thu, 01 Jan 1970 00:00:00 GMT");
    pail_time_amz(1369353600, z);
    assert_string_equal(z, "20130524T000000Z");
    pail_time_amz(T1994, z);
    assert_string_equal(z, "19941106T084937Z");
}

static void expect_http(const char *s, time_t want)
{
    time_t t = 0;
    if (!pail_time_parse_http(s, &t))
        fail_msg("rejected: \"%s\"", s);
    if (t != want)
        fail_msg("\"%s\": got %lld want %lld", s, (long long)t, (long long)want);
}

static void expect_http_bad(const char *s)
{
    time_t t = 42;
    if (pail_time_parse_http(s, &t))
        fail_msg("accepted: \"%s\"", s);
    assert_int_equal(t, 42);
}

static void test_parse_http_forms(void **state)
{
    expect_http("Sun, 06 Nov 1994 08:49:37 GMT", T1994);
    expect_http("Sunday, 06-Nov-94 08:49:37 GMT", T1994);
    expect_http("Sun Nov  6 08:49:37 1994", T1994);
    expect_http("Sun Nov 06 08:49:37 1994", T1994);
    expect_http("sun, 06 nov 1994 08:49:37 GMT", T1994);
    expect_http("Sun, 6 Nov 1994 08:49:37 GMT", T1994);
    expect_http("Sun, 06 Nov 1994 08:49:37 UTC", T1994);
    expect_http("Sun, 06 Nov 1994 08:49:37 +0000", T1994);
    expect_http("  Sun, 06 Nov 1994 08:49:37 GMT  ", T1994);
    /* The weekday is not cross-checked (RFC 9110 allows ignoring it). */
    expect_http("Mon, 06 Nov 1994 08:49:37 GMT", T1994);
    expect_http("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480);
    expect_http("Tue, 29 Feb 2000 00:00:00 GMT", 951782400);
    expect_http("Thu, 31 Dec 2015 23:59:60 GMT", 1451606400); /* leap second */
}

static void test_parse_http_rfc850_years(void **state)
{
    /* Two-digit years are never more than 50 years ahead of now (these
     * expectations hold from 1980 until 2049). */
    expect_http("Friday, 01-Jan-99 00:00:00 GMT", 915148800);   /* 1999 */
    expect_http("Tuesday, 01-Jan-30 00:00:00 GMT", 1893456000); /* 2030 */
}

static void test_parse_http_bad(void **state)
{
    static const char *bad[] = {
        "", " ", "garbage", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 PST",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 29 Feb 1900 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Sun 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT x", "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov  6 08:49:37 94", "Sun Nov  6 08:49:37 1994 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
        "1994-11-06T08:49:37Z", "Sun, -6 Nov 1994 08:49:37 GMT",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_http_bad(bad[i]);
    time_t t;
    assert_false(pail_time_parse_http(NULL, &t));
}

/* Every proper prefix of a valid date is invalid and must not over-read
 * (each prefix is a separate heap copy so ASan sees the exact end). */
static void test_truncations(void **state)
{
    static const char *good[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994", "20130524T000000Z", "2013-05-24T00:00:00.123+02:00",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        size_t n = strlen(good[i]);
        for (size_t k = 0; k < n; k++) {
            char *p = malloc(k + 1);
            assert_non_null(p);
            memcpy(p, good[i], k);
            p[k] = 0;
            time_t t;
            bool ok = pail_time_parse_http(p, &t) || pail_time_parse_amz(p, &t);
            /* "...+02" is not a valid zone, "...:00.1" lacks one: all false */
            ok = ok || pail_time_parse_iso8601(p, &t);
            if (ok)
                fail_msg("prefix accepted: \"%s\"", p);
            free(p);
        }
    }
}

static void test_parse_amz(void **state)
{
    time_t t;
    assert_true(pail_time_parse_amz("20130524T000000Z", &t));
    assert_int_equal(t, 1369353600);
    assert_true(pail_time_parse_amz("19941106T084937Z", &t));
    assert_int_equal(t, T1994);
    assert_false(pail_time_parse_amz("20130524T000000", &t));
    assert_false(pail_time_parse_amz("20130524T000000Z ", &t));
    assert_false(pail_time_parse_amz("20130524t000000z", &t));
    assert_false(pail_time_parse_amz("20131324T000000Z", &t));
    assert_false(pail_time_parse_amz("20130230T000000Z", &t));
    assert_false(pail_time_parse_amz("2013-05-24T00:00:00Z", &t));
    assert_false(pail_time_parse_amz(NULL, &t));
}

static void test_parse_iso8601(void **state)
{
    time_t t;
    assert_true(pail_time_parse_iso8601("2013-05-24T00:00:00Z", &t));
    assert_int_equal(t, 1369353600);
    assert_true(pail_time_parse_iso8601("2013-05-24T00:00:00.000Z", &t));
    assert_int_equal(t, 1369353600);
    assert_true(pail_time_parse_iso8601("2013-05-24T00:00:00.123456789Z", &t));
    assert_int_equal(t, 1369353600);
    assert_true(pail_time_parse_iso8601("2013-05-24T02:00:00+02:00", &t));
    assert_int_equal(t, 1369353600);
    assert_true(pail_time_parse_iso8601("2013-05-23T18:30:00-0530", &t));
    assert_int_equal(t, 1369353600);
    assert_true(pail_time_parse_iso8601("2007-12-01T12:00:00.000Z", &t));
    assert_int_equal(t, 1196510400);
    static const char *bad[] = {
        "2013-05-24T00:00:00", "2013-05-24", "2013-05-24 00:00:00Z", "2013-13-24T00:00:00Z",
        "2013-05-24T00:00:00.Z", "2013-05-24T00:00:00+2:00", "2013-05-24T00:00:00+24:00",
        "2013-05-24T00:00:00Zjunk", "13-05-24T00:00:00Z", "2013-5-24T00:00:00Z", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (pail_time_parse_iso8601(bad[i], &t))
            fail_msg("accepted: \"%s\"", bad[i]);
}

static void test_round_trips(void **state)
{
    uint64_t r = 7;
    for (int i = 0; i < 5000; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        time_t t = (time_t)((r >> 20) % 253402300800ULL); /* 1970..9999 */
        char h[40], z[20], iso[32];
        time_t back;
        pail_time_http(t, h);
        assert_true(pail_time_parse_http(h, &back));
        assert_int_equal(back, t);
        pail_time_amz(t, z);
        assert_true(pail_time_parse_amz(z, &back));
        assert_int_equal(back, t);
        pail_time_iso8601((int64_t)t * 1000 + 999, iso);
        assert_true(pail_time_parse_iso8601(iso, &back));
        assert_int_equal(back, t);
    }
}

static void test_locale_independent(void **state)
{
    const char *locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "C.UTF-8"};
    for (size_t i = 0; i < 3; i++) {
        if (!setlocale(LC_ALL, locales[i]))
            continue;
        char b[40];
        pail_time_http(T1994, b);
        assert_string_equal(b, "Sun, 06 Nov 1994 08:49:37 GMT");
        expect_http("Sun, 06 Nov 1994 08:49:37 GMT", T1994);
    }
    setlocale(LC_ALL, "C");
}

static void test_now(void **state)
{
    int64_t a = pail_time_now_ms();
    time_t s = time(NULL);
    assert_true(a > 1577836800000LL); /* after 2020 */
    assert_true(a / 1000 - s <= 1 && s - a / 1000 <= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_iso8601),
        cmocka_unit_test(test_format_http_and_amz),
        cmocka_unit_test(test_parse_http_forms),
        cmocka_unit_test(test_parse_http_rfc850_years),
        cmocka_unit_test(test_parse_http_bad),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_parse_amz),
        cmocka_unit_test(test_parse_iso8601),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_locale_independent),
        cmocka_unit_test(test_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
