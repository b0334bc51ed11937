/* Where the entry points are declared: every libc function cowlink
 * interposes is one line at the bottom of this file.  Each line names the
 * function, its parameters, and where its directory fd, path and flags
 * are; the template it uses says which policy of hooks.c applies.
 *
 * Nothing else is exported: the library is built with hidden visibility.
 */
#include <dlfcn.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <utime.h>

#include "cowlink.h"
#include "sys.h"

/* Entry points that current glibc headers no longer declare: fortified
   opens, and the stat functions that binaries built against glibc < 2.33
   (rustup's rustc and cargo among them) import. */
int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);
int __xstat(int, const char *, struct stat *);
int __xstat64(int, const char *, struct stat64 *);
int __fxstatat(int, int, const char *, struct stat *, int);
int __fxstatat64(int, int, const char *, struct stat64 *, int);
int __fxstat(int, int, struct stat *);
int __fxstat64(int, int, struct stat64 *);
int __xmknod(int, const char *, mode_t, dev_t *);
int __xmknodat(int, int, const char *, mode_t, dev_t *);

/* Bind the oldest dlsym so that the library also loads on glibc < 2.34,
   where dlsym lives in libdl (the Makefile links it). */
#if defined(__x86_64__) && defined(__GLIBC__)
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
#elif defined(__aarch64__) && defined(__GLIBC__)
__asm__(".symver dlsym,dlsym@GLIBC_2.17");
#endif

#define PUBLIC __attribute__((visibility("default")))

extern char **environ;

