/* tests/unit/data_file_test.c — the "file" data backend through the
 * pail_data_* wrappers: write/commit/read back, abort, compose of ranges,
 * sweep, remove, id validation, concurrent writers, and the operator's tools
 * (scan, remove_temp, export). Each test gets a fresh
 * directory under $PAIL_TEST_DIR, else $TMPDIR, else /tmp (a real disk
 * filesystem, so copy_file_range and fsync take their real paths). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include "core/err.h"
#include "core/log.h"
#include "store/data.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


struct fx {
    char dir[256];
    struct pail_data *d;
};

/* ---- fixture and helpers ---- */

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    fx_mkdtemp(f->dir, sizeof f->dir, fx_root(), "pail-data");
    /* A location that does not exist yet: open must create it. */
    char *loc = f->dir + strlen(f->dir);
    snprintf(loc, sizeof f->dir - strlen(f->dir), "/blobs/x");
    assert_err(pail_data_open("file", f->dir, &f->d), PAIL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    pail_data_close(f->d);
    *strstr(f->dir, "/blobs/x") = 0;
    fx_rmtree(f->dir);
    free(f);
    return 0;
}

/* Deterministic pseudo-random bytes. */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
    }
}

/* Writes n bytes (in uneven chunks) and commits; returns the id. */
static char *put_blob(struct fx *f, const unsigned char *p, size_t n)
{
    struct pail_data_writer *w;
    assert_err(pail_data_writer_open(f->d, &w), PAIL_OK);
    char *id = strdup(pail_data_writer_id(w));
    for (size_t off = 0, step = 1; off < n; off += step, step = step * 3 + 7) {
        if (step > n - off)
            step = n - off;
        assert_err(pail_data_write(w, p + off, step), PAIL_OK);
    }
    assert_err(pail_data_commit(w), PAIL_OK);
    return id;
}

/* Reads blob id whole into a malloc'd buffer; *n its size. */
static unsigned char *read_blob(struct fx *f, const char *id, size_t *n)
{
    int fd;
    uint64_t size;
    assert_err(pail_data_open_read(f->d, id, &fd, &size), PAIL_OK);
    unsigned char *p = malloc(size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t k = pread(fd, p + got, size - got, (off_t)got);
        assert_true(k > 0);
        got += (size_t)k;
    }
    close(fd);
    *n = size;
    return p;
}

/* Entries in <dir>/<sub>, "." and ".." excluded. */
static int count_dir(struct fx *f, const char *sub)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, sub);
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* ---- tests ---- */

static void test_write_commit_read(void **state)
{
    struct fx *f = *state;
    size_t n = 3u << 20;
    unsigned char *src = malloc(n);
    fill(src, n, 1);
    char *id = put_blob(f, src, n);
    assert_int_equal(strlen(id), 32);
    assert_int_equal(strspn(id, "0123456789abcdef"), 32);
    size_t got_n;
    unsigned char *got = read_blob(f, id, &got_n);
    assert_int_equal(got_n, n);
    assert_memory_equal(got, src, n);
    /* Layout: objects/ab/cd/<id>, mode 0600, nothing left in tmp/. */
    char path[512];
    snprintf(path, sizeof path, "%s/objects/%.2s/%.2s/%s", f->dir, id, id + 2, id);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_dir(f, "tmp"), 0);
    /* An empty blob is a blob too. */
    char *empty = put_blob(f, src, 0);
    free(read_blob(f, empty, &got_n));
    assert_int_equal(got_n, 0);
    /* Survives close/reopen. */
    pail_data_close(f->d);
    assert_err(pail_data_open("file", f->dir, &f->d), PAIL_OK);
    free(got);
    got = read_blob(f, id, &got_n);
    assert_memory_equal(got, src, n);
    struct pail_data *d2;
    assert_err(pail_data_open("nosuch", f->dir, &d2), PAIL_E_InvalidArgument);
    assert_err(pail_data_open("file", "/proc/self/nonexistent/x", &d2), PAIL_E_InternalError);
    assert_null(d2);
    free(got);
    free(src);
    free(id);
    free(empty);
}

