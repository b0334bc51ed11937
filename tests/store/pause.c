/* Runs a program under ptrace and, the first time one of its threads is
 * about to make a call that acts on a name matching PATTERN (an open that
 * may write or holds the file (O_PATH), a create, a removal, a rename, a
 * mode, owner, time or xattr change: not a stat, a readlink, an access
 * check or a read-only open), holds that thread there, runs ACTION with
 * sh, and lets it go on.  This puts a change made by someone else exactly
 * between a check and the call it guards: what a race does once in many
 * runs, every run.
 *
 *   pause PATTERN ACTION PROGRAM [ARG...]
 *
 * PATTERN is matched (fnmatch) against the last component of the call's
 * path argument (trailing slashes left out).  With PAUSE_AT_EXIT=1 in the environment, the thread
 * is held when the first such call that succeeds returns (cowlink's
 * O_PATH open of a file, say: the action then runs between that open and
 * the call made on what it opened).  ACTION sees PAUSED_PID (the process)
 * and PAUSED_TID (the held thread).  Exits with the program's status; 125 when the call never
 * came (the case then tests nothing), 126 when ptrace is refused.  Needs
 * PTRACE_GET_SYSCALL_INFO (Linux 5.3). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The calls that act on a name, with the positions of their path
   arguments (-1: none) and of an open's flags (to leave read-only opens
   out); openat2's are in its struct open_how, at 2. */
static const struct {
    long nr;
    int path[2], flags;
} acts[] = {
#ifdef SYS_open
    {SYS_open, {0, -1}, 1},       {SYS_creat, {0, -1}, -1},     {SYS_mkdir, {0, -1}, -1},
    {SYS_rmdir, {0, -1}, -1},     {SYS_unlink, {0, -1}, -1},    {SYS_rename, {0, 1}, -1},
    {SYS_link, {1, -1}, -1},      {SYS_symlink, {1, -1}, -1},   {SYS_chmod, {0, -1}, -1},
    {SYS_chown, {0, -1}, -1},     {SYS_lchown, {0, -1}, -1},    {SYS_utime, {0, -1}, -1},
    {SYS_utimes, {0, -1}, -1},    {SYS_mknod, {0, -1}, -1},     {SYS_futimesat, {1, -1}, -1},
#endif
    {SYS_openat, {1, -1}, 2},     {SYS_openat2, {1, -1}, 2},   {SYS_mkdirat, {1, -1}, -1},
    {SYS_unlinkat, {1, -1}, -1},  {SYS_renameat, {1, 3}, -1},   {SYS_renameat2, {1, 3}, -1},
    {SYS_linkat, {3, -1}, -1},    {SYS_symlinkat, {2, -1}, -1}, {SYS_fchmodat, {1, -1}, -1},
    {SYS_fchownat, {1, -1}, -1},  {SYS_utimensat, {1, -1}, -1}, {SYS_truncate, {0, -1}, -1},
    {SYS_mknodat, {1, -1}, -1},   {SYS_setxattr, {0, -1}, -1},  {SYS_lsetxattr, {0, -1}, -1},
    {SYS_removexattr, {0, -1}, -1}, {SYS_lremovexattr, {0, -1}, -1},
#ifdef SYS_fchmodat2
    {SYS_fchmodat2, {1, -1}, -1},
#endif
#ifdef SYS_setxattrat
    {SYS_setxattrat, {1, -1}, -1}, {SYS_removexattrat, {1, -1}, -1},
#endif
};

/* The string at addr in the tracee, through its memory file. */
static int read_string(pid_t tid, unsigned long long addr, char *buf, size_t size)
{
    char path[64];
    ssize_t got;
    int fd;

    snprintf(path, sizeof path, "/proc/%d/mem", tid);
    if ((fd = open(path, O_RDONLY)) < 0)
        return -1;
    got = pread(fd, buf, size - 1, (off_t)addr);
    close(fd);
    if (got <= 0)
        return -1;
    buf[got] = 0;
    return 0;
}

/* An open's flags ask to write or create, or to hold the file (O_PATH,
   as cowlink does before a call made through /proc): not to read it. */
