/* Configuration, read once from the environment.
 *
 *   COWLINK_STORE    colon-separated store directories, as many as given
 *                    (default: $NIX_STORE, else /nix/store; empty
 *                    counts as unset)
 *   COWLINK_OUTPUTS  colon-separated store paths, the running build's own
 *                    outputs: not part of the store for cowlink, and
 *                    every other store entry is refused even when named
 *                    directly.  Unset: the outputs Nix's environment
 *                    names (outputs.c), else none: every store entry is
 *                    refused then
 *   COWLINK=0        pure pass-through
 *   COWLINK_LOG      file that receives one line per event
 *   COWLINK_VERBOSE  1: events on stderr too
 *
 * Read lazily on first use rather than in a constructor, because other
 * libraries' constructors may open files before ours runs.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "cowlink.h"
#include "sys.h"

#define MAX_OUTPUTS 16
#define MAX_HOLDING 32

/* Every store directory given is kept: the arrays are sized for the list
   (a directory left out would be a store written). */
static struct {
    int enabled, verbose;
    int nstores, room;
    int unsure; /* the store directories could not be kept */
    int layered; /* a store on overlayfs: its files may show a layer's device */
    char (*store)[PATH_MAX]; /* canonical, with a trailing '/' */
    char (*raw)[PATH_MAX];   /* as written, with a trailing '/' */
    size_t *store_len;
    dev_t *dev;              /* the store directory's identity, */
    ino_t *ino;              /* to know it under another path */
    int nholding;            /* the mounts holding a store directory below their root */
    unsigned long long holding[MAX_HOLDING];
    char log[PATH_MAX];
    int noutputs, outputs_dropped;
    const char *outputs_from; /* where they came from; NULL: none known */
    char outputs_list[MAX_OUTPUTS * PATH_MAX]; /* as written, ':' between */
    /* each output as written and under the canonical store directory */
    char output[MAX_OUTPUTS][2][PATH_MAX];
    int output_store[MAX_OUTPUTS];       /* the store directory holding it, or -1 */
    const char *output_name[MAX_OUTPUTS]; /* its name in that directory */
} cfg;

static int state; /* 0 unread, 1 being read, 2 ready */

/* dir (len bytes) with exactly one trailing '/', or -1 if too long. */
static int with_slash(char out[PATH_MAX], const char *dir, size_t len)
{
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len + 2 > PATH_MAX)
        return -1;
    memmove(out, dir, len);
    if (out[len - 1] != '/')
        out[len++] = '/';
    out[len] = 0;
    return (int)len;
}

/* Keep one store directory: canonical form, so that it compares with the
   canonical targets classify.c produces, and as written, so that a path
   naming it directly is recognised. */
/* The mount whose tree holds the store directory dir below its root (its
   own mount, unless dir is that mount's root: a read-only bind of the
   store onto itself).  That root is then an ancestor of a store
   directory, so no store entry, and the walk of place.c may leave the
   mount through it without the mount table (no /proc).  Only that
   mount: a mount further up, seen by "..", holds the store directory's
   mount point, whose covered directory cannot be told without the
   table.  A set too small keeps what fits; the others stay unknown. */
static void note_holding(const char *dir)
{
    struct cow_stat sx;

    if (sys_statx(AT_FDCWD, dir, 0, &sx) != 0 || !(sx.mask & STATX_MNT_ID) ||
        !(sx.attributes_mask & STATX_ATTR_MOUNT_ROOT) || (sx.attributes & STATX_ATTR_MOUNT_ROOT))
        return;
    for (int i = 0; i < cfg.nholding; i++)
        if (cfg.holding[i] == sx.mnt_id)
            return;
    if (cfg.nholding < MAX_HOLDING)
        cfg.holding[cfg.nholding++] = sx.mnt_id;
}

