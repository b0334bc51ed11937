/* One libc call, named on the command line, and what it returned: "ok"
 * (or a mode, for stat), or the errno's name.  tests/store/run.sh runs each
 * with and without the library and compares.
 *
 *   calls OP ARGS...      (see the table at the bottom)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

static const char *name_of(int err)
{
    static const struct { int err; const char *name; } names[] = {
        {EACCES, "EACCES"}, {EPERM, "EPERM"},   {EROFS, "EROFS"},   {ENOENT, "ENOENT"},
        {EXDEV, "EXDEV"},   {EINVAL, "EINVAL"}, {EISDIR, "EISDIR"}, {ELOOP, "ELOOP"},
        {EEXIST, "EEXIST"}, {ENODATA, "ENODATA"}, {ENOTTY, "ENOTTY"}, {EAGAIN, "EAGAIN"},
        {ENOTDIR, "ENOTDIR"}, {EMFILE, "EMFILE"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {EBADF, "EBADF"},
        {EBADFD, "EBADFD"},
    };
    static char other[16];

    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].err == err)
            return names[i].name;
    snprintf(other, sizeof other, "errno%d", err);
    return other;
}

static int said(int r)
{
    puts(r < 0 ? name_of(errno) : "ok");
    return 0;
}

static int write_line(int fd)
{
    int r = fd < 0 ? -1 : (int)write(fd, "x\n", 2);
    int err = errno;

    if (fd >= 0)
        close(fd);
    errno = err;
    return r;
}

static int opened(int fd)
{
    return said(fd < 0 ? -1 : close(fd));
}

static mode_t octal(const char *s) { return (mode_t)strtol(s, NULL, 8); }

static const struct timespec *times_of(const char *kind)
{
    static struct timespec t[2];
    long nsec = !strcmp(kind, "now") ? UTIME_NOW : !strcmp(kind, "omit") ? UTIME_OMIT : 0;

    t[0] = (struct timespec){.tv_sec = 1000, .tv_nsec = nsec};
    t[1] = t[0];
    if (!strcmp(kind, "bad"))
        t[1].tv_nsec = 2000000000L;
    return !strcmp(kind, "null") ? NULL : t;
}

/* A call on a descriptor of a file opened read-only (or O_PATH). */
static int on_fd(const char *op, const char *path)
{
    int flags = !strcmp(op, "opath_chown") ? O_PATH | O_NOFOLLOW : O_RDONLY;
    int fd = open(path, flags), r, attr = FS_NODUMP_FL;
    struct stat st;

    if (fd < 0)
        return said(-1);
    if (!strcmp(op, "fchmod"))
        r = fchmod(fd, 0777);
    else if (!strcmp(op, "fchown"))
        r = fchown(fd, 0, 0);
    else if (!strcmp(op, "futimens"))
        r = futimens(fd, times_of("set"));
    else if (!strcmp(op, "futimens_now"))
        r = futimens(fd, NULL);
    else if (!strcmp(op, "utimensat_fd"))
        r = utimensat(fd, "", times_of("set"), AT_EMPTY_PATH);
    else if (!strcmp(op, "futimesat_fd"))
        r = futimesat(fd, NULL, (struct timeval[2]){{1000, 0}, {1000, 0}});
    else if (!strcmp(op, "fchownat_empty"))
        r = fchownat(fd, "", 0, 0, AT_EMPTY_PATH);
    else if (!strcmp(op, "fsetxattr"))
        r = fsetxattr(fd, "user.cow", "1", 1, 0);
    else if (!strcmp(op, "fremovexattr"))
        r = fremovexattr(fd, "user.cow");
    else if (!strcmp(op, "setflags"))
        r = ioctl(fd, FS_IOC_SETFLAGS, &attr);
    else if (!strcmp(op, "setversion"))
        r = ioctl(fd, FS_IOC_SETVERSION, &attr);
    else if (!strcmp(op, "getversion"))
        r = ioctl(fd, FS_IOC_GETVERSION, &attr);
    else if (!strcmp(op, "linkat_empty"))
        r = linkat(fd, "", AT_FDCWD, "hard", AT_EMPTY_PATH);
    else if (!strcmp(op, "opath_chown")) {
        r = fchownat(fd, "", (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH);
        if (r == 0 && (r = fstatat(fd, "", &st, AT_EMPTY_PATH)) == 0 && !S_ISLNK(st.st_mode))
            errno = EINVAL, r = -1;
    } else {
        fprintf(stderr, "calls: unknown descriptor call %s\n", op);
        exit(2);
    }
    return said(r);
}

/* A failed freopen has closed its stream's descriptor, as glibc's does,
   and left the FILE to the caller, whose fclose frees it: -1 with the
   freopen's errno, or with EBADFD when the descriptor was left open (a
   crash here is a FILE freed twice). */
static int reopen_failed(FILE *f, int was)
{
    int err = errno;

    if (fcntl(was, F_GETFD) != -1) {
        close(was);
        err = EBADFD;
    }
    fclose(f);
    errno = err;
    return -1;
}

/* freopen(NULL, "w") on a stream opened for reading: glibc reopens the
   stream's file through /proc. */
static int reopen(const char *path)
{
    FILE *f = fopen(path, "r"), *g;
    int was = f ? fileno(f) : -1;

    if (!f)
        return said(-1);
    if (!(g = freopen(NULL, "w", f)))
        return said(reopen_failed(f, was));
    fputs("x\n", g);
    fclose(g);
    return said(0);
}

static int with_mode(const char *path, const char *mode)
{
    FILE *f = fopen(path, mode);

    if (f) {
        fputs("x\n", f);
        if (fclose(f) != 0)
            return said(-1);
    }
    return said(f ? 0 : -1);
}

/* Working directory deeper than PATH_MAX, a link to a store file in it. */
static int deep_cwd(const char *target)
{
    char name[201];

    memset(name, 'd', 200);
    name[200] = 0;
    for (int i = 0; i < 25; i++)
        if ((mkdir(name, 0755) < 0 && errno != EEXIST) || chdir(name) < 0)
            return said(-1);
    if (symlink(target, "l") < 0)
        return said(-1);
    return said(write_line(open("l", O_WRONLY | O_APPEND)));
}

/* A link beside a deleted working directory, reached with "../". */
static int deleted_cwd(const char *target)
{
    if (symlink(target, "l") < 0 || mkdir("gone", 0755) < 0 || chdir("gone") < 0 ||
        rmdir("../gone") < 0)
        return said(-1);
    return said(write_line(open("../l", O_WRONLY | O_APPEND)));
}

/* A relative link reached through a directory descriptor (its path is
   read from /proc, which the runner may have hidden). */
static int via_dirfd(const char *dir, const char *name)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY);

    if (d < 0)
        return said(-1);
    return said(write_line(openat(d, name, O_WRONLY | O_APPEND)));
}

