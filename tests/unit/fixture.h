/* tests/unit/fixture.h — what the store tests share: assert_err, and a
 * temporary directory made and removed around each test. Include after
 * <cmocka.h>. */
#ifndef PAIL_TEST_FIXTURE_H
#define PAIL_TEST_FIXTURE_H

#include "core/err.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define assert_err(expr, want)                                                    \
    do {                                                                          \
        enum pail_err got_ = (expr);                                              \
        if (got_ != (want))                                                       \
            fail_msg("%s: got %s, want %s", #expr, pail_err_code(got_),           \
                     pail_err_code(want));                                        \
    } while (0)

/* Where temporary directories go: $PAIL_TEST_DIR, else $TMPDIR, else /tmp. */
static inline const char *fx_root(void)
{
    const char *d = getenv("PAIL_TEST_DIR");
    if (!d)
        d = getenv("TMPDIR");
    return d ? d : "/tmp";
}

/* Creates root/prefix-XXXXXX and writes its path into dir (cap bytes). */
static inline void fx_mkdtemp(char *dir, size_t cap, const char *root, const char *prefix)
{
    snprintf(dir, cap, "%s/%s-XXXXXX", root, prefix);
    assert_non_null(mkdtemp(dir));
}

static inline int fx_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* Removes dir and everything below it. */
static inline void fx_rmtree(const char *dir)
{
    nftw(dir, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
