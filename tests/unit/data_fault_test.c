/* tests/unit/data_fault_test.c — the "fault" data backend (test builds):
 * each PAIL_FAULT_* knob fails the call it names, one-shot or persistent,
 * with the error the files backend would give (EIO → InternalError, ENOSPC →
 * InsufficientStorage), and every failure leaves nothing in tmp/ or
 * objects/ once the writer is aborted or its commit failed. Calls it does
 * not fail behave exactly as "file". The knobs are read at open, so each
 * test sets the environment, then opens. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include "core/err.h"
#include "core/log.h"
#include "store/data.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static const char *const knobs[] = {
    "PAIL_FAULT_OPEN_EIO_AFTER", "PAIL_FAULT_WRITE_EIO_AFTER", "PAIL_FAULT_COMMIT_EIO_AFTER",
    "PAIL_FAULT_READ_EIO", "PAIL_FAULT_READ_LATE", "PAIL_FAULT_PERSISTENT", "PAIL_FAULT_ERRNO",
};

struct fx {
    char dir[256];
    struct pail_data *d;
};

/* ---- fixture and helpers ---- */

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    fx_mkdtemp(f->dir, sizeof f->dir, fx_root(), "pail-fault");
    for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++)
        unsetenv(knobs[i]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    pail_data_close(f->d);
    fx_rmtree(f->dir);
    free(f);
    return 0;
}

/* Opens the fault backend on the fixture's directory with the environment
 * as the test has set it. */
static void open_fault(struct fx *f)
{
    pail_data_close(f->d);
    f->d = NULL;
    assert_err(pail_data_open("fault", f->dir, &f->d), PAIL_OK);
}

static int files_seen;

static int count_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    files_seen += flag == FTW_F;
    return 0;
}

/* Regular files anywhere under <dir>/<sub>. */
static int count_files(struct fx *f, const char *sub)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, sub);
    files_seen = 0;
    assert_int_equal(nftw(path, count_one, 16, FTW_PHYS), 0);
    return files_seen;
}

/* Writes s and commits; the commit's result. */
static enum pail_err put(struct fx *f, const char *s, char id[33])
{
    struct pail_data_writer *w;
    enum pail_err e = pail_data_writer_open(f->d, &w);
    if (e != PAIL_OK)
        return e;
    memcpy(id, pail_data_writer_id(w), 33);
    e = pail_data_write(w, s, strlen(s));
    if (e != PAIL_OK) {
        pail_data_abort(w);
        return e;
    }
    return pail_data_commit(w);
}

/* ---- tests ---- */

static void test_write_fault_one_shot(void **state)
{
    struct fx *f = *state;
    setenv("PAIL_FAULT_WRITE_EIO_AFTER", "2", 1);
    open_fault(f);
    struct pail_data_writer *w;
    assert_err(pail_data_writer_open(f->d, &w), PAIL_OK);
    assert_err(pail_data_write(w, "first", 5), PAIL_OK);
    assert_err(pail_data_write(w, "second", 6), PAIL_E_InternalError);
    assert_int_equal(count_files(f, "tmp"), 1); /* the short write is there */
    pail_data_abort(w);
    assert_int_equal(count_files(f, "tmp"), 0);
    assert_int_equal(count_files(f, "objects"), 0);
    /* One-shot: the fault is gone. */
    char id[33];
    assert_err(put(f, "hello", id), PAIL_OK);
    int fd;
    uint64_t size;
    assert_err(pail_data_open_read(f->d, id, &fd, &size), PAIL_OK);
    assert_int_equal(size, 5);
    close(fd);
}

static void test_write_fault_persistent_enospc(void **state)
{
    struct fx *f = *state;
    setenv("PAIL_FAULT_WRITE_EIO_AFTER", "1", 1);
    setenv("PAIL_FAULT_PERSISTENT", "1", 1);
    setenv("PAIL_FAULT_ERRNO", "ENOSPC", 1);
    open_fault(f);
    char id[33];
    for (int i = 0; i < 3; i++)
        assert_err(put(f, "data", id), PAIL_E_InsufficientStorage);
    assert_int_equal(count_files(f, "tmp"), 0);
    assert_int_equal(count_files(f, "objects"), 0);
}

