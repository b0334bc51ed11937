/* How a link is materialized: content, mode and times carried over, no
   copy when the caller truncates, nothing left behind when it fails, and
   one private copy however many threads race for it. */
#include <pthread.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "fixture.h"

#define PAYLOAD "inherited artifact\n"

static void link_to(const char *store_rel, const char *rel)
{
    put_link(at(store_rel), rel);
}

static void assert_store_intact(void)
{
    struct stat st;

    assert_string_equal(slurp(at("store/pkg/lib.rlib")), PAYLOAD);
    assert_int_equal(stat(at("store/pkg/lib.rlib"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0444);
    assert_int_equal(st.st_mtime, 1);
    assert_int_equal(count_named("store/pkg", ".cowlink"), 0);
}

static void assert_private(const char *rel, const char *content, mode_t mode)
{
    struct stat st;

    assert_false(is_link(rel));
    assert_int_equal(lstat(at(rel), &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, mode);
    assert_string_equal(slurp(at(rel)), content);
    assert_int_equal(count_named("work", ".cowlink"), 0);
}

static void copies_content_mode_and_times(void **state)
{
    struct stat st;
    (void)state;
    link_to("store/pkg/lib.rlib", "work/copy");
    assert_int_equal(cow_materialize("test", AT_FDCWD, at("work/copy"), COW_WRITE, 0), 0);
    assert_int_equal(stat(at("work/copy"), &st), 0); /* before reading moves atime */
    assert_int_equal(st.st_mtime, 1);
    assert_int_equal(st.st_atime, 1);
    assert_private("work/copy", PAYLOAD, 0644);
    assert_store_intact();
}

static void truncating_copies_nothing(void **state)
{
    struct stat st;
    (void)state;
    link_to("store/pkg/lib.rlib", "work/trunc");
    assert_int_equal(
        cow_materialize("test", AT_FDCWD, at("work/trunc"), COW_WRITE | COW_TRUNC, 0), 0);
    assert_private("work/trunc", "", 0644);
    assert_int_equal(stat(at("work/trunc"), &st), 0);
    assert_int_equal(st.st_mtime, 1);
    assert_store_intact();
}

static void relative_to_a_directory_fd(void **state)
{
    int dir = open(at("work"), O_RDONLY | O_DIRECTORY);
    (void)state;
    put_link("../store/pkg/lib.rlib", "work/viafd");
    assert_int_equal(cow_materialize("test", dir, "viafd", COW_WRITE, 0), 0);
    close(dir);
    assert_private("work/viafd", PAYLOAD, 0644);
}

static void dangling_link_becomes_new_file(void **state)
{
    mode_t old = umask(022);
    (void)state;
    link_to("store/pkg/absent", "work/dangling");
    assert_int_equal(cow_materialize("test", AT_FDCWD, at("work/dangling"),
                                     COW_WRITE | COW_CREAT, 0666),
                     0);
    umask(old);
    assert_private("work/dangling", "", 0644);
    assert_int_equal(access(at("store/pkg/absent"), F_OK), -1);
}

static void dangling_link_without_create_stays(void **state)
{
    (void)state;
    link_to("store/pkg/absent", "work/dangling2");
    assert_int_equal(cow_materialize("test", AT_FDCWD, at("work/dangling2"), COW_WRITE, 0),
                     0);
    assert_true(is_link("work/dangling2"));
}

static void plain_file_is_left_alone(void **state)
{
    (void)state;
    put_file("work/plain", "mine", 0600);
    assert_int_equal(cow_materialize("test", AT_FDCWD, at("work/plain"), COW_WRITE, 0), 0);
    assert_private("work/plain", "mine", 0600);
}

/* Run fn as nobody (when we are root) so that permissions apply. */
static int as_nobody(int (*fn)(void))
{
    int status;
    pid_t pid;

    if (geteuid() != 0)
        return fn();
    pid = fork();
    if (pid == 0) {
        if (setgid(65534) || setuid(65534))
            _exit(99);
        _exit(fn());
    }
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

/* stderr goes to ROOT/stderr while fn runs. */
static int with_stderr_captured(int (*fn)(void))
{
    int saved = dup(2), fd = open(at("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int r;

    dup2(fd, 2);
    close(fd);
    r = as_nobody(fn);
    dup2(saved, 2);
    close(saved);
    return r;
}

static int materialize_in_locked_dir(void)
{
    return cow_materialize("test", AT_FDCWD, at("work/ro/link"), COW_WRITE, 0);
}

static void unwritable_directory_fails_cleanly(void **state)
{
    (void)state;
    mkdir(at("work/ro"), 0755);
    link_to("store/pkg/lib.rlib", "work/ro/link");
    chmod(at("work/ro"), 0555);
    assert_int_equal(with_stderr_captured(materialize_in_locked_dir), EACCES);
    chmod(at("work/ro"), 0755);
    assert_true(is_link("work/ro/link"));
    assert_int_equal(count_named("work/ro", ".cowlink"), 0);
    assert_non_null(strstr(slurp(at("stderr")), "cowlink: cannot replace"));
    assert_store_intact();
}

static int materialize_unreadable(void)
{
    return cow_materialize("test", AT_FDCWD, at("work/secret"), COW_WRITE, 0);
}

static void unreadable_store_file_fails_cleanly(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* needs a store file the test user cannot read */
    chmod(at("store/pkg"), 0755);
    put_file("store/pkg/secret", "s", 0400);
    chmod(at("store/pkg"), 0555);
    link_to("store/pkg/secret", "work/secret");
    assert_int_equal(with_stderr_captured(materialize_unreadable), EACCES);
    assert_true(is_link("work/secret"));
    assert_int_equal(count_named("work", ".cowlink"), 0);
    assert_non_null(strstr(slurp(at("stderr")), "opening the store file"));
}

static int write_through_locked_dir(void)
{
    return cow_before_write("open", AT_FDCWD, at("work/ro/link"), COW_WRITE, 0);
}

/* The hook returns the error the call would have had without cowlink
   (EACCES on a store file that is not ours), not the materializer's. */
static void hook_returns_the_plain_error(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    chmod(at("work/ro"), 0555);
    assert_int_equal(with_stderr_captured(write_through_locked_dir), EACCES);
    chmod(at("work/ro"), 0755);
    assert_true(is_link("work/ro/link"));
}

#define THREADS 8

static void *append_line(void *arg)
{
    char line[32];
    int fd;

    cow_materialize("test", AT_FDCWD, at("work/shared"), COW_WRITE, 0);
    fd = open(at("work/shared"), O_WRONLY | O_APPEND);
    snprintf(line, sizeof line, "thread %ld\n", (long)(intptr_t)arg);
    if (fd < 0 || write(fd, line, strlen(line)) < 0)
        return arg;
    close(fd);
    return NULL;
}

static void racing_threads_share_one_copy(void **state)
{
    pthread_t t[THREADS];
    char *content, line[32];
    (void)state;
    link_to("store/pkg/lib.rlib", "work/shared");
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, append_line, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) {
        void *failed;
        pthread_join(t[i], &failed);
        assert_null(failed);
    }
    content = slurp(at("work/shared"));
    assert_memory_equal(content, PAYLOAD, strlen(PAYLOAD));
    for (int i = 0; i < THREADS; i++) {
        snprintf(line, sizeof line, "thread %d\n", i);
        assert_non_null(strstr(content, line));
    }
    assert_int_equal(strlen(content), strlen(PAYLOAD) + THREADS * strlen("thread 0\n"));
    assert_int_equal(count_named("work", ".cowlink"), 0);
    assert_store_intact();
}

/* A directory swapped for a link to a store directory before cowlink
   opens it, and back before it looks again (held here by our flock on the
   store directory), with a link of the same text in both (Nix store links
   are absolute): cowlink must see that the directory it holds is the
   store's and do nothing, not make its copy there and swap a store link
   out. */
static void *materialize_swapped(void *arg)
{
    (void)arg;
    return (void *)(long)cow_materialize("test", AT_FDCWD, at("work/swap/lib.link"), COW_WRITE, 0);
}

static void directory_swapped_while_waiting(void **state)
{
    struct stat before, after;
    pthread_t t;
    void *result;
    int held;

    (void)state;
    if (geteuid() != 0)
        skip(); /* only root could write the store here */
    mkdir(at("work/real"), 0755);
    link_to("store/pkg/lib.rlib", "work/real/lib.link");
    link_to("store/pkg/lib.rlib", "store/pkg/lib.link"); /* root writes the store */
    put_link(at("store/pkg"), "work/swap");
    assert_int_equal(stat(at("store/pkg"), &before), 0);
    held = open(at("store/pkg"), O_RDONLY | O_DIRECTORY);
    assert_int_equal(flock(held, LOCK_EX), 0);
    assert_int_equal(pthread_create(&t, NULL, materialize_swapped, NULL), 0);
    usleep(300 * 1000); /* it has opened work/swap, the store's, and waits */
    assert_int_equal(unlink(at("work/swap")), 0);
    assert_int_equal(rename(at("work/real"), at("work/swap")), 0);
    flock(held, LOCK_UN);
    close(held);
    pthread_join(t, &result);
    assert_store_intact();
    assert_int_equal(stat(at("store/pkg"), &after), 0); /* no entry made or renamed */
    assert_true(before.st_ctim.tv_sec == after.st_ctim.tv_sec &&
                before.st_ctim.tv_nsec == after.st_ctim.tv_nsec);
    assert_true(is_link("store/pkg/lib.link"));
    assert_true(is_link("work/swap/lib.link"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copies_content_mode_and_times),
        cmocka_unit_test(truncating_copies_nothing),
        cmocka_unit_test(relative_to_a_directory_fd),
        cmocka_unit_test(dangling_link_becomes_new_file),
        cmocka_unit_test(dangling_link_without_create_stays),
        cmocka_unit_test(plain_file_is_left_alone),
        cmocka_unit_test(unwritable_directory_fails_cleanly),
        cmocka_unit_test(unreadable_store_file_fails_cleanly),
        cmocka_unit_test(hook_returns_the_plain_error),
        cmocka_unit_test(racing_threads_share_one_copy),
        cmocka_unit_test(directory_swapped_while_waiting),
    };
    struct timespec one[2] = {{1, 0}, {1, 0}};
    int failed;

    fixture_init();
    chmod(root, 0755); /* nobody must reach the tree */
    put_file("store/pkg/lib.rlib", PAYLOAD, 0444);
    utimensat(AT_FDCWD, at("store/pkg/lib.rlib"), one, 0);
    fixture_seal();
    failed = cmocka_run_group_tests_name("materialize", tests, NULL, NULL);
    fixture_free();
    return failed;
}
