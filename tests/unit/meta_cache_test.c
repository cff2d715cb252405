/* tests/unit/meta_cache_test.c — the object-record cache: on its own (hits
 * are exact deep copies, the fill/write brackets refuse stale fills, the
 * byte bound holds), and in front of the SQLite backend through pail_meta_*
 * (every kind of write is seen by the next read; readers racing a writer
 * never go back in time; a second process cannot open the same store). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"
#include "meta_fixture.h"

#include "core/arena.h"
#include "core/log.h"
#include "store/meta.h"
#include "store/meta_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct pail_object_rec rec(const char *bucket, const char *key, const char *etag)
{
    return (struct pail_object_rec){
        .bucket = bucket, .key = key, .size = 5, .etag = etag, .mtime_ms = 77,
        .data_id = "i42", .content_type = "text/csv", .headers = "{\"x-amz-meta-a\":\"b\"}",
        .checksum_algo = "CRC32", .checksum = "AAAAAA==", .owner = "alice",
        .inline_data = "hello",
    };
}

/* ---- the cache alone ---- */

static void test_hit_is_a_deep_copy(void **state)
{
    (void)state;
    struct pail_meta_cache *c = pail_meta_cache_new(1 << 20);
    assert_non_null(c);
    struct pail_arena *a = pail_arena_new();
    struct pail_object_rec got;
    assert_false(pail_meta_cache_get(c, "b", "k", a, &got));
    char key[] = "k";
    struct pail_object_rec in = rec("b", key, "e1");
    pail_meta_cache_fill(c, pail_meta_cache_fill_begin(c, "b", key), "b", key, &in);
    key[0] = 'x'; /* the cache holds its own copy */
    assert_true(pail_meta_cache_get(c, "b", "k", a, &got));
    assert_string_equal(got.key, "k");
    assert_string_equal(got.etag, "e1");
    assert_string_equal(got.headers, "{\"x-amz-meta-a\":\"b\"}");
    assert_string_equal(got.owner, "alice");
    assert_null(got.parts);
    assert_null(got.checksum_type);
    assert_int_equal(got.size, 5);
    assert_int_equal(got.mtime_ms, 77);
    assert_memory_equal(got.inline_data, "hello", 5);
    assert_false(pail_meta_cache_get(c, "b2", "k", a, &got)); /* bucket is part of the key */
    uint64_t hits, misses;
    pail_meta_cache_stats(c, &hits, &misses);
    assert_int_equal(hits, 1);
    assert_int_equal(misses, 2);
    pail_arena_free(a);
    pail_meta_cache_free(c);
}

static void test_brackets_refuse_stale_fills(void **state)
{
    (void)state;
    struct pail_meta_cache *c = pail_meta_cache_new(1 << 20);
    struct pail_arena *a = pail_arena_new();
    struct pail_object_rec got, in = rec("b", "k", "old");
    /* A write ended between the lookup and the fill: the fill is dropped. */
    uint64_t t = pail_meta_cache_fill_begin(c, "b", "k");
    pail_meta_cache_write_begin(c, "b", "k");
    pail_meta_cache_write_end(c, "b", "k");
    pail_meta_cache_fill(c, t, "b", "k", &in);
    assert_false(pail_meta_cache_get(c, "b", "k", a, &got));
    /* A write in flight: no ticket, and a fill with an earlier one is dropped. */
    t = pail_meta_cache_fill_begin(c, "b", "k");
    pail_meta_cache_write_begin(c, "b", "k");
    assert_int_equal(pail_meta_cache_fill_begin(c, "b", "k"), 0);
    pail_meta_cache_fill(c, t, "b", "k", &in);
    assert_false(pail_meta_cache_get(c, "b", "k", a, &got));
    pail_meta_cache_write_end(c, "b", "k");
    /* Quiet again: a fill stays, and the next write's begin drops it. */
    pail_meta_cache_fill(c, pail_meta_cache_fill_begin(c, "b", "k"), "b", "k", &in);
    assert_true(pail_meta_cache_get(c, "b", "k", a, &got));
    pail_meta_cache_write_begin(c, "b", "k");
    assert_false(pail_meta_cache_get(c, "b", "k", a, &got));
    pail_meta_cache_write_end(c, "b", "k");
    /* write_all drops everything and blocks fills like a write. */
    pail_meta_cache_fill(c, pail_meta_cache_fill_begin(c, "b", "k"), "b", "k", &in);
    t = pail_meta_cache_fill_begin(c, "b", "k2");
    pail_meta_cache_write_all_begin(c);
    assert_false(pail_meta_cache_get(c, "b", "k", a, &got));
    pail_meta_cache_write_all_end(c);
    struct pail_object_rec in2 = rec("b", "k2", "x");
    pail_meta_cache_fill(c, t, "b", "k2", &in2);
    assert_false(pail_meta_cache_get(c, "b", "k2", a, &got));
    pail_arena_free(a);
    pail_meta_cache_free(c);
}