static void test_commit_fault(void **state)
{
    struct fx *f = *state;
    setenv("PAIL_FAULT_COMMIT_EIO_AFTER", "2", 1);
    open_fault(f);
    char a[33], b[33], c[33];
    assert_err(put(f, "one", a), PAIL_OK);
    assert_err(put(f, "two", b), PAIL_E_InternalError);
    assert_int_equal(count_files(f, "tmp"), 0);
    assert_int_equal(count_files(f, "objects"), 1); /* a only */
    int fd;
    uint64_t size;
    assert_err(pail_data_open_read(f->d, b, &fd, &size), PAIL_E_NoSuchKey);
    assert_err(put(f, "three", c), PAIL_OK);
    /* Compose counts as a commit: with the fault persistent it fails too,
     * leaving nothing behind. */
    setenv("PAIL_FAULT_COMMIT_EIO_AFTER", "1", 1);
    setenv("PAIL_FAULT_PERSISTENT", "1", 1);
    unsetenv("PAIL_FAULT_ERRNO");
    open_fault(f);
    struct pail_data_seg seg = {a, 0, 3};
    char out[33];
    assert_err(pail_data_compose(f->d, &seg, 1, out), PAIL_E_InternalError);
    assert_err(put(f, "four", b), PAIL_E_InternalError);
    assert_int_equal(count_files(f, "tmp"), 0);
    assert_int_equal(count_files(f, "objects"), 2);
}

static void test_open_and_read_faults(void **state)
{
    struct fx *f = *state;
    char id[33];
    open_fault(f); /* no knobs: behaves as "file" */
    assert_err(put(f, "readable", id), PAIL_OK);
    setenv("PAIL_FAULT_OPEN_EIO_AFTER", "1", 1);
    setenv("PAIL_FAULT_READ_EIO", "1", 1);
    setenv("PAIL_FAULT_READ_LATE", "2", 1);
    open_fault(f);
    struct pail_data_writer *w;
    assert_err(pail_data_writer_open(f->d, &w), PAIL_E_InternalError);
    assert_int_equal(count_files(f, "tmp"), 0);
    int fd;
    uint64_t size;
    assert_err(pail_data_open_read(f->d, id, &fd, &size), PAIL_E_InternalError);
    assert_int_equal(fd, -1);
    /* Late: opens with the right size, but reading fails. */
    assert_err(pail_data_open_read(f->d, id, &fd, &size), PAIL_OK);
    assert_int_equal(size, 8);
    char buf[16];
    assert_true(pread(fd, buf, sizeof buf, 0) < 0);
    close(fd);
    /* Then reads work again. */
    assert_err(pail_data_open_read(f->d, id, &fd, &size), PAIL_OK);
    assert_int_equal(pread(fd, buf, sizeof buf, 0), 8);
    assert_memory_equal(buf, "readable", 8);
    close(fd);
}

/* Nothing is referenced: every blob and temporary is an orphan. */
static bool unused(void *ctx, const char *id) { return false; }

/* Orphans of a crash are still swept through the wrapper. */
static void test_sweep_delegates(void **state)
{
    struct fx *f = *state;
    open_fault(f);
    char id[33];
    assert_err(put(f, "orphan", id), PAIL_OK);
    char path[512]; /* a temporary a crash left behind */
    snprintf(path, sizeof path, "%s/tmp/0123456789abcdef0123456789abcdef", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    open_fault(f); /* a restart: what the last process made is now a leftover */
    unsigned removed = 0;
    assert_err(pail_data_sweep(f->d, unused, NULL, &removed), PAIL_OK);
    assert_int_equal(removed, 2);
    assert_int_equal(count_files(f, "tmp"), 0);
    assert_int_equal(count_files(f, "objects"), 0);
}

int main(void)
{
    pail_log_set_level(PAIL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_fault_one_shot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fault_persistent_enospc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_and_read_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_delegates, setup, teardown),
    };
    return cmocka_run_group_tests_name("data_fault", tests, NULL, NULL);
}
