/* test_run_sweep_stats.c - the statistics of a sweep against hand
 * computations and printed tables: Student's t quantiles (closed forms for
 * 1 and 2 degrees of freedom, table values for the rest), mean, sample
 * standard deviation and 95% intervals, paired differences, the Pareto
 * front. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "run/sweep_stats.h"

static void near(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fmax(1.0, fabs(want))))
        fail_msg("%s: got %.12g, want %.12g (tolerance %g)", what, got, want, rel);
}

/* Two-sided 95% (p = 0.975) and other quantiles as printed in standard
 * t tables (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), 6+ digits. */
static void test_run_sweep_t_table(void **state)
{
    (void)state;
    static const struct {
        double p, df, t;
    } tab[] = {
        {0.975, 1, 12.7062047}, {0.975, 2, 4.30265273}, {0.975, 3, 3.18244631}, {0.975, 4, 2.77644511},
        {0.975, 5, 2.57058184}, {0.975, 9, 2.26215716}, {0.975, 10, 2.22813885}, {0.975, 19, 2.09302405},
        {0.975, 29, 2.04522964}, {0.975, 30, 2.04227246}, {0.975, 100, 1.98397152},
        {0.95, 10, 1.81246112},  {0.995, 5, 4.03214298},  {0.9, 1, 3.07768354},  {0.999, 3, 10.2145319},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "t(%g, df %g)", tab[i].p, tab[i].df);
        near(stats_t_quantile(tab[i].p, tab[i].df), tab[i].t, 2e-8, what);
        near(stats_t_quantile(1 - tab[i].p, tab[i].df), -tab[i].t, 2e-8, what);
    }
    /* many degrees of freedom: the normal quantile 1.959963985 */
    near(stats_t_quantile(0.975, 1e7), 1.959963985, 1e-6, "t(0.975, 1e7)");
    assert_true(stats_t_quantile(0.5, 3) == 0.0);
    assert_true(isnan(stats_t_quantile(0.0, 3)));
    assert_true(isnan(stats_t_quantile(1.0, 3)));
    assert_true(isnan(stats_t_quantile(0.9, 0)));
}

/* Closed forms: df = 1 is Cauchy, t = tan(pi (p - 1/2)) = -cot(pi p); df = 2 has
 * t = (2p - 1) / sqrt(2 p (1 - p)). Far tails included. */
static void test_run_sweep_t_closed_forms(void **state)
{
    (void)state;
    const double ps[] = {1e-9, 1e-4, 0.01, 0.2, 0.4999, 0.6, 0.9, 0.975, 0.999, 1 - 1e-7};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double p = ps[i];
        char what[64];
        snprintf(what, sizeof what, "df 1, p %g", p);
        /* -cot(pi p), not tan(pi (p - 1/2)): near pi/2 tan loses digits */
        double t1 = p < 0.5 ? -1 / tan(M_PI * p) : 1 / tan(M_PI * (1 - p));
        near(stats_t_quantile(p, 1), t1, 1e-8, what);
        snprintf(what, sizeof what, "df 2, p %g", p);
        double t2 = (2 * p - 1) / sqrt(2 * p * (1 - p));
        near(stats_t_quantile(p, 2), t2, 1e-9, what);
        /* the CDF inverts the quantile */
        snprintf(what, sizeof what, "cdf(quantile(%g)) df 7", p);
        near(stats_t_cdf(stats_t_quantile(p, 7), 7), p, 1e-12, what);
    }
    near(stats_t_cdf(0, 5), 0.5, 1e-15, "cdf(0)");
    near(stats_t_cdf(1, 1), 0.75, 1e-12, "Cauchy cdf(1)");
    assert_true(stats_t_cdf(INFINITY, 3) == 1.0 && stats_t_cdf(-INFINITY, 3) == 0.0);
}

