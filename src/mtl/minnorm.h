/* minnorm.h - the minimum-norm point in the convex hull of task gradients.
 *
 * Given the Gram matrix M = G G^T (T x T, double, row-major) of T
 * gradients, finds alpha on the simplex (alpha >= 0, sum alpha = 1)
 * minimising || sum_i alpha_i g_i ||^2 = alpha^T M alpha. This is the
 * sub-problem of MGDA (Sener & Koltun 2018). Works on M only, so its cost
 * does not depend on the number of parameters. */
#ifndef MT_MINNORM_H
#define MT_MINNORM_H

/* The minimiser of ||gamma v1 + (1 - gamma) v2||^2 over gamma in [0, 1]
 * from the three inner products; writes the squared norm at the optimum
 * into *cost (may be NULL). The closed form of the two-task case. */
double minnorm_pair(double v1v1, double v1v2, double v2v2, double *cost);

/* Frank-Wolfe with away steps (Lacoste-Julien & Jaggi 2015), started at
 * the best pair's closed form, with exact line search on the quadratic.
 * Stops when both the Frank-Wolfe gap and the away gap are below
 * tol * max_i M_ii, i.e. when the KKT conditions hold to that tolerance:
 * (M alpha)_i >= alpha^T M alpha for all i, with equality where
 * alpha_i > 0. On degenerate hulls (duplicate or nearly dependent
 * gradients, 0 on a face) Frank-Wolfe can crawl; if max_iter iterations
 * do not reach the tolerance, an exact active-set solve (Lawson-Hanson
 * on M + 1e-12 max_i M_ii I) finishes the job. T = 1 gives alpha = 1;
 * T = 2 is the closed form.
 * alpha (T) is the output; work holds 2 T^2 + 8 T doubles, iwork 2 T
 * ints. Returns the number of iterations, or -1 when even the exact
 * finish missed the tolerance (alpha then holds the best point found and
 * *gap_out, if not NULL, its KKT gap). */
int minnorm_solve(const double *M, int T, double *alpha, double *work, int *iwork, int max_iter, double tol,
                  double *gap_out);

#endif
