/* The names descriptors were opened by (views.c): noted and forgotten per
   descriptor, never past the table or for a name too long. */
#include "fixture.h"

static void noted_and_forgotten(void **state)
{
    char name[COW_NAME_KEPT];
    int dirfd = 0;

    (void)state;
    cow_view_note(7, AT_FDCWD, "work/a.rlib");
    assert_true(cow_view_name(7, &dirfd, name));
    assert_int_equal(dirfd, AT_FDCWD);
    assert_string_equal(name, "work/a.rlib");
    assert_false(cow_view_name(8, &dirfd, name));
    cow_view_note(7, 5, "b"); /* the number reused: the new name */
    assert_true(cow_view_name(7, &dirfd, name));
    assert_int_equal(dirfd, 5);
    assert_string_equal(name, "b");
    cow_view_forget(7);
    assert_false(cow_view_name(7, &dirfd, name));
}

static void long_names_and_high_descriptors_are_not_noted(void **state)
{
    char name[COW_NAME_KEPT], longer[COW_NAME_KEPT + 1];
    int dirfd;

    (void)state;
    memset(longer, 'x', COW_NAME_KEPT);
    longer[COW_NAME_KEPT] = 0;
    cow_view_note(9, AT_FDCWD, "old");
    cow_view_note(9, AT_FDCWD, longer); /* and the old name is gone */
    assert_false(cow_view_name(9, &dirfd, name));
    cow_view_note(9, AT_FDCWD, NULL);
    assert_false(cow_view_name(9, &dirfd, name));
    cow_view_note(100000, AT_FDCWD, "x");
    assert_false(cow_view_name(100000, &dirfd, name));
    cow_view_note(-1, AT_FDCWD, "x");
    assert_false(cow_view_name(-1, &dirfd, name));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(noted_and_forgotten),
        cmocka_unit_test(long_names_and_high_descriptors_are_not_noted),
    };

    return cmocka_run_group_tests_name("views", tests, NULL, NULL);
}
