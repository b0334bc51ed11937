/* Writes through store links racing fork, posix_spawn, signal handlers and
 * other programs.  Each scenario prints "ok" when every write it made went
 * through, or what failed; tests/store/races.sh runs it with a timeout, so
 * a hang is a failure too.
 *
 *   races fork BIG SMALL       fork while a thread copies BIG; the child
 *                              writes SMALL, in the same directory
 *   races spawn BIG SMALL      the same with posix_spawn (vfork semantics)
 *   races signal BIG SMALL     a signal handler writes SMALL while the
 *                              thread that caught it copies BIG
 *   races replaced BIG         a program without cowlink renames its own
 *                              file over BIG while cowlink copies it
 *   races forks SMALL...       200 children forked while two threads
 *                              write every SMALL; each child writes the first
 *   races fork-signal SMALL    a signal handler writes SMALL while its own
 *                              thread is inside fork()
 *   races _Fork BIG SMALL      as fork, with _Fork(), which runs no atfork
 *                              handler
 *   races _Fork-in-fork SMALL  a child made by _Fork() while another thread
 *                              is inside fork() writes SMALL
 *   races jump BIG SMALL       a signal handler jumps (siglongjmp) out of the
 *                              write that copies BIG; then another process
 *                              writes SMALL, in the same directory
 *   races handler-spawn BIG SMALL  a signal handler, run while BIG is being
 *                              copied, forks a program that writes SMALL and
 *                              waits for it
 *   races mount-jump SMALL     300 children each jump out of their first
 *                              write (which reads the mount table) after a
 *                              different delay, then write SMALL
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* This program's own fork hook, registered from .preinit_array, which runs
   before the constructor of any library, cowlink's among them: the prepare
   hooks run in the reverse order of registration, so this one runs after
   cowlink's, while the fork is under way.  It does what `inside_fork` says. */
static void (*volatile inside_fork)(void);

static void prepare_hook(void)
{
    if (inside_fork)
        inside_fork();
}

static void register_hook(void)
{
    pthread_atfork(prepare_hook, NULL, NULL);
}

__attribute__((section(".preinit_array"), used)) static void (*preinit)(void) = register_hook;

static int append(const char *path, const char *line)
{
    int fd = open(path, O_WRONLY | O_APPEND), err;
    ssize_t n;

    if (fd < 0)
        return errno;
    n = write(fd, line, strlen(line));
    err = n < 0 ? errno : 0;
    close(fd);
    return err;
}

static int failed(const char *what, int err)
{
    printf("%s: %s\n", what, strerror(err));
    return 1;
}

static void *copy_big(void *path)
{
    return (void *)(long)append(path, "big\n");
}

/* Start a thread whose write copies BIG, and give it time to start. */
static pthread_t start_copy(const char *big)
{
    pthread_t t;

    pthread_create(&t, NULL, copy_big, (void *)big);
    usleep(20000);
    return t;
}

static int joined(pthread_t t)
{
    void *err;

    pthread_join(t, &err);
    return (int)(long)err;
}

