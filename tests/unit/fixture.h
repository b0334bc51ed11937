/* A scratch tree for the unit tests: ROOT/store is the store (files 0444,
 * dirs 0555, as Nix leaves them), ROOT/work is where links live.  The
 * library reads COWLINK_STORE once, so main() sets it before any test. */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cowlink.h"

static char root[256];

/* ROOT/rel, in one of a few rotating buffers so that calls can nest. */
__attribute__((unused)) static const char *at(const char *rel)
{
    static char bufs[8][PATH_MAX];
    static int next;
    char *out = bufs[next++ % 8];

    snprintf(out, PATH_MAX, "%s/%s", root, rel);
    return out;
}

__attribute__((unused)) static void put_file(const char *rel, const char *content, mode_t mode)
{
    int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

__attribute__((unused)) static void put_link(const char *target, const char *rel)
{
    unlink(at(rel));
    assert_int_equal(symlink(target, at(rel)), 0);
}

__attribute__((unused)) static char *slurp(const char *path)
{
    static char buf[1 << 16];
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0)
        return NULL;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

/* Entries of ROOT/rel whose name starts with prefix. */
__attribute__((unused)) static int count_named(const char *rel, const char *prefix)
{
    DIR *d = opendir(at(rel));
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* ROOT/rel is a symlink whose text is expect. */
__attribute__((unused)) static void link_text(const char *rel, const char *expect)
{
    char text[PATH_MAX];
    ssize_t n = readlink(at(rel), text, sizeof text - 1);

    assert_true(n > 0);
    text[n] = 0;
    assert_string_equal(text, expect);
}

__attribute__((unused)) static int is_link(const char *rel)
{
    struct stat st;

    return lstat(at(rel), &st) == 0 && S_ISLNK(st.st_mode);
}

/* Make the scratch tree and point the library at its store. */
__attribute__((unused)) static void fixture_init(void)
{
    char tmpl[] = "/tmp/cowlink-unit-XXXXXX";

    if (root[0])
        return;
    /* The tests drop to nobody, who must reach the tree: its modes are
       the ones written here, not whatever umask the caller runs with. */
    umask(022);
    assert_non_null(mkdtemp(tmpl));
    strcpy(root, tmpl);
    mkdir(at("store"), 0755);
    mkdir(at("store/pkg"), 0755);
    mkdir(at("work"), 0755);
    setenv("COWLINK_STORE", at("store"), 1);
    /* No outputs from the environment the tests run in (a nix-shell). */
    unsetenv("COWLINK_OUTPUTS");
    unsetenv("outputs");
    unsetenv("out");
    unsetenv("NIX_ATTRS_JSON_FILE");
    unsetenv("NIX_ATTRS_SH_FILE");
}

/* Before the library's constructor reads COWLINK_STORE. */
__attribute__((constructor(101), unused)) static void fixture_early(void)
{
    fixture_init();
}

__attribute__((unused)) static void fixture_seal(void)
{
    chmod(at("store/pkg"), 0555);
    chmod(at("store"), 0555);
}

__attribute__((unused)) static void fixture_free(void)
{
    char cmd[PATH_MAX + 32];

    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", root, root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

#endif