/* The mode fstat (or an AT_EMPTY_PATH stat) of a read-only descriptor
   shows: how is open, fopen, fstatat or statx. */
static int fd_view(const char *how, const char *path)
{
    FILE *f = !strcmp(how, "fopen") ? fopen(path, "r") : NULL;
    int fd = f ? fileno(f) : open(path, O_RDONLY), r;
    struct stat st;
    struct statx stx;

    if (fd < 0)
        return said(-1);
    if (!strcmp(how, "statx")) {
        r = statx(fd, "", AT_EMPTY_PATH, STATX_MODE, &stx);
        st.st_mode = stx.stx_mode;
    } else if (!strcmp(how, "fstatat")) {
        r = fstatat(fd, "", &st, AT_EMPTY_PATH);
    } else {
        r = fstat(fd, &st);
    }
    if (r < 0)
        return said(-1);
    printf("%o\n", st.st_mode & 07777);
    return 0;
}

/* A call relative to a directory descriptor: at DIR OP NAME, OP one of
   mkdir, create, unlink, chmod, rename (NAME to NAME.moved). */
static int at_dir(const char *dir, const char *op, const char *name)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY), r;
    char moved[PATH_MAX];

    if (d < 0)
        return said(-1);
    if (!strcmp(op, "mkdir"))
        r = mkdirat(d, name, 0755);
    else if (!strcmp(op, "create"))
        r = (r = openat(d, name, O_WRONLY | O_CREAT, 0644)) < 0 ? -1 : close(r);
    else if (!strcmp(op, "unlink"))
        r = unlinkat(d, name, 0);
    else if (!strcmp(op, "chmod"))
        r = fchmodat(d, name, 0777, 0);
    else {
        snprintf(moved, sizeof moved, "%s.moved", name);
        r = renameat(d, name, d, moved);
    }
    return said(r);
}

