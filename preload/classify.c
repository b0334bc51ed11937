/* Where a symlink leads: is a name whose last component is a link a link
 * into a store?
 *
 * Asked by the stat views, and by a write whose last component place.c
 * found to be a link (the directory that holds the link is placed there,
 * by descriptor).  The chain is resolved component by component as the
 * kernel would, and the canonical result compared with the store
 * directories; a chain it cannot resolve is COW_UNKNOWN, refused.
 * Everything here uses raw system calls.
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

/* Collapse "//", "/./" and "/.." without looking at the file system. */
void cow_lexical(const char *in, char out[PATH_MAX])
{
    size_t len = 0, n;
    const char *p = in, *end;

    while (*p) {
        while (*p == '/')
            p++;
        for (end = p; *end && *end != '/'; end++)
            ;
        n = (size_t)(end - p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            pop(out, &len);
        else if (n && !(n == 1 && p[0] == '.')) {
            out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p = end;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = 0;
}

/* Was the store entry `target` named directly, by a path that starts with
   a store directory and follows no symlink after it?  A Nix builder writes
   its own output that way ($out is inside the store): that is the caller's
   business, not a link's. */
static int named_directly(const char *abs, const char *target)
{
    char lex[PATH_MAX], want[PATH_MAX];
    const char *prefix, *canon;
    size_t len;

    cow_lexical(abs, lex);
    for (int i = 0; (canon = cow_store_prefix(i, 1)); i++)
        for (int c = 0; c < 2; c++) {
            prefix = cow_store_prefix(i, c);
            len = strlen(prefix);
            if (strncmp(lex, prefix, len - 1) || (lex[len - 1] && lex[len - 1] != '/'))
                continue;
            if (strlen(canon) + strlen(lex + len - 1) >= PATH_MAX)
                continue;
            strcpy(want, canon);
            strcpy(want + strlen(want) - 1, lex + len - 1);
            if (strcmp(want, target) == 0)
                return 1;
        }
    return 0;
}

static int joined(char out[PATH_MAX], const char *dir, const char *name, size_t name_len)
{
    size_t len = strlen(dir);

    if (len + 1 + name_len >= PATH_MAX)
        return -1;
    memmove(out, dir, len);
    if (len == 0 || out[len - 1] != '/')
        out[len++] = '/';
    memcpy(out + len, name, name_len);
    out[len + name_len] = 0;
    return 0;
}

/* An error of cowlink's own resolution is never proof, by itself, that
   the call fails: that walk starts from "/", and a working directory (or
   a directory descriptor) below a directory the caller cannot search makes
   it fail where the kernel, which starts from the caller's directory,
   succeeds.  It is proof only when the kernel's own lookup of the caller's
   path (dirfd, path) fails on the way too; otherwise the path is refused,
   never passed. */
static int fails_anyway(int dirfd, const char *path, int follow)
{
    int fd = sys_openat(dirfd, path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), 0);

    if (fd >= 0) {
        sys_close(fd);
        return 0;
    }
    return errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ENAMETOOLONG ||
           errno == ELOOP;
}

/* What a path is after an error of our resolution (see fails_anyway). */
static int after_error(int err, int dirfd, const char *path, int follow)
{
    if (err == ENAMETOOLONG || !fails_anyway(dirfd, path, follow))
        return COW_UNKNOWN;
    return COW_PLAIN;
}

/* The directory part of a caller's path, as the caller names it. */
static void dir_part(const char *path, char out[PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 0;

    if (!slash || len >= PATH_MAX) {
        strcpy(out, ".");
        return;
    }
    memcpy(out, path, len);
    out[len] = 0;
}

/* A store entry named directly: refused unless it is one of the build's
   outputs (cow_in_store leaves them out). */
static int direct_kind(void)
{
    return COW_STORE;
}

/* The store entry a path names as a whole (a directory, a trailing slash,
   "." or ".."): inside a store when reached through a symlink. */
static int whole(int dirfd, const char *path, const char *abs, struct cow_link *link)
{
    int err = cow_resolve(abs, link->target, &link->missing);

    if (err)
        return after_error(err, dirfd, path, 1);
    if (!cow_in_store(link->target))
        return COW_PLAIN;
    return named_directly(abs, link->target) ? direct_kind() : COW_INSIDE;
}

/* What (dirfd, path) is to cowlink: enum cow_kind in cowlink.h.  follow:
   the call follows a symlink in the last component.  Called only when
   symlinks are on the way, or a stat saw a read-only file. */
int cow_classify(int dirfd, const char *path, int follow, struct cow_link *link)
{
    char abs[PATH_MAX], dir[PATH_MAX], text[PATH_MAX], start[PATH_MAX];
    const char *name;
    size_t len;
    long got;
    int err, missing;

    link->target[0] = 0;
    link->missing = 0;
    link->at_dir = COW_NO_DIR;
    link->followed = 0;
    if (!path)
        return COW_PLAIN;
    /* The kernel reads the caller's pointer: a bad one gives EFAULT here
       instead of a crash, and a good one is a proven string afterwards. */
    got = sys_readlinkat(dirfd, path, text, sizeof text);
    if ((got < 0 && errno != EINVAL && errno != ENOENT) || !path[0])
        return COW_PLAIN; /* the kernel fails the call the same way */
    if (got >= (long)sizeof text || cow_abs_path(dirfd, path, abs))
        return COW_UNKNOWN;
    len = strlen(abs);
    name = strrchr(abs, '/') + 1;
    if (abs[len - 1] == '/' || !strcmp(name, ".") || !strcmp(name, ".."))
        return whole(dirfd, path, abs, link);
    memcpy(dir, abs, (size_t)(name - abs));
    dir[name - abs] = 0;
    err = cow_resolve(dir, dir, &missing);
    if (err || missing) {
        dir_part(path, start);
        return after_error(err ? err : ENOENT, dirfd, start, 1);
    }
    if (follow && got > 0) {
        /* Relative link text is relative to the directory holding the
           link; the resolved target goes in link->target. */
        link->followed = 1;
        if (text[0] == '/')
            text[got] = 0;
        else if (joined(start, dir, text, (size_t)got))
            return COW_UNKNOWN;
        err = cow_resolve(text[0] == '/' ? text : start, link->target, &link->missing);
        if (err)
            return after_error(err, dirfd, path, 1);
        link->followed = 2;
    } else if (joined(link->target, dir, name, strlen(name))) {
        return COW_UNKNOWN;
    } else {
        struct stat st;
        link->missing = sys_fstatat(AT_FDCWD, link->target, &st, AT_SYMLINK_NOFOLLOW) < 0;
    }
    if (!cow_in_store(link->target))
        return COW_PLAIN;
    if (named_directly(abs, link->target))
        return direct_kind();
    return follow && got > 0 && !cow_in_store(dir) ? COW_LINK : COW_INSIDE;
}
