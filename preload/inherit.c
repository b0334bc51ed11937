/* cowlink inherit SRC DEST: make DEST a mirror of the directory SRC --
 * real directories, and for every file a symlink to SRC's file.
 *
 * This is crane's "use-symlink" inheritance taken to its end: with the
 * library preloaded, any file of the inherited target dir can be a link,
 * because the first write materializes it.  One process walks the tree
 * with *at calls: no process per file, no copy of any content.
 * Symlinks in SRC are copied as symlinks (as rsync --links does), and
 * cargo's lock files are skipped: crane deletes every `.cargo*lock` after
 * inheriting, because a lock with a store timestamp confuses cargo; and
 * with cargo's new build-dir layout and -Zfine-grain-locking, the `.lock`
 * of each unit directory (build/PKG/HASH/.lock), which cargo opens for
 * writing at every build: a link there would be copied by every build.
 * DEST's missing parents are created (crane's `mkdir -p`), so a nested
 * CARGO_TARGET_DIR such as target/foo works.  DEST must lie outside the
 * store, whatever links lead there: it is checked by identity (its nearest
 * existing directory and the DEST opened are walked up by "..", each
 * compared with the store directories), before anything is created and
 * before anything is placed in it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inherit.h"

struct walk {
    char src[PATH_MAX]; /* absolute path of the SRC directory being read */
    size_t src_len;
    char dest[PATH_MAX]; /* DEST-relative path, for messages */
    unsigned long dirs, links;
};

static int complain(const struct walk *w, const char *name, const char *what)
{
    fprintf(stderr, "cowlink inherit: %s/%s: %s\n", w->dest, name, what);
    return -1;
}

/* Is the directory being read (w->src) a unit directory of cargo's new
   layout: .../build/PKG/HASH? */
static int in_unit_dir(const struct walk *w)
{
    const char *p = w->src + w->src_len;
    int slashes = 0;

    while (p > w->src && slashes < 3)
        if (*--p == '/')
            slashes++;
    return slashes == 3 && strncmp(p, "/build/", 7) == 0;
}

static int skipped(const struct walk *w, const char *name)
{
    return fnmatch(".cargo*lock", name, 0) == 0 || strcmp(name, ".package-cache") == 0 ||
           (strcmp(name, ".lock") == 0 && in_unit_dir(w));
}

/* Put a symlink with text `to` at dest/name, replacing a file or link
   that is there (a merge), refusing to replace a directory. */