static void test_abort(void **state)
{
    struct fx *f = *state;
    struct pail_data_writer *w;
    assert_err(pail_data_writer_open(f->d, &w), PAIL_OK);
    char id[33];
    memcpy(id, pail_data_writer_id(w), sizeof id);
    assert_err(pail_data_write(w, "hello", 5), PAIL_OK);
    assert_int_equal(count_dir(f, "tmp"), 1);
    pail_data_abort(w);
    pail_data_abort(NULL);
    assert_int_equal(count_dir(f, "tmp"), 0);
    assert_int_equal(count_dir(f, "objects"), 0);
    int fd;
    uint64_t size;
    assert_err(pail_data_open_read(f->d, id, &fd, &size), PAIL_E_NoSuchKey);
    assert_int_equal(fd, -1);
}

static void test_compose(void **state)
{
    struct fx *f = *state;
    enum { NA = 1 << 20, NB = 300000 };
    unsigned char *a = malloc(NA), *b = malloc(NB);
    fill(a, NA, 2);
    fill(b, NB, 3);
    char *ida = put_blob(f, a, NA), *idb = put_blob(f, b, NB);
    struct pail_data_seg segs[] = {
        {ida, 10, 1000}, {idb, 0, NB}, {ida, 5, 0}, {ida, NA - 4096, 4096}, {idb, 7, 1},
    };
    char id[33];
    assert_err(pail_data_compose(f->d, segs, 5, id), PAIL_OK);
    assert_int_equal(strlen(id), 32);
    size_t n;
    unsigned char *got = read_blob(f, id, &n);
    assert_int_equal(n, 1000 + NB + 4096 + 1);
    assert_memory_equal(got, a + 10, 1000);
    assert_memory_equal(got + 1000, b, NB);
    assert_memory_equal(got + 1000 + NB, a + NA - 4096, 4096);
    assert_int_equal(got[n - 1], b[7]);
    free(got);
    assert_err(pail_data_compose(f->d, segs, 0, id), PAIL_OK); /* empty blob */
    free(read_blob(f, id, &n));
    assert_int_equal(n, 0);

    struct pail_data_seg past = {idb, NB - 10, 11}, far = {idb, UINT64_MAX, 1},
                         gone = {"0123456789abcdef0123456789abcdef", 0, 1},
                         evil = {"../../../../etc/passwd", 0, 1};
    assert_err(pail_data_compose(f->d, &past, 1, id), PAIL_E_InvalidRange);
    assert_int_equal(id[0], 0);
    assert_err(pail_data_compose(f->d, &far, 1, id), PAIL_E_InvalidRange);
    assert_err(pail_data_compose(f->d, &gone, 1, id), PAIL_E_NoSuchKey);
    assert_err(pail_data_compose(f->d, &evil, 1, id), PAIL_E_NoSuchKey);
    assert_int_equal(count_dir(f, "tmp"), 0); /* failures leave nothing */
    free(a);
    free(b);
    free(ida);
    free(idb);
}

struct keep {
    const char *id;
    int calls;
};

static bool keep_one(void *ctx, const char *id)
{
    struct keep *k = ctx;
    k->calls++;
    return strcmp(id, k->id) == 0;
}

