/* cowlink dedup: crane's use-symlink install in one process.  Equal files
   become links whose text is PREV/NAME, different, missing or unreadable
   candidates leave the file, links and what they lead to are untouched,
   a target in the store is refused, and no temporary name is left. */
#include "dedup.h"
#include "fixture.h"

static void links_equal_files(void **state)
{
    char want[PATH_MAX];
    (void)state;
    assert_int_equal(cow_dedup(at("store/prev"), at("work/t")), 0);
    link_text("work/t/deps/same.rlib", strcat(strcpy(want, at("store/prev")), "/deps/same.rlib"));
    link_text("work/t/top", strcat(strcpy(want, at("store/prev")), "/top"));
    /* the candidate a link in PREV: followed, as cmp follows it */
    link_text("work/t/deps/via", strcat(strcpy(want, at("store/prev")), "/deps/via"));
    assert_false(is_link("work/t/deps/differs.rlib")); /* same size, other bytes */
    assert_false(is_link("work/t/deps/longer"));
    assert_false(is_link("work/t/deps/new"));           /* no candidate */
    assert_false(is_link("work/t/deps/dir-in-prev"));   /* candidate a directory */
    link_text("work/t/deps/was-link", "/elsewhere");   /* links left alone */
    link_text("work/t/linkeddir", at("work/other"));   /* not descended */
    assert_false(is_link("work/other/same.rlib"));
    assert_int_equal(count_named("work/t/deps", ".cowlink"), 0);
    assert_string_equal(slurp(at("work/t/deps/same.rlib")), "rlib bytes");
}

static void nothing_without_prev(void **state)
{
    (void)state;
    assert_int_equal(cow_dedup("/dev/null", at("work/t")), 0); /* crane's placeholder */
    assert_int_equal(cow_dedup(at("store/missing"), at("work/t")), 0);
}

static void refuses_a_store_target(void **state)
{
    (void)state;
    assert_int_equal(cow_dedup(at("store/prev"), at("store/prev")), 2);
    assert_int_equal(cow_dedup(at("store/prev"), at("work/storelink")), 2);
    assert_false(is_link("store/prev/top"));
    assert_int_equal(cow_dedup(at("store/prev"), at("work/missing")), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(links_equal_files),
        cmocka_unit_test(nothing_without_prev),
        cmocka_unit_test(refuses_a_store_target),
    };
    int failed;

    fixture_init();
    mkdir(at("store/prev"), 0755);
    mkdir(at("store/prev/deps"), 0755);
    mkdir(at("store/prev/deps/dir-in-prev"), 0755);
    put_file("store/prev/top", "top", 0444);
    put_file("store/prev/deps/same.rlib", "rlib bytes", 0444);
    put_file("store/prev/deps/differs.rlib", "rlib bytes", 0444);
    put_file("store/prev/deps/longer", "abc", 0444);
    put_file("store/prev/deps/real", "via a link", 0444);
    put_link("real", "store/prev/deps/via");
    mkdir(at("work/t"), 0755);
    mkdir(at("work/t/deps"), 0755);
    mkdir(at("work/other"), 0755);
    put_file("work/t/top", "top", 0644);
    put_file("work/t/deps/same.rlib", "rlib bytes", 0644);
    put_file("work/t/deps/differs.rlib", "rlib bytez", 0644);
    put_file("work/t/deps/longer", "abcd", 0644);
    put_file("work/t/deps/via", "via a link", 0644);
    put_file("work/t/deps/new", "new", 0644);
    put_file("work/t/deps/dir-in-prev", "x", 0644);
    put_link("/elsewhere", "work/t/deps/was-link");
    put_file("work/other/same.rlib", "rlib bytes", 0644);
    put_link(at("work/other"), "work/t/linkeddir");
    put_link(at("store/prev"), "work/storelink");
    fixture_seal();
    chmod(at("store/prev/deps"), 0555);
    chmod(at("store/prev"), 0555);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_free();
    return failed;
}
