/* ns per call for the calls cowlink intercepts, on paths that involve no
 * store link: what every build pays for having the library loaded.
 * Run the same binary with and without LD_PRELOAD (micro.sh does).
 *
 *   micro DIR [ITERATIONS [CALL]]   CALL: run only the call of that name
 *                                   (micro.sh counts its instructions) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char plain[4096], readonly[4096], out[4096], out2[4096];
static int plain_fd, readonly_fd;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void do_stat(void) { struct stat st; stat(plain, &st); }
static void do_stat_readonly(void) { struct stat st; stat(readonly, &st); }
static void do_statx(void) { struct statx sx; statx(AT_FDCWD, plain, 0, STATX_BASIC_STATS, &sx); }
static void do_access(void) { access(plain, R_OK); }
static void do_open_read(void) { close(open(plain, O_RDONLY)); }
static void do_open_write(void) { close(open(out, O_WRONLY | O_CREAT, 0644)); }
static void do_fopen(void) { fclose(fopen(plain, "r")); }
static void do_fopen_write(void) { fclose(fopen(out, "w")); }
static void do_chmod(void) { chmod(plain, 0644); }
static void do_rename(void) { rename(out, out2); rename(out2, out); }
static void do_fchmod(void) { fchmod(plain_fd, 0644); }
static void do_fchmod_readonly(void) { fchmod(readonly_fd, 0444); }

static const struct { const char *name; void (*fn)(void); } calls[] = {
    {"stat", do_stat},
    {"stat (0444 file)", do_stat_readonly},
    {"statx", do_statx},
    {"access", do_access},
    {"open read-only + close", do_open_read},
    {"open for write + close", do_open_write},
    {"fopen r + fclose", do_fopen},
    {"fopen w + fclose", do_fopen_write},
    {"chmod", do_chmod},
    {"rename, twice", do_rename},
    {"fchmod", do_fchmod},
    {"fchmod (0444 file)", do_fchmod_readonly},
};

int main(int argc, char **argv)
{
    long n = argc > 2 ? atol(argv[2]) : 200000;

    if (argc < 2) {
        fprintf(stderr, "usage: micro DIR [ITERATIONS [CALL]]\n");
        return 2;
    }
    snprintf(plain, sizeof plain, "%s/plain", argv[1]);
    snprintf(readonly, sizeof readonly, "%s/readonly", argv[1]);
    snprintf(out, sizeof out, "%s/out", argv[1]);
    snprintf(out2, sizeof out2, "%s/out2", argv[1]);
    close(open(plain, O_WRONLY | O_CREAT, 0644));
    close(open(readonly, O_WRONLY | O_CREAT, 0444));
    chmod(readonly, 0444);
    close(open(out, O_WRONLY | O_CREAT, 0644));
    plain_fd = open(plain, O_RDONLY);
    readonly_fd = open(readonly, O_RDONLY);
    for (size_t c = 0; c < sizeof calls / sizeof *calls; c++) {
        double start;
        if (argc > 3 && strcmp(argv[3], calls[c].name))
            continue;
        for (long i = 0; i < n / 10; i++) /* warm up */
            calls[c].fn();
        start = now();
        for (long i = 0; i < n; i++)
            calls[c].fn();
        printf("%s\t%.1f\n", calls[c].name, (now() - start) / n);
    }
    return 0;
}
