/* cowlink dedup PREV TARGET: crane's use-symlink install, in one process.
 *
 * crane's dedupAndInstallCargoArtifactsDir runs `cmp --silent PREV/F T/F`
 * for every regular file F that `find T -type f` lists, and where the two
 * are equal replaces T/F by a symlink whose text is "PREV/F": two
 * processes per file, a second or more per check at bench-scale's size.
 * This does the same walk and the same comparison (byte for byte, the
 * candidate's links followed as cmp follows them) and writes the same link
 * text, with no process per file.  T's symlinks and what they lead to are
 * left alone (find -type f does not list them, nor descend into a linked
 * directory).  A link replaces the file atomically (made under a
 * temporary name beside it, then renamed over it); a failure removes the
 * temporary name.  PREV not a directory: nothing to do, as in crane.
 * TARGET in a store, or a directory below it that is a store directory (a
 * mount), is refused: cowlink's own writes obey its rule.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup.h"
#include "inherit.h"

struct dedup {
    int prev;            /* PREV, open */
    char text[PATH_MAX]; /* "PREV/" then the relative path: the link's text */
    size_t prev_len;     /* length of "PREV/" */
    size_t len;          /* current length of text */
    unsigned long files, links;
};

static int complain(const struct dedup *d, const char *name, const char *what)
{
    fprintf(stderr, "cowlink dedup: %.*s%s: %s\n", (int)(d->len - d->prev_len),
            d->text + d->prev_len, name, what);
    return -1;
}

/* Are the two open regular files byte for byte the same? */
static int same_content(int a, int b, off_t size)
{
    static char x[1 << 16], y[1 << 16];
    ssize_t n, m;

    while (size > 0) {
        n = read(a, x, sizeof x);
        if (n <= 0)
            return 0;
        for (ssize_t got = 0; got < n; got += m)
            if ((m = read(b, y + got, (size_t)(n - got))) <= 0)
                return 0;
        if (memcmp(x, y, (size_t)n) != 0)
            return 0;
        size -= n;
    }
    return 1;
}

/* Is the regular file dir/name equal to PREV's file at the same place
   (cmp's answer: a missing or unreadable candidate is not equal)? */
static int equal_to_prev(struct dedup *d, int dir, const char *name)
{
    struct stat a, b;
    int fa, fb, eq = 0;

    fb = openat(d->prev, d->text + d->prev_len, O_RDONLY | O_CLOEXEC);
    if (fb < 0)
        return 0;
    fa = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fa >= 0 && fstat(fa, &a) == 0 && fstat(fb, &b) == 0 && S_ISREG(a.st_mode) &&
        S_ISREG(b.st_mode) && a.st_size == b.st_size)
        eq = same_content(fa, fb, a.st_size);
    if (fa >= 0)
        close(fa);
    close(fb);
    return eq;
}

/* dir/name becomes a symlink to d->text, atomically. */
static int link_over(struct dedup *d, int dir, const char *name)
{
    char tmp[32];

    snprintf(tmp, sizeof tmp, ".cowlink-dedup-%d", (int)getpid());
    if (symlinkat(d->text, dir, tmp) != 0)
        return complain(d, "", strerror(errno));
    if (renameat(dir, tmp, dir, name) != 0) {
        int e = errno;
        unlinkat(dir, tmp, 0);
        return complain(d, "", strerror(e));
    }
    return d->links++, 0;
}

/* Walk one directory of TARGET (d->text holds PREV/ plus its path; the
   messages name the path below TARGET). */
static int walk(struct dedup *d, int dir)
{
    DIR *ds = fdopendir(dir);
    struct dirent *e;
    size_t len = d->len;
    int r = 0;

    if (!ds)
        return close(dir), complain(d, "", strerror(errno));
    while (r == 0 && (e = readdir(ds))) {
        unsigned char type = e->d_type;
        struct stat st;
        int sub;

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (type == DT_UNKNOWN)
            type = fstatat(dirfd(ds), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ? DT_UNKNOWN
                   : S_ISDIR(st.st_mode)                                     ? DT_DIR
                   : S_ISREG(st.st_mode)                                     ? DT_REG
                                                                             : DT_LNK;
        if (type != DT_DIR && type != DT_REG)
            continue;
        if (len + strlen(e->d_name) + 2 >= sizeof d->text) {
            r = complain(d, e->d_name, "path too long");
            break;
        }
        d->len = len + (size_t)sprintf(d->text + len, "%s%s", e->d_name, type == DT_DIR ? "/" : "");
        if (type == DT_DIR) {
            sub = openat(dirfd(ds), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                r = complain(d, "", strerror(errno));
            else if (fstat(sub, &st) != 0 || cow_is_store_dir(&st))
                r = close(sub), complain(d, "", "refused: a store directory");
            else
                r = walk(d, sub);
        } else {
            d->files++;
            if (equal_to_prev(d, dirfd(ds), e->d_name))
                r = link_over(d, dirfd(ds), e->d_name);
        }
        d->text[d->len = len] = 0;
    }
    closedir(ds);
    return r;
}

int cow_dedup(const char *prev, const char *target)
{
    struct dedup d = {.files = 0, .links = 0};
    int t, r;

    d.prev = open(prev, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d.prev < 0)
        return 0; /* crane: no previous target directory, no dedup */
    d.prev_len = d.len = (size_t)snprintf(d.text, sizeof d.text, "%s/", prev);
    t = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d.prev_len >= sizeof d.text || t < 0) {
        fprintf(stderr, "cowlink dedup: %s: %s\n", d.prev_len >= sizeof d.text ? prev : target,
                d.prev_len >= sizeof d.text ? "path too long" : strerror(errno));
        return close(d.prev), 2;
    }
    if (cow_in_a_store(t)) {
        fprintf(stderr, "cowlink dedup: %s: refused: it lies in the store\n", target);
        return close(t), close(d.prev), 2;
    }
    r = walk(&d, t);
    close(d.prev);
    if (r == 0 && getenv("COWLINK_VERBOSE"))
        fprintf(stderr, "cowlink dedup: %lu files, %lu linked\n", d.files, d.links);
    return r == 0 ? 0 : 1;
}
