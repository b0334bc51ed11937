/* Where a name lies: resolved once, by descriptor, decided by identity.
 *
 * The rule: a name cowlink cannot place is never outside the store.  A
 * name is placed by opening, as O_PATH, the directory that holds its last
 * component (following symlinks as the kernel does: openat2 without
 * symlinks first, else component by component), and deciding with the
 * device and inode of that directory and of its parents against those of
 * the store directories and of the build's outputs, and with mount ids
 * where devices lie.  Path strings are only made for messages.
 *
 * What a name cannot be placed for (no memory, a full descriptor table,
 * a directory we cannot search back up from, a mount of a store's file
 * system the mount table does not list) makes it COW_UNKNOWN: refused.
 * Only an error the kernel's own lookup of the caller's name meets too
 * (a missing or non-directory component, no search permission, a name too
 * long, a bad pointer or descriptor) lets the call through: it fails so.
 *
 * The ordinary write pays one statx (its name is on no store's device:
 * nothing more to know, wherever its symlinks lead), or two for a name
 * that does not exist yet (the same question about its directory), one
 * for the missing second name of a rename or a link in the directory of
 * the first, when the first is a file (cow_place_beside).
 */
#include <string.h>
#include <sys/sysmacros.h>

#include "cowlink.h"
#include "sys.h"

#define MAX_HOPS 40 /* the kernel's own limit on symlinks in one lookup */

static dev_t dev_of(const struct cow_stat *sx)
{
    return makedev(sx->dev_major, sx->dev_minor);
}

static int is_dir(const struct cow_stat *sx)
{
    return S_ISDIR(sx->mode);
}

static int mount_kind(const struct cow_stat *sx)
{
    return (sx->mask & STATX_MNT_ID) ? cow_mount_kind(sx->mnt_id) : COW_MOUNT_UNLISTED;
}

/* Could this inode be a store's?  A directory's device says (overlayfs
   gives its directories its own device); a file's may be a lower layer's
   where a store is on overlayfs, so its mount is asked too.  A mount of a
   store's file system that shows no store entry is not near. */
static int near_store(const struct cow_stat *sx)
{
    int kind, store_device = cow_store_device(dev_of(sx));

    if (!store_device && (is_dir(sx) || !cow_stores_layered()))
        return 0; /* the mount table is not even read */
    kind = mount_kind(sx);
    if (kind != COW_MOUNT_UNLISTED)
        return kind != COW_MOUNT_NONE; /* a mount of a store's file system */
    if (store_device)
        return 1; /* mounted since the table was read, or no mount ids */
    return !cow_mounts_complete();
}

/* The mount of the directory holding a name that is no mount root is the
   name's own. */
