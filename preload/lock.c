/* The lock that makes one materialization at a time per directory.
 *
 * An exclusive flock on the link's directory, taken through a descriptor
 * of our own: processes and threads alike wait for each other.  The traps
 * come with it, because a flock belongs to the open file description, and
 * a child gets copies of our descriptors:
 *  - fork copies the descriptor, and so the lock, into the child: a child
 *    that then writes a link in the same directory would wait for itself
 *    forever.  The child closes its copies of every descriptor we hold; no
 *    fork can fall between opening a descriptor and recording it (the
 *    gate below).
 *  - _Fork (glibc 2.34) and raw clones run no atfork handler: their child
 *    keeps copies it knows nothing of.  So the lock is let go with LOCK_UN,
 *    which frees the description whoever else holds a copy, before the
 *    descriptor is closed; and everything recorded here carries the pid of
 *    its process, so that a child takes what its parent left for stale.
 *  - a signal handler that ran while its thread holds the lock could jump
 *    out and leave it taken, or start a program writing the same
 *    directory and wait for it: so asynchronous signals are held off from
 *    before the lock to after its release (materialize.c, signals.c).  A
 *    synchronous one (a fault) cannot be held off; should its handler
 *    write another link of the same directory, the thread already
 *    excludes everyone else, so the handler goes on without the lock.
 *    A handler that writes while its own thread is inside fork (the gate
 *    shut by that very thread) goes through the gate likewise: the fork
 *    cannot go on before the handler returns.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/file.h>

#include "cowlink.h"
#include "sys.h"

#define SLOTS 64 /* materializations in progress in one process */

/* A process and one of its threads in one word: what a slot is owned by. */
static uint64_t who(long pid, long tid)
{
    return (uint64_t)(uint32_t)pid << 32 | (uint32_t)tid;
}

static long pid_of(uint64_t w)
{
    return (long)(w >> 32);
}

static struct held {
    uint64_t owner; /* who(pid, tid); 0, or another process's: free */
    int fd, locked;
    dev_t dev;
    ino_t ino;
} held[SLOTS];

/* The gate: the pid of the process it belongs to (high half) and its
   state (low half, signed): >= 0, threads between opening a descriptor
   and recording it (or forgetting and closing one); < 0, the thread whose
   tid is minus that is forking.  Another process's gate is open: a child
   has none of its parent's threads. */
static uint64_t gate;

static uint64_t gate_word(long pid, int32_t state)
{
    return (uint64_t)(uint32_t)pid << 32 | (uint32_t)state;
}

static int32_t gate_state(uint64_t g)
{
    return (int32_t)(uint32_t)g;
}