/* The 200-character name the deep fixtures repeat (cases.sh: deep_dirs). */
static const char *deep_name(void)
{
    static char name[201];

    memset(name, 'd', 200);
    return name;
}

/* deep_in DIR OP [ARG]: chdir to DIR, then down the 25 deep directories
   below it (deeper than PATH_MAX), then OP there: mkdir NAME, append
   NAME, or create NAME. */
static int deep_in(const char *dir, const char *op, const char *name)
{
    if (chdir(dir) < 0)
        return said(-1);
    for (int i = 0; i < 25; i++)
        if (chdir(deep_name()) < 0)
            return said(-1);
    if (!strcmp(op, "mkdir"))
        return said(mkdir(name, 0755));
    if (!strcmp(op, "append"))
        return said(write_line(open(name, O_WRONLY | O_APPEND)));
    return said(write_line(open(name, O_WRONLY | O_CREAT, 0644)));
}

/* cwd_empty OP: re-own or re-time the working directory itself
   (AT_FDCWD with AT_EMPTY_PATH). */
static int cwd_empty(const char *op)
{
    if (!strcmp(op, "fchownat"))
        return said(fchownat(AT_FDCWD, "", 0, 0, AT_EMPTY_PATH));
    return said(utimensat(AT_FDCWD, "", times_of("set"), AT_EMPTY_PATH));
}

/* chdir_race DIR OTHER: one thread keeps creating a relative name in the
   working directory while the main thread changes it, over and over,
   from OTHER (outside the store) to DIR (a store directory) and makes a
   directory there.  "ok" if any such mkdir got in, else its error.  The
   name exists in both (O_EXCL: EEXIST), so the thread writes nothing
   itself: only what cowlink learnt of the working directory meanwhile
   can let the mkdir in. */
static volatile int racing = 1;

static void *probe(void *arg)
{
    (void)arg;
    while (racing)
        close(open("probe", O_WRONLY | O_CREAT | O_EXCL, 0644));
    return NULL;
}

static int chdir_race(const char *dir, const char *other)
{
    char work[PATH_MAX], name[32];
    pthread_t t;
    int err = 0, r = -1;

    if (!getcwd(work, sizeof work) || chdir(other) < 0 ||
        pthread_create(&t, NULL, probe, NULL))
        return said(-1);
    for (int i = 0; i < 20000 && r < 0; i++) {
        if (chdir(work) < 0 || chdir(other) < 0 || chdir(work) < 0 || chdir(dir) < 0)
            break;
        snprintf(name, sizeof name, "raced-%d", i);
        r = mkdir(name, 0755);
        err = errno;
    }
    racing = 0;
    pthread_join(t, NULL);
    errno = err;
    return said(r);
}

/* chdir_on_signal DIR MARK NAME: a thread waits for SIGUSR1, then
   changes the working directory to DIR and makes MARK (a directory: no
   descriptor needed, where the table is full); the main thread makes the
   directory NAME (no directory part).  Run under pause.c, whose
   action sends the signal and waits for MARK while the main thread is
   held at its mkdir: another thread's chdir between cowlink's look and
   the call, every run. */
static const char *chdir_to, *chdir_mark;

static void *chdir_on_signal_thread(void *arg)
{
    sigset_t *set = arg;
    int sig;

    if (sigwait(set, &sig) == 0 && chdir(chdir_to) == 0)
        mkdir(chdir_mark, 0755);
    return NULL;
}

