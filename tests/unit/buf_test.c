/* tests/unit/buf_test.c — pail_buf on the caller's storage: stays there
 * while it fits, moves to the heap with its bytes when it grows, never
 * frees what it borrowed (ASan would catch a free of stack memory), and
 * keeps its hard cap. */
#include "core/buf.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_borrowed_then_heap(void **state)
{
    (void)state;
    char room[8];
    struct pail_buf b;
    pail_buf_init_on(&b, 64, room, sizeof room);
    assert_ptr_equal(b.data, room);
    assert_string_equal(b.data, "");
    assert_true(pail_buf_append(&b, "abcde", 5));
    assert_ptr_equal(b.data, room); /* 5 bytes and the NUL fit in 8 */
    assert_string_equal(b.data, "abcde");
    assert_true(pail_buf_puts(&b, "fghijklmnopqrstuvwxyz"));
    assert_ptr_not_equal(b.data, room);
    assert_string_equal(b.data, "abcdefghijklmnopqrstuvwxyz");
    assert_int_equal(b.len, 26);
    pail_buf_free(&b);
    assert_null(b.data);
}

static void test_borrowed_freed_unused(void **state)
{
    (void)state;
    char room[32];
    struct pail_buf b;
    pail_buf_init_on(&b, 64, room, sizeof room);
    assert_true(pail_buf_append(&b, "x", 1));
    pail_buf_free(&b); /* must not free room */
    assert_true(pail_buf_append(&b, "after", 5)); /* reusable, now on the heap */
    assert_string_equal(b.data, "after");
    pail_buf_free(&b);
}

static void test_borrowed_keeps_cap(void **state)
{
    (void)state;
    char room[16];
    struct pail_buf b;
    pail_buf_init_on(&b, 10, room, sizeof room);
    assert_true(pail_buf_append(&b, "0123456789", 10));
    assert_false(pail_buf_append(&b, "a", 1));
    assert_true(b.overflow);
    assert_string_equal(b.data, "0123456789");
    pail_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_borrowed_then_heap),
        cmocka_unit_test(test_borrowed_freed_unused),
        cmocka_unit_test(test_borrowed_keeps_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
