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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_auxtask_entropy_hand),
        cmocka_unit_test(test_mtl_auxtask_kurtosis_hand),
        cmocka_unit_test(test_mtl_auxtask_cosine_and_gate_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
