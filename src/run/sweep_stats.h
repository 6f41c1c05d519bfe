/* sweep_stats.h - the statistics of a sweep over seeds: mean, sample
 * standard deviation and a 95% confidence interval from Student's t, the
 * paired difference of two configurations run on the same seeds, and the
 * Pareto front of configurations. Pure functions on arrays; the sweep's
 * writers and the tests call them. */
#ifndef MT_SWEEP_STATS_H
#define MT_SWEEP_STATS_H

/* Summary of the finite values of a sample. std is the sample standard
 * deviation (divisor n-1); lo, hi the two-sided 95% interval for the mean,
 * mean -/+ t(0.975, n-1) std / sqrt(n). With n < 2, std, lo and hi are NaN;
 * with n = 0 the mean is NaN too. */
typedef struct {
    int n;
    double mean, std, lo, hi;
} mt_stat;

/* The level of every interval of a sweep: 95%. */
#define MT_STAT_LEVEL 0.95

/* Student's t distribution with df > 0 degrees of freedom: P(T <= t). */
double stats_t_cdf(double t, double df);
/* Its quantile: the t with P(T <= t) = p, for 0 < p < 1 (NaN outside or
 * for df <= 0). Accurate to about 1e-10 relative. */
double stats_t_quantile(double p, double df);

/* The summary of x[0..n), skipping NaN and infinite values. */
mt_stat stats_summarise(const double *x, int n);

/* The paired difference a[i] - b[i] over the i where both are finite
 * (the same seed in two configurations), summarised as above: its
 * interval excludes 0 when the difference is significant at 95%. */
mt_stat stats_paired(const double *a, const double *b, int n);

/* Whether an interval lies wholly on one side of 0. */
int stats_excludes_zero(const mt_stat *s);

/* Marks front[i] = 1 for the points of obj (n points, k objectives each,
 * row-major (n, k), every objective to be MAXIMISED) that no other point
 * dominates: j dominates i when obj[j] >= obj[i] in every objective and >
 * in one. A point with a non-finite objective is never on the front and
 * never dominates. Equal points are all on the front. Returns how many
 * points are on the front. */
int stats_pareto(const double *obj, int n, int k, int *front);

#endif
