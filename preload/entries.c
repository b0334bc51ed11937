/* Where the entry points are declared: every libc function cowlink
 * interposes is one line at the bottom of this file.  Each line names the
 * function, its parameters, and where its directory fd, path and flags
 * are; the template it uses says which policy of hooks.c applies.
 *
 * Nothing else is exported: the library is built with hidden visibility.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
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

/* Bind the oldest dlsym so that the library also loads on glibc < 2.34,
   where dlsym lives in libdl (the Makefile links it). */
#if defined(__x86_64__) && defined(__GLIBC__)
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
#elif defined(__aarch64__) && defined(__GLIBC__)
__asm__(".symver dlsym,dlsym@GLIBC_2.17");
#endif

#define PUBLIC __attribute__((visibility("default")))

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
    static void *next_##name;                                                 \
    PUBLIC ret name params

#define NEXT(name, fail)                                                      \
    __typeof__(&name) next = (__typeof__(&name))next_of(&next_##name, #name); \
    if (!next) {                                                              \
        errno = ENOSYS;                                                       \
        return fail;                                                          \
    }

#define FOLLOWS(flags) (!((flags) & AT_SYMLINK_NOFOLLOW))
#define META COW_WRITE | COW_META
#define TIMES(t) ((t) ? META : META | COW_TIMES_NOW)
#define CREATES (COW_WRITE | COW_TRUNC | COW_CREAT)

/* Writes through a path: materialize a store link first. */
#define WRITES(ret, fail, name, params, args, dirfd, path, how, mode)         \
    ENTRY(ret, name, params)                                                  \
    {                                                                         \
        NEXT(name, fail)                                                      \
        int err = cow_before_write(#name, dirfd, path, how, mode);            \
        if (err) {                                                            \
            errno = err;                                                      \
            return fail;                                                      \
        }                                                                     \
        return next args;                                                     \
    }

/* The open family, whose mode argument exists only with O_CREAT or
   O_TMPFILE.  A write-mode open first runs with O_NOFOLLOW added: that
   succeeds, at no extra cost, unless the last component is a symlink, and
   fails with ELOOP without touching anything when it is.  Only then do we
   classify the link.  The flags parameter must be named f. */
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
        int how = cow_open_how(f), asked = f, saved, r;                       \
        if (!how || !cow_enabled())                                           \
            return next args;                                                 \
        saved = errno;                                                        \
        f |= O_NOFOLLOW;                                                      \
        r = next args;                                                        \
        f = asked;                                                            \
        if (r >= 0 || errno != ELOOP)                                         \
            return r;                                                         \
        errno = saved;                                                        \
        int err = cow_before_write(#name, dirfd, path, how, mode);            \
        if (err) {                                                            \
            errno = err;                                                      \
            return -1;                                                        \
        }                                                                     \
        return next args;                                                     \
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

/* Renames onto and unlinks of a store link replace the link: they pass
   through and are recorded. */
#define OBSERVES(name, params, args, dirfd, path)                             \
    ENTRY(int, name, params)                                                  \
    {                                                                         \
        struct cow_seen seen;                                                 \
        NEXT(name, -1)                                                        \
        cow_observe_before(&seen, dirfd, path);                               \
        int r = next args;                                                    \
        cow_observe_after(&seen, #name, r);                                   \
        return r;                                                             \
    }

/* clang-format off */
OPENS(open,           (const char *p, int f, ...),           (p, f, mode),    AT_FDCWD, p)
OPENS(open64,         (const char *p, int f, ...),           (p, f, mode),    AT_FDCWD, p)
OPENS(openat,         (int d, const char *p, int f, ...),    (d, p, f, mode), d, p)
OPENS(openat64,       (int d, const char *p, int f, ...),    (d, p, f, mode), d, p)

WRITES(int, -1, __open_2,     (const char *p, int f),        (p, f),    AT_FDCWD, p, cow_open_how(f), 0)
WRITES(int, -1, __open64_2,   (const char *p, int f),        (p, f),    AT_FDCWD, p, cow_open_how(f), 0)
WRITES(int, -1, __openat_2,   (int d, const char *p, int f), (d, p, f), d, p, cow_open_how(f), 0)
WRITES(int, -1, __openat64_2, (int d, const char *p, int f), (d, p, f), d, p, cow_open_how(f), 0)
WRITES(int, -1, creat,        (const char *p, mode_t m),     (p, m),    AT_FDCWD, p, CREATES, m)
WRITES(int, -1, creat64,      (const char *p, mode_t m),     (p, m),    AT_FDCWD, p, CREATES, m)
WRITES(FILE *, NULL, fopen,     (const char *p, const char *m),          (p, m),    AT_FDCWD, p, cow_fopen_how(m), 0666)
WRITES(FILE *, NULL, fopen64,   (const char *p, const char *m),          (p, m),    AT_FDCWD, p, cow_fopen_how(m), 0666)
WRITES(FILE *, NULL, freopen,   (const char *p, const char *m, FILE *s), (p, m, s), AT_FDCWD, p, cow_fopen_how(m), 0666)
WRITES(FILE *, NULL, freopen64, (const char *p, const char *m, FILE *s), (p, m, s), AT_FDCWD, p, cow_fopen_how(m), 0666)
WRITES(int, -1, truncate,     (const char *p, off_t n),      (p, n), AT_FDCWD, p, n ? COW_WRITE : COW_WRITE | COW_TRUNC, 0)
WRITES(int, -1, truncate64,   (const char *p, off64_t n),    (p, n), AT_FDCWD, p, n ? COW_WRITE : COW_WRITE | COW_TRUNC, 0)
WRITES(int, -1, utime,        (const char *p, const struct utimbuf *t),                 (p, t),       AT_FDCWD, p, TIMES(t), 0)
WRITES(int, -1, utimes,       (const char *p, const struct timeval t[2]),                 (p, t),       AT_FDCWD, p, TIMES(t), 0)
WRITES(int, -1, futimesat,    (int d, const char *p, const struct timeval t[2]),          (d, p, t),    d, p, TIMES(t), 0)
WRITES(int, -1, utimensat,    (int d, const char *p, const struct timespec t[2], int f),  (d, p, t, f), d, p, FOLLOWS(f) ? TIMES(t) : 0, 0)
WRITES(int, -1, chmod,        (const char *p, mode_t m),                                (p, m),       AT_FDCWD, p, META, 0)
WRITES(int, -1, fchmodat,     (int d, const char *p, mode_t m, int f),                  (d, p, m, f), d, p, FOLLOWS(f) ? META : 0, 0)
WRITES(int, -1, chown,        (const char *p, uid_t u, gid_t g),                        (p, u, g),    AT_FDCWD, p, META, 0)
WRITES(int, -1, fchownat,     (int d, const char *p, uid_t u, gid_t g, int f),          (d, p, u, g, f), d, p, FOLLOWS(f) ? META : 0, 0)

VIEWS(stat,           (const char *p, struct stat *b),                            (p, b),          AT_FDCWD, p, 1, b->st_mode)
VIEWS(stat64,         (const char *p, struct stat64 *b),                          (p, b),          AT_FDCWD, p, 1, b->st_mode)
VIEWS(fstatat,        (int d, const char *p, struct stat *b, int f),              (d, p, b, f),    d, p, FOLLOWS(f), b->st_mode)
VIEWS(fstatat64,      (int d, const char *p, struct stat64 *b, int f),            (d, p, b, f),    d, p, FOLLOWS(f), b->st_mode)
VIEWS(statx,          (int d, const char *p, int f, unsigned m, struct statx *b), (d, p, f, m, b), d, p, FOLLOWS(f), b->stx_mode)
VIEWS(__xstat,        (int v, const char *p, struct stat *b),                     (v, p, b),       AT_FDCWD, p, 1, b->st_mode)
VIEWS(__xstat64,      (int v, const char *p, struct stat64 *b),                   (v, p, b),       AT_FDCWD, p, 1, b->st_mode)
VIEWS(__fxstatat,     (int v, int d, const char *p, struct stat *b, int f),       (v, d, p, b, f), d, p, FOLLOWS(f), b->st_mode)
VIEWS(__fxstatat64,   (int v, int d, const char *p, struct stat64 *b, int f),     (v, d, p, b, f), d, p, FOLLOWS(f), b->st_mode)

ACCESSES(access,      (const char *p, int m),               (p, m),       AT_FDCWD, p, m, 0)
ACCESSES(faccessat,   (int d, const char *p, int m, int f), (d, p, m, f), d, p, m, f)
ACCESSES(euidaccess,  (const char *p, int m),               (p, m),       AT_FDCWD, p, m, AT_EACCESS)
ACCESSES(eaccess,     (const char *p, int m),               (p, m),       AT_FDCWD, p, m, AT_EACCESS)

OBSERVES(rename,      (const char *o, const char *n),                            (o, n),            AT_FDCWD, n)
OBSERVES(renameat,    (int od, const char *o, int nd, const char *n),            (od, o, nd, n),    nd, n)
OBSERVES(renameat2,   (int od, const char *o, int nd, const char *n, unsigned fl), (od, o, nd, n, fl), nd, n)
OBSERVES(unlink,      (const char *p),                                           (p),               AT_FDCWD, p)
OBSERVES(unlinkat,    (int d, const char *p, int f),                             (d, p, f),         d, p)
OBSERVES(remove,      (const char *p),                                           (p),               AT_FDCWD, p)
/* clang-format on */
