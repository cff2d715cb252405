/* tests/unit/head_scan_test.c — http/head_scan: complete heads with CRLF and
 * bare LF, every prefix of a valid head is "more", each raw-byte rule
 * (first byte, request line, obs-fold, NUL, bare CR, colon) also where the
 * scanner takes eight bytes at a time, the size limit;
 * on a TLS port, the first record's shape (pail_hello_scan). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http/head_scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT 16384

static enum pail_head scan(const char *s)
{
    return pail_head_scan(s, strlen(s), LIMIT, NULL);
}

/* With a length, for heads that hold a NUL. */
static enum pail_head scan_n(const char *s, size_t n)
{
    return pail_head_scan(s, n, LIMIT, NULL);
}

static void test_complete_heads(void **state)
{
    const char *crlf = "GET /b/k?x=1 HTTP/1.1\r\nHost: h\r\nX-A: a\tb\r\n\r\nBODY";
    size_t len = 0;
    assert_int_equal(pail_head_scan(crlf, strlen(crlf), LIMIT, &len), PAIL_HEAD_DONE);
    assert_int_equal(len, strlen(crlf) - 4);
    assert_int_equal(scan("GET / HTTP/1.0\n\n"), PAIL_HEAD_DONE);
    assert_int_equal(scan("PUT / HTTP/1.1\nHost: h\n\n"), PAIL_HEAD_DONE);
    assert_int_equal(scan("GET / HTTP/1.1\r\nHost: h\n\r\n"), PAIL_HEAD_DONE);
    assert_int_equal(scan("GET http://h:9/b HTTP/1.1\r\nHost: h\r\n\r\n"), PAIL_HEAD_DONE);
    assert_int_equal(scan("GET /\xc3\xa9 HTTP/1.1\r\nX: \xc3\xa9\r\n\r\n"), PAIL_HEAD_DONE);
}

static void test_every_prefix_is_more(void **state)
{
    const char *h = "POST /b?delete HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
    size_t n = strlen(h);
    for (size_t i = 0; i < n; i++) {
        char *p = malloc(i ? i : 1); /* exact size: ASan catches a read past it */
        memcpy(p, h, i);
        assert_int_equal(pail_head_scan(p, i, LIMIT, NULL), PAIL_HEAD_MORE);
        free(p);
    }
}

static void test_first_byte(void **state)
{
    assert_int_equal(scan_n("\x16\x03\x01\x02\x00", 5), PAIL_HEAD_BAD); /* TLS ClientHello */
    assert_int_equal(scan("\x16"), PAIL_HEAD_BAD);
    assert_int_equal(scan("get / HTTP/1.1\r\n\r\n"), PAIL_HEAD_BAD);
    assert_int_equal(scan("\r\nGET / HTTP/1.1\r\n\r\n"), PAIL_HEAD_BAD);
    assert_int_equal(scan(" GET"), PAIL_HEAD_BAD);
    assert_int_equal(scan("G"), PAIL_HEAD_MORE);
}

