/* What cowlink does around each kind of libc call (entries.c lists them).
 *
 * Every hook keeps the caller's errno unless it decides the call's result.
 * A write places its name once (place.c: by descriptor, decided by
 * identity) and its call is then made on the placed name; a stat looks at
 * a mode the call already returned; a descriptor call pays one statx.
 *
 * The rule: nothing reached through a symlink into a store is written.  A
 * link whose last component lies outside the store is made private at the
 * first write; anything else (a name below a linked store directory, a
 * link inside the store, a store file open by descriptor) is refused with
 * the error an unprivileged caller would get, or EROFS, and one line.
 */
#include <errno.h>
#include <linux/fs.h>
#include <linux/fiemap.h>
#include <linux/fsverity.h>
#include <string.h>
#include <sys/statfs.h>

#include "cowlink.h"
#include "sys.h"

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

/* fopen's mode, read as glibc reads it: the first letter, then at most six
   more characters up to a ',' ("rb+" and "r+x" both write).  The flags
   of the open it makes; -1 for a mode it refuses. */
int cow_fopen_flags(const char *mode)
{
    int flags;

    if (!mode)
        return -1;
    switch (mode[0]) {
    case 'r':
        flags = O_RDONLY;
        break;
    case 'w':
        flags = O_WRONLY | O_CREAT | O_TRUNC;
        break;
    case 'a':
        flags = O_WRONLY | O_CREAT | O_APPEND;
        break;
    default:
        return -1;
    }
    for (int i = 1; i < 7 && mode[i] && mode[i] != ','; i++) {
        if (mode[i] == '+')
            flags = (flags & ~O_ACCMODE) | O_RDWR;
        else if (mode[i] == 'x')
            flags |= O_EXCL;
        else if (mode[i] == 'e')
            flags |= O_CLOEXEC;
    }
    return flags;
}

/* The mode fdopen is to make a stream of those flags with (fdopen reads
   fewer characters of a mode than fopen does). */
const char *cow_fdopen_mode(int flags)
{
    int rw = (flags & O_ACCMODE) == O_RDWR;

    if (flags & O_APPEND)
        return rw ? "a+" : "a";
    if (flags & O_TRUNC)
        return rw ? "w+" : "w";
    return rw ? "r+" : "r";
}

int cow_fopen_how(const char *mode)
{
    int flags = cow_fopen_flags(mode);

    return flags < 0 ? 0 : cow_open_how(flags);
}

static int in_my_groups(gid_t gid)
{
    gid_t groups[256];
    long n = syscall(SYS_getgroups, 256, groups);

    if (gid == (gid_t)syscall(SYS_getegid))
        return 1;
    for (long i = 0; i < n; i++)
        if (groups[i] == gid)
            return 1;
    return 0;
}

/* chown: predict what the kernel would refuse on a private copy. */
int cow_chown_how(uid_t uid, gid_t gid)
{
    uid_t euid = (uid_t)syscall(SYS_geteuid);

    if (uid == (uid_t)-1 && gid == (gid_t)-1)
        return COW_NOOP;
    if (euid != 0 && ((uid != (uid_t)-1 && uid != euid) ||
                      (gid != (gid_t)-1 && !in_my_groups(gid))))
        return COW_META | COW_FAILS(EPERM);
    return COW_META;
}

static int nsec_valid(long nsec)
{
    return nsec == UTIME_NOW || nsec == UTIME_OMIT || (nsec >= 0 && nsec < 1000000000L);
}

/* utimensat and futimens: NULL or UTIME_NOW twice only need write
   access; UTIME_OMIT twice changes nothing. */
int cow_timespec_how(const struct timespec t[2])
{
    if (!t || (t[0].tv_nsec == UTIME_NOW && t[1].tv_nsec == UTIME_NOW))
        return COW_META | COW_WRITE_PERM;
    if (!nsec_valid(t[0].tv_nsec) || !nsec_valid(t[1].tv_nsec))
        return COW_META | COW_FAILS(EINVAL);
    if (t[0].tv_nsec == UTIME_OMIT && t[1].tv_nsec == UTIME_OMIT)
        return COW_NOOP;
    return COW_META;
}