static void test_bounded(void **state)
{
    (void)state;
    assert_null(pail_meta_cache_new(1000)); /* too small to be useful */
    struct pail_meta_cache *c = pail_meta_cache_new(8 << 20);
    struct pail_arena *a = pail_arena_new();
    static char big[16 * 1024];
    memset(big, 'z', sizeof big);
    enum { N = 1000 };
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        struct pail_object_rec in = rec("b", key, "e");
        in.size = sizeof big;
        in.inline_data = big;
        pail_meta_cache_fill(c, pail_meta_cache_fill_begin(c, "b", key), "b", key, &in);
    }
    int hits = 0;
    struct pail_object_rec got;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        if (pail_meta_cache_get(c, "b", key, a, &got)) {
            hits++;
            assert_memory_equal(got.inline_data, big, sizeof big);
        }
    }
    /* 8 MiB holds fewer than 512 entries of 16 KiB; each of the 64 shards
     * keeps a few (the keys spread over all of them). */
    assert_true(hits > 64);
    assert_true(hits < (8 << 20) / (int)sizeof big);
    /* The most recent of a shard survives: the last fill is a hit. */
    assert_true(pail_meta_cache_get(c, "b", key, a, &got));
    pail_arena_free(a);
    pail_meta_cache_free(c);
}

/* ---- in front of SQLite ---- */

static int setup(void **state)
{
    struct fx *f = fx_meta_new(fx_root(), "pail-cache");
    assert_true(pail_meta_enable_cache(f->m, 4 << 20));
    struct pail_bucket_rec b = {.name = "b", .created_ms = 1, .region = "", .owner = "alice"};
    assert_err(pail_meta_bucket_create(f->m, &b), PAIL_OK);
    *state = f;
    return 0;
}

static void put(struct fx *f, const char *key, const char *etag)
{
    struct pail_object_rec o = rec("b", key, etag);
    o.data_id = NULL;
    struct pail_garbage g;
    assert_err(pail_meta_object_put(f->m, &o, f->a, &g), PAIL_OK);
}

/* The etag the store answers for key, or "-" when there is none. */
static const char *etag_of(struct fx *f, const char *key)
{
    struct pail_object_rec o;
    enum pail_err e = pail_meta_object_get(f->m, "b", key, f->a, &o);
    if (e == PAIL_E_NoSuchKey)
        return "-";
    assert_err(e, PAIL_OK);
    return o.etag;
}

static void test_every_write_is_seen(void **state)
{
    struct fx *f = *state;
    struct pail_garbage g;
    put(f, "k", "v1");
    assert_string_equal(etag_of(f, "k"), "v1"); /* fills */
    assert_string_equal(etag_of(f, "k"), "v1"); /* hits */
    put(f, "k", "v2");
    assert_string_equal(etag_of(f, "k"), "v2");
    assert_err(pail_meta_object_delete(f->m, "b", "k", f->a, &g), PAIL_OK);
    assert_string_equal(etag_of(f, "k"), "-");
    put(f, "k", "v3");
    put(f, "k2", "w1");
    assert_string_equal(etag_of(f, "k"), "v3");
    assert_string_equal(etag_of(f, "k2"), "w1");
    const char *keys[] = {"k", "k2"};
    assert_err(pail_meta_object_delete_many(f->m, "b", keys, 2, f->a, &g), PAIL_OK);
    assert_string_equal(etag_of(f, "k"), "-");
    assert_string_equal(etag_of(f, "k2"), "-");

    /* CompleteMultipartUpload replaces a cached object. */
    put(f, "mp", "single");
    assert_string_equal(etag_of(f, "mp"), "single");
    struct pail_upload_rec u = {.upload_id = "u1", .bucket = "b", .key = "mp",
                                .initiated_ms = 1, .owner = "alice"};
    assert_err(pail_meta_upload_create(f->m, &u), PAIL_OK);
    struct pail_object_rec o = rec("b", "mp", "multi-1");
    o.inline_data = NULL;
    o.data_id = "0123456789abcdef0123456789abcdef";
    assert_err(pail_meta_upload_complete(f->m, "u1", &o, f->a, &g), PAIL_OK);
    assert_string_equal(etag_of(f, "mp"), "multi-1");

    /* A bucket deleted and made again starts empty. */
    assert_err(pail_meta_object_delete(f->m, "b", "mp", f->a, &g), PAIL_OK);
    assert_err(pail_meta_bucket_delete(f->m, "b", f->a, &g), PAIL_OK);
    struct pail_object_rec got;
    assert_err(pail_meta_object_get(f->m, "b", "mp", f->a, &got), PAIL_E_NoSuchBucket);
    uint64_t hits = 0, misses = 0;
    pail_meta_cache_counts(f->m, &hits, &misses);
    assert_int_equal(hits, 1); /* the second read of v1; every other read followed a write */
}

