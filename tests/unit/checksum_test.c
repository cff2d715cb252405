/* tests/unit/checksum_test.c — util/checksum: published check values, AWS SDK
 * base64 vectors, streaming in random splits, the PCLMUL CRC64NVME path
 * against a bit-at-a-time reference, CRC combination, names and headers.
 * Also prints CRC64NVME throughput (informational, never asserted). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/checksum.h"
#include "util/encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char check[] = "123456789";

/* Deterministic PRNG so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned char *random_bytes(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rnd();
    return p;
}

/* Bit-at-a-time CRC64NVME: the definition, to check the fast paths against. */
static uint64_t crc64_ref(const unsigned char *p, size_t n)
{
    uint64_t c = ~0ULL;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ ((c & 1) ? 0x9A6C9329AC4BC9B5ULL : 0);
    }
    return ~c;
}

static void test_check_values(void **state)
{
    assert_int_equal(pail_crc32(0, check, 9), 0xCBF43926u);
    assert_int_equal(pail_crc32c(0, check, 9), 0xE3069283u);
    assert_true(pail_crc64nvme(0, check, 9) == 0xAE8B14860A799888ULL);
    assert_true(crc64_ref((const unsigned char *)check, 9) == 0xAE8B14860A799888ULL);
    /* aws-c-s3's NIST-style case: "aaaaaaaaaa" -> 0C1A80036D65C555. */
    assert_true(pail_crc64nvme(0, "aaaaaaaaaa", 10) == 0x0C1A80036D65C555ULL);
    /* AWS CRT: CRC32("Hello") = 4157704578, CRC32C("Hello") = 2178485787. */
    assert_int_equal(pail_crc32(0, "Hello", 5), 4157704578u);
    assert_int_equal(pail_crc32c(0, "Hello", 5), 2178485787u);
    assert_int_equal(pail_crc32(0, "", 0), 0);
    assert_int_equal(pail_crc32c(0, "", 0), 0);
    assert_true(pail_crc64nvme(0, "", 0) == 0);
}

static void test_raw_big_endian(void **state)
{
    struct pail_cksum c;
    unsigned char out[PAIL_CKSUM_MAX_RAW];
    assert_int_equal(pail_cksum_init(&c, PAIL_CKSUM_CRC32), PAIL_OK);
    pail_cksum_update(&c, check, 9);
    assert_int_equal(pail_cksum_final(&c, out), 4);
    assert_memory_equal(out, "\xCB\xF4\x39\x26", 4);

    assert_int_equal(pail_cksum_init(&c, PAIL_CKSUM_CRC32C), PAIL_OK);
    pail_cksum_update(&c, check, 9);
    assert_int_equal(pail_cksum_final(&c, out), 4);
    assert_memory_equal(out, "\xE3\x06\x92\x83", 4);

    assert_int_equal(pail_cksum_init(&c, PAIL_CKSUM_CRC64NVME), PAIL_OK);
    pail_cksum_update(&c, check, 9);
    assert_int_equal(pail_cksum_final(&c, out), 8);
    assert_memory_equal(out, "\xAE\x8B\x14\x86\x0A\x79\x98\x88", 8);
}

/* Vectors from the AWS SDKs' flexible-checksum tests (JS v3, Java v2, .NET),
 * plus the well-known MD5 values (Content-MD5 / ETag form). */