int cow_timeval_how(const struct timeval t[2])
{
    if (!t)
        return COW_META | COW_WRITE_PERM;
    if (t[0].tv_usec < 0 || t[0].tv_usec >= 1000000 || t[1].tv_usec < 0 ||
        t[1].tv_usec >= 1000000)
        return COW_META | COW_FAILS(EINVAL);
    return COW_META;
}

/* Would the call write the store file (or create one in the store)?  A
   new mode, owner, time or extended attribute changes the store's inode as
   surely as new data does: every such call needs a private copy, whatever
   bits its hook asked for. */
static int writes(int how, const struct cow_link *link)
{
    return link->missing ? (how & COW_CREAT) : (how & (COW_WRITE | COW_TRUNC | COW_META));
}

/* The error the call would have failed with without cowlink, so that a
   call cowlink refuses, or a materialization that fails, looks to the
   caller like the plain refusal it would otherwise have met.  0: it would
   have succeeded (by writing the store, which we never do). */
static int error_without(int how, const struct cow_link *link)
{
    char dir[PATH_MAX];
    struct statfs fs;
    struct stat st;
    const char *path = link->target;
    int on_dir = link->missing || !(how & COW_FOLLOWS);
    uid_t euid = (uid_t)syscall(SYS_geteuid);

    if (on_dir) {
        strcpy(dir, link->target);
        *strrchr(dir, '/') = 0;
        path = dir[0] ? dir : "/";
    }
    if (syscall(SYS_statfs, path, &fs) == 0 && (fs.f_flags & ST_RDONLY))
        return EROFS;
    if ((how & COW_META) && !on_dir && !(how & COW_WRITE_PERM))
        return euid == 0 || (sys_fstatat(AT_FDCWD, path, &st, 0) == 0 && st.st_uid == euid)
                   ? 0
                   : EPERM;
    return sys_faccessat(AT_FDCWD, path, on_dir ? W_OK | X_OK : W_OK, AT_EACCESS) < 0 ? errno
                                                                                    : 0;
}

/* The same, for a name placed by descriptor (place.c): asked of its
   directory's descriptor and its last component, so that a name too deep
   for a path still gets the caller's error.  A directory as a whole (no
   last component) is asked about itself. */
static int error_placed(int how, const struct cow_link *link)
{
    struct statfs fs;
    struct stat st;
    int dir = link->at_dir, on_dir = link->missing || !(how & COW_FOLLOWS);
    const char *name = on_dir ? "" : link->at_name;
    int empty = name[0] ? 0 : AT_EMPTY_PATH;
    uid_t euid = (uid_t)syscall(SYS_geteuid);
    long r = dir == AT_FDCWD ? syscall(SYS_statfs, ".", &fs) : syscall(SYS_fstatfs, dir, &fs);

    if (r == 0 && (fs.f_flags & ST_RDONLY))
        return EROFS;
    if ((how & COW_META) && !on_dir && !(how & COW_WRITE_PERM))
        return euid == 0 || (sys_fstatat(dir, name, &st, empty) == 0 && st.st_uid == euid)
                   ? 0
                   : EPERM;
    return sys_faccessat(dir, name, on_dir ? W_OK | X_OK : W_OK, AT_EACCESS | empty) < 0 ? errno
                                                                                        : 0;
}

/* Where the refused name is known: by path, or by descriptor. */
static int known(const struct cow_link *link)
{
    return link->target[0] == '/' || link->at_dir != COW_NO_DIR;
}

/* A hard link to a store file: an unprivileged caller meets the kernel's
   protected_hardlinks rule (not the owner, no read and write access);
   anyone else is told the two names cannot share a file system. */
static int hardlink_error(const struct cow_link *link)
{
    struct stat st;
    uid_t euid = (uid_t)syscall(SYS_geteuid);

    if (euid != 0 && sys_fstatat(AT_FDCWD, link->target, &st, 0) == 0 && st.st_uid != euid &&
        sys_faccessat(AT_FDCWD, link->target, R_OK | W_OK, AT_EACCESS) < 0)
        return EPERM;
    return EXDEV;
}

