/* The mkstemp family as cowlink makes it (temps.c): templates checked as
   glibc checks them, six letters or digits in place of the X's, the
   suffix kept, new letters on EEXIST, nothing left behind on failure. */
#include <sys/stat.h>

#include "fixture.h"

#define LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* ROOT/rel in a buffer the call may write, as the caller's template. */
static ino_t t_ino; /* work/t's, where the templates are */

static char *tmpl_of(char buf[PATH_MAX], const char *rel)
{
    return strcpy(buf, at(rel));
}

static int mkostemps_(char *t, int suffixlen, int flags)
{
    return cow_mktemp("mkostemps", t, suffixlen, flags, cow_temp_file);
}

/* The template's last component's X's, where the letters went. */
static void assert_filled(const char *t, const char *prefix, const char *suffix)
{
    const char *name = strrchr(t, '/') + 1;

    assert_int_equal(strlen(name), strlen(prefix) + 6 + strlen(suffix));
    assert_memory_equal(name, prefix, strlen(prefix));
    assert_int_equal(strspn(name + strlen(prefix), LETTERS), 6);
    assert_string_equal(name + strlen(prefix) + 6, suffix);
}

/* glibc's EINVAL: fewer than six X's before the suffix, a negative or too
   long suffix; the template is left as it was and nothing is made. */
static void bad_templates(void **state)
{
    static const struct { const char *rel; int suffixlen; } bad[] = {
        {"work/t/tXXXXX", 0},     {"work/t/tXXXXXX.c", 0}, {"work/t/tXXXXXX.c", 1},
        {"work/t/tXXXXXX", -1},   {"work/t/tXXXXXX", 8},   {"work/t/tXXXXXX.c", 3},
        {"work/t/tXXXXXX/c", 2},  /* X's in the directory part: not placed once */
    };
    char t[PATH_MAX], was[PATH_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        strcpy(was, tmpl_of(t, bad[i].rel));
        errno = 0;
        assert_int_equal(mkostemps_(t, bad[i].suffixlen, 0), -1);
        assert_int_equal(errno, EINVAL);
        assert_string_equal(t, was);
        assert_null(cow_temp_xs(t, bad[i].suffixlen));
    }
    assert_int_equal(count_named("work/t", "t"), 0);
    /* Exactly six X's before the suffix count, more are kept as they are. */
    assert_non_null(cow_temp_xs(tmpl_of(t, "work/t/XXXXXX"), 0));
    tmpl_of(t, "work/t/aXXXXXXX.c");
    assert_ptr_equal(cow_temp_xs(t, 2), t + strlen(t) - 8);
}

/* The X's become letters and digits, the rest of the template stays, and
   the caller's template names the file made: read-write, 0600, with the
   caller's other flags; the caller's errno is kept. */
