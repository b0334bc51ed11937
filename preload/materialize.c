/* How a store link is materialized.
 *
 * Under an exclusive lock on the link's directory (flock, which threads
 * and processes alike respect, so two writers never each make a copy and
 * lose one's writes), check the link again, build a private file beside
 * it -- the content unless the caller truncates anyway, the target's mode
 * plus owner write, its times -- and rename it over the link.  Until that
 * rename nothing visible has changed, so a failure only has to remove the
 * temporary file.  The store file is only ever opened for reading.
 */
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include "cowlink.h"
#include "sys.h"

struct job {
    const char *op, *path;
    int dirfd, how;
    mode_t create_mode;
    struct cow_held dir; /* the link's directory, open and locked */
    const char *name;    /* the link's name in it */
    struct cow_link link;
    char text[PATH_MAX]; /* the link's own text, to know it again */
    long text_len;
    struct stat st;      /* of the store file */
    int src, tmp;
    char tmp_name[64];   /* empty while the temporary file has no name */
    int method;          /* index into cow_method_name, or -1: no copy */
    unsigned long long bytes;
    const char *step;    /* what was being done, for the error message */
    int replaced;        /* someone replaced the link while we copied */
};

/* The mode a file created through a dangling link must end with, when it
   lacks the owner write bit the caller's own open needs (open() of a new
   file ignores its mode; a reopen of an existing one does not). */
static __thread __attribute__((tls_model("initial-exec"))) struct {
    int pending;
    mode_t mode;
    dev_t dev;
    ino_t ino;
} restore;

static int fail(struct job *j, const char *step)
{
    j->step = step;
    return errno ? errno : EIO;
}

static int open_dir(struct job *j)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(j->path, '/');
    size_t len;
    int err;

    if (!slash) {
        strcpy(dir, ".");
        j->name = j->path;
    } else {
        len = slash == j->path ? 1 : (size_t)(slash - j->path);
        memcpy(dir, j->path, len);
        dir[len] = 0;
        j->name = slash + 1;
    }
    if ((err = cow_dir_lock(j->dirfd, dir, &j->dir))) {
        errno = err;
        return fail(j, j->dir.fd < 0 ? "opening its directory" : "locking its directory");
    }
    return 0;
}

/* A name no other process or thread of ours will pick at the same time. */
static void temp_name(char out[64])
{
    static unsigned counter;
    char num[24];

    strcpy(out, ".cowlink-");
    strcat(out, cow_num(num, (unsigned long long)syscall(SYS_getpid)));
    strcat(out, "-");
    strcat(out, cow_num(num, __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED)));
}

/* An unnamed file (O_TMPFILE) leaves nothing behind if we are killed while
   copying; filesystems without it get a named one. */