/* A call cowlink cannot make safe: the error it expects, and one line. */
static int refuse(const char *op, const char *path, int how, const struct cow_link *link,
                  const char *why)
{
    int err;

    if (how & COW_NOOP)
        return COW_DONE; /* changes nothing: succeed without touching it */
    if (COW_FAILED(how))
        return COW_FAILED(how);
    /* The kernel looks a name up before it checks a permission: an
       exclusive create of an existing name, or a removal of a missing
       one (after the read-only mount check removals make first), fails
       with the lookup's error and touches nothing. */
    if (known(link) && (how & COW_EXCL) && !link->missing)
        return EEXIST;
    if (known(link) && (how & COW_EXISTS) && link->missing)
        return (link->at_dir != COW_NO_DIR ? error_placed(how, link) : error_without(how, link)) ==
                       EROFS
                   ? EROFS
                   : ENOENT;
    err = !known(link)                    ? 0
          : link->at_dir != COW_NO_DIR    ? error_placed(how, link)
          : (how & COW_HARDLINK)          ? hardlink_error(link)
                                          : error_without(how, link);
    if (!err)
        err = EROFS;
    cow_say("refusing ", op, " on ", path, " (", link->target[0] ? link->target : "?", "): ",
            why, (char *)0);
    return err;
}

/* A call that opens a descriptor fails first with a full descriptor
   table (the kernel takes the number before it looks at the path): when
   the private copy could not be made for that reason, so would the call. */
static int table_full(int err, int how)
{
    return (how & COW_OPENS) && (err == EMFILE || err == ENFILE);
}

/* A write through a link, outside any store, to a store entry. */
static int through_link(const char *op, int dirfd, const char *path, int how,
                        mode_t create_mode, const struct cow_link *link, int *made)
{
    struct stat st;
    int err, would;

    *made = 0;
    if (COW_FAILED(how))
        return COW_FAILED(how); /* it fails anyway: nothing to copy */
    if ((how & COW_HARDLINK) && link->missing)
        return 0; /* ENOENT from the kernel */
    if (how & (COW_NOOP | COW_HARDLINK))
        return refuse(op, path, how, link, "a store file cannot be given another name");
    if (!link->missing && sys_fstatat(AT_FDCWD, link->target, &st, 0) == 0 &&
        !S_ISREG(st.st_mode)) {
        if (how & COW_META)
            return refuse(op, path, how, link, "only files can be made private");
        return S_ISDIR(st.st_mode) ? EISDIR : 0; /* the kernel's own answer */
    }
    if (!writes(how, link))
        return 0;
    err = cow_materialize(op, dirfd, path, how, create_mode);
    *made = !err;
    if (err && err != EAGAIN && !table_full(err, how) && (would = error_without(how, link)))
        err = would;
    return err;
}

static int place_and_check(const char *op, int dirfd, const char *path, int how,
                           mode_t create_mode, struct cow_place *pl,
                           const struct cow_place *beside);

#define OUTSIDE_OUTPUTS "it lies in the store, outside the build's own outputs (COWLINK_OUTPUTS)"

/* O_CREAT without a write, on a name that exists (flock FILE, or any
   open(O_RDONLY|O_CREAT)): the kernel creates and writes nothing. */
static int creates_nothing(int how, int missing)
{
    return !missing && !(how & ~(COW_CREAT | COW_OPENS | COW_DIRECT | COW_AT | COW_RESOLVE));
}

/* Before a call that may write through (dirfd, path).  Returns 0 to go on
   with the call, COW_DONE when it has nothing to do and must succeed, or
   the errno to fail it with.  The name is placed once (place.c). */
int cow_before_write(const char *op, int dirfd, const char *path, int how,
                     mode_t create_mode)
{
    struct cow_place pl;
    int err = cow_before_write_at(op, dirfd, path, how & ~COW_AT, create_mode, &pl);

    if (!err)
        cow_place_release(&pl);
    return err;
}

