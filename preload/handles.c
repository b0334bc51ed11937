/* open_by_handle_at: a file named by its handle has no path, so no link
 * that could be made private: a write-mode open of a store file is
 * refused.  The handle names the file itself (its inode), so the file
 * looked at is the file the call opens.
 */
#include <fcntl.h>

#include "cowlink.h"
#include "sys.h"

int cow_before_handle(int mount_fd, struct file_handle *handle, int flags)
{
    int saved = errno, fd, err = 0;

    if (!((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) || (flags & O_PATH) ||
        !cow_enabled())
        return 0;
    /* The same handle, opened for nothing: a handle the kernel refuses
       (EPERM without CAP_DAC_READ_SEARCH, a stale one) fails the call the
       same way. */
    fd = (int)syscall(SYS_open_by_handle_at, mount_fd, handle, O_PATH | O_CLOEXEC);
    if (fd >= 0) {
        err = cow_before_fd("open_by_handle_at", fd, COW_WRITE);
        sys_close(fd);
    }
    errno = saved;
    return err;
}