static int child_status(pid_t pid)
{
    int st;

    if (waitpid(pid, &st, 0) < 0)
        return errno;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int during_fork(const char *big, const char *small)
{
    pthread_t t = start_copy(big);
    pid_t pid = fork();
    int err;

    if (pid == 0) {
        alarm(30); /* a child waiting for its own lock dies, not hangs */
        _exit(append(small, "child\n"));
    }
    if ((err = child_status(pid)))
        return failed("the child's write", err);
    if ((err = joined(t)))
        return failed("the thread's write", err);
    return puts("ok") < 0;
}

static int during_spawn(const char *self, const char *big, const char *small)
{
    pthread_t t = start_copy(big);
    char *argv[] = {(char *)self, "append", (char *)small, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, self, NULL, NULL, argv, environ);

    if (err)
        return failed("posix_spawn", err);
    if ((err = child_status(pid)))
        return failed("the spawned program's write", err);
    if ((err = joined(t)))
        return failed("the thread's write", err);
    return puts("ok") < 0;
}

static const char *handler_path;
static volatile int handler_err = -1;

static void on_signal(int sig)
{
    (void)sig;
    handler_err = append(handler_path, "handler\n");
}

static int during_signal(const char *big, const char *small)
{
    struct itimerval tick = {.it_value = {.tv_usec = 20000}};
    int err;

    handler_path = small;
    signal(SIGALRM, on_signal);
    setitimer(ITIMER_REAL, &tick, NULL);
    if ((err = append(big, "big\n")))
        return failed("the write", err);
    while (handler_err < 0)
        usleep(1000);
    if (handler_err)
        return failed("the handler's write", handler_err);
    return puts("ok") < 0;
}

/* The other program uses raw system calls: cowlink does not see it. */
static int replaced(const char *big)
{
    pid_t pid = fork();
    int err;

    if (pid == 0) {
        int fd = (int)syscall(SYS_openat, AT_FDCWD, "theirs", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || syscall(SYS_write, fd, "theirs\n", 7) != 7)
            _exit(1);
        syscall(SYS_close, fd);
        usleep(20000);
        _exit(syscall(SYS_renameat, AT_FDCWD, "theirs", AT_FDCWD, big) < 0);
    }
    err = append(big, "ours\n");
    if (child_status(pid))
        return failed("the other program's rename", EIO);
    if (err)
        return failed("the write", err);
    return puts("ok") < 0;
}

static void *write_all(void *arg)
{
    char **paths = arg;

    for (int round = 0; round < 20; round++)
        for (char **p = paths; *p; p++)
            append(*p, "thread\n");
    return NULL;
}

static int many_forks(char **paths)
{
    pthread_t t[2];
    int err = 0;

    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, write_all, paths);
    for (int i = 0; i < 200 && !err; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(append(paths[0], "child\n"));
        err = child_status(pid);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return err ? failed("a child's write", err) : puts("ok") < 0;
}

static void raise_usr1(void)
{
    raise(SIGUSR1);
}

static int signal_in_fork(const char *small)
{
    pid_t pid;
    int err;

    handler_path = small;
    signal(SIGUSR1, on_signal);
    inside_fork = raise_usr1;
    pid = fork();
    if (pid == 0)
        _exit(0);
    inside_fork = NULL;
    if ((err = child_status(pid)))
        return failed("the child", err);
    if (handler_err < 0)
        return failed("the handler did not run", EINVAL);
    if (handler_err)
        return failed("the handler's write", handler_err);
    return puts("ok") < 0;
}

/* A child made by _Fork writes; returns its status. */
static int by_Fork(const char *small)
{
    pid_t pid = _Fork();

    if (pid == 0) {
        alarm(30); /* a child waiting for an inherited lock dies, not hangs */
        _exit(append(small, "child\n"));
    }
    return pid < 0 ? errno : child_status(pid);
}

static int during_Fork(const char *big, const char *small)
{
    pthread_t t = start_copy(big);
    int err;

    if ((err = by_Fork(small)))
        return failed("the child's write", err);
    if ((err = joined(t)))
        return failed("the thread's write", err);
    return puts("ok") < 0;
}

/* The forking thread waits, inside fork, until the main thread has made
   its child by _Fork. */
static int step; /* 1: inside fork; 2: _Fork done */

static void wait_for_Fork(void)
{
    __atomic_store_n(&step, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) != 2)
        usleep(1000);
}

static void *fork_once(void *arg)
{
    pid_t pid;

    (void)arg;
    inside_fork = wait_for_Fork;
    pid = fork();
    if (pid == 0)
        _exit(0);
    return (void *)(long)child_status(pid);
}

static int Fork_in_fork(const char *small)
{
    pthread_t t;
    int err;

    pthread_create(&t, NULL, fork_once, NULL);
    while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) != 1)
        usleep(1000);
    err = by_Fork(small);
    __atomic_store_n(&step, 2, __ATOMIC_RELEASE);
    if (err)
        return failed("the child's write", err);
    if ((err = joined(t)))
        return failed("the forked child", err);
    return puts("ok") < 0;
}

static sigjmp_buf jump;

static void jump_out(int sig)
{
    (void)sig;
    siglongjmp(jump, 1);
}

/* SIGUSR1 for the main thread in 20 ms, from a thread of its own. */
static pthread_t main_thread;

static void *signal_main(void *arg)
{
    (void)arg;
    usleep(20000);
    pthread_kill(main_thread, SIGUSR1);
    return NULL;
}

static pthread_t signal_soon(void)
{
    pthread_t t;

    main_thread = pthread_self();
    pthread_create(&t, NULL, signal_main, NULL);
    return t;
}

