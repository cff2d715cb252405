/* tests/unit/meta_sqlite_test.c — conformance-style suite for the metadata
 * vtable, run through the pail_meta_* wrappers against the "sqlite" backend
 * in a fresh temporary directory per test. Listing is checked against a
 * brute-force model of the pail_list_opts semantics on random keys (unicode,
 * '/', '//', 0xFF bytes), and a 100,000-key bucket proves delimiter listings
 * seek past rolled-up prefixes (rows stepped are counted).
 * The directory is $PAIL_TEST_DIR, else /dev/shm (fsync is cheap there), else
 * $TMPDIR or /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"
#include "meta_fixture.h"

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "store/meta.h"
#include "store/meta_backends.h"

#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* ---- fixture ---- */

/* fx_root(), but /dev/shm before $TMPDIR: fsync is cheap there. */
static const char *test_root(void)
{
    struct stat st;
    if (!getenv("PAIL_TEST_DIR") && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return fx_root();
}

static int setup(void **state)
{
    *state = fx_meta_new(test_root(), "pail-meta");
    return 0;
}

static void mk_bucket(struct fx *f, const char *name)
{
    struct pail_bucket_rec b = {.name = name, .created_ms = 1000, .region = "", .owner = "alice"};
    assert_err(pail_meta_bucket_create(f->m, &b), PAIL_OK);
}

/* Puts key with data id "d-<key>" unless data_id is given. */
static void put_key(struct fx *f, const char *bucket, const char *key, const char *data_id)
{
    struct pail_object_rec o = {
        .bucket = bucket, .key = key, .size = strlen(key), .etag = "0123456789abcdef0123456789abcdef",
        .mtime_ms = 5, .data_id = data_id ? data_id : pail_arena_printf(f->a, "d-%s", key),
    };
    struct pail_garbage g;
    assert_err(pail_meta_object_put(f->m, &o, f->a, &g), PAIL_OK);
}

static bool has_id(const struct pail_garbage *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->ids[i], id) == 0)
            return true;
    return false;
}

/* ---- buckets ---- */

static void test_buckets(void **state)
{
    struct fx *f = *state;
    struct pail_bucket_rec b = {.name = "b1", .created_ms = 1234, .region = "eu-west-1",
                                .owner = "alice"};
    assert_err(pail_meta_bucket_create(f->m, &b), PAIL_OK);
    assert_err(pail_meta_bucket_create(f->m, &b), PAIL_E_BucketAlreadyOwnedByYou);
    b.owner = "bob";
    assert_err(pail_meta_bucket_create(f->m, &b), PAIL_E_BucketAlreadyExists);
    mk_bucket(f, "c2");
    mk_bucket(f, "a0");

    struct pail_bucket_rec got;
    assert_err(pail_meta_bucket_get(f->m, "b1", f->a, &got), PAIL_OK);
    assert_string_equal(got.name, "b1");
    assert_int_equal(got.created_ms, 1234);
    assert_string_equal(got.region, "eu-west-1");
    assert_string_equal(got.owner, "alice");
    assert_err(pail_meta_bucket_get(f->m, "nope", f->a, &got), PAIL_E_NoSuchBucket);

    struct pail_bucket_rec *list;
    size_t n;
    assert_err(pail_meta_bucket_list(f->m, f->a, &list, &n), PAIL_OK);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].name, "a0");
    assert_string_equal(list[1].name, "b1");
    assert_string_equal(list[2].name, "c2");

    struct pail_garbage g;
    assert_err(pail_meta_bucket_delete(f->m, "nope", f->a, &g), PAIL_E_NoSuchBucket);
    put_key(f, "b1", "k", NULL);
    assert_err(pail_meta_bucket_delete(f->m, "b1", f->a, &g), PAIL_E_BucketNotEmpty);
    assert_err(pail_meta_object_delete(f->m, "b1", "k", f->a, &g), PAIL_OK);
    assert_err(pail_meta_bucket_delete(f->m, "b1", f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);
    assert_err(pail_meta_bucket_get(f->m, "b1", f->a, &got), PAIL_E_NoSuchBucket);
    assert_err(pail_meta_bucket_list(f->m, f->a, &list, &n), PAIL_OK);
    assert_int_equal(n, 2);
}

