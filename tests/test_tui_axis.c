/* test_tui_axis.c - nice ticks and compact labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "tui/axis.h"

static void assert_ticks(const double *got, int n, const double *want, int m)
{
    assert_int_equal(n, m);
    for (int i = 0; i < n; i++) {
        if (fabs(got[i] - want[i]) > 1e-9 * fmax(1.0, fabs(want[i])))
            fail_msg("tick %d: got %.17g, want %.17g", i, got[i], want[i]);
    }
}

/* Is s a 1, 2 or 5 times a power of ten? */
static int is_nice(double s)
{
    double e = floor(log10(s) + 1e-12);
    double m = s / pow(10.0, e);
    return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9;
}

static void test_tui_axis_hand_ranges(void **state)
{
    (void)state;
    double t[32], step;
    const double w01[] = { 0, 0.2, 0.4, 0.6, 0.8, 1.0 };
    assert_ticks(t, axis_ticks(0, 1, 6, t, 32, &step), w01, 6);
    assert_true(fabs(step - 0.2) < 1e-12);
    /* more room: step 0.1 */
    int n = axis_ticks(0, 1, 11, t, 32, &step);
    assert_int_equal(n, 11);
    assert_true(fabs(step - 0.1) < 1e-12);
    const double wsmall[] = { 0.02, 0.04, 0.06, 0.08 };
    assert_ticks(t, axis_ticks(0.013, 0.087, 5, t, 32, &step), wsmall, 4);
    /* reversed bounds are swapped */
    assert_ticks(t, axis_ticks(0.087, 0.013, 5, t, 32, &step), wsmall, 4);
    const double wneg[] = { -3, -2.5, -2, -1.5, -1 };
    assert_ticks(t, axis_ticks(-3, -1, 5, t, 32, &step), wneg, 5);
    const double wcross[] = { -50, 0, 50, 100 };
    assert_ticks(t, axis_ticks(-73, 120, 5, t, 32, &step), wcross, 4);
    const double wbig[] = { 2000, 4000, 6000, 8000, 10000 };
    assert_ticks(t, axis_ticks(1234, 10500, 6, t, 32, &step), wbig, 5);
}

static void test_tui_axis_property_over_many_ranges(void **state)
{
    (void)state;
    /* for many ranges: the step is nice, ticks are inside, evenly spaced,
     * at most maxn, and at least 2 once maxn >= 5 (the step chosen is at
     * most 2.5 times one that gave more than maxn ticks, so the span holds
     * at least two of it); with maxn 3 or 4 a single tick can happen */
    double t[64], step;
    for (int i = 0; i < 2000; i++) {
        double lo = sin(i * 12.9898) * pow(10.0, (i % 9) - 4);
        double hi = lo + fabs(cos(i * 78.233)) * pow(10.0, (i % 7) - 3) + 1e-6;
        int maxn = 2 + i % 9;
        int n = axis_ticks(lo, hi, maxn, t, 64, &step);
        assert_true(n >= 2 || maxn < 5);
        assert_true(n >= 1 && n <= maxn);
        assert_true(is_nice(step));
        for (int k = 0; k < n; k++) {
            assert_true(t[k] >= lo - 1e-9 * fabs(step) && t[k] <= hi + 1e-9 * fabs(step));
            if (k) assert_true(fabs(t[k] - t[k - 1] - step) < 1e-6 * step);
        }
    }
}

static void test_tui_axis_degenerate_and_bad(void **state)
{
    (void)state;
    double t[16], step;
    int n = axis_ticks(5, 5, 5, t, 16, &step);
    assert_true(n >= 2);
    int has5 = 0;
    for (int i = 0; i < n; i++) has5 |= fabs(t[i] - 5) < 1e-12;
    assert_true(has5);
    n = axis_ticks(0, 0, 5, t, 16, &step);
    assert_true(n >= 2);
    assert_true(t[0] < 0 && t[n - 1] > 0);
    assert_int_equal(axis_ticks(NAN, 1, 5, t, 16, &step), 0);
    assert_int_equal(axis_ticks(0, INFINITY, 5, t, 16, &step), 0);
    assert_int_equal(axis_ticks(0, 1, 1, t, 16, &step), 0);
    /* cap respected */
    assert_int_equal(axis_ticks(0, 1, 11, t, 3, &step), 3);
}

