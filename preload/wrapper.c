/* The cowlink command: run a program with libcowlink preloaded.
 *
 *   cowlink [--store DIR]... [--log FILE] [--verbose] [--] COMMAND [ARG...]
 *   cowlink inherit SRC DEST      (see inherit.c)
 *
 * The library is found beside the command (the build tree) or in
 * ../lib (an installed prefix).  Existing LD_PRELOAD entries are kept.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inherit.h"

static const char usage[] =
    "usage: cowlink [--store DIR]... [--log FILE] [--verbose] [--] COMMAND [ARG...]\n"
    "       cowlink inherit SRC DEST\n"
    "Runs COMMAND so that symlinks into a store (default: $NIX_STORE or /nix/store)\n"
    "behave as private, writable files.  inherit makes DEST a mirror of SRC:\n"
    "real directories and one symlink per file.\n";

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "cowlink: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(125);
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

    if (asprintf(&joined, "%s%s%s", *stores ? *stores : "", *stores ? ":" : "", abs) < 0)
        die("out of memory", NULL);
    free(*stores);
    free(abs);
    *stores = joined;
}

static void preload(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    char *value;

    if (old && strstr(old, lib))
        return;
    if (asprintf(&value, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "") < 0)
        die("out of memory", NULL);
    setenv("LD_PRELOAD", value, 1);
    free(value);
}

int main(int argc, char **argv)
{
    char lib[PATH_MAX], *stores = NULL;
    int i;

    if (argc > 1 && !strcmp(argv[1], "inherit")) {
        if (argc != 4) {
            fputs(usage, stderr);
            return 2;
        }
        return cow_inherit(argv[2], argv[3]);
    }
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "--store") && i + 1 < argc) {
            add_store(&stores, argv[++i]);
        } else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
            setenv("COWLINK_LOG", absolute(argv[++i]), 1);
        } else if (!strcmp(argv[i], "--verbose")) {
            setenv("COWLINK_VERBOSE", "1", 1);
        } else if ((!strcmp(argv[i], "--store") || !strcmp(argv[i], "--log")) && i + 1 == argc) {
            fprintf(stderr, "cowlink: %s needs an argument\n%s", argv[i], usage);
            return 125;
        } else if (!strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else {
            fprintf(stderr, "cowlink: unknown option %s\n%s", argv[i], usage);
            return 125;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 125;
    }
    find_library(lib);
    preload(lib);
    if (stores)
        setenv("COWLINK_STORE", stores, 1);
    execvp(argv[i], argv + i);
    fprintf(stderr, "cowlink: cannot run %s: %s\n", argv[i], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
