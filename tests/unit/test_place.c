/* Where a name lies (place.c): resolved by descriptor, decided by the
   identity of the directory that holds it. */
#include "fixture.h"

static int place(int dirfd, const char *path, int how)
{
    struct cow_place pl;
    int kind = cow_place(dirfd, path, how, &pl);

    cow_place_done(&pl);
    return kind;
}

/* Names on the way to nothing of the store's: plain, existing or not. */
static void plain_names(void **state)
{
    (void)state;
    put_file("work/plain", "x", 0644);
    assert_int_equal(place(AT_FDCWD, at("work/plain"), COW_WRITE), COW_PLAIN);
    assert_int_equal(place(AT_FDCWD, at("work/new"), COW_NAME), COW_PLAIN);
    assert_int_equal(place(AT_FDCWD, at("work/no/such/dir"), COW_NAME), COW_PLAIN);
}

/* A store path named directly is refused: no outputs are known (none in
   the environment), so none of the store is the build's. */
static void store_named_directly(void **state)
{
    (void)state;
    assert_int_equal(place(AT_FDCWD, at("store/pkg/a.rlib"), COW_WRITE), COW_STORE);
    assert_int_equal(place(AT_FDCWD, at("store/pkg/new"), COW_NAME), COW_STORE);
}

/* Below a link to a store directory, with symlinks and ".." on the way
   (the walk, not openat2, resolves those). */
static void below_a_directory_link(void **state)
{
    (void)state;
    put_link(at("store/pkg"), "work/pkgdir");
    assert_int_equal(place(AT_FDCWD, at("work/pkgdir/a.rlib"), COW_WRITE), COW_STORE);
    assert_int_equal(place(AT_FDCWD, at("work/pkgdir/new"), COW_NAME), COW_STORE);
    assert_int_equal(place(AT_FDCWD, at("work/pkgdir/sub/../new"), COW_NAME), COW_STORE);
    assert_int_equal(place(AT_FDCWD, at("work/pkgdir/"), COW_META | COW_WRITE), COW_STORE);
}

/* Relative to a read-only store directory, by descriptor or as the
   working directory: refused, with ".." on the way too. */
static void relative_to_a_store_directory(void **state)
{
    char old[PATH_MAX];
    int d = open(at("work/pkgdir"), O_RDONLY | O_DIRECTORY);
    (void)state;
    assert_true(d >= 0);
    assert_int_equal(place(d, "new", COW_NAME), COW_STORE);
    assert_int_equal(place(d, "sub/../new", COW_NAME), COW_STORE);
    assert_int_equal(place(d, "a.rlib", COW_WRITE), COW_STORE);
    close(d);
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(at("work")), 0);
    assert_int_equal(place(AT_FDCWD, "new", COW_NAME), COW_PLAIN);
    assert_int_equal(chdir("pkgdir"), 0);
    cow_cwd_changed(); /* what the chdir entry point tells */
    assert_int_equal(place(AT_FDCWD, "new", COW_NAME), COW_STORE);
    assert_int_equal(place(AT_FDCWD, "sub/../x", COW_NAME), COW_STORE);
    assert_int_equal(chdir(old), 0);
    cow_cwd_changed();
}

/* A link whose last component leads into the store: a store link. */
static void store_links(void **state)
{
    (void)state;
    put_link(at("store/pkg/a.rlib"), "work/abs");
    assert_int_equal(place(AT_FDCWD, at("work/abs"), COW_WRITE), COW_LINK);
    assert_int_equal(place(AT_FDCWD, at("work/abs"), COW_NAME), COW_PLAIN);
    assert_int_equal(place(AT_FDCWD, at("store/pkg/b.link"), COW_WRITE), COW_INSIDE);
}

/* A call made on the placed name: the directory is cowlink's descriptor,
   and a link that leads outside the store is placed where it leads, so
   that the call follows no link (O_NOFOLLOW) that could lead elsewhere by
   then. */
static void placed_for_the_call(void **state)
{
    struct cow_place pl;
    struct stat held, want;
    (void)state;
    mkdir(at("work/sub"), 0755);
    put_file("work/sub/elsewhere", "x", 0644);
    put_link(at("work/sub/elsewhere"), "work/local");
    assert_int_equal(cow_place(AT_FDCWD, at("work/sub/elsewhere"), COW_WRITE | COW_AT, &pl),
                     COW_PLAIN);
    assert_true(pl.own && pl.nofollow);
    assert_string_equal(pl.name, "elsewhere");
    assert_int_equal(fstat(pl.dir, &held), 0);
    assert_int_equal(stat(at("work/sub"), &want), 0);
    assert_true(held.st_ino == want.st_ino);
    cow_place_done(&pl);
    assert_int_equal(cow_place(AT_FDCWD, at("work/local"), COW_WRITE | COW_AT, &pl), COW_PLAIN);
    assert_true(pl.own && pl.nofollow);
    assert_string_equal(pl.name, "elsewhere");
    assert_int_equal(fstat(pl.dir, &held), 0);
    assert_true(held.st_ino == want.st_ino);
    cow_place_done(&pl);
}