static int make_temp(struct job *j, mode_t mode)
{
    j->tmp = sys_openat(j->dir.fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (j->tmp >= 0)
        return 0;
    for (int tries = 0; tries < 100; tries++) {
        temp_name(j->tmp_name);
        j->tmp = sys_openat(j->dir.fd, j->tmp_name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                            mode);
        if (j->tmp >= 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    j->tmp_name[0] = 0;
    return fail(j, "creating a temporary file beside it");
}

/* Predict, then act: an O_DIRECT open fails with EINVAL where the file
   system refuses O_DIRECT, after the link would be gone.  Ask the
   temporary file first (and give it back its flags for the copy). */
static int accepts_direct(struct job *j)
{
    long flags;

    if (!(j->how & COW_DIRECT))
        return 0;
    flags = syscall(SYS_fcntl, j->tmp, F_GETFL);
    if (flags < 0 || syscall(SYS_fcntl, j->tmp, F_SETFL, flags | O_DIRECT) < 0 ||
        syscall(SYS_fcntl, j->tmp, F_SETFL, flags) < 0)
        return fail(j, "opening it with O_DIRECT, as the caller does");
    return 0;
}

static int fill(struct job *j)
{
    struct timespec times[2] = {j->st.st_atim, j->st.st_mtim};
    int err;

    if (!(j->how & COW_TRUNC)) {
        err = cow_copy(j->src, j->tmp, &j->method, &j->bytes);
        if (err) {
            errno = err;
            return fail(j, "copying");
        }
    }
    if (syscall(SYS_fchmod, j->tmp, (j->st.st_mode & 0777) | S_IWUSR) < 0)
        return fail(j, "setting its mode");
    if (syscall(SYS_utimensat, j->tmp, NULL, times, 0) < 0)
        return fail(j, "setting its times");
    return 0;
}

/* Give an O_TMPFILE file a name (through /proc, or AT_EMPTY_PATH where
   /proc is missing and we may). */
static int name_temp(struct job *j)
{
    char proc[40] = "/proc/self/fd/", num[24];
    long r;

    strcat(proc, cow_num(num, (unsigned long long)j->tmp));
    for (int tries = 0; !j->tmp_name[0] && tries < 100; tries++) {
        temp_name(j->tmp_name);
        r = syscall(SYS_linkat, AT_FDCWD, proc, j->dir.fd, j->tmp_name, AT_SYMLINK_FOLLOW);
        if (r < 0 && errno == ENOENT)
            r = syscall(SYS_linkat, j->tmp, "", j->dir.fd, j->tmp_name, AT_EMPTY_PATH);
        if (r == 0)
            break;
        j->tmp_name[0] = 0;
        if (errno != EEXIST)
            return fail(j, "naming the temporary file");
    }
    return 0;
}

/* Is the entry `name` still the link we copied? */
static int still_the_link(const struct job *j, const char *name)
{
    char now[PATH_MAX];
    long got = sys_readlinkat(j->dir.fd, name, now, sizeof now);

    return got == j->text_len && memcmp(now, j->text, (size_t)got) == 0;
}

/* Swap the private file in for the link.  A program that does not use
   cowlink may have replaced the link while we copied: exchange the two
   names, check that what came out is our link, and give it back if not. */
static int publish(struct job *j)
{
    int err = name_temp(j);

    if (err)
        return err;
    if (sys_renameat2(j->dir.fd, j->tmp_name, j->dir.fd, j->name, RENAME_EXCHANGE) < 0) {
        if (errno == ENOENT) { /* removed meanwhile: look again */
            j->replaced = 1;
            return 0;
        }
        if (errno != EINVAL && errno != ENOSYS)
            return fail(j, "renaming it over the link");
        /* No exchange on this file system: check just before renaming. */
        if (!still_the_link(j, j->name)) {
            j->replaced = 1;
            return 0;
        }
        if (sys_renameat(j->dir.fd, j->tmp_name, j->dir.fd, j->name) < 0)
            return fail(j, "renaming it over the link");
        j->tmp_name[0] = 0; /* it is the link's name now */
        return 0;
    }
    if (still_the_link(j, j->tmp_name)) {
        sys_unlinkat(j->dir.fd, j->tmp_name, 0); /* the old link */
        j->tmp_name[0] = 0;
        return 0;
    }
    if (sys_renameat2(j->dir.fd, j->tmp_name, j->dir.fd, j->name, RENAME_EXCHANGE) < 0) {
        j->tmp_name[0] = 0; /* theirs now: never remove it */
        return fail(j, "giving back a file that replaced the link meanwhile");
    }
    j->replaced = 1;
    return 0;
}

/* A file created through a dangling link, with the caller's mode. */
static int create(struct job *j)
{
    struct stat st;
    int err;

    if ((err = make_temp(j, j->create_mode & 07777)) || (err = accepts_direct(j)))
        return err;
    j->how |= COW_TRUNC;
    if (sys_fstat(j->tmp, &st) < 0)
        return fail(j, "creating a temporary file beside it");
    if (!(st.st_mode & S_IWUSR)) {
        if (syscall(SYS_fchmod, j->tmp, (st.st_mode & 07777) | S_IWUSR) < 0)
            return fail(j, "setting its mode");
        restore.pending = 1;
        restore.mode = st.st_mode & 07777;
        restore.dev = st.st_dev;
        restore.ino = st.st_ino;
    }
    return publish(j);
}

/* Is the directory we hold (and locked) in a store?  Without /proc, it
   must at least be the directory the path names now. */
static int held_in_store(struct job *j)
{
    char target[PATH_MAX], dir[PATH_MAX];
    struct stat held, now;
    int in = cow_fd_in_store(j->dir.fd, target);
    size_t len = (size_t)(j->name - j->path);

    if (in >= 0)
        return in;
    if (len == 0)
        strcpy(dir, ".");
    else {
        memcpy(dir, j->path, len);
        dir[len] = 0;
    }
    return sys_fstat(j->dir.fd, &held) < 0 || sys_fstatat(j->dirfd, dir, &now, 0) < 0 ||
           held.st_dev != now.st_dev || held.st_ino != now.st_ino;
}

static int build(struct job *j)
{
    int err;

    if ((err = open_dir(j)))
        return err;
    /* Everything below acts on the directory we hold, which the path may
       no longer name: a directory swapped for a link to a store directory
       before we opened it, and back before we look again, would otherwise
       receive our temporary file and lose a store entry to the swap. */
    if (held_in_store(j)) {
        errno = EROFS;
        return fail(j, "its directory, as opened, is in the store");
    }
    /* Another thread or process may have done it while we waited, or
       made the name something we must not touch. */
    switch (cow_classify(j->dirfd, j->path, 1, &j->link)) {
    case COW_PLAIN:
        return 0;
    case COW_LINK:
        break;
    default:
        errno = EROFS;
        return fail(j, "the name now leads into the store through a directory");
    }
    j->text_len = sys_readlinkat(j->dir.fd, j->name, j->text, sizeof j->text);
    if (j->text_len < 0 && (errno == ENOENT || errno == EINVAL)) {
        j->replaced = 1; /* removed, or replaced by a file, since we looked: look again */
        return 0;
    }
    if (j->text_len <= 0 || j->text_len >= (long)sizeof j->text)
        return fail(j, "reading the link");
    if (j->link.missing)
        return (j->how & COW_CREAT) ? create(j) : 0;
    j->src = sys_openat(AT_FDCWD, j->link.target, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
    if (j->src < 0 || sys_fstat(j->src, &j->st) < 0)
        return fail(j, "opening the store file");
    if (!S_ISREG(j->st.st_mode)) {
        errno = EROFS;
        return fail(j, "it is not a regular file, and only files can be made private");
    }
    if ((err = make_temp(j, 0600)) || (err = accepts_direct(j)) || (err = fill(j)) ||
        (err = publish(j)))
        return err;
    return 0;
}

static void report(const struct job *j)
{
    char abs[PATH_MAX];
    const char *event = j->link.missing ? "create" : (j->how & COW_TRUNC) ? "empty" : "copy";

    if (!cow_logging())
        return;
    if (cow_abs_path(j->dirfd, j->path, abs))
        strcpy(abs, j->path);
    cow_event(event, j->op, abs, j->link.target, j->bytes,
              j->method >= 0 ? cow_method_name[j->method] : "none");
}

/* One attempt; its temporary file and descriptors are gone afterwards. */
static int attempt(struct job *j)
{
    int err = build(j);

    if (j->tmp_name[0])
        sys_unlinkat(j->dir.fd, j->tmp_name, 0);
    if (j->tmp >= 0) {
        sys_close(j->tmp);
        if (!err && !j->replaced)
            report(j);
    }
    if (j->src >= 0)
        sys_close(j->src);
    cow_dir_unlock(&j->dir); /* releases the lock */
    return err;
}

/* Replace the store link (dirfd, path) by a private file.  how says what
   the caller is about to do (COW_* in cowlink.h); target is the store
   entry it was seen to lead to, for messages.  Returns 0 when done or when
   there was nothing to do, else the errno of what failed, after one line
   on stderr. */
int cow_materialize(const char *op, int dirfd, const char *path, int how,
                    mode_t create_mode)
{
    struct cow_signals held;
    struct job j;
    char why[64];
    int err, stops = 0;

    for (int tries = 0; tries < 10; tries++) {
        j = (struct job){.op = op, .path = path, .dirfd = dirfd, .how = how,
                         .create_mode = create_mode, .dir = {-1, -1}, .src = -1, .tmp = -1,
                         .method = -1};
        /* No handler runs while the directory is locked (signals.c); a
           copy stops for one at most 3 times, then goes to its end. */
        cow_signals_hold(&held, stops < 3);
        err = attempt(&j);
        cow_signals_release(&held); /* a pending handler runs here */
        if (err == EINTR && j.method >= 0 && stops++ < 3) {
            tries--; /* stopped for a signal: nothing changed, again */
            continue;
        }
        if (err || !j.replaced)
            break;
    }
    if (!err && j.replaced) {
        errno = EAGAIN;
        err = fail(&j, "the link kept being replaced by another program");
    }
    if (err && !j.link.target[0]) /* failed before it looked again */
        cow_classify(dirfd, path, 1, &j.link);
    if (err)
        cow_say("cannot replace ", path, " by a private copy of ",
                j.link.target[0] ? j.link.target : "a store file", ": ", j.step, ": ",
                cow_strerror(err, why), (char *)0);
    return err;
}

/* After the caller's open of a file created through a dangling link: give
   it the mode the caller asked for. */
void cow_after_open(int fd)
{
    struct stat st;

    if (!restore.pending)
        return;
    restore.pending = 0;
    if (fd >= 0 && sys_fstat(fd, &st) == 0 && st.st_dev == restore.dev &&
        st.st_ino == restore.ino)
        syscall(SYS_fchmod, fd, restore.mode);
}
