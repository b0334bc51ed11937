/* The system calls one intercepted call costs: the program makes CALL
 * once (warming up: the library's first look at the mount table, the
 * dynamic linker's lookups), then again between two markers (a write to
 * descriptor -1) that syscalls.sh counts the strace lines between.
 *
 *   syscalls DIR CALL   CALL: one of the names below; DIR holds the files
 *                       (a name starting with "./" is made from DIR as the
 *                       working directory, with no directory part) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *file = "out", *other = "out2", *dir = "dir", *fresh = "new";

static void mark(void) { syscall(SYS_write, -1, "mark", 4); }

static void open_write(void) { close(open(file, O_WRONLY | O_CREAT, 0644)); }
static void create_unlink(void) { close(open(fresh, O_WRONLY | O_CREAT | O_TRUNC, 0644)); unlink(fresh); }
static void mkdir_rmdir(void) { mkdir(dir, 0755); rmdir(dir); }
static void rename_twice(void) { rename(file, other); rename(other, file); }
static void do_chmod(void) { chmod(file, 0644); }
static void open_read(void) { close(open(file, O_RDONLY)); }
static void do_stat(void) { struct stat st; stat(file, &st); }

static const struct { const char *name; void (*fn)(void); } calls[] = {
    {"open for write + close", open_write},
    {"create + unlink", create_unlink},
    {"mkdir + rmdir", mkdir_rmdir},
    {"rename, twice", rename_twice},
    {"chmod", do_chmod},
    {"open read-only + close", open_read},
    {"stat", do_stat},
};

int main(int argc, char **argv)
{
    static char paths[4][4096];
    const char **names[] = {&file, &other, &dir, &fresh};

    if (argc == 2 && !strcmp(argv[1], "-l")) {
        for (size_t c = 0; c < sizeof calls / sizeof *calls; c++)
            puts(calls[c].name);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: syscalls DIR CALL | syscalls -l\n");
        return 2;
    }
    if (!strncmp(argv[2], "./", 2)) {
        if (chdir(argv[1]))
            return perror(argv[1]), 1;
        argv[2] += 2;
    } else {
        for (int i = 0; i < 4; i++) {
            snprintf(paths[i], sizeof paths[i], "%s/%s", argv[1], *names[i]);
            *names[i] = paths[i];
        }
    }
    close(open(file, O_WRONLY | O_CREAT, 0644));
    for (size_t c = 0; c < sizeof calls / sizeof *calls; c++) {
        if (strcmp(argv[2], calls[c].name))
            continue;
        calls[c].fn();
        mark();
        calls[c].fn();
        mark();
        return 0;
    }
    fprintf(stderr, "syscalls: no call %s\n", argv[2]);
    return 2;
}