static void test_sweep(void **state)
{
    struct fx *f = *state;
    char *x = put_blob(f, (const unsigned char *)"x", 1);
    char *y = put_blob(f, (const unsigned char *)"y", 1);
    char *z = put_blob(f, (const unsigned char *)"z", 1);
    /* Crash leftovers: a temporary of a writer that never finished, and a
     * stray file that is not an id. Then a restart: a new process opens the
     * store. */
    char path[512];
    snprintf(path, sizeof path, "%s/tmp/0123456789abcdef0123456789abcdef", f->dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0 && write(fd, "partial", 7) == 7);
    close(fd);
    snprintf(path, sizeof path, "%s/objects/%.2s/%.2s/README", f->dir, x, x + 2);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    pail_data_close(f->d);
    assert_int_equal(count_dir(f, "tmp"), 1);
    assert_err(pail_data_open("file", f->dir, &f->d), PAIL_OK);

    /* The sweep runs while the new process serves: a writer opened and a
     * blob committed since the open are never swept, referenced or not. */
    struct pail_data_writer *live;
    assert_err(pail_data_writer_open(f->d, &live), PAIL_OK);
    assert_err(pail_data_write(live, "live", 4), PAIL_OK);
    char *fresh = put_blob(f, (const unsigned char *)"fresh", 5);
    struct keep k = {x, 0};
    unsigned removed;
    assert_err(pail_data_sweep(f->d, keep_one, &k, &removed), PAIL_OK);
    assert_int_equal(removed, 3); /* y, z and the old temporary */
    assert_int_equal(k.calls, 3); /* x, y, z: fresh is known without asking */
    assert_int_equal(count_dir(f, "tmp"), 1); /* the live writer's */
    size_t n;
    free(read_blob(f, x, &n));
    free(read_blob(f, fresh, &n));
    uint64_t size;
    assert_err(pail_data_open_read(f->d, y, &fd, &size), PAIL_E_NoSuchKey);
    assert_err(pail_data_open_read(f->d, z, &fd, &size), PAIL_E_NoSuchKey);
    assert_int_equal(access(path, F_OK), 0); /* not ours: left alone */
    assert_err(pail_data_commit(live), PAIL_OK);

    /* Ids are recorded only until the first sweep ends: the next one asks. */
    assert_err(pail_data_sweep(f->d, keep_one, &k, &removed), PAIL_OK);
    assert_int_equal(removed, 2); /* fresh and live, unreferenced */
    free(x);
    free(y);
    free(z);
    free(fresh);
}

static void test_remove_and_ids(void **state)
{
    struct fx *f = *state;
    char *id = put_blob(f, (const unsigned char *)"abc", 3);
    assert_err(pail_data_remove(f->d, id), PAIL_OK);
    int fd;
    uint64_t size;
    assert_err(pail_data_open_read(f->d, id, &fd, &size), PAIL_E_NoSuchKey);
    assert_err(pail_data_remove(f->d, id), PAIL_OK); /* idempotent */
    const char *bad[] = {"", "../objects", "0123456789abcdef0123456789abcde",
                         "0123456789abcdef0123456789abcdef0", "0123456789ABCDEF0123456789abcdef",
                         "0123456789abcdef0123456789abcde/", "../../../../../../../../etc/passwd"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_err(pail_data_open_read(f->d, bad[i], &fd, &size), PAIL_E_NoSuchKey);
        assert_true(pail_data_remove(f->d, bad[i]) != PAIL_OK);
    }
    free(id);
}

/* scan's report, collected. */
struct seen {
    int blobs, temps;
    char temp[64];
};

static void on_seen(void *ctx, const char *name, bool temporary)
{
    struct seen *s = ctx;
    if (temporary) {
        s->temps++;
        snprintf(s->temp, sizeof s->temp, "%s", name);
    } else {
        s->blobs++;
    }
}

