/* Configuration, read once from the environment.
 *
 *   COWLINK_STORE    colon-separated store directories
 *                    (default: $NIX_STORE, else /nix/store)
 *   COWLINK=0        pure pass-through
 *   COWLINK_LOG      file that receives one line per event
 *   COWLINK_VERBOSE  1: events on stderr too
 *
 * Read lazily on first use rather than in a constructor, because other
 * libraries' constructors may open files before ours runs.
 */
#include <stdlib.h>
#include <string.h>

#include "cowlink.h"
#include "sys.h"

#define MAX_STORES 16

static struct {
    int enabled, verbose;
    int nstores;
    char store[MAX_STORES][PATH_MAX]; /* canonical, with a trailing '/' */
    size_t store_len[MAX_STORES];
    char log[PATH_MAX];
} cfg;

static int state; /* 0 unread, 1 being read, 2 ready */

/* Keep one store directory: canonical form, so that it compares with the
   canonical targets classify.c produces. */
static void add_store(const char *dir, size_t len)
{
    char raw[PATH_MAX], canon[PATH_MAX];
    int missing;

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
    if (cfg.nstores == MAX_STORES) {
        cow_say("ignoring store directory ", raw, ": at most 16 are used", (char *)0);
        return;
    }
    if (cow_resolve(raw, canon, &missing) != 0)
        memcpy(canon, raw, len + 1); /* not there yet: compare as written */
    len = strlen(canon);
    while (len > 1 && canon[len - 1] == '/')
        len--;
    if (len > 1 || canon[0] != '/')
        canon[len++] = '/';
    canon[len] = 0;
    memcpy(cfg.store[cfg.nstores], canon, len + 1);
    cfg.store_len[cfg.nstores++] = len;
}

static int in_store(const char *path)
{
    for (int i = 0; i < cfg.nstores; i++)
        if (strncmp(path, cfg.store[i], cfg.store_len[i]) == 0)
            return 1;
    return 0;
}

static void read_stores(const char *list)
{
    const char *p = list, *colon;

    for (;;) {
        colon = strchr(p, ':');
        add_store(p, colon ? (size_t)(colon - p) : strlen(p));
        if (!colon)
            break;
        p = colon + 1;
    }
}

static void read_config(void)
{
    const char *v;

    v = getenv("COWLINK");
    cfg.enabled = !(v && strcmp(v, "0") == 0);
    v = getenv("COWLINK_VERBOSE");
    cfg.verbose = v && strcmp(v, "1") == 0;
    v = getenv("COWLINK_LOG");
    if (v && *v) {
        if (strlen(v) < PATH_MAX)
            strcpy(cfg.log, v);
        else
            cow_say("ignoring COWLINK_LOG: path too long", (char *)0);
    }
    v = getenv("COWLINK_STORE");
    if (!v)
        v = getenv("NIX_STORE");
    read_stores(v ? v : "/nix/store");
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
   Reading it calls nothing that could re-enter the library. */
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
    return in_store(path);
}
