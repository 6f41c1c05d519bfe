/* test_mtl_auxtask.c - the auxiliary-task measures (mtl/auxtask.h) against
 * values worked out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "mtl/auxtask.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static void test_mtl_auxtask_entropy_hand(void **state)
{
    (void)state;
    const double four[4] = {3, 3, 3, 3}, skew[3] = {2, 1, 1}, one[2] = {5, 0}, none[2] = {0, 0};
    NEAR(auxtask_entropy(four, 4), log(4.0), 1e-15);
    /* p = 1/2, 1/4, 1/4: 1/2 ln 2 + 2 (1/4 ln 4) = 1.5 ln 2 */
    NEAR(auxtask_entropy(skew, 3), 1.5 * log(2.0), 1e-15);
    NEAR(auxtask_entropy(one, 2), 0, 0);
    assert_true(isnan(auxtask_entropy(none, 2)));
}

static void test_mtl_auxtask_kurtosis_hand(void **state)
{
    (void)state;
    /* 1, 2, 3, 4: mean 2.5, m2 = (2.25 + .25 + .25 + 2.25) / 4 = 1.25,
     * m4 = (5.0625 + .0625 + .0625 + 5.0625) / 4 = 2.5625,
     * m4 / m2^2 - 3 = 1.64 - 3 = -1.36 */
    const double x[4] = {1, 2, 3, 4};
    NEAR(auxtask_kurtosis(x, 4), -1.36, 1e-14);
    /* two points: m4 / m2^2 = 1, so -2, the least any sample has */
    const double two[2] = {0, 10};
    NEAR(auxtask_kurtosis(two, 2), -2, 1e-15);
    /* one outlier among many equal values: (n - 1) ... for 0,0,0,0,1:
     * mean .2, m2 = (4 * .04 + .64) / 5 = .16, m4 = (4 * .0016 + .4096) / 5
     * = .0832, .0832 / .0256 - 3 = 0.25 */
    const double out[5] = {0, 0, 0, 0, 1};
    NEAR(auxtask_kurtosis(out, 5), 0.25, 1e-14);
    const double flat[3] = {2, 2, 2};
    assert_true(isnan(auxtask_kurtosis(flat, 3)));
    assert_true(isnan(auxtask_kurtosis(x, 1)));
}

/* g1 = (1, 0), g2 = (0, 1) main; g3 = (1, 1), g4 = (-1, 0), g5 = 0
 * auxiliary. g_main = (1, 1). */
static void test_mtl_auxtask_cosine_and_gate_hand(void **state)
{
    (void)state;
    const double g[5][2] = {{1, 0}, {0, 1}, {1, 1}, {-1, 0}, {0, 0}};
    double M[25];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) M[i * 5 + j] = g[i][0] * g[j][0] + g[i][1] * g[j][1];
    const int is_main[5] = {1, 1, 0, 0, 0};
    double c[5], a[5];
    auxtask_cosine_to_main(M, 5, is_main, c);
    const double s = 1 / sqrt(2.0);
    NEAR(c[0], s, 1e-15);
    NEAR(c[1], s, 1e-15);
    NEAR(c[2], 1, 1e-15);
    NEAR(c[3], -s, 1e-15);
    NEAR(c[4], 0, 0);
    auxtask_gate(M, 5, is_main, a);
    const double want[5] = {1, 1, 1, 0, 0};
    for (int t = 0; t < 5; t++) NEAR(a[t], want[t], 0);
    /* a zero main gradient: no auxiliary gradient passes */
    const int only3[5] = {0, 0, 0, 0, 1};
    auxtask_gate(M, 5, only3, a);
    for (int t = 0; t < 4; t++) NEAR(a[t], 0, 0);
    NEAR(a[4], 1, 0);
}

/* The least-squares slope by hand. */
static void test_mtl_auxtask_slope_hand(void **state)
{
    (void)state;
    const double x[3] = {1, 2, 3}, y[3] = {3, 5, 7};
    NEAR(auxtask_slope(x, y, 3), 2, 1e-15);
    /* x 0, 10, 20 (mean 10), y 1, 0, 2 (mean 1): sxy = -10 * 0 + 10 * 1 = 10,
     * sxx = 200 */
    const double x2[3] = {0, 10, 20}, y2[3] = {1, 0, 2};
    NEAR(auxtask_slope(x2, y2, 3), 0.05, 1e-15);
    const double same[2] = {4, 4};
    assert_true(isnan(auxtask_slope(same, y, 2)));
    assert_true(isnan(auxtask_slope(x, y, 1)));
}

/* A learning curve of 100 steps: validation losses 10, 8, 7, 6.5, 6, 5, 4,
 * 3.5 at steps 5, 10, ..., 30, 50, 70 (and a NaN at 40, skipped); each
 * fraction's slope over the last three points at or before it, by hand. */
static void test_mtl_auxtask_curve_slopes_hand(void **state)
{
    (void)state;
    const long step[9] = {5, 10, 15, 20, 25, 30, 40, 50, 70};
    const double loss[9] = {10, 8, 7, 6.5, 6, 5, NAN, 4, 3.5};
    auxtask_curve c;
    auxtask_curve_init(&c, 100);
    for (int i = 0; i < 9; i++) auxtask_curve_note(&c, step[i], loss[i]);
    double sl[AUXTASK_CURVE_N];
    auxtask_curve_slopes(&c, sl);
    /* 10%: (5, 10), (10, 8): -0.4 */
    NEAR(sl[0], -0.4, 1e-14);
    /* 20%: (10, 8), (15, 7), (20, 6.5): sxy = -5 * 5/6 + 5 * -2/3 = -7.5,
     * sxx = 50 */
    NEAR(sl[1], -0.15, 1e-14);
    /* 30%: (20, 6.5), (25, 6), (30, 5): -7.5 / 50 */
    NEAR(sl[2], -0.15, 1e-14);
    /* 50%: (25, 6), (30, 5), (50, 4): x mean 35, y mean 5: sxy = -10 - 15
     * = -25, sxx = 100 + 25 + 225 = 350 */
    NEAR(sl[3], -25.0 / 350.0, 1e-14);
    /* 70%: (30, 5), (50, 4), (70, 3.5): sxy = -20 * 5/6 + 20 * -2/3 = -30,
     * sxx = 800 */
    NEAR(sl[4], -30.0 / 800.0, 1e-14);
    /* one evaluation before 10%, none before anything with no total */
    auxtask_curve_init(&c, 100);
    auxtask_curve_note(&c, 10, 1);
    auxtask_curve_note(&c, 20, 0.5);
    auxtask_curve_slopes(&c, sl);
    assert_true(isnan(sl[0]));
    NEAR(sl[1], -0.05, 1e-15);
    auxtask_curve_init(&c, 0);
    auxtask_curve_note(&c, 10, 1);
    auxtask_curve_note(&c, 20, 0.5);
    auxtask_curve_slopes(&c, sl);
    for (int f = 0; f < AUXTASK_CURVE_N; f++) assert_true(isnan(sl[f]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_auxtask_entropy_hand),
        cmocka_unit_test(test_mtl_auxtask_kurtosis_hand),
        cmocka_unit_test(test_mtl_auxtask_cosine_and_gate_hand),
        cmocka_unit_test(test_mtl_auxtask_slope_hand),
        cmocka_unit_test(test_mtl_auxtask_curve_slopes_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
