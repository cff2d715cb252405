/* tests/unit/aws_chunked_test.c — http/aws_chunked.c: AWS's published chunked
 * upload examples (S3 API reference, "Transferring Payload in Multiple Chunks"
 * and "Signature calculations for trailing headers": 65536 + 1024 bytes of
 * 'a', seed 4f232c43... / 106e2a8a...), fed whole, byte by byte and in random
 * splits; tampering, truncation, hostile framing, and unsigned trailer
 * streams as the JS SDK and boto3 over https send them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "auth/auth.h"
#include "auth/sigv4.h"
#include "core/arena.h"
#include "http/aws_chunked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DATE "20130524T000000Z"
#define SCOPE "20130524/us-east-1/s3/aws4_request"
#define SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define SEED_TRAILER "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"

/* ---- helpers ------------------------------------------------------------ */

struct bytes {
    char *p;
    size_t len, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void puts_(struct bytes *b, const char *s) { put(b, s, strlen(s)); }

static void put_a(struct bytes *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, "a", 1);
}

/* Collects decoded output; fails with fail_err once more than limit bytes. */
struct sink {
    struct bytes out;
    size_t limit;
    enum pail_err fail_err;
};

static enum pail_err on_data(void *ctx, const void *p, size_t n)
{
    struct sink *s = ctx;
    if (s->limit && s->out.len + n > s->limit)
        return s->fail_err;
    put(&s->out, p, n);
    return PAIL_OK;
}

static unsigned char example_key[32];

static struct pail_awschunked_cfg signed_cfg(struct sink *s, const char *seed, bool trailer)
{
    pail_sigv4_signing_key(SK, "20130524", "us-east-1", "s3", example_key);
    struct pail_awschunked_cfg c = {
        .verify_chunks = true, .trailer_signed = trailer, .signing_key = example_key,
        .amz_date = DATE, .scope = SCOPE, .seed_signature = seed, .on_data = on_data, .ctx = s,
    };
    return c;
}

static struct pail_awschunked_cfg unsigned_cfg(struct sink *s)
{
    struct pail_awschunked_cfg c = {.on_data = on_data, .ctx = s};
    return c;
}

