/* How paths are classified: which links lead into the store. */
#include "fixture.h"

static int classify(const char *rel, struct cow_link *l)
{
    return cow_classify(AT_FDCWD, at(rel), 1, l) == COW_LINK;
}

static void absolute_link(void **state)
{
    struct cow_link l;
    (void)state;
    put_link(at("store/pkg/a.rlib"), "work/abs");
    assert_true(classify("work/abs", &l));
    assert_string_equal(l.target, at("store/pkg/a.rlib"));
    assert_false(l.missing);
}

static void relative_link(void **state)
{
    struct cow_link l;
    (void)state;
    put_link("../store/pkg/a.rlib", "work/rel");
    assert_true(classify("work/rel", &l));
    assert_string_equal(l.target, at("store/pkg/a.rlib"));
}

static void relative_to_dirfd(void **state)
{
    struct cow_link l;
    int dir = open(at("work"), O_RDONLY | O_DIRECTORY);
    (void)state;
    put_link("../store/pkg/a.rlib", "work/rel");
    assert_true((cow_classify(dir, "rel", 1, &l) == COW_LINK));
    assert_string_equal(l.target, at("store/pkg/a.rlib"));
    close(dir);
}

static void relative_to_cwd(void **state)
{
    struct cow_link l;
    char old[PATH_MAX];
    (void)state;
    put_link("../store/pkg/a.rlib", "work/rel");
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(at("work")), 0);
    assert_true((cow_classify(AT_FDCWD, "rel", 1, &l) == COW_LINK));
    assert_string_equal(l.target, at("store/pkg/a.rlib"));
    assert_int_equal(chdir(old), 0);
}

/* work/chain -> work/hop (outside the store) -> store file */
static void chain_of_links(void **state)
{
    struct cow_link l;
    (void)state;
    put_link(at("store/pkg/a.rlib"), "work/hop");
    put_link("hop", "work/chain");
    assert_true(classify("work/chain", &l));
    assert_string_equal(l.target, at("store/pkg/a.rlib"));
}

/* A link inside the store that points at another store file. */
static void chain_inside_store(void **state)
{
    struct cow_link l;
    (void)state;
    put_link(at("store/pkg/b.link"), "work/tostorelink");
    assert_true(classify("work/tostorelink", &l));
    assert_string_equal(l.target, at("store/pkg/b.rmeta"));
}

/* The store reached through a symlinked directory still counts. */
static void through_directory_link(void **state)
{
    struct cow_link l;
    (void)state;
    put_link(at("store"), "work/alias");
    put_link(at("work/alias/pkg/a.rlib"), "work/via");
    assert_true(classify("work/via", &l));
    assert_string_equal(l.target, at("store/pkg/a.rlib"));
}

static int kind_of(const char *rel, int follow, struct cow_link *l)
{
    return cow_classify(AT_FDCWD, at(rel), follow, l);
}

/* A name below a link to a store directory lies in the store. */
static void below_a_directory_link_is_inside(void **state)
{
    struct cow_link l;
    (void)state;
    put_link(at("store/pkg"), "work/pkgdir");
    assert_int_equal(kind_of("work/pkgdir/a.rlib", 1, &l), COW_INSIDE);
    assert_string_equal(l.target, at("store/pkg/a.rlib"));
    assert_int_equal(kind_of("work/pkgdir/new", 0, &l), COW_INSIDE);
    assert_true(l.missing);
}

/* A link that itself lies in the store cannot be made private. */
static void link_inside_the_store_is_inside(void **state)
{
    struct cow_link l;
    (void)state;
    assert_int_equal(kind_of("store/pkg/b.link", 1, &l), COW_INSIDE);
    assert_string_equal(l.target, at("store/pkg/b.rmeta"));
}

/* A store path named directly, with the build's outputs unknown (no
   COWLINK_OUTPUTS, no Nix environment): the whole store is protected
   (SQLite opens the store path a link leads to, by that name). */
static void store_path_named_directly_is_store(void **state)
{
    struct cow_link l;
    (void)state;
    assert_int_equal(kind_of("store/pkg/a.rlib", 1, &l), COW_STORE);
    assert_int_equal(kind_of("store/pkg/./a.rlib", 1, &l), COW_STORE);
    assert_int_equal(kind_of("store/pkg/new", 0, &l), COW_STORE);
    assert_int_equal(kind_of("work/new", 0, &l), COW_PLAIN);
}

/* A link to a store directory, or to the store itself, is a link: the
   hooks refuse what cannot be made private. */
static void link_to_a_store_directory(void **state)
{
    struct cow_link l;
    (void)state;
    put_link(at("store"), "work/s");
    assert_int_equal(kind_of("work/s", 1, &l), COW_LINK);
    assert_string_equal(l.target, at("store"));
    assert_int_equal(kind_of("work/s", 0, &l), COW_PLAIN);
    assert_int_equal(kind_of("work/s/", 0, &l), COW_INSIDE);
}

static void loop_is_not_a_store_link(void **state)
{
    struct cow_link l;
    (void)state;
    put_link("loop2", "work/loop1");
    put_link("loop1", "work/loop2");
    assert_false(classify("work/loop1", &l));
}

