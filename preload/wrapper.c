/* The cowlink command: run a program with libcowlink preloaded.
 *
 *   cowlink [--store DIR]... [--log FILE] [--verbose] [--] COMMAND [ARG...]
 *   cowlink inherit SRC DEST      (see inherit.c)
 *   cowlink dedup PREV TARGET     (see dedup.c)
 *
 * The library is found beside the command (the build tree) or in
 * ../lib (an installed prefix).  Existing LD_PRELOAD entries are kept.
 * Exit codes follow env(1) and eatmydata: COMMAND's own status, 125 when
 * cowlink itself fails, 126/127 when COMMAND cannot be run / is not found,
 * and 2 for a usage error, as coreutils does.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup.h"
#include "inherit.h"

#ifndef COWLINK_VERSION
#define COWLINK_VERSION "unknown"
#endif

enum { EXIT_USAGE = 2, EXIT_OWN = 125, EXIT_CANNOT_RUN = 126, EXIT_NOT_FOUND = 127 };

static const char help[] =
    "usage: cowlink [OPTION]... [--] COMMAND [ARG]...\n"
    "       cowlink inherit SRC DEST\n"
    "       cowlink dedup PREV TARGET\n"
    "Run COMMAND with libcowlink.so preloaded, so that symlinks into a read-only\n"
    "store (the Nix store) behave as private, writable files: the first write\n"
    "through such a link replaces it by a private copy; the store is never written.\n"
    "\n"
    "  --store DIR    a store directory; repeat for several (default:\n"
    "                 $COWLINK_STORE, else $NIX_STORE, else /nix/store)\n"
    "  --log FILE     append one line per event (copy, empty, create, replace,\n"
    "                 remove) to FILE\n"
    "  --verbose      also print events on stderr\n"
    "  -h, --help     print this help and exit\n"
    "  --version      print the version and exit\n"
    "\n"
    "  inherit SRC DEST  make DEST a mirror of the directory SRC: real\n"
    "                 directories and one symlink per file (cargo's .cargo-lock\n"
    "                 is skipped).  A command named inherit: cowlink -- inherit\n"
    "  dedup PREV TARGET  crane's use-symlink install in one process: every\n"
    "                 regular file under TARGET equal to PREV's file of the same\n"
    "                 name becomes a symlink to it (text PREV/NAME).  A command\n"
    "                 named dedup: cowlink -- dedup\n"
    "\n"
    "Environment (read by the library; the options above set the first three):\n"
    "  COWLINK_STORE    colon-separated store directories\n"
    "  COWLINK_LOG      the event log file\n"
    "  COWLINK_VERBOSE  1: print events on stderr\n"
    "  NIX_STORE        the store when COWLINK_STORE is unset or empty\n"
    "  COWLINK_OUTPUTS  colon-separated store paths, the build's own outputs (set\n"
    "                   by the Nix setup hook): any other store entry is refused\n"
    "                   even when named directly.  Unset: the outputs Nix's\n"
    "                   environment names ($outputs and each output's variable, or\n"
    "                   the outputs object of NIX_ATTRS_JSON_FILE; NIX_ATTRS_SH_FILE\n"
    "                   alone is not read), else none: every store entry is refused\n"
    "  COWLINK          0: the library passes every call through untouched\n"
    "  LD_PRELOAD       kept, after libcowlink.so; a program started with an\n"
    "                   environment of its own gets libcowlink.so and the COWLINK_*\n"
    "                   settings back (a sanitized build: the ASan runtime and\n"
    "                   ASAN_OPTIONS too), unless that environment has COWLINK=0\n"
    "\n"
    "Exit status: COMMAND's; 125 if cowlink itself fails; 126 if COMMAND cannot\n"
    "be run; 127 if it is not found; 2 for a usage error.  inherit: 0, 1 if some\n"
    "entry could not be mirrored, 2 if it could not start; dedup: the same.\n"
    "See cowlink(1).\n";

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "cowlink: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(EXIT_OWN);
}

static int usage_error(const char *what, const char *detail)
{
    if (what)
        fprintf(stderr, "cowlink: %s%s%s\n", what, detail ? " " : "", detail ? detail : "");
    fputs("usage: cowlink [OPTION]... [--] COMMAND [ARG]...\n"
          "       cowlink inherit SRC DEST\n"
          "       cowlink dedup PREV TARGET\n"
          "Try 'cowlink --help' for more information.\n",
          stderr);
    return EXIT_USAGE;
}

/* The library beside the command, or under the prefix it is installed in. */
static void find_library(char out[PATH_MAX])
{
    static const char *const places[] = {"/libcowlink.so", "/../lib/libcowlink.so"};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (n < 0)
        die("cannot find where the cowlink command is", strerror(errno));
    exe[n] = 0;
    *strrchr(exe, '/') = 0;
    for (size_t i = 0; i < sizeof places / sizeof *places; i++) {
        char candidate[PATH_MAX + 32];
        snprintf(candidate, sizeof candidate, "%s%s", exe, places[i]);
        if (realpath(candidate, out))
            return;
    }
    die("libcowlink.so is neither beside the command nor in ../lib", exe);
}