static void add_store(const char *dir, size_t len)
{
    char raw[PATH_MAX], canon[PATH_MAX];
    struct stat st;
    struct statfs fs;
    int missing, n = cfg.nstores, canon_len;

    if (len >= PATH_MAX - 1) {
        cow_say("ignoring a store directory: path too long", (char *)0);
        return;
    }
    memcpy(raw, dir, len);
    raw[len] = 0;
    if (raw[0] != '/') {
        cow_say("ignoring store directory '", raw, "': not an absolute path", (char *)0);
        return;
    }
    if (n >= cfg.room)
        return; /* read_stores sized the arrays for every entry */
    if (cow_resolve(raw, canon, &missing) != 0)
        memcpy(canon, raw, len + 1); /* not there yet: compare as written */
    canon_len = with_slash(cfg.store[n], canon, strlen(canon));
    if (canon_len < 0 || with_slash(cfg.raw[n], raw, len) < 0) {
        cow_say("ignoring a store directory: path too long", (char *)0);
        return;
    }
    if (syscall(SYS_statfs, canon, &fs) == 0 && fs.f_type == OVERLAYFS_SUPER_MAGIC)
        cfg.layered = 1;
    if (sys_fstatat(AT_FDCWD, canon, &st, 0) == 0) {
        cfg.dev[n] = st.st_dev;
        cfg.ino[n] = st.st_ino;
        note_holding(canon);
    }
    cfg.store_len[n] = (size_t)canon_len;
    cfg.nstores++;
}

static int on_a_store_device(dev_t dev)
{
    for (int i = 0; i < cfg.nstores; i++)
        if (cfg.ino[i] && cfg.dev[i] == dev)
            return 1;
    return 0;
}

static int is_a_store_dir(const char *dir)
{
    struct stat st;

    if (sys_fstatat(AT_FDCWD, dir, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    for (int i = 0; i < cfg.nstores; i++)
        if (cfg.ino[i] && st.st_dev == cfg.dev[i] && st.st_ino == cfg.ino[i])
            return 1;
    return 0;
}

/* One store path bind-mounted elsewhere (not the store directory itself)
   has no store directory among its parents: the mount table says where it
   comes from.  A mount on a store's device whose root, inside that file
   system, lies at or below the store directory's place in it shows store
   entries under its mount point.  Read once, the first time a path on a
   store's device is not otherwise found in a store; mounts made later are
   not seen. */
#define MAX_ALIASES 16
#define MOUNTINFO_MAX (256 * 1024)

static struct {
    int n;
    char prefix[MAX_ALIASES][PATH_MAX]; /* mount points, with a trailing '/' */
} aliases;
static int aliases_state; /* 0 unread, 1 being read, 2 ready */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
    char *out = s;

    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *out++ = *s;
        }
    }
    *out = 0;
}

struct mount_line {
    unsigned long long id;
    dev_t dev;
    char *root, *point;
};

/* Split one line of /proc/self/mountinfo (modified in place). */
static int parse_mount(char *line, struct mount_line *m)
{
    char *field[5], *p = line;
    unsigned long major, minor;

    for (int i = 0; i < 5; i++) {
        while (*p == ' ')
            p++;
        if (!*p)
            return -1;
        field[i] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = 0;
    }
    m->id = strtoull(field[0], NULL, 10);
    major = strtoul(field[2], &p, 10);
    if (*p != ':')
        return -1;
    minor = strtoul(p + 1, NULL, 10);
    m->dev = makedev(major, minor);
    m->root = field[3];
    m->point = field[4];
    unescape(m->root);
    unescape(m->point);
    return 0;
}

/* Does the mount point (as mountinfo writes it) hold path, on a component
   boundary?  Its length, or -1. */
static long holds(const char *point, const char *path)
{
    size_t len = strcmp(point, "/") ? strlen(point) : 0;

    return strncmp(path, point, len) == 0 && (path[len] == '/' || path[len] == 0) ? (long)len
                                                                                : -1;
}

/* One line of mountinfo at a time, copied out of text (from *at). */
static int next_mount(const char *text, size_t *at, char line[], size_t size,
                      struct mount_line *m)
{
    while (text[*at]) {
        size_t end = *at;
        while (text[end] && text[end] != '\n')
            end++;
        size_t n = end - *at < size - 1 ? end - *at : size - 1;
        memcpy(line, text + *at, n);
        line[n] = 0;
        *at = text[end] ? end + 1 : end;
        if (parse_mount(line, m) == 0)
            return 1;
    }
    return 0;
}

