/* How a path is classified: is it a link into a store?
 *
 * The first question, "is the last component a symlink?", costs one
 * readlinkat: that is all a call on an ordinary file pays.  Only for a
 * symlink do we resolve the whole chain, component by component as the
 * kernel would, and compare the canonical result with the store
 * directories.  Everything here uses raw system calls.
 */
#include <string.h>

#include "cowlink.h"
#include "sys.h"

#define MAX_HOPS 40 /* the kernel's own limit on symlinks in one lookup */

/* Drop the last component of the canonical prefix out[0..*len). */
static void pop(char *out, size_t *len)
{
    while (*len > 0 && out[*len - 1] != '/')
        (*len)--;
    if (*len > 0)
        (*len)--;
}

/* rest = link text followed by what was still left to resolve (after,
   which points into rest itself). */
static int follow_link_text(char *rest, const char *link, size_t link_len, const char *after)
{
    size_t after_len = strlen(after);

    if (link_len + after_len >= PATH_MAX)
        return ENAMETOOLONG;
    memmove(rest + link_len, after, after_len + 1);
    memcpy(rest, link, link_len);
    return 0;
}

/* Canonicalize an absolute path, following every symlink.  The last
   component may be missing (then *missing is set): a dangling link still
   has a well-defined target.  Returns 0 or an errno. */
int cow_resolve(const char *abs_path, char out[PATH_MAX], int *missing)
{
    char rest[PATH_MAX], link[PATH_MAX];
    const char *p = rest, *end;
    size_t len = 0, n;
    int hops = 0;
    long got;

    *missing = 0;
    if (abs_path[0] != '/')
        return EINVAL;
    if (strlen(abs_path) >= PATH_MAX)
        return ENAMETOOLONG;
    strcpy(rest, abs_path);
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        for (end = p; *end && *end != '/'; end++)
            ;
        n = (size_t)(end - p);
        if (n == 1 && p[0] == '.') {
            p = end;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            pop(out, &len);
            p = end;
            continue;
        }
        if (len + 1 + n >= PATH_MAX)
            return ENAMETOOLONG;
        out[len++] = '/';
        memcpy(out + len, p, n);
        len += n;
        out[len] = 0;
        got = sys_readlinkat(AT_FDCWD, out, link, sizeof link);
        if (got >= 0) {
            if (++hops > MAX_HOPS)
                return ELOOP;
            if ((size_t)got >= sizeof link)
                return ENAMETOOLONG;
            pop(out, &len);
            if (link[0] == '/')
                len = 0;
            if (follow_link_text(rest, link, (size_t)got, end))
                return ENAMETOOLONG;
            p = rest;
            continue;
        }
        if (errno == ENOENT && !end[strspn(end, "/")]) {
            *missing = 1;
            break;
        }
        if (errno != EINVAL)
            return errno;
        p = end;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = 0;
    return 0;
}

/* The absolute path of a directory fd (AT_FDCWD: the working directory). */
int cow_dir_path(int dirfd, char out[PATH_MAX])
{
    char proc[40] = "/proc/self/fd/", num[24];
    long got;

    if (dirfd == AT_FDCWD)
        return syscall(SYS_getcwd, out, PATH_MAX) < 0 ? errno : 0;
    strcat(proc, cow_num(num, (unsigned long long)dirfd));
    got = sys_readlinkat(AT_FDCWD, proc, out, PATH_MAX);
    if (got < 0)
        return errno;
    if (got >= PATH_MAX || out[0] != '/')
        return ENAMETOOLONG;
    out[got] = 0;
    return 0;
}

/* (dirfd, path) as an absolute path, without resolving anything. */
int cow_abs_path(int dirfd, const char *path, char out[PATH_MAX])
{
    size_t len = 0, n = strlen(path);

    if (path[0] != '/') {
        if (cow_dir_path(dirfd, out))
            return -1;
        len = strlen(out);
        if (out[len - 1] != '/')
            out[len++] = '/';
    }
    if (len + n >= PATH_MAX)
        return -1;
    memcpy(out + len, path, n + 1);
    return 0;
}

/* The absolute path a link's text means: relative text is relative to the
   directory that holds the link. */
static int link_start(int dirfd, const char *path, const char *text, size_t text_len,
                      char out[PATH_MAX])
{
    size_t len = 0;

    if (text[0] != '/') {
        if (cow_abs_path(dirfd, path, out))
            return -1;
        len = (size_t)(strrchr(out, '/') - out) + 1;
    }
    if (len + text_len >= PATH_MAX)
        return -1;
    memcpy(out + len, text, text_len);
    out[len + text_len] = 0;
    return 0;
}

/* Is (dirfd, path) a store link?  Returns 1 and fills *link if so. */
int cow_classify(int dirfd, const char *path, struct cow_link *link)
{
    char text[PATH_MAX], start[PATH_MAX];
    long got;

    if (!path)
        return 0;
    /* The kernel reads the caller's pointer: a bad one gives EFAULT here
       instead of a crash, and a good one is a proven string afterwards. */
    got = sys_readlinkat(dirfd, path, text, sizeof text);
    if (got <= 0 || got >= (long)sizeof text)
        return 0;
    if (link_start(dirfd, path, text, (size_t)got, start))
        return 0;
    if (cow_resolve(start, link->target, &link->missing))
        return 0;
    return cow_in_store(link->target);
}
