/* The table of descriptors opened through a store link (views.c): an
   entry holds only while the descriptor holds the same file, is forgotten
   when the number is handed out again, and a full table gives way. */
#include "fixture.h"

static void remembered_for_its_file_only(void **state)
{
    (void)state;
    cow_view_remember(7, 1, 100);
    assert_true(cow_view_recorded(7, 1, 100));
    assert_false(cow_view_recorded(7, 1, 101)); /* reused for another file */
    assert_false(cow_view_recorded(7, 2, 100));
    assert_false(cow_view_recorded(8, 1, 100));
    cow_view_forget(7);
    assert_false(cow_view_recorded(7, 1, 100));
}

static void remembered_again_replaces(void **state)
{
    (void)state;
    cow_view_remember(9, 1, 100);
    cow_view_remember(9, 1, 200);
    assert_false(cow_view_recorded(9, 1, 100));
    assert_true(cow_view_recorded(9, 1, 200));
    cow_view_forget(9);
}

static void full_table_gives_way(void **state)
{
    (void)state;
    for (int fd = 100; fd < 300; fd++)
        cow_view_remember(fd, 3, (ino_t)fd);
    assert_true(cow_view_recorded(299, 3, 299)); /* the newest always holds */
    for (int fd = 100; fd < 300; fd++)
        cow_view_forget(fd);
    for (int fd = 100; fd < 300; fd++)
        assert_false(cow_view_recorded(fd, 3, (ino_t)fd));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(remembered_for_its_file_only),
        cmocka_unit_test(remembered_again_replaces),
        cmocka_unit_test(full_table_gives_way),
    };

    return cmocka_run_group_tests_name("views", tests, NULL, NULL);
}