/* Another process writes small; a wait for a lock left taken ends in 20 s. */
static int other_process_writes(const char *small)
{
    pid_t pid = fork();

    if (pid == 0) {
        alarm(20);
        _exit(append(small, "child\n"));
    }
    return child_status(pid);
}

static pthread_t signaller; /* kept across the jump */

static int jump_out_of_write(const char *big, const char *small)
{
    int err;

    signal(SIGUSR1, jump_out);
    if (!sigsetjmp(jump, 1)) {
        signaller = signal_soon();
        append(big, "big\n");
        for (;;)
            pause(); /* the copy was quicker than 20 ms: the jump comes here */
    }
    pthread_join(signaller, NULL);
    if ((err = other_process_writes(small)))
        return failed("the other process's write, after the jump", err);
    return puts("ok") < 0;
}

static const char *self_path;

/* Fork a program that writes handler_path, and wait for it. */
static void spawn_and_wait(int sig)
{
    pid_t pid = fork();

    (void)sig;
    if (pid == 0) {
        execl(self_path, self_path, "append", handler_path, (char *)NULL);
        _exit(127);
    }
    handler_err = child_status(pid);
}

static int handler_spawns(const char *self, const char *big, const char *small)
{
    pthread_t t;
    int err;

    self_path = self;
    handler_path = small;
    signal(SIGUSR1, spawn_and_wait);
    t = signal_soon();
    err = append(big, "big\n");
    pthread_join(t, NULL);
    if (err)
        return failed("the write", err);
    if (handler_err < 0)
        return failed("the handler did not run", EINVAL);
    if (handler_err)
        return failed("the program the handler ran", handler_err);
    return puts("ok") < 0;
}

/* The first write of a process reads the mount table (with the build's
   outputs set, to know a name with no symlink on the way); a jump out of
   it at some point must leave every later write able to go on. */
static int jump_in_first_write(const char *small)
{
    int err;

    for (int i = 0; i < 300; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            struct itimerval t = {.it_value = {.tv_usec = 1 + i * 3}};
            signal(SIGALRM, jump_out);
            if (!sigsetjmp(jump, 1)) {
                setitimer(ITIMER_REAL, &t, NULL);
                close(open("plain", O_WRONLY | O_CREAT | O_APPEND, 0644));
                for (;;)
                    pause();
            }
            signal(SIGALRM, SIG_DFL);
            alarm(10); /* a write that spins dies */
            close(open("plain", O_WRONLY | O_APPEND));
            _exit(append(small, "child\n"));
        }
        if ((err = child_status(pid)))
            return failed("a write after a jump out of the first one", err);
    }
    return puts("ok") < 0;
}

int main(int argc, char **argv)
{
    const char *op = argc > 1 ? argv[1] : "";

    alarm(60); /* a hang is a failure */
    if (!strcmp(op, "append") && argc == 3) {
        alarm(20); /* a wait for a lock its parent holds ends */
        return append(argv[2], "spawned\n");
    }
    if (!strcmp(op, "fork") && argc == 4)
        return during_fork(argv[2], argv[3]);
    if (!strcmp(op, "spawn") && argc == 4)
        return during_spawn(argv[0], argv[2], argv[3]);
    if (!strcmp(op, "signal") && argc == 4)
        return during_signal(argv[2], argv[3]);
    if (!strcmp(op, "replaced") && argc == 3)
        return replaced(argv[2]);
    if (!strcmp(op, "forks") && argc >= 3)
        return many_forks(argv + 2);
    if (!strcmp(op, "fork-signal") && argc == 3)
        return signal_in_fork(argv[2]);
    if (!strcmp(op, "_Fork") && argc == 4)
        return during_Fork(argv[2], argv[3]);
    if (!strcmp(op, "_Fork-in-fork") && argc == 3)
        return Fork_in_fork(argv[2]);
    if (!strcmp(op, "jump") && argc == 4)
        return jump_out_of_write(argv[2], argv[3]);
    if (!strcmp(op, "handler-spawn") && argc == 4)
        return handler_spawns(argv[0], argv[2], argv[3]);
    if (!strcmp(op, "mount-jump") && argc == 3)
        return jump_in_first_write(argv[2]);
    fputs("usage: races fork|spawn|signal|_Fork BIG SMALL | replaced BIG | forks SMALL...\n"
          "       races fork-signal|_Fork-in-fork|mount-jump SMALL\n"
          "       races jump|handler-spawn BIG SMALL\n", stderr);
    return 2;
}
