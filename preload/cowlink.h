/* cowlink: what the parts of the library say to each other.
 *
 * A "store link" is a path whose last component is a symlink (or a chain of
 * them) that resolves to a file inside one of the configured store
 * directories.  cowlink makes such a path look writable and, at the first
 * write, swaps the link for a private copy of the file.  Nothing inside a
 * store is ever opened for writing.
 */
#ifndef COWLINK_H
#define COWLINK_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

/* What a call is about to do through a path (see hooks.c).  The first
   five follow a link in the last component; the others do not. */
enum {
    COW_WRITE = 1,      /* writes data or metadata: the content must survive */
    COW_TRUNC = 2,      /* truncates to zero anyway: no copy needed */
    COW_CREAT = 4,      /* creates the file when the link dangles */
    COW_META  = 8,      /* changes mode, owner, times or xattrs */
    COW_WRITE_PERM = 16, /* needs write permission, not ownership (times set
                           to now, extended attributes) */
    COW_NOOP = 32,      /* changes nothing (chown -1 -1, UTIME_OMIT twice) */
    COW_HARDLINK = 64,  /* gives what the path leads to another name */
    COW_NAME = 128,     /* creates, removes or renames the name itself */
    COW_FD_EMPTY = 256, /* an empty path means the directory fd itself */
    COW_DIRECT = 512,   /* O_DIRECT: the private file must accept it too */
    COW_OPENS = 1024,   /* opens a descriptor: a full table fails it first */
    COW_EXCL = 2048,    /* creates the name: EEXIST when it exists */
    COW_EXISTS = 4096,  /* removes or renames the name: ENOENT when missing */
    COW_AT = 8192,      /* the call is made on the placed name (the *at form
                           on cowlink's descriptor of its directory) */
    COW_TARGET = 16384, /* placing where a link leads: no link may be there */
    COW_RESOLVE = 32768, /* the caller can make its open with openat2 and
                            RESOLVE_NO_SYMLINKS, by its own name */
};
#define COW_FAILS(err) ((err) << 16) /* the call fails with err anyway */
#define COW_FAILED(how) ((how) >> 16)
#define COW_DONE (-1) /* cow_before_write: the call succeeded already */
#define COW_FOLLOWS (COW_WRITE | COW_TRUNC | COW_CREAT | COW_META | COW_NOOP | COW_HARDLINK)

/* config.c */
int cow_enabled(void);             /* COWLINK is not 0 */
int cow_logging(void);             /* events go somewhere */
int cow_verbose(void);
const char *cow_log_path(void);    /* NULL when COWLINK_LOG is unset */
int cow_in_store(const char *canonical_path); /* the build's outputs are not */
const char *cow_outputs_list(void); /* them, colon-separated; NULL: none known */
const char *cow_outputs_origin(void); /* where they came from; NULL: none known */

/* outputs.c: the outputs Nix's environment names, each given to add */
const char *cow_outputs_from_nix(void (*add)(const char *path, size_t len));
int cow_store_device(dev_t dev);   /* some store lives on this device */
int cow_store_root(dev_t dev, ino_t ino); /* a store directory itself */
int cow_holds_store(unsigned long long mnt_id); /* its tree holds a store directory below its root */
const char *cow_store_prefix(int i, int canonical); /* NULL past the last */
enum { COW_MOUNT_UNLISTED = -1, COW_MOUNT_NONE, COW_MOUNT_SOME, COW_MOUNT_ALL };
int cow_mount_kind(unsigned long long mnt_id); /* does the mount show store entries? */
int cow_mounts_complete(void);     /* the mount table was read whole */
int cow_store_by_view(unsigned long long mnt_id, const char *dir);
int cow_stores_unsure(void);       /* the store directories could not be kept */
int cow_stores_layered(void);      /* a store's files may show another device */
int cow_output_named(int dir, const char *name); /* an output, in dir */
#define COW_MAX_OUTPUTS 16
int cow_output_ids(dev_t dev[], ino_t ino[]);