static int place_link(struct walk *w, int dest, const char *name, const char *to)
{
    struct stat st;

    if (symlinkat(to, dest, name) == 0)
        return w->links++, 0;
    if (errno != EEXIST)
        return complain(w, name, strerror(errno));
    if (fstatat(dest, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return complain(w, name, "a directory is in the way of a file");
    if (unlinkat(dest, name, 0) != 0 || symlinkat(to, dest, name) != 0)
        return complain(w, name, strerror(errno));
    return w->links++, 0;
}

static int mirror_dir(struct walk *w, int src, int dest);

/* Descend into SRC's subdirectory name, creating it in DEST if needed. */
static int descend(struct walk *w, int src, int dest, const char *name)
{
    size_t src_len = w->src_len, dest_len = strlen(w->dest);
    int s, d, r;

    if (mkdirat(dest, name, 0755) == 0)
        w->dirs++;
    else if (errno != EEXIST)
        return complain(w, name, strerror(errno));
    d = openat(dest, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0)
        return complain(w, name, errno == ENOTDIR || errno == ELOOP
                                     ? "a file is in the way of a directory"
                                     : strerror(errno));
    s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0 || src_len + strlen(name) + 2 >= PATH_MAX ||
        dest_len + strlen(name) + 2 >= PATH_MAX) {
        close(d);
        if (s >= 0)
            close(s);
        return complain(w, name, s < 0 ? strerror(errno) : "path too long");
    }
    w->src_len += (size_t)sprintf(w->src + src_len, "/%s", name);
    sprintf(w->dest + dest_len, "/%s", name);
    r = mirror_dir(w, s, d);
    w->src[w->src_len = src_len] = 0;
    w->dest[dest_len] = 0;
    close(d);
    return r;
}

/* Mirror one directory; takes ownership of src (closed by closedir). */
static int mirror_dir(struct walk *w, int src, int dest)
{
    DIR *dir = fdopendir(src);
    struct dirent *e;
    char to[PATH_MAX + NAME_MAX + 2];
    int r = 0;

    if (!dir)
        return close(src), complain(w, "", strerror(errno));
    while (r == 0 && (e = readdir(dir))) {
        const char *name = e->d_name;
        unsigned char type = e->d_type;
        struct stat st;
        ssize_t n;

        if (!strcmp(name, ".") || !strcmp(name, "..") || skipped(w, name))
            continue;
        if (type == DT_UNKNOWN && fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
        if (type == DT_DIR) {
            r = descend(w, src, dest, name);
        } else if (type == DT_LNK) {
            n = readlinkat(src, name, to, PATH_MAX - 1);
            if (n < 0)
                return closedir(dir), complain(w, name, strerror(errno));
            to[n] = 0;
            r = place_link(w, dest, name, to);
        } else {
            if (w->src_len + strlen(name) + 2 >= PATH_MAX)
                return closedir(dir), complain(w, name, "path too long");
            snprintf(to, sizeof to, "%s/%s", w->src, name);
            r = place_link(w, dest, name, to);
        }
    }
    closedir(dir);
    return r;
}

/* Is st one of the store directories (COWLINK_STORE, else NIX_STORE, else
   /nix/store, as the library reads them)? */
int cow_is_store_dir(const struct stat *st)
{
    const char *list = getenv("COWLINK_STORE"), *p;
    char dir[PATH_MAX];
    struct stat s;
    size_t len;

    if (!list || !*list)
        list = getenv("NIX_STORE");
    if (!list || !*list)
        list = "/nix/store";
    for (p = list; *p; p += len + (p[len] == ':')) {
        len = strcspn(p, ":");
        if (len == 0 || len >= sizeof dir)
            continue;
        memcpy(dir, p, len);
        dir[len] = 0;
        if (stat(dir, &s) == 0 && s.st_dev == st->st_dev && s.st_ino == st->st_ino)
            return 1;
    }
    return 0;
}

/* Is the directory open as fd a store directory or inside one?  Walked up
   by "..", each directory compared by identity; a walk that cannot finish
   answers yes. */
int cow_in_a_store(int fd)
{
    struct stat st, up;
    int cur = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), parent;

    for (int depth = 0; cur >= 0 && depth < PATH_MAX / 2; depth++) {
        if (fstat(cur, &st) != 0 || cow_is_store_dir(&st))
            break;
        parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        close(cur);
        cur = parent;
        if (cur < 0 || fstat(cur, &up) != 0)
            break;
        if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
            return close(cur), 0; /* the root */
    }
    if (cur >= 0)
        close(cur);
    return 1;
}

/* DEST's nearest existing directory, links followed, lies in a store. */
static int dest_in_a_store(const char *dest)
{
    char path[PATH_MAX], *slash;
    int fd, in;

    if (strlen(dest) >= PATH_MAX)
        return 0; /* ENAMETOOLONG from mkdir, before anything is created */
    strcpy(path, dest);
    while ((fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
        slash = strrchr(path, '/');
        if (!slash)
            strcpy(path, ".");
        else if (slash == path)
            strcpy(path, "/");
        else
            *slash = 0;
        if (!strcmp(path, ".") || !strcmp(path, "/")) {
            fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
            break;
        }
    }
    in = fd < 0 || cow_in_a_store(fd);
    if (fd >= 0)
        close(fd);
    return in;
}

static int refuse_store_dest(const char *dest_arg)
{
    fprintf(stderr, "cowlink inherit: %s: refused: it lies in the store (through a link to a "
                    "store directory, or named directly)\n",
            dest_arg);
    return 2;
}

/* mkdir -p: DEST and every missing directory above it. */
static int make_dirs(const char *dest)
{
    char path[PATH_MAX];
    size_t i, n = strlen(dest);

    if (n >= PATH_MAX)
        return errno = ENAMETOOLONG, -1;
    strcpy(path, dest);
    for (i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        path[i] = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        path[i] = i < n ? '/' : 0;
    }
    return 0;
}

/* DEST, or the nearest existing directory above it, canonicalized. */
static int canonical_dest(const char *dest, char out[PATH_MAX])
{
    char path[PATH_MAX], *slash;

    if (strlen(dest) >= PATH_MAX)
        return -1;
    strcpy(path, dest);
    while (!realpath(path, out)) {
        slash = strrchr(path, '/');
        if (!slash || slash == path)
            return realpath(slash ? "/" : ".", out) ? 0 : -1;
        *slash = 0;
    }
    return 0;
}

int cow_inherit(const char *src_arg, const char *dest_arg)
{
    struct walk w = {.dirs = 0, .links = 0};
    char dest_real[PATH_MAX];
    size_t n;
    int src, dest, r;

    if (!realpath(src_arg, w.src) || (src = open(w.src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "cowlink inherit: %s: %s\n", src_arg, strerror(errno));
        return 2;
    }
    n = strlen(w.src);
    if (canonical_dest(dest_arg, dest_real) == 0 && strncmp(dest_real, w.src, n) == 0 &&
        (dest_real[n] == '/' || dest_real[n] == 0)) {
        fprintf(stderr, "cowlink inherit: %s is inside %s\n", dest_arg, src_arg);
        return close(src), 2;
    }
    if (dest_in_a_store(dest_arg))
        return close(src), refuse_store_dest(dest_arg);
    if (make_dirs(dest_arg) != 0) {
        fprintf(stderr, "cowlink inherit: %s: %s\n", dest_arg, strerror(errno));
        return close(src), 2;
    }
    dest = open(dest_arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dest < 0) {
        fprintf(stderr, "cowlink inherit: %s: %s\n", dest_arg,
                errno == ENOTDIR ? "a file is in the way of a directory" : strerror(errno));
        return close(src), 2;
    }
    if (cow_in_a_store(dest)) /* swapped for a link since it was looked at */
        return close(dest), close(src), refuse_store_dest(dest_arg);
    w.src_len = n;
    snprintf(w.dest, sizeof w.dest, "%s", dest_arg);
    if (w.dest[strlen(w.dest) - 1] == '/' && strlen(w.dest) > 1)
        w.dest[strlen(w.dest) - 1] = 0;
    r = mirror_dir(&w, src, dest);
    close(dest);
    if (r == 0 && getenv("COWLINK_VERBOSE"))
        fprintf(stderr, "cowlink inherit: %lu directories, %lu links\n", w.dirs, w.links);
    return r == 0 ? 0 : 1;
}
