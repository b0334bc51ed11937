/* Logging: one-line explanations on stderr, and events.
 *
 * Lines are assembled in a stack buffer and written with one write(2):
 * no stdio, no allocation, and an O_APPEND log shared by many processes
 * gets whole lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cowlink.h"
#include "sys.h"

extern char *program_invocation_short_name;

struct line {
    char s[2 * PATH_MAX + 512];
    size_t n;
};

static void put(struct line *l, const char *s)
{
    size_t len = strlen(s), room = sizeof l->s - 1 - l->n;

    if (len > room)
        len = room;
    memcpy(l->s + l->n, s, len);
    l->n += len;
}

static void put_end(struct line *l)
{
    l->s[l->n++] = '\n';
}

const char *cow_num(char buf[24], unsigned long long n)
{
    char *p = buf + 23;

    *p = 0;
    do
        *--p = (char)('0' + n % 10);
    while (n /= 10);
    return p;
}

const char *cow_strerror(int err, char buf[64])
{
    /* GNU strerror_r: returns a static string or fills buf; never allocates. */
    return strerror_r(err, buf, 64);
}

/* cow_say("a", "b", (char *)0) prints "cowlink: ab" on stderr. */
void cow_say(const char *first, ...)
{
    struct line l = {.n = 0};
    va_list ap;
    int saved = errno;

    put(&l, "cowlink: ");
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        put(&l, s);
    va_end(ap);
    put_end(&l);
    sys_write(2, l.s, l.n);
    errno = saved;
}

/* A log name that is a link (/dev/stderr is one) is followed only to a
   file that exists, and outside the store: it is looked at by descriptor,
   then that very file is opened again through /proc. */
static int open_linked(int dirfd, const char *name)
{
    char target[PATH_MAX], proc[40] = "/proc/self/fd/", num[24];
    int at = sys_openat(dirfd, name, O_PATH | O_CLOEXEC, 0), fd = -1;

    if (at < 0)
        return -1;
    if (cow_fd_in_store(at, target) == 0) {
        strcat(proc, cow_num(num, (unsigned long long)at));
        fd = sys_openat(AT_FDCWD, proc, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY, 0);
    } else {
        errno = ELOOP;
    }
    sys_close(at);
    return fd;
}

/* The log is opened again at each event, by its absolute name: a name
   that is, or has become, a link to a store file is not followed, and a
   directory that lies in a store (swapped for a link to one since) is not
   written. */
static void append_to_log(const char *file, const struct line *l)
{
    static int warned_pid;
    char dir[PATH_MAX];
    const char *name = strrchr(file, '/') + 1;
    size_t len = (size_t)(name - file) - 1;
    int dirfd, fd = -1, pid;

    memcpy(dir, file, len ? len : 1);
    dir[len ? len : 1] = 0;
    dirfd = sys_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (dirfd < 0)
        return;
    if (cow_dir_class(dirfd) != COW_DIR_PLAIN) /* placed as any name is */
        errno = EROFS;
    else if ((fd = sys_openat(dirfd, name,
                              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
                              0666)) < 0 &&
             errno == ELOOP)
        fd = open_linked(dirfd, name);
    sys_close(dirfd);
    if (fd < 0) {
        pid = (int)syscall(SYS_getpid);
        if ((errno == ELOOP || errno == EROFS) &&
            __atomic_exchange_n(&warned_pid, pid, __ATOMIC_RELAXED) != pid)
            cow_say("not writing the log ", file,
                    errno == ELOOP ? ": its name is a symlink to a store file"
                                   : ": its directory lies in the store",
                    (char *)0);
        return;
    }
    sys_write(fd, l->s, l->n);
    sys_close(fd);
}

/* The first event of each process on a verbose terminal says what it
   means and how to find out why cargo rebuilt the artifact. */
static void hint_once(void)
{
    static int hinted_pid;
    int pid = (int)syscall(SYS_getpid);

    if (__atomic_exchange_n(&hinted_pid, pid, __ATOMIC_RELAXED) == pid)
        return;
    cow_say("note: ", program_invocation_short_name,
            " is rebuilding an inherited artifact; to see why, run cargo with "
            "CARGO_LOG=cargo::core::compiler::fingerprint=info",
            (char *)0);
}

/* The first event of each process also says where the build's outputs,
   which decide what a store path named directly may be, came from. */
static void outputs_once(const char *file)
{
    static int said_pid;
    int pid = (int)syscall(SYS_getpid);
    const char *from = cow_outputs_origin(), *list = cow_outputs_list();
    struct line l = {.n = 0};
    char num[24];

    if (__atomic_exchange_n(&said_pid, pid, __ATOMIC_RELAXED) == pid)
        return;
    put(&l, "cowlink: outputs pid=");
    put(&l, cow_num(num, (unsigned long long)pid));
    put(&l, " prog=");
    put(&l, program_invocation_short_name);
    put(&l, " from=");
    put(&l, from ? from : "none (unknown: every store entry named directly is refused)");
    if (list) {
        put(&l, " outputs=");
        put(&l, list);
    }
    put_end(&l);
    if (file)
        append_to_log(file, &l);
    if (cow_verbose())
        sys_write(2, l.s, l.n);
}

void cow_event(const char *event, const char *op, const char *path,
               const char *target, unsigned long long bytes, const char *method)
{
    struct line l = {.n = 0};
    char num[24];
    const char *file = cow_log_path();
    int saved = errno;

    outputs_once(file);
    put(&l, "cowlink: event=");
    put(&l, event);
    put(&l, " op=");
    put(&l, op);
    put(&l, " pid=");
    put(&l, cow_num(num, (unsigned long long)syscall(SYS_getpid)));
    put(&l, " prog=");
    put(&l, program_invocation_short_name);
    put(&l, " bytes=");
    put(&l, cow_num(num, bytes));
    put(&l, " method=");
    put(&l, method);
    put(&l, " path=");
    put(&l, path);
    put(&l, " target=");
    put(&l, target);
    put_end(&l);
    if (file)
        append_to_log(file, &l);
    if (cow_verbose()) {
        hint_once();
        sys_write(2, l.s, l.n);
    }
    errno = saved;
}