/* The definition we stand in front of, looked up once. */
static void *next_of(void **slot, const char *name)
{
    void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

    if (!fn) {
        fn = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

#define ENTRY(ret, name, params)                                              \
    __attribute__((unused)) static void *next_##name;                         \
    PUBLIC ret name params

#define NEXT(name, fail)                                                      \
    __typeof__(&name) next = (__typeof__(&name))next_of(&next_##name, #name); \
    if (!next) {                                                              \
        errno = ENOSYS;                                                       \
        return fail;                                                          \
    }

#define FOLLOWS(flags) (!((flags) & AT_SYMLINK_NOFOLLOW))
#define EMPTY(flags) ((flags) & AT_EMPTY_PATH ? COW_FD_EMPTY : 0)
#define META COW_WRITE | COW_META
#define TIMES(t) ((t) ? META : META | COW_WRITE_PERM)
#define XATTR META | COW_WRITE_PERM
#define CREATES (COW_WRITE | COW_TRUNC | COW_CREAT | COW_OPENS)
#define TRUNCATES(n) ((n) < 0 ? COW_WRITE | COW_FAILS(EINVAL) : (n) ? COW_WRITE : COW_WRITE | COW_TRUNC)
#define MAKES (COW_NAME | COW_EXCL)   /* a new name: mkdir, symlink, mknod, link */
#define DROPS (COW_NAME | COW_EXISTS) /* an existing name: unlink, rmdir, rename's source */
#define LINKS(f) ((f) & (AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) ? COW_HARDLINK | EMPTY(f) : COW_NAME)

/* The check a call makes before the call itself (a hook of hooks.c):
   COW_DONE means it succeeded already, another value is its errno. */
#define CHECKED(fail, check)                                                  \
    int err = check;                                                          \
    if (err == COW_DONE)                                                      \
        return 0;                                                             \
    if (err) {                                                                \
        errno = err;                                                          \
        return fail;                                                          \
    }

/* Writes through a path, for calls libc has no *at form of: made on the
   placed name all the same, through the kernel's link to cowlink's
   descriptor of the file (/proc/self/fd/N) or of its directory
   (/proc/self/fd/N/NAME).  Without /proc, by on_fd: on the file cowlink
   opened (obj, -1 when none) or on the name in cowlink's descriptor of its
   directory, by the kernel's forms that take them; BY_PATH where there is
   nothing to make it on (the caller's path), AGAIN where a link was put
   there since cowlink looked (the name is placed again, and a store link
   made private).  path must be a parameter. */
#define AGAIN (-3)
#define WRITES(ret, fail, name, params, args, dirfd, path, how, mode, on_fd)  \
    ENTRY(ret, name, params)                                                  \
    {                                                                         \
        struct cow_place at;                                                  \
        char at_path[COW_PROC_NAME];                                          \
        const char *op = #name;                                               \
        int obj, saved;                                                       \
        ret r;                                                                \
        NEXT(name, fail)                                                      \
        if (!(how) || !cow_enabled())                                         \
            return next args;                                                 \
        for (int tries = 0;; tries++) {                                       \
            CHECKED(fail, object_placed(op, dirfd, &path, how, mode, &at, at_path, &obj)) \
            r = path == at_path ? BY_PATH : (on_fd);                          \
            if (r == BY_PATH)                                                 \
                r = next args;                                                \
            saved = errno;                                                    \
            if (obj >= 0)                                                     \
                sys_close(obj);                                               \
            cow_place_release(&at);                                           \
            errno = saved;                                                    \
            if (r != AGAIN)                                                   \
                return r;                                                     \
            if (tries == 8) {                                                 \
                errno = ELOOP;                                                \
                return fail;                                                  \
            }                                                                 \
        }                                                                     \
    }

/* A call made on the placed name (hooks.c, cow_before_write_at): the *at
   form on cowlink's descriptor of the directory it checked, so that a
   directory swapped for a link meanwhile cannot redirect it.  D and N are
   that descriptor and the last component (or the caller's own dirfd and
   path); PLACED places and checks, and the caller lets the descriptor go
   after its call (cow_place_release). */
#define D(pl) ((pl).dir)
#define N(pl) ((pl).name)
#define PLACED(fail, op, pl, dirfd, path, how, mode)                          \
    do {                                                                      \
        int err_ = cow_before_write_at(op, dirfd, path, how, mode, &pl);      \
        if (err_ == COW_DONE)                                                 \
            return 0;                                                         \
        if (err_) {                                                           \
            errno = err_;                                                     \
            return fail;                                                      \
        }                                                                     \
    } while (0)

/* An open that may write, made on the placed name; BY_PATH: the caller
   makes it by its own path (nothing was opened to make it on).  Where
   cowlink saw no link, O_NOFOLLOW: a link put there meanwhile fails the
   open (ELOOP), and the name is placed again.  A name far from any store
   is opened by its own path with no symlink allowed on the way: where
   openat2 refuses (a symlink, flags open() ignores, no openat2), it is
   placed again and opened on cowlink's descriptor. */
#define BY_PATH (-2)
static int resolve_refused(int err)
{
    return err == ELOOP || err == EINVAL || err == EOVERFLOW || err == ENOSYS || err == EPERM ||
           err == EXDEV || err == EAGAIN || err == E2BIG;
}

static int open_placed(const char *op, int dirfd, const char *path, int how, int f,
                       mode_t mode)
{
    struct cow_place at;
    int r, again, resolve = COW_RESOLVE;

    for (int tries = 0;; tries++) {
        int err = cow_before_write_at(op, dirfd, path, how | COW_AT | resolve, mode, &at);
        if (err) {
            errno = err;
            return -1;
        }
        if (at.resolve) {
            r = sys_open_resolved(dirfd, path, f, mode);
            cow_place_release(&at);
            if (r >= 0 || !resolve_refused(errno))
                return r;
            resolve = 0;
            continue;
        }
        if (!at.own) {
            cow_place_release(&at);
            return BY_PATH;
        }
        r = sys_openat(at.dir, at.name, f | (at.nofollow ? O_NOFOLLOW : 0), mode);
        again = r < 0 && errno == ELOOP && at.nofollow && !(f & O_NOFOLLOW) && tries < 8;
        cow_place_release(&at);
        if (!again)
            return r;
    }
}

/* The name is one component in the directory at->dir: cowlink's
   descriptor, or the caller's own directory descriptor (a NULL name:
   utimensat's form for the descriptor itself). */
static int in_dir(const struct cow_place *at)
{
    return at->own || (at->dir != AT_FDCWD && at->name && !strchr(at->name, '/'));
}

/* The file (at->dir, at->name) opened with flags (O_PATH: as it is),
   with no symlink followed on the way or at the end: openat2, else (no
   openat2) an openat with O_NOFOLLOW on cowlink's descriptor of the
   directory and a look that it is no link.  ELOOP: a link there. */
static int open_object(const struct cow_place *at, int flags)
{
    struct stat st;
    int fd = sys_open_resolved(at->dir, at->name, flags, 0);

    if (fd >= 0 || !in_dir(at) || (errno != ENOSYS && errno != EPERM))
        return fd;
    fd = sys_openat(at->dir, at->name, flags | O_NOFOLLOW, 0);
    if (fd >= 0 && (sys_fstat(fd, &st) < 0 || S_ISLNK(st.st_mode))) {
        sys_close(fd);
        errno = ELOOP;
        return -1;
    }
    return fd;
}

/* A call with no *at form (chmod, truncate, setxattr, utime...) is made
   through /proc on what cowlink placed.  One that follows its last
   component is made on the file itself (/proc/self/fd/N), opened with no
   symlink followed (open_object), so that neither a directory nor the
   file exchanged for a link meanwhile can redirect it: a link found there
   is placed again (a store link is then made private first).  Other calls
   go through the directory's descriptor (/proc/self/fd/N/NAME).  Without
   /proc, *path stays the caller's and WRITES makes the call on *obj or
   on the name in cowlink's descriptor of its directory: the name is then
   always placed in that directory (no shortcut by the caller's name).  On
   0, *obj is a descriptor to close after the call (or -1); at is released
   after the call too. */
static int object_placed(const char *op, int dirfd, const char **path, int how, mode_t mode,
                         struct cow_place *at, char buf[COW_PROC_NAME], int *obj)
{
    int follows = how & COW_FOLLOWS, err;
    int shortcut = follows && cow_proc_fd(0, buf) ? COW_RESOLVE : 0;

    *obj = -1;
    for (int tries = 0;; tries++) {
        err = cow_before_write_at(op, dirfd, *path, how | COW_AT | shortcut, mode, at);
        if (err)
            return err;
        if (!follows || !(at->resolve || (at->nofollow && in_dir(at))))
            break; /* a link was seen (made private, or placed where it
                      leads), or a directory as a whole: as placed */
        if ((*obj = open_object(at, O_PATH | O_CLOEXEC)) >= 0) {
            if (cow_proc_fd(*obj, buf))
                *path = buf; /* else no /proc: on *obj itself (WRITES) */
            return 0;
        }
        err = errno;
        cow_place_release(at);
        if (err == ELOOP && tries < 8)
            continue; /* a link there now: placed again */
        if (at->resolve && resolve_refused(err) && err != ELOOP) {
            shortcut = 0; /* no openat2: placed in full, on the directory */
            continue;
        }
        return err; /* ENOENT, EACCES, ELOOP...: the call meets it too */
    }
    if (at->own && cow_proc_name(at, buf))
        *path = buf;
    return 0;
}

/* Without /proc, a kernel with no form of the call that takes what
   cowlink placed: refused (EROFS, one line), not made by the caller's
   path, where a link could be put meanwhile. */
static int no_form(const char *op, const struct cow_place *at)
{
    cow_say("refusing ", op, " on ", at->name[0] ? at->name : ".",
            ": no /proc, and this kernel has no form of it that takes a descriptor", (char *)0);
    errno = EROFS;
    return -1;
}

/* Without /proc, the result of the call made by an AT_EMPTY_PATH form on
   the file's descriptor: refused where the kernel has no such form
   (ENOSYS: no fchmodat2, before Linux 6.6; EINVAL: a utimensat that
   takes no AT_EMPTY_PATH); BY_PATH where there is no descriptor (OBJ
   -1). */
static int by_fd(const char *op, const struct cow_place *at, int r)
{
    return r < 0 && (errno == ENOSYS || errno == EINVAL) ? no_form(op, at) : r;
}
/* The object: the file cowlink opened, or a directory as a whole, which
   cowlink's descriptor is itself. */
#define OBJ (obj >= 0 ? obj : at.own && !at.name[0] ? at.dir : -1)
#define ON_OBJ(call) (OBJ >= 0 ? by_fd(op, &at, call) : BY_PATH)

/* Without /proc, truncate, which takes no O_PATH descriptor: the file
   cowlink opened as O_PATH (obj) is opened for writing by its name in
   cowlink's descriptor of its directory, following no link, once its
   type says that open cannot block or reach a device (the kernel's own
   errors for a directory and the other kinds), and truncated if it is
   that file.  A link or another file there since (ELOOP, or another
   inode): AGAIN.  A directory as a whole (name "") is one: EISDIR. */
static int truncate_placed(const struct cow_place *at, int obj, off_t n)
{
    struct stat st, now;
    int fd, r, saved;

    if (obj < 0)
        return at->own && !at->name[0] ? (errno = EISDIR, -1) : BY_PATH;
    if (sys_fstat(obj, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode))
        return errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL, -1;
    fd = open_object(at, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ELOOP || errno == ENXIO ? AGAIN : -1; /* ENXIO: a FIFO now */
    if (sys_fstat(fd, &now) < 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino)
        r = AGAIN;
    else
        r = (int)syscall(SYS_ftruncate, fd, n);
    saved = errno;
    sys_close(fd);
    errno = saved;
    return r;
}

/* Without /proc, the extended attribute calls (no form takes an O_PATH
   descriptor) by setxattrat and removexattrat (Linux 6.13) on the name
   in cowlink's descriptor of its directory, following no link: for a
   call that follows its name, only once cowlink opened the file there
   (obj), or on a directory as a whole ("."). */
static const char *xattr_name(const struct cow_place *at, int obj, int follows)
{
    if (!in_dir(at))
        return NULL;
    if (!at->name[0])
        return ".";
    return obj >= 0 || !follows ? at->name : NULL;
}

/* A link there since cowlink opened the file: the call acted on the link
   itself (EPERM for user. attributes) or succeeded on it; placed again. */
static int xattr_done(const char *op, const struct cow_place *at, int follows, int r)
{
    struct stat st;
    int saved = errno;

    if (r < 0 && saved == ENOSYS)
        return no_form(op, at); /* no setxattrat: before Linux 6.13 */
    if (follows && at->name[0] && sys_fstatat(at->dir, at->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        return AGAIN;
    errno = saved;
    return r;
}

static int setxattr_placed(const char *op, const struct cow_place *at, int obj, int follows,
                           const char *n, const void *v, size_t s, int f)
{
    const char *name = xattr_name(at, obj, follows);

    return name ? xattr_done(op, at, follows,
                             sys_setxattrat(at->dir, name, AT_SYMLINK_NOFOLLOW, n, v, s, f))
                : BY_PATH;
}

static int removexattr_placed(const char *op, const struct cow_place *at, int obj, int follows,
                              const char *n)
{
    const char *name = xattr_name(at, obj, follows);

    return name ? xattr_done(op, at, follows,
                             sys_removexattrat(at->dir, name, AT_SYMLINK_NOFOLLOW, n))
                : BY_PATH;
}

/* utime's and utimes' times as utimensat takes them (NULL: now). */
static const struct timespec *of_utimbuf(const struct utimbuf *t, struct timespec ts[2])
{
    if (!t)
        return NULL;
    ts[0] = (struct timespec){.tv_sec = t->actime};
    ts[1] = (struct timespec){.tv_sec = t->modtime};
    return ts;
}

static const struct timespec *of_timeval(const struct timeval t[2], struct timespec ts[2])
{
    if (!t)
        return NULL;
    for (int i = 0; i < 2; i++)
        ts[i] = (struct timespec){.tv_sec = t[i].tv_sec, .tv_nsec = t[i].tv_usec * 1000};
    return ts;
}
#define TIMES_SPACE ((struct timespec[2]){{0, 0}, {0, 0}})

/* The open family, whose mode argument exists only with O_CREAT or
   O_TMPFILE.  The flags parameter must be named f.  A file created through
   a dangling link gets the caller's mode once the caller has opened it.
   An open for writing is made on the placed name. */
#define OPENS(name, params, args, dirfd, path)                                \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        mode_t mode = 0;                                                      \
        if ((f & O_CREAT) || (f & O_TMPFILE) == O_TMPFILE) {                  \
            va_list ap;                                                       \
            va_start(ap, f);                                                  \
            mode = va_arg(ap, mode_t);                                        \
            va_end(ap);                                                       \
        }                                                                     \
        NEXT(name, -1)                                                        \
        int how = cow_open_how(f), r;                                         \
        if (!how)                                                             \
            r = next args;                                                    \
        else {                                                                \
            r = open_placed(#name, dirfd, path, how, f, mode);                \
            if (r == BY_PATH)                                                 \
                r = next args;                                                \
            cow_after_open(r);                                                \
        }                                                                     \
        cow_opened(dirfd, path, r, how);                                      \
        return r;                                                             \
    }

/* The fortified opens (no mode: they never create). */
#define OPENS_FORTIFIED(name, params, args, dirfd, path)                      \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        NEXT(name, -1)                                                        \
        int how = cow_open_how(f), r;                                         \
        if (!how)                                                             \
            r = next args;                                                    \
        else {                                                                \
            r = open_placed(#name, dirfd, path, how, f, 0);                   \
            if (r == BY_PATH)                                                 \
                r = next args;                                                \
        }                                                                     \
        cow_opened(dirfd, path, r, how);                                      \
        return r;                                                             \
    }

/* fopen: its stream's descriptor is remembered as an open's is.  One that
   may write is opened as open is (on the placed name, following no link
   cowlink did not see) and the stream made on that descriptor; a mode
   with ",ccs=", which fdopen does not take, goes by the placed name
   (/proc/self/fd/N/NAME).  large: O_LARGEFILE for fopen64.  *by_path: the
   caller opens it by its own name. */
static FILE *fopen_placed(const char *op, const char *p, const char *m, int how, int large,
                          int *by_path)
{
    int flags = cow_fopen_flags(m), saved;
    int fd = open_placed(op, AT_FDCWD, p, how, flags | large, 0666);
    FILE *s;

    *by_path = fd == BY_PATH;
    if (fd < 0)
        return NULL;
    cow_after_open(fd);
    if (!(s = fdopen(fd, cow_fdopen_mode(flags)))) {
        saved = errno;
        sys_close(fd);
        errno = saved;
    }
    return s;
}

#define FOPENS(name, large)                                                   \
    ENTRY(FILE *, name, (const char *p, const char *m))                       \
    {                                                                         \
        struct cow_place at;                                                  \
        char at_path[COW_PROC_NAME];                                          \
        const char *by = p;                                                   \
        int by_path = 0;                                                      \
        FILE *s;                                                              \
        NEXT(name, NULL)                                                      \
        int how = cow_fopen_how(m);                                           \
        if (how && cow_enabled() && !strchr(m, ',')) {                        \
            s = fopen_placed(#name, p, m, how, large, &by_path);              \
        } else {                                                              \
            PLACED(NULL, #name, at, AT_FDCWD, p, how ? how | COW_AT : 0, 0666); \
            if (at.own && cow_proc_name(&at, at_path))                        \
                by = at_path;                                                 \
            s = next(by, m);                                                  \
            cow_place_release(&at);                                           \
        }                                                                     \
        if (by_path)                                                          \
            s = next(p, m);                                                   \
        if (s)                                                                \
            cow_opened(AT_FDCWD, p, fileno(s), how);                          \
        return s;                                                             \
    }

/* creat: an open with O_CREAT|O_WRONLY|O_TRUNC, on the placed name. */
#define CREATS(name)                                                          \
    ENTRY(int, name, (const char *p, mode_t m))                               \
    {                                                                         \
        NEXT(name, -1)                                                        \
        int r = open_placed(#name, AT_FDCWD, p, CREATES, O_CREAT | O_WRONLY | O_TRUNC, m); \
        if (r == BY_PATH)                                                     \
            r = next(p, m);                                                   \
        cow_after_open(r);                                                    \
        cow_opened(AT_FDCWD, p, r, 1);                                        \
        return r;                                                             \
    }

/* freopen with a path, for writing: the file is opened as open is (on
   the placed name, following no link cowlink did not see), and the stream
   reopened on it through /proc/self/fd/N, in the mode its flags make
   (the file is there now: no O_EXCL again).  Without /proc, by the
   caller's path. */
typedef FILE *reopen_fn(const char *, const char *, FILE *);

/* A refused freopen fails as glibc's freopen fails: the stream's
   descriptor closed, the FILE left to the caller (who may still fclose
   it).  glibc's own failure does exactly that: a reopen on "" (ENOENT),
   then the refusal's errno. */
static FILE *reopen_refused(reopen_fn *next, const char *m, FILE *s, int err)
{
    if (s)
        next("", m, s);
    errno = err;
    return NULL;
}

static FILE *freopen_placed(const char *op, const char *p, const char *m, FILE *s, int how,
                            reopen_fn *next)
{
    char at_path[COW_PROC_NAME];
    int flags = cow_fopen_flags(m), saved;
    int fd = open_placed(op, AT_FDCWD, p, how, flags, 0666);

    if (fd == BY_PATH || (fd >= 0 && !cow_proc_fd(fd, at_path))) {
        if (fd >= 0)
            sys_close(fd);
        s = next(p, m, s);
    } else if (fd >= 0) {
        cow_after_open(fd);
        s = next(at_path, cow_fdopen_mode(flags), s);
        saved = errno;
        sys_close(fd);
        errno = saved;
    } else {
        return reopen_refused(next, m, s, errno);
    }
    if (s)
        cow_opened(AT_FDCWD, p, fileno(s), how);
    return s;
}

/* freopen: a NULL path reopens the stream's own file (glibc does it
   through /proc, out of our sight): a store file cannot be reopened for
   writing.  A path for writing is opened as above; a ",ccs=" mode goes by
   the placed name (/proc/self/fd/N/NAME).  Every refusal fails as
   freopen fails (reopen_refused). */
#define REOPENS(name)                                                         \
    ENTRY(FILE *, name, (const char *p, const char *m, FILE *s))              \
    {                                                                         \
        struct cow_place at;                                                  \
        char at_path[COW_PROC_NAME];                                          \
        const char *by = p;                                                   \
        NEXT(name, NULL)                                                      \
        int how = cow_fopen_how(m), err;                                      \
        if (!p) {                                                             \
            err = s && how ? cow_before_fd(#name, fileno(s), how) : 0;        \
            if (err)                                                          \
                return reopen_refused(next, m, s, err);                       \
            return next(p, m, s);                                             \
        }                                                                     \
        if (how && !strchr(m, ','))                                           \
            return freopen_placed(#name, p, m, s, how, next);                 \
        err = cow_before_write_at(#name, AT_FDCWD, p, how ? how | COW_AT : 0, 0666, &at); \
        if (err)                                                              \
            return reopen_refused(next, m, s, err);                           \
        if (at.own && cow_proc_name(&at, at_path))                            \
            by = at_path;                                                     \
        s = next(by, m, s);                                                   \
        cow_place_release(&at);                                               \
        if (s)                                                                \
            cow_opened(AT_FDCWD, p, fileno(s), how);                          \
        return s;                                                             \
    }

/* The mkstemp family: the template's name is made by cowlink on the
   placed name (temps.c), not by glibc by its path.  made is what the call
   returns once it is: the descriptor r, or mkdtemp's template t. */
#define TEMPS(ret, fail, name, params, suffix, flags, create, made)           \
    ENTRY(ret, name, params)                                                  \
    {                                                                         \
        int r = cow_mktemp(#name, t, suffix, flags, create);                  \
        return r < 0 ? fail : made;                                           \
    }

/* Calls on a descriptor: refused on a store file. */
#define FDS(name, params, args, fd, how)                                      \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        NEXT(name, -1)                                                        \
        CHECKED(-1, cow_before_fd(#name, fd, how))                            \
        return next args;                                                     \
    }

/* ioctl: only the requests that change a file's attributes. */
#define IOCTLS(name)                                                          \
    ENTRY(int, name, (int fd, unsigned long req, ...))                        \
    {                                                                         \
        va_list ap;                                                           \
        va_start(ap, req);                                                    \
        void *arg = va_arg(ap, void *);                                       \
        va_end(ap);                                                           \
        NEXT(name, -1)                                                        \
        int err = cow_before_ioctl(fd, req);                                  \
        if (err) {                                                            \
            errno = err;                                                      \
            return -1;                                                        \
        }                                                                     \
        return next(fd, req, arg);                                            \
    }

/* Stats that follow links: a store link shows an owner write bit. */
#define VIEWS(name, params, args, dirfd, path, follow, mode)                  \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        NEXT(name, -1)                                                        \
        int r = next args;                                                    \
        if (r == 0 && !(mode & S_IWUSR) &&                                    \
            cow_hides_write(dirfd, path, follow, mode))                       \
            mode |= S_IWUSR;                                                  \
        return r;                                                             \
    }

/* Stats of a descriptor: one opened through a store link shows what a
   stat of the link shows. */
#define FSTATS(name, params, args, fd, b)                                     \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        NEXT(name, -1)                                                        \
        int r = next args;                                                    \
        if (r == 0 && !(b->st_mode & S_IWUSR) &&                              \
            cow_fd_hides_write(fd, b->st_mode, b->st_dev, b->st_ino))         \
            b->st_mode |= S_IWUSR;                                            \
        return r;                                                             \
    }

/* access(W_OK) succeeds on a store link whose directory is writable. */
#define ACCESSES(name, params, args, dirfd, path, amode, flags)               \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        NEXT(name, -1)                                                        \
        int saved = errno, r = next args;                                     \
        if (r != 0 && cow_access_granted(dirfd, path, amode, flags)) {        \
            errno = saved;                                                    \
            return 0;                                                         \
        }                                                                     \
        return r;                                                             \
    }

/* Calls that create, remove, rename or link names: refused where a name
   lies in a store reached through a symlink, and made on the placed names
   (at, with D(at1), N(at1), D(at2), N(at2)); the second name, in the
   first's directory, on the first's descriptor.  Renames onto and unlinks
   of a store link replace the link: they pass through and are recorded. */
#define NAMES(name, params, args, d1, p1, how1, d2, p2, how2, call)           \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        struct cow_seen seen;                                                 \
        struct cow_place at1, at2;                                            \
        int r;                                                                \
        NEXT(name, -1)                                                        \
        PLACED(-1, #name, at1, d1, p1, (how1) ? (how1) | COW_AT : 0, 0);      \
        int err = cow_before_write_beside(#name, d2, p2, (how2) | COW_AT, 0, &at2, &at1); \
        if (err) {                                                            \
            cow_place_release(&at1);                                          \
            errno = err;                                                      \
            return -1;                                                        \
        }                                                                     \
        cow_observe_before(&seen, d2, p2);                                    \
        r = at1.own || at2.own ? call : next args;                            \
        cow_observe_after(&seen, #name, r);                                   \
        cow_place_release(&at2);                                              \
        cow_place_release(&at1);                                              \
        return r;                                                             \
    }

/* remove: unlink, or rmdir where that is a directory (as glibc does). */
static int remove_at(int dirfd, const char *path)
{
    int r = sys_unlinkat(dirfd, path, 0);

    return r < 0 && errno == EISDIR ? sys_unlinkat(dirfd, path, AT_REMOVEDIR) : r;
}

/* chdir and fchdir: the working directory is looked at again (is it a
   store directory?) when a relative name is next written; what another
   thread learns of it meanwhile is not kept (place.c). */
#define CHDIRS(name, params, args)                                            \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        NEXT(name, -1)                                                        \
        cow_cwd_changing();                                                   \
        int r = next args;                                                    \
        cow_cwd_changed();                                                    \
        return r;                                                             \
    }

/* The exec family and posix_spawn: the new program keeps the library and
   cowlink's settings, whatever environment it is given (children.c).  via
   is the call made (execv: execve with environ); args name the
   environment to pass `env`. */
#define EXECS(fail, name, params, via, args, envp)                            \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        struct cow_env e;                                                     \
        NEXT(via, fail)                                                       \
        char *const *env = cow_child_env(envp, &e);                           \
        if (!env) /* ENOMEM: exec fails with -1, posix_spawn returns it */    \
            return (fail) < 0 ? -1 : ENOMEM;                                  \
        int r = next args, saved = errno;                                     \
        cow_child_env_done(&e);                                               \
        errno = saved;                                                        \
        return r;                                                             \
    }

/* execl, execlp, execle: their arguments are a list ending with NULL (and
   execle's environment after it).  glibc's own call its execve from
   inside, out of our sight: the list is collected and goes through ours. */
#define EXECLS(name, via, envp_follows)                                       \
    ENTRY(int, name, (const char *p, const char *arg, ...))                   \
    {                                                                         \
        va_list ap;                                                           \
        size_t n = 0;                                                         \
        va_start(ap, arg);                                                    \
        for (const char *a = arg; a; a = va_arg(ap, const char *))            \
            n++;                                                              \
        va_end(ap);                                                           \
        char *argv[n + 1], *const *env = environ;                             \
        va_start(ap, arg);                                                    \
        argv[0] = (char *)arg;                                                \
        for (size_t i = 1; i <= n; i++) /* the last is the NULL */            \
            argv[i] = va_arg(ap, char *);                                     \
        if (envp_follows)                                                     \
            env = va_arg(ap, char *const *);                                  \
        va_end(ap);                                                           \
        return via(p, argv, env);                                             \
    }

/* posix_spawn's deferred open runs in the child with raw system calls:
   the name is checked, and a store link made private, when the open is
   added.  It returns an error number, as posix_spawn would report it. */
#define ADDOPENS(name)                                                        \
    ENTRY(int, name, (posix_spawn_file_actions_t *fa, int fd, const char *p, \
                      int f, mode_t m))                                       \
    {                                                                         \
        NEXT(name, ENOSYS)                                                    \
        int saved = errno, err = cow_before_write(#name, AT_FDCWD, p,         \
                                                  cow_open_how(f), m);        \
        errno = saved;                                                        \
        return err > 0 ? err : next(fa, fd, p, f, m);                         \
    }

/* open_by_handle_at: a store file opened for writing by its handle. */
#define HANDLES(name)                                                         \
    ENTRY(int, name, (int d, struct file_handle *h, int f))                  \
    {                                                                         \
        NEXT(name, -1)                                                        \
        CHECKED(-1, cow_before_handle(d, h, f))                               \
        return next(d, h, f);                                                 \
    }

/* clang-format off */
OPENS(open,           (const char *p, int f, ...),           (p, f, mode),    AT_FDCWD, p)
OPENS(open64,         (const char *p, int f, ...),           (p, f, mode),    AT_FDCWD, p)
OPENS(openat,         (int d, const char *p, int f, ...),    (d, p, f, mode), d, p)
OPENS(openat64,       (int d, const char *p, int f, ...),    (d, p, f, mode), d, p)
CREATS(creat)
CREATS(creat64)
REOPENS(freopen)
REOPENS(freopen64)
IOCTLS(ioctl)
CHDIRS(chdir,  (const char *p), (p))
CHDIRS(fchdir, (int fd),        (fd))

OPENS_FORTIFIED(__open_2,     (const char *p, int f),        (p, f),    AT_FDCWD, p)
OPENS_FORTIFIED(__open64_2,   (const char *p, int f),        (p, f),    AT_FDCWD, p)
OPENS_FORTIFIED(__openat_2,   (int d, const char *p, int f), (d, p, f), d, p)
OPENS_FORTIFIED(__openat64_2, (int d, const char *p, int f), (d, p, f), d, p)
FOPENS(fopen, 0)
FOPENS(fopen64, O_LARGEFILE)

WRITES(int, -1, truncate,     (const char *p, off_t n),      (p, n), AT_FDCWD, p, TRUNCATES(n), 0, truncate_placed(&at, obj, n))
WRITES(int, -1, truncate64,   (const char *p, off64_t n),    (p, n), AT_FDCWD, p, TRUNCATES(n), 0, truncate_placed(&at, obj, n))
WRITES(int, -1, utime,        (const char *p, const struct utimbuf *t),                (p, t),       AT_FDCWD, p, TIMES(t), 0, ON_OBJ(sys_utimens_fd(OBJ, of_utimbuf(t, TIMES_SPACE))))
WRITES(int, -1, utimes,       (const char *p, const struct timeval t[2]),              (p, t),       AT_FDCWD, p, cow_timeval_how(t), 0, ON_OBJ(sys_utimens_fd(OBJ, of_timeval(t, TIMES_SPACE))))
WRITES(int, -1, lutimes,      (const char *p, const struct timeval t[2]),              (p, t),       AT_FDCWD, p, COW_NAME, 0, BY_PATH)
WRITES(int, -1, futimesat,    (int d, const char *p, const struct timeval t[2]),       (d, p, t),    d, p, cow_timeval_how(t) | COW_FD_EMPTY, 0, ON_OBJ(sys_utimens_fd(OBJ, of_timeval(t, TIMES_SPACE))))
WRITES(int, -1, utimensat,    (int d, const char *p, const struct timespec t[2], int f), (d, p, t, f), d, p, (FOLLOWS(f) ? cow_timespec_how(t) : COW_NAME) | EMPTY(f), 0, ON_OBJ(sys_utimens_fd(OBJ, t)))
WRITES(int, -1, chmod,        (const char *p, mode_t m),                               (p, m),       AT_FDCWD, p, META, 0, ON_OBJ(sys_chmod_fd(OBJ, m)))
WRITES(int, -1, lchmod,       (const char *p, mode_t m),                               (p, m),       AT_FDCWD, p, COW_NAME, 0, BY_PATH)
WRITES(int, -1, fchmodat,     (int d, const char *p, mode_t m, int f),                 (d, p, m, f), d, p, (FOLLOWS(f) ? META : COW_NAME) | EMPTY(f), 0, ON_OBJ(sys_chmod_fd(OBJ, m)))
WRITES(int, -1, chown,        (const char *p, uid_t u, gid_t g),                       (p, u, g),    AT_FDCWD, p, cow_chown_how(u, g), 0, ON_OBJ(sys_chown_fd(OBJ, u, g)))
WRITES(int, -1, lchown,       (const char *p, uid_t u, gid_t g),                       (p, u, g),    AT_FDCWD, p, COW_NAME, 0, BY_PATH)
WRITES(int, -1, fchownat,     (int d, const char *p, uid_t u, gid_t g, int f),         (d, p, u, g, f), d, p, (FOLLOWS(f) ? cow_chown_how(u, g) : COW_NAME) | EMPTY(f), 0, ON_OBJ(sys_chown_fd(OBJ, u, g)))
WRITES(int, -1, setxattr,     (const char *p, const char *n, const void *v, size_t s, int f), (p, n, v, s, f), AT_FDCWD, p, XATTR, 0, setxattr_placed(op, &at, obj, 1, n, v, s, f))
WRITES(int, -1, lsetxattr,    (const char *p, const char *n, const void *v, size_t s, int f), (p, n, v, s, f), AT_FDCWD, p, COW_NAME, 0, setxattr_placed(op, &at, obj, 0, n, v, s, f))
WRITES(int, -1, removexattr,  (const char *p, const char *n),                          (p, n),       AT_FDCWD, p, XATTR, 0, removexattr_placed(op, &at, obj, 1, n))
WRITES(int, -1, lremovexattr, (const char *p, const char *n),                          (p, n),       AT_FDCWD, p, COW_NAME, 0, removexattr_placed(op, &at, obj, 0, n))
TEMPS(int,    -1,   mkstemp,     (char *t),               0, 0, cow_temp_file, r)
TEMPS(int,    -1,   mkstemp64,   (char *t),               0, 0, cow_temp_file, r)
TEMPS(int,    -1,   mkostemp,    (char *t, int f),        0, f, cow_temp_file, r)
TEMPS(int,    -1,   mkostemp64,  (char *t, int f),        0, f, cow_temp_file, r)
TEMPS(int,    -1,   mkstemps,    (char *t, int n),        n, 0, cow_temp_file, r)
TEMPS(int,    -1,   mkstemps64,  (char *t, int n),        n, 0, cow_temp_file, r)
TEMPS(int,    -1,   mkostemps,   (char *t, int n, int f), n, f, cow_temp_file, r)
TEMPS(int,    -1,   mkostemps64, (char *t, int n, int f), n, f, cow_temp_file, r)
TEMPS(char *, NULL, mkdtemp,     (char *t),               0, 0, cow_temp_dir,  t)

FDS(fchmod,       (int fd, mode_t m),                                         (fd, m),          fd, META)
FDS(fchown,       (int fd, uid_t u, gid_t g),                                 (fd, u, g),       fd, cow_chown_how(u, g))
FDS(futimens,     (int fd, const struct timespec t[2]),                       (fd, t),          fd, cow_timespec_how(t))
FDS(futimes,      (int fd, const struct timeval t[2]),                        (fd, t),          fd, cow_timeval_how(t))
FDS(fsetxattr,    (int fd, const char *n, const void *v, size_t s, int f),    (fd, n, v, s, f), fd, XATTR)
FDS(fremovexattr, (int fd, const char *n),                                    (fd, n),          fd, XATTR)

VIEWS(stat,           (const char *p, struct stat *b),                            (p, b),          AT_FDCWD, p, 1, b->st_mode)
VIEWS(stat64,         (const char *p, struct stat64 *b),                          (p, b),          AT_FDCWD, p, 1, b->st_mode)
VIEWS(fstatat,        (int d, const char *p, struct stat *b, int f),              (d, p, b, f),    d, p, FOLLOWS(f), b->st_mode)
VIEWS(fstatat64,      (int d, const char *p, struct stat64 *b, int f),            (d, p, b, f),    d, p, FOLLOWS(f), b->st_mode)
VIEWS(statx,          (int d, const char *p, int f, unsigned m, struct statx *b), (d, p, f, m, b), d, p, FOLLOWS(f), b->stx_mode)
VIEWS(__xstat,        (int v, const char *p, struct stat *b),                     (v, p, b),       AT_FDCWD, p, 1, b->st_mode)
VIEWS(__xstat64,      (int v, const char *p, struct stat64 *b),                   (v, p, b),       AT_FDCWD, p, 1, b->st_mode)
VIEWS(__fxstatat,     (int v, int d, const char *p, struct stat *b, int f),       (v, d, p, b, f), d, p, FOLLOWS(f), b->st_mode)
VIEWS(__fxstatat64,   (int v, int d, const char *p, struct stat64 *b, int f),     (v, d, p, b, f), d, p, FOLLOWS(f), b->st_mode)

FSTATS(fstat,      (int fd, struct stat *b),          (fd, b),    fd, b)
FSTATS(fstat64,    (int fd, struct stat64 *b),        (fd, b),    fd, b)
FSTATS(__fxstat,   (int v, int fd, struct stat *b),   (v, fd, b), fd, b)
FSTATS(__fxstat64, (int v, int fd, struct stat64 *b), (v, fd, b), fd, b)

ACCESSES(access,      (const char *p, int m),               (p, m),       AT_FDCWD, p, m, 0)
ACCESSES(faccessat,   (int d, const char *p, int m, int f), (d, p, m, f), d, p, m, f)
ACCESSES(euidaccess,  (const char *p, int m),               (p, m),       AT_FDCWD, p, m, AT_EACCESS)
ACCESSES(eaccess,     (const char *p, int m),               (p, m),       AT_FDCWD, p, m, AT_EACCESS)

NAMES(rename,     (const char *o, const char *n),                              (o, n), AT_FDCWD, o, DROPS, AT_FDCWD, n, COW_NAME, sys_renameat2(D(at1), N(at1), D(at2), N(at2), 0))
NAMES(renameat,   (int od, const char *o, int nd, const char *n),              (od, o, nd, n), od, o, DROPS, nd, n, COW_NAME, sys_renameat2(D(at1), N(at1), D(at2), N(at2), 0))
NAMES(renameat2,  (int od, const char *o, int nd, const char *n, unsigned fl), (od, o, nd, n, fl), od, o, DROPS, nd, n, COW_NAME, sys_renameat2(D(at1), N(at1), D(at2), N(at2), fl))
NAMES(link,       (const char *o, const char *n),                              (o, n), AT_FDCWD, o, COW_NAME, AT_FDCWD, n, MAKES, sys_linkat(D(at1), N(at1), D(at2), N(at2), 0))
NAMES(linkat,     (int od, const char *o, int nd, const char *n, int f),       (od, o, nd, n, f), od, o, LINKS(f), nd, n, MAKES, sys_linkat(D(at1), N(at1), D(at2), N(at2), f))
NAMES(symlink,    (const char *t, const char *p),                              (t, p), AT_FDCWD, p, 0, AT_FDCWD, p, MAKES, sys_symlinkat(t, D(at2), N(at2)))
NAMES(symlinkat,  (const char *t, int d, const char *p),                       (t, d, p), d, p, 0, d, p, MAKES, sys_symlinkat(t, D(at2), N(at2)))
NAMES(mkdir,      (const char *p, mode_t m),                                   (p, m), AT_FDCWD, p, 0, AT_FDCWD, p, MAKES, sys_mkdirat(D(at2), N(at2), m))
NAMES(mkdirat,    (int d, const char *p, mode_t m),                            (d, p, m), d, p, 0, d, p, MAKES, sys_mkdirat(D(at2), N(at2), m))
NAMES(mknod,      (const char *p, mode_t m, dev_t v),                          (p, m, v), AT_FDCWD, p, 0, AT_FDCWD, p, MAKES, sys_mknodat(D(at2), N(at2), m, v))
NAMES(mknodat,    (int d, const char *p, mode_t m, dev_t v),                   (d, p, m, v), d, p, 0, d, p, MAKES, sys_mknodat(D(at2), N(at2), m, v))
NAMES(__xmknod,   (int x, const char *p, mode_t m, dev_t *v),                  (x, p, m, v), AT_FDCWD, p, 0, AT_FDCWD, p, MAKES, ((void)x, sys_mknodat(D(at2), N(at2), m, *v)))
NAMES(__xmknodat, (int x, int d, const char *p, mode_t m, dev_t *v),           (x, d, p, m, v), d, p, 0, d, p, MAKES, ((void)x, sys_mknodat(D(at2), N(at2), m, *v)))
NAMES(mkfifo,     (const char *p, mode_t m),                                   (p, m), AT_FDCWD, p, 0, AT_FDCWD, p, MAKES, sys_mknodat(D(at2), N(at2), (m & ~S_IFMT) | S_IFIFO, 0))
NAMES(mkfifoat,   (int d, const char *p, mode_t m),                            (d, p, m), d, p, 0, d, p, MAKES, sys_mknodat(D(at2), N(at2), (m & ~S_IFMT) | S_IFIFO, 0))
NAMES(unlink,     (const char *p),                                             (p), AT_FDCWD, p, 0, AT_FDCWD, p, DROPS, sys_unlinkat(D(at2), N(at2), 0))
NAMES(unlinkat,   (int d, const char *p, int f),                               (d, p, f), d, p, 0, d, p, DROPS, sys_unlinkat(D(at2), N(at2), f))
NAMES(remove,     (const char *p),                                             (p), AT_FDCWD, p, 0, AT_FDCWD, p, DROPS, remove_at(D(at2), N(at2)))
NAMES(rmdir,      (const char *p),                                             (p), AT_FDCWD, p, 0, AT_FDCWD, p, DROPS, sys_unlinkat(D(at2), N(at2), AT_REMOVEDIR))
EXECS(-1, execve,       (const char *p, char *const a[], char *const v[]),             execve,   (p, a, env), v)
EXECS(-1, execvpe,      (const char *p, char *const a[], char *const v[]),             execvpe,  (p, a, env), v)
EXECS(-1, fexecve,      (int fd, char *const a[], char *const v[]),                    fexecve,  (fd, a, env), v)
EXECS(-1, execveat,     (int d, const char *p, char *const a[], char *const v[], int f), execveat, (d, p, a, env, f), v)
EXECS(-1, execv,        (const char *p, char *const a[]),                              execve,   (p, a, env), environ)
EXECS(-1, execvp,       (const char *p, char *const a[]),                              execvpe,  (p, a, env), environ)
EXECLS(execl,  execve,  0)
EXECLS(execle, execve,  1)
EXECLS(execlp, execvpe, 0)
EXECS(ENOSYS, posix_spawn,  (pid_t *pid, const char *p, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at, char *const a[], char *const v[]), posix_spawn,  (pid, p, fa, at, a, env), v)
EXECS(ENOSYS, posix_spawnp, (pid_t *pid, const char *p, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at, char *const a[], char *const v[]), posix_spawnp, (pid, p, fa, at, a, env), v)
ADDOPENS(posix_spawn_file_actions_addopen)
HANDLES(open_by_handle_at)
/* clang-format on */