/* "/proc/self/fd/N": the object open as fd, for a call that has no *at
   form.  NULL where /proc is missing (looked at once per process). */
const char *cow_proc_fd(int fd, char buf[COW_PROC_NAME])
{
    static int proc; /* 0 not known, 1 there, 2 missing */
    char num[24];
    int saved = errno;

    if (!__atomic_load_n(&proc, __ATOMIC_RELAXED))
        __atomic_store_n(&proc, sys_faccessat(AT_FDCWD, "/proc/self/fd", X_OK, 0) == 0 ? 1 : 2,
                         __ATOMIC_RELAXED);
    errno = saved;
    if (proc != 1)
        return NULL;
    strcpy(buf, "/proc/self/fd/");
    return strcat(buf, cow_num(num, (unsigned long long)fd));
}

/* "/proc/self/fd/N/NAME": the placed name, in cowlink's descriptor of its
   directory.  NULL where /proc is missing. */
const char *cow_proc_name(const struct cow_place *pl, char buf[COW_PROC_NAME])
{
    if (strlen(pl->name) > NAME_MAX + 1 || !cow_proc_fd(pl->dir, buf))
        return NULL;
    strcat(buf, "/");
    return strcat(buf, pl->name);
}

void cow_place_release(struct cow_place *pl)
{
    int saved = errno;

    cow_place_done(pl);
    errno = saved;
}

/* The same, for a call made on the placed name: on 0, pl->dir and
   pl->name are what the call acts on (cowlink's descriptor of the
   directory and the last component, or the caller's dirfd and path), and
   the caller ends with cow_place_release; otherwise pl is released. */
int cow_before_write_at(const char *op, int dirfd, const char *path, int how,
                        mode_t create_mode, struct cow_place *pl)
{
    return cow_before_write_beside(op, dirfd, path, how, create_mode, pl, NULL);
}

/* The same, for the second name of a rename or a link, placed beside the
   first (cow_place_beside): made on the first's descriptor when both lie
   in one directory.  The caller releases pl before beside. */
int cow_before_write_beside(const char *op, int dirfd, const char *path, int how,
                            mode_t create_mode, struct cow_place *pl,
                            const struct cow_place *beside)
{
    int err = place_and_check(op, dirfd, path, how, create_mode, pl, beside);
    /* A directory as a whole (no last component) is kept for a call that
       follows it and opens or links nothing: made on the directory itself
       (entries.c); a name call, an open or a link has no form for it. */
    int whole_ok = (how & COW_FOLLOWS) && !(how & (COW_OPENS | COW_HARDLINK));

    if (err || !(pl->own || pl->shared) || (!pl->name[0] && !whole_ok)) {
        cow_place_release(pl);
        pl->dir = dirfd;
        pl->name = path;
    }
    return err;
}