static void test_tui_axis_log_ticks(void **state)
{
    (void)state;
    double t[32];
    const double wdec[] = { 0.001, 0.01, 0.1, 1, 10 };
    assert_ticks(t, axis_log_ticks(0.0005, 30, 6, t, 32), wdec, 5);
    /* 10 decades, at most 4 ticks: every 3rd decade, on multiples of 3 */
    const double wstride[] = { 1e-6, 1e-3, 1, 1e3 };
    assert_ticks(t, axis_log_ticks(1e-7, 1e3, 4, t, 32), wstride, 4);
    /* within one decade: 1, 2, 5 x 10^k */
    const double w125[] = { 0.2, 0.5, 1, 2 };
    assert_ticks(t, axis_log_ticks(0.15, 2.5, 6, t, 32), w125, 4);
    /* two decades with room for more: 1, 2, 5 in each */
    const double wmore[] = { 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2 };
    assert_ticks(t, axis_log_ticks(0.018, 2.6, 9, t, 32), wmore, 7);
    /* the same range with less room: powers of ten only */
    const double wfew[] = { 0.1, 1 };
    assert_ticks(t, axis_log_ticks(0.018, 2.6, 4, t, 32), wfew, 2);
    /* tighter still: linear nice ticks */
    const double wlin[] = { 0.3, 0.4, 0.5 };
    assert_ticks(t, axis_log_ticks(0.26, 0.55, 4, t, 32), wlin, 3);
    assert_int_equal(axis_log_ticks(0, 1, 5, t, 32), 0);
    assert_int_equal(axis_log_ticks(-1, 1, 5, t, 32), 0);
}

static void test_tui_axis_format(void **state)
{
    (void)state;
    char b[32];
    struct { double v, step; const char *want; } cases[] = {
        { 0, 0, "0" },         { 0.25, 0, "0.25" },    { 0.0012, 0, "1.2e-3" },
        { 12000, 0, "12k" },   { 12500, 0, "12.5k" },  { 1.5e6, 0, "1.5M" },
        { 3.25e9, 0, "3.25G" }, { 123, 0, "123" },     { 1.5, 0, "1.5" },
        { -0.5, 0, "-0.5" },   { 0.6000000000000001, 0.2, "0.6" }, { 1.0, 0.2, "1" },
        { 1.05, 0.05, "1.05" }, { 2000, 2000, "2000" }, { 20000, 5000, "20k" },
        { 22500, 2500, "22.5k" }, { 1e-4, 0, "1e-4" }, { -2.5e-5, 0, "-2.5e-5" },
        { NAN, 0, "nan" },     { -INFINITY, 0, "-inf" }, { 1e-17, 0.1, "0" },
        { 0.1, 0, "0.1" },     { 999999, 0, "1M" },
        /* small values with a step: the digits the step needs */
        { 0.00176, 1e-5, "1.76e-3" }, { 0.00177, 1e-5, "1.77e-3" }, { 0.0018, 1e-5, "1.8e-3" },
        { 0.001765, 5e-6, "1.765e-3" }, { -0.00176, 1e-5, "-1.76e-3" }, { 0.002, 1e-3, "2e-3" },
        { 0.0012, 1e-4, "1.2e-3" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = axis_format(cases[i].v, cases[i].step, b, sizeof b);
        if (strcmp(b, cases[i].want) != 0)
            fail_msg("format(%g, %g): got \"%s\", want \"%s\"", cases[i].v, cases[i].step, b,
                     cases[i].want);
        assert_int_equal(n, (int)strlen(cases[i].want));
    }
    /* labels never exceed 8 columns, whatever the magnitude */
    for (int e = -12; e <= 15; e++) {
        for (int k = 1; k < 10; k++) {
            double v = k * 1.23456789 * pow(10.0, e);
            assert_true(axis_format(v, 0, b, sizeof b) <= 8);
            assert_true(axis_format(-v, 0, b, sizeof b) <= 8);
            assert_true(axis_format(v, v / 1000, b, sizeof b) <= 8);
        }
    }
    /* the ticks of a narrow range of small values read differently (the
     * Pareto axis of two close MSEs once showed 1.8e-3 five times) */
    double t[32], step;
    int nt = axis_ticks(0.00176, 0.00181, 6, t, 32, &step);
    assert_true(nt >= 3);
    for (int i = 1; i < nt; i++) {
        char p[32];
        axis_format(t[i - 1], step, p, sizeof p);
        axis_format(t[i], step, b, sizeof b);
        if (strcmp(p, b) == 0) fail_msg("ticks %g and %g both read %s", t[i - 1], t[i], b);
    }
    /* a short buffer truncates safely */
    assert_int_equal(axis_format(12345.678, 0, b, 3), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tui_axis_hand_ranges),
        cmocka_unit_test(test_tui_axis_property_over_many_ranges),
        cmocka_unit_test(test_tui_axis_degenerate_and_bad),
        cmocka_unit_test(test_tui_axis_log_ticks),
        cmocka_unit_test(test_tui_axis_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
