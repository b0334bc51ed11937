/* cowlink inherit: directories mirrored, one link per file, links copied,
   every .cargo*lock and each unit's .lock skipped, missing parents of DEST created, merges into
   an existing tree, refuses bad input. */
#include "fixture.h"
#include "inherit.h"

static void mirrors_a_tree(void **state)
{
    struct stat st;
    (void)state;
    assert_int_equal(cow_inherit(at("store/target"), at("work/t1")), 0);
    assert_int_equal(lstat(at("work/t1/release/deps"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0200, 0200); /* cargo can write into it */
    link_text("work/t1/release/deps/libx.rlib", at("store/target/release/deps/libx.rlib"));
    link_text("work/t1/release/x.d", at("store/target/release/x.d"));
    link_text("work/t1/release/chained", "/elsewhere/file"); /* copied as is */
    assert_int_equal(lstat(at("work/t1/release/.cargo-lock"), &st), -1);
    assert_int_equal(lstat(at("work/t1/release/.cargo-build-lock"), &st), -1);
    link_text("work/t1/release/.cargo-lock-not", at("store/target/release/.cargo-lock-not"));
    assert_int_equal(count_named("work/t1/release/deps", ""), 3); /* . .. libx.rlib */
}

/* cargo's new build-dir layout with -Zfine-grain-locking: a .lock in each
   unit directory (build/PKG/HASH/), which cargo opens for writing at every
   build; a .lock a build script wrote into its out/ is the crate's own. */
static void skips_unit_locks(void **state)
{
    struct stat st;
    (void)state;
    assert_int_equal(cow_inherit(at("store/target"), at("work/t6")), 0);
    assert_int_equal(lstat(at("work/t6/release/build/dep/0123456789abcdef/.lock"), &st), -1);
    link_text("work/t6/release/build/dep/0123456789abcdef/fingerprint/lib-dep",
              at("store/target/release/build/dep/0123456789abcdef/fingerprint/lib-dep"));
    link_text("work/t6/release/build/dep/0123456789abcdef/out/.lock",
              at("store/target/release/build/dep/0123456789abcdef/out/.lock"));
}

static void merges_into_existing(void **state)
{
    (void)state;
    mkdir(at("work/t2"), 0755);
    mkdir(at("work/t2/release"), 0755);
    put_file("work/t2/release/x.d", "stale", 0644);
    put_file("work/t2/mine", "kept", 0644);
    assert_int_equal(cow_inherit(at("store/target"), at("work/t2")), 0);
    link_text("work/t2/release/x.d", at("store/target/release/x.d"));
    assert_string_equal(slurp(at("work/t2/mine")), "kept");
}

/* A nested CARGO_TARGET_DIR (crane's compilesFreshWithCustomTargetDir):
   the parents of DEST do not exist yet. */
static void creates_missing_parents(void **state)
{
    struct stat st;
    (void)state;
    assert_int_equal(cow_inherit(at("store/target"), at("work/nested/target/foo")), 0);
    assert_int_equal(lstat(at("work/nested/target"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    link_text("work/nested/target/foo/release/x.d", at("store/target/release/x.d"));
    assert_int_equal(cow_inherit(at("store/target"), at("work/nested/target/foo/")), 0);
}

static void refuses_bad_input(void **state)
{
    (void)state;
    assert_int_equal(cow_inherit(at("store/none"), at("work/t3")), 2);
    assert_int_equal(cow_inherit(at("work"), at("work/inner")), 2);
    mkdir(at("work/t4"), 0755);
    put_file("work/t4/release", "a file where a directory goes", 0644);
    assert_int_equal(cow_inherit(at("store/target"), at("work/t4")), 1);
    put_file("work/t5", "a file where the top directory goes", 0644);
    assert_int_equal(cow_inherit(at("store/target"), at("work/t5")), 2);
    assert_int_equal(cow_inherit(at("store/target"), at("work/t5/below")), 2);
}

/* DEST, or a parent of it, is a link to a store directory, or DEST is
   named in the store: refused before anything is created there (as root
   on a writable store, the old command filled it). */
static void refuses_a_store_dest(void **state)
{
    int before;
    (void)state;
    mkdir(at("store/pkg/inner"), 0755);
    put_link(at("store/pkg"), "work/pkgdir");
    put_link(at("store"), "work/storelink");
    before = count_named("store/pkg", "");
    assert_int_equal(cow_inherit(at("store/target"), at("work/pkgdir")), 2);
    assert_int_equal(cow_inherit(at("store/target"), at("work/pkgdir/")), 2);
    assert_int_equal(cow_inherit(at("store/target"), at("work/pkgdir/new/t")), 2);
    assert_int_equal(cow_inherit(at("store/target"), at("work/pkgdir/inner")), 2);
    assert_int_equal(cow_inherit(at("store/target"), at("work/storelink/pkg/t")), 2);
    assert_int_equal(cow_inherit(at("store/target"), at("store/pkg/t")), 2);
    assert_int_equal(count_named("store/pkg", ""), before);
    assert_int_equal(count_named("store/pkg/inner", ""), 2); /* . and .. */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mirrors_a_tree),
        cmocka_unit_test(skips_unit_locks),
        cmocka_unit_test(merges_into_existing),
        cmocka_unit_test(creates_missing_parents),
        cmocka_unit_test(refuses_bad_input),
        cmocka_unit_test(refuses_a_store_dest),
    };
    int failed;

    fixture_init();
    mkdir(at("store/target"), 0755);
    mkdir(at("store/target/release"), 0755);
    mkdir(at("store/target/release/deps"), 0755);
    put_file("store/target/release/deps/libx.rlib", "rlib", 0444);
    put_file("store/target/release/x.d", "dep-info", 0444);
    put_file("store/target/release/.cargo-lock", "", 0444);
    put_file("store/target/release/.cargo-build-lock", "", 0444);
    put_file("store/target/release/.cargo-lock-not", "not a lock", 0444);
    symlink("/elsewhere/file", at("store/target/release/chained"));
    mkdir(at("store/target/release/build"), 0755);
    mkdir(at("store/target/release/build/dep"), 0755);
    mkdir(at("store/target/release/build/dep/0123456789abcdef"), 0755);
    mkdir(at("store/target/release/build/dep/0123456789abcdef/fingerprint"), 0755);
    mkdir(at("store/target/release/build/dep/0123456789abcdef/out"), 0755);
    put_file("store/target/release/build/dep/0123456789abcdef/.lock", "", 0444);
    put_file("store/target/release/build/dep/0123456789abcdef/fingerprint/lib-dep", "f", 0444);
    put_file("store/target/release/build/dep/0123456789abcdef/out/.lock", "mine", 0444);
    chmod(at("store/target/release/deps"), 0555);
    chmod(at("store/target/release"), 0555);
    chmod(at("store/target"), 0555);
    fixture_seal();
    failed = cmocka_run_group_tests_name("inherit", tests, NULL, NULL);
    fixture_free();
    return failed;
}
