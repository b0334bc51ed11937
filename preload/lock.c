/* The lock that makes one materialization at a time per directory.
 *
 * An exclusive flock on the link's directory, taken through a descriptor
 * of our own: processes and threads alike wait for each other.  Two traps
 * come with it, because a flock belongs to the open file description:
 *  - fork copies the descriptor, and so the lock, into the child: a child
 *    that then writes a link in the same directory would wait for itself
 *    forever.  The child closes its copies of every descriptor we hold; no
 *    fork can fall between opening a descriptor and recording it.
 *  - a signal handler that writes another link of the same directory
 *    while its thread holds the lock would wait for itself.  The thread
 *    already excludes everyone else, so the handler goes on without it.
 */
#include <pthread.h>
#include <sys/file.h>

#include "cowlink.h"
#include "sys.h"

#define SLOTS 64 /* materializations in progress in one process */

static struct held {
    long tid; /* 0: free */
    int fd, locked;
    dev_t dev;
    ino_t ino;
} held[SLOTS];

/* >= 0: threads between opening a descriptor and recording it;
   -1: a fork is in progress. */
static int gate;

static void gate_enter(void)
{
    for (;;) {
        int g = __atomic_load_n(&gate, __ATOMIC_ACQUIRE);
        if (g >= 0 && __atomic_compare_exchange_n(&gate, &g, g + 1, 0, __ATOMIC_ACQ_REL,
                                                  __ATOMIC_ACQUIRE))
            return;
        syscall(SYS_sched_yield);
    }
}

static void gate_leave(void)
{
    __atomic_sub_fetch(&gate, 1, __ATOMIC_RELEASE);
}

/* Bounded, in case fork is called by a signal handler that interrupted
   its own thread inside the gate: then the window stays open, as before. */
static void before_fork(void)
{
    for (int tries = 0; tries < 100000; tries++) {
        int open_now = 0;
        if (__atomic_compare_exchange_n(&gate, &open_now, -1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return;
        syscall(SYS_sched_yield);
    }
}

static void after_fork_parent(void)
{
    int closed = -1;
    __atomic_compare_exchange_n(&gate, &closed, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void after_fork_child(void)
{
    for (int i = 0; i < SLOTS; i++)
        if (held[i].tid) {
            sys_close(held[i].fd);
            held[i].tid = 0;
        }
    after_fork_parent();
}

__attribute__((constructor)) static void watch_forks(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

static int claim(int fd)
{
    long tid = sys_gettid();

    for (int i = 0; i < SLOTS; i++) {
        long free_slot = 0;
        if (__atomic_compare_exchange_n(&held[i].tid, &free_slot, tid, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            held[i].fd = fd;
            held[i].locked = 0;
            return i;
        }
    }
    return -1; /* more in flight than we track: locked, not fork-proof */
}

/* Does this thread already hold the lock of this directory? */
static int nested(const struct stat *st)
{
    long tid = sys_gettid();

    for (int i = 0; i < SLOTS; i++)
        if (held[i].tid == tid && held[i].locked && held[i].dev == st->st_dev &&
            held[i].ino == st->st_ino)
            return 1;
    return 0;
}

/* Open the directory dir (relative to dirfd) and lock it.  Returns 0 or
   an errno; h->fd is the directory either way (or -1). */
int cow_dir_lock(int dirfd, const char *dir, struct cow_held *h)
{
    struct stat st;

    gate_enter();
    h->fd = sys_openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    h->slot = h->fd >= 0 ? claim(h->fd) : -1;
    gate_leave();
    if (h->fd < 0)
        return errno;
    if (sys_fstat(h->fd, &st) < 0)
        return errno;
    if (nested(&st))
        return 0;
    while (syscall(SYS_flock, h->fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return errno;
    if (h->slot >= 0) {
        held[h->slot].dev = st.st_dev;
        held[h->slot].ino = st.st_ino;
        __atomic_store_n(&held[h->slot].locked, 1, __ATOMIC_RELEASE);
    }
    return 0;
}

/* Closing the descriptor releases the lock. */
void cow_dir_unlock(struct cow_held *h)
{
    gate_enter(); /* a child must not close a number reused meanwhile */
    if (h->fd >= 0)
        sys_close(h->fd);
    if (h->slot >= 0) {
        held[h->slot].locked = 0;
        __atomic_store_n(&held[h->slot].tid, 0, __ATOMIC_RELEASE);
    }
    gate_leave();
    h->fd = h->slot = -1;
}
