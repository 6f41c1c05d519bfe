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
 * Stops when the KKT conditions hold to tol: (M alpha)_i >= alpha^T M
 * alpha for all i, with equality where alpha_i > 0, each within tol
 * sqrt(M_ii) sum_k alpha_k sqrt(M_kk) (the scale of the sums, so a small
 * gradient's condition is not drowned by a large one's). On degenerate hulls (duplicate or nearly dependent
 * gradients, 0 on a face) Frank-Wolfe can crawl; if max_iter iterations
 * do not reach the tolerance, the exact solve minnorm_hull on a square
 * root of M (linalg_psd_factor) finishes the job, accepted when its KKT
 * violations are below 1e-6 of their scale (it is exact up to the
 * round-off of M, ~1e-9 for nearly dependent gradients 1e4 apart). T = 1 gives alpha = 1;
 * T = 2 is the closed form.
 * alpha (T) is the output; work holds MINNORM_WORK(T) doubles, iwork 2 T
 * ints. Returns the number of iterations, or -1 when even the exact
 * finish missed the tolerance (alpha then holds the best point found and
 * *gap_out, if not NULL, its KKT gap). */
/* Doubles of work minnorm_solve and minnorm_hull need for T points
 * (ints: 2 T). */
#define MINNORM_WORK(T) (4 * (T) * (T) + 16 * (T) + 8)

/* The min-norm point of the convex hull of the n columns of P (k, n),
 * exactly: x >= 0 minimising |P x|^2 + (1 - sum x)^2 (non-negative least
 * squares, linalg_nnls) satisfies p_j . z >= |z|^2 for z = P w, w = x /
 * sum x, with equality where w_j > 0, which are the KKT conditions of the
 * min-norm point (z = 0 when the hull contains the origin). P is scaled
 * so that |z| comes out near 1 (re-solved up to twice): with |z| far
 * below 1 the answer would cancel in 1 - sum x. w (n) is the output, on
 * the simplex.
 * work holds MINNORM_WORK(n) doubles, iwork 2 n ints. Returns 0, or -1
 * when the solve failed (w then uniform). */
int minnorm_hull(int k, int n, const double *P, double *w, double *work, int *iwork);

int minnorm_solve(const double *M, int T, double *alpha, double *work, int *iwork, int max_iter, double tol,
                  double *gap_out);

#endif