static int chdir_on_signal(const char *dir, const char *mark, const char *name)
{
    sigset_t set;
    pthread_t t;
    int r, err;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    chdir_to = dir;
    chdir_mark = mark;
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) || pthread_create(&t, NULL, chdir_on_signal_thread, &set))
        return said(-1);
    r = mkdir(name, 0755);
    err = errno;
    pthread_kill(t, SIGUSR1); /* where pause never sent it */
    pthread_join(t, NULL);
    errno = err;
    return said(r);
}

/* freopen(path, mode) of a stream, and a line written: 0, or -1 with
   errno (reopen_failed's). */
static int reopen_line(const char *path, const char *mode)
{
    FILE *f = fopen("/dev/null", "r"), *g;
    int was = f ? fileno(f) : -1;

    if (!f)
        return -1;
    if (!(g = freopen(path, mode, f)))
        return reopen_failed(f, was);
    fputs("x\n", g);
    return fclose(g);
}

/* swap_race DIR LINK NAME: a thread exchanges DIR with LINK (a link to a
   store directory) over and over, by a raw renameat2 that cowlink does not
   see (another program), while the main thread appends to DIR/NAME,
   changes its mode, truncates it, makes and removes DIR/new, renames
   DIR/NAME to DIR/moved and back (two names in one directory), makes and
   removes temporary files and directories (mkstemp, mkdtemp) in DIR, and
   reopens a stream on DIR/NAME (freopen).  It prints "done": the store
   must not have changed. */
static const char *swap_a, *swap_b;

static void *swapper(void *arg)
{
    (void)arg;
    while (racing)
        syscall(SYS_renameat2, AT_FDCWD, swap_a, AT_FDCWD, swap_b, 2 /* RENAME_EXCHANGE */);
    return NULL;
}

static int swap_race(const char *dir, const char *link, const char *name)
{
    char path[PATH_MAX], made[PATH_MAX], moved[PATH_MAX], temp[PATH_MAX];
    pthread_t t;
    int fd;

    swap_a = dir;
    swap_b = link;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(made, sizeof made, "%s/new", dir);
    snprintf(moved, sizeof moved, "%s/moved", dir);
    if (pthread_create(&t, NULL, swapper, NULL))
        return said(-1);
    for (int i = 0; i < 20000; i++) {
        write_line(open(path, O_WRONLY | O_APPEND));
        chmod(path, 0644);
        truncate(path, 3);
        if (mkdir(made, 0755) == 0)
            rmdir(made);
        if (rename(path, moved) == 0) /* back, once DIR is the directory again */
            for (int k = 0; k < 1000 && rename(moved, path) != 0; k++)
                ;
        if (i % 8)
            continue; /* dearer: an eighth of the rounds */
        snprintf(temp, sizeof temp, "%s/tmpXXXXXX", dir);
        if ((fd = mkstemp(temp)) >= 0 && close(fd) == 0)
            unlink(temp);
        snprintf(temp, sizeof temp, "%s/tmpXXXXXX", dir);
        if (mkdtemp(temp))
            rmdir(temp);
        reopen_line(path, "a");
    }
    racing = 0;
    pthread_join(t, NULL);
    puts("done");
    return 0;
}

/* swap_last_race FILE LINK: the same with FILE exchanged with LINK (a link
   to a store file) in one directory, while the main thread appends to
   FILE: an open made where cowlink saw no link must not follow one put
   there meanwhile. */
static int swap_last_race(const char *file, const char *link)
{
    pthread_t t;

    swap_a = file;
    swap_b = link;
    if (pthread_create(&t, NULL, swapper, NULL))
        return said(-1);
    for (int i = 0; i < 20000; i++)
        write_line(open(file, O_WRONLY | O_APPEND));
    racing = 0;
    pthread_join(t, NULL);
    puts("done");
    return 0;
}

/* Fill the descriptor table (a low limit, then dups up to it), so that
   no open can succeed, cowlink's own included. */
