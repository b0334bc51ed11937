/* libFuzzer target: path classification and resolution (classify.c,
 * config.c) on arbitrary bytes as paths, in a fixture of store links,
 * chains, loops, dangling and relative links.  Invariants checked: no
 * crash, no overflow (ASan), resolved and classified paths are absolute and
 * canonical, and a path classified as a store link leads into the store. */
#include "cowlink.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void remove_fixture(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fputs("classify_fuzz: could not remove the fixture\n", stderr);
}

static void fixture(void)
{
    strcpy(root, "/tmp/cowlink-fuzz-XXXXXX");
    if (!mkdtemp(root) || chdir(root) != 0)
        abort();
    atexit(remove_fixture);
    mkdir("store", 0755);
    mkdir("store/d", 0755);
    mkdir("work", 0755);
    put("store/a", "a");
    put("store/d/b", "b");
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/store/a", root);
    symlink(buf, "work/abs");
    symlink("../store/a", "work/rel");
    symlink("abs", "work/chain");
    symlink("loop2", "work/loop1");
    symlink("loop1", "work/loop2");
    symlink("../store/missing", "work/dangling");
    symlink("../store/d", "work/dirlink");
    symlink("/", "work/slash");
    snprintf(buf, sizeof buf, "%s/store:relative::%s/store2", root, root);
    setenv("COWLINK_STORE", buf, 1);
    if (chdir("work") != 0)
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fixture();
    return 0;
}

static int canonical(const char *p)
{
    return p[0] == '/' && !strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[2 * PATH_MAX];
    size_t n = size < sizeof path - 1 ? size : sizeof path - 1;
    memcpy(path, data, n);
    path[n] = 0;

    char abs[PATH_MAX], out[PATH_MAX];
    int missing = 0;
    if (cow_abs_path(AT_FDCWD, path, abs) == 0) {
        assert(abs[0] == '/');
        (void)cow_in_store(abs);
        if (cow_resolve(abs, out, &missing) == 0)
            assert(canonical(out));
    }
    struct cow_link link;
    if (cow_classify(AT_FDCWD, path, 1, &link) == COW_LINK) {
        assert(canonical(link.target));
        assert(cow_in_store(link.target));
    }
    return 0;
}