/* Directories by identity: the store directory, an entry, elsewhere. */
static void directory_classes(void **state)
{
    int store = open(at("store"), O_PATH), pkg = open(at("store/pkg"), O_PATH),
        work = open(at("work"), O_PATH);
    (void)state;
    assert_int_equal(cow_dir_class(store), COW_DIR_STORE_RO);
    assert_int_equal(cow_dir_class(pkg), COW_DIR_STORE_RO);
    assert_int_equal(cow_dir_class(work), COW_DIR_PLAIN);
    assert_int_equal(cow_dir_class(-1), COW_DIR_PLAIN); /* EBADF, the call's too */
    close(store);
    close(pkg);
    close(work);
}

/* A store file open by descriptor; the working directory as the object
   (AT_FDCWD with AT_EMPTY_PATH). */
static void descriptors(void **state)
{
    char target[PATH_MAX], old[PATH_MAX];
    int in = open(at("store/pkg/a.rlib"), O_RDONLY), out = open(at("work"), O_RDONLY);
    (void)state;
    assert_int_equal(cow_fd_in_store(in, target), 1);
    assert_string_equal(target, at("store/pkg/a.rlib"));
    assert_int_equal(cow_fd_in_store(out, target), 0);
    assert_int_equal(cow_fd_in_store(-1, target), 0);
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(at("store/pkg")), 0);
    cow_cwd_changed();
    assert_int_equal(cow_fd_in_store(AT_FDCWD, target), 1);
    assert_int_equal(chdir(old), 0);
    cow_cwd_changed();
    assert_int_equal(cow_fd_in_store(AT_FDCWD, target), 0);
    close(in);
    close(out);
}

/* A relative name whose absolute path is longer than PATH_MAX, from a
   working directory deep below a link to the store: placed by
   descriptor, it is still in the store. */
static void deeper_than_path_max(void **state)
{
    char name[256], old[PATH_MAX];
    (void)state;
    memset(name, 'd', 200);
    name[200] = 0;
    assert_non_null(getcwd(old, sizeof old));
    chmod(at("store/pkg"), 0755);
    assert_int_equal(chdir(at("store/pkg")), 0);
    for (int i = 0; i < 25; i++)
        assert_true((mkdir(name, 0555) == 0 || errno == EEXIST) && chdir(name) == 0);
    cow_cwd_changed();
    assert_int_equal(place(AT_FDCWD, "new", COW_NAME), COW_STORE);
    assert_int_equal(place(AT_FDCWD, "../new", COW_NAME), COW_STORE);
    assert_int_equal(chdir(old), 0);
    cow_cwd_changed();
    chmod(at("store/pkg"), 0555);
}

static void bad_pointers(void **state)
{
    (void)state;
    assert_int_equal(place(AT_FDCWD, NULL, COW_NAME), COW_PLAIN);
    /* every kind of call, made on the placed name or by the caller's own */
    static const int hows[] = {COW_NAME, COW_NAME | COW_EXCL | COW_AT, COW_NAME | COW_EXISTS | COW_AT,
                               COW_WRITE | COW_CREAT | COW_OPENS | COW_AT | COW_RESOLVE,
                               COW_META | COW_WRITE | COW_AT};
    for (size_t i = 0; i < sizeof hows / sizeof *hows; i++)
        assert_int_equal(place(AT_FDCWD, (const char *)8, hows[i]), COW_PLAIN);
    assert_int_equal(place(AT_FDCWD, "", COW_NAME), COW_PLAIN);
    assert_int_equal(place(-1, "relative", COW_NAME), COW_PLAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_names),
        cmocka_unit_test(store_named_directly),
        cmocka_unit_test(below_a_directory_link),
        cmocka_unit_test(relative_to_a_store_directory),
        cmocka_unit_test(store_links),
        cmocka_unit_test(placed_for_the_call),
        cmocka_unit_test(directory_classes),
        cmocka_unit_test(descriptors),
        cmocka_unit_test(deeper_than_path_max),
        cmocka_unit_test(bad_pointers),
    };
    int failed;

    fixture_init();
    put_file("store/pkg/a.rlib", "rlib", 0444);
    mkdir(at("store/pkg/sub"), 0555);
    symlink("a.rlib", at("store/pkg/b.link"));
    fixture_seal();
    failed = cmocka_run_group_tests_name("place", tests, NULL, NULL);
    fixture_free();
    return failed;
}