static void test_run_sweep_summarise(void **state)
{
    (void)state;
    const double x[] = {1, 2, 3, 4, 5};
    mt_stat s = stats_summarise(x, 5);
    assert_int_equal(s.n, 5);
    near(s.mean, 3, 1e-15, "mean");
    near(s.std, sqrt(2.5), 1e-15, "std");
    /* 2.77644511 * sqrt(2.5) / sqrt(5) = 1.96324321 */
    near(s.hi - s.mean, 2.77644511 * sqrt(0.5), 1e-8, "half width");
    near(s.mean - s.lo, s.hi - s.mean, 1e-15, "symmetric");
    /* non-finite values are skipped, not counted */
    const double y[] = {1, NAN, 3, INFINITY, -INFINITY};
    s = stats_summarise(y, 5);
    assert_int_equal(s.n, 2);
    near(s.mean, 2, 1e-15, "mean of finite");
    near(s.std, sqrt(2), 1e-15, "std of finite");
    near(s.hi - s.mean, 12.7062047 * 1.0, 1e-8, "df 1 interval");
    /* one value: a mean, no spread; none: nothing */
    s = stats_summarise(x, 1);
    assert_int_equal(s.n, 1);
    assert_true(s.mean == 1 && isnan(s.std) && isnan(s.lo) && isnan(s.hi));
    s = stats_summarise(y + 1, 1);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean));
    /* a spread of 1 on top of 1e8: a one-pass sum of squares gets 0 or
     * garbage; two passes get it exactly */
    const double z[] = {1e8 + 1, 1e8 + 2, 1e8 + 3};
    s = stats_summarise(z, 3);
    near(s.mean, 1e8 + 2, 1e-15, "mean near 1e8");
    near(s.std, 1.0, 1e-12, "std near 1e8");
    const double c[] = {0.25, 0.25, 0.25};
    s = stats_summarise(c, 3);
    assert_true(s.std == 0 && s.lo == 0.25 && s.hi == 0.25);
    assert_false(stats_excludes_zero(&s) == 0); /* [0.25, 0.25] excludes 0 */
}

/* Paired by seed: configuration a beats b on every seed by a little while
 * the seeds themselves spread a lot. The per-configuration intervals
 * overlap; the paired one excludes 0. */
static void test_run_sweep_paired(void **state)
{
    (void)state;
    const double a[] = {1.0, 2.0, 3.0, 4.0};
    const double b[] = {0.5, 1.9, 2.5, 3.7};
    mt_stat d = stats_paired(a, b, 4);
    /* differences 0.5 0.1 0.5 0.3: mean 0.35, sum of squared deviations
     * 0.11, std sqrt(0.11/3), half width t(0.975,3) std / 2 */
    assert_int_equal(d.n, 4);
    near(d.mean, 0.35, 1e-14, "paired mean");
    near(d.std, sqrt(0.11 / 3), 1e-14, "paired std");
    near(d.hi - d.mean, 3.18244631 * sqrt(0.11 / 3) / 2, 1e-8, "paired half width");
    assert_true(stats_excludes_zero(&d));
    mt_stat sa = stats_summarise(a, 4), sb = stats_summarise(b, 4);
    assert_true(sa.lo < sb.hi && sb.lo < sa.hi); /* unpaired: overlapping */
    /* a seed missing on either side drops the pair */
    const double a2[] = {1.0, NAN, 3.0, 4.0};
    const double b2[] = {0.5, 1.9, NAN, 3.7};
    d = stats_paired(a2, b2, 4);
    assert_int_equal(d.n, 2);
    near(d.mean, 0.4, 1e-14, "pairs present in both");
    /* no difference on average: the interval holds 0 */
    const double c[] = {1.0, 2.0, 3.0};
    const double e[] = {1.1, 1.9, 3.0};
    d = stats_paired(c, e, 3);
    assert_false(stats_excludes_zero(&d));
    /* one pair: no interval, never significant */
    d = stats_paired(a, b, 1);
    assert_int_equal(d.n, 1);
    assert_false(stats_excludes_zero(&d));
}

static void test_run_sweep_pareto(void **state)
{
    (void)state;
    /* maximise both: (1,1) twice, (2,0), (0,2) on the front; (0.5,0.5)
     * dominated by (1,1); a NaN point neither on it nor dominating */
    const double o[] = {1, 1, 2, 0, 0, 2, 0.5, 0.5, 1, 1, NAN, 3, 0, 1.5};
    int front[7];
    assert_int_equal(stats_pareto(o, 7, 2, front), 4);
    const int want[] = {1, 1, 1, 0, 1, 0, 0};
    for (int i = 0; i < 7; i++) assert_int_equal(front[i], want[i]);
    /* three objectives: (1,0,0), (0,1,0), (0,0,1) are all optimal; (0,0,0.5)
     * is dominated; (1,1,1) dominates everything */
    const double t[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0.5};
    int f3[5];
    assert_int_equal(stats_pareto(t, 4, 3, f3), 3);
    assert_int_equal(f3[3], 0);
    const double u[] = {1, 0, 0, 0, 1, 0, 1, 1, 1};
    assert_int_equal(stats_pareto(u, 3, 3, f3), 1);
    assert_int_equal(f3[2], 1);
    /* a single objective: only the maxima */
    const double v[] = {3, 1, 3, 2};
    assert_int_equal(stats_pareto(v, 4, 1, f3), 2);
    assert_true(f3[0] && !f3[1] && f3[2] && !f3[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_sweep_t_table),
        cmocka_unit_test(test_run_sweep_t_closed_forms),
        cmocka_unit_test(test_run_sweep_summarise),
        cmocka_unit_test(test_run_sweep_paired),
        cmocka_unit_test(test_run_sweep_pareto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