static void a_file_in_place_of_the_xs(void **state)
{
    char t[PATH_MAX];
    struct stat made, named;
    int fd;

    (void)state;
    errno = 1234;
    fd = mkostemps_(tmpl_of(t, "work/t/fooXXXXXX.rs"), 3, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(errno, 1234);
    assert_filled(t, "foo", ".rs");
    assert_int_equal(fstat(fd, &made), 0);
    assert_int_equal(stat(t, &named), 0);
    assert_int_equal(made.st_ino, named.st_ino);
    assert_int_equal(named.st_mode & 07777, 0600);
    assert_int_equal(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_RDWR | O_APPEND);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    assert_int_equal(unlink(t), 0);
}

/* mkdtemp: a directory, 0700. */
static void a_directory(void **state)
{
    char t[PATH_MAX];
    struct stat st;

    (void)state;
    assert_int_equal(cow_mktemp("mkdtemp", tmpl_of(t, "work/t/dXXXXXX"), 0, 0, cow_temp_dir), 0);
    assert_filled(t, "d", "");
    assert_int_equal(stat(t, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(rmdir(t), 0);
}

/* The create is made on what was placed: cowlink's descriptor of the
   template's directory and its last component; with no directory part,
   the working directory and the template. */
static int made_dir;
static char made_name[PATH_MAX];

static int noting(int dir, const char *name, int flags)
{
    struct stat st;

    made_dir = dir;
    strcpy(made_name, name);
    assert_true(dir == AT_FDCWD ||
                (fstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == t_ino));
    return cow_temp_file(dir, name, flags);
}

static void made_on_the_placed_name(void **state)
{
    char t[PATH_MAX];
    int fd;

    (void)state;
    fd = cow_mktemp("mkstemp", tmpl_of(t, "work/t/pXXXXXX"), 0, 0, noting);
    assert_true(fd >= 0);
    close(fd);
    assert_true(made_dir >= 0);
    assert_string_equal(made_name, strrchr(t, '/') + 1);
    assert_int_equal(fcntl(made_dir, F_GETFD), -1); /* and let go */
    assert_int_equal(unlink(t), 0);
}

/* A template with no directory part: made in the working directory. */
static void no_directory_part(void **state)
{
    char t[] = "relXXXXXX", old[PATH_MAX];
    int fd;

    (void)state;
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(at("work/t")), 0);
    fd = cow_mktemp("mkstemp", t, 0, 0, noting);
    assert_true(fd >= 0);
    close(fd);
    /* on cowlink's descriptor of ".", the directory it placed the name in
       (noting checks its inode), so that a chdir meanwhile cannot move it */
    assert_true(made_dir >= 0);
    assert_string_equal(made_name, t);
    assert_memory_equal(t, "rel", 3);
    assert_int_equal(strspn(t + 3, LETTERS), 6);
    assert_int_equal(t[9], 0);
    assert_int_equal(unlink(t), 0);
    assert_int_equal(chdir(old), 0);
}

/* A create that meets names taken by someone else first: each squatted
   name is a real EEXIST from the kernel, and new letters are drawn. */
static int squatted, tries;
static char tried[8][NAME_MAX + 1];

static int squat_then_create(int dir, const char *name, int flags)
{
    if (tries < 8)
        strcpy(tried[tries], name);
    if (tries++ < squatted)
        close(openat(dir, name, O_WRONLY | O_CREAT, 0644));
    return cow_temp_file(dir, name, flags);
}

static void new_letters_on_eexist(void **state)
{
    char t[PATH_MAX];
    int fd;

    (void)state;
    squatted = 3, tries = 0;
    fd = cow_mktemp("mkstemp", tmpl_of(t, "work/t/sqXXXXXX"), 0, 0, squat_then_create);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tries, 4);
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_string_not_equal(tried[i], tried[j]);
    assert_string_equal(strrchr(t, '/') + 1, tried[3]);
    assert_int_equal(count_named("work/t", "sq"), 4); /* three squatters, one temp */
    for (int i = 0; i < 4; i++) {
        strcpy(strrchr(t, '/') + 1, tried[i]);
        assert_int_equal(unlink(t), 0);
    }
}

/* Failures leave no temporary file: names taken every time (glibc's
   bound, then EEXIST), another error at once, a missing directory, a
   name the placement refuses (in the store, below a link to it). */
static int taken(int dir, const char *name, int flags)
{
    (void)dir, (void)name, (void)flags;
    tries++;
    return errno = EEXIST, -1;
}

static int full_after_one(int dir, const char *name, int flags)
{
    (void)dir, (void)name, (void)flags;
    return errno = tries++ ? ENOSPC : EEXIST, -1;
}

static void nothing_left_on_failure(void **state)
{
    char t[PATH_MAX];

    (void)state;
    tries = 0;
    assert_int_equal(cow_mktemp("mkstemp", tmpl_of(t, "work/t/fXXXXXX"), 0, 0, taken), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(tries, 62 * 62 * 62);
    tries = 0;
    assert_int_equal(cow_mktemp("mkstemp", tmpl_of(t, "work/t/fXXXXXX"), 0, 0, full_after_one), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(tries, 2);
    assert_int_equal(mkostemps_(tmpl_of(t, "work/t/none/fXXXXXX"), 0, 0), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(count_named("work/t", "f"), 0);

    assert_int_equal(mkostemps_(tmpl_of(t, "store/pkg/fXXXXXX"), 0, 0), -1);
    assert_true(errno == EROFS || errno == EACCES);
    put_link(at("store/pkg"), "work/pkgdir");
    assert_int_equal(mkostemps_(tmpl_of(t, "work/pkgdir/fXXXXXX"), 0, 0), -1);
    assert_true(errno == EROFS || errno == EACCES);
    assert_int_equal(cow_mktemp("mkdtemp", tmpl_of(t, "work/pkgdir/fXXXXXX"), 0, 0, cow_temp_dir),
                     -1);
    assert_int_equal(count_named("store/pkg", "f"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_templates),
        cmocka_unit_test(a_file_in_place_of_the_xs),
        cmocka_unit_test(a_directory),
        cmocka_unit_test(made_on_the_placed_name),
        cmocka_unit_test(no_directory_part),
        cmocka_unit_test(new_letters_on_eexist),
        cmocka_unit_test(nothing_left_on_failure),
    };
    struct stat st;
    int failed;

    fixture_init();
    mkdir(at("work/t"), 0755);
    assert_int_equal(stat(at("work/t"), &st), 0);
    t_ino = st.st_ino;
    fixture_seal();
    failed = cmocka_run_group_tests_name("temps", tests, NULL, NULL);
    fixture_free();
    return failed;
}