/* classify.c: what a path is to cowlink */
enum cow_kind {
    COW_PLAIN,   /* no store behind it, or a store file named directly */
    COW_LINK,    /* its last component is a link, outside any store, to a
                    store entry: a write can make it private */
    COW_INSIDE,  /* the name lives in a store and was reached through a
                    symlink: nothing can be made private, writes are refused */
    COW_UNKNOWN, /* symlinks on the way that could not be followed (no /proc,
                    a path too long): refused, never passed */
    COW_STORE,   /* a store entry named directly while the build's own
                    outputs are known (COWLINK_OUTPUTS), and not one of
                    them: writes are refused */
    COW_DIR_FAILS, /* the name's directory cannot be looked up, as the
                    kernel's lookup cannot (ENOENT, ENOTDIR, EACCES...):
                    the call fails with that error (dir_err), made
                    nowhere, not by its path, where a link could be put
                    meanwhile */
    COW_NO_FD,   /* no descriptor left to place the name by (EMFILE,
                    ENFILE: dir_err): refused with that error, not made
                    by the caller's path */
};
struct cow_link {
    char target[PATH_MAX]; /* canonical path of what the path names */
    int missing;           /* it does not exist (a dangling link) */
    int followed;          /* cow_classify found a link in the last
                              component: 1, 2 when target is where it leads */
    int at_dir;            /* or, placed by descriptor (place.c): its
                              directory, COW_NO_DIR when not */
    const char *at_name;   /* and its last component there */
};
#define COW_NO_DIR (-1)
int cow_resolve(const char *abs_path, char out[PATH_MAX], int *missing);
int cow_dir_path(int dirfd, char out[PATH_MAX]);
int cow_abs_path(int dirfd, const char *path, char out[PATH_MAX]);
int cow_classify(int dirfd, const char *path, int follow, struct cow_link *link);
void cow_lexical(const char *in, char out[PATH_MAX]);

/* place.c: where a name lies, by descriptor and identity */
enum { COW_DIR_PLAIN, COW_DIR_STORE_RW, COW_DIR_STORE_RO, COW_DIR_UNKNOWN };
struct cow_place {
    int dir;          /* the directory holding the name: cowlink's O_PATH
                         descriptor (own), or the caller's dirfd */
    int own;
    const char *name; /* the last component; "" for the directory itself */
    char name_buf[NAME_MAX + 2]; /* a component, and a trailing slash */
    int missing;      /* the name does not exist */
    int dir_err;      /* COW_DIR_FAILS, COW_NO_FD: the error */
    int nofollow;     /* no link was there: an open on it adds O_NOFOLLOW */
    int resolve;      /* far from any store, asked with COW_RESOLVE: the open
                         is made by the caller's own name, with no symlink
                         allowed on the way (the name looked at) */
    int shared;       /* dir is the descriptor of the name placed beside
                         this one (cow_place_beside), not ours to close */
    int dir_plain;    /* dir is known to lie outside every store */
    int from;         /* the caller's dirfd and name, for a name placed */
    const char *path; /* beside this one; path NULL: none may be */
    struct cow_link link; /* where it leads (a link), or its path: messages */
};
int cow_place(int dirfd, const char *path, int how, struct cow_place *pl);
int cow_place_beside(int dirfd, const char *path, int how, struct cow_place *pl,
                     const struct cow_place *beside);
void cow_place_done(struct cow_place *pl);
int cow_dir_class(int fd);
int cow_fd_in_store(int fd, char target[PATH_MAX]); /* 1, 0, or -1: cannot tell */
void cow_cwd_changing(void);       /* a chdir is about to run */
void cow_cwd_changed(void);        /* and ran */

/* copy.c */
enum { COW_REFLINK, COW_COPY_RANGE, COW_SENDFILE, COW_READ_WRITE, COW_METHODS };
extern const char *const cow_method_name[COW_METHODS];
#define COW_UNUSABLE (-1) /* the method does not work here: try the next */
int cow_copy_by(int method, int in, int out, unsigned long long *bytes);
int cow_copy(int in, int out, int *method, unsigned long long *bytes);

/* lock.c */
struct cow_held {
    int fd, slot;
    int locked; /* this descriptor holds the flock (not a nested one) */
    long pid;   /* the process that took it */
};
int cow_dir_lock(int dirfd, const char *dir, struct cow_held *h);
void cow_dir_unlock(struct cow_held *h);

/* materialize.c */
int cow_materialize(const char *op, int dirfd, const char *path, int how,
                    mode_t create_mode);
void cow_after_open(int fd);

/* views.c: the name each descriptor was opened by, read-only */
#define COW_NAME_KEPT 256 /* longer names are not noted */
void cow_view_note(int fd, int dirfd, const char *path);
void cow_view_forget(int fd);
int cow_view_name(int fd, int *dirfd, char name[COW_NAME_KEPT]);

/* hooks.c: the policies the entry points in entries.c apply */
int cow_fopen_how(const char *mode);
int cow_fopen_flags(const char *mode); /* open's flags, or -1 */
const char *cow_fdopen_mode(int flags);
int cow_chown_how(uid_t uid, gid_t gid);
int cow_timespec_how(const struct timespec t[2]);
int cow_timeval_how(const struct timeval t[2]);
int cow_before_write(const char *op, int dirfd, const char *path, int how,
                     mode_t create_mode);
