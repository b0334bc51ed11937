/* The name each descriptor was opened by, read-only.
 *
 * A program that copies a file's mode from fstat of its descriptor (sed -i,
 * perl -pi, strip, objcopy) must see what stat of the link's name shows:
 * the store's mode with the owner write bit, since a write through the
 * link gets a private, writable file.  Every read-only open notes the name
 * it was given here: a copy, no system call, for the opens of every build.
 * Only an fstat that finds a read-only file on a store's device looks at
 * the name: is it a store link, still leading to that very file (device
 * and inode)?  A working directory changed since the open, or a directory
 * descriptor closed and reused, only makes the answer "no".
 *
 * A fixed table indexed by descriptor, no locks, no allocation: safe in
 * signal handlers, and a forked child inherits it with the descriptors it
 * describes.  Descriptors from SLOTS on, and names of NAME_KEPT bytes or
 * more, are not noted: they show the store's own mode.
 */
#include <string.h>

#include "cowlink.h"

#define SLOTS 1024

static struct {
    int dirfd;
    char name[COW_NAME_KEPT]; /* empty: nothing noted */
} slots[SLOTS];

void cow_view_note(int fd, int dirfd, const char *path)
{
    size_t len;

    if (fd < 0 || fd >= SLOTS)
        return;
    slots[fd].name[0] = 0;
    len = path ? strnlen(path, COW_NAME_KEPT) : COW_NAME_KEPT;
    if (len == 0 || len == COW_NAME_KEPT)
        return;
    slots[fd].dirfd = dirfd;
    memcpy(slots[fd].name, path, len + 1);
}

void cow_view_forget(int fd)
{
    if (fd >= 0 && fd < SLOTS)
        slots[fd].name[0] = 0;
}

/* The name fd was opened by, into name; 0 when none was noted.  Another
   thread may be noting a new one meanwhile: the caller checks that the
   name leads to fd's file. */
int cow_view_name(int fd, int *dirfd, char name[COW_NAME_KEPT])
{
    if (fd < 0 || fd >= SLOTS || !slots[fd].name[0])
        return 0;
    *dirfd = slots[fd].dirfd;
    memcpy(name, slots[fd].name, COW_NAME_KEPT);
    name[COW_NAME_KEPT - 1] = 0;
    return name[0] != 0;
}