static int mount_known(const struct cow_stat *obj)
{
    if (obj->mask == STATX_MNT_ID)
        return 1; /* the name is missing: its directory's, from its statx */
    return (obj->mask & STATX_MNT_ID) && (obj->attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           !(obj->attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Errors of a lookup that the call's own lookup of the same name, from
   the same directory, meets too: it fails and touches nothing. */
static int fails_alike(int err)
{
    return err == ENOENT || err == ENOTDIR || err == EACCES || err == ENAMETOOLONG ||
           err == EFAULT || err == EBADF || err == ELOOP;
}

struct output_ids {
    dev_t dev[COW_MAX_OUTPUTS];
    ino_t ino[COW_MAX_OUTPUTS];
    int n; /* -1: not read yet */
};

static int is_output(struct output_ids *o, dev_t dev, ino_t ino)
{
    if (o->n < 0)
        o->n = cow_output_ids(o->dev, o->ino);
    for (int i = 0; i < o->n; i++)
        if (o->ino[i] && o->dev[i] == dev && o->ino[i] == ino)
            return 1;
    return 0;
}

/* The walk up from a directory on a store's device, by "..": a store
   directory on the way puts it in the store, an output first takes it
   out, and so does the root or a mount that shows no store entry.
   Leaving a mount through its root: a mount whose root is a store entry
   (a bind mount of one) puts it in the store; one the mount table does
   not list cannot be told.  cur is borrowed; sx is its statx. */
static int walk_up(int cur, struct cow_stat sx)
{
    struct output_ids outputs = {.n = -1};
    struct cow_stat up;
    int owned = -1, parent, kind, verdict = -1;

    while (verdict < 0) {
        dev_t dev = dev_of(&sx);
        kind = mount_kind(&sx);
        if (cow_store_root(dev, sx.ino))
            verdict = COW_DIR_STORE_RO;
        else if (is_output(&outputs, dev, sx.ino) || kind == COW_MOUNT_NONE ||
                 !cow_store_device(dev))
            verdict = COW_DIR_PLAIN;
        else if ((parent = sys_openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC, 0)) < 0 ||
                 sys_statx(parent, "", AT_EMPTY_PATH, &up) < 0) {
            if (parent >= 0)
                sys_close(parent);
            verdict = COW_DIR_UNKNOWN;
        } else {
            if (dev_of(&up) == dev && up.ino == sx.ino)
                verdict = COW_DIR_PLAIN; /* the root */
            else if (up.mnt_id != sx.mnt_id && kind == COW_MOUNT_ALL)
                verdict = COW_DIR_STORE_RO; /* left a mount of store entries */
            else if (up.mnt_id != sx.mnt_id && kind == COW_MOUNT_UNLISTED &&
                     !cow_holds_store(sx.mnt_id))
                verdict = COW_DIR_UNKNOWN; /* (a mount whose tree holds a store
                    directory has no store entry for root, table or not) */
            if (owned >= 0)
                sys_close(owned);
            owned = cur = parent;
            sx = up;
        }
    }
    if (owned >= 0)
        sys_close(owned);
    return verdict;
}

/* The kernel's name for the directory, read against how its mount shows
   the store (config.c): one readlink instead of the walk.  -1: no view. */
static int by_view(int fd, const struct cow_stat *sx)
{
    char path[PATH_MAX];
    int in;

    if (!(sx->mask & STATX_MNT_ID) || cow_dir_path(fd, path) || path[0] != '/')
        return -1;
    in = cow_store_by_view(sx->mnt_id, path);
    return in < 0 ? -1 : in == 1 ? COW_DIR_STORE_RO : COW_DIR_PLAIN;
}

/* What the directory open as fd is, when the mount it is on is known
   (from a name in it that is no mount root): a mount that shows no store
   entry, or a kernel name outside the store, answers without a statx. */
static int class_on(int fd, unsigned long long mnt_id)
{
    struct cow_stat sx = {.mask = STATX_MNT_ID, .mnt_id = mnt_id};
    int kind = cow_mount_kind(mnt_id);

    if (kind == COW_MOUNT_NONE || (kind != COW_MOUNT_UNLISTED && by_view(fd, &sx) == COW_DIR_PLAIN))
        return COW_DIR_PLAIN;
    return cow_dir_class(fd);
}

/* What the directory open as fd (AT_FDCWD: the working directory) is to
   cowlink: COW_DIR_* in cowlink.h.  One statx off a store's device. */
int cow_dir_class(int fd)
{
    struct cow_stat sx;
    int verdict;

    if (cow_stores_unsure())
        return COW_DIR_UNKNOWN;
    if (sys_statx(fd, "", AT_EMPTY_PATH, &sx) < 0)
        return errno == EBADF ? COW_DIR_PLAIN : COW_DIR_UNKNOWN; /* EBADF: the call's too */
    if (!is_dir(&sx) || !near_store(&sx))
        return COW_DIR_PLAIN; /* a relative name meets ENOTDIR */
    verdict = by_view(fd, &sx);
    if (verdict < 0)
        verdict = walk_up(fd, sx);
    /* A store directory with a write bit that is not a store directory
       itself is a build's own output, being written (Nix makes the rest
       read-only). */
    if (verdict == COW_DIR_STORE_RO && (sx.mode & S_IWUSR) &&
        !cow_store_root(dev_of(&sx), sx.ino))
        verdict = COW_DIR_STORE_RW;
    return verdict;
}

/* The working directory's class, cached until the next chdir.  A chdir
   makes the generation odd before it runs and even again after; a class
   is published only for the generation it was computed in, whole, so a
   class computed for the old directory is never published for the new. */
static unsigned long cwd_generation;
static unsigned long cwd_cached; /* generation * 4 + class + 1; 0: none */

void cow_cwd_changing(void)
{
    __atomic_add_fetch(&cwd_generation, 1, __ATOMIC_SEQ_CST);
}

void cow_cwd_changed(void)
{
    __atomic_add_fetch(&cwd_generation, 1, __ATOMIC_SEQ_CST);
}

static int cwd_class(void)
{
    unsigned long gen = __atomic_load_n(&cwd_generation, __ATOMIC_SEQ_CST);
    unsigned long cached = __atomic_load_n(&cwd_cached, __ATOMIC_SEQ_CST);
    int class;

    if (!(gen & 1) && cached && (cached - 1) / 4 == gen)
        return (int)((cached - 1) % 4);
    class = cow_dir_class(AT_FDCWD);
    if (!(gen & 1) && class != COW_DIR_UNKNOWN &&
        __atomic_load_n(&cwd_generation, __ATOMIC_SEQ_CST) == gen)
        __atomic_store_n(&cwd_cached, gen * 4 + (unsigned long)class + 1, __ATOMIC_SEQ_CST);
    return class;
}

static int dir_class(int fd)
{
    return fd == AT_FDCWD ? cwd_class() : cow_dir_class(fd);
}

/* Open, as O_PATH, the directory (start, path) names, following symlinks
   component by component as the kernel does (at most MAX_HOPS), for
   kernels and sandboxes without openat2, and for names with symlinks on
   the way.  -1 with errno on failure. */
static int walk(int start, const char *path)
{
    char rest[2 * PATH_MAX], link[PATH_MAX], part[NAME_MAX + 1];
    const char *p, *end;
    int cur = start, owned = -1, next, hops = 0, err = 0;
    size_t n, after;
    long got;

    if (strlen(path) >= sizeof rest)
        return errno = ENAMETOOLONG, -1;
    strcpy(rest, path);
    p = rest;
    while (!err) {
        if (*p == '/') {
            while (*p == '/')
                p++;
            next = sys_openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        } else if (!*p) {
            break;
        } else {
            for (end = p; *end && *end != '/'; end++)
                ;
            n = (size_t)(end - p);
            if (n > NAME_MAX) {
                err = ENAMETOOLONG;
                break;
            }
            memcpy(part, p, n);
            part[n] = 0;
            while (*end == '/')
                end++;
            if (!strcmp(part, ".")) {
                p = end;
                continue;
            }
            next = sys_openat(cur, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (next < 0 && (errno == ENOTDIR || errno == ELOOP) &&
                (got = sys_readlinkat(cur, part, link, sizeof link)) >= 0) {
                /* A symlink: its text, then what was left. */
                after = strlen(end);
                if (++hops > MAX_HOPS)
                    err = ELOOP;
                else if ((size_t)got >= sizeof link || (size_t)got + 1 + after >= sizeof rest)
                    err = ENAMETOOLONG;
                else {
                    memmove(rest + got + 1, end, after + 1);
                    memcpy(rest, link, (size_t)got);
                    rest[got] = '/';
                    p = rest;
                }
                continue;
            }
            p = end;
        }
        if (next < 0) {
            err = errno;
            break;
        }
        if (owned >= 0)
            sys_close(owned);
        owned = cur = next;
    }
    if (err) {
        if (owned >= 0)
            sys_close(owned);
        return errno = err, -1;
    }
    if (owned < 0) /* nothing opened: the start itself */
        owned = sys_openat(start, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    return owned;
}

/* Open the directory (dirfd, path) names: openat2 without symlinks, else
   the walk.  -1 with errno. */
static int open_dir(int dirfd, const char *path)
{
    int fd = sys_open_no_symlinks(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0 || errno == ENOENT || errno == ENOTDIR || errno == EACCES ||
        errno == ENAMETOOLONG || errno == EMFILE || errno == ENFILE || errno == ENOMEM)
        return fd; /* met before any symlink, or no walk can do better */
    return walk(dirfd, path);
}

/* The policy once the directory holding a name has a class: a name in a
   store outside the build's outputs is refused, however it was reached
   (the outputs are always decided: config.c, outputs.c). */
static int decide(int class)
{
    if (class == COW_DIR_PLAIN)
        return COW_PLAIN;
    return class == COW_DIR_UNKNOWN ? COW_UNKNOWN : COW_STORE;
}

/* The name, for messages: where the directory's descriptor is, plus the
   last component.  Empty when the kernel cannot say (too deep). */
static void name_for_messages(struct cow_place *pl)
{
    char *t = pl->link.target;
    size_t len;

    if (cow_dir_path(pl->dir, t)) {
        t[0] = 0;
        return;
    }
    len = strlen(t);
    if (pl->name[0] && len + 1 + strlen(pl->name) < PATH_MAX) {
        if (t[len - 1] != '/')
            t[len++] = '/';
        strcpy(t + len, pl->name);
    }
}

/* A name that is a directory as a whole: a trailing slash, "." or "..";
   last is its last component. */
static int whole_name(const char *path, const char *last)
{
    return path[strlen(path) - 1] == '/' || !strcmp(last, ".") || !strcmp(last, "..");
}

/* Does path, from dirfd, name an entry of the directory in which the name
   placed in beside lies, on cowlink's descriptor (the same directory
   part, from the same dirfd)?  The two names of a rename or a link in one
   directory then share that descriptor, and what is known of it. */
static int same_dir(const struct cow_place *beside, int dirfd, const char *path)
{
    const char *a, *b;
    size_t len;

    if (!beside || !beside->own || !beside->path || beside->from != dirfd)
        return 0;
    a = strrchr(beside->path, '/');
    b = strrchr(path, '/');
    len = a ? (size_t)(a - beside->path) + 1 : 0;
    return (b ? (size_t)(b - path) + 1 : 0) == len && !memcmp(beside->path, path, len) &&
           !whole_name(path, path + len);
}

/* An existing name that is no directory and no mount root lies on its
   directory's mount, and on its device (only a directory can be another
   file system's root, or a btrfs subvolume's), unless a store is on
   overlayfs, whose files may show a layer's device: then the mount's
   kind says.  On no store's device or mount, so is its directory. */
static int dir_far_too(const struct cow_stat *obj)
{
    return (obj->mask & STATX_TYPE) && !is_dir(obj) && mount_known(obj) &&
           (!cow_stores_layered() || mount_kind(obj) == COW_MOUNT_NONE);
}

/* Lookup errors that a change of the file system can undo before the
   call: a directory made, or made a link. */
static int may_change(int err)
{
    return err == ENOENT || err == ENOTDIR || err == EACCES || err == ELOOP;
}

/* The name's directory cannot be looked up, as the kernel's own lookup of
   it cannot at this moment: the call fails so, rather than be made by the
   caller's path a moment later, when a link to a store directory may be
   there (a directory's error: the last component, whose errors depend on
   the call, is the kernel's to judge). */
static int dir_fails(struct cow_place *pl, int dirfd, int err)
{
    pl->dir = dirfd;
    pl->own = 0;
    pl->dir_err = err;
    return COW_DIR_FAILS;
}

/* No descriptor left to open the name's directory by: the name cannot
   be placed, and the call is not made by the caller's path either (where
   another thread's chdir, or a link put there, could move it).  looked:
   the error the kernel's lookup of the name met when cowlink looked. */
static int table_full(int err)
{
    return err == EMFILE || err == ENFILE;
}

static int no_fd(struct cow_place *pl, int dirfd, int err, int looked)
{
    if (looked)
        return dir_fails(pl, dirfd, looked); /* the kernel's own lookup failed */
    dir_fails(pl, dirfd, err);
    return COW_NO_FD;
}

/* A name on no store's device or mount: the common case, one or two
   statx (one, for a missing name in the directory of the name placed
   beside it, known to lie outside every store).  obj gets what the first
   found (obj->mask 0: nothing there).  FAILS: the kernel's lookup of the
   caller's name fails (the pointer, too, may be bad: nothing reads it
   then). */
enum { NEAR, FAR, FAILS };
static int far_from_store(int dirfd, const char *path, int follow, struct cow_place *pl,
                          struct cow_stat *obj, const struct cow_place *beside)
{
    struct cow_stat sx;
    const char *slash;
    char dir[PATH_MAX];
    size_t len;

    obj->mask = 0;
    if (sys_statx(dirfd, path, AT_SYMLINK_NOFOLLOW, obj) == 0) {
        if (S_ISLNK(obj->mode) && follow)
            return NEAR;
        return near_store(obj) ? NEAR : FAR;
    }
    obj->mask = 0;
    if (errno != ENOENT)
        return fails_alike(errno) ? FAILS : NEAR;
    pl->missing = 1;
    if (same_dir(beside, dirfd, path) && beside->dir_plain)
        return FAR;
    slash = strrchr(path, '/');
    if (!slash)
        return dirfd == AT_FDCWD && cwd_class() == COW_DIR_PLAIN ? FAR : NEAR;
    len = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, len);
    dir[len] = 0;
    if (sys_statx(dirfd, dir, 0, &sx) < 0)
        return fails_alike(errno) ? FAILS : NEAR;
    if (sx.mask & STATX_MNT_ID) { /* the directory's own mount: a hint */
        obj->mask = STATX_MNT_ID;
        obj->mnt_id = sx.mnt_id;
    }
    if (!is_dir(&sx))
        return errno = ENOTDIR, FAILS; /* what the kernel meets there */
    return near_store(&sx) ? NEAR : FAR;
}

/* A store directory itself named as the last component, or the root of a
   mount of store entries (chmod /nix/store, from /nix). */
static int store_dir_itself(const struct cow_stat *obj)
{
    return (obj->mask & STATX_TYPE) && is_dir(obj) &&
           (cow_store_root(dev_of(obj), obj->ino) ||
            ((obj->attributes & STATX_ATTR_MOUNT_ROOT) && mount_kind(obj) == COW_MOUNT_ALL));
}

/* A link that leads outside the store is opened where its text leads,
   unless that is not what the kernel opens: a link in /proc (/dev/stdout,
   /dev/fd/N, a process substitution's /dev/fd/63) stands for an object
   its text cannot name ("pipe:[N]", a deleted file).  The kernel's own
   follow, as O_PATH, is compared by identity with the text's end; where
   they differ the object decides, and the call goes through the link.
   -1: they agree, or the kernel cannot follow it either. */
static int by_object(struct cow_place *pl, int dirfd, const char *path)
{
    struct stat obj, text;
    char target[PATH_MAX];
    int fd = sys_openat(dirfd, path, O_PATH | O_CLOEXEC, 0), in;

    if (fd < 0)
        return -1;
    if (sys_fstat(fd, &obj) == 0 && sys_fstatat(AT_FDCWD, pl->link.target, &text, 0) == 0 &&
        obj.st_dev == text.st_dev && obj.st_ino == text.st_ino) {
        sys_close(fd);
        return -1;
    }
    in = cow_fd_in_store(fd, target);
    sys_close(fd);
    pl->nofollow = 0;
    return in == 0 ? COW_PLAIN : in > 0 ? COW_INSIDE : COW_UNKNOWN;
}

/* Split path into its directory part (in dir) and last component (in
   pl->name_buf); 1 when the name is a directory as a whole (a trailing
   slash, ".", ".."): then dir is the whole path. */
static int split(const char *path, char dir[PATH_MAX], struct cow_place *pl)
{
    const char *slash = strrchr(path, '/'), *last = slash ? slash + 1 : path;

    strcpy(dir, path);
    if (whole_name(path, last))
        return 1;
    if (strlen(last) > NAME_MAX)
        return -1;
    strcpy(pl->name_buf, last);
    if (!slash)
        dir[0] = 0;
    else
        dir[slash == path ? 1 : slash - path] = 0;
    return 0;
}

/* A name with a trailing slash, split as a name in its directory: dir
   gets the directory part ("" for none), pl->name_buf the last component
   and one slash.  1: none to split ("/"); -1: ENAMETOOLONG. */
static int split_slash(const char *path, char dir[PATH_MAX], struct cow_place *pl)
{
    size_t len = strlen(path), start;

    while (len > 1 && path[len - 1] == '/')
        len--;
    for (start = len; start > 0 && path[start - 1] != '/'; start--)
        ;
    if (start == len)
        return 1;
    if (len - start > NAME_MAX)
        return -1;
    memcpy(pl->name_buf, path + start, len - start);
    strcpy(pl->name_buf + (len - start), "/");
    memcpy(dir, path, start);
    dir[start] = 0;
    return 0;
}

/* Is name (with a slash or not) one of the build's outputs, in dir? */
static int output_named(int dir, const char *name)
{
    char bare[NAME_MAX + 1];
    size_t len = strcspn(name, "/");

    if (!name[len])
        return cow_output_named(dir, name);
    if (len > NAME_MAX)
        return 0;
    memcpy(bare, name, len);
    bare[len] = 0;
    return cow_output_named(dir, bare);
}

/* Place (dirfd, path) for a call that does `how` (COW_* in cowlink.h):
   enum cow_kind, with pl->dir and pl->name where the name is.  The caller
   ends with cow_place_done. */
int cow_place(int dirfd, const char *path, int how, struct cow_place *pl)
{
    return cow_place_beside(dirfd, path, how, pl, NULL);
}

/* The same, for the second name of a call that takes two (rename, link):
   in the directory of the first, placed in beside (which the caller ends
   after this one), it is placed on the first's descriptor. */
int cow_place_beside(int dirfd, const char *path, int how, struct cow_place *pl,
                     const struct cow_place *beside)
{
    char dir[PATH_MAX];
    struct cow_stat obj;
    int follow = how & COW_FOLLOWS, whole, kind, class, far, here, looked = 0;

    pl->dir = dirfd;
    pl->own = 0;
    pl->name = pl->name_buf;
    pl->name_buf[0] = 0;
    pl->missing = 0;
    pl->dir_err = 0;
    pl->nofollow = 0;
    pl->link.target[0] = 0;
    pl->link.missing = 0;
    pl->link.at_dir = COW_NO_DIR;
    pl->resolve = 0;
    pl->shared = 0;
    pl->dir_plain = 0;
    pl->from = dirfd;
    pl->path = NULL;
    if (!path)
        return COW_PLAIN; /* the kernel's EFAULT */
    far = far_from_store(dirfd, path, follow, pl, &obj, beside);
    if (far == FAILS && (how & COW_AT) && may_change(errno)) {
        far = NEAR; /* a directory on the way may be made a link before
                       the call: placed in full, the call made there */
        looked = errno;
    }
    if (far == FAILS || !path[0] || (far == FAR && !(how & COW_AT)))
        return COW_PLAIN; /* an empty name fails in the kernel */
    far = far == FAR;
    if (far && (how & COW_RESOLVE)) {
        /* An open, made by the caller's name with no symlink allowed on
           the way (entries.c), opens the name looked at: nothing for it
           to be made on. */
        pl->resolve = 1;
        return COW_PLAIN;
    }
    whole = split(path, dir, pl);
    /* A call on a name with a trailing slash acts on the entry of its
       directory (the kernel's to judge, on a directory or not): placed
       as a name there, with its slash. */
    if (whole && !follow && (how & COW_AT) && path[strlen(path) - 1] == '/')
        whole = split_slash(path, dir, pl);
    /* A name with no directory part, relative to the working directory, is
       placed in "." opened as a descriptor and decided by it, so that
       another thread's chdir between the look and the call cannot move
       the call. */
    here = whole == 0 && !dir[0] && dirfd == AT_FDCWD && (how & COW_AT);
    if (here)
        strcpy(dir, ".");
    if (whole < 0 || (far && !whole && !dir[0])) {
        /* ENAMETOOLONG; or a name in the caller's directory descriptor,
           which nothing can swap: the call is made there, following no
           link (none was there) */
        pl->nofollow = follow && whole == 0;
        return COW_PLAIN;
    }
    if (far) {
        /* The call is to act on the directory as it is now (the caller
           makes it with the *at form on pl->dir): opened without a
           symlink on the way, it is the directory we looked at (or the
           one the name beside it was placed in). */
        pl->shared = same_dir(beside, dirfd, path);
        pl->dir = pl->shared ? beside->dir
                             : sys_open_no_symlinks(dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pl->dir >= 0) {
            pl->own = !pl->shared;
            pl->nofollow = follow && !whole; /* the name was no link to follow */
            if (pl->shared && beside->dir_plain)
                pl->dir_plain = 1;
            else if (here) /* decided by the descriptor, not by the look */
                pl->dir_plain = cow_dir_class(pl->dir) == COW_DIR_PLAIN;
            else
                pl->dir_plain = pl->missing || dir_far_too(&obj);
            if (!here || pl->dir_plain) {
                if (!(how & COW_TARGET))
                    pl->path = path; /* the caller's: a name may be placed beside it */
                return COW_PLAIN;
            }
            /* the working directory changed meanwhile: placed in full */
            pl->shared = 0;
        } else {
            pl->dir = dirfd;
            if (table_full(errno))
                return no_fd(pl, dirfd, errno, looked);
            if (fails_alike(errno) && errno != ELOOP)
                return dir_fails(pl, dirfd, errno);
            if (errno != ELOOP && errno != ENOSYS && errno != EPERM && errno != EXDEV &&
                errno != EAGAIN && errno != E2BIG)
                return COW_PLAIN; /* fails alike, or no descriptor: the call by its path */
            /* a symlink on the way now, or no openat2: placed in full */
        }
    }
    if (dir[0] && !pl->own) {
        pl->dir = open_dir(dirfd, dir);
        if (pl->dir < 0 && table_full(errno)) {
            return no_fd(pl, dirfd, errno, looked);
        } else if (pl->dir < 0 && !whole && (how & COW_AT) && fails_alike(errno)) {
            return dir_fails(pl, dirfd, errno);
        } else if (pl->dir < 0 && whole && (how & COW_AT) && fails_alike(errno)) {
            /* A name that is a directory as a whole, which the kernel's
               lookup does not find as one, for a call that follows it:
               that lookup's error, the call made nowhere (not by the
               caller's path); a create with a slash meets EISDIR once
               its directory is there. */
            int err = errno;
            if (!(how & COW_CREAT) || split_slash(path, dir, pl))
                return dir_fails(pl, dirfd, err);
            pl->dir = open_dir(dirfd, dir[0] ? dir : ".");
            if (pl->dir < 0 && table_full(errno))
                return no_fd(pl, dirfd, errno, looked);
            if (pl->dir < 0)
                return fails_alike(errno) ? dir_fails(pl, dirfd, errno)
                                          : (pl->dir = dirfd, COW_UNKNOWN);
            sys_close(pl->dir);
            return dir_fails(pl, dirfd, EISDIR);
        } else if (pl->dir < 0) {
            pl->dir = dirfd;
            return fails_alike(errno) ? COW_PLAIN : COW_UNKNOWN;
        } else {
            pl->own = 1;
        }
    }
    if (!whole && follow && (obj.mask & STATX_TYPE) && S_ISLNK(obj.mode)) {
        /* The last component is a symlink the call follows: where it
           leads decides (classify.c), the directory holding it refuses
           a link that lies in the store. */
        if (how & COW_TARGET)
            return COW_UNKNOWN; /* a link where one was just resolved: a race */
        kind = cow_classify(dirfd, path, 1, &pl->link);
        if (kind == COW_LINK && (class = dir_class(pl->dir)) != COW_DIR_PLAIN)
            kind = class == COW_DIR_UNKNOWN ? COW_UNKNOWN : COW_INSIDE;
        if (kind != COW_PLAIN || !(how & COW_AT))
            return kind;
        if (pl->link.followed != 2) {
            /* no longer a link: none may be followed there; or a link the
               kernel fails to follow too (classify.c) */
            pl->nofollow = follow && !pl->link.followed;
            return kind;
        }
        if ((kind = by_object(pl, dirfd, path)) >= 0)
            return kind;
        /* A link that leads outside the store: the call is made on where
           it leads, placed in turn (canonical: no link on the way), not
           through the link, which could lead elsewhere by then. */
        strcpy(dir, pl->link.target);
        cow_place_done(pl);
        return cow_place(AT_FDCWD, dir, how | COW_TARGET, pl);
    }
    if (!whole && store_dir_itself(&obj))
        class = COW_DIR_STORE_RO;
    else if (!whole && output_named(pl->dir, pl->name)) /* mkdir $out from the store directory */
        class = COW_DIR_PLAIN;
    else if (!whole && !here && pl->dir != AT_FDCWD && mount_known(&obj))
        class = class_on(pl->dir, obj.mnt_id);
    else
        class = dir_class(pl->dir);
    kind = decide(class);
    pl->nofollow = follow && !whole;
    if (kind != COW_PLAIN) {
        struct stat st;
        name_for_messages(pl);
        pl->link.missing = pl->missing =
            sys_fstatat(pl->dir, pl->name[0] ? pl->name : ".", &st, AT_SYMLINK_NOFOLLOW) < 0;
        pl->link.at_dir = pl->dir;
        pl->link.at_name = pl->name;
    }
    return kind;
}

void cow_place_done(struct cow_place *pl)
{
    if (pl->own && pl->dir >= 0)
        sys_close(pl->dir);
    pl->own = 0;
    pl->shared = 0;
}

/* What the object open as fd (AT_FDCWD: the working directory) is: 1 a
   store entry (not an output), 0 not, -1 cannot tell.  A directory is
   classed as such; a file by the directory that holds it, found by the
   kernel's name for the descriptor and checked to hold that very file.
   target gets the kernel's name, for messages. */
int cow_fd_in_store(int fd, char target[PATH_MAX])
{
    struct cow_stat sx, again;
    char *slash;
    int dir, class;

    target[0] = 0;
    if (sys_statx(fd, "", AT_EMPTY_PATH, &sx) < 0)
        return errno == EBADF ? 0 : -1; /* EBADF: the call's own error */
    /* A regular file in a store never has a write bit (Nix makes every
       file of a store path 0444 or 0555). */
    if ((S_ISREG(sx.mode) && (sx.mode & S_IWUSR)) || !near_store(&sx))
        return 0;
    if (is_dir(&sx)) {
        class = dir_class(fd);
        if (cow_dir_path(fd, target))
            strcpy(target, "(unknown)");
        return class == COW_DIR_PLAIN ? 0 : class == COW_DIR_UNKNOWN ? -1 : 1;
    }
    if (cow_dir_path(fd, target) || target[0] != '/') {
        strcpy(target, "(unknown)");
        return -1;
    }
    slash = strrchr(target, '/');
    *slash = 0;
    dir = sys_openat(AT_FDCWD, target[0] ? target : "/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    *slash = '/';
    if (dir < 0)
        return -1;
    class = sys_statx(dir, slash + 1, AT_SYMLINK_NOFOLLOW, &again) == 0 &&
                    again.ino == sx.ino && again.dev_major == sx.dev_major &&
                    again.dev_minor == sx.dev_minor
                ? cow_dir_class(dir)
                : COW_DIR_UNKNOWN;
    sys_close(dir);
    return class == COW_DIR_PLAIN ? 0 : class == COW_DIR_UNKNOWN ? -1 : 1;
}
