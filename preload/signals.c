/* Asynchronous signals held off while cowlink holds something a signal
 * handler could abandon or wait on: the directory lock of a
 * materialization, the first reading of the mount table.  A handler that
 * jumps out (siglongjmp) would leave the lock taken or the table "being
 * read" forever; one that forks a program writing the same directory and
 * waits for it would wait for itself.  So the handler runs after the
 * release, when the caller's mask is given back.
 *
 * Raw rt_sigprocmask: glibc's wrapper would refuse to block its own
 * internal signals (cancellation, setxid), which a handler-free section
 * delays as well.  Synchronous signals (a fault in our own code, seccomp's
 * SIGSYS) stay deliverable: blocking them would not stop them anyway.
 *
 * A long copy is held open to the caller's signals between chunks: when
 * one the caller left unblocked is pending, the copy stops (EINTR), the
 * materialization drops its temporary file, leaves the link as it was
 * and unlocks, the handler runs, and the write is tried again.
 */
#include <signal.h>

#include "cowlink.h"
#include "sys.h"

#define BIT(sig) (1ULL << ((sig) - 1))
#define SYNCHRONOUS (BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP) | BIT(SIGSYS))

/* The caller's mask while this thread holds signals off and lets a copy
   stop for them; NULL otherwise. */
static __thread __attribute__((tls_model("initial-exec"))) const unsigned long long *stoppable;

void cow_signals_hold(struct cow_signals *s, int stop_for_them)
{
    unsigned long long all = ~SYNCHRONOUS;

    s->outer = stoppable;
    s->saved = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &s->saved, sizeof all);
    stoppable = stop_for_them ? &s->saved : NULL;
}

void cow_signals_release(struct cow_signals *s)
{
    stoppable = s->outer;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &s->saved, NULL, sizeof s->saved);
}

/* Should a long copy stop here?  A signal the caller left unblocked is
   pending, and its handler waits for us. */
int cow_signals_waiting(void)
{
    unsigned long long pending = 0;

    if (!stoppable)
        return 0;
    syscall(SYS_rt_sigpending, &pending, sizeof pending);
    return (pending & ~*stoppable & ~SYNCHRONOUS) != 0;
}
