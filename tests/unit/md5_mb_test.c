/* tests/unit/md5_mb_test.c — the multi-lane MD5 kernels and the hashing
 * pool against OpenSSL's one-shot MD5: lanes of unequal lengths (empty ones
 * included), every tail length, both kernel widths, and many threads
 * feeding the pool in uneven pieces at once. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "http/md5_pool.h"
#include "util/md5_mb.h"

#include <openssl/md5.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void fill(unsigned char *p, size_t n, uint64_t *x)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)next_rand(x);
}

/* One pass of `n` lanes of random lengths, each checked against MD5(). */
static void one_pass(unsigned n)
{
    struct pail_md5_state st[PAIL_MD5_MB_MAX];
    struct pail_md5_lane lanes[PAIL_MD5_MB_MAX] = {{0}};
    unsigned char *buf[PAIL_MD5_MB_MAX];
    size_t tail[PAIL_MD5_MB_MAX];
    for (unsigned i = 0; i < n; i++) {
        size_t blocks = next_rand(&rng) % 40;
        if (i % 5 == 3)
            blocks = 0; /* lanes with nothing to do sit among busy ones */
        tail[i] = next_rand(&rng) % 64;
        buf[i] = malloc(blocks * 64 + tail[i] + 1);
        fill(buf[i], blocks * 64 + tail[i], &rng);
        pail_md5_state_init(&st[i]);
        lanes[i] = (struct pail_md5_lane){.s = &st[i], .p = buf[i], .blocks = blocks};
    }
    pail_md5_mb(lanes, n);
    for (unsigned i = 0; i < n; i++) {
        unsigned char got[16], want[16];
        size_t body = lanes[i].blocks * 64;
        assert_int_equal(st[i].len, body);
        pail_md5_state_final(&st[i], buf[i] + body, tail[i], got);
        MD5(buf[i], body + tail[i], want);
        assert_memory_equal(got, want, 16);
        free(buf[i]);
    }
}

static void run_kernel(unsigned cap)
{
    pail_md5_mb_init(cap);
    for (int round = 0; round < 20; round++)
        for (unsigned n = 1; n <= PAIL_MD5_MB_MAX; n++)
            one_pass(n);
}

static void test_kernel_widest(void **state)
{
    (void)state;
    run_kernel(0);
    print_message("widest kernel: %u lanes\n", pail_md5_mb_lanes());
}

static void test_kernel_one_lane(void **state)
{
    (void)state;
    run_kernel(1);
    assert_int_equal(pail_md5_mb_lanes(), 1);
}

/* Every padding case: tails 0..63 after 0..2 blocks, fed in passes. */
static void test_every_tail(void **state)
{
    (void)state;
    pail_md5_mb_init(0);
    unsigned char data[3 * 64 + 64];
    fill(data, sizeof data, &rng);
    for (size_t blocks = 0; blocks <= 3; blocks++)
        for (size_t t = 0; t < 64; t++) {
            struct pail_md5_state st;
            pail_md5_state_init(&st);
            for (size_t b = 0; b < blocks; b++) {
                struct pail_md5_lane l = {.s = &st, .p = data + 64 * b, .blocks = 1};
                pail_md5_mb(&l, 1);
            }
            unsigned char got[16], want[16];
            pail_md5_state_final(&st, data + 64 * blocks, t, got);
            MD5(data, 64 * blocks + t, want);
            assert_memory_equal(got, want, 16);
        }
}

struct feeder {
    uint64_t seed;
    int ok;
};

/* Opens a stream, feeds a random body in random pieces, checks the digest;
 * every third stream is abandoned half way instead. */
static void *feeder(void *arg)
{
    struct feeder *f = arg;
    uint64_t x = f->seed;
    for (int round = 0; round < 6; round++) {
        size_t len = next_rand(&x) % (3u << 20);
        unsigned char *body = malloc(len + 1);
        fill(body, len, &x);
        struct pail_md5_stream *s = pail_md5_stream_open();
        if (!s) {
            free(body);
            return NULL;
        }
        bool abandon = next_rand(&x) % 3 == 0;
        size_t at = 0;
        while (at < len && !(abandon && at > len / 2)) {
            size_t k = 1 + next_rand(&x) % 100000;
            if (k > len - at)
                k = len - at;
            pail_md5_stream_feed(s, body + at, k);
            at += k;
        }
        if (abandon) {
            pail_md5_stream_abandon(s);
        } else {
            unsigned char got[16], want[16];
            pail_md5_stream_close(s, got);
            MD5(body, len, want);
            if (memcmp(got, want, 16) != 0) {
                free(body);
                return NULL;
            }
        }
        free(body);
    }
    f->ok = 1;
    return NULL;
}

static void test_pool_many_streams(void **state)
{
    (void)state;
    enum { N = 24 }; /* more streams than lanes */
    pthread_t t[N];
    struct feeder f[N];
    for (int i = 0; i < N; i++) {
        f[i] = (struct feeder){.seed = 0x1234567ull * (uint64_t)(i + 1), .ok = 0};
        assert_int_equal(pthread_create(&t[i], NULL, feeder, &f[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_true(f[i].ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_widest),
        cmocka_unit_test(test_kernel_one_lane),
        cmocka_unit_test(test_every_tail),
        cmocka_unit_test(test_pool_many_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