static void fill_fd_table(void)
{
    struct rlimit lim = {64, 64};

    if (setrlimit(RLIMIT_NOFILE, &lim) < 0) {
        perror("calls: setrlimit");
        exit(2);
    }
    while (dup(0) >= 0)
        ;
}

/* A child started with an environment of its own ({PATH}: no
   LD_PRELOAD) appends a line to path, started by: execve, execle, vfork
   then execve, posix_spawn; or addopen, /bin/echo with its output opened
   by posix_spawn's file action (addchdir: after a chdir action to path's
   directory, by its last name); or system, with LD_PRELOAD removed from
   this process's own environment first.  "ok", or how it failed. */
static int child_appends(const char *how, const char *path)
{
    static char *env[] = {"PATH=/usr/bin:/bin", NULL};
    char cmd[PATH_MAX + 32], *sh[] = {"sh", "-c", cmd, NULL}, *echo[] = {"echo", "x", NULL};
    posix_spawn_file_actions_t fa;
    volatile pid_t pid = -1;
    pid_t spawned;
    volatile int err = 0;
    int st;

    snprintf(cmd, sizeof cmd, "echo x >>'%s' 2>/dev/null", path);
    if (!strcmp(how, "execve") && (pid = fork()) == 0)
        _exit(execve("/bin/sh", sh, env) ? 127 : 0);
    if (!strcmp(how, "execle") && (pid = fork()) == 0)
        _exit(execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env) ? 127 : 0);
    if (!strcmp(how, "vfork") && (pid = vfork()) == 0)
        _exit(execve("/bin/sh", sh, env) ? 127 : 0);
    if (!strcmp(how, "system")) { /* glibc's own posix_spawn, with environ */
        unsetenv("LD_PRELOAD");
        st = system(cmd);
        goto ended;
    }
    if (!strcmp(how, "spawn"))
        err = posix_spawn(&spawned, "/bin/sh", NULL, NULL, sh, env), pid = spawned;
    if (!strcmp(how, "addopen") || !strcmp(how, "addchdir")) {
        const char *slash = strrchr(path, '/'), *name = path;
        char dir[PATH_MAX];
        posix_spawn_file_actions_init(&fa);
        if (!strcmp(how, "addchdir") && slash) { /* the open relative to dir, in the child */
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
            posix_spawn_file_actions_addchdir_np(&fa, dir);
            name = slash + 1;
        }
        err = posix_spawn_file_actions_addopen(&fa, 1, name, O_WRONLY | O_APPEND, 0);
        if (!err)
            err = posix_spawn(&spawned, "/bin/echo", &fa, NULL, echo, environ), pid = spawned;
    }
    if (err || pid < 0) {
        errno = err ? err : EINVAL;
        return said(-1);
    }
    if (waitpid(pid, &st, 0) < 0)
        return said(-1);
ended:
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return said(0);
    printf("status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

/* open_by_handle_at for writing, with the handle of what path leads to. */
static int by_handle(const char *path)
{
    struct {
        struct file_handle h;
        unsigned char bytes[MAX_HANDLE_SZ];
    } fh = {.h.handle_bytes = MAX_HANDLE_SZ};
    int mount_id, mount_fd = open(path, O_RDONLY), fd;

    if (mount_fd < 0 || name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, AT_SYMLINK_FOLLOW) < 0)
        return said(-1);
    fd = open_by_handle_at(mount_fd, &fh.h, O_WRONLY | O_APPEND);
    close(mount_fd);
    return said(write_line(fd));
}

/* What the mkstemp family made, told so that the runs without and with
   the library compare: its mode, the template it rewrote with the
   letters in place of the X's shown as '?', and how the descriptor is
   open; "other" where the template does not name what was made.  temp:
   mkstemp, or with a suffix length mkostemps(O_APPEND|O_CLOEXEC);
   temp_dir: mkdtemp. */
