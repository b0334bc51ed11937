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
    int dir;             /* the link's directory, locked */
    const char *name;    /* the link's name in it */
    struct cow_link link;
    struct stat st;      /* of the store file */
    int src, tmp;
    char tmp_name[64];   /* empty while the temporary file has no name */
    int method;          /* index into cow_method_name, or -1: no copy */
    unsigned long long bytes;
    const char *step;    /* what was being done, for the error message */
};

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

    if (!slash) {
        strcpy(dir, ".");
        j->name = j->path;
    } else {
        len = slash == j->path ? 1 : (size_t)(slash - j->path);
        memcpy(dir, j->path, len);
        dir[len] = 0;
        j->name = slash + 1;
    }
    j->dir = sys_openat(j->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (j->dir < 0)
        return fail(j, "opening its directory");
    while (syscall(SYS_flock, j->dir, LOCK_EX) < 0)
        if (errno != EINTR)
            return fail(j, "locking its directory");
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
    j->tmp = sys_openat(j->dir, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (j->tmp >= 0)
        return 0;
    for (int tries = 0; tries < 100; tries++) {
        temp_name(j->tmp_name);
        j->tmp = sys_openat(j->dir, j->tmp_name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                            mode);
        if (j->tmp >= 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    j->tmp_name[0] = 0;
    return fail(j, "creating a temporary file beside it");
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
   /proc is missing and we may), then rename it over the link. */
static int publish(struct job *j)
{
    char proc[40] = "/proc/self/fd/", num[24];
    long r;

    strcat(proc, cow_num(num, (unsigned long long)j->tmp));
    for (int tries = 0; !j->tmp_name[0] && tries < 100; tries++) {
        temp_name(j->tmp_name);
        r = syscall(SYS_linkat, AT_FDCWD, proc, j->dir, j->tmp_name, AT_SYMLINK_FOLLOW);
        if (r < 0 && errno == ENOENT)
            r = syscall(SYS_linkat, j->tmp, "", j->dir, j->tmp_name, AT_EMPTY_PATH);
        if (r == 0)
            break;
        j->tmp_name[0] = 0;
        if (errno != EEXIST)
            return fail(j, "naming the temporary file");
    }
    if (sys_renameat(j->dir, j->tmp_name, j->dir, j->name) < 0)
        return fail(j, "renaming it over the link");
    j->tmp_name[0] = 0; /* it is the link's name now */
    return 0;
}

static int build(struct job *j)
{
    int err;

    if ((err = open_dir(j)))
        return err;
    /* Another thread or process may have done it while we waited. */
    if (!cow_classify(j->dirfd, j->path, &j->link))
        return 0;
    if (j->link.missing) {
        if (!(j->how & COW_CREAT))
            return 0;
        /* Nothing to copy: the caller's mode, less umask, as open would. */
        if ((err = make_temp(j, j->create_mode & 07777)))
            return err;
        j->how |= COW_TRUNC;
        return publish(j);
    }
    j->src = sys_openat(AT_FDCWD, j->link.target, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
    if (j->src < 0 || sys_fstat(j->src, &j->st) < 0)
        return fail(j, "opening the store file");
    if (!S_ISREG(j->st.st_mode))
        return 0; /* a directory or device: not ours, normal semantics */
    if ((err = make_temp(j, 0600)) || (err = fill(j)) || (err = publish(j)))
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

/* Replace the store link (dirfd, path) by a private file.  how says what
   the caller is about to do (COW_* in cowlink.h).  Returns 0 when done or
   when there was nothing to do, else the errno of what failed, after one
   line on stderr. */
int cow_materialize(const char *op, int dirfd, const char *path, int how,
                    mode_t create_mode)
{
    struct job j = {.op = op, .path = path, .dirfd = dirfd, .how = how,
                    .create_mode = create_mode, .dir = -1, .src = -1, .tmp = -1,
                    .method = -1};
    char why[64];
    int err = build(&j);

    if (j.tmp_name[0])
        sys_unlinkat(j.dir, j.tmp_name, 0);
    if (j.tmp >= 0) {
        sys_close(j.tmp);
        if (!err)
            report(&j);
    }
    if (j.src >= 0)
        sys_close(j.src);
    if (j.dir >= 0)
        sys_close(j.dir); /* releases the lock */
    if (err)
        cow_say("cannot replace ", path, " by a private copy of ", j.link.target, ": ",
                j.step, ": ", cow_strerror(err, why), (char *)0);
    return err;
}
