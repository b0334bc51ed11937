/* no-openat2 [--old-kernel] COMMAND [ARG...]: run COMMAND where openat2
 * answers ENOSYS, as on kernels before 5.6 and under seccomp profiles
 * that refuse it; with --old-kernel, fchmodat2 (Linux 6.6), setxattrat
 * and removexattrat (6.13) too.
 * The filter is inherited by every child.  tests/store/run.sh runs its
 * cases once more under it. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#define SYS_removexattrat 466
#endif
#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "no-openat2: unknown architecture"
#endif

int main(int argc, char **argv)
{
    int old = argc > 1 && !strcmp(argv[1], "--old-kernel");
    unsigned chmod2 = old ? SYS_fchmodat2 : SYS_openat2;
    unsigned set = old ? SYS_setxattrat : SYS_openat2;
    unsigned remove = old ? SYS_removexattrat : SYS_openat2;
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, chmod2, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, set, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, remove, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof *code, .filter = code};

    argc -= old;
    argv += old;
    if (argc < 2) {
        fputs("usage: no-openat2 [--old-kernel] COMMAND [ARG...]\n", stderr);
        return 2;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
        perror("no-openat2: seccomp");
        return 2;
    }
    execvp(argv[1], argv + 1);
    perror("no-openat2: exec");
    return 127;
}