/* Relative paths given on the command line mean the current directory. */
static char *absolute(const char *path)
{
    char cwd[PATH_MAX], *out;

    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        return strdup(path);
    if (asprintf(&out, "%s/%s", cwd, path) < 0)
        die("out of memory", NULL);
    return out;
}

static void add_store(char **stores, const char *dir)
{
    char *abs = absolute(dir), *joined;
    struct stat st;

    if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode))
        fprintf(stderr, "cowlink: warning: --store %s is not a directory\n", dir);
    if (asprintf(&joined, "%s%s%s", *stores ? *stores : "", *stores ? ":" : "", abs) < 0)
        die("out of memory", NULL);
    free(*stores);
    free(abs);
    *stores = joined;
}

/* Forgetting --store outside Nix would silently do nothing: say so. */
static void check_default_store(void)
{
    const char *set = getenv("COWLINK_STORE");
    struct stat st;

    if (!set || !*set)
        set = getenv("NIX_STORE");
    if ((!set || !*set) && stat("/nix/store", &st) != 0)
        fputs("cowlink: warning: no --store, COWLINK_STORE or NIX_STORE, and /nix/store "
              "does not exist: no link will be made writable\n",
              stderr);
}

/* Prepend entry to LD_PRELOAD unless it is there already. */
static void preload(const char *entry)
{
    const char *old = getenv("LD_PRELOAD");
    char *value;

    if (old && strstr(old, entry))
        return;
    if (asprintf(&value, "%s%s%s", entry, old && *old ? ":" : "", old ? old : "") < 0)
        die("out of memory", NULL);
    setenv("LD_PRELOAD", value, 1);
    free(value);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'}, {"log", required_argument, NULL, 'l'},
        {"verbose", no_argument, NULL, 'v'},     {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},     {NULL, 0, NULL, 0},
    };
    char lib[PATH_MAX], *stores = NULL;
    int c;

    if (argc > 1 && !strcmp(argv[1], "inherit")) {
        if (argc != 4)
            return usage_error("inherit needs SRC and DEST", NULL);
        return cow_inherit(argv[2], argv[3]);
    }
    if (argc > 1 && !strcmp(argv[1], "dedup")) {
        if (argc != 4)
            return usage_error("dedup needs PREV and TARGET", NULL);
        return cow_dedup(argv[2], argv[3]);
    }
    opterr = 0; /* our own messages, then the short usage */
    /* "+": options end at COMMAND, whose own options are its business. */
    while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
        switch (c) {
        case 's':
            add_store(&stores, optarg);
            break;
        case 'l':
            setenv("COWLINK_LOG", absolute(optarg), 1);
            break;
        case 'v':
            setenv("COWLINK_VERBOSE", "1", 1);
            break;
        case 'h':
            fputs(help, stdout);
            return ferror(stdout) || fflush(stdout) ? EXIT_OWN : 0;
        case 'V':
            printf("cowlink %s\n", COWLINK_VERSION);
            return ferror(stdout) || fflush(stdout) ? EXIT_OWN : 0;
        case ':':
            return usage_error("option needs an argument:", argv[optind - 1]);
        default: {
            char shortopt[3] = {'-', (char)optopt, 0};
            return usage_error("unknown option", optopt ? shortopt : argv[optind - 1]);
        }
        }
    }
    if (optind >= argc)
        return usage_error("no COMMAND given", NULL);
    find_library(lib);
    preload(lib);
#ifdef COWLINK_ASAN_RUNTIME
    /* A sanitized library loads only after the ASan runtime.  The programs
       it is loaded into are not ours, nor are their leaks or their C++
       new/free mismatches (Debian's rustc has one). */
    preload(COWLINK_ASAN_RUNTIME);
    setenv("ASAN_OPTIONS", "detect_leaks=0:alloc_dealloc_mismatch=0", 0);
#endif
    if (stores)
        setenv("COWLINK_STORE", stores, 1);
    else
        check_default_store();
    execvp(argv[optind], argv + optind);
    fprintf(stderr, "cowlink: cannot run %s: %s\n", argv[optind], strerror(errno));
    return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
