/* The configuration: store directories as written and as canonical paths,
 * the store directory itself, an entry too long to keep, the mount that
 * holds a store directory below its root. */
#include "fixture.h"
#include "sys.h"

static char long_entry[PATH_MAX];

/* Before the library's constructor reads COWLINK_STORE (the fixture's
   constructor runs first, at priority 101): a 4095-byte entry first. */
__attribute__((constructor(102))) static void long_store_first(void)
{
    char list[PATH_MAX * 2];

    memset(long_entry, 'a', PATH_MAX - 1);
    long_entry[0] = '/';
    long_entry[PATH_MAX - 1] = 0;
    snprintf(list, sizeof list, "%s:%s", long_entry, at("store"));
    setenv("COWLINK_STORE", list, 1);
}

static void long_entry_is_ignored(void **state)
{
    (void)state;
    assert_false(cow_in_store(long_entry));
    assert_true(cow_in_store(at("store/pkg/a")));
}

static void the_store_directory_itself(void **state)
{
    (void)state;
    assert_true(cow_in_store(at("store")));
    assert_false(cow_in_store(root));
}

static void prefixes_as_written_and_canonical(void **state)
{
    (void)state;
    assert_string_equal(cow_store_prefix(0, 0), at("store/"));
    assert_string_equal(cow_store_prefix(0, 1), at("store/"));
    assert_null(cow_store_prefix(1, 0));
}

/* The fixture's store is a directory on /tmp's mount, not a mount root:
   that mount holds it; its parent mount id plus one is nothing known. */
static void the_mount_holding_the_store(void **state)
{
    struct cow_stat sx;
    (void)state;
    assert_int_equal(sys_statx(AT_FDCWD, at("store"), 0, &sx), 0);
    if (!(sx.mask & STATX_MNT_ID))
        skip(); /* a kernel before 5.8: no mount ids */
    assert_true(cow_holds_store(sx.mnt_id));
    assert_false(cow_holds_store(sx.mnt_id + 1000000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(long_entry_is_ignored),
        cmocka_unit_test(the_store_directory_itself),
        cmocka_unit_test(prefixes_as_written_and_canonical),
        cmocka_unit_test(the_mount_holding_the_store),
    };
    int failed;

    fixture_init();
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_free();
    return failed;
}