static int place_and_check(const char *op, int dirfd, const char *path, int how,
                           mode_t create_mode, struct cow_place *pl,
                           const struct cow_place *beside)
{
    char probe[1];
    int saved = errno, err = 0, kind, made;

    pl->own = 0;
    pl->shared = 0;
    pl->resolve = 0;
    pl->dir = dirfd;
    pl->name = "";
    if (!how || !cow_enabled())
        return 0;
    /* AT_EMPTY_PATH: the call is on dirfd itself (AT_FDCWD: the working
       directory).  The kernel reads the caller's pointer first: a bad one
       is its EFAULT, not our crash. */
    if ((how & COW_FD_EMPTY) &&
        (!path || (sys_readlinkat(AT_FDCWD, path, probe, 1) < 0 && errno != EFAULT && !path[0]))) {
        errno = saved;
        return cow_before_fd(op, dirfd, how);
    }
    kind = cow_place_beside(dirfd, path, how, pl, beside);
    if (kind == COW_DIR_FAILS) {
        errno = saved;
        return pl->dir_err; /* the kernel's error, no line: nothing refused */
    }
    if (kind == COW_NO_FD) {
        char why[64];
        /* a call that opens a descriptor meets the full table first: the
           kernel's own error, no line */
        if (!(how & COW_OPENS))
            cow_say("refusing ", op, " on ", path, ": no descriptor left to place it by (",
                    cow_strerror(pl->dir_err, why), "): refused, not made by its path", (char *)0);
        errno = saved;
        return pl->dir_err;
    }
    if (kind != COW_PLAIN && kind != COW_LINK &&
        creates_nothing(how, kind == COW_UNKNOWN ? 1 : pl->missing))
        kind = COW_PLAIN;
    switch (kind) {
    case COW_PLAIN:
        break;
    case COW_STORE:
        err = refuse(op, path, how, &pl->link, OUTSIDE_OUTPUTS);
        break;
    case COW_LINK:
        err = through_link(op, dirfd, path, how, create_mode, &pl->link, &made);
        /* the name is a private file now: the call follows no link there */
        pl->nofollow = made;
        break;
    case COW_INSIDE:
        err = refuse(op, path, how, &pl->link,
                     "it lies in the store, reached through a symlink that cannot be made private");
        break;
    default:
        err = refuse(op, path, how, &pl->link,
                     "cannot place it (a path too deep or too long, no descriptor left, "
                     "no /proc, a mount the table does not list): refused, not passed");
    }
    errno = saved;
    return err;
}

/* Before a call on a descriptor: a store file cannot be made private
   through one, so a write to it is refused. */
int cow_before_fd(const char *op, int fd, int how)
{
    struct cow_link link; /* no initializer: 4 kB to clear on every call */
    char what[40], num[24];
    int saved = errno, err = 0, in;

    if (!how || !cow_enabled())
        return 0;
    in = cow_fd_in_store(fd, link.target);
    if (in) {
        link.missing = 0;
        link.at_dir = COW_NO_DIR;
        strcpy(what, "descriptor ");
        err = refuse(op, strcat(what, cow_num(num, (unsigned long long)fd)), how, &link,
                     in < 0 ? "cannot tell what file it is (no /proc): refused, not passed"
                            : "a store file open by descriptor cannot be made private");
    }
    errno = saved;
    return err;
}

/* The ioctl families that act on a file's inode or its file system:
   'f' and 'v' (flags, versions, ext4, encryption, verity), 'X' (XFS and
   the fsxattr calls), 0x94 (btrfs, clone, dedupe, labels), 0xf5 (f2fs). */
static int fs_family(unsigned long req)
{
    unsigned type = _IOC_TYPE(req);

    return type == 'f' || type == 'v' || type == 'X' || type == 0x94 || type == 0xf5;
}

/* Requests of those families known only to read: everything else of them
   may change the inode (the direction bits do not say: SETVERSION is one
   _IOW, SET_ENCRYPTION_POLICY an _IOR, ext4's SWAP_BOOT an _IO). */
static int reads_only(unsigned long req)
{
    static const unsigned long reads[] = {
        FS_IOC_GETFLAGS, FS_IOC32_GETFLAGS, FS_IOC_GETVERSION, FS_IOC32_GETVERSION,
        FS_IOC_FSGETXATTR, FS_IOC_FIEMAP, FS_IOC_GETFSLABEL, FIDEDUPERANGE,
        FS_IOC_GET_ENCRYPTION_PWSALT, FS_IOC_GET_ENCRYPTION_POLICY,
        FS_IOC_GET_ENCRYPTION_POLICY_EX, FS_IOC_GET_ENCRYPTION_KEY_STATUS,
        FS_IOC_GET_ENCRYPTION_NONCE, FS_IOC_MEASURE_VERITY, FS_IOC_READ_VERITY_METADATA,
    };

    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
        if (reads[i] == req)
            return 1;
    return 0;
}

/* ioctl: every request of a file-system family that is not known only to
   read is taken to change the inode, and refused on a store descriptor
   (FIDEDUPERANGE changes the other files it names, never fd's).  Other
   requests (terminals, sockets, devices) are not about a store file and
   cost nothing.  A file system without flags answers the flags requests
   with ENOTTY, so the plain call's own error comes first for them. */
