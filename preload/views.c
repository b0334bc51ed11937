/* Which descriptors were opened through a store link.
 *
 * A program that copies a file's mode from fstat of its descriptor (sed -i,
 * perl -pi, strip, objcopy) must see what stat of the link's name shows:
 * the store's mode with the owner write bit, since a write through the
 * link gets a private, writable file.  The open hooks remember such a
 * descriptor with its file's device and inode; fstat asks here.
 *
 * A fixed table, no locks, no allocation: safe in signal handlers, and a
 * forked child inherits it with the descriptors it describes.  An entry
 * only counts while the descriptor still holds the same file (device and
 * inode are compared), so a descriptor closed and reused for another file
 * never inherits the answer; the open hooks also forget the numbers they
 * hand out.  When the table is full the oldest-placed entry gives way: a
 * forgotten descriptor only shows the store's own mode again.
 */
#include "cowlink.h"

#define SLOTS 64

static struct {
    int fd1; /* descriptor + 1; 0: free.  Written last, read first and last */
    dev_t dev;
    ino_t ino;
} slots[SLOTS];
static int used; /* some slot was ever taken: the common case is 0 */
static unsigned next_slot;

void cow_view_forget(int fd)
{
    if (!__atomic_load_n(&used, __ATOMIC_RELAXED))
        return;
    for (int i = 0; i < SLOTS; i++)
        if (__atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE) == fd + 1)
            __atomic_store_n(&slots[i].fd1, 0, __ATOMIC_RELEASE);
}

void cow_view_remember(int fd, dev_t dev, ino_t ino)
{
    int i = -1, expected = 0;

    cow_view_forget(fd);
    for (int k = 0; k < SLOTS && i < 0; k++)
        if (__atomic_compare_exchange_n(&slots[k].fd1, &expected, -1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            i = k;
        else
            expected = 0;
    if (i < 0) { /* full: take one over */
        i = (int)(__atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED) % SLOTS);
        __atomic_store_n(&slots[i].fd1, -1, __ATOMIC_RELEASE);
    }
    slots[i].dev = dev;
    slots[i].ino = ino;
    __atomic_store_n(&slots[i].fd1, fd + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&used, 1, __ATOMIC_RELAXED);
}

/* Was fd, which now holds (dev, ino), opened through a store link? */
int cow_view_recorded(int fd, dev_t dev, ino_t ino)
{
    if (!__atomic_load_n(&used, __ATOMIC_RELAXED))
        return 0;
    for (int i = 0; i < SLOTS; i++) {
        if (__atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE) != fd + 1)
            continue;
        int same = slots[i].dev == dev && slots[i].ino == ino;
        if (__atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE) == fd + 1 && same)
            return 1;
    }
    return 0;
}