struct race {
    struct fx *f;
    atomic_int acked; /* last version whose put returned */
    atomic_bool stop;
};

struct rd {
    struct race *r;
    int went_back;
    long reads;
};

enum { VERSIONS = 400 };

static void *writer(void *p)
{
    struct race *r = p;
    struct pail_arena *a = pail_arena_new();
    for (int v = 1; v <= VERSIONS; v++) {
        char etag[16];
        snprintf(etag, sizeof etag, "%d", v);
        struct pail_object_rec o = rec("b", "hot", etag);
        o.data_id = NULL;
        struct pail_garbage g;
        if (pail_meta_object_put(r->f->m, &o, a, &g) != PAIL_OK)
            break;
        atomic_store(&r->acked, v);
        /* A pause between writes: fills are refused while a write to the
         * shard is in flight, and back-to-back writes to one key would leave
         * the readers no window to fill, so no hit to test. */
        usleep(1000);
    }
    atomic_store(&r->stop, true);
    pail_arena_free(a);
    return NULL;
}

static void *reader(void *p)
{
    struct rd *d = p;
    struct race *r = d->r;
    while (!atomic_load(&r->stop)) {
        struct pail_arena *a = pail_arena_new();
        int before = atomic_load(&r->acked);
        struct pail_object_rec o;
        enum pail_err e = pail_meta_object_get(r->f->m, "b", "hot", a, &o);
        /* A read must see at least what was acknowledged before it began. */
        if (e == PAIL_OK ? atoi(o.etag) < before : before > 0)
            d->went_back++;
        d->reads++;
        pail_arena_free(a);
    }
    return NULL;
}

static void test_readers_never_go_back(void **state)
{
    struct fx *f = *state;
    struct race r = {.f = f};
    struct rd d[4];
    pthread_t w, th[4];
    pthread_create(&w, NULL, writer, &r);
    for (int i = 0; i < 4; i++) {
        d[i] = (struct rd){.r = &r};
        pthread_create(&th[i], NULL, reader, &d[i]);
    }
    pthread_join(w, NULL);
    long reads = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(d[i].went_back, 0);
        reads += d[i].reads;
    }
    assert_true(reads > VERSIONS);
    char want[16];
    snprintf(want, sizeof want, "%d", VERSIONS);
    assert_string_equal(etag_of(f, "hot"), want);
    uint64_t hits = 0, misses = 0;
    pail_meta_cache_counts(f->m, &hits, &misses);
    assert_true(hits > 0); /* the race ran through the cache, not around it */
}

static void test_one_process_per_store(void **state)
{
    struct fx *f = *state;
    struct pail_meta *m2 = NULL;
    assert_err(pail_meta_open("sqlite", f->dir, &m2), PAIL_E_InternalError);
    assert_null(m2);
}

int main(void)
{
    pail_log_set_level(PAIL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_is_a_deep_copy),
        cmocka_unit_test(test_brackets_refuse_stale_fills),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test_setup_teardown(test_every_write_is_seen, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_readers_never_go_back, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_one_process_per_store, setup, fx_meta_teardown),
    };
    return cmocka_run_group_tests_name("meta_cache", tests, NULL, NULL);
}