static void dangling_store_link(void **state)
{
    struct cow_link l;
    (void)state;
    put_link(at("store/pkg/gone"), "work/dangling");
    assert_true(classify("work/dangling", &l));
    assert_true(l.missing);
    assert_string_equal(l.target, at("store/pkg/gone"));
}

/* Missing directory on the way: not a file the kernel could create. */
static void dangling_below_missing_dir(void **state)
{
    struct cow_link l;
    (void)state;
    put_link(at("store/nodir/gone"), "work/deep");
    assert_false(classify("work/deep", &l));
}

/* store2 is not inside store: prefixes end on a component boundary. */
static void prefix_boundary(void **state)
{
    struct cow_link l;
    (void)state;
    mkdir(at("store2"), 0755);
    put_file("store2/f", "x", 0444);
    put_link(at("store2/f"), "work/sibling");
    assert_false(classify("work/sibling", &l));
}

static void not_a_link(void **state)
{
    struct cow_link l;
    (void)state;
    put_file("work/plain", "x", 0444);
    assert_false(classify("work/plain", &l));
    assert_false(classify("work/nothing-here", &l));
}

static void link_elsewhere(void **state)
{
    struct cow_link l;
    (void)state;
    put_file("work/elsewhere", "x", 0444);
    put_link(at("work/elsewhere"), "work/local");
    assert_false(classify("work/local", &l));
}

static void bad_pointers(void **state)
{
    struct cow_link l;
    (void)state;
    assert_false((cow_classify(AT_FDCWD, NULL, 1, &l) == COW_LINK));
    assert_false((cow_classify(AT_FDCWD, (const char *)8, 1, &l) == COW_LINK));
    assert_false((cow_classify(AT_FDCWD, "", 1, &l) == COW_LINK));
    assert_false((cow_classify(-1, "relative", 1, &l) == COW_LINK));
}

static void long_paths(void **state)
{
    static char huge[PATH_MAX * 2];
    char text[PATH_MAX];
    struct cow_link l;
    (void)state;
    memset(huge, 'a', sizeof huge - 1);
    huge[0] = '/';
    assert_false((cow_classify(AT_FDCWD, huge, 1, &l) == COW_LINK));
    /* A link whose text is just short enough, but resolves too long. */
    memset(text, 'b', sizeof text);
    text[0] = '/';
    text[PATH_MAX - 2] = 0;
    unlink(at("work/longtext"));
    assert_int_equal(symlink(text, at("work/longtext")), 0);
    assert_false(classify("work/longtext", &l));
}

static void resolve_normalizes(void **state)
{
    char out[PATH_MAX];
    int missing;
    (void)state;
    assert_int_equal(cow_resolve("/", out, &missing), 0);
    assert_string_equal(out, "/");
    assert_int_equal(cow_resolve("/..//./", out, &missing), 0);
    assert_string_equal(out, "/");
    assert_int_equal(cow_resolve(at("store/./pkg/../pkg//a.rlib"), out, &missing), 0);
    assert_string_equal(out, at("store/pkg/a.rlib"));
    assert_false(missing);
    assert_int_equal(cow_resolve("relative", out, &missing), EINVAL);
}

static void resolve_reports_loops(void **state)
{
    char out[PATH_MAX];
    int missing;
    (void)state;
    put_link("loop2", "work/loop1");
    put_link("loop1", "work/loop2");
    assert_int_equal(cow_resolve(at("work/loop1"), out, &missing), ELOOP);
}

static void errno_is_kept(void **state)
{
    struct cow_link l;
    (void)state;
    errno = 1234;
    (void)classify("work/nothing-here", &l);
    (void)cow_in_store("/x");
    /* classify may set errno; the hooks restore it.  cow_in_store must not. */
    errno = 1234;
    (void)cow_in_store(at("store/pkg/a.rlib"));
    assert_int_equal(errno, 1234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absolute_link),
        cmocka_unit_test(relative_link),
        cmocka_unit_test(relative_to_dirfd),
        cmocka_unit_test(relative_to_cwd),
        cmocka_unit_test(chain_of_links),
        cmocka_unit_test(chain_inside_store),
        cmocka_unit_test(through_directory_link),
        cmocka_unit_test(below_a_directory_link_is_inside),
        cmocka_unit_test(link_inside_the_store_is_inside),
        cmocka_unit_test(store_path_named_directly_is_store),
        cmocka_unit_test(link_to_a_store_directory),
        cmocka_unit_test(loop_is_not_a_store_link),
        cmocka_unit_test(dangling_store_link),
        cmocka_unit_test(dangling_below_missing_dir),
        cmocka_unit_test(prefix_boundary),
        cmocka_unit_test(not_a_link),
        cmocka_unit_test(link_elsewhere),
        cmocka_unit_test(bad_pointers),
        cmocka_unit_test(long_paths),
        cmocka_unit_test(resolve_normalizes),
        cmocka_unit_test(resolve_reports_loops),
        cmocka_unit_test(errno_is_kept),
    };
    int failed;

    fixture_init();
    put_file("store/pkg/a.rlib", "rlib", 0444);
    put_file("store/pkg/b.rmeta", "rmeta", 0444);
    symlink("b.rmeta", at("store/pkg/b.link"));
    fixture_seal();
    failed = cmocka_run_group_tests_name("classify", tests, NULL, NULL);
    fixture_free();
    return failed;
}
