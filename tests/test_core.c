/* test_core.c - status messages, arenas, the RNG. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/log.h"
#include "core/strutil.h"

static void test_core_fail_records_message(void **state)
{
    (void)state;
    mt_clear_error();
    assert_string_equal(mt_last_error(), "");
    mt_status s = mt_fail(MT_ERR_IO, "%s: cannot open", "data.csv");
    assert_int_equal(s, MT_ERR_IO);
    assert_string_equal(mt_last_error(), "data.csv: cannot open");
    mt_fail_prefix(MT_ERR_IO, "loading %s", "train");
    assert_string_equal(mt_last_error(), "loading train: data.csv: cannot open");
    assert_int_equal(mt_last_status(), MT_ERR_IO);
    assert_string_equal(mt_status_name(MT_ERR_FORMAT), "format");
}

static void test_core_arena_alignment_and_growth(void **state)
{
    (void)state;
    mt_arena a;
    mt_arena_init(&a, 256);
    float *p[50];
    for (int i = 0; i < 50; i++) {
        p[i] = mt_arena_alloc(&a, (size_t)(i + 1) * 17);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 64, 0);
        for (int k = 0; k < (i + 1) * 17 / 4; k++) assert_true(p[i][k] == 0.0f);
        p[i][0] = (float)i;
    }
    for (int i = 0; i < 50; i++) assert_true(p[i][0] == (float)i);
    char *s = mt_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    mt_arena_free(&a);
}

static void test_core_rng_reproducible_and_uniform(void **state)
{
    (void)state;
    mt_rng a, b, c;
    mt_rng_init(&a, 42, 0);
    mt_rng_init(&b, 42, 0);
    mt_rng_init(&c, 42, 1);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = mt_rng_u64(&a), y = mt_rng_u64(&b), z = mt_rng_u64(&c);
        assert_true(x == y);
        same_c += x == z;
    }
    assert_true(same_c < 2);
    /* mean and variance of uniform and normal draws */
    mt_rng r;
    mt_rng_init(&r, 7, 3);
    double s = 0, s2 = 0, n1 = 0, n2 = 0;
    const int N = 200000;
    for (int i = 0; i < N; i++) {
        double u = mt_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        s += u;
        s2 += u * u;
        double g = mt_rng_normal(&r);
        n1 += g;
        n2 += g * g;
    }
    assert_true(fabs(s / N - 0.5) < 0.01);
    assert_true(fabs(s2 / N - 1.0 / 3.0) < 0.01);
    assert_true(fabs(n1 / N) < 0.01);
    assert_true(fabs(n2 / N - 1.0) < 0.02);
}

static void test_core_rng_shuffle_is_permutation(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 1, 0);
    int a[100], seen[100] = {0};
    for (int i = 0; i < 100; i++) a[i] = i;
    mt_rng_shuffle(&r, a, 100);
    int moved = 0;
    for (int i = 0; i < 100; i++) {
        seen[a[i]]++;
        moved += a[i] != i;
    }
    for (int i = 0; i < 100; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 50);
    int counts[5] = {0};
    for (int i = 0; i < 50000; i++) counts[mt_rng_below(&r, 5)]++;
    for (int i = 0; i < 5; i++) assert_true(abs(counts[i] - 10000) < 500);
}

static char log_buf[256];
static void sink(void *ud, mt_log_level lv, const char *msg)
{
    (void)ud;
    snprintf(log_buf, sizeof log_buf, "%s:%s", mt_log_level_name(lv), msg);
}

static void test_core_log_sink(void **state)
{
    (void)state;
    log_buf[0] = 0;
    mt_log(MT_LOG_INFO, "dropped");
    assert_string_equal(log_buf, "");
    mt_log_set_sink(sink, NULL, NULL);
    mt_log(MT_LOG_WARN, "x=%d", 3);
    assert_string_equal(log_buf, "warn:x=3");
    mt_log(MT_LOG_DEBUG, "below level");
    assert_string_equal(log_buf, "warn:x=3");
    mt_log_set_sink(NULL, NULL, NULL);
}