static char mountinfo[MOUNTINFO_MAX];

/* The mounts of a store's file system, by mount id (what statx's
   STATX_MNT_ID names): does each show store entries only (its root lies at
   or below a store directory), some (it holds a store directory), or
   none?  A file's device can lie (overlayfs gives a file of a lower layer
   that layer's device), its mount id does not. */
#define MAX_MOUNTS 1024
static struct {
    int n, overflow, unread;
    unsigned long long id[MAX_MOUNTS];
    signed char kind[MAX_MOUNTS];
} mounts;

/* How a mount of a store's file system shows the store, for the kernel's
   name of a directory on it: a name starting with view shows the store
   entry store_part + the rest (a mount holding the store shows it below
   its mount point, one of store entries shows them from its root). */
#define MAX_VIEWS 16
static struct {
    int n;
    unsigned long long id[MAX_VIEWS];
    int store[MAX_VIEWS];
    char view[MAX_VIEWS][PATH_MAX], store_part[MAX_VIEWS][PATH_MAX];
} views;

static void note_view(unsigned long long id, int i, const char *view, size_t view_len,
                      const char *part)
{
    int n = views.n;

    if (n == MAX_VIEWS || with_slash(views.view[n], view, view_len) < 0 ||
        strlen(part) >= PATH_MAX)
        return; /* no view: a directory on it is walked up instead */
    strcpy(views.store_part[n], part);
    views.id[n] = id;
    views.store[n] = i;
    views.n++;
}

static void note_mount(unsigned long long id, int kind)
{
    for (int i = 0; i < mounts.n; i++)
        if (mounts.id[i] == id) {
            if (kind > mounts.kind[i])
                mounts.kind[i] = (signed char)kind;
            return;
        }
    if (mounts.n == MAX_MOUNTS) {
        mounts.overflow = 1;
        return;
    }
    mounts.id[mounts.n] = id;
    mounts.kind[mounts.n++] = (signed char)kind;
}

/* A mount point that shows store entries, unless a store prefix already
   covers it (a sandbox mounts every input store path in the store). */
static void add_alias(const char *point)
{
    int n = aliases.n;

    if (n == MAX_ALIASES || with_slash(aliases.prefix[n], point, strlen(point)) < 0)
        return;
    for (int i = 0; i < cfg.nstores; i++)
        if (strncmp(aliases.prefix[n], cfg.store[i], cfg.store_len[i]) == 0 ||
            strncmp(aliases.prefix[n], cfg.raw[i], strlen(cfg.raw[i])) == 0)
            return;
    aliases.n++;
}

/* The mounts that show the part of store i's file system at or below the
   store directory (its own mount and bind mounts of it or of its
   entries). */
static void store_aliases(int i)
{
    char line[2 * PATH_MAX + 256], rel[PATH_MAX] = "", root[PATH_MAX];
    struct mount_line m;
    size_t at = 0, rel_len;
    long best = -1, len;

    while (next_mount(mountinfo, &at, line, sizeof line, &m)) {
        len = holds(m.point, cfg.store[i]);
        if (m.dev != cfg.dev[i] || len <= best)
            continue;
        const char *from = strcmp(m.root, "/") ? m.root : "";
        if (strlen(from) + strlen(cfg.store[i] + len) >= PATH_MAX)
            continue;
        best = len;
        strcpy(rel, from);
        strcat(rel, cfg.store[i] + len);
    }
    rel_len = strlen(rel);
    if (best < 0 || rel_len == 0) {
        mounts.overflow = 1; /* the store's own mount is not listed: cannot tell */
        return;
    }
    at = 0;
    while (next_mount(mountinfo, &at, line, sizeof line, &m)) {
        if (m.dev != cfg.dev[i] || with_slash(root, m.root, strlen(m.root)) < 0) {
            if (m.dev == cfg.dev[i])
                note_mount(m.id, COW_MOUNT_SOME); /* cannot tell: walk */
            continue;
        }
        size_t root_len = strlen(root);
        note_mount(m.id, strncmp(root, rel, rel_len) == 0    ? COW_MOUNT_ALL
                         : strncmp(rel, root, root_len) == 0 ? COW_MOUNT_SOME
                                                             : COW_MOUNT_NONE);
        if (strncmp(root, rel, rel_len) == 0) {
            note_view(m.id, i, m.point, strlen(m.point), root + rel_len);
            if (strcmp(m.point, "/"))
                add_alias(m.point); /* shows a part of the store */
        } else if (strncmp(rel, root, root_len) == 0) {
            /* shows the whole store, below its mount point */
            char alias[PATH_MAX];
            size_t point_len = strcmp(m.point, "/") ? strlen(m.point) : 0;
            if (point_len + 1 + (rel_len - root_len) < PATH_MAX) {
                memcpy(alias, m.point, point_len);
                alias[point_len] = '/';
                memcpy(alias + point_len + 1, rel + root_len, rel_len - root_len + 1);
                add_alias(alias);
                note_view(m.id, i, alias, strlen(alias), "");
            }
        }
    }
}

