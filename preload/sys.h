/* Raw system calls.
 *
 * cowlink's own file operations go straight to the kernel: calling open()
 * or stat() by name from inside the library would re-enter the interposer
 * (or whatever else is preloaded).  These set errno like libc does; the
 * hooks restore the caller's errno before returning.
 */
#ifndef COWLINK_SYS_H
#define COWLINK_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static inline int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

static inline int sys_close(int fd)
{
    return (int)syscall(SYS_close, fd);
}

static inline long sys_readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
    return syscall(SYS_readlinkat, dirfd, path, buf, size);
}

static inline int sys_fstat(int fd, struct stat *st)
{
    return (int)syscall(SYS_fstat, fd, st);
}

static inline int sys_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return (int)syscall(SYS_newfstatat, dirfd, path, st, flags);
}

/* faccessat2 honours AT_EACCESS; kernels before 5.8 only have faccessat. */
static inline int sys_faccessat(int dirfd, const char *path, int mode, int flags)
{
    int r = (int)syscall(SYS_faccessat2, dirfd, path, mode, flags);
    if (r < 0 && errno == ENOSYS)
        r = (int)syscall(SYS_faccessat, dirfd, path, mode);
    return r;
}

/* The kernel's O_LARGEFILE, which open() adds on 64-bit systems and
   openat2 does not (a file over 2 GiB would fail with EOVERFLOW).  0 where
   not known here: such an open is then placed and made by openat. */
#if __SIZEOF_LONG__ == 8 && (defined(__x86_64__) || defined(__riscv))
#define KERNEL_O_LARGEFILE 0100000
#elif __SIZEOF_LONG__ == 8 && defined(__aarch64__)
#define KERNEL_O_LARGEFILE 0400000
#else
#define KERNEL_O_LARGEFILE 0
#endif

/* open(dirfd, path, flags, mode) as openat2 (Linux 5.6) with
   RESOLVE_NO_SYMLINKS: ELOOP if any component of the path, the last one
   included when following, is a symlink; EINVAL for flags or a mode
   open() ignores.  The mode counts only with O_CREAT or O_TMPFILE, as for
   open.  ENOSYS once is ENOSYS from then on, without asking again. */
static inline int sys_open_resolved(int dirfd, const char *path, int flags, mode_t mode)
{
    static int missing;
    int creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE, r;
    /* O_PATH takes no other flags from openat2 but O_CLOEXEC, O_DIRECTORY
       and O_NOFOLLOW */
    int large = (flags & O_PATH) ? 0 : KERNEL_O_LARGEFILE;
    struct open_how how = {.flags = (unsigned long long)(flags | large),
                           .mode = creates ? mode & 07777 : 0,
                           .resolve = RESOLVE_NO_SYMLINKS};

    if (__atomic_load_n(&missing, __ATOMIC_RELAXED))
        return errno = ENOSYS, -1;
    r = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (r < 0 && errno == ENOSYS)
        __atomic_store_n(&missing, 1, __ATOMIC_RELAXED);
    return r;
}

/* A directory (O_PATH) opened so. */
static inline int sys_open_no_symlinks(int dirfd, const char *path, int flags)
{
    return sys_open_resolved(dirfd, path, flags, 0);
}

/* statx (Linux 4.11) into the kernel's own layout, which has the mount
   id (STATX_MNT_ID, 5.8: in mask only when the kernel filled it) that
   older C libraries' struct statx leaves out. */
struct cow_stat {
    unsigned mask, blksize;
    unsigned long long attributes;
    unsigned nlink, uid, gid;
    unsigned short mode, spare0;
    unsigned long long ino, size, blocks, attributes_mask;
    struct { long long sec; unsigned nsec; int spare; } times[4];
    unsigned rdev_major, rdev_minor, dev_major, dev_minor;
    unsigned long long mnt_id;
    unsigned long long spare[13];
};
#define COW_STAT_WANT (STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID)

