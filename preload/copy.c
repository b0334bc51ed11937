/* How bytes are copied from a store file into a private file.
 *
 * Fastest first: a reflink shares the blocks (btrfs, xfs); copy_file_range
 * lets the kernel (or the filesystem) copy without a round trip through
 * user space; sendfile does the same on older kernels; read/write always
 * works.  A method that fails before copying anything is "unusable" and
 * the next one is tried; a failure after some progress is an error.
 */
#include <errno.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "cowlink.h"
#include "sys.h"

/* Per call: a copy stops between chunks for a signal the caller waits
   for (signals.c), so a chunk is what the caller may wait. */
#define CHUNK (8L << 20)

const char *const cow_method_name[COW_METHODS] = {
    "reflink", "copy_file_range", "sendfile", "read_write",
};

static int reflink(int in, int out, unsigned long long *bytes)
{
    struct stat st;

    if (syscall(SYS_ioctl, out, FICLONE, in) < 0)
        return COW_UNUSABLE;
    *bytes = sys_fstat(in, &st) == 0 ? (unsigned long long)st.st_size : 0;
    return 0;
}

/* Errors that mean "this method cannot be used for these two files". */
static int unusable(int err)
{
    return err == ENOSYS || err == EXDEV || err == EINVAL || err == EOPNOTSUPP ||
           err == EBADF || err == ETXTBSY;
}

#define ALL (~0ULL) /* no limit: up to end of file */

static unsigned long long at_most(unsigned long long want, unsigned long long left)
{
    return left < want ? left : want;
}

/* Drive a kernel-side copy call until end of file, or len bytes. */
static int kernel_loop(int method, int in, int out, unsigned long long len,
                       unsigned long long *bytes)
{
    long got;

    *bytes = 0;
    for (;;) {
        size_t want = (size_t)at_most(CHUNK, len - *bytes);
        if (want == 0)
            return 0;
        if (cow_signals_waiting())
            return EINTR;
        if (method == COW_COPY_RANGE)
            got = syscall(SYS_copy_file_range, in, NULL, out, NULL, want, 0);
        else
            got = syscall(SYS_sendfile, out, in, NULL, want);
        if (got > 0) {
            *bytes += (unsigned long long)got;
            continue;
        }
        if (got == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (*bytes == 0 && unusable(errno))
            return COW_UNUSABLE;
        return errno;
    }
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t put = sys_write(fd, buf, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return errno;
        buf += put;
        n -= (size_t)put;
    }
    return 0;
}

static int read_write(int in, int out, unsigned long long len, unsigned long long *bytes)
{
    char buf[16384];
    ssize_t got;
    int err;

    *bytes = 0;
    for (unsigned long chunks = 0;; chunks++) {
        size_t want = (size_t)at_most(sizeof buf, len - *bytes);
        if (want == 0)
            return 0;
        if (chunks % (CHUNK / sizeof buf) == 0 && cow_signals_waiting())
            return EINTR;
        got = sys_read(in, buf, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errno;
        if (got == 0)
            return 0;
        if ((err = write_all(out, buf, (size_t)got)))
            return err;
        *bytes += (unsigned long long)got;
    }
}

/* Copy len bytes (ALL: up to end of file) of in, from its current offset,
   to out with one method.  Returns 0, COW_UNUSABLE, or an errno. */
static int copy_by(int method, int in, int out, unsigned long long len,
                   unsigned long long *bytes)
{
    switch (method) {
    case COW_REFLINK:
        return reflink(in, out, bytes);
    case COW_COPY_RANGE:
    case COW_SENDFILE:
        return kernel_loop(method, in, out, len, bytes);
    default:
        return read_write(in, out, len, bytes);
    }
}

/* Copy all of in (from its current offset) to out with one method.
   Returns 0, COW_UNUSABLE, or an errno. */
int cow_copy_by(int method, int in, int out, unsigned long long *bytes)
{
    return copy_by(method, in, out, ALL, bytes);
}

/* A file with fewer blocks than its size has holes (or is compressed). */
static int sparse(int in, struct stat *st)
{
    return sys_fstat(in, st) == 0 && S_ISREG(st->st_mode) &&
           (unsigned long long)st->st_blocks * 512 < (unsigned long long)st->st_size;
}

/* Copy only the data of a sparse file, segment by segment (SEEK_DATA,
   SEEK_HOLE), leaving its holes as holes: cp keeps them, and a 512 MiB
   file with 8 KiB of data must not cost 512 MiB.  The first method that
   can copy the first segment copies them all. */
static int copy_sparse(int in, int out, const struct stat *st, int *method,
                       unsigned long long *bytes)
{
    unsigned long long got;
    off_t data = 0, hole;
    int err = 0;

    *bytes = 0;
    for (*method = COW_COPY_RANGE; *method < COW_METHODS;) {
        data = (off_t)syscall(SYS_lseek, in, data, SEEK_DATA);
        if (data < 0)
            break; /* ENXIO: no data past here */
        hole = (off_t)syscall(SYS_lseek, in, data, SEEK_HOLE);
        if (hole < 0 || syscall(SYS_lseek, in, data, SEEK_SET) < 0 ||
            syscall(SYS_lseek, out, data, SEEK_SET) < 0)
            return errno;
        err = copy_by(*method, in, out, (unsigned long long)(hole - data), &got);
        if (err == COW_UNUSABLE && *bytes == 0) {
            (*method)++;
            continue;
        }
        if (err)
            return err;
        *bytes += got;
        data = hole;
    }
    if (data < 0 && errno != ENXIO)
        return errno;
    if (*method == COW_METHODS)
        return COW_UNUSABLE;
    return syscall(SYS_ftruncate, out, st->st_size) < 0 ? errno : 0;
}

/* Copy with the fastest method that works; *method says which did. */
int cow_copy(int in, int out, int *method, unsigned long long *bytes)
{
    struct stat st;
    int err = COW_UNUSABLE;

    for (*method = 0; *method < COW_METHODS; (*method)++) {
        if (*method == COW_COPY_RANGE && sparse(in, &st))
            return copy_sparse(in, out, &st, method, bytes);
        err = cow_copy_by(*method, in, out, bytes);
        if (err != COW_UNUSABLE)
            return err;
    }
    return err;
}