static void test_core_edit_distance_and_closest(void **state)
{
    (void)state;
    assert_int_equal(mt_edit_distance("", ""), 0);
    assert_int_equal(mt_edit_distance("epochs", "epochs"), 0);
    assert_int_equal(mt_edit_distance("epohcs", "epochs"), 2); /* a swap is two edits */
    assert_int_equal(mt_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(mt_edit_distance("abc", ""), 3);
    const char *const names[] = {"batch", "epochs", "steps", NULL};
    assert_string_equal(mt_closest("epohcs", names, 2), "epochs");
    assert_string_equal(mt_closest("step", names, 2), "steps");
    assert_null(mt_closest("learning_rate", names, 2));
}

/* Options are whole integers in a range and sizes with units; overflow is
 * an error (-2), never a saturated value. */
static void test_core_parse_int_and_size(void **state)
{
    (void)state;
    long long v = 0;
    assert_int_equal(mt_parse_int("42", 1, 256, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(mt_parse_int("-7", -10, 10, &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(mt_parse_int("9223372036854775807", 0, 9223372036854775807LL, &v), 0);
    assert_true(v == 9223372036854775807LL);
    v = 5;
    assert_int_equal(mt_parse_int("9223372036854775808", 0, 9223372036854775807LL, &v), -2);
    assert_int_equal(mt_parse_int("99999999999999999999999", 0, 9223372036854775807LL, &v), -2);
    assert_int_equal(mt_parse_int("-99999999999999999999999", -5, 5, &v), -2);
    assert_int_equal(mt_parse_int("257", 1, 256, &v), -2);
    assert_int_equal(mt_parse_int("0", 1, 256, &v), -2);
    assert_int_equal(v, 5); /* untouched on failure */
    const char *bad[] = {"", "-", "1.5", "1e3", " 3", "3 ", "0x10", "12abc", "+", NULL};
    for (const char **b = bad; *b; b++) assert_int_equal(mt_parse_int(*b, -100, 100, &v), -1);

    unsigned long long z = 0;
    assert_int_equal(mt_parse_size("4096", &z), 0);
    assert_true(z == 4096);
    assert_int_equal(mt_parse_size("512M", &z), 0);
    assert_true(z == 512ULL << 20);
    assert_int_equal(mt_parse_size("1G", &z), 0);
    assert_true(z == 1ULL << 30);
    assert_int_equal(mt_parse_size("1.5g", &z), 0);
    assert_true(z == 3ULL << 29);
    assert_int_equal(mt_parse_size("2GiB", &z), 0);
    assert_true(z == 2ULL << 30);
    assert_int_equal(mt_parse_size("64kb", &z), 0);
    assert_true(z == 64ULL << 10);
    assert_int_equal(mt_parse_size("1T", &z), 0);
    assert_true(z == 1ULL << 40);
    assert_int_equal(mt_parse_size("99999999999999999999999", &z), -2);
    assert_int_equal(mt_parse_size("5000000T", &z), -2);
    assert_int_equal(mt_parse_size("1e999", &z), -2);
    const char *badz[] = {"", "G", "-1G", "1X", "1GG", "1 G", "nan", "inf", "1GiBs", NULL};
    for (const char **b = badz; *b; b++) assert_int_equal(mt_parse_size(*b, &z), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_fail_records_message),
        cmocka_unit_test(test_core_arena_alignment_and_growth),
        cmocka_unit_test(test_core_rng_reproducible_and_uniform),
        cmocka_unit_test(test_core_rng_shuffle_is_permutation),
        cmocka_unit_test(test_core_log_sink),
        cmocka_unit_test(test_core_edit_distance_and_closest),
        cmocka_unit_test(test_core_parse_int_and_size),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
