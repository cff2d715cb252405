/* tests/unit/reaper_test.c — the reaper removes what it is handed, and a
 * hold keeps every handed blob on disk until released (what pail admin
 * backup relies on), also past the queue's usual bound. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include "core/log.h"
#include "store/data.h"
#include "store/reaper.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static char *put(struct pail_data *d)
{
    struct pail_data_writer *w;
    assert_err(pail_data_writer_open(d, &w), PAIL_OK);
    char *id = strdup(pail_data_writer_id(w));
    assert_err(pail_data_write(w, "bytes", 5), PAIL_OK);
    assert_err(pail_data_commit(w), PAIL_OK);
    return id;
}

static bool exists(struct pail_data *d, const char *id)
{
    int fd;
    uint64_t size;
    if (pail_data_open_read(d, id, &fd, &size) != PAIL_OK)
        return false;
    close(fd);
    return true;
}

/* Waits up to 5 s for id to be gone. */
static bool gone_soon(struct pail_data *d, const char *id)
{
    for (int i = 0; i < 500; i++) {
        if (!exists(d, id))
            return true;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return false;
}

static void test_hold(void **state)
{
    (void)state;
    char dir[256];
    fx_mkdtemp(dir, sizeof dir, fx_root(), "pail-reaper");
    struct pail_data *d;
    assert_err(pail_data_open("file", dir, &d), PAIL_OK);
    struct pail_reaper *r = pail_reaper_new(d);
    assert_non_null(r);

    char *a = put(d);
    pail_reaper_add(r, d, a);
    assert_true(gone_soon(d, a));

    pail_reaper_hold(r, true);
    pail_reaper_hold(r, true); /* holds nest */
    char *b = put(d);
    pail_reaper_add(r, d, b);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    assert_true(exists(d, b));
    pail_reaper_hold(r, false);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    assert_true(exists(d, b));
    pail_reaper_hold(r, false);
    assert_true(gone_soon(d, b));

    /* Stopping drains what a hold kept. */
    pail_reaper_hold(r, true);
    char *c = put(d);
    pail_reaper_add(r, d, c);
    pail_reaper_free(r);
    assert_false(exists(d, c));
    pail_data_close(d);
    fx_rmtree(dir);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    pail_log_set_level(PAIL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold),
    };
    return cmocka_run_group_tests_name("reaper", tests, NULL, NULL);
}
