/* The directory lock: exclusive between processes, re-entrant for a signal
 * handler of the thread that holds it, and never inherited by a fork, nor
 * kept by the copy a child made by _Fork (no atfork handlers) holds. */
#include <sys/file.h>
#include <sys/wait.h>

#include "fixture.h"

/* The same thread asks again (as a signal handler would): no wait. */
static void nested_in_one_thread(void **state)
{
    struct cow_held outer, inner;
    (void)state;
    assert_int_equal(cow_dir_lock(AT_FDCWD, at("work"), &outer), 0);
    assert_int_equal(cow_dir_lock(AT_FDCWD, at("work"), &inner), 0);
    cow_dir_unlock(&inner);
    cow_dir_unlock(&outer);
}

/* Another process waits while we hold it. */
static void exclusive_between_processes(void **state)
{
    struct cow_held held;
    int fd, st;
    pid_t pid;
    (void)state;
    assert_int_equal(cow_dir_lock(AT_FDCWD, at("work"), &held), 0);
    pid = fork();
    if (pid == 0) {
        fd = open(at("work"), O_RDONLY | O_DIRECTORY);
        _exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 1 : 0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(WEXITSTATUS(st), 0);
    cow_dir_unlock(&held);
}

/* A child forked while we hold the lock drops its copy: once the parent
   lets go, a new lock in the child succeeds at once. */
/* A child made by make_child while the parent holds the lock waits for
   the parent to let go, then takes the lock directly, and through cowlink
   when also_ours.  0: the child did; else how it failed. */
static int child_locks_after_parent(pid_t (*make_child)(void), int also_ours)
{
    struct cow_held held, mine;
    int fd, st, go[2];
    char byte;
    pid_t pid;

    assert_int_equal(pipe(go), 0);
    assert_int_equal(cow_dir_lock(AT_FDCWD, at("work"), &held), 0);
    pid = make_child();
    if (pid == 0) {
        if (read(go[0], &byte, 1) != 1)
            _exit(2);
        fd = open(at("work"), O_RDONLY | O_DIRECTORY);
        if (flock(fd, LOCK_EX | LOCK_NB) != 0)
            _exit(1);
        close(fd);
        alarm(10);
        _exit(!also_ours || cow_dir_lock(AT_FDCWD, at("work"), &mine) == 0 ? 0 : 3);
    }
    cow_dir_unlock(&held);
    assert_int_equal(write(go[1], "x", 1), 1);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void a_fork_does_not_inherit_it(void **state)
{
    (void)state;
    assert_int_equal(child_locks_after_parent(fork, 0), 0);
}

/* _Fork runs no atfork handler: the child keeps its copy of the locked
   descriptor.  Once the parent lets go, the child still gets the lock,
   through cowlink as directly. */
static void a_Fork_child_does_not_keep_it(void **state)
{
    (void)state;
    assert_int_equal(child_locks_after_parent(_Fork, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nested_in_one_thread),
        cmocka_unit_test(exclusive_between_processes),
        cmocka_unit_test(a_fork_does_not_inherit_it),
        cmocka_unit_test(a_Fork_child_does_not_keep_it),
    };
    int failed;

    fixture_init();
    failed = cmocka_run_group_tests_name("lock", tests, NULL, NULL);
    fixture_free();
    return failed;
}
