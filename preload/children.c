/* The environment a program passes to the programs it starts.
 *
 * A child started with an environment of its own (env -i, Python's
 * subprocess(env=...), execve with a short list, Rust's env_clear(),
 * posix_spawn with an environment) would run without the library, and as
 * root write the store through a link it inherited.  So the exec family
 * and posix_spawn pass on, in whatever environment they are given, the
 * library first in LD_PRELOAD and the COWLINK_* settings this process runs
 * with, unless that environment turns cowlink off (COWLINK=0) or already
 * preloads the library.  An environment that sets a COWLINK_* variable
 * keeps its own value: the caller chose it.
 *
 * exec may run in a vfork child, which shares our memory and stack: no
 * malloc, no lock.  What is passed on is noted once, at load time, and the
 * new list is built in the caller's frame (struct cow_env), or in a
 * private mapping when it does not fit there.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cowlink.h"
#include "sys.h"

/* Bind the oldest dladdr (libdl before glibc 2.34), as entries.c does
   for dlsym. */
#if defined(__x86_64__) && defined(__GLIBC__)
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");
#elif defined(__aarch64__) && defined(__GLIBC__)
__asm__(".symver dladdr,dladdr@GLIBC_2.17");
#endif

#define PRELOAD_MAX (2 * PATH_MAX)   /* what goes first in LD_PRELOAD */
#define SETTINGS 5
#define SETTING_MAX (16 * PATH_MAX + 64) /* COWLINK_OUTPUTS: 16 outputs */

static struct {
    int ready;
    char self[PATH_MAX];      /* the library, as the loader names it */
    char self_abs[PATH_MAX];  /* and absolute */
    char preload[PRELOAD_MAX]; /* "LD_PRELOAD=" and what must come first */
    size_t preload_len;
    char setting[SETTINGS][SETTING_MAX]; /* "COWLINK_X=value", or empty */
} kept;

/* The last is for a sanitized build only, whose ASan runtime comes
   before the library: the options the cowlink command gave it. */
static const char *const names[SETTINGS] = {
    "COWLINK_STORE", "COWLINK_OUTPUTS", "COWLINK_LOG", "COWLINK_VERBOSE", "ASAN_OPTIONS",
};

/* Does entry (len bytes, from an LD_PRELOAD list) name file, as the
   loader expands it?  The Nix hook names the library by
   lib/cowlink/$PLATFORM/ (preload/stub.c says why): that token (or
   ${PLATFORM}) stands for one non-empty path component. */
int cow_preload_names(const char *entry, size_t len, const char *file)
{
    static const char *const tokens[] = {"$PLATFORM", "${PLATFORM}"};
    const char *t = memchr(entry, '$', len);
    size_t flen = strlen(file), pre = t ? (size_t)(t - entry) : 0;

    if (!t)
        return flen == len && !memcmp(entry, file, len);
    for (size_t i = 0; i < 2; i++) {
        size_t tlen = strlen(tokens[i]), post;
        const char *after = t + tlen;

        if (len - pre < tlen || memcmp(t, tokens[i], tlen))
            continue;
        post = len - pre - tlen; /* what follows the token */
        return !memchr(after, '$', post) && flen > pre + post && !memcmp(file, entry, pre) &&
               !memcmp(file + flen - post, after, post) &&
               !memchr(file + pre, '/', flen - pre - post);
    }
    return flen == len && !memcmp(entry, file, len); /* a '$' of the name's own */
}

/* Is entry this library? */
static int is_self(const char *entry, size_t len)
{
    return cow_preload_names(entry, len, kept.self) || cow_preload_names(entry, len, kept.self_abs);
}

/* The next entry of an LD_PRELOAD list (separated by ':' or ' '). */
static const char *next_entry(const char *p, size_t *len)
{
    while (*p == ':' || *p == ' ')
        p++;
    *len = strcspn(p, ": ");
    return *len ? p : NULL;
}

/* Where in list this library is: the end of its entry, or NULL. */
static const char *self_in(const char *list)
{
    size_t len;

    for (const char *e = next_entry(list, &len); e; e = next_entry(e + len, &len))
        if (is_self(e, len))
            return e + len;
    return NULL;
}

/* What goes first: the entries of our own LD_PRELOAD up to this library
   (a sanitized build has the ASan runtime before it, which must stay
   first), with this library's absolute name, or its entry as given when
   that is absolute and holds $PLATFORM (a 32-bit program started by this
   one gets the empty library of its platform). */
static void keep_preload(void)
{
    const char *mine = getenv("LD_PRELOAD"), *end = mine ? self_in(mine) : NULL;
    const char *self = kept.self_abs;
    size_t len = end ? (size_t)(end - mine) : 0, start = len;

    strcpy(kept.preload, "LD_PRELOAD=");
    if (end) { /* drop our entry itself: it goes in absolute */
        while (start > 0 && mine[start - 1] != ':' && mine[start - 1] != ' ')
            start--;
        if (mine[start] == '/' && memchr(mine + start, '$', len - start))
            start = len, self = "";
        if (start + strlen(self) + 12 > sizeof kept.preload)
            start = 0, self = kept.self_abs;
        memcpy(kept.preload + 11, mine, start);
    }
    strcpy(kept.preload + 11 + start, self);
    kept.preload_len = strlen(kept.preload);
}

