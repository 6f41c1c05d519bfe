/* test_run_linefile.c - whole lines or nothing: buffered lines reach the
 * file only on a write, a full device (/dev/full) and a file-size limit
 * return their errno, and a write cut short leaves the file at its last
 * whole line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/linefile.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mtlab-linefile-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_run_linefile_lines_on_write(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/a.csv", dir);
    mt_linefile f;
    assert_int_equal(linefile_open(&f, p), 0);
    assert_int_equal(linefile_append(&f, "step,loss", 9), 0);
    assert_int_equal(linefile_append(&f, "1,0.5", 5), 0);
    assert_int_equal(file_size(p), 0); /* in memory until written */
    assert_int_equal(linefile_write(&f), 0);
    assert_string_equal(slurp(p), "step,loss\n1,0.5\n");
    /* a dropped buffer never reaches the file */
    assert_int_equal(linefile_append(&f, "2,0.4", 5), 0);
    linefile_drop(&f);
    assert_int_equal(linefile_append(&f, "3,0.3", 5), 0);
    assert_int_equal(linefile_close(&f, 1), 0);
    assert_string_equal(slurp(p), "step,loss\n1,0.5\n3,0.3\n");
    /* a directory that is not there */
    snprintf(p, sizeof p, "%s/no/such.csv", dir);
    assert_int_equal(linefile_open(&f, p), ENOENT);
    assert_int_equal(linefile_close(&f, 1), 0);
}

/* More than LINEFILE_BUF_MAX buffered is written at once, in whole lines. */
static void test_run_linefile_large_buffer_writes(void **state)
{
    (void)state;
    char p[128], line[1000];
    snprintf(p, sizeof p, "%s/big.jsonl", dir);
    memset(line, 'x', sizeof line);
    mt_linefile f;
    assert_int_equal(linefile_open(&f, p), 0);
    size_t n = 0;
    while (file_size(p) == 0) {
        assert_int_equal(linefile_append(&f, line, sizeof line), 0);
        n++;
        assert_true(n * (sizeof line + 1) <= LINEFILE_BUF_MAX + sizeof line + 1);
    }
    assert_int_equal(file_size(p) % (long)(sizeof line + 1), 0);
    assert_int_equal(linefile_close(&f, 0), 0);
}

/* A full device: the error comes back as ENOSPC. */
static void test_run_linefile_full_device(void **state)
{
    (void)state;
    mt_linefile f;
    if (linefile_open(&f, "/dev/full") != 0) skip();
    assert_int_equal(linefile_append(&f, "a line", 6), 0);
    assert_int_equal(linefile_write(&f), ENOSPC);
    assert_int_equal(f.len, 0); /* the lines are gone, not retried forever */
    assert_int_equal(linefile_close(&f, 1), 0);
}

/* A file-size limit cuts a write in the middle of a line: the file goes
 * back to its last whole line, and the error is EFBIG. */
static void test_run_linefile_cut_back_to_whole_lines(void **state)
{
    (void)state;
    char p[128], line[40];
    snprintf(p, sizeof p, "%s/limited.csv", dir);
    memset(line, 'y', sizeof line);
    mt_linefile f;
    assert_int_equal(linefile_open(&f, p), 0);
    assert_int_equal(linefile_append(&f, line, sizeof line), 0);
    assert_int_equal(linefile_write(&f), 0); /* 41 bytes on disk */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (int i = 0; i < 3; i++) assert_int_equal(linefile_append(&f, line, sizeof line), 0);
    int e = linefile_write(&f); /* 59 of 123 bytes fit, then EFBIG */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(e, EFBIG);
    assert_int_equal(file_size(p), 41);
    assert_int_equal(linefile_close(&f, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_linefile_lines_on_write),
        cmocka_unit_test(test_run_linefile_large_buffer_writes),
        cmocka_unit_test(test_run_linefile_full_device),
        cmocka_unit_test(test_run_linefile_cut_back_to_whole_lines),
    };
    return cmocka_run_group_tests_name("run linefile", tests, setup, teardown);
}