static const struct {
    enum pail_cksum_algo algo;
    const char *in, *b64;
} vectors[] = {
    {PAIL_CKSUM_CRC32, "", "AAAAAA=="},
    {PAIL_CKSUM_CRC32, "abc", "NSRBwg=="},
    {PAIL_CKSUM_CRC32, "Hello world", "i9aeUg=="},
    {PAIL_CKSUM_CRC32C, "", "AAAAAA=="},
    {PAIL_CKSUM_CRC32C, "abc", "Nks/tw=="},
    {PAIL_CKSUM_CRC32C, "Hello world", "crUfeA=="},
    {PAIL_CKSUM_CRC64NVME, "", "AAAAAAAAAAA="},
    {PAIL_CKSUM_CRC64NVME, "abc", "BeXKuz/B+us="},
    {PAIL_CKSUM_CRC64NVME, "Hello world", "OOJZ0D8xKts="},
    {PAIL_CKSUM_SHA1, "", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
    {PAIL_CKSUM_SHA1, "abc", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="},
    {PAIL_CKSUM_SHA1, "Hello world", "e1AsOh9IyGCa4hLN+2Od7jlnP14="},
    {PAIL_CKSUM_SHA256, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
    {PAIL_CKSUM_SHA256, "abc", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
    {PAIL_CKSUM_SHA256, "Hello world", "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="},
    {PAIL_CKSUM_MD5, "", "1B2M2Y8AsgTpgAmY7PhCfg=="},
    {PAIL_CKSUM_MD5, "Hello world", "PiWWCnnbxptnTNTsZ6csYg=="},
};

static void test_aws_vectors(void **state)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        struct pail_cksum c;
        char b64[PAIL_CKSUM_MAX_B64];
        assert_int_equal(pail_cksum_init(&c, vectors[i].algo), PAIL_OK);
        pail_cksum_update(&c, vectors[i].in, strlen(vectors[i].in));
        pail_cksum_final_b64(&c, b64);
        assert_string_equal(b64, vectors[i].b64);
        pail_cksum_free(&c); /* after final: must be a harmless no-op */
    }
}

static void test_md5_hex_etag(void **state)
{
    struct pail_cksum c;
    unsigned char raw[PAIL_CKSUM_MAX_RAW];
    char hex[2 * PAIL_CKSUM_MAX_RAW + 1];
    assert_int_equal(pail_cksum_init(&c, PAIL_CKSUM_MD5), PAIL_OK);
    pail_cksum_update(&c, "", 0);
    size_t n = pail_cksum_final(&c, raw);
    assert_int_equal(n, 16);
    pail_hex(raw, n, hex);
    assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
}

static size_t oneshot(enum pail_cksum_algo a, const void *p, size_t n,
                      unsigned char out[PAIL_CKSUM_MAX_RAW])
{
    struct pail_cksum c;
    assert_int_equal(pail_cksum_init(&c, a), PAIL_OK);
    pail_cksum_update(&c, p, n);
    return pail_cksum_final(&c, out);
}

static void test_streaming_random_splits(void **state)
{
    const size_t n = 300000;
    unsigned char *data = random_bytes(n);
    for (int a = PAIL_CKSUM_CRC32; a < PAIL_CKSUM__COUNT; a++) {
        unsigned char want[PAIL_CKSUM_MAX_RAW], got[PAIL_CKSUM_MAX_RAW];
        size_t wn = oneshot((enum pail_cksum_algo)a, data, n, want);
        assert_int_equal(wn, pail_cksum_size((enum pail_cksum_algo)a));
        for (int round = 0; round < 20; round++) {
            struct pail_cksum c;
            assert_int_equal(pail_cksum_init(&c, (enum pail_cksum_algo)a), PAIL_OK);
            size_t off = 0;
            while (off < n) {
                /* Mix tiny pieces with pieces big enough for the SIMD paths. */
                size_t step = (rnd() & 3) ? rnd() % 40 : rnd() % 70000;
                if (step > n - off)
                    step = n - off;
                pail_cksum_update(&c, data + off, step);
                off += step;
            }
            assert_int_equal(pail_cksum_final(&c, got), wn);
            assert_memory_equal(got, want, wn);
        }
    }
    free(data);
}

static void test_crc64_fast_path_vs_reference(void **state)
{
    unsigned char *data = random_bytes(4096 + 64);
    for (size_t len = 0; len <= 2100; len += (len < 300 ? 1 : 37))
        for (size_t off = 0; off < 16; off += 5)
            assert_true(pail_crc64nvme(0, data + off, len) == crc64_ref(data + off, len));
    assert_true(pail_crc64nvme(0, data, 4096) == crc64_ref(data, 4096));
    free(data);
}

static void test_combine_random_splits(void **state)
{
    const size_t n = 200000;
    unsigned char *d = random_bytes(n);
    uint32_t w32 = pail_crc32(0, d, n), w32c = pail_crc32c(0, d, n);
    uint64_t w64 = pail_crc64nvme(0, d, n);
    for (int i = 0; i < 50; i++) {
        size_t cut = i == 0 ? 0 : i == 1 ? n : rnd() % (n + 1);
        size_t len2 = n - cut;
        assert_int_equal(pail_crc32_combine(pail_crc32(0, d, cut),
                                            pail_crc32(0, d + cut, len2), len2), w32);
        assert_int_equal(pail_crc32c_combine(pail_crc32c(0, d, cut),
                                             pail_crc32c(0, d + cut, len2), len2), w32c);
        assert_true(pail_crc64nvme_combine(pail_crc64nvme(0, d, cut),
                                           pail_crc64nvme(0, d + cut, len2), len2) == w64);
    }
    free(d);
}

/* A multipart-like fold: many parts combined left to right. */
static void test_combine_many_parts(void **state)
{
    const size_t n = 100000;
    unsigned char *d = random_bytes(n);
    uint64_t acc64 = 0;
    uint32_t acc32 = 0;
    size_t off = 0;
    while (off < n) {
        size_t part = 1 + rnd() % 9000;
        if (part > n - off)
            part = n - off;
        acc64 = pail_crc64nvme_combine(acc64, pail_crc64nvme(0, d + off, part), part);
        acc32 = pail_crc32_combine(acc32, pail_crc32(0, d + off, part), part);
        off += part;
    }
    assert_true(acc64 == pail_crc64nvme(0, d, n));
    assert_int_equal(acc32, pail_crc32(0, d, n));
    free(d);
}

static void test_names_and_headers(void **state)
{
    assert_int_equal(pail_cksum_algo_from_name("crc32"), PAIL_CKSUM_CRC32);
    assert_int_equal(pail_cksum_algo_from_name("CRC32"), PAIL_CKSUM_CRC32);
    assert_int_equal(pail_cksum_algo_from_name("Crc32C"), PAIL_CKSUM_CRC32C);
    assert_int_equal(pail_cksum_algo_from_name("crc64nvme"), PAIL_CKSUM_CRC64NVME);
    assert_int_equal(pail_cksum_algo_from_name("sha1"), PAIL_CKSUM_SHA1);
    assert_int_equal(pail_cksum_algo_from_name("SHA256"), PAIL_CKSUM_SHA256);
    assert_int_equal(pail_cksum_algo_from_name("md5"), PAIL_CKSUM_MD5);
    assert_int_equal(pail_cksum_algo_from_name("crc"), PAIL_CKSUM_NONE);
    assert_int_equal(pail_cksum_algo_from_name("crc32cc"), PAIL_CKSUM_NONE);
    assert_int_equal(pail_cksum_algo_from_name(""), PAIL_CKSUM_NONE);
    assert_int_equal(pail_cksum_algo_from_name(NULL), PAIL_CKSUM_NONE);
    assert_string_equal(pail_cksum_algo_name(PAIL_CKSUM_CRC64NVME), "CRC64NVME");
    assert_string_equal(pail_cksum_algo_name(PAIL_CKSUM_NONE), "");
    assert_string_equal(pail_cksum_header(PAIL_CKSUM_CRC32), "x-amz-checksum-crc32");
    assert_null(pail_cksum_header(PAIL_CKSUM_MD5));
    assert_null(pail_cksum_header(PAIL_CKSUM_NONE));
    for (int a = PAIL_CKSUM_CRC32; a <= PAIL_CKSUM_SHA256; a++) {
        const char *h = pail_cksum_header((enum pail_cksum_algo)a);
        assert_non_null(h);
        assert_int_equal(pail_cksum_algo_from_header(h), a);
        assert_int_equal(pail_cksum_algo_from_name(pail_cksum_algo_name((enum pail_cksum_algo)a)), a);
    }
    assert_int_equal(pail_cksum_algo_from_header("X-Amz-Checksum-CRC64NVME"),
                     PAIL_CKSUM_CRC64NVME);
    assert_int_equal(pail_cksum_algo_from_header("x-amz-checksum-algorithm"), PAIL_CKSUM_NONE);
    assert_int_equal(pail_cksum_algo_from_header("x-amz-checksum-type"), PAIL_CKSUM_NONE);
}

static void test_none_and_free_twice(void **state)
{
    struct pail_cksum c;
    unsigned char out[PAIL_CKSUM_MAX_RAW];
    char b64[PAIL_CKSUM_MAX_B64];
    assert_int_equal(pail_cksum_init(&c, PAIL_CKSUM_NONE), PAIL_OK);
    pail_cksum_update(&c, "abc", 3);
    assert_int_equal(pail_cksum_final(&c, out), 0);
    assert_int_equal(pail_cksum_init(&c, PAIL_CKSUM_NONE), PAIL_OK);
    pail_cksum_final_b64(&c, b64);
    assert_string_equal(b64, "");
    /* Abandoned digest: free twice, no leak (ASan checks). */
    assert_int_equal(pail_cksum_init(&c, PAIL_CKSUM_SHA256), PAIL_OK);
    pail_cksum_update(&c, "abc", 3);
    pail_cksum_free(&c);
    pail_cksum_free(&c);
    assert_int_equal(pail_cksum_init(&c, (enum pail_cksum_algo)99), PAIL_E_InternalError);
    pail_cksum_free(&c);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_crc64_throughput(void **state)
{
    const size_t n = 8u << 20;
    unsigned char *d = random_bytes(n);
    uint64_t crc = 0;
    int rounds = 0;
    double t0 = now_s(), t;
    do {
        crc = pail_crc64nvme(crc, d, n);
        rounds++;
    } while ((t = now_s() - t0) < 0.5);
    printf("# CRC64NVME: %.0f MB/s (%d x 8 MiB, crc %016llx)\n",
           (double)rounds * (double)n / t / 1e6, rounds, (unsigned long long)crc);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_raw_big_endian),
        cmocka_unit_test(test_aws_vectors),
        cmocka_unit_test(test_md5_hex_etag),
        cmocka_unit_test(test_streaming_random_splits),
        cmocka_unit_test(test_crc64_fast_path_vs_reference),
        cmocka_unit_test(test_combine_random_splits),
        cmocka_unit_test(test_combine_many_parts),
        cmocka_unit_test(test_names_and_headers),
        cmocka_unit_test(test_none_and_free_twice),
        cmocka_unit_test(test_crc64_throughput),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