static void keep_setting(int i, const char *value)
{
    size_t n = strlen(names[i]);

    kept.setting[i][0] = 0;
    if (!value || !*value || n + 1 + strlen(value) >= SETTING_MAX)
        return;
    memcpy(kept.setting[i], names[i], n);
    kept.setting[i][n] = '=';
    strcpy(kept.setting[i] + n + 1, value);
}

/* Read once, before main: what this process runs with. */
static void read_settings(void)
{
    Dl_info info;
    const char *store = getenv("COWLINK_STORE");

    if (!dladdr((void *)read_settings, &info) || !info.dli_fname ||
        strlen(info.dli_fname) >= PATH_MAX)
        return; /* nothing to pass on: children are left as they are */
    strcpy(kept.self, info.dli_fname);
    if (cow_abs_path(AT_FDCWD, kept.self, kept.self_abs))
        return;
    keep_preload();
    keep_setting(0, store && *store ? store : getenv("NIX_STORE"));
    keep_setting(1, cow_outputs_list());
    keep_setting(2, cow_log_path());
    keep_setting(3, cow_verbose() ? "1" : NULL);
    keep_setting(4, strcmp(kept.preload + 11, kept.self_abs) ? getenv("ASAN_OPTIONS") : NULL);
    kept.ready = 1;
}

/* The constructor keeps the program's errno, from before main. */
__attribute__((constructor)) static void keep_settings(void)
{
    int saved = errno;

    read_settings();
    errno = saved;
}

/* "NAME=..." in env? */
static int names_var(const char *var, const char *name, size_t len)
{
    return !strncmp(var, name, len) && var[len] == '=';
}

/* Room for n pointers and a string of len bytes: the caller's arena, or a
   mapping of our own. */
static char **room(struct cow_env *e, size_t n, size_t len)
{
    size_t need = n * sizeof(char *) + len;

    if (need <= sizeof e->arena)
        return (char **)(void *)e->arena;
    need = (need + 4095) & ~(size_t)4095;
    void *m = (void *)syscall(SYS_mmap, NULL, need, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    e->map = m;
    e->map_len = need;
    return m;
}

char *const *cow_child_env(char *const *envp, struct cow_env *e)
{
    static char *const empty[] = {NULL};
    const char *preload = NULL;
    int have[SETTINGS] = {0}, add = 0, switch_seen = 0;
    size_t n = 0, len = 0, k = 0;
    char **out, *value;

    e->map = NULL;
    if (!kept.ready || !cow_enabled())
        return envp;
    if (!envp)
        envp = empty; /* the kernel takes NULL for an empty list */
    for (; envp[n]; n++) {
        if (names_var(envp[n], "LD_PRELOAD", 10))
            preload = envp[n] + 11; /* the loader takes the last one */
        for (int i = 0; i < SETTINGS; i++)
            have[i] |= names_var(envp[n], names[i], strlen(names[i]));
        /* turned off on purpose (getenv reads the first COWLINK=) */
        if (!switch_seen && names_var(envp[n], "COWLINK", 7) && (switch_seen = 1) &&
            !strcmp(envp[n], "COWLINK=0"))
            return envp;
    }
    for (int i = 0; i < SETTINGS; i++)
        add += !have[i] && kept.setting[i][0];
    if (preload && self_in(preload) && !add)
        return envp;
    if (!(preload && self_in(preload)))
        len = kept.preload_len + 1 + (preload ? strlen(preload) + 1 : 0);
    if (!(out = room(e, n + SETTINGS + 2, len))) {
        /* Fail closed: the child would run without the library. */
        cow_say("not starting a program without the library: no memory for its environment",
                (char *)0);
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!len || !names_var(envp[i], "LD_PRELOAD", 10))
            out[k++] = envp[i];
    if (len) {
        value = (char *)(out + n + SETTINGS + 2);
        memcpy(value, kept.preload, kept.preload_len);
        value[kept.preload_len] = 0;
        if (preload && *preload) {
            value[kept.preload_len] = ':';
            strcpy(value + kept.preload_len + 1, preload);
        }
        out[k++] = value;
    }
    for (int i = 0; i < SETTINGS; i++)
        if (!have[i] && kept.setting[i][0])
            out[k++] = kept.setting[i];
    out[k] = NULL;
    return out;
}

/* After an exec that failed, or a spawn. */
void cow_child_env_done(struct cow_env *e)
{
    if (e->map)
        syscall(SYS_munmap, e->map, e->map_len);
    e->map = NULL;
}
