/* How bytes are copied: every method copies exactly, and the chain of
   methods falls back past the ones that cannot work. */
#include "fixture.h"

#define SIZE (1024 * 1024 + 7) /* not a multiple of any buffer size */

static void make_source(void)
{
    static char data[SIZE];
    int fd = open(at("source"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

    for (size_t i = 0; i < SIZE; i++)
        data[i] = (char)(i * 131 + i / 4096);
    assert_int_equal(write(fd, data, SIZE), SIZE);
    close(fd);
}

static int same_files(const char *a, const char *b)
{
    char cmd[2 * PATH_MAX];

    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static void copy_with(int method, int expect_unusable_ok)
{
    unsigned long long bytes = 0;
    int in = open(at("source"), O_RDONLY);
    int out = open(at("dest"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = cow_copy_by(method, in, out, &bytes);

    close(in);
    close(out);
    if (err == COW_UNUSABLE && expect_unusable_ok) {
        struct stat st;
        assert_int_equal(stat(at("dest"), &st), 0);
        assert_int_equal(st.st_size, 0); /* untouched when it cannot work */
        return;
    }
    assert_int_equal(err, 0);
    assert_int_equal(bytes, SIZE);
    assert_true(same_files(at("source"), at("dest")));
}

/* ext4 and tmpfs have no reflink: the method must say so, not half-copy. */
static void by_reflink(void **state)
{
    (void)state;
    copy_with(COW_REFLINK, 1);
}

static void by_copy_file_range(void **state)
{
    (void)state;
    copy_with(COW_COPY_RANGE, 0);
}

static void by_sendfile(void **state)
{
    (void)state;
    copy_with(COW_SENDFILE, 0);
}

static void by_read_write(void **state)
{
    (void)state;
    copy_with(COW_READ_WRITE, 0);
}

static void best_method(void **state)
{
    unsigned long long bytes = 0;
    int method = -1, in = open(at("source"), O_RDONLY);
    int out = open(at("dest"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    (void)state;

    assert_int_equal(cow_copy(in, out, &method, &bytes), 0);
    assert_true(method >= 0 && method < COW_METHODS);
    assert_int_equal(bytes, SIZE);
    close(in);
    close(out);
    assert_true(same_files(at("source"), at("dest")));
}

/* A pipe as source: reflink and copy_file_range cannot use it. */
static void falls_back_on_a_pipe(void **state)
{
    unsigned long long bytes = 0;
    int method = -1, p[2], out = open(at("dest"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    (void)state;

    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "through a pipe", 14), 14);
    close(p[1]);
    assert_int_equal(cow_copy(p[0], out, &method, &bytes), 0);
    assert_true(method >= COW_SENDFILE);
    assert_int_equal(bytes, 14);
    close(p[0]);
    close(out);
    assert_string_equal(slurp(at("dest")), "through a pipe");
}

static void empty_file(void **state)
{
    unsigned long long bytes = 99;
    int method, in, out;
    (void)state;

    close(open(at("empty"), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    in = open(at("empty"), O_RDONLY);
    out = open(at("dest"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(cow_copy(in, out, &method, &bytes), 0);
    assert_int_equal(bytes, 0);
    close(in);
    close(out);
}

/* Writing to a read-only fd is an error, not a silent fallback. */
static void write_error_is_reported(void **state)
{
    unsigned long long bytes;
    int in = open(at("source"), O_RDONLY), out = open(at("source"), O_RDONLY);
    (void)state;

    assert_int_equal(cow_copy_by(COW_READ_WRITE, in, out, &bytes), EBADF);
    close(in);
    close(out);
}

/* A sparse store file stays sparse: only its data is copied, its holes
   stay holes, and its size and content are the same. */
static void sparse_file_keeps_holes(void **state)
{
    const off_t size = 64L * 1024 * 1024, second = 32L * 1024 * 1024;
    unsigned long long bytes = 0;
    char block[4096];
    struct stat st;
    int method, in, out;

    (void)state;
    memset(block, 'd', sizeof block);
    in = open(at("sparse"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(pwrite(in, block, sizeof block, 0), sizeof block);
    assert_int_equal(pwrite(in, block, sizeof block, second), sizeof block);
    assert_int_equal(ftruncate(in, size), 0);
    assert_int_equal(fstat(in, &st), 0);
    if ((long long)st.st_blocks * 512 >= size) {
        close(in);
        skip(); /* this file system has no holes */
    }
    lseek(in, 0, SEEK_SET);
    out = open(at("sparse.copy"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(cow_copy(in, out, &method, &bytes), 0);
    close(in);
    close(out);
    assert_int_equal(stat(at("sparse.copy"), &st), 0);
    assert_int_equal(st.st_size, size);
    assert_true((long long)st.st_blocks * 512 < 1024 * 1024); /* 8 KiB of data */
    assert_true(same_files(at("sparse"), at("sparse.copy")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(by_reflink),
        cmocka_unit_test(by_copy_file_range),
        cmocka_unit_test(by_sendfile),
        cmocka_unit_test(by_read_write),
        cmocka_unit_test(best_method),
        cmocka_unit_test(falls_back_on_a_pipe),
        cmocka_unit_test(empty_file),
        cmocka_unit_test(write_error_is_reported),
        cmocka_unit_test(sparse_file_keeps_holes),
    };
    int failed;

    fixture_init();
    make_source();
    failed = cmocka_run_group_tests_name("copy", tests, NULL, NULL);
    fixture_free();
    return failed;
}