static inline int sys_statx(int dirfd, const char *path, int flags, struct cow_stat *sx)
{
    unsigned mask = COW_STAT_WANT;
    return (int)syscall(SYS_statx, dirfd, path, flags | AT_STATX_SYNC_AS_STAT, mask, sx);
}

static inline int sys_renameat2(int olddir, const char *old, int newdir, const char *new_,
                                unsigned flags)
{
    return (int)syscall(SYS_renameat2, olddir, old, newdir, new_, flags);
}

static inline long sys_gettid(void)
{
    return syscall(SYS_gettid);
}

static inline int sys_renameat(int olddir, const char *old, int newdir, const char *new_)
{
    return (int)syscall(SYS_renameat, olddir, old, newdir, new_);
}

static inline int sys_mkdirat(int dirfd, const char *path, mode_t mode)
{
    return (int)syscall(SYS_mkdirat, dirfd, path, mode);
}

static inline int sys_mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
    return (int)syscall(SYS_mknodat, dirfd, path, mode, dev);
}

static inline int sys_symlinkat(const char *target, int dirfd, const char *path)
{
    return (int)syscall(SYS_symlinkat, target, dirfd, path);
}

static inline int sys_linkat(int olddir, const char *old, int newdir, const char *new_, int flags)
{
    return (int)syscall(SYS_linkat, olddir, old, newdir, new_, flags);
}

static inline int sys_unlinkat(int dirfd, const char *path, int flags)
{
    return (int)syscall(SYS_unlinkat, dirfd, path, flags);
}

/* The object open as fd (O_PATH too) re-moded, re-owned, re-timed: the
   AT_EMPTY_PATH forms.  fchmodat2 is Linux 6.6 (ENOSYS before), utimensat
   takes AT_EMPTY_PATH from 5.8 (EINVAL before). */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
static inline int sys_chmod_fd(int fd, mode_t mode)
{
    return (int)syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH);
}

static inline int sys_chown_fd(int fd, uid_t uid, gid_t gid)
{
    return (int)syscall(SYS_fchownat, fd, "", uid, gid, AT_EMPTY_PATH);
}

static inline int sys_utimens_fd(int fd, const struct timespec t[2])
{
    return (int)syscall(SYS_utimensat, fd, "", t, AT_EMPTY_PATH);
}

/* The extended attribute calls on a name in a directory open as dirfd
   (Linux 6.13, ENOSYS before); AT_SYMLINK_NOFOLLOW acts on a link
   itself.  With AT_EMPTY_PATH they take no O_PATH descriptor (EBADF). */
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif
struct cow_xattr_args {
    unsigned long long value;
    unsigned size, flags;
};
static inline int sys_setxattrat(int dirfd, const char *path, int at_flags, const char *name,
                                 const void *value, size_t size, int flags)
{
    /* a size past 32 bits stays too big: the kernel's E2BIG */
    struct cow_xattr_args args = {.value = (unsigned long long)(unsigned long)value,
                                  .size = size > 0xffffffffu ? 0xffffffffu : (unsigned)size,
                                  .flags = (unsigned)flags};
    return (int)syscall(SYS_setxattrat, dirfd, path, at_flags, name, &args, sizeof args);
}

static inline int sys_removexattrat(int dirfd, const char *path, int at_flags, const char *name)
{
    return (int)syscall(SYS_removexattrat, dirfd, path, at_flags, name);
}

static inline ssize_t sys_write(int fd, const void *buf, size_t n)
{
    return syscall(SYS_write, fd, buf, n);
}

static inline ssize_t sys_read(int fd, void *buf, size_t n)
{
    return syscall(SYS_read, fd, buf, n);
}

static inline ssize_t sys_getrandom(void *buf, size_t n, unsigned flags)
{
    return syscall(SYS_getrandom, buf, n, flags);
}

static inline int sys_clock_gettime(clockid_t clock, struct timespec *ts)
{
    return (int)syscall(SYS_clock_gettime, clock, ts);
}

#endif