static int may_write(pid_t tid, const struct __ptrace_syscall_info *si, int at)
{
    unsigned long long flags = si->entry.args[at];
    char how[8];
    char path[64];
    int fd;

    if ((long)si->entry.nr == SYS_openat2) {
        snprintf(path, sizeof path, "/proc/%d/mem", tid);
        if ((fd = open(path, O_RDONLY)) < 0)
            return 0;
        if (pread(fd, how, sizeof how, (off_t)flags) != (ssize_t)sizeof how)
            flags = 0;
        else
            memcpy(&flags, how, sizeof flags);
        close(fd);
    }
    return (flags & O_PATH) || (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

static int matches(pid_t tid, const struct __ptrace_syscall_info *si, const char *pattern)
{
    char path[4096];
    const char *last;

    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++) {
        if ((long)si->entry.nr != acts[i].nr)
            continue;
        if (acts[i].flags >= 0 && !may_write(tid, si, acts[i].flags))
            return 0;
        for (int j = 0; j < 2; j++) {
            if (acts[i].path[j] < 0 || read_string(tid, si->entry.args[acts[i].path[j]], path, sizeof path))
                continue;
            for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
                path[n - 1] = 0; /* "d/": its last component is d */
            last = strrchr(path, '/');
            if (fnmatch(pattern, last ? last + 1 : path, 0) == 0)
                return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *at_exit = getenv("PAUSE_AT_EXIT");
    int status, fired = 0, code = 125, on_exit = at_exit && !strcmp(at_exit, "1");
    pid_t child, tid, action = -1, held = -1, armed = -1;
    char num[32];

    if (argc < 4) {
        fprintf(stderr, "usage: pause PATTERN ACTION PROGRAM [ARG...]\n");
        return 2;
    }
    if ((child = fork()) == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
            _exit(126); /* ptrace refused here (a seccomp profile, Yama) */
        raise(SIGSTOP);
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    waitpid(child, &status, 0);
    if (!WIFSTOPPED(status)) {
        fprintf(stderr, "pause: cannot trace the program (ptrace refused)\n");
        return 126;
    }
    ptrace(PTRACE_SETOPTIONS, child, 0,
           PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
               PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    ptrace(PTRACE_SYSCALL, child, 0, 0);
    /* The action runs beside the program: only the held thread waits for
       it, the program's other threads go on (one of them may be what the
       action waits for). */
    while ((tid = waitpid(-1, &status, __WALL)) > 0) {
        int sig = 0;
        if (tid == action) {
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fprintf(stderr, "pause: the action failed: %s\n", argv[2]);
            ptrace(PTRACE_SYSCALL, held, 0, 0);
            continue;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (tid == child)
                code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            continue;
        }
        if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
            struct __ptrace_syscall_info si;
            int hold = 0;
            if (!fired && ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof si, &si) > 0) {
                if (si.op == PTRACE_SYSCALL_INFO_ENTRY && matches(tid, &si, argv[1]))
                    armed = on_exit ? tid : -1, hold = !on_exit;
                else if (si.op == PTRACE_SYSCALL_INFO_EXIT && tid == armed)
                    armed = -1, hold = !si.exit.is_error;
            }
            if (hold) {
                fired = 1;
                held = tid;
                snprintf(num, sizeof num, "%d", child);
                setenv("PAUSED_PID", num, 1);
                snprintf(num, sizeof num, "%d", tid);
                setenv("PAUSED_TID", num, 1);
                if ((action = fork()) == 0) {
                    execl("/bin/sh", "sh", "-c", argv[2], (char *)0);
                    _exit(127);
                }
                continue; /* held until the action ends */
            }
        } else if (status >> 16 == 0 && WSTOPSIG(status) != SIGSTOP) {
            sig = WSTOPSIG(status); /* the program's own signal: delivered */
        } /* else an event (clone, fork, exec) or a new tracee's first stop */
        ptrace(PTRACE_SYSCALL, tid, 0, sig);
    }
    if (!fired)
        fprintf(stderr, "pause: no call on a name matching '%s' came\n", argv[1]);
    return fired ? code : 125;
}