static void read_aliases(void)
{
    int fd = sys_openat(AT_FDCWD, "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC, 0);
    size_t len = 0;
    long got;

    if (fd < 0) {
        mounts.unread = 1;
        return;
    }
    while (len < sizeof mountinfo - 1 &&
           (got = sys_read(fd, mountinfo + len, sizeof mountinfo - 1 - len)) > 0)
        len += (size_t)got;
    sys_close(fd);
    if (len == sizeof mountinfo - 1)
        mounts.overflow = 1; /* a table cut short: unlisted mounts are unknown */
    mountinfo[len] = 0;
    for (int i = 0; i < cfg.nstores; i++)
        if (cfg.ino[i])
            store_aliases(i);
}

/* Is path below a mount that shows store entries?  The mount table is
   read by the first thread that asks; the others wait for it.  No signal
   handler runs while it is read: one that jumped out would leave it
   "being read" for every later caller (signals.c). */
static void ensure_aliases(void)
{
    struct cow_signals held;
    int expected = 0;

    if (__atomic_load_n(&aliases_state, __ATOMIC_ACQUIRE) != 2) { /* once */
        cow_signals_hold(&held, 0);
        if (__atomic_compare_exchange_n(&aliases_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            read_aliases();
            __atomic_store_n(&aliases_state, 2, __ATOMIC_RELEASE);
        }
        cow_signals_release(&held);
    }
    while (__atomic_load_n(&aliases_state, __ATOMIC_ACQUIRE) != 2)
        syscall(SYS_sched_yield);
}

static int in_alias(const char *path)
{
    ensure_aliases();
    for (int i = 0; i < aliases.n; i++) {
        size_t len = strlen(aliases.prefix[i]);
        if (strncmp(path, aliases.prefix[i], len) == 0 ||
            (strncmp(path, aliases.prefix[i], len - 1) == 0 && path[len - 1] == 0))
            return 1;
    }
    return 0;
}

/* A store seen under another path (a bind mount): some directory on the
   canonical path is a store directory.  The path is canonical but for a
   last component that may be a link: never follow it.  Only asked when the path's
   nearest existing directory is on a store's device. */
static int below_a_store_dir(const char *path)
{
    char p[PATH_MAX];
    struct stat st;
    size_t len = strlen(path);
    int on_store_device = 0;

    if (len >= PATH_MAX)
        return 0;
    memcpy(p, path, len + 1);
    for (;;) {
        if (!on_store_device && sys_fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (!on_a_store_device(st.st_dev))
                return 0;
            on_store_device = 1;
        }
        if (on_store_device && is_a_store_dir(p))
            return 1;
        while (len > 1 && p[len - 1] != '/')
            len--;
        if (len <= 1)
            return on_store_device && in_alias(path);
        p[--len] = 0;
    }
}

static int in_store(const char *path)
{
    for (int i = 0; i < cfg.nstores; i++)
        if (strncmp(path, cfg.store[i], cfg.store_len[i]) == 0 ||
            (strncmp(path, cfg.store[i], cfg.store_len[i] - 1) == 0 &&
             path[cfg.store_len[i] - 1] == 0))
            return 1;
    return cfg.nstores > 0 && below_a_store_dir(path);
}

/* Room for n store directories, from the kernel (no malloc: this runs
   before, and under, other libraries' constructors).  Without it no store
   is kept, and cow_enabled() then refuses every write (see cow_unsure). */
static int make_room(size_t n)
{
    size_t each = 2 * PATH_MAX + sizeof(size_t) + sizeof(dev_t) + sizeof(ino_t);
    char *m = (char *)syscall(SYS_mmap, NULL, n * each, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (m == MAP_FAILED)
        return -1;
    cfg.store = (char (*)[PATH_MAX])m;
    cfg.raw = (char (*)[PATH_MAX])(m + n * PATH_MAX);
    cfg.store_len = (size_t *)(m + 2 * n * PATH_MAX);
    cfg.dev = (dev_t *)(m + 2 * n * PATH_MAX + n * sizeof(size_t));
    cfg.ino = (ino_t *)(m + 2 * n * PATH_MAX + n * (sizeof(size_t) + sizeof(dev_t)));
    cfg.room = (int)n;
    return 0;
}

static void read_stores(const char *list)
{
    const char *p = list, *colon;
    size_t n = 1;

    for (const char *c = list; *c; c++)
        n += *c == ':';
    if (make_room(n)) {
        cfg.unsure = 1;
        cow_say("cannot keep the store directories (no memory): every write is refused",
                (char *)0);
        return;
    }
    for (;;) {
        colon = strchr(p, ':');
        add_store(p, colon ? (size_t)(colon - p) : strlen(p));
        if (!colon)
            break;
        p = colon + 1;
    }
}

/* One of the build's outputs: lexically normal, as written and with its
   store prefix in canonical form (targets are compared canonical). */
static void add_output(const char *path, size_t len)
{
    char raw[PATH_MAX], canon[PATH_MAX];
    int n = cfg.noutputs;
    size_t plen, slen, rest;

    if (len == 0)
        return;
    if (len >= PATH_MAX || path[0] != '/') {
        cow_say("ignoring an entry of COWLINK_OUTPUTS: not an absolute path", (char *)0);
        return;
    }
    memcpy(raw, path, len);
    raw[len] = 0;
    if (n >= MAX_OUTPUTS) {
        if (cfg.outputs_dropped++ == 0)
            cow_say("ignoring output ", raw, " and any after it: at most 16 are used",
                    (char *)0);
        return;
    }
    cow_lexical(raw, cfg.output[n][0]);
    strcpy(cfg.output[n][1], cfg.output[n][0]);
    for (int i = 0; i < cfg.nstores; i++) {
        plen = strlen(cfg.raw[i]);
        slen = strlen(cfg.store[i]);
        rest = strlen(cfg.output[n][0]) - plen;
        if (strncmp(cfg.output[n][0], cfg.raw[i], plen) == 0 && slen + rest < PATH_MAX) {
            memcpy(canon, cfg.store[i], slen);
            memcpy(canon + slen, cfg.output[n][0] + plen, rest + 1);
            strcpy(cfg.output[n][1], canon);
            break;
        }
    }
    /* A top-level store path is known by its store directory and name
       even before it exists (mkdir $out). */
    cfg.output_store[n] = -1;
    for (int i = 0; i < cfg.nstores; i++) {
        plen = strlen(cfg.store[i]);
        if (strncmp(cfg.output[n][1], cfg.store[i], plen) == 0 &&
            !strchr(cfg.output[n][1] + plen, '/') && cfg.output[n][1][plen]) {
            cfg.output_store[n] = i;
            cfg.output_name[n] = cfg.output[n][1] + plen;
        }
    }
    cfg.noutputs++;
}

static void read_outputs(const char *list)
{
    const char *p = list, *colon;

    for (;;) {
        colon = strchr(p, ':');
        add_output(p, colon ? (size_t)(colon - p) : strlen(p));
        if (!colon)
            break;
        p = colon + 1;
    }
}

/* path is an output or lies below one (on a component boundary). */
static int in_output(const char *path)
{
    size_t len;

    for (int i = 0; i < cfg.noutputs; i++)
        for (int form = 0; form < 2; form++) {
            len = strlen(cfg.output[i][form]);
            if (strncmp(path, cfg.output[i][form], len) == 0 &&
                (path[len] == 0 || path[len] == '/'))
                return 1;
        }
    return 0;
}

static void read_config(void)
{
    const char *v;

    v = getenv("COWLINK");
    cfg.enabled = !(v && strcmp(v, "0") == 0);
    v = getenv("COWLINK_VERBOSE");
    cfg.verbose = v && strcmp(v, "1") == 0;
    /* The log is opened again at each event: a relative name would
       follow the working directory, into a store perhaps. */
    v = getenv("COWLINK_LOG");
    if (v && *v && cow_abs_path(AT_FDCWD, v, cfg.log)) {
        cow_say("ignoring COWLINK_LOG: cannot make its path absolute", (char *)0);
        cfg.log[0] = 0;
    }
    /* Empty counts as unset, as the cowlink command reads it: an empty
       list would otherwise leave no store at all to protect. */
    v = getenv("COWLINK_STORE");
    if (!v || !*v)
        v = getenv("NIX_STORE");
    read_stores(v && *v ? v : "/nix/store");
    v = getenv("COWLINK_OUTPUTS");
    if (v && *v) {
        read_outputs(v);
        cfg.outputs_from = "COWLINK_OUTPUTS";
    } else { /* fail closed: no outputs known, the whole store protected */
        cfg.outputs_from = cow_outputs_from_nix(add_output);
    }
    for (int i = 0, len = 0; i < cfg.noutputs; i++) { /* for children.c */
        size_t n = strlen(cfg.output[i][0]);
        if (i)
            cfg.outputs_list[len++] = ':';
        memcpy(cfg.outputs_list + len, cfg.output[i][0], n + 1);
        len += (int)n;
    }
    /* The log is written with raw calls: it must not be a store file. */
    if (cfg.log[0] == '/') {
        char canon[PATH_MAX];
        int missing;
        if (cow_resolve(cfg.log, canon, &missing) == 0 && in_store(canon)) {
            cow_say("ignoring COWLINK_LOG ", cfg.log, ": it is inside a store", (char *)0);
            cfg.log[0] = 0;
        }
    }
}

/* The first caller reads the environment; a concurrent one waits for it.
   Reading it calls nothing that could re-enter the library.  The
   constructor below reads it before main, so the waiting is for other
   libraries' constructors; a child forked while another thread was
   reading would wait forever, so it reads again. */
static void ensure_config(void)
{
    int expected = 0;

    if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 2)
        return;
    if (__atomic_compare_exchange_n(&state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        read_config();
        __atomic_store_n(&state, 2, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
        syscall(SYS_sched_yield);
}

static void read_again_in_child(void)
{
    if (__atomic_load_n(&aliases_state, __ATOMIC_ACQUIRE) == 1) {
        aliases.n = 0;
        memset(&mounts, 0, sizeof mounts);
        views.n = 0;
        __atomic_store_n(&aliases_state, 0, __ATOMIC_RELEASE);
    }
    if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 1)
        return;
    memset(&cfg, 0, sizeof cfg);
    __atomic_store_n(&state, 0, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void read_early(void)
{
    int saved = errno; /* the program's, from before main */

    pthread_atfork(NULL, NULL, read_again_in_child);
    ensure_config();
    errno = saved;
}

int cow_enabled(void)
{
    ensure_config();
    return cfg.enabled && cfg.nstores > 0;
}

int cow_verbose(void)
{
    ensure_config();
    return cfg.verbose;
}

const char *cow_log_path(void)
{
    ensure_config();
    return cfg.log[0] ? cfg.log : NULL;
}

int cow_logging(void)
{
    return cow_log_path() || cow_verbose();
}

int cow_in_store(const char *path)
{
    ensure_config();
    return in_store(path) && !(cfg.noutputs && in_output(path));
}

/* The store directories, the mounts and the outputs, by identity
   (place.c decides with them). */
int cow_stores_unsure(void)
{
    ensure_config();
    return cfg.unsure;
}

int cow_stores_layered(void)
{
    ensure_config();
    return cfg.layered;
}

int cow_mount_kind(unsigned long long id)
{
    ensure_config();
    ensure_aliases();
    for (int i = 0; i < mounts.n; i++)
        if (mounts.id[i] == id)
            return mounts.kind[i];
    return COW_MOUNT_UNLISTED;
}

int cow_mounts_complete(void)
{
    ensure_config();
    ensure_aliases();
    return !mounts.overflow && !mounts.unread;
}

/* The kernel's name for a directory (/proc/self/fd, getcwd) on mount id:
   1 a store entry, 2 an output or in one, 0 neither, -1 no view of that
   mount (walk up instead). */
int cow_store_by_view(unsigned long long id, const char *dir)
{
    char d[PATH_MAX], canon[PATH_MAX];
    int seen = 0;

    ensure_config();
    ensure_aliases();
    if (with_slash(d, dir, strlen(dir)) < 0)
        return -1;
    for (int n = 0; n < views.n; n++) {
        size_t len = strlen(views.view[n]);
        const char *store = cfg.store[views.store[n]];
        if (views.id[n] != id)
            continue;
        seen = 1;
        if (strncmp(d, views.view[n], len))
            continue;
        if (strlen(store) + strlen(views.store_part[n]) + strlen(d + len) >= PATH_MAX)
            return -1;
        strcpy(canon, store);
        strcat(canon, views.store_part[n]);
        strcat(canon, d + len);
        return in_output(canon) ? 2 : 1;
    }
    return seen ? 0 : -1;
}

/* Is name, in the directory open as dir, one of the outputs, directly in
   a store directory?  The directory is asked for its identity only when
   an output has that name. */
int cow_output_named(int dir, const char *name)
{
    struct stat st;
    int asked = 0;

    ensure_config();
    for (int n = 0; n < cfg.noutputs; n++) {
        int i = cfg.output_store[n];
        if (i < 0 || !cfg.ino[i] || strcmp(cfg.output_name[n], name))
            continue;
        if (!asked++ && sys_fstatat(dir, "", &st, AT_EMPTY_PATH) < 0)
            return 0;
        if (cfg.dev[i] == st.st_dev && cfg.ino[i] == st.st_ino)
            return 1;
    }
    return 0;
}

/* The outputs' identities now (they may be created or replaced while the
   build runs): how many were filled, an output that is missing as 0. */
int cow_output_ids(dev_t dev[], ino_t ino[])
{
    struct stat st;

    ensure_config();
    for (int n = 0; n < cfg.noutputs; n++) {
        int ok = sys_fstatat(AT_FDCWD, cfg.output[n][1], &st, AT_SYMLINK_NOFOLLOW) == 0;
        dev[n] = ok ? st.st_dev : 0;
        ino[n] = ok ? st.st_ino : 0;
    }
    return cfg.noutputs;
}

const char *cow_outputs_list(void)
{
    ensure_config();
    return cfg.noutputs ? cfg.outputs_list : NULL;
}

const char *cow_outputs_origin(void)
{
    ensure_config();
    return cfg.outputs_from;
}

int cow_store_device(dev_t dev)
{
    ensure_config();
    return on_a_store_device(dev);
}

int cow_holds_store(unsigned long long mnt_id)
{
    ensure_config();
    for (int i = 0; i < cfg.nholding; i++)
        if (cfg.holding[i] == mnt_id)
            return 1;
    return 0;
}

int cow_store_root(dev_t dev, ino_t ino)
{
    ensure_config();
    for (int i = 0; i < cfg.nstores; i++)
        if (cfg.ino[i] && cfg.dev[i] == dev && cfg.ino[i] == ino)
            return 1;
    return 0;
}

const char *cow_store_prefix(int i, int canonical)
{
    ensure_config();
    if (i >= cfg.nstores)
        return NULL;
    return canonical ? cfg.store[i] : cfg.raw[i];
}
