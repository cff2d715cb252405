/* tests/unit/meta_fixture.h — what the metadata tests share: a SQLite store
 * opened in a fresh temporary directory, with an arena, and its teardown.
 * Include after fixture.h. */
#ifndef PAIL_TEST_META_FIXTURE_H
#define PAIL_TEST_META_FIXTURE_H

#include "core/arena.h"
#include "store/meta.h"

struct fx {
    char dir[256];
    struct pail_meta *m;
    struct pail_arena *a;
};

/* A store in root/prefix-XXXXXX; freed by fx_meta_teardown. */
static inline struct fx *fx_meta_new(const char *root, const char *prefix)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fx_mkdtemp(f->dir, sizeof f->dir, root, prefix);
    assert_err(pail_meta_open("sqlite", f->dir, &f->m), PAIL_OK);
    f->a = pail_arena_new();
    return f;
}

static inline int fx_meta_teardown(void **state)
{
    struct fx *f = *state;
    pail_arena_free(f->a); /* first: records read through the cache pin entries */
    pail_meta_close(f->m);
    fx_rmtree(f->dir);
    free(f);
    return 0;
}

#endif
