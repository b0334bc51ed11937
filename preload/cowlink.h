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

#include <fcntl.h>
#include <limits.h>
#include <sys/types.h>

/* What a call is about to do through a path (see hooks.c). */
enum {
    COW_WRITE = 1, /* writes data or metadata: the content must survive */
    COW_TRUNC = 2, /* truncates to zero anyway: no copy needed */
    COW_CREAT = 4, /* creates the file when the link dangles */
    COW_META  = 8, /* changes mode, owner or times (for error prediction) */
    COW_TIMES_NOW = 16, /* sets times to "now" (different permission rule) */
};

/* config.c */
int cow_enabled(void);             /* COWLINK is not 0 */
int cow_logging(void);             /* events go somewhere */
int cow_verbose(void);
const char *cow_log_path(void);    /* NULL when COWLINK_LOG is unset */
int cow_in_store(const char *canonical_path);

/* classify.c */
struct cow_link {
    char target[PATH_MAX]; /* canonical path of the file the link leads to */
    int missing;           /* the target does not exist (dangling link) */
};
int cow_resolve(const char *abs_path, char out[PATH_MAX], int *missing);
int cow_dir_path(int dirfd, char out[PATH_MAX]);
int cow_abs_path(int dirfd, const char *path, char out[PATH_MAX]);
int cow_classify(int dirfd, const char *path, struct cow_link *link);

/* copy.c */
enum { COW_REFLINK, COW_COPY_RANGE, COW_SENDFILE, COW_READ_WRITE, COW_METHODS };
extern const char *const cow_method_name[COW_METHODS];
#define COW_UNUSABLE (-1) /* the method does not work here: try the next */
int cow_copy_by(int method, int in, int out, unsigned long long *bytes);
int cow_copy(int in, int out, int *method, unsigned long long *bytes);

/* materialize.c */
int cow_materialize(const char *op, int dirfd, const char *path, int how,
                    mode_t create_mode);

/* hooks.c: the policies the entry points in entries.c apply */
int cow_fopen_how(const char *mode);
int cow_before_write(const char *op, int dirfd, const char *path, int how,
                     mode_t create_mode);
int cow_hides_write(int dirfd, const char *path, int follow, unsigned mode);
int cow_access_granted(int dirfd, const char *path, int amode, int flags);
struct cow_seen {
    int linked;
    char path[PATH_MAX];
    char target[PATH_MAX];
};
void cow_observe_before(struct cow_seen *seen, int dirfd, const char *path);
void cow_observe_after(const struct cow_seen *seen, const char *op, int result);

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

    if (flags & (O_PATH | O_NOFOLLOW))
        return 0; /* the link itself, or ELOOP: normal semantics */
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return 0; /* the path is a directory */
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        return 0; /* the kernel never follows a link here: EEXIST */
    if ((flags & O_ACCMODE) != O_RDONLY)
        how |= COW_WRITE;
    if (flags & O_TRUNC)
        how |= COW_TRUNC;
    if (flags & O_CREAT)
        how |= COW_CREAT; /* even read-only: it would create in the store */
    return how;
}

#endif
