/* Bad input to the intercepted calls: NULL and invalid pointers, empty and
 * over-long paths, AT_EMPTY_PATH, relative and bad dirfds, O_PATH,
 * O_TMPFILE, O_DIRECTORY, O_NOFOLLOW, symlink loops, non-UTF-8 names.
 * Prints "call result" per line (ok or the errno name); badinput.sh runs it
 * with and without the library and requires identical output.
 *   badinput DIR    (DIR holds store/f, and work/ with the links below) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* Invalid paths, hidden from the compiler (the prototypes say nonnull). */
static const char *volatile nothing = NULL;
static const char *volatile bad = (const char *)1; /* EFAULT from the kernel */
#define NUL (nothing)
#define BAD (bad)

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%-40s %s\n", what, strerrorname_np(errno));
    else
        printf("%-40s ok\n", what);
    fflush(stdout);
}

/* An open: show the result and close what it opened. */
static void shown(const char *what, int fd)
{
    show(what, fd);
    if (fd >= 0)
        close(fd);
}

static void paths(const char *long_ok, const char *too_long)
{
    struct stat st;
    struct statx sx;
    show("stat NULL", stat(NUL, &st));
    show("stat invalid pointer", stat(BAD, &st));
    show("stat empty", stat("", &st));
    show("stat near PATH_MAX", stat(long_ok, &st));
    show("stat beyond PATH_MAX", stat(too_long, &st));
    show("fstatat NULL", fstatat(AT_FDCWD, NUL, &st, 0));
    show("statx NULL", statx(AT_FDCWD, NUL, 0, STATX_BASIC_STATS, &sx));
    show("statx invalid pointer", statx(AT_FDCWD, BAD, 0, STATX_BASIC_STATS, &sx));
    show("access NULL", access(NUL, W_OK));
    show("access empty", access("", W_OK));
    show("access beyond PATH_MAX", access(too_long, W_OK));
    shown("open NULL write", open(NUL, O_WRONLY));
    shown("open invalid pointer write", open(BAD, O_WRONLY | O_CREAT, 0644));
    shown("open empty create", open("", O_WRONLY | O_CREAT, 0644));
    shown("open near PATH_MAX create", open(long_ok, O_WRONLY | O_CREAT, 0644));
    shown("open beyond PATH_MAX create", open(too_long, O_WRONLY | O_CREAT, 0644));
    show("truncate NULL", truncate(NUL, 0));
    show("truncate empty", truncate("", 0));
    show("truncate beyond PATH_MAX", truncate(too_long, 0));
    show("chmod NULL", chmod(NUL, 0644));
    show("chmod invalid pointer", chmod(BAD, 0644));
    show("utimes NULL", utimes(NUL, NULL));
    show("utimensat NULL path on AT_FDCWD", utimensat(AT_FDCWD, NUL, NULL, 0));
    show("unlink NULL", unlink(NUL));
    show("unlink empty", unlink(""));
    show("rename NULL", rename(NUL, "x"));
    show("rename invalid pointer", rename(BAD, "x"));
    FILE *f = fopen(NUL, "w");
    show("fopen NULL", f ? 0 : -1);
    if (f)
        fclose(f);
}

static void links(void)
{
    struct stat st;
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    shown("open link O_NOFOLLOW write", open("link", O_WRONLY | O_NOFOLLOW));
    shown("open link O_PATH", open("link", O_PATH));
    shown("open link O_PATH|O_NOFOLLOW", open("link", O_PATH | O_NOFOLLOW));
    shown("open link O_DIRECTORY", open("link", O_RDONLY | O_DIRECTORY));
    shown("open link O_CREAT|O_EXCL", open("link", O_WRONLY | O_CREAT | O_EXCL, 0644));
    shown("open . O_TMPFILE", open(".", O_TMPFILE | O_WRONLY, 0600));
    shown("open link O_TMPFILE", open("link", O_TMPFILE | O_WRONLY, 0600));
    shown("open loop write", open("loop1", O_WRONLY));
    shown("open loop create", open("loop1", O_WRONLY | O_CREAT, 0644));
    shown("open via loop dir", open("loop1/x", O_WRONLY | O_CREAT, 0644));
    show("truncate loop", truncate("loop1", 0));
    show("chmod loop", chmod("loop1", 0644));
    show("stat loop", stat("loop1", &st));
    show("access loop", access("loop1", W_OK));
    shown("openat relative new file", openat(dir, "made-by-openat", O_WRONLY | O_CREAT, 0644));
    shown("openat bad dirfd", openat(9999, "x", O_WRONLY | O_CREAT, 0644));
    shown("openat NULL", openat(dir, NUL, O_WRONLY));
    show("fstatat AT_EMPTY_PATH on dir", fstatat(dir, "", &st, AT_EMPTY_PATH));
    show("fstatat link AT_SYMLINK_NOFOLLOW", fstatat(dir, "link", &st, AT_SYMLINK_NOFOLLOW));
    show("faccessat bad dirfd", faccessat(9999, "link", W_OK, 0));
    show("utimensat AT_EMPTY_PATH-like NULL", utimensat(dir, NUL, NULL, 0));
    show("utimensat link nofollow", utimensat(dir, "link", NULL, AT_SYMLINK_NOFOLLOW));
    show("fchownat AT_EMPTY_PATH invalid pointer", fchownat(dir, BAD, (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH));
    show("fchownat AT_EMPTY_PATH on dir", fchownat(dir, "", (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH));
    show("linkat AT_EMPTY_PATH invalid pointer", linkat(dir, BAD, dir, "hard", AT_EMPTY_PATH));
    shown("open non-UTF-8 name create", open("caf\xe9-\xff", O_WRONLY | O_CREAT, 0644));
    shown("open non-UTF-8 dangling link", open("bad-\xff-link", O_WRONLY));
    show("stat non-UTF-8 name", stat("caf\xe9-\xff", &st));
    close(dir);
}

int main(int argc, char **argv)
{
    if (argc != 2 || chdir(argv[1]) != 0 || chdir("work") != 0) {
        fprintf(stderr, "usage: badinput DIR\n");
        return 2;
    }
    static char long_ok[PATH_MAX], too_long[PATH_MAX + 64];
    memset(long_ok, 'a', sizeof long_ok - 2);
    for (size_t i = 200; i < sizeof long_ok - 2; i += 200)
        long_ok[i] = '/'; /* components under NAME_MAX: ENOENT, not ENAMETOOLONG */
    memset(too_long, 'b', sizeof too_long - 1);
    paths(long_ok, too_long);
    links();
    return 0;
}