int cow_before_write_at(const char *op, int dirfd, const char *path, int how,
                        mode_t create_mode, struct cow_place *pl);
int cow_before_write_beside(const char *op, int dirfd, const char *path, int how,
                            mode_t create_mode, struct cow_place *pl,
                            const struct cow_place *beside);
void cow_place_release(struct cow_place *pl); /* cow_place_done, errno kept */
#define COW_PROC_NAME (40 + NAME_MAX + 2)
const char *cow_proc_name(const struct cow_place *pl, char buf[COW_PROC_NAME]);
const char *cow_proc_fd(int fd, char buf[COW_PROC_NAME]);
int cow_before_fd(const char *op, int fd, int how);
int cow_before_ioctl(int fd, unsigned long req);
int cow_hides_write(int dirfd, const char *path, int follow, unsigned mode);
int cow_fd_hides_write(int fd, unsigned mode, dev_t dev, ino_t ino);
void cow_opened(int dirfd, const char *path, int fd, int for_writing);
int cow_access_granted(int dirfd, const char *path, int amode, int flags);
struct cow_seen {
    int linked;
    char path[PATH_MAX];
    char target[PATH_MAX];
};
void cow_observe_before(struct cow_seen *seen, int dirfd, const char *path);
void cow_observe_after(const struct cow_seen *seen, const char *op, int result);

/* children.c: the environment passed to the programs this one starts */
struct cow_env {
    void *map; /* a mapping of our own, when the arena is too small */
    size_t map_len;
    _Alignas(sizeof(char *)) char arena[8192];
};
char *const *cow_child_env(char *const *envp, struct cow_env *e); /* NULL: ENOMEM */
void cow_child_env_done(struct cow_env *e);
/* Does an LD_PRELOAD entry (len bytes) name file, $PLATFORM expanded? */
int cow_preload_names(const char *entry, size_t len, const char *file);

/* handles.c: open_by_handle_at */
struct file_handle;
int cow_before_handle(int mount_fd, struct file_handle *handle, int flags);

/* temps.c: the mkstemp family, made on the placed name */
typedef int (*cow_temp_create)(int dir, const char *name, int flags);
int cow_temp_file(int dir, const char *name, int flags); /* O_EXCL, 0600: a descriptor */
int cow_temp_dir(int dir, const char *name, int flags);  /* mkdirat 0700: 0 */
char *cow_temp_xs(char *tmpl, int suffixlen);            /* its X's; NULL: EINVAL */
int cow_temp_make(int dir, char *name, char *x, int flags, cow_temp_create create);
int cow_mktemp(const char *op, char *tmpl, int suffixlen, int flags, cow_temp_create create);

/* signals.c: asynchronous signals held off around what a handler could
   abandon or wait on */
struct cow_signals {
    unsigned long long saved; /* the caller's mask */
    const unsigned long long *outer;
};
void cow_signals_hold(struct cow_signals *s, int stop_for_them);
void cow_signals_release(struct cow_signals *s);
int cow_signals_waiting(void);

/* log.c */
void cow_say(const char *first, ...);      /* one line on stderr */
void cow_event(const char *event, const char *op, const char *path,
               const char *target, unsigned long long bytes,
               const char *method);
const char *cow_num(char buf[24], unsigned long long n);
const char *cow_strerror(int err, char buf[64]);

/* What an open with these flags would do through a link.  Inline: every
   open of the process asks, and almost all answer 0 at the first test. */
static inline int cow_open_how(int flags)
{
    int how = 0;

    if (flags & O_PATH)
        return 0; /* opens nothing for reading or writing */
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return 0; /* unnamed; the linkat that would name it is checked */
    if ((flags & O_ACCMODE) != O_RDONLY)
        how |= COW_WRITE;
    if (flags & O_TRUNC)
        how |= COW_TRUNC;
    if (flags & O_CREAT)
        how |= COW_CREAT; /* even read-only: it would create in the store */
    /* Predict, then act: the kernel refuses to write or truncate what
       O_DIRECTORY opens (ENOTDIR on a file, EISDIR on a directory, EINVAL
       with O_CREAT) before touching it, so there is nothing to copy. */
    if (how && (flags & O_DIRECTORY))
        return (flags & O_CREAT) ? COW_CREAT | COW_FAILS(EINVAL) : 0;
    if (how && (flags & O_DIRECT))
        how |= COW_DIRECT;
    if (how)
        how |= COW_OPENS;
    /* O_NOFOLLOW fails with ELOOP on a link, and O_CREAT|O_EXCL never
       follows one: only the directory holding the name matters. */
    if (how && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        return COW_NAME | COW_EXCL;
    if (how && (flags & O_NOFOLLOW))
        return COW_NAME;
    return how;
}

#endif
