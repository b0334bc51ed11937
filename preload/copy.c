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

#define CHUNK 0x40000000L /* per call; the kernel caps it anyway */

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

/* Drive a kernel-side copy call until end of file. */
static int kernel_loop(int method, int in, int out, unsigned long long *bytes)
{
    long got;

    *bytes = 0;
    for (;;) {
        if (method == COW_COPY_RANGE)
            got = syscall(SYS_copy_file_range, in, NULL, out, NULL, CHUNK, 0);
        else
            got = syscall(SYS_sendfile, out, in, NULL, CHUNK);
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

static int read_write(int in, int out, unsigned long long *bytes)
{
    char buf[16384];
    ssize_t got;
    int err;

    *bytes = 0;
    for (;;) {
        got = sys_read(in, buf, sizeof buf);
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

/* Copy all of in (from its current offset) to out with one method.
   Returns 0, COW_UNUSABLE, or an errno. */
int cow_copy_by(int method, int in, int out, unsigned long long *bytes)
{
    switch (method) {
    case COW_REFLINK:
        return reflink(in, out, bytes);
    case COW_COPY_RANGE:
    case COW_SENDFILE:
        return kernel_loop(method, in, out, bytes);
    default:
        return read_write(in, out, bytes);
    }
}

/* Copy with the fastest method that works; *method says which did. */
int cow_copy(int in, int out, int *method, unsigned long long *bytes)
{
    int err = COW_UNUSABLE;

    for (*method = 0; *method < COW_METHODS; (*method)++) {
        err = cow_copy_by(*method, in, out, bytes);
        if (err != COW_UNUSABLE)
            return err;
    }
    return err;
}