/* AWS's multiple-chunks example body, 66824 bytes (its Content-Length). */
static struct bytes aws_body(void)
{
    struct bytes b = {0};
    puts_(&b, "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    put_a(&b, 65536);
    puts_(&b, "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    put_a(&b, 1024);
    puts_(&b, "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    return b;
}

/* AWS's trailing-headers example body (CRC32C trailer, signed). */
static struct bytes aws_trailer_body(const char *trailer_eol)
{
    struct bytes b = {0};
    puts_(&b, "10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n");
    put_a(&b, 65536);
    puts_(&b, "\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
    put_a(&b, 1024);
    puts_(&b, "\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    puts_(&b, "x-amz-checksum-crc32c:sOO8/Q==");
    puts_(&b, trailer_eol);
    puts_(&b, "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n");
    return b;
}

/* Feeds b in pieces of the given sizes (cycled); returns feed's/finish's result. */
static enum pail_err run(const struct pail_awschunked_cfg *c, const struct bytes *b,
                         size_t (*piece)(size_t at, void *arg), void *arg,
                         struct pail_arena **arena_out, struct pail_awschunked **d_out)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_awschunked *d = pail_awschunked_new(a, c);
    enum pail_err e = PAIL_OK;
    for (size_t at = 0; at < b->len && !e;) {
        size_t n = piece ? piece(at, arg) : b->len;
        if (n > b->len - at)
            n = b->len - at;
        e = pail_awschunked_feed(d, b->p + at, n);
        at += n;
    }
    if (!e)
        e = pail_awschunked_finish(d);
    if (arena_out) {
        *arena_out = a;
        *d_out = d;
    } else {
        pail_arena_free(a);
    }
    return e;
}

static size_t one_byte(size_t at, void *arg) { return 1; }

static size_t random_piece(size_t at, void *arg)
{
    unsigned *seed = arg;
    *seed = *seed * 1103515245u + 12345u;
    unsigned r = (*seed >> 8) % 100;
    /* Mostly tiny pieces so every framing boundary gets split, some large. */
    return r < 70 ? 1 + r % 7 : r < 95 ? 1 + (*seed >> 4) % 200 : 1 + (*seed >> 4) % 70000;
}

static bool all_a(const struct bytes *b, size_t n)
{
    if (b->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (b->p[i] != 'a')
            return false;
    return true;
}

/* ---- AWS examples ------------------------------------------------------- */

static void test_aws_example_whole(void **state)
{
    struct bytes b = aws_body();
    assert_int_equal(b.len, 66824);
    struct sink s = {0};
    struct pail_awschunked_cfg c = signed_cfg(&s, SEED, false);
    struct pail_arena *a;
    struct pail_awschunked *d;
    assert_int_equal(run(&c, &b, NULL, NULL, &a, &d), PAIL_OK);
    assert_true(all_a(&s.out, 66560));
    assert_int_equal(pail_awschunked_decoded_len(d), 66560);
    assert_int_equal(pail_awschunked_trailer_count(d), 0);
    assert_null(pail_awschunked_error_detail(d));
    pail_arena_free(a);
    free(s.out.p);
    free(b.p);
}

static void test_aws_example_byte_by_byte(void **state)
{
    struct bytes b = aws_body();
    struct sink s = {0};
    struct pail_awschunked_cfg c = signed_cfg(&s, SEED, false);
    assert_int_equal(run(&c, &b, one_byte, NULL, NULL, NULL), PAIL_OK);
    assert_true(all_a(&s.out, 66560));
    free(s.out.p);
    free(b.p);
}

static void test_aws_example_random_splits(void **state)
{
    struct bytes b = aws_body();
    for (unsigned seed = 1; seed <= 40; seed++) {
        struct sink s = {0};
        struct pail_awschunked_cfg c = signed_cfg(&s, SEED, false);
        unsigned rng = seed;
        assert_int_equal(run(&c, &b, random_piece, &rng, NULL, NULL), PAIL_OK);
        assert_true(all_a(&s.out, 66560));
        free(s.out.p);
    }
    free(b.p);
}

static void test_aws_trailer_example(void **state)
{
    const char *eols[] = {"\r\n", "\n"}; /* AWS's own example ends that line with LF */
    for (size_t k = 0; k < 2; k++) {
        struct bytes b = aws_trailer_body(eols[k]);
        for (unsigned seed = 0; seed <= 20; seed++) {
            struct sink s = {0};
            struct pail_awschunked_cfg c = signed_cfg(&s, SEED_TRAILER, true);
            struct pail_arena *a;
            struct pail_awschunked *d;
            unsigned rng = seed;
            assert_int_equal(run(&c, &b, seed ? random_piece : NULL, &rng, &a, &d), PAIL_OK);
            assert_true(all_a(&s.out, 66560));
            assert_string_equal(pail_awschunked_trailer(d, "x-amz-checksum-crc32c"), "sOO8/Q==");
            assert_null(pail_awschunked_trailer(d, "x-amz-trailer-signature"));
            assert_int_equal(pail_awschunked_trailer_count(d), 1);
            pail_arena_free(a);
            free(s.out.p);
        }
        free(b.p);
    }
}

/* ---- tampering ---------------------------------------------------------- */

static void expect_bad(struct bytes *b, const char *seed, bool trailer, enum pail_err want)
{
    for (int mode = 0; mode < 2; mode++) {
        struct sink s = {0};
        struct pail_awschunked_cfg c = signed_cfg(&s, seed, trailer);
        struct pail_arena *a;
        struct pail_awschunked *d;
        assert_int_equal(run(&c, b, mode ? one_byte : NULL, NULL, &a, &d), want);
        assert_non_null(pail_awschunked_error_detail(d));
        /* Errors are sticky. */
        assert_int_equal(pail_awschunked_feed(d, "0\r\n\r\n", 5), want);
        assert_int_equal(pail_awschunked_finish(d), want);
        pail_arena_free(a);
        free(s.out.p);
    }
}

static void test_tampered_data(void **state)
{
    struct bytes b = aws_body();
    b.p[1000] = 'b';
    expect_bad(&b, SEED, false, PAIL_E_SignatureDoesNotMatch);
    free(b.p);
}

static void test_tampered_signature_and_seed(void **state)
{
    struct bytes b = aws_body();
    expect_bad(&b, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a8", false,
               PAIL_E_SignatureDoesNotMatch);
    char *p = strstr(b.p, "0055627c");
    p[0] = '1';
    expect_bad(&b, SEED, false, PAIL_E_SignatureDoesNotMatch);
    free(b.p);
}

static void test_reordered_chunks_fail(void **state)
{
    /* A valid final chunk replayed early breaks the chain. */
    struct bytes b = {0};
    puts_(&b, "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    expect_bad(&b, SEED, false, PAIL_E_SignatureDoesNotMatch);
    free(b.p);
}

static void test_missing_chunk_signature(void **state)
{
    struct bytes b = {0};
    puts_(&b, "5\r\nhello\r\n0\r\n\r\n");
    expect_bad(&b, SEED, false, PAIL_E_SignatureDoesNotMatch);
    free(b.p);
    b = (struct bytes){0};
    puts_(&b, "5;chunk-signature=abcd\r\nhello\r\n0\r\n\r\n");
    expect_bad(&b, SEED, false, PAIL_E_SignatureDoesNotMatch);
    free(b.p);
}

static void test_tampered_trailer(void **state)
{
    struct bytes b = aws_trailer_body("\r\n");
    char *p = strstr(b.p, "sOO8/Q==");
    p[0] = 't';
    expect_bad(&b, SEED_TRAILER, true, PAIL_E_SignatureDoesNotMatch);
    free(b.p);

    /* Trailer signature dropped. */
    b = aws_trailer_body("\r\n");
    p = strstr(b.p, "x-amz-trailer-signature");
    memcpy(p, "\r\n", 3);
    b.len = strlen(b.p);
    expect_bad(&b, SEED_TRAILER, true, PAIL_E_SignatureDoesNotMatch);
    free(b.p);

    /* A trailer smuggled in after the signature. */
    b = aws_trailer_body("\r\n");
    b.len -= 2;
    puts_(&b, "x-amz-meta-evil:1\r\n\r\n");
    expect_bad(&b, SEED_TRAILER, true, PAIL_E_InvalidRequest);
    free(b.p);
}

/* ---- truncation --------------------------------------------------------- */

static void test_truncated(void **state)
{
    struct bytes full = aws_body();
    /* Layout: size line [0,88), data to 65624, CRLF, size line [65626,65712),
     * data to 66736, CRLF, final size line [66738,66822), empty line. */
    size_t cuts[] = {0, 5, 86, 87, 88, 1000, 65624, 65625, 65626, 65700, 66735, 66736, 66737,
                     66738, 66800, 66821};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        struct bytes b = full;
        b.len = cuts[i];
        struct sink s = {0};
        struct pail_awschunked_cfg c = signed_cfg(&s, SEED, false);
        assert_int_equal(run(&c, &b, NULL, NULL, NULL, NULL), PAIL_E_IncompleteBody);
        free(s.out.p);
    }
    /* Everything but the final empty line: tolerated. */
    struct bytes b = full;
    b.len = full.len - 2;
    struct sink s = {0};
    struct pail_awschunked_cfg c = signed_cfg(&s, SEED, false);
    assert_int_equal(run(&c, &b, one_byte, NULL, NULL, NULL), PAIL_OK);
    assert_true(all_a(&s.out, 66560));
    free(s.out.p);
    /* ...and with only the CR of it. */
    b.len = full.len - 1;
    s = (struct sink){0};
    assert_int_equal(run(&c, &b, NULL, NULL, NULL, NULL), PAIL_OK);
    free(s.out.p);
    free(full.p);
}

/* ---- hostile framing ---------------------------------------------------- */

static void expect_unsigned(const char *body, enum pail_err want)
{
    struct bytes b = {0};
    puts_(&b, body);
    for (int mode = 0; mode < 2; mode++) {
        struct sink s = {0};
        struct pail_awschunked_cfg c = unsigned_cfg(&s);
        assert_int_equal(run(&c, &b, mode ? one_byte : NULL, NULL, NULL, NULL), want);
        free(s.out.p);
    }
    free(b.p);
}

static void test_oversized_line(void **state)
{
    struct bytes b = {0};
    for (int i = 0; i < 5000; i++)
        puts_(&b, "1");
    puts_(&b, "\r\n");
    for (int mode = 0; mode < 2; mode++) {
        struct sink s = {0};
        struct pail_awschunked_cfg c = unsigned_cfg(&s);
        struct pail_arena *a;
        struct pail_awschunked *d;
        assert_int_equal(run(&c, &b, mode ? one_byte : NULL, NULL, &a, &d), PAIL_E_InvalidRequest);
        assert_non_null(strstr(pail_awschunked_error_detail(d), "4096"));
        pail_arena_free(a);
    }
    free(b.p);
    /* An endless extension is cut off the same way. */
    b = (struct bytes){0};
    puts_(&b, "5;x=");
    for (int i = 0; i < 5000; i++)
        puts_(&b, "y");
    struct sink s = {0};
    struct pail_awschunked_cfg c = unsigned_cfg(&s);
    assert_int_equal(run(&c, &b, NULL, NULL, NULL, NULL), PAIL_E_InvalidRequest);
    free(b.p);
    /* And an endless trailer line. */
    b = (struct bytes){0};
    puts_(&b, "0\r\nx-amz-meta:");
    for (int i = 0; i < 5000; i++)
        puts_(&b, "y");
    assert_int_equal(run(&c, &b, one_byte, NULL, NULL, NULL), PAIL_E_InvalidRequest);
    free(b.p);
}

static void test_malformed_framing(void **state)
{
    expect_unsigned("zz\r\nhi\r\n0\r\n\r\n", PAIL_E_InvalidRequest);
    expect_unsigned("\r\nhi\r\n0\r\n\r\n", PAIL_E_InvalidRequest);
    expect_unsigned("2 x\r\nhi\r\n0\r\n\r\n", PAIL_E_InvalidRequest);
    expect_unsigned("2\r\nhiX\r\n0\r\n\r\n", PAIL_E_InvalidRequest);
    expect_unsigned("2\r\nhi\rX0\r\n\r\n", PAIL_E_InvalidRequest);
    expect_unsigned("2\r\nhi\r\n0\r\n\r\nextra", PAIL_E_InvalidRequest);
    expect_unsigned("2\r\nhi\r\n0\r\nno-colon\r\n\r\n", PAIL_E_InvalidRequest);
    expect_unsigned("2\r\nhi\r\n0\r\n:value\r\n\r\n", PAIL_E_InvalidRequest);
    expect_unsigned("11111111111111111\r\n", PAIL_E_InvalidRequest); /* > 64 bits */
    expect_unsigned("2\r\nhi\r\n", PAIL_E_IncompleteBody);
    expect_unsigned("", PAIL_E_IncompleteBody);
    /* Tolerated: sizes in upper case, blanks before ';', bare LF after a size. */
    expect_unsigned("A\r\n0123456789\r\n0\r\n\r\n", PAIL_OK);
    expect_unsigned("2 ;ext=1\nhi\r\n0\n\n", PAIL_OK);
}

static void test_too_many_trailers(void **state)
{
    struct bytes b = {0};
    puts_(&b, "0\r\n");
    for (int i = 0; i < 17; i++)
        puts_(&b, "x-amz-meta-t:v\r\n");
    puts_(&b, "\r\n");
    struct sink s = {0};
    struct pail_awschunked_cfg c = unsigned_cfg(&s);
    assert_int_equal(run(&c, &b, NULL, NULL, NULL, NULL), PAIL_E_InvalidRequest);
    free(b.p);
}

static void test_sink_error_stops(void **state)
{
    struct bytes b = aws_body();
    struct sink s = {.limit = 70000 - 4000, .fail_err = PAIL_E_EntityTooLarge};
    struct pail_awschunked_cfg c = signed_cfg(&s, SEED, false);
    assert_int_equal(run(&c, &b, random_piece, &(unsigned){7}, NULL, NULL), PAIL_E_EntityTooLarge);
    assert_true(s.out.len <= s.limit);
    free(s.out.p);
    free(b.p);
}

static void test_bad_config(void **state)
{
    struct sink s = {0};
    struct pail_awschunked_cfg c = signed_cfg(&s, SEED, false);
    c.signing_key = NULL;
    struct bytes b = aws_body();
    assert_int_equal(run(&c, &b, NULL, NULL, NULL, NULL), PAIL_E_InternalError);
    c = signed_cfg(&s, "short", false);
    assert_int_equal(run(&c, &b, NULL, NULL, NULL, NULL), PAIL_E_InternalError);
    free(b.p);
}

static void test_cfg_from_auth(void **state)
{
    struct pail_auth au = {.payload = PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER};
    struct pail_awschunked_cfg c = {0};
    pail_awschunked_cfg_auth(&c, &au);
    assert_true(c.verify_chunks);
    assert_true(c.trailer_signed);
    au.payload = PAIL_PAYLOAD_STREAMING_SIGNED;
    pail_awschunked_cfg_auth(&c, &au);
    assert_true(c.verify_chunks);
    assert_false(c.trailer_signed);
    au.payload = PAIL_PAYLOAD_STREAMING_UNSIGNED_TRAILER;
    pail_awschunked_cfg_auth(&c, &au);
    assert_false(c.verify_chunks);
    assert_false(c.trailer_signed);
}

/* ---- unsigned trailer streams (boto3 over https, JS SDK) ---------------- */

static void test_unsigned_trailer(void **state)
{
    struct bytes b = {0};
    /* CRC32 of "hello world!": 0x03b4c26d → A7TCbQ== */
    puts_(&b, "5\r\nhello\r\n7\r\n world!\r\n0\r\nX-Amz-Checksum-CRC32 :  A7TCbQ==  \r\n\r\n");
    for (unsigned seed = 0; seed <= 30; seed++) {
        struct sink s = {0};
        struct pail_awschunked_cfg c = unsigned_cfg(&s);
        struct pail_arena *a;
        struct pail_awschunked *d;
        unsigned rng = seed;
        assert_int_equal(run(&c, &b, seed == 1 ? one_byte : seed ? random_piece : NULL, &rng,
                             &a, &d), PAIL_OK);
        assert_int_equal(s.out.len, 12);
        assert_memory_equal(s.out.p, "hello world!", 12);
        assert_int_equal(pail_awschunked_decoded_len(d), 12);
        assert_string_equal(pail_awschunked_trailer(d, "x-amz-checksum-crc32"), "A7TCbQ==");
        const char *n, *v;
        pail_awschunked_trailer_at(d, 0, &n, &v);
        assert_string_equal(n, "x-amz-checksum-crc32");
        pail_awschunked_trailer_at(d, 1, &n, &v);
        assert_null(n);
        pail_arena_free(a);
        free(s.out.p);
    }
    free(b.p);
}

static void test_unsigned_large_random(void **state)
{
    /* Many chunks of odd sizes, binary data including CR/LF bytes. */
    struct bytes b = {0}, want = {0};
    unsigned rng = 99;
    for (int i = 0; i < 50; i++) {
        rng = rng * 1103515245u + 12345u;
        size_t n = 1 + (rng >> 8) % 9000;
        char hdr[32];
        snprintf(hdr, sizeof hdr, "%zx\r\n", n);
        puts_(&b, hdr);
        for (size_t k = 0; k < n; k++) {
            char c = (char)((k * 7 + (size_t)i) % 256);
            put(&b, &c, 1);
            put(&want, &c, 1);
        }
        puts_(&b, "\r\n");
    }
    puts_(&b, "0\r\nx-amz-checksum-crc64nvme:AAAAAAAAAAA=\r\n\r\n");
    for (unsigned seed = 1; seed <= 10; seed++) {
        struct sink s = {0};
        struct pail_awschunked_cfg c = unsigned_cfg(&s);
        unsigned r = seed;
        assert_int_equal(run(&c, &b, random_piece, &r, NULL, NULL), PAIL_OK);
        assert_int_equal(s.out.len, want.len);
        assert_memory_equal(s.out.p, want.p, want.len);
        free(s.out.p);
    }
    /* Unsigned streams ignore chunk-signature extensions and trailer signatures. */
    struct bytes b2 = {0};
    puts_(&b2, "3;chunk-signature=whatever\r\nabc\r\n0\r\nx-amz-trailer-signature:zz\r\n\r\n");
    struct sink s = {0};
    struct pail_awschunked_cfg c = unsigned_cfg(&s);
    assert_int_equal(run(&c, &b2, NULL, NULL, NULL, NULL), PAIL_OK);
    free(s.out.p);
    free(b2.p);
    free(b.p);
    free(want.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_example_whole),
        cmocka_unit_test(test_aws_example_byte_by_byte),
        cmocka_unit_test(test_aws_example_random_splits),
        cmocka_unit_test(test_aws_trailer_example),
        cmocka_unit_test(test_tampered_data),
        cmocka_unit_test(test_tampered_signature_and_seed),
        cmocka_unit_test(test_reordered_chunks_fail),
        cmocka_unit_test(test_missing_chunk_signature),
        cmocka_unit_test(test_tampered_trailer),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_oversized_line),
        cmocka_unit_test(test_malformed_framing),
        cmocka_unit_test(test_too_many_trailers),
        cmocka_unit_test(test_sink_error_stops),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_cfg_from_auth),
        cmocka_unit_test(test_unsigned_trailer),
        cmocka_unit_test(test_unsigned_large_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