int cow_before_ioctl(int fd, unsigned long req)
{
    int flags, saved = errno, err;

    if (!fs_family(req) || reads_only(req))
        return 0;
    if ((req == FS_IOC_SETFLAGS || req == FS_IOC32_SETFLAGS || req == FS_IOC_FSSETXATTR) &&
        syscall(SYS_ioctl, fd, FS_IOC_GETFLAGS, &flags) < 0 && errno == ENOTTY)
        err = 0;
    else
        err = cow_before_fd("ioctl", fd, COW_WRITE | COW_META);
    errno = saved;
    return err;
}

/* Is (dirfd, path) a link, outside the store, to a store entry?  Only a
   name that is itself a symlink can be: one readlink answers for the
   other names (a store file named directly, a plain read-only file)
   before the whole classification, which resolves every directory. */
static int store_link(int dirfd, const char *path, struct cow_link *link)
{
    char byte[1];

    return sys_readlinkat(dirfd, path, byte, 1) > 0 &&
           cow_classify(dirfd, path, 1, link) == COW_LINK;
}

/* A stat that followed a link found no owner write bit: should we show
   one?  Yes for a store link, which a write would turn into a private,
   writable file. */
int cow_hides_write(int dirfd, const char *path, int follow, unsigned mode)
{
    struct cow_link link;
    struct stat st;
    int saved = errno, hide;

    if (!S_ISREG(mode) || (mode & S_IWUSR) || !cow_enabled())
        return 0;
    if (!path || !path[0]) /* AT_EMPTY_PATH: the descriptor itself */
        hide = sys_fstat(dirfd, &st) == 0 && cow_fd_hides_write(dirfd, mode, st.st_dev, st.st_ino);
    else
        hide = follow && store_link(dirfd, path, &link);
    errno = saved;
    return hide;
}

/* An fstat found no owner write bit: show one on a descriptor opened
   through a store link, as stat of the link's name does. */
int cow_fd_hides_write(int fd, unsigned mode, dev_t dev, ino_t ino)
{
    char name[COW_NAME_KEPT];
    struct cow_link link;
    struct stat st;
    int dirfd, saved, hide;

    /* A store on overlayfs shows its files with a layer's device. */
    if (!S_ISREG(mode) || (mode & S_IWUSR) || !cow_enabled() ||
        (!cow_store_device(dev) && !cow_stores_layered()) || !cow_view_name(fd, &dirfd, name))
        return 0;
    saved = errno;
    hide = sys_fstatat(dirfd, name, &st, 0) == 0 && st.st_dev == dev && st.st_ino == ino &&
           store_link(dirfd, name, &link);
    errno = saved;
    return hide;
}

/* After an open of (dirfd, path) returned fd.  A read-only open notes
   the name (views.c), for fstat; an open for writing went through a
   private file, if any, and only forgets what fd meant before.  No system
   call: every open of the process pays this. */
void cow_opened(int dirfd, const char *path, int fd, int for_writing)
{
    if (fd < 0)
        return;
    if (for_writing || !cow_enabled())
        cow_view_forget(fd);
    else
        cow_view_note(fd, dirfd, path);
}

/* access(W_OK) refused a store link: grant it when a write could succeed,
   that is when the link leads to a file, the other bits asked for pass,
   and the link's directory (where the private copy goes) is writable. */
int cow_access_granted(int dirfd, const char *path, int amode, int flags)
{
    struct cow_link link;
    struct stat st;
    char dir[PATH_MAX];
    int saved = errno, granted = 0;
    char *slash;

    if (!(amode & W_OK) || (flags & AT_SYMLINK_NOFOLLOW) || !cow_enabled())
        return 0;
    if ((saved == EACCES || saved == EROFS) && store_link(dirfd, path, &link) &&
        !link.missing && sys_fstatat(AT_FDCWD, link.target, &st, 0) == 0 &&
        S_ISREG(st.st_mode) && strlen(path) < sizeof dir) {
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

    seen->linked = cow_enabled() && cow_logging() &&
                   store_link(dirfd, path, &link);
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