static int temp_made(const char *op, const char *tmpl, const char *suffix)
{
    char t[PATH_MAX], *x;
    struct stat made, named;
    int n = atoi(suffix), fd = -1, same;

    snprintf(t, sizeof t, "%s", tmpl);
    if (!strcmp(op, "temp_dir")) {
        if (!mkdtemp(t) || stat(t, &made) < 0)
            return said(-1);
    } else if ((fd = suffix[0] ? mkostemps(t, n, O_APPEND | O_CLOEXEC) : mkstemp(t)) < 0 ||
               fstat(fd, &made) < 0)
        return said(-1);
    same = stat(t, &named) == 0 && named.st_dev == made.st_dev && named.st_ino == made.st_ino;
    x = t + strlen(t) - n - 6;
    if (strspn(x, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") >= 6)
        memset(x, '?', 6);
    printf("%o %s%s", made.st_mode & 07777, t, same ? "" : " other");
    if (fd >= 0)
        printf(" %s%s%s", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR ? "rw" : "not-rw",
               fcntl(fd, F_GETFL) & O_APPEND ? " append" : "",
               fcntl(fd, F_GETFD) & FD_CLOEXEC ? " cloexec" : "");
    puts("");
    return 0;
}

/* COWLINK_LOG's name (or its directory) becomes a link into the store
   between two writes through store links, each an event for the log.
   The second write's result. */
static int log_turns(const char *log, const char *target, const char *first, const char *second)
{
    char away[PATH_MAX];

    if (write_line(open(first, O_WRONLY | O_APPEND)) < 0)
        return said(-1);
    snprintf(away, sizeof away, "%s.away", log);
    if ((rename(log, away) < 0 && errno != ENOENT) || symlink(target, log) < 0)
        return said(-1);
    return said(write_line(open(second, O_WRONLY | O_APPEND)));
}

int main(int argc, char **argv)
{
    int errno_at_start = errno; /* what the libraries' constructors left */
    const char *op = argc > 1 ? argv[1] : "", *p = argc > 2 ? argv[2] : "";
    const char *a = argc > 3 ? argv[3] : "", *b = argc > 4 ? argv[4] : "";
    struct stat st;

    if (argc < 3) {
        fputs("usage: calls OP PATH [ARG...]\n", stderr);
        return 2;
    }
    if (!strcmp(op, "emfile")) { /* emfile OP ARGS...: OP with a full table */
        fill_fd_table();
        return main(argc - 1, argv + 1);
    }
    if (!strcmp(op, "emfile_known_cwd")) { /* the same, once a name was made
                                              and removed in the working
                                              directory (cowlink knows it) */
        if (mkdir("known", 0755) || rmdir("known"))
            return said(-1);
        fill_fd_table();
        return main(argc - 1, argv + 1);
    }
    if (!strcmp(op, "append"))
        return said(write_line(open(p, O_WRONLY | O_APPEND)));
    if (!strcmp(op, "trunc"))
        return said(write_line(open(p, O_WRONLY | O_TRUNC)));
    if (!strcmp(op, "trunc_dir"))
        return said(write_line(open(p, O_WRONLY | O_TRUNC | O_DIRECTORY)));
    if (!strcmp(op, "trunc_direct"))
        return opened(open(p, O_WRONLY | O_TRUNC | O_DIRECT)); /* no aligned write */
    if (!strcmp(op, "mkstemp")) {
        char t[PATH_MAX];
        snprintf(t, sizeof t, "%s", p);
        return opened(mkstemp(t));
    }
    if (!strcmp(op, "mkdtemp")) {
        char t[PATH_MAX];
        snprintf(t, sizeof t, "%s", p);
        return said(mkdtemp(t) ? 0 : -1);
    }
    if (!strcmp(op, "temp") || !strcmp(op, "temp_dir"))
        return temp_made(op, p, a);
    if (!strcmp(op, "create"))
        return said(write_line(open(p, O_WRONLY | O_CREAT, octal(a))));
    if (!strcmp(op, "create_excl"))
        return said(write_line(open(p, O_WRONLY | O_CREAT | O_EXCL, 0644)));
    if (!strcmp(op, "fopen"))
        return with_mode(p, a);
    if (!strcmp(op, "freopen"))
        return reopen(p);
    if (!strcmp(op, "freopen_path"))
        return said(reopen_line(p, *a ? a : "w")); /* [MODE] */
    if (!strcmp(op, "chmod"))
        return said(chmod(p, octal(a)));
    if (!strcmp(op, "chown"))
        return said(chown(p, (uid_t)atoi(a), (gid_t)atoi(b)));
    if (!strcmp(op, "truncate"))
        return said(truncate(p, atol(a)));
    if (!strcmp(op, "utimensat"))
        return said(utimensat(AT_FDCWD, p, times_of(a), 0));
    if (!strcmp(op, "utimes"))
        return said(utimes(p, !strcmp(a, "null") ? NULL
                                                 : (struct timeval[2]){{1000, 0}, {1000, 0}}));
    if (!strcmp(op, "futimesat"))
        return said(futimesat(AT_FDCWD, p, (struct timeval[2]){{1000, 0}, {1000, 0}}));
    if (!strcmp(op, "chown_self"))
        return said(chown(p, geteuid(), getegid()));
    if (!strcmp(op, "fchownat_self"))
        return said(fchownat(AT_FDCWD, p, geteuid(), getegid(), 0));
    if (!strcmp(op, "setxattr"))
        return said(setxattr(p, "user.cow", "1", 1, 0));
    if (!strcmp(op, "removexattr"))
        return said(removexattr(p, "user.cow"));
    if (!strcmp(op, "lremovexattr"))
        return said(lremovexattr(p, "user.cow"));
    if (!strcmp(op, "mkdir"))
        return said(mkdir(p, 0755));
    if (!strcmp(op, "unlink"))
        return said(unlink(p));
    if (!strcmp(op, "rmdir"))
        return said(rmdir(p));
    if (!strcmp(op, "rename"))
        return said(rename(p, a));
    if (!strcmp(op, "symlink"))
        return said(symlink("x", p));
    if (!strcmp(op, "link"))
        return said(link(p, a));
    if (!strcmp(op, "link_follow"))
        return said(linkat(AT_FDCWD, p, AT_FDCWD, a, AT_SYMLINK_FOLLOW));
    if (!strcmp(op, "access_w"))
        return said(access(p, W_OK));
    if (!strcmp(op, "stat")) {
        if (stat(p, &st) < 0)
            return said(-1);
        printf("%o\n", st.st_mode & 07777);
        return 0;
    }
    if (!strcmp(op, "at"))
        return at_dir(p, a, b);
    if (!strcmp(op, "deep_in"))
        return deep_in(p, a, b);
    if (!strcmp(op, "cwd_empty"))
        return cwd_empty(p);
    if (!strcmp(op, "swap_last_race"))
        return swap_last_race(p, a);
    if (!strcmp(op, "swap_race"))
        return swap_race(p, a, b);
    if (!strcmp(op, "errno_at_start"))
        return printf("%d\n", errno_at_start), 0;
    if (!strcmp(op, "chdir_race"))
        return chdir_race(p, a);
    if (!strcmp(op, "chdir_on_signal"))
        return chdir_on_signal(p, a, b);
    if (!strcmp(op, "create_rdonly")) /* flock FILE: O_RDONLY|O_CREAT */
        return opened(open(p, O_RDONLY | O_CREAT, 0644));
    if (!strcmp(op, "fd_view"))
        return fd_view(p, a);
    if (!strcmp(op, "deep_cwd"))
        return deep_cwd(p);
    if (!strcmp(op, "deleted_cwd"))
        return deleted_cwd(p);
    if (!strcmp(op, "via_dirfd"))
        return via_dirfd(p, a);
    if (!strcmp(op, "fd"))
        return on_fd(p, a);
    if (!strcmp(op, "child"))
        return child_appends(p, a);
    if (!strcmp(op, "by_handle"))
        return by_handle(p);
    if (!strcmp(op, "log_turns") && argc == 6)
        return log_turns(p, a, b, argv[5]);
    fprintf(stderr, "calls: unknown call %s\n", op);
    return 2;
}