static void test_bucket_delete_drops_uploads(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    struct pail_upload_rec u = {.upload_id = "U1", .bucket = "b", .key = "k", .initiated_ms = 1};
    assert_err(pail_meta_upload_create(f->m, &u), PAIL_OK);
    struct pail_garbage g;
    for (int i = 1; i <= 3; i++) {
        struct pail_part_rec p = {.upload_id = "U1", .part_number = i, .size = 1,
                                  .etag = "e", .data_id = pail_arena_printf(f->a, "p%d", i)};
        assert_err(pail_meta_part_put(f->m, &p, f->a, &g), PAIL_OK);
    }
    assert_true(pail_meta_data_id_used(f->m, "p2"));
    assert_err(pail_meta_bucket_delete(f->m, "b", f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 3);
    assert_true(has_id(&g, "p1") && has_id(&g, "p2") && has_id(&g, "p3"));
    assert_false(pail_meta_data_id_used(f->m, "p2"));
    struct pail_upload_rec got;
    assert_err(pail_meta_upload_get(f->m, "b", "k", "U1", f->a, &got), PAIL_E_NoSuchUpload);
    mk_bucket(f, "b"); /* the name is free again, with nothing left over */
    struct pail_uploads_out uo;
    struct pail_uploads_opts uopts = {.max = 10};
    assert_err(pail_meta_upload_list(f->m, "b", &uopts, f->a, &uo), PAIL_OK);
    assert_int_equal(uo.nuploads, 0);
}

/* ---- objects ---- */

static void test_objects(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    struct pail_object_rec o = {
        .bucket = "b", .key = "dir/é ☃.txt", .size = UINT64_C(5) << 40,
        .etag = "0123456789abcdef0123456789abcdef-3", .mtime_ms = 1700000000123,
        .data_id = "D1", .content_type = "text/plain", .headers = "{\"x-amz-meta-a\":\"1\"}",
        .checksum_algo = "CRC32C", .checksum = "AAAAAA==", .checksum_type = "COMPOSITE",
        .parts = "[5242880,1024]", .owner = "alice",
    };
    struct pail_garbage g;
    assert_err(pail_meta_object_put(f->m, &o, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);

    struct pail_object_rec got;
    assert_err(pail_meta_object_get(f->m, "b", o.key, f->a, &got), PAIL_OK);
    assert_string_equal(got.bucket, "b");
    assert_string_equal(got.key, o.key);
    assert_true(got.size == o.size);
    assert_string_equal(got.etag, o.etag);
    assert_int_equal(got.mtime_ms, o.mtime_ms);
    assert_string_equal(got.data_id, "D1");
    assert_string_equal(got.content_type, o.content_type);
    assert_string_equal(got.headers, o.headers);
    assert_string_equal(got.checksum_algo, o.checksum_algo);
    assert_string_equal(got.checksum, o.checksum);
    assert_string_equal(got.checksum_type, o.checksum_type);
    assert_string_equal(got.parts, o.parts);
    assert_string_equal(got.owner, o.owner);

    /* Overwrite: the old blob is garbage; optional fields come back NULL. */
    struct pail_object_rec o2 = {.bucket = "b", .key = o.key, .size = 3, .etag = "e2",
                                 .mtime_ms = 9, .data_id = "D2"};
    assert_err(pail_meta_object_put(f->m, &o2, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.ids[0], "D1");
    assert_err(pail_meta_object_get(f->m, "b", o.key, f->a, &got), PAIL_OK);
    assert_string_equal(got.data_id, "D2");
    assert_null(got.content_type);
    assert_null(got.headers);
    assert_null(got.checksum_algo);
    assert_null(got.parts);
    /* Re-putting the same data id frees nothing. */
    assert_err(pail_meta_object_put(f->m, &o2, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);

    assert_err(pail_meta_object_get(f->m, "b", "missing", f->a, &got), PAIL_E_NoSuchKey);
    assert_err(pail_meta_object_get(f->m, "nob", "k", f->a, &got), PAIL_E_NoSuchBucket);
    o2.bucket = "nob";
    assert_err(pail_meta_object_put(f->m, &o2, f->a, &g), PAIL_E_NoSuchBucket);
    assert_err(pail_meta_object_delete(f->m, "nob", "k", f->a, &g), PAIL_E_NoSuchBucket);

    assert_true(pail_meta_data_id_used(f->m, "D2"));
    assert_false(pail_meta_data_id_used(f->m, "D1"));
    assert_err(pail_meta_object_delete(f->m, "b", o.key, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.ids[0], "D2");
    assert_false(pail_meta_data_id_used(f->m, "D2"));
    assert_err(pail_meta_object_delete(f->m, "b", o.key, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);
    assert_err(pail_meta_object_get(f->m, "b", o.key, f->a, &got), PAIL_E_NoSuchKey);
}

/* Version 6: tags ride with object and upload records; object_tags_put
 * replaces them alone (mtime and data unchanged), through the record cache. */
static void test_tags(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    assert_true(pail_meta_enable_cache(f->m, 1 << 20));
    struct pail_object_rec o = {.bucket = "b", .key = "k", .size = 1, .etag = "e", .mtime_ms = 7,
                                .data_id = "D1", .tags = "[[\"a\",\"1\"]]"};
    struct pail_garbage g;
    assert_err(pail_meta_object_put(f->m, &o, f->a, &g), PAIL_OK);
    struct pail_object_rec got;
    assert_err(pail_meta_object_get(f->m, "b", "k", f->a, &got), PAIL_OK);
    assert_string_equal(got.tags, o.tags);
    assert_err(pail_meta_object_tags_put(f->m, "b", "k", "[[\"b\",\"2\"]]"), PAIL_OK);
    assert_err(pail_meta_object_get(f->m, "b", "k", f->a, &got), PAIL_OK);
    assert_string_equal(got.tags, "[[\"b\",\"2\"]]");
    assert_int_equal(got.mtime_ms, 7);
    assert_string_equal(got.data_id, "D1");
    assert_err(pail_meta_object_tags_put(f->m, "b", "k", NULL), PAIL_OK);
    assert_err(pail_meta_object_get(f->m, "b", "k", f->a, &got), PAIL_OK);
    assert_null(got.tags);
    assert_err(pail_meta_object_tags_put(f->m, "b", "missing", "[]"), PAIL_E_NoSuchKey);
    assert_err(pail_meta_object_tags_put(f->m, "nob", "k", "[]"), PAIL_E_NoSuchBucket);
    struct pail_upload_rec u = {.upload_id = "U1", .bucket = "b", .key = "mp",
                                .initiated_ms = 1, .tags = "[[\"t\",\"\"]]"};
    assert_err(pail_meta_upload_create(f->m, &u), PAIL_OK);
    struct pail_upload_rec ugot;
    assert_err(pail_meta_upload_get(f->m, "b", "mp", "U1", f->a, &ugot), PAIL_OK);
    assert_string_equal(ugot.tags, u.tags);
}

/* Version 7: a bucket's object count and byte total follow puts,
 * overwrites and deletes; other buckets do not count. */
static void test_bucket_usage(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    mk_bucket(f, "other");
    uint64_t n = 9, bytes = 9;
    assert_err(pail_meta_bucket_usage(f->m, "b", &n, &bytes), PAIL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(bytes, 0);
    put_key(f, "b", "abc", NULL);   /* sizes are the keys' lengths */
    put_key(f, "b", "abcde", NULL);
    put_key(f, "b", "abc", NULL);   /* an overwrite counts once */
    put_key(f, "other", "zzzzzzzz", NULL);
    assert_err(pail_meta_bucket_usage(f->m, "b", &n, &bytes), PAIL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(bytes, 8);
    struct pail_garbage g;
    assert_err(pail_meta_object_delete(f->m, "b", "abc", f->a, &g), PAIL_OK);
    assert_err(pail_meta_bucket_usage(f->m, "b", &n, &bytes), PAIL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(bytes, 5);
    assert_err(pail_meta_bucket_usage(f->m, "nob", &n, &bytes), PAIL_E_NoSuchBucket);
}

/* A blob shared by two keys (e.g. a server-side copy that reused it) is not
 * garbage until the last reference goes. */
static void test_shared_data_id(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    put_key(f, "b", "k1", "S");
    put_key(f, "b", "k2", "S");
    struct pail_garbage g;
    assert_err(pail_meta_object_delete(f->m, "b", "k1", f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);
    assert_err(pail_meta_object_delete(f->m, "b", "k2", f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 1);
}

static void test_reopen(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    put_key(f, "b", "k", NULL);
    pail_meta_close(f->m);
    assert_err(pail_meta_open("sqlite", f->dir, &f->m), PAIL_OK);
    struct pail_object_rec got;
    assert_err(pail_meta_object_get(f->m, "b", "k", f->a, &got), PAIL_OK);
    struct pail_meta *m2;
    assert_err(pail_meta_open("nosuch", f->dir, &m2), PAIL_E_InvalidArgument);
    assert_null(m2);
    assert_err(pail_meta_open("sqlite", "/proc/self/nonexistent/x", &m2), PAIL_E_InternalError);
    assert_null(m2);
    /* A database from a newer pail is refused, not "migrated". */
    pail_meta_close(f->m);
    f->m = NULL;
    char path[300];
    snprintf(path, sizeof path, "%s/meta.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_err(pail_meta_open("sqlite", f->dir, &m2), PAIL_E_InternalError);
}

/* ---- snapshot (pail admin check, backup) ---- */

struct refs {
    int objects, parts, inlined;
    char seen[512];
};

static void on_ref(void *ctx, const struct pail_data_ref *r)
{
    struct refs *x = ctx;
    if (r->upload_id)
        x->parts++;
    else
        x->objects++;
    x->inlined += r->is_inline;
    if (!r->is_inline) {
        size_t n = strlen(x->seen);
        snprintf(x->seen + n, sizeof x->seen - n, "%s/%s%s%s=%s:%llu ", r->bucket, r->key,
                 r->upload_id ? "#" : "", r->upload_id ? r->checksum_algo : "", r->data_id,
                 (unsigned long long)r->size);
    }
}

static void test_snapshot(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    put_key(f, "b", "k1", NULL);
    struct pail_object_rec in = {.bucket = "b", .key = "small", .size = 3, .etag = "e",
                                 .mtime_ms = 1, .inline_data = "abc"};
    struct pail_garbage g;
    assert_err(pail_meta_object_put(f->m, &in, f->a, &g), PAIL_OK);
    struct pail_upload_rec u = {.upload_id = "U", .bucket = "b", .key = "up",
                                .initiated_ms = 1, .checksum_algo = "SHA256"};
    assert_err(pail_meta_upload_create(f->m, &u), PAIL_OK);
    struct pail_part_rec p = {.upload_id = "U", .part_number = 1, .size = 9, .etag = "e",
                              .mtime_ms = 1, .data_id = "P1"};
    assert_err(pail_meta_part_put(f->m, &p, f->a, &g), PAIL_OK);

    struct refs x = {0};
    assert_err(pail_meta_snapshot(f->m, NULL, on_ref, &x), PAIL_OK);
    assert_int_equal(x.objects, 2);
    assert_int_equal(x.inlined, 1);
    assert_int_equal(x.parts, 1);
    assert_string_equal(x.seen, "b/k1=d-k1:2 b/up#SHA256=P1:9 ");

    /* The copy is a store of its own with the same rows. */
    char copy[300], db[320];
    snprintf(copy, sizeof copy, "%s/copy", f->dir);
    assert_int_equal(mkdir(copy, 0700), 0);
    snprintf(db, sizeof db, "%s/meta.db", copy);
    assert_err(pail_meta_snapshot(f->m, db, NULL, NULL), PAIL_OK);
    put_key(f, "b", "later", NULL); /* after the snapshot: not in the copy */
    struct pail_meta *m2;
    assert_err(pail_meta_open("sqlite", copy, &m2), PAIL_OK);
    struct pail_object_rec got;
    assert_err(pail_meta_object_get(m2, "b", "small", f->a, &got), PAIL_OK);
    assert_memory_equal(got.inline_data, "abc", 3);
    assert_err(pail_meta_object_get(m2, "b", "later", f->a, &got), PAIL_E_NoSuchKey);
    struct refs y = {0};
    assert_err(pail_meta_snapshot(m2, NULL, on_ref, &y), PAIL_OK);
    assert_string_equal(y.seen, x.seen);
    pail_meta_close(m2);
}

/* ---- listing: fixed cases ---- */

/* Lists one page and renders it as "o:key p:cp …|T" (T when truncated). */
static const char *page(struct fx *f, const char *prefix, const char *delim, const char *after,
                        unsigned max)
{
    struct pail_list_opts o = {.prefix = prefix, .delimiter = delim, .after = after, .max = max};
    struct pail_list_out out;
    assert_err(pail_meta_object_list(f->m, "b", &o, f->a, &out), PAIL_OK);
    char *s = pail_arena_strdup(f->a, "");
    size_t oi = 0, pi = 0;
    while (oi < out.nobjects || pi < out.nprefixes) {
        bool take_obj = pi == out.nprefixes ||
                        (oi < out.nobjects && strcmp(out.objects[oi].key, out.prefixes[pi]) < 0);
        s = take_obj ? pail_arena_printf(f->a, "%so:%s ", s, out.objects[oi++].key)
                     : pail_arena_printf(f->a, "%sp:%s ", s, out.prefixes[pi++]);
    }
    return pail_arena_printf(f->a, "%s|%s%s", s, out.truncated ? "T" : "", out.last ? out.last : "");
}

static void test_list_cases(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    assert_string_equal(page(f, "", "/", "", 10), "|");
    assert_string_equal(page(f, "", NULL, "", 0), "|");
    const char *keys[] = {"a/1", "a/2", "b", "c/x/y", "c/z", "d", "c//q"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        put_key(f, "b", keys[i], NULL);
    assert_string_equal(page(f, "", NULL, "", 100), "o:a/1 o:a/2 o:b o:c//q o:c/x/y o:c/z o:d |d");
    assert_string_equal(page(f, "", "/", "", 100), "p:a/ o:b p:c/ o:d |d");
    assert_string_equal(page(f, "", "/", "", 2), "p:a/ o:b |Tb");
    assert_string_equal(page(f, "", "/", "b", 2), "p:c/ o:d |d");
    assert_string_equal(page(f, "", "/", "a/", 10), "o:b p:c/ o:d |d");   /* after = CP */
    assert_string_equal(page(f, "", "/", "a/1", 10), "o:b p:c/ o:d |d");  /* after in CP */
    assert_string_equal(page(f, "", "/", "a", 10), "p:a/ o:b p:c/ o:d |d");
    assert_string_equal(page(f, "c/", "/", "", 10), "p:c// p:c/x/ o:c/z |c/z");
    assert_string_equal(page(f, "c/", "//", "", 10), "o:c//q o:c/x/y o:c/z |c/z");
    assert_string_equal(page(f, "", "//", "", 10), "o:a/1 o:a/2 o:b p:c// o:c/x/y o:c/z o:d |d");
    assert_string_equal(page(f, "c", "/", "", 1), "p:c/ |c/");
    assert_string_equal(page(f, "c", "/", "c/", 1), "|");
    assert_string_equal(page(f, "", "/", "", 0), "|T");
    assert_string_equal(page(f, "zz", "/", "", 5), "|");
    assert_string_equal(page(f, "a/", NULL, "a/1", 5), "o:a/2 |a/2");
    assert_string_equal(page(f, "a/", NULL, "z", 5), "|");
    struct pail_list_opts o = {.prefix = "", .max = 1};
    struct pail_list_out out;
    assert_err(pail_meta_object_list(f->m, "nob", &o, f->a, &out), PAIL_E_NoSuchBucket);
    /* Records in a listing are complete. */
    o.max = 1;
    assert_err(pail_meta_object_list(f->m, "b", &o, f->a, &out), PAIL_OK);
    assert_string_equal(out.objects[0].bucket, "b");
    assert_string_equal(out.objects[0].data_id, "d-a/1");
    assert_int_equal(out.objects[0].size, 3);
}

/* ---- listing: brute-force model on random keys ---- */

struct entry {
    const char *s;
    bool cp;
};

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y); /* unsigned bytes */
}

/* Every listing entry for (prefix, delim) in order, straight from the spec. */
static size_t model_entries(struct fx *f, char **keys, size_t n, const char *prefix,
                            const char *delim, struct entry *out)
{
    size_t plen = strlen(prefix), ne = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(keys[i], prefix, plen) != 0)
            continue;
        const char *d = delim && *delim ? strstr(keys[i] + plen, delim) : NULL;
        if (!d) {
            out[ne++] = (struct entry){keys[i], false};
            continue;
        }
        char *cp = pail_arena_strndup(f->a, keys[i], (size_t)(d - keys[i]) + strlen(delim));
        if (ne == 0 || !out[ne - 1].cp || strcmp(out[ne - 1].s, cp) != 0)
            out[ne++] = (struct entry){cp, true};
    }
    return ne;
}

/* Checks one page against the model: entries > after, first max of them. */
static const char *check_page(struct fx *f, const struct entry *e, size_t ne, const char *prefix,
                              const char *delim, const char *after, unsigned max)
{
    size_t lo = 0, hi = ne; /* first entry > after */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(e[mid].s, after) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    struct pail_list_opts o = {.prefix = prefix, .delimiter = delim, .after = after, .max = max};
    struct pail_list_out out;
    assert_err(pail_meta_object_list(f->m, "b", &o, f->a, &out), PAIL_OK);
    size_t want = ne - lo < max ? ne - lo : max, oi = 0, pi = 0;
    if (out.nobjects + out.nprefixes != want)
        fail_msg("prefix '%s' delim '%s' after '%s' max %u: %zu entries, want %zu", prefix,
                 delim ? delim : "(null)", after, max, out.nobjects + out.nprefixes, want);
    for (size_t i = lo; i < lo + want; i++) {
        const char *got = e[i].cp ? out.prefixes[pi++] : out.objects[oi++].key;
        if (strcmp(got, e[i].s) != 0)
            fail_msg("prefix '%s' delim '%s' after '%s': entry %zu is '%s', want '%s'", prefix,
                     delim ? delim : "(null)", after, i - lo, got, e[i].s);
    }
    assert_int_equal(out.truncated, lo + want < ne);
    if (want)
        assert_string_equal(out.last, e[lo + want - 1].s);
    return out.truncated ? out.last : NULL;
}

static const char *const tokens[] = {"a", "b", "/", "//", "é", "日本", "\xef\xbf\xbf",
                                     "\xf4\x8f\xbf\xbf", "\xff", "z", "0", "~"};
#define NTOK (sizeof tokens / sizeof *tokens)

static char *random_key(struct fx *f, unsigned *seed)
{
    char buf[64];
    size_t len = 0;
    int n = 1 + rand_r(seed) % 6;
    for (int i = 0; i < n; i++) {
        const char *t = tokens[rand_r(seed) % NTOK];
        memcpy(buf + len, t, strlen(t)); /* at most 6 x 4 bytes */
        len += strlen(t);
    }
    return pail_arena_strndup(f->a, buf, len);
}

static void test_list_model(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    unsigned seed = 12345;
    enum { N = 3000 };
    char **keys = pail_arena_alloc(f->a, N * sizeof *keys);
    for (size_t i = 0; i < N; i++) {
        keys[i] = random_key(f, &seed);
        put_key(f, "b", keys[i], NULL);
    }
    qsort(keys, N, sizeof *keys, cmp_str);
    size_t n = 0; /* dedupe: a repeated put overwrote */
    for (size_t i = 0; i < N; i++)
        if (n == 0 || strcmp(keys[n - 1], keys[i]) != 0)
            keys[n++] = keys[i];
    const char *prefixes[] = {"", "a", "a/", "/", "\xff", "\xef\xbf", "é", "b//", "zz"};
    const char *delims[] = {NULL, "/", "//", "\xff", "é"};
    struct entry *e = pail_arena_alloc(f->a, n * sizeof *e);
    unsigned long pages = 0;
    for (size_t pi = 0; pi < sizeof prefixes / sizeof *prefixes; pi++)
        for (size_t di = 0; di < sizeof delims / sizeof *delims; di++) {
            size_t ne = model_entries(f, keys, n, prefixes[pi], delims[di], e);
            for (unsigned max = 1; max <= 7; max++) /* page through with NextMarker */
                for (const char *after = ""; after; pages++)
                    after = check_page(f, e, ne, prefixes[pi], delims[di], after, max);
            for (int r = 0; r < 40; r++, pages++) /* arbitrary markers */
                check_page(f, e, ne, prefixes[pi], delims[di], random_key(f, &seed),
                           1 + (unsigned)rand_r(&seed) % 7);
        }
    print_message("    %zu distinct keys, %lu pages checked against the model\n", n, pages);
}

/* ---- listing: seeks, not scans ---- */

/* Loads 100,000 keys straight into meta.db in one transaction: through the
 * vtable each put would be its own durable transaction. */
static void bulk_load(struct fx *f)
{
    char path[300];
    snprintf(path, sizeof path, "%s/meta.db", f->dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO objects(bucket, key, size, etag, "
                                            "mtime_ms, data_id) VALUES('b', ?1, 1, 'e', 1, ?1)",
                                        -1, &st, NULL), SQLITE_OK);
    for (int p = 0; p < 5; p++)
        for (int k = 0; k < 20000; k++) {
            char key[32];
            snprintf(key, sizeof key, "p%d/k%05d", p, k);
            sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
            assert_int_equal(sqlite3_step(st), SQLITE_DONE);
            sqlite3_reset(st);
        }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Lists and returns rows stepped; *us gets the wall time. */
static unsigned long steps_of(struct fx *f, const char *prefix, const char *delim,
                              const char *after, unsigned max, struct pail_list_out *out,
                              double *us)
{
    struct pail_list_opts o = {.prefix = prefix, .delimiter = delim, .after = after, .max = max};
    unsigned long before = atomic_load(&pail__meta_sqlite_list_rows);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_err(pail_meta_object_list(f->m, "b", &o, f->a, out), PAIL_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
    return atomic_load(&pail__meta_sqlite_list_rows) - before;
}

static void test_list_seeks(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    bulk_load(f);
    struct pail_list_out out;
    double us, us_scan;
    unsigned long n = steps_of(f, "", "/", "", 1000, &out, &us);
    assert_int_equal(out.nprefixes, 5);
    assert_int_equal(out.nobjects, 0);
    assert_false(out.truncated);
    assert_true(n <= 5);
    print_message("    delimiter over 100000 keys: 5 prefixes, %lu rows, %.0f us\n", n, us);

    n = steps_of(f, "", "/", "p1/k00500", 2, &out, &us); /* after inside p1/ */
    assert_int_equal(out.nprefixes, 2);
    assert_string_equal(out.prefixes[0], "p2/");
    assert_true(out.truncated);
    assert_true(n <= 6);

    n = steps_of(f, "p2/", "/", "p2/k10000", 10, &out, &us);
    assert_int_equal(out.nobjects, 10);
    assert_string_equal(out.objects[0].key, "p2/k10001");
    assert_true(out.truncated);
    assert_true(n <= 12);

    n = steps_of(f, "p4/", NULL, "", 1000, &out, &us_scan);
    assert_int_equal(out.nobjects, 1000);
    assert_true(n <= 1001);
    print_message("    1000-key page from the middle: %lu rows, %.0f us\n", n, us_scan);

    n = steps_of(f, "p", "k", "", 1000, &out, &us); /* every key rolls up under "pN/k" */
    assert_int_equal(out.nprefixes, 5);
    assert_true(n <= 5);
}

/* ---- multipart ---- */

static void put_part(struct fx *f, const char *uid, int num, const char *data_id,
                     struct pail_garbage *g)
{
    struct pail_part_rec p = {.upload_id = uid, .part_number = num, .size = 100u * (unsigned)num,
                              .etag = "e", .mtime_ms = num, .data_id = data_id,
                              .checksum = num == 1 ? "c1" : NULL};
    assert_err(pail_meta_part_put(f->m, &p, f->a, g), PAIL_OK);
}

static void test_multipart(void **state)
{
    struct fx *f = *state;
    struct pail_upload_rec u = {.upload_id = "U1", .bucket = "b", .key = "big", .initiated_ms = 77,
                                .content_type = "video/mp4", .headers = "{}",
                                .checksum_algo = "SHA256", .checksum_type = "COMPOSITE",
                                .owner = "alice"};
    assert_err(pail_meta_upload_create(f->m, &u), PAIL_E_NoSuchBucket);
    mk_bucket(f, "b");
    assert_err(pail_meta_upload_create(f->m, &u), PAIL_OK);
    struct pail_upload_rec got;
    assert_err(pail_meta_upload_get(f->m, "b", "big", "U1", f->a, &got), PAIL_OK);
    assert_string_equal(got.upload_id, "U1");
    assert_string_equal(got.bucket, "b");
    assert_string_equal(got.key, "big");
    assert_int_equal(got.initiated_ms, 77);
    assert_string_equal(got.content_type, "video/mp4");
    assert_string_equal(got.checksum_algo, "SHA256");
    assert_string_equal(got.checksum_type, "COMPOSITE");
    assert_string_equal(got.owner, "alice");
    assert_err(pail_meta_upload_get(f->m, "b", "other", "U1", f->a, &got), PAIL_E_NoSuchUpload);
    assert_err(pail_meta_upload_get(f->m, "c", "big", "U1", f->a, &got), PAIL_E_NoSuchUpload);
    assert_err(pail_meta_upload_get(f->m, "b", "big", "U2", f->a, &got), PAIL_E_NoSuchUpload);

    struct pail_garbage g;
    put_part(f, "U1", 1, "P1", &g);
    put_part(f, "U1", 3, "P3", &g);
    put_part(f, "U1", 2, "P2a", &g);
    assert_int_equal(g.n, 0);
    put_part(f, "U1", 2, "P2", &g); /* replace */
    assert_int_equal(g.n, 1);
    assert_string_equal(g.ids[0], "P2a");
    struct pail_part_rec bad = {.upload_id = "nope", .part_number = 1, .etag = "e", .data_id = "x"};
    assert_err(pail_meta_part_put(f->m, &bad, f->a, &g), PAIL_E_NoSuchUpload);
    bad.upload_id = "U1";
    bad.part_number = 0;
    assert_err(pail_meta_part_put(f->m, &bad, f->a, &g), PAIL_E_InvalidArgument);
    bad.part_number = 10001;
    assert_err(pail_meta_part_put(f->m, &bad, f->a, &g), PAIL_E_InvalidArgument);

    struct pail_parts_out po;
    assert_err(pail_meta_part_list(f->m, "U1", 0, 2, f->a, &po), PAIL_OK);
    assert_int_equal(po.nparts, 2);
    assert_int_equal(po.parts[0].part_number, 1);
    assert_string_equal(po.parts[0].checksum, "c1");
    assert_string_equal(po.parts[1].data_id, "P2");
    assert_int_equal(po.parts[1].size, 200);
    assert_true(po.truncated);
    assert_int_equal(po.next_marker, 2);
    assert_err(pail_meta_part_list(f->m, "U1", 2, 2, f->a, &po), PAIL_OK);
    assert_int_equal(po.nparts, 1);
    assert_int_equal(po.parts[0].part_number, 3);
    assert_null(po.parts[0].checksum);
    assert_false(po.truncated);
    assert_err(pail_meta_part_list(f->m, "U1", 0, 3, f->a, &po), PAIL_OK);
    assert_false(po.truncated);
    assert_err(pail_meta_part_list(f->m, "nope", 0, 3, f->a, &po), PAIL_E_NoSuchUpload);

    /* Complete over an existing object: old object + all parts are garbage,
     * except a part blob reused as the object's own data. */
    put_key(f, "b", "big", "OLD");
    struct pail_object_rec o = {.bucket = "b", .key = "big", .size = 600, .etag = "x-3",
                                .mtime_ms = 99, .data_id = "P3", .parts = "[100,200,300]"};
    struct pail_object_rec wrong = o;
    wrong.key = "other";
    assert_err(pail_meta_upload_complete(f->m, "U1", &wrong, f->a, &g), PAIL_E_NoSuchUpload);
    assert_err(pail_meta_upload_complete(f->m, "U1", &o, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 3);
    assert_true(has_id(&g, "OLD") && has_id(&g, "P1") && has_id(&g, "P2"));
    assert_false(has_id(&g, "P3"));
    struct pail_object_rec og;
    assert_err(pail_meta_object_get(f->m, "b", "big", f->a, &og), PAIL_OK);
    assert_string_equal(og.parts, "[100,200,300]");
    assert_err(pail_meta_upload_get(f->m, "b", "big", "U1", f->a, &got), PAIL_E_NoSuchUpload);
    assert_err(pail_meta_upload_complete(f->m, "U1", &o, f->a, &g), PAIL_E_NoSuchUpload);
    assert_int_equal(g.n, 0);

    /* Abort. */
    u.upload_id = "U2";
    assert_err(pail_meta_upload_create(f->m, &u), PAIL_OK);
    put_part(f, "U2", 1, "Q1", &g);
    put_part(f, "U2", 2, "Q2", &g);
    assert_err(pail_meta_upload_abort(f->m, "b", "wrong", "U2", f->a, &g), PAIL_E_NoSuchUpload);
    assert_err(pail_meta_upload_abort(f->m, "b", "big", "U2", f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 2);
    assert_true(has_id(&g, "Q1") && has_id(&g, "Q2"));
    assert_err(pail_meta_upload_abort(f->m, "b", "big", "U2", f->a, &g), PAIL_E_NoSuchUpload);
    assert_false(pail_meta_data_id_used(f->m, "Q1"));
    assert_true(pail_meta_data_id_used(f->m, "P3"));
}

/* ---- upload listing ---- */

/* Renders a page of uploads as "key=id … p:cp …|T next-key next-id". */
static const char *upage(struct fx *f, const char *prefix, const char *delim, const char *km,
                         const char *um, unsigned max, struct pail_uploads_out *out)
{
    struct pail_uploads_opts o = {.prefix = prefix, .delimiter = delim, .key_marker = km,
                                  .upload_id_marker = um, .max = max};
    assert_err(pail_meta_upload_list(f->m, "b", &o, f->a, out), PAIL_OK);
    char *s = pail_arena_strdup(f->a, "");
    for (size_t i = 0; i < out->nprefixes; i++)
        s = pail_arena_printf(f->a, "%sp:%s ", s, out->prefixes[i]);
    for (size_t i = 0; i < out->nuploads; i++)
        s = pail_arena_printf(f->a, "%s%s=%s ", s, out->uploads[i].key, out->uploads[i].upload_id);
    return pail_arena_printf(f->a, "%s|%s", s, out->truncated ? "T" : "");
}

/* Pages through with max and the returned markers; concatenates entries. */
static const char *upage_all(struct fx *f, const char *prefix, const char *delim, unsigned max)
{
    const char *all = "", *km = "", *um = NULL;
    for (int guard = 0; guard < 100; guard++) {
        struct pail_uploads_out out;
        const char *p = upage(f, prefix, delim, km, um, max, &out);
        all = pail_arena_printf(f->a, "%s%.*s", all, (int)(strchr(p, '|') - p), p);
        if (!out.truncated)
            return all;
        km = out.next_key_marker;
        um = out.next_upload_id_marker;
    }
    fail_msg("upload paging did not end");
    return NULL;
}

static void test_upload_list(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    struct { const char *id, *key; int64_t t; } ups[] = {
        {"u5", "b", 300}, {"u1", "a/1", 100}, {"u4", "b", 100}, {"u2", "a/2", 50},
        {"u3", "b", 100}, {"u6", "c", 10},
    };
    for (size_t i = 0; i < sizeof ups / sizeof *ups; i++) {
        struct pail_upload_rec u = {.upload_id = ups[i].id, .bucket = "b", .key = ups[i].key,
                                    .initiated_ms = ups[i].t};
        assert_err(pail_meta_upload_create(f->m, &u), PAIL_OK);
    }
    struct pail_uploads_out out;
    const char *full = "a/1=u1 a/2=u2 b=u3 b=u4 b=u5 c=u6 ";
    assert_string_equal(upage(f, "", NULL, NULL, NULL, 100, &out), "a/1=u1 a/2=u2 b=u3 b=u4 b=u5 c=u6 |");
    for (unsigned max = 1; max <= 4; max++)
        assert_string_equal(upage_all(f, "", NULL, max), full);
    assert_string_equal(upage(f, "", "/", "", NULL, 100, &out), "p:a/ b=u3 b=u4 b=u5 c=u6 |");
    for (unsigned max = 1; max <= 3; max++)
        assert_string_equal(upage_all(f, "", "/", max), "p:a/ b=u3 b=u4 b=u5 c=u6 ");
    assert_string_equal(upage(f, "a/", NULL, NULL, NULL, 100, &out), "a/1=u1 a/2=u2 |");
    assert_string_equal(upage(f, "", NULL, "b", NULL, 100, &out), "c=u6 |");
    assert_string_equal(upage(f, "", NULL, "b", "u4", 100, &out), "b=u5 c=u6 |");
    /* A vanished marker upload: AWS's lexicographic rule within the key. */
    assert_string_equal(upage(f, "", NULL, "b", "u35", 100, &out), "b=u4 b=u5 c=u6 |");
    assert_string_equal(upage(f, "", NULL, "", "u4", 100, &out), "a/1=u1 a/2=u2 b=u3 b=u4 b=u5 c=u6 |");
    assert_string_equal(upage(f, "", NULL, NULL, NULL, 2, &out), "a/1=u1 a/2=u2 |T");
    assert_string_equal(out.next_key_marker, "a/2");
    assert_string_equal(out.next_upload_id_marker, "u2");
    assert_string_equal(upage(f, "", "/", NULL, NULL, 1, &out), "p:a/ |T");
    assert_string_equal(out.next_key_marker, "a/");
    assert_null(out.next_upload_id_marker);
    assert_string_equal(upage(f, "", NULL, NULL, NULL, 0, &out), "|T");
    struct pail_uploads_opts o = {.max = 5};
    assert_err(pail_meta_upload_list(f->m, "nob", &o, f->a, &out), PAIL_E_NoSuchBucket);
}

/* ---- inline data ---- */

static int inline_rows(struct fx *f)
{
    char path[300];
    snprintf(path, sizeof path, "%s/meta.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM inline_data", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Small objects' bytes live in the metadata: stored and returned whole, never
 * handed out as garbage (dropped in the same transaction), absent from
 * listings' records, and replaced by and replacing blob-backed objects. */
static void test_inline(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    assert_true(pail_meta_can_inline(f->m));
    struct pail_object_rec o = {.bucket = "b", .key = "k", .size = 5, .etag = "e",
                                .mtime_ms = 1, .data_id = "ignored", .inline_data = "hello"};
    struct pail_garbage g;
    struct pail_object_rec got;
    assert_err(pail_meta_object_put(f->m, &o, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);
    assert_err(pail_meta_object_get(f->m, "b", "k", f->a, &got), PAIL_OK);
    assert_non_null(got.inline_data);
    assert_memory_equal(got.inline_data, "hello", 5);
    assert_int_equal(got.data_id[0], 'i');
    const char *first = got.data_id;

    o.size = 0, o.inline_data = ""; /* empty, inline: a new id, the old row dropped */
    assert_err(pail_meta_object_put(f->m, &o, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);
    assert_err(pail_meta_object_get(f->m, "b", "k", f->a, &got), PAIL_OK);
    assert_non_null(got.inline_data);
    assert_int_equal(got.size, 0);
    assert_string_not_equal(got.data_id, first);
    assert_int_equal(inline_rows(f), 1);

    struct pail_list_opts lo = {.prefix = "", .max = 10};
    struct pail_list_out out;
    assert_err(pail_meta_object_list(f->m, "b", &lo, f->a, &out), PAIL_OK);
    assert_int_equal(out.nobjects, 1);
    assert_null(out.objects[0].inline_data);

    put_key(f, "b", "k", "blob1"); /* inline -> blob: nothing to collect */
    assert_int_equal(inline_rows(f), 0);
    assert_err(pail_meta_object_get(f->m, "b", "k", f->a, &got), PAIL_OK);
    assert_null(got.inline_data);
    assert_string_equal(got.data_id, "blob1");

    o.size = 3, o.inline_data = "abc"; /* blob -> inline: the blob is garbage */
    assert_err(pail_meta_object_put(f->m, &o, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 1);
    assert_true(has_id(&g, "blob1"));

    o.key = "k2";
    assert_err(pail_meta_object_put(f->m, &o, f->a, &g), PAIL_OK);
    assert_int_equal(inline_rows(f), 2);
    assert_err(pail_meta_object_delete(f->m, "b", "k", f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);
    const char *keys[] = {"k2"};
    assert_err(pail_meta_object_delete_many(f->m, "b", keys, 1, f->a, &g), PAIL_OK);
    assert_int_equal(g.n, 0);
    assert_int_equal(inline_rows(f), 0);
    assert_err(pail_meta_bucket_delete(f->m, "b", f->a, &g), PAIL_OK);
}

/* ---- threads ---- */

struct thr {
    struct fx *f;
    int id;
    int errors;
};

static void *worker(void *arg)
{
    struct thr *t = arg;
    struct pail_arena *a = pail_arena_new();
    for (int i = 0; i < 100; i++) {
        char key[32], id[32];
        snprintf(key, sizeof key, "t%d/%03d", t->id, i);
        snprintf(id, sizeof id, "D%d-%d", t->id, i);
        struct pail_object_rec o = {.bucket = "b", .key = key, .size = 1, .etag = "e",
                                    .data_id = id};
        struct pail_garbage g;
        struct pail_object_rec got;
        struct pail_list_opts lo = {.prefix = "", .delimiter = "/", .max = 10};
        struct pail_list_out out;
        t->errors += pail_meta_object_put(t->f->m, &o, a, &g) != PAIL_OK;
        /* read your write: the get may run on another (reader) connection */
        t->errors += pail_meta_object_get(t->f->m, "b", key, a, &got) != PAIL_OK ||
                     strcmp(got.data_id, id) != 0;
        t->errors += pail_meta_object_list(t->f->m, "b", &lo, a, &out) != PAIL_OK;
        /* A write that fails inside a batch of others (rolled back to its
         * savepoint) fails alone. */
        struct pail_object_rec bad = {.bucket = "nob", .key = key, .size = 2, .etag = "e",
                                      .inline_data = "xy"};
        t->errors += pail_meta_object_put(t->f->m, &bad, a, &g) != PAIL_E_NoSuchBucket;
        if (i % 2) /* odd keys go again: 50 per thread remain */
            t->errors += pail_meta_object_delete(t->f->m, "b", key, a, &g) != PAIL_OK ||
                         g.n != 1 || strcmp(g.ids[0], id) != 0;
    }
    pail_arena_free(a);
    return NULL;
}

static void test_threads(void **state)
{
    struct fx *f = *state;
    mk_bucket(f, "b");
    pthread_t th[6];
    struct thr t[6];
    for (int i = 0; i < 6; i++) {
        t[i] = (struct thr){f, i, 0};
        pthread_create(&th[i], NULL, worker, &t[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].errors, 0);
    }
    struct pail_list_opts o = {.prefix = "", .max = 10000};
    struct pail_list_out out;
    assert_err(pail_meta_object_list(f->m, "b", &o, f->a, &out), PAIL_OK);
    assert_int_equal(out.nobjects, 300);
    assert_int_equal(inline_rows(f), 0); /* the failed puts left no bytes */
}

int main(void)
{
    pail_log_set_level(PAIL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_buckets, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_bucket_delete_drops_uploads, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_objects, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_shared_data_id, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_tags, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_bucket_usage, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_list_cases, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_list_model, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_list_seeks, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_multipart, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_upload_list, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_inline, setup, fx_meta_teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, fx_meta_teardown),
    };
    return cmocka_run_group_tests_name("meta_sqlite", tests, NULL, NULL);
}