static int gate_swap(uint64_t *expected, uint64_t desired)
{
    return __atomic_compare_exchange_n(&gate, expected, desired, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* Returns 1 when the thread was counted in (gate_leave counts it out), 0
   when it goes on uncounted: a signal handler of the forking thread. */
static int gate_enter(long pid, long tid)
{
    for (;;) {
        uint64_t g = __atomic_load_n(&gate, __ATOMIC_ACQUIRE);
        int32_t state = gate_state(g);

        if (pid_of(g) != pid)
            gate_swap(&g, gate_word(pid, 0)); /* the parent's: forget it */
        else if (state >= 0) {
            if (gate_swap(&g, gate_word(pid, state + 1)))
                return 1;
        } else if (state == -(int32_t)tid)
            return 0;
        else
            syscall(SYS_sched_yield);
    }
}

static void gate_leave(int counted)
{
    if (counted)
        __atomic_sub_fetch(&gate, 1, __ATOMIC_RELEASE);
}

/* Bounded, in case fork is called by a signal handler that interrupted
   its own thread inside the gate: then the window stays open, as before. */
static void before_fork(void)
{
    long pid = syscall(SYS_getpid), tid = sys_gettid();

    for (int tries = 0; tries < 100000; tries++) {
        uint64_t g = __atomic_load_n(&gate, __ATOMIC_ACQUIRE);

        if ((pid_of(g) != pid || gate_state(g) == 0) &&
            gate_swap(&g, gate_word(pid, -(int32_t)tid)))
            return;
        syscall(SYS_sched_yield);
    }
}

static void after_fork_parent(void)
{
    uint64_t shut = gate_word(syscall(SYS_getpid), -(int32_t)sys_gettid());

    gate_swap(&shut, gate_word(pid_of(shut), 0));
}

/* The gate was shut while the parent forked: every descriptor recorded
   is one the child has a copy of, and no other. */
static void after_fork_child(void)
{
    long pid = syscall(SYS_getpid);

    for (int i = 0; i < SLOTS; i++)
        if (held[i].owner && pid_of(held[i].owner) != pid) {
            if (held[i].fd >= 0)
                sys_close(held[i].fd);
            held[i].owner = 0;
        }
    __atomic_store_n(&gate, gate_word(pid, 0), __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void watch_forks(void)
{
    int saved = errno;

    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    errno = saved;
}

/* A slot for this thread: a free one, or one another process (the parent
   of a child made by _Fork) left. */
static int claim(long pid, long tid)
{
    for (int i = 0; i < SLOTS; i++) {
        uint64_t seen = __atomic_load_n(&held[i].owner, __ATOMIC_ACQUIRE);

        if ((seen == 0 || pid_of(seen) != pid) &&
            __atomic_compare_exchange_n(&held[i].owner, &seen, who(pid, tid), 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            held[i].fd = -1;
            held[i].locked = 0;
            return i;
        }
    }
    return -1; /* more in flight than we track: locked, not fork-proof */
}

/* Does this thread already hold the lock of this directory? */
static int nested(long pid, long tid, const struct stat *st)
{
    for (int i = 0; i < SLOTS; i++)
        if (held[i].owner == who(pid, tid) && held[i].locked && held[i].dev == st->st_dev &&
            held[i].ino == st->st_ino)
            return 1;
    return 0;
}

/* Open the directory dir (relative to dirfd) and lock it.  Returns 0 or
   an errno; h->fd is the directory either way (or -1). */
int cow_dir_lock(int dirfd, const char *dir, struct cow_held *h)
{
    long pid = syscall(SYS_getpid), tid = sys_gettid();
    struct stat st;
    int counted;

    h->pid = pid;
    h->locked = 0;
    counted = gate_enter(pid, tid);
    h->slot = claim(pid, tid);
    h->fd = sys_openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (h->slot >= 0) {
        held[h->slot].fd = h->fd;
        if (h->fd < 0)
            __atomic_store_n(&held[h->slot].owner, 0, __ATOMIC_RELEASE);
    }
    gate_leave(counted);
    if (h->fd < 0)
        return h->slot = -1, errno;
    if (sys_fstat(h->fd, &st) < 0)
        return errno;
    if (nested(pid, tid, &st))
        return 0;
    while (syscall(SYS_flock, h->fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return errno;
    h->locked = 1;
    if (h->slot >= 0) {
        held[h->slot].dev = st.st_dev;
        held[h->slot].ino = st.st_ino;
        __atomic_store_n(&held[h->slot].locked, 1, __ATOMIC_RELEASE);
    }
    return 0;
}

/* LOCK_UN first: a child made without atfork handlers may hold a copy of
   the descriptor, which would keep the lock after our close.  A child
   that goes on with a lock its parent took (a _Fork in a signal handler)
   only closes its own copy: the lock, and the slot, are the parent's. */
void cow_dir_unlock(struct cow_held *h)
{
    long pid = syscall(SYS_getpid);
    int counted;

    if (pid != h->pid) {
        if (h->fd >= 0)
            sys_close(h->fd);
        h->fd = h->slot = -1;
        return;
    }
    if (h->locked)
        syscall(SYS_flock, h->fd, LOCK_UN);
    counted = gate_enter(pid, sys_gettid()); /* a child must not close a number reused meanwhile */
    if (h->slot >= 0) {
        held[h->slot].locked = 0;
        held[h->slot].fd = -1;
    }
    if (h->fd >= 0)
        sys_close(h->fd);
    if (h->slot >= 0)
        __atomic_store_n(&held[h->slot].owner, 0, __ATOMIC_RELEASE);
    gate_leave(counted);
    h->fd = h->slot = -1;
    h->locked = 0;
}