static void test_scan_remove_temp_export(void **state)
{
    struct fx *f = *state;
    unsigned char big[70000];
    fill(big, sizeof big, 7);
    char *x = put_blob(f, big, sizeof big);
    char *y = put_blob(f, (const unsigned char *)"y", 1);
    char path[512];
    snprintf(path, sizeof path, "%s/tmp/leftover", f->dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);

    struct seen s = {0};
    assert_err(pail_data_scan(f->d, on_seen, &s), PAIL_OK);
    assert_int_equal(s.blobs, 2);
    assert_int_equal(s.temps, 1);
    assert_string_equal(s.temp, "leftover");
    assert_int_equal(count_dir(f, "tmp"), 1); /* scan touches nothing */
    assert_err(pail_data_remove_temp(f->d, "../objects"), PAIL_E_InvalidArgument);
    assert_err(pail_data_remove_temp(f->d, s.temp), PAIL_OK);
    assert_int_equal(count_dir(f, "tmp"), 0);

    /* Export into a second store: the same bytes under the same id, a hard
     * link on one filesystem; again is fine; an absent id is NoSuchKey. */
    char dst_dir[300];
    snprintf(dst_dir, sizeof dst_dir, "%s/../copy", f->dir);
    struct pail_data *dst;
    assert_err(pail_data_open(pail_data_backend_name(f->d), dst_dir, &dst), PAIL_OK);
    assert_err(pail_data_export(f->d, x, dst), PAIL_OK);
    assert_err(pail_data_export(f->d, x, dst), PAIL_OK);
    assert_err(pail_data_export(f->d, "0123456789abcdef0123456789abcdef", dst),
               PAIL_E_NoSuchKey);
    uint64_t size;
    assert_err(pail_data_open_read(dst, x, &fd, &size), PAIL_OK);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_nlink, 2);
    unsigned char *back = malloc(size);
    assert_int_equal(pread(fd, back, size, 0), (ssize_t)sizeof big);
    assert_memory_equal(back, big, sizeof big);
    free(back);
    close(fd);
    assert_err(pail_data_open_read(dst, y, &fd, &size), PAIL_E_NoSuchKey);
    pail_data_close(dst);

    /* Across filesystems (/dev/shm, when it is another one): a copy. */
    struct stat here, shm;
    if (stat(f->dir, &here) == 0 && stat("/dev/shm", &shm) == 0 && here.st_dev != shm.st_dev &&
        access("/dev/shm", W_OK) == 0) {
        char other[256];
        fx_mkdtemp(other, sizeof other, "/dev/shm", "pail-export");
        assert_err(pail_data_open("file", other, &dst), PAIL_OK);
        assert_err(pail_data_export(f->d, x, dst), PAIL_OK);
        assert_err(pail_data_open_read(dst, x, &fd, &size), PAIL_OK);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_nlink, 1);
        back = malloc(size);
        assert_int_equal(pread(fd, back, size, 0), (ssize_t)sizeof big);
        assert_memory_equal(back, big, sizeof big);
        free(back);
        close(fd);
        assert_int_equal(count_dir(f, "tmp"), 0);
        pail_data_close(dst);
        fx_rmtree(other);
    }
    free(x);
    free(y);
}

struct thr {
    struct fx *f;
    int seed, errors;
};

static void *writer_thread(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < 40; i++) {
        unsigned char buf[512];
        fill(buf, sizeof buf, (unsigned)(t->seed * 1000 + i));
        struct pail_data_writer *w;
        if (pail_data_writer_open(t->f->d, &w) != PAIL_OK) {
            t->errors++;
            continue;
        }
        char id[33];
        memcpy(id, pail_data_writer_id(w), sizeof id);
        t->errors += pail_data_write(w, buf, sizeof buf) != PAIL_OK;
        t->errors += pail_data_commit(w) != PAIL_OK;
        int fd;
        uint64_t size;
        if (pail_data_open_read(t->f->d, id, &fd, &size) != PAIL_OK) {
            t->errors++;
            continue;
        }
        unsigned char back[512];
        t->errors += size != sizeof buf || pread(fd, back, sizeof back, 0) != sizeof back ||
                     memcmp(back, buf, sizeof buf) != 0;
        close(fd);
    }
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    struct fx *f = *state;
    pthread_t th[4];
    struct thr t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct thr){f, i, 0};
        pthread_create(&th[i], NULL, writer_thread, &t[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].errors, 0);
    }
    assert_int_equal(count_dir(f, "tmp"), 0);
}

int main(void)
{
    pail_log_set_level(PAIL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_commit_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_and_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_remove_temp_export, setup, teardown),
    };
    return cmocka_run_group_tests_name("data_file", tests, NULL, NULL);
}