static void test_request_lines(void **state)
{
    static const char *const bad[] = {
        "GET / HTTP/1.1 \r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.x\r\n\r\n", "GET /\r\n\r\n", "GET\r\n\r\n", "GET /a b HTTP/1.1\r\n\r\n",
        "GET /\t HTTP/1.1\r\n\r\n", "GET / http/1.1\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.11\r\n\r\n", "GARBAGE\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(scan(bad[i]), PAIL_HEAD_BAD);
    /* refused before the line ends: not a method */
    assert_int_equal(scan("GE\x01"), PAIL_HEAD_BAD);
    assert_int_equal(scan("GE(T"), PAIL_HEAD_BAD);
    assert_int_equal(scan("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ"), PAIL_HEAD_BAD);
}

static void test_field_rules(void **state)
{
    assert_int_equal(scan("GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"), PAIL_HEAD_BAD); /* obs-fold */
    assert_int_equal(scan("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n"), PAIL_HEAD_BAD);
    assert_int_equal(scan("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), PAIL_HEAD_BAD);
    assert_int_equal(scan("GET / HTTP/1.1\r\nX-A: a\r\n "), PAIL_HEAD_BAD); /* early */
    const char nul[] = "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n";
    assert_int_equal(scan_n(nul, sizeof nul - 1), PAIL_HEAD_BAD);
    const char nul_line[] = "GET /\0 HTTP/1.1\r\n\r\n";
    assert_int_equal(scan_n(nul_line, sizeof nul_line - 1), PAIL_HEAD_BAD);
    assert_int_equal(scan("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"), PAIL_HEAD_BAD); /* bare CR */
    assert_int_equal(scan("GET / HTTP/1.1\rX"), PAIL_HEAD_BAD);
    assert_int_equal(scan("GET / HTTP/1.1\r\nX-A: a\r\r\n\r\n"), PAIL_HEAD_BAD);
    assert_int_equal(scan("GET / HTTP/1.1\r\nX-A: a\r"), PAIL_HEAD_MORE); /* LF may follow */
    assert_int_equal(scan("GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n"), PAIL_HEAD_BAD);
    assert_int_equal(scan("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), PAIL_HEAD_BAD);
    assert_int_equal(scan("GET / HTTP/1.1\r\n: v\r\n\r\n"), PAIL_HEAD_BAD);
}

static void test_limit(void **state)
{
    size_t limit = 64;
    char *h = malloc(200);
    memset(h, 'a', 200);
    memcpy(h, "GET / HTTP/1.1\r\nX: ", 19);
    assert_int_equal(pail_head_scan(h, 63, limit, NULL), PAIL_HEAD_MORE);
    assert_int_equal(pail_head_scan(h, 64, limit, NULL), PAIL_HEAD_TOO_BIG);
    assert_int_equal(pail_head_scan(h, 200, limit, NULL), PAIL_HEAD_TOO_BIG);
    /* a head of exactly the limit fits */
    memcpy(h + 60, "\r\n\r\n", 4);
    size_t len = 0;
    assert_int_equal(pail_head_scan(h, 200, limit, &len), PAIL_HEAD_DONE);
    assert_int_equal(len, 64);
    free(h);
}

static void test_field_count(void **state)
{
    const char *three = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
    size_t n = strlen(three);
    assert_int_equal(pail_head_scan_fields(three, n, LIMIT, 3, NULL), PAIL_HEAD_DONE);
    assert_int_equal(pail_head_scan_fields(three, n, LIMIT, 2, NULL), PAIL_HEAD_TOO_BIG);
    assert_int_equal(pail_head_scan_fields(three, n, LIMIT, 0, NULL), PAIL_HEAD_TOO_BIG);
    /* the count is of ended lines: a third field still arriving is MORE */
    assert_int_equal(pail_head_scan_fields(three, 30, LIMIT, 2, NULL), PAIL_HEAD_MORE);
    assert_int_equal(pail_head_scan_fields("GET / HTTP/1.0\r\n\r\n", 18, LIMIT, 0, NULL),
                     PAIL_HEAD_DONE);
}

static enum pail_head hello(const char *s, size_t n, size_t limit, int *plain)
{
    char *p = malloc(n ? n : 1); /* exact size: ASan catches a read past it */
    memcpy(p, s, n);
    enum pail_head h = pail_hello_scan(p, n, limit, plain);
    free(p);
    return h;
}

static void test_tls_hello(void **state)
{
    /* A handshake record of 0x0105 bytes: more until all 5 + 261 are there. */
    char rec[5 + 261] = {0x16, 0x03, 0x01, 0x01, 0x05};
    int plain = -1;
    for (size_t i = 0; i < sizeof rec; i++)
        assert_int_equal(hello(rec, i, LIMIT, &plain), PAIL_HEAD_MORE);
    assert_int_equal(hello(rec, sizeof rec, LIMIT, &plain), PAIL_HEAD_DONE);
    assert_int_equal(plain, 0);
    /* a hello longer than the peek: judged done at the limit */
    assert_int_equal(hello(rec, 100, 100, &plain), PAIL_HEAD_DONE);
    /* plain HTTP, told apart from other bytes */
    assert_int_equal(hello("GET / HTTP/1.1\r\n", 16, LIMIT, &plain), PAIL_HEAD_BAD);
    assert_int_equal(plain, 1);
    assert_int_equal(hello("\x00\x01", 2, LIMIT, &plain), PAIL_HEAD_BAD);
    assert_int_equal(plain, 0);
    /* not TLS 3.x, an empty record, one over RFC 8446's bound */
    assert_int_equal(hello("\x16\x02", 2, LIMIT, &plain), PAIL_HEAD_BAD);
    assert_int_equal(hello("\x16\x03\x01\x00\x00", 5, LIMIT, &plain), PAIL_HEAD_BAD);
    assert_int_equal(hello("\x16\x03\x01\xff\xff", 5, LIMIT, &plain), PAIL_HEAD_BAD);
    assert_int_equal(hello("", 0, LIMIT, &plain), PAIL_HEAD_MORE);
}

/* The target and plain field values are taken eight bytes at a time: a
 * forbidden byte is found in every lane of a word and past it, and the
 * bytes the rules allow (HTAB, SP in a value, 0x80 and up) pass in any lane. */
static void test_runs_in_every_lane(void **state)
{
    const char value_head[] = "GET / HTTP/1.1\r\nX-A: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\r\n\r\n";
    const char target_head[] = "GET /tttttttttttttttttttttttttttttttt HTTP/1.1\r\nHost: h\r\n\r\n";
    enum { VALUE_AT = 21, TARGET_AT = 5 }; /* the first 'v', the first 't' */
    const unsigned char bad_in_value[] = {0x00, 0x01, 0x0b, 0x1f, 0x7f, '\r'};
    const unsigned char good_in_value[] = {'\t', ' ', 0x80, 0xa0, 0xfe, 0xff, '~', '!'};
    /* in the target, a blank ends it early: the line is then malformed */
    const unsigned char bad_in_target[] = {' ', '\t', 0x00, 0x7f};
    char head[sizeof value_head > sizeof target_head ? sizeof value_head : sizeof target_head];
    for (size_t at = 0; at < 24; at++) {
        for (size_t k = 0; k < sizeof bad_in_value + sizeof good_in_value; k++) {
            bool bad = k < sizeof bad_in_value;
            memcpy(head, value_head, sizeof value_head);
            head[VALUE_AT + at] =
                (char)(bad ? bad_in_value[k] : good_in_value[k - sizeof bad_in_value]);
            assert_int_equal(scan_n(head, sizeof value_head - 1),
                             bad ? PAIL_HEAD_BAD : PAIL_HEAD_DONE);
        }
        for (size_t k = 0; k <= sizeof bad_in_target; k++) {
            bool bad = k < sizeof bad_in_target;
            memcpy(head, target_head, sizeof target_head);
            head[TARGET_AT + at] = (char)(bad ? bad_in_target[k] : 0xc3);
            assert_int_equal(scan_n(head, sizeof target_head - 1),
                             bad ? PAIL_HEAD_BAD : PAIL_HEAD_DONE);
        }
    }
}

/* The streaming scanner, fed one piece at a time, agrees with the whole-
 * buffer scan on every split of every head, at the same byte. */
static void test_stream_splits(void **state)
{
    static const char *heads[] = {
        "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
        "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n",      /* obs-fold */
        "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",          /* bare CR */
        "GET / HTTP/1.1\r\n: v\r\n\r\n",                /* empty name */
        "GET  / HTTP/1.1\r\n\r\n",                       /* empty target */
        "GET / HTTP/1.12\r\n\r\n",
        "GET / HTTP/1.1\nHost: h\n\n",
    };
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        size_t n = strlen(heads[i]), whole_len = 0;
        enum pail_head whole = pail_head_scan(heads[i], n, LIMIT, &whole_len);
        for (size_t cut = 0; cut <= n; cut++) {
            struct pail_head_stream st;
            pail_head_stream_init(&st);
            size_t used = 0;
            enum pail_head h = pail_head_stream_feed(&st, heads[i], cut, LIMIT, SIZE_MAX, &used);
            size_t at = 0;
            if (h == PAIL_HEAD_MORE) {
                at = cut;
                h = pail_head_stream_feed(&st, heads[i] + cut, n - cut, LIMIT, SIZE_MAX, &used);
            }
            assert_int_equal(h, whole);
            if (h == PAIL_HEAD_DONE)
                assert_int_equal(at + used, whole_len);
        }
    }
}

/* The body's framing as the guard reads it from the raw head. */
static void test_stream_framing(void **state)
{
    static const struct {
        const char *head;
        unsigned lengths;
        unsigned long long length;
        int bad, chunked;
    } cases[] = {
        {"PUT / HTTP/1.1\r\ncontent-LENGTH:  42 \r\n\r\n", 1, 42, 0, 0},
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0, 0, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 4 2\r\n\r\n", 1, 4, 1, 0},
        {"PUT / HTTP/1.1\r\nContent-Length:\r\n\r\n", 1, 0, 1, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 1, 0, 1, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 2, 2, 0, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, 0, 1},
        {"PUT / HTTP/1.1\r\nX-Content-Length: 5\r\nContent-Lengths: 6\r\n\r\n", 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pail_head_stream st;
        pail_head_stream_init(&st);
        assert_int_equal(pail_head_stream_feed(&st, cases[i].head, strlen(cases[i].head), LIMIT,
                                               SIZE_MAX, NULL),
                         PAIL_HEAD_DONE);
        assert_int_equal(st.content_lengths, cases[i].lengths);
        assert_int_equal(st.length_bad, cases[i].bad);
        assert_int_equal(st.chunked, cases[i].chunked);
        if (!cases[i].bad)
            assert_int_equal(st.length, cases[i].length);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_heads),  cmocka_unit_test(test_every_prefix_is_more),
        cmocka_unit_test(test_first_byte),      cmocka_unit_test(test_request_lines),
        cmocka_unit_test(test_field_rules),     cmocka_unit_test(test_limit),
        cmocka_unit_test(test_tls_hello),       cmocka_unit_test(test_field_count),
        cmocka_unit_test(test_stream_splits),   cmocka_unit_test(test_stream_framing),
        cmocka_unit_test(test_runs_in_every_lane),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
