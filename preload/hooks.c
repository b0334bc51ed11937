/* What cowlink does around each kind of libc call (entries.c lists them).
 *
 * Every hook keeps the caller's errno unless it decides the call's result,
 * and costs one cheap check (a readlinkat, or a look at a mode the call
 * already returned) when no store link is involved.
 */
#include <errno.h>
#include <string.h>
#include <sys/statfs.h>

#include "cowlink.h"
#include "sys.h"

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

int cow_fopen_how(const char *mode)
{
    if (!mode || strchr(mode, 'x'))
        return 0;
    switch (mode[0]) {
    case 'w':
        return COW_WRITE | COW_TRUNC | COW_CREAT;
    case 'a':
        return COW_WRITE | COW_CREAT;
    case 'r':
        return strchr(mode, '+') ? COW_WRITE : 0;
    }
    return 0;
}

/* Would the call write the store file (or create one in the store)? */
static int writes(int how, const struct cow_link *link)
{
    return link->missing ? (how & COW_CREAT) : (how & (COW_WRITE | COW_TRUNC));
}

/* The error the call would have failed with without cowlink, so that a
   materialization that fails looks to the caller like the plain refusal it
   would otherwise have met.  0: it would have succeeded (by writing the
   store, which we never do). */
static int error_without(int how, const struct cow_link *link)
{
    char dir[PATH_MAX];
    struct statfs fs;
    struct stat st;
    const char *path = link->target;
    uid_t euid = (uid_t)syscall(SYS_geteuid);

    if (link->missing) {
        strcpy(dir, link->target);
        *strrchr(dir, '/') = 0;
        path = dir[0] ? dir : "/";
    }
    if (syscall(SYS_statfs, path, &fs) == 0 && (fs.f_flags & ST_RDONLY))
        return EROFS;
    if ((how & COW_META) && !link->missing && !(how & COW_TIMES_NOW))
        return euid == 0 || (sys_fstatat(AT_FDCWD, path, &st, 0) == 0 && st.st_uid == euid)
                   ? 0
                   : EPERM;
    return sys_faccessat(AT_FDCWD, path, link->missing ? W_OK | X_OK : W_OK, AT_EACCESS) < 0
               ? errno
               : 0;
}

/* Before a call that may write through (dirfd, path): materialize a store
   link.  Returns 0 to go on with the call, or the errno to fail it with. */
int cow_before_write(const char *op, int dirfd, const char *path, int how,
                     mode_t create_mode)
{
    struct cow_link link;
    int saved = errno, err = 0, would;

    if (!how || !cow_enabled())
        return 0;
    if (cow_classify(dirfd, path, &link) && writes(how, &link)) {
        err = cow_materialize(op, dirfd, path, how, create_mode);
        if (err && (would = error_without(how, &link)))
            err = would;
    }
    errno = saved;
    return err;
}

/* A stat that followed a link found no owner write bit: should we show
   one?  Yes for a store link, which a write would turn into a private,
   writable file. */
int cow_hides_write(int dirfd, const char *path, int follow, unsigned mode)
{
    struct cow_link link;
    int saved = errno, hide;

    if (!follow || !S_ISREG(mode) || (mode & S_IWUSR) || !cow_enabled())
        return 0;
    hide = cow_classify(dirfd, path, &link);
    errno = saved;
    return hide;
}

/* access(W_OK) refused a store link: grant it when a write could succeed,
   that is when the other bits asked for pass and the link's directory
   (where the private copy goes) is writable. */
int cow_access_granted(int dirfd, const char *path, int amode, int flags)
{
    struct cow_link link;
    char dir[PATH_MAX];
    int saved = errno, granted = 0;
    char *slash;

    if (!(amode & W_OK) || (flags & AT_SYMLINK_NOFOLLOW) || !cow_enabled())
        return 0;
    if ((saved == EACCES || saved == EROFS) && cow_classify(dirfd, path, &link) &&
        !link.missing && strlen(path) < sizeof dir) {
        strcpy(dir, path);
        slash = strrchr(dir, '/');
        if (!slash)
            strcpy(dir, ".");
        else
            slash[slash == dir] = 0;
        granted = (!(amode & ~W_OK) ||
                   sys_faccessat(dirfd, path, amode & ~W_OK, flags & AT_EACCESS) == 0) &&
                  sys_faccessat(dirfd, dir, W_OK | X_OK, flags & AT_EACCESS) == 0;
    }
    errno = saved;
    return granted;
}

/* rename onto, or unlink of, a store link: the call replaces the link, not
   the store file, so it passes through; we only record it. */
void cow_observe_before(struct cow_seen *seen, int dirfd, const char *path)
{
    struct cow_link link;
    int saved = errno;

    seen->linked = cow_enabled() && cow_logging() && cow_classify(dirfd, path, &link);
    if (seen->linked) {
        strcpy(seen->target, link.target);
        if (cow_abs_path(dirfd, path, seen->path))
            strcpy(seen->path, path);
    }
    errno = saved;
}

void cow_observe_after(const struct cow_seen *seen, const char *op, int result)
{
    if (seen->linked && result == 0)
        cow_event(strncmp(op, "rename", 6) == 0 ? "replace" : "remove", op, seen->path,
                  seen->target, 0, "none");
}
